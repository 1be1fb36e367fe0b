//! How a walk holds its values ([`Ref`], [`Mut`], or a tuple of them) and what it hands each
//! tensor to ([`Visit`]).

use super::tensor::{Shape, Tensor};

/// How a walk holds one or more values: [`Ref`] (`&M`), [`Mut`] (`&mut M`), or a tuple of
/// views (`(Mut, Ref)` holds `(&mut M, &M)`, and hands the callback `(&mut [T], &[T])`).
pub trait View: 'static {
    /// The held values, of type `M`.
    type Of<'a, M: 'a>;
    /// The tensors handed to a callback.
    type Slices<'a, T: 'a>;
    /// The views of an array's elements, in order.
    type Each<'a, C: 'a>: Iterator<Item = Self::Of<'a, C>>;

    /// The same view of a part of the values, through the part's getters (`None` when a getter
    /// this view needs is missing: a view that writes, of a part that is only lent).
    fn project<'a, 'b: 'a, M: 'b, C: 'a>(
        of: &'a mut Self::Of<'b, M>,
        get: &impl Fn(&M) -> Option<&C>,
        get_mut: &impl Fn(&mut M) -> Option<&mut C>,
    ) -> Option<Self::Of<'a, C>>;

    /// The values again, for a shorter borrow.
    fn reborrow<'a, 'b: 'a, M: 'b>(of: &'a mut Self::Of<'b, M>) -> Self::Of<'a, M>;

    /// One tensor of the values.
    fn slices<'a, 'b: 'a, M: 'b, T: 'a, S: Shape<T> + 'a>(
        of: &'a mut Self::Of<'b, M>,
        get: &impl Fn(&M) -> &S,
        get_mut: &impl Fn(&mut M) -> &mut S,
    ) -> Self::Slices<'a, T>;

    /// The elements of arrays.
    fn each<'a, 'b: 'a, C: 'b, const K: usize>(
        of: &'a mut Self::Of<'b, [C; K]>,
    ) -> Self::Each<'a, C>;
}

/// A view of `&M`: the callback sees `&[T]`.
#[derive(Debug)]
pub enum Ref {}

/// A view of `&mut M`: the callback sees `&mut [T]`.
#[derive(Debug)]
pub enum Mut {}

impl View for Ref {
    type Of<'a, M: 'a> = &'a M;
    type Slices<'a, T: 'a> = &'a [T];
    type Each<'a, C: 'a> = core::slice::Iter<'a, C>;

    #[inline(always)]
    fn project<'a, 'b: 'a, M: 'b, C: 'a>(
        of: &'a mut &'b M,
        get: &impl Fn(&M) -> Option<&C>,
        _: &impl Fn(&mut M) -> Option<&mut C>,
    ) -> Option<&'a C> {
        get(*of)
    }

    #[inline(always)]
    fn reborrow<'a, 'b: 'a, M: 'b>(of: &'a mut &'b M) -> &'a M {
        of
    }

    #[inline(always)]
    fn slices<'a, 'b: 'a, M: 'b, T: 'a, S: Shape<T> + 'a>(
        of: &'a mut &'b M,
        get: &impl Fn(&M) -> &S,
        _: &impl Fn(&mut M) -> &mut S,
    ) -> &'a [T] {
        get(*of).values()
    }

    #[inline]
    fn each<'a, 'b: 'a, C: 'b, const K: usize>(of: &'a mut &'b [C; K]) -> core::slice::Iter<'a, C> {
        of.iter()
    }
}

impl View for Mut {
    type Of<'a, M: 'a> = &'a mut M;
    type Slices<'a, T: 'a> = &'a mut [T];
    type Each<'a, C: 'a> = core::slice::IterMut<'a, C>;

    #[inline(always)]
    fn project<'a, 'b: 'a, M: 'b, C: 'a>(
        of: &'a mut &'b mut M,
        _: &impl Fn(&M) -> Option<&C>,
        get_mut: &impl Fn(&mut M) -> Option<&mut C>,
    ) -> Option<&'a mut C> {
        get_mut(*of)
    }

    #[inline(always)]
    fn reborrow<'a, 'b: 'a, M: 'b>(of: &'a mut &'b mut M) -> &'a mut M {
        of
    }

    #[inline(always)]
    fn slices<'a, 'b: 'a, M: 'b, T: 'a, S: Shape<T> + 'a>(
        of: &'a mut &'b mut M,
        _: &impl Fn(&M) -> &S,
        get_mut: &impl Fn(&mut M) -> &mut S,
    ) -> &'a mut [T] {
        get_mut(*of).values_mut()
    }

    #[inline]
    fn each<'a, 'b: 'a, C: 'b, const K: usize>(
        of: &'a mut &'b mut [C; K],
    ) -> core::slice::IterMut<'a, C> {
        of.iter_mut()
    }
}

/// Zips the element views of arrays into tuples.
#[derive(Debug)]
pub struct EachZip<I>(I);

macro_rules! tuple_view {
    ($($v:ident $i:tt),+) => {
        impl<$($v: View),+> View for ($($v,)+) {
            type Of<'a, M: 'a> = ($($v::Of<'a, M>,)+);
            type Slices<'a, T: 'a> = ($($v::Slices<'a, T>,)+);
            type Each<'a, C: 'a> = EachZip<($($v::Each<'a, C>,)+)>;

            #[inline(always)]
            fn project<'a, 'b: 'a, M: 'b, C: 'a>(
                of: &'a mut Self::Of<'b, M>,
                get: &impl Fn(&M) -> Option<&C>,
                get_mut: &impl Fn(&mut M) -> Option<&mut C>,
            ) -> Option<Self::Of<'a, C>> {
                Some(($($v::project(&mut of.$i, get, get_mut)?,)+))
            }

            #[inline(always)]
            fn reborrow<'a, 'b: 'a, M: 'b>(of: &'a mut Self::Of<'b, M>) -> Self::Of<'a, M> {
                ($($v::reborrow(&mut of.$i),)+)
            }

            #[inline(always)]
            fn slices<'a, 'b: 'a, M: 'b, T: 'a, S: Shape<T> + 'a>(
                of: &'a mut Self::Of<'b, M>,
                get: &impl Fn(&M) -> &S,
                get_mut: &impl Fn(&mut M) -> &mut S,
            ) -> Self::Slices<'a, T> {
                ($($v::slices(&mut of.$i, get, get_mut),)+)
            }

            #[inline(always)]
            fn each<'a, 'b: 'a, C: 'b, const K: usize>(
                of: &'a mut Self::Of<'b, [C; K]>,
            ) -> Self::Each<'a, C> {
                EachZip(($($v::each(&mut of.$i),)+))
            }
        }

        impl<$($v: Iterator),+> Iterator for EachZip<($($v,)+)> {
            type Item = ($($v::Item,)+);

            #[inline(always)]
            fn next(&mut self) -> Option<Self::Item> {
                Some(($(self.0.$i.next()?,)+))
            }
        }
    };
}

tuple_view!(V0 0);
tuple_view!(V0 0, V1 1);
tuple_view!(V0 0, V1 1, V2 2);
tuple_view!(V0 0, V1 1, V2 2, V3 3);
tuple_view!(V0 0, V1 1, V2 2, V3 3, V4 4);
tuple_view!(V0 0, V1 1, V2 2, V3 3, V4 4, V5 5);

/// What a walk hands every tensor to, in registration order: its name (`()` for a walk that
/// does not name tensors), its declaration and its values as the walk holds them.
pub(crate) trait Visit<N, S> {
    /// One tensor.
    fn tensor(&mut self, name: &N, tensor: &Tensor, values: S);

    /// The `len` values of a child the walk cannot enter (a lent layer, for a walk that
    /// writes; a frozen one, for a walk over gradients), in their place in the order.
    #[inline(always)]
    fn skip(&mut self, len: usize) {
        let _ = len;
    }
}
