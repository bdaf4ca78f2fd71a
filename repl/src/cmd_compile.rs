//! `wdb compile FILE.wasm -o OUT`: ahead-of-time compilation with Cranelift,
//! in WasmEdge's two forms, chosen by the output's extension:
//! - `OUT.wasm` (or anything else): a universal module, the original bytes
//!   plus a `wdb.aot` custom section with the native code; it still runs
//!   anywhere, and wdb loads the code instead of compiling it.
//! - `OUT.so`: a shared object (`cranelift-object` + `cc -shared`).
//!
//! A component (WASI 0.2) compiles to its universal form only: each core
//! module in it becomes a universal module (`aot::compile_component_universal`).
//!
//! Built without the `jit` feature, `wdb compile` says so and fails.

use std::path::PathBuf;
#[cfg(feature = "jit")]
use std::sync::Arc;
#[cfg(feature = "jit")]
use std::time::Instant;

#[cfg(feature = "jit")]
use anyhow::Context;
use anyhow::bail;
use clap::Args;
#[cfg(feature = "jit")]
use indicatif::{ProgressBar, ProgressStyle};
#[cfg(feature = "jit")]
use wdb_debugger::engine::Module;
#[cfg(feature = "jit")]
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

#[cfg(feature = "jit")]
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

#[cfg(not(feature = "jit"))]
pub fn main(_args: CompileArgs) -> anyhow::Result<u8> {
    bail!("{}", wdb_debugger::engine::NO_JIT)
}

#[cfg(feature = "jit")]
pub fn main(args: CompileArgs) -> anyhow::Result<u8> {
    let opt = args.opt()?;
    if wdb_debugger::component_run::file_is_component(&args.file) {
        return compile_component(&args, opt);
    }
    let start = Instant::now();
    let module = Arc::new(
        Module::from_file(&args.file)
            .with_context(|| format!("loading {}", args.file.display()))?,
    );
    let bar = progress_bar(&args);
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

#[cfg(feature = "jit")]
fn progress_bar(args: &CompileArgs) -> ProgressBar {
    if args.quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(0);
    b.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} functions ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    b.set_message(format!("compiling {}", args.file.display()));
    b
}

/// A component: its universal form, each core module with its code.
#[cfg(feature = "jit")]
fn compile_component(args: &CompileArgs, opt: OptLevel) -> anyhow::Result<u8> {
    if args.output.extension().is_some_and(|e| e == "so") {
        bail!(
            "{}: this is a WebAssembly component (WASI 0.2): it compiles to a universal \
             component (`-o OUT.wasm`), not a shared object",
            args.file.display()
        );
    }
    let start = Instant::now();
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let comp = wdb_debugger::engine::component::Component::new(&bytes)
        .with_context(|| format!("loading {}", args.file.display()))?;
    let modules = comp.modules.len();
    let funcs: usize = comp.modules.iter().map(|m| m.bodies.len()).sum();
    let bar = progress_bar(args);
    let mut progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let out = aot::compile_component_universal(&bytes, opt, &mut progress)
        .with_context(|| format!("compiling {}", args.file.display()))?;
    std::fs::write(&args.output, out)
        .with_context(|| format!("writing {}", args.output.display()))?;
    bar.finish_and_clear();
    if !args.quiet {
        eprintln!(
            "wrote {} (universal component, {modules} core modules, {funcs} functions, opt-level {:?}) in {:.2?}",
            args.output.display(),
            opt,
            start.elapsed()
        );
    }
    Ok(0)
}
