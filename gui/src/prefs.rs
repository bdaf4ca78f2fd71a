//! Preferences that outlive a session (layout, tabs, recent files), saved as
//! RON in the config directory. Runtime handles never live here.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Overrides the preferences file (tests point it at a temporary directory).
pub const CONFIG_ENV: &str = "WDB_GUI_CONFIG";

const MAX_RECENT: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeftTab {
    Module,
    Exports,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CentralTab {
    Code,
    Memory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BottomTab {
    Console,
    Wasi,
    Log,
    Profile,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub recent_files: Vec<PathBuf>,
    pub left_tab: LeftTab,
    pub central_tab: CentralTab,
    pub bottom_tab: BottomTab,
    pub dark: bool,
    pub wasi_newest_first: bool,
    pub follow_current: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            recent_files: Vec::new(),
            left_tab: LeftTab::Exports,
            central_tab: CentralTab::Code,
            bottom_tab: BottomTab::Console,
            dark: true,
            wasi_newest_first: true,
            follow_current: true,
        }
    }
}

impl Prefs {
    /// Where preferences live: `$WDB_GUI_CONFIG`, else `<config dir>/wdb/gui.ron`.
    pub fn path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(CONFIG_ENV) {
            return Some(PathBuf::from(p));
        }
        dirs::config_dir().map(|d| d.join("wdb").join("gui.ron"))
    }

    /// Load from [`Prefs::path`]; a missing or unreadable file gives defaults
    /// (preferences are a convenience, never a reason not to start).
    pub fn load() -> Prefs {
        Prefs::path()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|s| ron::from_str(&s).ok())
            .unwrap_or_default()
    }

    pub fn save(&self) -> anyhow::Result<()> {
        use anyhow::Context as _;
        let path = Prefs::path().context("no config directory")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let text = ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default())?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// Move `path` to the front of the recent files.
    pub fn add_recent(&mut self, path: &Path) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.recent_files.retain(|p| *p != path);
        self.recent_files.insert(0, path);
        self.recent_files.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefs_round_trip_through_ron() {
        let mut p = Prefs::default();
        p.add_recent(Path::new("/nonexistent/a.wasm"));
        p.add_recent(Path::new("/nonexistent/b.wasm"));
        p.add_recent(Path::new("/nonexistent/a.wasm"));
        p.central_tab = CentralTab::Memory;
        let text = ron::to_string(&p).expect("serialises");
        let back: Prefs = ron::from_str(&text).expect("parses");
        assert_eq!(back, p);
        assert_eq!(
            back.recent_files,
            vec![
                PathBuf::from("/nonexistent/a.wasm"),
                PathBuf::from("/nonexistent/b.wasm")
            ]
        );
    }
}
