//! wdb's desktop inspector: an egui app over the debugger's `Command`/`Event`
//! API. The app is a library ([`WdbApp`]) so tests can drive it headlessly
//! through a synchronous session; [`run`] is the thin native entry point.
//!
//! Architecture Invariant: this crate never touches engine state and never
//! decodes the module. It sends commands to a [`backend::Backend`] and
//! mirrors the events in [`state::DebugState`]; even the static views
//! (sections, producers, WAT with offsets) come from the session.

pub mod app;
pub mod backend;
pub mod disasm;
pub mod panels;
pub mod prefs;
pub mod source;
pub mod state;
pub mod values;

use std::path::PathBuf;

pub use app::WdbApp;
pub use prefs::Prefs;

/// `wdb-gui [OPTIONS] [FILE [ARGS]]`: open a native window and block until it closes.
pub fn run(file: Option<PathBuf>, program: wdb_debugger::api::ProgramConfig) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("wdb")
            .with_inner_size([1280.0, 800.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "wdb",
        options,
        Box::new(move |cc| {
            let backend = backend::WorkerBackend::spawn(cc.egui_ctx.clone())?;
            let mut app = WdbApp::new(Prefs::load(), Box::new(backend));
            app.persist = true;
            if let Some(file) = file {
                app.open(file, program.args.clone());
            }
            // Directories, environment and stdin from the command line.
            app.send(wdb_debugger::api::Command::SetProgram(program));
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the window failed: {e}"))
}
