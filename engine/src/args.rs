//! Typed arguments from the command line (`wdb run --invoke f 1 2`, the
//! REPL's `call`): text to [`Value`]s checked against a function type.

use std::fmt;

use wasmparser::FuncType;

use crate::literal::{parse_f32, parse_f64, parse_int};
use crate::module::signature_string;
use crate::value::{ValType, Value, valtype_name};

/// Why arguments did not match a signature. Its message names the function
/// and prints the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    pub message: String,
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ArgError {}

/// `fibArray (param i32) (result i32)`; `f ()` for a function with neither.
pub fn format_signature(name: &str, ty: &FuncType) -> String {
    let s = signature_string(ty);
    if s.is_empty() {
        format!("{name} ()")
    } else {
        format!("{name} {s}")
    }
}

/// Parse `args` for a function named `name` of type `ty`.
pub fn parse_args_named(
    name: &str,
    ty: &FuncType,
    args: &[String],
) -> Result<Vec<Value>, ArgError> {
    let sig = {
        let s = signature_string(ty);
        if s.is_empty() { "()".to_string() } else { s }
    };
    if args.len() != ty.params().len() {
        let n = args.len();
        return Err(ArgError {
            message: format!(
                "{name}: expected {sig}, got {n} argument{}",
                if n == 1 { "" } else { "s" }
            ),
        });
    }
    ty.params()
        .iter()
        .zip(args)
        .enumerate()
        .map(|(i, (&t, a))| {
            parse_value(t, a).map_err(|why| ArgError {
                message: format!(
                    "{name}: argument {} `{a}` is not a valid {} ({why}); expected {sig}",
                    i + 1,
                    valtype_name(t)
                ),
            })
        })
        .collect()
}

/// Parse `args` against `ty` (errors name the function `function`).
pub fn parse_args(ty: &FuncType, args: &[String]) -> Result<Vec<Value>, ArgError> {
    parse_args_named("function", ty, args)
}

/// One value of type `ty`: integers as [`crate::literal`] reads them
/// (negative too); floats with `nan`, `inf`, `-inf`, `nan:0x...`; v128 as
/// `0x` + 32 hex digits; `null` for references.
pub fn parse_value(ty: ValType, s: &str) -> Result<Value, String> {
    let s = s.trim();
    match ty {
        ValType::I32 => parse_int(s, 32).map(|v| Value::I32(v as u32 as i32)),
        ValType::I64 => parse_int(s, 64).map(|v| Value::I64(v as u64 as i64)),
        ValType::F32 => parse_f32(s).map(Value::F32),
        ValType::F64 => parse_f64(s).map(Value::F64),
        ValType::V128 => {
            let h = s
                .strip_prefix("0x")
                .or_else(|| s.strip_prefix("0X"))
                .ok_or("expected 0x followed by 32 hex digits")?;
            let h = h.replace('_', "");
            if h.is_empty() || h.len() > 32 {
                return Err("expected 0x followed by up to 32 hex digits".into());
            }
            u128::from_str_radix(&h, 16)
                .map(Value::V128)
                .map_err(|e| e.to_string())
        }
        ValType::Ref(r) => {
            if s == "null" {
                Ok(if r.is_func_ref() {
                    Value::FuncRef(None)
                } else {
                    Value::ExternRef(None)
                })
            } else {
                Err("only `null` can be passed for a reference".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(params: &[ValType], results: &[ValType]) -> FuncType {
        FuncType::new(params.iter().copied(), results.iter().copied())
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn values_table() {
        let cases: &[(ValType, &str, Value)] = &[
            (ValType::I32, "10", Value::I32(10)),
            (ValType::I32, "-1", Value::I32(-1)),
            (ValType::I32, "0xffffffff", Value::I32(-1)),
            (ValType::I32, "4294967295", Value::I32(-1)),
            (ValType::I32, "-2147483648", Value::I32(i32::MIN)),
            (ValType::I32, "0x10", Value::I32(16)),
            (ValType::I64, "-9223372036854775808", Value::I64(i64::MIN)),
            (ValType::I64, "0x7fffffffffffffff", Value::I64(i64::MAX)),
            (ValType::I64, "1_000", Value::I64(1000)),
            (ValType::F32, "1.5", Value::F32(1.5f32.to_bits())),
            (ValType::F32, "-0", Value::F32((-0.0f32).to_bits())),
            (ValType::F32, "inf", Value::F32(f32::INFINITY.to_bits())),
            (
                ValType::F32,
                "-inf",
                Value::F32(f32::NEG_INFINITY.to_bits()),
            ),
            (ValType::F32, "nan", Value::F32(0x7fc0_0000)),
            (ValType::F32, "nan:0x1", Value::F32(0x7f80_0001)),
            (ValType::F32, "-nan:0x200000", Value::F32(0xffa0_0000)),
            (ValType::F64, "3.25", Value::F64(3.25f64.to_bits())),
            (
                ValType::F64,
                "-inf",
                Value::F64(f64::NEG_INFINITY.to_bits()),
            ),
            (ValType::F64, "nan", Value::F64(0x7ff8_0000_0000_0000)),
            (ValType::F64, "nan:0x4", Value::F64(0x7ff0_0000_0000_0004)),
            (
                ValType::V128,
                "0x000102030405060708090a0b0c0d0e0f",
                Value::V128(0x000102030405060708090a0b0c0d0e0f),
            ),
            (ValType::FUNCREF, "null", Value::FuncRef(None)),
            (ValType::EXTERNREF, "null", Value::ExternRef(None)),
        ];
        for (t, text, want) in cases {
            assert_eq!(parse_value(*t, text).as_ref(), Ok(want), "{text} as {t:?}");
        }
    }

    #[test]
    fn rejects_table() {
        let cases: &[(ValType, &str)] = &[
            (ValType::I32, "4294967296"),
            (ValType::I32, "-2147483649"),
            (ValType::I32, "abc"),
            (ValType::I32, ""),
            (ValType::I32, "1.5"),
            (ValType::I64, "18446744073709551616"),
            (ValType::F32, "nan:0x800000"),
            (ValType::F32, "nan:0"),
            (ValType::F64, "one"),
            (ValType::V128, "12"),
            (ValType::V128, "0x000102030405060708090a0b0c0d0e0f00"),
            (ValType::FUNCREF, "3"),
        ];
        for (t, text) in cases {
            assert!(
                parse_value(*t, text).is_err(),
                "{text} as {t:?} should fail"
            );
        }
    }

    #[test]
    fn wrong_count_prints_signature() {
        let t = ty(&[ValType::I32], &[ValType::I32]);
        let e = parse_args_named("fibArray", &t, &s(&["1", "2"])).unwrap_err();
        assert_eq!(
            e.message,
            "fibArray: expected (param i32) (result i32), got 2 arguments"
        );
        let e = parse_args_named("fibArray", &t, &[]).unwrap_err();
        assert_eq!(
            e.message,
            "fibArray: expected (param i32) (result i32), got 0 arguments"
        );
        let none = ty(&[], &[]);
        let e = parse_args_named("go", &none, &s(&["1"])).unwrap_err();
        assert_eq!(e.message, "go: expected (), got 1 argument");
    }

    #[test]
    fn bad_value_names_argument_and_signature() {
        let t = ty(&[ValType::I32, ValType::F64], &[]);
        let e = parse_args_named("f", &t, &s(&["1", "x"])).unwrap_err();
        assert!(
            e.message
                .starts_with("f: argument 2 `x` is not a valid f64"),
            "{}",
            e.message
        );
        assert!(
            e.message.ends_with("expected (param i32 f64)"),
            "{}",
            e.message
        );
        let ok = parse_args(&t, &s(&["-3", "2.5"])).unwrap();
        assert_eq!(ok, vec![Value::I32(-3), Value::F64(2.5f64.to_bits())]);
    }

    #[test]
    fn signature_format() {
        let t = ty(&[ValType::I32, ValType::I64], &[ValType::F32]);
        assert_eq!(format_signature("f", &t), "f (param i32 i64) (result f32)");
        assert_eq!(format_signature("_start", &ty(&[], &[])), "_start ()");
    }
}
