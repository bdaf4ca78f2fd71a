//! Value and memory formatting shared by every front end: gdb's `/x /d /u /t
//! /f /c` print formats and `x/NFU` memory dumps.

use wdb_engine::Value;
use wdb_engine::value::valtype_name;

use crate::api::{ExamineFormat, Format, ValueView};

pub fn value_bits(v: Value) -> (u128, u32) {
    match v {
        Value::I32(x) => (x as u32 as u128, 32),
        Value::I64(x) => (x as u64 as u128, 64),
        Value::F32(b) => (b as u128, 32),
        Value::F64(b) => (b as u128, 64),
        Value::V128(x) => (x, 128),
        Value::FuncRef(r) | Value::ExternRef(r) | Value::ExnRef(r) => {
            (r.map_or(0, |a| a as u128), 32)
        }
        Value::AnyRef(r) => (r.unwrap_or(0) as u128, 64),
    }
}

pub fn value_view(v: Value) -> ValueView {
    ValueView {
        ty: valtype_name(v.ty()).to_string(),
        text: v.to_string(),
        bits: value_bits(v).0,
        children: Vec::new(),
    }
}

/// Render a value in a print format (`p/x $l0`).
pub fn format_value(v: Value, f: Format) -> String {
    let (bits, width) = value_bits(v);
    let signed = || -> i128 {
        let shift = 128 - width;
        ((bits << shift) as i128) >> shift
    };
    match f {
        Format::Natural => v.to_string(),
        Format::Hex => format!("{bits:#x}"),
        Format::Signed => signed().to_string(),
        Format::Unsigned => bits.to_string(),
        Format::Binary => format!("{bits:b}"),
        Format::Float => match v {
            Value::I32(x) => format!("{}", f32::from_bits(x as u32)),
            Value::I64(x) => format!("{}", f64::from_bits(x as u64)),
            other => other.to_string(),
        },
        Format::Char => {
            let c = (bits & 0xff) as u8;
            format!("{} {}", signed() as i8, char_literal(c))
        }
    }
}

fn char_literal(c: u8) -> String {
    match c {
        b'\n' => "'\\n'".into(),
        b'\t' => "'\\t'".into(),
        b'\r' => "'\\r'".into(),
        0 => "'\\000'".into(),
        b'\'' => "'\\''".into(),
        0x20..=0x7e => format!("'{}'", c as char),
        _ => format!("'\\{c:03o}'"),
    }
}

/// An address as `x` prints it: 8 hex digits, 16 in a 64-bit memory.
pub fn format_address(addr: u64, memory64: bool) -> String {
    if memory64 {
        format!("{addr:#018x}")
    } else {
        format!("{addr:#010x}")
    }
}

/// `x/NFU` lines for `bytes` read at `addr` (`s` and `i` are handled by the
/// caller); addresses in full for a 64-bit memory.
pub fn format_memory(addr: u64, bytes: &[u8], f: ExamineFormat, memory64: bool) -> Vec<String> {
    let unit = f.unit.max(1) as usize;
    let per_line = match unit {
        1 => 8,
        2 => 8,
        4 => 4,
        _ => 2,
    };
    let mut lines = Vec::new();
    for (li, chunk) in bytes.chunks(unit * per_line).enumerate() {
        let mut line = format!(
            "{}:",
            format_address(addr + (li * unit * per_line) as u64, memory64)
        );
        for u in chunk.chunks(unit) {
            let mut buf = [0u8; 8];
            buf[..u.len()].copy_from_slice(u);
            let raw = u64::from_le_bytes(buf);
            let width = (u.len() * 8) as u32;
            let sext = if width == 64 {
                raw as i64
            } else {
                ((raw << (64 - width)) as i64) >> (64 - width)
            };
            let cell = match f.letter {
                'x' => format!("{:#0w$x}", raw, w = unit * 2 + 2),
                'd' => sext.to_string(),
                'u' => raw.to_string(),
                't' => format!("{:0w$b}", raw, w = unit * 8),
                'c' => format!("{} {}", raw as u8 as i8, char_literal(raw as u8)),
                'f' if unit == 4 => f32::from_bits(raw as u32).to_string(),
                'f' if unit == 8 => f64::from_bits(raw).to_string(),
                _ => format!("{:#0w$x}", raw, w = unit * 2 + 2),
            };
            line.push('\t');
            line.push_str(&cell);
        }
        lines.push(line);
    }
    lines
}

/// A C string at `addr` for `x/s`: the bytes up to a NUL, escaped.
pub fn format_c_string(addr: u32, bytes: &[u8]) -> String {
    format_c_string_at(addr as u64, bytes, false)
}

/// [`format_c_string`] in a memory that may be 64-bit.
pub fn format_c_string_at(addr: u64, bytes: &[u8], memory64: bool) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let mut s = String::new();
    for &b in &bytes[..end] {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\{b:03o}")),
        }
    }
    format!("{}:\t\"{s}\"", format_address(addr, memory64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_formats() {
        let v = Value::I32(-1);
        assert_eq!(format_value(v, Format::Natural), "-1");
        assert_eq!(format_value(v, Format::Hex), "0xffffffff");
        assert_eq!(format_value(v, Format::Unsigned), "4294967295");
        assert_eq!(format_value(v, Format::Signed), "-1");
        assert_eq!(format_value(Value::I32(5), Format::Binary), "101");
        assert_eq!(format_value(Value::I32(65), Format::Char), "65 'A'");
        assert_eq!(format_value(Value::I32(0x3f800000), Format::Float), "1");
        assert_eq!(
            format_value(Value::I64(-2), Format::Hex),
            "0xfffffffffffffffe"
        );
    }

    #[test]
    fn memory_dumps() {
        let bytes: Vec<u8> = (0..16).collect();
        let f = |count, letter, unit| ExamineFormat {
            count,
            letter,
            unit,
        };
        assert_eq!(
            format_memory(0x1_0000_0000, &bytes[..2], f(2, 'x', 1), true),
            ["0x0000000100000000:\t0x00\t0x01"],
            "a 64-bit memory's addresses in full"
        );
        assert_eq!(
            format_memory(0x1000, &bytes[..8], f(8, 'x', 1), false),
            ["0x00001000:\t0x00\t0x01\t0x02\t0x03\t0x04\t0x05\t0x06\t0x07"]
        );
        assert_eq!(
            format_memory(0x1000, &bytes[..8], f(2, 'd', 4), false),
            ["0x00001000:\t50462976\t117835012"]
        );
        assert_eq!(
            format_memory(0x10, &bytes, f(2, 'x', 8), false),
            ["0x00000010:\t0x0706050403020100\t0x0f0e0d0c0b0a0908"]
        );
        assert_eq!(format_c_string(0x20, b"hi\n\0zz"), "0x00000020:\t\"hi\\n\"");
    }
}
