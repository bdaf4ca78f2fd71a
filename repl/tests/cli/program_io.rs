//! The program's I/O in the debugger, as users drive it: host options on
//! `wdb`'s command line, `run ARGS < IN > OUT`, errors on stderr, scripts
//! that give the same output on every run, saved breakpoints restored only
//! in interactive sessions, and the terminal's quit confirmation and Ctrl-C
//! during `profile` (on a pty).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::{text, workspace};
use expectrl::session::OsSession;
use expectrl::{ControlCode, Expect, Session};

/// `wdb ARGS` with `script` on stdin (a piped session).
fn piped(args: &[&str], script: &str, state: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wdb"))
        .current_dir(workspace())
        .args(args)
        .env("WDB_STATE_DIR", state)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wdb");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(script.as_bytes()).expect("write script");
    }
    child.wait_with_output().expect("wait for wdb")
}

#[test]
fn run_redirects_stdin_and_stdout_and_splits_like_a_shell() {
    let state = tempfile::tempdir().expect("state dir");
    let dir = tempfile::tempdir().expect("temp dir");
    let out_file = dir.path().join("out file.txt");
    let script = format!(
        "run /data/notes.txt \"a b\" c < fixtures/data/input.txt > '{}'\nshow args\n",
        out_file.display()
    );
    let out = piped(
        &[
            "--dir",
            "fixtures/data::/data",
            "--env",
            "GREETING=hi",
            "fixtures/readfile.wasm",
        ],
        &script,
        state.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let written = std::fs::read_to_string(&out_file).expect("the guest's stdout file");
    assert_eq!(
        written,
        "hi from readfile\nargv[1] = [/data/notes.txt]\nargv[2] = [a b]\nargv[3] = [c]\n\
         /data/notes.txt: 3 lines, 9 words, 44 bytes\nstdin: 2 lines, 3 words, 14 bytes\n"
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("[exited with code 0]"), "{stdout}");
    assert!(
        !stdout.contains("from readfile"),
        "the guest's stdout went to the file: {stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "Argument list to give program being debugged when it is started is \"/data/notes.txt 'a b' c < fixtures/data/input.txt > '{}'\".",
            out_file.display()
        )),
        "{stdout}"
    );
}

#[test]
fn arguments_after_the_module_go_to_the_program() {
    let state = tempfile::tempdir().expect("state dir");
    // Every word after FILE is the program's, `-y` too, as in `wasmtime
    // run`; a `--` right after FILE is dropped; `--args` is gdb's spelling.
    for args in [
        &[
            "--dir",
            "fixtures/data::/data",
            "fixtures/readfile.wasm",
            "/data/notes.txt",
            "x",
            "-y",
        ][..],
        &[
            "--dir",
            "fixtures/data::/data",
            "fixtures/readfile.wasm",
            "--",
            "/data/notes.txt",
            "x",
            "-y",
        ][..],
        &[
            "--args",
            "--dir",
            "fixtures/data::/data",
            "fixtures/readfile.wasm",
            "/data/notes.txt",
            "x",
            "-y",
        ][..],
    ] {
        let out = piped(
            args,
            "show args\nrun < fixtures/data/input.txt\n",
            state.path(),
        );
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        assert!(
            stdout.contains("is \"/data/notes.txt x -y\"."),
            "{args:?}: {stdout}"
        );
    }
    // `--stdin FILE` on the command line, `set environment`, `unset environment`.
    let out = piped(
        &[
            "--dir",
            "fixtures/data::/data",
            "--stdin",
            "fixtures/data/input.txt",
            "fixtures/readfile.wasm",
            "/data/notes.txt",
        ],
        "set environment GREETING=bonjour\nshow environment\nrun\nunset environment GREETING\nshow environment\n",
        state.path(),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout.contains("\nGREETING=bonjour\n"), "{stdout}");
    assert!(stdout.contains("bonjour from readfile\n"), "{stdout}");
    assert!(
        stdout.contains("stdin: 2 lines, 3 words, 14 bytes\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("The program's environment is empty"),
        "{stdout}"
    );
}

#[test]
fn errors_go_to_stderr() {
    let state = tempfile::tempdir().expect("state dir");
    let out = piped(
        &["fixtures/fib.wasm"],
        "contnue\ncall nosuch\ncall fibArray 10\n",
        state.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stderr.contains("error: Undefined command: \"contnue\""),
        "{stderr}"
    );
    assert!(stderr.contains("error: "), "{stderr}");
    assert!(!stdout.contains("error:"), "{stdout}");
    assert!(stdout.contains("34"), "{stdout}");
    // A bad --dir is refused before the session starts.
    let out = piped(&["--dir", "::x", "fixtures/fib.wasm"], "", state.path());
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("wdb: error: --dir"), "{out:?}");
}

/// The same script twice, with the state directory kept between the runs:
/// identical output, because scripts never restore saved breakpoints.
#[test]
fn a_script_gives_the_same_output_on_every_run() {
    let state = tempfile::tempdir().expect("state dir");
    let script = "break fibArray\nbreak divide\nignore 1 1\ndisable 2\ninfo breakpoints\n\
                  call fibArray 3\ncall fibArray 4\nbt\nfinish\ndelete 1\ninfo breakpoints\n";
    let first = piped(&["fixtures/fib.wasm"], script, state.path());
    let second = piped(&["fixtures/fib.wasm"], script, state.path());
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    assert_eq!(text(&first.stdout), text(&second.stdout));
    assert_eq!(text(&first.stderr), text(&second.stderr));
    assert!(
        !text(&second.stdout).contains("Restored"),
        "{}",
        text(&second.stdout)
    );
    // `--batch` too.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("script.wdb");
    std::fs::write(&file, script).expect("write script");
    let batch = |state: &Path| {
        Command::new(env!("CARGO_BIN_EXE_wdb"))
            .current_dir(workspace())
            .args(["fixtures/fib.wasm", "--batch"])
            .arg(&file)
            .env("WDB_STATE_DIR", state)
            .stdin(Stdio::null())
            .output()
            .expect("run wdb")
    };
    let a = batch(state.path());
    let b = batch(state.path());
    assert_eq!(text(&a.stdout), text(&b.stdout));
    assert_eq!(text(&a.stdout), text(&first.stdout));
    // `--batch -` reads the script from stdin, with the same output again.
    let dash = piped(&["fixtures/fib.wasm", "--batch", "-"], script, state.path());
    assert_eq!(dash.status.code(), Some(0), "{dash:?}");
    assert_eq!(text(&dash.stdout), text(&first.stdout));
}

fn spawn_pty(state: &Path, args: &[&str]) -> OsSession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wdb"));
    cmd.current_dir(workspace())
        .args(args)
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("WDB_STATE_DIR", state);
    let mut s = Session::spawn(cmd).expect("spawn wdb on a pty");
    s.set_expect_timeout(Some(Duration::from_secs(60)));
    s
}

/// Interactive sessions restore the last session's breakpoints and say so;
/// `--no-state` starts without them.
#[test]
fn interactive_sessions_restore_breakpoints_and_say_so() {
    let state = tempfile::tempdir().expect("state dir");
    let mut s = spawn_pty(state.path(), &["fixtures/fib.wasm"]);
    s.expect("(wdb) ").expect("first prompt");
    s.send("break fibArray\r").unwrap();
    s.expect("\r\nBreakpoint 1 at ").expect("breakpoint set");
    s.expect("(wdb) ").unwrap();
    s.send("quit\r").unwrap();
    s.expect(expectrl::Eof).expect("quit");

    let mut s = spawn_pty(state.path(), &["fixtures/fib.wasm"]);
    s.expect("Restored 1 breakpoint")
        .expect("restored and said so");
    s.expect("(wdb) ").unwrap();
    s.send("break divide\r").unwrap();
    s.expect("\r\nBreakpoint 2 at ")
        .expect("numbered after the restored one");
    s.expect("(wdb) ").unwrap();
    s.send("quit\r").unwrap();
    s.expect(expectrl::Eof).expect("quit");

    let mut s = spawn_pty(state.path(), &["--no-state", "fixtures/fib.wasm"]);
    s.expect("(wdb) ").expect("prompt");
    s.send("info breakpoints\r").unwrap();
    s.expect("\r\nNo breakpoints")
        .expect("nothing restored with --no-state");
    s.expect("(wdb) ").unwrap();
    s.send("quit\r").unwrap();
    s.expect(expectrl::Eof).expect("quit");
}

/// `quit` and Ctrl-D ask first while the program is paused; `n` stays.
#[test]
fn quit_while_paused_asks_first() {
    let state = tempfile::tempdir().expect("state dir");
    let mut s = spawn_pty(state.path(), &["--no-state", "fixtures/fib.wasm"]);
    s.expect("(wdb) ").expect("prompt");
    s.send("break fibArray\r").unwrap();
    s.expect("(wdb) ").unwrap();
    s.send("call fibArray 10\r").unwrap();
    s.expect("\r\nBreakpoint 1, fibArray").expect("stopped");
    s.expect("(wdb) ").unwrap();
    s.send("quit\r").unwrap();
    s.expect("paused in fibArray.\r\n").expect("says where");
    s.expect("Quit anyway? (y or n) ").expect("asks");
    s.send("n\r").unwrap();
    s.expect("Not confirmed.\r\n").unwrap();
    s.expect("(wdb) ").unwrap();
    s.send(ControlCode::EndOfTransmission).unwrap();
    s.expect("Quit anyway? (y or n) ").expect("Ctrl-D asks too");
    s.send("n\r").unwrap();
    s.expect("(wdb) ").unwrap();
    // Not paused any more: `quit` leaves at once.
    s.send("continue\r").unwrap();
    s.expect("\r\n[fibArray returned 34]\r\n")
        .expect("finished");
    s.expect("(wdb) ").unwrap();
    s.send(ControlCode::EndOfTransmission).unwrap();
    s.expect(expectrl::Eof)
        .expect("Ctrl-D leaves when nothing is paused");
}

#[test]
fn quit_confirmed_with_y_leaves() {
    let state = tempfile::tempdir().expect("state dir");
    let mut s = spawn_pty(state.path(), &["--no-state", "fixtures/fib.wasm"]);
    s.expect("(wdb) ").expect("prompt");
    s.send("break fibArray\r").unwrap();
    s.expect("(wdb) ").unwrap();
    s.send("call fibArray 10\r").unwrap();
    s.expect("(wdb) ").unwrap();
    s.send("quit\r").unwrap();
    s.expect("Quit anyway? (y or n) ").expect("asks");
    s.send("y\r").unwrap();
    s.expect(expectrl::Eof).expect("y quits");
}

/// Ctrl-C stops `profile`, and the session goes on.
#[test]
fn ctrl_c_stops_profile() {
    let state = tempfile::tempdir().expect("state dir");
    let mut s = spawn_pty(state.path(), &["--no-state", "fixtures/fib.wasm"]);
    s.expect("(wdb) ").expect("prompt");
    s.send("profile call loop_forever\r").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("error: profiling interrupted")
        .expect("profile stopped");
    s.expect("(wdb) ").unwrap();
    s.send("call fibArray 10\r").unwrap();
    s.expect("\r\n[fibArray returned 34]\r\n")
        .expect("the session goes on");
    s.expect("(wdb) ").unwrap();
    s.send("quit\r").unwrap();
    s.expect(expectrl::Eof).expect("quit");
}

/// A corrupt saved-state file is a warning and defaults, never a failed
/// start (only interactive sessions read it).
#[test]
fn a_corrupt_state_file_is_a_warning_and_defaults() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let module = workspace().join("fixtures/fib.wasm");
    let bytes = std::fs::read(&module).expect("fib.wasm");
    let file = wdb_debugger::state::state_file(&state, &module, &bytes);
    std::fs::create_dir_all(file.parent().expect("parent")).expect("state dir");
    for garbage in [
        &b"(((not ron"[..],
        b"",
        b"\xff\xfe\x00garbage",
        b"(breakpoints: [(spec: 7)])",
        b"(breakpoints: [(spec: \"nosuchfunction\", enabled: true, temporary: false, condition: Some(\"((\"), ignore_count: 4294967295, hits: 0)])",
    ] {
        std::fs::write(&file, garbage).expect("write corrupt state");
        let mut s = spawn_pty(&state, &[&module.to_string_lossy()]);
        if garbage.starts_with(b"(((") {
            s.expect("warning: ignoring corrupt saved state")
                .expect("the unreadable one says so");
        }
        s.expect("(wdb) ").expect("prompt");
        s.send("call fibArray 10\r").unwrap();
        s.expect("\r\n[fibArray returned 34]\r\n")
            .unwrap_or_else(|e| panic!("state {garbage:?}: {e}"));
        s.expect("(wdb) ").unwrap();
        s.send("quit\r").unwrap();
        s.expect(expectrl::Eof).expect("quit");
    }
}
