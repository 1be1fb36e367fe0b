//! The network `skipgrad train` composes from its parts: an input layer, `D` hidden blocks of
//! width `W` (each `Linear` + activation, optionally after a `LayerNorm`, optionally around a
//! shortcut) and an output layer of `O` outputs (1, or 2 logits for cross-entropy).
//!
//! Depth, width, normalisation and the number of outputs are types (const generics), so each
//! combination is compiled separately. The activation ([`Activation`]) and the shortcut
//! ([`Shortcut`]) are chosen at run time, in one compiled network: the seven activations and
//! both variants would otherwise multiply the compiled networks by 14. Both compute exactly
//! what their core counterparts (`Gelu`, `Residual`, ...) compute, bit for bit.

use skipgrad::{Flat, Layer, LayerNorm, Linear, Module, Params, Scalar, Zeroed};

use crate::activation::{Activation, ActivationKind};
use crate::loss::LossKind;

/// Normalisation in the hidden blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NormKind {
    /// None: each block is `Linear` + activation.
    #[default]
    None,
    /// `LayerNorm` first in each block, inside its shortcut (pre-norm).
    Layer,
}

impl NormKind {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            NormKind::None => "none",
            NormKind::Layer => "layer",
        }
    }
}

/// The parts of the network and its loss: `skipgrad train`'s `--activation`, `--loss` and
/// `--norm`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::Args, serde::Serialize)]
pub struct Parts {
    /// The activation after every hidden `Linear` (and the input layer's).
    #[arg(long, value_enum, default_value_t = ActivationKind::GeluTanh)]
    pub activation: ActivationKind,
    /// The loss (cross-entropy and bce need --task moons).
    #[arg(long, value_enum, default_value_t = LossKind::Mse)]
    pub loss: LossKind,
    /// `layer`: a LayerNorm before each hidden block, inside its shortcut.
    #[arg(long, value_enum, default_value_t = NormKind::None)]
    pub norm: NormKind,
}

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

/// A hidden block without normalisation: `nn.Sequential(nn.Linear(W, W), activation)`.
pub type Block<const W: usize> = Shortcut<(Linear<f32, W, W>, Activation)>;
/// A hidden block with `LayerNorm` first, inside the shortcut.
pub type NormBlock<const W: usize> = Shortcut<(LayerNorm<f32, W>, Linear<f32, W, W>, Activation)>;
/// The network: input layer `(Linear<I, W>, activation)`, `D` blocks `B`, output layer
/// `Linear<W, O>`.
pub type Net<const I: usize, const W: usize, const D: usize, B, const O: usize> =
    ((Linear<f32, I, W>, Activation), [B; D], Linear<f32, W, O>);

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::{Gelu, Residual, TorchInit};

    /// The run-time shortcut and activation compute what `Residual` and `Gelu` compute, bit
    /// for bit, with the same names and initial weights; off, they compute the plain block.
    #[test]
    fn matches_the_core_types() {
        type Ours = Net<2, 4, 3, Block<4>, 1>;
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
}
