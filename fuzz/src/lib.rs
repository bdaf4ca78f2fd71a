//! The checks behind wdb's fuzz targets, as plain functions over bytes so the
//! normal test suite can replay the seed corpora and every crash found
//! (the `corpus` and `integration` test binaries include this file with `#[path]`).
//!
//! Each function panics only on a real bug: a panic inside wdb, or a broken
//! invariant this harness checks (two engines disagreeing, a file outside the
//! sandbox touched). Bad input is supposed to produce an error, and is ignored.
//!
//! `diff.rs` holds the differential target (`diff_exec`), `wasi.rs` the
//! sandbox target (`wasi_paths`) and its fixture tree; this file the shared
//! store set-up, `decode` and `repl_parse`.

use std::sync::Arc;

use wdb_engine::module::ImportKind;
use wdb_engine::runtime::{Extern, HostFunc, Store, StoreConfig};
use wdb_engine::{ErrorKind, Module, Value};

mod diff;
mod wasi;

pub use diff::*;
pub use wasi::*;

/// The REPL's command parser, taken from the binary crate's source as is
/// (the repl crate has no library target; this is the least invasive way).
/// Left out when this file is compiled into the test suite (its `#[cfg(test)]
/// mod tests` would not resolve from here); the suite replays the REPL corpus
/// through the `wdb` binary instead.
#[cfg(not(test))]
#[rustfmt::skip]
#[path = "../../repl/src/parse.rs"]
#[allow(dead_code, clippy::all)]
pub mod repl_parse_src;

/// Limits for fuzzed modules: small enough that one input cannot take the
/// machine's memory, large enough for what wasm-smith generates.
pub fn fuzz_store_config() -> StoreConfig {
    StoreConfig {
        max_memory_bytes: 64 << 20,
        max_call_depth: 2_000,
        ..StoreConfig::default()
    }
}

/// Define a stand-in for every import of `module`: functions return zeros,
/// memories, tables and globals get the imported type. `None` when the store
/// refuses one (a limit), which is a clean error, not a bug.
pub fn stub_imports(store: &mut Store, module: &Module) -> Option<Vec<Extern>> {
    let mut out = Vec::with_capacity(module.imports.len());
    for imp in &module.imports {
        let ext = match imp.kind {
            ImportKind::Func(type_index) => {
                let ty = module.types[type_index as usize].clone();
                let f: HostFunc = Arc::new(|_caller, _params, results| {
                    for r in results.iter_mut() {
                        *r = Value::default_for(r.ty());
                    }
                    Ok(())
                });
                Extern::Func(store.add_host_func(ty, f))
            }
            ImportKind::Table(ty) => {
                let init = if ty.element_type.is_func_ref() {
                    Value::FuncRef(None)
                } else {
                    Value::ExternRef(None)
                };
                Extern::Table(store.add_table(ty, init).ok()?)
            }
            ImportKind::Memory(ty) => Extern::Memory(store.add_memory(ty).ok()?),
            ImportKind::Global(ty) => Extern::Global(
                store
                    .add_global(ty, Value::default_for(ty.content_type))
                    .ok()?,
            ),
            ImportKind::Tag(t) => Extern::Tag(store.add_tag(module.types[t as usize].clone())),
        };
        out.push(ext);
    }
    Some(out)
}

/// `decode`: arbitrary bytes -> `Module::new` -> instantiate against stubs ->
/// translate every defined function (a breakpoint at pc 0 forces it) and
/// read its DWARF, best effort. Nothing may panic; a module that validated
/// must translate.
pub fn decode(data: &[u8]) {
    if wdb_engine::component::is_component(data) {
        decode_component(data);
        return;
    }
    let Ok(module) = Module::new(data.to_vec()) else {
        return;
    };
    let module = Arc::new(module);
    let _ = wdb_debugger::dwarf::DebugInfo::load(&module, None);
    let mut store = Store::new(fuzz_store_config());
    let Some(imports) = stub_imports(&mut store, &module) else {
        return;
    };
    let Ok((inst, _start)) = store.instantiate(module.clone(), &imports) else {
        return;
    };
    for index in module.num_imported_funcs..module.num_funcs() {
        let func = store.instance_func(inst, index);
        match store.set_breakpoint(func, 0) {
            Ok(()) => store.clear_breakpoint(func, 0),
            Err(e) if e.kind == ErrorKind::Limit => {}
            Err(e) => panic!("function {index} validated but does not translate: {e}"),
        }
        let len = store.code_len(func).expect("translated above");
        if len > 0 {
            let _ = store.code_offset_from_pc(func, len - 1);
        }
    }
}

/// A component: decoded and validated (nested core modules included), its
/// imports checked against the WASI 0.2 host. Not instantiated: a start
/// function could run for ever.
fn decode_component(data: &[u8]) {
    let Ok(c) = wdb_engine::component::Component::new(data) else {
        return;
    };
    let host = wdb_engine::wasi::p2::P2Host::new(Default::default()).expect("no preopens");
    let _ = wdb_engine::component::instance::missing_imports(&c, &host);
    for m in &c.modules {
        assert!(m.num_funcs() >= m.num_imported_funcs);
    }
}

// ---------------------------------------------------------------------------
// repl_parse
// ---------------------------------------------------------------------------

/// `repl_parse`: every line through the REPL command parser and the
/// debugger's expression parser (the one grammar of `print`, conditions,
/// `watch`, `set var` and `x`). An error is fine; a panic is a bug.
pub fn repl_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text.lines().take(64) {
        #[cfg(not(test))]
        {
            let _ = repl_parse_src::parse(line);
            let _ = repl_parse_src::help(Some(line));
            let _ = repl_parse_src::parse_examine(line);
        }
        let _ = wdb_debugger::expr::parse(line);
    }
}
