//! [`params!`](crate::params!): a layer's parameters declared once, as one list from which
//! its walk and its counts ([`Params::LEN`], [`Params::TRAINABLE`]) are all written.

use super::child::Reach;
use super::tensor::Shape;
use super::walk::{Layer, Params};
use crate::number::Scalar;

/// Implements [`Params`](crate::Params) for a layer from one list of its parts, in PyTorch's
/// registration order: its walk, and its counts [`LEN`](crate::Params::LEN) and
/// [`TRAINABLE`](crate::Params::TRAINABLE), which cannot disagree with the walk (a part is
/// counted where it is walked). Invoked inside the `impl Params<T> for ...` block, with the
/// scalar type first:
///
/// - `tensor weight: Init::Ones`: the layer's own tensor in the field `weight`, named
///   `weight`; its shape is the field's type (`[T; N]` or `[[T; C]; R]`).
/// - `child up as "up"`: a trained child layer in the field `up` (and in the same field of
///   the gradient type), whose tensors are named under `up.` (`as 0usize`, or a
///   [`Segment`](crate::params::Segment): under `0.`); without `as`, under the layer's own
///   name (a wrapper such as `Residual`).
/// - `frozen 0`: a frozen child (named, saved and initialised, never trained).
/// - `child (Child::lent(...))`: any [`Child`](crate::params::Child) built by hand, for other
///   getters (a lent `&M`, or a gradient type laid out otherwise), with an optional `as`.
/// - `each`: the elements of an array `[C; K]` (the layer itself), named by their index.
///
/// ```
/// use skipgrad::{params, Gelu, Linear, Params, Scalar, Zeroed};
///
/// /// Two layers in named fields.
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// struct Block<T> {
///     up: Linear<T, 2, 4>,
///     down: Linear<T, 4, 2>,
/// }
///
/// impl<T: Scalar> Zeroed for Block<T> {
///     const ZERO: Self = Block { up: Linear::ZERO, down: Linear::ZERO };
/// }
///
/// impl<T: Scalar> skipgrad::Layer for Block<T> {
///     type Grads = Self;
/// }
///
/// impl<T: Scalar> Params<T> for Block<T> {
///     params!(T; child up as "up", child down as "down");
/// }
///
/// assert_eq!(<Block<f32> as Params<f32>>::LEN, 2 * 4 + 4 + 4 * 2 + 2);
/// let mut names = Vec::new();
/// skipgrad::params::visit_named(&Block::<f32>::ZERO, |name, _, _| names.push(name.to_string()));
/// assert_eq!(names, ["up.weight", "up.bias", "down.weight", "down.bias"]);
/// ```
///
/// A tensor of a layer whose gradient type is not the layer itself would have no gradient to
/// go to, so it does not compile:
///
/// ```compile_fail,E0271
/// use skipgrad::params::Init;
/// use skipgrad::{Params, Scalar};
///
/// struct Scale<T>([T; 3]);
/// impl<T> skipgrad::Layer for Scale<T> {
///     type Grads = ();
/// }
/// impl<T: Scalar> Params<T> for Scale<T> {
///     skipgrad::params!(T; tensor 0: Init::Ones);
/// }
/// ```
#[macro_export]
macro_rules! params {
    ($T:ty; $($parts:tt)*) => {
        $crate::params!(@parse $T; [] $($parts)*);
    };

    (@parse $T:ty; [$($done:tt)*] tensor $field:tt : $init:expr $(, $($rest:tt)*)?) => {
        $crate::params!(@parse $T; [$($done)* [tensor $field ($init)]] $($($rest)*)?);
    };
    (@parse $T:ty; [$($done:tt)*] child ($child:expr) $(as $seg:expr)? $(, $($rest:tt)*)?) => {
        $crate::params!(@parse $T; [$($done)* [child ($child) ($($seg)?)]] $($($rest)*)?);
    };
    (@parse $T:ty; [$($done:tt)*] child $($f:tt).+ $(as $seg:expr)? $(, $($rest:tt)*)?) => {
        $crate::params!(@parse $T; [$($done)* [child ($crate::params::Child::trained(
            |m: &Self| &m.$($f).+,
            |m: &mut Self| &mut m.$($f).+,
            |g: &<Self as $crate::params::Layer>::Grads| &g.$($f).+,
            |g: &mut <Self as $crate::params::Layer>::Grads| &mut g.$($f).+,
        )) ($($seg)?)]] $($($rest)*)?);
    };
    (@parse $T:ty; [$($done:tt)*] frozen $($f:tt).+ $(as $seg:expr)? $(, $($rest:tt)*)?) => {
        $crate::params!(@parse $T; [$($done)* [child ($crate::params::Child::frozen(
            |m: &Self| &m.$($f).+,
            |m: &mut Self| &mut m.$($f).+,
        )) ($($seg)?)]] $($($rest)*)?);
    };
    (@parse $T:ty; [$($done:tt)*] each $(, $($rest:tt)*)?) => {
        $crate::params!(@parse $T; [$($done)* [each]] $($($rest)*)?);
    };
    (@parse $T:ty; [$([$($part:tt)*])*]) => {
        const LEN: usize = 0 $(+ $crate::params!(@len $T; $($part)*))*;
        const TRAINABLE: usize = 0 $(+ $crate::params!(@trainable $T; $($part)*))*;

        #[allow(unused_variables)]
        fn walk<W: $crate::params::Walk<Self, $T>>(w: &mut W) {
            $($crate::params!(@walk w; $($part)*);)*
        }
    };

    (@len $T:ty; tensor $field:tt ($init:expr)) => {
        $crate::params::tensor_len::<$T, Self, _>(|m: &Self| &m.$field)
    };
    (@len $T:ty; child ($child:expr) ($($seg:expr)?)) => {
        $crate::params::child_len::<$T, Self, _, _>(&$child)
    };
    (@len $T:ty; each) => {
        $crate::params::array_len::<$T, Self>()
    };

    (@trainable $T:ty; tensor $field:tt ($init:expr)) => {
        $crate::params::tensor_len::<$T, Self, _>(|m: &Self| &m.$field)
    };
    (@trainable $T:ty; child ($child:expr) ($($seg:expr)?)) => {
        $crate::params::child_trainable::<$T, Self, _, _>(&$child)
    };
    (@trainable $T:ty; each) => {
        $crate::params::array_trainable::<$T, Self>()
    };

    (@walk $w:ident; tensor $field:tt ($init:expr)) => {
        $w.tensor(
            ::core::stringify!($field),
            $init,
            |m: &Self| &m.$field,
            |m: &mut Self| &mut m.$field,
        )
    };
    (@walk $w:ident; child ($child:expr) ()) => {
        $w.child(::core::option::Option::None, $child)
    };
    (@walk $w:ident; child ($child:expr) ($seg:expr)) => {
        $w.child(
            ::core::option::Option::Some($crate::params::Segment::from($seg)),
            $child,
        )
    };
    (@walk $w:ident; each) => {
        $w.each($crate::params::array::<Self>())
    };
}

/// The values of the tensor a getter reaches: its storage type's.
#[doc(hidden)]
pub const fn tensor_len<T, M, S: Shape<T>>(_: fn(&M) -> &S) -> usize {
    S::DIMS.len()
}

/// The values of the child a [`Child`](super::Child) reaches.
#[doc(hidden)]
pub const fn child_len<T: Scalar, M: Layer, C: Params<T>, R: Reach<M, C, M::Grads, C::Grads>>(
    _: &R,
) -> usize {
    C::LEN
}

/// The trainable values of the child a [`Child`](super::Child) reaches: none unless it is
/// trained.
#[doc(hidden)]
pub const fn child_trainable<
    T: Scalar,
    M: Layer,
    C: Params<T>,
    R: Reach<M, C, M::Grads, C::Grads>,
>(
    _: &R,
) -> usize {
    if R::TRAINED {
        C::TRAINABLE
    } else {
        0
    }
}

/// An array type: its element and its length.
#[doc(hidden)]
pub trait Array {
    /// The element type.
    type Elem;
    /// The number of elements.
    const K: usize;
}

impl<C, const K: usize> Array for [C; K] {
    type Elem = C;
    const K: usize = K;
}

/// The values of an array's elements.
#[doc(hidden)]
pub const fn array_len<T: Scalar, A: Array<Elem: Params<T>>>() -> usize {
    A::K * A::Elem::LEN
}

/// The trainable values of an array's elements.
#[doc(hidden)]
pub const fn array_trainable<T: Scalar, A: Array<Elem: Params<T>>>() -> usize {
    A::K * A::Elem::TRAINABLE
}
