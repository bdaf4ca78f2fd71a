//! Ctrl-C in JIT code on a real terminal (a pty), `mode jit`: the guest
//! stops where the JIT code saw the interrupt (a loop header), `bt` shows the
//! JIT frame, the spilled locals are readable, `continue` resumes the native
//! code where it was and `kill` unwinds it.

use std::process::Command;
use std::time::Duration;

use crate::workspace;
use expectrl::{ControlCode, Expect, Session};

#[test]
fn ctrl_c_in_jit_code_stops_continues_and_kills() {
    let root = workspace();
    assert!(
        root.join("fixtures/fib.wasm").exists(),
        "missing fixtures/fib.wasm under {}",
        root.display()
    );
    let state = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wdb"));
    cmd.current_dir(&root)
        .arg("fixtures/fib.wasm")
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("WDB_STATE_DIR", state.path());
    let mut s = Session::spawn(cmd).expect("spawn wdb on a pty");
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    s.expect("(wdb) ").expect("first prompt");

    s.send("mode jit\r").unwrap();
    s.expect("\r\nEngine: jit").expect("mode switched");
    s.expect("(wdb) ").unwrap();
    s.send("call loop_forever\r").unwrap();
    std::thread::sleep(Duration::from_millis(700));
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("Program interrupted.\r\n").expect("interrupted");
    s.expect("loop_forever [JIT] at src/fib.c:51\r\n")
        .expect("stopped in the JIT frame");
    s.expect("(wdb) ").unwrap();
    s.send("bt\r").unwrap();
    s.expect("\r\n#0  loop_forever [JIT] at src/fib.c:51\r\n")
        .expect("backtrace of the JIT code");
    s.expect("(wdb) ").unwrap();
    // `counter` is in linear memory, addressed through a local the JIT spilled.
    s.send("p counter\r").unwrap();
    s.expect("\r\n$1 = ").expect("a spilled local read");
    s.expect("(wdb) ").unwrap();

    s.send("continue\r").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("Program interrupted.\r\n")
        .expect("resumed, then interrupted again");
    s.expect("(wdb) ").unwrap();
    s.send("kill\r").unwrap();
    s.expect("\r\n[execution killed]\r\n").unwrap();
    s.expect("(wdb) ").unwrap();
    s.send("call fib 10\r").unwrap();
    s.expect("\r\n[fib returned 55]\r\n")
        .expect("the session works after a kill");
    s.expect("(wdb) ").unwrap();
    s.send("quit\r").unwrap();
    s.expect(expectrl::Eof).expect("quit ends the program");
}
