//! Text to commands: a pure `&str -> Result<Parsed, ParseError>`. gdb's
//! short forms and lldb's spellings both parse; an unknown command suggests
//! the closest known one.

use std::path::PathBuf;

use wdb_debugger::api::{
    BreakSpec, Command, ExamineFormat, Format, InfoWhat, WatchKind, parse_u32,
};

/// What the REPL does itself, without the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplAction {
    Quit,
    Help(Option<String>),
    /// An empty line (repeats the last step/continue interactively).
    Empty,
}

#[derive(Debug, Clone)]
pub enum Parsed {
    Command(Command),
    Action(ReplAction),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One command of the table: its names, usage and a line of help.
pub struct CmdInfo {
    pub names: &'static [&'static str],
    pub usage: &'static str,
    pub help: &'static str,
}

pub const COMMANDS: &[CmdInfo] = &[
    CmdInfo {
        names: &["run", "r"],
        usage: "run [ARGS...]",
        help: "Instantiate afresh and run _start with ARGS (a command module).",
    },
    CmdInfo {
        names: &["call", "invoke"],
        usage: "call EXPORT [ARGS...]",
        help: "Call an exported function (a reactor's _initialize runs once first).",
    },
    CmdInfo {
        names: &["continue", "c", "cont"],
        usage: "continue",
        help: "Resume until a breakpoint, trap, exit or return.",
    },
    CmdInfo {
        names: &["stepi", "si"],
        usage: "stepi",
        help: "Execute one instruction, entering calls.",
    },
    CmdInfo {
        names: &["nexti", "ni"],
        usage: "nexti",
        help: "Execute one instruction, running over calls.",
    },
    CmdInfo {
        names: &["step", "s"],
        usage: "step",
        help: "Step one source line (one instruction without DWARF), entering calls.",
    },
    CmdInfo {
        names: &["next", "n"],
        usage: "next",
        help: "Step one source line (one instruction without DWARF), over calls.",
    },
    CmdInfo {
        names: &["finish", "fin"],
        usage: "finish",
        help: "Run until the selected frame returns; print its values.",
    },
    CmdInfo {
        names: &["until", "u"],
        usage: "until",
        help: "Run to the next greater pc in this frame (leave a loop).",
    },
    CmdInfo {
        names: &["kill", "k"],
        usage: "kill",
        help: "Discard the paused execution.",
    },
    CmdInfo {
        names: &["restart"],
        usage: "restart",
        help: "Re-instantiate and repeat the last run or call.",
    },
    CmdInfo {
        names: &["break", "b", "br"],
        usage: "break FUNC | FUNC+OFFSET | *0xCODE_OFFSET | FILE:LINE [if COND]",
        help: "Set a breakpoint.",
    },
    CmdInfo {
        names: &["tbreak"],
        usage: "tbreak LOCATION [if COND]",
        help: "Set a breakpoint deleted when first hit.",
    },
    CmdInfo {
        names: &["delete", "d"],
        usage: "delete [N]",
        help: "Delete breakpoint N, or all.",
    },
    CmdInfo {
        names: &["disable"],
        usage: "disable N",
        help: "Disable breakpoint N.",
    },
    CmdInfo {
        names: &["enable"],
        usage: "enable N",
        help: "Enable breakpoint N.",
    },
    CmdInfo {
        names: &["condition"],
        usage: "condition N [EXPR]",
        help: "Stop at breakpoint N only if EXPR is non-zero (no EXPR: always).",
    },
    CmdInfo {
        names: &["ignore"],
        usage: "ignore N COUNT",
        help: "Pass breakpoint N COUNT times without stopping.",
    },
    CmdInfo {
        names: &["watch"],
        usage: "watch ADDR [LEN]",
        help: "Stop when memory [ADDR, ADDR+LEN) is written (LEN defaults to 4).",
    },
    CmdInfo {
        names: &["rwatch"],
        usage: "rwatch ADDR [LEN]",
        help: "Stop when the memory is read.",
    },
    CmdInfo {
        names: &["awatch"],
        usage: "awatch ADDR [LEN]",
        help: "Stop when the memory is read or written.",
    },
    CmdInfo {
        names: &["catch"],
        usage: "catch wasi [NAME]",
        help: "Stop after WASI calls (all, or the one named).",
    },
    CmdInfo {
        names: &["backtrace", "bt", "where"],
        usage: "backtrace [N|-N]",
        help: "Show the call stack (the innermost N frames, or the outermost N).",
    },
    CmdInfo {
        names: &["frame", "f"],
        usage: "frame [N]",
        help: "Select frame N (or show the selected one).",
    },
    CmdInfo {
        names: &["up"],
        usage: "up [N]",
        help: "Select the caller's frame.",
    },
    CmdInfo {
        names: &["down"],
        usage: "down [N]",
        help: "Select the callee's frame.",
    },
    CmdInfo {
        names: &["stack"],
        usage: "stack",
        help: "Show the operand stack of the selected frame ($s0 is the top).",
    },
    CmdInfo {
        names: &["globals"],
        usage: "globals",
        help: "Show the instance's globals.",
    },
    CmdInfo {
        names: &["print", "p", "expression", "expr"],
        usage: "print[/FMT] EXPR",
        help: "Evaluate EXPR: $l0, $NAME, $g1, $s0, *(i32*)ADDR, DWARF variables; FMT is x d u t f c.",
    },
    CmdInfo {
        names: &["x"],
        usage: "x/NFU ADDR",
        help: "Examine memory: N units, F in x d u t f c s i, U in b h w g.",
    },
    CmdInfo {
        names: &["set"],
        usage: "set var LHS = EXPR | set substitute-path FROM TO",
        help: "Assign a local ($l0, $NAME), a global ($g1) or memory (*(i32*)ADDR); or map moved source paths.",
    },
    CmdInfo {
        names: &["disassemble", "disas"],
        usage: "disassemble [FUNC]",
        help: "Show WAT with code offsets; => marks the current instruction.",
    },
    CmdInfo {
        names: &["list", "l"],
        usage: "list",
        help: "Show source lines around the current location (DWARF).",
    },
    CmdInfo {
        names: &["info", "i"],
        usage: "info breakpoints|frame|locals|args|exports|imports|functions|globals|memory|tables|sections|wasi|source|mode",
        help: "Show information.",
    },
    CmdInfo {
        names: &["wasi"],
        usage: "wasi",
        help: "Show the WASI call log (strace-like).",
    },
    CmdInfo {
        names: &["profile"],
        usage: "profile run [ARGS] | profile call EXPORT ARGS...",
        help: "Run the same work in the interpreter, JIT and AOT; time, instructions and hot functions side by side.",
    },
    CmdInfo {
        names: &["mode"],
        usage: "mode [interp|jit|aot]",
        help: "Choose the engine for run/call (alone: show it). jit/aot run native code until a function with a breakpoint is entered, then interpret it.",
    },
    CmdInfo {
        names: &["help", "h"],
        usage: "help [COMMAND]",
        help: "Show help.",
    },
    CmdInfo {
        names: &["quit", "q", "exit"],
        usage: "quit",
        help: "Leave wdb.",
    },
];

pub fn find_command(name: &str) -> Option<&'static CmdInfo> {
    COMMANDS.iter().find(|c| c.names.contains(&name))
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
    if slash.is_some() && !matches!(name, "p" | "print" | "x" | "output" | "expression" | "expr") {
        return err(format!("`{name}` takes no /FORMAT"));
    }
    let opt_count = |w: &[&str]| -> Result<i64, ParseError> {
        w.first()
            .map_or(Ok(1), |s| number(s, "count").map(i64::from))
    };
    match name {
        "run" | "r" => cmd(C::Run {
            args: (!words.is_empty()).then(|| words.iter().map(|s| s.to_string()).collect()),
        }),
        "call" | "invoke" => match words.split_first() {
            Some((e, args)) => cmd(C::Call {
                export: e.to_string(),
                args: args.iter().map(|s| s.to_string()).collect(),
            }),
            None => usage("call"),
        },
        "continue" | "c" | "cont" => cmd(C::Continue),
        "stepi" | "si" => cmd(C::StepInstruction),
        "nexti" | "ni" => cmd(C::NextInstruction),
        "step" | "s" => cmd(C::Step),
        "next" | "n" => cmd(C::Next),
        "finish" | "fin" => cmd(C::Finish),
        "until" | "u" => cmd(C::Until),
        "kill" | "k" => cmd(C::Kill),
        "restart" => cmd(C::Restart),
        "break" | "b" | "br" | "tbreak" => parse_break(rest, name == "tbreak"),
        "delete" | "d" => match words.as_slice() {
            [] => cmd(C::Delete(None)),
            [n] => cmd(C::Delete(Some(number(n, "breakpoint number")?))),
            _ => usage("delete"),
        },
        "disable" | "enable" => match words.as_slice() {
            [n] => cmd(C::Enable(number(n, "breakpoint number")?, name == "enable")),
            _ => usage(name),
        },
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
            match words.as_slice() {
                [a] => cmd(C::Watch {
                    addr: a.to_string(),
                    len: 4,
                    kind,
                }),
                [a, l] => cmd(C::Watch {
                    addr: a.to_string(),
                    len: number(l, "length")?,
                    kind,
                }),
                _ => usage(name),
            }
        }
        "catch" => match words.as_slice() {
            ["wasi"] => cmd(C::CatchWasi(None)),
            ["wasi", n] => cmd(C::CatchWasi(Some(n.to_string()))),
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
        "info" | "i" => {
            let what = match words.first().copied() {
                Some("breakpoints" | "break" | "b" | "watchpoints") => InfoWhat::Breakpoints,
                Some("frame" | "f") => InfoWhat::Frame,
                Some("locals") => InfoWhat::Locals,
                Some("args") => InfoWhat::Args,
                Some("exports") => InfoWhat::Exports,
                Some("imports") => InfoWhat::Imports,
                Some("functions") => InfoWhat::Functions,
                Some("globals" | "variables") => InfoWhat::Globals,
                Some("memory") => InfoWhat::Memory,
                Some("tables") => InfoWhat::Tables,
                Some("sections") => InfoWhat::Sections,
                Some("wasi") => InfoWhat::Wasi,
                Some("source") => InfoWhat::Source,
                Some("mode" | "engine") => InfoWhat::Mode,
                Some("stack") => return cmd(C::Frames),
                _ => return usage("info"),
            };
            cmd(C::Info(what))
        }
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

/// `x/NFU`: `4xw`, `s`, `16xb`, `2i`.
pub fn parse_examine(f: &str) -> Result<ExamineFormat, ParseError> {
    let mut fmt = ExamineFormat::default();
    let digits: String = f.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        fmt.count = digits
            .parse()
            .map_err(|_| ParseError(format!("bad count in /{f}")))?;
    }
    for c in f[digits.len()..].chars() {
        match c {
            'x' | 'd' | 'u' | 't' | 'f' | 'c' | 's' | 'i' => fmt.letter = c,
            'b' => fmt.unit = 1,
            'h' => fmt.unit = 2,
            'w' => fmt.unit = 4,
            'g' => fmt.unit = 8,
            _ => {
                return err(format!(
                    "bad examine format letter `{c}` in /{f}: use N, then x d u t f c s i, then b h w g"
                ));
            }
        }
    }
    if fmt.letter == 'c' && !f.contains(['h', 'w', 'g']) {
        fmt.unit = 1;
    }
    if fmt.letter == 'f' && !f.contains(['w', 'g']) {
        fmt.unit = 8;
    }
    if fmt.count == 0 {
        return err("the count must be at least 1");
    }
    Ok(fmt)
}

/// `Undefined command: "contnue".  Did you mean "continue"?`
pub fn unknown(name: &str) -> String {
    let best = COMMANDS
        .iter()
        .flat_map(|c| c.names.iter())
        .map(|n| (edit_distance(name, n), *n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 3))
        .min();
    match best {
        Some((_, n)) => {
            format!("Undefined command: \"{name}\".  Did you mean \"{n}\"?  Try \"help\".")
        }
        None => format!("Undefined command: \"{name}\".  Try \"help\"."),
    }
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `help` and `help CMD`.
pub fn help(topic: Option<&str>) -> Result<String, ParseError> {
    match topic {
        None => {
            let mut s =
                String::from("Commands (gdb short forms and some lldb spellings work too):\n");
            for c in COMMANDS {
                s.push_str(&format!("  {:<44} {}\n", c.usage, c.help));
            }
            s.push_str("An empty line repeats the last step, next, stepi, nexti or continue.");
            Ok(s)
        }
        Some(t) => match find_command(t) {
            Some(c) => Ok(format!(
                "usage: {}\n{}{}",
                c.usage,
                c.help,
                if c.names.len() > 1 {
                    format!("\naliases: {}", c.names[1..].join(", "))
                } else {
                    String::new()
                }
            )),
            None => Err(ParseError(unknown(t))),
        },
    }
}

#[cfg(test)]
mod tests;
