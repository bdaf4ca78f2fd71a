//! The Cranelift backends: wasm -> CLIF ([`translate`]), the vmctx layout
//! ([`env`], [`vm`]), the JIT (`JITModule`) and the AOT forms ([`aot`]: a
//! universal module with a `wdb.aot` custom section, or a shared object).
//!
//! Code runs on the SAME [`Store`] the interpreter uses: memories are the
//! store's bytes, globals are the store's cells, tables and segments are
//! reached through libcalls. Traps come back as the same [`Trap`] values the
//! interpreter produces, with an exact wasm backtrace: explicit checks, except
//! linear-memory accesses on x86-64 Linux, whose faults in guard pages
//! [`guard`] turns into the trap.
//!
//! Usage: `let mut jit = JitEngine::new(OptLevel::Speed);` then
//! `jit.call(&mut store, func_addr, &args, &mut ctl)`. Each function is
//! compiled on its first call (calls go through the vmctx's function
//! entries; a null entry asks the `Resolve` libcall to compile), or the
//! module is given precompiled code with [`JitEngine::add_compiled`] (AOT).
//! A `JitEngine` belongs to one store.
//!
//! For the debugger: every function keeps a frame-pointer chain and a map
//! from native offsets to wasm `code_offset`s (Cranelift's srclocs), so a
//! [`DebugHook`] gets the live JIT frames (`vm::walk_frames`); the interrupt
//! check at function entries and loop headers calls the hook with the
//! function's locals spilled, and the JIT code resumes when it returns.
//!
//! Differences from the interpreter: fuel counts the same unit (the
//! interpreter's ops, one per wasm instruction) and runs out at the same
//! instruction; call-stack profiles come from code compiled with counters
//! ([`prof`]) and watchpoints from code compiled with store checks
//! (`CompileOptions::watch_stores`); `RunControl` instruction counters are
//! not supported; a host function's `request_pause` is ignored.
//!
//! Files: this one holds the public types ([`CompiledModule`], [`JitEngine`],
//! [`DebugHook`] and what it sees); `code.rs` compiles or loads a module's
//! code; `engine.rs` is `JitEngine`'s set-up and calls; `vm/` the call
//! boundary (vmctx layout and libcalls); `patch.rs` the breakpoint entry
//! patches; `guard.rs` the signal handlers.

pub mod aot;
mod code;
mod compile;
mod dylib;
mod engine;
mod env;
mod guard;
mod liveness;
mod patch;
pub mod prof;
#[cfg(test)]
mod tests_wasm3;
mod translate;
mod vm;
pub(crate) use vm::call_from_host;

use code::{ensure_compiled, new_jit_module};
use engine::run_outcome;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cranelift_jit::JITModule;

use crate::error::{Error, Result};
use crate::interp::{PauseReason, RunOutcome};
use crate::module::Module;
use crate::runtime::store::FuncKind;
use crate::runtime::{InstanceId, Store};
use crate::value::{FuncAddr, Value};
use compile::{Compiler, GcFrameMap, SrcRange};
use env::NUM_LIBCALLS;
use vm::{CodeRange, FuncEntry, MemCell, RtState, VmCtx};

pub use prof::{CompileOptions, JitProfile};

/// Cranelift optimisation level (`--opt-level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OptLevel {
    None,
    #[default]
    Speed,
    SpeedAndSize,
}

impl OptLevel {
    pub(crate) fn cranelift_name(self) -> &'static str {
        match self {
            OptLevel::None => "none",
            OptLevel::Speed => "speed",
            OptLevel::SpeedAndSize => "speed_and_size",
        }
    }

    /// `none|speed|speed_and_size`, or `0|1|2` (`-O0..-O2`).
    pub fn parse(s: &str) -> Option<OptLevel> {
        match s {
            "none" | "0" | "O0" => Some(OptLevel::None),
            "speed" | "1" | "O1" => Some(OptLevel::Speed),
            "speed_and_size" | "2" | "O2" => Some(OptLevel::SpeedAndSize),
            _ => None,
        }
    }
}

/// Where a compiled module's code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSource {
    Jit,
    /// Loaded from a universal module's `wdb.aot` section.
    AotSection,
    /// Loaded from a shared object (`wdb compile -o X.so`).
    SharedObject,
    /// Loaded from a code cache entry (an earlier JIT compile of the same bytes).
    Cache,
}

#[allow(clippy::large_enum_variant)]
enum CodeHolder {
    Jit(#[allow(dead_code)] JITModule),
    Dylib(#[allow(dead_code)] libloading::Library),
    /// The JIT module is in [`CompiledModule::lazy`].
    Lazy,
}

/// Native code for the functions of one module: all of them (AOT forms,
/// [`CompiledModule::compile_eager`]) or each on its first call
/// ([`CompiledModule::compile`]).
pub struct CompiledModule {
    module: Arc<Module>,
    _code: CodeHolder,
    /// Body and array-call wrapper pointers, by defined-function index
    /// (empty when lazy: see `lazy`).
    bodies: Vec<*const u8>,
    wrappers: Vec<*const u8>,
    /// Per body (by defined-function index): native length and source map
    /// (empty for shared objects, which carry none).
    maps: Vec<(usize, Arc<[SrcRange]>, Option<Arc<GcFrameMap>>)>,
    /// The lazy JIT's compiler and what it compiled so far.
    lazy: Option<Mutex<LazyCode>>,
    pub source: CodeSource,
    /// Compile (or load) time; for the lazy JIT, only the set-up: each
    /// function's compile time counts in the run that first calls it.
    pub compile_time: Duration,
    /// How the code was built (instrumented for profiling or plain).
    pub options: CompileOptions,
}

/// A function's native code.
#[derive(Clone)]
pub(crate) struct FuncCodeRef {
    pub body: *const u8,
    pub wrapper: *const u8,
    pub len: usize,
    pub srclocs: Arc<[SrcRange]>,
    /// See `FuncCode::locals_at`.
    pub locals_at: Option<i32>,
    /// See `FuncCode::gc`.
    pub gc: Option<Arc<GcFrameMap>>,
}

struct LazyCode {
    compiler: Compiler<JITModule>,
    /// By defined-function index; `None` until first called.
    funcs: Vec<Option<FuncCodeRef>>,
    /// Declared Cranelift ids (body, wrapper), by defined-function index.
    ids: Vec<Option<(cranelift_module::FuncId, cranelift_module::FuncId)>>,
    /// Why a batch failed to compile: functions of that batch may already
    /// be defined with relocations to ones that never will be, so this
    /// module's lazy code cannot be finalized again and every later
    /// request gets the same error.
    failed: Option<Error>,
}

/// "with fuel checks", "without fuel checks or profiling counters", ... for a fingerprint
/// suffix (`CompileOptions::fingerprint_suffix`).
fn describe_options(suffix: &str) -> String {
    let parts: Vec<&str> = suffix
        .split(" +")
        .filter(|p| !p.is_empty())
        .map(|p| match p {
            "fuel" => "fuel checks",
            "profile" => "profiling counters",
            "breakpoints" => "breakpoint checks",
            "watch" => "store checks for watchpoints",
            "rwatch" => "load checks for watchpoints",
            other => other,
        })
        .collect();
    if parts.is_empty() {
        "without fuel checks, profiling counters or breakpoint checks".into()
    } else {
        format!("with {}", parts.join(" and "))
    }
}

/// The fingerprint of code compiled on this machine at `opt` (wdb and
/// Cranelift versions, target, CPU features, opt level): what a `wdb.aot`
/// section or a code cache entry must match to be loaded.
pub fn fingerprint(opt: OptLevel) -> String {
    compile::host_isa(opt, false)
        .map(|isa| compile::fingerprint(&*isa, opt))
        .unwrap_or_else(|e| format!("no host ISA: {e}"))
}

/// Compile-or-load, for runners (`wdb run --mode jit|aot`): a module with a
/// valid `wdb.aot` section uses its code; one whose section was made for
/// another machine or wdb version is JIT-compiled with a warning (returned,
/// for the caller to print); a damaged section is an error.
pub fn compile_or_load(
    module: Arc<Module>,
    opt: OptLevel,
) -> Result<(CompiledModule, Option<String>)> {
    match CompiledModule::load_aot(module.clone()) {
        Ok(Some(c)) => Ok((c, None)),
        Ok(None) => Ok((CompiledModule::compile(module, opt)?, None)),
        Err(e) if e.kind == crate::ErrorKind::Malformed => Err(e),
        Err(e) => {
            let warning = format!("{}; compiling with the JIT instead", e.message);
            Ok((CompiledModule::compile(module, opt)?, Some(warning)))
        }
    }
}

/// Runs a function that JIT code entered while its break flag was set (see
/// [`JitEngine::call_debug`]): typically in the interpreter, on the same
/// store, pausing for the user as it likes. Returning `Returned(results)`
/// resumes the JIT code with those results; any other outcome (a trap, an
/// exit, `Paused` for "abandon the run") unwinds the JIT frames and becomes
/// the call's outcome, with the JIT frames appended to a trap's backtrace.
pub trait DebugHook {
    /// `frames` are the JIT frames below the entered function, innermost
    /// first (its caller first), each at the call site's `code_offset`.
    fn enter(
        &mut self,
        store: &mut Store,
        func: FuncAddr,
        args: &[Value],
        frames: &[JitFrame],
        flags: &mut BreakFlags<'_>,
    ) -> RunOutcome;

    /// JIT code saw the interrupt flag (at a function entry or a loop
    /// header): `stop.frames[0]` is where. Clear the flag before resuming.
    fn interrupted(
        &mut self,
        _store: &mut Store,
        _stop: JitStop,
        _flags: &mut BreakFlags<'_>,
    ) -> AfterInterrupt {
        AfterInterrupt::Unwind(RunOutcome::Paused(PauseReason::Interrupted))
    }

    /// JIT code compiled with watch checks (`CompileOptions::watch_stores`)
    /// made a watched access: `stop.frames[0]` is right after it (no
    /// locals, no takeover) and `reason` a `PauseReason::Watchpoint` with
    /// the old and new bytes. By default, as an interrupt.
    fn watched(
        &mut self,
        store: &mut Store,
        stop: JitStop,
        reason: PauseReason,
        flags: &mut BreakFlags<'_>,
    ) -> AfterInterrupt {
        let _ = reason;
        self.interrupted(store, stop, flags)
    }

    /// A wasm call the hook wants made as native code before it answers
    /// (`next` over a call in a function the hook interprets), asked after
    /// each answer of `enter`, `interrupted` and `watched`. While there is
    /// one, the engine makes it, nested in the run (its entries of flagged
    /// functions come to this hook again), and reports it to
    /// [`DebugHook::native_returned`], whose answer replaces the one given.
    fn native_call(&mut self) -> Option<NativeCall> {
        None
    }

    /// The call [`DebugHook::native_call`] asked for ended with `outcome`.
    /// The answer is to the hook call that asked for it: for `enter`, the
    /// outcome; for `interrupted` and `watched`, with `true` the interpreter
    /// took the call over (`AfterInterrupt::TookOver`), else `Returned`
    /// resumes and anything else unwinds.
    fn native_returned(
        &mut self,
        store: &mut Store,
        outcome: RunOutcome,
        flags: &mut BreakFlags<'_>,
    ) -> (RunOutcome, bool) {
        let _ = (store, flags);
        (outcome, false)
    }

    /// Asked once the hook answered `enter` with `Returned`, or
    /// `interrupted` with `TookOver(Returned)` (after any native calls):
    /// with `true`, the JIT caller of that call does not go on with the
    /// results but hands its frame to the hook right after the call, as an
    /// interrupt there with `JitStop::operands` (the hook then takes the
    /// rest of it over, `Execution::after_call`). Only for a caller with
    /// [`JitFrame::deopt`] set.
    fn deopt_caller(&mut self) -> bool {
        false
    }
}

/// A call a [`DebugHook`] has the engine make as native code.
#[derive(Debug, Clone)]
pub struct NativeCall {
    pub func: FuncAddr,
    pub args: Vec<Value>,
    /// The call depth it starts at (the frames below it, interpreted and
    /// native), for the depth limit.
    pub depth: u32,
}

/// What JIT code does after [`DebugHook::interrupted`].
#[derive(Debug)]
pub enum AfterInterrupt {
    /// Go on from where it stopped.
    Resume,
    /// The rest of the interrupted call ran elsewhere (the interpreter,
    /// from where it stopped: see [`JitStop::takeover`]) with this outcome:
    /// `Returned` results go to its JIT caller; anything else unwinds the
    /// run (the outcome's backtrace has the interrupted frame).
    TookOver(RunOutcome),
    /// Unwind the run with this outcome.
    Unwind(RunOutcome),
}

/// A live frame of JIT code, found by walking the native frame-pointer chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitFrame {
    pub func: FuncAddr,
    pub instance: InstanceId,
    pub func_index: u32,
    /// The instruction in progress: a call site, or where an interrupt was seen.
    pub code_offset: u32,
    /// Code for the debugger that keeps this frame's locals: when the call
    /// it is making returns, the frame can hand the rest of its call to the
    /// interpreter ([`DebugHook::deopt_caller`]).
    pub deopt: bool,
}

/// Where JIT code stopped for an interrupt.
#[derive(Debug, Clone)]
pub struct JitStop {
    /// Innermost first; `frames[0]` is the function that saw the flag.
    pub frames: Vec<JitFrame>,
    /// Params then declared locals of `frames[0]`, as they were there;
    /// `None`: not live there (never read again before it is written), so
    /// the code kept no value. Empty when the function keeps no locals for
    /// the debugger (no DWARF, or too many locals).
    pub locals: Vec<Option<Value>>,
    /// The interpreter can run the rest of the call from here (a loop
    /// header with nothing on the operand stack, every live local in
    /// `locals`): `Execution::at_loop_header`, then
    /// [`AfterInterrupt::TookOver`].
    pub takeover: bool,
    /// Stopped right after the call at `frames[0].code_offset` returned
    /// ([`DebugHook::deopt_caller`]): the operand stack below that call's
    /// results, in the interpreter's slots (a `v128` takes two), bottom
    /// first. The results are the ones the hook returned. `takeover` is
    /// set; the answer must be `TookOver`.
    pub operands: Option<Vec<u64>>,
}

/// The per-function break flags of a run, to change them from a hook.
pub struct BreakFlags<'a> {
    pub(crate) tables: &'a mut Vec<Box<[u8]>>,
}

impl BreakFlags<'_> {
    /// Flag exactly `funcs` (store addresses; host functions are ignored).
    pub fn set(&mut self, store: &Store, funcs: &HashSet<FuncAddr>) {
        fill_break_tables(self.tables, store, funcs);
    }

    /// Flag every function: the next entry of any goes to the hook.
    pub fn set_all(&mut self) {
        for t in self.tables.iter_mut() {
            t.fill(patch::FLAG_ALL);
        }
    }
}

fn fill_break_tables(tables: &mut [Box<[u8]>], store: &Store, funcs: &HashSet<FuncAddr>) {
    for t in tables.iter_mut() {
        t.fill(0);
    }
    for &f in funcs {
        if let Some(FuncKind::Wasm {
            instance, index, ..
        }) = store.funcs.get(f as usize).map(|x| &x.kind)
            && let Some(t) = tables.get_mut(instance.0 as usize)
            && let Some(b) = t.get_mut(*index as usize)
        {
            *b = 1;
        }
    }
}

/// Per-instance runtime data. Boxed: generated code holds its address.
pub(crate) struct InstanceVm {
    vmctx: VmCtx,
    globals: Vec<*mut u64>,
    /// The memory cells, by memory index (`VmCtx::mems`).
    mems: Vec<*mut MemCell>,
    funcs: Vec<FuncEntry>,
    compiled: Arc<CompiledModule>,
}

/// Pauses a debug run's generated code from another thread, wherever it
/// is, even code without interrupt checks that resume (plain JIT and AOT
/// code, a loop without calls): the thread is signalled, and at an
/// instruction of a function body it calls into the debug hook
/// ([`DebugHook::interrupted`], with no locals and no takeover) with every
/// register saved. x86-64 Linux only ([`PauseHandle::supported`]).
#[derive(Clone, Default)]
pub struct PauseHandle(Arc<PauseShared>);

#[derive(Default)]
pub(crate) struct PauseShared {
    /// Asked for and not taken yet.
    pub pending: std::sync::atomic::AtomicBool,
    /// The thread running the debug call, while it runs.
    thread: Mutex<Option<u64>>,
}

impl PauseHandle {
    /// Whether pauses work on this platform.
    pub fn supported() -> bool {
        guard::GUARD_PAGES
    }

    /// Ask the running debug call to pause, or ask again: the request
    /// stays pending while the thread is somewhere it cannot pause (host
    /// code, a function's prologue), so call this until
    /// [`PauseHandle::pending`] is false. Returns false when no debug call
    /// is running.
    pub fn request(&self) -> bool {
        let thread = self.0.thread.lock().unwrap_or_else(|e| e.into_inner());
        let Some(t) = *thread else {
            return false;
        };
        self.0.pending.store(true, Ordering::SeqCst);
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        guard::signal_pause(t as libc::pthread_t);
        #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
        let _ = t;
        true
    }

    /// A request not taken yet.
    pub fn pending(&self) -> bool {
        self.0.pending.load(Ordering::SeqCst)
    }

    /// Withdraw a request not taken yet.
    pub fn cancel(&self) {
        self.0.pending.store(false, Ordering::SeqCst);
    }
}

// Boxes on purpose: generated code and libcalls hold raw pointers to the
// vmctxs and to these vectors, so their addresses must not move.
#[allow(clippy::vec_box, clippy::box_collection)]
/// Runs compiled code on a [`Store`]. Owns the compiled modules (by module
/// identity), the per-instance vmctxs and the run state.
pub struct JitEngine {
    opt: OptLevel,
    modules: HashMap<usize, Arc<CompiledModule>>,
    instances: Vec<Box<InstanceVm>>,
    rt: Box<RtState>,
    libcalls: Box<[usize; NUM_LIBCALLS]>,
    mems: Box<Vec<MemCell>>,
    entries: Box<Vec<FuncEntry>>,
    wrappers: Box<Vec<*const u8>>,
    /// Break flags by instance, then function index (all zero without a hook).
    break_tables: Box<Vec<Box<[u8]>>>,
    /// Native code start -> body, to walk JIT frames (see `vm::walk_frames`).
    code_map: Box<BTreeMap<usize, CodeRange>>,
    /// Native stack for a run (generated code recurses on it).
    pub stack_size: usize,
    /// Compile fuel checks into modules compiled on first use
    /// (`CompileOptions::fuel`): needed to call with `RunControl::fuel`.
    pub fuel: bool,
    /// Address of the store last run on: per-instance data is rebuilt when it changes.
    store_id: usize,
    /// Entry patches for breakpoints (see `patch`), during debug runs.
    patches: Box<patch::Patches>,
    /// Pauses from another thread during debug runs.
    pause: PauseHandle,
    /// The interrupt flag generated code polls, instead of the store's:
    /// for a debugger that turns the store's flag into pauses
    /// ([`PauseHandle`]) and sets this one to end the call instead.
    pub interrupt_flag: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// Counters for code compiled with `CompileOptions::profile`; modules
    /// compiled on first use are instrumented while one is attached.
    profile: Option<Arc<JitProfile>>,
}

impl std::fmt::Debug for JitEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitEngine")
            .field("opt", &self.opt)
            .field("modules", &self.modules.len())
            .finish_non_exhaustive()
    }
}
