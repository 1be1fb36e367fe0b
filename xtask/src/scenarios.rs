//! The device scenarios of `skipgrad-scenarios` (`ALL`) on one target: each scenario's
//! binary run under QEMU, its report compared with the host's bit for bit, and measured.

use std::path::Path;

use anyhow::Context as _;
use skipgrad_scenarios::{NoMeter, Scenario, ALL};

use crate::elf;
use crate::qemu;
use crate::report;
use crate::table::Row;
use crate::targets::Target;

/// A scenario's markers.
fn markers(s: &Scenario) -> (String, String) {
    (
        format!("skipgrad-{} begin", s.name),
        format!("skipgrad-{} end", s.name),
    )
}

/// Every scenario's report on the host; each must succeed there.
pub fn host_reports() -> anyhow::Result<Vec<(&'static Scenario, Vec<String>)>> {
    ALL.iter()
        .map(|s| {
            let mut text = String::new();
            let ok = (s.run)(&mut text, &mut NoMeter)
                .map_err(|_| anyhow::anyhow!("{}: formatting the report", s.name))?;
            anyhow::ensure!(
                ok,
                "{}: the scenario failed its goal on the host\n{text}",
                s.name
            );
            let (begin, end) = markers(s);
            let lines = report::lines_between(&text, &begin, &end)
                .with_context(|| format!("{}: no complete report on the host", s.name))?;
            report::metrics(&lines).with_context(|| format!("{}: its metrics", s.name))?;
            Ok((s, lines))
        })
        .collect()
}

/// Runs one scenario's binary on `t`, checks it against the host's report and measures it;
/// returns its row and the device's report.
pub fn run_on(
    t: &'static Target,
    bin_dir: &Path,
    scenario: &'static Scenario,
    host: &[String],
    instructions_per_tick: f64,
) -> anyhow::Result<(Row, Vec<String>)> {
    let elf_path = bin_dir.join(scenario.name);
    let run = qemu::run(t, &elf_path, true)?;
    let (begin, end) = markers(scenario);
    let lines = report::lines_between(&run.stdout, &begin, &end).with_context(|| {
        format!(
            "{}: no complete `{}` report\n{}{}",
            t.triple, scenario.name, run.stdout, run.stderr
        )
    })?;
    report::compare(t, scenario.name, host, &lines)?;
    anyhow::ensure!(
        run.success,
        "{}: `{}` exited with failure",
        t.triple,
        scenario.name
    );
    let words = report::hex_words(&run.stdout, "measure ")?;
    let word = |k: &str| {
        words
            .get(k)
            .copied()
            .with_context(|| format!("{}: `{}` printed no `measure {k}`", t.triple, scenario.name))
    };
    let (peak_stack, steps, ticks) = (word("peak_stack")?, word("steps")?, word("step_ticks")?);
    anyhow::ensure!(
        peak_stack != u32::MAX,
        "{}: `{}`: the stack grew past the painted window",
        t.triple,
        scenario.name
    );
    let instructions_per_step = (t.count_instructions && steps > 0)
        .then(|| (f64::from(ticks) * instructions_per_tick / f64::from(steps)).round() as u64);
    let mut metrics = report::metrics(host)?;
    if t.count_instructions {
        metrics.extend(other_timings(&words, instructions_per_tick)?);
    }
    let row = Row {
        scenario: scenario.name,
        number: scenario.number,
        target: t,
        bit_identical: true,
        sizes: elf::sizes(&elf_path)?,
        peak_stack: peak_stack.into(),
        model_bytes: scenario.model_bytes as u64,
        instructions_per_step,
        metrics,
    };
    Ok((row, lines))
}

/// The scenario's other timings (`ticks_<key>` and `count_<key>`): `<key>_instructions`, per
/// run.
fn other_timings(
    words: &std::collections::BTreeMap<String, u32>,
    instructions_per_tick: f64,
) -> anyhow::Result<Vec<(String, f64)>> {
    words
        .iter()
        .filter_map(|(k, ticks)| Some((k.strip_prefix("ticks_")?, *ticks)))
        .map(|(key, ticks)| {
            let count = words
                .get(&format!("count_{key}"))
                .copied()
                .filter(|c| *c > 0)
                .with_context(|| format!("`ticks_{key}` without a count"))?;
            let per_run = f64::from(ticks) * instructions_per_tick / f64::from(count);
            Ok((format!("{key}_instructions"), per_run.round()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_succeeds_on_the_host_and_has_a_firmware_binary() {
        let reports = host_reports().expect("host reports");
        assert_eq!(reports.len(), ALL.len());
        let manifest = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware/Cargo.toml"),
        )
        .expect("the firmware manifest");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware/src/bin");
        for s in ALL {
            assert!(
                manifest.contains(&format!("name = \"{}\"", s.name)),
                "{}: no [[bin]] in firmware/Cargo.toml",
                s.name
            );
            assert!(
                root.join(format!("{}.rs", s.name)).is_file(),
                "{}: no binary",
                s.name
            );
        }
    }
}
