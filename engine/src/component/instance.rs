//! Instantiating a component graph into a [`Store`]: core modules become
//! ordinary store instances (so every engine runs them), `canon lower`ed
//! host functions become host functions of the store that lift their
//! arguments and lower their results, `canon lift`ed exports become
//! [`Lifted`] functions the host calls through [`Lifted::lower_args`] and
//! [`Lifted::lift_results`]. Definitions are processed in the order the
//! component gives them: every reference points backwards.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wasmparser::{ComponentExternalKind, ExternalKind, FuncType, ValType};

use super::abi::{self, Cx, Handle, HandleTable, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, call_wasm};
use super::fused::Fused;
use super::types::{FuncTy, Ty, Val};
use super::{
    CanonOpts, Component, ComponentDef, CoreFuncDef, CoreInstanceDef, Def, FuncDef, InstanceDef,
};
use crate::error::{Error, Result};
use crate::module::Module;
use crate::runtime::{Caller, Extern, HostError, InstanceId, Linker, Store};
use crate::value::{FuncAddr, Value};

/// A host implementation of one imported component function: lifted
/// arguments in, the result (if the type has one) out.
pub type HostFn =
    Arc<dyn Fn(Vec<Val>) -> std::result::Result<Option<Val>, HostError> + Send + Sync>;

/// What a component's imports are satisfied with.
pub trait ComponentHost: Send + Sync {
    /// The implementation of `name` in `interface` (e.g.
    /// `wasi:cli/stdout@0.2.6`, `get-stdout`) for a function of type `ty`,
    /// or `None` when the host has none.
    fn func(&self, interface: &str, name: &str, ty: &FuncTy) -> Option<HostFn>;
    /// The guest dropped its last owned handle to a host resource.
    fn drop_resource(&self, rep: u32) -> std::result::Result<(), HostError>;
}

pub use super::gate::{HostGate, PauseBefore};
pub use super::lifted::{CompState, Lifted};

/// A component-level item: what an index of a component index space or an
/// instance export is at run time.
#[derive(Clone)]
pub enum Item {
    Func(Func),
    /// A component instance made by the guest: its exports.
    Instance(Arc<HashMap<String, Item>>),
    /// An interface the host provides (a top-level import).
    HostInstance(String),
    Component(Arc<ComponentDef>),
    Module(Arc<Module>),
    /// A type or value: nothing to do at run time.
    Other,
}

/// A component function.
#[derive(Clone)]
pub enum Func {
    Host { interface: String, name: String },
    Lifted(Arc<Lifted>),
}

/// An instantiated component.
pub struct ComponentInstance {
    pub exports: HashMap<String, Item>,
    /// Every core instance created, in order (the inner modules).
    pub core_instances: Vec<InstanceId>,
    /// The root component's core instances by index: the store instance
    /// of each `instantiate`, `None` for a bag of exports.
    pub root_core_instances: Vec<Option<InstanceId>>,
    /// Pauses before imports (the debugger's `catch wasi`).
    pub gate: Arc<HostGate>,
}

impl ComponentInstance {
    /// `wasi:cli/run@0.2.x`'s `run`, if the component exports it.
    pub fn cli_run(&self) -> Option<Arc<Lifted>> {
        self.exports.iter().find_map(|(n, it)| {
            if !n.starts_with("wasi:cli/run@") {
                return None;
            }
            match it {
                Item::Instance(m) => match m.get("run") {
                    Some(Item::Func(Func::Lifted(l))) => Some(l.clone()),
                    _ => None,
                },
                _ => None,
            }
        })
    }

    /// Exported functions, by path (`iface#name` for functions of exported instances).
    pub fn exported_funcs(&self) -> Vec<(String, Arc<Lifted>)> {
        let mut out = Vec::new();
        for (n, it) in &self.exports {
            match it {
                Item::Func(Func::Lifted(l)) => out.push((n.clone(), l.clone())),
                Item::Instance(m) => {
                    for (f, it) in m.iter() {
                        if let Item::Func(Func::Lifted(l)) = it {
                            out.push((format!("{n}#{f}"), l.clone()));
                        }
                    }
                }
                _ => {}
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// Imported functions the host does not provide, one line each
/// (`wasi:sockets/tcp@0.2.0: [method]tcp-socket.connect`): all at once.
pub fn missing_imports(c: &Component, host: &dyn ComponentHost) -> Vec<String> {
    c.import_funcs
        .iter()
        .filter(|f| host.func(&f.interface, &f.name, &f.ty).is_none())
        .map(|f| {
            if f.interface.is_empty() {
                format!("{}: {}", f.name, f.ty)
            } else {
                format!("{}: {}: {}", f.interface, f.name, f.ty)
            }
        })
        .collect()
}

/// Instantiate `c` in `store` with the host's imports. Start functions of
/// the core modules run (in the interpreter) as their instances are made.
pub fn instantiate(
    store: &mut Store,
    c: &Component,
    host: Arc<dyn ComponentHost>,
) -> Result<ComponentInstance> {
    instantiate_with(store, c, host, true)
}

/// [`instantiate`], choosing how a `canon lower` of another component's
/// export copies its values: through a fused adapter where its plan covers
/// the type (`fuse`, what [`instantiate`] does), or always by lifting them
/// into [`Val`]s and lowering them again (the reference the tests compare
/// the adapters with).
pub fn instantiate_with(
    store: &mut Store,
    c: &Component,
    host: Arc<dyn ComponentHost>,
    fuse: bool,
) -> Result<ComponentInstance> {
    let missing = missing_imports(c, host.as_ref());
    if !missing.is_empty() {
        return Err(Error::link(format!(
            "the component imports what the host does not provide:\n  {}",
            missing.join("\n  ")
        )));
    }
    let mut args = HashMap::new();
    for name in &c.imports {
        let it = if c
            .import_funcs
            .iter()
            .any(|f| f.interface.is_empty() && &f.name == name)
        {
            Item::Func(Func::Host {
                interface: String::new(),
                name: name.clone(),
            })
        } else {
            Item::HostInstance(name.clone())
        };
        args.insert(name.clone(), it);
    }
    let mut cx = Inst {
        store,
        host,
        core_instances: Vec::new(),
        depth: 0,
        root_core: Vec::new(),
        gate: Arc::default(),
        fuse,
    };
    let exports = cx.component(&c.root, &args)?;
    Ok(ComponentInstance {
        exports,
        core_instances: cx.core_instances,
        root_core_instances: cx.root_core,
        gate: cx.gate,
    })
}

enum CoreInst {
    Module(InstanceId),
    Bag(HashMap<String, Extern>),
}

struct Inst<'s> {
    store: &'s mut Store,
    host: Arc<dyn ComponentHost>,
    core_instances: Vec<InstanceId>,
    /// How deep in nested components the definitions being made are (1: the root).
    depth: usize,
    root_core: Vec<Option<InstanceId>>,
    gate: Arc<HostGate>,
    /// Fused adapters between composed components (see [`instantiate_with`]).
    fuse: bool,
}

fn bad(m: impl Into<String>) -> Error {
    Error::instantiate(m)
}

fn lower_sig(ty: &FuncTy) -> (FuncType, Vec<ValType>) {
    let mut params = Vec::new();
    for (_, t) in &ty.params {
        abi::flatten(t, &mut params);
    }
    if params.len() > MAX_FLAT_PARAMS {
        params = vec![ValType::I32];
    }
    let mut results = Vec::new();
    if let Some(t) = &ty.result {
        abi::flatten(t, &mut results);
    }
    if results.len() > MAX_FLAT_RESULTS {
        params.push(ValType::I32);
        results.clear();
    }
    (FuncType::new(params, results.clone()), results)
}

impl Inst<'_> {
    fn component(
        &mut self,
        def: &ComponentDef,
        args: &HashMap<String, Item>,
    ) -> Result<HashMap<String, Item>> {
        self.depth += 1;
        let r = self.component_defs(def, args);
        self.depth -= 1;
        r
    }

    fn component_defs(
        &mut self,
        def: &ComponentDef,
        args: &HashMap<String, Item>,
    ) -> Result<HashMap<String, Item>> {
        let mut core_funcs: Vec<FuncAddr> = Vec::new();
        let mut tables: Vec<u32> = Vec::new();
        let mut mems: Vec<u32> = Vec::new();
        let mut globals: Vec<u32> = Vec::new();
        let mut tags: Vec<u32> = Vec::new();
        let mut modules: Vec<Arc<Module>> = Vec::new();
        let mut core_insts: Vec<CoreInst> = Vec::new();
        let mut funcs: Vec<Func> = Vec::new();
        let mut insts: Vec<Item> = Vec::new();
        let mut comps: Vec<Arc<ComponentDef>> = Vec::new();
        // Destructors are core functions, known once defined: resolved lazily.
        let state = Arc::new(CompState {
            handles: Mutex::new(HandleTable::default()),
        });
        let local: Vec<u32> = def.resources.iter().map(|r| r.0).collect();

        let core_export = |store: &Store, ci: &CoreInst, name: &str| -> Option<Extern> {
            match ci {
                CoreInst::Module(id) => store.instance_export(*id, name),
                CoreInst::Bag(m) => m.get(name).copied(),
            }
        };

        for d in &def.defs {
            match d {
                Def::CoreFunc(CoreFuncDef::Alias(i, name)) => {
                    let ci = core_insts
                        .get(*i as usize)
                        .ok_or_else(|| bad("core instance index out of range"))?;
                    match core_export(self.store, ci, name) {
                        Some(Extern::Func(f)) => core_funcs.push(f),
                        _ => {
                            return Err(bad(format!(
                                "core instance {i} exports no function `{name}`"
                            )));
                        }
                    }
                }
                Def::CoreFunc(CoreFuncDef::Lower { func, ty, opts }) => {
                    let f = funcs
                        .get(*func as usize)
                        .cloned()
                        .ok_or_else(|| bad("function index out of range"))?;
                    let addr = self.lower(f, ty, opts, &core_funcs, &mems, &state)?;
                    core_funcs.push(addr);
                }
                Def::CoreFunc(CoreFuncDef::ResourceNew(key)) => {
                    let key = *key;
                    let st = state.clone();
                    let f =
                        self.store.add_host_func(
                            FuncType::new([ValType::I32], [ValType::I32]),
                            Arc::new(move |_c: &mut Caller<'_>, a: &[Value], r: &mut [Value]| {
                                let rep = abi::value_to_bits(&a[0]) as u32;
                                let h = st.handles.lock().unwrap_or_else(|e| e.into_inner()).add(
                                    Handle {
                                        rep,
                                        res: key,
                                        own: true,
                                    },
                                );
                                r[0] = Value::I32(h as i32);
                                Ok(())
                            }),
                        );
                    core_funcs.push(f);
                }
                Def::CoreFunc(CoreFuncDef::ResourceRep(key)) => {
                    let key = *key;
                    let st = state.clone();
                    let f = self.store.add_host_func(
                        FuncType::new([ValType::I32], [ValType::I32]),
                        Arc::new(move |_c: &mut Caller<'_>, a: &[Value], r: &mut [Value]| {
                            let h = abi::value_to_bits(&a[0]) as u32;
                            match st.handles.lock().unwrap_or_else(|e| e.into_inner()).get(h) {
                                Some(x) if x.res == key => {
                                    r[0] = Value::I32(x.rep as i32);
                                    Ok(())
                                }
                                _ => abi::trap(format!("resource.rep: unknown handle {h}")),
                            }
                        }),
                    );
                    core_funcs.push(f);
                }
                Def::CoreFunc(CoreFuncDef::ResourceDrop(key)) => {
                    let key = *key;
                    let st = state.clone();
                    let host = self.host.clone();
                    let is_local = local.contains(&key);
                    // The destructor's core function, when this component
                    // defines the type (validation puts it before the type).
                    let dtor = def
                        .resources
                        .iter()
                        .find(|r| r.0 == key)
                        .and_then(|r| r.1)
                        .and_then(|i| core_funcs.get(i as usize).copied());
                    let f = self.store.add_host_func(
                        FuncType::new([ValType::I32], []),
                        Arc::new(move |c: &mut Caller<'_>, a: &[Value], _r: &mut [Value]| {
                            let h = abi::value_to_bits(&a[0]) as u32;
                            let removed = {
                                let mut t = st.handles.lock().unwrap_or_else(|e| e.into_inner());
                                match t.get(h) {
                                    Some(x) if x.res == key => t.remove(h),
                                    Some(_) => {
                                        return abi::trap(format!(
                                            "resource.drop: handle {h} is of another resource type"
                                        ));
                                    }
                                    None => {
                                        return abi::trap(format!(
                                            "resource.drop: unknown handle {h} (dropped twice?)"
                                        ));
                                    }
                                }
                            };
                            let Some(x) = removed else { return Ok(()) };
                            if !x.own {
                                return Ok(());
                            }
                            if is_local {
                                if let Some(d) = dtor {
                                    call_wasm(c.store, d, &[Value::I32(x.rep as i32)])?;
                                }
                                Ok(())
                            } else {
                                host.drop_resource(x.rep)
                            }
                        }),
                    );
                    core_funcs.push(f);
                }
                Def::CoreItem(kind, i, name) => {
                    let ci = core_insts
                        .get(*i as usize)
                        .ok_or_else(|| bad("core instance index out of range"))?;
                    let e = core_export(self.store, ci, name);
                    match (kind, e) {
                        (ExternalKind::Table, Some(Extern::Table(a))) => tables.push(a),
                        (ExternalKind::Memory, Some(Extern::Memory(a))) => mems.push(a),
                        (ExternalKind::Global, Some(Extern::Global(a))) => globals.push(a),
                        (ExternalKind::Tag, Some(Extern::Tag(a))) => tags.push(a),
                        _ => {
                            return Err(bad(format!(
                                "core instance {i} has no {kind:?} export `{name}`"
                            )));
                        }
                    }
                }
                Def::CoreModule(m) => modules.push(m.clone()),
                Def::CoreInstance(CoreInstanceDef::Instantiate {
                    module,
                    args: margs,
                }) => {
                    let m = modules
                        .get(*module as usize)
                        .cloned()
                        .ok_or_else(|| bad("core module index out of range"))?;
                    let mut linker = Linker::new();
                    for (name, ci) in margs {
                        let ci = core_insts
                            .get(*ci as usize)
                            .ok_or_else(|| bad("core instance index out of range"))?;
                        match ci {
                            CoreInst::Module(id) => linker.instance(self.store, name, *id),
                            CoreInst::Bag(b) => {
                                for (k, e) in b {
                                    linker.define(name, k, *e);
                                }
                            }
                        }
                    }
                    let imports = linker.resolve(self.store, &m)?;
                    let (id, start) = self.store.instantiate(m, &imports)?;
                    if let Some(s) = start {
                        call_wasm(self.store, s, &[]).map_err(|e| match e {
                            HostError::Trap(t) => {
                                bad(format!("a core module's start function trapped: {t}"))
                            }
                            HostError::Exit(c) => {
                                bad(format!("a core module's start function exited with {c}"))
                            }
                        })?;
                    }
                    self.core_instances.push(id);
                    if self.depth == 1 {
                        self.root_core.push(Some(id));
                    }
                    core_insts.push(CoreInst::Module(id));
                }
                Def::CoreInstance(CoreInstanceDef::Exports(list)) => {
                    let mut bag = HashMap::new();
                    for (name, kind, idx) in list {
                        let i = *idx as usize;
                        let e = match kind {
                            ExternalKind::Func => core_funcs.get(i).map(|&f| Extern::Func(f)),
                            ExternalKind::Table => tables.get(i).map(|&f| Extern::Table(f)),
                            ExternalKind::Memory => mems.get(i).map(|&f| Extern::Memory(f)),
                            ExternalKind::Global => globals.get(i).map(|&f| Extern::Global(f)),
                            ExternalKind::Tag => tags.get(i).map(|&f| Extern::Tag(f)),
                            _ => None,
                        };
                        bag.insert(
                            name.clone(),
                            e.ok_or_else(|| {
                                bad(format!("core export `{name}`: index out of range"))
                            })?,
                        );
                    }
                    if self.depth == 1 {
                        self.root_core.push(None);
                    }
                    core_insts.push(CoreInst::Bag(bag));
                }
                Def::Func(fd) => {
                    let f = match fd {
                        FuncDef::Import(name) => match args.get(name) {
                            Some(Item::Func(f)) => f.clone(),
                            _ => {
                                return Err(bad(format!(
                                    "import `{name}` is not given a function"
                                )));
                            }
                        },
                        FuncDef::Alias(i, name) => match insts.get(*i as usize) {
                            Some(Item::HostInstance(iface)) => Func::Host {
                                interface: iface.clone(),
                                name: name.clone(),
                            },
                            Some(Item::Instance(m)) => match m.get(name) {
                                Some(Item::Func(f)) => f.clone(),
                                _ => {
                                    return Err(bad(format!(
                                        "instance {i} exports no function `{name}`"
                                    )));
                                }
                            },
                            _ => {
                                return Err(bad(format!(
                                    "instance {i} exports no function `{name}`"
                                )));
                            }
                        },
                        FuncDef::Lift {
                            core_func,
                            ty,
                            opts,
                        } => {
                            let core = *core_funcs
                                .get(*core_func as usize)
                                .ok_or_else(|| bad("core function index out of range"))?;
                            Func::Lifted(Arc::new(Lifted::new(
                                core,
                                ty.clone(),
                                resolve_opts(opts, &core_funcs, &mems)?,
                                opts.encoding,
                                state.clone(),
                            )))
                        }
                        FuncDef::Same(i) => funcs
                            .get(*i as usize)
                            .cloned()
                            .ok_or_else(|| bad("function index out of range"))?,
                    };
                    funcs.push(f);
                }
                Def::Instance(idef) => {
                    let it = match idef {
                        InstanceDef::Import(name) => args
                            .get(name)
                            .cloned()
                            .ok_or_else(|| bad(format!("import `{name}` is not given")))?,
                        InstanceDef::Alias(i, name) => match insts.get(*i as usize) {
                            Some(Item::Instance(m)) => m
                                .get(name)
                                .cloned()
                                .ok_or_else(|| bad(format!("instance {i} exports no `{name}`")))?,
                            _ => {
                                return Err(bad(format!(
                                    "instance {i} exports no instance `{name}`"
                                )));
                            }
                        },
                        InstanceDef::Instantiate {
                            component,
                            args: cargs,
                        } => {
                            let c = comps
                                .get(*component as usize)
                                .cloned()
                                .ok_or_else(|| bad("component index out of range"))?;
                            let mut a = HashMap::new();
                            for (name, kind, idx) in cargs {
                                a.insert(
                                    name.clone(),
                                    item_of(*kind, *idx, &funcs, &insts, &comps, &modules)?,
                                );
                            }
                            Item::Instance(Arc::new(self.component(&c, &a)?))
                        }
                        InstanceDef::Exports(list) => {
                            let mut m = HashMap::new();
                            for (name, kind, idx) in list {
                                m.insert(
                                    name.clone(),
                                    item_of(*kind, *idx, &funcs, &insts, &comps, &modules)?,
                                );
                            }
                            Item::Instance(Arc::new(m))
                        }
                        InstanceDef::Same(i) => insts
                            .get(*i as usize)
                            .cloned()
                            .ok_or_else(|| bad("instance index out of range"))?,
                    };
                    insts.push(it);
                }
                Def::Component(c) => comps.push(c.clone()),
                Def::Unsupported(what) => {
                    return Err(Error::new(
                        crate::error::ErrorKind::Other,
                        format!("unsupported in components: {what}"),
                    ));
                }
            }
        }
        let mut out = HashMap::new();
        for (name, kind, idx) in &def.exports {
            out.insert(
                name.clone(),
                item_of(*kind, *idx, &funcs, &insts, &comps, &modules)?,
            );
        }
        Ok(out)
    }

    fn lower(
        &mut self,
        f: Func,
        ty: &FuncTy,
        opts: &CanonOpts,
        core_funcs: &[FuncAddr],
        mems: &[u32],
        state: &Arc<CompState>,
    ) -> Result<FuncAddr> {
        // What the lowered function calls: a host function, or another
        // component's lifted export (components composed into one graph):
        // its arguments are lifted out of this component's memory, lowered
        // into the callee's, and its result back the other way.
        let (interface, name, target) = match f {
            Func::Host { interface, name } => {
                let hostfn = self.host.func(&interface, &name, ty).ok_or_else(|| {
                    Error::link(format!(
                        "the host does not provide {interface}: {name}: {ty}"
                    ))
                })?;
                (interface, name, Target::Host(hostfn))
            }
            Func::Lifted(l) => (String::new(), String::new(), Target::Lifted(l)),
        };
        let (memory, realloc, _) = resolve_opts(opts, core_funcs, mems)?;
        let encoding = opts.encoding;
        // Another component's export: copied memory to memory by a fused
        // adapter when its plan covers the type (`fused.rs`).
        if let Target::Lifted(l) = &target
            && self.fuse
            && let Some(fused) = Fused::plan(ty, (memory, realloc, encoding), l)
        {
            let (core_ty, _) = lower_sig(ty);
            let func = Arc::new(move |c: &mut Caller<'_>, a: &[Value], r: &mut [Value]| {
                fused.call(c.store, a, r)
            });
            return Ok(self.store.add_host_func(core_ty, func));
        }
        let (core_ty, results) = lower_sig(ty);
        let params: Vec<Ty> = ty.params.iter().map(|(_, t)| t.clone()).collect();
        let nflat: usize = params.iter().map(abi::flat_count).sum();
        let tuple = Ty::Tuple(params.clone());
        let result = ty.result.clone();
        let st = state.clone();
        let gate = self.gate.clone();
        let func = Arc::new(move |c: &mut Caller<'_>, a: &[Value], r: &mut [Value]| {
            if matches!(target, Target::Host(_))
                && gate.defers(c, &interface, &name, &|c: &mut Caller<'_>| {
                    // Lifted against a copy of the handle table: lifting an
                    // `own` takes the handle, and the call is made later.
                    let scratch =
                        Mutex::new(st.handles.lock().unwrap_or_else(|e| e.into_inner()).clone());
                    let mut cx = Cx {
                        store: c.store,
                        memory,
                        realloc,
                        encoding,
                        handles: &scratch,
                    };
                    let bits: Vec<u64> = a.iter().map(abi::value_to_bits).collect();
                    let vals = if nflat <= MAX_FLAT_PARAMS {
                        let mut it = bits.iter();
                        params.iter().map(|t| cx.lift_flat(t, &mut it)).collect()
                    } else {
                        cx.load(&tuple, bits.first().copied().unwrap_or(0) as u32)
                            .map(|v| match v {
                                Val::Tuple(v) => v,
                                _ => Vec::new(),
                            })
                    };
                    match vals {
                        Ok(v) => v
                            .iter()
                            .zip(&params)
                            .map(|(v, t)| super::types::wave(v, t))
                            .collect::<Vec<_>>()
                            .join(", "),
                        Err(_) => "?".to_string(),
                    }
                })
            {
                return Ok(());
            }
            let bits: Vec<u64> = a.iter().map(abi::value_to_bits).collect();
            let mut cx = Cx {
                store: c.store,
                memory,
                realloc,
                encoding,
                handles: &st.handles,
            };
            let args = if nflat <= MAX_FLAT_PARAMS {
                let mut it = bits.iter();
                let mut v = Vec::with_capacity(params.len());
                for t in &params {
                    v.push(cx.lift_flat(t, &mut it)?);
                }
                v
            } else {
                match cx.load(&tuple, bits.first().copied().unwrap_or(0) as u32)? {
                    Val::Tuple(v) => v,
                    _ => Vec::new(),
                }
            };
            let out = match &target {
                Target::Host(f) => f(args)?,
                Target::Lifted(l) => {
                    let core_args = l.lower_args(cx.store, &args)?;
                    let results = call_wasm(cx.store, l.core, &core_args)?;
                    l.lift_results(cx.store, &results)?
                }
            };
            match (&result, out) {
                (None, _) => Ok(()),
                (Some(t), Some(v)) => {
                    if results.is_empty() {
                        let retptr = bits.last().copied().unwrap_or(0) as u32;
                        cx.store(t, &v, retptr)
                    } else {
                        let mut flat = Vec::with_capacity(1);
                        cx.lower_flat(t, &v, &mut flat)?;
                        for (i, (rt, b)) in results.iter().zip(flat).enumerate() {
                            r[i] = abi::bits_to_value(*rt, b);
                        }
                        Ok(())
                    }
                }
                (Some(_), None) => abi::trap(format!("host function {name} returned no value")),
            }
        });
        Ok(self.store.add_host_func(core_ty, func))
    }
}

/// What a `canon lower`ed function calls.
enum Target {
    Host(HostFn),
    Lifted(Arc<Lifted>),
}

fn resolve_opts(
    opts: &CanonOpts,
    core_funcs: &[FuncAddr],
    mems: &[u32],
) -> Result<(Option<u32>, Option<FuncAddr>, Option<FuncAddr>)> {
    let get_f = |i: Option<u32>| -> Result<Option<FuncAddr>> {
        match i {
            None => Ok(None),
            Some(i) => core_funcs
                .get(i as usize)
                .copied()
                .map(Some)
                .ok_or_else(|| bad("canon option: core function index out of range")),
        }
    };
    let memory = match opts.memory {
        None => None,
        Some(m) => Some(
            *mems
                .get(m as usize)
                .ok_or_else(|| bad("canon option: memory index out of range"))?,
        ),
    };
    Ok((memory, get_f(opts.realloc)?, get_f(opts.post_return)?))
}

fn item_of(
    kind: ComponentExternalKind,
    idx: u32,
    funcs: &[Func],
    insts: &[Item],
    comps: &[Arc<ComponentDef>],
    modules: &[Arc<Module>],
) -> Result<Item> {
    let i = idx as usize;
    let oob = || bad(format!("{kind:?} index {idx} out of range"));
    Ok(match kind {
        ComponentExternalKind::Func => Item::Func(funcs.get(i).cloned().ok_or_else(oob)?),
        ComponentExternalKind::Instance => insts.get(i).cloned().ok_or_else(oob)?,
        ComponentExternalKind::Component => Item::Component(comps.get(i).cloned().ok_or_else(oob)?),
        ComponentExternalKind::Module => Item::Module(modules.get(i).cloned().ok_or_else(oob)?),
        ComponentExternalKind::Type | ComponentExternalKind::Value => Item::Other,
    })
}
