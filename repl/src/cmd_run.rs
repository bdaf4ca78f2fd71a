//! `wdb run`: run a module as a command (`_start`) or a reactor
//! (`--reactor FILE FUNC ARGS` / `--invoke FUNC FILE ARGS`). A thin layer
//! over `wdb_debugger::runner`; these spellings are a user contract.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use wdb_debugger::cli::HostArgs;
use wdb_debugger::code_cache;
use wdb_debugger::engine::interp::{PauseReason, RunOutcome};
use wdb_debugger::engine::wasi::{Output, Stdin, TraceSink, WasiConfig};
use wdb_debugger::runner::{self, Mode, RunConfig};

/// Exit status when the guest traps.
pub const EXIT_TRAP: u8 = 134;
/// Exit status when `--fuel` runs out.
pub const EXIT_OUT_OF_FUEL: u8 = 3;
/// Exit status when `--timeout` fires.
pub const EXIT_TIMEOUT: u8 = 124;

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModeArg {
    /// The interpreter (exact --fuel in instructions)
    #[cfg_attr(not(feature = "jit"), default)]
    Interp,
    /// Cranelift JIT, compiled at start (compile time is part of the run; cached, see --no-cache)
    #[cfg_attr(feature = "jit", default)]
    Jit,
    /// Native code from `wdb compile FILE -o OUT.wasm` (or OUT.so); a plain module is compiled now
    Aot,
}

/// `--unknown-imports`: what a function import neither WASI nor wdb
/// provides becomes.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownImportsArg {
    /// Each call to it traps, naming the import
    Trap,
    /// It returns zeros (null references) and does nothing else
    Default,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Exit status: the guest's exit code (proc_exit; 0 when _start returns);
134 when the guest traps; 3 when --fuel runs out; 124 when --timeout fires;
2 when the module cannot be loaded, linked or called as asked.

Modes: --mode jit (the default) compiles with Cranelift before running and
keeps the code in a cache, as wasmtime does, so the next run of the same
module loads it instead ($WDB_CACHE_DIR, else $XDG_CACHE_HOME/wdb/code, else
~/.cache/wdb/code; at most 512 MiB, least recently used entries go first);
--mode aot runs code saved by `wdb compile FILE -o OUT.wasm` (or OUT.so),
compiling a plain module now with a note, and falling back to the JIT with a
warning when the code was made for another machine or wdb version;
--mode interp interprets. Traps, backtraces and exit codes are the same in
every mode.

Fuel: --fuel N stops after N wasm instructions, at the same instruction in
every mode (JIT and AOT code count them per straight-line stretch).

Examples:
  wdb run hello.wasm
  wdb run --dir data::/ --env HOME=/ --env USER prog.wasm arg1 arg2
  wdb run --stdin input.txt prog.wasm
  wdb run --reactor fib.wasm fibArray 10
  wdb run --invoke fibArray fib.wasm 10
  wdb run app.wasm ARGS                      (a WASI 0.2 component: wasi:cli/run)
  wdb run --invoke 'greet(\"world\")' lib.wasm  (a component export, WAVE values)")]
pub struct RunArgs {
    /// Reactor mode (WasmEdge's form): the first ARG after FILE is the function to call
    #[arg(long)]
    pub reactor: bool,
    /// Call this export instead of `_start` (wasmtime's form; `_initialize` runs first)
    #[arg(long, value_name = "FUNC")]
    pub invoke: Option<String>,
    #[command(flatten)]
    pub host: HostArgs,
    /// Stop after N wasm instructions (at the same instruction in every mode)
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Interrupt the guest after DURATION (10s, 500ms, 2m)
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Largest linear memory (65536, 64MiB, 1GiB)
    #[arg(long, value_name = "BYTES")]
    pub max_memory: Option<String>,
    /// Print one strace-like line per WASI call to stderr
    #[arg(long)]
    pub trace_wasi: bool,
    /// Execution engine
    #[arg(long, value_enum, default_value_t = ModeArg::default())]
    pub mode: ModeArg,
    /// With --mode jit: compile every time, neither reading nor writing the code cache
    #[arg(long)]
    pub no_cache: bool,
    /// Run a module whose non-WASI function imports wdb cannot satisfy:
    /// each such call traps, or returns zeros (without it, the run fails
    /// naming every missing import)
    #[arg(long, value_enum, value_name = "trap|default")]
    pub unknown_imports: Option<UnknownImportsArg>,
    /// The module to run
    #[arg(value_name = "FILE.wasm")]
    pub file: PathBuf,
    /// Arguments for the guest (command) or for FUNC (reactor)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}

/// Turn the command line into a [`RunConfig`].
pub fn config(args: &RunArgs) -> anyhow::Result<RunConfig> {
    let mut guest_args = args.args.clone();
    let invoke = if args.reactor {
        if args.invoke.is_some() {
            anyhow::bail!("use either --reactor FILE FUNC or --invoke FUNC FILE, not both");
        }
        if guest_args.is_empty() {
            anyhow::bail!(
                "--reactor needs a function name after the module: wdb run --reactor FILE.wasm FUNC [ARGS...]"
            );
        }
        let f = guest_args.remove(0);
        Some((f, guest_args.clone()))
    } else {
        args.invoke.clone().map(|f| (f, guest_args.clone()))
    };
    let env = args.host.env().map_err(anyhow::Error::msg)?;
    let mut preopens = Vec::new();
    for d in &args.host.dirs {
        preopens.push(runner::parse_dir(d).map_err(|e| anyhow::anyhow!("--dir {e}"))?);
    }
    let stdin = match &args.host.stdin {
        Some(f) => Stdin::Bytes(
            std::fs::read(f).with_context(|| format!("--stdin: reading {}", f.display()))?,
        ),
        None => Stdin::Inherit,
    };
    let timeout = args
        .timeout
        .as_deref()
        .map(runner::parse_duration)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--timeout: {e}"))?;
    let max_memory = args
        .max_memory
        .as_deref()
        .map(runner::parse_bytes)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--max-memory: {e}"))?;
    // argv[0] is the module's file name, as wasmtime passes it.
    let program = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().to_string(),
    );
    let mut argv = vec![program];
    if invoke.is_none() {
        argv.extend(guest_args);
    }
    let trace_sink = args.trace_wasi.then(|| {
        TraceSink(Arc::new(|line: &str| {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }))
    });
    Ok(RunConfig {
        file: args.file.clone(),
        module: None,
        mode: match args.mode {
            ModeArg::Interp => Mode::Interp,
            ModeArg::Jit => Mode::Jit,
            ModeArg::Aot => Mode::Aot,
        },
        invoke,
        wasi: WasiConfig {
            args: argv,
            env,
            preopens,
            stdin,
            stdout: Output::Inherit,
            stderr: Output::Inherit,
            trace: args.trace_wasi,
            trace_sink,
            inherit_network: args.host.inherit_network,
        },
        fuel: args.fuel,
        timeout,
        max_memory,
        count_instructions: false,
        code_cache: if args.no_cache {
            None
        } else {
            code_cache::default_dir()
        },
        host_imports: Vec::new(),
        unknown_imports: args.unknown_imports.map(|u| match u {
            UnknownImportsArg::Trap => runner::UnknownImports::Trap,
            UnknownImportsArg::Default => runner::UnknownImports::Default,
        }),
        note_sink: Some(TraceSink(Arc::new(|line: &str| {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }))),
        ..RunConfig::default()
    })
}

pub fn main(args: RunArgs) -> anyhow::Result<u8> {
    let cfg = config(&args)?;
    let timeout = args.timeout.clone();
    let report = runner::run(cfg).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    for v in &report.results {
        writeln!(out, "{v}")?;
    }
    if let Some(v) = &report.component_result {
        writeln!(out, "{v}")?;
    }
    out.flush()?;
    let mut err = std::io::stderr().lock();
    Ok(match &report.outcome {
        RunOutcome::Returned(_) => 0,
        RunOutcome::Exited(c) => *c as u8,
        RunOutcome::Trapped(trap) => {
            writeln!(err, "wdb: trap: {}", trap.message)?;
            for line in runner::format_backtrace_with_lines(trap, &report.module, &args.file) {
                writeln!(err, "{line}")?;
            }
            EXIT_TRAP
        }
        RunOutcome::OutOfFuel => {
            writeln!(
                err,
                "wdb: out of fuel after {} {}",
                report.instructions.or(args.fuel).unwrap_or(0),
                report.mode.fuel_unit()
            )?;
            EXIT_OUT_OF_FUEL
        }
        RunOutcome::Paused(PauseReason::Interrupted) => {
            writeln!(
                err,
                "wdb: interrupted: timeout after {}",
                timeout.as_deref().unwrap_or("?")
            )?;
            EXIT_TIMEOUT
        }
        RunOutcome::Paused(other) => {
            writeln!(err, "wdb: stopped unexpectedly: {other:?}")?;
            1
        }
    })
}
