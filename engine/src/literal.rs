//! The one parser for number literals: `wdb run --invoke` and the REPL's
//! `call` arguments ([`crate::args`]), the debugger's expressions, addresses
//! in commands and the GUI's forms all read numbers through it, so `0b101`,
//! `1_000`, `nan:0x1` and `inf` mean the same everywhere.
//!
//! Integers: decimal, `0x` hex, `0o` octal, `0b` binary, `_` separators.
//! C source literals ([`parse_c_number`]) also take a leading-`0` octal and
//! the `u`/`l`/`ll`/`f` suffixes. Floats: decimal or exponent form, `inf`,
//! `infinity`, `nan`, and `nan:0x...` (a NaN with that payload).

/// The radix a literal's prefix names, and the digits after it.
/// `c_octal`: a leading `0` followed by digits means octal (C's rule).
fn split_radix(s: &str, c_octal: bool) -> (u32, &str) {
    let lower = |p: &str| s.get(..2).is_some_and(|h| h.eq_ignore_ascii_case(p));
    if lower("0x") {
        (16, &s[2..])
    } else if lower("0b") {
        (2, &s[2..])
    } else if lower("0o") {
        (8, &s[2..])
    } else if c_octal && s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    }
}

fn digits(radix: u32, d: &str) -> Result<u128, String> {
    let d = d.replace('_', "");
    u128::from_str_radix(&d, radix).map_err(|e| e.to_string())
}

/// An unsigned integer (`123`, `0x7b`, `0o173`, `0b1111011`, `1_000`).
pub fn parse_uint(s: &str) -> Result<u128, String> {
    let s = s.trim();
    if s.is_empty() || s.starts_with('+') || s.starts_with('-') {
        return Err("expected an unsigned number".into());
    }
    let (radix, d) = split_radix(s, false);
    digits(radix, d)
}

/// An integer of `bits` width: signed decimal, unsigned up to 2^bits-1, or
/// a prefixed form (`0x`, `-0x`, `0b`, `0o`). Returned as the two's
/// complement bit pattern.
pub fn parse_int(s: &str, bits: u32) -> Result<u128, String> {
    let (neg, body) = split_sign(s.trim());
    let body = body.replace('_', "");
    if body.is_empty() {
        return Err("empty number".into());
    }
    let (radix, d) = split_radix(&body, false);
    let mag = digits(radix, d)?;
    let max_unsigned = if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    let min_neg = 1u128 << (bits.min(128) - 1);
    if neg {
        if mag > min_neg {
            return Err(format!("out of range for i{bits}"));
        }
        Ok(mag.wrapping_neg() & max_unsigned)
    } else {
        if mag > max_unsigned {
            return Err(format!("out of range for i{bits}"));
        }
        Ok(mag)
    }
}

/// An `f32`'s bits: a number, `inf`, `nan`, `nan:0x...`, signed.
pub fn parse_f32(s: &str) -> Result<u32, String> {
    let (neg, body) = split_sign(s.trim());
    let sign = if neg { 0x8000_0000 } else { 0 };
    if let Some(p) = body.strip_prefix("nan:") {
        let payload = parse_uint(p)?;
        if payload == 0 || payload > 0x7f_ffff {
            return Err("NaN payload must be 1..=0x7fffff".into());
        }
        return Ok(sign | 0x7f80_0000 | payload as u32);
    }
    match body {
        "nan" => Ok(sign | 0x7fc0_0000),
        "inf" | "infinity" => Ok(sign | 0x7f80_0000),
        _ => {
            let v: f32 = decimal_float(body)?.parse().map_err(|_| "not a number")?;
            Ok(if neg { (-v).to_bits() } else { v.to_bits() })
        }
    }
}

/// An `f64`'s bits: a number, `inf`, `nan`, `nan:0x...`, signed.
pub fn parse_f64(s: &str) -> Result<u64, String> {
    let (neg, body) = split_sign(s.trim());
    let sign = if neg { 1u64 << 63 } else { 0 };
    if let Some(p) = body.strip_prefix("nan:") {
        let payload = parse_uint(p)?;
        if payload == 0 || payload > 0xf_ffff_ffff_ffff {
            return Err("NaN payload must be 1..=0xfffffffffffff".into());
        }
        return Ok(sign | 0x7ff0_0000_0000_0000 | payload as u64);
    }
    match body {
        "nan" => Ok(sign | 0x7ff8_0000_0000_0000),
        "inf" | "infinity" => Ok(sign | 0x7ff0_0000_0000_0000),
        _ => {
            let v: f64 = decimal_float(body)?.parse().map_err(|_| "not a number")?;
            Ok(if neg { (-v).to_bits() } else { v.to_bits() })
        }
    }
}

/// Rust's float parser also takes `NaN`, `infinity` in any case and `1e5`;
/// a literal must start with a digit or a `.` followed by one.
fn decimal_float(body: &str) -> Result<String, String> {
    let b = body.replace('_', "");
    let first = b.bytes().next();
    let ok = match first {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'.') => b.as_bytes().get(1).is_some_and(u8::is_ascii_digit),
        _ => false,
    };
    if ok {
        Ok(b)
    } else {
        Err("not a number".into())
    }
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    }
}

/// A number as C source writes it, before a type is chosen for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CNumber {
    Int {
        value: u128,
        /// A `u` suffix.
        unsigned: bool,
        /// 0, 1 (`l`) or 2 (`ll`).
        longs: u8,
        /// Written in decimal (C types `2147483648` as `long`, `0x80000000`
        /// as `unsigned int`).
        decimal: bool,
    },
    Float {
        value: f64,
        /// An `f` suffix: a `float`.
        single: bool,
    },
}

/// A C literal without sign: `42`, `0x2a`, `052`, `0b101`, `42u`, `42ull`,
/// `1.5`, `1e3`, `.5f`, `inf`, `nan:0x1`.
pub fn parse_c_number(s: &str) -> Result<CNumber, String> {
    let lower = s.to_ascii_lowercase();
    if lower == "inf" || lower == "nan" || lower.starts_with("nan:") {
        return parse_f64(&lower).map(|b| CNumber::Float {
            value: f64::from_bits(b),
            single: false,
        });
    }
    let hex = lower.starts_with("0x");
    let is_float = !hex && (lower.contains('.') || lower.contains('e'));
    if is_float {
        let (body, single) = match lower.strip_suffix('f') {
            Some(b) => (b, true),
            None => (lower.strip_suffix('l').unwrap_or(&lower), false),
        };
        let v: f64 = decimal_float(body)?
            .parse()
            .map_err(|_| format!("bad number `{s}`"))?;
        let value = if single { v as f32 as f64 } else { v };
        return Ok(CNumber::Float { value, single });
    }
    let mut body = lower.as_str();
    let mut unsigned = false;
    let mut longs = 0u8;
    loop {
        if let Some(b) = body.strip_suffix("ll") {
            if longs != 0 {
                break;
            }
            longs = 2;
            body = b;
        } else if let Some(b) = body.strip_suffix('l') {
            if longs != 0 {
                break;
            }
            longs = 1;
            body = b;
        } else if let Some(b) = body.strip_suffix('u') {
            if unsigned {
                break;
            }
            unsigned = true;
            body = b;
        } else {
            break;
        }
    }
    let (radix, d) = split_radix(body, true);
    if d.is_empty() {
        return Err(format!("bad number `{s}`"));
    }
    let value = digits(radix, d).map_err(|_| format!("bad number `{s}`"))?;
    Ok(CNumber::Int {
        value,
        unsigned,
        longs,
        decimal: radix == 10,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_in_every_base() {
        for (s, want) in [
            ("123", 123),
            ("0x7b", 123),
            ("0X7B", 123),
            ("0o173", 123),
            ("0b1111011", 123),
            ("1_000", 1000),
            ("017", 17),
        ] {
            assert_eq!(parse_uint(s), Ok(want), "{s}");
        }
        for bad in ["", "-1", "0x", "12a", "0b2"] {
            assert!(parse_uint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn widths_and_signs() {
        assert_eq!(parse_int("-1", 32), Ok(0xffff_ffff));
        assert_eq!(parse_int("0b101", 32), Ok(5));
        assert_eq!(parse_int("-0x80000000", 32), Ok(0x8000_0000));
        assert!(parse_int("-0x80000001", 32).is_err());
        assert!(parse_int("0x100000000", 32).is_err());
        assert_eq!(
            parse_int("x", 32).unwrap_err(),
            "invalid digit found in string"
        );
    }

    #[test]
    fn floats_and_nans() {
        assert_eq!(parse_f32("nan:0x1"), Ok(0x7f80_0001));
        assert_eq!(parse_f64("-inf"), Ok(f64::NEG_INFINITY.to_bits()));
        assert_eq!(parse_f64("39.5"), Ok(39.5f64.to_bits()));
        assert!(parse_f64("NaN").is_err());
        assert!(parse_f64("e5").is_err());
    }

    #[test]
    fn c_literals() {
        let int = |value, unsigned, longs, decimal| CNumber::Int {
            value,
            unsigned,
            longs,
            decimal,
        };
        assert_eq!(parse_c_number("42"), Ok(int(42, false, 0, true)));
        assert_eq!(parse_c_number("052"), Ok(int(42, false, 0, false)));
        assert_eq!(parse_c_number("0x2aULL"), Ok(int(42, true, 2, false)));
        assert_eq!(parse_c_number("0b101"), Ok(int(5, false, 0, false)));
        assert_eq!(parse_c_number("7lu"), Ok(int(7, true, 1, true)));
        assert_eq!(
            parse_c_number("1.5f"),
            Ok(CNumber::Float {
                value: 1.5,
                single: true
            })
        );
        assert_eq!(
            parse_c_number("1e3"),
            Ok(CNumber::Float {
                value: 1000.0,
                single: false
            })
        );
        assert!(parse_c_number("09").is_err());
        assert!(parse_c_number("1lul").is_err());
    }
}
