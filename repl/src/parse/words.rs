//! Arguments that several commands share: breakpoint lists, `call`
//! arguments, `echo` escapes and `x/NFU` formats.

use wdb_debugger::api::ExamineFormat;

use super::{ParseError, err, number};

/// `2 3`, `1-3 5`: breakpoint numbers, in order, without repeats.
pub fn breakpoint_list(words: &[&str]) -> Result<Vec<u32>, ParseError> {
    let mut out = Vec::new();
    for w in words {
        match w.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (
                    number(a, "breakpoint number")?,
                    number(b, "breakpoint number")?,
                );
                if b < a {
                    return err(format!("inverted breakpoint range {a}-{b}"));
                }
                if b - a > 10_000 {
                    return err(format!("breakpoint range {a}-{b} is too long"));
                }
                out.extend(a..=b);
            }
            None => out.push(number(w, "breakpoint number")?),
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|n| seen.insert(*n));
    Ok(out)
}

/// `call` arguments: words, except that a quoted string (`"a b"`,
/// `b"\x00"`) is one word, kept with its quotes so the session knows it is
/// a string.
pub fn split_call_args(rest: &str) -> Result<Vec<String>, ParseError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = rest.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            cur.push(c);
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
                '"' => quoted = false,
                _ => {}
            }
        } else if c.is_whitespace() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            if c == '"' {
                quoted = true;
            }
            cur.push(c);
        }
    }
    if quoted {
        return err(format!("unterminated string in `{rest}`: close it with \""));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// gdb's `echo`: C escapes; a lone trailing `\` is dropped.
pub fn unescape_echo(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\x07'),
            Some('e') => out.push('\x1b'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            Some(' ') => out.push(' '),
            Some(c @ '0'..='7') => {
                let mut v = c.to_digit(8).expect("octal");
                let mut more = chars.clone();
                for _ in 0..2 {
                    match more.next().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('?'));
            }
            Some(other) => return Err(format!("unknown escape \\{other} in echo")),
            None => {}
        }
    }
    Ok(out)
}

/// `x/NFU`: `4xw`, `s`, `16xb`, `2i`.
pub fn parse_examine(f: &str) -> Result<ExamineFormat, ParseError> {
    let mut fmt = ExamineFormat::default();
    let digits: String = f.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        fmt.count = digits
            .parse()
            .map_err(|_| ParseError(format!("bad count in /{f}")))?;
    }
    for c in f[digits.len()..].chars() {
        match c {
            'x' | 'd' | 'u' | 't' | 'f' | 'c' | 's' | 'i' => fmt.letter = c,
            'b' => fmt.unit = 1,
            'h' => fmt.unit = 2,
            'w' => fmt.unit = 4,
            'g' => fmt.unit = 8,
            _ => {
                return err(format!(
                    "bad examine format letter `{c}` in /{f}: use N, then x d u t f c s i, then b h w g"
                ));
            }
        }
    }
    if fmt.letter == 'c' && !f.contains(['h', 'w', 'g']) {
        fmt.unit = 1;
    }
    if fmt.letter == 'f' && !f.contains(['w', 'g']) {
        fmt.unit = 8;
    }
    if fmt.count == 0 {
        return err("the count must be at least 1");
    }
    Ok(fmt)
}
