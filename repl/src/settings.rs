//! The gdb settings the REPL keeps itself (`set confirm`, `set pagination`,
//! ...), so that gdb scripts run unchanged. The session keeps its own
//! (`unwindonsignal`, `allocator`, `substitute-path`).

/// `source` inside `source` at most this deep (a file that sources itself).
pub const MAX_SOURCE_DEPTH: usize = 16;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `set confirm`: ask before quitting a paused program (interactive only).
    pub confirm: bool,
    /// `set pagination`: wdb never pages; kept so scripts can set and show it.
    pub pagination: bool,
    /// Nesting of `source` commands being run.
    pub source_depth: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            confirm: true,
            pagination: true,
            source_depth: 0,
        }
    }
}

fn on_off(v: &str) -> Result<bool, String> {
    match v {
        "" | "on" | "1" | "yes" | "enable" => Ok(true),
        "off" | "0" | "no" | "disable" => Ok(false),
        _ => Err(format!("\"on\" or \"off\" expected, not `{v}`")),
    }
}

fn word(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

impl Settings {
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        match name {
            "confirm" => self.confirm = on_off(value)?,
            "pagination" => self.pagination = on_off(value)?,
            // gdb options for its terminal, printing, styling, breakpoints
            // pending on shared libraries, shells and auto-loading: accepted
            // without effect on wdb, so scripts written for gdb run.
            "height"
            | "width"
            | "verbose"
            | "print"
            | "style"
            | "trace-commands"
            | "breakpoint"
            | "disassembly-flavor"
            | "startup-with-shell"
            | "auto-load"
            | "can-use-hw-watchpoints"
            | "history"
            | "debuginfod" => {}
            other => return Err(format!("No setting \"{other}\".")),
        }
        Ok(())
    }

    pub fn show(&self, name: &str) -> String {
        match name {
            "version" => format!(
                "wdb {}: a WebAssembly debugger (gdb's commands, lldb's spellings).",
                env!("CARGO_PKG_VERSION")
            ),
            "confirm" => format!(
                "Whether to confirm potentially dangerous operations is {}.",
                word(self.confirm)
            ),
            "pagination" => format!(
                "State of pagination is {} (wdb never pages its output).",
                word(self.pagination)
            ),
            other => format!("`set {other}` is accepted for gdb scripts and has no effect in wdb."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_set_and_show() {
        let mut s = Settings::default();
        s.set("pagination", "off").unwrap();
        assert!(!s.pagination);
        assert!(s.show("pagination").contains("off"));
        s.set("confirm", "off").unwrap();
        assert!(s.show("confirm").ends_with("is off."));
        s.set("height", "0").unwrap();
        assert!(s.show("height").contains("no effect"));
        assert!(s.set("confirm", "maybe").is_err());
        assert!(s.set("bogus", "1").is_err());
    }
}
