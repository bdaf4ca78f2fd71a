//! The inspector driven headlessly (egui_kittest, AccessKit queries, wgpu on
//! lavapipe) through a synchronous session, so each click's command has been
//! handled by the next frame.
//!
//! Snapshots live in `tests/snapshots/`; regenerate with
//! `UPDATE_SNAPSHOTS=1 cargo test -p wdb_gui --test gui main_window_snapshot`.

use std::path::PathBuf;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::{Harness, SnapshotOptions};
use wdb_gui::backend::SyncBackend;
use wdb_gui::state::RunState;
use wdb_gui::{Prefs, WdbApp};

/// The issue-19 polish: one test per fixed view, each with a snapshot.
#[path = "gui/polish.rs"]
mod polish;

/// Issue 15: Wasm 3.0 values (GC structs and arrays) and several memories.
#[path = "gui/wasm3.rs"]
mod wasm3;

/// Components (WASI 0.2): typed WAVE forms, the component graph.
#[path = "gui/components.rs"]
mod components;

fn fixture(name: &str) -> PathBuf {
    // Relative to the package (cargo's working directory for tests), so
    // the path shown in the window, and so the snapshot, is the same on
    // every checkout.
    let p = PathBuf::from("../fixtures").join(name);
    assert!(
        p.exists(),
        "fixture missing: looked for {} from {}",
        p.display(),
        env!("CARGO_MANIFEST_DIR")
    );
    p
}

fn harness(file: &str) -> Harness<'static, WdbApp> {
    let mut app = WdbApp::new(Prefs::default(), Box::new(SyncBackend::new()));
    app.open(fixture(file), Vec::new());
    // Scrolling to a line animates over a few frames.
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut WdbApp| app.ui(ui), app);
    h.run();
    h
}

fn fib_harness() -> Harness<'static, WdbApp> {
    harness("fib.wasm")
}

/// The node of `role` labelled `label` nearest below the export's title in
/// the Exports panel: the form a person would click.
fn below_export<'a>(
    h: &'a Harness<'static, WdbApp>,
    export: &str,
    pick: impl Fn(&egui_kittest::Node<'a>) -> bool,
) -> egui_kittest::Node<'a> {
    let title = h
        .get_all_by_label(export)
        .min_by(|a, b| a.rect().min.x.total_cmp(&b.rect().min.x))
        .unwrap_or_else(|| panic!("no `{export}` in the Exports panel"))
        .rect();
    h.root()
        .query_all_by(|_| true)
        .filter(|n| pick(n) && n.rect().min.y > title.min.y && n.rect().min.x < 340.0)
        .min_by(|a, b| a.rect().min.y.total_cmp(&b.rect().min.y))
        .unwrap_or_else(|| panic!("nothing matching below `{export}`"))
}

fn call_export(h: &mut Harness<'static, WdbApp>, export: &str, arg: &str) {
    below_export(h, export, |n| n.accesskit_node().role() == Role::TextInput).focus();
    h.run();
    below_export(h, export, |n| n.accesskit_node().role() == Role::TextInput).type_text(arg);
    h.run();
    below_export(h, export, |n| {
        n.accesskit_node().label().as_deref() == Some("Call")
    })
    .click();
    h.run();
    h.run();
}

#[test]
fn exports_panel_calls_fibarray_and_shows_34() {
    let mut h = fib_harness();
    call_export(&mut h, "fibArray", "10");
    assert_eq!(
        h.state().state.run_state(),
        RunState::Returned {
            func: "fibArray".into(),
            values: "34".into()
        }
    );
    h.get_by_label("Status: fibArray returned 34");
    let history = &h.state().view.history;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].args, vec!["10".to_string()]);
}

#[test]
fn invalid_argument_disables_call() {
    let mut h = fib_harness();
    below_export(&h, "fibArray", |n| {
        n.accesskit_node().role() == Role::TextInput
    })
    .focus();
    h.run();
    below_export(&h, "fibArray", |n| {
        n.accesskit_node().role() == Role::TextInput
    })
    .type_text("ten");
    h.run();
    let call = below_export(&h, "fibArray", |n| {
        n.accesskit_node().label().as_deref() == Some("Call")
    });
    assert!(
        call.accesskit_node().is_disabled(),
        "Call must be disabled for `ten`"
    );
}

#[test]
fn breakpoint_from_gutter_pauses_call_and_step_moves() {
    let mut h = fib_harness();
    let fib_array = h
        .state()
        .state
        .module
        .as_ref()
        .and_then(|m| m.exports.iter().find(|e| e.name == "fibArray"))
        .map(|e| e.index)
        .expect("fib.wasm exports fibArray");
    h.state_mut().view.code_func = Some(fib_array);
    h.run();
    let first = h
        .get_all_by_role(Role::Button)
        .filter(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("Toggle breakpoint at"))
        })
        .min_by(|a, b| a.rect().min.y.total_cmp(&b.rect().min.y))
        .expect("the gutter has breakpoint toggles");
    first.click();
    h.run();
    assert_eq!(
        h.state().state.breakpoints.len(),
        1,
        "{:?}",
        h.state().state.log
    );

    call_export(&mut h, "fibArray", "10");
    let run = h.state().state.run_state();
    let RunState::Paused { at, .. } = &run else {
        panic!(
            "expected a pause at the breakpoint, got {run:?}; log {:?}",
            h.state().state.log
        );
    };
    // As the REPL says it: the function and its source line.
    assert!(at.starts_with("fibArray at src/fib.c:"), "{at}");
    h.get_by_label_contains("Status: paused in fibArray at src/fib.c:");
    let before = h.state().state.stop.as_ref().map(|s| s.frame.code_offset);

    h.get_by_label("Step instruction").click();
    h.run();
    h.run();
    let after = h.state().state.stop.as_ref().map(|s| s.frame.code_offset);
    assert!(
        before.is_some() && after.is_some() && before != after,
        "{before:?} -> {after:?}"
    );

    h.get_by_label("Continue").click();
    h.run();
    h.run();
    assert_eq!(
        h.state().state.run_state(),
        RunState::Returned {
            func: "fibArray".into(),
            values: "34".into()
        }
    );
}

#[test]
fn main_window_snapshot() {
    let mut h = fib_harness();
    h.snapshot("main_window");
}

/// A snapshot comparison is only worth having if a real change fails it:
/// the same window in the light theme must not match `main_window.png`.
#[test]
fn snapshot_comparison_fails_on_a_real_change() {
    let reference =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/main_window.png");
    assert!(reference.exists(), "missing {}", reference.display());
    let dir = std::env::temp_dir().join(format!("wdb-gui-snap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::copy(&reference, dir.join("main_window.png")).expect("copy reference");
    let options = SnapshotOptions::new().output_path(&dir);

    let mut h = fib_harness();
    let same = h.render().expect("renders");
    assert!(
        egui_kittest::try_image_snapshot_options(&same, "main_window", &options).is_ok(),
        "the unchanged window must match its reference"
    );

    h.state_mut().prefs.dark = false;
    h.run();
    let changed = h.render().expect("renders");
    assert!(
        egui_kittest::try_image_snapshot_options(&changed, "main_window", &options).is_err(),
        "a light-theme window matched the dark reference"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn source_gutter_breakpoint_pauses_on_the_line_with_dwarf_locals() {
    let mut h = harness("dwarf/structs.wasm");
    h.run();
    let view = &h.state().view;
    assert_eq!(
        view.source_file.as_deref(),
        Some("dwarf/structs.c"),
        "the source view starts on the file the module is named after; files {:?}",
        h.state().state.source_files
    );
    // Scroll to line 91 the way a person would: type it in the Line box.
    h.get_by_label("Line:").focus();
    h.run();
    h.get_by_label("Line:").type_text("91");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    h.get_by_label("Toggle breakpoint at line 91").click();
    h.run();
    let bps = &h.state().state.breakpoints;
    assert_eq!(bps.len(), 1, "{:?}", h.state().state.log);
    assert_eq!(bps[0].source.as_ref().map(|s| s.line), Some(91));

    h.get_by_label("Run").click();
    h.run();
    h.run();
    let run = h.state().state.run_state();
    assert!(
        matches!(&run, RunState::Paused { at, .. } if at.starts_with("__original_main at dwarf/structs.c:91")),
        "{run:?}; log {:?}",
        h.state().state.log
    );
    // The current line is highlighted (and labelled for screen readers).
    h.get_by_label("Current line 91");
    // The locals are the C variables DWARF describes, not wasm locals.
    let names: Vec<_> = h
        .state()
        .state
        .locals
        .iter()
        .map(|v| v.name.clone())
        .collect();
    assert!(
        names.iter().any(|n| n == "sq") && names.iter().any(|n| n == "ratio"),
        "{names:?}"
    );
    h.get_by_label("ratio");

    // Step over a source line (F10): the next line is current.
    h.key_press(egui::Key::F10);
    h.run();
    h.run();
    let line = h
        .state()
        .state
        .stop
        .as_ref()
        .and_then(|s| s.frame.source.as_ref())
        .map(|s| s.line);
    assert!(line.is_some_and(|l| l > 91), "{line:?}");
    h.get_by_label(&format!("Current line {}", line.unwrap_or(0)));

    // Clicking the marked gutter again deletes the breakpoint.
    h.get_by_label("Line:").focus();
    h.run();
    h.state_mut().view.source_goto.clear();
    h.get_by_label("Line:").type_text("91");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    h.get_by_label("Toggle breakpoint at line 91").click();
    h.run();
    assert!(h.state().state.breakpoints.is_empty());
}

#[test]
fn missing_source_says_where_it_looked() {
    let mut h = harness("dwarf/structs.wasm");
    h.state_mut().view.source_file = Some("nowhere/gone.c".into());
    h.run();
    h.run();
    h.get_by_label_contains("cannot read source file nowhere/gone.c (looked in:");
}

#[test]
fn wasi_table_lists_calls_with_errno_and_bytes_and_breaks_on_one() {
    let mut h = harness("hello.wasm");
    h.state_mut().prefs.bottom_tab = wdb_gui::prefs::BottomTab::Wasi;
    h.get_by_label("Run").click();
    h.run();
    h.run();
    let calls = &h.state().state.wasi;
    let write = calls
        .iter()
        .find(|c| c.func == "fd_write")
        .unwrap_or_else(|| panic!("no fd_write in {calls:?}"));
    assert_eq!(write.errno_name, "ESUCCESS");
    assert!(write.bytes.is_some_and(|b| b > 0), "{write:?}");
    h.get_all_by_label("fd_write")
        .next()
        .expect("a fd_write row");
    h.get_all_by_label("ESUCCESS")
        .next()
        .expect("a result cell");

    // The filter hides other calls.
    h.get_by_label("Filter:").focus();
    h.run();
    h.get_by_label("Filter:").type_text("environ");
    h.run();
    assert!(h.query_by_label("fd_write").is_none());
    h.get_by_label("environ_sizes_get");

    // "break" on a row sets a catchpoint on that call.
    h.get_all_by_label("break")
        .next()
        .expect("a break button")
        .click();
    h.run();
    let bps = &h.state().state.breakpoints;
    assert!(
        bps.iter()
            .any(|b| b.kind == wdb_debugger::api::BreakpointKind::Catchpoint
                && b.spec.contains("environ_sizes_get")),
        "{bps:?}"
    );
}

#[test]
fn console_stdin_reaches_the_guest() {
    // readfile counts its stdin after reading the file named by argv[1]: a
    // line typed and sent before Run is what the guest reads, then EOF.
    let mut app = WdbApp::new(Prefs::default(), Box::new(SyncBackend::new()));
    app.open(fixture("readfile.wasm"), vec!["/data/notes.txt".into()]);
    app.send(wdb_debugger::api::Command::SetProgram(
        wdb_debugger::api::ProgramConfig {
            args: vec!["/data/notes.txt".into()],
            dirs: vec!["../fixtures/data::/data".into()],
            ..Default::default()
        },
    ));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut WdbApp| app.ui(ui), app);
    h.run();
    h.get_by_label("stdin:").focus();
    h.run();
    h.get_by_label("stdin:").type_text("typed line");
    h.run();
    h.get_by_label("Send").click();
    h.run();
    // Shown in the console as typed input.
    assert!(
        h.state()
            .state
            .console
            .iter()
            .any(|(fd, t)| *fd == 0 && t == "typed line\n"),
        "{:?}",
        h.state().state.console
    );
    h.get_by_label("Run").click();
    h.run();
    h.run();
    let out: String = h
        .state()
        .state
        .console
        .iter()
        .filter(|(fd, _)| *fd == 1)
        .map(|(_, t)| t.as_str())
        .collect();
    assert!(
        out.contains("stdin: 1 lines, 2 words, 11 bytes\n"),
        "the guest did not read the typed line: {out:?}; log {:?}",
        h.state().state.log
    );
}

#[test]
fn memory_view_reaches_the_end_of_4_gib_and_scrolls_there_by_rows() {
    let mut h = fib_harness();
    h.state_mut().prefs.central_tab = wdb_gui::prefs::CentralTab::Memory;
    // As if the guest had grown its memory to the 4 GiB maximum.
    h.state_mut().state.memory_size = Some(1 << 32);
    h.run();
    h.get_by_label("Go to:").focus();
    h.run();
    h.get_by_label("Go to:").type_text("0xfffffff0");
    h.run();
    h.get_by_label("Go").click();
    h.run();
    h.get_by_label("fffffff0");
    let top = h.state().view.mem_top_row;
    // The wheel moves by whole rows even this far in (f32 pixels would not).
    let hex = h.get_by_label("fffffff0").rect().center();
    h.hover_at(hex);
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: egui::vec2(0.0, 3.0),
        modifiers: egui::Modifiers::NONE,
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
    });
    for _ in 0..30 {
        h.step();
    }
    let after = h.state().view.mem_top_row;
    assert!(
        after < top && top - after < 100,
        "the wheel moved from row {top} to {after}"
    );
    h.get_by_label(&format!("{:08x}", after * 16));
}

#[test]
fn memory_watch_button_sets_a_watchpoint_that_fires() {
    let mut h = fib_harness();
    // Instantiate, so memory and __stack_pointer exist.
    call_export(&mut h, "fib", "5");
    h.state_mut().prefs.central_tab = wdb_gui::prefs::CentralTab::Memory;
    h.state_mut().prefs.left_tab = wdb_gui::prefs::LeftTab::Exports;
    h.run();
    let sp = h
        .state()
        .state
        .globals
        .iter()
        .find(|g| g.name.contains("stack_pointer"))
        .map(|g| g.value.bits as u32)
        .unwrap_or_else(|| panic!("no __stack_pointer in {:?}", h.state().state.globals));
    // fibArray's first store is `i32.store offset=12` to sp-16: at sp-4.
    let target = sp - 4;
    h.get_by_label("Go to:").focus();
    h.run();
    h.get_by_label("Go to:").type_text(&format!("{target:#x}"));
    h.run();
    h.get_by_label("Go").click();
    h.run();
    h.get_by_label("Watch 1 byte(s)").click();
    h.run();
    let bps = &h.state().state.breakpoints;
    assert!(
        bps.iter().any(|b| b.kind.is_watchpoint()),
        "{bps:?}; log {:?}",
        h.state().state.log
    );
    call_export(&mut h, "fibArray", "10");
    let run = h.state().state.run_state();
    assert!(
        matches!(&run, RunState::Paused { reason, .. } if reason.starts_with("watchpoint")),
        "{run:?}"
    );
}
