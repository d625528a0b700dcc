//! Test helpers the wire modules' unit tests share: golden bytes, emit
//! into A5h, truncation, overflow and mutation checks, and the proptest
//! round trip.

use proptest::prelude::*;

use super::{Repr, WireError};

/// Emits into a buffer pre-filled with A5h and a few bytes longer, so
/// unwritten bytes and overruns both show.
pub fn emit_a5<R: Repr>(r: &R) -> Vec<u8> {
    let len = r.buffer_len();
    let mut b = vec![0xa5u8; len + 4];
    r.emit(&mut b).unwrap();
    assert!(
        b[len..].iter().all(|&x| x == 0xa5),
        "emit wrote past buffer_len"
    );
    b.truncate(len);
    b
}

/// `bytes` parse to `expect`, and `expect` emits to `bytes`.
pub fn golden<R: Repr + PartialEq + core::fmt::Debug>(bytes: &[u8], expect: &R) {
    assert_eq!(&R::parse(bytes).unwrap(), expect, "parse");
    assert_eq!(emit_a5(expect), bytes, "emit");
    assert_eq!(expect.buffer_len(), bytes.len());
}

/// Emitting into one byte less than `buffer_len` is `BufferTooSmall`.
pub fn too_small<R: Repr + core::fmt::Debug>(r: &R) {
    let mut b = vec![0u8; r.buffer_len() - 1];
    assert!(
        matches!(r.emit(&mut b), Err(WireError::BufferTooSmall { .. })),
        "{r:?}"
    );
}

/// Emitting `r` is `Overflow` of `field`.
pub fn overflow<R: Repr + core::fmt::Debug>(r: &R, field: &str) {
    let mut b = vec![0u8; 300];
    match r.emit(&mut b) {
        Err(WireError::Overflow { field: f, .. }) => assert_eq!(f, field),
        other => panic!("{r:?}: expected Overflow of {field}, got {other:?}"),
    }
}

/// Every strict prefix of a structure with a fixed length is Truncated.
pub fn prefixes_truncated<R: Repr + core::fmt::Debug>(bytes: &[u8]) {
    for n in 0..bytes.len() {
        assert!(
            matches!(R::parse(&bytes[..n]), Err(WireError::Truncated { .. })),
            "prefix of {n} bytes: {:?}",
            R::parse(&bytes[..n])
        );
    }
}

/// Flips every byte of a golden buffer several ways: parse must not
/// panic, and whatever parses must emit to bytes that parse to the same
/// value again.
pub fn mutate<R: Repr + PartialEq + core::fmt::Debug>(bytes: &[u8]) {
    for i in 0..bytes.len() {
        for x in [0x01u8, 0x80, 0xff, 0x5a] {
            let mut b = bytes.to_vec();
            b[i] ^= x;
            if let Ok(r) = R::parse(&b) {
                let again = R::parse(&r.to_vec().unwrap()).unwrap();
                assert_eq!(again, r, "byte {i} ^ {x:#x}");
            }
        }
    }
}

/// A CDB whose first byte is not its OPERATION CODE does not parse.
pub fn opcode_rejected<R: Repr + core::fmt::Debug>(bytes: &[u8]) {
    let mut b = bytes.to_vec();
    b[0] ^= 0xff;
    match R::parse(&b) {
        Err(WireError::InvalidField { field, .. }) => assert_eq!(field, "OPERATION CODE"),
        other => panic!("expected bad opcode, got {other:?}"),
    }
}

/// Any value of a 24-bit field.
pub fn arb_u24() -> impl Strategy<Value = u32> {
    0..=super::ssc::MAX_U24
}

/// Proptest: `r` emits (into A5h) to `buffer_len` bytes that parse back
/// to `r`.
pub fn round_trip<R: Repr + PartialEq + core::fmt::Debug>(
    r: &R,
) -> core::result::Result<(), TestCaseError> {
    let bytes = emit_a5(r);
    prop_assert_eq!(bytes.len(), r.buffer_len());
    prop_assert_eq!(&R::parse(&bytes).unwrap(), r);
    Ok(())
}
