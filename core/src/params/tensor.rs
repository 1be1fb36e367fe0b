//! What a layer declares about one of its tensors: its name, its shape (the type of its
//! storage) and how PyTorch initialises it.

use super::init::Init;

/// The shape of a tensor, in PyTorch's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dims {
    /// A vector of `n` values (a bias).
    Vector(usize),
    /// A matrix of `rows x cols` values stored row by row (`nn.Linear.weight` is
    /// `out_features x in_features`).
    Matrix(usize, usize),
}

impl Dims {
    /// The number of values.
    pub const fn len(self) -> usize {
        match self {
            Dims::Vector(n) => n,
            Dims::Matrix(r, c) => r * c,
        }
    }

    /// True for a shape without values.
    pub const fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The shape as PyTorch prints it: `[n]` or `[rows, cols]`, in the first `rank` entries.
    pub const fn shape(self) -> ([usize; 2], usize) {
        match self {
            Dims::Vector(n) => ([n, 0], 1),
            Dims::Matrix(r, c) => ([r, c], 2),
        }
    }
}

/// What a walk hands its callback about one tensor: its name within its layer, its shape and
/// its initialisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tensor {
    /// The tensor's own name (`weight`, `bias`); the walk prefixes its path.
    pub name: &'static str,
    /// Its shape.
    pub dims: Dims,
    /// Its initialisation.
    pub init: Init,
}

impl Tensor {
    /// A tensor declaration.
    pub const fn new(name: &'static str, dims: Dims, init: Init) -> Self {
        Self { name, dims, init }
    }

    /// The number of values.
    pub const fn len(&self) -> usize {
        self.dims.len()
    }

    /// True for a tensor without values.
    pub const fn is_empty(&self) -> bool {
        self.dims.is_empty()
    }
}

/// The storage of a tensor, whose type is its shape: a vector `[T; N]` or a matrix
/// `[[T; C]; R]` (row by row, PyTorch's layout). A layer cannot declare a shape its storage
/// does not have.
pub trait Shape<T> {
    /// The shape.
    const DIMS: Dims;
    /// Every value, in order.
    fn values(&self) -> &[T];
    /// Every value, in order, mutably.
    fn values_mut(&mut self) -> &mut [T];
}

impl<T, const N: usize> Shape<T> for [T; N] {
    const DIMS: Dims = Dims::Vector(N);

    #[inline(always)]
    fn values(&self) -> &[T] {
        self
    }

    #[inline(always)]
    fn values_mut(&mut self) -> &mut [T] {
        self
    }
}

impl<T, const R: usize, const C: usize> Shape<T> for [[T; C]; R] {
    const DIMS: Dims = Dims::Matrix(R, C);

    #[inline(always)]
    fn values(&self) -> &[T] {
        self.as_flattened()
    }

    #[inline(always)]
    fn values_mut(&mut self) -> &mut [T] {
        self.as_flattened_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A storage type's shape is PyTorch's: rows then columns, flattened row by row.
    #[test]
    fn shapes_come_from_the_storage_type() {
        let m = [[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
        assert_eq!(<[[f32; 3]; 2] as Shape<f32>>::DIMS, Dims::Matrix(2, 3));
        assert_eq!(Shape::<f32>::values(&m), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(<[f32; 4] as Shape<f32>>::DIMS, Dims::Vector(4));
        assert_eq!(Dims::Matrix(2, 3).shape(), ([2, 3], 2));
        assert_eq!(Dims::Vector(4).shape(), ([4, 0], 1));
        assert_eq!(Dims::Matrix(2, 3).len(), 6);
        assert!(Dims::Matrix(0, 3).is_empty() && !Dims::Vector(1).is_empty());
    }
}
