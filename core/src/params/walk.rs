//! The one walk over a layer's tensors, and everything derived from it.
//!
//! A layer declares its tensors once, in [`Params::walk`]: each tensor with its name, shape
//! and initialisation, and each child layer with how to reach it. Everything else is a walker
//! driving that declaration:
//!
//! - [`zip`]: any number of values of the same type, tensor by tensor (`(Mut, Ref, Mut)` gives
//!   the callback `(&mut [T], &[T], &mut [T])`): zeroing, scaling, sums, finiteness, copies;
//! - [`zip_trainable`]: a model's trainable tensors beside values of its gradient type (its
//!   gradients, an optimizer's state): what optimizers use;
//! - [`visit_named`] / [`visit_named_mut`]: every tensor with its PyTorch name
//!   (`layers.0.0.weight`): printing, saving, loading, initialisation, hashing.
//!
//! Walks are resolved at compile time: after inlining, a zip over a model is the same
//! straight-line code as writing the loops over its fields by hand.

use crate::number::Scalar;
use crate::params::{Layer, ParamName, Params};

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

/// How PyTorch initialises a tensor when its module is constructed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Init {
    /// `nn.Linear.weight`: `kaiming_uniform_(a = sqrt(5))` for a fan-in of `fan_in`.
    LinearWeight {
        /// The layer's input size.
        fan_in: usize,
    },
    /// `nn.Linear.bias`: `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`.
    LinearBias {
        /// The layer's input size.
        fan_in: usize,
    },
    /// All ones (`nn.LayerNorm.weight`).
    Ones,
    /// All zeros (`nn.LayerNorm.bias`).
    Zeros,
}

/// What a layer declares about one of its tensors.
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

/// One segment of a parameter's path: a position in a sequence or a field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A position (a tuple element, an array element): `layers.3`.
    Index(usize),
    /// A named field: `attention`.
    Field(&'static str),
}

/// The visitor a layer's [`Params::walk`] declares its tensors and children to.
///
/// A layer calls [`Walk::tensor`] for each of its own tensors and [`Walk::child`] (or the
/// [`child!`](crate::child) macro) for each layer it contains, in PyTorch's registration order.
/// The getters are closures from the layer to the tensor or child; a walker applies them to
/// every value it walks (a model, its gradients, an optimizer's state...).
pub trait Walk<M: Params<T>, T: Scalar> {
    /// One of the layer's own tensors. Only a layer that is its own gradient type
    /// (`Grads = Self`) has tensors of its own.
    fn tensor<G, GM>(&mut self, tensor: Tensor, get: G, get_mut: GM)
    where
        M: Layer<Grads = M>,
        G: Fn(&M) -> &[T],
        GM: Fn(&mut M) -> &mut [T];

    /// A child layer, reached by `get`/`get_mut` in the layer and by `grads`/`grads_mut` in
    /// the layer's gradient type. `name` is its path segment (`None`: the child's tensors
    /// take the layer's own path, as a shortcut wrapper does).
    fn child<C, G, GM, GG, GGM>(
        &mut self,
        name: Option<Segment>,
        get: G,
        get_mut: GM,
        grads: GG,
        grads_mut: GGM,
    ) where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
        GG: Fn(&M::Grads) -> &C::Grads,
        GGM: Fn(&mut M::Grads) -> &mut C::Grads;

    /// A child layer whose tensors are not trained: it is named, saved, loaded and
    /// initialised, but has no part in the gradients or the optimizer's state.
    fn frozen<C, G, GM>(&mut self, name: Option<Segment>, get: G, get_mut: GM)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C;

    /// A child layer that is only borrowed (a `&'static` layer in flash): named and saved,
    /// but never written, trained or initialised through this layer.
    fn lent<C, G>(&mut self, name: Option<Segment>, get: G)
    where
        C: Params<T>,
        G: Fn(&M) -> &C;

    /// The `K` children of an array, named by their index.
    fn each<C, const K: usize, G, GM, GG, GGM>(
        &mut self,
        get: G,
        get_mut: GM,
        grads: GG,
        grads_mut: GGM,
    ) where
        C: Params<T>,
        G: Fn(&M) -> &[C; K],
        GM: Fn(&mut M) -> &mut [C; K],
        GG: Fn(&M::Grads) -> &[C::Grads; K],
        GGM: Fn(&mut M::Grads) -> &mut [C::Grads; K];
}

/// Declares a child layer reached by the same field path in a layer and in its gradient type
/// (the usual case: a struct whose gradient type is the same struct over its children's
/// gradient types).
///
/// ```
/// use skipgrad::params::{Segment, Walk};
/// use skipgrad::{child, Gelu, Linear, Params, Scalar, Zeroed};
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
///     const LEN: usize = 2 * 4 + 4 + 4 * 2 + 2;
///     fn walk<W: Walk<Self, T>>(w: &mut W) {
///         child!(w, Segment::Field("up"), up);
///         child!(w, Segment::Field("down"), down);
///     }
/// }
///
/// let mut names = Vec::new();
/// skipgrad::params::visit_named(&Block::<f32>::ZERO, |name, _, _| names.push(name.to_string()));
/// assert_eq!(names, ["up.weight", "up.bias", "down.weight", "down.bias"]);
/// ```
#[macro_export]
macro_rules! child {
    ($walk:expr, $name:expr, $($field:tt).+) => {
        $walk.child(
            ::core::option::Option::Some($name),
            |m| &m.$($field).+,
            |m| &mut m.$($field).+,
            |g| &g.$($field).+,
            |g| &mut g.$($field).+,
        )
    };
    ($walk:expr, $($field:tt).+) => {
        $walk.child(
            ::core::option::Option::None,
            |m| &m.$($field).+,
            |m| &mut m.$($field).+,
            |g| &g.$($field).+,
            |g| &mut g.$($field).+,
        )
    };
}

/// How a walk holds one or more values: [`Ref`] (`&M`), [`Mut`] (`&mut M`), or a tuple of
/// views (`(Mut, Ref)` holds `(&mut M, &M)`).
pub trait View: 'static {
    /// The held values, of type `M`.
    type Of<'a, M: 'a>;
    /// The tensors handed to a callback.
    type Slices<'a, T: 'a>;
    /// The views of an array's elements, in order.
    type Each<'a, C: 'a>: Iterator<Item = Self::Of<'a, C>>;

    /// The same view of a part of the values.
    fn project<'a, 'b: 'a, M: 'b, C: 'a, G, GM>(
        of: &'a mut Self::Of<'b, M>,
        get: &G,
        get_mut: &GM,
    ) -> Self::Of<'a, C>
    where
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C;

    /// One tensor of the values.
    fn slices<'a, 'b: 'a, M: 'b, T: 'a, G, GM>(
        of: &'a mut Self::Of<'b, M>,
        get: &G,
        get_mut: &GM,
    ) -> Self::Slices<'a, T>
    where
        G: Fn(&M) -> &[T],
        GM: Fn(&mut M) -> &mut [T];

    /// The elements of arrays.
    fn each<'a, 'b: 'a, C: 'b, const K: usize>(
        of: &'a mut Self::Of<'b, [C; K]>,
    ) -> Self::Each<'a, C>;

    /// The same view of a borrowed part, if this view only reads (`None` for a view that
    /// writes: a borrowed layer cannot be written).
    fn lend<'a, 'b: 'a, M: 'b, C: 'a, G>(
        of: &'a mut Self::Of<'b, M>,
        get: &G,
    ) -> Option<Self::Of<'a, C>>
    where
        G: Fn(&M) -> &C;
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
    fn project<'a, 'b: 'a, M: 'b, C: 'a, G, GM>(of: &'a mut &'b M, get: &G, _: &GM) -> &'a C
    where
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
    {
        get(*of)
    }

    #[inline(always)]
    fn slices<'a, 'b: 'a, M: 'b, T: 'a, G, GM>(of: &'a mut &'b M, get: &G, _: &GM) -> &'a [T]
    where
        G: Fn(&M) -> &[T],
        GM: Fn(&mut M) -> &mut [T],
    {
        get(*of)
    }

    #[inline]
    fn each<'a, 'b: 'a, C: 'b, const K: usize>(of: &'a mut &'b [C; K]) -> core::slice::Iter<'a, C> {
        of.iter()
    }

    #[inline(always)]
    fn lend<'a, 'b: 'a, M: 'b, C: 'a, G>(of: &'a mut &'b M, get: &G) -> Option<&'a C>
    where
        G: Fn(&M) -> &C,
    {
        Some(get(*of))
    }
}

impl View for Mut {
    type Of<'a, M: 'a> = &'a mut M;
    type Slices<'a, T: 'a> = &'a mut [T];
    type Each<'a, C: 'a> = core::slice::IterMut<'a, C>;

    #[inline(always)]
    fn project<'a, 'b: 'a, M: 'b, C: 'a, G, GM>(
        of: &'a mut &'b mut M,
        _: &G,
        get_mut: &GM,
    ) -> &'a mut C
    where
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
    {
        get_mut(*of)
    }

    #[inline(always)]
    fn slices<'a, 'b: 'a, M: 'b, T: 'a, G, GM>(
        of: &'a mut &'b mut M,
        _: &G,
        get_mut: &GM,
    ) -> &'a mut [T]
    where
        G: Fn(&M) -> &[T],
        GM: Fn(&mut M) -> &mut [T],
    {
        get_mut(*of)
    }

    #[inline]
    fn each<'a, 'b: 'a, C: 'b, const K: usize>(
        of: &'a mut &'b mut [C; K],
    ) -> core::slice::IterMut<'a, C> {
        of.iter_mut()
    }

    #[inline(always)]
    fn lend<'a, 'b: 'a, M: 'b, C: 'a, G>(_: &'a mut &'b mut M, _: &G) -> Option<&'a mut C>
    where
        G: Fn(&M) -> &C,
    {
        None
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
            fn project<'a, 'b: 'a, M: 'b, C: 'a, G, GM>(
                of: &'a mut Self::Of<'b, M>,
                get: &G,
                get_mut: &GM,
            ) -> Self::Of<'a, C>
            where
                G: Fn(&M) -> &C,
                GM: Fn(&mut M) -> &mut C,
            {
                ($($v::project(&mut of.$i, get, get_mut),)+)
            }

            #[inline(always)]
            fn slices<'a, 'b: 'a, M: 'b, T: 'a, G, GM>(
                of: &'a mut Self::Of<'b, M>,
                get: &G,
                get_mut: &GM,
            ) -> Self::Slices<'a, T>
            where
                G: Fn(&M) -> &[T],
                GM: Fn(&mut M) -> &mut [T],
            {
                ($($v::slices(&mut of.$i, get, get_mut),)+)
            }

            #[inline(always)]
            fn each<'a, 'b: 'a, C: 'b, const K: usize>(
                of: &'a mut Self::Of<'b, [C; K]>,
            ) -> Self::Each<'a, C> {
                EachZip(($($v::each(&mut of.$i),)+))
            }

            #[inline(always)]
            fn lend<'a, 'b: 'a, M: 'b, C: 'a, G>(
                of: &'a mut Self::Of<'b, M>,
                get: &G,
            ) -> Option<Self::Of<'a, C>>
            where
                G: Fn(&M) -> &C,
            {
                Some(($($v::lend(&mut of.$i, get)?,)+))
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
pub fn zip<'a, V, M, T, F>(of: V::Of<'a, M>, mut f: F)
where
    V: View,
    M: Params<T> + 'a,
    T: Scalar,
    F: for<'s> FnMut(&Tensor, V::Slices<'s, T>),
{
    let mut walker = Zip::<V, M, F> { of, f: &mut f };
    M::walk(&mut walker);
}

/// Calls `f` on every trainable tensor of `model` together with the same tensor of the values
/// `others`, of the model's gradient type (its gradients, an optimizer's state), in
/// registration order. Frozen and borrowed children are skipped.
///
/// `MV` is how the model is held ([`Ref`] or [`Mut`]); `V` how the others are.
#[inline(always)]
pub fn zip_trainable<'a, MV, V, M, T, F>(
    model: MV::Of<'a, M>,
    others: V::Of<'a, M::Grads>,
    mut f: F,
) where
    MV: View,
    V: View,
    M: Params<T> + 'a,
    T: Scalar,
    F: for<'s> FnMut(&Tensor, MV::Slices<'s, T>, V::Slices<'s, T>),
{
    let mut walker = Trainable::<MV, V, M, F> {
        model,
        others,
        f: &mut f,
    };
    M::walk(&mut walker);
}

/// Calls `f` on every tensor of the values `of`, of the gradient type of `M` (gradients, an
/// optimizer's state), walking `M`'s declaration, in registration order: the model's
/// trainable tensors, without a value of the model.
#[inline(always)]
pub fn zip_grads<'a, M, V, T, F>(of: V::Of<'a, M::Grads>, mut f: F)
where
    M: Params<T>,
    V: View,
    T: Scalar,
    M::Grads: 'a,
    F: for<'s> FnMut(&Tensor, V::Slices<'s, T>),
{
    let mut walker = GradsZip::<V, M, F> {
        of,
        f: &mut f,
        _model: core::marker::PhantomData,
    };
    M::walk(&mut walker);
}

/// Calls `f` with every tensor's PyTorch name (under `prefix`'s path, if any), declaration and
/// values, in registration order, frozen and borrowed tensors included.
#[inline]
pub fn visit_named<M, T, F>(model: &M, mut f: F)
where
    M: Params<T>,
    T: Scalar,
    F: FnMut(&ParamName, &Tensor, &[T]),
{
    visit_named_under(model, &mut ParamName::new(), &mut f);
}

/// [`visit_named`] with the names starting at `name` (for example `ParamName::with_prefix("layers")`).
#[inline]
pub fn visit_named_under<M, T, F>(model: &M, name: &mut ParamName, f: &mut F)
where
    M: Params<T>,
    T: Scalar,
    F: FnMut(&ParamName, &Tensor, &[T]),
{
    let mut walker = Named::<M, F> { of: model, name, f };
    M::walk(&mut walker);
}

/// Calls `f` with every writable tensor's PyTorch name, declaration and values (mutably), in
/// registration order: every tensor but those of borrowed children, which cannot be written.
#[inline]
pub fn visit_named_mut<M, T, F>(model: &mut M, mut f: F)
where
    M: Params<T>,
    T: Scalar,
    F: FnMut(&ParamName, &Tensor, &mut [T]),
{
    visit_named_mut_under(model, &mut ParamName::new(), &mut f);
}

/// [`visit_named_mut`] with the names starting at `name`.
#[inline]
pub fn visit_named_mut_under<M, T, F>(model: &mut M, name: &mut ParamName, f: &mut F)
where
    M: Params<T>,
    T: Scalar,
    F: FnMut(&ParamName, &Tensor, &mut [T]),
{
    let mut walker = NamedMut::<M, F> { of: model, name, f };
    M::walk(&mut walker);
}

/// The walker of [`zip`].
struct Zip<'a, 'f, V: View, M: 'a, F> {
    of: V::Of<'a, M>,
    f: &'f mut F,
}

impl<'a, V, M, T, F> Walk<M, T> for Zip<'a, '_, V, M, F>
where
    V: View,
    M: Params<T> + 'a,
    T: Scalar,
    F: for<'s> FnMut(&Tensor, V::Slices<'s, T>),
{
    #[inline]
    fn tensor<G, GM>(&mut self, tensor: Tensor, get: G, get_mut: GM)
    where
        M: Layer<Grads = M>,
        G: Fn(&M) -> &[T],
        GM: Fn(&mut M) -> &mut [T],
    {
        (self.f)(&tensor, V::slices(&mut self.of, &get, &get_mut));
    }

    #[inline]
    fn child<C, G, GM, GG, GGM>(&mut self, _: Option<Segment>, get: G, get_mut: GM, _: GG, _: GGM)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
        GG: Fn(&M::Grads) -> &C::Grads,
        GGM: Fn(&mut M::Grads) -> &mut C::Grads,
    {
        self.frozen(None, get, get_mut);
    }

    #[inline]
    fn frozen<C, G, GM>(&mut self, _: Option<Segment>, get: G, get_mut: GM)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
    {
        let mut child = Zip::<V, C, F> {
            of: V::project(&mut self.of, &get, &get_mut),
            f: &mut *self.f,
        };
        C::walk(&mut child);
    }

    #[inline]
    fn lent<C, G>(&mut self, _: Option<Segment>, get: G)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
    {
        if let Some(of) = V::lend(&mut self.of, &get) {
            let mut child = Zip::<V, C, F> {
                of,
                f: &mut *self.f,
            };
            C::walk(&mut child);
        }
    }

    #[inline]
    fn each<C, const K: usize, G, GM, GG, GGM>(&mut self, get: G, get_mut: GM, _: GG, _: GGM)
    where
        C: Params<T>,
        G: Fn(&M) -> &[C; K],
        GM: Fn(&mut M) -> &mut [C; K],
        GG: Fn(&M::Grads) -> &[C::Grads; K],
        GGM: Fn(&mut M::Grads) -> &mut [C::Grads; K],
    {
        let mut arrays = V::project(&mut self.of, &get, &get_mut);
        for of in V::each(&mut arrays) {
            let mut child = Zip::<V, C, F> {
                of,
                f: &mut *self.f,
            };
            C::walk(&mut child);
        }
    }
}

/// The walker of [`zip_trainable`].
struct Trainable<'a, 'f, MV: View, V: View, M: Layer + 'a, F> {
    model: MV::Of<'a, M>,
    others: V::Of<'a, M::Grads>,
    f: &'f mut F,
}

impl<'a, MV, V, M, T, F> Walk<M, T> for Trainable<'a, '_, MV, V, M, F>
where
    MV: View,
    V: View,
    M: Params<T> + 'a,
    T: Scalar,
    F: for<'s> FnMut(&Tensor, MV::Slices<'s, T>, V::Slices<'s, T>),
{
    #[inline]
    fn tensor<G, GM>(&mut self, tensor: Tensor, get: G, get_mut: GM)
    where
        M: Layer<Grads = M>,
        G: Fn(&M) -> &[T],
        GM: Fn(&mut M) -> &mut [T],
    {
        (self.f)(
            &tensor,
            MV::slices(&mut self.model, &get, &get_mut),
            V::slices(&mut self.others, &get, &get_mut),
        );
    }

    #[inline]
    fn child<C, G, GM, GG, GGM>(
        &mut self,
        _: Option<Segment>,
        get: G,
        get_mut: GM,
        grads: GG,
        grads_mut: GGM,
    ) where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
        GG: Fn(&M::Grads) -> &C::Grads,
        GGM: Fn(&mut M::Grads) -> &mut C::Grads,
    {
        let mut child = Trainable::<MV, V, C, F> {
            model: MV::project(&mut self.model, &get, &get_mut),
            others: V::project(&mut self.others, &grads, &grads_mut),
            f: &mut *self.f,
        };
        C::walk(&mut child);
    }

    #[inline]
    fn frozen<C, G, GM>(&mut self, _: Option<Segment>, _: G, _: GM)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
    {
    }

    #[inline]
    fn lent<C, G>(&mut self, _: Option<Segment>, _: G)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
    {
    }

    #[inline]
    fn each<C, const K: usize, G, GM, GG, GGM>(
        &mut self,
        get: G,
        get_mut: GM,
        grads: GG,
        grads_mut: GGM,
    ) where
        C: Params<T>,
        G: Fn(&M) -> &[C; K],
        GM: Fn(&mut M) -> &mut [C; K],
        GG: Fn(&M::Grads) -> &[C::Grads; K],
        GGM: Fn(&mut M::Grads) -> &mut [C::Grads; K],
    {
        let mut models = MV::project(&mut self.model, &get, &get_mut);
        let mut others = V::project(&mut self.others, &grads, &grads_mut);
        for (model, others) in MV::each(&mut models).zip(V::each(&mut others)) {
            let mut child = Trainable::<MV, V, C, F> {
                model,
                others,
                f: &mut *self.f,
            };
            C::walk(&mut child);
        }
    }
}

/// The walker of [`zip_grads`].
struct GradsZip<'a, 'f, V: View, M: Layer, F>
where
    M::Grads: 'a,
{
    of: V::Of<'a, M::Grads>,
    f: &'f mut F,
    _model: core::marker::PhantomData<fn() -> M>,
}

impl<'a, V, M, T, F> Walk<M, T> for GradsZip<'a, '_, V, M, F>
where
    V: View,
    M: Params<T>,
    M::Grads: 'a,
    T: Scalar,
    F: for<'s> FnMut(&Tensor, V::Slices<'s, T>),
{
    #[inline]
    fn tensor<G, GM>(&mut self, tensor: Tensor, get: G, get_mut: GM)
    where
        M: Layer<Grads = M>,
        G: Fn(&M) -> &[T],
        GM: Fn(&mut M) -> &mut [T],
    {
        (self.f)(&tensor, V::slices(&mut self.of, &get, &get_mut));
    }

    #[inline]
    fn child<C, G, GM, GG, GGM>(
        &mut self,
        _: Option<Segment>,
        _: G,
        _: GM,
        grads: GG,
        grads_mut: GGM,
    ) where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
        GG: Fn(&M::Grads) -> &C::Grads,
        GGM: Fn(&mut M::Grads) -> &mut C::Grads,
    {
        let mut child = GradsZip::<V, C, F> {
            of: V::project(&mut self.of, &grads, &grads_mut),
            f: &mut *self.f,
            _model: core::marker::PhantomData,
        };
        C::walk(&mut child);
    }

    #[inline]
    fn frozen<C, G, GM>(&mut self, _: Option<Segment>, _: G, _: GM)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
    {
    }

    #[inline]
    fn lent<C, G>(&mut self, _: Option<Segment>, _: G)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
    {
    }

    #[inline]
    fn each<C, const K: usize, G, GM, GG, GGM>(&mut self, _: G, _: GM, grads: GG, grads_mut: GGM)
    where
        C: Params<T>,
        G: Fn(&M) -> &[C; K],
        GM: Fn(&mut M) -> &mut [C; K],
        GG: Fn(&M::Grads) -> &[C::Grads; K],
        GGM: Fn(&mut M::Grads) -> &mut [C::Grads; K],
    {
        let mut arrays = V::project(&mut self.of, &grads, &grads_mut);
        for of in V::each(&mut arrays) {
            let mut child = GradsZip::<V, C, F> {
                of,
                f: &mut *self.f,
                _model: core::marker::PhantomData,
            };
            C::walk(&mut child);
        }
    }
}

/// The walker of [`visit_named`].
struct Named<'a, 'n, 'f, M, F> {
    of: &'a M,
    name: &'n mut ParamName,
    f: &'f mut F,
}

impl<M, T, F> Walk<M, T> for Named<'_, '_, '_, M, F>
where
    M: Params<T>,
    T: Scalar,
    F: FnMut(&ParamName, &Tensor, &[T]),
{
    #[inline]
    fn tensor<G, GM>(&mut self, tensor: Tensor, get: G, _: GM)
    where
        M: Layer<Grads = M>,
        G: Fn(&M) -> &[T],
        GM: Fn(&mut M) -> &mut [T],
    {
        let len = self.name.push(tensor.name);
        (self.f)(self.name, &tensor, get(self.of));
        self.name.restore(len);
    }

    #[inline]
    fn child<C, G, GM, GG, GGM>(&mut self, name: Option<Segment>, get: G, _: GM, _: GG, _: GGM)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
        GG: Fn(&M::Grads) -> &C::Grads,
        GGM: Fn(&mut M::Grads) -> &mut C::Grads,
    {
        self.lent(name, get);
    }

    #[inline]
    fn frozen<C, G, GM>(&mut self, name: Option<Segment>, get: G, _: GM)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
    {
        self.lent(name, get);
    }

    #[inline]
    fn lent<C, G>(&mut self, name: Option<Segment>, get: G)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
    {
        let len = self.name.push_segment(name);
        let mut child = Named::<C, F> {
            of: get(self.of),
            name: &mut *self.name,
            f: &mut *self.f,
        };
        C::walk(&mut child);
        self.name.restore(len);
    }

    #[inline]
    fn each<C, const K: usize, G, GM, GG, GGM>(&mut self, get: G, _: GM, _: GG, _: GGM)
    where
        C: Params<T>,
        G: Fn(&M) -> &[C; K],
        GM: Fn(&mut M) -> &mut [C; K],
        GG: Fn(&M::Grads) -> &[C::Grads; K],
        GGM: Fn(&mut M::Grads) -> &mut [C::Grads; K],
    {
        for (i, of) in get(self.of).iter().enumerate() {
            let len = self.name.push_segment(Some(Segment::Index(i)));
            let mut child = Named::<C, F> {
                of,
                name: &mut *self.name,
                f: &mut *self.f,
            };
            C::walk(&mut child);
            self.name.restore(len);
        }
    }
}

/// The walker of [`visit_named_mut`].
struct NamedMut<'a, 'n, 'f, M, F> {
    of: &'a mut M,
    name: &'n mut ParamName,
    f: &'f mut F,
}

impl<M, T, F> Walk<M, T> for NamedMut<'_, '_, '_, M, F>
where
    M: Params<T>,
    T: Scalar,
    F: FnMut(&ParamName, &Tensor, &mut [T]),
{
    #[inline]
    fn tensor<G, GM>(&mut self, tensor: Tensor, _: G, get_mut: GM)
    where
        M: Layer<Grads = M>,
        G: Fn(&M) -> &[T],
        GM: Fn(&mut M) -> &mut [T],
    {
        let len = self.name.push(tensor.name);
        (self.f)(self.name, &tensor, get_mut(self.of));
        self.name.restore(len);
    }

    #[inline]
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

    #[inline]
    fn frozen<C, G, GM>(&mut self, name: Option<Segment>, _: G, get_mut: GM)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
    {
        let len = self.name.push_segment(name);
        let mut child = NamedMut::<C, F> {
            of: get_mut(self.of),
            name: &mut *self.name,
            f: &mut *self.f,
        };
        C::walk(&mut child);
        self.name.restore(len);
    }

    #[inline]
    fn lent<C, G>(&mut self, _: Option<Segment>, _: G)
    where
        C: Params<T>,
        G: Fn(&M) -> &C,
    {
    }

    #[inline]
    fn each<C, const K: usize, G, GM, GG, GGM>(&mut self, _: G, get_mut: GM, _: GG, _: GGM)
    where
        C: Params<T>,
        G: Fn(&M) -> &[C; K],
        GM: Fn(&mut M) -> &mut [C; K],
        GG: Fn(&M::Grads) -> &[C::Grads; K],
        GGM: Fn(&mut M::Grads) -> &mut [C::Grads; K],
    {
        for (i, of) in get_mut(self.of).iter_mut().enumerate() {
            let len = self.name.push_segment(Some(Segment::Index(i)));
            let mut child = NamedMut::<C, F> {
                of,
                name: &mut *self.name,
                f: &mut *self.f,
            };
            C::walk(&mut child);
            self.name.restore(len);
        }
    }
}
