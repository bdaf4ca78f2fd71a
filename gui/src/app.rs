//! The app: owns the preferences (persisted), the mirror of debugger state,
//! transient view state and the backend (runtime handles). Each frame it
//! applies arrived events, draws the panels, and only then sends the commands
//! the panels returned (egui_demo_app's `wrap_app.rs` pattern).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use wdb_debugger::api::{Command, Event, Request};
use wdb_debugger::engine::Module;

use crate::backend::Backend;
use crate::disasm::Disassembly;
use crate::panels;
use crate::prefs::{BottomTab, CentralTab, LeftTab, Prefs};
use crate::state::{DebugState, LogKind, RunState};

/// A finished call, re-runnable from the Exports panel.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub export: String,
    pub args: Vec<String>,
    pub outcome: String,
    pub elapsed: Duration,
}

struct PendingCall {
    export: String,
    args: Vec<String>,
    started: Instant,
}

/// What the panels draw from besides the debugger mirror: inputs being typed,
/// cursors, selections. Not persisted.
#[derive(Default)]
pub struct ViewState {
    pub open_path: String,
    /// Export name -> argument texts.
    pub call_inputs: std::collections::HashMap<String, Vec<String>>,
    /// The engine chosen in the Exports panel (sent as `Command::SetMode`);
    /// `None`: the session's default, the interpreter.
    pub engine: Option<wdb_debugger::runner::Mode>,
    pub history: Vec<CallRecord>,
    pub code_func: Option<u32>,
    /// Scroll the code view to the current line on the next frame.
    pub code_scroll_pending: bool,
    pub seen_stop: u64,
    pub mem_goto: String,
    pub mem_cursor: u32,
    /// Inclusive selection end (shift-click).
    pub mem_sel_end: u32,
    pub mem_scroll_to: Option<u32>,
    /// The first row shown in the hex view (16 bytes a row).
    pub mem_top_row: u64,
    /// Wheel movement not yet worth a whole row, in pixels.
    pub mem_scroll_px: f32,
    /// A hex row's measured height with spacing (0 until drawn once).
    pub mem_row_step: f32,
    pub wasi_filter: String,
    pub wasi_catch: String,
    pub stdin_line: String,
    /// (panel, name, text) of the value being edited in place.
    pub editing: Option<(String, String, String)>,
    pub error: Option<String>,
    /// The source file shown (a DWARF file name).
    pub source_file: Option<String>,
    pub source_scroll_pending: bool,
    /// A line to scroll the source view to on the next frame.
    pub source_scroll_to: Option<u32>,
    /// The "Line:" box's text.
    pub source_goto: String,
    pub source_seen_stop: u64,
    /// Source files asked for (answered or not), so each is asked once.
    pub source_requested: std::collections::HashSet<String>,
    pub source_files_requested: bool,
    pub source_cache: crate::source::SourceCache,
    /// A profile was asked for and has not arrived (or failed) yet.
    pub profiling: bool,
    /// The Profile panel's "call" box: `EXPORT ARGS...`.
    pub profile_call: String,
}

/// What the background decode hands back: the module, its WAT, a warning.
type Decoded = Result<(Module, Disassembly, Option<String>), String>;

/// A module being decoded and printed on a background thread.
struct Opening {
    path: PathBuf,
    result: crossbeam_channel::Receiver<Decoded>,
}

pub struct WdbApp {
    pub prefs: Prefs,
    pub state: DebugState,
    pub view: ViewState,
    backend: Box<dyn Backend>,
    next_id: u64,
    pending_call: Option<PendingCall>,
    opening: Option<Opening>,
    /// Write preferences to disk when they change (off in tests).
    pub persist: bool,
    saved_prefs: Prefs,
}

impl WdbApp {
    pub fn new(prefs: Prefs, backend: Box<dyn Backend>) -> WdbApp {
        WdbApp {
            saved_prefs: prefs.clone(),
            prefs,
            state: DebugState::default(),
            view: ViewState::default(),
            backend,
            next_id: 1,
            pending_call: None,
            opening: None,
            persist: false,
        }
    }

    /// Open a module: the session loads it on its thread, and a background
    /// thread decodes and prints it for the static views (a big module would
    /// freeze the window if that ran here).
    pub fn open(&mut self, path: PathBuf, args: Vec<String>) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let p = path.clone();
        let spawned = std::thread::Builder::new()
            .name("wdb-gui-open".into())
            .spawn(move || {
                let r = Module::from_file(&p)
                    .map(|m| {
                        let (d, e) = Disassembly::new(&m);
                        (m, d, e)
                    })
                    .map_err(|e| format!("cannot open {}: {e}", p.display()));
                // The app may have gone; nothing to tell then.
                let _ = tx.send(r);
            });
        if let Err(e) = spawned {
            self.view.error = Some(format!("cannot start decoding {}: {e}", path.display()));
            return;
        }
        self.state.static_module = None;
        self.state.disassembly = None;
        self.view = ViewState::default();
        self.prefs.add_recent(&path);
        self.opening = Some(Opening {
            path: path.clone(),
            result: rx,
        });
        self.send(Command::Load { path, args });
    }

    /// Whether a module is still being decoded for the static views.
    pub fn is_opening(&self) -> bool {
        self.opening.is_some()
    }

    /// Block until the background decode ends (tests, which need the views at once).
    pub fn wait_for_open(&mut self) {
        if let Some(o) = &self.opening {
            let r = o.result.recv();
            self.finish_open(r.ok());
        }
    }

    fn poll_open(&mut self) {
        if let Some(o) = &self.opening {
            match o.result.try_recv() {
                Ok(r) => self.finish_open(Some(r)),
                Err(crossbeam_channel::TryRecvError::Empty) => {}
                Err(crossbeam_channel::TryRecvError::Disconnected) => self.finish_open(None),
            }
        }
    }

    fn finish_open(&mut self, r: Option<Decoded>) {
        let Some(o) = self.opening.take() else { return };
        match r {
            Some(Ok((module, disasm, err))) => {
                if let Some(e) = err {
                    self.state.log.push((LogKind::Warning, e));
                }
                self.state.static_module = Some(Arc::new(module));
                self.state.disassembly = Some(disasm);
            }
            Some(Err(e)) => self.view.error = Some(e),
            None => {
                self.view.error = Some(format!(
                    "decoding {} stopped unexpectedly",
                    o.path.display()
                ))
            }
        }
    }

    pub fn send(&mut self, command: Command) {
        if let Command::Call { export, args } = &command {
            self.pending_call = Some(PendingCall {
                export: export.clone(),
                args: args.clone(),
                started: Instant::now(),
            });
        }
        let id = self.next_id;
        self.next_id += 1;
        self.backend.send(Request { id, command });
    }

    /// Append a line to the guest's stdin (it reads it at its next `fd_read`),
    /// and echo it in the console.
    pub fn feed_stdin(&mut self, mut line: String) {
        line.push('\n');
        self.backend.feed_stdin(line.as_bytes());
        self.state.console.push((0, line));
    }

    pub fn interrupt(&self) {
        self.backend.interrupt();
    }

    /// Apply every event that arrived; ask for fresh views after a stop.
    fn pump_events(&mut self) {
        for _ in 0..8 {
            let events = self.backend.poll();
            if events.is_empty() {
                return;
            }
            let mut refresh = false;
            for event in events {
                if matches!(event, Event::Profile(_) | Event::CommandFailed { .. }) {
                    self.view.profiling = false;
                }
                let fx = self.state.apply(event);
                refresh |= fx.refresh;
                if fx.finished_call
                    && let Some(call) = self.pending_call.take()
                {
                    self.view.history.push(CallRecord {
                        export: call.export,
                        args: call.args,
                        outcome: self.state.run_state().describe(),
                        elapsed: call.started.elapsed(),
                    });
                }
            }
            if refresh {
                let paused = self.state.run_state().is_paused();
                if paused {
                    self.send(Command::Frames);
                    self.send(Command::Stack);
                }
                // Globals and the WASI log exist once something has run.
                let ran = !matches!(self.state.run_state(), RunState::Idle | RunState::NoModule);
                if ran {
                    self.send(Command::Globals);
                    self.send(Command::WasiLog);
                }
                if self.state.module.is_some() {
                    self.send(Command::Info(wdb_debugger::api::InfoWhat::Breakpoints));
                }
                if self.state.module.as_ref().is_some_and(|m| m.has_dwarf)
                    && !self.view.source_files_requested
                {
                    self.view.source_files_requested = true;
                    self.send(Command::SourceFiles);
                }
            }
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let mut out = Vec::new();
        if self.state.module.is_none() {
            return out;
        }
        ctx.input_mut(|i| {
            if i.consume_key(Modifiers::SHIFT, Key::F11) {
                out.push(Command::Finish);
            }
            if i.consume_key(Modifiers::NONE, Key::F11) {
                out.push(Command::Step);
            }
            if i.consume_key(Modifiers::NONE, Key::F10) {
                out.push(Command::Next);
            }
            if i.consume_key(Modifiers::NONE, Key::F5) {
                out.push(Command::Continue);
            }
        });
        out
    }

    fn dropped_file(&self, ctx: &egui::Context) -> Option<PathBuf> {
        ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .find(|p| p.extension().is_some_and(|e| e == "wasm"))
        })
    }

    /// Draw everything into `ui` (the harness and the native window both call this).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        ctx.set_visuals(if self.prefs.dark {
            egui::Visuals::dark()
        } else {
            egui::Visuals::light()
        });
        self.pump_events();
        self.poll_open();
        if let Some(path) = self.dropped_file(&ctx) {
            self.open(path, Vec::new());
        }
        let mut commands = self.shortcuts(&ctx);
        let mut open: Option<PathBuf> = None;

        egui::Panel::top("menu").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.menu_button("File", |ui| {
                    if ui.button("Open...").clicked() {
                        self.state = DebugState::default();
                    }
                    ui.separator();
                    for p in self.prefs.recent_files.clone() {
                        if ui.button(p.display().to_string()).clicked() {
                            open = Some(p);
                        }
                    }
                });
                ui.menu_button("View", |ui| {
                    ui.checkbox(&mut self.prefs.dark, "Dark theme");
                    ui.checkbox(&mut self.prefs.follow_current, "Follow current instruction");
                });
                ui.separator();
                if self.state.module.is_some() {
                    let (cmds, pause) = panels::controls::controls_ui(ui, &self.state);
                    commands.extend(cmds);
                    if pause {
                        self.interrupt();
                    }
                }
            });
        });

        if self.state.module.is_none() {
            egui::CentralPanel::default().show(ui, |ui| {
                if let Some(p) = panels::open::open_ui(ui, &self.prefs, &mut self.view) {
                    open = Some(p);
                }
            });
        } else {
            self.main_layout_ui(ui, &mut commands);
        }

        if let Some(path) = open {
            self.open(path, Vec::new());
        }
        // Deleting or toggling says so in text only: ask for the list again.
        let breakpoints_changed = commands.iter().any(|c| {
            matches!(
                c,
                Command::Delete(_)
                    | Command::Enable(..)
                    | Command::Condition(..)
                    | Command::Ignore(..)
                    | Command::Watch { .. }
                    | Command::CatchWasi(_)
            )
        });
        for c in commands {
            self.send(c);
        }
        if breakpoints_changed {
            self.send(Command::Info(wdb_debugger::api::InfoWhat::Breakpoints));
        }
        if self.persist && self.prefs != self.saved_prefs {
            if let Err(e) = self.prefs.save() {
                self.state.log.push((LogKind::Warning, format!("{e:#}")));
            }
            self.saved_prefs = self.prefs.clone();
        }
        // The worker wakes us on events; this only keeps the clock in
        // "running" displays moving.
        if self.opening.is_some() {
            ctx.request_repaint_after(Duration::from_millis(30));
        }
        if self.state.run_state() == RunState::Running || self.pending_call.is_some() {
            ctx.request_repaint_after(Duration::from_millis(250));
        }
    }

    fn main_layout_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                let run = self.state.run_state();
                ui.label(format!("Status: {}", run.describe()));
                if let Some((kind, last)) = self.state.log.last() {
                    ui.separator();
                    let color = match kind {
                        LogKind::Error => ui.visuals().error_fg_color,
                        LogKind::Warning => ui.visuals().warn_fg_color,
                        LogKind::Info => ui.visuals().weak_text_color(),
                    };
                    ui.colored_label(color, last.lines().next().unwrap_or(""));
                }
            });
        });
        egui::Panel::left("left")
            .default_size(330.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.prefs.left_tab, LeftTab::Exports, "Exports");
                    ui.selectable_value(&mut self.prefs.left_tab, LeftTab::Module, "Module");
                });
                ui.separator();
                match self.prefs.left_tab {
                    LeftTab::Exports => commands.extend(panels::exports::exports_ui(
                        ui,
                        &self.state,
                        &mut self.view,
                    )),
                    LeftTab::Module => panels::module::module_ui(ui, &self.state),
                }
            });
        egui::Panel::right("right")
            .default_size(300.0)
            .max_size(340.0)
            .show(ui, |ui| {
                // Scrolls both ways: long frames or values must not widen
                // the panel over the code view.
                egui::ScrollArea::both().auto_shrink(false).show(ui, |ui| {
                    commands.extend(panels::stack::call_stack_ui(ui, &self.state));
                    commands.extend(panels::locals::values_ui(ui, &self.state, &mut self.view));
                    commands.extend(panels::breakpoints::breakpoints_ui(ui, &self.state));
                });
            });
        egui::Panel::bottom("bottom")
            .resizable(true)
            .default_size(190.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let tabs = [
                        (BottomTab::Console, "Console"),
                        (BottomTab::Wasi, "WASI"),
                        (BottomTab::Log, "Log"),
                        (BottomTab::Profile, "Profile"),
                    ];
                    for (tab, name) in tabs {
                        ui.selectable_value(&mut self.prefs.bottom_tab, tab, name);
                    }
                });
                ui.separator();
                match self.prefs.bottom_tab {
                    BottomTab::Console => {
                        if let Some(line) =
                            panels::console::console_ui(ui, &self.state, &mut self.view)
                        {
                            self.feed_stdin(line);
                        }
                    }
                    BottomTab::Wasi => commands.extend(panels::wasi::wasi_ui(
                        ui,
                        &self.state,
                        &mut self.prefs,
                        &mut self.view,
                    )),
                    BottomTab::Log => panels::log::log_ui(ui, &self.state),
                    BottomTab::Profile => commands.extend(panels::profile::profile_ui(
                        ui,
                        &self.state,
                        &mut self.view,
                    )),
                }
            });
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.prefs.central_tab, CentralTab::Code, "Code");
                ui.selectable_value(&mut self.prefs.central_tab, CentralTab::Memory, "Memory");
            });
            ui.separator();
            match self.prefs.central_tab {
                CentralTab::Code => commands.extend(panels::code::code_ui(
                    ui,
                    &mut self.state,
                    &self.prefs,
                    &mut self.view,
                )),
                CentralTab::Memory => commands.extend(panels::memory::memory_ui(
                    ui,
                    &mut self.state,
                    &mut self.view,
                )),
            }
        });
    }

    /// The path of the module being debugged, for the window title.
    pub fn module_path(&self) -> Option<&Path> {
        self.prefs.recent_files.first().map(PathBuf::as_path)
    }
}

impl eframe::App for WdbApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        WdbApp::ui(self, ui);
    }
}
