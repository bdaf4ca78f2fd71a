//! Unit tests of [`Breakpoints`]: numbering, lookup, catchpoints and the
//! state file round trip.

use super::*;

fn code(co: u32) -> BpKind {
    BpKind::Code {
        spec: BreakSpec::CodeOffset(co),
        func_index: 1,
        code_offset: co,
        more: vec![(2, co + 0x40)],
    }
}

fn watch(addr: u32, kind: WatchKind) -> BpKind {
    BpKind::Watch {
        memory: None,
        addr,
        len: 4,
        kind,
    }
}

fn numbers(bps: &Breakpoints) -> Vec<u32> {
    bps.iter().map(|b| b.number).collect()
}

#[test]
fn numbers_are_never_reused_until_reset() {
    let mut bps = Breakpoints::default();
    assert_eq!(bps.add(code(0x10), false, None).number, 1);
    assert_eq!(bps.add(code(0x20), false, None).number, 2);
    bps.delete(Some(2)).unwrap();
    assert_eq!(bps.add(code(0x30), false, None).number, 3);
    bps.delete(None).unwrap();
    assert!(bps.is_empty());
    assert_eq!(bps.add(code(0x30), false, None).number, 4);
    bps.reset();
    assert_eq!(bps.add(code(0x30), false, None).number, 1);
}

#[test]
fn unknown_numbers_are_errors() {
    let mut bps = Breakpoints::default();
    bps.add(code(0x10), false, None);
    let missing = err(NotFound, "No breakpoint number 7.");
    assert_eq!(bps.delete(Some(7)), Err(missing.clone()));
    assert_eq!(bps.get_mut(7).map(|b| b.number), Err(missing));
    assert_eq!(numbers(&bps), [1]);
    assert!(bps.get(1).is_some() && bps.get(2).is_none());
}

#[test]
fn live_locations_leave_out_disabled_ones() {
    let mut bps = Breakpoints::default();
    let b = bps.add(code(0x10), false, None);
    assert_eq!(b.live_locations(), [(1, 0x10), (2, 0x50)]);
    b.off.push(0);
    assert_eq!(b.live_locations(), [(2, 0x50)]);
    b.enabled = false;
    assert_eq!(b.live_locations(), []);
    let w = bps.add(watch(0x100, WatchKind::Write), false, None);
    assert_eq!(w.live_locations(), []);
}

#[test]
fn the_same_location_is_found_again_unless_temporary_or_conditioned() {
    let mut bps = Breakpoints::default();
    bps.add(code(0x10), false, None);
    bps.add(code(0x20), false, Some("x > 1".into()));
    bps.add(code(0x30), true, None);
    let same = |bps: &mut Breakpoints, co, temp, cond: Option<&str>| {
        bps.same_as(&code(co), temp, &cond.map(String::from))
            .map(|b| b.number)
    };
    assert_eq!(same(&mut bps, 0x10, false, None), Some(1));
    assert_eq!(same(&mut bps, 0x10, true, None), None);
    assert_eq!(same(&mut bps, 0x10, false, Some("x > 1")), None);
    assert_eq!(same(&mut bps, 0x20, false, Some("x > 1")), Some(2));
    assert_eq!(same(&mut bps, 0x30, false, None), None);
    assert_eq!(same(&mut bps, 0x40, false, None), None);
}

#[test]
fn enabled_catchpoints_choose_the_wasi_calls_that_pause() {
    let mut bps = Breakpoints::default();
    assert_eq!(bps.break_on(), None);
    bps.add(BpKind::CatchWasi(Some("fd_write".into())), false, None);
    bps.add(BpKind::CatchWasi(Some("fd_read".into())), false, None);
    assert_eq!(
        bps.break_on(),
        Some(BreakOn::Names(vec!["fd_write".into(), "fd_read".into()]))
    );
    bps.add(BpKind::CatchWasi(None), false, None);
    assert_eq!(bps.break_on(), Some(BreakOn::All));
    bps.get_mut(3).unwrap().enabled = false;
    bps.get_mut(1).unwrap().enabled = false;
    assert_eq!(bps.break_on(), Some(BreakOn::Names(vec!["fd_read".into()])));
    bps.set_all_enabled(false);
    assert_eq!(bps.break_on(), None);
}

#[test]
fn hit_temporaries_are_removed() {
    let mut bps = Breakpoints::default();
    for co in [0x10, 0x20, 0x30] {
        bps.add(code(co), true, None);
    }
    bps.remove(&[1, 3]);
    assert_eq!(numbers(&bps), [2]);
}

#[test]
fn saved_breakpoints_come_back_once_each() {
    let mut bps = Breakpoints::default();
    bps.add(code(0x10), false, Some("n == 3".into())).ignore = 2;
    bps.add(watch(0x1000, WatchKind::Read), false, None).hits = 5;
    bps.add(watch(0x2000, WatchKind::Access), false, None)
        .enabled = false;
    bps.add(BpKind::CatchWasi(None), false, None);
    bps.add(BpKind::CatchWasi(Some("fd_write".into())), false, None);
    bps.add(code(0x20), true, None);
    let saved = bps.saved();
    let specs: Vec<&str> = saved.iter().map(|s| s.spec.as_str()).collect();
    assert_eq!(
        specs,
        [
            "*0x10",
            "watch:0x1000:4:r",
            "watch:0x2000:4:a",
            "catch:",
            "catch:fd_write"
        ]
    );
    // A file that holds one breakpoint twice, and one that no longer resolves.
    let mut twice = saved.clone();
    twice.push(saved[0].clone());
    twice.push(SavedBreakpoint {
        spec: "gone".into(),
        ..saved[0].clone()
    });
    let mut back = Breakpoints::default();
    let (n, warnings) = back.restore(twice, |spec| match spec {
        "*0x10" => Ok(code(0x10)),
        other => Err(format!("Function \"{other}\" not defined.").into()),
    });
    assert_eq!(n, 5);
    assert_eq!(
        warnings,
        ["saved breakpoint `gone` dropped: Function \"gone\" not defined."]
    );
    assert_eq!(back.saved(), saved);
    assert_eq!(numbers(&back), [1, 2, 3, 4, 5]);
}

#[test]
fn a_malformed_saved_watchpoint_is_refused() {
    for spec in ["watch:0x10:4", "watch:zz:4:w", "watch:0x10:four:w"] {
        assert_eq!(
            BpKind::from_saved_spec(spec).map(|k| k.map(|_| ())),
            Some(Err(err(BadArgument, "bad watchpoint"))),
            "{spec}"
        );
    }
    assert!(BpKind::from_saved_spec("main").is_none());
    assert!(matches!(
        BpKind::from_saved_spec("watch:16:2:x"),
        Some(Ok(BpKind::Watch {
            memory: None,
            addr: 16,
            len: 2,
            kind: WatchKind::Write
        }))
    ));
    // A watchpoint on memory 1 keeps its memory index.
    assert!(matches!(
        BpKind::from_saved_spec("watch:1:0x10:4:w"),
        Some(Ok(BpKind::Watch {
            memory: Some(1),
            addr: 16,
            len: 4,
            kind: WatchKind::Write
        }))
    ));
}
