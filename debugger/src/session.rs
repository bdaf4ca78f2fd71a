//! The debugging session: one module, its runtime (store, instance, paused
//! execution), breakpoints and stepping. [`Session::handle`] turns one
//! [`Command`] into events; the worker thread and the REPL's batch mode both
//! drive it. Source-level features go through [`Source`], which is empty
//! without DWARF, so every command falls back to WebAssembly instructions.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use wdb_engine::interp::{Execution, FrameInfo, PauseReason, RunControl, RunOutcome, WatchRange};
use wdb_engine::module::{ExternKind, ImportKind, Module, signature_string};
use wdb_engine::runtime::{InstanceId, InterruptHandle, Store, StoreConfig};
use wdb_engine::value::{FuncAddr, valtype_name};
use wdb_engine::wasi::{BreakOn, WasiCtx};
use wdb_engine::{Trap, Value};

use crate::api::*;
use crate::disasm::{self, Disasm};
use crate::format::{format_c_string, format_memory, value_view};
use crate::host::{self, HostOptions};
use crate::runner::Mode;
use crate::source::Source;
use crate::state::{self, SavedBreakpoint, SavedState};

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
}

#[derive(Debug, Clone)]
enum BpKind {
    Code {
        spec: BreakSpec,
        func_index: u32,
        code_offset: u32,
        /// More locations as (func_index, code_offset): every inlined copy
        /// of a function (`break FUNC`).
        more: Vec<(u32, u32)>,
    },
    Watch {
        addr: u32,
        len: u32,
        kind: WatchKind,
    },
    CatchWasi(Option<String>),
}

impl BpKind {
    /// Every (func_index, code_offset) a code breakpoint stops at.
    fn code_locations(&self) -> Vec<(u32, u32)> {
        match self {
            BpKind::Code {
                func_index,
                code_offset,
                more,
                ..
            } => std::iter::once((*func_index, *code_offset))
                .chain(more.iter().copied())
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct Breakpoint {
    number: u32,
    kind: BpKind,
    enabled: bool,
    temporary: bool,
    condition: Option<String>,
    ignore: u32,
    hits: u32,
    /// Locations turned off by `disable N.L` (indices into
    /// `kind.code_locations()`).
    off: Vec<usize>,
}

impl Breakpoint {
    /// The code locations this breakpoint stops at: none when disabled,
    /// else those not turned off one by one.
    fn live_locations(&self) -> Vec<(u32, u32)> {
        if !self.enabled {
            return Vec::new();
        }
        let mut v = self.kind.code_locations();
        let mut i = 0;
        v.retain(|_| {
            i += 1;
            !self.off.contains(&(i - 1))
        });
        v
    }
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
    bps: Vec<Breakpoint>,
    next_bp: u32,
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
    jit: Option<Box<wdb_engine::jit::JitEngine>>,
    /// A JIT call suspended while an interpreted function it entered runs.
    jit_run: Option<mixed::JitRun>,
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
    /// `display` expressions, shown at each stop.
    displays: Vec<eval::Display>,
    next_display: u32,
}

type Res<T> = Result<T, String>;

impl Session {
    pub fn new(config: SessionConfig) -> Session {
        Session {
            loaded: None,
            rt: None,
            bps: Vec::new(),
            next_bp: 1,
            selected: 0,
            interrupt: Arc::new(Mutex::new(InterruptHandle::default())),
            config,
            program: ProgramConfig::default(),
            last_launch: None,
            internal: None,
            mode: Mode::Interp,
            jit: None,
            jit_run: None,
            hidden_inline: None,
            last_stop_bp: None,
            extra_stops: Vec::new(),
            list: vocab::ListState::default(),
            call: callargs::CallState::default(),
            history: Vec::new(),
            history_base: 0,
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
            Ok(Err(message)) => vec![Event::CommandFailed { id, message }],
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
                for d in &program.dirs {
                    crate::runner::parse_dir(d).map_err(|e| format!("directory {e}"))?;
                }
                if let Some((name, _)) = program
                    .env
                    .iter()
                    .find(|(n, _)| n.is_empty() || n.contains('='))
                {
                    return Err(format!("`{name}` is not an environment variable name"));
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
                for b in &mut self.bps {
                    b.enabled = on;
                }
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
                let in_jit = self.jit_paused();
                self.abandon_jit();
                let rt = self.rt.as_mut().ok_or("The program is not being run.")?;
                if rt.exec.take().is_none() && !in_jit {
                    return Err("The program is not being run.".into());
                }
                self.internal = None;
                Ok(vec![Event::Text("[execution killed]".into())])
            }
            Command::Restart => {
                let launch = self
                    .last_launch
                    .clone()
                    .ok_or("nothing to restart: use `run` or `call` first")?;
                self.abandon_jit();
                self.rt = None;
                self.launch(launch)
            }
            Command::Interrupt => {
                self.interrupt
                    .lock()
                    .map_err(|_| "interrupt lock poisoned")?
                    .store(true, Ordering::SeqCst);
                Ok(vec![])
            }
            Command::SetBreakpoint {
                spec,
                temporary,
                condition,
            } => {
                let kind = self.resolve_spec(&spec)?;
                if let Some(c) = &condition {
                    self.check_condition(c)?;
                }
                let mut events = Vec::new();
                // A line with no code moves to the next one that has some; say so,
                // as gdb does, so the user is not surprised where it stops.
                if let BreakSpec::Line(file, line) = &spec
                    && let Ok(m) = self.loaded()?.source.info.resolve_line(file, *line)
                    && m.line != m.requested_line
                {
                    events.push(Event::Text(format!(
                        "Line {} of {file} has no code; using line {}.",
                        m.requested_line, m.line
                    )));
                }
                // The same breakpoint again (a script run twice: breakpoints
                // are remembered between sessions) is the one already there,
                // enabled, not a second copy.
                let same = |b: &Breakpoint| {
                    !temporary
                        && !b.temporary
                        && b.condition == condition
                        && matches!((&b.kind, &kind), (
                            BpKind::Code { func_index: f1, code_offset: c1, .. },
                            BpKind::Code { func_index: f2, code_offset: c2, .. },
                        ) if f1 == f2 && c1 == c2)
                };
                if let Some(b) = self.bps.iter_mut().find(|b| same(b)) {
                    let was = b.enabled;
                    b.enabled = true;
                    let n = b.number;
                    if !was {
                        self.after_bp_change();
                    }
                    events.push(Event::Text(format!(
                        "Breakpoint {n} is already set there{}.",
                        if was { "" } else { "; enabled it" }
                    )));
                    return Ok(events);
                }
                let bp = self.add_bp(kind, temporary, condition);
                self.after_bp_change();
                events.push(Event::BreakpointSet(bp));
                Ok(events)
            }
            Command::Delete(n) => {
                match n {
                    None => self.bps.clear(),
                    Some(n) => {
                        let before = self.bps.len();
                        self.bps.retain(|b| b.number != n);
                        if self.bps.len() == before {
                            return Err(format!("No breakpoint number {n}."));
                        }
                    }
                }
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
                Ok(vec![Event::Text(match c {
                    Some(_) => format!("Condition set on breakpoint {n}."),
                    None => format!("Breakpoint {n} now unconditional."),
                })])
            }
            Command::Ignore(n, count) => {
                self.bp_mut(n)?.ignore = count;
                self.after_bp_change();
                Ok(vec![Event::Text(format!(
                    "Will ignore next {count} crossings of breakpoint {n}."
                ))])
            }
            Command::Watch { addr, len, kind } => {
                // `watch total`, `watch p->next->val`: the object (DWARF), as
                // gdb; `watch $l4`, `watch 0x1000`: the address computed.
                let (a, len) = self.watch_target(&addr, len)?;
                self.check_watch_range(a, len)?;
                let bp = self.add_bp(BpKind::Watch { addr: a, len, kind }, false, None);
                self.after_bp_change();
                Ok(vec![Event::BreakpointSet(bp)])
            }
            Command::CatchWasi(name) => {
                if !self.wasi_available() {
                    return Err(
                        "catch wasi needs the WASI host, which this build does not have yet".into(),
                    );
                }
                if let Some(n) = &name {
                    Self::check_wasi_name(n)?;
                }
                let bp = self.add_bp(BpKind::CatchWasi(name), false, None);
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
                let mut frames = self.frame_views()?;
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
            Command::Info(InfoWhat::Mode) => Ok(vec![Event::Text(self.mode_text())]),
            Command::Info(what @ (InfoWhat::Variables | InfoWhat::Types)) => {
                self.info_matching(what, None)
            }
            Command::Info(what) => self.info(what),
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
                        .map_err(|_| "interrupt lock poisoned")?,
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

    /// `profile`: the same work in every engine, with the program's
    /// environment and directories; `cancel` stops it.
    fn profile(
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
            preopens: self
                .program
                .dirs
                .iter()
                .map(|d| crate::runner::parse_dir(d).map_err(|e| format!("directory {e}")))
                .collect::<Res<_>>()?,
            runs: 3,
            cancel: Some(cancel),
            ..Default::default()
        };
        crate::profile::profile(cfg).map_err(|e| e.to_string())
    }

    fn wasi_available(&self) -> bool {
        true
    }

    /// Guest output captured since the last call (only with `capture_output`).
    fn drain_output(&self) -> Vec<Event> {
        let Some(rt) = &self.rt else { return vec![] };
        let Ok(mut buf) = rt.output.lock() else {
            return vec![];
        };
        buf.drain(..)
            .map(|(fd, bytes)| Event::Output { fd, bytes })
            .collect()
    }

    fn wasi_log(&self) -> Res<Vec<Event>> {
        let rt = self
            .rt
            .as_ref()
            .ok_or("The module is not instantiated yet: `run` or `call` first.")?;
        let ctx = rt.wasi.lock().map_err(|_| "WASI context lock poisoned")?;
        let mut calls: Vec<WasiCallView> = Vec::new();
        for c in &ctx.log {
            // Without the timing, so transcripts are stable.
            let mut line = c.strace_line();
            if line.ends_with("s>")
                && let Some(i) = line.rfind(" <")
            {
                line.truncate(i);
            }
            calls.push(WasiCallView {
                seq: c.seq,
                line,
                func: c.func.to_string(),
                args: c
                    .args
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), v.clone()))
                    .collect(),
                errno: c.errno,
                errno_name: c.errno_name.to_string(),
                bytes: c.bytes,
                start: c.start,
                duration: c.duration,
            });
        }
        if ctx.log_dropped > 0 {
            calls.insert(
                0,
                WasiCallView {
                    seq: 0,
                    line: format!("({} earlier calls dropped)", ctx.log_dropped),
                    ..WasiCallView::default()
                },
            );
        }
        Ok(vec![Event::WasiCalls(calls)])
    }

    // ---- module -----------------------------------------------------------

    fn loaded(&self) -> Res<&Loaded> {
        self.loaded
            .as_ref()
            .ok_or_else(|| "No module loaded.".to_string())
    }

    fn module(&self) -> Res<Arc<Module>> {
        Ok(self.loaded()?.module.clone())
    }

    fn load(&mut self, path: &Path, args: Vec<String>) -> Res<Vec<Event>> {
        let mut module =
            Module::from_file(path).map_err(|e| crate::runner::load_error(path, &e))?;
        let mangled = demangle_names(&mut module.names.functions);
        let module = Arc::new(module);
        let mut events = Vec::new();
        let source = Source::new(&module, path);
        if let Some(w) = source.warning() {
            events.push(Event::Warning(w));
        }
        let state_file = if self.config.persist {
            self.config
                .state_dir
                .clone()
                .or_else(state::state_dir)
                .map(|d| state::state_file(&d, path, &module.bytes))
        } else {
            None
        };
        self.loaded = Some(Loaded {
            mangled,
            path: path.to_path_buf(),
            module: module.clone(),
            disasm: None,
            source,
            state_file,
        });
        self.abandon_jit();
        self.jit = None;
        self.rt = None;
        self.bps.clear();
        self.next_bp = 1;
        self.program.args = args;
        self.last_launch = None;
        let mut view = module_view(path, &module, false);
        view.entry = self
            .loaded
            .as_ref()
            .and_then(|l| entry_view(&module, &l.source));
        events.insert(0, Event::Loaded(view));
        events.insert(1, Event::Program(self.program.clone()));
        events.extend(self.restore_state());
        Ok(events)
    }

    fn restore_state(&mut self) -> Vec<Event> {
        let Some(file) = self.loaded.as_ref().and_then(|l| l.state_file.clone()) else {
            return vec![];
        };
        let st = match state::load(&file) {
            Ok(Some(st)) => st,
            Ok(None) => return vec![],
            Err(w) => return vec![Event::Warning(w)],
        };
        let mut events = Vec::new();
        let mut restored = 0;
        let mut seen = std::collections::HashSet::new();
        for sb in st.breakpoints {
            // State written before `break` reused an identical breakpoint
            // may hold many copies of one.
            if !seen.insert((sb.spec.clone(), sb.condition.clone(), sb.temporary)) {
                continue;
            }
            let kind = if let Some(w) = sb.spec.strip_prefix("watch:") {
                let parts: Vec<&str> = w.split(':').collect();
                match parts.as_slice() {
                    [a, l, k] => {
                        let kind = match *k {
                            "r" => WatchKind::Read,
                            "a" => WatchKind::Access,
                            _ => WatchKind::Write,
                        };
                        match (parse_u32(a), parse_u32(l)) {
                            (Some(addr), Some(len)) => Ok(BpKind::Watch { addr, len, kind }),
                            _ => Err("bad watchpoint".to_string()),
                        }
                    }
                    _ => Err("bad watchpoint".to_string()),
                }
            } else if let Some(c) = sb.spec.strip_prefix("catch:") {
                Ok(BpKind::CatchWasi((!c.is_empty()).then(|| c.to_string())))
            } else {
                BreakSpec::parse(&sb.spec).and_then(|s| self.resolve_spec(&s))
            };
            match kind {
                Ok(kind) => {
                    let n = self.next_bp;
                    self.next_bp += 1;
                    self.bps.push(Breakpoint {
                        number: n,
                        kind,
                        enabled: sb.enabled,
                        temporary: sb.temporary,
                        condition: sb.condition,
                        ignore: sb.ignore_count,
                        hits: sb.hits,
                        off: Vec::new(),
                    });
                    restored += 1;
                }
                Err(e) => events.push(Event::Warning(format!(
                    "saved breakpoint `{}` dropped: {e}",
                    sb.spec
                ))),
            }
        }
        if restored > 0 {
            events.push(Event::Text(format!(
                "Restored {restored} breakpoint(s) from the last session."
            )));
        }
        events
    }

    fn save_state(&self) -> Option<Event> {
        let file = self.loaded.as_ref()?.state_file.as_ref()?;
        // Nothing to remember and nothing remembered: leave no file behind.
        if self.bps.is_empty() && !file.exists() {
            return None;
        }
        let st = SavedState {
            breakpoints: self
                .bps
                .iter()
                .filter(|b| !b.temporary)
                .map(|b| SavedBreakpoint {
                    spec: match &b.kind {
                        BpKind::Code { spec, .. } => spec.to_string(),
                        BpKind::Watch { addr, len, kind } => format!(
                            "watch:{addr:#x}:{len}:{}",
                            match kind {
                                WatchKind::Read => "r",
                                WatchKind::Access => "a",
                                WatchKind::Write => "w",
                            }
                        ),
                        BpKind::CatchWasi(n) => format!("catch:{}", n.clone().unwrap_or_default()),
                    },
                    enabled: b.enabled,
                    temporary: b.temporary,
                    condition: b.condition.clone(),
                    ignore_count: b.ignore,
                    hits: b.hits,
                })
                .collect(),
            ..Default::default()
        };
        state::save(file, &st).err().map(Event::Warning)
    }

    // ---- breakpoints ------------------------------------------------------

    fn resolve_function(&self, module: &Module, name: &str) -> Res<u32> {
        match self.resolve_functions(module, name)?.as_slice() {
            [one] => Ok(*one),
            many => Err(format!(
                "\"{name}\" is ambiguous: {}",
                many.iter()
                    .map(|i| format!("func[{i}]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Every function `name` names (an export, a name-section name, a
    /// mangled name, `func[N]`), sorted; an error when there is none.
    fn resolve_functions(&self, module: &Module, name: &str) -> Res<Vec<u32>> {
        let mut found: Vec<u32> = Vec::new();
        for (&i, n) in &module.names.functions {
            if n == name {
                found.push(i);
            }
        }
        if let Ok(l) = self.loaded() {
            found.extend(
                l.mangled
                    .iter()
                    .filter(|(_, n)| *n == name)
                    .map(|(&i, _)| i),
            );
        }
        for e in &module.exports {
            if e.kind == ExternKind::Func && e.name == name {
                found.push(e.index);
            }
        }
        if let Some(idx) = name
            .strip_prefix("func[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|n| n.parse().ok())
        {
            found.push(idx);
        }
        // A name only DWARF knows (C's `main` is `__original_main` in the
        // name section).
        if found.is_empty()
            && let Ok(l) = self.loaded()
        {
            found.extend(
                l.source
                    .info
                    .functions_named(name)
                    .into_iter()
                    .filter_map(|fi| module.func_at_code_offset(fi.low_pc)),
            );
        }
        found.sort();
        found.dedup();
        match found.as_slice() {
            [] => {
                let mut cands: Vec<&str> = module
                    .names
                    .functions
                    .values()
                    .map(String::as_str)
                    .chain(
                        module
                            .exports
                            .iter()
                            .filter(|e| e.kind == ExternKind::Func)
                            .map(|e| e.name.as_str()),
                    )
                    .filter(|n| n.contains(name))
                    .collect();
                cands.sort();
                cands.dedup();
                if cands.is_empty() {
                    Err(format!("Function \"{name}\" not defined."))
                } else {
                    cands.truncate(10);
                    Err(format!(
                        "Function \"{name}\" not defined. Did you mean: {}",
                        cands.join(", ")
                    ))
                }
            }
            _ => Ok(found),
        }
    }

    /// Where a function's code starts for a breakpoint: after its prologue
    /// when DWARF says where that ends (gdb's rule), else at its first
    /// instruction.
    fn function_entry(&self, module: &Module, f: u32, name: Option<&str>) -> Res<u32> {
        let first =
            disasm::first_instruction(module, f).ok_or("cannot decode the function body")?;
        let body = module
            .body(f)
            .ok_or("an imported function has no code")?
            .range
            .clone();
        let info = &self.loaded()?.source.info;
        let in_body = |fi: &crate::dwarf::FunctionInfo| {
            body.contains(&module.module_offset_from_code_offset(fi.low_pc))
        };
        let by_name = name.and_then(|n| {
            info.functions_named(n)
                .into_iter()
                .find(|fi| in_body(fi))
                .and_then(|fi| fi.entry_after_prologue)
        });
        let by_place = || {
            info.function_at(first)
                .filter(|fi| in_body(fi))
                .and_then(|fi| fi.entry_after_prologue)
        };
        Ok(by_name.or_else(by_place).unwrap_or(first))
    }

    fn resolve_spec(&self, spec: &BreakSpec) -> Res<BpKind> {
        let spec = &self.with_default_file(spec)?;
        let module = self.module()?;
        let mut more = Vec::new();
        let (func_index, code_offset) = match spec {
            BreakSpec::Function(name) => {
                // Inlined copies (DWARF) are locations too; a function that
                // was only inlined has no wasm function of its own.
                let inlined: Vec<(u32, u32)> = self
                    .loaded()?
                    .source
                    .info
                    .inline_instances_named(name)
                    .into_iter()
                    .filter_map(|i| Some((module.func_at_code_offset(i.entry)?, i.entry)))
                    .collect();
                let funcs = match self.resolve_functions(&module, name) {
                    Ok(f) => f,
                    Err(e) => {
                        let Some((&first, rest)) = inlined.split_first() else {
                            return Err(e);
                        };
                        return Ok(BpKind::Code {
                            spec: spec.clone(),
                            func_index: first.0,
                            code_offset: first.1,
                            more: rest.to_vec(),
                        });
                    }
                };
                // Every function the name matches is a location (in a Rust
                // module: the function and its export wrapper), as gdb's 1.1, 1.2.
                let defined: Vec<u32> = funcs
                    .into_iter()
                    .filter(|&f| module.body(f).is_some())
                    .collect();
                let Some((&f, others)) = defined.split_first() else {
                    return Err(format!(
                        "\"{name}\" is an imported function: use `catch wasi` to stop at host calls"
                    ));
                };
                for &g in others {
                    more.push((g, self.function_entry(&module, g, Some(name))?));
                }
                more.extend(inlined);
                (f, self.function_entry(&module, f, Some(name))?)
            }
            BreakSpec::FuncOffset(name, off) => {
                let f = self.resolve_function(&module, name)?;
                let body = module
                    .body(f)
                    .ok_or_else(|| format!("\"{name}\" is an imported function"))?;
                let co = module.code_offset_from_module_offset(body.range.start) + off;
                if module.module_offset_from_code_offset(co) >= body.range.end {
                    return Err(format!(
                        "offset {off:#x} is past the end of {name} ({} bytes)",
                        body.range.len()
                    ));
                }
                (f, co)
            }
            BreakSpec::CodeOffset(co) => {
                let f = module
                    .func_at_code_offset(*co)
                    .ok_or_else(|| format!("code_offset {co:#x} is not inside a function body"))?;
                // A function's start (its body, or its first instruction)
                // means after its prologue, as `break FUNC`.
                let body_start = module.code_offset_from_module_offset(
                    module.body(f).expect("found in a body").range.start,
                );
                let first = disasm::first_instruction(&module, f);
                if *co == body_start || Some(*co) == first {
                    (f, self.function_entry(&module, f, None)?)
                } else {
                    (f, *co)
                }
            }
            BreakSpec::Line(file, line) => {
                let l = self.loaded()?;
                let offs = l.source.resolve_line(file, *line)?;
                let co = *offs
                    .first()
                    .ok_or_else(|| format!("no code for {file}:{line}"))?;
                let f = module
                    .func_at_code_offset(co)
                    .ok_or("line maps outside any function")?;
                // The opening line of a function starts at its prologue, where
                // arguments are not yet in place: stop after it, as `break FUNC` does.
                let co = l
                    .source
                    .info
                    .function_at(co)
                    .filter(|fi| fi.low_pc == co)
                    .and_then(|fi| fi.entry_after_prologue)
                    .unwrap_or(co);
                (f, co)
            }
        };
        more.retain(|&(_, co)| co != code_offset);
        Ok(BpKind::Code {
            spec: spec.clone(),
            func_index,
            code_offset,
            more,
        })
    }

    fn add_bp(
        &mut self,
        kind: BpKind,
        temporary: bool,
        condition: Option<String>,
    ) -> BreakpointView {
        let n = self.next_bp;
        self.next_bp += 1;
        self.bps.push(Breakpoint {
            number: n,
            kind,
            enabled: true,
            temporary,
            condition,
            ignore: 0,
            hits: 0,
            off: Vec::new(),
        });
        let bp = self.bps.last().expect("just pushed").clone();
        self.bp_view(&bp)
    }

    fn bp_mut(&mut self, n: u32) -> Res<&mut Breakpoint> {
        self.bps
            .iter_mut()
            .find(|b| b.number == n)
            .ok_or_else(|| format!("No breakpoint number {n}."))
    }

    fn after_bp_change(&mut self) {
        self.sync_breakpoints();
        let _ = self.save_state();
    }

    fn bp_view(&self, b: &Breakpoint) -> BreakpointView {
        let module = self.loaded.as_ref().map(|l| l.module.clone());
        let (kind, spec, func_name, code_offset) = match &b.kind {
            BpKind::Code {
                spec,
                func_index,
                code_offset,
                ..
            } => (
                BreakpointKind::Breakpoint,
                spec.to_string(),
                module.as_ref().map(|m| m.display_func_name(*func_index)),
                Some(*code_offset),
            ),
            BpKind::Watch { addr, len, kind } => (
                match kind {
                    WatchKind::Write => BreakpointKind::Watchpoint,
                    WatchKind::Read => BreakpointKind::ReadWatchpoint,
                    WatchKind::Access => BreakpointKind::AccessWatchpoint,
                },
                format!("{addr:#x} ({len} byte{})", if *len == 1 { "" } else { "s" }),
                None,
                None,
            ),
            BpKind::CatchWasi(n) => (
                BreakpointKind::Catchpoint,
                format!("wasi {}", n.as_deref().unwrap_or("(any)")),
                None,
                None,
            ),
        };
        let locations: Vec<BreakLocation> = b
            .kind
            .code_locations()
            .into_iter()
            .enumerate()
            .map(|(i, (f, co))| BreakLocation {
                enabled: !b.off.contains(&i),
                ..self.break_location(f, co, &b.kind)
            })
            .collect();
        // The first location names the breakpoint (an inlined function's
        // frame, not the wasm function it was inlined into).
        let (func_name, source) = match locations.first() {
            Some(l) => (Some(l.func_name.clone()), l.source.clone()),
            None => (func_name, None),
        };
        BreakpointView {
            number: b.number,
            kind,
            spec,
            enabled: b.enabled,
            temporary: b.temporary,
            func_name,
            code_offset,
            source,
            condition: b.condition.clone(),
            ignore_count: b.ignore,
            hits: b.hits,
            locations,
        }
    }

    /// Make the store's patched breakpoints equal the enabled ones plus the
    /// debugger's own internal stop, and the watch list equal the watchpoints.
    fn sync_breakpoints(&mut self) {
        let Some(rt) = self.rt.as_mut() else { return };
        let mut want = HashSet::new();
        for b in &self.bps {
            for (func_index, code_offset) in b.live_locations() {
                let func = rt.store.instance_func(rt.inst, func_index);
                if let Some(pc) = rt.store.pc_from_code_offset(func, code_offset) {
                    want.insert((func, pc));
                }
            }
        }
        for s in self.internal.iter().chain(&self.extra_stops) {
            want.insert((s.func, s.pc));
        }
        let old: Vec<_> = rt.patched.difference(&want).copied().collect();
        for (f, pc) in old {
            rt.store.clear_breakpoint(f, pc);
            rt.patched.remove(&(f, pc));
        }
        let new: Vec<_> = want.difference(&rt.patched).copied().collect();
        for (f, pc) in new {
            if rt.store.set_breakpoint(f, pc).is_ok() {
                rt.patched.insert((f, pc));
            }
        }
        let mut names = Vec::new();
        let mut all = false;
        for b in &self.bps {
            if let (true, BpKind::CatchWasi(n)) = (b.enabled, &b.kind) {
                match n {
                    Some(n) => names.push(n.clone()),
                    None => all = true,
                }
            }
        }
        if let Ok(mut ctx) = rt.wasi.lock() {
            ctx.break_on = if all {
                Some(BreakOn::All)
            } else if names.is_empty() {
                None
            } else {
                Some(BreakOn::Names(names))
            };
        }
        let mem = rt.store.instance_memory(rt.inst);
        rt.ctl.watch.clear();
        rt.watch_numbers.clear();
        if let Some(memory) = mem {
            for b in &self.bps {
                if let (true, BpKind::Watch { addr, len, kind }) = (b.enabled, &b.kind) {
                    rt.ctl.watch.push(WatchRange {
                        memory,
                        addr: *addr,
                        len: *len,
                        on_read: *kind != WatchKind::Write,
                        on_write: *kind != WatchKind::Read,
                    });
                    rt.watch_numbers.push(b.number);
                }
            }
        }
    }

    // ---- running ----------------------------------------------------------

    fn instantiate(&mut self) -> Res<()> {
        let module = self.module()?;
        let mut store = Store::new(StoreConfig::default());
        *self
            .interrupt
            .lock()
            .map_err(|_| "interrupt lock poisoned")? = store.interrupt_handle();
        let program = self.loaded()?.path.file_name().map_or_else(
            || "module.wasm".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let opts = HostOptions {
            program,
            args: self.program.args.clone(),
            capture_output: self.config.capture_output,
            output_sink: self.config.output_sink.clone(),
            inherit_stdin: self.config.inherit_stdin,
            stdin_pipe: self.config.stdin_pipe.clone(),
            env: self.program.env.clone(),
            preopens: self
                .program
                .dirs
                .iter()
                .map(|d| crate::runner::parse_dir(d).map_err(|e| format!("directory {e}")))
                .collect::<Res<_>>()?,
            stdin_file: self.program.stdin.clone(),
            stdout_file: self.program.stdout.clone(),
        };
        let host = host::link(&mut store, &module, &opts)?;
        let (inst, start) = store
            .instantiate(module.clone(), &host.imports)
            .map_err(|e| e.to_string())?;
        let mut rt = Runtime {
            store,
            inst,
            initialized: false,
            exec: None,
            exec_func: None,
            ctl: RunControl::default(),
            watch_numbers: Vec::new(),
            patched: HashSet::new(),
            wasi: host.wasi,
            output: host.output,
        };
        if let Some(start) = start {
            let mut exec = Execution::new(&mut rt.store, start, &[]).map_err(|e| e.to_string())?;
            match exec.run(&mut rt.store, &mut RunControl::default()) {
                RunOutcome::Returned(_) => {}
                RunOutcome::Trapped(t) => return Err(format!("the start function trapped: {t}")),
                other => return Err(format!("the start function did not finish: {other:?}")),
            }
        }
        self.rt = Some(rt);
        self.internal = None;
        // A fresh instance: nothing of an earlier call is left to undo.
        self.call.forget_instance();
        Ok(())
    }

    fn launch(&mut self, launch: Launch) -> Res<Vec<Event>> {
        let module = self.module()?;
        let mut events = Vec::new();
        // String and `&cell` arguments: checked now, placed in memory once
        // the instance is ready.
        let mut special = None;
        let (func_index, mut args) = match &launch {
            Launch::Start(args) => {
                let f = module.exported_func("_start").ok_or_else(|| {
                    format!(
                        "the module has no _start (it is a {}): use `call EXPORT ARGS`",
                        module_kind(&module)
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
                    format!(
                        "no exported function `{export}`; exports: {}",
                        names.join(", ")
                    )
                })?;
                let ty = module.func_type(f);
                let (plain, sp) = callargs::split(export, ty.params(), args)?;
                let vals = wdb_engine::args::parse_args_named(export, ty, &plain)
                    .map_err(|e| e.message)?;
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
                        RunOutcome::Trapped(t) => return Err(format!("_initialize trapped: {t}")),
                        RunOutcome::Exited(c) => {
                            return Err(format!("_initialize exited with code {c}"));
                        }
                        other => return Err(format!("_initialize did not finish: {other:?}")),
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
                .map_err(|e| e.message)?;
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

    fn live(&mut self) -> Res<&mut Runtime> {
        match self.rt.as_mut() {
            Some(rt) if rt.exec.as_ref().is_some_and(|e| !e.is_finished()) => Ok(rt),
            _ => Err("The program is not being run.".into()),
        }
    }

    fn depth(&self) -> usize {
        let rt = self.rt.as_ref().expect("live runtime");
        rt.exec.as_ref().map_or(0, |e| e.frames(&rt.store).len())
    }

    fn top_frame(&self) -> Option<FrameInfo> {
        let rt = self.rt.as_ref()?;
        rt.exec.as_ref()?.frames(&rt.store).into_iter().next()
    }

    fn clear_interrupt(&self) {
        if let Ok(h) = self.interrupt.lock() {
            h.store(false, Ordering::SeqCst);
        }
    }

    fn interrupted(&self) -> bool {
        self.interrupt
            .lock()
            .map(|h| h.load(Ordering::SeqCst))
            .unwrap_or(false)
    }

    /// One engine step, stepping off a patched breakpoint first if needed.
    fn engine_step(&mut self) -> RunOutcome {
        let rt = self.rt.as_mut().expect("live runtime");
        let exec = rt.exec.as_mut().expect("live execution");
        exec.step(&mut rt.store, &mut rt.ctl)
    }

    /// Continue: step off a patched breakpoint at the current pc, then run.
    fn engine_run(&mut self) -> RunOutcome {
        let at_patched = self.top_frame().is_some_and(|f| {
            self.rt
                .as_ref()
                .is_some_and(|rt| rt.patched.contains(&(f.func, f.pc)))
        });
        if at_patched {
            match self.engine_step() {
                RunOutcome::Paused(PauseReason::Step) => {}
                other => return other,
            }
        }
        let rt = self.rt.as_mut().expect("live runtime");
        let exec = rt.exec.as_mut().expect("live execution");
        exec.run(&mut rt.store, &mut rt.ctl)
    }

    fn resume(&mut self, how: Resume) -> Res<Vec<Event>> {
        if self.jit_paused() && !matches!(how, Resume::Continue) && self.jit_pause_can_take_over() {
            // Stepping from a JIT loop header: the interpreter runs the rest
            // of that call, so every stepping command works from here.
            self.take_over_jit_pause()?;
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
                    events.push(Event::FinishReturned {
                        func,
                        values: values.into_iter().map(value_view).collect(),
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
                    // One result with a DWARF return type: shown by that type.
                    let typed = match results.as_slice() {
                        [v] => self.typed_return(ret.as_ref(), *v),
                        _ => None,
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
                    events.push(Event::FinishReturned { func: name, values });
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
    fn report_stop(&mut self, mut stop: Stop) -> Res<Vec<Event>> {
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

    fn mode_text(&self) -> String {
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
    fn run_to_stop(&mut self, internal: Option<InternalStop>) -> Res<Stop> {
        self.internal = internal;
        self.sync_breakpoints();
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

    /// Decide whether a breakpoint pause is a user-visible stop.
    fn breakpoint_hit(&mut self, func: FuncAddr, pc: u32) -> Res<Option<Stop>> {
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
            let cond = self
                .bps
                .iter()
                .find(|b| b.number == n)
                .and_then(|b| b.condition.clone());
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
            let b = self
                .bps
                .iter_mut()
                .find(|b| b.number == n)
                .expect("matched above");
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
            self.bps.retain(|b| !hit_temporaries.contains(&b.number));
            self.sync_breakpoints();
        }
        Ok(stop)
    }

    /// `nexti`: one instruction, running over a call with an internal stop
    /// at its return site (checked by frame depth, so recursion is right).
    fn next_instruction(&mut self) -> Res<Stop> {
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
    fn run_until_depth(&mut self, d: usize) -> Res<Stop> {
        let module = self.module()?;
        let rt = self.rt.as_mut().expect("live");
        let frames = rt.exec.as_ref().expect("live").frames(&rt.store);
        let caller = &frames[frames.len() - d];
        let ret = disasm::next_instruction(&module, caller.code_offset)
            .and_then(|co| rt.store.pc_from_code_offset(caller.func, co));
        match ret {
            Some(pc) => {
                let stop = InternalStop {
                    func: caller.func,
                    pc,
                    max_depth: d,
                };
                let s = self.run_to_stop(Some(stop))?;
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
    fn finish(&mut self, selected: usize) -> Res<(Stop, Option<FinishInfo>)> {
        let vframe = self
            .vframes()?
            .into_iter()
            .nth(selected)
            .ok_or("No frame selected.")?;
        if let Some((stop, done)) = self.finish_inline(&vframe)? {
            return Ok((stop, done.map(|(name, n)| FinishInfo::Top(name, n, None))));
        }
        let module = self.module()?;
        let d = self.depth();
        let sel = vframe.phys.min(d.saturating_sub(1));
        let rt = self.rt.as_ref().expect("live");
        let frames = rt.exec.as_ref().expect("live").frames(&rt.store);
        let f = &frames[sel];
        let name = module.display_func_name(f.func_index);
        let nres = module.func_type(f.func_index).results().len();
        let ret = self
            .loaded
            .as_ref()
            .filter(|l| l.source.available())
            .and_then(|l| l.source.info.return_type(vframe.info.code_offset));
        if sel + 1 >= d {
            // The outermost frame: finishing it returns from the call, or
            // under a JIT run to its JIT caller, where it stops.
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
    fn until(&mut self) -> Res<Stop> {
        let start = self.top_frame().ok_or("no frame")?;
        let d = self.depth();
        loop {
            let s = self.next_instruction()?;
            if !matches!(s, Stop::At(StopReason::Step)) {
                return Ok(s);
            }
            if self.interrupted() {
                return Ok(Stop::At(StopReason::Interrupted));
            }
            let f = self.top_frame().ok_or("no frame")?;
            let depth = self.depth();
            if depth < d {
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

    /// Turn a stop into events.
    fn report(&mut self, stop: Stop) -> Vec<Event> {
        self.last_stop_bp = stop.breakpoint_number();
        match stop {
            Stop::Warned(w, inner) => {
                let mut v = vec![Event::Warning(w)];
                v.extend(self.report(*inner));
                v
            }
            Stop::At(reason) => match self.stop_view(reason) {
                Ok(v) => vec![Event::Stopped(v)],
                Err(e) => vec![Event::Warning(e)],
            },
            // A command's `_start` returning is a normal exit (wasi-libc calls
            // proc_exit only for a non-zero status).
            Stop::Outcome(RunOutcome::Returned(_))
                if matches!(self.last_launch, Some(Launch::Start(_))) =>
            {
                vec![Event::Exited { code: 0 }]
            }
            Stop::Outcome(RunOutcome::Returned(values)) => {
                let func = self
                    .rt
                    .as_ref()
                    .and_then(|r| r.exec_func)
                    .zip(self.loaded.as_ref())
                    .map(|(f, l)| l.module.display_func_name(f))
                    .unwrap_or_default();
                let mut values: Vec<ValueView> = values.into_iter().map(value_view).collect();
                let more = self.call_results(&mut values);
                let mut events = vec![Event::Returned { func, values }];
                events.extend(more);
                events
            }
            Stop::Outcome(RunOutcome::Trapped(t)) => {
                let mut events = self.trap_events(t);
                events.extend(self.call_trapped());
                events
            }
            Stop::Outcome(RunOutcome::Exited(code)) => vec![Event::Exited { code }],
            Stop::Outcome(RunOutcome::OutOfFuel) => vec![Event::Warning("out of fuel".into())],
            Stop::Outcome(RunOutcome::Paused(p)) => {
                let reason = match p {
                    PauseReason::Step => StopReason::Step,
                    PauseReason::Interrupted => StopReason::Interrupted,
                    PauseReason::HostRequested => {
                        let name = self
                            .rt
                            .as_ref()
                            .and_then(|r| {
                                r.wasi.lock().ok()?.log.back().map(|c| c.func.to_string())
                            })
                            .unwrap_or_default();
                        let hit = self.bps.iter_mut().find(|b| {
                            b.enabled
                                && matches!(&b.kind, BpKind::CatchWasi(n) if n.as_ref().is_none_or(|n| *n == name))
                        });
                        let number = hit.map_or(0, |b| {
                            b.hits += 1;
                            b.number
                        });
                        StopReason::WasiCall { number, name }
                    }
                    PauseReason::Breakpoint { .. } => StopReason::Location,
                    PauseReason::Watchpoint {
                        index,
                        addr,
                        write,
                        old,
                        new,
                        ..
                    } => {
                        let number = self
                            .rt
                            .as_ref()
                            .and_then(|r| r.watch_numbers.get(index).copied())
                            .unwrap_or(0);
                        if let Some(b) = self.bps.iter_mut().find(|b| b.number == number) {
                            b.hits += 1;
                        }
                        StopReason::Watchpoint {
                            number,
                            addr,
                            write,
                            old,
                            new,
                        }
                    }
                };
                if reason == StopReason::Interrupted {
                    self.clear_interrupt();
                }
                self.report(Stop::At(reason))
            }
        }
    }

    fn trap_events(&mut self, t: Trap) -> Vec<Event> {
        let mut backtrace = self.frame_views().unwrap_or_default();
        // Fewer post-mortem frames than the trap has: JIT code (mode jit),
        // alone or below interpreted functions. The interpreted frames come
        // first in both lists; the trap's backtrace has the JIT frames too.
        if backtrace.len() < t.backtrace.len() {
            let module = self.loaded.as_ref().map(|l| l.module.clone());
            let jit = t
                .backtrace
                .iter()
                .enumerate()
                .skip(backtrace.len())
                .map(|(i, f)| FrameView {
                    index: i,
                    func_index: f.func_index,
                    func_name: f.func_name.clone().unwrap_or_else(|| {
                        module.as_ref().map_or_else(
                            || format!("func[{}]", f.func_index),
                            |m| m.display_func_name(f.func_index),
                        )
                    }),
                    code_offset: f.code_offset.unwrap_or(0),
                    args: vec![],
                    locals: vec![],
                    source: f
                        .code_offset
                        .and_then(|co| self.loaded.as_ref()?.source.location(co)),
                    inlined: false,
                    jit: true,
                })
                .collect::<Vec<_>>();
            backtrace.extend(jit);
        }
        vec![Event::Trapped {
            message: t.message,
            backtrace,
        }]
    }

    fn stop_view(&mut self, reason: StopReason) -> Res<StopView> {
        let frame = self.selected_frame_view()?;
        let instruction = self.instruction_line(frame.code_offset);
        let source = frame.source.as_ref().and_then(|loc| {
            let lines = self.loaded.as_ref()?.source.file_lines(&loc.file).ok()?;
            let text = lines.get((loc.line as usize).checked_sub(1)?)?;
            Some(SourceView {
                path: loc.file.clone(),
                language: source_language(&loc.file),
                lines: vec![(loc.line, text.clone())],
                current: Some(loc.line),
            })
        });
        // DWARF knows the line even when the file is not here: say both, as gdb.
        let source_line = source
            .as_ref()
            .map(|s| format!("{}\t{}", s.lines[0].0, s.lines[0].1))
            .or_else(|| {
                frame
                    .source
                    .as_ref()
                    .map(|l| format!("{}\t{}: No such file or directory.", l.line, l.file))
            });
        Ok(StopView {
            reason,
            frame,
            instruction,
            source_line,
            source,
        })
    }

    fn disasm(&mut self) -> Res<&Disasm> {
        let l = self.loaded.as_mut().ok_or("No module loaded.")?;
        if l.disasm.is_none() {
            l.disasm = Some(Disasm::new(&l.module));
        }
        l.disasm
            .as_ref()
            .expect("set above")
            .as_ref()
            .map_err(Clone::clone)
    }

    fn instruction_line(&mut self, code_offset: u32) -> Option<DisasmLine> {
        let mo = self
            .loaded
            .as_ref()?
            .module
            .module_offset_from_code_offset(code_offset);
        let text = self.disasm().ok()?.line_at(mo)?.to_string();
        Some(DisasmLine {
            code_offset: Some(code_offset),
            text,
            current: true,
        })
    }

    // ---- inspecting -------------------------------------------------------

    /// Interpreted frames, then the JIT frames below them (mode jit).
    fn frames(&self) -> Res<Vec<FrameInfo>> {
        let rt = self.rt.as_ref().ok_or("No stack.")?;
        let mut f = match rt.exec.as_ref() {
            Some(exec) => exec.frames(&rt.store),
            None if self.jit_paused() => Vec::new(),
            None => return Err("No stack.".into()),
        };
        if f.is_empty() && !self.jit_paused() {
            return Err("No stack.".into());
        }
        f.extend(self.jit_frames());
        Ok(f)
    }

    fn selected_frame_view(&self) -> Res<FrameView> {
        self.frame_view_at(self.selected)
    }

    fn select_frame(&mut self, n: i64, relative: bool) -> Res<Vec<Event>> {
        let frames = self.frame_views()?;
        let target = if relative {
            self.selected as i64 + n
        } else {
            n
        };
        if target < 0 {
            return Err("Bottom (innermost) frame selected; you cannot go down.".into());
        }
        if target as usize >= frames.len() {
            return Err(if relative {
                "Initial frame selected; you cannot go up.".into()
            } else {
                format!("No frame at level {n}.")
            });
        }
        self.selected = target as usize;
        let f = frames
            .into_iter()
            .nth(self.selected)
            .expect("checked above");
        let instruction = self.instruction_line(f.code_offset);
        let mut ev = vec![Event::FrameSelected(f)];
        if let Some(i) = instruction {
            ev.push(Event::Disassembly(vec![i]));
        }
        Ok(ev)
    }

    fn stack(&self) -> Res<Vec<Event>> {
        let rt = self.rt.as_ref().ok_or("No stack.")?;
        let exec = rt.exec.as_ref().ok_or("No stack.")?;
        let _ = self.frames()?;
        let stack = exec.operand_stack(&rt.store, self.selected_phys());
        let values = stack
            .iter()
            .rev()
            .enumerate()
            .map(|(i, v)| NamedValue {
                name: format!("$s{i}"),
                value: value_view(*v),
            })
            .collect();
        Ok(vec![Event::Values {
            kind: ValuesKind::OperandStack,
            values,
        }])
    }

    fn globals(&self) -> Res<Vec<Event>> {
        let module = self.module()?;
        let rt = self
            .rt
            .as_ref()
            .ok_or("The module is not instantiated yet: `run` or `call` first.")?;
        let values = (0..module.globals.len() as u32)
            .map(|i| {
                let addr = rt.store.instance_global(rt.inst, i);
                let name = module
                    .names
                    .globals
                    .get(&i)
                    .map_or_else(|| format!("$g{i}"), |n| format!("$g{i} {n}"));
                NamedValue {
                    name,
                    value: value_view(rt.store.global_get(addr)),
                }
            })
            .collect();
        Ok(vec![Event::Values {
            kind: ValuesKind::Globals,
            values,
        }])
    }

    fn memory(&self) -> Res<(&Store, u32)> {
        let rt = self
            .rt
            .as_ref()
            .ok_or("The module is not instantiated yet: `run` or `call` first.")?;
        let m = rt
            .store
            .instance_memory(rt.inst)
            .ok_or("The module has no memory.")?;
        Ok((&rt.store, m))
    }

    fn read_memory(&mut self, addr: &str, f: ExamineFormat) -> Res<Vec<Event>> {
        let a = self.eval_addr(addr)?;
        if f.letter == 'i' {
            let module = self.module()?;
            let mo = module.module_offset_from_code_offset(a);
            let lines: Vec<DisasmLine> = self
                .disasm()?
                .offsets_from(mo)
                .take(f.count as usize)
                .map(|(o, t)| DisasmLine {
                    code_offset: Some((o - module.code_section_start) as u32),
                    text: t.to_string(),
                    current: false,
                })
                .collect();
            return Ok(vec![Event::Disassembly(lines)]);
        }
        let (store, m) = self.memory()?;
        let mem = store.memory(m);
        if f.letter == 's' {
            let mut lines = Vec::new();
            let mut at = a as usize;
            for _ in 0..f.count {
                if at >= mem.len() {
                    return Err(format!("Cannot access memory at address {at:#x}"));
                }
                let end = (at + 4096).min(mem.len());
                let s = &mem[at..end];
                lines.push(format_c_string(at as u32, s));
                at += s.iter().position(|&b| b == 0).map_or(s.len(), |p| p + 1);
            }
            return Ok(vec![Event::Memory(MemoryView {
                addr: a,
                format: f,
                lines,
                bytes: vec![],
                memory_size: mem.len() as u64,
            })]);
        }
        let len = f.count as usize * f.unit as usize;
        let end = a as usize + len;
        if end > mem.len() {
            return Err(format!(
                "Cannot access memory at address {:#x}",
                a as usize + len.min(mem.len().saturating_sub(a as usize))
            ));
        }
        let bytes = mem[a as usize..end].to_vec();
        Ok(vec![Event::Memory(MemoryView {
            addr: a,
            format: f,
            lines: format_memory(a, &bytes, f),
            bytes,
            memory_size: mem.len() as u64,
        })])
    }

    fn write_memory(&mut self, addr: u32, bytes: &[u8]) -> Res<()> {
        let rt = self
            .rt
            .as_mut()
            .ok_or("The module is not instantiated yet: `run` or `call` first.")?;
        let m = rt
            .store
            .instance_memory(rt.inst)
            .ok_or("The module has no memory.")?;
        let mem = rt.store.memory_mut(m);
        let end = addr as usize + bytes.len();
        if end > mem.len() {
            return Err(format!("Cannot access memory at address {addr:#x}"));
        }
        mem[addr as usize..end].copy_from_slice(bytes);
        Ok(())
    }

    fn disassemble(&mut self, around: Option<&str>) -> Res<Vec<Event>> {
        let module = self.module()?;
        let (func, current) = match around {
            Some(name) => (self.resolve_function(&module, name)?, None),
            None => {
                let frames = self
                    .frames()
                    .map_err(|_| "No frame selected: `disassemble FUNC` works without one.")?;
                let f = &frames[self.selected_phys().min(frames.len() - 1)];
                (f.func_index, Some(f.code_offset))
            }
        };
        let body = module
            .body(func)
            .ok_or("an imported function has no code")?
            .range
            .clone();
        let cs = module.code_section_start;
        let lines: Vec<DisasmLine> = self
            .disasm()?
            .lines_in(body)
            .into_iter()
            .map(|(o, t)| {
                let co = (o - cs) as u32;
                DisasmLine {
                    code_offset: Some(co),
                    text: t.to_string(),
                    current: Some(co) == current,
                }
            })
            .collect();
        let mut ev = vec![Event::Text(format!(
            "Dump of function {} {}:",
            module.display_func_name(func),
            signature_string(module.func_type(func))
        ))];
        ev.push(Event::Disassembly(lines));
        Ok(ev)
    }

    fn info(&mut self, what: InfoWhat) -> Res<Vec<Event>> {
        let module = self.module()?;
        let mut out = String::new();
        use std::fmt::Write as _;
        match what {
            InfoWhat::Breakpoints => {
                return Ok(vec![Event::Breakpoints(
                    self.bps.iter().map(|b| self.bp_view(b)).collect(),
                )]);
            }
            InfoWhat::Watchpoints => {
                let watches: Vec<BreakpointView> = self
                    .bps
                    .iter()
                    .filter(|b| matches!(b.kind, BpKind::Watch { .. }))
                    .map(|b| self.bp_view(b))
                    .collect();
                if watches.is_empty() {
                    return Ok(vec![Event::Text("No watchpoints.".into())]);
                }
                return Ok(vec![Event::Breakpoints(watches)]);
            }
            InfoWhat::Variables | InfoWhat::Types => {
                return self.info_matching(what, None);
            }
            InfoWhat::Locals => return self.dispatch(Command::Locals),
            InfoWhat::Args => return self.dispatch(Command::Args),
            InfoWhat::Globals => return self.globals(),
            InfoWhat::Frame => {
                let f = self.selected_frame_view()?;
                let _ = writeln!(
                    out,
                    "Stack level {}, func[{}] {} at code_offset {:#x}",
                    f.index, f.func_index, f.func_name, f.code_offset
                );
                let _ = writeln!(
                    out,
                    " signature: {}",
                    signature_string(module.func_type(f.func_index))
                );
                if let Some(s) = &f.source {
                    let _ = writeln!(out, " source: {}:{}", s.file, s.line);
                }
                let _ = write!(out, " args: {}, locals: {}", f.args.len(), f.locals.len());
            }
            InfoWhat::Exports => {
                let v = module_view(&self.loaded()?.path, &module, false);
                for e in v.exports {
                    let _ = writeln!(out, "{:<8} {:<24} {}", e.kind, e.name, e.signature);
                }
            }
            InfoWhat::Imports => {
                let v = module_view(&self.loaded()?.path, &module, false);
                for i in v.imports {
                    let _ = writeln!(
                        out,
                        "{:<8} {}::{} {}",
                        i.kind, i.module, i.name, i.signature
                    );
                }
            }
            InfoWhat::Functions => {
                let v = module_view(&self.loaded()?.path, &module, false);
                for f in &v.functions {
                    let _ = writeln!(out, "{}", function_row(f));
                }
            }
            InfoWhat::Sections => {
                for s in &module.sections {
                    let _ = writeln!(
                        out,
                        "{:<24} module_offset {:#08x} size {}",
                        s.name,
                        s.range.start,
                        s.range.len()
                    );
                }
            }
            InfoWhat::Memory => {
                for (i, m) in module.memories.iter().enumerate() {
                    let _ = write!(
                        out,
                        "memory {i}: min {} pages, max {}",
                        m.initial,
                        m.maximum.map_or("none".to_string(), |x| x.to_string())
                    );
                    if let Some(rt) = &self.rt
                        && let Some(a) = rt.store.instance_memory(rt.inst)
                        && i == 0
                    {
                        let len = rt.store.memory(a).len();
                        let _ = write!(out, ", current {} pages ({len} bytes)", len / 65536);
                    }
                    out.push('\n');
                }
                if module.memories.is_empty() {
                    out.push_str("no memory\n");
                }
            }
            InfoWhat::Tables => {
                for (i, t) in module.tables.iter().enumerate() {
                    let _ = write!(
                        out,
                        "table {i}: {} min {} max {}",
                        if t.element_type.is_func_ref() {
                            "funcref"
                        } else {
                            "externref"
                        },
                        t.initial,
                        t.maximum.map_or("none".to_string(), |x| x.to_string())
                    );
                    if let Some(rt) = &self.rt
                        && let Some(Some(wdb_engine::runtime::Extern::Table(a))) =
                            (i == 0).then(|| first_table(rt))
                    {
                        let _ = write!(out, ", current size {}", rt.store.table_size(a));
                    }
                    out.push('\n');
                }
                if module.tables.is_empty() {
                    out.push_str("no table\n");
                }
            }
            InfoWhat::Wasi => return self.dispatch(Command::WasiLog),
            InfoWhat::Source => {
                let l = self.loaded()?;
                out = l.source.describe();
            }
            InfoWhat::Mode => out = self.mode_text(),
        }
        Ok(vec![Event::Text(out.trim_end().to_string())])
    }
}

fn first_table(rt: &Runtime) -> Option<wdb_engine::runtime::Extern> {
    let m = rt.store.instance_module(rt.inst);
    m.exports
        .iter()
        .find(|e| e.kind == ExternKind::Table)
        .and_then(|e| rt.store.instance_export(rt.inst, &e.name))
}

#[derive(Debug, Clone, Copy)]
enum Resume {
    Continue,
    StepInstruction,
    NextInstruction,
    Step,
    Next,
    Finish,
    Until,
}

/// What `finish` says about the function it finished.
enum FinishInfo {
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
enum Stop {
    At(StopReason),
    Outcome(RunOutcome),
    Warned(String, Box<Stop>),
}

impl Stop {
    fn from_step(o: RunOutcome) -> Stop {
        match o {
            RunOutcome::Paused(PauseReason::Step) => Stop::At(StopReason::Step),
            other => Stop::Outcome(other),
        }
    }
}

struct FrameCx<'a> {
    module: &'a Module,
    rt: Option<&'a Runtime>,
    frame: Option<FrameInfo>,
    depth: usize,
    /// Locals JIT code kept no value for where it stopped (by index).
    not_live: Vec<bool>,
}

impl FrameCx<'_> {
    fn is_live(&self, local: u32) -> bool {
        !self.not_live.get(local as usize).copied().unwrap_or(false)
    }
}

/// A frame as the user sees it: DWARF variables of its (inlined) scope, or
/// the wasm locals when the function has no DWARF variables.
fn frame_view(
    module: &Module,
    source: &Source,
    index: usize,
    vf: &inline::VFrame,
    cx: &FrameCx<'_>,
) -> FrameView {
    let f = &vf.info;
    if source.available() {
        let vars = source.info.variables_in_frame(f.code_offset, vf.level);
        if !vars.is_empty() || vf.inline.is_some() {
            let (mut args, mut locals) = (Vec::new(), Vec::new());
            for v in vars {
                let val = source.info.read_var(&v, cx);
                let mut value = crate::value_tree::var_view(&v.type_name, &val);
                // A pointer expands to what it points at, one level deep
                // (not in an inlined copy, whose names `eval` does not scope).
                if vf.level == 0 && crate::value_tree::is_followable_pointer(&val) {
                    let deref = format!("*{}", v.name);
                    if let Ok(target) = source.info.eval(&deref, f.code_offset, cx) {
                        value.children.push(NamedValue {
                            value: crate::value_tree::var_view("", &target),
                            name: deref,
                        });
                    }
                }
                let nv = NamedValue {
                    name: v.name.clone(),
                    value,
                };
                if v.is_param {
                    args.push(nv)
                } else {
                    locals.push(nv)
                }
            }
            return FrameView {
                index,
                func_index: f.func_index,
                func_name: inline::frame_name(module, vf),
                code_offset: f.code_offset,
                args,
                locals,
                source: vf.loc.clone(),
                inlined: vf.inline.is_some(),
                jit: false,
            };
        }
    }
    let nparams = module.func_type(f.func_index).params().len();
    let names = module.names.locals.get(&f.func_index);
    let named = |i: usize, v: &Value| NamedValue {
        name: names
            .and_then(|m| m.get(&(i as u32)))
            .cloned()
            .unwrap_or_else(|| format!("$l{i}")),
        value: if cx.is_live(i as u32) {
            value_view(*v)
        } else {
            ValueView {
                text: "<not live>".into(),
                bits: 0,
                ..value_view(*v)
            }
        },
    };
    let all: Vec<NamedValue> = f
        .locals
        .iter()
        .enumerate()
        .map(|(i, v)| named(i, v))
        .collect();
    let (args, locals) = all.split_at(nparams.min(all.len()));
    FrameView {
        index,
        func_index: f.func_index,
        func_name: module.display_func_name(f.func_index),
        code_offset: f.code_offset,
        args: args.to_vec(),
        locals: locals.to_vec(),
        source: vf.loc.clone(),
        inlined: false,
        jit: false,
    }
}

fn module_kind(m: &Module) -> &'static str {
    if m.exported_func("_start").is_some() {
        "command"
    } else if m.exported_func("_initialize").is_some() {
        "reactor"
    } else {
        "library"
    }
}

/// The module as plain data.
pub fn module_view(path: &Path, m: &Module, has_dwarf: bool) -> ModuleView {
    let kind_name = |k: ExternKind| match k {
        ExternKind::Func => "func",
        ExternKind::Table => "table",
        ExternKind::Memory => "memory",
        ExternKind::Global => "global",
        ExternKind::Tag => "tag",
    };
    let exports = m
        .exports
        .iter()
        .map(|e| ExportView {
            name: e.name.clone(),
            kind: kind_name(e.kind).into(),
            index: e.index,
            signature: if e.kind == ExternKind::Func {
                signature_string(m.func_type(e.index))
            } else {
                String::new()
            },
            params: if e.kind == ExternKind::Func {
                m.func_type(e.index).params().to_vec()
            } else {
                Vec::new()
            },
        })
        .collect();
    let imports = m
        .imports
        .iter()
        .map(|i| {
            let (kind, signature) = match i.kind {
                ImportKind::Func(t) => ("func", signature_string(&m.types[t as usize])),
                ImportKind::Table(_) => ("table", String::new()),
                ImportKind::Memory(_) => ("memory", String::new()),
                ImportKind::Global(g) => ("global", valtype_name(g.content_type).to_string()),
                ImportKind::Tag(t) => ("tag", signature_string(&m.types[t as usize])),
            };
            ImportView {
                module: i.module.clone(),
                name: i.name.clone(),
                kind: kind.into(),
                signature,
            }
        })
        .collect();
    let sections = m
        .sections
        .iter()
        .map(|s| SectionView {
            name: s.name.clone(),
            module_offset: s.range.start,
            size: s.range.len(),
        })
        .collect();
    let functions = (0..m.num_funcs())
        .map(|i| {
            let body = m.body(i);
            FunctionView {
                index: i,
                name: m.display_func_name(i),
                signature: signature_string(m.func_type(i)),
                imported: body.is_none(),
                code_offset: body.map(|b| m.code_offset_from_module_offset(b.range.start)),
                size: body.map_or(0, |b| b.range.len() as u32),
            }
        })
        .collect();
    ModuleView {
        path: path.display().to_string(),
        size: m.bytes.len(),
        exports,
        imports,
        sections,
        functions,
        has_dwarf: has_dwarf || m.custom_section(".debug_info").is_some(),
        kind: module_kind(m).into(),
        entry: None,
        producers: producers(m),
        memory_bytes: m.memories.first().map(|t| t.initial.saturating_mul(65536)),
    }
}

/// The `producers` custom section, read with wasmparser.
fn producers(m: &Module) -> Result<Vec<ProducerView>, String> {
    let Some(section) = m.custom_sections.iter().find(|c| c.name == "producers") else {
        return Ok(Vec::new());
    };
    let data = &m.bytes[section.data.clone()];
    let reader = wasmparser::BinaryReader::new(data, section.data.start as u64);
    let fields = wasmparser::ProducersSectionReader::new(reader)
        .map_err(|e| format!("malformed producers section: {e}"))?;
    let mut out = Vec::new();
    for field in fields {
        let field = field.map_err(|e| format!("malformed producers section: {e}"))?;
        for value in field.values {
            let value = value.map_err(|e| format!("malformed producers section: {e}"))?;
            out.push(ProducerView {
                field: field.name.to_string(),
                name: value.name.to_string(),
                version: value.version.to_string(),
            });
        }
    }
    Ok(out)
}

/// Where a front end opens `m`: `main` (C's, Rust's `crate::main`, Go's
/// `main.main`), else the first export with a source line, else the first
/// export, else the first defined function.
fn entry_view(m: &Module, source: &Source) -> Option<EntryView> {
    let defined = |i: &u32| m.body(*i).is_some();
    let name_of = |i: u32| m.display_func_name(i);
    // The first line DWARF gives inside the body (its first bytes are the
    // locals' declarations, which have no row).
    let line_of = |i: u32| -> Option<SourceLoc> {
        let body = m.body(i)?;
        let start = m.code_offset_from_module_offset(body.range.start);
        let len = (body.range.len() as u32).min(64);
        (start..start + len).find_map(|co| source.location(co))
    };
    let exports: Vec<u32> = m
        .exports
        .iter()
        .filter(|e| e.kind == ExternKind::Func && !e.name.starts_with('_'))
        .map(|e| e.index)
        .filter(defined)
        .collect();
    // C's `int main(void)` is `__original_main` and its `main(argc, argv)`
    // is `__main_argc_argv`; libc's own `main` shim has no source line.
    let is_main = |n: &str| {
        matches!(
            n,
            "main" | "main.main" | "__main_argc_argv" | "__original_main"
        ) || n.ends_with("::main")
    };
    let mains: Vec<u32> = (m.num_imported_funcs..m.num_funcs())
        .filter(|i| is_main(&name_of(*i)))
        .collect();
    let func = mains
        .iter()
        .chain(&exports)
        .copied()
        .find(|i| line_of(*i).is_some())
        .or_else(|| mains.first().copied())
        .or_else(|| exports.first().copied())
        .or_else(|| m.exported_func("_start").filter(defined))
        .or_else(|| (m.num_imported_funcs..m.num_funcs()).next())?;
    Some(EntryView {
        func_index: func,
        func_name: name_of(func),
        source: line_of(func),
    })
}

#[cfg(test)]
mod tests;

mod callargs;
mod eval;
mod inline;
mod mixed;
mod vocab;

/// Replace mangled Rust and C++ names from the name section by the names a
/// programmer reads (`rustprog::area`, `ns::f(int)`), returning the originals.
fn demangle_names(names: &mut HashMap<u32, String>) -> HashMap<u32, String> {
    let mut originals = HashMap::new();
    for (&i, n) in names.iter_mut() {
        let pretty = if let Ok(d) = rustc_demangle::try_demangle(n) {
            Some(format!("{d:#}"))
        } else if n.starts_with("_Z") {
            cpp_demangle::Symbol::new(n.as_bytes())
                .ok()
                .map(|s| s.to_string())
        } else {
            None
        };
        if let Some(p) = pretty.filter(|p| p != n) {
            originals.insert(i, std::mem::replace(n, p));
        }
    }
    originals
}

/// One row of `info functions`: index, name, signature, and where its body is.
pub(crate) fn function_row(f: &FunctionView) -> String {
    format!(
        "{:>5} {:<32} {}{}",
        f.index,
        f.name,
        f.signature,
        if f.imported {
            "  (imported)".to_string()
        } else {
            format!(
                "  @ code_offset {:#x}, {} bytes",
                f.code_offset.unwrap_or(0),
                f.size
            )
        }
    )
}
