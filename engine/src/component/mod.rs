//! WebAssembly components (the component model, WASI 0.2).
//!
//! [`Component::new`] validates a component with wasmparser's component
//! model support and records, per (nested) component, its definitions in
//! order: core modules (decoded as [`Module`]s, so they run on every
//! engine unchanged), core instances, aliases, `canon lift` / `canon lower`
//! / `resource.*` built-ins, imports, exports and component instances.
//! Types are taken from the validator as each canonical function is met
//! and kept as owned [`Ty`] trees. `instance.rs` instantiates the graph
//! into a [`Store`](crate::runtime::Store); `abi.rs` is the canonical ABI.

pub mod abi;
mod call;
mod fused;
mod gate;
mod handles;
pub mod instance;
mod lifted;
pub mod types;
pub mod wave;

use std::sync::Arc;

use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType};
use wasmparser::{
    CanonicalFunction, CanonicalOption, ComponentAlias, ComponentExternalKind,
    ComponentOuterAliasKind, ComponentTypeRef, Encoding, ExternalKind, Parser, Payload, Validator,
    WasmFeatures,
};

use crate::error::{Error, ErrorKind, Result};
use crate::module::Module;

pub use instance::{
    ComponentHost, ComponentInstance, HostFn, Item, Lifted, instantiate, instantiate_with,
};
pub use types::{FuncTy, Ty, Val};

/// `\0asm` with a component's version and layer (0x0d 0x00 0x01 0x00).
pub fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[4..8] == [0x0d, 0x00, 0x01, 0x00]
}

/// String encoding of a canonical function's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StringEncoding {
    #[default]
    Utf8,
    Utf16,
    /// latin1+utf16 (`string-encoding=latin1+utf16`).
    CompactUtf16,
}

/// `canon` options, by index into the component's core index spaces.
#[derive(Debug, Clone, Default)]
pub struct CanonOpts {
    pub encoding: StringEncoding,
    pub memory: Option<u32>,
    pub realloc: Option<u32>,
    pub post_return: Option<u32>,
}

/// What a core function index of a component is.
#[derive(Debug, Clone)]
pub enum CoreFuncDef {
    /// `alias core export $inst "name"`.
    Alias(u32, String),
    /// `canon lower (func $f)`, with the function's type.
    Lower {
        func: u32,
        ty: FuncTy,
        opts: CanonOpts,
    },
    ResourceNew(u32),
    ResourceDrop(u32),
    ResourceRep(u32),
}

/// A core instance definition.
#[derive(Debug, Clone)]
pub enum CoreInstanceDef {
    /// Instantiate core module `module` with (name, core instance) args.
    Instantiate {
        module: u32,
        args: Vec<(String, u32)>,
    },
    /// A bag of core items: (name, kind, index).
    Exports(Vec<(String, ExternalKind, u32)>),
}

/// What a component function index is.
#[derive(Debug, Clone)]
pub enum FuncDef {
    Import(String),
    Alias(u32, String),
    Lift {
        core_func: u32,
        ty: FuncTy,
        opts: CanonOpts,
    },
    /// The same function as another index (an export re-numbers it).
    Same(u32),
}

/// A component instance definition.
#[derive(Debug, Clone)]
pub enum InstanceDef {
    Import(String),
    Alias(u32, String),
    Instantiate {
        component: u32,
        args: Vec<(String, ComponentExternalKind, u32)>,
    },
    Exports(Vec<(String, ComponentExternalKind, u32)>),
    Same(u32),
}

/// One definition, in the order the component defines it.
#[derive(Debug, Clone)]
pub enum Def {
    CoreFunc(CoreFuncDef),
    /// A table, memory, global or tag: `alias core export $inst "name"`.
    CoreItem(ExternalKind, u32, String),
    CoreModule(Arc<Module>),
    CoreInstance(CoreInstanceDef),
    Func(FuncDef),
    Instance(InstanceDef),
    Component(Arc<ComponentDef>),
    /// An imported component or core module, or one aliased out of an
    /// instance: refused at instantiation.
    Unsupported(&'static str),
}

/// One (possibly nested) component's definitions.
#[derive(Debug, Default)]
pub struct ComponentDef {
    pub defs: Vec<Def>,
    pub exports: Vec<(String, ComponentExternalKind, u32)>,
    /// Resource types this component defines: key -> destructor (a core func index).
    pub resources: Vec<(u32, Option<u32>)>,
    /// Names from the `component-name` custom section (for the debugger).
    pub names: ComponentNames,
    // Index counts while parsing (component-level spaces only).
    n_funcs: u32,
    n_instances: u32,
    n_components: u32,
    n_core_funcs: u32,
    n_core_modules: u32,
}

/// Names a component's `component-name` section gives its index spaces
/// (what `wasm-tools print` shows as `$main`, `$wasi:io/error@0.2.0`...).
#[derive(Debug, Default, Clone)]
pub struct ComponentNames {
    pub component: Option<String>,
    pub core_modules: std::collections::HashMap<u32, String>,
    pub core_instances: std::collections::HashMap<u32, String>,
    pub core_funcs: std::collections::HashMap<u32, String>,
    pub components: std::collections::HashMap<u32, String>,
    pub instances: std::collections::HashMap<u32, String>,
    pub funcs: std::collections::HashMap<u32, String>,
}

impl ComponentNames {
    /// Read a `component-name` section; a malformed one gives what was read
    /// before the error (names are best-effort, like DWARF).
    fn read(data: &[u8], offset: u64) -> ComponentNames {
        use wasmparser::ComponentName;
        let mut out = ComponentNames::default();
        let reader = wasmparser::BinaryReader::new(data, offset);
        let map = |m: wasmparser::NameMap<'_>| -> std::collections::HashMap<u32, String> {
            m.into_iter()
                .map_while(|n| n.ok())
                .map(|n| (n.index, n.name.to_string()))
                .collect()
        };
        for sub in wasmparser::ComponentNameSectionReader::new(reader) {
            let Ok(sub) = sub else { break };
            match sub {
                ComponentName::Component { name, .. } => out.component = Some(name.to_string()),
                ComponentName::CoreModules(m) => out.core_modules = map(m),
                ComponentName::CoreInstances(m) => out.core_instances = map(m),
                ComponentName::CoreFuncs(m) => out.core_funcs = map(m),
                ComponentName::Components(m) => out.components = map(m),
                ComponentName::Instances(m) => out.instances = map(m),
                ComponentName::Funcs(m) => out.funcs = map(m),
                _ => {}
            }
        }
        out
    }
}

/// A function a top-level import asks the host for.
#[derive(Debug, Clone)]
pub struct ImportFunc {
    /// The interface, e.g. `wasi:cli/stdout@0.2.6` (empty for a bare function import).
    pub interface: String,
    pub name: String,
    pub ty: FuncTy,
}

/// A decoded and validated component.
#[derive(Debug)]
pub struct Component {
    pub root: Arc<ComponentDef>,
    /// Every function the top-level imports name, for linking and errors.
    pub import_funcs: Vec<ImportFunc>,
    /// The top-level import names.
    pub imports: Vec<String>,
    /// Every core module, in file order (for compiling them ahead).
    pub modules: Vec<Arc<Module>>,
}

/// Features: the core modules' Wasm 3.0 set plus the component model.
pub fn features() -> WasmFeatures {
    crate::module::WASM_FEATURES | WasmFeatures::COMPONENT_MODEL
}

fn invalid(e: &wasmparser::BinaryReaderError) -> Error {
    Error::at(
        ErrorKind::Invalid,
        format!("invalid component: {}", e.message()),
        e.offset() as usize,
    )
}

fn unsupported(what: impl Into<String>, offset: u64) -> Error {
    Error::at(ErrorKind::Other, what.into(), offset as usize)
}

fn opts(o: &[CanonicalOption]) -> CanonOpts {
    let mut out = CanonOpts::default();
    for x in o {
        match x {
            CanonicalOption::UTF8 => out.encoding = StringEncoding::Utf8,
            CanonicalOption::UTF16 => out.encoding = StringEncoding::Utf16,
            CanonicalOption::CompactUTF16 => out.encoding = StringEncoding::CompactUtf16,
            CanonicalOption::Memory(m) => out.memory = Some(*m),
            CanonicalOption::Realloc(f) => out.realloc = Some(*f),
            CanonicalOption::PostReturn(f) => out.post_return = Some(*f),
            _ => {}
        }
    }
    out
}

impl Component {
    /// Decode and validate `bytes` as a component. Errors carry the byte
    /// offset in the file (`module_offset`), also for nested core modules.
    pub fn new(bytes: &[u8]) -> Result<Component> {
        let mut validator = Validator::new_with_features(features());
        let mut stack: Vec<ComponentDef> = Vec::new();
        let mut keys = types::ResourceKeys::default();
        let mut import_funcs = Vec::new();
        let mut imports = Vec::new();
        let mut modules = Vec::new();
        // Inside a nested core module: its payloads are validated, not recorded.
        let mut in_module = false;
        let mut root = None;
        for payload in Parser::new(0).parse_all(bytes) {
            let payload = payload.map_err(|e| {
                Error::at(
                    ErrorKind::Malformed,
                    format!("malformed component: {}", e.message()),
                    e.offset() as usize,
                )
            })?;
            validator.payload(&payload).map_err(|e| invalid(&e))?;
            if in_module {
                if let Payload::End(_) = payload {
                    in_module = false;
                }
                continue;
            }
            match payload {
                Payload::Version {
                    encoding, range, ..
                } => match encoding {
                    Encoding::Component => stack.push(ComponentDef::default()),
                    Encoding::Module => {
                        if stack.is_empty() {
                            return Err(Error::at(
                                ErrorKind::Invalid,
                                "a core module, not a component",
                                range.start as usize,
                            ));
                        }
                        in_module = true;
                    }
                },
                Payload::ModuleSection {
                    unchecked_range, ..
                } => {
                    let start = unchecked_range.start as usize;
                    let Some(module_bytes) = bytes.get(start..unchecked_range.end as usize) else {
                        return Err(Error::at(
                            ErrorKind::Malformed,
                            "malformed component: a core module section runs past the end of the file",
                            bytes.len(),
                        ));
                    };
                    let m = Module::new(module_bytes).map_err(|mut e| {
                        e.module_offset = e.module_offset.map(|o| o + start);
                        e.message = format!(
                            "in the core module at byte offset {start:#x}: {}",
                            e.message
                        );
                        e
                    })?;
                    let m = Arc::new(m);
                    modules.push(m.clone());
                    let top = stack
                        .last_mut()
                        .expect("a module section is inside a component");
                    top.defs.push(Def::CoreModule(m));
                    top.n_core_modules += 1;
                }
                Payload::InstanceSection(r) => {
                    for inst in r {
                        let inst = inst.map_err(|e| invalid(&e))?;
                        let d = match inst {
                            wasmparser::Instance::Instantiate { module_index, args } => {
                                CoreInstanceDef::Instantiate {
                                    module: module_index,
                                    args: args
                                        .iter()
                                        .map(|a| (a.name.to_string(), a.index))
                                        .collect(),
                                }
                            }
                            wasmparser::Instance::FromExports(ex) => CoreInstanceDef::Exports(
                                ex.iter()
                                    .map(|e| (e.name.to_string(), e.kind, e.index))
                                    .collect(),
                            ),
                        };
                        top(&mut stack).defs.push(Def::CoreInstance(d));
                    }
                }
                Payload::ComponentInstanceSection(r) => {
                    for inst in r {
                        let inst = inst.map_err(|e| invalid(&e))?;
                        let d = match inst {
                            wasmparser::ComponentInstance::Instantiate {
                                component_index,
                                args,
                            } => InstanceDef::Instantiate {
                                component: component_index,
                                args: args
                                    .iter()
                                    .map(|a| (a.name.to_string(), a.kind, a.index))
                                    .collect(),
                            },
                            wasmparser::ComponentInstance::FromExports(ex) => InstanceDef::Exports(
                                ex.iter()
                                    .map(|e| (e.name.name.to_string(), e.kind, e.index))
                                    .collect(),
                            ),
                        };
                        let t = top(&mut stack);
                        t.defs.push(Def::Instance(d));
                        t.n_instances += 1;
                    }
                }
                Payload::ComponentAliasSection(r) => {
                    for a in r.into_iter_with_offsets() {
                        let (offset, a) = a.map_err(|e| invalid(&e))?;
                        match a {
                            ComponentAlias::InstanceExport {
                                kind,
                                instance_index,
                                name,
                            } => {
                                let t = top(&mut stack);
                                let name = name.to_string();
                                match kind {
                                    ComponentExternalKind::Func => {
                                        t.defs
                                            .push(Def::Func(FuncDef::Alias(instance_index, name)));
                                        t.n_funcs += 1;
                                    }
                                    ComponentExternalKind::Instance => {
                                        t.defs.push(Def::Instance(InstanceDef::Alias(
                                            instance_index,
                                            name,
                                        )));
                                        t.n_instances += 1;
                                    }
                                    ComponentExternalKind::Component => {
                                        t.defs.push(Def::Unsupported(
                                            "a component exported by an instance",
                                        ));
                                        t.n_components += 1;
                                    }
                                    ComponentExternalKind::Module => {
                                        t.defs.push(Def::Unsupported(
                                            "a core module exported by an instance",
                                        ));
                                        t.n_core_modules += 1;
                                    }
                                    ComponentExternalKind::Type => {}
                                    ComponentExternalKind::Value => {
                                        return Err(unsupported(
                                            "component values are not supported",
                                            offset,
                                        ));
                                    }
                                }
                            }
                            ComponentAlias::CoreInstanceExport {
                                kind,
                                instance_index,
                                name,
                            } => {
                                let t = top(&mut stack);
                                if kind == ExternalKind::Func {
                                    t.defs.push(Def::CoreFunc(CoreFuncDef::Alias(
                                        instance_index,
                                        name.to_string(),
                                    )));
                                    t.n_core_funcs += 1;
                                } else {
                                    t.defs.push(Def::CoreItem(
                                        kind,
                                        instance_index,
                                        name.to_string(),
                                    ));
                                }
                            }
                            ComponentAlias::Outer { kind, count, index } => {
                                let depth = stack.len();
                                let outer =
                                    depth.checked_sub(1 + count as usize).map(|i| &stack[i]);
                                match kind {
                                    ComponentOuterAliasKind::CoreModule => {
                                        let m = outer.and_then(|o| nth_module(o, index));
                                        let t = top(&mut stack);
                                        t.defs.push(match m {
                                            Some(m) => Def::CoreModule(m),
                                            None => Def::Unsupported(
                                                "an outer alias of an imported core module",
                                            ),
                                        });
                                        t.n_core_modules += 1;
                                    }
                                    ComponentOuterAliasKind::Component => {
                                        let c = outer.and_then(|o| nth_component(o, index));
                                        let t = top(&mut stack);
                                        t.defs.push(match c {
                                            Some(c) => Def::Component(c),
                                            None => Def::Unsupported(
                                                "an outer alias of an imported component",
                                            ),
                                        });
                                        t.n_components += 1;
                                    }
                                    _ => {}
                                }
                            }
                        }
                    }
                }
                Payload::ComponentTypeSection(r) => {
                    let base =
                        validator.types(0).map_or(0, |t| t.component_type_count()) - r.count();
                    for (i, ty) in r.into_iter().enumerate() {
                        let ty = ty.map_err(|e| invalid(&e))?;
                        if let wasmparser::ComponentType::Resource { dtor, .. } = ty {
                            let types = validator.types(0).expect("inside a component");
                            if let ComponentAnyTypeId::Resource(r) =
                                types.component_any_type_at(base + i as u32)
                            {
                                let key = keys.key(r.resource());
                                top(&mut stack).resources.push((key, dtor));
                            }
                        }
                    }
                }
                Payload::ComponentCanonicalSection(r) => {
                    let n = r.count();
                    let mut items = Vec::new();
                    for c in r.into_iter_with_offsets() {
                        items.push(c.map_err(|e| invalid(&e))?);
                    }
                    let _ = n;
                    let types = validator.types(0).expect("inside a component");
                    // Function indices as they were before this section.
                    let mut func_index = top(&mut stack).n_funcs;
                    for (offset, c) in items {
                        let t = stack.last_mut().expect("inside a component");
                        match c {
                            CanonicalFunction::Lift {
                                core_func_index,
                                options,
                                ..
                            } => {
                                let ty = types::conv_func(
                                    &types,
                                    types.component_function_at(func_index),
                                    &mut keys,
                                )
                                .map_err(|m| unsupported(m, offset))?;
                                t.defs.push(Def::Func(FuncDef::Lift {
                                    core_func: core_func_index,
                                    ty,
                                    opts: opts(&options),
                                }));
                                t.n_funcs += 1;
                                func_index += 1;
                            }
                            CanonicalFunction::Lower {
                                func_index: f,
                                options,
                            } => {
                                let ty = types::conv_func(
                                    &types,
                                    types.component_function_at(f),
                                    &mut keys,
                                )
                                .map_err(|m| unsupported(m, offset))?;
                                t.defs.push(Def::CoreFunc(CoreFuncDef::Lower {
                                    func: f,
                                    ty,
                                    opts: opts(&options),
                                }));
                                t.n_core_funcs += 1;
                            }
                            CanonicalFunction::ResourceNew { resource }
                            | CanonicalFunction::ResourceDrop { resource }
                            | CanonicalFunction::ResourceRep { resource } => {
                                let key = match types.component_any_type_at(resource) {
                                    ComponentAnyTypeId::Resource(r) => keys.key(r.resource()),
                                    _ => {
                                        return Err(unsupported(
                                            "resource built-in on a non-resource type",
                                            offset,
                                        ));
                                    }
                                };
                                let d = match c {
                                    CanonicalFunction::ResourceNew { .. } => {
                                        CoreFuncDef::ResourceNew(key)
                                    }
                                    CanonicalFunction::ResourceDrop { .. } => {
                                        CoreFuncDef::ResourceDrop(key)
                                    }
                                    _ => CoreFuncDef::ResourceRep(key),
                                };
                                t.defs.push(Def::CoreFunc(d));
                                t.n_core_funcs += 1;
                            }
                            other => {
                                let name = format!("{other:?}");
                                let name =
                                    name.split([' ', '{', '(']).next().unwrap_or("").to_string();
                                return Err(unsupported(
                                    format!(
                                        "canonical built-in `{name}` (async, threads or GC) is not supported"
                                    ),
                                    offset,
                                ));
                            }
                        }
                    }
                }
                Payload::ComponentStartSection { range, .. } => {
                    return Err(unsupported(
                        "component start functions are not supported",
                        range.start,
                    ));
                }
                Payload::ComponentImportSection(r) => {
                    let is_top = stack.len() == 1;
                    for imp in r.into_iter_with_offsets() {
                        let (offset, imp) = imp.map_err(|e| invalid(&e))?;
                        let name = imp.name.name.to_string();
                        if is_top {
                            imports.push(name.clone());
                        }
                        let t = top(&mut stack);
                        match imp.ty {
                            ComponentTypeRef::Func(_) => {
                                t.defs.push(Def::Func(FuncDef::Import(name.clone())));
                                t.n_funcs += 1;
                                if is_top {
                                    let types = validator.types(0).expect("inside a component");
                                    let id = types.component_function_at(t.n_funcs - 1);
                                    let ty = types::conv_func(&types, id, &mut keys)
                                        .map_err(|m| unsupported(m, offset))?;
                                    import_funcs.push(ImportFunc {
                                        interface: String::new(),
                                        name,
                                        ty,
                                    });
                                }
                            }
                            ComponentTypeRef::Instance(_) => {
                                t.defs
                                    .push(Def::Instance(InstanceDef::Import(name.clone())));
                                t.n_instances += 1;
                                if is_top {
                                    let types = validator.types(0).expect("inside a component");
                                    let it = &types[types.component_instance_at(t.n_instances - 1)];
                                    for (fname, item) in it.exports.iter() {
                                        if let ComponentEntityType::Func(id) = item.ty {
                                            let ty = types::conv_func(&types, id, &mut keys)
                                                .map_err(|m| unsupported(m, offset))?;
                                            import_funcs.push(ImportFunc {
                                                interface: name.clone(),
                                                name: fname.clone(),
                                                ty,
                                            });
                                        }
                                    }
                                }
                            }
                            ComponentTypeRef::Component(_) => {
                                t.defs.push(Def::Unsupported("an imported component"));
                                t.n_components += 1;
                            }
                            ComponentTypeRef::Module(_) => {
                                t.defs.push(Def::Unsupported("an imported core module"));
                                t.n_core_modules += 1;
                            }
                            ComponentTypeRef::Type(_) => {}
                            ComponentTypeRef::Value(_) => {
                                return Err(unsupported(
                                    "component values are not supported",
                                    offset,
                                ));
                            }
                        }
                    }
                }
                Payload::ComponentExportSection(r) => {
                    for ex in r {
                        let ex = ex.map_err(|e| invalid(&e))?;
                        let t = top(&mut stack);
                        let name = ex.name.name.to_string();
                        t.exports.push((name, ex.kind, ex.index));
                        // An export also defines a new index of its kind.
                        match ex.kind {
                            ComponentExternalKind::Func => {
                                t.defs.push(Def::Func(FuncDef::Same(ex.index)));
                                t.n_funcs += 1;
                            }
                            ComponentExternalKind::Instance => {
                                t.defs.push(Def::Instance(InstanceDef::Same(ex.index)));
                                t.n_instances += 1;
                            }
                            ComponentExternalKind::Component => {
                                let c = nth_component(t, ex.index);
                                t.defs.push(match c {
                                    Some(c) => Def::Component(c),
                                    None => Def::Unsupported("a re-exported imported component"),
                                });
                                t.n_components += 1;
                            }
                            ComponentExternalKind::Module => {
                                let m = nth_module(t, ex.index);
                                t.defs.push(match m {
                                    Some(m) => Def::CoreModule(m),
                                    None => Def::Unsupported("a re-exported imported core module"),
                                });
                                t.n_core_modules += 1;
                            }
                            _ => {}
                        }
                    }
                }
                Payload::CustomSection(c) if c.name() == "component-name" => {
                    top(&mut stack).names = ComponentNames::read(c.data(), c.data_offset());
                }
                Payload::End(_) => {
                    let done = stack.pop().expect("End matches a Version");
                    match stack.last_mut() {
                        Some(parent) => {
                            parent.defs.push(Def::Component(Arc::new(done)));
                            parent.n_components += 1;
                        }
                        None => root = Some(done),
                    }
                }
                _ => {}
            }
        }
        let root = root.ok_or_else(|| {
            Error::at(
                ErrorKind::Malformed,
                "malformed component: unexpected end",
                bytes.len(),
            )
        })?;
        Ok(Component {
            root: Arc::new(root),
            import_funcs,
            imports,
            modules,
        })
    }
}

fn top(stack: &mut [ComponentDef]) -> &mut ComponentDef {
    stack.last_mut().expect("inside a component")
}

fn nth_module(c: &ComponentDef, index: u32) -> Option<Arc<Module>> {
    let mut i = 0;
    for d in &c.defs {
        match d {
            Def::CoreModule(m) => {
                if i == index {
                    return Some(m.clone());
                }
                i += 1;
            }
            Def::Unsupported(w) if w.contains("core module") => {
                if i == index {
                    return None;
                }
                i += 1;
            }
            _ => {}
        }
    }
    None
}

fn nth_component(c: &ComponentDef, index: u32) -> Option<Arc<ComponentDef>> {
    let mut i = 0;
    for d in &c.defs {
        match d {
            Def::Component(m) => {
                if i == index {
                    return Some(m.clone());
                }
                i += 1;
            }
            Def::Unsupported(w) if w.contains("component") && !w.contains("core module") => {
                if i == index {
                    return None;
                }
                i += 1;
            }
            _ => {}
        }
    }
    None
}
