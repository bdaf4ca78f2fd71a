//! How a directive's values are made and checked: arguments, expected
//! results (NaN patterns, lanes, references), trap messages and the custom
//! sections a module must get right.

use wast::WastArg;
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};

use crate::runtime::Store;
use crate::value::Value;

/// The spec's trap messages are prefixes of ours or vice versa
/// (`"uninitialized element 2"` vs `"uninitialized element"`).
pub(super) fn trap_matches(got: &str, want: &str) -> bool {
    got.starts_with(want) || want.starts_with(got) || got.contains(want)
}

pub(super) fn arg(a: &WastArg<'_>) -> Result<Value, String> {
    let WastArg::Core(a) = a else {
        return Err("component arguments are not supported".into());
    };
    Ok(match a {
        WastArgCore::I32(v) => Value::I32(*v),
        WastArgCore::I64(v) => Value::I64(*v),
        WastArgCore::F32(v) => Value::F32(v.bits),
        WastArgCore::F64(v) => Value::F64(v.bits),
        WastArgCore::V128(v) => Value::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(HeapType::Abstract { ty, .. }) => match ty {
            AbstractHeapType::Func | AbstractHeapType::NoFunc => Value::FuncRef(None),
            AbstractHeapType::Extern | AbstractHeapType::NoExtern => Value::ExternRef(None),
            AbstractHeapType::Exn | AbstractHeapType::NoExn => Value::ExnRef(None),
            _ => Value::AnyRef(None),
        },
        WastArgCore::RefNull(HeapType::Concrete(_) | HeapType::Exact(_)) => Value::FuncRef(None),
        WastArgCore::RefExtern(n) => Value::ExternRef(Some(*n)),
        WastArgCore::RefHost(n) => Value::AnyRef(Some(host_ref(*n))),
    })
}

/// The custom sections the spec defines checked as the `custom/` scripts
/// expect (a module stays valid without them; this is for
/// `assert_invalid_custom`): every branch hint (`metadata.code.branch_hint`)
/// must name a defined function and point at an `if` or `br_if` in it.
pub(super) fn check_custom_sections(bytes: &[u8]) -> Result<(), String> {
    use wasmparser::{KnownCustom, Operator, Parser, Payload};
    let mut imported = 0u32;
    let mut bodies = Vec::new();
    let mut hints: Vec<(u32, Vec<u32>)> = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    if matches!(
                        imp.map_err(|e| e.to_string())?.ty,
                        wasmparser::TypeRef::Func(_)
                    ) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            Payload::CustomSection(c) => {
                if let KnownCustom::BranchHints(r) = c.as_known() {
                    for f in r {
                        let f = f.map_err(|e| e.to_string())?;
                        let mut offs = Vec::new();
                        for h in f.hints {
                            offs.push(h.map_err(|e| e.to_string())?.func_offset);
                        }
                        hints.push((f.func, offs));
                    }
                }
            }
            _ => {}
        }
    }
    for (func, offs) in hints {
        let body = func
            .checked_sub(imported)
            .and_then(|i| bodies.get(i as usize))
            .ok_or_else(|| format!("branch hint for function {func}, which has no body"))?;
        let start = body.range().start;
        let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
        let mut targets = Vec::new();
        while !ops.eof() {
            let (op, at) = ops.read_with_offset().map_err(|e| e.to_string())?;
            if matches!(op, Operator::If { .. } | Operator::BrIf { .. }) {
                targets.push((at - start) as u32);
            }
        }
        if let Some(o) = offs.iter().find(|o| !targets.contains(o)) {
            return Err(format!(
                "branch hint at offset {o} of function {func}: not an if or br_if"
            ));
        }
    }
    Ok(())
}

/// The spec harness's `(ref.host N)`: host reference N made internal
/// (`any.convert_extern` of `(ref.extern N)`).
fn host_ref(n: u32) -> u64 {
    crate::runtime::gc::any_from_extern(n as u64 + 1)
}

fn f32_matches(bits: u32, p: &NanPattern<wast::token::F32>) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(bits: u64, p: &NanPattern<wast::token::F64>) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

pub(super) fn matches_ret(store: &Store, got: &Value, want: &WastRetCore<'_>) -> bool {
    use crate::runtime::gc;
    match (got, want) {
        (Value::I32(g), WastRetCore::I32(w)) => g == w,
        (Value::I64(g), WastRetCore::I64(w)) => g == w,
        (Value::F32(g), WastRetCore::F32(p)) => f32_matches(*g, p),
        (Value::F64(g), WastRetCore::F64(p)) => f64_matches(*g, p),
        (Value::V128(g), WastRetCore::V128(p)) => {
            let b = g.to_le_bytes();
            match p {
                V128Pattern::I8x16(l) => l.iter().enumerate().all(|(i, &v)| b[i] == v as u8),
                V128Pattern::I16x8(l) => l
                    .iter()
                    .enumerate()
                    .all(|(i, &v)| i16::from_le_bytes([b[2 * i], b[2 * i + 1]]) == v),
                V128Pattern::I32x4(l) => l.iter().enumerate().all(|(i, &v)| {
                    i32::from_le_bytes(b[4 * i..4 * i + 4].try_into().expect("4 bytes")) == v
                }),
                V128Pattern::I64x2(l) => l.iter().enumerate().all(|(i, &v)| {
                    i64::from_le_bytes(b[8 * i..8 * i + 8].try_into().expect("8 bytes")) == v
                }),
                V128Pattern::F32x4(l) => l.iter().enumerate().all(|(i, p)| {
                    f32_matches(
                        u32::from_le_bytes(b[4 * i..4 * i + 4].try_into().expect("4")),
                        p,
                    )
                }),
                V128Pattern::F64x2(l) => l.iter().enumerate().all(|(i, p)| {
                    f64_matches(
                        u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().expect("8")),
                        p,
                    )
                }),
            }
        }
        (
            Value::FuncRef(None)
            | Value::ExternRef(None)
            | Value::ExnRef(None)
            | Value::AnyRef(None),
            WastRetCore::RefNull(_),
        ) => true,
        (Value::ExternRef(Some(g)), WastRetCore::RefExtern(w)) => w.is_none_or(|w| w == *g),
        (Value::FuncRef(Some(_)), WastRetCore::RefFunc(_)) => true,
        (_, WastRetCore::Either(alts)) => alts.iter().any(|a| matches_ret(store, got, a)),
        (Value::AnyRef(Some(r)), WastRetCore::RefHost(n)) => *r == host_ref(*n),
        (Value::ExternRef(Some(g)), WastRetCore::RefHost(n)) => g == n,
        (Value::AnyRef(Some(r)), WastRetCore::RefExtern(w)) => {
            gc::is_extern_in_any(*r) && w.is_none_or(|w| *r == host_ref(w))
        }
        (Value::AnyRef(Some(_)), WastRetCore::RefAny) => true,
        (Value::AnyRef(Some(r)), WastRetCore::RefEq) => {
            gc::i31_value(*r).is_some() || store.gc_object_is_array(*r).is_some()
        }
        (Value::AnyRef(Some(r)), WastRetCore::RefI31) => gc::i31_value(*r).is_some(),
        (Value::AnyRef(Some(r)), WastRetCore::RefStruct) => {
            store.gc_object_is_array(*r) == Some(false)
        }
        (Value::AnyRef(Some(r)), WastRetCore::RefArray) => {
            store.gc_object_is_array(*r) == Some(true)
        }
        _ => false,
    }
}

#[cfg(test)]
mod custom_tests {
    use super::check_custom_sections;

    #[test]
    fn branch_hints_must_point_at_if_or_br_if() {
        let good = wat::parse_str(
            r#"(module (func (param i32)
                 (@metadata.code.branch_hint "\01") (if (local.get 0) (then))
                 (block (@metadata.code.branch_hint "\00") (br_if 0 (local.get 0)))))"#,
        )
        .expect("valid text");
        assert_eq!(check_custom_sections(&good), Ok(()));
        let bad = wat::parse_str(
            r#"(module (func (param i32) (result i32)
                 local.get 0 local.get 0 (@metadata.code.branch_hint "\01") i32.eq))"#,
        )
        .expect("valid text");
        assert!(check_custom_sections(&bad).is_err());
    }
}
