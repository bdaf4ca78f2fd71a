//! Golden transcripts: every `fixtures/sessions/*.wdb` script runs through the
//! real `wdb` binary in batch mode and its output (stdout and stderr as they
//! interleave, plus the exit status) must equal the committed `.out`. `UPDATE_GOLDEN=1 cargo test -p wdb` rewrites them.
//!
//! A script's first lines name the module, guest arguments and the options
//! before the module: `# module: fixtures/fib.wasm`, `# args: 20` and
//! `# options: --dir fixtures/data::/data --env GREETING=hi`. Paths are relative to the
//! workspace root (the corpus lives at `../shared/corpus`).

use crate::workspace;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;

fn header<'a>(script: &'a str, key: &str) -> Option<&'a str> {
    script
        .lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix(&format!("# {key}:")).map(str::trim))
}

/// Run one script; returns the transcript.
fn run_script(root: &Path, script_path: &Path) -> String {
    let script = std::fs::read_to_string(script_path).expect("read script");
    let module = header(&script, "module")
        .unwrap_or_else(|| panic!("{}: no `# module:` line", script_path.display()));
    assert!(
        root.join(module).exists(),
        "{}: module {module} not found under {} (the corpus is expected at <workspace>/../shared/corpus)",
        script_path.display(),
        root.display()
    );
    let state = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wdb"));
    cmd.current_dir(root);
    if let Some(options) = header(&script, "options") {
        cmd.args(options.split_whitespace());
    }
    cmd.arg(module)
        .arg("--batch")
        .arg(script_path)
        .env("WDB_STATE_DIR", state.path())
        .env("NO_COLOR", "1");
    if let Some(args) = header(&script, "args") {
        cmd.arg("--").args(args.split_whitespace());
    }
    // stdout and stderr share one file, so errors (on stderr) stay where
    // they happened in the transcript.
    let mut both = tempfile::tempfile().expect("temp file");
    cmd.stdin(std::process::Stdio::null())
        .stdout(both.try_clone().expect("dup"))
        .stderr(both.try_clone().expect("dup"));
    let status = cmd.status().expect("run wdb");
    let mut text = String::new();
    both.seek(SeekFrom::Start(0)).expect("rewind");
    let mut bytes = Vec::new();
    both.read_to_end(&mut bytes).expect("read transcript");
    text.push_str(&String::from_utf8_lossy(&bytes));
    text.push_str(&format!(
        "[wdb exit status {}]\n",
        status.code().unwrap_or(-1)
    ));
    text
}

#[test]
fn session_transcripts_match() {
    let root = workspace();
    let dir = root.join("fixtures/sessions");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wdb"))
        .collect();
    scripts.sort();
    assert!(
        scripts.len() >= 6,
        "expected the session scripts in {}",
        dir.display()
    );
    // Only `UPDATE_GOLDEN=1` rewrites; any other value is a mistake, not a pass.
    let update = match std::env::var("UPDATE_GOLDEN") {
        Ok(v) if v == "1" => true,
        Ok(v) => panic!("UPDATE_GOLDEN={v:?}: set it to 1 to rewrite the transcripts, or unset it"),
        Err(_) => false,
    };
    let mut failures = Vec::new();
    let mut rewritten = Vec::new();
    for s in &scripts {
        let got = run_script(&root, s);
        let golden = s.with_extension("out");
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if update {
            if got != want {
                std::fs::write(&golden, &got).expect("write golden");
                rewritten.push(golden.display().to_string());
            }
            continue;
        }
        if got != want {
            let diff = similar::TextDiff::from_lines(&want, &got);
            failures.push(format!(
                "{} differs from {}:\n{}",
                s.display(),
                golden.display(),
                diff.unified_diff()
                    .context_radius(3)
                    .header(&golden.display().to_string(), "this run")
            ));
        }
    }
    // Update mode never passes: what it wrote has to be looked at and the
    // test run again without it.
    assert!(
        !update,
        "UPDATE_GOLDEN=1: rewrote {} transcript(s){}; check the diff, then run again without UPDATE_GOLDEN",
        rewritten.len(),
        if rewritten.is_empty() {
            String::new()
        } else {
            format!(": {}", rewritten.join(", "))
        }
    );
    assert!(
        failures.is_empty(),
        "{}\n(UPDATE_GOLDEN=1 regenerates)",
        failures.join("\n")
    );
}
