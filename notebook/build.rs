//! Computes the notebook network's initial weights (`torch.manual_seed(123)` and
//! `nn.Linear`'s initialisation, through `skipgrad::TorchInit`) on the build machine and writes
//! them as a constant, so that a device can start from flash instead of running MT19937
//! (2.5 KB of state) and the `f64` bound computations.
//!
//! The constant is the model's `Debug` output: every layer of the core prints as the Rust
//! expression that rebuilds it, floats in their shortest round-trip form, so the constant is
//! the model bit for bit (`cargo xtask mcu` checks it against `TorchInit`).

use skipgrad::{Params, TorchInit};

#[allow(dead_code)]
mod network {
    use skipgrad::{Gelu, Linear, Residual};
    include!("src/network.rs");
}

fn main() {
    println!("cargo:rerun-if-changed=src/network.rs");
    println!("cargo:rerun-if-changed=build.rs");
    let net: network::WithShortcut<f32> = Params::torch_init(&mut TorchInit::new(network::SEED));
    let src = format!(
        "/// [`WithShortcut`] as `Params::torch_init(&mut TorchInit::new(SEED))` makes it, \
         computed by `build.rs`.\n\
         pub const INITIAL_WITH_SHORTCUT: WithShortcut<f32> = {net:?};\n"
    );
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set"));
    std::fs::write(out.join("initial.rs"), src).expect("writing initial.rs");
}
