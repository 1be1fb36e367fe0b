//! Weight files read with limits (`import`, `train --load`, `convert`): a file is opened
//! once and never read further than its own header says it goes, so `import /dev/zero` or
//! a 2 GiB sparse file is refused after a few bytes instead of being read whole.
//!
//! The first four bytes say what a file is. A device image (the magic `SKGI`) is read up to
//! one byte past the size of the network's image ([`skipgrad::params::image::Image::SIZE`], a
//! constant of the network type), which the image loader then checks; anything else is a
//! safetensors file, read by [`safetensors::read_from`].

use std::fs::File;
use std::io::Read;
use std::path::Path;

use skipgrad::params::image::MAGIC;

use crate::safetensors;

/// What a weight file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Weights {
    /// A safetensors file's bytes (its size checked against its header).
    Safetensors(Vec<u8>),
    /// A device image's bytes: at most one past the expected image size, so that an image
    /// longer than the network's is still refused by its length.
    Image {
        /// The bytes read.
        bytes: Vec<u8>,
        /// The file's size, where it is known (a regular file).
        size: Option<u64>,
    },
}

/// Opens `path` and returns a reader of it and its size if it is a regular file; a
/// directory is an error.
fn open(path: &Path) -> anyhow::Result<(File, Option<u64>)> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    anyhow::ensure!(!meta.is_dir(), "it is a directory");
    Ok((file, meta.is_file().then_some(meta.len())))
}

/// Reads `path`: a safetensors file, or a device image of at most `image_size` bytes (more
/// are read only to be refused).
pub fn read(path: &Path, image_size: usize) -> anyhow::Result<Weights> {
    let (file, size) = open(path)?;
    let mut file = file;
    let mut head = Vec::with_capacity(MAGIC.len());
    (&mut file)
        .take(MAGIC.len() as u64)
        .read_to_end(&mut head)?;
    if head == MAGIC {
        let mut bytes = head;
        file.take(image_size.saturating_add(1).saturating_sub(MAGIC.len()) as u64)
            .read_to_end(&mut bytes)?;
        return Ok(Weights::Image { bytes, size });
    }
    let bytes = safetensors::read_from(&mut head.as_slice().chain(file), size)?;
    Ok(Weights::Safetensors(bytes))
}

/// Reads `path` whole if it has at most `max` bytes; a larger file is refused after `max + 1`
/// bytes, whatever it claims to be.
pub fn read_bounded(path: &Path, max: u64) -> anyhow::Result<Vec<u8>> {
    let (file, size) = open(path)?;
    if let Some(size) = size.filter(|s| *s > max) {
        anyhow::bail!("it has {size} bytes, more than the {max} this file can have");
    }
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    anyhow::ensure!(
        bytes.len() as u64 <= max,
        "it has more than the {max} bytes this file can have"
    );
    Ok(bytes)
}

/// Reads a safetensors file at `path`; a device image is refused with a message that says
/// what it is and how to convert it. The caller's context names the file.
pub fn read_safetensors(path: &Path) -> anyhow::Result<Vec<u8>> {
    match read(path, 0)? {
        Weights::Safetensors(bytes) => Ok(bytes),
        Weights::Image { .. } => anyhow::bail!(
            "it is a device image (SKGI), not safetensors: `skipgrad convert` turns it into \
             safetensors"
        ),
    }
}
