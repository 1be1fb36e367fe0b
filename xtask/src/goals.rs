//! The stated goals of the firmware, in one place, and the checks that fail `cargo xtask mcu`
//! when one is missed (README, "Microcontrollers").
//!
//! - The Cortex-M4F minimal trainer: flash at most [`M4F_FLASH_BYTES`], RAM beyond the model
//!   at most [`M4F_RAM_BEYOND_MODEL_BYTES`], at most [`M4F_INSTRUCTIONS_PER_STEP`] instructions
//!   per SGD step.
//! - The fixed-point minimal trainers against tinymind
//!   ([`FIXED_POINT_GOALS`]).
//! - Every target that counts instructions reports more than zero per step (a zero would mean
//!   the timer or the calibration failed, and every other figure of that row is suspect).
//! - The demo reaches its loss threshold in exactly [`DEMO_STEPS`] steps, and each line of its
//!   gradient tables (the notebook's wording, `layers.0.0.weight has gradient mean of ...`)
//!   prints the notebook's number (`tests/fixtures/seed-123-parameters.json`) within the
//!   host's bound, [`NOTEBOOK_BOUND`].

use anyhow::Context as _;
pub use skipgrad_notebook::table::NOTEBOOK_BOUND;
use skipgrad_notebook::table::{WITHOUT_CAPTION, WITH_CAPTION};

/// The target the footprint goals are stated for.
pub const GOAL_TRIPLE: &str = "thumbv7em-none-eabihf";
/// Cortex-M4F flash (`.text + .rodata + .data`) of the minimal trainer: 4 KiB.
pub const M4F_FLASH_BYTES: u64 = 4096;
/// Cortex-M4F RAM beyond the model (static RAM + peak stack - model bytes): 1 KiB.
pub const M4F_RAM_BEYOND_MODEL_BYTES: u64 = 1024;
/// Cortex-M4F instructions per training step: what the same trainer written by hand with
/// plain arrays costs.
pub const M4F_INSTRUCTIONS_PER_STEP: u64 = 3400;

/// The fixed-point minimal trainers' goals (issue: fixed-point training), against the C++
/// library tinymind (commit `e71b25e`, GCC 12 `-Os`, measured the same way): per target,
/// the most instructions per SGD step (the Cortex-M0: a tenth of the f32 step, 10,800; the
/// Cortex-M4F: fewer than tinymind Q16.16's 6,739), and tinymind Q16.16's static RAM plus
/// peak stack (M0: 1,160 + 396 B; M4F: 1,160 + 328 B).
///
/// Flash: on both, tinymind Q16.16's own figure (M0: 4,104 B; M4F: 3,668 B), which
/// `minimal-q16`, the larger of the two trainers, meets (3,744 B and 3,632 B).
pub const FIXED_POINT_GOALS: [FixedPointGoal; 2] = [
    FixedPointGoal {
        triple: "thumbv6m-none-eabi",
        instructions_at_most: 10_800,
        ram_below: 1_556,
        flash_at_most: 4_104,
    },
    FixedPointGoal {
        triple: GOAL_TRIPLE,
        instructions_at_most: 6_738,
        ram_below: 1_488,
        flash_at_most: 3_668,
    },
];

/// A fixed-point goal on one target: at most so many instructions per step, less RAM (static
/// RAM plus peak stack) than the figure given, and at most so much flash.
#[derive(Clone, Copy, Debug)]
pub struct FixedPointGoal {
    /// The target triple.
    pub triple: &'static str,
    /// Instructions per step must be at most this.
    pub instructions_at_most: u64,
    /// Static RAM plus peak stack must be below this, bytes.
    pub ram_below: u64,
    /// Flash (`.text + .rodata + .data`) must be at most this, bytes.
    pub flash_at_most: u64,
}

/// Fails with a message naming the first [`FIXED_POINT_GOALS`] goal the fixed-point trainer
/// `name` misses on `triple`, given its instructions per step, static RAM + peak stack and
/// flash.
pub fn check_fixed_point(
    name: &str,
    triple: &str,
    instructions_per_step: Option<u64>,
    ram: u64,
    flash: u64,
) -> anyhow::Result<()> {
    let Some(goal) = FIXED_POINT_GOALS.iter().find(|g| g.triple == triple) else {
        return Ok(());
    };
    let limit = goal.instructions_at_most;
    let n = instructions_per_step
        .with_context(|| format!("goal missed on {triple}: {name}: not measured"))?;
    anyhow::ensure!(
        n <= limit,
        "goal missed on {triple}: {name}: instructions per step <= {limit}, measured {n}"
    );
    anyhow::ensure!(
        ram < goal.ram_below,
        "goal missed on {triple}: {name}: static RAM + peak stack < {} B (tinymind Q16.16), \
         measured {ram} B",
        goal.ram_below
    );
    anyhow::ensure!(
        flash <= goal.flash_at_most,
        "goal missed on {triple}: {name}: flash <= {} B (tinymind Q16.16), measured {flash} B",
        goal.flash_at_most
    );
    Ok(())
}

/// SGD steps (lr 0.1) the demo takes to bring the loss below its threshold.
pub const DEMO_STEPS: u32 = 14;

/// One target's measured figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measured<'a> {
    /// The target triple.
    pub triple: &'a str,
    /// Flash bytes.
    pub flash: u64,
    /// RAM beyond the model, bytes.
    pub ram_beyond_model: u64,
    /// Instructions per step, where the target counts them.
    pub instructions_per_step: Option<u64>,
}

/// Fails with a message naming the first goal `m` misses and the measured value.
pub fn check(m: &Measured<'_>) -> anyhow::Result<()> {
    if let Some(n) = m.instructions_per_step {
        anyhow::ensure!(
            n > 0,
            "goal missed on {}: instructions per step > 0, measured {n}",
            m.triple
        );
    }
    if m.triple != GOAL_TRIPLE {
        return Ok(());
    }
    anyhow::ensure!(
        m.flash <= M4F_FLASH_BYTES,
        "goal missed on {}: flash <= {M4F_FLASH_BYTES} B, measured {} B",
        m.triple,
        m.flash
    );
    anyhow::ensure!(
        m.ram_beyond_model <= M4F_RAM_BEYOND_MODEL_BYTES,
        "goal missed on {}: RAM beyond the model <= {M4F_RAM_BEYOND_MODEL_BYTES} B, measured {} B",
        m.triple,
        m.ram_beyond_model
    );
    let n = m.instructions_per_step.with_context(|| {
        format!(
            "goal missed on {}: instructions per step <= {M4F_INSTRUCTIONS_PER_STEP}, \
             not measured",
            m.triple
        )
    })?;
    anyhow::ensure!(
        n <= M4F_INSTRUCTIONS_PER_STEP,
        "goal missed on {}: instructions per step <= {M4F_INSTRUCTIONS_PER_STEP}, measured {n}",
        m.triple
    );
    Ok(())
}

/// Fails unless the demo took exactly [`DEMO_STEPS`] steps.
pub fn check_demo_steps(steps: u32) -> anyhow::Result<()> {
    anyhow::ensure!(
        steps == DEMO_STEPS,
        "goal missed: the demo reaches its loss threshold in {DEMO_STEPS} steps (README), \
         took {steps}"
    );
    Ok(())
}

/// The notebook's printed means: `[without_shortcut, with_shortcut]`, five weights each.
pub type NotebookMeans = [Vec<f64>; 2];

/// The variants as the demo and the fixture name them.
const VARIANTS: [&str; 2] = ["without_shortcut", "with_shortcut"];

/// Reads the notebook's printed means from the seed fixture's JSON text.
pub fn notebook_means(fixture: &str) -> anyhow::Result<NotebookMeans> {
    let v: serde_json::Value = serde_json::from_str(fixture).context("parsing the fixture")?;
    let table = |variant: &str| -> anyhow::Result<Vec<f64>> {
        v["seed_notebook_gradients"][variant]
            .as_array()
            .with_context(|| format!("the fixture has no seed_notebook_gradients.{variant}"))?
            .iter()
            .map(|x| x.as_f64().context("a mean that is not a number"))
            .collect()
    };
    Ok([table(VARIANTS[0])?, table(VARIANTS[1])?])
}

/// Checks every line of the demo's two gradient tables (after each caption, `<name> has
/// gradient mean of <value>`) against the notebook's numbers, in order, within
/// [`NOTEBOOK_BOUND`] relative; every notebook number must be matched. Returns the worst
/// relative error.
pub fn check_demo_gradients(lines: &[String], want: &NotebookMeans) -> anyhow::Result<f64> {
    let mut next = [0usize; 2];
    let mut worst: f64 = 0.0;
    let mut table = None;
    for line in lines {
        if line == WITHOUT_CAPTION {
            table = Some(0);
            continue;
        }
        if line == WITH_CAPTION {
            table = Some(1);
            continue;
        }
        let (Some(which), Some((name, decimal))) =
            (table, line.split_once(" has gradient mean of "))
        else {
            continue;
        };
        let variant = VARIANTS[which];
        let i = next[which];
        next[which] += 1;
        anyhow::ensure!(
            name == format!("layers.{i}.0.weight"),
            "the demo's {variant} line {} is {name}, expected layers.{i}.0.weight",
            i + 1
        );
        let got: f64 = decimal
            .parse()
            .with_context(|| format!("`{decimal}` is not a number in: {line}"))?;
        let w = *want[which]
            .get(i)
            .with_context(|| format!("more {variant} lines than the notebook has: {line}"))?;
        let rel = (got - w).abs() / w.abs();
        anyhow::ensure!(
            rel <= NOTEBOOK_BOUND,
            "the demo's {variant} {name} is {got}, the notebook printed {w}: relative error \
             {rel:.2e} > {NOTEBOOK_BOUND:e}"
        );
        worst = worst.max(rel);
    }
    anyhow::ensure!(
        next[0] == want[0].len() && next[1] == want[1].len(),
        "the demo printed {:?} gradient lines, the notebook has {} and {}",
        next,
        want[0].len(),
        want[1].len()
    );
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m4f(flash: u64, ram: u64, n: Option<u64>) -> Measured<'static> {
        Measured {
            triple: GOAL_TRIPLE,
            flash,
            ram_beyond_model: ram,
            instructions_per_step: n,
        }
    }

    #[test]
    fn fixed_point_goals_fail_at_their_limits() {
        let m0 = "thumbv6m-none-eabi";
        let check = |triple, n, ram, flash| check_fixed_point("q", triple, n, ram, flash);
        assert!(check(m0, Some(10_800), 1_555, 4_104).is_ok());
        assert!(check(m0, Some(10_801), 1_555, 4_104).is_err());
        assert!(check(m0, None, 1_555, 4_104).is_err());
        assert!(check(m0, Some(1), 1_556, 4_104).is_err());
        let e = check(m0, Some(1), 1, 4_105).expect_err("one byte over the ceiling");
        assert!(e.to_string().contains("flash <= 4104 B"), "{e}");
        assert!(check(GOAL_TRIPLE, Some(6_738), 1_487, 3_668).is_ok());
        assert!(check(GOAL_TRIPLE, Some(6_739), 1_487, 3_668).is_err());
        assert!(check(GOAL_TRIPLE, None, 1_487, 3_668).is_err());
        assert!(check(GOAL_TRIPLE, Some(1), 1_488, 3_668).is_err());
        let e = check(GOAL_TRIPLE, Some(1), 1, 3_669).expect_err("one byte over the ceiling");
        assert!(e.to_string().contains("flash <= 3668 B"), "{e}");
        assert!(check("riscv32imac-unknown-none-elf", None, 99_999, 99_999).is_ok());
    }

    #[test]
    fn each_goal_fails_one_past_its_limit() {
        assert!(check(&m4f(4096, 1024, Some(3400))).is_ok());
        let cases = [
            (
                m4f(4097, 1024, Some(3400)),
                "flash <= 4096 B, measured 4097 B",
            ),
            (
                m4f(4096, 1025, Some(3400)),
                "beyond the model <= 1024 B, measured 1025 B",
            ),
            (
                m4f(4096, 1024, Some(3401)),
                "per step <= 3400, measured 3401",
            ),
            (m4f(4096, 1024, Some(0)), "per step > 0, measured 0"),
            (m4f(4096, 1024, None), "not measured"),
        ];
        for (m, want) in cases {
            let e = check(&m).expect_err("a missed goal").to_string();
            assert!(e.contains(want) && e.contains(GOAL_TRIPLE), "{e}");
        }
    }

    #[test]
    fn other_targets_need_only_a_count() {
        let m0 = Measured {
            triple: "thumbv6m-none-eabi",
            flash: 6000,
            ram_beyond_model: 600,
            instructions_per_step: Some(108_000),
        };
        assert!(check(&m0).is_ok());
        let zero = Measured {
            instructions_per_step: Some(0),
            ..m0
        };
        assert!(check(&zero).is_err());
    }

    #[test]
    fn demo_steps_are_pinned() {
        assert!(check_demo_steps(DEMO_STEPS).is_ok());
        assert!(check_demo_steps(DEMO_STEPS + 1).is_err());
    }

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn demo_gradients_against_the_notebook() {
        let want: NotebookMeans = [vec![1.0, 2.0], vec![3.0]];
        let good = lines(
            "skipgrad-demo begin\n\
             without shortcut:\n\
             layers.0.0.weight has gradient mean of 1.0000001\n\
             layers.1.0.weight has gradient mean of 2.0\n\
             \n\
             with shortcut:\n\
             layers.0.0.weight has gradient mean of 3.0\n\
             loss 0 0.5",
        );
        let worst = check_demo_gradients(&good, &want).expect("within the bound");
        assert!(worst > 0.0 && worst <= NOTEBOOK_BOUND);
        let off = good.join("\n").replace("of 2.0", "of 2.00001");
        assert!(check_demo_gradients(&lines(&off), &want).is_err());
        let renamed = good.join("\n").replace("layers.1.0", "layers.2.0");
        assert!(check_demo_gradients(&lines(&renamed), &want).is_err());
        let missing: Vec<String> = good
            .iter()
            .filter(|l| !l.ends_with("of 3.0"))
            .cloned()
            .collect();
        assert!(check_demo_gradients(&missing, &want).is_err());
    }
}
