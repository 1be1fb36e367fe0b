//! Every layer's declared sizes agree with its walk: `Params::LEN` with the values every
//! walk visits, `Params::TRAINABLE` with those of the gradient type, for every size and
//! container. `params!` writes both counts and the walk from one list, so they cannot
//! disagree; these tests hold the macro to that.

use skipgrad::params::visit_shapes;
use skipgrad::params::{zip_grads, Ref};
use skipgrad::{Frozen, Gelu, Layer, Linear, NoGrad, Params, Residual, Zeroed};
use skipgrad_harness::gradcheck::flatten;

fn check<M: Params<f64> + Zeroed>()
where
    M::Grads: Zeroed,
{
    let mut shapes = 0;
    visit_shapes::<M, f64, _>(|_, t| shapes += t.len());
    assert_eq!(shapes, M::LEN, "{}", std::any::type_name::<M>());
    assert_eq!(flatten(&M::ZERO).len(), M::LEN);
    let mut trainable = 0;
    zip_grads::<M, Ref, f64, _>(&<M as Layer>::Grads::ZERO, |_, t| trainable += t.len());
    assert_eq!(trainable, M::TRAINABLE, "{}", std::any::type_name::<M>());
}

macro_rules! sizes {
    ($(($i:literal, $o:literal)),* $(,)?) => {
        #[test]
        fn linear_len_is_in_times_out_plus_out() {
            $(
                assert_eq!(<Linear<f64, $i, $o> as Params<f64>>::LEN, $i * $o + $o);
                check::<Linear<f64, $i, $o>>();
            )*
        }
    };
}

sizes!((1, 1), (2, 3), (3, 1), (7, 7), (16, 3));

#[test]
fn containers_add_up_their_children() {
    type Block = Residual<(Linear<f64, 3, 3>, Gelu)>;
    check::<Block>();
    check::<[Block; 4]>();
    check::<(Block, Frozen<Block>, Linear<f64, 3, 1>)>();
    check::<(NoGrad<Block>, [Block; 2], Linear<f64, 3, 1>)>();
    assert_eq!(<(Block, Frozen<Block>) as Params<f64>>::TRAINABLE, 12);
    assert_eq!(
        <(NoGrad<Block>, Frozen<Block>) as Params<f64>>::TRAINABLE,
        0
    );
}
