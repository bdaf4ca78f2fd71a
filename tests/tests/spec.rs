//! The WebAssembly 2.0 spec testsuite: one trial per `.wast` file of
//! `<workspace>/../shared/corpus/spec-wasm2`, on every engine. A directive
//! listed in `spec_skips.txt` (file, line, reason) may fail; anything else
//! failing fails the trial.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use wdb_engine::spec::{Engine, run_wast_file};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/spec-wasm2")
}

/// `file.wast:LINE  reason` entries: known failures, each with why.
fn skips() -> Vec<(String, usize)> {
    let text = include_str!("spec_skips.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let spec = l.split_whitespace().next()?;
            let (file, line) = spec.split_once(':')?;
            Some((file.to_string(), line.parse().ok()?))
        })
        .collect()
}

fn main() {
    let args = Arguments::from_args();
    let dir = corpus_dir();
    let files = wdb_tests::corpus_files_or_exit(&args, &dir, "wast", "spec");
    let skips = skips();
    let mut trials = Vec::new();
    for engine in [Engine::Interp, Engine::Jit, Engine::Aot] {
        for path in &files {
            let name = path
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .to_string();
            let path = path.clone();
            let skips = skips.clone();
            trials.push(Trial::test(format!("{engine:?}::{name}"), move || {
                let file = path
                    .file_name()
                    .expect("file name")
                    .to_string_lossy()
                    .to_string();
                let report = run_wast_file(&path, engine);
                let mut unexpected = Vec::new();
                for f in &report.failures {
                    let line: Option<usize> = f
                        .strip_prefix("line ")
                        .and_then(|r| r.split(':').next())
                        .and_then(|n| n.parse().ok());
                    let skipped = line.is_some_and(|l| skips.contains(&(file.clone(), l)));
                    if !skipped {
                        unexpected.push(f.clone());
                    }
                }
                println!("{file}: {} passed, {} failed", report.passed, report.failed);
                if unexpected.is_empty() {
                    Ok(())
                } else {
                    Err(Failed::from(format!(
                        "{file}: {} passed, {} failed:\n  {}",
                        report.passed,
                        report.failed,
                        unexpected.join("\n  ")
                    )))
                }
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
