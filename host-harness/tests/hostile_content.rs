//! Hostile content and resources (items 10 to 12 of the reliability review): text from a
//! file is printed escaped, a file is never read further than its header declares, and a
//! header holds one `__metadata__` at most.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{arg, fails, fixture, scratch, stderr, BIN};
use serde_json::Value;

/// The header and the data of a safetensors file.
fn split(bytes: &[u8]) -> (String, Vec<u8>) {
    let len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header = String::from_utf8(bytes[8..8 + len].to_vec()).expect("UTF-8");
    (header, bytes[8 + len..].to_vec())
}

/// A safetensors file of `header` and `data`.
fn join(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// The fixture `file` with one more tensor, named `name`, of one `F32` (an error for every
/// loader: the model does not declare it).
fn with_extra_tensor(file: &str, name: &str) -> Vec<u8> {
    let (header, mut data) = split(&fs::read(fixture(file)).expect("the fixture"));
    let mut h: serde_json::Map<String, Value> = serde_json::from_str(&header).expect("JSON");
    let end = data.len();
    h.insert(
        name.to_owned(),
        serde_json::json!({"dtype": "F32", "shape": [1], "data_offsets": [end, end + 4]}),
    );
    data.extend_from_slice(&1f32.to_le_bytes());
    join(&Value::Object(h).to_string(), &data)
}

/// The fixture `file` with the dtype of its first tensor replaced by `dtype`.
fn with_dtype(file: &str, dtype: &str) -> Vec<u8> {
    let (header, data) = split(&fs::read(fixture(file)).expect("the fixture"));
    let quoted = serde_json::to_string(dtype).expect("JSON");
    join(&header.replacen("\"F32\"", &quoted, 1), &data)
}

/// Item 10: a name or a dtype holding a terminal escape and a newline is printed escaped by
/// every command that reads the file: no control character reaches the terminal, and the
/// name cannot print a line of its own.
#[test]
fn file_text_is_printed_escaped() {
    let dir = scratch("hostile-escaped");
    let evil = "x\u{1b}[2K\r\nerror: everything is fine\u{1b}[0m";
    let shown = r"x\u{1b}[2K\r\nerror: everything is fine\u{1b}[0m";
    let out_image = dir.join("out.skgi");
    for (what, make) in [
        ("name", with_extra_tensor as fn(&str, &str) -> Vec<u8>),
        ("dtype", with_dtype),
    ] {
        let notebook = dir.join(format!("{what}-notebook.safetensors"));
        fs::write(&notebook, make("notebook.safetensors", evil)).expect("writes");
        let train = dir.join(format!("{what}-train.safetensors"));
        fs::write(&train, make("train.safetensors", evil)).expect("writes");
        let runs: [Vec<&str>; 3] = [
            vec!["import", arg(&notebook)],
            vec!["convert", arg(&notebook), arg(&out_image)],
            vec![
                "train",
                "--depth",
                "2",
                "--width",
                "8",
                "--steps",
                "1",
                "--load",
                arg(&train),
            ],
        ];
        for args in runs {
            let out = fails(&args, 1, shown);
            let err = stderr(&out);
            assert!(
                !err.chars().any(|c| c.is_control() && c != '\n'),
                "{what} {args:?}: {err:?}"
            );
            assert_eq!(err.lines().count(), 1, "{what} {args:?}: {err:?}");
            assert!(!out_image.exists());
        }
    }
}

/// Runs the binary with at most 1 GB of address space (the command before the fix read
/// `/dev/zero` until memory ran out; with the limit it aborts instead of taking the machine).
#[cfg(unix)]
fn run_limited(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 1000000 && exec "$0" "$@""#)
        .arg(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("sh runs")
}

/// Item 11: `/dev/zero` and 2 GiB sparse files are refused after reading a few bytes: the
/// declared sizes are checked against the file and the stated limit (64 MiB) before any data
/// is read, and a device image is read no further than one byte past the network's image.
#[cfg(unix)]
#[test]
fn files_are_read_no_further_than_declared() {
    let dir = scratch("hostile-sizes");
    let two_gib = 2u64 << 30;
    let sparse = |name: &str, start: &[u8]| {
        let path = dir.join(name);
        fs::write(&path, start).expect("writes");
        fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(two_gib))
            .expect("a sparse file");
        path
    };
    let zeros = sparse("zeros.safetensors", &[]);
    let valid_start = sparse(
        "valid-start.safetensors",
        &fs::read(fixture("notebook.safetensors")).expect("the fixture"),
    );
    let declared = sparse(
        "declared.safetensors",
        &join(
            &format!(
                r#"{{"x":{{"dtype":"U8","shape":[{n}],"data_offsets":[0,{n}]}}}}"#,
                n = two_gib - 80
            ),
            &[],
        ),
    );
    let image = sparse(
        "long.skgi",
        &fs::read(fixture("notebook.skgi")).expect("the fixture"),
    );
    let out_dir = scratch("hostile-sizes-out");
    let out = out_dir.join("out");
    let cases: [(Vec<&str>, String); 6] = [
        (vec!["import", "/dev/zero"], "its length is 0".into()),
        (
            vec!["convert", "/dev/zero", arg(&out)],
            "its length is 0".into(),
        ),
        (vec!["import", arg(&zeros)], "its length is 0".into()),
        (
            vec!["import", arg(&valid_start)],
            format!("the header declares a file of 944 bytes, the file has {two_gib}"),
        ),
        (
            vec!["train", "--load", arg(&declared)],
            "over the limit of 67108864 bytes".into(),
        ),
        (
            vec!["convert", arg(&image), arg(&out)],
            format!("the file has {two_gib} bytes, an image of this network is 232 bytes"),
        ),
    ];
    for (args, needle) in cases {
        let out = run_limited(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(&needle), "{args:?}: {err}");
    }
    assert!(!Path::new(&out).exists());
    let _ = fs::remove_dir_all(&dir);
}

/// Item 12: a second `__metadata__` is refused, also after an empty first one.
#[test]
fn a_second_metadata_is_refused() {
    let dir = scratch("hostile-metadata");
    let (header, data) = split(&fs::read(fixture("notebook.safetensors")).expect("the fixture"));
    for extra in [r#""__metadata__":{},"#, r#""__metadata__":{"a":"b"},"#] {
        let mut h = header.trim_end().to_owned();
        let at = h.find('{').expect("an object") + 1;
        h.insert_str(at, extra);
        // A second one at the end, after whatever the file had.
        let close = h.rfind('}').expect("an object");
        h.insert_str(close, r#","__metadata__":{"format":"pt"}"#);
        let path = dir.join("two-metadata.safetensors");
        fs::write(&path, join(&h, &data)).expect("writes");
        fails(&["import", arg(&path)], 1, "`__metadata__` appears twice");
    }
}
