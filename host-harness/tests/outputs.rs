//! Nothing a user saves is lost: every file a command writes is written atomically, every
//! output is checked before the work starts, and a failing run or write leaves the user's
//! files as they were (items 1 to 4 of the reliability review, and `convert`'s summary,
//! item 12).

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{arg, fails, fixture, listing, ok, run, scratch, stderr, stdout, BIN};

/// Item 1: a write that fails part way (the disk, or the writer) leaves the old file as it
/// was and no temporary file beside it.
#[test]
fn a_write_that_fails_part_way_leaves_the_old_file() {
    let dir = scratch("outputs-fail-part-way");
    let path = dir.join("w.safetensors");
    fs::write(&path, b"the user's weights").expect("writes");
    let mut written = 0;
    let e = skipgrad_harness::atomic::write_with(&path, |w| {
        for chunk in [&b"new "[..], b"weig"] {
            w.write_all(chunk)?;
            written += chunk.len();
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "no space left",
        ))
    })
    .expect_err("the write fails");
    assert_eq!(e.kind(), std::io::ErrorKind::StorageFull);
    assert_eq!(written, 8, "the failure came part way");
    assert_eq!(fs::read(&path).expect("reads"), b"the user's weights");
    assert_eq!(listing(&dir), ["w.safetensors"]);
    skipgrad_harness::atomic::write(&path, b"new weights").expect("writes");
    assert_eq!(fs::read(&path).expect("reads"), b"new weights");
    assert_eq!(listing(&dir), ["w.safetensors"]);
}

/// Items 1 and 3 on a real full file system: a 16 KiB tmpfs, mounted in a user and mount
/// namespace (`unshare`), where the old files take a page each and a filler takes the rest.
/// `convert` and `train --save` fail with exit status 1, the old files are intact and no
/// temporary file is left; `train` prints its results before the error. Skipped where the
/// system allows no such namespace.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_keeps_the_old_files() {
    let dir = scratch("outputs-full-disk");
    let (mnt, out) = (dir.join("mnt"), dir.join("out"));
    fs::create_dir_all(&mnt).expect("a mount point");
    fs::create_dir_all(&out).expect("a directory");
    // train's default network: its image (8,924 bytes) needs more pages than are free.
    let input = dir.join("train.safetensors");
    ok(&["train", "--steps", "1", "--save", arg(&input)]);
    let script = r#"
        mount -t tmpfs -o size=16k tmpfs "$MNT" || exit 0
        : > "$OUT/mounted"
        printf precious > "$MNT/w.skgi"
        printf precious > "$MNT/w.safetensors"
        dd if=/dev/zero of="$MNT/fill" bs=1024 2>/dev/null
        "$BIN" convert "$IN" "$MNT/w.skgi" --network train >"$OUT/convert.out" 2>"$OUT/convert.err"
        echo $? > "$OUT/convert.status"
        "$BIN" train --steps 1 --save "$MNT/w.safetensors" >"$OUT/train.out" 2>"$OUT/train.err"
        echo $? > "$OUT/train.status"
        ls -A "$MNT" > "$OUT/listing"
        cp "$MNT/w.skgi" "$MNT/w.safetensors" "$OUT/"
    "#;
    let ran = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .env("MNT", &mnt)
        .env("OUT", &out)
        .env("IN", &input)
        .env("BIN", BIN)
        .stdin(Stdio::null())
        .status();
    if !ran.is_ok_and(|s| s.success()) || !out.join("mounted").exists() {
        eprintln!("no user and mount namespace for a small tmpfs here: skipped");
        return;
    }
    let read = |name: &str| {
        String::from_utf8_lossy(&fs::read(out.join(name)).expect("the script's output"))
            .into_owned()
    };
    assert_eq!(
        read("listing").split_whitespace().collect::<Vec<_>>(),
        ["fill", "w.safetensors", "w.skgi"]
    );
    for (command, file) in [("convert", "w.skgi"), ("train", "w.safetensors")] {
        let err = read(&format!("{command}.err"));
        assert_eq!(
            read(&format!("{command}.status")).trim(),
            "1",
            "{command}: {err}"
        );
        assert!(err.contains("No space left on device"), "{command}: {err}");
        assert!(!err.contains("panicked"), "{command}: {err}");
        let kept = fs::read(out.join(file)).expect("the copy");
        assert!(
            kept == b"precious",
            "{command} damaged {file}: {} bytes",
            kept.len()
        );
    }
    // The results of the run came before the failed write.
    let text = read("train.out");
    assert!(text.contains("with shortcuts: loss"), "{text}");
    assert!(read("train.err").contains("writing --save"));
}

/// Items 3 and 1: a final write that fails (`--save /dev/full`: not a regular file, so it is
/// written directly) comes after the results are printed, in text and in JSON.
#[cfg(target_os = "linux")]
#[test]
fn a_failing_final_write_comes_after_the_results() {
    let base = [
        "train",
        "--depth",
        "2",
        "--width",
        "8",
        "--steps",
        "5",
        "--save",
        "/dev/full",
    ];
    let out = fails(
        &base,
        1,
        "writing --save /dev/full: No space left on device",
    );
    let text = stdout(&out);
    assert!(
        text.contains("with shortcuts: loss 7.2001e-1 -> final loss"),
        "{text}"
    );
    let json = fails(
        &[&base[..], &["--json"]].concat(),
        1,
        "No space left on device",
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON object");
    assert_eq!(v["steps"], 5);
}

/// Item 1: an output that is not a regular file is written directly, never renamed over:
/// `convert IN /dev/stdout` prints exactly the converted bytes (the summary goes to
/// standard error, item 12), and `/dev/null` stays a device.
#[cfg(unix)]
#[test]
fn outputs_that_are_not_files_are_written_directly() {
    let image = fs::read(fixture("notebook.skgi")).expect("the fixture");
    let out = ok(&[
        "convert",
        arg(&fixture("notebook.safetensors")),
        "/dev/stdout",
    ]);
    assert_eq!(out.stdout, image, "standard output is the image alone");
    assert!(
        stderr(&out).contains("device image, 232 bytes"),
        "{}",
        stderr(&out)
    );
    ok(&[
        "convert",
        arg(&fixture("notebook.safetensors")),
        "/dev/null",
    ]);
    ok(&["seed", "--plot", "/dev/null"]);
    use std::os::unix::fs::FileTypeExt as _;
    let null = fs::metadata("/dev/null").expect("/dev/null");
    assert!(null.file_type().is_char_device());
}

/// Item 2: two outputs that are the same file, or an output that is an input, are usage
/// errors before any work, whatever the spelling (`./`, `..`, a symbolic link, a hard link),
/// and the files are untouched.
#[test]
fn outputs_may_not_overwrite_inputs_or_each_other() {
    let dir = scratch("outputs-same-file");
    let d = arg(&dir);
    let w = dir.join("w.safetensors");
    fs::copy(fixture("train.safetensors"), &w).expect("copies");
    let before = fs::read(&w).expect("reads");
    let shape = ["--depth", "2", "--width", "8", "--steps", "3"];
    fn with<'a>(shape: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        [&["train"][..], shape, extra].concat()
    }
    let w_s = arg(&w);
    let dotted = format!("{d}/./w.safetensors");
    let up = format!(
        "{d}/../{}/w.safetensors",
        dir.file_name().and_then(|n| n.to_str()).expect("a name")
    );
    let x = format!("{d}/x.safetensors");
    let x_dotted = format!("{d}/./x.safetensors");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            with(&shape, &["--load", w_s, "--plot", w_s]),
            "is the input --load",
        ),
        (
            with(&shape, &["--load", w_s, "--plot", &dotted]),
            "is the input --load",
        ),
        (
            with(&shape, &["--load", w_s, "--save", &up]),
            "is the input --load",
        ),
        (
            with(&shape, &["--save", &x, "--plot", &x_dotted]),
            "are the same file",
        ),
        (
            vec![
                "convert",
                w_s,
                w_s,
                "--network",
                "train",
                "--depth",
                "2",
                "--width",
                "8",
            ],
            "is the input IN",
        ),
        (vec!["convert", w_s, &dotted], "is the input IN"),
    ];
    #[cfg(unix)]
    let (link, hard) = {
        let link = dir.join("link.safetensors");
        std::os::unix::fs::symlink(&w, &link).expect("a symbolic link");
        let hard = dir.join("hard.safetensors");
        fs::hard_link(&w, &hard).expect("a hard link");
        (link, hard)
    };
    #[cfg(unix)]
    let cases = {
        let mut cases = cases;
        cases.push((
            with(&shape, &["--load", w_s, "--plot", arg(&link)]),
            "is the input --load",
        ));
        cases.push((
            with(&shape, &["--load", arg(&hard), "--save", w_s]),
            "is the input --load",
        ));
        cases
    };
    for (args, needle) in &cases {
        let out = fails(args, 2, needle);
        assert!(out.stdout.is_empty(), "{args:?} trained");
        assert_eq!(
            fs::read(&w).expect("reads"),
            before,
            "{args:?} changed the input"
        );
        assert!(!Path::new(&x).exists(), "{args:?} wrote an output");
    }
}

/// Item 3: an output that cannot be written is found before the first step: a directory
/// that does not exist, a file where a directory should be, a directory as the file, and
/// a read-only file. Usage errors (exit status 2) that name the flag; nothing is trained.
#[test]
fn unwritable_outputs_are_found_before_training() {
    let dir = scratch("outputs-unwritable");
    let file = dir.join("a-file");
    fs::write(&file, b"x").expect("writes");
    let read_only = dir.join("read-only.safetensors");
    fs::write(&read_only, b"kept").expect("writes");
    let mut perms = fs::metadata(&read_only).expect("stat").permissions();
    perms.set_readonly(true);
    fs::set_permissions(&read_only, perms).expect("chmod");
    let missing = dir.join("no/such/dir/w.safetensors");
    let under_file = file.join("w.svg");
    let shape = ["train", "--depth", "2", "--width", "8", "--steps", "20"];
    let cases: [(&str, &Path, &str); 5] = [
        ("--save", &missing, "does not exist"),
        ("--plot", &missing, "does not exist"),
        ("--save", &under_file, "cannot be written"),
        ("--plot", &dir, "it is a directory"),
        ("--save", &read_only, "read-only"),
    ];
    for (flag, path, needle) in cases {
        let args = [&shape[..], &[flag, arg(path)]].concat();
        let out = fails(&args, 2, needle);
        assert!(stderr(&out).contains(&format!("{flag} {}", path.display())));
        assert!(out.stdout.is_empty(), "{args:?} trained first");
    }
    fails(&["seed", "--plot", arg(&missing)], 2, "does not exist");
    fails(
        &[
            "convert",
            arg(&fixture("notebook.safetensors")),
            arg(&missing),
        ],
        2,
        "does not exist",
    );
    assert_eq!(fs::read(&read_only).expect("reads"), b"kept");
}

/// Item 4: when the compared run of `--plot` is refused, nothing is written (the old
/// `--save` file stays, no plot), the requested run's results are printed, and the error
/// names the run that failed. Without shortcuts at lr 1 the network trains for 10 steps;
/// with them it is refused at step 4.
#[test]
fn a_failing_comparison_run_writes_nothing_and_keeps_the_results() {
    let dir = scratch("outputs-compared-run");
    let (save, plot) = (dir.join("w.safetensors"), dir.join("curves.svg"));
    fs::write(&save, b"the user's weights").expect("writes");
    let args = [
        "train",
        "--depth",
        "2",
        "--width",
        "8",
        "--steps",
        "10",
        "--lr",
        "1",
        "--no-shortcut",
        "--save",
        arg(&save),
        "--plot",
        arg(&plot),
    ];
    let out = fails(
        &args,
        1,
        "the compared run with shortcuts (for --plot); nothing was written",
    );
    assert!(stderr(&out).contains("step 4 refused"), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("without shortcuts: loss"), "{text}");
    assert!(!text.contains("  with shortcuts"), "{text}");
    assert_eq!(fs::read(&save).expect("reads"), b"the user's weights");
    assert_eq!(listing(&dir), ["w.safetensors"]);
    // The requested run failing is named too.
    let out = run(&[
        "train", "--depth", "2", "--width", "8", "--steps", "10", "--lr", "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("error: the run with shortcuts: step 4 refused"),
        "{}",
        stderr(&out)
    );
}

/// Item 1 with success: `train --save --plot` and `convert` replace an existing file
/// completely, and leave nothing else in the directory.
#[test]
fn outputs_replace_old_files_whole() {
    let dir = scratch("outputs-replace");
    let (save, plot, image) = (
        dir.join("w.safetensors"),
        dir.join("c.svg"),
        dir.join("w.skgi"),
    );
    for p in [&save, &plot, &image] {
        fs::write(p, vec![b'x'; 100_000]).expect("writes");
    }
    let args = [
        "train",
        "--depth",
        "2",
        "--width",
        "8",
        "--steps",
        "3",
        "--save",
        arg(&save),
        "--plot",
        arg(&plot),
    ];
    let out = ok(&args);
    assert!(stdout(&out).contains(&format!("plot: {}", plot.display())));
    let svg = fs::read_to_string(&plot).expect("the plot");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    ok(&[
        "convert",
        arg(&save),
        arg(&image),
        "--network",
        "train",
        "--depth",
        "2",
        "--width",
        "8",
    ]);
    assert_eq!(fs::read(&image).expect("reads")[..4], *b"SKGI");
    assert!(fs::metadata(&image).expect("stat").len() < 100_000);
    assert_eq!(listing(&dir), ["c.svg", "w.safetensors", "w.skgi"]);
}
