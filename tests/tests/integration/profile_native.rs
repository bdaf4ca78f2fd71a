//! `wdb profile`'s JIT and AOT figures: the profiling build of the native
//! code (`wdb_engine::jit::prof`) counts calls exactly and keeps a shadow
//! stack a sampler can read; `profile()` puts those figures beside the
//! interpreter's and splits compile time from run time.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::workspace;
use wdb_debugger::profile::{self, FuncRow, ProfileConfig, ProfileReport};
use wdb_debugger::runner::Mode;
use wdb_engine::interp::{RunControl, RunOutcome};
use wdb_engine::jit::{CompileOptions, CompiledModule, JitEngine, JitProfile, OptLevel, aot};
use wdb_engine::runtime::{Extern, HostFunc, InstanceId, Linker, Store, StoreConfig};
use wdb_engine::{Module, Value};

fn func<'a>(r: &'a ProfileReport, name: &str) -> &'a FuncRow {
    r.functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no function {name} in {:#?}", r.functions))
}

fn all_modes(file: PathBuf) -> ProfileConfig {
    ProfileConfig {
        file,
        modes: vec![Mode::Interp, Mode::Jit, Mode::Aot],
        runs: 1,
        ..ProfileConfig::default()
    }
}

#[test]
fn fib_20_makes_21891_calls_in_every_mode() {
    let mut cfg = all_modes(workspace().join("fixtures/fib.wasm"));
    cfg.invoke = Some(("fib".into(), vec!["20".into()]));
    let r = profile::profile(cfg).expect("profiles");
    assert!(r.stdout_mismatches.is_empty(), "{:?}", r.stdout_mismatches);
    let fib = func(&r, "fib");
    assert_eq!(fib.calls, 21_891);
    assert_eq!(fib.jit.expect("jit figures").calls, 21_891);
    assert_eq!(fib.aot.expect("aot figures").calls, 21_891);
    assert_eq!(r.native_profiles.len(), 2);
    for m in &r.modes {
        assert_eq!(m.outcome.as_deref(), Some("returned 6765"), "{}", m.mode);
        assert!(m.load_ms.is_some(), "{}: load", m.mode);
        assert!(m.instantiate.is_some() && m.wall.is_some() && m.total.is_some());
        // Compile time is its own phase for the native modes, none for interp.
        assert_eq!(m.compile.is_some(), m.mode != "interp", "{}", m.mode);
    }
    // The file has no wdb.aot section: profile compiled one and says so.
    let aot = r.modes.iter().find(|m| m.mode == "aot").expect("aot ran");
    assert!(aot.aot_compile_ms.is_some());
    assert!(
        aot.code
            .as_deref()
            .is_some_and(|c| c.contains("no wdb.aot section")),
        "{:?}",
        aot.code
    );
    // Both native modes have their per-function profile (the table's `jit
    // self` and `aot self` columns: `repl/src/render/profile.rs`).
    let native: Vec<&str> = r.native_profiles.iter().map(|n| n.mode.as_str()).collect();
    assert_eq!(native, ["jit", "aot"]);
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("json");
    let fib_json = json["functions"]
        .as_array()
        .expect("functions")
        .iter()
        .find(|f| f["name"] == "fib")
        .expect("fib in json");
    assert_eq!(fib_json["jit"]["calls"], 21_891);
    assert_eq!(fib_json["aot"]["calls"], 21_891);
}

#[test]
fn a_universal_module_is_loaded_not_recompiled() {
    let module =
        Arc::new(Module::from_file(&workspace().join("fixtures/fib.wasm")).expect("loads"));
    let bytes = aot::compile_universal(&module, OptLevel::default(), &mut |_, _| {}).expect("aot");
    let mut cfg = all_modes(PathBuf::from("fib.aot.wasm"));
    cfg.module = Some(Arc::new(Module::new(bytes).expect("valid")));
    cfg.modes = vec![Mode::Interp, Mode::Aot];
    cfg.invoke = Some(("fib".into(), vec!["15".into()]));
    let r = profile::profile(cfg).expect("profiles");
    assert!(r.stdout_mismatches.is_empty(), "{:?}", r.stdout_mismatches);
    let aot = &r.modes[1];
    assert_eq!(aot.aot_compile_ms, None);
    assert_eq!(
        aot.code.as_deref(),
        Some("loaded from the file's wdb.aot section")
    );
    assert_eq!(func(&r, "fib").aot.expect("aot").calls, 1973);
}

#[test]
fn pi_command_counts_agree_in_every_mode() {
    let mut cfg = all_modes(workspace().join("fixtures/bench/pi-O2.wasm"));
    cfg.args = vec!["100".into()];
    let r = profile::profile(cfg).expect("profiles");
    assert!(r.stdout_mismatches.is_empty(), "{:?}", r.stdout_mismatches);
    // Every wasm function that ran has the same calls in every mode
    // (`profile` reports any difference as a mismatch; check it directly too).
    let mut wasm_funcs = 0;
    for f in &r.functions {
        let (j, a) = (f.jit.expect("jit"), f.aot.expect("aot"));
        if !f.name.contains("::") {
            wasm_funcs += 1;
            assert_eq!((j.calls, a.calls), (f.calls, f.calls), "{}", f.name);
        }
    }
    assert!(wasm_funcs > 10, "{wasm_funcs}");
    // WASI calls made directly are counted too.
    let w = func(&r, "wasi_snapshot_preview1::fd_write");
    assert_eq!(w.jit.expect("jit").calls, w.calls);
}

#[test]
fn flame_graphs_and_speedscope_per_mode() {
    let mut cfg = all_modes(workspace().join("fixtures/fib.wasm"));
    cfg.invoke = Some(("fib".into(), vec!["10".into()]));
    let r = profile::profile(cfg).expect("profiles");
    let svg = r.flamegraph_svg_for("interp").expect("interp svg");
    assert!(String::from_utf8_lossy(&svg).contains("<svg"));
    // fib(10) is far too short for a 1 ms sample in JIT code: a clear error.
    let e = r.flamegraph_svg_for("jit").expect_err("no samples");
    assert!(e.contains("too short"), "{e}");
    let e = r.flamegraph_svg_for("wasmtime").expect_err("no such mode");
    assert!(e.contains("wasmtime"), "{e}");
    let doc: serde_json::Value = serde_json::from_str(&r.speedscope_json()).expect("json");
    let names: Vec<&str> = doc["profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(
        names[2].starts_with("jit") && names[3].starts_with("aot"),
        "{names:?}"
    );
}

// Engine level: the profiling build itself.

const NEST: &str = r#"
(module
  (import "env" "probe" (func $probe))
  (func $inner (param i32) (result i32)
    call $probe
    (i32.add (local.get 0) (i32.const 1)))
  (func $outer (export "outer") (param i32) (result i32)
    (call $inner (call $inner (local.get 0))))
)
"#;

fn nest() -> (
    Store,
    InstanceId,
    Arc<Module>,
    Arc<Mutex<Vec<Vec<u32>>>>,
    Arc<JitProfile>,
) {
    let module = Arc::new(Module::new(wat::parse_str(NEST).expect("parses")).expect("valid"));
    let prof = JitProfile::new(module.num_funcs(), 1000);
    let seen: Arc<Mutex<Vec<Vec<u32>>>> = Arc::default();
    let (p, s) = (prof.clone(), seen.clone());
    // The host function samples the shadow stack from inside the call.
    let probe: HostFunc = Arc::new(move |_, _, _| {
        let mut v = Vec::new();
        p.sample(&mut v);
        s.lock().expect("lock").push(v);
        Ok(())
    });
    let mut store = Store::new(StoreConfig::default());
    let mut l = Linker::new();
    l.func(
        &mut store,
        "env",
        "probe",
        wasmparser::FuncType::new([], []),
        probe,
    );
    let imports = l.resolve(&store, &module).expect("links");
    let (inst, _) = store
        .instantiate(module.clone(), &imports)
        .expect("instantiates");
    (store, inst, module, seen, prof)
}

fn export(store: &Store, inst: InstanceId, name: &str) -> u32 {
    match store.instance_export(inst, name) {
        Some(Extern::Func(f)) => f,
        _ => panic!("no export {name}"),
    }
}

#[test]
fn profiling_build_counts_calls_and_keeps_a_shadow_stack() {
    let (mut store, inst, _, seen, prof) = nest();
    let f = export(&store, inst, "outer");
    let mut jit = JitEngine::new(OptLevel::Speed);
    jit.set_profile(Some(prof.clone()));
    let out = jit
        .call(&mut store, f, &[Value::I32(5)], &mut RunControl::default())
        .expect("runs");
    assert_eq!(out, RunOutcome::Returned(vec![Value::I32(7)]));
    // Function indexes: 0 probe (import), 1 inner, 2 outer.
    assert_eq!(prof.calls(), vec![2, 2, 1]);
    assert_eq!(
        *seen.lock().expect("lock"),
        vec![vec![2, 1, 0], vec![2, 1, 0]]
    );
    // After the run nothing is on the stack.
    let mut v = vec![9];
    prof.sample(&mut v);
    assert!(v.is_empty(), "{v:?}");
}

#[test]
fn instrumented_code_never_runs_without_its_counters() {
    let (mut store, inst, module, _, _) = nest();
    let f = export(&store, inst, "outer");
    let c = CompiledModule::compile_with(
        module.clone(),
        OptLevel::Speed,
        CompileOptions::PROFILE,
        &mut |_, _| {},
    )
    .expect("compiles");
    let mut jit = JitEngine::new(OptLevel::Speed);
    jit.add_compiled(Arc::new(c));
    let e = jit
        .call(&mut store, f, &[Value::I32(5)], &mut RunControl::default())
        .expect_err("no profile attached");
    assert!(e.to_string().contains("JitProfile"), "{e}");
    // Too few counters for the module: refused too.
    jit.set_profile(Some(JitProfile::new(1, 100)));
    let e = jit
        .call(&mut store, f, &[Value::I32(5)], &mut RunControl::default())
        .expect_err("too small");
    assert!(e.to_string().contains("3"), "{e}");
}

#[test]
fn profiling_aot_images_are_told_apart_from_plain_ones() {
    let (_, _, module, _, _) = nest();
    let prof = aot::compile_universal_with(
        &module,
        OptLevel::Speed,
        CompileOptions::PROFILE,
        &mut |_, _| {},
    )
    .expect("compiles");
    let plain = aot::compile_universal(&module, OptLevel::Speed, &mut |_, _| {}).expect("compiles");
    assert_ne!(prof, plain);
    let prof = Arc::new(Module::new(prof).expect("valid"));
    let plain = Arc::new(Module::new(plain).expect("valid"));
    // Each loads only as what it is.
    assert!(CompiledModule::load_aot(prof.clone()).is_err());
    assert!(CompiledModule::load_aot_with(plain.clone(), CompileOptions::PROFILE).is_err());
    let c = CompiledModule::load_aot_with(prof, CompileOptions::PROFILE)
        .expect("loads")
        .expect("has a section");
    assert!(c.options.profile);
    let c = CompiledModule::load_aot(plain)
        .expect("loads")
        .expect("has a section");
    assert!(!c.options.profile);
}

#[test]
fn a_sampler_thread_sees_the_hot_function() {
    // ~tens of ms of JIT code: $hot loops, called from $main.
    let module = Arc::new(
        Module::new(
            wat::parse_str(
                r#"(module
  (func $hot (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.mul (local.get 0) (i32.const 3))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0)))
    (local.get 1))
  (func (export "main") (result i32)
    (call $hot (i32.const 200000000))))"#,
            )
            .expect("parses"),
        )
        .expect("valid"),
    );
    let mut store = Store::new(StoreConfig::default());
    let (inst, _) = store
        .instantiate(module.clone(), &[])
        .expect("instantiates");
    let f = export(&store, inst, "main");
    let prof = JitProfile::new(module.num_funcs(), 100);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (p, s) = (prof.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut stacks = Vec::new();
            let mut v = Vec::new();
            while !s.load(std::sync::atomic::Ordering::Relaxed) {
                p.sample(&mut v);
                if !v.is_empty() {
                    stacks.push(v.clone());
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            stacks
        })
    };
    let mut jit = JitEngine::new(OptLevel::Speed);
    jit.set_profile(Some(prof.clone()));
    let out = jit
        .call(&mut store, f, &[], &mut RunControl::default())
        .expect("runs");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let stacks = sampler.join().expect("sampler");
    assert!(matches!(out, RunOutcome::Returned(_)), "{out:?}");
    assert_eq!(prof.calls(), vec![1, 1]);
    assert!(!stacks.is_empty(), "no sample in the whole run");
    // Function indexes: 0 hot, 1 main; the hot loop dominates.
    let hot = stacks.iter().filter(|s| **s == [1, 0]).count();
    assert!(
        hot * 2 > stacks.len(),
        "{hot} of {}: {stacks:?}",
        stacks.len()
    );
}
