//! The JIT call boundary: the `#[repr(C)]` structures generated code reads
//! (vmctx, run state, memory cells, function entries), the libcalls it calls
//! back into, and the one function that enters native code.
//!
//! Layout (all offsets reach the translator through [`super::env::VmLayout`]):
//! - `VmCtx` (one per instance): pointers to the run state, the memory cell,
//!   the global cells (the store's own `[u64; 2]` slots), the function entries
//!   (one per function index: code, callee vmctx, store address) and the
//!   libcall table.
//! - `RtState` (one per engine): trap word, call depth and limit, interrupt
//!   flag pointer, fuel, and the Rust-side run context the libcalls use.
//!
//! Results of wasm functions come back through Cranelift's multi-return
//! (`enable_multi_ret_implicit_sret`); the host enters through a per-function
//! array-call wrapper `(vmctx, slots)` whose 16-byte slots hold the arguments
//! and then the results.

#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::mem::offset_of;
use std::sync::Arc;

use super::compile::{SrcRange, code_offset_at};
use super::env::{Libcall, NUM_LIBCALLS, VmLayout, trap_word};
use super::{JitFrame, JitStop};
use crate::interp::RunOutcome;
use crate::runtime::store::FuncKind;
use crate::runtime::{Caller, HostError, InstanceId, Store};
use crate::trap::{Trap, TrapCode};
use crate::value::Value;

#[repr(C)]
pub(crate) struct VmCtx {
    pub rt: *mut RtState,
    /// Memory 0's cell (null without memories).
    pub mem: *mut MemCell,
    /// Every memory's cell, by memory index.
    pub mems: *const *mut MemCell,
    pub globals: *const *mut u64,
    pub funcs: *const FuncEntry,
    pub libcalls: *const usize,
    pub instance: u32,
    /// One byte per function index: nonzero sends an entry to the debug hook.
    pub break_funcs: *const u8,
    /// The engine's function entries, by store address (what a function
    /// reference names: `call_ref`).
    pub entries: *const FuncEntry,
    /// The store's GC heap control block (bump allocation, object base).
    pub gc: *mut crate::runtime::gc::GcCtl,
    /// This instance's canonical type ids, by module type index.
    pub type_ids: *const u32,
}

#[repr(C)]
pub(crate) struct RtState {
    pub trap: u32,
    /// The call depth a call from the host starts at (generated code
    /// passes depths as arguments and never writes this).
    pub depth: u32,
    /// The deepest call allowed (`StoreConfig::max_call_depth`).
    pub max_depth: u32,
    pub _pad: u32,
    pub interrupt: *const u8,
    pub fuel: i64,
    /// Lowest native stack address generated code may use (checked at entry).
    pub stack_limit: u64,
    pub run: *mut RunCtx,
    /// Highest native stack address of the run (generated code never reads it).
    pub stack_top: u64,
    /// Counters and shadow stack of a profiled run, for code compiled with
    /// `CompileOptions::profile` (null otherwise; see [`super::prof`]).
    pub prof: *const super::prof::ProfState,
    /// Where the debugger's interrupt check fired, written by its slow path
    /// (the trampoline takes no arguments): `func_index | code_offset <<
    /// 32`, bit 61 set when it is the deopt after a call (the locals slot
    /// then holds the operand stack too: `translate/deopt.rs`), bit 62 set
    /// when the interpreter may take the call over there, bit 63 when the
    /// frame's locals slot holds its live locals.
    pub interrupt_site: u64,
    /// The results of a call the interpreter took over (`TAKEN_OVER`), one
    /// slot each.
    pub results: [u128; RESULT_SLOTS],
    /// The bounding box of the watched ranges, native addresses (`lo ==
    /// hi`: none), for code compiled with `CompileOptions::watch_stores`.
    pub watch_lo: u64,
    pub watch_hi: u64,
}

/// `RtState::results`: a call with more results is not taken over.
pub(crate) const RESULT_SLOTS: usize = 16;

/// The `code_offset` bits of `RtState::interrupt_site` (after `>> 32`).
pub(crate) const SITE_CODE_OFFSET: u32 = 0x1fff_ffff;
/// `RtState::interrupt_site`: the deopt after a call.
pub(crate) const SITE_AFTER_CALL: u64 = 1 << 61;

#[repr(C)]
pub(crate) struct MemCell {
    pub base: *mut u8,
    pub len: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct FuncEntry {
    /// Native body `(vmctx, params...) -> results`, or null for a host function.
    pub code: *const u8,
    pub vmctx: *mut VmCtx,
    /// Store address (`FuncAddr`).
    pub addr: u64,
}

pub(crate) const SLOT_SIZE: i32 = 16;

pub(crate) fn layout() -> VmLayout {
    VmLayout {
        vmctx_rt: offset_of!(VmCtx, rt) as i32,
        vmctx_mem: offset_of!(VmCtx, mem) as i32,
        vmctx_mems: offset_of!(VmCtx, mems) as i32,
        vmctx_globals: offset_of!(VmCtx, globals) as i32,
        vmctx_funcs: offset_of!(VmCtx, funcs) as i32,
        vmctx_libcalls: offset_of!(VmCtx, libcalls) as i32,
        vmctx_break_funcs: offset_of!(VmCtx, break_funcs) as i32,
        vmctx_entries: offset_of!(VmCtx, entries) as i32,
        vmctx_gc: offset_of!(VmCtx, gc) as i32,
        vmctx_type_ids: offset_of!(VmCtx, type_ids) as i32,
        gc_base: offset_of!(crate::runtime::gc::GcCtl, base) as i32,
        gc_cursor: offset_of!(crate::runtime::gc::GcCtl, cursor) as i32,
        gc_limit: offset_of!(crate::runtime::gc::GcCtl, limit) as i32,
        gc_parents: offset_of!(crate::runtime::gc::GcCtl, parents) as i32,
        rt_trap: offset_of!(RtState, trap) as i32,
        rt_depth: offset_of!(RtState, depth) as i32,
        rt_max_depth: offset_of!(RtState, max_depth) as i32,
        rt_interrupt: offset_of!(RtState, interrupt) as i32,
        rt_fuel: offset_of!(RtState, fuel) as i32,
        rt_interrupt_site: offset_of!(RtState, interrupt_site) as i32,
        rt_results: offset_of!(RtState, results) as i32,
        rt_stack_limit: offset_of!(RtState, stack_limit) as i32,
        rt_watch_lo: offset_of!(RtState, watch_lo) as i32,
        rt_watch_hi: offset_of!(RtState, watch_hi) as i32,
        mem_base: offset_of!(MemCell, base) as i32,
        mem_len: offset_of!(MemCell, len) as i32,
        func_entry_size: std::mem::size_of::<FuncEntry>() as i64,
        func_entry_code: offset_of!(FuncEntry, code) as i32,
        func_entry_vmctx: offset_of!(FuncEntry, vmctx) as i32,
        func_entry_addr: offset_of!(FuncEntry, addr) as i32,
        slot_size: SLOT_SIZE,
    }
}

/// Rust-side state of one run, reached by libcalls through `RtState::run`.
pub(crate) struct RunCtx {
    pub store: *mut Store,
    /// Every memory cell of the store, by memory address.
    pub mems: *mut Vec<MemCell>,
    /// Function entries by store address.
    pub entries: *mut Vec<FuncEntry>,
    /// Array-call wrappers by store address (null for host functions and
    /// functions not compiled yet).
    pub wrappers: *mut Vec<*const u8>,
    /// The engine's per-instance data (the lazy JIT patches their entries;
    /// boxed because vmctxs point into them).
    #[allow(clippy::vec_box)]
    pub instances: *mut Vec<Box<super::InstanceVm>>,
    pub host_message: Option<String>,
    pub exit_code: i32,
    /// (instance, func_index, code_offset), innermost first.
    pub frames: Vec<(u32, u32, u32)>,
    /// The exception in flight (store address) while the trap word is
    /// `EXCEPTION`.
    pub exception: Option<u32>,
    /// The exception in flight was allocated by its `throw` and no wasm
    /// code has had it as an `exnref` (`throw_ref` and `rethrow` clear it).
    pub exception_fresh: bool,
    /// The debug hook of this run, if any (see [`super::DebugHook`]).
    pub hook: Option<*mut (dyn super::DebugHook + 'static)>,
    /// Per-instance break flags (the tables the vmctxs point at).
    pub break_tables: *mut Vec<Box<[u8]>>,
    /// What the hook's run ended with, when it did not return normally.
    pub debug_outcome: Option<crate::interp::RunOutcome>,
    /// Native code start -> body, for [`walk_frames`].
    pub code_map: *mut BTreeMap<usize, CodeRange>,
    /// The engine's entry patches in a debug run that uses them (null
    /// otherwise): kept in step with the break flags (see `patch`).
    pub patches: *mut super::patch::Patches,
    /// Pause requests from another thread, in a debug run that takes them
    /// (null otherwise; see `super::PauseHandle`).
    pub pause: *const super::PauseShared,
    /// The run's watched ranges (`RunControl::watch`), native addresses.
    pub watch: Vec<NativeWatch>,
    /// A watched access under way: `WatchBefore` kept its old bytes.
    pub watch_pending: Option<PendingWatch>,
}

/// A watched range of a JIT run: `lo..hi` native, `addr` in its memory.
pub(crate) struct NativeWatch {
    /// Index in `RunControl::watch`.
    pub index: usize,
    pub lo: u64,
    pub hi: u64,
    pub addr: u32,
    /// Store address of the memory.
    pub memory: u32,
    pub on_read: bool,
    pub on_write: bool,
}

/// A watched access between `WatchBefore` and `WatchAfter`.
pub(crate) struct PendingWatch {
    index: usize,
    memory: u32,
    addr: u32,
    len: u32,
    write: bool,
    old: Vec<u8>,
}

/// One function body's native code, for mapping return addresses.
pub(crate) struct CodeRange {
    pub end: usize,
    pub instance: u32,
    pub func_index: u32,
    pub srclocs: Arc<[SrcRange]>,
    /// See `FuncCode::locals_at`.
    pub locals_at: Option<i32>,
    /// See `FuncCode::gc`.
    pub gc: Option<Arc<super::compile::GcFrameMap>>,
}

thread_local! {
    /// The run state of the generated code running on this thread (null
    /// when none): the interrupt trampoline passes no vmctx, so
    /// [`lc_interrupt_at`] starts from here.
    static RUNNING: std::cell::Cell<*mut RtState> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// Everything needed to enter native code, bundled so it can cross to the
/// big-stack worker thread.
pub(crate) struct Entry {
    pub wrapper: *const u8,
    pub vmctx: *mut VmCtx,
    pub slots: *mut u128,
}

// SAFETY: the pointers refer to data owned by the caller of `enter`, which
// blocks until the worker thread has finished with them.
unsafe impl Send for Entry {}

/// Run an array-call wrapper on the current thread, whose stack is
/// `stack_size` bytes: generated code traps before using the last `margin`.
pub(crate) fn enter_on_stack(e: &Entry, stack_size: usize, margin: usize) {
    let here = std::ptr::addr_of!(*e) as u64;
    let limit = here.saturating_sub(stack_size.saturating_sub(margin) as u64);
    // SAFETY: `e.vmctx` is a live vmctx whose `rt` points at the run state.
    unsafe {
        (*(*e.vmctx).rt).stack_limit = limit;
        (*(*e.vmctx).rt).stack_top = here;
    }
    enter(e);
}

/// Run an array-call wrapper on the current thread.
pub(crate) fn enter(e: &Entry) {
    // SAFETY: `e.vmctx` is a live vmctx (see `Entry`).
    let rt = unsafe { (*e.vmctx).rt };
    let before = RUNNING.replace(rt);
    // SAFETY: `wrapper` was produced by the compiler for the signature
    // `extern "C" fn(vmctx, slots)`, and is kept alive by the compiled module
    // that the caller holds; `vmctx` and `slots` are valid for the call.
    // A fault in a memory's guard region ends the call early with the trap
    // recorded (`guard`).
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    unsafe {
        super::guard::guarded_call(e.wrapper, e.vmctx, e.slots, rt);
    }
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    unsafe {
        let f: extern "C" fn(*mut VmCtx, *mut u128) = std::mem::transmute(e.wrapper);
        f(e.vmctx, e.slots);
    }
    RUNNING.set(before);
}

/// What the interrupt trampoline calls (its address is in the trampoline's
/// code, see `Compiler::define_interrupt_trampoline`).
pub(crate) fn interrupt_at_address() -> usize {
    lc_interrupt_at as *const () as usize
}

/// The debugger's interrupt check fired in the generated function whose
/// frame is `fp` and which called the trampoline from `pc`: find its vmctx
/// and locals, then as [`lc_interrupt`] (the site is in the run state).
extern "C" fn lc_interrupt_at(fp: u64, pc: u64) {
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
        super::guard::guard_sp()
    }
}

/// The libcall table, in [`Libcall`] order.
pub(crate) fn libcall_table() -> [usize; NUM_LIBCALLS] {
    let mut t = [0usize; NUM_LIBCALLS];
    t[Libcall::Unwind as usize] = lc_unwind as *const () as usize;
    t[Libcall::MemoryGrow as usize] = lc_memory_grow as *const () as usize;
    t[Libcall::MemoryFill as usize] = lc_memory_fill as *const () as usize;
    t[Libcall::MemoryCopy as usize] = lc_memory_copy as *const () as usize;
    t[Libcall::MemoryInit as usize] = lc_memory_init as *const () as usize;
    t[Libcall::DataDrop as usize] = lc_data_drop as *const () as usize;
    t[Libcall::TableGet as usize] = lc_table_get as *const () as usize;
    t[Libcall::TableSet as usize] = lc_table_set as *const () as usize;
    t[Libcall::TableSize as usize] = lc_table_size as *const () as usize;
    t[Libcall::TableGrow as usize] = lc_table_grow as *const () as usize;
    t[Libcall::TableFill as usize] = lc_table_fill as *const () as usize;
    t[Libcall::TableCopy as usize] = lc_table_copy as *const () as usize;
    t[Libcall::TableInit as usize] = lc_table_init as *const () as usize;
    t[Libcall::ElemDrop as usize] = lc_elem_drop as *const () as usize;
    t[Libcall::ResolveIndirect as usize] = lc_resolve_indirect as *const () as usize;
    t[Libcall::CallHost as usize] = lc_call_host as *const () as usize;
    t[Libcall::EnterDebug as usize] = lc_enter_debug as *const () as usize;
    t[Libcall::Interrupt as usize] = lc_interrupt as *const () as usize;
    t[Libcall::Resolve as usize] = lc_resolve as *const () as usize;
    t[Libcall::Throw as usize] = lc_throw as *const () as usize;
    t[Libcall::ThrowRef as usize] = lc_throw_ref as *const () as usize;
    t[Libcall::CatchMatch as usize] = lc_catch_match as *const () as usize;
    t[Libcall::CatchTake as usize] = lc_catch_take as *const () as usize;
    t[Libcall::Gc as usize] = lc_gc as *const () as usize;
    t[Libcall::WatchBefore as usize] = lc_watch_before as *const () as usize;
    t[Libcall::WatchAfter as usize] = lc_watch_after as *const () as usize;
    t[Libcall::BreakHit as usize] = lc_break_hit as *const () as usize;
    t
}

/// An access of `len` bytes at native address `at` fell in the watch box:
/// if it touches a watched range (of its kind) and is in bounds, keep its
/// old bytes for [`lc_watch_after`] and answer 1.
extern "C" fn lc_watch_before(vmctx: *mut VmCtx, at: u64, len: u32, write: u32) -> u32 {
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
extern "C" fn lc_watch_after(vmctx: *mut VmCtx, site: u64, fp: u64) -> u32 {
    let c = cx(vmctx);
    let Some(w) = c.run.watch_pending.take() else {
        return 0;
    };
    let data: &[u8] = &c.store.memories[w.memory as usize].data;
    let new = data
        .get(w.addr as usize..w.addr as usize + w.len as usize)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    c.rt.interrupt_site = 0;
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
        (site >> 32) as u32,
        fp,
        std::ptr::null(),
        Some(reason),
    )
}

/// A compiled breakpoint check stops (`translate::breakcheck`): pause in
/// the hook with the breakpoint's pause reason and the frame's locals
/// (site: `func_index | code_offset << 32`, bit 62 when the interpreter may
/// take the call over there).
extern "C" fn lc_break_hit(vmctx: *mut VmCtx, site: u64, area: u64, cell: u64, fp: u64) -> u32 {
    let mut c = cx(vmctx);
    // SAFETY: the code passes the address of its check's cell, which the
    // engine's patches keep for as long as the engine (and its code) lives.
    let (func, pc) = unsafe {
        let cell = &*(cell as *const super::patch::CheckCell);
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

/// The pieces a libcall works with.
struct Cx<'a> {
    rt: &'a mut RtState,
    run: &'a mut RunCtx,
    store: &'a mut Store,
    instance: InstanceId,
}

fn cx<'a>(vmctx: *mut VmCtx) -> Cx<'a> {
    // SAFETY: generated code passes its own vmctx, which points at a live
    // `VmCtx` whose `rt` points at the engine's run state; during a run,
    // `rt.run` points at the `RunCtx` on the entering thread's stack frame and
    // `run.store` at the store the run borrowed mutably. Generated code holds
    // no Rust references, so these are the only live references.
    unsafe {
        let v = &*vmctx;
        let rt = &mut *v.rt;
        let run = &mut *rt.run;
        let store = &mut *run.store;
        Cx {
            rt,
            run,
            store,
            instance: InstanceId(v.instance),
        }
    }
}

impl Cx<'_> {
    fn trap(&mut self, code: u32) {
        self.rt.trap = code;
    }
    /// Store address of this instance's memory `m`.
    fn mem_addr(&self, m: u32) -> u32 {
        self.store.instance(self.instance).memories[m as usize]
    }
    fn table_addr(&self, t: u32) -> usize {
        self.store.instance(self.instance).tables[t as usize] as usize
    }
    /// Compile store function `addr` now if it is wasm without code yet.
    fn ensure_compiled(&mut self, addr: u32) -> crate::error::Result<()> {
        // SAFETY: these point at the engine's vectors and map, alive for the
        // run; generated code only reads the entries (and only between
        // libcalls), and no other Rust reference to them is live here.
        let (instances, entries, wrappers, code_map) = unsafe {
            (
                &mut *self.run.instances,
                &mut *self.run.entries,
                &mut *self.run.wrappers,
                &mut *self.run.code_map,
            )
        };
        super::ensure_compiled(instances, entries, wrappers, code_map, self.store, addr)?;
        self.sync_patches(false);
        Ok(())
    }

    /// Hand the compiled breakpoint checks' counts to the store (before
    /// the hook runs: see `patch::Patches::flush_checks`).
    fn flush_checks(&mut self) {
        if self.run.patches.is_null() {
            return;
        }
        // SAFETY: the engine's patches, alive for the run; generated code
        // writes only the cells, and it is stopped in this libcall.
        unsafe { &mut *self.run.patches }.flush_checks(self.store);
    }

    /// Keep the entry patches in step with the break flags (in a debug run
    /// that patches entries), after the hook or the lazy JIT changed
    /// either. A failure traps.
    fn sync_patches(&mut self, reload: bool) {
        if self.run.patches.is_null() {
            return;
        }
        // SAFETY: the engine's patches, instances and flag tables, alive for
        // the run; generated code never touches them, and the references
        // end with this call.
        let (patches, instances, tables, code_map) = unsafe {
            (
                &mut *self.run.patches,
                &*self.run.instances,
                &*self.run.break_tables,
                &mut *self.run.code_map,
            )
        };
        if let Err(e) = super::patch::sync(patches, instances, tables, self.store, code_map, reload)
        {
            self.run.host_message = Some(e.message);
            self.run.frames.clear();
            self.trap(trap_word::HOST);
        }
    }

    /// Point every memory cell at its memory's current bytes.
    fn refresh_mems(&mut self) {
        // SAFETY: `mems` points at the engine's cell vector, alive for the run
        // and only touched here and in `JitEngine` between runs.
        let mems = unsafe { &mut *self.run.mems };
        refresh_mem_cells(self.store, mems);
    }
}

pub(crate) fn refresh_mem_cells(store: &mut Store, mems: &mut Vec<MemCell>) {
    let n = store.memories.len();
    mems.resize_with(n, || MemCell {
        base: std::ptr::null_mut(),
        len: 0,
    });
    for (cell, m) in mems.iter_mut().zip(store.memories.iter_mut()) {
        cell.base = m.data.as_mut_ptr();
        cell.len = m.data.len() as u64;
    }
}

extern "C" fn lc_unwind(vmctx: *mut VmCtx, code: u32, func_index: u32, code_offset: u32) {
    let c = cx(vmctx);
    if code != 0 {
        c.rt.trap = code;
        c.run.frames.clear();
    }
    if func_index != super::translate::NO_FRAME {
        c.run.frames.push((c.instance.0, func_index, code_offset));
    }
}

extern "C" fn lc_memory_grow(vmctx: *mut VmCtx, mem: u32, delta: u64) -> u64 {
    let mut c = cx(vmctx);
    let m = c.mem_addr(mem);
    let r = c.store.memory_grow(m, delta);
    c.refresh_mems();
    r.unwrap_or(u64::MAX)
}

/// `[start, start + len)` lies within `size` (no overflow).
fn range_ok(start: u64, len: u64, size: usize) -> bool {
    start.checked_add(len).is_some_and(|end| end <= size as u64)
}

extern "C" fn lc_memory_fill(vmctx: *mut VmCtx, mem: u32, dst: u64, val: u32, len: u64) {
    let mut c = cx(vmctx);
    let m = c.mem_addr(mem);
    let bytes = c.store.memory_mut(m);
    if !range_ok(dst, len, bytes.len()) {
        return c.trap(trap_word::MEMORY_OOB);
    }
    bytes[dst as usize..(dst + len) as usize].fill(val as u8);
}

extern "C" fn lc_memory_copy(
    vmctx: *mut VmCtx,
    dst_mem: u32,
    src_mem: u32,
    dst: u64,
    src: u64,
    len: u64,
) {
    let mut c = cx(vmctx);
    let (dm, sm) = (c.mem_addr(dst_mem), c.mem_addr(src_mem));
    let (dl, sl) = (c.store.memory(dm).len(), c.store.memory(sm).len());
    if !range_ok(dst, len, dl) || !range_ok(src, len, sl) {
        return c.trap(trap_word::MEMORY_OOB);
    }
    let (d, s, n) = (dst as usize, src as usize, len as usize);
    if dm == sm {
        c.store.memory_mut(dm).copy_within(s..s + n, d);
    } else {
        let tmp = c.store.memory(sm)[s..s + n].to_vec();
        c.store.memory_mut(dm)[d..d + n].copy_from_slice(&tmp);
    }
}

extern "C" fn lc_memory_init(vmctx: *mut VmCtx, mem: u32, seg: u32, dst: u64, src: u32, len: u32) {
    let mut c = cx(vmctx);
    let m = c.mem_addr(mem);
    let d = c.store.instance(c.instance).datas[seg as usize] as usize;
    let data = c.store.datas[d].clone();
    let bytes = c.store.memory_mut(m);
    if !range_ok(dst, len as u64, bytes.len()) || !range_ok(src as u64, len as u64, data.len()) {
        return c.trap(trap_word::MEMORY_OOB);
    }
    bytes[dst as usize..dst as usize + len as usize]
        .copy_from_slice(&data[src as usize..(src + len) as usize]);
}

extern "C" fn lc_data_drop(vmctx: *mut VmCtx, seg: u32) {
    let c = cx(vmctx);
    let d = c.store.instance(c.instance).datas[seg as usize] as usize;
    c.store.datas[d] = Arc::from([]);
}

/// A table index as a `usize` (past the end when it does not fit).
fn index(i: u64) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}

extern "C" fn lc_table_get(vmctx: *mut VmCtx, table: u32, idx: u64) -> u64 {
    let mut c = cx(vmctx);
    let t = c.table_addr(table);
    match c.store.tables[t].elems.get(index(idx)) {
        Some(v) => *v,
        None => {
            c.trap(trap_word::TABLE_OOB);
            0
        }
    }
}

extern "C" fn lc_table_set(vmctx: *mut VmCtx, table: u32, idx: u64, val: u64) {
    let mut c = cx(vmctx);
    let t = c.table_addr(table);
    match c.store.tables[t].elems.get_mut(index(idx)) {
        Some(v) => *v = val,
        None => c.trap(trap_word::TABLE_OOB),
    }
}

extern "C" fn lc_table_size(vmctx: *mut VmCtx, table: u32) -> u64 {
    let c = cx(vmctx);
    let t = c.table_addr(table);
    c.store.tables[t].elems.len() as u64
}

extern "C" fn lc_table_grow(vmctx: *mut VmCtx, table: u32, init: u64, delta: u64) -> u64 {
    let c = cx(vmctx);
    let ta = c.table_addr(table);
    let t = &mut c.store.tables[ta];
    let old = t.elems.len() as u64;
    let Some(new) = old.checked_add(delta) else {
        return u64::MAX;
    };
    if new > t.max()
        || new > crate::runtime::store::MAX_TABLE_ELEMS
        || t.elems.try_reserve(delta as usize).is_err()
    {
        return u64::MAX;
    }
    t.elems.resize(new as usize, init);
    old
}

extern "C" fn lc_table_fill(vmctx: *mut VmCtx, table: u32, dst: u64, val: u64, len: u64) {
    let mut c = cx(vmctx);
    let t = c.table_addr(table);
    let elems = &mut c.store.tables[t].elems;
    if !range_ok(dst, len, elems.len()) {
        return c.trap(trap_word::TABLE_OOB);
    }
    elems[dst as usize..(dst + len) as usize].fill(val);
}

extern "C" fn lc_table_copy(vmctx: *mut VmCtx, dt: u32, st: u32, dst: u64, src: u64, len: u64) {
    let mut c = cx(vmctx);
    let (d, s) = (c.table_addr(dt), c.table_addr(st));
    let (dl, sl) = (c.store.tables[d].elems.len(), c.store.tables[s].elems.len());
    if !range_ok(dst, len, dl) || !range_ok(src, len, sl) {
        return c.trap(trap_word::TABLE_OOB);
    }
    let (dst, src, len) = (dst as usize, src as usize, len as usize);
    if d == s {
        c.store.tables[d].elems.copy_within(src..src + len, dst);
    } else {
        let tmp: Vec<u64> = c.store.tables[s].elems[src..src + len].to_vec();
        c.store.tables[d].elems[dst..dst + len].copy_from_slice(&tmp);
    }
}

extern "C" fn lc_table_init(vmctx: *mut VmCtx, table: u32, seg: u32, dst: u64, src: u32, len: u32) {
    let mut c = cx(vmctx);
    let t = c.table_addr(table);
    let e = c.store.instance(c.instance).elems[seg as usize] as usize;
    let items = c.store.elems[e].clone();
    let elems = &mut c.store.tables[t].elems;
    if !range_ok(dst, len as u64, elems.len()) || !range_ok(src as u64, len as u64, items.len()) {
        return c.trap(trap_word::TABLE_OOB);
    }
    elems[dst as usize..dst as usize + len as usize]
        .copy_from_slice(&items[src as usize..(src + len) as usize]);
}

extern "C" fn lc_elem_drop(vmctx: *mut VmCtx, seg: u32) {
    let c = cx(vmctx);
    let e = c.store.instance(c.instance).elems[seg as usize] as usize;
    c.store.elems[e] = Arc::from([]);
}

extern "C" fn lc_resolve_indirect(vmctx: *mut VmCtx, table: u32, idx: u64, type_index: u32) -> u64 {
    let mut c = cx(vmctx);
    let t = c.table_addr(table);
    let Some(&r) = c.store.tables[t].elems.get(index(idx)) else {
        c.trap(trap_word::UNDEFINED_ELEMENT);
        return 0;
    };
    if r == 0 {
        c.trap(trap_word::UNINITIALIZED_ELEMENT);
        return 0;
    }
    let addr = (r - 1) as usize;
    let expected = c.store.instance(c.instance).type_ids[type_index as usize];
    // A function of a declared subtype matches too (Wasm 3.0).
    let actual = c.store.funcs[addr].type_id;
    if actual != expected && !c.store.type_is_subtype(actual, expected) {
        c.trap(trap_word::INDIRECT_MISMATCH);
        return 0;
    }
    // SAFETY: `entries` is the engine's entry vector, alive and unmodified
    // for the whole run; the returned pointer is only read during the run.
    let entries = unsafe { &*c.run.entries };
    &entries[addr] as *const FuncEntry as u64
}

extern "C" fn lc_call_host(vmctx: *mut VmCtx, addr: u64, slots: *mut u128) {
    let mut c = cx(vmctx);
    let addr = addr as u32;
    let ty = c.store.func_type(addr).clone();
    let (np, nr) = (ty.params().len(), ty.results().len());
    // SAFETY: generated code passes an area of max(params, results, 1) slots.
    let area = unsafe { std::slice::from_raw_parts_mut(slots, np.max(nr).max(1)) };
    let f = match &c.store.funcs[addr as usize].kind {
        FuncKind::Host(f) => f.clone(),
        FuncKind::Wasm { .. } => {
            // A wasm function reached through the generic path: enter its wrapper.
            if let Err(e) = c.ensure_compiled(addr) {
                c.run.host_message = Some(e.message);
                c.run.frames.clear();
                return c.trap(trap_word::HOST);
            }
            // SAFETY: as for `entries` in `lc_resolve_indirect`.
            let wrapper = unsafe { (&*c.run.wrappers)[addr as usize] };
            let entries = unsafe { &*c.run.entries };
            let e = Entry {
                wrapper,
                vmctx: entries[addr as usize].vmctx,
                slots,
            };
            enter(&e);
            return;
        }
    };
    let args: Vec<Value> = ty
        .params()
        .iter()
        .zip(area.iter())
        .map(|(t, s)| slot_to_value(*t, *s))
        .collect();
    let mut results: Vec<Value> = ty
        .results()
        .iter()
        .map(|t| Value::default_for(*t))
        .collect();
    let instance = c.instance;
    let r = {
        let mut caller = Caller {
            store: c.store,
            instance: Some(instance),
            pause_requested: false,
            can_defer: false,
            defer_requested: false,
        };
        f(&mut caller, &args, &mut results)
    };
    let mut c = cx(vmctx);
    c.refresh_mems();
    match r {
        Ok(()) => {
            for (s, v) in area.iter_mut().zip(&results) {
                *s = value_to_slot(v);
            }
        }
        // A wasm call this host function made (`call_from_host`) trapped
        // or exited: its trap word, message and frames stand.
        Err(_) if c.rt.trap != 0 => {}
        Err(HostError::Trap(msg)) => {
            c.run.host_message = Some(msg);
            c.run.frames.clear();
            c.trap(trap_word::HOST);
        }
        Err(HostError::Exit(code)) => {
            c.run.exit_code = code;
            c.run.frames.clear();
            c.trap(trap_word::EXIT);
        }
    }
}

/// Call wasm function `addr` from inside a host function that generated
/// code on this thread called (a component's `canon lower` calling another
/// component's export, `realloc`, `post-return`, a destructor), in native
/// code on the same run: its fuel, interrupt flag, stack limit and trap
/// word. `None` when no plain JIT run is on this thread (no run, a debug
/// run with its hook, or a host function at `addr`): the caller runs the
/// call in the interpreter. A trap leaves the run's trap word set (and its
/// message or exit code in the run state), so the host call that made this
/// call ends the run with it as a wasm-to-wasm call's trap would.
pub(crate) fn call_from_host(
    addr: u32,
    args: &[Value],
) -> Option<std::result::Result<Vec<Value>, HostError>> {
    let rt = RUNNING.get();
    if rt.is_null() {
        return None;
    }
    // SAFETY: `RUNNING` is the run state of the run on this thread (set by
    // `enter` around it); a host function is running inside it, so
    // `rt.run` points at the live `RunCtx` and its store. The host
    // function's own `&mut Store` is not used while this call runs.
    let (run, trap) = unsafe { (&mut *(*rt).run, (*rt).trap) };
    if run.hook.is_some() || run.store.is_null() {
        return None;
    }
    // SAFETY: as above; the store outlives the run.
    let store = unsafe { &mut *run.store };
    let FuncKind::Wasm { .. } = store.funcs.get(addr as usize)?.kind else {
        return None;
    };
    if trap != 0 {
        return Some(Err(HostError::Trap("a nested call trapped".into())));
    }
    let ty = store.func_type(addr).clone();
    // SAFETY: the engine's entry vector, alive for the run.
    let vmctx = unsafe { (&*run.entries)[addr as usize].vmctx };
    let mut c = cx(vmctx);
    if let Err(e) = c.ensure_compiled(addr) {
        return Some(Err(HostError::Trap(e.message)));
    }
    let mut slots: Vec<u128> = vec![0; args.len().max(ty.results().len()).max(1)];
    for (s, a) in slots.iter_mut().zip(args) {
        *s = value_to_slot(a);
    }
    // SAFETY: as for `entries` in `lc_resolve_indirect`.
    let wrapper = unsafe { (&*c.run.wrappers)[addr as usize] };
    enter(&Entry {
        wrapper,
        vmctx,
        slots: slots.as_mut_ptr(),
    });
    let c = cx(vmctx);
    Some(match c.rt.trap {
        0 => Ok(ty
            .results()
            .iter()
            .zip(&slots)
            .map(|(t, s)| slot_to_value(*t, *s))
            .collect()),
        trap_word::EXIT => Err(HostError::Exit(c.run.exit_code)),
        trap_word::HOST => Err(HostError::Trap(
            c.run.host_message.clone().unwrap_or_default(),
        )),
        _ => Err(HostError::Trap("a nested call trapped".into())),
    })
}

pub(crate) fn value_to_slot(v: &Value) -> u128 {
    let mut s = [0u64; 2];
    let n = Value::slots(v.ty());
    v.to_slots(&mut s[..n]);
    s[0] as u128 | ((s[1] as u128) << 64)
}

pub(crate) fn slot_to_value(ty: wasmparser::ValType, s: u128) -> Value {
    Value::from_slots(ty, &[s as u64, (s >> 64) as u64])
}

/// Pointer to a global's cell in the store (its `[u64; 2]` slots).
pub(crate) fn global_cell(store: &mut Store, addr: u32) -> *mut u64 {
    store.globals[addr as usize].bits.as_mut_ptr()
}

/// The interrupt flag's byte.
pub(crate) fn interrupt_ptr(store: &Store) -> *const u8 {
    store.interrupt.as_ptr() as *const u8
}

// SAFETY: a `CompiledModule` holds finalized machine code (and the JIT
// module or library that owns it); its raw pointers are addresses of that
// code, which never moves or changes once finalized. The lazy JIT's compiler
// adds code, but only under its mutex, and never touches finalized code.
// Sharing or sending it between threads cannot race.
unsafe impl Send for super::CompiledModule {}
// SAFETY: as above: what `&CompiledModule` can mutate is behind a mutex.
unsafe impl Sync for super::CompiledModule {}
// SAFETY: a `JitEngine`'s raw pointers point into its own boxed data and, only
// during `call` (which borrows it mutably), into the store; moving it to
// another thread between calls moves all of that along with it.
unsafe impl Send for super::JitEngine {}

/// The JIT frames below the function whose frame pointer is `fp`,
/// innermost first: each saved return address that lies in a known body is
/// a call site. The walk stops at the first address outside generated code
/// (the host's entry wrapper, a libcall) or at anything that does not look
/// like a frame of this run's stack.
pub(crate) fn walk_frames(rt: &RtState, run: &RunCtx, store: &Store, fp: u64) -> Vec<JitFrame> {
    // SAFETY: the map is the engine's, alive and unchanged during the run.
    let map = unsafe { &*run.code_map };
    let bottom = rt.stack_limit.saturating_sub(1 << 20);
    let top = rt.stack_top;
    let mut frames = Vec::new();
    let mut fp = fp;
    while fp.is_multiple_of(8) && fp >= bottom && fp.saturating_add(16) <= top {
        // SAFETY: `fp` lies inside this thread's stack (checked above), below
        // the frame that entered generated code; every generated function
        // keeps `[fp] = caller's fp, [fp + 8] = return address`
        // (`preserve_frame_pointers`), so these are plain reads of live stack.
        let (next, ra) = unsafe { (*(fp as *const u64), *((fp + 8) as *const u64)) };
        let Some(at) = (ra as usize).checked_sub(1) else {
            break;
        };
        let Some((&start, r)) = map.range(..=at).next_back() else {
            break;
        };
        if at >= r.end {
            break;
        }
        let code_offset = code_offset_at(&r.srclocs, (at - start) as u32).unwrap_or(0);
        let instance = InstanceId(r.instance);
        // A resumed function entry calling itself again: the same wasm call
        // as the frame above it, not a frame of its own.
        if code_offset != super::translate::RESTART_SITE {
            let module = store.instance_module(instance);
            frames.push(JitFrame {
                func: store.instance(instance).funcs[r.func_index as usize],
                instance,
                func_index: r.func_index,
                code_offset,
                deopt: r.locals_at.is_some()
                    && super::translate::deopt::capable(module, r.func_index),
            });
        }
        if next <= fp {
            break;
        }
        fp = next;
    }
    frames
}

extern "C" fn lc_enter_debug(vmctx: *mut VmCtx, func_index: u32, slots: *mut u128, fp: u64) {
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
    let mut flags = super::BreakFlags { tables };
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
/// ([`super::DebugHook::native_call`]), each nested in this run, until it
/// answers without asking for one more: that last answer, or `None` when
/// it asked for none.
fn native_calls(
    vmctx: *mut VmCtx,
    hook: *mut (dyn super::DebugHook + 'static),
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
        let mut flags = super::BreakFlags { tables };
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
fn nested_call(vmctx: *mut VmCtx, call: super::NativeCall) -> RunOutcome {
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
    let outcome = super::run_outcome(trap, c.run, debug_outcome, c.store, || {
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
extern "C" fn lc_interrupt(
    vmctx: *mut VmCtx,
    func_index: u32,
    code_offset: u32,
    fp: u64,
    area: *const u128,
) -> u32 {
    pause_in_jit(vmctx, func_index, code_offset, fp, area, None)
}

/// [`lc_interrupt`], or with `reason` a watched access (no locals): ask
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
            .map(|(i, (t, s))| super::liveness::contains(&mask, i).then(|| slot_to_value(*t, *s)))
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
    let mut flags = super::BreakFlags { tables };
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
        Some((o, true)) => super::AfterInterrupt::TookOver(o),
        Some((RunOutcome::Returned(_), false)) => super::AfterInterrupt::Resume,
        Some((o, false)) => super::AfterInterrupt::Unwind(o),
    };
    // SAFETY: as above; the nested calls (if any) have ended.
    let deopt = matches!(
        outcome,
        super::AfterInterrupt::TookOver(RunOutcome::Returned(_))
    ) && takeover
        && unsafe { &mut *hook_ptr }.deopt_caller();
    let c = cx(vmctx);
    match outcome {
        super::AfterInterrupt::Resume => 0,
        // The caller hands its frame over after this call.
        super::AfterInterrupt::TookOver(RunOutcome::Returned(_)) if deopt => {
            c.run.frames.clear();
            c.rt.trap = trap_word::DEOPT;
            1
        }
        super::AfterInterrupt::TookOver(RunOutcome::Returned(values)) if takeover => {
            for (slot, v) in c.rt.results.iter_mut().zip(&values) {
                *slot = value_to_slot(v);
            }
            c.rt.trap = trap_word::TAKEN_OVER;
            1
        }
        super::AfterInterrupt::TookOver(o) if takeover => {
            c.run.frames.clear();
            c.run.debug_outcome = Some(o);
            c.rt.trap = trap_word::TAKEN_OVER_UNWOUND;
            1
        }
        super::AfterInterrupt::TookOver(_) => {
            c.run.frames.clear();
            c.run.debug_outcome = Some(RunOutcome::Trapped(Trap::host(
                "the debug hook returned for a call it could not take over",
            )));
            c.rt.trap = trap_word::DEBUG_OUTCOME;
            1
        }
        super::AfterInterrupt::Unwind(o) => {
            c.run.frames.clear();
            c.run.debug_outcome = Some(o);
            c.rt.trap = trap_word::DEBUG_OUTCOME;
            1
        }
    }
}

/// A call through an entry whose code is null: compile the wasm function it
/// names (patching every entry for it, this one too) and return the code,
/// or return null for a host function. A compile error traps.
extern "C" fn lc_resolve(vmctx: *mut VmCtx, entry: u64) -> u64 {
    let mut c = cx(vmctx);
    // SAFETY: generated code passes a pointer to a live `FuncEntry` (in an
    // instance's entry array or the engine's), which nothing else is using.
    let entry = unsafe { &mut *(entry as *mut FuncEntry) };
    let addr = entry.addr as u32;
    if let Err(e) = c.ensure_compiled(addr) {
        c.run.host_message = Some(e.message);
        c.run.frames.clear();
        c.trap(trap_word::HOST);
        return 0;
    }
    // SAFETY: as in `ensure_compiled`.
    let code = unsafe { (&*c.run.entries)[addr as usize].code };
    entry.code = code;
    code as u64
}

extern "C" fn lc_throw(vmctx: *mut VmCtx, tag_index: u32, slots: *const u128) {
    let c = cx(vmctx);
    let tag = c.store.instance(c.instance).tags[tag_index as usize];
    let ty = c.store.tag_type(tag).clone();
    // SAFETY: generated code passes an area of max(params, 1) slots.
    let area = unsafe { std::slice::from_raw_parts(slots, ty.params().len().max(1)) };
    let mut payload = Vec::new();
    for (t, s) in ty.params().iter().zip(area) {
        let v = slot_to_value(*t, *s);
        let mut out = [0u64; 2];
        let n = Value::slots(*t);
        v.to_slots(&mut out[..n]);
        payload.extend_from_slice(&out[..n]);
    }
    let exn = c.store.alloc_exception(tag, payload);
    c.run.exception = Some(exn);
    c.run.exception_fresh = true;
    c.run.frames.clear();
    c.rt.trap = trap_word::EXCEPTION;
}

extern "C" fn lc_throw_ref(vmctx: *mut VmCtx, exn: u64) {
    let c = cx(vmctx);
    c.run.exception = Some((exn - 1) as u32);
    c.run.exception_fresh = false;
    c.run.frames.clear();
    c.rt.trap = trap_word::EXCEPTION;
}

extern "C" fn lc_catch_match(vmctx: *mut VmCtx, tag_index: u32) -> u32 {
    let c = cx(vmctx);
    let tag = c.store.instance(c.instance).tags[tag_index as usize];
    let thrown = c.run.exception.and_then(|e| c.store.exception(e));
    u32::from(thrown.is_some_and(|(t, _)| t == tag))
}

extern "C" fn lc_catch_take(vmctx: *mut VmCtx, slots: *mut u128, n: u32, keep: u32) -> u64 {
    let c = cx(vmctx);
    let fresh = std::mem::take(&mut c.run.exception_fresh);
    let Some(exn) = c.run.exception.take() else {
        return 0;
    };
    c.rt.trap = 0;
    c.run.frames.clear();
    if let Some((_, payload)) = c.store.exception(exn) {
        // SAFETY: generated code passes an area of at least `n` slots
        // (the matched tag's payload; 0 for `catch_all`).
        for (i, v) in payload.iter().take(n as usize).enumerate() {
            unsafe { *slots.add(i) = value_to_slot(v) };
        }
    }
    if keep != 0 {
        return exn as u64 + 1;
    }
    // Nothing can name an exception that no wasm code has seen and this
    // handler drops: a loop that throws and catches runs in constant memory
    // (the last one allocated is the one in flight).
    if fresh && exn as usize + 1 == c.store.exns.len() {
        c.store.exns.pop();
    }
    0
}

/// Release a JIT module's code memory (when its `CompiledModule` drops).
pub(crate) fn free_code(m: cranelift_jit::JITModule) {
    // SAFETY: only called from `CompiledModule::drop`: engines keep the
    // compiled module alive (an `Arc`) for as long as they hold pointers
    // into its code, so none of it can run any more.
    unsafe { m.free_memory() };
}

/// A hook pointer for [`RunCtx::hook`]: the lifetime bound is erased, so the
/// caller must clear the pointer before the hook's borrow ends
/// (`JitEngine::call_debug` does, right after the run).
pub(crate) fn erase_hook(h: &mut dyn super::DebugHook) -> *mut (dyn super::DebugHook + 'static) {
    let p: *mut (dyn super::DebugHook + '_) = h;
    // SAFETY: only the lifetime bound changes (same layout); see above.
    unsafe {
        std::mem::transmute::<*mut (dyn super::DebugHook + '_), *mut (dyn super::DebugHook + 'static)>(
            p,
        )
    }
}

/// The GC instruction `kind` with module-space immediates `a`, `b`
/// (`translate::gc_op_code`), in this instance's store space.
fn gc_op(store: &Store, instance: InstanceId, kind: u32, a: u32, b: u32) -> crate::ir::GcOp {
    use super::translate::gc_kind as k;
    use crate::ir::{CastHeap, CastTarget, GcOp};
    let inst = store.instance(instance);
    let ty = |i: u32| inst.type_ids[i as usize];
    let target = |a: u32, nullable: bool| CastTarget {
        heap: match a {
            k::HEAP_ANY => CastHeap::Any,
            k::HEAP_EQ => CastHeap::Eq,
            k::HEAP_I31 => CastHeap::I31,
            k::HEAP_STRUCT => CastHeap::Struct,
            k::HEAP_ARRAY => CastHeap::Array,
            k::HEAP_BOTTOM => CastHeap::Bottom,
            k::HEAP_TOP => CastHeap::Top,
            i => CastHeap::Concrete(ty(i)),
        },
        nullable,
    };
    match kind {
        k::STRUCT_NEW => GcOp::StructNew {
            ty: ty(a),
            default: b != 0,
        },
        k::STRUCT_GET => GcOp::StructGet {
            ty: ty(a),
            field: b & 0x7fff_ffff,
            signed: b >> 31 != 0,
        },
        k::STRUCT_SET => GcOp::StructSet {
            ty: ty(a),
            field: b,
        },
        k::ARRAY_NEW => GcOp::ArrayNew {
            ty: ty(a),
            default: b != 0,
        },
        k::ARRAY_NEW_FIXED => GcOp::ArrayNewFixed { ty: ty(a), len: b },
        k::ARRAY_NEW_DATA => GcOp::ArrayNewData {
            ty: ty(a),
            data: inst.datas[b as usize],
        },
        k::ARRAY_NEW_ELEM => GcOp::ArrayNewElem {
            ty: ty(a),
            elem: inst.elems[b as usize],
        },
        k::ARRAY_GET => GcOp::ArrayGet {
            ty: ty(a),
            signed: b != 0,
        },
        k::ARRAY_SET => GcOp::ArraySet { ty: ty(a) },
        k::ARRAY_LEN => GcOp::ArrayLen,
        k::ARRAY_FILL => GcOp::ArrayFill { ty: ty(a) },
        k::ARRAY_COPY => GcOp::ArrayCopy {
            dst: ty(a),
            src: ty(b),
        },
        k::ARRAY_INIT_DATA => GcOp::ArrayInitData {
            ty: ty(a),
            data: inst.datas[b as usize],
        },
        k::ARRAY_INIT_ELEM => GcOp::ArrayInitElem {
            ty: ty(a),
            elem: inst.elems[b as usize],
        },
        k::REF_TEST => GcOp::RefTest(target(a, b & 1 != 0)),
        k::REF_CAST => GcOp::RefCast(target(a, b & 1 != 0)),
        k::CAST_FLAG => GcOp::CastFlag {
            target: target(a, b & 1 != 0),
            fail: b & 2 != 0,
        },
        k::ANY_CONVERT_EXTERN => GcOp::AnyConvertExtern,
        k::EXTERN_CONVERT_ANY => GcOp::ExternConvertAny,
        _ => unreachable!("translate::gc_op_code makes only these kinds"),
    }
}

/// The operand slots of an allocation that are references (roots while it
/// collects: the new object will hold them).
fn gc_operand_refs(store: &Store, op: &crate::ir::GcOp, operands: &[u64], out: &mut Vec<u64>) {
    use crate::ir::GcOp;
    use crate::runtime::gc::{GcLayout, Storage};
    let is_ref = |s: Storage| matches!(s, Storage::Val { gc_ref: true, .. });
    match *op {
        GcOp::StructNew { ty, default: false } => {
            if let Some(GcLayout::Struct { fields, .. }) = store.gc_layouts[ty as usize].as_deref()
            {
                for &(off, s) in fields {
                    if is_ref(s) {
                        out.extend(operands.get(off as usize));
                    }
                }
            }
        }
        GcOp::ArrayNew { ty, .. } | GcOp::ArrayNewFixed { ty, .. } => {
            if let Some(GcLayout::Array(s)) = store.gc_layouts[ty as usize].as_deref()
                && is_ref(*s)
            {
                out.extend_from_slice(operands);
            }
        }
        _ => {}
    }
}

/// The references the JIT frames hold, from the frame (pointer `fp`) of
/// `func_index` of this instance, which is in a call to a libcall, down to
/// the entry: each frame's stack map at its call. `None` when a frame's
/// references cannot be known (code without stack maps of a module that
/// holds GC objects, or a frame that does not look like one).
fn jit_roots(c: &Cx<'_>, fp: u64, func_index: u32) -> Option<Vec<u64>> {
    // SAFETY: the engine's map and entries, alive and unchanged during the
    // libcall (only the lazy JIT adds to them, in other libcalls).
    let (map, entries) = unsafe { (&*c.run.code_map, &*c.run.entries) };
    let bottom = c.rt.stack_limit.saturating_sub(1 << 20);
    let top = c.rt.stack_top;
    let ok = |a: u64| a.is_multiple_of(8) && a >= bottom && a.saturating_add(8) <= top;
    // SAFETY: only called on addresses `ok` accepted: 8-byte aligned words
    // of this thread's stack between the entry and the running libcall.
    let read = |a: u64| unsafe { *(a as *const u64) };
    let mut roots = Vec::new();
    let addr = c.store.instance(c.instance).funcs[func_index as usize];
    let start = entries.get(addr as usize)?.code as usize;
    let r = map.get(&start)?;
    let g = r.gc.as_ref()?;
    // The innermost frame called the libcall: its return address is just
    // below the frame's bottom (the stack pointer at the call).
    let sp = fp.checked_sub(g.frame_to_fp as u64)?;
    let ra_at = sp.checked_sub(8)?;
    if !ok(ra_at) || !ok(fp) {
        return None;
    }
    let ra = read(ra_at) as usize;
    if !(start..r.end).contains(&ra) {
        return None;
    }
    for &o in g.at((ra - start) as u32) {
        let a = sp + o as u64;
        if !ok(a) {
            return None;
        }
        roots.push(read(a));
    }
    // Its callers, each at its call: `[fp]` is the caller's frame pointer,
    // `[fp + 8]` the return address into it.
    let mut fp = fp;
    while ok(fp) && ok(fp + 8) {
        let (next, ra) = (read(fp), read(fp + 8) as usize);
        let Some(at) = ra.checked_sub(1) else { break };
        let Some((&start, r)) = map.range(..=at).next_back() else {
            break;
        };
        if at >= r.end {
            // The host's entry wrapper: every JIT frame is read.
            break;
        }
        match &r.gc {
            Some(g) => {
                let sp = next.checked_sub(g.frame_to_fp as u64)?;
                for &o in g.at((ra - start) as u32) {
                    let a = sp + o as u64;
                    if !ok(a) {
                        return None;
                    }
                    roots.push(read(a));
                }
            }
            None if c.store.instance_module(InstanceId(r.instance)).uses_gc_refs => return None,
            None => {}
        }
        if next <= fp {
            return None;
        }
        fp = next;
    }
    Some(roots)
}

/// Collect with the roots of this run (JIT frames, the allocation's own
/// operands, the store's), or put it off when the frames cannot be read.
fn jit_collect(c: &mut Cx<'_>, fp: u64, func_index: u32, op: &crate::ir::GcOp, operands: &[u64]) {
    use crate::interp::gc;
    if c.store.gc.foreign_frames > 0 {
        return gc::postpone(c.store);
    }
    match jit_roots(c, fp, func_index) {
        Some(mut roots) => {
            gc_operand_refs(c.store, op, operands, &mut roots);
            gc::store_roots(c.store, &mut roots);
            gc::collect_from(c.store, &roots);
        }
        None => gc::postpone(c.store),
    }
}

extern "C" fn lc_gc(
    vmctx: *mut VmCtx,
    op: u32,
    a: u32,
    b: u32,
    slots: *mut u64,
    inputs: u32,
    fp: u64,
) {
    use crate::interp::gc;
    let mut c = cx(vmctx);
    let (kind, func_index) = (op & 0xff, op >> 8);
    let x = gc_op(c.store, c.instance, kind, a, b);
    let n = inputs as usize;
    // SAFETY: generated code passes an area of `inputs` operand slots and
    // `translate::GC_RESULT_SLOTS` more (what any GC op writes past them).
    let area =
        unsafe { std::slice::from_raw_parts_mut(slots, n + super::translate::GC_RESULT_SLOTS) };
    let r = if gc::allocates(&x) {
        let mut collected = false;
        if c.store.gc.wants_collection(0) {
            jit_collect(&mut c, fp, func_index, &x, &area[..n]);
            collected = true;
        }
        match gc::run(c.store, area, n, &x) {
            Err(TrapCode::GcHeapExhausted) if !collected => {
                jit_collect(&mut c, fp, func_index, &x, &area[..n]);
                gc::run(c.store, area, n, &x)
            }
            r => r,
        }
    } else {
        gc::run(c.store, area, n, &x)
    };
    if let Err(code) = r {
        c.run.frames.clear();
        c.trap(match code {
            TrapCode::NullStructReference => trap_word::NULL_STRUCT_REFERENCE,
            TrapCode::NullArrayReference => trap_word::NULL_ARRAY_REFERENCE,
            TrapCode::NullI31Reference => trap_word::NULL_I31_REFERENCE,
            TrapCode::ArrayOutOfBounds => trap_word::ARRAY_OOB,
            TrapCode::CastFailure => trap_word::CAST_FAILURE,
            TrapCode::GcHeapExhausted => trap_word::GC_HEAP_EXHAUSTED,
            TrapCode::TableOutOfBounds => trap_word::TABLE_OOB,
            _ => trap_word::DATA_OOB,
        });
    }
}
