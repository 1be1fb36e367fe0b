//! The normalisations of the hidden blocks (`--norm`), one row each: the command-line name,
//! the title and the block the row builds, `Linear<T, W, W>` and the run-time
//! [`Activation`], with the normalisation layer where it goes. Every block is wrapped in a
//! run-time [`Shortcut`].
//!
//! The block is a type (its layers and so its tensors are fixed at compile time), so each row
//! is a compiled network per shape and number type; [`NormKind::visit`] hands the row's
//! [`Norm`] to a [`VisitNorm`]. A block's layers must exist in every number type the harness
//! trains in (the bound on [`Norm::Block`] checks it when the row is compiled).

use skipgrad::{LayerNorm, Linear, Module, Params, Zeroed};

use super::activation::Activation;
use super::network::{Configure, Shortcut};
use super::number::TrainNumber;
use super::table::choice;

/// Declares the normalisations from their rows (see the [module](self)).
macro_rules! norms {
    ($( $(#[doc = $doc:literal])* $variant:ident = $cli:literal, $title:literal, $block:ty; )+) => {
        choice! {
            /// Normalisation in the hidden blocks.
            pub enum NormKind {
                $( $(#[doc = $doc])* $variant = $cli, $title; )+
            }
        }

        /// The rows' blocks, as [`Norm`] types.
        pub mod block {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[doc = concat!("The block of `--norm ", $cli, "`.")]
                #[derive(Clone, Copy, Debug)]
                pub struct $variant;

                impl Norm for $variant {
                    type Block<T: TrainNumber, const W: usize> = Shortcut<$block>;
                }
            )+
        }

        impl NormKind {
            /// Calls `v` with the row's block.
            pub fn visit<V: VisitNorm>(self, v: V) -> V::Output {
                match self {
                    $(NormKind::$variant => v.visit::<block::$variant>(),)+
                }
            }
        }
    };
}

norms! {
    /// None: each block is Linear + activation.
    None = "none", "no normalisation", (Linear<T, W, W>, Activation);
    /// LayerNorm first in each block, inside its shortcut (pre-norm).
    Layer = "layer", "LayerNorm", (LayerNorm<T, W>, Linear<T, W, W>, Activation);
}

impl Default for NormKind {
    /// None, as the notebook.
    fn default() -> Self {
        NormKind::None
    }
}

/// A row's hidden block, for any number type and width.
pub trait Norm: 'static {
    /// The block of width `W` in `T`: `W` inputs, `W` outputs, with a run-time shortcut.
    type Block<T: TrainNumber, const W: usize>: Module<[T; W], Output = [T; W]>
        + Params<T>
        + Zeroed
        + Configure
        + Clone
        + PartialEq
        + Send
        + Sync
        + 'static;
}

/// What to do with a normalisation: called with its [`Norm`].
pub trait VisitNorm {
    /// The result.
    type Output;
    /// Runs with the row's block `N`.
    fn visit<N: Norm>(self) -> Self::Output;
}
