//! Wasm 3.0 in JIT code: what the spec scripts and the differential test
//! cannot see from outside.

use std::sync::Arc;

use super::{JitEngine, OptLevel};
use super::{RunControl, RunOutcome};
use crate::module::Module;
use crate::runtime::{Extern, Store, StoreConfig};
use crate::value::Value;

/// A loop that throws and catches `n` times, in the exnref form (`loop`),
/// the legacy form (`legacy`), and with `catch_ref` (`kept`: the handler
/// has the exception, which must stay valid).
const THROW_LOOP: &str = r#"(module
  (tag $e (param i32))
  (global $last (mut exnref) (ref.null exn))
  (func $thrower (param $x i32) (result i32)
    (throw $e (local.get $x)))
  (func (export "loop") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc)
          (block $caught (result i32)
            (try_table (result i32) (catch $e $caught)
              (call $thrower (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "legacy") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc)
          try (result i32)
            (call $thrower (local.get $i))
          catch $e
          end))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "kept") (param $x i32)
    (block $caught (result i32 exnref)
      (drop (try_table (result i32) (catch_ref $e $caught)
        (call $thrower (local.get $x))))
      (return))
    (global.set $last)
    (drop))
  (func (export "rethrow_kept") (result i32)
    (block $caught (result i32)
      (try_table (result i32) (catch $e $caught)
        (throw_ref (global.get $last))))))"#;

fn call(
    jit: &mut JitEngine,
    store: &mut Store,
    inst: crate::runtime::InstanceId,
    name: &str,
    args: &[Value],
) -> Vec<Value> {
    let Some(Extern::Func(f)) = store.instance_export(inst, name) else {
        panic!("no export {name}");
    };
    match jit
        .call(store, f, args, &mut RunControl::default())
        .expect("runs")
    {
        RunOutcome::Returned(v) => v,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn caught_exceptions_that_no_code_sees_are_released() {
    let m = Arc::new(Module::new(wat::parse_str(THROW_LOOP).expect("wat")).expect("valid"));
    let mut store = Store::new(StoreConfig::default());
    let (inst, _) = store.instantiate(m, &[]).expect("instantiates");
    let mut jit = JitEngine::new(OptLevel::Speed);
    let n = 10_000;
    let sum = Value::I32((0..n).sum::<i32>());
    assert_eq!(
        call(&mut jit, &mut store, inst, "loop", &[Value::I32(n)]),
        [sum.clone()]
    );
    assert_eq!(store.exns.len(), 0, "catch without _ref keeps no exception");
    assert_eq!(
        call(&mut jit, &mut store, inst, "legacy", &[Value::I32(n)]),
        [sum]
    );
    assert_eq!(
        store.exns.len(),
        0,
        "a legacy catch without rethrow keeps none"
    );
    // catch_ref hands the exception to wasm code: it stays, and throwing it
    // again gives the same payload.
    assert_eq!(
        call(&mut jit, &mut store, inst, "kept", &[Value::I32(42)]),
        []
    );
    assert_eq!(store.exns.len(), 1);
    assert_eq!(
        call(&mut jit, &mut store, inst, "loop", &[Value::I32(3)]),
        [Value::I32(3)]
    );
    assert_eq!(
        call(&mut jit, &mut store, inst, "rethrow_kept", &[]),
        [Value::I32(42)]
    );
    assert_eq!(store.exns.len(), 1, "a rethrown exnref is not released");
}
