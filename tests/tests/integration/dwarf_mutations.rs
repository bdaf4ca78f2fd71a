//! Broken DWARF never panics: corrupt bytes of the `.debug_*` sections of
//! real modules (deterministically), then load and query everything.

use std::path::Path;

use wdb_debugger::dwarf::{DebugInfo, FrameAccess};
use wdb_engine::{Module, Value};

struct Frame;

impl FrameAccess for Frame {
    fn local(&self, i: u32) -> Option<Value> {
        Some(Value::I32(0x1000 + i as i32))
    }
    fn global(&self, _: u32) -> Option<Value> {
        Some(Value::I32(0x2000))
    }
    fn operand(&self, _: u32) -> Option<Value> {
        None
    }
    fn read_memory(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        (addr.checked_add(len as u64)? <= 1 << 16).then(|| vec![0x41; len])
    }
}

/// Load and query everything; false when the mutant no longer decodes as a
/// module (then no DWARF code ran).
fn exercise(bytes: Vec<u8>) -> bool {
    let Ok(module) = Module::new(bytes) else {
        return false;
    };
    let (info, _) = DebugInfo::load(&module, None);
    let code_len = module
        .bodies
        .last()
        .map_or(0, |b| b.range.end - module.code_section_start) as u32;
    let mut files = info.source_files();
    files.truncate(3);
    for f in &files {
        let _ = info.resolve_line(f, 1);
        let _ = info.resolve_line(f, 50);
    }
    let _ = info.functions_named("main");
    for pc in (0..code_len).step_by(7) {
        let _ = info.location(pc);
        let _ = info.is_stmt_boundary(pc);
        let _ = info.line_range(pc);
        let _ = info.inline_frames(pc);
        if let Some(f) = info.function_at(pc) {
            let _ = info.functions_named(&f.name);
        }
        for v in info.variables(pc) {
            let _ = info.read_var(&v, &Frame).to_string();
            let _ = info.eval(&format!("*{0} + {0}[1]", v.name), pc, &Frame);
        }
    }
    true
}

#[test]
fn corrupted_dwarf_never_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let corpus = root.join("../shared/corpus/dwarf");
    assert!(
        corpus.is_dir(),
        "corpus missing: looked for {}",
        corpus.display()
    );
    let inputs = [
        corpus.join("wasmtime-debug/fib-wasm.wasm"),
        corpus.join("wasmtime-debug/fib-wasm-dwarf5.wasm"),
        corpus.join("binaryen/fib2_dwarf.wasm"),
        corpus.join("wasmtime-debug/fraction-norm.wasm"),
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // Mutants whose DWARF was loaded and queried, per input.
    let mut exercised = Vec::new();
    for path in &inputs {
        let module = Module::from_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let ranges: Vec<_> = module
            .custom_sections
            .iter()
            .filter(|c| c.name.starts_with(".debug_") && !c.data.is_empty())
            .map(|c| c.data.clone())
            .collect();
        assert!(!ranges.is_empty(), "{} has no DWARF", path.display());
        let mut n = 0;
        for _ in 0..60 {
            let mut bytes = module.bytes.to_vec();
            for _ in 0..1 + next() % 8 {
                let r = &ranges[(next() % ranges.len() as u64) as usize];
                let at = r.start + (next() % r.len() as u64) as usize;
                bytes[at] = match next() % 4 {
                    0 => 0xff,
                    1 => 0,
                    2 => bytes[at] ^ 0x80,
                    _ => next() as u8,
                };
            }
            n += usize::from(exercise(bytes));
        }
        exercised.push((path.display().to_string(), n));
    }
    // Broken DWARF must not make a module unloadable (custom sections are
    // not validated), so every mutant reached the DWARF queries above.
    for (path, n) in &exercised {
        assert_eq!(
            *n, 60,
            "{path}: a corrupt .debug_* section refused the module"
        );
    }
}
