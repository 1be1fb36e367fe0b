//! `--number`: the number types a model is computed in (`f32`, `f64`, the core's `Q16` fixed
//! point), one row each, and [`TrainNumber`]: what the harness needs of each beyond
//! [`Scalar`].
//!
//! A row is the type's command-line name (the core's `Format` name), its title and its core
//! type; [`Number::visit`] hands the core type to a [`VisitNumber`]. Which activations and
//! losses exist in a type is said by their own rows ([`crate::model::activation`],
//! [`crate::model::loss`]); [`Activations`] and [`Losses`] compute them in it.

use skipgrad::{Adam, Float, Optimizer, Params, Scalar, Sgd, Q16};

use super::activation::Activations;
use super::loss::{Losses, TaskLoss};
use super::table::choice;
use super::task::Truth;

/// Declares the number types from their rows (see the [module](self)).
macro_rules! numbers {
    ($( $(#[doc = $doc:literal])* $variant:ident = $cli:literal, $title:literal, $core:ty; )+) => {
        choice! {
            /// A number type of the core, as chosen on the command line.
            pub enum Number {
                $( $(#[doc = $doc])* $variant = $cli, $title; )+
            }
        }

        impl Number {
            /// Calls `v` with the core type.
            pub fn visit<V: VisitNumber>(self, v: V) -> V::Output {
                match self {
                    $(Number::$variant => v.visit::<$core>(),)+
                }
            }

            /// The core's name of the type (its `Format`), which is the command-line name.
            pub fn format_name(self) -> &'static str {
                match self {
                    $(Number::$variant => <$core as Scalar>::FORMAT.name(),)+
                }
            }
        }
    };
}

numbers! {
    /// IEEE 754 single precision (the default).
    F32 = "f32", "float32", f32;
    /// IEEE 754 double precision.
    F64 = "f64", "float64", f64;
    /// Signed Q16.16 fixed point (skipgrad::Q16): no exp, ln, erf or Adam.
    Q16 = "q16.16", "Q16.16", Q16;
}

// The enum is declared by the table's macro, which derives no `Default`.
#[allow(clippy::derivable_impls)]
impl Default for Number {
    fn default() -> Self {
        Number::F32
    }
}

impl Number {
    /// True for the floating-point types.
    pub fn is_float(self) -> bool {
        matches!(self, Number::F32 | Number::F64)
    }
}

/// What to do with a number type: called with its core type.
pub trait VisitNumber {
    /// The result.
    type Output;
    /// Runs with the number type `T`.
    fn visit<T: TrainNumber>(self) -> Self::Output;
}

/// What the harness needs of a number type beyond [`Scalar`]: the table's activations and
/// losses computed in it, and the optimizers and figures that differ between floating and
/// fixed point.
pub trait TrainNumber: Scalar + Activations + Losses + Send + Sync + 'static {
    /// Adam, where the type has the functions it needs (floating point), or why not.
    fn adam<M: Params<Self> + 'static>(lr: f64) -> anyhow::Result<Box<dyn Optimizer<Self, M>>>;

    /// SGD with stochastic rounding seeded with `seed`, where rounding to nearest can lose
    /// updates (fixed point), or why not.
    fn stochastic_sgd<M: Params<Self> + 'static>(
        lr: f64,
        seed: u32,
    ) -> anyhow::Result<Box<dyn Optimizer<Self, M>>>;

    /// The loss of a full batch as reported. In floating point it is the loss computed in
    /// the type itself; in fixed point it is computed in `f64` from the exact outputs,
    /// because the fixed-point loss rounds every term to a unit (`2^-16`).
    fn final_loss<L: TaskLoss<Self, O>, const O: usize, const K: usize>(
        loss: &L,
        outputs: &[[Self; O]; K],
        truths: &[Truth; K],
    ) -> f64 {
        let targets = truths.map(|t| L::target(t));
        loss.batch_loss(outputs, &targets).to_f64()
    }
}

fn float_adam<T: Float, M: Params<T> + 'static>(
    lr: f64,
) -> anyhow::Result<Box<dyn Optimizer<T, M>>> {
    Ok(Box::new(Adam::<T, M::Grads>::new().with_lr(lr)?))
}

fn float_stochastic<T>() -> anyhow::Result<T> {
    crate::usage_bail!(
        "--rounding stochastic is for --number q16.16 (floating point rounds to nearest)"
    )
}

impl TrainNumber for f32 {
    fn adam<M: Params<Self> + 'static>(lr: f64) -> anyhow::Result<Box<dyn Optimizer<Self, M>>> {
        float_adam(lr)
    }

    fn stochastic_sgd<M: Params<Self> + 'static>(
        _: f64,
        _: u32,
    ) -> anyhow::Result<Box<dyn Optimizer<Self, M>>> {
        float_stochastic()
    }
}

impl TrainNumber for f64 {
    fn adam<M: Params<Self> + 'static>(lr: f64) -> anyhow::Result<Box<dyn Optimizer<Self, M>>> {
        float_adam(lr)
    }

    fn stochastic_sgd<M: Params<Self> + 'static>(
        _: f64,
        _: u32,
    ) -> anyhow::Result<Box<dyn Optimizer<Self, M>>> {
        float_stochastic()
    }
}

impl TrainNumber for Q16 {
    fn adam<M: Params<Self> + 'static>(_: f64) -> anyhow::Result<Box<dyn Optimizer<Self, M>>> {
        crate::usage_bail!(
            "--optimizer adam needs a floating-point --number (f32 or f64): its square root \
             and division of tiny moments do not fit q16.16"
        )
    }

    fn stochastic_sgd<M: Params<Self> + 'static>(
        lr: f64,
        seed: u32,
    ) -> anyhow::Result<Box<dyn Optimizer<Self, M>>> {
        Ok(Box::new(Sgd::new(lr)?.with_stochastic_rounding(seed)))
    }

    fn final_loss<L: TaskLoss<Self, O>, const O: usize, const K: usize>(
        loss: &L,
        outputs: &[[Self; O]; K],
        truths: &[Truth; K],
    ) -> f64 {
        let outputs = outputs.map(|y| y.map(Q16::to_f64));
        loss.batch_loss_f64(&outputs, truths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn names_are_the_core_formats() {
        for n in Number::value_variants() {
            assert_eq!(n.name(), n.format_name());
            let parsed = Number::from_str(n.name(), false).expect("parses its own name");
            assert_eq!(parsed, *n);
            assert_eq!(
                serde_json::to_value(n).expect("serialises"),
                serde_json::Value::from(n.name())
            );
        }
        assert_eq!(Number::Q16.name(), "q16.16");
    }
}
