//! The operator dispatch: control flow, locals, globals, tables, memory
//! and calls here; numeric ops in `numeric`, SIMD in `simd`, GC in `gc`.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, JumpTableData, MemFlagsData, Type, types};
use cranelift_module::Module as ClifModule;
use wasmparser::Operator;

use super::{Ctrl, CtrlKind, Ext, FuncTranslator, LegacyTry, Scope, clif_type, flags, le};
use crate::error::{Error, ErrorKind, Result};
use crate::jit::env::{Libcall, trap_word};

impl<M: ClifModule> FuncTranslator<'_, '_, M> {
    pub(super) fn op(&mut self, op: Operator<'_>) -> Result<()> {
        if !self.reachable {
            match op {
                Operator::Block { .. }
                | Operator::Loop { .. }
                | Operator::If { .. }
                | Operator::Try { .. }
                | Operator::TryTable { .. } => {
                    self.dead_depth += 1;
                    return Ok(());
                }
                Operator::Else
                | Operator::Catch { .. }
                | Operator::CatchAll
                | Operator::Delegate { .. }
                | Operator::End
                    if self.dead_depth == 0 => {}
                Operator::End | Operator::Delegate { .. } => {
                    self.dead_depth -= 1;
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
        use Operator as O;
        if self.env.fuel {
            self.fuel_before(&op);
        }
        if matches!(
            op,
            O::Block { .. }
                | O::Loop { .. }
                | O::If { .. }
                | O::Else
                | O::End
                | O::Br { .. }
                | O::BrIf { .. }
                | O::BrTable { .. }
                | O::Return
                | O::Unreachable
                | O::BrOnNull { .. }
                | O::BrOnNonNull { .. }
                | O::Try { .. }
                | O::TryTable { .. }
                | O::Catch { .. }
                | O::CatchAll
                | O::Delegate { .. }
                | O::Throw { .. }
                | O::ThrowRef
                | O::Rethrow { .. }
        ) {
            self.checked.clear();
        }
        // GC operators (casts of function references too, in modules
        // without GC types).
        if self.gc_op(&op)? {
            return Ok(());
        }
        let l = self.env.layout;
        match op {
            O::Nop => {}
            O::Unreachable => self.trap_here(trap_word::UNREACHABLE),
            O::Block { blockty } => {
                let (params, results) = self.block_types(blockty);
                let next = self.new_block_with(&results);
                let height = self.stack.len() - params.len();
                self.ctrl.push(Ctrl {
                    kind: CtrlKind::Block,
                    next,
                    params,
                    results,
                    height,
                    next_reached: false,
                });
            }
            O::Loop { blockty } => {
                let (params, results) = self.block_types(blockty);
                let header = self.new_block_with(&params);
                let next = self.new_block_with(&results);
                let args = self.peekn(params.len());
                self.save_on_entering_loop();
                self.b.ins().jump(header, &Self::args(&args));
                self.b.switch_to_block(header);
                let height = self.stack.len() - params.len();
                self.stack.truncate(height);
                let hp = self.b.block_params(header).to_vec();
                self.stack.extend(hp);
                self.ctrl.push(Ctrl {
                    kind: CtrlKind::Loop { header },
                    next,
                    params,
                    results,
                    height,
                    next_reached: false,
                });
                self.poll(false);
            }
            O::If { blockty } => {
                let (params, results) = self.block_types(blockty);
                let cond = self.pop();
                let then_b = self.new_block_with(&params);
                let else_b = self.new_block_with(&params);
                let next = self.new_block_with(&results);
                let args = Self::args(&self.peekn(params.len()));
                self.b.ins().brif(cond, then_b, &args, else_b, &args);
                self.b.seal_block(then_b);
                self.b.seal_block(else_b);
                self.b.switch_to_block(then_b);
                let height = self.stack.len() - params.len();
                self.stack.truncate(height);
                let tp = self.b.block_params(then_b).to_vec();
                self.stack.extend(tp);
                self.ctrl.push(Ctrl {
                    kind: CtrlKind::If {
                        else_block: Some(else_b),
                    },
                    next,
                    params,
                    results,
                    height,
                    next_reached: false,
                });
            }
            O::Else => {
                let frame = self.ctrl.last_mut().expect("validated: else inside if");
                if self.reachable {
                    frame.next_reached = true;
                    let next = frame.next;
                    let n = frame.results.len();
                    let args = Self::args(&self.peekn(n));
                    self.b.ins().jump(next, &args);
                }
                let frame = self.ctrl.last_mut().expect("validated");
                let else_b = match &mut frame.kind {
                    CtrlKind::If { else_block } => else_block.take().expect("one else per if"),
                    _ => unreachable!("validated: else matches an if"),
                };
                let height = frame.height;
                self.stack.truncate(height);
                self.b.switch_to_block(else_b);
                let ep = self.b.block_params(else_b).to_vec();
                self.stack.extend(ep);
                self.reachable = true;
            }
            O::End | O::Delegate { .. } => {
                let frame = self.ctrl.pop().expect("validated: end matches a frame");
                let mut reached = frame.next_reached;
                if self.reachable {
                    let args = Self::args(&self.peekn(frame.results.len()));
                    self.b.ins().jump(frame.next, &args);
                    reached = true;
                }
                self.stack.truncate(frame.height);
                match frame.kind {
                    CtrlKind::Loop { header } => self.b.seal_block(header),
                    CtrlKind::TryTable => {
                        let scope = self.scopes.pop().expect("pushed by try_table");
                        self.b.seal_block(scope.landing);
                    }
                    CtrlKind::Try(t) => {
                        let delegate = match op {
                            O::Delegate { relative_depth } => Some(relative_depth),
                            _ => None,
                        };
                        self.end_legacy_try(*t, delegate);
                    }
                    CtrlKind::If {
                        else_block: Some(else_b),
                    } => {
                        // An `if` without `else`: its params flow through.
                        self.b.switch_to_block(else_b);
                        let ep = self.b.block_params(else_b).to_vec();
                        self.b.ins().jump(frame.next, &Self::args(&ep));
                        reached = true;
                    }
                    _ => {}
                }
                self.b.seal_block(frame.next);
                if reached {
                    self.b.switch_to_block(frame.next);
                    let np = self.b.block_params(frame.next).to_vec();
                    self.stack.extend(np);
                    self.reachable = true;
                } else {
                    self.reachable = false;
                }
            }
            O::TryTable { try_table } => self.try_table(try_table)?,
            O::Try { blockty } => {
                let (params, results) = self.block_types(blockty);
                let next = self.new_block_with(&results);
                let height = self.stack.len() - params.len();
                let landing = self.new_landing();
                let outer = self.scopes.last().map(|s| s.landing);
                self.scopes.push(Scope {
                    landing,
                    ctrl_index: self.ctrl.len(),
                });
                let exn = self.b.declare_var(types::I64);
                let zero = self.b.ins().iconst(types::I64, 0);
                self.b.def_var(exn, zero);
                self.ctrl.push(Ctrl {
                    kind: CtrlKind::Try(Box::new(LegacyTry {
                        landing,
                        outer,
                        catches: Vec::new(),
                        in_body: true,
                        exn,
                    })),
                    next,
                    params,
                    results,
                    height,
                    next_reached: false,
                });
            }
            O::Catch { .. } | O::CatchAll => {
                self.body_rethrows()?;
                let tag = match op {
                    O::Catch { tag_index } => Some(tag_index),
                    _ => None,
                };
                let reachable = self.reachable;
                let payload: Vec<Type> = tag.map_or_else(Vec::new, |t| self.tag_types(t));
                let frame = self.ctrl.last_mut().expect("validated: catch inside try");
                if reachable {
                    frame.next_reached = true;
                }
                let (next, nres, height) = (frame.next, frame.results.len(), frame.height);
                let CtrlKind::Try(t) = &mut frame.kind else {
                    unreachable!("validated: catch matches a try")
                };
                let first = t.in_body;
                t.in_body = false;
                let exn_var = t.exn;
                if reachable {
                    let args = Self::args(&self.peekn(nres));
                    self.b.ins().jump(next, &args);
                }
                if first {
                    self.scopes.pop();
                }
                let mut tys = payload.clone();
                tys.push(types::I64);
                let blk = self.new_block_with(&tys);
                self.b.set_cold_block(blk);
                if let Some(Ctrl {
                    kind: CtrlKind::Try(t),
                    ..
                }) = self.ctrl.last_mut()
                {
                    t.catches.push((tag, blk));
                }
                self.stack.truncate(height);
                self.b.switch_to_block(blk);
                let ps = self.b.block_params(blk).to_vec();
                let (exn, vals) = ps.split_last().expect("the exception param");
                self.b.def_var(exn_var, *exn);
                self.stack.extend_from_slice(vals);
                self.reachable = true;
            }
            O::Throw { tag_index } => {
                let tys = self.tag_types(tag_index);
                let vals = self.stack.split_off(self.stack.len() - tys.len());
                let area = self.value_area(vals.len());
                for (i, v) in vals.iter().enumerate() {
                    self.b
                        .ins()
                        .store(MemFlagsData::trusted(), *v, area, i as i32 * l.slot_size);
                }
                let t = self.b.ins().iconst(types::I32, tag_index as i64);
                self.libcall(Libcall::Throw, &[t, area]);
                self.propagate();
            }
            O::ThrowRef => {
                let exn = self.pop();
                let null = self.b.ins().icmp_imm_s(IntCC::Equal, exn, 0);
                self.trap_if(null, trap_word::NULL_EXN_REFERENCE);
                self.libcall(Libcall::ThrowRef, &[exn]);
                self.propagate();
            }
            O::Rethrow { relative_depth } => {
                let i = self.ctrl.len() - 1 - relative_depth as usize;
                let CtrlKind::Try(t) = &self.ctrl[i].kind else {
                    unreachable!("validated: rethrow names a catch")
                };
                let exn = self.b.use_var(t.exn);
                self.libcall(Libcall::ThrowRef, &[exn]);
                self.propagate();
            }
            O::Br { relative_depth } => {
                let (blk, args) = self.branch_target(relative_depth);
                self.b.ins().jump(blk, &Self::args(&args));
                self.reachable = false;
            }
            O::BrIf { relative_depth } => {
                let cond = self.pop();
                let (blk, args) = self.cond_branch_target(relative_depth);
                let cont = self.b.create_block();
                self.b.ins().brif(cond, blk, &Self::args(&args), cont, &[]);
                self.fuel_fill_tramp();
                self.b.seal_block(cont);
                self.b.switch_to_block(cont);
            }
            O::BrTable { targets } => {
                let index = self.pop();
                let mut calls = Vec::new();
                for t in targets.targets() {
                    let t = t.map_err(|e| {
                        Error::at(ErrorKind::Malformed, e.message(), e.offset() as usize)
                    })?;
                    let (blk, args) = self.branch_target(t);
                    calls.push(self.b.func.dfg.block_call(blk, &Self::args(&args)));
                }
                let (blk, args) = self.branch_target(targets.default());
                let def = self.b.func.dfg.block_call(blk, &Self::args(&args));
                let jt = self.b.create_jump_table(JumpTableData::new(def, &calls));
                self.b.ins().br_table(index, jt);
                self.reachable = false;
            }
            O::Return => {
                let (blk, args) = self.branch_target(self.ctrl.len() as u32 - 1);
                self.b.ins().jump(blk, &Self::args(&args));
                self.reachable = false;
            }
            O::Call { function_index } => self.call(function_index, false)?,
            O::ReturnCall { function_index } => self.call(function_index, true)?,
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let entry = self.indirect_entry(type_index, table_index);
                let ft = self.env.module.types[type_index as usize].clone();
                self.call_entry(entry, type_index, &ft, false, false);
            }
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } => {
                let entry = self.indirect_entry(type_index, table_index);
                let ft = self.env.module.types[type_index as usize].clone();
                self.call_entry(entry, type_index, &ft, false, true);
            }
            O::CallRef { type_index } | O::ReturnCallRef { type_index } => {
                let r = self.pop();
                let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                self.trap_if(null, trap_word::NULL_FUNC_REFERENCE);
                let entry = self.entry_of_ref(r);
                let ft = self.env.module.types[type_index as usize].clone();
                let tail = matches!(op, O::ReturnCallRef { .. });
                self.call_entry(entry, type_index, &ft, false, tail);
            }
            O::RefAsNonNull => {
                let r = *self.stack.last().expect("validated");
                let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                self.trap_if(null, trap_word::NULL_REFERENCE);
            }
            O::BrOnNull { relative_depth } => {
                let r = self.pop();
                let (blk, args) = self.cond_branch_target(relative_depth);
                let cont = self.b.create_block();
                self.b.ins().brif(r, cont, &[], blk, &Self::args(&args));
                self.fuel_fill_tramp();
                self.b.seal_block(cont);
                self.b.switch_to_block(cont);
                self.push(r);
            }
            O::BrOnNonNull { relative_depth } => {
                let r = *self.stack.last().expect("validated");
                let (blk, args) = self.cond_branch_target(relative_depth);
                self.pop();
                let cont = self.b.create_block();
                self.b.ins().brif(r, blk, &Self::args(&args), cont, &[]);
                self.fuel_fill_tramp();
                self.b.seal_block(cont);
                self.b.switch_to_block(cont);
            }
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let (a, bv, c) = self.pop3();
                let v = self.b.ins().select(c, a, bv);
                self.push(v);
            }
            O::LocalGet { local_index } => {
                let v = self.b.use_var(self.locals[local_index as usize]);
                self.push(v);
            }
            O::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated");
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::GlobalGet { global_index } => {
                let ty = clif_type(self.env.module.globals[global_index as usize].content_type);
                let cell = self.global_cell(global_index);
                let v = self.b.ins().load(ty, flags(), cell, 0);
                self.push(v);
            }
            O::GlobalSet { global_index } => {
                let v = self.pop();
                let cell = self.global_cell(global_index);
                self.b.ins().store(flags(), v, cell, 0);
            }

            // Memory.
            O::I32Load { memarg } => self.load(memarg, types::I32, 4, Ext::None),
            O::I64Load { memarg } => self.load(memarg, types::I64, 8, Ext::None),
            O::F32Load { memarg } => self.load(memarg, types::F32, 4, Ext::None),
            O::F64Load { memarg } => self.load(memarg, types::F64, 8, Ext::None),
            O::V128Load { memarg } => self.load(memarg, types::I8X16, 16, Ext::None),
            O::I32Load8S { memarg } => self.load(memarg, types::I32, 1, Ext::S),
            O::I32Load8U { memarg } => self.load(memarg, types::I32, 1, Ext::U),
            O::I32Load16S { memarg } => self.load(memarg, types::I32, 2, Ext::S),
            O::I32Load16U { memarg } => self.load(memarg, types::I32, 2, Ext::U),
            O::I64Load8S { memarg } => self.load(memarg, types::I64, 1, Ext::S),
            O::I64Load8U { memarg } => self.load(memarg, types::I64, 1, Ext::U),
            O::I64Load16S { memarg } => self.load(memarg, types::I64, 2, Ext::S),
            O::I64Load16U { memarg } => self.load(memarg, types::I64, 2, Ext::U),
            O::I64Load32S { memarg } => self.load(memarg, types::I64, 4, Ext::S),
            O::I64Load32U { memarg } => self.load(memarg, types::I64, 4, Ext::U),
            O::I32Store { memarg }
            | O::I64Store { memarg }
            | O::F32Store { memarg }
            | O::F64Store { memarg }
            | O::V128Store { memarg } => {
                let v = self.pop();
                let size = self.b.func.dfg.value_type(v).bytes();
                let p = self.mem_addr(memarg, size);
                self.watched(p, size, true, |t| {
                    t.b.ins().store(le(), v, p, 0);
                });
            }
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => {
                let v = self.pop();
                let p = self.mem_addr(memarg, 1);
                self.watched(p, 1, true, |t| {
                    t.b.ins().istore8(le(), v, p, 0);
                });
            }
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                let v = self.pop();
                let p = self.mem_addr(memarg, 2);
                self.watched(p, 2, true, |t| {
                    t.b.ins().istore16(le(), v, p, 0);
                });
            }
            O::I64Store32 { memarg } => {
                let v = self.pop();
                let p = self.mem_addr(memarg, 4);
                self.watched(p, 4, true, |t| {
                    t.b.ins().istore32(le(), v, p, 0);
                });
            }
            O::MemorySize { mem, .. } => {
                let len = if self.fast_mem(mem) {
                    self.memory_len()
                } else {
                    let cell = self.mem_cell(mem);
                    self.b.ins().load(types::I64, flags(), cell, l.mem_len)
                };
                let pages = self.b.ins().ushr_imm_u(len, 16);
                let v = if self.mem64(mem) {
                    pages
                } else {
                    self.b.ins().ireduce(types::I32, pages)
                };
                self.push(v);
            }
            O::MemoryGrow { mem, .. } => {
                let d = self.pop();
                let d = self.widen_index(d);
                let m = self.b.ins().iconst(types::I32, mem as i64);
                let r = self
                    .libcall(Libcall::MemoryGrow, &[m, d])
                    .expect("memory.grow returns");
                let r = if self.mem64(mem) {
                    r
                } else {
                    self.b.ins().ireduce(types::I32, r)
                };
                self.reload_memory();
                self.push(r);
            }
            O::MemoryFill { mem } => {
                let (d, v, n) = self.pop3();
                let (d, n) = (self.widen_index(d), self.widen_index(n));
                let m = self.b.ins().iconst(types::I32, mem as i64);
                self.libcall(Libcall::MemoryFill, &[m, d, v, n]);
                self.check_trap();
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                let (d, s, n) = self.pop3();
                let (d, s, n) = (
                    self.widen_index(d),
                    self.widen_index(s),
                    self.widen_index(n),
                );
                let dm = self.b.ins().iconst(types::I32, dst_mem as i64);
                let sm = self.b.ins().iconst(types::I32, src_mem as i64);
                self.libcall(Libcall::MemoryCopy, &[dm, sm, d, s, n]);
                self.check_trap();
            }
            O::MemoryInit { data_index, mem } => {
                let (d, s, n) = self.pop3();
                let d = self.widen_index(d);
                let m = self.b.ins().iconst(types::I32, mem as i64);
                let seg = self.b.ins().iconst(types::I32, data_index as i64);
                self.libcall(Libcall::MemoryInit, &[m, seg, d, s, n]);
                self.check_trap();
            }
            O::DataDrop { data_index } => {
                let seg = self.b.ins().iconst(types::I32, data_index as i64);
                self.libcall(Libcall::DataDrop, &[seg]);
            }

            // Tables and references. Indices and lengths cross to the
            // libcalls as i64 (table64), sizes come back as i64.
            O::TableGet { table } => {
                let i = self.pop();
                let i = self.widen_index(i);
                let t = self.b.ins().iconst(types::I32, table as i64);
                let v = self.libcall(Libcall::TableGet, &[t, i]).expect("returns");
                self.check_trap();
                self.push(v);
            }
            O::TableSet { table } => {
                let (i, v) = self.pop2();
                let i = self.widen_index(i);
                let t = self.b.ins().iconst(types::I32, table as i64);
                self.libcall(Libcall::TableSet, &[t, i, v]);
                self.check_trap();
            }
            O::TableSize { table } => {
                let t = self.b.ins().iconst(types::I32, table as i64);
                let v = self.libcall(Libcall::TableSize, &[t]).expect("returns");
                let v = self.table_index_result(table, v);
                self.push(v);
            }
            O::TableGrow { table } => {
                let (init, delta) = self.pop2();
                let delta = self.widen_index(delta);
                let t = self.b.ins().iconst(types::I32, table as i64);
                let v = self
                    .libcall(Libcall::TableGrow, &[t, init, delta])
                    .expect("returns");
                let v = self.table_index_result(table, v);
                self.push(v);
            }
            O::TableFill { table } => {
                let (d, v, n) = self.pop3();
                let (d, n) = (self.widen_index(d), self.widen_index(n));
                let t = self.b.ins().iconst(types::I32, table as i64);
                self.libcall(Libcall::TableFill, &[t, d, v, n]);
                self.check_trap();
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let (d, s, n) = self.pop3();
                let (d, s, n) = (
                    self.widen_index(d),
                    self.widen_index(s),
                    self.widen_index(n),
                );
                let dt = self.b.ins().iconst(types::I32, dst_table as i64);
                let st = self.b.ins().iconst(types::I32, src_table as i64);
                self.libcall(Libcall::TableCopy, &[dt, st, d, s, n]);
                self.check_trap();
            }
            O::TableInit { elem_index, table } => {
                let (d, s, n) = self.pop3();
                let d = self.widen_index(d);
                let t = self.b.ins().iconst(types::I32, table as i64);
                let e = self.b.ins().iconst(types::I32, elem_index as i64);
                self.libcall(Libcall::TableInit, &[t, e, d, s, n]);
                self.check_trap();
            }
            O::ElemDrop { elem_index } => {
                let e = self.b.ins().iconst(types::I32, elem_index as i64);
                self.libcall(Libcall::ElemDrop, &[e]);
            }
            O::RefNull { .. } => {
                let v = self.b.ins().iconst(types::I64, 0);
                self.push(v);
            }
            O::RefIsNull => {
                let v = self.pop();
                let c = self.b.ins().icmp_imm_s(IntCC::Equal, v, 0);
                let r = self.b.ins().uextend(types::I32, c);
                self.push(r);
            }
            O::RefFunc { function_index } => {
                let e = self.func_entry(function_index);
                let addr = self.b.ins().load(types::I64, flags(), e, l.func_entry_addr);
                let v = self.b.ins().iadd_imm_s(addr, 1);
                self.push(v);
            }

            // Constants.
            O::I32Const { value } => {
                let v = self.b.ins().iconst(types::I32, value as i64);
                self.push(v);
            }
            O::I64Const { value } => {
                let v = self.b.ins().iconst(types::I64, value);
                self.push(v);
            }
            O::F32Const { value } => {
                let v = self
                    .b
                    .ins()
                    .f32const(ir::immediates::Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            O::F64Const { value } => {
                let v = self
                    .b
                    .ins()
                    .f64const(ir::immediates::Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            op => self.numeric(op)?,
        }
        Ok(())
    }
}
