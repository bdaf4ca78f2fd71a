//! Breakpoints on function entries in JIT and AOT code
//! (`JitEngine::call_debug`): a call of a flagged function goes to the
//! debug hook, whatever code it was compiled as, and nothing else does; the
//! hook may change the flags; code runs unchanged after a debug run. (On
//! x86-64 Linux the entry of a flagged function is patched for the run, so
//! these also check that every patch is undone.)

use std::collections::HashSet;
use std::sync::Arc;

use wdb_engine::interp::{Execution, RunControl, RunOutcome};
use wdb_engine::jit::{BreakFlags, CompiledModule, DebugHook, JitEngine, JitFrame, OptLevel, aot};
use wdb_engine::runtime::{Extern, InstanceId, Store, StoreConfig};
use wdb_engine::value::FuncAddr;
use wdb_engine::{Module, Value};

const SQUARES: &str = r#"
(module
  (func $sq (export "sq") (param i32) (result i32)
    (i32.mul (local.get 0) (local.get 0)))
  (func (export "sum_sq") (param i32) (result i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (local.set $s (i32.add (local.get $s) (call $sq (local.get 0))))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
    (local.get $s))
  (table 1 funcref)
  (elem (i32.const 0) $sq2)
  (type $un (func (param i32) (result i32)))
  (func $sq2 (export "sq2") (param i32) (result i32)
    (i32.mul (local.get 0) (local.get 0)))
  (func (export "sq2_indirect") (param i32) (result i32)
    (call_indirect (type $un) (local.get 0) (i32.const 0)))
)
"#;

/// Runs every call it gets in the interpreter, recording it; clears every
/// flag after `clear_after` calls when set.
#[derive(Default)]
struct Recorder {
    calls: Vec<(FuncAddr, Vec<Value>, Vec<u32>)>,
    clear_after: Option<usize>,
}

impl DebugHook for Recorder {
    fn enter(
        &mut self,
        store: &mut Store,
        func: FuncAddr,
        args: &[Value],
        frames: &[JitFrame],
        flags: &mut BreakFlags<'_>,
    ) -> RunOutcome {
        self.calls.push((
            func,
            args.to_vec(),
            frames.iter().map(|f| f.func_index).collect(),
        ));
        if self.clear_after == Some(self.calls.len()) {
            flags.set(store, &HashSet::new());
        }
        let mut e = Execution::new(store, func, args).expect("arguments match");
        e.run(store, &mut RunControl::default())
    }
}

fn setup(
    compiled: impl FnOnce(Arc<Module>) -> Option<CompiledModule>,
) -> (Store, InstanceId, JitEngine) {
    let bytes = wat::parse_str(SQUARES).expect("parses");
    let module = Arc::new(Module::new(bytes).expect("valid"));
    let mut engine = JitEngine::new(OptLevel::Speed);
    let module = match compiled(module.clone()) {
        Some(c) => {
            let m = c.module().clone();
            engine.add_compiled(Arc::new(c));
            m
        }
        None => module,
    };
    let mut store = Store::new(StoreConfig::default());
    let (inst, _) = store.instantiate(module, &[]).expect("instantiates");
    (store, inst, engine)
}

fn export(store: &Store, inst: InstanceId, name: &str) -> FuncAddr {
    match store.instance_export(inst, name) {
        Some(Extern::Func(f)) => f,
        _ => panic!("no export {name}"),
    }
}

fn sum_sq_debug(
    store: &mut Store,
    inst: InstanceId,
    engine: &mut JitEngine,
    breaks: &[&str],
    hook: &mut Recorder,
) -> RunOutcome {
    let f = export(store, inst, "sum_sq");
    let breaks: HashSet<FuncAddr> = breaks.iter().map(|b| export(store, inst, b)).collect();
    engine
        .call_debug(
            store,
            f,
            &[Value::I32(3)],
            &mut RunControl::default(),
            &breaks,
            hook,
        )
        .expect("runs")
}

/// Makes the code a test runs (`None`: the engine's lazy JIT).
type MakeCode = Box<dyn Fn(Arc<Module>) -> Option<CompiledModule>>;

fn every_kind_of_code() -> Vec<(&'static str, MakeCode)> {
    vec![
        ("lazy JIT", Box::new(|_| None)),
        (
            "code for the debugger",
            Box::new(|m| {
                Some(CompiledModule::compile_for_debugger(m, OptLevel::Speed).expect("compiles"))
            }),
        ),
        (
            "AOT",
            Box::new(|m| {
                let bytes =
                    aot::compile_universal(&m, OptLevel::Speed, &mut |_, _| {}).expect("compiles");
                let m = Arc::new(Module::new(bytes).expect("valid"));
                Some(
                    CompiledModule::load_aot(m)
                        .expect("loads")
                        .expect("has code"),
                )
            }),
        ),
    ]
}

#[test]
fn calls_of_a_flagged_function_go_to_the_hook_and_only_those() {
    for (kind, compile) in every_kind_of_code() {
        let (mut store, inst, mut engine) = setup(compile);
        let sq = export(&store, inst, "sq");
        let mut hook = Recorder::default();
        let out = sum_sq_debug(&mut store, inst, &mut engine, &["sq"], &mut hook);
        assert_eq!(out, RunOutcome::Returned(vec![Value::I32(14)]), "{kind}");
        let args: Vec<_> = hook.calls.iter().map(|c| (c.0, c.1.clone())).collect();
        assert_eq!(
            args,
            vec![
                (sq, vec![Value::I32(3)]),
                (sq, vec![Value::I32(2)]),
                (sq, vec![Value::I32(1)])
            ],
            "{kind}"
        );
        // The JIT frames below each stop: the caller, `sum_sq`.
        assert!(
            hook.calls.iter().all(|c| c.2 == vec![1]),
            "{kind}: {:?}",
            hook.calls
        );

        // Without breakpoints, and in a plain call after it, nothing stops
        // (a patch left behind would end this process with SIGTRAP).
        let mut hook = Recorder::default();
        let out = sum_sq_debug(&mut store, inst, &mut engine, &[], &mut hook);
        assert_eq!(out, RunOutcome::Returned(vec![Value::I32(14)]), "{kind}");
        assert!(hook.calls.is_empty(), "{kind}");
        let f = export(&store, inst, "sum_sq");
        let out = engine
            .call(&mut store, f, &[Value::I32(4)], &mut RunControl::default())
            .expect("runs");
        assert_eq!(out, RunOutcome::Returned(vec![Value::I32(30)]), "{kind}");
    }
}

#[test]
fn the_hook_can_clear_the_flags_and_the_entry_function_can_stop() {
    for (kind, compile) in every_kind_of_code() {
        let (mut store, inst, mut engine) = setup(compile);
        // Compiled by a first run, so the breakpoint is set on code that exists.
        let mut hook = Recorder::default();
        sum_sq_debug(&mut store, inst, &mut engine, &[], &mut hook);
        let mut hook = Recorder {
            clear_after: Some(1),
            ..Recorder::default()
        };
        let out = sum_sq_debug(&mut store, inst, &mut engine, &["sq"], &mut hook);
        assert_eq!(out, RunOutcome::Returned(vec![Value::I32(14)]), "{kind}");
        assert_eq!(
            hook.calls.len(),
            1,
            "{kind}: the flags were cleared at the first stop"
        );

        let mut hook = Recorder::default();
        let out = sum_sq_debug(&mut store, inst, &mut engine, &["sum_sq"], &mut hook);
        assert_eq!(out, RunOutcome::Returned(vec![Value::I32(14)]), "{kind}");
        assert_eq!(hook.calls.len(), 1, "{kind}");
        assert!(hook.calls[0].2.is_empty(), "{kind}: called from the host");
    }
}

#[test]
fn a_function_compiled_during_the_run_stops_too() {
    // `sq2` (function 2) is reached only through the table, so the lazy JIT
    // compiles it on its first call, in the middle of the run: its
    // breakpoint must hold from then on.
    let (mut store, inst, mut engine) = setup(|_| None);
    let f = export(&store, inst, "sq2_indirect");
    let sq2 = export(&store, inst, "sq2");
    let breaks: HashSet<FuncAddr> = [sq2].into_iter().collect();
    let mut hook = Recorder::default();
    let out = engine
        .call_debug(
            &mut store,
            f,
            &[Value::I32(5)],
            &mut RunControl::default(),
            &breaks,
            &mut hook,
        )
        .expect("runs");
    assert_eq!(out, RunOutcome::Returned(vec![Value::I32(25)]));
    assert_eq!(hook.calls.len(), 1);
    assert_eq!(hook.calls[0].0, sq2);
    assert_eq!(hook.calls[0].2, vec![3], "called from sq2_indirect");
}

const NESTED: &str = r#"
(module
  (func $sq (export "sq") (param i32) (result i32)
    (i32.mul (local.get 0) (local.get 0)))
  (func $twice_sq (export "twice_sq") (param i32) (result i32)
    (i32.add (call $sq (local.get 0)) (call $sq (local.get 0))))
  (func $boom (export "boom") (param i32) (result i32)
    unreachable)
  (func (export "outer") (param i32) (result i32)
    (i32.add (i32.const 1000) (call $twice_sq (local.get 0))))
)
"#;

/// At the entry of a flagged function other than `sq`, asks for a native
/// call instead of interpreting it: `call` (the function and its argument) as native code,
/// nested in the run; answers with the native result plus one. Entries of
/// flagged functions inside that call come back here (`sq`: answered 7).
struct NativeCaller {
    call: Option<(FuncAddr, i32)>,
    sq: FuncAddr,
    returned: Vec<RunOutcome>,
    nested_entries: Vec<FuncAddr>,
    frames_at_nested: Vec<Vec<u32>>,
    depth: u32,
}

impl DebugHook for NativeCaller {
    fn enter(
        &mut self,
        _store: &mut Store,
        func: FuncAddr,
        _args: &[Value],
        frames: &[JitFrame],
        _flags: &mut BreakFlags<'_>,
    ) -> RunOutcome {
        if func == self.sq {
            self.nested_entries.push(func);
            self.frames_at_nested
                .push(frames.iter().map(|f| f.func_index).collect());
            return RunOutcome::Returned(vec![Value::I32(7)]);
        }
        // The answer that follows the native call replaces this one.
        RunOutcome::Returned(vec![Value::I32(-1)])
    }

    fn native_call(&mut self) -> Option<wdb_engine::jit::NativeCall> {
        let (func, arg) = self.call.take()?;
        Some(wdb_engine::jit::NativeCall {
            func,
            args: vec![Value::I32(arg)],
            depth: self.depth,
        })
    }

    fn native_returned(
        &mut self,
        _store: &mut Store,
        outcome: RunOutcome,
        _flags: &mut BreakFlags<'_>,
    ) -> (RunOutcome, bool) {
        self.returned.push(outcome.clone());
        match outcome {
            RunOutcome::Returned(v) => match v[..] {
                [Value::I32(x)] => (RunOutcome::Returned(vec![Value::I32(x + 1)]), false),
                _ => panic!("{v:?}"),
            },
            other => (other, false),
        }
    }
}

fn nested_setup(compiled: &MakeCode) -> (Store, InstanceId, JitEngine) {
    let bytes = wat::parse_str(NESTED).expect("parses");
    let module = Arc::new(Module::new(bytes).expect("valid"));
    let mut engine = JitEngine::new(OptLevel::Speed);
    let module = match compiled(module.clone()) {
        Some(c) => {
            let m = c.module().clone();
            engine.add_compiled(Arc::new(c));
            m
        }
        None => module,
    };
    let mut store = Store::new(StoreConfig::default());
    let (inst, _) = store.instantiate(module, &[]).expect("instantiates");
    (store, inst, engine)
}

#[test]
fn a_hook_has_calls_made_as_native_code_nested_in_the_run() {
    for (what, make) in every_kind_of_code() {
        let (mut store, inst, mut engine) = nested_setup(&make);
        let [outer, twice, sq, boom] =
            ["outer", "twice_sq", "sq", "boom"].map(|n| export(&store, inst, n));
        // twice_sq is flagged; its hook has sq(5) made natively: 25, + 1.
        let mut hook = NativeCaller {
            call: Some((sq, 5)),
            sq,
            returned: Vec::new(),
            nested_entries: Vec::new(),
            frames_at_nested: Vec::new(),
            depth: 2,
        };
        let out = engine
            .call_debug(
                &mut store,
                outer,
                &[Value::I32(3)],
                &mut RunControl::default(),
                &HashSet::from([twice]),
                &mut hook,
            )
            .expect("runs");
        assert_eq!(out, RunOutcome::Returned(vec![Value::I32(1026)]), "{what}");
        assert_eq!(
            hook.returned,
            [RunOutcome::Returned(vec![Value::I32(25)])],
            "{what}"
        );
        assert!(hook.nested_entries.is_empty(), "{what}");

        // Flagged functions inside the native call come to the hook, nested:
        // at outer's entry (flagged), twice_sq(4) natively, whose two calls
        // of sq (flagged) answer 7: outer's answer is 7 + 7 + 1.
        let mut hook = NativeCaller {
            call: Some((twice, 4)),
            sq,
            returned: Vec::new(),
            nested_entries: Vec::new(),
            frames_at_nested: Vec::new(),
            depth: 2,
        };
        let out = engine
            .call_debug(
                &mut store,
                outer,
                &[Value::I32(3)],
                &mut RunControl::default(),
                &HashSet::from([outer, sq]),
                &mut hook,
            )
            .expect("runs");
        assert_eq!(out, RunOutcome::Returned(vec![Value::I32(15)]), "{what}");
        assert_eq!(hook.nested_entries, [sq, sq], "{what}");
        // The native frames of the nested call (twice_sq), not those below
        // the hook's own function.
        assert_eq!(hook.frames_at_nested, [vec![1], vec![1]], "{what}");

        // A trap in the native call is its outcome (with its backtrace),
        // handed to the hook, which here passes it on: the run ends with it.
        let mut hook = NativeCaller {
            call: Some((boom, 0)),
            sq,
            returned: Vec::new(),
            nested_entries: Vec::new(),
            frames_at_nested: Vec::new(),
            depth: 2,
        };
        let out = engine
            .call_debug(
                &mut store,
                outer,
                &[Value::I32(3)],
                &mut RunControl::default(),
                &HashSet::from([twice]),
                &mut hook,
            )
            .expect("runs");
        let RunOutcome::Trapped(t) = &out else {
            panic!("{what}: {out:?}")
        };
        let RunOutcome::Trapped(nested) = &hook.returned[0] else {
            panic!("{what}: {:?}", hook.returned)
        };
        assert_eq!(nested.backtrace.len(), 1, "{what}: {nested:?}");
        assert_eq!(nested.backtrace[0].func_index, 2, "{what}");
        assert_eq!(t.code, nested.code, "{what}");
        // The engine runs normally afterwards.
        let out = engine
            .call(
                &mut store,
                outer,
                &[Value::I32(2)],
                &mut RunControl::default(),
            )
            .expect("runs");
        assert_eq!(out, RunOutcome::Returned(vec![Value::I32(1008)]), "{what}");
    }
}
