//! Interpreter vs JIT vs AOT (a universal module's `wdb.aot` code; for the
//! Wasm 3.0 fixtures also a `.so`), on real
//! programs: the benchmark fixtures (WASI commands with small arguments, and
//! the `fibarray` reactor), the `fib.wasm` reactor's exports, the Wasm 3.0
//! feature fixtures (`fixtures/wasm3`: exceptions in both forms, tail calls,
//! typed function references, extended constants, GC, memory64/table64,
//! multiple memories), the GC and exception benchmarks (`bench/gc`), and
//! the wazero fuzz regressions.
//! For each program the engines must agree on every call's outcome (values,
//! trap message and backtrace, exit code), on the guest's stdout, and on a
//! hash of the final linear memory. One trial per program.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use wdb_engine::interp::{Execution, PauseReason, RunControl, RunOutcome};
use wdb_engine::jit::{JitEngine, OptLevel};
use wdb_engine::module::ImportKind;
use wdb_engine::runtime::{Extern, Linker, Store, StoreConfig};
use wdb_engine::value::FuncAddr;
use wdb_engine::wasi::{self, Output, WasiConfig, WasiCtx};
use wdb_engine::{Module, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Eng {
    Interp,
    Jit,
    Aot,
    /// A shared object from `write_shared_object`, dlopen'ed.
    So,
}

/// What a program did, in a form two engines can be compared on.
#[derive(Debug, PartialEq)]
struct Observed {
    calls: Vec<String>,
    stdout: Vec<u8>,
    memory_hash: Option<u64>,
}

enum Calls {
    /// A WASI command: `_start` with these argv.
    Command(Vec<String>),
    /// `_initialize` if present, then these exports with these arguments.
    Invoke(Vec<(String, Vec<Value>)>),
    /// Run the start function, then every exported function with zero arguments.
    AllExports,
}

fn describe(o: &RunOutcome) -> String {
    match o {
        RunOutcome::Trapped(t) => {
            let frames: Vec<String> = t
                .backtrace
                .iter()
                .map(|f| format!("{}@{:?}", f.func_index, f.code_offset))
                .collect();
            format!("trap `{}` at [{}]", t.message, frames.join(" "))
        }
        RunOutcome::Returned(v) => format!("returned {v:?}"),
        RunOutcome::Paused(PauseReason::Interrupted) => "timed out".to_string(),
        other => format!("{other:?}"),
    }
}

fn run(eng: Eng, bytes: &[u8], calls: &Calls) -> Result<Observed, String> {
    let refused = |what: String| Observed {
        calls: vec![what],
        stdout: Vec::new(),
        memory_hash: None,
    };
    let mut module = match Module::new(bytes.to_vec()) {
        Ok(m) => Arc::new(m),
        // A module past 3.0 (threads, in some fuzz cases) is refused by
        // name: an outcome too.
        Err(e) if e.to_string().contains("beyond WebAssembly 3.0") => {
            return Ok(refused(format!("refused: {e}")));
        }
        Err(e) => return Err(e.to_string()),
    };
    let mut jit = JitEngine::new(OptLevel::Speed);
    if eng == Eng::Aot {
        let aot = wdb_engine::jit::aot::compile_universal(&module, OptLevel::Speed, &mut |_, _| {})
            .map_err(|e| e.to_string())?;
        module = Arc::new(Module::new(aot).map_err(|e| e.to_string())?);
        let compiled = wdb_engine::jit::CompiledModule::load_aot(module.clone())
            .map_err(|e| e.to_string())?
            .ok_or("the compiled module has no wdb.aot section")?;
        jit.add_compiled(Arc::new(compiled));
    }
    // Kept until the run ends: the library is loaded from it.
    let _so_dir;
    if eng == Eng::So {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let so = dir.path().join("module.so");
        wdb_engine::jit::aot::write_shared_object(&module, OptLevel::Speed, &so, &mut |_, _| {})
            .map_err(|e| e.to_string())?;
        let compiled =
            wdb_engine::jit::CompiledModule::load_shared_object(&so).map_err(|e| e.to_string())?;
        module = compiled.module().clone();
        jit.add_compiled(Arc::new(compiled));
        _so_dir = dir;
    }
    let mut store = Store::new(StoreConfig::default());
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = out.clone();
    let argv = match calls {
        Calls::Command(a) => a.clone(),
        _ => vec!["prog".to_string()],
    };
    let ctx = WasiCtx::new(WasiConfig {
        args: argv,
        stdout: Output::Sink(Arc::new(move |b: &[u8]| {
            sink.lock().expect("stdout lock").extend_from_slice(b)
        })),
        ..WasiConfig::default()
    })
    .map_err(|e| e.to_string())?;
    let mut linker = Linker::new();
    wasi::add_to_linker(&mut linker, &mut store, Arc::new(Mutex::new(ctx)))
        .map_err(|e| e.to_string())?;
    // Memories, tables and globals no host provides (some fuzz cases
    // import them) are made fresh, as a host would give them.
    for imp in &module.imports {
        if linker.get(&imp.module, &imp.name).is_some() {
            continue;
        }
        let ext = match imp.kind {
            ImportKind::Memory(ty) => {
                Extern::Memory(store.add_memory(ty).map_err(|e| e.to_string())?)
            }
            ImportKind::Table(ty) => Extern::Table(
                store
                    .add_table(
                        ty,
                        Value::default_for(wdb_engine::ValType::Ref(ty.element_type)),
                    )
                    .map_err(|e| e.to_string())?,
            ),
            ImportKind::Global(ty) => Extern::Global(
                store
                    .add_global(ty, Value::default_for(ty.content_type))
                    .map_err(|e| e.to_string())?,
            ),
            ImportKind::Func(_) | ImportKind::Tag(_) => continue,
        };
        linker.define(&imp.module, &imp.name, ext);
    }
    let imports = linker.resolve(&store, &module).map_err(|e| e.to_string())?;
    // A segment out of bounds fails instantiation (the spec's trap there).
    let (inst, start) = match store.instantiate(module.clone(), &imports) {
        Ok(r) => r,
        Err(e) => return Ok(refused(format!("instantiation: {e}"))),
    };

    // A runaway fuzz case is stopped by the interrupt flag on both engines.
    let flag = store.interrupt_handle();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let timer = std::thread::spawn(move || {
        if done_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            flag.store(true, Ordering::SeqCst);
        }
    });

    let export = |store: &Store, name: &str| match store.instance_export(inst, name) {
        Some(Extern::Func(f)) => Some(f),
        _ => None,
    };
    let mut steps: Vec<(String, FuncAddr, Vec<Value>)> = Vec::new();
    if let Some(s) = start {
        steps.push(("start".into(), s, vec![]));
    }
    match calls {
        Calls::Command(_) => {
            let f = export(&store, "_start").ok_or("no _start")?;
            steps.push(("_start".into(), f, vec![]));
        }
        Calls::Invoke(list) => {
            if let Some(f) = export(&store, "_initialize") {
                steps.push(("_initialize".into(), f, vec![]));
            }
            for (name, args) in list {
                let f = export(&store, name).ok_or(format!("no export {name}"))?;
                steps.push((name.clone(), f, args.clone()));
            }
        }
        Calls::AllExports => {
            for e in &module.exports {
                if let Some(f) = export(&store, &e.name) {
                    let args = store
                        .func_type(f)
                        .params()
                        .iter()
                        .map(|t| Value::default_for(*t))
                        .collect();
                    steps.push((e.name.clone(), f, args));
                }
            }
        }
    }
    let mut observed = Vec::new();
    for (name, f, args) in steps {
        let outcome = match eng {
            Eng::Interp => {
                let mut exec = Execution::new(&mut store, f, &args).map_err(|e| e.to_string())?;
                exec.run(&mut store, &mut RunControl::default())
            }
            Eng::Jit | Eng::Aot | Eng::So => jit
                .call(&mut store, f, &args, &mut RunControl::default())
                .map_err(|e| e.to_string())?,
        };
        let stop = !matches!(outcome, RunOutcome::Returned(_));
        observed.push(format!("{name}: {}", describe(&outcome)));
        if stop && !matches!(calls, Calls::AllExports) {
            break;
        }
    }
    let _ = done_tx.send(());
    let _ = timer.join();
    let memory_hash = store.instance_memory(inst).map(|m| {
        let mut h = DefaultHasher::new();
        store.memory(m).hash(&mut h);
        h.finish()
    });
    let stdout = out.lock().expect("stdout lock").clone();
    Ok(Observed {
        calls: observed,
        stdout,
        memory_hash,
    })
}

fn compare(path: &Path, calls: Calls) -> Result<(), Failed> {
    compare_on(path, calls, &[Eng::Jit, Eng::Aot])
}

/// The interpreter against each of `engines`.
fn compare_on(path: &Path, calls: Calls, engines: &[Eng]) -> Result<(), Failed> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let a = run(Eng::Interp, &bytes, &calls);
    for &eng in engines {
        let b = run(eng, &bytes, &calls);
        match (&a, &b) {
            (Ok(a), Ok(b)) if a == b => {}
            // A trap is an outcome (in `Observed`); an `Err` is a module
            // or harness that could not run at all, never agreement.
            (Err(a), Err(b)) => {
                return Err(format!(
                    "{}: no engine ran it\n  interp: {a}\n  {eng:?}: {b}",
                    path.display()
                )
                .into());
            }
            _ => {
                return Err(format!(
                    "{}: engines disagree\n  interp: {a:?}\n  {eng:?}: {b:?}",
                    path.display()
                )
                .into());
            }
        }
    }
    if let Ok(a) = &a {
        println!("{}: {:?}", path.display(), a.calls);
    }
    Ok(())
}

/// Traps in functions reached by `return_call` (see the `tail_trap` trials).
const TAIL_TRAP_WAT: &str = r#"(module
  (memory 1)
  (func $oob (param $a i32) (result i32) (i32.load (local.get $a)))
  (func $div (param $a i32) (result i32) (i32.div_u (i32.const 1) (local.get $a)))
  (func $mid (param $a i32) (result i32) (return_call $oob (local.get $a)))
  (func $mid2 (param $a i32) (result i32) (return_call $div (local.get $a)))
  (func (export "oob") (param $a i32) (result i32)
    (i32.add (i32.const 1) (call $mid (local.get $a))))
  (func (export "div") (param $a i32) (result i32)
    (i32.add (i32.const 1) (call $mid2 (local.get $a))))
  (func $exh (param $n i64) (result i64) (return_call $exh2 (local.get $n)))
  (func $exh2 (param $n i64) (result i64) (i64.add (i64.const 1) (call $exh (local.get $n))))
  (func (export "exhaust") (param $n i64) (result i64) (call $exh (local.get $n))))"#;

/// One trial per program, named `jit_differential::{bench,fixtures,wasm3,fuzz}::NAME`.
pub fn trials() -> Vec<Trial> {
    let root = root();
    let mut trials = Vec::new();
    let bench = root.join("fixtures/bench");
    let commands: &[(&str, &[&str])] = &[
        ("pi", &["200"]),
        ("fib", &["18"]),
        ("sieve", &["100000"]),
        ("nbody", &["1000"]),
        // The argument is MiB; even 1 MiB is too slow for a debug-built interpreter.
        ("sha256", &["0"]),
        ("quicksort", &["20000"]),
        // The programs kept out of the interpreter's tuning (issue 17).
        ("bytecode", &["1"]),
        ("deflate", &["4"]),
        ("json", &["10"]),
    ];
    for (name, argv) in commands {
        for build in ["O2", "O0g"] {
            let path = bench.join(format!("{name}-{build}.wasm"));
            let mut a = vec![format!("{name}.wasm")];
            a.extend(argv.iter().map(|s| s.to_string()));

            trials.push(Trial::test(
                format!("jit_differential::bench::{name}-{build}"),
                move || compare(&path, Calls::Command(a)),
            ));
        }
    }
    for build in ["O2", "O0g"] {
        let path = bench.join(format!("fibarray-{build}.wasm"));
        trials.push(Trial::test(
            format!("jit_differential::bench::fibarray-{build}"),
            move || {
                compare(
                    &path,
                    Calls::Invoke(vec![
                        ("fibArray".into(), vec![Value::I32(10)]),
                        (
                            "fibArrayRepeat".into(),
                            vec![Value::I32(1000), Value::I32(50)],
                        ),
                    ]),
                )
            },
        ));
    }
    let tinygo = bench.join("tinygo-O2.wasm");
    trials.push(Trial::test(
        "jit_differential::bench::tinygo-O2",
        move || {
            compare(
                &tinygo,
                Calls::Invoke(vec![("bench".into(), vec![Value::I32(8)])]),
            )
        },
    ));
    let fib = root.join("fixtures/fib.wasm");
    trials.push(Trial::test("jit_differential::fixtures::fib", move || {
        let module = Module::new(std::fs::read(&fib).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        let mut calls = Vec::new();
        for e in &module.exports {
            if let Some(idx) = module.exported_func(&e.name) {
                let ty = module.func_type(idx);
                if ty.params().iter().all(|t| *t == wdb_engine::ValType::I32)
                    && e.name != "_initialize"
                    // Never returns: the interrupt stops it at a different point on each engine.
                    && e.name != "loop_forever"
                {
                    calls.push((
                        e.name.clone(),
                        ty.params().iter().map(|_| Value::I32(10)).collect(),
                    ));
                }
            }
        }
        if calls.is_empty() {
            return Err("fib.wasm exports no i32 functions".into());
        }
        compare(&fib, Calls::Invoke(calls))
    }));

    // Wasm 3.0 features (fixtures/wasm3): each export with arguments that
    // reach its interesting paths; a call that ends the run goes last.
    let wasm3 = root.join("fixtures/wasm3");
    let (i32v, i64v) = (Value::I32, Value::I64);
    type Script = Vec<(&'static str, Vec<Value>)>;
    let wasm3_calls: Vec<(&str, Script)> = vec![
        (
            "eh",
            vec![
                ("sum_checked", vec![i32v(-3), i32v(5)]),
                ("caught_all", vec![i32v(2)]),
                ("caught_all", vec![i32v(-1)]),
                ("boom", vec![i32v(7)]),
            ],
        ),
        (
            "eh_legacy",
            vec![
                ("catch_plus", vec![i32v(0)]),
                ("catch_plus", vec![i32v(5)]),
                ("rethrown", vec![i32v(0)]),
                ("rethrown", vec![i32v(3)]),
                ("delegated", vec![i32v(4)]),
            ],
        ),
        (
            "mem64",
            vec![
                ("load", vec![i64v(100)]),
                ("store", vec![i64v(200), i64v(0x1122_3344_5566_7788)]),
                ("load64", vec![i64v(200)]),
                ("size", vec![]),
                ("grow", vec![i64v(1)]),
                ("grow", vec![i64v(5)]),
                ("size", vec![]),
                ("load64", vec![i64v(2 * 65536 - 16)]),
                ("call", vec![i64v(1)]),
                ("table_size", vec![]),
                ("load", vec![i64v(2 * 65536 - 3)]),
            ],
        ),
        (
            "multimem",
            vec![
                ("copy_to_a", vec![i32v(5)]),
                ("load_a", vec![i32v(4)]),
                ("store_b", vec![i32v(100), i32v(-1)]),
                ("load_b", vec![i32v(101)]),
                ("sizes", vec![]),
                ("grow_b", vec![i32v(1)]),
                ("grow_b", vec![i32v(1)]),
                ("sizes", vec![]),
                ("load_b", vec![i32v(4 * 65536)]),
            ],
        ),
        (
            "funcref",
            vec![
                ("apply", vec![i32v(1), i32v(5)]),
                ("apply", vec![i32v(2), i32v(5)]),
                ("or_default", vec![i32v(0), i32v(5)]),
                ("or_default", vec![i32v(2), i32v(5)]),
                ("non_null", vec![i32v(0)]),
                ("non_null", vec![i32v(1)]),
                ("countdown", vec![i32v(1_000_000)]),
                ("globals", vec![]),
                ("table", vec![i32v(1), i32v(5)]),
                ("table", vec![i32v(2), i32v(5)]),
                ("apply", vec![i32v(0), i32v(5)]),
            ],
        ),
        (
            "gc",
            vec![
                ("point", vec![i32v(3), i32v(4)]),
                ("z3", vec![]),
                ("z2", vec![]),
                ("bytes", vec![i32v(300)]),
                ("i31", vec![i32v(-5)]),
                ("i31", vec![i32v(0x4000_0000)]),
                // Past the first collection (4 MiB of cells).
                ("churn", vec![i32v(300_000)]),
                ("survive_call", vec![i32v(300_000)]),
            ],
        ),
        (
            "tail",
            vec![
                // A million tail calls deep: constant stack in every engine
                // (without it the JIT's depth limit would trap).
                ("is_even", vec![i64v(1_000_001)]),
                ("steps", vec![i64v(100_001)]),
                ("triangle", vec![i64v(100_000)]),
            ],
        ),
    ];
    for (name, calls) in wasm3_calls {
        let path = wasm3.join(format!("{name}.wasm"));
        let calls: Vec<(String, Vec<Value>)> =
            calls.into_iter().map(|(n, a)| (n.to_string(), a)).collect();
        // The shared object too: its code is linked by `cc`, not by us.
        trials.push(Trial::test(
            format!("jit_differential::wasm3::{name}"),
            move || compare_on(&path, Calls::Invoke(calls), &[Eng::Jit, Eng::Aot, Eng::So]),
        ));
    }

    // The GC and exception benchmarks (fixtures/bench/gc), small.
    let gcbench = root.join("fixtures/bench/gc");
    let bench3: Vec<(&str, &str, Vec<Value>)> = vec![
        ("bintree", "bintree", vec![i32v(12)]),
        ("arrays", "arrays", vec![i32v(20), i32v(1000)]),
        ("casts", "casts", vec![i32v(300), i32v(20)]),
        ("throw", "throw", vec![i32v(20_000)]),
        ("throw_legacy", "throw", vec![i32v(20_000)]),
    ];
    for (name, export, args) in bench3 {
        let path = gcbench.join(format!("{name}.wasm"));
        trials.push(Trial::test(
            format!("jit_differential::wasm3::bench::{name}"),
            move || {
                compare_on(
                    &path,
                    Calls::Invoke(vec![(export.to_string(), args)]),
                    &[Eng::Jit, Eng::Aot, Eng::So],
                )
            },
        ));
    }

    // Traps below a tail call: the backtrace has the frames that remain (a
    // guard-page fault, an explicit check, the depth limit reached by a
    // recursion through a tail call).
    for (export, arg) in [
        ("oob", Value::I32(70_000)),
        ("div", Value::I32(0)),
        ("exhaust", Value::I64(1)),
    ] {
        trials.push(Trial::test(
            format!("jit_differential::wasm3::tail_trap::{export}"),
            move || {
                let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
                let path = dir.path().join("tail_trap.wasm");
                let wasm = wat::parse_str(TAIL_TRAP_WAT).map_err(|e| e.to_string())?;
                std::fs::write(&path, wasm).map_err(|e| e.to_string())?;
                compare_on(
                    &path,
                    Calls::Invoke(vec![(export.to_string(), vec![arg])]),
                    &[Eng::Jit, Eng::Aot],
                )
            },
        ));
    }

    let fuzz = root.join("../shared/corpus/regressions/wazero-fuzzcases");
    match wdb_tests::corpus_files(&fuzz, "wasm", "jit_differential::fuzz") {
        Ok(files) => {
            for p in files {
                let name = p.file_stem().expect("name").to_string_lossy().to_string();
                trials.push(Trial::test(
                    format!("jit_differential::fuzz::{name}"),
                    move || compare(&p, Calls::AllExports),
                ));
            }
        }
        Err(missing) => trials.push(missing),
    }
    trials
}
