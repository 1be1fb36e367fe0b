//! The walks derived from each layer's one declaration reach every element of every
//! container type, in registration order: zips of arity 1 to 4 with mixed mutability, the
//! trainable zip beside gradient-typed values, named visits (read and write) and
//! re-initialisation.

use skipgrad::params::{self, Mut, Ref};
use skipgrad::{Frozen, Gelu, Linear, NoGrad, ParamName, Params, Residual, TorchInit, Zeroed};
use skipgrad_harness::gradcheck::{flatten, load};
use skipgrad_harness::notebook::{Plain, WithShortcut};

/// `len` distinct values starting at `start`.
fn ramp(start: f64, len: usize) -> Vec<f64> {
    (0..len).map(|i| start + i as f64).collect()
}

fn model<M: Params<f64> + Zeroed>(start: f64) -> M {
    let mut m = M::ZERO;
    assert_eq!(load(&mut m, &ramp(start, M::LEN)), M::LEN);
    m
}

fn check_zips<M: Params<f64> + Zeroed>() {
    let n = M::LEN;
    let (a, b, c) = (ramp(1.0, n), ramp(1000.0, n), ramp(1e6, n));
    let sum: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a + b).collect();

    // Arity 1.
    let mut m: M = model(1.0);
    params::zip::<Mut, M, f64, _>(&mut m, |_, x| x.iter_mut().for_each(|x| *x *= 2.0));
    assert_eq!(
        flatten(&m),
        a.iter().map(|v| 2.0 * v).collect::<Vec<_>>(),
        "zip1"
    );

    // Arity 2: self += a.
    let mut m: M = model(1.0);
    params::zip::<(Mut, Ref), M, f64, _>((&mut m, &model(1000.0)), |_, (x, y)| {
        x.iter_mut().zip(y).for_each(|(x, y)| *x += *y)
    });
    assert_eq!(flatten(&m), sum, "zip2");

    // Arity 3: self += a, b = self.
    let mut m: M = model(1.0);
    let mut out = M::ZERO;
    params::zip::<(Mut, Ref, Mut), M, f64, _>(
        (&mut m, &model(1000.0), &mut out),
        |_, (x, y, z)| {
            for ((x, y), z) in x.iter_mut().zip(y).zip(z.iter_mut()) {
                *x += *y;
                *z = *x;
            }
        },
    );
    assert_eq!(flatten(&m), sum, "zip3 self");
    assert_eq!(flatten(&out), sum, "zip3 b");

    // Arity 4: self += a, b = self, c += self.
    let mut m: M = model(1.0);
    let mut out = M::ZERO;
    let mut acc: M = model(1e6);
    params::zip::<(Mut, Ref, Mut, Mut), M, f64, _>(
        (&mut m, &model(1000.0), &mut out, &mut acc),
        |_, (x, y, z, w)| {
            for (((x, y), z), w) in x.iter_mut().zip(y).zip(z.iter_mut()).zip(w.iter_mut()) {
                *x += *y;
                *z = *x;
                *w += *x;
            }
        },
    );
    assert_eq!(flatten(&m), sum, "zip4 self");
    assert_eq!(flatten(&out), sum, "zip4 b");
    let want_acc: Vec<f64> = c.iter().zip(&sum).map(|(c, s)| c + s).collect();
    assert_eq!(flatten(&acc), want_acc, "zip4 c");
}

#[test]
fn zips_cover_every_container() {
    check_zips::<Linear<f64, 3, 2>>();
    check_zips::<Residual<Linear<f64, 3, 3>>>();
    check_zips::<Residual<(Linear<f64, 2, 2>, Gelu)>>();
    check_zips::<[Residual<(Linear<f64, 2, 2>, Gelu)>; 3]>();
    check_zips::<(Linear<f64, 2, 3>, Gelu, Linear<f64, 3, 1>)>();
    check_zips::<Plain<f64>>();
    check_zips::<WithShortcut<f64>>();
    check_zips::<(
        Frozen<Linear<f64, 2, 2>>,
        NoGrad<Linear<f64, 2, 2>>,
        Linear<f64, 2, 1>,
    )>();
}

/// The trainable zip pairs each trainable tensor of the model with the same tensor of a
/// gradient-typed value, skipping frozen parts, in order.
#[test]
fn trainable_zip_skips_frozen_parts() {
    type M = (
        Linear<f64, 2, 2>,
        Frozen<Linear<f64, 2, 2>>,
        [Linear<f64, 2, 1>; 2],
    );
    let mut m: M = model(1.0);
    let mut g: <M as skipgrad::Layer>::Grads = Zeroed::ZERO;
    params::zip_grads::<M, Mut, f64, _>(&mut g, |_, t| t.iter_mut().for_each(|v| *v = 1.0));
    params::zip_trainable::<Mut, Ref, M, f64, _>(&mut m, &g, |_, p, g| {
        p.iter_mut().zip(g).for_each(|(p, g)| *p -= 100.0 * *g);
    });
    let got = flatten(&m);
    let want: Vec<f64> = ramp(1.0, 18)
        .iter()
        .enumerate()
        .map(|(i, v)| if (6..12).contains(&i) { *v } else { v - 100.0 })
        .collect();
    assert_eq!(got, want);
    assert_eq!(<M as Params<f64>>::TRAINABLE, 12);
}

fn check_visit_named_mut<M: Params<f64> + Zeroed>() {
    let mut m = M::ZERO;
    let mut names = Vec::new();
    let mut next = 1.0;
    params::visit_named_mut_under(
        &mut m,
        &mut ParamName::with_prefix("m"),
        &mut |name, _, t: &mut [f64]| {
            names.push(name.as_str().to_owned());
            for v in t.iter_mut() {
                *v = next;
                next += 1.0;
            }
        },
    );
    assert_eq!(flatten(&m), ramp(1.0, M::LEN));
    let mut seen = Vec::new();
    params::visit_named_under(
        &m,
        &mut ParamName::with_prefix("m"),
        &mut |name, _, _: &[f64]| {
            seen.push(name.as_str().to_owned());
        },
    );
    assert_eq!(names, seen);
}

#[test]
fn visit_named_mut_covers_every_container() {
    check_visit_named_mut::<Linear<f64, 3, 2>>();
    check_visit_named_mut::<[Residual<(Linear<f64, 2, 2>, Gelu)>; 3]>();
    check_visit_named_mut::<WithShortcut<f64>>();
    check_visit_named_mut::<(Frozen<Linear<f64, 1, 1>>, NoGrad<Linear<f64, 1, 1>>)>();
}

type Block = Residual<(Linear<f64, 2, 2>, Gelu)>;

#[test]
fn arrays_reinitialise_like_tuples() {
    let arr: [Block; 3] = Params::torch_init(&mut TorchInit::new(11));
    let tuple: (Block, Block, Block) = Params::torch_init(&mut TorchInit::new(11));
    assert_eq!(flatten(&arr), flatten(&tuple));
    assert!(flatten(&arr).iter().all(|v| *v != 0.0));
}

/// Flat load and store round-trip; a buffer of the wrong length changes nothing.
#[test]
fn flat_load_and_store_round_trip() {
    let m: WithShortcut<f64> = model(3.0);
    let mut buf = vec![0.0; 52];
    assert!(m.store_flat(&mut buf).is_ok());
    assert_eq!(buf, ramp(3.0, 52));
    let mut other = WithShortcut::<f64>::ZERO;
    assert!(other.load_flat(&buf).is_ok());
    assert_eq!(flatten(&other), buf);
    let err = other.load_flat(&buf[..51]).expect_err("short buffer");
    assert_eq!((err.expected, err.found), (52, 51));
    assert_eq!(flatten(&other), buf, "a failed load changed the model");
    assert!(m.store_flat(&mut vec![0.0; 53]).is_err());
}

/// Hashes: equal models hash equally, a one-bit change changes the weights hash, and the
/// shape hash tells apart types that name or shape their tensors differently.
#[test]
fn hashes_follow_bits_and_shapes() {
    let a: WithShortcut<f32> = Params::torch_init(&mut TorchInit::new(1));
    let mut b = a;
    assert_eq!(a.weights_hash(), b.weights_hash());
    b.4 .0.bias[0] = f32::from_bits(b.4 .0.bias[0].to_bits() ^ 1);
    assert_ne!(a.weights_hash(), b.weights_hash());
    assert_eq!(
        <Plain<f32> as Params<f32>>::shape_hash(),
        <WithShortcut<f32> as Params<f32>>::shape_hash()
    );
    assert_ne!(
        <Linear<f32, 2, 3> as Params<f32>>::shape_hash(),
        <Linear<f32, 3, 2> as Params<f32>>::shape_hash()
    );
    // A tuple and an array of the same layers name and shape their tensors alike.
    assert_eq!(
        <(Linear<f32, 2, 2>, Linear<f32, 2, 2>) as Params<f32>>::shape_hash(),
        <[Linear<f32, 2, 2>; 2] as Params<f32>>::shape_hash(),
    );
    assert_ne!(
        <(Linear<f32, 2, 2>, Gelu, Linear<f32, 2, 2>) as Params<f32>>::shape_hash(),
        <[Linear<f32, 2, 2>; 2] as Params<f32>>::shape_hash(),
        "the second layer is named 2 in one and 1 in the other"
    );
}
