//! This core's single-thread f32 peak, derived from what the CPU says and what it does.
//!
//! - Vector width: AVX-512F gives 16 f32 lanes, AVX2 8, SSE2 4 (`is_x86_feature_detected!`).
//! - FMA units: how many 512-bit (or 256-bit) FMAs retire per cycle, measured: a loop of
//!   independent `vfmadd231ps` on 16 registers (no dependency can hold it back), timed, and
//!   divided by the clock. Server cores have one or two 512-bit FMA units depending on the
//!   part, and the only honest way to know which is to count.
//! - Clock: a chain of dependent integer `add`s (one cycle each on every x86 core since the
//!   Pentium Pro) timed on the same thread: the clock the core runs this thread at, turbo
//!   included, which `/proc/cpuinfo`'s nominal figure is not.
//!
//! Peak = lanes x 2 (a multiply and an add) x FMA units x clock.

use std::time::Instant;

/// What [`measure`] found.
#[derive(Clone, Debug)]
pub struct Peak {
    /// `/proc/cpuinfo`'s model name.
    pub model: String,
    /// `/proc/cpuinfo`'s clock, MHz (nominal on a virtual machine).
    pub nominal_mhz: f64,
    /// The measured clock, GHz: a chain of dependent integer adds (one cycle each).
    pub ghz: f64,
    /// The same from dependent integer multiplies (three cycles each): a cross-check.
    pub imul_ghz: f64,
    /// The same from dependent 512-bit FMAs (four cycles each): the clock with the vector
    /// units busy (AVX-512 may lower it on some parts).
    pub fma_ghz: f64,
    /// The widest f32 vector: 16, 8 or 4 lanes.
    pub lanes: usize,
    /// The name of that instruction set.
    pub isa: &'static str,
    /// Fused multiply-adds of that width per cycle, measured.
    pub fma_per_cycle: f64,
    /// Separate multiplies and adds of that width per cycle, measured (the rate of a
    /// multiply-accumulate that rounds twice, as skipgrad's exact order does, is half this).
    pub mul_add_per_cycle: f64,
    /// 256-bit FMAs per cycle, measured (for comparison: a core with one 512-bit unit runs
    /// twice as many 256-bit FMAs as 512-bit ones).
    pub fma256_per_cycle: f64,
    /// `lanes x 2 x round(fma_per_cycle) x ghz`.
    pub gflops: f64,
}

impl Peak {
    /// The peak of a multiply-accumulate rounded twice (two instructions per lane): what
    /// kernels in skipgrad's exact order can reach at most.
    pub fn unfused_gflops(&self) -> f64 {
        self.lanes as f64 * self.mul_add_per_cycle.round() * self.ghz
    }

    /// How it was derived, in one paragraph.
    pub fn derivation(&self) -> String {
        format!(
            "{} ({} MHz nominal): {} ({} f32 lanes); {:.2} {}-bit FMAs per cycle measured ({:.2} 256-bit), so {} FMA units; \
             clock {:.2} GHz measured on this thread (dependent adds; {:.2} from multiplies, {:.2} from 512-bit FMAs). Peak = {} lanes x 2 FLOP x {} units x {:.2} GHz = {:.1} GFLOP/s. \
             Without fusing (a multiply and an add, {:.2} per cycle measured) the ceiling is {:.1} GFLOP/s.",
            self.model,
            self.nominal_mhz,
            self.isa,
            self.lanes,
            self.fma_per_cycle,
            self.lanes * 32,
            self.fma256_per_cycle,
            self.fma_per_cycle.round(),
            self.ghz,
            self.imul_ghz,
            self.fma_ghz,
            self.lanes,
            self.fma_per_cycle.round(),
            self.ghz,
            self.gflops,
            self.mul_add_per_cycle,
            self.unfused_gflops(),
        )
    }
}

fn cpuinfo(key: &str) -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// Seconds for the best of `runs` calls of `f`.
fn best(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Loop turns per timed run: about 1.6 M cycles (under a millisecond), short enough that
/// the best of [`RUNS`] runs is rarely preempted on a busy machine.
const TURNS: u64 = 50_000;
/// Timed runs of each loop; the fastest counts.
const RUNS: usize = 200;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::asm;

    /// `turns` turns of 32 dependent register-to-register integer adds (one cycle each; an
    /// add of an immediate is not used: recent cores fold chains of those at renaming).
    pub fn add_chain(turns: u64) {
        // SAFETY: registers only, every one named as clobbered.
        unsafe {
            asm!(
                "2:",
                ".rept 32", "add {x}, {y}", ".endr",
                "dec {n}", "jnz 2b",
                n = inout(reg) turns => _, x = inout(reg) 0u64 => _, y = in(reg) 1u64,
                options(nomem, nostack),
            );
        }
    }

    /// `turns` turns of 32 dependent integer multiplies (three cycles each).
    pub fn imul_chain(turns: u64) {
        // SAFETY: registers only, every one named as clobbered.
        unsafe {
            asm!(
                "2:",
                ".rept 32", "imul {x}, {x}", ".endr",
                "dec {n}", "jnz 2b",
                n = inout(reg) turns => _, x = inout(reg) 3u64 => _,
                options(nomem, nostack),
            );
        }
    }

    macro_rules! independent {
        ($name:ident, $feature:literal, $reg:literal, $($op:literal),+) => {
            /// Turns of 16 independent instructions per listed op on 16 registers.
            #[target_feature(enable = $feature)]
            pub unsafe fn $name(turns: u64) {
                // SAFETY: registers only, every one named as clobbered.
                unsafe {
                    asm!(
                        concat!("vxorps ", $reg, "0, ", $reg, "0, ", $reg, "0"),
                        concat!("vxorps ", $reg, "1, ", $reg, "1, ", $reg, "1"),
                        "2:",
                        $(
                            concat!(".irp r,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19"),
                            concat!($op, " ", $reg, "\\r, ", $reg, "0, ", $reg, "1"),
                            ".endr",
                        )+
                        "dec rcx", "jnz 2b",
                        inout("rcx") turns => _,
                        clobber_abi("C"),
                        options(nomem, nostack),
                    );
                }
            }
        };
    }

    independent!(fma512, "avx512f", "zmm", "vfmadd231ps");

    /// `turns` turns of 32 dependent 512-bit FMAs (four cycles each on Intel's cores since
    /// Skylake): the clock while the vector units are busy.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn fma512_chain(turns: u64) {
        // SAFETY: registers only, every one named as clobbered.
        unsafe {
            asm!(
                "vxorps zmm0, zmm0, zmm0",
                "vxorps zmm1, zmm1, zmm1",
                "2:",
                ".rept 32", "vfmadd231ps zmm0, zmm1, zmm1", ".endr",
                "dec rcx", "jnz 2b",
                inout("rcx") turns => _,
                clobber_abi("C"),
                options(nomem, nostack),
            );
        }
    }
    independent!(mul_add512, "avx512f", "zmm", "vmulps", "vaddps");
    independent!(fma256, "avx2,fma,avx512f,avx512vl", "ymm", "vfmadd231ps");
}

/// Measures this core (x86-64 with AVX2+FMA at least).
#[cfg(target_arch = "x86_64")]
pub fn measure() -> Peak {
    let model = cpuinfo("model name").unwrap_or_default();
    let nominal_mhz = cpuinfo("cpu MHz")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let secs = best(RUNS, || x86::add_chain(TURNS));
    let ghz = (TURNS * 32) as f64 / secs / 1e9;
    let imul_ghz = (TURNS * 96) as f64 / best(RUNS, || x86::imul_chain(TURNS)) / 1e9;
    let per_cycle = |ops: u64, f: &dyn Fn()| {
        let secs = best(RUNS, f);
        (TURNS * ops) as f64 / secs / 1e9 / ghz
    };
    let avx512 = std::arch::is_x86_feature_detected!("avx512f");
    let fma_ghz = if avx512 {
        // SAFETY: AVX-512F is detected.
        (TURNS * 128) as f64 / best(RUNS, || unsafe { x86::fma512_chain(TURNS) }) / 1e9
    } else {
        0.0
    };
    let fma = std::arch::is_x86_feature_detected!("fma");
    let (lanes, isa, fma_per_cycle, mul_add_per_cycle) = if avx512 {
        // SAFETY: AVX-512F is detected.
        (
            16,
            "AVX-512F + FMA",
            per_cycle(16, &|| unsafe { x86::fma512(TURNS) }),
            per_cycle(32, &|| unsafe { x86::mul_add512(TURNS) }),
        )
    } else {
        panic!("this measurement needs AVX-512 (an AVX2 build of it is not written): fma {fma}");
    };
    // SAFETY: AVX-512F (and so AVX2, FMA and AVX-512VL on every core that has it) is detected.
    let fma256_per_cycle = per_cycle(16, &|| unsafe { x86::fma256(TURNS) });
    let gflops = lanes as f64 * 2.0 * fma_per_cycle.round() * ghz;
    Peak {
        model,
        nominal_mhz,
        ghz,
        imul_ghz,
        fma_ghz,
        lanes,
        isa,
        fma_per_cycle,
        mul_add_per_cycle,
        fma256_per_cycle,
        gflops,
    }
}
