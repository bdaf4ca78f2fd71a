//! Stopped in JIT code or below it: the JIT frames `bt` shows, `finish`
//! into a JIT caller, a JIT caller handing its frame to the interpreter
//! after a call, and resuming or taking over a pause in JIT code.

use wdb_engine::Value;
use wdb_engine::interp::{Execution, FrameInfo, RunOutcome};
use wdb_engine::jit::JitFrame;
use wdb_engine::value::FuncAddr;

use super::super::{BpKind, InternalStop, Res, Session, Stop};
use super::*;
use crate::api::{Event, StopReason};

impl Session {
    /// Stopped in JIT code itself (after an interrupt or a `finish`).
    pub(in crate::session) fn jit_paused(&self) -> bool {
        self.jit_run.as_ref().is_some_and(|r| r.pause.is_some())
    }

    /// The JIT frames to show below the interpreted ones (or alone, when
    /// stopped in JIT code), as frames: only the first of a pause may have
    /// its locals.
    pub(in crate::session) fn jit_frames(&self) -> Vec<FrameInfo> {
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
    pub(in crate::session) fn not_live_locals(&self, index: usize) -> Vec<bool> {
        match self.jit_run.as_ref().and_then(|r| r.pause.as_ref()) {
            Some(p) if index == self.interp_depth() => p.not_live.clone(),
            _ => Vec::new(),
        }
    }

    /// Whether frame `index` of `frames()` has no locals to show (a JIT
    /// frame the JIT did not spill).
    pub(in crate::session) fn jit_frame_without_locals(&self, index: usize) -> bool {
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
    pub(in crate::session) fn interp_depth(&self) -> usize {
        self.rt
            .as_ref()
            .and_then(|rt| Some(rt.exec.as_ref()?.depth()))
            .unwrap_or(0)
    }

    /// `finish` out of the outermost interpreted function whose caller is
    /// JIT code: stop there with its results (`Ok`: the stop, the caller's
    /// name, the results). `Err(stop)` when its caller is not JIT code (the
    /// host's call: it ran to the end), or it stopped elsewhere first.
    pub(in crate::session) fn finish_into_jit(&mut self) -> Res<FinishIntoJit> {
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
    pub(super) fn entry_stop(&mut self, func: FuncAddr) -> Option<InternalStop> {
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
    pub(in crate::session) fn can_deopt_caller(&self) -> bool {
        self.jit_run
            .as_ref()
            .is_some_and(|r| r.pause.is_none() && r.below.first().is_some_and(|f| f.deopt))
    }

    /// How many JIT callers have handed their frames over in this run.
    pub(in crate::session) fn deopt_count(&self) -> u64 {
        self.jit_run.as_ref().map_or(0, |r| r.deopts)
    }

    /// The outermost interpreted function returned `values` to its JIT
    /// caller ([`Session::can_deopt_caller`]): that caller hands its frame
    /// over right after the call (the JIT spills its live locals and
    /// operand stack there, `wdb_engine::jit::DebugHook::deopt_caller`), and
    /// the interpreter runs the rest of its call from there, with the
    /// results on its stack, so every stepping command goes on in it. The
    /// stop: `Stop::At(Step)` once it did, or what happened instead.
    pub(in crate::session) fn deopt_caller(&mut self, values: Vec<Value>) -> Res<Stop> {
        let run = self.jit_run.as_mut().ok_or("no JIT run")?;
        run.deopt_results = Some(values.clone());
        self.answer_jit(RunOutcome::Returned(values), false, true)
    }

    /// Whether stepping from this JIT pause can hand the call to the
    /// interpreter (stopped at a loop header with the locals).
    pub(in crate::session) fn jit_pause_can_take_over(&self) -> bool {
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
    pub(in crate::session) fn take_over_jit_pause(&mut self, at_breakpoint: bool) -> Res<()> {
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

    /// Stopped in JIT code right after a watched store that the
    /// interpreter can take over ([`Session::jit_pause_can_take_over`]):
    /// it runs the rest of the call from the next instruction.
    pub(in crate::session) fn take_over_after_watched_access(&mut self) -> Res<()> {
        let rt = self.rt.as_ref().ok_or("not instantiated")?;
        let Some(pause) = self.jit_run.as_mut().and_then(|r| r.pause.as_mut()) else {
            return Ok(());
        };
        let top = &mut pause.frames[0];
        let module = rt.store.instance_module(top.instance).clone();
        let Some(next) = crate::disasm::next_instruction(&module, top.code_offset) else {
            return Ok(());
        };
        top.code_offset = next;
        self.take_over_jit_pause(false)
    }

    /// `continue`/`step`/... while stopped in JIT code.
    pub(in crate::session) fn resume_jit_pause(&mut self, step: bool) -> Res<Vec<Event>> {
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
