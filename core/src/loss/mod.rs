//! Losses: a value and its gradient with respect to the prediction, averaged like PyTorch's
//! `reduction='mean'`: [`Mse`], [`Huber`], [`BceWithLogits`] and [`CrossEntropy`].
//!
//! Each computes what PyTorch 2.15's CPU kernels compute, in the same order where it matters
//! for the last bits, and each states its error behaviour: which targets it accepts, and
//! where its value or gradient can overflow.

mod bce_with_logits;
mod cross_entropy;
mod huber;
mod mse;

pub use bce_with_logits::BceWithLogits;
pub use cross_entropy::CrossEntropy;
pub use huber::Huber;
pub use mse::Mse;

use core::num::NonZeroUsize;

use crate::data::Data;
use crate::number::Scalar;
use crate::zeroed::Zeroed;

/// A loss of a prediction `Y` against a target.
///
/// A loss is a sum of terms ([`Loss::TERMS`] per sample: every element for MSE, one per
/// sample for cross-entropy) divided by the number of terms in the batch, as PyTorch's
/// `reduction='mean'` does. [`Trainer`](crate::Trainer) runs a batch sample by sample: it sums
/// [`Loss::sum`] over the samples and asks each sample's [`Loss::gradient`] for its share of
/// the gradient of the batch mean, so the accumulated parameter gradients are those of the
/// batch loss.
pub trait Loss<Y: Data> {
    /// What a target is: `[T; N]` for MSE, a class index for cross-entropy.
    type Target: Copy;
    /// Terms per sample.
    const TERMS: usize;

    /// True for a target this loss is defined on (finite; a class index in range). A
    /// [`Trainer`](crate::Trainer) refuses a batch with any other.
    fn accepts(&self, target: &Self::Target) -> bool;

    /// The sum of the sample's terms.
    fn sum(&self, y: &Y, target: &Self::Target) -> Y::Scalar;

    /// The gradient with respect to `y` of this sample's terms divided by `terms`, the number
    /// of terms in the whole batch's mean.
    fn gradient(&self, y: &Y, target: &Self::Target, terms: NonZeroUsize) -> Y;

    /// The loss of one sample: the mean of its terms.
    #[inline]
    fn loss(&self, y: &Y, target: &Self::Target) -> Y::Scalar {
        self.sum(y, target) / Y::Scalar::from_usize(Self::TERMS)
    }

    /// The gradient of [`Loss::loss`] for one sample.
    #[inline]
    fn sample_gradient(&self, y: &Y, target: &Self::Target) -> Y {
        self.gradient(
            y,
            target,
            NonZeroUsize::new(Self::TERMS).unwrap_or(NonZeroUsize::MIN),
        )
    }

    /// The loss of a batch: the mean over every term of every sample.
    #[inline]
    fn batch_loss<const K: usize>(&self, ys: &[Y; K], targets: &[Self::Target; K]) -> Y::Scalar {
        let mut acc = Y::Scalar::ZERO;
        for (y, t) in ys.iter().zip(targets) {
            acc += self.sum(y, t);
        }
        acc / Y::Scalar::from_usize(K * Self::TERMS)
    }
}
