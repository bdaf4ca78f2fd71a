//! Running: instantiating, `run`/`call`, resuming and reporting, down to
//! the [`Stop`] each produces (the stepping commands: `stepping.rs`).

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use wdb_engine::Value;
use wdb_engine::interp::{Execution, FrameInfo, PauseReason, RunControl, RunOutcome};
use wdb_engine::module::ExternKind;
use wdb_engine::runtime::InterruptHandle;
use wdb_engine::value::FuncAddr;

use super::load::module_kind;
use super::{Launch, Res, Runtime, Session, callargs};
use crate::api::*;
use crate::error::{ErrorKind::*, err};
use crate::format::value_view;
use crate::host::{self, GuestIo};
use crate::launch::{HostOptions, Prepared, UnknownImports};

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
        let rt = self.rt.as_mut().expect("instantiated above");
        let addr = rt.store.instance_func(rt.inst, func_index);
        rt.exec_func = Some(func_index);
        self.selected = 0;
        self.start_call(addr, args, &mut events)?;
        Ok(events)
    }

    /// Start running `addr(args)` in the instantiated runtime, up to the
    /// first stop or the end: as native code until a function with a
    /// breakpoint is entered when the session's mode uses the JIT, else in
    /// the interpreter. Shared by calls of exports, `run` and component
    /// exports.
    pub(super) fn start_call(
        &mut self,
        addr: FuncAddr,
        args: Vec<Value>,
        events: &mut Vec<Event>,
    ) -> Res<()> {
        let use_jit = self.uses_jit();
        let rt = self.rt.as_mut().expect("instantiated");
        if use_jit {
            rt.exec = None;
            self.clear_interrupt();
            events.push(Event::Running);
            let (stop, note) = self.start_jit(addr, args)?;
            if let Some(n) = note {
                events.push(Event::Warning(n));
            }
            events.extend(self.report_stop(stop)?);
            return Ok(());
        }
        rt.exec = Some(Execution::new(&mut rt.store, addr, &args).map_err(|e| e.to_string())?);
        events.extend(self.resume(Resume::Continue)?);
        Ok(())
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

    /// What `mode M` and `show mode` answer (`info mode` is
    /// `InfoView::Mode`, the same words laid out by the REPL).
    pub(super) fn mode_text(&self) -> String {
        format!(
            "Engine: {} ({})",
            self.mode.name(),
            self.mode.debugger_description()
        )
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
