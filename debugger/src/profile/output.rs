//! The report's renderings: the terminal table, JSON, folded stacks, an SVG
//! flame graph (inferno) and speedscope's "sampled" file format.

use std::fmt::Write as _;

use serde_json::json;

use super::{ModeReport, ProfileReport, Stats};

/// ANSI styling that disappears when colour is off.
struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
}

/// `1.23 ms`, `456 ms`, `2.35 s`.
pub fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 1.0 {
        format!("{v:.2} ms")
    } else {
        format!("{:.0} us", v * 1000.0)
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

/// The profiling build's run CPU against the plain runs'.
pub fn overhead(o: Option<f64>) -> String {
    match o {
        Some(o) => format!("run CPU {o:.2}x the plain runs'"),
        None => "overhead not measured: the plain run is under 5 ms".into(),
    }
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
    let visible = strip_ansi(s).chars().count();
    let fill = " ".repeat(w.saturating_sub(visible));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for c in s.chars() {
        match (esc, c) {
            (false, '\x1b') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

impl ProfileReport {
    /// The terminal table (`color`: ANSI styling; callers pass false when
    /// stdout is not a tty or `NO_COLOR` is set).
    pub fn render_table(&self, color: bool) -> String {
        let p = Paint(color);
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{}",
            p.bold(&format!("wdb profile {}: {}", self.file, self.invocation))
        );

        // Modes side by side: one row per figure, one column per mode.
        let mut cols: Vec<(String, Vec<String>)> = Vec::new();
        for m in &self.modes {
            cols.push((m.mode.clone(), mode_cells(m, &p)));
        }
        if let Some(n) = &self.native {
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
                    .map(|s| strip_ansi(s).chars().count())
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
        for m in &self.modes {
            if let Some(c) = &m.code {
                let _ = writeln!(o, "{}", p.dim(&format!("{} code: {c}", m.mode)));
            }
        }
        if let Some(n) = &self.native {
            let _ = writeln!(
                o,
                "{}",
                p.dim(&format!(
                    "native: `{}` (whole process; CPU from bash `times`)",
                    n.command
                ))
            );
        }
        if self.stdout_mismatches.is_empty() {
            let _ = writeln!(
                o,
                "guest stdout: identical in every mode that ran ({} bytes)",
                self.stdout.len()
            );
        } else {
            let _ = writeln!(o, "{}", p.red("GUEST OUTPUT DIFFERS BETWEEN MODES:"));
            for m in &self.stdout_mismatches {
                let _ = writeln!(o, "{}", p.red(&format!("  {m}")));
            }
        }

        let _ = writeln!(o);
        self.functions_table(&mut o, &p);

        if let Some(l) = &self.lines {
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
        for n in &self.notes {
            let _ = writeln!(o, "{}", p.dim(&format!("note: {n}")));
        }
        o
    }

    /// Calls (every mode), exact instructions (interp) and sampled ms per
    /// mode, one row per function.
    fn functions_table(&self, o: &mut String, p: &Paint) {
        let has = |mode: &str| self.native_profiles.iter().any(|n| n.mode == mode);
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
        let plain = self
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
                self.sample_every,
                ms(self.sampled_ms)
            ))
        );
        for n in &self.native_profiles {
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
        let total = self.instructions.max(1) as f64;
        let msc = |v: f64, samples: u64| {
            if samples == 0 {
                "-".to_string()
            } else {
                format!("{v:.2}")
            }
        };
        for f in self.functions.iter().take(30) {
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
        if self.functions.len() > 30 {
            let _ = writeln!(
                o,
                "{}",
                p.dim(&format!(
                    "  ... {} more functions (--json has all)",
                    self.functions.len() - 30
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

    /// The whole report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report is plain data")
    }

    /// An SVG flame graph of the exact instruction counts per call stack.
    pub fn flamegraph_svg(&self) -> Result<Vec<u8>, String> {
        self.flamegraph_svg_for("interp")
    }

    /// An SVG flame graph for `mode`: `interp` weighs stacks by exact
    /// instruction counts, `jit`/`aot` by sampled wall time of the
    /// profiling build.
    pub fn flamegraph_svg_for(&self, mode: &str) -> Result<Vec<u8>, String> {
        let mut opts = inferno::flamegraph::Options::default();
        opts.title = format!("wdb profile {} ({}), {mode}", self.file, self.invocation);
        let lines = if mode == "interp" {
            opts.count_name = "instructions".into();
            if self.folded.is_empty() {
                return Err("no wasm instructions were executed: nothing to draw".into());
            }
            &self.folded
        } else {
            opts.count_name = "ns (sampled)".into();
            let n = self
                .native_profiles
                .iter()
                .find(|n| n.mode == mode)
                .ok_or_else(|| {
                    format!("no per-function profile of mode `{mode}` (is it in --modes?)")
                })?;
            if n.folded_time.is_empty() {
                return Err(format!(
                    "the {mode} run was too short for a single ~1 ms sample: nothing to draw (try --flame-mode interp)"
                ));
            }
            &n.folded_time
        };
        let mut out = Vec::new();
        inferno::flamegraph::from_lines(&mut opts, lines.iter().map(String::as_str), &mut out)
            .map_err(|e| format!("flame graph: {e}"))?;
        Ok(out)
    }

    /// speedscope's file format (https://www.speedscope.app/file-format-schema.json),
    /// "sampled" profiles: the interpreter's weighted by instructions and by
    /// sampled time, then one per native mode (sampled time).
    pub fn speedscope_json(&self) -> String {
        let mut frames: Vec<String> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut profile = |name: &str, unit: &str, lines: &[String]| {
            let mut samples = Vec::new();
            let mut weights = Vec::new();
            for l in lines {
                let Some((stack, w)) = l.rsplit_once(' ') else {
                    continue;
                };
                let Ok(w) = w.parse::<u64>() else {
                    continue;
                };
                let ids: Vec<usize> = stack
                    .split(';')
                    .map(|f| {
                        *index.entry(f.to_string()).or_insert_with(|| {
                            frames.push(f.to_string());
                            frames.len() - 1
                        })
                    })
                    .collect();
                samples.push(ids);
                weights.push(w);
            }
            let end: u64 = weights.iter().sum();
            json!({
                "type": "sampled",
                "name": name,
                "unit": unit,
                "startValue": 0,
                "endValue": end,
                "samples": samples,
                "weights": weights,
            })
        };
        let mut profiles = vec![
            profile("interp: instructions (counted)", "none", &self.folded),
            profile(
                "interp: wall time (sampled, instrumented run)",
                "nanoseconds",
                &self.folded_time,
            ),
        ];
        for n in &self.native_profiles {
            profiles.push(profile(
                &format!("{}: wall time (sampled, profiling build)", n.mode),
                "nanoseconds",
                &n.folded_time,
            ));
        }
        let frames: Vec<_> = frames
            .iter()
            .map(|f| json!({ "name": f.replace('\u{a0}', " ") }))
            .collect();
        let doc = json!({
            "$schema": "https://www.speedscope.app/file-format-schema.json",
            "name": format!("wdb profile {} ({})", self.file, self.invocation),
            "exporter": "wdb profile",
            "activeProfileIndex": 0,
            "shared": { "frames": frames },
            "profiles": profiles,
        });
        serde_json::to_string_pretty(&doc).expect("plain data")
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
