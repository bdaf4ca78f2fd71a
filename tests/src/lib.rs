//! Helpers shared by the integration tests in `tests/tests`.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};

/// The files with extension `ext` in a corpus directory, sorted. When the
/// directory is missing or holds no such file, run a single failing trial
/// named `{what}_corpus_present` that says where it looked, and exit: a
/// missing or empty corpus never passes with zero trials.
pub fn corpus_files_or_exit(args: &Arguments, dir: &Path, ext: &str, what: &str) -> Vec<PathBuf> {
    let problem = match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect();
            if !files.is_empty() {
                files.sort();
                return files;
            }
            format!("{what} corpus empty: no .{ext} file in {}", dir.display())
        }
        Err(e) => format!("{what} corpus missing: looked in {} ({e})", dir.display()),
    };
    let t = Trial::test(format!("{what}_corpus_present"), move || {
        Err(Failed::from(problem))
    });
    libtest_mimic::run(args, vec![t]).exit();
}
