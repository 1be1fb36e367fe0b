//! The handwritten digits on the device (`skipgrad_scenarios::digits_adapt`):
//!
//! - after each run of `digits-adapt`, `digits-adapt-full` and `digits-adapt-q16`: the
//!   recovery goal (the drifted accuracy after adaptation within [`RECOVERY_POINTS`] of the
//!   original accuracy; for the fixed-point run also of the `f32` run's accuracy after
//!   adaptation), and the image the device printed (the adapted network, in hex) decoded
//!   with the core's checks (a Q16.16 one converted to `f32` by the core's conversion, exact
//!   below 256) and written as safetensors (`target/digits-adapt/<scenario>.safetensors`,
//!   with `<scenario>.json`: the device's accuracies), which `tools/digits_adapt_check.py`
//!   loads into PyTorch;
//! - `cargo xtask digits-curve`: the adaptation curve (drifted test accuracy against
//!   adaptation steps) computed on the host by the scenario's own code, checked against the
//!   scenario's report and drawn as `docs/digits-adapt.svg`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use plotters::prelude::*;
use skipgrad::params::image;
use skipgrad::{Buffers, CrossEntropy, Module, Params, Relu, Trainer, Zeroed, Q16};
use skipgrad_digits::metrics::evaluate;
use skipgrad_digits::{Digits, Domain, Net, PIXELS};
use skipgrad_scenarios::digits_adapt::{
    self, adapt_steps, optimizer, FULL, FULL_LEARNING_RATE, HEAD_LEARNING_RATE, RECOVERY_POINTS,
    SCENARIO, SCENARIO_Q16, STEPS, TRAINED,
};
use skipgrad_scenarios::NoMeter;

use crate::returned::Returned;

/// True for the digits scenarios.
pub fn is_digits(name: &str) -> bool {
    [SCENARIO.name, FULL.name, SCENARIO_Q16.name].contains(&name)
}

/// The `f32` accuracy a digits scenario's accuracy after adaptation is held to: for the
/// fixed-point run, the `f32` head-only run's accuracy after adaptation, from the host's
/// report of [`SCENARIO`] (the devices' equal it bit for bit).
pub fn f32_reference(
    name: &str,
    host: &[(&'static skipgrad_scenarios::Scenario, Vec<String>)],
) -> anyhow::Result<Option<f64>> {
    if name != SCENARIO_Q16.name {
        return Ok(None);
    }
    let (_, lines) = host
        .iter()
        .find(|(s, _)| s.name == SCENARIO.name)
        .with_context(|| format!("no host report of {}", SCENARIO.name))?;
    metric(&crate::report::metrics(lines)?, "accuracy_after").map(Some)
}

/// A metric of a report's metrics.
fn metric(metrics: &[(String, f64)], key: &str) -> anyhow::Result<f64> {
    metrics
        .iter()
        .find_map(|(k, v)| (k == key).then_some(*v))
        .with_context(|| format!("no `metric {key}`"))
}

/// Fails unless the drifted accuracy after adaptation is within [`RECOVERY_POINTS`] of the
/// original accuracy, and of `f32_after` (the `f32` run's accuracy after adaptation) if given.
pub fn check_recovery(
    name: &str,
    triple: &str,
    metrics: &[(String, f64)],
    f32_after: Option<f64>,
) -> anyhow::Result<()> {
    let unshifted = metric(metrics, "accuracy_unshifted")?;
    let after = metric(metrics, "accuracy_after")?;
    anyhow::ensure!(
        digits_adapt::recovered(unshifted, after),
        "goal missed on {triple}: {name}: the drifted accuracy after adaptation ({after:.4}) is \
         more than {RECOVERY_POINTS} points below the original accuracy ({unshifted:.4})"
    );
    if let Some(reference) = f32_after {
        anyhow::ensure!(
            digits_adapt::recovered(reference, after),
            "goal missed on {triple}: {name}: the drifted accuracy after adaptation ({after:.4}) \
             is more than {RECOVERY_POINTS} points below the f32 adaptation's ({reference:.4})"
        );
    }
    Ok(())
}

/// Decodes the adapted network the device printed and writes it as safetensors (names of
/// `tools/skipgrad_digits.py`'s `network()`) under `out_dir`, with the device's accuracies
/// as JSON; returns the safetensors file's path.
pub fn returned(
    triple: &str,
    name: &str,
    lines: &[String],
    out_dir: &Path,
) -> anyhow::Result<PathBuf> {
    let net = if name == SCENARIO_Q16.name {
        returned_q16(triple, name, lines)?
    } else {
        let bytes = digits_adapt::image_from_lines(lines.iter().map(String::as_str))
            .with_context(|| format!("{triple}: {name}: the returned image's lines"))?;
        let mut net: Box<Net> = Box::new(Zeroed::ZERO);
        image::load(&mut *net, &bytes[..])
            .map_err(|e| anyhow::anyhow!("{triple}: {name}: the returned image: {e}"))?;
        net
    };
    let word = |key: &str| -> anyhow::Result<u64> {
        lines
            .iter()
            .find_map(|l| {
                let v = l.strip_prefix(key)?.strip_prefix(" 0x")?;
                u64::from_str_radix(v, 16).ok()
            })
            .with_context(|| format!("{triple}: {name}: no `{key}` line"))
    };
    let metrics = crate::report::metrics(lines)?;
    let test = skipgrad_digits::TEST_SAMPLES as f64;
    let json = serde_json::json!({
        "scenario": name,
        "number": if name == SCENARIO_Q16.name { "q16.16" } else { "f32" },
        "target_triple": triple,
        "domain": {"offset": domain_offset()},
        "steps": STEPS,
        "test_samples": skipgrad_digits::TEST_SAMPLES,
        "correct_after": word("correct_after")?,
        "correct_unshifted_after": word("correct_unshifted_after")?,
        "accuracy_after": metric(&metrics, "accuracy_after")?,
        "accuracy_unshifted_after": metric(&metrics, "accuracy_unshifted_after")?,
    });
    anyhow::ensure!(
        json["correct_after"].as_f64().unwrap_or(-1.0) / test == json["accuracy_after"],
        "{triple}: {name}: correct_after and accuracy_after disagree"
    );
    Returned {
        triple,
        stem: name,
        prefix: "",
        metadata: &[("skipgrad", name)],
    }
    .write(&*net, out_dir, &json)
}

/// The Q16.16 network a report's `image` lines hold, loaded with the core's checks (its
/// image records the number type) and converted to `f32`: every value is below 256 in
/// magnitude, where `f32` holds Q16.16 exactly, and the conversion checks that nothing
/// saturates.
fn returned_q16(triple: &str, name: &str, lines: &[String]) -> anyhow::Result<Box<Net>> {
    const SIZE: usize = image::Image::<Net<Relu, Q16>, Q16>::SIZE;
    let bytes: [u8; SIZE] =
        skipgrad_scenarios::roundtrip::hex_image(lines.iter().map(String::as_str))
            .with_context(|| format!("{triple}: {name}: the returned image's lines"))?;
    let mut fixed: Box<Net<Relu, Q16>> = Box::new(Zeroed::ZERO);
    image::load(&mut *fixed, &bytes[..])
        .map_err(|e| anyhow::anyhow!("{triple}: {name}: the returned image: {e}"))?;
    let mut net: Box<Net> = Box::new(Zeroed::ZERO);
    let summary = skipgrad_digits::network::convert(&fixed, &mut net)
        .map_err(|e| anyhow::anyhow!("{triple}: {name}: the returned weights into f32: {e}"))?;
    anyhow::ensure!(
        summary.max_abs < 256.0 && summary.max_error == 0.0 && summary.flushed == 0,
        "{triple}: {name}: the returned weights are not exact in f32: {summary:?}"
    );
    Ok(net)
}

/// The device domain's offset, in grey levels.
fn domain_offset() -> u8 {
    match digits_adapt::DOMAIN {
        Domain::Offset(by) => by,
        _ => 0,
    }
}

/// Drifted test accuracy every this many adaptation steps on the curve.
const CURVE_EVERY: usize = 25;

/// The curve of one adaptation: `(steps, drifted test accuracy)` from 0 to [`STEPS`].
fn curve<M>(model: &mut M, lr: f64, digits: &Digits<'_>) -> anyhow::Result<Vec<(f64, f64)>>
where
    M: Module<[f32; PIXELS], Output = [f32; 10]> + Params<f32>,
{
    let mut buffers = Box::new(Buffers::<M, [f32; PIXELS]>::ZERO);
    let sgd = optimizer(lr).context("the learning rate")?;
    let mut trainer = Trainer::new(model, &mut *buffers, sgd, CrossEntropy);
    let accuracy = |m: &M| evaluate(m, digits.test(), digits_adapt::DOMAIN).accuracy();
    let mut points = vec![(0.0, accuracy(trainer.model()))];
    let mut sums = vec![0.0f32; STEPS.div_ceil(digits_adapt::LOSS_WINDOW)];
    let mut at = 0;
    while at < STEPS {
        let end = (at + CURVE_EVERY).min(STEPS);
        adapt_steps(&mut trainer, digits.train(), at..end, &mut sums)
            .map_err(|e| anyhow::anyhow!("adaptation step refused: {e}"))?;
        at = end;
        points.push((at as f64, accuracy(trainer.model())));
    }
    Ok(points)
}

/// `cargo xtask digits-curve`: computes both adaptation curves on the host, checks their
/// last points against the scenarios' reports, prints them and draws `docs/digits-adapt.svg`.
pub fn curve_command(root: &Path) -> anyhow::Result<()> {
    let digits = Digits::embedded().context("the digits data")?;
    let mut head = digits_adapt::head_model();
    let head_curve = curve(&mut head, HEAD_LEARNING_RATE, &digits)?;
    let mut full: Box<Net> = Box::new(TRAINED);
    let full_curve = curve(&mut *full, FULL_LEARNING_RATE, &digits)?;
    let unshifted = evaluate(&TRAINED, digits.test(), Domain::Original).accuracy();
    for (scenario, points) in [(&SCENARIO, &head_curve), (&FULL, &full_curve)] {
        let mut text = String::new();
        (scenario.run)(&mut text, &mut NoMeter).map_err(|_| anyhow::anyhow!("formatting"))?;
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let metrics = crate::report::metrics(&lines)?;
        let last = points.last().map_or(f64::NAN, |p| p.1);
        anyhow::ensure!(
            last == metric(&metrics, "accuracy_after")?
                && points.first().map(|p| p.1) == Some(metric(&metrics, "accuracy_before")?),
            "{}: the curve's ends differ from the scenario's report",
            scenario.name
        );
        println!(
            "{} (drifted test accuracy after each {CURVE_EVERY} steps):",
            scenario.name
        );
        for (x, y) in points.iter() {
            println!("  {x:5} {y:.4}");
        }
    }
    let path = root.join("docs/digits-adapt.svg");
    plot(&path, &head_curve, &full_curve, unshifted)?;
    println!("wrote {}", path.display());
    Ok(())
}

/// A line of the plot: its label, points and colour.
type Line = (String, Vec<(f64, f64)>, RGBColor);

/// Draws the two curves, the original accuracy and the goal.
fn plot(
    path: &Path,
    head: &[(f64, f64)],
    full: &[(f64, f64)],
    unshifted: f64,
) -> anyhow::Result<()> {
    let err = |e: &dyn std::fmt::Display| anyhow::anyhow!("plotting: {e}");
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let low = head.iter().chain(full).map(|p| p.1).fold(1.0f64, f64::min);
    let y_lo = ((low * 100.0 - 2.0) / 5.0).floor() * 5.0;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Adapting on the device to a drifted sensor (+{} grey levels)",
                domain_offset()
            ),
            ("sans-serif", 24),
        )
        .margin(20)
        .x_label_area_size(56)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..STEPS as f64, y_lo..100.0)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("adaptation steps (one drifted training digit each, SGD)")
        .y_desc("test accuracy on drifted digits (%)")
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(|e| err(&e))?;
    let colours = [
        RGBColor(0, 114, 178),
        RGBColor(230, 159, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
    ];
    let end = STEPS as f64;
    let lines: [Line; 4] = [
        (
            format!("last layer trained (lr {HEAD_LEARNING_RATE})"),
            head.to_vec(),
            colours[0],
        ),
        (
            format!("every layer trained (lr {FULL_LEARNING_RATE})"),
            full.to_vec(),
            colours[1],
        ),
        (
            format!(
                "original digits, before adaptation ({:.1}%)",
                unshifted * 100.0
            ),
            vec![(0.0, unshifted), (end, unshifted)],
            colours[2],
        ),
        (
            format!("goal: within {RECOVERY_POINTS} points"),
            vec![
                (0.0, unshifted - RECOVERY_POINTS / 100.0),
                (end, unshifted - RECOVERY_POINTS / 100.0),
            ],
            colours[3],
        ),
    ];
    for (label, points, colour) in lines {
        let style = colour.stroke_width(3);
        chart
            .draw_series(LineSeries::new(
                points.into_iter().map(|(x, y)| (x, y * 100.0)),
                style,
            ))
            .map_err(|e| err(&e))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 17))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .margin(12)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad_harness::safetensors;

    /// The host's own report goes through the checks and the decoding the device's does.
    #[test]
    fn the_host_adaptation_meets_the_goal_and_returns_pytorch_names() {
        let root = crate::mcu::workspace_root().expect("root");
        let mut text = String::new();
        let ok = (SCENARIO.run)(&mut text, &mut NoMeter).expect("formats");
        assert!(ok, "{text}");
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let metrics = crate::report::metrics(&lines).expect("metrics");
        check_recovery(SCENARIO.name, "host", &metrics, None).expect("the goal");
        let mut missed = metrics.clone();
        for (k, v) in &mut missed {
            if k == "accuracy_after" {
                *v = 0.9;
            }
        }
        assert!(check_recovery(SCENARIO.name, "host", &missed, None).is_err());
        let dir = root.join("target/digits-adapt-test");
        let path = returned("host", SCENARIO.name, &lines, &dir).expect("returned");
        let file = std::fs::read(&path).expect("written");
        let parsed = safetensors::File::parse(&file).expect("parses");
        let mut names: Vec<&str> = parsed.entries.iter().map(|e| e.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "0.0.bias",
                "0.0.weight",
                "1.0.0.bias",
                "1.0.0.weight",
                "2.bias",
                "2.weight"
            ]
        );
        let mut broken = lines.clone();
        if let Some(l) = broken.iter_mut().find(|l| l.starts_with("image 0040")) {
            l.replace_range(11..13, "ff");
        }
        assert!(returned("host", SCENARIO.name, &broken, &dir).is_err());
    }

    /// The host's fixed-point report goes through the device's checks: both goals (the
    /// original accuracy and the `f32` run's), a missed one refused, and the returned Q16.16
    /// image written as `F32` safetensors that convert back to the same fixed-point weights.
    #[test]
    fn the_host_q16_adaptation_meets_both_goals_and_returns_f32_weights() {
        let root = crate::mcu::workspace_root().expect("root");
        let report = |s: &'static skipgrad_scenarios::Scenario| {
            let mut text = String::new();
            assert!((s.run)(&mut text, &mut NoMeter).expect("formats"), "{text}");
            (s, text.lines().map(str::to_owned).collect::<Vec<_>>())
        };
        let host = [report(&SCENARIO), report(&SCENARIO_Q16)];
        let lines = &host[1].1;
        let metrics = crate::report::metrics(lines).expect("metrics");
        let reference = f32_reference(SCENARIO_Q16.name, &host).expect("the f32 run");
        assert_eq!(f32_reference(SCENARIO.name, &host).expect("none"), None);
        let reference = reference.expect("a reference for the fixed-point run");
        check_recovery(SCENARIO_Q16.name, "host", &metrics, Some(reference)).expect("the goals");
        // An f32 accuracy 3.1 points above the fixed-point one: refused.
        let after = metric(&metrics, "accuracy_after").expect("after");
        let above = Some(after + 0.031);
        assert!(check_recovery(SCENARIO_Q16.name, "host", &metrics, above).is_err());

        let dir = root.join("target/digits-adapt-test");
        let path = returned("host", SCENARIO_Q16.name, lines, &dir).expect("returned");
        let file = std::fs::read(&path).expect("written");
        let parsed = safetensors::File::parse(&file).expect("parses");
        assert_eq!(parsed.entries.len(), 6);
        assert!(parsed
            .entries
            .iter()
            .all(|e| e.dtype == safetensors::Dtype::F32));
        let mut float: Box<Net> = Box::new(Zeroed::ZERO);
        safetensors::load(&mut *float, &file, "").expect("loads into the f32 network");
        let mut fixed: Box<Net<Relu, Q16>> = Box::new(Zeroed::ZERO);
        skipgrad_digits::network::convert(&float, &mut fixed).expect("back to Q16.16");
        let hash = lines
            .iter()
            .find_map(|l| l.strip_prefix("weights_hash 0x"))
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        assert_eq!(
            hash,
            Some(fixed.weights_hash()),
            "the device's weights, exactly"
        );
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path.with_extension("json")).expect("the json"))
                .expect("parses");
        assert_eq!(json["number"], "q16.16");
        let mut broken = lines.clone();
        if let Some(l) = broken.iter_mut().find(|l| l.starts_with("image 0040")) {
            l.replace_range(11..13, "ff");
        }
        assert!(returned("host", SCENARIO_Q16.name, &broken, &dir).is_err());
    }
}
