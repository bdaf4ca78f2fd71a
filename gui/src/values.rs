//! Typed argument text for calls, validated as the user types, with the same
//! spellings the REPL accepts (`-1`, `0xff`, `1.5`, `nan`, `inf`).

use wdb_debugger::engine::ValType;

/// Whether `text` parses as a value of `ty`, by the engine's own literal
/// parser (the one `call` and `wdb run --invoke` use); `Err` says why, for
/// a tooltip.
pub fn check_arg(ty: ValType, text: &str) -> Result<(), String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("a value is required".into());
    }
    // A reference is `null`, or a table index the GUI resolves itself.
    if let ValType::Ref(_) = ty
        && t.parse::<u32>().is_ok()
    {
        return Ok(());
    }
    // A value, or for a pointer (`i32`) a string, bytes or a `&cell`.
    wdb_debugger::api::check_call_arg(ty, t)
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
            (ValType::I32, "0b101"),
            (ValType::F32, "nan:0x1"),
            // A C API's pointer parameter takes a string, bytes or a cell.
            (ValType::I32, "\"Ada\""),
            (ValType::I32, "b\"\\x00\\x01\""),
            (ValType::I32, "&len"),
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
            (ValType::I64, "\"Ada\""),
            (ValType::F64, "&len"),
            (ValType::I32, "\"unterminated"),
        ];
        for (ty, t) in bad {
            assert!(check_arg(ty, t).is_err(), "{t} as {ty:?}");
        }
    }
}
