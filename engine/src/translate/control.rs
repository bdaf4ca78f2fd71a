//! Structured control in the translator: blocks, loops, `if`/`else`, `end`,
//! exception handlers (`try_table`, legacy `try`/`catch`/`delegate`), and
//! the instructions that transfer control (branches, returns, calls, throws).
//! A branch resolves to its target pc and the slots it drops and keeps;
//! forward targets are patched when their block ends.

use wasmparser::{BlockType, Operator};

use super::{Ctrl, Kind, Translator, invalid};
use crate::error::Result;
use crate::ir::{Catch, Handler, HandlerKind, Op};

impl Translator<'_> {
    /// Translate a structured-control instruction (`block`, `loop`, `if`,
    /// `else`, `end`, `try_table`, `try`, `catch`, `delegate`); these run
    /// in unreachable code too. False for any other instruction.
    pub(super) fn structured(&mut self, op: &Operator<'_>, unreachable: bool) -> bool {
        use Operator as O;
        match *op {
            O::Block { blockty } => {
                self.push_ctrl(Kind::Block, blockty);
                return true;
            }
            O::Loop { blockty } => {
                self.push_ctrl(Kind::Loop, blockty);
                return true;
            }
            O::If { blockty } => {
                if !unreachable {
                    self.mirror.pop();
                }
                let at = (!unreachable).then(|| self.emit(Op::BrIfEqz(u32::MAX)));
                self.push_ctrl(Kind::If, blockty);
                self.ctrl.last_mut().expect("just pushed").else_fixup = at;
                return true;
            }
            O::Else => {
                let c = self.ctrl.last().expect("validated: else inside if");
                if !c.unreachable {
                    let at = self.emit(Op::Br(u32::MAX));
                    self.ctrl.last_mut().expect("checked").fixups.push(at);
                }
                let pc = self.pc();
                let c = self.ctrl.last_mut().expect("checked");
                c.kind = Kind::Else;
                let parent_unreachable =
                    self.ctrl.len() >= 2 && self.ctrl[self.ctrl.len() - 2].unreachable;
                let c = self.ctrl.last_mut().expect("checked");
                c.unreachable = parent_unreachable;
                if let Some(at) = c.else_fixup.take() {
                    self.patch(at, pc);
                }
                let keep = self.ctrl.last().expect("checked").mirror_len;
                self.sync_from(keep);
                return true;
            }
            O::End | O::Delegate { .. } => {
                let c = self.ctrl.pop().expect("validated: balanced end");
                if c.kind == Kind::Func {
                    let at = self.emit(Op::Return {
                        keep: c.result_slots,
                    });
                    let pc = at as u32;
                    for f in c.fixups {
                        self.patch(f, pc);
                    }
                    self.patch_catches(&c.catch_fixups, pc);
                    return true;
                }
                let pc = self.pc();
                for &f in &c.fixups {
                    self.patch(f, pc);
                }
                self.patch_catches(&c.catch_fixups, pc);
                if let Some(at) = c.else_fixup {
                    self.patch(at, pc);
                }
                if let Some(h) = c.handler {
                    if matches!(c.kind, Kind::TryTable | Kind::LegacyTry) {
                        self.handlers[h].end = pc;
                    }
                    if let O::Delegate { relative_depth } = *op {
                        let target = (self.ctrl.len() - 1 - relative_depth as usize) as u32;
                        self.handlers[h].kind = HandlerKind::Delegate(target);
                    }
                    if !c.rethrown
                        && let HandlerKind::Catches(cs) = &mut self.handlers[h].kind
                    {
                        for clause in cs {
                            clause.exn_slot = None;
                        }
                    }
                }
                if matches!(c.kind, Kind::LegacyTry | Kind::LegacyCatch) {
                    self.legacy_level -= 1;
                }
                self.sync_from(c.mirror_len);
                return true;
            }
            O::TryTable { ref try_table } => {
                let h = self.handlers.len();
                let mut catches = Vec::new();
                for (i, catch) in try_table.catches.iter().enumerate() {
                    use wasmparser::Catch as C;
                    let (tag, label, push_payload, push_ref) = match *catch {
                        C::One { tag, label } => (Some(tag), label, true, false),
                        C::OneRef { tag, label } => (Some(tag), label, true, true),
                        C::All { label } => (None, label, false, false),
                        C::AllRef { label } => (None, label, false, true),
                    };
                    let (height, target) = self.catch_to(h, i, label);
                    catches.push(Catch {
                        tag: tag.map(|t| self.inst.tags[t as usize]),
                        push_payload,
                        push_ref,
                        exn_slot: None,
                        height,
                        target,
                    });
                }
                self.push_ctrl(Kind::TryTable, try_table.ty);
                self.open_handler(HandlerKind::Catches(catches));
                return true;
            }
            O::Try { blockty } => {
                self.push_ctrl(Kind::LegacyTry, blockty);
                self.open_handler(HandlerKind::Catches(Vec::new()));
                let c = self.ctrl.last_mut().expect("just pushed");
                c.legacy_level = self.legacy_level;
                self.legacy_level += 1;
                self.legacy_max = self.legacy_max.max(self.legacy_level);
                return true;
            }
            O::Catch { .. } | O::CatchAll => {
                let c = self.ctrl.last().expect("validated: catch inside try");
                if !c.unreachable {
                    let at = self.emit(Op::Br(u32::MAX));
                    self.ctrl.last_mut().expect("checked").fixups.push(at);
                }
                let pc = self.pc();
                let parent_unreachable =
                    self.ctrl.len() >= 2 && self.ctrl[self.ctrl.len() - 2].unreachable;
                let c = self.ctrl.last_mut().expect("checked");
                let h = c.handler.expect("a try has a handler");
                let first = c.kind == Kind::LegacyTry;
                c.kind = Kind::LegacyCatch;
                c.unreachable = parent_unreachable;
                let (height, level, keep) = (c.height, c.legacy_level, c.mirror_len);
                if first {
                    self.handlers[h].end = pc;
                }
                let tag = match *op {
                    O::Catch { tag_index } => Some(self.inst.tags[tag_index as usize]),
                    _ => None,
                };
                let clause = Catch {
                    tag,
                    push_payload: tag.is_some(),
                    push_ref: false,
                    exn_slot: Some(self.exn_base + level),
                    height,
                    target: pc,
                };
                if let HandlerKind::Catches(cs) = &mut self.handlers[h].kind {
                    cs.push(clause);
                }
                self.sync_from(keep);
                return true;
            }
            _ => false,
        }
    }

    /// Translate a control transfer (branches, `return`, calls, throws,
    /// `br_on_null`). False for any other instruction. `h0`: the stack
    /// height before it.
    pub(super) fn flow(&mut self, op: &Operator<'_>, h0: u32) -> Result<bool> {
        use Operator as O;
        let m = self.inst;
        match *op {
            O::Unreachable => {
                self.emit(Op::Unreachable);
                self.set_unreachable();
                return Ok(true);
            }
            O::Nop => return Ok(true),
            O::Br { relative_depth } => {
                self.branch(relative_depth, false);
                self.set_unreachable();
                return Ok(true);
            }
            O::BrIf { relative_depth } => {
                self.mirror.pop();
                self.branch(relative_depth, true);
                return Ok(true);
            }
            O::BrTable { ref targets } => {
                self.mirror.pop();
                let len = targets.len();
                self.emit(Op::BrTable { len });
                for t in targets.targets() {
                    self.branch(t.map_err(invalid)?, false);
                }
                self.branch(targets.default(), false);
                self.set_unreachable();
                return Ok(true);
            }
            O::Return => {
                let keep = self.ctrl[0].result_slots;
                self.emit(Op::Return { keep });
                self.set_unreachable();
                return Ok(true);
            }
            O::Throw { tag_index } => {
                self.emit(Op::Throw(m.tags[tag_index as usize]));
                self.set_unreachable();
                return Ok(true);
            }
            O::ThrowRef => {
                self.emit(Op::ThrowRef);
                self.set_unreachable();
                return Ok(true);
            }
            O::Rethrow { relative_depth } => {
                let idx = self.ctrl.len() - 1 - relative_depth as usize;
                self.ctrl[idx].rethrown = true;
                let slot = self.exn_base + self.ctrl[idx].legacy_level;
                self.emit(Op::Rethrow(slot));
                self.set_unreachable();
                return Ok(true);
            }
            O::ReturnCall { function_index } => {
                self.emit(Op::ReturnCall(m.funcs[function_index as usize]));
                self.set_unreachable();
                return Ok(true);
            }
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } => {
                self.emit(Op::ReturnCallIndirect {
                    table: m.tables[table_index as usize],
                    type_id: m.type_ids[type_index as usize],
                });
                self.set_unreachable();
                return Ok(true);
            }
            O::ReturnCallRef { .. } => {
                self.emit(Op::ReturnCallRef);
                self.set_unreachable();
                return Ok(true);
            }
            O::CallRef { type_index } => {
                let n = self.module.types[type_index as usize].params().len();
                self.emit(Op::CallRef);
                self.sync(n + 1);
                return Ok(true);
            }
            O::BrOnNull { relative_depth } => {
                self.branch_on(relative_depth, true, h0 - 1);
                self.sync(1);
                return Ok(true);
            }
            O::BrOnNonNull { relative_depth } => {
                self.branch_on(relative_depth, false, h0 - 1);
                self.sync(1);
                return Ok(true);
            }
            O::Call { function_index } => {
                let n = self.module.func_type(function_index).params().len();
                self.emit(Op::Call(m.funcs[function_index as usize]));
                self.sync(n);
                return Ok(true);
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let n = self.module.types[type_index as usize].params().len();
                let table = m.tables[table_index as usize];
                let type_id = m.type_ids[type_index as usize];
                self.emit(if self.module.tables[table_index as usize].table64 {
                    Op::CallIndirect64 { table, type_id }
                } else {
                    Op::CallIndirect { table, type_id }
                });
                self.sync(n + 1);
                return Ok(true);
            }
            _ => Ok(false),
        }
    }

    pub(super) fn push_ctrl(&mut self, kind: Kind, bt: BlockType) {
        let (param_slots, result_slots, nparams) = self.block_type_slots(bt);
        let unreachable = self.ctrl.last().is_some_and(|c| c.unreachable);
        let mirror_len = self.mirror.len().saturating_sub(nparams);
        let height = self.height_at(mirror_len);
        self.ctrl.push(Ctrl {
            kind,
            height,
            param_slots,
            result_slots,
            mirror_len,
            loop_pc: self.pc(),
            fixups: Vec::new(),
            else_fixup: None,
            unreachable,
            catch_fixups: Vec::new(),
            handler: None,
            legacy_level: 0,
            rethrown: false,
        });
    }

    /// A catch clause to label `depth` (counted from outside the `try`):
    /// where it continues and at what stack height.
    pub(super) fn catch_to(&mut self, handler: usize, clause: usize, depth: u32) -> (u32, u32) {
        let idx = self.ctrl.len() - 1 - depth as usize;
        let c = &mut self.ctrl[idx];
        if c.kind == Kind::Loop {
            (c.height, c.loop_pc)
        } else {
            c.catch_fixups.push((handler, clause));
            (c.height, u32::MAX)
        }
    }

    /// Point the catch clauses waiting for a block's end at `pc`.
    pub(super) fn patch_catches(&mut self, fixups: &[(usize, usize)], pc: u32) {
        for &(h, c) in fixups {
            if let HandlerKind::Catches(cs) = &mut self.handlers[h].kind {
                cs[c].target = pc;
            }
        }
    }

    /// Start a handler at the current pc for the `try` just pushed.
    pub(super) fn open_handler(&mut self, kind: HandlerKind) -> usize {
        let depth = (self.ctrl.len() - 1) as u32;
        self.handlers.push(Handler {
            start: self.pc(),
            end: u32::MAX,
            depth,
            kind,
        });
        let h = self.handlers.len() - 1;
        self.ctrl.last_mut().expect("just pushed").handler = Some(h);
        h
    }

    /// Emit `br_on_null` (`on_null`) or `br_on_non_null` to label `depth`;
    /// `h_null` is the stack height without the reference.
    pub(super) fn branch_on(&mut self, depth: u32, on_null: bool, h_null: u32) {
        let idx = self.ctrl.len() - 1 - depth as usize;
        let c = &self.ctrl[idx];
        if c.kind == Kind::Func {
            let keep = c.result_slots;
            let pc = self.pc();
            // Skip the return unless the branch is taken.
            self.emit(if on_null {
                Op::BrOnNonNull {
                    target: pc + 2,
                    drop: 0,
                    keep: 0,
                }
            } else {
                Op::BrOnNull {
                    target: pc + 2,
                    drop: 0,
                    keep: 0,
                }
            });
            self.emit(Op::Return { keep });
            return;
        }
        let (keep, target) = if c.kind == Kind::Loop {
            (c.param_slots, c.loop_pc)
        } else {
            (c.result_slots, u32::MAX)
        };
        let at = if on_null {
            let drop = h_null - c.height - keep;
            self.emit(Op::BrOnNull { target, drop, keep })
        } else {
            let drop = h_null + 1 - c.height - keep;
            self.emit(Op::BrOnNonNull { target, drop, keep })
        };
        if self.ctrl[idx].kind != Kind::Loop {
            self.ctrl[idx].fixups.push(at);
        }
    }

    pub(super) fn patch(&mut self, at: usize, target: u32) {
        match &mut self.ops[at] {
            Op::Br(t) | Op::BrIfNez(t) | Op::BrIfEqz(t) => *t = target,
            Op::BrDrop { target: t, .. }
            | Op::BrIfNezDrop { target: t, .. }
            | Op::BrOnNull { target: t, .. }
            | Op::BrOnNonNull { target: t, .. } => *t = target,
            other => unreachable!("patching a non-branch {other:?}"),
        }
    }

    /// Emit a branch to the label `depth` levels out. `cond`: a `br_if`.
    pub(super) fn branch(&mut self, depth: u32, cond: bool) {
        let idx = self.ctrl.len() - 1 - depth as usize;
        let h = self.h();
        let c = &self.ctrl[idx];
        if c.kind == Kind::Func {
            let keep = c.result_slots;
            if cond {
                let pc = self.pc();
                self.emit(Op::BrIfEqz(pc + 2));
            }
            self.emit(Op::Return { keep });
            return;
        }
        let (keep, target) = if c.kind == Kind::Loop {
            (c.param_slots, c.loop_pc)
        } else {
            (c.result_slots, u32::MAX)
        };
        let drop = h - c.height - keep;
        let op = match (cond, drop) {
            (false, 0) => Op::Br(target),
            (false, _) => Op::BrDrop { target, drop, keep },
            (true, 0) => Op::BrIfNez(target),
            (true, _) => Op::BrIfNezDrop { target, drop, keep },
        };
        let at = self.emit(op);
        if self.ctrl[idx].kind != Kind::Loop {
            self.ctrl[idx].fixups.push(at);
        }
    }

    pub(super) fn set_unreachable(&mut self) {
        if let Some(c) = self.ctrl.last_mut() {
            c.unreachable = true;
        }
    }
}
