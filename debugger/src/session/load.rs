//! Loading a module: its view for front ends, demangled names, and the
//! breakpoints remembered for it between sessions.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use wdb_engine::module::{ExternKind, ImportKind, Module, signature_string};
use wdb_engine::value::valtype_name;

use super::{Loaded, Res, Session};
use crate::api::*;
use crate::error::{ErrorKind::*, WithKind, err};
use crate::source::Source;
use crate::state::{self, SavedState};

impl Session {
    pub(super) fn loaded(&self) -> Res<&Loaded> {
        self.loaded
            .as_ref()
            .ok_or_else(|| err(NoProgram, "No module loaded."))
    }

    pub(super) fn module(&self) -> Res<Arc<Module>> {
        Ok(self.loaded()?.module.clone())
    }

    pub(super) fn load(&mut self, path: &Path, args: Vec<String>) -> Res<Vec<Event>> {
        if crate::component_run::file_is_component(path) {
            return self.load_component(path, args);
        }
        let module =
            Module::from_file(path).map_err(|e| err(Load, crate::runner::load_error(path, &e)))?;
        let state_key = module.bytes.clone();
        let (module, mut events) = self.adopt(path, module, &state_key, None, args);
        let mut view = module_view(path, &module, false);
        view.entry = self
            .loaded
            .as_ref()
            .and_then(|l| entry_view(&module, &l.source));
        events.insert(0, Event::Loaded(view));
        events.insert(1, Event::Program(self.program.clone()));
        events.extend(self.restore_state());
        Ok(events)
    }

    /// Make `module` the session's program (a core module, or a component's
    /// main core module): names demangled, source found, the state file
    /// keyed by `state_key` (the file's bytes), and a fresh runtime and
    /// breakpoint set. Returns the module and the source's warning, if any.
    pub(super) fn adopt(
        &mut self,
        path: &Path,
        mut module: Module,
        state_key: &[u8],
        component: Option<Arc<super::component::LoadedComponent>>,
        args: Vec<String>,
    ) -> (Arc<Module>, Vec<Event>) {
        let mangled = demangle_names(&mut module.names.functions);
        let module = Arc::new(module);
        let mut events = Vec::new();
        let source = Source::new(&module, path);
        if let Some(w) = source.warning() {
            events.push(Event::Warning(w));
        }
        let state_file = if self.config.persist {
            self.config
                .state_dir
                .clone()
                .or_else(state::state_dir)
                .map(|d| state::state_file(&d, path, state_key))
        } else {
            None
        };
        self.loaded = Some(Loaded {
            mangled,
            path: path.to_path_buf(),
            module: module.clone(),
            disasm: None,
            source,
            state_file,
            component,
        });
        self.abandon_jit();
        self.jit = None;
        self.rt = None;
        self.bps.reset();
        self.program.args = args;
        self.last_launch = None;
        (module, events)
    }

    pub(super) fn restore_state(&mut self) -> Vec<Event> {
        let Some(file) = self.loaded.as_ref().and_then(|l| l.state_file.clone()) else {
            return vec![];
        };
        let st = match state::load(&file) {
            Ok(Some(st)) => st,
            Ok(None) => return vec![],
            Err(w) => return vec![Event::Warning(w)],
        };
        let mut bps = std::mem::take(&mut self.bps);
        let (restored, warnings) = bps.restore(st.breakpoints, |spec| {
            BreakSpec::parse(spec)
                .kind(BadArgument)
                .and_then(|s| self.resolve_spec(&s))
        });
        self.bps = bps;
        let mut events: Vec<Event> = warnings.into_iter().map(Event::Warning).collect();
        if restored > 0 {
            events.push(Event::Text(format!(
                "Restored {restored} breakpoint(s) from the last session."
            )));
        }
        events
    }

    pub(super) fn save_state(&self) -> Option<Event> {
        let file = self.loaded.as_ref()?.state_file.as_ref()?;
        // Nothing to remember and nothing remembered: leave no file behind.
        if self.bps.is_empty() && !file.exists() {
            return None;
        }
        let st = SavedState {
            breakpoints: self.bps.saved(),
            ..Default::default()
        };
        state::save(file, &st).err().map(Event::Warning)
    }
}

pub(super) fn module_kind(m: &Module) -> &'static str {
    if m.exported_func("_start").is_some() {
        "command"
    } else if m.exported_func("_initialize").is_some() {
        "reactor"
    } else {
        "library"
    }
}

/// The module as plain data.
pub fn module_view(path: &Path, m: &Module, has_dwarf: bool) -> ModuleView {
    let kind_name = |k: ExternKind| match k {
        ExternKind::Func => "func",
        ExternKind::Table => "table",
        ExternKind::Memory => "memory",
        ExternKind::Global => "global",
        ExternKind::Tag => "tag",
    };
    let exports = m
        .exports
        .iter()
        .map(|e| ExportView {
            name: e.name.clone(),
            kind: kind_name(e.kind).into(),
            index: e.index,
            signature: if e.kind == ExternKind::Func {
                signature_string(m.func_type(e.index))
            } else {
                String::new()
            },
            params: if e.kind == ExternKind::Func {
                m.func_type(e.index).params().to_vec()
            } else {
                Vec::new()
            },
        })
        .collect();
    let imports = m
        .imports
        .iter()
        .map(|i| {
            let (kind, signature) = match i.kind {
                ImportKind::Func(t) => ("func", signature_string(&m.types[t as usize])),
                ImportKind::Table(_) => ("table", String::new()),
                ImportKind::Memory(_) => ("memory", String::new()),
                ImportKind::Global(g) => ("global", valtype_name(g.content_type).to_string()),
                ImportKind::Tag(t) => ("tag", signature_string(&m.types[t as usize])),
            };
            ImportView {
                module: i.module.clone(),
                name: i.name.clone(),
                kind: kind.into(),
                signature,
            }
        })
        .collect();
    let sections = m
        .sections
        .iter()
        .map(|s| SectionView {
            name: s.name.clone(),
            module_offset: s.range.start,
            size: s.range.len(),
        })
        .collect();
    let functions = (0..m.num_funcs())
        .map(|i| {
            let body = m.body(i);
            FunctionView {
                index: i,
                name: m.display_func_name(i),
                signature: signature_string(m.func_type(i)),
                imported: body.is_none(),
                code_offset: body.map(|b| m.code_offset_from_module_offset(b.range.start)),
                size: body.map_or(0, |b| b.range.len() as u32),
            }
        })
        .collect();
    ModuleView {
        path: path.display().to_string(),
        size: m.bytes.len(),
        exports,
        imports,
        sections,
        functions,
        has_dwarf: has_dwarf || m.custom_section(".debug_info").is_some(),
        kind: module_kind(m).into(),
        entry: None,
        producers: producers(m),
        memory_bytes: m.memories.first().map(|t| t.initial.saturating_mul(65536)),
        memories: m
            .memories
            .iter()
            .map(|t| t.initial.saturating_mul(65536))
            .collect(),
        component: None,
    }
}

/// The `producers` custom section, read with wasmparser.
pub(super) fn producers(m: &Module) -> Result<Vec<ProducerView>, String> {
    let Some(section) = m.custom_sections.iter().find(|c| c.name == "producers") else {
        return Ok(Vec::new());
    };
    let data = &m.bytes[section.data.clone()];
    let reader = wasmparser::BinaryReader::new(data, section.data.start as u64);
    let fields = wasmparser::ProducersSectionReader::new(reader)
        .map_err(|e| format!("malformed producers section: {e}"))?;
    let mut out = Vec::new();
    for field in fields {
        let field = field.map_err(|e| format!("malformed producers section: {e}"))?;
        for value in field.values {
            let value = value.map_err(|e| format!("malformed producers section: {e}"))?;
            out.push(ProducerView {
                field: field.name.to_string(),
                name: value.name.to_string(),
                version: value.version.to_string(),
            });
        }
    }
    Ok(out)
}

/// Where a front end opens `m`: `main` (C's, Rust's `crate::main`, Go's
/// `main.main`), else the first export with a source line, else the first
/// export, else the first defined function.
pub(super) fn entry_view(m: &Module, source: &Source) -> Option<EntryView> {
    let defined = |i: &u32| m.body(*i).is_some();
    let name_of = |i: u32| m.display_func_name(i);
    // The first line DWARF gives inside the body (its first bytes are the
    // locals' declarations, which have no row).
    let line_of = |i: u32| -> Option<SourceLoc> {
        let body = m.body(i)?;
        let start = m.code_offset_from_module_offset(body.range.start);
        let len = (body.range.len() as u32).min(64);
        (start..start + len).find_map(|co| source.location(co))
    };
    let exports: Vec<u32> = m
        .exports
        .iter()
        .filter(|e| e.kind == ExternKind::Func && !e.name.starts_with('_'))
        .map(|e| e.index)
        .filter(defined)
        .collect();
    // C's `int main(void)` is `__original_main` and its `main(argc, argv)`
    // is `__main_argc_argv`; libc's own `main` shim has no source line.
    let is_main = |n: &str| {
        matches!(
            n,
            "main" | "main.main" | "__main_argc_argv" | "__original_main"
        ) || n.ends_with("::main")
    };
    let mains: Vec<u32> = (m.num_imported_funcs..m.num_funcs())
        .filter(|i| is_main(&name_of(*i)))
        .collect();
    let func = mains
        .iter()
        .chain(&exports)
        .copied()
        .find(|i| line_of(*i).is_some())
        .or_else(|| mains.first().copied())
        .or_else(|| exports.first().copied())
        .or_else(|| m.exported_func("_start").filter(defined))
        .or_else(|| (m.num_imported_funcs..m.num_funcs()).next())?;
    Some(EntryView {
        func_index: func,
        func_name: name_of(func),
        source: line_of(func),
    })
}

/// Replace mangled Rust and C++ names from the name section by the names a
/// programmer reads (`rustprog::area`, `ns::f(int)`), returning the originals.
pub(super) fn demangle_names(names: &mut HashMap<u32, String>) -> HashMap<u32, String> {
    let mut originals = HashMap::new();
    for (&i, n) in names.iter_mut() {
        if let Some(p) = crate::demangle::demangle(n, crate::demangle::Lang::Unknown) {
            originals.insert(i, std::mem::replace(n, p));
        }
    }
    originals
}
