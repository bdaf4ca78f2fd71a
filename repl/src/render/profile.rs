//! `wdb profile`'s terminal table (the REPL's `profile` and the `wdb
//! profile` subcommand): the debugger sends the report as data
//! ([`ProfileReport`]), this formats it. JSON, flame graphs and speedscope
//! files are the debugger's (`ProfileReport::to_json` and others): files,
//! not terminal text.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use wdb_debugger::profile::{ModeReport, ProfileReport, Stats, ms, overhead, thousands};

use crate::color::paint;

/// The table's styles, off when colour is.
struct Paint(bool);

impl Paint {
    fn style(&self, style: Style, s: &str) -> String {
        paint(self.0, style, s)
    }
    fn bold(&self, s: &str) -> String {
        self.style(Style::new().bold(), s)
    }
    fn dim(&self, s: &str) -> String {
        self.style(Style::new().dimmed(), s)
    }
    fn red(&self, s: &str) -> String {
        self.style(AnsiColor::Red.on_default().bold(), s)
    }
    fn green(&self, s: &str) -> String {
        self.style(AnsiColor::Green.on_default(), s)
    }
    fn yellow(&self, s: &str) -> String {
        self.style(AnsiColor::Yellow.on_default(), s)
    }
}

fn stats(s: &Option<Stats>) -> String {
    match s {
        Some(s) if s.runs > 1 => {
            format!("{} [{}..{}]", ms(s.median_ms), ms(s.min_ms), ms(s.max_ms))
        }
        Some(s) => ms(s.median_ms),
        None => "-".into(),
    }
}

fn bytes(n: i64) -> String {
    let a = n.unsigned_abs() as f64;
    let sign = if n < 0 { "-" } else { "" };
    if a >= (1u64 << 20) as f64 {
        format!("{sign}{:.1} MiB", a / (1u64 << 20) as f64)
    } else if a >= 1024.0 {
        format!("{sign}{:.1} KiB", a / 1024.0)
    } else {
        format!("{sign}{a} B")
    }
}

fn ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 1.0 => format!("{r:.2}x faster"),
        Some(r) if r > 0.0 => format!("{:.2}x slower", 1.0 / r),
        _ => "-".into(),
    }
}

/// Pad to `w` display columns (the text may carry ANSI codes).
fn pad(s: &str, w: usize, right: bool) -> String {
    let visible = anstream::adapter::strip_str(s).to_string().chars().count();
    let fill = " ".repeat(w.saturating_sub(visible));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// The terminal table of `r` (`color`: styled, as [`crate::color::stdout`]
/// says).
pub fn table(r: &ProfileReport, color: bool) -> String {
    let p = Paint(color);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        p.bold(&format!("wdb profile {}: {}", r.file, r.invocation))
    );

    // Modes side by side: one row per figure, one column per mode.
    let mut cols: Vec<(String, Vec<String>)> = Vec::new();
    for m in &r.modes {
        cols.push((m.mode.clone(), mode_cells(m, &p)));
    }
    if let Some(n) = &r.native {
        cols.push((
            "native".into(),
            vec![
                "-".into(),
                "-".into(),
                "-".into(),
                stats(&n.wall),
                stats(&n.cpu),
                stats(&n.wall),
                "-".into(),
                "-".into(),
                "-".into(),
                format!("exit {}", n.exit_code.unwrap_or(-1)),
                format!("{} B", n.stdout_bytes),
                "-".into(),
                "-".into(),
            ],
        ));
    }
    let labels = [
        "load: decode+validate (once)",
        "compile (jit) / load code (aot)",
        "instantiate",
        "run wall, median [min..max]",
        "run CPU (process)",
        "total wall (all but load)",
        "instructions (interp count)",
        "linear memory at end",
        "peak RSS over baseline",
        "outcome",
        "guest stdout",
        "vs interp (run CPU)",
        "vs native (CPU)",
    ];
    let lw = labels.iter().map(|l| l.len()).max().unwrap_or(0);
    let widths: Vec<usize> = cols
        .iter()
        .map(|(h, c)| {
            c.iter()
                .map(|s| anstream::adapter::strip_str(s).to_string().chars().count())
                .chain([h.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut line = pad("", lw, false);
    for ((h, _), w) in cols.iter().zip(&widths) {
        line.push_str("  ");
        line.push_str(&pad(&p.bold(h), *w, true));
    }
    let _ = writeln!(o, "{}", line.trim_end());
    for (r, label) in labels.iter().enumerate() {
        let mut line = pad(label, lw, false);
        for ((_, c), w) in cols.iter().zip(&widths) {
            line.push_str("  ");
            line.push_str(&pad(c.get(r).map_or("", String::as_str), *w, true));
        }
        let _ = writeln!(o, "{}", line.trim_end());
    }
    for m in &r.modes {
        if let Some(c) = &m.code {
            let _ = writeln!(o, "{}", p.dim(&format!("{} code: {c}", m.mode)));
        }
    }
    if let Some(n) = &r.native {
        let _ = writeln!(
            o,
            "{}",
            p.dim(&format!(
                "native: `{}` (whole process; CPU from bash `times`)",
                n.command
            ))
        );
    }
    if r.stdout_mismatches.is_empty() {
        let _ = writeln!(
            o,
            "guest stdout: identical in every mode that ran ({} bytes)",
            r.stdout.len()
        );
    } else {
        let _ = writeln!(o, "{}", p.red("GUEST OUTPUT DIFFERS BETWEEN MODES:"));
        for m in &r.stdout_mismatches {
            let _ = writeln!(o, "{}", p.red(&format!("  {m}")));
        }
    }

    let _ = writeln!(o);
    functions_table(r, &mut o, &p);

    if let Some(l) = &r.lines {
        let _ = writeln!(o);
        if !l.has_debug_info {
            let _ = writeln!(
                o,
                "{}",
                p.yellow("--lines: the module has no DWARF line information")
            );
        } else {
            let _ = writeln!(
                o,
                "{}",
                p.bold(&format!(
                    "Hot source lines (instructions counted exactly; {} with a line, {} without)",
                    thousands(l.attributed),
                    thousands(l.unattributed)
                ))
            );
            for h in &l.hot {
                let loc = format!("{}:{}", h.file, h.line);
                let _ = writeln!(
                    o,
                    "{:>15} {:>5.1}%  {}  {}",
                    thousands(h.instructions),
                    h.percent,
                    p.green(&loc),
                    p.dim(&format!("[{}]", h.function))
                );
                if let Some(t) = &h.text {
                    let _ = writeln!(o, "{:>24}{t}", "");
                }
            }
            for m in &l.missing_sources {
                let _ = writeln!(o, "{}", p.dim(&format!("source not shown: {m}")));
            }
        }
        for w in &l.warnings {
            let _ = writeln!(o, "{}", p.yellow(&format!("warning: {w}")));
        }
    }
    let _ = writeln!(o);
    for n in &r.notes {
        let _ = writeln!(o, "{}", p.dim(&format!("note: {n}")));
    }
    o
}

/// Calls (every mode), exact instructions (interp) and sampled ms per
/// mode, one row per function.
fn functions_table(r: &ProfileReport, o: &mut String, p: &Paint) {
    let has = |mode: &str| r.native_profiles.iter().any(|n| n.mode == mode);
    let (jit, aot) = (has("jit"), has("aot"));
    let mut modes = vec!["interp"];
    modes.extend(jit.then_some("jit"));
    modes.extend(aot.then_some("aot"));
    let _ = writeln!(
        o,
        "{}",
        p.bold(&format!(
            "Functions: calls counted exactly in {}; instructions counted exactly (interp); ms sampled",
            modes.join(", ")
        ))
    );
    let plain = r
        .modes
        .iter()
        .find(|m| m.mode == "interp")
        .and_then(|m| m.wall)
        .map(|c| format!("; a plain run took {}", ms(c.median_ms)))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "{}",
        p.dim(&format!(
            "interp ms: instrumented run, sampled every {} instructions ({} in all{plain})",
            r.sample_every,
            ms(r.sampled_ms)
        ))
    );
    for n in &r.native_profiles {
        let _ = writeln!(
            o,
            "{}",
            p.dim(&format!(
                "{} ms: profiling build, sampled every ~1 ms over {} run{} ({} samples, {} in all; {})",
                n.mode,
                n.runs,
                if n.runs == 1 { "" } else { "s" },
                n.samples,
                ms(n.sampled_ms),
                overhead(n.overhead)
            ))
        );
    }
    let mut head = format!(
        "{:>12} {:>15} {:>6} {:>15} {:>6} {:>9} {:>9}",
        "calls", "self instr", "self%", "incl instr", "incl%", "i self", "i incl"
    );
    if jit {
        let _ = write!(head, " {:>9} {:>9}", "jit self", "jit incl");
    }
    if aot {
        let _ = write!(head, " {:>9} {:>9}", "aot self", "aot incl");
    }
    if jit {
        let _ = write!(head, " {:>10}", "jit/interp");
    }
    head.push_str("  function");
    let _ = writeln!(o, "{}", p.bold(&head));
    let total = r.instructions.max(1) as f64;
    let msc = |v: f64, samples: u64| {
        if samples == 0 {
            "-".to_string()
        } else {
            format!("{v:.2}")
        }
    };
    for f in r.functions.iter().take(30) {
        let same = [f.jit, f.aot].iter().flatten().all(|n| n.calls == f.calls);
        let calls = if same {
            thousands(f.calls)
        } else {
            let all: Vec<String> = std::iter::once(f.calls)
                .chain(f.jit.map(|n| n.calls))
                .chain(f.aot.map(|n| n.calls))
                .map(thousands)
                .collect();
            p.red(&all.join("/"))
        };
        let self_pct = f.self_instructions as f64 * 100.0 / total;
        let pct = format!("{self_pct:.1}%");
        let pct = if self_pct >= 20.0 {
            p.yellow(&pct)
        } else {
            pct
        };
        let mut line = format!(
            "{} {:>15} {} {:>15} {:>5.1}% {:>9} {:>9}",
            pad(&calls, 12, true),
            thousands(f.self_instructions),
            pad(&pct, 6, true),
            thousands(f.incl_instructions),
            f.incl_instructions as f64 * 100.0 / total,
            msc(f.self_ms, f.samples),
            msc(f.incl_ms, f.samples.max((f.incl_ms > 0.0) as u64)),
        );
        for (on, n) in [(jit, f.jit), (aot, f.aot)] {
            if on {
                let n = n.unwrap_or_default();
                let _ = write!(
                    line,
                    " {:>9} {:>9}",
                    msc(n.self_ms, n.samples),
                    msc(n.incl_ms, (n.incl_ms > 0.0) as u64)
                );
            }
        }
        if jit {
            let r = f
                .jit_vs_interp
                .map_or("-".to_string(), |r| format!("{r:.1}x"));
            let _ = write!(line, " {:>10}", r);
        }
        let _ = writeln!(o, "{line}  {}", f.name);
    }
    if r.functions.len() > 30 {
        let _ = writeln!(
            o,
            "{}",
            p.dim(&format!(
                "  ... {} more functions (--json has all)",
                r.functions.len() - 30
            ))
        );
    }
    if jit {
        let _ = writeln!(
            o,
            "{}",
            p.dim("jit/interp: estimated speed-up per function: each mode's sampled self-time share times its plain run CPU, interp over jit; - where either has no sample")
        );
    }
}

fn mode_cells(m: &ModeReport, p: &Paint) -> Vec<String> {
    if let Some(why) = &m.unavailable {
        let mut v = vec!["-".to_string(); 13];
        v[3] = p.dim(why);
        return v;
    }
    vec![
        m.load_ms.map_or("-".into(), ms),
        stats(&m.compile),
        stats(&m.instantiate),
        stats(&m.wall),
        stats(&m.cpu),
        stats(&m.total),
        m.instructions.map_or("-".into(), thousands),
        m.linear_memory_bytes
            .map_or("-".into(), |b| bytes(b as i64)),
        m.peak_rss_delta_bytes.map_or("n/a".into(), bytes),
        m.outcome.clone().unwrap_or_default(),
        m.stdout_bytes.map_or("-".into(), |b| format!("{b} B")),
        if m.mode == "interp" {
            "1.00x".into()
        } else {
            p.green(&ratio(m.speedup_vs_interp))
        },
        ratio(m.speedup_vs_native),
    ]
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use wdb_debugger::profile::{self, NativeProfile, ProfileConfig};
    use wdb_debugger::runner::Mode;

    use super::*;

    /// `fib 20` in the interpreter, profiled once.
    fn fib_report() -> ProfileReport {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fib.wasm");
        profile::profile(ProfileConfig {
            file,
            modes: vec![Mode::Interp],
            runs: 1,
            invoke: Some(("fib".into(), vec!["20".into()])),
            ..ProfileConfig::default()
        })
        .expect("profiles")
    }

    #[test]
    fn the_table_shows_exact_counts_and_is_plain_without_colour() {
        let r = fib_report();
        let text = table(&r, false);
        assert!(text.contains("21,891"), "{text}");
        assert!(text.contains("compile (jit) / load code (aot)"), "{text}");
        assert!(!text.contains('\x1b'), "no colour asked for:\n{text}");
        assert!(table(&r, true).contains("\x1b[1m"));
    }

    #[test]
    fn native_columns_and_differing_output_are_shown() {
        let mut r = fib_report();
        assert!(!table(&r, false).contains("jit self"));
        for mode in ["jit", "aot"] {
            r.native_profiles.push(NativeProfile {
                mode: mode.into(),
                code: String::new(),
                compile_ms: 0.0,
                run_ms: 0.0,
                runs: 1,
                run_cpu_ms: None,
                overhead: None,
                samples: 0,
                sampled_ms: 0.0,
                folded_time: Vec::new(),
                outcome: String::new(),
                stdout: Vec::new(),
                funcs: Default::default(),
            });
        }
        r.stdout_mismatches
            .push("jit run 1: guest stdout differs".into());
        let text = table(&r, false);
        assert!(
            text.contains("jit self") && text.contains("aot self"),
            "{text}"
        );
        assert!(
            text.contains("GUEST OUTPUT DIFFERS BETWEEN MODES"),
            "{text}"
        );
    }
}
