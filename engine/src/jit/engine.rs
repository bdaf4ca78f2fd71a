//! [`JitEngine`]'s methods: set-up of the per-instance vmctxs for a store,
//! plain and debug calls into native code, and turning the trap word a run
//! ends with into a [`RunOutcome`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::compile::jit_error;
use super::env::trap_word;
use super::vm::{self, CodeRange, Entry, FuncEntry, MemCell, RtState, RunCtx, VmCtx};
use super::{
    CompileOptions, CompiledModule, DebugHook, InstanceVm, JitEngine, JitProfile, OptLevel,
    PauseHandle, ensure_compiled, fill_break_tables, guard, patch, prof,
};
use crate::error::{Error, Result};
use crate::interp::{PauseReason, RunControl, RunOutcome};
use crate::module::Module;
use crate::runtime::store::FuncKind;
use crate::runtime::{Caller, HostError, InstanceId, Store};
use crate::trap::{BacktraceFrame, Trap, TrapCode};
use crate::value::{FuncAddr, Value};

/// What a run (or a call nested in one: `vm::nested_call`) ended with,
/// from its trap word: `returned` gives the results of a normal return;
/// `run.frames` is the trap's backtrace.
pub(super) fn run_outcome(
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

/// What an uncaught exception's trap says (the interpreter's words):
/// `uncaught exception NAME(payload...)`.
fn uncaught_message(info: &crate::trap::ExceptionInfo) -> String {
    let name = info
        .tag_name
        .clone()
        .unwrap_or_else(|| format!("tag[{}]", info.tag_index.unwrap_or(info.tag)));
    let payload: Vec<String> = info.payload.iter().map(|v| v.to_string()).collect();
    format!("uncaught exception {name}({})", payload.join(", "))
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
