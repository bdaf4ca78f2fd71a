//! Handing a JIT frame to the interpreter right after one of its calls
//! returns (deoptimisation at a call site), for the debugger's line steps
//! in JIT frames: `finish` (or a `step` that returns) out of an interpreted
//! function whose caller is JIT code goes on in that caller, interpreted,
//! at the instruction after the call.
//!
//! Nothing on the hot path: every call already checks the trap word after
//! it returns. The debug hook asks for the hand-over by returning the
//! callee with the trap word [`trap_word::DEOPT`]
//! (`DebugHook::deopt_caller`); the callee's code returns zeros without
//! adding a frame, and the caller's cold path after the call sees the word
//! and saves what the interpreter needs into the frame's locals slot: the
//! locals live after the call (`liveness::Liveness::after_calls`; only
//! values the frame keeps anyway, so the hot path keeps its registers) and
//! the operand stack below the call's results. Then it asks the hook as an
//! interrupt does (the site with [`SITE_AFTER_CALL`]), which builds an
//! interpreter frame there (`Execution::after_call`, with the results it
//! had returned) and answers with that frame's outcome, returned or
//! unwound like a loop header's takeover.
//!
//! Only code for the debugger whose function keeps its locals for it
//! (modules with DWARF, see `FuncTranslator::translate`) has these paths,
//! and only in modules without GC objects (the interpreter's frames would
//! not be roots for the JIT's collector) and for functions whose results
//! fit `RtState::results`: [`capable`], which the runtime also reads
//! (`JitFrame::deopt`).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, types};
use cranelift_module::Module as ClifModule;

use super::super::env::trap_word;
use super::super::vm::{RESULT_SLOTS, SITE_AFTER_CALL};
use super::FuncTranslator;
use crate::module::Module;

/// Whether code for the debugger that keeps defined function
/// `func_index`'s locals gives its calls a deopt path.
pub(crate) fn capable(module: &Module, func_index: u32) -> bool {
    !module.uses_gc_refs && module.func_type(func_index).results().len() <= RESULT_SLOTS
}

impl<M: ClifModule> FuncTranslator<'_, '_, M> {
    /// This function's calls get a deopt path.
    pub(super) fn deopts(&self) -> bool {
        self.spill_locals
            && self.live.is_some()
            && self.locals_slot.is_some()
            && self.scopes.is_empty()
            && capable(self.env.module, self.func_index)
    }

    /// After a call (the results not pushed yet): when the trap word is
    /// set, hand this frame to the hook if it is `DEOPT`, else unwind as
    /// `check_trap` does.
    pub(super) fn check_trap_or_deopt(&mut self) {
        let w = self.trap_word();
        self.if_cold(w, |t| {
            let asked =
                t.b.ins()
                    .icmp_imm_s(IntCC::Equal, w, trap_word::DEOPT as i64);
            t.if_cold(asked, Self::deopt_after_call);
            t.unwind_and_return(0);
        });
    }

    /// The deopt path: save the live locals, their mask and the operand
    /// stack to the locals slot, ask the hook, and return what the
    /// interpreter's run of the rest of this call returned.
    fn deopt_after_call(&mut self) {
        let l = self.env.layout;
        let ss = self.locals_slot.expect("`deopts` checked it");
        let n = self.locals.len();
        let all: Vec<u64> = (0..n.div_ceil(64))
            .map(|w| match n - w * 64 {
                k if k >= 64 => u64::MAX,
                k => (1u64 << k) - 1,
            })
            .collect();
        let live = self
            .live
            .as_ref()
            .and_then(|lv| lv.after_calls.get(&self.code_offset))
            .cloned()
            .unwrap_or(all);
        self.save_locals(&live);
        let base = n as i32 * l.slot_size;
        for (w, bits) in live.iter().enumerate() {
            let m = self.b.ins().iconst(types::I64, *bits as i64);
            self.b
                .ins()
                .stack_store(types::I64, m, ss, base + w as i32 * 8);
        }
        // The operand stack below the results, in the interpreter's slots:
        // a count, then the values zero-extended to 64 bits (a v128 in two).
        let count_at = base + n.div_ceil(64) as i32 * 8;
        let mut at = count_at + 8;
        let mut count = 0i64;
        for v in self.stack.clone() {
            let t = self.b.func.dfg.value_type(v);
            let (x, slots) = if t.is_vector() {
                (v, 2)
            } else {
                let bits = match t {
                    types::F32 => {
                        let i = self.b.ins().bitcast(types::I32, ir::MemFlagsData::new(), v);
                        self.b.ins().uextend(types::I64, i)
                    }
                    types::F64 => self.b.ins().bitcast(types::I64, ir::MemFlagsData::new(), v),
                    types::I64 => v,
                    _ => self.b.ins().uextend(types::I64, v),
                };
                (bits, 1)
            };
            self.b.ins().stack_store(types::I64, x, ss, at);
            at += 8 * slots;
            count += slots as i64;
        }
        let c = self.b.ins().iconst(types::I64, count);
        self.b.ins().stack_store(types::I64, c, ss, count_at);
        let size = &mut self.b.func.sized_stack_slots[ss].size;
        *size = (*size).max(at as u32);

        let rt = self.load_rt();
        let site = self.func_index as u64
            | (self.code_offset as u64) << 32
            | SITE_AFTER_CALL
            | 1 << 62
            | 1 << 63;
        let site = self.b.ins().iconst(types::I64, site as i64);
        self.b.ins().store(
            ir::MemFlagsData::new().with_notrap(),
            site,
            rt,
            l.rt_interrupt_site,
        );
        let tramp = self
            .env
            .resumable_interrupts
            .expect("only code for the debugger keeps locals");
        let fref = match self.interrupt_trampoline {
            Some(r) => r,
            None => {
                let r = self.clif.declare_func_in_func(tramp, self.b.func);
                self.interrupt_trampoline = Some(r);
                r
            }
        };
        self.spill_fuel();
        self.b.ins().call(fref, &[]);
        self.reload_fuel();
        let word = self.trap_word();
        self.answer_takeover(word);
        // Anything else unwinds (the run was abandoned), adding this frame.
        self.unwind_and_return(0);
    }
}
