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
                    stats(&n.wall),
                    stats(&n.cpu),
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
            "load (decode+validate)",
            "run wall, median [min..max]",
            "run CPU, median [min..max]",
            "instructions (interp count)",
            "linear memory at end",
            "peak RSS over baseline",
            "outcome",
            "guest stdout",
            "vs interp (CPU)",
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
        if let Some(n) = &self.native {
            let _ = writeln!(
                o,
                "{}",
                p.dim(&format!("native: `{}` (CPU from bash `times`)", n.command))
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

        // Functions (interpreter only until the JIT reports per-function figures).
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{}",
            p.bold(&format!(
                "Functions (interp): calls and instructions counted exactly; ms sampled every {} instructions",
                self.sample_every,
            ))
        );
        let plain = self
            .modes
            .iter()
            .find(|m| m.mode == "interp")
            .and_then(|m| m.cpu)
            .map(|c| format!(" (a plain run took {} CPU)", ms(c.median_ms)))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "{}",
            p.dim(&format!(
                "ms are from the instrumented run: {} sampled in all{plain}",
                ms(self.sampled_ms)
            ))
        );
        let head = format!(
            "{:>12} {:>15} {:>7} {:>15} {:>7} {:>10} {:>10}  {}",
            "calls", "self instr", "self%", "incl instr", "incl%", "self ms", "incl ms", "function"
        );
        let _ = writeln!(o, "{}", p.bold(&head));
        let total = self.instructions.max(1) as f64;
        for f in self.functions.iter().take(30) {
            let self_pct = f.self_instructions as f64 * 100.0 / total;
            let pct = format!("{self_pct:.1}%");
            let pct = if self_pct >= 20.0 {
                p.yellow(&pct)
            } else {
                pct
            };
            let _ = writeln!(
                o,
                "{:>12} {:>15} {} {:>15} {:>6.1}% {:>10} {:>10}  {}",
                thousands(f.calls),
                thousands(f.self_instructions),
                pad(&pct, 7, true),
                thousands(f.incl_instructions),
                f.incl_instructions as f64 * 100.0 / total,
                format!("{:.2}", f.self_ms),
                format!("{:.2}", f.incl_ms),
                f.name
            );
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

    /// The whole report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report is plain data")
    }

    /// An SVG flame graph of the exact instruction counts per call stack.
    pub fn flamegraph_svg(&self) -> Result<Vec<u8>, String> {
        let mut opts = inferno::flamegraph::Options::default();
        opts.title = format!("wdb profile {} ({})", self.file, self.invocation);
        opts.count_name = "instructions".into();
        let mut out = Vec::new();
        if self.folded.is_empty() {
            return Err("no wasm instructions were executed: nothing to draw".into());
        }
        inferno::flamegraph::from_lines(
            &mut opts,
            self.folded.iter().map(String::as_str),
            &mut out,
        )
        .map_err(|e| format!("flame graph: {e}"))?;
        Ok(out)
    }

    /// speedscope's file format (https://www.speedscope.app/file-format-schema.json),
    /// "sampled" profiles: one weighted by instructions, one by sampled time.
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
        let by_instr = profile("instructions (counted)", "none", &self.folded);
        let by_time = profile("wall time (sampled)", "nanoseconds", &self.folded_time);
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
            "profiles": [by_instr, by_time],
        });
        serde_json::to_string_pretty(&doc).expect("plain data")
    }
}

fn mode_cells(m: &ModeReport, p: &Paint) -> Vec<String> {
    if let Some(why) = &m.unavailable {
        let mut v = vec!["-".to_string(); 10];
        v[1] = p.dim(why);
        return v;
    }
    vec![
        m.load_ms.map_or("-".into(), ms),
        stats(&m.wall),
        stats(&m.cpu),
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
