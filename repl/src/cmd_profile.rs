//! `wdb profile`: the same work interpreted, JIT- and AOT-compiled, side by
//! side, down to functions and source lines. A thin layer over
//! `wdb_debugger::profile`; these spellings are a user contract.

use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use wdb_debugger::profile::{self, ProfileConfig};
use wdb_debugger::runner::{self, Mode};

use crate::cmd_run::ModeArg;

/// Exit status when the guest's output differs between modes.
pub const EXIT_MISMATCH: u8 = 1;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Figures: per mode, load (decode+validate, once), compile (JIT: Cranelift;
AOT: loading the code of a wdb.aot section, compiled in memory first when the
file has none), instantiate and run: wall, and process CPU while running,
median [min..max] of --runs plain runs. Instructions and self/inclusive
instruction counts are counted exactly by the interpreter. Per function:
calls are counted exactly in every mode (the JIT and AOT figures come from an
extra run of a profiling build of the native code, which counts calls and
keeps a shadow stack); times are sampled (interp: every 4096 instructions;
jit/aot: every ~1 ms). Exit status 1 when the guest's stdout, outcome or call
counts differ between modes, 2 when the module cannot be run.

Flame graphs: --flamegraph draws one mode, chosen with --flame-mode
(interp: stacks weighed by exact instruction counts, the default; jit/aot:
by sampled time). --speedscope writes every mode's profile into one file
(interp instructions, interp time, then jit and aot time).

Examples:
  wdb profile fixtures/bench/pi-O2.wasm -- 1000
  wdb profile fixtures/fib.wasm --invoke fib 20 --modes interp
  wdb profile fixtures/bench/pi-O2.wasm --native 'fixtures/bench/native/pi 1000' -- 1000
  wdb profile fixtures/dwarf/rustprog.wasm --lines --flamegraph fg.svg
  wdb profile fixtures/bench/pi-O2.wasm --flamegraph jit.svg --flame-mode jit -- 1000")]
pub struct ProfileArgs {
    /// The module to profile
    #[arg(value_name = "FILE.wasm")]
    pub file: PathBuf,
    /// Call this export (reactor; `_initialize` runs first) instead of `_start`
    #[arg(long, value_name = "FUNC")]
    pub invoke: Option<String>,
    /// Engine modes to compare, comma-separated
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "interp,jit,aot"
    )]
    pub modes: Vec<ModeArg>,
    /// Timed runs per mode (median, min and max are shown)
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub runs: u32,
    /// A native command doing the same work, timed N times too (run by bash)
    #[arg(long, value_name = "CMD")]
    pub native: Option<String>,
    /// Print the report as JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Write an SVG flame graph (of --flame-mode's profile)
    #[arg(long, value_name = "OUT.svg")]
    pub flamegraph: Option<PathBuf>,
    /// Which mode --flamegraph draws: interp (instructions, exact) or jit/aot (sampled time)
    #[arg(long, value_enum, value_name = "MODE", default_value = "interp")]
    pub flame_mode: ModeArg,
    /// Write a speedscope profile (every mode: instructions and sampled time)
    #[arg(long, value_name = "OUT.json")]
    pub speedscope: Option<PathBuf>,
    /// Attribute instructions to source lines (DWARF) and list the hottest 20
    #[arg(long)]
    pub lines: bool,
    /// Preopen a directory: HOST::GUEST, GUEST:HOST or DIR
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,
    /// Set a guest environment variable
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub envs: Vec<String>,
    /// Arguments for FUNC (--invoke) or the guest's argv (after `--`)
    #[arg(value_name = "ARGS", allow_hyphen_values = false)]
    pub args: Vec<String>,
}

fn mode(m: ModeArg) -> Mode {
    match m {
        ModeArg::Interp => Mode::Interp,
        ModeArg::Jit => Mode::Jit,
        ModeArg::Aot => Mode::Aot,
    }
}

/// Turn the command line into a [`ProfileConfig`] (no progress reporting).
pub fn config(args: &ProfileArgs) -> anyhow::Result<ProfileConfig> {
    if args.runs == 0 {
        anyhow::bail!("--runs must be at least 1");
    }
    let mut env = Vec::new();
    for e in &args.envs {
        let (k, v) = e
            .split_once('=')
            .with_context(|| format!("--env `{e}`: expected NAME=VALUE"))?;
        env.push((k.to_string(), v.to_string()));
    }
    let mut preopens = Vec::new();
    for d in &args.dirs {
        preopens.push(runner::parse_dir(d).map_err(|e| anyhow::anyhow!("--dir {e}"))?);
    }
    let mut modes: Vec<Mode> = Vec::new();
    for &m in &args.modes {
        if !modes.contains(&mode(m)) {
            modes.push(mode(m));
        }
    }
    Ok(ProfileConfig {
        file: args.file.clone(),
        invoke: args.invoke.clone().map(|f| (f, args.args.clone())),
        args: if args.invoke.is_some() {
            Vec::new()
        } else {
            args.args.clone()
        },
        env,
        preopens,
        modes,
        runs: args.runs,
        native: args.native.clone(),
        lines: args.lines,
        ..ProfileConfig::default()
    })
}

pub fn main(args: ProfileArgs) -> anyhow::Result<u8> {
    let mut cfg = config(&args)?;
    if args.flamegraph.is_some() && !cfg.modes.contains(&mode(args.flame_mode)) {
        anyhow::bail!(
            "--flame-mode {} is not among --modes",
            mode(args.flame_mode).name()
        );
    }
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(1);
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    if let Some(b) = &bar {
        let b = b.clone();
        cfg.progress = Some(Arc::new(move |what: &str, done: u64, total: u64| {
            b.set_length(total);
            b.set_position(done);
            b.set_message(what.to_string());
        }));
    }
    let report = profile::profile(cfg).map_err(|e| anyhow::anyhow!("{e}"));
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = report?;
    if let Some(path) = &args.flamegraph {
        let svg = report
            .flamegraph_svg_for(mode(args.flame_mode).name())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        std::fs::write(path, svg).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.speedscope {
        std::fs::write(path, report.speedscope_json())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", report.to_json())?;
    } else {
        let color = crate::color::stdout();
        write!(out, "{}", crate::render::profile::table(&report, color))?;
    }
    out.flush()?;
    if !report.stdout_mismatches.is_empty() {
        let mut err = std::io::stderr().lock();
        writeln!(err, "wdb: error: THE GUEST'S OUTPUT DIFFERS BETWEEN MODES")?;
        for m in &report.stdout_mismatches {
            writeln!(err, "  {m}")?;
        }
        return Ok(EXIT_MISMATCH);
    }
    Ok(0)
}
