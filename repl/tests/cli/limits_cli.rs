//! Resource limits seen through the `wdb` binary (`CARGO_BIN_EXE_wdb`, the
//! binary Cargo built for this run): `--timeout`, `--fuel` and
//! `--max-memory` end or bound a guest with their documented exit codes, and a
//! 100 MB module opens in the debugger.

use std::process::{Command, Stdio};
#[cfg(feature = "jit")]
use std::time::Duration;
use std::time::Instant;

use crate::{wdb_path, workspace};
use wasm_encoder as we;

const LOOPS: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "spin") (loop $l (br $l)))
  (func (export "spin_calls") (loop $l (call $nop) (br $l)))
  (func $nop)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))"#;

fn module_bytes(build: impl FnOnce(&mut we::Module)) -> Vec<u8> {
    let mut m = we::Module::new();
    build(&mut m);
    m.finish()
}

fn wdb(args: &[&str]) -> std::process::Output {
    Command::new(wdb_path())
        .current_dir(workspace())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run wdb")
}

#[cfg(feature = "jit")]
#[test]
fn wdb_run_timeout_and_fuel_end_loop_forever_with_documented_codes() {
    let t0 = Instant::now();
    let out = wdb(&[
        "run",
        "--timeout",
        "1s",
        "--invoke",
        "loop_forever",
        "fixtures/fib.wasm",
    ]);
    let took = t0.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(124), "{stderr}");
    assert!(stderr.contains("timeout after 1s"), "{stderr}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(15),
        "--timeout 1s took {took:?}"
    );
    // Fuel means wasm instructions in every mode (the JIT is the default).
    for (mode, unit) in [("interp", "instructions"), ("jit", "instructions")] {
        let out = wdb(&[
            "run",
            "--mode",
            mode,
            "--fuel",
            "5000000",
            "--invoke",
            "loop_forever",
            "fixtures/fib.wasm",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{mode}: {stderr}");
        assert!(
            stderr.contains(&format!("out of fuel after 5000000 {unit}")),
            "{mode}: {stderr}"
        );
    }
}

#[test]
fn wdb_run_max_memory_makes_memory_grow_return_minus_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("grow.wasm");
    std::fs::write(&path, wat::parse_str(LOOPS).expect("WAT")).expect("write module");
    let p = path.to_str().expect("utf-8 temp path");
    let out = wdb(&["run", "--max-memory", "128KiB", "--invoke", "grow", p, "1"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n", "{out:?}");
    let out = wdb(&["run", "--max-memory", "128KiB", "--invoke", "grow", p, "2"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "-1\n", "{out:?}");
    assert_eq!(out.status.code(), Some(0));
}

/// A 100 MB module (100 MB of data segments plus 20,000 functions) opens in
/// the debugger and runs; the time from process start to the end of a
/// one-command batch session is reported and bounded.
#[test]
fn a_100_mb_module_opens_in_the_debugger_quickly() {
    const SEGMENT: usize = 1 << 20;
    const SEGMENTS: usize = 100;
    const FUNCS: u32 = 20_000;
    let chunk: Vec<u8> = (0..SEGMENT).map(|i| (i * 7 % 256) as u8).collect();
    let bytes = module_bytes(|m| {
        let mut types = we::TypeSection::new();
        types.ty().function([], [we::ValType::I32]);
        m.section(&types);
        let mut funcs = we::FunctionSection::new();
        for _ in 0..FUNCS {
            funcs.function(0);
        }
        m.section(&funcs);
        let mut mems = we::MemorySection::new();
        mems.memory(we::MemoryType {
            minimum: (SEGMENT * SEGMENTS / 65536) as u64,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        m.section(&mems);
        let mut exports = we::ExportSection::new();
        exports.export("last", we::ExportKind::Func, FUNCS - 1);
        m.section(&exports);
        let mut code = we::CodeSection::new();
        for i in 0..FUNCS {
            let mut f = we::Function::new([(1, we::ValType::I32)]);
            f.instructions()
                .i32_const(i as i32)
                .local_set(0)
                .local_get(0)
                .end();
            code.function(&f);
        }
        m.section(&code);
        let mut datas = we::DataSection::new();
        for s in 0..SEGMENTS {
            datas.active(
                0,
                &we::ConstExpr::i32_const((s * SEGMENT) as i32),
                chunk.iter().copied(),
            );
        }
        m.section(&datas);
    });
    assert!(bytes.len() >= 100_000_000, "{} bytes", bytes.len());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.wasm");
    std::fs::write(&path, &bytes).expect("write module");
    let script = dir.path().join("script");
    std::fs::write(&script, "call last\nquit\n").expect("write script");
    let t0 = Instant::now();
    let out = Command::new(wdb_path())
        .arg(&path)
        .arg("--batch")
        .arg(&script)
        .env("WDB_STATE_DIR", dir.path().join("state"))
        .stdin(Stdio::null())
        .output()
        .expect("run wdb");
    let took = t0.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains(&format!("{}", FUNCS - 1)), "{stdout}");
    // How long it takes is a benchmark (BENCHMARKS.md), not a test.
    eprintln!("100 MB module: wdb --batch (open, call, quit) took {took:?}");
}
