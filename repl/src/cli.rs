//! The command line: `wdb [OPTIONS] FILE.wasm [ARGS...]` opens the debugger;
//! subcommands run, test and compile modules. These spellings are a contract
//! with users' scripts: keep them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use wdb_debugger::cli::HostArgs;

#[derive(Parser, Debug)]
#[command(
    name = "wdb",
    version,
    about = "A WebAssembly debugger, REPL and runtime",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub debug: DebugArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a module: its `_start` (command), or an export (`--reactor`, `--invoke`)
    Run(crate::cmd_run::RunArgs),
    /// Run WebAssembly spec test scripts (.wast)
    Wast(crate::cmd_wast::WastArgs),
    /// Compile a module ahead of time (universal `.wasm` with native code, or `.so`)
    Compile(crate::cmd_compile::CompileArgs),
    /// Open the desktop inspector (the separate `wdb-gui` program)
    Gui(crate::cmd_gui::GuiArgs),
    /// Profile a module: interp, JIT and AOT side by side, per function and line
    Profile(crate::cmd_profile::ProfileArgs),
}

/// `wdb [--dir ..] [--env ..] [--stdin FILE] [--batch SCRIPT] FILE.wasm [ARGS...]`:
/// the debugger REPL.
#[derive(Args, Debug)]
pub struct DebugArgs {
    #[command(flatten)]
    pub host: HostArgs,
    /// Run commands from SCRIPT (`-` for stdin) without a line editor; exit non-zero if one failed
    #[arg(long, value_name = "SCRIPT")]
    pub batch: Option<PathBuf>,
    /// Neither restore nor save breakpoints between sessions (scripts and
    /// piped input never restore them)
    #[arg(long)]
    pub no_state: bool,
    /// gdb's spelling: the words after FILE are the program's arguments (they are anyway)
    #[arg(long = "args")]
    pub gdb_args: bool,
    /// The module to debug
    pub file: Option<PathBuf>,
    /// Arguments for the program (`run` passes them to `_start`). As in
    /// `wasmtime run`, every word after the first one is the program's,
    /// even one that starts with `-`; a `--` before them is dropped.
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<String>,
}

impl DebugArgs {
    /// The program's arguments: the words after FILE (and after `--`).
    pub fn program_args(&self) -> Vec<String> {
        wdb_debugger::cli::program_args(&self.args)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::Cli;

    fn parse(words: &[&str]) -> (Option<String>, Vec<String>, Option<String>) {
        let cli = Cli::try_parse_from(std::iter::once("wdb").chain(words.iter().copied()))
            .unwrap_or_else(|e| panic!("{words:?}: {e}"));
        let d = cli.debug;
        let args = d.program_args();
        (
            d.file.map(|f| f.display().to_string()),
            args,
            d.batch.map(|f| f.display().to_string()),
        )
    }

    #[test]
    fn words_after_the_module_are_the_programs() {
        let s = |v: &[&str]| v.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        for words in [
            &["app.wasm", "a", "-x", "--batch", "b"][..],
            &["app.wasm", "--", "a", "-x", "--batch", "b"],
            &["--args", "app.wasm", "a", "-x", "--batch", "b"],
            &["app.wasm", "a", "--", "-x", "--batch", "b"],
        ] {
            let (file, args, batch) = parse(words);
            assert_eq!(file.as_deref(), Some("app.wasm"), "{words:?}");
            let mut want = s(&["a", "-x", "--batch", "b"]);
            if words.get(2) == Some(&"--") {
                want.insert(1, "--".into());
            }
            assert_eq!(args, want, "{words:?}");
            assert_eq!(batch, None, "{words:?}");
        }
        // Options before the first program argument are wdb's.
        let (file, args, batch) = parse(&["app.wasm", "--batch", "s.wdb", "--", "20"]);
        assert_eq!(file.as_deref(), Some("app.wasm"));
        assert_eq!(args, s(&["20"]));
        assert_eq!(batch.as_deref(), Some("s.wdb"));
        let (_, args, _) = parse(&["--dir", "d", "app.wasm", "--no-state", "x"]);
        assert_eq!(args, s(&["x"]));
    }
}
