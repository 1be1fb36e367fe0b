//! The losses the harness offers (`--loss`), one row each, and the two run-time losses that
//! compute them: [`PointLoss`] (a target number per output) and [`ClassLoss`] (a class index
//! per sample).
//!
//! A row is the command-line name, the title, what its targets are ([`Targets`]), the core
//! type, for one output the value at which a prediction turns from class 0 to class 1, and
//! the number types the core computes it in. A new loss of the core is one row: the flags,
//! the names, the check against the task's targets and the number type, and the run-time
//! loss in every number type follow from it. The compiled networks depend only on whether
//! a loss is [`Targets::Class`] (one logit per class) or not (one output, or one per class
//! with a one-hot target), so a row adds no compiled network.

use core::num::NonZeroUsize;

use skipgrad::{BceWithLogits, CrossEntropy, Flat, Huber, Loss, Mse, Scalar, Q16};
use skipgrad_digits::ClassTarget;

use super::number::{Number, TrainNumber};
use super::table::{choice, if_in};
use super::task::Truth;

/// What a loss's targets are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Targets {
    /// Any number per output (regression; a label is one too).
    Values,
    /// A probability per output, in `[0, 1]`: class labels, not regression targets.
    Probabilities,
    /// A class index per sample, one logit per class.
    Class,
}

/// `pointwise!(kind { yes } { no })`: `yes` for a row whose targets are one number per output.
macro_rules! pointwise {
    (Values $yes:block $no:block) => {
        $yes
    };
    (Probabilities $yes:block $no:block) => {
        $yes
    };
    (Class $yes:block $no:block) => {
        $no
    };
}

/// `classwise!(kind { yes } { no })`: `yes` for a row whose target is a class index.
macro_rules! classwise {
    (Class $yes:block $no:block) => {
        $yes
    };
    ($other:ident $yes:block $no:block) => {
        $no
    };
}

/// Declares the losses from their rows (see the [module](self)).
macro_rules! losses {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $cli:literal, $title:literal, $targets:ident $core:expr,
            at $threshold:literal, [$($number:ident),+];
    )+) => {
        choice! {
            /// A loss of the core, by its command-line name.
            pub enum LossKind {
                $( $(#[doc = $doc])* $variant = $cli, $title; )+
            }
        }

        impl LossKind {
            /// What the loss's targets are.
            pub fn targets(self) -> Targets {
                match self {
                    $(LossKind::$variant => Targets::$targets,)+
                }
            }

            /// For a network with one output: the output at which the prediction turns from
            /// class 0 to class 1 (0.5 for a regressed label, 0 for a logit).
            pub fn threshold(self) -> f64 {
                match self {
                    $(LossKind::$variant => $threshold,)+
                }
            }

            /// The number types the core computes this loss in.
            pub fn numbers(self) -> &'static [Number] {
                match self {
                    $(LossKind::$variant => &[$(Number::$number),+],)+
                }
            }

            /// The core type's terms per sample of `[f32; 3]` (a test of the run-time losses).
            #[cfg(test)]
            fn core_terms(self) -> usize {
                match self {
                    $(LossKind::$variant => terms::<[f32; 3], _>(&$core),)+
                }
            }
        }

        losses!(@number f32, F32; $($variant $targets $core, [$($number),+];)+);
        losses!(@number f64, F64; $($variant $targets $core, [$($number),+];)+);
        losses!(@number Q16, Q16; $($variant $targets $core, [$($number),+];)+);
    };
    (@number $t:ty, $n:ident; $($variant:ident $targets:ident $core:expr, [$($number:ident),+];)+) => {
        // A number type without a row of one kind of target uses none of its arguments.
        #[allow(unused_variables)]
        impl Losses for $t {
            fn point_accepts<Y: Flat<Scalar = $t>>(kind: LossKind, target: &Y) -> bool {
                match kind {
                    $(LossKind::$variant => if_in!($n [$($number),+] {
                        pointwise!($targets { Loss::<Y>::accepts(&$core, target) } { false })
                    } {
                        false
                    }),)+
                }
            }

            #[inline]
            fn point_sum<Y: Flat<Scalar = $t>>(kind: LossKind, y: &Y, target: &Y) -> $t {
                match kind {
                    $(LossKind::$variant => if_in!($n [$($number),+] {
                        pointwise!($targets { Loss::<Y>::sum(&$core, y, target) } {
                            unavailable()
                        })
                    } {
                        unavailable()
                    }),)+
                }
            }

            #[inline]
            fn point_gradient<Y: Flat<Scalar = $t>>(
                kind: LossKind,
                y: &Y,
                target: &Y,
                terms: NonZeroUsize,
            ) -> Y {
                match kind {
                    $(LossKind::$variant => if_in!($n [$($number),+] {
                        pointwise!($targets { Loss::<Y>::gradient(&$core, y, target, terms) } {
                            *y
                        })
                    } {
                        *y
                    }),)+
                }
            }

            fn class_accepts<const N: usize>(kind: LossKind, class: usize) -> bool {
                match kind {
                    $(LossKind::$variant => if_in!($n [$($number),+] {
                        classwise!($targets {
                            Loss::<[$t; N]>::accepts(&$core, &class)
                        } {
                            false
                        })
                    } {
                        false
                    }),)+
                }
            }

            #[inline]
            fn class_sum<const N: usize>(kind: LossKind, y: &[$t; N], class: usize) -> $t {
                match kind {
                    $(LossKind::$variant => if_in!($n [$($number),+] {
                        classwise!($targets { Loss::<[$t; N]>::sum(&$core, y, &class) } {
                            unavailable()
                        })
                    } {
                        unavailable()
                    }),)+
                }
            }

            #[inline]
            fn class_gradient<const N: usize>(
                kind: LossKind,
                y: &[$t; N],
                class: usize,
                terms: NonZeroUsize,
            ) -> [$t; N] {
                match kind {
                    $(LossKind::$variant => if_in!($n [$($number),+] {
                        classwise!($targets {
                            Loss::<[$t; N]>::gradient(&$core, y, &class, terms)
                        } {
                            *y
                        })
                    } {
                        *y
                    }),)+
                }
            }
        }
    };
}

losses! {
    /// Mean squared error.
    Mse = "mse", "MSE", Values Mse, at 0.5, [F32, F64, Q16];
    /// Cross-entropy on one logit per class, class-index targets (moons, digits).
    CrossEntropy = "cross-entropy", "cross-entropy", Class CrossEntropy, at 0.0, [F32, F64, Q16];
    /// Binary cross-entropy on a logit per output, targets in [0, 1] (moons, digits).
    Bce = "bce", "BCE with logits", Probabilities BceWithLogits, at 0.0, [F32, F64];
    /// Huber, delta 1.
    Huber = "huber", "Huber", Values Huber, at 0.5, [F32, F64, Q16];
}

impl Default for LossKind {
    /// The notebook's.
    fn default() -> Self {
        LossKind::Mse
    }
}

impl LossKind {
    /// True for the losses of a classifier, whose targets are class labels (class indices or
    /// probabilities in `[0, 1]`).
    pub fn classifies(self) -> bool {
        self.targets() != Targets::Values
    }

    /// True if the core computes this loss in `number`.
    pub fn exists_in(self, number: Number) -> bool {
        self.numbers().contains(&number)
    }
}

/// Terms per sample of `loss`, for [`LossKind::core_terms`].
#[cfg(test)]
fn terms<Y: skipgrad::Data, L: Loss<Y>>(_: &L) -> usize {
    L::TERMS
}

/// A value that is not finite in `T` (an infinity, or a rail in fixed point).
fn unavailable<T: Scalar>() -> T {
    T::from_f64(f64::INFINITY)
}

/// The table's losses computed in a number type. A loss that does not exist in it, or is
/// asked for with the other kind of target, is never asked for (the model spec refuses it):
/// it accepts no target, so a training step refuses at once.
pub trait Losses: Scalar {
    /// [`Loss::accepts`] of a loss whose targets are one number per output.
    fn point_accepts<Y: Flat<Scalar = Self>>(kind: LossKind, target: &Y) -> bool;
    /// [`Loss::sum`] of a loss whose targets are one number per output.
    fn point_sum<Y: Flat<Scalar = Self>>(kind: LossKind, y: &Y, target: &Y) -> Self;
    /// [`Loss::gradient`] of a loss whose targets are one number per output.
    fn point_gradient<Y: Flat<Scalar = Self>>(
        kind: LossKind,
        y: &Y,
        target: &Y,
        terms: NonZeroUsize,
    ) -> Y;
    /// [`Loss::accepts`] of a loss whose target is a class index.
    fn class_accepts<const N: usize>(kind: LossKind, class: usize) -> bool;
    /// [`Loss::sum`] of a loss whose target is a class index.
    fn class_sum<const N: usize>(kind: LossKind, y: &[Self; N], class: usize) -> Self;
    /// [`Loss::gradient`] of a loss whose target is a class index.
    fn class_gradient<const N: usize>(
        kind: LossKind,
        y: &[Self; N],
        class: usize,
        terms: NonZeroUsize,
    ) -> [Self; N];
}

/// A loss with a target number per output, chosen at run time: one compiled network trains
/// with any of them, each computing exactly what its core type computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointLoss(pub LossKind);

impl<Y: Flat> Loss<Y> for PointLoss
where
    Y::Scalar: Losses,
{
    type Target = Y;
    const TERMS: usize = Y::LEN;

    fn accepts(&self, target: &Y) -> bool {
        Y::Scalar::point_accepts(self.0, target)
    }

    #[inline]
    fn sum(&self, y: &Y, target: &Y) -> Y::Scalar {
        Y::Scalar::point_sum(self.0, y, target)
    }

    #[inline]
    fn gradient(&self, y: &Y, target: &Y, terms: NonZeroUsize) -> Y {
        Y::Scalar::point_gradient(self.0, y, target, terms)
    }
}

/// A loss with a class index per sample (one logit per class), chosen at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassLoss(pub LossKind);

impl<T: Losses, const N: usize> Loss<[T; N]> for ClassLoss {
    type Target = usize;
    const TERMS: usize = 1;

    fn accepts(&self, class: &usize) -> bool {
        T::class_accepts::<N>(self.0, *class)
    }

    #[inline]
    fn sum(&self, y: &[T; N], class: &usize) -> T {
        T::class_sum(self.0, y, *class)
    }

    #[inline]
    fn gradient(&self, y: &[T; N], class: &usize, terms: NonZeroUsize) -> [T; N] {
        T::class_gradient(self.0, y, *class, terms)
    }
}

/// A run-time loss of a network with `O` outputs in `T`, with its targets made from a
/// task's [`Truth`]: [`PointLoss`] or [`ClassLoss`], as the model dispatch chooses.
pub trait TaskLoss<T: TrainNumber, const O: usize>:
    Loss<[T; O], Target: ClassTarget> + Copy + Send + Sync + 'static
{
    /// The loss of a row.
    fn new(kind: LossKind) -> Self;

    /// The row.
    fn kind(&self) -> LossKind;

    /// The target of a sample whose truth is `truth`.
    fn target(truth: Truth) -> Self::Target;

    /// [`Loss::batch_loss`] computed in `f64` from outputs widened exactly.
    fn batch_loss_f64<const K: usize>(&self, outputs: &[[f64; O]; K], truths: &[Truth; K]) -> f64;

    /// The class an output names: for one output, which side of the row's threshold it is
    /// on; for several, the largest (the first of equals; never a NaN, as `torch.argmax`
    /// on a finite vector).
    fn predict(&self, y: &[T; O]) -> usize {
        match y.as_slice() {
            [one] => usize::from(one.to_f64() >= self.kind().threshold()),
            _ => argmax(y),
        }
    }
}

/// The index of the largest value, the first of equals; a NaN is never the largest (all NaN:
/// 0).
pub fn argmax<T: Scalar>(y: &[T]) -> usize {
    let mut best = 0;
    let mut max = None;
    for (i, &v) in y.iter().enumerate() {
        if v.partial_cmp(&v).is_some() && max.is_none_or(|m| v > m) {
            (best, max) = (i, Some(v));
        }
    }
    best
}

impl<T: TrainNumber, const O: usize> TaskLoss<T, O> for PointLoss {
    fn new(kind: LossKind) -> Self {
        PointLoss(kind)
    }

    fn kind(&self) -> LossKind {
        self.0
    }

    /// A value as the target of every output; a class as the label itself (one output) or
    /// one-hot (one output per class).
    fn target(truth: Truth) -> [T; O] {
        match truth {
            Truth::Value(v) => [T::from_f64(f64::from(v)); O],
            Truth::Class(c) if O == 1 => [T::from_usize(c); O],
            Truth::Class(c) => ClassTarget::from_class(c),
        }
    }

    fn batch_loss_f64<const K: usize>(&self, outputs: &[[f64; O]; K], truths: &[Truth; K]) -> f64 {
        let targets = truths.map(<Self as TaskLoss<f64, O>>::target);
        Loss::<[f64; O]>::batch_loss(self, outputs, &targets)
    }
}

impl<T: TrainNumber, const O: usize> TaskLoss<T, O> for ClassLoss {
    fn new(kind: LossKind) -> Self {
        ClassLoss(kind)
    }

    fn kind(&self) -> LossKind {
        self.0
    }

    /// The class; a value is no class (`usize::MAX`, which no loss accepts).
    fn target(truth: Truth) -> usize {
        match truth {
            Truth::Class(c) => c,
            Truth::Value(_) => usize::MAX,
        }
    }

    fn batch_loss_f64<const K: usize>(&self, outputs: &[[f64; O]; K], truths: &[Truth; K]) -> f64 {
        let targets = truths.map(<Self as TaskLoss<f64, O>>::target);
        Loss::<[f64; O]>::batch_loss(self, outputs, &targets)
    }

    fn predict(&self, y: &[T; O]) -> usize {
        argmax(y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row gives its core type's bits through the run-time losses, and their terms per
    /// sample are the core type's.
    #[test]
    fn dispatch_gives_the_core_types_bits() {
        let (y, t) = ([0.3f32, -2.5, 4.0], [0.0f32, 1.0, 0.5]);
        let n = NonZeroUsize::new(6).unwrap_or(NonZeroUsize::MIN);
        let bits = |v: f32| v.to_bits();
        let cases: [(LossKind, f32, [f32; 3]); 3] = [
            (LossKind::Mse, Mse.sum(&y, &t), Mse.gradient(&y, &t, n)),
            (
                LossKind::Huber,
                Huber.sum(&y, &t),
                Huber.gradient(&y, &t, n),
            ),
            (
                LossKind::Bce,
                BceWithLogits.sum(&y, &t),
                BceWithLogits.gradient(&y, &t, n),
            ),
        ];
        for (kind, sum, grad) in cases {
            let l = PointLoss(kind);
            assert_eq!(bits(l.sum(&y, &t)), bits(sum), "{kind:?}");
            assert_eq!(l.gradient(&y, &t, n).map(bits), grad.map(bits), "{kind:?}");
            assert_eq!(
                kind.core_terms(),
                <PointLoss as Loss<[f32; 3]>>::TERMS,
                "{kind:?}"
            );
        }
        assert!(!PointLoss(LossKind::Bce).accepts(&[1.5f32]));
        assert!(PointLoss(LossKind::Mse).accepts(&[1.5f32]));
        let l = ClassLoss(LossKind::CrossEntropy);
        assert_eq!(bits(l.sum(&y, &2)), bits(CrossEntropy.sum(&y, &2)));
        assert_eq!(
            l.gradient(&y, &2, n).map(bits),
            CrossEntropy.gradient(&y, &2, n).map(bits)
        );
        assert!(Loss::<[f32; 3]>::accepts(&l, &2));
        assert!(!Loss::<[f32; 3]>::accepts(&l, &3));
        assert_eq!(
            LossKind::CrossEntropy.core_terms(),
            <ClassLoss as Loss<[f32; 3]>>::TERMS
        );
    }

    /// A loss that does not exist in a number type, or is asked for with the other kind of
    /// target, accepts nothing: a step refuses at once.
    #[test]
    fn what_does_not_exist_accepts_nothing() {
        let y = [Q16::from_f64(0.5)];
        assert!(!PointLoss(LossKind::Bce).accepts(&y));
        assert!(PointLoss(LossKind::Mse).accepts(&y));
        assert!(!Loss::<[Q16; 2]>::accepts(&ClassLoss(LossKind::Bce), &0));
        assert!(!PointLoss(LossKind::CrossEntropy).accepts(&[0.5f32]));
        assert!(!Loss::<[f32; 2]>::accepts(&ClassLoss(LossKind::Mse), &0));
        for kind in LossKind::ALL {
            let in_q16 = kind.exists_in(Number::Q16);
            assert_eq!(in_q16, kind != LossKind::Bce, "{kind:?}");
            assert!(kind.exists_in(Number::F32));
        }
    }

    /// Cross-entropy in Q16.16 is the core's, bit for bit, through the run-time loss.
    #[test]
    fn q16_cross_entropy_is_the_core_s() {
        let y = [-1.25, 0.5, 3.0].map(Q16::from_f64);
        let l = ClassLoss(LossKind::CrossEntropy);
        let n = NonZeroUsize::MIN;
        for class in 0..3 {
            assert!(Loss::<[Q16; 3]>::accepts(&l, &class));
            assert_eq!(l.sum(&y, &class), CrossEntropy.sum(&y, &class));
            assert_eq!(
                l.gradient(&y, &class, n),
                CrossEntropy.gradient(&y, &class, n)
            );
        }
        assert!(!Loss::<[Q16; 3]>::accepts(&l, &3));
    }

    #[test]
    fn targets_and_predictions() {
        let t: [f32; 1] = <PointLoss as TaskLoss<f32, 1>>::target(Truth::Value(-0.25));
        assert_eq!(t, [-0.25]);
        let t: [f32; 1] = <PointLoss as TaskLoss<f32, 1>>::target(Truth::Class(1));
        assert_eq!(t, [1.0]);
        let t: [f32; 3] = <PointLoss as TaskLoss<f32, 3>>::target(Truth::Class(1));
        assert_eq!(t, [0.0, 1.0, 0.0]);
        assert_eq!(<ClassLoss as TaskLoss<f32, 3>>::target(Truth::Class(2)), 2);
        let mse = PointLoss(LossKind::Mse);
        let bce = PointLoss(LossKind::Bce);
        assert_eq!(TaskLoss::<f32, 1>::predict(&mse, &[0.5]), 1);
        assert_eq!(TaskLoss::<f32, 1>::predict(&mse, &[0.49]), 0);
        assert_eq!(TaskLoss::<f32, 1>::predict(&bce, &[0.0]), 1);
        assert_eq!(TaskLoss::<f32, 1>::predict(&bce, &[-0.1]), 0);
        assert_eq!(TaskLoss::<f32, 3>::predict(&mse, &[0.1, 0.7, 0.7]), 1);
        let nan = f32::NAN;
        assert_eq!(argmax(&[nan, 1.0, nan, 2.0]), 3);
        assert_eq!(argmax(&[nan; 4]), 0);
    }
}
