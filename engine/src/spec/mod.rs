//! The `.wast` runner: the WebAssembly spec testsuite's script format, run
//! on any of wdb's engines (the same harness runs the interpreter and, later,
//! the JIT; a divergence between them is a bug).
//!
//! Every directive counts as one assertion: passed or failed with a message
//! naming its line. A panic inside the engine is caught and reported as a
//! failure of that directive, so one bug cannot hide the rest of a file.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, QuoteWatTest, Wast, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

use crate::interp::{Execution, RunControl, RunOutcome};
use crate::module::Module;
use crate::runtime::{Extern, HostFunc, InstanceId, Linker, Store, StoreConfig};
use crate::trap::TrapCode;
use crate::value::{FuncAddr, Value};

mod check;
mod legacy;

use check::{arg, check_custom_sections, matches_ret, trap_matches};
use legacy::unfold_legacy_try;

/// Which engine runs the scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Engine {
    Interp,
    /// Cranelift JIT ([`crate::jit`]).
    Jit,
    /// Cranelift code saved in a universal module (`wdb.aot` section) and loaded back.
    Aot,
}

/// The result of one `.wast` file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub passed: usize,
    pub failed: usize,
    /// `line N: what went wrong`, one per failed directive.
    pub failures: Vec<String>,
}

/// Run one `.wast` file, modules validated with the Wasm 3.0 features.
pub fn run_wast_file(path: &Path, engine: Engine) -> FileReport {
    run_wast_file_with(path, engine, crate::module::WASM_FEATURES)
}

/// Run one `.wast` file, modules validated with `features` (exactly
/// `WasmFeatures::WASM2` for the Wasm 2.0 testsuite, whose scripts check
/// that later constructs are refused).
pub fn run_wast_file_with(
    path: &Path,
    engine: Engine,
    features: wasmparser::WasmFeatures,
) -> FileReport {
    match std::fs::read_to_string(path) {
        Ok(text) => run_wast_str_with(&text, engine, features),
        Err(e) => FileReport {
            passed: 0,
            failed: 1,
            failures: vec![format!("cannot read {}: {e}", path.display())],
        },
    }
}

/// Run a `.wast` script given as text.
pub fn run_wast_str(text: &str, engine: Engine) -> FileReport {
    run_wast_str_with(text, engine, crate::module::WASM_FEATURES)
}

/// [`run_wast_str`] with modules validated with `features`.
pub fn run_wast_str_with(
    text: &str,
    engine: Engine,
    features: wasmparser::WasmFeatures,
) -> FileReport {
    let mut report = FileReport::default();
    let unfolded;
    let text = if text.contains("(do") {
        unfolded = unfold_legacy_try(text);
        unfolded.as_str()
    } else {
        text
    };
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => {
            report.failed = 1;
            report.failures.push(format!("cannot lex the script: {e}"));
            return report;
        }
    };
    let wast = match parser::parse::<Wast<'_>>(&buf) {
        Ok(w) => w,
        Err(e) => {
            report.failed = 1;
            report
                .failures
                .push(format!("cannot parse the script: {e}"));
            return report;
        }
    };
    let mut runner = Runner::new(engine, features);
    for directive in wast.directives {
        let (line, _) = directive.span().linecol_in(text);
        let r = catch_unwind(AssertUnwindSafe(|| runner.directive(directive)));
        match r {
            Ok(Ok(())) => report.passed += 1,
            Ok(Err(msg)) => {
                report.failed += 1;
                report.failures.push(format!("line {}: {msg}", line + 1));
            }
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                report.failed += 1;
                report
                    .failures
                    .push(format!("line {}: engine panicked: {msg}", line + 1));
            }
        }
    }
    report
}

type Outcome = Result<Vec<Value>, String>;

struct Runner {
    engine: Engine,
    store: Store,
    linker: Linker,
    named: HashMap<String, InstanceId>,
    definitions: HashMap<String, Vec<u8>>,
    last: Option<InstanceId>,
    #[cfg(feature = "jit")]
    jit: crate::jit::JitEngine,
    features: wasmparser::WasmFeatures,
}

fn ft(params: &[wasmparser::ValType], results: &[wasmparser::ValType]) -> wasmparser::FuncType {
    wasmparser::FuncType::new(params.iter().copied(), results.iter().copied())
}

impl Runner {
    fn new(engine: Engine, features: wasmparser::WasmFeatures) -> Runner {
        let mut store = Store::new(StoreConfig::default());
        let mut linker = Linker::new();
        use wasmparser::ValType as T;
        let print: HostFunc = Arc::new(|_, _, _| Ok(()));
        for (name, params) in [
            ("print", &[][..]),
            ("print_i32", &[T::I32][..]),
            ("print_i64", &[T::I64][..]),
            ("print_f32", &[T::F32][..]),
            ("print_f64", &[T::F64][..]),
            ("print_i32_f32", &[T::I32, T::F32][..]),
            ("print_f64_f64", &[T::F64, T::F64][..]),
        ] {
            linker.func(&mut store, "spectest", name, ft(params, &[]), print.clone());
        }
        let globals = [
            ("global_i32", T::I32, Value::I32(666)),
            ("global_i64", T::I64, Value::I64(666)),
            ("global_f32", T::F32, Value::F32(666.6f32.to_bits())),
            ("global_f64", T::F64, Value::F64(666.6f64.to_bits())),
        ];
        for (name, ty, v) in globals {
            let g = store
                .add_global(
                    wasmparser::GlobalType {
                        content_type: ty,
                        mutable: false,
                        shared: false,
                    },
                    v,
                )
                .expect("spectest global");
            linker.define("spectest", name, Extern::Global(g));
        }
        let table = store
            .add_table(
                wasmparser::TableType {
                    element_type: wasmparser::RefType::FUNCREF,
                    table64: false,
                    initial: 10,
                    maximum: Some(20),
                    shared: false,
                },
                Value::FuncRef(None),
            )
            .expect("spectest table");
        linker.define("spectest", "table", Extern::Table(table));
        let table64 = store
            .add_table(
                wasmparser::TableType {
                    element_type: wasmparser::RefType::FUNCREF,
                    table64: true,
                    initial: 10,
                    maximum: Some(20),
                    shared: false,
                },
                Value::FuncRef(None),
            )
            .expect("spectest table64");
        linker.define("spectest", "table64", Extern::Table(table64));
        let memory = store
            .add_memory(wasmparser::MemoryType {
                memory64: false,
                shared: false,
                initial: 1,
                maximum: Some(2),
                page_size_log2: None,
            })
            .expect("spectest memory");
        linker.define("spectest", "memory", Extern::Memory(memory));
        Runner {
            engine,
            store,
            linker,
            named: HashMap::new(),
            definitions: HashMap::new(),
            last: None,
            #[cfg(feature = "jit")]
            jit: crate::jit::JitEngine::new(crate::jit::OptLevel::Speed),
            features,
        }
    }

    fn run(&mut self, func: FuncAddr, args: &[Value]) -> Result<RunOutcome, String> {
        match self.engine {
            Engine::Interp => {
                let mut exec =
                    Execution::new(&mut self.store, func, args).map_err(|e| e.to_string())?;
                Ok(exec.run(&mut self.store, &mut RunControl::default()))
            }
            #[cfg(feature = "jit")]
            Engine::Jit | Engine::Aot => self
                .jit
                .call(&mut self.store, func, args, &mut RunControl::default())
                .map_err(|e| e.to_string()),
            #[cfg(not(feature = "jit"))]
            Engine::Jit | Engine::Aot => Err(crate::NO_JIT.to_string()),
        }
    }

    /// Decode, link, instantiate and run the start function.
    fn instantiate(&mut self, bytes: Vec<u8>) -> Result<InstanceId, String> {
        #[cfg_attr(not(feature = "jit"), allow(unused_mut))]
        let mut module =
            Arc::new(Module::with_features(bytes, self.features).map_err(|e| e.to_string())?);
        #[cfg(feature = "jit")]
        if self.engine == Engine::Aot {
            // Compile to a universal module, decode that, and load its code.
            let aot = crate::jit::aot::compile_universal(
                &module,
                crate::jit::OptLevel::Speed,
                &mut |_, _| {},
            )
            .map_err(|e| e.to_string())?;
            module =
                Arc::new(Module::with_features(aot, self.features).map_err(|e| e.to_string())?);
            let compiled = crate::jit::CompiledModule::load_aot(module.clone())
                .map_err(|e| e.to_string())?
                .ok_or("the compiled module has no wdb.aot section")?;
            self.jit.add_compiled(Arc::new(compiled));
        }
        let imports = self
            .linker
            .resolve(&self.store, &module)
            .map_err(|e| e.to_string())?;
        let (inst, start) = self
            .store
            .instantiate(module, &imports)
            .map_err(|e| e.to_string())?;
        if let Some(start) = start {
            match self.run(start, &[])? {
                RunOutcome::Returned(_) => {}
                RunOutcome::Trapped(t) => return Err(t.message),
                other => return Err(format!("start function: {other:?}")),
            }
        }
        Ok(inst)
    }

    fn instance(&self, id: Option<wast::token::Id<'_>>) -> Result<InstanceId, String> {
        match id {
            Some(id) => self
                .named
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("unknown module ${}", id.name())),
            None => self
                .last
                .ok_or_else(|| "no module instantiated yet".to_string()),
        }
    }

    fn invoke(&mut self, inv: &WastInvoke<'_>) -> Result<RunOutcome, String> {
        let inst = self.instance(inv.module)?;
        let Some(Extern::Func(f)) = self.store.instance_export(inst, inv.name) else {
            return Err(format!("no exported function {:?}", inv.name));
        };
        let args = inv.args.iter().map(arg).collect::<Result<Vec<_>, _>>()?;
        self.run(f, &args)
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<RunOutcome, String> {
        match exec {
            WastExecute::Invoke(inv) => self.invoke(&inv),
            WastExecute::Wat(mut wat) => {
                let bytes = wat.encode().map_err(|e| e.to_string())?;
                match self.instantiate(bytes) {
                    Ok(_) => Ok(RunOutcome::Returned(Vec::new())),
                    Err(msg) => Ok(RunOutcome::Trapped(crate::trap::Trap::host(msg))),
                }
            }
            WastExecute::Get { module, global, .. } => {
                let inst = self.instance(module)?;
                match self.store.instance_export(inst, global) {
                    Some(Extern::Global(g)) => {
                        Ok(RunOutcome::Returned(vec![self.store.global_get(g)]))
                    }
                    _ => Err(format!("no exported global {global:?}")),
                }
            }
        }
    }

    fn returned(&mut self, exec: WastExecute<'_>) -> Outcome {
        match self.execute(exec)? {
            RunOutcome::Returned(v) => Ok(v),
            RunOutcome::Trapped(t) => Err(format!("trapped: {}", t.message)),
            other => Err(format!("unexpected outcome {other:?}")),
        }
    }

    fn directive(&mut self, d: WastDirective<'_>) -> Result<(), String> {
        match d {
            WastDirective::Module(mut m) => {
                let name = quote_name(&m);
                let bytes = encode(&mut m)?;
                let inst = self.instantiate(bytes)?;
                if let Some(n) = name {
                    self.named.insert(n, inst);
                }
                self.last = Some(inst);
                Ok(())
            }
            WastDirective::ModuleDefinition(mut m) => {
                let name = quote_name(&m);
                let bytes = encode(&mut m)?;
                Module::with_features(bytes.clone(), self.features).map_err(|e| e.to_string())?;
                if let Some(n) = name {
                    self.definitions.insert(n, bytes);
                }
                Ok(())
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let def = module.ok_or("module instance without a definition")?;
                let bytes = self
                    .definitions
                    .get(def.name())
                    .cloned()
                    .ok_or_else(|| format!("unknown module definition ${}", def.name()))?;
                let inst = self.instantiate(bytes)?;
                if let Some(n) = instance {
                    self.named.insert(n.name().to_string(), inst);
                }
                self.last = Some(inst);
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let inst = self.instance(module)?;
                self.linker.instance(&self.store, name, inst);
                Ok(())
            }
            WastDirective::Invoke(inv) => match self.invoke(&inv)? {
                RunOutcome::Returned(_) => Ok(()),
                RunOutcome::Trapped(t) => Err(format!("trapped: {}", t.message)),
                other => Err(format!("unexpected outcome {other:?}")),
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                let got = self.returned(exec)?;
                if got.len() != results.len() {
                    return Err(format!("expected {} results, got {got:?}", results.len()));
                }
                for (i, (g, r)) in got.iter().zip(&results).enumerate() {
                    let WastRet::Core(r) = r else {
                        return Err("component values are not supported".into());
                    };
                    if !matches_ret(&self.store, g, r) {
                        return Err(format!("result {i}: expected {r:?}, got {g:?}"));
                    }
                }
                Ok(())
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec)? {
                RunOutcome::Trapped(t) => {
                    if trap_matches(&t.message, message) {
                        Ok(())
                    } else {
                        Err(format!("expected trap {message:?}, got {:?}", t.message))
                    }
                }
                other => Err(format!("expected trap {message:?}, got {other:?}")),
            },
            WastDirective::AssertException { exec, .. } => match self.execute(exec)? {
                RunOutcome::Trapped(t) if t.code == TrapCode::UncaughtException => Ok(()),
                other => Err(format!("expected an uncaught exception, got {other:?}")),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call)? {
                RunOutcome::Trapped(t) if t.code == TrapCode::CallStackExhausted => Ok(()),
                other => Err(format!("expected {message:?}, got {other:?}")),
            },
            WastDirective::AssertMalformed { mut module, .. } => {
                let bytes = match module.to_test() {
                    Err(_) => return Ok(()),
                    Ok(QuoteWatTest::Text(text)) => match parse_text(&text) {
                        Err(_) => return Ok(()),
                        Ok(b) => b,
                    },
                    Ok(QuoteWatTest::Binary(b)) => b,
                };
                match Module::with_features(bytes, self.features) {
                    Err(_) => Ok(()),
                    Ok(_) => Err("malformed module was accepted".into()),
                }
            }
            WastDirective::AssertInvalid { mut module, .. } => {
                let bytes = match encode(&mut module) {
                    Err(_) => return Ok(()),
                    Ok(b) => b,
                };
                match Module::with_features(bytes, self.features) {
                    Err(_) => Ok(()),
                    Ok(_) => Err("invalid module was accepted".into()),
                }
            }
            // Custom sections and annotations a module may carry: the text
            // must be refused where the script says it is malformed or
            // invalid (wdb's decoder ignores custom section contents).
            WastDirective::AssertMalformedCustom { mut module, .. }
            | WastDirective::AssertInvalidCustom { mut module, .. } => match encode(&mut module) {
                Err(_) => Ok(()),
                Ok(bytes) => match Module::with_features(bytes.clone(), self.features) {
                    Err(_) => Ok(()),
                    Ok(_) if check_custom_sections(&bytes).is_err() => Ok(()),
                    Ok(_) => Err("a module with a bad custom section was accepted".into()),
                },
            },
            WastDirective::AssertUnlinkable { mut module, .. } => {
                let bytes = module.encode().map_err(|e| e.to_string())?;
                match self.instantiate(bytes) {
                    Err(_) => Ok(()),
                    Ok(_) => Err("unlinkable module was linked".into()),
                }
            }
            other => Err(format!("unsupported directive {other:?}")),
        }
    }
}

fn quote_name(m: &QuoteWat<'_>) -> Option<String> {
    match m {
        QuoteWat::Wat(Wat::Module(m)) => m.id.map(|i| i.name().to_string()),
        _ => None,
    }
}

fn parse_text(text: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(text).map_err(|e| e.to_string())?;
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = ParseBuffer::new_with_lexer(lexer).map_err(|e| e.to_string())?;
    let mut wat = parser::parse::<Wat<'_>>(&buf).map_err(|e| e.to_string())?;
    wat.encode().map_err(|e| e.to_string())
}

fn encode(m: &mut QuoteWat<'_>) -> Result<Vec<u8>, String> {
    match m.to_test().map_err(|e| e.to_string())? {
        QuoteWatTest::Binary(b) => Ok(b),
        QuoteWatTest::Text(t) => parse_text(&t),
    }
}
