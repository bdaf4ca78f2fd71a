//! What the session reports: [`Event`] and the views of a stop, a frame,
//! its values, breakpoints, memory and `info` answers.

use super::*;

/// Something the session reports. A failure is an event, never a dead worker.
#[derive(Debug, Clone)]
pub enum Event {
    Loaded(ModuleView),
    /// How the next `run` starts the program (after `Load`, `SetProgram`
    /// and `run ARGS`).
    Program(ProgramConfig),
    /// A computation started (the GUI shows progress and a Pause button).
    Running,
    Stopped(StopView),
    Returned {
        func: String,
        values: Vec<ValueView>,
    },
    /// `finish` ended the selected frame with these values; a single value
    /// entered the value history as `$history`.
    FinishReturned {
        func: String,
        values: Vec<ValueView>,
        history: Option<u32>,
    },
    Trapped {
        message: String,
        backtrace: Vec<FrameView>,
    },
    Exited {
        code: i32,
    },
    /// Guest output when the session was asked to capture it (the GUI).
    Output {
        fd: u32,
        bytes: Vec<u8>,
    },
    BreakpointSet(BreakpointView),
    Breakpoints(Vec<BreakpointView>),
    Frames {
        frames: Vec<FrameView>,
        selected: usize,
    },
    /// The selected frame changed.
    FrameSelected(FrameView),
    /// Named values: locals, args, globals, the operand stack.
    Values {
        kind: ValuesKind,
        values: Vec<NamedValue>,
    },
    /// One printed expression, recorded in the value history as `$history`.
    Printed {
        expr: String,
        text: String,
        history: u32,
    },
    /// A `display` expression's value at a stop.
    Displayed {
        number: u32,
        expr: String,
        format: Format,
        text: String,
    },
    Memory(MemoryView),
    Disassembly(Vec<DisasmLine>),
    /// The answer to `Command::ModuleWat`, in function index order.
    ModuleWat(Vec<FuncWatView>),
    WasiCalls(Vec<WasiCallView>),
    /// The source files named by the DWARF line tables, sorted.
    SourceFiles(Vec<String>),
    SourceText(SourceTextView),
    /// Source lines around a location (`list`), for front ends to colour.
    Source(SourceView),
    /// `info frame|exports|imports|functions|sections|memory|tables`.
    Info(InfoView),
    /// What a breakpoint command did besides setting one.
    BreakpointNote(BreakpointNote),
    /// Free-form text (info listings, notes, warnings).
    Text(String),
    Warning(String),
    /// The result of `Command::Profile`.
    Profile(Box<crate::profile::ProfileReport>),
    /// The command failed: `kind` is for front ends to act on, `message`
    /// for the user (the `Display` of the [`crate::SessionError`]).
    CommandFailed {
        id: u64,
        kind: crate::ErrorKind,
        message: String,
    },
    /// The command is done: front ends waiting for a reply can stop here.
    Done {
        id: u64,
    },
}

#[derive(Debug, Clone)]
pub struct StopView {
    pub reason: StopReason,
    pub frame: FrameView,
    /// The instruction about to run.
    pub instruction: Option<DisasmLine>,
    /// The source line about to run (DWARF), as `LINE\tTEXT`.
    pub source_line: Option<String>,
    /// The same line as structured data, for front ends to colour.
    pub source: Option<SourceView>,
}

/// Lines of one source file, with what a front end needs to colour them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceView {
    /// The file as DWARF names it.
    pub path: String,
    /// `c`, `cpp`, `rust`, `go`, `zig`, or `None` when unknown (from the
    /// file name's extension).
    pub language: Option<String>,
    /// (1-based line number, text), in order.
    pub lines: Vec<(u32, String)>,
    /// The line about to run in the selected frame, when it is listed.
    pub current: Option<u32>,
}

/// The language of a source file, from its extension.
pub fn source_language(path: &str) -> Option<String> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(
        match ext.as_str() {
            "c" | "h" => "c",
            "cc" | "cpp" | "cxx" | "c++" | "hpp" | "hh" | "hxx" | "ipp" | "inl" => "cpp",
            "rs" => "rust",
            "go" => "go",
            "zig" => "zig",
            _ => return None,
        }
        .to_string(),
    )
}

#[derive(Debug, Clone, PartialEq)]
pub enum StopReason {
    Breakpoint {
        number: u32,
        temporary: bool,
    },
    Step,
    Interrupted,
    Watchpoint {
        number: u32,
        addr: u32,
        write: bool,
        old: Vec<u8>,
        new: Vec<u8>,
    },
    WasiCall {
        number: u32,
        name: String,
    },
    /// Catchpoint `number` stopped before a component's call of a WASI 0.2
    /// import (`wasi:cli/stdout.get-stdout`): the call has not run yet.
    WasiCallBefore {
        number: u32,
        name: String,
    },
    /// A paused computation the user asked for, e.g. `until`/`finish` landing.
    Location,
}

#[derive(Debug, Clone, Default)]
pub struct ValueView {
    /// `i32`, `f64`, ...
    pub ty: String,
    /// Natural rendering.
    pub text: String,
    /// Raw bits (for hex/binary views).
    pub bits: u128,
    /// The parts a front end can expand as a tree: the fields of a struct,
    /// the elements of an array, and for a pointer the value it points at
    /// (`*p`, one level). Empty for scalars.
    pub children: Vec<NamedValue>,
}

#[derive(Debug, Clone, Default)]
pub struct NamedValue {
    pub name: String,
    pub value: ValueView,
}

#[derive(Debug, Clone)]
pub struct SourceLoc {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone)]
pub struct FrameView {
    /// 0 = innermost.
    pub index: usize,
    pub func_index: u32,
    pub func_name: String,
    pub code_offset: u32,
    pub args: Vec<NamedValue>,
    pub locals: Vec<NamedValue>,
    pub source: Option<SourceLoc>,
    /// An inlined call (DWARF `DW_TAG_inlined_subroutine`) inside the wasm
    /// function `func_index`: `source` is the line in the inlined body (the
    /// innermost frame) or the call site of the frame inside it.
    pub inlined: bool,
    /// A frame of native (JIT/AOT) code: `code_offset` is its call site or
    /// where it stopped; its args and locals are usually not available.
    pub jit: bool,
    /// A canonical ABI boundary of a component, not code: `func_name` says
    /// which (`[canon lower wasi:cli/stdout.get-stdout]`, `[canon lift
    /// swap]`); no args, locals or source.
    pub canon: bool,
}

/// Which values an [`Event::Values`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValuesKind {
    Locals,
    Args,
    /// The operand stack, top first.
    OperandStack,
    Globals,
}

impl ValuesKind {
    /// `locals`, `args`, `operand stack (top first)`, `globals`.
    pub fn title(self) -> &'static str {
        match self {
            ValuesKind::Locals => "locals",
            ValuesKind::Args => "args",
            ValuesKind::OperandStack => "operand stack (top first)",
            ValuesKind::Globals => "globals",
        }
    }
}

/// What a [`BreakpointView`] stops on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakpointKind {
    /// A code location.
    Breakpoint,
    /// `watch`: writes to memory.
    Watchpoint,
    /// `rwatch`: reads of memory.
    ReadWatchpoint,
    /// `awatch`: any access to memory.
    AccessWatchpoint,
    /// `catch wasi`: a WASI call.
    Catchpoint,
}

impl BreakpointKind {
    /// The words gdb's `info breakpoints` prints in its Type column.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakpointKind::Breakpoint => "breakpoint",
            BreakpointKind::Watchpoint => "watchpoint",
            BreakpointKind::ReadWatchpoint => "read watchpoint",
            BreakpointKind::AccessWatchpoint => "acc watchpoint",
            BreakpointKind::Catchpoint => "catchpoint",
        }
    }

    pub fn is_watchpoint(self) -> bool {
        matches!(
            self,
            BreakpointKind::Watchpoint
                | BreakpointKind::ReadWatchpoint
                | BreakpointKind::AccessWatchpoint
        )
    }
}

impl std::fmt::Display for BreakpointKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so table columns (`{:<16}`) line up.
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct BreakpointView {
    pub number: u32,
    pub kind: BreakpointKind,
    pub spec: String,
    pub enabled: bool,
    pub temporary: bool,
    pub func_name: Option<String>,
    pub code_offset: Option<u32>,
    pub source: Option<SourceLoc>,
    pub condition: Option<String>,
    pub ignore_count: u32,
    pub hits: u32,
    /// Every place a code breakpoint stops (more than one for a function
    /// that was inlined); empty for watchpoints and catchpoints.
    pub locations: Vec<BreakLocation>,
}

/// One place a breakpoint stops.
#[derive(Debug, Clone)]
pub struct BreakLocation {
    pub code_offset: u32,
    /// `disable 1.2` turns one location off (the breakpoint stays on).
    pub enabled: bool,
    /// The function as the user knows it: the inlined function for an
    /// inlined copy.
    pub func_name: String,
    pub source: Option<SourceLoc>,
    /// An inlined copy, in the wasm function `in_func`.
    pub inlined: bool,
    pub in_func: String,
}

#[derive(Debug, Clone)]
pub struct MemoryView {
    /// The module's memory index (`x/4xb 1:0x10` reads memory 1).
    pub memory: u32,
    /// Whether that memory is 64-bit (addresses print with 16 digits).
    pub memory64: bool,
    pub addr: u64,
    pub format: ExamineFormat,
    /// Pre-formatted lines (`0x1000: 0x01 0x02 ...`).
    pub lines: Vec<String>,
    pub bytes: Vec<u8>,
    /// The live memory's size in bytes when read (it grows with `memory.grow`).
    pub memory_size: u64,
}

/// What a breakpoint command did besides setting a new breakpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakpointNote {
    /// `break FILE:LINE` on a line without code: the next line with some.
    LineMoved {
        file: String,
        requested: u32,
        line: u32,
    },
    /// The same breakpoint was set again; `enabled`: it was disabled and
    /// is on again.
    AlreadySet { number: u32, enabled: bool },
    /// `condition N [EXPR]`: `conditional` false when it was removed.
    Condition { number: u32, conditional: bool },
    /// `ignore N COUNT`.
    Ignore { number: u32, count: u32 },
}
