//! `wdb gui [FILE.wasm] [-- ARGS...]`: the desktop inspector.

use std::path::PathBuf;

/// Open the desktop inspector (a module, or an open-file screen)
#[derive(clap::Args, Debug)]
pub struct GuiArgs {
    /// The module to open; without it the window shows an open-file screen
    pub file: Option<PathBuf>,
    /// Arguments for the guest's `_start` (after `--`)
    #[arg(last = true)]
    pub args: Vec<String>,
}

#[cfg(feature = "gui")]
pub fn main(args: GuiArgs) -> anyhow::Result<u8> {
    wdb_gui::run(args.file, args.args)?;
    Ok(0)
}

#[cfg(not(feature = "gui"))]
pub fn main(args: GuiArgs) -> anyhow::Result<u8> {
    let _ = args;
    anyhow::bail!("this wdb was built without the desktop inspector (cargo feature `gui`)")
}
