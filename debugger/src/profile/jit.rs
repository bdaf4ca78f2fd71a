//! Per-function figures for JIT and AOT code: one run of the profiling build
//! of the native code (`wdb_engine::jit::prof`) with a sampler thread.
//!
//! - calls: counted exactly by the instrumented code (per module function
//!   index; direct calls to imported functions are counted at the call site,
//!   calls to imports through a table are not);
//! - self/inclusive time: every ~1 ms the sampler reads the shadow stack and
//!   charges the wall time since its previous sample to the innermost
//!   function (self) and to every distinct function on the stack
//!   (inclusive). Reads are lock-free and may be torn while a call or return
//!   is in flight; at 1 ms that skews nothing measurable.

use std::collections::HashMap;
use std::sync::Arc;
#[cfg(feature = "jit")]
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
#[cfg(feature = "jit")]
use std::time::Instant;

use serde::Serialize;
#[cfg(feature = "jit")]
use wdb_engine::jit::{CompileOptions, JitProfile, OptLevel, aot};
use wdb_engine::module::Module;
#[cfg(feature = "jit")]
use wdb_engine::runtime::StoreConfig;

use super::{ProfileConfig, ProfileError};
#[cfg(feature = "jit")]
use super::{capture, outcome_text, take};
#[cfg(feature = "jit")]
use crate::runner;
use crate::runner::Mode;

/// How often the sampler reads the shadow stack.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(1);

/// Plain runs shorter than this get no overhead ratio (noise dominates).
pub const MIN_COMPARABLE_MS: f64 = 5.0;

/// One function's figures in a native mode.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Default)]
pub struct NativeFunc {
    /// Exact.
    pub calls: u64,
    /// Sampled.
    pub self_ms: f64,
    pub incl_ms: f64,
    pub samples: u64,
}

/// The instrumented run of one native mode.
#[derive(Debug, Clone, Serialize)]
pub struct NativeProfile {
    pub mode: String,
    /// Where the instrumented code came from.
    pub code: String,
    /// Compiling (JIT) or loading (AOT) the instrumented code, median per run.
    pub compile_ms: f64,
    /// Executing the instrumented code (wall), median of the runs.
    pub run_ms: f64,
    /// Profiled runs (samples are summed over them; calls are per run and
    /// must be equal in every run).
    pub runs: u32,
    /// Process CPU while executing the instrumented code (the sampler's
    /// wake-ups included), median of the runs.
    pub run_cpu_ms: Option<f64>,
    /// `run_cpu_ms` over the plain runs' median run CPU (the
    /// instrumentation's overhead); `None` when the plain run is shorter
    /// than [`MIN_COMPARABLE_MS`].
    pub overhead: Option<f64>,
    pub samples: u64,
    /// Time charged by the samples.
    pub sampled_ms: f64,
    /// `a;b;c NANOS` lines (sampled wall time per call stack).
    pub folded_time: Vec<String>,
    pub outcome: String,
    #[serde(skip)]
    pub stdout: Vec<u8>,
    /// Per module function index.
    #[serde(skip)]
    pub funcs: HashMap<u32, NativeFunc>,
}

/// Sampled stacks: function indexes outermost first -> (nanoseconds, samples).
#[cfg(feature = "jit")]
type Stacks = HashMap<Vec<u32>, (u64, u64)>;

#[cfg(feature = "jit")]
fn sampler(prof: Arc<JitProfile>, stop: Arc<AtomicBool>) -> Stacks {
    let mut stacks = Stacks::new();
    let mut buf = Vec::new();
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(SAMPLE_INTERVAL);
        let now = Instant::now();
        let dt = now.duration_since(last).as_nanos() as u64;
        last = now;
        prof.sample(&mut buf);
        // An empty stack: compiling, instantiating, or between calls.
        if buf.is_empty() {
            continue;
        }
        let e = match stacks.get_mut(buf.as_slice()) {
            Some(e) => e,
            None => stacks.entry(buf.clone()).or_default(),
        };
        e.0 += dt;
        e.1 += 1;
    }
    stacks
}

/// Run `mode` `runs` times on the profiling build of `module` (for AOT: a
/// module whose `wdb.aot` section holds the profiling build), sampling all
/// of them; `each` is told when a run ends.
#[cfg(feature = "jit")]
pub(super) fn run(
    cfg: &ProfileConfig,
    module: &Arc<Module>,
    mode: Mode,
    code: String,
    runs: u32,
    names: &dyn Fn(u32) -> String,
    each: &mut dyn FnMut(u32),
) -> Result<NativeProfile, ProfileError> {
    let prof = JitProfile::new(module.num_funcs(), StoreConfig::default().max_call_depth);
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (p, s) = (prof.clone(), stop.clone());
        std::thread::Builder::new()
            .name("wdb-profile-sampler".into())
            .spawn(move || sampler(p, s))
            .map_err(|e| ProfileError(format!("cannot start the sampler thread: {e}")))?
    };
    let mut reports = Vec::new();
    let mut first_calls: Option<Vec<u64>> = None;
    let mut failure = None;
    for i in 0..runs.max(1) {
        prof.reset();
        let (out, buf) = capture();
        let mut rc = cfg.run_config(module, mode, out);
        rc.jit_profile = Some(prof.clone());
        let r = runner::run(rc);
        if let Err(e) = cfg.check_cancel() {
            failure = Some(e.0);
            break;
        }
        match r {
            Ok(r) => {
                let calls = prof.calls();
                match &first_calls {
                    None => first_calls = Some(calls),
                    Some(c) if *c != calls => {
                        failure = Some(format!(
                            "{} mode (profiling build): run {} counted other calls than run 1",
                            mode.name(),
                            i + 1
                        ));
                        break;
                    }
                    Some(_) => {}
                }
                reports.push((r, take(&buf)));
            }
            Err(e) => {
                failure = Some(format!("{} mode (profiling build): {e}", mode.name()));
                break;
            }
        }
        each(i);
    }
    stop.store(true, Ordering::Relaxed);
    let stacks = sampler
        .join()
        .map_err(|_| ProfileError("the sampler thread panicked".into()))?;
    if let Some(f) = failure {
        return Err(ProfileError(f));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let run_ms = median(
        reports
            .iter()
            .map(|(r, _)| r.run_time.as_secs_f64() * 1e3)
            .collect(),
    );
    let cpus: Vec<f64> = reports
        .iter()
        .filter_map(|(r, _)| r.run_cpu.map(|c| c.as_secs_f64() * 1e3))
        .collect();
    let run_cpu_ms = (!cpus.is_empty()).then(|| median(cpus));
    let compile_ms = median(
        reports
            .iter()
            .map(|(r, _)| r.compile_time.as_secs_f64() * 1e3)
            .collect(),
    );
    let (r, stdout) = reports.swap_remove(0);

    let mut funcs: HashMap<u32, NativeFunc> = HashMap::new();
    for (i, &c) in first_calls.unwrap_or_default().iter().enumerate() {
        if c > 0 {
            funcs.entry(i as u32).or_default().calls = c;
        }
    }
    let mut folded = Vec::new();
    let (mut samples, mut nanos) = (0u64, 0u64);
    let mut seen: Vec<u32> = Vec::new();
    for (stack, &(ns, n)) in &stacks {
        samples += n;
        nanos += ns;
        let ms = ns as f64 / 1e6;
        let top = *stack.last().expect("only non-empty stacks are kept");
        let f = funcs.entry(top).or_default();
        f.self_ms += ms;
        f.samples += n;
        seen.clear();
        for &g in stack {
            if !seen.contains(&g) {
                seen.push(g);
                funcs.entry(g).or_default().incl_ms += ms;
            }
        }
        let frames: Vec<String> = stack
            .iter()
            .map(|&g| super::folded_name(&names(g)))
            .collect();
        folded.push(format!("{} {ns}", frames.join(";")));
    }
    folded.sort();
    if r.notes
        .iter()
        .any(|n| n.contains("compiling with the JIT instead"))
    {
        return Err(ProfileError(format!(
            "{} mode (profiling build): the instrumented AOT image did not load: {}",
            mode.name(),
            r.notes.join("; ")
        )));
    }
    Ok(NativeProfile {
        mode: mode.name().to_string(),
        code,
        compile_ms,
        run_ms,
        run_cpu_ms,
        runs: runs.max(1),
        overhead: None,
        samples,
        sampled_ms: nanos as f64 / 1e6,
        folded_time: folded,
        outcome: outcome_text(&r.outcome, &r.results),
        stdout,
        funcs,
    })
}

/// Without the JIT there is no profiling build to run.
#[cfg(not(feature = "jit"))]
pub(super) fn run(
    _cfg: &ProfileConfig,
    _module: &Arc<Module>,
    _mode: Mode,
    _code: String,
    _runs: u32,
    _names: &dyn Fn(u32) -> String,
    _each: &mut dyn FnMut(u32),
) -> Result<NativeProfile, ProfileError> {
    Err(ProfileError(wdb_engine::NO_JIT.to_string()))
}

/// Whether `module` carries a `wdb.aot` section (`wdb compile`'s).
#[cfg(feature = "jit")]
pub(super) fn has_aot_section(module: &Module) -> bool {
    module.custom_section(aot::SECTION).is_some()
}

/// A `wdb.aot` image of `module` compiled in memory: the plain build, or
/// with `profiling` the instrumented one ([`CompileOptions::PROFILE`]).
#[cfg(feature = "jit")]
pub(super) fn aot_image(module: &Arc<Module>, profiling: bool) -> Result<Vec<u8>, String> {
    let options = if profiling {
        CompileOptions::PROFILE
    } else {
        CompileOptions::AOT
    };
    aot::compile_universal_with(module, OptLevel::default(), options, &mut |_, _| {})
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "jit"))]
pub(super) fn has_aot_section(_module: &Module) -> bool {
    false
}

#[cfg(not(feature = "jit"))]
pub(super) fn aot_image(_module: &Arc<Module>, _profiling: bool) -> Result<Vec<u8>, String> {
    Err(wdb_engine::NO_JIT.to_string())
}
