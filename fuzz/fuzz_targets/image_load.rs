//! Any bytes as a device image of the notebook's network, alone and with Adam's state: an
//! error leaves the model and the optimizer exactly as they were; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skipgrad::params::image;
use skipgrad::{Adam, Params};
use skipgrad_notebook::network::{WithShortcut, INITIAL_WITH_SHORTCUT};

type Net = WithShortcut<f32>;

fuzz_target!(|data: &[u8]| {
    let before = INITIAL_WITH_SHORTCUT.weights_hash();
    let mut m = INITIAL_WITH_SHORTCUT;
    match image::load(&mut m, data) {
        Ok(()) => assert!(m.all_finite()),
        Err(e) => {
            assert_eq!(m.weights_hash(), before, "{e}");
            let _ = e.to_string();
        }
    }
    let (mut m, mut a) = (INITIAL_WITH_SHORTCUT, Adam::<f32, Net>::new());
    if image::load_with(&mut m, &mut a, data).is_err() {
        assert_eq!(m.weights_hash(), before);
        assert_eq!(a, Adam::new());
    }
});
