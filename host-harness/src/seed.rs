//! `skipgrad seed`: the notebook's per-layer gradient tables.

use crate::notebook;

/// Flags of `skipgrad seed`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct SeedArgs {}

/// Runs `skipgrad seed`.
pub fn run(_args: &SeedArgs) -> anyhow::Result<()> {
    let t = notebook::run(&notebook::Experiment::default());
    print!("{}", notebook::print_table(&t.without_shortcut));
    print!("{}", notebook::print_table(&t.with_shortcut));
    Ok(())
}
