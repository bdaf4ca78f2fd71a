//! The module's WAT as the session prints it (`Command::ModuleWat`: one
//! function at a time, each line with its `code_offset`), highlighted lazily
//! with `syntect` (highlighting a big module up front would stall the first
//! frame). The GUI never decodes or prints the module itself.

use std::collections::HashMap;

use egui::text::LayoutJob;
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

fn highlight_lines(lines: &[DisasmLine], dark: bool) -> Vec<LayoutJob> {
    crate::source::highlight_lines("wat", lines.iter().map(|l| l.text.as_str()), dark)
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
