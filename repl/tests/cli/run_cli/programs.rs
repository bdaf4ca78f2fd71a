//! Whole programs: the fixtures against wasmtime's recorded output, GC
//! programs and text-format modules in every mode, the JIT's code cache.

use super::*;

#[cfg(feature = "jit")]
fn cache_entries(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |rd| {
        rd.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "wdbcode"))
            .count()
    })
}

#[cfg(feature = "jit")]
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

#[cfg(feature = "jit")]
#[test]
fn every_mode_runs_the_same_command() {
    for m in ["interp", "jit", "aot"] {
        let out = wdb(&["run", "--mode", m, "fixtures/hello.wasm"]);
        assert_eq!(out.status.code(), Some(0), "{m}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "Hello, wdb!\n", "{m}");
    }
}

#[cfg(feature = "jit")]
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

#[cfg(feature = "jit")]
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
