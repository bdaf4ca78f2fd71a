//! Issue 15 in the GUI: GC structs and arrays expand in the values tree,
//! and the memory view picks one of a module's memories.

use egui::Pos2;
use egui_kittest::kittest::Queryable as _;
use wdb_debugger::api::Command;
use wdb_gui::prefs::CentralTab;

use super::polish::{click_at, set_breakpoint};
use super::*;

#[test]
fn gc_struct_and_array_expand_in_the_values_tree() {
    let mut h = harness("wasm3/gc_values.wasm");
    set_breakpoint(&mut h, "inspect");
    h.state_mut().send(Command::Call {
        export: "shapes".into(),
        args: vec!["3".into(), "4".into()],
    });
    h.run();
    h.run();
    assert!(
        h.state().state.run_state().is_paused(),
        "{:?}; log {:?}",
        h.state().state.run_state(),
        h.state().state.log
    );
    let s = h
        .state()
        .state
        .args
        .iter()
        .find(|a| a.name == "s")
        .cloned()
        .unwrap_or_else(|| panic!("no argument s in {:?}", h.state().state.args));
    assert!(
        s.value
            .text
            .starts_with("(ref $shape) {name = (ref $chars) [len 6]"),
        "{}",
        s.value.text
    );
    let fields: Vec<&str> = s.value.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(fields, ["name", "origin", "scale", "tag", "extra", "draw"]);
    let origin = &s.value.children[1].value;
    assert_eq!(origin.text, "(ref $point) {x = 3, y = 4}");
    let xy: Vec<(&str, &str)> = origin
        .children
        .iter()
        .map(|c| (c.name.as_str(), c.value.text.as_str()))
        .collect();
    assert_eq!(xy, [("x", "3"), ("y", "4")]);
    let name = &s.value.children[0].value;
    assert_eq!(name.children.len(), 6, "the array's elements: {name:?}");

    // Expand s, then its origin, as a person clicks the arrows.
    let row = h.get_by_label("s").rect();
    click_at(&mut h, Pos2::new(row.min.x - 10.0, row.center().y));
    h.run();
    let row = h.get_by_label("origin").rect();
    h.get_by_label("scale");
    h.get_by_label("draw");
    click_at(&mut h, Pos2::new(row.min.x - 10.0, row.center().y));
    h.run();
    h.get_by_label("(ref $point) {x = 3, y = 4}");
    h.get_by_label("y");
    h.hover_at(Pos2::new(5.0, 5.0));
    h.run();
    h.snapshot("gc_values_tree");
}

#[test]
fn memory_view_picks_one_of_several_memories() {
    let mut h = harness("wasm3/multimem.wasm");
    // Instantiate (memory 1 has "hello" at 16 from its data segment).
    h.state_mut().send(Command::Call {
        export: "sizes".into(),
        args: vec![],
    });
    h.run();
    h.state_mut().prefs.central_tab = CentralTab::Memory;
    h.run();
    assert_eq!(h.state().state.memory_index, 0);
    assert_eq!(
        h.state().state.memory.byte(16),
        Some(0),
        "memory 0 is zeros"
    );
    h.get_by_label("Memory:").click();
    h.run();
    h.get_by_label("memory 1").click();
    h.run();
    h.run();
    assert_eq!(h.state().state.memory_index, 1);
    let hello: Vec<Option<u8>> = (16..21).map(|a| h.state().state.memory.byte(a)).collect();
    assert_eq!(
        hello,
        b"hello".iter().map(|&b| Some(b)).collect::<Vec<_>>(),
        "log {:?}",
        h.state().state.log
    );
    // Memory 1 is 2 pages: 128 KiB.
    h.get_by_label("128 KiB");
    // The Exports panel shows the call's time: not in the snapshot.
    h.state_mut().prefs.left_tab = wdb_gui::prefs::LeftTab::Module;
    h.hover_at(Pos2::new(5.0, 5.0));
    h.run();
    h.snapshot("memory_selector");
}
