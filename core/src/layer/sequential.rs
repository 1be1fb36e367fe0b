//! Sequences of blocks: tuples `(A, B, C)` and arrays `[M; K]`.
//!
//! A tuple runs its elements in order, each fed the previous one's output, and only
//! type-checks when each element accepts what the one before it produces. An array repeats
//! one block type `K` times (a deep residual stack is `[Residual<Block>; K]`). Both name their
//! children by index, as `nn.Sequential` and `nn.ModuleList` do.

use super::batch::BatchModule;
use super::module::Module;
use crate::data::{Batch, Data};
use crate::number::Scalar;
use crate::params::{Layer, Params, Segment};

macro_rules! tuple_module {
    (
        first: $f:ident $fi:tt;
        chain: $($m:ident $i:tt after $p:ident),*;
        last: $l:ident $li:tt;
        rev: $($r:ident $ri:tt),*;
        mid: $($n:ident $ni:tt),*;
    ) => {
        impl<X: Data, $f: Module<X>, $($m: Module<$p::Output>),*> Module<X> for ($f, $($m),*) {
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
            fn backward(&self, cache: &Self::Cache, dy: &Self::Output, grads: &mut Self::Grads) -> X {
                let d = self.$li.backward(&cache.$li, dy, &mut grads.$li);
                $(let d = self.$ri.backward(&cache.$ri, &d, &mut grads.$ri);)*
                d
            }

            #[inline]
            fn backward_input(&self, cache: &Self::Cache, dy: &Self::Output) -> X {
                let d = self.$li.backward_input(&cache.$li, dy);
                $(let d = self.$ri.backward_input(&cache.$ri, &d);)*
                d
            }

            #[inline]
            fn backward_params(&self, cache: &Self::Cache, dy: &Self::Output, grads: &mut Self::Grads) {
                let d = self.$li.backward(&cache.$li, dy, &mut grads.$li);
                $(let d = self.$ni.backward(&cache.$ni, &d, &mut grads.$ni);)*
                self.$fi.backward_params(&cache.$fi, &d, &mut grads.$fi);
            }
        }

        impl<X: Data, const B: usize, $f: BatchModule<X, B>, $($m: BatchModule<$p::Output, B>),*>
            BatchModule<X, B> for ($f, $($m),*)
        {
            type BatchCache = ($f::BatchCache, $($m::BatchCache),*);

            #[inline]
            fn forward_batch(&self, x: &Batch<X, B>, cache: &mut Self::BatchCache) -> Batch<Self::Output, B> {
                let y = self.$fi.forward_batch(x, &mut cache.$fi);
                $(let y = self.$i.forward_batch(&y, &mut cache.$i);)*
                y
            }

            #[inline]
            fn infer_batch(&self, x: &Batch<X, B>) -> Batch<Self::Output, B> {
                let y = self.$fi.infer_batch(x);
                $(let y = self.$i.infer_batch(&y);)*
                y
            }

            #[inline]
            fn backward_batch(
                &self,
                cache: &Self::BatchCache,
                dy: &Batch<Self::Output, B>,
                grads: &mut Self::Grads,
            ) -> Batch<X, B> {
                let d = self.$li.backward_batch(&cache.$li, dy, &mut grads.$li);
                $(let d = self.$ri.backward_batch(&cache.$ri, &d, &mut grads.$ri);)*
                d
            }

            #[inline]
            fn backward_batch_input(&self, cache: &Self::BatchCache, dy: &Batch<Self::Output, B>) -> Batch<X, B> {
                let d = self.$li.backward_batch_input(&cache.$li, dy);
                $(let d = self.$ri.backward_batch_input(&cache.$ri, &d);)*
                d
            }

            #[inline]
            fn backward_batch_params(
                &self,
                cache: &Self::BatchCache,
                dy: &Batch<Self::Output, B>,
                grads: &mut Self::Grads,
            ) {
                let d = self.$li.backward_batch(&cache.$li, dy, &mut grads.$li);
                $(let d = self.$ni.backward_batch(&cache.$ni, &d, &mut grads.$ni);)*
                self.$fi.backward_batch_params(&cache.$fi, &d, &mut grads.$fi);
            }
        }
    };
}

macro_rules! tuple_params {
    ($($m:ident $i:tt),*) => {
        impl<$($m: Layer),*> Layer for ($($m,)*) {
            type Grads = ($($m::Grads,)*);
        }

        impl<T: Scalar, $($m: Params<T>),*> Params<T> for ($($m,)*) {
            crate::params!(T; $(child $i as Segment::Index($i)),*);
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
    mid: ;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1;
    last: M2 2;
    rev: M1 1, M0 0;
    mid: M1 1;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2;
    last: M3 3;
    rev: M2 2, M1 1, M0 0;
    mid: M2 2, M1 1;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3;
    last: M4 4;
    rev: M3 3, M2 2, M1 1, M0 0;
    mid: M3 3, M2 2, M1 1;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4;
    last: M5 5;
    rev: M4 4, M3 3, M2 2, M1 1, M0 0;
    mid: M4 4, M3 3, M2 2, M1 1;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5;
    last: M6 6;
    rev: M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
    mid: M5 5, M4 4, M3 3, M2 2, M1 1;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5, M7 7 after M6;
    last: M7 7;
    rev: M6 6, M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
    mid: M6 6, M5 5, M4 4, M3 3, M2 2, M1 1;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5, M7 7 after M6, M8 8 after M7;
    last: M8 8;
    rev: M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
    mid: M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5, M7 7 after M6, M8 8 after M7, M9 9 after M8;
    last: M9 9;
    rev: M8 8, M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
    mid: M8 8, M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5, M7 7 after M6, M8 8 after M7, M9 9 after M8, M10 10 after M9;
    last: M10 10;
    rev: M9 9, M8 8, M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
    mid: M9 9, M8 8, M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1;
);
tuple_module!(
    first: M0 0;
    chain: M1 1 after M0, M2 2 after M1, M3 3 after M2, M4 4 after M3, M5 5 after M4, M6 6 after M5, M7 7 after M6, M8 8 after M7, M9 9 after M8, M10 10 after M9, M11 11 after M10;
    last: M11 11;
    rev: M10 10, M9 9, M8 8, M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1, M0 0;
    mid: M10 10, M9 9, M8 8, M7 7, M6 6, M5 5, M4 4, M3 3, M2 2, M1 1;
);

impl<X: Data, M: Module<X, Output = X>, const K: usize> Module<X> for [M; K] {
    type Output = X;
    type Cache = [M::Cache; K];

    #[inline]
    fn forward(&self, x: &X, cache: &mut Self::Cache) -> X {
        let mut y = *x;
        for (m, c) in self.iter().zip(cache.iter_mut()) {
            y = m.forward(&y, c);
        }
        y
    }

    #[inline]
    fn infer(&self, x: &X) -> X {
        let mut y = *x;
        for m in self {
            y = m.infer(&y);
        }
        y
    }

    #[inline]
    fn backward(&self, cache: &Self::Cache, dy: &X, grads: &mut [M::Grads; K]) -> X {
        let mut d = *dy;
        for ((m, c), g) in self.iter().zip(cache).zip(grads.iter_mut()).rev() {
            d = m.backward(c, &d, g);
        }
        d
    }

    #[inline]
    fn backward_input(&self, cache: &Self::Cache, dy: &X) -> X {
        let mut d = *dy;
        for (m, c) in self.iter().zip(cache).rev() {
            d = m.backward_input(c, &d);
        }
        d
    }
    #[inline]
    fn backward_params(&self, cache: &Self::Cache, dy: &X, grads: &mut [M::Grads; K]) {
        let (Some((m0, ms)), Some((c0, cs)), Some((g0, gs))) = (
            self.split_first(),
            cache.split_first(),
            grads.split_first_mut(),
        ) else {
            return;
        };
        let mut d = *dy;
        for ((m, c), g) in ms.iter().zip(cs).zip(gs).rev() {
            d = m.backward(c, &d, g);
        }
        m0.backward_params(c0, &d, g0);
    }
}

impl<X: Data, const B: usize, M: BatchModule<X, B, Output = X>, const K: usize> BatchModule<X, B>
    for [M; K]
{
    type BatchCache = [M::BatchCache; K];

    #[inline]
    fn forward_batch(&self, x: &Batch<X, B>, cache: &mut Self::BatchCache) -> Batch<X, B> {
        let mut y = *x;
        for (m, c) in self.iter().zip(cache.iter_mut()) {
            y = m.forward_batch(&y, c);
        }
        y
    }

    #[inline]
    fn infer_batch(&self, x: &Batch<X, B>) -> Batch<X, B> {
        let mut y = *x;
        for m in self {
            y = m.infer_batch(&y);
        }
        y
    }

    #[inline]
    fn backward_batch(
        &self,
        cache: &Self::BatchCache,
        dy: &Batch<X, B>,
        grads: &mut [M::Grads; K],
    ) -> Batch<X, B> {
        let mut d = *dy;
        for ((m, c), g) in self.iter().zip(cache).zip(grads.iter_mut()).rev() {
            d = m.backward_batch(c, &d, g);
        }
        d
    }

    #[inline]
    fn backward_batch_input(&self, cache: &Self::BatchCache, dy: &Batch<X, B>) -> Batch<X, B> {
        let mut d = *dy;
        for (m, c) in self.iter().zip(cache).rev() {
            d = m.backward_batch_input(c, &d);
        }
        d
    }
    #[inline]
    fn backward_batch_params(
        &self,
        cache: &Self::BatchCache,
        dy: &Batch<X, B>,
        grads: &mut [M::Grads; K],
    ) {
        let (Some((m0, ms)), Some((c0, cs)), Some((g0, gs))) = (
            self.split_first(),
            cache.split_first(),
            grads.split_first_mut(),
        ) else {
            return;
        };
        let mut d = *dy;
        for ((m, c), g) in ms.iter().zip(cs).zip(gs).rev() {
            d = m.backward_batch(c, &d, g);
        }
        m0.backward_batch_params(c0, &d, g0);
    }
}

impl<M: Layer, const K: usize> Layer for [M; K] {
    type Grads = [M::Grads; K];
}

impl<T: Scalar, M: Params<T>, const K: usize> Params<T> for [M; K] {
    crate::params!(T; each);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::visit_named;
    use crate::{Frozen, Gelu, Linear, Residual, TorchInit, Zeroed};

    type Block = (Linear<f64, 2, 2>, Gelu);

    #[test]
    fn tuple_chains_and_names_by_index() {
        let net = (Linear::<f64, 3, 2>::ZERO, Gelu, Linear::<f64, 2, 1>::ZERO);
        let mut n = 0;
        let mut buf: [heapless::String<32>; 4] = Default::default();
        let mut prefix = crate::ParamName::with_prefix("net");
        crate::params::visit_named_under(&net, &mut prefix, &mut |name, _, _: &[f64]| {
            if let Some(b) = buf.get_mut(n) {
                let _ = b.push_str(name.as_str());
            }
            n += 1;
        });
        let names = buf.each_ref().map(|b| b.as_str());
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
        let mut count = 0;
        visit_named(&[Linear::<f64, 1, 1>::ZERO; 3], |name, _, _| {
            count += usize::from(name.as_str().starts_with(['0', '1', '2']));
        });
        assert_eq!(count, 6);
    }

    #[test]
    fn array_equals_the_same_blocks_as_a_tuple() {
        let mut init = TorchInit::new(7);
        let arr: [Residual<Block>; 3] = Params::torch_init(&mut init);
        let tup = (arr[0], arr[1], arr[2]);
        let x = [0.3, -0.7];
        let (mut ca, mut ct) = (Zeroed::ZERO, Zeroed::ZERO);
        let ya = arr.forward(&x, &mut ca);
        let yt = tup.forward(&x, &mut ct);
        assert_eq!(ya, yt);
        let mut ga = <[Residual<Block>; 3]>::ZERO;
        let mut gt = <(Residual<Block>, Residual<Block>, Residual<Block>)>::ZERO;
        let dxa = arr.backward(&ca, &[1.0, -1.0], &mut ga);
        let dxt = tup.backward(&ct, &[1.0, -1.0], &mut gt);
        assert_eq!(dxa, dxt);
        assert_eq!(arr.backward_input(&ca, &[1.0, -1.0]), dxa);
        assert_eq!(tup.backward_input(&ct, &[1.0, -1.0]), dxt);
        assert_eq!(ga[0], gt.0);
        assert_eq!(ga[2], gt.2);
    }

    /// `backward_params` adds the same parameter gradients as `backward`, bit for bit, through
    /// tuples, arrays, shortcuts and a frozen first block (whose backward it skips).
    #[test]
    fn backward_params_adds_what_backward_adds() {
        type Net = (
            Frozen<Block>,
            [Residual<Block>; 2],
            (Linear<f64, 2, 9>, Gelu),
            Linear<f64, 9, 1>,
        );
        let net: Net = Params::torch_init(&mut TorchInit::new(11));
        let mut cache = Zeroed::ZERO;
        net.forward(&[0.3, -0.7], &mut cache);
        let (mut full, mut params) = (<Net as Layer>::Grads::ZERO, <Net as Layer>::Grads::ZERO);
        for dy in [[1.5], [-0.25]] {
            net.backward(&cache, &dy, &mut full);
            net.backward_params(&cache, &dy, &mut params);
        }
        assert_eq!(params, full);
        assert_ne!(params.3, Linear::ZERO);
    }
}
