//! Per-module persisted state (breakpoints, watchpoints, display settings,
//! source path maps), saved as RON in the XDG state directory and restored
//! on the next open of the same module. `WDB_STATE_DIR` overrides the place
//! (tests). A corrupt file is a warning and defaults, never a failed load.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedState {
    pub breakpoints: Vec<SavedBreakpoint>,
    pub display: DisplaySettings,
    /// Source path prefixes to rewrite: (from, to).
    pub path_map: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedBreakpoint {
    /// `break` location, `watch:ADDR:LEN:KIND`, or `catch:NAME`.
    pub spec: String,
    pub enabled: bool,
    pub temporary: bool,
    pub condition: Option<String>,
    pub ignore_count: u32,
    pub hits: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DisplaySettings {
    /// Lines of disassembly shown around the pc.
    pub disasm_context: u32,
}

impl Default for DisplaySettings {
    fn default() -> Self {
        DisplaySettings { disasm_context: 8 }
    }
}

/// Where state lives: `$WDB_STATE_DIR`, else `$XDG_STATE_HOME/wdb` (or the
/// platform's local data dir).
pub fn state_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("WDB_STATE_DIR") {
        return Some(PathBuf::from(d));
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("wdb"))
}

/// FNV-1a: stable across runs and Rust versions, unlike `DefaultHasher`.
pub fn fnv1a(data: &[u8], mut h: u64) -> u64 {
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// The state file for a module: keyed by its path and content hash.
pub fn state_file(dir: &Path, module_path: &Path, bytes: &[u8]) -> PathBuf {
    let abs = std::fs::canonicalize(module_path).unwrap_or_else(|_| module_path.to_path_buf());
    let h = fnv1a(
        bytes,
        fnv1a(abs.to_string_lossy().as_bytes(), 0xcbf29ce484222325),
    );
    let stem = module_path.file_stem().map_or_else(
        || "module".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    dir.join("modules").join(format!("{stem}-{h:016x}.ron"))
}

/// Load state; `Err` is a warning to show (the caller uses defaults).
pub fn load(file: &Path) -> Result<Option<SavedState>, String> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read saved state {}: {e}", file.display())),
    };
    ron::from_str(&text)
        .map(Some)
        .map_err(|e| format!("ignoring corrupt saved state {}: {e}", file.display()))
}

pub fn save(file: &Path, state: &SavedState) -> Result<(), String> {
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let text = ron::ser::to_string_pretty(state, ron::ser::PrettyConfig::default())
        .map_err(|e| format!("cannot encode state: {e}"))?;
    std::fs::write(file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corrupt_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = state_file(dir.path(), Path::new("fib.wasm"), b"\0asm");
        assert_eq!(load(&f).unwrap(), None);
        let st = SavedState {
            breakpoints: vec![SavedBreakpoint {
                spec: "fib".into(),
                enabled: false,
                temporary: false,
                condition: Some("$l0 == 3".into()),
                ignore_count: 2,
                hits: 7,
            }],
            ..Default::default()
        };
        save(&f, &st).unwrap();
        assert_eq!(load(&f).unwrap(), Some(st));
        std::fs::write(&f, "(((not ron").unwrap();
        let err = load(&f).unwrap_err();
        assert!(err.contains("corrupt"), "{err}");
        // A different module content is a different file.
        assert_ne!(
            f,
            state_file(dir.path(), Path::new("fib.wasm"), b"\0asm\x01")
        );
    }
}
