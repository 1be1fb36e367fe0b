//! Computes the notebook network's initial weights (`torch.manual_seed(123)` and `nn.Linear`'s
//! initialisation, through `skipgrad::TorchInit`) on the build machine and writes them as a
//! constant, so that the minimal trainer starts from flash instead of running MT19937 (2.5 KB
//! of state) and the `f64` bound computations on the device.

use std::fmt::Write as _;

use skipgrad::{Linear, Params, TorchInit};

#[allow(dead_code)]
mod network {
    use skipgrad::{Gelu, Linear, Residual};
    include!("src/network.rs");
}
use network::{WithShortcut, SEED};

/// `Linear::new([[..]; O], [..])` with every value written as its exact f32 bits.
fn linear<const I: usize, const O: usize>(l: &Linear<f32, I, O>) -> String {
    let bits = |v: &f32| format!("f32::from_bits(0x{:08x})", v.to_bits());
    let mut rows = String::new();
    for row in &l.weight {
        let row: Vec<String> = row.iter().map(bits).collect();
        write!(rows, "[{}], ", row.join(", ")).expect("writing to a String");
    }
    let bias: Vec<String> = l.bias.iter().map(bits).collect();
    format!("Linear::new([{rows}], [{}])", bias.join(", "))
}

fn main() {
    println!("cargo:rerun-if-changed=src/network.rs");
    println!("cargo:rerun-if-changed=build.rs");
    let net: WithShortcut = Params::torch_init(&mut TorchInit::new(SEED));
    let block = |l: &Linear<f32, 3, 3>| format!("Residual(({}, Gelu)),\n", linear(l));
    let src = format!(
        "/// [`WithShortcut`] as `Params::torch_init(&mut TorchInit::new(SEED))` makes it, \
         computed by `build.rs`.\n\
         pub const INITIAL_WITH_SHORTCUT: WithShortcut = (\n{}{}{}{}({}, Gelu),\n);\n",
        block(&net.0 .0 .0),
        block(&net.1 .0 .0),
        block(&net.2 .0 .0),
        block(&net.3 .0 .0),
        linear(&net.4 .0),
    );
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set"));
    std::fs::write(out.join("initial.rs"), src).expect("writing initial.rs");
}
