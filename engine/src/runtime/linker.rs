//! The linker: names (`module`, `name`) -> store addresses, resolved against a
//! module's imports with type checks; missing imports are all named at once.

use std::collections::HashMap;

use super::{Extern, HostFunc, InstanceId, Store};
use crate::error::Result;
use crate::module::Module;

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

    /// Resolve a module's imports in order. ENGINE HELPER: check each import's
    /// type against the definition (function signature, table/memory limits,
    /// global type and mutability) and report every missing or mismatched
    /// import in one `ErrorKind::Link` error (`unknown import: wasi_snapshot_preview1::fd_read (func (param i32 ...))`).
    pub fn resolve(&self, store: &Store, module: &Module) -> Result<Vec<Extern>> {
        let _ = (store, module);
        todo!("engine helper")
    }
}
