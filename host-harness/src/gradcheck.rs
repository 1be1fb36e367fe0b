//! Gradient checking: analytic gradients against finite differences, in `f64`.
//!
//! [`check`] takes any `f64` model of the core, a batch of inputs and targets, and the MSE
//! loss averaged over the batch (as [`Loss::batch_loss`]); [`check_loss`] does the same with
//! any other [`Loss`] (cross-entropy's targets are class indices). It computes the analytic gradient
//! the way training does (one forward/backward pair per sample, each sample's share of the
//! batch mean ([`Loss::gradient`]) as `dy`, parameter gradients accumulated into one value of
//! the model's gradient type) and compares every parameter element and every input element
//! with a finite-difference estimate of the same derivative of the batch loss.
//!
//! # The finite difference
//!
//! Each element `p` is perturbed in a clone of the model (through [`params::zip`]), the batch
//! loss is re-evaluated, and the original value
//! is written back bit for bit before the next element. The estimate is a
//! central difference extrapolated by Ridders' method:
//!
//! ```text
//! D(h)    = (L(p + h) - L(p - h)) / (2h),  h = h0, h0/2, ..., h0/2^9
//! T[i][0] = D(h0 / 2^i)
//! T[i][j] = (4^j T[i][j-1] - T[i-1][j-1]) / (4^j - 1)      (cancels the h^(2j) term)
//! h0      = 2^-6 * max(1, |p|), rounded down to a power of two
//! ```
//!
//! The answer is the entry of the whole tableau whose own error estimate (its distance to
//! its two parents) is smallest: large steps where truncation is small, small steps where
//! high derivatives need them, with rounding (`~eps |L| / h`, `eps = 2^-52`) kept in view. A
//! fixed step cannot serve every model: one level at `h = 2^-10` (`O(h^4 L^(5))`) left
//! `1.6e-9` absolute on a head weight of the notebook's network with shortcuts in a random
//! case of the property tests (a 4 times smaller step shrank the error 250-fold, as `h^4`
//! predicts, and confirmed the analytic value). It costs 20 loss evaluations per element. A
//! power-of-two step keeps every halving exact and the perturbed values `p ± h` as exact as
//! the format allows.
//!
//! # The error measure
//!
//! For an analytic value `a` and a finite-difference value `n`:
//!
//! ```text
//! rel_error(a, n) = |a - n| / max(|a|, |n|, floor)
//! ```
//!
//! with `floor` = [`Config::floor`] (default `1e-3`) times `max(1, |L|)`, `L` the batch loss.
//! For gradients above the floor this is the plain relative error; below it, it is the
//! absolute error divided by the floor, so `rel_error <= 1e-6` means
//! `|a - n| <= 1e-6 * max(|a|, |n|, 1e-3 * max(1, |L|))`. It plays the role of
//! `torch.autograd.gradcheck`'s `|a - n| <= atol + rtol * |n|` with `rtol = 1e-6` and
//! `atol = 1e-9` (for losses up to 1), expressed as a single number that can be reported and
//! compared. The floor grows with the loss because the loss itself is only computed to
//! about `eps |L|` times the network's amplification of rounding, and the finite difference
//! divides that by `h`: a loss of 562 (a random case with shortcuts, outputs near 25) left
//! `1.7e-9` between the analytic value and the best finite difference at every step, noise
//! that no step removes.

use skipgrad::params::{self, Mut, Ref};
use skipgrad::{Data, Layer, Loss, Module, Mse, ParamName, Params, Zeroed};

/// The bound the project holds every `f64` gradient to (worst [`rel_error`]).
pub const BOUND: f64 = 1e-6;

/// Settings of [`check`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// The base step, scaled by `max(1, |p|)` and rounded down to a power of two.
    pub step: f64,
    /// The denominator floor of [`rel_error`] for near-zero gradients, per unit of loss (it is
    /// multiplied by `max(1, |L|)`).
    pub floor: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            step: 1.0 / 64.0,
            floor: 1e-3,
        }
    }
}

/// `|a - n| / max(|a|, |n|, floor)`: the relative error with a floor for near-zero values.
///
/// NaN in either value gives `+inf`, so a NaN gradient always fails a bound.
pub fn rel_error(analytic: f64, numeric: f64, floor: f64) -> f64 {
    let e = (analytic - numeric).abs() / analytic.abs().max(numeric.abs()).max(floor);
    if e.is_nan() {
        f64::INFINITY
    } else {
        e
    }
}

/// The worst element of one tensor.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TensorReport {
    /// The PyTorch name (`layers.0.0.weight`), or `input` for the input gradient.
    pub name: String,
    /// Number of elements of the tensor (for `input`: samples times input size).
    pub len: usize,
    /// The worst [`rel_error`] over the tensor (0 for an empty tensor).
    pub max_rel_error: f64,
    /// Flat index of the worst element (row-major, as `for_each_tensor` hands it out).
    pub worst_index: usize,
    /// The analytic gradient at the worst element.
    pub analytic: f64,
    /// The finite-difference gradient at the worst element.
    pub numeric: f64,
}

impl TensorReport {
    fn new(name: String, len: usize) -> Self {
        Self {
            name,
            len,
            max_rel_error: 0.0,
            worst_index: 0,
            analytic: 0.0,
            numeric: 0.0,
        }
    }

    fn record(&mut self, index: usize, analytic: f64, numeric: f64, floor: f64) {
        let e = rel_error(analytic, numeric, floor);
        if index == 0 || e > self.max_rel_error {
            self.max_rel_error = self.max_rel_error.max(e);
            self.worst_index = index;
            self.analytic = analytic;
            self.numeric = numeric;
        }
    }
}

/// The result of [`check`]: one entry per parameter tensor, then one for the input.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    /// The worst [`rel_error`] over every checked element.
    pub max_rel_error: f64,
    /// The number of elements checked (parameters plus inputs).
    pub checked: usize,
    /// The batch loss at the unperturbed point.
    pub loss: f64,
    /// Per-tensor results: the parameter tensors in registration order, then `input`.
    pub tensors: Vec<TensorReport>,
}

impl Report {
    /// True if every element is within `bound`.
    pub fn passes(&self, bound: f64) -> bool {
        self.max_rel_error <= bound
    }
}

/// The batch loss: [`Loss::batch_loss`] of [`Mse`] on the model's outputs.
pub fn batch_loss<M, const I: usize, const O: usize, const B: usize>(
    model: &M,
    inputs: &[[f64; I]; B],
    targets: &[[f64; O]; B],
) -> f64
where
    M: Module<[f64; I], Output = [f64; O]>,
{
    loss_of(model, &Mse, inputs, targets)
}

/// The batch loss of `loss` ([`Loss::batch_loss`]) on the model's outputs.
pub fn loss_of<M, L, const I: usize, const B: usize>(
    model: &M,
    loss: &L,
    inputs: &[[f64; I]; B],
    targets: &[L::Target; B],
) -> f64
where
    M: Module<[f64; I]>,
    L: Loss<M::Output>,
    M::Output: Data<Scalar = f64>,
{
    let outputs = inputs.map(|x| model.infer(&x));
    loss.batch_loss(&outputs, targets)
}

/// The analytic gradient of [`batch_loss`]: parameter gradients (a value of the model's
/// gradient type) and the gradient with respect to each input sample, computed as training
/// does (one forward/backward pair per sample, each sample's share of the batch mean).
pub fn analytic<M, const I: usize, const O: usize, const B: usize>(
    model: &M,
    inputs: &[[f64; I]; B],
    targets: &[[f64; O]; B],
) -> (M::Grads, [[f64; I]; B])
where
    M: Module<[f64; I], Output = [f64; O]>,
{
    analytic_loss(model, &Mse, inputs, targets)
}

/// [`analytic`] for any loss.
pub fn analytic_loss<M, L, const I: usize, const B: usize>(
    model: &M,
    loss: &L,
    inputs: &[[f64; I]; B],
    targets: &[L::Target; B],
) -> (M::Grads, [[f64; I]; B])
where
    M: Module<[f64; I]>,
    L: Loss<M::Output>,
{
    let terms = std::num::NonZeroUsize::new(B * L::TERMS).unwrap_or(std::num::NonZeroUsize::MIN);
    let mut grads = <M as Layer>::Grads::ZERO;
    let mut dx = [[0.0; I]; B];
    for ((x, t), d) in inputs.iter().zip(targets).zip(dx.iter_mut()) {
        let mut cache = M::Cache::ZERO;
        let y = model.forward(x, &mut cache);
        let dy = loss.gradient(&y, t, terms);
        *d = model.backward(&cache, &dy, &mut grads);
    }
    (grads, dx)
}

/// Every parameter of `model`, flattened in registration order.
pub fn flatten<T: skipgrad::Scalar, M: Params<T>>(model: &M) -> Vec<T> {
    let mut out = vec![T::ZERO; M::LEN];
    // The buffer has exactly `M::LEN` values.
    let _ = model.store_flat(&mut out);
    out
}

/// Every value of a gradient value of the model `M`, flattened in registration order.
pub fn flatten_grads<T: skipgrad::Scalar, M: Params<T>>(grads: &M::Grads) -> Vec<T> {
    let mut out = Vec::with_capacity(M::TRAINABLE);
    params::zip_grads::<M, Ref, T, _>(grads, |_, t| out.extend_from_slice(t));
    out
}

/// Overwrites every parameter of `model` from `values` (registration order), converting
/// through `f64`. Returns the number of values used; elements beyond `values` are untouched.
pub fn load<T: skipgrad::Scalar, M: Params<T>>(model: &mut M, values: &[f64]) -> usize {
    let mut it = values.iter();
    let mut used = 0;
    params::zip::<Mut, M, T, _>(model, |_, t| {
        for (p, v) in t.iter_mut().zip(it.by_ref()) {
            *p = T::from_f64(*v);
            used += 1;
        }
    });
    used
}

/// Applies `f` to the parameter at flat index `index` (registration order) and returns
/// what `f` returned, or `None` if the model has fewer parameters.
fn with_param<M: Params<f64>, R>(
    model: &mut M,
    index: usize,
    mut f: impl FnMut(&mut f64) -> R,
) -> Option<R> {
    let mut offset = 0;
    let mut out = None;
    params::zip::<Mut, M, f64, _>(model, |_, t| {
        if out.is_none() && index >= offset && index < offset + t.len() {
            out = t.get_mut(index - offset).map(&mut f);
        }
        offset += t.len();
    });
    out
}

/// The step for a value `p`: `step * max(1, |p|)`, rounded down to a power of two.
fn step_for(p: f64, step: f64) -> f64 {
    let s = step * p.abs().max(1.0);
    // Keep only the exponent bits: the largest power of two not above `s`.
    f64::from_bits(s.to_bits() & 0xfff0_0000_0000_0000)
}

/// Ridders' extrapolation of central differences of `loss` at `p` (see the module docs):
/// the whole tableau over steps `h, h/2, ..., h/2^(LEVELS-1)`, answering with the entry whose
/// own error estimate is smallest.
fn derivative(p: f64, step: f64, mut loss: impl FnMut(f64) -> f64) -> f64 {
    const LEVELS: usize = 10;
    let mut h = step_for(p, step);
    let mut d = |h: f64| (loss(p + h) - loss(p - h)) / (2.0 * h);
    // `prev[j]`: the previous step's row of the tableau, extrapolated `j` times.
    let mut prev = [0.0f64; LEVELS];
    let mut row = [0.0f64; LEVELS];
    prev[0] = d(h);
    let (mut best, mut best_err) = (prev[0], f64::INFINITY);
    for i in 1..LEVELS {
        h /= 2.0;
        row[0] = d(h);
        let mut fac = 4.0;
        for j in 1..=i {
            row[j] = (row[j - 1] * fac - prev[j - 1]) / (fac - 1.0);
            fac *= 4.0;
            let err = (row[j] - row[j - 1])
                .abs()
                .max((row[j] - prev[j - 1]).abs());
            if err < best_err {
                (best, best_err) = (row[j], err);
            }
        }
        prev = row;
    }
    best
}

/// Checks every parameter and input gradient of `model` on a batch with the MSE loss (see the
/// module docs).
///
/// Parameter tensors are named with PyTorch names under `prefix` (for the notebook's
/// network, `"layers"`). `model` itself is never modified: perturbations happen on a clone,
/// and each perturbed element is restored bit for bit before the next one.
pub fn check<M, const I: usize, const O: usize, const B: usize>(
    model: &M,
    inputs: &[[f64; I]; B],
    targets: &[[f64; O]; B],
    prefix: &str,
    config: &Config,
) -> Report
where
    M: Module<[f64; I], Output = [f64; O]> + Clone,
{
    check_loss(model, &Mse, inputs, targets, prefix, config)
}

/// [`check`] with any loss: the batch loss is `loss`'s [`Loss::batch_loss`], and the
/// analytic gradients are those its [`Loss::gradient`] drives.
pub fn check_loss<M, L, const I: usize, const B: usize>(
    model: &M,
    loss: &L,
    inputs: &[[f64; I]; B],
    targets: &[L::Target; B],
    prefix: &str,
    config: &Config,
) -> Report
where
    M: Module<[f64; I]> + Clone,
    M::Output: Data<Scalar = f64>,
    L: Loss<M::Output>,
{
    let (grads, dx) = analytic_loss(model, loss, inputs, targets);
    let batch = loss_of(model, loss, inputs, targets);
    let floor = config.floor * batch.abs().max(1.0);

    let mut tensors = Vec::new();
    params::visit_named_under(
        model,
        &mut ParamName::with_prefix(prefix),
        &mut |name, _, t: &[f64]| {
            tensors.push(TensorReport::new(name.as_str().to_owned(), t.len()));
        },
    );
    let analytic_params = flatten_grads::<f64, M>(&grads);

    let mut work = model.clone();
    let mut index = 0;
    for tensor in tensors.iter_mut() {
        for k in 0..tensor.len {
            let original = with_param(&mut work, index, |p| *p).unwrap_or(0.0);
            let numeric = derivative(original, config.step, |v| {
                with_param(&mut work, index, |p| *p = v);
                loss_of(&work, loss, inputs, targets)
            });
            with_param(&mut work, index, |p| *p = original);
            let a = analytic_params.get(index).copied().unwrap_or(f64::NAN);
            tensor.record(k, a, numeric, floor);
            index += 1;
        }
    }

    let mut input_report = TensorReport::new("input".to_owned(), I * B);
    let mut xs = *inputs;
    for b in 0..B {
        for i in 0..I {
            let original = xs[b][i];
            let numeric = derivative(original, config.step, |v| {
                xs[b][i] = v;
                loss_of(model, loss, &xs, targets)
            });
            xs[b][i] = original;
            input_report.record(b * I + i, dx[b][i], numeric, floor);
        }
    }
    tensors.push(input_report);

    Report {
        max_rel_error: tensors.iter().map(|t| t.max_rel_error).fold(0.0, f64::max),
        checked: index + I * B,
        loss: batch,
        tensors,
    }
}

/// How far the `f32` path is from the `f64` path on the same model and batch.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct F32Agreement {
    /// `max |g32 - g64| / max(max |g64|, floor)` over every parameter and input gradient
    /// (a normwise relative error in the infinity norm).
    pub gradient: f64,
    /// The same measure for the outputs of the batch.
    pub output: f64,
}

/// Runs the analytic forward/backward of `model` in `f64` and of `M32` (the same network
/// type in `f32`, with every weight, input and target rounded to `f32`) and measures the
/// normwise relative difference of their gradients and outputs (see [`F32Agreement`]).
pub fn f32_agreement<M, M32, const I: usize, const O: usize, const B: usize>(
    model: &M,
    inputs: &[[f64; I]; B],
    targets: &[[f64; O]; B],
    floor: f64,
) -> F32Agreement
where
    M: Module<[f64; I], Output = [f64; O]>,
    M32: Module<[f32; I], Output = [f32; O]> + Zeroed,
{
    let mut m32 = M32::ZERO;
    load(&mut m32, &flatten(model));
    let x32 = inputs.map(|x| x.map(|v| v as f32));
    let t32 = targets.map(|t| t.map(|v| v as f32));
    let terms = std::num::NonZeroUsize::new(B * O).unwrap_or(std::num::NonZeroUsize::MIN);

    let (g64, dx64) = analytic(model, inputs, targets);
    let mut g32 = <M32 as Layer>::Grads::ZERO;
    let mut dx32 = [[0.0f32; I]; B];
    let mut y32 = [[0.0f32; O]; B];
    for (((x, t), d), y) in x32
        .iter()
        .zip(&t32)
        .zip(dx32.iter_mut())
        .zip(y32.iter_mut())
    {
        let mut cache = M32::Cache::ZERO;
        *y = m32.forward(x, &mut cache);
        let dy = Mse.gradient(y, t, terms);
        *d = m32.backward(&cache, &dy, &mut g32);
    }
    let y64 = inputs.map(|x| model.infer(&x));

    let mut a: Vec<f64> = flatten_grads::<f64, M>(&g64);
    a.extend(dx64.as_flattened());
    let mut b: Vec<f64> = flatten_grads::<f32, M32>(&g32)
        .into_iter()
        .map(f64::from)
        .collect();
    b.extend(dx32.as_flattened().iter().map(|v| f64::from(*v)));
    let y64: Vec<f64> = y64.as_flattened().to_vec();
    let y32: Vec<f64> = y32.as_flattened().iter().map(|v| f64::from(*v)).collect();
    F32Agreement {
        gradient: normwise(&a, &b, floor),
        output: normwise(&y64, &y32, floor),
    }
}

/// `max |a - b| / max(max |a|, floor)`; `+inf` if anything is NaN.
fn normwise(reference: &[f64], other: &[f64], floor: f64) -> f64 {
    let scale = reference.iter().fold(floor, |m, v| m.max(v.abs()));
    let mut worst = 0.0f64;
    for (r, o) in reference.iter().zip(other) {
        let e = (r - o).abs();
        if e.is_nan() {
            return f64::INFINITY;
        }
        worst = worst.max(e);
    }
    worst / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::{Gelu, Linear, Residual, TorchInit};

    #[test]
    fn rel_error_table() {
        let cases: [(f64, f64, f64, f64); 6] = [
            (1.0, 1.0, 1e-3, 0.0),
            (1.0, 1.1, 1e-3, 0.1 / 1.1),
            (-2.0, 2.0, 1e-3, 2.0),
            (1e-9, 2e-9, 1e-3, 1e-6),
            (0.0, 0.0, 1e-3, 0.0),
            (f64::NAN, 1.0, 1e-3, f64::INFINITY),
        ];
        for (a, n, floor, want) in cases {
            let got = rel_error(a, n, floor);
            assert!(
                (got - want).abs() <= 1e-15 * want.abs().max(1.0) || got == want,
                "rel_error({a}, {n}, {floor}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn step_is_a_power_of_two_scaled_by_magnitude() {
        let cases: [(f64, f64); 5] = [
            (0.0, 1.0 / 1024.0),
            (0.5, 1.0 / 1024.0),
            (-1.0, 1.0 / 1024.0),
            (3.0, 2.0 / 1024.0),
            (-1000.0, 512.0 / 1024.0),
        ];
        for (p, want) in cases {
            assert_eq!(step_for(p, 1.0 / 1024.0), want, "p = {p}");
        }
    }

    #[test]
    fn richardson_is_exact_on_a_sextic() {
        // Two levels cancel the h^2 and h^4 terms, so a polynomial of degree 6 (whose 7th
        // derivative is 0) is differentiated up to rounding.
        let f = |x: f64| 2.0 * x.powi(6) + x.powi(4) - 3.0 * x.powi(3) + x;
        let d = derivative(0.7, 1.0 / 64.0, f);
        let want = 12.0 * 0.7f64.powi(5) + 4.0 * 0.7f64.powi(3) - 9.0 * 0.49 + 1.0;
        assert!((d - want).abs() < 1e-12, "{d} vs {want}");
    }

    type Net = (
        Linear<f64, 3, 4>,
        Gelu,
        Residual<(Linear<f64, 4, 4>, Gelu)>,
        Linear<f64, 4, 2>,
    );

    fn net() -> Net {
        Params::torch_init(&mut TorchInit::new(5))
    }

    const X: [[f64; 3]; 2] = [[1.0, 0.0, -1.0], [0.5, -2.0, 0.25]];
    const T: [[f64; 2]; 2] = [[0.0, 1.0], [-0.5, 0.3]];

    #[test]
    fn passes_on_a_correct_network_and_leaves_it_untouched() {
        let model = net();
        let before = flatten(&model);
        let r = check(&model, &X, &T, "net", &Config::default());
        assert!(r.passes(BOUND), "{r:#?}");
        assert_eq!(r.checked, <Net as Params<f64>>::LEN + 6);
        let names: Vec<&str> = r.tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "net.0.weight",
                "net.0.bias",
                "net.2.0.weight",
                "net.2.0.bias",
                "net.3.weight",
                "net.3.bias",
                "input"
            ]
        );
        let after = flatten(&model);
        assert!(before
            .iter()
            .zip(&after)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    /// A layer whose backward is deliberately wrong in one place must be caught.
    #[derive(Clone, Debug)]
    struct Broken(Linear<f64, 3, 2>);

    impl Zeroed for Broken {
        const ZERO: Self = Broken(Linear::ZERO);
    }

    impl Layer for Broken {
        type Grads = Self;
    }

    impl Params<f64> for Broken {
        skipgrad::params!(f64; child 0);
    }

    impl Module<[f64; 3]> for Broken {
        type Output = [f64; 2];
        type Cache = [f64; 3];
        fn forward(&self, x: &[f64; 3], c: &mut [f64; 3]) -> [f64; 2] {
            self.0.forward(x, c)
        }
        fn backward(&self, c: &[f64; 3], dy: &[f64; 2], g: &mut Self) -> [f64; 3] {
            let dx = self.0.backward(c, dy, &mut g.0);
            g.0.bias[1] *= 1.0 + 1e-5;
            dx
        }
    }

    #[test]
    fn catches_a_relative_gradient_error_of_1e_5() {
        let model = Broken(Linear::new(
            [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]],
            [0.1, 0.2],
        ));
        let r = check(
            &model,
            &X,
            &[[3.0, -4.0], [2.0, 1.0]],
            "",
            &Config::default(),
        );
        assert!(!r.passes(BOUND), "{r:#?}");
        let worst = r
            .tensors
            .iter()
            .max_by(|a, b| a.max_rel_error.total_cmp(&b.max_rel_error))
            .map(|t| (t.name.as_str(), t.worst_index));
        assert_eq!(worst, Some(("bias", 1)));
    }

    #[test]
    #[cfg_attr(feature = "micromath", ignore = "micromath's tanh is 1e-3 from f64's")]
    fn f32_agreement_of_identical_paths_is_small() {
        let model = net();
        let a = f32_agreement::<
            Net,
            (
                Linear<f32, 3, 4>,
                Gelu,
                Residual<(Linear<f32, 4, 4>, Gelu)>,
                Linear<f32, 4, 2>,
            ),
            3,
            2,
            2,
        >(&model, &X, &T, 1e-3);
        assert!(a.gradient < 1e-5 && a.output < 1e-5, "{a:?}");
        assert!(
            a.gradient > 0.0,
            "the f32 path should differ from f64 at all: {a:?}"
        );
    }
}
