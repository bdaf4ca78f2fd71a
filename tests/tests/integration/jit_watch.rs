//! Watchpoints in JIT code: a module compiled with watch checks
//! (`CompiledModule::compile_for_debugger_with`) stops right after a
//! watched access, with the old and new bytes, and resumes computing what
//! it would have; code compiled without them never stops.

use std::collections::HashSet;
use std::sync::Arc;

use wdb_engine::interp::{PauseReason, RunControl, RunOutcome, WatchRange};
use wdb_engine::jit::{
    AfterInterrupt, BreakFlags, CompiledModule, DebugHook, JitEngine, JitFrame, JitStop, OptLevel,
};
use wdb_engine::runtime::{Extern, Store, StoreConfig};
use wdb_engine::value::FuncAddr;
use wdb_engine::{Module, Value};

/// `fill(n)`: `a[i] = i * 3` for i < n through `$set` (i32 words from 0),
/// then returns the sum of `a[0..n]`, read back by `$get`.
const FILL: &str = r#"
(module
  (memory (export "memory") 1)
  (func $set (param $i i32) (param $v i32)
    (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $v)))
  (func $get (param $i i32) (result i32)
    (i32.load (i32.shl (local.get $i) (i32.const 2))))
  (func (export "fill") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $set (local.get $i) (i32.mul (local.get $i) (i32.const 3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $get (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc)))
"#;

/// Records each watch stop (the reason and the stopped function), then
/// resumes, or unwinds at the first when `unwind`.
struct Recorder {
    stops: Vec<(PauseReason, u32)>,
    unwind: bool,
}

impl DebugHook for Recorder {
    fn enter(
        &mut self,
        _: &mut Store,
        _: FuncAddr,
        _: &[Value],
        _: &[JitFrame],
        _: &mut BreakFlags<'_>,
    ) -> RunOutcome {
        panic!("no breakpoints are set")
    }

    fn watched(
        &mut self,
        _: &mut Store,
        stop: JitStop,
        reason: PauseReason,
        _: &mut BreakFlags<'_>,
    ) -> AfterInterrupt {
        assert!(stop.locals.is_empty() && !stop.takeover, "{stop:?}");
        self.stops.push((reason.clone(), stop.frames[0].func_index));
        if self.unwind {
            AfterInterrupt::Unwind(RunOutcome::Paused(reason))
        } else {
            AfterInterrupt::Resume
        }
    }
}

fn run(
    compiled: CompiledModule,
    watch: Vec<WatchRange>,
    unwind: bool,
) -> (RunOutcome, Vec<(PauseReason, u32)>) {
    let module = compiled.module().clone();
    let mut engine = JitEngine::new(OptLevel::Speed);
    engine.add_compiled(Arc::new(compiled));
    let mut store = Store::new(StoreConfig::default());
    let (inst, _) = store.instantiate(module, &[]).expect("instantiates");
    let Some(Extern::Func(fill)) = store.instance_export(inst, "fill") else {
        panic!("no export")
    };
    let memory = store.instance_memory(inst).expect("a memory");
    let watch = watch
        .into_iter()
        .map(|w| WatchRange { memory, ..w })
        .collect();
    let mut hook = Recorder {
        stops: Vec::new(),
        unwind,
    };
    let mut ctl = RunControl {
        watch,
        ..RunControl::default()
    };
    let out = engine
        .call_debug(
            &mut store,
            fill,
            &[Value::I32(100)],
            &mut ctl,
            &HashSet::new(),
            &mut hook,
        )
        .expect("runs");
    (out, hook.stops)
}

fn module() -> Arc<Module> {
    Arc::new(Module::new(wat::parse_str(FILL).expect("parses")).expect("valid"))
}

fn range(addr: u32, len: u32, on_read: bool, on_write: bool) -> WatchRange {
    WatchRange {
        memory: 0,
        addr,
        len,
        on_read,
        on_write,
    }
}

const SUM: i32 = 3 * 99 * 100 / 2;

#[test]
fn a_watched_store_stops_right_after_it_and_resumes() {
    let compiled =
        CompiledModule::compile_for_debugger_with(module(), OptLevel::Speed, true, false)
            .expect("compiles");
    // a[7] = 21, and a 2-byte watch inside a[40] = 120.
    let (out, stops) = run(
        compiled,
        vec![range(28, 4, false, true), range(162, 2, false, true)],
        false,
    );
    assert_eq!(out, RunOutcome::Returned(vec![Value::I32(SUM)]));
    let hit = |index, addr, new: u8| PauseReason::Watchpoint {
        index,
        addr,
        len: 4,
        write: true,
        old: vec![0; 4],
        new: vec![new, 0, 0, 0],
    };
    // Both in `$set` (function 0); reads are not watched.
    assert_eq!(stops, vec![(hit(0, 28, 21), 0), (hit(1, 160, 120), 0)]);
}

#[test]
fn a_read_watch_checks_loads_too() {
    let compiled = CompiledModule::compile_for_debugger_with(module(), OptLevel::Speed, true, true)
        .expect("compiles");
    let (out, stops) = run(compiled, vec![range(8, 4, true, true)], false);
    assert_eq!(out, RunOutcome::Returned(vec![Value::I32(SUM)]));
    let kinds: Vec<(bool, Vec<u8>, u32)> = stops
        .into_iter()
        .map(|(r, f)| match r {
            PauseReason::Watchpoint { write, new, .. } => (write, new, f),
            other => panic!("{other:?}"),
        })
        .collect();
    // Written by `$set` (0), read by `$get` (1).
    assert_eq!(
        kinds,
        vec![(true, vec![6, 0, 0, 0], 0), (false, vec![6, 0, 0, 0], 1)]
    );
}

#[test]
fn the_hook_can_unwind_at_a_watch_stop() {
    let compiled =
        CompiledModule::compile_for_debugger_with(module(), OptLevel::Speed, true, false)
            .expect("compiles");
    let (out, stops) = run(compiled, vec![range(12, 1, false, true)], true);
    assert_eq!(stops.len(), 1);
    assert!(
        matches!(
            out,
            RunOutcome::Paused(PauseReason::Watchpoint { addr: 12, .. })
        ),
        "{out:?}"
    );
}

#[test]
fn code_without_watch_checks_never_stops() {
    let compiled =
        CompiledModule::compile_for_debugger(module(), OptLevel::Speed).expect("compiles");
    assert!(!compiled.options.watch_stores);
    let (out, stops) = run(compiled, vec![range(28, 4, false, true)], false);
    assert_eq!(out, RunOutcome::Returned(vec![Value::I32(SUM)]));
    assert!(stops.is_empty());
}
