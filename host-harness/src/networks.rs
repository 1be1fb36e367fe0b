//! The harness's network types by name, for the commands that load and save weights
//! (`import`, `convert`, `train --load/--save`): the notebook's network and `train`'s.
//!
//! A network's tensors are named as PyTorch names them in the module whose `state_dict` a
//! file holds: the notebook's under `layers` (`layers.0.0.weight`, its `nn.ModuleList`), and
//! `train`'s from the root of an `nn.Sequential` (`0.0.weight`, `1.3.0.bias`, `2.weight`;
//! `tools/skipgrad_torch.py` builds both). A network with shortcuts and the same one without
//! have the same tensors, so one file (and one device image) serves both.

use skipgrad::{Params, Zeroed};

use crate::notebook::{WithShortcut, PREFIX};
use crate::task::Task;
use crate::train::{menu, ResidualNet, DEPTHS, WIDTHS};

/// A network type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// The notebook's 3-3-3-3-3-1 network (`model_with_shortcut` and
    /// `model_without_shortcut`: the same tensors).
    Notebook,
    /// `skipgrad train`'s network for a task, depth and width (with or without shortcuts: the
    /// same tensors).
    Train {
        /// The task (its input size).
        task: Task,
        /// Hidden blocks.
        depth: usize,
        /// Hidden width.
        width: usize,
    },
}

/// The network types' names on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NetworkName {
    /// The notebook's network.
    Notebook,
    /// `train`'s network (with `--task`, `--depth`, `--width`).
    Train,
}

/// Flags naming a network type. The shape flags belong to `--network train`: given with
/// the notebook's network, they are a usage error rather than ignored.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct NetworkArgs {
    /// The network type.
    #[arg(long, value_enum, default_value_t = NetworkName::Notebook)]
    pub network: NetworkName,
    /// For `--network train`: the task (its input size) [default: sin].
    #[arg(long, value_enum)]
    pub task: Option<Task>,
    /// For `--network train`: hidden blocks (2, 4, 8 or 16) [default: 8].
    #[arg(long, allow_hyphen_values = true, value_parser = crate::flags::count)]
    pub depth: Option<usize>,
    /// For `--network train`: hidden width (8 or 16) [default: 16].
    #[arg(long, allow_hyphen_values = true, value_parser = crate::flags::count)]
    pub width: Option<usize>,
}

impl Default for NetworkArgs {
    fn default() -> Self {
        Self {
            network: NetworkName::Notebook,
            task: None,
            depth: None,
            width: None,
        }
    }
}

impl NetworkArgs {
    /// The network these flags name (a usage error off `train`'s menu, or for shape flags
    /// given with the notebook's network).
    pub fn network(&self) -> anyhow::Result<Network> {
        match self.network {
            NetworkName::Notebook => {
                let given: Vec<&str> = [
                    ("--task", self.task.is_some()),
                    ("--depth", self.depth.is_some()),
                    ("--width", self.width.is_some()),
                ]
                .iter()
                .filter(|(_, given)| *given)
                .map(|(flag, _)| *flag)
                .collect();
                if !given.is_empty() {
                    crate::usage_bail!(
                        "{} describe --network train; the notebook's network has one shape \
                         (add --network train to convert train's weights)",
                        given.join(", ")
                    );
                }
                Ok(Network::Notebook)
            }
            NetworkName::Train => Network::train(
                self.task.unwrap_or(Task::Sin),
                self.depth.unwrap_or(8),
                self.width.unwrap_or(16),
            ),
        }
    }
}

/// What to do with a network type: called with the model type and its names' prefix.
pub trait Visit {
    /// The result.
    type Output;
    /// Runs with the network's type `M`.
    fn visit<M: Params<f32> + Zeroed + Clone + PartialEq + 'static>(
        self,
        prefix: &'static str,
    ) -> Self::Output;
}

impl Network {
    /// `train`'s network for a shape on its menu (a usage error otherwise).
    pub fn train(task: Task, depth: usize, width: usize) -> anyhow::Result<Self> {
        if !DEPTHS.contains(&depth) || !WIDTHS.contains(&width) {
            crate::usage_bail!(
                "unsupported shape: depth {depth}, width {width}; the compiled shapes are {}",
                menu()
            );
        }
        Ok(Network::Train { task, depth, width })
    }

    /// A short description, e.g. `train (sin, 8 blocks of width 16)`.
    pub fn describe(&self) -> String {
        match self {
            Network::Notebook => "the notebook's network".into(),
            Network::Train { task, depth, width } => format!(
                "train's network ({}, {depth} blocks of width {width})",
                task.name()
            ),
        }
    }

    /// Calls `v` with this network's type.
    pub fn visit<V: Visit>(&self, v: V) -> V::Output {
        match *self {
            Network::Notebook => v.visit::<WithShortcut<f32>>(PREFIX),
            Network::Train { task, depth, width } => match task {
                Task::Sin => visit_shape::<1, V>(depth, width, v),
                Task::Moons => visit_shape::<2, V>(depth, width, v),
            },
        }
    }
}

/// `train`'s network for `I` inputs; an off-menu shape falls back to the notebook (ruled
/// out by [`Network::train`]).
fn visit_shape<const I: usize, V: Visit>(depth: usize, width: usize, v: V) -> V::Output {
    match (depth, width) {
        (2, 8) => v.visit::<ResidualNet<f32, I, 8, 2>>(""),
        (2, 16) => v.visit::<ResidualNet<f32, I, 16, 2>>(""),
        (4, 8) => v.visit::<ResidualNet<f32, I, 8, 4>>(""),
        (4, 16) => v.visit::<ResidualNet<f32, I, 16, 4>>(""),
        (8, 8) => v.visit::<ResidualNet<f32, I, 8, 8>>(""),
        (8, 16) => v.visit::<ResidualNet<f32, I, 16, 8>>(""),
        (16, 8) => v.visit::<ResidualNet<f32, I, 8, 16>>(""),
        (16, 16) => v.visit::<ResidualNet<f32, I, 16, 16>>(""),
        _ => v.visit::<WithShortcut<f32>>(PREFIX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Names;
    impl Visit for Names {
        type Output = Vec<(String, Vec<usize>)>;
        fn visit<M: Params<f32> + Zeroed + Clone + PartialEq + 'static>(
            self,
            prefix: &'static str,
        ) -> Self::Output {
            crate::safetensors::declared::<M, f32>(prefix)
        }
    }

    #[test]
    fn names_follow_pytorch() {
        let nb = Network::Notebook.visit(Names);
        assert_eq!(nb.len(), 10);
        assert_eq!(nb[0], ("layers.0.0.weight".into(), vec![3, 3]));
        assert_eq!(nb[9], ("layers.4.0.bias".into(), vec![1]));
        let t = Network::train(Task::Moons, 2, 8).unwrap().visit(Names);
        let names: Vec<&str> = t.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "0.0.weight",
                "0.0.bias",
                "1.0.0.weight",
                "1.0.0.bias",
                "1.1.0.weight",
                "1.1.0.bias",
                "2.weight",
                "2.bias"
            ]
        );
        assert_eq!(t[0].1, [8, 2]);
        assert!(Network::train(Task::Sin, 3, 8).is_err());
    }
}
