//! PyTorch-style parameter names (`layers.0.0.weight`) built without allocation.

/// One segment of a parameter's path: a position in a sequence or a field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A position (a tuple element, an array element): `layers.3`.
    Index(usize),
    /// A named field: `attention`.
    Field(&'static str),
}

impl From<usize> for Segment {
    fn from(index: usize) -> Self {
        Segment::Index(index)
    }
}

impl From<&'static str> for Segment {
    fn from(field: &'static str) -> Self {
        Segment::Field(field)
    }
}

/// Capacity of a [`ParamName`] in bytes.
pub const NAME_CAPACITY: usize = 64;

/// A dotted parameter path such as `layers.3.0.bias`, in a fixed-capacity buffer.
///
/// Containers push a segment before visiting a child and pop it after, so visiting a model
/// never allocates. A name longer than [`NAME_CAPACITY`] is cut short and flagged
/// ([`ParamName::is_truncated`]) rather than failing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParamName {
    buf: heapless::String<NAME_CAPACITY>,
    truncated: bool,
}

impl ParamName {
    /// An empty name (the root of a model).
    pub fn new() -> Self {
        Self::default()
    }

    /// A name starting with `prefix`, for example `"layers"`.
    pub fn with_prefix(prefix: &str) -> Self {
        let mut name = Self::new();
        name.push(prefix);
        name
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        self.buf.as_str()
    }

    /// True if a segment did not fit.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Appends `.segment` (or `segment` at the root) and returns the length to
    /// [`restore`](Self::restore) afterwards.
    pub fn push(&mut self, segment: &str) -> usize {
        let len = self.buf.len();
        if segment.is_empty() {
            return len;
        }
        if !self.buf.is_empty() && self.buf.push('.').is_err() {
            self.truncated = true;
        }
        if self.buf.push_str(segment).is_err() {
            self.truncated = true;
        }
        len
    }

    /// Appends a numeric segment (a tuple or array index). The digits are written by hand,
    /// not through `core::fmt`: walks that name tensors (the shape hash an image load checks)
    /// call this for every level of every tensor.
    pub fn push_index(&mut self, index: usize) -> usize {
        // 20 digits hold any usize.
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut n = index;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            start -= 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let text = digits.get(start..).unwrap_or_default();
        self.push(core::str::from_utf8(text).unwrap_or_default())
    }

    /// Appends a path segment (nothing for `None`) and returns the length to
    /// [`restore`](Self::restore) afterwards.
    pub fn push_segment(&mut self, segment: Option<Segment>) -> usize {
        match segment {
            None => self.buf.len(),
            Some(Segment::Index(i)) => self.push_index(i),
            Some(Segment::Field(f)) => self.push(f),
        }
    }

    /// Cuts the name back to `len` bytes (a value returned by `push`).
    pub fn restore(&mut self, len: usize) {
        while self.buf.len() > len {
            if self.buf.pop().is_none() {
                break;
            }
        }
    }
}

/// The names a walk keeps as it descends: a [`ParamName`], or nothing (`()`, for the walks
/// that do not name tensors, at no cost).
pub(crate) trait Names {
    /// Appends a path segment (nothing for `None`); returns the length to restore.
    fn push_segment(&mut self, segment: Option<Segment>) -> usize;
    /// Appends a tensor's name; returns the length to restore.
    fn push_tensor(&mut self, name: &'static str) -> usize;
    /// Cuts the name back to `len` bytes.
    fn restore(&mut self, len: usize);
}

impl Names for () {
    #[inline(always)]
    fn push_segment(&mut self, _: Option<Segment>) -> usize {
        0
    }

    #[inline(always)]
    fn push_tensor(&mut self, _: &'static str) -> usize {
        0
    }

    #[inline(always)]
    fn restore(&mut self, _: usize) {}
}

impl Names for &mut ParamName {
    #[inline]
    fn push_segment(&mut self, segment: Option<Segment>) -> usize {
        ParamName::push_segment(self, segment)
    }

    #[inline]
    fn push_tensor(&mut self, name: &'static str) -> usize {
        self.push(name)
    }

    #[inline]
    fn restore(&mut self, len: usize) {
        ParamName::restore(self, len)
    }
}

impl core::fmt::Display for ParamName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_and_restore() {
        let mut n = ParamName::with_prefix("layers");
        let a = n.push_index(3);
        let b = n.push_index(0);
        n.push("weight");
        assert_eq!(n.as_str(), "layers.3.0.weight");
        n.restore(b);
        assert_eq!(n.as_str(), "layers.3");
        n.restore(a);
        assert_eq!(n.as_str(), "layers");
        assert!(!n.is_truncated());
    }

    #[test]
    fn indices_are_decimal() {
        for (i, want) in [
            (0usize, "0"),
            (7, "7"),
            (10, "10"),
            (305, "305"),
            (usize::MAX, "18446744073709551615"),
        ] {
            let mut n = ParamName::with_prefix("a");
            n.push_index(i);
            assert_eq!(n.as_str().strip_prefix("a."), Some(want));
        }
    }

    #[test]
    fn root_has_no_leading_dot() {
        let mut n = ParamName::new();
        n.push_index(0);
        n.push("bias");
        assert_eq!(n.as_str(), "0.bias");
    }

    #[test]
    fn overflow_is_flagged_not_fatal() {
        let mut n = ParamName::new();
        for _ in 0..40 {
            n.push("ab");
        }
        assert!(n.is_truncated());
        assert!(n.as_str().len() <= NAME_CAPACITY);
    }
}
