//! The section headers of a wasm file, read with wasmparser's reader but
//! without validating the sections: `.dwp`/`.dwo` files are not modules, and
//! the disassembler cuts the `.debug_*` sections out of valid ones.

use std::ops::Range;

/// One section: where the whole section lies (header included), and for a
/// custom section its name (lossy UTF-8) and payload.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    pub range: Range<usize>,
    pub custom: Option<(String, Range<usize>)>,
}

/// Every section of `bytes` in order, or `None` when the magic is missing or
/// a header (id, size, custom name) does not fit in the file.
pub(crate) fn sections(bytes: &[u8]) -> Option<Vec<Section>> {
    if bytes.get(0..4)? != b"\0asm" || bytes.len() < 8 {
        return None;
    }
    let mut reader = wasmparser::BinaryReader::new(bytes, 0);
    reader.read_bytes(8).ok()?;
    let mut out = Vec::new();
    while !reader.eof() {
        let start = reader.original_position() as usize;
        let id = reader.read_u8().ok()?;
        let size = reader.read_var_u32().ok()? as usize;
        let payload = reader.original_position() as usize;
        let end = payload.checked_add(size).filter(|&e| e <= bytes.len())?;
        let custom = if id == 0 {
            let mut r = wasmparser::BinaryReader::new(&bytes[payload..end], payload as u64);
            let len = r.read_var_u32().ok()? as usize;
            let name = String::from_utf8_lossy(r.read_bytes(len).ok()?).into_owned();
            Some((name, r.original_position() as usize..end))
        } else {
            None
        };
        reader.read_bytes(size).ok()?;
        out.push(Section {
            range: start..end,
            custom,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_names_and_truncation() {
        // Magic, version, a custom section "ab" with payload [7], a type
        // section of 1 byte.
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(&[0, 4, 2, b'a', b'b', 7, 1, 1, 0]);
        let s = sections(&m).expect("parses");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].range, 8..14);
        assert_eq!(s[0].custom, Some(("ab".to_string(), 13..14)));
        assert_eq!((s[1].range.clone(), s[1].custom.clone()), (14..17, None));
        // A size past the end, a name longer than its section, no magic.
        assert!(sections(&m[..16]).is_none());
        let mut bad = b"\0asm\x01\0\0\0".to_vec();
        bad.extend_from_slice(&[0, 2, 5, b'a']);
        assert!(sections(&bad).is_none());
        assert!(sections(b"\0wat\x01\0\0\0").is_none());
    }
}
