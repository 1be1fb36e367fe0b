//! Golden values: a short training run whose every loss is pinned, bit for bit, by a
//! committed hash.
//!
//! The run is IEEE 754 arithmetic in a fixed order (no fused multiply-add, no
//! reassociation, no threads) with `libm`'s pure-Rust `sin`, `expf` and `sqrt` (the core's
//! `f32` `tanh` is built on `expf`), so it gives the
//! same bits on every platform and with every compiler that builds it: the constants below
//! hold on any machine, not only the one that wrote them. A change to the core that moves
//! any bit of any loss (an operation reordered, a constant off by an ulp) changes the hash.
//! If a change is meant to move bits, run this test with `--nocapture`, check the printed
//! curve, and update the constant in the same commit.

use skipgrad_harness::command::train::{train_quietly, Config, TrainArgs};
use skipgrad_harness::model::{ModelArgs, OptimizerKind, Task};

/// FNV-1a (64 bits) over the little-endian bytes of each loss's `f32` bits.
fn fnv1a(losses: &[f32]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for l in losses {
        for byte in l.to_bits().to_le_bytes() {
            h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// sin(x) on 64 points, 2 blocks of width 8 with shortcuts, 300 full-batch steps, every loss
/// recorded (301: after 0..=299 updates, then the final one).
fn config(optimizer: OptimizerKind) -> Config {
    TrainArgs {
        model: ModelArgs {
            task: Some(Task::Sin),
            depth: Some(2),
            width: Some(8),
            ..ModelArgs::default()
        },
        steps: Some(300),
        optimizer: Some(optimizer),
        lr: Some(optimizer.default_lr()),
        seed: Some(0),
        every: 1,
        ..TrainArgs::default()
    }
    .config()
    .expect("a valid run")
}

/// The golden hashes, written by this test (`--nocapture` prints them). Last moved by the
/// core's own `f32` `tanh` (at most 1.51 ulp from the exact value): the first and the final Adam
/// loss kept their bits, the final SGD loss moved by one ulp (1.8207696e-1 to 1.8207698e-1).
const GOLDEN: [(OptimizerKind, u64); 2] = [
    (OptimizerKind::Sgd, 0x4291_063a_3070_4508),
    (OptimizerKind::Adam, 0x8d1c_4bbf_d5d0_3b27),
];

#[test]
fn training_curves_match_their_golden_hash() {
    let got = GOLDEN.map(|(optimizer, _)| {
        let curve = train_quietly(&config(optimizer)).expect("trains");
        assert_eq!(curve.losses.len(), 301);
        let hash = fnv1a(&curve.losses);
        eprintln!(
            "{optimizer:?}: losses {:e} .. {:e}, hash 0x{hash:016x}",
            curve.losses[0], curve.final_loss
        );
        hash
    });
    for ((optimizer, want), got) in GOLDEN.iter().zip(got) {
        assert_eq!(got, *want, "{optimizer:?}: the curve's bits changed");
    }
}

#[test]
fn the_hash_sees_one_bit() {
    let a = [1.0f32, 0.5, 0.25];
    let mut b = a;
    b[2] = f32::from_bits(b[2].to_bits() ^ 1);
    assert_ne!(fnv1a(&a), fnv1a(&b));
    assert_ne!(fnv1a(&a), fnv1a(&a[..2]));
}
