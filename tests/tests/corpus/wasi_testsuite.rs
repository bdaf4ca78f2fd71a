//! The WASI preview1 testsuite (`../shared/corpus/wasi-testsuite-p1`: Rust, C
//! and AssemblyScript programs, each with a `.json` giving args, env, the
//! preopened root, and the expected exit code and stdout), run through
//! `wdb_debugger::runner` on the interpreter. One trial per `.wasm`.
//!
//! The preopen root (`fs-tests.dir`) is copied to a fresh temp dir for each
//! test, so tests never modify the corpus. Known failures are listed in
//! `EXPECTED_FAILURES` with the reason; each must still fail, so a fix forces
//! the list to be updated.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use serde_json::Value as Json;
use wdb_debugger::engine::interp::RunOutcome;
use wdb_debugger::engine::wasi::{Output, Preopen, Stdin, WasiConfig};
use wdb_debugger::runner::{self, Mode, RunConfig};
use wdb_engine::jit::OptLevel;
use wdb_engine::jit::aot::compile_universal;
use wdb_engine::module::Module;

/// `suite/name` -> why it fails.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/wasi-testsuite-p1")
}

#[derive(Debug, Default)]
struct Spec {
    args: Vec<String>,
    env: Vec<(String, String)>,
    root: Option<String>,
    exit_code: i32,
    stdout: Option<String>,
}

fn parse_spec(json: Option<&Json>) -> Result<Spec, String> {
    let mut spec = Spec::default();
    // Like the suite's own runner: stdout is checked only when given.
    let Some(j) = json else {
        return Ok(spec);
    };
    let str_list = |v: Option<&Json>| -> Vec<String> {
        v.and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let env_map = |v: Option<&Json>| -> Vec<(String, String)> {
        v.and_then(Json::as_object)
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(ops) = j.get("operations").and_then(Json::as_array) {
        for op in ops {
            match op.get("type").and_then(Json::as_str) {
                Some("run") => {
                    spec.args = str_list(op.get("args"));
                    spec.env = env_map(op.get("env"));
                    spec.root = op.get("root").and_then(Json::as_str).map(str::to_string);
                }
                Some("wait") => {
                    spec.exit_code = op.get("exit_code").and_then(Json::as_i64).unwrap_or(0) as i32;
                }
                Some("read") => {
                    let id = op.get("id").and_then(Json::as_str).unwrap_or("stdout");
                    if id == "stdout" {
                        spec.stdout = Some(
                            op.get("payload")
                                .and_then(Json::as_str)
                                .unwrap_or_default()
                                .to_string(),
                        );
                    }
                }
                other => return Err(format!("unsupported operation {other:?}")),
            }
        }
        return Ok(spec);
    }
    spec.args = str_list(j.get("args"));
    spec.env = env_map(j.get("env"));
    spec.root = j.get("root").and_then(Json::as_str).map(str::to_string);
    if let Some(dirs) = j.get("dirs").and_then(Json::as_array)
        && let Some(d) = dirs.first().and_then(Json::as_str)
    {
        spec.root = Some(d.to_string());
    }
    spec.exit_code = j.get("exit_code").and_then(Json::as_i64).unwrap_or(0) as i32;
    spec.stdout = j.get("stdout").and_then(Json::as_str).map(str::to_string);
    Ok(spec)
}

/// Copy a directory tree, making everything writable (the corpus is read-only).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(to)?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let ty = e.file_type()?;
        let dst = to.join(e.file_name());
        if ty.is_dir() {
            copy_tree(&e.path(), &dst)?;
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path())?, &dst)?;
        } else {
            std::fs::copy(e.path(), &dst)?;
            std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o644))?;
        }
    }
    Ok(())
}

fn run_one(wasm: &Path, mode: Mode) -> Result<(), Failed> {
    let json_path = wasm.with_extension("json");
    let json: Option<Json> = if json_path.exists() {
        let text = std::fs::read_to_string(&json_path).map_err(|e| format!("{e}"))?;
        Some(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json_path.display()))?)
    } else {
        None
    };
    let spec = parse_spec(json.as_ref())?;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut preopens = Vec::new();
    if let Some(root) = &spec.root {
        let src = wasm.parent().expect("a file has a parent").join(root);
        let dst = tmp.path().join(root);
        copy_tree(&src, &dst).map_err(|e| format!("copying {}: {e}", src.display()))?;
        preopens.push(Preopen {
            host: dst,
            guest: "/".into(),
        });
    }
    let stdout = Arc::new(Mutex::new(Vec::new()));
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let (o, e) = (stdout.clone(), stderr.clone());
    let name = wasm
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .to_string();
    let mut args = vec![name];
    args.extend(spec.args.clone());
    // aot: a universal module made here, so the AOT loader is what runs.
    let module = match mode {
        Mode::Aot => {
            let m = Arc::new(Module::from_file(wasm).map_err(|e| e.to_string())?);
            let bytes = compile_universal(&m, OptLevel::Speed, &mut |_, _| {})
                .map_err(|e| e.to_string())?;
            Some(Arc::new(Module::new(bytes).map_err(|e| e.to_string())?))
        }
        _ => None,
    };
    let cfg = RunConfig {
        file: wasm.to_path_buf(),
        mode,
        module,
        wasi: WasiConfig {
            args,
            env: spec.env.clone(),
            preopens,
            stdin: Stdin::Null,
            stdout: Output::Sink(Arc::new(move |b: &[u8]| {
                o.lock().expect("lock").extend_from_slice(b)
            })),
            stderr: Output::Sink(Arc::new(move |b: &[u8]| {
                e.lock().expect("lock").extend_from_slice(b)
            })),
            ..WasiConfig::default()
        },
        timeout: Some(Duration::from_secs(120)),
        ..RunConfig::default()
    };
    let report = runner::run(cfg).map_err(|e| format!("{e}"))?;
    let out = String::from_utf8_lossy(&stdout.lock().expect("lock")).to_string();
    let err = String::from_utf8_lossy(&stderr.lock().expect("lock")).to_string();
    let code = match &report.outcome {
        RunOutcome::Returned(_) => 0,
        RunOutcome::Exited(c) => *c,
        other => {
            let msg = match other {
                RunOutcome::Trapped(t) => format!(
                    "trap: {}\n{}",
                    t.message,
                    runner::format_backtrace(t).join("\n")
                ),
                o => format!("{o:?}"),
            };
            return Err(format!("{msg}\nstdout: {out:?}\nstderr: {err}").into());
        }
    };
    if code != spec.exit_code {
        return Err(format!(
            "exit code {code}, expected {}\nstdout: {out:?}\nstderr: {err}",
            spec.exit_code
        )
        .into());
    }
    if let Some(want) = &spec.stdout
        && &out != want
    {
        return Err(format!("stdout {out:?}, expected {want:?}\nstderr: {err}").into());
    }
    Ok(())
}

/// One trial per program and engine, named `wasi_testsuite::MODE/SUITE/NAME`.
pub fn trials() -> Vec<Trial> {
    let root = corpus();
    let mut trials = Vec::new();
    let mut found = 0;
    for suite in ["assemblyscript", "c", "rust"] {
        let dir = root.join(suite);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        files.sort();
        for wasm in files {
            found += 1;
            let stem = wasm
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .to_string();
            let name = format!("{suite}/{stem}");
            let expected_fail = EXPECTED_FAILURES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, r)| *r);
            // Every engine runs every test, with the same expectations.
            for mode in [Mode::Interp, Mode::Jit, Mode::Aot] {
                let wasm = wasm.clone();
                let trial = format!("wasi_testsuite::{}/{name}", mode.name());
                trials.push(Trial::test(trial, move || {
                    match (run_one(&wasm, mode), expected_fail) {
                        (Ok(()), None) => Ok(()),
                        (Err(e), None) => Err(e),
                        (Err(_), Some(_)) => Ok(()),
                        (Ok(()), Some(reason)) => Err(format!(
                            "listed as an expected failure ({reason}) but passes: \
                             remove it from EXPECTED_FAILURES"
                        )
                        .into()),
                    }
                }));
            }
        }
    }
    if found == 0 {
        trials.push(wdb_tests::missing_corpus(
            "wasi_testsuite",
            format!("no WASI testsuite found: looked in {}", root.display()),
        ));
    }
    trials
}
