//! Run a module to completion as a command (`_start`) or a reactor (an
//! exported function, after `_initialize`), with WASI. `wdb run` is a thin
//! layer over [`run`]; `wdb profile` and the GUI reuse it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use wdb_engine::args::{format_signature, parse_args_named};
use wdb_engine::interp::{Execution, PauseReason, RunControl, RunOutcome};
#[cfg(feature = "jit")]
use wdb_engine::jit::{JitProfile, OptLevel};
use wdb_engine::module::{ExternKind, Module};
use wdb_engine::runtime::{Extern, Store, StoreConfig};
use wdb_engine::value::{FuncAddr, Value};
use wdb_engine::wasi::{self, TraceSink, WasiCall, WasiConfig};

use crate::code_cache::CacheUse;
pub use crate::launch::{HostImport, UnknownImports, unsupported_imports};
use crate::launch::{HostOptions, LaunchError, LaunchErrorKind, Prepared};

mod interrupt;
pub(crate) mod native;
mod text;
pub(crate) use interrupt::Timeout;
pub use interrupt::{ForwardInterrupt, forward_interrupt, process_cpu};
pub use text::*;

/// Which engine runs the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The interpreter: exact fuel (instructions), counters, profiles.
    /// The default in a build without the JIT.
    #[cfg_attr(not(feature = "jit"), default)]
    Interp,
    /// Cranelift JIT, compiled when the run starts (compile time included).
    /// The default, in a build with the JIT (feature `jit`).
    #[cfg_attr(feature = "jit", default)]
    Jit,
    /// Native code saved by `wdb compile` (a universal module or a `.so`).
    Aot,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Interp => "interp",
            Mode::Jit => "jit",
            Mode::Aot => "aot",
        }
    }

    /// What the debugger runs in this mode (`info mode`).
    pub fn debugger_description(self) -> &'static str {
        match self {
            Mode::Interp => "the interpreter",
            Mode::Jit => {
                "JIT code until a function with a breakpoint is entered, then the interpreter"
            }
            Mode::Aot => {
                "AOT code (the module's wdb.aot section) until a function with a breakpoint is entered, then the interpreter"
            }
        }
    }

    /// `interp|jit|aot` (also `interpreter`).
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "interp" | "interpreter" => Some(Mode::Interp),
            "jit" => Some(Mode::Jit),
            "aot" => Some(Mode::Aot),
            _ => None,
        }
    }

    /// What `--fuel N` counts in this mode.
    pub fn fuel_unit(self) -> &'static str {
        // The same unit in every mode: JIT code charges the interpreter's.
        "instructions"
    }
}

/// What to run and with which limits.
#[derive(Debug, Clone, Default)]
pub struct RunConfig {
    /// The module file (read unless `module` is given; also names errors).
    pub file: PathBuf,
    /// An already decoded module.
    pub module: Option<Arc<Module>>,
    pub mode: Mode,
    /// Reactor mode: the export to call and its arguments as text.
    pub invoke: Option<(String, Vec<String>)>,
    pub wasi: WasiConfig,
    /// Stop after this many wasm instructions (the interpreter's ops), at
    /// the same instruction in every mode ([`Mode::fuel_unit`]).
    pub fuel: Option<u64>,
    /// Interrupt after this long.
    pub timeout: Option<Duration>,
    /// Largest linear memory, in bytes.
    pub max_memory: Option<u64>,
    /// Count executed instructions (exact; uses the instrumented executor;
    /// interpreter only, ignored by JIT/AOT).
    pub count_instructions: bool,
    /// Cranelift optimisation level for `Mode::Jit` (and an AOT fallback).
    #[cfg(feature = "jit")]
    pub opt_level: OptLevel,
    /// `Mode::Jit`: keep compiled code in this directory and reuse it on the
    /// next run of the same module (see [`crate::code_cache`]); `None`
    /// compiles every time (what `wdb profile` wants to measure).
    pub code_cache: Option<PathBuf>,
    /// Receives notes and warnings meant for stderr (e.g. "no AOT section"),
    /// printed before the guest runs. Without a sink they are only kept in
    /// [`RunReport::notes`].
    pub note_sink: Option<TraceSink>,
    /// Host functions besides WASI (an embedder's `env` imports).
    pub host_imports: Vec<HostImport>,
    /// JIT/AOT: run the profiling build of the native code (compiled now,
    /// or an AOT section made with `CompileOptions::profile`), counting
    /// into this (see `wdb_engine::jit::prof`). `wdb profile` only.
    #[cfg(feature = "jit")]
    pub jit_profile: Option<Arc<JitProfile>>,
    /// JIT: compile every function before the run instead of each on its
    /// first call, so `RunReport::compile_time` holds all of it (`wdb profile`).
    pub eager_jit: bool,
    /// Raised from outside (the REPL's Ctrl-C during `profile`): the guest
    /// stops as on a timeout, with `Paused(Interrupted)`.
    pub cancel: Option<Arc<AtomicBool>>,
    /// What a function import that neither WASI nor `host_imports`
    /// provides becomes (`--unknown-imports`); `None`: such imports fail
    /// the run before it starts, all named at once.
    pub unknown_imports: Option<UnknownImports>,
}

/// How a run went.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The last outcome: `Returned`, `Exited`, `Trapped`, `OutOfFuel`, or
    /// `Paused(Interrupted)` on timeout.
    pub outcome: RunOutcome,
    /// The invoked function's results (reactor mode).
    pub results: Vec<Value>,
    /// A component export's result in WAVE (`--invoke` on a component).
    pub component_result: Option<String>,
    /// The guest's exit code: `proc_exit`'s, or 0 when `_start` returned.
    pub exit_code: Option<i32>,
    pub wasi_log: Vec<WasiCall>,
    /// Executed instructions: with `count_instructions` (interpreter
    /// only), or with `fuel` (what it went down by, in every mode).
    pub instructions: Option<u64>,
    /// Fuel left at the end, with `fuel` (in the mode's unit).
    pub fuel_left: Option<u64>,
    /// The engine that ran the code.
    pub mode: Mode,
    /// Notes and warnings (also sent to `note_sink`).
    pub notes: Vec<String>,
    /// Time spent compiling or loading native code (JIT/AOT), included in `elapsed`.
    pub compile_time: Duration,
    /// Whether the JIT's code came from the code cache.
    pub code_cache: CacheUse,
    /// Reading, decoding and validating the file (zero when `RunConfig::module` was given).
    pub load_time: Duration,
    /// Linking and instantiating (start function excluded: it is in `run_time`).
    pub instantiate_time: Duration,
    /// Executing the guest (start function, `_initialize`, the call).
    pub run_time: Duration,
    /// Process CPU time (every thread: JIT code runs on its own) while executing.
    pub run_cpu: Option<Duration>,
    pub elapsed: Duration,
    /// Whether the timeout fired.
    pub timed_out: bool,
    pub module: Arc<Module>,
}

/// Why a module could not be run (a trap is not an error: see [`RunReport`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError {
    pub kind: RunErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunErrorKind {
    /// The file could not be read, decoded or validated.
    Load,
    /// Imports the host cannot satisfy.
    Link,
    /// Instantiation failed (a segment out of bounds...).
    Instantiate,
    /// Unknown export, wrong arguments, no `_start`.
    Usage,
    /// The requested engine is not available.
    Unavailable,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RunError {}

/// A launch error as a run error of the same kind.
fn launch_error(e: LaunchError) -> RunError {
    let kind = match e.kind {
        LaunchErrorKind::Host => RunErrorKind::Load,
        LaunchErrorKind::Link => RunErrorKind::Link,
        LaunchErrorKind::Instantiate => RunErrorKind::Instantiate,
    };
    err(kind, e.message)
}

pub(crate) fn err(kind: RunErrorKind, message: impl Into<String>) -> RunError {
    RunError {
        kind,
        message: message.into(),
    }
}

/// What ran, by the control of a run of `cfg`: the instructions counted,
/// or with fuel what the fuel went down by.
pub(crate) fn instructions_run(cfg: &RunConfig, ctl: &RunControl) -> Option<u64> {
    if ctl.count_instructions {
        Some(ctl.instructions)
    } else {
        cfg.fuel.map(|f| f - ctl.fuel.unwrap_or(0))
    }
}

/// The guest's exit code for a run that ended so: `proc_exit`'s, or 0 when
/// it returned; `None` for a trap, a pause or running out of fuel.
pub(crate) fn exit_code(outcome: &RunOutcome) -> Option<i32> {
    match outcome {
        RunOutcome::Exited(c) => Some(*c),
        RunOutcome::Returned(_) => Some(0),
        _ => None,
    }
}

/// `  name (param ..) (result ..)` for every exported function.
pub fn function_exports(module: &Module) -> Vec<String> {
    module
        .exports
        .iter()
        .filter(|e| e.kind == ExternKind::Func)
        .map(|e| format_signature(&e.name, module.func_type(e.index)))
        .collect()
}

/// Load, link against WASI, instantiate and run. A component (WASI 0.2)
/// goes to [`crate::component_run::run`].
/// The engine's control for a run of `cfg`: its fuel, and instruction
/// counting in the interpreter. With fuel, what ran is what the fuel went
/// down by (the same unit in every mode): no second counter.
pub(crate) fn run_control(cfg: &RunConfig) -> RunControl {
    RunControl {
        fuel: cfg.fuel,
        count_instructions: cfg.mode == Mode::Interp && cfg.count_instructions,
        ..RunControl::default()
    }
}

pub fn run(cfg: RunConfig) -> Result<RunReport, RunError> {
    if cfg.module.is_none() && crate::component_run::file_is_component(&cfg.file) {
        return crate::component_run::run(cfg);
    }
    let t0 = Instant::now();
    let mut notes = Vec::new();
    let mut note = |s: String| {
        if let Some(sink) = &cfg.note_sink {
            (sink.0)(&s);
        }
        notes.push(s);
    };
    // A `.so` holds the wasm bytes as well as the code.
    let mut precompiled = None;
    let is_so = cfg.file.extension().is_some_and(|e| e == "so");
    let module = match cfg.module.clone() {
        Some(m) => m,
        None if is_so => {
            if cfg.mode != Mode::Aot {
                return Err(err(
                    RunErrorKind::Load,
                    format!(
                        "{}: a shared object runs only with --mode aot",
                        cfg.file.display()
                    ),
                ));
            }
            if cfg.fuel.is_some() {
                return Err(err(
                    RunErrorKind::Load,
                    format!(
                        "{}: a shared object has no fuel checks: use --fuel with --mode jit, \
                         or with --mode aot on the .wasm (compiled then, with them)",
                        cfg.file.display()
                    ),
                ));
            }
            let c = native::load_shared_object(&cfg.file)?;
            let m = c.module().clone();
            precompiled = Some(c);
            m
        }
        None => Arc::new(
            Module::from_file(&cfg.file)
                .map_err(|e| err(RunErrorKind::Load, load_error(&cfg.file, &e)))?,
        ),
    };
    let load_time = t0.elapsed();
    let host = HostOptions {
        wasi: cfg.wasi.clone(),
        host_imports: cfg.host_imports.clone(),
        unknown_imports: cfg.unknown_imports,
        store: StoreConfig {
            max_memory_bytes: cfg
                .max_memory
                .unwrap_or(StoreConfig::default().max_memory_bytes),
            ..StoreConfig::default()
        },
    };
    let name = cfg.file.display().to_string();
    host.check(&module, &name).map_err(launch_error)?;
    // Check the invocation before running anything.
    let call = match &cfg.invoke {
        None => None,
        Some((name, args)) => {
            let Some(idx) = module.exported_func(name) else {
                let list = function_exports(&module);
                return Err(err(
                    RunErrorKind::Usage,
                    format!(
                        "no exported function `{name}`; function exports:\n  {}",
                        if list.is_empty() {
                            "(none)".to_string()
                        } else {
                            list.join("\n  ")
                        }
                    ),
                ));
            };
            let vals = parse_args_named(name, module.func_type(idx), args)
                .map_err(|e| err(RunErrorKind::Usage, e.message))?;
            Some((name.clone(), vals))
        }
    };
    // A reactor run without `--invoke` is initialised and done, as wasmtime
    // does it.
    if call.is_none()
        && module.exported_func("_start").is_none()
        && module.exported_func("_initialize").is_none()
    {
        let list = function_exports(&module);
        return Err(err(
            RunErrorKind::Usage,
            format!(
                "{} has no `_start` export (is it a reactor? use --invoke FUNC); function exports:\n  {}",
                cfg.file.display(),
                if list.is_empty() {
                    "(none)".to_string()
                } else {
                    list.join("\n  ")
                }
            ),
        ));
    }

    let t_instantiate = Instant::now();
    let Prepared {
        mut store,
        inst,
        start,
        wasi: ctx,
    } = Prepared::new(&module, &name, host).map_err(launch_error)?;
    let instantiate_time = t_instantiate.elapsed();

    let _cancel = cfg
        .cancel
        .clone()
        .map(|c| forward_interrupt(c, store.interrupt_handle()));
    let timer = Timeout::start(cfg.timeout, store.interrupt_handle());

    let t_compile = Instant::now();
    let (mut jit, cache_use) = native::engine(&cfg, &module, precompiled, &mut note)?;
    let compile_time = if jit.is_some() {
        t_compile.elapsed()
    } else {
        Duration::ZERO
    };

    let mut ctl = run_control(&cfg);
    let mut results = Vec::new();
    let mut outcome = RunOutcome::Returned(Vec::new());
    let mut steps: Vec<(FuncAddr, Vec<Value>)> = Vec::new();
    if let Some(s) = start {
        steps.push((s, Vec::new()));
    }
    let export_addr = |store: &Store, name: &str| match store.instance_export(inst, name) {
        Some(Extern::Func(f)) => Some(f),
        _ => None,
    };
    let main_addr;
    match &call {
        None => {
            main_addr = export_addr(&store, "_start");
            if main_addr.is_none()
                && let Some(init) = export_addr(&store, "_initialize")
            {
                steps.push((init, Vec::new()));
            }
        }
        Some((name, args)) => {
            if let Some(init) = export_addr(&store, "_initialize") {
                steps.push((init, Vec::new()));
            }
            main_addr = export_addr(&store, name);
            if let Some(f) = main_addr {
                steps.push((f, args.clone()));
            }
        }
    }
    if call.is_none()
        && let Some(f) = main_addr
    {
        steps.push((f, Vec::new()));
    }
    let t_run = Instant::now();
    let cpu_run = process_cpu();
    for (func, args) in steps {
        outcome = if let Some(jit) = jit.as_mut() {
            // A lazy compile fails here: say "error" once (`engine_message`).
            jit.call(&mut store, func, &args, &mut ctl)
                .map_err(|e| err(RunErrorKind::Usage, engine_message(&e)))?
        } else {
            let mut exec = Execution::new(&mut store, func, &args)
                .map_err(|e| err(RunErrorKind::Usage, e.to_string()))?;
            loop {
                match exec.run(&mut store, &mut ctl) {
                    // Nothing in `wdb run` asks for pauses; a stray one resumes.
                    RunOutcome::Paused(PauseReason::HostRequested) => continue,
                    o => break o,
                }
            }
        };
        match &outcome {
            RunOutcome::Returned(v) => {
                if Some(func) == main_addr {
                    results = v.clone();
                }
            }
            _ => break,
        }
    }
    let run_time = t_run.elapsed();
    let run_cpu = process_cpu().zip(cpu_run).map(|(b, a)| b.saturating_sub(a));
    let timed_out = timer.fired_for(&outcome);
    let exit_code = exit_code(&outcome);
    let wasi_log = ctx
        .lock()
        .map(|c| c.log.iter().cloned().collect())
        .unwrap_or_default();
    Ok(RunReport {
        outcome,
        results,
        component_result: None,
        exit_code,
        wasi_log,
        instructions: instructions_run(&cfg, &ctl),
        fuel_left: ctl.fuel,
        mode: cfg.mode,
        notes,
        compile_time,
        code_cache: cache_use,
        load_time,
        instantiate_time,
        run_time,
        run_cpu,
        elapsed: t0.elapsed(),
        timed_out,
        module,
    })
}
