//! Starting a JIT run (which code, which functions the interpreter runs),
//! answering the JIT thread, and ending or abandoning the run.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::channel;

use wdb_engine::interp::{RunControl, RunOutcome};
use wdb_engine::jit::{CompiledModule, JitEngine, OptLevel, PauseHandle};
use wdb_engine::runtime::{Store, StoreConfig};
use wdb_engine::value::FuncAddr;
use wdb_engine::{ErrorKind, Value};

use super::super::{BpKind, Res, Session, Stop};
use super::*;
use crate::api::{StopReason, WatchKind};
use crate::runner::Mode;

impl Session {
    /// Whether this launch runs JIT code (some breakpoints force the interpreter).
    pub(in crate::session) fn uses_jit(&self) -> bool {
        self.mode != Mode::Interp
            && !self.bps.iter().any(|b| {
                b.enabled && matches!(b.kind, BpKind::CatchWasi(_) | BpKind::CatchException { .. })
            })
    }

    /// Said when a watchpoint is set while JIT code without the checks it
    /// needs runs, and some of that code would run on: a pause in JIT
    /// code, or a JIT frame below that cannot hand its frame over when its
    /// call returns ([`Session::back_to_jit`]; see the module documentation).
    pub(in crate::session) fn jit_watch_note(&self) -> Option<String> {
        let run = self.jit_run.as_ref()?;
        let runs_on =
            run.pause.is_some() || !run.levels.is_empty() || run.below.iter().any(|f| !f.deopt);
        (self.jit_lacks_watch_checks() && runs_on).then(|| {
            "the JIT code of this run has no checks for this watchpoint: it applies to interpreted functions now and to JIT code from the next run".to_string()
        })
    }

    /// The run's JIT code lacks checks an enabled watchpoint needs (it was
    /// set during the run).
    pub(super) fn jit_lacks_watch_checks(&self) -> bool {
        let Some(run) = self.jit_run.as_ref() else {
            return false;
        };
        let (stores, loads) = self.jit_watch_checks();
        (stores && !run.watch_stores) || (loads && !run.watch_loads)
    }

    /// The watch checks JIT code needs for the enabled watchpoints:
    /// (stores, loads).
    pub(super) fn jit_watch_checks(&self) -> (bool, bool) {
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
    pub(in crate::session) fn jit_break_funcs(&self) -> HashSet<FuncAddr> {
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
    pub(in crate::session) fn set_jit_stop_funcs(&mut self, funcs: HashSet<FuncAddr>) {
        if let Some(run) = self.jit_run.as_mut() {
            run.stop_funcs = funcs;
        }
    }

    /// The engine for this session's module, compiled (or loaded) once.
    pub(super) fn take_jit(&mut self) -> Res<(Box<JitEngine>, Option<String>)> {
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
    pub(in crate::session) fn start_jit(
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

    pub(super) fn finish_jit_thread(&mut self) {
        if let Some(mut run) = self.jit_run.take()
            && let Some(t) = run.thread.take()
        {
            let _ = t.join();
        }
    }

    /// Whether an interpreted function entered from JIT code is running.
    pub(in crate::session) fn in_jit_run(&self) -> bool {
        self.jit_run.is_some()
    }

    /// The interpreted function ended (`Returned`, trap, exit): give its
    /// outcome back to the JIT code and wait for the next report. While a
    /// watchpoint needs checks this run's JIT code lacks, a JIT caller that
    /// can hands its frame over instead ([`Session::deopt_caller`]) and
    /// runs on interpreted, so the watchpoint sees its accesses; so does
    /// each caller below it in turn.
    pub(in crate::session) fn back_to_jit(&mut self, outcome: RunOutcome) -> Res<Stop> {
        match outcome {
            RunOutcome::Returned(values)
                if self.jit_lacks_watch_checks() && self.can_deopt_caller() =>
            {
                match self.deopt_caller(values)? {
                    Stop::At(StopReason::Step) => self.run_to_stop(None),
                    other => Ok(other),
                }
            }
            other => self.send_to_jit(other, false),
        }
    }

    pub(super) fn send_to_jit(&mut self, outcome: RunOutcome, all: bool) -> Res<Stop> {
        self.answer_jit(outcome, all, false)
    }

    /// Answer the JIT thread and wait for its next report; with `deopt`,
    /// the caller of the call that returned hands its frame over.
    pub(super) fn answer_jit(&mut self, outcome: RunOutcome, all: bool, deopt: bool) -> Res<Stop> {
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

    /// Abandon a suspended JIT run (kill, restart, a new launch): its frames
    /// unwind, the engine (compiled code) is kept, the store stays here.
    pub(in crate::session) fn abandon_jit(&mut self) {
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
