//! Conditions and ignore counts decided in the engine: the same stops and
//! hit counts as the session's own evaluation, in the interpreter and in
//! `mode jit` (where a function whose breakpoints all have such checks
//! stays native code, the checks compiled in).

use std::path::PathBuf;

use super::super::*;
use crate::runner::Mode;
use crate::session::tests::{MODES, loaded, set_mode};

fn sieve() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bench/sieve-O0g.wasm");
    assert!(p.exists(), "missing fixture {}", p.display());
    p
}

fn session(mode: Mode) -> Session {
    let mut s = loaded(sieve(), Vec::new());
    set_mode(&mut s, mode);
    s
}

fn run(s: &mut Session, c: Command) -> Vec<Event> {
    s.handle(Request { id: 3, command: c })
}

fn break_line(s: &mut Session, line: u32, condition: Option<&str>) {
    let ev = run(
        s,
        Command::SetBreakpoint {
            spec: BreakSpec::Line("sieve.c".into(), line),
            temporary: false,
            condition: condition.map(str::to_string),
        },
    );
    assert!(matches!(ev.as_slice(), [Event::BreakpointSet(_)]), "{ev:?}");
}

fn value_of(s: &mut Session, expr: &str) -> String {
    let ev = run(
        s,
        Command::Print {
            expr: expr.into(),
            format: Format::Natural,
        },
    );
    match ev.first() {
        Some(Event::Printed { text, .. }) => text.clone(),
        other => panic!("print {expr}: {other:?}"),
    }
}

fn hits(s: &mut Session, n: u32) -> (u32, u32) {
    let ev = run(s, Command::Info(InfoWhat::Breakpoints));
    let Some(Event::Breakpoints(b)) = ev.first() else {
        panic!("{ev:?}")
    };
    let b = b.iter().find(|b| b.number == n).expect("breakpoint");
    (b.hits, b.ignore_count)
}

/// Run `sieve N` to the end, giving `i` at every stop of breakpoint 1 and
/// its hit count after each.
fn stops(s: &mut Session, n: u32) -> Vec<(String, u32)> {
    let mut ev = run(
        s,
        Command::Run {
            args: Some(vec![n.to_string()]),
        },
    );
    let mut seen = Vec::new();
    loop {
        if ev.iter().any(|e| matches!(e, Event::Exited { .. })) {
            return seen;
        }
        let st = ev
            .iter()
            .find_map(|e| match e {
                Event::Stopped(v) => Some(v.reason.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("neither a stop nor the end: {ev:?}"));
        assert_eq!(
            st,
            StopReason::Breakpoint {
                number: 1,
                temporary: false
            }
        );
        let i = value_of(s, "i");
        seen.push((i, hits(s, 1).0));
        assert!(seen.len() < 400, "too many stops");
        ev = run(s, Command::Continue);
    }
}

/// Line 20 (`for (long long j = ...`) runs once per prime below N: 303
/// times for N = 2000 (2, 3, 5, 7, 11, ...).
const LINE: u32 = 20;

#[test]
fn condition_true_on_the_nth_hit_stops_there_with_exact_hits() {
    for mode in MODES {
        let mut s = session(mode);
        break_line(&mut s, LINE, Some("i >= 7 && i < 12"));
        let got = stops(&mut s, 2000);
        assert!(s.condition_in_engine(1), "{mode:?}: not compiled");
        // 7 is the 4th prime, 11 the 5th: the hit count counts the
        // hits where the condition held, as gdb does.
        assert_eq!(got, [("7".into(), 1), ("11".into(), 2)], "{mode:?}");
        assert_eq!(hits(&mut s, 1), (2, 0), "{mode:?}");
    }
}

/// In `mode jit` the function stays native code until the check stops it;
/// the interpreter then runs the rest of that call from the breakpoint,
/// with the variables as they were there, and the hit counts are exact.
#[cfg(feature = "jit")]
#[test]
fn jit_conditional_breakpoint_stops_in_native_code() {
    let mut s = session(Mode::Jit);
    // Line 21 (`composite[j] = 1`): j is 12 once for i = 2 and once for 3.
    break_line(&mut s, 21, Some("j == 12"));
    let mut ev = run(
        &mut s,
        Command::Run {
            args: Some(vec!["2000".into()]),
        },
    );
    for (i, n) in [("2", 1), ("3", 2)] {
        let reason = ev.iter().find_map(|e| match e {
            Event::Stopped(v) => Some(v.reason.clone()),
            _ => None,
        });
        assert_eq!(
            reason,
            Some(StopReason::Breakpoint {
                number: 1,
                temporary: false
            }),
            "{ev:?}"
        );
        assert!(s.condition_in_engine(1));
        assert!(s.in_jit_run(), "the run left the JIT");
        assert_eq!(value_of(&mut s, "j"), "12");
        assert_eq!(value_of(&mut s, "i"), i);
        assert_eq!(hits(&mut s, 1), (n, 0));
        ev = run(&mut s, Command::Continue);
    }
    assert!(
        ev.iter().any(|e| matches!(e, Event::Exited { .. })),
        "{ev:?}"
    );
    assert_eq!(hits(&mut s, 1), (2, 0));
}

#[test]
fn ignore_count_passes_hits_in_the_engine() {
    for mode in MODES {
        let mut s = session(mode);
        break_line(&mut s, LINE, Some("i > 2"));
        run(&mut s, Command::Ignore(1, 3));
        // Hits where `i > 2` holds: 3, 5, 7 ignored; 11 stops.
        let ev = run(
            &mut s,
            Command::Run {
                args: Some(vec!["2000".into()]),
            },
        );
        assert!(ev.iter().any(|e| matches!(e, Event::Stopped(_))), "{ev:?}");
        assert!(s.condition_in_engine(1));
        assert_eq!(value_of(&mut s, "i"), "11", "{mode:?}");
        assert_eq!(hits(&mut s, 1), (4, 0), "{mode:?}");
        // While stopped, a new ignore count; the engine takes it from here.
        run(&mut s, Command::Ignore(1, 2));
        run(&mut s, Command::Continue);
        assert_eq!(value_of(&mut s, "i"), "19", "{mode:?}");
        assert_eq!(hits(&mut s, 1), (7, 0), "{mode:?}");
        // No condition: an ignore count alone is decided in the engine too.
        run(&mut s, Command::Condition(1, None));
        run(&mut s, Command::Ignore(1, 100));
        run(&mut s, Command::Continue);
        assert_eq!(
            value_of(&mut s, "i"),
            "599",
            "{mode:?}: the 101st prime after 19"
        );
        assert_eq!(hits(&mut s, 1), (108, 0), "{mode:?}");
    }
}

/// Each condition compiled for the engine stops at the same places, with
/// the same hit counts, as the session's evaluation of the same condition
/// (forced by `sizeof`, which is not compiled).
#[test]
fn compiled_conditions_agree_with_the_evaluator() {
    let conditions = [
        "i == 101",
        "i % 100 == 3",
        "count > 20 && count < 23",
        "count == 5 || i == 1999",
        "n - i == 1900",
        "(unsigned)i > 1990u",
        "(unsigned char)i == 7",
        "(char)i == -17",
        "(short)(i * 1000) < -32000",
        "i * 1.5 > 2980.0",
        "(float)i / 2 == 3.5",
        "i / 2.0 == 3.5f",
        "-i < -1990",
        "~i == -1998",
        "i << 2 == 404",
        "(i >> 1) == 50",
        "i / 3 == 33 && i % 3 == 2",
        "!(i < 1990)",
        "argc == 2 && i == 3",
        "argv[1][0] == '2' && i < 4",
        "*argv != 0 && i == 5",
        "composite[i + 1] == 1 && i > 1990",
        "*(composite + i - 1) != 0 && i == 1999",
        "&composite[i] - composite == 1999",
        "j == 3",
        "j > 2 * 1000 * 1000LL",
        "(long long)i * i > 3990000LL",
        "i > 1990 && 10 / (i - 1993) != 0",
        "i == 1999 && 1 / (i - 1999) == 0",
    ];
    for c in conditions {
        let mut fast = session(Mode::Interp);
        break_line(&mut fast, LINE, Some(c));
        let got = stops(&mut fast, 2000);
        let compiled = fast.condition_in_engine(1);
        let mut slow = session(Mode::Interp);
        break_line(&mut slow, LINE, Some(&format!("sizeof(int) == 4 && ({c})")));
        let want = stops(&mut slow, 2000);
        assert!(!slow.condition_in_engine(1), "sizeof was compiled");
        assert_eq!(got, want, "{c}");
        // Compiled into JIT code: the same stops.
        #[cfg(feature = "jit")]
        {
            let mut jit = session(Mode::Jit);
            break_line(&mut jit, LINE, Some(c));
            assert_eq!(stops(&mut jit, 2000), want, "mode jit: {c}");
        }
        // Every one of these compiles (`&x - y` is a pointer difference,
        // which stays with the session).
        assert_eq!(compiled, !c.starts_with('&'), "{c}");
    }
}
