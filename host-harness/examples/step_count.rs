//! Runs the notebook network's SGD step N times, with `skipgrad` or hand-written, for a
//! deterministic instruction count under callgrind:
//!
//! ```text
//! cargo build --release -p skipgrad-harness --example step_count
//! valgrind --tool=callgrind target/release/examples/step_count skipgrad 100000
//! valgrind --tool=callgrind target/release/examples/step_count hand 100000
//! valgrind --tool=callgrind target/release/examples/step_count hand-cached-tanh 100000
//! ```
//!
//! All three print the same checksum (their weights are bit-identical).

use std::hint::black_box;

use skipgrad::{Params, TorchInit, Zeroed};
use skipgrad_harness::baseline::{flat, skipgrad_step, HandCache, HandNet, SkipCache, LR, SAMPLES};
use skipgrad_harness::notebook::WithShortcut;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(which), Some(n)) = (
        args.get(1),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: step_count skipgrad|hand|hand-cached-tanh STEPS");
        std::process::exit(2);
    };
    let initial: WithShortcut<f32> = Params::torch_init(&mut TorchInit::new(123));
    let weights = match which.as_str() {
        "skipgrad" => {
            let mut net = initial;
            let mut grads = WithShortcut::<f32>::ZERO;
            let mut cache = SkipCache::<f32>::ZERO;
            for (x, t) in black_box(&SAMPLES).iter().cycle().take(n) {
                skipgrad_step(&mut net, &mut grads, &mut cache, x, *t, LR);
            }
            flat(&net)
        }
        "hand" => {
            let mut net = HandNet::from_model(&initial);
            let (mut grads, mut cache) = (HandNet::default(), HandCache::default());
            for (x, t) in black_box(&SAMPLES).iter().cycle().take(n) {
                net.step(&mut grads, &mut cache, x, *t, LR);
            }
            net.flat()
        }
        "hand-cached-tanh" => {
            let mut net = HandNet::from_model(&initial);
            let (mut grads, mut cache) = (HandNet::default(), HandCache::default());
            for (x, t) in black_box(&SAMPLES).iter().cycle().take(n) {
                net.step_cached_tanh(&mut grads, &mut cache, x, *t, LR);
            }
            net.flat()
        }
        other => {
            eprintln!("unknown variant `{other}`: expected skipgrad, hand or hand-cached-tanh");
            std::process::exit(2);
        }
    };
    let checksum = weights
        .iter()
        .fold(0u64, |h, w| h.rotate_left(5) ^ u64::from(w.to_bits()));
    println!("{which}: {n} steps, weights checksum {checksum:016x}");
}
