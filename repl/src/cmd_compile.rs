//! `wdb compile FILE.wasm -o OUT`: ahead-of-time compilation with Cranelift,
//! in WasmEdge's two forms, chosen by the output's extension:
//! - `OUT.wasm` (or anything else): a universal module, the original bytes
//!   plus a `wdb.aot` custom section with the native code; it still runs
//!   anywhere, and wdb loads the code instead of compiling it.
//! - `OUT.so`: a shared object (`cranelift-object` + `cc -shared`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use wdb_debugger::engine::Module;
use wdb_debugger::engine::jit::{OptLevel, aot};

#[derive(Args, Debug)]
pub struct CompileArgs {
    /// The module to compile
    pub file: PathBuf,
    /// Output: `X.wasm` for a universal module, `X.so` for a shared object
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Cranelift optimisation: none, speed, speed_and_size (or 0, 1, 2)
    #[arg(long, value_name = "LEVEL", default_value = "speed")]
    pub opt_level: String,
    /// `-O0`, `-O1`, `-O2`: same as --opt-level none, speed, speed_and_size
    #[arg(short = 'O', value_name = "N", conflicts_with = "opt_level")]
    pub o: Option<String>,
    /// No progress bar
    #[arg(short, long)]
    pub quiet: bool,
}

impl CompileArgs {
    fn opt(&self) -> anyhow::Result<OptLevel> {
        let s = self.o.as_deref().unwrap_or(&self.opt_level);
        match OptLevel::parse(s) {
            Some(o) => Ok(o),
            None => bail!(
                "unknown --opt-level `{}` (expected none, speed, speed_and_size, or 0, 1, 2)",
                s
            ),
        }
    }
}

pub fn main(args: CompileArgs) -> anyhow::Result<u8> {
    let opt = args.opt()?;
    if wdb_debugger::component_run::file_is_component(&args.file) {
        bail!(
            "{}: this is a WebAssembly component (WASI 0.2): `wdb compile` takes core modules \
             only for now; `wdb run` and the debugger run components",
            args.file.display()
        );
    }
    let start = Instant::now();
    let module = Arc::new(
        Module::from_file(&args.file)
            .with_context(|| format!("loading {}", args.file.display()))?,
    );
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} functions ({elapsed})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b.set_message(format!("compiling {}", args.file.display()));
        b
    };
    let mut progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let so = args.output.extension().is_some_and(|e| e == "so");
    if so {
        aot::write_shared_object(&module, opt, &args.output, &mut progress)
            .with_context(|| format!("compiling {}", args.file.display()))?;
    } else {
        let bytes = aot::compile_universal(&module, opt, &mut progress)
            .with_context(|| format!("compiling {}", args.file.display()))?;
        std::fs::write(&args.output, bytes)
            .with_context(|| format!("writing {}", args.output.display()))?;
    }
    bar.finish_and_clear();
    if !args.quiet {
        eprintln!(
            "wrote {} ({} form, {} functions, opt-level {:?}) in {:.2?}",
            args.output.display(),
            if so { "shared object" } else { "universal" },
            module.bodies.len(),
            opt,
            start.elapsed()
        );
    }
    Ok(0)
}
