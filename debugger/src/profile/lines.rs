//! `--lines`: the interpreter's exact per-`pc` instruction counts mapped to
//! source lines (`pc` -> `code_offset` -> DWARF line table), with the text
//! of each hot line read from the source file where it can be found.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use wdb_engine::interp::StackProfile;
use wdb_engine::module::Module;
use wdb_engine::value::FuncAddr;

use crate::dwarf::DebugInfo;

/// How many lines `--lines` lists.
pub const HOT_LINES: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HotLine {
    pub file: String,
    pub line: u32,
    /// Exact instruction count attributed to this line.
    pub instructions: u64,
    pub percent: f64,
    /// The function most of those instructions ran in.
    pub function: String,
    /// The source text, or `None` when the file was not found.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct LinesReport {
    pub has_debug_info: bool,
    pub hot: Vec<HotLine>,
    /// Instructions with a source line / without one (no DWARF row, line 0).
    pub attributed: u64,
    pub unattributed: u64,
    /// Source files not found, each with the places looked in.
    pub missing_sources: Vec<String>,
    pub warnings: Vec<String>,
}

/// Places to look for a DWARF file name: as given, then relative to the
/// module's directory and its ancestors (DWARF names are often relative to
/// a build root above the module), then the working directory.
fn candidates(module_path: &Path, file: &str) -> Vec<PathBuf> {
    let p = Path::new(file);
    let mut out = Vec::new();
    if p.is_absolute() {
        out.push(p.to_path_buf());
        return out;
    }
    let dir = module_path.parent().unwrap_or(Path::new("."));
    for anc in dir.ancestors().take(4) {
        let base = if anc.as_os_str().is_empty() {
            Path::new(".")
        } else {
            anc
        };
        out.push(base.join(p));
    }
    out.push(p.to_path_buf());
    out.dedup();
    out
}

pub(super) fn attribute(
    module_path: &Path,
    module: &Module,
    stacks: &StackProfile,
    pc_offsets: &HashMap<FuncAddr, Vec<u32>>,
    names: &HashMap<FuncAddr, (Option<u32>, String)>,
) -> LinesReport {
    let (di, warnings) = DebugInfo::load(module, Some(module_path));
    let mut rep = LinesReport {
        has_debug_info: di.has_debug_info(),
        warnings,
        ..LinesReport::default()
    };
    // (file, line) -> (count, per-function counts)
    let mut per_line: HashMap<(String, u32), (u64, HashMap<FuncAddr, u64>)> = HashMap::new();
    for (f, counts) in stacks.pc_counts.iter().enumerate() {
        let f = f as FuncAddr;
        let Some(offs) = pc_offsets.get(&f) else {
            continue;
        };
        for (pc, &n) in counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            match offs.get(pc).and_then(|&o| di.location(o)) {
                Some(loc) => {
                    rep.attributed += n;
                    let e = per_line.entry((loc.file, loc.line)).or_default();
                    e.0 += n;
                    *e.1.entry(f).or_default() += n;
                }
                None => rep.unattributed += n,
            }
        }
    }
    let total = (rep.attributed + rep.unattributed).max(1);
    let mut hot: Vec<_> = per_line.into_iter().collect();
    hot.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    hot.truncate(HOT_LINES);
    let mut files: HashMap<String, Result<Vec<String>, String>> = HashMap::new();
    for ((file, line), (n, by_func)) in hot {
        let text = files
            .entry(file.clone())
            .or_insert_with(|| {
                let tried = candidates(module_path, &file);
                for c in &tried {
                    if let Ok(s) = std::fs::read_to_string(c) {
                        return Ok(s.lines().map(str::to_string).collect());
                    }
                }
                Err(format!(
                    "{file}: not found; looked in {}",
                    tried
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
            .as_ref()
            .ok()
            .and_then(|lines| lines.get(line.saturating_sub(1) as usize))
            .map(|s| s.trim().to_string());
        let func = by_func
            .iter()
            .max_by_key(|(f, c)| (**c, std::cmp::Reverse(**f)))
            .map(|(f, _)| {
                names
                    .get(f)
                    .map(|n| n.1.clone())
                    .unwrap_or_else(|| format!("host#{f}"))
            })
            .unwrap_or_default();
        rep.hot.push(HotLine {
            file,
            line,
            instructions: n,
            percent: n as f64 * 100.0 / total as f64,
            function: func,
            text,
        });
    }
    let mut missing: Vec<String> = files.into_values().filter_map(Result::err).collect();
    missing.sort();
    rep.missing_sources = missing;
    rep
}
