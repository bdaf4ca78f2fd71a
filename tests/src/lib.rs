//! Helpers shared by the test binaries in `tests/tests` (`corpus` and
//! `integration`).

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

/// The files with extension `ext` in a corpus directory, sorted. When the
/// directory is missing or holds no such file, a single failing trial named
/// `{trial}_corpus_present` that says where it looked: a missing or empty
/// corpus never passes with zero trials.
pub fn corpus_files(dir: &Path, ext: &str, trial: &str) -> Result<Vec<PathBuf>, Trial> {
    let problem = match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect();
            if !files.is_empty() {
                files.sort();
                return Ok(files);
            }
            format!("corpus empty: no .{ext} file in {}", dir.display())
        }
        Err(e) => format!("corpus missing: looked in {} ({e})", dir.display()),
    };
    Err(missing_corpus(trial, problem))
}

/// The failing trial `{trial}_corpus_present` that says what is missing.
pub fn missing_corpus(trial: &str, problem: String) -> Trial {
    Trial::test(format!("{trial}_corpus_present"), move || {
        Err(Failed::from(problem))
    })
}
