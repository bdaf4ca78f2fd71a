//! How `wdb run` is called: reactor spellings, wrong arguments and exports,
//! exit codes, errors and what the file turns out to be, `wdb gui`.

use super::*;

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

/// Errors are on stderr and say "error" once.
#[cfg(feature = "jit")]
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

/// A module using a proposal beyond Wasm 3.0 is refused with an error that
/// names it, at load, by every subcommand (no panic): threads (a shared
/// memory, or an atomic instruction in a body), stack switching.
#[cfg(feature = "jit")]
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
