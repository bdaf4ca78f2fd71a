//! The linker: names (`module`, `name`) -> store addresses, resolved against a
//! module's imports with type checks; missing imports are all named at once.

use std::collections::HashMap;

use super::{Extern, HostFunc, InstanceId, Store};
use crate::error::{Error, Result};
use crate::module::Module;
use crate::module::{ImportKind, signature_string};
use crate::value::valtype_name;

#[derive(Default, Clone)]
pub struct Linker {
    defs: HashMap<(String, String), Extern>,
}

impl Linker {
    pub fn new() -> Linker {
        Linker::default()
    }

    pub fn define(&mut self, module: &str, name: &str, ext: Extern) {
        self.defs
            .insert((module.to_string(), name.to_string()), ext);
    }

    /// Add a host function to the store and define it under `module.name`.
    pub fn func(
        &mut self,
        store: &mut Store,
        module: &str,
        name: &str,
        ty: wasmparser::FuncType,
        f: HostFunc,
    ) {
        let addr = store.add_host_func(ty, f);
        self.define(module, name, Extern::Func(addr));
    }

    /// Define every export of an instance under `module` (the wast `register`).
    pub fn instance(&mut self, store: &Store, module: &str, inst: InstanceId) {
        for e in &store.instance_module(inst).exports {
            if let Some(ext) = store.instance_export(inst, &e.name) {
                self.define(module, &e.name, ext);
            }
        }
    }

    pub fn get(&self, module: &str, name: &str) -> Option<Extern> {
        self.defs
            .get(&(module.to_string(), name.to_string()))
            .copied()
    }

    /// Resolve a module's imports in order, checking each import's type
    /// against the definition (function signature, table/memory limits,
    /// global type and mutability). Every missing or mismatched import is
    /// reported in one `ErrorKind::Link` error.
    pub fn resolve(&self, store: &Store, module: &Module) -> Result<Vec<Extern>> {
        let mut out = Vec::with_capacity(module.imports.len());
        let mut problems = Vec::new();
        let ids = store.lookup_module_types(module);
        for imp in &module.imports {
            let what = import_desc(module, &imp.kind);
            match self.get(&imp.module, &imp.name) {
                None => problems.push(format!(
                    "unknown import: {}::{} {what}",
                    imp.module, imp.name
                )),
                Some(ext) => match check_import_with(store, &ids, &imp.kind, ext) {
                    Ok(()) => out.push(ext),
                    Err(why) => problems.push(format!(
                        "incompatible import type for {}::{} {what}: {why}",
                        imp.module, imp.name
                    )),
                },
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Error::link(problems.join("; ")))
        }
    }
}

fn import_desc(module: &Module, kind: &ImportKind) -> String {
    match kind {
        ImportKind::Func(t) => format!("(func {})", signature_string(&module.types[*t as usize])),
        ImportKind::Table(t) => format!("(table {} {:?})", t.initial, t.element_type),
        ImportKind::Memory(m) => format!("(memory {})", m.initial),
        ImportKind::Global(g) => format!(
            "(global {}{})",
            if g.mutable { "mut " } else { "" },
            valtype_name(g.content_type)
        ),
        ImportKind::Tag(t) => format!("(tag {})", signature_string(&module.types[*t as usize])),
    }
}

fn limits_match(initial: u64, max: Option<u64>, def_initial: u64, def_max: Option<u64>) -> bool {
    if def_initial < initial {
        return false;
    }
    match (max, def_max) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(m), Some(dm)) => dm <= m,
    }
}

/// Import matching as the spec defines it, with the module's canonical type
/// ids looked up once (`None`: a type the store has never seen, which
/// nothing in it has): function subtyping, tag type equality, limits.
fn check_import_with(
    store: &Store,
    ids: &[Option<u32>],
    kind: &ImportKind,
    ext: Extern,
) -> std::result::Result<(), String> {
    match (kind, ext) {
        (ImportKind::Func(t), Extern::Func(addr)) => {
            let have = store.funcs[addr as usize].type_id;
            match ids[*t as usize] {
                Some(want) if store.type_is_subtype(have, want) => Ok(()),
                _ => Err(format!(
                    "function has type {}",
                    signature_string(store.func_type(addr))
                )),
            }
        }
        (ImportKind::Tag(t), Extern::Tag(addr)) => {
            let have = store.tags[addr as usize].type_id;
            if ids[*t as usize] == Some(have) {
                Ok(())
            } else {
                Err(format!(
                    "tag has type {}",
                    signature_string(store.tag_type(addr))
                ))
            }
        }
        (ImportKind::Table(t), Extern::Table(addr)) => {
            let have = store.table_type(addr);
            let size = store.table_size(addr) as u64;
            if have.element_type != t.element_type || have.table64 != t.table64 {
                Err("table element types differ".into())
            } else if !limits_match(t.initial, t.maximum, size, have.maximum) {
                Err("table limits do not match".into())
            } else {
                Ok(())
            }
        }
        (ImportKind::Memory(m), Extern::Memory(addr)) => {
            let have = store.memory_type(addr);
            let pages = store.memory(addr).len() as u64 / super::store::PAGE_SIZE;
            if have.memory64 != m.memory64 {
                Err("memory index types differ (i32 and i64)".into())
            } else if !limits_match(m.initial, m.maximum, pages, have.maximum) {
                Err("memory limits do not match".into())
            } else {
                Ok(())
            }
        }
        (ImportKind::Global(g), Extern::Global(addr)) => {
            let have = store.global_type(addr);
            let fits = if g.mutable {
                have.content_type == g.content_type
            } else {
                value_type_fits(have.content_type, g.content_type)
            };
            if have.mutable != g.mutable || !fits {
                Err("global types differ".into())
            } else {
                Ok(())
            }
        }
        _ => Err("wrong kind of definition".into()),
    }
}

/// Whether a value of type `have` may stand where `want` is expected (an
/// immutable global's subtyping): equal number types, or references of one
/// hierarchy where a nullable `have` needs a nullable `want` and a concrete
/// `want` needs a concrete `have` (concrete types of two modules are not
/// compared here).
fn value_type_fits(have: wasmparser::ValType, want: wasmparser::ValType) -> bool {
    use crate::value::ref_class;
    use wasmparser::{HeapType, ValType};
    match (have, want) {
        (ValType::Ref(h), ValType::Ref(w)) => {
            let concrete =
                |t: wasmparser::RefType| !matches!(t.heap_type(), HeapType::Abstract { .. });
            ref_class(h) == ref_class(w)
                && (w.is_nullable() || !h.is_nullable())
                && (!concrete(w) || concrete(h))
        }
        (h, w) => h == w,
    }
}
