//! Parameters: the one walk a layer declares, and every operation derived from it.

mod checksum;
mod hash;
pub mod image;
mod init;
mod name;
mod walk;

pub use hash::Fnv1a;
pub use init::{TorchInit, UniformFormula};
pub use name::{ParamName, NAME_CAPACITY};
pub use walk::{
    visit_named, visit_named_mut, visit_named_mut_under, visit_named_under, zip, zip_grads,
    zip_trainable, Dims, EachZip, Init, Mut, Ref, Segment, Tensor, View, Walk,
};

use crate::number::Scalar;
use crate::zeroed::Zeroed;

/// The type of a layer's gradients: what training changes.
///
/// It is the layer itself for every layer but those that are or contain frozen or borrowed
/// parts, whose gradient type leaves them out (`()`), so that frozen layers take no gradient
/// memory and no optimizer state. An optimizer's state (a momentum buffer, Adam's moments) is
/// a value of this type too.
pub trait Layer {
    /// The gradient type.
    type Grads: Zeroed;
}

/// A layer's parameters, declared once by [`Params::walk`].
///
/// Every operation on parameters (names, zips of any arity, zeroing, initialisation,
/// finiteness, sums, flat load and store, hashing, optimizer updates) is a walker over that
/// one declaration (see [`Walk`]). A layer without parameters declares nothing:
///
/// ```
/// use skipgrad::params::{Dims, Init, Tensor, Walk};
/// use skipgrad::{Params, Scalar, Zeroed};
///
/// /// `y = x * scale + shift`, element-wise, with a learnable scale and shift.
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// struct Affine<T, const N: usize> {
///     scale: [T; N],
///     shift: [T; N],
/// }
///
/// impl<T: Scalar, const N: usize> Zeroed for Affine<T, N> {
///     const ZERO: Self = Affine { scale: [T::ZERO; N], shift: [T::ZERO; N] };
/// }
///
/// impl<T: Scalar, const N: usize> skipgrad::Layer for Affine<T, N> {
///     type Grads = Self;
/// }
///
/// impl<T: Scalar, const N: usize> Params<T> for Affine<T, N> {
///     const LEN: usize = 2 * N;
///     fn walk<W: Walk<Self, T>>(w: &mut W) {
///         w.tensor(Tensor::new("scale", Dims::Vector(N), Init::Ones), |a| &a.scale, |a| &mut a.scale);
///         w.tensor(Tensor::new("shift", Dims::Vector(N), Init::Zeros), |a| &a.shift, |a| &mut a.shift);
///     }
/// }
///
/// let a: Affine<f32, 2> = Params::torch_init(&mut skipgrad::TorchInit::new(0));
/// assert_eq!((a.scale, a.shift), ([1.0; 2], [0.0; 2]));
/// assert_eq!(Affine::<f32, 2>::ZERO.sum_of_squares(), 0.0);
/// ```
pub trait Params<T: Scalar>: Layer + Sized {
    /// The number of scalar parameters, frozen and borrowed ones included.
    const LEN: usize;

    /// The number of trainable scalar parameters (those of [`Layer::Grads`]): `LEN` unless
    /// the layer is or contains a frozen or borrowed part. Containers add up their
    /// children's.
    const TRAINABLE: usize = Self::LEN;

    /// Declares the layer's tensors and child layers to `w`, in PyTorch's registration order.
    fn walk<W: Walk<Self, T>>(w: &mut W);

    /// Sets every writable parameter to zero (`optimizer.zero_grad()` on a gradient value).
    #[inline]
    fn zero(&mut self) {
        walk::zip::<Mut, _, T, _>(self, |_, t| t.fill(T::ZERO));
    }

    /// Multiplies every writable parameter by `factor`.
    #[inline]
    fn scale(&mut self, factor: T) {
        walk::zip::<Mut, _, T, _>(self, |_, t| t.iter_mut().for_each(|v| *v *= factor));
    }

    /// Adds `other` element-wise (accumulating gradients).
    #[inline]
    fn add_assign(&mut self, other: &Self) {
        walk::zip::<(Mut, Ref), _, T, _>((self, other), |_, (a, b)| {
            a.iter_mut().zip(b).for_each(|(a, b)| *a += *b);
        });
    }

    /// The sum of squares of every parameter, accumulated in `T`, in registration order.
    #[inline]
    fn sum_of_squares(&self) -> T {
        let mut acc = T::ZERO;
        walk::zip::<Ref, _, T, _>(self, |_, t| t.iter().for_each(|v| acc += *v * *v));
        acc
    }

    /// True if no parameter is NaN or infinite (or saturated, in fixed point).
    #[inline]
    fn all_finite(&self) -> bool {
        let mut probe = T::PROBE;
        walk::zip::<Ref, _, T, _>(self, |_, t| probe = probe_values(probe, t));
        T::probe_ok(probe)
    }

    /// Sets every value of a gradient value (of this layer's gradient type) to zero.
    #[inline]
    fn zero_grads(grads: &mut Self::Grads) {
        walk::zip_grads::<Self, Mut, T, _>(grads, |_, t| t.fill(T::ZERO));
    }

    /// True if no value of a gradient value is NaN or infinite (or saturated).
    #[inline]
    fn grads_finite(grads: &Self::Grads) -> bool {
        let mut probe = T::PROBE;
        walk::zip_grads::<Self, Ref, T, _>(grads, |_, t| probe = probe_values(probe, t));
        T::probe_ok(probe)
    }

    /// FNV-1a over the bits of every parameter (little-endian, in registration order): a word
    /// that changes if any bit of any weight does.
    #[inline]
    fn weights_hash(&self) -> u32 {
        let mut h = Fnv1a::new();
        walk::zip::<Ref, _, T, _>(self, |_, t| hash_values(&mut h, t));
        h.finish()
    }

    /// FNV-1a over every tensor's name and shape, in order: equal for two model types exactly
    /// when they name and shape their tensors alike.
    fn shape_hash() -> u32 {
        let mut h = Fnv1a::new();
        visit_shapes::<Self, T, _>(|name, tensor| {
            h.write(name.as_str().as_bytes());
            h.write(&[0]);
            let (dims, rank) = tensor.dims.shape();
            for d in dims.iter().take(rank) {
                h.write_le(*d as u64, 8);
            }
        });
        h.finish()
    }

    /// Re-initialises every writable parameter as PyTorch does when it constructs the layer,
    /// drawing from `init` in PyTorch's order (for `nn.Linear`: the weight row by row, then the
    /// bias). A borrowed layer is left to its owner.
    fn reset_parameters(&mut self, init: &mut TorchInit) {
        walk::zip::<Mut, _, T, _>(self, |tensor, values| init.fill(tensor.init, values));
    }

    /// A fresh value initialised as `torch.manual_seed(seed)` followed by constructing the
    /// PyTorch model would be (see [`TorchInit`]).
    #[inline]
    fn torch_init(init: &mut TorchInit) -> Self
    where
        Self: Zeroed,
    {
        let mut m = Self::ZERO;
        m.reset_parameters(init);
        m
    }

    /// Copies every parameter, in registration order, into `out`, which must hold exactly
    /// [`Params::LEN`] values.
    fn store_flat(&self, out: &mut [T]) -> Result<(), LengthMismatch> {
        if out.len() != Self::LEN {
            return Err(LengthMismatch {
                expected: Self::LEN,
                found: out.len(),
            });
        }
        let mut rest: &mut [T] = out;
        walk::zip::<Ref, _, T, _>(self, |_, t| {
            let taken = core::mem::take(&mut rest);
            if let Some((head, tail)) = taken.split_at_mut_checked(t.len()) {
                head.iter_mut().zip(t).for_each(|(d, s)| *d = *s);
                rest = tail;
            }
        });
        Ok(())
    }

    /// Loads every parameter from `values`, in registration order ([`Params::store_flat`]'s
    /// layout). `values` must hold exactly [`Params::LEN`] values; otherwise nothing changes.
    /// The values of a borrowed layer are skipped (it cannot be written).
    fn load_flat(&mut self, values: &[T]) -> Result<(), LengthMismatch> {
        if values.len() != Self::LEN {
            return Err(LengthMismatch {
                expected: Self::LEN,
                found: values.len(),
            });
        }
        let mut source = values;
        load_from(self, &mut source);
        Ok(())
    }
}

/// Folds `values` into a finiteness probe ([`Scalar::probe`]). Out of line, like
/// `hash_values`: one shared copy for every tensor.
#[inline(never)]
fn probe_values<T: Scalar>(probe: T::Probe, values: &[T]) -> T::Probe {
    values.iter().fold(probe, |p, v| T::probe(p, *v))
}

/// Adds the bits of `values` to `h`. Out of line: a model calls it once per tensor, and one
/// shared copy keeps a microcontroller's flash small.
#[inline(never)]
fn hash_values<T: Scalar>(h: &mut Fnv1a, values: &[T]) {
    let bytes = T::FORMAT.bytes();
    values.iter().for_each(|v| h.write_le(v.to_bits(), bytes));
}

/// A flat buffer whose length is not the model's parameter count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthMismatch {
    /// The model's [`Params::LEN`].
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

/// Calls `f` with every tensor's name and declaration, in registration order, without a value
/// of the model (frozen and borrowed tensors included).
pub fn visit_shapes<M: Params<T>, T: Scalar, F: FnMut(&ParamName, &Tensor)>(mut f: F) {
    let mut name = ParamName::new();
    let mut walker = Shapes::<M, F> {
        name: &mut name,
        f: &mut f,
        _model: core::marker::PhantomData,
    };
    M::walk(&mut walker);
}

/// The name of the model's tensor number `index` (counting every tensor in registration
/// order, from 0, as [`visit_shapes`] visits them), for example to name the tensor of an
/// [`ImageError`](crate::params::image::ImageError).
pub fn tensor_name<M: Params<T>, T: Scalar>(index: usize) -> Option<ParamName> {
    let mut found = None;
    let mut i = 0;
    visit_shapes::<M, T, _>(|name, _| {
        if i == index {
            found = Some(name.clone());
        }
        i += 1;
    });
    found
}

/// The walker of [`visit_shapes`]: applies no getter, so it needs no value.
struct Shapes<'n, 'f, M, F> {
    name: &'n mut ParamName,
    f: &'f mut F,
    _model: core::marker::PhantomData<fn() -> M>,
}

impl<'n, 'f, M, F> Shapes<'n, 'f, M, F> {
    fn descend<C: Params<T>, T: Scalar>(&mut self, segment: Option<Segment>)
    where
        F: FnMut(&ParamName, &Tensor),
    {
        let len = self.name.push_segment(segment);
        let mut child = Shapes::<C, F> {
            name: &mut *self.name,
            f: &mut *self.f,
            _model: core::marker::PhantomData,
        };
        C::walk(&mut child);
        self.name.restore(len);
    }
}

impl<M: Params<T>, T: Scalar, F: FnMut(&ParamName, &Tensor)> Walk<M, T> for Shapes<'_, '_, M, F> {
    fn tensor<G, GM>(&mut self, tensor: Tensor, _: G, _: GM)
    where
        M: Layer<Grads = M>,
        G: Fn(&M) -> &[T],
        GM: Fn(&mut M) -> &mut [T],
    {
        let len = self.name.push(tensor.name);
        (self.f)(self.name, &tensor);
        self.name.restore(len);
    }

    fn child<C, G, GM, GG, GGM>(&mut self, name: Option<Segment>, _: G, _: GM, _: GG, _: GGM)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
        GG: Fn(&M::Grads) -> &C::Grads,
        GGM: Fn(&mut M::Grads) -> &mut C::Grads,
    {
        self.descend::<C, T>(name);
    }

    fn frozen<C, G, GM>(&mut self, name: Option<Segment>, _: G, _: GM)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
    {
        self.descend::<C, T>(name);
    }

    fn lent<C, G>(&mut self, name: Option<Segment>, _: G)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
    {
        self.descend::<C, T>(name);
    }

    fn each<C, const K: usize, G, GM, GG, GGM>(&mut self, _: G, _: GM, _: GG, _: GGM)
    where
        C: Params<T>,
        G: Fn(&M) -> &[C; K],
        GM: Fn(&mut M) -> &mut [C; K],
        GG: Fn(&M::Grads) -> &[C::Grads; K],
        GGM: Fn(&mut M::Grads) -> &mut [C::Grads; K],
    {
        for i in 0..K {
            self.descend::<C, T>(Some(Segment::Index(i)));
        }
    }
}

/// Where a load takes its values from, in registration order: a slice of values
/// ([`Params::load_flat`]) or the bytes of an [image](crate::params::image).
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

/// Loads every writable parameter of `model` from `source`, in registration order, stepping
/// over the values of borrowed layers.
pub(crate) fn load_from<M: Params<T>, T: Scalar, S: Source<T>>(model: &mut M, source: &mut S) {
    M::walk(&mut Load { of: model, source });
}

/// The walker of [`load_from`]: copies values in order, stepping over borrowed layers.
struct Load<'a, 's, M, S> {
    of: &'a mut M,
    source: &'s mut S,
}

impl<M: Params<T>, T: Scalar, S: Source<T>> Walk<M, T> for Load<'_, '_, M, S> {
    fn tensor<G, GM>(&mut self, _: Tensor, _: G, get_mut: GM)
    where
        M: Layer<Grads = M>,
        G: Fn(&M) -> &[T],
        GM: Fn(&mut M) -> &mut [T],
    {
        self.source.fill(get_mut(self.of));
    }

    fn child<C, G, GM, GG, GGM>(
        &mut self,
        name: Option<Segment>,
        get: G,
        get_mut: GM,
        _: GG,
        _: GGM,
    ) where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
        GG: Fn(&M::Grads) -> &C::Grads,
        GGM: Fn(&mut M::Grads) -> &mut C::Grads,
    {
        self.frozen(name, get, get_mut);
    }

    fn frozen<C, G, GM>(&mut self, _: Option<Segment>, _: G, get_mut: GM)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
    {
        let mut child = Load::<C, S> {
            of: get_mut(self.of),
            source: &mut *self.source,
        };
        C::walk(&mut child);
    }

    fn lent<C, G>(&mut self, _: Option<Segment>, _: G)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
    {
        self.source.skip(C::LEN);
    }

    fn each<C, const K: usize, G, GM, GG, GGM>(&mut self, _: G, get_mut: GM, _: GG, _: GGM)
    where
        C: Params<T>,
        G: Fn(&M) -> &[C; K],
        GM: Fn(&mut M) -> &mut [C; K],
        GG: Fn(&M::Grads) -> &[C::Grads; K],
        GGM: Fn(&mut M::Grads) -> &mut [C::Grads; K],
    {
        for of in get_mut(self.of).iter_mut() {
            let mut child = Load::<C, S> {
                of,
                source: &mut *self.source,
            };
            C::walk(&mut child);
        }
    }
}

/// Nothing: the gradient type of a layer without trainable parameters.
impl Layer for () {
    type Grads = ();
}

impl<T: Scalar> Params<T> for () {
    const LEN: usize = 0;

    fn walk<W: Walk<Self, T>>(_: &mut W) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::Linear;

    type L = Linear<f64, 2, 1>;

    fn l(a: f64, b: f64, c: f64) -> L {
        L::new([[a, b]], [c])
    }

    /// The methods every layer gets from its walk, on a small layer with known values.
    #[test]
    fn provided_methods_table() {
        let mut x = l(1.0, -2.0, 3.0);
        x.add_assign(&l(0.5, 0.5, -1.0));
        assert_eq!(x, l(1.5, -1.5, 2.0));
        assert_eq!(x.sum_of_squares(), 1.5 * 1.5 + 1.5 * 1.5 + 2.0 * 2.0);
        assert!(x.all_finite());
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(!l(bad, 0.0, 0.0).all_finite(), "{bad}");
            assert!(!l(0.0, 0.0, bad).all_finite(), "{bad}");
            assert!(!L::grads_finite(&l(0.0, bad, 0.0)), "{bad}");
        }
        assert!(L::grads_finite(&x));
        x.scale(2.0);
        assert_eq!(x, l(3.0, -3.0, 4.0));
        let mut g = x;
        L::zero_grads(&mut g);
        assert_eq!(g, L::ZERO);
        x.zero();
        assert_eq!(x, L::ZERO);
    }

    /// The weights' hash changes with any bit of any weight; the shape hash with any name or
    /// shape.
    #[test]
    fn hashes_tell_models_apart() {
        let a = l(1.0, 2.0, 3.0);
        let h = a.weights_hash();
        assert_eq!(h, l(1.0, 2.0, 3.0).weights_hash());
        for b in [
            l(1.0, 2.0, 3.5),
            l(-1.0, 2.0, 3.0),
            l(1.0, 2.0, -0.0 + 3.0 + f64::EPSILON * 4.0),
        ] {
            assert_ne!(h, b.weights_hash(), "{b:?}");
        }
        assert_ne!(h, 0);
        assert_ne!(h, 1);
        let s = <L as Params<f64>>::shape_hash();
        assert_ne!(s, <Linear<f64, 1, 2> as Params<f64>>::shape_hash());
        assert_ne!(s, <Linear<f64, 2, 2> as Params<f64>>::shape_hash());
        assert_ne!(s, 0);
        assert_ne!(s, 1);
        // Children, frozen and borrowed layers, and arrays are walked too.
        assert_ne!(
            <(L, L) as Params<f64>>::shape_hash(),
            <(L, Linear<f64, 2, 2>) as Params<f64>>::shape_hash()
        );
        assert_eq!(<crate::Frozen<L> as Params<f64>>::shape_hash(), s);
        assert_eq!(<&L as Params<f64>>::shape_hash(), s);
        assert_ne!(
            <[L; 2] as Params<f64>>::shape_hash(),
            <[L; 3] as Params<f64>>::shape_hash()
        );
        let want = ["0.weight", "0.bias", "1.weight", "1.bias"];
        let mut n = 0;
        visit_shapes::<(L, L), f64, _>(|name, _| {
            assert_eq!(Some(&name.as_str()), want.get(n));
            n += 1;
        });
        assert_eq!(n, 4);
        // The value walks reach borrowed layers, arrays and their gradients.
        assert_eq!(<&L as Params<f64>>::weights_hash(&&a), h);
        let b = l(1.0, 2.0, 3.5);
        assert_ne!([a, a].weights_hash(), [a, b].weights_hash());
        assert!(!<[L; 2] as Params<f64>>::grads_finite(&[
            a,
            l(0.0, f64::NAN, 0.0)
        ]));
    }

    /// Named mutable visits reach every tensor of children and arrays, in order, by name.
    #[test]
    fn named_mutable_visits_reach_every_tensor() {
        let want = [
            "0.weight",
            "0.bias",
            "1.0.weight",
            "1.0.bias",
            "1.1.weight",
            "1.1.bias",
        ];
        let mut m: (L, [L; 2]) = Zeroed::ZERO;
        let mut n = 0;
        walk::visit_named_mut::<_, f64, _>(&mut m, |name, _, t| {
            assert_eq!(Some(&name.as_str()), want.get(n));
            t.fill(n as f64 + 1.0);
            n += 1;
        });
        assert_eq!(n, 6);
        assert_eq!(m.0, l(1.0, 1.0, 2.0));
        assert_eq!(m.1[1], l(5.0, 5.0, 6.0));
    }
}
