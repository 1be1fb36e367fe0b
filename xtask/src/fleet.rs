//! The Flower fleet's device client (`skipgrad_scenarios::fleet`, `fleet/`):
//!
//! - in `cargo xtask mcu`, on every target with the RAM for it: one round (the committed
//!   host-trained image as the global model, a partition of the first [`CHECK_SAMPLES`]
//!   training digits and the test set, [`CHECK_EPOCHS`] epochs) run under QEMU with its job
//!   and files given through semihosting, compared line for line with the host running the
//!   same [`fleet::run`], and its returned image loaded with the core's checks;
//! - `cargo xtask fleet --clients N --out DIR`: the fleet's files (each device's partition of
//!   the digits, all of them, the initial model's image) and the client built for the
//!   Cortex-M4F (what `fleet/run.sh` runs under QEMU).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use skipgrad::params::image;
use skipgrad::Zeroed;
use skipgrad_digits::partition::{self, Skew};
use skipgrad_digits::{defaults, writer, Digits, Net, Sample, CLASSES};
use skipgrad_scenarios::digits_adapt::image_from_lines;
use skipgrad_scenarios::fleet::{self, Job, IMAGE_BYTES, NAME};

use crate::qemu;
use crate::report;
use crate::targets::{Target, TARGETS};
use crate::toolchain;

/// Training samples of the checked round's partition.
pub const CHECK_SAMPLES: usize = 160;
/// Epochs of the checked round.
pub const CHECK_EPOCHS: u32 = 2;
/// The checked round's batch-order seed.
pub const CHECK_SEED: u64 = 7;
/// The checked round's learning rate, as the command line gives it.
pub const CHECK_LR: &str = "0.01";
/// RAM a target needs to run the client: the two file buffers and the training state.
pub const RAM_BYTES: u64 = 512 * 1024;
/// The target `fleet/run.sh` runs the client on.
pub const FLEET_TRIPLE: &str = "thumbv7em-none-eabihf";

/// A digits file of the first `train` training samples of the committed set and all its test
/// samples, written with the digits crate's writer.
pub fn partition(train: usize) -> anyhow::Result<Vec<u8>> {
    let digits = Digits::embedded()?;
    let mut out = vec![0u8; writer::bytes(train, digits.test().len())];
    let len = writer::write(
        digits.train().iter().take(train),
        digits.test().iter(),
        &mut out,
    )
    .map_err(|e| anyhow::anyhow!("the checked partition: {e}"))?;
    out.truncate(len);
    Ok(out)
}

/// The checked round's command line, its files written to `dir`: the committed host-trained
/// image (`digits/data/trained.skgi`) as the global model, and [`partition()`].
fn job_words(root: &Path, dir: &Path) -> anyhow::Result<(Vec<String>, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let trained = root.join("digits/data/trained.skgi");
    let global = dir.join("global.skgi");
    std::fs::copy(&trained, &global)
        .with_context(|| format!("copying {} to {}", trained.display(), global.display()))?;
    let part = dir.join("partition.skgd");
    std::fs::write(&part, partition(CHECK_SAMPLES)?)
        .with_context(|| format!("writing {}", part.display()))?;
    let words = vec![
        NAME.to_owned(),
        "global.skgi".to_owned(),
        "partition.skgd".to_owned(),
        CHECK_EPOCHS.to_string(),
        CHECK_SEED.to_string(),
        CHECK_LR.to_owned(),
    ];
    Ok((words, dir.to_path_buf()))
}

/// The host's report of the checked round.
fn host_report(dir: &Path, words: &[String]) -> anyhow::Result<Vec<String>> {
    let line = words.join(" ");
    let job = Job::parse(&line).map_err(|e| anyhow::anyhow!("the checked job: {e}"))?;
    let global = std::fs::read(dir.join(job.global))?;
    let part = std::fs::read(dir.join(job.partition))?;
    let mut text = String::new();
    let ok = fleet::run(&mut text, &job, &global, &part)
        .map_err(|_| anyhow::anyhow!("formatting the fleet client's report"))?;
    anyhow::ensure!(ok, "the fleet client's round failed on the host\n{text}");
    lines(&text).context("the host's fleet-client report")
}

/// The report's lines, markers included.
fn lines(text: &str) -> Option<Vec<String>> {
    report::lines_between(
        text,
        &format!("skipgrad-{NAME} begin"),
        &format!("skipgrad-{NAME} end"),
    )
}

/// Runs the checked round on `t` and compares it with the host's; returns false when the
/// target has too little RAM to run it.
pub fn check(t: &Target, bin: &Path, root: &Path) -> anyhow::Result<bool> {
    if t.ram_bytes < RAM_BYTES {
        return Ok(false);
    }
    let dir = root.join("target/fleet-check");
    let (words, dir) = job_words(root, &dir)?;
    let host = host_report(&dir, &words)?;
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    let run = qemu::run_with(t, &bin.join(NAME), false, &args, Some(&dir))?;
    let device = lines(&run.stdout).with_context(|| {
        format!(
            "{}: no complete {NAME} report\n{}{}",
            t.triple, run.stdout, run.stderr
        )
    })?;
    report::compare(t, NAME, &host, &device)?;
    anyhow::ensure!(run.success, "{}: {NAME} exited with failure", t.triple);
    let bytes = image_from_lines(device.iter().map(String::as_str))
        .with_context(|| format!("{}: {NAME}: the returned image's lines", t.triple))?;
    let mut net: Box<Net> = Box::new(Zeroed::ZERO);
    image::load(&mut *net, &bytes[..])
        .map_err(|e| anyhow::anyhow!("{}: {NAME}: the returned image: {e}", t.triple))?;
    Ok(true)
}

/// `cargo xtask fleet --clients N --out DIR`: everything `fleet/run.sh` needs, in `DIR`
/// ([`write_data`]), and the device client built for [`FLEET_TRIPLE`]; prints one JSON
/// object: `{"elf", "initial", "all", "partitions": [{"path", "samples", "per_digit"}]}`.
pub fn command(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let (mut clients, mut out) = (None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--clients" => {
                clients = Some(
                    value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=partition::MAX_DEVICES).contains(n))
                        .with_context(|| {
                            format!(
                                "--clients must be 1 to {}, got {value:?}",
                                partition::MAX_DEVICES
                            )
                        })?,
                )
            }
            "--out" => out = Some(PathBuf::from(value)),
            other => anyhow::bail!("unknown flag {other:?} for `fleet`"),
        }
    }
    let (Some(clients), Some(out)) = (clients, out) else {
        anyhow::bail!("usage: cargo xtask fleet --clients N --out DIR");
    };
    let data = write_data(clients, &out)?;
    let elf = build_client(root)?;
    let manifest = serde_json::json!({
        "elf": elf,
        "initial": data.initial,
        "all": data.all,
        "partitions": data.partitions.iter().map(|p| serde_json::json!({
            "path": p.path,
            "samples": p.samples,
            "per_digit": p.per_digit,
        })).collect::<Vec<_>>(),
    });
    println!("{manifest}");
    Ok(())
}

/// One device's partition file.
pub struct PartitionFile {
    /// Where it was written.
    pub path: PathBuf,
    /// Its training samples.
    pub samples: usize,
    /// Its training samples of each digit.
    pub per_digit: [usize; CLASSES],
}

/// The files of a fleet.
pub struct FleetData {
    /// The global model's first image: the default network's initial weights
    /// (`defaults::initial(defaults::SEED)`, as the centralised run starts).
    pub initial: PathBuf,
    /// Every training sample and the test set (the centralised run's data).
    pub all: PathBuf,
    /// `part-<k>.skgd`: device `k`'s training samples ([`partition::owners`] with
    /// [`Skew::DEFAULT`]) and the whole test set, in the digits crate's format.
    pub partitions: Vec<PartitionFile>,
}

/// Writes the fleet's files into `out` (created if missing) with the digits crate's writer.
pub fn write_data(clients: usize, out: &Path) -> anyhow::Result<FleetData> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let out = &std::path::absolute(out).with_context(|| format!("{}", out.display()))?;
    let digits = Digits::embedded()?;
    let (train, test) = (digits.train(), digits.test());
    let mut owners = vec![0u16; train.len()];
    let mut scratch = vec![0u16; train.len()];
    partition::owners(train, clients, Skew::DEFAULT, &mut owners, &mut scratch)
        .map_err(|e| anyhow::anyhow!("partitioning: {e}"))?;
    let write = |name: &str, samples: &[Sample<'_>]| -> anyhow::Result<PathBuf> {
        let mut bytes = vec![0u8; writer::bytes(samples.len(), test.len())];
        let len = writer::write(samples.iter().copied(), test.iter(), &mut bytes)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let path = out.join(name);
        std::fs::write(&path, &bytes[..len])
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    };
    let every: Vec<Sample<'_>> = train.iter().collect();
    let all = write("all.skgd", &every)?;
    let mut partitions = Vec::with_capacity(clients);
    for k in 0..clients {
        let mine: Vec<Sample<'_>> = train
            .iter()
            .zip(&owners)
            .filter(|&(_, &o)| usize::from(o) == k)
            .map(|(s, _)| s)
            .collect();
        let mut per_digit = [0; CLASSES];
        mine.iter().for_each(|s| per_digit[s.class()] += 1);
        partitions.push(PartitionFile {
            path: write(&format!("part-{k}.skgd"), &mine)?,
            samples: mine.len(),
            per_digit,
        });
    }
    let initial = out.join("initial.skgi");
    let net: Box<Net> = Box::new(defaults::initial(defaults::SEED));
    let mut bytes = vec![0u8; IMAGE_BYTES];
    image::save(&*net, &mut bytes).map_err(|e| anyhow::anyhow!("the initial image: {e}"))?;
    std::fs::write(&initial, &bytes).with_context(|| format!("writing {}", initial.display()))?;
    Ok(FleetData {
        initial,
        all,
        partitions,
    })
}

/// Builds the device client for [`FLEET_TRIPLE`]; returns its ELF's path.
pub fn build_client(root: &Path) -> anyhow::Result<PathBuf> {
    let target = TARGETS
        .iter()
        .find(|t| t.triple == FLEET_TRIPLE)
        .context("the Cortex-M4F target")?;
    toolchain::require("ld.lld", "lld")?;
    toolchain::require(target.qemu, target.qemu_package)?;
    let tc = toolchain::choose(FLEET_TRIPLE, &toolchain::rustup_targets())?;
    let firmware = root.join("firmware");
    let target_dir = firmware.join("target");
    let mut cmd = toolchain::cargo_build(&tc, &firmware, &[FLEET_TRIPLE], &target_dir);
    cmd.args(["--bin", NAME]);
    let status = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| format!("running {cmd:?}"))?;
    anyhow::ensure!(
        status.success(),
        "building {NAME} for {FLEET_TRIPLE} failed"
    );
    let elf = target_dir.join(FLEET_TRIPLE).join("release").join(NAME);
    anyhow::ensure!(elf.is_file(), "{} was not built", elf.display());
    Ok(elf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_partition_parses_and_the_host_round_trains() {
        let bytes = partition(CHECK_SAMPLES).expect("written");
        let digits = Digits::parse(&bytes).expect("a digits file");
        assert_eq!(digits.train().len(), CHECK_SAMPLES);
        assert_eq!(digits.test(), Digits::embedded().unwrap().test());
        let root = crate::mcu::workspace_root().expect("root");
        let dir = root.join("target/fleet-check-test");
        let (words, dir) = job_words(&root, &dir).expect("files");
        let host = host_report(&dir, &words).expect("the host's round");
        assert!(host.iter().any(|l| l == "image_written true"));
        let steps = CHECK_EPOCHS as usize * (CHECK_SAMPLES / skipgrad_digits::defaults::BATCH);
        assert!(host.contains(&format!("steps {steps:#x}")), "{host:?}");
        let bytes = image_from_lines(host.iter().map(String::as_str)).expect("an image");
        let mut net: Box<Net> = Box::new(Zeroed::ZERO);
        image::load(&mut *net, &bytes[..]).expect("loads");
    }

    /// Every partition parses, holds the whole test set, and together they hold every
    /// training sample once; `all.skgd` is the committed file; the initial image loads to the
    /// default initial weights.
    #[test]
    fn the_fleets_files() {
        let root = crate::mcu::workspace_root().expect("root");
        let out = root.join("target/fleet-data-test");
        let data = write_data(3, &out).expect("written");
        let committed = Digits::embedded().unwrap();
        assert_eq!(std::fs::read(&data.all).unwrap(), skipgrad_digits::EMBEDDED);
        let mut seen = vec![0usize; committed.train().len()];
        for p in &data.partitions {
            let bytes = std::fs::read(&p.path).unwrap();
            let d = Digits::parse(&bytes).expect("a digits file");
            assert_eq!(d.test(), committed.test());
            assert_eq!(d.train().len(), p.samples);
            assert_eq!(p.per_digit.iter().sum::<usize>(), p.samples);
            for s in d.train().iter() {
                let i = committed
                    .train()
                    .iter()
                    .zip(&seen)
                    .position(|(c, &n)| c == s && n == 0)
                    .expect("a training sample not seen before");
                seen[i] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 1));
        let mut net: Box<Net> = Box::new(Zeroed::ZERO);
        image::load(&mut *net, &std::fs::read(&data.initial).unwrap()[..]).expect("loads");
        let initial: Box<Net> = Box::new(defaults::initial(defaults::SEED));
        use skipgrad::Params as _;
        assert_eq!(net.weights_hash(), initial.weights_hash());
    }
}
