//! Turns the committed device image of PyTorch's notebook weights
//! (`tests/fixtures/weights/notebook.skgi`, written by `skipgrad convert` from
//! `notebook.safetensors`) into a `static` model for the `roundtrip` scenario, after loading
//! it with the core's own checks: a bad image fails the build. The model is printed with its
//! `Debug` output (every layer prints as the Rust expression that rebuilds it, floats in their
//! shortest round-trip form), so the flashed weights are the image's bit for bit; the image
//! itself is included too, for the scenario to load at run time.
//!
//! The same weights quantised to Q16.16 by the core's conversion
//! ([`skipgrad::params::convert`], rounding to nearest, ties to even; a saturated value fails
//! the build) become the `static` `QUANTISED` of the `roundtrip-q16` scenario.
//!
//! Likewise for `digits-adapt`: the committed device image of the host-trained digits
//! network (`digits/data/trained.skgi`, `skipgrad_digits::train::defaults::run`'s result)
//! becomes the `static` [`TRAINED`], whose front stays in flash while the device fine-tunes a
//! copy of its head. The same network quantised to Q16.16 by the same conversion
//! (`skipgrad_digits::network::convert`: to nearest, a NaN or a saturated value fails the
//! build) becomes the `static` `TRAINED_Q16` of `digits-adapt-q16`.

use skipgrad::Zeroed;

#[allow(dead_code)]
mod network {
    use skipgrad::{Gelu, Linear, Residual, Tanh};
    include!("../notebook/src/network.rs");
}

fn main() {
    let manifest = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set"));
    let path = manifest.join("../tests/fixtures/weights/notebook.skgi");
    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo:rerun-if-changed=build.rs");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut net = network::WithShortcut::<f32>::ZERO;
    if let Err(e) = skipgrad::params::image::load(&mut net, &bytes) {
        panic!("{}: {e}", path.display());
    }
    let path = path.canonicalize().expect("the image's path");
    let src = format!(
        "/// The weights of `tests/fixtures/weights/notebook.skgi` (PyTorch's, imported), as \
         `build.rs` loaded them.\n\
         pub static IMPORTED: WithShortcut<f32> = {net:?};\n\
         /// The image itself, as flashed.\n\
         pub static IMAGE: [u8; {}] = *include_bytes!({:?});\n",
        bytes.len(),
        path.display().to_string()
    );
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set"));
    std::fs::write(out.join("imported.rs"), src).expect("writing imported.rs");
    quantised(&net, &out);
    digits(&manifest, &out);
}

/// `quantised.rs`: the imported weights in Q16.16, as the core converts them.
fn quantised(net: &network::WithShortcut<f32>, out: &std::path::Path) {
    use skipgrad::params::{convert, Saturation};
    let mut q = network::WithShortcut::<skipgrad::Q16>::ZERO;
    if let Err(e) = convert::<f32, skipgrad::Q16, _, _>(net, &mut q, Saturation::Refuse, |_, _| {})
    {
        panic!("quantising the notebook's weights: {e}");
    }
    let src = format!(
        "/// The weights of `tests/fixtures/weights/notebook.skgi` quantised to Q16.16 by \
         `skipgrad::params::convert`, as `build.rs` converted them.\n\
         pub static QUANTISED: WithShortcut<Q16> = {q:?};\n"
    );
    std::fs::write(out.join("quantised.rs"), src).expect("writing quantised.rs");
}

/// `trained.rs`: the host-trained digits network as a `static`.
fn digits(manifest: &std::path::Path, out: &std::path::Path) {
    let path = manifest.join("../digits/data/trained.skgi");
    println!("cargo:rerun-if-changed={}", path.display());
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut net = Box::new(<skipgrad_digits::Net>::ZERO);
    if let Err(e) = skipgrad::params::image::load(&mut *net, &bytes) {
        panic!("{}: {e}", path.display());
    }
    let src = format!(
        "/// The host-trained digits network, from `digits/data/trained.skgi` as `build.rs` \
         loaded it.\n\
         pub static TRAINED: Net = {net:?};\n"
    );
    std::fs::write(out.join("trained.rs"), src).expect("writing trained.rs");
    let mut q = Box::new(<skipgrad_digits::Net<skipgrad::Relu, skipgrad::Q16>>::ZERO);
    if let Err(e) = skipgrad_digits::network::convert(&net, &mut q) {
        let tensor = match e {
            skipgrad::params::ConvertError::NonFinite { tensor, .. }
            | skipgrad::params::ConvertError::Saturated { tensor, .. }
            | skipgrad::params::ConvertError::Mismatch { tensor } => tensor,
            _ => usize::MAX,
        };
        let name = skipgrad::params::tensor_name::<skipgrad_digits::Net, f32>(tensor);
        panic!(
            "quantising {} to Q16.16 ({}): {e}",
            path.display(),
            name.as_ref().map_or("?", |n| n.as_str())
        );
    }
    let src = format!(
        "/// The host-trained digits network quantised to Q16.16 by \
         `skipgrad_digits::network::convert`, as `build.rs` converted it.\n\
         pub static TRAINED_Q16: Net<Relu, Q16> = {q:?};\n"
    );
    std::fs::write(out.join("trained_q16.rs"), src).expect("writing trained_q16.rs");
}
