//! One way to launch a module, for the debugger's session, `wdb run` and
//! `wdb profile`: [`Prepared::new`] makes the store, links WASI, the
//! embedder's host functions and host-made tags, checks that every import is
//! satisfied (naming every missing one at once) and instantiates. Running
//! the start function and the entry point is the caller's: each runs them in
//! its own engine.

use std::fmt;
use std::sync::{Arc, Mutex};

use wdb_engine::module::{ImportKind, Module, signature_string};
use wdb_engine::runtime::{Extern, HostFunc, InstanceId, Linker, Store, StoreConfig};
use wdb_engine::value::{FuncAddr, Value, valtype_name};
use wdb_engine::wasi::{self, WasiConfig, WasiCtx};

/// Everything a module is linked against.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// The WASI host: arguments, environment, directories and stdio.
    pub wasi: WasiConfig,
    /// Host functions besides WASI (an embedder's `env` imports).
    pub host_imports: Vec<HostImport>,
    /// What a function import nothing provides becomes; `None`: launching
    /// fails, naming every missing import.
    pub unknown_imports: Option<UnknownImports>,
    /// Limits of the store.
    pub store: StoreConfig,
}

/// A linked, instantiated module whose start function has not run yet.
pub struct Prepared {
    pub store: Store,
    pub inst: InstanceId,
    /// The module's start function, for the caller to run first.
    pub start: Option<FuncAddr>,
    pub wasi: Arc<Mutex<WasiCtx>>,
}

/// Why a module could not be launched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchError {
    pub kind: LaunchErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchErrorKind {
    /// The WASI host could not be set up (a directory that cannot be opened).
    Host,
    /// Imports nothing satisfies.
    Link,
    /// Instantiation failed (a segment out of bounds...).
    Instantiate,
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LaunchError {}

impl From<LaunchError> for String {
    fn from(e: LaunchError) -> String {
        e.message
    }
}

fn error(kind: LaunchErrorKind, message: impl Into<String>) -> LaunchError {
    LaunchError {
        kind,
        message: message.into(),
    }
}

impl HostOptions {
    /// The host functions `module` is linked against: `host_imports`, and
    /// the stubs `unknown_imports` asks for.
    fn all_imports(&self, module: &Module) -> Vec<HostImport> {
        let mut all = self.host_imports.clone();
        if let Some(how) = self.unknown_imports {
            all.extend(stub_unknown_imports(module, &self.host_imports, how));
        }
        all
    }

    /// Whether everything `module` imports is provided (the error
    /// [`Prepared::new`] would give), without making anything.
    pub fn check(&self, module: &Module, name: &str) -> Result<(), LaunchError> {
        check_imports(
            module,
            name,
            &self.all_imports(module),
            self.unknown_imports,
        )
    }
}

impl Prepared {
    /// Link `module` against `opts` and instantiate it. `name` names the
    /// module in the error for missing imports (its file).
    pub fn new(
        module: &Arc<Module>,
        name: &str,
        opts: HostOptions,
    ) -> Result<Prepared, LaunchError> {
        let host_imports = opts.all_imports(module);
        check_imports(module, name, &host_imports, opts.unknown_imports)?;
        let mut store = Store::new(opts.store);
        let wasi = Arc::new(Mutex::new(WasiCtx::new(opts.wasi).map_err(|e| {
            error(LaunchErrorKind::Host, crate::runner::engine_message(&e))
        })?));
        let mut linker = Linker::new();
        wasi::add_to_linker(&mut linker, &mut store, wasi.clone())
            .map_err(|e| error(LaunchErrorKind::Link, e.to_string()))?;
        for h in &host_imports {
            linker.func(&mut store, &h.module, &h.name, h.ty.clone(), h.func.clone());
        }
        define_imported_tags(&mut linker, &mut store, module);
        let imports = linker
            .resolve(&store, module)
            .map_err(|e| error(LaunchErrorKind::Link, e.to_string()))?;
        let (inst, start) = store
            .instantiate(module.clone(), &imports)
            .map_err(|e| error(LaunchErrorKind::Instantiate, e.to_string()))?;
        Ok(Prepared {
            store,
            inst,
            start,
            wasi,
        })
    }
}

/// The one error for imports nothing provides: every one of them, and how to
/// run anyway when they are all functions.
fn check_imports(
    module: &Module,
    name: &str,
    host_imports: &[HostImport],
    unknown_imports: Option<UnknownImports>,
) -> Result<(), LaunchError> {
    let missing = unsupported_imports(module, host_imports);
    if missing.is_empty() {
        return Ok(());
    }
    let hint = if unknown_imports.is_none()
        && unsatisfied_funcs(module, host_imports).len() == missing.len()
    {
        "\n(--unknown-imports=trap runs it anyway, each call to one of them trapping; \
         --unknown-imports=default makes them return zeros)"
    } else {
        ""
    };
    Err(error(
        LaunchErrorKind::Link,
        format!(
            "{name} imports what wdb does not provide (only {} is):\n  {}{hint}",
            wasi::MODULE,
            missing.join("\n  ")
        ),
    ))
}

/// Define a fresh tag for every imported exception tag the linker has not
/// got. A tag is only an identity, so the host can make one: LLVM imports
/// its exception tag (`env::__cpp_exception`) in programs built with
/// `-fwasm-exceptions` or Rust's `-Cpanic=unwind`, and throws and catches it
/// itself. Each distinct `module::name` gets one tag.
fn define_imported_tags(linker: &mut Linker, store: &mut Store, module: &Module) {
    for imp in &module.imports {
        if let ImportKind::Tag(ty) = imp.kind
            && linker.get(&imp.module, &imp.name).is_none()
        {
            let addr = store.add_tag(module.types[ty as usize].clone());
            linker.define(&imp.module, &imp.name, Extern::Tag(addr));
        }
    }
}

/// `--unknown-imports=trap|default` (wasmtime's `-W unknown-imports-trap`
/// and `unknown-imports-default`): a function import the host cannot
/// satisfy is defined anyway, as a function that traps naming it, or one
/// that returns zeros (null references). Other kinds of imports still fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownImports {
    Trap,
    Default,
}

impl UnknownImports {
    /// `trap|default`.
    pub fn parse(s: &str) -> Option<UnknownImports> {
        match s {
            "trap" => Some(UnknownImports::Trap),
            "default" => Some(UnknownImports::Default),
            _ => None,
        }
    }
}

/// Every function import of `module` that is not a preview1 function of
/// the right type nor in `extra`: `(index in module.imports, type)`.
fn unsatisfied_funcs(module: &Module, extra: &[HostImport]) -> Vec<(usize, wasmparser::FuncType)> {
    module
        .imports
        .iter()
        .enumerate()
        .filter_map(|(i, imp)| {
            let ImportKind::Func(t) = imp.kind else {
                return None;
            };
            let ty = &module.types[t as usize];
            let ok = (imp.module == wasi::MODULE
                && wasi::func_type(&imp.name).is_some_and(|w| &w == ty))
                || extra
                    .iter()
                    .any(|h| h.module == imp.module && h.name == imp.name && &h.ty == ty);
            (!ok).then(|| (i, ty.clone()))
        })
        .collect()
}

/// Host functions for the function imports nothing provides, as
/// `--unknown-imports` asks: each traps with a message naming its import,
/// or leaves its results zero.
fn stub_unknown_imports(
    module: &Module,
    extra: &[HostImport],
    how: UnknownImports,
) -> Vec<HostImport> {
    unsatisfied_funcs(module, extra)
        .into_iter()
        .map(|(i, ty)| {
            let imp = &module.imports[i];
            let results: Vec<_> = ty.results().to_vec();
            let func: HostFunc = match how {
                UnknownImports::Trap => {
                    let msg = format!(
                        "call to unknown import {}::{} (--unknown-imports=trap)",
                        imp.module, imp.name
                    );
                    Arc::new(move |_, _, _| Err(wdb_engine::runtime::HostError::Trap(msg.clone())))
                }
                UnknownImports::Default => Arc::new(move |_, _, out: &mut [Value]| {
                    for (o, t) in out.iter_mut().zip(&results) {
                        *o = Value::default_for(*t);
                    }
                    Ok(())
                }),
            };
            HostImport {
                module: imp.module.clone(),
                name: imp.name.clone(),
                ty,
                func,
            }
        })
        .collect()
}

/// A host function the module may import, besides WASI.
#[derive(Clone)]
pub struct HostImport {
    pub module: String,
    pub name: String,
    pub ty: wasmparser::FuncType,
    pub func: HostFunc,
}

impl fmt::Debug for HostImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HostImport({}::{} {})",
            self.module,
            self.name,
            signature_string(&self.ty)
        )
    }
}

/// Every import that is not a preview1 function of the right type, one per
/// line, e.g. `env::log (func (param i32))`.
pub fn unsupported_imports(module: &Module, extra: &[HostImport]) -> Vec<String> {
    let mut out = Vec::new();
    for imp in &module.imports {
        let desc = match imp.kind {
            ImportKind::Func(t) => {
                let ty = &module.types[t as usize];
                let ok = (imp.module == wasi::MODULE
                    && wasi::func_type(&imp.name).is_some_and(|w| &w == ty))
                    || extra
                        .iter()
                        .any(|h| h.module == imp.module && h.name == imp.name && &h.ty == ty);
                if ok {
                    continue;
                }
                let sig = signature_string(ty);
                if sig.is_empty() {
                    "(func)".to_string()
                } else {
                    format!("(func {sig})")
                }
            }
            ImportKind::Memory(m) => format!(
                "(memory {}{})",
                m.initial,
                m.maximum.map(|x| format!(" {x}")).unwrap_or_default()
            ),
            ImportKind::Table(t) => format!("(table {} {:?})", t.initial, t.element_type),
            ImportKind::Global(g) => format!(
                "(global {}{})",
                if g.mutable { "mut " } else { "" },
                valtype_name(g.content_type)
            ),
            // The host makes any tag (`host::define_imported_tags`).
            ImportKind::Tag(_) => continue,
        };
        out.push(format!("{}::{} {desc}", imp.module, imp.name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(wat: &str) -> Arc<Module> {
        Arc::new(Module::new(wat::parse_str(wat).expect("valid wat")).expect("valid module"))
    }

    const STRAY: &str = r#"(module
        (import "env" "f" (func (param i32) (result i32)))
        (import "env" "mem" (memory 1))
        (import "env" "g" (func))
        (import "env" "__cpp_exception" (tag (param i32)))
        (func (export "call_f") (result i32) (call 0 (i32.const 7))))"#;

    #[test]
    fn every_missing_import_is_named_at_once() {
        let m = module(STRAY);
        let e = Prepared::new(&m, "stray.wasm", HostOptions::default())
            .err()
            .expect("env imports are missing");
        assert_eq!(e.kind, LaunchErrorKind::Link);
        assert_eq!(
            e.message,
            "stray.wasm imports what wdb does not provide (only wasi_snapshot_preview1 is):\n  \
             env::f (func (param i32) (result i32))\n  env::mem (memory 1)\n  env::g (func)"
        );
        // The same words without making anything.
        assert_eq!(HostOptions::default().check(&m, "stray.wasm"), Err(e));
    }

    #[test]
    fn functions_alone_missing_get_the_unknown_imports_hint() {
        let m = module(r#"(module (import "env" "g" (func)) (import "env" "t" (tag)))"#);
        let e = HostOptions::default().check(&m, "m.wasm").unwrap_err();
        assert!(e.message.ends_with(
            "  env::g (func)\n(--unknown-imports=trap runs it anyway, each call to one of them trapping; \
             --unknown-imports=default makes them return zeros)"
        ), "{}", e.message);
    }

    #[test]
    fn stubbed_functions_and_host_made_tags_instantiate() {
        let m = module(
            r#"(module
                (import "env" "f" (func (param i32) (result i32)))
                (import "env" "__cpp_exception" (tag (param i32)))
                (func (export "call_f") (result i32) (call 0 (i32.const 7))))"#,
        );
        for how in [UnknownImports::Trap, UnknownImports::Default] {
            let p = Prepared::new(
                &m,
                "m.wasm",
                HostOptions {
                    unknown_imports: Some(how),
                    ..HostOptions::default()
                },
            );
            let mut p = p.unwrap_or_else(|e| panic!("{how:?}: {e}"));
            assert!(p.start.is_none());
            let Some(Extern::Func(f)) = p.store.instance_export(p.inst, "call_f") else {
                panic!("call_f is exported");
            };
            let mut exec =
                wdb_engine::interp::Execution::new(&mut p.store, f, &[]).expect("no arguments");
            let out = exec.run(&mut p.store, &mut wdb_engine::interp::RunControl::default());
            match (how, out) {
                (UnknownImports::Trap, wdb_engine::interp::RunOutcome::Trapped(t)) => assert!(
                    t.message
                        .contains("call to unknown import env::f (--unknown-imports=trap)"),
                    "{}",
                    t.message
                ),
                (UnknownImports::Default, wdb_engine::interp::RunOutcome::Returned(v)) => {
                    assert_eq!(v, [Value::I32(0)])
                }
                (how, other) => panic!("{how:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_segment_out_of_bounds_fails_instantiation() {
        let m = module(r#"(module (memory 1) (data (i32.const 65535) "ab"))"#);
        let e = Prepared::new(&m, "m.wasm", HostOptions::default())
            .err()
            .expect("the segment is out of bounds");
        assert_eq!(e.kind, LaunchErrorKind::Instantiate);
    }
}
