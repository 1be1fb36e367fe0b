//! The piecewise cubic tables of the Q16.16 activations, written by
//! `tools/q16_tables.py` (do not edit by hand; run it again).
//!
//! Each table covers `a >= 0` below its limit; see [`super::cubic`] for the evaluation.

use super::cubic::{Cubic, Table};

/// GELU (tanh approximation) for x >= 0: 20 segments of width 0.25 on
/// `[0, 5.0)`; worst error over every input below the limit 0.8292 units
/// of `2^-16` (as the generator measured it).
pub(super) const GELU: Table = Table {
    shift: 14,
    extra: 2,
    segments: &[
        Cubic::new(0, 32753, 6620, -135),
        Cubic::new(39237, 45559, 6199, -367),
        Cubic::new(90627, 56839, 5071, -503),
        Cubic::new(152033, 65470, 3533, -522),
        Cubic::new(220513, 70982, 1949, -441),
        Cubic::new(293001, 73575, 619, -305),
        Cubic::new(366889, 73916, -293, -163),
        Cubic::new(440348, 72857, -771, -47),
        Cubic::new(512385, 71184, -902, 27),
        Cubic::new(582693, 69465, -812, 61),
        Cubic::new(651405, 68025, -624, 66),
        Cubic::new(718872, 66973, -422, 56),
        Cubic::new(785478, 66296, -255, 39),
        Cubic::new(851557, 65900, -138, 24),
        Cubic::new(917342, 65696, -67, 13),
        Cubic::new(982982, 65600, -29, 6),
        Cubic::new(1048558, 65558, -11, 3),
        Cubic::new(1114106, 65545, -4, 1),
        Cubic::new(1179646, 65537, -1, 0),
        Cubic::new(1245182, 65536, 0, 0),
    ],
};

/// its derivative for x >= 0: 20 segments of width 0.25 on
/// `[0, 5.0)`; worst error over every input below the limit 0.8272 units
/// of `2^-16` (as the generator measured it).
pub(super) const GELU_DERIVATIVE: Table = Table {
    shift: 14,
    extra: 3,
    segments: &[
        Cubic::new(262143, 104599, -75, -2101),
        Cubic::new(364564, 98216, -6497, -1532),
        Cubic::new(454749, 80738, -11137, -620),
        Cubic::new(523729, 56717, -12959, 297),
        Cubic::new(567784, 31769, -11977, 933),
        Cubic::new(588509, 10646, -9080, 1171),
        Cubic::new(591246, -4014, -5499, 1065),
        Cubic::new(582798, -11854, -2278, 764),
        Cubic::new(569429, -14158, 9, 422),
        Cubic::new(555701, -12909, 1254, 141),
        Cubic::new(544185, -10000, 1651, -39),
        Cubic::new(535795, -6826, 1514, -120),
        Cubic::new(530362, -4163, 1139, -132),
        Cubic::new(527205, -2277, 738, -107),
        Cubic::new(525558, -1117, 418, -71),
        Cubic::new(524786, -489, 208, -40),
        Cubic::new(524464, -192, 91, -19),
        Cubic::new(524343, -66, 35, -8),
        Cubic::new(524303, -18, 12, -3),
        Cubic::new(524289, -6, 3, -1),
    ],
};

/// tanh for x >= 0: 26 segments of width 0.25 on
/// `[0, 6.5)`; worst error over every input below the limit 0.9340 units
/// of `2^-16` (as the generator measured it).
pub(super) const TANH: Table = Table {
    shift: 14,
    extra: 3,
    segments: &[
        Cubic::new(-2, 131111, -159, -2542),
        Cubic::new(128405, 123297, -7961, -1460),
        Cubic::new(242280, 103155, -12279, -156),
        Cubic::new(333000, 78231, -12595, 659),
        Cubic::new(399294, 55052, -10503, 903),
        Cubic::new(444745, 36745, -7744, 814),
        Cubic::new(474559, 23673, -5295, 616),
        Cubic::new(493552, 14909, -3456, 425),
        Cubic::new(505428, 9254, -2192, 279),
        Cubic::new(512768, 5692, -1366, 177),
        Cubic::new(517270, 3483, -842, 110),
        Cubic::new(520021, 2123, -516, 68),
        Cubic::new(521695, 1293, -315, 42),
        Cubic::new(522715, 785, -192, 25),
        Cubic::new(523333, 478, -117, 15),
        Cubic::new(523708, 291, -71, 9),
        Cubic::new(523936, 177, -43, 6),
        Cubic::new(524074, 109, -26, 3),
        Cubic::new(524158, 67, -16, 2),
        Cubic::new(524209, 41, -10, 1),
        Cubic::new(524240, 26, -6, 1),
        Cubic::new(524259, 16, -4, 0),
        Cubic::new(524270, 10, -2, 0),
        Cubic::new(524276, 3, -1, 0),
        Cubic::new(524279, 1, -1, 0),
        Cubic::new(524284, 0, 0, 0),
    ],
};

/// the logistic sigmoid for x >= 0: 24 segments of width 0.5 on
/// `[0, 12.0)`; worst error over every input below the limit 0.8841 units
/// of `2^-16` (as the generator measured it).
pub(super) const SIGMOID: Table = Table {
    shift: 15,
    extra: 2,
    segments: &[
        Cubic::new(131071, 32779, -40, -635),
        Cubic::new(163173, 30825, -1990, -365),
        Cubic::new(191642, 25790, -3070, -39),
        Cubic::new(214321, 19559, -3149, 165),
        Cubic::new(230895, 13764, -2626, 226),
        Cubic::new(242258, 9188, -1936, 203),
        Cubic::new(249711, 5920, -1324, 154),
        Cubic::new(254460, 3728, -864, 106),
        Cubic::new(257429, 2314, -548, 70),
        Cubic::new(259263, 1425, -341, 44),
        Cubic::new(260390, 871, -211, 28),
        Cubic::new(261077, 532, -129, 17),
        Cubic::new(261496, 324, -79, 10),
        Cubic::new(261751, 197, -48, 6),
        Cubic::new(261905, 120, -29, 4),
        Cubic::new(261999, 74, -18, 2),
        Cubic::new(262056, 46, -11, 1),
        Cubic::new(262090, 29, -7, 1),
        Cubic::new(262111, 18, -4, 1),
        Cubic::new(262124, 11, -2, 0),
        Cubic::new(262132, 7, -1, 0),
        Cubic::new(262136, 6, -1, 0),
        Cubic::new(262138, 1, -1, 0),
        Cubic::new(262141, 2, 0, 0),
    ],
};

/// e^-x for x in [0, 1), fine (no last rounding): 8 segments of width 0.125 on
/// `[0, 1.0)`; worst error over every input below the limit 0.0543 units
/// of `2^-16` (as the generator measured it).
pub(super) const EXP_NEG: Table = Table {
    shift: 13,
    extra: 5,
    segments: &[
        Cubic::new(2097152, -262138, 16359, -641),
        Cubic::new(1850730, -231335, 14436, -566),
        Cubic::new(1633263, -204152, 12740, -500),
        Cubic::new(1441351, -180165, 11243, -441),
        Cubic::new(1271987, -158994, 9922, -389),
        Cubic::new(1122525, -140312, 8756, -343),
        Cubic::new(990626, -123826, 7727, -303),
        Cubic::new(874223, -109274, 6819, -267),
    ],
};

/// ln(1 + x) for x in [0, 1), fine (no last rounding): 8 segments of width 0.125 on
/// `[0, 1.0)`; worst error over every input below the limit 0.0631 units
/// of `2^-16` (as the generator measured it).
pub(super) const LN_1P: Table = Table {
    shift: 13,
    extra: 5,
    segments: &[
        Cubic::new(1, 262119, -16251, 1142),
        Cubic::new(247010, 233002, -12861, 817),
        Cubic::new(467966, 209706, -10429, 605),
        Cubic::new(667847, 190644, -8627, 460),
        Cubic::new(850323, 174758, -7254, 358),
        Cubic::new(1018184, 161317, -6184, 284),
        Cubic::new(1173599, 149796, -5335, 230),
        Cubic::new(1318288, 139810, -4649, 188),
    ],
};

/// `round(e^-n 2^30)` for `n` = 0 to 21 (`e^-22 2^30` rounds to 0): the integer part of
/// the cross-entropy's exponential.
pub(super) const EXP_NEG_INTEGER: [i32; 22] = [
    1073741824, 395007542, 145315154, 53458458, 19666268, 7234816, 2661540, 979126, 360200, 132510,
    48748, 17933, 6597, 2427, 893, 328, 121, 44, 16, 6, 2, 1,
];

/// `round(ln(2) 2^26)`.
pub(super) const LN_2: i32 = 46516320;
