//! `cargo xtask mcu`: every target built, run under QEMU, compared with the host bit for bit,
//! and measured.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context as _;
use skipgrad::Params;
use skipgrad_notebook::demo::{self, DEMO_BEGIN, DEMO_END};
use skipgrad_notebook::minimal::{
    self, F32Shortcut, Minimal, MinimalOutcome, Q16Shortcut, Q16Tanh, MINIMAL_STEPS,
};
use skipgrad_notebook::network::{WithShortcut, INITIAL_WITH_SHORTCUT, SEED};

use crate::digits;
use crate::elf;
use crate::fleet;
use crate::goals;
use crate::qemu;
use crate::report;
use crate::roundtrip;
use crate::roundtrip_q16;
use crate::scenarios;
use crate::table::{self, Row};
use crate::targets::{Target, TARGETS};
use crate::toolchain::{self, Toolchain};

/// Iterations of the firmware's calibration loop (`timer::CALIBRATION_ITERATIONS`) times its
/// two instructions.
const CALIBRATION_INSTRUCTIONS: u64 = 2 * 100_000;

/// Runs every target; fails on the first build error, run failure or bit difference.
pub fn run(json: bool) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let firmware = root.join("firmware");
    let target_dir = firmware.join("target");
    toolchain::require("ld.lld", "lld")?;
    for t in TARGETS {
        toolchain::require(t.qemu, t.qemu_package)?;
    }
    check_initial_weights()?;
    let expected_demo = host_demo()?;
    let notebook = notebook_means(&root)?;
    let worst = goals::check_demo_gradients(&expected_demo, &notebook)?;
    eprintln!(
        "== the demo's gradient lines match the notebook within {worst:.2e} relative \
         (bound {:e}); {} steps to the loss threshold",
        goals::NOTEBOOK_BOUND,
        goals::DEMO_STEPS
    );
    let expected_minimal = minimal::run::<F32Shortcut>().context("the host's minimal run")?;
    let expected_q16 = minimal::run::<Q16Shortcut>().context("the host's minimal-q16 run")?;
    let expected_q16_tanh = minimal::run::<Q16Tanh>().context("the host's minimal-q16-tanh run")?;
    let expected_scenarios = scenarios::host_reports()?;
    roundtrip::check_import(&root)?;
    eprintln!("== PyTorch's notebook weights, imported, are the image the firmware flashes");
    roundtrip_q16::check_quantised(&root)?;
    eprintln!(
        "== PyTorch's notebook weights, quantised by skipgrad convert --number q16.16, are \
         those roundtrip-q16 starts from"
    );
    let installed = toolchain::rustup_targets();

    let plan = TARGETS
        .iter()
        .map(|t| Ok((t, toolchain::choose(t.triple, &installed)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for tc in [Toolchain::Rustup, Toolchain::DebianBuildStd] {
        let triples: Vec<&str> = plan
            .iter()
            .filter(|(_, c)| *c == tc)
            .map(|(t, _)| t.triple)
            .collect();
        if !triples.is_empty() {
            eprintln!("== building for {} via {tc:?}", triples.join(", "));
            build(&tc, &firmware, &triples, &target_dir, &[])?;
        }
    }

    let mut rows = Vec::new();
    for (t, tc) in &plan {
        let (t, tc) = (*t, tc.clone());
        eprintln!("== {} ({}, {})", t.triple, t.core, t.machine);
        let bin = target_dir.join(t.triple).join("release");

        let demo = qemu::run(t, &bin.join("demo"), false)?;
        let demo_lines = demo_lines(&demo.stdout).with_context(|| {
            format!(
                "{}: no complete demo report\n{}{}",
                t.triple, demo.stdout, demo.stderr
            )
        })?;
        report::compare(t, "demo", &expected_demo, &demo_lines)?;
        goals::check_demo_gradients(&demo_lines, &notebook)
            .with_context(|| format!("{}: the demo's gradient table", t.triple))?;
        anyhow::ensure!(
            demo.success,
            "{}: the demo exited with failure (loss threshold not reached?)",
            t.triple
        );

        let (row, instructions_per_tick) = run_minimal::<F32Shortcut>(t, &bin, &expected_minimal)?;
        if t.prove_no_panic {
            prove_no_panic(&tc, &firmware, t.triple, &target_dir)?;
            eprintln!("   no panic path in the minimal trainer (proof build linked)");
        }
        goals::check(&row.measured())?;
        rows.push(row);
        for (row, name) in [
            (
                run_minimal::<Q16Shortcut>(t, &bin, &expected_q16)?.0,
                Q16Shortcut::NAME,
            ),
            (
                run_minimal::<Q16Tanh>(t, &bin, &expected_q16_tanh)?.0,
                Q16Tanh::NAME,
            ),
        ] {
            eprintln!("   {name}: bit-identical to the host");
            goals::check_fixed_point(
                name,
                t.triple,
                row.instructions_per_step,
                row.sizes.static_ram() + row.peak_stack,
                row.sizes.flash(),
            )?;
            rows.push(row);
        }
        for (scenario, host) in &expected_scenarios {
            if scenario.model_bytes as u64 > t.ram_bytes {
                eprintln!(
                    "   {}: not run ({} B of model, {} B of RAM)",
                    scenario.name, scenario.model_bytes, t.ram_bytes
                );
                continue;
            }
            let (row, lines) = scenarios::run_on(t, &bin, scenario, host, instructions_per_tick)?;
            eprintln!("   {}: bit-identical to the host", scenario.name);
            if scenario.name == skipgrad_scenarios::roundtrip::SCENARIO.name {
                let path = roundtrip::returned(t.triple, &lines, &root.join("target/roundtrip"))?;
                eprintln!("   the returned weights: {}", path.display());
            }
            if scenario.name == skipgrad_scenarios::roundtrip_q16::SCENARIO.name {
                let dir = root.join("target/roundtrip-q16");
                let path = roundtrip_q16::returned(t.triple, &lines, &dir)?;
                eprintln!("   the returned weights, in f32: {}", path.display());
            }
            if digits::is_digits(scenario.name) {
                let reference = digits::f32_reference(scenario.name, &expected_scenarios)?;
                digits::check_recovery(scenario.name, t.triple, &row.metrics, reference)?;
                let dir = root.join("target/digits-adapt");
                let path = digits::returned(t.triple, scenario.name, &lines, &dir)?;
                eprintln!("   the adapted weights: {}", path.display());
            }
            rows.push(row);
        }
        if fleet::check(t, &bin, &root)? {
            eprintln!(
                "   {}: bit-identical to the host",
                skipgrad_scenarios::fleet::NAME
            );
        }
        eprintln!(
            "   bit-identical to the host; {} instructions per timer tick",
            fmt_ratio(instructions_per_tick)
        );
    }
    if json {
        println!("{}", table::to_json(&rows));
    } else {
        print!("{}", table::to_markdown(&rows));
    }
    Ok(())
}

/// Runs the minimal trainer `M`'s binary on `t` (counting instructions), checks that it
/// trained and that its words equal the host's `expected`, and returns its row and the
/// target's instructions per timer tick.
fn run_minimal<M: Minimal>(
    t: &'static Target,
    bin: &Path,
    expected: &MinimalOutcome,
) -> anyhow::Result<(Row, f64)> {
    let name = M::NAME;
    let run = qemu::run(t, &bin.join(name), true)?;
    anyhow::ensure!(
        run.success,
        "{}: {name} failed\n{}{}",
        t.triple,
        run.stdout,
        run.stderr
    );
    let words = MinimalWords::parse(&run.stdout)
        .with_context(|| format!("{}: {name} output\n{}", t.triple, run.stdout))?;
    let got = MinimalOutcome {
        first_loss_bits: words.first_loss,
        last_loss_bits: words.last_loss,
        weights_hash: words.weights_hash,
        trained: run.success,
    };
    anyhow::ensure!(
        got == *expected && words.steps == u64::from(MINIMAL_STEPS),
        "{}: {name} differs from the host: device {got:x?}, host {expected:x?}",
        t.triple
    );
    anyhow::ensure!(
        words.peak_stack != u64::from(u32::MAX),
        "{}: {name}: the stack grew past the painted window",
        t.triple
    );
    let instructions_per_tick = CALIBRATION_INSTRUCTIONS as f64 / words.calibration_ticks as f64;
    let instructions_per_step = t.count_instructions.then(|| {
        (words.step_ticks as f64 * instructions_per_tick / words.steps as f64).round() as u64
    });
    let row = Row {
        scenario: name,
        number: M::NUMBER,
        target: t,
        bit_identical: true,
        sizes: elf::sizes(&bin.join(name))?,
        peak_stack: words.peak_stack,
        model_bytes: minimal::model_bytes::<M>() as u64,
        instructions_per_step,
        metrics: Vec::new(),
    };
    Ok((row, instructions_per_tick))
}

/// The notebook's printed gradient means, from the committed seed fixture.
fn notebook_means(root: &Path) -> anyhow::Result<goals::NotebookMeans> {
    let path = root.join("tests/fixtures/seed-123-parameters.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    goals::notebook_means(&text)
}

/// The workspace's root directory (the parent of `xtask/`).
pub fn workspace_root() -> anyhow::Result<PathBuf> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("the xtask crate has no parent directory")
}

fn build(
    tc: &Toolchain,
    firmware: &Path,
    triples: &[&str],
    target_dir: &Path,
    features: &[&str],
) -> anyhow::Result<()> {
    let mut cmd = toolchain::cargo_build(tc, firmware, triples, target_dir);
    if !features.is_empty() {
        cmd.args(["--bin", "minimal", "--features", &features.join(",")]);
    }
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("running {cmd:?}"))?;
    anyhow::ensure!(
        status.success(),
        "building the firmware for {} failed",
        triples.join(", ")
    );
    Ok(())
}

/// Links the minimal trainer with a panic handler that calls an undefined symbol (it must
/// link), then the same with a deliberate bounds check added (it must not), so the proof is
/// seen to catch a panic path.
fn prove_no_panic(
    tc: &Toolchain,
    firmware: &Path,
    triple: &str,
    target_dir: &Path,
) -> anyhow::Result<()> {
    build(tc, firmware, &[triple], target_dir, &["prove-no-panic"]).context(
        "the no-panic proof build did not link: forward, backward or the SGD step of the \
         minimal trainer contains a panic path",
    )?;
    let mut canary = toolchain::cargo_build(tc, firmware, &[triple], target_dir);
    canary.args([
        "--bin",
        "minimal",
        "--features",
        "prove-no-panic,panic-canary",
    ]);
    let out = canary
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {canary:?}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    anyhow::ensure!(
        !out.status.success() && stderr.contains("skipgrad_a_panic_path_is_reachable"),
        "the no-panic proof did not catch a deliberate panic path (panic-canary linked)"
    );
    // Leave the ordinary binaries in place for the next run.
    build(tc, firmware, &[triple], target_dir, &[])
}

/// The initial-weight constant the minimal trainer starts from equals `TorchInit`'s output,
/// bit for bit.
fn check_initial_weights() -> anyhow::Result<()> {
    use skipgrad::TorchInit;
    let constant: WithShortcut<f32> = INITIAL_WITH_SHORTCUT;
    let fresh: WithShortcut<f32> = Params::torch_init(&mut TorchInit::new(SEED));
    let bits = |m: &WithShortcut<f32>| {
        let mut v = vec![0.0f32; <WithShortcut<f32> as Params<f32>>::LEN];
        let _ = m.store_flat(&mut v);
        v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    };
    anyhow::ensure!(
        bits(&constant) == bits(&fresh),
        "the minimal trainer's initial weights differ from TorchInit::new({SEED})"
    );
    Ok(())
}

fn host_demo() -> anyhow::Result<Vec<String>> {
    let mut text = String::new();
    let outcome = demo::demo(&mut text).map_err(|_| anyhow::anyhow!("formatting the demo"))?;
    anyhow::ensure!(
        outcome.reached,
        "on the host, the demo did not reach loss {} in {} steps",
        demo::LOSS_THRESHOLD,
        demo::MAX_STEPS
    );
    goals::check_demo_steps(outcome.steps)?;
    demo_lines(&text).context("the host's demo report")
}

/// The lines from the demo's begin marker to its end marker, inclusive.
fn demo_lines(text: &str) -> Option<Vec<String>> {
    report::lines_between(text, DEMO_BEGIN, DEMO_END)
}

/// The hex words the minimal trainer prints.
#[derive(Debug, Default)]
struct MinimalWords {
    steps: u64,
    first_loss: u32,
    last_loss: u32,
    weights_hash: u32,
    peak_stack: u64,
    step_ticks: u64,
    calibration_ticks: u64,
}

impl MinimalWords {
    /// The one line `minimal 0x<word> ...`, its seven words in the order of [`Self::KEYS`].
    fn parse(text: &str) -> anyhow::Result<Self> {
        let mut lines = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("minimal "));
        let line = lines.next().context("no `minimal` line")?;
        anyhow::ensure!(lines.next().is_none(), "`minimal` printed twice");
        let words = line
            .split_whitespace()
            .map(report::hex_word)
            .collect::<anyhow::Result<Vec<u32>>>()?;
        let [steps, first_loss, last_loss, weights_hash, peak, step_ticks, calibration] = words[..]
        else {
            anyhow::bail!(
                "{} words after `minimal`, expected {} ({})",
                words.len(),
                Self::KEYS.len(),
                Self::KEYS.join(", ")
            );
        };
        let w = Self {
            steps: steps.into(),
            first_loss,
            last_loss,
            weights_hash,
            peak_stack: peak.into(),
            step_ticks: step_ticks.into(),
            calibration_ticks: calibration.into(),
        };
        anyhow::ensure!(
            w.calibration_ticks > 0 && w.steps > 0,
            "zero calibration or steps"
        );
        Ok(w)
    }

    /// What the words are, in the order the trainer prints them.
    const KEYS: [&'static str; 7] = [
        "steps",
        "first_loss",
        "last_loss",
        "weights_hash",
        "peak_stack",
        "step_ticks",
        "calibration_ticks",
    ];
}

fn fmt_ratio(v: f64) -> String {
    format!("{v:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_words_parse_and_reject() {
        let good = "noise\nminimal 0x00000064 0x3f16933a 0x27440004 0x4627d924 0x00000428 \
                    0x00002654 0x00001388\n";
        let w = MinimalWords::parse(good).expect("seven words");
        assert_eq!(
            (w.steps, w.first_loss, w.weights_hash, w.calibration_ticks),
            (100, 0x3f16_933a, 0x4627_d924, 5000)
        );
        let missing = good.replacen(" 0x00000064", "", 1);
        assert!(MinimalWords::parse(&missing).is_err());
        let extra = good.replacen("\n", " 0x1\n", 2);
        assert!(MinimalWords::parse(&extra).is_err());
        let twice = format!("{good}{good}");
        assert!(MinimalWords::parse(&twice).is_err());
        let zero_steps = good.replacen("0x00000064", "0x0", 1);
        assert!(MinimalWords::parse(&zero_steps).is_err());
        let bad_hex = good.replacen("0x00000064", "0xzz", 1);
        assert!(MinimalWords::parse(&bad_hex).is_err());
    }

    #[test]
    fn the_host_run_trains() {
        assert!(minimal::run::<F32Shortcut>().is_some_and(|o| o.trained));
        let demo = host_demo().expect("the host demo");
        let root = workspace_root().expect("root");
        let notebook = notebook_means(&root).expect("the fixture");
        let worst = goals::check_demo_gradients(&demo, &notebook).expect("the notebook's numbers");
        eprintln!("demo gradients against the notebook: worst relative error {worst:.3e}");
        check_initial_weights().expect("constant equals TorchInit");
    }
}
