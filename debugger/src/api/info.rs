//! `info`: its subcommands ([`InfoWhat`], spelled once here for the REPL's
//! parser, help and completion) and its answers as data ([`InfoView`]). A
//! new subcommand is an arm here, its answer in `session/info.rs` and its
//! layout in the REPL's `render/info.rs`.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfoWhat {
    Exports,
    Imports,
    Functions,
    Globals,
    Memory,
    Tables,
    Sections,
    Wasi,
    Breakpoints,
    Frame,
    Locals,
    Args,
    Source,
    /// The engine `run`/`call` use (`info mode`).
    Mode,
    /// Watchpoints only (`info watchpoints`).
    Watchpoints,
    /// Source-level global variables (DWARF), else the wasm globals.
    Variables,
    /// Source-level type names (DWARF).
    Types,
    /// A component's graph: its (nested) components, core modules and
    /// what it imports and exports.
    Components,
    /// A component's core instances: what each instantiates with what,
    /// and what it exports.
    Instances,
    /// `info symbol CODE_OFFSET`: the function a code offset is in.
    Symbol(u32),
}

/// `info`'s usage line (`help info`).
pub const INFO_USAGE: &str = "info breakpoints|watchpoints|frame|locals|args|exports|imports|functions [RE]|variables [RE]|types [RE]|globals|memory|tables|sections|wasi|source|mode|components|instances|symbol ADDR";

/// The `info` subcommands a front end completes.
pub const INFO_WORDS: &[&str] = &[
    "breakpoints",
    "watchpoints",
    "frame",
    "locals",
    "args",
    "exports",
    "imports",
    "functions",
    "variables",
    "types",
    "globals",
    "memory",
    "tables",
    "sections",
    "wasi",
    "source",
    "components",
    "instances",
    "symbol",
];

impl InfoWhat {
    /// The command for the words after `info` (`["functions", "^sum"]`);
    /// `None` when they name no subcommand (the front end shows
    /// [`INFO_USAGE`]). The one place `info` subcommands are spelled, so a
    /// new one is an arm here, its answer in `session/info.rs` and, when it
    /// has a view of its own, its layout in the REPL's `render/info.rs`.
    pub fn parse(words: &[&str]) -> Option<Command> {
        let what = match words {
            ["functions", re @ ..] | ["variables", re @ ..] | ["types", re @ ..]
                if !re.is_empty() =>
            {
                let what = match words[0] {
                    "functions" => InfoWhat::Functions,
                    "variables" => InfoWhat::Variables,
                    _ => InfoWhat::Types,
                };
                return Some(Command::InfoMatching {
                    what,
                    regex: Some(re.join(" ")),
                });
            }
            ["symbol", addr] => InfoWhat::Symbol(parse_u32(addr.trim_start_matches('*'))?),
            [_, _, ..] => return None,
            ["breakpoints" | "break" | "b"] => InfoWhat::Breakpoints,
            ["watchpoints"] => InfoWhat::Watchpoints,
            ["variables"] => InfoWhat::Variables,
            ["types"] => InfoWhat::Types,
            ["frame" | "f"] => InfoWhat::Frame,
            ["locals"] => InfoWhat::Locals,
            ["args"] => InfoWhat::Args,
            ["exports"] => InfoWhat::Exports,
            ["imports"] => InfoWhat::Imports,
            ["functions"] => InfoWhat::Functions,
            ["globals"] => InfoWhat::Globals,
            ["memory"] => InfoWhat::Memory,
            ["tables"] => InfoWhat::Tables,
            ["sections"] => InfoWhat::Sections,
            ["wasi"] => InfoWhat::Wasi,
            ["source"] => InfoWhat::Source,
            ["mode" | "engine"] => InfoWhat::Mode,
            ["components" | "component"] => InfoWhat::Components,
            ["instances"] => InfoWhat::Instances,
            ["stack"] => return Some(Command::Frames),
            _ => return None,
        };
        Some(Command::Info(what))
    }
}

/// `info` about the module and the run, as data: the REPL lays it out as
/// gdb's tables, the GUI has panels of its own for most of it.
#[derive(Debug, Clone)]
pub enum InfoView {
    /// `info frame`: the selected frame and its function's signature.
    Frame {
        frame: FrameView,
        /// `(param i32) (result i32)`.
        signature: String,
    },
    Exports(Vec<ExportView>),
    Imports(Vec<ImportView>),
    /// `info functions`, and `info functions REGEX` (`matching`).
    Functions {
        matching: Option<String>,
        functions: Vec<FunctionView>,
    },
    Sections(Vec<SectionView>),
    /// `info symbol`: `func` is `None` when no function body holds
    /// `code_offset`; `offset` is from the body's first byte (`break
    /// FUNC+OFFSET`).
    Symbol {
        code_offset: u32,
        func: Option<String>,
        offset: u32,
    },
    Memories(Vec<MemoryInfoView>),
    Tables(Vec<TableInfoView>),
    /// `info source`: how many source files DWARF names (`None`: the
    /// module has no DWARF).
    Source {
        dwarf_files: Option<usize>,
    },
    /// `info mode`: the engine `run` and `call` use.
    Mode(crate::runner::Mode),
    /// `info components`: the component's graph.
    Components(ComponentGraphView),
    /// `info instances`: the root component's core instances; with a
    /// run, the store instance of each (`store_instances[i]`, by index in
    /// `graph.core_instances`) and which is the main core module's.
    Instances {
        graph: ComponentGraphView,
        store_instances: Vec<Option<u32>>,
        main: Option<u32>,
    },
}

/// One memory of `info memory`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryInfoView {
    pub index: u32,
    pub memory64: bool,
    /// In 64 KiB pages.
    pub initial: u64,
    pub maximum: Option<u64>,
    /// The live size in bytes, once the module is instantiated.
    pub current_bytes: Option<u64>,
}

/// One table of `info tables`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfoView {
    pub index: u32,
    /// `funcref`, `externref`, `(ref null $point)`.
    pub element: String,
    pub table64: bool,
    pub initial: u64,
    pub maximum: Option<u64>,
    /// The live size in elements, once instantiated (table 0 only).
    pub current_size: Option<u64>,
}
