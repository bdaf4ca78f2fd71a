//! Source-level debug information from DWARF, read with gimli.
//!
//! Everything is lazy so that a module with tens of MB of DWARF opens at
//! once: [`DebugInfo::load`] reads unit headers only; a unit's DIEs are parsed
//! on the first query that needs them, and its line program on the first
//! address or line query, then cached (addr2line's approach).
//!
//! Addresses in wasm DWARF are `code_offset`s: relative to the start of the
//! code section payload. Every public method takes and returns those.
//!
//! Debug info is best-effort: broken or missing DWARF gives an empty map and
//! warnings, never an error that stops a module from loading.

pub(crate) mod loc;
pub(crate) mod names;
#[cfg(test)]
mod tests;
pub(crate) mod types;
pub(crate) mod units;

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use wdb_engine::{Module, Value};

pub use types::VarValue;

use units::{Store, VarLocation};

/// The gimli reader: a cheap, `Send` view into a shared byte buffer.
pub(crate) type R = gimli::EndianArcSlice<gimli::LittleEndian>;

/// A source position. `file` is the path as DWARF names it, joined with the
/// unit's `comp_dir` when relative, with `./` segments removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceLoc {
    pub file: String,
    pub line: u32,
    /// 0 when DWARF gives no column.
    pub column: u32,
}

impl fmt::Display for SourceLoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column != 0 {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        } else {
            write!(f, "{}:{}", self.file, self.line)
        }
    }
}

/// Where `file:line` resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMatch {
    /// The full file path as the line table names it.
    pub file: String,
    pub requested_line: u32,
    /// The line that has code: `requested_line`, or the next line with code.
    pub line: u32,
    /// The `code_offset` where each block of code for the line begins, sorted.
    pub code_offsets: Vec<u32>,
}

/// A function (DWARF subprogram) with code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInfo {
    /// Demangled, without Rust's hash suffix (`rustprog::summarize`), or the
    /// plain DWARF name (`perimeter`).
    pub name: String,
    pub linkage_name: Option<String>,
    pub low_pc: u32,
    pub high_pc: u32,
    pub decl: Option<SourceLoc>,
    /// The first `code_offset` after the prologue: where `break FUNC` stops.
    pub entry_after_prologue: Option<u32>,
}

/// One level of inlining at a `code_offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineFrame {
    /// The inlined function.
    pub name: String,
    /// Where it was inlined (the call site).
    pub call_site: Option<SourceLoc>,
    /// The `DW_TAG_inlined_subroutine` DIE's `.debug_info` offset: tells two
    /// instances of one function apart (`next` runs over an instance it
    /// was not in when it started).
    pub id: u64,
    /// The `code_offset` ranges of this inlined instance, sorted.
    pub ranges: Vec<Range<u32>>,
    /// Where the instance begins: `DW_AT_entry_pc`, else its lowest address.
    pub entry: u32,
}

impl InlineFrame {
    pub fn contains(&self, code_offset: u32) -> bool {
        self.ranges.iter().any(|r| r.contains(&code_offset))
    }

    /// True when `code_offset` is where the instance is entered: its entry
    /// or the start of one of its ranges (optimized code may run a later
    /// range first).
    pub fn starts_at(&self, code_offset: u32) -> bool {
        self.entry == code_offset || self.ranges.iter().any(|r| r.start == code_offset)
    }
}

/// One inlined copy of a function, for `break FUNC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineInstance {
    /// The inlined function's name (demangled, as [`FunctionInfo::name`]).
    pub name: String,
    /// Where to break: `DW_AT_entry_pc`, else the lowest address.
    pub entry: u32,
    pub ranges: Vec<Range<u32>>,
    pub call_site: Option<SourceLoc>,
}

/// A variable or parameter in scope at a `code_offset`.
#[derive(Debug, Clone)]
pub struct VarInfo {
    pub name: String,
    pub is_param: bool,
    pub type_name: String,
    pub decl: Option<SourceLoc>,
    pub(crate) unit: usize,
    pub(crate) ty: Option<units::Ty>,
    pub(crate) location: VarLocation,
    pub(crate) frame_base: Option<gimli::Expression<R>>,
    pub(crate) encoding: gimli::Encoding,
}

impl VarInfo {
    /// Where the variable lives at this `code_offset`, for `info locals -v`:
    /// `fbreg+28`, `wasm-local 3; stack-value`, `const`, `<optimized out>`.
    pub fn location_text(&self) -> String {
        let expr = match &self.location {
            VarLocation::OptimizedOut => return "<optimized out>".to_string(),
            VarLocation::Const(_) => return "const".to_string(),
            VarLocation::Expr(e) => e,
        };
        let mut r = expr.0.clone();
        let mut parts = Vec::new();
        while !gimli::Reader::is_empty(&r) && parts.len() < 32 {
            let Ok(op) = gimli::Operation::parse(&mut r, self.encoding) else {
                parts.push("<bad expression>".to_string());
                break;
            };
            parts.push(match op {
                gimli::Operation::WasmLocal { index } => format!("wasm-local {index}"),
                gimli::Operation::WasmGlobal { index } => format!("wasm-global {index}"),
                gimli::Operation::WasmStack { index } => format!("wasm-operand {index}"),
                gimli::Operation::FrameOffset { offset } => format!("fbreg{offset:+}"),
                gimli::Operation::StackValue => "stack-value".to_string(),
                gimli::Operation::Address { address } => format!("addr {address:#x}"),
                gimli::Operation::PlusConstant { value } => format!("plus {value}"),
                gimli::Operation::Deref { .. } => "deref".to_string(),
                gimli::Operation::Piece { size_in_bits, .. } => {
                    format!("piece {}", size_in_bits / 8)
                }
                other => format!("{other:?}"),
            });
        }
        parts.join("; ")
    }

    /// True when the variable has no location at this `code_offset`.
    pub fn is_optimized_out(&self) -> bool {
        matches!(self.location, VarLocation::OptimizedOut)
    }
}

/// What the debugger provides at a paused frame.
pub trait FrameAccess {
    fn local(&self, index: u32) -> Option<Value>;
    fn global(&self, index: u32) -> Option<Value>;
    /// `DW_OP_WASM_location 2`: the operand stack, 0 = bottom.
    fn operand(&self, index: u32) -> Option<Value>;
    fn read_memory(&self, addr: u64, len: usize) -> Option<Vec<u8>>;
    /// The function a function pointer names: element `table_index` of the
    /// instance's function table.
    fn function_name(&self, table_index: u64) -> Option<String> {
        let _ = table_index;
        None
    }
}

/// Source-level debug information of one module. Cheap to create and `Send`.
pub struct DebugInfo {
    store: Option<Arc<Store>>,
    /// Types and enumerators by name, for casts and `p BLUE` (built on
    /// first use).
    names: std::sync::OnceLock<names::Names>,
}

impl fmt::Debug for DebugInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DebugInfo")
            .field("has_debug_info", &self.has_debug_info())
            .finish_non_exhaustive()
    }
}

impl DebugInfo {
    /// An empty map: no DWARF.
    pub fn empty() -> DebugInfo {
        DebugInfo {
            store: None,
            names: Default::default(),
        }
    }

    /// Read the DWARF of `module` (and split DWARF beside `module_path`: a
    /// `.dwp` package or `.dwo` files). Never fails: broken or missing DWARF
    /// gives an empty map plus warnings.
    pub fn load(module: &Module, module_path: Option<&Path>) -> (DebugInfo, Vec<String>) {
        let mut warnings = Vec::new();
        let store = Store::load(module, module_path, &mut warnings);
        (
            DebugInfo {
                store,
                names: Default::default(),
            },
            warnings,
        )
    }

    pub fn has_debug_info(&self) -> bool {
        self.store.as_ref().is_some_and(|s| s.has_units())
    }

    /// The source position of the line-table row covering `code_offset`.
    pub fn location(&self, code_offset: u32) -> Option<SourceLoc> {
        self.store.as_ref()?.location(code_offset as u64)
    }

    /// True when `code_offset` begins a new source line (an `is_stmt` row
    /// whose line differs from the row before): where `step`/`next` stop.
    pub fn is_stmt_boundary(&self, code_offset: u32) -> bool {
        self.store
            .as_ref()
            .is_some_and(|s| s.is_stmt_boundary(code_offset as u64))
    }

    /// The `code_offset` range of the contiguous rows for the same source
    /// line as `code_offset` (what `next` runs through).
    pub fn line_range(&self, code_offset: u32) -> Option<Range<u32>> {
        self.store.as_ref()?.line_range(code_offset as u64)
    }

    /// Where to break for `file:line`. `file` matches by path suffix; a line
    /// without code moves to the next line with code.
    pub fn resolve_line(&self, file: &str, line: u32) -> Result<LineMatch, String> {
        match &self.store {
            Some(s) => s.resolve_line(file, line),
            None => Err("no debug info (the module has no DWARF)".to_string()),
        }
    }

    /// Functions whose name, linkage name or demangled name is `name`, or
    /// whose qualified name ends with `::name`.
    pub fn functions_named(&self, name: &str) -> Vec<FunctionInfo> {
        self.store
            .as_ref()
            .map(|s| s.functions_named(name))
            .unwrap_or_default()
    }

    /// The innermost function with code at `code_offset`.
    pub fn function_at(&self, code_offset: u32) -> Option<FunctionInfo> {
        self.store.as_ref()?.function_at(code_offset as u64)
    }

    /// Inlined calls active at `code_offset`, innermost first.
    pub fn inline_frames(&self, code_offset: u32) -> Vec<InlineFrame> {
        self.store
            .as_ref()
            .map(|s| s.inline_frames(code_offset as u64))
            .unwrap_or_default()
    }

    /// Inlined copies of the functions `name` matches (as
    /// [`DebugInfo::functions_named`] matches), sorted by entry.
    pub fn inline_instances_named(&self, name: &str) -> Vec<InlineInstance> {
        self.store
            .as_ref()
            .map(|s| s.inline_instances_named(name))
            .unwrap_or_default()
    }

    /// Variables of one frame at `code_offset`, with inlining: frame 0 is
    /// the innermost inlined function (or the function itself when nothing
    /// is inlined here), frame `inline_frames(code_offset).len()` the
    /// function whose code it is. Parameters first, innermost scope first.
    pub fn variables_in_frame(&self, code_offset: u32, frame: usize) -> Vec<VarInfo> {
        self.store
            .as_ref()
            .map(|s| s.variables_in_frame(code_offset as u64, Some(frame)))
            .unwrap_or_default()
    }

    /// Variables in scope at `code_offset`: parameters first, then locals,
    /// innermost scope first.
    pub fn variables(&self, code_offset: u32) -> Vec<VarInfo> {
        self.store
            .as_ref()
            .map(|s| s.variables(code_offset as u64))
            .unwrap_or_default()
    }

    /// Read a variable's value in a paused frame.
    pub fn read_var(&self, var: &VarInfo, frame: &dyn FrameAccess) -> VarValue {
        match &self.store {
            Some(s) => s.read_var(var, frame),
            None => VarValue::OptimizedOut,
        }
    }

    /// Evaluate an expression (`p->x + arr[2]`, `n == 5`) at `code_offset`
    /// in a paused frame, with every scope of the function visible. The
    /// debugger's own evaluator ([`crate::expr`]) over `frame` alone.
    pub fn eval(
        &self,
        expr: &str,
        code_offset: u32,
        frame: &dyn FrameAccess,
    ) -> Result<VarValue, String> {
        if self.store.is_none() {
            return Err("no debug info (the module has no DWARF)".to_string());
        }
        let cx = crate::expr::PlainFrame(frame);
        let env = crate::expr::Env {
            cx: &cx,
            debug: Some(self),
            code_offset,
            inline_frame: None,
            history: &[],
        };
        let v = env.evaluate(expr)?;
        Ok(env.var_value(&v))
    }

    /// Global variables as (name, type name), sorted by name.
    pub fn global_variables(&self) -> Vec<(String, String)> {
        self.store
            .as_ref()
            .map(|s| s.global_variables())
            .unwrap_or_default()
    }

    /// Named types (`struct node`, `int`, `size_t`), sorted.
    pub fn type_names(&self) -> Vec<String> {
        self.store
            .as_ref()
            .map(|s| s.type_names())
            .unwrap_or_default()
    }

    /// Every source file named by a line table, sorted, without duplicates.
    pub fn source_files(&self) -> Vec<String> {
        self.store
            .as_ref()
            .map(|s| s.source_files())
            .unwrap_or_default()
    }
}
