//! `wdb run` as users call it: the binary's stdout, stderr and exit status.
//! The fixtures' outputs are compared with wasmtime's, recorded once into
//! `tests/data/wasmtime/` (regenerate with `WDB_RECORD_WASMTIME=1` and a
//! `wasmtime` on PATH).
//!
//! The binary is the one Cargo built for this test run (`CARGO_BIN_EXE_wdb`),
//! so a stale `wdb` elsewhere in the target directory is never run.

use crate::{text, wdb_path, workspace};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

mod host;
mod invocation;
mod programs;
mod traps;

pub(super) fn tinygo(name: &str) -> PathBuf {
    workspace().join("../shared/corpus/tinygo").join(name)
}

pub(super) fn wdb(args: &[&str]) -> Output {
    Command::new(wdb_path())
        .current_dir(workspace())
        .args(args)
        // The JIT's code cache: keep test runs out of ~/.cache.
        .env(
            "WDB_CACHE_DIR",
            std::env::temp_dir().join("wdb-tests-code-cache"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("run wdb")
}

pub(super) fn check(out: &Output, status: i32, stdout: &str, stderr_has: &[&str]) {
    let (so, se) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(status),
        "stdout: {so}\nstderr: {se}"
    );
    assert_eq!(so, stdout, "stderr: {se}");
    for s in stderr_has {
        assert!(se.contains(s), "stderr lacks {s:?}:\n{se}");
    }
}
