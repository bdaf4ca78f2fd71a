//! Inlined frames through the session API, on `fixtures/dwarf/inline.wasm`
//! (`-O2 -g`: `scale` inlined into `mix` inlined into `compute`, `square`
//! inlined into `compute` and out of line). Lines come from the source's
//! `LINE-MARKER` comments, so editing the fixture does not silently shift them.

use std::path::PathBuf;

use crate::api::*;
use crate::session::{Session, SessionConfig};

fn fixture(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/dwarf")
        .join(rel);
    assert!(p.exists(), "missing fixture {}", p.display());
    p
}

/// The line carrying `// LINE-MARKER: name` in inline.c.
fn marker(name: &str) -> u32 {
    let src = std::fs::read_to_string(fixture("inline.c")).expect("read inline.c");
    let tag = format!("LINE-MARKER: {name}");
    src.lines()
        .position(|l| l.trim_end().ends_with(&tag))
        .map(|i| i as u32 + 1)
        .unwrap_or_else(|| panic!("no {tag} in inline.c"))
}

fn session() -> Session {
    let mut s = Session::new(SessionConfig {
        capture_output: true,
        ..Default::default()
    });
    let ev = run(
        &mut s,
        Command::Load {
            path: fixture("inline.wasm"),
            args: vec![],
        },
    );
    assert!(matches!(ev.first(), Some(Event::Loaded(_))), "{ev:?}");
    s
}

fn run(s: &mut Session, c: Command) -> Vec<Event> {
    s.handle(Request { id: 7, command: c })
}

fn ok(s: &mut Session, c: Command) -> Vec<Event> {
    let ev = run(s, c);
    if let Some(Event::CommandFailed { message, .. }) =
        ev.iter().find(|e| matches!(e, Event::CommandFailed { .. }))
    {
        panic!("command failed: {message}");
    }
    ev
}

fn brk(s: &mut Session, spec: &str) -> BreakpointView {
    let ev = ok(
        s,
        Command::SetBreakpoint {
            spec: BreakSpec::parse(spec).expect("spec"),
            temporary: false,
            condition: None,
        },
    );
    ev.into_iter()
        .find_map(|e| match e {
            Event::BreakpointSet(b) => Some(b),
            _ => None,
        })
        .expect("breakpoint set")
}

fn stop(ev: &[Event]) -> &StopView {
    ev.iter()
        .find_map(|e| match e {
            Event::Stopped(v) => Some(v),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no stop in {ev:?}"))
}

/// (name, line, inlined) of the innermost `n` frames.
fn frames(s: &mut Session, n: usize) -> Vec<(String, u32, bool)> {
    let ev = ok(s, Command::Frames);
    let Some(Event::Frames { frames, .. }) = ev.first() else {
        panic!("{ev:?}")
    };
    frames
        .iter()
        .take(n)
        .map(|f| {
            (
                f.func_name.clone(),
                f.source.as_ref().map_or(0, |l| l.line),
                f.inlined,
            )
        })
        .collect()
}

fn values(s: &mut Session, c: Command) -> Vec<(String, String)> {
    let ev = ok(s, c);
    let Some(Event::Values { values, .. }) = ev.first() else {
        panic!("{ev:?}")
    };
    values
        .iter()
        .map(|v| (v.name.clone(), v.value.text.clone()))
        .collect()
}

fn print(s: &mut Session, expr: &str) -> Result<String, String> {
    let ev = run(
        s,
        Command::Print {
            expr: expr.into(),
            format: Format::Natural,
        },
    );
    match ev.first() {
        Some(Event::Printed { text, .. }) => Ok(text.clone()),
        Some(Event::CommandFailed { message, .. }) => Err(message.clone()),
        other => panic!("{other:?}"),
    }
}

fn f(name: &str, line: u32, inlined: bool) -> (String, u32, bool) {
    (name.to_string(), line, inlined)
}

#[test]
fn backtrace_has_one_frame_per_inline_level_with_call_sites() {
    let mut s = session();
    let b = brk(&mut s, "scale");
    assert_eq!(b.locations.len(), 1, "{b:?}");
    assert!(b.locations[0].inlined);
    assert_eq!(b.locations[0].in_func, "compute");
    let ev = ok(&mut s, Command::Run { args: None });
    let st = stop(&ev);
    assert_eq!(st.frame.func_name, "scale");
    assert!(st.frame.inlined);
    assert_eq!(
        frames(&mut s, 4),
        [
            f("scale", marker("scale_body"), true),
            f("mix", marker("mix_call_scale"), true),
            f("compute", marker("compute_call_mix"), false),
            f("__original_main", marker("main_call_compute"), false),
        ]
    );
    // `up` twice reaches the wasm function that holds the inlined code.
    ok(&mut s, Command::MoveFrame(2));
    let ev = ok(&mut s, Command::Info(InfoWhat::Frame));
    let text = format!("{ev:?}");
    assert!(text.contains("compute"), "{text}");
}

#[test]
fn variables_belong_to_their_inline_scope() {
    let mut s = session();
    brk(&mut s, "scale");
    ok(&mut s, Command::Run { args: None });
    let ev = ok(&mut s, Command::Next);
    assert_eq!(
        stop(&ev).frame.source.as_ref().map(|l| l.line),
        Some(marker("scale_ret"))
    );
    assert_eq!(values(&mut s, Command::Locals), [("r".into(), "0".into())]);
    assert_eq!(
        values(&mut s, Command::Args),
        [
            ("v".into(), "<optimized out>".into()),
            ("k".into(), "3".into())
        ]
    );
    assert_eq!(print(&mut s, "r + k").as_deref(), Ok("3"));
    // In mix's frame, scale's variables are not in scope, mix's are.
    ok(&mut s, Command::MoveFrame(1));
    assert!(print(&mut s, "k").is_err());
    let names: Vec<String> = values(&mut s, Command::Locals)
        .into_iter()
        .map(|v| v.0)
        .collect();
    assert_eq!(names, ["s"]);
    // compute's frame: its own locals, none of the inlined ones.
    ok(&mut s, Command::MoveFrame(1));
    let names: Vec<String> = values(&mut s, Command::Locals)
        .into_iter()
        .map(|v| v.0)
        .collect();
    assert_eq!(names, ["m", "i", "total"]);
}

#[test]
fn step_enters_an_inlined_call_at_its_call_site_and_next_runs_over_it() {
    let mut s = session();
    brk(&mut s, "compute");
    ok(&mut s, Command::Run { args: None });
    // Step until the call site of mix: the inlined frames are hidden there.
    let mut at = (String::new(), 0);
    for _ in 0..8 {
        let ev = ok(&mut s, Command::Step);
        let fr = &stop(&ev).frame;
        at = (
            fr.func_name.clone(),
            fr.source.as_ref().map_or(0, |l| l.line),
        );
        if at.1 == marker("compute_call_mix") {
            break;
        }
    }
    assert_eq!(at, ("compute".to_string(), marker("compute_call_mix")));
    assert_eq!(
        frames(&mut s, 1),
        [f("compute", marker("compute_call_mix"), false)]
    );
    // `step` enters mix without running anything, then scale.
    let ev = ok(&mut s, Command::Step);
    let pc = stop(&ev).frame.code_offset;
    assert_eq!(
        frames(&mut s, 2)[0],
        f("mix", marker("mix_call_scale"), true)
    );
    let ev = ok(&mut s, Command::Step);
    assert_eq!(
        stop(&ev).frame.code_offset,
        pc,
        "entering an inlined frame runs nothing"
    );
    assert_eq!(frames(&mut s, 1), [f("scale", marker("scale_body"), true)]);

    // Again from the call site, `next` runs over all of mix.
    let mut s = session();
    brk(&mut s, "compute");
    ok(&mut s, Command::Run { args: None });
    for _ in 0..8 {
        let ev = ok(&mut s, Command::Step);
        if stop(&ev).frame.source.as_ref().map(|l| l.line) == Some(marker("compute_call_mix")) {
            break;
        }
    }
    let ev = ok(&mut s, Command::Next);
    let fr = &stop(&ev).frame;
    assert_eq!(fr.func_name, "compute");
    assert!(!fr.inlined);
    let line = fr.source.as_ref().map_or(0, |l| l.line);
    assert!(
        line != marker("compute_call_mix")
            && ![marker("scale_body"), marker("scale_ret"), marker("mix_ret")].contains(&line),
        "next stopped at line {line}, inside the inlined call"
    );
}

#[test]
fn finish_from_an_inlined_frame_runs_to_the_end_of_its_code() {
    let mut s = session();
    brk(&mut s, "scale");
    ok(&mut s, Command::Run { args: None });
    let ev = ok(&mut s, Command::Finish);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::FinishReturned { func, .. } if func == "scale")),
        "{ev:?}"
    );
    assert_eq!(
        frames(&mut s, 2),
        [
            f("mix", marker("mix_ret"), true),
            f("compute", marker("compute_call_mix"), false)
        ]
    );
    // `up` to compute (a wasm frame) and `finish` returns from compute.
    ok(&mut s, Command::Delete(None));
    ok(&mut s, Command::MoveFrame(1));
    let ev = ok(&mut s, Command::Finish);
    assert!(
        ev.iter().any(|e| matches!(e, Event::FinishReturned { func, values, .. } if func == "compute" && values[0].text == "2635")),
        "{ev:?}"
    );
    assert_eq!(frames(&mut s, 1)[0].0, "__original_main");
}

#[test]
fn break_on_a_function_both_inlined_and_out_of_line_stops_at_every_copy() {
    let mut s = session();
    let b = brk(&mut s, "square");
    assert_eq!(b.locations.len(), 2, "{b:?}");
    assert_eq!(b.locations.iter().filter(|l| l.inlined).count(), 1, "{b:?}");
    assert!(b.locations.iter().all(|l| l.func_name == "square"));
    let mut hits = Vec::new();
    let mut ev = ok(&mut s, Command::Run { args: None });
    while let Some(Event::Stopped(st)) = ev.iter().find(|e| matches!(e, Event::Stopped(_))) {
        hits.push((st.frame.inlined, st.frame.args[0].value.text.clone()));
        ev = ok(&mut s, Command::Continue);
    }
    // 40 iterations inline with x = i & 3, then main's call through the pointer.
    assert_eq!(hits.len(), 41, "{hits:?}");
    assert!(hits[..40].iter().all(|h| h.0));
    assert_eq!(hits[1].1, "1");
    assert_eq!(hits[40], (false, "7".to_string()));
    // A function that was only inlined and matches nothing else.
    let ev = run(
        &mut s,
        Command::SetBreakpoint {
            spec: BreakSpec::Function("no_such_function".into()),
            temporary: false,
            condition: None,
        },
    );
    assert!(
        matches!(ev.first(), Some(Event::CommandFailed { .. })),
        "{ev:?}"
    );
}
