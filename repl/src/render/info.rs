//! `info` tables and breakpoint notes: [`InfoView`] and [`BreakpointNote`]
//! laid out as gdb-like text.

use std::fmt::Write as _;

use wdb_debugger::api::{BreakpointNote, ComponentGraphView, FunctionView, InfoView};
use wdb_debugger::runner::Mode;

/// The lines of one `info` answer, each without trailing blanks (a padded
/// column may end a line).
pub(super) fn info(v: &InfoView, out: &mut String) {
    let mut o = String::new();
    match v {
        InfoView::Frame {
            frame: f,
            signature,
        } => {
            let _ = writeln!(
                o,
                "Stack level {}, func[{}] {} at code_offset {:#x}",
                f.index, f.func_index, f.func_name, f.code_offset
            );
            let _ = writeln!(o, " signature: {signature}");
            if let Some(s) = &f.source {
                let _ = writeln!(o, " source: {}:{}", s.file, s.line);
            }
            let _ = write!(o, " args: {}, locals: {}", f.args.len(), f.locals.len());
        }
        InfoView::Exports(exports) => {
            for e in exports {
                let _ = writeln!(o, "{:<8} {:<24} {}", e.kind, e.name, e.signature);
            }
        }
        InfoView::Imports(imports) => {
            for i in imports {
                let _ = writeln!(o, "{:<8} {}::{} {}", i.kind, i.module, i.name, i.signature);
            }
        }
        InfoView::Functions {
            matching,
            functions,
        } => {
            if let Some(r) = matching {
                let _ = writeln!(o, "All functions matching regular expression \"{r}\":");
            }
            for f in functions {
                let _ = writeln!(o, "{}", function_row(f));
            }
        }
        InfoView::Sections(sections) => {
            for s in sections {
                let _ = writeln!(
                    o,
                    "{:<24} module_offset {:#08x} size {}",
                    s.name, s.module_offset, s.size
                );
            }
        }
        // gdb's words: `main + 4 in section .text`.
        InfoView::Symbol {
            code_offset,
            func,
            offset,
        } => match func {
            Some(f) if *offset == 0 => {
                let _ = write!(o, "{f} in section code");
            }
            Some(f) => {
                let _ = write!(o, "{f} + {offset} in section code");
            }
            None => {
                let _ = write!(o, "No symbol matches {code_offset:#x}.");
            }
        },
        InfoView::Memories(memories) => {
            for m in memories {
                let _ = write!(
                    o,
                    "memory {}:{} min {} pages, max {}",
                    m.index,
                    if m.memory64 { " i64," } else { "" },
                    m.initial,
                    m.maximum.map_or("none".to_string(), |x| x.to_string())
                );
                if let Some(len) = m.current_bytes {
                    let _ = write!(o, ", current {} pages ({len} bytes)", len / 65536);
                }
                o.push('\n');
            }
            if memories.is_empty() {
                o.push_str("no memory\n");
            }
        }
        InfoView::Tables(tables) => {
            for t in tables {
                let _ = write!(
                    o,
                    "table {}: {}{} min {} max {}",
                    t.index,
                    t.element,
                    if t.table64 { " i64" } else { "" },
                    t.initial,
                    t.maximum.map_or("none".to_string(), |x| x.to_string())
                );
                if let Some(n) = t.current_size {
                    let _ = write!(o, ", current size {n}");
                }
                o.push('\n');
            }
            if tables.is_empty() {
                o.push_str("no table\n");
            }
        }
        InfoView::Source { dwarf_files } => match dwarf_files {
            Some(n) => {
                let _ = write!(o, "DWARF debug information: {n} source files.");
            }
            None => o.push_str(
                "No DWARF debug information: debugging at the WebAssembly instruction level.",
            ),
        },
        InfoView::Mode(mode) => o.push_str(&mode_line(*mode)),
        InfoView::Components(g) => components(g, &mut o),
        InfoView::Instances {
            graph,
            store_instances,
            main,
        } => instances(graph, store_instances, *main, &mut o),
    }
    for l in o.trim_end().lines() {
        let _ = writeln!(out, "{}", l.trim_end());
    }
}

/// `info mode`: the engine and what it runs.
fn mode_line(mode: Mode) -> String {
    format!("Engine: {} ({})", mode.name(), mode.debugger_description())
}

/// `info components`: each component with its imports and exports, the
/// core modules, the exported functions.
fn components(g: &ComponentGraphView, out: &mut String) {
    for c in &g.components {
        let pad = "  ".repeat(c.depth);
        let _ = writeln!(
            out,
            "{pad}component {}{}: {} core module(s), {} core instance(s)",
            c.name,
            if c.depth == 0 { " (root)" } else { "" },
            c.core_modules,
            c.core_instances
        );
        for (n, k) in &c.imports {
            let _ = writeln!(out, "{pad}  import {k} {n}");
        }
        for (n, k) in &c.exports {
            let _ = writeln!(out, "{pad}  export {k} {n}");
        }
    }
    for m in &g.core_modules {
        let _ = writeln!(
            out,
            "core module {} {}: {} bytes, {} functions, {} imports, {} exports{}{}",
            m.index,
            m.name,
            m.size,
            m.functions,
            m.imports.len(),
            m.exports.len(),
            if m.has_dwarf { ", with DWARF" } else { "" },
            if m.index == g.main_module {
                "  <- main (source, breakpoints)"
            } else {
                ""
            }
        );
    }
    if !g.export_funcs.is_empty() {
        let _ = writeln!(out, "exported functions:");
        for (n, t) in &g.export_funcs {
            let _ = writeln!(out, "  {n}: {t}");
        }
    }
}

/// `info instances`: what each core instance instantiates with what, and
/// its exports; with a run, its store instance.
fn instances(g: &ComponentGraphView, ids: &[Option<u32>], main: Option<u32>, out: &mut String) {
    for (i, ci) in g.core_instances.iter().enumerate() {
        let at = match ids.get(i).copied().flatten() {
            Some(id) if Some(id) == main => format!(" (store instance {id}, main)"),
            Some(id) => format!(" (store instance {id})"),
            None => String::new(),
        };
        match ci.module {
            Some(m) => {
                let mname = g.core_modules.get(m).map_or("", |m| m.name.as_str());
                let _ = writeln!(
                    out,
                    "core instance {} {}: instantiate core module {m} {mname}{at}",
                    ci.index, ci.name
                );
                for (name, from) in &ci.args {
                    let fname = g
                        .core_instances
                        .get(*from as usize)
                        .map_or("", |c| c.name.as_str());
                    let _ = writeln!(out, "  with {name} = core instance {from} {fname}");
                }
                let _ = writeln!(out, "  exports: {}", list(&ci.exports));
            }
            None => {
                let _ = writeln!(
                    out,
                    "core instance {} {}: exports {}",
                    ci.index,
                    ci.name,
                    list(&ci.exports)
                );
            }
        }
    }
}

/// At most 8 names, then how many more.
fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "(none)".into();
    }
    let mut v: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
    let more = names.len().saturating_sub(8);
    let tail = if more > 0 {
        format!(", ... ({more} more)")
    } else {
        String::new()
    };
    v.dedup();
    format!("{}{tail}", v.join(", "))
}

/// One row of `info functions`: index, name, signature, and where its body is.
fn function_row(f: &FunctionView) -> String {
    format!(
        "{:>5} {:<32} {}{}",
        f.index,
        f.name,
        f.signature,
        if f.imported {
            "  (imported)".to_string()
        } else {
            format!(
                "  @ code_offset {:#x}, {} bytes",
                f.code_offset.unwrap_or(0),
                f.size
            )
        }
    )
}

/// gdb's words for what a breakpoint command did.
pub(super) fn note(n: &BreakpointNote) -> String {
    match n {
        BreakpointNote::LineMoved {
            file,
            requested,
            line,
        } => format!("Line {requested} of {file} has no code; using line {line}."),
        BreakpointNote::AlreadySet { number, enabled } => format!(
            "Breakpoint {number} is already set there{}.",
            if *enabled { "; enabled it" } else { "" }
        ),
        BreakpointNote::Condition {
            number,
            conditional: true,
        } => format!("Condition set on breakpoint {number}."),
        BreakpointNote::Condition {
            number,
            conditional: false,
        } => format!("Breakpoint {number} now unconditional."),
        BreakpointNote::Ignore { number, count } => {
            format!("Will ignore next {count} crossings of breakpoint {number}.")
        }
    }
}
