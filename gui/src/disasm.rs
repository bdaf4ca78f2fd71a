//! The module's WAT as the session prints it (`Command::ModuleWat`: one
//! function at a time, each line with its `code_offset`), highlighted lazily
//! with `syntect` (highlighting a big module up front would stall the first
//! frame). The GUI never decodes or prints the module itself.

use std::collections::HashMap;
use std::sync::OnceLock;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId};
use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::{SyntaxDefinition, SyntaxSet, SyntaxSetBuilder};
use wdb_debugger::api::{DisasmLine, FuncWatView};

/// Every defined function's WAT, plus a highlight cache.
pub struct Disassembly {
    pub funcs: Vec<FuncWatView>,
    highlighted: HashMap<(u32, bool), Vec<LayoutJob>>,
}

impl Disassembly {
    pub fn new(funcs: Vec<FuncWatView>) -> Disassembly {
        Disassembly {
            funcs,
            highlighted: HashMap::new(),
        }
    }

    pub fn func(&self, func_index: u32) -> Option<&FuncWatView> {
        self.funcs.iter().find(|f| f.func_index == func_index)
    }

    /// A function's lines with their highlighting, computed on first use.
    pub fn highlighted(&mut self, func_index: u32, dark: bool) -> (&[DisasmLine], &[LayoutJob]) {
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

fn highlight_lines(lines: &[DisasmLine], dark: bool) -> Vec<LayoutJob> {
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
        let lines = vec![DisasmLine {
            code_offset: Some(1),
            text: "    i32.const 16 ;; sixteen".into(),
            current: false,
        }];
        let jobs = highlight_lines(&lines, true);
        assert_eq!(jobs[0].text, "    i32.const 16 ;; sixteen");
        // More than one colour means the grammar matched something.
        let colours: std::collections::HashSet<_> =
            jobs[0].sections.iter().map(|s| s.format.color).collect();
        assert!(colours.len() > 1, "{colours:?}");
    }
}
