//! `report`: runs the criterion benchmark for the default build and for
//! `-C target-cpu=native`, interleaved, and the PyTorch script, then prints per configuration
//! each implementation's median, skipgrad's ratio to each, and GFLOP/s against the peak.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::check::Trace;
use crate::config::{Config, CONFIGS};
use crate::peak::{self, Peak};
use crate::problem::Problem;

/// The command's flags.
#[derive(Clone, Debug)]
pub struct Options {
    /// Rounds of (default build, native build, PyTorch).
    pub runs: usize,
    /// Shorter criterion runs (a first look; the README's figures are not quick).
    pub quick: bool,
    /// Skip the native build.
    pub native: bool,
    /// Skip PyTorch.
    pub pytorch: bool,
}

impl Options {
    /// Parses `report`'s flags.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Self {
            runs: 2,
            quick: false,
            native: true,
            pytorch: true,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--runs" => {
                    let v = it.next().ok_or("--runs needs a number")?;
                    o.runs = v
                        .parse()
                        .map_err(|_| format!("--runs: not a number: {v}"))?;
                    if !(1..=20).contains(&o.runs) {
                        return Err(format!("--runs must be 1 to 20, got {}", o.runs));
                    }
                }
                "--quick" => o.quick = true,
                "--no-native" => o.native = false,
                "--no-pytorch" => o.pytorch = false,
                other => return Err(format!("unknown flag {other}")),
            }
        }
        Ok(o)
    }
}

/// The two builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Build {
    /// `cargo bench` as it is: x86-64's baseline (SSE2) plus each library's own dispatch.
    Default,
    /// `RUSTFLAGS="-C target-cpu=native"`, its own target directory.
    Native,
}

impl Build {
    fn name(self) -> &'static str {
        match self {
            Build::Default => "default",
            Build::Native => "native",
        }
    }
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Medians in nanoseconds by (configuration, implementation).
type Medians = BTreeMap<(usize, String), f64>;

fn load_avg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Runs `cargo bench --bench step` for `build` and reads criterion's medians.
fn bench(build: Build, quick: bool) -> Result<Medians, String> {
    let dir = crate_dir();
    let home = dir
        .join("target")
        .join(format!("criterion-{}", build.name()));
    let _ = std::fs::remove_dir_all(&home);
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(&dir).args(["bench", "--bench", "step"]);
    cmd.env("CRITERION_HOME", &home)
        .env("RAYON_NUM_THREADS", "1");
    cmd.env_remove("CARGO_TARGET_DIR");
    if build == Build::Native {
        cmd.args(["--target-dir", "target/native"])
            .env("RUSTFLAGS", "-C target-cpu=native");
    } else {
        cmd.env_remove("RUSTFLAGS");
    }
    cmd.args(["--", "--noplot"]);
    // criterion prints to standard output: keep the report's own output clean.
    cmd.stdout(std::io::stderr());
    if quick {
        cmd.args([
            "--warm-up-time",
            "0.5",
            "--measurement-time",
            "1",
            "--sample-size",
            "20",
        ]);
    } else {
        cmd.args([
            "--warm-up-time",
            "2",
            "--measurement-time",
            "5",
            "--sample-size",
            "50",
        ]);
    }
    eprintln!(
        "== cargo bench ({} build), load average {}",
        build.name(),
        load_avg()
    );
    let status = cmd.status().map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo bench ({} build) failed: {status}",
            build.name()
        ));
    }
    let mut out = Medians::new();
    for config in CONFIGS {
        let group = home.join(format!("config{}", config.id));
        let Ok(entries) = std::fs::read_dir(&group) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let file = e.path().join("new").join("estimates.json");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let v: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let ns = v["median"]["point_estimate"]
                .as_f64()
                .ok_or_else(|| format!("{}: no median", file.display()))?;
            out.insert((config.id, name), ns);
        }
    }
    Ok(out)
}

/// Writes each configuration's problem and skipgrad's first steps for the PyTorch script.
pub fn export(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for config in CONFIGS {
        let p = Problem::new(config);
        let t = Trace::of(&mut *crate::peers::skipgrad::build(&p));
        let file = dir.join(format!("config-{}.bin", config.id));
        std::fs::write(&file, p.to_bytes(&t.losses, &t.weights))
            .map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

/// Runs the PyTorch script if `python3` can import torch; `None` if it cannot.
fn pytorch(quick: bool) -> Result<Option<(Medians, String)>, String> {
    let dir = crate_dir();
    let problems = dir.join("target").join("problems");
    export(&problems)?;
    let probe = Command::new("python3")
        .args(["-c", "import torch; print(torch.__version__)"])
        .output();
    let version = match probe {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => {
            eprintln!("== PyTorch: python3 cannot import torch, left out");
            return Ok(None);
        }
    };
    eprintln!("== PyTorch {version}, load average {}", load_avg());
    let mut cmd = Command::new("python3");
    cmd.arg(dir.join("pytorch_step.py")).arg(&problems);
    if quick {
        cmd.arg("--quick");
    }
    let out = cmd.output().map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pytorch_step.py failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut m = Medians::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{line}: {e}"))?;
        let config = v["config"].as_u64().ok_or("no config")? as usize;
        m.insert(
            (config, "pytorch".into()),
            v["median_ns"].as_f64().ok_or("no median")?,
        );
        m.insert(
            (config, "pytorch-mean".into()),
            v["mean_ns"].as_f64().ok_or("no mean")?,
        );
    }
    Ok(Some((m, version)))
}

/// The order of the columns.
const COLUMNS: [&str; 11] = [
    "skipgrad",
    "floor",
    "dfdx",
    "candle",
    "pytorch",
    "proto-exact",
    "proto-fused",
    "proto-exact-avx2",
    "proto-exact-scalar",
    "proto-gemm",
    "proto-matrixmultiply",
];

fn title(name: &str, torch: &str) -> String {
    match name {
        "floor" => "plain arrays".into(),
        "dfdx" => "dfdx 0.13".into(),
        "candle" => "candle 0.11".into(),
        "pytorch" => format!("PyTorch {torch}"),
        other => other.into(),
    }
}

fn time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e4 {
        format!("{:.1} us", ns / 1e3)
    } else if ns >= 1e3 {
        format!("{:.2} us", ns / 1e3)
    } else {
        format!("{:.0} ns", ns)
    }
}

/// The median of each entry over the runs, and the largest spread (max / min - 1) of any.
fn combine(runs: &[Medians]) -> (Medians, f64, Vec<String>) {
    let mut all: BTreeMap<(usize, String), Vec<f64>> = BTreeMap::new();
    for r in runs {
        for (k, v) in r {
            all.entry(k.clone()).or_default().push(*v);
        }
    }
    let mut out = Medians::new();
    let mut worst = 0.0f64;
    let mut noisy = Vec::new();
    for (k, mut v) in all {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        let spread = v[n - 1] / v[0] - 1.0;
        if spread > 0.03 {
            noisy.push(format!("config {} {}: {:.1}%", k.0, k.1, spread * 100.0));
        }
        worst = worst.max(spread);
        out.insert(k, median);
    }
    (out, worst, noisy)
}

fn table(build: Build, m: &Medians, peak: &Peak, torch: &str) -> String {
    let cols: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| m.keys().any(|(_, n)| n == c))
        .collect();
    let mut s = String::new();
    let head = |s: &mut String, first: &str| {
        s.push_str(&format!("| {first} |"));
        for c in &cols {
            s.push_str(&format!(" {} |", title(c, torch)));
        }
        s.push_str("\n|---|");
        s.push_str(&"---:|".repeat(cols.len()));
        s.push('\n');
    };
    s.push_str(&format!(
        "Median time of one step, {} build:\n\n",
        build.name()
    ));
    head(&mut s, "config");
    for c in CONFIGS {
        s.push_str(&format!("| {}: {} |", c.id, c.label()));
        for n in &cols {
            match m.get(&(c.id, n.to_string())) {
                Some(ns) => s.push_str(&format!(" {} |", time(*ns))),
                None => s.push_str(" |"),
            }
        }
        s.push('\n');
    }
    for reference in ["skipgrad", "proto-exact"] {
        if !cols.contains(&reference) {
            continue;
        }
        s.push_str(&format!(
            "\n{reference}'s speed relative to each (their time / {reference}'s; above 1: {reference} is faster):\n\n"
        ));
        head(&mut s, "config");
        for c in CONFIGS {
            s.push_str(&format!("| {} |", c.id));
            let ours = m.get(&(c.id, reference.to_string()));
            for n in &cols {
                match (ours, m.get(&(c.id, n.to_string()))) {
                    (Some(a), Some(b)) => s.push_str(&format!(" {:.2}x |", b / a)),
                    _ => s.push_str(" |"),
                }
            }
            s.push('\n');
        }
    }
    s.push_str(&format!(
        "\nGFLOP/s (6 x batch x weights per step) and share of the peak ({:.1} GFLOP/s):\n\n",
        peak.gflops
    ));
    head(&mut s, "config (MFLOP)");
    for c in CONFIGS {
        s.push_str(&format!("| {} ({:.3}) |", c.id, c.flops() / 1e6));
        for n in &cols {
            match m.get(&(c.id, n.to_string())) {
                Some(ns) => {
                    let g = c.flops() / ns;
                    s.push_str(&format!(" {:.2} ({:.1}%) |", g, 100.0 * g / peak.gflops));
                }
                None => s.push_str(" |"),
            }
        }
        s.push('\n');
    }
    s
}

/// The whole command.
pub fn run(o: &Options) -> Result<(), String> {
    let start = std::time::Instant::now();
    let load_before = load_avg();
    let peak = peak::measure();
    let mut builds = vec![Build::Default];
    if o.native {
        builds.push(Build::Native);
    }
    let mut runs: BTreeMap<Build, Vec<Medians>> = BTreeMap::new();
    let mut torch_runs = Vec::new();
    let mut torch = String::from("(not installed)");
    for round in 0..o.runs {
        eprintln!("== round {} of {}", round + 1, o.runs);
        for b in &builds {
            runs.entry(*b).or_default().push(bench(*b, o.quick)?);
        }
        if o.pytorch {
            if let Some((m, v)) = pytorch(o.quick)? {
                torch_runs.push(m);
                torch = v;
            }
        }
    }
    let (torch_m, torch_spread, torch_noisy) = combine(&torch_runs);
    let torch_noisy: Vec<String> = torch_noisy
        .into_iter()
        .filter(|n| !n.contains("pytorch-mean"))
        .collect();
    println!("Machine: {}", peak.derivation());
    println!(
        "Load average (1, 5, 15 min) before: {load_before}; after: {}. {} round(s), {} min.",
        load_avg(),
        o.runs,
        (start.elapsed().as_secs_f64() / 60.0).round()
    );
    for b in &builds {
        let (mut m, spread, noisy) = combine(&runs[b]);
        let noisy: Vec<String> = noisy
            .into_iter()
            .filter(|n| !n.contains("pytorch-mean"))
            .collect();
        for (k, v) in &torch_m {
            m.insert(k.clone(), *v);
        }
        println!("\n## {} build\n", b.name());
        println!("{}", table(*b, &m, &peak, &torch));
        println!(
            "Largest spread between rounds: {:.1}% (PyTorch {:.1}%).",
            100.0 * spread,
            100.0 * torch_spread
        );
        if !noisy.is_empty() || !torch_noisy.is_empty() {
            println!(
                "Rounds more than 3% apart: {}",
                [noisy, torch_noisy.clone()].concat().join("; ")
            );
        }
    }
    if let Some(m) = torch_runs.first() {
        let means: Vec<String> = CONFIGS
            .iter()
            .filter_map(|c: &Config| {
                m.get(&(c.id, "pytorch-mean".into()))
                    .map(|v| format!("{}: {}", c.id, time(*v)))
            })
            .collect();
        println!("\nPyTorch's mean step (first round): {}", means.join(", "));
    }
    Ok(())
}
