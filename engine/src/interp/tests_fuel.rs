//! Fuel and instruction counts per basic block (`fuel.rs`) against counting
//! every op in the debug executor: the same stops, pcs and fuel left.

use std::sync::Arc;

use super::*;
use crate::module::Module;
use crate::runtime::{Extern, Linker, StoreConfig};

const PROGRAMS: &[(&str, &str, &[Value])] = &[
    (
        // A loop with a block exit, as in tests.rs.
        r#"(module
          (func (export "main") (param $n i32) (result i32) (local $acc i32)
            (block $done
              (loop $top
                (br_if $done (i32.eqz (local.get $n)))
                (local.set $acc (i32.add (local.get $acc) (local.get $n)))
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (br $top)))
            (local.get $acc)))"#,
        "main",
        &[Value::I32(7)],
    ),
    (
        // Calls, recursion, if/else, br_table, select, memory, and a trap
        // at the end (a division by zero).
        r#"(module
          (memory 1)
          (func $fib (param $n i32) (result i32)
            (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
              (then (local.get $n))
              (else (i32.add
                (call $fib (i32.sub (local.get $n) (i32.const 1)))
                (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
          (func $pick (param $i i32) (result i32)
            (block $c (block $b (block $a
              (br_table $a $b $c (local.get $i)))
              (return (i32.const 10)))
              (return (i32.const 20)))
            (i32.const 30))
          (func (export "main") (param $n i32) (result i32) (local $i i32) (local $s i32)
            (loop $l
              (i32.store (i32.mul (local.get $i) (i32.const 4))
                (i32.add (call $pick (i32.rem_u (local.get $i) (i32.const 4)))
                  (select (i32.const 1) (i32.const 2) (i32.and (local.get $i) (i32.const 1)))))
              (local.set $s (i32.add (local.get $s)
                (i32.load (i32.mul (local.get $i) (i32.const 4)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
            (local.set $s (i32.add (local.get $s) (call $fib (i32.const 6))))
            (i32.div_u (local.get $s) (i32.sub (local.get $n) (local.get $n)))))"#,
        "main",
        &[Value::I32(6)],
    ),
    (
        // Fused sequences across a loop header and a block end.
        r#"(module
          (func (export "main") (param $n i64) (result i64) (local $i i64) (local $s i64)
            (block $out
              (loop $l
                (local.set $s (i64.add (local.get $s) (local.get $i)))
                (local.set $i (i64.add (local.get $i) (i64.const 1)))
                (br_if $out (i64.ge_u (local.get $i) (local.get $n)))
                (br $l)))
            (local.get $s)
            (local.get $i)
            (i64.add)))"#,
        "main",
        &[Value::I64(9)],
    ),
];

fn setup(wat: &str, name: &str) -> (Store, FuncAddr) {
    let mut store = Store::new(StoreConfig::default());
    let bytes = wat::parse_str(wat).expect("test module parses");
    let module = Arc::new(Module::new(bytes).expect("test module is valid"));
    let imports = Linker::new().resolve(&store, &module).expect("no imports");
    let (inst, _) = store.instantiate(module, &imports).expect("instantiates");
    let Some(Extern::Func(f)) = store.instance_export(inst, name) else {
        panic!("no export {name}")
    };
    (store, f)
}

/// Where a run stands: its outcome and the innermost frame's (func, pc).
fn at(store: &Store, exec: &Execution, out: &RunOutcome) -> (RunOutcome, Option<(u32, u32)>) {
    let top = exec.frames_upto(store, 1).first().map(|f| (f.func, f.pc));
    let out = match out {
        // The message and backtrace are compared through `top`.
        RunOutcome::Trapped(t) => RunOutcome::Trapped(crate::trap::Trap::new(t.code)),
        o => o.clone(),
    };
    (out, top)
}

/// Run with `fuel`, refuelling by `refill` after each stop, until the run
/// ends: every stop, the fuel left and the instruction count. `exact`
/// counts in the debug executor (a profile needs it).
fn stops(wat: &str, args: &[Value], fuel: u64, refill: u64, exact: bool) -> Vec<String> {
    let (mut store, f) = setup(wat, "main");
    let mut exec = Execution::new(&mut store, f, args).unwrap();
    let mut ctl = RunControl {
        fuel: Some(fuel),
        count_instructions: true,
        profile: exact.then(FuncCounters::default),
        ..RunControl::default()
    };
    let mut seen = Vec::new();
    loop {
        let out = exec.run(&mut store, &mut ctl);
        seen.push(format!(
            "{:?} fuel {:?} count {}",
            at(&store, &exec, &out),
            ctl.fuel,
            ctl.instructions
        ));
        if out != RunOutcome::OutOfFuel || seen.len() > 10_000 {
            return seen;
        }
        ctl.fuel = Some(refill);
    }
}

#[test]
fn per_block_fuel_stops_where_counting_every_op_does() {
    for (wat, _, args) in PROGRAMS {
        // The whole run's length.
        let total = {
            let (mut store, f) = setup(wat, "main");
            let mut exec = Execution::new(&mut store, f, args).unwrap();
            let mut ctl = RunControl {
                count_instructions: true,
                profile: Some(FuncCounters::default()),
                ..RunControl::default()
            };
            exec.run(&mut store, &mut ctl);
            ctl.instructions
        };
        assert!(total > 20, "{total}");
        for fuel in 0..=total + 2 {
            let block = stops(wat, args, fuel, 5, false);
            let exact = stops(wat, args, fuel, 5, true);
            assert_eq!(block, exact, "fuel {fuel} of {total} in {wat}");
        }
    }
}

#[test]
fn per_block_instruction_count_is_exact_and_plain_runs_carry_no_patch() {
    for (wat, _, args) in PROGRAMS {
        let count = |exact: bool| {
            let (mut store, f) = setup(wat, "main");
            let mut exec = Execution::new(&mut store, f, args).unwrap();
            let mut ctl = RunControl {
                count_instructions: true,
                profile: exact.then(FuncCounters::default),
                ..RunControl::default()
            };
            let out = exec.run(&mut store, &mut ctl);
            let patched = store.compiled(f).expect("ran").fuel.is_some();
            // A plain run takes the patch off again.
            let mut plain = Execution::new(&mut store, f, args).unwrap();
            let again = plain.run(&mut store, &mut RunControl::default());
            assert_eq!(at(&store, &plain, &again).0, at(&store, &exec, &out).0);
            assert!(store.compiled(f).expect("ran").fuel.is_none());
            (at(&store, &exec, &out), ctl.instructions, patched)
        };
        let (block, exact) = (count(false), count(true));
        assert_eq!((&block.0, block.1), (&exact.0, exact.1), "{wat}");
        assert!(block.2 && !exact.2, "the patch only on the per-block run");
    }
}

#[test]
fn per_block_fuel_with_breakpoints_and_checks_stops_as_counting_every_op() {
    // Breakpoints at a block's start (pc 0, with an ignore count) and in
    // the middle of one: pauses and out-of-fuel stops interleave the same
    // way in both counts.
    let (wat, _, args) = PROGRAMS[0];
    for fuel in [0u64, 1, 2, 3, 5, 8, 13, 21, 34, 55] {
        let run = |exact: bool| {
            let (mut store, f) = setup(wat, "main");
            store.set_breakpoint(f, 0).unwrap();
            store.set_breakpoint(f, 4).unwrap();
            store
                .set_break_check(f, 0, pred::BreakCheck::new(None, 2))
                .unwrap();
            let mut exec = Execution::new(&mut store, f, args).unwrap();
            let mut ctl = RunControl {
                fuel: Some(fuel),
                count_instructions: true,
                profile: exact.then(FuncCounters::default),
                ..RunControl::default()
            };
            let mut seen = Vec::new();
            loop {
                let out = exec.run(&mut store, &mut ctl);
                seen.push(format!(
                    "{:?} {:?} {}",
                    at(&store, &exec, &out),
                    ctl.fuel,
                    ctl.instructions
                ));
                match out {
                    RunOutcome::OutOfFuel => ctl.fuel = Some(3),
                    RunOutcome::Paused(_) if seen.len() < 500 => {}
                    _ => break,
                }
            }
            let hits = store.break_check(f, 0).map(|c| c.hits);
            (seen, hits)
        };
        assert_eq!(run(false), run(true), "fuel {fuel}");
    }
}

#[test]
fn per_block_fuel_with_a_watchpoint_stops_as_counting_every_op() {
    let (wat, _, args) = PROGRAMS[1];
    for fuel in [0u64, 4, 9, 17, 30, 61, 100, 250] {
        let run = |exact: bool| {
            let (mut store, f) = setup(wat, "main");
            let mut exec = Execution::new(&mut store, f, args).unwrap();
            let mut ctl = RunControl {
                fuel: Some(fuel),
                count_instructions: true,
                profile: exact.then(FuncCounters::default),
                watch: vec![WatchRange {
                    memory: 0,
                    addr: 8,
                    len: 8,
                    on_read: true,
                    on_write: true,
                }],
                ..RunControl::default()
            };
            let mut seen = Vec::new();
            loop {
                let out = exec.run(&mut store, &mut ctl);
                seen.push(format!(
                    "{:?} {:?} {}",
                    at(&store, &exec, &out),
                    ctl.fuel,
                    ctl.instructions
                ));
                match out {
                    RunOutcome::OutOfFuel => ctl.fuel = Some(7),
                    RunOutcome::Paused(_) if seen.len() < 500 => {}
                    _ => break,
                }
            }
            seen
        };
        let block = run(false);
        assert!(block.iter().any(|s| s.contains("Watchpoint")), "{block:?}");
        assert_eq!(block, run(true), "fuel {fuel}");
    }
}
