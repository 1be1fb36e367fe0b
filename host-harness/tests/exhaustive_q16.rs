//! `skipgrad exhaustive-q16` on a sample: every 4,099th Q16.16 bit pattern (1,047,809
//! inputs), no rail results, every figure within the bounds the full run is held to; the
//! full run's worst inputs, with the patterns around them, attain its figures; bad flags
//! exit 2.

use std::process::{Command, Output};

use serde_json::Value;
use skipgrad_harness::exhaustive_q16::{scan_range, Summary, BOUNDS, FUNCTIONS};

const BIN: &str = env!("CARGO_BIN_EXE_skipgrad");

fn skipgrad(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run the skipgrad binary")
}

#[test]
fn sampled_run_is_within_the_bounds() {
    let out = skipgrad(&[
        "exhaustive-q16",
        "--stride",
        "4099",
        "--threads",
        "2",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["number"], "q16.16");
    assert_eq!(v["summary"]["checked"], 1_047_809);
    eprintln!(
        "every 4,099th pattern, {:.2} s",
        v["seconds"].as_f64().unwrap()
    );
    for (name, (bv, bd)) in FUNCTIONS.iter().zip(BOUNDS) {
        let key = match *name {
            "gelu-tanh" => "gelu",
            other => other,
        };
        let f = &v["summary"][key];
        assert_eq!(f["rails"], 0, "{name}");
        assert_eq!(f["mismatches"], 0, "{name}");
        assert_eq!(v["bounds"][name]["value"].as_f64(), Some(bv));
        assert_eq!(v["bounds"][name]["derivative"].as_f64(), Some(bd));
        for (part, bound) in [("value", bv), ("derivative", bd)] {
            let error = f[part]["error"].as_f64().expect("error");
            eprintln!(
                "{name} {part}: {error:.4} units of 2^-16 (bound {bound}) at bits 0x{:08x}",
                f[part]["bits"].as_i64().expect("bits") as u32
            );
            assert!(error <= bound, "{name} {part}: {error} > {bound}");
        }
    }
}

/// The full run's worst case of each function and part: bits and error (units of 2^-16).
const WORST: [[(u32, f64); 2]; 3] = [
    [(0x0000_3ff6, 0.8292), (0x0000_bf99, 0.8272)],
    [(0x0000_7563, 0.9340), (0x0003_4991, 1.7176)],
    [(0xfffe_9707, 0.8841), (0x0002_fc3f, 1.2270)],
];

/// The patterns within 1,024 of each worst input of the full run: its figures are attained
/// there (to the 4 digits quoted) and not exceeded.
#[test]
fn the_full_runs_worst_cases_are_attained() {
    for (i, name) in FUNCTIONS.iter().enumerate() {
        for (part, &(bits, figure)) in WORST[i].iter().enumerate() {
            let s: Summary = scan_range(bits - 1024, bits + 1024, 1);
            let f = s.functions()[i];
            assert!(f.within(BOUNDS[i]), "{name}: {f:?}");
            let w = if part == 0 { &f.value } else { &f.derivative };
            eprintln!(
                "{name} {}: {:.4} at 0x{:08x} (full run {figure} at 0x{bits:08x})",
                ["value", "derivative"][part],
                w.error,
                w.bits as u32
            );
            assert_eq!(w.bits as u32, bits, "{name} {part}");
            assert!(
                (w.error - figure).abs() < 5e-5,
                "{name} {part}: {}",
                w.error
            );
        }
    }
}

#[test]
fn bad_flags_exit_2() {
    for (args, want) in [
        (
            &["exhaustive-q16", "--threads", "0"][..],
            "must be from 1 to",
        ),
        (
            &["exhaustive-q16", "--stride", "0"][..],
            "invalid value '0'",
        ),
        (
            &["exhaustive-q16", "--stride", "-3"][..],
            "invalid value '-3'",
        ),
    ] {
        let out = skipgrad(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(stderr.contains(want), "{args:?}: stderr is {stderr}");
    }
}
