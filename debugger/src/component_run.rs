//! `wdb run` of a component (WASI 0.2): decode, instantiate against our
//! WASI 0.2 host (`wdb_engine::wasi::p2`), call `wasi:cli/run#run` in the
//! chosen engine and turn its `result` into an exit code (wasmtime's: `ok`
//! is 0, `err` is 1). [`crate::runner::run`] hands components here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wdb_engine::Trap;
use wdb_engine::component::{self, Component, Val, wave};
use wdb_engine::interp::{Execution, PauseReason, RunOutcome};
use wdb_engine::runtime::{HostError, Store, StoreConfig};
use wdb_engine::wasi::p2::P2Host;

use crate::code_cache::CacheUse;
use crate::runner::{
    RunConfig, RunError, RunErrorKind, RunReport, engine_message, err, exit_code, instructions_run,
    process_cpu,
};

/// Whether the file starts with a component's header.
pub fn file_is_component(path: &std::path::Path) -> bool {
    std::fs::File::open(path)
        .and_then(|mut f| {
            let mut head = [0u8; 8];
            std::io::Read::read_exact(&mut f, &mut head).map(|()| head)
        })
        .is_ok_and(|h| component::is_component(&h))
}

/// Run a component's `wasi:cli/run`.
pub fn run(cfg: RunConfig) -> Result<RunReport, RunError> {
    let t0 = Instant::now();
    let file = cfg.file.display().to_string();
    let mut notes = Vec::new();
    let mut note = |s: String| {
        if let Some(sink) = &cfg.note_sink {
            (sink.0)(&s);
        }
        notes.push(s);
    };
    let bytes =
        std::fs::read(&cfg.file).map_err(|e| err(RunErrorKind::Load, format!("{file}: {e}")))?;
    let comp =
        Component::new(&bytes).map_err(|e| err(RunErrorKind::Load, format!("{file}: {e}")))?;
    let load_time = t0.elapsed();
    // `--invoke 'greet("world")'` (wasmtime's form) or `--invoke greet FILE '"world"'`.
    let call = match &cfg.invoke {
        None => None,
        Some((name, args)) => {
            let (f, inner) = wave::split_call(name).map_err(|e| err(RunErrorKind::Usage, e))?;
            if name.contains('(') && !args.is_empty() {
                return Err(err(
                    RunErrorKind::Usage,
                    "give the arguments inside --invoke's parentheses or after the file, not both",
                ));
            }
            Some((
                f,
                if name.contains('(') {
                    inner
                } else {
                    args.clone()
                },
            ))
        }
    };
    #[cfg(feature = "jit")]
    if cfg.jit_profile.is_some() {
        return Err(err(
            RunErrorKind::Unavailable,
            format!("{file}: profiling components is not supported yet"),
        ));
    }

    let mut store_cfg = StoreConfig::default();
    if let Some(m) = cfg.max_memory {
        store_cfg.max_memory_bytes = m;
    }
    let t_instantiate = Instant::now();
    let mut store = Store::new(store_cfg);
    let host =
        P2Host::new(cfg.wasi.clone()).map_err(|e| err(RunErrorKind::Load, engine_message(&e)))?;
    let inst = component::instantiate(&mut store, &comp, Arc::new(host.clone())).map_err(|e| {
        let kind = if e.kind == wdb_engine::ErrorKind::Link {
            RunErrorKind::Link
        } else {
            RunErrorKind::Instantiate
        };
        err(kind, format!("{file}: {}", engine_message(&e)))
    })?;
    let instantiate_time = t_instantiate.elapsed();
    let mut call_args = Vec::new();
    let target = match &call {
        None => inst.cli_run(),
        Some((name, args)) => {
            let funcs = inst.exported_funcs();
            let found: Vec<_> = funcs
                .iter()
                .filter(|(n, _)| n == name || n.rsplit_once('#').is_some_and(|(_, f)| f == name))
                .collect();
            let l = match found.as_slice() {
                [(_, l)] => l.clone(),
                [] => {
                    return Err(err(
                        RunErrorKind::Usage,
                        format!(
                            "{file} exports no function `{name}`; exported functions:\n  {}",
                            exported(&inst)
                        ),
                    ));
                }
                _ => {
                    return Err(err(
                        RunErrorKind::Usage,
                        format!(
                            "`{name}` names several exports; use the full name:\n  {}",
                            exported(&inst)
                        ),
                    ));
                }
            };
            if args.len() != l.ty.params.len() {
                return Err(err(
                    RunErrorKind::Usage,
                    format!(
                        "`{name}` takes {} argument(s): {}; given {}",
                        l.ty.params.len(),
                        l.ty,
                        args.len()
                    ),
                ));
            }
            for ((pname, t), a) in l.ty.params.iter().zip(args) {
                call_args.push(wave::parse(a, t).map_err(|e| {
                    err(
                        RunErrorKind::Usage,
                        format!("argument `{pname}` ({t}): {a}: {e}"),
                    )
                })?);
            }
            Some(l)
        }
    };
    let Some(run) = target else {
        return Err(err(
            RunErrorKind::Usage,
            format!(
                "{file} exports no wasi:cli/run (is it a library component? use --invoke FUNC); exported functions:\n  {}",
                exported(&inst)
            ),
        ));
    };
    let module = store
        .func_origin(run.core)
        .map(|(i, _)| store.instance_module(i).clone())
        .or_else(|| comp.modules.first().cloned())
        .ok_or_else(|| {
            err(
                RunErrorKind::Load,
                format!("{file}: the component has no core module"),
            )
        })?;

    let _cancel = cfg
        .cancel
        .clone()
        .map(|c| crate::runner::forward_interrupt(c, store.interrupt_handle()));
    let timer = crate::runner::Timeout::start(cfg.timeout, store.interrupt_handle());
    host.interruptible(store.interrupt_handle());

    // The inner core modules run on the chosen engine. In `aot` each loads
    // the code `wdb compile` put in its own `wdb.aot` section (a module
    // without one, or with code for another machine, is compiled now).
    let t_compile = Instant::now();
    let mut jit = crate::runner::native::component_engine(&cfg, &comp.modules, &file, &mut note)?;
    let compile_time = if jit.is_some() {
        t_compile.elapsed()
    } else {
        Duration::ZERO
    };

    let mut ctl = crate::runner::run_control(&cfg);
    let t_run = Instant::now();
    let cpu_run = process_cpu();
    let mut component_result = None;
    let outcome = match run.lower_args(&mut store, &call_args) {
        Err(e) => host_outcome(e),
        Ok(args) => {
            let o = if let Some(jit) = jit.as_mut() {
                jit.call(&mut store, run.core, &args, &mut ctl)
                    .map_err(|e| err(RunErrorKind::Usage, e.to_string()))?
            } else {
                let mut exec = Execution::new(&mut store, run.core, &args)
                    .map_err(|e| err(RunErrorKind::Usage, e.to_string()))?;
                loop {
                    match exec.run(&mut store, &mut ctl) {
                        RunOutcome::Paused(PauseReason::HostRequested) => continue,
                        o => break o,
                    }
                }
            };
            match o {
                RunOutcome::Returned(v) => match run.lift_results(&mut store, &v) {
                    Ok(Some(r)) if call.is_some() => {
                        let t = run.ty.result.as_ref().expect("a result has a type");
                        component_result = Some(component::types::wave(&r, t));
                        RunOutcome::Returned(Vec::new())
                    }
                    Ok(Some(Val::Result(Err(_)))) => RunOutcome::Exited(1),
                    Ok(_) => RunOutcome::Returned(Vec::new()),
                    Err(e) => host_outcome(e),
                },
                o => o,
            }
        }
    };
    let run_time = t_run.elapsed();
    let run_cpu = process_cpu().zip(cpu_run).map(|(b, a)| b.saturating_sub(a));
    let timed_out = timer.fired_for(&outcome);
    let exit_code = exit_code(&outcome);
    Ok(RunReport {
        outcome,
        results: Vec::new(),
        component_result,
        exit_code,
        wasi_log: Vec::new(),
        instructions: instructions_run(&cfg, &ctl),
        fuel_left: ctl.fuel,
        mode: cfg.mode,
        notes,
        compile_time,
        code_cache: CacheUse::Off,
        load_time,
        instantiate_time,
        run_time,
        run_cpu,
        elapsed: t0.elapsed(),
        timed_out,
        module,
    })
}

fn host_outcome(e: HostError) -> RunOutcome {
    match e {
        HostError::Exit(c) => RunOutcome::Exited(c),
        HostError::Trap(m) => RunOutcome::Trapped(Trap::host(m)),
    }
}

/// A component instance's exported functions with their types, one per
/// line (`name: func(..) -> ..`), or `(none)`: for errors and `info`.
pub(crate) fn exported(inst: &component::ComponentInstance) -> String {
    let list: Vec<String> = inst
        .exported_funcs()
        .iter()
        .map(|(n, l)| format!("{n}: {}", l.ty))
        .collect();
    if list.is_empty() {
        "(none)".to_string()
    } else {
        list.join("\n  ")
    }
}
