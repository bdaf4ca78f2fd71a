//! The JIT compiles a function on its first call: a module with 100,000
//! functions costs, from load to the first result, what the called
//! functions cost (it used to compile all of them: about 50 s in a debug
//! build). Calls into not-yet-compiled functions from JIT code, through
//! `call_indirect` and from the host all compile on demand; AOT
//! (`wdb compile`) still compiles everything.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasm_encoder as we;
use wdb_engine::interp::{RunControl, RunOutcome};
use wdb_engine::jit::{CompiledModule, JitEngine, OptLevel, aot};
use wdb_engine::runtime::{Extern, Store, StoreConfig};
use wdb_engine::{Module, Value};

/// `n` functions `f{i}() -> i`, plus `callall() -> i32` calling f0, f1 and
/// (indirectly, through a table of all of them) f{n-1}, summing the results.
fn many_functions(n: u32) -> Vec<u8> {
    let mut m = we::Module::new();
    let mut types = we::TypeSection::new();
    types.ty().function([], [we::ValType::I32]);
    m.section(&types);
    let mut funcs = we::FunctionSection::new();
    for _ in 0..=n {
        funcs.function(0);
    }
    m.section(&funcs);
    let mut tables = we::TableSection::new();
    tables.table(we::TableType {
        element_type: we::RefType::FUNCREF,
        minimum: n as u64,
        maximum: None,
        table64: false,
        shared: false,
    });
    m.section(&tables);
    let mut exports = we::ExportSection::new();
    for i in [0, n / 2, n - 1] {
        exports.export(&format!("f{i}"), we::ExportKind::Func, i);
    }
    exports.export("callall", we::ExportKind::Func, n);
    m.section(&exports);
    let mut elems = we::ElementSection::new();
    let all: Vec<u32> = (0..n).collect();
    elems.active(
        Some(0),
        &we::ConstExpr::i32_const(0),
        we::Elements::Functions(all.into()),
    );
    m.section(&elems);
    let mut code = we::CodeSection::new();
    for i in 0..n {
        let mut f = we::Function::new([]);
        f.instructions().i32_const(i as i32).end();
        code.function(&f);
    }
    let mut f = we::Function::new([]);
    f.instructions()
        .call(0)
        .call(1)
        .i32_add()
        .i32_const(n as i32 - 1)
        .call_indirect(0, 0)
        .i32_add()
        .end();
    code.function(&f);
    m.section(&code);
    m.finish()
}

fn export(store: &Store, inst: wdb_engine::runtime::InstanceId, name: &str) -> u32 {
    match store.instance_export(inst, name) {
        Some(Extern::Func(f)) => f,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn a_module_with_100_000_functions_jit_compiles_only_what_runs() {
    const N: u32 = 100_000;
    let t0 = Instant::now();
    let module = Arc::new(Module::new(many_functions(N)).expect("module loads"));
    let mut store = Store::new(StoreConfig::default());
    let (inst, _) = store
        .instantiate(module.clone(), &[])
        .expect("instantiates");
    let mut jit = JitEngine::new(OptLevel::Speed);
    let f = export(&store, inst, &format!("f{}", N - 1));
    let r = jit
        .call(&mut store, f, &[], &mut RunControl::default())
        .expect("runs");
    let first = t0.elapsed();
    assert_eq!(r, RunOutcome::Returned(vec![Value::I32(N as i32 - 1)]));
    eprintln!("100,000 functions: load to first JIT result {first:?}");
    let compiled = jit.compiled(&module).expect("compiled");
    assert_eq!(compiled.compiled_functions(), 1, "only the called function");

    // JIT code calling functions never called before, directly and
    // through the table (f{N-1} is compiled already, f0 and f1 are not).
    let all = export(&store, inst, "callall");
    let r = jit
        .call(&mut store, all, &[], &mut RunControl::default())
        .expect("runs");
    assert_eq!(r, RunOutcome::Returned(vec![Value::I32(1 + N as i32 - 1)]));
    assert_eq!(compiled.compiled_functions(), 4);
    // Generous for a loaded debug build; compiling all took ~50 s.
    assert!(first < Duration::from_secs(20), "took {first:?}");
}

#[test]
fn aot_still_compiles_every_function() {
    let module = Arc::new(Module::new(many_functions(50)).expect("module loads"));
    let bytes = aot::compile_universal(&module, OptLevel::Speed, &mut |_, _| {}).expect("compiles");
    let universal = Arc::new(Module::new(bytes).expect("valid"));
    let c = CompiledModule::load_aot(universal.clone())
        .expect("loads")
        .expect("has the section");
    assert_eq!(c.compiled_functions(), 51);
    let eager = CompiledModule::compile_eager(module, OptLevel::Speed).expect("compiles");
    assert_eq!(eager.compiled_functions(), 51);
    // And the AOT code runs.
    let mut store = Store::new(StoreConfig::default());
    let (inst, _) = store.instantiate(universal, &[]).expect("instantiates");
    let mut jit = JitEngine::new(OptLevel::Speed);
    jit.add_compiled(Arc::new(c));
    let all = export(&store, inst, "callall");
    let r = jit
        .call(&mut store, all, &[], &mut RunControl::default())
        .expect("runs");
    assert_eq!(r, RunOutcome::Returned(vec![Value::I32(1 + 49)]));
}
