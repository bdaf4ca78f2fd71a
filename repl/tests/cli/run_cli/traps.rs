//! Traps, panics and uncaught exceptions end a run with exit 134, the
//! message and the backtrace (with source lines when DWARF has them).

use super::*;

#[test]
fn trap_prints_message_and_backtrace_and_exits_134() {
    let out = wdb(&["run", "--invoke", "divide", "fixtures/fib.wasm", "1", "0"]);
    check(
        &out,
        134,
        "",
        &["wdb: trap: integer divide by zero\n", "  #0 func["],
    );
    let se = text(&out.stderr);
    let frame = se
        .lines()
        .find(|l| l.starts_with("  #0 "))
        .expect("a frame");
    assert!(frame.contains(" divide at code_offset 0x"), "{frame}");
    // A guest panic: names from the name section, innermost first.
    let out = wdb(&[
        "run",
        tinygo("wazero-dwarf-main.wasm").to_str().expect("utf-8"),
    ]);
    check(
        &out,
        134,
        "panic: NOOOOOOOOOOOOOOO\n",
        &[
            "wdb: trap: unreachable",
            "runtime._panic at code_offset",
            "main.c at",
            "_start at",
        ],
    );
    // Stack exhaustion: a deep backtrace is shortened.
    let out = wdb(&[
        "run",
        "--invoke",
        "recurse",
        "fixtures/fib.wasm",
        "100000000",
    ]);
    check(
        &out,
        134,
        "",
        &["wdb: trap: call stack exhausted", "frames omitted"],
    );
    assert!(text(&out.stderr).lines().count() < 40);
}

/// Rust built with `-Cpanic=unwind` (legacy exception handling, and LLVM's
/// tag imported as `env::__cpp_exception`, which the host makes): the panic
/// unwinds to `catch_unwind` in every engine.
#[cfg(feature = "jit")]
#[test]
fn rust_panic_unwind_is_caught_in_every_mode() {
    for m in ["interp", "jit", "aot"] {
        check(
            &wdb(&["run", "--mode", m, "fixtures/wasm3/rust_unwind.wasm"]),
            0,
            "ok 0\nok 10\nok 20\ncaught panic for 3\nok 40\n",
            &["panicked at src/main.rs:3:17:\nn was 3"],
        );
    }
}

/// An uncaught wasm exception ends `wdb run` as a trap does (exit 134):
/// its tag by name, its payload, and the backtrace of the throw site, in
/// every mode.
#[cfg(feature = "jit")]
#[test]
fn uncaught_exception_ends_the_run_like_a_trap() {
    for mode in ["interp", "jit", "aot"] {
        let out = wdb(&[
            "run",
            "--mode",
            mode,
            "--invoke",
            "boom",
            "fixtures/wasm3/eh.wasm",
            "7",
        ]);
        check(
            &out,
            134,
            "",
            &[
                "wdb: trap: uncaught exception fault(7, 2.5)\n",
                "  #0 func[4] deep at code_offset 0x85\n",
                "  #1 func[5] boom at code_offset 0x8c\n",
            ],
        );
    }
}

/// The REPL ends a call that throws an uncaught exception as a trap, with
/// the tag, its payload and the throw site's frames.
#[test]
fn uncaught_exception_in_the_repl_is_a_trap() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("s.wdb");
    std::fs::write(&script, "call boom 7\nbt\n").expect("write script");
    let out = wdb(&[
        "fixtures/wasm3/eh.wasm",
        "--batch",
        script.to_str().expect("utf-8 path"),
    ]);
    let so = text(&out.stdout) + &text(&out.stderr);
    assert!(
        so.contains("Program trapped: uncaught exception fault(7, 2.5)\n#0  deep (code=7) at code_offset 0x85\n#1  boom (code=7) at code_offset 0x8c"),
        "{so}"
    );
}

/// A trap's backtrace names each frame's source line when DWARF has it.
#[cfg(feature = "jit")]
#[test]
fn trap_backtrace_has_file_and_line() {
    let out = wdb(&["run", "--invoke", "divide", "fixtures/fib.wasm", "7", "0"]);
    check(&out, 134, "", &["wdb: trap: integer divide by zero\n"]);
    let se = text(&out.stderr);
    let frame = se
        .lines()
        .find(|l| l.starts_with("  #0 "))
        .expect("a frame");
    assert!(frame.ends_with(" (src/fib.c:43)"), "{se}");
    for mode in ["interp", "jit"] {
        let out = wdb(&[
            "run",
            "--mode",
            mode,
            "--invoke",
            "divide",
            "fixtures/fib.wasm",
            "7",
            "0",
        ]);
        assert!(
            text(&out.stderr).contains("(src/fib.c:43)"),
            "{mode}: {out:?}"
        );
    }
}
