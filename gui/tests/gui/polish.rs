//! Issue 19's GUI items, each driven as a person would and each with a
//! snapshot of the fixed view (`UPDATE_SNAPSHOTS=1` rewrites them; look at
//! every PNG before committing it).

use egui::Pos2;
use egui_kittest::kittest::Queryable as _;
use wdb_debugger::api::{BreakSpec, Command};
use wdb_gui::prefs::{BottomTab, CentralTab};

use super::*;

pub(super) fn set_breakpoint(h: &mut Harness<'static, WdbApp>, spec: &str) {
    h.state_mut().send(Command::SetBreakpoint {
        spec: BreakSpec::parse(spec).expect("a valid location"),
        temporary: false,
        condition: None,
    });
    h.run();
}

/// Press the primary button at `from`, move to `to` in steps, release.
fn drag(h: &mut Harness<'static, WdbApp>, from: Pos2, to: Pos2) {
    h.hover_at(from);
    h.run();
    h.event(egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    h.step();
    for i in 1..=5 {
        let p = from + (to - from) * (i as f32 / 5.0);
        h.event(egui::Event::PointerMoved(p));
        h.step();
    }
    h.event(egui::Event::PointerButton {
        pos: to,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run();
}

/// A primary click at `pos` (where no widget has an accessible label, such
/// as a tree node's arrow).
pub(super) fn click_at(h: &mut Harness<'static, WdbApp>, pos: Pos2) {
    h.hover_at(pos);
    h.run();
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
    h.run();
}

/// Paused in `main` of structs.wasm at line 91 (`int per = perimeter(&sq);`).
fn structs_paused_at_91() -> Harness<'static, WdbApp> {
    let mut h = harness("dwarf/structs.wasm");
    set_breakpoint(&mut h, "dwarf/structs.c:91");
    h.get_by_label("Run").click();
    h.run();
    h.run();
    assert!(
        h.state().state.run_state().is_paused(),
        "{:?}; log {:?}",
        h.state().state.run_state(),
        h.state().state.log
    );
    h
}

#[test]
fn opens_on_the_entry_points_source() {
    let mut h = fib_harness();
    let entry = h
        .state()
        .state
        .module
        .as_ref()
        .and_then(|m| m.entry.clone())
        .expect("fib.wasm has an entry point");
    // A reactor: no `main`, so its first export with a source line.
    assert_eq!(entry.func_name, "fibArray");
    let line = entry
        .source
        .as_ref()
        .map(|l| l.line)
        .expect("a source line");
    assert_eq!(h.state().view.source_file.as_deref(), Some("src/fib.c"));
    // Its first line is on screen, and so is its disassembly.
    h.get_by_label(&format!("Toggle breakpoint at line {line}"));
    assert_eq!(h.state().view.code_func, Some(entry.func_index));
    assert!(h.query_by_label_contains("unistd.h").is_none());
    h.snapshot("opens_on_entry_source");
}

#[test]
fn opens_on_main_of_a_command() {
    let h = harness("dwarf/structs.wasm");
    assert_eq!(
        h.state().view.source_file.as_deref(),
        Some("dwarf/structs.c")
    );
    let entry = h
        .state()
        .state
        .module
        .as_ref()
        .and_then(|m| m.entry.clone());
    assert_eq!(
        entry.map(|e| e.func_name).as_deref(),
        Some("__original_main")
    );
}

#[test]
fn opens_on_the_disassembly_without_source() {
    let mut h = harness("pi.wasm");
    let entry = h
        .state()
        .state
        .module
        .as_ref()
        .and_then(|m| m.entry.clone())
        .expect("pi.wasm has an entry point");
    assert!(entry.source.is_none());
    assert_eq!(h.state().view.code_func, Some(entry.func_index));
    // The code view is the disassembly alone, with its gutter.
    assert!(h.query_by_label("Line:").is_none());
    h.get_all_by_label_contains("Toggle breakpoint at 0x")
        .next()
        .expect("the disassembly's gutter");
    h.snapshot("opens_on_disassembly");
}

#[test]
fn a_missing_source_message_wraps_at_words() {
    let mut h = harness("dwarf/structs.wasm");
    h.state_mut().view.source_file = Some("nowhere/gone.c".into());
    h.run();
    h.run();
    let msg = h.get_by_label_contains("cannot read source file nowhere/gone.c (looked in:");
    let r = msg.rect();
    // Whole words on a line (once it was one letter per line).
    assert!(r.width() > 200.0, "{r:?}");
    assert!(r.height() < 6.0 * 16.0, "{r:?}");
    h.snapshot("missing_source_wraps");
}

#[test]
fn panes_resize_by_dragging_their_edges() {
    let mut h = fib_harness();
    let source = h
        .state()
        .view
        .source_pane
        .expect("the source pane is drawn");
    let y = source.center().y;
    drag(
        &mut h,
        Pos2::new(source.max.x, y),
        Pos2::new(source.max.x + 120.0, y),
    );
    let wider = h
        .state()
        .view
        .source_pane
        .expect("the source pane is drawn");
    assert!(
        wider.width() > source.width() + 100.0,
        "the source pane went from {source:?} to {wider:?}"
    );

    let right = h.state().view.right_pane.expect("the right pane is drawn");
    drag(
        &mut h,
        Pos2::new(right.min.x, 300.0),
        Pos2::new(right.min.x - 150.0, 300.0),
    );
    let after = h.state().view.right_pane.expect("the right pane is drawn");
    assert!(
        after.width() > right.width() + 120.0,
        "the values pane went from {right:?} to {after:?}"
    );
    h.snapshot("panes_resized");
}

#[test]
fn values_end_in_an_ellipsis_and_expand_as_trees() {
    let mut h = structs_paused_at_91();
    // Into perimeter(const shape_t *s): a pointer to a struct.
    h.key_press(egui::Key::F11);
    h.run();
    h.run();
    let s = h
        .state()
        .state
        .args
        .iter()
        .find(|a| a.name == "s")
        .cloned()
        .unwrap_or_else(|| panic!("no argument s in {:?}", h.state().state.args));
    assert!(s.value.text.contains(") 0x"), "{}", s.value.text);
    let pointee = s
        .value
        .children
        .iter()
        .find(|c| c.name == "*s")
        .expect("a pointer expands to what it points at");
    let fields: Vec<&str> = pointee
        .value
        .children
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert!(fields.contains(&"pts"), "{fields:?}");

    // A narrow pane: the value ends in an ellipsis inside it, never cut.
    let right = h.state().view.right_pane.expect("the right pane is drawn");
    drag(
        &mut h,
        Pos2::new(right.min.x, 300.0),
        Pos2::new(right.min.x + 60.0, 300.0),
    );
    let pane = h.state().view.right_pane.expect("the right pane is drawn");
    let value = h.get_by_label(&s.value.text).rect();
    assert!(
        value.max.x <= pane.max.x + 1.0,
        "{value:?} overflows {pane:?}"
    );
    // The whole value in a tooltip.
    h.hover_at(value.center());
    h.run();
    h.get_all_by_label_contains(&s.value.text)
        .nth(1)
        .expect("a tooltip with the whole value");

    // Expand s, then *s: the struct's fields appear as rows.
    let name = h.get_by_label("s").rect();
    click_at(&mut h, Pos2::new(name.min.x - 10.0, name.center().y));
    h.run();
    let deref = h.get_by_label("*s").rect();
    click_at(&mut h, Pos2::new(deref.min.x - 10.0, deref.center().y));
    h.run();
    h.get_by_label("pts");
    h.get_by_label("name");
    h.hover_at(Pos2::new(5.0, 5.0));
    h.run();
    h.snapshot("values_tree");
}

#[test]
fn the_memory_inspector_has_its_own_column_and_a_range_saves_to_a_file() {
    let mut h = fib_harness();
    call_export(&mut h, "fib", "5");
    h.state_mut().prefs.central_tab = CentralTab::Memory;
    h.run();
    h.get_by_label("Go to:").focus();
    h.run();
    h.get_by_label("Go to:").type_text("0x400");
    h.run();
    h.get_by_label("Go").click();
    h.run();
    let inspector = h.get_by_label("At 0x00000400").rect();
    // Every byte of the row, and its ASCII, left of the inspector.
    let row = h.get_by_label("00000400").rect();
    let cells: Vec<egui::Rect> = h
        .get_all_by_role(Role::Label)
        .filter(|n| (n.rect().center().y - row.center().y).abs() < 4.0)
        .map(|n| n.rect())
        // The inspector's own rows (`u8`, `i16`...) share the band.
        .filter(|r| r.min.x < inspector.min.x)
        .collect();
    // The address, 16 bytes and the ASCII all start left of the inspector...
    assert!(cells.len() >= 18, "{cells:?}");
    // ...and end there.
    for c in &cells {
        assert!(
            c.max.x <= inspector.min.x,
            "{c:?} is drawn over the inspector at {inspector:?}"
        );
    }

    // Save 0x400..0x410 to a file.
    let dir = std::env::temp_dir().join(format!("wdb-gui-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("mem.bin");
    h.get_by_label("Save...").click();
    h.run();
    for (label, text) in [
        ("Save from:", "0x400"),
        ("to (exclusive):", "0x410"),
        ("file:", file.to_str().expect("utf-8 temp path")),
    ] {
        h.get_by_label(label).focus();
        h.run();
        // Erase what the form proposed, as a person would.
        h.key_press(egui::Key::End);
        for _ in 0..12 {
            h.key_press(egui::Key::Backspace);
        }
        h.run();
        h.get_by_label(label).type_text(text);
        h.run();
    }
    h.get_by_label("Save").click();
    h.run();
    h.run();
    let saved = std::fs::read(&file).expect("the file was written");
    let want = h.state().state.memory.read(0x400, 16).expect("cached");
    assert_eq!(saved, want);
    h.get_by_label_contains("saved 16 bytes [0x400, 0x410) to");
    // The save's short read left the rest of the view's bytes alone.
    assert_eq!(
        h.state().state.memory.byte(0x410),
        Some(0),
        "0x410 was forgotten"
    );
    // A call's time and the temp file's name differ on every run; the
    // picture shows neither.
    h.state_mut().state.notice = None;
    for call in &mut h.state_mut().view.history {
        call.elapsed = std::time::Duration::from_millis(1);
    }
    h.run();
    h.snapshot("memory_inspector_column");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_error_disappears_once_it_no_longer_applies() {
    let mut h = fib_harness();
    // Opening a module raises none.
    assert_eq!(h.state().state.error, None, "{:?}", h.state().state.log);
    h.state_mut().send(Command::Print {
        expr: "nosuchthing".into(),
        format: Default::default(),
    });
    h.run();
    assert!(h.state().state.error.is_some());
    h.get_by_label_contains("nosuchthing");
    call_export(&mut h, "fibArray", "10");
    assert_eq!(h.state().state.error, None);
    assert!(h.query_by_label_contains("nosuchthing").is_none());
    h.get_by_label("Status: fibArray returned 34");
    // No snapshot: the Exports panel shows the call's wall time.
}

#[test]
fn wasi_headers_line_up_with_their_columns() {
    let mut h = harness("hello.wasm");
    h.state_mut().prefs.bottom_tab = BottomTab::Wasi;
    h.get_by_label("Run").click();
    h.run();
    h.run();
    let bottom = |h: &Harness<'static, WdbApp>, label: &str| {
        h.get_all_by_label(label)
            .map(|n| n.rect())
            .filter(|r| r.min.y > 500.0)
            .min_by(|a, b| a.min.y.total_cmp(&b.min.y))
            .unwrap_or_else(|| panic!("no `{label}` in the WASI table"))
    };
    for (header, cell) in [("Call", "fd_write"), ("Result", "ESUCCESS")] {
        let (hx, cx) = (bottom(&h, header).min.x, bottom(&h, cell).min.x);
        assert!(
            (hx - cx).abs() < 2.0,
            "`{header}` at x={hx} but its cells at x={cx}"
        );
    }
    // No snapshot: the Time and Took columns change from run to run.
}

#[test]
fn locals_clear_when_the_program_exits() {
    let mut h = structs_paused_at_91();
    assert!(!h.state().state.locals.is_empty());
    h.get_by_label("Continue").click();
    h.run();
    h.run();
    assert_eq!(h.state().state.run_state(), RunState::Exited(0));
    assert!(h.state().state.locals.is_empty());
    assert!(h.state().state.args.is_empty());
    h.get_by_label("Locals (0)");
    h.snapshot("locals_after_exit");
}

#[test]
fn offsets_read_as_the_repl_prints_them() {
    let mut h = fib_harness();
    set_breakpoint(&mut h, "fib");
    call_export(&mut h, "fib", "3");
    // The REPL: "Breakpoint 1, fib (n=3) at src/fib.c:20" and `bt` says
    // "#0  fib (n=3) at src/fib.c:20"; `break fib` is "at code_offset 0x1c6".
    h.get_by_label_contains("Status: paused in fib at src/fib.c:20");
    h.get_by_label("#0 fib at src/fib.c:20");
    let stop = h.state().state.stop.clone().expect("paused");
    assert_eq!(stop.frame.code_offset, 0x1c6);
    h.get_by_label("Toggle breakpoint at 0x1c6");
    h.snapshot("paused_offsets");
}

#[test]
fn run_configuration_passes_args_env_dirs_and_stdin() {
    let mut h = harness("readfile.wasm");
    h.get_by_label("Run config...").click();
    h.run();
    for (label, text) in [
        ("Arguments:", "/data/notes.txt \"two words\""),
        ("Environment:", "GREETING=hi"),
        ("Directories:", "../fixtures/data::/data"),
        ("Stdin file:", "../fixtures/data/input.txt"),
    ] {
        h.get_by_label(label).focus();
        h.run();
        h.get_by_label(label).type_text(text);
        h.run();
    }
    h.get_by_label("Inherit the host's network (--inherit-network)")
        .click();
    h.run();
    h.snapshot("run_configuration");
    h.get_by_label("Apply and run").click();
    h.run();
    h.run();
    assert_eq!(
        h.state().state.run_state(),
        RunState::Exited(0),
        "log {:?}",
        h.state().state.log
    );
    let program = &h.state().state.program;
    assert_eq!(program.args, ["/data/notes.txt", "two words"]);
    assert_eq!(program.env, [("GREETING".to_string(), "hi".to_string())]);
    assert!(
        program.inherit_network,
        "the Network checkbox reached the program"
    );
    let out: String = h
        .state()
        .state
        .console
        .iter()
        .map(|(_, s)| s.as_str())
        .collect();
    assert!(out.contains("hi from readfile"), "{out}");
    assert!(out.contains("argv[2] = [two words]"), "{out}");
    assert!(
        out.contains("/data/notes.txt: 3 lines, 9 words, 44 bytes"),
        "{out}"
    );
    assert!(out.contains("stdin: 2 lines"), "{out}");
    assert!(
        h.query_by_label("Apply and run").is_none(),
        "the dialog closed"
    );
}

#[test]
fn a_c_api_takes_a_string_and_a_scratch_cell_in_the_invoke_form() {
    let mut h = harness("greet.wasm");
    // greet(const char *name, int *len): both inputs, left to right.
    let title = h
        .get_all_by_label("greet")
        .min_by(|a, b| a.rect().min.x.total_cmp(&b.rect().min.x))
        .expect("greet in the Exports panel")
        .rect();
    let inputs: Vec<egui::Rect> = {
        let mut r: Vec<egui::Rect> = h
            .get_all_by_role(Role::TextInput)
            .map(|n| n.rect())
            .filter(|r| r.min.y > title.min.y && r.min.y < title.min.y + 40.0 && r.min.x < 340.0)
            .collect();
        r.sort_by(|a, b| a.min.x.total_cmp(&b.min.x));
        r
    };
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    for (rect, text) in inputs.iter().zip(["\"wdb\"", "&len"]) {
        click_at(&mut h, rect.center());
        h.run();
        h.get_all_by_role(Role::TextInput)
            .find(|n| n.rect() == *rect)
            .expect("the input")
            .type_text(text);
        h.run();
    }
    below_export(&h, "greet", |n| {
        n.accesskit_node().label().as_deref() == Some("Call")
    })
    .click();
    h.run();
    h.run();
    let RunState::Returned { func, values } = h.state().state.run_state() else {
        panic!("not returned: {:?}", h.state().state.run_state());
    };
    assert_eq!(func, "greet");
    values.parse::<u32>().expect("a pointer");
    // The cell holds the length of "Hello, wdb!": the string arrived.
    let len = h.state().state.log.iter().any(|(_, t)| t == "len = 11");
    assert!(len, "no `len = 11` in {:?}", h.state().state.log);
    for call in &mut h.state_mut().view.history {
        call.elapsed = std::time::Duration::from_millis(1);
    }
    // The Log shows the cell.
    h.state_mut().prefs.bottom_tab = BottomTab::Log;
    h.run();
    h.snapshot("c_api_string_argument");
}
