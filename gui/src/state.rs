//! A mirror of the debugger's state, updated only from [`Event`]s. Panels
//! read it; nothing here talks to the engine.

use std::collections::BTreeMap;

use wdb_debugger::api::{
    BreakpointNote, BreakpointView, Event, FrameView, ModuleView, NamedValue, SourceTextView,
    StopReason, StopView, ValueView, ValuesKind, WasiCallView,
};

use crate::disasm::Disassembly;
use wdb_debugger::ErrorKind;

/// What the guest is doing, as the Controls panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    NoModule,
    /// Loaded, nothing running.
    Idle,
    Running,
    Paused {
        reason: String,
        at: String,
    },
    Trapped(String),
    Exited(i32),
    Returned {
        func: String,
        values: String,
    },
}

impl RunState {
    pub fn is_paused(&self) -> bool {
        matches!(self, RunState::Paused { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            RunState::NoModule => "no module".into(),
            RunState::Idle => "ready".into(),
            RunState::Running => "running".into(),
            RunState::Paused { reason, at } => format!("paused in {at} ({reason})"),
            RunState::Trapped(m) => format!("trapped: {m}"),
            RunState::Exited(c) => format!("exited with {c}"),
            RunState::Returned { func, values } => format!("{func} returned {values}"),
        }
    }
}

/// Bytes of linear memory fetched from the worker, in aligned chunks.
#[derive(Default)]
pub struct MemoryCache {
    pub chunks: BTreeMap<u32, Vec<u8>>,
    /// The chunks as they were at the previous stop, to highlight changes.
    pub previous: BTreeMap<u32, Vec<u8>>,
    /// Chunks asked for and not yet answered.
    pub requested: std::collections::HashSet<u32>,
}

impl MemoryCache {
    /// Forget every byte (another memory is shown).
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.previous.clear();
        self.requested.clear();
    }

    pub const CHUNK: u32 = 256;

    pub fn byte(&self, addr: u32) -> Option<u8> {
        let base = addr - addr % Self::CHUNK;
        self.chunks
            .get(&base)
            .and_then(|c| c.get((addr - base) as usize).copied())
    }

    /// Whether `addr` holds a different byte than at the previous stop.
    pub fn changed(&self, addr: u32) -> bool {
        let base = addr - addr % Self::CHUNK;
        match (self.chunks.get(&base), self.previous.get(&base)) {
            (Some(now), Some(before)) => {
                let i = (addr - base) as usize;
                now.get(i) != before.get(i)
            }
            _ => false,
        }
    }

    /// `len` bytes from `addr` if all are cached.
    pub fn read(&self, addr: u32, len: u32) -> Option<Vec<u8>> {
        (0..len)
            .map(|i| addr.checked_add(i).and_then(|a| self.byte(a)))
            .collect()
    }

    /// A new stop: everything may have changed; keep the old bytes to compare.
    fn invalidate(&mut self) {
        let now = std::mem::take(&mut self.chunks);
        if !now.is_empty() {
            self.previous = now;
        }
        self.requested.clear();
    }
}

/// A log line: info text, a warning or a failed command.
#[derive(Debug, Clone, PartialEq)]
pub enum LogKind {
    Info,
    Warning,
    Error,
}

#[derive(Default)]
pub struct DebugState {
    pub module: Option<ModuleView>,
    /// The module's WAT, from the session (`Command::ModuleWat`).
    pub disassembly: Option<Disassembly>,
    pub run: Option<RunState>,
    pub stop: Option<StopView>,
    pub frames: Vec<FrameView>,
    pub selected_frame: usize,
    pub locals: Vec<NamedValue>,
    pub args: Vec<NamedValue>,
    pub stack: Vec<NamedValue>,
    pub globals: Vec<NamedValue>,
    pub breakpoints: Vec<BreakpointView>,
    pub memory: MemoryCache,
    pub wasi: Vec<WasiCallView>,
    /// Guest output: (fd, text).
    pub console: Vec<(u32, String)>,
    pub log: Vec<(LogKind, String)>,
    pub last_return: Option<(String, Vec<ValueView>)>,
    /// Bumped on every stop, so panels can follow the current location once.
    pub stop_generation: u64,
    /// The live memory's size in bytes, from the last read (None before one).
    pub memory_size: Option<u64>,
    /// The memory the memory view shows (a module index; Wasm 3.0 modules
    /// may have several). Reads of other memories are not cached.
    pub memory_index: u32,
    /// The source files DWARF names (empty without DWARF).
    pub source_files: Vec<String>,
    /// Source texts fetched so far, by DWARF file name.
    pub sources: std::collections::HashMap<String, SourceTextView>,
    /// The last `Command::Profile` report.
    pub profile: Option<Box<wdb_debugger::profile::ProfileReport>>,
    /// The last failed command's message, until something else happens
    /// (a stop, a return, a new breakpoint...): the status line shows it
    /// only while it applies. The Log tab keeps every message.
    pub error: Option<String>,
    /// The kind of `error`: what the status line suggests doing about it.
    pub error_kind: Option<ErrorKind>,
    /// A note the status line shows until the session moves on ("saved 16
    /// bytes to memory.bin").
    pub notice: Option<String>,
    /// How the next Run starts the program (`Event::Program`): the Run
    /// configuration dialog opens on it.
    pub program: wdb_debugger::api::ProgramConfig,
}

/// What the app must do after an event: refresh views that a stop invalidated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Effects {
    pub refresh: bool,
    pub finished_call: bool,
    pub profiled: bool,
}

impl DebugState {
    /// Nothing is paused any more: no frames, and no values of a frame.
    fn clear_frames(&mut self) {
        self.frames.clear();
        self.selected_frame = 0;
        self.locals.clear();
        self.args.clear();
        self.stack.clear();
    }

    pub fn run_state(&self) -> RunState {
        self.run.clone().unwrap_or(if self.module.is_some() {
            RunState::Idle
        } else {
            RunState::NoModule
        })
    }

    /// The frame the panels follow: the selected one, else the stop's.
    pub fn current_frame(&self) -> Option<&FrameView> {
        self.frames
            .get(self.selected_frame)
            .or_else(|| self.stop.as_ref().map(|s| &s.frame))
    }

    pub fn apply(&mut self, event: Event) -> Effects {
        let mut fx = Effects::default();
        // A failed command's message stops applying once the session moves on.
        if matches!(
            event,
            Event::Loaded(_)
                | Event::Running
                | Event::Stopped(_)
                | Event::Returned { .. }
                | Event::FinishReturned { .. }
                | Event::Trapped { .. }
                | Event::Exited { .. }
                | Event::BreakpointSet(_)
        ) {
            self.error = None;
            self.error_kind = None;
            self.notice = None;
        }
        match event {
            Event::Loaded(m) => {
                *self = DebugState {
                    console: std::mem::take(&mut self.console),
                    log: std::mem::take(&mut self.log),
                    ..DebugState::default()
                };
                self.log.push((LogKind::Info, format!("loaded {}", m.path)));
                self.module = Some(m);
                fx.refresh = true;
            }
            Event::Running => self.run = Some(RunState::Running),
            Event::Stopped(stop) => {
                self.run = Some(RunState::Paused {
                    reason: stop_reason_text(&stop.reason),
                    at: frame_place(&stop.frame),
                });
                self.selected_frame = 0;
                self.frames = vec![stop.frame.clone()];
                self.locals = stop.frame.locals.clone();
                self.args = stop.frame.args.clone();
                self.stop = Some(stop);
                self.stop_generation += 1;
                self.memory.invalidate();
                fx.refresh = true;
            }
            Event::Returned { func, values } | Event::FinishReturned { func, values, .. } => {
                self.run = Some(RunState::Returned {
                    func: func.clone(),
                    values: values_text(&values),
                });
                self.stop = None;
                self.clear_frames();
                self.last_return = Some((func, values));
                self.memory.invalidate();
                fx.refresh = true;
                fx.finished_call = true;
            }
            Event::Trapped { message, backtrace } => {
                self.run = Some(RunState::Trapped(message));
                // The trapped frames stay inspectable: the innermost one's
                // values, not those of the last stop.
                self.clear_frames();
                if let Some(f) = backtrace.first() {
                    self.locals = f.locals.clone();
                    self.args = f.args.clone();
                }
                self.frames = backtrace;
                self.memory.invalidate();
                fx.refresh = true;
                fx.finished_call = true;
            }
            Event::Exited { code } => {
                self.run = Some(RunState::Exited(code));
                self.stop = None;
                self.clear_frames();
                fx.refresh = true;
                fx.finished_call = true;
            }
            Event::Output { fd, bytes } => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                match self.console.last_mut() {
                    Some((last_fd, last)) if *last_fd == fd && !last.ends_with('\n') => {
                        last.push_str(&text)
                    }
                    _ => self.console.push((fd, text)),
                }
            }
            Event::BreakpointSet(bp) => {
                self.breakpoints.retain(|b| b.number != bp.number);
                self.breakpoints.push(bp);
                self.breakpoints.sort_by_key(|b| b.number);
            }
            Event::Breakpoints(bps) => self.breakpoints = bps,
            Event::Frames { frames, selected } => {
                self.frames = frames;
                self.selected_frame = selected;
                if let Some(f) = self.frames.get(selected) {
                    self.locals = f.locals.clone();
                    self.args = f.args.clone();
                }
            }
            Event::FrameSelected(frame) => {
                self.selected_frame = frame.index;
                self.locals = frame.locals.clone();
                self.args = frame.args.clone();
                if let Some(f) = self.frames.get_mut(frame.index) {
                    *f = frame;
                }
            }
            Event::Values { kind, values } => match kind {
                ValuesKind::Locals => self.locals = values,
                ValuesKind::Args => self.args = values,
                ValuesKind::OperandStack => self.stack = values,
                ValuesKind::Globals => self.globals = values,
            },
            Event::Printed { expr, text, .. } => {
                self.log.push((LogKind::Info, format!("{expr} = {text}")))
            }
            Event::Displayed {
                number, expr, text, ..
            } => self
                .log
                .push((LogKind::Info, format!("{number}: {expr} = {text}"))),
            // The memory view's 32-bit window (a 64-bit memory's first 4 GiB).
            Event::Memory(view)
                if u32::try_from(view.addr).is_ok() && view.memory == self.memory_index =>
            {
                self.memory_size = Some(view.memory_size);
                let mut addr = view.addr as u32;
                for chunk in view.bytes.chunks(MemoryCache::CHUNK as usize) {
                    let base = addr - addr % MemoryCache::CHUNK;
                    // Only whole chunks are cached: a shorter read (a
                    // "Save memory" range) must not replace a chunk's bytes.
                    if base == addr && chunk.len() == MemoryCache::CHUNK as usize {
                        self.memory.requested.remove(&base);
                        self.memory.chunks.insert(base, chunk.to_vec());
                    }
                    addr = addr.saturating_add(MemoryCache::CHUNK);
                }
            }
            Event::Memory(_) => {}
            Event::Disassembly(_) => {}
            Event::ModuleWat(funcs) => self.disassembly = Some(Disassembly::new(funcs)),
            Event::WasiCalls(calls) => self.wasi = calls,
            Event::SourceFiles(files) => self.source_files = files,
            Event::Profile(report) => {
                self.profile = Some(report);
                fx.profiled = true;
            }
            // The source panel follows the selected frame itself.
            Event::Source(_) => {}
            Event::SourceText(text) => {
                self.sources.insert(text.file.clone(), text);
            }
            // The Module panel shows these from the `ModuleView`.
            Event::Info(_) => {}
            Event::BreakpointNote(n) => self.log.push((LogKind::Info, note_text(&n))),
            Event::Text(t) => self.log.push((LogKind::Info, t)),
            Event::Warning(w) => self.log.push((LogKind::Warning, w)),
            Event::CommandFailed { id, kind, message } => {
                self.log
                    .push((LogKind::Error, format!("command {id}: {message}")));
                self.error = Some(message);
                self.error_kind = Some(kind);
            }
            Event::Program(p) => self.program = p,
            Event::Done { .. } => {}
        }
        fx
    }
}

/// A frame's place as the REPL prints it: `fib at src/fib.c:20`, or
/// `fib at code_offset 0x1c6` (from the code section's start, as `break
/// *0x1c6` takes it) without a source line.
pub fn frame_place(f: &FrameView) -> String {
    match &f.source {
        Some(s) => format!("{} at {}:{}", f.func_name, s.file, s.line),
        None => format!("{} at code_offset {:#x}", f.func_name, f.code_offset),
    }
}

/// A breakpoint note for the Log tab.
pub fn note_text(n: &BreakpointNote) -> String {
    match n {
        BreakpointNote::LineMoved {
            file,
            requested,
            line,
        } => format!("{file}:{requested} has no code: the breakpoint is on line {line}"),
        BreakpointNote::AlreadySet { number, enabled } => format!(
            "breakpoint {number} was already set there{}",
            if *enabled { " (enabled again)" } else { "" }
        ),
        BreakpointNote::Condition {
            number,
            conditional,
        } => format!(
            "breakpoint {number}: condition {}",
            if *conditional { "set" } else { "removed" }
        ),
        BreakpointNote::Ignore { number, count } => {
            format!("breakpoint {number}: the next {count} hits are ignored")
        }
    }
}

/// What the status line suggests for a failed command, by its kind.
pub fn error_hint(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::NoProgram => Some("Open a module first (File > Open)."),
        ErrorKind::NotRunning => Some("Start the program first: Run, or call an export."),
        ErrorKind::Internal => Some("This is a wdb bug; the Log tab has the details."),
        ErrorKind::NotFound
        | ErrorKind::BadArgument
        | ErrorKind::Unsupported
        | ErrorKind::Load
        | ErrorKind::Engine
        | ErrorKind::Io
        | ErrorKind::Failed => None,
    }
}

pub fn stop_reason_text(r: &StopReason) -> String {
    match r {
        StopReason::Breakpoint { number, .. } => format!("breakpoint {number}"),
        StopReason::Step => "step".into(),
        StopReason::Interrupted => "interrupted".into(),
        StopReason::Watchpoint { number, addr, .. } => {
            format!("watchpoint {number} at {addr:#x}")
        }
        StopReason::WasiCall { number, name } => format!("catchpoint {number}: WASI call {name}"),
        StopReason::WasiCallBefore { number, name } => {
            format!("catchpoint {number}: before WASI call {name}")
        }
        StopReason::Location => "location reached".into(),
    }
}

pub fn values_text(values: &[ValueView]) -> String {
    match values {
        [] => "nothing".into(),
        [v] => v.text.clone(),
        vs => vs
            .iter()
            .map(|v| v.text.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}
