//! The Cranelift backends: wasm -> CLIF ([`translate`]), the vmctx layout
//! ([`env`], [`vm`]), the JIT (`JITModule`) and the AOT forms ([`aot`]: a
//! universal module with a `wdb.aot` custom section, or a shared object).
//!
//! Code runs on the SAME [`Store`] the interpreter uses: memories are the
//! store's bytes, globals are the store's cells, tables and segments are
//! reached through libcalls. Traps are explicit checks (no signal handlers)
//! and come back as the same [`Trap`] values the interpreter produces, with an
//! exact wasm backtrace.
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
//! interpreter's ops, one per wasm instruction) per straight-line stretch,
//! and runs out at the same instruction; `RunControl` counters, profiles and
//! watchpoints are not supported (use the interpreter for those); a host
//! function's `request_pause` is ignored.

pub mod aot;
mod compile;
mod dylib;
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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cranelift_jit::{JITBuilder, JITModule};

use crate::error::{Error, Result};
use crate::interp::{PauseReason, RunControl, RunOutcome};
use crate::module::Module;
use crate::runtime::store::FuncKind;
use crate::runtime::{Caller, HostError, InstanceId, Store};
use crate::trap::{BacktraceFrame, Trap, TrapCode};
use crate::value::{FuncAddr, Value};
use compile::{Compiler, FuncCode, GcFrameMap, SrcRange, jit_error};
use env::{NUM_LIBCALLS, trap_word};
use vm::{CodeRange, Entry, FuncEntry, MemCell, RtState, RunCtx, VmCtx};

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

/// How many functions one lazy compilation may take: the called function
/// and those it reaches by direct calls, so hot call chains are direct
/// calls, while the first call of a huge module stays cheap.
const LAZY_BATCH: usize = 1000;

/// `first` and the defined functions it reaches by direct calls that
/// `wanted` accepts, breadth first, at most `limit` of them.
fn call_closure(
    module: &Module,
    first: u32,
    wanted: &dyn Fn(u32) -> bool,
    limit: usize,
) -> Vec<u32> {
    let mut out = vec![first];
    let mut seen = HashSet::from([first]);
    let mut i = 0;
    while i < out.len() && out.len() < limit {
        let f = out[i];
        i += 1;
        let Some(body) = module.body(f) else { continue };
        let range = body.range.clone();
        let reader =
            wasmparser::BinaryReader::new(&module.bytes[range.clone()], range.start as u64);
        let Ok(mut ops) = wasmparser::FunctionBody::new(reader).get_operators_reader() else {
            continue;
        };
        while !ops.eof() && out.len() < limit {
            let Ok(op) = ops.read() else { break };
            if let wasmparser::Operator::Call { function_index }
            | wasmparser::Operator::ReturnCall { function_index } = op
                && function_index >= module.num_imported_funcs
                && wanted(function_index)
                && seen.insert(function_index)
            {
                out.push(function_index);
            }
        }
    }
    out
}

impl std::fmt::Debug for CompiledModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModule")
            .field("funcs", &self.bodies.len())
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Address space reserved for one module's code (reserved, not committed):
/// code compiled at different times stays within direct-call range.
const CODE_ARENA: usize = 1 << 30;

fn new_jit_module(opt: OptLevel) -> Result<JITModule> {
    let isa = compile::host_isa(opt, false)?;
    let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    let arena = cranelift_jit::ArenaMemoryProvider::new_with_size(CODE_ARENA)
        .map_err(|e| jit_error(format!("cannot reserve code memory: {e}")))?;
    builder.memory_provider(Box::new(arena));
    Ok(JITModule::new(builder))
}

impl CompiledModule {
    /// JIT code for `module`, each function compiled on its first call (so
    /// load-to-first-call costs what runs, not the module's size). A
    /// function that fails to compile traps where it is called.
    pub fn compile(module: Arc<Module>, opt: OptLevel) -> Result<CompiledModule> {
        Self::compile_lazy(module, opt, false, CompileOptions::default())
    }

    /// As [`CompiledModule::compile`] (lazy), with `options` (e.g. a
    /// profiling build).
    pub fn compile_lazy_with(
        module: Arc<Module>,
        opt: OptLevel,
        options: CompileOptions,
    ) -> Result<CompiledModule> {
        Self::compile_lazy(module, opt, false, options)
    }

    /// As [`CompiledModule::compile`], for the debugger: the interrupt check
    /// calls the debug hook and resumes when it returns (plain code unwinds
    /// at once, which keeps its hot paths free of the slow path's cost).
    pub fn compile_for_debugger(module: Arc<Module>, opt: OptLevel) -> Result<CompiledModule> {
        Self::compile_for_debugger_with(module, opt, false, false)
    }

    /// As [`CompiledModule::compile_for_debugger`], with stores (and loads)
    /// checked against the run's watched ranges (`CompileOptions::watch_stores`,
    /// `watch_loads`): the code the debugger runs while watchpoints exist.
    pub fn compile_for_debugger_with(
        module: Arc<Module>,
        opt: OptLevel,
        watch_stores: bool,
        watch_loads: bool,
    ) -> Result<CompiledModule> {
        let options = CompileOptions {
            breakpoints: !patch::PATCHED_BREAKPOINTS,
            watch_stores,
            watch_loads,
            ..CompileOptions::default()
        };
        Self::compile_lazy(module, opt, true, options)
    }

    fn compile_lazy(
        module: Arc<Module>,
        opt: OptLevel,
        resumable: bool,
        options: CompileOptions,
    ) -> Result<CompiledModule> {
        let start = Instant::now();
        let n = (module.num_funcs() - module.num_imported_funcs) as usize;
        let mut compiler = Compiler::new(new_jit_module(opt)?);
        compiler.resumable_interrupts = resumable;
        compiler.options = options;
        Ok(CompiledModule {
            module,
            _code: CodeHolder::Lazy,
            bodies: Vec::new(),
            wrappers: Vec::new(),
            maps: Vec::new(),
            lazy: Some(Mutex::new(LazyCode {
                compiler,
                funcs: vec![None; n],
                ids: vec![None; n],
                failed: None,
            })),
            source: CodeSource::Jit,
            compile_time: start.elapsed(),
            options,
        })
    }

    /// JIT-compile every function of `module` now.
    pub fn compile_eager(module: Arc<Module>, opt: OptLevel) -> Result<CompiledModule> {
        Self::compile_with_progress(module, opt, &mut |_, _| {})
    }

    /// As [`CompiledModule::compile`], reporting `(done, total)` functions.
    pub fn compile_with_progress(
        module: Arc<Module>,
        opt: OptLevel,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<CompiledModule> {
        Self::compile_with(module, opt, CompileOptions::default(), progress)
    }

    /// As [`CompiledModule::compile_with_progress`] (eager), with `options`
    /// (e.g. a profiling build).
    pub fn compile_with(
        module: Arc<Module>,
        opt: OptLevel,
        options: CompileOptions,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<CompiledModule> {
        Self::compile_all_keeping_code(module, opt, options, progress).map(|(c, _)| c)
    }

    /// Compile every function now; also return the machine code (what a
    /// `wdb.aot` payload saves).
    fn compile_all_keeping_code(
        module: Arc<Module>,
        opt: OptLevel,
        options: CompileOptions,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(CompiledModule, Vec<FuncCode>)> {
        let start = Instant::now();
        let mut c = Compiler::new(new_jit_module(opt)?);
        c.options = options;
        // Declare, define, finalize.
        let ids = c.declare(&module)?;
        let code = c.compile_all(&module, &ids, progress)?;
        let compiled = Self::finalize(
            module,
            c.module,
            &ids,
            &code,
            CodeSource::Jit,
            start,
            options,
        )?;
        Ok((compiled, code))
    }

    /// JIT-compile every function, and also return the code as a `wdb.aot`
    /// section payload, for a code cache to keep (see
    /// [`CompiledModule::load_aot_payload`]).
    pub fn compile_with_payload(
        module: Arc<Module>,
        opt: OptLevel,
        options: CompileOptions,
    ) -> Result<(CompiledModule, Vec<u8>)> {
        let (compiled, code) =
            Self::compile_all_keeping_code(module, opt, options, &mut |_, _| {})?;
        let payload =
            aot::encode_payload(fingerprint(opt) + &options.fingerprint_suffix(), opt, code)?;
        Ok((compiled, payload))
    }

    /// Load code saved by `wdb compile` in the module's `wdb.aot` section.
    /// `Ok(None)` when there is no section; an error when it is damaged or
    /// was made for another machine/version (the caller warns and JITs).
    pub fn load_aot(module: Arc<Module>) -> Result<Option<CompiledModule>> {
        Self::load_aot_with(module, CompileOptions::AOT)
    }

    /// As [`CompiledModule::load_aot`], for code built with `options` (an
    /// image built with other options is "for another machine": an error).
    pub fn load_aot_with(
        module: Arc<Module>,
        options: CompileOptions,
    ) -> Result<Option<CompiledModule>> {
        // The last section wins: `aot::compile_universal` appends a new one
        // to a module that may already have one.
        let Some(range) = module
            .custom_sections
            .iter()
            .rev()
            .find(|c| c.name == aot::SECTION)
            .map(|c| c.data.clone())
        else {
            return Ok(None);
        };
        let bytes = module.clone();
        Self::load_payload(module, &bytes.bytes[range], CodeSource::AotSection, options).map(Some)
    }

    /// Load code from a `wdb.aot` payload kept apart from the module (a code
    /// cache entry made by [`CompiledModule::compile_with_payload`] for these
    /// exact module bytes and `options`: the caller checks that). Errors
    /// as for [`CompiledModule::load_aot`].
    pub fn load_aot_payload(
        module: Arc<Module>,
        payload: &[u8],
        options: CompileOptions,
    ) -> Result<CompiledModule> {
        Self::load_payload(module, payload, CodeSource::Cache, options)
    }

    fn load_payload(
        module: Arc<Module>,
        section: &[u8],
        source: CodeSource,
        options: CompileOptions,
    ) -> Result<CompiledModule> {
        let start = Instant::now();
        let saved = aot::decode(section)?;
        let opt = saved.opt;
        let isa = compile::host_isa(opt, false)?;
        let base = compile::fingerprint(&*isa, opt);
        let here = base.clone() + &options.fingerprint_suffix();
        if saved.fingerprint != here {
            if let Some(suffix) = saved.fingerprint.strip_prefix(&base) {
                return Err(Error::new(
                    crate::ErrorKind::Other,
                    format!(
                        "the AOT code was compiled {}; this run needs code {}",
                        describe_options(suffix),
                        describe_options(&options.fingerprint_suffix())
                    ),
                ));
            }
            return Err(Error::new(
                crate::ErrorKind::Other,
                format!(
                    "AOT code was compiled for `{}`, this machine is `{}`",
                    saved.fingerprint, here
                ),
            ));
        }
        let mut c = Compiler::new(new_jit_module(opt)?);
        let ids = c.declare(&module)?;
        c.define_all(&ids, &saved.funcs)?;
        Self::finalize(module, c.module, &ids, &saved.funcs, source, start, options)
    }

    fn finalize(
        module: Arc<Module>,
        mut jit: JITModule,
        ids: &compile::FuncIds,
        code: &[FuncCode],
        source: CodeSource,
        start: Instant,
        options: CompileOptions,
    ) -> Result<CompiledModule> {
        let maps = code[..ids.bodies.len()]
            .iter()
            .map(|c| (c.bytes.len(), Arc::from(c.srclocs.as_slice()), c.gc.clone()))
            .collect();
        jit.finalize_definitions().map_err(jit_error)?;
        let bodies = ids
            .bodies
            .iter()
            .map(|id| jit.get_finalized_function(*id))
            .collect();
        let wrappers = ids
            .wrappers
            .iter()
            .map(|id| jit.get_finalized_function(*id))
            .collect();
        Ok(CompiledModule {
            module,
            _code: CodeHolder::Jit(jit),
            bodies,
            wrappers,
            maps,
            lazy: None,
            source,
            compile_time: start.elapsed(),
            options,
        })
    }

    pub fn module(&self) -> &Arc<Module> {
        &self.module
    }

    /// How many functions have native code (all but the never-called ones
    /// under the lazy JIT).
    pub fn compiled_functions(&self) -> usize {
        match &self.lazy {
            None => self.bodies.len(),
            Some(l) => l
                .lock()
                .map_or(0, |l| l.funcs.iter().filter(|f| f.is_some()).count()),
        }
    }

    /// Defined function `d`'s code, if compiled.
    pub(crate) fn code(&self, d: usize) -> Option<FuncCodeRef> {
        match &self.lazy {
            None => Some(FuncCodeRef {
                body: *self.bodies.get(d)?,
                wrapper: self.wrappers[d],
                len: self.maps[d].0,
                srclocs: self.maps[d].1.clone(),
                locals_at: None,
                gc: self.maps[d].2.clone(),
            }),
            Some(l) => l.lock().ok()?.funcs.get(d)?.clone(),
        }
    }

    /// Defined function `d`'s code, compiling it now if needed, with
    /// whatever else was compiled along with it (by defined index, `d` first).
    pub(crate) fn code_or_compile(&self, d: usize) -> Result<Vec<(usize, FuncCodeRef)>> {
        let Some(lazy) = &self.lazy else {
            return self
                .code(d)
                .map(|c| vec![(d, c)])
                .ok_or_else(|| jit_error(format!("no code for defined function {d}")));
        };
        let mut l = lazy
            .lock()
            .map_err(|_| jit_error("the lazy JIT's lock is poisoned"))?;
        if let Some(Some(c)) = l.funcs.get(d) {
            return Ok(vec![(d, c.clone())]);
        }
        if let Some(e) = &l.failed {
            return Err(e.clone());
        }
        let imports = self.module.num_imported_funcs;
        let l = &mut *l;
        let funcs = &l.funcs;
        let batch = call_closure(
            &self.module,
            imports + d as u32,
            &|f| funcs[(f - imports) as usize].is_none(),
            LAZY_BATCH,
        );
        let code = match l
            .compiler
            .compile_batch(&self.module, &batch, &mut l.ids, &|x| funcs[x].is_some())
        {
            Ok(code) => code,
            Err(e) => {
                l.failed = Some(e.clone());
                return Err(e);
            }
        };
        l.compiler
            .module
            .finalize_definitions()
            .map_err(jit_error)?;
        for (f, code) in batch.iter().zip(code) {
            let x = (f - imports) as usize;
            let (body, wrapper) = l.ids[x].expect("declared by compile_batch");
            l.funcs[x] = Some(FuncCodeRef {
                body: l.compiler.module.get_finalized_function(body),
                wrapper: l.compiler.module.get_finalized_function(wrapper),
                len: code.bytes.len(),
                srclocs: Arc::from(code.srclocs.as_slice()),
                locals_at: code.locals_at,
                gc: code.gc.clone(),
            });
        }
        Ok(batch
            .iter()
            .map(|f| {
                let x = (f - imports) as usize;
                (x, l.funcs[x].clone().expect("compiled in this batch"))
            })
            .collect())
    }
}

impl Drop for CompiledModule {
    fn drop(&mut self) {
        // Nothing can call this code any more: engines hold the compiled
        // module (an `Arc`) for as long as they keep pointers into it.
        if let CodeHolder::Jit(m) = std::mem::replace(&mut self._code, CodeHolder::Lazy) {
            vm::free_code(m);
        }
        if let Some(Ok(l)) = self.lazy.take().map(Mutex::into_inner) {
            vm::free_code(l.compiler.module);
        }
    }
}

/// Make sure store function `addr` has native code (compiling it if it is
/// a wasm function not compiled yet) and point every entry for it at the
/// code. Host functions are left alone.
fn ensure_compiled(
    instances: &mut [Box<InstanceVm>],
    entries: &mut [FuncEntry],
    wrappers: &mut [*const u8],
    code_map: &mut BTreeMap<usize, CodeRange>,
    store: &Store,
    addr: FuncAddr,
) -> Result<()> {
    if !entries[addr as usize].code.is_null() {
        return Ok(());
    }
    let FuncKind::Wasm {
        instance, index, ..
    } = store.funcs[addr as usize].kind
    else {
        return Ok(());
    };
    let compiled = instances[instance.0 as usize].compiled.clone();
    let imports = compiled.module.num_imported_funcs;
    let d = (index - imports) as usize;
    for (x, c) in compiled.code_or_compile(d)? {
        let index = imports + x as u32;
        let mut first = None;
        for (i, ivm) in instances.iter_mut().enumerate() {
            if !Arc::ptr_eq(&ivm.compiled, &compiled) {
                continue;
            }
            first.get_or_insert(i as u32);
            let a = store.instance(InstanceId(i as u32)).funcs[index as usize] as usize;
            ivm.funcs[index as usize].code = c.body;
            entries[a].code = c.body;
            wrappers[a] = c.wrapper;
        }
        code_map.entry(c.body as usize).or_insert(CodeRange {
            end: c.body as usize + c.len,
            instance: first.unwrap_or(instance.0),
            func_index: index,
            srclocs: c.srclocs,
            locals_at: c.locals_at,
            gc: c.gc,
        });
    }
    Ok(())
}

/// What an uncaught exception's trap says (the interpreter's words):
/// `uncaught exception NAME(payload...)`.
/// What a run (or a call nested in one: `vm::nested_call`) ended with,
/// from its trap word: `returned` gives the results of a normal return;
/// `run.frames` is the trap's backtrace.
fn run_outcome(
    trap: u32,
    run: &mut RunCtx,
    debug_outcome: Option<RunOutcome>,
    store: &Store,
    returned: impl FnOnce() -> Vec<Value>,
) -> Result<RunOutcome> {
    if trap == trap_word::MEMORY_OOB
        && let Some(first) = run.frames.first_mut()
    {
        let m = store.instance_module(InstanceId(first.0));
        first.2 = guard::faulting_access(m, first.1, first.2);
    }
    let backtrace = || {
        run.frames
            .iter()
            .map(|&(inst, func_index, code_offset)| {
                let m = store.instance_module(InstanceId(inst));
                BacktraceFrame {
                    func_index,
                    func_name: m.func_name(func_index).map(str::to_string),
                    code_offset: Some(code_offset),
                }
            })
            .collect::<Vec<_>>()
    };
    let trapped = |code: TrapCode| {
        let mut t = Trap::new(code);
        t.backtrace = backtrace();
        RunOutcome::Trapped(t)
    };
    Ok(match trap {
        0 => RunOutcome::Returned(returned()),
        trap_word::INTERRUPTED => RunOutcome::Paused(PauseReason::Interrupted),
        trap_word::OUT_OF_FUEL => RunOutcome::OutOfFuel,
        trap_word::EXIT => RunOutcome::Exited(run.exit_code),
        trap_word::DEBUG_OUTCOME => match debug_outcome {
            Some(RunOutcome::Trapped(mut t)) => {
                t.backtrace.extend(backtrace());
                RunOutcome::Trapped(t)
            }
            Some(o) => o,
            None => return Err(jit_error("a debug outcome went missing")),
        },
        trap_word::HOST => {
            let mut t = Trap::host(run.host_message.clone().unwrap_or_default());
            t.backtrace = backtrace();
            RunOutcome::Trapped(t)
        }
        trap_word::UNREACHABLE => trapped(TrapCode::Unreachable),
        trap_word::DIV_ZERO => trapped(TrapCode::IntegerDivideByZero),
        trap_word::OVERFLOW => trapped(TrapCode::IntegerOverflow),
        trap_word::BAD_CONVERSION => trapped(TrapCode::InvalidConversionToInteger),
        trap_word::MEMORY_OOB => trapped(TrapCode::MemoryOutOfBounds),
        trap_word::TABLE_OOB => trapped(TrapCode::TableOutOfBounds),
        trap_word::INDIRECT_MISMATCH => trapped(TrapCode::IndirectCallTypeMismatch),
        trap_word::UNDEFINED_ELEMENT => trapped(TrapCode::UndefinedElement),
        trap_word::UNINITIALIZED_ELEMENT => trapped(TrapCode::UninitializedElement),
        trap_word::NULL_REFERENCE => trapped(TrapCode::NullReference),
        trap_word::STACK_EXHAUSTED => trapped(TrapCode::CallStackExhausted),
        trap_word::NULL_EXN_REFERENCE => trapped(TrapCode::NullExceptionReference),
        trap_word::NULL_FUNC_REFERENCE => trapped(TrapCode::NullFunctionReference),
        trap_word::NULL_STRUCT_REFERENCE => trapped(TrapCode::NullStructReference),
        trap_word::NULL_ARRAY_REFERENCE => trapped(TrapCode::NullArrayReference),
        trap_word::NULL_I31_REFERENCE => trapped(TrapCode::NullI31Reference),
        trap_word::ARRAY_OOB => trapped(TrapCode::ArrayOutOfBounds),
        trap_word::CAST_FAILURE => trapped(TrapCode::CastFailure),
        trap_word::GC_HEAP_EXHAUSTED => trapped(TrapCode::GcHeapExhausted),
        trap_word::DATA_OOB => trapped(TrapCode::MemoryOutOfBounds),
        trap_word::EXCEPTION => {
            let mut t = Trap::new(TrapCode::UncaughtException);
            t.backtrace = backtrace();
            if let Some(exn) = run.exception {
                t.exception = store.exception_info(exn);
            }
            if let Some(info) = &t.exception {
                t.message = uncaught_message(info);
            }
            RunOutcome::Trapped(t)
        }
        other => return Err(jit_error(format!("unknown trap word {other}"))),
    })
}

fn uncaught_message(info: &crate::trap::ExceptionInfo) -> String {
    let name = info
        .tag_name
        .clone()
        .unwrap_or_else(|| format!("tag[{}]", info.tag_index.unwrap_or(info.tag)));
    let payload: Vec<String> = info.payload.iter().map(|v| v.to_string()).collect();
    format!("uncaught exception {name}({})", payload.join(", "))
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

fn module_key(m: &Arc<Module>) -> usize {
    Arc::as_ptr(m) as usize
}

impl JitEngine {
    pub fn new(opt: OptLevel) -> JitEngine {
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        guard::install();
        JitEngine {
            opt,
            modules: HashMap::new(),
            instances: Vec::new(),
            rt: Box::new(RtState {
                trap: 0,
                depth: 0,
                max_depth: 0,
                _pad: 0,
                interrupt: std::ptr::null(),
                fuel: 0,
                stack_limit: 0,
                run: std::ptr::null_mut(),
                stack_top: 0,
                prof: std::ptr::null(),
                interrupt_site: 0,
                results: [0; vm::RESULT_SLOTS],
                watch_lo: 0,
                watch_hi: 0,
            }),
            libcalls: Box::new(vm::libcall_table()),
            mems: Box::default(),
            entries: Box::default(),
            wrappers: Box::default(),
            break_tables: Box::default(),
            code_map: Box::default(),
            stack_size: 512 << 20,
            fuel: false,
            patches: Box::default(),
            pause: PauseHandle::default(),
            interrupt_flag: None,
            store_id: 0,
            profile: None,
        }
    }

    /// The handle that pauses this engine's debug calls from another thread.
    pub fn pause_handle(&self) -> PauseHandle {
        self.pause.clone()
    }

    /// Attach (or detach) the counters of a profiled run. While attached,
    /// modules compiled on first use get the profiling instrumentation;
    /// instrumented code only runs with a profile attached.
    pub fn set_profile(&mut self, profile: Option<Arc<JitProfile>>) {
        self.profile = profile;
    }

    /// Use `compiled` for every instance of its module (e.g. AOT code).
    pub fn add_compiled(&mut self, compiled: Arc<CompiledModule>) {
        self.modules.insert(module_key(&compiled.module), compiled);
    }

    /// The compiled code of `module`, compiling it now if needed.
    pub fn compiled(&mut self, module: &Arc<Module>) -> Result<Arc<CompiledModule>> {
        if let Some(c) = self.modules.get(&module_key(module)) {
            return Ok(c.clone());
        }
        let options = CompileOptions {
            profile: self.profile.is_some(),
            fuel: self.fuel,
            ..CompileOptions::default()
        };
        let c = Arc::new(CompiledModule::compile_lazy_with(
            module.clone(),
            self.opt,
            options,
        )?);
        self.modules.insert(module_key(module), c.clone());
        Ok(c)
    }

    /// Compile what is new in the store and rebuild every vmctx's tables
    /// (global cells move when the store grows, so this runs before each call).
    fn prepare(&mut self, store: &mut Store) -> Result<()> {
        // Only a 32-bit memory 0 goes unchecked (`translate`'s `fast_mem`).
        let unguarded = (0..store.num_instances()).any(|i| {
            store
                .instance(InstanceId(i))
                .memories
                .first()
                .map(|&m| &store.memories[m as usize])
                .is_some_and(|m| !m.ty.memory64 && !m.data.guarded())
        });
        if guard::GUARD_PAGES && unguarded {
            return Err(Error::new(
                crate::ErrorKind::Limit,
                format!(
                    "JIT and AOT code need {} GiB of address space per linear memory \
                     (accesses past its end fault instead of being checked), which this \
                     process could not reserve (is it limited, e.g. `ulimit -v`?); \
                     --mode interp runs without it",
                    crate::runtime::memory::RESERVATION >> 30
                ),
            ));
        }
        // Instance data is by instance id: start over on another store (a
        // moved store merely rebuilds it; compiled code is kept either way).
        let id = store as *const Store as usize;
        if id != self.store_id || self.instances.len() > store.num_instances() as usize {
            self.instances.clear();
            self.code_map.clear();
            self.store_id = id;
        }
        for i in self.instances.len()..store.num_instances() as usize {
            let module = store.instance_module(InstanceId(i as u32)).clone();
            let compiled = self.compiled(&module)?;
            self.instances.push(Box::new(InstanceVm {
                vmctx: VmCtx {
                    rt: std::ptr::null_mut(),
                    mem: std::ptr::null_mut(),
                    mems: std::ptr::null(),
                    globals: std::ptr::null(),
                    funcs: std::ptr::null(),
                    libcalls: std::ptr::null(),
                    instance: i as u32,
                    break_funcs: std::ptr::null(),
                    entries: std::ptr::null(),
                    gc: std::ptr::null_mut(),
                    type_ids: std::ptr::null(),
                },
                globals: Vec::new(),
                mems: Vec::new(),
                funcs: Vec::new(),
                compiled: compiled.clone(),
            }));
            // The first instance of a module names its code's frames.
            let imports = compiled.module.num_imported_funcs;
            for d in 0..(compiled.module.num_funcs() - imports) as usize {
                let Some(c) = compiled.code(d) else {
                    continue;
                };
                let start = c.body as usize;
                self.code_map.entry(start).or_insert_with(|| CodeRange {
                    end: start + c.len,
                    instance: i as u32,
                    func_index: imports + d as u32,
                    srclocs: c.srclocs,
                    locals_at: c.locals_at,
                    gc: c.gc,
                });
            }
        }
        vm::refresh_mem_cells(store, &mut self.mems);
        let n = store.num_funcs() as usize;
        self.entries.clear();
        self.wrappers.clear();
        for addr in 0..n {
            let (code, vmctx, wrapper) = match store.funcs[addr].kind {
                FuncKind::Wasm {
                    instance, index, ..
                } => {
                    let ivm = &mut self.instances[instance.0 as usize];
                    let d = (index - ivm.compiled.module.num_imported_funcs) as usize;
                    // Null until compiled: the first call compiles it.
                    let (body, wrapper) = ivm
                        .compiled
                        .code(d)
                        .map_or((std::ptr::null(), std::ptr::null()), |c| {
                            (c.body, c.wrapper)
                        });
                    (body, &mut ivm.vmctx as *mut VmCtx, wrapper)
                }
                FuncKind::Host(_) => (std::ptr::null(), std::ptr::null_mut(), std::ptr::null()),
            };
            self.entries.push(FuncEntry {
                code,
                vmctx,
                addr: addr as u64,
            });
            self.wrappers.push(wrapper);
        }
        self.break_tables.truncate(self.instances.len());
        for ivm in &self.instances[self.break_tables.len()..] {
            let n = ivm.compiled.module.num_funcs() as usize;
            self.break_tables.push(vec![0u8; n].into_boxed_slice());
        }
        let rt: *mut RtState = &mut *self.rt;
        for (i, ivm) in self.instances.iter_mut().enumerate() {
            ivm.vmctx.break_funcs = self.break_tables[i].as_ptr();
            let data = store.instance(InstanceId(i as u32));
            ivm.funcs = data
                .funcs
                .iter()
                .map(|a| self.entries[*a as usize])
                .collect();
            let globals = data.globals.clone();
            ivm.mems = data
                .memories
                .iter()
                .map(|&m| &mut self.mems[m as usize] as *mut MemCell)
                .collect();
            let mem = data.memories.first().copied();
            ivm.globals = globals.iter().map(|g| vm::global_cell(store, *g)).collect();
            ivm.vmctx.rt = rt;
            ivm.vmctx.mem = match mem {
                Some(m) => &mut self.mems[m as usize],
                None => std::ptr::null_mut(),
            };
            ivm.vmctx.mems = ivm.mems.as_ptr();
            ivm.vmctx.globals = ivm.globals.as_ptr();
            ivm.vmctx.funcs = ivm.funcs.as_ptr();
            ivm.vmctx.libcalls = self.libcalls.as_ptr();
            ivm.vmctx.entries = self.entries.as_ptr();
            ivm.vmctx.type_ids = store.instance(InstanceId(i as u32)).type_ids.as_ptr();
            ivm.vmctx.gc = &mut *store.gc.ctl;
        }
        Ok(())
    }

    /// Call `func` with `args` on `store`. A wrong argument count or type, or
    /// a module that fails to compile, is an `Err`; a trap is an outcome.
    pub fn call(
        &mut self,
        store: &mut Store,
        func: FuncAddr,
        args: &[Value],
        ctl: &mut RunControl,
    ) -> Result<RunOutcome> {
        self.call_inner(store, func, args, ctl, None)
    }

    /// As [`JitEngine::call`], but entering any function in `break_funcs`
    /// (store addresses) calls `hook` instead of its native code; the hook
    /// may change the flags. Functions without a flag cost one byte load and
    /// a branch at entry.
    pub fn call_debug(
        &mut self,
        store: &mut Store,
        func: FuncAddr,
        args: &[Value],
        ctl: &mut RunControl,
        break_funcs: &HashSet<FuncAddr>,
        hook: &mut dyn DebugHook,
    ) -> Result<RunOutcome> {
        self.call_inner(store, func, args, ctl, Some((break_funcs, hook)))
    }

    fn call_inner(
        &mut self,
        store: &mut Store,
        func: FuncAddr,
        args: &[Value],
        ctl: &mut RunControl,
        debug: Option<(&HashSet<FuncAddr>, &mut dyn DebugHook)>,
    ) -> Result<RunOutcome> {
        let ty = store.func_type(func).clone();
        let fits = ty.params().len() == args.len()
            && ty.params().iter().zip(args).all(|(&t, a)| a.fits(t));
        if !fits {
            return Err(Error::usage(format!(
                "function expects {}, given {} argument(s)",
                crate::module::signature_string(&ty),
                args.len()
            )));
        }
        if let FuncKind::Host(f) = &store.funcs[func as usize].kind {
            let f = f.clone();
            let mut results: Vec<Value> = ty
                .results()
                .iter()
                .map(|t| Value::default_for(*t))
                .collect();
            let mut caller = Caller {
                store,
                instance: None,
                pause_requested: false,
                can_defer: false,
                defer_requested: false,
            };
            return Ok(match f(&mut caller, args, &mut results) {
                Ok(()) => RunOutcome::Returned(results),
                Err(HostError::Trap(m)) => RunOutcome::Trapped(Trap::host(m)),
                Err(HostError::Exit(c)) => RunOutcome::Exited(c),
            });
        }
        self.prepare(store)?;
        let prof = self.check_profile()?;
        if let Some((funcs, _)) = &debug
            && !funcs.is_empty()
        {
            self.check_breakpoints()?;
        }
        if ctl.fuel.is_some() {
            self.check_fuel()?;
        }
        let hook = match debug {
            Some((funcs, hook)) => {
                fill_break_tables(&mut self.break_tables, store, funcs);
                Some(vm::erase_hook(hook))
            }
            None => {
                fill_break_tables(&mut self.break_tables, store, &HashSet::new());
                None
            }
        };

        let mut slots: Vec<u128> = vec![0; args.len().max(ty.results().len()).max(1)];
        for (s, a) in slots.iter_mut().zip(args) {
            *s = vm::value_to_slot(a);
        }
        ensure_compiled(
            &mut self.instances,
            &mut self.entries,
            &mut self.wrappers,
            &mut self.code_map,
            store,
            func,
        )?;
        // Breakpoints by entry patches (where code has no break-flag
        // checks): set now, undone when the run ends.
        let patching = patch::PATCHED_BREAKPOINTS && hook.is_some();
        if patching {
            patch::sync(
                &mut self.patches,
                &self.instances,
                &self.break_tables,
                store,
                &mut self.code_map,
                true,
            )?;
        }
        let mut run = RunCtx {
            store: store as *mut Store,
            mems: &mut *self.mems,
            entries: &mut *self.entries,
            wrappers: &mut *self.wrappers,
            instances: &mut self.instances,
            host_message: None,
            exit_code: 0,
            frames: Vec::new(),
            exception: None,
            exception_fresh: false,
            hook,
            break_tables: &mut *self.break_tables,
            debug_outcome: None,
            code_map: &mut *self.code_map,
            patches: if patching {
                &mut *self.patches
            } else {
                std::ptr::null_mut()
            },
            pause: if patching {
                &*self.pause.0
            } else {
                std::ptr::null()
            },
            watch: Vec::new(),
            watch_pending: None,
        };
        // Watched ranges as native addresses (memories never move: see
        // `runtime::memory`), and their bounding box for the checks of
        // code compiled with `CompileOptions::watch_stores`.
        for (index, w) in ctl.watch.iter().enumerate() {
            if let Some(cell) = self.mems.get(w.memory as usize) {
                let lo = cell.base as u64 + w.addr as u64;
                run.watch.push(vm::NativeWatch {
                    index,
                    lo,
                    hi: lo + w.len as u64,
                    addr: w.addr,
                    memory: w.memory,
                    on_read: w.on_read,
                    on_write: w.on_write,
                });
            }
        }
        let (watch_lo, watch_hi) = match (
            run.watch.iter().map(|w| w.lo).min(),
            run.watch.iter().map(|w| w.hi).max(),
        ) {
            (Some(lo), Some(hi)) if hook.is_some() => (lo, hi),
            _ => (0, 0),
        };
        let fuel = ctl.fuel.map_or(i64::MAX, |f| f.min(i64::MAX as u64) as i64);
        let max_depth = match &self.profile {
            Some(p) => store.config.max_call_depth.min(p.max_depth()),
            None => store.config.max_call_depth,
        };
        *self.rt = RtState {
            trap: 0,
            depth: 0,
            max_depth,
            _pad: 0,
            interrupt: match &self.interrupt_flag {
                Some(f) => f.as_ptr() as *const u8,
                None => vm::interrupt_ptr(store),
            },
            fuel,
            stack_limit: 0,
            run: &mut run,
            stack_top: 0,
            prof,
            interrupt_site: 0,
            results: [0; vm::RESULT_SLOTS],
            watch_lo,
            watch_hi,
        };
        let entry = Entry {
            wrapper: self.wrappers[func as usize],
            vmctx: self.entries[func as usize].vmctx,
            slots: slots.as_mut_ptr(),
        };
        let stack_size = self.stack_size;
        let pause = patching.then(|| self.pause.0.clone());
        let joined = std::thread::scope(|s| {
            std::thread::Builder::new()
                .name("wdb-jit".into())
                .stack_size(stack_size)
                .spawn_scoped(s, move || {
                    // While it runs, this thread can be signalled to pause.
                    let set = |t: Option<u64>| {
                        if let Some(p) = &pause {
                            *p.thread.lock().unwrap_or_else(|e| e.into_inner()) = t;
                        }
                    };
                    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
                    set(Some(guard::current_thread()));
                    vm::enter_on_stack(&entry, stack_size, 1 << 20);
                    set(None);
                    if let Some(p) = &pause {
                        p.pending.store(false, Ordering::SeqCst);
                    }
                })
                .map(|h| h.join())
        });
        if patching {
            self.patches.flush_checks(store);
            self.patches.clear();
        }
        joined
            .map_err(|e| jit_error(format!("cannot start the JIT thread: {e}")))?
            .map_err(|_| jit_error("the JIT thread panicked"))?;
        self.rt.run = std::ptr::null_mut();
        run.hook = None;
        let debug_outcome = run.debug_outcome.take();
        if let Some(f) = ctl.fuel.as_mut() {
            *f = self.rt.fuel.max(0) as u64;
        }

        let trap = self.rt.trap;
        run_outcome(trap, &mut run, debug_outcome, store, || {
            ty.results()
                .iter()
                .zip(&slots)
                .map(|(t, s)| vm::slot_to_value(*t, *s))
                .collect()
        })
    }

    /// The profile state for this run: null without a profile; an error when
    /// instrumented code would run without one, or with too few counters.
    /// Breakpoints are set: every instance's code must check its break
    /// flags, or calls would run past them.
    fn check_breakpoints(&self) -> Result<()> {
        if patch::PATCHED_BREAKPOINTS {
            return Ok(());
        }
        match self
            .instances
            .iter()
            .find(|i| !i.compiled.options.breakpoints)
        {
            None => Ok(()),
            Some(_) => Err(Error::usage(
                "breakpoints need code compiled with breakpoint checks \
                 (CompiledModule::compile_for_debugger, or AOT code); \
                 this module's code has none",
            )),
        }
    }

    /// Fuel is asked for: every instance's code must count it.
    fn check_fuel(&self) -> Result<()> {
        match self.instances.iter().find(|i| !i.compiled.options.fuel) {
            None => Ok(()),
            Some(i) => Err(Error::usage(format!(
                "fuel needs code compiled with fuel checks; {} was compiled without \
                 (JitEngine::fuel, CompileOptions::fuel)",
                i.compiled
                    .module
                    .names
                    .module
                    .as_deref()
                    .map_or("a module".to_string(), |n| format!("module `{n}`"))
            ))),
        }
    }

    fn check_profile(&self) -> Result<*const prof::ProfState> {
        for ivm in &self.instances {
            let c = &ivm.compiled;
            if !c.options.profile {
                continue;
            }
            match &self.profile {
                None => {
                    return Err(jit_error(
                        "code compiled for profiling needs a JitProfile (JitEngine::set_profile)",
                    ));
                }
                Some(p) if p.num_funcs() < c.module.num_funcs() => {
                    return Err(jit_error(format!(
                        "the profile counts {} functions, a profiled module has {}",
                        p.num_funcs(),
                        c.module.num_funcs()
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(self
            .profile
            .as_ref()
            .map_or(std::ptr::null(), |p| p.state_ptr()))
    }

    /// Call an export by name on instance `inst`.
    pub fn call_export(
        &mut self,
        store: &mut Store,
        inst: InstanceId,
        name: &str,
        args: &[Value],
        ctl: &mut RunControl,
    ) -> Result<RunOutcome> {
        match store.instance_export(inst, name) {
            Some(crate::runtime::Extern::Func(f)) => self.call(store, f, args, ctl),
            _ => Err(Error::usage(format!("no exported function `{name}`"))),
        }
    }
}
