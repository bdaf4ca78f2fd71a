//! The checks behind wdb's fuzz targets, as plain functions over bytes so the
//! normal test suite can replay the seed corpora and every crash found
//! (`tests/tests/fuzz_regressions.rs` includes this file with `#[path]`).
//!
//! Each function panics only on a real bug: a panic inside wdb, or a broken
//! invariant this harness checks (two engines disagreeing, a file outside the
//! sandbox touched). Bad input is supposed to produce an error, and is ignored.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use wdb_engine::interp::{Execution, PauseReason, RunControl, RunOutcome};
use wdb_engine::module::ImportKind;
use wdb_engine::runtime::{Extern, HostFunc, InstanceId, Store, StoreConfig};
use wdb_engine::value::FuncAddr;
use wdb_engine::{ErrorKind, Module, Value};

/// The REPL's command parser, taken from the binary crate's source as is
/// (the repl crate has no library target; this is the least invasive way).
/// Left out when this file is compiled into the test suite (its `#[cfg(test)]
/// mod tests` would not resolve from here); the suite replays the REPL corpus
/// through the `wdb` binary instead.
#[cfg(not(test))]
#[rustfmt::skip]
#[path = "../../repl/src/parse.rs"]
#[allow(dead_code, clippy::all)]
pub mod repl_parse_src;

/// Limits for fuzzed modules: small enough that one input cannot take the
/// machine's memory, large enough for what wasm-smith generates.
pub fn fuzz_store_config() -> StoreConfig {
    StoreConfig {
        max_memory_bytes: 64 << 20,
        max_call_depth: 2_000,
        ..StoreConfig::default()
    }
}

/// Define a stand-in for every import of `module`: functions return zeros,
/// memories, tables and globals get the imported type. `None` when the store
/// refuses one (a limit), which is a clean error, not a bug.
pub fn stub_imports(store: &mut Store, module: &Module) -> Option<Vec<Extern>> {
    let mut out = Vec::with_capacity(module.imports.len());
    for imp in &module.imports {
        let ext = match imp.kind {
            ImportKind::Func(type_index) => {
                let ty = module.types[type_index as usize].clone();
                let f: HostFunc = Arc::new(|_caller, _params, results| {
                    for r in results.iter_mut() {
                        *r = Value::default_for(r.ty());
                    }
                    Ok(())
                });
                Extern::Func(store.add_host_func(ty, f))
            }
            ImportKind::Table(ty) => {
                let init = if ty.element_type.is_func_ref() {
                    Value::FuncRef(None)
                } else {
                    Value::ExternRef(None)
                };
                Extern::Table(store.add_table(ty, init).ok()?)
            }
            ImportKind::Memory(ty) => Extern::Memory(store.add_memory(ty).ok()?),
            ImportKind::Global(ty) => Extern::Global(
                store
                    .add_global(ty, Value::default_for(ty.content_type))
                    .ok()?,
            ),
            ImportKind::Tag(t) => Extern::Tag(store.add_tag(module.types[t as usize].clone())),
        };
        out.push(ext);
    }
    Some(out)
}

/// `decode`: arbitrary bytes -> `Module::new` -> instantiate against stubs ->
/// translate every defined function (a breakpoint at pc 0 forces it) and
/// read its DWARF, best effort. Nothing may panic; a module that validated
/// must translate.
pub fn decode(data: &[u8]) {
    if wdb_engine::component::is_component(data) {
        decode_component(data);
        return;
    }
    let Ok(module) = Module::new(data.to_vec()) else {
        return;
    };
    let module = Arc::new(module);
    let _ = wdb_debugger::dwarf::DebugInfo::load(&module, None);
    let mut store = Store::new(fuzz_store_config());
    let Some(imports) = stub_imports(&mut store, &module) else {
        return;
    };
    let Ok((inst, _start)) = store.instantiate(module.clone(), &imports) else {
        return;
    };
    for index in module.num_imported_funcs..module.num_funcs() {
        let func = store.instance_func(inst, index);
        match store.set_breakpoint(func, 0) {
            Ok(()) => store.clear_breakpoint(func, 0),
            Err(e) if e.kind == ErrorKind::Limit => {}
            Err(e) => panic!("function {index} validated but does not translate: {e}"),
        }
        let len = store.code_len(func).expect("translated above");
        if len > 0 {
            let _ = store.code_offset_from_pc(func, len - 1);
        }
    }
}

/// A component: decoded and validated (nested core modules included), its
/// imports checked against the WASI 0.2 host. Not instantiated: a start
/// function could run for ever.
fn decode_component(data: &[u8]) {
    let Ok(c) = wdb_engine::component::Component::new(data) else {
        return;
    };
    let host = wdb_engine::wasi::p2::P2Host::new(Default::default()).expect("no preopens");
    let _ = wdb_engine::component::instance::missing_imports(&c, &host);
    for m in &c.modules {
        assert!(m.num_funcs() >= m.num_imported_funcs);
    }
}

// ---------------------------------------------------------------------------
// diff_exec
// ---------------------------------------------------------------------------

/// Imports wasm-smith may use: the spec test suite's `spectest` module.
const SPECTEST_IMPORTS: &str = r#"(module
  (import "spectest" "print" (func))
  (import "spectest" "print_i32" (func (param i32)))
  (import "spectest" "print_i64" (func (param i64)))
  (import "spectest" "print_f32" (func (param f32)))
  (import "spectest" "print_f64" (func (param f64)))
  (import "spectest" "print_i32_f32" (func (param i32 f32)))
  (import "spectest" "print_f64_f64" (func (param f64 f64)))
  (import "spectest" "global_i32" (global i32))
  (import "spectest" "global_i64" (global i64))
  (import "spectest" "global_f32" (global f32))
  (import "spectest" "global_f64" (global f64))
  (import "spectest" "table" (table 10 20 funcref))
  (import "spectest" "memory" (memory 1 2)))"#;

/// A wasm-smith configuration for Wasm 3.0 without GC (what every engine of
/// wdb runs): tail calls, exceptions, relaxed SIMD, memory64, multiple
/// memories, extended constants on top of Wasm 2.0.
pub fn smith_config() -> wasm_smith::Config {
    static IMPORTS: OnceLock<Vec<u8>> = OnceLock::new();
    let imports = IMPORTS
        .get_or_init(|| wat::parse_str(SPECTEST_IMPORTS).expect("spectest imports parse"))
        .clone();
    wasm_smith::Config {
        available_imports: Some(imports),
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        simd_enabled: true,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        relaxed_simd_enabled: true,
        tail_call_enabled: true,
        exceptions_enabled: true,
        gc_enabled: true,
        memory64_enabled: true,
        threads_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: true,
        compact_imports_enabled: false,
        shared_everything_threads_enabled: false,
        max_memories: 2,
        max_memory64_bytes: 16 * 65536,
        max_tables: 2,
        max_memory32_bytes: 16 * 65536,
        max_table_elements: 1_000,
        max_imports: 8,
        max_funcs: 30,
        max_instructions: 200,
        canonicalize_nans: true,
        export_everything: true,
        ..wasm_smith::Config::default()
    }
}

/// Engines the differential target compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Interp,
    Jit,
}

/// What one engine did with a module, comparably.
#[derive(Debug, PartialEq, Eq)]
pub struct Observed {
    /// One line per call (start function, then each export): outcome.
    pub calls: Vec<String>,
    /// Globals, tables and a hash of memory after the calls; `None` when a
    /// call ran out of fuel (the engines count fuel differently: the
    /// interpreter per instruction, the JIT per function entry and loop
    /// header), so the state is not comparable past that point.
    pub state: Option<String>,
}

const INTERP_FUEL: u64 = 200_000;

fn describe(o: &RunOutcome) -> String {
    match o {
        // A GC object's reference is its place in the heap, which two
        // engines may choose differently (collections run at different
        // points): only its kind is compared.
        RunOutcome::Returned(v) => {
            let v: Vec<String> = v
                .iter()
                .map(|x| match x {
                    Value::AnyRef(Some(r)) if r & 7 == 0 => "AnyRef(object)".to_string(),
                    other => format!("{other:?}"),
                })
                .collect();
            format!("returned [{}]", v.join(", "))
        }
        RunOutcome::Trapped(t) => format!("trap {:?}: {}", t.code, t.message),
        RunOutcome::OutOfFuel => "out of fuel".into(),
        RunOutcome::Paused(PauseReason::Interrupted) => "interrupted".into(),
        other => format!("{other:?}"),
    }
}

fn run_one(
    engine: Engine,
    jit: &mut Option<wdb_engine::jit::JitEngine>,
    store: &mut Store,
    func: FuncAddr,
    args: &[Value],
) -> RunOutcome {
    match engine {
        Engine::Interp => {
            let mut ctl = RunControl {
                fuel: Some(INTERP_FUEL),
                ..RunControl::default()
            };
            let mut exec = Execution::new(store, func, args).expect("arguments match the type");
            exec.run(store, &mut ctl)
        }
        Engine::Jit => {
            // Fuel units are coarser in the JIT (one per entry and loop
            // header): this budget lets it run at least as far.
            let mut ctl = RunControl {
                fuel: Some(INTERP_FUEL),
                ..RunControl::default()
            };
            let jit = jit.get_or_insert_with(|| {
                let mut j = wdb_engine::jit::JitEngine::new(wdb_engine::jit::OptLevel::Speed);
                j.fuel = true;
                j
            });
            match jit.call(store, func, args, &mut ctl) {
                Ok(o) => o,
                Err(e) => panic!("the JIT refused a valid module: {e}"),
            }
        }
    }
}

/// Instantiate `module` on `engine`, run its start function and every
/// exported function with zero arguments, and record what happened.
pub fn observe(engine: Engine, module: &Arc<Module>) -> Observed {
    let mut store = Store::new(fuzz_store_config());
    let mut calls = Vec::new();
    let Some(imports) = stub_imports(&mut store, module) else {
        return Observed {
            calls: vec!["imports refused".into()],
            state: None,
        };
    };
    let (inst, start) = match store.instantiate(module.clone(), &imports) {
        Ok(x) => x,
        Err(e) => {
            return Observed {
                calls: vec![format!("instantiate: {e}")],
                state: None,
            };
        }
    };
    let mut jit = None;
    let mut comparable = true;
    let mut run = |store: &mut Store, name: &str, func: FuncAddr, calls: &mut Vec<String>| {
        let args: Vec<Value> = store
            .func_type(func)
            .params()
            .iter()
            .map(|t| Value::default_for(*t))
            .collect();
        let out = run_one(engine, &mut jit, store, func, &args);
        calls.push(format!("{name}: {}", describe(&out)));
        !matches!(
            out,
            RunOutcome::OutOfFuel | RunOutcome::Paused(_) | RunOutcome::Exited(_)
        )
    };
    if let Some(start) = start {
        comparable = run(&mut store, "<start>", start, &mut calls);
    }
    if comparable {
        for e in &module.exports {
            if let Some(Extern::Func(f)) = store.instance_export(inst, &e.name)
                && !run(&mut store, &e.name, f, &mut calls)
            {
                comparable = false;
                break;
            }
        }
    }
    let state = comparable.then(|| state_of(&store, module, inst));
    Observed { calls, state }
}

fn state_of(store: &Store, module: &Module, inst: InstanceId) -> String {
    let mut s = String::new();
    for g in 0..module.globals.len() as u32 {
        let v = store.global_get(store.instance_global(inst, g));
        s.push_str(&format!("global {g} = {v:?}\n"));
    }
    for t in 0..module.tables.len() as u32 {
        let addr = store.instance_table(inst, t);
        let n = store.table_size(addr);
        let mut h = DefaultHasher::new();
        for i in 0..n {
            store
                .table_get(addr, i)
                .map(|v| format!("{v:?}"))
                .hash(&mut h);
        }
        s.push_str(&format!("table {t}: {n} elements, hash {:x}\n", h.finish()));
    }
    if let Some(m) = store.instance_memory(inst) {
        let bytes = store.memory(m);
        let mut h = DefaultHasher::new();
        bytes.hash(&mut h);
        s.push_str(&format!(
            "memory: {} bytes, hash {:x}\n",
            bytes.len(),
            h.finish()
        ));
    }
    s
}

/// Compare two observations: calls up to the first one that ran out of fuel,
/// and the final state when both are comparable.
pub fn compare(a: &Observed, b: &Observed) -> Result<(), String> {
    for (x, y) in a.calls.iter().zip(&b.calls) {
        let inconclusive = |s: &str| s.ends_with("out of fuel") || s.ends_with("interrupted");
        if inconclusive(x) || inconclusive(y) {
            return Ok(());
        }
        if x != y {
            return Err(format!("interp: {x}\n   jit: {y}"));
        }
    }
    if a.calls.len() != b.calls.len() {
        return Err(format!("calls differ: {:?} vs {:?}", a.calls, b.calls));
    }
    if let (Some(x), Some(y)) = (&a.state, &b.state)
        && x != y
    {
        return Err(format!("final state differs:\ninterp:\n{x}jit:\n{y}"));
    }
    Ok(())
}

/// `diff_exec`: a wasm-smith module run on the interpreter and the JIT must
/// give the same results, traps, globals, tables and memory.
pub fn diff_exec(data: &[u8]) {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(smith) = wasm_smith::Module::new(smith_config(), &mut u) else {
        return;
    };
    diff_exec_wasm(&smith.to_bytes());
}

/// The differential check on a given binary (regression inputs are stored as
/// `.wasm` so they stay readable with `wasm-tools print`).
pub fn diff_exec_wasm(wasm: &[u8]) {
    let module = match Module::new(wasm.to_vec()) {
        Ok(m) => Arc::new(m),
        Err(e) if e.kind == ErrorKind::Limit => return,
        Err(e) => panic!("wdb rejects a valid wasm-smith module: {e}"),
    };
    let a = observe(Engine::Interp, &module);
    let b = observe(Engine::Jit, &module);
    if let Err(d) = compare(&a, &b) {
        panic!("engines disagree:\n{d}");
    }
}

// ---------------------------------------------------------------------------
// wasi_paths
// ---------------------------------------------------------------------------

/// The WASI functions the guest below wraps (their types come from the
/// engine's preview1 table).
const WASI_FUNCS: &[&str] = &[
    "path_open",
    "path_symlink",
    "path_link",
    "path_rename",
    "path_unlink_file",
    "path_remove_directory",
    "path_create_directory",
    "path_readlink",
    "path_filestat_get",
    "path_filestat_set_times",
    "fd_read",
    "fd_write",
    "fd_close",
    "fd_readdir",
    "fd_renumber",
    "fd_filestat_set_size",
];

/// A guest that re-exports each WASI function above through a wasm wrapper
/// (so the host sees a real calling instance and its memory).
pub fn wasi_guest_wat() -> String {
    let sigs: Vec<(&str, String)> = WASI_FUNCS
        .iter()
        .map(|name| {
            let ty = wdb_engine::wasi::func_type(name).expect("a preview1 function");
            let params: Vec<String> = ty.params().iter().map(|t| t.to_string()).collect();
            (*name, params.join(" "))
        })
        .collect();
    let mut s = String::from("(module\n");
    for (name, params) in &sigs {
        s.push_str(&format!(
            "  (import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param {params}) (result i32)))\n"
        ));
    }
    s.push_str("  (memory (export \"memory\") 1)\n");
    for (name, params) in &sigs {
        let gets: String = (0..params.split(' ').count())
            .map(|i| format!("local.get {i} "))
            .collect();
        s.push_str(&format!(
            "  (func (export \"{name}\") (param {params}) (result i32) {gets}call ${name})\n"
        ));
    }
    s.push_str(")\n");
    s
}

pub const CANARY: &[u8] = b"CANARY-SECRET outside the sandbox\n";

/// The directory tree a sandbox test runs in, created once per process.
pub struct Fixture {
    _tmp: tempfile::TempDir,
    pub base: std::path::PathBuf,
    pub root: std::path::PathBuf,
    pub root2: std::path::PathBuf,
    pub canary: std::path::PathBuf,
    canary_meta: (std::time::SystemTime, std::time::SystemTime),
    module: Arc<Module>,
}

impl Fixture {
    pub fn new() -> Fixture {
        let tmp = tempfile::tempdir().expect("temp dir");
        let base = tmp.path().canonicalize().expect("canonical temp dir");
        let canary = base.join("canary.txt");
        std::fs::write(&canary, CANARY).expect("canary");
        std::fs::create_dir(base.join("outside_dir")).expect("outside dir");
        std::fs::write(base.join("outside_dir/secret"), CANARY).expect("outside secret");
        // atime older than mtime: with relatime, any read of the canary
        // moves atime, so a read is detected too.
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let f = std::fs::File::options()
            .write(true)
            .open(&canary)
            .expect("canary open");
        f.set_times(std::fs::FileTimes::new().set_accessed(old))
            .expect("canary times");
        drop(f);
        let md = std::fs::metadata(&canary).expect("canary metadata");
        let canary_meta = (md.accessed().expect("atime"), md.modified().expect("mtime"));
        let wasm = wat::parse_str(wasi_guest_wat()).expect("guest parses");
        let module = Arc::new(Module::new(wasm).expect("guest validates"));
        Fixture {
            root: base.join("sandbox"),
            root2: base.join("sandbox2"),
            base,
            canary,
            canary_meta,
            module,
            _tmp: tmp,
        }
    }

    /// Recreate both preopens' contents: a few files, and symlinks that
    /// point out of the sandbox directly, relatively and through chains.
    pub fn reset(&self) {
        for d in [&self.root, &self.root2] {
            if d.symlink_metadata().is_ok() {
                // Make everything writable again first: a guest may have
                // changed permissions through set_times? (It cannot; but be
                // robust to read-only leftovers.)
                std::fs::remove_dir_all(d).expect("clean sandbox");
            }
            std::fs::create_dir(d).expect("sandbox dir");
        }
        let r = &self.root;
        std::fs::write(r.join("file.txt"), b"inside\n").expect("file");
        std::fs::create_dir(r.join("dir")).expect("dir");
        std::fs::write(r.join("dir/inner.txt"), b"inner\n").expect("inner");
        let links: &[(&str, String)] = &[
            ("up", "..".into()),
            ("abs", self.canary.display().to_string()),
            (
                "absdir",
                self.base.join("outside_dir").display().to_string(),
            ),
            ("rel_out", "../canary.txt".into()),
            ("chain1", "chain2".into()),
            ("chain2", "dir/../up/canary.txt".into()),
            ("loop", "loop".into()),
            ("dirlink", "dir".into()),
            ("filelink", "file.txt".into()),
            ("to_other", "../sandbox2/file2.txt".into()),
        ];
        for (name, target) in links {
            std::os::unix::fs::symlink(target, r.join(name)).expect("symlink");
        }
        std::fs::write(self.root2.join("file2.txt"), b"other preopen\n").expect("file2");
    }

    /// Everything outside the two preopens is as it was.
    pub fn check_outside(&self) {
        // Times first: reading the content below moves atime, which is then
        // put back (opening for write and setting times leaves both alone).
        let md = std::fs::symlink_metadata(&self.canary).expect("the canary was removed");
        assert!(md.file_type().is_file(), "the canary was replaced");
        use std::os::unix::fs::MetadataExt;
        assert_eq!(md.nlink(), 1, "a hard link to the canary was created");
        assert_eq!(
            (md.accessed().expect("atime"), md.modified().expect("mtime")),
            self.canary_meta,
            "the canary was read or written (atime/mtime moved)"
        );
        let content = std::fs::read(&self.canary).expect("the canary was removed");
        assert_eq!(content, CANARY, "the canary was modified");
        std::fs::File::options()
            .write(true)
            .open(&self.canary)
            .and_then(|f| f.set_times(std::fs::FileTimes::new().set_accessed(self.canary_meta.0)))
            .expect("restore the canary's atime");
        let mut names: Vec<String> = std::fs::read_dir(&self.base)
            .expect("base dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["canary.txt", "outside_dir", "sandbox", "sandbox2"],
            "something was created or removed outside the preopens"
        );
        let inner: Vec<_> = std::fs::read_dir(self.base.join("outside_dir"))
            .expect("outside dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(inner, ["secret"], "outside_dir changed");
        assert_eq!(
            std::fs::read(self.base.join("outside_dir/secret")).expect("secret"),
            CANARY
        );
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

/// Paths that matter for escapes, mixed with arbitrary ones.
const PATH_DICT: &[&str] = &[
    "file.txt",
    "dir",
    "dir/inner.txt",
    "up",
    "up/canary.txt",
    "abs",
    "absdir/secret",
    "rel_out",
    "chain1",
    "loop",
    "dirlink/../..",
    "filelink",
    "to_other",
    "..",
    "../canary.txt",
    "/",
    "/canary.txt",
    "./././..",
    "dir/../../canary.txt",
    "new",
    "new/",
    "dir/new_link",
    "",
    ".",
    "file.txt/",
    "file.txt/..",
];

#[derive(Debug, arbitrary::Arbitrary)]
enum PathChoice {
    Dict(u8),
    Raw(String),
    Join(u8, u8),
}

#[derive(Debug, arbitrary::Arbitrary)]
enum FdChoice {
    Root,
    Root2,
    Opened(u8),
    Raw(u32),
}

#[derive(Debug, arbitrary::Arbitrary)]
enum Op {
    Open {
        fd: FdChoice,
        path: PathChoice,
        dirflags: u8,
        oflags: u8,
        rights: u64,
        fdflags: u8,
    },
    Symlink {
        target: PathChoice,
        fd: FdChoice,
        path: PathChoice,
    },
    Link {
        old_fd: FdChoice,
        follow: bool,
        old: PathChoice,
        new_fd: FdChoice,
        new: PathChoice,
    },
    Rename {
        old_fd: FdChoice,
        old: PathChoice,
        new_fd: FdChoice,
        new: PathChoice,
    },
    Unlink(FdChoice, PathChoice),
    Rmdir(FdChoice, PathChoice),
    Mkdir(FdChoice, PathChoice),
    Readlink(FdChoice, PathChoice),
    Stat(FdChoice, bool, PathChoice),
    SetTimes(FdChoice, bool, PathChoice, u8),
    Read(FdChoice),
    Write(FdChoice, Vec<u8>),
    Readdir(FdChoice),
    Close(FdChoice),
    Renumber(FdChoice, FdChoice),
    Truncate(FdChoice, u16),
}

struct Guest<'f> {
    fx: &'f Fixture,
    store: Store,
    inst: InstanceId,
    mem: u32,
    opened: Vec<u32>,
}

const RESULT_PTR: u32 = 16;
const IOVEC_PTR: u32 = 32;
const PATH_A: u32 = 1024;
const PATH_B: u32 = 4096;
const BUF: u32 = 8192;
const BUF_LEN: u32 = 4096;
const MAX_PATH: usize = 2048;

impl Guest<'_> {
    fn path(&self, p: &PathChoice) -> Vec<u8> {
        let s = match p {
            PathChoice::Dict(i) => PATH_DICT[*i as usize % PATH_DICT.len()].to_string(),
            PathChoice::Raw(s) => s.clone(),
            PathChoice::Join(a, b) => format!(
                "{}/{}",
                PATH_DICT[*a as usize % PATH_DICT.len()],
                PATH_DICT[*b as usize % PATH_DICT.len()]
            ),
        };
        let mut b = s.into_bytes();
        b.truncate(MAX_PATH);
        b
    }

    fn fd(&self, f: &FdChoice) -> i32 {
        match f {
            FdChoice::Root => 3,
            FdChoice::Root2 => 4,
            FdChoice::Opened(i) if !self.opened.is_empty() => {
                self.opened[*i as usize % self.opened.len()] as i32
            }
            FdChoice::Opened(i) => *i as i32,
            FdChoice::Raw(x) => *x as i32,
        }
    }

    fn put(&mut self, at: u32, bytes: &[u8]) -> (i32, i32) {
        let m = self.store.memory_mut(self.mem);
        m[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
        (at as i32, bytes.len() as i32)
    }

    fn call(&mut self, name: &str, args: &[Value]) -> i32 {
        let Some(Extern::Func(f)) = self.store.instance_export(self.inst, name) else {
            panic!("guest exports {name}");
        };
        let mut exec = Execution::new(&mut self.store, f, args).expect("wrapper signature");
        match exec.run(&mut self.store, &mut RunControl::default()) {
            RunOutcome::Returned(v) => match v.first() {
                Some(Value::I32(e)) => *e,
                other => panic!("{name} returned {other:?}"),
            },
            // A bad pointer may trap; that is a clean outcome.
            RunOutcome::Trapped(_) => -1,
            other => panic!("{name}: unexpected outcome {other:?}"),
        }
    }

    fn read_u32(&self, at: u32) -> u32 {
        let m = self.store.memory(self.mem);
        u32::from_le_bytes(m[at as usize..at as usize + 4].try_into().expect("4 bytes"))
    }

    fn apply(&mut self, op: &Op) {
        use Value::{I32, I64};
        match op {
            Op::Open {
                fd,
                path,
                dirflags,
                oflags,
                rights,
                fdflags,
            } => {
                let p = self.path(path);
                let (pp, pl) = self.put(PATH_A, &p);
                let fd = self.fd(fd);
                let errno = self.call(
                    "path_open",
                    &[
                        I32(fd),
                        I32(*dirflags as i32 & 1),
                        I32(pp),
                        I32(pl),
                        I32(*oflags as i32 & 0xf),
                        I64(*rights as i64),
                        I64(*rights as i64),
                        I32(*fdflags as i32 & 0x1f),
                        I32(RESULT_PTR as i32),
                    ],
                );
                if errno == 0 {
                    let new_fd = self.read_u32(RESULT_PTR);
                    self.opened.push(new_fd);
                }
            }
            Op::Symlink { target, fd, path } => {
                let (tp, tl) = {
                    let t = self.path(target);
                    self.put(PATH_A, &t)
                };
                let p = self.path(path);
                let (pp, pl) = self.put(PATH_B, &p);
                let fd = self.fd(fd);
                self.call(
                    "path_symlink",
                    &[I32(tp), I32(tl), I32(fd), I32(pp), I32(pl)],
                );
            }
            Op::Link {
                old_fd,
                follow,
                old,
                new_fd,
                new,
            } => {
                let o = self.path(old);
                let (op_, ol) = self.put(PATH_A, &o);
                let n = self.path(new);
                let (np, nl) = self.put(PATH_B, &n);
                let (ofd, nfd) = (self.fd(old_fd), self.fd(new_fd));
                self.call(
                    "path_link",
                    &[
                        I32(ofd),
                        I32(*follow as i32),
                        I32(op_),
                        I32(ol),
                        I32(nfd),
                        I32(np),
                        I32(nl),
                    ],
                );
            }
            Op::Rename {
                old_fd,
                old,
                new_fd,
                new,
            } => {
                let o = self.path(old);
                let (op_, ol) = self.put(PATH_A, &o);
                let n = self.path(new);
                let (np, nl) = self.put(PATH_B, &n);
                let (ofd, nfd) = (self.fd(old_fd), self.fd(new_fd));
                self.call(
                    "path_rename",
                    &[I32(ofd), I32(op_), I32(ol), I32(nfd), I32(np), I32(nl)],
                );
            }
            Op::Unlink(fd, p) | Op::Rmdir(fd, p) | Op::Mkdir(fd, p) => {
                let name = match op {
                    Op::Unlink(..) => "path_unlink_file",
                    Op::Rmdir(..) => "path_remove_directory",
                    _ => "path_create_directory",
                };
                let b = self.path(p);
                let (pp, pl) = self.put(PATH_A, &b);
                let fd = self.fd(fd);
                self.call(name, &[I32(fd), I32(pp), I32(pl)]);
            }
            Op::Readlink(fd, p) => {
                let b = self.path(p);
                let (pp, pl) = self.put(PATH_A, &b);
                let fd = self.fd(fd);
                self.call(
                    "path_readlink",
                    &[
                        I32(fd),
                        I32(pp),
                        I32(pl),
                        I32(BUF as i32),
                        I32(BUF_LEN as i32),
                        I32(RESULT_PTR as i32),
                    ],
                );
            }
            Op::Stat(fd, follow, p) => {
                let b = self.path(p);
                let (pp, pl) = self.put(PATH_A, &b);
                let fd = self.fd(fd);
                self.call(
                    "path_filestat_get",
                    &[
                        I32(fd),
                        I32(*follow as i32),
                        I32(pp),
                        I32(pl),
                        I32(BUF as i32),
                    ],
                );
            }
            Op::SetTimes(fd, follow, p, flags) => {
                let b = self.path(p);
                let (pp, pl) = self.put(PATH_A, &b);
                let fd = self.fd(fd);
                self.call(
                    "path_filestat_set_times",
                    &[
                        I32(fd),
                        I32(*follow as i32),
                        I32(pp),
                        I32(pl),
                        I64(5_000_000_000),
                        I64(6_000_000_000),
                        I32(*flags as i32 & 0xf),
                    ],
                );
            }
            Op::Read(fd) => {
                let fd = self.fd(fd);
                let iov = [BUF.to_le_bytes(), BUF_LEN.to_le_bytes()].concat();
                self.put(IOVEC_PTR, &iov);
                self.put(BUF, &[0; BUF_LEN as usize]);
                let errno = self.call(
                    "fd_read",
                    &[
                        I32(fd),
                        I32(IOVEC_PTR as i32),
                        I32(1),
                        I32(RESULT_PTR as i32),
                    ],
                );
                if errno == 0 {
                    let m = self.store.memory(self.mem);
                    let got = &m[BUF as usize..(BUF + BUF_LEN) as usize];
                    assert!(
                        !got.windows(13).any(|w| w == &CANARY[..13]),
                        "the guest read the canary's content"
                    );
                }
            }
            Op::Write(fd, data) => {
                let fd = self.fd(fd);
                let n = data.len().min(BUF_LEN as usize);
                self.put(BUF, &data[..n]);
                let iov = [BUF.to_le_bytes(), (n as u32).to_le_bytes()].concat();
                self.put(IOVEC_PTR, &iov);
                self.call(
                    "fd_write",
                    &[
                        I32(fd),
                        I32(IOVEC_PTR as i32),
                        I32(1),
                        I32(RESULT_PTR as i32),
                    ],
                );
            }
            Op::Readdir(fd) => {
                let fd = self.fd(fd);
                self.call(
                    "fd_readdir",
                    &[
                        I32(fd),
                        I32(BUF as i32),
                        I32(BUF_LEN as i32),
                        I64(0),
                        I32(RESULT_PTR as i32),
                    ],
                );
            }
            Op::Close(fd) => {
                let fd = self.fd(fd);
                self.call("fd_close", &[I32(fd)]);
            }
            Op::Renumber(a, b) => {
                let (a, b) = (self.fd(a), self.fd(b));
                self.call("fd_renumber", &[I32(a), I32(b)]);
            }
            Op::Truncate(fd, size) => {
                let fd = self.fd(fd);
                self.call("fd_filestat_set_size", &[I32(fd), I64(*size as i64)]);
            }
        }
    }
}

/// Run a sequence of WASI calls against a fresh copy of the fixture's
/// preopens; afterwards nothing outside them may have changed.
pub fn wasi_paths_with(fx: &Fixture, data: &[u8]) {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(ops) = <Vec<Op> as arbitrary::Arbitrary>::arbitrary(&mut u) else {
        return;
    };
    fx.reset();
    let ctx = wdb_engine::wasi::WasiCtx::new(wdb_engine::wasi::WasiConfig {
        args: vec!["guest".into()],
        preopens: vec![
            wdb_engine::wasi::Preopen {
                host: fx.root.clone(),
                guest: "/".into(),
            },
            wdb_engine::wasi::Preopen {
                host: fx.root2.clone(),
                guest: "/other".into(),
            },
        ],
        stdout: wdb_engine::wasi::Output::Sink(Arc::new(|_: &[u8]| {})),
        stderr: wdb_engine::wasi::Output::Sink(Arc::new(|_: &[u8]| {})),
        ..Default::default()
    })
    .expect("WASI context");
    let mut store = Store::new(StoreConfig::default());
    let mut linker = wdb_engine::runtime::Linker::new();
    wdb_engine::wasi::add_to_linker(&mut linker, &mut store, Arc::new(Mutex::new(ctx)))
        .expect("WASI linker");
    let imports = linker.resolve(&store, &fx.module).expect("guest links");
    let (inst, _) = store
        .instantiate(fx.module.clone(), &imports)
        .expect("guest instantiates");
    let mem = store.instance_memory(inst).expect("guest memory");
    let mut g = Guest {
        fx,
        store,
        inst,
        mem,
        opened: Vec::new(),
    };
    for op in ops.iter().take(64) {
        g.apply(op);
        g.fx.check_outside();
    }
}

/// `wasi_paths`: one fixture per process.
pub fn wasi_paths(data: &[u8]) {
    static FX: OnceLock<Fixture> = OnceLock::new();
    wasi_paths_with(FX.get_or_init(Fixture::new), data);
}

// ---------------------------------------------------------------------------
// repl_parse
// ---------------------------------------------------------------------------

/// `repl_parse`: every line through the REPL command parser and the
/// debugger's expression parser (the one grammar of `print`, conditions,
/// `watch`, `set var` and `x`). An error is fine; a panic is a bug.
pub fn repl_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text.lines().take(64) {
        #[cfg(not(test))]
        {
            let _ = repl_parse_src::parse(line);
            let _ = repl_parse_src::help(Some(line));
            let _ = repl_parse_src::parse_examine(line);
        }
        let _ = wdb_debugger::expr::parse(line);
    }
}
