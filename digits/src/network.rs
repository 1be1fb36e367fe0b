//! The default network and the network that fine-tunes only its head.
//!
//! [`Net`] is `skipgrad train`'s network shape for the digits (an input layer, `D` blocks, an
//! output layer, as an `nn.Sequential`) with 64 inputs, one block of width 32 with a shortcut,
//! and 10 logits: 3,466 parameters, 13,864 bytes in `f32`. Its tensors are named as PyTorch
//! names `tools/skipgrad_digits.py`'s `network()`: `0.0.weight`, `0.0.bias`, `1.0.0.weight`,
//! `1.0.0.bias`, `2.weight`, `2.bias`.
//!
//! [`HeadTuned`] is the same network with its input layer and block borrowed and frozen
//! ([`NoGrad`]: no gradient, no cache, no optimizer state; on a device they stay in flash)
//! and only the head trained. Its tensors have the same names and shapes, so its
//! [device image](skipgrad::params::image) is [`Net`]'s.
//!
//! [`convert`] maps a network into another number type (the host-trained `f32` network into
//! the Q16.16 one that `digits-adapt-q16` adapts on a core without an FPU, and back).

use skipgrad::params::{self, ConvertError, Saturation, Summary};
use skipgrad::{Linear, NoGrad, Params, Relu, Residual, Scalar};

use crate::file::{CLASSES, PIXELS};

/// The hidden width.
pub const HIDDEN: usize = 32;
/// Hidden blocks.
pub const DEPTH: usize = 1;

/// The input layer: `nn.Sequential(nn.Linear(64, 32), activation)`.
pub type InputLayer<A = Relu, T = f32> = (Linear<T, PIXELS, HIDDEN>, A);
/// A hidden block with a shortcut: `x + activation(nn.Linear(32, 32)(x))`.
pub type Block<A = Relu, T = f32> = Residual<(Linear<T, HIDDEN, HIDDEN>, A)>;
/// The hidden blocks.
pub type Blocks<A = Relu, T = f32> = [Block<A, T>; DEPTH];
/// The output layer: 10 logits.
pub type Head<T = f32> = Linear<T, HIDDEN, CLASSES>;
/// The network: input layer, blocks, head.
pub type Net<A = Relu, T = f32> = (InputLayer<A, T>, Blocks<A, T>, Head<T>);
/// The network with its input layer and blocks borrowed from a trained [`Net`] and frozen:
/// only the head trains.
pub type HeadTuned<'a, A = Relu, T = f32> = (
    NoGrad<&'a InputLayer<A, T>>,
    NoGrad<&'a Blocks<A, T>>,
    Head<T>,
);

/// `net` with its front borrowed and frozen and a copy of its head to train.
pub fn head_tuned<A: Copy, T: Scalar>(net: &Net<A, T>) -> HeadTuned<'_, A, T> {
    (NoGrad(&net.0), NoGrad(&net.1), net.2)
}

/// `from` in another number type, into `to`: every value rounded to the nearest value of `T`
/// (ties to even) by the core's conversion ([`params::convert`]). A NaN or infinite value
/// (a rail, in fixed point) is refused ([`ConvertError::NonFinite`]), and so is a value
/// beyond the range of `T` ([`ConvertError::Saturated`]: nothing is clamped); the error
/// numbers the tensor (`params::tensor_name::<Net<A, F>, F>` names it) and the element, and a
/// refused conversion leaves `to` unchanged. Returns the whole model's summary: values
/// flushed to zero and the largest error.
pub fn convert<A, F, T>(from: &Net<A, F>, to: &mut Net<A, T>) -> Result<Summary, ConvertError>
where
    F: Scalar,
    T: Scalar,
    Net<A, F>: Params<F>,
    Net<A, T>: Params<T>,
{
    params::convert::<F, T, _, _>(from, to, Saturation::Refuse, |_, _| {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::params::tensor_name;
    use skipgrad::{Zeroed, Q16};

    /// A small network with every tensor holding `v` at a given element.
    fn net_with(tensor: usize, element: usize, v: f32) -> Net {
        let mut net = Net::ZERO;
        let mut flat = [0.25f32; <Net as Params<f32>>::LEN];
        // Tensor offsets in registration order: 0.0.weight, 0.0.bias, 1.0.0.weight,
        // 1.0.0.bias, 2.weight, 2.bias.
        let lens = [
            PIXELS * HIDDEN,
            HIDDEN,
            HIDDEN * HIDDEN,
            HIDDEN,
            HIDDEN * CLASSES,
        ];
        let start: usize = lens.iter().take(tensor).sum();
        flat[start + element] = v;
        net.load_flat(&flat).expect("lengths agree");
        net
    }

    /// Quantising to Q16.16 and back: values to nearest, then exactly back; a NaN, an
    /// infinity or a value beyond Q16.16's range is refused, naming its tensor and element,
    /// and leaves the target as it was.
    #[test]
    fn converts_to_q16_and_refuses_what_it_cannot_hold() {
        let clean = net_with(2, 5, -3.0e-6);
        let mut q = Net::<Relu, Q16>::ZERO;
        let summary = convert(&clean, &mut q).expect("in range");
        // -3e-6 is below half a unit (2^-17): zero, and counted.
        assert_eq!((summary.saturated, summary.flushed), (0, 1));
        assert!(summary.max_error <= 0.5 / 65536.0, "{summary:?}");
        assert_eq!(q.1[0].0 .0.weight[0][5], Q16::ZERO);
        assert_eq!(q.0 .0.weight[0][0], Q16::from_f64(0.25));
        let mut back = Net::<Relu, f32>::ZERO;
        let summary = convert(&q, &mut back).expect("back to f32");
        assert_eq!(
            summary.max_error, 0.0,
            "Q16 values below 256 are exact in f32"
        );

        for (v, want) in [
            (
                f32::NAN,
                ConvertError::NonFinite {
                    tensor: 2,
                    element: 7,
                },
            ),
            (
                f32::NEG_INFINITY,
                ConvertError::NonFinite {
                    tensor: 2,
                    element: 7,
                },
            ),
            (
                40000.0,
                ConvertError::Saturated {
                    tensor: 2,
                    element: 7,
                    value: 40000.0,
                    count: 1,
                },
            ),
        ] {
            let before = q;
            let err = convert(&net_with(2, 7, v), &mut q).expect_err("refused");
            assert_eq!(err, want, "{v}");
            assert_eq!(q, before, "{v}: the target is unchanged");
            let name = tensor_name::<Net, f32>(2).expect("tensor 2");
            assert_eq!(name.as_str(), "1.0.0.weight");
        }
        // The largest value Q16.16 holds is in range; just beyond half a unit above it is not.
        assert!(convert(&net_with(5, 9, 32767.99), &mut q).is_ok());
        assert!(matches!(
            convert(&net_with(5, 9, 32768.0), &mut q),
            Err(ConvertError::Saturated {
                tensor: 5,
                element: 9,
                ..
            })
        ));
    }
}
