//! The WebAssembly spec testsuites: one trial per `.wast` file of
//! `<workspace>/../shared/corpus/spec-wasm2`, on every engine. A directive
//! listed in `spec_skips.txt` (file, line, reason) may fail; anything else
//! failing fails the trial.
//!
//! And the same for every script of `spec-wasm3` (the root, `legacy/`,
//! `custom/`): a script that does not pass yet on an engine is listed in
//! `spec3_pending.txt` (file, engine, reason). A listed script must still
//! fail: one that passes fails its trial ("remove it from the list"), so
//! the list cannot go stale.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};
use wdb_engine::spec::{Engine, run_wast_file, run_wast_file_with};

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

fn corpus3_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/spec-wasm3")
}

/// `FILE ENGINE reason` entries of `spec3_pending.txt`: (file relative to
/// spec-wasm3, engine name as in the trial names, lower case).
fn pending3() -> Vec<(String, String)> {
    let text = include_str!("spec3_pending.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.to_string()))
        })
        .collect()
}

/// The spec-wasm3 trials: every script of the root, `legacy/` and `custom/`.
fn wasm3_trials() -> Vec<Trial> {
    let dir = corpus3_dir();
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for sub in ["", "legacy", "custom"] {
        let d = dir.join(sub);
        let found = match wdb_tests::corpus_files(&d, "wast", "spec::wasm3") {
            Ok(found) => found,
            Err(missing) => return vec![missing],
        };
        for p in found {
            let name = p.file_name().expect("file name").to_string_lossy();
            let rel = if sub.is_empty() {
                name.to_string()
            } else {
                format!("{sub}/{name}")
            };
            files.push((rel, p));
        }
    }
    let pending = pending3();
    let mut trials = Vec::new();
    for engine in [Engine::Interp, Engine::Jit, Engine::Aot] {
        let ename = format!("{engine:?}").to_lowercase();
        for (rel, path) in &files {
            let listed = pending.iter().any(|(f, e)| f == rel && *e == ename);
            let (rel, path) = (rel.clone(), path.clone());
            let stem = rel.trim_end_matches(".wast").replace('/', "::");
            trials.push(Trial::test(
                format!("spec::{engine:?}::wasm3::{stem}"),
                move || {
                    let report = run_wast_file(&path, engine);
                    println!("{rel}: {} passed, {} failed", report.passed, report.failed);
                    match (report.failed == 0, listed) {
                        (true, false) | (false, true) => Ok(()),
                        (true, true) => Err(Failed::from(format!(
                            "{rel} now passes on {engine:?}: remove it from spec3_pending.txt"
                        ))),
                        (false, false) => Err(Failed::from(format!(
                            "{rel}: {} passed, {} failed:\n  {}",
                            report.passed,
                            report.failed,
                            report.failures.join("\n  ")
                        ))),
                    }
                },
            ));
        }
    }
    trials
}

/// One trial per script and engine, named `spec::ENGINE::FILE` (spec-wasm2)
/// and `spec::ENGINE::wasm3::FILE`.
pub fn trials() -> Vec<Trial> {
    let dir = corpus_dir();
    let files = match wdb_tests::corpus_files(&dir, "wast", "spec") {
        Ok(files) => files,
        Err(missing) => return vec![missing],
    };
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
            trials.push(Trial::test(
                format!("spec::{engine:?}::{name}"),
                move || {
                    let file = path
                        .file_name()
                        .expect("file name")
                        .to_string_lossy()
                        .to_string();
                    let report = run_wast_file_with(&path, engine, wasmparser::WasmFeatures::WASM2);
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
                },
            ));
        }
    }
    trials.extend(wasm3_trials());
    trials
}
