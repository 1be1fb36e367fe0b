//! Learning from a stream of labelled samples, one guarded step per sample: how a device
//! adapts to its own domain (`digits-adapt`, the board examples).
//!
//! Position `i` of the stream is sample `i % len` of a set (the stream cycles), seen in a
//! [`Domain`]. A run can be split into ranges of positions (to time some of them, or to
//! measure accuracy between them) with the same result as one range.

use core::fmt;
use core::ops::Range;

use skipgrad::{Clip, Loss, Module, Optimizer, Scalar, StepError, Trainer};

use crate::domain::Domain;
use crate::file::{CLASSES, PIXELS};
use crate::set::{scale, Set};
use crate::train::ClassTarget;

/// A refused step of the stream; the model and the optimizer are as they were before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AdaptError {
    /// The stream position.
    pub position: usize,
    /// Why.
    pub error: StepError,
}

impl fmt::Display for AdaptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stream position {} refused: {}",
            self.position, self.error
        )
    }
}

impl core::error::Error for AdaptError {}

/// One step per stream position in `positions`: sample `position % stream.len()` of `stream`
/// seen in `domain`, as a batch of one. `on_step` gets each position and its loss before the
/// update. An empty stream takes no step.
pub fn adapt<M, T, O, L, C>(
    trainer: &mut Trainer<'_, M, [T; PIXELS], O, L, C>,
    stream: Set<'_>,
    domain: Domain,
    positions: Range<usize>,
    mut on_step: impl FnMut(usize, T),
) -> Result<(), AdaptError>
where
    M: Module<[T; PIXELS], Output = [T; CLASSES]>,
    T: Scalar,
    O: Optimizer<T, M>,
    L: Loss<[T; CLASSES]>,
    L::Target: ClassTarget,
    C: Clip<T>,
{
    for position in positions {
        let Some(sample) = position
            .checked_rem(stream.len())
            .and_then(|i| stream.get(i))
        else {
            return Ok(());
        };
        let x: [T; PIXELS] = scale(&domain.apply(sample.pixels));
        let t = L::Target::from_class(sample.class());
        let loss = trainer
            .step(&[x], &[t])
            .map_err(|error| AdaptError { position, error })?;
        on_step(position, loss);
    }
    Ok(())
}
