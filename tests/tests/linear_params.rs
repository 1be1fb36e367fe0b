//! `Linear::PARAMS`, `Params::LEN` and the tensors handed out agree for every size (found by
//! mutation testing: no test read `Linear::PARAMS`).

use skipgrad::{Linear, Params, Zeroed};
use skipgrad_harness::gradcheck::flatten;

macro_rules! sizes {
    ($(($i:literal, $o:literal)),* $(,)?) => {
        #[test]
        fn params_count_is_in_times_out_plus_out() {
            $(
                assert_eq!(Linear::<f64, $i, $o>::PARAMS, $i * $o + $o);
                assert_eq!(<Linear<f64, $i, $o> as Params<f64>>::LEN, $i * $o + $o);
                assert_eq!(flatten(&Linear::<f32, $i, $o>::zeroed()).len(), $i * $o + $o);
            )*
        }
    };
}

sizes!((1, 1), (2, 3), (3, 1), (7, 7), (16, 3));
