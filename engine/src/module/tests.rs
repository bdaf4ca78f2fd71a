use super::*;

#[test]
fn malformed_module_names_offset() {
    let err = Module::new(vec![0, b'a', b's', b'm', 1, 0, 0, 0, 0x01, 0x05]).unwrap_err();
    assert_eq!(err.kind, crate::ErrorKind::Malformed);
    assert!(err.module_offset.is_some(), "{err}");
}

#[test]
fn not_wasm_is_malformed() {
    let err = Module::new(b"hello world".to_vec()).unwrap_err();
    assert_eq!(err.kind, crate::ErrorKind::Malformed, "{err}");
}
