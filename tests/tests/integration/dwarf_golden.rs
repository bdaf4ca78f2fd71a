//! Golden facts about specific modules, cross-checked with
//! `llvm-dwarfdump-14 --debug-line` / `--debug-info`:
//! `fixtures/dwarf/structs.wasm` (C, DWARF 4), `fixtures/dwarf/rustprog.wasm`
//! (Rust), and from the corpus `wasmtime-debug/fib-wasm-dwarf5.wasm`
//! (DWARF 5) and `fib-wasm-split4.wasm` + `.dwp` (split DWARF).

use std::path::Path;

use crate::{corpus, workspace};
use wdb_debugger::dwarf::{DebugInfo, FrameAccess, SourceLoc, VarValue};
use wdb_engine::{Module, Value};

fn load(path: &Path) -> (Module, DebugInfo) {
    let module = Module::from_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (info, warnings) = DebugInfo::load(&module, Some(path));
    assert!(warnings.is_empty(), "{}: {warnings:?}", path.display());
    assert!(info.has_debug_info());
    (module, info)
}

fn structs() -> (Module, DebugInfo) {
    load(&workspace().join("fixtures/dwarf/structs.wasm"))
}

fn loc(file: &str, line: u32, column: u32) -> Option<SourceLoc> {
    Some(SourceLoc {
        file: file.to_string(),
        line,
        column,
    })
}

/// A paused frame: every local holds the stack pointer `sp`; 1 MiB of memory.
struct FakeFrame {
    sp: u32,
    mem: Vec<u8>,
}

impl FakeFrame {
    fn new(sp: u32) -> FakeFrame {
        FakeFrame {
            sp,
            mem: vec![0; 1 << 20],
        }
    }
    fn put(&mut self, addr: u32, bytes: &[u8]) {
        self.mem[addr as usize..addr as usize + bytes.len()].copy_from_slice(bytes);
    }
    fn put_u32(&mut self, addr: u32, v: u32) {
        self.put(addr, &v.to_le_bytes());
    }
}

impl FrameAccess for FakeFrame {
    fn local(&self, _: u32) -> Option<Value> {
        Some(Value::I32(self.sp as i32))
    }
    fn global(&self, _: u32) -> Option<Value> {
        Some(Value::I32(self.sp as i32))
    }
    fn operand(&self, _: u32) -> Option<Value> {
        None
    }
    fn read_memory(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let a = usize::try_from(addr).ok()?;
        self.mem.get(a..a.checked_add(len)?).map(<[u8]>::to_vec)
    }
}

fn address_of(v: Result<VarValue, String>) -> u32 {
    match v {
        Ok(VarValue::Pointer { address, .. }) => address as u32,
        other => panic!("expected a pointer, got {other:?}"),
    }
}

#[test]
fn c_line_table_matches_llvm_dwarfdump() {
    let (_, info) = structs();
    // llvm-dwarfdump-14 --debug-line fixtures/dwarf/structs.wasm
    assert_eq!(info.location(0x1f), loc("dwarf/structs.c", 40, 0));
    assert_eq!(info.location(0x6c), loc("dwarf/structs.c", 43, 14)); // LINE-MARKER: dot_xx
    assert_eq!(info.location(0x75), loc("dwarf/structs.c", 43, 17)); // inside the 0x73 row
    assert_eq!(info.location(0x1ca), loc("dwarf/structs.c", 53, 18)); // perimeter_loop
    assert_eq!(info.location(0x321), loc("dwarf/structs.c", 59, 12)); // perimeter_ret
    assert!(info.is_stmt_boundary(0x6c));
    assert!(
        !info.is_stmt_boundary(0x73),
        "a column change on the same line is not a new line"
    );
    assert!(!info.is_stmt_boundary(0x75), "not the start of a row");
    assert_eq!(info.line_range(0x80), Some(0x6c..0x96));
    assert!(info.source_files().iter().any(|f| f == "dwarf/structs.c"));
}

#[test]
fn c_resolve_line_exact_blank_and_loop() {
    let (_, info) = structs();
    let m = info
        .resolve_line("structs.c", 53)
        .expect("line 53 has code");
    assert_eq!(
        (m.file.as_str(), m.requested_line, m.line),
        ("dwarf/structs.c", 53, 53)
    );
    assert_eq!(m.code_offsets, vec![0x1ca]);
    // Line 47 is blank: the next line with code is 48 (`int perimeter(...) {`).
    let m = info
        .resolve_line("dwarf/structs.c", 47)
        .expect("moves to 48");
    assert_eq!(
        (m.requested_line, m.line, m.code_offsets.clone()),
        (47, 48, vec![0xdb])
    );
    // A `for` line has code in two places: the init and the increment.
    let m = info.resolve_line("structs.c", 50).expect("line 50");
    assert_eq!(m.code_offsets, vec![0x103, 0x304]);
    assert!(
        info.resolve_line("nosuch.c", 1)
            .unwrap_err()
            .contains("no source file")
    );
    assert!(info.resolve_line("structs.c", 500).is_err());
}

#[test]
fn ambiguous_file_lists_candidates() {
    // Rust's std has many `mod.rs`.
    let (_, info) = load(&workspace().join("fixtures/dwarf/rustprog.wasm"));
    let files = info.source_files();
    let n = files.iter().filter(|f| f.ends_with("/mod.rs")).count();
    assert!(n > 1, "{files:?}");
    let err = info.resolve_line("mod.rs", 1).unwrap_err();
    assert!(err.contains("ambiguous"), "{err}");
    assert_eq!(err.matches("/mod.rs").count(), n, "{err}");
}

#[test]
fn c_functions_by_name_and_pc() {
    let (_, info) = structs();
    let fs = info.functions_named("perimeter");
    assert_eq!(fs.len(), 1);
    let f = &fs[0];
    assert_eq!(
        (f.name.as_str(), f.low_pc, f.high_pc),
        ("perimeter", 0xdb, 0x32c)
    );
    assert_eq!(f.decl, loc("dwarf/structs.c", 48, 0));
    assert_eq!(f.entry_after_prologue, Some(0xf8)); // prologue_end row, line 49
    assert_eq!(
        info.function_at(0x1ca).map(|f| f.name),
        Some("perimeter".to_string())
    );
    assert!(info.functions_named("no_such_function").is_empty());
}

/// `perimeter(const shape_t *s)` paused at its loop: `s` points at a shape
/// built in fake memory.
fn perimeter_frame() -> FakeFrame {
    let mut fr = FakeFrame::new(0x1000);
    fr.put_u32(0x1000 + 28, 0x2000); // s (DW_OP_fbreg +28)
    fr.put_u32(0x1000 + 24, 7); // total
    fr.put_u32(0x1000 + 20, 2); // i
    fr.put_u32(0x2000, 0x3000); // name
    fr.put(0x3000, b"square\0");
    fr.put_u32(0x2004, 0x3100); // origin
    fr.put_u32(0x3100, 10);
    fr.put_u32(0x3104, 20);
    fr.put_u32(0x2008, 4); // npoints
    for (i, (x, y)) in [(0, 0), (4, 0), (4, 4), (0, 4)].into_iter().enumerate() {
        fr.put_u32(0x200c + 8 * i as u32, x);
        fr.put_u32(0x2010 + 8 * i as u32, y);
    }
    fr.put_u32(0x202c, 1); // color = GREEN
    fr.put(0x2030, &1.5f32.to_le_bytes()); // u.f
    fr
}

#[test]
fn c_struct_values_format() {
    let (_, info) = structs();
    let fr = perimeter_frame();
    let pc = 0x1ca; // perimeter_loop
    let vars = info.variables(pc);
    let names: Vec<(&str, bool)> = vars.iter().map(|v| (v.name.as_str(), v.is_param)).collect();
    assert_eq!(
        names,
        [
            ("s", true),
            ("p", false),
            ("q", false),
            ("dx", false),
            ("dy", false),
            ("i", false),
            ("total", false)
        ]
    );
    let s = &vars[0];
    assert_eq!(s.type_name, "const shape_t *");
    assert_eq!(s.location_text(), "fbreg+28");
    assert_eq!(
        info.read_var(s, &fr).to_string(),
        "(const shape_t *) 0x2000"
    );
    let total = vars.iter().find(|v| v.name == "total").expect("total");
    assert_eq!(info.read_var(total, &fr).to_string(), "7");
    let eval = |e: &str| info.eval(e, pc, &fr).map(|v| v.to_string());
    assert_eq!(
        eval("*s").as_deref(),
        Ok(
            "{name = 0x3000 \"square\", origin = (struct point *) 0x3100, npoints = 4, \
            pts = {{x = 0, y = 0}, {x = 4, y = 0}, {x = 4, y = 4}, {x = 0, y = 4}}, \
            color = GREEN, u = {i = 1069547520, f = 1.5}}"
        )
    );
    assert_eq!(eval("s->pts[2].x").as_deref(), Ok("4"));
    assert_eq!(eval("*s->origin").as_deref(), Ok("{x = 10, y = 20}"));
    assert_eq!(eval("s->origin->y - s->origin->x").as_deref(), Ok("10"));
    assert_eq!(eval("s->color").as_deref(), Ok("GREEN"));
    assert_eq!(eval("&s->pts[1]").as_deref(), Ok("(struct point *) 0x2014"));
    assert_eq!(
        eval("s->npoints == 4 && s->pts[1].x > 3").as_deref(),
        Ok("1")
    );
    assert_eq!(
        eval("i % 2 == 0 || nosuch").as_deref(),
        Ok("1"),
        "|| short-circuits"
    );
    assert_eq!(eval("(total + 3) * 2").as_deref(), Ok("20"));
    assert_eq!(eval("0x10 + -1").as_deref(), Ok("15"));
    assert!(eval("nosuch").unwrap_err().contains("no variable `nosuch`"));
    assert!(
        eval("s->nofield")
            .unwrap_err()
            .contains("no field `nofield`")
    );
    assert!(eval("s.npoints").unwrap_err().contains("->"));
    assert!(
        eval("total / (i - 2)")
            .unwrap_err()
            .contains("division by zero")
    );
    assert!(eval("s->").is_err());
}

#[test]
fn c_globals_and_static_locals() {
    let (_, info) = structs();
    let mut fr = perimeter_frame();
    let pc = 0x1ca;
    let primes = address_of(info.eval("&primes[3]", pc, &fr));
    let label = address_of(info.eval("&label", pc, &fr));
    fr.put_u32(primes, 7);
    fr.put(label, b"wdb\0");
    assert_eq!(
        info.eval("primes[3]", pc, &fr)
            .map(|v| v.to_string())
            .as_deref(),
        Ok("7")
    );
    assert_eq!(
        info.eval("label", pc, &fr)
            .map(|v| v.to_string())
            .as_deref(),
        Ok("\"wdb\"")
    );
    assert_eq!(
        info.eval("primes", pc, &fr)
            .map(|v| v.to_string())
            .as_deref(),
        Ok("{0, 0, 0, 7, 0, 0, 0, 0}")
    );
    // `static int calls` in dot(): in scope there, with a fixed address.
    let dot = &info.functions_named("dot")[0];
    let pc = dot.entry_after_prologue.expect("dot has a prologue");
    let calls = info
        .variables(pc)
        .into_iter()
        .find(|v| v.name == "calls")
        .expect("calls");
    assert!(!calls.is_param);
    assert_eq!(info.read_var(&calls, &fr).to_string(), "0");
}

#[test]
fn rust_names_lines_and_values() {
    let (_, info) = load(&workspace().join("fixtures/dwarf/rustprog.wasm"));
    let fs = info.functions_named("summarize");
    assert_eq!(fs.len(), 1, "{fs:?}");
    let f = &fs[0];
    assert_eq!(f.name, "rustprog::summarize");
    let linkage = f
        .linkage_name
        .clone()
        .expect("Rust functions carry a linkage name");
    assert!(
        linkage.starts_with("_ZN8rustprog9summarize17h"),
        "{linkage}"
    );
    assert_eq!(info.functions_named(&linkage).len(), 1);
    assert_eq!(info.functions_named("rustprog::summarize").len(), 1);
    assert_eq!(f.decl, loc("dwarf/rustprog/src/main.rs", 42, 0));
    let pc = f.entry_after_prologue.expect("prologue end");
    let here = info.location(pc).expect("entry maps to a line");
    assert_eq!(
        (here.file.as_str(), here.line),
        ("dwarf/rustprog/src/main.rs", 43)
    ); // summarize_total
    let m = info.resolve_line("src/main.rs", 43).expect("line 43");
    assert!(m.code_offsets.contains(&pc), "{m:?} vs {pc:#x}");
    // Line 40 is blank and 41 is an attribute: the next code is `fn summarize` on 42.
    let m = info.resolve_line("main.rs", 40).expect("moves on");
    assert_eq!(
        (m.line, m.code_offsets.first().copied()),
        (42, Some(f.low_pc))
    );

    let vars = info.variables(pc);
    let names: Vec<&str> = vars.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["cfg", "label", "origin", "shape"]);
    assert_eq!(vars[1].type_name, "&str");
    let mut fr = FakeFrame::new(0x1000);
    // label: &str at fbreg+32 = {data_ptr, length}; origin: Point at fbreg+164.
    fr.put_u32(0x1000 + 32, 0x5000);
    fr.put_u32(0x1000 + 36, 5);
    fr.put(0x5000, b"hello");
    fr.put_u32(0x1000 + 164, 3);
    fr.put_u32(0x1000 + 168, 4);
    assert_eq!(info.read_var(&vars[1], &fr).to_string(), "\"hello\"");
    assert_eq!(info.read_var(&vars[2], &fr).to_string(), "{x = 3, y = 4}");
    assert_eq!(
        info.eval("origin.x + origin.y", pc, &fr)
            .map(|v| v.to_string())
            .as_deref(),
        Ok("7")
    );
}

#[test]
fn dwarf5_module_from_the_corpus() {
    let (_, info) = load(&corpus().join("dwarf/wasmtime-debug/fib-wasm-dwarf5.wasm"));
    let f = &info.functions_named("fib")[0];
    assert_eq!(
        f.decl.as_ref().map(|d| (d.file.as_str(), d.line)),
        Some(("fib-wasm.c", 8))
    );
    let pc = f.entry_after_prologue.expect("prologue");
    assert_eq!(info.location(pc).map(|l| l.line), Some(9));
    let names: Vec<String> = info.variables(pc).into_iter().map(|v| v.name).collect();
    assert_eq!(names, ["n", "t", "a", "b"]);
}

#[test]
fn split_dwarf_needs_its_dwp() {
    let path = corpus().join("dwarf/wasmtime-debug/fib-wasm-split4.wasm");
    let (module, info) = load(&path);
    let f = &info.functions_named("fib")[0];
    let pc = f.entry_after_prologue.expect("prologue");
    let names: Vec<String> = info.variables(pc).into_iter().map(|v| v.name).collect();
    assert_eq!(names, ["n", "t", "a", "b"]);
    // Without the module's path the .dwp is not found: lines still work
    // (they are in the skeleton), functions and variables do not.
    let (alone, warnings) = DebugInfo::load(&module, None);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("split debug info"), "{warnings:?}");
    assert_eq!(alone.location(pc), info.location(pc));
    assert!(alone.functions_named("fib").is_empty());
}

#[test]
fn no_dwarf_is_an_empty_map() {
    let module = Module::from_file(&workspace().join("fixtures/pi.wasm")).expect("pi.wasm");
    let (info, warnings) = DebugInfo::load(&module, None);
    assert!(!info.has_debug_info());
    assert!(warnings.is_empty());
    assert_eq!(info.location(0x10), None);
    assert!(info.resolve_line("pi.c", 10).is_err());
}

#[test]
fn rust_std_types_and_enums_format() {
    let (_, info) = load(&workspace().join("fixtures/dwarf/rustprog.wasm"));
    let m = info.resolve_line("src/main.rs", 64).expect("main_call"); // LINE-MARKER: main_call
    let pc = m.code_offsets[0];
    let mut fr = FakeFrame::new(0x1000);
    let addr = |e: &str, fr: &FakeFrame| address_of(info.eval(e, pc, fr));
    // cfg: Config { name: String, values: Vec<i32>, limit: Option<u32> }, laid
    // out where DWARF says (the pointer sits deep inside RawVec).
    let values_ptr = addr("&cfg.values.buf.inner.ptr.pointer.pointer", &fr);
    let values_len = addr("&cfg.values.len", &fr);
    let name_ptr = addr("&cfg.name.vec.buf.inner.ptr.pointer.pointer", &fr);
    let name_len = addr("&cfg.name.vec.len", &fr);
    let limit = addr("&cfg.limit", &fr);
    fr.put_u32(values_ptr, 0x6000);
    fr.put_u32(values_len, 5);
    for (i, v) in [3u32, 1, 4, 1, 5].into_iter().enumerate() {
        fr.put_u32(0x6000 + 4 * i as u32, v);
    }
    fr.put_u32(name_ptr, 0x6100);
    fr.put_u32(name_len, 4);
    fr.put(0x6100, b"demo");
    let show = |e: &str, fr: &FakeFrame| info.eval(e, pc, fr).map(|v| v.to_string());
    assert_eq!(show("cfg.limit", &fr).as_deref(), Ok("None"));
    fr.put_u32(limit, 1);
    fr.put_u32(limit + 4, 10);
    assert_eq!(
        show("cfg", &fr).as_deref(),
        Ok("{name = \"demo\", values = vec![3, 1, 4, 1, 5], limit = Some(10)}")
    );
    assert_eq!(show("cfg.values.len * 2", &fr).as_deref(), Ok("10"));
    // A long Vec shows its first 100 elements and its length.
    fr.put_u32(values_len, 1000);
    let long = show("cfg.values", &fr).expect("reads");
    assert!(long.ends_with(", ...] (len 1000)"), "{long}");
    assert_eq!(long.matches(", ").count(), 100);
    // shape = Shape::Rect(Point { 0, 0 }, Point { 20, 10 }): tag 1 at offset 0.
    let shape = addr("&shape", &fr);
    fr.put_u32(shape, 1);
    fr.put_u32(shape + 12, 20);
    fr.put_u32(shape + 16, 10);
    assert_eq!(
        show("shape", &fr).as_deref(),
        Ok("Rect({x = 0, y = 0}, {x = 20, y = 10})")
    );
    // others = [Circle { center: origin, radius: 2 }, Empty].
    let others = addr("&others", &fr);
    fr.put_u32(others + 4, 2);
    fr.put_u32(others + 20, 2);
    assert_eq!(
        show("others", &fr).as_deref(),
        Ok("{Circle {center: {x = 0, y = 0}, radius: 2}, Empty}")
    );
}

#[test]
fn rust_inline_frames_and_their_variables() {
    let (_, info) = load(&workspace().join("fixtures/dwarf/rustprog.wasm"));
    // llvm-dwarfdump: in rustprog::main, DIE 0x6b05 inlines
    // box_assume_init_into_vec_unsafe at main.rs:57:17, and inside it 0x6b1e
    // inlines `<[T]>::into_vec` at boxed.rs:265:44, over [0x1a9d, 0x1b18).
    let frames = info.inline_frames(0x1a9d);
    type Site = Option<(String, u32, u32)>;
    let got: Vec<(&str, Site)> = frames
        .iter()
        .map(|f| {
            let site = f.call_site.as_ref().map(|s| {
                let file = s.file.rsplit('/').next().unwrap_or(&s.file).to_string();
                (file, s.line, s.column)
            });
            (f.name.as_str(), site)
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "alloc::slice::<impl [T]>::into_vec",
                Some(("boxed.rs".to_string(), 265, 44))
            ),
            (
                "alloc::boxed::box_assume_init_into_vec_unsafe",
                Some(("main.rs".to_string(), 57, 17))
            ),
        ]
    );
    assert_eq!(
        info.function_at(0x1a9d).map(|f| f.name),
        Some("rustprog::main".to_string())
    );
    let names: Vec<(String, bool)> = info
        .variables(0x1a9d)
        .into_iter()
        .map(|v| (v.name, v.is_param))
        .collect();
    assert!(names.contains(&("b".to_string(), true)), "{names:?}");
    assert!(names.contains(&("self".to_string(), false)), "{names:?}");
    // DIE 0x6af5: Box::new_uninit inlined at main.rs:57:17 over [0x1a20, 0x1a2c).
    let one = info.inline_frames(0x1a20);
    assert_eq!(one.len(), 1, "{one:?}");
    assert_eq!(one[0].name, "alloc::boxed::Box<T>::new_uninit");
    assert_eq!(
        one[0].call_site.as_ref().map(|s| (s.line, s.column)),
        Some((57, 17))
    );
    assert!(
        info.inline_frames(0x1a2c).is_empty(),
        "the range is half-open"
    );
}

#[test]
fn cpp_names_demangle() {
    let (_, info) = load(&corpus().join("dwarf/wasmtime-debug/fraction-norm.wasm"));
    // DW_AT_linkage_name "_Z3absl" at 0x232.
    let fs = info.functions_named("abs");
    assert_eq!(fs.len(), 1, "{fs:?}");
    assert_eq!(fs[0].name, "abs(long)");
    assert_eq!(fs[0].linkage_name.as_deref(), Some("_Z3absl"));
    assert_eq!(fs[0].low_pc, 0x232);
    assert_eq!(info.functions_named("_Z3absl").len(), 1);
    assert_eq!(info.functions_named("norm")[0].low_pc, 0x30);
}

#[test]
fn location_lists_and_types_in_other_units() {
    // TinyGo: runtime.hash32's `ptr` has a location list (.debug_loc) that
    // covers only [0x767, 0x77d) with `DW_OP_WASM_location 0x0 0x0,
    // DW_OP_stack_value`, and its type `unsafe.Pointer` lives in another
    // compile unit (DW_FORM_ref_addr).
    let (_, info) = load(&corpus().join("dwarf/wazero/tinygo-main.wasm"));
    let f = &info.functions_named("runtime.hash32")[0];
    assert_eq!((f.low_pc, f.high_pc), (0x767, 0x7ff));
    let fr = FakeFrame::new(0x1234);
    let ptr_at = |pc: u32| {
        info.variables(pc)
            .into_iter()
            .find(|v| v.name == "ptr")
            .expect("ptr in scope")
    };
    let early = ptr_at(0x770);
    assert_eq!(early.type_name, "unsafe.Pointer");
    assert!(!early.is_optimized_out());
    assert_eq!(
        info.read_var(&early, &fr).to_string(),
        "(unsafe.Pointer) 0x1234"
    );
    assert_eq!(early.location_text(), "wasm-local 0; stack-value");
    let late = ptr_at(0x790);
    assert_eq!(late.location_text(), "<optimized out>");
    assert!(late.is_optimized_out());
    assert_eq!(info.read_var(&late, &fr).to_string(), "<optimized out>");
    // Lines start after TinyGo's prologue: the entry maps nowhere, but the
    // function still has a place to break.
    assert_eq!(info.location(0x767), None);
    assert_eq!(f.entry_after_prologue, Some(0x770));
}
