//! How a layer reaches one of its children: a [`Child`], trained, frozen or lent.
//!
//! A walk holds values of a layer (the model, or values of its gradient type: gradients, an
//! optimizer's state) and descends into a child through the child's getters. A trained child
//! has all four; a frozen child has no part in the gradient type; a lent (borrowed) child is
//! only read. A walk that needs a getter the child does not have steps over the child.

/// A getter a child does not have (see [`Child::frozen`] and [`Child::lent`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct No;

/// Reads a part `B` of an `A`: a closure `Fn(&A) -> &B`, or [`No`].
pub trait Part<A, B> {
    /// True for a getter that exists.
    const SOME: bool;
    /// The part, if there is a getter.
    fn part<'a>(&self, of: &'a A) -> Option<&'a B>;
}

impl<A, B, F: Fn(&A) -> &B> Part<A, B> for F {
    const SOME: bool = true;

    #[inline(always)]
    fn part<'a>(&self, of: &'a A) -> Option<&'a B> {
        Some(self(of))
    }
}

impl<A, B> Part<A, B> for No {
    const SOME: bool = false;

    #[inline(always)]
    fn part<'a>(&self, _: &'a A) -> Option<&'a B> {
        None
    }
}

/// Writes a part `B` of an `A`: a closure `Fn(&mut A) -> &mut B`, or [`No`].
pub trait PartMut<A, B> {
    /// The part, if there is a getter.
    fn part_mut<'a>(&self, of: &'a mut A) -> Option<&'a mut B>;
}

impl<A, B, F: Fn(&mut A) -> &mut B> PartMut<A, B> for F {
    #[inline(always)]
    fn part_mut<'a>(&self, of: &'a mut A) -> Option<&'a mut B> {
        Some(self(of))
    }
}

impl<A, B> PartMut<A, B> for No {
    #[inline(always)]
    fn part_mut<'a>(&self, _: &'a mut A) -> Option<&'a mut B> {
        None
    }
}

/// A child layer `C` of a layer `M`, with how to reach it: in `M` (`get`, `get_mut`) and in
/// the layer's gradient type `MG` (`grads`, `grads_mut`, to the child's `CG`).
///
/// Build it with [`Child::trained`], [`Child::frozen`] or [`Child::lent`]; the layer's walk
/// hands it to [`Walk::child`](super::Walk::child), usually through
/// [`params!`](crate::params!).
#[derive(Clone, Copy, Debug)]
pub struct Child<G, GM = No, GG = No, GGM = No> {
    get: G,
    get_mut: GM,
    grads: GG,
    grads_mut: GGM,
}

impl<G, GM, GG, GGM> Child<G, GM, GG, GGM> {
    /// A trained child: reached in the layer and in its gradient type.
    #[inline(always)]
    pub const fn trained<M, C, MG, CG>(get: G, get_mut: GM, grads: GG, grads_mut: GGM) -> Self
    where
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
        GG: Fn(&MG) -> &CG,
        GGM: Fn(&mut MG) -> &mut CG,
    {
        Self {
            get,
            get_mut,
            grads,
            grads_mut,
        }
    }
}

impl<G, GM> Child<G, GM> {
    /// A frozen child: named, saved, loaded and initialised with the layer, with no part in
    /// its gradients or an optimizer's state.
    #[inline(always)]
    pub const fn frozen<M, C>(get: G, get_mut: GM) -> Self
    where
        G: Fn(&M) -> &C,
        GM: Fn(&mut M) -> &mut C,
    {
        Self {
            get,
            get_mut,
            grads: No,
            grads_mut: No,
        }
    }
}

impl<G> Child<G> {
    /// A lent child (a `&'static` layer in flash): named and saved with the layer, never
    /// written, trained or initialised through it.
    #[inline(always)]
    pub const fn lent<M, C>(get: G) -> Self
    where
        G: Fn(&M) -> &C,
    {
        Self {
            get,
            get_mut: No,
            grads: No,
            grads_mut: No,
        }
    }
}

/// How a walk reaches a child `C` of `M`, and `C`'s gradient type `CG` in `M`'s `MG`:
/// implemented by every [`Child`].
pub trait Reach<M, C, MG, CG> {
    /// True if the child is trained (it has gradients).
    const TRAINED: bool;
    /// The child in the layer.
    fn get<'a>(&self, m: &'a M) -> &'a C;
    /// The child in the layer, mutably (`None` for a lent child).
    fn get_mut<'a>(&self, m: &'a mut M) -> Option<&'a mut C>;
    /// The child's gradients in the layer's (`None` for a frozen or lent child).
    fn grads<'a>(&self, g: &'a MG) -> Option<&'a CG>;
    /// The same, mutably.
    fn grads_mut<'a>(&self, g: &'a mut MG) -> Option<&'a mut CG>;
}

impl<M, C, MG, CG, G, GM, GG, GGM> Reach<M, C, MG, CG> for Child<G, GM, GG, GGM>
where
    G: Fn(&M) -> &C,
    GM: PartMut<M, C>,
    GG: Part<MG, CG>,
    GGM: PartMut<MG, CG>,
{
    const TRAINED: bool = GG::SOME;

    #[inline(always)]
    fn get<'a>(&self, m: &'a M) -> &'a C {
        (self.get)(m)
    }

    #[inline(always)]
    fn get_mut<'a>(&self, m: &'a mut M) -> Option<&'a mut C> {
        self.get_mut.part_mut(m)
    }

    #[inline(always)]
    fn grads<'a>(&self, g: &'a MG) -> Option<&'a CG> {
        self.grads.part(g)
    }

    #[inline(always)]
    fn grads_mut<'a>(&self, g: &'a mut MG) -> Option<&'a mut CG> {
        self.grads_mut.part_mut(g)
    }
}
