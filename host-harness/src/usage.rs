//! Usage errors: flags that parse but are not a valid request (an unsupported shape, a
//! learning rate that is not positive). The binary exits with status 2 for them, as it does
//! for the flags clap itself rejects; runtime failures (a gradient check over its bound, a
//! diverging run) exit with status 1.

use std::fmt;

/// A flag value the command cannot run with; the message names the flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The exit status for an error returned by a command: 2 when it is (or wraps) a
/// [`UsageError`], 1 otherwise.
pub fn exit_status(e: &anyhow::Error) -> u8 {
    if e.chain().any(|c| c.is::<UsageError>()) {
        2
    } else {
        1
    }
}

/// Returns early from a command with a [`UsageError`] built like `format!`.
#[macro_export]
macro_rules! usage_bail {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::usage::UsageError(format!($($arg)*))))
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn usage_errors_exit_2_and_others_1() {
        let usage = anyhow::Error::new(UsageError("--steps must be at least 1".into()));
        assert_eq!(exit_status(&usage), 2);
        assert_eq!(usage.to_string(), "--steps must be at least 1");
        let wrapped: anyhow::Result<()> = Err(usage).context("reading the flags");
        assert_eq!(exit_status(&wrapped.unwrap_err()), 2);
        assert_eq!(exit_status(&anyhow::anyhow!("training diverged")), 1);
    }
}
