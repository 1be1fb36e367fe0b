// The notebook's networks and seed. Shared verbatim by `lib.rs` and `build.rs` (which computes
// the initial weights at build time), so both always describe the same model.

/// One layer of the notebook: `nn.Sequential(nn.Linear(I, O), GELU())`.
pub type Layer<const I: usize, const O: usize> = (Linear<f32, I, O>, Gelu);

/// The notebook's network without shortcuts (`model_without_shortcut`).
pub type Plain = (
    Layer<3, 3>,
    Layer<3, 3>,
    Layer<3, 3>,
    Layer<3, 3>,
    Layer<3, 1>,
);

/// The notebook's network with shortcuts (`model_with_shortcut`): the 3 -> 1 head has none.
pub type WithShortcut = (
    Residual<Layer<3, 3>>,
    Residual<Layer<3, 3>>,
    Residual<Layer<3, 3>>,
    Residual<Layer<3, 3>>,
    Layer<3, 1>,
);

/// The notebook's `torch.manual_seed` value.
pub const SEED: u64 = 123;
