//! The component graph as the debugger shows it (`info components`, the
//! GUI's Module panel) and the names a component gives its aliased core
//! functions.

use super::*;

/// What the root component's bags of exports call the core functions they
/// alias out of instantiated modules: (core instance, export) ->
/// `BAG#ITEM`, the bag named by the `component-name` section.
pub(super) fn alias_names(def: &ComponentDef) -> std::collections::HashMap<(u32, String), String> {
    use wdb_engine::component::CoreFuncDef;
    let mut core_funcs: Vec<Option<(u32, String)>> = Vec::new();
    let mut out = std::collections::HashMap::new();
    let mut core_instance = 0u32;
    for d in &def.defs {
        match d {
            Def::CoreFunc(CoreFuncDef::Alias(i, n)) => core_funcs.push(Some((*i, n.clone()))),
            Def::CoreFunc(_) => core_funcs.push(None),
            Def::CoreInstance(ci) => {
                if let CoreInstanceDef::Exports(items) = ci {
                    let bag = def
                        .names
                        .core_instances
                        .get(&core_instance)
                        .cloned()
                        .unwrap_or_else(|| format!("instance{core_instance}"));
                    for (item, kind, idx) in items {
                        if *kind == wasmparser::ExternalKind::Func
                            && let Some(Some(from)) = core_funcs.get(*idx as usize)
                        {
                            out.entry(from.clone())
                                .or_insert_with(|| format!("{bag}#{item}"));
                        }
                    }
                }
                core_instance += 1;
            }
            _ => {}
        }
    }
    out
}

/// The component's graph as plain data.
pub(super) fn graph_view(comp: &Component, main: usize) -> ComponentGraphView {
    let mut g = ComponentGraphView {
        main_module: main,
        ..Default::default()
    };
    for (i, m) in comp.modules.iter().enumerate() {
        g.core_modules.push(CoreModuleView {
            index: i,
            name: format!("module{i}"),
            size: m.bytes.len(),
            functions: m.num_funcs() - m.num_imported_funcs,
            imports: m
                .imports
                .iter()
                .map(|i| {
                    let k = match i.kind {
                        ImportKind::Func(_) => "",
                        ImportKind::Memory(_) => " (memory)",
                        ImportKind::Table(_) => " (table)",
                        ImportKind::Global(_) => " (global)",
                        ImportKind::Tag(_) => " (tag)",
                    };
                    format!("{}::{}{k}", i.module, i.name)
                })
                .collect(),
            exports: m.exports.iter().map(|e| e.name.clone()).collect(),
            has_dwarf: m.custom_section(".debug_info").is_some(),
        });
    }
    walk(comp, &comp.root, 0, "root", &mut g);
    g
}

fn kind_name(k: wasmparser::ComponentExternalKind) -> &'static str {
    use wasmparser::ComponentExternalKind as K;
    match k {
        K::Module => "core module",
        K::Func => "func",
        K::Value => "value",
        K::Type => "type",
        K::Instance => "instance",
        K::Component => "component",
    }
}

/// Record `def` (and the components nested in it) into `g`.
fn walk(
    comp: &Component,
    def: &ComponentDef,
    depth: usize,
    name: &str,
    g: &mut ComponentGraphView,
) {
    let names = &def.names;
    let mut node = ComponentNodeView {
        depth,
        name: names.component.clone().unwrap_or_else(|| name.to_string()),
        ..Default::default()
    };
    let mut module_index = 0u32;
    let mut component_index = 0u32;
    let mut core_instance = 0u32;
    // The core module index space of this component -> file order.
    let mut modules: Vec<Option<usize>> = Vec::new();
    let mut nested = Vec::new();
    // What each core function index is, for a bag's exports.
    let mut core_funcs: Vec<String> = Vec::new();
    let mut funcs: Vec<String> = Vec::new();
    for d in &def.defs {
        match d {
            Def::CoreModule(m) => {
                let file = comp.modules.iter().position(|x| Arc::ptr_eq(x, m));
                if let (Some(f), Some(n)) = (file, names.core_modules.get(&module_index))
                    && depth == 0
                {
                    g.core_modules[f].name = n.clone();
                }
                modules.push(file);
                module_index += 1;
                node.core_modules += 1;
            }
            Def::CoreFunc(cf) => {
                use wdb_engine::component::CoreFuncDef as C;
                core_funcs.push(match cf {
                    C::Alias(i, n) => format!("core instance {i} `{n}`"),
                    C::Lower { func, .. } => format!(
                        "canon lower {}",
                        funcs.get(*func as usize).cloned().unwrap_or_default()
                    ),
                    C::ResourceNew(_) => "canon resource.new".into(),
                    C::ResourceDrop(_) => "canon resource.drop".into(),
                    C::ResourceRep(_) => "canon resource.rep".into(),
                });
            }
            Def::Func(fd) => {
                funcs.push(match fd {
                    FuncDef::Import(n) => n.clone(),
                    FuncDef::Alias(i, n) => names.instances.get(i).map_or_else(
                        || format!("instance{i}#{n}"),
                        |iname| format!("{iname}#{n}"),
                    ),
                    FuncDef::Lift { .. } => format!("lifted func {}", funcs.len()),
                    FuncDef::Same(i) => funcs.get(*i as usize).cloned().unwrap_or_default(),
                });
            }
            Def::CoreInstance(ci) => {
                if depth == 0 {
                    let name = names
                        .core_instances
                        .get(&core_instance)
                        .cloned()
                        .unwrap_or_else(|| format!("instance{core_instance}"));
                    g.core_instances.push(match ci {
                        CoreInstanceDef::Instantiate { module, args } => CoreInstanceView {
                            index: core_instance,
                            name,
                            module: modules.get(*module as usize).copied().flatten(),
                            args: args.clone(),
                            exports: modules
                                .get(*module as usize)
                                .copied()
                                .flatten()
                                .map(|m| g.core_modules[m].exports.clone())
                                .unwrap_or_default(),
                        },
                        CoreInstanceDef::Exports(items) => CoreInstanceView {
                            index: core_instance,
                            name,
                            module: None,
                            args: Vec::new(),
                            exports: items
                                .iter()
                                .map(|(n, k, i)| match k {
                                    wasmparser::ExternalKind::Func => format!(
                                        "{n} = {}",
                                        core_funcs.get(*i as usize).cloned().unwrap_or_default()
                                    ),
                                    other => format!("{n} ({other:?})").to_lowercase(),
                                })
                                .collect(),
                        },
                    });
                }
                core_instance += 1;
                node.core_instances += 1;
            }
            Def::Component(c) => {
                let n = names
                    .components
                    .get(&component_index)
                    .cloned()
                    .unwrap_or_else(|| format!("component{component_index}"));
                nested.push((c.clone(), n));
                component_index += 1;
            }
            _ => {}
        }
    }
    if depth == 0 {
        for (n, k, i) in &def.exports {
            if *k == wasmparser::ComponentExternalKind::Func
                && let Some(t) = lifted_type(def, *i)
            {
                g.export_funcs.push((n.clone(), t.to_string()));
                g.funcs.push(ComponentFuncView {
                    name: n.clone(),
                    params: t.params.clone(),
                    result: t.result.clone(),
                });
            }
        }
    }
    // Imports are the top-level ones for the root (the host's interfaces).
    if depth == 0 {
        node.imports = comp
            .imports
            .iter()
            .map(|n| {
                let k = if comp
                    .import_funcs
                    .iter()
                    .any(|f| f.interface.is_empty() && &f.name == n)
                {
                    "func"
                } else {
                    "instance"
                };
                (n.clone(), k.to_string())
            })
            .collect();
    }
    node.exports = def
        .exports
        .iter()
        .map(|(n, k, _)| (n.clone(), kind_name(*k).to_string()))
        .collect();
    g.components.push(node);
    for (c, n) in nested {
        walk(comp, &c, depth + 1, &n, g);
    }
}

/// The type of function `index` of `def` when it is a `canon lift` (or an
/// export of one).
fn lifted_type(def: &ComponentDef, index: u32) -> Option<component::FuncTy> {
    let mut funcs: Vec<&FuncDef> = Vec::new();
    for d in &def.defs {
        if let Def::Func(f) = d {
            funcs.push(f);
        }
    }
    let mut i = index;
    for _ in 0..funcs.len() {
        match funcs.get(i as usize)? {
            FuncDef::Lift { ty, .. } => return Some(ty.clone()),
            FuncDef::Same(j) => i = *j,
            _ => return None,
        }
    }
    None
}
