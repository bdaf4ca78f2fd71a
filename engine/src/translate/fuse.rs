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

/// A local slot offset that fits the narrow (u16) fields of the loop ops.
fn narrow(a: u32) -> Option<u16> {
    u16::try_from(a).ok()
}

/// Loop step-and-test sequences (span 7), see `Op::I64AddLLTLtULBr` and
/// `Op::I32AddLITNeLBr`.
fn fuse_loop(ops: &[Op], i: usize) -> Option<Op> {
    let w = ops.get(i..i + 7)?;
    match *w {
        [
            Op::LocalGet(a),
            Op::LocalGet(b),
            Op::I64Add,
            Op::LocalTee(d),
            Op::LocalGet(c),
            Op::I64LtU,
            Op::BrIfNez(t),
        ] => Some(Op::I64AddLLTLtULBr {
            a: narrow(a)?,
            b: narrow(b)?,
            d: narrow(d)?,
            c: narrow(c)?,
            t,
        }),
        // `local.get c` before or after the step: `ne` is symmetric.
        [
            Op::LocalGet(a),
            k,
            add,
            Op::LocalTee(d),
            Op::LocalGet(c),
            ne,
            Op::BrIfNez(t),
        ]
        | [
            Op::LocalGet(c),
            Op::LocalGet(a),
            k,
            add,
            Op::LocalTee(d),
            ne,
            Op::BrIfNez(t),
        ] => {
            let imm = imm(k)?;
            let (a, d, c) = (narrow(a)?, narrow(d)?, narrow(c)?);
            match (add, ne) {
                (Op::I32Add, Op::I32Ne) => Some(Op::I32AddLITNeLBr { a, d, c, imm, t }),
                (Op::I64Add, Op::I64Ne) => Some(Op::I64AddLITNeLBr { a, d, c, imm, t }),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The fused op for the sequence starting at `ops[i]`, if any.
fn fuse_at(ops: &[Op], i: usize) -> Option<Op> {
    if let Some(op) = fuse_loop(ops, i) {
        return Some(op);
    }
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
                && at(1) == Some(Op::I32Mul)
                && at(2) == Some(Op::I32Add)
                && let Some(Op::LocalTee(d)) = at(3)
            {
                return Some(Op::I32MulIAddT { imm, d });
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
            if let Op::LocalTee(d) = op
                && let Some((k, off)) = at(1).and_then(StoreKind::of)
            {
                return Some(Op::TeeStore { k, d, off });
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
        if let Some((k, off)) = at(2).and_then(LoadKind::of) {
            return Some(Op::GetLLoad { k, a, b, off });
        }
        if let Some(k) = at(2).and_then(DivKind::of) {
            return Some(match at(3) {
                Some(Op::LocalSet(d)) => Op::DivLLS { k, a, b, d },
                _ => Op::DivLL { k, a, b },
            });
        }
        // A longer group starting at `local.get b` saves more dispatches:
        // leave `local.get a` plain and let the next pc fuse.
        if fuse_at(ops, i + 1).is_some_and(|op| span(op) >= 3) {
            return None;
        }
        return Some(Op::GetLL { a, b });
    }
    // local.get a; const; bin [; local.set d | br_if]
    if let Some(imm) = imm(op1)
        && let Some(k) = at(2).and_then(BinKind::of)
    {
        if k == BinKind::I32Mul
            && at(3) == Some(Op::I32Add)
            && let Some(Op::LocalTee(d)) = at(4)
        {
            return Some(Op::I32MulLIAddT { a, imm, d });
        }
        if k == BinKind::I32Add
            && let Some(Op::LocalTee(d)) = at(3)
            && at(4) == Some(Op::I32Load(0))
        {
            return Some(Op::I32AddLITLoad { a, imm, d });
        }
        if k == BinKind::I32Add
            && let Some((k, off)) = at(3).and_then(LoadKind::of)
        {
            return Some(Op::LoadLI { k, a, imm, off });
        }
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
    if op1 == Op::I32Add
        && let Some(Op::LocalTee(d)) = at(2)
        && let Some(Op::I32Store(off)) = at(3)
    {
        return Some(Op::I32AddLTeeStore { b: a, d, off });
    }
    if let Some(k) = BinKind::of(op1) {
        let b = a;
        return Some(match at(2) {
            Some(Op::LocalSet(d)) => Op::BinLS { k, b, d },
            Some(Op::BrIfNez(t)) => Op::BinLBrNez { k, b, t },
            Some(Op::BrIfEqz(t)) => Op::BinLBrEqz { k, b, t },
            _ => Op::BinL { k, b },
        });
    }
    if op1 == Op::I32DivS
        && let Some(Op::I32Store(off)) = at(2)
    {
        return Some(Op::I32DivSLStore { b: a, off });
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
            debug_assert!(span(f) <= MAX_SPAN, "{f:?} spans more than MAX_SPAN");
            *op = f.specialize();
        }
    }
    unfused
}

/// The most original ops one superinstruction stands for (see [`span`]).
pub const MAX_SPAN: usize = 7;

/// How many original ops the op at `pc` stands for (1 for a plain op).
pub fn span(op: Op) -> usize {
    match op.generic() {
        Op::I64AddLLTLtULBr { .. } | Op::I32AddLITNeLBr { .. } | Op::I64AddLITNeLBr { .. } => 7,
        Op::I32AddLITLoad { .. } | Op::I32MulLIAddT { .. } => 5,
        Op::LoadLI { .. } | Op::I32AddLTeeStore { .. } | Op::I32MulIAddT { .. } => 4,
        Op::I32DivSLStore { .. } => 3,
        Op::GetLLoad { .. } => 3,
        Op::TeeStore { .. } => 2,
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
