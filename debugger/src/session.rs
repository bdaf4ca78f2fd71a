//! The debugging session: one module, its runtime (store, instance, paused
//! execution), breakpoints and stepping. [`Session::handle`] turns one
//! [`Command`] into events; the worker thread and the REPL's batch mode both
//! drive it. Source-level features go through [`Source`], which is empty
//! without DWARF, so every command falls back to WebAssembly instructions.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use wdb_engine::interp::{Execution, RunControl};
use wdb_engine::module::{ExternKind, Module};
use wdb_engine::runtime::{InstanceId, InterruptHandle, Store};
use wdb_engine::value::FuncAddr;
use wdb_engine::wasi::WasiCtx;

use crate::api::*;
use crate::disasm::Disasm;
use crate::error::{ErrorKind::*, SessionError, err};
use crate::host;
use crate::runner::Mode;
use crate::source::Source;

/// Shared slot for the current store's interrupt flag (a new store per run).
pub type InterruptSlot = Arc<Mutex<InterruptHandle>>;

#[derive(Clone, Default)]
pub struct SessionConfig {
    /// Guest output as `Event::Output` (after each command) instead of the
    /// process's stdout.
    pub capture_output: bool,
    /// Guest output delivered as it is written (a GUI console); wins over
    /// `capture_output`.
    pub output_sink: Option<host::OutputSink>,
    /// Save and restore breakpoints per module.
    pub persist: bool,
    /// Let the guest read the process's stdin.
    pub inherit_stdin: bool,
    /// Guest stdin from a buffer the front end appends to, even while the
    /// guest runs (the GUI console); wins over `inherit_stdin`.
    pub stdin_pipe: Option<wdb_engine::wasi::SharedStdin>,
    /// Where persisted state goes (default: [`state::state_dir`]).
    pub state_dir: Option<PathBuf>,
}

impl std::fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionConfig")
            .field("capture_output", &self.capture_output)
            .field("output_sink", &self.output_sink.is_some())
            .field("persist", &self.persist)
            .field("inherit_stdin", &self.inherit_stdin)
            .field("stdin_pipe", &self.stdin_pipe.is_some())
            .field("state_dir", &self.state_dir)
            .finish()
    }
}

struct Loaded {
    path: PathBuf,
    module: Arc<Module>,
    /// Name-section names as the producer wrote them, for the functions whose
    /// displayed name was demangled (so `break _ZN...` still works).
    mangled: HashMap<u32, String>,
    disasm: Option<Result<Disasm, String>>,
    source: Source,
    state_file: Option<PathBuf>,
    /// A component (WASI 0.2): `module` is its main core module.
    component: Option<Arc<component::LoadedComponent>>,
}

#[derive(Debug, Clone)]
enum Launch {
    Start(Vec<String>),
    Call(String, Vec<String>),
}

struct Runtime {
    store: Store,
    inst: InstanceId,
    initialized: bool,
    exec: Option<Execution>,
    /// Function index of the export being run (for `Returned`).
    exec_func: Option<u32>,
    ctl: RunControl,
    /// Breakpoint numbers of `ctl.watch`, in order.
    watch_numbers: Vec<u32>,
    patched: HashSet<(FuncAddr, u32)>,
    wasi: Arc<Mutex<WasiCtx>>,
    output: host::OutputBuffer,
    /// A component's instance, WASI 0.2 host and the export being called
    /// (`inst` is then its main core module's instance).
    comp: Option<component::CompRuntime>,
}

/// A stop the debugger set for itself (`next` over a call, `finish`): a
/// location and the frame depth at which it counts.
#[derive(Debug, Clone, Copy)]
struct InternalStop {
    func: FuncAddr,
    pc: u32,
    max_depth: usize,
}

pub struct Session {
    loaded: Option<Loaded>,
    rt: Option<Runtime>,
    bps: Breakpoints,
    selected: usize,
    interrupt: InterruptSlot,
    config: SessionConfig,
    /// Arguments, environment, directories and redirections for `run`.
    program: ProgramConfig,
    last_launch: Option<Launch>,
    internal: Option<InternalStop>,
    /// The engine for `run`/`call` (`mode`); breakpoints still stop in jit/aot.
    mode: Mode,
    /// Compiled code for the loaded module (jit/aot), kept between runs.
    jit: Option<Box<JitEngine>>,
    /// A JIT call suspended while an interpreted function it entered runs.
    jit_run: Option<mixed::JitRun>,
    /// After a trap in JIT code: its JIT frames (from the trap's backtrace,
    /// below the interpreted ones), for post-mortem `bt` and `frame`.
    jit_post_mortem: Vec<wdb_engine::interp::FrameInfo>,
    /// Inlined frames hidden at this stop (the user sees their call site).
    hidden_inline: Option<inline::Hidden>,
    /// The breakpoint of the last stop (`continue N`).
    last_stop_bp: Option<u32>,
    /// More internal stops for one command (`until LOCATION`, `advance`).
    extra_stops: Vec<InternalStop>,
    /// What `list` showed last.
    list: vocab::ListState,
    /// String arguments, scratch cells and the state saved before a `call`.
    call: callargs::CallState,
    /// gdb's value history: `print` results, `$1` is `history[0]` (after
    /// `history_base` values dropped off the front).
    history: Vec<crate::expr::Val>,
    history_base: u32,
    /// Conditions and ignore counts attached to the engine's breakpoints.
    checks: checks::Checks,
    /// `display` expressions, shown at each stop.
    displays: Vec<eval::Display>,
    next_display: u32,
}

type Res<T> = Result<T, SessionError>;

#[cfg(not(feature = "jit"))]
use mixed::JitEngine;
#[cfg(feature = "jit")]
use wdb_engine::jit::JitEngine;

/// gdb's words when a command needs a run.
fn not_being_run() -> SessionError {
    err(NotRunning, "The program is not being run.")
}

/// When a command needs the module's instance (memory, globals, the WASI log).
fn not_instantiated() -> SessionError {
    err(
        NotRunning,
        "The module is not instantiated yet: `run` or `call` first.",
    )
}

impl Session {
    pub fn new(config: SessionConfig) -> Session {
        Session {
            loaded: None,
            rt: None,
            bps: Breakpoints::default(),
            selected: 0,
            interrupt: Arc::new(Mutex::new(InterruptHandle::default())),
            config,
            program: ProgramConfig::default(),
            last_launch: None,
            internal: None,
            mode: Mode::Interp,
            jit: None,
            jit_run: None,
            jit_post_mortem: Vec::new(),
            hidden_inline: None,
            last_stop_bp: None,
            extra_stops: Vec::new(),
            list: vocab::ListState::default(),
            call: callargs::CallState::default(),
            history: Vec::new(),
            history_base: 0,
            checks: Default::default(),
            displays: Vec::new(),
            next_display: 0,
        }
    }

    /// The engine `run` and `call` use.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The slot holding the running store's interrupt flag.
    pub fn interrupt_slot(&self) -> InterruptSlot {
        self.interrupt.clone()
    }

    /// Names a front end can complete: exports and named functions.
    pub fn function_names(&self) -> Vec<String> {
        let Some(l) = &self.loaded else {
            return Vec::new();
        };
        let mut v: Vec<String> = l.module.names.functions.values().cloned().collect();
        v.extend(
            l.module
                .exports
                .iter()
                .filter(|e| e.kind == ExternKind::Func)
                .map(|e| e.name.clone()),
        );
        v.sort();
        v.dedup();
        v
    }

    /// Run one command. Never panics: an engine panic becomes a failure and
    /// the execution it interrupted is discarded.
    pub fn handle(&mut self, req: Request) -> Vec<Event> {
        let id = req.id;
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| self.dispatch(req.command)));
        match r {
            Ok(Ok(evs)) => evs,
            Ok(Err(SessionError { kind, message })) => {
                vec![Event::CommandFailed { id, kind, message }]
            }
            Err(p) => {
                let what = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                if let Some(rt) = &mut self.rt {
                    rt.exec = None;
                }
                self.internal = None;
                vec![Event::CommandFailed {
                    id,
                    kind: Internal,
                    message: format!("internal error: {what} (the execution was discarded)"),
                }]
            }
        }
    }

    fn dispatch(&mut self, cmd: Command) -> Res<Vec<Event>> {
        match cmd {
            Command::Load { path, args } => self.load(&path, args),
            Command::Run { args } => {
                let mut events = Vec::new();
                if let Some(args) = args {
                    self.program.args = args;
                    events.push(Event::Program(self.program.clone()));
                }
                events.extend(self.launch(Launch::Start(self.program.args.clone()))?);
                Ok(events)
            }
            Command::SetProgram(program) => {
                run::preopens(&program.dirs)?;
                if let Some((name, _)) = program
                    .env
                    .iter()
                    .find(|(n, _)| n.is_empty() || n.contains('='))
                {
                    return Err(err(
                        BadArgument,
                        format!("`{name}` is not an environment variable name"),
                    ));
                }
                self.program = program;
                Ok(vec![Event::Program(self.program.clone())])
            }
            Command::Call { export, args } => self.launch(Launch::Call(export, args)),
            Command::CallString { export, args } => {
                self.call.as_string = true;
                let r = self.launch(Launch::Call(export, args));
                if r.is_err() {
                    self.call.as_string = false;
                }
                r
            }
            Command::Repeat { command, count } => self.repeat(*command, count),
            Command::ContinueIgnoring(n) => self.continue_ignoring(n),
            Command::RunTo { spec, advance } => self.run_to(&spec, advance),
            Command::EnableLocation {
                number,
                location,
                on,
            } => self.enable_location(number, location, on),
            Command::EnableAll(on) => {
                self.bps.set_all_enabled(on);
                self.after_bp_change();
                Ok(vec![])
            }
            Command::InfoMatching { what, regex } => self.info_matching(what, regex.as_deref()),
            Command::Directory(dir) => self.directory(dir.as_deref()),
            Command::Set { name, value } => self.set_setting(&name, &value),
            Command::Show(name) => self.show_setting(&name),
            Command::DumpMemory { path, start, end } => self.dump_memory(&path, &start, &end),
            Command::Continue => self.resume(Resume::Continue),
            Command::StepInstruction => self.resume(Resume::StepInstruction),
            Command::NextInstruction => self.resume(Resume::NextInstruction),
            Command::Step => self.resume(Resume::Step),
            Command::Next => self.resume(Resume::Next),
            Command::Finish => self.resume(Resume::Finish),
            Command::Until => self.resume(Resume::Until),
            Command::Kill => {
                let in_jit = self.jit_paused() || !self.jit_post_mortem.is_empty();
                self.abandon_jit();
                let rt = self.rt.as_mut().ok_or_else(not_being_run)?;
                if rt.exec.take().is_none() && !in_jit {
                    return Err(not_being_run());
                }
                self.internal = None;
                Ok(vec![Event::Text("[execution killed]".into())])
            }
            Command::Restart => {
                let launch = self.last_launch.clone().ok_or_else(|| {
                    err(NotRunning, "nothing to restart: use `run` or `call` first")
                })?;
                self.abandon_jit();
                self.rt = None;
                self.launch(launch)
            }
            Command::Interrupt => {
                self.interrupt
                    .lock()
                    .map_err(|_| err(Internal, "interrupt lock poisoned"))?
                    .store(true, Ordering::SeqCst);
                Ok(vec![])
            }
            Command::SetBreakpoint {
                spec,
                temporary,
                condition,
            } => self.set_breakpoint(spec, temporary, condition),
            Command::Delete(n) => {
                self.bps.delete(n)?;
                self.after_bp_change();
                Ok(vec![])
            }
            Command::Enable(n, on) => {
                self.bp_mut(n)?.enabled = on;
                self.after_bp_change();
                Ok(vec![])
            }
            Command::Condition(n, c) => {
                if let Some(c) = &c {
                    self.check_condition(c)?;
                }
                let bp = self.bp_mut(n)?;
                bp.condition = c.clone();
                self.after_bp_change();
                Ok(vec![Event::BreakpointNote(BreakpointNote::Condition {
                    number: n,
                    conditional: c.is_some(),
                })])
            }
            Command::Ignore(n, count) => {
                self.bp_mut(n)?.ignore = count;
                self.after_bp_change();
                Ok(vec![Event::BreakpointNote(BreakpointNote::Ignore {
                    number: n,
                    count,
                })])
            }
            Command::Watch { addr, len, kind } => {
                // `watch total`, `watch p->next->val`: the object (DWARF), as
                // gdb; `watch $l4`, `watch 0x1000`: the address computed.
                // `watch 1:0x100`: an address in memory 1.
                let (memory, addr) = inspect::split_memory_index(&addr);
                if let Some(i) = memory {
                    let n = self.module()?.memories.len() as u32;
                    if i >= n {
                        return Err(err(NotFound, inspect::no_memory(i, n)));
                    }
                }
                let (a, len) = self.watch_target(addr, len)?;
                self.check_watch_range(memory, a, len)?;
                let bp = self.add_bp(
                    BpKind::Watch {
                        memory,
                        addr: a,
                        len,
                        kind,
                    },
                    false,
                    None,
                );
                self.after_bp_change();
                let mut events = vec![Event::BreakpointSet(bp)];
                if let Some(note) = self.jit_watch_note() {
                    events.push(Event::Warning(note));
                }
                Ok(events)
            }
            Command::CatchWasi(name) => {
                if !self.wasi_available() {
                    return Err(err(
                        Unsupported,
                        "catch wasi needs the WASI host, which this build does not have yet",
                    ));
                }
                match &name {
                    Some(n) if self.is_component() => self.check_component_wasi_name(n)?,
                    Some(n) => Self::check_wasi_name(n)?,
                    None => {}
                }
                let bp = self.add_bp(BpKind::CatchWasi(name), false, None);
                self.after_bp_change();
                Ok(vec![Event::BreakpointSet(bp)])
            }
            Command::CatchException { caught, tag } => {
                // `$e` and `e` both name the tag `e` of the name section.
                let tag = tag.map(|t| t.trim_start_matches('$').to_string());
                let bp = self.add_bp(BpKind::CatchException { caught, tag }, false, None);
                self.after_bp_change();
                Ok(vec![Event::BreakpointSet(bp)])
            }
            Command::Frames => {
                let frames = self.frame_views()?;
                Ok(vec![Event::Frames {
                    frames,
                    selected: self.selected,
                }])
            }
            Command::Backtrace { limit } => {
                // `bt N` reads the variables of the N frames it shows only.
                let mut frames = if limit > 0 {
                    self.frame_views_paged(limit as usize)?
                } else {
                    self.frame_views()?
                };
                let total = frames.len();
                let n = (limit.unsigned_abs() as usize).min(total);
                if limit < 0 {
                    frames.drain(..total - n);
                } else {
                    frames.truncate(n);
                }
                let mut events = vec![Event::Frames {
                    frames,
                    selected: self.selected,
                }];
                if n < total {
                    events.push(Event::Text(format!(
                        "(More stack frames follow: {} of {total} shown.)",
                        n
                    )));
                }
                Ok(events)
            }
            Command::SelectFrame(n) => self.select_frame(n as i64, false),
            Command::MoveFrame(d) => self.select_frame(d, true),
            Command::Locals | Command::Args
                if self.jit_frame_without_locals(self.selected_phys()) =>
            {
                let _ = self.frames()?;
                Ok(vec![Event::Text(
                    "Not available (JIT frame): native code keeps no locals here.".into(),
                )])
            }
            Command::Locals => {
                let f = self.selected_frame_view()?;
                Ok(vec![Event::Values {
                    kind: ValuesKind::Locals,
                    values: f.locals,
                }])
            }
            Command::Args => {
                let f = self.selected_frame_view()?;
                Ok(vec![Event::Values {
                    kind: ValuesKind::Args,
                    values: f.args,
                }])
            }
            Command::Stack => self.stack(),
            Command::Globals => self.globals(),
            Command::ReadMemory { addr, format } => self.read_memory(&addr, format),
            Command::WriteMemory { addr, bytes } => {
                self.write_memory(addr, &bytes)?;
                Ok(vec![])
            }
            Command::SetLocal { local, value } => {
                self.set_var(&format!("${}", local.trim_start_matches('$')), &value)
            }
            Command::SetGlobal { global, value } => {
                let g = global.trim_start_matches('$');
                let lhs = if g.chars().all(|c| c.is_ascii_digit()) {
                    format!("$g{g}")
                } else {
                    format!("$g:{g}")
                };
                self.set_var(&lhs, &value)
            }
            Command::SetVar { lhs, value } => self.set_var(&lhs, &value),
            Command::SubstitutePath { from, to } => {
                self.loaded()?
                    .source
                    .add_substitution(from.clone(), to.clone());
                Ok(vec![Event::Text(if from.trim_end_matches('/') == "." {
                    format!("Relative source paths now read from {to}.")
                } else {
                    format!("Source paths starting with {from} now read from {to}.")
                })])
            }
            Command::Print { expr, format } => {
                let (history, text) = self.print(&expr, format)?;
                Ok(vec![Event::Printed {
                    expr,
                    text,
                    history,
                }])
            }
            Command::Ptype { expr, expand } => Ok(vec![Event::Text(self.type_of(&expr, expand)?)]),
            Command::Display {
                expr: Some(e),
                format,
            } => self.add_display(e, format),
            Command::Display { expr: None, .. } => Ok(self.display_events()),
            Command::Undisplay(numbers) => self.undisplay(&numbers),
            Command::Disassemble { around } => self.disassemble(around.as_deref()),
            Command::Info(what @ (InfoWhat::Variables | InfoWhat::Types)) => {
                self.info_matching(what, None)
            }
            Command::Info(what) => self.info(what),
            #[cfg(not(feature = "jit"))]
            Command::SetMode(Mode::Jit | Mode::Aot) => Err(err(Unsupported, wdb_engine::NO_JIT)),
            Command::SetMode(m) => {
                if m != self.mode {
                    self.jit = None;
                }
                self.mode = m;
                Ok(vec![Event::Text(self.mode_text())])
            }
            Command::WasiLog => self.wasi_log(),
            Command::Profile { invoke, args } => {
                // The interrupt slot holds the profile's own flag meanwhile,
                // so Ctrl-C stops the profile, then the paused run's again.
                let cancel = InterruptHandle::default();
                let previous = std::mem::replace(
                    &mut *self
                        .interrupt
                        .lock()
                        .map_err(|_| err(Internal, "interrupt lock poisoned"))?,
                    cancel.clone(),
                );
                let report = self.profile(invoke, args, cancel);
                if let Ok(mut slot) = self.interrupt.lock() {
                    *slot = previous;
                }
                Ok(vec![Event::Profile(Box::new(report?))])
            }
            Command::List { around } => self.list(around.as_deref()),
            Command::ModuleWat => {
                let module = self.module()?;
                Ok(vec![Event::ModuleWat(self.disasm()?.functions(&module))])
            }
            Command::SourceFiles => {
                let l = self.loaded()?;
                Ok(vec![Event::SourceFiles(l.source.info.source_files())])
            }
            Command::SourceFile { file } => {
                let l = self.loaded()?;
                let (lines, error) = match l.source.file_lines(&file) {
                    Ok(lines) => (lines, None),
                    Err(looked) => (
                        Vec::new(),
                        Some(format!(
                            "cannot read source file {file} (looked in: {}); use `set substitute-path FROM TO`",
                            looked.join(", ")
                        )),
                    ),
                };
                Ok(vec![Event::SourceText(SourceTextView {
                    file,
                    lines,
                    error,
                })])
            }
        }
    }
}

#[cfg(test)]
mod tests;

mod breakpoints;
pub(crate) mod callargs;
mod checks;
mod component;
mod eval;
mod info;
mod inline;
mod inspect;
mod load;
#[cfg(feature = "jit")]
mod mixed;
#[cfg(not(feature = "jit"))]
#[path = "session/nojit.rs"]
mod mixed;
mod run;
mod stepping;
mod vocab;

use breakpoints::{BpKind, Breakpoints};
use inspect::{FrameCx, frame_view};
pub use load::module_view;
use run::{Resume, Stop};
