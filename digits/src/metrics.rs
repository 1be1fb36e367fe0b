//! Predictions, accuracy and the confusion matrix.

use core::fmt;

use skipgrad::{Module, Scalar};

use crate::domain::Domain;
use crate::file::{CLASSES, PIXELS};
use crate::set::{scale, Set};

/// The predicted class: the index of the largest logit, the first on a tie (as
/// `torch.argmax`); a NaN logit is never the largest (all NaN: class 0).
pub fn predict<T: Scalar>(logits: &[T; CLASSES]) -> usize {
    let mut best = 0;
    let mut max = None;
    for (i, &v) in logits.iter().enumerate() {
        // Not NaN, and larger than every logit before it.
        if v.partial_cmp(&v).is_some() && max.is_none_or(|m| v > m) {
            (best, max) = (i, Some(v));
        }
    }
    best
}

/// Counts of (true class, predicted class) pairs: row `t`, column `p` counts the samples of
/// class `t` predicted as `p`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Confusion {
    counts: [[u32; CLASSES]; CLASSES],
}

impl Default for Confusion {
    fn default() -> Self {
        Self::ZERO
    }
}

impl Confusion {
    /// No sample counted.
    pub const ZERO: Self = Self {
        counts: [[0; CLASSES]; CLASSES],
    };

    /// Counts one sample of class `truth` predicted as `predicted` (ignored if either is not
    /// a class).
    pub fn add(&mut self, truth: usize, predicted: usize) {
        if let Some(c) = self
            .counts
            .get_mut(truth)
            .and_then(|row| row.get_mut(predicted))
        {
            *c = c.saturating_add(1);
        }
    }

    /// The counts: row = true class, column = predicted class.
    pub fn counts(&self) -> &[[u32; CLASSES]; CLASSES] {
        &self.counts
    }

    /// Samples counted.
    pub fn total(&self) -> u32 {
        self.counts
            .iter()
            .flatten()
            .fold(0, |a, &c| a.saturating_add(c))
    }

    /// Samples predicted right (the diagonal).
    pub fn correct(&self) -> u32 {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, row)| row.get(i).copied().unwrap_or(0))
            .fold(0, u32::saturating_add)
    }

    /// The fraction predicted right (0 for no sample).
    pub fn accuracy(&self) -> f64 {
        match self.total() {
            0 => 0.0,
            n => f64::from(self.correct()) / f64::from(n),
        }
    }
}

/// The matrix as 10 rows of 10 counts, one row per line.
impl fmt::Display for Confusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for row in &self.counts {
            for (i, c) in row.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{c:3}")?;
            }
            f.write_str("\n")?;
        }
        Ok(())
    }
}

/// Classifies every sample of `set`, seen in `domain`, with `model`.
pub fn evaluate<M, T>(model: &M, set: Set<'_>, domain: Domain) -> Confusion
where
    M: Module<[T; PIXELS], Output = [T; CLASSES]>,
    T: Scalar,
{
    let mut confusion = Confusion::ZERO;
    for sample in set.iter() {
        let x: [T; PIXELS] = scale(&domain.apply(sample.pixels));
        confusion.add(sample.class(), predict(&model.infer(&x)));
    }
    confusion
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predict_table() {
        let nan = f32::NAN;
        let cases: [([f32; CLASSES], usize); 6] = [
            ([0.0; CLASSES], 0),
            ([0.0, 1.0, 3.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 2),
            (
                [-5.0, -1.0, -3.0, -3.0, -9.0, -2.0, -2.0, -2.0, -2.0, -2.0],
                1,
            ),
            ([nan, 1.0, nan, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0], 9),
            ([nan; CLASSES], 0),
            (
                [
                    f32::NEG_INFINITY,
                    f32::INFINITY,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    f32::INFINITY,
                ],
                1,
            ),
        ];
        for (logits, want) in cases {
            assert_eq!(predict(&logits), want, "{logits:?}");
        }
    }

    #[test]
    fn confusion_counts() {
        let mut c = Confusion::ZERO;
        assert_eq!((c.total(), c.correct(), c.accuracy()), (0, 0, 0.0));
        c.add(3, 3);
        c.add(3, 5);
        c.add(9, 9);
        c.add(10, 0);
        c.add(0, 10);
        assert_eq!((c.total(), c.correct()), (3, 2));
        assert_eq!(c.accuracy(), 2.0 / 3.0);
        assert_eq!(c.counts()[3][5], 1);
        let mut text = heapless::String::<512>::new();
        assert!(core::fmt::write(&mut text, format_args!("{c}")).is_ok());
        assert_eq!(text.lines().count(), CLASSES);
        assert_eq!(
            text.lines().nth(3),
            Some("  0   0   0   1   0   1   0   0   0   0")
        );
    }
}
