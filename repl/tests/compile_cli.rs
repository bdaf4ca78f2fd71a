//! `wdb compile` through the binary: every optimisation level gives a module
//! that runs and computes the same, and a universal module stays a plain Wasm
//! module that another runtime (Node's V8 with `node:wasi`) runs unchanged.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn wdb(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wdb"))
        .args(args)
        .current_dir(cwd)
        .env("WDB_CACHE_DIR", cwd.join("cache"))
        .output()
        .expect("run wdb")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn compile(src: &str, out: &Path, extra: &[&str]) {
    let mut args = vec!["compile", "-q", src, "-o"];
    let o = out.to_string_lossy().to_string();
    args.push(&o);
    args.extend_from_slice(extra);
    let r = wdb(&args, &root());
    assert!(
        r.status.success(),
        "wdb {args:?}: {}{}",
        text(&r.stdout),
        text(&r.stderr)
    );
}

#[test]
fn every_opt_level_compiles_code_that_computes_the_same() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sizes = Vec::new();
    for level in ["-O0", "-O1", "-O2"] {
        let out = dir.path().join(format!("fib{level}.wasm"));
        compile("fixtures/fib.wasm", &out, &[level]);
        let o = out.to_string_lossy().to_string();
        let r = wdb(
            &["run", "--mode", "aot", "--invoke", "fib", &o, "25"],
            &root(),
        );
        assert_eq!(
            (text(&r.stdout).as_str(), r.status.code()),
            ("75025\n", Some(0)),
            "{level}: {}",
            text(&r.stderr)
        );
        // The image was used, not recompiled.
        assert!(!text(&r.stderr).contains("no AOT section"), "{level}");
        sizes.push(std::fs::read(&out).expect("read output"));
    }
    // Cranelift without optimisation emits different code than with it.
    assert_ne!(sizes[0], sizes[2], "-O0 and -O2 gave identical modules");
    // A level that does not exist is a usage error naming the choices.
    let out = dir.path().join("bad.wasm");
    let r = wdb(
        &[
            "compile",
            "fixtures/fib.wasm",
            "-O",
            "7",
            "-o",
            &out.to_string_lossy(),
        ],
        &root(),
    );
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
    assert!(!out.exists());
}

/// Run a WASI command with Node's `node:wasi`, returning (stdout, status).
/// Written for Node 18 (Debian 12's) as well as 20: `wasiImport`, not
/// `getImportObject()` (19.8+); `version` is required from 20 and ignored by 18.
fn node_wasi(module: &Path, args: &[&str]) -> (String, Option<i32>) {
    let script = r#"
const { readFileSync } = require('node:fs');
const { WASI } = require('node:wasi');
const [file, ...args] = process.argv.slice(1);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, returnOnExit: true });
const mod = new WebAssembly.Module(readFileSync(file));
const inst = new WebAssembly.Instance(mod, { wasi_snapshot_preview1: wasi.wasiImport });
process.exitCode = wasi.start(inst);
"#;
    let node = Command::new("node")
        .arg("--no-warnings")
        .arg("-e")
        .arg(script)
        .arg(module)
        .args(args)
        .output();
    let out = match node {
        Ok(o) => o,
        Err(e) => panic!(
            "this test runs the compiled module with Node (`node` on PATH; `.ci/run` installs \
             the nodejs package): {e}"
        ),
    };
    assert!(
        out.stderr.is_empty() || out.status.success(),
        "node: {}",
        text(&out.stderr)
    );
    (text(&out.stdout), out.status.code())
}

#[test]
fn a_universal_module_runs_unchanged_in_another_runtime() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (src, args) in [
        ("fixtures/hello.wasm", &[][..]),
        ("fixtures/pi.wasm", &["2000"][..]),
    ] {
        let out = dir.path().join("universal.wasm");
        compile(src, &out, &[]);
        let o = out.to_string_lossy().to_string();
        let mut run_args = vec!["run", "--mode", "aot", &o];
        run_args.extend_from_slice(args);
        let ours = wdb(&run_args, &root());
        assert_eq!(ours.status.code(), Some(0), "{}", text(&ours.stderr));
        let (theirs, status) = node_wasi(&out, args);
        assert_eq!(status, Some(0), "{src} in node");
        assert_eq!(theirs, text(&ours.stdout), "{src}: node and wdb differ");
        assert!(!theirs.is_empty(), "{src} printed nothing");
    }
}
