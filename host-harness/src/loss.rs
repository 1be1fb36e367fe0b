//! The losses `skipgrad train` offers (`--loss`), and [`PointLoss`]: MSE, Huber or BCE with
//! logits chosen at run time, for a network with one output.

use core::num::NonZeroUsize;

use skipgrad::{BceWithLogits, Flat, Float, Huber, Loss, Mse};

/// A loss of the core, by its command-line name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// Mean squared error ([`Mse`]).
    #[default]
    Mse,
    /// Cross-entropy on two logits, class-index targets ([`skipgrad::CrossEntropy`]).
    CrossEntropy,
    /// Binary cross-entropy on one logit ([`BceWithLogits`]).
    Bce,
    /// [`Huber`], delta 1.
    Huber,
}

impl LossKind {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Mse => "mse",
            LossKind::CrossEntropy => "cross-entropy",
            LossKind::Bce => "bce",
            LossKind::Huber => "huber",
        }
    }

    /// The name in prose and plot labels.
    pub fn title(self) -> &'static str {
        match self {
            LossKind::Mse => "MSE",
            LossKind::CrossEntropy => "cross-entropy",
            LossKind::Bce => "BCE with logits",
            LossKind::Huber => "Huber",
        }
    }

    /// True for the losses of a classifier, whose targets are labels (class indices or
    /// probabilities in `[0, 1]`).
    pub fn classifies(self) -> bool {
        matches!(self, LossKind::CrossEntropy | LossKind::Bce)
    }
}

/// A loss whose target is one number per output, chosen at run time: one compiled network
/// trains with any of them. Each computes exactly what the core type it names computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointLoss {
    /// [`Mse`].
    Mse,
    /// [`Huber`].
    Huber,
    /// [`BceWithLogits`].
    Bce,
}

impl<Y: Flat> Loss<Y> for PointLoss
where
    Y::Scalar: Float,
{
    type Target = Y;
    const TERMS: usize = Y::LEN;

    fn accepts(&self, target: &Y) -> bool {
        match self {
            PointLoss::Mse => Mse.accepts(target),
            PointLoss::Huber => Huber.accepts(target),
            PointLoss::Bce => BceWithLogits.accepts(target),
        }
    }

    fn sum(&self, y: &Y, target: &Y) -> Y::Scalar {
        match self {
            PointLoss::Mse => Mse.sum(y, target),
            PointLoss::Huber => Huber.sum(y, target),
            PointLoss::Bce => BceWithLogits.sum(y, target),
        }
    }

    fn gradient(&self, y: &Y, target: &Y, terms: NonZeroUsize) -> Y {
        match self {
            PointLoss::Mse => Mse.gradient(y, target, terms),
            PointLoss::Huber => Huber.gradient(y, target, terms),
            PointLoss::Bce => BceWithLogits.gradient(y, target, terms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each gives its core type's bits.
    #[test]
    fn dispatch_gives_the_core_types_bits() {
        let (y, t) = ([0.3f32, -2.5, 4.0], [0.0f32, 1.0, 0.5]);
        let n = NonZeroUsize::new(6).unwrap_or(NonZeroUsize::MIN);
        let check = |l: PointLoss, sum: f32, grad: [f32; 3], accepts: bool| {
            assert_eq!(l.sum(&y, &t).to_bits(), sum.to_bits(), "{l:?}");
            assert_eq!(l.gradient(&y, &t, n), grad, "{l:?}");
            assert_eq!(l.accepts(&[1.5f32]), accepts, "{l:?}");
        };
        check(
            PointLoss::Mse,
            Mse.sum(&y, &t),
            Mse.gradient(&y, &t, n),
            true,
        );
        check(
            PointLoss::Huber,
            Huber.sum(&y, &t),
            Huber.gradient(&y, &t, n),
            true,
        );
        check(
            PointLoss::Bce,
            BceWithLogits.sum(&y, &t),
            BceWithLogits.gradient(&y, &t, n),
            false,
        );
    }
}
