//! The walks of `Params` (zips, named mutable visits, re-initialisation) reach every element
//! of every container type, in the order of `for_each_tensor` (found by mutation testing: no
//! test zipped through a `Residual` or an array, or re-initialised an array).

use skipgrad::{Gelu, Linear, ParamName, Params, Residual, TorchInit};
use skipgrad_harness::gradcheck::{flatten, load};
use skipgrad_harness::notebook::{Plain, WithShortcut};

/// `len` distinct values starting at `start`.
fn ramp(start: f64, len: usize) -> Vec<f64> {
    (0..len).map(|i| start + i as f64).collect()
}

fn model<M: Params<f64>>(start: f64) -> M {
    let mut m = M::zeroed();
    assert_eq!(load(&mut m, &ramp(start, M::LEN)), M::LEN);
    m
}

fn check_zips<M: Params<f64>>() {
    let n = M::LEN;
    let (a, b, c) = (ramp(1.0, n), ramp(1000.0, n), ramp(1e6, n));

    // zip2: self += a.
    let mut m: M = model(1.0);
    m.zip2(&model(1000.0), &mut |x, y| {
        x.iter_mut().zip(y).for_each(|(x, y)| *x += *y)
    });
    let want: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a + b).collect();
    assert_eq!(flatten(&m), want, "zip2");

    // zip3: self += a, b = self.
    let mut m: M = model(1.0);
    let mut out = M::zeroed();
    m.zip3(&model(1000.0), &mut out, &mut |x, y, z| {
        for ((x, y), z) in x.iter_mut().zip(y).zip(z.iter_mut()) {
            *x += *y;
            *z = *x;
        }
    });
    assert_eq!(flatten(&m), want, "zip3 self");
    assert_eq!(flatten(&out), want, "zip3 b");

    // zip4: self += a, b = self, c += self.
    let mut m: M = model(1.0);
    let mut out = M::zeroed();
    let mut acc: M = model(1e6);
    m.zip4(&model(1000.0), &mut out, &mut acc, &mut |x, y, z, w| {
        for (((x, y), z), w) in x.iter_mut().zip(y).zip(z.iter_mut()).zip(w.iter_mut()) {
            *x += *y;
            *z = *x;
            *w += *x;
        }
    });
    assert_eq!(flatten(&m), want, "zip4 self");
    assert_eq!(flatten(&out), want, "zip4 b");
    let want_acc: Vec<f64> = c.iter().zip(&want).map(|(c, s)| c + s).collect();
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
}

fn check_visit_named_mut<M: Params<f64>>() {
    let mut m = M::zeroed();
    let mut names = Vec::new();
    let mut next = 1.0;
    m.visit_named_mut(&mut ParamName::with_prefix("m"), &mut |name, t| {
        names.push(name.as_str().to_owned());
        for v in t.iter_mut() {
            *v = next;
            next += 1.0;
        }
    });
    assert_eq!(flatten(&m), ramp(1.0, M::LEN));
    let mut seen = Vec::new();
    m.visit_named(&mut ParamName::with_prefix("m"), &mut |name, _| {
        seen.push(name.as_str().to_owned());
    });
    assert_eq!(names, seen);
}

#[test]
fn visit_named_mut_covers_every_container() {
    check_visit_named_mut::<Linear<f64, 3, 2>>();
    check_visit_named_mut::<[Residual<(Linear<f64, 2, 2>, Gelu)>; 3]>();
    check_visit_named_mut::<WithShortcut<f64>>();
}

type Block = Residual<(Linear<f64, 2, 2>, Gelu)>;

#[test]
fn arrays_reinitialise_like_tuples() {
    let arr: [Block; 3] = Params::torch_init(&mut TorchInit::new(11));
    let tuple: (Block, Block, Block) = Params::torch_init(&mut TorchInit::new(11));
    assert_eq!(flatten(&arr), flatten(&tuple));
    assert!(flatten(&arr).iter().all(|v| *v != 0.0));
}
