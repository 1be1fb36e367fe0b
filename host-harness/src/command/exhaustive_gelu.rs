//! `skipgrad exhaustive-gelu`: the notebook's GELU, its derivative and the core's `tanh` over
//! every finite `f32`, against `f64` ([`crate::exhaustive`] describes the figures and their
//! bounds), with the default build's bounds or, with `--micromath`, those of the
//! `micromath` feature's approximate `tanh`.

use crate::exhaustive::{
    describe, scan_all, DERIVATIVE_MIXED_BOUND, MICROMATH_DERIVATIVE_ABS_BOUND,
    MICROMATH_TANH_ABS_BOUND, MICROMATH_VALUE_ABS_BOUND, TANH_ULP_BOUND, VALUE_MIXED_BOUND,
};

/// Flags of `skipgrad exhaustive-gelu`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ExhaustiveArgs {
    /// Require the core's `micromath` tanh (build with `--features micromath`); its absolute
    /// error bounds are then enforced instead of the default build's.
    #[arg(long)]
    pub micromath: bool,
    /// Threads, stride and output.
    #[command(flatten)]
    pub scan: crate::flags::Scan,
}

/// Runs `skipgrad exhaustive-gelu`.
pub fn run(args: &ExhaustiveArgs) -> anyhow::Result<()> {
    let micromath = cfg!(feature = "micromath");
    if args.micromath && !micromath {
        crate::usage_bail!(
            "--micromath needs a harness built with the micromath feature: \
             cargo run --release --features micromath -- exhaustive-gelu --micromath"
        );
    }
    let threads = args.scan.threads();
    let start = std::time::Instant::now();
    let s = scan_all(args.scan.stride, threads);
    let secs = start.elapsed().as_secs_f64();
    if args.scan.json {
        crate::outln!(
            "{}",
            serde_json::json!({
                "tanh": if micromath { "micromath" } else { "core" },
                "stride": args.scan.stride,
                "threads": threads,
                "seconds": secs,
                "summary": s,
            })
        );
    } else {
        crate::outln!(
            "f32 GELU over {} finite inputs (every {}. bit pattern), tanh: {}, {} threads, {:.1} s",
            s.checked,
            args.scan.stride,
            if micromath {
                "micromath"
            } else {
                "core f32 tanh"
            },
            threads,
            secs
        );
        crate::out!("{}", describe("value", &s.value));
        crate::out!("{}", describe("derivative", &s.derivative));
        crate::out!("{}", describe("tanh", &s.tanh));
        if micromath {
            crate::outln!(
                "bounds (abs): value <= {MICROMATH_VALUE_ABS_BOUND:e}, derivative <= \
                 {MICROMATH_DERIVATIVE_ABS_BOUND:e}, tanh <= {MICROMATH_TANH_ABS_BOUND:e}"
            );
        } else {
            crate::outln!(
                "bounds (mixed units): value <= {VALUE_MIXED_BOUND}, derivative <= \
                 {DERIVATIVE_MIXED_BOUND}; tanh <= {TANH_ULP_BOUND} ulp"
            );
        }
    }
    let non_finite = s.value.non_finite + s.derivative.non_finite + s.tanh.non_finite;
    if non_finite > 0 {
        anyhow::bail!("{non_finite} non-finite results");
    }
    let within = if micromath {
        s.within_micromath_bounds()
    } else {
        s.within_bounds()
    };
    if !within {
        anyhow::bail!("an error figure exceeds its stated bound");
    }
    Ok(())
}
