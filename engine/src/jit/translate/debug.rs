//! Code for the debugger: the break-flag check at function entry and the
//! debug stub (both hand the call to the debug hook, `EnterDebug`), and the
//! interrupt poll with its slow path, which saves the live locals and pauses
//! in the runtime (`Interrupt`), or lets the interpreter take over the call.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, InstBuilder, MemFlagsData, SourceLoc, StackSlotData, StackSlotKind, types,
};
use cranelift_module::{FuncId, Module as ClifModule};

use super::{FuncTranslator, RESTART_SITE, flags, readonly};
use crate::error::Result;
use crate::jit::env::{Libcall, trap_word};

impl<M: ClifModule> FuncTranslator<'_, '_, M> {
    /// A stand-in for this function that hands every call to the debug hook
    /// and returns its results: where code has no break-flag checks, a
    /// breakpoint redirects the function's entry here (`super::patch`).
    pub(crate) fn translate_debug_stub(mut self) -> Result<()> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        let all_params: Vec<ir::Value> = self.b.block_params(entry).to_vec();
        self.vmctx = all_params[0];
        self.depth = all_params[1];
        let params = &all_params[2..];
        let slots = params.len().max(self.result_types.len()).max(1) as u32;
        self.area = Some(self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            slots * self.env.layout.slot_size as u32,
            4,
        )));
        self.enter_debug_and_return(params);
        self.finish_body()
    }

    /// `if vmctx.break_funcs[func_index] != 0`: hand this call to the debug
    /// hook (`EnterDebug`), which runs it elsewhere and writes its results,
    /// and return them. Two loads and a branch when no flag is set.
    pub(super) fn debug_entry_check(&mut self, params: &[ir::Value]) {
        let l = self.env.layout;
        let table = self
            .b
            .ins()
            .load(types::I64, readonly(), self.vmctx, l.vmctx_break_funcs);
        let flag = self
            .b
            .ins()
            .load(types::I8, flags(), table, self.func_index as i32);
        self.if_cold(flag, |t| t.enter_debug_and_return(params));
    }

    /// The break flag is set: hand this call to the debug hook and return
    /// its results.
    pub(super) fn enter_debug_and_return(&mut self, params: &[ir::Value]) {
        let l = self.env.layout;
        let ss = self.area.expect("made before the entry check");
        let area = self.b.ins().stack_addr(types::I64, ss, 0);
        for (i, p) in params.iter().enumerate() {
            self.b
                .ins()
                .store(MemFlagsData::trusted(), *p, area, i as i32 * l.slot_size);
        }
        let f = self.b.ins().iconst(types::I32, self.func_index as i64);
        let fp = self.b.ins().get_frame_pointer(types::I64);
        self.libcall(Libcall::EnterDebug, &[f, area, fp]);
        // A trap (or exit) in the hook: unwind without adding this frame (the
        // interpreter's backtrace already has it); callers add theirs.
        self.return_if_trapped_adding_no_frame();
        let results: Vec<ir::Value> = self
            .result_types
            .clone()
            .iter()
            .enumerate()
            .map(|(i, t)| {
                self.b
                    .ins()
                    .load(*t, MemFlagsData::trusted(), area, i as i32 * l.slot_size)
            })
            .collect();
        self.spill_fuel();
        self.b.ins().return_(&results);
    }

    /// The interrupt flag, at function entry and loop headers (fuel is
    /// charged per block: `fuel_before`).
    pub(super) fn poll(&mut self, at_entry: bool) {
        let l = self.env.layout;
        let rt = self.load_rt();
        let flag_ptr = match self.flag_ptr {
            Some(p) => p,
            None => self
                .b
                .ins()
                .load(types::I64, readonly(), rt, l.rt_interrupt),
        };
        // An atomic load: another thread sets the flag, and a plain load
        // in a loop without stores would be merged with the one at entry by
        // Cranelift's redundant-load elimination (a plain `mov` on x86).
        let flag = self.b.ins().atomic_load(types::I8, flags(), flag_ptr);
        if self.env.resumable_interrupts.is_some() {
            match (self.env.direct)(self.func_index).filter(|_| at_entry) {
                Some(me) => self.interrupt_check_at_entry(flag, me),
                None => self.interrupt_check(flag, at_entry),
            }
        } else {
            self.trap_if(flag, trap_word::INTERRUPTED);
        }
    }

    /// In an interrupt's slow path: save the live locals the loop writes
    /// and the mask of all live ones to the frame's locals slot (when this
    /// function keeps them for the debugger; the others were saved on
    /// entering the loop), write the site to the run state, and call the
    /// runtime (through the trampoline, which takes no arguments), which
    /// pauses for the debugger.
    ///
    /// Nothing here may hold a register through the loop or fix one: what
    /// it uses beyond the hot path is constants, the run state pointer, and
    /// values the loop itself changes.
    ///
    /// Returns the trap word after the hook, and whether the interpreter may
    /// take over the rest of the call here (`JitStop::takeover`).
    pub(super) fn call_interrupt_hook(&mut self, at_entry: bool) -> (ir::Value, bool) {
        let l = self.env.layout;
        // (live, saved here): at a loop header, the loop's invariants were
        // saved on entering it (`save_on_entering_loop`).
        let live = self.live.as_ref().and_then(|live| {
            if at_entry {
                Some((live.entry.clone(), live.entry.clone()))
            } else {
                let ll = live.loops.get(&self.code_offset)?;
                Some((ll.live.clone(), ll.varying.clone()))
            }
        });
        let rt = self.load_rt();
        let has_locals = live.is_some();
        if let Some((live, here)) = live {
            self.save_locals(&here);
            let ss = self.locals_slot.expect("made with `live`");
            let n = self.locals.len() as i32;
            for (w, bits) in live.iter().enumerate() {
                let m = self.b.ins().iconst(types::I64, *bits as i64);
                self.b
                    .ins()
                    .stack_store(types::I64, m, ss, n * l.slot_size + w as i32 * 8);
            }
        }
        let tramp = self
            .env
            .resumable_interrupts
            .expect("only code for the debugger resumes");
        let fref = match self.interrupt_trampoline {
            Some(r) => r,
            None => {
                let r = self.clif.declare_func_in_func(tramp, self.b.func);
                self.interrupt_trampoline = Some(r);
                r
            }
        };
        // The interpreter starts a loop header with an empty operand stack
        // and the locals (compilers keep nothing on the stack across one),
        // and hands back results that fit `RtState::results`.
        let takeover = has_locals
            && !at_entry
            && self.stack.is_empty()
            && self.result_types.len() <= crate::jit::vm::RESULT_SLOTS;
        let site = self.func_index as u64
            | (self.code_offset as u64) << 32
            | (takeover as u64) << 62
            | (has_locals as u64) << 63;
        let site = self.b.ins().iconst(types::I64, site as i64);
        self.b.ins().store(flags(), site, rt, l.rt_interrupt_site);
        self.spill_fuel();
        self.b.ins().call(fref, &[]);
        self.reload_fuel();
        // The hook's verdict: a trap word (`DEBUG_OUTCOME`) means unwind,
        // `TAKEN_OVER` return.
        (self.trap_word(), takeover)
    }

    /// Store the locals in `set` to this frame's locals slot.
    pub(super) fn save_locals(&mut self, set: &[u64]) {
        let ss = self.locals_slot.expect("made with `live`");
        let size = self.env.layout.slot_size;
        for (i, var) in self.locals.clone().into_iter().enumerate() {
            if crate::jit::liveness::contains(set, i) {
                let v = self.b.use_var(var);
                self.b.ins().stack_store(types::I64, v, ss, i as i32 * size);
            }
        }
    }

    /// On entering a loop (before its header): save the live locals it
    /// never writes, which its interrupt check then leaves alone.
    pub(super) fn save_on_entering_loop(&mut self) {
        let Some(save) = self
            .live
            .as_ref()
            .and_then(|l| l.loops.get(&self.code_offset))
            .map(|ll| ll.save_on_entry.clone())
        else {
            return;
        };
        self.save_locals(&save);
    }

    /// After the interpreter ran the rest of this call (`TAKEN_OVER`):
    /// clear the word and return its results, left in `RtState::results`.
    pub(super) fn return_taken_over(&mut self) {
        let l = self.env.layout;
        let rt = self.load_rt();
        let zero = self.b.ins().iconst(types::I32, 0);
        self.b.ins().store(flags(), zero, rt, l.rt_trap);
        let results: Vec<ir::Value> = self
            .result_types
            .clone()
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let at = l.rt_results + i as i32 * l.slot_size;
                self.b.ins().load(*t, MemFlagsData::trusted(), rt, at)
            })
            .collect();
        self.return_from_call(&results);
    }

    /// The interrupt flag is set: spill the locals and ask the runtime
    /// (`Interrupt`), which pauses for the debugger and says whether to go
    /// on (the common case) or unwind.
    pub(super) fn interrupt_check(&mut self, flag: ir::Value, at_entry: bool) {
        let slow = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(flag, slow, &[], cont, &[]);
        self.b.seal_block(slow);
        self.b.switch_to_block(slow);
        let (word, takeover) = self.call_interrupt_hook(at_entry);
        let stop = self.b.create_block();
        self.b.set_cold_block(stop);
        self.b.ins().brif(word, stop, &[], cont, &[]);
        self.b.seal_block(stop);
        self.b.seal_block(cont);
        self.b.switch_to_block(stop);
        if takeover {
            self.answer_takeover(word);
        }
        self.unwind_and_return(0);
        self.b.switch_to_block(cont);
    }

    /// The interrupt check at function entry, in code compiled for the
    /// debugger: as [`Self::interrupt_check`], but the slow path does not
    /// rejoin the body. Nothing of this call has run yet, so resuming calls
    /// the function again (undoing this entry's call depth; the new call
    /// re-runs the entry checks, so a breakpoint set meanwhile takes it) and
    /// returns its results. A rejoining slow path keeps values live across
    /// the hook's call, which made every call of call-heavy code ~12% slower.
    /// The extra native frame has the call site [`RESTART_SITE`], which the
    /// frame walk skips.
    pub(super) fn interrupt_check_at_entry(&mut self, flag: ir::Value, me: FuncId) {
        self.if_cold(flag, |t| t.restart_after_interrupt(me));
    }

    /// The entry's interrupt slow path: ask the hook, then unwind, or call
    /// this function again and return its results.
    pub(super) fn restart_after_interrupt(&mut self, me: FuncId) {
        let (unwind, _) = self.call_interrupt_hook(true);
        self.trap_if(unwind, 0);
        self.leave_profile();
        let nparams = self.env.module.func_type(self.func_index).params().len();
        // The same call again, at the same depth.
        let mut all = vec![self.vmctx, self.depth];
        for i in 0..nparams {
            all.push(self.b.use_var(self.locals[i]));
        }
        let fref = match self.callees.get(&self.func_index) {
            Some(f) => *f,
            None => {
                let f = self.clif.declare_func_in_func(me, self.b.func);
                self.callees.insert(self.func_index, f);
                f
            }
        };
        self.b.set_srcloc(SourceLoc::new(RESTART_SITE));
        self.spill_fuel();
        let call = self.b.ins().call(fref, &all);
        let results = self.b.inst_results(call).to_vec();
        self.reload_fuel();
        self.b.set_srcloc(SourceLoc::new(self.code_offset));
        // A trap in the new call recorded its frames; this frame is the
        // same call, so it adds none.
        self.return_if_trapped_adding_no_frame();
        self.spill_fuel();
        self.b.ins().return_(&results);
    }

    /// After a call that ran this function's own call elsewhere (the debug
    /// hook, a restart): when it trapped or exited, return at once, adding
    /// no frame (that call's backtrace has this one).
    pub(super) fn return_if_trapped_adding_no_frame(&mut self) {
        let w = self.trap_word();
        self.if_cold(w, Self::return_zeros);
    }
}

impl<M: ClifModule> FuncTranslator<'_, '_, M> {
    /// After the debug hook answered a stop with `word` (the run's trap
    /// word), in a function the interpreter can take over: when it ran the
    /// rest of the call (`TAKEN_OVER`), return its results; when it hands
    /// this frame's caller to the interpreter too (`DEOPT`, `deopt.rs`),
    /// return zeros without a frame, leaving the word; when it unwound
    /// (`TAKEN_OVER_UNWOUND`), return zeros with the debug outcome (its
    /// backtrace has this frame). Anything else falls through.
    pub(super) fn answer_takeover(&mut self, word: ir::Value) {
        let is = |t: &mut Self, w: u32| t.b.ins().icmp_imm_s(IntCC::Equal, word, w as i64);
        let returned = is(self, trap_word::TAKEN_OVER);
        self.if_cold(returned, Self::return_taken_over);
        let deopt = is(self, trap_word::DEOPT);
        self.if_cold(deopt, Self::return_zeros);
        let unwound = is(self, trap_word::TAKEN_OVER_UNWOUND);
        self.if_cold(unwound, |t| {
            let rt = t.load_rt();
            let w =
                t.b.ins()
                    .iconst(types::I32, trap_word::DEBUG_OUTCOME as i64);
            t.b.ins().store(flags(), w, rt, t.env.layout.rt_trap);
            t.return_zeros();
        });
    }
}
