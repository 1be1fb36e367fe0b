//! Sequences of blocks: tuples `(A, B, C)` and arrays `[M; K]`.
//!
//! A tuple runs its elements in order, each fed the previous one's output, and only
//! type-checks when each element accepts what the one before it produces. An array repeats
//! one block type `K` times (a deep residual stack is `[Residual<Block>; K]`). Both name their
//! children by index, as `nn.Sequential` and `nn.ModuleList` do.

use crate::init::TorchInit;
use crate::module::{Module, Zeroed};
use crate::name::ParamName;
use crate::params::Params;
use crate::scalar::Scalar;

macro_rules! tuple_module {
    (
        first: $f:ident $fi:tt;
        chain: $($m:ident $i:tt after $p:ident),*;
        last: $l:ident $li:tt;
        rev: $($r:ident $ri:tt),*;
    ) => {
        impl<X, $f: Module<X>, $($m: Module<$p::Output>),*> Module<X> for ($f, $($m),*) {
            type Output = $l::Output;
            type Cache = ($f::Cache, $($m::Cache),*);

            #[inline]
            fn forward(&self, x: &X, cache: &mut Self::Cache) -> Self::Output {
                let y = self.$fi.forward(x, &mut cache.$fi);
                $(let y = self.$i.forward(&y, &mut cache.$i);)*
                y
            }

            #[inline]
            fn infer(&self, x: &X) -> Self::Output {
                let y = self.$fi.infer(x);
                $(let y = self.$i.infer(&y);)*
                y
            }

            #[inline]
            fn backward(&self, cache: &Self::Cache, dy: &Self::Output, grads: &mut Self) -> X {
                let d = self.$li.backward(&cache.$li, dy, &mut grads.$li);
                $(let d = self.$ri.backward(&cache.$ri, &d, &mut grads.$ri);)*
                d
            }
        }
    };
}

macro_rules! tuple_params {
    ($($m:ident $i:tt),*) => {
        impl<$($m: Zeroed),*> Zeroed for ($($m,)*) {
            #[inline(always)]
            fn zeroed() -> Self {
                ($($m::zeroed(),)*)
            }
        }

        impl<T: Scalar, $($m: Params<T>),*> Params<T> for ($($m,)*) {
            const LEN: usize = 0 $(+ $m::LEN)*;

            #[inline(always)]
            fn for_each_tensor(&self, f: &mut impl FnMut(&[T])) {
                $(self.$i.for_each_tensor(f);)*
            }
            #[inline(always)]
            fn for_each_tensor_mut(&mut self, f: &mut impl FnMut(&mut [T])) {
                $(self.$i.for_each_tensor_mut(f);)*
            }
            fn visit_named(&self, name: &mut ParamName, f: &mut impl FnMut(&ParamName, &[T])) {
                $(
                    let len = name.push_index($i);
                    self.$i.visit_named(name, f);
                    name.restore(len);
                )*
            }
            fn visit_named_mut(
                &mut self,
                name: &mut ParamName,
                f: &mut impl FnMut(&ParamName, &mut [T]),
            ) {
                $(
                    let len = name.push_index($i);
                    self.$i.visit_named_mut(name, f);
                    name.restore(len);
                )*
            }
            #[inline(always)]
            fn zip2(&mut self, a: &Self, f: &mut impl FnMut(&mut [T], &[T])) {
                $(self.$i.zip2(&a.$i, f);)*
            }
            #[inline(always)]
            fn zip2_mut(&mut self, a: &mut Self, f: &mut impl FnMut(&mut [T], &mut [T])) {
                $(self.$i.zip2_mut(&mut a.$i, f);)*
            }
            #[inline(always)]
            fn zip3(
                &mut self,
                a: &Self,
                b: &mut Self,
                f: &mut impl FnMut(&mut [T], &[T], &mut [T]),
            ) {
                $(self.$i.zip3(&a.$i, &mut b.$i, f);)*
            }
            #[inline(always)]
            fn zip4(
                &mut self,
                a: &Self,
                b: &mut Self,
                c: &mut Self,
                f: &mut impl FnMut(&mut [T], &[T], &mut [T], &mut [T]),
            ) {
                $(self.$i.zip4(&a.$i, &mut b.$i, &mut c.$i, f);)*
            }
            fn reset_parameters(&mut self, init: &mut TorchInit) {
                $(self.$i.reset_parameters(init);)*
            }
        }
    };
}

tuple_params!(M0 0);
tuple_params!(M0 0, M1 1);
tuple_params!(M0 0, M1 1, M2 2);
tuple_params!(M0 0, M1 1, M2 2, M3 3);
tuple_params!(M0 0, M1 1, M2 2, M3 3, M4 4);
tuple_params!(M0 0, M1 1, M2 2, M3 3, M4 4, M5 5);
tuple_params!(M0 0, M1 1, M2 2, M3 3, M4 4, M5 5, M6 6);
tuple_params!(M0 0, M1 1, M2 2, M3 3, M4 4, M5 5, M6 6, M7 7);
tuple_params!(M0 0, M1 1, M2 2, M3 3, M4 4, M5 5, M6 6, M7 7, M8 8);
tuple_params!(M0 0, M1 1, M2 2, M3 3, M4 4, M5 5, M6 6, M7 7, M8 8, M9 9);
tuple_params!(M0 0, M1 1, M2 2, M3 3, M4 4, M5 5, M6 6, M7 7, M8 8, M9 9, M10 10);
tuple_params!(M0 0, M1 1, M2 2, M3 3, M4 4, M5 5, M6 6, M7 7, M8 8, M9 9, M10 10, M11 11);

tuple_module!(
    first: M0 0;
    chain: M1 1 after M0;
    last: M1 1;
    rev: M0 0;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1;
    last: M2 2;
    rev: M1 1, M0 0;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2;
    last: M3 3;
    rev: M2 2, M1 1, M0 0;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3;
    last: M4 4;
    rev: M3 3, M2 2, M1 1, M0 0;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4;
    last: M5 5;
    rev: M4 4, M3 3, M2 2, M1 1, M0 0;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5;
    last: M6 6;
    rev: M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5, M7 7 after M6;
    last: M7 7;
    rev: M6 6, M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5, M7 7 after M6, M8 8 after M7;
    last: M8 8;
    rev: M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5, M7 7 after M6, M8 8 after M7, M9 9 after M8;
    last: M9 9;
    rev: M8 8, M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5, M7 7 after M6, M8 8 after M7, M9 9 after M8, M10 10 after M9;
    last: M10 10;
    rev: M9 9, M8 8, M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5, M7 7 after M6, M8 8 after M7, M9 9 after M8, M10 10 after M9, M11 11 after M10;
    last: M11 11;
    rev: M10 10, M9 9, M8 8, M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
);

impl<X: Clone, M: Module<X, Output = X>, const K: usize> Module<X> for [M; K] {
    type Output = X;
    type Cache = [M::Cache; K];

    #[inline]
    fn forward(&self, x: &X, cache: &mut Self::Cache) -> X {
        let mut y = x.clone();
        for (m, c) in self.iter().zip(cache.iter_mut()) {
            y = m.forward(&y, c);
        }
        y
    }

    #[inline]
    fn infer(&self, x: &X) -> X {
        let mut y = x.clone();
        for m in self {
            y = m.infer(&y);
        }
        y
    }

    #[inline]
    fn backward(&self, cache: &Self::Cache, dy: &X, grads: &mut Self) -> X {
        let mut d = dy.clone();
        for ((m, c), g) in self.iter().zip(cache).zip(grads.iter_mut()).rev() {
            d = m.backward(c, &d, g);
        }
        d
    }
}

impl<T: Scalar, M: Params<T>, const K: usize> Params<T> for [M; K] {
    const LEN: usize = K * M::LEN;

    #[inline(always)]
    fn for_each_tensor(&self, f: &mut impl FnMut(&[T])) {
        self.iter().for_each(|m| m.for_each_tensor(f));
    }
    #[inline(always)]
    fn for_each_tensor_mut(&mut self, f: &mut impl FnMut(&mut [T])) {
        self.iter_mut().for_each(|m| m.for_each_tensor_mut(f));
    }
    fn visit_named(&self, name: &mut ParamName, f: &mut impl FnMut(&ParamName, &[T])) {
        for (i, m) in self.iter().enumerate() {
            let len = name.push_index(i);
            m.visit_named(name, f);
            name.restore(len);
        }
    }
    fn visit_named_mut(&mut self, name: &mut ParamName, f: &mut impl FnMut(&ParamName, &mut [T])) {
        for (i, m) in self.iter_mut().enumerate() {
            let len = name.push_index(i);
            m.visit_named_mut(name, f);
            name.restore(len);
        }
    }
    #[inline(always)]
    fn zip2(&mut self, a: &Self, f: &mut impl FnMut(&mut [T], &[T])) {
        for (m, a) in self.iter_mut().zip(a) {
            m.zip2(a, f);
        }
    }
    #[inline(always)]
    fn zip2_mut(&mut self, a: &mut Self, f: &mut impl FnMut(&mut [T], &mut [T])) {
        for (m, a) in self.iter_mut().zip(a.iter_mut()) {
            m.zip2_mut(a, f);
        }
    }
    #[inline(always)]
    fn zip3(&mut self, a: &Self, b: &mut Self, f: &mut impl FnMut(&mut [T], &[T], &mut [T])) {
        for ((m, a), b) in self.iter_mut().zip(a).zip(b.iter_mut()) {
            m.zip3(a, b, f);
        }
    }
    #[inline(always)]
    fn zip4(
        &mut self,
        a: &Self,
        b: &mut Self,
        c: &mut Self,
        f: &mut impl FnMut(&mut [T], &[T], &mut [T], &mut [T]),
    ) {
        for (((m, a), b), c) in self.iter_mut().zip(a).zip(b.iter_mut()).zip(c.iter_mut()) {
            m.zip4(a, b, c, f);
        }
    }
    fn reset_parameters(&mut self, init: &mut TorchInit) {
        self.iter_mut().for_each(|m| m.reset_parameters(init));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gelu, Linear, Residual};

    type Block = (Linear<f64, 2, 2>, Gelu);

    #[test]
    fn tuple_chains_and_names_by_index() {
        let net = (
            Linear::<f64, 3, 2>::zeroed(),
            Gelu,
            Linear::<f64, 2, 1>::zeroed(),
        );
        let mut n = 0;
        let mut names = [""; 4];
        let mut buf: [heapless::String<32>; 4] = Default::default();
        net.visit_named(&mut ParamName::with_prefix("net"), &mut |name, t| {
            if let Some(b) = buf.get_mut(n) {
                let _ = b.push_str(name.as_str());
            }
            n += 1;
            let _ = t;
        });
        for (s, b) in names.iter_mut().zip(&buf) {
            *s = b.as_str();
        }
        assert_eq!(
            names,
            ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"]
        );
        assert_eq!(
            <(Linear<f64, 3, 2>, Gelu, Linear<f64, 2, 1>) as Params<f64>>::LEN,
            8 + 3
        );
        let y: [f64; 1] = net.infer(&[1.0, 2.0, 3.0]);
        assert_eq!(y, [0.0]);
    }

    #[test]
    fn array_equals_the_same_blocks_as_a_tuple() {
        let mut init = TorchInit::new(7);
        let arr: [Residual<Block>; 3] = Params::torch_init(&mut init);
        let tup = (arr[0], arr[1], arr[2]);
        let x = [0.3, -0.7];
        let (mut ca, mut ct) = (Zeroed::zeroed(), Zeroed::zeroed());
        let ya = arr.forward(&x, &mut ca);
        let yt = tup.forward(&x, &mut ct);
        assert_eq!(ya, yt);
        let (mut ga, mut gt) = (
            <[Residual<Block>; 3]>::zeroed(),
            <(Residual<Block>, Residual<Block>, Residual<Block>)>::zeroed(),
        );
        let dxa = arr.backward(&ca, &[1.0, -1.0], &mut ga);
        let dxt = tup.backward(&ct, &[1.0, -1.0], &mut gt);
        assert_eq!(dxa, dxt);
        assert_eq!(ga[0], gt.0);
        assert_eq!(ga[2], gt.2);
    }
}
