//! Session tests of `mode jit|aot`: JIT frames, interrupts, stepping and
//! `next`/`finish` across native and interpreted code.

use super::*;

fn print(s: &mut Session, expr: &str, format: Format) -> Vec<Event> {
    run(
        s,
        Command::Print {
            expr: expr.into(),
            format,
        },
    )
}

/// The text `print` shows for `expr`, which must succeed.
fn printed(s: &mut Session, expr: &str, format: Format) -> String {
    let ev = print(s, expr, format);
    let Some(Event::Printed { text, .. }) = ev.first() else {
        panic!("{ev:?}")
    };
    text.clone()
}

#[test]
fn jit_frames_below_an_interpreted_function_match_the_interpreters() {
    // Every frame of `bt` at the second stop in `div`: the same functions
    // and call-site code_offsets in both modes; under the JIT all but the
    // innermost are native frames found by walking the frame pointers.
    let mut stacks = Vec::new();
    for mode in [Mode::Interp, Mode::Jit] {
        let mut s = pi_debug_session(mode);
        set_break(&mut s, "div");
        let ev = run(&mut s, Command::Run { args: None });
        assert_eq!(stopped(&ev).frame.func_name, "div", "{mode:?}");
        let ev = run(&mut s, Command::Continue);
        assert_eq!(stopped(&ev).frame.func_name, "div", "{mode:?}");
        let f = frames(&mut s);
        let jit: Vec<bool> = f.iter().map(|f| f.jit).collect();
        let expect_jit: Vec<bool> = (0..f.len()).map(|i| mode == Mode::Jit && i > 0).collect();
        assert_eq!(jit, expect_jit, "{mode:?}");
        stacks.push(
            f.iter()
                .map(|f| (f.func_name.clone(), f.code_offset))
                .collect::<Vec<_>>(),
        );
    }
    assert!(stacks[0].len() >= 4, "{:?}", stacks[0]);
    assert_eq!(stacks[0], stacks[1]);
}

#[test]
fn jit_finish_into_a_jit_caller_runs_it_on_interpreted_from_the_call() {
    // `finish` out of `is_zero`, whose caller `arctan` is JIT code: arctan
    // hands its frame over right after the call (its live locals and
    // operand stack), so it stops there interpreted, with its arguments,
    // locals and the result on its stack, as in `mode interp`.
    let mut s = pi_debug_session(Mode::Jit);
    set_break(&mut s, "is_zero");
    let ev = run(&mut s, Command::Run { args: None });
    assert_eq!(stopped(&ev).frame.func_name, "is_zero");
    let ev = run(&mut s, Command::Finish);
    let Some(Event::FinishReturned { func, values, .. }) = ev
        .iter()
        .find(|e| matches!(e, Event::FinishReturned { .. }))
    else {
        panic!("{ev:?}")
    };
    assert_eq!(func, "is_zero");
    assert_eq!(values.len(), 1, "is_zero returns an int");
    let v = stopped(&ev);
    assert_eq!(v.reason, StopReason::Location);
    assert!(!v.frame.jit, "{v:?}");
    assert_eq!(v.frame.func_name, "arctan");
    let f = frames(&mut s);
    assert!(!f[0].jit && f[1].jit && f[1].func_name == "main", "{f:?}");
    let ev = run(&mut s, Command::Locals);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Values { values, .. }
            if values.iter().any(|v| v.name == "m2" && v.value.text == "25"))),
        "{ev:?}"
    );
    // `continue` runs arctan on in the interpreter, then main's JIT code,
    // which calls is_zero again.
    let ev = run(&mut s, Command::Continue);
    assert_eq!(stopped(&ev).frame.func_name, "is_zero");
    run(&mut s, Command::Delete(None));
    let ev = run(&mut s, Command::Continue);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Exited { code: 0 })),
        "{ev:?}"
    );
}

#[test]
fn line_steps_in_a_jit_caller_after_finish_match_the_interpreter() {
    // `finish` out of div into its JIT caller arctan, then `next` line by
    // line through arctan (over calls, into the next div by its
    // breakpoint), `step`, `until`, `stepi` and `finish` again: the same
    // functions, lines and stacks as `mode interp`, and every stop is in
    // an interpreted frame.
    let mut commands = vec![Command::Finish];
    commands.extend(std::iter::repeat_n(Command::Next, 8));
    commands.push(Command::Step);
    commands.push(Command::Until);
    commands.push(Command::StepInstruction);
    commands.push(Command::Finish);
    commands.extend(std::iter::repeat_n(Command::Next, 3));
    // Out of arctan into main (JIT code until then), and on in main.
    commands.push(Command::Finish);
    commands.extend(std::iter::repeat_n(Command::Next, 3));
    let run_all = |mode: Mode| {
        let mut s = pi_debug_session(mode);
        set_break(&mut s, "div");
        let ev = run(&mut s, Command::Run { args: None });
        assert_eq!(stopped(&ev).frame.func_name, "div", "{mode:?}");
        run(&mut s, Command::Delete(None));
        commands
            .iter()
            .map(|c| {
                let ev = run(&mut s, c.clone());
                let v = stopped(&ev);
                let names: Vec<String> = frames(&mut s).into_iter().map(|f| f.func_name).collect();
                (
                    v.frame.func_name.clone(),
                    v.frame.source.as_ref().map(|l| l.line),
                    v.frame.jit,
                    names,
                )
            })
            .collect::<Vec<_>>()
    };
    let interp = run_all(Mode::Interp);
    let jit = run_all(Mode::Jit);
    assert_eq!(interp.len(), jit.len());
    for (i, (a, b)) in interp.iter().zip(&jit).enumerate() {
        assert_eq!((&a.0, a.1), (&b.0, b.1), "stop {i}: {interp:?}\n{jit:?}");
        assert_eq!(a.3, b.3, "stop {i}: the stack");
        assert!(!b.2, "stop {i} is interpreted: {b:?}");
    }
    // It went through arctan and main (finish out of arctan).
    assert!(jit.iter().any(|s| s.0 == "arctan"), "{jit:?}");
    assert!(jit.iter().any(|s| s.0 == "main"), "{jit:?}");
}

/// Set the session's interrupt flag from another thread after `ms`.
fn interrupt_after(s: &Session, ms: u64) -> std::thread::JoinHandle<()> {
    let slot = s.interrupt_slot();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        slot.lock()
            .expect("interrupt lock")
            .store(true, std::sync::atomic::Ordering::SeqCst);
    })
}

#[test]
fn jit_interrupt_stops_in_jit_code_continue_resumes_kill_unwinds() {
    let mut s = session();
    run(&mut s, Command::SetMode(Mode::Jit));
    // Instantiate first, so the interrupt slot holds this store's flag.
    assert_eq!(returned(&run(&mut s, call("add", &["1", "2"]))), ["3"]);
    let interrupt_soon = |s: &Session| interrupt_after(s, 300);
    let t = interrupt_soon(&s);
    let ev = run(&mut s, call("loop_forever", &[]));
    t.join().expect("interrupter");
    let v = stopped(&ev);
    assert_eq!(v.reason, StopReason::Interrupted);
    assert!(v.frame.jit, "{v:?}");
    assert_eq!(v.frame.func_name, "loop_forever");
    assert!(v.instruction.is_some(), "the loop header is shown");
    let f = frames(&mut s);
    assert_eq!(f.len(), 1);
    // The JIT spilled the locals, so DWARF's `counter` (in linear memory,
    // addressed through a local) is readable, and it has been counting.
    let text = printed(&mut s, "counter", Format::Natural);
    let first: i64 = text.parse().expect("a number");
    assert!(first > 0, "{text}");
    // Only the locals live at the loop header were kept: the frame base
    // ($l2, which `counter`'s address comes from) is; the -O0 temporaries,
    // written before they are read in each iteration, are not.
    let ev = print(&mut s, "$l2", Format::Natural);
    assert!(matches!(&ev[0], Event::Printed { .. }), "{ev:?}");
    let ev = print(&mut s, "$l4", Format::Natural);
    assert!(
        matches!(&ev[0], Event::CommandFailed { message, .. } if message.contains("not live here")),
        "{ev:?}"
    );
    // `continue` resumes the JIT code where it stopped.
    let t = interrupt_soon(&s);
    let ev = run(&mut s, Command::Continue);
    t.join().expect("interrupter");
    assert_eq!(stopped(&ev).reason, StopReason::Interrupted);
    let second: i64 = printed(&mut s, "counter", Format::Natural)
        .parse()
        .expect("a number");
    assert!(second != first, "the loop went on: {first} then {second}");
    let ev = run(&mut s, Command::Kill);
    assert!(
        matches!(&ev[0], Event::Text(t) if t == "[execution killed]"),
        "{ev:?}"
    );
    assert_eq!(returned(&run(&mut s, call("add", &["2", "2"]))), ["4"]);
}

#[test]
fn jit_interrupt_at_a_function_entry_resumes_by_calling_it_again() {
    // `fib` has no loop: an interrupt is seen at a function entry, whose
    // resume path calls the function again (it had not started yet). `step`
    // then stops at that new call's entry, in the interpreter: the frames
    // below must be the same as at the interrupt (the resume call's own
    // native frame does not show), and `continue` must finish with the
    // right value.
    let mut s = session();
    run(&mut s, Command::SetMode(Mode::Jit));
    assert_eq!(returned(&run(&mut s, call("add", &["1", "2"]))), ["3"]);
    let t = interrupt_after(&s, 100);
    let ev = run(&mut s, call("fib", &["40"]));
    t.join().expect("interrupter");
    if ev.iter().any(|e| matches!(e, Event::Returned { .. })) {
        // The machine ran fib(40) in under 100 ms: nothing to check here.
        return;
    }
    let v = stopped(&ev);
    assert_eq!(v.reason, StopReason::Interrupted);
    assert_eq!(v.frame.func_name, "fib");
    let at_interrupt: Vec<(String, u32)> = frames(&mut s)
        .iter()
        .map(|f| (f.func_name.clone(), f.code_offset))
        .collect();
    let ev = run(&mut s, Command::Step);
    let v = stopped(&ev);
    assert_eq!(v.frame.func_name, "fib");
    assert!(!v.frame.jit, "the new call runs in the interpreter: {v:?}");
    let at_step: Vec<(String, u32)> = frames(&mut s)
        .iter()
        .map(|f| (f.func_name.clone(), f.code_offset))
        .collect();
    // Frame 0 is the same call (`step` stops at its first line); below it,
    // the same JIT frames.
    assert_eq!(
        at_step[1..],
        at_interrupt[1..],
        "the same call, now interpreted, over the same JIT frames"
    );
    run(&mut s, Command::Delete(None));
    let ev = run(&mut s, Command::Continue);
    assert_eq!(returned(&ev), ["102334155"], "{ev:?}");
}

/// A loop with a `.debug_info` section (so the JIT keeps its live locals
/// for the debugger): `outer(n) = spin(n) + 1`, `spin(n)` = the wrapping sum
/// of `3 * i` for `i < n`.
const SPIN_WAT: &str = r#"(module
  (func $spin (export "spin") (param $n i32) (result i32) (local $i i32) (local $acc i32) (local $t i32)
    (loop $top
      (local.set $t (i32.mul (local.get $i) (i32.const 3)))
      (local.set $acc (i32.add (local.get $acc) (local.get $t)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  (func (export "outer") (param $n i32) (result i32)
    (i32.add (call $spin (local.get $n)) (i32.const 1)))
  (func $spin_check (param $n i32) (result i32) (local $i i32)
    (loop $top
      (if (i32.eq (local.get $i) (i32.const -16)) (then unreachable))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  (func (export "outer_check") (param $n i32) (result i32)
    (call $spin_check (local.get $n)))
  (func $mix (param $n i32) (param $x f64) (result f64 i64 v128)
    (local $i i32) (local $sum f64) (local $big i64) (local $v v128) (local $f f32)
    (local.set $v (v128.const i32x4 1 2 3 4))
    (local.set $f (f32.const 0.5))
    (loop $top
      (local.set $sum (f64.add (local.get $sum) (local.get $x)))
      (local.set $big (i64.add (local.get $big) (i64.const 0x100000001)))
      (local.set $v (i32x4.add (local.get $v) (v128.const i32x4 1 1 1 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (f64.add (local.get $sum) (f64.promote_f32 (local.get $f)))
    (local.get $big)
    (local.get $v))
  (func (export "outer_mix") (param $n i32) (result f64 i64 v128)
    (call $mix (local.get $n) (f64.const 0.25)))
  (@custom ".debug_info" "\00"))"#;

/// A session on `SPIN_WAT` in `mode jit` (the directory holds the module).
fn spin_session() -> (Session, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("spin.wasm");
    std::fs::write(&path, wat::parse_str(SPIN_WAT).expect("valid wat")).expect("write");
    let mut s = Session::new(SessionConfig {
        capture_output: true,
        persist: false,
        inherit_stdin: false,
        ..Default::default()
    });
    let ev = run(&mut s, Command::Load { path, args: vec![] });
    assert!(ev.iter().any(|e| matches!(e, Event::Loaded(_))), "{ev:?}");
    run(&mut s, Command::SetMode(Mode::Jit));
    (s, dir)
}

#[test]
fn stepping_from_a_jit_loop_header_hands_the_call_to_the_interpreter() {
    let (mut s, _dir) = spin_session();
    assert_eq!(returned(&run(&mut s, call("outer", &["10"]))), ["136"]);
    // Seconds of JIT code: the interrupt stops it at the loop header.
    let t = interrupt_after(&s, 200);
    let ev = run(&mut s, call("outer", &["2000000000"]));
    t.join().expect("interrupter");
    let v = stopped(&ev);
    assert_eq!(v.reason, StopReason::Interrupted);
    assert!(v.frame.jit, "{v:?}");
    assert_eq!(v.frame.func_name, "spin");
    // `stepi` hands the rest of this call of `spin` to the interpreter: an
    // interpreted frame now, the JIT caller below it.
    let ev = run(&mut s, Command::StepInstruction);
    let v = stopped(&ev);
    assert!(!v.frame.jit, "{v:?}");
    assert_eq!(v.frame.func_name, "spin");
    let f = frames(&mut s);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f[1].jit && f[1].func_name == "outer", "{f:?}");
    let number = |s: &mut Session, e: &str| -> i64 {
        printed(s, e, Format::Natural).parse().expect("a number")
    };
    let i = number(&mut s, "$l1");
    assert!(i > 0, "the JIT code had been counting: i = {i}");
    let acc = number(&mut s, "$l2") as u32;
    // The JIT's values are the interpreter's now: the sum so far matches i.
    let sum = |n: u64| (3 * (n * n.saturating_sub(1) / 2)) as u32;
    assert_eq!(acc, sum(i as u64), "acc for i = {i}");
    // End the loop soon, then `continue`: the interpreter finishes `spin`
    // and the JIT caller adds 1 to its result.
    let n = i + 5;
    run(
        &mut s,
        Command::SetVar {
            lhs: "$l0".into(),
            value: n.to_string(),
        },
    );
    let ev = run(&mut s, Command::Continue);
    let expected = sum(n as u64).wrapping_add(1) as i32;
    assert_eq!(returned(&ev), [expected.to_string()], "{ev:?}");
    // The JIT run is over; the engine works on.
    assert_eq!(returned(&run(&mut s, call("outer", &["10"]))), ["136"]);

    // A trap in the part the interpreter took over unwinds the JIT caller
    // too, with both frames in the backtrace.
    let t = interrupt_after(&s, 200);
    let ev = run(&mut s, call("outer_check", &["2000000000"]));
    t.join().expect("interrupter");
    assert_eq!(stopped(&ev).frame.func_name, "spin_check");
    let ev = run(&mut s, Command::StepInstruction);
    assert!(!stopped(&ev).frame.jit, "{ev:?}");
    // i = -17, n = u32::MAX: the next iteration sees i = -16 and traps.
    for (lhs, value) in [("$l1", "-17"), ("$l0", "-1")] {
        run(
            &mut s,
            Command::SetVar {
                lhs: lhs.into(),
                value: value.into(),
            },
        );
    }
    let ev = run(&mut s, Command::Continue);
    let Some(Event::Trapped { message, backtrace }) =
        ev.iter().find(|e| matches!(e, Event::Trapped { .. }))
    else {
        panic!("no trap in {ev:?}")
    };
    assert!(message.contains("unreachable"), "{message}");
    let names: Vec<&str> = backtrace.iter().map(|f| f.func_name.as_str()).collect();
    assert_eq!(names, ["spin_check", "outer_check"], "{backtrace:?}");
    assert_eq!(returned(&run(&mut s, call("outer", &["10"]))), ["136"]);
}

#[test]
fn a_taken_over_call_keeps_every_value_type_and_returns_several_results() {
    let (mut s, _dir) = spin_session();
    run(&mut s, call("outer", &["1"]));
    let t = interrupt_after(&s, 200);
    let ev = run(&mut s, call("outer_mix", &["2000000000"]));
    t.join().expect("interrupter");
    assert_eq!(stopped(&ev).frame.func_name, "mix");
    let ev = run(&mut s, Command::StepInstruction);
    assert!(!stopped(&ev).frame.jit, "{ev:?}");
    let value = |s: &mut Session, e: &str| -> u128 {
        let text = printed(s, e, Format::Hex);
        u128::from_str_radix(text.trim_start_matches("0x"), 16).expect("hex")
    };
    // i, then each type as the JIT code left it: an f64 sum, an i64, a
    // v128 (lane 0 = 1 + i) and an f32 saved on entering the loop.
    let i = value(&mut s, "$l2") as u64;
    assert!(i > 0);
    assert_eq!(value(&mut s, "$l3") as u64, (i as f64 * 0.25).to_bits());
    assert_eq!(value(&mut s, "$l4") as u64, i.wrapping_mul(0x1_0000_0001));
    assert_eq!(value(&mut s, "$l5") as u32 as u64, 1 + i);
    assert_eq!(value(&mut s, "$l6") as u32, 0.5f32.to_bits());
    let n = i + 3;
    run(
        &mut s,
        Command::SetVar {
            lhs: "$l0".into(),
            value: n.to_string(),
        },
    );
    let ev = run(&mut s, Command::Continue);
    let Some(Event::Returned { values, .. }) =
        ev.iter().find(|e| matches!(e, Event::Returned { .. }))
    else {
        panic!("no return in {ev:?}")
    };
    let lanes = |k: u64| -> u128 {
        (0..4u32).fold(0, |acc, l| {
            acc | (((k + 1 + l as u64) as u32 as u128) << (32 * l))
        })
    };
    let bits: Vec<u128> = values.iter().map(|v| v.bits).collect();
    assert_eq!(
        bits,
        [
            (n as f64 * 0.25 + 0.5).to_bits() as u128,
            n.wrapping_mul(0x1_0000_0001) as u128,
            lanes(n),
        ],
        "{values:?}"
    );
}

#[test]
fn aot_interrupt_pauses_where_it_is_and_continue_finishes_the_call() {
    if !wdb_engine::jit::PauseHandle::supported() {
        eprintln!("pausing AOT code needs x86-64 Linux: skipped");
        return;
    }
    // A module with AOT code (`wdb compile`), whose loop has no interrupt
    // check that can resume.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("spin.aot.wasm");
    let module = std::sync::Arc::new(
        wdb_engine::Module::new(wat::parse_str(SPIN_WAT).expect("valid wat")).expect("valid"),
    );
    let bytes = wdb_engine::jit::aot::compile_universal(
        &module,
        wdb_engine::jit::OptLevel::Speed,
        &mut |_, _| {},
    )
    .expect("compiles");
    std::fs::write(&path, bytes).expect("write");
    let mut s = Session::new(SessionConfig {
        capture_output: true,
        persist: false,
        inherit_stdin: false,
        ..Default::default()
    });
    run(&mut s, Command::Load { path, args: vec![] });
    run(&mut s, Command::SetMode(Mode::Aot));
    assert_eq!(returned(&run(&mut s, call("outer", &["10"]))), ["136"]);
    // Half a second or more of AOT code: Ctrl-C stops it inside `spin`.
    let n: u64 = 2_000_000_000;
    let t = interrupt_after(&s, 100);
    let ev = run(&mut s, call("outer", &[&n.to_string()]));
    t.join().expect("interrupter");
    let v = stopped(&ev);
    assert_eq!(v.reason, StopReason::Interrupted, "{ev:?}");
    assert!(v.frame.jit, "{v:?}");
    assert_eq!(v.frame.func_name, "spin");
    let f = frames(&mut s);
    assert_eq!(
        f.iter().map(|f| f.func_name.as_str()).collect::<Vec<_>>(),
        ["spin", "outer"]
    );
    // `continue` resumes it where it stopped, and the call returns what an
    // undisturbed one does (sum of 3i, wrapping, plus 1).
    let ev = run(&mut s, Command::Continue);
    let sum = (3 * (n as u128) * (n as u128 - 1) / 2) as u32;
    let expected = sum.wrapping_add(1) as i32;
    assert_eq!(returned(&ev), [expected.to_string()], "{ev:?}");
}

#[test]
fn a_deep_trap_reports_every_frame_with_the_innermost_variables() {
    let mut s = session();
    let ev = run(&mut s, call("fib", &["1000000"]));
    let Some(Event::Trapped { message, backtrace }) =
        ev.iter().find(|e| matches!(e, Event::Trapped { .. }))
    else {
        panic!("{ev:?}")
    };
    assert_eq!(message, "call stack exhausted");
    let depth = backtrace.len();
    assert!(depth > 1000, "{depth} frames");
    // Every frame is named and placed; the innermost show their arguments,
    // the deep ones only where they are (`bt` reads the rest).
    assert!(
        backtrace
            .iter()
            .all(|f| f.func_name == "fib" && f.source.is_some())
    );
    assert_eq!(
        backtrace[0].args[0].value.text,
        (1_000_000 - depth + 1).to_string()
    );
    assert_eq!(backtrace[63].args.len(), 1);
    assert!(backtrace[depth - 1].args.is_empty());
    // `bt 3` reads three frames and says how many there are.
    let ev = run(&mut s, Command::Backtrace { limit: 3 });
    let Event::Frames { frames, .. } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(frames.len(), 3);
    assert_eq!(
        frames[2].args[0].value.text,
        (1_000_000 - depth + 3).to_string()
    );
    assert!(
        matches!(&ev[1], Event::Text(t) if t.contains(&format!("3 of {depth} shown"))),
        "{ev:?}"
    );
    // The outermost frame's variables are still there when asked for.
    let ev = run(&mut s, Command::Frames);
    let Event::Frames { frames, .. } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(frames[depth - 1].args[0].value.text, "1000000");
}

/// `next` from `main` to the line that calls `arctan` (line 119).
fn pi_at_arctan_call(mode: Mode) -> Session {
    let mut s = pi_debug_session(mode);
    set_break(&mut s, "main");
    run(&mut s, Command::Run { args: None });
    run(&mut s, Command::Delete(None));
    for _ in 0..9 {
        run(&mut s, Command::Next);
    }
    let ev = run(&mut s, Command::Frames);
    let Some(Event::Frames { frames, .. }) = ev.first() else {
        panic!("{ev:?}")
    };
    assert_eq!(
        frames[0].source.as_ref().map(|l| l.line),
        Some(119),
        "{mode:?}"
    );
    s
}

#[test]
fn jit_next_runs_the_call_as_native_code_and_stops_at_a_breakpoint_inside() {
    // `next` over `arctan(pi, 5, term, tmp)` with a breakpoint in `div`,
    // which arctan calls: both modes stop in div with arctan and main
    // below it; under the JIT, arctan ran as native code (a JIT frame),
    // and main waits for it.
    for mode in [Mode::Interp, Mode::Jit] {
        let mut s = pi_at_arctan_call(mode);
        set_break(&mut s, "div");
        let ev = run(&mut s, Command::Next);
        assert_eq!(stopped(&ev).frame.func_name, "div", "{mode:?}");
        let f = frames(&mut s);
        let names: Vec<&str> = f.iter().take(3).map(|f| f.func_name.as_str()).collect();
        assert_eq!(names, ["div", "arctan", "main"], "{mode:?}");
        let jit: Vec<bool> = f.iter().take(3).map(|f| f.jit).collect();
        assert_eq!(
            jit,
            [false, mode == Mode::Jit, mode == Mode::Jit],
            "{mode:?}"
        );
        // main waits at its call of arctan.
        assert_eq!(f[2].source.as_ref().map(|l| l.line), Some(119), "{mode:?}");
        // Without the breakpoint, the program runs on to its end.
        run(&mut s, Command::Delete(None));
        let ev = run(&mut s, Command::Continue);
        assert!(
            ev.iter().any(|e| matches!(e, Event::Exited { code: 0 })),
            "{mode:?}: {ev:?}"
        );
    }
}

#[test]
fn next_over_calls_stops_at_the_same_lines_in_every_mode() {
    let lines = |mode: Mode| {
        let mut s = pi_at_arctan_call(mode);
        (0..6)
            .map(|_| {
                let ev = run(&mut s, Command::Next);
                stopped(&ev).frame.source.as_ref().map(|l| l.line)
            })
            .collect::<Vec<_>>()
    };
    let interp = lines(Mode::Interp);
    assert_eq!(interp[0], Some(120));
    assert_eq!(interp, lines(Mode::Jit));
}

#[test]
fn finish_with_a_jit_frame_selected_finishes_that_frame_in_every_mode() {
    // Stopped in div; `frame 1` selects arctan (a JIT frame in `mode
    // jit`); `finish` runs until arctan returns and stops in main, with
    // arctan's frames above it gone, as in `mode interp`.
    let stop = |mode: Mode| {
        let mut s = pi_debug_session(mode);
        set_break(&mut s, "div");
        run(&mut s, Command::Run { args: None });
        run(&mut s, Command::Delete(None));
        run(&mut s, Command::SelectFrame(1));
        let ev = run(&mut s, Command::Finish);
        let v = stopped(&ev);
        let names: Vec<String> = frames(&mut s)
            .into_iter()
            .take(2)
            .map(|f| f.func_name)
            .collect();
        (
            v.frame.func_name.clone(),
            v.frame.source.as_ref().map(|l| l.line),
            v.frame.jit,
            names,
        )
    };
    let interp = stop(Mode::Interp);
    assert_eq!(interp.0, "main");
    let jit = stop(Mode::Jit);
    assert_eq!((&interp.0, interp.1, &interp.3), (&jit.0, jit.1, &jit.3));
    assert!(!jit.2, "main goes on interpreted: {jit:?}");
}

#[test]
fn printing_a_local_of_a_jit_frame_without_locals_is_an_error_not_a_panic() {
    // gc_values has no DWARF: `shapes`, the JIT caller of the interpreted
    // `inspect`, keeps no locals, so `$ps` in its frame has no value.
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/wasm3/gc_values.wasm");
    let mut s = Session::new(SessionConfig {
        capture_output: true,
        persist: false,
        inherit_stdin: false,
        ..Default::default()
    });
    let ev = run(
        &mut s,
        Command::Load {
            path: p,
            args: vec![],
        },
    );
    assert!(matches!(ev.first(), Some(Event::Loaded(_))), "{ev:?}");
    set_mode(&mut s, Mode::Jit);
    set_break(&mut s, "inspect");
    let ev = run(&mut s, call("shapes", &["3", "4"]));
    assert_eq!(stopped(&ev).frame.func_name, "inspect");
    run(&mut s, Command::MoveFrame(1));
    assert!(frames(&mut s)[1].jit);
    let ev = print(&mut s, "$ps[2]", Format::Natural);
    let Some(Event::CommandFailed { message, .. }) = ev.first() else {
        panic!("{ev:?}")
    };
    assert!(message.contains("not available (JIT frame)"), "{message}");
}

#[test]
fn a_watchpoint_set_during_a_jit_run_stops_in_code_its_jit_callers_run_after_returning() {
    // Stopped in `is_zero` (interpreted), whose JIT callers' code has no
    // watch checks: `watch` pi[2], which `sub` (called by `arctan` after
    // `is_zero` returns) writes. Each JIT caller hands its frame to the
    // interpreter as its callee returns, so the write stops, as in
    // `mode interp`, and no warning says the JIT code ignores it.
    let stop = |mode: Mode| {
        let mut s = pi_debug_session(mode);
        set_break(&mut s, "is_zero");
        let ev = run(&mut s, Command::Run { args: None });
        assert_eq!(stopped(&ev).frame.func_name, "is_zero", "{mode:?}");
        run(&mut s, Command::Delete(None));
        let ev = run(
            &mut s,
            Command::Watch {
                addr: "0x10ad8".into(),
                len: 4,
                kind: WatchKind::Write,
            },
        );
        assert!(
            !ev.iter().any(|e| matches!(e, Event::Warning(_))),
            "{mode:?}: {ev:?}"
        );
        let ev = run(&mut s, Command::Continue);
        let v = stopped(&ev);
        let StopReason::Watchpoint { old, new, .. } = &v.reason else {
            panic!("{mode:?}: {ev:?}")
        };
        (
            v.frame.func_name.clone(),
            v.frame.code_offset,
            v.frame.jit,
            old.clone(),
            new.clone(),
        )
    };
    let interp = stop(Mode::Interp);
    assert_eq!(interp.0, "sub");
    assert_eq!(stop(Mode::Jit), interp);
}
