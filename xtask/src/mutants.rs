//! `cargo xtask mutants [--workspace-tests] [FILE...]`: mutation testing of the core with
//! `cargo-mutants` (`cargo install cargo-mutants`), and the figures README quotes: mutants
//! caught, missed, unviable and timed out, with every missed mutant listed.
//!
//! By default only the core's own tests run against each mutant (unit tests and doc tests:
//! about 4 minutes for the default files on 2 cores), so a mutant counts as caught only when
//! the core's tests see it. `--workspace-tests` runs every test of the workspace against each
//! mutant (the cross-crate tests in `tests/` too), which takes hours.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context as _;

use crate::toolchain;

/// The core's layer, loss, initialisation and training-step code, and its parameter images:
/// mutated when no file is named (cargo-mutants globs).
pub const FILES: [&str; 12] = [
    "core/src/layer/activation/*.rs",
    "core/src/layer/linear/*.rs",
    "core/src/layer/layer_norm.rs",
    "core/src/layer/residual.rs",
    "core/src/layer/sequential.rs",
    "core/src/loss/*.rs",
    "core/src/params/init.rs",
    "core/src/optimizer/*.rs",
    "core/src/train/clip.rs",
    "core/src/train/mod.rs",
    "core/src/params/image.rs",
    "core/src/params/checksum.rs",
];

/// The counts of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Mutants a test failed on.
    pub caught: usize,
    /// Mutants every test passed on.
    pub missed: usize,
    /// Mutants that did not build.
    pub unviable: usize,
    /// Mutants whose tests timed out.
    pub timeout: usize,
    /// `file:line: description` of each missed mutant.
    pub missed_names: Vec<String>,
}

/// Runs cargo-mutants on the files (or [`FILES`]) and prints the counts; `args` are the
/// command's arguments: `--workspace-tests` first, if given, then the files.
pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    toolchain::require(
        "cargo-mutants",
        "cargo-mutants (cargo install cargo-mutants)",
    )?;
    let (workspace_tests, files) = match args {
        [flag, rest @ ..] if flag == "--workspace-tests" => (true, rest),
        rest => (false, rest),
    };
    let out = root.join("target/mutants");
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root)
        .args(["mutants", "--package", "skipgrad", "--output"])
        .arg(&out);
    if workspace_tests {
        cmd.arg("--test-workspace=true");
    }
    let defaults: Vec<String> = FILES.iter().map(|f| (*f).to_owned()).collect();
    for f in if files.is_empty() { &defaults } else { files } {
        cmd.args(["--file", f]);
    }
    // cargo-mutants exits non-zero when a mutant is missed; the counts tell.
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .context("running cargo mutants")?;
    let path = out.join("mutants.out/outcomes.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cargo mutants ({status}) left no {}", path.display()))?;
    let c = counts(&text)?;
    println!(
        "mutants: {} caught, {} missed, {} unviable, {} timeouts",
        c.caught, c.missed, c.unviable, c.timeout
    );
    for name in &c.missed_names {
        println!("missed: {name}");
    }
    Ok(())
}

/// Counts the outcomes in cargo-mutants' `outcomes.json`.
pub fn counts(outcomes_json: &str) -> anyhow::Result<Counts> {
    let v: serde_json::Value =
        serde_json::from_str(outcomes_json).context("parsing outcomes.json")?;
    let list = v["outcomes"]
        .as_array()
        .context("outcomes.json has no outcomes")?;
    let mut c = Counts::default();
    for o in list {
        match o["summary"].as_str() {
            Some("CaughtMutant") => c.caught += 1,
            Some("MissedMutant") => {
                c.missed += 1;
                let name = o["scenario"]["Mutant"]["name"]
                    .as_str()
                    .map_or_else(|| o["scenario"].to_string(), str::to_owned);
                c.missed_names.push(name);
            }
            Some("Unviable") => c.unviable += 1,
            Some("Timeout") => c.timeout += 1,
            _ => {}
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_kind_of_outcome() {
        let text = r#"{"outcomes": [
            {"scenario": "Baseline", "summary": "Success"},
            {"scenario": {"Mutant": {"name": "core/src/a.rs:1: replace f -> 0"}}, "summary": "CaughtMutant"},
            {"scenario": {"Mutant": {"name": "core/src/a.rs:2: replace g -> 1"}}, "summary": "MissedMutant"},
            {"scenario": {"Mutant": {"name": "x"}}, "summary": "Unviable"},
            {"scenario": {"Mutant": {"name": "y"}}, "summary": "Timeout"},
            {"scenario": {"Mutant": {"name": "z"}}, "summary": "CaughtMutant"}
        ]}"#;
        let c = counts(text).expect("valid");
        assert_eq!((c.caught, c.missed, c.unviable, c.timeout), (2, 1, 1, 1));
        assert_eq!(c.missed_names, ["core/src/a.rs:2: replace g -> 1"]);
        assert!(counts("{}").is_err());
    }

    /// A renamed file must not silently drop out of the default set.
    #[test]
    fn every_default_pattern_names_a_file() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for pattern in FILES {
            let found = match pattern.split_once("*.rs") {
                Some((dir, _)) => std::fs::read_dir(root.join(dir))
                    .map(|d| {
                        d.flatten()
                            .any(|e| e.path().extension().is_some_and(|x| x == "rs"))
                    })
                    .unwrap_or(false),
                None => root.join(pattern).is_file(),
            };
            assert!(found, "{pattern} matches no file");
        }
    }
}
