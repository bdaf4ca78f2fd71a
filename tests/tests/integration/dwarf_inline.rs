//! Inlined subroutines through the `DebugInfo` API. Golden facts on
//! `fixtures/dwarf/inline.wasm` (clang -O2 -g, checked with
//! `llvm-dwarfdump-14 --debug-info`), and invariants at every code byte of
//! (a sample of) every corpus module that has `DW_TAG_inlined_subroutine`s (TinyGo, Zig,
//! split DWARF, Emscripten C++) and of the fixtures: each inline frame
//! contains the pc, has a call site, is found by `inline_instances_named`,
//! and the variables of the frames partition the variables in scope.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{corpus, workspace};
use wdb_debugger::dwarf::DebugInfo;
use wdb_engine::Module;

fn load(path: &Path) -> (Module, DebugInfo) {
    let module = Module::from_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (info, _) = DebugInfo::load(&module, Some(path));
    (module, info)
}

fn marker(name: &str) -> u32 {
    let src = std::fs::read_to_string(workspace().join("fixtures/dwarf/inline.c")).expect("read");
    let tag = format!("LINE-MARKER: {name}");
    src.lines()
        .position(|l| l.trim_end().ends_with(&tag))
        .map(|i| i as u32 + 1)
        .unwrap_or_else(|| panic!("no {tag}"))
}

#[test]
fn c_nested_inlines_with_call_sites_and_scoped_variables() {
    let (_, info) = load(&workspace().join("fixtures/dwarf/inline.wasm"));
    let scale = info.inline_instances_named("scale");
    assert_eq!(scale.len(), 1, "{scale:?}");
    let pc = scale[0].entry;
    let frames = info.inline_frames(pc);
    let got: Vec<(&str, Option<u32>)> = frames
        .iter()
        .map(|f| (f.name.as_str(), f.call_site.as_ref().map(|s| s.line)))
        .collect();
    assert_eq!(
        got,
        [
            ("scale", Some(marker("mix_call_scale"))),
            ("mix", Some(marker("compute_call_mix")))
        ]
    );
    assert!(
        frames[1]
            .ranges
            .iter()
            .any(|r| r.start <= frames[0].ranges[0].start)
    );
    assert_eq!(info.function_at(pc).map(|f| f.name), Some("compute".into()));
    let names = |frame| -> Vec<(String, bool)> {
        info.variables_in_frame(pc, frame)
            .into_iter()
            .map(|v| (v.name, v.is_param))
            .collect()
    };
    let s = |n: &str, p| (n.to_string(), p);
    assert_eq!(names(0), [s("v", true), s("k", true), s("r", false)]);
    assert_eq!(names(1), [s("a", true), s("b", true), s("s", false)]);
    assert_eq!(
        names(2),
        [
            s("n", true),
            s("m", false),
            s("i", false),
            s("total", false)
        ]
    );
    assert!(names(3).is_empty(), "past the outermost frame");
    // `square`: one inlined copy (in compute) besides its own function.
    let sq = info.inline_instances_named("square");
    assert_eq!(sq.len(), 1, "{sq:?}");
    assert_eq!(
        sq[0].call_site.as_ref().map(|s| s.line),
        Some(marker("compute_call_square"))
    );
    assert_eq!(info.functions_named("square").len(), 1);
    assert!(info.inline_instances_named("compute").is_empty());
}

/// Every module with inlined code: corpus/dwarf plus the fixtures.
#[test]
fn inline_frames_are_consistent_across_the_code() {
    let mut files = Vec::new();
    for dir in ["binaryen", "wasmtime-debug", "wazero"] {
        let d = corpus().join("dwarf").join(dir);
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "wasm") {
                files.push(p);
            }
        }
    }
    files.push(workspace().join("fixtures/dwarf/inline.wasm"));
    files.push(workspace().join("fixtures/dwarf/rustprog.wasm"));
    files.sort();
    let mut with_inlines = BTreeMap::new();
    for path in &files {
        let Ok(module) = Module::from_file(path) else {
            continue;
        };
        let (info, _) = DebugInfo::load(&module, Some(path));
        let Some(last) = module.bodies.last() else {
            continue;
        };
        let code_len = (last.range.end - module.code_section_start) as u32;
        let mut pcs_inlined = 0;
        let mut named_cache: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        // Every byte of small modules; a sample of big ones (debug builds are slow).
        let stride = (code_len / 4000).max(1) as usize;
        for pc in (0..code_len).step_by(stride) {
            let frames = info.inline_frames(pc);
            if frames.is_empty() {
                continue;
            }
            pcs_inlined += 1;
            let f = info
                .function_at(pc)
                .expect("inlined code is inside a function");
            assert!(f.low_pc <= pc && pc < f.high_pc);
            for (i, fr) in frames.iter().enumerate() {
                assert!(fr.contains(pc), "{}: {fr:?} at {pc:#x}", path.display());
                assert!(fr.ranges.iter().any(|r| r.contains(&fr.entry)) || fr.ranges.is_empty());
                if let Some(outer) = frames.get(i + 1) {
                    assert_ne!(outer.id, fr.id);
                }
                if !fr.name.starts_with('<') {
                    let entries = named_cache.entry(fr.name.clone()).or_insert_with(|| {
                        info.inline_instances_named(&fr.name)
                            .into_iter()
                            .map(|i| i.entry)
                            .collect()
                    });
                    assert!(
                        entries.contains(&fr.entry),
                        "{}: {} at {pc:#x}: entry {:#x} not among {entries:x?}",
                        path.display(),
                        fr.name,
                        fr.entry
                    );
                }
            }
            let all = info.variables(pc).len();
            let split: usize = (0..=frames.len())
                .map(|k| info.variables_in_frame(pc, k).len())
                .sum();
            assert_eq!(all, split, "{}: variables at {pc:#x}", path.display());
        }
        if pcs_inlined > 0 {
            with_inlines.insert(path.display().to_string(), pcs_inlined);
        }
    }
    println!("code bytes inside inlined calls: {with_inlines:#?}");
    assert!(
        with_inlines.len() >= 5,
        "expected at least 5 modules with inlined code, found {with_inlines:?}"
    );
}
