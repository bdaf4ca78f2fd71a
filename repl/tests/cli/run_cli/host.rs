//! The host: WASI tracing, preopened directories, environment and stdin,
//! imports wdb does not provide, fuel, timeouts and the memory limit.

use super::*;

#[test]
fn fuel_and_timeout_stop_runaway_guests() {
    check(
        &wdb(&[
            "run",
            "--mode",
            "interp",
            "--fuel",
            "100000",
            "--invoke",
            "loop_forever",
            "fixtures/fib.wasm",
        ]),
        3,
        "",
        &["wdb: out of fuel after 100000 instructions"],
    );
    let t0 = std::time::Instant::now();
    check(
        &wdb(&[
            "run",
            "--timeout",
            "300ms",
            "--invoke",
            "loop_forever",
            "fixtures/fib.wasm",
        ]),
        124,
        "",
        &["wdb: interrupted: timeout after 300ms"],
    );
    assert!(t0.elapsed() < std::time::Duration::from_secs(20));
    // Enough fuel: the run completes normally.
    check(
        &wdb(&[
            "run",
            "--fuel",
            "10000000",
            "--reactor",
            "fixtures/fib.wasm",
            "fibArray",
            "10",
        ]),
        0,
        "34\n",
        &[],
    );
    check(
        &wdb(&["run", "--timeout", "10x", "fixtures/hello.wasm"]),
        2,
        "",
        &["--timeout", "unknown duration unit"],
    );
}

#[test]
fn max_memory_limits_the_guest() {
    check(
        &wdb(&["run", "--max-memory", "1", "fixtures/pi.wasm", "10"]),
        2,
        "",
        &["exceeds the limit"],
    );
    check(
        &wdb(&["run", "--max-memory", "64MiB", "fixtures/pi.wasm", "10"]),
        0,
        "3.1415926535\n",
        &[],
    );
    check(
        &wdb(&["run", "--max-memory", "lots", "fixtures/pi.wasm"]),
        2,
        "",
        &["--max-memory"],
    );
}

#[test]
fn trace_wasi_prints_one_line_per_call() {
    let out = wdb(&["run", "--trace-wasi", "fixtures/hello.wasm", "x"]);
    check(
        &out,
        0,
        "Hello, wdb!\nargv[1]=x\n",
        &["args_sizes_get(", "fd_write(fd=1, iovs=["],
    );
    let se = text(&out.stderr);
    for l in se.lines() {
        assert!(
            l.contains(") = ") && l.ends_with("s>"),
            "not a trace line: {l}"
        );
    }
    // Without the flag, stderr stays empty.
    check(
        &wdb(&["run", "fixtures/hello.wasm"]),
        0,
        "Hello, wdb!\n",
        &[],
    );
    assert!(wdb(&["run", "fixtures/hello.wasm"]).stderr.is_empty());
}

#[test]
fn non_wasi_imports_are_named_before_running() {
    let f = tinygo("wazero-bench-case.wasm");
    check(
        &wdb(&["run", f.to_str().expect("utf-8")]),
        2,
        "",
        &[
            "imports what wdb does not provide",
            "env::get_random_string (func (param i32 i32))",
        ],
    );
}

#[cfg(feature = "jit")]
#[test]
fn unknown_imports_trap_or_return_zeros() {
    let f = "fixtures/unknown_imports.wasm";
    // Without the flag: every missing import at once, and how to run anyway.
    let out = wdb(&["run", f]);
    check(
        &out,
        2,
        "",
        &[
            "imports what wdb does not provide",
            "env::host_number (func (param i32) (result i32))",
            "env::host_log (func (param i32 i32))",
            "env::host_float (func (result f64))",
            "--unknown-imports=trap",
        ],
    );
    for m in ["interp", "jit", "aot"] {
        // trap: the program runs up to the first call to one of them.
        let out = wdb(&["run", "--mode", m, "--unknown-imports=trap", f]);
        check(
            &out,
            134,
            "before\n",
            &["wdb: trap: call to unknown import env::host_number (--unknown-imports=trap)"],
        );
        // default: they return zeros (0 + 0.0 -> '0') and do nothing else.
        let out = wdb(&["run", "--mode", m, "--unknown-imports", "default", f]);
        check(&out, 0, "before\nn=0\nbefore\n", &[]);
    }
    // A bad value names the choices.
    let out = wdb(&["run", "--unknown-imports=maybe", f]);
    assert_eq!(out.status.code(), Some(2));
    let se = text(&out.stderr);
    assert!(se.contains("trap") && se.contains("default"), "{se}");
}

#[test]
fn dir_spellings_preopen_directories() {
    let cat = tinygo("wazero-wasi-cat.wasm");
    let cat = cat.to_str().expect("utf-8");
    for dir in ["tests/data/wasi/tree::/", "/:tests/data/wasi/tree"] {
        check(
            &wdb(&["run", "--dir", dir, cat, "/test.txt"]),
            0,
            "greet filesystem\n",
            &[],
        );
    }
    // Same name on both sides.
    check(
        &wdb(&[
            "run",
            "--dir",
            "tests/data/wasi/tree",
            cat,
            "tests/data/wasi/tree/test.txt",
        ]),
        0,
        "greet filesystem\n",
        &[],
    );
    // Nothing preopened: the guest cannot open the file.
    let out = wdb(&["run", cat, "/test.txt"]);
    assert_ne!(out.status.code(), Some(0));
    check(
        &wdb(&["run", "--dir", "does/not/exist::/", cat, "/x"]),
        2,
        "",
        &["cannot preopen does/not/exist"],
    );
}

/// The file-reading fixture: a file from a preopened directory, `$GREETING`
/// and stdin, with `--stdin FILE`, and `--env NAME` passing the host's value.
#[test]
fn host_options_reach_a_file_reading_program() {
    let out = Command::new(wdb_path())
        .current_dir(workspace())
        .args([
            "run",
            "--dir",
            "fixtures/data::/data",
            "--env",
            "GREETING",
            "--stdin",
            "fixtures/data/input.txt",
            "fixtures/readfile.wasm",
            "/data/notes.txt",
        ])
        .env("GREETING", "hi")
        .env(
            "WDB_CACHE_DIR",
            std::env::temp_dir().join("wdb-tests-code-cache"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("run wdb");
    check(
        &out,
        0,
        "hi from readfile\nargv[1] = [/data/notes.txt]\n\
         /data/notes.txt: 3 lines, 9 words, 44 bytes\nstdin: 2 lines, 3 words, 14 bytes\n",
        &[],
    );
    // A NAME the host does not have is an error that says so.
    let out = wdb(&[
        "run",
        "--env",
        "WDB_SURELY_UNSET_VARIABLE",
        "fixtures/readfile.wasm",
    ]);
    check(
        &out,
        2,
        "",
        &["the host has no variable `WDB_SURELY_UNSET_VARIABLE`"],
    );
}
