//! Colouring for the terminal with syntect: WAT from the grammar shipped in
//! `assets/syntaxes/` (parsed when the REPL starts: one small grammar), and
//! source listings in C, C++, Rust, Go (syntect's default set) and Zig
//! (`assets/syntaxes/zig.sublime-syntax`). The default set costs tens of
//! milliseconds to load, so it is loaded on the first source line shown,
//! never at start-up.

use std::sync::OnceLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::{SyntaxDefinition, SyntaxSet, SyntaxSetBuilder};
use syntect::util::as_24_bit_terminal_escaped;

const WAT_SYNTAX: &str = include_str!("../../assets/syntaxes/wat.sublime-syntax");
const ZIG_SYNTAX: &str = include_str!("../../assets/syntaxes/zig.sublime-syntax");

pub struct Highlighter {
    syntaxes: SyntaxSet,
    theme: Theme,
    /// Source languages: loaded on first use.
    source: OnceLock<SyntaxSet>,
}

/// syntect's default syntaxes plus Zig.
fn source_syntaxes() -> SyntaxSet {
    let mut b = SyntaxSet::load_defaults_newlines().into_builder();
    // The grammar is ours and tested; if it ever fails to parse, Zig is
    // shown plain rather than failing the listing.
    if let Ok(zig) = SyntaxDefinition::load_from_str(ZIG_SYNTAX, true, None) {
        b.add(zig);
    }
    b.build()
}

/// The file extension syntect knows each `SourceView::language` by.
fn extension(language: &str) -> Option<&'static str> {
    Some(match language {
        "c" => "c",
        "cpp" => "cpp",
        "rust" => "rs",
        "go" => "go",
        "zig" => "zig",
        _ => return None,
    })
}

impl Highlighter {
    pub fn new() -> Result<Highlighter, String> {
        let def =
            SyntaxDefinition::load_from_str(WAT_SYNTAX, true, None).map_err(|e| e.to_string())?;
        let mut b = SyntaxSetBuilder::new();
        b.add(def);
        let syntaxes = b.build();
        let mut themes = ThemeSet::load_defaults();
        let theme = themes
            .themes
            .remove("base16-ocean.dark")
            .ok_or("syntect's default themes lack base16-ocean.dark")?;
        Ok(Highlighter {
            syntaxes,
            theme,
            source: OnceLock::new(),
        })
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

    /// Consecutive source lines in `language`, coloured (state carries from
    /// one line to the next, so a block comment stays a comment); `None` for
    /// a language we have no grammar for.
    pub fn highlight_source(&self, language: &str, lines: &[&str]) -> Option<Vec<String>> {
        let ext = extension(language)?;
        let set = self.source.get_or_init(source_syntaxes);
        let syntax = set.find_syntax_by_extension(ext)?;
        let mut h = HighlightLines::new(syntax, &self.theme);
        Some(
            lines
                .iter()
                .map(|line| {
                    let with_nl = format!("{line}\n");
                    match h.highlight_line(&with_nl, set) {
                        Ok(ranges) => {
                            let s = as_24_bit_terminal_escaped(&ranges, false);
                            format!("{}\x1b[0m", s.trim_end_matches('\n'))
                        }
                        Err(_) => line.to_string(),
                    }
                })
                .collect(),
        )
    }

    /// True once the source grammars are loaded (for tests of laziness).
    #[cfg(test)]
    fn source_loaded(&self) -> bool {
        self.source.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::Highlighter;

    #[test]
    fn wat_grammar_loads_and_colours() {
        let h = Highlighter::new().expect("the shipped grammar parses");
        let s = h.highlight_line("i32.add");
        assert!(s.contains("\x1b[38;2;"), "{s:?}");
        assert!(s.contains("i32.add"));
    }

    #[test]
    fn source_grammars_load_on_first_use_and_colour_each_language() {
        let h = Highlighter::new().expect("grammars");
        assert!(!h.source_loaded(), "loaded at start-up");
        let cases = [
            ("c", "int main(void) { return 0; } /* c */"),
            ("cpp", "template <typename T> T id(T x) { return x; }"),
            ("rust", "fn main() { let v: Vec<i32> = vec![1]; }"),
            ("go", "func main() { fmt.Println(\"hi\") }"),
            ("zig", "pub fn main() !void { const x: u32 = @intCast(3); }"),
        ];
        for (lang, line) in cases {
            let out = h
                .highlight_source(lang, &[line])
                .unwrap_or_else(|| panic!("no grammar for {lang}"));
            assert_eq!(out.len(), 1);
            // More than one colour: keywords differ from identifiers.
            let colours = out[0].matches("\x1b[38;2;").count();
            assert!(colours >= 2, "{lang}: {:?}", out[0]);
            assert!(!out[0].contains('\n'));
        }
        assert!(h.source_loaded());
        assert!(h.highlight_source("cobol", &["x"]).is_none());
    }

    #[test]
    fn zig_grammar_parses() {
        syntect::parsing::SyntaxDefinition::load_from_str(super::ZIG_SYNTAX, true, None)
            .expect("zig.sublime-syntax parses");
    }
}
