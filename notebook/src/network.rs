// The notebook's networks. Shared verbatim by `lib.rs` and `build.rs` (which computes the
// initial weights at build time), so both always describe the same model.

/// One layer of the notebook: `nn.Sequential(nn.Linear(I, O), GELU())`.
pub type Layer<T, const I: usize, const O: usize> = (Linear<T, I, O>, Gelu);

/// The notebook's network without shortcuts (`model_without_shortcut`).
pub type Plain<T> = (
    Layer<T, 3, 3>,
    Layer<T, 3, 3>,
    Layer<T, 3, 3>,
    Layer<T, 3, 3>,
    Layer<T, 3, 1>,
);

/// The notebook's network with shortcuts (`model_with_shortcut`): the 3 -> 1 head has none,
/// because its input and output shapes differ, exactly as the notebook's runtime test decides.
pub type WithShortcut<T> = (
    Residual<Layer<T, 3, 3>>,
    Residual<Layer<T, 3, 3>>,
    Residual<Layer<T, 3, 3>>,
    Residual<Layer<T, 3, 3>>,
    Layer<T, 3, 1>,
);

/// The notebook's network without shortcuts and with tanh instead of GELU: the shape of the
/// C++ library tinymind's benchmark (3-3-3-3-3-1, tanh, no shortcuts).
pub type PlainTanh<T> = (
    (Linear<T, 3, 3>, Tanh),
    (Linear<T, 3, 3>, Tanh),
    (Linear<T, 3, 3>, Tanh),
    (Linear<T, 3, 3>, Tanh),
    (Linear<T, 3, 1>, Tanh),
);

/// The notebook's `torch.manual_seed` value.
pub const SEED: u64 = 123;
