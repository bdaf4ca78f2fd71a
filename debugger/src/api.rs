//! The one API the front ends use: a closed [`Command`] / [`Event`] protocol.
//! Every view type is plain data with public fields, so the REPL and the GUI
//! render it however they like and never touch engine state.

use std::path::PathBuf;

mod event;
mod info;
mod module;
pub use event::*;
pub use info::*;
pub use module::*;

/// A command with the id the front end chose; every event it causes that can
/// fail carries the id back (`CommandFailed { id, .. }`).
#[derive(Debug, Clone)]
pub struct Request {
    pub id: u64,
    pub command: Command,
}

/// Where a breakpoint goes, as the user spelled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakSpec {
    /// An export or name-section function name (exact match).
    Function(String),
    /// `FUNC+OFFSET`: byte offset into the function's body (`code_offset`
    /// relative to the function's first byte).
    FuncOffset(String, u32),
    /// `*0xCODE_OFFSET`.
    CodeOffset(u32),
    /// `FILE:LINE` (needs DWARF); an empty FILE (`break 19`) is the
    /// current source file, as in gdb.
    Line(String, u32),
}

impl BreakSpec {
    /// `fib`, `fib+12`, `*0x1a3`, `fib.c:12`.
    pub fn parse(s: &str) -> Result<BreakSpec, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err(
                "a location is required: FUNC, FUNC+OFFSET, *0xCODE_OFFSET or FILE:LINE".into(),
            );
        }
        if let Some(rest) = s.strip_prefix('*') {
            return parse_u32(rest.trim())
                .map(BreakSpec::CodeOffset)
                .ok_or_else(|| format!("bad code offset `{rest}`"));
        }
        if let Ok(line) = s.parse::<u32>() {
            return Ok(BreakSpec::Line(String::new(), line));
        }
        if let Some((file, line)) = s.rsplit_once(':')
            && !file.is_empty()
            && let Ok(line) = line.parse::<u32>()
        {
            return Ok(BreakSpec::Line(file.to_string(), line));
        }
        if let Some((f, off)) = s.rsplit_once('+')
            && !f.is_empty()
        {
            let off = parse_u32(off.trim()).ok_or_else(|| format!("bad offset `{off}`"))?;
            return Ok(BreakSpec::FuncOffset(f.trim().to_string(), off));
        }
        Ok(BreakSpec::Function(s.to_string()))
    }
}

impl std::fmt::Display for BreakSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BreakSpec::Function(n) => write!(f, "{n}"),
            BreakSpec::FuncOffset(n, o) => write!(f, "{n}+{o:#x}"),
            BreakSpec::CodeOffset(o) => write!(f, "*{o:#x}"),
            BreakSpec::Line(file, l) if file.is_empty() => write!(f, "{l}"),
            BreakSpec::Line(file, l) => write!(f, "{file}:{l}"),
        }
    }
}

/// `123`, `0x7b`, `0b1111011`.
pub fn parse_u32(s: &str) -> Option<u32> {
    parse_u64(s).and_then(|v| u32::try_from(v).ok())
}

/// Whether `text` is a `call` argument the session takes for a parameter
/// of type `ty`: a value of that type, or for an `i32` (a C pointer) also a
/// string `"text"`, bytes `b"\x00"` or a scratch cell `&NAME` (copied into
/// guest memory by the session, see `call` in the REPL).
pub fn check_call_arg(ty: wdb_engine::ValType, text: &str) -> Result<(), String> {
    use crate::session::callargs::{CallArg, classify};
    let t = text.trim();
    let arg = classify(t)?;
    let name = wdb_engine::value::valtype_name(ty);
    match arg {
        CallArg::Plain(_) => wdb_engine::args::parse_value(ty, t)
            .map(|_| ())
            .map_err(|why| format!("`{t}` is not a valid {name} ({why})")),
        CallArg::Bytes(_) | CallArg::Cell(_) if ty == wdb_engine::ValType::I32 => Ok(()),
        CallArg::Bytes(_) | CallArg::Cell(_) => Err(format!(
            "strings and &cells go to i32 (pointer) parameters, not to a {name}"
        )),
    }
}

/// Whether `text` is a WAVE value of component type `ty` (an argument of
/// a component export's `call`), with the parser's reason when not.
pub fn check_component_arg(ty: &wdb_engine::component::Ty, text: &str) -> Result<(), String> {
    wdb_engine::component::wave::parse(text.trim(), ty)
        .map(|_| ())
        .map_err(|why| format!("not a {ty}: {why}"))
}

/// An unsigned number as [`wdb_engine::literal`] reads it.
pub fn parse_u64(s: &str) -> Option<u64> {
    wdb_engine::literal::parse_uint(s)
        .ok()
        .and_then(|v| u64::try_from(v).ok())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchKind {
    /// `watch`: stop on writes.
    Write,
    /// `rwatch`: stop on reads.
    Read,
    /// `awatch`: stop on any access.
    Access,
}

/// gdb's print formats: `/x /d /u /t /f /c` (`Natural` = by type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Natural,
    Hex,
    Signed,
    Unsigned,
    Binary,
    Float,
    Char,
}

impl Format {
    pub fn from_char(c: char) -> Option<Format> {
        Some(match c {
            'x' => Format::Hex,
            'd' => Format::Signed,
            'u' => Format::Unsigned,
            't' => Format::Binary,
            'f' => Format::Float,
            'c' => Format::Char,
            _ => return None,
        })
    }
}

/// `x/NFU`: how to show memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExamineFormat {
    pub count: u32,
    /// `x d u t f c` for units, `s` strings, `i` instructions.
    pub letter: char,
    /// Unit size in bytes: 1 (b), 2 (h), 4 (w), 8 (g).
    pub unit: u32,
}

impl Default for ExamineFormat {
    fn default() -> Self {
        ExamineFormat {
            count: 1,
            letter: 'x',
            unit: 4,
        }
    }
}

/// Everything a front end can ask of a session. Closed: a front end cannot
/// reach the engine any other way.
#[derive(Debug, Clone)]
pub enum Command {
    /// Open a module (replaces the current one; restores saved breakpoints).
    Load {
        path: PathBuf,
        args: Vec<String>,
    },
    /// Instantiate fresh and run `_start` with these arguments (empty: the previous ones).
    Run {
        args: Option<Vec<String>>,
    },
    /// How the next `run` (and `call`, `restart`) starts the program: its
    /// arguments, environment, preopened directories and redirections,
    /// replaced whole. Answered with [`Event::Program`].
    SetProgram(ProgramConfig),
    /// Call an export with textual arguments (typed by its signature).
    Call {
        export: String,
        args: Vec<String>,
    },
    Continue,
    StepInstruction,
    NextInstruction,
    Step,
    Next,
    Finish,
    Until,
    Kill,
    Restart,
    /// Choose the engine for `run`/`call`: the interpreter, or JIT/AOT code
    /// that enters the interpreter at functions with breakpoints.
    SetMode(crate::runner::Mode),
    /// Stop a running guest (also available as [`crate::worker::SessionHandle::interrupt`]).
    Interrupt,
    SetBreakpoint {
        spec: BreakSpec,
        temporary: bool,
        condition: Option<String>,
    },
    /// Delete one breakpoint/watchpoint, or all with `None`.
    Delete(Option<u32>),
    Enable(u32, bool),
    Condition(u32, Option<String>),
    Ignore(u32, u32),
    /// `watch EXPR`: an lvalue (`total`, `p->next->val`) or an address
    /// expression; `len` 0 watches the size of EXPR's type (4 bytes for
    /// an address).
    Watch {
        addr: String,
        len: u32,
        kind: WatchKind,
    },
    CatchWasi(Option<String>),
    /// `catch throw [TAG]` (`caught: false`) and `catch catch [TAG]`: stop
    /// when a wasm exception (of tag TAG, by name) is thrown or caught.
    CatchException {
        caught: bool,
        tag: Option<String>,
    },
    Frames,
    /// `bt N`: the innermost N frames (`bt -N`: the outermost N).
    Backtrace {
        limit: i64,
    },
    SelectFrame(usize),
    /// Move the selected frame outwards (`up`, positive) or inwards (`down`, negative).
    MoveFrame(i64),
    Locals,
    Args,
    Stack,
    Globals,
    ReadMemory {
        addr: String,
        format: ExamineFormat,
    },
    WriteMemory {
        addr: u32,
        bytes: Vec<u8>,
    },
    SetLocal {
        local: String,
        value: String,
    },
    SetGlobal {
        global: String,
        value: String,
    },
    /// `set substitute-path FROM TO`: sources moved since the build.
    SubstitutePath {
        from: String,
        to: String,
    },
    /// `set var LHS = EXPR` (a local, a global or `*(T*)ADDR`).
    SetVar {
        lhs: String,
        value: String,
    },
    Print {
        expr: String,
        format: Format,
    },
    /// `ptype EXPR|TYPE` (`expand`: struct members listed) and `whatis`.
    Ptype {
        expr: String,
        expand: bool,
    },
    /// `display EXPR`: shown at every stop (and now); `None`: show them all now.
    Display {
        expr: Option<String>,
        format: Format,
    },
    /// `undisplay N...`; empty: every display.
    Undisplay(Vec<u32>),
    /// WAT around the current pc (or a function by name).
    Disassemble {
        around: Option<String>,
    },
    Info(InfoWhat),
    WasiLog,
    /// `profile run [ARGS]` / `profile call EXPORT ARGS`: the same work in
    /// the interpreter, JIT and AOT, side by side (as `wdb profile`).
    Profile {
        invoke: Option<(String, Vec<String>)>,
        args: Vec<String>,
    },
    /// The source lines around the current location (needs DWARF).
    List {
        around: Option<String>,
    },
    /// The source files named by the DWARF line tables (`Event::SourceFiles`).
    SourceFiles,
    /// Run a stepping command (`Step`, `Next`, `StepInstruction`,
    /// `NextInstruction`, `Finish`) `count` times; stops early at anything
    /// but a plain step (a breakpoint, a trap, the end), as gdb's `next 4`.
    Repeat {
        command: Box<Command>,
        count: u32,
    },
    /// `continue N`: ignore the breakpoint the program stopped at N-1 more
    /// times, then continue.
    ContinueIgnoring(u32),
    /// `until LOCATION` (`advance: false`: only in the current frame or
    /// its callers) and `advance LOCATION` (at any depth); both also stop
    /// when the current frame returns.
    RunTo {
        spec: BreakSpec,
        advance: bool,
    },
    /// Enable or disable every breakpoint (`disable` with no number).
    EnableAll(bool),
    /// `enable|disable N.L`: location L (from 1) of breakpoint N only.
    EnableLocation {
        number: u32,
        location: u32,
        on: bool,
    },
    /// `info functions|variables|types [REGEX]`: names matching a regular
    /// expression (all without one).
    InfoMatching {
        what: InfoWhat,
        regex: Option<String>,
    },
    /// `directory DIR`: search DIR for source files (before the others);
    /// `None` resets the list.
    Directory(Option<String>),
    /// `call/s EXPORT ARGS`: as `Call`, printing a pointer result as a C string.
    CallString {
        export: String,
        args: Vec<String>,
    },
    /// A session setting: `unwindonsignal on|off`, `allocator NAME`.
    Set {
        name: String,
        value: String,
    },
    /// Show a session setting (`show substitute-path`, `show directories`,
    /// `show unwindonsignal`, `show allocator`).
    Show(String),
    /// `dump memory FILE START END`: write the bytes [START, END) to FILE.
    DumpMemory {
        path: PathBuf,
        start: String,
        end: String,
    },
    /// Every defined function's WAT with its `code_offset`s
    /// (`Event::ModuleWat`), for front ends that show whole functions.
    ModuleWat,
    /// A whole source file as DWARF names it (`Event::SourceText`).
    SourceFile {
        file: String,
    },
}

impl Command {
    /// Whether the command may run guest code for long (the worker says
    /// `Running` first, so a front end can offer to interrupt). Exhaustive,
    /// so a new command must decide. `Profile` runs instances of its own,
    /// not the paused one, and reports its progress itself.
    pub fn may_run(&self) -> bool {
        match self {
            Command::Run { .. }
            | Command::Call { .. }
            | Command::CallString { .. }
            | Command::Continue
            | Command::ContinueIgnoring(_)
            | Command::Step
            | Command::Next
            | Command::StepInstruction
            | Command::NextInstruction
            | Command::Finish
            | Command::Until
            | Command::RunTo { .. }
            | Command::Restart => true,
            Command::Repeat { command, .. } => command.may_run(),
            Command::Load { .. }
            | Command::SetProgram(_)
            | Command::Kill
            | Command::SetMode(_)
            | Command::Interrupt
            | Command::SetBreakpoint { .. }
            | Command::Delete(_)
            | Command::Enable(..)
            | Command::Condition(..)
            | Command::Ignore(..)
            | Command::Watch { .. }
            | Command::CatchWasi(_)
            | Command::CatchException { .. }
            | Command::Frames
            | Command::Backtrace { .. }
            | Command::SelectFrame(_)
            | Command::MoveFrame(_)
            | Command::Locals
            | Command::Args
            | Command::Stack
            | Command::Globals
            | Command::ReadMemory { .. }
            | Command::WriteMemory { .. }
            | Command::SetLocal { .. }
            | Command::SetGlobal { .. }
            | Command::SubstitutePath { .. }
            | Command::SetVar { .. }
            | Command::Print { .. }
            | Command::Ptype { .. }
            | Command::Display { .. }
            | Command::Undisplay(_)
            | Command::Disassemble { .. }
            | Command::Info(_)
            | Command::WasiLog
            | Command::Profile { .. }
            | Command::List { .. }
            | Command::SourceFiles
            | Command::EnableAll(_)
            | Command::EnableLocation { .. }
            | Command::InfoMatching { .. }
            | Command::Directory(_)
            | Command::Set { .. }
            | Command::Show(_)
            | Command::DumpMemory { .. }
            | Command::ModuleWat
            | Command::SourceFile { .. } => false,
        }
    }
}

/// The guest's host environment, as `wdb run` takes it on its command line
/// (`--dir`, `--env`, `--stdin`, `ARGS`) and a shell redirects it
/// (`run ARGS < IN > OUT`). The REPL's `set args`, `set environment` and the
/// GUI's Run configuration dialog edit it and send it whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgramConfig {
    /// Arguments after the program name (`argv[1..]`).
    pub args: Vec<String>,
    /// The guest's environment, in order (the host's is not inherited).
    pub env: Vec<(String, String)>,
    /// Preopened directories as `wdb run --dir` spells them: `HOST::GUEST`,
    /// `GUEST:HOST` or `DIR`.
    pub dirs: Vec<String>,
    /// The guest reads stdin from this file (else the terminal in an
    /// interactive session, nothing in a script).
    pub stdin: Option<PathBuf>,
    /// The guest's stdout goes to this file, truncated at each run.
    pub stdout: Option<PathBuf>,
    /// WASI 0.2 sockets reach the host's network (`--inherit-network`).
    pub inherit_network: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_that_run_guest_code_say_so() {
        let repeat = |command| Command::Repeat {
            command: Box::new(command),
            count: 3,
        };
        for c in [
            Command::Continue,
            Command::ContinueIgnoring(2),
            Command::CallString {
                export: "f".into(),
                args: vec![],
            },
            repeat(Command::Next),
            Command::RunTo {
                spec: BreakSpec::Line(String::new(), 19),
                advance: true,
            },
        ] {
            assert!(c.may_run(), "{c:?}");
        }
        for c in [
            Command::Locals,
            Command::Kill,
            Command::Interrupt,
            repeat(Command::Locals),
            Command::Profile {
                invoke: None,
                args: vec![],
            },
        ] {
            assert!(!c.may_run(), "{c:?}");
        }
    }

    #[test]
    fn break_specs_parse() {
        let cases = [
            ("fib", BreakSpec::Function("fib".into())),
            ("fib+12", BreakSpec::FuncOffset("fib".into(), 12)),
            ("fib+0x10", BreakSpec::FuncOffset("fib".into(), 16)),
            ("*0x1a3", BreakSpec::CodeOffset(0x1a3)),
            ("src/fib.c:12", BreakSpec::Line("src/fib.c".into(), 12)),
            ("19", BreakSpec::Line(String::new(), 19)),
            (
                "std::rt::lang_start",
                BreakSpec::Function("std::rt::lang_start".into()),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(BreakSpec::parse(text).unwrap(), want, "{text}");
        }
        assert!(BreakSpec::parse("*zz").is_err());
        assert!(BreakSpec::parse("").is_err());
        assert!(BreakSpec::parse("f+q").is_err());
    }
}
