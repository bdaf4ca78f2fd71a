//! Typed argument text for calls, validated as the user types, with the same
//! spellings the REPL accepts (`-1`, `0xff`, `1.5`, `nan`, `inf`).

use wdb_debugger::engine::ValType;

/// Whether `text` parses as a value of `ty`; `Err` says why, for a tooltip.
pub fn check_arg(ty: ValType, text: &str) -> Result<(), String> {
    let t = text.trim().replace('_', "");
    let ok = match ty {
        ValType::I32 => {
            parse_int(&t).is_some_and(|v| i32::try_from(v).is_ok() || u32::try_from(v).is_ok())
        }
        ValType::I64 => {
            parse_int(&t).is_some_and(|v| i64::try_from(v).is_ok() || u64::try_from(v).is_ok())
        }
        ValType::F32 | ValType::F64 => parse_float(&t),
        ValType::V128 => t
            .strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && u128::from_str_radix(h, 16).is_ok()),
        ValType::Ref(_) => t == "null" || t.parse::<u32>().is_ok(),
    };
    if ok {
        Ok(())
    } else if t.is_empty() {
        Err("a value is required".into())
    } else {
        Err(format!(
            "`{text}` is not a valid {}",
            wdb_debugger::engine::value::valtype_name(ty)
        ))
    }
}

fn parse_int(t: &str) -> Option<i128> {
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i128::from_str_radix(h, 16).ok()?
    } else if let Some(b) = body.strip_prefix("0b") {
        i128::from_str_radix(b, 2).ok()?
    } else {
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        body.parse().ok()?
    };
    Some(if neg { -v } else { v })
}

fn parse_float(t: &str) -> bool {
    let body = t.trim_start_matches(['-', '+']);
    matches!(body, "nan" | "inf" | "infinity") || (!t.is_empty() && t.parse::<f64>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_validate_by_type() {
        let ok = [
            (ValType::I32, "10"),
            (ValType::I32, "-1"),
            (ValType::I32, "0xffffffff"),
            (ValType::I64, "-9223372036854775808"),
            (ValType::F64, "1.5"),
            (ValType::F32, "-inf"),
            (ValType::F64, "nan"),
            (ValType::V128, "0x01"),
        ];
        for (ty, t) in ok {
            assert!(check_arg(ty, t).is_ok(), "{t} as {ty:?}");
        }
        let bad = [
            (ValType::I32, ""),
            (ValType::I32, "ten"),
            (ValType::I32, "0x1ffffffff"),
            (ValType::I32, "1.5"),
            (ValType::F64, "1.2.3"),
            (ValType::V128, "12"),
        ];
        for (ty, t) in bad {
            assert!(check_arg(ty, t).is_err(), "{t} as {ty:?}");
        }
    }
}
