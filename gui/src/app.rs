//! The app: owns the preferences (persisted), the mirror of debugger state,
//! transient view state and the backend (runtime handles). Each frame it
//! applies arrived events, draws the panels, and only then sends the commands
//! the panels returned (egui_demo_app's `wrap_app.rs` pattern).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use wdb_debugger::api::{Command, Event, Request};

use crate::backend::Backend;
use crate::panels;
use crate::prefs::{BottomTab, CentralTab, LeftTab, Prefs};
use crate::state::{self, DebugState, LogKind, RunState};

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
    /// The title last sent to the window (`fib.wasm - wdb`).
    pub window_title: String,
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
    /// The "Save memory" form, while open.
    pub mem_save: Option<crate::panels::memory::SaveForm>,
    /// A save whose bytes have been asked for.
    pub mem_save_pending: Option<crate::panels::memory::PendingSave>,
    /// The Run configuration dialog's fields, while it is open.
    pub run_config: Option<crate::panels::run_config::RunConfigForm>,
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
    /// The module's WAT was asked for (`Command::ModuleWat`).
    pub wat_requested: bool,
    /// The views were pointed at the module's entry point (once per module).
    pub entry_applied: bool,
    /// Where the source pane and the right-hand pane were drawn last frame
    /// (their edges are the handles that resize them).
    pub source_pane: Option<egui::Rect>,
    pub right_pane: Option<egui::Rect>,
    /// Source files asked for (answered or not), so each is asked once.
    pub source_requested: std::collections::HashSet<String>,
    pub source_files_requested: bool,
    pub source_cache: crate::source::SourceCache,
    /// A profile was asked for and has not arrived (or failed) yet.
    pub profiling: bool,
    /// The Profile panel's "call" box: `EXPORT ARGS...`.
    pub profile_call: String,
}

pub struct WdbApp {
    pub prefs: Prefs,
    pub state: DebugState,
    pub view: ViewState,
    backend: Box<dyn Backend>,
    next_id: u64,
    pending_call: Option<PendingCall>,
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
            persist: false,
        }
    }

    /// Open a module: the session loads it on its thread and sends the
    /// views (the GUI never decodes the module itself).
    pub fn open(&mut self, path: PathBuf, args: Vec<String>) {
        self.state.disassembly = None;
        self.view = ViewState::default();
        self.prefs.add_recent(&path);
        self.send(Command::Load { path, args });
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
                if let Event::Memory(m) = &event {
                    self.finish_save(m);
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
                if self.state.disassembly.is_none()
                    && self.state.module.is_some()
                    && !self.view.wat_requested
                {
                    self.view.wat_requested = true;
                    self.send(Command::ModuleWat);
                }
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

    /// Write the bytes of a "Save memory" once they arrive.
    fn finish_save(&mut self, m: &wdb_debugger::api::MemoryView) {
        let Some(save) = &self.view.mem_save_pending else {
            return;
        };
        if m.addr != u64::from(save.addr) || m.bytes.len() != save.len as usize {
            return;
        }
        let save = self.view.mem_save_pending.take().expect("checked above");
        let end = u64::from(save.addr) + u64::from(save.len);
        match std::fs::write(&save.path, &m.bytes) {
            Ok(()) => {
                let msg = format!(
                    "saved {} bytes [{:#x}, {end:#x}) to {}",
                    save.len,
                    save.addr,
                    save.path.display()
                );
                self.state.log.push((LogKind::Info, msg.clone()));
                self.state.notice = Some(msg);
            }
            Err(e) => {
                let msg = format!("cannot write {}: {e}", save.path.display());
                self.state.log.push((LogKind::Error, msg.clone()));
                self.state.error = Some(msg);
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
                    ui.separator();
                    if ui
                        .button("Run config...")
                        .on_hover_text(
                            "Arguments, environment, directories, stdin and stdout files",
                        )
                        .clicked()
                    {
                        self.view.run_config = Some(
                            panels::run_config::RunConfigForm::from_config(&self.state.program),
                        );
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

        if let Some(form) = &mut self.view.run_config {
            use panels::run_config::{RunConfigAction, run_config_ui};
            let run = self.state.run_state();
            let can_run = run != RunState::Running
                && self
                    .state
                    .module
                    .as_ref()
                    .is_some_and(|m| m.kind == "command");
            match run_config_ui(&ctx, form, can_run) {
                RunConfigAction::None => {}
                RunConfigAction::Cancel => self.view.run_config = None,
                RunConfigAction::Send(cmds) => {
                    commands.extend(cmds);
                    self.view.run_config = None;
                }
            }
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
        if self.state.run_state() == RunState::Running || self.pending_call.is_some() {
            ctx.request_repaint_after(Duration::from_millis(250));
        }
    }

    fn main_layout_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                let run = self.state.run_state();
                ui.label(format!("Status: {}", run.describe()));
                // Only an error that still applies (the session has not
                // moved on since); the Log tab keeps them all.
                if let Some(e) = &self.state.error {
                    ui.separator();
                    let color = ui.visuals().error_fg_color;
                    ui.add(
                        egui::Label::new(
                            egui::RichText::new(e.lines().next().unwrap_or("")).color(color),
                        )
                        .truncate(),
                    )
                    .on_hover_text(
                        match self.state.error_kind.and_then(state::error_hint) {
                            Some(hint) => format!("{e}\n\n{hint}"),
                            None => e.clone(),
                        },
                    );
                } else if let Some(n) = &self.state.notice {
                    ui.separator();
                    ui.add(egui::Label::new(egui::RichText::new(n).weak()).truncate());
                }
            });
        });
        egui::Panel::left("left")
            .resizable(true)
            .default_size(280.0)
            .size_range(180.0..=700.0)
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
        self.view.right_pane = Some(
            egui::Panel::right("right")
                .resizable(true)
                .default_size(300.0)
                .size_range(200.0..=900.0)
                .show(ui, |ui| {
                    // Values end in an ellipsis at the pane's edge (drag the
                    // edge to see more); only the height scrolls.
                    egui::ScrollArea::vertical()
                        .auto_shrink(false)
                        .show(ui, |ui| {
                            commands.extend(panels::stack::call_stack_ui(ui, &self.state));
                            commands.extend(panels::locals::values_ui(
                                ui,
                                &self.state,
                                &mut self.view,
                            ));
                            commands.extend(panels::breakpoints::breakpoints_ui(ui, &self.state));
                        });
                })
                .response
                .rect,
        );
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
        // The window title names the module, as editors name the file.
        let title = match &self.state.module {
            Some(m) => {
                let name = Path::new(&m.path)
                    .file_name()
                    .map_or_else(|| m.path.clone(), |n| n.to_string_lossy().into_owned());
                format!("{name} - wdb")
            }
            None => "wdb".to_string(),
        };
        if self.view.window_title != title {
            ui.ctx()
                .send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.view.window_title = title;
        }
    }
}
