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

/// `wdb [--dir ..] [--env ..] [--stdin FILE] FILE.wasm [--batch SCRIPT] [ARGS...] [-- ARGS...]`:
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
    /// Arguments for the program (`run` passes them to `_start`)
    #[arg(value_name = "ARGS")]
    pub args: Vec<String>,
    /// More arguments, after `--`: they may start with `-`
    #[arg(last = true, value_name = "ARGS")]
    pub rest: Vec<String>,
}

impl DebugArgs {
    /// The program's arguments: the words after FILE, then those after `--`.
    pub fn program_args(&self) -> Vec<String> {
        self.args.iter().chain(&self.rest).cloned().collect()
    }
}
