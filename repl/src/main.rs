//! The `wdb` binary: command-line parsing and dispatch. Each subcommand lives
//! in its own module; errors are printed once, here, with their context chain.

mod cli;
mod cmd_compile;
mod cmd_gui;
mod cmd_profile;
mod cmd_run;
mod cmd_wast;
mod color;
mod complete;
mod debug;
mod highlight;
mod parse;
mod render;
mod settings;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        Some(cli::Command::Run(args)) => cmd_run::main(args),
        Some(cli::Command::Wast(args)) => cmd_wast::main(args),
        Some(cli::Command::Compile(args)) => cmd_compile::main(args),
        Some(cli::Command::Gui(args)) => cmd_gui::main(args),
        Some(cli::Command::Profile(args)) => cmd_profile::main(args),
        None => debug::main(cli.debug),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("wdb: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
