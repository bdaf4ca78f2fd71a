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
    FuncType, GlobalType, MemoryType, RefType, SubType, TableType, ValType, ValidatorResources,
};

pub use parse::WASM_FEATURES;

/// A decoded and fully validated WebAssembly module.
pub struct Module {
    /// The original bytes: DWARF sections, `wasmprinter` and lazy translation read them.
    pub bytes: Arc<[u8]>,
    /// The function type of every type index. A struct or array type (GC)
    /// has an empty `(func)` here: look at [`Module::sub_types`] for those;
    /// a validated module only uses function types where one is expected.
    pub types: Vec<FuncType>,
    /// Every type of the type section as declared (Wasm 3.0: function,
    /// struct and array types with their supertypes), indexed like `types`.
    /// Concrete type references in them are module type indices.
    pub sub_types: Vec<SubType>,
    /// The recursion group of every type: the range of type indices it spans
    /// (a type outside an explicit `rec` is a group of one). Canonical type
    /// identity is per group (`Store` interns groups).
    pub rec_groups: Vec<Range<u32>>,
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
    /// Initialiser of each *defined* table (Wasm 3.0 tables may have one);
    /// `None`: null.
    pub table_inits: Vec<Option<ConstExpr>>,
    /// Every exception tag in the index space (imports first): the index of
    /// its function type (params = payload, no results).
    pub tags: Vec<u32>,
    pub num_imported_tags: u32,
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
    /// Whether code of this module can hold GC objects (it declares struct
    /// or array types, or has `any`-hierarchy references in a signature,
    /// global, table, element segment or local): only then does the
    /// interpreter record stack maps for the collector.
    pub(crate) uses_gc_refs: bool,
    /// The features it was validated with ([`WASM_FEATURES`] unless
    /// [`Module::with_features`] said otherwise); translation validates
    /// bodies again with the same.
    pub features: wasmparser::WasmFeatures,
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
    /// An exception tag: the index of its function type.
    Tag(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternKind {
    Func,
    Table,
    Memory,
    Global,
    Tag,
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

/// One instruction of a constant expression, evaluated on a stack (Wasm 3.0
/// extended constant expressions: `i32.add` etc. over earlier operands).
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
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
    /// GC: `ref.i31`.
    RefI31,
    /// GC: `struct.new $t` / `struct.new_default $t` (type index).
    StructNew(u32),
    StructNewDefault(u32),
    /// GC: `array.new $t`, `array.new_default $t`, `array.new_fixed $t N`.
    ArrayNew(u32),
    ArrayNewDefault(u32),
    ArrayNewFixed(u32, u32),
    /// GC: `any.convert_extern`, `extern.convert_any`.
    AnyConvertExtern,
    ExternConvertAny,
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
    pub tags: HashMap<u32, String>,
    /// type index -> name (Wasm 3.0 GC's struct and array types).
    pub types: HashMap<u32, String>,
    /// type index -> field index -> name.
    pub fields: HashMap<u32, HashMap<u32, String>>,
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
    /// Decode and validate a module with the WebAssembly 3.0 feature set
    /// ([`WASM_FEATURES`]): the binary format, or the text format
    /// (`.wat`), which is encoded first.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> crate::error::Result<Module> {
        parse::parse(binary_from(bytes.into(), None)?, WASM_FEATURES)
    }

    /// Decode and validate with another feature set, e.g. exactly
    /// `WasmFeatures::WASM2` for the Wasm 2.0 spec testsuite (which checks
    /// that later constructs are refused). A feature outside
    /// [`WASM_FEATURES`] is not supported by the engines.
    pub fn with_features(
        bytes: impl Into<Arc<[u8]>>,
        features: wasmparser::WasmFeatures,
    ) -> crate::error::Result<Module> {
        parse::parse(binary_from(bytes.into(), None)?, features)
    }

    pub fn from_file(path: &std::path::Path) -> crate::error::Result<Module> {
        let bytes = read_shared(path).map_err(|e| {
            crate::Error::new(
                crate::ErrorKind::Other,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        parse::parse(binary_from(bytes, Some(path))?, WASM_FEATURES)
    }

    /// A fresh validator for the body of defined function `func_index`,
    /// with this module's types and features (translation validates as it
    /// goes, and so does the JIT's GC stack-map tracking).
    pub(crate) fn func_validator(
        &self,
        func_index: u32,
    ) -> crate::error::Result<wasmparser::FuncValidator<ValidatorResources>> {
        let resources = self.resources.clone().ok_or_else(|| {
            crate::Error::new(crate::ErrorKind::Other, "module has no validator resources")
        })?;
        let fv = wasmparser::FuncToValidate {
            resources,
            index: func_index,
            ty: self.func_types[func_index as usize],
            features: self.features,
        };
        Ok(fv.into_validator(wasmparser::FuncValidatorAllocations::default()))
    }

    pub fn func_type(&self, func_index: u32) -> &FuncType {
        &self.types[self.func_types[func_index as usize] as usize]
    }

    /// The payload types of tag `tag_index` (its function type's params).
    pub fn tag_type(&self, tag_index: u32) -> &FuncType {
        &self.types[self.tags[tag_index as usize] as usize]
    }

    /// A name for a tag: the name section's, else an export's.
    pub fn tag_name(&self, tag_index: u32) -> Option<&str> {
        if let Some(n) = self.names.tags.get(&tag_index) {
            return Some(n);
        }
        self.exports
            .iter()
            .find(|e| e.kind == ExternKind::Tag && e.index == tag_index)
            .map(|e| e.name.as_str())
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

    /// Whether code of this module can hold GC objects (see the field).
    pub fn uses_gc_refs(&self) -> bool {
        self.uses_gc_refs
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

/// The binary form of `bytes`: binary modules as they are, the text format
/// encoded; anything else a clear error naming what it looks like (instead
/// of the decoder's "bad magic number").
fn binary_from(
    bytes: Arc<[u8]>,
    path: Option<&std::path::Path>,
) -> crate::error::Result<Arc<[u8]>> {
    use crate::error::{Error, ErrorKind};
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes);
    }
    let not_wasm = |what: &str| Err(Error::at(ErrorKind::Malformed, what.to_string(), 0));
    if bytes.is_empty() {
        return not_wasm("an empty file, not a WebAssembly module");
    }
    if bytes.starts_with(b"\x7fELF") {
        return not_wasm(
            "not a WebAssembly module but an ELF file (a native program or shared object); a shared object made by `wdb compile -o X.so` runs with `wdb run --mode aot X.so`",
        );
    }
    if let Ok(text) = std::str::from_utf8(&bytes) {
        let t = text.trim_start_matches('\u{feff}').trim_start();
        if t.starts_with('(') || t.starts_with(";;") {
            return wat_to_binary(text, path).map(Arc::from);
        }
    }
    let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
    not_wasm(&format!(
        "not a WebAssembly module: it starts with {}, not 00 61 73 6d (`\\0asm`), and is not the text format",
        head.join(" ")
    ))
}

/// A whole file read straight into the shared buffer a [`Module`] keeps:
/// `fs::read` and then `Arc::from` would copy it, holding the module twice
/// (a 100 MB module would peak at 200 MB before it is even decoded).
fn read_shared(path: &std::path::Path) -> std::io::Result<Arc<[u8]>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let len = usize::try_from(file.metadata()?.len())
        .map_err(|_| std::io::Error::other("the file does not fit in memory"))?;
    // One allocation of exactly `len` bytes (a `TrustedLen` collect).
    let mut bytes: Arc<[u8]> = std::iter::repeat_n(0u8, len).collect();
    let buf = Arc::get_mut(&mut bytes).expect("a fresh Arc has one owner");
    file.read_exact(buf)?;
    // A file that grew while we read: read it again the simple way.
    let mut probe = [0u8; 1];
    if file.read(&mut probe)? != 0 {
        return std::fs::read(path).map(Arc::from);
    }
    Ok(bytes)
}

/// Encode a module in the text format; errors point at the line and column
/// (of `path`, when known).
fn wat_to_binary(text: &str, path: Option<&std::path::Path>) -> crate::error::Result<Vec<u8>> {
    let err = |mut e: wast::Error| {
        e.set_text(text);
        if let Some(p) = path {
            e.set_path(p);
        }
        crate::error::Error::new(
            crate::error::ErrorKind::Malformed,
            format!("in the text format: {e}"),
        )
    };
    let buf = wast::parser::ParseBuffer::new(text).map_err(err)?;
    let mut wat: wast::Wat<'_> = wast::parser::parse(&buf).map_err(err)?;
    wat.encode().map_err(err)
}

#[cfg(test)]
mod input_tests {
    use super::Module;
    use crate::error::ErrorKind;

    fn error(bytes: &[u8]) -> String {
        error_of_kind(bytes, ErrorKind::Malformed)
    }

    fn error_of_kind(bytes: &[u8], kind: ErrorKind) -> String {
        let e = Module::new(bytes.to_vec()).expect_err("not a module");
        assert_eq!(e.kind, kind, "{e}");
        e.message
    }

    #[test]
    fn the_text_format_is_encoded_and_validated() {
        let m = Module::new(
            b";; adds\n(module (func (export \"add\") (param i32 i32) (result i32)\n  local.get 0 local.get 1 i32.add))".to_vec(),
        )
        .expect("valid text");
        assert!(m.bytes.starts_with(b"\0asm"));
        assert!(m.exported_func("add").is_some());
        // A text error points at its line and column.
        let e = error(b"(module\n  (func i32.ad))");
        assert!(e.contains("in the text format") && e.contains(":2:"), "{e}");
        // Text that encodes but does not validate fails as a binary would.
        let e = error_of_kind(b"(module (func (result i32)))", ErrorKind::Invalid);
        assert!(e.contains("type mismatch"), "{e}");
    }

    #[test]
    fn other_files_say_what_they_are_instead_of_a_bad_magic_number() {
        assert!(error(b"").contains("an empty file"));
        let e = error(b"\x7fELF\x02\x01\x01\0");
        assert!(e.contains("ELF file") && e.contains("--mode aot"), "{e}");
        let e = error(b"# wdb\nA WebAssembly debugger");
        assert!(
            e.contains("starts with 23 20 77 64") && !e.contains("magic"),
            "{e}"
        );
    }
}
