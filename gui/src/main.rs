//! `wdb-gui`: the desktop inspector as a program of its own, so that the
//! `wdb` binary never links the GUI's wgpu stack. `wdb gui ARGS` starts it
//! with the same ARGS (the options `wdb run` takes: `--dir`, `--env`,
//! `--stdin`, then FILE.wasm and the program's arguments).

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "wdb-gui",
    version,
    about = "wdb's desktop inspector (also started as `wdb gui`)"
)]
struct Cli {
    #[command(flatten)]
    gui: wdb_debugger::cli::GuiArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = cli
        .gui
        .host
        .program(cli.gui.program_args())
        .map_err(anyhow::Error::msg)
        .and_then(|program| wdb_gui::run(cli.gui.file.clone(), program));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wdb-gui: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
