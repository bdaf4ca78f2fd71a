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
//!
//! The libcalls live by concern: [`libcalls`] (traps, memory, tables, host
//! calls, lazy compilation, exceptions), [`debug`] (interrupts, pauses,
//! watched accesses, compiled breakpoint checks, entries of flagged
//! functions) and [`gc`]; this file holds the shared structures, the
//! libcall table, entering native code and walking its frames.

#![allow(unsafe_code)]

mod debug;
mod gc;
mod libcalls;

pub(crate) use debug::{code_body, interrupt_at_address, lc_async_pause};
use debug::{lc_break_hit, lc_enter_debug, lc_interrupt, lc_watch_after, lc_watch_before};
use gc::lc_gc;
pub(crate) use libcalls::call_from_host;
use libcalls::{
    lc_call_host, lc_catch_match, lc_catch_take, lc_data_drop, lc_elem_drop, lc_memory_copy,
    lc_memory_fill, lc_memory_grow, lc_memory_init, lc_resolve, lc_resolve_indirect, lc_table_copy,
    lc_table_fill, lc_table_get, lc_table_grow, lc_table_init, lc_table_set, lc_table_size,
    lc_throw, lc_throw_ref, lc_unwind,
};

use std::collections::BTreeMap;
use std::mem::offset_of;
use std::sync::Arc;

use super::JitFrame;
use super::compile::{SrcRange, code_offset_at};
use super::env::{Libcall, NUM_LIBCALLS, VmLayout, trap_word};
use crate::runtime::{InstanceId, Store};
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
