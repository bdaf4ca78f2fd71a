//! The lane-wise operators: one `v128` in ([`unary`]) or two ([`binary`]),
//! one `v128` out. The macros and lane helpers are the parent's.

use super::*;

pub(super) fn unary(op: SimdOp, v: u128) -> u128 {
    use SimdOp::*;
    match op {
        V128Not => !v,
        I8x16Abs => from_i8(to_i8(v).map(i8::wrapping_abs)),
        I8x16Neg => from_i8(to_i8(v).map(i8::wrapping_neg)),
        I8x16Popcnt => from_u8(to_u8(v).map(|x| x.count_ones() as u8)),
        I16x8Abs => from_i16(to_i16(v).map(i16::wrapping_abs)),
        I16x8Neg => from_i16(to_i16(v).map(i16::wrapping_neg)),
        I32x4Abs => from_i32(to_i32(v).map(i32::wrapping_abs)),
        I32x4Neg => from_i32(to_i32(v).map(i32::wrapping_neg)),
        I64x2Abs => from_i64(to_i64(v).map(i64::wrapping_abs)),
        I64x2Neg => from_i64(to_i64(v).map(i64::wrapping_neg)),

        I16x8ExtAddPairwiseI8x16S => {
            let l = to_i8(v);
            from_i16(std::array::from_fn(|i| {
                l[2 * i] as i16 + l[2 * i + 1] as i16
            }))
        }
        I16x8ExtAddPairwiseI8x16U => {
            let l = to_u8(v);
            from_u16(std::array::from_fn(|i| {
                l[2 * i] as u16 + l[2 * i + 1] as u16
            }))
        }
        I32x4ExtAddPairwiseI16x8S => {
            let l = to_i16(v);
            from_i32(std::array::from_fn(|i| {
                l[2 * i] as i32 + l[2 * i + 1] as i32
            }))
        }
        I32x4ExtAddPairwiseI16x8U => {
            let l = to_u16(v);
            from_u32(std::array::from_fn(|i| {
                l[2 * i] as u32 + l[2 * i + 1] as u32
            }))
        }

        I16x8ExtendLowI8x16S => from_i16(half::<_, 16, 8>(to_i8(v), false).map(i16::from)),
        I16x8ExtendHighI8x16S => from_i16(half::<_, 16, 8>(to_i8(v), true).map(i16::from)),
        I16x8ExtendLowI8x16U => from_u16(half::<_, 16, 8>(to_u8(v), false).map(u16::from)),
        I16x8ExtendHighI8x16U => from_u16(half::<_, 16, 8>(to_u8(v), true).map(u16::from)),
        I32x4ExtendLowI16x8S => from_i32(half::<_, 8, 4>(to_i16(v), false).map(i32::from)),
        I32x4ExtendHighI16x8S => from_i32(half::<_, 8, 4>(to_i16(v), true).map(i32::from)),
        I32x4ExtendLowI16x8U => from_u32(half::<_, 8, 4>(to_u16(v), false).map(u32::from)),
        I32x4ExtendHighI16x8U => from_u32(half::<_, 8, 4>(to_u16(v), true).map(u32::from)),
        I64x2ExtendLowI32x4S => from_i64(half::<_, 4, 2>(to_i32(v), false).map(i64::from)),
        I64x2ExtendHighI32x4S => from_i64(half::<_, 4, 2>(to_i32(v), true).map(i64::from)),
        I64x2ExtendLowI32x4U => from_u64(half::<_, 4, 2>(to_u32(v), false).map(u64::from)),
        I64x2ExtendHighI32x4U => from_u64(half::<_, 4, 2>(to_u32(v), true).map(u64::from)),

        F32x4Ceil => from_f32(to_f32(v).map(|x| quiet32(x.ceil()))),
        F32x4Floor => from_f32(to_f32(v).map(|x| quiet32(x.floor()))),
        F32x4Trunc => from_f32(to_f32(v).map(|x| quiet32(x.trunc()))),
        F32x4Nearest => from_f32(to_f32(v).map(|x| quiet32(x.round_ties_even()))),
        // abs and neg touch only the sign bit, NaN payloads included.
        F32x4Abs => from_u32(to_u32(v).map(|x| x & 0x7fff_ffff)),
        F32x4Neg => from_u32(to_u32(v).map(|x| x ^ 0x8000_0000)),
        F32x4Sqrt => from_f32(to_f32(v).map(|x| quiet32(x.sqrt()))),
        F64x2Ceil => from_f64(to_f64(v).map(|x| quiet64(x.ceil()))),
        F64x2Floor => from_f64(to_f64(v).map(|x| quiet64(x.floor()))),
        F64x2Trunc => from_f64(to_f64(v).map(|x| quiet64(x.trunc()))),
        F64x2Nearest => from_f64(to_f64(v).map(|x| quiet64(x.round_ties_even()))),
        F64x2Abs => from_u64(to_u64(v).map(|x| x & 0x7fff_ffff_ffff_ffff)),
        F64x2Neg => from_u64(to_u64(v).map(|x| x ^ 0x8000_0000_0000_0000)),
        F64x2Sqrt => from_f64(to_f64(v).map(|x| quiet64(x.sqrt()))),

        // Rust's float-to-int `as` saturates and maps NaN to 0: exactly
        // trunc_sat.
        I32x4TruncSatF32x4S => from_i32(to_f32(v).map(|x| x as i32)),
        I32x4TruncSatF32x4U => from_u32(to_f32(v).map(|x| x as u32)),
        F32x4ConvertI32x4S => from_f32(to_i32(v).map(|x| x as f32)),
        F32x4ConvertI32x4U => from_f32(to_u32(v).map(|x| x as f32)),
        I32x4TruncSatF64x2SZero => {
            let l = to_f64(v);
            from_i32([l[0] as i32, l[1] as i32, 0, 0])
        }
        I32x4TruncSatF64x2UZero => {
            let l = to_f64(v);
            from_u32([l[0] as u32, l[1] as u32, 0, 0])
        }
        F64x2ConvertLowI32x4S => {
            let l = to_i32(v);
            from_f64([l[0] as f64, l[1] as f64])
        }
        F64x2ConvertLowI32x4U => {
            let l = to_u32(v);
            from_f64([l[0] as f64, l[1] as f64])
        }
        F32x4DemoteF64x2Zero => {
            let l = to_f64(v);
            // Rust leaves the NaN an `as` cast produces unspecified.
            from_f32([quiet32(l[0] as f32), quiet32(l[1] as f32), 0.0, 0.0])
        }
        F64x2PromoteLowF32x4 => {
            let l = to_f32(v);
            from_f64([quiet64(l[0] as f64), quiet64(l[1] as f64)])
        }
        _ => unreachable!("{op:?} is not a Shape::Unary op"),
    }
}

pub(super) fn binary(op: SimdOp, a: u128, b: u128) -> u128 {
    use SimdOp::*;
    match op {
        V128And => a & b,
        V128AndNot => a & !b,
        V128Or => a | b,
        V128Xor => a ^ b,

        I8x16Swizzle => {
            let a = a.to_le_bytes();
            let idx = b.to_le_bytes();
            u128::from_le_bytes(std::array::from_fn(|i| {
                a.get(idx[i] as usize).copied().unwrap_or(0)
            }))
        }

        // Integer comparisons.
        I8x16Eq => from_i8(map2(to_i8(a), to_i8(b), |x, y| mask!(x == y, i8))),
        I8x16Ne => from_i8(map2(to_i8(a), to_i8(b), |x, y| mask!(x != y, i8))),
        I8x16LtS => from_i8(map2(to_i8(a), to_i8(b), |x, y| mask!(x < y, i8))),
        I8x16LtU => from_u8(map2(to_u8(a), to_u8(b), |x, y| mask!(x < y, u8))),
        I8x16GtS => from_i8(map2(to_i8(a), to_i8(b), |x, y| mask!(x > y, i8))),
        I8x16GtU => from_u8(map2(to_u8(a), to_u8(b), |x, y| mask!(x > y, u8))),
        I8x16LeS => from_i8(map2(to_i8(a), to_i8(b), |x, y| mask!(x <= y, i8))),
        I8x16LeU => from_u8(map2(to_u8(a), to_u8(b), |x, y| mask!(x <= y, u8))),
        I8x16GeS => from_i8(map2(to_i8(a), to_i8(b), |x, y| mask!(x >= y, i8))),
        I8x16GeU => from_u8(map2(to_u8(a), to_u8(b), |x, y| mask!(x >= y, u8))),
        I16x8Eq => from_i16(map2(to_i16(a), to_i16(b), |x, y| mask!(x == y, i16))),
        I16x8Ne => from_i16(map2(to_i16(a), to_i16(b), |x, y| mask!(x != y, i16))),
        I16x8LtS => from_i16(map2(to_i16(a), to_i16(b), |x, y| mask!(x < y, i16))),
        I16x8LtU => from_u16(map2(to_u16(a), to_u16(b), |x, y| mask!(x < y, u16))),
        I16x8GtS => from_i16(map2(to_i16(a), to_i16(b), |x, y| mask!(x > y, i16))),
        I16x8GtU => from_u16(map2(to_u16(a), to_u16(b), |x, y| mask!(x > y, u16))),
        I16x8LeS => from_i16(map2(to_i16(a), to_i16(b), |x, y| mask!(x <= y, i16))),
        I16x8LeU => from_u16(map2(to_u16(a), to_u16(b), |x, y| mask!(x <= y, u16))),
        I16x8GeS => from_i16(map2(to_i16(a), to_i16(b), |x, y| mask!(x >= y, i16))),
        I16x8GeU => from_u16(map2(to_u16(a), to_u16(b), |x, y| mask!(x >= y, u16))),
        I32x4Eq => from_i32(map2(to_i32(a), to_i32(b), |x, y| mask!(x == y, i32))),
        I32x4Ne => from_i32(map2(to_i32(a), to_i32(b), |x, y| mask!(x != y, i32))),
        I32x4LtS => from_i32(map2(to_i32(a), to_i32(b), |x, y| mask!(x < y, i32))),
        I32x4LtU => from_u32(map2(to_u32(a), to_u32(b), |x, y| mask!(x < y, u32))),
        I32x4GtS => from_i32(map2(to_i32(a), to_i32(b), |x, y| mask!(x > y, i32))),
        I32x4GtU => from_u32(map2(to_u32(a), to_u32(b), |x, y| mask!(x > y, u32))),
        I32x4LeS => from_i32(map2(to_i32(a), to_i32(b), |x, y| mask!(x <= y, i32))),
        I32x4LeU => from_u32(map2(to_u32(a), to_u32(b), |x, y| mask!(x <= y, u32))),
        I32x4GeS => from_i32(map2(to_i32(a), to_i32(b), |x, y| mask!(x >= y, i32))),
        I32x4GeU => from_u32(map2(to_u32(a), to_u32(b), |x, y| mask!(x >= y, u32))),
        I64x2Eq => from_i64(map2(to_i64(a), to_i64(b), |x, y| mask!(x == y, i64))),
        I64x2Ne => from_i64(map2(to_i64(a), to_i64(b), |x, y| mask!(x != y, i64))),
        I64x2LtS => from_i64(map2(to_i64(a), to_i64(b), |x, y| mask!(x < y, i64))),
        I64x2GtS => from_i64(map2(to_i64(a), to_i64(b), |x, y| mask!(x > y, i64))),
        I64x2LeS => from_i64(map2(to_i64(a), to_i64(b), |x, y| mask!(x <= y, i64))),
        I64x2GeS => from_i64(map2(to_i64(a), to_i64(b), |x, y| mask!(x >= y, i64))),

        // Float comparisons (IEEE: every comparison with NaN is false but ne).
        F32x4Eq => from_i32(map2(to_f32(a), to_f32(b), |x, y| mask!(x == y, i32))),
        F32x4Ne => from_i32(map2(to_f32(a), to_f32(b), |x, y| mask!(x != y, i32))),
        F32x4Lt => from_i32(map2(to_f32(a), to_f32(b), |x, y| mask!(x < y, i32))),
        F32x4Gt => from_i32(map2(to_f32(a), to_f32(b), |x, y| mask!(x > y, i32))),
        F32x4Le => from_i32(map2(to_f32(a), to_f32(b), |x, y| mask!(x <= y, i32))),
        F32x4Ge => from_i32(map2(to_f32(a), to_f32(b), |x, y| mask!(x >= y, i32))),
        F64x2Eq => from_i64(map2(to_f64(a), to_f64(b), |x, y| mask!(x == y, i64))),
        F64x2Ne => from_i64(map2(to_f64(a), to_f64(b), |x, y| mask!(x != y, i64))),
        F64x2Lt => from_i64(map2(to_f64(a), to_f64(b), |x, y| mask!(x < y, i64))),
        F64x2Gt => from_i64(map2(to_f64(a), to_f64(b), |x, y| mask!(x > y, i64))),
        F64x2Le => from_i64(map2(to_f64(a), to_f64(b), |x, y| mask!(x <= y, i64))),
        F64x2Ge => from_i64(map2(to_f64(a), to_f64(b), |x, y| mask!(x >= y, i64))),

        // Narrowing reads the inputs as signed and saturates.
        I8x16NarrowI16x8S => {
            let (x, y) = (to_i16(a), to_i16(b));
            from_i8(std::array::from_fn(|i| {
                let l = if i < 8 { x[i] } else { y[i - 8] };
                l.clamp(i8::MIN as i16, i8::MAX as i16) as i8
            }))
        }
        I8x16NarrowI16x8U => {
            let (x, y) = (to_i16(a), to_i16(b));
            from_u8(std::array::from_fn(|i| {
                let l = if i < 8 { x[i] } else { y[i - 8] };
                l.clamp(0, u8::MAX as i16) as u8
            }))
        }
        I16x8NarrowI32x4S => {
            let (x, y) = (to_i32(a), to_i32(b));
            from_i16(std::array::from_fn(|i| {
                let l = if i < 4 { x[i] } else { y[i - 4] };
                l.clamp(i16::MIN as i32, i16::MAX as i32) as i16
            }))
        }
        I16x8NarrowI32x4U => {
            let (x, y) = (to_i32(a), to_i32(b));
            from_u16(std::array::from_fn(|i| {
                let l = if i < 4 { x[i] } else { y[i - 4] };
                l.clamp(0, u16::MAX as i32) as u16
            }))
        }

        // i8x16 arithmetic.
        I8x16Add => from_u8(map2(to_u8(a), to_u8(b), u8::wrapping_add)),
        I8x16AddSatS => from_i8(map2(to_i8(a), to_i8(b), i8::saturating_add)),
        I8x16AddSatU => from_u8(map2(to_u8(a), to_u8(b), u8::saturating_add)),
        I8x16Sub => from_u8(map2(to_u8(a), to_u8(b), u8::wrapping_sub)),
        I8x16SubSatS => from_i8(map2(to_i8(a), to_i8(b), i8::saturating_sub)),
        I8x16SubSatU => from_u8(map2(to_u8(a), to_u8(b), u8::saturating_sub)),
        I8x16MinS => from_i8(map2(to_i8(a), to_i8(b), i8::min)),
        I8x16MinU => from_u8(map2(to_u8(a), to_u8(b), u8::min)),
        I8x16MaxS => from_i8(map2(to_i8(a), to_i8(b), i8::max)),
        I8x16MaxU => from_u8(map2(to_u8(a), to_u8(b), u8::max)),
        I8x16AvgrU => from_u8(map2(to_u8(a), to_u8(b), |x, y| {
            ((x as u16 + y as u16).div_ceil(2)) as u8
        })),

        // i16x8 arithmetic.
        I16x8Add => from_u16(map2(to_u16(a), to_u16(b), u16::wrapping_add)),
        I16x8AddSatS => from_i16(map2(to_i16(a), to_i16(b), i16::saturating_add)),
        I16x8AddSatU => from_u16(map2(to_u16(a), to_u16(b), u16::saturating_add)),
        I16x8Sub => from_u16(map2(to_u16(a), to_u16(b), u16::wrapping_sub)),
        I16x8SubSatS => from_i16(map2(to_i16(a), to_i16(b), i16::saturating_sub)),
        I16x8SubSatU => from_u16(map2(to_u16(a), to_u16(b), u16::saturating_sub)),
        I16x8Mul => from_u16(map2(to_u16(a), to_u16(b), u16::wrapping_mul)),
        I16x8MinS => from_i16(map2(to_i16(a), to_i16(b), i16::min)),
        I16x8MinU => from_u16(map2(to_u16(a), to_u16(b), u16::min)),
        I16x8MaxS => from_i16(map2(to_i16(a), to_i16(b), i16::max)),
        I16x8MaxU => from_u16(map2(to_u16(a), to_u16(b), u16::max)),
        I16x8AvgrU => from_u16(map2(to_u16(a), to_u16(b), |x, y| {
            ((x as u32 + y as u32).div_ceil(2)) as u16
        })),
        I16x8Q15MulrSatS => from_i16(map2(to_i16(a), to_i16(b), |x, y| {
            let p = (x as i32 * y as i32 + 0x4000) >> 15;
            p.clamp(i16::MIN as i32, i16::MAX as i32) as i16
        })),
        I16x8ExtMulLowI8x16S => extmul_i8(a, b, false, true),
        I16x8ExtMulHighI8x16S => extmul_i8(a, b, true, true),
        I16x8ExtMulLowI8x16U => extmul_i8(a, b, false, false),
        I16x8ExtMulHighI8x16U => extmul_i8(a, b, true, false),

        // i32x4 arithmetic.
        I32x4Add => from_u32(map2(to_u32(a), to_u32(b), u32::wrapping_add)),
        I32x4Sub => from_u32(map2(to_u32(a), to_u32(b), u32::wrapping_sub)),
        I32x4Mul => from_u32(map2(to_u32(a), to_u32(b), u32::wrapping_mul)),
        I32x4MinS => from_i32(map2(to_i32(a), to_i32(b), i32::min)),
        I32x4MinU => from_u32(map2(to_u32(a), to_u32(b), u32::min)),
        I32x4MaxS => from_i32(map2(to_i32(a), to_i32(b), i32::max)),
        I32x4MaxU => from_u32(map2(to_u32(a), to_u32(b), u32::max)),
        I32x4DotI16x8S => {
            let (x, y) = (to_i16(a), to_i16(b));
            from_i32(std::array::from_fn(|i| {
                let lo = x[2 * i] as i32 * y[2 * i] as i32;
                let hi = x[2 * i + 1] as i32 * y[2 * i + 1] as i32;
                // Only (-32768)^2 * 2 overflows; the spec wraps it.
                lo.wrapping_add(hi)
            }))
        }
        // Deterministic relaxed SIMD: both operands signed, each i16 lane
        // the wrapping sum of its two products.
        I16x8RelaxedDotI8x16I7x16S => {
            let (x, y) = (to_i8(a), to_i8(b));
            from_i16(std::array::from_fn(|i| {
                (x[2 * i] as i16 * y[2 * i] as i16)
                    .wrapping_add(x[2 * i + 1] as i16 * y[2 * i + 1] as i16)
            }))
        }
        I32x4ExtMulLowI16x8S => extmul_i16(a, b, false, true),
        I32x4ExtMulHighI16x8S => extmul_i16(a, b, true, true),
        I32x4ExtMulLowI16x8U => extmul_i16(a, b, false, false),
        I32x4ExtMulHighI16x8U => extmul_i16(a, b, true, false),

        // i64x2 arithmetic.
        I64x2Add => from_u64(map2(to_u64(a), to_u64(b), u64::wrapping_add)),
        I64x2Sub => from_u64(map2(to_u64(a), to_u64(b), u64::wrapping_sub)),
        I64x2Mul => from_u64(map2(to_u64(a), to_u64(b), u64::wrapping_mul)),
        I64x2ExtMulLowI32x4S => extmul_i32(a, b, false, true),
        I64x2ExtMulHighI32x4S => extmul_i32(a, b, true, true),
        I64x2ExtMulLowI32x4U => extmul_i32(a, b, false, false),
        I64x2ExtMulHighI32x4U => extmul_i32(a, b, true, false),

        // Float arithmetic.
        F32x4Add => from_f32(map2(to_f32(a), to_f32(b), |x, y| x + y)),
        F32x4Sub => from_f32(map2(to_f32(a), to_f32(b), |x, y| x - y)),
        F32x4Mul => from_f32(map2(to_f32(a), to_f32(b), |x, y| x * y)),
        F32x4Div => from_f32(map2(to_f32(a), to_f32(b), |x, y| x / y)),
        F32x4Min => from_f32(map2(to_f32(a), to_f32(b), fmin32)),
        F32x4Max => from_f32(map2(to_f32(a), to_f32(b), fmax32)),
        F32x4PMin => from_f32(map2(to_f32(a), to_f32(b), |x, y| if y < x { y } else { x })),
        F32x4PMax => from_f32(map2(to_f32(a), to_f32(b), |x, y| if x < y { y } else { x })),
        F64x2Add => from_f64(map2(to_f64(a), to_f64(b), |x, y| x + y)),
        F64x2Sub => from_f64(map2(to_f64(a), to_f64(b), |x, y| x - y)),
        F64x2Mul => from_f64(map2(to_f64(a), to_f64(b), |x, y| x * y)),
        F64x2Div => from_f64(map2(to_f64(a), to_f64(b), |x, y| x / y)),
        F64x2Min => from_f64(map2(to_f64(a), to_f64(b), fmin64)),
        F64x2Max => from_f64(map2(to_f64(a), to_f64(b), fmax64)),
        F64x2PMin => from_f64(map2(to_f64(a), to_f64(b), |x, y| if y < x { y } else { x })),
        F64x2PMax => from_f64(map2(to_f64(a), to_f64(b), |x, y| if x < y { y } else { x })),

        _ => unreachable!("{op:?} is not a Shape::Binary op"),
    }
}

fn extmul_i8(a: u128, b: u128, high: bool, signed: bool) -> u128 {
    if signed {
        let x = half::<_, 16, 8>(to_i8(a), high);
        let y = half::<_, 16, 8>(to_i8(b), high);
        from_i16(map2(x, y, |p, q| p as i16 * q as i16))
    } else {
        let x = half::<_, 16, 8>(to_u8(a), high);
        let y = half::<_, 16, 8>(to_u8(b), high);
        from_u16(map2(x, y, |p, q| p as u16 * q as u16))
    }
}

fn extmul_i16(a: u128, b: u128, high: bool, signed: bool) -> u128 {
    if signed {
        let x = half::<_, 8, 4>(to_i16(a), high);
        let y = half::<_, 8, 4>(to_i16(b), high);
        from_i32(map2(x, y, |p, q| p as i32 * q as i32))
    } else {
        let x = half::<_, 8, 4>(to_u16(a), high);
        let y = half::<_, 8, 4>(to_u16(b), high);
        from_u32(map2(x, y, |p, q| p as u32 * q as u32))
    }
}

fn extmul_i32(a: u128, b: u128, high: bool, signed: bool) -> u128 {
    if signed {
        let x = half::<_, 4, 2>(to_i32(a), high);
        let y = half::<_, 4, 2>(to_i32(b), high);
        from_i64(map2(x, y, |p, q| p as i64 * q as i64))
    } else {
        let x = half::<_, 4, 2>(to_u32(a), high);
        let y = half::<_, 4, 2>(to_u32(b), high);
        from_u64(map2(x, y, |p, q| p as u64 * q as u64))
    }
}
