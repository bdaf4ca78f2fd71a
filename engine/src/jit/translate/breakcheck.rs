//! Breakpoint conditions and ignore counts compiled into native code, so a
//! function with a conditional breakpoint (or an ignore count) stays JIT
//! code: its checked version (`patch`: the function's entry leads there
//! while the check exists) evaluates the predicate (`interp::pred`, the
//! same one the interpreter runs) before the instruction at the
//! breakpoint's `code_offset`, counts the hit in the check's cell and
//! passes the ignored ones, and only when it should stop saves every
//! local to the frame's locals slot and calls `Libcall::BreakHit`, which
//! pauses in the debug hook with the JIT frame, as an interrupt does.
//!
//! A predicate that cannot be evaluated (a load out of bounds, a division
//! by zero, a local that does not exist) stops without counting the hit:
//! the debugger then decides it itself, as with the interpreter.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, MemFlagsData, Type, types};
use cranelift_module::Module as ClifModule;

use super::{FuncTranslator, flags, le};
use crate::interp::pred::{NumTy, Pred, PredBin, PredOp, PredUn};
use crate::jit::env::Libcall;

/// One compiled check: before the instruction at `code_offset`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BreakSite {
    pub code_offset: u32,
    /// `None`: every hit counts (an ignore count alone).
    pub pred: Option<Pred>,
    /// Address of the check's `patch::CheckCell` (hits, ignore, counted).
    pub cell: usize,
}

/// `patch::CheckCell` field offsets.
const CELL_HITS: i32 = 0;
const CELL_IGNORE: i32 = 8;
const CELL_COUNTED: i32 = 16;

/// Whether every op of `pred` has a native form here (the rest stop
/// uncounted at run time: a float truncated past `i64`).
pub(crate) fn lowerable(pred: &Pred) -> bool {
    pred.ops().len() <= 512
}

impl<M: ClifModule> FuncTranslator<'_, '_, M> {
    /// The check of `site`, before the current instruction.
    pub(super) fn break_check(&mut self, site: &BreakSite) {
        let stop = self.b.create_block();
        self.b.set_cold_block(stop);
        self.b.append_block_param(stop, types::I64);
        let cont = self.b.create_block();
        let cell = self.b.ins().iconst(types::I64, site.cell as i64);
        let uncounted = self.b.ins().iconst(types::I64, 0);
        if let Some(p) = &site.pred {
            let holds = self.lower_pred(p, stop, uncounted);
            let held = self.b.create_block();
            self.b.ins().brif(holds, held, &[], cont, &[]);
            self.b.seal_block(held);
            self.b.switch_to_block(held);
        }
        let hits = self.b.ins().load(types::I64, flags(), cell, CELL_HITS);
        let hits = self.b.ins().iadd_imm_s(hits, 1);
        self.b.ins().store(flags(), hits, cell, CELL_HITS);
        let ignore = self.b.ins().load(types::I64, flags(), cell, CELL_IGNORE);
        let pass = self.b.create_block();
        let counted = self.b.ins().iconst(types::I64, 1);
        self.b
            .ins()
            .brif(ignore, pass, &[], stop, &[BlockArg::Value(counted)]);
        self.b.seal_block(pass);
        self.b.switch_to_block(pass);
        let ignore = self.b.ins().iadd_imm_s(ignore, -1);
        self.b.ins().store(flags(), ignore, cell, CELL_IGNORE);
        self.b.ins().jump(cont, &[]);

        self.b.seal_block(stop);
        self.b.switch_to_block(stop);
        let counted = self.b.block_params(stop)[0];
        self.b.ins().store(flags(), counted, cell, CELL_COUNTED);
        self.stop_at_break(cell);
        self.b.ins().jump(cont, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
    }

    /// Save the locals live here (every local where that is not known)
    /// and their mask to the locals slot (which must exist): its address,
    /// for the runtime to read them from.
    ///
    /// Only the live ones: a value a cold stop path uses stays alive (in a
    /// register or a spill slot) through every path that reaches it, so
    /// saving every local kept all of an `-O0` function's dead temporaries
    /// alive through its loops (sieve's `main` ran 2x slower with a check
    /// on its outer loop). A dead local is never read again before it is
    /// written: the debugger shows it as not live, as at an interrupt.
    pub(super) fn save_locals_for_stop(&mut self) -> ir::Value {
        let l = self.env.layout;
        let ss = self.locals_slot.expect("made for functions with checks");
        let n = self.locals.len();
        let live: Vec<u64> = match self.break_live.get(&self.code_offset) {
            Some(set) => set.clone(),
            None => (0..n.div_ceil(64))
                .map(|w| match n - w * 64 {
                    k if k >= 64 => u64::MAX,
                    k => (1u64 << k) - 1,
                })
                .collect(),
        };
        self.save_locals(&live);
        for (w, bits) in live.iter().enumerate() {
            let m = self.b.ins().iconst(types::I64, *bits as i64);
            self.b
                .ins()
                .stack_store(types::I64, m, ss, n as i32 * l.slot_size + w as i32 * 8);
        }
        self.b.ins().stack_addr(types::I64, ss, 0)
    }

    /// Save every local and its mask to the locals slot and pause in the
    /// hook (`Libcall::BreakHit`); unwind when it says so.
    fn stop_at_break(&mut self, cell: ir::Value) {
        let area = self.save_locals_for_stop();
        // The interpreter can run the rest of the call from here
        // (`JitStop::takeover`): nothing on the operand stack (a statement
        // boundary), results that fit `RtState::results`.
        let takeover = self.stack.is_empty()
            && self.result_types.len() <= crate::jit::vm::RESULT_SLOTS
            && !self.env.module.uses_gc_refs;
        let site =
            self.func_index as u64 | (self.code_offset as u64) << 32 | (takeover as u64) << 62;
        let site = self.b.ins().iconst(types::I64, site as i64);
        let fp = self.b.ins().get_frame_pointer(types::I64);
        let unwind = self
            .libcall(Libcall::BreakHit, &[site, area, cell, fp])
            .expect("BreakHit answers");
        if takeover {
            let word = self.trap_word();
            self.answer_takeover(word);
        }
        // The hook may have written memory and globals; the locals are the
        // frame's own (the hook does not change them).
        self.reload_memory();
        self.trap_if(unwind, 0);
    }

    /// The predicate's value (nonzero: holds), as an `i64`. Where it cannot
    /// be evaluated, jump to `stop` with `uncounted`.
    fn lower_pred(&mut self, p: &Pred, stop: ir::Block, uncounted: ir::Value) -> ir::Value {
        let ops = p.ops();
        let err = [BlockArg::Value(uncounted)];
        // Forward jump targets: their block (params: the stack there).
        let mut targets: HashMap<usize, ir::Block> = HashMap::new();
        let mut st: Vec<ir::Value> = Vec::new();
        let mut live = true;
        for i in 0..=ops.len() {
            if let Some(&blk) = targets.get(&i) {
                if live {
                    let args: Vec<BlockArg> = st.iter().map(|v| BlockArg::Value(*v)).collect();
                    self.b.ins().jump(blk, &args);
                }
                self.b.seal_block(blk);
                self.b.switch_to_block(blk);
                st = self.b.block_params(blk).to_vec();
                live = true;
            }
            if i == ops.len() || !live {
                continue;
            }
            // The block for jump target `t`, with one i64 param per value
            // the jump leaves on the stack.
            let mut target = |t: &mut Self, at: u32, height: usize| -> ir::Block {
                *targets.entry(at as usize).or_insert_with(|| {
                    let blk = t.b.create_block();
                    for _ in 0..height {
                        t.b.append_block_param(blk, types::I64);
                    }
                    blk
                })
            };
            match ops[i] {
                PredOp::Const(v) => {
                    let c = self.b.ins().iconst(types::I64, v as i64);
                    st.push(c);
                }
                PredOp::Local(x) => {
                    let Some(&var) = self.locals.get(x as usize) else {
                        self.b.ins().jump(stop, &err);
                        live = false;
                        continue;
                    };
                    let v = self.b.use_var(var);
                    let Some(raw) = self.to_raw(v) else {
                        self.b.ins().jump(stop, &err);
                        live = false;
                        continue;
                    };
                    st.push(raw);
                }
                PredOp::Global(x) => {
                    if x as usize >= self.env.module.globals.len() {
                        self.b.ins().jump(stop, &err);
                        live = false;
                        continue;
                    }
                    let cell = self.global_cell(x);
                    let v = self
                        .b
                        .ins()
                        .load(types::I64, MemFlagsData::trusted(), cell, 0);
                    st.push(v);
                }
                PredOp::Load { width, signed } => {
                    let addr = st.pop().expect("validated");
                    if self.env.module.memories.is_empty() {
                        self.b.ins().jump(stop, &err);
                        live = false;
                        continue;
                    }
                    let len = self.memory_len();
                    let end = self.b.ins().iadd_imm_s(addr, width as i64);
                    let wrapped = self.b.ins().icmp(IntCC::UnsignedLessThan, end, addr);
                    let past = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
                    let oob = self.b.ins().bor(wrapped, past);
                    let ok = self.b.create_block();
                    self.b.ins().brif(oob, stop, &err, ok, &[]);
                    self.b.seal_block(ok);
                    self.b.switch_to_block(ok);
                    let base = self.b.use_var(self.mem_base);
                    let at = self.b.ins().iadd(base, addr);
                    let ty = match width {
                        1 => types::I8,
                        2 => types::I16,
                        4 => types::I32,
                        _ => types::I64,
                    };
                    let v = self.b.ins().load(ty, le(), at, 0);
                    let v = match (ty, signed) {
                        (types::I64, _) => v,
                        (_, true) => self.b.ins().sextend(types::I64, v),
                        (_, false) => self.b.ins().uextend(types::I64, v),
                    };
                    st.push(v);
                }
                PredOp::Wrap { bits, signed } => {
                    let v = st.pop().expect("validated");
                    let s = 64 - bits as i64;
                    let up = self.b.ins().ishl_imm_u(v, s);
                    let down = if signed {
                        self.b.ins().sshr_imm_u(up, s)
                    } else {
                        self.b.ins().ushr_imm_u(up, s)
                    };
                    st.push(down);
                }
                PredOp::Bin(op, t) => {
                    let y = st.pop().expect("validated");
                    let x = st.pop().expect("validated");
                    if let Some(bad) = self.bin_error(op, t, y) {
                        let ok = self.b.create_block();
                        self.b.ins().brif(bad, stop, &err, ok, &[]);
                        self.b.seal_block(ok);
                        self.b.switch_to_block(ok);
                    }
                    match self.lower_bin(op, t, x, y) {
                        Some(v) => st.push(v),
                        None => {
                            self.b.ins().jump(stop, &err);
                            live = false;
                        }
                    }
                }
                PredOp::Un(u) => {
                    let x = st.pop().expect("validated");
                    match self.lower_un(u, x) {
                        Some(v) => st.push(v),
                        None => {
                            self.b.ins().jump(stop, &err);
                            live = false;
                        }
                    }
                }
                PredOp::AndJump(t) | PredOp::OrJump(t) => {
                    let top = *st.last().expect("validated");
                    let blk = target(self, t, st.len());
                    let args: Vec<BlockArg> = st.iter().map(|v| BlockArg::Value(*v)).collect();
                    let next = self.b.create_block();
                    if matches!(ops[i], PredOp::AndJump(_)) {
                        self.b.ins().brif(top, next, &[], blk, &args);
                    } else {
                        self.b.ins().brif(top, blk, &args, next, &[]);
                    }
                    self.b.seal_block(next);
                    self.b.switch_to_block(next);
                    st.pop();
                }
                PredOp::JumpIfZero(t) => {
                    let v = st.pop().expect("validated");
                    let blk = target(self, t, st.len());
                    let args: Vec<BlockArg> = st.iter().map(|v| BlockArg::Value(*v)).collect();
                    let next = self.b.create_block();
                    self.b.ins().brif(v, next, &[], blk, &args);
                    self.b.seal_block(next);
                    self.b.switch_to_block(next);
                }
                PredOp::Jump(t) => {
                    let blk = target(self, t, st.len());
                    let args: Vec<BlockArg> = st.iter().map(|v| BlockArg::Value(*v)).collect();
                    self.b.ins().jump(blk, &args);
                    live = false;
                }
            }
        }
        st[0]
    }

    /// A local's value as the interpreter's slot holds it (integers and
    /// references zero-extended, floats as their bits); `None` for a v128.
    fn to_raw(&mut self, v: ir::Value) -> Option<ir::Value> {
        let t = self.b.func.dfg.value_type(v);
        Some(match t {
            types::I64 => v,
            types::I32 => self.b.ins().uextend(types::I64, v),
            types::F32 => {
                let i = self.b.ins().bitcast(types::I32, MemFlagsData::new(), v);
                self.b.ins().uextend(types::I64, i)
            }
            types::F64 => self.b.ins().bitcast(types::I64, MemFlagsData::new(), v),
            _ => return None,
        })
    }

    fn low32(&mut self, x: ir::Value) -> ir::Value {
        self.b.ins().ireduce(types::I32, x)
    }

    fn as_float(&mut self, x: ir::Value, t: NumTy) -> ir::Value {
        if t == NumTy::F32 {
            let i = self.low32(x);
            self.b.ins().bitcast(types::F32, MemFlagsData::new(), i)
        } else {
            self.b.ins().bitcast(types::F64, MemFlagsData::new(), x)
        }
    }

    fn float_bits(&mut self, f: ir::Value) -> ir::Value {
        if self.b.func.dfg.value_type(f) == types::F32 {
            let i = self.b.ins().bitcast(types::I32, MemFlagsData::new(), f);
            self.b.ins().uextend(types::I64, i)
        } else {
            self.b.ins().bitcast(types::I64, MemFlagsData::new(), f)
        }
    }

    fn flag(&mut self, c: ir::Value) -> ir::Value {
        self.b.ins().uextend(types::I64, c)
    }

    /// When `x op y` is an error in `pred::bin` (checked before
    /// [`Self::lower_bin`]): a division by zero, a shift count out of range.
    fn bin_error(&mut self, op: PredBin, t: NumTy, y: ir::Value) -> Option<ir::Value> {
        use PredBin::*;
        let wide = match t {
            NumTy::I32 => false,
            NumTy::I64 => true,
            _ => return None,
        };
        match op {
            DivS | RemS | DivU | RemU => {
                let c = if wide { y } else { self.low32(y) };
                Some(self.b.ins().icmp_imm_s(IntCC::Equal, c, 0))
            }
            // The count is the whole (extended) word.
            Shl | ShrS | ShrU => Some(self.b.ins().icmp_imm_s(
                IntCC::UnsignedGreaterThanOrEqual,
                y,
                if wide { 64 } else { 32 },
            )),
            _ => None,
        }
    }

    /// `x op y` as `pred::bin` computes it (errors excluded already).
    fn lower_bin(
        &mut self,
        op: PredBin,
        t: NumTy,
        x: ir::Value,
        y: ir::Value,
    ) -> Option<ir::Value> {
        use PredBin::*;
        if matches!(t, NumTy::F32 | NumTy::F64) {
            let (a, c) = (self.as_float(x, t), self.as_float(y, t));
            let cc = match op {
                Add => return Some(self.fbin(op, a, c)),
                Sub | Mul | DivS => return Some(self.fbin(op, a, c)),
                Eq => FloatCC::Equal,
                Ne => FloatCC::NotEqual,
                LtS => FloatCC::LessThan,
                LeS => FloatCC::LessThanOrEqual,
                GtS => FloatCC::GreaterThan,
                GeS => FloatCC::GreaterThanOrEqual,
                _ => return None,
            };
            let r = self.b.ins().fcmp(cc, a, c);
            return Some(self.flag(r));
        }
        let wide = t == NumTy::I64;
        let (a, c) = if wide {
            (x, y)
        } else {
            (self.low32(x), self.low32(y))
        };
        let ty: Type = if wide { types::I64 } else { types::I32 };
        let cc = match op {
            Eq => Some(IntCC::Equal),
            Ne => Some(IntCC::NotEqual),
            LtS => Some(IntCC::SignedLessThan),
            LtU => Some(IntCC::UnsignedLessThan),
            LeS => Some(IntCC::SignedLessThanOrEqual),
            LeU => Some(IntCC::UnsignedLessThanOrEqual),
            GtS => Some(IntCC::SignedGreaterThan),
            GtU => Some(IntCC::UnsignedGreaterThan),
            GeS => Some(IntCC::SignedGreaterThanOrEqual),
            GeU => Some(IntCC::UnsignedGreaterThanOrEqual),
            _ => None,
        };
        if let Some(cc) = cc {
            let r = self.b.ins().icmp(cc, a, c);
            return Some(self.flag(r));
        }
        let v = match op {
            Add => self.b.ins().iadd(a, c),
            Sub => self.b.ins().isub(a, c),
            Mul => self.b.ins().imul(a, c),
            And => self.b.ins().band(a, c),
            Or => self.b.ins().bor(a, c),
            Xor => self.b.ins().bxor(a, c),
            DivU => self.b.ins().udiv(a, c),
            RemU => self.b.ins().urem(a, c),
            DivS | RemS => {
                // MIN / -1 wraps (MIN, remainder 0): divide by 1 instead.
                let min = if wide { i64::MIN } else { i32::MIN as i64 };
                let is_min = self.b.ins().icmp_imm_s(IntCC::Equal, a, min);
                let is_m1 = self.b.ins().icmp_imm_s(IntCC::Equal, c, -1);
                let both = self.b.ins().band(is_min, is_m1);
                let one = self.b.ins().iconst(ty, 1);
                let d = self.b.ins().select(both, one, c);
                if op == DivS {
                    self.b.ins().sdiv(a, d)
                } else {
                    self.b.ins().srem(a, d)
                }
            }
            Shl => self.b.ins().ishl(a, c),
            ShrS => self.b.ins().sshr(a, c),
            ShrU => self.b.ins().ushr(a, c),
            _ => return None,
        };
        // Results of 32-bit operators are kept sign-extended.
        Some(if wide {
            v
        } else {
            self.b.ins().sextend(types::I64, v)
        })
    }

    fn fbin(&mut self, op: PredBin, a: ir::Value, c: ir::Value) -> ir::Value {
        let v = match op {
            PredBin::Add => self.b.ins().fadd(a, c),
            PredBin::Sub => self.b.ins().fsub(a, c),
            PredBin::Mul => self.b.ins().fmul(a, c),
            _ => self.b.ins().fdiv(a, c),
        };
        self.float_bits(v)
    }

    /// `pred::un`; `None` where it has no native form here.
    fn lower_un(&mut self, u: PredUn, x: ir::Value) -> Option<ir::Value> {
        Some(match u {
            PredUn::Eqz(t) | PredUn::Nez(t) => {
                let is_zero = match t {
                    NumTy::I32 => {
                        let a = self.low32(x);
                        self.b.ins().icmp_imm_s(IntCC::Equal, a, 0)
                    }
                    NumTy::I64 => self.b.ins().icmp_imm_s(IntCC::Equal, x, 0),
                    NumTy::F32 => {
                        let f = self.as_float(x, t);
                        let z = self.b.ins().f32const(0.0);
                        self.b.ins().fcmp(FloatCC::Equal, f, z)
                    }
                    NumTy::F64 => {
                        let f = self.as_float(x, t);
                        let z = self.b.ins().f64const(0.0);
                        self.b.ins().fcmp(FloatCC::Equal, f, z)
                    }
                };
                let r = if matches!(u, PredUn::Nez(_)) {
                    self.b.ins().bxor_imm_u(is_zero, 1)
                } else {
                    is_zero
                };
                self.flag(r)
            }
            PredUn::Neg(t) | PredUn::Not(t) => match t {
                NumTy::I32 => {
                    let a = self.low32(x);
                    let v = if matches!(u, PredUn::Neg(_)) {
                        self.b.ins().ineg(a)
                    } else {
                        self.b.ins().bnot(a)
                    };
                    self.b.ins().sextend(types::I64, v)
                }
                NumTy::I64 if matches!(u, PredUn::Neg(_)) => self.b.ins().ineg(x),
                NumTy::I64 => self.b.ins().bnot(x),
                _ if matches!(u, PredUn::Not(_)) => self.b.ins().bnot(x),
                _ => {
                    let f = self.as_float(x, t);
                    let n = self.b.ins().fneg(f);
                    self.float_bits(n)
                }
            },
            PredUn::FromInt { to, signed } => {
                let f = if signed {
                    self.b.ins().fcvt_from_sint(types::F64, x)
                } else {
                    self.b.ins().fcvt_from_uint(types::F64, x)
                };
                let f = if to == NumTy::F32 {
                    self.b.ins().fdemote(types::F32, f)
                } else {
                    f
                };
                self.float_bits(f)
            }
            // `f as i128 as u64`: the same as a saturating conversion to
            // `i64` only within `i64`'s range; left to the debugger.
            PredUn::Trunc { .. } => return None,
            PredUn::F32ToF64 => {
                let f = self.as_float(x, NumTy::F32);
                let d = self.b.ins().fpromote(types::F64, f);
                self.float_bits(d)
            }
            PredUn::F64ToF32 => {
                let f = self.as_float(x, NumTy::F64);
                let s = self.b.ins().fdemote(types::F32, f);
                self.float_bits(s)
            }
        })
    }
}
