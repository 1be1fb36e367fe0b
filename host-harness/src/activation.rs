//! The activations the harness offers (`skipgrad train --activation`, `skipgrad exhaustive
//! --activation`), and [`Activation`]: a layer that runs the one chosen at run time.
//!
//! Each core activation is its own zero-sized type, so a network generic over its activation
//! is compiled once per activation. `train` composes depth, width, shortcuts, normalisation
//! and loss as types already; [`Activation`] keeps the activation out of that product: one
//! compiled network runs all seven, each element through a `match` on the chosen kind,
//! with exactly the arithmetic (and so the bits) of the core type it dispatches to.

use skipgrad::layer::activation::ElementWise;
use skipgrad::{Float, Gelu, GeluErf, LeakyRelu, Relu, Sigmoid, Silu, Tanh};

/// An activation of the core, by its command-line name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivationKind {
    /// The notebook's GELU, tanh approximation ([`Gelu`]).
    #[default]
    GeluTanh,
    /// The exact GELU, through `erf` ([`GeluErf`]).
    Gelu,
    /// [`Relu`].
    Relu,
    /// [`LeakyRelu`] with PyTorch's default slope, 0.01.
    LeakyRelu,
    /// [`Sigmoid`].
    Sigmoid,
    /// [`Tanh`].
    Tanh,
    /// [`Silu`].
    Silu,
}

impl ActivationKind {
    /// Every activation, in the order of the command-line help.
    pub const ALL: [ActivationKind; 7] = [
        ActivationKind::GeluTanh,
        ActivationKind::Gelu,
        ActivationKind::Relu,
        ActivationKind::LeakyRelu,
        ActivationKind::Sigmoid,
        ActivationKind::Tanh,
        ActivationKind::Silu,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ActivationKind::GeluTanh => "gelu-tanh",
            ActivationKind::Gelu => "gelu",
            ActivationKind::Relu => "relu",
            ActivationKind::LeakyRelu => "leaky-relu",
            ActivationKind::Sigmoid => "sigmoid",
            ActivationKind::Tanh => "tanh",
            ActivationKind::Silu => "silu",
        }
    }

    /// The name in prose and plot titles.
    pub fn title(self) -> &'static str {
        match self {
            ActivationKind::GeluTanh => "GELU (tanh)",
            ActivationKind::Gelu => "GELU",
            ActivationKind::Relu => "ReLU",
            ActivationKind::LeakyRelu => "LeakyReLU",
            ActivationKind::Sigmoid => "sigmoid",
            ActivationKind::Tanh => "tanh",
            ActivationKind::Silu => "SiLU",
        }
    }
}

/// A layer applying the activation of its kind: [`ElementWise`] by a `match`, and a
/// [`Module`](skipgrad::Module) through [`skipgrad::activation!`]. Its zero value (what
/// [`Params::torch_init`](skipgrad::Params::torch_init) starts from) is the notebook's GELU;
/// [`Configure`](crate::network::Configure) sets every activation of a network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Activation(pub ActivationKind);

skipgrad::activation!(Activation = Activation(ActivationKind::GeluTanh));

impl<T: Float> ElementWise<T> for Activation {
    #[inline]
    fn value(&self, x: T) -> T {
        match self.0 {
            ActivationKind::GeluTanh => Gelu.value(x),
            ActivationKind::Gelu => GeluErf.value(x),
            ActivationKind::Relu => Relu.value(x),
            ActivationKind::LeakyRelu => LeakyRelu::<1, 100>.value(x),
            ActivationKind::Sigmoid => Sigmoid.value(x),
            ActivationKind::Tanh => Tanh.value(x),
            ActivationKind::Silu => Silu.value(x),
        }
    }

    #[inline]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        match self.0 {
            ActivationKind::GeluTanh => Gelu.value_and_derivative(x),
            ActivationKind::Gelu => GeluErf.value_and_derivative(x),
            ActivationKind::Relu => Relu.value_and_derivative(x),
            ActivationKind::LeakyRelu => LeakyRelu::<1, 100>.value_and_derivative(x),
            ActivationKind::Sigmoid => Sigmoid.value_and_derivative(x),
            ActivationKind::Tanh => Tanh.value_and_derivative(x),
            ActivationKind::Silu => Silu.value_and_derivative(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::Module;

    /// Each kind gives the bits of its core type, value and derivative, through the layer.
    #[test]
    fn dispatch_gives_the_core_types_bits() {
        fn core<A: ElementWise<f32>>(a: A, x: f32) -> (u32, u32) {
            let (v, d) = a.value_and_derivative(x);
            (v.to_bits(), d.to_bits())
        }
        let xs = [-7.5f32, -1.0, -0.3, 0.0, 0.7, 2.0, 30.0];
        for kind in ActivationKind::ALL {
            for x in xs {
                let want = match kind {
                    ActivationKind::GeluTanh => core(Gelu, x),
                    ActivationKind::Gelu => core(GeluErf, x),
                    ActivationKind::Relu => core(Relu, x),
                    ActivationKind::LeakyRelu => core(LeakyRelu::<1, 100>, x),
                    ActivationKind::Sigmoid => core(Sigmoid, x),
                    ActivationKind::Tanh => core(Tanh, x),
                    ActivationKind::Silu => core(Silu, x),
                };
                let a = Activation(kind);
                let mut cache = [0.0f32];
                let y = a.forward(&[x], &mut cache);
                assert_eq!(
                    (y[0].to_bits(), cache[0].to_bits()),
                    want,
                    "{kind:?} at {x}"
                );
            }
        }
    }

    #[test]
    fn names_are_the_command_line_names() {
        use clap::ValueEnum;
        for kind in ActivationKind::ALL {
            assert_eq!(ActivationKind::from_str(kind.name(), false), Ok(kind));
        }
    }
}
