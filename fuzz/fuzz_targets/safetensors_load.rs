//! Any bytes as a safetensors file of the notebook's network: an error leaves the model
//! exactly as it was, a success loads finite weights; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skipgrad::Params;
use skipgrad_harness::safetensors;
use skipgrad_notebook::network::{INITIAL_WITH_SHORTCUT, PREFIX};

fuzz_target!(|data: &[u8]| {
    let before = INITIAL_WITH_SHORTCUT.weights_hash();
    let mut m = INITIAL_WITH_SHORTCUT;
    match safetensors::load(&mut m, data, PREFIX) {
        Ok(()) => assert!(m.all_finite()),
        Err(e) => {
            assert_eq!(m.weights_hash(), before, "{e}");
            let _ = e.to_string();
        }
    }
});
