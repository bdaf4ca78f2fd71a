//! The module's WAT, printed once by `wasmprinter` with the `module_offset`
//! of every line, split into functions and highlighted lazily with `syntect`
//! (highlighting a big module up front would stall the first frame).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId};
use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::{SyntaxDefinition, SyntaxSet, SyntaxSetBuilder};
use wdb_debugger::engine::Module;

/// One printed line of WAT.
#[derive(Debug, Clone)]
pub struct WatLine {
    /// `code_offset` of the instruction on this line (None for headers and
    /// lines outside the code section).
    pub code_offset: Option<u32>,
    pub text: String,
}

/// The disassembly of one defined function.
#[derive(Debug, Clone)]
pub struct FuncWat {
    pub func_index: u32,
    pub name: String,
    pub lines: Vec<WatLine>,
}

/// Every defined function's WAT, plus a highlight cache.
pub struct Disassembly {
    pub funcs: Vec<FuncWat>,
    highlighted: HashMap<(u32, bool), Vec<LayoutJob>>,
}

impl Disassembly {
    /// Print `module`; a module wasmprinter rejects gives an empty listing
    /// and the error text, never a failed open.
    pub fn new(module: &Module) -> (Disassembly, Option<String>) {
        let mut storage = String::new();
        let mut funcs: Vec<FuncWat> = Vec::new();
        let mut err = None;
        let mut config = wasmprinter::Config::new();
        config.print_offsets(false);
        match config.offsets_and_lines(&module.bytes, &mut storage) {
            Ok(lines) => {
                // A defined function's lines start with `(func` at module
                // level; imports print `(import ... (func ...))` instead.
                let mut next_func = module.num_imported_funcs;
                let code: Range<usize> = module
                    .bodies
                    .first()
                    .map(|b| b.range.start)
                    .zip(module.bodies.last().map(|b| b.range.end))
                    .map_or(0..0, |(s, e)| s..e);
                for (offset, text) in lines {
                    let text = text.trim_end_matches('\n');
                    let trimmed = text.trim_start();
                    let depth = text.len() - trimmed.len();
                    if depth <= 2 {
                        // Every module-level line starts a new item; only
                        // `(func` items are kept (the sentinel is dropped below).
                        let is_func = depth == 2 && trimmed.starts_with("(func");
                        funcs.push(FuncWat {
                            func_index: if is_func { next_func } else { u32::MAX },
                            name: if is_func {
                                module.display_func_name(next_func)
                            } else {
                                String::new()
                            },
                            lines: Vec::new(),
                        });
                        if is_func {
                            next_func += 1;
                        }
                    }
                    if let Some(f) = funcs.last_mut() {
                        let code_offset = offset
                            .map(|o| o as usize)
                            .filter(|o| code.contains(o) && depth > 2)
                            .map(|o| module.code_offset_from_module_offset(o));
                        f.lines.push(WatLine {
                            code_offset,
                            text: text.to_string(),
                        });
                    }
                }
                funcs.retain(|f| f.func_index != u32::MAX);
            }
            Err(e) => err = Some(format!("wasmprinter: {e:#}")),
        }
        (
            Disassembly {
                funcs,
                highlighted: HashMap::new(),
            },
            err,
        )
    }

    pub fn func(&self, func_index: u32) -> Option<&FuncWat> {
        self.funcs.iter().find(|f| f.func_index == func_index)
    }

    /// A function's lines with their highlighting, computed on first use.
    pub fn highlighted(&mut self, func_index: u32, dark: bool) -> (&[WatLine], &[LayoutJob]) {
        let Self { funcs, highlighted } = self;
        let Some(f) = funcs.iter().find(|f| f.func_index == func_index) else {
            return (&[], &[]);
        };
        let jobs = highlighted
            .entry((func_index, dark))
            .or_insert_with(|| highlight_lines(&f.lines, dark));
        (&f.lines, jobs)
    }
}

struct Syntax {
    set: SyntaxSet,
    dark: Theme,
    light: Theme,
}

fn syntax() -> &'static Syntax {
    static SYNTAX: OnceLock<Syntax> = OnceLock::new();
    SYNTAX.get_or_init(|| {
        let mut builder = SyntaxSetBuilder::new();
        let def = SyntaxDefinition::load_from_str(
            include_str!("../../assets/syntaxes/wat.sublime-syntax"),
            true,
            None,
        )
        .expect("the shipped WAT syntax is valid (a unit test loads it)");
        builder.add(def);
        let mut themes = ThemeSet::load_defaults().themes;
        Syntax {
            set: builder.build(),
            dark: themes
                .remove("base16-ocean.dark")
                .expect("syntect ships base16-ocean.dark"),
            light: themes
                .remove("InspiredGitHub")
                .expect("syntect ships InspiredGitHub"),
        }
    })
}

fn highlight_lines(lines: &[WatLine], dark: bool) -> Vec<LayoutJob> {
    let s = syntax();
    let syntax = s
        .set
        .find_syntax_by_extension("wat")
        .expect("the WAT syntax was added above");
    let mut h = HighlightLines::new(syntax, if dark { &s.dark } else { &s.light });
    let font = FontId::monospace(12.0);
    lines
        .iter()
        .map(|line| {
            let mut job = LayoutJob::default();
            let text = format!("{}\n", line.text);
            match h.highlight_line(&text, &s.set) {
                Ok(ranges) => {
                    for (style, piece) in ranges {
                        let c = style.foreground;
                        job.append(
                            piece.trim_end_matches('\n'),
                            0.0,
                            TextFormat::simple(font.clone(), Color32::from_rgb(c.r, c.g, c.b)),
                        );
                    }
                }
                Err(_) => job.append(
                    &line.text,
                    0.0,
                    TextFormat::simple(font.clone(), Color32::GRAY),
                ),
            }
            job
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wat_syntax_loads_and_highlights() {
        let lines = vec![WatLine {
            code_offset: Some(1),
            text: "    i32.const 16 ;; sixteen".into(),
        }];
        let jobs = highlight_lines(&lines, true);
        assert_eq!(jobs[0].text, "    i32.const 16 ;; sixteen");
        // More than one colour means the grammar matched something.
        let colours: std::collections::HashSet<_> =
            jobs[0].sections.iter().map(|s| s.format.color).collect();
        assert!(colours.len() > 1, "{colours:?}");
    }

    #[test]
    fn fib_functions_are_split_with_code_offsets() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/fib.wasm");
        let module = Module::from_file(std::path::Path::new(path)).expect("fib.wasm decodes");
        let (d, err) = Disassembly::new(&module);
        assert!(err.is_none(), "{err:?}");
        let f = d
            .funcs
            .iter()
            .find(|f| f.name == "fibArray")
            .expect("fibArray is printed");
        assert!(f.lines[0].text.contains("(func $fibArray"));
        let body = module.body(f.func_index).expect("defined");
        let first = f
            .lines
            .iter()
            .find_map(|l| l.code_offset)
            .expect("instructions carry offsets");
        let mo = module.module_offset_from_code_offset(first);
        assert!(body.range.contains(&mo), "{mo} not in {:?}", body.range);
    }
}
