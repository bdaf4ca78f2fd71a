//! The reader loop: wasmparser payloads -> [`Module`], validating as it goes.

use std::collections::HashMap;
use std::sync::Arc;

use wasmparser::{
    CompositeInnerType, ElementItems, ElementKind, ExternalKind, KnownCustom, Name, Operator,
    Parser, Payload, TableInit, TypeRef, ValidPayload, Validator, WasmFeatures,
};

use super::*;
use crate::error::{Error, ErrorKind, Result};

/// WebAssembly 3.0: Wasm 2.0 plus exception handling (with the legacy
/// `try`/`catch`/`delegate` form that LLVM still emits), tail calls, typed
/// function references, GC, multiple memories, memory64 and table64,
/// extended constant expressions and relaxed SIMD. Not threads (wasmparser
/// counts them in its `WASM3` set; the 3.0 specification does not).
pub const WASM_FEATURES: WasmFeatures = WasmFeatures::WASM3
    .difference(WasmFeatures::THREADS)
    .union(WasmFeatures::LEGACY_EXCEPTIONS);

/// What a feature beyond [`WASM_FEATURES`] is called in an error message.
fn feature_name(f: WasmFeatures) -> String {
    let names: Vec<&str> = f
        .iter()
        .map(|one| {
            if one == WasmFeatures::THREADS {
                "threads (shared memories, atomic instructions)"
            } else if one == WasmFeatures::SHARED_EVERYTHING_THREADS {
                "shared-everything threads"
            } else if one == WasmFeatures::STACK_SWITCHING {
                "stack switching (continuations)"
            } else if one == WasmFeatures::CUSTOM_PAGE_SIZES {
                "custom page sizes"
            } else if one == WasmFeatures::WIDE_ARITHMETIC {
                "wide arithmetic"
            } else if one == WasmFeatures::MEMORY_CONTROL {
                "memory control"
            } else if one == WasmFeatures::COMPONENT_MODEL {
                "the component model"
            } else if one == WasmFeatures::CUSTOM_DESCRIPTORS {
                "custom descriptors"
            } else {
                ""
            }
        })
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        format!(
            "the `{}` proposal",
            f.iter_names()
                .map(|(n, _)| n.to_lowercase())
                .collect::<Vec<_>>()
                .join("`, `")
        )
    } else {
        names.join(", ")
    }
}

/// A wasmparser error as an engine error: decoding and validation problems
/// keep wasmparser's message; a construct of a proposal beyond Wasm 3.0
/// gets a message naming that proposal.
fn parser_error(kind: ErrorKind, e: &wasmparser::BinaryReaderError) -> Error {
    match e.missing_wasm_feature() {
        Some(f) if !WASM_FEATURES.contains(f) => Error::at(
            ErrorKind::Invalid,
            format!(
                "the module uses {}, which is beyond WebAssembly 3.0: wdb does not support it ({})",
                feature_name(f.difference(WASM_FEATURES)),
                e.message()
            ),
            e.offset() as usize,
        ),
        _ => Error::from_wasmparser(kind, e),
    }
}

fn section_name(id: u8) -> &'static str {
    match id {
        0 => "custom",
        1 => "type",
        2 => "import",
        3 => "function",
        4 => "table",
        5 => "memory",
        6 => "global",
        7 => "export",
        8 => "start",
        9 => "element",
        10 => "code",
        11 => "data",
        12 => "datacount",
        _ => "unknown",
    }
}

pub(super) fn parse(bytes: Arc<[u8]>, features: WasmFeatures) -> Result<Module> {
    let mut validator = Validator::new_with_features(features);
    let mut m = Module {
        bytes: bytes.clone(),
        types: Vec::new(),
        imports: Vec::new(),
        func_types: Vec::new(),
        num_imported_funcs: 0,
        tables: Vec::new(),
        num_imported_tables: 0,
        memories: Vec::new(),
        num_imported_memories: 0,
        globals: Vec::new(),
        num_imported_globals: 0,
        global_inits: Vec::new(),
        table_inits: Vec::new(),
        tags: Vec::new(),
        num_imported_tags: 0,
        sub_types: Vec::new(),
        rec_groups: Vec::new(),
        exports: Vec::new(),
        start: None,
        elements: Vec::new(),
        datas: Vec::new(),
        bodies: Vec::new(),
        code_section_start: 0,
        names: Names::default(),
        custom_sections: Vec::new(),
        sections: Vec::new(),
        resources: None,
        uses_gc_refs: false,
        features,
    };
    // The section we are in, so an error can name it.
    let mut current: &'static str = "header";
    // Where the next section's id byte is: the parser fails on a section
    // whose size runs past the end before it yields the section, so an
    // error at or past here is in that next section, not in `current`.
    let mut next_section_at = 8usize;
    let mut resources = None;
    let mut func_validators = Vec::new();

    // Decode with exactly these features too: with all features on, the
    // readers accept constructs of later proposals.
    let mut parser = Parser::new(0);
    parser.set_features(features);
    for payload in parser.parse_all(&bytes) {
        let payload = payload.map_err(|e| {
            let section = match bytes.get(next_section_at) {
                Some(&id) if e.offset() >= next_section_at as u64 => section_name(id),
                _ => current,
            };
            parser_error(ErrorKind::Malformed, &e).with_section(section)
        })?;
        if let Some((id, range)) = payload.as_section() {
            current = section_name(id);
            next_section_at = range.end as usize;
            let name = match &payload {
                Payload::CustomSection(c) => format!("custom:{}", c.name()),
                _ => current.to_string(),
            };
            m.sections.push(SectionInfo {
                name,
                range: range.start as usize..range.end as usize,
            });
        }
        let valid = validator.payload(&payload).map_err(|e| {
            // wasmparser reports some decoding problems only while validating;
            // its messages for those start with known phrases.
            parser_error(classify(&e), &e).with_section(current)
        })?;
        let wrap = |e: wasmparser::BinaryReaderError| {
            parser_error(ErrorKind::Malformed, &e).with_section(current)
        };
        match payload {
            Payload::TypeSection(r) => {
                for group in r {
                    let group = group.map_err(wrap)?;
                    let start = m.sub_types.len() as u32;
                    let end = start + group.types().len() as u32;
                    for st in group.into_types() {
                        m.types.push(match &st.composite_type.inner {
                            CompositeInnerType::Func(f) => f.clone(),
                            _ => wasmparser::FuncType::new([], []),
                        });
                        m.sub_types.push(st);
                        m.rec_groups.push(start..end);
                    }
                }
            }
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    let imp = imp.map_err(wrap)?;
                    let kind = match imp.ty {
                        TypeRef::Func(t) => {
                            m.func_types.push(t);
                            m.num_imported_funcs += 1;
                            ImportKind::Func(t)
                        }
                        TypeRef::Table(t) => {
                            m.tables.push(t);
                            m.num_imported_tables += 1;
                            ImportKind::Table(t)
                        }
                        TypeRef::Memory(t) => {
                            m.memories.push(t);
                            m.num_imported_memories += 1;
                            ImportKind::Memory(t)
                        }
                        TypeRef::Global(t) => {
                            m.globals.push(t);
                            m.num_imported_globals += 1;
                            ImportKind::Global(t)
                        }
                        TypeRef::Tag(t) => {
                            m.tags.push(t.func_type_idx);
                            m.num_imported_tags += 1;
                            ImportKind::Tag(t.func_type_idx)
                        }
                        other => {
                            return Err(Error::new(
                                ErrorKind::Invalid,
                                format!("unsupported import kind {other:?}"),
                            )
                            .with_section(current));
                        }
                    };
                    m.imports.push(Import {
                        module: imp.module.to_string(),
                        name: imp.name.to_string(),
                        kind,
                    });
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    m.func_types.push(t.map_err(wrap)?);
                }
            }
            Payload::TableSection(r) => {
                for t in r {
                    let t = t.map_err(wrap)?;
                    m.tables.push(t.ty);
                    m.table_inits.push(match t.init {
                        TableInit::RefNull => None,
                        TableInit::Expr(e) => Some(const_expr(&e)?),
                    });
                }
            }
            Payload::TagSection(r) => {
                for t in r {
                    m.tags.push(t.map_err(wrap)?.func_type_idx);
                }
            }
            Payload::MemorySection(r) => {
                for t in r {
                    m.memories.push(t.map_err(wrap)?);
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    let g = g.map_err(wrap)?;
                    m.globals.push(g.ty);
                    m.global_inits.push(const_expr(&g.init_expr)?);
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(wrap)?;
                    let kind = match e.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => ExternKind::Func,
                        ExternalKind::Table => ExternKind::Table,
                        ExternalKind::Memory => ExternKind::Memory,
                        ExternalKind::Global => ExternKind::Global,
                        ExternalKind::Tag => ExternKind::Tag,
                    };
                    m.exports.push(Export {
                        name: e.name.to_string(),
                        kind,
                        index: e.index,
                    });
                }
            }
            Payload::StartSection { func, .. } => m.start = Some(func),
            Payload::ElementSection(r) => {
                for el in r {
                    let el = el.map_err(wrap)?;
                    let mode = match el.kind {
                        ElementKind::Passive => ElementMode::Passive,
                        ElementKind::Declared => ElementMode::Declared,
                        ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => ElementMode::Active {
                            table: table_index.unwrap_or(0),
                            offset: const_expr(&offset_expr)?,
                        },
                    };
                    let (ty, items) = match el.items {
                        ElementItems::Functions(r) => {
                            let mut items = Vec::new();
                            for f in r {
                                items.push(ConstExpr(vec![ConstOp::RefFunc(f.map_err(wrap)?)]));
                            }
                            (RefType::FUNCREF, items)
                        }
                        ElementItems::Expressions(ty, r) => {
                            let mut items = Vec::new();
                            for e in r {
                                items.push(const_expr(&e.map_err(wrap)?)?);
                            }
                            (ty, items)
                        }
                    };
                    m.elements.push(ElementSegment { mode, ty, items });
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    let d = d.map_err(wrap)?;
                    let mode = match d.kind {
                        wasmparser::DataKind::Passive => DataMode::Passive,
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => DataMode::Active {
                            memory: memory_index,
                            offset: const_expr(&offset_expr)?,
                        },
                    };
                    let end = d.range.end as usize;
                    let start = end - d.data.len();
                    m.datas.push(DataSegment {
                        mode,
                        range: start..end,
                    });
                }
            }
            Payload::CodeSectionStart {
                unchecked_range: range,
                ..
            } => {
                m.code_section_start = range.start as usize;
            }
            Payload::CodeSectionEntry(body) => {
                let range = body.range();
                let mut locals = Vec::new();
                let mut lr = body.get_locals_reader().map_err(wrap)?;
                for _ in 0..lr.get_count() {
                    let (n, ty) = lr.read().map_err(wrap)?;
                    locals.push((n, ty));
                }
                m.bodies.push(FuncBody {
                    range: range.start as usize..range.end as usize,
                    locals,
                });
                if let ValidPayload::Func(fv, body) = valid {
                    func_validators.push((fv, body));
                }
            }
            Payload::CustomSection(c) => {
                let start = c.data_offset() as usize;
                m.custom_sections.push(CustomSection {
                    name: c.name().to_string(),
                    data: start..start + c.data().len(),
                });
                if let KnownCustom::Name(names) = c.as_known() {
                    // A broken name section is ignored, as the spec allows.
                    let _ = read_names(names, &mut m.names);
                }
            }
            Payload::End(_) => {
                if let ValidPayload::End(types) = valid {
                    let _ = types;
                }
            }
            _ => {}
        }
        if resources.is_none()
            && let Some((fv, _)) = func_validators.first()
        {
            let fv: &wasmparser::FuncToValidate<wasmparser::ValidatorResources> = fv;
            resources = Some(fv.resources.clone());
        }
    }

    // Validate every body now, so an invalid module is refused at load as the
    // spec requires; translation to IR happens later and lazily.
    validate_bodies(func_validators)?;
    m.resources = resources;
    normalize_gc_refs(&mut m);
    m.uses_gc_refs = uses_gc_refs(&m);
    Ok(m)
}

/// Validate function bodies on every core: each thread takes a contiguous
/// share, in order, and the error reported is the one of the lowest function
/// index, as a sequential pass would find it (a 100 MB module validates in
/// about half the time on two cores).
fn validate_bodies(
    funcs: Vec<(
        wasmparser::FuncToValidate<wasmparser::ValidatorResources>,
        wasmparser::FunctionBody<'_>,
    )>,
) -> Result<()> {
    let validate_share = |share: Vec<(
        wasmparser::FuncToValidate<wasmparser::ValidatorResources>,
        wasmparser::FunctionBody<'_>,
    )>| {
        let mut allocs = wasmparser::FuncValidatorAllocations::default();
        for (fv, body) in share {
            let mut v = fv.into_validator(allocs);
            v.validate(&body)
                .map_err(|e| parser_error(classify(&e), &e).with_section("code"))?;
            allocs = v.into_allocations();
        }
        Ok(())
    };
    // Below this many body bytes a thread costs more than it saves.
    const PARALLEL_FROM: usize = 1 << 20;
    let size = |b: &wasmparser::FunctionBody<'_>| {
        let r = b.range();
        (r.end - r.start) as usize
    };
    let total: usize = funcs.iter().map(|(_, b)| size(b)).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads == 1 || total < PARALLEL_FROM {
        return validate_share(funcs);
    }
    // Shares of about equal byte size, in function order.
    let per = total.div_ceil(threads);
    let mut shares = vec![Vec::new()];
    let mut in_share = 0;
    for f in funcs {
        if in_share >= per {
            shares.push(Vec::new());
            in_share = 0;
        }
        in_share += size(&f.1);
        shares.last_mut().expect("one share at least").push(f);
    }
    std::thread::scope(|s| {
        let running: Vec<_> = shares
            .into_iter()
            .map(|share| s.spawn(move || validate_share(share)))
            .collect();
        // Joined in order: the first failing share holds the lowest index.
        running
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect::<Result<Vec<()>>>()
            .map(|_| ())
    })
}

/// See [`Module::uses_gc_refs`] (after [`normalize_gc_refs`]).
fn uses_gc_refs(m: &Module) -> bool {
    use crate::value::{RefClass, ref_class};
    let any = |t: ValType| matches!(t, ValType::Ref(r) if ref_class(r) == RefClass::Any);
    m.sub_types
        .iter()
        .any(|st| !matches!(st.composite_type.inner, CompositeInnerType::Func(_)))
        || m.types
            .iter()
            .any(|f| f.params().iter().chain(f.results()).any(|&t| any(t)))
        || m.globals.iter().any(|g| any(g.content_type))
        || m.tables.iter().any(|t| any(ValType::Ref(t.element_type)))
        || m.elements.iter().any(|e| any(ValType::Ref(e.ty)))
        || m.bodies
            .iter()
            .any(|b| b.locals.iter().any(|&(_, t)| any(t)))
}

/// A reference to a struct or array type (`(ref $point)`) in the types the
/// runtime reads (signatures, locals, globals, tables, element segments)
/// becomes the abstract `(ref struct)` / `(ref array)`: what decides a
/// value's class ([`crate::value::ref_class`]: `any`, not `func`). The exact
/// types stay in [`Module::sub_types`], which validation and type identity use.
fn normalize_gc_refs(m: &mut Module) {
    use wasmparser::{AbstractHeapType, HeapType, UnpackedIndex};
    let kinds: Vec<Option<AbstractHeapType>> = m
        .sub_types
        .iter()
        .map(|st| match st.composite_type.inner {
            CompositeInnerType::Struct(_) => Some(AbstractHeapType::Struct),
            CompositeInnerType::Array(_) => Some(AbstractHeapType::Array),
            _ => None,
        })
        .collect();
    if kinds.iter().all(Option::is_none) {
        return;
    }
    let rt = |r: RefType| -> RefType {
        let i = match r.heap_type() {
            HeapType::Concrete(UnpackedIndex::Module(i))
            | HeapType::Exact(UnpackedIndex::Module(i)) => i,
            _ => return r,
        };
        match kinds.get(i as usize).copied().flatten() {
            Some(ty) => RefType::new(r.is_nullable(), HeapType::Abstract { shared: false, ty })
                .expect("abstract heap types always fit"),
            None => r,
        }
    };
    let vt = |t: ValType| match t {
        ValType::Ref(r) => ValType::Ref(rt(r)),
        t => t,
    };
    for f in &mut m.types {
        let params: Vec<ValType> = f.params().iter().map(|&t| vt(t)).collect();
        let results: Vec<ValType> = f.results().iter().map(|&t| vt(t)).collect();
        *f = wasmparser::FuncType::new(params, results);
    }
    for g in &mut m.globals {
        g.content_type = vt(g.content_type);
    }
    for t in &mut m.tables {
        t.element_type = rt(t.element_type);
    }
    for e in &mut m.elements {
        e.ty = rt(e.ty);
    }
    for b in &mut m.bodies {
        for l in &mut b.locals {
            l.1 = vt(l.1);
        }
    }
    for imp in &mut m.imports {
        match &mut imp.kind {
            ImportKind::Global(g) => g.content_type = vt(g.content_type),
            ImportKind::Table(t) => t.element_type = rt(t.element_type),
            _ => {}
        }
    }
}

/// Decide whether a validator error is really a decoding error (the spec
/// testsuite's `assert_malformed`) or a validation error.
fn classify(e: &wasmparser::BinaryReaderError) -> ErrorKind {
    let msg = e.message();
    const MALFORMED: &[&str] = &[
        "unexpected end",
        "malformed",
        "integer too large",
        "integer representation too long",
        "invalid section",
        "section size mismatch",
        "too many locals",
        "function and code section have inconsistent lengths",
        "data count and data section have inconsistent lengths",
        "data count section required",
        "illegal opcode",
        "unknown binary version",
        "magic header",
        "zero byte expected",
        "END opcode expected",
        "trailing bytes",
        "invalid leading byte",
        "invalid var_",
        "out of bounds",
        "length out of bounds",
    ];
    if MALFORMED.iter().any(|m| msg.contains(m)) {
        ErrorKind::Malformed
    } else {
        ErrorKind::Invalid
    }
}

fn const_expr(e: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
    let wrap = |e: wasmparser::BinaryReaderError| Error::from_wasmparser(ErrorKind::Malformed, &e);
    let mut ops = Vec::new();
    let mut r = e.get_operators_reader();
    while !r.eof() {
        let op = match r.read().map_err(wrap)? {
            Operator::I32Const { value } => ConstOp::I32Const(value),
            Operator::I64Const { value } => ConstOp::I64Const(value),
            Operator::F32Const { value } => ConstOp::F32Const(value.bits()),
            Operator::F64Const { value } => ConstOp::F64Const(value.bits()),
            Operator::V128Const { value } => {
                ConstOp::V128Const(u128::from_le_bytes(*value.bytes()))
            }
            Operator::RefNull { hty } => ConstOp::RefNull(
                wasmparser::RefType::new(true, hty).unwrap_or(wasmparser::RefType::FUNCREF),
            ),
            Operator::RefFunc { function_index } => ConstOp::RefFunc(function_index),
            Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            Operator::I32Add => ConstOp::I32Add,
            Operator::I32Sub => ConstOp::I32Sub,
            Operator::I32Mul => ConstOp::I32Mul,
            Operator::I64Add => ConstOp::I64Add,
            Operator::I64Sub => ConstOp::I64Sub,
            Operator::I64Mul => ConstOp::I64Mul,
            Operator::RefI31 => ConstOp::RefI31,
            Operator::StructNew { struct_type_index } => ConstOp::StructNew(struct_type_index),
            Operator::StructNewDefault { struct_type_index } => {
                ConstOp::StructNewDefault(struct_type_index)
            }
            Operator::ArrayNew { array_type_index } => ConstOp::ArrayNew(array_type_index),
            Operator::ArrayNewDefault { array_type_index } => {
                ConstOp::ArrayNewDefault(array_type_index)
            }
            Operator::ArrayNewFixed {
                array_type_index,
                array_size,
            } => ConstOp::ArrayNewFixed(array_type_index, array_size),
            Operator::AnyConvertExtern => ConstOp::AnyConvertExtern,
            Operator::ExternConvertAny => ConstOp::ExternConvertAny,
            Operator::End => continue,
            other => {
                return Err(Error::at(
                    ErrorKind::Invalid,
                    format!("constant expression required, found {other:?}"),
                    r.original_position() as usize,
                ));
            }
        };
        ops.push(op);
    }
    Ok(ConstExpr(ops))
}

fn read_names(
    reader: wasmparser::NameSectionReader<'_>,
    names: &mut Names,
) -> wasmparser::Result<()> {
    for sub in reader {
        match sub? {
            Name::Module { name, .. } => names.module = Some(name.to_string()),
            Name::Function(map) => {
                for n in map {
                    let n = n?;
                    names.functions.insert(n.index, n.name.to_string());
                }
            }
            Name::Local(map) => {
                for f in map {
                    let f = f?;
                    let mut locals = HashMap::new();
                    for n in f.names {
                        let n = n?;
                        locals.insert(n.index, n.name.to_string());
                    }
                    names.locals.insert(f.index, locals);
                }
            }
            Name::Global(map) => {
                for n in map {
                    let n = n?;
                    names.globals.insert(n.index, n.name.to_string());
                }
            }
            Name::Tag(map) => {
                for n in map {
                    let n = n?;
                    names.tags.insert(n.index, n.name.to_string());
                }
            }
            Name::Type(map) => {
                for n in map {
                    let n = n?;
                    names.types.insert(n.index, n.name.to_string());
                }
            }
            Name::Field(map) => {
                for t in map {
                    let t = t?;
                    let mut fields = HashMap::new();
                    for n in t.names {
                        let n = n?;
                        fields.insert(n.index, n.name.to_string());
                    }
                    names.fields.insert(t.index, fields);
                }
            }
            _ => {}
        }
    }
    Ok(())
}
