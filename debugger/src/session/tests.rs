//! Session tests through the synchronous API and the worker (the REPL's
//! golden transcripts in `repl/tests/cli` cover rendering end to end).

use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::ErrorKind;
use crate::state;
use crate::worker;

#[cfg(feature = "jit")]
mod modes;

fn fib_path() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fib.wasm");
    assert!(p.exists(), "missing fixture {}", p.display());
    p
}

fn session() -> Session {
    loaded(fib_path(), Vec::new())
}

/// A session (output captured, nothing persisted) with `path` loaded.
pub(super) fn loaded(path: PathBuf, args: Vec<String>) -> Session {
    let mut s = Session::new(SessionConfig {
        capture_output: true,
        persist: false,
        inherit_stdin: false,
        ..Default::default()
    });
    let ev = run(&mut s, Command::Load { path, args });
    assert!(matches!(ev.first(), Some(Event::Loaded(_))), "{ev:?}");
    s
}

fn run(s: &mut Session, c: Command) -> Vec<Event> {
    s.handle(Request { id: 7, command: c })
}

fn call(export: &str, args: &[&str]) -> Command {
    Command::Call {
        export: export.into(),
        args: args.iter().map(|a| a.to_string()).collect(),
    }
}

fn stopped(ev: &[Event]) -> &StopView {
    ev.iter()
        .find_map(|e| {
            if let Event::Stopped(v) = e {
                Some(v)
            } else {
                None
            }
        })
        .unwrap_or_else(|| panic!("no stop in {ev:?}"))
}

fn frames(s: &mut Session) -> Vec<FrameView> {
    let ev = run(s, Command::Frames);
    let Some(Event::Frames { frames, .. }) = ev.into_iter().next() else {
        panic!("no frames")
    };
    frames
}

fn pi_debug_session(mode: Mode) -> Session {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/pi-debug.wasm");
    assert!(p.exists(), "missing fixture {}", p.display());
    let mut s = loaded(p, vec!["20".into()]);
    set_mode(&mut s, mode);
    s
}

/// The modes a test that runs in every mode runs in: without the `jit`
/// feature, the interpreter only.
#[cfg(feature = "jit")]
pub(super) const MODES: [Mode; 2] = [Mode::Interp, Mode::Jit];
#[cfg(not(feature = "jit"))]
pub(super) const MODES: [Mode; 1] = [Mode::Interp];

/// `mode M`, which must succeed: a test never runs in a mode it did not ask for.
pub(super) fn set_mode(s: &mut Session, mode: Mode) {
    let ev = run(s, Command::SetMode(mode));
    assert!(
        !matches!(ev.first(), Some(Event::CommandFailed { .. })),
        "mode {mode:?}: {ev:?}"
    );
}

fn set_break(s: &mut Session, func: &str) {
    let ev = run(
        s,
        Command::SetBreakpoint {
            spec: BreakSpec::parse(func).expect("spec"),
            temporary: false,
            condition: None,
        },
    );
    assert!(matches!(ev.last(), Some(Event::BreakpointSet(_))), "{ev:?}");
}

fn returned(ev: &[Event]) -> Vec<String> {
    ev.iter()
        .find_map(|e| {
            if let Event::Returned { values, .. } = e {
                Some(values.iter().map(|v| v.text.clone()).collect())
            } else {
                None
            }
        })
        .unwrap_or_else(|| panic!("no return in {ev:?}"))
}

#[test]
fn breakpoint_condition_and_hit_counts() {
    let mut s = session();
    let bp = Command::SetBreakpoint {
        spec: BreakSpec::Function("fib".into()),
        temporary: false,
        condition: Some("n == 1".into()),
    };
    assert!(matches!(
        run(&mut s, bp).as_slice(),
        [Event::BreakpointSet(_)]
    ));
    let ev = run(&mut s, call("fib", &["3"]));
    let st = stopped(&ev);
    assert_eq!(
        st.reason,
        StopReason::Breakpoint {
            number: 1,
            temporary: false
        }
    );
    assert_eq!(st.frame.args[0].value.text, "1");
    // Frames: fib(1) <- fib(2) <- fib(3).
    let ev = run(&mut s, Command::Frames);
    let Event::Frames { frames, .. } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(
        frames
            .iter()
            .map(|f| f.args[0].value.text.as_str())
            .collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    run(&mut s, Command::Delete(None));
    assert_eq!(returned(&run(&mut s, Command::Continue)), ["2"]);
}

#[test]
fn trap_keeps_the_session_and_frames() {
    let mut s = session();
    let ev = run(&mut s, call("divide", &["7", "0"]));
    let Some(Event::Trapped { message, backtrace }) =
        ev.iter().find(|e| matches!(e, Event::Trapped { .. }))
    else {
        panic!("{ev:?}")
    };
    assert_eq!(message, "integer divide by zero");
    assert_eq!(backtrace[0].func_name, "divide");
    // Post-mortem inspection works; resuming does not.
    assert!(matches!(
        run(&mut s, Command::Args).as_slice(),
        [Event::Values { .. }]
    ));
    assert!(matches!(
        run(&mut s, Command::Continue).as_slice(),
        [Event::CommandFailed { id: 7, .. }]
    ));
    assert_eq!(returned(&run(&mut s, call("add", &["2", "3"]))), ["5"]);
}

#[test]
fn nexti_steps_over_calls_and_finish_returns_values() {
    let mut s = session();
    run(
        &mut s,
        Command::SetBreakpoint {
            spec: BreakSpec::Function("fib".into()),
            temporary: true,
            condition: None,
        },
    );
    run(&mut s, call("fib", &["10"]));
    // nexti until the frame depth stays 1 while passing the recursive calls.
    let mut seen_call = false;
    for _ in 0..200 {
        let ev = run(&mut s, Command::NextInstruction);
        if ev.iter().any(|e| matches!(e, Event::Returned { .. })) {
            break;
        }
        let st = stopped(&ev);
        seen_call |= st
            .instruction
            .as_ref()
            .is_some_and(|i| i.text.starts_with("call"));
        let Event::Frames { frames, .. } = &run(&mut s, Command::Frames)[0] else {
            panic!()
        };
        assert_eq!(
            frames.len(),
            1,
            "nexti entered a call at {:?}",
            st.instruction
        );
    }
    assert!(seen_call, "never stepped over a call");
    // stepi into fib's recursion, then finish back out with a value.
    let mut s = session();
    run(
        &mut s,
        Command::SetBreakpoint {
            spec: BreakSpec::Function("fib".into()),
            temporary: false,
            condition: Some("n == 3".into()),
        },
    );
    run(&mut s, call("fib", &["5"]));
    let ev = run(&mut s, Command::Finish);
    let Some(Event::FinishReturned { func, values, .. }) = ev
        .iter()
        .find(|e| matches!(e, Event::FinishReturned { .. }))
    else {
        panic!("{ev:?}")
    };
    assert_eq!((func.as_str(), values[0].text.as_str()), ("fib", "2"));
}

#[test]
fn worker_interrupts_a_running_guest_and_keeps_serving() {
    let (tx, rx, handle) = worker::spawn(SessionConfig::default());
    tx.send(Request {
        id: 1,
        command: Command::Load {
            path: fib_path(),
            args: vec![],
        },
    })
    .unwrap();
    tx.send(Request {
        id: 2,
        command: call("loop_forever", &[]),
    })
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    handle.interrupt();
    let mut stop = None;
    while let Ok(ev) = rx.recv_timeout(Duration::from_secs(20)) {
        match ev {
            Event::Stopped(v) => stop = Some(v.reason),
            Event::Done { id: 2 } => break,
            _ => {}
        }
    }
    assert_eq!(stop, Some(StopReason::Interrupted));
    // Still serving: a bad command fails, a good one works.
    tx.send(Request {
        id: 3,
        command: Command::SelectFrame(99),
    })
    .unwrap();
    tx.send(Request {
        id: 4,
        command: call("add", &["1", "1"]),
    })
    .unwrap();
    let evs: Vec<Event> = std::iter::from_fn(|| rx.recv_timeout(Duration::from_secs(20)).ok())
        .take_while(|e| !matches!(e, Event::Done { id: 4 }))
        .collect();
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::CommandFailed { id: 3, .. })),
        "{evs:?}"
    );
    assert_eq!(returned(&evs), ["2"]);
}

#[test]
fn captured_output_and_wasi_catch() {
    let mut s = session();
    let ev = run(&mut s, call("write_msg", &[]));
    let out: Vec<u8> = ev
        .iter()
        .filter_map(|e| {
            if let Event::Output { bytes, .. } = e {
                Some(bytes.clone())
            } else {
                None
            }
        })
        .flatten()
        .collect();
    assert_eq!(String::from_utf8_lossy(&out), "from fibArray module\n");
    run(&mut s, Command::CatchWasi(Some("fd_write".into())));
    let ev = run(&mut s, call("write_msg", &[]));
    assert_eq!(
        stopped(&ev).reason,
        StopReason::WasiCall {
            number: 1,
            name: "fd_write".into()
        }
    );
}

#[test]
fn breakpoints_persist_per_module() {
    let dir = tempfile::tempdir().unwrap();
    let file = state::state_file(dir.path(), &fib_path(), &std::fs::read(fib_path()).unwrap());
    let mk = || {
        let mut s = Session::new(SessionConfig {
            persist: true,
            state_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        });
        let ev = s.handle(Request {
            id: 1,
            command: Command::Load {
                path: fib_path(),
                args: vec![],
            },
        });
        // Loading also reports the program's host options (`Event::Program`).
        let ev: Vec<Event> = ev
            .into_iter()
            .filter(|e| !matches!(e, Event::Program(_)))
            .collect();
        (s, ev)
    };
    let (mut s, ev) = mk();
    assert!(
        matches!(ev.as_slice(), [Event::Loaded(_)]),
        "nothing to restore yet: {ev:?}"
    );
    run(&mut s, call("add", &["1", "2"]));
    assert!(!file.exists(), "no breakpoints, no state file");
    run(
        &mut s,
        Command::SetBreakpoint {
            spec: BreakSpec::Function("add".into()),
            temporary: false,
            condition: Some("a > 1".into()),
        },
    );
    run(&mut s, Command::Enable(1, false));
    let saved = state::load(&file).unwrap().expect("saved");
    assert_eq!(saved.breakpoints.len(), 1);
    assert_eq!(saved.breakpoints[0].spec, "add");
    assert!(!saved.breakpoints[0].enabled);
    // A new session restores it.
    let (mut s2, ev) = mk();
    assert!(
        matches!(ev.as_slice(), [Event::Loaded(_), Event::Text(t)] if t.contains("Restored 1")),
        "{ev:?}"
    );
    let Event::Breakpoints(b) = &run(&mut s2, Command::Info(InfoWhat::Breakpoints))[0] else {
        panic!()
    };
    assert_eq!(
        (b[0].condition.as_deref(), b[0].enabled),
        (Some("a > 1"), false)
    );
    // The same breakpoint again (a script run once more) is that one,
    // enabled, not a copy that would be remembered too.
    let again = |s: &mut Session| {
        run(
            s,
            Command::SetBreakpoint {
                spec: BreakSpec::Function("add".into()),
                temporary: false,
                condition: Some("a > 1".into()),
            },
        )
    };
    let ev = again(&mut s2);
    assert!(
        matches!(
            ev.as_slice(),
            [Event::BreakpointNote(BreakpointNote::AlreadySet {
                enabled: true,
                ..
            })]
        ),
        "{ev:?}"
    );
    again(&mut s2);
    let saved = state::load(&file).unwrap().expect("saved");
    assert_eq!(saved.breakpoints.len(), 1);
    assert!(saved.breakpoints[0].enabled);
    // State written before that, with copies, restores one.
    let mut dup = saved.clone();
    dup.breakpoints.push(saved.breakpoints[0].clone());
    state::save(&file, &dup).unwrap();
    let (_, ev) = mk();
    assert!(
        matches!(ev.as_slice(), [Event::Loaded(_), Event::Text(t)] if t.contains("Restored 1")),
        "{ev:?}"
    );
    // A corrupt file is a warning, not a failure.
    std::fs::write(&file, "garbage(").unwrap();
    let (_, ev) = mk();
    assert!(
        matches!(ev.as_slice(), [Event::Loaded(_), Event::Warning(w)] if w.contains("corrupt")),
        "{ev:?}"
    );
}

#[test]
fn output_sink_receives_guest_output_as_written() {
    let got: Arc<Mutex<Vec<u8>>> = Arc::default();
    let g = got.clone();
    let sink: host::OutputSink = Arc::new(move |fd, b| {
        assert_eq!(fd, 1);
        g.lock().unwrap().extend_from_slice(b);
    });
    let mut s = Session::new(SessionConfig {
        output_sink: Some(sink),
        ..Default::default()
    });
    s.handle(Request {
        id: 1,
        command: Command::Load {
            path: fib_path(),
            args: vec![],
        },
    });
    let ev = run(&mut s, call("write_msg", &[]));
    assert!(
        !ev.iter().any(|e| matches!(e, Event::Output { .. })),
        "{ev:?}"
    );
    assert_eq!(
        String::from_utf8_lossy(&got.lock().unwrap()),
        "from fibArray module\n"
    );
}

#[test]
fn watch_a_source_variable_by_name() {
    let mut s = session();
    run(
        &mut s,
        Command::SetBreakpoint {
            spec: BreakSpec::Line("src/fib.c".into(), 12),
            temporary: false,
            condition: None,
        },
    );
    run(&mut s, call("fibArray", &["6"]));
    run(&mut s, Command::Delete(None));
    let ev = run(
        &mut s,
        Command::Watch {
            addr: "i".into(),
            len: 4,
            kind: WatchKind::Write,
        },
    );
    assert!(
        matches!(&ev[0], Event::BreakpointSet(b) if b.spec.starts_with("0x7ffff0")),
        "{ev:?}"
    );
    let ev = run(&mut s, Command::Continue);
    let StopReason::Watchpoint { old, new, .. } = &stopped(&ev).reason else {
        panic!("{ev:?}")
    };
    assert_eq!((old[0], new[0]), (2, 3));
}

#[test]
fn source_files_and_text_for_the_gui() {
    let mut s = session();
    let ev = run(&mut s, Command::SourceFiles);
    let Some(Event::SourceFiles(files)) = ev.first() else {
        panic!("{ev:?}")
    };
    let fib_c = files
        .iter()
        .find(|f| f.ends_with("fib.c"))
        .unwrap_or_else(|| panic!("no fib.c in {files:?}"))
        .clone();
    let ev = run(&mut s, Command::SourceFile { file: fib_c });
    let Some(Event::SourceText(t)) = ev.first() else {
        panic!("{ev:?}")
    };
    assert!(t.error.is_none(), "{t:?}");
    assert!(t.lines.iter().any(|l| l.contains("fibArray")), "{t:?}");
    let ev = run(
        &mut s,
        Command::SourceFile {
            file: "nowhere/gone.c".into(),
        },
    );
    let Some(Event::SourceText(t)) = ev.first() else {
        panic!("{ev:?}")
    };
    let e = t.error.as_deref().unwrap_or_default();
    assert!(e.contains("looked in:") && e.contains("gone.c"), "{e}");
}

#[test]
fn wasi_calls_carry_structured_fields() {
    let mut s = session();
    run(&mut s, call("write_msg", &[]));
    let ev = run(&mut s, Command::WasiLog);
    let Some(Event::WasiCalls(calls)) = ev.first() else {
        panic!("{ev:?}")
    };
    let w = calls
        .iter()
        .find(|c| c.func == "fd_write")
        .unwrap_or_else(|| panic!("{calls:?}"));
    assert_eq!(w.errno, 0);
    assert_eq!(w.errno_name, "ESUCCESS");
    assert!(w.bytes.is_some_and(|b| b > 0), "{w:?}");
    assert!(w.args.iter().any(|(k, v)| k == "fd" && v == "1"), "{w:?}");
}

#[test]
fn memory_reads_report_the_live_size() {
    let mut s = session();
    run(&mut s, call("fib", &["3"]));
    let ev = run(
        &mut s,
        Command::ReadMemory {
            addr: "0".into(),
            format: ExamineFormat {
                count: 4,
                letter: 'x',
                unit: 1,
            },
        },
    );
    let Some(Event::Memory(m)) = ev.first() else {
        panic!("{ev:?}")
    };
    let rt = s.rt.as_ref().expect("instantiated");
    let live = rt
        .store
        .instance_memory(rt.inst)
        .map(|a| rt.store.memory(a).len() as u64);
    assert_eq!(Some(m.memory_size), live);
}

/// A front end acts on the kind of a failure, never on its text.
#[test]
fn failures_carry_a_kind() {
    let kind_of = |ev: &[Event]| match ev {
        [Event::CommandFailed { kind, .. }] => *kind,
        other => panic!("expected one failure, got {other:?}"),
    };
    let mut empty = Session::new(SessionConfig::default());
    assert_eq!(
        kind_of(&run(&mut empty, Command::ModuleWat)),
        ErrorKind::NoProgram
    );
    let mut s = session();
    assert_eq!(
        kind_of(&run(&mut s, Command::Frames)),
        ErrorKind::NotRunning
    );
    assert_eq!(
        kind_of(&run(&mut s, Command::Continue)),
        ErrorKind::NotRunning
    );
    assert_eq!(
        kind_of(&run(&mut s, Command::Delete(Some(42)))),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(&run(&mut s, call("no_such_export", &[]))),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(&run(&mut s, call("fibArray", &["x"]))),
        ErrorKind::BadArgument
    );
    let ev = run(&mut s, Command::Condition(1, Some("n >".into())));
    // No breakpoint 1 yet: the number is checked after the condition's syntax.
    assert_eq!(kind_of(&ev), ErrorKind::BadArgument);
    // The message is what the REPL prints after `error: `.
    let ev = run(&mut s, Command::Delete(Some(42)));
    let [Event::CommandFailed { message, .. }] = ev.as_slice() else {
        unreachable!()
    };
    assert_eq!(message, "No breakpoint number 42.");
}

#[test]
fn info_symbol_names_the_function_and_the_offset_in_its_body() {
    let mut s = session();
    let symbol = |s: &mut Session, co| match run(s, Command::Info(InfoWhat::Symbol(co))).as_slice()
    {
        [Event::Info(InfoView::Symbol { func, offset, .. })] => (func.clone(), *offset),
        other => panic!("{other:?}"),
    };
    // fibArray's body starts at code_offset 0xf (`info functions`).
    assert_eq!(symbol(&mut s, 0x10), (Some("fibArray".into()), 1));
    assert_eq!(symbol(&mut s, 0xf), (Some("fibArray".into()), 0));
    assert_eq!(symbol(&mut s, 0), (None, 0));
}

#[cfg(feature = "jit")]
#[test]
fn a_trap_in_jit_code_keeps_its_frames_for_post_mortem_bt_and_frame() {
    // `divide 7 0` traps: in `mode jit` in JIT code, whose frames (from
    // the trap's backtrace) stay for `bt` as the interpreter's do, the same
    // functions at the same code_offsets, until `kill`.
    let mut stacks = Vec::new();
    for mode in MODES {
        let mut s = session();
        set_mode(&mut s, mode);
        let ev = run(
            &mut s,
            Command::Call {
                export: "divide".into(),
                args: vec!["7".into(), "0".into()],
            },
        );
        assert!(
            ev.iter()
                .any(|e| matches!(e, Event::Text(t) if t.contains("Its frames stay"))),
            "{mode:?}: {ev:?}"
        );
        let f = frames(&mut s);
        assert_eq!(f[0].func_name, "divide", "{mode:?}");
        assert_eq!(f[0].jit, mode == Mode::Jit, "{mode:?}");
        stacks.push(
            f.iter()
                .map(|f| (f.func_name.clone(), f.code_offset))
                .collect::<Vec<_>>(),
        );
        let ev = run(&mut s, Command::Kill);
        assert!(
            matches!(ev.first(), Some(Event::Text(t)) if t.contains("killed")),
            "{mode:?}: {ev:?}"
        );
        assert!(matches!(
            run(&mut s, Command::Frames).first(),
            Some(Event::CommandFailed { .. })
        ));
    }
    assert_eq!(stacks[0], stacks[1]);
}

#[test]
fn advance_to_a_function_that_jit_code_calls_stops_there_in_every_mode() {
    // From main (interpreted), `advance div`: div is called by arctan,
    // which main's `next`-style native call runs as JIT code; the location
    // makes JIT code enter div through the interpreter, as a breakpoint does.
    for mode in MODES {
        let mut s = pi_debug_session(mode);
        set_break(&mut s, "main");
        run(&mut s, Command::Run { args: None });
        run(&mut s, Command::Delete(None));
        let ev = run(
            &mut s,
            Command::RunTo {
                spec: BreakSpec::parse("div").expect("spec"),
                advance: true,
            },
        );
        assert_eq!(stopped(&ev).frame.func_name, "div", "{mode:?}: {ev:?}");
        let f = frames(&mut s);
        let names: Vec<&str> = f.iter().take(3).map(|f| f.func_name.as_str()).collect();
        assert_eq!(names, ["div", "arctan", "main"], "{mode:?}");
    }
}
