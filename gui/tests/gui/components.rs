//! A component (WASI 0.2) in the inspector: the Exports panel's typed WAVE
//! forms and the Module panel's component graph.

use super::*;

/// Each parameter of a component export is a WAVE field labelled with its
/// name and type, checked as you type: a record missing a field keeps Call
/// disabled; a string argument calls through the canonical ABI and the
/// lifted result is shown.
#[test]
fn component_exports_take_wave_arguments_checked_as_you_type() {
    let mut h = harness("wasip2/lib.wasm");
    h.get_by_label("p: record {x: s32, y: s32}");
    swap_field(&h).focus();
    h.run();
    swap_field(&h).type_text("{x: 1}");
    h.run();
    let call = below_export(&h, "swap", |n| {
        n.accesskit_node().label().as_deref() == Some("Call")
    });
    assert!(
        call.accesskit_node().is_disabled(),
        "Call must be disabled for a record without `y`"
    );
    // The field shows the error (red, the reason on hover).
    h.snapshot("component_exports");
    call_export(&mut h, "greet", "\"world\"");
    assert_eq!(
        h.state().state.run_state(),
        RunState::Returned {
            func: "greet".into(),
            values: "\"Hello, world\"".into()
        },
        "log {:?}",
        h.state().state.log
    );
}

/// The Module panel of a component: its components, imports and exports,
/// the core modules with the main one marked, the core instances.
#[test]
fn component_module_panel_shows_the_graph() {
    let mut h = harness("wasip2/p2debug.wasm");
    h.get_by_label("Module").click();
    h.run();
    h.get_by_label("Component (3 core modules, 17 core instances)");
    h.get_by_label("component wasi:cli/run@0.2.0-shim-component");
    h.get_by_label("import instance wasi:cli/stdout@0.2.6");
    h.get_by_label("module 1 wit-component-shim-module");
    h.get_by_label("main (code, DWARF)");
    h.snapshot("component_module");
}

fn swap_field<'a>(h: &'a Harness<'static, WdbApp>) -> egui_kittest::Node<'a> {
    below_export(h, "swap", |n| n.accesskit_node().role() == Role::TextInput)
}
