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

mod lanewise;
use lanewise::{binary, unary};

#[cfg(test)]
mod tests;
