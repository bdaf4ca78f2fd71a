//! WAVE, wasmtime's text syntax for component values, parsed by type:
//! `42`, `-1.5`, `nan`, `'x'`, `"text\n"`, `[1, 2]`, `(1, "a")`,
//! `{x: 1, y: 2}` (option fields may be left out), `some(3)`, `none`,
//! `ok`, `ok(1)`, `err("no")`, variant cases `name` / `name(value)`,
//! enum cases by name, flags `{read, write}`. [`super::types::wave`]
//! prints values the same way.

use super::types::{Ty, Val};

/// Parse `text` as one value of type `t`.
pub fn parse(text: &str, t: &Ty) -> Result<Val, String> {
    let mut p = P {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value(t)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("unexpected `{}` after the value", &text[p.i..]));
    }
    Ok(v)
}

/// Split `name(a, b)` into `name` and its top-level arguments.
pub fn split_call(text: &str) -> Result<(String, Vec<String>), String> {
    let Some(open) = text.find('(') else {
        return Ok((text.trim().to_string(), Vec::new()));
    };
    let name = text[..open].trim().to_string();
    let rest = text[open + 1..].trim_end();
    let Some(inner) = rest.strip_suffix(')') else {
        return Err(format!("`{text}`: expected `name(args)`"));
    };
    let mut args = Vec::new();
    let (mut depth, mut start, mut quote) = (0i32, 0, None::<u8>);
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => {
                    args.push(inner[start..i].trim().to_string());
                    start = i + 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    if !inner[start..].trim().is_empty() || !args.is_empty() {
        args.push(inner[start..].trim().to_string());
    }
    Ok((name, args))
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected `{}` at offset {}", c as char, self.i))
        }
    }

    /// A name or number token: letters, digits, `-`, `_`, `.`, `+`.
    fn word(&mut self) -> String {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || b"-_.+".contains(&self.s[self.i]))
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn int<T: std::str::FromStr>(&mut self, what: &str) -> Result<T, String> {
        let w = self.word();
        w.parse().map_err(|_| format!("`{w}` is not a {what}"))
    }

    fn float(&mut self) -> Result<f64, String> {
        let w = self.word();
        match w.as_str() {
            "nan" => Ok(f64::NAN),
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            _ => w.parse().map_err(|_| format!("`{w}` is not a number")),
        }
    }

    fn quoted(&mut self, q: u8) -> Result<String, String> {
        self.expect(q)?;
        let mut out = String::new();
        let rest = std::str::from_utf8(&self.s[self.i..]).map_err(|e| e.to_string())?;
        let mut chars = rest.char_indices();
        while let Some((k, c)) = chars.next() {
            match c {
                '\\' => {
                    let Some((_, e)) = chars.next() else { break };
                    out.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '\\' => '\\',
                        '"' => '"',
                        '\'' => '\'',
                        'u' => {
                            let r: String = chars
                                .by_ref()
                                .map(|(_, c)| c)
                                .take_while(|&c| c != '}')
                                .collect();
                            let hex = r.trim_start_matches('{');
                            u32::from_str_radix(hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| format!("bad escape \\u{r}}}"))?
                        }
                        other => return Err(format!("unknown escape `\\{other}`")),
                    });
                }
                c if c as u32 == q as u32 => {
                    self.i += k + 1;
                    return Ok(out);
                }
                c => out.push(c),
            }
        }
        Err("unterminated quote".into())
    }

    fn list_of(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self, usize) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut n = 0;
        if self.eat(close) {
            return Ok(());
        }
        loop {
            item(self, n)?;
            n += 1;
            if self.eat(close) {
                return Ok(());
            }
            self.expect(b',')?;
            if self.eat(close) {
                return Ok(());
            }
        }
    }

    fn value(&mut self, t: &Ty) -> Result<Val, String> {
        Ok(match t {
            Ty::Bool => match self.word().as_str() {
                "true" => Val::Bool(true),
                "false" => Val::Bool(false),
                w => return Err(format!("`{w}` is not a bool")),
            },
            Ty::S8 => Val::S8(self.int("s8")?),
            Ty::U8 => Val::U8(self.int("u8")?),
            Ty::S16 => Val::S16(self.int("s16")?),
            Ty::U16 => Val::U16(self.int("u16")?),
            Ty::S32 => Val::S32(self.int("s32")?),
            Ty::U32 => Val::U32(self.int("u32")?),
            Ty::S64 => Val::S64(self.int("s64")?),
            Ty::U64 => Val::U64(self.int("u64")?),
            Ty::F32 => Val::F32(self.float()? as f32),
            Ty::F64 => Val::F64(self.float()?),
            Ty::Char => {
                let s = self.quoted(b'\'')?;
                let mut c = s.chars();
                match (c.next(), c.next()) {
                    (Some(ch), None) => Val::Char(ch),
                    _ => return Err(format!("'{s}' is not one char")),
                }
            }
            Ty::String => Val::String(self.quoted(b'"')?),
            Ty::List(e) => {
                self.expect(b'[')?;
                let mut v = Vec::new();
                self.list_of(b']', |p, _| {
                    v.push(p.value(e)?);
                    Ok(())
                })?;
                if matches!(**e, Ty::U8) {
                    Val::Bytes(
                        v.iter()
                            .map(|x| if let Val::U8(b) = x { *b } else { 0 })
                            .collect(),
                    )
                } else {
                    Val::List(v)
                }
            }
            Ty::Tuple(ts) => {
                self.expect(b'(')?;
                let mut v = Vec::new();
                self.list_of(b')', |p, i| {
                    let t = ts.get(i).ok_or("too many tuple members")?;
                    v.push(p.value(t)?);
                    Ok(())
                })?;
                if v.len() != ts.len() {
                    return Err(format!("a tuple of {} values was expected", ts.len()));
                }
                Val::Tuple(v)
            }
            Ty::Record(fs) => {
                self.expect(b'{')?;
                let mut got: Vec<Option<Val>> = vec![None; fs.len()];
                self.list_of(b'}', |p, _| {
                    let name = p.word();
                    let k = fs
                        .iter()
                        .position(|(n, _)| *n == name)
                        .ok_or_else(|| format!("no field `{name}`"))?;
                    p.expect(b':')?;
                    got[k] = Some(p.value(&fs[k].1)?);
                    Ok(())
                })?;
                let mut v = Vec::new();
                for ((n, t), g) in fs.iter().zip(got) {
                    v.push(match (g, t) {
                        (Some(x), _) => x,
                        (None, Ty::Option(_)) => Val::Option(None),
                        (None, _) => return Err(format!("field `{n}` is missing")),
                    });
                }
                Val::Record(v)
            }
            Ty::Flags(ns) => {
                self.expect(b'{')?;
                let mut bits = 0u32;
                self.list_of(b'}', |p, _| {
                    let name = p.word();
                    let k = ns
                        .iter()
                        .position(|n| *n == name)
                        .ok_or_else(|| format!("no flag `{name}`"))?;
                    bits |= 1 << k;
                    Ok(())
                })?;
                Val::Flags(bits)
            }
            Ty::Enum(cs) => {
                let w = self.word();
                Val::Enum(
                    cs.iter()
                        .position(|c| *c == w)
                        .ok_or_else(|| format!("no case `{w}`"))? as u32,
                )
            }
            Ty::Variant(cs) => {
                let w = self.word();
                let k = cs
                    .iter()
                    .position(|(c, _)| *c == w)
                    .ok_or_else(|| format!("no case `{w}`"))?;
                let payload = self.payload(cs[k].1.as_ref())?;
                Val::Variant(k as u32, payload)
            }
            Ty::Option(inner) => match self.word().as_str() {
                "none" => Val::Option(None),
                "some" => Val::Option(self.payload(Some(inner))?),
                w => return Err(format!("`{w}`: expected some(..) or none")),
            },
            Ty::Result(ok, err) => match self.word().as_str() {
                "ok" => Val::Result(Ok(self.payload(ok.as_deref())?)),
                "err" => Val::Result(Err(self.payload(err.as_deref())?)),
                w => return Err(format!("`{w}`: expected ok or err")),
            },
            Ty::Own(_) | Ty::Borrow(_) => {
                return Err("resource handles cannot be written as values".into());
            }
        })
    }

    fn payload(&mut self, t: Option<&Ty>) -> Result<Option<Box<Val>>, String> {
        match t {
            None => Ok(None),
            Some(t) => {
                self.expect(b'(')?;
                let v = self.value(t)?;
                self.expect(b')')?;
                Ok(Some(Box::new(v)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::types::wave;
    use super::*;

    #[test]
    fn round_trips() {
        let point = Ty::Record(vec![
            ("x".into(), Ty::S32),
            ("y".into(), Ty::S32),
            ("tag".into(), Ty::Option(Box::new(Ty::String))),
        ]);
        let cases: Vec<(Ty, &str)> = vec![
            (Ty::U32, "42"),
            (Ty::S8, "-5"),
            (Ty::String, r#""a \"b\"\n""#),
            (Ty::Char, "'x'"),
            (Ty::List(Box::new(Ty::U32)), "[1, 2, 3]"),
            (point.clone(), r#"{x: 1, y: -2, tag: some("p")}"#),
            (Ty::Result(Some(Box::new(Ty::U64)), None), "ok(7)"),
            (Ty::Result(None, Some(Box::new(Ty::String))), r#"err("no")"#),
            (
                Ty::Flags(vec!["read".into(), "write".into()]),
                "{read, write}",
            ),
            (Ty::Enum(vec!["a".into(), "b".into()]), "b"),
            (Ty::Tuple(vec![Ty::Bool, Ty::F64]), "(true, 1.5)"),
        ];
        for (t, s) in cases {
            let v = parse(s, &t).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(wave(&v, &t), s, "{s}");
        }
        let v = parse("{x: 1, y: 2}", &point).unwrap();
        assert_eq!(wave(&v, &point), "{x: 1, y: 2, tag: none}");
        assert!(parse("{x: 1}", &point).is_err());
        assert!(parse("300", &Ty::U8).is_err());
        assert_eq!(
            split_call(r#"greet("a, b", [1, 2])"#).unwrap(),
            (
                "greet".to_string(),
                vec![r#""a, b""#.to_string(), "[1, 2]".to_string()]
            )
        );
    }
}
