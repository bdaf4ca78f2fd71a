use super::*;

#[test]
fn op_is_at_most_16_bytes() {
    assert!(
        std::mem::size_of::<Op>() <= 16,
        "Op is {} bytes",
        std::mem::size_of::<Op>()
    );
}
