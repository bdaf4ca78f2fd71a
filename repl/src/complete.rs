//! Tab completion and hints for the line editor: command names, then
//! export/function names after `break`/`call`/`disassemble`, and file paths.

use std::borrow::Cow;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use crate::parse::COMMANDS;

pub struct WdbHelper {
    /// Exported function names (for `call`).
    pub exports: Vec<String>,
    /// Every named function (for `break`, `disassemble`).
    pub functions: Vec<String>,
    files: FilenameCompleter,
    hinter: HistoryHinter,
    pub color: bool,
}

impl WdbHelper {
    pub fn new(color: bool) -> WdbHelper {
        WdbHelper {
            exports: Vec::new(),
            functions: Vec::new(),
            files: FilenameCompleter::new(),
            hinter: HistoryHinter::new(),
            color,
        }
    }
}

/// Candidates for the word ending at `pos` (pure, for tests).
pub fn candidates(
    line: &str,
    pos: usize,
    exports: &[String],
    functions: &[String],
) -> (usize, Vec<String>) {
    let before = &line[..pos];
    let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let word = &before[start..];
    let first = before.split_whitespace().next().unwrap_or("");
    let mut out: Vec<String> = if start == 0 {
        COMMANDS
            .iter()
            .flat_map(|c| c.names.iter())
            .filter(|n| n.starts_with(word) && n.len() > 1)
            .map(|n| n.to_string())
            .collect()
    } else {
        let pool: &[String] = match first {
            "call" | "call/s" | "invoke" => exports,
            "break" | "b" | "br" | "tbreak" | "disassemble" | "disas" | "until" | "u"
            | "advance" | "list" | "l" => functions,
            "info" | "i" => {
                let subs = wdb_debugger::api::INFO_WORDS;
                return (
                    start,
                    subs.iter()
                        .filter(|s| s.starts_with(word))
                        .map(|s| s.to_string())
                        .collect(),
                );
            }
            // `set NAME`, `show NAME`: the settings (second word only).
            "set" | "show"
                if before.split_whitespace().count() == 1 + usize::from(!word.is_empty()) =>
            {
                let mut subs = vec!["unwindonsignal", "allocator", "substitute-path", "listsize"];
                if first == "set" {
                    subs.push("var");
                } else {
                    subs.extend(["version", "directories", "args"]);
                }
                subs.extend(crate::parse::REPL_SETTINGS.iter().copied());
                return (
                    start,
                    subs.iter()
                        .filter(|s| s.starts_with(word))
                        .map(|s| s.to_string())
                        .collect(),
                );
            }
            "help" | "h" => {
                return (
                    start,
                    COMMANDS
                        .iter()
                        .map(|c| c.names[0])
                        .filter(|n| n.starts_with(word))
                        .map(str::to_string)
                        .collect(),
                );
            }
            _ => &[],
        };
        pool.iter()
            .filter(|n| n.starts_with(word))
            .cloned()
            .collect()
    };
    out.sort();
    out.dedup();
    (start, out)
}

impl Completer for WdbHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, c) = candidates(line, pos, &self.exports, &self.functions);
        let first = line.split_whitespace().next().unwrap_or("");
        if c.is_empty()
            && start > 0
            && matches!(
                first,
                "run"
                    | "r"
                    | "file"
                    | "load"
                    | "call"
                    | "invoke"
                    | "source"
                    | "directory"
                    | "dir"
                    | "dump"
            )
        {
            return self.files.complete(line, pos, ctx);
        }
        Ok((
            start,
            c.into_iter()
                .map(|s| Pair {
                    display: s.clone(),
                    replacement: s,
                })
                .collect(),
        ))
    }
}

impl Hinter for WdbHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.hinter.hint(line, pos, ctx)
    }
}

impl Highlighter for WdbHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(crate::color::paint(true, crate::color::HINT, hint))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Validator for WdbHelper {}

impl Helper for WdbHelper {}

#[cfg(test)]
mod tests {
    use super::candidates;

    #[test]
    fn completes_commands_then_names() {
        let ex = vec!["fibArray".to_string(), "fib".to_string(), "add".to_string()];
        let (s, c) = candidates("disa", 4, &ex, &ex);
        assert_eq!(
            (s, c),
            (
                0,
                vec!["disable".to_string(), "disas".into(), "disassemble".into()]
            )
        );
        let (s, c) = candidates("call fi", 7, &ex, &ex);
        assert_eq!((s, c), (5, vec!["fib".to_string(), "fibArray".into()]));
        let (_, c) = candidates("info br", 7, &ex, &ex);
        assert_eq!(c, vec!["breakpoints".to_string()]);
        let (_, c) = candidates("p fi", 4, &ex, &ex);
        assert!(c.is_empty());
        let (s, c) = candidates("set unw", 7, &ex, &ex);
        assert_eq!((s, c), (4, vec!["unwindonsignal".to_string()]));
        let (_, c) = candidates("show vers", 9, &ex, &ex);
        assert_eq!(c, vec!["version".to_string()]);
        let (_, c) = candidates("set pa", 6, &ex, &ex);
        assert_eq!(c, vec!["pagination".to_string()]);
        // Only the setting's name completes, not its value.
        let (_, c) = candidates("set confirm o", 13, &ex, &ex);
        assert!(c.is_empty());
    }
}
