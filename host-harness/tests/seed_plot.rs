//! `skipgrad seed --plot FILE`: the tables still print, and the bar chart is written.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_skipgrad");

#[test]
fn seed_plot_writes_the_bar_chart_and_keeps_the_json() {
    let dir = std::env::temp_dir().join(format!("skipgrad-seed-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bars.svg");
    let out = Command::new(BIN)
        .args(["seed", "--json", "--plot"])
        .arg(&path)
        .output()
        .expect("run the skipgrad binary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(json["with_shortcut"].as_array().map(Vec::len), Some(5));
    let svg = std::fs::read_to_string(&path).expect("the plot was written");
    for text in [
        "without shortcut",
        "with shortcut",
        "layers.4.0.weight",
        "log scale",
    ] {
        assert!(svg.contains(text), "the plot lacks {text:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn seed_plot_into_a_missing_directory_fails_cleanly() {
    let out = Command::new(BIN)
        .args(["seed", "--plot", "/nonexistent-skipgrad-dir/bars.svg"])
        .output()
        .expect("run the skipgrad binary");
    // Found before the experiment runs: a usage error that names the flag, and no tables.
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--plot /nonexistent-skipgrad-dir/bars.svg cannot be written")
            && stderr.contains("does not exist"),
        "{stderr}"
    );
}
