//! Run a WASI command (or universal AOT module, or `.so` from `wdb compile`)
//! on the Cranelift JIT, for benchmarks until `wdb run --mode jit` is wired:
//! `cargo run --release -p wdb_engine --example jit_run -- FILE.wasm [ARGS...]`.
//! Prints compile/load and run times to stderr.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use wdb_engine::Module;
use wdb_engine::interp::{RunControl, RunOutcome};
use wdb_engine::jit::{CompiledModule, JitEngine, OptLevel, compile_or_load};
use wdb_engine::runtime::{Linker, Store, StoreConfig};
use wdb_engine::wasi::{self, WasiConfig, WasiCtx};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = args.first().ok_or("usage: jit_run FILE [ARGS...]")?;
    let t0 = Instant::now();
    let (compiled, warning) = if file.ends_with(".so") {
        (
            CompiledModule::load_shared_object(std::path::Path::new(file))?,
            None,
        )
    } else {
        let module = Arc::new(Module::from_file(std::path::Path::new(file))?);
        compile_or_load(module, OptLevel::Speed)?
    };
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    let compile = t0.elapsed();
    let module = compiled.module().clone();
    let mut store = Store::new(StoreConfig::default());
    let ctx = WasiCtx::new(WasiConfig {
        args: args.clone(),
        ..WasiConfig::default()
    })?;
    let mut linker = Linker::new();
    wasi::add_to_linker(&mut linker, &mut store, Arc::new(Mutex::new(ctx)))?;
    let imports = linker.resolve(&store, &module)?;
    let (inst, _) = store.instantiate(module, &imports)?;
    let mut jit = JitEngine::new(OptLevel::Speed);
    let source = compiled.source;
    jit.add_compiled(Arc::new(compiled));
    let t1 = Instant::now();
    let out = jit.call_export(&mut store, inst, "_start", &[], &mut RunControl::default())?;
    eprintln!(
        "[{source:?}] compile/load {:.3}s, run {:.3}s: {}",
        compile.as_secs_f64(),
        t1.elapsed().as_secs_f64(),
        match &out {
            RunOutcome::Returned(_) => "returned".to_string(),
            RunOutcome::Exited(c) => format!("exit {c}"),
            o => format!("{o:?}"),
        }
    );
    Ok(())
}
