//! A component (WASI 0.2) in the debugger. The session's `module` is the
//! component's *main* core module (the one with the program's code and
//! DWARF) and `Runtime::inst` its store instance, so breakpoints, source,
//! variables and stepping work there unchanged; the other core modules
//! (wit-component's shims and fixups) are ordinary store instances whose
//! frames show their own names. `run` calls `wasi:cli/run`, `call NAME(WAVE)`
//! a component export; the canonical ABI boundaries are frames of their
//! own in `bt` (`[canon lift ...]`, `[canon lower ...]`), and `catch wasi`
//! stops before a WASI 0.2 call.

use std::path::Path;
use std::sync::{Arc, Mutex};

use wdb_engine::component::instance::HostGate;
use wdb_engine::component::{
    self, Component, ComponentDef, ComponentInstance, CoreInstanceDef, Def, FuncDef, Lifted, Val,
    wave,
};
use wdb_engine::interp::{FrameInfo, RunControl};
use wdb_engine::module::{ImportKind, Module};
use wdb_engine::runtime::{HostError, InstanceId, Store, StoreConfig};
use wdb_engine::wasi::p2::P2Host;
use wdb_engine::wasi::{BreakOn, WasiConfig, WasiCtx};

use super::{Launch, Res, Runtime, Session, callargs};
use crate::api::*;
use crate::error::{ErrorKind::*, err};
use crate::format::value_view;
use crate::host;

/// A loaded component: the decoded graph and which core module is the main one.
pub(super) struct LoadedComponent {
    pub comp: Arc<Component>,
    /// Index in `comp.modules` of the main core module.
    pub main: usize,
    pub graph: ComponentGraphView,
    /// (root core instance, export) -> the name a bag of the component
    /// gives that function (`wasi:io/streams@0.2.0#[method]output-stream.write`).
    pub aliases: std::collections::HashMap<(u32, String), String>,
}

/// A component's run-time state beside the session's `Runtime`.
pub(super) struct CompRuntime {
    pub inst: ComponentInstance,
    pub host: P2Host,
    /// The export being called: (name the user sees, the lifted function,
    /// whether it is `wasi:cli/run`).
    pub running: Option<(String, Arc<Lifted>, bool)>,
}

/// The main core module: the first with DWARF, else the one with the most
/// functions.
fn main_module(comp: &Component) -> usize {
    comp.modules
        .iter()
        .position(|m| m.custom_section(".debug_info").is_some())
        .or_else(|| {
            (0..comp.modules.len()).max_by_key(|&i| (comp.modules[i].num_funcs(), usize::MAX - i))
        })
        .unwrap_or(0)
}

/// `wasi:cli/stdout@0.2.6` + `get-stdout` -> `wasi:cli/stdout.get-stdout`;
/// `[method]output-stream.write` -> `output-stream.write` (as `--trace-wasi`).
pub(super) fn call_label(interface: &str, name: &str) -> String {
    let iface = interface.split_once('@').map_or(interface, |(i, _)| i);
    let short = name
        .strip_prefix("[method]")
        .or_else(|| name.strip_prefix("[static]"))
        .or_else(|| name.strip_prefix("[constructor]"))
        .unwrap_or(name);
    if iface.is_empty() {
        short.to_string()
    } else {
        format!("{iface}.{short}")
    }
}

/// Whether `catch wasi NAME` takes a call of `name` in `interface`: NAME is
/// the function (`get-stdout`, `output-stream.write`), the label
/// (`wasi:cli/stdout.get-stdout`) or the interface, with or without version.
pub(super) fn name_matches(pattern: &str, interface: &str, name: &str) -> bool {
    let label = call_label(interface, name);
    let iface = interface.split_once('@').map_or(interface, |(i, _)| i);
    let short = label.rsplit_once('.').map_or(label.as_str(), |(_, s)| s);
    let method = label
        .strip_prefix(iface)
        .and_then(|l| l.strip_prefix('.'))
        .unwrap_or(&label);
    pattern == name
        || pattern == label
        || pattern == method
        || pattern == short
        || pattern == iface
        || pattern == interface
        || pattern == format!("{interface}#{name}")
}

impl Session {
    pub(super) fn is_component(&self) -> bool {
        self.loaded.as_ref().is_some_and(|l| l.component.is_some())
    }

    pub(super) fn load_component(&mut self, path: &Path, args: Vec<String>) -> Res<Vec<Event>> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let comp = Component::new(&bytes).map_err(|e| format!("{}: {}", path.display(), e))?;
        let main = main_module(&comp);
        let Some(core) = comp.modules.get(main) else {
            return Err(err(
                Load,
                format!(
                    "{}: the component has no core module to debug",
                    path.display()
                ),
            ));
        };
        // A copy of the main module with demangled names (the component's
        // own copy, which the store runs, keeps the producer's).
        let module = Module::new(core.bytes.clone())
            .map_err(|e| format!("{}: the main core module: {e}", path.display()))?;
        let graph = graph_view(&comp, main);
        let component = Arc::new(LoadedComponent {
            aliases: alias_names(&comp.root),
            comp: Arc::new(comp),
            main,
            graph: graph.clone(),
        });
        let (module, mut events) = self.adopt(path, module, &bytes, Some(component), args);
        let mut view = super::module_view(path, &module, false);
        view.size = bytes.len();
        view.kind = if graph.components.first().is_some_and(|c| {
            c.exports
                .iter()
                .any(|(n, _)| n.starts_with("wasi:cli/run@"))
        }) {
            "component (command)".into()
        } else {
            "component (library)".into()
        };
        view.entry = self
            .loaded
            .as_ref()
            .and_then(|l| super::load::entry_view(&module, &l.source));
        view.component = Some(graph);
        events.insert(0, Event::Loaded(view));
        events.insert(1, Event::Program(self.program.clone()));
        events.extend(self.restore_state());
        Ok(events)
    }

    /// Instantiate the component against our WASI 0.2 host.
    pub(super) fn instantiate_component(&mut self) -> Res<()> {
        let l = self.loaded()?;
        let (lc, path) = (
            l.component.clone().expect("a component is loaded"),
            l.path.display().to_string(),
        );
        let io = self.guest_io("component.wasm")?;
        let (mut cfg, output) = host::wasi_config(&io)?;
        // The calls collect as trace lines: the session's WASI log.
        cfg.trace = true;
        cfg.trace_sink = None;
        let host = P2Host::new(cfg).map_err(|e| crate::runner::engine_message(&e))?;
        let mut store = Store::new(StoreConfig::default());
        let inst = component::instantiate(&mut store, &lc.comp, Arc::new(host.clone()))
            .map_err(|e| format!("{}: {}", path, crate::runner::engine_message(&e)))?;
        let main = &lc.comp.modules[lc.main];
        let main_inst = inst
            .core_instances
            .iter()
            .copied()
            .find(|&id| Arc::ptr_eq(store.instance_module(id), main))
            .ok_or_else(|| {
                err(
                    Load,
                    "the component never instantiates its main core module",
                )
            })?;
        *self
            .interrupt
            .lock()
            .map_err(|_| err(Internal, "interrupt lock poisoned"))? = store.interrupt_handle();
        host.interruptible(store.interrupt_handle());
        // Preview1's context stays empty: a component's calls are 0.2's.
        let wasi = WasiCtx::new(WasiConfig::default()).map_err(|e| e.to_string())?;
        self.rt = Some(Runtime {
            store,
            inst: main_inst,
            initialized: true,
            exec: None,
            exec_func: None,
            ctl: RunControl::default(),
            watch_numbers: Vec::new(),
            patched: Default::default(),
            wasi: Arc::new(Mutex::new(wasi)),
            output,
            comp: Some(CompRuntime {
                inst,
                host,
                running: None,
            }),
        });
        self.checks.reset();
        self.internal = None;
        self.call.forget_instance();
        self.sync_component_gate();
        Ok(())
    }

    /// `run` (`wasi:cli/run`) or `call NAME(WAVE ARGS)` of a component.
    pub(super) fn launch_component(&mut self, launch: Launch) -> Res<Vec<Event>> {
        let mut events = Vec::new();
        if let Launch::Start(args) = &launch {
            self.program.args = args.clone();
            self.rt = None;
            self.call = callargs::CallState {
                allocator: self.call.allocator.take(),
                unwind_on_signal: self.call.unwind_on_signal,
                ..Default::default()
            };
        }
        if let Some(rt) = &self.rt
            && rt.exec.as_ref().is_some_and(|e| !e.is_finished())
        {
            events.push(Event::Text("[the paused call was abandoned]".into()));
        }
        self.abandon_jit();
        if self.rt.is_none() {
            self.instantiate()?;
        }
        let rt = self.rt.as_mut().expect("instantiated above");
        let comp = rt.comp.as_mut().expect("a component runtime");
        let (name, lifted, is_run, vals) = match &launch {
            Launch::Start(_) => {
                let run = comp.inst.cli_run().ok_or_else(|| {
                    format!(
                        "the component exports no wasi:cli/run (a library component): use `call NAME(ARGS)`; it exports:\n  {}",
                        crate::component_run::exported(&comp.inst)
                    )
                })?;
                ("wasi:cli/run#run".to_string(), run, true, Vec::new())
            }
            Launch::Call(export, args) => {
                let (name, lifted, vals) = parse_call(&comp.inst, export, args)?;
                (name, lifted, false, vals)
            }
        };
        let core_args = match lifted.lower_args(&mut rt.store, &vals) {
            Ok(a) => a,
            Err(HostError::Trap(m)) => {
                return Err(err(Engine, format!("lowering the arguments trapped: {m}")));
            }
            Err(HostError::Exit(c)) => {
                return Err(err(
                    Engine,
                    format!("lowering the arguments exited with code {c}"),
                ));
            }
        };
        rt.exec_func = rt
            .store
            .func_origin(lifted.core)
            .filter(|(i, _)| *i == rt.inst)
            .map(|(_, f)| f);
        let core = lifted.core;
        rt.comp.as_mut().expect("a component runtime").running = Some((name, lifted, is_run));
        self.last_launch = Some(launch);
        self.internal = None;
        self.selected = 0;
        self.sync_breakpoints();
        // The core modules run as native code until a function with a
        // breakpoint is entered, as a core module's do.
        self.start_call(core, core_args, &mut events)?;
        Ok(events)
    }

    /// Whether a component export is being called (its result is lifted
    /// when the core function returns).
    pub(super) fn component_running(&self) -> bool {
        self.rt
            .as_ref()
            .and_then(|r| r.comp.as_ref())
            .is_some_and(|c| c.running.is_some())
    }

    /// The core function of a component export returned `values`: lift
    /// them (and run `post-return`). `wasi:cli/run`'s `result` is the exit
    /// status (`err` is 1, as wasmtime).
    pub(super) fn component_returned(&mut self, values: Vec<wdb_engine::Value>) -> Vec<Event> {
        let Some(rt) = self.rt.as_mut() else {
            return vec![];
        };
        let Some((name, lifted, is_run)) = rt.comp.as_mut().and_then(|c| c.running.take()) else {
            return vec![];
        };
        match lifted.lift_results(&mut rt.store, &values) {
            Ok(Some(Val::Result(Err(_)))) if is_run => vec![Event::Exited { code: 1 }],
            Ok(_) if is_run => vec![Event::Exited { code: 0 }],
            Ok(v) => {
                let values = match (v, &lifted.ty.result) {
                    (Some(v), Some(t)) => vec![ValueView {
                        ty: t.to_string(),
                        text: component::types::wave(&v, t),
                        ..value_view(wdb_engine::Value::I32(0))
                    }],
                    _ => Vec::new(),
                };
                vec![Event::Returned { func: name, values }]
            }
            Err(HostError::Trap(message)) => vec![Event::Trapped {
                message: format!("lifting the results of {name}: {message}"),
                backtrace: Vec::new(),
            }],
            Err(HostError::Exit(code)) => vec![Event::Exited { code }],
        }
    }

    /// Pause before the WASI 0.2 calls the enabled `catch wasi` points name.
    pub(super) fn sync_component_gate(&self) {
        let Some(gate) = self.component_gate() else {
            return;
        };
        let pred: Option<component::instance::PauseBefore> = match self.bps.break_on() {
            None => None,
            Some(BreakOn::All) => Some(Arc::new(|_: &str, _: &str| true)),
            Some(BreakOn::Names(names)) => Some(Arc::new(move |i: &str, n: &str| {
                names.iter().any(|p| name_matches(p, i, n))
            })),
        };
        gate.set_pause_before(pred);
    }

    fn component_gate(&self) -> Option<&Arc<HostGate>> {
        Some(&self.rt.as_ref()?.comp.as_ref()?.inst.gate)
    }

    /// The WASI 0.2 import the run is paused before: its label.
    pub(super) fn pending_component_call(&self) -> Option<String> {
        let rt = self.rt.as_ref()?;
        if !rt.exec.as_ref()?.host_call_pending() {
            return None;
        }
        let (i, n) = rt.comp.as_ref()?.inst.gate.pending()?;
        Some(call_label(&i, &n))
    }

    /// The stop for a pause before a WASI 0.2 call, counting the catchpoint's hit.
    pub(super) fn component_catch_stop(&mut self) -> Option<StopReason> {
        let rt = self.rt.as_ref()?;
        let gate = &rt.comp.as_ref()?.inst.gate;
        let (i, n) = gate.pending()?;
        // The call with its arguments in WAVE, as the WASI log writes it.
        let name = match gate.pending_args() {
            Some(a) => format!("{}({a})", call_label(&i, &n)),
            None => call_label(&i, &n),
        };
        let hit = self.bps.iter_mut().find(|b| {
            b.enabled
                && matches!(&b.kind, super::BpKind::CatchWasi(p) if p.as_ref().is_none_or(|p| name_matches(p, &i, &n)))
        });
        let number = hit.map_or(0, |b| {
            b.hits += 1;
            b.number
        });
        Some(StopReason::WasiCallBefore { number, name })
    }

    /// `catch wasi NAME` on a component: NAME must name one of its imports.
    pub(super) fn check_component_wasi_name(&self, pattern: &str) -> Res<()> {
        let lc = self.loaded()?.component.clone().expect("a component");
        if lc
            .comp
            .import_funcs
            .iter()
            .any(|f| name_matches(pattern, &f.interface, &f.name))
        {
            return Ok(());
        }
        let mut names: Vec<String> = lc
            .comp
            .import_funcs
            .iter()
            .map(|f| call_label(&f.interface, &f.name))
            .collect();
        names.truncate(8);
        Err(err(
            NotFound,
            format!(
                "the component imports no function `{pattern}` (e.g. {})",
                names.join(", ")
            ),
        ))
    }

    /// The WASI 0.2 calls so far, as `--trace-wasi` prints them.
    pub(super) fn component_wasi_log(&self) -> Option<Vec<WasiCallView>> {
        let comp = self.rt.as_ref()?.comp.as_ref()?;
        let ctx = comp.host.ctx.lock().ok()?;
        Some(
            ctx.trace_lines
                .iter()
                .enumerate()
                .map(|(seq, line)| WasiCallView {
                    seq: seq as u64,
                    line: line.clone(),
                    func: line.split('(').next().unwrap_or_default().to_string(),
                    ..WasiCallView::default()
                })
                .collect(),
        )
    }

    /// Whether frame `f` runs in another core instance than the main
    /// module's (a component's shim): no DWARF, its own names.
    pub(super) fn foreign_frame(&self, f: &FrameInfo) -> bool {
        self.rt.as_ref().is_some_and(|rt| rt.inst != f.instance)
    }

    /// `MODULE::NAME` for a function of another core module than the main
    /// one; a nameless export of wit-component's shim is named after what
    /// the component makes of it (`wasi:io/streams@0.2.0#[method]output-stream.write`).
    fn foreign_func_name(&self, rt: &Runtime, f: &FrameInfo) -> String {
        let m = rt.store.instance_module(f.instance);
        let lc = self.loaded.as_ref().and_then(|l| l.component.clone());
        let core = rt.comp.as_ref().and_then(|c| {
            c.inst
                .root_core_instances
                .iter()
                .position(|i| *i == Some(f.instance))
        });
        let (module_name, alias) = match (&lc, core) {
            (Some(lc), Some(ci)) => {
                let view = &lc.graph.core_instances[ci];
                let module_name = view
                    .module
                    .and_then(|mi| lc.graph.core_modules.get(mi))
                    .map(|cm| cm.name.clone());
                let alias = m
                    .exports
                    .iter()
                    .filter(|e| {
                        e.kind == wdb_engine::module::ExternKind::Func && e.index == f.func_index
                    })
                    .find_map(|e| lc.aliases.get(&(ci as u32, e.name.clone())).cloned());
                (module_name, alias)
            }
            _ => (None, None),
        };
        let name = alias.unwrap_or_else(|| m.display_func_name(f.func_index));
        match module_name {
            Some(mn) => format!("{mn}::{name}"),
            None => name,
        }
    }

    /// The instruction line of the selected frame `f`: none for a
    /// canonical ABI frame, from its own module for another core module's.
    pub(super) fn selected_instruction_line(&mut self, f: &FrameView) -> Option<DisasmLine> {
        if f.canon {
            return None;
        }
        let foreign = self
            .selected_vframe()
            .ok()
            .filter(|v| self.foreign_frame(&v.info))
            .and_then(|v| {
                Some(
                    self.rt
                        .as_ref()?
                        .store
                        .instance_module(v.info.instance)
                        .clone(),
                )
            });
        let Some(m) = foreign else {
            return self.instruction_line(f.code_offset);
        };
        let d = crate::disasm::Disasm::new(&m).ok()?;
        let text = d
            .line_at(m.module_offset_from_code_offset(f.code_offset))?
            .to_string();
        Some(DisasmLine {
            code_offset: Some(f.code_offset),
            text,
            current: true,
        })
    }

    /// The view of a frame of another core module than the main one.
    pub(super) fn foreign_frame_view(&self, index: usize, f: &FrameInfo) -> FrameView {
        let names = self.rt.as_ref().map(|rt| {
            let m = rt.store.instance_module(f.instance);
            (
                self.foreign_func_name(rt, f),
                m.func_type(f.func_index).params().len(),
                m.names.locals.get(&f.func_index).cloned(),
            )
        });
        let (func_name, nparams, local_names) =
            names.unwrap_or_else(|| (format!("func[{}]", f.func_index), 0, None));
        let all: Vec<NamedValue> = f
            .locals
            .iter()
            .enumerate()
            .map(|(i, v)| NamedValue {
                name: local_names
                    .as_ref()
                    .and_then(|m| m.get(&(i as u32)))
                    .cloned()
                    .unwrap_or_else(|| format!("$l{i}")),
                value: value_view(*v),
            })
            .collect();
        let (args, locals) = all.split_at(nparams.min(all.len()));
        FrameView {
            index,
            func_index: f.func_index,
            func_name,
            code_offset: f.code_offset,
            args: args.to_vec(),
            locals: locals.to_vec(),
            source: None,
            inlined: false,
            jit: false,
            canon: false,
        }
    }

    /// The canonical ABI frames around the wasm frames: `[canon lower
    /// IFACE.FUNC]` above them while paused before an import's call,
    /// `[canon lift EXPORT]` below them while an export is being called.
    pub(super) fn canon_frames(&self) -> (Option<String>, Option<String>) {
        let lower = self
            .pending_component_call()
            .map(|l| format!("[canon lower {l}]"));
        let lift = self
            .rt
            .as_ref()
            .and_then(|r| r.comp.as_ref())
            .and_then(|c| c.running.as_ref())
            .map(|(n, _, _)| format!("[canon lift {n}]"));
        (lower, lift)
    }

    /// The loaded component's graph (`info components`, `info instances`).
    pub(super) fn component_graph(&self) -> Res<ComponentGraphView> {
        let lc = self.loaded()?.component.clone().ok_or_else(|| {
            err(
                Unsupported,
                "The program is a core module, not a component.",
            )
        })?;
        Ok(lc.graph.clone())
    }

    /// `info instances`.
    pub(super) fn info_instances(&self) -> Res<InfoView> {
        let graph = self.component_graph()?;
        let ids: Option<&Vec<Option<InstanceId>>> = self
            .rt
            .as_ref()
            .and_then(|r| r.comp.as_ref())
            .map(|c| &c.inst.root_core_instances);
        let store_instances = graph
            .core_instances
            .iter()
            .map(|ci| Some(ids?.get(ci.index as usize).copied().flatten()?.0))
            .collect();
        Ok(InfoView::Instances {
            graph,
            store_instances,
            main: self.rt.as_ref().map(|r| r.inst.0),
        })
    }
}

/// `call swap({x: 1, y: -2})` (the REPL splits it at spaces: joined again)
/// or `call greet "world"`: the export and its WAVE arguments, parsed by type.
fn parse_call(
    inst: &ComponentInstance,
    export: &str,
    args: &[String],
) -> Res<(String, Arc<Lifted>, Vec<Val>)> {
    let mut text = export.to_string();
    for a in args {
        text.push(' ');
        text.push_str(a);
    }
    let (name, wave_args) = if export.contains('(') {
        wave::split_call(&text)?
    } else {
        (export.to_string(), args.to_vec())
    };
    let funcs = inst.exported_funcs();
    let found: Vec<_> = funcs
        .iter()
        .filter(|(n, _)| *n == name || n.rsplit_once('#').is_some_and(|(_, f)| f == name))
        .collect();
    let (full, l) = match found.as_slice() {
        [(n, l)] => (n.clone(), l.clone()),
        [] => {
            return Err(err(
                NotFound,
                format!(
                    "the component exports no function `{name}`; it exports:\n  {}",
                    crate::component_run::exported(inst)
                ),
            ));
        }
        _ => {
            return Err(err(
                BadArgument,
                format!(
                    "`{name}` names several exports; use the full name:\n  {}",
                    crate::component_run::exported(inst)
                ),
            ));
        }
    };
    if wave_args.len() != l.ty.params.len() {
        return Err(err(
            BadArgument,
            format!(
                "`{name}` takes {} argument(s): {}; given {}",
                l.ty.params.len(),
                l.ty,
                wave_args.len()
            ),
        ));
    }
    let mut vals = Vec::new();
    for ((pname, t), a) in l.ty.params.iter().zip(&wave_args) {
        vals.push(wave::parse(a, t).map_err(|e| format!("argument `{pname}` ({t}): {a}: {e}"))?);
    }
    let _ = full;
    Ok((name, l, vals))
}

mod graph;
#[cfg(test)]
mod tests;

use graph::alias_names;
use graph::graph_view;
