//! Integer and float arithmetic, lane by lane.

use super::*;

// ---------------------------------------------------------------------------
// Integer arithmetic

#[test]
fn shifts_take_count_modulo_lane_width() {
    let a = v8([0x81; 16]);
    assert_eq!(with_scalar(SimdOp::I8x16Shl, a, 9), v8([0x02; 16]));
    assert_eq!(with_scalar(SimdOp::I8x16ShrS, a, 1), v8([0xc0; 16]));
    assert_eq!(with_scalar(SimdOp::I8x16ShrU, a, 8 + 7), v8([0x01; 16]));
    assert_eq!(
        with_scalar(SimdOp::I16x8ShrS, vi16([-32768; 8]), 15),
        vi16([-1; 8])
    );
    assert_eq!(
        with_scalar(SimdOp::I16x8Shl, vi16([3; 8]), 16),
        vi16([3; 8])
    );
    assert_eq!(
        with_scalar(SimdOp::I32x4ShrU, vi32([-1; 4]), 0xffff_fffc),
        vi32([0xf; 4])
    );
    assert_eq!(
        with_scalar(SimdOp::I32x4ShrS, vi32([-16; 4]), 34),
        vi32([-4; 4])
    );
    assert_eq!(
        with_scalar(SimdOp::I64x2Shl, vi64([1, -1]), 65),
        vi64([2, -2])
    );
    assert_eq!(
        with_scalar(SimdOp::I64x2ShrS, vi64([i64::MIN, 8]), 63),
        vi64([-1, 0])
    );
    assert_eq!(
        with_scalar(SimdOp::I64x2ShrU, vi64([i64::MIN, 8]), 127),
        vi64([1, 0])
    );
}

#[test]
fn add_sub_wrap_and_saturate() {
    let a = v8([0x7f, 0x80, 0xff, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let b = v8([0x01, 0xff, 0x02, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        to_u8(bin(SimdOp::I8x16Add, a, b))[..4],
        [0x80, 0x7f, 0x01, 0x03]
    );
    assert_eq!(
        to_u8(bin(SimdOp::I8x16AddSatS, a, b))[..4],
        [0x7f, 0x80, 0x01, 0x03]
    );
    assert_eq!(
        to_u8(bin(SimdOp::I8x16AddSatU, a, b))[..4],
        [0x80, 0xff, 0xff, 0x03]
    );
    assert_eq!(
        to_u8(bin(SimdOp::I8x16Sub, a, b))[..4],
        [0x7e, 0x81, 0xfd, 0xff]
    );
    assert_eq!(
        to_u8(bin(SimdOp::I8x16SubSatS, a, b))[..4],
        [0x7e, 0x81, 0xfd, 0xff]
    );
    assert_eq!(
        to_u8(bin(SimdOp::I8x16SubSatU, a, b))[..4],
        [0x7e, 0, 0xfd, 0]
    );
    assert_eq!(
        bin(
            SimdOp::I16x8AddSatS,
            vi16([32767, -32768, 1, 0, 0, 0, 0, 0]),
            vi16([1, -1, 1, 0, 0, 0, 0, 0])
        ),
        vi16([32767, -32768, 2, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        bin(
            SimdOp::I16x8SubSatU,
            vi16([1, -1, 0, 0, 0, 0, 0, 0]),
            vi16([2, 1, 0, 0, 0, 0, 0, 0])
        ),
        vi16([0, -2, 0, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        bin(
            SimdOp::I16x8AddSatU,
            vi16([-1, 1, 0, 0, 0, 0, 0, 0]),
            vi16([1, 1, 0, 0, 0, 0, 0, 0])
        ),
        vi16([-1, 2, 0, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        bin(
            SimdOp::I16x8SubSatS,
            vi16([-32768, 32767, 0, 0, 0, 0, 0, 0]),
            vi16([1, -1, 0, 0, 0, 0, 0, 0])
        ),
        vi16([-32768, 32767, 0, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        bin(
            SimdOp::I32x4Add,
            vi32([i32::MAX, 1, 2, 3]),
            vi32([1, 1, 1, 1])
        ),
        vi32([i32::MIN, 2, 3, 4])
    );
    assert_eq!(
        bin(SimdOp::I64x2Sub, vi64([i64::MIN, 0]), vi64([1, 1])),
        vi64([i64::MAX, -1])
    );
}

#[test]
fn multiplication_wraps() {
    assert_eq!(
        bin(
            SimdOp::I16x8Mul,
            vi16([256, -1, 3, 0, 0, 0, 0, 0]),
            vi16([256, -1, -3, 0, 0, 0, 0, 0])
        ),
        vi16([0, 1, -9, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        bin(
            SimdOp::I32x4Mul,
            vi32([0x10000, -2, 7, 0]),
            vi32([0x10000, 3, 6, 0])
        ),
        vi32([0, -6, 42, 0])
    );
    assert_eq!(
        bin(SimdOp::I64x2Mul, vi64([1 << 32, -4]), vi64([1 << 32, 5])),
        vi64([0, -20])
    );
}

#[test]
fn min_max_avgr() {
    let a = v8([0x80, 0x7f, 0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let b = v8([0x01, 0x80, 0x00, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        to_u8(bin(SimdOp::I8x16MinS, a, b))[..4],
        [0x80, 0x80, 0xff, 1]
    );
    assert_eq!(
        to_u8(bin(SimdOp::I8x16MinU, a, b))[..4],
        [0x01, 0x7f, 0x00, 1]
    );
    assert_eq!(
        to_u8(bin(SimdOp::I8x16MaxS, a, b))[..4],
        [0x01, 0x7f, 0x00, 2]
    );
    assert_eq!(
        to_u8(bin(SimdOp::I8x16MaxU, a, b))[..4],
        [0x80, 0x80, 0xff, 2]
    );
    // avgr_u rounds up: (a + b + 1) / 2 without overflow.
    assert_eq!(
        to_u8(bin(SimdOp::I8x16AvgrU, a, b))[..4],
        [0x41, 0x80, 0x80, 2]
    );
    assert_eq!(
        bin(
            SimdOp::I16x8AvgrU,
            vi16([-1, 0, 3, 0, 0, 0, 0, 0]),
            vi16([-1, 1, 4, 0, 0, 0, 0, 0])
        ),
        vi16([-1, 1, 4, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        bin(SimdOp::I16x8MinU, vi16([-1; 8]), vi16([2; 8])),
        vi16([2; 8])
    );
    assert_eq!(
        bin(SimdOp::I16x8MaxS, vi16([-1; 8]), vi16([2; 8])),
        vi16([2; 8])
    );
    assert_eq!(
        bin(SimdOp::I32x4MinS, vi32([-1, 5, 0, 0]), vi32([1, 4, 0, 0])),
        vi32([-1, 4, 0, 0])
    );
    assert_eq!(
        bin(SimdOp::I32x4MaxU, vi32([-1, 5, 0, 0]), vi32([1, 4, 0, 0])),
        vi32([-1, 5, 0, 0])
    );
}

#[test]
fn abs_neg_popcnt() {
    let a = v8([
        0x80, 0xff, 0x01, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x55,
    ]);
    let abs = to_u8(un(SimdOp::I8x16Abs, a));
    assert_eq!([abs[0], abs[1], abs[2], abs[3]], [0x80, 0x01, 0x01, 0x7f]);
    let neg = to_u8(un(SimdOp::I8x16Neg, a));
    assert_eq!([neg[0], neg[1], neg[2], neg[3]], [0x80, 0x01, 0xff, 0x81]);
    let pop = to_u8(un(SimdOp::I8x16Popcnt, a));
    assert_eq!(
        [pop[0], pop[1], pop[2], pop[3], pop[4], pop[15]],
        [1, 8, 1, 7, 0, 4]
    );
    assert_eq!(
        un(SimdOp::I16x8Abs, vi16([i16::MIN, -3, 3, 0, 0, 0, 0, 0])),
        vi16([i16::MIN, 3, 3, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        un(SimdOp::I32x4Neg, vi32([i32::MIN, -3, 3, 0])),
        vi32([i32::MIN, 3, -3, 0])
    );
    assert_eq!(
        un(SimdOp::I64x2Abs, vi64([i64::MIN, -9])),
        vi64([i64::MIN, 9])
    );
    assert_eq!(un(SimdOp::I64x2Neg, vi64([1, 0])), vi64([-1, 0]));
}

#[test]
fn narrow_saturates_signed_inputs() {
    let a = vi16([-129, -128, 127, 128, 0, -1, 255, 256]);
    let b = vi16([i16::MIN, i16::MAX, 1, 2, 3, 4, 5, 6]);
    assert_eq!(
        to_i8(bin(SimdOp::I8x16NarrowI16x8S, a, b)),
        [
            -128, -128, 127, 127, 0, -1, 127, 127, -128, 127, 1, 2, 3, 4, 5, 6
        ]
    );
    assert_eq!(
        to_u8(bin(SimdOp::I8x16NarrowI16x8U, a, b)),
        [0, 0, 127, 128, 0, 0, 255, 255, 0, 255, 1, 2, 3, 4, 5, 6]
    );
    let c = vi32([-32769, 32768, 65535, 65536]);
    let d = vi32([-1, 0, i32::MAX, i32::MIN]);
    assert_eq!(
        to_i16(bin(SimdOp::I16x8NarrowI32x4S, c, d)),
        [-32768, 32767, 32767, 32767, -1, 0, 32767, -32768]
    );
    assert_eq!(
        to_u16(bin(SimdOp::I16x8NarrowI32x4U, c, d)),
        [0, 32768, 65535, 65535, 0, 0, 65535, 0]
    );
}

#[test]
fn extend_low_and_high() {
    let a = v8([
        0xff, 1, 0x80, 0, 0, 0, 0, 0, 0x7f, 0xfe, 0, 0, 0, 0, 0, 0x81,
    ]);
    assert_eq!(
        un(SimdOp::I16x8ExtendLowI8x16S, a),
        vi16([-1, 1, -128, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        un(SimdOp::I16x8ExtendLowI8x16U, a),
        vi16([255, 1, 128, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        un(SimdOp::I16x8ExtendHighI8x16S, a),
        vi16([127, -2, 0, 0, 0, 0, 0, -127])
    );
    assert_eq!(
        un(SimdOp::I16x8ExtendHighI8x16U, a),
        vi16([127, 254, 0, 0, 0, 0, 0, 129])
    );
    let b = vi16([-1, 2, 3, 4, 5, 6, 7, i16::MIN]);
    assert_eq!(un(SimdOp::I32x4ExtendLowI16x8S, b), vi32([-1, 2, 3, 4]));
    assert_eq!(un(SimdOp::I32x4ExtendLowI16x8U, b), vi32([65535, 2, 3, 4]));
    assert_eq!(
        un(SimdOp::I32x4ExtendHighI16x8S, b),
        vi32([5, 6, 7, -32768])
    );
    assert_eq!(un(SimdOp::I32x4ExtendHighI16x8U, b), vi32([5, 6, 7, 32768]));
    let c = vi32([-1, 1, i32::MIN, 7]);
    assert_eq!(un(SimdOp::I64x2ExtendLowI32x4S, c), vi64([-1, 1]));
    assert_eq!(un(SimdOp::I64x2ExtendLowI32x4U, c), vi64([0xffff_ffff, 1]));
    assert_eq!(
        un(SimdOp::I64x2ExtendHighI32x4S, c),
        vi64([i32::MIN as i64, 7])
    );
    assert_eq!(un(SimdOp::I64x2ExtendHighI32x4U, c), vi64([0x8000_0000, 7]));
}

#[test]
fn extmul_low_and_high() {
    let a = v8([
        0xff, 2, 0x80, 0, 0, 0, 0, 0x80, 0x7f, 0, 0, 0, 0, 0, 0, 0xff,
    ]);
    let b = v8([
        0xff, 3, 0x80, 0, 0, 0, 0, 0x7f, 0x7f, 0, 0, 0, 0, 0, 0, 0x02,
    ]);
    assert_eq!(
        bin(SimdOp::I16x8ExtMulLowI8x16S, a, b),
        vi16([1, 6, 16384, 0, 0, 0, 0, -16256])
    );
    assert_eq!(
        to_u16(bin(SimdOp::I16x8ExtMulLowI8x16U, a, b)),
        [65025, 6, 16384, 0, 0, 0, 0, 16256]
    );
    assert_eq!(
        bin(SimdOp::I16x8ExtMulHighI8x16S, a, b),
        vi16([16129, 0, 0, 0, 0, 0, 0, -2])
    );
    assert_eq!(
        bin(SimdOp::I16x8ExtMulHighI8x16U, a, b),
        vi16([16129, 0, 0, 0, 0, 0, 0, 510])
    );
    let c = vi16([-32768, 2, 0, 0, 0, 0, 0, -1]);
    let d = vi16([-32768, -3, 0, 0, 0, 0, 0, -1]);
    assert_eq!(
        bin(SimdOp::I32x4ExtMulLowI16x8S, c, d),
        vi32([1 << 30, -6, 0, 0])
    );
    assert_eq!(
        to_u32(bin(SimdOp::I32x4ExtMulLowI16x8U, c, d)),
        [1 << 30, 2 * 65533, 0, 0]
    );
    assert_eq!(bin(SimdOp::I32x4ExtMulHighI16x8S, c, d), vi32([0, 0, 0, 1]));
    assert_eq!(
        to_u32(bin(SimdOp::I32x4ExtMulHighI16x8U, c, d)),
        [0, 0, 0, 65535 * 65535]
    );
    let e = vi32([i32::MIN, -1, 3, -1]);
    let f = vi32([i32::MIN, -1, 4, 2]);
    assert_eq!(bin(SimdOp::I64x2ExtMulLowI32x4S, e, f), vi64([1 << 62, 1]));
    assert_eq!(
        to_u64(bin(SimdOp::I64x2ExtMulLowI32x4U, e, f)),
        [1 << 62, 0xffff_ffffu64 * 0xffff_ffff]
    );
    assert_eq!(bin(SimdOp::I64x2ExtMulHighI32x4S, e, f), vi64([12, -2]));
    assert_eq!(
        bin(SimdOp::I64x2ExtMulHighI32x4U, e, f),
        vi64([12, 0x1_ffff_fffe])
    );
}

#[test]
fn extadd_pairwise() {
    let a = v8([
        0xff, 0xff, 0x80, 0x80, 0x7f, 0x7f, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    assert_eq!(
        un(SimdOp::I16x8ExtAddPairwiseI8x16S, a),
        vi16([-2, -256, 254, 3, 0, 0, 0, 0])
    );
    assert_eq!(
        un(SimdOp::I16x8ExtAddPairwiseI8x16U, a),
        vi16([510, 256, 254, 3, 0, 0, 0, 0])
    );
    let b = vi16([-1, -1, i16::MIN, i16::MIN, 1, 2, 0, 0]);
    assert_eq!(
        un(SimdOp::I32x4ExtAddPairwiseI16x8S, b),
        vi32([-2, -65536, 3, 0])
    );
    assert_eq!(
        un(SimdOp::I32x4ExtAddPairwiseI16x8U, b),
        vi32([131070, 65536, 3, 0])
    );
}

#[test]
fn q15mulr_rounds_and_saturates() {
    let a = vi16([i16::MIN, 16384, -16384, 1, 0x4000, -1, 32767, 3]);
    let b = vi16([i16::MIN, 16384, 16384, 1, 1, -1, 32767, -16384]);
    // (x * y + 0x4000) >> 15, saturated.
    assert_eq!(
        bin(SimdOp::I16x8Q15MulrSatS, a, b),
        vi16([32767, 8192, -8192, 0, 1, 0, 32766, -1])
    );
}

#[test]
fn dot_product_wraps_the_single_overflow() {
    let a = vi16([i16::MIN, i16::MIN, 1, 2, -3, 4, 100, 0]);
    let b = vi16([i16::MIN, i16::MIN, 5, 6, 7, 8, -100, 9]);
    assert_eq!(
        bin(SimdOp::I32x4DotI16x8S, a, b),
        vi32([i32::MIN, 17, 11, -10000])
    );
}

// ---------------------------------------------------------------------------
// Floats

#[test]
fn min_max_propagate_nan_and_order_zeros() {
    let a = from_u32([NAN32, 0x8000_0000, 0, 1.0f32.to_bits()]);
    let b = from_u32([1.0f32.to_bits(), 0, 0x8000_0000, 2.0f32.to_bits()]);
    let min = to_u32(bin(SimdOp::F32x4Min, a, b));
    assert!(is_nan32(min[0]));
    assert_eq!(&min[1..], &[0x8000_0000, 0x8000_0000, 1.0f32.to_bits()]);
    let max = to_u32(bin(SimdOp::F32x4Max, b, a));
    assert!(is_nan32(max[0]));
    assert_eq!(&max[1..], &[0, 0, 2.0f32.to_bits()]);
    // A NaN result is quiet even when the input NaN is signalling.
    let s = to_u32(bin(SimdOp::F32x4Min, from_u32([0x7f80_0001; 4]), 0));
    assert!(s.iter().all(|&x| is_nan32(x) && x & 0x0040_0000 != 0));

    let c = vf64([-0.0, f64::from_bits(NAN64)]);
    let d = vf64([0.0, -5.0]);
    let min = to_f64(bin(SimdOp::F64x2Min, d, c));
    assert_eq!(min[0].to_bits(), (-0.0f64).to_bits());
    assert!(min[1].is_nan());
    let max = to_f64(bin(SimdOp::F64x2Max, c, d));
    assert_eq!(max[0].to_bits(), 0);
    assert!(max[1].is_nan());
}

#[test]
fn pmin_pmax_are_bitwise_selects() {
    let nan = f32::from_bits(NAN32 | 5);
    let a = vf32([nan, -0.0, 1.0, 3.0]);
    let b = vf32([1.0, 0.0, nan, 2.0]);
    // pmin = b < a ? b : a: any comparison with NaN is false, so `a` wins.
    assert_eq!(
        to_u32(bin(SimdOp::F32x4PMin, a, b)),
        [
            NAN32 | 5,
            (-0.0f32).to_bits(),
            1.0f32.to_bits(),
            2.0f32.to_bits()
        ]
    );
    assert_eq!(
        to_u32(bin(SimdOp::F32x4PMax, a, b)),
        [
            NAN32 | 5,
            (-0.0f32).to_bits(),
            1.0f32.to_bits(),
            3.0f32.to_bits()
        ]
    );
    let c = vf64([0.0, 4.0]);
    let d = vf64([-0.0, f64::from_bits(NAN64 | 9)]);
    assert_eq!(to_u64(bin(SimdOp::F64x2PMin, c, d)), [0, 4.0f64.to_bits()]);
    assert_eq!(
        to_u64(bin(SimdOp::F64x2PMax, d, c)),
        [(-0.0f64).to_bits(), NAN64 | 9]
    );
}

#[test]
fn abs_neg_touch_only_the_sign_bit() {
    let a = from_u32([0xffc0_0001, 0x7f80_0001, 0x8000_0000, 0x3f80_0000]);
    assert_eq!(
        to_u32(un(SimdOp::F32x4Abs, a)),
        [0x7fc0_0001, 0x7f80_0001, 0, 0x3f80_0000]
    );
    assert_eq!(
        to_u32(un(SimdOp::F32x4Neg, a)),
        [0x7fc0_0001, 0xff80_0001, 0, 0xbf80_0000]
    );
    let b = from_u64([0xfff0_0000_0000_0001, 0]);
    assert_eq!(to_u64(un(SimdOp::F64x2Abs, b)), [0x7ff0_0000_0000_0001, 0]);
    assert_eq!(
        to_u64(un(SimdOp::F64x2Neg, b)),
        [0x7ff0_0000_0000_0001, 1 << 63]
    );
}

#[test]
fn arithmetic_and_sqrt() {
    assert_eq!(
        bin(
            SimdOp::F32x4Add,
            vf32([1.0, f32::INFINITY, 0.1, -0.0]),
            vf32([2.0, 1.0, 0.2, -0.0])
        ),
        vf32([3.0, f32::INFINITY, 0.1 + 0.2, -0.0])
    );
    assert_eq!(
        bin(SimdOp::F32x4Sub, vf32([1.0; 4]), vf32([2.0; 4])),
        vf32([-1.0; 4])
    );
    assert_eq!(
        bin(SimdOp::F32x4Mul, vf32([1.5; 4]), vf32([-2.0; 4])),
        vf32([-3.0; 4])
    );
    let div = to_f32(bin(
        SimdOp::F32x4Div,
        vf32([1.0, -1.0, 0.0, 6.0]),
        vf32([0.0, 0.0, 0.0, 3.0]),
    ));
    assert_eq!(div[..2], [f32::INFINITY, f32::NEG_INFINITY]);
    assert!(div[2].is_nan());
    assert_eq!(div[3], 2.0);
    let sq = to_f32(un(SimdOp::F32x4Sqrt, vf32([4.0, -1.0, -0.0, 2.0])));
    assert_eq!(sq[0], 2.0);
    assert!(sq[1].is_nan());
    assert_eq!(sq[2].to_bits(), (-0.0f32).to_bits());
    assert_eq!(sq[3], 2.0f32.sqrt());
    assert_eq!(
        bin(SimdOp::F64x2Div, vf64([1.0, 9.0]), vf64([3.0, -3.0])),
        vf64([1.0 / 3.0, -3.0])
    );
    assert_eq!(
        bin(SimdOp::F64x2Add, vf64([0.1, 1e308]), vf64([0.2, 1e308])),
        vf64([0.1 + 0.2, f64::INFINITY])
    );
    assert_eq!(un(SimdOp::F64x2Sqrt, vf64([9.0, 0.25])), vf64([3.0, 0.5]));
    assert_eq!(
        bin(SimdOp::F64x2Mul, vf64([-0.0, 2.0]), vf64([5.0, 4.0])),
        vf64([-0.0, 8.0])
    );
    assert_eq!(
        to_u64(bin(SimdOp::F64x2Sub, vf64([0.0, 0.0]), vf64([0.0, -0.0]))),
        [0, 0]
    );
}

#[test]
fn rounding() {
    let a = vf32([2.5, -2.5, 3.5, -0.4]);
    assert_eq!(un(SimdOp::F32x4Nearest, a), vf32([2.0, -2.0, 4.0, -0.0]));
    assert_eq!(un(SimdOp::F32x4Ceil, a), vf32([3.0, -2.0, 4.0, -0.0]));
    assert_eq!(un(SimdOp::F32x4Floor, a), vf32([2.0, -3.0, 3.0, -1.0]));
    assert_eq!(un(SimdOp::F32x4Trunc, a), vf32([2.0, -2.0, 3.0, -0.0]));
    let ceil = to_f32(un(SimdOp::F32x4Ceil, vf32([-0.5, 0.0, 0.0, 0.0])));
    assert_eq!(ceil[0].to_bits(), (-0.0f32).to_bits());
    let b = vf64([0.5, -1.5]);
    assert_eq!(
        to_u64(un(SimdOp::F64x2Nearest, b)),
        [0, (-2.0f64).to_bits()]
    );
    assert_eq!(un(SimdOp::F64x2Ceil, b), vf64([1.0, -1.0]));
    assert_eq!(un(SimdOp::F64x2Floor, b), vf64([0.0, -2.0]));
    assert_eq!(un(SimdOp::F64x2Trunc, b), vf64([0.0, -1.0]));
    assert!(to_f64(un(SimdOp::F64x2Nearest, vf64([f64::NAN, 1.0])))[0].is_nan());
}

#[test]
fn trunc_sat_saturates_and_maps_nan_to_zero() {
    let a = vf32([f32::NAN, 3e9, -3e9, -1.9]);
    assert_eq!(
        un(SimdOp::I32x4TruncSatF32x4S, a),
        vi32([0, i32::MAX, i32::MIN, -1])
    );
    assert_eq!(
        to_u32(un(SimdOp::I32x4TruncSatF32x4U, a)),
        [0, 3_000_000_000, 0, 0]
    );
    assert_eq!(
        to_u32(un(
            SimdOp::I32x4TruncSatF32x4U,
            vf32([5e9, 1.9, -0.9, f32::INFINITY])
        )),
        [u32::MAX, 1, 0, u32::MAX]
    );
    let b = vf64([-2147483648.9, 2147483647.9]);
    assert_eq!(
        un(SimdOp::I32x4TruncSatF64x2SZero, b),
        vi32([i32::MIN, i32::MAX, 0, 0])
    );
    let c = vf64([f64::NAN, 4294967295.9]);
    assert_eq!(
        to_u32(un(SimdOp::I32x4TruncSatF64x2UZero, c)),
        [0, u32::MAX, 0, 0]
    );
    assert_eq!(
        to_u32(un(SimdOp::I32x4TruncSatF64x2UZero, vf64([-1e100, 7.5]))),
        [0, 7, 0, 0]
    );
}

#[test]
fn int_to_float_conversions() {
    assert_eq!(
        un(
            SimdOp::F32x4ConvertI32x4S,
            vi32([-1, i32::MAX, 16777217, 0])
        ),
        vf32([-1.0, 2147483648.0, 16777216.0, 0.0])
    );
    assert_eq!(
        un(SimdOp::F32x4ConvertI32x4U, vi32([-1, 1, 0, 16777219])),
        vf32([4294967296.0, 1.0, 0.0, 16777220.0])
    );
    assert_eq!(
        un(SimdOp::F64x2ConvertLowI32x4S, vi32([-1, i32::MIN, 5, 6])),
        vf64([-1.0, -2147483648.0])
    );
    assert_eq!(
        un(SimdOp::F64x2ConvertLowI32x4U, vi32([-1, 2, 5, 6])),
        vf64([4294967295.0, 2.0])
    );
}

#[test]
fn demote_and_promote() {
    let a = vf64([1e300, 0.1]);
    let d = to_f32(un(SimdOp::F32x4DemoteF64x2Zero, a));
    assert_eq!(d, [f32::INFINITY, 0.1f64 as f32, 0.0, 0.0]);
    assert_eq!(to_u32(un(SimdOp::F32x4DemoteF64x2Zero, a))[2..], [0, 0]);
    let nan = to_f32(un(SimdOp::F32x4DemoteF64x2Zero, vf64([f64::NAN, -0.0])));
    assert!(nan[0].is_nan());
    assert_eq!(nan[1].to_bits(), (-0.0f32).to_bits());
    assert_eq!(
        un(SimdOp::F64x2PromoteLowF32x4, vf32([0.1, -2.0, 7.0, 8.0])),
        vf64([0.1f32 as f64, -2.0])
    );
}

#[test]
fn rounding_quiets_signalling_nans() {
    // Regression: f32::ceil in a debug build returned the signalling NaN as is.
    let snan = from_u32([0x7fa0_0000, 0xffa0_0000, 0x7f80_0001, 0]);
    for op in [
        SimdOp::F32x4Ceil,
        SimdOp::F32x4Floor,
        SimdOp::F32x4Trunc,
        SimdOp::F32x4Nearest,
        SimdOp::F32x4Sqrt,
    ] {
        let r = to_u32(un(op, snan));
        assert_eq!(r[..3], [0x7fe0_0000, 0xffe0_0000, 0x7fc0_0001], "{op:?}");
    }
    let snan = from_u64([0x7ff4_0000_0000_0000, 0xfff0_0000_0000_0001]);
    for op in [
        SimdOp::F64x2Ceil,
        SimdOp::F64x2Floor,
        SimdOp::F64x2Trunc,
        SimdOp::F64x2Nearest,
        SimdOp::F64x2Sqrt,
    ] {
        let r = to_u64(un(op, snan));
        assert_eq!(r, [0x7ffc_0000_0000_0000, 0xfff8_0000_0000_0001], "{op:?}");
    }
}
