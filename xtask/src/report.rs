//! Reading what firmware prints: a report between two marker lines, compared line by line
//! with the host's, and `<prefix><key> 0x<word>` measurement lines.

use std::collections::BTreeMap;

use anyhow::Context as _;

use crate::targets::Target;

/// The lines from the `begin` marker to the `end` marker, inclusive (trailing spaces
/// dropped); `None` unless both are present in that order.
pub fn lines_between(text: &str, begin: &str, end: &str) -> Option<Vec<String>> {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let b = lines.iter().position(|l| *l == begin)?;
    let e = lines.iter().position(|l| *l == end)?;
    (b < e).then(|| lines[b..=e].iter().map(|l| (*l).to_owned()).collect())
}

/// Fails at the first line where the device differs from the host, or on a different count.
pub fn compare(t: &Target, what: &str, host: &[String], device: &[String]) -> anyhow::Result<()> {
    for (i, (h, d)) in host.iter().zip(device).enumerate() {
        anyhow::ensure!(
            h == d,
            "{}: {what} line {} differs from the host\n  host:   {h}\n  device: {d}",
            t.triple,
            i + 1
        );
    }
    anyhow::ensure!(
        host.len() == device.len(),
        "{}: {what} has {} lines on the device, {} on the host",
        t.triple,
        device.len(),
        host.len()
    );
    Ok(())
}

/// Every `<prefix><key> 0x<word>` line: key to word. A key seen twice, or a word that is not
/// 32-bit hex, is an error.
pub fn hex_words(text: &str, prefix: &str) -> anyhow::Result<BTreeMap<String, u32>> {
    let mut words = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix(prefix) else {
            continue;
        };
        let (key, value) = rest.split_once(' ').context("a line without a value")?;
        let v = hex_word(value.trim())?;
        anyhow::ensure!(
            words.insert(key.to_owned(), v).is_none(),
            "`{prefix}{key}` printed twice"
        );
    }
    Ok(words)
}

/// A 32-bit hex word as the firmware prints it, `0x` optional.
pub fn hex_word(word: &str) -> anyhow::Result<u32> {
    let digits = word.strip_prefix("0x").unwrap_or(word);
    u32::from_str_radix(digits, 16).with_context(|| format!("`{word}` is not a hex word"))
}

/// The `metric <key> <value>` lines of a report, in order.
pub fn metrics(lines: &[String]) -> anyhow::Result<Vec<(String, f64)>> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("metric "))
        .map(|rest| {
            let (key, value) = rest.split_once(' ').context("a metric without a value")?;
            let v: f64 = value
                .parse()
                .with_context(|| format!("metric `{key}`: `{value}` is not a number"))?;
            anyhow::ensure!(v.is_finite(), "metric `{key}` is not finite");
            Ok((key.to_owned(), v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::TARGETS;

    #[test]
    fn lines_are_cut_at_the_markers() {
        let text = "boot noise\nB\ngrad a 1 0x3f800000\nE\ntrailing\n";
        let lines = lines_between(text, "B", "E").expect("markers present");
        assert_eq!(lines, ["B", "grad a 1 0x3f800000", "E"]);
        assert_eq!(lines_between("no markers", "B", "E"), None);
        assert_eq!(lines_between("E\nB\n", "B", "E"), None);
    }

    #[test]
    fn compare_fails_on_one_bit_and_on_missing_lines() {
        let host = vec!["loss 0 0.5 0x3f000000".to_owned(), "end".to_owned()];
        let cases: [(&[&str], bool); 4] = [
            (&["loss 0 0.5 0x3f000000", "end"], true),
            (&["loss 0 0.5 0x3f000001", "end"], false),
            (&["loss 0 0.5 0x3f000000"], false),
            (&["loss 0 0.5 0x3f000000", "end", "extra"], false),
        ];
        for (device, ok) in cases {
            let device: Vec<String> = device.iter().map(|s| (*s).to_owned()).collect();
            assert_eq!(
                compare(&TARGETS[1], "demo", &host, &device).is_ok(),
                ok,
                "{device:?}"
            );
        }
    }

    #[test]
    fn hex_words_parse_and_reject() {
        let words = hex_words(
            "measure steps 0x10\nnoise\nmeasure peak_stack 0x200\n",
            "measure ",
        )
        .expect("valid");
        assert_eq!(words.get("steps"), Some(&16));
        assert_eq!(words.get("peak_stack"), Some(&512));
        assert!(hex_words("measure steps 0xzz\n", "measure ").is_err());
        assert!(hex_words("measure steps 0x1\nmeasure steps 0x2\n", "measure ").is_err());
    }

    #[test]
    fn metrics_parse_and_reject() {
        let lines: Vec<String> = ["x", "metric accuracy 0.96875", "metric loss 1e-5"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let m = metrics(&lines).expect("valid");
        assert_eq!(
            m,
            [("accuracy".to_owned(), 0.96875), ("loss".to_owned(), 1e-5)]
        );
        assert!(metrics(&["metric loss nan".to_owned()]).is_err());
        assert!(metrics(&["metric loss".to_owned()]).is_err());
    }
}
