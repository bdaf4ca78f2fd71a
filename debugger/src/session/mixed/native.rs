//! Calls from interpreted functions run as native code, nested in the JIT
//! run: `next` over a call, and `finish`, `until` and `advance`, which make
//! every call of the interpreted frames so.

use std::collections::HashSet;

use wdb_engine::interp::{PauseReason, RunOutcome};
use wdb_engine::jit::NativeCall;
use wdb_engine::runtime::{Store, StoreConfig};

use super::super::{InternalStop, Res, Session, Stop};
use super::*;
use crate::api::StopReason;

impl Session {
    /// Whether a call from an interpreted function may run as native code
    /// ([`Session::jit_native_call`]): in a JIT run whose code serves every
    /// watchpoint, in a module without GC objects (the interpreted frames
    /// would not be roots for the JIT's collector) or exceptions (a throw
    /// would not reach the interpreted handlers).
    pub(super) fn native_calls_ok(&self) -> bool {
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
    pub(in crate::session) fn jit_native_call(&mut self) -> Res<Option<Stop>> {
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
    pub(in crate::session) fn run_to_stop_calls_native(
        &mut self,
        internal: Option<InternalStop>,
    ) -> Res<Stop> {
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
}
