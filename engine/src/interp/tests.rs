//! Debug services of the interpreter: breakpoints, stepping, fuel, interrupt,
//! call depth, post-mortem frames, changing a local while paused, deferred
//! host calls. Breakpoint conditions are in `tests_pred.rs`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::*;
use crate::ir::Op;
use crate::module::Module;
use crate::runtime::{Extern, Linker, StoreConfig};

pub(super) fn instantiate(store: &mut Store, wat: &str) -> InstanceId {
    let bytes = wat::parse_str(wat).expect("test module parses");
    let module = Arc::new(Module::new(bytes).expect("test module is valid"));
    let imports = Linker::new().resolve(store, &module).expect("no imports");
    let (inst, start) = store.instantiate(module, &imports).expect("instantiates");
    assert!(start.is_none());
    inst
}

pub(super) fn export(store: &Store, inst: InstanceId, name: &str) -> FuncAddr {
    match store.instance_export(inst, name) {
        Some(Extern::Func(f)) => f,
        other => panic!("no function export {name}: {other:?}"),
    }
}

pub(super) const SUM: &str = r#"(module
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $top
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $top)))
    (local.get $acc)))"#;

#[test]
fn plain_run_returns() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, SUM);
    let f = export(&store, inst, "sum");
    let mut exec = Execution::new(&mut store, f, &[Value::I32(10)]).unwrap();
    let out = exec.run(&mut store, &mut RunControl::default());
    assert_eq!(out, RunOutcome::Returned(vec![Value::I32(55)]));
    assert!(exec.is_finished());
}

#[test]
fn wrong_arguments_are_a_usage_error() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, SUM);
    let f = export(&store, inst, "sum");
    let e = Execution::new(&mut store, f, &[Value::I64(1)])
        .err()
        .expect("refused");
    assert_eq!(e.kind, crate::ErrorKind::Usage);
    assert!(e.message.contains("(param i32)"), "{}", e.message);
}

#[test]
fn breakpoint_hits_and_resume_runs_the_original_op() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, SUM);
    let f = export(&store, inst, "sum");
    // The loop's first op (local.get $n) is at pc 0: entry of the loop body.
    store.set_breakpoint(f, 0).unwrap();
    let mut exec = Execution::new(&mut store, f, &[Value::I32(3)]).unwrap();
    let mut ctl = RunControl::default();
    let mut hits = 0;
    loop {
        match exec.run(&mut store, &mut ctl) {
            RunOutcome::Paused(PauseReason::Breakpoint { func, pc }) => {
                assert_eq!((func, pc), (f, 0));
                hits += 1;
                assert!(hits < 10, "breakpoint never resumed");
            }
            RunOutcome::Returned(v) => {
                assert_eq!(v, vec![Value::I32(6)]);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    // The loop header runs for n = 3, 2, 1, 0.
    assert_eq!(hits, 4);
    // Cleared, it runs straight through.
    store.clear_breakpoint(f, 0);
    let mut exec = Execution::new(&mut store, f, &[Value::I32(3)]).unwrap();
    assert_eq!(
        exec.run(&mut store, &mut ctl),
        RunOutcome::Returned(vec![Value::I32(6)])
    );
}

#[test]
fn step_executes_one_op_and_enters_calls() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(
        &mut store,
        r#"(module
          (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func (export "main") (result i32) (call $inc (i32.const 41))))"#,
    );
    let main = export(&store, inst, "main");
    let inc = store.instance_func(inst, 0);
    let mut exec = Execution::new(&mut store, main, &[]).unwrap();
    let mut ctl = RunControl::default();
    // i32.const 41
    assert_eq!(
        exec.step(&mut store, &mut ctl),
        RunOutcome::Paused(PauseReason::Step)
    );
    assert_eq!(exec.operand_stack(&store, 0), vec![Value::I32(41)]);
    // call $inc: stops at the callee's first instruction.
    assert_eq!(
        exec.step(&mut store, &mut ctl),
        RunOutcome::Paused(PauseReason::Step)
    );
    let frames = exec.frames(&store);
    assert_eq!(frames.len(), 2);
    assert_eq!((frames[0].func, frames[0].pc), (inc, 0));
    assert_eq!(frames[0].locals, vec![Value::I32(41)]);
    assert_eq!(frames[1].func, main);
    assert_eq!(
        exec.run(&mut store, &mut ctl),
        RunOutcome::Returned(vec![Value::I32(42)])
    );
}

#[test]
fn fuel_counts_exactly() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, SUM);
    let f = export(&store, inst, "sum");
    // Count the ops of a full run.
    let mut ctl = RunControl {
        count_instructions: true,
        ..RunControl::default()
    };
    let mut exec = Execution::new(&mut store, f, &[Value::I32(5)]).unwrap();
    assert_eq!(
        exec.run(&mut store, &mut ctl),
        RunOutcome::Returned(vec![Value::I32(15)])
    );
    let total = ctl.instructions;
    // Per iteration: local.get, br_if(eqz fused? no: i32.eqz + br_if), 4 ops
    // for acc, 4 for n, br = 12; exit: local.get, eqz, br_if, local.get, return.
    assert_eq!(total, 5 * 12 + 5);
    // Exactly that much fuel finishes; one less runs out.
    let mut exec = Execution::new(&mut store, f, &[Value::I32(5)]).unwrap();
    let mut ctl = RunControl {
        fuel: Some(total),
        ..RunControl::default()
    };
    assert_eq!(
        exec.run(&mut store, &mut ctl),
        RunOutcome::Returned(vec![Value::I32(15)])
    );
    assert_eq!(ctl.fuel, Some(0));
    let mut exec = Execution::new(&mut store, f, &[Value::I32(5)]).unwrap();
    let mut ctl = RunControl {
        fuel: Some(total - 1),
        ..RunControl::default()
    };
    assert_eq!(exec.run(&mut store, &mut ctl), RunOutcome::OutOfFuel);
    // Refuelled, it resumes where it stopped.
    ctl.fuel = Some(1);
    assert_eq!(
        exec.run(&mut store, &mut ctl),
        RunOutcome::Returned(vec![Value::I32(15)])
    );
}

#[test]
fn profile_counts_calls_and_self_instructions() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(
        &mut store,
        r#"(module
          (func $leaf)
          (func (export "main") (call $leaf) (call $leaf)))"#,
    );
    let main = export(&store, inst, "main");
    let leaf = store.instance_func(inst, 0);
    let mut ctl = RunControl {
        profile: Some(FuncCounters::default()),
        ..RunControl::default()
    };
    let mut exec = Execution::new(&mut store, main, &[]).unwrap();
    assert_eq!(exec.run(&mut store, &mut ctl), RunOutcome::Returned(vec![]));
    let p = ctl.profile.unwrap();
    assert_eq!(p.calls[main as usize], 1);
    assert_eq!(p.calls[leaf as usize], 2);
    // main: call, call, return; leaf: return.
    assert_eq!(p.self_instructions[main as usize], 3);
    assert_eq!(p.self_instructions[leaf as usize], 2);
}

#[test]
fn interrupt_from_another_thread_stops_an_infinite_loop() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(
        &mut store,
        r#"(module (func (export "spin") (loop (br 0))))"#,
    );
    let f = export(&store, inst, "spin");
    let flag = store.interrupt_handle();
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        flag.store(true, Ordering::Relaxed);
    });
    let mut exec = Execution::new(&mut store, f, &[]).unwrap();
    let out = exec.run(&mut store, &mut RunControl::default());
    t.join().unwrap();
    assert_eq!(out, RunOutcome::Paused(PauseReason::Interrupted));
    assert!(!exec.is_finished());
}

#[test]
fn infinite_recursion_traps_with_call_stack_exhausted() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, r#"(module (func $f (export "f") (call $f)))"#);
    let f = export(&store, inst, "f");
    let mut exec = Execution::new(&mut store, f, &[]).unwrap();
    match exec.run(&mut store, &mut RunControl::default()) {
        RunOutcome::Trapped(t) => {
            assert_eq!(t.code, TrapCode::CallStackExhausted);
            assert_eq!(t.message, "call stack exhausted");
            assert_eq!(t.backtrace.len(), store.config.max_call_depth as usize);
        }
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn frames_survive_a_trap_for_post_mortem() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(
        &mut store,
        r#"(module
          (func $div (export "div") (param i32 i32) (result i32)
            (i32.div_u (local.get 0) (local.get 1)))
          (func (export "main") (result i32) (call $div (i32.const 7) (i32.const 0))))"#,
    );
    let main = export(&store, inst, "main");
    let mut exec = Execution::new(&mut store, main, &[]).unwrap();
    let RunOutcome::Trapped(t) = exec.run(&mut store, &mut RunControl::default()) else {
        panic!("expected a trap");
    };
    assert_eq!(t.message, "integer divide by zero");
    assert_eq!(t.backtrace.len(), 2);
    assert_eq!(t.backtrace[0].func_name.as_deref(), Some("div"));
    assert!(exec.is_finished());
    let frames = exec.frames(&store);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].func_index, 0);
    assert_eq!(frames[0].locals, vec![Value::I32(7), Value::I32(0)]);
    // The trapping op is i32.div_u; its code offset is inside $div's body.
    let module = store.instance_module(inst).clone();
    assert_eq!(module.func_at_code_offset(frames[0].code_offset), Some(0));
    assert_eq!(t.backtrace[0].code_offset, Some(frames[0].code_offset));
    assert_eq!(
        exec.operand_stack(&store, 0),
        vec![Value::I32(7), Value::I32(0)]
    );
}

#[test]
fn set_local_then_resume() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, SUM);
    let f = export(&store, inst, "sum");
    store.set_breakpoint(f, 0).unwrap();
    let mut exec = Execution::new(&mut store, f, &[Value::I32(100)]).unwrap();
    let mut ctl = RunControl::default();
    assert!(matches!(
        exec.run(&mut store, &mut ctl),
        RunOutcome::Paused(PauseReason::Breakpoint { .. })
    ));
    exec.set_local(&store, 0, 0, Value::I32(2)).unwrap();
    assert!(exec.set_local(&store, 0, 0, Value::I64(2)).is_err());
    assert!(exec.set_local(&store, 0, 9, Value::I32(2)).is_err());
    store.clear_breakpoint(f, 0);
    assert_eq!(
        exec.run(&mut store, &mut ctl),
        RunOutcome::Returned(vec![Value::I32(3)])
    );
}

#[test]
fn host_calls_exit_trap_and_pause() {
    use crate::runtime::HostError;
    let mut store = Store::new(StoreConfig::default());
    let mut linker = Linker::new();
    let ty = |p: &[wasmparser::ValType], r: &[wasmparser::ValType]| {
        wasmparser::FuncType::new(p.iter().copied(), r.iter().copied())
    };
    use wasmparser::ValType as T;
    linker.func(
        &mut store,
        "env",
        "double",
        ty(&[T::I32], &[T::I32]),
        Arc::new(|c, a, r| {
            c.request_pause();
            r[0] = Value::I32(a[0].as_i32().unwrap() * 2);
            Ok(())
        }),
    );
    linker.func(
        &mut store,
        "env",
        "exit",
        ty(&[T::I32], &[]),
        Arc::new(|_, a, _| Err(HostError::Exit(a[0].as_i32().unwrap()))),
    );
    linker.func(
        &mut store,
        "env",
        "fail",
        ty(&[], &[]),
        Arc::new(|_, _, _| Err(HostError::Trap("bad pointer".into()))),
    );
    let bytes = wat::parse_str(
        r#"(module
          (import "env" "double" (func $double (param i32) (result i32)))
          (import "env" "exit" (func $exit (param i32)))
          (import "env" "fail" (func $fail))
          (func (export "d") (result i32) (i32.add (call $double (i32.const 20)) (i32.const 2)))
          (func (export "e") (call $exit (i32.const 3)) unreachable)
          (func (export "f") (call $fail)))"#,
    )
    .unwrap();
    let module = Arc::new(Module::new(bytes).unwrap());
    let imports = linker.resolve(&store, &module).unwrap();
    let (inst, _) = store.instantiate(module, &imports).unwrap();
    let mut ctl = RunControl::default();
    let d = export(&store, inst, "d");
    let mut exec = Execution::new(&mut store, d, &[]).unwrap();
    assert_eq!(
        exec.run(&mut store, &mut ctl),
        RunOutcome::Paused(PauseReason::HostRequested)
    );
    assert_eq!(
        exec.run(&mut store, &mut ctl),
        RunOutcome::Returned(vec![Value::I32(42)])
    );
    let e = export(&store, inst, "e");
    let mut exec = Execution::new(&mut store, e, &[]).unwrap();
    assert_eq!(exec.run(&mut store, &mut ctl), RunOutcome::Exited(3));
    let f = export(&store, inst, "f");
    let mut exec = Execution::new(&mut store, f, &[]).unwrap();
    match exec.run(&mut store, &mut ctl) {
        RunOutcome::Trapped(t) => {
            assert_eq!(t.code, TrapCode::Host);
            assert_eq!(t.message, "bad pointer");
        }
        other => panic!("expected a host trap, got {other:?}"),
    }
}

#[test]
fn watchpoint_reports_old_and_new_bytes() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(
        &mut store,
        r#"(module (memory (export "memory") 1)
          (func (export "w") (i32.store (i32.const 16) (i32.const 0x01020304))))"#,
    );
    let f = export(&store, inst, "w");
    let mem = store.instance_memory(inst).unwrap();
    let mut ctl = RunControl {
        watch: vec![WatchRange {
            memory: mem,
            addr: 18,
            len: 1,
            on_read: false,
            on_write: true,
        }],
        ..RunControl::default()
    };
    let mut exec = Execution::new(&mut store, f, &[]).unwrap();
    match exec.run(&mut store, &mut ctl) {
        RunOutcome::Paused(PauseReason::Watchpoint {
            index,
            addr,
            len,
            write,
            old,
            new,
        }) => {
            assert_eq!((index, addr, len, write), (0, 16, 4, true));
            assert_eq!(old, vec![0, 0, 0, 0]);
            assert_eq!(new, vec![4, 3, 2, 1]);
        }
        other => panic!("expected a watchpoint, got {other:?}"),
    }
    assert_eq!(exec.run(&mut store, &mut ctl), RunOutcome::Returned(vec![]));
}

#[test]
fn memory_grow_honours_the_store_limit() {
    let mut store = Store::new(StoreConfig {
        max_memory_bytes: 3 * 65536,
        ..StoreConfig::default()
    });
    let inst = instantiate(
        &mut store,
        r#"(module (memory 1) (func (export "g") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    );
    let g = export(&store, inst, "g");
    let mut ctl = RunControl::default();
    let mut run = |store: &mut Store, n: i32| {
        let mut exec = Execution::new(store, g, &[Value::I32(n)]).unwrap();
        exec.run(store, &mut ctl)
    };
    assert_eq!(
        run(&mut store, 2),
        RunOutcome::Returned(vec![Value::I32(1)])
    );
    assert_eq!(
        run(&mut store, 1),
        RunOutcome::Returned(vec![Value::I32(-1)])
    );
}

#[test]
fn pc_and_code_offset_maps_agree() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, SUM);
    let f = export(&store, inst, "sum");
    let n = store.code_len(f).unwrap();
    for pc in 0..n {
        let off = store.code_offset_from_pc(f, pc).unwrap();
        let back = store.pc_from_code_offset(f, off).unwrap();
        assert!(back <= pc);
        assert_eq!(store.code_offset_from_pc(f, back), Some(off));
    }
    assert!(store.set_breakpoint(f, n).is_err());
}

#[test]
fn a_breakpoint_inside_a_superinstruction_unfuses_only_what_spans_it() {
    for pc in 0..6u32 {
        let mut store = Store::new(StoreConfig::default());
        let inst = instantiate(&mut store, SUM);
        let f = export(&store, inst, "sum");
        let fused_before = {
            let c = store.translated_code(f).unwrap();
            c.ops.iter().zip(&c.unfused).filter(|(a, b)| a != b).count()
        };
        assert!(fused_before > 0, "SUM has superinstructions");
        store.set_breakpoint(f, pc).unwrap();
        let code = store.translated_code(f).unwrap();
        // Nothing fused still covers the breakpoint...
        for p in 0..pc as usize {
            assert!(
                p + code.ops[p].span() <= pc as usize,
                "pc {pc}: the op at {p} runs over it"
            );
        }
        // ...and the rest of the body stays fused (one op or more).
        let fused_after = code
            .ops
            .iter()
            .zip(&code.unfused)
            .filter(|(a, b)| a != b && **a != Op::Breakpoint)
            .count();
        assert!(fused_after > 0, "pc {pc}: the whole body was unfused");
        // Every loop iteration (n = 3, 2, 1, 0; the last exits) stops once.
        let mut exec = Execution::new(&mut store, f, &[Value::I32(3)]).unwrap();
        let mut ctl = RunControl::default();
        let mut hits = 0;
        let out = loop {
            match exec.run(&mut store, &mut ctl) {
                RunOutcome::Paused(PauseReason::Breakpoint { pc: at, .. }) => {
                    assert_eq!(at, pc);
                    hits += 1;
                    assert!(hits < 10);
                }
                other => break other,
            }
        };
        assert_eq!(out, RunOutcome::Returned(vec![Value::I32(6)]));
        let want = if pc < 3 { 4 } else { 3 };
        assert_eq!(hits, want, "pc {pc}");
    }
}

/// `Caller::defer`: the run pauses *before* the host call, at the call
/// instruction with its arguments on the stack; resuming (run or step)
/// makes the call, which then cannot be put off again. An indirect call
/// (wit-component's shims) works the same.
#[test]
fn a_deferred_host_call_pauses_before_it_and_runs_on_resume() {
    use std::sync::atomic::AtomicU32;
    let mut store = Store::new(StoreConfig::default());
    let mut linker = Linker::new();
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    linker.func(
        &mut store,
        "env",
        "triple",
        wasmparser::FuncType::new([wasmparser::ValType::I32], [wasmparser::ValType::I32]),
        Arc::new(move |c, a, r| {
            c.defer();
            if c.defer_requested {
                return Ok(());
            }
            seen.fetch_add(1, Ordering::SeqCst);
            r[0] = Value::I32(a[0].as_i32().unwrap() * 3);
            Ok(())
        }),
    );
    let bytes = wat::parse_str(
        r#"(module
          (import "env" "triple" (func $triple (param i32) (result i32)))
          (type $t (func (param i32) (result i32)))
          (table 1 funcref) (elem (i32.const 0) $triple)
          (func (export "direct") (result i32)
            (i32.add (call $triple (i32.const 5)) (i32.const 1)))
          (func (export "indirect") (result i32)
            (i32.add (call_indirect (type $t) (i32.const 7) (i32.const 0)) (i32.const 1))))"#,
    )
    .unwrap();
    let module = Arc::new(Module::new(bytes).unwrap());
    let imports = linker.resolve(&store, &module).unwrap();
    let (inst, _) = store.instantiate(module, &imports).unwrap();
    let mut ctl = RunControl::default();
    for (name, arg, want) in [("direct", 5, 16), ("indirect", 7, 22)] {
        let f = export(&store, inst, name);
        let mut exec = Execution::new(&mut store, f, &[]).unwrap();
        let before = calls.load(Ordering::SeqCst);
        assert_eq!(
            exec.run(&mut store, &mut ctl),
            RunOutcome::Paused(PauseReason::HostRequested),
            "{name}"
        );
        assert!(exec.host_call_pending());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            before,
            "{name}: not called yet"
        );
        // The frame is at the call, its argument still on the operand
        // stack (a `call_indirect`'s table index is gone: not shown).
        let top = &exec.frames(&store)[0];
        let co = top.code_offset;
        if name == "direct" {
            assert_eq!(exec.operand_stack(&store, 0), [Value::I32(arg)]);
            // `step` makes the call and nothing more.
            assert_eq!(
                exec.step(&mut store, &mut ctl),
                RunOutcome::Paused(PauseReason::Step)
            );
            assert!(!exec.host_call_pending());
            assert!(exec.frames(&store)[0].code_offset > co);
        }
        assert_eq!(
            exec.run(&mut store, &mut ctl),
            RunOutcome::Returned(vec![Value::I32(want)]),
            "{name}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), before + 1, "{name}");
    }
}
