//! Watchpoints on the plain executor (`interp/watch.rs`): patched memory
//! ops, superinstructions put back, code translated after the watch is set.

use std::sync::Arc;

use super::*;
use crate::ir::Op;
use crate::module::Module;
use crate::runtime::{Extern, Linker, StoreConfig};

fn instantiate(store: &mut Store, wat: &str) -> InstanceId {
    let bytes = wat::parse_str(wat).expect("test module parses");
    let module = Arc::new(Module::new(bytes).expect("test module is valid"));
    let imports = Linker::new().resolve(store, &module).expect("no imports");
    let (inst, start) = store.instantiate(module, &imports).expect("instantiates");
    assert!(start.is_none());
    inst
}

fn export(store: &Store, inst: InstanceId, name: &str) -> FuncAddr {
    match store.instance_export(inst, name) {
        Some(Extern::Func(f)) => f,
        other => panic!("no function export {name}: {other:?}"),
    }
}

/// A loop that stores `i * 3` at `4 * i` (a fused `local.tee; i32.store`)
/// and 7 at `400 + i` (a fused `local.get; const; i32.store8`), then
/// sums the array back with fused loads.
const ARRAY: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "fill") (param $n i32) (result i32) (local $i i32) (local $acc i32) (local $v i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.shl (local.get $i) (i32.const 2))
                   (local.tee $v (i32.mul (local.get $i) (i32.const 3))))
        (i32.store8 offset=400 (local.get $i) (i32.const 7))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc)
          (i32.load (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc)))"#;

fn watch(memory: u32, addr: u32, len: u32, on_read: bool, on_write: bool) -> WatchRange {
    WatchRange {
        memory,
        addr,
        len,
        on_read,
        on_write,
    }
}

/// Every outcome of `f(args)` until it returns: the pauses, then the end.
fn outcomes(
    store: &mut Store,
    f: FuncAddr,
    args: &[Value],
    ctl: &mut RunControl,
) -> Vec<RunOutcome> {
    let mut exec = Execution::new(store, f, args).unwrap();
    let mut out = Vec::new();
    loop {
        let o = exec.run(store, ctl);
        let done = !matches!(o, RunOutcome::Paused(_));
        out.push(o);
        if done || out.len() > 1000 {
            return out;
        }
    }
}

#[test]
fn a_watch_patches_memory_ops_and_puts_fused_ones_back() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, ARRAY);
    let f = export(&store, inst, "fill");
    let mem = store.instance_memory(inst).unwrap();
    let before = store.code(f).unwrap();
    let fused_stores = (0..before.ops.len())
        .filter(|&i| {
            before.ops[i].span() > 1
                && (i..i + before.ops[i].span())
                    .any(|j| matches!(before.unfused[j], Op::I32Store(_) | Op::I32Store8(_)))
        })
        .count();
    assert!(
        fused_stores >= 2,
        "the test needs fused stores: {:?}",
        before.ops
    );
    drop(before);

    let mut ctl = RunControl {
        watch: vec![watch(mem, 0x1000, 4, false, true)],
        ..RunControl::default()
    };
    let out = outcomes(&mut store, f, &[Value::I32(20)], &mut ctl);
    assert_eq!(out, vec![RunOutcome::Returned(vec![Value::I32(570)])]);
    let code = store.code(f).unwrap();
    for (i, &op) in code.ops.iter().enumerate() {
        let orig = code.unfused[i];
        if matches!(orig, Op::I32Store(_) | Op::I32Store8(_)) {
            assert!(
                matches!(op, Op::WatchedStore { .. }),
                "store at {i} not patched: {op:?}"
            );
        }
        if op.span() > 1 {
            assert!(
                !(i..i + op.span())
                    .any(|j| matches!(code.unfused[j], Op::I32Store(_) | Op::I32Store8(_))),
                "fused {op:?} at {i} still hides a store"
            );
        }
        // `watch` (writes) leaves loads alone.
        if matches!(orig, Op::I32Load(_)) {
            assert!(!op.is_watch_patch());
        }
    }
    drop(code);

    // No watch: the fused code comes back, and runs the same.
    ctl.watch.clear();
    let out = outcomes(&mut store, f, &[Value::I32(20)], &mut ctl);
    assert_eq!(out, vec![RunOutcome::Returned(vec![Value::I32(570)])]);
    let code = store.code(f).unwrap();
    assert!(!code.ops.iter().any(|op| op.is_watch_patch()));
    let refused = (0..code.ops.len())
        .filter(|&i| {
            code.ops[i].span() > 1
                && (i..i + code.ops[i].span())
                    .any(|j| matches!(code.unfused[j], Op::I32Store(_) | Op::I32Store8(_)))
        })
        .count();
    assert_eq!(refused, fused_stores);
}

#[test]
fn a_store_inside_a_fused_op_is_caught_with_old_and_new_bytes() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, ARRAY);
    let f = export(&store, inst, "fill");
    let mem = store.instance_memory(inst).unwrap();
    // Element 5 (`local.tee; i32.store`) and 400 + 6 (`local.get; const; store`).
    let mut ctl = RunControl {
        watch: vec![
            watch(mem, 20, 4, false, true),
            watch(mem, 406, 1, false, true),
        ],
        ..RunControl::default()
    };
    let out = outcomes(&mut store, f, &[Value::I32(20)], &mut ctl);
    let pause = |index, addr, old: &[u8], new: &[u8]| {
        RunOutcome::Paused(PauseReason::Watchpoint {
            index,
            addr,
            len: old.len() as u32,
            write: true,
            old: old.to_vec(),
            new: new.to_vec(),
        })
    };
    assert_eq!(
        out,
        vec![
            pause(0, 20, &[0; 4], &[15, 0, 0, 0]),
            pause(1, 406, &[0], &[7]),
            RunOutcome::Returned(vec![Value::I32(570)]),
        ]
    );
}

#[test]
fn plain_and_debug_executors_stop_at_the_same_accesses() {
    // The debug executor (here because of a profile) checks every unfused op;
    // the plain one runs patched fused code. Same pauses, same values,
    // reads too (`awatch`).
    let run = |fuel: Option<u64>| {
        let mut store = Store::new(StoreConfig::default());
        let inst = instantiate(&mut store, ARRAY);
        let f = export(&store, inst, "fill");
        let mem = store.instance_memory(inst).unwrap();
        let mut ctl = RunControl {
            profile: fuel.map(|_| FuncCounters::default()),
            fuel,
            watch: vec![
                watch(mem, 8, 8, true, true),
                watch(mem, 408, 4, false, true),
            ],
            ..RunControl::default()
        };
        outcomes(&mut store, f, &[Value::I32(12)], &mut ctl)
    };
    let plain = run(None);
    let debug = run(Some(u64::MAX));
    // Two stores and two loads of elements 2 and 3, bytes 408..412.
    assert_eq!(plain.len(), 9, "{plain:?}");
    assert_eq!(plain, debug);
}

#[test]
fn a_function_translated_after_the_watch_is_set_is_patched() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(
        &mut store,
        r#"(module (memory (export "memory") 1)
          (func $set (param i32 i32) (i32.store (local.get 0) (local.get 1)))
          (func (export "main") (result i32)
            (call $set (i32.const 64) (i32.const 1))
            (call $set (i32.const 68) (i32.const 2))
            (call $set (i32.const 64) (i32.const 3))
            (i32.load (i32.const 64))))"#,
    );
    let main = export(&store, inst, "main");
    let set = main - 1;
    let mem = store.instance_memory(inst).unwrap();
    assert!(store.compiled(set).is_none(), "not translated yet");
    let mut ctl = RunControl {
        watch: vec![watch(mem, 64, 4, false, true)],
        ..RunControl::default()
    };
    let mut exec = Execution::new(&mut store, main, &[]).unwrap();
    match exec.run(&mut store, &mut ctl) {
        RunOutcome::Paused(PauseReason::Watchpoint { addr, old, new, .. }) => {
            assert_eq!((addr, old, new), (64, vec![0; 4], vec![1, 0, 0, 0]));
        }
        other => panic!("expected a watchpoint, got {other:?}"),
    }
    // Stopped right after the store, inside `$set`.
    assert_eq!(exec.frames(&store)[0].func, set);
    match exec.run(&mut store, &mut ctl) {
        RunOutcome::Paused(PauseReason::Watchpoint { old, new, .. }) => {
            assert_eq!((old, new), (vec![1, 0, 0, 0], vec![3, 0, 0, 0]));
        }
        other => panic!("expected a watchpoint, got {other:?}"),
    }
    assert_eq!(
        exec.run(&mut store, &mut ctl),
        RunOutcome::Returned(vec![Value::I32(3)])
    );
}

#[test]
fn a_watched_op_under_a_breakpoint_stops_at_both() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(
        &mut store,
        r#"(module (memory (export "memory") 1)
          (func (export "w") (i32.store (i32.const 16) (i32.const 9))))"#,
    );
    let f = export(&store, inst, "w");
    let mem = store.instance_memory(inst).unwrap();
    let store_pc = store
        .code(f)
        .unwrap()
        .unfused
        .iter()
        .position(|op| matches!(op, Op::I32Store(_)))
        .unwrap() as u32;
    store.set_breakpoint(f, store_pc).unwrap();
    let mut ctl = RunControl {
        watch: vec![watch(mem, 16, 4, false, true)],
        ..RunControl::default()
    };
    let out = outcomes(&mut store, f, &[], &mut ctl);
    assert!(
        matches!(out[0], RunOutcome::Paused(PauseReason::Breakpoint { pc, .. }) if pc == store_pc),
        "{out:?}"
    );
    assert!(
        matches!(&out[1], RunOutcome::Paused(PauseReason::Watchpoint { new, .. }) if *new == vec![9, 0, 0, 0]),
        "{out:?}"
    );
    assert_eq!(out[2], RunOutcome::Returned(vec![]));
    // Clearing the watch keeps the breakpoint.
    ctl.watch.clear();
    let out = outcomes(&mut store, f, &[], &mut ctl);
    assert!(
        matches!(out[0], RunOutcome::Paused(PauseReason::Breakpoint { .. })),
        "{out:?}"
    );
    assert_eq!(out[1], RunOutcome::Returned(vec![]));
}

#[test]
fn bulk_and_other_memory_writes_are_watched() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(
        &mut store,
        r#"(module (memory (export "memory") 1) (memory $b 1)
          (func (export "w")
            (memory.fill (i32.const 0) (i32.const 0xaa) (i32.const 100))
            (i32.store $b (i32.const 32) (i32.const 5))))"#,
    );
    let f = export(&store, inst, "w");
    let m0 = store.instance_memory(inst).unwrap();
    let m1 = store.instance(inst).memories[1];
    let mut ctl = RunControl {
        watch: vec![watch(m0, 50, 2, false, true), watch(m1, 32, 4, false, true)],
        ..RunControl::default()
    };
    let out = outcomes(&mut store, f, &[], &mut ctl);
    assert_eq!(
        out,
        vec![
            RunOutcome::Paused(PauseReason::Watchpoint {
                index: 0,
                addr: 50,
                len: 2,
                write: true,
                old: vec![0, 0],
                new: vec![0xaa, 0xaa],
            }),
            RunOutcome::Paused(PauseReason::Watchpoint {
                index: 1,
                addr: 32,
                len: 4,
                write: true,
                old: vec![0; 4],
                new: vec![5, 0, 0, 0],
            }),
            RunOutcome::Returned(vec![]),
        ]
    );
}
