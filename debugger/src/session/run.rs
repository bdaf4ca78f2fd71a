//! Running: instantiating, `run`/`call`, and the stepping commands, down to
//! the [`Stop`] each produces.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use wdb_engine::Value;
use wdb_engine::interp::{BreakCheck, Execution, FrameInfo, PauseReason, RunControl, RunOutcome};
use wdb_engine::module::ExternKind;
use wdb_engine::runtime::InterruptHandle;
use wdb_engine::value::FuncAddr;

use super::load::module_kind;
use super::{InternalStop, Launch, Res, Runtime, Session, callargs};
use crate::api::*;
use crate::disasm;
use crate::error::{ErrorKind::*, err};
use crate::format::value_view;
use crate::host::{self, GuestIo};
use crate::launch::{HostOptions, Prepared, UnknownImports};
use crate::runner::Mode;

impl Session {
    /// `profile`: the same work in every engine, with the program's
    /// environment and directories; `cancel` stops it.
    pub(super) fn profile(
        &self,
        invoke: Option<(String, Vec<String>)>,
        args: Vec<String>,
        cancel: InterruptHandle,
    ) -> Res<crate::profile::ProfileReport> {
        let l = self.loaded()?;
        let cfg = crate::profile::ProfileConfig {
            file: l.path.clone(),
            module: Some(l.module.clone()),
            invoke,
            args,
            env: self.program.env.clone(),
            preopens: preopens(&self.program.dirs)?,
            runs: 3,
            cancel: Some(cancel),
            ..Default::default()
        };
        crate::profile::profile(cfg).map_err(|e| err(Failed, e.to_string()))
    }

    pub(super) fn wasi_available(&self) -> bool {
        true
    }

    /// Guest output captured since the last call (only with `capture_output`).
    pub(super) fn drain_output(&self) -> Vec<Event> {
        let Some(rt) = &self.rt else { return vec![] };
        let Ok(mut buf) = rt.output.lock() else {
            return vec![];
        };
        buf.drain(..)
            .map(|(fd, bytes)| Event::Output { fd, bytes })
            .collect()
    }

    /// The guest's side of the host (argv[0] from the file name, else
    /// `fallback`; arguments, environment, directories, stdio) for a run of
    /// the loaded module or component.
    pub(super) fn guest_io(&self, fallback: &str) -> Res<GuestIo> {
        let program = self.loaded()?.path.file_name().map_or_else(
            || fallback.to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(GuestIo {
            program,
            args: self.program.args.clone(),
            capture_output: self.config.capture_output,
            output_sink: self.config.output_sink.clone(),
            inherit_stdin: self.config.inherit_stdin,
            stdin_pipe: self.config.stdin_pipe.clone(),
            env: self.program.env.clone(),
            preopens: preopens(&self.program.dirs)?,
            stdin_file: self.program.stdin.clone(),
            stdout_file: self.program.stdout.clone(),
            inherit_network: self.program.inherit_network,
        })
    }

    pub(super) fn instantiate(&mut self) -> Res<()> {
        if self.is_component() {
            return self.instantiate_component();
        }
        let module = self.module()?;
        let name = self.loaded()?.path.display().to_string();
        let io = self.guest_io("module.wasm")?;
        let (wasi, output) = host::wasi_config(&io)?;
        // A function import nothing provides traps when it is called, so a
        // module with a stray import can still be debugged.
        let Prepared {
            store,
            inst,
            start,
            wasi,
        } = Prepared::new(
            &module,
            &name,
            HostOptions {
                wasi,
                unknown_imports: Some(UnknownImports::Trap),
                ..HostOptions::default()
            },
        )?;
        *self
            .interrupt
            .lock()
            .map_err(|_| err(Internal, "interrupt lock poisoned"))? = store.interrupt_handle();
        let mut rt = Runtime {
            store,
            inst,
            initialized: false,
            exec: None,
            exec_func: None,
            ctl: RunControl::default(),
            watch_numbers: Vec::new(),
            patched: HashSet::new(),
            wasi,
            output,
            comp: None,
        };
        if let Some(start) = start {
            let mut exec = Execution::new(&mut rt.store, start, &[]).map_err(|e| e.to_string())?;
            match exec.run(&mut rt.store, &mut RunControl::default()) {
                RunOutcome::Returned(_) => {}
                RunOutcome::Trapped(t) => {
                    return Err(err(Engine, format!("the start function trapped: {t}")));
                }
                other => {
                    return Err(err(
                        Engine,
                        format!("the start function did not finish: {other:?}"),
                    ));
                }
            }
        }
        self.checks.reset();
        self.rt = Some(rt);
        self.internal = None;
        // A fresh instance: nothing of an earlier call is left to undo.
        self.call.forget_instance();
        Ok(())
    }

    pub(super) fn launch(&mut self, launch: Launch) -> Res<Vec<Event>> {
        if self.is_component() {
            return self.launch_component(launch);
        }
        let module = self.module()?;
        let mut events = Vec::new();
        // String and `&cell` arguments: checked now, placed in memory once
        // the instance is ready.
        let mut special = None;
        let (func_index, mut args) = match &launch {
            Launch::Start(args) => {
                let f = module.exported_func("_start").ok_or_else(|| {
                    err(
                        Unsupported,
                        format!(
                            "the module has no _start (it is a {}): use `call EXPORT ARGS`",
                            module_kind(&module)
                        ),
                    )
                })?;
                self.program.args = args.clone();
                self.rt = None;
                self.call = callargs::CallState {
                    allocator: self.call.allocator.take(),
                    unwind_on_signal: self.call.unwind_on_signal,
                    ..Default::default()
                };
                (f, Vec::new())
            }
            Launch::Call(export, args) => {
                let f = module.exported_func(export).ok_or_else(|| {
                    let names: Vec<&str> = module
                        .exports
                        .iter()
                        .filter(|e| e.kind == ExternKind::Func)
                        .map(|e| e.name.as_str())
                        .collect();
                    err(
                        NotFound,
                        format!(
                            "no exported function `{export}`; exports: {}",
                            names.join(", ")
                        ),
                    )
                })?;
                let ty = module.func_type(f);
                let (plain, sp) = callargs::split(export, ty.params(), args)?;
                let vals = wdb_engine::args::parse_args_named(export, ty, &plain)
                    .map_err(|e| err(BadArgument, e.message))?;
                if !sp.is_empty() {
                    special = Some((export.clone(), plain, sp));
                }
                (f, vals)
            }
        };
        if let Some(rt) = &self.rt
            && rt.exec.as_ref().is_some_and(|e| !e.is_finished())
        {
            events.push(Event::Text("[the paused call was abandoned]".into()));
        }
        self.abandon_jit();
        if self.rt.is_none() {
            self.instantiate()?;
        }
        self.last_launch = Some(launch.clone());
        // A reactor's `_initialize` runs once, before the first call, without stopping.
        if let Launch::Call(..) = launch {
            let rt = self.rt.as_mut().expect("instantiated above");
            if !rt.initialized {
                rt.initialized = true;
                if let Some(init) = module.exported_func("_initialize") {
                    let addr = rt.store.instance_func(rt.inst, init);
                    let mut exec =
                        Execution::new(&mut rt.store, addr, &[]).map_err(|e| e.to_string())?;
                    match exec.run(&mut rt.store, &mut RunControl::default()) {
                        RunOutcome::Returned(_) => {}
                        RunOutcome::Trapped(t) => {
                            return Err(err(Engine, format!("_initialize trapped: {t}")));
                        }
                        RunOutcome::Exited(c) => {
                            return Err(err(Engine, format!("_initialize exited with code {c}")));
                        }
                        other => {
                            return Err(err(
                                Engine,
                                format!("_initialize did not finish: {other:?}"),
                            ));
                        }
                    }
                }
            }
        }
        if let Launch::Call(..) = launch {
            events.extend(self.before_call());
            self.call.cells.clear();
            if let Some((export, plain, sp)) = special {
                let placed = self.place_call_args(plain, sp)?;
                args = wdb_engine::args::parse_args_named(
                    &export,
                    module.func_type(func_index),
                    &placed,
                )
                .map_err(|e| err(BadArgument, e.message))?;
            }
        }
        self.internal = None;
        self.sync_breakpoints();
        let use_jit = self.uses_jit();
        let rt = self.rt.as_mut().expect("instantiated above");
        let addr = rt.store.instance_func(rt.inst, func_index);
        rt.exec_func = Some(func_index);
        self.selected = 0;
        if use_jit {
            // Native code until a function with a breakpoint is entered.
            rt.exec = None;
            self.clear_interrupt();
            events.push(Event::Running);
            let (stop, note) = self.start_jit(addr, args)?;
            if let Some(n) = note {
                events.push(Event::Warning(n));
            }
            events.extend(self.report_stop(stop)?);
            return Ok(events);
        }
        rt.exec = Some(Execution::new(&mut rt.store, addr, &args).map_err(|e| e.to_string())?);
        events.extend(self.resume(Resume::Continue)?);
        Ok(events)
    }

    pub(super) fn live(&mut self) -> Res<&mut Runtime> {
        match self.rt.as_mut() {
            Some(rt) if rt.exec.as_ref().is_some_and(|e| !e.is_finished()) => Ok(rt),
            _ => Err(err(NotRunning, "The program is not being run.")),
        }
    }

    pub(super) fn depth(&self) -> usize {
        let rt = self.rt.as_ref().expect("live runtime");
        rt.exec.as_ref().map_or(0, Execution::depth)
    }

    pub(super) fn top_frame(&self) -> Option<FrameInfo> {
        let rt = self.rt.as_ref()?;
        rt.exec
            .as_ref()?
            .frames_upto(&rt.store, 1)
            .into_iter()
            .next()
    }

    pub(super) fn clear_interrupt(&self) {
        if let Ok(h) = self.interrupt.lock() {
            h.store(false, Ordering::SeqCst);
        }
    }

    pub(super) fn interrupted(&self) -> bool {
        self.interrupt
            .lock()
            .map(|h| h.load(Ordering::SeqCst))
            .unwrap_or(false)
    }

    /// One engine step, stepping off a patched breakpoint first if needed.
    /// A step that returns from the outermost interpreted function to a
    /// JIT caller that can run on interpreted goes on there
    /// ([`Session::deopt_caller`]), as if that caller had been interpreted.
    pub(super) fn engine_step(&mut self) -> RunOutcome {
        let out = self.engine_step_here();
        match out {
            RunOutcome::Returned(values) if self.can_deopt_caller() => {
                match self.deopt_caller(values) {
                    Ok(Stop::At(StopReason::Step)) => RunOutcome::Paused(PauseReason::Step),
                    Ok(Stop::Outcome(o)) => o,
                    Ok(_) | Err(_) => RunOutcome::Paused(PauseReason::Interrupted),
                }
            }
            other => other,
        }
    }

    /// One engine step in the running execution.
    fn engine_step_here(&mut self) -> RunOutcome {
        let rt = self.rt.as_mut().expect("live runtime");
        let exec = rt.exec.as_mut().expect("live execution");
        exec.step(&mut rt.store, &mut rt.ctl)
    }

    /// Continue: step off a patched breakpoint at the current pc, then run.
    pub(super) fn engine_run(&mut self) -> RunOutcome {
        let at_patched = self.top_frame().is_some_and(|f| {
            self.rt
                .as_ref()
                .is_some_and(|rt| rt.patched.contains(&(f.func, f.pc)))
        });
        if at_patched {
            match self.engine_step_here() {
                RunOutcome::Paused(PauseReason::Step) => {}
                other => return other,
            }
        }
        let rt = self.rt.as_mut().expect("live runtime");
        let exec = rt.exec.as_mut().expect("live execution");
        exec.run(&mut rt.store, &mut rt.ctl)
    }

    pub(super) fn resume(&mut self, how: Resume) -> Res<Vec<Event>> {
        if self.jit_paused() && !matches!(how, Resume::Continue) && self.jit_pause_can_take_over() {
            // Stepping from a JIT loop header: the interpreter runs the rest
            // of that call, so every stepping command works from here.
            self.take_over_jit_pause(false)?;
        }
        if self.jit_paused() {
            return match how {
                Resume::Continue => self.resume_jit_pause(false),
                Resume::Step | Resume::Next | Resume::StepInstruction | Resume::NextInstruction => {
                    self.resume_jit_pause(true)
                }
                Resume::Finish | Resume::Until => Err(
                    "Stopped in JIT code, which `finish` and `until` cannot follow: use `continue`, or a breakpoint and `continue`."
                        .into(),
                ),
            };
        }
        self.live()?;
        self.clear_interrupt();
        // `finish` ends the frame the user selected (`up`, then `finish`);
        // everything else starts from the innermost frame, where breakpoint
        // conditions are evaluated too.
        let selected = std::mem::take(&mut self.selected);
        let mut events = vec![Event::Running];
        let outcome = match how {
            Resume::Continue => self.run_to_stop(None)?,
            Resume::StepInstruction => Stop::from_step(self.engine_step()),
            Resume::NextInstruction => self.next_instruction()?,
            Resume::Step => self.source_step(false)?,
            Resume::Next => self.source_step(true)?,
            Resume::Finish => {
                let (stop, finished) = self.finish(selected)?;
                if let Some(FinishInfo::IntoJit {
                    func,
                    caller,
                    values,
                }) = finished
                {
                    let history = match values.as_slice() {
                        [v] => Some(self.remember(crate::expr::from_wasm(*v))),
                        _ => None,
                    };
                    events.push(Event::FinishReturned {
                        func,
                        values: values.into_iter().map(value_view).collect(),
                        history,
                    });
                    events.extend(self.report_stop(stop)?);
                    events.push(Event::Text(format!(
                        "Returned to JIT code in {caller}: `continue` resumes it."
                    )));
                    return Ok(events);
                }
                if let Some(FinishInfo::Top(name, n, ret)) = finished
                    && let Stop::At(StopReason::Location) = stop
                {
                    let rt = self.rt.as_ref().expect("live");
                    let stack = rt.exec.as_ref().expect("live").operand_stack(&rt.store, 0);
                    let results: Vec<Value> = stack[stack.len().saturating_sub(n)..].to_vec();
                    // One result: into the value history (as gdb's `Value
                    // returned is $N`), shown by its DWARF type if it has one.
                    let (history, typed) = match results.as_slice() {
                        [v] => {
                            let (n, typed) = self.remember_returned(ret.as_ref(), *v);
                            (Some(n), typed)
                        }
                        _ => (None, None),
                    };
                    let values = results
                        .iter()
                        .map(|v| match &typed {
                            Some(t) => ValueView {
                                text: t.clone(),
                                ..value_view(*v)
                            },
                            None => value_view(*v),
                        })
                        .collect();
                    events.push(Event::FinishReturned {
                        func: name,
                        values,
                        history,
                    });
                }
                stop
            }
            Resume::Until => self.until()?,
        };
        events.extend(self.report_stop(outcome)?);
        Ok(events)
    }

    /// Events for a stop. Under a JIT run, an interpreted function that
    /// ended (returned, trapped, exited) hands its outcome back to the JIT
    /// code first, which runs on to the next stop or the end.
    pub(super) fn report_stop(&mut self, mut stop: Stop) -> Res<Vec<Event>> {
        let mut warnings = Vec::new();
        while self.in_jit_run() {
            match stop {
                Stop::Warned(w, inner) => {
                    warnings.push(Event::Warning(w));
                    stop = *inner;
                }
                Stop::Outcome(
                    o @ (RunOutcome::Returned(_)
                    | RunOutcome::Trapped(_)
                    | RunOutcome::Exited(_)
                    | RunOutcome::OutOfFuel),
                ) => stop = self.back_to_jit(o)?,
                other => {
                    stop = other;
                    break;
                }
            }
        }
        let mut events = warnings;
        events.extend(self.drain_output());
        events.extend(self.report(stop));
        if events.iter().any(|e| matches!(e, Event::Stopped(_))) {
            events.extend(self.display_events());
        }
        Ok(events)
    }

    pub(super) fn mode_text(&self) -> String {
        let what = match self.mode {
            Mode::Interp => "the interpreter",
            Mode::Jit => {
                "JIT code until a function with a breakpoint is entered, then the interpreter"
            }
            Mode::Aot => {
                "AOT code (the module's wdb.aot section) until a function with a breakpoint is entered, then the interpreter"
            }
        };
        format!("Engine: {} ({what})", self.mode.name())
    }

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

#[derive(Debug, Clone, Copy)]
pub(super) enum Resume {
    Continue,
    StepInstruction,
    NextInstruction,
    Step,
    Next,
    Finish,
    Until,
}

/// What `finish` says about the function it finished.
pub(super) enum FinishInfo {
    /// Landed in an interpreted caller: name, result count (on its stack),
    /// the DWARF return type.
    Top(String, usize, Option<crate::dwarf::units::Ty>),
    /// Landed in a JIT caller, with these results.
    IntoJit {
        func: String,
        caller: String,
        values: Vec<Value>,
    },
}

/// What running produced, before it is turned into events.
pub(super) enum Stop {
    At(StopReason),
    Outcome(RunOutcome),
    Warned(String, Box<Stop>),
}

impl Stop {
    pub(super) fn from_step(o: RunOutcome) -> Stop {
        match o {
            RunOutcome::Paused(PauseReason::Step) => Stop::At(StopReason::Step),
            other => Stop::Outcome(other),
        }
    }
}

/// The program's `--dir` specs as WASI preopens (`run`, `profile`, and the
/// check when they are set).
pub(super) fn preopens(dirs: &[String]) -> Res<Vec<wdb_engine::wasi::Preopen>> {
    dirs.iter()
        .map(|d| crate::runner::parse_dir(d).map_err(|e| err(Io, format!("directory {e}"))))
        .collect()
}
