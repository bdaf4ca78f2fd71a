//! Superinstructions: a peephole pass over a translated function that puts
//! one fused op in place of the first op of each common sequence
//! (`local.get a; local.get b; i32.add; local.set d` -> `BinLLS`).
//!
//! The fused op at `pc` does the work of the ops at `pc..pc + span` and jumps
//! to `pc + span`; the original ops stay in place after it. So every pc keeps
//! its meaning (one wasm instruction, its `code_offset` in the side table),
//! a branch into the middle of a sequence runs the originals, and a fused op
//! that traps reports the pc of the original instruction that trapped.
//! Fusion is for the plain path only: the debug executor runs
//! `Code::unfused`, and patching a breakpoint unfuses the function
//! (`Code::unfuse`), so stepping and breakpoints see every instruction.

use crate::ir::{BinKind, LoadKind, Op, StoreKind};

/// A 32-bit immediate that sign-extends back to the constant `op` pushes.
fn imm(op: Op) -> Option<u32> {
    match op {
        Op::Const32(v) => Some(v),
        Op::Const64(v) if v == v as i32 as i64 as u64 => Some(v as u32),
        _ => None,
    }
}

/// The fused op for the sequence starting at `ops[i]`, if any.
fn fuse_at(ops: &[Op], i: usize) -> Option<Op> {
    let at = |j: usize| ops.get(i + j).copied();
    let a = match at(0)? {
        Op::LocalGet(a) => a,
        op => {
            if let Some(k) = BinKind::of(op) {
                return Some(match at(1)? {
                    Op::LocalSet(d) => Op::BinS { k, d },
                    Op::LocalTee(d) => Op::BinT { k, d },
                    Op::BrIfNez(t) => Op::BinBrNez { k, t },
                    Op::BrIfEqz(t) => Op::BinBrEqz { k, t },
                    _ => return None,
                });
            }
            return match (op, at(1)?) {
                (Op::Const32(v), Op::LocalSet(d)) => Some(Op::Const32S { v, d }),
                (Op::LocalSet(a), Op::LocalGet(b)) => Some(Op::SetGetL { a, b }),
                _ => None,
            };
        }
    };
    let op1 = at(1)?;
    // local.get a; local.get b; bin [; local.set d | br_if]
    if let Op::LocalGet(b) = op1 {
        if let Some(k) = at(2).and_then(BinKind::of) {
            return Some(match at(3) {
                Some(Op::LocalSet(d)) => Op::BinLLS { k, a, b, d },
                Some(Op::BrIfNez(t)) => Op::BinLLBrNez { k, a, b, t },
                Some(Op::BrIfEqz(t)) => Op::BinLLBrEqz { k, a, b, t },
                _ => Op::BinLL { k, a, b },
            });
        }
        if let Some((k, off)) = at(2).and_then(StoreKind::of) {
            return Some(Op::StoreLL { k, a, b, off });
        }
        return Some(Op::GetLL { a, b });
    }
    // local.get a; const; bin [; local.set d | br_if]
    if let Some(imm) = imm(op1)
        && let Some(k) = at(2).and_then(BinKind::of)
    {
        return Some(match at(3) {
            Some(Op::LocalSet(d)) => Op::BinLIS { k, a, imm, d },
            Some(Op::BrIfNez(t)) => Op::BinLIBrNez { k, a, imm, t },
            Some(Op::BrIfEqz(t)) => Op::BinLIBrEqz { k, a, imm, t },
            _ => Op::BinLI { k, a, imm },
        });
    }
    if let Some((k, off)) = LoadKind::of(op1) {
        return Some(match at(2) {
            Some(Op::LocalSet(d)) => Op::LoadLS { k, a, off, d },
            _ => Op::LoadL { k, a, off },
        });
    }
    match op1 {
        Op::LocalSet(d) => Some(Op::CopyL { a, d }),
        Op::BrIfNez(t) => Some(Op::BrNezL { a, t }),
        Op::BrIfEqz(t) => Some(Op::BrEqzL { a, t }),
        _ => None,
    }
}

/// Fuse `ops` in place; returns the unfused ops (parallel to `ops`).
pub(crate) fn fuse(ops: &mut [Op]) -> Vec<Op> {
    let unfused = ops.to_vec();
    for i in 0..ops.len() {
        if let Some(f) = fuse_at(&unfused, i) {
            ops[i] = f;
        }
    }
    unfused
}

/// How many original ops the op at `pc` stands for (1 for a plain op).
#[cfg(test)]
pub(crate) fn span(op: Op) -> usize {
    match op {
        Op::BinLLS { .. }
        | Op::BinLIS { .. }
        | Op::BinLLBrNez { .. }
        | Op::BinLLBrEqz { .. }
        | Op::BinLIBrNez { .. }
        | Op::BinLIBrEqz { .. } => 4,
        Op::BinLL { .. } | Op::BinLI { .. } | Op::LoadLS { .. } | Op::StoreLL { .. } => 3,
        Op::BinS { .. }
        | Op::BinT { .. }
        | Op::BinBrNez { .. }
        | Op::BinBrEqz { .. }
        | Op::LoadL { .. }
        | Op::Const32S { .. }
        | Op::CopyL { .. }
        | Op::GetLL { .. }
        | Op::SetGetL { .. }
        | Op::BrNezL { .. }
        | Op::BrEqzL { .. } => 2,
        _ => 1,
    }
}
