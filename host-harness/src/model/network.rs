//! The network a model spec builds: an input layer, `D` hidden blocks of width `W` (a
//! [`Norm`](super::norm::Norm) row's block inside a run-time [`Shortcut`]) and an output
//! layer of `O` outputs, in a number type `T`.
//!
//! Depth, width, normalisation, the outputs and the number type are types (const generics),
//! so each combination is compiled separately. The activation ([`Activation`]) and the
//! shortcut ([`Shortcut`]) are chosen at run time, in one compiled network: the seven
//! activations and both variants would otherwise multiply the compiled networks by 14.
//! Both compute exactly what their core counterparts (`Gelu`, `Residual`, ...) compute, bit
//! for bit, and add no tensor name, so a network's tensors are named as the `nn.Sequential`
//! of `tools/skipgrad_torch.py` names them (`0.0.weight`, `1.3.0.bias`, `2.weight`).

use skipgrad::{Flat, Layer, LayerNorm, Linear, Module, Params, Scalar, Zeroed};

use super::activation::{Activation, ActivationKind};
use super::number::TrainNumber;

/// A block with a shortcut that is switched at run time: `y = x + block(x)` when `on`, as
/// [`Residual`](skipgrad::Residual) computes it, and `y = block(x)` otherwise. Like the
/// notebook's model, whose shortcut is an `if` in `forward`; it adds no name segment.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Shortcut<M> {
    /// The block.
    pub block: M,
    /// Whether the block's input is added to its output.
    pub on: bool,
}

impl<M: Zeroed> Zeroed for Shortcut<M> {
    const ZERO: Self = Shortcut {
        block: M::ZERO,
        on: true,
    };
}

impl<M: Layer> Layer for Shortcut<M> {
    type Grads = Shortcut<M::Grads>;
}

impl<T: Scalar, M: Params<T>> Params<T> for Shortcut<M> {
    skipgrad::params!(T; child block);
}

/// `y += x` element-wise when the shortcut is on.
#[inline]
fn add<X: Flat>(on: bool, y: &mut X, x: &X) {
    if on {
        for (y, x) in y.values_mut().iter_mut().zip(x.values()) {
            *y = *x + *y;
        }
    }
}

impl<X: Flat, M: Module<X, Output = X>> Module<X> for Shortcut<M> {
    type Output = X;
    type Cache = M::Cache;

    #[inline]
    fn forward(&self, x: &X, cache: &mut M::Cache) -> X {
        let mut y = self.block.forward(x, cache);
        add(self.on, &mut y, x);
        y
    }

    #[inline]
    fn infer(&self, x: &X) -> X {
        let mut y = self.block.infer(x);
        add(self.on, &mut y, x);
        y
    }

    #[inline]
    fn backward(&self, cache: &M::Cache, dy: &X, grads: &mut Shortcut<M::Grads>) -> X {
        let mut dx = self.block.backward(cache, dy, &mut grads.block);
        add(self.on, &mut dx, dy);
        dx
    }
}

skipgrad::batch_by_sample!(impl[X: Flat, M: Module<X, Output = X>] Shortcut<M>, X);

/// Sets what a network chooses at run time: every [`Activation`] to one kind and every
/// [`Shortcut`] on or off (layers with parameters are untouched).
pub trait Configure {
    /// Sets every activation to `kind` and every shortcut to `shortcut`.
    fn configure(&mut self, kind: ActivationKind, shortcut: bool);
}

impl Configure for Activation {
    fn configure(&mut self, kind: ActivationKind, _: bool) {
        self.0 = kind;
    }
}

impl<T, const I: usize, const O: usize> Configure for Linear<T, I, O> {
    fn configure(&mut self, _: ActivationKind, _: bool) {}
}

impl<T, const N: usize> Configure for LayerNorm<T, N> {
    fn configure(&mut self, _: ActivationKind, _: bool) {}
}

impl<M: Configure> Configure for Shortcut<M> {
    fn configure(&mut self, kind: ActivationKind, shortcut: bool) {
        self.on = shortcut;
        self.block.configure(kind, shortcut);
    }
}

impl<M: Configure, const D: usize> Configure for [M; D] {
    fn configure(&mut self, kind: ActivationKind, shortcut: bool) {
        self.iter_mut().for_each(|m| m.configure(kind, shortcut));
    }
}

macro_rules! configure_tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Configure),+> Configure for ($($t,)+) {
            fn configure(&mut self, kind: ActivationKind, shortcut: bool) {
                $(self.$i.configure(kind, shortcut);)+
            }
        }
    };
}

configure_tuple!(A 0, B 1);
configure_tuple!(A 0, B 1, C 2);

/// The network: input layer `(Linear<I, W>, activation)`, `D` blocks `B`, output layer
/// `Linear<W, O>`, in `T`.
pub type Net<T, const I: usize, const W: usize, const D: usize, B, const O: usize> =
    ((Linear<T, I, W>, Activation), [B; D], Linear<T, W, O>);

/// The network of `--norm none` (the notebook's kind of block).
pub type BlockNet<T, const I: usize, const W: usize, const D: usize, const O: usize> =
    Net<T, I, W, D, <super::norm::block::None as super::norm::Norm>::Block<T, W>, O>;

/// What the model dispatch hands a visitor: a network in `T` from `I` inputs to `O` outputs,
/// its weights initialised, loaded and saved by its parameter walk, its activation and
/// shortcuts set by [`Configure`].
pub trait Network<T: TrainNumber, const I: usize, const O: usize>:
    Module<[T; I], Output = [T; O]>
    + Params<T>
    + Zeroed
    + Configure
    + Clone
    + PartialEq
    + Send
    + Sync
    + 'static
{
}

impl<T: TrainNumber, const I: usize, const O: usize, M> Network<T, I, O> for M where
    M: Module<[T; I], Output = [T; O]>
        + Params<T>
        + Zeroed
        + Configure
        + Clone
        + PartialEq
        + Send
        + Sync
        + 'static
{
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::{Gelu, Relu, Residual, TorchInit};

    type Block<T, const W: usize> = Shortcut<(Linear<T, W, W>, Activation)>;

    /// The run-time shortcut and activation compute what `Residual` and `Gelu` compute, bit
    /// for bit, with the same names and initial weights; off, they compute the plain block.
    #[test]
    fn matches_the_core_types() {
        type Ours = Net<f32, 2, 4, 3, Block<f32, 4>, 1>;
        type Core = (
            (Linear<f32, 2, 4>, Gelu),
            [Residual<(Linear<f32, 4, 4>, Gelu)>; 3],
            Linear<f32, 4, 1>,
        );
        type Plain = (
            (Linear<f32, 2, 4>, Gelu),
            [(Linear<f32, 4, 4>, Gelu); 3],
            Linear<f32, 4, 1>,
        );
        let mut ours: Ours = Params::torch_init(&mut TorchInit::new(3));
        ours.configure(ActivationKind::GeluTanh, true);
        let core: Core = Params::torch_init(&mut TorchInit::new(3));
        let plain: Plain = Params::torch_init(&mut TorchInit::new(3));
        assert_eq!(ours.weights_hash(), core.weights_hash());
        let mut names = Vec::new();
        skipgrad::params::visit_shapes::<Ours, f32, _>(|name, _| names.push(name.to_string()));
        let mut want = Vec::new();
        skipgrad::params::visit_shapes::<Core, f32, _>(|name, _| want.push(name.to_string()));
        assert_eq!(names, want);
        let x = [0.5f32, -1.25];
        let (mut c1, mut c2) = (Zeroed::ZERO, Zeroed::ZERO);
        let y = ours.forward(&x, &mut c1);
        assert_eq!(y, core.forward(&x, &mut c2));
        let (mut g1, mut g2) = (<Ours as Layer>::Grads::ZERO, Core::ZERO);
        let dx1 = ours.backward(&c1, &[1.5], &mut g1);
        let dx2 = core.backward(&c2, &[1.5], &mut g2);
        assert_eq!(dx1, dx2);
        let (mut f1, mut f2) = (Vec::new(), Vec::new());
        skipgrad::params::zip_grads::<Ours, skipgrad::params::Ref, f32, _>(&g1, |_, t| {
            f1.extend_from_slice(t)
        });
        skipgrad::params::zip_grads::<Core, skipgrad::params::Ref, f32, _>(&g2, |_, t| {
            f2.extend_from_slice(t)
        });
        assert_eq!(f1, f2);
        ours.configure(ActivationKind::GeluTanh, false);
        assert_eq!(ours.infer(&x), plain.infer(&x));
    }

    /// The digits network with ReLU and a shortcut is the digits crate's `Net`: the same
    /// names, initial weights and outputs, bit for bit.
    #[test]
    fn matches_the_digits_network() {
        type Ours = Net<f32, 64, 32, 1, Block<f32, 32>, 10>;
        let mut ours: Ours = Params::torch_init(&mut TorchInit::new(0));
        ours.configure(ActivationKind::Relu, true);
        let theirs: skipgrad_digits::Net = Params::torch_init(&mut TorchInit::new(0));
        assert_eq!(ours.weights_hash(), theirs.weights_hash());
        let x: [f32; 64] = core::array::from_fn(|i| (i % 17) as f32 / 16.0);
        assert_eq!(ours.infer(&x), theirs.infer(&x));
        let _: (Linear<f32, 64, 32>, Relu) = theirs.0;
    }
}
