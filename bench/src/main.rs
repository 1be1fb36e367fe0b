//! `skipgrad-bench`: the benchmark's commands (run inside `bench/`).
//!
//! ```text
//! cargo run --release -- report [--runs N] [--quick] [--no-native] [--no-pytorch]
//! cargo run --release -- check
//! cargo run --release -- peak
//! cargo run --release -- export DIR
//! cargo run --release -- time IMPLEMENTATION CONFIG
//! ```
//!
//! `time` is a quick look without criterion (for profiling under `perf record`): the best
//! mean of 20 batches of steps.

use std::process::ExitCode;

use skipgrad_bench::{check, config::CONFIGS, peak, report};

fn usage() -> ExitCode {
    eprintln!(
        "usage: skipgrad-bench report [--runs N] [--quick] [--no-native] [--no-pytorch]\n       \
         skipgrad-bench check | peak | export DIR | time IMPLEMENTATION CONFIG"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    skipgrad_bench::one_thread();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("report") => match report::Options::parse(&args[1..]) {
            Ok(o) => report::run(&o),
            Err(e) => {
                eprintln!("error: {e}");
                return usage();
            }
        },
        Some("check") => check_all(),
        Some("peak") => {
            println!("{}", peak::measure().derivation());
            Ok(())
        }
        Some("export") if args.len() == 2 => report::export(std::path::Path::new(&args[1])),
        Some("time") if args.len() == 3 => time(&args[1], &args[2]),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints how far each implementation is from skipgrad on every configuration.
fn check_all() -> Result<(), String> {
    println!("| config | implementation | losses (max rel.) | weights (rel. to the update) | bit-identical |");
    println!("|---|---|---:|---:|---|");
    let mut failed = Vec::new();
    for config in CONFIGS {
        for (imp, a) in check::all(config) {
            println!(
                "| {} | {} | {:.2e} | {:.2e} | {} |",
                config.id,
                imp.name,
                a.loss,
                a.update,
                if a.bit_identical { "yes" } else { "no" }
            );
            if let Err(e) = a.verdict(imp.bit_identical) {
                failed.push(format!("config {} {}: {e}", config.id, imp.name));
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("\n"))
    }
}

/// Times one implementation on one configuration: the best of 20 batches of about 50 ms.
fn time(name: &str, config: &str) -> Result<(), String> {
    let config = config
        .parse::<usize>()
        .ok()
        .and_then(|id| CONFIGS.iter().find(|c| c.id == id))
        .ok_or_else(|| format!("no configuration {config} (1 to 4)"))?;
    let imp = skipgrad_bench::implementations(config)
        .into_iter()
        .find(|i| i.name == name)
        .ok_or_else(|| format!("no implementation {name} for configuration {}", config.id))?;
    let mut s = (imp.build)(&skipgrad_bench::problem::Problem::new(*config));
    let t = std::time::Instant::now();
    let mut n = 0u32;
    while t.elapsed().as_secs_f64() < 0.2 {
        std::hint::black_box(s.step());
        n += 1;
    }
    let per = t.elapsed().as_secs_f64() / f64::from(n);
    let steps = ((0.05 / per) as u32).max(1);
    let best = (0..20)
        .map(|_| {
            let t = std::time::Instant::now();
            for _ in 0..steps {
                std::hint::black_box(s.step());
            }
            t.elapsed().as_secs_f64() / f64::from(steps)
        })
        .fold(f64::INFINITY, f64::min);
    let gflops = config.flops() / best / 1e9;
    println!(
        "{name} config {}: {:.3} us per step, {gflops:.2} GFLOP/s",
        config.id,
        best * 1e6
    );
    Ok(())
}
