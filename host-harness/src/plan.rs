//! The output plan: every command that writes files names its inputs and outputs first, and
//! [`Plan::check`] judges them before any work starts, so that no run ends in a write that
//! was bound to fail or in an output that destroys an input.
//!
//! - Two outputs that are the same file (`train --save x --plot x`), or an output that is an
//!   input (`train --load w --plot w`, `convert A A`), are a usage error. Paths are compared
//!   canonically (symbolic links, `.` and `..` resolved), and, where both files exist, by
//!   device and inode, so that a hard link is caught too.
//! - Each output that is a regular file (or will be one) must be in a directory that exists,
//!   is a directory and is writable (checked by creating and removing a file in it, as the
//!   write will), must not be a directory, and must not be a read-only file (replacing it
//!   would ignore its protection).
//! - An output that exists and is not a regular file (a pipe, `/dev/stdout`) is written
//!   directly ([`crate::atomic`]); it is not compared.
//!
//! Every failure is a [`UsageError`](crate::usage::UsageError) (exit status 2) that names the
//! flag.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::atomic::{self, Destination};

/// A path and the flag (or argument) that named it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Named {
    what: String,
    path: PathBuf,
}

/// The files a command reads and writes, to be checked before it starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    inputs: Vec<Named>,
    outputs: Vec<Named>,
}

/// A file's identity: its canonical path, and its device and inode where it exists.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Identity {
    path: PathBuf,
    inode: Option<(u64, u64)>,
}

impl Identity {
    fn same(&self, other: &Self) -> bool {
        self.path == other.path || (self.inode.is_some() && self.inode == other.inode)
    }
}

#[cfg(unix)]
fn inode(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_: &Path) -> Option<(u64, u64)> {
    None
}

impl Plan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an input, named by `what` (`--load`, `IN`).
    pub fn input(mut self, what: &str, path: &Path) -> Self {
        self.inputs.push(Named {
            what: what.to_owned(),
            path: path.to_path_buf(),
        });
        self
    }

    /// Adds an output, named by `what` (`--save`, `--plot`, `OUT`).
    pub fn output(mut self, what: &str, path: &Path) -> Self {
        self.outputs.push(Named {
            what: what.to_owned(),
            path: path.to_path_buf(),
        });
        self
    }

    /// Adds an output if there is one.
    pub fn maybe_output(self, what: &str, path: Option<&PathBuf>) -> Self {
        match path {
            Some(p) => self.output(what, p),
            None => self,
        }
    }

    /// Adds an input if there is one.
    pub fn maybe_input(self, what: &str, path: Option<&PathBuf>) -> Self {
        match path {
            Some(p) => self.input(what, p),
            None => self,
        }
    }

    /// Checks every output and compares all the paths (see the [module](self)).
    pub fn check(&self) -> anyhow::Result<()> {
        let mut files: Vec<(&Named, Identity)> = Vec::new();
        for out in &self.outputs {
            let destination = Destination::of(&out.path).map_err(|e| unusable(out, &e))?;
            let Destination::File { dir, file } = destination else {
                continue;
            };
            if fs::metadata(&file).is_ok_and(|m| m.permissions().readonly()) {
                crate::usage_bail!(
                    "{} {}: the file is read-only; make it writable or choose another name",
                    out.what,
                    out.path.display()
                );
            }
            atomic::probe_directory(&dir, &file).map_err(|e| {
                unusable(
                    out,
                    &io::Error::new(
                        e.kind(),
                        format!("its directory {} is not writable: {e}", dir.display()),
                    ),
                )
            })?;
            let id = Identity {
                inode: inode(&file),
                path: file,
            };
            if let Some((first, _)) = files.iter().find(|(_, other)| other.same(&id)) {
                crate::usage_bail!(
                    "{} {} and {} {} are the same file: one output would overwrite the other",
                    first.what,
                    first.path.display(),
                    out.what,
                    out.path.display()
                );
            }
            files.push((out, id));
        }
        for input in &self.inputs {
            // An input that cannot be resolved does not exist: reading it will say so.
            let Ok(path) = fs::canonicalize(&input.path) else {
                continue;
            };
            let id = Identity {
                inode: inode(&path),
                path,
            };
            if let Some((out, _)) = files.iter().find(|(_, other)| other.same(&id)) {
                crate::usage_bail!(
                    "{} {} is the input {} {}: writing it would destroy what is read; choose \
                     another output",
                    out.what,
                    out.path.display(),
                    input.what,
                    input.path.display()
                );
            }
        }
        Ok(())
    }
}

/// The usage error for an output that cannot be written.
fn unusable(out: &Named, e: &io::Error) -> anyhow::Error {
    anyhow::Error::new(crate::usage::UsageError(format!(
        "{} {} cannot be written: {e}",
        out.what,
        out.path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("skipgrad-plan-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    }

    #[test]
    fn table() {
        let dir = scratch("table");
        let w = dir.join("w.safetensors");
        fs::write(&w, b"weights").expect("writes");
        let dot = dir.join(".").join("w.safetensors");
        let new = dir.join("new.svg");
        let under_file = w.join("x.svg");
        let missing_dir = dir.join("missing/x.svg");
        let cases: [(Plan, Option<&str>); 8] = [
            (Plan::new().input("--load", &w).output("--save", &new), None),
            (
                Plan::new().output("--save", &new).output("--plot", &new),
                Some("are the same file"),
            ),
            (
                Plan::new().input("--load", &w).output("--plot", &dot),
                Some("is the input --load"),
            ),
            (
                Plan::new().input("IN", &w).output("OUT", &w),
                Some("is the input IN"),
            ),
            (
                Plan::new().output("--plot", &dir),
                Some("it is a directory"),
            ),
            (
                Plan::new().output("--save", &missing_dir),
                Some("cannot be written"),
            ),
            (
                Plan::new().output("--save", &under_file),
                Some("cannot be written"),
            ),
            // Outputs that are not regular files are not compared.
            (
                Plan::new()
                    .output("--plot", Path::new("/dev/null"))
                    .output("--save", Path::new("/dev/null")),
                None,
            ),
        ];
        for (plan, want) in cases {
            let got = plan.check();
            match want {
                None => assert!(got.is_ok(), "{plan:?}: {got:?}"),
                Some(needle) => {
                    let e = got.expect_err("refused");
                    assert_eq!(crate::usage::exit_status(&e), 2, "{e}");
                    assert!(e.to_string().contains(needle), "{plan:?}: {e}");
                }
            }
        }
        // Nothing was left in the directory by the checks.
        let names: Vec<_> = fs::read_dir(&dir).expect("lists").collect();
        assert_eq!(names.len(), 1);
        fs::remove_dir_all(&dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn hard_links_and_read_only_files() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = scratch("links");
        let a = dir.join("a");
        fs::write(&a, b"x").expect("writes");
        let b = dir.join("b");
        fs::hard_link(&a, &b).expect("a hard link");
        let e = Plan::new()
            .input("IN", &a)
            .output("OUT", &b)
            .check()
            .expect_err("same inode");
        assert!(e.to_string().contains("is the input IN"), "{e}");
        fs::set_permissions(&a, fs::Permissions::from_mode(0o444)).expect("chmod");
        let e = Plan::new()
            .output("OUT", &a)
            .check()
            .expect_err("read-only");
        assert!(e.to_string().contains("read-only"), "{e}");
        fs::remove_dir_all(&dir).ok();
    }
}
