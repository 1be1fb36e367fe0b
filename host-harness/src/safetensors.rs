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

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use skipgrad::params::{self, Params};
use skipgrad::{Format, Scalar};

/// The longest header read (the reference implementation's limit).
pub const MAX_HEADER_BYTES: u64 = 100_000_000;

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
            Error::HeaderLength {
                declared,
                available,
            } => write!(
                f,
                "the header length {declared} runs past the {available} bytes that follow it"
            ),
            Error::Header(e) => write!(f, "the header is not a safetensors header: {e}"),
            Error::Duplicate { tensor } => write!(f, "tensor `{tensor}` appears twice"),
            Error::Dtype { tensor, dtype } => write!(
                f,
                "tensor `{tensor}` has dtype {dtype}; F32, F64, F16 and BF16 are read"
            ),
            Error::ShapeOverflow { tensor } => {
                write!(f, "tensor `{tensor}`: its shape's size overflows")
            }
            Error::Offsets { tensor, reason } => {
                write!(f, "tensor `{tensor}`: data offsets {reason}")
            }
            Error::Uncovered { at, len } => {
                write!(f, "bytes {at}..{len} of the data belong to no tensor")
            }
            Error::Missing { tensor } => {
                write!(f, "tensor `{tensor}` is missing (the model declares it)")
            }
            Error::Unexpected { tensor } => write!(
                f,
                "tensor `{tensor}` is not a tensor of the model (strict loading)"
            ),
            Error::Shape {
                tensor,
                expected,
                found,
            } => write!(
                f,
                "tensor `{tensor}` has shape {found:?}, the model's is {expected:?}"
            ),
            Error::NonFinite {
                tensor,
                element,
                value,
            } => write!(
                f,
                "tensor `{tensor}`: element {element} is {value}, not a finite value of the \
                 model's number type"
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
                    duplicate_metadata: false,
                };
                while let Some(key) = map.next_key::<String>()? {
                    if key == "__metadata__" {
                        h.duplicate_metadata |= !h.metadata.is_empty();
                        h.metadata = map.next_value()?;
                    } else {
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
        let raw: RawHeader =
            serde_json::from_slice(header).map_err(|e| Error::Header(e.to_string()))?;
        if raw.duplicate_metadata {
            return Err(Error::Header("`__metadata__` appears twice".into()));
        }
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
