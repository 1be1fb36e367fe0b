//! Exact memory of training the seed notebook's network: model, gradients, one sample's
//! cache and each optimizer's state, as `size_of` reports them. The figures are documented in
//! `skipgrad::train` (module docs); a change to any type shows here.

use core::mem::size_of;
use skipgrad::{Adam, Module, Params, Sgd, SgdMomentum};
use skipgrad_harness::notebook::{Plain, WithShortcut};

/// (model, gradients, cache, Sgd, SgdMomentum, Adam) bytes for a network type.
fn footprint<M: Module<[f32; 3]> + Params<f32>>() -> [usize; 6] {
    [
        size_of::<M>(),
        size_of::<M>(),
        size_of::<M::Cache>(),
        size_of::<Sgd<f32>>(),
        size_of::<SgdMomentum<f32, M>>(),
        size_of::<Adam<f32, M>>(),
    ]
}

#[test]
fn notebook_network_training_footprint() {
    // 52 parameters: 4 x (3 x 3 + 3) + (3 + 1).
    assert_eq!(<Plain<f32> as Params<f32>>::LEN, 52);
    assert_eq!(<WithShortcut<f32> as Params<f32>>::LEN, 52);
    // Model and gradients: exactly the parameters, nothing else (52 x 4 bytes).
    // Cache: each Linear keeps its input (3 floats) and each GELU its derivative
    // (3 floats; 1 for the last layer): 4 x 24 + 16 = 112 bytes.
    // Sgd: lr and weight decay. SgdMomentum: one model-sized buffer, four f32 and a flag
    // (208 + 16 + 1, padded to 228). Adam: two model-sized moments, five f64
    // hyperparameters and a u32 step count (416 + 40 + 4, padded to 464).
    let want = [208, 208, 112, 8, 228, 464];
    assert_eq!(footprint::<Plain<f32>>(), want);
    assert_eq!(footprint::<WithShortcut<f32>>(), want);
    // Totals: model + gradients + cache + optimizer.
    let total = |opt: usize| want[0] + want[1] + want[2] + opt;
    assert_eq!(
        [total(want[3]), total(want[4]), total(want[5])],
        [536, 756, 992]
    );
}
