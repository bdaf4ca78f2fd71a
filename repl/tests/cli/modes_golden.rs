//! `mode jit` in the debugger must show what `mode interp` shows: the two
//! scripts `fixtures/sessions/fib_jit.wdb` and `fib_jit_interp.wdb` differ
//! only in their `mode` line, and so must their transcripts, except for the
//! lines listed here (each says why).

use crate::workspace;
use std::process::Command;

fn transcript(script: &str) -> String {
    let root = workspace();
    let state = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_wdb"))
        .current_dir(&root)
        .arg("fixtures/fib.wasm")
        .arg("--batch")
        .arg(root.join("fixtures/sessions").join(script))
        .env("WDB_STATE_DIR", state.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run wdb");
    assert!(out.status.success(), "{script}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn jit_session_matches_interp_session() {
    let jit = transcript("fib_jit.wdb");
    let interp = transcript("fib_jit_interp.wdb");
    let jit: Vec<&str> = jit
        .lines()
        // The mode itself is named differently.
        .filter(|l| !l.starts_with("(wdb) mode") && !l.starts_with("Engine:"))
        .collect();
    let interp: Vec<&str> = interp
        .lines()
        .filter(|l| !l.starts_with("(wdb) mode") && !l.starts_with("Engine:"))
        .collect();
    assert_eq!(
        jit.len(),
        interp.len(),
        "jit:\n{}\ninterp:\n{}",
        jit.join("\n"),
        interp.join("\n")
    );
    let mut diffs = Vec::new();
    for (j, i) in jit.iter().zip(&interp) {
        // A trap in native code (no breakpoint in the function) has no
        // argument values: JIT frames keep no locals, and say they are JIT.
        let known = (j.ends_with("divide [JIT] at src/fib.c:43")
            && i.ends_with("divide (a=7, b=0) at src/fib.c:43"))
            // and the trapped call's frames cannot be inspected there.
            || (j.starts_with("The call trapped. The next `run`")
                && i.starts_with("The call trapped. Its frames stay for inspection"));
        if j != i && !known {
            diffs.push(format!("jit:    {j}\ninterp: {i}"));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // Those lines must really have been reached in JIT mode.
    assert!(jit.iter().any(|l| l.starts_with("Breakpoint 2, fib (n=1)")));
}
