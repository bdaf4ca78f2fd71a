//! Debugging at JIT speed (`mode jit|aot`): the program runs as native code
//! on a thread of its own until it enters a function that has a breakpoint;
//! the JIT's debug hook then hands the store and the call to the session,
//! which runs that function in the interpreter (an ordinary [`Execution`],
//! so every inspection and stepping command works), and hands the results
//! back when it returns. The JIT's native frames stay live meanwhile, blocked
//! in the hook: a coroutine made of two threads and two channels.
//!
//! The JIT frames below an interpreted function come from the hook (a walk
//! of the native frame-pointer chain), so `bt` shows them with their call
//! sites. When the outermost interpreted function returns to a JIT caller
//! during `finish`, a step, `until` or `advance`, and that caller's code
//! keeps its locals for the debugger (modules with DWARF: `JitFrame::deopt`),
//! the caller hands its frame to the interpreter right after the call
//! ([`Session::deopt_caller`]): stepping goes on there at source-line level,
//! as in `mode interp`, and its results go back to its own JIT caller.
//! Other ways to stop in JIT code itself, with no interpreted frame: an
//! interrupt (Ctrl-C) seen at a function entry or loop header, a watchpoint
//! hit in JIT code, and `finish` into a JIT caller that keeps no locals (it
//! stops in that caller). `continue` resumes the JIT code from there.
//! Stepping from a loop header hands the rest of that call to the
//! interpreter (the JIT spilled its live locals: `Execution::at_loop_header`),
//! which returns its results to the JIT caller; from elsewhere `step` runs
//! the JIT code to the next function entry, which the interpreter runs.
//!
//! Which functions go to the interpreter: those containing a code
//! breakpoint (a function breakpoint at its entry, or a line/address one
//! inside it), except where every breakpoint in the function has a
//! condition or ignore count the engine decides (`checks`): the JIT runs
//! such a function's checked version, which stops in the JIT frame, with
//! its locals, only when a check says so (`PauseReason::Breakpoint`). `catch wasi` needs every host call, so with it the whole run
//! is interpreted. Watchpoints run JIT code compiled with watch checks
//! (`CompiledModule::compile_for_debugger_with`: a compare and branch per
//! store, or per access for `rwatch`/`awatch`, against the watched ranges'
//! bounding box; only while watchpoints exist): a watched access stops right
//! after it, in JIT code, as an interrupt does but with the old and new
//! bytes (`DebugHook::watched`), and `continue` resumes it. `mode aot` does
//! the same with JIT code: AOT images carry no watch checks. The code is
//! chosen when a run starts: a watchpoint set during a JIT run that has no
//! checks (or only store checks, for `rwatch`) serves the interpreted
//! functions at once and JIT code from the next run.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wdb_engine::interp::{Execution, FrameInfo, PauseReason, RunControl, RunOutcome};
use wdb_engine::jit::{
    AfterInterrupt, BreakFlags, CompiledModule, DebugHook, JitEngine, JitFrame, JitStop,
    NativeCall, OptLevel, PauseHandle,
};
use wdb_engine::runtime::{Store, StoreConfig};
use wdb_engine::value::FuncAddr;
use wdb_engine::{ErrorKind, Value};

use super::{BpKind, InternalStop, Res, Session, Stop};
use crate::api::{Event, StopReason, WatchKind};
use crate::runner::Mode;

/// From the JIT thread to the session.
enum JitMsg {
    /// JIT code entered a flagged function: run it and answer with `Resume`.
    Enter {
        store: Store,
        func: FuncAddr,
        args: Vec<Value>,
        /// The JIT frames below it, innermost first.
        frames: Vec<JitFrame>,
    },
    /// JIT code saw the interrupt flag: pause there, answer with `Resume`.
    Interrupted {
        store: Store,
        stop: JitStop,
        /// A watchpoint (`PauseReason::Watchpoint`), or `None`: an interrupt.
        reason: Option<PauseReason>,
    },
    /// A call the session had made as native code (`next` over a call in
    /// an interpreted function: [`Session::jit_native_call`]) ended.
    NativeReturned { store: Store, outcome: RunOutcome },
    /// The whole call ended.
    Done {
        store: Store,
        jit: Box<JitEngine>,
        outcome: Result<RunOutcome, String>,
    },
}

/// From the session to the JIT thread, answering `Enter`.
struct Resume {
    store: Store,
    /// `Returned` resumes the JIT code; anything else unwinds it.
    outcome: RunOutcome,
    breaks: HashSet<FuncAddr>,
    /// Flag every function: the next entry stops (`step` from JIT code).
    all: bool,
    /// Answering an interrupt whose call the interpreter took over:
    /// `Returned` holds that call's results.
    took_over: bool,
    /// Not an answer yet: make this call as native code first, and report
    /// it with `NativeReturned` (then the session answers again).
    native: Option<NativeCall>,
    /// With `Returned`: the JIT caller hands its frame to the interpreter
    /// right after the call (`DebugHook::deopt_caller`).
    deopt: bool,
}

/// An interpreted function waiting for a call that runs as native code
/// ([`Session::jit_native_call`]), with the JIT frames below it.
struct NativeLevel {
    exec: Execution,
    /// Its frames as `bt` shows them, innermost at the call.
    frames: Vec<FrameInfo>,
    below: Vec<JitFrame>,
    took_over: bool,
    /// A stop inside the call was shown meanwhile: when it returns, the
    /// waiting function runs on (`continue`) rather than stopping there.
    run_on: bool,
}

/// A JIT run in progress, suspended in the debug hook.
pub(super) struct JitRun {
    to_jit: Sender<Resume>,
    from_jit: Receiver<JitMsg>,
    thread: Option<JoinHandle<()>>,
    /// The JIT frames below the interpreted function that is running.
    below: Vec<JitFrame>,
    /// Stopped in JIT code itself (no interpreted frame).
    pause: Option<JitPause>,
    /// The next function entry stops at once (`step` from JIT code).
    stop_at_entry: bool,
    /// The interpreter runs the rest of the interrupted call (see
    /// `Session::take_over_jit_pause`); its outcome answers the interrupt.
    took_over: bool,
    /// Turns Ctrl-C into a pause of AOT code (`mode aot`).
    watcher: Option<PauseWatcher>,
    /// The run's code checks stores (loads) for watchpoints.
    watch_stores: bool,
    watch_loads: bool,
    /// Breakpoint numbers of the run's watch list (`RunControl::watch` as
    /// the run started: JIT code keeps it for the whole run).
    watch_numbers: Vec<u32>,
    /// Interpreted functions waiting for native calls, innermost last.
    levels: Vec<NativeLevel>,
    /// The results of the call whose JIT caller was asked to hand its
    /// frame over ([`Session::deopt_caller`]): pushed on its operand stack.
    deopt_results: Option<Vec<Value>>,
    /// How many JIT callers handed their frames over: a stepping command
    /// sees that it returned into a caller (the interpreted depth stays).
    deopts: u64,
    /// Functions of the locations `until`/`advance LOCATION` runs to: JIT
    /// code enters them through the debug hook, as with a breakpoint.
    stop_funcs: HashSet<FuncAddr>,
}

/// AOT code has no interrupt checks that can resume: at the interrupt flag
/// it unwinds the call. In `mode aot` its checks poll a flag of their own,
/// and this thread turns the session's flag (Ctrl-C) into a pause of the
/// JIT thread wherever it is (`PauseHandle`): the program stops as after
/// Ctrl-C in `mode jit`, without locals. Only while the JIT thread runs
/// (`running`); when no pause is taken within a second (the thread is in a
/// long host call), the call's own flag is set, which abandons it as before.
struct PauseWatcher {
    running: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PauseWatcher {
    fn start(
        ctrl_c: wdb_engine::runtime::InterruptHandle,
        pause: PauseHandle,
        abandon: Arc<AtomicBool>,
    ) -> Self {
        let running = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let (r, d) = (running.clone(), done.clone());
        let thread = std::thread::Builder::new()
            .name("wdb-aot-pause".into())
            .spawn(move || {
                while !d.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(5));
                    if !r.load(Ordering::SeqCst) || !ctrl_c.swap(false, Ordering::SeqCst) {
                        continue;
                    }
                    let t0 = Instant::now();
                    let taken = loop {
                        if !r.load(Ordering::SeqCst) || !pause.request() {
                            pause.cancel();
                            break true;
                        }
                        std::thread::sleep(Duration::from_millis(2));
                        if !pause.pending() {
                            break true;
                        }
                        if t0.elapsed() > Duration::from_secs(1) {
                            pause.cancel();
                            break false;
                        }
                    };
                    if !taken {
                        abandon.store(true, Ordering::SeqCst);
                    }
                }
            })
            .ok();
        PauseWatcher {
            running,
            done,
            thread,
        }
    }
}

impl Drop for PauseWatcher {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What [`Session::finish_into_jit`] did.
pub(super) type FinishIntoJit = Result<(Stop, String, Vec<Value>), Stop>;

/// Stopped in JIT code: after an interrupt, or `finish` into a JIT caller.
pub(super) struct JitPause {
    /// Innermost first.
    frames: Vec<JitFrame>,
    /// Params and locals of `frames[0]`, when the JIT spilled them; one
    /// that was not live there holds a zero of its type (the interpreter
    /// taking over never reads it before writing it).
    locals: Option<Vec<Value>>,
    /// Which of `locals` were not live there.
    not_live: Vec<bool>,
    /// What `continue` hands the JIT code (`Returned` resumes it).
    pending: RunOutcome,
    /// The interpreter can run the rest of `frames[0]`'s call from here.
    takeover: bool,
}

/// The hook on the JIT side: ship the store to the session and wait.
struct ChannelHook {
    tx: Sender<JitMsg>,
    rx: Receiver<Resume>,
    /// A native call the session asked for, for the engine to make.
    native: Option<NativeCall>,
    /// The last answer asked the caller to hand its frame over.
    deopt: bool,
}

impl DebugHook for ChannelHook {
    fn enter(
        &mut self,
        store: &mut Store,
        func: FuncAddr,
        args: &[Value],
        frames: &[JitFrame],
        flags: &mut BreakFlags<'_>,
    ) -> RunOutcome {
        // The JIT keeps pointers into the store's heap data (memories,
        // globals), not to the `Store` value, so it can travel and come back.
        let s = std::mem::replace(store, Store::new(StoreConfig::default()));
        let (outcome, _) = self.exchange(
            store,
            JitMsg::Enter {
                store: s,
                func,
                args: args.to_vec(),
                frames: frames.to_vec(),
            },
            flags,
        );
        outcome
    }

    fn interrupted(
        &mut self,
        store: &mut Store,
        stop: JitStop,
        flags: &mut BreakFlags<'_>,
    ) -> AfterInterrupt {
        let s = std::mem::replace(store, Store::new(StoreConfig::default()));
        let msg = JitMsg::Interrupted {
            store: s,
            stop,
            reason: None,
        };
        match self.exchange(store, msg, flags) {
            (outcome, true) => AfterInterrupt::TookOver(outcome),
            (RunOutcome::Returned(_), false) => AfterInterrupt::Resume,
            (other, _) => AfterInterrupt::Unwind(other),
        }
    }

    fn watched(
        &mut self,
        store: &mut Store,
        stop: JitStop,
        reason: PauseReason,
        flags: &mut BreakFlags<'_>,
    ) -> AfterInterrupt {
        let s = std::mem::replace(store, Store::new(StoreConfig::default()));
        let msg = JitMsg::Interrupted {
            store: s,
            stop,
            reason: Some(reason),
        };
        match self.exchange(store, msg, flags) {
            // A compiled breakpoint check's stop, which the interpreter
            // took over (`Session::take_over_jit_pause`).
            (outcome, true) => AfterInterrupt::TookOver(outcome),
            (RunOutcome::Returned(_), false) => AfterInterrupt::Resume,
            (other, false) => AfterInterrupt::Unwind(other),
        }
    }

    fn native_call(&mut self) -> Option<NativeCall> {
        self.native.take()
    }

    fn deopt_caller(&mut self) -> bool {
        std::mem::take(&mut self.deopt)
    }

    fn native_returned(
        &mut self,
        store: &mut Store,
        outcome: RunOutcome,
        flags: &mut BreakFlags<'_>,
    ) -> (RunOutcome, bool) {
        let s = std::mem::replace(store, Store::new(StoreConfig::default()));
        self.exchange(store, JitMsg::NativeReturned { store: s, outcome }, flags)
    }
}

impl ChannelHook {
    /// Send `msg` (which carries the store) and wait for the answer: the
    /// outcome, and whether the interpreter took the interrupted call over.
    fn exchange(
        &mut self,
        store: &mut Store,
        msg: JitMsg,
        flags: &mut BreakFlags<'_>,
    ) -> (RunOutcome, bool) {
        if let Err(e) = self.tx.send(msg) {
            if let JitMsg::Enter { store: s, .. }
            | JitMsg::Interrupted { store: s, .. }
            | JitMsg::NativeReturned { store: s, .. } = e.0
            {
                *store = s;
            }
            return (RunOutcome::Paused(PauseReason::Interrupted), false);
        }
        match self.rx.recv() {
            Ok(r) => {
                *store = r.store;
                self.native = r.native;
                self.deopt = r.deopt;
                if r.all {
                    flags.set_all();
                } else {
                    flags.set(store, &r.breaks);
                }
                (r.outcome, r.took_over)
            }
            // The session abandoned the run: unwind the JIT frames.
            Err(_) => (RunOutcome::Paused(PauseReason::Interrupted), false),
        }
    }
}

impl Session {
    /// Whether this launch runs JIT code (some breakpoints force the interpreter).
    pub(super) fn uses_jit(&self) -> bool {
        self.mode != Mode::Interp
            && !self.bps.iter().any(|b| {
                b.enabled && matches!(b.kind, BpKind::CatchWasi(_) | BpKind::CatchException { .. })
            })
    }

    /// Said when a watchpoint is set while JIT code without the checks it
    /// needs runs (see the module documentation).
    pub(super) fn jit_watch_note(&self) -> Option<String> {
        let run = self.jit_run.as_ref()?;
        let (stores, loads) = self.jit_watch_checks();
        ((stores && !run.watch_stores) || (loads && !run.watch_loads)).then(|| {
            "the JIT code of this run has no checks for this watchpoint: it applies to interpreted functions now and to JIT code from the next run".to_string()
        })
    }

    /// The watch checks JIT code needs for the enabled watchpoints:
    /// (stores, loads).
    fn jit_watch_checks(&self) -> (bool, bool) {
        let kinds: Vec<WatchKind> = self
            .bps
            .iter()
            .filter(|b| b.enabled)
            .filter_map(|b| match b.kind {
                BpKind::Watch { kind, .. } => Some(kind),
                _ => None,
            })
            .collect();
        (
            !kinds.is_empty(),
            kinds.iter().any(|k| *k != WatchKind::Write),
        )
    }

    /// Store addresses of the functions that must run interpreted.
    pub(super) fn jit_break_funcs(&self) -> HashSet<FuncAddr> {
        let Some(rt) = self.rt.as_ref() else {
            return HashSet::new();
        };
        let mut funcs: HashSet<FuncAddr> = self
            .bps
            .iter()
            .flat_map(|b| b.live_locations())
            .map(|(func_index, _)| rt.store.instance_func(rt.inst, func_index))
            .collect();
        if let Some(run) = self.jit_run.as_ref() {
            funcs.extend(run.stop_funcs.iter().copied());
        }
        funcs
    }

    /// The functions `until`/`advance LOCATION` stops in, for the rest of
    /// that command: their calls from JIT code come to the interpreter.
    pub(super) fn set_jit_stop_funcs(&mut self, funcs: HashSet<FuncAddr>) {
        if let Some(run) = self.jit_run.as_mut() {
            run.stop_funcs = funcs;
        }
    }

    /// The engine for this session's module, compiled (or loaded) once.
    fn take_jit(&mut self) -> Res<(Box<JitEngine>, Option<String>)> {
        // A component's core modules (the store runs the component's own
        // copies; the session's module is the main one with demangled names).
        let component = self.loaded()?.component.clone();
        let (module, others) = match &component {
            Some(lc) => (
                lc.comp.modules[lc.main].clone(),
                lc.comp
                    .modules
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i != lc.main)
                    .map(|(_, m)| m.clone())
                    .collect(),
            ),
            None => (self.module()?, Vec::new()),
        };
        let add_others = |jit: &mut JitEngine| -> Res<()> {
            for m in &others {
                let c = CompiledModule::compile_for_debugger(m.clone(), OptLevel::Speed)
                    .map_err(|e| e.to_string())?;
                jit.add_compiled(std::sync::Arc::new(c));
            }
            Ok(())
        };
        // Watchpoints need code with watch checks (compiled for them, only
        // while they exist); AOT code has none, so the JIT serves them.
        let (watch_stores, watch_loads) = self.jit_watch_checks();
        if let Some(mut j) = self.jit.take() {
            let o = j.compiled(&module).map_err(|e| e.to_string())?.options;
            if (o.watch_stores, o.watch_loads) == (watch_stores, watch_loads) {
                return Ok((j, None));
            }
        }
        let mut jit = Box::new(JitEngine::new(OptLevel::Speed));
        if watch_stores {
            let compiled = CompiledModule::compile_for_debugger_with(
                module,
                OptLevel::Speed,
                watch_stores,
                watch_loads,
            )
            .map_err(|e| e.to_string())?;
            jit.add_compiled(std::sync::Arc::new(compiled));
            add_others(&mut jit)?;
            let note = (self.mode == Mode::Aot).then(|| {
                "watchpoints: AOT code has no watch checks; running JIT code compiled with them"
                    .to_string()
            });
            return Ok((jit, note));
        }
        let mut note = None;
        let compiled = match self.mode {
            Mode::Aot => match CompiledModule::load_aot(module.clone()) {
                Ok(Some(c)) => c,
                Ok(None) => {
                    note = Some("no AOT section: compiling now; use `wdb compile`".to_string());
                    CompiledModule::compile_for_debugger(module, OptLevel::Speed)
                        .map_err(|e| e.to_string())?
                }
                Err(e) if e.kind == ErrorKind::Malformed => {
                    return Err(crate::error::err(crate::ErrorKind::Load, e.to_string()));
                }
                Err(e) => {
                    note = Some(format!("{}; compiling with the JIT instead", e.message));
                    CompiledModule::compile_for_debugger(module, OptLevel::Speed)
                        .map_err(|e| e.to_string())?
                }
            },
            _ => CompiledModule::compile_for_debugger(module, OptLevel::Speed)
                .map_err(|e| e.to_string())?,
        };
        jit.add_compiled(std::sync::Arc::new(compiled));
        add_others(&mut jit)?;
        Ok((jit, note))
    }

    /// Start `func(args)` as JIT code on its own thread and wait for the
    /// first thing to report.
    pub(super) fn start_jit(
        &mut self,
        func: FuncAddr,
        args: Vec<Value>,
    ) -> Res<(Stop, Option<String>)> {
        let (mut jit, note) = self.take_jit()?;
        let (watch_stores, watch_loads) = self.jit_watch_checks();
        let breaks = self.jit_break_funcs();
        let aot_pauses = self.mode == Mode::Aot && PauseHandle::supported();
        let rt = self.rt.as_mut().ok_or("not instantiated")?;
        let watch = rt.ctl.watch.clone();
        let watch_numbers = rt.watch_numbers.clone();
        let mut store = std::mem::replace(&mut rt.store, Store::new(StoreConfig::default()));
        let watcher = aot_pauses.then(|| {
            let abandon = Arc::new(AtomicBool::new(false));
            jit.interrupt_flag = Some(abandon.clone());
            PauseWatcher::start(store.interrupt_handle(), jit.pause_handle(), abandon)
        });
        if !aot_pauses {
            jit.interrupt_flag = None;
        }
        let (tx, from_jit) = channel();
        let (to_jit, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("wdb-jit-run".into())
            .spawn(move || {
                let mut hook = ChannelHook {
                    tx,
                    rx,
                    native: None,
                    deopt: false,
                };
                let mut ctl = RunControl {
                    watch,
                    ..RunControl::default()
                };
                let outcome = jit
                    .call_debug(&mut store, func, &args, &mut ctl, &breaks, &mut hook)
                    .map_err(|e| e.to_string());
                let _ = hook.tx.send(JitMsg::Done {
                    store,
                    jit,
                    outcome,
                });
            })
            .map_err(|e| format!("cannot start the JIT thread: {e}"))?;
        self.jit_run = Some(JitRun {
            to_jit,
            from_jit,
            thread: Some(thread),
            below: Vec::new(),
            pause: None,
            stop_at_entry: false,
            took_over: false,
            watcher,
            watch_stores,
            watch_loads,
            watch_numbers,
            levels: Vec::new(),
            deopt_results: None,
            deopts: 0,
            stop_funcs: HashSet::new(),
        });
        Ok((self.wait_jit()?, note))
    }

    /// Wait for the JIT thread: an entry into a flagged function (run it in
    /// the interpreter until something to show) or the end of the call.
    fn wait_jit(&mut self) -> Res<Stop> {
        let run = self.jit_run.as_mut().ok_or("no JIT run")?;
        if let Some(w) = &run.watcher {
            w.running.store(true, Ordering::SeqCst);
        }
        let msg = run.from_jit.recv();
        if let Some(w) = &run.watcher {
            w.running.store(false, Ordering::SeqCst);
        }
        match msg {
            Ok(JitMsg::Enter {
                store,
                func,
                args,
                frames,
            }) => {
                run.below = frames;
                run.pause = None;
                let at_entry = std::mem::take(&mut run.stop_at_entry);
                let rt = self.rt.as_mut().ok_or("not instantiated")?;
                rt.store = store;
                rt.exec =
                    Some(Execution::new(&mut rt.store, func, &args).map_err(|e| e.to_string())?);
                self.selected = 0;
                if at_entry && let Some(stop) = self.entry_stop(func) {
                    // Where `break FUNC` would stop (after the prologue).
                    return Ok(match self.run_to_stop(Some(stop))? {
                        Stop::At(StopReason::Location) => Stop::At(StopReason::Step),
                        other => other,
                    });
                }
                self.run_to_stop(None)
            }
            Ok(JitMsg::Interrupted {
                store,
                stop,
                reason: _,
            }) if stop.operands.is_some() => {
                // The JIT caller of the call that returned hands its frame
                // over (`Session::deopt_caller`): it runs on interpreted.
                let results = run.deopt_results.take().unwrap_or_default();
                let top = stop.frames[0];
                run.below = stop.frames[1..].to_vec();
                run.pause = None;
                run.stop_at_entry = false;
                run.took_over = true;
                let rt = self.rt.as_mut().ok_or("not instantiated")?;
                rt.store = store;
                let types = rt
                    .store
                    .instance_module(top.instance)
                    .local_types(top.func_index);
                let locals: Vec<Value> = stop
                    .locals
                    .iter()
                    .zip(types)
                    .map(|(v, t)| v.unwrap_or(Value::default_for(t)))
                    .collect();
                let exec = Execution::after_call(
                    &mut rt.store,
                    top.func,
                    top.code_offset,
                    &locals,
                    stop.operands.as_deref().unwrap_or_default(),
                    &results,
                );
                self.selected = 0;
                match exec {
                    Ok(exec) => {
                        rt.exec = Some(exec);
                        run.deopts += 1;
                        Ok(Stop::At(StopReason::Step))
                    }
                    Err(e) => {
                        // A wdb bug: stay in JIT code; `continue` unwinds.
                        let msg =
                            format!("cannot run the JIT caller on interpreted: {}", e.message);
                        rt.exec = None;
                        run.pause = Some(JitPause {
                            frames: stop.frames,
                            locals: None,
                            not_live: Vec::new(),
                            pending: RunOutcome::Trapped(wdb_engine::trap::Trap::host(msg.clone())),
                            takeover: false,
                        });
                        Ok(Stop::Warned(
                            msg,
                            Box::new(Stop::At(StopReason::Interrupted)),
                        ))
                    }
                }
            }
            Ok(JitMsg::Interrupted {
                store,
                stop,
                reason,
            }) => {
                let types = store
                    .instance_module(stop.frames[0].instance)
                    .local_types(stop.frames[0].func_index);
                let spilled = stop.locals.len() == types.len();
                let not_live = stop.locals.iter().map(Option::is_none).collect();
                let locals = spilled.then(|| {
                    stop.locals
                        .iter()
                        .zip(types)
                        .map(|(v, t)| v.unwrap_or(Value::default_for(t)))
                        .collect()
                });
                run.below = Vec::new();
                run.stop_at_entry = false;
                run.pause = Some(JitPause {
                    frames: stop.frames,
                    takeover: stop.takeover && spilled,
                    locals,
                    not_live,
                    pending: RunOutcome::Returned(Vec::new()),
                });
                let rt = self.rt.as_mut().ok_or("not instantiated")?;
                rt.store = store;
                rt.exec = None;
                self.selected = 0;
                // A breakpoint check compiled into JIT code stopped (see
                // `wdb_engine::jit::patch`): decide the hit as in the
                // interpreter; go on when no breakpoint takes it.
                if let Some(PauseReason::Breakpoint { func, pc }) = reason {
                    return match self.breakpoint_hit(func, pc)? {
                        Some(stop) => {
                            // The interpreter runs the rest of the call
                            // from the breakpoint (its frame then shows as
                            // before, and so do its callees' callers).
                            if self.jit_pause_can_take_over() {
                                self.take_over_jit_pause(true)?;
                            }
                            // The engine's counts into the breakpoints.
                            self.sync_breakpoints();
                            Ok(stop)
                        }
                        None => self.send_to_jit(RunOutcome::Returned(Vec::new()), false),
                    };
                }
                if let Some(PauseReason::Watchpoint {
                    index,
                    addr,
                    write,
                    old,
                    new,
                    ..
                }) = reason
                {
                    // A watchpoint deleted or disabled since the run
                    // started: its JIT checks still fire; go on.
                    let number = self
                        .jit_run
                        .as_ref()
                        .and_then(|r| r.watch_numbers.get(index).copied());
                    let live = number.is_some_and(|n| {
                        self.bps.iter().any(|b| {
                            b.number == n && b.enabled && matches!(b.kind, BpKind::Watch { .. })
                        })
                    });
                    return match number.filter(|_| live) {
                        Some(n) => Ok(Stop::At(self.numbered_watch_stop(n, addr, write, old, new))),
                        None => self.send_to_jit(RunOutcome::Returned(Vec::new()), false),
                    };
                }
                self.clear_interrupt();
                Ok(Stop::At(StopReason::Interrupted))
            }
            Ok(JitMsg::NativeReturned { store, outcome }) => {
                let level = run
                    .levels
                    .pop()
                    .ok_or("a native call returned to no caller")?;
                run.below = level.below;
                run.took_over = level.took_over;
                run.pause = None;
                let module = self.module()?;
                let rt = self.rt.as_mut().ok_or("not instantiated")?;
                rt.store = store;
                let mut exec = level.exec;
                self.selected = 0;
                match outcome {
                    RunOutcome::Returned(values) => {
                        exec.complete_call(&values);
                        rt.exec = Some(exec);
                        if level.run_on {
                            self.run_to_stop(None)
                        } else {
                            Ok(Stop::At(StopReason::Step))
                        }
                    }
                    RunOutcome::Trapped(mut t) => {
                        // The waiting function's frames, then the JIT
                        // frames below it add theirs.
                        t.backtrace
                            .extend(exec.frames(&rt.store).into_iter().map(|f| {
                                wdb_engine::trap::BacktraceFrame {
                                    func_index: f.func_index,
                                    func_name: module.func_name(f.func_index).map(str::to_string),
                                    code_offset: Some(f.code_offset),
                                }
                            }));
                        rt.exec = Some(exec);
                        Ok(Stop::Outcome(RunOutcome::Trapped(t)))
                    }
                    other => {
                        rt.exec = Some(exec);
                        Ok(Stop::Outcome(other))
                    }
                }
            }
            Ok(JitMsg::Done {
                store,
                jit,
                outcome,
            }) => {
                self.finish_jit_thread();
                self.jit = Some(jit);
                let rt = self.rt.as_mut().ok_or("not instantiated")?;
                rt.store = store;
                // The counts of checks compiled into JIT code that never
                // stopped into the breakpoints.
                self.sync_break_checks();
                let rt = self.rt.as_mut().ok_or("not instantiated")?;
                let outcome = outcome?;
                if !matches!(outcome, RunOutcome::Trapped(_)) {
                    rt.exec = None;
                }
                // Post-mortem frames: the trap's backtrace below the
                // interpreted frames (if any) is JIT code's.
                if let RunOutcome::Trapped(t) = &outcome {
                    let interp = rt
                        .exec
                        .as_ref()
                        .filter(|e| e.depth() > 0)
                        .map_or(0, Execution::depth);
                    if interp == 0 {
                        rt.exec = None;
                    }
                    self.jit_post_mortem = t
                        .backtrace
                        .iter()
                        .skip(interp)
                        .map(|f| FrameInfo {
                            func: rt.store.instance_func(rt.inst, f.func_index),
                            instance: rt.inst,
                            func_index: f.func_index,
                            pc: 0,
                            code_offset: f.code_offset.unwrap_or(0),
                            locals: Vec::new(),
                        })
                        .collect();
                }
                Ok(match outcome {
                    // AOT code (`wdb compile`) unwinds on an interrupt.
                    RunOutcome::Paused(PauseReason::Interrupted) => Stop::Warned(
                        if PauseHandle::supported() {
                            "interrupted in AOT code, which did not reach a place to pause within a second (a long host call?): the call was abandoned"
                        } else {
                            "interrupted in AOT code, which cannot pause here: the call was abandoned (`mode jit` stops inside)"
                        }
                        .into(),
                        Box::new(Stop::Outcome(RunOutcome::Paused(PauseReason::Interrupted))),
                    ),
                    o => Stop::Outcome(o),
                })
            }
            Err(_) => {
                // It panicked holding the store: what is left here is the
                // empty placeholder, so the program cannot go on.
                self.finish_jit_thread();
                self.rt = None;
                Err("the JIT thread ended without a result (a wdb bug): the program was stopped; `run` or `call` starts it again".into())
            }
        }
    }

    fn finish_jit_thread(&mut self) {
        if let Some(mut run) = self.jit_run.take()
            && let Some(t) = run.thread.take()
        {
            let _ = t.join();
        }
    }

    /// Whether an interpreted function entered from JIT code is running.
    pub(super) fn in_jit_run(&self) -> bool {
        self.jit_run.is_some()
    }

    /// The interpreted function ended (`Returned`, trap, exit): give its
    /// outcome back to the JIT code and wait for the next report.
    pub(super) fn back_to_jit(&mut self, outcome: RunOutcome) -> Res<Stop> {
        self.send_to_jit(outcome, false)
    }

    fn send_to_jit(&mut self, outcome: RunOutcome, all: bool) -> Res<Stop> {
        self.answer_jit(outcome, all, false)
    }

    /// Answer the JIT thread and wait for its next report; with `deopt`,
    /// the caller of the call that returned hands its frame over.
    fn answer_jit(&mut self, outcome: RunOutcome, all: bool, deopt: bool) -> Res<Stop> {
        let breaks = self.jit_break_funcs();
        let rt = self.rt.as_mut().ok_or("not instantiated")?;
        // A trapped execution stays for post-mortem frames (with arguments).
        if !matches!(outcome, RunOutcome::Trapped(_)) {
            rt.exec = None;
        }
        let store = std::mem::replace(&mut rt.store, Store::new(StoreConfig::default()));
        let run = self.jit_run.as_mut().ok_or("no JIT run")?;
        run.below = Vec::new();
        run.pause = None;
        let took_over = std::mem::take(&mut run.took_over);
        if let Err(e) = run.to_jit.send(Resume {
            store,
            outcome,
            breaks,
            all,
            took_over,
            native: None,
            deopt,
        }) {
            rt.store = e.0.store;
            self.finish_jit_thread();
            return Err("the JIT thread is gone".into());
        }
        self.wait_jit()
    }

    /// Whether a call from an interpreted function may run as native code
    /// ([`Session::jit_native_call`]): in a JIT run whose code serves every
    /// watchpoint, in a module without GC objects (the interpreted frames
    /// would not be roots for the JIT's collector) or exceptions (a throw
    /// would not reach the interpreted handlers).
    fn native_calls_ok(&self) -> bool {
        let Some(run) = self.jit_run.as_ref() else {
            return false;
        };
        let (stores, loads) = self.jit_watch_checks();
        let Some(l) = self.loaded.as_ref() else {
            return false;
        };
        (!stores || run.watch_stores)
            && (!loads || run.watch_loads)
            && !l.module.uses_gc_refs()
            && l.module.tags.is_empty()
            && self.rt.as_ref().is_some_and(|rt| !rt.ctl.needs_debug())
    }

    /// Under a JIT run, the call the interpreted function just entered
    /// (`next`, `finish`, `until` run over it): run it as native code,
    /// nested in the JIT run (breakpoints and watchpoints in it stop as in
    /// any JIT code), with the caller waiting after its call op. `None`
    /// when it cannot (see [`Session::native_calls_ok`]): the interpreter
    /// runs it. `Some(Stop::At(Step))`: it returned, the caller stands
    /// after the call.
    pub(super) fn jit_native_call(&mut self) -> Res<Option<Stop>> {
        if !self.native_calls_ok() {
            return Ok(None);
        }
        let depth = (self.interp_depth() + self.jit_frames().len()).saturating_sub(1) as u32;
        let breaks = self.jit_break_funcs();
        // A callee with a breakpoint would come straight back to the
        // interpreter: it runs there at once.
        if self.top_frame().is_none_or(|f| breaks.contains(&f.func)) {
            return Ok(None);
        }
        let rt = self.rt.as_mut().ok_or("not instantiated")?;
        let Some(exec) = rt.exec.as_mut() else {
            return Ok(None);
        };
        let Some((func, args)) = exec.take_entered_call(&rt.store) else {
            return Ok(None);
        };
        let exec = rt.exec.take().expect("checked above");
        let mut frames = exec.frames(&rt.store);
        if let Some(f) = frames.first_mut()
            && let Some(co) = rt.store.code_offset_from_pc(f.func, f.pc.saturating_sub(1))
        {
            f.code_offset = co;
        }
        for f in &mut frames {
            f.locals.clear();
        }
        let store = std::mem::replace(&mut rt.store, Store::new(StoreConfig::default()));
        let run = self.jit_run.as_mut().ok_or("no JIT run")?;
        run.levels.push(NativeLevel {
            exec,
            frames,
            below: std::mem::take(&mut run.below),
            took_over: std::mem::take(&mut run.took_over),
            run_on: false,
        });
        run.pause = None;
        let n = run.levels.len();
        if let Err(e) = run.to_jit.send(Resume {
            store,
            outcome: RunOutcome::Returned(Vec::new()),
            breaks,
            all: false,
            took_over: false,
            native: Some(NativeCall { func, args, depth }),
            deopt: false,
        }) {
            let rt = self.rt.as_mut().ok_or("not instantiated")?;
            rt.store = e.0.store;
            self.finish_jit_thread();
            return Err("the JIT thread is gone".into());
        }
        let mut stop = self.wait_jit()?;
        loop {
            let Some(run) = self.jit_run.as_mut() else {
                return Ok(Some(stop));
            };
            if run.levels.len() < n {
                return Ok(Some(stop));
            }
            match stop {
                // A function entered from the native call ended: back to it.
                Stop::Outcome(
                    o @ (RunOutcome::Returned(_)
                    | RunOutcome::Trapped(_)
                    | RunOutcome::Exited(_)
                    | RunOutcome::OutOfFuel),
                ) => stop = self.back_to_jit(o)?,
                other => {
                    // A stop inside the call: the user goes on from there.
                    run.levels[n - 1].run_on = true;
                    return Ok(Some(other));
                }
            }
        }
    }

    /// `run_to_stop(internal)`, but under a JIT run every call that the
    /// interpreted frames make (those there are now, not deeper ones) runs
    /// as native code, as `next` makes it ([`Session::jit_native_call`]):
    /// each call site of their functions is a stop, which the engine
    /// passes in deeper frames. `finish`, `until` and `advance` run so.
    pub(super) fn run_to_stop_calls_native(&mut self, internal: Option<InternalStop>) -> Res<Stop> {
        if !self.native_calls_ok() {
            return self.run_to_stop(internal);
        }
        let d = self.depth();
        let rt = self.rt.as_mut().ok_or("not instantiated")?;
        let Some(exec) = rt.exec.as_ref() else {
            return self.run_to_stop(internal);
        };
        let mut funcs = exec.frame_funcs();
        funcs.sort_unstable();
        funcs.dedup();
        let mut calls = HashSet::new();
        for f in funcs {
            let Some((inst, index)) = rt.store.func_origin(f) else {
                continue;
            };
            let module = rt.store.instance_module(inst).clone();
            for co in crate::disasm::call_sites(&module, index) {
                if let Some(pc) = rt.store.pc_from_code_offset(f, co) {
                    calls.insert((f, pc));
                }
            }
        }
        let user_stops = std::mem::take(&mut self.extra_stops);
        let call_stops: Vec<InternalStop> = calls
            .iter()
            .filter(|&&(func, pc)| {
                !internal.is_some_and(|s| s.func == func && s.pc == pc)
                    && !user_stops.iter().any(|s| s.func == func && s.pc == pc)
            })
            .map(|&(func, pc)| InternalStop {
                func,
                pc,
                max_depth: d,
            })
            .collect();
        let checked: Vec<InternalStop> = call_stops
            .iter()
            .copied()
            .filter(|&s| self.depth_check(s))
            .collect();
        self.extra_stops = user_stops.clone();
        self.extra_stops.extend(call_stops.iter().copied());
        let result = loop {
            let stop = match self.run_to_stop(internal) {
                Ok(s) => s,
                Err(e) => break Err(e),
            };
            let Stop::At(StopReason::Location) = stop else {
                break Ok(stop);
            };
            let (Some(top), depth) = (self.top_frame(), self.depth()) else {
                break Ok(stop);
            };
            let here =
                |s: &InternalStop| s.func == top.func && s.pc == top.pc && depth <= s.max_depth;
            if internal.as_ref().is_some_and(here)
                || user_stops.iter().any(here)
                || !call_stops.iter().any(here)
            {
                break Ok(stop);
            }
            // At a call: into it, and over it as native code.
            match self.engine_step() {
                RunOutcome::Paused(PauseReason::Step) => {}
                other => break Ok(Stop::from_step(other)),
            }
            if self.depth() > depth {
                match self.jit_native_call() {
                    Ok(Some(Stop::At(StopReason::Step)) | None) => {}
                    Ok(Some(other)) => break Ok(other),
                    Err(e) => break Err(e),
                }
            }
            if self.interrupted() {
                break Ok(Stop::At(StopReason::Interrupted));
            }
        };
        if let Some(rt) = self.rt.as_mut() {
            for s in checked {
                rt.store.take_break_check(s.func, s.pc);
            }
        }
        self.extra_stops = user_stops;
        self.sync_breakpoints();
        result
    }

    /// Abandon a suspended JIT run (kill, restart, a new launch): its frames
    /// unwind, the engine (compiled code) is kept, the store stays here.
    pub(super) fn abandon_jit(&mut self) {
        self.jit_post_mortem.clear();
        let Some(run) = self.jit_run.take() else {
            return;
        };
        let JitRun {
            to_jit,
            from_jit,
            thread,
            ..
        } = run;
        drop(to_jit);
        while let Ok(msg) = from_jit.recv() {
            if let JitMsg::Done { jit, .. } = msg {
                self.jit = Some(jit);
                break;
            }
        }
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

impl Session {
    /// Stopped in JIT code itself (after an interrupt or a `finish`).
    pub(super) fn jit_paused(&self) -> bool {
        self.jit_run.as_ref().is_some_and(|r| r.pause.is_some())
    }

    /// The JIT frames to show below the interpreted ones (or alone, when
    /// stopped in JIT code), as frames: only the first of a pause may have
    /// its locals.
    pub(super) fn jit_frames(&self) -> Vec<FrameInfo> {
        let Some(run) = self.jit_run.as_ref() else {
            return self.jit_post_mortem.clone();
        };
        let (frames, locals) = match &run.pause {
            Some(p) => (&p.frames, p.locals.as_ref()),
            None => (&run.below, None),
        };
        let jit = |(i, f): (usize, &JitFrame)| FrameInfo {
            func: f.func,
            instance: f.instance,
            func_index: f.func_index,
            // Not an interpreted frame: it has no internal pc.
            pc: 0,
            code_offset: f.code_offset,
            // A local that is not live shows as such (`not_live_locals`).
            locals: match (i, locals) {
                (0, Some(l)) => l.clone(),
                _ => Vec::new(),
            },
        };
        let mut out: Vec<FrameInfo> = frames.iter().enumerate().map(jit).collect();
        // Interpreted functions waiting for native calls, and the JIT
        // frames below each (shown as JIT frames: their variables are not
        // read from here).
        for level in run.levels.iter().rev() {
            out.extend(level.frames.iter().cloned());
            out.extend(level.below.iter().map(|f| FrameInfo {
                func: f.func,
                instance: f.instance,
                func_index: f.func_index,
                pc: 0,
                code_offset: f.code_offset,
                locals: Vec::new(),
            }));
        }
        out
    }

    /// Which locals of frame `index` of `frames()` the JIT code kept no
    /// value for (not live where it stopped); empty for other frames.
    pub(super) fn not_live_locals(&self, index: usize) -> Vec<bool> {
        match self.jit_run.as_ref().and_then(|r| r.pause.as_ref()) {
            Some(p) if index == self.interp_depth() => p.not_live.clone(),
            _ => Vec::new(),
        }
    }

    /// Whether frame `index` of `frames()` has no locals to show (a JIT
    /// frame the JIT did not spill).
    pub(super) fn jit_frame_without_locals(&self, index: usize) -> bool {
        let interp = self.interp_depth();
        index >= interp
            && !(index == 0
                && self
                    .jit_run
                    .as_ref()
                    .and_then(|r| r.pause.as_ref())
                    .is_some_and(|p| p.locals.is_some()))
    }

    /// Interpreted frames in `frames()` (the JIT ones follow).
    pub(super) fn interp_depth(&self) -> usize {
        self.rt
            .as_ref()
            .and_then(|rt| Some(rt.exec.as_ref()?.depth()))
            .unwrap_or(0)
    }

    /// `finish` out of the outermost interpreted function whose caller is
    /// JIT code: stop there with its results (`Ok`: the stop, the caller's
    /// name, the results). `Err(stop)` when its caller is not JIT code (the
    /// host's call: it ran to the end), or it stopped elsewhere first.
    pub(super) fn finish_into_jit(&mut self) -> Res<FinishIntoJit> {
        let caller = match self.jit_run.as_ref().and_then(|r| r.below.first()) {
            Some(f) => *f,
            None => return Ok(Err(self.run_to_stop_calls_native(None)?)),
        };
        let stop = self.run_to_stop_calls_native(None)?;
        let Stop::Outcome(RunOutcome::Returned(values)) = stop else {
            return Ok(Err(stop));
        };
        let module = self.module()?;
        let run = self.jit_run.as_mut().ok_or("no JIT run")?;
        let frames = std::mem::take(&mut run.below);
        run.pause = Some(JitPause {
            frames,
            locals: None,
            not_live: Vec::new(),
            pending: RunOutcome::Returned(values.clone()),
            takeover: false,
        });
        if let Some(rt) = self.rt.as_mut() {
            rt.exec = None;
        }
        self.selected = 0;
        Ok(Ok((
            Stop::At(StopReason::Location),
            module.display_func_name(caller.func_index),
            values,
        )))
    }

    /// An internal stop where `break FUNC` would stop in `func`.
    fn entry_stop(&mut self, func: FuncAddr) -> Option<InternalStop> {
        let module = self.module().ok()?;
        let rt = self.rt.as_ref()?;
        let (_, index) = rt.store.func_origin(func)?;
        let name = module.func_name(index).map(str::to_string);
        let code_offset =
            match name.and_then(|n| self.resolve_spec(&crate::api::BreakSpec::Function(n)).ok()) {
                Some(BpKind::Code { code_offset, .. }) => code_offset,
                _ => crate::disasm::first_instruction(&module, index)?,
            };
        let rt = self.rt.as_mut()?;
        let pc = rt.store.pc_from_code_offset(func, code_offset)?;
        Some(InternalStop {
            func,
            pc,
            max_depth: 1,
        })
    }

    /// Whether the outermost interpreted function's JIT caller can run on
    /// interpreted once the call returns ([`Session::deopt_caller`]).
    pub(super) fn can_deopt_caller(&self) -> bool {
        self.jit_run
            .as_ref()
            .is_some_and(|r| r.pause.is_none() && r.below.first().is_some_and(|f| f.deopt))
    }

    /// How many JIT callers have handed their frames over in this run.
    pub(super) fn deopt_count(&self) -> u64 {
        self.jit_run.as_ref().map_or(0, |r| r.deopts)
    }

    /// The outermost interpreted function returned `values` to its JIT
    /// caller ([`Session::can_deopt_caller`]): that caller hands its frame
    /// over right after the call (the JIT spills its live locals and
    /// operand stack there, `wdb_engine::jit::DebugHook::deopt_caller`), and
    /// the interpreter runs the rest of its call from there, with the
    /// results on its stack, so every stepping command goes on in it. The
    /// stop: `Stop::At(Step)` once it did, or what happened instead.
    pub(super) fn deopt_caller(&mut self, values: Vec<Value>) -> Res<Stop> {
        let run = self.jit_run.as_mut().ok_or("no JIT run")?;
        run.deopt_results = Some(values.clone());
        self.answer_jit(RunOutcome::Returned(values), false, true)
    }

    /// Whether stepping from this JIT pause can hand the call to the
    /// interpreter (stopped at a loop header with the locals).
    pub(super) fn jit_pause_can_take_over(&self) -> bool {
        self.jit_run
            .as_ref()
            .and_then(|r| r.pause.as_ref())
            .is_some_and(|p| p.takeover)
    }

    /// Stopped at a loop header in JIT code (or at a breakpoint its check
    /// stopped at, `at_breakpoint`): run the rest of that call in the
    /// interpreter, from there, with the locals the JIT spilled. The JIT
    /// code waits in the hook and returns the call's results to its
    /// caller.
    pub(super) fn take_over_jit_pause(&mut self, at_breakpoint: bool) -> Res<()> {
        let run = self.jit_run.as_mut().ok_or("not stopped in JIT code")?;
        let pause = run.pause.take().ok_or("not stopped in JIT code")?;
        let top = pause.frames[0];
        let rt = self.rt.as_mut().ok_or("not instantiated")?;
        let locals = pause.locals.unwrap_or_default();
        let exec = if at_breakpoint {
            Execution::at_breakpoint(&mut rt.store, top.func, top.code_offset, &locals)
        } else {
            Execution::at_loop_header(&mut rt.store, top.func, top.code_offset, &locals)
        }
        .map_err(|e| e.to_string())?;
        rt.exec = Some(exec);
        run.below = pause.frames[1..].to_vec();
        run.took_over = true;
        self.selected = 0;
        Ok(())
    }

    /// `continue`/`step`/... while stopped in JIT code.
    pub(super) fn resume_jit_pause(&mut self, step: bool) -> Res<Vec<Event>> {
        let pending = self
            .jit_run
            .as_mut()
            .and_then(|r| r.pause.take())
            .map(|p| p.pending)
            .ok_or("not stopped in JIT code")?;
        self.clear_interrupt();
        self.selected = 0;
        let mut events = vec![Event::Running];
        if step {
            events.push(Event::Warning(
                "stopped in JIT code, which has no instruction steps: running to the next function entry, which the interpreter runs".into(),
            ));
            if let Some(r) = self.jit_run.as_mut() {
                r.stop_at_entry = true;
            }
        }
        let stop = self.send_to_jit(pending, step)?;
        events.extend(self.report_stop(stop)?);
        Ok(events)
    }
}
