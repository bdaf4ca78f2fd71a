//! Source-level information for a session: the one place DWARF plugs in.
//! Without DWARF every method answers "nothing" and the session falls back
//! to WebAssembly instructions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use wdb_engine::Module;

use crate::api::SourceLoc;
use crate::dwarf::DebugInfo;

pub struct Source {
    pub info: DebugInfo,
    warnings: Vec<String>,
    /// Directory of the module: relative DWARF paths resolve against it.
    base: PathBuf,
    files: Mutex<HashMap<String, Result<Vec<String>, Vec<String>>>>,
    substitutions: Mutex<Vec<(String, String)>>,
}

impl Source {
    pub fn new(module: &Module, path: &Path) -> Source {
        let (info, warnings) = DebugInfo::load(module, Some(path));
        Source {
            info,
            warnings,
            base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            files: Mutex::new(HashMap::new()),
            substitutions: Mutex::new(Vec::new()),
        }
    }

    /// Load-time warnings (broken DWARF), if any.
    pub fn warning(&self) -> Option<String> {
        (!self.warnings.is_empty()).then(|| format!("DWARF: {}", self.warnings.join("; ")))
    }

    /// Whether source-level stepping and `FILE:LINE` breakpoints work.
    pub fn available(&self) -> bool {
        self.info.has_debug_info()
    }

    pub fn location(&self, code_offset: u32) -> Option<SourceLoc> {
        let l = self.info.location(code_offset)?;
        if l.line == 0 {
            return None;
        }
        Some(SourceLoc {
            file: l.file,
            line: l.line,
            column: l.column,
        })
    }

    pub fn is_stmt_boundary(&self, code_offset: u32) -> bool {
        self.info.is_stmt_boundary(code_offset)
    }

    /// The lines of a source file, or the places looked at. A relative DWARF
    /// path is tried against the module's directory and each of its
    /// ancestors (modules are often built one level above where they end up),
    /// then as written, after the user's `substitute-path` rewrites.
    pub fn file_lines(&self, file: &str) -> Result<Vec<String>, Vec<String>> {
        let Ok(mut cache) = self.files.lock() else {
            return Err(vec![]);
        };
        cache
            .entry(file.to_string())
            .or_insert_with(|| {
                let candidates = self.candidates(file);
                candidates
                    .iter()
                    .find_map(|c| std::fs::read_to_string(c).ok())
                    .map(|t| t.lines().map(str::to_string).collect())
                    .ok_or_else(|| candidates.iter().map(|c| c.display().to_string()).collect())
            })
            .clone()
    }

    fn candidates(&self, file: &str) -> Vec<PathBuf> {
        let mut names = vec![file.to_string()];
        if let Ok(maps) = self.substitutions.lock() {
            for (from, to) in maps.iter() {
                if let Some(rest) = file.strip_prefix(from.as_str()) {
                    names.insert(0, format!("{to}{rest}"));
                }
            }
        }
        let mut out = Vec::new();
        for name in &names {
            let p = Path::new(name);
            if p.is_absolute() {
                out.push(p.to_path_buf());
                continue;
            }
            for dir in self.base.ancestors().take(4) {
                out.push(dir.join(p));
            }
            out.push(p.to_path_buf());
        }
        out.dedup();
        out
    }

    /// `set substitute-path FROM TO`: sources moved since the build.
    pub fn add_substitution(&self, from: String, to: String) {
        if let Ok(mut m) = self.substitutions.lock() {
            m.retain(|(f, _)| *f != from);
            m.push((from, to));
        }
        if let Ok(mut c) = self.files.lock() {
            c.clear();
        }
    }

    /// `12\t    return fib[n - 1];` for the line at a location.
    pub fn line_text(&self, code_offset: u32) -> Option<String> {
        let loc = self.location(code_offset)?;
        let lines = self.file_lines(&loc.file).ok()?;
        let text = lines.get(loc.line as usize - 1)?;
        Some(format!("{}\t{}", loc.line, text))
    }

    /// `code_offset`s where `file:line` begins.
    pub fn resolve_line(&self, file: &str, line: u32) -> Result<Vec<u32>, String> {
        if !self.available() {
            return Err(format!(
                "cannot resolve {file}:{line}: the module has no DWARF line information"
            ));
        }
        Ok(self.info.resolve_line(file, line)?.code_offsets)
    }

    pub fn describe(&self) -> String {
        if self.available() {
            let files = self.info.source_files();
            format!("DWARF debug information: {} source files.", files.len())
        } else {
            "No DWARF debug information: debugging at the WebAssembly instruction level.".into()
        }
    }
}
