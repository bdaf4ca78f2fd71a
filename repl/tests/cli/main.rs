//! The `cli` test binary: `wdb` driven as users drive it (the binary Cargo
//! built for this run, `CARGO_BIN_EXE_wdb`), one module per concern, as
//! ripgrep's `tests/tests.rs` does: one binary to link instead of one per
//! file. A module's tests are named `MODULE::test`, so a filter picks one:
//!
//! ```text
//! cargo test -p wdb --test cli -- session_golden::
//! cargo test -p wdb --test cli -- run_cli::traps::
//! ```
//!
//! Built without the `jit` feature, the modules and tests that need the JIT
//! or AOT (`--mode jit|aot`, `mode jit`, `wdb compile`) are compiled out.

use std::path::{Path, PathBuf};

/// `wdb compile` at every optimisation level; universal modules elsewhere.
#[cfg(feature = "jit")]
mod compile_cli;
/// `--timeout`, `--fuel`, `--max-memory`, a 100 MB module.
mod limits_cli;
/// `mode jit` shows in the debugger what `mode interp` shows.
#[cfg(feature = "jit")]
mod modes_golden;
/// Ctrl-C in JIT code on a pty.
#[cfg(feature = "jit")]
mod modes_pty;
/// `wdb run --mode interp|jit|aot`: the same output in every mode.
#[cfg(feature = "jit")]
mod modes_run;
/// `wdb profile` as a user runs it.
mod profile_cli;
/// The program's I/O in the debugger: host options, redirections, state.
mod program_io;
/// The REPL on a pty: completion, history, Ctrl-C.
mod repl_pty;
/// The REPL survives traps, exits, floods and fuzzed lines.
mod robustness;
/// `wdb run`: invocation, traps, host options, whole programs.
mod run_cli;
/// The golden transcripts `fixtures/sessions/*.wdb|.out`.
mod session_golden;
/// `wdb wast` in every mode.
#[cfg(feature = "jit")]
mod wast_cli;

/// The workspace root (the corpus is at `../shared/corpus` from there).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repl/ is inside the workspace")
        .to_path_buf()
}

/// The `wdb` binary Cargo built for this run.
fn wdb_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wdb"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
