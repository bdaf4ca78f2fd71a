//! `wdb profile`'s exact figures: calls and instruction counts from the
//! interpreter's call-stack profile, checked against counts made by hand,
//! and the renderings (table, JSON, folded stacks, flame graph, speedscope).

use std::path::PathBuf;
use std::sync::Arc;

use crate::{corpus, workspace};
use wdb_debugger::engine::module::Module;
use wdb_debugger::profile::{self, FuncRow, ProfileConfig, ProfileReport};
use wdb_debugger::runner::Mode;

fn wat(text: &str) -> Arc<Module> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lexes");
    let mut m: wast::Wat<'_> = wast::parser::parse(&buf).expect("parses");
    Arc::new(Module::new(m.encode().expect("encodes")).expect("valid"))
}

fn func<'a>(r: &'a ProfileReport, name: &str) -> &'a FuncRow {
    r.functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no function {name} in {:#?}", r.functions))
}

fn interp_only(file: PathBuf) -> ProfileConfig {
    ProfileConfig {
        file,
        modes: vec![Mode::Interp],
        runs: 1,
        ..ProfileConfig::default()
    }
}

const CALLS: &str = r#"(module
  (func $leaf (param i32) (result i32)
    local.get 0
    i32.const 1
    i32.add)
  (func $mid (param i32) (result i32)
    local.get 0
    call $leaf
    call $leaf)
  (func $main (export "main") (result i32)
    i32.const 5
    call $mid))"#;

#[test]
fn hand_counted_instructions_self_and_inclusive() {
    let mut cfg = interp_only(PathBuf::from("calls.wasm"));
    cfg.module = Some(wat(CALLS));
    cfg.invoke = Some(("main".into(), vec![]));
    let r = profile::profile(cfg).expect("profiles");
    // leaf: local.get, i32.const, i32.add, return = 4 (x2 calls);
    // mid: local.get, call, call, return = 4; main: i32.const, call, return = 3.
    assert_eq!(r.instructions, 8 + 4 + 3);
    let leaf = func(&r, "leaf");
    assert_eq!(
        (leaf.calls, leaf.self_instructions, leaf.incl_instructions),
        (2, 8, 8)
    );
    let mid = func(&r, "mid");
    assert_eq!(
        (mid.calls, mid.self_instructions, mid.incl_instructions),
        (1, 4, 12)
    );
    let main = func(&r, "main");
    assert_eq!(
        (main.calls, main.self_instructions, main.incl_instructions),
        (1, 3, 15)
    );
    assert_eq!(r.modes[0].outcome.as_deref(), Some("returned 7"));
    assert_eq!(r.modes[0].instructions, Some(15));
    assert_eq!(r.folded, vec!["main 3", "main;mid 4", "main;mid;leaf 8"]);
    // No internal disagreement between the flat counters and the tree.
    assert!(
        !r.notes.iter().any(|n| n.starts_with("internal")),
        "{:?}",
        r.notes
    );
}

#[test]
fn recursion_is_counted_once_in_inclusive_figures() {
    // even(n) calls odd(n-1) calls even(n-2) ... : mutual recursion.
    let m = r#"(module
      (func $even (export "even") (param i32) (result i32)
        local.get 0
        i32.eqz
        if (result i32)
          i32.const 1
        else
          local.get 0
          i32.const 1
          i32.sub
          call $odd
        end)
      (func $odd (param i32) (result i32)
        local.get 0
        i32.eqz
        if (result i32)
          i32.const 0
        else
          local.get 0
          i32.const 1
          i32.sub
          call $even
        end))"#;
    let mut cfg = interp_only(PathBuf::from("evenodd.wasm"));
    cfg.module = Some(wat(m));
    cfg.invoke = Some(("even".into(), vec!["6".into()]));
    let r = profile::profile(cfg).expect("profiles");
    assert_eq!(r.modes[0].outcome.as_deref(), Some("returned 1"));
    let even = func(&r, "even");
    let odd = func(&r, "odd");
    assert_eq!((even.calls, odd.calls), (4, 3));
    assert_eq!(
        even.self_instructions + odd.self_instructions,
        r.instructions
    );
    // The outermost function includes everything, once; `odd` everything
    // below its first call.
    assert_eq!(even.incl_instructions, r.instructions);
    assert!(odd.incl_instructions < r.instructions);
    assert!(odd.incl_instructions > odd.self_instructions);
}

#[test]
fn fib_20_makes_21891_calls() {
    let mut cfg = interp_only(workspace().join("fixtures/fib.wasm"));
    cfg.invoke = Some(("fib".into(), vec!["20".into()]));
    let r = profile::profile(cfg).expect("profiles");
    assert_eq!(r.modes[0].outcome.as_deref(), Some("returned 6765"));
    let fib = func(&r, "fib");
    assert_eq!(fib.calls, 21_891);
    assert_eq!(fib.incl_instructions, fib.self_instructions);
    // _initialize runs first; everything else is fib.
    let init = func(&r, "_initialize");
    assert_eq!(
        init.incl_instructions + fib.self_instructions,
        r.instructions
    );
    // The terminal table of this report: `repl/src/render/profile.rs`'s tests.
}

#[test]
fn renderings_are_well_formed() {
    let mut cfg = interp_only(PathBuf::from("calls.wasm"));
    cfg.module = Some(wat(CALLS));
    cfg.invoke = Some(("main".into(), vec![]));
    let r = profile::profile(cfg).expect("profiles");
    let j: serde_json::Value = serde_json::from_str(&r.to_json()).expect("JSON");
    assert_eq!(j["instructions"], 15);
    assert_eq!(j["functions"][0]["name"], "main");
    let s: serde_json::Value = serde_json::from_str(&r.speedscope_json()).expect("JSON");
    assert_eq!(s["profiles"][0]["type"], "sampled");
    assert_eq!(s["profiles"][0]["endValue"], 15);
    let frames = s["shared"]["frames"].as_array().expect("frames");
    assert_eq!(frames.len(), 3);
    // The heaviest sample is main;mid;leaf (8 instructions).
    let w = s["profiles"][0]["weights"].as_array().expect("weights");
    let i = w.iter().position(|x| x == 8).expect("leaf stack");
    let names: Vec<&str> = s["profiles"][0]["samples"][i]
        .as_array()
        .expect("sample")
        .iter()
        .map(|f| {
            frames[f.as_u64().expect("index") as usize]["name"]
                .as_str()
                .expect("name")
        })
        .collect();
    assert_eq!(names, ["main", "mid", "leaf"]);
    let svg = String::from_utf8(r.flamegraph_svg().expect("svg")).expect("utf-8");
    assert!(svg.starts_with("<?xml") && svg.contains("leaf") && svg.contains("</svg>"));
}

#[test]
fn unavailable_modes_say_so_and_never_fake_numbers() {
    let mut cfg = interp_only(workspace().join("fixtures/fib.wasm"));
    cfg.invoke = Some(("fib".into(), vec!["10".into()]));
    cfg.modes = vec![Mode::Interp, Mode::Jit, Mode::Aot];
    let r = profile::profile(cfg).expect("profiles");
    assert_eq!(r.modes.len(), 3);
    for m in &r.modes[1..] {
        match &m.unavailable {
            Some(why) => {
                assert_eq!(why, "not available in this build");
                assert!(m.wall.is_none() && m.cpu.is_none() && m.instructions.is_none());
            }
            // Once the runner provides the mode, it must agree with the interpreter.
            None => {
                assert_eq!(m.outcome.as_deref(), Some("returned 55"), "{}", m.mode);
                assert!(m.wall.is_some());
            }
        }
    }
    assert!(r.stdout_mismatches.is_empty(), "{:?}", r.stdout_mismatches);
}

#[test]
fn command_stdout_is_captured_and_compared_across_runs() {
    let mut cfg = interp_only(workspace().join("fixtures/bench/pi-O2.wasm"));
    cfg.args = vec!["50".into()];
    cfg.runs = 2;
    let r = profile::profile(cfg).expect("profiles");
    assert_eq!(
        String::from_utf8_lossy(&r.stdout),
        "3.14159265358979323846264338327950288419716939937510\n"
    );
    assert!(r.stdout_mismatches.is_empty(), "{:?}", r.stdout_mismatches);
    assert_eq!(r.modes[0].wall.expect("timed").runs, 2);
    assert_eq!(r.modes[0].stdout_bytes, Some(53));
    let arctan = func(&r, "arctan");
    assert_eq!(arctan.calls, 2);
    assert!(
        arctan.self_instructions * 2 > r.instructions,
        "arctan dominates"
    );
}

#[test]
fn lines_attribute_counts_to_c_source_with_text() {
    let mut cfg = interp_only(workspace().join("fixtures/pi-debug.wasm"));
    cfg.args = vec!["100".into()];
    cfg.lines = true;
    let r = profile::profile(cfg).expect("profiles");
    let l = r.lines.as_ref().expect("--lines");
    assert!(l.has_debug_info);
    assert_eq!(l.attributed + l.unattributed, r.instructions);
    assert_eq!(l.hot.len(), 20);
    let top = &l.hot[0];
    assert_eq!(top.file, "src/pi.c");
    assert_eq!(top.function, "div");
    // The text comes from fixtures/src/pi.c (relative to the module's dir).
    assert!(top.text.is_some(), "{top:?}");
    assert!(
        l.hot
            .windows(2)
            .all(|w| w[0].instructions >= w[1].instructions)
    );
}

#[test]
fn lines_on_rust_with_dwarf_say_where_sources_were_looked_for() {
    let mut cfg = interp_only(workspace().join("fixtures/dwarf/rustprog.wasm"));
    cfg.lines = true;
    let r = profile::profile(cfg).expect("profiles");
    let l = r.lines.as_ref().expect("--lines");
    assert!(l.has_debug_info);
    assert!(
        l.attributed > l.unattributed,
        "{} vs {}",
        l.attributed,
        l.unattributed
    );
    assert!(!l.missing_sources.is_empty());
    assert!(
        l.missing_sources
            .iter()
            .all(|m| m.contains("not found; looked in"))
    );
    assert!(
        r.functions.iter().any(|f| f.name == "rustprog::main"),
        "demangled names"
    );
}

#[test]
fn tinygo_command_profiles() {
    let file = corpus().join("tinygo/wazero-cli.wasm");
    let mut cfg = interp_only(file);
    cfg.args = vec!["hello".into()];
    let r = profile::profile(cfg).expect("profiles");
    assert!(r.instructions > 10_000);
    assert!(!r.stdout.is_empty());
    let total_self: u64 = r.functions.iter().map(|f| f.self_instructions).sum();
    assert_eq!(total_self, r.instructions);
    assert!(r.functions.iter().any(|f| f.name == "runtime.alloc"));
}

#[test]
fn native_command_is_timed() {
    let mut cfg = interp_only(PathBuf::from("calls.wasm"));
    cfg.module = Some(wat(CALLS));
    cfg.invoke = Some(("main".into(), vec![]));
    cfg.native = Some("printf abc".into());
    cfg.runs = 2;
    let r = profile::profile(cfg).expect("profiles");
    let n = r.native.as_ref().expect("native");
    assert_eq!((n.exit_code, n.stdout_bytes), (Some(0), 3));
    assert_eq!(n.cpu.expect("cpu").runs, 2);
    assert!(r.modes[0].speedup_vs_native.is_some());
    // A failing native command is an error, not a figure.
    let mut cfg = interp_only(PathBuf::from("calls.wasm"));
    cfg.module = Some(wat(CALLS));
    cfg.invoke = Some(("main".into(), vec![]));
    cfg.native = Some("exit 3".into());
    let e = profile::profile(cfg).expect_err("fails");
    assert!(e.0.contains("exited with 3"), "{e}");
}

#[test]
fn bad_invocations_are_errors() {
    let mut cfg = interp_only(PathBuf::from("calls.wasm"));
    cfg.module = Some(wat(CALLS));
    cfg.invoke = Some(("nope".into(), vec![]));
    let e = profile::profile(cfg).expect_err("no such export");
    assert!(e.0.contains("nope"), "{e}");
    let cfg = interp_only(workspace().join("fixtures/does-not-exist.wasm"));
    assert!(profile::profile(cfg).is_err());
}

/// A guest whose output differs from run to run (8 random bytes to stdout).
pub const RANDOM_OUTPUT: &str = r#"(module
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $random (i32.const 0) (i32.const 8)))
    (i32.store (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.const 8))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 32)))))"#;

#[test]
fn differing_guest_output_is_reported() {
    let mut cfg = interp_only(PathBuf::from("random.wasm"));
    cfg.module = Some(wat(RANDOM_OUTPUT));
    cfg.runs = 3;
    let r = profile::profile(cfg).expect("profiles");
    assert_eq!(r.stdout.len(), 8);
    // 64 random bits: the chance that all three runs match is 3 * 2^-64.
    assert_eq!(r.stdout_mismatches.len(), 3, "{:?}", r.stdout_mismatches);
    assert!(r.stdout_mismatches[0].starts_with("interp run 1: guest stdout differs"));
    // Host calls appear as leaf contexts with calls and no instructions.
    let w = func(&r, "wasi_snapshot_preview1::fd_write");
    assert_eq!((w.calls, w.self_instructions), (1, 0));
}
