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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{convert, head_tuned, HeadTuned};
    use crate::{defaults, Digits, Net};
    use skipgrad::{Buffers, CrossEntropy, Relu, Sgd, Zeroed, Q16};

    type Q16Net = Net<Relu, Q16>;

    /// The default network's initial weights, quantised to Q16.16.
    fn q16_net() -> Q16Net {
        let mut q = Q16Net::ZERO;
        convert(&defaults::initial(defaults::SEED), &mut q).expect("in range");
        q
    }

    /// In Q16.16 the stream adapts the head through the same loop as in `f32`; a head holding
    /// a rail (Q16's NaN) is refused at the first position with the trainer's reason, and
    /// neither the head nor the stochastic rounding's generator moves.
    #[test]
    fn q16_adapts_and_a_saturated_head_is_refused() {
        let digits = Digits::embedded().expect("the data");
        let net = q16_net();
        let sgd = || {
            Sgd::<Q16>::new(0.005)
                .expect("rate")
                .with_stochastic_rounding(7)
        };

        let mut model = head_tuned(&net);
        let mut buffers = Buffers::<HeadTuned<'_, Relu, Q16>, [Q16; PIXELS]>::ZERO;
        let mut trainer = Trainer::new(&mut model, &mut buffers, sgd(), CrossEntropy);
        let mut losses = [Q16::ZERO; 20];
        adapt(
            &mut trainer,
            digits.train(),
            Domain::DEVICE,
            0..20,
            |i, loss| losses[i] = loss,
        )
        .expect("a healthy network adapts");
        assert!(losses.iter().all(|l| l.is_finite() && *l > Q16::ZERO));
        assert_ne!(trainer.model().2, net.2, "the head moved");

        let mut model = head_tuned(&net);
        model.2.weight[3][5] = Q16::MAX;
        let poisoned = model.2;
        let mut buffers = Buffers::<HeadTuned<'_, Relu, Q16>, [Q16; PIXELS]>::ZERO;
        let mut trainer = Trainer::new(&mut model, &mut buffers, sgd(), CrossEntropy);
        let mut steps = 0;
        let err = adapt(
            &mut trainer,
            digits.train(),
            Domain::DEVICE,
            0..20,
            |_, _| steps += 1,
        )
        .expect_err("refused");
        assert_eq!(err.position, 0);
        assert!(
            matches!(
                err.error,
                StepError::NonFiniteLoss | StepError::NonFiniteGradient
            ),
            "{err}"
        );
        let mut text = heapless::String::<128>::new();
        core::fmt::write(&mut text, format_args!("{err}")).expect("fits");
        assert!(
            text.starts_with("stream position 0 refused: non-finite"),
            "{text}"
        );
        assert_eq!(steps, 0);
        assert_eq!(trainer.model().2, poisoned, "the head is unchanged");
        assert_eq!(*trainer.optimizer(), sgd(), "the generator is unchanged");
    }
}
