//! Value parsers shared by the commands' numeric flags, with the limits each flag is checked
//! against before anything is allocated or spawned. Every numeric flag also sets
//! `allow_hyphen_values`, so that a negative number reaches its parser (and gets a message
//! about its value) instead of being taken for an unknown flag.

/// The most threads a command spawns.
pub const MAX_THREADS: usize = 256;

/// A whole number `>= 1` (`--steps`, `--every`).
pub fn count(s: &str) -> Result<usize, String> {
    match whole(s)? {
        0 => Err("must be at least 1".to_owned()),
        n => usize::try_from(n).map_err(|_| format!("must be at most {}", usize::MAX)),
    }
}

/// A whole number from 0 to `2^64 - 1` (`--seed`).
pub fn seed(s: &str) -> Result<u64, String> {
    whole(s)
}

/// A thread count from 1 to [`MAX_THREADS`].
pub fn threads(s: &str) -> Result<usize, String> {
    match whole(s)? {
        n @ 1.. if n <= MAX_THREADS as u64 => Ok(n as usize),
        _ => Err(format!("must be from 1 to {MAX_THREADS}")),
    }
}

/// The default thread count: every available core, at most [`MAX_THREADS`].
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_THREADS)
}

/// The flags of the exhaustive commands: worker threads, which bit patterns, and JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::Args)]
pub struct Scan {
    /// Worker threads (default: every available core).
    #[arg(long, allow_hyphen_values = true, value_parser = threads)]
    pub threads: Option<usize>,
    /// Check every `STRIDE`-th bit pattern only (1 = every one).
    #[arg(long, default_value_t = 1, allow_hyphen_values = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub stride: u32,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

impl Default for Scan {
    fn default() -> Self {
        Self {
            threads: None,
            stride: 1,
            json: false,
        }
    }
}

impl Scan {
    /// The threads to run: `--threads`, or [`default_threads`].
    pub fn threads(&self) -> usize {
        self.threads.unwrap_or_else(default_threads)
    }
}

/// A finite number (`--lr`; ranges are checked by the optimizer's constructor). The text is
/// read as an `f64`: a non-zero number that rounds to zero there (`1e-330`) is refused here,
/// not reported later as a zero the user did not type.
pub fn finite(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v: f64 = t
        .parse()
        .map_err(|_| "must be a number, such as 0.01 or 1e-3".to_owned())?;
    if !v.is_finite() {
        return Err("must be a finite number".to_owned());
    }
    let mantissa = t.split(['e', 'E']).next().unwrap_or_default();
    if v == 0.0 && mantissa.chars().any(|c| matches!(c, '1'..='9')) {
        return Err(format!("{t} rounds to zero in f64"));
    }
    Ok(v)
}

/// A whole number from 0 to `2^64 - 1`, with a message that says what was wrong.
fn whole(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.starts_with('-') {
        return Err("must not be negative".to_owned());
    }
    t.parse::<u64>().map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow => format!("must be at most {}", u64::MAX),
        _ => "must be a whole number, such as 100".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(count("5"), Ok(5));
        assert_eq!(count("0"), Err("must be at least 1".to_owned()));
        assert_eq!(count("-1"), Err("must not be negative".to_owned()));
        assert_eq!(
            count("1.5"),
            Err("must be a whole number, such as 100".to_owned())
        );
        assert_eq!(
            count("99999999999999999999"),
            Err(format!("must be at most {}", u64::MAX))
        );
        assert_eq!(seed("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(seed("-1"), Err("must not be negative".to_owned()));
        assert_eq!(threads("0"), Err("must be from 1 to 256".to_owned()));
        assert_eq!(threads("256"), Ok(256));
        assert_eq!(
            threads("18446744073709551615"),
            Err("must be from 1 to 256".to_owned())
        );
        assert_eq!(finite("-.5"), Ok(-0.5));
        assert_eq!(finite("-inf"), Err("must be a finite number".to_owned()));
        assert_eq!(finite("nan"), Err("must be a finite number".to_owned()));
        assert!(finite("abc").is_err());
        assert_eq!(
            finite("1e-330"),
            Err("1e-330 rounds to zero in f64".to_owned())
        );
        assert_eq!(finite("-0.0e-400"), Ok(-0.0));
        assert_eq!(finite("0"), Ok(0.0));
        assert_eq!(finite("4.9e-324"), Ok(4.9e-324));
    }
}
