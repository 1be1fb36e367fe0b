//! The binary run the way a user can break it: a closed pipe, a full disk, hostile flags and
//! huge counts. Each case asserts the exit status (2 for a usage error, 1 for a failure while
//! running) and the message, and that nothing panicked.

use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_skipgrad");

/// Quick runs of every command that prints to standard output.
const COMMANDS: [&[&str]; 5] = [
    &["seed"],
    &["seed", "--json"],
    &["train", "--depth", "2", "--width", "8", "--steps", "20"],
    &["gradcheck", "--json"],
    &["exhaustive-gelu", "--stride", "100003", "--threads", "1"],
];

fn assert_no_panic(args: &[&str], out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && out.status.code() != Some(101),
        "{args:?} panicked: {stderr}"
    );
}

/// Runs with standard output connected to a pipe whose reading end is closed before the
/// binary starts, so its first write fails.
fn run_into_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs")
}

/// Finding 4: `skipgrad train ... | true`.
#[test]
fn a_closed_pipe_is_an_error_not_a_panic() {
    for args in COMMANDS {
        let out = run_into_closed_pipe(args);
        assert_no_panic(args, &out);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("error: writing to standard output") && stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}

/// Finding 4: `skipgrad gradcheck --json > /dev/full`.
#[test]
fn a_full_disk_is_an_error_not_a_panic() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("no /dev/full on this system: skipped");
        return;
    }
    for args in COMMANDS {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full opens");
        let out = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .expect("the binary runs");
        assert_no_panic(args, &out);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("error: writing to standard output")
                && stderr.contains("No space left on device"),
            "{args:?}: {stderr}"
        );
    }
}

/// Findings 3, 5, 6 and 7: each flag the findings used, and the message it now gets. All are
/// usage errors (exit 2), found before anything is allocated or spawned, so each run ends at
/// once.
#[test]
fn hostile_flags_exit_2_with_a_message() {
    let cases: [(&[&str], &str); 16] = [
        // 3: a huge step count, and a recording interval whose count would wrap.
        (
            &["train", "--steps", "18446744073709551615"],
            "--steps must be at most 1000000000",
        ),
        (
            &["train", "--steps", "1000000000", "--every", "1"],
            "would record 1000000000 losses; at most 1000000",
        ),
        (
            &["train", "--steps", "99999999999999999999"],
            "must be at most 18446744073709551615",
        ),
        // 5: a learning rate that is zero in f32.
        (
            &["train", "--lr", "1e-50"],
            "--lr 1e-50 rounds to zero in f32",
        ),
        (
            &["train", "--optimizer", "adam", "--lr", "1e-50"],
            "--lr 1e-50 rounds to zero in f32",
        ),
        // 6: negative numbers are read as numbers, and get a message about their value.
        (
            &["train", "--lr", "-inf"],
            "'--lr <LR>': must be a finite number",
        ),
        (&["train", "--lr", "-.5"], "--lr must be > 0, got -0.5"),
        (
            &["train", "--seed", "-1"],
            "'--seed <SEED>': must not be negative",
        ),
        (
            &["train", "--steps", "-1"],
            "'--steps <STEPS>': must not be negative",
        ),
        (
            &["train", "--width", "-8"],
            "'--width <WIDTH>': must not be negative",
        ),
        (
            &["seed", "--seed", "-1"],
            "'--seed <N>': must not be negative",
        ),
        (
            &["gradcheck", "--seed", "-1"],
            "'--seed <SEED>': must not be negative",
        ),
        // 7: thread counts.
        (
            &["exhaustive-gelu", "--threads", "0"],
            "must be from 1 to 256",
        ),
        (
            &["exhaustive-gelu", "--threads", "18446744073709551615"],
            "must be from 1 to 256",
        ),
        (
            &["exhaustive-gelu", "--stride", "-3"],
            "'--stride <STRIDE>'",
        ),
        // 6: a command's own check exits 2 like clap's.
        (&["train", "--depth", "3"], "unsupported shape: depth 3"),
    ];
    for (args, message) in cases {
        let out = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        assert_no_panic(args, &out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

/// Finding 7: the thread count reported is the one used.
#[test]
fn exhaustive_reports_the_threads_it_ran() {
    let out = Command::new(BIN)
        .args([
            "exhaustive-gelu",
            "--stride",
            "1000003",
            "--threads",
            "2",
            "--json",
        ])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["threads"], 2);
}
