//! Wasm 3.0 in the interpreter, on the WAT fixtures of `fixtures/wasm3/`:
//! exception handling (both forms), tail calls, typed function references,
//! multiple memories, memory64 and table64.

use std::sync::Arc;

use super::*;
use crate::module::Module;
use crate::runtime::{Extern, Linker, StoreConfig};
use crate::trap::TrapCode;

fn instantiate(store: &mut Store, wat: &str) -> InstanceId {
    let module = Arc::new(Module::new(wat.as_bytes().to_vec()).expect("fixture is valid"));
    let imports = Linker::new().resolve(store, &module).expect("no imports");
    let (inst, start) = store.instantiate(module, &imports).expect("instantiates");
    assert!(start.is_none());
    inst
}

fn call(store: &mut Store, inst: InstanceId, name: &str, args: &[Value]) -> RunOutcome {
    let Some(Extern::Func(f)) = store.instance_export(inst, name) else {
        panic!("no function export {name}");
    };
    let mut exec = Execution::new(store, f, args).expect("arguments fit");
    exec.run(store, &mut RunControl::default())
}

fn returned(out: RunOutcome) -> Vec<Value> {
    match out {
        RunOutcome::Returned(v) => v,
        other => panic!("expected a return, got {other:?}"),
    }
}

const EH: &str = include_str!("../../../fixtures/wasm3/eh.wat");
const EH_LEGACY: &str = include_str!("../../../fixtures/wasm3/eh_legacy.wat");
const TAIL: &str = include_str!("../../../fixtures/wasm3/tail.wat");
const MULTIMEM: &str = include_str!("../../../fixtures/wasm3/multimem.wat");
const MEM64: &str = include_str!("../../../fixtures/wasm3/mem64.wat");

#[test]
fn try_table_catches_a_throw_from_a_callee() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, EH);
    // -2 and -1 are thrown and caught (1000 each); 0..3 are summed.
    let out = call(
        &mut store,
        inst,
        "sum_checked",
        &[Value::I32(-2), Value::I32(4)],
    );
    assert_eq!(returned(out), vec![Value::I32(2000 + 6)]);
}

#[test]
fn throw_ref_rethrows_the_caught_exception() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, EH);
    let out = call(&mut store, inst, "caught_all", &[Value::I32(-5)]);
    assert_eq!(returned(out), vec![Value::I32(1)]);
    let out = call(&mut store, inst, "caught_all", &[Value::I32(5)]);
    assert_eq!(returned(out), vec![Value::I32(0)]);
}

#[test]
fn an_uncaught_exception_ends_the_run_with_tag_payload_and_throw_site() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, EH);
    let f = match store.instance_export(inst, "boom") {
        Some(Extern::Func(f)) => f,
        other => panic!("{other:?}"),
    };
    let mut exec = Execution::new(&mut store, f, &[Value::I32(7)]).expect("fits");
    let RunOutcome::Trapped(t) = exec.run(&mut store, &mut RunControl::default()) else {
        panic!("expected an uncaught exception");
    };
    assert_eq!(t.code, TrapCode::UncaughtException);
    let e = t.exception.as_ref().expect("the exception");
    assert_eq!(e.tag_name.as_deref(), Some("fault"));
    assert_eq!(e.tag_index, Some(1));
    assert_eq!(e.payload, vec![Value::I32(7), Value::F64(2.5f64.to_bits())]);
    assert!(t.message.contains("fault(7, 2.5)"), "{}", t.message);
    // The backtrace is the throw site's: $deep, then the export.
    let names: Vec<_> = t
        .backtrace
        .iter()
        .map(|f| f.func_name.clone().unwrap_or_default())
        .collect();
    assert_eq!(names, ["deep", "boom"]);
    // And the frames stay as they were at the throw, for `bt`.
    let frames = exec.frames(&store);
    assert_eq!(frames.len(), 2);
    assert_eq!(
        frames[0].code_offset,
        t.backtrace[0].code_offset.expect("offset")
    );
}

#[test]
fn legacy_try_catch_rethrow_and_delegate() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, EH_LEGACY);
    let r = |s: &mut Store, name, x| returned(call(s, inst, name, &[Value::I32(x)]));
    assert_eq!(r(&mut store, "catch_plus", 5), vec![Value::I32(105)]);
    assert_eq!(r(&mut store, "catch_plus", 0), vec![Value::I32(0)]);
    assert_eq!(r(&mut store, "rethrown", 9), vec![Value::I32(9)]);
    assert_eq!(r(&mut store, "delegated", 4), vec![Value::I32(8)]);
    assert_eq!(r(&mut store, "delegated", 0), vec![Value::I32(0)]);
}

#[test]
fn tail_calls_run_in_constant_stack() {
    // A call depth limit far below the recursion depth: only tail calls fit.
    let mut store = Store::new(StoreConfig {
        max_call_depth: 100,
        ..StoreConfig::default()
    });
    let inst = instantiate(&mut store, TAIL);
    let out = call(&mut store, inst, "is_even", &[Value::I64(1_000_001)]);
    assert_eq!(returned(out), vec![Value::I32(0)]);
    // return_call_indirect alternates between two table entries: +1, +2.
    let out = call(&mut store, inst, "steps", &[Value::I64(100_000)]);
    assert_eq!(returned(out), vec![Value::I64(150_000)]);
    // return_call_ref: 1 + 2 + ... + n.
    let out = call(&mut store, inst, "triangle", &[Value::I64(200_000)]);
    assert_eq!(returned(out), vec![Value::I64(200_000 * 200_001 / 2)]);
}

#[test]
fn multiple_memories_are_separate() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, MULTIMEM);
    assert_eq!(
        returned(call(&mut store, inst, "sizes", &[])),
        vec![Value::I32(1), Value::I32(2)]
    );
    assert_eq!(
        returned(call(&mut store, inst, "load_a", &[Value::I32(1)])),
        vec![Value::I32(0)]
    );
    returned(call(&mut store, inst, "copy_to_a", &[Value::I32(5)]));
    assert_eq!(
        returned(call(&mut store, inst, "load_a", &[Value::I32(1)])),
        vec![Value::I32(b'e' as i32)]
    );
    returned(call(
        &mut store,
        inst,
        "store_b",
        &[Value::I32(70000), Value::I32(0x01020304)],
    ));
    assert_eq!(
        returned(call(&mut store, inst, "load_b", &[Value::I32(70000)])),
        vec![Value::I32(4)]
    );
    // Memory 1 ends at 2 pages; memory 0 (1 page) is untouched.
    let out = call(&mut store, inst, "load_b", &[Value::I32(2 * 65536)]);
    assert!(matches!(out, RunOutcome::Trapped(t) if t.code == TrapCode::MemoryOutOfBounds));
    assert_eq!(
        returned(call(&mut store, inst, "grow_b", &[Value::I32(2)])),
        vec![Value::I32(2)]
    );
    assert_eq!(
        returned(call(&mut store, inst, "grow_b", &[Value::I32(1)])),
        vec![Value::I32(-1)]
    );
}

#[test]
fn memory64_and_table64_take_i64_indices() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, MEM64);
    assert_eq!(
        returned(call(&mut store, inst, "load", &[Value::I64(100)])),
        vec![Value::I32(42)]
    );
    returned(call(
        &mut store,
        inst,
        "store",
        &[Value::I64(200), Value::I64(-3)],
    ));
    assert_eq!(
        returned(call(&mut store, inst, "load64", &[Value::I64(200)])),
        vec![Value::I64(-3)]
    );
    // An address past 4 GiB is out of bounds, not wrapped to a small one.
    let out = call(&mut store, inst, "load", &[Value::I64((1 << 32) + 100)]);
    assert!(matches!(out, RunOutcome::Trapped(t) if t.code == TrapCode::MemoryOutOfBounds));
    assert_eq!(
        returned(call(&mut store, inst, "size", &[])),
        vec![Value::I64(1)]
    );
    assert_eq!(
        returned(call(&mut store, inst, "grow", &[Value::I64(5)])),
        vec![Value::I64(-1)]
    );
    assert_eq!(
        returned(call(&mut store, inst, "grow", &[Value::I64(2)])),
        vec![Value::I64(1)]
    );
    assert_eq!(
        returned(call(&mut store, inst, "call", &[Value::I64(1)])),
        vec![Value::I32(7)]
    );
    let out = call(&mut store, inst, "call", &[Value::I64((1 << 32) + 1)]);
    assert!(matches!(out, RunOutcome::Trapped(t) if t.code == TrapCode::UndefinedElement));
    assert_eq!(
        returned(call(&mut store, inst, "table_size", &[])),
        vec![Value::I64(2)]
    );
}

#[test]
fn a_feature_beyond_wasm3_is_named_in_the_error() {
    let e = Module::new(b"(module (memory 1 1 shared))".to_vec()).expect_err("threads");
    assert!(
        e.message.contains("threads") && e.message.contains("beyond WebAssembly 3.0"),
        "{e}"
    );
    assert!(e.module_offset.is_some() && e.section.is_some(), "{e}");
    assert!(!e.message.contains("not enabled"), "{e}");
    let e = Module::new(b"(module (func (param i64 i64 i64 i64) (result i64 i64) local.get 0 local.get 1 local.get 2 local.get 3 i64.add128))".to_vec())
        .expect_err("wide arithmetic");
    assert!(e.message.contains("wide arithmetic"), "{e}");
}

const GC: &str = include_str!("../../../fixtures/wasm3/gc.wat");

#[test]
fn gc_structs_arrays_i31_and_casts() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, GC);
    let out = call(&mut store, inst, "point", &[Value::I32(3), Value::I32(4)]);
    assert_eq!(returned(out), vec![Value::I32(46)]);
    let out = call(&mut store, inst, "z3", &[]);
    assert_eq!(returned(out), vec![Value::I32(7)]);
    let out = call(&mut store, inst, "z2", &[]);
    assert_eq!(returned(out), vec![Value::I32(-1)]);
    // 0..=127 then -128..=-1 (sum -128), then 0..=43.
    let out = call(&mut store, inst, "bytes", &[Value::I32(300)]);
    let want: i32 = (0..300).map(|i| i as u8 as i8 as i32).sum();
    assert_eq!(returned(out), vec![Value::I32(want)]);
    let out = call(&mut store, inst, "i31", &[Value::I32(-5)]);
    assert_eq!(returned(out), vec![Value::I32(-5)]);
    let out = call(&mut store, inst, "churn", &[Value::I32(10)]);
    assert_eq!(returned(out), vec![Value::I32(9 + 8 + 7)]);
}

#[test]
fn gc_collects_short_lived_objects_and_keeps_live_ones() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, GC);
    // Three list cells per iteration (48 bytes of slots and headers each):
    // 300,000 iterations allocate about 43 MB, of which 3 cells stay live.
    let out = call(&mut store, inst, "churn", &[Value::I32(300_000)]);
    assert_eq!(returned(out), vec![Value::I32(299_999 + 299_998 + 299_997)]);
    assert!(store.gc.collections > 0, "no collection ran");
    assert!(
        store.gc.bytes < 16 << 20,
        "heap not bounded: {} bytes",
        store.gc.bytes
    );
    // Roots in a caller's local and operand stack, across the callee's
    // collections.
    let before = store.gc.collections;
    let out = call(&mut store, inst, "survive_call", &[Value::I32(300_000)]);
    assert_eq!(returned(out), vec![Value::I32(12)]);
    assert!(store.gc.collections > before);
    // The global's point survived every collection.
    let out = call(&mut store, inst, "z2", &[]);
    assert_eq!(returned(out), vec![Value::I32(-1)]);
    let out = call(&mut store, inst, "point", &[Value::I32(1), Value::I32(1)]);
    assert_eq!(returned(out), vec![Value::I32(23)]);
}
