//! The libcalls of the debugger: the interrupt check and its trampoline,
//! pauses from another thread, watched accesses, compiled breakpoint checks
//! that stop, and entries of flagged functions (`lc_enter_debug`), with the
//! hook calls they make (`pause_in_jit`, `native_calls`, `nested_call`).
#![allow(unsafe_code)]

use std::collections::BTreeMap;

use super::{
    CodeRange, Entry, PendingWatch, RUNNING, SITE_AFTER_CALL, SITE_CODE_OFFSET, VmCtx, cx, enter,
    slot_to_value, value_to_slot, walk_frames,
};
use crate::interp::RunOutcome;
use crate::jit::compile::code_offset_at;
use crate::jit::env::trap_word;
use crate::jit::{JitFrame, JitStop};
use crate::trap::Trap;
use crate::value::Value;

/// What the interrupt trampoline calls (its address is in the trampoline's
/// code, see `Compiler::define_interrupt_trampoline`).
pub(crate) fn interrupt_at_address() -> usize {
    lc_interrupt_at as *const () as usize
}

/// The debugger's interrupt check fired in the generated function whose
/// frame is `fp` and which called the trampoline from `pc`: find its vmctx
/// and locals, then as [`lc_interrupt`] (the site is in the run state).
pub(super) extern "C" fn lc_interrupt_at(fp: u64, pc: u64) {
    let rt = RUNNING.get();
    if rt.is_null() {
        return;
    }
    // SAFETY: `RUNNING` is the run state of the run on this thread (set by
    // `enter` around it), whose `run` points at the live `RunCtx`; the code
    // map and the per-instance data are the engine's, unchanged during the
    // run.
    let (vmctx, locals_at, site) = unsafe {
        let run = &*(*rt).run;
        let at = (pc as usize).saturating_sub(1);
        let Some((_, r)) = code_body(&*run.code_map, at) else {
            return;
        };
        let Some(vm) = (*run.instances)
            .iter_mut()
            .find(|i| i.vmctx.instance == r.instance)
        else {
            return;
        };
        (
            &mut vm.vmctx as *mut VmCtx,
            r.locals_at,
            (*rt).interrupt_site,
        )
    };
    let func_index = site as u32;
    let code_offset = (site >> 32) as u32 & SITE_CODE_OFFSET;
    let area = match locals_at {
        Some(off) if site >> 63 != 0 => (fp as i64 + off as i64) as *const u128,
        _ => std::ptr::null(),
    };
    lc_interrupt(vmctx, func_index, code_offset, fp, area);
}

/// The function body in `map` whose code holds `pc`, with its start.
pub(crate) fn code_body(
    map: &BTreeMap<usize, CodeRange>,
    pc: usize,
) -> Option<(usize, &CodeRange)> {
    map.range(..=pc)
        .next_back()
        .filter(|(_, b)| pc < b.end)
        .map(|(start, b)| (*start, b))
}

/// A pause asked for from another thread caught this thread at `pc` in
/// the generated function whose frame pointer is `fp` (`guard`'s
/// `wdb_async_pause` saved every register and calls this). Ask the hook as
/// for an interrupt, with no locals (they are in registers) and no
/// takeover. Returns 0 to resume at `pc`, or the stack pointer to unwind
/// the run to (the outcome is recorded, as `lc_interrupt` does).
pub(crate) extern "C" fn lc_async_pause(pc: u64, fp: u64) -> u64 {
    let rt = RUNNING.get();
    if rt.is_null() {
        return 0;
    }
    // SAFETY: as in `lc_interrupt_at`.
    let (vmctx, func_index, code_offset) = unsafe {
        let run = &*(*rt).run;
        let at = pc as usize;
        let Some((start, r)) = code_body(&*run.code_map, at) else {
            return 0;
        };
        let Some(code_offset) = code_offset_at(&r.srclocs, (at - start) as u32) else {
            return 0;
        };
        let Some(vm) = (*run.instances)
            .iter_mut()
            .find(|i| i.vmctx.instance == r.instance)
        else {
            return 0;
        };
        (&mut vm.vmctx as *mut VmCtx, r.func_index, code_offset)
    };
    // SAFETY: the run state of this thread's run (see above).
    unsafe { (*rt).interrupt_site = 0 };
    if lc_interrupt(vmctx, func_index, code_offset, fp, std::ptr::null()) == 0 {
        0
    } else {
        crate::jit::guard::guard_sp()
    }
}

/// An access of `len` bytes at native address `at` fell in the watch box:
/// if it touches a watched range (of its kind) and is in bounds, keep its
/// old bytes for [`lc_watch_after`] and answer 1.
pub(super) extern "C" fn lc_watch_before(vmctx: *mut VmCtx, at: u64, len: u32, write: u32) -> u32 {
    let c = cx(vmctx);
    let write = write != 0;
    let end = at.saturating_add(len as u64);
    let Some(w) = c
        .run
        .watch
        .iter()
        .find(|w| (if write { w.on_write } else { w.on_read }) && at < w.hi && w.lo < end)
    else {
        return 0;
    };
    // The access in its memory's addresses (the range's memory: native
    // ranges of different memories never overlap).
    let Some(addr) = (at as i64 - (w.lo as i64 - w.addr as i64))
        .try_into()
        .ok()
        .filter(|&a: &u32| {
            a as u64 + len as u64 <= c.store.memories[w.memory as usize].data.len() as u64
        })
    else {
        // Out of bounds: the access traps as it would anyway.
        return 0;
    };
    let data: &[u8] = &c.store.memories[w.memory as usize].data;
    let old = data[addr as usize..addr as usize + len as usize].to_vec();
    c.run.watch_pending = Some(PendingWatch {
        index: w.index,
        memory: w.memory,
        addr,
        len,
        write,
        old,
    });
    1
}

/// The watched access [`lc_watch_before`] saw was made at `site`
/// (`func_index | code_offset << 32`) of the function whose frame is `fp`:
/// pause there for the debug hook. Returns 0 to go on, nonzero to unwind.
pub(super) extern "C" fn lc_watch_after(vmctx: *mut VmCtx, site: u64, area: u64, fp: u64) -> u32 {
    let c = cx(vmctx);
    let Some(w) = c.run.watch_pending.take() else {
        return 0;
    };
    let data: &[u8] = &c.store.memories[w.memory as usize].data;
    let new = data
        .get(w.addr as usize..w.addr as usize + w.len as usize)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    // Bit 62: the interpreter may take the call over after the access.
    c.rt.interrupt_site = site & 1 << 62;
    let reason = crate::interp::PauseReason::Watchpoint {
        index: w.index,
        addr: w.addr,
        len: w.len,
        write: w.write,
        old: w.old,
        new,
    };
    pause_in_jit(
        vmctx,
        site as u32,
        (site >> 32) as u32 & 0x3fff_ffff,
        fp,
        area as *const u128,
        Some(reason),
    )
}

/// A compiled breakpoint check stops (`translate::breakcheck`): pause in
/// the hook with the breakpoint's pause reason and the frame's locals
/// (site: `func_index | code_offset << 32`, bit 62 when the interpreter may
/// take the call over there).
pub(super) extern "C" fn lc_break_hit(
    vmctx: *mut VmCtx,
    site: u64,
    area: u64,
    cell: u64,
    fp: u64,
) -> u32 {
    let mut c = cx(vmctx);
    // SAFETY: the code passes the address of its check's cell, which the
    // engine's patches keep for as long as the engine (and its code) lives.
    let (func, pc) = unsafe {
        let cell = &*(cell as *const crate::jit::patch::CheckCell);
        (cell.func, cell.pc)
    };
    c.flush_checks();
    // Bit 62: the interpreter may take the call over here.
    c.rt.interrupt_site = site & 1 << 62;
    pause_in_jit(
        vmctx,
        site as u32,
        (site >> 32) as u32 & 0x3fff_ffff,
        fp,
        area as *const u128,
        Some(crate::interp::PauseReason::Breakpoint { func, pc }),
    )
}

pub(super) extern "C" fn lc_enter_debug(
    vmctx: *mut VmCtx,
    func_index: u32,
    slots: *mut u128,
    fp: u64,
) {
    let mut c = cx(vmctx);
    c.flush_checks();
    let frames = walk_frames(c.rt, c.run, c.store, fp);
    let addr = c.store.instance(c.instance).funcs[func_index as usize];
    let ty = c.store.func_type(addr).clone();
    let (np, nr) = (ty.params().len(), ty.results().len());
    // SAFETY: generated code passes an area of max(params, results, 1) slots.
    let args: Vec<Value> = unsafe { std::slice::from_raw_parts(slots, np.max(nr).max(1)) }
        .iter()
        .zip(ty.params())
        .map(|(s, t)| slot_to_value(*t, *s))
        .collect();
    let Some(hook) = c.run.hook else {
        // Flags are only set with a hook; without one, say so as a trap.
        c.run.host_message = Some("a debug entry without a debug hook".into());
        return c.rt.trap = trap_word::HOST;
    };
    // SAFETY: `hook` and `break_tables` point at data borrowed by the
    // `JitEngine::call_debug` frame below us, which outlives this call; no
    // other reference to them is live while generated code is stopped here.
    let (hook_ref, tables) = unsafe { (&mut *hook, &mut *c.run.break_tables) };
    let mut flags = crate::jit::BreakFlags { tables };
    // The hook's interpreter cannot read the JIT frames below it.
    c.store.gc.foreign_frames += 1;
    let outcome = hook_ref.enter(c.store, addr, &args, &frames, &mut flags);
    // Saturating: a `kill` under the hook resets the store it runs on.
    c.store.gc.foreign_frames = c.store.gc.foreign_frames.saturating_sub(1);
    after_hook(vmctx);
    let outcome = native_calls(vmctx, hook).map_or(outcome, |(o, _)| o);
    // SAFETY: as above; the nested calls (if any) have ended.
    let deopt = matches!(outcome, RunOutcome::Returned(_)) && unsafe { &mut *hook }.deopt_caller();
    let mut c = cx(vmctx);
    // SAFETY: as above; the nested calls (if any) have ended.
    let area = unsafe { std::slice::from_raw_parts_mut(slots, np.max(nr).max(1)) };
    match outcome {
        crate::interp::RunOutcome::Returned(vals) => {
            for (s, v) in area.iter_mut().zip(&vals) {
                *s = value_to_slot(v);
            }
            if deopt {
                // The caller hands its frame over after this call.
                c.run.frames.clear();
                c.trap(trap_word::DEOPT);
            }
        }
        other => {
            // The interpreted frames are in the outcome's backtrace; the JIT
            // frames below add theirs while unwinding.
            c.run.frames.clear();
            c.run.debug_outcome = Some(other);
            c.trap(trap_word::DEBUG_OUTCOME);
        }
    }
}

/// After the debug hook returned: the interpreter may have grown a memory;
/// the hook may have set or cleared break flags.
fn after_hook(vmctx: *mut VmCtx) {
    let mut c = cx(vmctx);
    c.refresh_mems();
    c.sync_patches(true);
}

/// Make the calls the hook asks for as native code
/// ([`crate::jit::DebugHook::native_call`]), each nested in this run, until it
/// answers without asking for one more: that last answer, or `None` when
/// it asked for none.
fn native_calls(
    vmctx: *mut VmCtx,
    hook: *mut (dyn crate::jit::DebugHook + 'static),
) -> Option<(RunOutcome, bool)> {
    let mut answer = None;
    loop {
        // SAFETY: as in `lc_enter_debug`; each reference ends before the
        // nested call, which makes its own.
        let Some(call) = (unsafe { &mut *hook }).native_call() else {
            return answer;
        };
        let outcome = nested_call(vmctx, call);
        let mut c = cx(vmctx);
        c.flush_checks();
        // SAFETY: as in `lc_enter_debug`.
        let (hook_ref, tables) = unsafe { (&mut *hook, &mut *c.run.break_tables) };
        let mut flags = crate::jit::BreakFlags { tables };
        c.store.gc.foreign_frames += 1;
        answer = Some(hook_ref.native_returned(c.store, outcome, &mut flags));
        c.store.gc.foreign_frames = c.store.gc.foreign_frames.saturating_sub(1);
        after_hook(vmctx);
    }
}

/// Call wasm function `call.func` as native code from a debug hook's
/// libcall, on this thread and in this run (its code, break flags, hook
/// and watched ranges), starting at depth `call.depth`. Generated code
/// below us waits in the libcall; what the run state says about a trap is
/// this call's, and is put back as it was afterwards.
fn nested_call(vmctx: *mut VmCtx, call: crate::jit::NativeCall) -> RunOutcome {
    let mut c = cx(vmctx);
    let f = call.func;
    if let Err(e) = c.ensure_compiled(f) {
        return RunOutcome::Trapped(Trap::host(e.message));
    }
    let ty = c.store.func_type(f).clone();
    // SAFETY: the engine's entry and wrapper vectors, alive for the run;
    // `ensure_compiled` sized them for every store function.
    let (wrapper, callee_vmctx) = unsafe {
        (
            (&*c.run.wrappers).get(f as usize).copied(),
            (&*c.run.entries).get(f as usize).map(|e| e.vmctx),
        )
    };
    let (Some(wrapper), Some(callee_vmctx)) = (wrapper, callee_vmctx) else {
        return RunOutcome::Trapped(Trap::host("no native code for this call"));
    };
    if wrapper.is_null() || callee_vmctx.is_null() {
        return RunOutcome::Trapped(Trap::host("no native code for this call"));
    }
    let mut slots: Vec<u128> = vec![0; call.args.len().max(ty.results().len()).max(1)];
    for (s, a) in slots.iter_mut().zip(&call.args) {
        *s = value_to_slot(a);
    }
    let saved_depth = std::mem::replace(&mut c.rt.depth, call.depth);
    let saved_frames = std::mem::take(&mut c.run.frames);
    let saved_trap = std::mem::replace(&mut c.rt.trap, 0);
    enter(&Entry {
        wrapper,
        vmctx: callee_vmctx,
        slots: slots.as_mut_ptr(),
    });
    let c = cx(vmctx);
    let trap = std::mem::replace(&mut c.rt.trap, saved_trap);
    c.rt.depth = saved_depth;
    let debug_outcome = c.run.debug_outcome.take();
    let outcome = crate::jit::run_outcome(trap, c.run, debug_outcome, c.store, || {
        ty.results()
            .iter()
            .zip(&slots)
            .map(|(t, s)| slot_to_value(*t, *s))
            .collect()
    });
    c.run.frames = saved_frames;
    c.run.exception = None;
    c.run.host_message = None;
    outcome.unwrap_or_else(|e| RunOutcome::Trapped(Trap::host(e.message)))
}

/// The interrupt flag was seen at `code_offset` of `func_index`, whose
/// params and locals are in `area` (null when it has too many to spill).
/// Returns 0 to go on, nonzero to unwind (the trap word is set).
pub(super) extern "C" fn lc_interrupt(
    vmctx: *mut VmCtx,
    func_index: u32,
    code_offset: u32,
    fp: u64,
    area: *const u128,
) -> u32 {
    pause_in_jit(vmctx, func_index, code_offset, fp, area, None)
}

/// [`lc_interrupt`], or with `reason` a watched access or a compiled
/// breakpoint check (with the locals when `area` is not null): ask
/// the hook, then go on (0) or unwind (nonzero, the trap word set).
fn pause_in_jit(
    vmctx: *mut VmCtx,
    func_index: u32,
    code_offset: u32,
    fp: u64,
    area: *const u128,
    reason: Option<crate::interp::PauseReason>,
) -> u32 {
    let mut c = cx(vmctx);
    let Some(hook_ptr) = c.run.hook else {
        c.run.frames.clear();
        c.rt.trap = trap_word::INTERRUPTED;
        return 1;
    };
    c.flush_checks();
    let types = c.store.instance_module(c.instance).local_types(func_index);
    let locals = if area.is_null() {
        Vec::new()
    } else {
        // SAFETY: `lc_interrupt_at` passes the interrupted frame's locals
        // slot, which holds one slot per local, then one bit per local (set:
        // live, and in its slot), as `FuncTranslator::call_interrupt_hook`
        // lays it out.
        let (slots, mask) = unsafe {
            let slots = std::slice::from_raw_parts(area, types.len());
            let mask = area.add(types.len()).cast::<u64>();
            let mask: Vec<u64> = (0..types.len().div_ceil(64))
                .map(|w| mask.add(w).read_unaligned())
                .collect();
            (slots, mask)
        };
        types
            .iter()
            .zip(slots)
            .enumerate()
            .map(|(i, (t, s))| {
                crate::jit::liveness::contains(&mask, i).then(|| slot_to_value(*t, *s))
            })
            .collect()
    };
    let operands = (!area.is_null() && c.rt.interrupt_site & SITE_AFTER_CALL != 0).then(|| {
        let n = types.len();
        // SAFETY: a deopt site's locals slot holds, after the locals and
        // their mask, the operand count and that many 8-byte slots
        // (`FuncTranslator::deopt_after_call` lays it out and sizes the slot).
        unsafe {
            let at = area
                .cast::<u8>()
                .add(n * 16 + n.div_ceil(64) * 8)
                .cast::<u64>();
            let count = at.read_unaligned() as usize;
            (0..count).map(|i| at.add(1 + i).read_unaligned()).collect()
        }
    });
    let mut frames = vec![JitFrame {
        func: c.store.instance(c.instance).funcs[func_index as usize],
        instance: c.instance,
        func_index,
        code_offset,
        deopt: false,
    }];
    frames.extend(walk_frames(c.rt, c.run, c.store, fp));
    // SAFETY: as in `lc_enter_debug`.
    let (hook, tables) = unsafe { (&mut *hook_ptr, &mut *c.run.break_tables) };
    let mut flags = crate::jit::BreakFlags { tables };
    let takeover = c.rt.interrupt_site >> 62 & 1 != 0;
    let stop = JitStop {
        frames,
        locals,
        takeover,
        operands,
    };
    c.store.gc.foreign_frames += 1;
    let outcome = match reason {
        Some(r) => hook.watched(c.store, stop, r, &mut flags),
        None => hook.interrupted(c.store, stop, &mut flags),
    };
    // Saturating: a `kill` under the hook resets the store it runs on.
    c.store.gc.foreign_frames = c.store.gc.foreign_frames.saturating_sub(1);
    after_hook(vmctx);
    // Native calls asked for: the last answer replaces this one.
    let outcome = match native_calls(vmctx, hook_ptr) {
        None => outcome,
        Some((o, true)) => crate::jit::AfterInterrupt::TookOver(o),
        Some((RunOutcome::Returned(_), false)) => crate::jit::AfterInterrupt::Resume,
        Some((o, false)) => crate::jit::AfterInterrupt::Unwind(o),
    };
    // SAFETY: as above; the nested calls (if any) have ended.
    let deopt = matches!(
        outcome,
        crate::jit::AfterInterrupt::TookOver(RunOutcome::Returned(_))
    ) && takeover
        && unsafe { &mut *hook_ptr }.deopt_caller();
    let c = cx(vmctx);
    match outcome {
        crate::jit::AfterInterrupt::Resume => 0,
        // The caller hands its frame over after this call.
        crate::jit::AfterInterrupt::TookOver(RunOutcome::Returned(_)) if deopt => {
            c.run.frames.clear();
            c.rt.trap = trap_word::DEOPT;
            1
        }
        crate::jit::AfterInterrupt::TookOver(RunOutcome::Returned(values)) if takeover => {
            for (slot, v) in c.rt.results.iter_mut().zip(&values) {
                *slot = value_to_slot(v);
            }
            c.rt.trap = trap_word::TAKEN_OVER;
            1
        }
        crate::jit::AfterInterrupt::TookOver(o) if takeover => {
            c.run.frames.clear();
            c.run.debug_outcome = Some(o);
            c.rt.trap = trap_word::TAKEN_OVER_UNWOUND;
            1
        }
        crate::jit::AfterInterrupt::TookOver(_) => {
            c.run.frames.clear();
            c.run.debug_outcome = Some(RunOutcome::Trapped(Trap::host(
                "the debug hook returned for a call it could not take over",
            )));
            c.rt.trap = trap_word::DEBUG_OUTCOME;
            1
        }
        crate::jit::AfterInterrupt::Unwind(o) => {
            c.run.frames.clear();
            c.run.debug_outcome = Some(o);
            c.rt.trap = trap_word::DEBUG_OUTCOME;
            1
        }
    }
}
