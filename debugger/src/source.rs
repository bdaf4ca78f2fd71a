//! Source-level information for a session. This is the one place DWARF plugs
//! in: without it (or before the DWARF reader is wired), every method answers
//! "nothing", and the session falls back to WebAssembly instructions.

use wdb_engine::Module;

use crate::api::SourceLoc;

pub struct Source {
    has_debug_info: bool,
}

impl Source {
    pub fn new(module: &Module) -> Source {
        Source {
            has_debug_info: module.custom_section(".debug_info").is_some(),
        }
    }

    /// A load-time warning (broken DWARF), if any.
    pub fn warning(&self) -> Option<String> {
        None
    }

    /// Whether source-level stepping and `FILE:LINE` breakpoints work.
    pub fn available(&self) -> bool {
        false
    }

    pub fn location(&self, _code_offset: u32) -> Option<SourceLoc> {
        None
    }

    pub fn is_stmt_boundary(&self, _code_offset: u32) -> bool {
        true
    }

    /// The text of the source line at a location (when the file is readable).
    pub fn line_text(&self, _code_offset: u32) -> Option<String> {
        None
    }

    /// `code_offset`s where `file:line` begins.
    pub fn resolve_line(&self, file: &str, line: u32) -> Result<Vec<u32>, String> {
        if self.has_debug_info {
            Err(format!(
                "cannot resolve {file}:{line}: DWARF line tables are not wired in yet"
            ))
        } else {
            Err(format!(
                "cannot resolve {file}:{line}: the module has no DWARF line information"
            ))
        }
    }

    pub fn describe(&self) -> String {
        if self.has_debug_info {
            "The module has DWARF (.debug_info); source-level debugging is not wired in yet.".into()
        } else {
            "No DWARF debug information: debugging at the WebAssembly instruction level.".into()
        }
    }
}
