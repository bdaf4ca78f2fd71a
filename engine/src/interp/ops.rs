//! Numeric helpers with the exact semantics the spec asks for (NaN
//! propagation, signed zeros in min/max, trapping and saturating truncation).

use crate::trap::TrapCode;

macro_rules! float_helpers {
    ($t:ty, $bits:ty, $min:ident, $max:ident, $nearest:ident, $unop:ident) => {
        pub fn $min(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$t>::from_bits(a.to_bits() | b.to_bits())
            } else if a < b {
                a
            } else {
                b
            }
        }
        pub fn $max(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$t>::from_bits(a.to_bits() & b.to_bits())
            } else if a > b {
                a
            } else {
                b
            }
        }
        pub fn $nearest(a: $t) -> $t {
            if a.is_nan() {
                a + a
            } else {
                a.round_ties_even()
            }
        }
        /// Rounding ops must return a quiet NaN for a NaN input.
        pub fn $unop(a: $t, f: fn($t) -> $t) -> $t {
            if a.is_nan() { a + a } else { f(a) }
        }
    };
}

float_helpers!(f32, u32, f32_min, f32_max, f32_nearest, f32_round);
float_helpers!(f64, u64, f64_min, f64_max, f64_nearest, f64_round);

macro_rules! trunc {
    ($name:ident, $f:ty, $i:ty, $lo:expr, $hi:expr) => {
        /// Trapping truncation: NaN is an invalid conversion, out of range an overflow.
        pub fn $name(x: $f) -> Result<$i, TrapCode> {
            if x.is_nan() {
                Err(TrapCode::InvalidConversionToInteger)
            } else if x > $lo && x < $hi {
                Ok(x as $i)
            } else {
                Err(TrapCode::IntegerOverflow)
            }
        }
    };
}

trunc!(i32_trunc_f32_s, f32, i32, -2147483904.0f32, 2147483648.0f32);
trunc!(i32_trunc_f32_u, f32, u32, -1.0f32, 4294967296.0f32);
trunc!(i32_trunc_f64_s, f64, i32, -2147483649.0f64, 2147483648.0f64);
trunc!(i32_trunc_f64_u, f64, u32, -1.0f64, 4294967296.0f64);
trunc!(
    i64_trunc_f32_s,
    f32,
    i64,
    -9223373136366403584.0f32,
    9223372036854775808.0f32
);
trunc!(
    i64_trunc_f32_u,
    f32,
    u64,
    -1.0f32,
    18446744073709551616.0f32
);
trunc!(
    i64_trunc_f64_s,
    f64,
    i64,
    -9223372036854777856.0f64,
    9223372036854775808.0f64
);
trunc!(
    i64_trunc_f64_u,
    f64,
    u64,
    -1.0f64,
    18446744073709551616.0f64
);
