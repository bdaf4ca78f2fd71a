//! `wdb wast --mode interp|jit|aot` as users call it: the binary's stdout
//! and exit status on the same scripts in every mode.
//!
//! The binary is the one Cargo built for this test run (`CARGO_BIN_EXE_wdb`).

use crate::workspace;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn wdb(args: &[&str], cache: &Path) -> Output {
    Command::new(PathBuf::from(env!("CARGO_BIN_EXE_wdb")))
        .current_dir(workspace())
        .args(args)
        .env("WDB_CACHE_DIR", cache)
        .env("WDB_STATE_DIR", cache)
        .stdin(Stdio::null())
        .output()
        .expect("run wdb")
}

const PASSING: &str = r#"
(module
  (func (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call 0 (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1))))
(assert_return (invoke "fac" (i64.const 20)) (i64.const 2432902008176640000))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "fac" (i64.const -1)) "call stack exhausted")
"#;

const FAILING: &str = r#"
(module (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 2))
"#;

#[test]
fn every_mode_runs_the_same_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass.wast");
    let fail = dir.path().join("fail.wast");
    std::fs::write(&pass, PASSING).unwrap();
    std::fs::write(&fail, FAILING).unwrap();
    let (pass, fail) = (pass.to_str().unwrap(), fail.to_str().unwrap());
    for mode in ["interp", "jit", "aot"] {
        let out = wdb(&["wast", "--mode", mode, pass], dir.path());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout,
            format!("{pass}: 4 passed, 0 failed\n"),
            "mode {mode}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(0), "mode {mode}");

        let out = wdb(&["wast", "--mode", mode, pass, fail], dir.path());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout,
            format!(
                "{pass}: 4 passed, 0 failed\n\
                 {fail}: 1 passed, 1 failed\n  \
                 line 3: result 0: expected I32(2), got I32(1)\n\
                 total: 5 passed, 1 failed\n"
            ),
            "mode {mode}"
        );
        assert_eq!(out.status.code(), Some(1), "mode {mode}");
    }
    // Without --mode: the interpreter; an unknown mode is refused by name.
    let out = wdb(&["wast", pass], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let out = wdb(&["wast", "--mode", "native", pass], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("interp") && stderr.contains("jit") && stderr.contains("aot"),
        "{stderr}"
    );
}
