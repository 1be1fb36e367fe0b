//! Parameters as one flat run of values, in registration order: where a load takes them from
//! ([`Source`]), and the error of a buffer of the wrong length ([`LengthMismatch`]).

use super::tensor::Tensor;
use super::view::Visit;

/// A flat buffer whose length is not the model's parameter count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LengthMismatch {
    /// The model's [`Params::LEN`](super::Params::LEN).
    pub expected: usize,
    /// The buffer's length.
    pub found: usize,
}

impl core::fmt::Display for LengthMismatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "expected {} parameters, found {}",
            self.expected, self.found
        )
    }
}

impl core::error::Error for LengthMismatch {}

/// Where a load takes its values from, in registration order: a slice of values
/// ([`Params::load_flat`](super::Params::load_flat)) or the bytes of an
/// [image](super::image).
pub(crate) trait Source<T> {
    /// Fills `out` with the next values (as many as are left, which the callers' length
    /// checks make enough).
    fn fill(&mut self, out: &mut [T]);
    /// Steps over the next `n` values (those of a borrowed layer).
    fn skip(&mut self, n: usize);
}

impl<T: Copy> Source<T> for &[T] {
    fn fill(&mut self, out: &mut [T]) {
        let (head, tail) = self.split_at_checked(out.len()).unwrap_or((self, &[]));
        out.iter_mut().zip(head).for_each(|(d, s)| *d = *s);
        *self = tail;
    }

    fn skip(&mut self, n: usize) {
        *self = self.get(n..).unwrap_or(&[]);
    }
}

/// Copies a source's values into every writable tensor, in order, stepping over the values of
/// lent layers.
pub(crate) struct Load<'s, S>(pub &'s mut S);

impl<T, S: Source<T>> Visit<(), &mut [T]> for Load<'_, S> {
    #[inline]
    fn tensor(&mut self, _: &(), _: &Tensor, values: &mut [T]) {
        self.0.fill(values);
    }

    #[inline]
    fn skip(&mut self, len: usize) {
        self.0.skip(len);
    }
}
