use super::loc::{ExprContext, Place, evaluate};
use super::types::VarValue;
use super::{DebugInfo, FrameAccess, R};
use wdb_engine::Value;

struct Slots;

impl FrameAccess for Slots {
    fn local(&self, index: u32) -> Option<Value> {
        Some(Value::I32(0x100 * (index as i32 + 1)))
    }
    fn global(&self, index: u32) -> Option<Value> {
        (index == 0).then_some(Value::I64(-2))
    }
    fn operand(&self, index: u32) -> Option<Value> {
        Some(Value::F64(1.5f64.to_bits() + index as u64))
    }
    fn read_memory(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        // Memory where each byte holds its address's low byte.
        (addr + len as u64 <= 0x10000).then(|| (addr..addr + len as u64).map(|a| a as u8).collect())
    }
}

fn eval_bytes(code: &[u8], frame_base: Option<u64>) -> Result<Option<Place>, String> {
    // A minimal DWARF 4 unit (address size 4) with one childless
    // compile_unit DIE, just for the encoding.
    let arc = |b: Vec<u8>| gimli::EndianArcSlice::new(std::sync::Arc::from(b), gimli::LittleEndian);
    let info = vec![8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 4, 1];
    let abbrev = vec![1, 0x11, 0, 0, 0, 0];
    let dwarf = gimli::Dwarf::load(|id| -> Result<R, gimli::Error> {
        Ok(match id {
            gimli::SectionId::DebugInfo => arc(info.clone()),
            gimli::SectionId::DebugAbbrev => arc(abbrev.clone()),
            _ => arc(Vec::new()),
        })
    })
    .expect("loads");
    let header = dwarf.units().next().expect("parses").expect("one unit");
    let unit = dwarf.unit(header).expect("unit parses");
    let expr = gimli::Expression(gimli::EndianArcSlice::new(
        std::sync::Arc::from(code.to_vec()),
        gimli::LittleEndian,
    ));
    let ctx = ExprContext {
        dwarf: &dwarf,
        unit: &unit,
        frame_base,
    };
    evaluate(&expr, &ctx, &Slots)
}

#[test]
fn wasm_locations() {
    const WASM: u8 = 0xed;
    const STACK_VALUE: u8 = 0x9f;
    // A location that ends on a local: the value is in the local.
    assert_eq!(
        eval_bytes(&[WASM, 0, 2], None),
        Ok(Some(Place::Bytes(0x300i32.to_le_bytes().to_vec())))
    );
    // ... and with DW_OP_stack_value: the same value.
    let v = eval_bytes(&[WASM, 0, 2, STACK_VALUE], None)
        .expect("evaluates")
        .expect("a value");
    let Place::Bytes(b) = v else { panic!("{v:?}") };
    assert_eq!(&b[..4], &0x300u32.to_le_bytes());
    // local + 8 is an address in memory.
    assert_eq!(
        eval_bytes(&[WASM, 0, 0, 0x23, 8], None),
        Ok(Some(Place::Memory(0x108)))
    );
    // Global kind 3 takes a u32 index; an i64 global.
    assert_eq!(
        eval_bytes(&[WASM, 3, 0, 0, 0, 0], None),
        Ok(Some(Place::Bytes((-2i64).to_le_bytes().to_vec())))
    );
    // Operand stack slot 1.
    assert_eq!(
        eval_bytes(&[WASM, 2, 1], None),
        Ok(Some(Place::Bytes(
            (1.5f64.to_bits() + 1).to_le_bytes().to_vec()
        )))
    );
    // A missing global is an error, not a panic.
    assert!(
        eval_bytes(&[WASM, 1, 5], None)
            .unwrap_err()
            .contains("global 5")
    );
}

#[test]
fn frame_base_deref_pieces() {
    // DW_OP_fbreg 12 with the frame base at 0x1000.
    assert_eq!(
        eval_bytes(&[0x91, 12], Some(0x1000)),
        Ok(Some(Place::Memory(0x100c)))
    );
    assert!(
        eval_bytes(&[0x91, 12], None)
            .unwrap_err()
            .contains("frame base")
    );
    // DW_OP_addr 0x40; DW_OP_deref: reads 4 bytes at 0x40 = 40 41 42 43.
    assert_eq!(
        eval_bytes(&[0x03, 0x40, 0, 0, 0, 0x06], None),
        Ok(Some(Place::Memory(0x4342_4140)))
    );
    // Two pieces: local 0 (4 bytes) then memory at 0x20 (2 bytes).
    assert_eq!(
        eval_bytes(&[0xed, 0, 0, 0x93, 4, 0x03, 0x20, 0, 0, 0, 0x93, 2], None),
        Ok(Some(Place::Bytes(vec![0, 1, 0, 0, 0x20, 0x21])))
    );
    // Empty: optimized out. Garbage: an error.
    assert_eq!(eval_bytes(&[], None), Ok(None));
    assert!(eval_bytes(&[0xff], None).is_err());
    assert!(eval_bytes(&[0x22], None).is_err(), "plus on an empty stack");
}

#[test]
fn display_forms() {
    let cases: Vec<(VarValue, &str)> = vec![
        (VarValue::OptimizedOut, "<optimized out>"),
        (VarValue::Int(-3), "-3"),
        (VarValue::Float(0.25), "0.25"),
        (
            super::types::decode_base(gimli::DW_ATE_float, 4, 0.1f32.to_bits() as u128),
            "0.1",
        ),
        (
            super::types::decode_base(gimli::DW_ATE_float, 8, 2.5f64.to_bits() as u128),
            "2.5",
        ),
        (
            super::types::decode_base(gimli::DW_ATE_signed, 2, 0xfffe),
            "-2",
        ),
        (
            super::types::decode_base(gimli::DW_ATE_unsigned, 2, 0xfffe),
            "65534",
        ),
        (
            super::types::decode_base(gimli::DW_ATE_boolean, 1, 1),
            "true",
        ),
        (
            super::types::decode_base(gimli::DW_ATE_UTF, 4, 'λ' as u128),
            "'λ'",
        ),
        (VarValue::CChar(119), "119 'w'"),
        (VarValue::CChar(0), "0 '\\0'"),
        (VarValue::Char('é'), "'é'"),
        (
            VarValue::Enum {
                name: Some("GREEN".into()),
                value: 1,
            },
            "GREEN",
        ),
        (
            VarValue::Enum {
                name: None,
                value: 7,
            },
            "7",
        ),
        (
            VarValue::Pointer {
                type_name: "struct point *".into(),
                address: 0x1040,
            },
            "(struct point *) 0x1040",
        ),
        (
            VarValue::CString {
                address: 0x10a0,
                text: Some("hello".into()),
                truncated: false,
            },
            "0x10a0 \"hello\"",
        ),
        (
            VarValue::CString {
                address: 0,
                text: None,
                truncated: false,
            },
            "0x0",
        ),
        (
            VarValue::Struct {
                fields: vec![
                    ("x".into(), VarValue::Int(1)),
                    ("y".into(), VarValue::Int(2)),
                ],
            },
            "{x = 1, y = 2}",
        ),
        (
            VarValue::Struct {
                fields: vec![
                    ("__0".into(), VarValue::Int(1)),
                    ("__1".into(), VarValue::Int(2)),
                ],
            },
            "(1, 2)",
        ),
        (
            VarValue::Array {
                elements: vec![VarValue::Int(1), VarValue::Int(2)],
                len: 2,
            },
            "{1, 2}",
        ),
        (
            VarValue::Array {
                elements: vec![VarValue::Int(1)],
                len: 5,
            },
            "{1, ...}",
        ),
        (VarValue::Text("a\"b".into()), "\"a\\\"b\""),
        (
            VarValue::Vec {
                elements: vec![VarValue::Int(1), VarValue::Int(2), VarValue::Int(3)],
                len: 3,
            },
            "vec![1, 2, 3]",
        ),
        (
            VarValue::Slice {
                elements: vec![VarValue::UInt(1)],
                len: 1,
            },
            "&[1]",
        ),
        (
            VarValue::Variant {
                name: "Some".into(),
                fields: vec![("__0".into(), VarValue::Int(5))],
            },
            "Some(5)",
        ),
        (
            VarValue::Variant {
                name: "None".into(),
                fields: vec![],
            },
            "None",
        ),
        (
            VarValue::Variant {
                name: "Circle".into(),
                fields: vec![("radius".into(), VarValue::UInt(2))],
            },
            "Circle {radius: 2}",
        ),
    ];
    for (v, want) in cases {
        assert_eq!(v.to_string(), want, "{v:?}");
    }
}

#[test]
fn debug_info_is_send_and_empty_is_harmless() {
    fn assert_send<T: Send>() {}
    assert_send::<DebugInfo>();
    let d = DebugInfo::empty();
    assert!(!d.has_debug_info());
    assert!(d.variables(0).is_empty());
    assert!(d.eval("1 + 1", 0, &Slots).is_err());
}
