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
        for imp in &module.imports {
            let what = import_desc(module, &imp.kind);
            match self.get(&imp.module, &imp.name) {
                None => problems.push(format!(
                    "unknown import: {}::{} {what}",
                    imp.module, imp.name
                )),
                Some(ext) => match check_import(store, module, &imp.kind, ext) {
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

/// Import matching as the spec defines it (structural function types,
/// limits subtyping, exact global types).
pub(crate) fn check_import(
    store: &Store,
    module: &Module,
    kind: &ImportKind,
    ext: Extern,
) -> std::result::Result<(), String> {
    match (kind, ext) {
        (ImportKind::Func(t), Extern::Func(addr)) => {
            let want = &module.types[*t as usize];
            let have = store.func_type(addr);
            if want == have {
                Ok(())
            } else {
                Err(format!("function has type {}", signature_string(have)))
            }
        }
        (ImportKind::Table(t), Extern::Table(addr)) => {
            let have = store.table_type(addr);
            let size = store.table_size(addr) as u64;
            if have.element_type != t.element_type {
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
            if !limits_match(m.initial, m.maximum, pages, have.maximum) {
                Err("memory limits do not match".into())
            } else {
                Ok(())
            }
        }
        (ImportKind::Global(g), Extern::Global(addr)) => {
            let have = store.global_type(addr);
            if have.mutable != g.mutable || have.content_type != g.content_type {
                Err("global types differ".into())
            } else {
                Ok(())
            }
        }
        _ => Err("wrong kind of definition".into()),
    }
}
