//! `wdb run` of WASI 0.2 components (Rust `wasm32-wasip2` fixtures in
//! `fixtures/wasip2/`), through `wdb_debugger::runner` in interp and JIT
//! mode: stdout and exit status equal wasmtime's, recorded by
//! `fixtures/wasip2/record.sh` into `fixtures/wasip2/expected/` (the tests
//! need no wasmtime). Also: bad components get errors with byte offsets,
//! unknown imports are listed all at once, a resource used after its drop
//! traps with a message.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use wdb_debugger::engine::interp::RunOutcome;
use wdb_debugger::engine::wasi::{Output, Preopen, Stdin, WasiConfig};
use wdb_debugger::runner::{self, Mode, RunConfig, RunErrorKind, RunReport};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/wasip2")
}

struct Run {
    stdout: String,
    report: RunReport,
}

fn run_file(
    file: &Path,
    mode: Mode,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Stdin,
    dir: Option<&Path>,
) -> Result<Run, runner::RunError> {
    let out = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = out.clone();
    let mut argv = vec![file.file_name().unwrap().to_string_lossy().to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    let cfg = RunConfig {
        file: file.to_path_buf(),
        mode,
        wasi: WasiConfig {
            args: argv,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            preopens: dir
                .map(|d| {
                    vec![Preopen {
                        host: d.to_path_buf(),
                        guest: "/data".into(),
                    }]
                })
                .unwrap_or_default(),
            stdin,
            stdout: Output::Sink(Arc::new(move |b: &[u8]| {
                sink.lock().unwrap().extend_from_slice(b)
            })),
            stderr: Output::Sink(Arc::new(|_: &[u8]| {})),
            ..WasiConfig::default()
        },
        ..RunConfig::default()
    };
    let report = runner::run(cfg)?;
    let stdout = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    Ok(Run { stdout, report })
}

fn expected(name: &str) -> (String, i32) {
    let dir = fixtures().join("expected");
    let out = std::fs::read_to_string(dir.join(format!("{name}.stdout"))).unwrap();
    let status = std::fs::read_to_string(dir.join(format!("{name}.status")))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (out, status)
}

fn check(name: &str, r: &Run) {
    let (out, status) = expected(name);
    assert_eq!(r.stdout, out, "{name}: stdout differs from wasmtime's");
    assert_eq!(
        r.report.exit_code,
        Some(status),
        "{name}: exit status differs from wasmtime's ({:?})",
        r.report.outcome
    );
}

const MODES: [Mode; 2] = [Mode::Interp, Mode::Jit];

#[test]
fn cli_args_env_stdin_and_exit_status() {
    let input = std::fs::read(fixtures().join("input.txt")).unwrap();
    for mode in MODES {
        let r = run_file(
            &fixtures().join("p2cli.wasm"),
            mode,
            &["7", "two words", "--flag"],
            &[("FOO", "bar"), ("EMPTY", "")],
            Stdin::Bytes(input.clone()),
            None,
        )
        .unwrap();
        check("cli-args", &r);
        let r = run_file(
            &fixtures().join("p2cli.wasm"),
            mode,
            &[],
            &[],
            Stdin::Null,
            None,
        )
        .unwrap();
        check("cli-plain", &r);
    }
}

/// The sandbox `record.sh` makes: `data/` with a symlink out of it and an
/// absolute one, beside `secret.txt`.
fn sandbox() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("data")).unwrap();
    std::fs::write(d.path().join("secret.txt"), "secret\n").unwrap();
    std::os::unix::fs::symlink("../", d.path().join("data/link-out")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", d.path().join("data/abs-link")).unwrap();
    d
}

#[test]
fn files_in_a_preopen_and_escapes_refused() {
    for mode in MODES {
        let sb = sandbox();
        let r = run_file(
            &fixtures().join("p2files.wasm"),
            mode,
            &[],
            &[],
            Stdin::Null,
            Some(&sb.path().join("data")),
        )
        .unwrap();
        check("files", &r);
        // Nothing was made outside the preopen; what the guest made inside remains.
        assert!(!sb.path().join("made.txt").exists());
        assert_eq!(
            std::fs::read_to_string(sb.path().join("data/out.txt")).unwrap(),
            "hello FROM wasip2\nsecond line\n"
        );
    }
}

#[test]
fn clocks_and_random() {
    for mode in MODES {
        let r = run_file(
            &fixtures().join("p2clock.wasm"),
            mode,
            &[],
            &[],
            Stdin::Null,
            None,
        )
        .unwrap();
        check("clock", &r);
    }
}

#[test]
fn fuel_stops_a_component() {
    // p2bench spends long enough in its sieve for the fuel to run out.
    let file = fixtures().join("p2bench-wasip2.wasm");
    let cfg = |mode| RunConfig {
        file: file.clone(),
        mode,
        fuel: Some(10_000),
        wasi: WasiConfig {
            args: vec!["p2bench".into(), "50000000".into(), "1".into()],
            stdout: Output::Sink(Arc::new(|_: &[u8]| {})),
            ..WasiConfig::default()
        },
        ..RunConfig::default()
    };
    for mode in MODES {
        let r = runner::run(cfg(mode)).unwrap();
        assert!(
            matches!(r.outcome, RunOutcome::OutOfFuel),
            "{mode:?}: {:?}",
            r.outcome
        );
    }
}

fn write_component(dir: &Path, name: &str, wat_text: &str) -> PathBuf {
    let bytes = wat::parse_str(wat_text).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn unknown_imports_are_listed_at_once() {
    let d = tempfile::tempdir().unwrap();
    let f = write_component(
        d.path(),
        "imports.wasm",
        r#"(component
            (import "wasi:sockets/tcp@0.2.0" (instance (export "connect" (func (param "port" u16)))))
            (import "my:thing/api@1.0.0" (instance (export "go" (func (result string)))))
            (import "wasi:cli/environment@0.2.0" (instance (export "get-arguments" (func (result (list string))))))
        )"#,
    );
    let e = run_file(&f, Mode::Interp, &[], &[], Stdin::Null, None)
        .err()
        .expect("a link error");
    assert_eq!(e.kind, RunErrorKind::Link, "{}", e.message);
    assert!(
        e.message
            .contains("wasi:sockets/tcp@0.2.0: connect: func(port: u16)"),
        "{}",
        e.message
    );
    assert!(
        e.message
            .contains("my:thing/api@1.0.0: go: func() -> string"),
        "{}",
        e.message
    );
    assert!(!e.message.contains("get-arguments"), "{}", e.message);
}

#[test]
fn bad_components_get_offsets() {
    let d = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixtures().join("p2cli.wasm")).unwrap();
    let cut = d.path().join("cut.wasm");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = run_file(&cut, Mode::Interp, &[], &[], Stdin::Null, None)
        .err()
        .expect("a load error");
    assert_eq!(e.kind, RunErrorKind::Load);
    assert!(e.message.contains("byte offset"), "{}", e.message);
    // Invalid: a canon lift of a core function that does not exist.
    let bad = write_component(
        d.path(),
        "bad.wasm",
        r#"(component
            (core module $m (func (export "f")))
            (core instance $i (instantiate $m))
            (func (export "g") (canon lift (core func $i "f")))
        )"#,
    );
    // Valid, but exports no wasi:cli/run: a usage error listing what it exports.
    let e = run_file(&bad, Mode::Interp, &[], &[], Stdin::Null, None)
        .err()
        .expect("no run export");
    assert_eq!(e.kind, RunErrorKind::Usage, "{}", e.message);
    assert!(e.message.contains("g: func()"), "{}", e.message);
    let mut broken = wat::parse_str(r#"(component (core module (func (export "f"))))"#).unwrap();
    let n = broken.len();
    broken[n - 3] = 0xff; // inside the core module's code
    let p = d.path().join("broken.wasm");
    std::fs::write(&p, &broken).unwrap();
    let e = run_file(&p, Mode::Interp, &[], &[], Stdin::Null, None)
        .err()
        .expect("a load error");
    assert_eq!(e.kind, RunErrorKind::Load);
    assert!(e.message.contains("byte offset"), "{}", e.message);
}

#[test]
fn resource_used_after_drop_traps() {
    let d = tempfile::tempdir().unwrap();
    let f = write_component(
        d.path(),
        "res.wasm",
        r#"(component
            (type $r (resource (rep i32)))
            (core func $new (canon resource.new $r))
            (core func $drop (canon resource.drop $r))
            (core func $rep (canon resource.rep $r))
            (core module $m
                (import "" "new" (func $new (param i32) (result i32)))
                (import "" "drop" (func $drop (param i32)))
                (import "" "rep" (func $rep (param i32) (result i32)))
                (func (export "run") (result i32)
                    (local $h i32)
                    (local.set $h (call $new (i32.const 42)))
                    (if (i32.ne (call $rep (local.get $h)) (i32.const 42)) (then unreachable))
                    (call $drop (local.get $h))
                    (call $drop (local.get $h))
                    (i32.const 0)))
            (core instance $i (instantiate $m (with "" (instance
                (export "new" (func $new)) (export "drop" (func $drop)) (export "rep" (func $rep))))))
            (func $run (result (result)) (canon lift (core func $i "run")))
            (instance $ri (export "run" (func $run)))
            (export "wasi:cli/run@0.2.0" (instance $ri))
        )"#,
    );
    for mode in MODES {
        let r = run_file(&f, mode, &[], &[], Stdin::Null, None).unwrap();
        match &r.report.outcome {
            RunOutcome::Trapped(t) => assert!(
                t.message.contains("unknown handle"),
                "{mode:?}: {}",
                t.message
            ),
            o => panic!("{mode:?}: expected a trap, got {o:?}"),
        }
    }
}

#[test]
fn trace_wasi_prints_interface_calls_in_wave() {
    use wdb_debugger::engine::wasi::TraceSink;
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let l2 = lines.clone();
    let cfg = RunConfig {
        file: fixtures().join("p2cli.wasm"),
        mode: Mode::Interp,
        wasi: WasiConfig {
            args: vec!["p2cli.wasm".into(), "3".into()],
            stdout: Output::Sink(Arc::new(|_: &[u8]| {})),
            stderr: Output::Sink(Arc::new(|_: &[u8]| {})),
            trace: true,
            trace_sink: Some(TraceSink(Arc::new(move |s: &str| {
                l2.lock().unwrap().push(s.to_string())
            }))),
            ..WasiConfig::default()
        },
        ..RunConfig::default()
    };
    let r = runner::run(cfg).unwrap();
    assert_eq!(r.exit_code, Some(1));
    let lines = lines.lock().unwrap().join("\n");
    for want in [
        r#"wasi:cli/environment.get-arguments() -> ["p2cli.wasm", "3"]"#,
        "wasi:cli/stdout.get-stdout() -> own<",
        "wasi:io/streams.output-stream.check-write(borrow<",
        "wasi:io/streams.input-stream.blocking-read(borrow<",
        ") -> err(closed)",
        "wasi:cli/exit.exit(err) -> exit(1)",
    ] {
        assert!(lines.contains(want), "no `{want}` in:\n{lines}");
    }
}

#[test]
fn invoke_a_library_component_with_wave_values() {
    let calls = std::fs::read_to_string(fixtures().join("lib-calls.txt")).unwrap();
    let want = std::fs::read_to_string(fixtures().join("expected/lib-invoke.stdout")).unwrap();
    for mode in MODES {
        let mut got = String::new();
        for call in calls.lines() {
            let cfg = RunConfig {
                file: fixtures().join("lib.wasm"),
                mode,
                invoke: Some((call.to_string(), Vec::new())),
                ..RunConfig::default()
            };
            let r = runner::run(cfg).unwrap_or_else(|e| panic!("{call}: {e}"));
            got.push_str(r.component_result.as_deref().unwrap_or("(no result)"));
            got.push('\n');
        }
        assert_eq!(got, want, "{mode:?}");
    }
    // Arguments after the file, one WAVE value each (`--invoke add lib.wasm 2 40`).
    let cfg = RunConfig {
        file: fixtures().join("lib.wasm"),
        invoke: Some(("add".into(), vec!["2".into(), "40".into()])),
        ..RunConfig::default()
    };
    assert_eq!(
        runner::run(cfg).unwrap().component_result.as_deref(),
        Some("42")
    );
    for (call, why) in [
        ("greet(5)", "argument `name` (string)"),
        ("add(1)", "`add` takes 2 argument(s)"),
        ("nope()", "exports no function `nope`"),
        ("add(1, 99999999999)", "is not a u32"),
    ] {
        let cfg = RunConfig {
            file: fixtures().join("lib.wasm"),
            invoke: Some((call.into(), Vec::new())),
            ..RunConfig::default()
        };
        let e = runner::run(cfg).err().expect("a usage error");
        assert_eq!(e.kind, RunErrorKind::Usage);
        assert!(e.message.contains(why), "{call}: {}", e.message);
    }
}

/// The wit-bindgen library component (`fixtures/src/wasip2/lib`): every
/// export called with `--invoke 'f(WAVE)'` in every mode prints what
/// `wasmtime run --invoke` printed (strings, records, lists, options,
/// results, variants, enums, flags, tuples, floats, chars, and a resource
/// made, used and dropped with its destructor inside `count-to`).
#[test]
fn invoke_a_wit_bindgen_component_like_wasmtime() {
    let calls = std::fs::read_to_string(fixtures().join("p2lib-calls.txt")).unwrap();
    let want = std::fs::read_to_string(fixtures().join("expected/p2lib-invoke.stdout")).unwrap();
    for mode in [Mode::Interp, Mode::Jit, Mode::Aot] {
        for (call, want) in calls.lines().zip(want.lines()) {
            let cfg = RunConfig {
                file: fixtures().join("p2lib.wasm"),
                mode,
                invoke: Some((call.to_string(), Vec::new())),
                wasi: WasiConfig {
                    stdout: Output::Sink(Arc::new(|_: &[u8]| {})),
                    stderr: Output::Sink(Arc::new(|_: &[u8]| {})),
                    ..WasiConfig::default()
                },
                ..RunConfig::default()
            };
            let r = runner::run(cfg).unwrap_or_else(|e| panic!("{mode:?}: {call}: {e}"));
            assert_eq!(
                r.component_result.as_deref(),
                Some(want),
                "{mode:?}: {call}: {:?}",
                r.outcome
            );
        }
    }
}

/// Two components composed into one graph (`fixtures/src/wasip2/compose`,
/// `wasm-tools compose`): the command's `canon lower` of the other
/// component's lifted exports moves strings and lists between their
/// memories, in every mode, with wasmtime's output.
#[test]
fn composed_components_call_each_other() {
    for mode in [Mode::Interp, Mode::Jit, Mode::Aot] {
        let r = run_file(
            &fixtures().join("composed.wasm"),
            mode,
            &["1000"],
            &[],
            Stdin::Null,
            None,
        )
        .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        check("composed", &r);
    }
}

/// `p2net.wasm` (std::net over `wasi:sockets`) with `inherit_network`,
/// its stdout and exit status.
fn run_net(mode: Mode, args: &[&str], network: bool, stdout: Output) -> RunReport {
    let mut argv = vec!["p2net.wasm".to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    let cfg = RunConfig {
        file: fixtures().join("p2net.wasm"),
        mode,
        wasi: WasiConfig {
            args: argv,
            stdout,
            stderr: Output::Sink(Arc::new(|_: &[u8]| {})),
            inherit_network: network,
            ..WasiConfig::default()
        },
        ..RunConfig::default()
    };
    runner::run(cfg).unwrap()
}

fn captured() -> (Arc<Mutex<Vec<u8>>>, Output) {
    let out = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = out.clone();
    (
        out,
        Output::Sink(Arc::new(move |b: &[u8]| {
            sink.lock().unwrap().extend_from_slice(b)
        })),
    )
}

#[test]
fn sockets_tcp_echo_udp_round_trip_and_lookups_on_loopback() {
    for mode in MODES {
        let (out, stdout) = captured();
        let report = run_net(mode, &[], true, stdout);
        let stdout = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        check("net", &Run { stdout, report });
    }
}

#[test]
fn sockets_are_denied_without_inherit_network() {
    let (mut want, status) = expected("net-denied");
    // The one difference from wasmtime: wdb denies a name lookup with
    // `access-denied` like every other socket operation (std reads it as
    // PermissionDenied); wasmtime, whose lookups have a flag of their own,
    // answers `permanent-resolver-failure` (std: Uncategorized).
    want = want.replace(
        "lookup localhost: error Uncategorized",
        "lookup localhost: error PermissionDenied",
    );
    assert!(want.contains("tcp bind: PermissionDenied"), "{want}");
    for mode in MODES {
        let (out, stdout) = captured();
        let report = run_net(mode, &[], false, stdout);
        let got = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        assert_eq!(got, want, "{mode:?}");
        assert_eq!(report.exit_code, Some(status));
    }
}

/// The guest waits in `accept`, `read` and `recv_from` for a client outside
/// it (this test): each wait is one blocking `poll` on the socket, not a
/// loop of `accept`/`read` calls.
#[test]
fn sockets_a_server_waits_for_a_client_outside_the_guest() {
    use std::io::{BufRead, Read, Write};
    use wdb_debugger::engine::wasi::TraceSink;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let l2 = lines.clone();
    let guest = std::thread::spawn(move || {
        let cfg = RunConfig {
            file: fixtures().join("p2net.wasm"),
            mode: Mode::Jit,
            wasi: WasiConfig {
                args: vec!["p2net.wasm".into(), "serve".into()],
                stdout: Output::Sink(Arc::new(move |b: &[u8]| {
                    for l in b.lines() {
                        let _ = tx.send(l.unwrap());
                    }
                })),
                stderr: Output::Sink(Arc::new(|_: &[u8]| {})),
                inherit_network: true,
                trace: true,
                trace_sink: Some(TraceSink(Arc::new(move |s: &str| {
                    l2.lock().unwrap().push(s.to_string())
                }))),
                ..WasiConfig::default()
            },
            ..RunConfig::default()
        };
        runner::run(cfg).unwrap()
    });
    let port = |what: &str| -> u16 {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("no `{what} port` line: {e}"));
        line.strip_prefix(&format!("{what} port "))
            .unwrap_or_else(|| panic!("not a {what} port line: {line}"))
            .parse()
            .unwrap()
    };
    let p = port("tcp");
    // Let the guest reach accept and wait there before the client comes.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut c = std::net::TcpStream::connect(("127.0.0.1", p)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    c.write_all(b"hello from outside\n").unwrap();
    let mut echo = String::new();
    c.read_to_string(&mut echo).unwrap();
    assert_eq!(echo, "HELLO FROM OUTSIDE\n");
    assert_eq!(rx.recv().unwrap(), r#"tcp got "hello from outside\n""#);
    let p = port("udp");
    let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    u.send_to(b"datagram", ("127.0.0.1", p)).unwrap();
    u.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let mut buf = [0u8; 64];
    let (n, from) = u.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"DATAGRAM");
    assert_eq!(from.port(), p);
    assert_eq!(rx.recv().unwrap(), r#"udp got "datagram""#);
    assert_eq!(rx.recv().unwrap(), "done");
    let report = guest.join().unwrap();
    assert_eq!(report.exit_code, Some(0), "{:?}", report.outcome);
    let lines = lines.lock().unwrap();
    let count = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
    // A wait is one blocking poll, then the call again (not a busy loop).
    assert!(
        count("wasi:sockets/tcp.tcp-socket.accept(") <= 2,
        "{lines:#?}"
    );
    assert!(
        count("wasi:sockets/udp.incoming-datagram-stream.receive(") <= 2,
        "{lines:#?}"
    );
    assert!(count("wasi:io/poll.") <= 4, "{lines:#?}");
}

/// A guest waiting in `accept` for a client that never comes stops at
/// `--timeout` (the host's wait looks at the interrupt flag).
#[test]
fn sockets_a_waiting_server_stops_at_the_timeout() {
    for mode in MODES {
        let cfg = RunConfig {
            file: fixtures().join("p2net.wasm"),
            mode,
            timeout: Some(std::time::Duration::from_millis(500)),
            wasi: WasiConfig {
                args: vec!["p2net.wasm".into(), "serve".into()],
                stdout: Output::Sink(Arc::new(|_: &[u8]| {})),
                inherit_network: true,
                ..WasiConfig::default()
            },
            ..RunConfig::default()
        };
        let r = runner::run(cfg).unwrap();
        assert!(r.timed_out, "{mode:?}: {:?}", r.outcome);
    }
}
