//! Wasm 3.0 in JIT code: what the spec scripts and the differential test
//! cannot see from outside.

use std::sync::Arc;

use super::{JitEngine, OptLevel};
use crate::interp::{RunControl, RunOutcome};
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

/// A GC program whose JIT frames hold references (in locals, on the
/// operand stack, in a deep recursion) while callees allocate enough to
/// collect many times: every object they hold must survive, and the heap
/// stays small (the garbage is freed).
const GC_ROOTS: &str = r#"(module
  (type $cell (struct (field $v i32) (field $next (ref null $cell))))
  (type $arr (array (mut (ref null $cell))))
  ;; allocate n short-lived cells; returns n
  (func $churn (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (drop (struct.new $cell (local.get $i) (ref.null $cell)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func $sum (param $c (ref null $cell)) (result i32)
    (if (result i32) (ref.is_null (local.get $c))
      (then (i32.const 0))
      (else (i32.add (struct.get $cell $v (local.get $c))
        (call $sum (struct.get $cell $next (local.get $c)))))))
  ;; depth d: a cell in a local, one on the operand stack across the
  ;; churning call, then the list of both below: sum over all levels
  (func $deep (export "deep") (param $d i32) (param $n i32) (result i32)
    (local $mine (ref null $cell))
    (if (i32.eqz (local.get $d)) (then (return (call $churn (local.get $n)))))
    (local.set $mine (struct.new $cell (local.get $d) (ref.null $cell)))
    (i32.add
      (struct.get $cell $v
        (struct.new $cell
          (i32.add (call $deep (i32.sub (local.get $d) (i32.const 1)) (local.get $n))
                   (i32.const 0))
          (local.get $mine)))
      (call $sum (local.get $mine))))
  ;; an array of cells filled while collecting: the array's elements stay
  (func (export "array") (param $n i32) (result i32)
    (local $a (ref $arr)) (local $i i32) (local $s i32)
    (local.set $a (array.new_default $arr (i32.const 100)))
    (loop $fill
      (array.set $arr (local.get $a) (local.get $i)
        (struct.new $cell (local.get $i)
          (struct.new $cell (call $churn (local.get $n)) (ref.null $cell))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 100))))
    (local.set $i (i32.const 0))
    (loop $add
      (local.set $s (i32.add (local.get $s)
        (call $sum (array.get $arr (local.get $a) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $add (i32.lt_u (local.get $i) (i32.const 100))))
    (local.get $s)))"#;

#[test]
fn jit_frames_keep_their_gc_references_across_collections() {
    let m = Arc::new(Module::new(wat::parse_str(GC_ROOTS).expect("wat")).expect("valid"));
    let mut store = Store::new(StoreConfig::default());
    let (inst, _) = store.instantiate(m, &[]).expect("instantiates");
    let mut jit = JitEngine::new(OptLevel::Speed);
    // 20 levels, each holding two cells; 200k cells of garbage at the bottom.
    let n = 200_000;
    let want = n + (1..=20).sum::<i32>();
    assert_eq!(
        call(
            &mut jit,
            &mut store,
            inst,
            "deep",
            &[Value::I32(20), Value::I32(n)]
        ),
        [Value::I32(want)]
    );
    let after_deep = store.gc.collections;
    assert!(after_deep > 0, "the churn collected");
    // 100 pairs (i, n) kept in an array while 100 * 20k cells churn.
    let n = 20_000;
    let want = (0..100).sum::<i32>() + 100 * n;
    assert_eq!(
        call(&mut jit, &mut store, inst, "array", &[Value::I32(n)]),
        [Value::I32(want)]
    );
    assert!(store.gc.collections > after_deep);
    assert!(
        store.gc.bytes < 8 << 20,
        "garbage is freed: {} bytes held",
        store.gc.bytes
    );
}

#[test]
fn aot_code_and_shared_objects_keep_their_gc_references_and_collect() {
    use super::{CompiledModule, aot};
    let module = Arc::new(Module::new(wat::parse_str(GC_ROOTS).expect("wat")).expect("valid"));
    let universal =
        aot::compile_universal(&module, OptLevel::Speed, &mut |_, _| {}).expect("compiles");
    let m2 = Arc::new(Module::new(universal).expect("valid"));
    let aot_code = CompiledModule::load_aot(m2)
        .expect("loads")
        .expect("has code");
    let dir = tempfile::tempdir().expect("temp dir");
    let so = dir.path().join("gc_roots.so");
    aot::write_shared_object(&module, OptLevel::Speed, &so, &mut |_, _| {})
        .expect("compiles and links");
    let shared = CompiledModule::load_shared_object(&so).expect("loads");
    for compiled in [aot_code, shared] {
        let kind = compiled.source;
        let mut store = Store::new(StoreConfig::default());
        let (inst, _) = store
            .instantiate(compiled.module().clone(), &[])
            .expect("instantiates");
        let mut jit = JitEngine::new(OptLevel::Speed);
        jit.add_compiled(Arc::new(compiled));
        let n = 200_000;
        let want = n + (1..=20).sum::<i32>();
        assert_eq!(
            call(
                &mut jit,
                &mut store,
                inst,
                "deep",
                &[Value::I32(20), Value::I32(n)]
            ),
            [Value::I32(want)],
            "{kind:?}"
        );
        let n = 20_000;
        let want = (0..100).sum::<i32>() + 100 * n;
        assert_eq!(
            call(&mut jit, &mut store, inst, "array", &[Value::I32(n)]),
            [Value::I32(want)],
            "{kind:?}"
        );
        assert!(store.gc.collections > 1, "{kind:?}: collected");
        assert!(
            store.gc.bytes < 8 << 20,
            "{kind:?}: garbage is freed: {} bytes held",
            store.gc.bytes
        );
    }
}
