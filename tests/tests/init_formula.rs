//! `TorchInit` reports the uniform formula it was built with (found by mutation testing:
//! no other test read the accessor).

use skipgrad::{TorchInit, UniformFormula};

#[test]
fn formula_is_the_one_given() {
    let cases = [
        (TorchInit::new(123), UniformFormula::Float32),
        (
            TorchInit::with_formula(123, UniformFormula::Float32),
            UniformFormula::Float32,
        ),
        (
            TorchInit::with_formula(7, UniformFormula::Float64),
            UniformFormula::Float64,
        ),
    ];
    for (init, want) in cases {
        assert_eq!(init.formula(), want);
    }
}
