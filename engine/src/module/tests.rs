use super::*;

#[test]
fn malformed_module_names_offset() {
    let err = Module::new(vec![0, b'a', b's', b'm', 1, 0, 0, 0, 0x01, 0x05]).unwrap_err();
    assert_eq!(err.kind, crate::ErrorKind::Malformed);
    assert!(err.module_offset.is_some(), "{err}");
}

/// A section whose size runs past the end fails before the parser yields
/// it: the error names that section (it said "header" for the first, or the
/// previous section's name for a later one).
#[test]
fn a_truncated_section_is_named() {
    let header = [0, b'a', b's', b'm', 1, 0, 0, 0];
    let mut first = header.to_vec();
    first.extend([0x01, 0x05, 0x01, 0x60]);
    let err = Module::new(first).unwrap_err();
    assert_eq!(err.section, Some("type"), "{err}");
    assert!(err.to_string().contains("in type section"), "{err}");
    // A whole type section `(type (func))`, then a truncated function section.
    let mut later = header.to_vec();
    later.extend([0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x05, 0x01]);
    let err = Module::new(later).unwrap_err();
    assert_eq!(err.section, Some("function"), "{err}");
}

#[test]
fn not_wasm_is_malformed() {
    let err = Module::new(b"hello world".to_vec()).unwrap_err();
    assert_eq!(err.kind, crate::ErrorKind::Malformed, "{err}");
}

/// A module of `n` functions `() -> i32`, each `ops` bytes of
/// `i32.const 1; i32.const 1; i32.add; drop` then `i32.const 0`; functions in
/// `invalid` end in a lone `i32.add` (a type error).
fn many_functions(n: u32, ops: usize, invalid: &[u32]) -> (Vec<u8>, Vec<std::ops::Range<usize>>) {
    fn uleb(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    let mut code = Vec::new();
    uleb(u64::from(n), &mut code);
    let mut bodies = Vec::new();
    for i in 0..n {
        let mut body = vec![0u8]; // no locals
        for _ in 0..ops / 6 {
            body.extend([0x41, 1, 0x41, 1, 0x6a, 0x1a]);
        }
        if invalid.contains(&i) {
            body.push(0x6a);
        }
        body.extend([0x41, 0, 0x0b]);
        let mut sized = Vec::new();
        uleb(body.len() as u64, &mut sized);
        let start = code.len() + sized.len();
        sized.extend(body);
        bodies.push(start..start + sized.len());
        code.extend(sized);
    }
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend([0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f]); // type () -> i32
    let mut funcs = Vec::new();
    uleb(u64::from(n), &mut funcs);
    funcs.extend(std::iter::repeat_n(0u8, n as usize));
    m.push(0x03);
    uleb(funcs.len() as u64, &mut m);
    m.extend(funcs);
    m.push(0x0a);
    uleb(code.len() as u64, &mut m);
    let code_start = m.len();
    m.extend(code);
    let ranges = bodies
        .into_iter()
        .map(|r| r.start + code_start..r.end + code_start)
        .collect();
    (m, ranges)
}

#[test]
fn a_big_module_validates_on_every_core_and_names_the_first_invalid_body() {
    // Over the 1 MiB from which bodies are validated in parallel.
    let (ok, _) = many_functions(4000, 600, &[]);
    assert!(ok.len() > 2 << 20, "{} bytes", ok.len());
    Module::new(ok).expect("valid");
    // Two invalid bodies far apart (in different threads' shares): the
    // error is the first one's, as a sequential pass reports it.
    let (bad, ranges) = many_functions(4000, 600, &[700, 3900]);
    let err = Module::new(bad).unwrap_err();
    let at = err.module_offset.expect("an offset") as usize;
    assert!(
        ranges[700].contains(&at),
        "{err} (body 700 is {:?})",
        ranges[700]
    );
}
