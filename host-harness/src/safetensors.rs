//! safetensors files (`safetensors.torch.save_file`): read defensively into any model of the
//! core by PyTorch names, and written so that `load_state_dict(strict=True)` takes them.
//!
//! A file is 8 bytes of header length `N` (little-endian `u64`), `N` bytes of JSON
//! (`{"<name>": {"dtype": "F32", "shape": [3, 3], "data_offsets": [0, 36]}, ...,
//! "__metadata__": {"<key>": "<text>"}}`), then the tensors' bytes, little-endian, offsets
//! counted from the end of the header.
//!
//! Every file is treated as hostile. [`File::parse`] checks the header length against the
//! file, the JSON (unknown fields, duplicate names), every shape (its element count must not
//! overflow) and every offset (in range, the tensor's exact byte size, no overlap, no byte of
//! the data left over). [`load`] then checks the file against the model: every tensor the
//! model declares must be there with its shape and a supported dtype (`F32`, `F64`, and `F16`
//! and `BF16`, widened exactly), no other tensor may be, and every value must be finite and
//! fit the model's number type (an `F64` value is rounded to the nearest `f32`, as
//! `load_state_dict` copies it; one beyond `f32`'s range is an error). Every error names the
//! tensor. Nothing is written to the model unless all of it passed.
//!
//! A file is read with [`read_from`], which never reads more than the file declares: the
//! 8-byte length, then the header (at most [`MAX_HEADER_BYTES`]), then exactly the data the
//! header's offsets cover, after checking that the whole is at most [`MAX_FILE_BYTES`] and,
//! for a regular file, exactly the file's size. `/dev/zero` or a 2 GiB sparse file is refused
//! after a few bytes, not read whole.
//!
//! Names and dtypes are the file's text: every message quotes them through
//! [`escaped`], so a name cannot forge a line on the terminal.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::Read;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use skipgrad::params::{self, Params};
use skipgrad::{Format, Scalar};

use crate::escape::escaped;

/// The longest header read (the reference implementation's limit).
pub const MAX_HEADER_BYTES: u64 = 100_000_000;
/// The largest file read: 64 MiB, far above the largest network of the harness (`train`'s
/// 16 blocks of width 16 on two inputs, 4,401 parameters: 35,208 bytes of data in `F64`).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// A tensor's element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// IEEE binary16.
    F16,
    /// bfloat16.
    Bf16,
    /// IEEE binary32.
    F32,
    /// IEEE binary64.
    F64,
}

impl Dtype {
    /// The dtype with this safetensors name, if it is one the loader reads.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "F16" => Some(Dtype::F16),
            "BF16" => Some(Dtype::Bf16),
            "F32" => Some(Dtype::F32),
            "F64" => Some(Dtype::F64),
            _ => None,
        }
    }

    /// The safetensors name.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F16 => "F16",
            Dtype::Bf16 => "BF16",
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
        }
    }

    /// Bytes per element.
    pub fn bytes(self) -> usize {
        match self {
            Dtype::F16 | Dtype::Bf16 => 2,
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }

    /// The element at `chunk` (exactly [`Dtype::bytes`] bytes), widened to `f64` exactly.
    fn value(self, chunk: &[u8]) -> f64 {
        let mut b = [0u8; 8];
        b.iter_mut().zip(chunk).for_each(|(d, s)| *d = *s);
        match self {
            Dtype::F16 => f64::from(f16_to_f32(u16::from_le_bytes([b[0], b[1]]))),
            Dtype::Bf16 => f64::from(f32::from_bits(
                u32::from(u16::from_le_bytes([b[0], b[1]])) << 16,
            )),
            Dtype::F32 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            Dtype::F64 => f64::from_le_bytes(b),
        }
    }
}

/// IEEE binary16 to binary32, exactly.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0f32 } else { 1.0 };
    let exp = u32::from((h >> 10) & 0x1f);
    let mant = u32::from(h & 0x3ff);
    match exp {
        // Zero and subnormals: mant * 2^-24, exact in f32.
        0 => sign * (mant as f32) * f32::from_bits(0x3380_0000),
        31 => f32::from_bits((u32::from(h & 0x8000) << 16) | 0x7f80_0000 | (mant << 13)),
        _ => f32::from_bits((u32::from(h & 0x8000) << 16) | ((exp + 112) << 23) | (mant << 13)),
    }
}

/// Why a file was refused. Each names the tensor it is about, if any.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// Shorter than the 8-byte header length.
    TooShort {
        /// The file's length.
        len: usize,
    },
    /// The header length runs past the end of the file, or past [`MAX_HEADER_BYTES`].
    HeaderLength {
        /// The declared length.
        declared: u64,
        /// The bytes after the length field.
        available: usize,
    },
    /// The header is not the JSON of a safetensors header.
    Header(String),
    /// The size the header declares (8 bytes, the header, the data its offsets cover) is not
    /// the file's, or is over [`MAX_FILE_BYTES`].
    Size {
        /// The declared size.
        declared: u64,
        /// The file's size, where it is known before reading (a regular file).
        actual: Option<u64>,
    },
    /// The file could not be read.
    Io(String),
    /// Two tensors have the same name.
    Duplicate {
        /// The name.
        tensor: String,
    },
    /// A dtype the loader does not read.
    Dtype {
        /// The tensor.
        tensor: String,
        /// Its dtype.
        dtype: String,
    },
    /// A shape whose element count or byte size overflows.
    ShapeOverflow {
        /// The tensor.
        tensor: String,
    },
    /// Offsets out of the data, not the tensor's size, or overlapping another tensor's.
    Offsets {
        /// The tensor.
        tensor: String,
        /// What is wrong.
        reason: String,
    },
    /// Bytes of the data that no tensor covers.
    Uncovered {
        /// Where the first such byte is (from the start of the data).
        at: usize,
        /// The data's length.
        len: usize,
    },
    /// A tensor the model declares is not in the file.
    Missing {
        /// Its name.
        tensor: String,
    },
    /// A tensor in the file that the model does not declare.
    Unexpected {
        /// Its name.
        tensor: String,
    },
    /// A tensor of another shape than the model's.
    Shape {
        /// The tensor.
        tensor: String,
        /// The model's shape.
        expected: Vec<usize>,
        /// The file's.
        found: Vec<usize>,
    },
    /// A NaN or infinite value, or one beyond the model's number type.
    NonFinite {
        /// The tensor.
        tensor: String,
        /// The element's position in the tensor (row-major).
        element: usize,
        /// The value, as the file holds it (widened to `f64`).
        value: f64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TooShort { len } => {
                write!(f, "{len} bytes: too short for a safetensors file")
            }
            Error::HeaderLength { declared, .. } if *declared > MAX_HEADER_BYTES => write!(
                f,
                "the header length {declared} is over the limit of {MAX_HEADER_BYTES} bytes"
            ),
            Error::HeaderLength {
                declared,
                available,
            } => write!(
                f,
                "the header length {declared} runs past the {available} bytes that follow it"
            ),
            Error::Header(e) => write!(f, "the header is not a safetensors header: {}", escaped(e)),
            Error::Size { declared, .. } if *declared > MAX_FILE_BYTES => write!(
                f,
                "the header declares a file of {declared} bytes, over the limit of \
                 {MAX_FILE_BYTES} bytes"
            ),
            Error::Size {
                declared,
                actual: Some(actual),
            } => write!(
                f,
                "the header declares a file of {declared} bytes, the file has {actual}"
            ),
            Error::Size {
                declared,
                actual: None,
            } => write!(
                f,
                "the file holds more than the {declared} bytes its header declares"
            ),
            Error::Io(e) => write!(f, "reading: {e}"),
            Error::Duplicate { tensor } => {
                write!(f, "tensor `{}` appears twice", escaped(tensor))
            }
            Error::Dtype { tensor, dtype } => write!(
                f,
                "tensor `{}` has dtype {}; F32, F64, F16 and BF16 are read",
                escaped(tensor),
                escaped(dtype)
            ),
            Error::ShapeOverflow { tensor } => {
                write!(
                    f,
                    "tensor `{}`: its shape's size overflows",
                    escaped(tensor)
                )
            }
            Error::Offsets { tensor, reason } => {
                write!(f, "tensor `{}`: data offsets {reason}", escaped(tensor))
            }
            Error::Uncovered { at, len } => {
                write!(f, "bytes {at}..{len} of the data belong to no tensor")
            }
            Error::Missing { tensor } => write!(
                f,
                "tensor `{}` is missing (the model declares it)",
                escaped(tensor)
            ),
            Error::Unexpected { tensor } => write!(
                f,
                "tensor `{}` is not a tensor of the model (strict loading)",
                escaped(tensor)
            ),
            Error::Shape {
                tensor,
                expected,
                found,
            } => write!(
                f,
                "tensor `{}` has shape {found:?}, the model's is {expected:?}",
                escaped(tensor)
            ),
            Error::NonFinite {
                tensor,
                element,
                value,
            } => write!(
                f,
                "tensor `{}`: element {element} is {value}, not a finite value of the \
                 model's number type",
                escaped(tensor)
            ),
        }
    }
}

impl std::error::Error for Error {}

/// One tensor's entry in the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its name.
    pub name: String,
    /// Its dtype.
    pub dtype: Dtype,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its bytes in the data: `begin..end`.
    pub begin: usize,
    /// End of its bytes.
    pub end: usize,
}

/// A parsed file: its entries, in header order, its metadata and its data.
#[derive(Clone, Debug)]
pub struct File<'a> {
    /// The tensors.
    pub entries: Vec<Entry>,
    /// `__metadata__`.
    pub metadata: BTreeMap<String, String>,
    data: &'a [u8],
}

/// A header entry as the JSON holds it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: [u64; 2],
}

/// The header: entries in order (duplicates kept, to be refused) and the metadata.
struct RawHeader {
    entries: Vec<(String, RawEntry)>,
    metadata: BTreeMap<String, String>,
    metadata_seen: bool,
    duplicate_metadata: bool,
}

impl<'de> Deserialize<'de> for RawHeader {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawHeader;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of tensors")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawHeader, A::Error> {
                let mut h = RawHeader {
                    entries: Vec::new(),
                    metadata: BTreeMap::new(),
                    metadata_seen: false,
                    duplicate_metadata: false,
                };
                while let Some(key) = map.next_key::<String>()? {
                    if key == "__metadata__" {
                        // A second one, even after an empty first, is refused.
                        h.duplicate_metadata |= h.metadata_seen;
                        h.metadata_seen = true;
                        h.metadata = map.next_value()?;
                    } else {
                        // The key is the file's text: `Error::Header` escapes all of it.
                        let entry: RawEntry = map
                            .next_value()
                            .map_err(|e| de::Error::custom(format!("tensor `{key}`: {e}")))?;
                        h.entries.push((key, entry));
                    }
                }
                Ok(h)
            }
        }
        d.deserialize_map(V)
    }
}

impl RawHeader {
    /// The header's JSON, with one `__metadata__` at most.
    fn parse(header: &[u8]) -> Result<Self, Error> {
        if header.is_empty() {
            return Err(Error::Header(
                "its length is 0 (a safetensors header is a JSON object)".into(),
            ));
        }
        let raw: Self = serde_json::from_slice(header).map_err(|e| Error::Header(e.to_string()))?;
        if raw.duplicate_metadata {
            return Err(Error::Header("`__metadata__` appears twice".into()));
        }
        Ok(raw)
    }
}

/// Appends at most `n` more bytes of `r` to `bytes` (fewer at the end of the input).
fn read_up_to(r: &mut impl Read, bytes: &mut Vec<u8>, n: u64) -> Result<(), Error> {
    r.take(n)
        .read_to_end(bytes)
        .map(drop)
        .map_err(|e| Error::Io(e.to_string()))
}

/// The size of the data a header's offsets cover: the largest end offset (0 for none). The
/// header is parsed as [`File::parse`] parses it, so its errors are the same.
fn declared_data(header: &[u8]) -> Result<u64, Error> {
    Ok(RawHeader::parse(header)?
        .entries
        .iter()
        .map(|(_, e)| e.data_offsets[1])
        .max()
        .unwrap_or(0))
}

/// Reads one safetensors file from `r`, never more than it declares: the 8-byte length, the
/// header (at most [`MAX_HEADER_BYTES`]), then exactly the data its offsets cover, after
/// checking the declared size against [`MAX_FILE_BYTES`] and, where `size` gives the file's
/// size (a regular file), against that. A stream (a pipe, a device) is read the same way and
/// must end where the header says. Returns the file's bytes, for [`File::parse`] to check.
pub fn read_from(r: &mut impl Read, size: Option<u64>) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    read_up_to(r, &mut bytes, 8)?;
    let Some(len) = bytes.first_chunk::<8>() else {
        return Err(Error::TooShort { len: bytes.len() });
    };
    let header_len = u64::from_le_bytes(*len);
    let header_error = |available: u64| Error::HeaderLength {
        declared: header_len,
        available: usize::try_from(available).unwrap_or(usize::MAX),
    };
    if let Some(available) = size.map(|s| s.saturating_sub(8)) {
        if header_len > available {
            return Err(header_error(available));
        }
    }
    if header_len > MAX_HEADER_BYTES {
        return Err(header_error(size.map_or(0, |s| s.saturating_sub(8))));
    }
    read_up_to(r, &mut bytes, header_len)?;
    let got = bytes.len() as u64 - 8;
    if got < header_len {
        return Err(header_error(got));
    }
    let data = declared_data(bytes.get(8..).unwrap_or_default())?;
    let declared = (8 + header_len).saturating_add(data);
    if declared > MAX_FILE_BYTES || size.is_some_and(|s| s != declared) {
        return Err(Error::Size {
            declared,
            actual: size,
        });
    }
    read_up_to(r, &mut bytes, data)?;
    if (bytes.len() as u64) < declared {
        return Err(Error::Size {
            declared,
            actual: Some(bytes.len() as u64),
        });
    }
    let mut one_more = Vec::new();
    read_up_to(r, &mut one_more, 1)?;
    if !one_more.is_empty() {
        return Err(Error::Size {
            declared,
            actual: None,
        });
    }
    Ok(bytes)
}

impl<'a> File<'a> {
    /// Parses and checks the structure of a file (not yet against a model).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let Some((len, rest)) = bytes.split_first_chunk::<8>() else {
            return Err(Error::TooShort { len: bytes.len() });
        };
        let declared = u64::from_le_bytes(*len);
        let header_len = usize::try_from(declared)
            .ok()
            .filter(|n| declared <= MAX_HEADER_BYTES && *n <= rest.len())
            .ok_or(Error::HeaderLength {
                declared,
                available: rest.len(),
            })?;
        let (header, data) = rest.split_at(header_len);
        let raw = RawHeader::parse(header)?;
        let mut seen = HashSet::new();
        let mut entries = Vec::with_capacity(raw.entries.len());
        for (name, e) in raw.entries {
            if !seen.insert(name.clone()) {
                return Err(Error::Duplicate { tensor: name });
            }
            let Some(dtype) = Dtype::from_name(&e.dtype) else {
                return Err(Error::Dtype {
                    tensor: name,
                    dtype: e.dtype,
                });
            };
            let shape: Option<Vec<usize>> =
                e.shape.iter().map(|d| usize::try_from(*d).ok()).collect();
            let size = shape.as_ref().and_then(|s| {
                s.iter()
                    .try_fold(1usize, |n, d| n.checked_mul(*d))?
                    .checked_mul(dtype.bytes())
            });
            let (Some(shape), Some(size)) = (shape, size) else {
                return Err(Error::ShapeOverflow { tensor: name });
            };
            let [begin, end] = e.data_offsets;
            let offsets = |reason: String| Error::Offsets {
                tensor: name.clone(),
                reason,
            };
            if begin > end {
                return Err(offsets(format!("[{begin}, {end}] run backwards")));
            }
            if end > data.len() as u64 {
                return Err(offsets(format!(
                    "[{begin}, {end}] run past the data's {} bytes",
                    data.len()
                )));
            }
            let (begin, end) = (begin as usize, end as usize);
            if end - begin != size {
                return Err(offsets(format!(
                    "[{begin}, {end}] hold {} bytes, the shape {shape:?} of {} needs {size}",
                    end - begin,
                    dtype.name()
                )));
            }
            entries.push(Entry {
                name,
                dtype,
                shape,
                begin,
                end,
            });
        }
        // No overlap, and every byte of the data belongs to a tensor.
        let mut by_offset: Vec<&Entry> = entries.iter().collect();
        by_offset.sort_by_key(|e| (e.begin, e.end));
        let mut at = 0;
        for e in by_offset {
            if e.begin < at {
                return Err(Error::Offsets {
                    tensor: e.name.clone(),
                    reason: format!("[{}, {}] overlap another tensor's bytes", e.begin, e.end),
                });
            }
            if e.begin > at {
                return Err(Error::Uncovered {
                    at,
                    len: data.len(),
                });
            }
            at = e.end;
        }
        if at != data.len() {
            return Err(Error::Uncovered {
                at,
                len: data.len(),
            });
        }
        Ok(Self {
            entries,
            metadata: raw.metadata,
            data,
        })
    }

    /// The entry named `name`.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The values of `entry`, widened to `f64` exactly.
    pub fn values(&self, entry: &Entry) -> Vec<f64> {
        self.data
            .get(entry.begin..entry.end)
            .unwrap_or_default()
            .chunks_exact(entry.dtype.bytes())
            .map(|c| entry.dtype.value(c))
            .collect()
    }
}

/// The PyTorch name of a walk name under `prefix` (`layers` + `0.0.weight`).
pub fn full_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Every tensor the model `M` declares: its PyTorch name under `prefix` and its shape.
pub fn declared<M: Params<T>, T: Scalar>(prefix: &str) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    params::visit_shapes::<M, T, _>(|name, tensor| {
        let (dims, rank) = tensor.dims.shape();
        out.push((
            full_name(prefix, name.as_str()),
            dims.iter().take(rank).copied().collect(),
        ));
    });
    out
}

/// The model's parameters from a file, checked (see the module's docs), in
/// [`Params::store_flat`]'s order.
pub fn read_values<M: Params<T>, T: Scalar>(bytes: &[u8], prefix: &str) -> Result<Vec<T>, Error> {
    let file = File::parse(bytes)?;
    let declared = declared::<M, T>(prefix);
    let mut values = Vec::with_capacity(M::LEN);
    for (name, shape) in &declared {
        let entry = file.entry(name).ok_or_else(|| Error::Missing {
            tensor: name.clone(),
        })?;
        if entry.shape != *shape {
            return Err(Error::Shape {
                tensor: name.clone(),
                expected: shape.clone(),
                found: entry.shape.clone(),
            });
        }
        for (element, v) in file.values(entry).into_iter().enumerate() {
            let x = T::from_f64(v);
            if !(v.is_finite() && x.is_finite()) {
                return Err(Error::NonFinite {
                    tensor: name.clone(),
                    element,
                    value: v,
                });
            }
            values.push(x);
        }
    }
    if let Some(extra) = file
        .entries
        .iter()
        .find(|e| !declared.iter().any(|(n, _)| *n == e.name))
    {
        return Err(Error::Unexpected {
            tensor: extra.name.clone(),
        });
    }
    Ok(values)
}

/// Loads `model` from a file whose tensor names are the model's under `prefix`, after checking
/// all of it; on an error the model is unchanged.
pub fn load<M: Params<T>, T: Scalar>(
    model: &mut M,
    bytes: &[u8],
    prefix: &str,
) -> Result<(), Error> {
    let values = read_values::<M, T>(bytes, prefix)?;
    // `read_values` returned exactly one value per parameter.
    model
        .load_flat(&values)
        .map_err(|e| Error::Header(e.to_string()))
}

/// The dtype a model's values are written in: `F32` for `f32`, `F64` otherwise (exact for
/// `f64` and fixed point).
pub fn dtype_of(format: Format) -> Dtype {
    if format == Format::F32 {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

/// The safetensors bytes of `model`, every tensor named under `prefix`, in registration order,
/// with `metadata` as `__metadata__` (if not empty).
pub fn write<M: Params<T>, T: Scalar>(
    model: &M,
    prefix: &str,
    metadata: &[(&str, &str)],
) -> Vec<u8> {
    let dtype = dtype_of(T::FORMAT);
    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        let m: serde_json::Map<String, serde_json::Value> = metadata
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect();
        header.insert("__metadata__".into(), m.into());
    }
    let mut data = Vec::with_capacity(M::LEN * dtype.bytes());
    skipgrad::params::visit_named(model, |name, tensor, values: &[T]| {
        let (dims, rank) = tensor.dims.shape();
        let begin = data.len();
        for v in values {
            match dtype {
                Dtype::F32 => data.extend_from_slice(&(v.to_f64() as f32).to_le_bytes()),
                _ => data.extend_from_slice(&v.to_f64().to_le_bytes()),
            }
        }
        header.insert(
            full_name(prefix, name.as_str()),
            serde_json::json!({
                "dtype": dtype.name(),
                "shape": dims.iter().take(rank).collect::<Vec<_>>(),
                "data_offsets": [begin, data.len()],
            }),
        );
    });
    // serde_json's map keeps keys sorted; every tensor has its own offsets, so the order of
    // the header does not matter to readers.
    let mut json = serde_json::Value::Object(header).to_string().into_bytes();
    // Pad with spaces to a multiple of 8, as safetensors' own writer does.
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + json.len() + data.len());
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::{Gelu, LayerNorm, Linear, Residual, TorchInit, Zeroed};

    type Net = (
        (Linear<f32, 2, 3>, Gelu),
        Residual<(LayerNorm<f32, 3>, Linear<f32, 3, 3>)>,
    );

    fn net(seed: u64) -> Net {
        Params::torch_init(&mut TorchInit::new(seed))
    }

    #[test]
    fn round_trips_with_names_under_a_prefix() {
        let a = net(1);
        let bytes = write(&a, "layers", &[("format", "pt")]);
        let file = File::parse(&bytes).expect("parses");
        let names: Vec<&str> = file.entries.iter().map(|e| e.name.as_str()).collect();
        assert!(names.contains(&"layers.0.0.weight"), "{names:?}");
        assert!(names.contains(&"layers.1.0.bias"), "{names:?}");
        assert_eq!(file.metadata.get("format").map(String::as_str), Some("pt"));
        assert_eq!(
            file.entry("layers.0.0.weight").map(|e| e.shape.clone()),
            Some(vec![3, 2])
        );
        let mut b = Net::ZERO;
        load(&mut b, &bytes, "layers").expect("loads");
        assert_eq!(a, b);
        let mut c = Net::ZERO;
        assert!(matches!(
            load(&mut c, &bytes, ""),
            Err(Error::Missing { .. })
        ));
        assert_eq!(c, Net::ZERO);
    }

    /// A file of `header` (JSON) and `data`.
    fn file_of(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn reads_no_further_than_declared() {
        use std::io::Read as _;
        let valid = write(&net(1), "", &[]);
        let len = valid.len() as u64;
        let header = |h: &str| file_of(h, &[]);
        let huge = header(r#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,1099511627776]}}"#);
        /// The bytes, then an endless stream of zeros or not, the size given, the error.
        type Case = (Vec<u8>, bool, Option<u64>, Option<Error>);
        let cases: [Case; 10] = [
            (valid.clone(), false, Some(len), None),
            (valid.clone(), false, None, None),
            (
                valid[..valid.len() - 1].to_vec(),
                false,
                Some(len - 1),
                Some(Error::Size {
                    declared: len,
                    actual: Some(len - 1),
                }),
            ),
            (
                valid[..valid.len() - 1].to_vec(),
                false,
                None,
                Some(Error::Size {
                    declared: len,
                    actual: Some(len - 1),
                }),
            ),
            // Longer than declared: a regular file by its size, a stream by one more byte.
            (
                valid.clone(),
                true,
                Some(2 << 30),
                Some(Error::Size {
                    declared: len,
                    actual: Some(2 << 30),
                }),
            ),
            (
                valid.clone(),
                true,
                None,
                Some(Error::Size {
                    declared: len,
                    actual: None,
                }),
            ),
            // `/dev/zero`: a header length of 0.
            (
                Vec::new(),
                true,
                None,
                Some(Error::Header(
                    "its length is 0 (a safetensors header is a JSON object)".into(),
                )),
            ),
            (
                u64::MAX.to_le_bytes().to_vec(),
                true,
                None,
                Some(Error::HeaderLength {
                    declared: u64::MAX,
                    available: 0,
                }),
            ),
            // Data declared beyond the limit is not read.
            (
                huge.clone(),
                true,
                None,
                Some(Error::Size {
                    declared: huge.len() as u64 + (1 << 40),
                    actual: None,
                }),
            ),
            (vec![1, 2, 3], false, None, Some(Error::TooShort { len: 3 })),
        ];
        for (i, (bytes, endless, size, want)) in cases.into_iter().enumerate() {
            let mut r =
                bytes
                    .as_slice()
                    .chain(std::io::repeat(0).take(if endless { u64::MAX } else { 0 }));
            match (read_from(&mut r, size), want) {
                (Ok(got), None) => assert_eq!(got, valid, "case {i}"),
                (Err(got), Some(want)) => assert_eq!(got, want, "case {i}"),
                (got, want) => panic!("case {i}: {got:?}, expected {want:?}"),
            }
        }
        assert!(Error::Size {
            declared: 1 << 41,
            actual: None
        }
        .to_string()
        .contains("over the limit"));
    }

    #[test]
    fn a_second_metadata_is_refused_even_after_an_empty_one() {
        for header in [
            r#"{"__metadata__":{},"__metadata__":{"a":"b"}}"#,
            r#"{"__metadata__":{"a":"b"},"__metadata__":{}}"#,
            r#"{"__metadata__":{},"__metadata__":{}}"#,
        ] {
            let bytes = file_of(header, &[]);
            assert_eq!(
                File::parse(&bytes).map(|f| f.entries.len()),
                Err(Error::Header("`__metadata__` appears twice".into())),
                "{header}"
            );
            assert!(read_from(&mut bytes.as_slice(), None).is_err(), "{header}");
        }
        assert!(File::parse(&file_of(r#"{"__metadata__":{}}"#, &[])).is_ok());
    }

    /// A name or a dtype from the file is printed escaped: no control character reaches the
    /// terminal, and a newline cannot start a line of its own.
    #[test]
    fn file_text_is_escaped_in_messages() {
        let evil = r"w\u001b[31m\nerror: everything is fine";
        let headers = [
            format!(r#"{{"{evil}":{{"dtype":"F32","shape":[1],"data_offsets":[0,3]}}}}"#),
            format!(r#"{{"w":{{"dtype":"{evil}","shape":[1],"data_offsets":[0,4]}}}}"#),
            format!(r#"{{"w":{{"dtype":"F32","shape":[1],"data_offsets":[0,4],"{evil}":1}}}}"#),
            format!(
                r#"{{"{evil}":{{"dtype":"F32","shape":[1],"data_offsets":[0,4]}},"{evil}":{{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}}}"#
            ),
        ];
        for header in headers {
            let bytes = file_of(&header, &[0; 8]);
            let mut model = Net::ZERO;
            let e = load(&mut model, &bytes, "")
                .expect_err("refused")
                .to_string();
            assert!(!e.chars().any(char::is_control), "{header}: {e:?}");
            assert!(
                e.contains(r"w\u{1b}[31m\nerror: everything is fine"),
                "{header}: {e}"
            );
        }
    }

    #[test]
    fn half_precision_widens_exactly() {
        let cases: [(u16, f32); 7] = [
            (0x0000, 0.0),
            (0x3c00, 1.0),
            (0xc000, -2.0),
            (0x0001, 5.960_464_5e-8),
            (0x7bff, 65504.0),
            (0x3555, 0.333_251_95),
            (0x8400, -6.103_515_6e-5),
        ];
        for (h, want) in cases {
            assert_eq!(f16_to_f32(h), want, "{h:#06x}");
        }
        assert!(f16_to_f32(0x7c00).is_infinite());
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(Dtype::Bf16.value(&[0x80, 0x3f]), 1.0);
    }
}
