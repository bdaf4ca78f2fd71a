//! Text to commands: a pure `&str -> Result<Parsed, ParseError>`. gdb's
//! short forms and lldb's spellings both parse; an unknown command suggests
//! the closest known one.

use std::path::PathBuf;

pub use commands::{COMMANDS, find_command, help, unknown};
pub use program::{ProgramEdit, Then, args_text};
use wdb_debugger::api::{
    BreakSpec, Command, ExamineFormat, Format, InfoWhat, WatchKind, parse_u32,
};
pub use words::{breakpoint_list, parse_examine, split_call_args, unescape_echo};

/// What the REPL does itself, without the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplAction {
    Quit,
    Help(Option<String>),
    /// An empty line (repeats the last step/continue interactively).
    Empty,
    /// `echo TEXT`: the text with gdb's escapes applied, no newline added.
    Echo(String),
    /// `source FILE`: run the commands in FILE.
    Source(PathBuf),
    /// `set confirm|pagination|height|width|verbose ...`: the REPL's
    /// own settings (name, value).
    Set(String, String),
    /// `show version|confirm|pagination|height|width|verbose`.
    Show(String),
    /// How `run` starts the program (`run ARGS < IN`, `set args`, `show args`...).
    Program(ProgramEdit),
}

/// Settings the REPL keeps itself; every other `set`/`show` goes to the session.
pub const REPL_SETTINGS: &[&str] = &[
    "confirm",
    "pagination",
    "height",
    "width",
    "verbose",
    "print",
    "style",
    "trace-commands",
    "breakpoint",
    "disassembly-flavor",
    "startup-with-shell",
    "auto-load",
    "can-use-hw-watchpoints",
    "history",
    "debuginfod",
];

#[derive(Debug, Clone)]
pub enum Parsed {
    Command(Command),
    Action(ReplAction),
    /// Several commands for one line (`delete 2 3`, `start`); with
    /// `stop_on_error` the rest are skipped after a failure.
    Commands {
        commands: Vec<Command>,
        stop_on_error: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(s: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(s.into()))
}

fn usage<T>(name: &str) -> Result<T, ParseError> {
    let u = find_command(name).map_or(name, |c| c.usage);
    err(format!("usage: {u}"))
}

fn number(s: &str, what: &str) -> Result<u32, ParseError> {
    parse_u32(s).ok_or_else(|| ParseError(format!("`{s}` is not a valid {what}")))
}

pub fn parse(line: &str) -> Result<Parsed, ParseError> {
    use Command as C;
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Parsed::Action(ReplAction::Empty));
    }
    // `p/x`, `x/4xw`: the format sticks to the command name.
    let (head, rest) = match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    };
    let (name, slash) = match head.split_once('/') {
        Some((n, f)) => (n, Some(f)),
        None => (head, None),
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let cmd = |c: Command| Ok(Parsed::Command(c));
    let act = |a: ReplAction| Ok(Parsed::Action(a));
    if slash.is_some()
        && !matches!(
            name,
            "p" | "print" | "x" | "output" | "expression" | "expr" | "call" | "invoke" | "display"
        )
    {
        return err(format!("`{name}` takes no /FORMAT"));
    }
    let opt_count = |w: &[&str]| -> Result<i64, ParseError> {
        w.first()
            .map_or(Ok(1), |s| number(s, "count").map(i64::from))
    };
    match name {
        "run" | "r" if let Some(p) = program::parse_run(rest, program::Then::Run) => p,
        "run" | "r" => cmd(C::Run {
            args: (!words.is_empty()).then(|| words.iter().map(|s| s.to_string()).collect()),
        }),
        "call" | "invoke" => {
            let words = split_call_args(rest)?;
            let as_string = match slash {
                None => false,
                Some("s") => true,
                Some(f) => return err(format!("bad call format `/{f}`: only /s (a C string)")),
            };
            match words.split_first() {
                Some((e, args)) if as_string => cmd(C::CallString {
                    export: e.to_string(),
                    args: args.to_vec(),
                }),
                Some((e, args)) => cmd(C::Call {
                    export: e.to_string(),
                    args: args.to_vec(),
                }),
                None => usage("call"),
            }
        }
        "start" if let Some(p) = program::parse_run(rest, program::Then::Start) => p,
        "start" => Ok(Parsed::Commands {
            commands: vec![
                C::SetBreakpoint {
                    spec: BreakSpec::Function("main".into()),
                    temporary: true,
                    condition: None,
                },
                C::Run {
                    args: (!words.is_empty())
                        .then(|| words.iter().map(|s| s.to_string()).collect()),
                },
            ],
            stop_on_error: true,
        }),
        "continue" | "c" | "cont" => match words.as_slice() {
            [] => cmd(C::Continue),
            [n] => cmd(C::ContinueIgnoring(number(n, "count")?)),
            _ => usage("continue"),
        },
        "stepi" | "si" => counted(C::StepInstruction, &words, name),
        "nexti" | "ni" => counted(C::NextInstruction, &words, name),
        "step" | "s" => counted(C::Step, &words, name),
        "next" | "n" => counted(C::Next, &words, name),
        "finish" | "fin" => cmd(C::Finish),
        "until" | "u" if rest.is_empty() => cmd(C::Until),
        "until" | "u" | "advance" => {
            if rest.is_empty() {
                return usage("advance");
            }
            cmd(C::RunTo {
                spec: BreakSpec::parse(rest).map_err(ParseError)?,
                advance: name == "advance",
            })
        }
        "kill" | "k" => cmd(C::Kill),
        "restart" => cmd(C::Restart),
        "break" | "b" | "br" | "tbreak" => parse_break(rest, name == "tbreak"),
        "delete" | "d" => {
            // gdb's `delete breakpoints 2`.
            let words = words.strip_prefix(&["breakpoints"]).unwrap_or(&words);
            if words.is_empty() {
                return cmd(C::Delete(None));
            }
            if let Some(w) = words.iter().find(|w| w.contains('.')) {
                return err(format!(
                    "`{w}` is one location of a breakpoint: `disable {w}` turns it off, `delete {}` deletes the breakpoint",
                    w.split('.').next().unwrap_or(w)
                ));
            }
            let numbers = breakpoint_list(words)?;
            many(numbers.into_iter().map(|n| C::Delete(Some(n))).collect())
        }
        "disable" | "enable" => {
            let on = name == "enable";
            let words = words.strip_prefix(&["breakpoints"]).unwrap_or(&words);
            if words.is_empty() {
                return cmd(C::EnableAll(on));
            }
            // `disable 1.2`: one location; `1.1-2`: several of breakpoint 1.
            let (locations, numbers): (Vec<&str>, Vec<&str>) =
                words.iter().partition(|w| w.contains('.'));
            let mut commands: Vec<Command> = breakpoint_list(&numbers)?
                .into_iter()
                .map(|n| C::Enable(n, on))
                .collect();
            for w in locations {
                let (b, l) = w.split_once('.').expect("partitioned on .");
                let number = number(b, "breakpoint number")?;
                for location in breakpoint_list(&[l])? {
                    commands.push(C::EnableLocation {
                        number,
                        location,
                        on,
                    });
                }
            }
            many(commands)
        }
        "condition" => match words.split_first() {
            Some((n, e)) => cmd(C::Condition(
                number(n, "breakpoint number")?,
                (!e.is_empty()).then(|| e.join(" ")),
            )),
            None => usage("condition"),
        },
        "ignore" => match words.as_slice() {
            [n, c] => cmd(C::Ignore(
                number(n, "breakpoint number")?,
                number(c, "count")?,
            )),
            _ => usage("ignore"),
        },
        "watch" | "rwatch" | "awatch" => {
            let kind = match name {
                "watch" => WatchKind::Write,
                "rwatch" => WatchKind::Read,
                _ => WatchKind::Access,
            };
            // `watch EXPR`, `watch -l EXPR` (always by location here),
            // `watch ADDR LEN`.
            let expr = rest
                .strip_prefix("-location ")
                .or_else(|| rest.strip_prefix("-l "))
                .unwrap_or(rest)
                .trim();
            if expr.is_empty() {
                return usage(name);
            }
            let (expr, len) = match expr.rsplit_once(' ') {
                Some((a, l)) if !a.trim().contains(' ') && parse_u32(l).is_some() => {
                    let len = number(l, "length")?;
                    if len == 0 {
                        return err("a watchpoint needs a length of at least 1 byte");
                    }
                    (a.trim(), len)
                }
                // 0: the size of the expression's type (4 for an address).
                _ => (expr, 0),
            };
            cmd(C::Watch {
                addr: expr.to_string(),
                len,
                kind,
            })
        }
        "catch" => match words.as_slice() {
            ["wasi"] => cmd(C::CatchWasi(None)),
            ["wasi", n] => cmd(C::CatchWasi(Some(n.to_string()))),
            [w @ ("throw" | "catch")] | [w @ ("throw" | "catch"), _] => cmd(C::CatchException {
                caught: *w == "catch",
                tag: words.get(1).map(|t| t.to_string()),
            }),
            _ => usage("catch"),
        },
        "backtrace" | "bt" | "where" if rest.is_empty() => cmd(C::Frames),
        "backtrace" | "bt" | "where" => match rest.parse::<i64>() {
            Ok(limit) if limit != 0 => cmd(C::Backtrace { limit }),
            _ => usage("backtrace"),
        },
        "frame" | "f" => match words.as_slice() {
            [] => cmd(C::MoveFrame(0)),
            ["variable"] | ["var"] | ["v"] => cmd(C::Locals),
            ["select", n] | [n] => cmd(C::SelectFrame(number(n, "frame number")? as usize)),
            _ => usage("frame"),
        },
        "up" => cmd(C::MoveFrame(opt_count(&words)?)),
        "down" => cmd(C::MoveFrame(-opt_count(&words)?)),
        "stack" => cmd(C::Stack),
        "globals" => cmd(C::Globals),
        "print" | "p" | "expression" | "expr" | "output" => {
            let format = match slash {
                None => Format::Natural,
                Some(f) => {
                    let mut cs = f.chars();
                    match (cs.next().and_then(Format::from_char), cs.next()) {
                        (Some(f), None) => f,
                        _ => {
                            return err(format!("bad print format `/{f}`: use x, d, u, t, f or c"));
                        }
                    }
                }
            };
            if rest.is_empty() {
                return usage("print");
            }
            cmd(C::Print {
                expr: rest.to_string(),
                format,
            })
        }
        "ptype" | "whatis" => {
            if rest.is_empty() {
                return usage(name);
            }
            cmd(C::Ptype {
                expr: rest.to_string(),
                expand: name == "ptype",
            })
        }
        "display" => {
            let format = match slash {
                None => Format::Natural,
                Some(f) => {
                    let mut cs = f.chars();
                    match (cs.next().and_then(Format::from_char), cs.next()) {
                        (Some(f), None) => f,
                        _ => {
                            return err(format!(
                                "bad display format `/{f}`: use x, d, u, t, f or c"
                            ));
                        }
                    }
                }
            };
            cmd(C::Display {
                expr: (!rest.is_empty()).then(|| rest.to_string()),
                format,
            })
        }
        "undisplay" => {
            let numbers = words
                .iter()
                .map(|w| number(w, "display number"))
                .collect::<Result<Vec<u32>, _>>()?;
            cmd(C::Undisplay(numbers))
        }
        "x" => {
            let format = parse_examine(slash.unwrap_or(""))?;
            if rest.is_empty() {
                return usage("x");
            }
            cmd(C::ReadMemory {
                addr: rest.to_string(),
                format,
            })
        }
        "set" if let Some(p) = program::parse_set(rest) => p,
        "unset" => program::parse_unset(rest),
        "show" if let Some(p) = program::parse_show(rest) => p,
        "set" if words.first().is_some_and(|w| REPL_SETTINGS.contains(w)) => {
            act(ReplAction::Set(words[0].to_string(), words[1..].join(" ")))
        }
        "set"
            if matches!(
                words.first().copied(),
                Some("unwindonsignal" | "unwind-on-signal" | "allocator" | "listsize")
            ) =>
        {
            match words.as_slice() {
                [n, v] => cmd(C::Set {
                    name: n.to_string(),
                    value: v.to_string(),
                }),
                _ => err(format!("usage: set {} VALUE", words[0])),
            }
        }
        "show" => match words.as_slice() {
            [] => usage("show"),
            [w, ..] if *w == "version" || REPL_SETTINGS.contains(w) => {
                act(ReplAction::Show(w.to_string()))
            }
            [w] => cmd(C::Show(w.to_string())),
            _ => usage("show"),
        },
        "directory" | "dir" => cmd(C::Directory((!rest.is_empty()).then(|| rest.to_string()))),
        "source" => match words.as_slice() {
            [f] => act(ReplAction::Source(PathBuf::from(f))),
            _ => usage("source"),
        },
        "echo" => {
            let text = line[head.len()..]
                .strip_prefix(' ')
                .unwrap_or(&line[head.len()..]);
            match unescape_echo(text) {
                Ok(t) => act(ReplAction::Echo(t)),
                Err(e) => err(e),
            }
        }
        "dump" => match words.as_slice() {
            ["memory" | "binary", ..] => {
                let w = words.strip_prefix(&["binary"]).unwrap_or(&words);
                match w {
                    ["memory", file, start, end] => cmd(C::DumpMemory {
                        path: PathBuf::from(file),
                        start: start.to_string(),
                        end: end.to_string(),
                    }),
                    _ => usage("dump"),
                }
            }
            _ => usage("dump"),
        },
        "set" if rest.starts_with("substitute-path") => {
            let args: Vec<&str> = rest.split_whitespace().skip(1).collect();
            match args.as_slice() {
                [from, to] => cmd(C::SubstitutePath {
                    from: from.to_string(),
                    to: to.to_string(),
                }),
                _ => usage("set"),
            }
        }
        "set" => {
            let body = rest
                .strip_prefix("var ")
                .or_else(|| rest.strip_prefix("variable "))
                .unwrap_or(rest);
            match body.split_once('=') {
                Some((l, r))
                    if !l.trim().is_empty() && !r.trim().is_empty() && !r.starts_with('=') =>
                {
                    cmd(C::SetVar {
                        lhs: l.trim().to_string(),
                        value: r.trim().to_string(),
                    })
                }
                _ => usage("set"),
            }
        }
        "disassemble" | "disas" => cmd(C::Disassemble {
            around: words.first().map(|s| s.to_string()),
        }),
        "list" | "l" => cmd(C::List {
            around: words.first().map(|s| s.to_string()),
        }),
        "info" | "i" => match InfoWhat::parse(&words) {
            Some(c) => cmd(c),
            None => usage("info"),
        },
        "wasi" => cmd(C::WasiLog),
        "profile" => match words.as_slice() {
            ["run", args @ ..] => cmd(C::Profile {
                invoke: None,
                args: args.iter().map(|s| s.to_string()).collect(),
            }),
            ["call" | "invoke", export, args @ ..] => cmd(C::Profile {
                invoke: Some((
                    export.to_string(),
                    args.iter().map(|s| s.to_string()).collect(),
                )),
                args: Vec::new(),
            }),
            _ => usage("profile"),
        },
        "mode" => match words.as_slice() {
            [] => cmd(C::Info(InfoWhat::Mode)),
            [m] => match wdb_debugger::runner::Mode::parse(m) {
                Some(m) => cmd(C::SetMode(m)),
                None => err(format!("unknown mode `{m}`: use interp, jit or aot")),
            },
            _ => usage("mode"),
        },
        "help" | "h" => act(ReplAction::Help(words.first().map(|s| s.to_string()))),
        "quit" | "q" | "exit" => act(ReplAction::Quit),
        "load" | "file" => match words.as_slice() {
            [p] => cmd(C::Load {
                path: PathBuf::from(p),
                args: vec![],
            }),
            _ => err("usage: file PATH.wasm"),
        },
        // lldb spellings.
        "breakpoint" => match words.split_first() {
            Some((&"set", r)) => match r {
                ["-n" | "--name", f] => parse_break(f, false),
                ["-a" | "--address", a] => parse_break(&format!("*{a}"), false),
                ["-f" | "--file", f, "-l" | "--line", l] => parse_break(&format!("{f}:{l}"), false),
                _ => err("usage: breakpoint set -n FUNC | -a CODE_OFFSET | -f FILE -l LINE"),
            },
            Some((&"list", _)) => cmd(C::Info(InfoWhat::Breakpoints)),
            Some((&"delete", [n])) => cmd(C::Delete(Some(number(n, "breakpoint number")?))),
            Some((&"enable", [])) => cmd(C::EnableAll(true)),
            Some((&"disable", [])) => cmd(C::EnableAll(false)),
            Some((&"delete", [])) => cmd(C::Delete(None)),
            _ => err("usage: breakpoint set|list|delete"),
        },
        "thread" => match words.as_slice() {
            ["backtrace"] | ["bt"] => cmd(C::Frames),
            ["step-in"] => cmd(C::Step),
            ["step-over"] => cmd(C::Next),
            ["step-out"] => cmd(C::Finish),
            ["step-inst"] => cmd(C::StepInstruction),
            ["step-inst-over"] => cmd(C::NextInstruction),
            ["until"] => cmd(C::Until),
            _ => err("usage: thread backtrace|step-in|step-over|step-out|step-inst|step-inst-over"),
        },
        "process" => match words.as_slice() {
            ["continue"] => cmd(C::Continue),
            ["kill"] => cmd(C::Kill),
            ["launch", args @ ..] => cmd(C::Run {
                args: Some(args.iter().map(|s| s.to_string()).collect()),
            }),
            ["interrupt"] => cmd(C::Interrupt),
            _ => err("usage: process continue|kill|launch|interrupt"),
        },
        "memory" => match words.as_slice() {
            ["read", a] => cmd(C::ReadMemory {
                addr: a.to_string(),
                format: ExamineFormat {
                    count: 32,
                    letter: 'x',
                    unit: 1,
                },
            }),
            _ => err("usage: memory read ADDR"),
        },
        other => err(unknown(other)),
    }
}

/// One command per breakpoint number; each runs even when one fails.
fn many(mut commands: Vec<Command>) -> Result<Parsed, ParseError> {
    if commands.len() == 1 {
        return Ok(Parsed::Command(commands.remove(0)));
    }
    Ok(Parsed::Commands {
        commands,
        stop_on_error: false,
    })
}

/// `step 3`: a stepping command with an optional count.
fn counted(c: Command, words: &[&str], name: &str) -> Result<Parsed, ParseError> {
    match words {
        [] => Ok(Parsed::Command(c)),
        [n] => {
            let count = number(n, "count")?;
            if count == 0 {
                return err("the count must be at least 1");
            }
            Ok(Parsed::Command(if count == 1 {
                c
            } else {
                Command::Repeat {
                    command: Box::new(c),
                    count,
                }
            }))
        }
        _ => usage(name),
    }
}

fn parse_break(rest: &str, temporary: bool) -> Result<Parsed, ParseError> {
    let (loc, cond) = match rest.split_once(" if ") {
        Some((l, c)) => (l.trim(), Some(c.trim().to_string())),
        None => (rest.trim(), None),
    };
    if loc.is_empty() {
        return usage(if temporary { "tbreak" } else { "break" });
    }
    let spec = BreakSpec::parse(loc).map_err(ParseError)?;
    Ok(Parsed::Command(Command::SetBreakpoint {
        spec,
        temporary,
        condition: cond,
    }))
}

// `#[path]`: the fuzz crate includes this file with `#[path]`, where a
// plain `mod x;` would be looked up beside it (`repl/src/x.rs`).
#[path = "parse/commands.rs"]
mod commands;
#[path = "parse/program.rs"]
mod program;
#[cfg(test)]
mod tests;
#[path = "parse/words.rs"]
mod words;
