//! The integration binary: the tests of `wdb_engine` and `wdb_debugger`
//! through their public APIs that are not corpus runs (those are the
//! `corpus` binary), one module per concern, as ripgrep's `tests/tests.rs`
//! does: one binary to link instead of one per file. A module's tests are
//! named `MODULE::test`, so a filter picks a module:
//!
//! ```text
//! cargo test -p wdb_tests --test integration -- jit_traps::
//! cargo test -p wdb_tests --test integration -- limits::deep_recursion
//! ```

/// The fuzz targets' checks (`fuzz/src/lib.rs`); `sandbox_escape` shares
/// their fixture tree and guest.
#[path = "../../../fuzz/src/lib.rs"]
#[allow(dead_code, unused_imports)]
mod fuzz;

/// Golden DWARF facts about specific modules (lines, types, variables).
mod dwarf_golden;
/// Inlined subroutines through the `DebugInfo` API.
mod dwarf_inline;
/// Broken DWARF never panics.
mod dwarf_mutations;
/// Breakpoints on function entries in JIT and AOT code.
mod jit_breakpoints;
/// JIT traps, depth limits, interrupts and fuel, host traps.
mod jit_traps;
/// Watchpoints in JIT code.
mod jit_watch;
/// Resource limits in every engine.
mod limits;
/// The JIT compiles a function on its first call.
mod modes_lazy_jit;
/// `wdb profile`'s exact figures from the interpreter.
mod profile_counts;
/// `wdb profile`'s JIT and AOT figures.
mod profile_native;
/// `wdb run` of WASI 0.2 components.
mod run_wasip2;
/// WASI sandbox escapes, refused.
mod sandbox_escape;
/// The debugger's `catch wasi`.
mod wasi_catch;

/// The workspace root.
fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// The shared corpus beside the checkout, which these tests need.
fn corpus() -> std::path::PathBuf {
    let c = workspace().join("../shared/corpus");
    assert!(
        c.is_dir(),
        "the shared corpus is missing: looked for {}",
        c.display()
    );
    c
}
