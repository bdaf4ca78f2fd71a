//! wazero's fuzz regression modules: each loads to a clean error, or
//! instantiates and runs every export (zero-valued arguments, under fuel) to
//! a defined outcome. A panic or a hang is a failure.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use wdb_engine::Module;
use wdb_engine::interp::{Execution, RunControl, RunOutcome};
use wdb_engine::module::ImportKind;
use wdb_engine::runtime::{Extern, Store, StoreConfig};
use wdb_engine::value::Value;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/regressions/wazero-fuzzcases")
}

const FUEL: u64 = 10_000_000;

fn run_case(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let module = match Module::new(bytes) {
        Ok(m) => Arc::new(m),
        Err(e) => return Ok(format!("refused: {e}")),
    };
    let mut store = Store::new(StoreConfig {
        max_memory_bytes: 256 << 20,
        ..StoreConfig::default()
    });
    // Satisfy every import with a fresh object of the right type.
    let mut imports = Vec::new();
    for imp in &module.imports {
        let ext = match imp.kind {
            ImportKind::Func(t) => {
                let ty = module.types[t as usize].clone();
                let results = ty.results().to_vec();
                Extern::Func(store.add_host_func(
                    ty,
                    Arc::new(move |_, _, out| {
                        for (o, &t) in out.iter_mut().zip(&results) {
                            *o = Value::default_for(t);
                        }
                        Ok(())
                    }),
                ))
            }
            ImportKind::Table(t) => {
                let init = Value::default_for(wdb_engine::ValType::Ref(t.element_type));
                Extern::Table(store.add_table(t, init).map_err(|e| e.to_string())?)
            }
            ImportKind::Memory(m) => match store.add_memory(m) {
                Ok(a) => Extern::Memory(a),
                Err(e) => return Ok(format!("memory import refused: {e}")),
            },
            ImportKind::Global(g) => Extern::Global(
                store
                    .add_global(g, Value::default_for(g.content_type))
                    .map_err(|e| e.to_string())?,
            ),
            ImportKind::Tag(t) => Extern::Tag(store.add_tag(module.types[t as usize].clone())),
        };
        imports.push(ext);
    }
    let (inst, start) = match store.instantiate(module.clone(), &imports) {
        Ok(r) => r,
        Err(e) => return Ok(format!("instantiation failed: {e}")),
    };
    let mut outcomes = Vec::new();
    let run = |store: &mut Store, f, args: &[Value]| -> Result<String, String> {
        let mut exec = Execution::new(store, f, args).map_err(|e| e.to_string())?;
        let mut ctl = RunControl {
            fuel: Some(FUEL),
            ..RunControl::default()
        };
        Ok(match exec.run(store, &mut ctl) {
            RunOutcome::Returned(v) => format!("returned {v:?}"),
            RunOutcome::Trapped(t) => format!("trapped: {}", t.message),
            RunOutcome::OutOfFuel => "out of fuel".to_string(),
            RunOutcome::Exited(c) => format!("exited {c}"),
            RunOutcome::Paused(p) => return Err(format!("paused unexpectedly: {p:?}")),
        })
    };
    if let Some(s) = start {
        outcomes.push(format!("start {}", run(&mut store, s, &[])?));
    }
    for e in &module.exports {
        if let Some(Extern::Func(f)) = store.instance_export(inst, &e.name) {
            let args: Vec<Value> = store
                .func_type(f)
                .params()
                .iter()
                .map(|&t| Value::default_for(t))
                .collect();
            outcomes.push(format!("{}: {}", e.name, run(&mut store, f, &args)?));
        }
    }
    Ok(outcomes.join("; "))
}

fn main() {
    let args = Arguments::from_args();
    let dir = corpus_dir();
    let files = wdb_tests::corpus_files_or_exit(&args, &dir, "wasm", "fuzzcase");
    let trials = files
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .to_string();
            Trial::test(name, move || {
                let r = std::panic::catch_unwind(|| run_case(&path));
                match r {
                    Ok(Ok(summary)) => {
                        println!("{}: {summary}", path.display());
                        Ok(())
                    }
                    Ok(Err(e)) => Err(Failed::from(e)),
                    Err(_) => Err(Failed::from("the engine panicked")),
                }
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
