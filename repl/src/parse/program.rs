//! How `run` starts the program: `run ARGS < IN > OUT`, `set args`,
//! `set environment`, `unset environment`, `show args`, `show environment`.
//! Arguments split the way a shell splits them (`run "a b" c` is two).

use std::path::PathBuf;

use super::{ParseError, Parsed, ReplAction};

/// A change to the program's configuration, or a look at it. The REPL
/// applies it to the configuration the session last reported
/// (`Event::Program`) and sends the result whole (`Command::SetProgram`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgramEdit {
    /// `run ARGS [< IN] [> OUT]`, `start ARGS ...` or `set args ...`: the
    /// arguments and the redirections, replaced together as in gdb, then
    /// what `then` says.
    Args {
        args: Vec<String>,
        stdin: Option<PathBuf>,
        stdout: Option<PathBuf>,
        then: Then,
    },
    /// `set environment NAME=VALUE` (or `NAME VALUE`; `NAME` alone: empty).
    SetEnv(String, String),
    /// `unset environment [NAME]`: one variable, or all of them.
    UnsetEnv(Option<String>),
    ShowArgs,
    /// `show environment [NAME]`.
    ShowEnv(Option<String>),
}

fn edit(e: ProgramEdit) -> Result<Parsed, ParseError> {
    Ok(Parsed::Action(ReplAction::Program(e)))
}

fn err<T>(s: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(s.into()))
}

/// Arguments, then the files `<` and `>` name.
type ArgsAndRedirections = (Vec<String>, Option<PathBuf>, Option<PathBuf>);

/// `ARGS [< IN] [> OUT]` split as a shell would.
fn args_and_redirections(rest: &str) -> Result<ArgsAndRedirections, ParseError> {
    let words = shell_words::split(rest)
        .map_err(|e| ParseError(format!("cannot split the arguments: {e}")))?;
    let (mut args, mut stdin, mut stdout) = (Vec::new(), None, None);
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        let (slot, what, file) = if let Some(f) = w.strip_prefix('<') {
            (&mut stdin, "<", f.to_string())
        } else if w.starts_with(">>") || w.starts_with("2>") {
            return err(format!(
                "`{w}`: only `< FILE` and `> FILE` redirect the program"
            ));
        } else if let Some(f) = w.strip_prefix('>') {
            (&mut stdout, ">", f.to_string())
        } else {
            args.push(w);
            continue;
        };
        let file = if file.is_empty() {
            it.next()
                .ok_or_else(|| ParseError(format!("`{what}` needs a file name")))?
        } else {
            file
        };
        *slot = Some(PathBuf::from(file));
    }
    Ok((args, stdin, stdout))
}

/// `run`, `run ARGS < IN > OUT`. `run` alone reuses what the last one had;
/// `None` means "not mine" (plain `run`, a session command).
pub fn parse_run(rest: &str, then: Then) -> Option<Result<Parsed, ParseError>> {
    if rest.trim().is_empty() {
        return None;
    }
    Some(
        args_and_redirections(rest).and_then(|(args, stdin, stdout)| {
            edit(ProgramEdit::Args {
                args,
                stdin,
                stdout,
                then,
            })
        }),
    )
}

/// What follows setting the arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// `set args`.
    Nothing,
    /// `run ARGS`.
    Run,
    /// `start ARGS`: a temporary breakpoint on `main`, then run.
    Start,
}

/// `set args ...`, `set environment ...` (`set env`); `None` for any other
/// `set`.
pub fn parse_set(rest: &str) -> Option<Result<Parsed, ParseError>> {
    let (word, tail) = split_word(rest);
    match word {
        "args" => Some(
            args_and_redirections(tail).and_then(|(args, stdin, stdout)| {
                edit(ProgramEdit::Args {
                    args,
                    stdin,
                    stdout,
                    then: Then::Nothing,
                })
            }),
        ),
        "environment" | "env" => Some(parse_set_env(tail)),
        _ => None,
    }
}

fn parse_set_env(tail: &str) -> Result<Parsed, ParseError> {
    let (name, value) = match tail.split_once('=') {
        Some((n, v)) => (n.trim(), v.trim()),
        None => {
            let (n, v) = split_word(tail);
            (n, v.trim())
        }
    };
    if name.is_empty() {
        return err("usage: set environment NAME=VALUE");
    }
    if name.contains(char::is_whitespace) {
        return err(format!("`{name}` is not an environment variable name"));
    }
    edit(ProgramEdit::SetEnv(name.to_string(), value.to_string()))
}

/// `unset environment [NAME]`.
pub fn parse_unset(rest: &str) -> Result<Parsed, ParseError> {
    let (word, tail) = split_word(rest);
    match (word, tail.split_whitespace().collect::<Vec<_>>().as_slice()) {
        ("environment" | "env", []) => edit(ProgramEdit::UnsetEnv(None)),
        ("environment" | "env", [name]) => edit(ProgramEdit::UnsetEnv(Some(name.to_string()))),
        _ => err("usage: unset environment [NAME]"),
    }
}

/// `show args`, `show environment [NAME]`; `None` for any other `show`.
pub fn parse_show(rest: &str) -> Option<Result<Parsed, ParseError>> {
    let (word, tail) = split_word(rest);
    match word {
        "args" => Some(edit(ProgramEdit::ShowArgs)),
        "environment" | "env" => Some(edit(ProgramEdit::ShowEnv(
            (!tail.trim().is_empty()).then(|| tail.trim().to_string()),
        ))),
        _ => None,
    }
}

fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// The arguments as `show args` prints them: quoted for a shell, with the
/// redirections after them.
pub fn args_text(args: &[String], stdin: Option<&PathBuf>, stdout: Option<&PathBuf>) -> String {
    let mut words: Vec<String> = args
        .iter()
        .map(|a| shell_words::quote(a).into_owned())
        .collect();
    if let Some(f) = stdin {
        words.push(format!("< {}", shell_words::quote(&f.to_string_lossy())));
    }
    if let Some(f) = stdout {
        words.push(format!("> {}", shell_words::quote(&f.to_string_lossy())));
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(line: &str) -> ProgramEdit {
        match super::super::parse(line) {
            Ok(Parsed::Action(ReplAction::Program(e))) => e,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn run_splits_like_a_shell_and_redirects() {
        assert_eq!(
            program(r#"start "a b" c < in.txt"#),
            ProgramEdit::Args {
                args: vec!["a b".into(), "c".into()],
                stdin: Some("in.txt".into()),
                stdout: None,
                then: Then::Start,
            }
        );
        assert_eq!(
            program(r#"run "a b" c < in.txt > 'out file'"#),
            ProgramEdit::Args {
                args: vec!["a b".into(), "c".into()],
                stdin: Some("in.txt".into()),
                stdout: Some("out file".into()),
                then: Then::Run,
            }
        );
        assert_eq!(
            program("r <in.txt x"),
            ProgramEdit::Args {
                args: vec!["x".into()],
                stdin: Some("in.txt".into()),
                stdout: None,
                then: Then::Run,
            }
        );
        assert_eq!(
            program("set args 'it''s' \"q\\\"\""),
            ProgramEdit::Args {
                args: vec!["its".into(), "q\"".into()],
                stdin: None,
                stdout: None,
                then: Then::Nothing,
            }
        );
        assert!(super::super::parse("run \"open").is_err());
        assert!(super::super::parse("run <").is_err());
        assert!(super::super::parse("run >> log").is_err());
        // `run` alone is the session's: it reuses the last arguments.
        assert!(matches!(
            super::super::parse("run"),
            Ok(Parsed::Command(wdb_debugger::api::Command::Run {
                args: None
            }))
        ));
    }

    #[test]
    fn environment_commands() {
        assert_eq!(
            program("set environment HOME=/data"),
            ProgramEdit::SetEnv("HOME".into(), "/data".into())
        );
        assert_eq!(
            program("set env GREETING hello world"),
            ProgramEdit::SetEnv("GREETING".into(), "hello world".into())
        );
        assert_eq!(
            program("set env EMPTY"),
            ProgramEdit::SetEnv("EMPTY".into(), String::new())
        );
        assert_eq!(program("unset environment"), ProgramEdit::UnsetEnv(None));
        assert_eq!(
            program("unset env HOME"),
            ProgramEdit::UnsetEnv(Some("HOME".into()))
        );
        assert_eq!(program("show args"), ProgramEdit::ShowArgs);
        assert_eq!(
            program("show environment HOME"),
            ProgramEdit::ShowEnv(Some("HOME".into()))
        );
        assert!(super::super::parse("set environment").is_err());
        assert!(super::super::parse("unset nothing").is_err());
    }

    #[test]
    fn args_text_quotes_for_a_shell() {
        let t = args_text(
            &["a b".into(), "c".into()],
            Some(&PathBuf::from("in.txt")),
            None,
        );
        assert_eq!(t, "'a b' c < in.txt");
    }
}
