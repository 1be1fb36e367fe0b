//! Zero-cost check: one SGD training step of the notebook network (with shortcuts, f32),
//! written with `skipgrad` versus the same computation written by hand with plain arrays
//! (`skipgrad_harness::baseline`).
//!
//! Each timed iteration starts from the seed-123 weights and runs one step on each of the
//! four samples of `baseline::SAMPLES`, so both sides do exactly the same floating-point
//! work (the same `tanhf` arguments included); the reported time is for four steps.
//!
//! Run with `cargo bench -p skipgrad-harness --bench step`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use skipgrad::{Params, TorchInit, Zeroed};
use skipgrad_harness::baseline::{flat, skipgrad_step, HandCache, HandNet, SkipCache, LR, SAMPLES};
use skipgrad_harness::notebook::WithShortcut;

/// Both implementations must produce the same bits, or the comparison is meaningless.
fn assert_bit_identical(initial: &WithShortcut<f32>) {
    let mut net = *initial;
    let mut grads = WithShortcut::<f32>::ZERO;
    let mut cache = SkipCache::<f32>::ZERO;
    let mut hand = HandNet::from_model(initial);
    let mut cached = hand;
    let (mut hg, mut hc) = (HandNet::default(), HandCache::default());
    for (x, t) in SAMPLES.iter().cycle().take(4000) {
        let a = skipgrad_step(&mut net, &mut grads, &mut cache, x, *t, LR);
        let b = hand.step(&mut hg, &mut hc, x, *t, LR);
        let c = cached.step_cached_tanh(&mut hg, &mut hc, x, *t, LR);
        assert_eq!(a.to_bits(), b.to_bits());
        assert_eq!(a.to_bits(), c.to_bits());
    }
    let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(flat(&net)), bits(hand.flat()));
    assert_eq!(bits(flat(&net)), bits(cached.flat()));
}

fn bench_step(c: &mut Criterion) {
    let initial: WithShortcut<f32> = Params::torch_init(&mut TorchInit::new(123));
    assert_bit_identical(&initial);

    let mut group = c.benchmark_group("notebook_sgd_4_steps");
    group.bench_function("skipgrad", |b| {
        let mut grads = WithShortcut::<f32>::ZERO;
        let mut cache = SkipCache::<f32>::ZERO;
        b.iter(|| {
            let mut net = *black_box(&initial);
            for (x, t) in black_box(&SAMPLES) {
                skipgrad_step(&mut net, &mut grads, &mut cache, x, *t, LR);
            }
            net
        });
    });
    let hand_initial = HandNet::from_model(&initial);
    group.bench_function("hand_written", |b| {
        let mut grads = HandNet::default();
        let mut cache = HandCache::default();
        b.iter(|| {
            let mut net = *black_box(&hand_initial);
            for (x, t) in black_box(&SAMPLES) {
                net.step(&mut grads, &mut cache, x, *t, LR);
            }
            net
        });
    });
    group.bench_function("hand_written_cached_tanh", |b| {
        let mut grads = HandNet::default();
        let mut cache = HandCache::default();
        b.iter(|| {
            let mut net = *black_box(&hand_initial);
            for (x, t) in black_box(&SAMPLES) {
                net.step_cached_tanh(&mut grads, &mut cache, x, *t, LR);
            }
            net
        });
    });
    group.finish();
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
