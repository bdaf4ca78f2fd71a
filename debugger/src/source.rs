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
    /// `directory DIR`: searched first, newest first.
    directories: Mutex<Vec<PathBuf>>,
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
            directories: Mutex::new(Vec::new()),
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
                if let Some(p) = substitute(file, from, to) {
                    names.insert(0, p);
                }
            }
        }
        let mut out = Vec::new();
        // `directory DIR`: DIR/NAME, then DIR/BASENAME, as gdb looks.
        if let Ok(dirs) = self.directories.lock() {
            for d in dirs.iter() {
                for name in &names {
                    let p = Path::new(name);
                    if p.is_relative() {
                        out.push(d.join(p));
                    }
                }
                if let Some(base) = Path::new(file).file_name() {
                    out.push(d.join(base));
                }
            }
        }
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

    /// The `set substitute-path` rules, oldest first.
    pub fn substitutions(&self) -> Vec<(String, String)> {
        self.substitutions
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// `directory DIR` directories, newest first.
    pub fn directories(&self) -> Vec<PathBuf> {
        self.directories
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default()
    }

    /// `directory DIR`: searched before the default places.
    pub fn add_directory(&self, dir: PathBuf) {
        if let Ok(mut d) = self.directories.lock() {
            d.retain(|x| *x != dir);
            d.insert(0, dir);
        }
        self.forget_files();
    }

    /// `directory` alone: only the default places.
    pub fn reset_directories(&self) {
        if let Ok(mut d) = self.directories.lock() {
            d.clear();
        }
        self.forget_files();
    }

    fn forget_files(&self) {
        if let Ok(mut c) = self.files.lock() {
            c.clear();
        }
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

    /// Whether the file of a location can be read (else a stop shows its
    /// name and line only).
    pub fn readable(&self, file: &str) -> bool {
        self.file_lines(file).is_ok()
    }

    /// How many source files DWARF names (`info source`); `None` without DWARF.
    pub fn file_count(&self) -> Option<usize> {
        self.available().then(|| self.info.source_files().len())
    }
}

/// gdb's `set substitute-path FROM TO` on one path: FROM is a directory
/// prefix (whole components); `.` stands for every relative path.
fn substitute(file: &str, from: &str, to: &str) -> Option<String> {
    let to = to.trim_end_matches('/');
    let from = from.trim_end_matches('/');
    if from == "." || from.is_empty() {
        let rest = file.trim_start_matches("./");
        return (!Path::new(file).is_absolute()).then(|| format!("{to}/{rest}"));
    }
    let rest = file.strip_prefix(from)?;
    if rest.is_empty() {
        Some(to.to_string())
    } else if rest.starts_with('/') || rest.starts_with('\\') {
        Some(format!("{to}{rest}"))
    } else if from.ends_with(['/', '\\']) {
        Some(format!("{to}/{rest}"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::substitute;

    #[test]
    fn substitute_path_maps_directory_prefixes() {
        assert_eq!(
            substitute("src/fib.c", ".", "/srv/x").as_deref(),
            Some("/srv/x/src/fib.c")
        );
        assert_eq!(
            substitute("./fib.c", "./", "/s/").as_deref(),
            Some("/s/fib.c")
        );
        assert_eq!(substitute("/abs/fib.c", ".", "/s"), None);
        assert_eq!(
            substitute("/build/src/a.c", "/build", "/home/u").as_deref(),
            Some("/home/u/src/a.c")
        );
        assert_eq!(substitute("/buildx/a.c", "/build", "/home/u"), None);
        assert_eq!(
            substitute("src/fib.c", "src/fib.c", "/tmp/f.c").as_deref(),
            Some("/tmp/f.c")
        );
    }
}
