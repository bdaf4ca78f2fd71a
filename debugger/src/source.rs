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
    files: Mutex<HashMap<String, Option<Vec<String>>>>,
}

impl Source {
    pub fn new(module: &Module, path: &Path) -> Source {
        let (info, warnings) = DebugInfo::load(module, Some(path));
        Source {
            info,
            warnings,
            base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            files: Mutex::new(HashMap::new()),
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
        (l.line != 0).then(|| SourceLoc {
            file: l.file,
            line: l.line,
            column: l.column,
        })
    }

    pub fn is_stmt_boundary(&self, code_offset: u32) -> bool {
        self.info.is_stmt_boundary(code_offset)
    }

    /// The lines of a source file, when it can be found (relative to the
    /// module's directory, or as written).
    pub fn file_lines(&self, file: &str) -> Option<Vec<String>> {
        let mut cache = self.files.lock().ok()?;
        cache
            .entry(file.to_string())
            .or_insert_with(|| {
                let p = Path::new(file);
                let candidates = [self.base.join(p), p.to_path_buf()];
                candidates
                    .iter()
                    .find_map(|c| std::fs::read_to_string(c).ok())
                    .map(|t| t.lines().map(str::to_string).collect())
            })
            .clone()
    }

    /// `12\t    return fib[n - 1];` for the line at a location.
    pub fn line_text(&self, code_offset: u32) -> Option<String> {
        let loc = self.location(code_offset)?;
        let lines = self.file_lines(&loc.file)?;
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
