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

fn fib_harness() -> Harness<'static, WdbApp> {
    let mut app = WdbApp::new(Prefs::default(), Box::new(SyncBackend::new()));
    app.open(fixture("fib.wasm"), Vec::new());
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut WdbApp| app.ui(ui), app);
    h.run();
    h
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
    // The code view starts on the first exported function with a body.
    let fib_array = h
        .state()
        .state
        .static_module
        .as_ref()
        .and_then(|m| m.exported_func("fibArray"))
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
    assert!(at.starts_with("fibArray+"), "{at}");
    h.get_by_label_contains("Status: paused at fibArray+");
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
