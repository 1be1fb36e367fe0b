//! Atomic outputs: a file the harness writes (`convert`'s output, `train --save`, every
//! `--plot`) is either the complete new file or, if anything failed, exactly the file that
//! was there before. Nothing a user saved is truncated by a full disk or a failed run.
//!
//! [`write()`] puts the bytes in a new temporary file in the destination's own directory
//! (`.NAME.PID-N.tmp`, created exclusively, with the permissions of the file it replaces),
//! flushes it and syncs it to the disk (`sync_all`), renames it over the destination (an
//! atomic replacement on POSIX file systems) and syncs the directory, so that the rename
//! itself survives a crash. On any error before the rename the temporary file is removed
//! and the destination is untouched.
//!
//! A destination that exists and is not a regular file (a pipe, `/dev/stdout`, `/dev/null`,
//! a terminal) is written directly: renaming over it would replace the device or the pipe's
//! name with a file. A symbolic link to a file is followed: the file it points to is
//! replaced, the link stays. Replacing a file gives it a new inode, so another hard link to
//! the old file keeps the old contents.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Where an output's bytes go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// A regular file, new or replaced: written through a temporary file in `dir` and renamed
    /// over `file` (the destination with symbolic links resolved).
    File {
        /// The file's directory, canonical.
        dir: PathBuf,
        /// The file: `dir` joined with its name.
        file: PathBuf,
    },
    /// Not a regular file (a pipe, a character device): written directly.
    Direct(PathBuf),
}

impl Destination {
    /// Where `path` writes: a regular file (existing or not, its directory resolved and
    /// checked to be a directory) or something written directly. An error when the path
    /// names a directory, has no file name, or its directory cannot be resolved.
    pub fn of(path: &Path) -> io::Result<Self> {
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            )),
            Ok(m) if m.is_file() => {
                let file = fs::canonicalize(path)?;
                let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
                Ok(Self::File { dir, file })
            }
            Ok(_) => Ok(Self::Direct(path.to_path_buf())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if fs::symlink_metadata(path).is_ok() {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        "it is a symbolic link to a file that does not exist",
                    ));
                }
                let Some(name) = path.file_name() else {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "it does not end in a file name",
                    ));
                };
                let parent = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                let dir = fs::canonicalize(parent).map_err(|e| {
                    let why = if e.kind() == io::ErrorKind::NotFound {
                        "does not exist".to_owned()
                    } else {
                        format!("cannot be used: {e}")
                    };
                    io::Error::new(
                        e.kind(),
                        format!("its directory {} {why}", parent.display()),
                    )
                })?;
                if !dir.is_dir() {
                    return Err(io::Error::new(
                        io::ErrorKind::NotADirectory,
                        format!("{} is not a directory", parent.display()),
                    ));
                }
                let file = dir.join(name);
                Ok(Self::File { dir, file })
            }
            Err(e) => Err(e),
        }
    }

    /// The file written (for a regular file, with symbolic links resolved).
    pub fn path(&self) -> &Path {
        match self {
            Self::File { file, .. } => file,
            Self::Direct(path) => path,
        }
    }
}

/// Writes `bytes` to `path` atomically (see the [module](self)).
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, |w| w.write_all(bytes))
}

/// Writes what `fill` writes to `path` atomically: if `fill` fails part way, or the disk
/// does, the destination keeps its old contents and no temporary file is left.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    match Destination::of(path)? {
        Destination::Direct(path) => {
            let mut out = OpenOptions::new().write(true).open(&path)?;
            fill(&mut out)?;
            out.flush()
        }
        Destination::File { dir, file } => replace(&dir, &file, fill),
    }
}

/// A temporary file that is removed unless it was renamed into place.
struct Temporary {
    path: PathBuf,
    kept: bool,
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Distinguishes the temporary files of one process.
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Creates a new temporary file in `dir` for the file named `name`, exclusively.
fn create_temporary(dir: &Path, name: &Path) -> io::Result<(File, Temporary)> {
    loop {
        let mut tmp_name = OsString::from(".");
        tmp_name.push(name.file_name().unwrap_or(name.as_os_str()));
        tmp_name.push(format!(
            ".{}-{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let path = dir.join(tmp_name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => return Ok((f, Temporary { path, kept: false })),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Checks that a new file can be created in `dir` (by creating and removing one): the
/// directory exists, is a directory and is writable, as [`write()`] will need it to be.
pub fn probe_directory(dir: &Path, name: &Path) -> io::Result<()> {
    let (file, tmp) = create_temporary(dir, name)?;
    drop(file);
    drop(tmp);
    Ok(())
}

/// Writes through a temporary file in `dir` and renames it over `file`.
fn replace(
    dir: &Path,
    file: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let (mut out, mut tmp) = create_temporary(dir, file)?;
    if let Ok(old) = fs::metadata(file) {
        out.set_permissions(old.permissions())?;
    }
    fill(&mut out)?;
    out.flush()?;
    out.sync_all()?;
    drop(out);
    fs::rename(&tmp.path, file)?;
    tmp.kept = true;
    sync_directory(dir)
}

/// Syncs a directory, so that a rename in it is on the disk. File systems that cannot sync
/// a directory (an `EINVAL` on some network and FUSE file systems) are left as they are.
#[cfg(unix)]
fn sync_directory(dir: &Path) -> io::Result<()> {
    match File::open(dir).and_then(|d| d.sync_all()) {
        Err(e)
            if e.kind() == io::ErrorKind::InvalidInput
                || e.kind() == io::ErrorKind::Unsupported =>
        {
            Ok(())
        }
        other => other,
    }
}

/// Directories cannot be opened as files here; the rename is as durable as the system makes
/// it.
#[cfg(not(unix))]
fn sync_directory(_: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("skipgrad-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .expect("lists")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_or_keeps_the_old_file() {
        let dir = scratch("replace");
        let path = dir.join("w.bin");
        write(&path, b"old").expect("writes");
        write(&path, b"new contents").expect("replaces");
        assert_eq!(fs::read(&path).expect("reads"), b"new contents");
        // A writer that fails part way: the old file stays, no temporary file is left.
        let err = write_with(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("the disk failed"))
        })
        .expect_err("fails");
        assert_eq!(err.to_string(), "the disk failed");
        assert_eq!(fs::read(&path).expect("reads"), b"new contents");
        assert_eq!(entries(&dir), ["w.bin"]);
        fs::remove_dir_all(&dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions_and_follows_links() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = scratch("links");
        let target = dir.join("target.bin");
        write(&target, b"a").expect("writes");
        fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).expect("chmod");
        let link = dir.join("link.bin");
        std::os::unix::fs::symlink(&target, &link).expect("a link");
        write(&link, b"b").expect("writes through the link");
        assert!(fs::symlink_metadata(&link)
            .expect("stat")
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&target).expect("reads"), b"b");
        let mode = fs::metadata(&target).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        assert_eq!(entries(&dir), ["link.bin", "target.bin"]);
        fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn destinations() {
        let dir = scratch("destinations");
        assert!(Destination::of(&dir).is_err(), "a directory");
        assert!(Destination::of(&dir.join("no/such/x")).is_err());
        let file = dir.join("f");
        fs::write(&file, b"x").expect("writes");
        assert!(Destination::of(&file.join("x")).is_err(), "under a file");
        assert!(matches!(
            Destination::of(&dir.join("new")),
            Ok(Destination::File { .. })
        ));
        #[cfg(unix)]
        assert_eq!(
            Destination::of(Path::new("/dev/null")).expect("a device"),
            Destination::Direct(PathBuf::from("/dev/null"))
        );
        fs::remove_dir_all(&dir).ok();
    }
}
