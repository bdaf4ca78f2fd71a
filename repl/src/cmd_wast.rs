//! `wdb wast FILE.wast...`: run WebAssembly spec test scripts, printing
//! `FILE: N passed, M failed` per file and each failure; exit 1 on any failure.
//! `--mode interp|jit|aot` picks the engine (the same harness for all three).

use std::path::PathBuf;

use wdb_debugger::engine::spec::{Engine, run_wast_file};

/// Which engine runs the scripts.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The interpreter.
    #[default]
    Interp,
    /// The Cranelift JIT, each function compiled on its first call.
    Jit,
    /// Each module compiled ahead of time to a universal module (`wdb.aot`
    /// section), which is decoded and loaded back before it runs.
    Aot,
}

impl Mode {
    fn engine(self) -> Engine {
        match self {
            Mode::Interp => Engine::Interp,
            Mode::Jit => Engine::Jit,
            Mode::Aot => Engine::Aot,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct WastArgs {
    /// The scripts to run
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The engine that runs them
    #[arg(long, value_enum, default_value_t = Mode::Interp)]
    pub mode: Mode,
}

pub fn main(args: WastArgs) -> anyhow::Result<u8> {
    let mut any_failed = false;
    let (mut total_passed, mut total_failed) = (0, 0);
    for file in &args.files {
        let report = run_wast_file(file, args.mode.engine());
        println!(
            "{}: {} passed, {} failed",
            file.display(),
            report.passed,
            report.failed
        );
        for f in &report.failures {
            println!("  {f}");
        }
        total_passed += report.passed;
        total_failed += report.failed;
        any_failed |= report.failed > 0;
    }
    if args.files.len() > 1 {
        println!("total: {total_passed} passed, {total_failed} failed");
    }
    Ok(u8::from(any_failed))
}
