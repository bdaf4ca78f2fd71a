//! Running to a stop: breakpoint hits (conditions, ignore counts, hit
//! counts), internal stops with a depth, and the stepping commands
//! `nexti`, `finish`, `until`; each down to a [`Stop`].

use wdb_engine::interp::{BreakCheck, PauseReason, RunOutcome};
use wdb_engine::value::FuncAddr;

use super::run::{FinishInfo, Stop};
use super::{InternalStop, Res, Session};
use crate::api::*;
use crate::disasm;
use crate::error::{ErrorKind::*, err};

impl Session {
    /// Run until something the user should see.
    pub(super) fn run_to_stop(&mut self, internal: Option<InternalStop>) -> Res<Stop> {
        self.internal = internal;
        self.sync_breakpoints();
        let depth_check = self.internal_depth_check();
        let stop = loop {
            let out = self.engine_run();
            match out {
                RunOutcome::Paused(PauseReason::Breakpoint { func, pc }) => {
                    if let Some(stop) = self.breakpoint_hit(func, pc)? {
                        break stop;
                    }
                }
                other => break Stop::from_step(other),
            }
        };
        if let (Some((func, pc)), Some(rt)) = (depth_check, self.rt.as_mut()) {
            rt.store.take_break_check(func, pc);
        }
        self.internal = None;
        match stop.breakpoint_number() {
            Some(n) => self.hide_at_breakpoint(n),
            None => self.hidden_inline = None,
        }
        self.sync_breakpoints();
        // Hit counts persist once per command, not once per hit.
        let _ = self.save_state();
        Ok(stop)
    }

    /// The internal stop of this run (the return site of a call that
    /// `next` or `finish` runs over) pauses only at its depth: the engine
    /// passes the hits of deeper frames (recursion) without coming back
    /// here. The location, to take the check off after the run.
    fn internal_depth_check(&mut self) -> Option<(FuncAddr, u32)> {
        let s = self.internal?;
        if self
            .extra_stops
            .iter()
            .any(|e| e.func == s.func && e.pc == s.pc)
        {
            return None;
        }
        self.depth_check(s).then_some((s.func, s.pc))
    }

    /// Have the engine pass the hits of stop `s` deeper than its depth
    /// (`BreakCheck::at_depth`), unless a user breakpoint or a check
    /// shares the location (the session then decides each hit): whether
    /// it was attached.
    pub(super) fn depth_check(&mut self, s: InternalStop) -> bool {
        let Some(rt) = self.rt.as_mut() else {
            return false;
        };
        for b in self.bps.iter() {
            for (func_index, code_offset) in b.live_locations() {
                let f = rt.store.instance_func(rt.inst, func_index);
                if f == s.func && rt.store.pc_from_code_offset(f, code_offset) == Some(s.pc) {
                    return false;
                }
            }
        }
        rt.store.break_check(s.func, s.pc).is_none()
            && rt
                .store
                .set_break_check(s.func, s.pc, BreakCheck::at_depth(s.max_depth))
                .is_ok()
    }

    /// Decide whether a breakpoint pause is a user-visible stop.
    pub(super) fn breakpoint_hit(&mut self, func: FuncAddr, pc: u32) -> Res<Option<Stop>> {
        let depth = self.depth();
        let mut stop = None;
        if self
            .internal
            .iter()
            .chain(&self.extra_stops)
            .any(|s| s.func == func && s.pc == pc && depth <= s.max_depth)
        {
            stop = Some(Stop::At(StopReason::Location));
        }
        let rt = self.rt.as_mut().expect("live");
        let matching: Vec<u32> = self
            .bps
            .iter()
            .filter_map(|b| {
                b.live_locations()
                    .into_iter()
                    .any(|(func_index, code_offset)| {
                        let f = rt.store.instance_func(rt.inst, func_index);
                        f == func && rt.store.pc_from_code_offset(f, code_offset) == Some(pc)
                    })
                    .then_some(b.number)
            })
            .collect();
        let mut hit_temporaries = Vec::new();
        for n in matching {
            if self.engine_counted(n, func, pc) {
                // The engine evaluated the condition, counted the hit and
                // passed the ignored ones.
                let temporary = self.bps.get(n).expect("matched").temporary;
                if temporary {
                    hit_temporaries.push(n);
                }
                if !matches!(stop, Some(Stop::At(StopReason::Breakpoint { .. }))) {
                    stop = Some(Stop::At(StopReason::Breakpoint {
                        number: n,
                        temporary,
                    }));
                }
                continue;
            }
            let cond = self.bps.get(n).and_then(|b| b.condition.clone());
            if let Some(c) = cond {
                match self.eval_condition(&c) {
                    Ok(false) => continue,
                    Ok(_) => {}
                    Err(e) => {
                        return Ok(Some(Stop::Warned(
                            format!("Error in testing condition for breakpoint {n}: {e}"),
                            Box::new(Stop::At(StopReason::Breakpoint {
                                number: n,
                                temporary: false,
                            })),
                        )));
                    }
                }
            }
            let b = self.bps.get_mut(n).expect("matched above");
            b.hits += 1;
            if b.ignore > 0 {
                b.ignore -= 1;
                continue;
            }
            if b.temporary {
                hit_temporaries.push(n);
            }
            if !matches!(stop, Some(Stop::At(StopReason::Breakpoint { .. }))) {
                stop = Some(Stop::At(StopReason::Breakpoint {
                    number: n,
                    temporary: b.temporary,
                }));
            }
        }
        if !hit_temporaries.is_empty() {
            self.bps.remove(&hit_temporaries);
            self.sync_breakpoints();
        }
        Ok(stop)
    }

    /// `nexti`: one instruction, running over a call with an internal stop
    /// at its return site (checked by frame depth, so recursion is right).
    pub(super) fn next_instruction(&mut self) -> Res<Stop> {
        let d = self.depth();
        let out = self.engine_step();
        if !matches!(out, RunOutcome::Paused(PauseReason::Step)) {
            return Ok(Stop::from_step(out));
        }
        if self.depth() <= d {
            return Ok(Stop::At(StopReason::Step));
        }
        self.run_until_depth(d)
    }

    /// Run until the frame stack is back to `d` frames, at the return site
    /// of the call frame `d` is making.
    pub(super) fn run_until_depth(&mut self, d: usize) -> Res<Stop> {
        // A call just entered from an interpreted function of a JIT run:
        // the callee runs as native code.
        if self.depth() == d + 1
            && let Some(stop) = self.jit_native_call()?
        {
            return Ok(stop);
        }
        let rt = self.rt.as_mut().expect("live");
        let exec = rt.exec.as_ref().expect("live");
        // Only the frame that waits for the call is looked at.
        let caller = exec
            .frames_upto(&rt.store, exec.depth() - d + 1)
            .pop()
            .expect("a frame at depth d");
        // The caller's own module (a component's frames are in several).
        let module = rt.store.instance_module(caller.instance).clone();
        let ret = disasm::next_instruction(&module, caller.code_offset)
            .and_then(|co| rt.store.pc_from_code_offset(caller.func, co));
        match ret {
            Some(pc) => {
                let stop = InternalStop {
                    func: caller.func,
                    pc,
                    max_depth: d,
                };
                let s = self.run_to_stop_calls_native(Some(stop))?;
                Ok(match s {
                    Stop::At(StopReason::Location) => Stop::At(StopReason::Step),
                    other => other,
                })
            }
            // No return site (the call is the body's last instruction): step until the depth drops.
            None => loop {
                if self.interrupted() {
                    break Ok(Stop::At(StopReason::Interrupted));
                }
                let out = self.engine_step();
                if !matches!(out, RunOutcome::Paused(PauseReason::Step)) {
                    break Ok(Stop::from_step(out));
                }
                if self.depth() <= d {
                    break Ok(Stop::At(StopReason::Step));
                }
            },
        }
    }

    /// `finish`: run until the selected frame returns. Returns the stop and,
    /// when it landed in the caller, what to say about the finished function.
    pub(super) fn finish(&mut self, selected: usize) -> Res<(Stop, Option<FinishInfo>)> {
        let vframe = self
            .vframes_upto(selected)?
            .into_iter()
            .nth(selected)
            .ok_or_else(|| err(NotRunning, "No frame selected."))?;
        if let Some((stop, done)) = self.finish_inline(&vframe)? {
            return Ok((stop, done.map(|(name, n)| FinishInfo::Top(name, n, None))));
        }
        let module = self.module()?;
        let d = self.depth();
        if vframe.phys >= d && d > 0 && self.can_deopt_caller() {
            // A JIT frame selected: the frames above it return first, each
            // JIT caller going on interpreted (`deopt_caller`), until it is
            // the outermost interpreted frame; then it is finished.
            for _ in 0..vframe.phys + 1 - d {
                match self.run_to_stop_calls_native(None)? {
                    Stop::Outcome(RunOutcome::Returned(values)) if self.can_deopt_caller() => {
                        match self.deopt_caller(values)? {
                            Stop::At(StopReason::Step) => {}
                            other => return Ok((other, None)),
                        }
                    }
                    other => return Ok((other, None)),
                }
            }
            return self.finish(0);
        }
        let sel = vframe.phys.min(d.saturating_sub(1));
        let rt = self.rt.as_ref().expect("live");
        let frames = rt
            .exec
            .as_ref()
            .expect("live")
            .frames_upto(&rt.store, sel + 1);
        let f = &frames[sel];
        // A component's other core modules have names of their own.
        let module = if f.instance == rt.inst {
            module
        } else {
            rt.store.instance_module(f.instance).clone()
        };
        let name = module.display_func_name(f.func_index);
        let nres = module.func_type(f.func_index).results().len();
        let ret = self
            .loaded
            .as_ref()
            .filter(|l| l.source.available())
            .and_then(|l| l.source.info.return_type(vframe.info.code_offset));
        if sel + 1 >= d {
            // The outermost frame: finishing it returns from the call, or
            // under a JIT run to its JIT caller, where it stops: the caller
            // runs on interpreted from there when its code can hand its
            // frame over, else it stops in JIT code.
            if self.can_deopt_caller() {
                let stop = self.run_to_stop_calls_native(None)?;
                if let Stop::Outcome(RunOutcome::Returned(values)) = &stop
                    && self.can_deopt_caller()
                {
                    return Ok(match self.deopt_caller(values.clone())? {
                        Stop::At(StopReason::Step) => (
                            Stop::At(StopReason::Location),
                            Some(FinishInfo::Top(name, nres, ret)),
                        ),
                        other => (other, None),
                    });
                }
                return Ok((stop, None));
            }
            if self.in_jit_run() {
                return Ok(match self.finish_into_jit()? {
                    Ok((stop, caller, values)) => (
                        stop,
                        Some(FinishInfo::IntoJit {
                            func: name,
                            caller,
                            values,
                        }),
                    ),
                    Err(stop) => (stop, None),
                });
            }
            return Ok((self.run_to_stop(None)?, None));
        }
        let target = d - sel - 1;
        Ok((
            self.run_until_depth(target).map(|s| match s {
                Stop::At(StopReason::Step) => Stop::At(StopReason::Location),
                o => o,
            })?,
            Some(FinishInfo::Top(name, nres, ret)),
        ))
    }

    /// `until`: the next instruction at a greater pc in this frame (leaves a loop).
    pub(super) fn until(&mut self) -> Res<Stop> {
        let start = self
            .top_frame()
            .ok_or_else(|| err(NotRunning, "no frame"))?;
        let d = self.depth();
        let deopts = self.deopt_count();
        loop {
            let s = self.next_instruction()?;
            if !matches!(s, Stop::At(StopReason::Step)) {
                return Ok(s);
            }
            if self.interrupted() {
                return Ok(Stop::At(StopReason::Interrupted));
            }
            let f = self
                .top_frame()
                .ok_or_else(|| err(NotRunning, "no frame"))?;
            let depth = self.depth();
            // Returned to the caller (an interpreted one, or a JIT one that
            // went on interpreted).
            if depth < d || self.deopt_count() != deopts {
                return Ok(Stop::At(StopReason::Location));
            }
            // With DWARF, `until` is `next` that never goes backwards: stop
            // at a statement of a different line at a greater pc.
            let src = self
                .loaded
                .as_ref()
                .map(|l| &l.source)
                .filter(|s| s.available());
            let new_line = src.is_none_or(|s| {
                s.is_stmt_boundary(f.code_offset)
                    && s.location(f.code_offset).map(|l| l.line)
                        != s.location(start.code_offset).map(|l| l.line)
            });
            if depth == d && f.code_offset > start.code_offset && new_line {
                return Ok(Stop::At(StopReason::Location));
            }
        }
    }
}
