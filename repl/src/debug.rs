//! The debugger REPL: `wdb FILE.wasm [--batch SCRIPT] [-- ARGS...]`.
//!
//! Interactive mode drives a worker thread through Command/Event with a
//! rustyline editor; batch mode (a script, or any non-terminal stdin) drives
//! a synchronous session, echoes each command as `(wdb) CMD`, and exits 1 if
//! any command failed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, anyhow};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};
use wdb_debugger::api::{Command, Event, Request};
use wdb_debugger::session::{Session, SessionConfig};
use wdb_debugger::worker;

use crate::complete::WdbHelper;
use crate::highlight::Highlighter;
use crate::parse::{self, Parsed, ReplAction};
use crate::render::{Renderer, Style};

pub fn main(args: crate::cli::DebugArgs) -> anyhow::Result<u8> {
    let file = args.file.clone().ok_or_else(|| {
        anyhow!("no module given: usage: wdb FILE.wasm [--batch SCRIPT] [-- ARGS...]")
    })?;
    if let Some(script) = &args.batch {
        let text = if script == Path::new("-") {
            std::io::read_to_string(std::io::stdin()).context("reading the script from stdin")?
        } else {
            std::fs::read_to_string(script)
                .with_context(|| format!("reading {}", script.display()))?
        };
        return Ok(batch(&file, args.args, text.lines().map(str::to_string)));
    }
    if !std::io::stdin().is_terminal() {
        let lines = std::io::stdin().lock().lines().map_while(Result::ok);
        return Ok(batch(&file, args.args, lines));
    }
    interactive(&file, args.args)
}

fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Something that runs one command and returns its events.
trait Backend {
    fn run(&mut self, cmd: Command, sink: &mut dyn FnMut(&Event));
}

struct SyncBackend {
    session: Session,
    next_id: u64,
}

impl Backend for SyncBackend {
    fn run(&mut self, cmd: Command, sink: &mut dyn FnMut(&Event)) {
        self.next_id += 1;
        for ev in self.session.handle(Request {
            id: self.next_id,
            command: cmd,
        }) {
            sink(&ev);
        }
    }
}

struct WorkerBackend {
    tx: crossbeam_channel_shim::Sender,
    rx: crossbeam_channel_shim::Receiver,
    running: Arc<AtomicBool>,
    next_id: u64,
}

/// The channel types of the worker, named once.
mod crossbeam_channel_shim {
    pub type Sender = wdb_debugger::worker::RequestSender;
    pub type Receiver = wdb_debugger::worker::EventReceiver;
}

impl Backend for WorkerBackend {
    fn run(&mut self, cmd: Command, sink: &mut dyn FnMut(&Event)) {
        self.next_id += 1;
        let id = self.next_id;
        self.running.store(true, Ordering::SeqCst);
        if self.tx.send(Request { id, command: cmd }).is_err() {
            sink(&Event::CommandFailed {
                id,
                message: "the session thread is gone".into(),
            });
            self.running.store(false, Ordering::SeqCst);
            return;
        }
        loop {
            match self.rx.recv() {
                Ok(Event::Done { id: d }) if d == id => break,
                Ok(ev) => sink(&ev),
                Err(_) => {
                    sink(&Event::CommandFailed {
                        id,
                        message: "the session thread is gone".into(),
                    });
                    break;
                }
            }
        }
        self.running.store(false, Ordering::SeqCst);
    }
}

/// REPL state shared by both modes.
struct Repl<B: Backend> {
    backend: B,
    renderer: Renderer,
    exports: Vec<String>,
    functions: Vec<String>,
    /// gdb settings the REPL keeps (`set confirm off`, `set pagination off`).
    settings: crate::settings::Settings,
}

/// What one line did.
enum LineResult {
    Ok,
    Failed,
    Quit,
}

impl<B: Backend> Repl<B> {
    fn exec(&mut self, line: &str, out: &mut dyn Write) -> LineResult {
        match parse::parse(line) {
            Ok(Parsed::Command(cmd)) => self.command(cmd, out),
            Ok(Parsed::Commands {
                commands,
                stop_on_error,
            }) => {
                let mut result = LineResult::Ok;
                for c in commands {
                    if let LineResult::Failed = self.command(c, out) {
                        result = LineResult::Failed;
                        if stop_on_error {
                            break;
                        }
                    }
                }
                result
            }
            Ok(Parsed::Action(a)) => match a {
                ReplAction::Quit => LineResult::Quit,
                ReplAction::Empty => LineResult::Ok,
                ReplAction::Echo(t) => {
                    let _ = write!(out, "{t}");
                    let _ = out.flush();
                    LineResult::Ok
                }
                ReplAction::Source(path) => self.source(&path, out),
                ReplAction::Set(name, value) => match self.settings.set(&name, &value) {
                    Ok(()) => LineResult::Ok,
                    Err(e) => {
                        let _ = writeln!(out, "error: {e}");
                        LineResult::Failed
                    }
                },
                ReplAction::Show(name) => {
                    let _ = writeln!(out, "{}", self.settings.show(&name));
                    LineResult::Ok
                }
                ReplAction::Help(t) => match parse::help(t.as_deref()) {
                    Ok(h) => {
                        let _ = writeln!(out, "{h}");
                        LineResult::Ok
                    }
                    Err(e) => {
                        let _ = writeln!(out, "error: {e}");
                        LineResult::Failed
                    }
                },
            },
            Err(e) => {
                let _ = writeln!(out, "error: {e}");
                LineResult::Failed
            }
        }
    }

    /// `source FILE`: its lines as if typed, until one fails (as gdb).
    fn source(&mut self, path: &Path, out: &mut dyn Write) -> LineResult {
        if self.settings.source_depth >= crate::settings::MAX_SOURCE_DEPTH {
            let _ = writeln!(
                out,
                "error: {}: `source` nested more than {} deep",
                path.display(),
                crate::settings::MAX_SOURCE_DEPTH
            );
            return LineResult::Failed;
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(out, "error: {}: {e}", path.display());
                return LineResult::Failed;
            }
        };
        self.settings.source_depth += 1;
        let mut result = LineResult::Ok;
        for line in text.lines() {
            let line = line.trim_end();
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            match self.exec(line, out) {
                LineResult::Ok => {}
                r => {
                    result = r;
                    break;
                }
            }
        }
        self.settings.source_depth -= 1;
        result
    }

    fn command(&mut self, cmd: Command, out: &mut dyn Write) -> LineResult {
        let mut failed = false;
        let renderer = &mut self.renderer;
        let exports = &mut self.exports;
        let functions = &mut self.functions;
        self.backend.run(cmd, &mut |ev| {
            if let Event::Loaded(m) = ev {
                *exports = m
                    .exports
                    .iter()
                    .filter(|e| e.kind == "func")
                    .map(|e| e.name.clone())
                    .collect();
                *functions = m
                    .functions
                    .iter()
                    .filter(|f| !f.imported)
                    .map(|f| f.name.clone())
                    .collect();
                functions.extend(exports.iter().cloned());
            }
            let mut s = String::new();
            renderer.render(ev, &mut s, &mut failed);
            let _ = out.write_all(s.as_bytes());
            let _ = out.flush();
        });
        if failed {
            LineResult::Failed
        } else {
            LineResult::Ok
        }
    }
}

fn load_command(file: &Path, args: Vec<String>) -> Command {
    Command::Load {
        path: file.to_path_buf(),
        args,
    }
}

/// Run lines without a line editor. Returns the exit code: 0, or 1 if any
/// command failed.
fn batch(file: &Path, args: Vec<String>, lines: impl Iterator<Item = String>) -> u8 {
    let session = Session::new(SessionConfig {
        capture_output: false,
        persist: true,
        inherit_stdin: false,
        ..Default::default()
    });
    let mut repl = Repl {
        backend: SyncBackend {
            session,
            next_id: 0,
        },
        renderer: Renderer::new(Style::plain()),
        exports: Vec::new(),
        functions: Vec::new(),
        settings: Default::default(),
    };
    // Not locked for the whole script: under `mode jit` the guest writes
    // from the JIT's thread while a command runs.
    let mut out = std::io::stdout();
    let mut any_failed = matches!(
        repl.command(load_command(file, args), &mut out),
        LineResult::Failed
    );
    if any_failed {
        return 1;
    }
    for line in lines {
        let line = line.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let _ = writeln!(out, "(wdb) {line}");
        match repl.exec(line, &mut out) {
            LineResult::Ok => {}
            LineResult::Failed => any_failed = true,
            LineResult::Quit => break,
        }
    }
    let _ = out.flush();
    u8::from(any_failed)
}

fn history_file() -> Option<PathBuf> {
    let dir = wdb_debugger::state::state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("history"))
}

fn interactive(file: &Path, args: Vec<String>) -> anyhow::Result<u8> {
    let color = use_color();
    let (tx, rx, handle) = worker::spawn(SessionConfig {
        capture_output: false,
        persist: true,
        inherit_stdin: true,
        ..Default::default()
    });
    let running = Arc::new(AtomicBool::new(false));
    {
        let running = running.clone();
        // Ctrl-C while the guest runs stops it; at the prompt the line editor
        // has the terminal in raw mode and handles Ctrl-C itself.
        ctrlc::set_handler(move || {
            if running.load(Ordering::SeqCst) {
                handle.interrupt();
            }
        })
        .context("installing the Ctrl-C handler")?;
    }
    let style = Style {
        color,
        highlighter: if color { Highlighter::new().ok() } else { None },
    };
    let mut repl = Repl {
        backend: WorkerBackend {
            tx,
            rx,
            running,
            next_id: 0,
        },
        renderer: Renderer::new(style),
        exports: Vec::new(),
        functions: Vec::new(),
        settings: Default::default(),
    };
    if let LineResult::Failed = repl.command(load_command(file, args), &mut std::io::stdout()) {
        return Ok(1);
    }
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .max_history_size(5000)
        .context("configuring the line editor")?
        .build();
    let mut rl: Editor<WdbHelper, DefaultHistory> =
        Editor::with_config(config).context("starting the line editor")?;
    let mut helper = WdbHelper::new(color);
    helper.exports = repl.exports.clone();
    helper.functions = repl.functions.clone();
    rl.set_helper(Some(helper));
    let hist = history_file();
    if let Some(h) = &hist {
        let _ = rl.load_history(h);
    }
    let mut last_repeatable: Option<String> = None;
    loop {
        match rl.readline("(wdb) ") {
            Ok(line) => {
                let line = if line.trim().is_empty() {
                    match &last_repeatable {
                        Some(l) => l.clone(),
                        None => continue,
                    }
                } else {
                    let _ = rl.add_history_entry(line.as_str());
                    if let Some(h) = &hist {
                        let _ = rl.append_history(h);
                    }
                    line
                };
                let word = line.split_whitespace().next().unwrap_or("");
                last_repeatable = matches!(
                    word,
                    "step"
                        | "s"
                        | "next"
                        | "n"
                        | "stepi"
                        | "si"
                        | "nexti"
                        | "ni"
                        | "continue"
                        | "c"
                        | "cont"
                        | "until"
                        | "u"
                )
                .then(|| line.clone())
                // As gdb: Enter after `list` shows the next lines, after
                // `list -` the ones before.
                .or_else(|| {
                    matches!(word, "list" | "l").then(|| {
                        let back = line.split_whitespace().nth(1) == Some("-");
                        if back { "list -" } else { "list" }.to_string()
                    })
                });
                if let LineResult::Quit = repl.exec(&line, &mut std::io::stdout()) {
                    break;
                }
                if let Some(h) = rl.helper_mut() {
                    h.exports.clone_from(&repl.exports);
                    h.functions.clone_from(&repl.functions);
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("reading a line"),
        }
    }
    Ok(0)
}
