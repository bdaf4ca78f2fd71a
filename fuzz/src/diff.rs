//! `diff_exec`: a wasm-smith module run on the interpreter and the JIT must
//! give the same results, traps, globals, tables and memory.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use wdb_engine::interp::{Execution, PauseReason, RunControl, RunOutcome};
use wdb_engine::runtime::{Extern, InstanceId, Store};
use wdb_engine::value::FuncAddr;
use wdb_engine::{ErrorKind, Module, Value};

use super::{fuzz_store_config, stub_imports};

/// Imports wasm-smith may use: the spec test suite's `spectest` module.
const SPECTEST_IMPORTS: &str = r#"(module
  (import "spectest" "print" (func))
  (import "spectest" "print_i32" (func (param i32)))
  (import "spectest" "print_i64" (func (param i64)))
  (import "spectest" "print_f32" (func (param f32)))
  (import "spectest" "print_f64" (func (param f64)))
  (import "spectest" "print_i32_f32" (func (param i32 f32)))
  (import "spectest" "print_f64_f64" (func (param f64 f64)))
  (import "spectest" "global_i32" (global i32))
  (import "spectest" "global_i64" (global i64))
  (import "spectest" "global_f32" (global f32))
  (import "spectest" "global_f64" (global f64))
  (import "spectest" "table" (table 10 20 funcref))
  (import "spectest" "memory" (memory 1 2)))"#;

/// A wasm-smith configuration for Wasm 3.0 without GC (what every engine of
/// wdb runs): tail calls, exceptions, relaxed SIMD, memory64, multiple
/// memories, extended constants on top of Wasm 2.0.
pub fn smith_config() -> wasm_smith::Config {
    static IMPORTS: OnceLock<Vec<u8>> = OnceLock::new();
    let imports = IMPORTS
        .get_or_init(|| wat::parse_str(SPECTEST_IMPORTS).expect("spectest imports parse"))
        .clone();
    wasm_smith::Config {
        available_imports: Some(imports),
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        simd_enabled: true,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        relaxed_simd_enabled: true,
        tail_call_enabled: true,
        exceptions_enabled: true,
        gc_enabled: true,
        memory64_enabled: true,
        threads_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: true,
        compact_imports_enabled: false,
        shared_everything_threads_enabled: false,
        max_memories: 2,
        max_memory64_bytes: 16 * 65536,
        max_tables: 2,
        max_memory32_bytes: 16 * 65536,
        max_table_elements: 1_000,
        max_imports: 8,
        max_funcs: 30,
        max_instructions: 200,
        canonicalize_nans: true,
        export_everything: true,
        ..wasm_smith::Config::default()
    }
}

/// Engines the differential target compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Interp,
    Jit,
}

/// What one engine did with a module, comparably.
#[derive(Debug, PartialEq, Eq)]
pub struct Observed {
    /// One line per call (start function, then each export): outcome.
    pub calls: Vec<String>,
    /// Globals, tables and a hash of memory after the calls; `None` when a
    /// call ran out of fuel (the engines count fuel differently: the
    /// interpreter per instruction, the JIT per function entry and loop
    /// header), so the state is not comparable past that point.
    pub state: Option<String>,
}

const INTERP_FUEL: u64 = 200_000;

fn describe(o: &RunOutcome) -> String {
    match o {
        // A GC object's reference is its place in the heap, which two
        // engines may choose differently (collections run at different
        // points): only its kind is compared.
        RunOutcome::Returned(v) => {
            let v: Vec<String> = v
                .iter()
                .map(|x| match x {
                    Value::AnyRef(Some(r)) if r & 7 == 0 => "AnyRef(object)".to_string(),
                    other => format!("{other:?}"),
                })
                .collect();
            format!("returned [{}]", v.join(", "))
        }
        RunOutcome::Trapped(t) => format!("trap {:?}: {}", t.code, t.message),
        RunOutcome::OutOfFuel => "out of fuel".into(),
        RunOutcome::Paused(PauseReason::Interrupted) => "interrupted".into(),
        other => format!("{other:?}"),
    }
}

fn run_one(
    engine: Engine,
    jit: &mut Option<wdb_engine::jit::JitEngine>,
    store: &mut Store,
    func: FuncAddr,
    args: &[Value],
) -> RunOutcome {
    match engine {
        Engine::Interp => {
            let mut ctl = RunControl {
                fuel: Some(INTERP_FUEL),
                ..RunControl::default()
            };
            let mut exec = Execution::new(store, func, args).expect("arguments match the type");
            exec.run(store, &mut ctl)
        }
        Engine::Jit => {
            // Fuel units are coarser in the JIT (one per entry and loop
            // header): this budget lets it run at least as far.
            let mut ctl = RunControl {
                fuel: Some(INTERP_FUEL),
                ..RunControl::default()
            };
            let jit = jit.get_or_insert_with(|| {
                let mut j = wdb_engine::jit::JitEngine::new(wdb_engine::jit::OptLevel::Speed);
                j.fuel = true;
                j
            });
            match jit.call(store, func, args, &mut ctl) {
                Ok(o) => o,
                Err(e) => panic!("the JIT refused a valid module: {e}"),
            }
        }
    }
}

/// Instantiate `module` on `engine`, run its start function and every
/// exported function with zero arguments, and record what happened.
pub fn observe(engine: Engine, module: &Arc<Module>) -> Observed {
    let mut store = Store::new(fuzz_store_config());
    let mut calls = Vec::new();
    let Some(imports) = stub_imports(&mut store, module) else {
        return Observed {
            calls: vec!["imports refused".into()],
            state: None,
        };
    };
    let (inst, start) = match store.instantiate(module.clone(), &imports) {
        Ok(x) => x,
        Err(e) => {
            return Observed {
                calls: vec![format!("instantiate: {e}")],
                state: None,
            };
        }
    };
    let mut jit = None;
    let mut comparable = true;
    let mut run = |store: &mut Store, name: &str, func: FuncAddr, calls: &mut Vec<String>| {
        let args: Vec<Value> = store
            .func_type(func)
            .params()
            .iter()
            .map(|t| Value::default_for(*t))
            .collect();
        let out = run_one(engine, &mut jit, store, func, &args);
        calls.push(format!("{name}: {}", describe(&out)));
        !matches!(
            out,
            RunOutcome::OutOfFuel | RunOutcome::Paused(_) | RunOutcome::Exited(_)
        )
    };
    if let Some(start) = start {
        comparable = run(&mut store, "<start>", start, &mut calls);
    }
    if comparable {
        for e in &module.exports {
            if let Some(Extern::Func(f)) = store.instance_export(inst, &e.name)
                && !run(&mut store, &e.name, f, &mut calls)
            {
                comparable = false;
                break;
            }
        }
    }
    let state = comparable.then(|| state_of(&store, module, inst));
    Observed { calls, state }
}

fn state_of(store: &Store, module: &Module, inst: InstanceId) -> String {
    let mut s = String::new();
    for g in 0..module.globals.len() as u32 {
        let v = store.global_get(store.instance_global(inst, g));
        s.push_str(&format!("global {g} = {v:?}\n"));
    }
    for t in 0..module.tables.len() as u32 {
        let addr = store.instance_table(inst, t);
        let n = store.table_size(addr);
        let mut h = DefaultHasher::new();
        for i in 0..n {
            store
                .table_get(addr, i)
                .map(|v| format!("{v:?}"))
                .hash(&mut h);
        }
        s.push_str(&format!("table {t}: {n} elements, hash {:x}\n", h.finish()));
    }
    if let Some(m) = store.instance_memory(inst) {
        let bytes = store.memory(m);
        let mut h = DefaultHasher::new();
        bytes.hash(&mut h);
        s.push_str(&format!(
            "memory: {} bytes, hash {:x}\n",
            bytes.len(),
            h.finish()
        ));
    }
    s
}

/// Compare two observations: calls up to the first one that ran out of fuel,
/// and the final state when both are comparable.
pub fn compare(a: &Observed, b: &Observed) -> Result<(), String> {
    for (x, y) in a.calls.iter().zip(&b.calls) {
        let inconclusive = |s: &str| s.ends_with("out of fuel") || s.ends_with("interrupted");
        if inconclusive(x) || inconclusive(y) {
            return Ok(());
        }
        if x != y {
            return Err(format!("interp: {x}\n   jit: {y}"));
        }
    }
    if a.calls.len() != b.calls.len() {
        return Err(format!("calls differ: {:?} vs {:?}", a.calls, b.calls));
    }
    if let (Some(x), Some(y)) = (&a.state, &b.state)
        && x != y
    {
        return Err(format!("final state differs:\ninterp:\n{x}jit:\n{y}"));
    }
    Ok(())
}

/// `diff_exec`: a wasm-smith module run on the interpreter and the JIT must
/// give the same results, traps, globals, tables and memory.
pub fn diff_exec(data: &[u8]) {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(smith) = wasm_smith::Module::new(smith_config(), &mut u) else {
        return;
    };
    diff_exec_wasm(&smith.to_bytes());
}

/// The differential check on a given binary (regression inputs are stored as
/// `.wasm` so they stay readable with `wasm-tools print`).
pub fn diff_exec_wasm(wasm: &[u8]) {
    let module = match Module::new(wasm.to_vec()) {
        Ok(m) => Arc::new(m),
        Err(e) if e.kind == ErrorKind::Limit => return,
        Err(e) => panic!("wdb rejects a valid wasm-smith module: {e}"),
    };
    let a = observe(Engine::Interp, &module);
    let b = observe(Engine::Jit, &module);
    if let Err(d) = compare(&a, &b) {
        panic!("engines disagree:\n{d}");
    }
}
