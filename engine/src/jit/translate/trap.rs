//! Traps and exceptions: cold blocks that record a trap (`Unwind`) and
//! return, the check of the trap word after a call, and the landings of
//! `try_table` and legacy `try` handler scopes.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, BlockArg, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind, Type, types,
};
use cranelift_module::Module as ClifModule;
use wasmparser::Operator;

use super::{Ctrl, CtrlKind, FuncTranslator, LegacyTry, Scope, clif_type, flags};
use crate::error::{Error, ErrorKind, Result};
use crate::jit::env::{Libcall, trap_word};

impl<M: ClifModule> FuncTranslator<'_, '_, M> {
    /// The body has a `rethrow` (read once, at its first legacy `catch`).
    pub(super) fn body_rethrows(&mut self) -> Result<bool> {
        if let Some(r) = self.rethrows {
            return Ok(r);
        }
        let module = self.env.module;
        let range = module
            .body(self.func_index)
            .expect("only defined functions are translated")
            .range
            .clone();
        let reader =
            wasmparser::BinaryReader::new(&module.bytes[range.clone()], range.start as u64);
        let malformed = |e: wasmparser::BinaryReaderError| {
            Error::at(ErrorKind::Malformed, e.message(), e.offset() as usize)
        };
        let mut ops = wasmparser::FunctionBody::new(reader)
            .get_operators_reader()
            .map_err(malformed)?;
        let mut found = false;
        while !ops.eof() {
            if matches!(ops.read().map_err(malformed)?, Operator::Rethrow { .. }) {
                found = true;
                break;
            }
        }
        self.rethrows = Some(found);
        Ok(found)
    }

    /// The run state's trap word (nonzero: a callee trapped or exited).
    pub(super) fn trap_word(&mut self) -> ir::Value {
        let rt = self.load_rt();
        self.b
            .ins()
            .load(types::I32, flags(), rt, self.env.layout.rt_trap)
    }

    /// When `cond` is nonzero, run `leave` (which ends in a return) in a
    /// cold block; go on after it otherwise.
    pub(super) fn if_cold(&mut self, cond: ir::Value, leave: impl FnOnce(&mut Self)) {
        let cold = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(cold);
        // Inside a cold path, what follows is cold too.
        if let Some(here) = self.b.current_block()
            && self.b.func.layout.is_cold(here)
        {
            self.b.set_cold_block(cont);
        }
        self.b.ins().brif(cond, cold, &[], cont, &[]);
        self.b.seal_block(cold);
        self.b.seal_block(cont);
        self.b.switch_to_block(cold);
        leave(self);
        self.b.switch_to_block(cont);
    }

    pub(super) fn return_zeros(&mut self) {
        let zeros: Vec<ir::Value> = self
            .result_types
            .clone()
            .into_iter()
            .map(|t| self.zero(t))
            .collect();
        self.spill_fuel();
        self.b.ins().return_(&zeros);
    }

    /// Branch to a cold block that records `code` at this site and returns.
    pub(super) fn trap_if(&mut self, cond: ir::Value, code: u32) {
        self.if_cold(cond, |t| t.unwind_and_return(code));
    }

    pub(super) fn unwind_and_return(&mut self, code: u32) {
        let c = self.b.ins().iconst(types::I32, code as i64);
        let f = self.b.ins().iconst(types::I32, self.func_index as i64);
        let o = self.b.ins().iconst(types::I32, self.code_offset as i64);
        self.libcall(Libcall::Unwind, &[c, f, o]);
        self.return_zeros();
    }

    pub(super) fn trap_here(&mut self, code: u32) {
        self.unwind_and_return(code);
        self.reachable = false;
    }

    /// After a call: if the callee trapped (or threw), add this frame and
    /// return; inside a handler scope, go to its landing instead.
    pub(super) fn check_trap(&mut self) {
        let w = self.trap_word();
        let Some(landing) = self.scopes.last().map(|s| s.landing) else {
            return self.trap_if(w, 0);
        };
        let off = self.b.ins().iconst(types::I32, self.code_offset as i64);
        let cont = self.b.create_block();
        if let Some(here) = self.b.current_block()
            && self.b.func.layout.is_cold(here)
        {
            self.b.set_cold_block(cont);
        }
        self.b
            .ins()
            .brif(w, landing, &[BlockArg::Value(off)], cont, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
    }

    /// An exception is in flight from here (`throw`, `throw_ref`,
    /// `rethrow`): to the innermost handler scope's landing, or out of the
    /// function with this frame.
    pub(super) fn propagate(&mut self) {
        match self.scopes.last().map(|s| s.landing) {
            Some(landing) => {
                let off = self.b.ins().iconst(types::I32, self.code_offset as i64);
                self.b.ins().jump(landing, &[BlockArg::Value(off)]);
            }
            None => self.unwind_and_return(0),
        }
        self.reachable = false;
    }

    /// A handler scope's landing block: cold, one param (the throwing
    /// site's `code_offset`).
    pub(super) fn new_landing(&mut self) -> ir::Block {
        let landing = self.b.create_block();
        self.b.append_block_param(landing, types::I32);
        self.b.set_cold_block(landing);
        landing
    }

    /// Leave a landing whose handlers did not take what is in flight: to
    /// `outer` (a landing) or out of the function, adding this frame at the
    /// throwing site `off`.
    pub(super) fn pass_on(&mut self, outer: Option<ir::Block>, off: ir::Value) {
        match outer {
            Some(o) => {
                self.b.ins().jump(o, &[BlockArg::Value(off)]);
            }
            None => {
                let c = self.b.ins().iconst(types::I32, 0);
                let f = self.b.ins().iconst(types::I32, self.func_index as i64);
                self.libcall(Libcall::Unwind, &[c, f, off]);
                self.return_zeros();
            }
        }
    }

    /// The payload types of tag `tag_index`.
    pub(super) fn tag_types(&self, tag_index: u32) -> Vec<Type> {
        let m = self.env.module;
        let ty = m.tags[tag_index as usize];
        m.types[ty as usize]
            .params()
            .iter()
            .map(|t| clif_type(*t))
            .collect()
    }

    /// A new args area of `n` slots (at least one), its address.
    pub(super) fn value_area(&mut self, n: usize) -> ir::Value {
        let ss = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            n.max(1) as u32 * self.env.layout.slot_size as u32,
            4,
        ));
        self.b.ins().stack_addr(types::I64, ss, 0)
    }

    /// In a landing: the trap word is an exception (not a trap).
    pub(super) fn is_exception(&mut self) -> ir::Value {
        let w = self.trap_word();
        self.b
            .ins()
            .icmp_imm_s(IntCC::Equal, w, trap_word::EXCEPTION as i64)
    }

    /// In a landing, when the exception in flight has tag `tag` (`None`:
    /// any): take it (the run goes on here) and return its payload values
    /// and the exception (an `exnref`); otherwise go to `no`. Without
    /// `keep` the handler never sees the exception itself (a `catch` that is
    /// not `_ref`, a legacy catch in a body without `rethrow`), so the
    /// runtime may release it (the value returned is then null).
    pub(super) fn take_if(
        &mut self,
        tag: Option<u32>,
        no: ir::Block,
        keep: bool,
    ) -> (Vec<ir::Value>, ir::Value) {
        if let Some(tag) = tag {
            let t = self.b.ins().iconst(types::I32, tag as i64);
            let m = self
                .libcall(Libcall::CatchMatch, &[t])
                .expect("returns a flag");
            let take = self.b.create_block();
            self.b.set_cold_block(take);
            self.b.ins().brif(m, take, &[], no, &[]);
            self.b.seal_block(take);
            self.b.switch_to_block(take);
        }
        let tys = tag.map_or_else(Vec::new, |t| self.tag_types(t));
        let area = self.value_area(tys.len());
        let n = self.b.ins().iconst(types::I32, tys.len() as i64);
        let k = self.b.ins().iconst(types::I32, i64::from(keep));
        let exn = self
            .libcall(Libcall::CatchTake, &[area, n, k])
            .expect("returns the exception");
        let l = self.env.layout;
        let vals = tys
            .iter()
            .enumerate()
            .map(|(i, t)| {
                self.b
                    .ins()
                    .load(*t, MemFlagsData::trusted(), area, i as i32 * l.slot_size)
            })
            .collect();
        (vals, exn)
    }

    /// `try_table`: its body is a block; a landing (emitted here, before
    /// the body) tries its catch clauses in order, each branching to its
    /// label with the payload (and the exception for the `_ref` forms).
    pub(super) fn try_table(&mut self, tt: wasmparser::TryTable) -> Result<()> {
        let (params, results) = self.block_types(tt.ty);
        let next = self.new_block_with(&results);
        let height = self.stack.len() - params.len();
        let landing = self.new_landing();
        let outer = self.scopes.last().map(|s| s.landing);
        // Catch labels count from outside the try_table.
        let mut clauses = Vec::new();
        for c in &tt.catches {
            use wasmparser::Catch as C;
            let (tag, label, with_ref) = match *c {
                C::One { tag, label } => (Some(tag), label, false),
                C::OneRef { tag, label } => (Some(tag), label, true),
                C::All { label } => (None, label, false),
                C::AllRef { label } => (None, label, true),
            };
            clauses.push((tag, self.branch_block(label), with_ref));
        }
        // The body starts in a block of its own, so the landing can be
        // written now (the current block must end first).
        let body = self.b.create_block();
        let args = self.peekn(params.len());
        let body_params: Vec<Type> = params.clone();
        for t in &body_params {
            self.b.append_block_param(body, *t);
        }
        self.b.ins().jump(body, &Self::args(&args));
        self.b.seal_block(body);
        self.b.switch_to_block(landing);
        let off = self.b.block_params(landing)[0];
        let is_exn = self.is_exception();
        let pass = self.b.create_block();
        self.b.set_cold_block(pass);
        let mut test = self.b.create_block();
        self.b.set_cold_block(test);
        self.b.ins().brif(is_exn, test, &[], pass, &[]);
        self.b.seal_block(test);
        for (tag, blk, with_ref) in clauses {
            self.b.switch_to_block(test);
            let no = self.b.create_block();
            self.b.set_cold_block(no);
            let (mut vals, exn) = self.take_if(tag, no, with_ref);
            if with_ref {
                vals.push(exn);
            }
            self.b.ins().jump(blk, &Self::args(&vals));
            self.b.seal_block(no);
            test = no;
            if tag.is_none() {
                break;
            }
        }
        // After a `catch_all`, `test` has no predecessor.
        self.b.switch_to_block(test);
        self.b.ins().jump(pass, &[]);
        self.b.seal_block(pass);
        self.b.switch_to_block(pass);
        self.pass_on(outer, off);
        self.b.switch_to_block(body);
        self.stack.truncate(height);
        let bp = self.b.block_params(body).to_vec();
        self.stack.extend(bp);
        self.scopes.push(Scope {
            landing,
            ctrl_index: self.ctrl.len(),
        });
        self.ctrl.push(Ctrl {
            kind: CtrlKind::TryTable,
            next,
            params,
            results,
            height,
            next_reached: false,
        });
        Ok(())
    }

    /// The end (or `delegate`) of a legacy `try`: its landing tries the
    /// catch arms in order, or (`delegate L`) hands everything to the
    /// handlers around label `L`.
    pub(super) fn end_legacy_try(&mut self, t: LegacyTry, delegate: Option<u32>) {
        if t.in_body {
            self.scopes.pop();
        }
        self.b.seal_block(t.landing);
        self.b.switch_to_block(t.landing);
        let off = self.b.block_params(t.landing)[0];
        if let Some(depth) = delegate {
            // Label `depth` counts from outside this try: the innermost
            // active scope at or outside it takes over.
            let target = (self.ctrl.len() - 1).checked_sub(depth as usize);
            let outer = target.and_then(|i| {
                self.scopes
                    .iter()
                    .rev()
                    .find(|s| s.ctrl_index <= i)
                    .map(|s| s.landing)
            });
            self.pass_on(outer, off);
        } else {
            let is_exn = self.is_exception();
            let pass = self.b.create_block();
            self.b.set_cold_block(pass);
            let mut test = self.b.create_block();
            self.b.set_cold_block(test);
            self.b.ins().brif(is_exn, test, &[], pass, &[]);
            self.b.seal_block(test);
            // A legacy catch keeps its exception only for a `rethrow`.
            let keep = self.rethrows == Some(true);
            for (tag, blk) in &t.catches {
                self.b.switch_to_block(test);
                let no = self.b.create_block();
                self.b.set_cold_block(no);
                let (mut vals, exn) = self.take_if(*tag, no, keep);
                vals.push(exn);
                self.b.ins().jump(*blk, &Self::args(&vals));
                self.b.seal_block(no);
                test = no;
            }
            self.b.switch_to_block(test);
            self.b.ins().jump(pass, &[]);
            self.b.seal_block(pass);
            self.b.switch_to_block(pass);
            self.pass_on(t.outer, off);
        }
        for (_, blk) in &t.catches {
            self.b.seal_block(*blk);
        }
    }
}
