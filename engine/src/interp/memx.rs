//! The general path for memory instructions (`Op::MemX`): any memory index,
//! 32- or 64-bit, and static offsets of 64 bits. Out of line and slower than
//! the fast ops, which serve the common case (a 32-bit memory 0) alone, so
//! a Wasm 2.0 module pays nothing for multiple memories or memory64.
//!
//! Addresses of a 32-bit memory are the operand's low 32 bits, those of a
//! 64-bit memory the whole slot; the effective address `addr + offset` is
//! computed in `u64` and checked against the memory's size without wrapping.

use super::simd;
use crate::ir::{MemOpX, Op};
use crate::runtime::Store;
use crate::runtime::store::{PAGE_SIZE, grow_memory};
use crate::trap::TrapCode;

/// An index operand of a memory of that width.
fn index(v: u64, is64: bool) -> u64 {
    if is64 { v } else { v as u32 as u64 }
}

/// The byte range `addr + offset .. + len` of a memory of `mem_len` bytes.
fn range(addr: u64, offset: u64, len: u64, mem_len: usize) -> Result<usize, TrapCode> {
    let a = addr
        .checked_add(offset)
        .ok_or(TrapCode::MemoryOutOfBounds)?;
    match a.checked_add(len) {
        Some(end) if end <= mem_len as u64 => Ok(a as usize),
        _ => Err(TrapCode::MemoryOutOfBounds),
    }
}

/// Run `x` on the operands at the top of `stack[..sp]`; the new sp.
pub(super) fn run(
    store: &mut Store,
    stack: &mut [u64],
    sp: usize,
    x: &MemOpX,
) -> Result<usize, TrapCode> {
    let is64 = store.memories[x.mem as usize].ty.memory64;
    let max_pages = store.memories[x.mem as usize].max_pages(&store.config);
    let data = &mut store.memories[x.mem as usize].data;
    let len = data.len();
    macro_rules! load {
        ($n:literal, $conv:expr) => {{
            let a = range(index(stack[sp - 1], is64), x.offset, $n, len)?;
            let mut b = [0u8; $n];
            b.copy_from_slice(&data[a..a + $n]);
            stack[sp - 1] = $conv(b);
            Ok(sp)
        }};
    }
    macro_rules! store_ {
        ($n:literal, $conv:expr) => {{
            let v = stack[sp - 1];
            let a = range(index(stack[sp - 2], is64), x.offset, $n, len)?;
            let b: [u8; $n] = $conv(v);
            data[a..a + $n].copy_from_slice(&b);
            Ok(sp - 2)
        }};
    }
    match x.op {
        Op::I32Load(_) => load!(4, |b| u32::from_le_bytes(b) as u64),
        Op::I64Load(_) => load!(8, u64::from_le_bytes),
        Op::I32Load8S(_) => load!(1, |b: [u8; 1]| b[0] as i8 as i32 as u32 as u64),
        Op::I32Load8U(_) | Op::I64Load8U(_) => load!(1, |b: [u8; 1]| b[0] as u64),
        Op::I32Load16S(_) => load!(2, |b| i16::from_le_bytes(b) as i32 as u32 as u64),
        Op::I32Load16U(_) | Op::I64Load16U(_) => load!(2, |b| u16::from_le_bytes(b) as u64),
        Op::I64Load8S(_) => load!(1, |b: [u8; 1]| b[0] as i8 as i64 as u64),
        Op::I64Load16S(_) => load!(2, |b| i16::from_le_bytes(b) as i64 as u64),
        Op::I64Load32S(_) => load!(4, |b| i32::from_le_bytes(b) as i64 as u64),
        Op::I64Load32U(_) => load!(4, |b| u32::from_le_bytes(b) as u64),
        Op::I32Store(_) | Op::I64Store32(_) => store_!(4, |v: u64| (v as u32).to_le_bytes()),
        Op::I64Store(_) => store_!(8, |v: u64| v.to_le_bytes()),
        Op::I32Store8(_) | Op::I64Store8(_) => store_!(1, |v: u64| [v as u8]),
        Op::I32Store16(_) | Op::I64Store16(_) => store_!(2, |v: u64| (v as u16).to_le_bytes()),
        Op::MemorySize => {
            stack[sp] = len as u64 / PAGE_SIZE;
            Ok(sp + 1)
        }
        Op::MemoryGrow => {
            let delta = index(stack[sp - 1], is64);
            stack[sp - 1] = match grow_memory(data, max_pages, delta) {
                Some(old) => old,
                None if is64 => u64::MAX,
                None => u32::MAX as u64,
            };
            Ok(sp)
        }
        Op::MemoryFill => {
            let n = index(stack[sp - 1], is64);
            let v = stack[sp - 2] as u8;
            let d = range(index(stack[sp - 3], is64), 0, n, len)?;
            data[d..d + n as usize].fill(v);
            Ok(sp - 3)
        }
        Op::MemoryInit(seg) => {
            let n = stack[sp - 1] as u32 as u64;
            let s = stack[sp - 2] as u32 as u64;
            let d = range(index(stack[sp - 3], is64), 0, n, len)?;
            let bytes = &store.datas[seg as usize];
            let s = range(s, 0, n, bytes.len())?;
            let data = &mut store.memories[x.mem as usize].data;
            data[d..d + n as usize].copy_from_slice(&bytes[s..s + n as usize]);
            Ok(sp - 3)
        }
        Op::MemoryCopy => {
            let src64 = store.memories[x.src as usize].ty.memory64;
            // The length is an i64 only when both memories are 64-bit.
            let n = index(stack[sp - 1], is64 && src64);
            let s = index(stack[sp - 2], src64);
            let d = index(stack[sp - 3], is64);
            let src_len = store.memories[x.src as usize].data.len();
            let s = range(s, 0, n, src_len)?;
            let d = range(d, 0, n, len)?;
            let n = n as usize;
            if x.src == x.mem {
                store.memories[x.mem as usize].data.copy_within(s..s + n, d);
            } else {
                let bytes = store.memories[x.src as usize].data[s..s + n].to_vec();
                store.memories[x.mem as usize].data[d..d + n].copy_from_slice(&bytes);
            }
            Ok(sp - 3)
        }
        Op::Simd(op) => {
            // The address is the deepest operand; put the effective address
            // there (it fits 32 bits, or the access is out of bounds) and
            // let the SIMD code, built with offset 0, do the access.
            let at = sp - op.stack_slots().0;
            let a = index(stack[at], is64)
                .checked_add(x.offset)
                .filter(|&a| a <= u32::MAX as u64)
                .ok_or(TrapCode::MemoryOutOfBounds)?;
            let saved = stack[at];
            stack[at] = a;
            let r = simd::exec(op, stack, sp, data);
            if r.is_err() {
                stack[at] = saved;
            }
            r
        }
        other => unreachable!("not a memory instruction: {other:?}"),
    }
}
