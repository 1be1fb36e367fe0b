//! `--number`: the number type a command computes in, and what training needs to know about
//! each (`f32`, `f64`, the core's `Q16` fixed point).

use skipgrad::{Adam, Float, Loss, Mse, Optimizer, Params, Scalar, Q16};

/// A number type of the core, as chosen on the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub enum Number {
    /// IEEE 754 single precision (the default).
    #[default]
    #[value(name = "f32")]
    #[serde(rename = "f32")]
    F32,
    /// IEEE 754 double precision.
    #[value(name = "f64")]
    #[serde(rename = "f64")]
    F64,
    /// Signed Q16.16 fixed point (`skipgrad::Q16`).
    #[value(name = "q16.16")]
    #[serde(rename = "q16.16")]
    Q16,
}

impl Number {
    /// The name on the command line and in JSON: the core's `Format` name.
    pub fn name(self) -> &'static str {
        match self {
            Number::F32 => <f32 as Scalar>::FORMAT.name(),
            Number::F64 => <f64 as Scalar>::FORMAT.name(),
            Number::Q16 => <Q16 as Scalar>::FORMAT.name(),
        }
    }
}

/// What `skipgrad train` needs of a number type beyond [`Scalar`].
pub trait TrainNumber: Scalar {
    /// Adam, where the type has the functions it needs (floating point), or why not.
    fn adam<M: Params<Self> + 'static>(lr: f64) -> anyhow::Result<Box<dyn Optimizer<Self, M>>>;

    /// The final loss of a run as reported: the MSE of the outputs. In floating point it is
    /// computed in the type itself; in fixed point, in `f64` from the exact outputs, because
    /// the fixed-point loss rounds every squared error to a unit (`2^-16`).
    fn final_loss<const K: usize>(outputs: &[[Self; 1]; K], targets: &[[Self; 1]; K]) -> f64;
}

fn float_adam<T: Float, M: Params<T> + 'static>(
    lr: f64,
) -> anyhow::Result<Box<dyn Optimizer<T, M>>> {
    Ok(Box::new(Adam::<T, M::Grads>::new().with_lr(lr)?))
}

impl TrainNumber for f32 {
    fn adam<M: Params<Self> + 'static>(lr: f64) -> anyhow::Result<Box<dyn Optimizer<Self, M>>> {
        float_adam(lr)
    }

    fn final_loss<const K: usize>(outputs: &[[f32; 1]; K], targets: &[[f32; 1]; K]) -> f64 {
        f64::from(Mse.batch_loss(outputs, targets))
    }
}

impl TrainNumber for f64 {
    fn adam<M: Params<Self> + 'static>(lr: f64) -> anyhow::Result<Box<dyn Optimizer<Self, M>>> {
        float_adam(lr)
    }

    fn final_loss<const K: usize>(outputs: &[[f64; 1]; K], targets: &[[f64; 1]; K]) -> f64 {
        Mse.batch_loss(outputs, targets)
    }
}

impl TrainNumber for Q16 {
    fn adam<M: Params<Self> + 'static>(_: f64) -> anyhow::Result<Box<dyn Optimizer<Self, M>>> {
        crate::usage_bail!(
            "--optimizer adam needs a floating-point --number (f32 or f64): its square root \
             and division of tiny moments do not fit q16.16"
        )
    }

    fn final_loss<const K: usize>(outputs: &[[Q16; 1]; K], targets: &[[Q16; 1]; K]) -> f64 {
        let sum: f64 = outputs
            .iter()
            .zip(targets)
            .map(|(y, t)| (y[0].to_f64() - t[0].to_f64()).powi(2))
            .sum();
        sum / K as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn names_are_the_core_formats() {
        for n in Number::value_variants() {
            let parsed = Number::from_str(n.name(), false).expect("parses its own name");
            assert_eq!(parsed, *n);
            assert_eq!(
                serde_json::to_value(n).expect("serialises"),
                serde_json::Value::from(n.name())
            );
        }
        assert_eq!(Number::Q16.name(), "q16.16");
    }
}
