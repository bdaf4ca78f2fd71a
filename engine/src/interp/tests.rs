//! Debug services of the interpreter: breakpoints, stepping, fuel, interrupt,
//! call depth, post-mortem frames, changing a local while paused.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::*;
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

const SUM: &str = r#"(module
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

// Breakpoint checks (`pred.rs`): conditions and ignore counts decided by the
// executor, hit counts exact.

fn pred(ops: Vec<PredOp>) -> Pred {
    Pred::new(ops).expect("valid predicate")
}

fn eval_with(p: &Pred, locals: &[u64], globals: &[u64], memory: &[u8]) -> Result<bool, PredError> {
    let offsets: Vec<u32> = (0..locals.len() as u32).collect();
    let g = |i: u32| globals.get(i as usize).copied();
    p.eval(&pred::PredFrame {
        slots: locals,
        local_offsets: &offsets,
        globals: &g,
        memory,
    })
}

#[test]
fn predicate_reads_locals_globals_and_memory() {
    use PredOp::*;
    let mut memory = vec![0u8; 64];
    memory[16..20].copy_from_slice(&(-3i32).to_le_bytes());
    // *(int *)(local0 + 16) == -3 && global1 > 5u
    let p = pred(vec![
        Local(0),
        Const(16),
        Bin(PredBin::Add, NumTy::I64),
        Load {
            width: 4,
            signed: true,
        },
        Const(-3i64 as u64),
        Bin(PredBin::Eq, NumTy::I32),
        AndJump(11),
        Global(1),
        Const(5),
        Bin(PredBin::GtU, NumTy::I32),
        Un(PredUn::Nez(NumTy::I32)),
    ]);
    assert_eq!(eval_with(&p, &[0], &[0, 6], &memory), Ok(true));
    assert_eq!(eval_with(&p, &[0], &[0, 5], &memory), Ok(false));
    // The second operand is not evaluated when the first is false.
    assert_eq!(eval_with(&p, &[4], &[], &memory), Ok(false));
    assert_eq!(
        eval_with(&p, &[60], &[0, 6], &memory),
        Err(PredError::Memory { addr: 76 })
    );
}

#[test]
fn predicate_arithmetic_follows_wasm_widths() {
    use PredOp::*;
    let t = |ops: Vec<PredOp>| eval_with(&pred(ops), &[], &[], &[]);
    // i32 wraps; i64 does not.
    let big = i32::MAX as u64;
    assert_eq!(
        t(vec![
            Const(big),
            Const(1),
            Bin(PredBin::Add, NumTy::I32),
            Const(0),
            Bin(PredBin::LtS, NumTy::I32)
        ]),
        Ok(true)
    );
    assert_eq!(
        t(vec![
            Const(big),
            Const(1),
            Bin(PredBin::Add, NumTy::I64),
            Const(0),
            Bin(PredBin::LtS, NumTy::I64)
        ]),
        Ok(false)
    );
    // Unsigned and signed comparisons, sign extension by Wrap.
    assert_eq!(
        t(vec![
            Const(0xff),
            Wrap {
                bits: 8,
                signed: true
            },
            Const(-1i64 as u64),
            Bin(PredBin::Eq, NumTy::I64)
        ]),
        Ok(true)
    );
    assert_eq!(
        t(vec![
            Const(-1i64 as u64),
            Const(1),
            Bin(PredBin::LtU, NumTy::I32)
        ]),
        Ok(false)
    );
    // Floats: 0.1 + 0.2 != 0.3 in double, NaN is unequal to itself.
    let d = |f: f64| Const(f.to_bits());
    assert_eq!(
        t(vec![
            d(0.1),
            d(0.2),
            Bin(PredBin::Add, NumTy::F64),
            d(0.3),
            Bin(PredBin::Ne, NumTy::F64)
        ]),
        Ok(true)
    );
    assert_eq!(
        t(vec![d(f64::NAN), d(f64::NAN), Bin(PredBin::Eq, NumTy::F64)]),
        Ok(false)
    );
    assert_eq!(
        t(vec![
            Const(7),
            Un(PredUn::FromInt {
                to: NumTy::F64,
                signed: true
            }),
            d(7.0),
            Bin(PredBin::Eq, NumTy::F64)
        ]),
        Ok(true)
    );
    assert_eq!(
        t(vec![
            d(-2.75),
            Un(PredUn::Trunc { from: NumTy::F64 }),
            Const(-2i64 as u64),
            Bin(PredBin::Eq, NumTy::I64)
        ]),
        Ok(true)
    );
    // Errors the debugger reports itself.
    assert_eq!(
        t(vec![Const(1), Const(0), Bin(PredBin::DivS, NumTy::I32)]),
        Err(PredError::DivisionByZero)
    );
    assert_eq!(
        t(vec![Const(1), Const(32), Bin(PredBin::Shl, NumTy::I32)]),
        Err(PredError::ShiftRange)
    );
    // `a || b` keeps the first true value; `c ? x : y` by jumps.
    assert_eq!(t(vec![Const(1), OrJump(3), Const(0)]), Ok(true));
    assert_eq!(
        t(vec![Const(0), JumpIfZero(4), Const(0), Jump(5), Const(9)]),
        Ok(true)
    );
}

#[test]
fn malformed_predicates_are_refused() {
    use PredOp::*;
    for ops in [
        vec![],
        vec![Bin(PredBin::Add, NumTy::I32)],
        vec![Const(1), Const(2)],
        vec![Const(1), Jump(0)],
        vec![Const(1), Const(2), Bin(PredBin::Shl, NumTy::F64)],
        vec![
            Const(1),
            Load {
                width: 3,
                signed: false,
            },
        ],
        vec![
            Const(1),
            Wrap {
                bits: 64,
                signed: false,
            },
        ],
        // Heights 1 and 2 meet at op 3.
        vec![
            Const(1),
            JumpIfZero(3),
            Const(2),
            Const(3),
            Bin(PredBin::Add, NumTy::I32),
        ],
    ] {
        assert!(Pred::new(ops.clone()).is_err(), "{ops:?} accepted");
    }
    let deep: Vec<PredOp> = (0..MAX_PRED_STACK_TEST + 1).map(|_| Const(0)).collect();
    assert!(Pred::new(deep).is_err());
}
const MAX_PRED_STACK_TEST: usize = pred::MAX_PRED_STACK;

/// Run `exec` to the end, counting breakpoint pauses (and checking the
/// local `$n` at each).
fn pauses(store: &mut Store, exec: &mut Execution, ctl: &mut RunControl) -> (Vec<i32>, RunOutcome) {
    let mut seen = Vec::new();
    loop {
        match exec.run(store, ctl) {
            RunOutcome::Paused(PauseReason::Breakpoint { .. }) => {
                let n = match exec.frames(store)[0].locals[0] {
                    Value::I32(n) => n,
                    other => panic!("{other:?}"),
                };
                seen.push(n);
                assert!(seen.len() < 1000, "never finished");
            }
            other => return (seen, other),
        }
    }
}

#[test]
fn conditional_breakpoint_pauses_only_where_it_holds_with_exact_hits() {
    for debug in [false, true] {
        let mut store = Store::new(StoreConfig::default());
        let inst = instantiate(&mut store, SUM);
        let f = export(&store, inst, "sum");
        // pc 0 runs once per loop iteration, with $n = 100, 99, ..., 0.
        store.set_breakpoint(f, 0).unwrap();
        use PredOp::*;
        // $n % 10 == 3
        let p = pred(vec![
            Local(0),
            Const(10),
            Bin(PredBin::RemS, NumTy::I32),
            Const(3),
            Bin(PredBin::Eq, NumTy::I32),
        ]);
        store
            .set_break_check(f, 0, BreakCheck::new(Some(p), 2))
            .unwrap();
        let mut exec = Execution::new(&mut store, f, &[Value::I32(100)]).unwrap();
        // The debug executor (a profile needs it) decides the same way.
        let mut ctl = RunControl {
            fuel: debug.then_some(u64::MAX),
            profile: debug.then(FuncCounters::default),
            ..Default::default()
        };
        let (seen, out) = pauses(&mut store, &mut exec, &mut ctl);
        assert_eq!(out, RunOutcome::Returned(vec![Value::I32(5050)]));
        // 93 and 83 were ignored.
        assert_eq!(seen, vec![73, 63, 53, 43, 33, 23, 13, 3], "debug {debug}");
        let c = store.break_check(f, 0).expect("kept");
        assert_eq!((c.hits, c.ignore, c.counted), (10, 0, true));
        // Clearing the breakpoint removes its check.
        store.clear_breakpoint(f, 0);
        assert!(store.break_check(f, 0).is_none());
    }
}

#[test]
fn unconditional_ignore_count_and_evaluation_errors_pause_uncounted() {
    let mut store = Store::new(StoreConfig::default());
    let inst = instantiate(&mut store, SUM);
    let f = export(&store, inst, "sum");
    store.set_breakpoint(f, 0).unwrap();
    assert!(
        store
            .set_break_check(f, 1, BreakCheck::new(None, 0))
            .is_err(),
        "no breakpoint at pc 1"
    );
    store
        .set_break_check(f, 0, BreakCheck::new(None, 48))
        .unwrap();
    let mut exec = Execution::new(&mut store, f, &[Value::I32(50)]).unwrap();
    let (seen, _) = pauses(&mut store, &mut exec, &mut RunControl::default());
    assert_eq!(seen, vec![2, 1, 0]);
    assert_eq!(store.break_check(f, 0).unwrap().hits, 51);
    // A load out of bounds (the module has no memory): pause, not counted.
    use PredOp::*;
    let p = pred(vec![
        Local(0),
        Load {
            width: 4,
            signed: false,
        },
    ]);
    store
        .set_break_check(f, 0, BreakCheck::new(Some(p), 0))
        .unwrap();
    let mut exec = Execution::new(&mut store, f, &[Value::I32(2)]).unwrap();
    let mut ctl = RunControl::default();
    assert!(matches!(
        exec.run(&mut store, &mut ctl),
        RunOutcome::Paused(PauseReason::Breakpoint { .. })
    ));
    let c = store.break_check(f, 0).unwrap();
    assert_eq!(
        (c.hits, c.counted, c.error),
        (0, false, Some(PredError::Memory { addr: 2 }))
    );
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
