//! The legacy exception-handling proposal's folded `try`, which the `wast`
//! crate no longer reads, unfolded into the flat form it does.

/// The folded form of the legacy `try` (`(try (do ..) (catch $t ..) ..)`),
/// which the `wast` crate no longer reads, written as the flat form it
/// still reads (`try .. catch $t .. end`, `try .. delegate N`). Other text
/// is kept byte for byte (strings and comments included).
pub(super) fn unfold_legacy_try(text: &str) -> String {
    /// A parsed s-expression: an atom (or comment, whitespace) kept as
    /// text, or a list of items with the byte range it had.
    enum Item {
        Text(String),
        List(Vec<Item>),
    }
    fn parse(b: &[u8], i: &mut usize, out: &mut Vec<Item>) {
        while *i < b.len() {
            let start = *i;
            match b[*i] {
                b'(' if b.get(*i + 1) == Some(&b';') => {
                    // Block comment, nested.
                    let mut depth = 0;
                    while *i < b.len() {
                        if b[*i..].starts_with(b"(;") {
                            depth += 1;
                            *i += 2;
                        } else if b[*i..].starts_with(b";)") {
                            depth -= 1;
                            *i += 2;
                            if depth == 0 {
                                break;
                            }
                        } else {
                            *i += 1;
                        }
                    }
                }
                b'(' => {
                    *i += 1;
                    let mut inner = Vec::new();
                    parse(b, i, &mut inner);
                    *i += 1; // ')'
                    out.push(Item::List(inner));
                    continue;
                }
                b')' => return,
                b';' if b.get(*i + 1) == Some(&b';') => {
                    while *i < b.len() && b[*i] != b'\n' {
                        *i += 1;
                    }
                }
                b'"' => {
                    *i += 1;
                    while *i < b.len() && b[*i] != b'"' {
                        *i += if b[*i] == b'\\' { 2 } else { 1 };
                    }
                    *i += 1;
                }
                c if c.is_ascii_whitespace() => {
                    while *i < b.len() && b[*i].is_ascii_whitespace() {
                        *i += 1;
                    }
                }
                _ => {
                    while *i < b.len()
                        && !b[*i].is_ascii_whitespace()
                        && !matches!(b[*i], b'(' | b')' | b'"')
                        && !b[*i..].starts_with(b";;")
                    {
                        *i += 1;
                    }
                }
            }
            let end = (*i).min(b.len());
            out.push(Item::Text(
                String::from_utf8_lossy(&b[start..end]).into_owned(),
            ));
        }
    }
    fn head(items: &[Item]) -> Option<&str> {
        items.iter().find_map(|it| match it {
            Item::Text(t) if !t.trim().is_empty() && !t.starts_with(";;") => Some(t.as_str()),
            _ => None,
        })
    }
    fn write(items: &[Item], out: &mut String) {
        for it in items {
            match it {
                Item::Text(t) => out.push_str(t),
                Item::List(inner) if head(inner) == Some("try") => unfold(inner, out),
                Item::List(inner) => {
                    out.push('(');
                    write(inner, out);
                    out.push(')');
                }
            }
        }
    }
    /// `(try BT (do I*) (catch $t I*)* (catch_all I*)?)` or `.. (delegate N))`.
    fn unfold(items: &[Item], out: &mut String) {
        let mut ended = false;
        let mut seen_head = false;
        for it in items {
            match it {
                Item::Text(t) if !seen_head && t == "try" => {
                    seen_head = true;
                    out.push_str(" try ");
                }
                Item::List(inner) => match head(inner) {
                    Some(h @ ("do" | "catch" | "catch_all" | "delegate")) => {
                        let mut skipped = false;
                        let mut rest = Vec::new();
                        for x in inner {
                            match x {
                                Item::Text(t) if !skipped && t == h => skipped = true,
                                other => rest.push(other),
                            }
                        }
                        if h != "do" {
                            out.push(' ');
                            out.push_str(h);
                            out.push(' ');
                        }
                        ended |= h == "delegate";
                        for x in rest {
                            write(std::slice::from_ref(x), out);
                        }
                    }
                    _ => write(std::slice::from_ref(it), out),
                },
                other => write(std::slice::from_ref(other), out),
            }
        }
        if !ended {
            out.push_str(" end ");
        }
    }
    let mut items = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        parse(b, &mut i, &mut items);
        if i < b.len() {
            // An unbalanced ')': keep it and go on.
            items.push(Item::Text(")".into()));
            i += 1;
        }
    }
    let mut out = String::with_capacity(text.len());
    write(&items, &mut out);
    out
}
