//! Run-time choice of the instruction set for the batch kernels (the `dispatch` feature):
//! `Linear`'s products and the activations' element-wise loops.
//!
//! With the feature, [`vectorized`] runs its closure through `pulp`'s safe
//! `Arch::dispatch`: the closure is compiled once per x86 instruction set (baseline SSE2,
//! AVX2 + FMA, AVX-512) with that set enabled, and the best one the CPU has is called. The
//! batch kernels are `#[inline(always)]`, so they are compiled inside each copy and the
//! compiler vectorises their tiles and loops over 4, 8 or 16 lanes. The kernels are plain
//! safe Rust whose every sum has a fixed order: the compiler may vectorise across the
//! independent sums of a tile, never reorder or fuse the operations of one (Rust allows no
//! floating-point contraction), so every copy gives the same bits. Without the feature (a
//! microcontroller, or a host build that does not ask for it) the closure is simply called.
//!
//! `pulp` was chosen because it is the one well-kept crate whose dispatch is safe to call,
//! allocation-free and leaves the summation order to the caller (the GEMM crates fix their
//! own, fused, order, and two of them need `unsafe` at the call): `bench/README.md` compares
//! it with `gemm`, `matrixmultiply` and `faer`.

/// Runs `f` compiled for the best instruction set of this CPU (with the `dispatch` feature;
/// else as it is), telling it how many `f32` lanes that set's vectors hold: 16 under AVX-512,
/// 8 under AVX2, 1 in `pulp`'s scalar fallback; without the feature, 16, 8 or 4 from the
/// build's target features. The number is a constant in each compiled copy, so a kernel that
/// chooses its tiles from it compiles to one choice per instruction set.
#[inline(always)]
pub fn vectorized<R>(f: impl FnOnce(usize) -> R) -> R {
    #[cfg(feature = "dispatch")]
    {
        /// `f` with the lanes of the instruction set `pulp` compiles it for.
        struct Run<F>(F);
        impl<R, F: FnOnce(usize) -> R> pulp::WithSimd for Run<F> {
            type Output = R;
            #[inline(always)]
            fn with_simd<S: pulp::Simd>(self, _: S) -> R {
                (self.0)(S::F32_LANES)
            }
        }
        pulp::Arch::new().dispatch(Run(f))
    }
    #[cfg(not(feature = "dispatch"))]
    {
        f(BUILD_LANES)
    }
}

/// The `f32` lanes of the build's widest vectors, without run-time dispatch.
#[cfg(not(feature = "dispatch"))]
const BUILD_LANES: usize = if cfg!(target_feature = "avx512f") {
    16
} else if cfg!(target_feature = "avx2") {
    8
} else {
    4
};
