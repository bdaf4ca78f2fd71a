//! The debugger REPL: `wdb [--dir ..] [--env ..] [--stdin FILE] FILE.wasm
//! [--batch SCRIPT] [ARGS...]`.
//!
//! Interactive mode drives a worker thread through Command/Event with a
//! rustyline editor, and restores the breakpoints of the last session
//! (unless `--no-state`); batch mode (a script, or any non-terminal stdin)
//! drives a synchronous session, echoes each command as `(wdb) CMD`, never
//! restores or saves breakpoints (the same script gives the same output on
//! every run), and exits 1 if any command failed. Errors go to stderr.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, anyhow};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};
use wdb_debugger::api::{Command, Event, ProgramConfig, Request};
use wdb_debugger::session::{Session, SessionConfig};
use wdb_debugger::worker;

use crate::complete::WdbHelper;
use crate::highlight::Highlighter;
use crate::parse::{self, Parsed, ProgramEdit, ReplAction, Then};
use crate::render::{Renderer, Style};

pub fn main(args: crate::cli::DebugArgs) -> anyhow::Result<u8> {
    let file = args.file.clone().ok_or_else(|| {
        anyhow!("no module given: usage: wdb [OPTIONS] FILE.wasm [--batch SCRIPT] [ARGS...]")
    })?;
    let program = args
        .host
        .program(args.program_args())
        .map_err(anyhow::Error::msg)?;
    if let Some(script) = &args.batch {
        let text = if script == Path::new("-") {
            std::io::read_to_string(std::io::stdin()).context("reading the script from stdin")?
        } else {
            std::fs::read_to_string(script)
                .with_context(|| format!("reading {}", script.display()))?
        };
        return Ok(batch(&file, program, text.lines().map(str::to_string)));
    }
    if !std::io::stdin().is_terminal() {
        let lines = std::io::stdin().lock().lines().map_while(Result::ok);
        return Ok(batch(&file, program, lines));
    }
    interactive(&file, program, !args.no_state)
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
                kind: wdb_debugger::ErrorKind::Internal,
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
                        kind: wdb_debugger::ErrorKind::Internal,
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
    /// How `run` starts the program, as the session last reported it.
    program: ProgramConfig,
    /// Where the program is paused (`None`: not paused), for `quit`.
    paused_in: Option<String>,
}

/// What one line did.
enum LineResult {
    Ok,
    Failed,
    Quit,
}

/// An error goes to stderr, after what stdout already has.
fn print_error(out: &mut dyn Write, text: &str) {
    let _ = out.flush();
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = err.write_all(b"\n");
    }
    let _ = err.flush();
}

impl<B: Backend> Repl<B> {
    fn new(backend: B, renderer: Renderer) -> Self {
        Repl {
            backend,
            renderer,
            exports: Vec::new(),
            functions: Vec::new(),
            settings: Default::default(),
            program: ProgramConfig::default(),
            paused_in: None,
        }
    }

    /// Where the program is paused, if quitting should ask first (not after
    /// `set confirm off`).
    fn paused_for_quit(&self) -> Option<&String> {
        self.paused_in.as_ref().filter(|_| self.settings.confirm)
    }

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
                        print_error(out, &format!("error: {e}"));
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
                        print_error(out, &format!("error: {e}"));
                        LineResult::Failed
                    }
                },
                ReplAction::Program(edit) => self.program_edit(edit, out),
            },
            Err(e) => {
                print_error(out, &format!("error: {e}"));
                LineResult::Failed
            }
        }
    }

    /// `source FILE`: its lines as if typed, until one fails (as gdb).
    fn source(&mut self, path: &Path, out: &mut dyn Write) -> LineResult {
        if self.settings.source_depth >= crate::settings::MAX_SOURCE_DEPTH {
            print_error(
                out,
                &format!(
                    "error: {}: `source` nested more than {} deep",
                    path.display(),
                    crate::settings::MAX_SOURCE_DEPTH
                ),
            );
            return LineResult::Failed;
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                print_error(out, &format!("error: {}: {e}", path.display()));
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

    /// `run ARGS < IN`, `set args`, `set environment`, `show args`...: the
    /// configuration the session reported, changed and sent back whole.
    fn program_edit(&mut self, edit: ProgramEdit, out: &mut dyn Write) -> LineResult {
        let mut p = self.program.clone();
        match edit {
            ProgramEdit::Args {
                args,
                stdin,
                stdout,
                then,
            } => {
                p.args = args;
                p.stdin = stdin;
                p.stdout = stdout;
                let r = self.command(Command::SetProgram(p), out);
                if !matches!(r, LineResult::Ok) {
                    return r;
                }
                let main = Command::SetBreakpoint {
                    spec: wdb_debugger::api::BreakSpec::Function("main".into()),
                    temporary: true,
                    condition: None,
                };
                match then {
                    Then::Nothing => r,
                    Then::Run => self.command(Command::Run { args: None }, out),
                    Then::Start => match self.command(main, out) {
                        LineResult::Ok => self.command(Command::Run { args: None }, out),
                        r => r,
                    },
                }
            }
            ProgramEdit::SetEnv(name, value) => {
                match p.env.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = value,
                    None => p.env.push((name, value)),
                }
                self.command(Command::SetProgram(p), out)
            }
            ProgramEdit::UnsetEnv(name) => {
                match name {
                    Some(name) => p.env.retain(|(n, _)| *n != name),
                    None => p.env.clear(),
                }
                self.command(Command::SetProgram(p), out)
            }
            ProgramEdit::ShowArgs => {
                let _ = writeln!(
                    out,
                    "Argument list to give program being debugged when it is started is \"{}\".",
                    parse::args_text(&p.args, p.stdin.as_ref(), p.stdout.as_ref())
                );
                LineResult::Ok
            }
            ProgramEdit::ShowEnv(None) => {
                if p.env.is_empty() {
                    let _ = writeln!(
                        out,
                        "The program's environment is empty (the host's is not passed on)."
                    );
                }
                for (n, v) in &p.env {
                    let _ = writeln!(out, "{n}={v}");
                }
                LineResult::Ok
            }
            ProgramEdit::ShowEnv(Some(name)) => match p.env.iter().find(|(n, _)| *n == name) {
                Some((n, v)) => {
                    let _ = writeln!(out, "{n} = {v}");
                    LineResult::Ok
                }
                None => {
                    let _ = writeln!(out, "Environment variable \"{name}\" not defined.");
                    LineResult::Ok
                }
            },
        }
    }

    fn command(&mut self, cmd: Command, out: &mut dyn Write) -> LineResult {
        let mut failed = false;
        let kill = matches!(cmd, Command::Kill);
        let renderer = &mut self.renderer;
        let exports = &mut self.exports;
        let functions = &mut self.functions;
        let program = &mut self.program;
        let paused_in = &mut self.paused_in;
        self.backend.run(cmd, &mut |ev| {
            match ev {
                Event::Loaded(m) => {
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
                    *paused_in = None;
                }
                Event::Program(p) => *program = p.clone(),
                Event::Stopped(s) => *paused_in = Some(s.frame.func_name.clone()),
                Event::Returned { .. } | Event::Exited { .. } | Event::Trapped { .. } => {
                    *paused_in = None;
                }
                _ => {}
            }
            let mut s = String::new();
            let mut this_failed = false;
            renderer.render(ev, &mut s, &mut this_failed);
            if this_failed {
                failed = true;
                print_error(out, &s);
            } else {
                let _ = out.write_all(s.as_bytes());
                let _ = out.flush();
            }
        });
        if kill && !failed {
            self.paused_in = None;
        }
        if failed {
            LineResult::Failed
        } else {
            LineResult::Ok
        }
    }
}

/// Open the module, then give the session the command line's host options.
fn open<B: Backend>(
    repl: &mut Repl<B>,
    file: &Path,
    program: ProgramConfig,
    out: &mut dyn Write,
) -> LineResult {
    let load = Command::Load {
        path: file.to_path_buf(),
        args: program.args.clone(),
    };
    match repl.command(load, out) {
        LineResult::Ok => repl.command(Command::SetProgram(program), out),
        r => r,
    }
}

/// Run lines without a line editor. Returns the exit code: 0, or 1 if any
/// command failed. A script behaves the same on every run: it neither
/// restores nor saves breakpoints.
fn batch(file: &Path, program: ProgramConfig, lines: impl Iterator<Item = String>) -> u8 {
    let session = Session::new(SessionConfig {
        capture_output: false,
        persist: false,
        inherit_stdin: false,
        ..Default::default()
    });
    let mut repl = Repl::new(
        SyncBackend {
            session,
            next_id: 0,
        },
        Renderer::new(Style::plain()),
    );
    // Not locked for the whole script: under `mode jit` the guest writes
    // from the JIT's thread while a command runs.
    let mut out = std::io::stdout();
    let mut any_failed = matches!(open(&mut repl, file, program, &mut out), LineResult::Failed);
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

fn interactive(file: &Path, program: ProgramConfig, persist: bool) -> anyhow::Result<u8> {
    let color = crate::color::stdout();
    let (tx, rx, handle) = worker::spawn(SessionConfig {
        capture_output: false,
        persist,
        inherit_stdin: true,
        ..Default::default()
    });
    let running = Arc::new(AtomicBool::new(false));
    {
        let running = running.clone();
        // Ctrl-C while the guest (or `profile`) runs stops it; at the prompt
        // the line editor has the terminal in raw mode and handles Ctrl-C
        // itself.
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
    let mut repl = Repl::new(
        WorkerBackend {
            tx,
            rx,
            running,
            next_id: 0,
        },
        Renderer::new(style),
    );
    if let LineResult::Failed = open(&mut repl, file, program, &mut std::io::stdout()) {
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
        let line = match rl.readline("(wdb) ") {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => {
                if confirm_quit(&mut rl, repl.paused_for_quit())? {
                    break;
                }
                continue;
            }
            Err(e) => return Err(e).context("reading a line"),
        };
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
        // As gdb: Enter after `list` shows the next lines, after `list -`
        // the ones before.
        .or_else(|| {
            matches!(word, "list" | "l").then(|| {
                let back = line.split_whitespace().nth(1) == Some("-");
                if back { "list -" } else { "list" }.to_string()
            })
        });
        if let LineResult::Quit = repl.exec(&line, &mut std::io::stdout())
            && confirm_quit(&mut rl, repl.paused_for_quit())?
        {
            break;
        }
        if let Some(h) = rl.helper_mut() {
            h.exports.clone_from(&repl.exports);
            h.functions.clone_from(&repl.functions);
        }
    }
    Ok(0)
}

/// `quit` or Ctrl-D while the program is paused asks first, as gdb does;
/// Ctrl-D (or `y`) at the question quits, anything else stays.
fn confirm_quit(
    rl: &mut Editor<WdbHelper, DefaultHistory>,
    paused_in: Option<&String>,
) -> anyhow::Result<bool> {
    let Some(func) = paused_in else {
        return Ok(true);
    };
    println!("A program is being debugged: it is paused in {func}.");
    loop {
        match rl.readline("Quit anyway? (y or n) ") {
            Ok(a) => match a.trim() {
                "y" | "Y" | "yes" => return Ok(true),
                "n" | "N" | "no" => {
                    println!("Not confirmed.");
                    return Ok(false);
                }
                _ => println!("Please answer y or n."),
            },
            Err(ReadlineError::Eof) => {
                println!("EOF [answered Y; input not from terminal]");
                return Ok(true);
            }
            Err(ReadlineError::Interrupted) => {
                println!("Not confirmed.");
                return Ok(false);
            }
            Err(e) => return Err(e).context("reading the answer"),
        }
    }
}
