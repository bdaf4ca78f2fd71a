//! The REPL on a real terminal (a pty): tab completion, history across
//! runs, and Ctrl-C stopping a running guest with the session kept.
//! rustyline redraws lines with escape codes, so we match output lines the
//! program prints (`\r\n<text>\r\n`), not the echoed input.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::workspace;
use expectrl::session::OsSession;
use expectrl::{ControlCode, Expect, Session};

fn spawn(state: &Path) -> OsSession {
    let root = workspace();
    let fib = root.join("fixtures/fib.wasm");
    assert!(fib.exists(), "missing {}", fib.display());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wdb"));
    cmd.current_dir(&root)
        .arg("fixtures/fib.wasm")
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("WDB_STATE_DIR", state);
    let mut s = Session::spawn(cmd).expect("spawn wdb on a pty");
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    s.expect("(wdb) ").expect("first prompt");
    s
}

#[test]
fn completion_history_and_ctrl_c() {
    let state = tempfile::tempdir().expect("temp dir");
    let mut s = spawn(state.path());

    // Tab completes an export name after `call`.
    s.send("call fibA").unwrap();
    s.send("\t").unwrap();
    s.send(" 10\r").unwrap();
    s.expect("\r\n[fibArray returned 34]\r\n")
        .expect("completed call ran");

    // Ctrl-C stops a guest that never returns, and the session stays usable.
    s.expect("(wdb) ").unwrap();
    s.send("call loop_forever\r").unwrap();
    std::thread::sleep(Duration::from_millis(700));
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("Program interrupted.\r\n").expect("interrupted");
    s.expect("loop_forever () at ")
        .expect("location after the interrupt");
    s.expect("(wdb) ").unwrap();
    s.send("bt\r").unwrap();
    s.expect("\r\n#0  loop_forever () at ")
        .expect("backtrace of the paused guest");
    s.expect("(wdb) ").unwrap();
    s.send("kill\r").unwrap();
    s.expect("\r\n[execution killed]\r\n").unwrap();
    s.expect("(wdb) ").unwrap();
    s.send("quit\r").unwrap();
    s.expect(expectrl::Eof).expect("quit ends the program");

    // History persists across runs: Up recalls the last command of the last run.
    let mut s = spawn(state.path());
    s.send("\x1b[A").unwrap(); // Up: `quit`
    s.send("\x1b[A").unwrap(); // Up: `kill`
    s.send("\x1b[A").unwrap(); // Up: `bt`
    s.send("\x1b[A").unwrap(); // Up: `call loop_forever`
    s.send("\x1b[A").unwrap(); // Up: `call fibArray 10`
    s.send("\r").unwrap();
    s.expect("\r\n[fibArray returned 34]\r\n")
        .expect("history recalled the call");
    s.expect("(wdb) ").unwrap();
    s.send(ControlCode::EndOfTransmission).unwrap(); // Ctrl-D at the prompt leaves
    s.expect(expectrl::Eof).expect("Ctrl-D ends the program");
}

#[test]
fn enter_after_list_lists_on() {
    let state = tempfile::tempdir().expect("temp dir");
    let mut s = spawn(state.path());
    s.send("list 20\r").unwrap();
    s.expect("    24\r\n").expect("list 20 ends at 24");
    s.expect("(wdb) ").unwrap();
    // Enter: the next ten lines, as gdb.
    s.send("\r").unwrap();
    s.expect("    25\t__attribute__((export_name(\"add\")))\r\n")
        .expect("Enter continued the listing");
    s.expect("    34\r\n").unwrap();
    s.expect("(wdb) ").unwrap();
    s.send("list 30\r").unwrap();
    s.expect("(wdb) ").unwrap();
    s.send("list -\r").unwrap();
    s.expect("    15\t}\r\n").expect("list - before 25");
    s.expect("(wdb) ").unwrap();
    // Enter after `list -`: the ten before those.
    s.send("\r").unwrap();
    s.expect("     5\t/* Same as WasmEdge")
        .expect("Enter went back again");
    s.expect("(wdb) ").unwrap();
    s.send("quit\r").unwrap();
}
