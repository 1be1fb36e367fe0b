//! Prototypes of batched kernels for the core (see README.md, "Prototype").

pub mod engine;
pub mod gelu;
pub mod head;
pub mod kernels;
pub mod net;
pub mod update;

use crate::peers::Implementation;
use crate::problem::Problem;
use crate::Step;
use kernels::{Exact, Fused};
use net::{Avx2, ProtoStep, Pulp, Scalar};

fn build<M: kernels::Mac, D: net::Dispatch + Default>(p: &Problem) -> Box<dyn Step> {
    match (p.config.width, p.config.batch) {
        (64, 1) => Box::new(ProtoStep::<64, 1, M, D>::new(p)),
        (64, 32) => Box::new(ProtoStep::<64, 32, M, D>::new(p)),
        (256, 32) => Box::new(ProtoStep::<256, 32, M, D>::new(p)),
        (w, b) => panic!("no prototype for {w} x {b}"),
    }
}

/// Whether the prototypes run `config` (widths that are multiples of 64).
pub fn applies(config: &crate::config::Config) -> bool {
    config.width.is_multiple_of(kernels::PANEL)
}

/// The prototypes, for configurations 2 to 4 (widths that are multiples of 64).
pub fn prototypes() -> Vec<Implementation> {
    vec![
        Implementation {
            name: "proto-exact",
            bit_identical: true,
            build: build::<Exact, Pulp>,
        },
        Implementation {
            name: "proto-exact-avx2",
            bit_identical: true,
            build: build::<Exact, Avx2>,
        },
        Implementation {
            name: "proto-exact-scalar",
            bit_identical: true,
            build: build::<Exact, Scalar>,
        },
        Implementation {
            name: "proto-fused",
            bit_identical: false,
            build: build::<Fused, Pulp>,
        },
        Implementation {
            name: "proto-gemm",
            bit_identical: false,
            build: |p| Box::new(engine::EngineStep::<engine::Gemm>::new(p)),
        },
        Implementation {
            name: "proto-matrixmultiply",
            bit_identical: false,
            build: |p| Box::new(engine::EngineStep::<engine::MatrixMultiply>::new(p)),
        },
    ]
}
