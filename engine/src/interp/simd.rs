//! Fixed-width SIMD (the Wasm 2.0 `0xFD` operators) for the interpreter.
//!
//! CONTRACT with the translator and the interpreter loop:
//! - [`SimdOp::from_operator`] turns every Wasm 2.0 SIMD operator into a
//!   small [`SimdOp`] (at most 8 bytes, so it fits the interpreter's 16-byte
//!   op), EXCEPT `v128.const` and `i8x16.shuffle`: their 16-byte immediates
//!   do not fit, so the translator keeps those bytes in its own constant pool
//!   and calls [`exec_v128_const`] / [`exec_shuffle`] instead of [`exec`].
//!   `from_operator` answers `None` for them, as for every non-SIMD operator
//!   (and for a memarg offset above `u32::MAX`, which validation rejects for
//!   the 32-bit memories of Wasm 2.0).
//! - Slot model: the operand stack is untyped `u64` slots; a `v128` takes two
//!   slots, the low 64 bits (bytes 0..8, little-endian) in the lower index.
//!   i32 and f32 live in the low 32 bits of a slot (results write the upper
//!   32 bits as zero), i64 and f64 take a whole slot. Operands are in push
//!   order: the first operand is the deepest.
//! - [`exec`] pops its operands from `stack[..sp]`, writes its result and
//!   returns the new `sp`. The caller guarantees a validated stack shape and
//!   room for the result: [`SimdOp::stack_slots`] gives the slots popped and
//!   pushed, for the translator's max-height computation.
//! - Memory operators take an i32 address; the effective address is
//!   `addr as u64 + offset` (no wrap-around); any byte past `mem.len()` traps
//!   with [`TrapCode::MemoryOutOfBounds`] before anything is written.
//! - Float results follow the spec: NaN results are canonical or arithmetic
//!   (the host FPU quiets NaNs), `neg`/`abs` flip/clear only the sign bit,
//!   `min`/`max` propagate NaN and order -0 below +0, `pmin`/`pmax` are
//!   `b < a ? b : a` / `a < b ? b : a` bit for bit.

use crate::ir::simd::{Shape, SimdOp};
use crate::trap::TrapCode;

// ---------------------------------------------------------------------------
// Slots and lanes

fn get_v128(stack: &[u64], at: usize) -> u128 {
    stack[at] as u128 | ((stack[at + 1] as u128) << 64)
}

fn put_v128(stack: &mut [u64], at: usize, v: u128) {
    stack[at] = v as u64;
    stack[at + 1] = (v >> 64) as u64;
}

/// Lane views of a `v128`: `to_*` splits it into little-endian lanes,
/// `from_*` joins them back.
macro_rules! lanes {
    ($($to:ident, $from:ident, $t:ty, $n:literal;)*) => {$(
        fn $to(v: u128) -> [$t; $n] {
            const W: usize = 16 / $n;
            let b = v.to_le_bytes();
            std::array::from_fn(|i| {
                let mut lane = [0u8; W];
                lane.copy_from_slice(&b[i * W..(i + 1) * W]);
                <$t>::from_le_bytes(lane)
            })
        }
        fn $from(l: [$t; $n]) -> u128 {
            const W: usize = 16 / $n;
            let mut b = [0u8; 16];
            for (i, x) in l.iter().enumerate() {
                b[i * W..(i + 1) * W].copy_from_slice(&x.to_le_bytes());
            }
            u128::from_le_bytes(b)
        }
    )*};
}

lanes! {
    to_i8, from_i8, i8, 16;
    to_u8, from_u8, u8, 16;
    to_i16, from_i16, i16, 8;
    to_u16, from_u16, u16, 8;
    to_i32, from_i32, i32, 4;
    to_u32, from_u32, u32, 4;
    to_i64, from_i64, i64, 2;
    to_u64, from_u64, u64, 2;
    to_f32, from_f32, f32, 4;
    to_f64, from_f64, f64, 2;
}

fn map2<T: Copy, U, const N: usize>(a: [T; N], b: [T; N], f: impl Fn(T, T) -> U) -> [U; N] {
    std::array::from_fn(|i| f(a[i], b[i]))
}

/// All-ones lane for true, zero for false (comparison results).
macro_rules! mask {
    ($c:expr, $t:ty) => {
        if $c { !0 as $t } else { 0 as $t }
    };
}

// ---------------------------------------------------------------------------
// Float helpers with Wasm semantics

macro_rules! float_helpers {
    ($min:ident, $max:ident, $t:ty) => {
        /// Wasm `min`: NaN if either operand is NaN, and -0 < +0.
        fn $min(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                // The sum of a NaN is a quieted NaN (arithmetic, and canonical
                // when the input NaNs are).
                a + b
            } else if a == b {
                // Only differs for +-0: the OR of the bits picks -0.
                <$t>::from_bits(a.to_bits() | b.to_bits())
            } else if a < b {
                a
            } else {
                b
            }
        }
        /// Wasm `max`: NaN if either operand is NaN, and +0 > -0.
        fn $max(a: $t, b: $t) -> $t {
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
    };
}

/// Sets the quiet bit of a NaN. The spec wants an arithmetic NaN from every
/// float op but the sign ones; the software rounding functions (used where
/// the CPU lacks a rounding instruction, and in unoptimised builds) hand a
/// signalling NaN back unchanged.
fn quiet32(x: f32) -> f32 {
    if x.is_nan() {
        f32::from_bits(x.to_bits() | 0x0040_0000)
    } else {
        x
    }
}

fn quiet64(x: f64) -> f64 {
    if x.is_nan() {
        f64::from_bits(x.to_bits() | 0x0008_0000_0000_0000)
    } else {
        x
    }
}

float_helpers!(fmin32, fmax32, f32);
float_helpers!(fmin64, fmax64, f64);

// ---------------------------------------------------------------------------
// Memory

/// The byte range `[addr + offset, addr + offset + len)` of `mem`, or a trap.
fn mem_range(mem_len: usize, addr: u64, offset: u32, len: usize) -> Result<usize, TrapCode> {
    // An i32 address is zero-extended; u64 arithmetic cannot overflow here.
    let start = (addr as u32) as u64 + offset as u64;
    let end = start + len as u64;
    if end > mem_len as u64 {
        return Err(TrapCode::MemoryOutOfBounds);
    }
    Ok(start as usize)
}

fn load<const N: usize>(mem: &[u8], addr: u64, offset: u32) -> Result<[u8; N], TrapCode> {
    let start = mem_range(mem.len(), addr, offset, N)?;
    let mut out = [0u8; N];
    out.copy_from_slice(&mem[start..start + N]);
    Ok(out)
}

fn store(mem: &mut [u8], addr: u64, offset: u32, bytes: &[u8]) -> Result<(), TrapCode> {
    let start = mem_range(mem.len(), addr, offset, bytes.len())?;
    mem[start..start + bytes.len()].copy_from_slice(bytes);
    Ok(())
}

/// Load a `v128` (or part of one) for the `Shape::Load` ops.
fn exec_load(op: SimdOp, mem: &[u8], addr: u64) -> Result<u128, TrapCode> {
    use SimdOp::*;
    Ok(match op {
        V128Load { offset } => u128::from_le_bytes(load::<16>(mem, addr, offset)?),
        V128Load8x8S { offset } => {
            let b = load::<8>(mem, addr, offset)?;
            from_i16(std::array::from_fn(|i| b[i] as i8 as i16))
        }
        V128Load8x8U { offset } => {
            let b = load::<8>(mem, addr, offset)?;
            from_u16(std::array::from_fn(|i| b[i] as u16))
        }
        V128Load16x4S { offset } => {
            let b = load::<8>(mem, addr, offset)?;
            from_i32(std::array::from_fn(|i| {
                i16::from_le_bytes([b[2 * i], b[2 * i + 1]]) as i32
            }))
        }
        V128Load16x4U { offset } => {
            let b = load::<8>(mem, addr, offset)?;
            from_u32(std::array::from_fn(|i| {
                u16::from_le_bytes([b[2 * i], b[2 * i + 1]]) as u32
            }))
        }
        V128Load32x2S { offset } => {
            let b = load::<8>(mem, addr, offset)?;
            let l = u64::from_le_bytes(b);
            from_i64([l as u32 as i32 as i64, (l >> 32) as u32 as i32 as i64])
        }
        V128Load32x2U { offset } => {
            let b = load::<8>(mem, addr, offset)?;
            let l = u64::from_le_bytes(b);
            from_u64([l & 0xffff_ffff, l >> 32])
        }
        V128Load8Splat { offset } => from_u8([load::<1>(mem, addr, offset)?[0]; 16]),
        V128Load16Splat { offset } => from_u16([u16::from_le_bytes(load(mem, addr, offset)?); 8]),
        V128Load32Splat { offset } => from_u32([u32::from_le_bytes(load(mem, addr, offset)?); 4]),
        V128Load64Splat { offset } => from_u64([u64::from_le_bytes(load(mem, addr, offset)?); 2]),
        V128Load32Zero { offset } => u32::from_le_bytes(load(mem, addr, offset)?) as u128,
        V128Load64Zero { offset } => u64::from_le_bytes(load(mem, addr, offset)?) as u128,
        _ => unreachable!("exec_load called with {op:?}, which is not a Shape::Load op"),
    })
}

// ---------------------------------------------------------------------------
// Execution

/// `v128.const`: push `value`; returns the new sp.
pub fn exec_v128_const(value: u128, stack: &mut [u64], sp: usize) -> usize {
    put_v128(stack, sp, value);
    sp + 2
}

/// `i8x16.shuffle`: pop two `v128`s, push the bytes of `a ++ b` picked by
/// `lanes` (each < 32, as validation guarantees); returns the new sp.
pub fn exec_shuffle(lanes: [u8; 16], stack: &mut [u64], sp: usize) -> usize {
    let a = get_v128(stack, sp - 4).to_le_bytes();
    let b = get_v128(stack, sp - 2).to_le_bytes();
    let r: [u8; 16] = std::array::from_fn(|i| {
        let l = lanes[i] as usize;
        // Validation guarantees l < 32; masking keeps a bad index from panicking.
        if l < 16 { a[l] } else { b[l & 15] }
    });
    put_v128(stack, sp - 4, u128::from_le_bytes(r));
    sp - 2
}

/// Execute `op` on the operands at the top of `stack[..sp]`, returning the
/// new sp. See the module documentation for the slot model.
pub fn exec(op: SimdOp, stack: &mut [u64], sp: usize, mem: &mut [u8]) -> Result<usize, TrapCode> {
    use SimdOp::*;
    match op.shape() {
        Shape::Load => {
            let v = exec_load(op, mem, stack[sp - 1])?;
            put_v128(stack, sp - 1, v);
            Ok(sp + 1)
        }
        Shape::Store => {
            let addr = stack[sp - 3];
            let v = get_v128(stack, sp - 2);
            let bytes = v.to_le_bytes();
            match op {
                V128Store { offset } => store(mem, addr, offset, &bytes)?,
                V128Store8Lane { offset, lane } => {
                    let l = lane as usize & 15;
                    store(mem, addr, offset, &bytes[l..l + 1])?
                }
                V128Store16Lane { offset, lane } => {
                    let l = (lane as usize & 7) * 2;
                    store(mem, addr, offset, &bytes[l..l + 2])?
                }
                V128Store32Lane { offset, lane } => {
                    let l = (lane as usize & 3) * 4;
                    store(mem, addr, offset, &bytes[l..l + 4])?
                }
                V128Store64Lane { offset, lane } => {
                    let l = (lane as usize & 1) * 8;
                    store(mem, addr, offset, &bytes[l..l + 8])?
                }
                _ => unreachable!("{op:?} is not a Shape::Store op"),
            }
            Ok(sp - 3)
        }
        Shape::LoadLane => {
            let addr = stack[sp - 3];
            let mut bytes = get_v128(stack, sp - 2).to_le_bytes();
            // Lane indices are validated; the masks only keep a bad one from
            // panicking.
            match op {
                V128Load8Lane { offset, lane } => {
                    let l = lane as usize & 15;
                    bytes[l..l + 1].copy_from_slice(&load::<1>(mem, addr, offset)?);
                }
                V128Load16Lane { offset, lane } => {
                    let l = (lane as usize & 7) * 2;
                    bytes[l..l + 2].copy_from_slice(&load::<2>(mem, addr, offset)?);
                }
                V128Load32Lane { offset, lane } => {
                    let l = (lane as usize & 3) * 4;
                    bytes[l..l + 4].copy_from_slice(&load::<4>(mem, addr, offset)?);
                }
                V128Load64Lane { offset, lane } => {
                    let l = (lane as usize & 1) * 8;
                    bytes[l..l + 8].copy_from_slice(&load::<8>(mem, addr, offset)?);
                }
                _ => unreachable!("{op:?} is not a Shape::LoadLane op"),
            }
            put_v128(stack, sp - 3, u128::from_le_bytes(bytes));
            Ok(sp - 1)
        }
        Shape::Extract => {
            let v = get_v128(stack, sp - 2);
            let r: u64 = match op {
                I8x16ExtractLaneS { lane } => to_i8(v)[lane as usize & 15] as i32 as u32 as u64,
                I8x16ExtractLaneU { lane } => to_u8(v)[lane as usize & 15] as u64,
                I16x8ExtractLaneS { lane } => to_i16(v)[lane as usize & 7] as i32 as u32 as u64,
                I16x8ExtractLaneU { lane } => to_u16(v)[lane as usize & 7] as u64,
                I32x4ExtractLane { lane } | F32x4ExtractLane { lane } => {
                    to_u32(v)[lane as usize & 3] as u64
                }
                I64x2ExtractLane { lane } | F64x2ExtractLane { lane } => {
                    to_u64(v)[lane as usize & 1]
                }
                _ => unreachable!("{op:?} is not a Shape::Extract op"),
            };
            stack[sp - 2] = r;
            Ok(sp - 1)
        }
        Shape::Replace => {
            let v = get_v128(stack, sp - 3);
            let x = stack[sp - 1];
            let r = match op {
                I8x16ReplaceLane { lane } => {
                    let mut l = to_u8(v);
                    l[lane as usize & 15] = x as u8;
                    from_u8(l)
                }
                I16x8ReplaceLane { lane } => {
                    let mut l = to_u16(v);
                    l[lane as usize & 7] = x as u16;
                    from_u16(l)
                }
                I32x4ReplaceLane { lane } | F32x4ReplaceLane { lane } => {
                    let mut l = to_u32(v);
                    l[lane as usize & 3] = x as u32;
                    from_u32(l)
                }
                I64x2ReplaceLane { lane } | F64x2ReplaceLane { lane } => {
                    let mut l = to_u64(v);
                    l[lane as usize & 1] = x;
                    from_u64(l)
                }
                _ => unreachable!("{op:?} is not a Shape::Replace op"),
            };
            put_v128(stack, sp - 3, r);
            Ok(sp - 1)
        }
        Shape::Splat => {
            let x = stack[sp - 1];
            let r = match op {
                I8x16Splat => from_u8([x as u8; 16]),
                I16x8Splat => from_u16([x as u16; 8]),
                I32x4Splat | F32x4Splat => from_u32([x as u32; 4]),
                I64x2Splat | F64x2Splat => from_u64([x; 2]),
                _ => unreachable!("{op:?} is not a Shape::Splat op"),
            };
            put_v128(stack, sp - 1, r);
            Ok(sp + 1)
        }
        Shape::Test => {
            let v = get_v128(stack, sp - 2);
            let r: u32 = match op {
                V128AnyTrue => (v != 0) as u32,
                I8x16AllTrue => to_u8(v).iter().all(|&x| x != 0) as u32,
                I16x8AllTrue => to_u16(v).iter().all(|&x| x != 0) as u32,
                I32x4AllTrue => to_u32(v).iter().all(|&x| x != 0) as u32,
                I64x2AllTrue => to_u64(v).iter().all(|&x| x != 0) as u32,
                I8x16Bitmask => bitmask(to_i8(v).map(|x| x < 0)),
                I16x8Bitmask => bitmask(to_i16(v).map(|x| x < 0)),
                I32x4Bitmask => bitmask(to_i32(v).map(|x| x < 0)),
                I64x2Bitmask => bitmask(to_i64(v).map(|x| x < 0)),
                _ => unreachable!("{op:?} is not a Shape::Test op"),
            };
            stack[sp - 2] = r as u64;
            Ok(sp - 1)
        }
        Shape::Shift => {
            let v = get_v128(stack, sp - 3);
            // The count is taken modulo the lane width.
            let s = stack[sp - 1] as u32;
            let r = match op {
                I8x16Shl => from_u8(to_u8(v).map(|x| x << (s & 7))),
                I8x16ShrS => from_i8(to_i8(v).map(|x| x >> (s & 7))),
                I8x16ShrU => from_u8(to_u8(v).map(|x| x >> (s & 7))),
                I16x8Shl => from_u16(to_u16(v).map(|x| x << (s & 15))),
                I16x8ShrS => from_i16(to_i16(v).map(|x| x >> (s & 15))),
                I16x8ShrU => from_u16(to_u16(v).map(|x| x >> (s & 15))),
                I32x4Shl => from_u32(to_u32(v).map(|x| x << (s & 31))),
                I32x4ShrS => from_i32(to_i32(v).map(|x| x >> (s & 31))),
                I32x4ShrU => from_u32(to_u32(v).map(|x| x >> (s & 31))),
                I64x2Shl => from_u64(to_u64(v).map(|x| x << (s & 63))),
                I64x2ShrS => from_i64(to_i64(v).map(|x| x >> (s & 63))),
                I64x2ShrU => from_u64(to_u64(v).map(|x| x >> (s & 63))),
                _ => unreachable!("{op:?} is not a Shape::Shift op"),
            };
            put_v128(stack, sp - 3, r);
            Ok(sp - 1)
        }
        Shape::Unary => {
            let v = get_v128(stack, sp - 2);
            put_v128(stack, sp - 2, unary(op, v));
            Ok(sp)
        }
        Shape::Binary => {
            let a = get_v128(stack, sp - 4);
            let b = get_v128(stack, sp - 2);
            put_v128(stack, sp - 4, binary(op, a, b));
            Ok(sp - 2)
        }
        Shape::Ternary => {
            let a = get_v128(stack, sp - 6);
            let b = get_v128(stack, sp - 4);
            let c = get_v128(stack, sp - 2);
            let r = match op {
                // v128.bitselect: bits of `a` where `c` is 1, of `b` where it is 0.
                V128Bitselect => (a & c) | (b & !c),
                // Deterministic relaxed SIMD: a fused multiply-add (one rounding).
                F32x4RelaxedMadd => from_f32(std::array::from_fn(|i| {
                    to_f32(a)[i].mul_add(to_f32(b)[i], to_f32(c)[i])
                })),
                F32x4RelaxedNmadd => from_f32(std::array::from_fn(|i| {
                    (-to_f32(a)[i]).mul_add(to_f32(b)[i], to_f32(c)[i])
                })),
                F64x2RelaxedMadd => from_f64(std::array::from_fn(|i| {
                    to_f64(a)[i].mul_add(to_f64(b)[i], to_f64(c)[i])
                })),
                F64x2RelaxedNmadd => from_f64(std::array::from_fn(|i| {
                    (-to_f64(a)[i]).mul_add(to_f64(b)[i], to_f64(c)[i])
                })),
                // Both operands signed; each i32 lane the exact sum of its
                // four products, plus `c` (wrapping).
                I32x4RelaxedDotI8x16I7x16AddS => {
                    let (x, y, z) = (to_i8(a), to_i8(b), to_i32(c));
                    from_i32(std::array::from_fn(|i| {
                        let dot: i32 = (0..4)
                            .map(|k| x[4 * i + k] as i32 * y[4 * i + k] as i32)
                            .sum();
                        dot.wrapping_add(z[i])
                    }))
                }
                _ => unreachable!("{op:?} is not a Shape::Ternary op"),
            };
            put_v128(stack, sp - 6, r);
            Ok(sp - 4)
        }
    }
}

fn bitmask<const N: usize>(neg: [bool; N]) -> u32 {
    neg.iter()
        .enumerate()
        .fold(0, |m, (i, &n)| m | ((n as u32) << i))
}

/// The low or high half of the lanes, as an array of half the length.
fn half<T: Copy, const N: usize, const H: usize>(a: [T; N], high: bool) -> [T; H] {
    let base = if high { H } else { 0 };
    std::array::from_fn(|i| a[base + i])
}

fn unary(op: SimdOp, v: u128) -> u128 {
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

fn binary(op: SimdOp, a: u128, b: u128) -> u128 {
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

#[cfg(test)]
mod tests;
