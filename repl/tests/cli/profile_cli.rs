//! `wdb profile` as a user runs it: the command-line spellings, the exit
//! status, the files it writes, and no colour when stdout is not a terminal.

use crate::workspace;
use std::process::Command;

fn wdb(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wdb"))
        .current_dir(workspace())
        .args(args)
        .output()
        .expect("wdb runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn table_for_a_reactor_call() {
    let (code, out, err) = wdb(&[
        "profile",
        "fixtures/fib.wasm",
        "--invoke",
        "fib",
        "20",
        "--runs",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("wdb profile fixtures/fib.wasm: fib 20\n"),
        "{out}"
    );
    assert!(out.contains("returned 6765"), "{out}");
    assert!(out.contains("21,891"), "{out}");
    // jit and aot columns are there, honestly empty or real.
    assert!(out.contains(" jit") && out.contains(" aot"), "{out}");
    assert!(!out.contains('\x1b'), "no colour into a pipe:\n{out}");
    assert!(err.is_empty(), "no progress bar without a terminal: {err}");
}

#[test]
fn json_flamegraph_and_speedscope_for_a_command() {
    let dir = std::env::temp_dir().join(format!("wdb-profile-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let svg = dir.join("fg.svg");
    let ss = dir.join("ss.json");
    let (code, out, err) = wdb(&[
        "profile",
        "fixtures/bench/pi-O2.wasm",
        "--modes",
        "interp",
        "--runs",
        "1",
        "--json",
        "--flamegraph",
        svg.to_str().expect("utf-8"),
        "--speedscope",
        ss.to_str().expect("utf-8"),
        "--",
        "100",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.trim_start().starts_with('{') && out.contains("\"arctan\""),
        "{out}"
    );
    assert!(out.contains("\"invocation\": \"_start 100\""), "{out}");
    let svg = std::fs::read_to_string(&svg).expect("svg written");
    assert!(
        svg.contains("arctan") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    let ss = std::fs::read_to_string(&ss).expect("speedscope written");
    assert!(ss.contains("speedscope.app/file-format-schema.json"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = wdb(&["profile", "fixtures/fib.wasm", "--invoke", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
    let (code, _, err) = wdb(&["profile", "fixtures/fib.wasm", "--runs", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--runs"), "{err}");
}

#[test]
fn differing_guest_output_exits_1_loudly() {
    let text = r#"(module
      (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (drop (call $random (i32.const 0) (i32.const 8)))
        (i32.store (i32.const 16) (i32.const 0))
        (i32.store (i32.const 20) (i32.const 8))
        (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 32)))))"#;
    let buf = wast::parser::ParseBuffer::new(text).expect("lexes");
    let mut m: wast::Wat<'_> = wast::parser::parse(&buf).expect("parses");
    let path = std::env::temp_dir().join(format!("wdb-profile-random-{}.wasm", std::process::id()));
    std::fs::write(&path, m.encode().expect("encodes")).expect("written");
    let (code, out, err) = wdb(&[
        "profile",
        path.to_str().expect("utf-8"),
        "--modes",
        "interp",
        "--runs",
        "2",
    ]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("THE GUEST'S OUTPUT DIFFERS BETWEEN MODES"),
        "{err}"
    );
    assert!(out.contains("GUEST OUTPUT DIFFERS"), "{out}");
}
