//! Every TinyGo module of `../shared/corpus/tinygo` run as its SOURCES.md
//! describes (commands through `_start`, reactors through `_initialize` and
//! an export), through `wdb_debugger::runner` on the interpreter.
//!
//! Differential check: the cases wasmtime can run (WASI imports only) are
//! compared with wasmtime's stdout and exit status, recorded once into
//! `tests/data/wasmtime/` (regenerate with `WDB_RECORD_WASMTIME=1` and a
//! `wasmtime` on PATH; the test itself needs no wasmtime). The two modules
//! that import an `env` function get host functions written here.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use wdb_debugger::engine::interp::RunOutcome;
use wdb_debugger::engine::runtime::{Caller, HostError};
use wdb_debugger::engine::value::{ValType, Value};
use wdb_debugger::engine::wasi::{Output, Preopen, Stdin, WasiConfig};
use wdb_debugger::runner::{self, HostImport, Mode, RunConfig};
use wdb_engine::jit::OptLevel;
use wdb_engine::jit::aot::compile_universal;
use wdb_engine::module::Module;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus() -> PathBuf {
    workspace().join("../shared/corpus/tinygo")
}

/// A run compared with wasmtime's recorded output.
struct Case {
    name: &'static str,
    file: &'static str,
    invoke: Option<&'static str>,
    /// Preopen `tests/data/wasi/tree` as `/`.
    tree: bool,
    args: &'static [&'static str],
}

const DIFF_CASES: &[Case] = &[
    Case {
        name: "cli-noargs",
        file: "wazero-cli.wasm",
        invoke: None,
        tree: false,
        args: &[],
    },
    Case {
        name: "cli-add",
        file: "wazero-cli.wasm",
        invoke: None,
        tree: false,
        args: &["3", "4"],
    },
    Case {
        name: "cli-sub",
        file: "wazero-cli.wasm",
        invoke: None,
        tree: false,
        args: &["-sub", "10", "3"],
    },
    Case {
        name: "cli-badflag",
        file: "wazero-cli.wasm",
        invoke: None,
        tree: false,
        args: &["-x"],
    },
    Case {
        name: "cat",
        file: "wazero-wasi-cat.wasm",
        invoke: None,
        tree: true,
        args: &["/test.txt"],
    },
    Case {
        name: "cat-missing",
        file: "wazero-wasi-cat.wasm",
        invoke: None,
        tree: true,
        args: &["/nope.txt"],
    },
    Case {
        name: "ls",
        file: "wazero-wasi-tests.wasm",
        invoke: None,
        tree: true,
        args: &["ls", "."],
    },
    Case {
        name: "ls-repeat",
        file: "wazero-wasi-tests.wasm",
        invoke: None,
        tree: true,
        args: &["ls", ".", "repeat"],
    },
    Case {
        name: "ls-file",
        file: "wazero-wasi-tests.wasm",
        invoke: None,
        tree: true,
        args: &["ls", "test.txt"],
    },
    Case {
        name: "stat",
        file: "wazero-wasi-tests.wasm",
        invoke: None,
        tree: true,
        args: &["stat"],
    },
    Case {
        name: "dwarf-main",
        file: "wazero-dwarf-main.wasm",
        invoke: None,
        tree: false,
        args: &[],
    },
    Case {
        name: "basic-add",
        file: "wazero-basic-add.wasm",
        invoke: Some("add"),
        tree: false,
        args: &["1", "2"],
    },
    Case {
        name: "basic-add-neg",
        file: "wazero-basic-add.wasm",
        invoke: Some("add"),
        tree: false,
        args: &["-7", "2"],
    },
];

/// stdout and the process exit status `wdb run` would give (default mode).
fn run_in_process(
    file: &Path,
    invoke: Option<(&str, Vec<String>)>,
    tree: bool,
    args: &[&str],
    host_imports: Vec<HostImport>,
) -> Result<(String, i32), Failed> {
    run_in_mode(Mode::default(), file, invoke, tree, args, host_imports)
}

/// A universal module (with a `wdb.aot` section) for `--mode aot` runs.
fn aot_module(file: &Path) -> Result<Arc<Module>, Failed> {
    let m = Arc::new(Module::from_file(file).map_err(|e| e.to_string())?);
    let bytes =
        compile_universal(&m, OptLevel::Speed, &mut |_, _| {}).map_err(|e| e.to_string())?;
    Ok(Arc::new(Module::new(bytes).map_err(|e| e.to_string())?))
}

/// As [`run_in_process`], with the engine `mode` (aot: a universal module
/// compiled here, so the AOT loader is what runs).
fn run_in_mode(
    mode: Mode,
    file: &Path,
    invoke: Option<(&str, Vec<String>)>,
    tree: bool,
    args: &[&str],
    host_imports: Vec<HostImport>,
) -> Result<(String, i32), Failed> {
    let module = match mode {
        Mode::Aot => Some(aot_module(file)?),
        _ => None,
    };
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    let mut argv = vec![
        file.file_name()
            .expect("name")
            .to_string_lossy()
            .to_string(),
    ];
    if invoke.is_none() {
        argv.extend(args.iter().map(|s| s.to_string()));
    }
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut preopens = Vec::new();
    if tree {
        let src = workspace().join("tests/data/wasi/tree");
        let dst = tmp.path().join("tree");
        std::fs::create_dir_all(dst.join("sub")).map_err(|e| e.to_string())?;
        std::fs::copy(src.join("test.txt"), dst.join("test.txt")).map_err(|e| e.to_string())?;
        preopens.push(Preopen {
            host: dst,
            guest: "/".into(),
        });
    }
    let report = runner::run(RunConfig {
        file: file.to_path_buf(),
        invoke: invoke.map(|(f, a)| (f.to_string(), a)),
        wasi: WasiConfig {
            args: argv,
            preopens,
            stdin: Stdin::Null,
            stdout: Output::Sink(Arc::new(move |b: &[u8]| {
                o.lock().expect("lock").extend_from_slice(b)
            })),
            stderr: Output::Sink(Arc::new(|_: &[u8]| {})),
            ..WasiConfig::default()
        },
        timeout: Some(Duration::from_secs(60)),
        host_imports,
        mode,
        module,
        ..RunConfig::default()
    })
    .map_err(|e| e.to_string())?;
    let mut stdout = String::from_utf8_lossy(&out.lock().expect("lock")).to_string();
    for v in &report.results {
        stdout.push_str(&format!("{v}\n"));
    }
    let status = match report.outcome {
        RunOutcome::Returned(_) => 0,
        RunOutcome::Exited(c) => c & 0xff,
        RunOutcome::Trapped(_) => 134,
        o => return Err(format!("unexpected outcome {o:?}").into()),
    };
    Ok((stdout, status))
}

fn expected_paths(name: &str) -> (PathBuf, PathBuf) {
    let d = workspace().join("tests/data/wasmtime");
    (
        d.join(format!("tinygo-{name}.stdout")),
        d.join(format!("tinygo-{name}.status")),
    )
}

/// Run wasmtime and store its stdout and exit status (WDB_RECORD_WASMTIME=1).
fn record(case: &Case) -> Result<(), Failed> {
    let mut cmd = std::process::Command::new("wasmtime");
    cmd.current_dir(workspace()).arg("run");
    if case.tree {
        cmd.arg("--dir").arg("tests/data/wasi/tree::/");
    }
    if let Some(f) = case.invoke {
        cmd.arg("--invoke").arg(f);
    }
    cmd.arg(corpus().join(case.file)).args(case.args);
    let out = cmd.output().map_err(|e| format!("running wasmtime: {e}"))?;
    let (so, st) = expected_paths(case.name);
    std::fs::write(so, &out.stdout).map_err(|e| e.to_string())?;
    let code = out.status.code().unwrap_or(-1);
    std::fs::write(st, format!("{code}\n")).map_err(|e| e.to_string())?;
    Ok(())
}

fn diff_case(case: &Case, mode: Mode) -> Result<(), Failed> {
    if mode == Mode::Interp && std::env::var_os("WDB_RECORD_WASMTIME").is_some() {
        record(case)?;
    }
    let (so, st) = expected_paths(case.name);
    let want_out = std::fs::read_to_string(&so).map_err(|e| {
        format!(
            "{}: {e} (record with WDB_RECORD_WASMTIME=1 and wasmtime on PATH)",
            so.display()
        )
    })?;
    let want_status: i32 = std::fs::read_to_string(&st)
        .map_err(|e| format!("{}: {e}", st.display()))?
        .trim()
        .parse()
        .map_err(|e| format!("{}: {e}", st.display()))?;
    let invoke = case
        .invoke
        .map(|f| (f, case.args.iter().map(|s| s.to_string()).collect()));
    let (out, status) = run_in_mode(
        mode,
        &corpus().join(case.file),
        invoke,
        case.tree,
        case.args,
        Vec::new(),
    )?;
    if out != want_out || status != want_status {
        return Err(format!(
            "wdb: status {status}, stdout {out:?}\nwasmtime: status {want_status}, stdout {want_out:?}"
        )
        .into());
    }
    Ok(())
}

/// Read a guest string (ptr, len) from the caller's memory.
fn guest_str(caller: &mut Caller<'_>, ptr: i32, len: i32) -> Result<String, HostError> {
    let mem = caller
        .memory_mut()
        .ok_or_else(|| HostError::Trap("no memory".into()))?;
    let (p, l) = (ptr as u32 as usize, len as u32 as usize);
    let bytes = mem
        .get(p..p.saturating_add(l))
        .ok_or_else(|| HostError::Trap("string out of bounds".into()))?;
    Ok(String::from_utf8_lossy(bytes).to_string())
}

/// allocation-greet: a reactor whose `greet` calls the host's `env.log`.
fn greet() -> Result<(), Failed> {
    let logged = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = logged.clone();
    let log = HostImport {
        module: "env".into(),
        name: "log".into(),
        ty: wasmparser_functype(&[ValType::I32, ValType::I32], &[]),
        func: Arc::new(
            move |caller: &mut Caller<'_>, args: &[Value], _: &mut [Value]| {
                let s = guest_str(
                    caller,
                    args[0].as_i32().unwrap_or(0),
                    args[1].as_i32().unwrap_or(0),
                )?;
                l.lock().expect("lock").push(s);
                Ok(())
            },
        ),
    };
    let file = corpus().join("wazero-allocation-greet.wasm");
    let (out, status) = run_in_process(
        &file,
        Some(("greet", vec!["0".into(), "0".into()])),
        false,
        &[],
        vec![log.clone()],
    )?;
    if status != 0 || !out.is_empty() {
        return Err(format!("greet: status {status}, stdout {out:?}").into());
    }
    let msgs = logged.lock().expect("lock").clone();
    if msgs != ["wasm >> Hello, !"] {
        return Err(format!("greet logged {msgs:?}").into());
    }
    // `greeting` returns ptr << 32 | len of a string in guest memory.
    let (out, status) = run_in_process(
        &file,
        Some(("greeting", vec!["0".into(), "0".into()])),
        false,
        &[],
        vec![log],
    )?;
    let v: u64 = out
        .trim()
        .parse::<i64>()
        .map_err(|e| format!("greeting printed {out:?}: {e}"))? as u64;
    if status != 0 || v & 0xffff_ffff != "Hello, !".len() as u64 {
        return Err(format!("greeting: status {status}, result {v:#x}").into());
    }
    // Without the host function, the run refuses to start and names the import.
    let err = runner::run(RunConfig {
        file: file.clone(),
        invoke: Some(("greet".into(), vec!["0".into(), "0".into()])),
        ..RunConfig::default()
    })
    .expect_err("env.log is missing");
    if !err.message.contains("env::log (func (param i32 i32))") {
        return Err(format!("missing-import message: {}", err.message).into());
    }
    Ok(())
}

/// bench-case: a command (`_start`) that also exports benchmark functions.
fn bench_case() -> Result<(), Failed> {
    let called = Arc::new(Mutex::new(0u32));
    let c = called.clone();
    let rnd = HostImport {
        module: "env".into(),
        name: "get_random_string".into(),
        ty: wasmparser_functype(&[ValType::I32, ValType::I32], &[]),
        func: Arc::new(move |_: &mut Caller<'_>, _: &[Value], _: &mut [Value]| {
            *c.lock().expect("lock") += 1;
            Err(HostError::Trap(
                "get_random_string is not provided by this test".into(),
            ))
        }),
    };
    let file = corpus().join("wazero-bench-case.wasm");
    let (out, status) = run_in_process(&file, None, false, &[], vec![rnd.clone()])?;
    if status != 0 || !out.is_empty() {
        return Err(format!("_start: status {status}, stdout {out:?}").into());
    }
    let (out, status) = run_in_process(
        &file,
        Some(("fibonacci", vec!["20".into()])),
        false,
        &[],
        vec![rnd.clone()],
    )?;
    if status != 0 || out != "6765\n" {
        return Err(format!("fibonacci 20: status {status}, stdout {out:?}").into());
    }
    for f in ["reverse_array", "allocate_buffer"] {
        let (_, status) = run_in_process(
            &file,
            Some((f, vec!["64".into()])),
            false,
            &[],
            vec![rnd.clone()],
        )?;
        if status != 0 {
            return Err(format!("{f} 64: status {status}").into());
        }
    }
    if *called.lock().expect("lock") != 0 {
        return Err("get_random_string was called".into());
    }
    // base64 asks the host for a random string (wazero's host calls back
    // into `allocate_buffer`, which a host function here cannot): the
    // host's trap must end the run as a trap.
    let (_, status) = run_in_process(
        &file,
        Some(("base64", vec!["64".into()])),
        false,
        &[],
        vec![rnd],
    )?;
    if status != 134 || *called.lock().expect("lock") != 1 {
        return Err(format!(
            "base64: status {status}, host calls {}",
            called.lock().expect("lock")
        )
        .into());
    }
    Ok(())
}

fn wasmparser_functype(params: &[ValType], results: &[ValType]) -> wasmparser::FuncType {
    wasmparser::FuncType::new(params.iter().copied(), results.iter().copied())
}

/// The trials, named `run_tinygo::wasmtime/MODE/CASE`,
/// `run_tinygo::reactor/allocation-greet` and `run_tinygo::command/bench-case`.
pub fn trials() -> Vec<Trial> {
    let mut trials = Vec::new();
    if !corpus().join("SOURCES.md").exists() {
        let at = corpus();
        trials.push(wdb_tests::missing_corpus(
            "run_tinygo",
            format!("TinyGo corpus not found: looked in {}", at.display()),
        ));
    } else {
        // Every engine must give wasmtime's output.
        for mode in [Mode::Interp, Mode::Jit, Mode::Aot] {
            for case in DIFF_CASES {
                trials.push(Trial::test(
                    format!("run_tinygo::wasmtime/{}/{}", mode.name(), case.name),
                    move || diff_case(case, mode),
                ));
            }
        }
        trials.push(Trial::test("run_tinygo::reactor/allocation-greet", greet));
        trials.push(Trial::test("run_tinygo::command/bench-case", bench_case));
    }
    trials
}
