//! The all-zero value of parameters, gradients, caches and optimizer state, as a constant.

/// A value with an all-zero state, available as a constant.
///
/// Because [`Zeroed::ZERO`] is a `const`, a model's gradients, its cache and an optimizer's
/// state can be `static` items initialised without `unsafe`:
///
/// ```
/// use skipgrad::{Gelu, Linear, Zeroed};
///
/// type Net = (Linear<f32, 3, 4>, Gelu, Linear<f32, 4, 1>);
/// static GRADS_TEMPLATE: Net = Net::ZERO;
/// assert_eq!(GRADS_TEMPLATE.0.weight, [[0.0; 3]; 4]);
/// ```
pub trait Zeroed: Sized {
    /// The all-zero value.
    const ZERO: Self;
}

impl Zeroed for () {
    const ZERO: Self = ();
}

impl Zeroed for f32 {
    const ZERO: Self = 0.0;
}

impl Zeroed for f64 {
    const ZERO: Self = 0.0;
}

impl<C: Zeroed, const K: usize> Zeroed for [C; K] {
    const ZERO: Self = [C::ZERO; K];
}

macro_rules! tuple_zeroed {
    ($($m:ident),+) => {
        impl<$($m: Zeroed),+> Zeroed for ($($m,)+) {
            const ZERO: Self = ($($m::ZERO,)+);
        }
    };
}

tuple_zeroed!(M0);
tuple_zeroed!(M0, M1);
tuple_zeroed!(M0, M1, M2);
tuple_zeroed!(M0, M1, M2, M3);
tuple_zeroed!(M0, M1, M2, M3, M4);
tuple_zeroed!(M0, M1, M2, M3, M4, M5);
tuple_zeroed!(M0, M1, M2, M3, M4, M5, M6);
tuple_zeroed!(M0, M1, M2, M3, M4, M5, M6, M7);
tuple_zeroed!(M0, M1, M2, M3, M4, M5, M6, M7, M8);
tuple_zeroed!(M0, M1, M2, M3, M4, M5, M6, M7, M8, M9);
tuple_zeroed!(M0, M1, M2, M3, M4, M5, M6, M7, M8, M9, M10);
tuple_zeroed!(M0, M1, M2, M3, M4, M5, M6, M7, M8, M9, M10, M11);
