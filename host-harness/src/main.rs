//! `skipgrad`: the host harness binary.
#![deny(clippy::print_stdout)]

use std::io::Write as _;

use clap::{Parser, Subcommand};
use skipgrad_harness::command::{
    convert, exhaustive, exhaustive_gelu, exhaustive_q16, gradcheck, import, seed, train,
};
use skipgrad_harness::usage;

/// Runs the skipgrad core on a desktop.
#[derive(Debug, Parser)]
#[command(name = "skipgrad", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The seed notebook's per-layer mean |grad| tables, without and with shortcuts (the default).
    Seed(seed::SeedArgs),
    /// Trains a model on a task: a deep MLP on sin or two moons, or the digits classifier.
    Train(train::TrainArgs),
    /// Analytic gradients against finite differences on the notebook's and a deep network.
    Gradcheck(gradcheck::GradcheckArgs),
    /// An activation's f32 value and derivative over every finite f32, against f64.
    Exhaustive(exhaustive::ActivationArgs),
    /// The f32 GELU, its derivative and tanh over every finite f32, against f64.
    ExhaustiveGelu(exhaustive_gelu::ExhaustiveArgs),
    /// The Q16.16 GELU, tanh and sigmoid and their derivatives over every Q16.16 value, against f64.
    ExhaustiveQ16(exhaustive_q16::ExhaustiveQ16Args),
    /// The notebook's experiment on the weights of a PyTorch safetensors file (the notebook's
    /// network, or one train saves).
    Import(import::ImportArgs),
    /// A safetensors file to a device image of a network (the notebook's, or one train
    /// saves), or back.
    Convert(convert::ConvertArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli
        .command
        .unwrap_or(Command::Seed(seed::SeedArgs::default()))
    {
        Command::Seed(args) => seed::run(&args),
        Command::Train(args) => train::run(&args),
        Command::Gradcheck(args) => gradcheck::run(&args),
        Command::Exhaustive(args) => exhaustive::run(&args),
        Command::ExhaustiveGelu(args) => exhaustive_gelu::run(&args),
        Command::ExhaustiveQ16(args) => exhaustive_q16::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Convert(args) => convert::run(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Not `eprintln!`, which panics when standard error is closed too.
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            // 2 for a flag the command cannot run with (as clap exits for one it cannot
            // parse), 1 for a failure while running.
            std::process::ExitCode::from(usage::exit_status(&e))
        }
    }
}
