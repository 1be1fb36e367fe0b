//! The one walk over a layer's tensors, and everything derived from it.
//!
//! A layer declares its tensors once, in [`Params::walk`] (usually through
//! [`params!`](crate::params!)): each of its own tensors with its name and initialisation,
//! each child layer with how to reach it ([`Child`]: trained, frozen or lent). One traversal
//! drives that declaration for every operation; what differs is what it holds at each layer
//! (a [`View`] of the model, of values of its gradient type, of both, or nothing) and what it
//! hands each tensor to:
//!
//! - [`zip`]: any number of values of the same type, tensor by tensor (`(Mut, Ref, Mut)` gives
//!   the callback `(&mut [T], &[T], &mut [T])`): zeroing, scaling, sums, finiteness, copies;
//! - [`zip_trainable`]: a model's trainable tensors beside values of its gradient type (its
//!   gradients, an optimizer's state): what optimizers use; [`zip_grads`]: those values alone;
//! - [`visit_named`] / [`visit_named_mut`]: every tensor with its PyTorch name
//!   (`layers.0.0.weight`): printing, saving, loading; [`visit_shapes`]: names and shapes
//!   without a value of the model.
//!
//! Walks are resolved at compile time: after inlining, a zip over a model is the same
//! straight-line code as writing the loops over its fields by hand.

use core::marker::PhantomData;

use super::child::{Child, Reach};
use super::flat::{LengthMismatch, Load, Source};
use super::hash::Fnv1a;
use super::init::{Init, TorchInit};
use super::name::{Names, ParamName, Segment};
use super::tensor::{Shape, Tensor};
use super::view::{Mut, Ref, View, Visit};
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

/// Nothing: the gradient type of a layer without trainable parameters.
impl Layer for () {
    type Grads = ();
}

/// A layer's parameters, declared once by [`Params::walk`].
///
/// Every operation on parameters (names, zips of any arity, zeroing, initialisation,
/// finiteness, sums, flat load and store, hashing, optimizer updates) is the one traversal
/// over that declaration (see [`Walk`]). [`params!`](crate::params!) writes the walk and the
/// counts [`LEN`](Params::LEN) and [`TRAINABLE`](Params::TRAINABLE) from one list, so they
/// cannot disagree:
///
/// ```
/// use skipgrad::params::Init;
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
///     skipgrad::params!(T; tensor scale: Init::Ones, tensor shift: Init::Zeros);
/// }
///
/// assert_eq!(<Affine<f32, 3> as Params<f32>>::LEN, 6);
/// let a: Affine<f32, 2> = Params::torch_init(&mut skipgrad::TorchInit::new(0));
/// assert_eq!((a.scale, a.shift), ([1.0; 2], [0.0; 2]));
/// assert_eq!(Affine::<f32, 2>::ZERO.sum_of_squares(), 0.0);
/// ```
///
/// A walk written by hand calls [`Walk::tensor`], [`Walk::child`] and [`Walk::each`] itself;
/// its `LEN` must then count exactly the values the walk declares.
pub trait Params<T: Scalar>: Layer + Sized {
    /// The number of scalar parameters, frozen and borrowed ones included.
    const LEN: usize;

    /// The number of trainable scalar parameters (those of [`Layer::Grads`]): `LEN` unless
    /// the layer is or contains a frozen or borrowed part.
    const TRAINABLE: usize = Self::LEN;

    /// Declares the layer's tensors and child layers to `w`, in PyTorch's registration order.
    fn walk<W: Walk<Self, T>>(w: &mut W);

    /// Sets every writable parameter to zero (`optimizer.zero_grad()` on a gradient value).
    #[inline]
    fn zero(&mut self) {
        zip::<Mut, _, T, _>(self, |_, t| t.fill(T::ZERO));
    }

    /// Multiplies every writable parameter by `factor`.
    #[inline]
    fn scale(&mut self, factor: T) {
        zip::<Mut, _, T, _>(self, |_, t| t.iter_mut().for_each(|v| *v *= factor));
    }

    /// Adds `other` element-wise (accumulating gradients).
    #[inline]
    fn add_assign(&mut self, other: &Self) {
        zip::<(Mut, Ref), _, T, _>((self, other), |_, (a, b)| {
            a.iter_mut().zip(b).for_each(|(a, b)| *a += *b);
        });
    }

    /// The sum of squares of every parameter, accumulated in `T`, in registration order.
    #[inline]
    fn sum_of_squares(&self) -> T {
        let mut acc = T::ZERO;
        zip::<Ref, _, T, _>(self, |_, t| t.iter().for_each(|v| acc += *v * *v));
        acc
    }

    /// True if no parameter is NaN or infinite (or saturated, in fixed point).
    #[inline]
    fn all_finite(&self) -> bool {
        let mut probe = T::PROBE;
        zip::<Ref, _, T, _>(self, |_, t| probe = probe_values(probe, t));
        T::probe_ok(probe)
    }

    /// Sets every value of a gradient value (of this layer's gradient type) to zero.
    ///
    /// The zero is hidden from the optimiser (`black_box`, once per tensor), which would
    /// otherwise call `memset`: a microcontroller's minimal trainer, which clears its
    /// gradients this way after a refused step, then links no `memset` (136 B on the
    /// Cortex-M0).
    #[inline]
    fn zero_grads(grads: &mut Self::Grads) {
        zip_grads::<Self, Mut, T, _>(grads, |_, t| {
            let zero = core::hint::black_box(T::ZERO);
            t.iter_mut().for_each(|v| *v = zero);
        });
    }

    /// True if no value of a gradient value is NaN or infinite (or saturated).
    #[inline]
    fn grads_finite(grads: &Self::Grads) -> bool {
        let mut probe = T::PROBE;
        zip_grads::<Self, Ref, T, _>(grads, |_, t| probe = probe_values(probe, t));
        T::probe_ok(probe)
    }

    /// FNV-1a over the bits of every parameter (little-endian, in registration order): a word
    /// that changes if any bit of any weight does.
    #[inline]
    fn weights_hash(&self) -> u32 {
        let mut h = Fnv1a::new();
        zip::<Ref, _, T, _>(self, |_, t| hash_values(&mut h, t));
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
        zip::<Mut, _, T, _>(self, |tensor, values| init.fill(tensor.init, values));
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
        zip::<Ref, _, T, _>(self, |_, t| {
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
        load_from(self, &mut { values });
        Ok(())
    }
}

/// Nothing: no tensor, no child.
impl<T: Scalar> Params<T> for () {
    const LEN: usize = 0;

    fn walk<W: Walk<Self, T>>(_: &mut W) {}
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

/// The visitor a layer's [`Params::walk`] declares its tensors and children to, in PyTorch's
/// registration order. The getters are closures from the layer to the tensor or child; the
/// walk applies them to every value it holds (a model, its gradients, an optimizer's
/// state...).
pub trait Walk<M: Params<T>, T: Scalar> {
    /// One of the layer's own tensors, named `name`, stored in `S` (whose type is its shape).
    /// Only a layer that is its own gradient type (`Grads = Self`) has tensors of its own.
    fn tensor<S: Shape<T>>(
        &mut self,
        name: &'static str,
        init: Init,
        get: impl Fn(&M) -> &S,
        get_mut: impl Fn(&mut M) -> &mut S,
    ) where
        M: Layer<Grads = M>;

    /// A child layer, reached as `child` says (trained, frozen or lent). `name` is its path
    /// segment (`None`: the child's tensors take the layer's own path, as a shortcut wrapper
    /// does).
    fn child<C: Params<T>>(
        &mut self,
        name: Option<Segment>,
        child: impl Reach<M, C, M::Grads, C::Grads>,
    );

    /// The `K` children of an array (the layer, reached by `array`), named by their index.
    fn each<C: Params<T>, const K: usize>(
        &mut self,
        array: impl Reach<M, [C; K], M::Grads, [C::Grads; K]>,
    );
}

/// What a walk holds at each layer `M`: values of the layer ([`Model`]), values of its
/// gradient type ([`Grads`]), both (a pair), or nothing ([`Shapes`]).
trait Hold {
    /// The values held at `M`.
    type Of<'a, M: Layer + 'a>;
    /// What the visitor gets of one tensor.
    type Slices<'a, T: 'a>;

    /// One tensor of the values.
    fn tensor<'a, 'b: 'a, M: Layer<Grads = M> + 'b, T: 'a, S: Shape<T> + 'a>(
        of: &'a mut Self::Of<'b, M>,
        get: &impl Fn(&M) -> &S,
        get_mut: &impl Fn(&mut M) -> &mut S,
    ) -> Self::Slices<'a, T>;

    /// The values of a child, if the walk enters it.
    fn child<'a, 'b: 'a, M: Layer + 'b, C: Layer + 'a>(
        of: &'a mut Self::Of<'b, M>,
        child: &impl Reach<M, C, M::Grads, C::Grads>,
    ) -> Option<Self::Of<'a, C>>;

    /// The values of an array's elements, in order.
    fn each<'a, 'b: 'a, C: Layer + 'b, const K: usize>(
        of: &'a mut Self::Of<'b, [C; K]>,
    ) -> impl Iterator<Item = Self::Of<'a, C>>;
}

/// Values of the layer, held as `V`: every tensor; lent children only if `V` only reads.
struct Model<V>(PhantomData<V>);

impl<V: View> Hold for Model<V> {
    type Of<'a, M: Layer + 'a> = V::Of<'a, M>;
    type Slices<'a, T: 'a> = V::Slices<'a, T>;

    #[inline(always)]
    fn tensor<'a, 'b: 'a, M: Layer<Grads = M> + 'b, T: 'a, S: Shape<T> + 'a>(
        of: &'a mut V::Of<'b, M>,
        get: &impl Fn(&M) -> &S,
        get_mut: &impl Fn(&mut M) -> &mut S,
    ) -> V::Slices<'a, T> {
        V::slices(of, get, get_mut)
    }

    #[inline(always)]
    fn child<'a, 'b: 'a, M: Layer + 'b, C: Layer + 'a>(
        of: &'a mut V::Of<'b, M>,
        child: &impl Reach<M, C, M::Grads, C::Grads>,
    ) -> Option<V::Of<'a, C>> {
        V::project(of, &|m| Some(child.get(m)), &|m| child.get_mut(m))
    }

    #[inline(always)]
    fn each<'a, 'b: 'a, C: Layer + 'b, const K: usize>(
        of: &'a mut V::Of<'b, [C; K]>,
    ) -> impl Iterator<Item = V::Of<'a, C>> {
        V::each(of)
    }
}

/// Values of the layer's gradient type, held as `V`: trainable tensors only.
struct Grads<V>(PhantomData<V>);

impl<V: View> Hold for Grads<V> {
    type Of<'a, M: Layer + 'a> = V::Of<'a, M::Grads>;
    type Slices<'a, T: 'a> = V::Slices<'a, T>;

    #[inline(always)]
    fn tensor<'a, 'b: 'a, M: Layer<Grads = M> + 'b, T: 'a, S: Shape<T> + 'a>(
        of: &'a mut V::Of<'b, M>,
        get: &impl Fn(&M) -> &S,
        get_mut: &impl Fn(&mut M) -> &mut S,
    ) -> V::Slices<'a, T> {
        V::slices(of, get, get_mut)
    }

    #[inline(always)]
    fn child<'a, 'b: 'a, M: Layer + 'b, C: Layer + 'a>(
        of: &'a mut V::Of<'b, M::Grads>,
        child: &impl Reach<M, C, M::Grads, C::Grads>,
    ) -> Option<V::Of<'a, C::Grads>> {
        V::project(of, &|g| child.grads(g), &|g| child.grads_mut(g))
    }

    #[inline(always)]
    fn each<'a, 'b: 'a, C: Layer + 'b, const K: usize>(
        of: &'a mut V::Of<'b, [C::Grads; K]>,
    ) -> impl Iterator<Item = V::Of<'a, C::Grads>> {
        V::each(of)
    }
}

/// No values: names and shapes only, every tensor.
struct Shapes;

impl Hold for Shapes {
    type Of<'a, M: Layer + 'a> = ();
    type Slices<'a, T: 'a> = ();

    #[inline(always)]
    fn tensor<'a, 'b: 'a, M: Layer<Grads = M> + 'b, T: 'a, S: Shape<T> + 'a>(
        _: &'a mut (),
        _: &impl Fn(&M) -> &S,
        _: &impl Fn(&mut M) -> &mut S,
    ) {
    }

    #[inline(always)]
    fn child<'a, 'b: 'a, M: Layer + 'b, C: Layer + 'a>(
        _: &'a mut (),
        _: &impl Reach<M, C, M::Grads, C::Grads>,
    ) -> Option<()> {
        Some(())
    }

    #[inline(always)]
    fn each<'a, 'b: 'a, C: Layer + 'b, const K: usize>(_: &'a mut ()) -> impl Iterator<Item = ()> {
        core::iter::repeat_n((), K)
    }
}

/// Both: a walk enters a child only where both do.
impl<A: Hold, B: Hold> Hold for (A, B) {
    type Of<'a, M: Layer + 'a> = (A::Of<'a, M>, B::Of<'a, M>);
    type Slices<'a, T: 'a> = (A::Slices<'a, T>, B::Slices<'a, T>);

    #[inline(always)]
    fn tensor<'a, 'b: 'a, M: Layer<Grads = M> + 'b, T: 'a, S: Shape<T> + 'a>(
        of: &'a mut Self::Of<'b, M>,
        get: &impl Fn(&M) -> &S,
        get_mut: &impl Fn(&mut M) -> &mut S,
    ) -> Self::Slices<'a, T> {
        (
            A::tensor(&mut of.0, get, get_mut),
            B::tensor(&mut of.1, get, get_mut),
        )
    }

    #[inline(always)]
    fn child<'a, 'b: 'a, M: Layer + 'b, C: Layer + 'a>(
        of: &'a mut Self::Of<'b, M>,
        child: &impl Reach<M, C, M::Grads, C::Grads>,
    ) -> Option<Self::Of<'a, C>> {
        Some((A::child(&mut of.0, child)?, B::child(&mut of.1, child)?))
    }

    #[inline(always)]
    fn each<'a, 'b: 'a, C: Layer + 'b, const K: usize>(
        of: &'a mut Self::Of<'b, [C; K]>,
    ) -> impl Iterator<Item = Self::Of<'a, C>> {
        A::each(&mut of.0).zip(B::each(&mut of.1))
    }
}

/// What a walk keeps from layer to layer: the names (`()` for none) and the visitor.
struct Ctx<N, F> {
    name: N,
    visit: F,
}

/// The traversal: holds `H`'s values of the layer `M`; names and visits through `ctx`.
struct Walker<'a, 'c, H: Hold, M: Layer + 'a, N, F> {
    of: H::Of<'a, M>,
    ctx: &'c mut Ctx<N, F>,
}

impl<'a, H, M, T, N, F> Walk<M, T> for Walker<'a, '_, H, M, N, F>
where
    H: Hold,
    M: Params<T> + 'a,
    T: Scalar,
    N: Names,
    F: for<'s> Visit<N, H::Slices<'s, T>>,
{
    #[inline]
    fn tensor<S: Shape<T>>(
        &mut self,
        name: &'static str,
        init: Init,
        get: impl Fn(&M) -> &S,
        get_mut: impl Fn(&mut M) -> &mut S,
    ) where
        M: Layer<Grads = M>,
    {
        let ctx = &mut *self.ctx;
        let len = ctx.name.push_tensor(name);
        let tensor = Tensor::new(name, S::DIMS, init);
        let values = H::tensor(&mut self.of, &get, &get_mut);
        ctx.visit.tensor(&ctx.name, &tensor, values);
        ctx.name.restore(len);
    }

    #[inline]
    fn child<C: Params<T>>(
        &mut self,
        name: Option<Segment>,
        child: impl Reach<M, C, M::Grads, C::Grads>,
    ) {
        let Some(of) = H::child(&mut self.of, &child) else {
            return self.ctx.visit.skip(C::LEN);
        };
        let len = self.ctx.name.push_segment(name);
        C::walk(&mut Walker::<H, C, N, F> {
            of,
            ctx: &mut *self.ctx,
        });
        self.ctx.name.restore(len);
    }

    #[inline]
    fn each<C: Params<T>, const K: usize>(
        &mut self,
        array: impl Reach<M, [C; K], M::Grads, [C::Grads; K]>,
    ) {
        let Some(mut arrays) = H::child(&mut self.of, &array) else {
            return self.ctx.visit.skip(K * C::LEN);
        };
        for (i, of) in H::each(&mut arrays).enumerate() {
            let len = self.ctx.name.push_segment(Some(Segment::Index(i)));
            C::walk(&mut Walker::<H, C, N, F> {
                of,
                ctx: &mut *self.ctx,
            });
            self.ctx.name.restore(len);
        }
    }
}

/// Walks `M`'s declaration holding `of` (as `H` holds it), naming into `name`, visiting with
/// `visit`.
#[inline(always)]
fn walk<'a, H, M, T, N, F>(of: H::Of<'a, M>, name: N, visit: F)
where
    H: Hold,
    M: Params<T> + 'a,
    T: Scalar,
    N: Names,
    F: for<'s> Visit<N, H::Slices<'s, T>>,
{
    let mut ctx = Ctx { name, visit };
    M::walk(&mut Walker::<H, M, N, F> { of, ctx: &mut ctx });
}

/// A callback of the tensor and its values, for the walks without names.
struct Unnamed<F>(F);

impl<S, F: FnMut(&Tensor, S)> Visit<(), S> for Unnamed<F> {
    #[inline(always)]
    fn tensor(&mut self, _: &(), tensor: &Tensor, values: S) {
        (self.0)(tensor, values);
    }
}

/// A callback of the name, the tensor and its values.
struct Named<F>(F);

impl<S, F: FnMut(&ParamName, &Tensor, S)> Visit<&mut ParamName, S> for Named<F> {
    #[inline(always)]
    fn tensor(&mut self, name: &&mut ParamName, tensor: &Tensor, values: S) {
        (self.0)(name, tensor, values);
    }
}

/// A callback of the tensor, the model's values and the others'.
struct Beside<F>(F);

impl<A, B, F: FnMut(&Tensor, A, B)> Visit<(), (A, B)> for Beside<F> {
    #[inline(always)]
    fn tensor(&mut self, _: &(), tensor: &Tensor, (a, b): (A, B)) {
        (self.0)(tensor, a, b);
    }
}

/// Calls `f` on every tensor of the values `of`, all of type `M`, in registration order,
/// frozen tensors included. Tensors of a borrowed child (a `&'static` layer) are included when
/// every view only reads ([`Ref`]), and skipped otherwise: they cannot be written.
///
/// ```
/// use skipgrad::params::{zip, Mut, Ref};
/// use skipgrad::{Linear, Zeroed};
///
/// let mut a = Linear::<f32, 2, 1>::new([[1.0, 2.0]], [3.0]);
/// let b = Linear::<f32, 2, 1>::new([[10.0, 20.0]], [30.0]);
/// zip::<(Mut, Ref), _, _, _>((&mut a, &b), |_, (a, b)| {
///     a.iter_mut().zip(b).for_each(|(a, b)| *a += *b);
/// });
/// assert_eq!(a, Linear::new([[11.0, 22.0]], [33.0]));
/// ```
#[inline(always)]
pub fn zip<'a, V, M, T, F>(of: V::Of<'a, M>, f: F)
where
    V: View,
    M: Params<T> + 'a,
    T: Scalar,
    F: for<'s> FnMut(&Tensor, V::Slices<'s, T>),
{
    walk::<Model<V>, M, T, _, _>(of, (), Unnamed(f));
}

/// Calls `f` on every trainable tensor of `model` together with the same tensor of the values
/// `others`, of the model's gradient type (its gradients, an optimizer's state), in
/// registration order. Frozen and borrowed children are skipped.
///
/// `MV` is how the model is held ([`Ref`] or [`Mut`]); `V` how the others are.
#[inline(always)]
pub fn zip_trainable<'a, MV, V, M, T, F>(model: MV::Of<'a, M>, others: V::Of<'a, M::Grads>, f: F)
where
    MV: View,
    V: View,
    M: Params<T> + 'a,
    T: Scalar,
    F: for<'s> FnMut(&Tensor, MV::Slices<'s, T>, V::Slices<'s, T>),
{
    walk::<(Model<MV>, Grads<V>), M, T, _, _>((model, others), (), Beside(f));
}

/// Calls `f` on every tensor of the values `of`, of the gradient type of `M` (gradients, an
/// optimizer's state), walking `M`'s declaration, in registration order: the model's
/// trainable tensors, without a value of the model.
#[inline(always)]
pub fn zip_grads<'a, M, V, T, F>(of: V::Of<'a, M::Grads>, f: F)
where
    M: Params<T> + 'a,
    V: View,
    T: Scalar,
    F: for<'s> FnMut(&Tensor, V::Slices<'s, T>),
{
    walk::<Grads<V>, M, T, _, _>(of, (), Unnamed(f));
}

/// Calls `f` with every tensor's PyTorch name, declaration and values, in registration order,
/// frozen and borrowed tensors included.
#[inline]
pub fn visit_named<M, T, F>(model: &M, f: F)
where
    M: Params<T>,
    T: Scalar,
    F: FnMut(&ParamName, &Tensor, &[T]),
{
    walk::<Model<Ref>, M, T, _, _>(model, &mut ParamName::new(), Named(f));
}

/// [`visit_named`] with the names starting at `name` (for example `ParamName::with_prefix("layers")`).
#[inline]
pub fn visit_named_under<M, T, F>(model: &M, name: &mut ParamName, f: &mut F)
where
    M: Params<T>,
    T: Scalar,
    F: FnMut(&ParamName, &Tensor, &[T]),
{
    walk::<Model<Ref>, M, T, _, _>(model, name, Named(f));
}

/// Calls `f` with every writable tensor's PyTorch name, declaration and values (mutably), in
/// registration order: every tensor but those of borrowed children, which cannot be written.
#[inline]
pub fn visit_named_mut<M, T, F>(model: &mut M, f: F)
where
    M: Params<T>,
    T: Scalar,
    F: FnMut(&ParamName, &Tensor, &mut [T]),
{
    walk::<Model<Mut>, M, T, _, _>(model, &mut ParamName::new(), Named(f));
}

/// [`visit_named_mut`] with the names starting at `name`.
#[inline]
pub fn visit_named_mut_under<M, T, F>(model: &mut M, name: &mut ParamName, f: &mut F)
where
    M: Params<T>,
    T: Scalar,
    F: FnMut(&ParamName, &Tensor, &mut [T]),
{
    walk::<Model<Mut>, M, T, _, _>(model, name, Named(f));
}

/// Calls `f` with every tensor's name and declaration, in registration order, without a value
/// of the model (frozen and borrowed tensors included).
pub fn visit_shapes<M: Params<T>, T: Scalar, F: FnMut(&ParamName, &Tensor)>(mut f: F) {
    let visit = Named(|name: &ParamName, tensor: &Tensor, ()| f(name, tensor));
    walk::<Shapes, M, T, _, _>((), &mut ParamName::new(), visit);
}

/// The name of the model's tensor number `index` (counting every tensor in registration
/// order, from 0, as [`visit_shapes`] visits them), for example to name the tensor of an
/// `ImageError`.
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

/// Loads every writable parameter of `model` from `source`, in registration order, stepping
/// over the values of borrowed layers.
pub(crate) fn load_from<M: Params<T>, T: Scalar, S: Source<T>>(model: &mut M, source: &mut S) {
    walk::<Model<Mut>, M, T, _, _>(model, (), Load(source));
}

/// The identity [`Child`] of an array: what an array's walk hands [`Walk::each`].
#[doc(hidden)]
#[inline(always)]
pub const fn array<M: Layer>() -> impl Reach<M, M, M::Grads, M::Grads> {
    Child::trained(
        |a: &M| a,
        |a: &mut M| a,
        |g: &M::Grads| g,
        |g: &mut M::Grads| g,
    )
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
        visit_named_mut::<_, f64, _>(&mut m, |name, _, t| {
            assert_eq!(Some(&name.as_str()), want.get(n));
            t.fill(n as f64 + 1.0);
            n += 1;
        });
        assert_eq!(n, 6);
        assert_eq!(m.0, l(1.0, 1.0, 2.0));
        assert_eq!(m.1[1], l(5.0, 5.0, 6.0));
    }
}
