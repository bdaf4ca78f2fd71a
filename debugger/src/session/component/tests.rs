//! A component in the session: opened, run, stopped in its main core
//! module, `call` with WAVE values, `catch wasi` before a WASI 0.2 call.

use std::path::PathBuf;

use super::super::*;

fn fixture(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/wasip2")
        .join(name);
    assert!(p.exists(), "missing fixture {}", p.display());
    p
}

fn open(name: &str) -> (Session, ModuleView) {
    let mut s = Session::new(SessionConfig {
        capture_output: true,
        ..Default::default()
    });
    let ev = run(
        &mut s,
        Command::Load {
            path: fixture(name),
            args: vec![],
        },
    );
    let Some(Event::Loaded(view)) = ev.into_iter().next() else {
        panic!("not loaded")
    };
    (s, view)
}

fn run(s: &mut Session, c: Command) -> Vec<Event> {
    s.handle(Request { id: 3, command: c })
}

fn call(text: &str) -> Command {
    let mut words = text.split(' ').map(str::to_string);
    Command::Call {
        export: words.next().expect("a name"),
        args: words.collect(),
    }
}

fn stop(ev: &[Event]) -> &StopView {
    ev.iter()
        .find_map(|e| match e {
            Event::Stopped(v) => Some(v),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no stop in {ev:?}"))
}

fn frames(s: &mut Session) -> Vec<FrameView> {
    match run(s, Command::Frames).into_iter().next() {
        Some(Event::Frames { frames, .. }) => frames,
        other => panic!("{other:?}"),
    }
}

fn output(ev: &[Event]) -> String {
    let bytes: Vec<u8> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Output { bytes, .. } => Some(bytes.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn a_library_component_is_called_with_wave_values() {
    let (mut s, view) = open("lib.wasm");
    let g = view.component.expect("a component graph");
    assert_eq!(g.core_modules.len(), 1);
    assert!(
        g.export_funcs
            .iter()
            .any(|(n, t)| n == "swap" && t.contains("record {x: s32, y: s32}")),
        "{:?}",
        g.export_funcs
    );
    let ev = run(&mut s, call("swap({x: 1, y: -2})"));
    let Some(Event::Returned { func, values }) = ev.last() else {
        panic!("{ev:?}")
    };
    assert_eq!(func, "swap");
    assert_eq!(values[0].text, "{x: -2, y: 1}");
    // Strings go through the component's realloc; a result comes back as WAVE.
    let ev = run(
        &mut s,
        Command::Call {
            export: "greet".into(),
            args: vec!["\"a b\"".into()],
        },
    );
    assert!(
        matches!(ev.last(), Some(Event::Returned { values, .. }) if values[0].text == "\"Hello, a b\""),
        "{ev:?}"
    );
    let ev = run(&mut s, call("half(7)"));
    assert!(
        matches!(ev.last(), Some(Event::Returned { values, .. }) if values[0].text == "err(\"odd\")"),
        "{ev:?}"
    );
    // Bad WAVE is an error naming the parameter and its type.
    let ev = run(&mut s, call("swap({x: 1})"));
    let Some(Event::CommandFailed { message, .. }) = ev.last() else {
        panic!("{ev:?}")
    };
    assert!(
        message.starts_with("argument `p` (record {x: s32, y: s32})"),
        "{message}"
    );
    // `run` needs wasi:cli/run.
    let ev = run(&mut s, Command::Run { args: None });
    assert!(
        matches!(ev.last(), Some(Event::CommandFailed { message, .. }) if message.contains("exports no wasi:cli/run")),
        "{ev:?}"
    );
}

#[test]
fn a_breakpoint_in_an_export_has_the_canon_lift_frame_below_it() {
    let (mut s, _) = open("lib.wasm");
    run(
        &mut s,
        Command::SetBreakpoint {
            spec: BreakSpec::Function("swap".into()),
            temporary: false,
            condition: None,
        },
    );
    let ev = run(&mut s, call("swap({x: 3, y: 4})"));
    assert!(matches!(
        stop(&ev).reason,
        StopReason::Breakpoint { number: 1, .. }
    ));
    let f = frames(&mut s);
    let names: Vec<&str> = f.iter().map(|f| f.func_name.as_str()).collect();
    assert_eq!(names, ["swap", "[canon lift swap]"]);
    assert!(f[1].canon && !f[0].canon);
    let ev = run(&mut s, Command::Continue);
    assert!(
        matches!(ev.last(), Some(Event::Returned { values, .. }) if values[0].text == "{x: 4, y: 3}"),
        "{ev:?}"
    );
}

#[test]
fn a_rust_function_of_a_wasip2_program_stops_with_source_and_variables() {
    let (mut s, view) = open("p2debug.wasm");
    assert!(view.has_dwarf);
    let g = view.component.expect("a component graph");
    assert!(g.core_modules[g.main_module].has_dwarf);
    let ev = run(
        &mut s,
        Command::SetBreakpoint {
            spec: BreakSpec::Function("p2debug::area".into()),
            temporary: false,
            condition: None,
        },
    );
    assert!(
        matches!(ev.first(), Some(Event::BreakpointSet(_))),
        "{ev:?}"
    );
    let ev = run(&mut s, Command::Run { args: None });
    let v = stop(&ev);
    let src = v.frame.source.as_ref().expect("a source line");
    assert_eq!((src.file.as_str(), src.line), ("src/wasip2/p2debug.rs", 11));
    let args: Vec<(String, String)> = v
        .frame
        .args
        .iter()
        .map(|a| (a.name.clone(), a.value.text.clone()))
        .collect();
    assert_eq!(args[1], ("scale".to_string(), "1".to_string()), "{args:?}");
    let f = frames(&mut s);
    assert_eq!(f[1].func_name, "p2debug::main");
    assert_eq!(
        f.last().map(|f| f.func_name.as_str()),
        Some("[canon lift wasi:cli/run#run]")
    );
    let ev = run(&mut s, Command::Next);
    assert_eq!(stop(&ev).frame.source.as_ref().map(|l| l.line), Some(12));
    run(&mut s, Command::Delete(Some(1)));
    let ev = run(&mut s, Command::Continue);
    assert_eq!(output(&ev), "area 0 = 6\narea 1 = 80\ntotal 86\n");
    assert!(
        matches!(ev.last(), Some(Event::Exited { code: 0 })),
        "{ev:?}"
    );
}

#[test]
fn catch_wasi_stops_before_a_wasi_0_2_call_under_its_canon_lower_frame() {
    let (mut s, _) = open("p2debug.wasm");
    let ev = run(&mut s, Command::CatchWasi(Some("fd_write".into())));
    assert!(
        matches!(ev.last(), Some(Event::CommandFailed { message, .. }) if message.contains("imports no function `fd_write`")),
        "{ev:?}"
    );
    for name in ["output-stream.write", "wasi:io/streams.output-stream.write"] {
        let ev = run(&mut s, Command::CatchWasi(Some(name.into())));
        assert!(matches!(ev.last(), Some(Event::BreakpointSet(_))), "{ev:?}");
    }
    let ev = run(&mut s, Command::Run { args: None });
    // The call, with its arguments in WAVE (a borrowed stream, the bytes).
    match &stop(&ev).reason {
        StopReason::WasiCallBefore { number: 1, name } => assert!(
            name.starts_with("wasi:io/streams.output-stream.write(borrow<")
                && name.contains(">, [")
                && name.ends_with("])"),
            "{name}"
        ),
        r => panic!("{r:?}"),
    }
    // Nothing written yet: the call has not run.
    assert_eq!(output(&ev), "");
    let f = frames(&mut s);
    assert_eq!(
        f[0].func_name,
        "[canon lower wasi:io/streams.output-stream.write]"
    );
    assert!(f[0].canon);
    // The guest frame making the call is a shim's (wit-component's).
    assert_eq!(
        f[1].func_name,
        "wit-component-shim-module::wasi:io/streams@0.2.0#[method]output-stream.write"
    );
    // Continuing makes the call, then stops before the next one.
    let ev = run(&mut s, Command::Continue);
    assert_eq!(output(&ev), "area 0 = 6\n");
    assert!(matches!(
        stop(&ev).reason,
        StopReason::WasiCallBefore { .. }
    ));
    let ev = run(&mut s, Command::WasiLog);
    let Some(Event::WasiCalls(calls)) = ev.first() else {
        panic!("{ev:?}")
    };
    assert!(
        calls
            .iter()
            .any(|c| c.line == "wasi:io/streams.output-stream.write(borrow<1>, [97, 114, 101, 97, 32, 48, 32, 61, 32, 54, 10]) -> ok"),
        "{calls:?}"
    );
    run(&mut s, Command::Delete(Some(1)));
    run(&mut s, Command::Delete(Some(2)));
    let ev = run(&mut s, Command::Continue);
    assert!(
        matches!(ev.last(), Some(Event::Exited { code: 0 })),
        "{ev:?}"
    );
}
