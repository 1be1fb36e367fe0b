//! `skipgrad exhaustive-q16`: the Q16.16 GELU (tanh approximation), tanh and sigmoid, value
//! and derivative, over every representable input against the `f64` formulas
//! ([`crate::exhaustive_q16`] describes the figures and their bounds).

use crate::exhaustive_q16::{scan_all, BOUNDS, FUNCTIONS};

/// Flags of `skipgrad exhaustive-q16`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ExhaustiveQ16Args {
    /// Threads, stride and output.
    #[command(flatten)]
    pub scan: crate::flags::Scan,
}

/// Runs `skipgrad exhaustive-q16`.
pub fn run(args: &ExhaustiveQ16Args) -> anyhow::Result<()> {
    let threads = args.scan.threads();
    let start = std::time::Instant::now();
    let s = scan_all(args.scan.stride, threads);
    let secs = start.elapsed().as_secs_f64();
    if args.scan.json {
        let bounds: serde_json::Map<String, serde_json::Value> = FUNCTIONS
            .iter()
            .zip(BOUNDS)
            .map(|(name, (v, d))| {
                (
                    (*name).to_owned(),
                    serde_json::json!({"value": v, "derivative": d}),
                )
            })
            .collect();
        crate::outln!(
            "{}",
            serde_json::json!({
                "number": "q16.16",
                "stride": args.scan.stride,
                "threads": threads,
                "seconds": secs,
                "bounds": bounds,
                "summary": s,
            })
        );
    } else {
        crate::outln!(
            "Q16.16 activations over {} finite inputs (every {}. bit pattern), {} threads, {:.1} s",
            s.checked,
            args.scan.stride,
            threads,
            secs
        );
        crate::outln!("error in units of 2^-16 against f64, worst (bound) at input");
        for ((name, f), (bv, bd)) in FUNCTIONS.iter().zip(s.functions()).zip(BOUNDS) {
            crate::outln!(
                "{name}: {} rail results{}, {} value mismatches",
                f.rails,
                f.first_rail
                    .map(|b| format!(" (first at bits 0x{:08x})", b as u32))
                    .unwrap_or_default(),
                f.mismatches
            );
            for (part, w, bound) in [("value", &f.value, bv), ("derivative", &f.derivative, bd)] {
                crate::outln!(
                    "  {part:<10} {:.4} ({bound}) at x = {} (bits 0x{:08x}): q16 {}, f64 {:e}",
                    w.error,
                    w.input(),
                    w.bits as u32,
                    w.got,
                    w.want
                );
            }
        }
    }
    let over: Vec<&str> = FUNCTIONS
        .iter()
        .zip(s.functions())
        .zip(BOUNDS)
        .filter(|((_, f), b)| !f.within(*b))
        .map(|((name, _), _)| *name)
        .collect();
    if !over.is_empty() {
        anyhow::bail!(
            "rail results, value mismatches or an error figure over its stated bound: {}",
            over.join(", ")
        );
    }
    Ok(())
}
