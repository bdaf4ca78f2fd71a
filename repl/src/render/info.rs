//! `info` tables and breakpoint notes: [`InfoView`] and [`BreakpointNote`]
//! laid out as gdb-like text.

use std::fmt::Write as _;

use wdb_debugger::api::{BreakpointNote, FunctionView, InfoView};

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
    }
    for l in o.trim_end().lines() {
        let _ = writeln!(out, "{}", l.trim_end());
    }
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
