//! Colour in the terminal: one rule for everything the `wdb` binary prints,
//! anstream's (`NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`, `TERM=dumb`, and
//! whether the stream is a terminal), and anstyle's styles.

use anstyle::{AnsiColor, Style};

/// Whether to colour what goes to stdout.
pub fn stdout() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// Function names.
pub const FUNC: Style = AnsiColor::Yellow.on_default();
/// Addresses and offsets.
pub const ADDR: Style = AnsiColor::Blue.on_default();
/// Errors.
pub const ERROR: Style = AnsiColor::Red.on_default();
/// The current line's number in a source listing.
pub const CURRENT_LINE: Style = AnsiColor::Yellow.on_default().bold();
/// Completion hints.
pub const HINT: Style = Style::new().dimmed();

/// `s` in `style` when `on`, else as it is.
pub fn paint(on: bool, style: Style, s: &str) -> String {
    if on {
        format!("{style}{s}{style:#}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn painted_text_is_wrapped_in_the_style_and_a_reset() {
        assert_eq!(paint(true, FUNC, "fib"), "\x1b[33mfib\x1b[0m");
        assert_eq!(paint(false, FUNC, "fib"), "fib");
    }
}
