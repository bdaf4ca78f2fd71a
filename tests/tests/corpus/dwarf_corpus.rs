//! Every DWARF-bearing module of the corpus (`corpus/dwarf`: C, C++, Rust,
//! TinyGo, Zig; DWARF 4/5, split DWARF, location lists; and the unstripped
//! C/Rust builds of `corpus/wasi-testsuite-p1`) goes through the whole
//! `DebugInfo` API: for each function, its first instruction maps to a line,
//! the variables in scope there are listed and formatted against a zeroed
//! frame. Nothing may panic, and most functions must map to a line.
//!
//! One trial per module with a `.debug_info` section
//! (`dwarf_corpus::file::PATH`), `dwarf_corpus::totals` for what must hold
//! over the whole corpus (each module is checked once: the totals wait for
//! the files' trials running in parallel and check the rest themselves),
//! and `dwarf_corpus::scale` for the lazy queries on the biggest module.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use libtest_mimic::{Failed, Trial};
use wdb_debugger::dwarf::{DebugInfo, FrameAccess};
use wdb_engine::{Module, Value};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
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

/// What one module's check found.
#[derive(Default, Debug, Clone)]
struct Totals {
    modules: usize,
    functions: usize,
    with_subprogram: usize,
    mapped: usize,
    variables: usize,
    optimized_out: usize,
    unavailable: usize,
}

impl Totals {
    fn add(&mut self, o: &Totals) {
        self.modules += o.modules;
        self.functions += o.functions;
        self.with_subprogram += o.with_subprogram;
        self.mapped += o.mapped;
        self.variables += o.variables;
        self.optimized_out += o.optimized_out;
        self.unavailable += o.unavailable;
    }
}

/// A module's check, done once whichever trial asks first.
type Outcome = Result<Totals, String>;

/// Every function's first instruction through the `DebugInfo` API.
fn check_module(path: &Path) -> Outcome {
    let module = Module::from_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (info, warnings) = DebugInfo::load(&module, Some(path));
    if !info.has_debug_info() {
        return Err(format!("{}: no units ({warnings:?})", path.display()));
    }
    let mut totals = Totals {
        modules: 1,
        ..Totals::default()
    };
    for i in 0..module.bodies.len() {
        let pc = first_instruction(&module, i);
        totals.functions += 1;
        let Some(func) = info.function_at(pc) else {
            continue;
        };
        totals.with_subprogram += 1;
        if info.location(pc).is_some() {
            totals.mapped += 1;
        }
        let _ = info.is_stmt_boundary(pc);
        let _ = info.line_range(pc);
        let _ = info.inline_frames(pc);
        if !(func.low_pc <= pc && pc < func.high_pc) {
            return Err(format!(
                "{}: function_at({pc:#x}) = {func:?}",
                path.display()
            ));
        }
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
    println!(
        "{}: {} bodies, {} with a subprogram, {} mapped to a line, {} source files",
        path.display(),
        module.bodies.len(),
        totals.with_subprogram,
        totals.mapped,
        info.source_files().len()
    );
    Ok(totals)
}

/// The check of one module, run at most once; a panic is the module's failure.
fn checked(path: &Path, cell: &OnceLock<Outcome>) -> Outcome {
    cell.get_or_init(|| {
        std::panic::catch_unwind(|| check_module(path)).unwrap_or_else(|e| {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into());
            Err(format!("{}: panicked: {msg}", path.display()))
        })
    })
    .clone()
}

/// Whether a file is a module with a `.debug_info` section (read without
/// validating: the trials load it properly).
fn has_debug_info(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    wasmparser::Parser::new(0).parse_all(&bytes).any(
        |p| matches!(p, Ok(wasmparser::Payload::CustomSection(c)) if c.name() == ".debug_info"),
    )
}

pub fn trials() -> Vec<Trial> {
    let corpus = corpus();
    let mut files = Vec::new();
    for dir in ["dwarf", "wasi-testsuite-p1"] {
        let dir = corpus.join(dir);
        if !dir.is_dir() {
            return vec![wdb_tests::missing_corpus(
                "dwarf_corpus",
                format!("corpus missing: looked for {}", dir.display()),
            )];
        }
        wasm_files(&dir, &mut files);
    }
    files.retain(|p| has_debug_info(p));
    if files.is_empty() {
        return vec![wdb_tests::missing_corpus(
            "dwarf_corpus",
            format!("no module with DWARF under {}", corpus.display()),
        )];
    }
    let cells: Arc<Vec<(PathBuf, OnceLock<Outcome>)>> =
        Arc::new(files.into_iter().map(|p| (p, OnceLock::new())).collect());
    let mut trials = Vec::new();
    for i in 0..cells.len() {
        let rel = cells[i].0.strip_prefix(&corpus).unwrap_or(&cells[i].0);
        let name = format!("dwarf_corpus::file::{}", rel.display());
        let cells = cells.clone();
        trials.push(Trial::test(name, move || {
            let (path, cell) = &cells[i];
            checked(path, cell).map(|_| ()).map_err(Failed::from)
        }));
    }
    let biggest = cells
        .iter()
        .max_by_key(|(p, _)| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .map(|(p, _)| p.clone())
        .expect("at least one file");
    trials.push(Trial::test("dwarf_corpus::scale", move || {
        scale_report(&biggest);
        Ok(())
    }));
    // Last, so that with parallel trials most modules are checked already.
    trials.push(Trial::test("dwarf_corpus::totals", move || {
        let mut totals = Totals::default();
        let mut failed = Vec::new();
        for (path, cell) in cells.iter() {
            match checked(path, cell) {
                Ok(t) => totals.add(&t),
                Err(e) => failed.push(e),
            }
        }
        println!("{totals:?}");
        if !failed.is_empty() {
            return Err(format!(
                "{} modules failed:\n  {}",
                failed.len(),
                failed.join("\n  ")
            )
            .into());
        }
        if totals.modules < 60 {
            return Err(format!(
                "expected at least 60 DWARF modules, found {}",
                totals.modules
            )
            .into());
        }
        let ratio = totals.mapped as f64 / totals.with_subprogram.max(1) as f64;
        if ratio < 0.9 {
            return Err(format!(
                "only {}/{} functions with a DWARF subprogram map to a line",
                totals.mapped, totals.with_subprogram
            )
            .into());
        }
        if totals.unavailable * 20 > totals.variables {
            return Err(format!("too many unreadable variables: {totals:?}").into());
        }
        Ok(())
    }));
    trials
}
