//! A model in one number type to the same model in another ([`convert`]): a float model
//! quantised to [`Q16`](crate::Q16), or a fixed-point model exported back to `f32`, tensor by
//! tensor and value by value over the parameter walk, with a [`TensorReport`] of every tensor
//! so that nothing saturates or vanishes silently.
//!
//! # Rounding
//!
//! Each value is taken to `f64` (exact for `f32`, `f64` and `Q16`) and rounded once to the
//! target type, to the nearest value, ties to even: the target's own `from_f64`
//! ([`Q16::from_f64`](crate::Q16::from_f64) in integer arithmetic, `as f32` for `f32`). The
//! error of a value that is in range is therefore at most half a step of the target:
//!
//! | from | to | largest error of a value in range |
//! |---|---|---|
//! | `f32`, `f64` | `Q16` | `2^-17` (half a unit), absolute |
//! | `f64` | `f32` | half an ulp of the result (`2^-24` relative for normal results) |
//! | `Q16` | `f32` | 0 below 256 in magnitude; half an ulp of the result above (at most `2^-10`) |
//! | `f32`, `Q16` | `f64` | 0 |
//!
//! so `f32 -> Q16 -> f32` moves no value in range by more than `2^-17` (it is exact from 128
//! up, where every `f32` is already a multiple of `2^-16`).
//!
//! # Saturation, underflow and non-finite values
//!
//! - A finite value beyond the target's range *saturates*: in `Q16`, `|x| > 32768 - 3 * 2^-17`
//!   (32767.99997711..., half-way between [`Q16::LARGEST`](crate::Q16::LARGEST), `32768 -
//!   2^-15`, and the rail; the half-way value itself is a tie, rounds to even and stays in
//!   range); in `f32`, `|x| >= 2^128 - 2^103` (half-way between `f32::MAX` and `2^128`, a tie
//!   that rounds to even: `2^128`). With
//!   [`Saturation::Refuse`] the conversion is refused ([`ConvertError::Saturated`]); with
//!   [`Saturation::Clamp`] it becomes the largest finite value of its sign
//!   ([`Scalar::LARGEST`]). Either way every such value is counted in its tensor's report.
//! - A nonzero value that rounds to zero (below `2^-17` in magnitude in `Q16`) is counted as
//!   *flushed*: converted, but lost.
//! - NaN, an infinity, or a rail of `Q16` in the source has no nearest value: the conversion
//!   is refused ([`ConvertError::NonFinite`]) whatever the [`Saturation`].
//!
//! A conversion is a transaction: every tensor is measured and reported first, and the
//! target is written only if nothing was refused.

use core::fmt;

use super::flat::Source;
use super::name::ParamName;
use super::view::Ref;
use super::walk::{load_from, visit_named, visit_shapes, zip, Params};
use crate::number::Scalar;

/// What a conversion does with a finite value beyond the target type's range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Saturation {
    /// Refuse the conversion ([`ConvertError::Saturated`]); nothing is written. The default.
    #[default]
    Refuse,
    /// Convert it to the largest finite value of its sign ([`Scalar::LARGEST`]), counted in
    /// its tensor's report.
    Clamp,
}

impl Saturation {
    /// The policy's name: `refuse` or `clamp`.
    pub const fn name(self) -> &'static str {
        match self {
            Saturation::Refuse => "refuse",
            Saturation::Clamp => "clamp",
        }
    }
}

/// A value as a conversion's messages print it: in full below `1e7` in magnitude (`40000`,
/// `32767.999969482422`), in scientific notation from there (`f32::MAX` as
/// `3.4028234663852886e38`, not 39 digits). Width and precision are passed on.
///
/// ```
/// use skipgrad::params::Shown;
///
/// assert_eq!(Shown(-40000.0).to_string(), "-40000");
/// assert_eq!(Shown(f64::from(f32::MAX)).to_string(), "3.4028234663852886e38");
/// assert_eq!(format!("{:>10.2}", Shown(1e300)), "  1.00e300");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shown(pub f64);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.abs() >= 1e7 {
            fmt::LowerExp::fmt(&self.0, f)
        } else {
            fmt::Display::fmt(&self.0, f)
        }
    }
}

/// How one tensor converted, handed to [`convert`]'s callback with the tensor's name before
/// anything is written.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TensorReport {
    /// The tensor's number, counting every tensor from 0 in registration order.
    pub index: usize,
    /// Its number of values.
    pub len: usize,
    /// Finite values beyond the target's range: refused, or clamped (see [`Saturation`]).
    pub saturated: usize,
    /// Nonzero values that became zero.
    pub flushed: usize,
    /// NaN, infinite values or a `Q16` rail in the source, which refuse the conversion.
    pub non_finite: usize,
    /// The largest `|converted - value|` over the values in range (computed in `f64`; exact
    /// between `f32` and `Q16`). At most half a step of the target (see the module docs).
    pub max_error: f64,
    /// The largest `|value|` over the finite values of the source.
    pub max_abs: f64,
}

impl TensorReport {
    /// True if every finite value was in range and no nonzero value became zero.
    pub const fn is_clean(&self) -> bool {
        self.saturated == 0 && self.flushed == 0 && self.non_finite == 0
    }
}

/// The whole conversion: the sums (and the largest errors) of its tensors' reports.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Summary {
    /// Tensors converted.
    pub tensors: usize,
    /// Values converted ([`Params::LEN`]).
    pub values: usize,
    /// Values clamped ([`Saturation::Clamp`]; zero otherwise, or the conversion was refused).
    pub saturated: usize,
    /// Tensors with at least one saturated value.
    pub saturated_tensors: usize,
    /// Nonzero values that became zero.
    pub flushed: usize,
    /// The largest error over every value in range.
    pub max_error: f64,
    /// The largest magnitude of a value of the source.
    pub max_abs: f64,
}

impl Summary {
    /// Adds one tensor's report.
    fn add(&mut self, r: &TensorReport) {
        self.tensors += 1;
        self.values += r.len;
        self.saturated += r.saturated;
        self.saturated_tensors += usize::from(r.saturated > 0);
        self.flushed += r.flushed;
        self.max_error = self.max_error.max(r.max_error);
        self.max_abs = self.max_abs.max(r.max_abs);
    }
}

/// Why a conversion was refused. Tensors are numbered from 0 in registration order
/// ([`tensor_name`](super::tensor_name) names them); the target is unchanged.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConvertError {
    /// The two models do not name or shape this tensor alike (or one has more tensors).
    Mismatch {
        /// The first tensor that differs.
        tensor: usize,
    },
    /// A value of the source is NaN or infinite (or a rail, in fixed point).
    NonFinite {
        /// Its tensor.
        tensor: usize,
        /// Its position in the tensor (row-major).
        element: usize,
    },
    /// Values beyond the target's range, with [`Saturation::Refuse`].
    Saturated {
        /// The first such value's tensor.
        tensor: usize,
        /// Its position in the tensor.
        element: usize,
        /// The value, exactly.
        value: f64,
        /// How many values of the whole model are beyond the range.
        count: usize,
    },
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ConvertError::Mismatch { tensor } => write!(
                f,
                "tensor {tensor} is named or shaped differently in the two models"
            ),
            ConvertError::NonFinite { tensor, element } => {
                write!(f, "tensor {tensor}: element {element} is not finite")
            }
            ConvertError::Saturated {
                tensor,
                element,
                value,
                count,
            } => write!(
                f,
                "tensor {tensor}: element {element} is {}, beyond the target's range \
                 ({count} value(s) in all)",
                Shown(value)
            ),
        }
    }
}

impl core::error::Error for ConvertError {}

/// One value of `A` in `B`.
enum Nearest<B> {
    /// In range: the nearest value of `B` (ties to even).
    Value(B),
    /// Finite but beyond `B`'s range: the largest finite value of its sign.
    Saturated(B),
    /// NaN, infinite or a rail: no nearest value.
    NotFinite,
}

/// `x` rounded to the nearest value of `B` (see the module docs).
#[inline]
fn nearest<A: Scalar, B: Scalar>(x: A) -> Nearest<B> {
    if !x.is_finite() {
        return Nearest::NotFinite;
    }
    let v = x.to_f64();
    let y = B::from_f64(v);
    if y.is_finite() {
        Nearest::Value(y)
    } else if v < 0.0 {
        Nearest::Saturated(-B::LARGEST)
    } else {
        Nearest::Saturated(B::LARGEST)
    }
}

/// The first refusal found while measuring, in order of precedence: a non-finite value, then
/// saturation (which `Saturation::Clamp` allows).
#[derive(Default)]
struct Refusals {
    non_finite: Option<(usize, usize)>,
    saturated: Option<(usize, usize, f64)>,
    saturated_count: usize,
}

/// Measures the conversion of one tensor's values, without writing anything.
fn measure<A: Scalar, B: Scalar>(
    index: usize,
    values: &[A],
    refusals: &mut Refusals,
) -> TensorReport {
    let mut r = TensorReport {
        index,
        len: values.len(),
        ..TensorReport::default()
    };
    for (element, x) in values.iter().enumerate() {
        match nearest::<A, B>(*x) {
            Nearest::NotFinite => {
                r.non_finite += 1;
                refusals.non_finite.get_or_insert((index, element));
            }
            Nearest::Saturated(_) => {
                let v = x.to_f64();
                r.saturated += 1;
                r.max_abs = r.max_abs.max(v.abs());
                refusals.saturated.get_or_insert((index, element, v));
                refusals.saturated_count += 1;
            }
            Nearest::Value(y) => {
                let v = x.to_f64();
                let y = y.to_f64();
                r.max_abs = r.max_abs.max(v.abs());
                r.max_error = r.max_error.max((y - v).abs());
                r.flushed += usize::from(y == 0.0 && v != 0.0);
            }
        }
    }
    r
}

/// True if the tensor number `index` of `M` (in `T`) is named `name` and shaped `dims`.
fn declares<M: Params<T>, T: Scalar>(index: usize, name: &ParamName, dims: super::Dims) -> bool {
    let mut i = 0;
    let mut same = false;
    visit_shapes::<M, T, _>(|n, tensor| {
        if i == index {
            same = n.as_str() == name.as_str() && tensor.dims == dims;
        }
        i += 1;
    });
    same
}

/// The number of tensors `M` declares.
fn tensor_count<M: Params<T>, T: Scalar>() -> usize {
    let mut n = 0;
    visit_shapes::<M, T, _>(|_, _| n += 1);
    n
}

/// The converted values of a source model, tensor by tensor in registration order: what the
/// walk that writes the target loads from (the one load of [`Params::load_flat`] and of an
/// image). A tensor of the target is filled from the source's tensor that starts at the same
/// value and has as many values (the same tensor, since the two models declare the same
/// tensors); the values of a borrowed layer of the target are stepped over.
struct Converting<'a, MA, A> {
    from: &'a MA,
    /// Where the next tensor starts, counting every value of the source.
    offset: usize,
    /// False for the dry run, which writes nothing and only finds every tensor's source.
    write: bool,
    /// The first target tensor without a source tensor at its place: the number of the
    /// source's tensor there.
    unmatched: Option<usize>,
    _number: core::marker::PhantomData<A>,
}

impl<'a, MA, A> Converting<'a, MA, A> {
    const fn new(from: &'a MA, write: bool) -> Self {
        Self {
            from,
            offset: 0,
            write,
            unmatched: None,
            _number: core::marker::PhantomData,
        }
    }
}

impl<A: Scalar, B: Scalar, MA: Params<A>> Source<B> for Converting<'_, MA, A> {
    fn fill(&mut self, out: &mut [B]) {
        let (start, write) = (self.offset, self.write);
        let (mut at, mut before, mut found) = (0, 0, false);
        zip::<Ref, MA, A, _>(self.from, |_, values| {
            if !found && at == start && values.len() == out.len() {
                if write {
                    for (d, s) in out.iter_mut().zip(values) {
                        // Measured first: a value that does not convert refused the conversion.
                        if let Nearest::Value(y) | Nearest::Saturated(y) = nearest::<A, B>(*s) {
                            *d = y;
                        }
                    }
                }
                found = true;
            }
            at += values.len();
            before += usize::from(at <= start);
        });
        if !found {
            self.unmatched.get_or_insert(before);
        }
        self.offset += out.len();
    }

    fn skip(&mut self, n: usize) {
        self.offset += n;
    }
}

/// Converts the model `from`, in the number type `A`, into `to`, the same model in `B`, value
/// by value: each taken to `f64` exactly and rounded once to the nearest value of `B`, ties
/// to even. The error of a value in range is at most half a step of `B`: `2^-17` into `Q16`;
/// half an ulp of the result into `f32` (0 from `Q16` below 256 in magnitude); 0 into `f64`.
/// So `f32 -> Q16 -> f32` moves no value in range by more than `2^-17`, and none from 128 up.
/// A nonzero value that rounds to zero is counted as flushed. `report` is called with every
/// tensor's name and [`TensorReport`], in registration order, before anything is written,
/// whether or not the conversion is then refused.
///
/// Refused, leaving `to` unchanged: tensors named or shaped differently
/// ([`ConvertError::Mismatch`]; a different parameter count does not compile), a NaN, an
/// infinity or a `Q16` rail in `from` ([`ConvertError::NonFinite`]), and with
/// [`Saturation::Refuse`] a value beyond `B`'s range ([`ConvertError::Saturated`]). The
/// values of a borrowed layer of `to` are not written (it cannot be): they are reported, and
/// stepped over.
///
/// No allocation: the walks are the model's own, and each tensor's report is a few words.
///
/// ```
/// use skipgrad::params::{convert, ConvertError, Saturation};
/// use skipgrad::{Linear, Q16, Zeroed};
///
/// let float = Linear::<f32, 3, 1>::new([[0.1, -40000.0, 1e-6]], [2.0]);
/// let mut fixed = Linear::<Q16, 3, 1>::ZERO;
///
/// // -40000 is beyond Q16's range: refused, every tensor reported, nothing written.
/// let mut saturated = [0; 2];
/// let refused = convert::<f32, Q16, _, _>(&float, &mut fixed, Saturation::Refuse, |_, r| {
///     saturated[r.index] = r.saturated;
/// });
/// assert_eq!(
///     refused,
///     Err(ConvertError::Saturated { tensor: 0, element: 1, value: -40000.0, count: 1 })
/// );
/// assert_eq!(saturated, [1, 0]);
/// assert_eq!(fixed, Linear::ZERO);
///
/// // Clamped: -40000 becomes the most negative Q16, and 1e-6 (below half a unit) zero.
/// let mut names = Vec::new();
/// let summary = convert::<f32, Q16, _, _>(&float, &mut fixed, Saturation::Clamp, |name, r| {
///     names.push((name.as_str().to_owned(), r.saturated, r.flushed));
/// })?;
/// assert_eq!(names, [("weight".to_owned(), 1, 1), ("bias".to_owned(), 0, 0)]);
/// assert_eq!(fixed.weight[0], [Q16::from_f64(0.1), -Q16::LARGEST, Q16::ZERO]);
/// assert_eq!((summary.saturated, summary.flushed, summary.values), (1, 1, 4));
/// assert!(summary.max_error <= 0.5 / 65536.0);
///
/// // And back to f32: exact below 256; -LARGEST (-32768 + 2^-15) rounds to -32768.
/// let mut back = Linear::<f32, 3, 1>::ZERO;
/// let mut errors = Vec::new();
/// convert::<Q16, f32, _, _>(&fixed, &mut back, Saturation::Refuse, |_, r| {
///     errors.push(r.max_error);
/// })?;
/// assert_eq!(errors, [1.0 / 32768.0, 0.0]);
/// assert_eq!(back.weight[0], [0.100006103515625, -32768.0, 0.0]);
/// assert_eq!(back.bias, [2.0]);
/// # Ok::<(), ConvertError>(())
/// ```
pub fn convert<A, B, MA, MB>(
    from: &MA,
    to: &mut MB,
    saturation: Saturation,
    mut report: impl FnMut(&ParamName, &TensorReport),
) -> Result<Summary, ConvertError>
where
    A: Scalar,
    B: Scalar,
    MA: Params<A>,
    MB: Params<B>,
{
    const {
        assert!(
            MA::LEN == MB::LEN,
            "convert: the two models have different parameter counts"
        );
    }
    let mut summary = Summary::default();
    let mut refusals = Refusals::default();
    let mut mismatch = None;
    let mut index = 0;
    visit_named::<MA, A, _>(from, |name, tensor, values| {
        if mismatch.is_none() && !declares::<MB, B>(index, name, tensor.dims) {
            mismatch = Some(index);
        }
        let r = measure::<A, B>(index, values, &mut refusals);
        report(name, &r);
        summary.add(&r);
        index += 1;
    });
    let targets = tensor_count::<MB, B>();
    if let Some(tensor) = mismatch.or((index != targets).then(|| index.min(targets))) {
        return Err(ConvertError::Mismatch { tensor });
    }
    if let Some((tensor, element)) = refusals.non_finite {
        return Err(ConvertError::NonFinite { tensor, element });
    }
    if let (Some((tensor, element, value)), Saturation::Refuse) = (refusals.saturated, saturation) {
        return Err(ConvertError::Saturated {
            tensor,
            element,
            value,
            count: refusals.saturated_count,
        });
    }
    // Every tensor of the target finds its source before anything is written (the checks
    // above make this certain; the dry run keeps the transaction if they ever did not).
    let mut dry = Converting::new(from, false);
    load_from(to, &mut dry);
    if let Some(tensor) = dry.unmatched {
        return Err(ConvertError::Mismatch { tensor });
    }
    load_from(to, &mut Converting::new(from, true));
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::{Linear, Residual};
    use crate::number::Q16;
    use crate::zeroed::Zeroed;
    use crate::Gelu;

    /// Half a unit of `Q16`.
    const HALF: f64 = 1.0 / 131072.0;
    /// `Q16::LARGEST` as `f64`.
    const TOP: f64 = (i32::MAX - 1) as f64 / 65536.0;

    /// One `f64` into `Q16`, as a one-value model: the bits, or the refusal.
    fn one(v: f64, saturation: Saturation) -> (Result<i32, ConvertError>, TensorReport) {
        let from = [
            Linear::<f64, 1, 1>::new([[0.0]], [0.0]),
            Linear::new([[0.0]], [v]),
        ];
        let mut to = [Linear::<Q16, 1, 1>::ZERO; 2];
        let mut got = TensorReport::default();
        let r = convert::<f64, Q16, _, _>(&from, &mut to, saturation, |name, r| {
            if name.as_str() == "1.bias" {
                got = *r;
            }
        });
        (r.map(|_| to[1].bias[0].to_bits()), got)
    }

    /// The boundaries of `Q16`: the largest value, its half-way point (a tie, to even), the
    /// smallest step and half of it, non-finite values.
    #[test]
    fn boundaries_into_q16_table() {
        let refused = |value| ConvertError::Saturated {
            tensor: 3,
            element: 0,
            value,
            count: 1,
        };
        // (value, bits or refusal with Refuse, bits with Clamp, saturated, flushed, error)
        type Case = (f64, Result<i32, ConvertError>, i32, usize, usize, f64);
        let cases: [Case; 16] = [
            (0.0, Ok(0), 0, 0, 0, 0.0),
            (TOP, Ok(i32::MAX - 1), i32::MAX - 1, 0, 0, 0.0),
            (-TOP, Ok(1 - i32::MAX), 1 - i32::MAX, 0, 0, 0.0),
            // A tie between LARGEST (even) and the rail: to even, in range.
            (TOP + HALF, Ok(i32::MAX - 1), i32::MAX - 1, 0, 0, HALF),
            (-TOP - HALF, Ok(1 - i32::MAX), 1 - i32::MAX, 0, 0, HALF),
            // Just beyond: saturated.
            (
                TOP + HALF * 1.001,
                Err(refused(TOP + HALF * 1.001)),
                i32::MAX - 1,
                1,
                0,
                0.0,
            ),
            (-32768.0, Err(refused(-32768.0)), 1 - i32::MAX, 1, 0, 0.0),
            (1e300, Err(refused(1e300)), i32::MAX - 1, 1, 0, 0.0),
            // The smallest step, half of it (a tie, to even: zero), and just above half.
            (2.0 * HALF, Ok(1), 1, 0, 0, 0.0),
            (HALF, Ok(0), 0, 0, 1, HALF),
            (-HALF, Ok(0), 0, 0, 1, HALF),
            (HALF * 1.001, Ok(1), 1, 0, 0, 2.0 * HALF - HALF * 1.001),
            (3.0 * HALF, Ok(2), 2, 0, 0, HALF),
            (5e-324, Ok(0), 0, 0, 1, 5e-324),
            (0.1, Ok(6554), 6554, 0, 0, 6554.0 / 65536.0 - 0.1),
            (-1.5, Ok(-98304), -98304, 0, 0, 0.0),
        ];
        for (v, refuse, clamp, saturated, flushed, error) in cases {
            let (got, r) = one(v, Saturation::Refuse);
            assert_eq!(got, refuse, "{v}");
            assert_eq!(
                (r.saturated, r.flushed, r.non_finite),
                (saturated, flushed, 0),
                "{v}"
            );
            assert_eq!(r.max_error, error, "{v}");
            assert_eq!(r.max_abs, v.abs(), "{v}");
            assert_eq!(one(v, Saturation::Clamp).0, Ok(clamp), "{v}");
        }
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for s in [Saturation::Refuse, Saturation::Clamp] {
                let (got, r) = one(v, s);
                assert_eq!(
                    got,
                    Err(ConvertError::NonFinite {
                        tensor: 3,
                        element: 0
                    }),
                    "{v}"
                );
                assert_eq!((r.non_finite, r.max_abs), (1, 0.0), "{v}");
            }
        }
    }

    /// `f32` into `Q16`: the largest `f32` below 32768 is in range, 32768 is not.
    #[test]
    fn f32_edges_into_q16() {
        let edge = 32768.0f32 - 1.0 / 512.0;
        let from = Linear::<f32, 2, 1>::new([[edge, -edge]], [32768.0]);
        let mut to = Linear::<Q16, 2, 1>::ZERO;
        let mut reports = [TensorReport::default(); 2];
        let s = convert::<f32, Q16, _, _>(&from, &mut to, Saturation::Clamp, |_, r| {
            if let Some(slot) = reports.get_mut(r.index) {
                *slot = *r;
            }
        });
        assert_eq!(s.map(|s| (s.saturated, s.saturated_tensors)), Ok((1, 1)));
        assert_eq!(
            to.weight[0],
            [Q16::from_f64(edge.into()), -Q16::from_f64(edge.into())]
        );
        assert_eq!(to.bias[0], Q16::LARGEST);
        assert_eq!((reports[0].saturated, reports[1].saturated), (0, 1));
        assert_eq!(reports[1].max_abs, 32768.0);
    }

    /// Back to `f32`: exact below 256, half an ulp of `f32` above; a rail is refused.
    #[test]
    fn q16_into_f32() {
        let from = Linear::<Q16, 2, 1>::new(
            [[Q16::from_f64(256.0 - 1.0 / 65536.0), Q16::LARGEST]],
            [Q16::from_bits(-1)],
        );
        let mut to = Linear::<f32, 2, 1>::ZERO;
        let mut errors = [0.0; 2];
        let s = convert::<Q16, f32, _, _>(&from, &mut to, Saturation::Refuse, |_, r| {
            if let Some(slot) = errors.get_mut(r.index) {
                *slot = r.max_error;
            }
        });
        assert!(s.is_ok());
        // 256 - 2^-16 has 24 significant bits: exact; LARGEST (32768 - 2^-15) rounds to 32768.
        assert_eq!(to.weight[0], [256.0 - 1.0 / 65536.0, 32768.0]);
        assert_eq!(to.bias, [-1.0 / 65536.0]);
        assert_eq!(errors, [1.0 / 32768.0, 0.0]);
        for rail in [Q16::MAX, Q16::MIN, Q16::from_bits(i32::MIN)] {
            let bad = Linear::<Q16, 2, 1>::new([[Q16::ONE, Q16::ONE]], [rail]);
            let mut to = Linear::<f32, 2, 1>::ZERO;
            let r = convert::<Q16, f32, _, _>(&bad, &mut to, Saturation::Clamp, |_, _| {});
            assert_eq!(
                r,
                Err(ConvertError::NonFinite {
                    tensor: 1,
                    element: 0
                })
            );
            assert_eq!(to, Linear::ZERO);
        }
    }

    /// `f64` into `f32`: beyond `f32::MAX` saturates, below the subnormals flushes.
    #[test]
    fn f64_into_f32() {
        let from = Linear::<f64, 3, 1>::new([[1e300, -1e300, 1e-50]], [0.1]);
        let mut to = Linear::<f32, 3, 1>::ZERO;
        let r = convert::<f64, f32, _, _>(&from, &mut to, Saturation::Refuse, |_, _| {});
        assert_eq!(
            r,
            Err(ConvertError::Saturated {
                tensor: 0,
                element: 0,
                value: 1e300,
                count: 2
            })
        );
        let mut flushed = 0;
        let s = convert::<f64, f32, _, _>(&from, &mut to, Saturation::Clamp, |_, r| {
            flushed += r.flushed;
        });
        assert_eq!(s.map(|s| s.saturated), Ok(2));
        assert_eq!(flushed, 1);
        assert_eq!(to.weight[0], [f32::MAX, -f32::MAX, 0.0]);
        assert_eq!(to.bias, [0.1f32]);
    }

    /// The exact boundaries of `f64` into `f32`: a quarter ulp above `f32::MAX` rounds down to
    /// it; `2^128 - 2^103`, half-way between `f32::MAX` (odd) and `2^128`, rounds to even,
    /// beyond the range: saturated; `2^-150`, half-way between 0 and the smallest subnormal,
    /// rounds to even: zero, counted as flushed; a little above it rounds up to `2^-149`.
    #[test]
    fn boundaries_into_f32_table() {
        let max = f64::from(f32::MAX);
        let tiny = f64::from(f32::from_bits(1)); // 2^-149
        assert_eq!(tiny, 2f64.powi(-149));
        // (value, result or refusal with Refuse, result with Clamp, saturated, flushed, error)
        type Case = (f64, Result<f32, ConvertError>, f32, usize, usize, f64);
        let refused = |value| {
            Err(ConvertError::Saturated {
                tensor: 0,
                element: 0,
                value,
                count: 1,
            })
        };
        let tie_up = 2f64.powi(128) - 2f64.powi(103);
        let cases: [Case; 8] = [
            (max, Ok(f32::MAX), f32::MAX, 0, 0, 0.0),
            (
                max + 2f64.powi(102),
                Ok(f32::MAX),
                f32::MAX,
                0,
                0,
                2f64.powi(102),
            ),
            (
                -max - 2f64.powi(102),
                Ok(-f32::MAX),
                -f32::MAX,
                0,
                0,
                2f64.powi(102),
            ),
            (tie_up, refused(tie_up), f32::MAX, 1, 0, 0.0),
            (-tie_up, refused(-tie_up), -f32::MAX, 1, 0, 0.0),
            (tiny / 2.0, Ok(0.0), 0.0, 0, 1, tiny / 2.0),
            (
                tiny / 2.0 * 1.0001,
                Ok(f32::from_bits(1)),
                f32::from_bits(1),
                0,
                0,
                tiny - tiny / 2.0 * 1.0001,
            ),
            (
                tiny * 1.5,
                Ok(f32::from_bits(2)),
                f32::from_bits(2),
                0,
                0,
                tiny / 2.0,
            ),
        ];
        for (v, refuse, clamp, saturated, flushed, error) in cases {
            for saturation in [Saturation::Refuse, Saturation::Clamp] {
                let from = Linear::<f64, 1, 1>::new([[v]], [0.0]);
                let mut to = Linear::<f32, 1, 1>::ZERO;
                let mut r = TensorReport::default();
                let got = convert::<f64, f32, _, _>(&from, &mut to, saturation, |_, t| {
                    if t.index == 0 {
                        r = *t;
                    }
                })
                .map(|_| to.weight[0][0]);
                let want = match saturation {
                    Saturation::Refuse => refuse,
                    Saturation::Clamp => Ok(clamp),
                };
                assert_eq!(got.map(f32::to_bits), want.map(f32::to_bits), "{v:e}");
                assert_eq!((r.saturated, r.flushed), (saturated, flushed), "{v:e}");
                assert_eq!((r.max_error, r.max_abs), (error, v.abs()), "{v:e}");
            }
        }
    }

    /// `f32 -> Q16 -> f32` moves no value in range by more than half a unit, and none from
    /// 128 up: every 65,537th `f32` below 32768 in magnitude, and every `f32` from 1 to
    /// 1 + 2^-10 and around 128.
    #[test]
    fn round_trip_moves_values_by_at_most_half_a_unit() {
        let limit = 32768.0f32.to_bits();
        let around = |x: f32| x.to_bits() - 4096..x.to_bits() + 4096;
        let patterns = (0..limit)
            .step_by(65_537)
            .chain(1.0f32.to_bits()..1.0f32.to_bits() + 8192)
            .chain(around(128.0));
        let mut worst = 0.0f64;
        for bits in patterns {
            for x in [f32::from_bits(bits), -f32::from_bits(bits)] {
                let from = Linear::<f32, 1, 1>::new([[x]], [0.0]);
                let mut q = Linear::<Q16, 1, 1>::ZERO;
                let mut back = Linear::<f32, 1, 1>::ZERO;
                let ok = convert::<f32, Q16, _, _>(&from, &mut q, Saturation::Refuse, |_, _| {})
                    .and_then(|_| {
                        convert::<Q16, f32, _, _>(&q, &mut back, Saturation::Refuse, |_, _| {})
                    });
                assert!(ok.is_ok(), "{x}");
                let e = (f64::from(back.weight[0][0]) - f64::from(x)).abs();
                assert!(e <= HALF, "{x}: {e}");
                assert!(x.abs() < 128.0 || e == 0.0, "{x}: {e}");
                worst = worst.max(e);
            }
        }
        assert_eq!(worst, HALF);
    }

    type Block<T> = Residual<(Linear<T, 3, 3>, Gelu)>;
    type Net<T> = ([Block<T>; 2], (Linear<T, 3, 1>, Gelu));

    /// A whole network: every tensor reported by name, in order; the saturated values
    /// counted exactly; refused conversions write nothing.
    #[test]
    fn whole_networks_report_every_tensor() {
        let mut from: Net<f32> = crate::params::Params::torch_init(&mut crate::TorchInit::new(1));
        from.0[1].0 .0.weight[2] = [40000.0, -1e6, 0.5];
        from.1 .0.bias[0] = -32768.0;
        let mut to = Net::<Q16>::ZERO;
        let mut lines: heapless::Vec<(heapless::String<16>, usize), 8> = heapless::Vec::new();
        let refused = convert::<f32, Q16, _, _>(&from, &mut to, Saturation::Refuse, |n, r| {
            let name = heapless::String::try_from(n.as_str()).unwrap_or_default();
            let _ = lines.push((name, r.saturated));
        });
        assert_eq!(
            refused,
            Err(ConvertError::Saturated {
                tensor: 2,
                element: 6,
                value: 40000.0,
                count: 3
            })
        );
        assert_eq!(to, Net::ZERO);
        let names: heapless::Vec<(&str, usize), 8> =
            lines.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        assert_eq!(
            names.as_slice(),
            [
                ("0.0.0.weight", 0),
                ("0.0.0.bias", 0),
                ("0.1.0.weight", 2),
                ("0.1.0.bias", 0),
                ("1.0.weight", 0),
                ("1.0.bias", 1),
            ]
        );
        let s = convert::<f32, Q16, _, _>(&from, &mut to, Saturation::Clamp, |_, _| {});
        assert_eq!(
            s.map(|s| (s.tensors, s.values, s.saturated, s.saturated_tensors)),
            Ok((6, 28, 3, 2))
        );
        assert_eq!(to.0[1].0 .0.weight[2][1], -Q16::LARGEST);
        assert_eq!(to.1 .0.bias[0], -Q16::LARGEST);
        assert_eq!(
            to.0[0].0 .0.weight[1][2],
            Q16::from_f32(from.0[0].0 .0.weight[1][2])
        );
    }

    /// A borrowed layer of the target (a `static`, in flash on a device) is measured and
    /// reported but not written: its values are stepped over, and the tensors after it get
    /// their own values, bit for bit. A frozen layer converts like any other, in the source or
    /// in the target.
    #[test]
    fn borrowed_and_frozen_layers_table() {
        type Front<T> = Linear<T, 2, 1>;
        type Head<T> = Linear<T, 1, 2>;
        static LENT: Front<Q16> = Linear::new([[Q16::ONE, Q16::ONE]], [Q16::ONE]);
        // Both weights hold two values: a target that did not step over the borrowed ones
        // would take the head's weight from the front's.
        let front = Front::<f32>::new([[0.25, -0.5]], [0.75]);
        let head = Head::<f32>::new([[1.5], [-2.0]], [0.1, -3.0]);
        let front_bits = ([16384, -32768], 49152);
        let head_bits = ([98304, -131072], [6554, -196608]);
        let bits = |l: &Linear<Q16, 2, 1>| (l.weight[0].map(Q16::to_bits), l.bias[0].to_bits());
        let head_of = |l: &Linear<Q16, 1, 2>| {
            (
                [l.weight[0][0].to_bits(), l.weight[1][0].to_bits()],
                l.bias.map(Q16::to_bits),
            )
        };
        let ok = |s: Result<Summary, ConvertError>| s.map(|s| (s.tensors, s.values));

        // (plain source, frozen source): into a target with a borrowed front.
        let plain = (front, head);
        let frozen = (crate::Frozen(front), head);
        for ((summary, to, names), lent) in [
            (convert_with_lent(&plain), "plain"),
            (convert_with_lent(&frozen), "frozen"),
        ] {
            assert_eq!(ok(summary), Ok((4, 7)), "{lent}");
            assert!(core::ptr::eq(to.0, &LENT), "{lent}");
            assert_eq!(bits(&LENT), ([65536, 65536], 65536), "{lent}");
            assert_eq!(head_of(&to.1), head_bits, "{lent}");
            assert_eq!(
                names,
                ["0.weight", "0.bias", "1.weight", "1.bias"],
                "{lent}"
            );
        }

        // A frozen layer of the target is written.
        let mut to = (crate::Frozen(Front::<Q16>::ZERO), Head::<Q16>::ZERO);
        let s = convert::<f32, Q16, _, _>(&frozen, &mut to, Saturation::Refuse, |_, _| {});
        assert_eq!(ok(s), Ok((4, 7)));
        assert_eq!((bits(&to.0 .0), head_of(&to.1)), (front_bits, head_bits));

        /// Converts `from` into a target whose front is [`LENT`]: the summary, the target and
        /// the names reported.
        #[allow(clippy::type_complexity)]
        fn convert_with_lent<M: Params<f32>>(
            from: &M,
        ) -> (
            Result<Summary, ConvertError>,
            (&'static Front<Q16>, Head<Q16>),
            heapless::Vec<&'static str, 4>,
        ) {
            let mut to = (&LENT, Head::<Q16>::ZERO);
            let mut names = heapless::Vec::new();
            let s = convert::<f32, Q16, _, _>(from, &mut to, Saturation::Refuse, |n, _| {
                let name = ["0.weight", "0.bias", "1.weight", "1.bias"]
                    .into_iter()
                    .find(|k| *k == n.as_str());
                let _ = names.push(name.unwrap_or("?"));
            });
            (s, to, names)
        }
    }

    /// A tensor of the target is filled only from the source's tensor at its place, of its
    /// length; one without is reported (never left silently unwritten), and the dry run writes
    /// nothing.
    #[test]
    fn an_unmatched_fill_is_reported() {
        // Tensors of 2, 1, 2 and 2 values, starting at 0, 2, 3 and 5.
        let from = (
            Linear::<f32, 2, 1>::new([[0.5, 0.25]], [1.0]),
            Linear::<f32, 1, 2>::new([[2.0], [3.0]], [4.0, 5.0]),
        );
        let sentinel = Q16::from_bits(7);
        // (steps: (true, n) fills n values, (false, n) skips n; the unmatched tensor)
        type Step = (bool, usize);
        let cases: [(&[Step], Option<usize>); 5] = [
            (&[(true, 2), (true, 1), (true, 2), (true, 2)], None),
            (&[(false, 3), (true, 2), (false, 2)], None),
            // Three values at 3: the tensor there holds two.
            (&[(true, 2), (false, 1), (true, 3)], Some(2)),
            // One value at 1: inside the first tensor.
            (&[(false, 1), (true, 1)], Some(0)),
            // Beyond the last tensor.
            (&[(false, 7), (true, 1)], Some(4)),
        ];
        for (steps, unmatched) in cases {
            for write in [false, true] {
                let mut c = Converting::<_, f32>::new(&from, write);
                let mut out = [sentinel; 3];
                let mut filled = heapless::Vec::<Q16, 8>::new();
                for &(fill, n) in steps {
                    if fill {
                        let part = out.get_mut(..n).unwrap_or_default();
                        part.fill(sentinel);
                        Source::<Q16>::fill(&mut c, part);
                        let _ = filled.extend_from_slice(part);
                    } else {
                        Source::<Q16>::skip(&mut c, n);
                    }
                }
                assert_eq!(c.unmatched, unmatched, "{steps:?}");
                if !write {
                    assert!(filled.iter().all(|v| *v == sentinel), "{steps:?}");
                }
            }
        }
        // The real run of the second case: the values at 3 are the head's weight.
        let mut c = Converting::<_, f32>::new(&from, true);
        let mut out = [sentinel; 2];
        Source::<Q16>::skip(&mut c, 3);
        Source::<Q16>::fill(&mut c, &mut out);
        assert_eq!(out, [Q16::from_f64(2.0), Q16::from_f64(3.0)]);
    }

    /// Models that do not name or shape their tensors alike are refused, as are NaNs, before
    /// a saturation, whatever the policy.
    #[test]
    fn mismatches_and_non_finite_values_are_refused() {
        // Six values each, but shaped 2 x 2 + 2 and 3 x 1 + 3.
        let from = Linear::<f32, 2, 2>::ZERO;
        let mut to = Linear::<Q16, 1, 3>::ZERO;
        let r = convert::<f32, Q16, _, _>(&from, &mut to, Saturation::Clamp, |_, _| {});
        assert_eq!(r, Err(ConvertError::Mismatch { tensor: 0 }));
        // The same count of values in more tensors.
        let from = (Linear::<f32, 1, 1>::ZERO, Linear::<f32, 1, 1>::ZERO);
        let mut to = Linear::<Q16, 3, 1>::ZERO;
        let r = convert::<f32, Q16, _, _>(&from, &mut to, Saturation::Clamp, |_, _| {});
        assert_eq!(r, Err(ConvertError::Mismatch { tensor: 0 }));
        let mut from = Linear::<f32, 2, 1>::new([[1e9, 1.0]], [f32::NAN]);
        let mut to = Linear::<Q16, 2, 1>::ZERO;
        let r = convert::<f32, Q16, _, _>(&from, &mut to, Saturation::Clamp, |_, _| {});
        assert_eq!(
            r,
            Err(ConvertError::NonFinite {
                tensor: 1,
                element: 0
            })
        );
        from.bias[0] = 0.0;
        assert!(convert::<f32, Q16, _, _>(&from, &mut to, Saturation::Clamp, |_, _| {}).is_ok());
        assert_eq!(to.weight[0], [Q16::LARGEST, Q16::ONE]);
    }

    #[test]
    fn errors_read_as_sentences() {
        use core::fmt::Write as _;
        let mut s = heapless::String::<128>::new();
        let e = ConvertError::Saturated {
            tensor: 2,
            element: 6,
            value: 40000.0,
            count: 3,
        };
        assert!(write!(s, "{e}").is_ok());
        assert_eq!(
            s.as_str(),
            "tensor 2: element 6 is 40000, beyond the target's range (3 value(s) in all)"
        );
        s.clear();
        let e = ConvertError::Saturated {
            tensor: 0,
            element: 1,
            value: -1e300,
            count: 1,
        };
        assert!(write!(s, "{e}").is_ok());
        assert_eq!(
            s.as_str(),
            "tensor 0: element 1 is -1e300, beyond the target's range (1 value(s) in all)"
        );
    }

    /// Full decimals below `1e7`, scientific notation from there; NaN and infinities as Rust
    /// prints them.
    #[test]
    fn shown_values_table() {
        use core::fmt::Write as _;
        let cases: [(f64, &str); 9] = [
            (0.0, "0"),
            (-40000.0, "-40000"),
            (32767.999969482422, "32767.999969482422"),
            (9999999.5, "9999999.5"),
            (1e7, "1e7"),
            (-12345678.0, "-1.2345678e7"),
            (f64::from(f32::MAX), "3.4028234663852886e38"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "NaN"),
        ];
        for (v, want) in cases {
            let mut s = heapless::String::<32>::new();
            assert!(write!(s, "{}", Shown(v)).is_ok());
            assert_eq!(s.as_str(), want);
        }
    }
}
