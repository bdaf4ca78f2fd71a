//! The reader loop: wasmparser payloads -> [`Module`], validating as it goes.

use std::collections::HashMap;
use std::sync::Arc;

use wasmparser::{
    ElementItems, ElementKind, ExternalKind, KnownCustom, Name, Operator, Parser, Payload, TypeRef,
    ValidPayload, Validator, WasmFeatures,
};

use super::*;
use crate::error::{Error, ErrorKind, Result};

/// Exactly WebAssembly 2.0: MVP, mutable globals, sign extension, non-trapping
/// float-to-int, multi-value, bulk memory, reference types, fixed-width SIMD.
pub const WASM_FEATURES: WasmFeatures = WasmFeatures::WASM2;

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

pub(super) fn parse(bytes: Arc<[u8]>) -> Result<Module> {
    let mut validator = Validator::new_with_features(WASM_FEATURES);
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
    };
    // The section we are in, so an error can name it.
    let mut current: &'static str = "header";
    let mut resources = None;
    let mut func_validators = Vec::new();

    // Decode with exactly the Wasm 2.0 features too: with all features on,
    // the readers accept e.g. 64-bit LEBs for memory limits.
    let mut parser = Parser::new(0);
    parser.set_features(WASM_FEATURES);
    for payload in parser.parse_all(&bytes) {
        let payload = payload
            .map_err(|e| Error::from_wasmparser(ErrorKind::Malformed, &e).with_section(current))?;
        if let Some((id, range)) = payload.as_section() {
            current = section_name(id);
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
            Error::from_wasmparser(classify(&e), &e).with_section(current)
        })?;
        let wrap = |e: wasmparser::BinaryReaderError| {
            Error::from_wasmparser(ErrorKind::Malformed, &e).with_section(current)
        };
        match payload {
            Payload::TypeSection(r) => {
                for ft in r.into_iter_err_on_gc_types() {
                    m.types.push(ft.map_err(wrap)?);
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
                    // Wasm 2.0 tables have no initialiser expression; keep the
                    // slot so table index space and init stay aligned.
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
                        ExternalKind::Tag => {
                            return Err(Error::new(
                                ErrorKind::Invalid,
                                "tag exports are not Wasm 2.0",
                            )
                            .with_section(current));
                        }
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
    let mut allocs = wasmparser::FuncValidatorAllocations::default();
    for (fv, body) in func_validators {
        let mut v = fv.into_validator(allocs);
        v.validate(&body)
            .map_err(|e| Error::from_wasmparser(classify(&e), &e).with_section("code"))?;
        allocs = v.into_allocations();
    }
    m.resources = resources;
    Ok(m)
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
            _ => {}
        }
    }
    Ok(())
}
