//! JIT behaviour the spec suite does not pin down: exact trap backtraces
//! (equal to the interpreter's), call-depth limits with deep non-tail
//! recursion, interrupts and fuel in loops, host traps and `proc_exit`
//! through the host trampoline, and the AOT section's error handling.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use wdb_engine::interp::{Execution, PauseReason, RunControl, RunOutcome};
use wdb_engine::jit::{CompiledModule, JitEngine, OptLevel, aot};
use wdb_engine::runtime::{Extern, HostError, HostFunc, InstanceId, Linker, Store, StoreConfig};
use wdb_engine::{Module, TrapCode, ValType, Value};

fn setup(wat: &str, linker: impl FnOnce(&mut Linker, &mut Store)) -> (Store, InstanceId) {
    let bytes = wat::parse_str(wat).expect("test module parses");
    let module = Arc::new(Module::new(bytes).expect("valid module"));
    let mut store = Store::new(StoreConfig::default());
    let mut l = Linker::new();
    linker(&mut l, &mut store);
    let imports = l.resolve(&store, &module).expect("links");
    let (inst, _) = store.instantiate(module, &imports).expect("instantiates");
    (store, inst)
}

fn func(store: &Store, inst: InstanceId, name: &str) -> u32 {
    match store.instance_export(inst, name) {
        Some(Extern::Func(f)) => f,
        _ => panic!("no export {name}"),
    }
}

fn interp(store: &mut Store, f: u32, args: &[Value]) -> RunOutcome {
    let mut e = Execution::new(store, f, args).expect("args match");
    e.run(store, &mut RunControl::default())
}

fn jit(store: &mut Store, f: u32, args: &[Value]) -> RunOutcome {
    JitEngine::new(OptLevel::Speed)
        .call(store, f, args, &mut RunControl::default())
        .expect("compiles and args match")
}

fn interp_named(store: &mut Store, i: InstanceId, name: &str, args: &[Value]) -> RunOutcome {
    let f = func(store, i, name);
    interp(store, f, args)
}

fn jit_named(store: &mut Store, i: InstanceId, name: &str, args: &[Value]) -> RunOutcome {
    let f = func(store, i, name);
    jit(store, f, args)
}

const NESTED: &str = r#"
(module
  (func $inner (param i32) (result i32)
    (i32.div_s (i32.const 7) (local.get 0)))
  (func $middle (param i32) (result i32)
    (i32.add (i32.const 1) (call $inner (local.get 0))))
  (func (export "outer") (param i32) (result i32)
    (call $middle (local.get 0)))
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "spin") (loop $l (br $l)))
  (memory 1)
  (func (export "oob") (result i32) (i32.load (i32.const 65534)))
)
"#;

#[test]
fn trap_backtrace_equals_interpreter() {
    let (mut s1, i1) = setup(NESTED, |_, _| {});
    let (mut s2, i2) = setup(NESTED, |_, _| {});
    let a = interp_named(&mut s1, i1, "outer", &[Value::I32(0)]);
    let b = jit_named(&mut s2, i2, "outer", &[Value::I32(0)]);
    let RunOutcome::Trapped(t) = &b else {
        panic!("expected a trap, got {b:?}")
    };
    assert_eq!(t.code, TrapCode::IntegerDivideByZero);
    assert_eq!(t.backtrace.len(), 3, "{t:?}");
    assert_eq!(
        t.backtrace.iter().map(|f| f.func_index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!(a, b);
    // And a passing call returns the right value.
    assert_eq!(
        jit_named(&mut s2, i2, "outer", &[Value::I32(7)]),
        RunOutcome::Returned(vec![Value::I32(2)])
    );
    let a = interp_named(&mut s1, i1, "oob", &[]);
    let b = jit_named(&mut s2, i2, "oob", &[]);
    assert_eq!(a, b);
    assert!(matches!(b, RunOutcome::Trapped(ref t) if t.code == TrapCode::MemoryOutOfBounds));
}

#[test]
fn deep_recursion_within_limit_returns() {
    let (mut s, i) = setup(NESTED, |_, _| {});
    let f = func(&s, i, "rec");
    assert_eq!(
        jit(&mut s, f, &[Value::I32(9_000)]),
        RunOutcome::Returned(vec![Value::I32(9_000)])
    );
}

#[test]
fn deep_recursion_past_limit_traps_stack_exhausted() {
    let (mut s, i) = setup(NESTED, |_, _| {});
    let f = func(&s, i, "rec");
    let out = jit(&mut s, f, &[Value::I32(1_000_000)]);
    let (mut s1, i1) = setup(NESTED, |_, _| {});
    let a = interp_named(&mut s1, i1, "rec", &[Value::I32(1_000_000)]);
    assert_eq!(a, out, "same trap and backtrace as the interpreter");
    let RunOutcome::Trapped(t) = out else {
        panic!("expected a trap, got {out:?}")
    };
    assert_eq!(t.code, TrapCode::CallStackExhausted);
    assert_eq!(t.message, "call stack exhausted");
    // The engine is usable again afterwards.
    assert_eq!(
        jit(&mut s, f, &[Value::I32(3)]),
        RunOutcome::Returned(vec![Value::I32(3)])
    );
}

#[test]
fn raised_call_depth_limit_is_honoured() {
    let (mut s, i) = setup(NESTED, |_, _| {});
    s.config.max_call_depth = 200_000;
    let f = func(&s, i, "rec");
    assert_eq!(
        jit(&mut s, f, &[Value::I32(150_000)]),
        RunOutcome::Returned(vec![Value::I32(150_000)])
    );
}

#[test]
fn interrupt_stops_an_infinite_loop() {
    let (mut s, i) = setup(NESTED, |_, _| {});
    let f = func(&s, i, "spin");
    let flag = s.interrupt_handle();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        flag.store(true, Ordering::SeqCst);
    });
    let out = jit(&mut s, f, &[]);
    t.join().expect("timer thread");
    assert_eq!(out, RunOutcome::Paused(PauseReason::Interrupted));
}

#[test]
fn fuel_runs_out_in_a_loop() {
    let (mut s, i) = setup(NESTED, |_, _| {});
    let f = func(&s, i, "spin");
    let mut ctl = RunControl {
        fuel: Some(10_000),
        ..RunControl::default()
    };
    let mut engine = JitEngine::new(OptLevel::Speed);
    engine.fuel = true;
    let out = engine.call(&mut s, f, &[], &mut ctl).expect("runs");
    assert_eq!(out, RunOutcome::OutOfFuel);
    assert_eq!(ctl.fuel, Some(0));
}

#[test]
fn fuel_with_code_compiled_without_fuel_checks_is_refused() {
    // Plain code has no fuel checks: running it with fuel would never stop
    // on fuel, so the call is refused instead of ignoring the budget.
    let (mut s, i) = setup(NESTED, |_, _| {});
    let f = func(&s, i, "spin");
    let mut ctl = RunControl {
        fuel: Some(10_000),
        ..RunControl::default()
    };
    let e = JitEngine::new(OptLevel::Speed)
        .call(&mut s, f, &[], &mut ctl)
        .expect_err("refused");
    assert!(e.message.contains("compiled without"), "{e}");
}

const HOST: &str = r#"
(module
  (import "env" "f" (func $f (param i32) (result i32)))
  (func (export "go") (param i32) (result i32)
    (i32.mul (i32.const 2) (call $f (local.get 0))))
)
"#;

fn host_linker(l: &mut Linker, s: &mut Store) {
    let f: HostFunc = Arc::new(|_, args: &[Value], res: &mut [Value]| {
        let x = args[0].as_i32().expect("i32 arg");
        match x {
            -1 => Err(HostError::Trap("host says no".into())),
            -2 => Err(HostError::Exit(42)),
            x => {
                res[0] = Value::I32(x + 1);
                Ok(())
            }
        }
    });
    l.func(
        s,
        "env",
        "f",
        wasmparser_ft(&[ValType::I32], &[ValType::I32]),
        f,
    );
}

fn wasmparser_ft(p: &[ValType], r: &[ValType]) -> wasmparser::FuncType {
    wasmparser::FuncType::new(p.iter().copied(), r.iter().copied())
}

#[test]
fn host_calls_return_trap_and_exit() {
    let (mut s, i) = setup(HOST, host_linker);
    let f = func(&s, i, "go");
    assert_eq!(
        jit(&mut s, f, &[Value::I32(4)]),
        RunOutcome::Returned(vec![Value::I32(10)])
    );
    let out = jit(&mut s, f, &[Value::I32(-1)]);
    let RunOutcome::Trapped(t) = &out else {
        panic!("expected a trap, got {out:?}")
    };
    assert_eq!(t.message, "host says no");
    assert_eq!(t.backtrace.len(), 1);
    assert_eq!(
        out,
        interp(&mut s, f, &[Value::I32(-1)]),
        "same trap as the interpreter"
    );
    assert_eq!(jit(&mut s, f, &[Value::I32(-2)]), RunOutcome::Exited(42));
}

#[test]
fn aot_section_round_trips() {
    let bytes = wat::parse_str(NESTED).expect("parses");
    let module = Arc::new(Module::new(bytes).expect("valid"));
    let out = aot::compile_universal(&module, OptLevel::Speed, &mut |_, _| {}).expect("compiles");
    let m2 = Arc::new(Module::new(out).expect("still a valid module"));
    let compiled = CompiledModule::load_aot(m2.clone())
        .expect("loads")
        .expect("has a section");
    assert_eq!(compiled.source, wdb_engine::jit::CodeSource::AotSection);
    let mut store = Store::new(StoreConfig::default());
    let (inst, _) = store.instantiate(m2, &[]).expect("instantiates");
    let mut engine = JitEngine::new(OptLevel::Speed);
    engine.add_compiled(Arc::new(compiled));
    let f = func(&store, inst, "rec");
    assert_eq!(
        engine
            .call(
                &mut store,
                f,
                &[Value::I32(100)],
                &mut RunControl::default()
            )
            .expect("runs"),
        RunOutcome::Returned(vec![Value::I32(100)])
    );
}

/// Replace the last custom section's payload tail to simulate damage.
fn with_section(module: &Module, payload: &[u8]) -> Vec<u8> {
    let mut out = module.bytes.to_vec();
    let mut body = Vec::new();
    body.push(aot::SECTION.len() as u8);
    body.extend_from_slice(aot::SECTION.as_bytes());
    body.extend_from_slice(payload);
    out.push(0);
    let mut n = body.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(&body);
    out
}

#[test]
fn damaged_aot_section_is_a_clear_error() {
    let bytes = wat::parse_str(NESTED).expect("parses");
    let module = Module::new(bytes).expect("valid");
    // A real section with one code byte flipped: without the checksum this
    // would load and run damaged native code.
    let good = aot::compile_universal(
        &Arc::new(Module::new(module.bytes.to_vec()).expect("valid")),
        OptLevel::Speed,
        &mut |_, _| {},
    )
    .expect("compiles");
    let sec = Module::new(good.clone())
        .expect("valid")
        .custom_sections
        .iter()
        .find(|c| c.name == aot::SECTION)
        .expect("section")
        .data
        .clone();
    let mut flipped = good[sec.clone()].to_vec();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x01;
    for (payload, expect) in [
        (&b"nonsense"[..], "bad magic"),
        (&b"WDBAOT2\0\xff\xff"[..], "checksum mismatch"),
        (&flipped[..], "checksum mismatch"),
    ] {
        let m = Arc::new(Module::new(with_section(&module, payload)).expect("valid"));
        let err = CompiledModule::load_aot(m).expect_err("damaged section is an error");
        assert!(
            err.message.contains("damaged `wdb.aot` section") && err.message.contains(expect),
            "{}",
            err.message
        );
        assert_eq!(err.kind, wdb_engine::ErrorKind::Malformed);
    }
    // The previous format is not damage: it asks for a recompile (and `wdb
    // run` falls back to the JIT with that warning).
    let m = Arc::new(Module::new(with_section(&module, b"WDBAOT1\0\xff\xff")).expect("valid"));
    let err = CompiledModule::load_aot(m).expect_err("old format");
    assert!(err.message.contains("older wdb"), "{}", err.message);
    assert_ne!(err.kind, wdb_engine::ErrorKind::Malformed);
}

#[test]
fn aot_fingerprint_mismatch_is_reported() {
    let bytes = wat::parse_str(NESTED).expect("parses");
    let module = Arc::new(Module::new(bytes).expect("valid"));
    let out = aot::compile_universal(&module, OptLevel::Speed, &mut |_, _| {}).expect("compiles");
    // Flip one byte inside the fingerprint (it follows the 8-byte magic and a u32 length).
    let m = Module::new(out.clone()).expect("valid");
    let sec = m
        .custom_sections
        .iter()
        .find(|c| c.name == aot::SECTION)
        .expect("section")
        .data
        .clone();
    let mut damaged = out;
    damaged[sec.start + 12] ^= 0x20;
    aot::reseal(&mut damaged[sec.clone()]);
    let m = Arc::new(Module::new(damaged).expect("valid"));
    let err = CompiledModule::load_aot(m).expect_err("mismatch");
    assert!(err.message.contains("was compiled for"), "{}", err.message);
}

#[test]
fn shared_object_round_trips() {
    let bytes = wat::parse_str(NESTED).expect("parses");
    let module = Arc::new(Module::new(bytes).expect("valid"));
    let dir = tempfile::tempdir().expect("temp dir");
    let so = dir.path().join("nested.so");
    aot::write_shared_object(&module, OptLevel::Speed, &so, &mut |_, _| {})
        .expect("compiles and links");
    let compiled = CompiledModule::load_shared_object(&so).expect("loads");
    assert_eq!(compiled.source, wdb_engine::jit::CodeSource::SharedObject);
    let m = compiled.module().clone();
    let mut store = Store::new(StoreConfig::default());
    let (inst, _) = store.instantiate(m, &[]).expect("instantiates");
    let mut engine = JitEngine::new(OptLevel::Speed);
    engine.add_compiled(Arc::new(compiled));
    assert_eq!(
        jit_with(&mut engine, &mut store, inst, "rec", &[Value::I32(500)]),
        RunOutcome::Returned(vec![Value::I32(500)])
    );
    let out = jit_with(&mut engine, &mut store, inst, "outer", &[Value::I32(0)]);
    assert!(
        matches!(out, RunOutcome::Trapped(ref t) if t.code == TrapCode::IntegerDivideByZero && t.backtrace.len() == 3),
        "{out:?}"
    );
}

fn jit_with(
    e: &mut JitEngine,
    s: &mut Store,
    i: InstanceId,
    name: &str,
    args: &[Value],
) -> RunOutcome {
    let f = func(s, i, name);
    e.call(s, f, args, &mut RunControl::default())
        .expect("runs")
}

#[test]
fn engine_and_code_can_move_to_a_worker_thread() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<JitEngine>();
    send::<Arc<CompiledModule>>();
    sync::<CompiledModule>();
    let (mut s, i) = setup(NESTED, |_, _| {});
    let mut engine = JitEngine::new(OptLevel::Speed);
    let out =
        std::thread::spawn(move || jit_with(&mut engine, &mut s, i, "rec", &[Value::I32(10)]))
            .join()
            .expect("worker");
    assert_eq!(out, RunOutcome::Returned(vec![Value::I32(10)]));
}

#[test]
fn native_stack_is_guarded_with_a_huge_depth_limit() {
    // An 8 MiB native stack and no depth limit: the stack guard must trap first.
    let wat = r#"
(module
  (func $big (export "big") (param i32) (result i32)
    (local v128 v128 v128 v128 v128 v128 v128 v128)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $big (i32.sub (local.get 0) (i32.const 1))))))))
"#;
    let (mut s, i) = setup(wat, |_, _| {});
    s.config.max_call_depth = u32::MAX;
    let mut engine = JitEngine::new(OptLevel::Speed);
    engine.stack_size = 8 << 20;
    let out = jit_with(&mut engine, &mut s, i, "big", &[Value::I32(10_000_000)]);
    assert!(
        matches!(out, RunOutcome::Trapped(ref t) if t.code == TrapCode::CallStackExhausted),
        "{out:?}"
    );
}

/// Accesses through one address at several offsets: the JIT checks bounds
/// once per straight-line stretch for the widest access so far, so a wider
/// one after narrower ones must still trap, before its store happens, and
/// control flow must start the checks afresh.
const WIDENING: &str = r#"
(module
  (memory 1)
  (func (export "loads") (param $p i32) (result i32)
    (i32.add
      (i32.add (i32.load offset=8 (local.get $p)) (i32.load offset=4 (local.get $p)))
      (i32.load offset=16 (local.get $p))))
  (func (export "stores") (param $p i32)
    (i32.store offset=8 (local.get $p) (i32.const 1))
    (i32.store offset=4 (local.get $p) (i32.const 2))
    (i32.store offset=16 (local.get $p) (i32.const 3)))
  (func (export "branchy") (param $p i32) (param $c i32) (result i32)
    (drop (i32.load offset=32 (local.get $p)))
    (if (local.get $c) (then (local.set $p (i32.add (local.get $p) (i32.const 64)))))
    (i32.load offset=4 (local.get $p)))
  (func (export "peek") (param $a i32) (result i32) (i32.load (local.get $a))))
"#;

#[test]
fn bounds_checked_once_per_stretch_still_trap_where_the_interpreter_does() {
    let cases: &[(&str, &[i32])] = &[
        ("loads", &[65516]),
        ("loads", &[65522]),
        ("stores", &[65516]),
        ("stores", &[65522]),
        ("branchy", &[65400, 0]),
        ("branchy", &[65470, 1]),
        ("branchy", &[65470, 0]),
    ];
    for (name, args) in cases {
        let args: Vec<Value> = args.iter().map(|a| Value::I32(*a)).collect();
        let (mut s1, i1) = setup(WIDENING, |_, _| {});
        let (mut s2, i2) = setup(WIDENING, |_, _| {});
        let want = interp_named(&mut s1, i1, name, &args);
        let got = jit_named(&mut s2, i2, name, &args);
        assert_eq!(got, want, "{name}{args:?}");
        // A trapping store stored nothing past the last access that fit.
        for at in [65520, 65524, 65528, 65532] {
            let a = [Value::I32(at)];
            assert_eq!(
                jit_named(&mut s2, i2, "peek", &a),
                interp_named(&mut s1, i1, "peek", &a),
                "{name}{args:?}: memory at {at}"
            );
        }
    }
    // The ones that trap do trap, at the widest access.
    let (mut s, i) = setup(WIDENING, |_, _| {});
    let RunOutcome::Trapped(t) = jit_named(&mut s, i, "stores", &[Value::I32(65522)]) else {
        panic!("no trap")
    };
    assert_eq!(t.code, TrapCode::MemoryOutOfBounds);
}

/// Out-of-bounds accesses in generated code, which (on x86-64 Linux) has no
/// bounds checks and relies on the memory's guard region: the fault must
/// become the same trap, with the same backtrace, as in the interpreter.
const GUARDED: &str = r#"
(module
  (memory 1 4)
  (func $leaf (param i32) (result i32) (i32.load offset=8 (local.get 0)))
  (func $mid (param i32) (result i32)
    (i32.add (i32.const 1) (call $leaf (local.get 0))))
  (func (export "deep") (param i32) (result i32)
    (i32.mul (i32.const 3) (call $mid (local.get 0))))
  (func (export "far") (result i64)
    (i64.load offset=0xffffffff (i32.const -1)))
  (func (export "straddle") (param i32)
    (i64.store (local.get 0) (i64.const -1)))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "v128") (param i32) (result i32)
    (i32x4.extract_lane 3 (v128.load (local.get 0))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "loop_oob") (param i32) (result i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (local.get 0))))
      (local.set 0 (i32.add (local.get 0) (i32.const 4096)))
      (br $l))
    (local.get $s))
)
"#;

#[test]
fn guard_region_faults_trap_like_the_interpreter() {
    let (mut s1, i1) = setup(GUARDED, |_, _| {});
    let (mut s2, i2) = setup(GUARDED, |_, _| {});
    let mut engine = JitEngine::new(OptLevel::Speed);
    let cases: [(&str, Vec<Value>); 7] = [
        ("deep", vec![Value::I32(65536 - 8)]),
        ("deep", vec![Value::I32(-1)]),
        ("far", vec![]),
        ("byte", vec![Value::I32(65536)]),
        ("v128", vec![Value::I32(65536 - 8)]),
        ("loop_oob", vec![Value::I32(0)]),
        ("straddle", vec![Value::I32(65536 - 4)]),
    ];
    for (name, args) in cases {
        let a = interp_named(&mut s1, i1, name, &args);
        let f = func(&s2, i2, name);
        let b = engine
            .call(&mut s2, f, &args, &mut RunControl::default())
            .expect("runs");
        assert!(
            matches!(b, RunOutcome::Trapped(ref t) if t.code == TrapCode::MemoryOutOfBounds),
            "{name}: {b:?}"
        );
        assert_eq!(a, b, "{name}{args:?}: same trap and backtrace");
    }
    // The deep one's backtrace has every frame, innermost first.
    let f = func(&s2, i2, "deep");
    let out = engine
        .call(&mut s2, f, &[Value::I32(65536)], &mut RunControl::default())
        .expect("runs");
    let RunOutcome::Trapped(t) = out else {
        panic!("expected a trap, got {out:?}")
    };
    assert_eq!(
        t.backtrace.iter().map(|f| f.func_index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    // A straddling store wrote nothing.
    assert_eq!(&s2.memory(0)[65536 - 4..], &[0, 0, 0, 0]);
    // The engine (and the thread's registers) are fine afterwards, and
    // growing makes the same addresses valid, reading zeroes.
    let deep = |e: &mut JitEngine, s: &mut Store, at: i32| {
        let f = func(s, i2, "deep");
        e.call(s, f, &[Value::I32(at)], &mut RunControl::default())
            .expect("runs")
    };
    assert_eq!(
        deep(&mut engine, &mut s2, 100),
        RunOutcome::Returned(vec![Value::I32(3)])
    );
    let g = func(&s2, i2, "grow");
    assert_eq!(
        engine
            .call(&mut s2, g, &[Value::I32(1)], &mut RunControl::default())
            .expect("runs"),
        RunOutcome::Returned(vec![Value::I32(1)])
    );
    assert_eq!(
        deep(&mut engine, &mut s2, 65536),
        RunOutcome::Returned(vec![Value::I32(3)])
    );
    assert!(matches!(
        deep(&mut engine, &mut s2, 2 * 65536 - 8),
        RunOutcome::Trapped(ref t) if t.code == TrapCode::MemoryOutOfBounds
    ));
    // Past the declared maximum, growing fails and nothing moves.
    assert_eq!(
        engine
            .call(&mut s2, g, &[Value::I32(3)], &mut RunControl::default())
            .expect("runs"),
        RunOutcome::Returned(vec![Value::I32(-1)])
    );
}

#[test]
fn guard_region_faults_in_aot_code_and_shared_objects() {
    let bytes = wat::parse_str(GUARDED).expect("parses");
    let module = Arc::new(Module::new(bytes).expect("valid"));
    let universal =
        aot::compile_universal(&module, OptLevel::Speed, &mut |_, _| {}).expect("compiles");
    let m2 = Arc::new(Module::new(universal).expect("valid"));
    let compiled = CompiledModule::load_aot(m2.clone())
        .expect("loads")
        .expect("has code");
    let dir = tempfile::tempdir().expect("temp dir");
    let so = dir.path().join("guarded.so");
    aot::write_shared_object(&module, OptLevel::Speed, &so, &mut |_, _| {})
        .expect("compiles and links");
    let shared = CompiledModule::load_shared_object(&so).expect("loads");
    drop(m2);
    for compiled in [compiled, shared] {
        let kind = compiled.source;
        let mut store = Store::new(StoreConfig::default());
        let (inst, _) = store
            .instantiate(compiled.module().clone(), &[])
            .expect("instantiates");
        let mut engine = JitEngine::new(OptLevel::Speed);
        engine.add_compiled(Arc::new(compiled));
        for (name, args) in [
            ("deep", vec![Value::I32(65536)]),
            ("loop_oob", vec![Value::I32(0)]),
        ] {
            let f = func(&store, inst, name);
            let out = engine
                .call(&mut store, f, &args, &mut RunControl::default())
                .expect("runs");
            let RunOutcome::Trapped(t) = out else {
                panic!("{kind:?} {name}: expected a trap, got {out:?}")
            };
            assert_eq!(t.code, TrapCode::MemoryOutOfBounds, "{kind:?} {name}");
            let expected = if name == "deep" {
                vec![0, 1, 2]
            } else {
                vec![8]
            };
            assert_eq!(
                t.backtrace.iter().map(|f| f.func_index).collect::<Vec<_>>(),
                expected,
                "{kind:?} {name}"
            );
        }
        // And it runs on normally after the faults.
        let f = func(&store, inst, "deep");
        let out = engine
            .call(&mut store, f, &[Value::I32(8)], &mut RunControl::default())
            .expect("runs");
        assert_eq!(out, RunOutcome::Returned(vec![Value::I32(3)]), "{kind:?}");
    }
}
