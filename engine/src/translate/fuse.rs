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

use crate::ir::{Bin, BrShape, Div, Load, Op, Store, Un};

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
        op => return fuse_stack(op, at(1)?, &at),
    };
    let op1 = at(1)?;
    // local.get a; local.get b; op [; local.set d | local.tee d | br_if | if]
    if let Op::LocalGet(b) = op1 {
        if let Some(k) = at(2).and_then(Bin::of) {
            return Some(match at(3) {
                Some(Op::LocalSet(d)) => k.lls(a, b, d),
                Some(Op::LocalTee(d)) => k.llt(a, b, d),
                Some(Op::BrIfNez(t)) if k.is_cmp() => k.br(BrShape::LL { a, b }, true, t)?,
                Some(Op::BrIfEqz(t)) if k.is_cmp() => k.br(BrShape::LL { a, b }, false, t)?,
                _ => k.ll(a, b),
            });
        }
        if let Some((k, off)) = at(2).and_then(Store::of) {
            return Some(k.ll(a, b, off));
        }
        if let Some((k, off)) = at(2).and_then(Load::of) {
            return Some(k.get_l(a, b, off));
        }
        if let Some(k) = at(2).and_then(Div::of) {
            return Some(match at(3) {
                Some(Op::LocalSet(d)) => k.lls(a, b, d),
                _ => k.ll(a, b),
            });
        }
        // A longer group starting at `local.get b` saves more dispatches:
        // leave `local.get a` plain and let the next pc fuse.
        if fuse_at(ops, i + 1).is_some_and(|op| op.span() >= 3) {
            return None;
        }
        return Some(Op::GetLL { a, b });
    }
    // local.get a; const; op [; local.set d | local.tee d | br_if | if]
    if let Some(imm) = imm(op1)
        && let Some(k) = at(2).and_then(Bin::of)
    {
        if k == Bin::I32Mul
            && at(3) == Some(Op::I32Add)
            && let Some(Op::LocalTee(d)) = at(4)
        {
            return Some(Op::I32MulLIAddT { a, imm, d });
        }
        if k == Bin::I32Add
            && let Some(Op::LocalTee(d)) = at(3)
            && at(4) == Some(Op::I32Load(0))
        {
            return Some(Op::I32AddLITLoad { a, imm, d });
        }
        if k == Bin::I32Add
            && let Some((k, off)) = at(3).and_then(Load::of)
        {
            return Some(k.li(a, imm, off));
        }
        if k == Bin::I32Add
            && at(3) == Some(Op::LocalTee(a))
            && let Some(Op::BrIfNez(t)) = at(4)
        {
            return Some(Op::I32AddLIUpdBrNez { a, imm, t });
        }
        return Some(match at(3) {
            Some(Op::LocalSet(d)) => k.lis(a, imm, d),
            Some(Op::LocalTee(d)) => k.lit(a, imm, d),
            Some(Op::BrIfNez(t)) if k.is_cmp() => k.br(BrShape::LI { a, imm }, true, t)?,
            Some(Op::BrIfEqz(t)) if k.is_cmp() => k.br(BrShape::LI { a, imm }, false, t)?,
            _ => k.li(a, imm),
        });
    }
    if let Some(imm) = imm(op1)
        && let Some((k, off)) = at(2).and_then(Store::of)
    {
        return Some(k.li(a, imm, off));
    }
    // local.get b; op: the left operand is already on the stack.
    if op1 == Op::I32Add
        && let Some(Op::LocalTee(d)) = at(2)
        && let Some(Op::I32Store(off)) = at(3)
    {
        return Some(Op::I32AddLTeeStore { b: a, d, off });
    }
    if let Some(k) = Bin::of(op1) {
        let b = a;
        return Some(match at(2) {
            Some(Op::LocalSet(d)) => k.ls(b, d),
            Some(Op::BrIfNez(t)) if k.is_cmp() => k.br(BrShape::L { b }, true, t)?,
            Some(Op::BrIfEqz(t)) if k.is_cmp() => k.br(BrShape::L { b }, false, t)?,
            _ => k.l(b),
        });
    }
    if op1 == Op::I32DivS
        && let Some(Op::I32Store(off)) = at(2)
    {
        return Some(Op::I32DivSLStore { b: a, off });
    }
    if let Some(k) = Div::of(op1) {
        return Some(k.l(a));
    }
    if op1 == Op::I32Eqz {
        match at(2) {
            Some(Op::BrIfNez(t)) => return Some(Op::EqzLBrNez { a, t }),
            Some(Op::BrIfEqz(t)) => return Some(Op::EqzLBrEqz { a, t }),
            _ => {}
        }
    }
    if let Some(k) = Un::of(op1) {
        return Some(match at(2) {
            Some(Op::LocalSet(d)) => k.ls(a, d),
            _ => k.l(a),
        });
    }
    if let Some((k, off)) = Load::of(op1) {
        return Some(match at(2) {
            Some(Op::LocalSet(d)) => k.ls(a, off, d),
            _ => k.l(a, off),
        });
    }
    match op1 {
        Op::LocalSet(d) => Some(Op::CopyL { a, d }),
        Op::BrIfNez(t) => Some(Op::BrNezL { a, t }),
        Op::BrIfEqz(t) => Some(Op::BrEqzL { a, t }),
        _ => None,
    }
}

/// The fused op for a sequence whose first op `op` (followed by `op1`)
/// is not a `local.get`: its operands are on the stack or immediates.
fn fuse_stack(op: Op, op1: Op, at: &dyn Fn(usize) -> Option<Op>) -> Option<Op> {
    if let Some(k) = Bin::of(op) {
        return Some(match op1 {
            Op::LocalSet(d) => k.s(d),
            Op::LocalTee(d) => k.t(d),
            Op::BrIfNez(t) => k.br(BrShape::Stack, true, t)?,
            Op::BrIfEqz(t) => k.br(BrShape::Stack, false, t)?,
            _ => return None,
        });
    }
    if let Some(imm) = imm(op) {
        if op1 == Op::I32Mul
            && at(2) == Some(Op::I32Add)
            && let Some(Op::LocalTee(d)) = at(3)
        {
            return Some(Op::I32MulIAddT { imm, d });
        }
        if let Some(k) = Bin::of(op1) {
            return Some(match at(2) {
                Some(Op::LocalSet(d)) => k.is(imm, d),
                Some(Op::BrIfNez(t)) if k.is_cmp() => k.br(BrShape::I { imm }, true, t)?,
                Some(Op::BrIfEqz(t)) if k.is_cmp() => k.br(BrShape::I { imm }, false, t)?,
                _ => k.i(imm),
            });
        }
    }
    if let Op::LocalTee(d) = op
        && let Some((k, off)) = Store::of(op1)
    {
        return Some(k.tee(d, off));
    }
    match (op, op1) {
        (Op::I32Eqz, Op::BrIfNez(t)) => Some(Op::EqzBrNez { t }),
        (Op::I32Eqz, Op::BrIfEqz(t)) => Some(Op::EqzBrEqz { t }),
        (Op::Const32(v), Op::LocalSet(d)) => Some(Op::Const32S { v, d }),
        (Op::LocalTee(d), Op::BrIfNez(t)) => Some(Op::TeeBrNez { d, t }),
        (Op::LocalTee(d), Op::BrIfEqz(t)) => Some(Op::TeeBrEqz { d, t }),
        (Op::LocalSet(a), Op::LocalGet(b)) => Some(Op::SetGetL { a, b }),
        _ => None,
    }
}

/// Fuse `ops` in place; returns the unfused ops (parallel to `ops`).
pub(crate) fn fuse(ops: &mut [Op]) -> Vec<Op> {
    let unfused = ops.to_vec();
    for (i, op) in ops.iter_mut().enumerate() {
        if let Some(f) = fuse_at(&unfused, i) {
            debug_assert!(
                f.span() <= crate::ir::MAX_SPAN,
                "{f:?} spans more than MAX_SPAN"
            );
            *op = f;
        }
    }
    unfused
}
