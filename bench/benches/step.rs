//! One training step per configuration and implementation (see the crate's README.md).
//!
//! `cargo bench --bench step` (inside `bench/`). Every implementation is checked against
//! skipgrad before anything is timed; a mismatch stops the run.

use criterion::{criterion_group, criterion_main, Criterion};
use skipgrad_bench::check;
use skipgrad_bench::config::CONFIGS;
use skipgrad_bench::problem::Problem;

fn bench(c: &mut Criterion) {
    skipgrad_bench::one_thread();
    for config in CONFIGS {
        for (imp, a) in check::all(config) {
            if let Err(e) = a.verdict(imp.bit_identical) {
                panic!(
                    "config {}: {} does not compute skipgrad's step: {e}",
                    config.id, imp.name
                );
            }
        }
        let p = Problem::new(config);
        let mut group = c.benchmark_group(format!("config{}", config.id));
        for imp in skipgrad_bench::implementations(&config) {
            let mut s = (imp.build)(&p);
            group.bench_function(imp.name, |b| b.iter(|| s.step()));
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
