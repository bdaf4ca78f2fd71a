//! The corpus binary: every test that generates its trials from a corpus or
//! a list of programs, in one libtest-mimic harness (one binary to link, not
//! seven). Each module below gives its trials, named `MODULE::...`, so a
//! filter picks one suite or one file:
//!
//! ```text
//! cargo test -p wdb_tests --test corpus -- spec::              # the spec testsuites
//! cargo test -p wdb_tests --test corpus -- spec::Interp::      # ... on the interpreter
//! cargo test -p wdb_tests --test corpus -- wasi_testsuite::jit/
//! cargo test -p wdb_tests --test corpus -- dwarf_corpus::
//! cargo test -p wdb_tests --test corpus -- --list               # every trial
//! ```
//!
//! A missing or empty corpus is a failing trial named
//! `MODULE..._corpus_present` that says where it looked, never zero trials.

/// The fuzz targets' checks (`fuzz/src/lib.rs`), replayed by
/// `fuzz_regressions`.
#[path = "../../../fuzz/src/lib.rs"]
#[allow(dead_code, unused_imports)]
mod fuzz;

/// Every DWARF-bearing module through the `DebugInfo` API.
mod dwarf_corpus;
/// The fuzz targets' seed corpora and past crashes.
mod fuzz_regressions;
/// Interpreter against JIT and AOT on real programs.
mod jit_differential;
/// Pausing generated code from another thread.
mod jit_pause;
/// TinyGo programs against wasmtime's recorded output.
mod run_tinygo;
/// The WebAssembly spec testsuites (Wasm 2.0 and 3.0) on every engine.
mod spec;
/// The WASI preview1 testsuite on every engine.
mod wasi_testsuite;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = Vec::new();
    trials.extend(spec::trials());
    trials.extend(wasi_testsuite::trials());
    trials.extend(run_tinygo::trials());
    trials.extend(fuzz_regressions::trials());
    trials.extend(jit_differential::trials());
    trials.extend(jit_pause::trials());
    trials.extend(dwarf_corpus::trials());
    libtest_mimic::run(&args, trials).exit();
}
