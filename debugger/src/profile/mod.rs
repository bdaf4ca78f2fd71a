//! `wdb profile`: run the same work in every engine mode, side by side, and
//! attribute the interpreter's exact instruction counts to functions, call
//! stacks and source lines.
//!
//! How each figure is obtained (the table says it too):
//! - phases, per plain (uninstrumented) run of `runner::run`, median of N:
//!   load (decode + validate, once: every mode runs the same decoded
//!   module), compile (JIT: Cranelift; AOT: loading and relocating the code
//!   of a `wdb.aot` section, which `wdb profile` compiles in memory when the
//!   file has none, timed apart), instantiate, run (wall, and process CPU
//!   time: JIT code runs on its own thread);
//! - instructions, calls, self/inclusive instructions: counted exactly by the
//!   interpreter's DEBUG executor in one extra, instrumented run;
//! - per-function time: sampled in that instrumented run (every
//!   `sample_every` instructions the wall time since the previous sample is
//!   charged to the call stack executing then);
//! - JIT/AOT per-function calls (exact) and self/inclusive time (sampled
//!   every ~1 ms from a shadow stack): one extra run of the profiling build
//!   of the native code, see [`jit`];
//! - memory: linear memory size at the end (exact) and the process's peak
//!   RSS over its baseline (`VmHWM` after resetting it through
//!   `/proc/self/clear_refs`), where Linux lets us measure it.
//!
//! A mode the runner refuses with `RunErrorKind::Unavailable` is shown as
//! "not available in this build".

mod instrument;
mod jit;
mod lines;
mod merge;
mod native;
mod output;
mod sys;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use wdb_engine::interp::{
    Execution, FuncCounters, PauseReason, RunControl, RunOutcome, StackProfile,
};
use wdb_engine::module::Module;
use wdb_engine::runtime::{Extern, Store};
use wdb_engine::value::{FuncAddr, Value};
use wdb_engine::wasi::{self, Output, Stdin, WasiConfig};

use crate::launch::{HostOptions, Prepared};

use crate::runner::{self, Mode, RunConfig, RunErrorKind};

#[cfg(feature = "jit")]
use instrument::folded_name;
use instrument::{display_name, folded, function_rows, run_instrumented};
use merge::{first_difference, merge_native};

pub use jit::{NativeFunc, NativeProfile};
pub use lines::{HotLine, LinesReport};
pub use native::NativeReport;
pub use output::{ms, overhead, thousands};

/// Every mode, in table order.
pub const ALL_MODES: [Mode; 3] = [Mode::Interp, Mode::Jit, Mode::Aot];

/// Called while profiling: (what is running, steps done, total steps).
pub type Progress = Arc<dyn Fn(&str, u64, u64) + Send + Sync>;

/// What to profile.
#[derive(Clone)]
pub struct ProfileConfig {
    pub file: PathBuf,
    /// An already decoded module (else `file` is read).
    pub module: Option<Arc<Module>>,
    /// Reactor: export and its arguments as text. `None`: `_start` with `args`.
    pub invoke: Option<(String, Vec<String>)>,
    /// Guest arguments after `argv[0]` (command mode).
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub preopens: Vec<wasi::Preopen>,
    /// Host functions besides WASI (as `wdb run` takes them).
    pub host_imports: Vec<runner::HostImport>,
    pub modes: Vec<Mode>,
    /// Timed runs per mode (and for `native`).
    pub runs: u32,
    /// A native command to compare with, run through `bash -c`.
    pub native: Option<String>,
    /// Attribute instructions to source lines through DWARF.
    pub lines: bool,
    /// Instructions between time samples in the instrumented run.
    pub sample_every: u32,
    /// Per-function figures for JIT/AOT (one extra run of each on the
    /// profiling build of its code).
    pub native_functions: bool,
    pub progress: Option<Progress>,
    /// Raised from outside (Ctrl-C in the REPL): the run in progress stops
    /// and profiling ends with an error that says so.
    pub cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            file: PathBuf::new(),
            module: None,
            invoke: None,
            args: Vec::new(),
            env: Vec::new(),
            preopens: Vec::new(),
            host_imports: Vec::new(),
            modes: ALL_MODES.to_vec(),
            runs: 5,
            native: None,
            lines: false,
            sample_every: 4096,
            native_functions: true,
            progress: None,
            cancel: None,
        }
    }
}

/// Median, min and max of N measurements, in milliseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Stats {
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub runs: usize,
}

impl Stats {
    pub fn of(durations: &[Duration]) -> Option<Stats> {
        if durations.is_empty() {
            return None;
        }
        let mut v: Vec<f64> = durations.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Stats {
            median_ms: median,
            min_ms: v[0],
            max_ms: v[n - 1],
            runs: n,
        })
    }
}

/// One engine mode's column.
#[derive(Debug, Clone, Serialize)]
pub struct ModeReport {
    pub mode: String,
    /// `None` when the mode ran; else why not ("not available in this build").
    pub unavailable: Option<String>,
    /// Decode + validate, once (every mode runs the same decoded module).
    pub load_ms: Option<f64>,
    /// JIT: Cranelift compile of every function; AOT: loading and
    /// relocating the precompiled code. Per run.
    pub compile: Option<Stats>,
    /// AOT: compiling the `wdb.aot` image, when `wdb profile` did it itself
    /// (the file has no section); not part of any run.
    pub aot_compile_ms: Option<f64>,
    /// Where the native code came from.
    pub code: Option<String>,
    /// Linking and instantiating, per run.
    pub instantiate: Option<Stats>,
    /// Executing the guest only (wall), per run.
    pub wall: Option<Stats>,
    /// Process CPU while executing, per run.
    pub cpu: Option<Stats>,
    /// The whole `runner::run` (every phase but load), per run.
    pub total: Option<Stats>,
    /// Exact, from the interpreter (the same program executes the same
    /// instructions in every mode).
    pub instructions: Option<u64>,
    /// Linear memory 0 at the end of the instrumented run.
    pub linear_memory_bytes: Option<u64>,
    /// Peak RSS over the baseline before the timed runs (None: not measurable).
    pub peak_rss_delta_bytes: Option<i64>,
    /// How the run ended (`returned 34`, `exit 0`, `trap: ...`).
    pub outcome: Option<String>,
    pub stdout_bytes: Option<usize>,
    /// interp median CPU / this mode's median CPU.
    pub speedup_vs_interp: Option<f64>,
    /// native median CPU / this mode's median CPU (below 1: slower than native).
    pub speedup_vs_native: Option<f64>,
}

/// One function, from the interpreter's instrumented run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FuncRow {
    /// Index in the module's function space (`None` for host functions of
    /// other modules, which cannot happen with WASI-only imports).
    pub func_index: Option<u32>,
    pub name: String,
    /// Exact.
    pub calls: u64,
    /// Exact: instructions executed in this function's own body.
    pub self_instructions: u64,
    /// Exact: including callees (recursion counted once).
    pub incl_instructions: u64,
    /// Sampled (instrumented run).
    pub self_ms: f64,
    pub incl_ms: f64,
    pub samples: u64,
    /// The profiling build of the JIT/AOT code: exact calls, sampled ms.
    pub jit: Option<NativeFunc>,
    pub aot: Option<NativeFunc>,
    /// Estimated speed-up of this function, JIT over interpreter: each
    /// mode's sampled self-time share of its instrumented run, times its
    /// plain runs' median run CPU, interp over jit (the instrumentation
    /// slows the modes unequally, so raw sampled ms do not compare).
    /// `None` when either mode has no self sample of it.
    pub jit_vs_interp: Option<f64>,
}

/// Everything `wdb profile` measured.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileReport {
    pub file: String,
    /// `fib 20` or `_start` with its argv.
    pub invocation: String,
    pub modes: Vec<ModeReport>,
    pub native: Option<NativeReport>,
    /// Sorted by inclusive instructions, then self.
    pub functions: Vec<FuncRow>,
    /// Exact total from the instrumented run.
    pub instructions: u64,
    /// Sampled time of the instrumented run, and the sampling period.
    pub sampled_ms: f64,
    pub sample_every: u32,
    /// `a;b;c COUNT` lines, weighted by self instructions (exact).
    pub folded: Vec<String>,
    /// The same stacks weighted by sampled nanoseconds.
    pub folded_time: Vec<String>,
    /// The instrumented JIT/AOT runs (per-function figures are merged into
    /// `functions`).
    pub native_profiles: Vec<NativeProfile>,
    pub lines: Option<LinesReport>,
    /// Guest stdout differences between modes (empty: identical).
    pub stdout_mismatches: Vec<String>,
    /// How figures were obtained, and warnings.
    pub notes: Vec<String>,
    /// The guest's stdout (from the instrumented interpreter run).
    #[serde(skip)]
    pub stdout: Vec<u8>,
}

/// Why profiling could not start (a trap is an outcome, not an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileError(pub String);

impl std::fmt::Display for ProfileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProfileError {}

/// A byte sink the guest's stdout goes to.
fn capture() -> (Output, Arc<Mutex<Vec<u8>>>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let b = buf.clone();
    let sink: wasi::Sink = Arc::new(move |bytes: &[u8]| {
        if let Ok(mut v) = b.lock() {
            v.extend_from_slice(bytes);
        }
    });
    (Output::Sink(sink), buf)
}

fn take(buf: &Arc<Mutex<Vec<u8>>>) -> Vec<u8> {
    buf.lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default()
}

impl ProfileConfig {
    fn wasi(&self, stdout: Output) -> WasiConfig {
        let mut argv = vec![self.file.display().to_string()];
        if self.invoke.is_none() {
            argv.extend(self.args.iter().cloned());
        }
        WasiConfig {
            args: argv,
            env: self.env.clone(),
            preopens: self.preopens.clone(),
            stdin: Stdin::Null,
            stdout,
            stderr: Output::Sink(Arc::new(|_: &[u8]| {})),
            trace: false,
            trace_sink: None,
            inherit_network: false,
        }
    }

    fn run_config(&self, module: &Arc<Module>, mode: Mode, stdout: Output) -> RunConfig {
        RunConfig {
            file: self.file.clone(),
            module: Some(module.clone()),
            mode,
            invoke: self.invoke.clone(),
            wasi: self.wasi(stdout),
            host_imports: self.host_imports.clone(),
            // Compile time is its own phase: compile everything up front.
            eager_jit: true,
            cancel: self.cancel.clone(),
            ..RunConfig::default()
        }
    }

    /// `Err` once [`ProfileConfig::cancel`] was raised.
    /// What the module is linked against, but for WASI's stdio.
    fn host(&self) -> HostOptions {
        HostOptions {
            host_imports: self.host_imports.clone(),
            ..HostOptions::default()
        }
    }

    fn check_cancel(&self) -> Result<(), ProfileError> {
        match &self.cancel {
            Some(c) if c.load(std::sync::atomic::Ordering::SeqCst) => {
                Err(ProfileError("profiling interrupted".into()))
            }
            _ => Ok(()),
        }
    }

    fn invocation(&self) -> String {
        match &self.invoke {
            Some((f, a)) => std::iter::once(f.clone())
                .chain(a.iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
            None => std::iter::once("_start".to_string())
                .chain(self.args.iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

fn outcome_text(outcome: &RunOutcome, results: &[Value]) -> String {
    match outcome {
        RunOutcome::Returned(_) if results.is_empty() => "returned".into(),
        RunOutcome::Returned(_) => format!(
            "returned {}",
            results
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        ),
        RunOutcome::Exited(c) => format!("exit {c}"),
        RunOutcome::Trapped(t) => format!("trap: {}", t.message),
        RunOutcome::OutOfFuel => "out of fuel".into(),
        RunOutcome::Paused(p) => format!("paused: {p:?}"),
    }
}

/// Run everything `cfg` asks for and collect the report.
pub fn profile(cfg: ProfileConfig) -> Result<ProfileReport, ProfileError> {
    let runs = cfg.runs.max(1);
    let progress = |what: &str, done: u64, total: u64| {
        if let Some(p) = &cfg.progress {
            p(what, done, total);
        }
    };
    let native_modes: Vec<Mode> = cfg
        .modes
        .iter()
        .copied()
        .filter(|&m| m != Mode::Interp && cfg.native_functions)
        .collect();
    let total_steps = 1
        + cfg.modes.len() as u64 * runs as u64
        + native_modes.len() as u64 * runs as u64
        + cfg.native.is_some() as u64 * runs as u64;
    let mut done = 0u64;

    let t_load = Instant::now();
    let module = match cfg.module.clone() {
        Some(m) => m,
        None if crate::component_run::file_is_component(&cfg.file) => {
            return Err(ProfileError(format!(
                "{}: this is a WebAssembly component (WASI 0.2): `wdb profile` takes core \
                 modules only for now; `wdb run` and the debugger run components",
                cfg.file.display()
            )));
        }
        None => Arc::new(
            Module::from_file(&cfg.file)
                .map_err(|e| ProfileError(format!("{}: {e}", cfg.file.display())))?,
        ),
    };
    let load_ms = t_load.elapsed().as_secs_f64() * 1e3;
    cfg.host()
        .check(&module, &cfg.file.display().to_string())
        .map_err(|e| ProfileError(e.message))?;
    let mut notes = vec![
        "phases: load (decode+validate) once; compile, instantiate, run per plain (uninstrumented) run, median [min..max] of N".to_string(),
        "run CPU: process CPU time while executing (JIT/AOT code runs on its own thread)".to_string(),
        "instructions, calls, self/incl instructions: counted exactly (interpreter, instrumented run)".to_string(),
        format!(
            "interp self/incl ms: sampled every {} instructions in the instrumented run (slower than a plain run)",
            cfg.sample_every
        ),
    ];

    // AOT runs load a `wdb.aot` section: the file's own, or one compiled
    // here, in memory, once (its compile time is reported apart).
    let mut aot_compile_ms = None;
    let mut aot_code = String::new();
    // (Without the JIT, AOT runs are "not available in this build".)
    let aot_module = if cfg!(feature = "jit") && cfg.modes.contains(&Mode::Aot) {
        if jit::has_aot_section(&module) {
            aot_code = "loaded from the file's wdb.aot section".into();
            Some(module.clone())
        } else {
            progress("aot: compiling an image in memory", done, total_steps);
            let t = Instant::now();
            let bytes = jit::aot_image(&module, false)
                .map_err(|e| ProfileError(format!("aot mode: compiling the image: {e}")))?;
            let m = Module::new(bytes)
                .map_err(|e| ProfileError(format!("aot mode: the compiled image: {e}")))?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            aot_compile_ms = Some(ms);
            aot_code = format!(
                "the file has no wdb.aot section: wdb profile compiled one in memory ({}); runs load it",
                output::ms(ms)
            );
            Some(Arc::new(m))
        }
    } else {
        None
    };
    let module_for = |mode: Mode| match (mode, &aot_module) {
        (Mode::Aot, Some(m)) => m.clone(),
        _ => module.clone(),
    };

    progress("interp (instrumented)", done, total_steps);
    let ins = run_instrumented(&cfg, &module)?;
    cfg.check_cancel()?;
    done += 1;
    let reference = ins.stdout.clone();
    let mut mismatches = Vec::new();

    let mut modes = Vec::new();
    for &mode in &cfg.modes {
        let mut rep = ModeReport {
            mode: mode.name().to_string(),
            unavailable: None,
            load_ms: None,
            compile: None,
            aot_compile_ms: None,
            code: None,
            instantiate: None,
            wall: None,
            cpu: None,
            total: None,
            instructions: None,
            linear_memory_bytes: None,
            peak_rss_delta_bytes: None,
            outcome: None,
            stdout_bytes: None,
            speedup_vs_interp: None,
            speedup_vs_native: None,
        };
        let run_module = module_for(mode);
        let (mut compiles, mut insts, mut walls, mut cpus, mut totals) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let baseline = sys::reset_peak_rss();
        for i in 0..runs {
            progress(
                &format!("{} run {}/{runs}", mode.name(), i + 1),
                done,
                total_steps,
            );
            let (out, buf) = capture();
            let w0 = Instant::now();
            let r = runner::run(cfg.run_config(&run_module, mode, out));
            let total = w0.elapsed();
            done += 1;
            cfg.check_cancel()?;
            let r = match r {
                Ok(r) => r,
                Err(e) if e.kind == RunErrorKind::Unavailable => {
                    rep.unavailable = Some("not available in this build".into());
                    done += (runs - i - 1) as u64;
                    break;
                }
                Err(e) => return Err(ProfileError(format!("{} mode: {e}", mode.name()))),
            };
            if i == 0 {
                for n in &r.notes {
                    notes.push(format!(
                        "{}: {}",
                        mode.name(),
                        n.trim_start_matches("wdb: ")
                    ));
                }
            }
            totals.push(total);
            compiles.push(r.compile_time);
            insts.push(r.instantiate_time);
            walls.push(r.run_time);
            if let Some(c) = r.run_cpu {
                cpus.push(c);
            }
            let got = take(&buf);
            if got != reference {
                mismatches.push(format!(
                    "{} run {}: guest stdout differs from the instrumented interpreter run ({} vs {} bytes{})",
                    mode.name(),
                    i + 1,
                    got.len(),
                    reference.len(),
                    first_difference(&got, &reference)
                ));
            }
            rep.outcome = Some(outcome_text(&r.outcome, &r.results));
            rep.stdout_bytes = Some(got.len());
        }
        if rep.unavailable.is_none() {
            rep.load_ms = Some(load_ms);
            if mode != Mode::Interp {
                rep.compile = Stats::of(&compiles);
            }
            rep.code = match mode {
                Mode::Interp => None,
                Mode::Jit => Some(
                    "every function compiled by Cranelift before each run (`wdb run` compiles each on its first call, inside the run)".into(),
                ),
                Mode::Aot => Some(aot_code.clone()),
            };
            if mode == Mode::Aot {
                rep.aot_compile_ms = aot_compile_ms;
            }
            rep.instantiate = Stats::of(&insts);
            rep.wall = Stats::of(&walls);
            rep.cpu = Stats::of(&cpus);
            rep.total = Stats::of(&totals);
            rep.instructions = Some(ins.instructions);
            rep.linear_memory_bytes = ins.memory_bytes;
            rep.peak_rss_delta_bytes =
                baseline.and_then(|b| sys::peak_rss().map(|p| p as i64 - b as i64));
            if rep.outcome.as_deref() != Some(ins.outcome.as_str()) {
                mismatches.push(format!(
                    "{}: outcome `{}` differs from the instrumented interpreter run's `{}`",
                    mode.name(),
                    rep.outcome.as_deref().unwrap_or("?"),
                    ins.outcome
                ));
            }
        }
        modes.push(rep);
    }
    if modes.iter().any(|m| m.peak_rss_delta_bytes.is_some()) {
        notes.push(
            "peak RSS: VmHWM over VmRSS before the timed runs (reset via /proc/self/clear_refs)"
                .into(),
        );
    } else {
        notes.push("peak RSS: not measurable here (no /proc/self/clear_refs)".into());
    }

    // Per-function figures for the native modes that ran: the profiling
    // build of their code, once each, with the sampler.
    let mut native_profiles = Vec::new();
    let name_of = |i: u32| display_name(&module, i);
    for &mode in &native_modes {
        let Some(rep) = modes.iter().find(|m| m.mode == mode.name()) else {
            continue;
        };
        if rep.unavailable.is_some() {
            continue;
        }
        progress(
            &format!("{} (profiling build)", mode.name()),
            done,
            total_steps,
        );
        let (prof_module, code) = match mode {
            Mode::Aot => {
                let t = Instant::now();
                let bytes = jit::aot_image(&module, true).map_err(|e| {
                    ProfileError(format!("aot mode: compiling the profiling image: {e}"))
                })?;
                let m = Module::new(bytes)
                    .map_err(|e| ProfileError(format!("aot mode: the profiling image: {e}")))?;
                (
                    Arc::new(m),
                    format!(
                        "an instrumented wdb.aot image compiled in memory ({}), loaded like any AOT image",
                        output::ms(t.elapsed().as_secs_f64() * 1e3)
                    ),
                )
            }
            _ => (
                module.clone(),
                "instrumented code compiled by Cranelift".to_string(),
            ),
        };
        let mut np = jit::run(&cfg, &prof_module, mode, code, runs, &name_of, &mut |i| {
            progress(
                &format!("{} (profiling build) run {}/{runs}", mode.name(), i + 1),
                done + i as u64 + 1,
                total_steps,
            )
        })?;
        done += runs as u64;
        // CPU, not wall: the machine may be busy. Below a few ms, thread
        // start-up and page faults swamp the ratio.
        np.overhead = rep
            .cpu
            .map(|c| c.median_ms)
            .filter(|&c| c >= jit::MIN_COMPARABLE_MS)
            .zip(np.run_cpu_ms)
            .map(|(plain, prof)| prof / plain);
        if np.stdout != reference {
            mismatches.push(format!(
                "{} (profiling build): guest stdout differs from the instrumented interpreter run ({} vs {} bytes{})",
                mode.name(),
                np.stdout.len(),
                reference.len(),
                first_difference(&np.stdout, &reference)
            ));
        }
        if np.outcome != ins.outcome {
            mismatches.push(format!(
                "{} (profiling build): outcome `{}` differs from the instrumented interpreter run's `{}`",
                mode.name(),
                np.outcome,
                ins.outcome
            ));
        }
        native_profiles.push(np);
    }
    if !native_profiles.is_empty() {
        notes.push(format!(
            "jit/aot calls: counted exactly by a profiling build of the native code; jit/aot ms: sampled every {} ms from its shadow stack (lock-free reads, may be torn at a call or return)",
            jit::SAMPLE_INTERVAL.as_millis()
        ));
        for np in &native_profiles {
            notes.push(format!(
                "{} profiling build: {}; {} runs, median {} wall, {}, {} samples",
                np.mode,
                np.code,
                np.runs,
                output::ms(np.run_ms),
                output::overhead(np.overhead),
                np.samples
            ));
        }
    }

    let native = match &cfg.native {
        Some(cmd) => {
            let r = native::run(cmd, runs, &mut |i| {
                progress(
                    &format!("native run {}/{runs}", i + 1),
                    done + i as u64,
                    total_steps,
                )
            })
            .map_err(ProfileError)?;
            done += runs as u64;
            Some(r)
        }
        None => None,
    };
    progress("done", done, total_steps);

    let interp_cpu = modes
        .iter()
        .find(|m| m.mode == "interp")
        .and_then(|m| m.cpu.map(|c| c.median_ms));
    let native_cpu = native.as_ref().and_then(|n| n.cpu.map(|c| c.median_ms));
    for m in &mut modes {
        if let Some(c) = m.cpu.map(|c| c.median_ms).filter(|&c| c > 0.0) {
            m.speedup_vs_interp = interp_cpu.map(|i| i / c);
            m.speedup_vs_native = native_cpu.map(|n| n / c);
        }
    }

    let (mut functions, disagreements) = function_rows(&ins);
    notes.extend(disagreements);
    let sampled_ns: u64 = ins.stacks.nodes.iter().map(|n| n.self_nanos).sum();
    let plain_cpu = |mode: &str| {
        modes
            .iter()
            .find(|m| m.mode == mode)
            .and_then(|m| m.cpu.map(|c| c.median_ms))
    };
    merge_native(
        &mut functions,
        &native_profiles,
        module.num_imported_funcs,
        sampled_ns as f64 / 1e6,
        plain_cpu("interp").zip(plain_cpu("jit")),
        &name_of,
        &mut mismatches,
    );
    let lines = if cfg.lines {
        Some(lines::attribute(
            &cfg.file,
            &module,
            &ins.stacks,
            &ins.pc_offsets,
            &ins.names,
        ))
    } else {
        None
    };
    Ok(ProfileReport {
        file: cfg.file.display().to_string(),
        invocation: cfg.invocation(),
        modes,
        native,
        folded: folded(&ins, |n| n.self_instructions),
        folded_time: folded(&ins, |n| n.self_nanos),
        native_profiles,
        functions,
        instructions: ins.instructions,
        sampled_ms: sampled_ns as f64 / 1e6,
        sample_every: cfg.sample_every,
        lines,
        stdout_mismatches: mismatches,
        notes,
        stdout: ins.stdout,
    })
}
