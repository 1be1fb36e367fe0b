//! Computes the notebook network's initial weights (`torch.manual_seed(123)` and
//! `nn.Linear`'s initialisation, through `skipgrad::TorchInit`) on the build machine and writes
//! them as a constant, so that a device can start from flash instead of running MT19937
//! (2.5 KB of state) and the `f64` bound computations.
//!
//! The constant is the model's `Debug` output: every layer of the core prints as the Rust
//! expression that rebuilds it, floats in their shortest round-trip form, so the constant is
//! the model bit for bit (`cargo xtask mcu` checks it against `TorchInit`).

use skipgrad::{Params, Scalar, TorchInit, Q16};

#[allow(dead_code)]
mod network {
    use skipgrad::{Gelu, Linear, Residual, Tanh};
    include!("src/network.rs");
}

/// `model` with every value rounded to Q16.16, through the flat layout.
fn to_q16<F: Params<f32>, Q: Params<Q16> + skipgrad::Zeroed>(model: &F) -> Q {
    let mut values = vec![0.0f32; F::LEN];
    model.store_flat(&mut values).expect("the model's length");
    let fixed: Vec<Q16> = values
        .iter()
        .map(|v| Q16::from_f64(f64::from(*v)))
        .collect();
    let mut q = Q::ZERO;
    q.load_flat(&fixed).expect("the same length");
    q
}

fn main() {
    println!("cargo:rerun-if-changed=src/network.rs");
    println!("cargo:rerun-if-changed=build.rs");
    let net: network::WithShortcut<f32> = Params::torch_init(&mut TorchInit::new(network::SEED));
    let tanh: network::PlainTanh<f32> = Params::torch_init(&mut TorchInit::new(network::SEED));
    let net_q16: network::WithShortcut<Q16> = to_q16(&net);
    let tanh_q16: network::PlainTanh<Q16> = to_q16(&tanh);
    assert!(<Q16 as Scalar>::FORMAT.name() == "q16.16");
    let src = format!(
        "/// [`WithShortcut`] as `Params::torch_init(&mut TorchInit::new(SEED))` makes it, \
         computed by `build.rs`.\n\
         pub const INITIAL_WITH_SHORTCUT: WithShortcut<f32> = {net:?};\n\
         /// [`INITIAL_WITH_SHORTCUT`] rounded to Q16.16.\n\
         pub const INITIAL_WITH_SHORTCUT_Q16: WithShortcut<Q16> = {net_q16:?};\n\
         /// [`PlainTanh`] as `Params::torch_init(&mut TorchInit::new(SEED))` makes it, rounded \
         to Q16.16.\n\
         pub const INITIAL_PLAIN_TANH_Q16: PlainTanh<Q16> = {tanh_q16:?};\n"
    );
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set"));
    std::fs::write(out.join("initial.rs"), src).expect("writing initial.rs");
}
