//! Superinstructions: the fused code keeps every original op in place, and
//! the plain (fused) path computes and traps exactly like the debug
//! (unfused) path.

use std::sync::Arc;

use crate::interp::{Execution, RunControl, RunOutcome};
use crate::ir::Op;
use crate::module::Module;
use crate::runtime::{Extern, InstanceId, Linker, Store, StoreConfig};
use crate::trap::TrapCode;
use crate::value::{FuncAddr, Value};

fn instantiate(store: &mut Store, wat: &str) -> InstanceId {
    let bytes = wat::parse_str(wat).expect("test module parses");
    let module = Arc::new(Module::new(bytes).expect("test module is valid"));
    let imports = Linker::new().resolve(store, &module).expect("no imports");
    let (inst, _) = store.instantiate(module, &imports).expect("instantiates");
    inst
}

fn export(store: &Store, inst: InstanceId, name: &str) -> FuncAddr {
    match store.instance_export(inst, name) {
        Some(Extern::Func(f)) => f,
        other => panic!("no function export {name}: {other:?}"),
    }
}

/// Shaped like clang output: -O2 (`local.get; local.get; add`, compare and
/// `br_if`) and -O0 (`local.get; i32.load; local.set` chains, stores).
const LOOPS: &str = r#"(module
  (memory 1)
  (func (export "sum") (param $n i32) (result i32) (local $acc i32) (local $i i32)
    (local.set $i (i32.const 0))
    (block $done
      (loop $top
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $i)))
        (i32.store offset=8 (local.get $i) (local.get $acc))
        (local.set $acc (i32.xor (local.get $acc) (i32.load offset=8 (local.get $i))))
        (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset=8 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $top (i32.lt_s (local.get $i) (i32.const 1000000)))))
    (local.get $acc))
  (func (export "wide") (param $x i64) (result i64) (local $y i64)
    (local.set $y (i64.mul (local.get $x) (i64.const -3)))
    (if (i64.lt_s (local.get $y) (i64.const 0))
      (then (local.set $y (i64.sub (i64.const 0) (local.get $y)))))
    (i64.add (local.get $y) (i64.shl (local.get $x) (i64.const 40))))
  (func (export "ext") (param $x i32) (result i64) (local $y i64) (local $w i32)
    (local.set $y (i64.extend_i32_s (local.get $x)))
    (local.set $w (i32.wrap_i64 (local.get $y)))
    (if (i32.eqz (local.get $x)) (then (return (i64.const 99))))
    (block $b
      (br_if $b (i32.eqz (local.get $w)))
      (local.set $y (i64.add (local.get $y) (i64.extend_i32_u (local.get $w)))))
    (block $c
      (br_if $c (i32.eqz (i32.and (local.get $w) (i32.const 1))))
      (local.set $y (i64.mul (local.get $y) (i64.const 3))))
    (local.get $y))
  (func (export "div") (param $x i32) (param $y i32) (result i32) (local $q i32) (local $n i32)
    (local.set $n (i32.const 5))
    (loop $l
      (local.set $q (i32.div_s (local.get $x) (local.get $y)))
      (local.set $x (i32.add (local.get $q) (i32.rem_u (local.get $x) (local.get $y))))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (i32.add (local.get $x) (i32.div_u (local.get $x) (local.get $y))))
  (func (export "oob") (param $p i32) (result i32)
    (i32.load offset=4 (local.get $p)))
  ;; -O2 fibarray: loads from `local + imm`, `add; tee; store`, and a
  ;; pointer loop that ends on `ne` against a bound.
  (func (export "fibs") (param $n i32) (result i32) (local $p i32) (local $b i32) (local $end i32)
    (i32.store (i32.const 16) (i32.const 1))
    (i32.store (i32.const 20) (i32.const 1))
    (local.set $p (i32.const 24))
    (local.set $b (i32.const 1))
    (local.set $end (i32.add (i32.const 24) (i32.shl (local.get $n) (i32.const 2))))
    (loop $l
      (i32.store (local.get $p)
        (local.tee $b (i32.add (i32.load (i32.add (local.get $p) (i32.const -8))) (local.get $b))))
      (br_if $l (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 4))) (local.get $end))))
    (i32.add (i32.add (local.get $b) (i32.load offset=4 (local.get $p)))
      (i32.load (local.tee $p (i32.add (local.get $p) (i32.const -4))))))
  ;; -O2 sieve: 64-bit loop steps tested with `lt_u` and `ne`.
  (func (export "steps") (param $n i64) (result i64) (local $i i64) (local $s i64) (local $k i64)
    (local.set $k (i64.const 3))
    (loop $a
      (local.set $s (i64.add (local.get $s) (local.get $i)))
      (br_if $a (i64.lt_u (local.tee $i (i64.add (local.get $i) (local.get $k))) (local.get $n))))
    (local.set $i (i64.const 0))
    (loop $b
      (local.set $s (i64.xor (i64.shl (local.get $s) (i64.const 1)) (local.get $i)))
      (br_if $b (i64.ne (local.get $n) (local.tee $i (i64.add (local.get $i) (i64.const 1))))))
    (local.get $s))
  ;; -O2 pi: multiply-accumulate, then divide and store.
  (func (export "spigot") (param $d i32) (result i32) (local $p i32) (local $acc i32) (local $i i32)
    (local.set $p (i32.const 64))
    (local.set $i (i32.const 10))
    (loop $l
      (i32.store (local.get $p)
        (i32.div_s
          (local.tee $acc
            (i32.add (local.get $acc) (i32.mul (i32.add (local.get $i) (local.get $i)) (i32.const 10000))))
          (local.get $d)))
      (i32.store (local.get $p)
        (i32.div_s
          (local.tee $acc (i32.add (i32.load (local.get $p)) (i32.mul (local.get $i) (i32.const 3))))
          (local.get $d)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (local.tee $i (i32.add (local.get $i) (i32.const -1)))))
    (i32.add (local.get $acc) (i32.load (i32.const 64))))
  (func (export "tee_oob") (param $p i32) (result i32) (local $x i32)
    (i32.store offset=4 (local.get $p) (local.tee $x (i32.const 7)))
    (local.get $x))
  (func (export "getload_oob") (param $a i32) (param $p i32) (result i32)
    (i32.add (local.get $a) (i32.load (local.get $p)))))"#;

fn run(store: &mut Store, f: FuncAddr, args: &[Value], debug: bool) -> RunOutcome {
    let mut exec = Execution::new(store, f, args).expect("arguments fit");
    // A profile needs the debug executor, which runs the unfused ops (fuel
    // and instruction counts alone no longer do: they count per block).
    let mut ctl = RunControl {
        count_instructions: debug,
        profile: debug.then(crate::interp::FuncCounters::default),
        ..RunControl::default()
    };
    exec.run(store, &mut ctl)
}

#[test]
fn fused_ops_keep_the_originals_after_them() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, LOOPS);
    let f = export(&store, inst, "sum");
    let code = store.code(f).expect("translates");
    assert_eq!(code.ops.len(), code.unfused.len());
    assert_eq!(code.ops.len(), code.offsets.len());
    let mut fused = 0;
    for (i, (&op, &orig)) in code.ops.iter().zip(&code.unfused).enumerate() {
        if op != orig {
            fused += 1;
            assert!(
                op.span() > 1,
                "{op:?} at {i} replaced {orig:?} but is not fused"
            );
            assert!(orig.span() == 1, "unfused op {orig:?} at {i}");
        }
    }
    assert!(
        fused >= 5,
        "expected superinstructions in the loop, got {fused}"
    );
    assert!(
        code.ops
            .iter()
            .any(|op| matches!(op, Op::I32GeSLLBrNez { .. }))
    );
    assert!(
        code.ops
            .iter()
            .any(|op| matches!(op, Op::I32LoadGetL { .. }))
    );
    assert!(
        code.ops
            .iter()
            .any(|op| matches!(op, Op::I32StoreLL { .. }))
    );
}

#[test]
fn plain_and_debug_paths_agree() {
    for (name, args) in [
        ("sum", vec![Value::I32(1000)]),
        ("sum", vec![Value::I32(0)]),
        ("wide", vec![Value::I64(7)]),
        ("wide", vec![Value::I64(-5)]),
        ("ext", vec![Value::I32(0)]),
        ("div", vec![Value::I32(-1000), Value::I32(7)]),
        ("div", vec![Value::I32(1000), Value::I32(0)]),
        ("div", vec![Value::I32(i32::MIN), Value::I32(-1)]),
        ("ext", vec![Value::I32(-7)]),
        ("ext", vec![Value::I32(6)]),
        ("fibs", vec![Value::I32(40)]),
        ("fibs", vec![Value::I32(1)]),
        ("fibs", vec![Value::I32(20000)]),
        ("fibs", vec![Value::I32(16378)]),
        ("fibs", vec![Value::I32(16379)]),
        ("steps", vec![Value::I64(1000)]),
        ("steps", vec![Value::I64(1)]),
        ("spigot", vec![Value::I32(7)]),
        ("spigot", vec![Value::I32(0)]),
        ("spigot", vec![Value::I32(-3)]),
        ("tee_oob", vec![Value::I32(8)]),
        ("tee_oob", vec![Value::I32(65532)]),
        ("getload_oob", vec![Value::I32(3), Value::I32(16)]),
        ("getload_oob", vec![Value::I32(3), Value::I32(65533)]),
    ] {
        let mut store = Store::new(StoreConfig::default());
        let inst = instantiate(&mut store, LOOPS);
        let f = export(&store, inst, name);
        let plain = run(&mut store, f, &args, false);
        let mut store = Store::new(StoreConfig::default());
        let inst = instantiate(&mut store, LOOPS);
        let f = export(&store, inst, name);
        let debug = run(&mut store, f, &args, true);
        assert_eq!(plain, debug, "{name} {args:?}");
    }
}

#[test]
fn a_trap_inside_a_fused_op_reports_the_trapping_instruction() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, LOOPS);
    let f = export(&store, inst, "oob");
    let code = store.code(f).expect("translates");
    assert!(matches!(code.ops[0], Op::I32LoadL { .. }), "{:?}", code.ops);
    let load_offset = code.offsets[1];
    let mut exec = Execution::new(&mut store, f, &[Value::I32(65534)]).expect("arguments fit");
    let out = exec.run(&mut store, &mut RunControl::default());
    let RunOutcome::Trapped(t) = out else {
        panic!("expected a trap, got {out:?}");
    };
    assert_eq!(t.code, TrapCode::MemoryOutOfBounds);
    assert_eq!(t.backtrace[0].code_offset, Some(load_offset));
    // Post-mortem, the operand stack is what the unfused ops would leave.
    assert_eq!(exec.operand_stack(&store, 0), vec![Value::I32(65534)]);
}

#[test]
fn a_breakpoint_inside_a_fused_sequence_is_hit() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, LOOPS);
    let f = export(&store, inst, "sum");
    let code = store.code(f).expect("translates");
    let (i, op) = code
        .ops
        .iter()
        .enumerate()
        .find(|(_, op)| op.span() >= 3)
        .map(|(i, op)| (i, *op))
        .expect("a long superinstruction");
    let inside = (i + op.span() - 1) as u32;
    store.set_breakpoint(f, inside).expect("sets");
    let mut exec = Execution::new(&mut store, f, &[Value::I32(10)]).expect("arguments fit");
    let out = exec.run(&mut store, &mut RunControl::default());
    assert_eq!(
        out,
        RunOutcome::Paused(crate::interp::PauseReason::Breakpoint {
            func: f,
            pc: inside
        })
    );
}

/// The ops of exported function `name` of `LOOPS`, as fused.
fn fused_ops(name: &str) -> Vec<Op> {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, LOOPS);
    let f = export(&store, inst, name);
    store.code(f).expect("translates").ops.clone()
}

#[test]
fn loop_steps_loads_and_tee_stores_fuse() {
    let fibs = fused_ops("fibs");
    for want in [
        "I32LoadLI",
        "I32AddLTeeStore",
        "I32AddLITNeLBr",
        "I32AddLITLoad",
    ] {
        assert!(
            fibs.iter().any(|op| format!("{op:?}").starts_with(want)),
            "no {want} in {fibs:?}"
        );
    }
    let spigot = fused_ops("spigot");
    for want in ["I32MulLIAddT", "I32MulIAddT", "I32DivSLStore"] {
        assert!(
            spigot.iter().any(|op| format!("{op:?}").starts_with(want)),
            "no {want} in {spigot:?}"
        );
    }
    let steps = fused_ops("steps");
    for want in ["I64AddLLTLtULBr", "I64AddLITNeLBr"] {
        assert!(
            steps.iter().any(|op| format!("{op:?}").starts_with(want)),
            "no {want} in {steps:?}"
        );
    }
    assert!(fused_ops("tee_oob").contains(&Op::I32StoreTee { d: 1, off: 4 }));
    assert!(fused_ops("getload_oob").contains(&Op::I32LoadGetL { a: 0, b: 1, off: 0 }));
}

#[test]
fn a_trap_in_a_tee_store_or_get_load_leaves_the_unfused_stack() {
    for (name, args, stack) in [
        (
            "tee_oob",
            vec![Value::I32(65532)],
            vec![Value::I32(65532), Value::I32(7)],
        ),
        (
            "getload_oob",
            vec![Value::I32(3), Value::I32(65533)],
            vec![Value::I32(3), Value::I32(65533)],
        ),
    ] {
        let mut store = Store::new(StoreConfig::default());
        let inst = instantiate(&mut store, LOOPS);
        let f = export(&store, inst, name);
        let mut exec = Execution::new(&mut store, f, &args).expect("arguments fit");
        let out = exec.run(&mut store, &mut RunControl::default());
        let RunOutcome::Trapped(t) = out else {
            panic!("{name}: expected a trap, got {out:?}");
        };
        assert_eq!(t.code, TrapCode::MemoryOutOfBounds, "{name}");
        assert_eq!(exec.operand_stack(&store, 0), stack, "{name}");
    }
}
