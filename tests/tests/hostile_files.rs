//! Hostile files for both loaders: the device image (`skipgrad::params::image`) and safetensors
//! (`skipgrad_harness::safetensors`). Valid files (PyTorch's fixtures and the images of the
//! same weights) are truncated, extended, given lying headers, wrong dtypes, shapes and
//! offsets, NaN payloads, duplicate, missing and extra names, flipped bytes, or replaced by
//! random bytes. Every invalid file is an error, never a panic, and an error leaves the model
//! (and the optimizer state) exactly as it was; a valid one loads.
//!
//! `PROPTEST_CASES=N` runs N cases per property (default 1,024 here).

use proptest::prelude::*;
use serde_json::Value;
use skipgrad::params::image::{self, Crc32, Image, ImageError};
use skipgrad::{Adam, Optimizer, Params, TorchInit, Zeroed};
use skipgrad_harness::notebook::{WithShortcut, PREFIX};
use skipgrad_harness::safetensors::{self, Error};

type Net = WithShortcut<f32>;
type AdamNet = Adam<f32, Net>;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/weights")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A model that no file holds: what must survive a refused load.
fn sentinel() -> Net {
    Params::torch_init(&mut TorchInit::new(99))
}

fn bits(m: &Net) -> Vec<u32> {
    let mut v = vec![0.0f32; <Net as Params<f32>>::LEN];
    m.store_flat(&mut v).expect("LEN values");
    v.iter().map(|x| x.to_bits()).collect()
}

/// Loads `bytes` into a sentinel: an error must leave it unchanged; returns the result. The
/// bounded reader (`read_from`, as a file of this size and as a stream) must agree: it
/// returns the bytes whole, or refuses a file the loader refuses too.
fn load_safetensors(bytes: &[u8]) -> Result<Net, Error> {
    let mut m = sentinel();
    let result = match safetensors::load(&mut m, bytes, PREFIX) {
        Ok(()) => Ok(m),
        Err(e) => {
            assert_eq!(bits(&m), bits(&sentinel()), "refused, but changed: {e}");
            // Every message is printable, and prints no control character.
            let text = e.to_string();
            assert!(
                !text.is_empty() && !text.chars().any(char::is_control),
                "{text:?}"
            );
            Err(e)
        }
    };
    for size in [Some(bytes.len() as u64), None] {
        match safetensors::read_from(&mut &bytes[..], size) {
            Ok(read) => assert_eq!(read, bytes, "read_from changed the bytes"),
            Err(e) => assert!(result.is_err(), "read_from refused a file load takes: {e}"),
        }
    }
    result
}

/// Loads `bytes` as a model image into a sentinel, as `load_safetensors`.
fn load_image(bytes: &[u8]) -> Result<Net, ImageError> {
    let mut m = sentinel();
    match image::load(&mut m, bytes) {
        Ok(()) => Ok(m),
        Err(e) => {
            assert_eq!(bits(&m), bits(&sentinel()), "refused, but changed: {e}");
            Err(e)
        }
    }
}

/// PyTorch's notebook file, and its header as JSON with the data.
fn valid() -> Vec<u8> {
    fixture("notebook.safetensors")
}

fn split(file: &[u8]) -> (serde_json::Map<String, Value>, Vec<u8>) {
    let n = u64::from_le_bytes(file[..8].try_into().expect("8 bytes")) as usize;
    let header: Value = serde_json::from_slice(&file[8..8 + n]).expect("valid header");
    (
        header.as_object().expect("an object").clone(),
        file[8 + n..].to_vec(),
    )
}

fn join(header_text: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header_text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header_text.as_bytes());
    out.extend_from_slice(data);
    out
}

fn tensor_names(header: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut names: Vec<String> = header
        .keys()
        .filter(|k| *k != "__metadata__")
        .cloned()
        .collect();
    names.sort();
    names
}

/// The notebook's image, and one with Adam's state.
fn valid_image() -> Vec<u8> {
    let m = load_safetensors(&valid()).expect("the fixture loads");
    let mut out = vec![0u8; Image::<Net, f32>::SIZE];
    image::save(&m, &mut out).expect("fits");
    out
}

fn restamp(b: &mut [u8]) {
    let n = b.len();
    let crc = Crc32::of(&b[..n - 4]);
    b[n - 4..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn the_valid_files_load() {
    let m = load_safetensors(&valid()).expect("loads");
    assert_eq!(load_image(&valid_image()).map(|i| bits(&i)), Ok(bits(&m)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1024)
    ))]

    /// Any prefix of a valid file, and a valid file followed by anything.
    #[test]
    fn truncated_and_oversized(cut in any::<prop::sample::Index>(), extra in prop::collection::vec(any::<u8>(), 1..64)) {
        let st = valid();
        prop_assert!(load_safetensors(&st[..cut.index(st.len())]).is_err());
        let mut long = st.clone();
        long.extend_from_slice(&extra);
        assert!(matches!(load_safetensors(&long), Err(Error::Uncovered { .. })));
        let img = valid_image();
        let n = cut.index(img.len());
        prop_assert!(load_image(&img[..n]).is_err());
        let mut long = img.clone();
        long.extend_from_slice(&extra);
        assert!(matches!(load_image(&long), Err(ImageError::Length { .. })));
    }

    /// A header length that is not the header's.
    #[test]
    fn lying_header_length(len in any::<u64>()) {
        let mut st = valid();
        let real = u64::from_le_bytes(st[..8].try_into().expect("8 bytes"));
        prop_assume!(len != real);
        st[..8].copy_from_slice(&len.to_le_bytes());
        prop_assert!(load_safetensors(&st).is_err());
    }

    /// One tensor's dtype replaced by another (supported or not), its bytes unchanged.
    #[test]
    fn wrong_dtype(which in any::<prop::sample::Index>(), dtype in prop::sample::select(
        vec!["F64", "F16", "BF16", "I64", "I32", "U8", "BOOL", "F8_E4M3", "f32", ""]
    )) {
        let (mut header, data) = split(&valid());
        let name = which.get(&tensor_names(&header)).clone();
        header[&name]["dtype"] = dtype.into();
        let st = join(&Value::Object(header).to_string(), &data);
        let err = load_safetensors(&st).expect_err("a wrong dtype");
        prop_assert!(err.to_string().contains(&name), "{err}");
    }

    /// One tensor's shape changed: a dimension resized, added or dropped.
    #[test]
    fn wrong_shape(which in any::<prop::sample::Index>(), dim in any::<prop::sample::Index>(), size in any::<u64>(), how in 0..3u8) {
        let (mut header, data) = split(&valid());
        let name = which.get(&tensor_names(&header)).clone();
        let mut shape: Vec<u64> = header[&name]["shape"].as_array().expect("shape")
            .iter().map(|d| d.as_u64().expect("a size")).collect();
        let i = dim.index(shape.len());
        match how {
            0 => { prop_assume!(shape[i] != size); shape[i] = size; }
            1 => shape.insert(i, size % 4 + 2),
            _ => { shape.remove(i); }
        }
        header[&name]["shape"] = shape.into();
        let st = join(&Value::Object(header).to_string(), &data);
        let err = load_safetensors(&st).expect_err("a wrong shape");
        prop_assert!(err.to_string().contains(&name), "{err}");
    }

    /// One offset moved (the other kept), or set anywhere.
    #[test]
    fn offsets_out_of_range(which in any::<prop::sample::Index>(), end in any::<bool>(), value in any::<u64>(), near in -300i64..300) {
        let (mut header, data) = split(&valid());
        let name = which.get(&tensor_names(&header)).clone();
        let k = usize::from(end);
        let old = header[&name]["data_offsets"][k].as_u64().expect("an offset");
        let new = if value % 2 == 0 { value } else { old.wrapping_add_signed(near) };
        prop_assume!(new != old);
        header[&name]["data_offsets"][k] = new.into();
        let st = join(&Value::Object(header).to_string(), &data);
        let err = load_safetensors(&st).expect_err("moved offsets");
        prop_assert!(err.to_string().contains(&name) || matches!(err, Error::Uncovered { .. }), "{err}");
    }

    /// A NaN or an infinity in any tensor's data: refused, naming the tensor.
    #[test]
    fn non_finite_payload(at in any::<prop::sample::Index>(), v in prop::sample::select(vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -f32::NAN])) {
        let (header, mut data) = split(&valid());
        let i = at.index(data.len() / 4) * 4;
        data[i..i + 4].copy_from_slice(&v.to_le_bytes());
        let text = Value::Object(header.clone()).to_string();
        let err = load_safetensors(&join(&text, &data)).expect_err("a non-finite value");
        let owner = header.iter().find(|(_, e)| {
            let o = &e["data_offsets"];
            o[0].as_u64().is_some_and(|b| b as usize <= i) && o[1].as_u64().is_some_and(|e| i < e as usize)
        }).map(|(n, _)| n.clone()).expect("an owner");
        assert!(matches!(&err, Error::NonFinite { tensor, .. } if *tensor == owner), "{err}");

        // The same in an image (with its checksum recomputed): refused, naming the tensor.
        let mut img = valid_image();
        let j = image::HEADER_BYTES + at.index(<Net as Params<f32>>::LEN) * 4;
        img[j..j + 4].copy_from_slice(&v.to_le_bytes());
        restamp(&mut img);
        assert!(matches!(load_image(&img), Err(ImageError::NonFinite { .. })));
    }

    /// A name twice, a name missing, renamed, or an extra tensor.
    #[test]
    fn duplicate_missing_and_extra_names(which in any::<prop::sample::Index>(), how in 0..4u8) {
        let (mut header, data) = split(&valid());
        let name = which.get(&tensor_names(&header)).clone();
        let text = match how {
            0 => {
                // The entry again, first in the object (a JSON object with a repeated key).
                let entry = header[&name].to_string();
                let text = Value::Object(header).to_string();
                format!("{{{}:{entry},{}", Value::from(name.as_str()), &text[1..])
            }
            1 => {
                header.remove(&name);
                Value::Object(header).to_string()
            }
            2 => {
                let entry = header.remove(&name).expect("present");
                header.insert(format!("{name}_renamed"), entry);
                Value::Object(header).to_string()
            }
            _ => {
                let end = data.len();
                header.insert("layers.5.0.weight".into(), serde_json::json!({
                    "dtype": "F32", "shape": [0], "data_offsets": [end, end]
                }));
                Value::Object(header).to_string()
            }
        };
        let err = load_safetensors(&join(&text, &data)).expect_err("bad names");
        match how {
            0 => prop_assert_eq!(err, Error::Duplicate { tensor: name }),
            3 => prop_assert_eq!(err, Error::Unexpected { tensor: "layers.5.0.weight".into() }),
            _ => prop_assert!(err.to_string().contains(&name) || matches!(err, Error::Uncovered { .. }), "{}", err),
        }
    }

    /// Every header field of an image, set to another value (the checksum recomputed or not).
    #[test]
    fn lying_image_headers(field in 4usize..20, value in 1u8..=255, stamp in any::<bool>()) {
        let mut img = valid_image();
        img[field] ^= value;
        if stamp {
            restamp(&mut img);
        }
        let err = load_image(&img).expect_err("a changed header");
        let expected = match field {
            4..=5 => matches!(err, ImageError::Version { .. }),
            6 => matches!(err, ImageError::Format { .. }),
            7 => matches!(err, ImageError::State { .. }),
            8..=11 => matches!(err, ImageError::ParameterCount { .. }),
            12..=15 => matches!(err, ImageError::ShapeHash { .. }),
            _ => matches!(err, ImageError::PayloadLength { .. }),
        };
        prop_assert!(expected, "byte {field}: {err}");
    }

    /// Flipped bits anywhere in an image, and in an image with Adam's state: refused (the
    /// checksum), the model and the optimizer unchanged.
    #[test]
    fn flipped_bytes(flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8)) {
        let mut img = valid_image();
        for (at, x) in &flips {
            let i = at.index(img.len());
            img[i] ^= x;
        }
        prop_assume!(img != valid_image());
        prop_assert!(load_image(&img).is_err());

        let mut model = sentinel();
        let mut adam = AdamNet::new();
        let mut g = sentinel();
        g.scale(1e-3);
        adam.update(&mut model, &mut g).expect("a step");
        let mut buf = vec![0u8; Image::<Net, f32, AdamNet>::SIZE];
        image::save_with(&model, &adam, &mut buf).expect("fits");
        let good = buf.clone();
        for (at, x) in &flips {
            let i = at.index(buf.len());
            buf[i] ^= x;
        }
        prop_assume!(buf != good);
        let (mut m, mut a) = (sentinel(), AdamNet::new());
        prop_assert!(image::load_with(&mut m, &mut a, &buf).is_err());
        prop_assert_eq!(bits(&m), bits(&sentinel()));
        prop_assert_eq!(a, AdamNet::new());
    }

    /// Flipped bytes in a safetensors file: an error that changed nothing, or a file that is
    /// still valid (a changed finite weight: safetensors has no checksum), never a panic.
    #[test]
    fn flipped_safetensors_bytes(flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8)) {
        let mut st = valid();
        for (at, x) in &flips {
            let i = at.index(st.len());
            st[i] ^= x;
        }
        if let Ok(m) = load_safetensors(&st) {
            prop_assert!(m.all_finite());
        }
    }

    /// Random bytes, with and without a plausible header length or the image's magic.
    #[test]
    fn random_bytes(mut bytes in prop::collection::vec(any::<u8>(), 0..600), prefix in 0..3u8) {
        match prefix {
            0 => {}
            1 if bytes.len() >= 8 => {
                let n = (bytes.len() as u64 - 8) / 2;
                bytes[..8].copy_from_slice(&n.to_le_bytes());
            }
            _ if bytes.len() >= 4 => bytes[..4].copy_from_slice(&image::MAGIC),
            _ => {}
        }
        prop_assert!(load_safetensors(&bytes).is_err());
        prop_assert!(load_image(&bytes).is_err());
        let (mut m, mut a) = (Net::ZERO, AdamNet::new());
        prop_assert!(image::load_with(&mut m, &mut a, &bytes).is_err());
    }
}
