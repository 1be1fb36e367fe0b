//! Parameters: the one walk a layer declares ([`Params::walk`], usually written by
//! [`params!`](crate::params!)), and every operation derived from it.
//!
//! - `walk`: [`Layer`], [`Params`] and its derived operations, the [`Walk`] a layer declares
//!   to, and the one traversal behind [`zip`], [`zip_trainable`], [`zip_grads`],
//!   [`visit_named`] and [`visit_shapes`];
//! - `declare`: [`params!`](crate::params!), a layer's walk and counts from one list;
//! - `child`: how a walk reaches a child layer ([`Child`]: trained, frozen or lent);
//! - `tensor`: what a tensor declares ([`Tensor`], [`Dims`], [`Shape`]);
//! - `view`: how a walk holds its values ([`Ref`], [`Mut`], tuples of them);
//! - `name`: PyTorch's parameter names ([`ParamName`], [`Segment`]);
//! - `init`: PyTorch's initialisation ([`TorchInit`], [`Init`]);
//! - `flat`: parameters as one run of values ([`LengthMismatch`]);
//! - `convert`: a model in one number type to the same model in another ([`convert`]), with a
//!   report of every tensor ([`TensorReport`]: saturated, flushed, the largest error);
//! - `hash`: FNV-1a, the hash of weights and shapes ([`Fnv1a`]);
//! - [`image`]: a model's parameters and optimizer state as a checked byte image.

mod checksum;
mod child;
mod convert;
mod declare;
mod flat;
mod hash;
pub mod image;
mod init;
mod name;
mod tensor;
mod view;
mod walk;

pub use child::{Child, No, Part, PartMut, Reach};
pub use convert::{convert, ConvertError, Saturation, Shown, Summary, TensorReport};
#[doc(hidden)]
pub use declare::{array_len, array_trainable, child_len, child_trainable, tensor_len, Array};
pub use flat::LengthMismatch;
pub use hash::Fnv1a;
pub use init::{Init, TorchInit, UniformFormula};
pub use name::{ParamName, Segment, NAME_CAPACITY};
pub use tensor::{Dims, Shape, Tensor};
pub use view::{EachZip, Mut, Ref, View};
#[doc(hidden)]
pub use walk::array;
pub use walk::{
    tensor_name, visit_named, visit_named_mut, visit_named_mut_under, visit_named_under,
    visit_shapes, zip, zip_grads, zip_trainable, Layer, Params, Walk,
};

pub(crate) use flat::Source;
pub(crate) use walk::load_from;
