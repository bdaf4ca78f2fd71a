//! WAT colouring for the terminal with syntect, from the grammar shipped in
//! `assets/syntaxes/` (compiled into the binary, parsed at run time).

use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::{SyntaxDefinition, SyntaxSet, SyntaxSetBuilder};
use syntect::util::as_24_bit_terminal_escaped;

const WAT_SYNTAX: &str = include_str!("../../assets/syntaxes/wat.sublime-syntax");

pub struct Highlighter {
    syntaxes: SyntaxSet,
    theme: Theme,
}

impl Highlighter {
    pub fn new() -> Result<Highlighter, String> {
        let def = SyntaxDefinition::load_from_str(WAT_SYNTAX, true, None).map_err(|e| e.to_string())?;
        let mut b = SyntaxSetBuilder::new();
        b.add(def);
        let syntaxes = b.build();
        let mut themes = ThemeSet::load_defaults();
        let theme = themes
            .themes
            .remove("base16-ocean.dark")
            .ok_or("syntect's default themes lack base16-ocean.dark")?;
        Ok(Highlighter { syntaxes, theme })
    }

    /// One line of WAT with 24-bit colour escapes (reset at the end).
    pub fn highlight_line(&self, line: &str) -> String {
        let Some(syntax) = self.syntaxes.find_syntax_by_extension("wat") else {
            return line.to_string();
        };
        let mut h = HighlightLines::new(syntax, &self.theme);
        match h.highlight_line(line, &self.syntaxes) {
            Ok(ranges) => format!("{}\x1b[0m", as_24_bit_terminal_escaped(&ranges, false)),
            Err(_) => line.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wat_grammar_loads_and_colours() {
        let h = super::Highlighter::new().expect("the shipped grammar parses");
        let s = h.highlight_line("i32.add");
        assert!(s.contains("\x1b[38;2;"), "{s:?}");
        assert!(s.contains("i32.add"));
    }
}
