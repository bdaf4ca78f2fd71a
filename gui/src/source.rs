//! Source files (fetched from the session, which knows where DWARF says they
//! are) highlighted with syntect's default syntaxes: C, C++, Rust and Go are
//! among them; anything else (Zig) is shown plain.

use std::collections::HashMap;
use std::sync::OnceLock;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId};
use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::{SyntaxDefinition, SyntaxSet};

/// Highlighted lines per (file, dark theme), computed on first view.
#[derive(Default)]
pub struct SourceCache {
    highlighted: HashMap<(String, bool), Vec<LayoutJob>>,
}

impl SourceCache {
    pub fn highlighted(&mut self, file: &str, lines: &[String], dark: bool) -> &[LayoutJob] {
        self.highlighted
            .entry((file.to_string(), dark))
            .or_insert_with(|| highlight(file, lines, dark))
    }
}

/// syntect's default syntaxes plus WAT (`assets/syntaxes/wat.sublime-syntax`,
/// for the disassembly), and the two themes.
struct Syntaxes {
    set: SyntaxSet,
    dark: Theme,
    light: Theme,
}

fn syntaxes() -> &'static Syntaxes {
    static S: OnceLock<Syntaxes> = OnceLock::new();
    S.get_or_init(|| {
        let mut builder = SyntaxSet::load_defaults_newlines().into_builder();
        let wat = SyntaxDefinition::load_from_str(
            include_str!("../../assets/syntaxes/wat.sublime-syntax"),
            true,
            None,
        )
        .expect("the shipped WAT syntax is valid (a unit test loads it)");
        builder.add(wat);
        let mut themes = ThemeSet::load_defaults().themes;
        Syntaxes {
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

/// The language name syntect picked for `file` (`Plain Text` when none fits).
pub fn language(file: &str) -> &'static str {
    let s = syntaxes();
    let ext = file.rsplit('.').next().unwrap_or("");
    s.set
        .find_syntax_by_extension(ext)
        .map_or("Plain Text", |syn| syn.name.as_str())
}

fn highlight(file: &str, lines: &[String], dark: bool) -> Vec<LayoutJob> {
    let ext = file.rsplit('.').next().unwrap_or("");
    highlight_lines(ext, lines.iter().map(String::as_str), dark)
}

/// One layout job per line, coloured by the syntax of the file extension
/// `ext` (plain text when none fits); lines are highlighted in order, as
/// syntect's parser state runs across them.
pub(crate) fn highlight_lines<'a>(
    ext: &str,
    lines: impl IntoIterator<Item = &'a str>,
    dark: bool,
) -> Vec<LayoutJob> {
    let s = syntaxes();
    let syntax = s
        .set
        .find_syntax_by_extension(ext)
        .unwrap_or_else(|| s.set.find_syntax_plain_text());
    let mut h = HighlightLines::new(syntax, if dark { &s.dark } else { &s.light });
    let font = FontId::monospace(12.0);
    let plain = if dark {
        Color32::from_gray(200)
    } else {
        Color32::from_gray(40)
    };
    lines
        .into_iter()
        .map(|line| {
            let mut job = LayoutJob::default();
            // Tabs as four spaces: egui draws a tab as one space.
            let text = format!("{}\n", line.replace('\t', "    "));
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
                    text.trim_end_matches('\n'),
                    0.0,
                    TextFormat::simple(font.clone(), plain),
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
    fn c_rust_go_have_syntaxes_and_zig_is_plain() {
        assert_eq!(language("dwarf/structs.c"), "C");
        assert_eq!(language("src/main.rs"), "Rust");
        assert_eq!(language("main.go"), "Go");
        assert_eq!(language("x.cpp"), "C++");
        assert_eq!(language("main.zig"), "Plain Text");
    }

    #[test]
    fn c_lines_get_several_colours() {
        let lines = vec!["int main(void) { return 0; } // done".to_string()];
        let jobs = highlight("a.c", &lines, true);
        assert_eq!(jobs[0].text, lines[0]);
        let colours: std::collections::HashSet<_> =
            jobs[0].sections.iter().map(|s| s.format.color).collect();
        assert!(colours.len() > 2, "{colours:?}");
    }
}
