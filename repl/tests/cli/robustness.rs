//! The REPL survives what a guest does in the middle of a session: a trap,
//! `proc_exit`, a 50 MB flood of stdout, a stack overflow. After each, `bt`
//! and a new `call` still work (batch mode through the `wdb` binary). (A
//! corrupt saved-state file is tested in `program_io.rs`: only interactive
//! sessions read it.)
//! The REPL fuzz corpus (`fuzz/corpus/repl_parse`) and its regressions are
//! replayed through the binary: no line may panic it.

use crate::{text, workspace};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn run_batch(module: &Path, script: &str, state_dir: &Path) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let script_path = dir.path().join("script");
    std::fs::write(&script_path, script).expect("write script");
    Command::new(env!("CARGO_BIN_EXE_wdb"))
        .arg(module)
        .arg("--batch")
        .arg(&script_path)
        .env("WDB_STATE_DIR", state_dir)
        .current_dir(workspace())
        .stdin(Stdio::null())
        .output()
        .expect("run wdb")
}

fn assert_no_panic(out: &Output) {
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "wdb panicked:\n{stderr}"
    );
    assert!(
        out.status.code().is_some(),
        "wdb was killed by a signal: {out:?}"
    );
}

const GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  ;; iovec at 0: 65,536 bytes of 'x' from 65536.
  (data (i32.const 0) "\00\00\01\00\00\00\01\00")
  (func $fill (memory.fill (i32.const 65536) (i32.const 120) (i32.const 65536)))
  (func (export "flood") (param $n i32) (result i32)
    (call $fill)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (i32.const 1))
  (func $boom (export "boom") (param i32) (result i32)
    (i32.div_u (i32.const 1) (local.get 0)))
  (func $deeper (param i32) (result i32)
    (call $boom (local.get 0)))
  (func (export "trap_deep") (result i32) (call $deeper (i32.const 0)))
  (func $overflow (export "overflow") (result i32)
    (i32.add (i32.const 1) (call $overflow)))
  (func (export "bye") (call $proc_exit (i32.const 3)))
  (func (export "seven") (result i32) (i32.const 7)))"#;

fn guest_file(dir: &Path) -> PathBuf {
    let path = dir.join("guest.wasm");
    std::fs::write(&path, wat::parse_str(GUEST).expect("guest WAT")).expect("write guest");
    path
}

#[test]
fn a_trap_mid_session_leaves_bt_and_call_working() {
    let dir = tempfile::tempdir().expect("temp dir");
    let guest = guest_file(dir.path());
    let out = run_batch(
        &guest,
        "call trap_deep\nbt\ncall seven\ncall overflow\nbt\ncall seven\ncall boom 1\n",
        &dir.path().join("state"),
    );
    assert_no_panic(&out);
    let stdout = text(&out.stdout);
    let all = format!("{stdout}{}", text(&out.stderr));
    // The script echoes every command, so check the REPL's own words, not
    // names the commands contain.
    for want in [
        "Program trapped: integer divide by zero\n#0  boom ($l0=0) at code_offset",
        "#1  deeper ($l0=0) at code_offset",
        "Program trapped: call stack exhausted\n#0  overflow () at code_offset",
        "[boom returned 1]",
    ] {
        assert!(all.contains(want), "missing {want:?} in:\n{all}");
    }
    // `bt` after the trap shows the trapping frames again, and both later
    // calls of `seven` run on restored state.
    assert!(
        all.contains("(wdb) bt\n#0  boom ($l0=0)"),
        "bt after the trap:\n{all}"
    );
    assert_eq!(stdout.matches("[seven returned 7]").count(), 2, "{all}");
}

#[test]
fn proc_exit_mid_session_leaves_the_session_usable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let guest = guest_file(dir.path());
    let out = run_batch(
        &guest,
        "call bye\nbt\ncall seven\n",
        &dir.path().join("state"),
    );
    assert_no_panic(&out);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("[exited with code 3]"), "{all}");
    // As in gdb, an exited program has no stack (a trap keeps its frames).
    assert!(text(&out.stderr).contains("error: No stack."), "{all}");
    assert!(!text(&out.stdout).contains("#0"), "{all}");
    assert!(all.contains("[seven returned 7]"), "{all}");
}

#[test]
fn a_50_mb_stdout_flood_mid_session_leaves_the_session_usable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let guest = guest_file(dir.path());
    // 800 writes of 64 KiB = 50 MiB.
    let out = run_batch(
        &guest,
        "call flood 800\nbt\ncall seven\n",
        &dir.path().join("state"),
    );
    assert_no_panic(&out);
    assert!(
        out.stdout.len() >= 50 << 20,
        "{} bytes of stdout",
        out.stdout.len()
    );
    let tail = text(&out.stdout[out.stdout.len() - 200..]);
    assert!(
        tail.contains("[seven returned 7]"),
        "after the flood: {tail:?}\nstderr: {}",
        text(&out.stderr)
    );
}

#[test]
fn repl_fuzz_corpus_lines_never_panic_the_binary() {
    let mut inputs = Vec::new();
    for dir in [
        "fuzz/corpus/repl_parse",
        "tests/data/regressions/repl_parse",
    ] {
        let Ok(rd) = std::fs::read_dir(workspace().join(dir)) else {
            continue;
        };
        for e in rd {
            let p = e.expect("entry").path();
            if p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with("seed-") || dir.starts_with("tests")
            }) {
                inputs.push(p);
            }
        }
    }
    assert!(
        !inputs.is_empty(),
        "no REPL corpus under fuzz/corpus/repl_parse"
    );
    let state = tempfile::tempdir().expect("state dir");
    for p in inputs {
        let raw = std::fs::read(&p).expect("read corpus file");
        // Parse everything, run nothing that could block: each line goes
        // through `help`-free parsing by prefixing it to an `echo`-like
        // no-op is not available, so run the lines as they are, but never
        // `run`/`continue` an unbounded guest: fib.wasm has no _start.
        let script: String = String::from_utf8_lossy(&raw)
            .lines()
            .filter(|l| !l.trim_start().starts_with("shell"))
            .map(|l| format!("{l}\n"))
            .collect();
        let out = run_batch(
            &workspace().join("fixtures/fib.wasm"),
            &script,
            state.path(),
        );
        assert_no_panic(&out);
    }
}
