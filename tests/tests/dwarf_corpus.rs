//! Every DWARF-bearing module of the corpus (`corpus/dwarf`: C, C++, Rust,
//! TinyGo, Zig; DWARF 4/5, split DWARF, location lists; and the unstripped
//! C/Rust builds of `corpus/wasi-testsuite-p1`) goes through the whole
//! `DebugInfo` API: for each function, its first instruction maps to a line,
//! the variables in scope there are listed and formatted against a zeroed
//! frame. Nothing may panic, and most functions must map to a line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use wdb_debugger::dwarf::{DebugInfo, FrameAccess};
use wdb_engine::{Module, Value};

fn corpus() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let corpus = root.join("../shared/corpus");
    assert!(
        corpus.join("dwarf").is_dir() && corpus.join("wasi-testsuite-p1").is_dir(),
        "corpus missing: looked for {}/dwarf and {}/wasi-testsuite-p1",
        corpus.display(),
        corpus.display()
    );
    corpus
}

fn wasm_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            wasm_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "wasm") {
            out.push(p);
        }
    }
}

/// A frame whose locals, globals and operands are 0 and whose memory is 1 MiB of zeros.
struct ZeroFrame;

impl FrameAccess for ZeroFrame {
    fn local(&self, _: u32) -> Option<Value> {
        Some(Value::I32(0))
    }
    fn global(&self, _: u32) -> Option<Value> {
        Some(Value::I32(0))
    }
    fn operand(&self, _: u32) -> Option<Value> {
        Some(Value::I32(0))
    }
    fn read_memory(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        (addr.checked_add(len as u64)? <= 1 << 20).then(|| vec![0; len])
    }
}

fn leb_u32(bytes: &[u8], pos: &mut usize) -> u32 {
    let mut result = 0u32;
    let mut shift = 0;
    loop {
        let b = bytes[*pos];
        *pos += 1;
        result |= u32::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
        shift += 7;
        if b & 0x80 == 0 {
            return result;
        }
    }
}

/// `code_offset` of a body's first instruction (after its local declarations).
fn first_instruction(module: &Module, body_index: usize) -> u32 {
    let body = &module.bodies[body_index];
    let mut pos = body.range.start;
    let groups = leb_u32(&module.bytes, &mut pos);
    for _ in 0..groups {
        leb_u32(&module.bytes, &mut pos);
        pos += 1; // one-byte value type in Wasm 2.0
    }
    module.code_offset_from_module_offset(pos)
}

/// Report how long each lazy step takes on one big module, and check that the
/// lazy queries answer.
fn scale_report(path: &Path) {
    let module = Module::from_file(path).expect("loads");
    let debug_bytes: usize = module
        .custom_sections
        .iter()
        .filter(|c| c.name.starts_with(".debug_"))
        .map(|c| c.data.len())
        .sum();
    let t = Instant::now();
    let (info, _) = DebugInfo::load(&module, Some(path));
    let load = t.elapsed();
    // A function in the second half that has DWARF (std's do, the test's
    // may not), found with a separate instance so `info` stays cold.
    let (probe, _) = DebugInfo::load(&module, Some(path));
    let (pc, name) = (module.bodies.len() / 2..module.bodies.len())
        .map(|i| first_instruction(&module, i))
        .find_map(|pc| probe.function_at(pc).map(|f| (pc, f.name)))
        .expect("a function with DWARF");
    let t = Instant::now();
    let first = info.location(pc);
    let first_location = t.elapsed();
    let t = Instant::now();
    let _ = info.location(pc + 1);
    let second_location = t.elapsed();
    let t = Instant::now();
    let vars = info.variables(pc);
    let variables = t.elapsed();
    let t = Instant::now();
    let named = info.functions_named(&name);
    let all_functions = t.elapsed();
    let t = Instant::now();
    let files = info.source_files();
    let source_files = t.elapsed();
    println!(
        "scale: {} ({} bytes, {debug_bytes} bytes of DWARF): load {load:?}, first location() {first_location:?} \
         ({first:?}), second {second_location:?}, variables() {variables:?} ({} vars), \
         functions_named() over all units {all_functions:?} ({} hits for {name:?}), source_files() {source_files:?} ({} files)",
        path.display(),
        module.bytes.len(),
        vars.len(),
        named.len(),
        files.len()
    );
    // Timings are printed, not asserted: load speed is measured in
    // BENCHMARKS.md ("DWARF load"). What must hold is what the lazy paths find.
    assert!(first.is_some() && !named.is_empty(), "{name} at {pc:#x}");
    assert_eq!(
        info.location(pc),
        first,
        "the cached answer differs from the first"
    );
}

#[derive(Default, Debug)]
struct Totals {
    modules: usize,
    functions: usize,
    with_subprogram: usize,
    mapped: usize,
    variables: usize,
    optimized_out: usize,
    unavailable: usize,
}

#[test]
fn dwarf_corpus_every_function_maps_and_formats() {
    let corpus = corpus();
    let mut files = Vec::new();
    wasm_files(&corpus.join("dwarf"), &mut files);
    wasm_files(&corpus.join("wasi-testsuite-p1"), &mut files);
    let mut totals = Totals::default();
    let mut not_wasm2 = Vec::new();
    let mut biggest: Option<(u64, String, std::time::Duration)> = None;
    for path in &files {
        let module = match Module::from_file(path) {
            Ok(m) => m,
            Err(e) => {
                // Wasm 2.0 only: e.g. binaryen's exception-handling test.
                not_wasm2.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        if module.custom_section(".debug_info").is_none() {
            continue;
        }
        let start = Instant::now();
        let (info, warnings) = DebugInfo::load(&module, Some(path));
        if !module.bodies.is_empty() {
            let _ = info.location(first_instruction(&module, 0));
        }
        let elapsed = start.elapsed();
        let size = module.bytes.len() as u64;
        if biggest.as_ref().is_none_or(|b| size > b.0) {
            biggest = Some((size, path.display().to_string(), elapsed));
        }
        assert!(
            info.has_debug_info(),
            "{}: no units ({warnings:?})",
            path.display()
        );
        totals.modules += 1;
        let mut m_sub = 0;
        let mut m_mapped = 0;
        for i in 0..module.bodies.len() {
            let pc = first_instruction(&module, i);
            totals.functions += 1;
            let Some(func) = info.function_at(pc) else {
                continue;
            };
            m_sub += 1;
            if info.location(pc).is_some() {
                m_mapped += 1;
            }
            let _ = info.is_stmt_boundary(pc);
            let _ = info.line_range(pc);
            let _ = info.inline_frames(pc);
            assert!(
                func.low_pc <= pc && pc < func.high_pc,
                "{}: function_at({pc:#x}) = {func:?}",
                path.display()
            );
            for var in info.variables(pc) {
                totals.variables += 1;
                let text = info.read_var(&var, &ZeroFrame).to_string();
                if text == "<optimized out>" {
                    totals.optimized_out += 1;
                } else if text.starts_with("<unavailable") {
                    totals.unavailable += 1;
                }
                let _ = info.eval(&var.name, pc, &ZeroFrame);
            }
        }
        totals.with_subprogram += m_sub;
        totals.mapped += m_mapped;
        println!(
            "{}: {} bodies, {m_sub} with a subprogram, {m_mapped} mapped to a line, {} source files",
            path.display(),
            module.bodies.len(),
            info.source_files().len()
        );
    }
    println!("{totals:?}");
    println!("skipped (not Wasm 2.0): {not_wasm2:#?}");
    let (size, path, t) = biggest.expect("some module has DWARF");
    println!("biggest: {path} ({size} bytes): load + first location() in {t:?}");
    scale_report(Path::new(&path));
    assert!(
        totals.modules >= 60,
        "expected at least 60 DWARF modules, found {}",
        totals.modules
    );
    let ratio = totals.mapped as f64 / totals.with_subprogram.max(1) as f64;
    assert!(
        ratio >= 0.9,
        "only {}/{} functions with a DWARF subprogram map to a line",
        totals.mapped,
        totals.with_subprogram
    );
    assert!(
        totals.unavailable * 20 <= totals.variables,
        "too many unreadable variables: {totals:?}"
    );
}
