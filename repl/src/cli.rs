//! The command line: `wdb FILE.wasm [-- ARGS]` opens the debugger; subcommands
//! run, test and compile modules. These spellings are a contract with users'
//! scripts: keep them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    /// Open the desktop inspector
    Gui(crate::cmd_gui::GuiArgs),
    /// Profile a module: interp, JIT and AOT side by side, per function and line
    Profile(crate::cmd_profile::ProfileArgs),
}

/// `wdb FILE.wasm [--batch SCRIPT] [-- ARGS...]`: the debugger REPL.
#[derive(Args, Debug)]
pub struct DebugArgs {
    /// The module to debug
    pub file: Option<PathBuf>,
    /// Run commands from SCRIPT (`-` for stdin) without a line editor; exit non-zero if one failed
    #[arg(long, value_name = "SCRIPT")]
    pub batch: Option<PathBuf>,
    /// Arguments for the guest's `_start` (after `--`)
    #[arg(last = true)]
    pub args: Vec<String>,
}
