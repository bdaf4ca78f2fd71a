//! `wdb run` as users call it: the binary's stdout, stderr and exit status.
//! The fixtures' outputs are compared with wasmtime's, recorded once into
//! `tests/data/wasmtime/` (regenerate with `WDB_RECORD_WASMTIME=1` and a
//! `wasmtime` on PATH).
//!
//! The binary is the one Cargo built for this test run (`CARGO_BIN_EXE_wdb`),
//! so a stale `wdb` elsewhere in the target directory is never run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tinygo(name: &str) -> PathBuf {
    workspace().join("../shared/corpus/tinygo").join(name)
}

fn wdb_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wdb"))
}

fn wdb(args: &[&str]) -> Output {
    Command::new(wdb_path())
        .current_dir(workspace())
        .args(args)
        // The JIT's code cache: keep test runs out of ~/.cache.
        .env(
            "WDB_CACHE_DIR",
            std::env::temp_dir().join("wdb-tests-code-cache"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("run wdb")
}

fn cache_entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |rd| {
        rd.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "wdbcode"))
            .count()
    })
}

#[test]
fn jit_code_cache_is_reused_and_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let bin = wdb_path();
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--reactor", "fixtures/fib.wasm", "fibArray", "10"]);
        Command::new(&bin)
            .current_dir(workspace())
            .args(&args)
            .env("WDB_CACHE_DIR", dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("run wdb")
    };
    // --no-cache neither reads nor writes it.
    check(&run(&["--no-cache"]), 0, "34\n", &[]);
    assert_eq!(cache_entries(dir.path()), 0);
    // The first JIT run stores the code, the second loads it: same answer.
    check(&run(&[]), 0, "34\n", &[]);
    assert_eq!(cache_entries(dir.path()), 1);
    check(&run(&["--mode", "jit"]), 0, "34\n", &[]);
    assert_eq!(cache_entries(dir.path()), 1);
    // A damaged entry is recompiled and replaced, silently.
    let entry = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&entry).unwrap();
    let n = bytes.len();
    for b in &mut bytes[n - 64..] {
        *b ^= 0x5a;
    }
    std::fs::write(&entry, &bytes).unwrap();
    check(&run(&[]), 0, "34\n", &[]);
    check(&run(&[]), 0, "34\n", &[]);
    // The interpreter never touches it.
    let other = tempfile::tempdir().unwrap();
    let out = Command::new(wdb_path())
        .current_dir(workspace())
        .args([
            "run",
            "--mode",
            "interp",
            "--reactor",
            "fixtures/fib.wasm",
            "fibArray",
            "10",
        ])
        .env("WDB_CACHE_DIR", other.path())
        .output()
        .unwrap();
    check(&out, 0, "34\n", &[]);
    assert_eq!(cache_entries(other.path()), 0);
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

fn check(out: &Output, status: i32, stdout: &str, stderr_has: &[&str]) {
    let (so, se) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(status),
        "stdout: {so}\nstderr: {se}"
    );
    assert_eq!(so, stdout, "stderr: {se}");
    for s in stderr_has {
        assert!(se.contains(s), "stderr lacks {s:?}:\n{se}");
    }
}

#[test]
fn reactor_both_spellings_print_results() {
    check(
        &wdb(&["run", "--reactor", "fixtures/fib.wasm", "fibArray", "10"]),
        0,
        "34\n",
        &[],
    );
    check(
        &wdb(&["run", "--invoke", "fibArray", "fixtures/fib.wasm", "10"]),
        0,
        "34\n",
        &[],
    );
    check(
        &wdb(&[
            "run",
            "--invoke",
            "mul64",
            "fixtures/fib.wasm",
            "-5",
            "9223372036854775807",
        ]),
        0,
        "-9223372036854775803\n",
        &[],
    );
    check(
        &wdb(&["run", "--invoke", "fdiv", "fixtures/fib.wasm", "1", "-inf"]),
        0,
        "-0\n",
        &[],
    );
}

#[test]
fn wrong_arguments_print_the_signature() {
    check(
        &wdb(&[
            "run",
            "--reactor",
            "fixtures/fib.wasm",
            "fibArray",
            "1",
            "2",
        ]),
        2,
        "",
        &["fibArray: expected (param i32) (result i32), got 2 arguments"],
    );
    check(
        &wdb(&["run", "--invoke", "add", "fixtures/fib.wasm", "1", "x"]),
        2,
        "",
        &[
            "add: argument 2 `x` is not a valid i32",
            "expected (param i32 i32) (result i32)",
        ],
    );
}

#[test]
fn unknown_export_lists_function_exports() {
    check(
        &wdb(&["run", "--invoke", "nope", "fixtures/fib.wasm"]),
        2,
        "",
        &[
            "no exported function `nope`",
            "  fibArray (param i32) (result i32)",
            "  mul64 (param i64 i64) (result i64)",
        ],
    );
    // (A reactor without `--invoke` runs `_initialize` and exits 0, as in
    // wasmtime: `a_reactor_without_invoke_runs_initialize_and_exits_0`.)
}

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

#[test]
fn exit_code_is_the_guests() {
    check(
        &wdb(&["run", "--env", "HELLO_EXIT=7", "fixtures/hello.wasm"]),
        7,
        "Hello, wdb!\n",
        &[],
    );
    check(
        &wdb(&["run", "fixtures/hello.wasm", "a", "b c", "--not-a-wdb-flag"]),
        0,
        "Hello, wdb!\nargv[1]=a\nargv[2]=b c\nargv[3]=--not-a-wdb-flag\n",
        &[],
    );
}

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
fn every_mode_runs_the_same_command() {
    for m in ["interp", "jit", "aot"] {
        let out = wdb(&["run", "--mode", m, "fixtures/hello.wasm"]);
        assert_eq!(out.status.code(), Some(0), "{m}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "Hello, wdb!\n", "{m}");
    }
}

/// Rust built with `-Cpanic=unwind` (legacy exception handling, and LLVM's
/// tag imported as `env::__cpp_exception`, which the host makes): the panic
/// unwinds to `catch_unwind` in every engine.
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
fn gc_programs_run_in_every_mode() {
    // The default mode (the JIT) too; survive_call keeps a struct in a
    // local and one on the operand stack while its callee allocates enough
    // to collect several times.
    for mode in [
        &[][..],
        &["--mode", "interp"],
        &["--mode", "jit"],
        &["--mode", "aot"],
    ] {
        for (func, args, want) in [
            ("point", &["1", "2"][..], "24\n"),
            ("z3", &[], "7\n"),
            ("bytes", &["300"], "818\n"),
            ("i31", &["--", "-5"], "-5\n"),
            ("survive_call", &["300000"], "12\n"),
        ] {
            let mut a = vec!["run", "--no-cache"];
            a.extend_from_slice(mode);
            a.extend_from_slice(&["--invoke", func, "fixtures/wasm3/gc.wasm"]);
            a.extend_from_slice(args);
            let out = wdb(&a);
            check(&out, 0, want, &[]);
        }
    }
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

/// Fixture runs compared with wasmtime's recorded stdout and status.
#[test]
fn fixtures_match_wasmtime() {
    let cases: &[(&str, &[&str])] = &[
        ("hello", &["fixtures/hello.wasm", "a", "b c"]),
        (
            "hello-exit",
            &["--env", "HELLO_EXIT=5", "fixtures/hello.wasm"],
        ),
        ("pi-100", &["fixtures/pi.wasm", "100"]),
        ("pi-debug-30", &["fixtures/pi-debug.wasm", "30"]),
        (
            "fib-fibArray-10",
            &["--invoke", "fibArray", "fixtures/fib.wasm", "10"],
        ),
        (
            "fib-fib-20",
            &["--invoke", "fib", "fixtures/fib.wasm", "20"],
        ),
        (
            "fib-add",
            &["--invoke", "add", "fixtures/fib.wasm", "2147483647", "1"],
        ),
        (
            "fib-fdiv",
            &["--invoke", "fdiv", "fixtures/fib.wasm", "1", "3"],
        ),
        (
            "fib-write_msg",
            &["--invoke", "write_msg", "fixtures/fib.wasm"],
        ),
        (
            "fib-divide-0",
            &["--invoke", "divide", "fixtures/fib.wasm", "1", "0"],
        ),
        ("rustprog", &["fixtures/dwarf/rustprog.wasm"]),
        ("structs", &["fixtures/dwarf/structs.wasm"]),
    ];
    let dir = workspace().join("tests/data/wasmtime");
    let record = std::env::var_os("WDB_RECORD_WASMTIME").is_some();
    let mut failures = Vec::new();
    for (name, args) in cases {
        let so = dir.join(format!("fixture-{name}.stdout"));
        let st = dir.join(format!("fixture-{name}.status"));
        if record {
            let out = Command::new("wasmtime")
                .current_dir(workspace())
                .arg("run")
                .args(*args)
                .stdin(Stdio::null())
                .output()
                .expect("wasmtime on PATH to record");
            std::fs::write(&so, &out.stdout).expect("write");
            std::fs::write(&st, format!("{}\n", out.status.code().unwrap_or(-1))).expect("write");
        }
        let want_out = std::fs::read_to_string(&so).unwrap_or_else(|e| {
            panic!("{}: {e} (record with WDB_RECORD_WASMTIME=1)", so.display())
        });
        let want_status: i32 = std::fs::read_to_string(&st)
            .unwrap_or_else(|e| panic!("{}: {e}", st.display()))
            .trim()
            .parse()
            .expect("a status");
        let mut full = vec!["run"];
        full.extend_from_slice(args);
        let out = wdb(&full);
        let got = text(&out.stdout);
        if got != want_out || out.status.code() != Some(want_status) {
            failures.push(format!(
                "{name}: wdb status {:?} stdout {got:?}; wasmtime status {want_status} stdout {want_out:?}; wdb stderr {}",
                out.status.code(),
                text(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_text_format_module_runs_in_every_mode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wat = dir.path().join("add.wat");
    std::fs::write(
        &wat,
        "(module (func (export \"add\") (param i32 i32) (result i32)\n  local.get 0 local.get 1 i32.add))\n",
    )
    .expect("write");
    let wat = wat.to_string_lossy().to_string();
    for mode in ["interp", "jit", "aot"] {
        let out = wdb(&["run", "--mode", mode, "--invoke", "add", &wat, "2", "40"]);
        check(&out, 0, "42\n", &[]);
    }
    // A typo reports its line and column, not a byte offset.
    let bad = dir.path().join("bad.wat");
    std::fs::write(&bad, "(module\n  (func i32.konst 1 drop))\n").expect("write");
    let out = wdb(&["run", &bad.to_string_lossy()]);
    check(&out, 2, "", &["in the text format", "bad.wat:2:"]);
}

#[test]
fn a_file_that_is_not_a_module_says_what_it_is() {
    let out = wdb(&["run", "README.md"]);
    check(
        &out,
        2,
        "",
        &["not a WebAssembly module", "not the text format"],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty.wasm");
    std::fs::write(&empty, b"").expect("write");
    check(
        &wdb(&["run", &empty.to_string_lossy()]),
        2,
        "",
        &["an empty file"],
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

/// Errors are on stderr and say "error" once.
#[test]
fn errors_are_prefixed_once() {
    let out = wdb(&["run", "--dir", "does/not/exist::/", "fixtures/hello.wasm"]);
    check(&out, 2, "", &["wdb: error: cannot preopen does/not/exist"]);
    assert!(
        !text(&out.stderr).contains("error: error"),
        "{}",
        text(&out.stderr)
    );
    // A module that cannot be read, in each subcommand that loads one
    // (`wdb compile` said "error: loading X: error: cannot read X").
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.wasm");
    let missing = missing.to_str().expect("utf-8 path");
    let out_path = dir.path().join("out.wasm");
    for args in [
        vec![
            "compile",
            missing,
            "-o",
            out_path.to_str().expect("utf-8 path"),
        ],
        vec!["run", missing],
        vec!["profile", missing],
    ] {
        let out = wdb(&args);
        let se = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {se}");
        assert!(se.contains("cannot read"), "{args:?}: {se}");
        assert_eq!(se.matches("error:").count(), 1, "{args:?}: {se}");
    }
}

/// An uncaught wasm exception ends `wdb run` as a trap does (exit 134):
/// its tag by name, its payload, and the backtrace of the throw site, in
/// every mode.
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

/// A module using a proposal beyond Wasm 3.0 is refused with an error that
/// names it, at load, by every subcommand (no panic): threads (a shared
/// memory, or an atomic instruction in a body), stack switching.
#[test]
fn features_beyond_wasm3_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        ("shared.wat", "(module (memory 1 1 shared))", "threads"),
        (
            "atomic.wat",
            "(module (memory 1) (func (export \"f\") (result i32) (i32.atomic.load (i32.const 0))))",
            "threads",
        ),
        (
            "cont.wat",
            "(module (type $f (func)) (type $c (cont $f)))",
            "stack switching",
        ),
    ];
    for (name, wat, feature) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, wat).expect("write module");
        let p = path.to_str().expect("utf-8 path");
        for args in [
            vec!["run", "--invoke", "f", p],
            vec!["compile", p, "-o", "/dev/null"],
        ] {
            let out = wdb(&args);
            let se = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {se}");
            assert!(
                se.contains(&format!("the module uses {feature}"))
                    && se.contains("beyond WebAssembly 3.0")
                    && se.contains("byte offset"),
                "{args:?}: {se}"
            );
            assert!(!se.contains("panicked"), "{se}");
        }
    }
}

/// A reactor without `--invoke` is initialised and done, as in wasmtime.
#[test]
fn a_reactor_without_invoke_runs_initialize_and_exits_0() {
    check(&wdb(&["run", "fixtures/fib.wasm"]), 0, "", &[]);
    // A module with neither `_start` nor `_initialize` still needs --invoke.
    let dir = tempfile::tempdir().expect("temp dir");
    let lib = dir.path().join("lib.wasm");
    std::fs::write(
        &lib,
        wat::parse_str(r#"(module (func (export "f") (result i32) (i32.const 1)))"#).expect("wat"),
    )
    .expect("write");
    check(
        &wdb(&["run", &lib.to_string_lossy()]),
        2,
        "",
        &[
            "has no `_start` export",
            "  f (result i32)",
            "use --invoke FUNC",
        ],
    );
}

/// A component is named as one, in the runner and in the debugger.
#[test]
fn a_component_is_named_as_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let comp = dir.path().join("app.wasm");
    // The smallest component: the preamble with a component's version.
    std::fs::write(&comp, b"\0asm\x0d\x00\x01\x00").expect("write");
    let comp = comp.to_string_lossy().to_string();
    // `wdb run` runs components' wasi:cli/run; this one exports nothing.
    let out = wdb(&["run", &comp]);
    check(
        &out,
        2,
        "",
        &[
            &format!(
                "{comp} exports no wasi:cli/run (is it a library component? use --invoke FUNC)"
            ),
            "(none)",
        ],
    );
    assert!(
        !text(&out.stderr).contains("feature"),
        "{}",
        text(&out.stderr)
    );
    // The debugger opens components too: this one has no code to debug.
    let want = format!("{comp}: the component has no core module to debug");
    let out = wdb(&[&comp]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).contains(&want), "{}", text(&out.stderr));
    // A subcommand that takes core modules only says so, not "beyond 3.0"
    // (`wdb compile` takes components: compile_cli.rs).
    for sub in [&["profile", "fixtures/wasip2/lib.wasm"][..]] {
        let out = wdb(sub);
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!(
                "fixtures/wasip2/lib.wasm: this is a WebAssembly component (WASI 0.2): `wdb {}` takes core modules only for now",
                sub[0]
            )) && !err.contains("beyond"),
            "{sub:?}: {err}"
        );
        assert_ne!(out.status.code(), Some(0), "{sub:?}");
    }
    let out = wdb(&["fixtures/wasip2/lib.wasm"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        text(&out.stdout).starts_with(
            "Reading fixtures/wasip2/lib.wasm: component (library), 860 bytes, 1 core module; main core module m: 6 functions, 7 exports\n"
        ),
        "{}",
        text(&out.stdout)
    );
}

/// A trap's backtrace names each frame's source line when DWARF has it.
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

/// `wdb gui` starts `wdb-gui` (here a stand-in named by `$WDB_GUI`) with the
/// same options, and says how to build it when it is missing.
#[test]
fn gui_starts_wdb_gui_with_the_same_options() {
    let run = |gui: &str, args: &[&str]| {
        Command::new(wdb_path())
            .current_dir(workspace())
            .arg("gui")
            .args(args)
            .env("WDB_GUI", gui)
            .stdin(Stdio::null())
            .output()
            .expect("run wdb")
    };
    let out = run(
        "/bin/echo",
        &[
            "--dir",
            "fixtures/data::/data",
            "--env",
            "A=1",
            "fixtures/readfile.wasm",
            "x",
            "-y",
        ],
    );
    check(
        &out,
        0,
        "--dir fixtures/data::/data --env A=1 fixtures/readfile.wasm -- x -y\n",
        &[],
    );
    let out = run("/nonexistent/wdb-gui", &["fixtures/fib.wasm"]);
    check(&out, 2, "", &["`cargo build -p wdb_gui`"]);
}
