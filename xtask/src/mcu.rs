//! `cargo xtask mcu`: every target built, run under QEMU, compared with the host bit for bit,
//! and measured.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context as _;
use skipgrad::Params;
use skipgrad_notebook::demo::{self, DEMO_BEGIN, DEMO_END};
use skipgrad_notebook::minimal::{self, MinimalOutcome, MINIMAL_STEPS, MODEL_BYTES};
use skipgrad_notebook::network::{WithShortcut, INITIAL_WITH_SHORTCUT, SEED};

use crate::elf;
use crate::goals;
use crate::qemu;
use crate::targets::{Target, TARGETS};
use crate::toolchain::{self, Toolchain};

/// Iterations of the firmware's calibration loop (`timer::CALIBRATION_ITERATIONS`) times its
/// two instructions.
const CALIBRATION_INSTRUCTIONS: u64 = 2 * 100_000;

/// One row of the report.
#[derive(Clone, Debug)]
struct Row {
    target: &'static Target,
    bit_identical: bool,
    sizes: elf::Sizes,
    peak_stack: u64,
    instructions_per_step: Option<u64>,
}

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
    let expected_minimal = minimal::run().context("the host's minimal run")?;
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
        let demo_lines = report_lines(&demo.stdout).with_context(|| {
            format!(
                "{}: no complete demo report\n{}{}",
                t.triple, demo.stdout, demo.stderr
            )
        })?;
        compare(t, "demo", &expected_demo, &demo_lines)?;
        goals::check_demo_gradients(&demo_lines, &notebook)
            .with_context(|| format!("{}: the demo's gradient table", t.triple))?;
        anyhow::ensure!(
            demo.success,
            "{}: the demo exited with failure (loss threshold not reached?)",
            t.triple
        );

        let minimal = qemu::run(t, &bin.join("minimal"), true)?;
        anyhow::ensure!(
            minimal.success,
            "{}: the minimal trainer failed\n{}{}",
            t.triple,
            minimal.stdout,
            minimal.stderr
        );
        let words = MinimalWords::parse(&minimal.stdout)
            .with_context(|| format!("{}: minimal trainer output\n{}", t.triple, minimal.stdout))?;
        let got = MinimalOutcome {
            first_loss_bits: words.first_loss,
            last_loss_bits: words.last_loss,
            weights_hash: words.weights_hash,
        };
        anyhow::ensure!(
            got == expected_minimal && words.steps == u64::from(MINIMAL_STEPS),
            "{}: the minimal trainer differs from the host: device {got:x?}, host \
             {expected_minimal:x?}",
            t.triple
        );
        anyhow::ensure!(
            words.peak_stack != u64::from(u32::MAX),
            "{}: the stack grew past the painted window",
            t.triple
        );
        let instructions_per_tick =
            CALIBRATION_INSTRUCTIONS as f64 / words.calibration_ticks as f64;
        let instructions_per_step = t.count_instructions.then(|| {
            (words.step_ticks as f64 * instructions_per_tick / words.steps as f64).round() as u64
        });

        if t.prove_no_panic {
            prove_no_panic(&tc, &firmware, t.triple, &target_dir)?;
            eprintln!("   no panic path in the minimal trainer (proof build linked)");
        }
        let row = Row {
            target: t,
            bit_identical: true,
            sizes: elf::sizes(&bin.join("minimal"))?,
            peak_stack: words.peak_stack,
            instructions_per_step,
        };
        goals::check(&row.measured())?;
        rows.push(row);
        eprintln!(
            "   bit-identical to the host; {} instructions per timer tick",
            fmt_ratio(instructions_per_tick)
        );
    }
    if json {
        println!("{}", to_json(&rows));
    } else {
        print!("{}", to_markdown(&rows));
    }
    Ok(())
}

impl Row {
    /// RAM beyond the model: static RAM plus peak stack, less the model's own bytes.
    fn ram_beyond_model(&self) -> u64 {
        (self.sizes.static_ram() + self.peak_stack).saturating_sub(MODEL_BYTES as u64)
    }

    fn measured(&self) -> goals::Measured<'static> {
        goals::Measured {
            triple: self.target.triple,
            flash: self.sizes.flash(),
            ram_beyond_model: self.ram_beyond_model(),
            instructions_per_step: self.instructions_per_step,
        }
    }
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
    report_lines(&text).context("the host's demo report")
}

/// The lines from the demo's begin marker to its end marker, inclusive.
fn report_lines(text: &str) -> Option<Vec<String>> {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let begin = lines.iter().position(|l| *l == DEMO_BEGIN)?;
    let end = lines.iter().position(|l| *l == DEMO_END)?;
    (begin < end).then(|| lines[begin..=end].iter().map(|l| (*l).to_owned()).collect())
}

fn compare(t: &Target, what: &str, host: &[String], device: &[String]) -> anyhow::Result<()> {
    for (i, (h, d)) in host.iter().zip(device).enumerate() {
        anyhow::ensure!(
            h == d,
            "{}: {what} line {} differs from the host\n  host:   {h}\n  device: {d}",
            t.triple,
            i + 1
        );
    }
    anyhow::ensure!(
        host.len() == device.len(),
        "{}: {what} has {} lines on the device, {} on the host",
        t.triple,
        device.len(),
        host.len()
    );
    Ok(())
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
    fn parse(text: &str) -> anyhow::Result<Self> {
        let mut w = Self::default();
        let mut seen = 0;
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("minimal ") else {
                continue;
            };
            let (key, value) = rest.split_once(' ').context("a line without a value")?;
            let v = u32::from_str_radix(value.trim().trim_start_matches("0x"), 16)
                .with_context(|| format!("`{value}` is not a hex word"))?;
            match key {
                "steps" => w.steps = v.into(),
                "first_loss" => w.first_loss = v,
                "last_loss" => w.last_loss = v,
                "weights_hash" => w.weights_hash = v,
                "peak_stack" => w.peak_stack = v.into(),
                "step_ticks" => w.step_ticks = v.into(),
                "calibration_ticks" => w.calibration_ticks = v.into(),
                other => anyhow::bail!("unknown word `{other}`"),
            }
            seen += 1;
        }
        anyhow::ensure!(seen == 7, "expected 7 words, found {seen}");
        anyhow::ensure!(
            w.calibration_ticks > 0 && w.steps > 0,
            "zero calibration or steps"
        );
        Ok(w)
    }
}

fn fmt_ratio(v: f64) -> String {
    format!("{v:.2}")
}

/// One JSON array, one object per target, keys in the documented order.
fn to_json(rows: &[Row]) -> String {
    let objects: Vec<String> = rows
        .iter()
        .map(|r| {
            let steps = r
                .instructions_per_step
                .map_or_else(|| "null".to_owned(), |n| n.to_string());
            format!(
                "{{\"target\": {}, \"machine\": {}, \"bit_identical\": {}, \"flash_bytes\": {}, \
                 \"static_ram_bytes\": {}, \"peak_stack_bytes\": {}, \"model_bytes\": {}, \
                 \"instructions_per_step\": {steps}}}",
                serde_json::Value::from(r.target.triple),
                serde_json::Value::from(r.target.machine),
                r.bit_identical,
                r.sizes.flash(),
                r.sizes.static_ram(),
                r.peak_stack,
                MODEL_BYTES,
            )
        })
        .collect();
    format!("[{}]", objects.join(", "))
}

fn to_markdown(rows: &[Row]) -> String {
    let mut s = String::new();
    s.push_str(
        "| Target | Core | QEMU machine | Bit-identical to host | Flash (.text+.rodata+.data) | \
         Static RAM (.data+.bss) | Peak stack | Model (params+grads+caches) | \
         RAM beyond the model | Instructions/step |\n",
    );
    s.push_str("|---|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let _ = writeln!(
            s,
            "| `{}` | {} | `{}` | {} | {} B | {} B | {} B | {} B | {} B | {} |",
            r.target.triple,
            r.target.core,
            r.target.machine,
            if r.bit_identical { "yes" } else { "no" },
            r.sizes.flash(),
            r.sizes.static_ram(),
            r.peak_stack,
            MODEL_BYTES,
            r.ram_beyond_model(),
            r.instructions_per_step
                .map_or_else(|| "n/a".to_owned(), |n| n.to_string()),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const M4F: &Target = &TARGETS[1];

    #[test]
    fn report_lines_are_cut_at_the_markers() {
        let text = format!(
            "boot noise\n{}\ngrad a 1 0x3f800000\n{}\ntrailing\n",
            DEMO_BEGIN, DEMO_END
        );
        let lines = report_lines(&text).expect("markers present");
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], "grad a 1 0x3f800000");
        assert_eq!(report_lines("no markers"), None);
        let reversed = format!("{}\n{}\n", DEMO_END, DEMO_BEGIN);
        assert_eq!(report_lines(&reversed), None);
    }

    #[test]
    fn compare_fails_on_one_bit_and_on_missing_lines() {
        let host = vec!["loss 0 0.5 0x3f000000".to_owned(), "end".to_owned()];
        let cases: [(&[&str], bool); 4] = [
            (&["loss 0 0.5 0x3f000000", "end"], true),
            (&["loss 0 0.5 0x3f000001", "end"], false),
            (&["loss 0 0.5 0x3f000000"], false),
            (&["loss 0 0.5 0x3f000000", "end", "extra"], false),
        ];
        for (device, ok) in cases {
            let device: Vec<String> = device.iter().map(|s| (*s).to_owned()).collect();
            assert_eq!(
                compare(M4F, "demo", &host, &device).is_ok(),
                ok,
                "{device:?}"
            );
        }
    }

    #[test]
    fn minimal_words_parse_and_reject() {
        let good = "minimal steps 0x00000064\nminimal first_loss 0x3f16933a\n\
                    minimal last_loss 0x27440004\nminimal weights_hash 0x4627d924\n\
                    minimal peak_stack 0x00000428\nminimal step_ticks 0x00002654\n\
                    minimal calibration_ticks 0x00001388\n";
        let w = MinimalWords::parse(good).expect("seven words");
        assert_eq!(
            (w.steps, w.first_loss, w.calibration_ticks),
            (100, 0x3f16_933a, 5000)
        );
        let missing = good.replacen("minimal steps 0x00000064\n", "", 1);
        assert!(MinimalWords::parse(&missing).is_err());
        let bad_hex = good.replacen("0x00000064", "0xzz", 1);
        assert!(MinimalWords::parse(&bad_hex).is_err());
    }

    #[test]
    fn json_is_one_array_with_the_documented_keys_in_order() {
        let row = Row {
            target: M4F,
            bit_identical: true,
            sizes: elf::Sizes {
                text: 3000,
                rodata: 100,
                data: 208,
                bss: 320,
            },
            peak_stack: 440,
            instructions_per_step: None,
        };
        let text = to_json(&[row.clone(), row]);
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let objects = value.as_array().expect("an array");
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0]["flash_bytes"], 3308);
        assert_eq!(objects[0]["static_ram_bytes"], 528);
        assert!(objects[0]["instructions_per_step"].is_null());
        let keys = [
            "target",
            "machine",
            "bit_identical",
            "flash_bytes",
            "static_ram_bytes",
            "peak_stack_bytes",
            "model_bytes",
            "instructions_per_step",
        ];
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| text.find(&format!("\"{k}\"")).expect("key present"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    #[test]
    fn the_host_run_trains() {
        assert!(minimal::run().is_some_and(|o| o.trained()));
        let demo = host_demo().expect("the host demo");
        let root = workspace_root().expect("root");
        let notebook = notebook_means(&root).expect("the fixture");
        let worst = goals::check_demo_gradients(&demo, &notebook).expect("the notebook's numbers");
        eprintln!("demo gradients against the notebook: worst relative error {worst:.3e}");
        check_initial_weights().expect("constant equals TorchInit");
    }
}
