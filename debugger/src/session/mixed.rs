//! Debugging at JIT speed (`mode jit|aot`): the program runs as native code
//! on a thread of its own until it enters a function that has a breakpoint;
//! the JIT's debug hook then hands the store and the call to the session,
//! which runs that function in the interpreter (an ordinary [`Execution`],
//! so every inspection and stepping command works), and hands the results
//! back when it returns. The JIT's native frames stay live meanwhile, blocked
//! in the hook: a coroutine made of two threads and two channels.
//!
//! Which functions go to the interpreter: those containing a code
//! breakpoint (a function breakpoint at its entry, or a line/address one
//! inside it). Watchpoints and `catch wasi` need every instruction, so with
//! any of those the whole run is interpreted.

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use wdb_engine::interp::{Execution, PauseReason, RunControl, RunOutcome};
use wdb_engine::jit::{BreakFlags, CompiledModule, DebugHook, JitEngine, OptLevel};
use wdb_engine::runtime::{Store, StoreConfig};
use wdb_engine::value::FuncAddr;
use wdb_engine::{ErrorKind, Value};

use super::{BpKind, Res, Session, Stop};
use crate::runner::Mode;

/// From the JIT thread to the session.
enum JitMsg {
    /// JIT code entered a flagged function: run it and answer with `Resume`.
    Enter {
        store: Store,
        func: FuncAddr,
        args: Vec<Value>,
    },
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
}

/// A JIT run in progress, suspended in the debug hook.
pub(super) struct JitRun {
    to_jit: Sender<Resume>,
    from_jit: Receiver<JitMsg>,
    thread: Option<JoinHandle<()>>,
}

/// The hook on the JIT side: ship the store to the session and wait.
struct ChannelHook {
    tx: Sender<JitMsg>,
    rx: Receiver<Resume>,
}

impl DebugHook for ChannelHook {
    fn enter(
        &mut self,
        store: &mut Store,
        func: FuncAddr,
        args: &[Value],
        flags: &mut BreakFlags<'_>,
    ) -> RunOutcome {
        // The JIT keeps pointers into the store's heap data (memories,
        // globals), not to the `Store` value, so it can travel and come back.
        let s = std::mem::replace(store, Store::new(StoreConfig::default()));
        let msg = JitMsg::Enter {
            store: s,
            func,
            args: args.to_vec(),
        };
        if let Err(e) = self.tx.send(msg) {
            if let JitMsg::Enter { store: s, .. } = e.0 {
                *store = s;
            }
            return RunOutcome::Paused(PauseReason::Interrupted);
        }
        match self.rx.recv() {
            Ok(r) => {
                *store = r.store;
                flags.set(store, &r.breaks);
                r.outcome
            }
            // The session abandoned the run: unwind the JIT frames.
            Err(_) => RunOutcome::Paused(PauseReason::Interrupted),
        }
    }
}

impl Session {
    /// Whether this launch runs JIT code (some breakpoints force the interpreter).
    pub(super) fn uses_jit(&self) -> bool {
        self.mode != Mode::Interp
            && !self
                .bps
                .iter()
                .any(|b| b.enabled && matches!(b.kind, BpKind::Watch { .. } | BpKind::CatchWasi(_)))
    }

    /// Store addresses of the functions that must run interpreted.
    pub(super) fn jit_break_funcs(&self) -> HashSet<FuncAddr> {
        let Some(rt) = self.rt.as_ref() else {
            return HashSet::new();
        };
        self.bps
            .iter()
            .filter(|b| b.enabled)
            .flat_map(|b| b.kind.code_locations())
            .map(|(func_index, _)| rt.store.instance_func(rt.inst, func_index))
            .collect()
    }

    /// The engine for this session's module, compiled (or loaded) once.
    fn take_jit(&mut self) -> Res<(Box<JitEngine>, Option<String>)> {
        if let Some(j) = self.jit.take() {
            return Ok((j, None));
        }
        let module = self.module()?;
        let mut jit = Box::new(JitEngine::new(OptLevel::Speed));
        let mut note = None;
        let compiled = match self.mode {
            Mode::Aot => match CompiledModule::load_aot(module.clone()) {
                Ok(Some(c)) => c,
                Ok(None) => {
                    note = Some("no AOT section: compiling now; use `wdb compile`".to_string());
                    CompiledModule::compile(module, OptLevel::Speed).map_err(|e| e.to_string())?
                }
                Err(e) if e.kind == ErrorKind::Malformed => return Err(e.to_string()),
                Err(e) => {
                    note = Some(format!("{}; compiling with the JIT instead", e.message));
                    CompiledModule::compile(module, OptLevel::Speed).map_err(|e| e.to_string())?
                }
            },
            _ => CompiledModule::compile(module, OptLevel::Speed).map_err(|e| e.to_string())?,
        };
        jit.add_compiled(std::sync::Arc::new(compiled));
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
        let breaks = self.jit_break_funcs();
        let rt = self.rt.as_mut().ok_or("not instantiated")?;
        let mut store = std::mem::replace(&mut rt.store, Store::new(StoreConfig::default()));
        let (tx, from_jit) = channel();
        let (to_jit, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("wdb-jit-run".into())
            .spawn(move || {
                let mut hook = ChannelHook { tx, rx };
                let mut ctl = RunControl::default();
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
        });
        Ok((self.wait_jit()?, note))
    }

    /// Wait for the JIT thread: an entry into a flagged function (run it in
    /// the interpreter until something to show) or the end of the call.
    fn wait_jit(&mut self) -> Res<Stop> {
        let run = self.jit_run.as_mut().ok_or("no JIT run")?;
        let msg = run.from_jit.recv();
        match msg {
            Ok(JitMsg::Enter { store, func, args }) => {
                let rt = self.rt.as_mut().ok_or("not instantiated")?;
                rt.store = store;
                rt.exec =
                    Some(Execution::new(&mut rt.store, func, &args).map_err(|e| e.to_string())?);
                self.selected = 0;
                self.run_to_stop(None)
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
                let outcome = outcome?;
                if !matches!(outcome, RunOutcome::Trapped(_)) {
                    rt.exec = None;
                }
                Ok(match outcome {
                    RunOutcome::Paused(PauseReason::Interrupted) => Stop::Warned(
                        "interrupted in JIT code: the call was abandoned (use `mode interp` to stop inside)"
                            .into(),
                        Box::new(Stop::Outcome(RunOutcome::Paused(PauseReason::Interrupted))),
                    ),
                    o => Stop::Outcome(o),
                })
            }
            Err(_) => {
                self.finish_jit_thread();
                Err("the JIT thread ended without a result".into())
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
        let breaks = self.jit_break_funcs();
        let rt = self.rt.as_mut().ok_or("not instantiated")?;
        // A trapped execution stays for post-mortem frames (with arguments).
        if !matches!(outcome, RunOutcome::Trapped(_)) {
            rt.exec = None;
        }
        let store = std::mem::replace(&mut rt.store, Store::new(StoreConfig::default()));
        let run = self.jit_run.as_mut().ok_or("no JIT run")?;
        if let Err(e) = run.to_jit.send(Resume {
            store,
            outcome,
            breaks,
        }) {
            rt.store = e.0.store;
            self.finish_jit_thread();
            return Err("the JIT thread is gone".into());
        }
        self.wait_jit()
    }

    /// Abandon a suspended JIT run (kill, restart, a new launch): its frames
    /// unwind, the engine (compiled code) is kept, the store stays here.
    pub(super) fn abandon_jit(&mut self) {
        let Some(run) = self.jit_run.take() else {
            return;
        };
        let JitRun {
            to_jit,
            from_jit,
            thread,
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
