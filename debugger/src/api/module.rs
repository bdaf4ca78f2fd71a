//! The static views of a loaded module: WAT lines, exports, imports,
//! sections, functions, producers, a component's graph.

use super::*;

/// One defined function as WAT: its `(func ...)` line, then its body's.
#[derive(Debug, Clone)]
pub struct FuncWatView {
    pub func_index: u32,
    pub name: String,
    pub lines: Vec<DisasmLine>,
}

#[derive(Debug, Clone)]
pub struct DisasmLine {
    pub code_offset: Option<u32>,
    pub text: String,
    pub current: bool,
}

/// One WASI call as the engine recorded it.
#[derive(Debug, Clone, Default)]
pub struct WasiCallView {
    pub seq: u64,
    /// strace-like, without the timing (stable in transcripts).
    pub line: String,
    /// `fd_write`; empty for the "earlier calls dropped" note.
    pub func: String,
    /// Decoded arguments: (name, value).
    pub args: Vec<(String, String)>,
    pub errno: u16,
    /// `ESUCCESS`, `EBADF`, ...
    pub errno_name: String,
    /// Bytes read or written, when the call moves data.
    pub bytes: Option<u64>,
    /// Since the WASI context was created.
    pub start: std::time::Duration,
    pub duration: std::time::Duration,
}

/// A source file's text, or why it could not be read.
#[derive(Debug, Clone)]
pub struct SourceTextView {
    /// The name as DWARF spells it (what `FILE:LINE` breakpoints take).
    pub file: String,
    /// Empty when the file could not be read.
    pub lines: Vec<String>,
    /// Where the file was looked for, when it was not found.
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ExportView {
    pub name: String,
    pub kind: String,
    pub index: u32,
    /// `(param i32) (result i32)` for functions.
    pub signature: String,
    /// A function's parameter types (empty for other exports).
    pub params: Vec<crate::engine::ValType>,
}

/// One entry of the `producers` custom section: `language: C11`,
/// `processed-by: clang 19.1.0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerView {
    /// `language`, `processed-by` or `sdk`.
    pub field: String,
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone)]
pub struct ImportView {
    pub module: String,
    pub name: String,
    pub kind: String,
    pub signature: String,
}

#[derive(Debug, Clone)]
pub struct SectionView {
    pub name: String,
    pub module_offset: usize,
    pub size: usize,
}

#[derive(Debug, Clone)]
pub struct FunctionView {
    pub index: u32,
    pub name: String,
    pub signature: String,
    pub imported: bool,
    /// `code_offset` of the body's first byte, for defined functions.
    pub code_offset: Option<u32>,
    pub size: u32,
}

#[derive(Debug, Clone)]
pub struct ModuleView {
    /// The file name as given (not canonicalised, so transcripts stay stable).
    pub path: String,
    pub size: usize,
    pub exports: Vec<ExportView>,
    pub imports: Vec<ImportView>,
    pub sections: Vec<SectionView>,
    pub functions: Vec<FunctionView>,
    pub has_dwarf: bool,
    /// `command` (has `_start`), `reactor` (has `_initialize`) or `library`.
    pub kind: String,
    /// Where a front end opens the module: `main`, else the first export
    /// with a source line, else the first export (None without functions).
    pub entry: Option<EntryView>,
    /// The `producers` section (empty without one); `Err` says why it
    /// could not be read.
    pub producers: Result<Vec<ProducerView>, String>,
    /// The first memory's initial size in bytes (None without a memory).
    pub memory_bytes: Option<u64>,
    /// Every memory's initial size in bytes, by memory index (Wasm 3.0
    /// modules may have several; the GUI's memory view picks one).
    pub memories: Vec<u64>,
    /// For a component: its graph. `exports`, `functions`... then describe
    /// its main core module (the one with the program's code and DWARF).
    pub component: Option<ComponentGraphView>,
}

/// A component as plain data: `info components`, `info instances`, the
/// GUI's Module panel.
#[derive(Debug, Clone, Default)]
pub struct ComponentGraphView {
    /// The root component first, then nested ones in file order.
    pub components: Vec<ComponentNodeView>,
    /// Every core module, in file order.
    pub core_modules: Vec<CoreModuleView>,
    /// Index in `core_modules` of the main core module.
    pub main_module: usize,
    /// The root component's core instances, in order.
    pub core_instances: Vec<CoreInstanceView>,
    /// Functions the root component exports, with their types (`swap:
    /// func(p: point) -> point`); `iface#name` for an exported instance's.
    pub export_funcs: Vec<(String, String)>,
    /// The same functions with typed parameters, for argument forms: a
    /// WAVE text per parameter checks with `engine::component::wave::parse`.
    pub funcs: Vec<ComponentFuncView>,
}

/// A component export a front end can call (`Command::Call` with
/// `export` = `NAME(WAVE, ...)`).
#[derive(Debug, Clone)]
pub struct ComponentFuncView {
    pub name: String,
    pub params: Vec<(String, wdb_engine::component::Ty)>,
    pub result: Option<wdb_engine::component::Ty>,
}

#[derive(Debug, Clone, Default)]
pub struct ComponentNodeView {
    /// 0 for the root.
    pub depth: usize,
    pub name: String,
    pub core_modules: usize,
    pub core_instances: usize,
    /// (name, kind): `wasi:cli/stdout@0.2.0`, `instance`.
    pub imports: Vec<(String, String)>,
    pub exports: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct CoreModuleView {
    pub index: usize,
    pub name: String,
    pub size: usize,
    pub functions: u32,
    /// `module::name` of each import.
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    pub has_dwarf: bool,
}

#[derive(Debug, Clone, Default)]
pub struct CoreInstanceView {
    pub index: u32,
    pub name: String,
    /// The core module it instantiates (`None`: a bag of exports made of
    /// other instances' items and canonical functions).
    pub module: Option<usize>,
    /// (import module name, core instance index) for `instantiate`.
    pub args: Vec<(String, u32)>,
    /// Export names (functions of a bag say what they are: `get-stdout =
    /// canon lower wasi:cli/stdout@0.2.0#get-stdout`).
    pub exports: Vec<String>,
}

/// The function a front end shows first, and its source line when DWARF
/// has one.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub func_index: u32,
    pub func_name: String,
    pub source: Option<SourceLoc>,
}
