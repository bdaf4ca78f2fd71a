//! `wdb run --mode interp|jit|aot` through the binary: the same stdout,
//! stderr (trap message and wasm backtrace) and exit status in every mode.

use crate::workspace;
use std::path::PathBuf;
use std::process::Command;

fn wdb() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wdb"))
}

/// (stdout, stderr, status) of `wdb run --mode MODE ARGS...`.
fn run(mode: &str, args: &[&str]) -> (String, String, i32) {
    let out = Command::new(wdb())
        .current_dir(workspace())
        .arg("run")
        .arg("--mode")
        .arg(mode)
        .args(args)
        .output()
        .expect("run wdb");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Every mode gives the interpreter's result; aot's one extra stderr line
/// is the "no AOT section" note.
fn same_in_every_mode(args: &[&str]) -> (String, String, i32) {
    let want = run("interp", args);
    for mode in ["jit", "aot"] {
        let (o, e, s) = run(mode, args);
        let e: String = e
            .lines()
            .filter(|l| !l.contains("no AOT section: compiling now"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            (&o, &e, s),
            (&want.0, &want.1, want.2),
            "--mode {mode} {args:?}"
        );
    }
    want
}

#[test]
fn hello_pi_and_fib_exports() {
    let (o, _, s) = same_in_every_mode(&["fixtures/hello.wasm"]);
    assert_eq!((o.as_str(), s), ("Hello, wdb!\n", 0));
    let (o, _, s) = same_in_every_mode(&["fixtures/pi.wasm", "200"]);
    assert!(o.starts_with("3.14159265358979323846") && s == 0, "{o}");
    for (f, args, want) in [
        ("fibArray", vec!["10"], "34\n"),
        ("fib", vec!["20"], "6765\n"),
        ("add", vec!["2", "3"], "5\n"),
        ("mul64", vec!["3000000000", "3"], "9000000000\n"),
    ] {
        let mut a = vec!["--invoke", f, "fixtures/fib.wasm"];
        a.extend(args);
        let (o, _, s) = same_in_every_mode(&a);
        assert_eq!((o.as_str(), s), (want, 0), "{f}");
    }
}

#[test]
fn traps_print_the_same_backtrace_in_every_mode() {
    let (_, e, s) = same_in_every_mode(&["--invoke", "divide", "fixtures/fib.wasm", "7", "0"]);
    assert_eq!(s, 134);
    assert!(
        e.contains("wdb: trap: integer divide by zero\n  #0 func[11] divide at code_offset"),
        "{e}"
    );
    let (_, e, s) = same_in_every_mode(&["--invoke", "recurse", "fixtures/fib.wasm", "0"]);
    assert_eq!(s, 134);
    assert!(e.contains("frames omitted"), "{e}");
}

#[test]
fn fuel_runs_out_at_the_same_instruction_in_every_mode() {
    // The interpreter's thresholds (found by bisection): the least fuel
    // that gets the program's output out, and the least that finishes it.
    // One less and one more than each stop the same way in every mode:
    // JIT code charges the interpreter's unit, per straight-line stretch.
    for args in [
        vec!["fixtures/hello.wasm"],
        vec!["fixtures/pi.wasm", "30"],
        vec!["--invoke", "fib", "fixtures/fib.wasm", "12"],
    ] {
        let with = |n: u64| {
            let mut a = vec!["--fuel".to_string(), n.to_string()];
            a.extend(args.iter().map(|s| s.to_string()));
            a
        };
        let interp = |n: u64| {
            let a = with(n);
            run("interp", &a.iter().map(String::as_str).collect::<Vec<_>>())
        };
        let least = |done: &dyn Fn(&(String, String, i32)) -> bool| {
            let (mut lo, mut hi) = (0u64, 1u64 << 24);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if done(&interp(mid)) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            lo
        };
        let out = least(&|r| !r.0.is_empty());
        let total = least(&|r| r.2 != 3);
        assert!(
            0 < out && out <= total && total < 1 << 24,
            "{args:?}: {out} {total}"
        );
        assert_eq!(interp(total - 1).2, 3, "{args:?}");
        for n in [out - 1, out, out + 1, total - 1, total] {
            let a = with(n);
            let (o, e, s) = same_in_every_mode(&a.iter().map(String::as_str).collect::<Vec<_>>());
            if s == 3 {
                assert!(
                    e.contains(&format!("out of fuel after {n} instructions")),
                    "{e}"
                );
            }
            assert_eq!(o.is_empty(), n < out, "{args:?} --fuel {n}: {o}");
        }
    }
}

#[test]
fn universal_module_runs_with_aot_and_plain_module_gets_a_note() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("fib.aot.wasm");
    let st = Command::new(wdb())
        .current_dir(workspace())
        .args(["compile", "fixtures/fib.wasm", "-o"])
        .arg(&out)
        .status()
        .expect("wdb compile");
    assert!(st.success());
    let o = out.to_string_lossy().to_string();
    let (so, e, s) = run("aot", &["--invoke", "fib", &o, "20"]);
    assert_eq!((so.as_str(), s), ("6765\n", 0));
    assert!(!e.contains("no AOT section"), "{e}");
    let (_, e, _) = run("aot", &["--invoke", "fib", "fixtures/fib.wasm", "20"]);
    assert!(
        e.contains("no AOT section: compiling now; use `wdb compile`"),
        "{e}"
    );
}

#[test]
fn shared_object_named_without_a_directory_runs_from_the_current_directory() {
    // dlopen looks a bare name up in the library path, not here.
    let dir = tempfile::tempdir().expect("temp dir");
    let st = Command::new(wdb())
        .current_dir(dir.path())
        .args(["compile", "-q"])
        .arg(workspace().join("fixtures/fib.wasm"))
        .args(["-o", "fib.so"])
        .status()
        .expect("wdb compile");
    assert!(st.success());
    let out = Command::new(wdb())
        .current_dir(dir.path())
        .args([
            "run",
            "--mode",
            "aot",
            "--reactor",
            "fib.so",
            "fibArray",
            "10",
        ])
        .output()
        .expect("wdb run");
    let (so, e) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!((so.as_ref(), out.status.code()), ("34\n", Some(0)), "{e}");
}
