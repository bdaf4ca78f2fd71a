//! Unit tests for the SIMD ops, per family, with hand-computed values.

use super::*;
use wasmparser::{BinaryReader, Operator, OperatorsReader};

// ---------------------------------------------------------------------------
// Helpers

/// Bytes of a v128 from 16 lane bytes.
fn v8(l: [u8; 16]) -> u128 {
    from_u8(l)
}

fn vi16(l: [i16; 8]) -> u128 {
    from_i16(l)
}

fn vi32(l: [i32; 4]) -> u128 {
    from_i32(l)
}

fn vi64(l: [i64; 2]) -> u128 {
    from_i64(l)
}

fn vf32(l: [f32; 4]) -> u128 {
    from_f32(l)
}

fn vf64(l: [f64; 2]) -> u128 {
    from_f64(l)
}

/// Run `op` on a v128 operand.
fn un(op: SimdOp, a: u128) -> u128 {
    let mut stack = [0u64; 8];
    put_v128(&mut stack, 0, a);
    let sp = exec(op, &mut stack, 2, &mut []).expect("no memory access");
    assert_eq!(sp, 2);
    get_v128(&stack, 0)
}

/// Run `op` on two v128 operands.
fn bin(op: SimdOp, a: u128, b: u128) -> u128 {
    let mut stack = [0u64; 8];
    put_v128(&mut stack, 0, a);
    put_v128(&mut stack, 2, b);
    let sp = exec(op, &mut stack, 4, &mut []).expect("no memory access");
    assert_eq!(sp, 2);
    get_v128(&stack, 0)
}

/// Run an op taking a v128 and returning a scalar slot.
fn to_scalar(op: SimdOp, a: u128) -> u64 {
    let mut stack = [0u64; 8];
    put_v128(&mut stack, 0, a);
    let sp = exec(op, &mut stack, 2, &mut []).expect("no memory access");
    assert_eq!(sp, 1);
    stack[0]
}

/// Run an op taking a v128 and a scalar and returning a v128.
fn with_scalar(op: SimdOp, a: u128, x: u64) -> u128 {
    let mut stack = [0u64; 8];
    put_v128(&mut stack, 0, a);
    stack[2] = x;
    let sp = exec(op, &mut stack, 3, &mut []).expect("no memory access");
    assert_eq!(sp, 2);
    get_v128(&stack, 0)
}

fn splat(op: SimdOp, x: u64) -> u128 {
    let mut stack = [0u64; 8];
    stack[0] = x;
    let sp = exec(op, &mut stack, 1, &mut []).expect("no memory access");
    assert_eq!(sp, 2);
    get_v128(&stack, 0)
}

/// Run a load at `addr` on `mem`.
fn load_at(op: SimdOp, mem: &mut [u8], addr: u32) -> Result<u128, TrapCode> {
    let mut stack = [0u64; 8];
    stack[0] = addr as u64;
    let sp = exec(op, &mut stack, 1, mem)?;
    assert_eq!(sp, 2);
    Ok(get_v128(&stack, 0))
}

/// Decode a `0xFD`-prefixed opcode followed by zero immediates.
fn decode(opcode: u32) -> Option<Operator<'static>> {
    let mut bytes = vec![0xFD];
    let mut n = opcode;
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            bytes.push(b);
            break;
        }
        bytes.push(b | 0x80);
    }
    bytes.extend_from_slice(&[0; 20]);
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    OperatorsReader::new(BinaryReader::new(bytes, 0))
        .read()
        .ok()
}

const NAN32: u32 = 0x7fc0_0000;
const NAN64: u64 = 0x7ff8_0000_0000_0000;

fn is_nan32(bits: u32) -> bool {
    f32::from_bits(bits).is_nan()
}

// ---------------------------------------------------------------------------
// Decoding and the contract

#[test]
fn simd_op_fits_in_eight_bytes() {
    assert!(
        std::mem::size_of::<SimdOp>() <= 8,
        "{}",
        std::mem::size_of::<SimdOp>()
    );
}

#[test]
fn every_wasm2_simd_opcode_is_handled() {
    let mut handled = 0;
    let mut out_of_line = 0;
    for opcode in 0..=0xffu32 {
        let Some(op) = decode(opcode) else { continue };
        match op {
            Operator::V128Const { .. } | Operator::I8x16Shuffle { .. } => {
                assert_eq!(SimdOp::from_operator(&op), None);
                out_of_line += 1;
            }
            _ => {
                assert!(SimdOp::from_operator(&op).is_some(), "{op:?} not handled");
                handled += 1;
            }
        }
    }
    // Wasm 2.0 has 236 SIMD instructions; two carry 16-byte immediates.
    assert_eq!((handled, out_of_line), (234, 2));
    // Relaxed SIMD (0x100..0x113, Wasm 3.0) is handled too, deterministically.
    for opcode in 0x100..=0x113u32 {
        let op = decode(opcode).expect("relaxed SIMD decodes");
        assert!(SimdOp::from_operator(&op).is_some(), "{op:?} not handled");
    }
    let relaxed = decode(0x100).expect("i8x16.relaxed_swizzle decodes");
    assert_eq!(SimdOp::from_operator(&relaxed), Some(SimdOp::I8x16Swizzle));
    assert_eq!(SimdOp::from_operator(&Operator::I32Add), None);
}

#[test]
fn immediates_are_carried() {
    let mut bytes = vec![0xFD, 0x54, 0x00, 0xE5, 0x8E, 0x26, 0x07];
    bytes.extend_from_slice(&[0; 4]);
    let op = OperatorsReader::new(BinaryReader::new(&bytes, 0))
        .read()
        .expect("v128.load8_lane decodes");
    assert_eq!(
        SimdOp::from_operator(&op),
        Some(SimdOp::V128Load8Lane {
            offset: 624_485,
            lane: 7
        })
    );
}

#[test]
fn stack_slots_match_exec() {
    for opcode in 0..=0xffu32 {
        let Some(op) = decode(opcode) else { continue };
        let Some(op) = SimdOp::from_operator(&op) else {
            continue;
        };
        let (pops, pushes) = op.stack_slots();
        let mut stack = [0u64; 16];
        let mut mem = [0u8; 64];
        let sp = 8;
        let new_sp = exec(op, &mut stack, sp, &mut mem).expect("address 0 is in bounds");
        assert_eq!(new_sp, sp - pops + pushes, "{op:?}");
    }
}

// ---------------------------------------------------------------------------
// const, shuffle, swizzle, splat, lanes

#[test]
fn v128_const_pushes_two_slots_low_first() {
    let mut stack = [0u64; 4];
    let sp = exec_v128_const(0x0011_2233_4455_6677_8899_aabb_ccdd_eeff, &mut stack, 1);
    assert_eq!(sp, 3);
    assert_eq!(stack[1], 0x8899_aabb_ccdd_eeff);
    assert_eq!(stack[2], 0x0011_2233_4455_6677);
}

#[test]
fn shuffle_picks_from_both_operands() {
    let a = v8(std::array::from_fn(|i| i as u8));
    let b = v8(std::array::from_fn(|i| 0x10 + i as u8));
    let mut stack = [0u64; 4];
    put_v128(&mut stack, 0, a);
    put_v128(&mut stack, 2, b);
    let lanes = [31, 0, 16, 15, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 30, 14];
    let sp = exec_shuffle(lanes, &mut stack, 4);
    assert_eq!(sp, 2);
    assert_eq!(
        get_v128(&stack, 0),
        v8([
            0x1f, 0, 0x10, 15, 1, 0x11, 2, 0x12, 3, 0x13, 4, 0x14, 5, 0x15, 0x1e, 14
        ])
    );
}

#[test]
fn swizzle_out_of_range_is_zero() {
    let a = v8(std::array::from_fn(|i| 0xa0 + i as u8));
    let idx = v8([15, 0, 16, 255, 128, 3, 3, 17, 1, 2, 4, 5, 6, 7, 8, 9]);
    assert_eq!(
        bin(SimdOp::I8x16Swizzle, a, idx),
        v8([
            0xaf, 0xa0, 0, 0, 0, 0xa3, 0xa3, 0, 0xa1, 0xa2, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9
        ])
    );
}

#[test]
fn splats_take_the_low_bits() {
    assert_eq!(splat(SimdOp::I8x16Splat, 0x1ff), v8([0xff; 16]));
    assert_eq!(splat(SimdOp::I16x8Splat, 0x1_8001), vi16([-32767; 8]));
    assert_eq!(splat(SimdOp::I32x4Splat, 0xffff_fffe), vi32([-2; 4]));
    assert_eq!(splat(SimdOp::I64x2Splat, u64::MAX), vi64([-1; 2]));
    assert_eq!(
        splat(SimdOp::F32x4Splat, 1.5f32.to_bits() as u64),
        vf32([1.5; 4])
    );
    assert_eq!(
        splat(SimdOp::F64x2Splat, (-0.0f64).to_bits()),
        vf64([-0.0; 2])
    );
}

#[test]
fn extract_lane_extends_and_clears_upper_bits() {
    let v = v8([0, 0x80, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xff]);
    assert_eq!(
        to_scalar(SimdOp::I8x16ExtractLaneS { lane: 1 }, v),
        0xffff_ff80
    );
    assert_eq!(to_scalar(SimdOp::I8x16ExtractLaneU { lane: 1 }, v), 0x80);
    assert_eq!(
        to_scalar(SimdOp::I8x16ExtractLaneS { lane: 15 }, v),
        0xffff_ffff
    );
    let w = vi16([0, 1, 2, 3, 4, 5, 6, -2]);
    assert_eq!(
        to_scalar(SimdOp::I16x8ExtractLaneS { lane: 7 }, w),
        0xffff_fffe
    );
    assert_eq!(to_scalar(SimdOp::I16x8ExtractLaneU { lane: 7 }, w), 0xfffe);
    assert_eq!(
        to_scalar(SimdOp::I32x4ExtractLane { lane: 2 }, vi32([1, 2, -3, 4])),
        0xffff_fffd
    );
    assert_eq!(
        to_scalar(SimdOp::I64x2ExtractLane { lane: 1 }, vi64([1, -5])),
        (-5i64) as u64
    );
    let f = from_u32([0, 0, 0, 0x7fa0_0001]);
    assert_eq!(
        to_scalar(SimdOp::F32x4ExtractLane { lane: 3 }, f),
        0x7fa0_0001
    );
    let d = vf64([1.0, -0.0]);
    assert_eq!(
        to_scalar(SimdOp::F64x2ExtractLane { lane: 1 }, d),
        (-0.0f64).to_bits()
    );
}

#[test]
fn replace_lane_writes_one_lane() {
    assert_eq!(
        with_scalar(SimdOp::I8x16ReplaceLane { lane: 15 }, 0, 0x1_23),
        v8([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23])
    );
    assert_eq!(
        with_scalar(
            SimdOp::I16x8ReplaceLane { lane: 0 },
            vi16([7; 8]),
            0xabcd_ffff
        ),
        vi16([-1, 7, 7, 7, 7, 7, 7, 7])
    );
    assert_eq!(
        with_scalar(SimdOp::I32x4ReplaceLane { lane: 3 }, 0, 0xffff_ffff),
        vi32([0, 0, 0, -1])
    );
    assert_eq!(
        with_scalar(SimdOp::I64x2ReplaceLane { lane: 1 }, vi64([1, 1]), 42),
        vi64([1, 42])
    );
    assert_eq!(
        with_scalar(SimdOp::F32x4ReplaceLane { lane: 1 }, 0, NAN32 as u64 | 1),
        from_u32([0, NAN32 | 1, 0, 0])
    );
    assert_eq!(
        with_scalar(SimdOp::F64x2ReplaceLane { lane: 0 }, 0, 2.5f64.to_bits()),
        vf64([2.5, 0.0])
    );
}

// ---------------------------------------------------------------------------
// Memory

fn test_mem() -> [u8; 32] {
    std::array::from_fn(|i| (i as u8).wrapping_mul(0x11).wrapping_add(0x80))
}

#[test]
fn v128_load_and_store_round_trip() {
    let mut mem = test_mem();
    let v = load_at(SimdOp::V128Load { offset: 4 }, &mut mem, 2).expect("in bounds");
    assert_eq!(
        v,
        u128::from_le_bytes(mem[6..22].try_into().expect("16 bytes"))
    );
    let mut stack = [0u64; 4];
    stack[0] = 16;
    put_v128(&mut stack, 1, 0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10);
    let sp = exec(SimdOp::V128Store { offset: 0 }, &mut stack, 3, &mut mem).expect("in bounds");
    assert_eq!(sp, 0);
    assert_eq!(mem[16], 0x10);
    assert_eq!(mem[31], 0x01);
}

#[test]
fn loads_trap_out_of_bounds_without_wrapping() {
    let mut mem = test_mem();
    // The last 16 bytes: fine.
    assert!(load_at(SimdOp::V128Load { offset: 0 }, &mut mem, 16).is_ok());
    // One past: traps.
    assert_eq!(
        load_at(SimdOp::V128Load { offset: 1 }, &mut mem, 16),
        Err(TrapCode::MemoryOutOfBounds)
    );
    // addr + offset overflows u32: must not wrap back to 0.
    assert_eq!(
        load_at(SimdOp::V128Load8Splat { offset: 1 }, &mut mem, u32::MAX),
        Err(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(
        load_at(SimdOp::V128Load32Zero { offset: u32::MAX }, &mut mem, 1),
        Err(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(
        load_at(SimdOp::V128Load64Splat { offset: 0 }, &mut mem, 25),
        Err(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(
        load_at(SimdOp::V128Load8x8S { offset: 0 }, &mut [], 0),
        Err(TrapCode::MemoryOutOfBounds)
    );
}

#[test]
fn store_out_of_bounds_writes_nothing() {
    let mut mem = test_mem();
    let before = mem;
    let mut stack = [0u64; 4];
    stack[0] = 20;
    put_v128(&mut stack, 1, u128::MAX);
    assert_eq!(
        exec(SimdOp::V128Store { offset: 0 }, &mut stack, 3, &mut mem),
        Err(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(
        exec(
            SimdOp::V128Store64Lane { offset: 5, lane: 1 },
            &mut stack,
            3,
            &mut mem
        ),
        Err(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(mem, before);
}

#[test]
fn extending_loads() {
    let mut mem = [0u8; 16];
    mem[..8].copy_from_slice(&[0x01, 0xff, 0x80, 0x7f, 0x00, 0xfe, 0x02, 0x81]);
    assert_eq!(
        load_at(SimdOp::V128Load8x8S { offset: 0 }, &mut mem, 0),
        Ok(vi16([1, -1, -128, 127, 0, -2, 2, -127]))
    );
    assert_eq!(
        load_at(SimdOp::V128Load8x8U { offset: 0 }, &mut mem, 0),
        Ok(vi16([1, 255, 128, 127, 0, 254, 2, 129]))
    );
    assert_eq!(
        load_at(SimdOp::V128Load16x4S { offset: 0 }, &mut mem, 0),
        Ok(vi32([-255, 0x7f80, -512, -32510]))
    );
    assert_eq!(
        load_at(SimdOp::V128Load16x4U { offset: 0 }, &mut mem, 0),
        Ok(vi32([0xff01, 0x7f80, 0xfe00, 0x8102]))
    );
    assert_eq!(
        load_at(SimdOp::V128Load32x2S { offset: 0 }, &mut mem, 0),
        Ok(vi64([0x7f80_ff01, 0x8102_fe00u32 as i32 as i64]))
    );
    assert_eq!(
        load_at(SimdOp::V128Load32x2U { offset: 0 }, &mut mem, 0),
        Ok(vi64([0x7f80_ff01, 0x8102_fe00]))
    );
}

#[test]
fn splat_and_zero_loads() {
    let mut mem = [0u8; 16];
    mem[..8].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(
        load_at(SimdOp::V128Load8Splat { offset: 1 }, &mut mem, 0),
        Ok(v8([2; 16]))
    );
    assert_eq!(
        load_at(SimdOp::V128Load16Splat { offset: 0 }, &mut mem, 0),
        Ok(from_u16([0x0201; 8]))
    );
    assert_eq!(
        load_at(SimdOp::V128Load32Splat { offset: 0 }, &mut mem, 4),
        Ok(from_u32([0x0807_0605; 4]))
    );
    assert_eq!(
        load_at(SimdOp::V128Load64Splat { offset: 0 }, &mut mem, 0),
        Ok(from_u64([0x0807_0605_0403_0201; 2]))
    );
    assert_eq!(
        load_at(SimdOp::V128Load32Zero { offset: 0 }, &mut mem, 0),
        Ok(0x0403_0201)
    );
    assert_eq!(
        load_at(SimdOp::V128Load64Zero { offset: 0 }, &mut mem, 0),
        Ok(0x0807_0605_0403_0201)
    );
}

#[test]
fn lane_loads_and_stores() {
    let mut mem = [0u8; 16];
    mem[..8].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    let base = u128::MAX;
    let run_load = |op: SimdOp, mem: &mut [u8]| {
        let mut stack = [0u64; 4];
        stack[0] = 0;
        put_v128(&mut stack, 1, base);
        let sp = exec(op, &mut stack, 3, mem).expect("in bounds");
        assert_eq!(sp, 2);
        get_v128(&stack, 0)
    };
    let mut expect = [0xffu8; 16];
    expect[3] = 1;
    assert_eq!(
        run_load(SimdOp::V128Load8Lane { offset: 0, lane: 3 }, &mut mem),
        v8(expect)
    );
    let mut expect = [0xffff_u16; 8];
    expect[7] = 0x0403;
    assert_eq!(
        run_load(SimdOp::V128Load16Lane { offset: 2, lane: 7 }, &mut mem),
        from_u16(expect)
    );
    assert_eq!(
        run_load(SimdOp::V128Load32Lane { offset: 4, lane: 1 }, &mut mem),
        from_u32([!0, 0x0807_0605, !0, !0])
    );
    assert_eq!(
        run_load(SimdOp::V128Load64Lane { offset: 0, lane: 0 }, &mut mem),
        from_u64([0x0807_0605_0403_0201, !0])
    );

    let v = v8(std::array::from_fn(|i| 0xc0 + i as u8));
    let run_store = |op: SimdOp, addr: u64| {
        let mut mem = [0u8; 16];
        let mut stack = [0u64; 4];
        stack[0] = addr;
        put_v128(&mut stack, 1, v);
        let sp = exec(op, &mut stack, 3, &mut mem).expect("in bounds");
        assert_eq!(sp, 0);
        mem
    };
    let m = run_store(
        SimdOp::V128Store8Lane {
            offset: 1,
            lane: 15,
        },
        0,
    );
    assert_eq!((m[0], m[1], m[2]), (0, 0xcf, 0));
    let m = run_store(SimdOp::V128Store16Lane { offset: 0, lane: 1 }, 14);
    assert_eq!(&m[13..], &[0, 0xc2, 0xc3]);
    let m = run_store(SimdOp::V128Store32Lane { offset: 0, lane: 3 }, 0);
    assert_eq!(&m[..5], &[0xcc, 0xcd, 0xce, 0xcf, 0]);
    let m = run_store(SimdOp::V128Store64Lane { offset: 8, lane: 1 }, 0);
    assert_eq!(
        &m[7..],
        &[0, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf]
    );
}

// ---------------------------------------------------------------------------
// Bitwise, tests, bitmask

#[test]
fn bitwise_ops() {
    let a = 0xf0f0_ff00_0000_0000_1234_5678_9abc_def0u128;
    let b = 0xff00_f0f0_ffff_0000_0000_ffff_0000_ffffu128;
    assert_eq!(un(SimdOp::V128Not, a), !a);
    assert_eq!(bin(SimdOp::V128And, a, b), a & b);
    assert_eq!(bin(SimdOp::V128AndNot, a, b), a & !b);
    assert_eq!(bin(SimdOp::V128Or, a, b), a | b);
    assert_eq!(bin(SimdOp::V128Xor, a, b), a ^ b);
    let mut stack = [0u64; 6];
    put_v128(&mut stack, 0, 0xaaaa);
    put_v128(&mut stack, 2, 0x5555);
    put_v128(&mut stack, 4, 0xff00);
    let sp = exec(SimdOp::V128Bitselect, &mut stack, 6, &mut []).expect("no memory");
    assert_eq!(sp, 2);
    assert_eq!(get_v128(&stack, 0), 0xaa55);
}

#[test]
fn any_all_true_and_bitmask() {
    assert_eq!(to_scalar(SimdOp::V128AnyTrue, 0), 0);
    assert_eq!(to_scalar(SimdOp::V128AnyTrue, 1 << 127), 1);
    let mut l = [1u8; 16];
    assert_eq!(to_scalar(SimdOp::I8x16AllTrue, v8(l)), 1);
    l[9] = 0;
    assert_eq!(to_scalar(SimdOp::I8x16AllTrue, v8(l)), 0);
    assert_eq!(to_scalar(SimdOp::I16x8AllTrue, vi16([0x100; 8])), 1);
    assert_eq!(to_scalar(SimdOp::I16x8AllTrue, v8([1; 16]) & !0xffff), 0);
    assert_eq!(to_scalar(SimdOp::I32x4AllTrue, vi32([1, 1, 1 << 31, 0])), 0);
    assert_eq!(to_scalar(SimdOp::I64x2AllTrue, vi64([1 << 40, 1])), 1);
    assert_eq!(to_scalar(SimdOp::I64x2AllTrue, vi64([0, 1])), 0);

    let mut l = [0u8; 16];
    l[0] = 0x80;
    l[15] = 0xff;
    l[7] = 0x7f;
    assert_eq!(to_scalar(SimdOp::I8x16Bitmask, v8(l)), 0x8001);
    assert_eq!(
        to_scalar(
            SimdOp::I16x8Bitmask,
            vi16([-1, 0, 0, -32768, 32767, 0, 0, -2])
        ),
        0b1000_1001
    );
    assert_eq!(
        to_scalar(SimdOp::I32x4Bitmask, vi32([0, -1, 0, i32::MIN])),
        0b1010
    );
    assert_eq!(to_scalar(SimdOp::I64x2Bitmask, vi64([-1, 1])), 0b01);
}

// ---------------------------------------------------------------------------
// Comparisons

#[test]
fn integer_comparisons_signed_and_unsigned() {
    let a = v8([0x80, 1, 0xff, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let b = v8([0x7f, 1, 0x01, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let lt_s = bin(SimdOp::I8x16LtS, a, b).to_le_bytes();
    let lt_u = bin(SimdOp::I8x16LtU, a, b).to_le_bytes();
    assert_eq!(&lt_s[..4], &[0xff, 0, 0xff, 0xff]);
    assert_eq!(&lt_u[..4], &[0, 0, 0, 0xff]);
    assert_eq!(
        to_u8(bin(SimdOp::I8x16Eq, a, b))[..5],
        [0, 0xff, 0, 0, 0xff]
    );
    assert_eq!(
        to_u8(bin(SimdOp::I8x16GeU, a, b))[..4],
        [0xff, 0xff, 0xff, 0]
    );
    assert_eq!(to_u8(bin(SimdOp::I8x16GtS, a, b))[..4], [0, 0, 0, 0]);
    assert_eq!(
        bin(
            SimdOp::I16x8LeS,
            vi16([-1, 2, 3, 0, 0, 0, 0, 0]),
            vi16([0, 2, 2, 0, 0, 0, 0, 0])
        ),
        vi16([-1, -1, 0, -1, -1, -1, -1, -1])
    );
    assert_eq!(
        bin(
            SimdOp::I16x8GtU,
            vi16([-1, 2, 3, 0, 0, 0, 0, 0]),
            vi16([0, 2, 2, 0, 0, 0, 0, 0])
        ),
        vi16([-1, 0, -1, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        bin(SimdOp::I32x4LtU, vi32([-1, 0, 1, 5]), vi32([1, 0, -1, 4])),
        vi32([0, 0, -1, 0])
    );
    assert_eq!(
        bin(SimdOp::I32x4GeS, vi32([-1, 0, 1, 5]), vi32([1, 0, -1, 4])),
        vi32([0, -1, -1, -1])
    );
    assert_eq!(
        bin(SimdOp::I64x2LtS, vi64([-1, 3]), vi64([0, 3])),
        vi64([-1, 0])
    );
    assert_eq!(
        bin(SimdOp::I64x2Ne, vi64([-1, 3]), vi64([0, 3])),
        vi64([-1, 0])
    );
    assert_eq!(
        bin(SimdOp::I64x2GeS, vi64([i64::MIN, 3]), vi64([0, 3])),
        vi64([0, -1])
    );
}

#[test]
fn float_comparisons_with_nan_and_zero() {
    let nan = f32::from_bits(NAN32);
    let a = vf32([nan, 0.0, 1.0, -1.0]);
    let b = vf32([nan, -0.0, 2.0, -1.0]);
    assert_eq!(bin(SimdOp::F32x4Eq, a, b), vi32([0, -1, 0, -1]));
    assert_eq!(bin(SimdOp::F32x4Ne, a, b), vi32([-1, 0, -1, 0]));
    assert_eq!(bin(SimdOp::F32x4Lt, a, b), vi32([0, 0, -1, 0]));
    assert_eq!(bin(SimdOp::F32x4Ge, a, b), vi32([0, -1, 0, -1]));
    let c = vf64([f64::NAN, 3.0]);
    let d = vf64([1.0, 2.0]);
    assert_eq!(bin(SimdOp::F64x2Gt, c, d), vi64([0, -1]));
    assert_eq!(bin(SimdOp::F64x2Le, c, d), vi64([0, 0]));
    assert_eq!(bin(SimdOp::F64x2Ne, c, d), vi64([-1, -1]));
}

/// Integer and float arithmetic.
mod arith;
