//! Replays the fuzz targets' inputs as plain tests: the committed seed
//! corpora (`fuzz/corpus/<target>/seed-*`) and every input that once crashed
//! a target (`tests/data/regressions/<target>/*`), through the same checks
//! the fuzz targets run (`fuzz/src/lib.rs`, included as the module `crate::fuzz`). One
//! trial per input, named `fuzz_regressions::<target>/<kind>/<file>`.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use crate::fuzz;

const TARGETS: &[&str] = &["decode", "diff_exec", "wasi_paths", "repl_parse"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check(target: &str, path: &Path) -> Result<(), Failed> {
    let data = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let is_wasm = path.extension().is_some_and(|e| e == "wasm");
    let target = target.to_string();
    let r = std::panic::catch_unwind(move || match target.as_str() {
        "decode" => fuzz::decode(&data),
        "diff_exec" if is_wasm => fuzz::diff_exec_wasm(&data),
        "diff_exec" => fuzz::diff_exec(&data),
        "wasi_paths" => {
            let fx = fuzz::Fixture::new();
            fuzz::wasi_paths_with(&fx, &data);
        }
        "repl_parse" => fuzz::repl_parse(&data),
        other => panic!("unknown target {other}"),
    });
    r.map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into());
        Failed::from(msg)
    })
}

/// One trial per input, named `fuzz_regressions::TARGET/{seed,regression}/FILE`,
/// a `fuzz_regressions::TARGET/has_seeds` per target and
/// `fuzz_regressions::diff_exec/generated/N`.
pub fn trials() -> Vec<Trial> {
    let mut trials = Vec::new();
    for target in TARGETS {
        let seeds = root().join("fuzz/corpus").join(target);
        let regressions = root().join("tests/data/regressions").join(target);
        let mut found = 0;
        for dir in [&seeds, &regressions] {
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut files: Vec<PathBuf> = rd
                .map(|e| e.expect("directory entry").path())
                .filter(|p| p.is_file())
                .filter(|p| {
                    dir != &seeds
                        || p.file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
                })
                .collect();
            files.sort();
            for f in files {
                found += 1;
                let kind = if dir == &seeds { "seed" } else { "regression" };
                let name = format!(
                    "fuzz_regressions::{target}/{kind}/{}",
                    f.file_name().expect("file name").to_string_lossy()
                );
                let t = target.to_string();
                trials.push(Trial::test(name, move || check(&t, &f)));
            }
        }
        // The seed corpus is part of the repository: its absence is an error.
        let t = target.to_string();
        trials.push(Trial::test(
            format!("fuzz_regressions::{target}/has_seeds"),
            move || {
                if found == 0 {
                    Err(format!(
                        "no inputs for {t} in {} or {}",
                        seeds.display(),
                        regressions.display()
                    )
                    .into())
                } else {
                    Ok(())
                }
            },
        ));
    }
    // diff_exec on inputs from a fixed pseudo-random sequence: wasm-smith
    // modules with every 3.0 feature it makes (GC, typed function
    // references, exceptions, tail calls, multiple memories, memory64,
    // extended constants), interpreter against JIT.
    for chunk in 0..8u64 {
        trials.push(Trial::test(
            format!("fuzz_regressions::diff_exec/generated/{chunk}"),
            move || {
                let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ chunk;
                for _ in 0..40 {
                    let data: Vec<u8> = (0..2048)
                        .map(|_| {
                            x ^= x << 13;
                            x ^= x >> 7;
                            x ^= x << 17;
                            x as u8
                        })
                        .collect();
                    let r = std::panic::catch_unwind(|| fuzz::diff_exec(&data));
                    if let Err(e) = r {
                        let msg = e
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "panic".into());
                        return Err(msg.into());
                    }
                }
                Ok(())
            },
        ));
    }
    trials
}
