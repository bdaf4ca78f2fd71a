//! The module model: a validated module, decoded once by `wasmparser`, with
//! everything the runtime, the debugger and the front ends need to know about
//! it. Function bodies are kept as byte ranges and translated to the internal
//! IR lazily, on first call, so a huge module opens quickly.

mod parse;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use wasmparser::{
    FuncType, GlobalType, MemoryType, RefType, TableType, ValType, ValidatorResources,
};

pub use parse::WASM_FEATURES;

/// A decoded and fully validated WebAssembly module.
pub struct Module {
    /// The original bytes: DWARF sections, `wasmprinter` and lazy translation read them.
    pub bytes: Arc<[u8]>,
    pub types: Vec<FuncType>,
    pub imports: Vec<Import>,
    /// Type index of every function in the function index space (imports first).
    pub func_types: Vec<u32>,
    pub num_imported_funcs: u32,
    /// Every table in the index space (imports first).
    pub tables: Vec<TableType>,
    pub num_imported_tables: u32,
    pub memories: Vec<MemoryType>,
    pub num_imported_memories: u32,
    /// Every global in the index space (imports first); defined ones carry an init expr.
    pub globals: Vec<GlobalType>,
    pub num_imported_globals: u32,
    pub global_inits: Vec<ConstExpr>,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    pub elements: Vec<ElementSegment>,
    pub datas: Vec<DataSegment>,
    /// One per defined function, in order (function index = num_imported_funcs + i).
    pub bodies: Vec<FuncBody>,
    /// `module_offset` of the first byte of the code section's payload; a
    /// `code_offset` (DWARF's address space) is `module_offset - code_section_start`.
    pub code_section_start: usize,
    pub names: Names,
    pub custom_sections: Vec<CustomSection>,
    /// Every section in file order, for `info sections` and the GUI's Module panel.
    pub sections: Vec<SectionInfo>,
    /// Functions that `ref.func` may name outside function bodies (declared via
    /// elements, exports or globals); needed by validation only, kept for tools.
    pub(crate) resources: Option<ValidatorResources>,
}

#[derive(Debug, Clone)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub kind: ImportKind,
}

#[derive(Debug, Clone, Copy)]
pub enum ImportKind {
    /// Type index.
    Func(u32),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternKind {
    Func,
    Table,
    Memory,
    Global,
}

#[derive(Debug, Clone)]
pub struct Export {
    pub name: String,
    pub kind: ExternKind,
    pub index: u32,
}

/// A constant expression (global initialisers, segment offsets, element items).
#[derive(Debug, Clone, PartialEq)]
pub struct ConstExpr(pub Vec<ConstOp>);

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConstOp {
    I32Const(i32),
    I64Const(i64),
    F32Const(u32),
    F64Const(u64),
    V128Const(u128),
    RefNull(RefType),
    RefFunc(u32),
    GlobalGet(u32),
}

#[derive(Debug, Clone)]
pub enum ElementMode {
    Passive,
    Declared,
    Active { table: u32, offset: ConstExpr },
}

#[derive(Debug, Clone)]
pub struct ElementSegment {
    pub mode: ElementMode,
    pub ty: RefType,
    /// Each item is a constant expression (function indices become `RefFunc`).
    pub items: Vec<ConstExpr>,
}

#[derive(Debug, Clone)]
pub enum DataMode {
    Passive,
    Active { memory: u32, offset: ConstExpr },
}

#[derive(Debug, Clone)]
pub struct DataSegment {
    pub mode: DataMode,
    /// `module_offset` range of the segment's bytes in [`Module::bytes`].
    pub range: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct FuncBody {
    /// `module_offset` range of the body (locals and code, after the size LEB).
    pub range: Range<usize>,
    /// Declared locals (not params), run-length as in the binary.
    pub locals: Vec<(u32, ValType)>,
}

#[derive(Debug, Clone, Default)]
pub struct Names {
    pub module: Option<String>,
    pub functions: HashMap<u32, String>,
    /// function index -> local index -> name
    pub locals: HashMap<u32, HashMap<u32, String>>,
    pub globals: HashMap<u32, String>,
}

#[derive(Debug, Clone)]
pub struct CustomSection {
    pub name: String,
    /// `module_offset` range of the section's data (after its name).
    pub data: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct SectionInfo {
    /// `"type"`, `"import"`, ..., or `"custom:NAME"`.
    pub name: String,
    /// `module_offset` range of the section payload.
    pub range: Range<usize>,
}

impl Module {
    /// Decode and validate `bytes` with exactly the WebAssembly 2.0 feature set.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> crate::error::Result<Module> {
        parse::parse(bytes.into())
    }

    pub fn from_file(path: &std::path::Path) -> crate::error::Result<Module> {
        let bytes = std::fs::read(path).map_err(|e| {
            crate::Error::new(
                crate::ErrorKind::Other,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        Module::new(bytes)
    }

    pub fn func_type(&self, func_index: u32) -> &FuncType {
        &self.types[self.func_types[func_index as usize] as usize]
    }

    pub fn num_funcs(&self) -> u32 {
        self.func_types.len() as u32
    }

    /// The body of a defined function, or `None` for an import.
    pub fn body(&self, func_index: u32) -> Option<&FuncBody> {
        func_index
            .checked_sub(self.num_imported_funcs)
            .and_then(|i| self.bodies.get(i as usize))
    }

    /// A name for a function: the name section's, else an export's, else `None`.
    pub fn func_name(&self, func_index: u32) -> Option<&str> {
        if let Some(n) = self.names.functions.get(&func_index) {
            return Some(n);
        }
        self.exports
            .iter()
            .find(|e| e.kind == ExternKind::Func && e.index == func_index)
            .map(|e| e.name.as_str())
    }

    /// A name users can always print: the function's name, or `func[N]`.
    pub fn display_func_name(&self, func_index: u32) -> String {
        self.func_name(func_index)
            .map_or_else(|| format!("func[{func_index}]"), str::to_string)
    }

    pub fn export(&self, name: &str) -> Option<&Export> {
        self.exports.iter().find(|e| e.name == name)
    }

    pub fn exported_func(&self, name: &str) -> Option<u32> {
        self.export(name)
            .filter(|e| e.kind == ExternKind::Func)
            .map(|e| e.index)
    }

    pub fn custom_section(&self, name: &str) -> Option<&[u8]> {
        self.custom_sections
            .iter()
            .find(|c| c.name == name)
            .map(|c| &self.bytes[c.data.clone()])
    }

    /// `code_offset` (relative to the code section payload) of a `module_offset`.
    pub fn code_offset_from_module_offset(&self, module_offset: usize) -> u32 {
        (module_offset - self.code_section_start) as u32
    }

    pub fn module_offset_from_code_offset(&self, code_offset: u32) -> usize {
        self.code_section_start + code_offset as usize
    }

    /// The defined function whose body contains `code_offset`.
    pub fn func_at_code_offset(&self, code_offset: u32) -> Option<u32> {
        let mo = self.module_offset_from_code_offset(code_offset);
        let i = self.bodies.partition_point(|b| b.range.end <= mo);
        let b = self.bodies.get(i)?;
        (b.range.start <= mo).then_some(self.num_imported_funcs + i as u32)
    }

    /// Types of params followed by declared locals of a defined function.
    pub fn local_types(&self, func_index: u32) -> Vec<ValType> {
        let mut out: Vec<ValType> = self.func_type(func_index).params().to_vec();
        if let Some(body) = self.body(func_index) {
            for &(n, ty) in &body.locals {
                out.extend(std::iter::repeat_n(ty, n as usize));
            }
        }
        out
    }
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("len", &self.bytes.len())
            .field("funcs", &self.func_types.len())
            .field("exports", &self.exports.len())
            .finish_non_exhaustive()
    }
}

/// `(param i32 i64) (result f32)` as the text format writes it, for signatures
/// in error messages and listings.
pub fn signature_string(ty: &FuncType) -> String {
    use crate::value::valtype_name;
    let mut s = String::new();
    if !ty.params().is_empty() {
        s.push_str("(param");
        for p in ty.params() {
            s.push(' ');
            s.push_str(valtype_name(*p));
        }
        s.push(')');
    }
    if !ty.results().is_empty() {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str("(result");
        for r in ty.results() {
            s.push(' ');
            s.push_str(valtype_name(*r));
        }
        s.push(')');
    }
    s
}
