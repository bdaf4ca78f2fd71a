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

use crate::ir::{BinKind, DivKind, LoadKind, Op, StoreKind, UnKind};

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
            if let Some(imm) = imm(op)
                && let Some(k) = at(1).and_then(BinKind::of)
            {
                return Some(match at(2) {
                    Some(Op::LocalSet(d)) => Op::BinIS { k, imm, d },
                    Some(Op::BrIfNez(t)) => Op::BinIBrNez { k, imm, t },
                    Some(Op::BrIfEqz(t)) => Op::BinIBrEqz { k, imm, t },
                    _ => Op::BinI { k, imm },
                });
            }
            return match (op, at(1)?) {
                (Op::I32Eqz, Op::BrIfNez(t)) => Some(Op::EqzBrNez { t }),
                (Op::I32Eqz, Op::BrIfEqz(t)) => Some(Op::EqzBrEqz { t }),
                (Op::Const32(v), Op::LocalSet(d)) => Some(Op::Const32S { v, d }),
                (Op::LocalTee(d), Op::BrIfNez(t)) => Some(Op::TeeBrNez { d, t }),
                (Op::LocalTee(d), Op::BrIfEqz(t)) => Some(Op::TeeBrEqz { d, t }),
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
                Some(Op::LocalTee(d)) => Op::BinLLT { k, a, b, d },
                Some(Op::BrIfNez(t)) => Op::BinLLBrNez { k, a, b, t },
                Some(Op::BrIfEqz(t)) => Op::BinLLBrEqz { k, a, b, t },
                _ => Op::BinLL { k, a, b },
            });
        }
        if let Some((k, off)) = at(2).and_then(StoreKind::of) {
            return Some(Op::StoreLL { k, a, b, off });
        }
        if let Some(k) = at(2).and_then(DivKind::of) {
            return Some(match at(3) {
                Some(Op::LocalSet(d)) => Op::DivLLS { k, a, b, d },
                _ => Op::DivLL { k, a, b },
            });
        }
        return Some(Op::GetLL { a, b });
    }
    // local.get a; const; bin [; local.set d | br_if]
    if let Some(imm) = imm(op1)
        && let Some(k) = at(2).and_then(BinKind::of)
    {
        if at(3) == Some(Op::LocalTee(a))
            && let Some(Op::BrIfNez(t)) = at(4)
        {
            return Some(Op::BinLIUpdBrNez { k, a, imm, t });
        }
        return Some(match at(3) {
            Some(Op::LocalSet(d)) => Op::BinLIS { k, a, imm, d },
            Some(Op::LocalTee(d)) => Op::BinLIT { k, a, imm, d },
            Some(Op::BrIfNez(t)) => Op::BinLIBrNez { k, a, imm, t },
            Some(Op::BrIfEqz(t)) => Op::BinLIBrEqz { k, a, imm, t },
            _ => Op::BinLI { k, a, imm },
        });
    }
    if let Some(imm) = imm(op1)
        && let Some((k, off)) = at(2).and_then(StoreKind::of)
    {
        return Some(Op::StoreLI { k, a, imm, off });
    }
    // local.get b; bin: the left operand is already on the stack.
    if let Some(k) = BinKind::of(op1) {
        let b = a;
        return Some(match at(2) {
            Some(Op::LocalSet(d)) => Op::BinLS { k, b, d },
            Some(Op::BrIfNez(t)) => Op::BinLBrNez { k, b, t },
            Some(Op::BrIfEqz(t)) => Op::BinLBrEqz { k, b, t },
            _ => Op::BinL { k, b },
        });
    }
    if let Some(k) = DivKind::of(op1) {
        return Some(Op::DivL { k, b: a });
    }
    if op1 == Op::I32Eqz {
        match at(2) {
            Some(Op::BrIfNez(t)) => return Some(Op::EqzLBrNez { a, t }),
            Some(Op::BrIfEqz(t)) => return Some(Op::EqzLBrEqz { a, t }),
            _ => {}
        }
    }
    if let Some(k) = UnKind::of(op1) {
        return Some(match at(2) {
            Some(Op::LocalSet(d)) => Op::UnLS { k, a, d },
            _ => Op::UnL { k, a },
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
    for (i, op) in ops.iter_mut().enumerate() {
        if let Some(f) = fuse_at(&unfused, i) {
            *op = f.specialize();
        }
    }
    unfused
}

/// How many original ops the op at `pc` stands for (1 for a plain op).
#[cfg(test)]
pub(crate) fn span(op: Op) -> usize {
    match op.generic() {
        Op::BinLLS { .. }
        | Op::BinLIS { .. }
        | Op::BinLLBrNez { .. }
        | Op::BinLLBrEqz { .. }
        | Op::BinLIBrNez { .. }
        | Op::BinLIBrEqz { .. }
        | Op::BinLLT { .. }
        | Op::BinLIT { .. }
        | Op::DivLLS { .. } => 4,
        Op::BinLIUpdBrNez { .. } => 5,
        Op::BinLL { .. }
        | Op::BinLI { .. }
        | Op::LoadLS { .. }
        | Op::StoreLL { .. }
        | Op::StoreLI { .. }
        | Op::BinLS { .. }
        | Op::BinLBrNez { .. }
        | Op::BinLBrEqz { .. }
        | Op::BinIS { .. }
        | Op::BinIBrNez { .. }
        | Op::BinIBrEqz { .. }
        | Op::UnLS { .. }
        | Op::DivLL { .. }
        | Op::EqzLBrNez { .. }
        | Op::EqzLBrEqz { .. } => 3,
        Op::BinS { .. }
        | Op::BinT { .. }
        | Op::BinBrNez { .. }
        | Op::BinBrEqz { .. }
        | Op::LoadL { .. }
        | Op::Const32S { .. }
        | Op::CopyL { .. }
        | Op::GetLL { .. }
        | Op::SetGetL { .. }
        | Op::BinL { .. }
        | Op::UnL { .. }
        | Op::DivL { .. }
        | Op::EqzBrNez { .. }
        | Op::EqzBrEqz { .. }
        | Op::BinI { .. }
        | Op::TeeBrNez { .. }
        | Op::TeeBrEqz { .. }
        | Op::BrNezL { .. }
        | Op::BrEqzL { .. } => 2,
        _ => 1,
    }
}
