//! The report's files: JSON, folded stacks, an SVG flame graph (inferno)
//! and speedscope's "sampled" file format; and the number formats notes
//! use. The terminal table is the REPL's (`repl/src/render/profile.rs`).

use serde_json::json;

use super::ProfileReport;

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

impl ProfileReport {
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
