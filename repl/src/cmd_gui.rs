//! `wdb gui [OPTIONS] [FILE.wasm [ARGS...]]`: the desktop inspector. It is a
//! program of its own, `wdb-gui` (crate `wdb_gui`), so building `wdb` never
//! builds the GUI's wgpu stack; this starts it with the same options.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub use wdb_debugger::cli::GuiArgs;

/// `$WDB_GUI`, else `wdb-gui` beside this executable.
fn gui_program() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("WDB_GUI") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().context("finding the wdb executable")?;
    Ok(exe.with_file_name(format!("wdb-gui{}", std::env::consts::EXE_SUFFIX)))
}

/// The command that builds `wdb-gui` where `gui_program` looks for it.
fn build_hint(program: &Path) -> String {
    let release = program
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|d| d == "release");
    format!(
        "cargo build{} -p wdb_gui",
        if release { " --release" } else { "" }
    )
}

pub fn main(args: GuiArgs) -> anyhow::Result<u8> {
    args.host
        .program(args.program_args())
        .map_err(anyhow::Error::msg)?;
    let program = gui_program()?;
    if !program.exists() {
        anyhow::bail!(
            "the desktop inspector is a separate program, {}, which is not built: \
             build it with `{}` (`cargo test --workspace` builds it too)",
            program.display(),
            build_hint(&program)
        );
    }
    let status = std::process::Command::new(&program)
        .args(args.to_words())
        .status()
        .with_context(|| format!("starting {}", program.display()))?;
    Ok(status.code().map_or(1, |c| c.clamp(0, 255) as u8))
}
