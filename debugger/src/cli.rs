//! The host options every front end takes on its command line, as `wdb run`
//! spells them: `--dir`, `--env`, `--stdin`. One clap struct, flattened into
//! `wdb run`, `wdb FILE.wasm` (the debugger) and `wdb gui` / `wdb-gui`, so
//! the three can never drift apart.

use std::path::PathBuf;

use crate::api::ProgramConfig;

#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct HostArgs {
    /// Preopen a directory: HOST::GUEST (wasmtime), GUEST:HOST (WasmEdge) or DIR
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,
    /// Set a guest environment variable; NAME alone passes the host's value
    /// (the host environment is not inherited)
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    pub envs: Vec<String>,
    /// The guest reads its stdin from FILE
    #[arg(long, value_name = "FILE")]
    pub stdin: Option<PathBuf>,
    /// Let a WASI 0.2 guest use the host's network: TCP, UDP, name lookups
    /// (without it every socket operation is denied, access-denied)
    #[arg(long)]
    pub inherit_network: bool,
}

impl HostArgs {
    /// The guest's environment: `NAME=VALUE` as given, `NAME` with the
    /// host's value (as wasmtime does; an error when the host has none).
    pub fn env(&self) -> Result<Vec<(String, String)>, String> {
        self.envs
            .iter()
            .map(|e| {
                let (name, value) = match e.split_once('=') {
                    Some((n, v)) => (n.to_string(), v.to_string()),
                    None => {
                        let v = std::env::var(e).map_err(|_| {
                            format!(
                                "--env {e}: the host has no variable `{e}` to pass on (use NAME=VALUE)"
                            )
                        })?;
                        (e.clone(), v)
                    }
                };
                if name.is_empty() {
                    return Err(format!("--env `{e}`: expected NAME=VALUE or NAME"));
                }
                Ok((name, value))
            })
            .collect()
    }

    /// Check the directories' spelling (the directories themselves are
    /// opened when the guest starts).
    pub fn check_dirs(&self) -> Result<(), String> {
        for d in &self.dirs {
            crate::runner::parse_dir(d).map_err(|e| format!("--dir {e}"))?;
        }
        Ok(())
    }

    /// The debugger's run configuration with these options and `args`.
    pub fn program(&self, args: Vec<String>) -> Result<ProgramConfig, String> {
        self.check_dirs()?;
        Ok(ProgramConfig {
            args,
            env: self.env()?,
            dirs: self.dirs.clone(),
            stdin: self.stdin.clone(),
            stdout: None,
            inherit_network: self.inherit_network,
        })
    }
}

/// `wdb gui [OPTIONS] [FILE.wasm [ARGS...]]`, which starts `wdb-gui` with
/// the same words.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct GuiArgs {
    #[command(flatten)]
    pub host: HostArgs,
    /// The module to open; without it the window shows an open-file screen
    #[arg(value_name = "FILE.wasm")]
    pub file: Option<PathBuf>,
    /// Arguments for the program (`run` passes them to `_start`): every
    /// word after FILE, as in `wasmtime run`; a `--` before them is dropped.
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<String>,
}

impl GuiArgs {
    /// The program's arguments: the words after FILE (and after `--`).
    pub fn program_args(&self) -> Vec<String> {
        program_args(&self.args)
    }

    /// The same options as command-line words, for starting `wdb-gui`.
    pub fn to_words(&self) -> Vec<std::ffi::OsString> {
        let mut w: Vec<std::ffi::OsString> = Vec::new();
        for d in &self.host.dirs {
            w.extend(["--dir".into(), d.into()]);
        }
        for e in &self.host.envs {
            w.extend(["--env".into(), e.into()]);
        }
        if let Some(f) = &self.host.stdin {
            w.extend(["--stdin".into(), f.into()]);
        }
        if let Some(f) = &self.file {
            w.push(f.into());
            w.push("--".into());
            w.extend(self.program_args().into_iter().map(Into::into));
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_inherits_a_bare_name() {
        let path = std::env::var("PATH").expect("tests run with a PATH");
        let h = HostArgs {
            envs: vec!["A=1".into(), "PATH".into(), "B=x=y".into()],
            ..Default::default()
        };
        assert_eq!(
            h.env().unwrap(),
            [
                ("A".to_string(), "1".to_string()),
                ("PATH".to_string(), path),
                ("B".to_string(), "x=y".to_string())
            ]
        );
        let missing = HostArgs {
            envs: vec!["WDB_SURELY_UNSET_VARIABLE".into()],
            ..Default::default()
        };
        assert!(missing.env().unwrap_err().contains("no variable"));
        let empty = HostArgs {
            envs: vec!["=v".into()],
            ..Default::default()
        };
        assert!(empty.env().is_err());
    }

    #[test]
    fn gui_words_parse_back_to_the_same_options() {
        #[derive(clap::Parser)]
        struct P {
            #[command(flatten)]
            gui: GuiArgs,
        }
        use clap::Parser as _;
        let first = P::parse_from([
            "wdb-gui", "--dir", "data::/", "--env", "A=1", "--stdin", "in.txt", "app.wasm", "x",
            "-y", "--", "--env",
        ])
        .gui;
        assert_eq!(first.program_args(), ["x", "-y", "--", "--env"]);
        assert_eq!(first.host.envs, ["A=1"]);
        let again = P::parse_from(std::iter::once("wdb-gui".into()).chain(first.to_words())).gui;
        assert_eq!(again.host, first.host);
        assert_eq!(again.file, first.file);
        assert_eq!(again.program_args(), first.program_args());
    }

    #[test]
    fn program_checks_directories() {
        let h = HostArgs {
            dirs: vec!["::x".into()],
            ..Default::default()
        };
        assert!(h.program(vec![]).unwrap_err().starts_with("--dir"));
        let h = HostArgs {
            dirs: vec!["data::/".into()],
            stdin: Some("in.txt".into()),
            ..Default::default()
        };
        let p = h.program(vec!["a b".into()]).unwrap();
        assert_eq!(p.args, ["a b"]);
        assert_eq!(p.dirs, ["data::/"]);
        assert_eq!(p.stdin, Some(PathBuf::from("in.txt")));
    }
}

/// The program's arguments from the words after FILE: a `--` right after
/// FILE is dropped, a later one is the program's (as gdb's `--args`).
pub fn program_args(words: &[String]) -> Vec<String> {
    match words.split_first() {
        Some((first, rest)) if first == "--" => rest.to_vec(),
        _ => words.to_vec(),
    }
}
