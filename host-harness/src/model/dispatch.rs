//! The one dispatch from a [`Model`] to its compiled network: the number type (its
//! [row](super::number)), the task (which knows the widths and the kind of loss, its
//! [row](super::task)), the shape (the task's [menu](super::shape)) and the normalisation
//! (its [row](super::norm)), each a `match` generated from its table, and then the
//! [`Visit`]or with every type. `train`, `convert` and `import` are visitors.
//!
//! A visitor also gets the network's [`Family`]: the same network in every number type, so
//! that it can move weights between number types (a file's values, read exactly in `f64`,
//! into a `q16.16` run, through the core's [`skipgrad::params::convert`]).

use std::marker::PhantomData;

use super::loss::TaskLoss;
use super::network::{Net, Network};
use super::norm::{Norm, VisitNorm};
use super::number::{TrainNumber, VisitNumber};
use super::shape::VisitShape;
use super::task::TaskData;
use super::Model;

/// The number type, task and loss a dispatch step carries without holding any.
type Types<T, D, L> = PhantomData<fn() -> (T, D, L)>;

/// What to do with a model: called with its concrete types.
pub trait Visit {
    /// The result.
    type Output;

    /// Runs with the model's network `M` in `T`, from `I` inputs to `O` outputs, its
    /// run-time loss `L`, its task's data `D`, and the network in every number type `F`
    /// (`F::Net<T>` is `M`).
    fn visit<T, M, L, D, F, const I: usize, const O: usize>(self, model: &Model) -> Self::Output
    where
        T: TrainNumber,
        M: Network<T, I, O>,
        L: TaskLoss<T, O>,
        D: TaskData<I, O>,
        F: Family<I, O>;
}

/// A network in every number type: the shape, the blocks and the outputs fixed, the number
/// type free.
pub trait Family<const I: usize, const O: usize>: 'static {
    /// The network in `T`.
    type Net<T: TrainNumber>: Network<T, I, O>;
}

/// The [`Family`] of the networks with `DEPTH` blocks of the normalisation `N` of width `W`.
struct NetFamily<N, const I: usize, const W: usize, const DEPTH: usize, const O: usize>(
    PhantomData<N>,
);

impl<N: Norm, const I: usize, const W: usize, const DEPTH: usize, const O: usize> Family<I, O>
    for NetFamily<N, I, W, DEPTH, O>
{
    type Net<T: TrainNumber> = Net<T, I, W, DEPTH, N::Block<T, W>, O>;
}

impl Model {
    /// Calls `v` with this model's types.
    pub fn dispatch<V: Visit>(&self, v: V) -> V::Output {
        self.number().visit(ByNumber { model: self, v })
    }
}

struct ByNumber<'a, V> {
    model: &'a Model,
    v: V,
}

impl<V: Visit> VisitNumber for ByNumber<'_, V> {
    type Output = V::Output;

    fn visit<T: TrainNumber>(self) -> V::Output {
        self.model.task().networks::<T, V>(self.model, self.v)
    }
}

/// The step after the task's: the model's shape on the task's menu, then its
/// normalisation, for a task `D` whose networks take `I` inputs and give `O` outputs with
/// the run-time loss `L`.
pub(crate) fn shapes<T, V, D, L, const I: usize, const O: usize>(model: &Model, v: V) -> V::Output
where
    T: TrainNumber,
    V: Visit,
    D: TaskData<I, O>,
    L: TaskLoss<T, O>,
{
    let by = ByShape::<T, V, D, L, I, O> {
        model,
        v,
        types: PhantomData,
    };
    model
        .task()
        .row()
        .menu
        .visit(model.depth(), model.width(), by)
}

struct ByShape<'a, T, V, D, L, const I: usize, const O: usize> {
    model: &'a Model,
    v: V,
    types: Types<T, D, L>,
}

impl<T, V, D, L, const I: usize, const O: usize> VisitShape for ByShape<'_, T, V, D, L, I, O>
where
    T: TrainNumber,
    V: Visit,
    D: TaskData<I, O>,
    L: TaskLoss<T, O>,
{
    type Output = V::Output;

    fn visit<const DEPTH: usize, const W: usize>(self) -> V::Output {
        let by = ByNorm::<T, V, D, L, I, O, DEPTH, W> {
            model: self.model,
            v: self.v,
            types: PhantomData,
        };
        self.model.norm().visit(by)
    }
}

struct ByNorm<'a, T, V, D, L, const I: usize, const O: usize, const DEPTH: usize, const W: usize> {
    model: &'a Model,
    v: V,
    types: Types<T, D, L>,
}

impl<T, V, D, L, const I: usize, const O: usize, const DEPTH: usize, const W: usize> VisitNorm
    for ByNorm<'_, T, V, D, L, I, O, DEPTH, W>
where
    T: TrainNumber,
    V: Visit,
    D: TaskData<I, O>,
    L: TaskLoss<T, O>,
{
    type Output = V::Output;

    fn visit<N: Norm>(self) -> V::Output {
        self.v.visit::<
            T,
            Net<T, I, W, DEPTH, N::Block<T, W>, O>,
            L,
            D,
            NetFamily<N, I, W, DEPTH, O>,
            I,
            O,
        >(self.model)
    }
}
