//! `wdb compile` through the binary: every optimisation level gives a module
//! that runs and computes the same, and a universal module stays a plain Wasm
//! module that another runtime (Node's V8 with `node:wasi`) runs unchanged.

use crate::{text, workspace};
use std::path::Path;
use std::process::{Command, Output};

fn wdb(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wdb"))
        .args(args)
        .current_dir(cwd)
        .env("WDB_CACHE_DIR", cwd.join("cache"))
        .output()
        .expect("run wdb")
}

fn compile(src: &str, out: &Path, extra: &[&str]) {
    let mut args = vec!["compile", "-q", src, "-o"];
    let o = out.to_string_lossy().to_string();
    args.push(&o);
    args.extend_from_slice(extra);
    let r = wdb(&args, &workspace());
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
            &workspace(),
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
        &workspace(),
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
        let ours = wdb(&run_args, &workspace());
        assert_eq!(ours.status.code(), Some(0), "{}", text(&ours.stderr));
        let (theirs, status) = node_wasi(&out, args);
        assert_eq!(status, Some(0), "{src} in node");
        assert_eq!(theirs, text(&ours.stdout), "{src}: node and wdb differ");
        assert!(!theirs.is_empty(), "{src} printed nothing");
    }
}

/// An unsigned LEB128 u32 at `b` and its length.
fn leb(b: &[u8]) -> (usize, usize) {
    let mut v = 0usize;
    for (i, byte) in b.iter().enumerate() {
        v |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            return (v, i + 1);
        }
    }
    panic!("a bad LEB128");
}

fn push_section(out: &mut Vec<u8>, id: u8, payload: &[u8]) {
    out.push(id);
    let mut n = payload.len();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(payload);
}

/// `bytes` (a component or a core module) without any `wdb.aot` custom
/// section, in core modules at any depth: (the stripped bytes, how many
/// sections went).
fn strip_aot(bytes: &[u8]) -> (Vec<u8>, usize) {
    let component = bytes[4..8] != [1, 0, 0, 0];
    let mut out = bytes[..8].to_vec();
    let mut dropped = 0;
    let mut pos = 8;
    while pos < bytes.len() {
        let id = bytes[pos];
        let (size, n) = leb(&bytes[pos + 1..]);
        let (start, end) = (pos + 1 + n, pos + 1 + n + size);
        let payload = &bytes[start..end];
        if !component && id == 0 {
            let (len, m) = leb(payload);
            if &payload[m..m + len] == b"wdb.aot" {
                dropped += 1;
                pos = end;
                continue;
            }
        }
        if component && (id == 1 || id == 4) {
            let (inner, d) = strip_aot(payload);
            dropped += d;
            push_section(&mut out, id, &inner);
        } else {
            out.extend_from_slice(&bytes[pos..end]);
        }
        pos = end;
    }
    (out, dropped)
}

/// A component (WASI 0.2) compiles to its universal form: each core module
/// carries its code, `--mode aot` runs it without compiling and prints what
/// the interpreter prints, and without the `wdb.aot` sections it is the
/// original component byte for byte (other runtimes ignore them: `wasmtime
/// run` runs it).
#[test]
fn a_component_compiles_to_a_universal_component() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = workspace().join("fixtures/wasip2/p2cli.wasm");
    // The same file name: argv[0] is the file's name.
    let out = dir.path().join("p2cli.wasm");
    let o = out.to_string_lossy().to_string();
    let r = wdb(&["compile", src.to_str().unwrap(), "-o", &o], &workspace());
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(
        text(&r.stderr).contains("universal component, 3 core modules"),
        "{}",
        text(&r.stderr)
    );
    let original = std::fs::read(&src).expect("read the component");
    let compiled = std::fs::read(&out).expect("read the output");
    let (stripped, sections) = strip_aot(&compiled);
    assert_eq!(sections, 3, "one wdb.aot section per core module");
    assert!(
        stripped == original,
        "the component changed beyond its wdb.aot sections"
    );
    let interp = wdb(
        &["run", "--mode", "interp", src.to_str().unwrap(), "5", "x"],
        &workspace(),
    );
    let ours = wdb(&["run", "--mode", "aot", &o, "5", "x"], &workspace());
    assert!(
        !text(&ours.stderr).contains("no AOT section"),
        "{}",
        text(&ours.stderr)
    );
    // `exit(5)` is wasi:cli/exit's `err`: status 1, as in wasmtime.
    assert_eq!(ours.status.code(), Some(1), "{}", text(&ours.stderr));
    assert_eq!(ours.status.code(), interp.status.code());
    assert_eq!(text(&ours.stdout), text(&interp.stdout));
    assert!(text(&ours.stdout).contains("arg[1] \"5\""));
    // A shared object is for core modules only: a usage error, no file.
    let so = dir.path().join("p2cli.so");
    let r = wdb(
        &[
            "compile",
            src.to_str().unwrap(),
            "-o",
            &so.to_string_lossy(),
        ],
        &workspace(),
    );
    assert!(!r.status.success());
    assert!(
        text(&r.stderr).contains("universal component"),
        "{}",
        text(&r.stderr)
    );
    assert!(!so.exists());
}
