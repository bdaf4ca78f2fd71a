//! Breakpoint checks (`pred.rs`): predicates over locals, globals and
//! memory, conditions and ignore counts decided by the executor, hit
//! counts exact, evaluation errors pausing uncounted.

use super::tests::{SUM, export, instantiate};
use super::*;
use crate::runtime::StoreConfig;

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
