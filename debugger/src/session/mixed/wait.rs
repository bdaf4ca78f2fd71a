//! What the JIT thread reports, turned into a [`Stop`]: an entry into a
//! function the interpreter runs, a frame handed over after a call, an
//! interrupt, a watchpoint or a compiled breakpoint check in JIT code, a
//! native call's return, the end of the call.

use std::sync::atomic::Ordering;

use wdb_engine::Value;
use wdb_engine::interp::{Execution, FrameInfo, PauseReason, RunOutcome};
use wdb_engine::jit::PauseHandle;

use super::super::{BpKind, Res, Session, Stop};
use super::*;
use crate::api::StopReason;

impl Session {
    /// Wait for the JIT thread: an entry into a flagged function (run it in
    /// the interpreter until something to show) or the end of the call.
    pub(super) fn wait_jit(&mut self) -> Res<Stop> {
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
                    let Some(n) = number.filter(|_| live) else {
                        return self.send_to_jit(RunOutcome::Returned(Vec::new()), false);
                    };
                    // After a store in a function that kept its locals:
                    // the interpreter runs the rest of the call from the
                    // next instruction, where `mode interp` stops too.
                    if self.jit_pause_can_take_over() {
                        self.take_over_after_watched_access()?;
                    }
                    return Ok(Stop::At(self.numbered_watch_stop(n, addr, write, old, new)));
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
}
