//! The optimizers the harness trains with (`--optimizer`) and the rounding of SGD's updates
//! (`--rounding`), one row each, and [`RunOptimizer`]: the optimizer a validated
//! [`Spec`] builds for a network, in its number type.

use skipgrad::{NonFiniteUpdate, Optimizer, Params, Sgd};

use super::number::{Number, TrainNumber};
use super::table::choice;
use super::Spec;

/// Declares the optimizers from their rows: name, title, default learning rate, and the
/// number types the core has the optimizer in.
macro_rules! optimizers {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $cli:literal, $title:literal, lr $lr:expr, [$($number:ident),+];
    )+) => {
        choice! {
            /// The optimizer to train with.
            pub enum OptimizerKind {
                $( $(#[doc = $doc])* $variant = $cli, $title; )+
            }
        }

        impl OptimizerKind {
            /// The learning rate used when neither `--lr` nor the task says otherwise.
            pub fn default_lr(self) -> f64 {
                match self {
                    $(OptimizerKind::$variant => $lr,)+
                }
            }

            /// The number types the core has this optimizer in.
            pub fn numbers(self) -> &'static [Number] {
                match self {
                    $(OptimizerKind::$variant => &[$(Number::$number),+],)+
                }
            }
        }
    };
}

optimizers! {
    /// Plain SGD (default learning rate 0.01).
    Sgd = "sgd", "SGD", lr 0.01, [F32, F64, Q16];
    /// Adam with PyTorch's defaults (default learning rate 1e-3).
    Adam = "adam", "Adam", lr 1e-3, [F32, F64];
}

choice! {
    /// How SGD rounds its updates `lr * g` (the core's `optimizer::rounding`).
    pub enum RoundingKind {
        /// To nearest (the floating-point types' only choice).
        Nearest = "nearest", "rounding to nearest";
        /// At random, unbiased, from a generator seeded with --seed (the default for q16.16).
        Stochastic = "stochastic", "stochastic rounding";
    }
}

impl RoundingKind {
    /// The default for a number type: stochastic in fixed point, where updates below half a
    /// unit would vanish, to nearest in floating point.
    pub fn default_for(number: Number) -> Self {
        if number.is_float() {
            RoundingKind::Nearest
        } else {
            RoundingKind::Stochastic
        }
    }
}

/// Mixed into the seed to seed stochastic rounding's generator.
const ROUNDING_SEED: u32 = 0x5eed_0d17;

/// The optimizer of a run, for a network `M` in `T`: any of the table's, behind one type.
pub struct RunOptimizer<T, M: Params<T>>(Box<dyn Optimizer<T, M>>)
where
    T: TrainNumber;

impl<T: TrainNumber, M: Params<T> + 'static> RunOptimizer<T, M> {
    /// The optimizer `spec` names, with its rate in `T` (already checked by the spec);
    /// `seed` seeds stochastic rounding.
    pub fn new(spec: &Spec, seed: u64) -> anyhow::Result<Self> {
        let o = spec.optimizer();
        let lr = o.rate.requested;
        Ok(Self(match (o.kind, o.rounding) {
            (OptimizerKind::Sgd, RoundingKind::Nearest) => Box::new(Sgd::<T>::new(lr)?),
            (OptimizerKind::Sgd, RoundingKind::Stochastic) => {
                T::stochastic_sgd::<M>(lr, ROUNDING_SEED ^ seed as u32)?
            }
            (OptimizerKind::Adam, _) => T::adam::<M>(lr)?,
        }))
    }
}

impl<T: TrainNumber, M: Params<T>> Optimizer<T, M> for RunOptimizer<T, M> {
    #[inline]
    fn update(&mut self, model: &mut M, grads: &mut M::Grads) -> Result<(), NonFiniteUpdate> {
        self.0.update(model, grads)
    }
}
