//! The activations the harness offers (`--activation` of `train`, `convert`, `import` and
//! `exhaustive`), one row each, and [`Activation`]: a layer that runs the one chosen at run
//! time.
//!
//! A row is the command-line name, the title, the core type, the number types the core
//! computes it in, and the bounds its `f32` value and derivative keep over every finite
//! `f32` (`skipgrad exhaustive`). Exposing a new element-wise activation of the core is one
//! row here: the flags, the help, the names in JSON, the run-time layer in every number
//! type, the check that it exists in the run's number type and the exhaustive scan all
//! follow from it.
//!
//! The bounds are about 1.5 times the worst error measured. The notebook's GELU
//! (`gelu-tanh`) and the `tanh` value keep `exhaustive-gelu`'s bounds
//! ([`crate::exhaustive::VALUE_MIXED_BOUND`], [`crate::exhaustive::DERIVATIVE_MIXED_BOUND`],
//! [`crate::exhaustive::TANH_ULP_BOUND`]), measured over every finite `f32`. The others were
//! measured over every finite `f32` too (`skipgrad exhaustive --activation all`,
//! 4,278,190,080 inputs each, every value and derivative finite; 987 s on 2 cores), worst
//! error (unit) at input:
//!
//! | activation | value | derivative |
//! |---|---|---|
//! | `gelu` | 1.630 mixed at `0x3f921497` | 1.912 mixed at `0x3f3c3e48` |
//! | `relu` | 0 ulp | 0 ulp |
//! | `leaky-relu` | 0.840 ulp at `0xc2b55566` | 0.240 ulp (the `f32` slope) |
//! | `sigmoid` | 2.402 ulp at `0xc085088d` | 4.616 ulp at `0x405bc0fc` |
//! | `tanh` | 1.513 ulp at `0x3f0d3083` | 2.232 mixed at `0x3f5ebd74` |
//! | `silu` | 1.494 mixed at `0x41000247` | 3.024 mixed at `0x3fa1009d` |
//!
//! Mixed units ([`Bound::Mixed`]) where the function crosses zero (GELU, SiLU, their
//! derivatives) or cancels (`1 - tanh^2` near saturation); ulp ([`Bound::Ulp`]) elsewhere.
//! `host-harness/tests/cli.rs` runs a sample of every row against its bounds in CI.
//!
//! Each core activation is its own zero-sized type, so a network generic over its activation
//! would be compiled once per activation. [`Activation`] keeps the activation out of the
//! product of compiled networks: one network runs them all, each element through a `match`
//! on the chosen kind, with exactly the arithmetic (and so the bits) of the core type it
//! dispatches to.

use skipgrad::layer::activation::ElementWise;
use skipgrad::{Gelu, GeluErf, LeakyRelu, Relu, Scalar, Sigmoid, Silu, Tanh, Zeroed, Q16};

use super::number::Number;
use super::table::{choice, if_in};

/// Declares the activations from their rows (see the [module](self)).
macro_rules! activations {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $cli:literal, $title:literal, $core:expr, [$($number:ident),+],
            bounds $value:ident($v:expr), $derivative:ident($d:expr);
    )+) => {
        choice! {
            /// An activation of the core, by its command-line name.
            pub enum ActivationKind {
                $( $(#[doc = $doc])* $variant = $cli, $title; )+
            }
        }

        impl ActivationKind {
            /// The number types the core computes this activation in.
            pub fn numbers(self) -> &'static [Number] {
                match self {
                    $(ActivationKind::$variant => &[$(Number::$number),+],)+
                }
            }

            /// The bounds of the `f32` value and derivative over every finite `f32`.
            pub fn bounds(self) -> Bounds {
                match self {
                    $(ActivationKind::$variant => Bounds {
                        value: Bound::$value($v),
                        derivative: Bound::$derivative($d),
                    },)+
                }
            }

            /// Calls `v` with the core type (every activation exists in `f32` and `f64`).
            pub fn visit<V: VisitActivation>(self, v: V) -> V::Output {
                match self {
                    $(ActivationKind::$variant => v.visit($core),)+
                }
            }
        }

        activations!(@number f32, F32; $($variant $core, [$($number),+];)+);
        activations!(@number f64, F64; $($variant $core, [$($number),+];)+);
        activations!(@number Q16, Q16; $($variant $core, [$($number),+];)+);
    };
    (@number $t:ty, $n:ident; $($variant:ident $core:expr, [$($number:ident),+];)+) => {
        impl Activations for $t {
            #[inline]
            fn activation(kind: ActivationKind, x: $t) -> $t {
                match kind {
                    $(ActivationKind::$variant => if_in!($n [$($number),+] {
                        ElementWise::<$t>::value(&$core, x)
                    } {
                        unavailable::<$t>()
                    }),)+
                }
            }

            #[inline]
            fn activation_and_derivative(kind: ActivationKind, x: $t) -> ($t, $t) {
                match kind {
                    $(ActivationKind::$variant => if_in!($n [$($number),+] {
                        ElementWise::<$t>::value_and_derivative(&$core, x)
                    } {
                        (unavailable::<$t>(), <$t as Zeroed>::ZERO)
                    }),)+
                }
            }
        }
    };
}

activations! {
    /// The notebook's GELU, tanh approximation.
    GeluTanh = "gelu-tanh", "GELU (tanh)", Gelu, [F32, F64, Q16],
        bounds Mixed(2.0), Mixed(10.0);
    /// The exact GELU, through erf.
    Gelu = "gelu", "GELU", GeluErf, [F32, F64],
        bounds Mixed(2.4), Mixed(2.7);
    /// ReLU.
    Relu = "relu", "ReLU", Relu, [F32, F64, Q16],
        bounds Ulp(0.0), Ulp(0.0);
    /// LeakyReLU with PyTorch's default slope, 0.01.
    LeakyRelu = "leaky-relu", "LeakyReLU", LeakyRelu::<1, 100>, [F32, F64, Q16],
        bounds Ulp(1.3), Ulp(0.36);
    /// The logistic sigmoid.
    Sigmoid = "sigmoid", "sigmoid", Sigmoid, [F32, F64, Q16],
        bounds Ulp(3.6), Ulp(6.7);
    /// The hyperbolic tangent.
    Tanh = "tanh", "tanh", Tanh, [F32, F64, Q16],
        bounds Ulp(1.6), Mixed(3.4);
    /// SiLU (swish): x sigmoid(x).
    Silu = "silu", "SiLU", Silu, [F32, F64],
        bounds Mixed(2.3), Mixed(4.5);
}

impl Default for ActivationKind {
    /// The notebook's.
    fn default() -> Self {
        ActivationKind::GeluTanh
    }
}

impl ActivationKind {
    /// True if the core computes this activation in `number`.
    pub fn exists_in(self, number: Number) -> bool {
        self.numbers().contains(&number)
    }
}

/// The figure an activation's bound applies to, and the bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// Error in ulp of the `f32` result: for functions that neither cross zero nor cancel.
    Ulp(f64),
    /// Error in units of `max(ulp(result), 2^-24)`: where the function crosses zero or
    /// cancels (see [`crate::exhaustive`]).
    Mixed(f64),
}

impl Bound {
    /// The bound.
    pub fn limit(&self) -> f64 {
        match self {
            Bound::Ulp(b) | Bound::Mixed(b) => *b,
        }
    }

    /// The unit, as printed.
    pub fn unit(&self) -> &'static str {
        match self {
            Bound::Ulp(_) => "ulp",
            Bound::Mixed(_) => "units",
        }
    }
}

/// An activation's bounds over every finite `f32`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// On the value.
    pub value: Bound,
    /// On the derivative.
    pub derivative: Bound,
}

/// What to do with an activation: called with its core type.
pub trait VisitActivation {
    /// The result.
    type Output;
    /// Runs with the core activation `a`.
    fn visit<A>(self, a: A) -> Self::Output
    where
        A: ElementWise<f32> + ElementWise<f64> + Copy + Send + Sync + 'static;
}

/// The table's activations computed in a number type; an activation that does not exist in
/// it is never asked for (the model spec refuses it) and gives a non-finite value, which a
/// training step refuses.
pub trait Activations: Scalar {
    /// The activation `kind` at `x`.
    fn activation(kind: ActivationKind, x: Self) -> Self;
    /// The activation `kind` and its derivative at `x`.
    fn activation_and_derivative(kind: ActivationKind, x: Self) -> (Self, Self);
}

/// A value that is not finite in `T` (an infinity, or a rail in fixed point).
fn unavailable<T: Scalar>() -> T {
    T::from_f64(f64::INFINITY)
}

/// A layer applying the activation of its kind: [`ElementWise`] by a `match`, and a
/// [`Module`](skipgrad::Module) through [`skipgrad::activation!`]. Its zero value (what
/// [`Params::torch_init`](skipgrad::Params::torch_init) starts from) is the notebook's GELU;
/// [`Configure`](crate::model::network::Configure) sets every activation of a network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Activation(pub ActivationKind);

skipgrad::activation!(Activation = Activation(ActivationKind::GeluTanh));

impl<T: Activations> ElementWise<T> for Activation {
    #[inline]
    fn value(&self, x: T) -> T {
        T::activation(self.0, x)
    }

    #[inline]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        T::activation_and_derivative(self.0, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::Module;

    /// The core type's value and derivative at `x`, and the layer's, as bits, in `f32` and
    /// in `f64`.
    struct Bits {
        x: f64,
        kind: ActivationKind,
    }

    type Pair = (u64, u64);

    impl VisitActivation for Bits {
        type Output = [(Pair, Pair); 2];
        fn visit<A>(self, a: A) -> Self::Output
        where
            A: ElementWise<f32> + ElementWise<f64> + Copy + Send + Sync + 'static,
        {
            fn bits<T: Activations>(core: (T, T), layer: Activation, x: T) -> (Pair, Pair) {
                let mut cache = [T::ZERO];
                let y = layer.forward(&[x], &mut cache);
                (
                    (core.0.to_bits(), core.1.to_bits()),
                    (y[0].to_bits(), cache[0].to_bits()),
                )
            }
            let (x32, layer) = (self.x as f32, Activation(self.kind));
            [
                bits(
                    ElementWise::<f32>::value_and_derivative(&a, x32),
                    layer,
                    x32,
                ),
                bits(
                    ElementWise::<f64>::value_and_derivative(&a, self.x),
                    layer,
                    self.x,
                ),
            ]
        }
    }

    /// Each kind gives the bits of its core type, value and derivative, through the layer,
    /// in f32 and f64.
    #[test]
    fn dispatch_gives_the_core_types_bits() {
        for kind in ActivationKind::ALL {
            for x in [-7.5, -1.0, -0.3, 0.0, 0.7, 2.0, 30.0] {
                for (core, layer) in kind.visit(Bits { x, kind }) {
                    assert_eq!(core, layer, "{kind:?} at {x}");
                }
            }
        }
    }

    /// In Q16.16, the kinds that exist give the core's bits; the others are refused by the
    /// spec, and would give a rail.
    #[test]
    fn q16_has_the_rows_that_say_so() {
        let x = Q16::from_f64(0.75);
        let cases: [(ActivationKind, Option<(Q16, Q16)>); 7] = [
            (ActivationKind::GeluTanh, Some(Gelu.value_and_derivative(x))),
            (ActivationKind::Gelu, None),
            (ActivationKind::Relu, Some(Relu.value_and_derivative(x))),
            (
                ActivationKind::LeakyRelu,
                Some(LeakyRelu::<1, 100>.value_and_derivative(x)),
            ),
            (
                ActivationKind::Sigmoid,
                Some(Sigmoid.value_and_derivative(x)),
            ),
            (ActivationKind::Tanh, Some(Tanh.value_and_derivative(x))),
            (ActivationKind::Silu, None),
        ];
        for (kind, want) in cases {
            assert_eq!(kind.exists_in(Number::Q16), want.is_some(), "{kind:?}");
            let got = Activation(kind).value_and_derivative(x);
            match want {
                Some(want) => assert_eq!(got, want, "{kind:?}"),
                None => assert!(!got.0.is_finite(), "{kind:?}"),
            }
        }
    }

    /// The rows of the notebook's GELU and of tanh keep `exhaustive-gelu`'s bounds.
    #[test]
    fn gelu_and_tanh_keep_exhaustive_gelus_bounds() {
        use crate::exhaustive::{DERIVATIVE_MIXED_BOUND, TANH_ULP_BOUND, VALUE_MIXED_BOUND};
        let gelu = ActivationKind::GeluTanh.bounds();
        assert_eq!(gelu.value, Bound::Mixed(VALUE_MIXED_BOUND));
        assert_eq!(gelu.derivative, Bound::Mixed(DERIVATIVE_MIXED_BOUND));
        assert_eq!(
            ActivationKind::Tanh.bounds().value,
            Bound::Ulp(TANH_ULP_BOUND)
        );
    }

    #[test]
    fn names_are_the_command_line_names() {
        use clap::ValueEnum;
        for kind in ActivationKind::ALL {
            assert_eq!(ActivationKind::from_str(kind.name(), false), Ok(kind));
            assert!(kind.exists_in(Number::F32) && kind.exists_in(Number::F64));
        }
    }
}
