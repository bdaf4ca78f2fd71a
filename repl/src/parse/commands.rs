//! The command table (names, usage, help) and what is looked up in it:
//! `help`, and the "did you mean" of an unknown command.

use super::ParseError;

/// One command of the table: its names, usage and a line of help.
pub struct CmdInfo {
    pub names: &'static [&'static str],
    pub usage: &'static str,
    pub help: &'static str,
}

pub const COMMANDS: &[CmdInfo] = &[
    CmdInfo {
        names: &["run", "r"],
        usage: "run [ARGS...] [< IN] [> OUT]",
        help: "Instantiate afresh and run _start with ARGS, split as a shell splits them; < and > redirect stdin and stdout (alone: as last time).",
    },
    CmdInfo {
        names: &["start"],
        usage: "start [ARGS...]",
        help: "Set a temporary breakpoint on main, then run.",
    },
    CmdInfo {
        names: &["call", "invoke"],
        usage: "call[/s] EXPORT [ARGS...]",
        help: "Call an exported function (a reactor's _initialize runs once first). \"TEXT\" and b\"BYTES\" go to i32 pointer parameters through the module's malloc; &NAME is a scratch cell printed after the call; /s prints a pointer result as a C string. A single result becomes the next value in the history (`p $`, `x/s $`).",
    },
    CmdInfo {
        names: &["continue", "c", "cont"],
        usage: "continue [N]",
        help: "Resume until a breakpoint, trap, exit or return (N: ignore this breakpoint N-1 more times).",
    },
    CmdInfo {
        names: &["stepi", "si"],
        usage: "stepi [N]",
        help: "Execute one instruction (or N), entering calls.",
    },
    CmdInfo {
        names: &["nexti", "ni"],
        usage: "nexti [N]",
        help: "Execute one instruction (or N), running over calls.",
    },
    CmdInfo {
        names: &["step", "s"],
        usage: "step [N]",
        help: "Step one source line, or N (instructions without DWARF), entering calls.",
    },
    CmdInfo {
        names: &["next", "n"],
        usage: "next [N]",
        help: "Step one source line, or N (instructions without DWARF), over calls.",
    },
    CmdInfo {
        names: &["finish", "fin"],
        usage: "finish",
        help: "Run until the selected frame returns; print its values.",
    },
    CmdInfo {
        names: &["until", "u"],
        usage: "until [LOCATION]",
        help: "Run to the next greater pc in this frame (leave a loop); with LOCATION, run there or until this frame returns.",
    },
    CmdInfo {
        names: &["advance"],
        usage: "advance LOCATION",
        help: "Run to LOCATION (at any depth) or until this frame returns.",
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
        usage: "break FUNC | FUNC+OFFSET | *0xCODE_OFFSET | FILE:LINE | LINE [if COND]",
        help: "Set a breakpoint (FUNC: on every function of that name; LINE: in the current file).",
    },
    CmdInfo {
        names: &["tbreak"],
        usage: "tbreak LOCATION [if COND]",
        help: "Set a breakpoint deleted when first hit.",
    },
    CmdInfo {
        names: &["delete", "d"],
        usage: "delete [N|A-B]...",
        help: "Delete the breakpoints listed, or all.",
    },
    CmdInfo {
        names: &["disable"],
        usage: "disable [N|A-B|N.L]...",
        help: "Disable the breakpoints listed (N.L: location L of breakpoint N only), or all.",
    },
    CmdInfo {
        names: &["enable"],
        usage: "enable [N|A-B|N.L]...",
        help: "Enable the breakpoints listed (N.L: location L of breakpoint N only), or all.",
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
        usage: "watch [-l] EXPR | watch ADDR LEN",
        help: "Stop when EXPR (a variable, p->next->val, arr[3]) or memory [ADDR, ADDR+LEN) is written.",
    },
    CmdInfo {
        names: &["rwatch"],
        usage: "rwatch [-l] EXPR | rwatch ADDR LEN",
        help: "Stop when the memory is read.",
    },
    CmdInfo {
        names: &["awatch"],
        usage: "awatch [-l] EXPR | awatch ADDR LEN",
        help: "Stop when the memory is read or written.",
    },
    CmdInfo {
        names: &["catch"],
        usage: "catch wasi [NAME] | catch throw [TAG] | catch catch [TAG]",
        help: "Stop after WASI calls (all, or the preview1 function named), or when a wasm exception (of tag TAG) is thrown or caught.",
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
        help: "Evaluate a C expression (DWARF variables, casts, *arr@N, $l0, $NAME, $g1, $s0, history $1 $ $$); FMT is x d u t f c.",
    },
    CmdInfo {
        names: &["ptype", "whatis"],
        usage: "ptype EXPR|TYPE",
        help: "Show the type of EXPR or TYPE (ptype lists struct members; whatis only names it).",
    },
    CmdInfo {
        names: &["display", "undisplay"],
        usage: "display[/FMT] [EXPR] | undisplay [N...]",
        help: "Show EXPR at every stop (display alone: show them now); undisplay removes them.",
    },
    CmdInfo {
        names: &["x"],
        usage: "x/NFU ADDR",
        help: "Examine memory: N units, F in x d u t f c s i, U in b h w g.",
    },
    CmdInfo {
        names: &["set"],
        usage: "set var LHS = EXPR | set substitute-path FROM TO | set args ARGS | set environment NAME=VALUE | set NAME VALUE",
        help: "Assign a local ($l0, $NAME), a global ($g1) or memory (*(i32*)ADDR); map moved source directories; the program's arguments (with < IN > OUT) or environment; settings: confirm, pagination, unwindonsignal, allocator.",
    },
    CmdInfo {
        names: &["show"],
        usage: "show version|confirm|pagination|listsize|unwindonsignal|allocator|substitute-path|directories|args|environment [NAME]",
        help: "Show a setting, the program's arguments and redirections, or its environment.",
    },
    CmdInfo {
        names: &["directory", "dir"],
        usage: "directory [DIR]",
        help: "Look for source files in DIR first (alone: reset to the default places).",
    },
    CmdInfo {
        names: &["source"],
        usage: "source FILE",
        help: "Run the commands in FILE (stops at the first failure).",
    },
    CmdInfo {
        names: &["echo"],
        usage: "echo TEXT",
        help: "Print TEXT (C escapes such as \\n; no newline is added).",
    },
    CmdInfo {
        names: &["dump"],
        usage: "dump memory FILE START END",
        help: "Write the memory bytes [START, END) to FILE.",
    },
    CmdInfo {
        names: &["unset"],
        usage: "unset environment [NAME]",
        help: "Remove a variable (or all) from the program's environment.",
    },
    CmdInfo {
        names: &["disassemble", "disas"],
        usage: "disassemble [FUNC]",
        help: "Show WAT with code offsets; => marks the current instruction.",
    },
    CmdInfo {
        names: &["list", "l"],
        usage: "list [LINE | A,B | - | FUNC | FILE:LINE]",
        help: "Show source lines around the current location (DWARF); again: the next ones; -: the ones before.",
    },
    CmdInfo {
        names: &["info", "i"],
        usage: wdb_debugger::api::INFO_USAGE,
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

/// `Undefined command: "contnue".  Did you mean "continue"?`
pub fn unknown(name: &str) -> String {
    let best = COMMANDS
        .iter()
        .flat_map(|c| c.names.iter())
        .map(|n| (strsim::levenshtein(name, n), *n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 3))
        .min();
    match best {
        Some((_, n)) => {
            format!("Undefined command: \"{name}\".  Did you mean \"{n}\"?  Try \"help\".")
        }
        None => format!("Undefined command: \"{name}\".  Try \"help\"."),
    }
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
