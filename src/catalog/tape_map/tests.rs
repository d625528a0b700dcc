//! Tests of the tape map: the golden fixture, one refusal per rule, and
//! proptest's round trip and arbitrary bytes.

use proptest::prelude::*;

use super::*;
use crate::catalog::testing::{arb_detail, failover_detail, T0};

/// The fixture: fixtures/tape-map/backup-7-SEG002L6.map (see its README).
const FIXTURE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/tape-map/backup-7-SEG002L6.map"
));

/// The map the fixture holds: backup 7 as written on its second tape.
fn sample() -> TapeMap {
    TapeMap {
        barcode: "SEG002L6".into(),
        written: T0 + 295,
        detail: failover_detail(),
        catalog: None,
    }
}

/// Writes the fixture again from [`sample`] (after a deliberate change of
/// the sample or the format: see fixtures/tape-map/README.md).
#[test]
#[ignore = "writes the fixture; run by hand"]
fn write_fixture() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/tape-map/backup-7-SEG002L6.map"
    );
    std::fs::write(path, encode(&sample(), 0).expect("encode")).expect("write the fixture");
}

#[test]
fn golden_fixture() {
    // Header, field by field.
    assert_eq!(&FIXTURE[0..16], b"SEGCOPY-TAPEMAP\0", "magic");
    assert_eq!(&FIXTURE[16..20], &[0, 0, 0, 1], "format version 1");
    let len = u32::from_be_bytes([FIXTURE[20], FIXTURE[21], FIXTURE[22], FIXTURE[23]]) as usize;
    assert_eq!(FIXTURE.len(), 32 + len, "JSON length: the rest of the file");
    let crc = u32::from_be_bytes([FIXTURE[24], FIXTURE[25], FIXTURE[26], FIXTURE[27]]);
    assert_eq!(crc, crc32c::crc32c(&FIXTURE[32..]), "CRC32C of the JSON");
    assert_eq!(&FIXTURE[28..32], &[0, 0, 0, 0], "reserved");
    assert_eq!(FIXTURE[32], b'{', "the JSON");

    let map = decode(FIXTURE).expect("decode the fixture");
    assert_eq!(map, sample());
    assert_eq!(encode(&map, 0).expect("encode"), FIXTURE);
}

#[test]
fn fixed_block_tapes_get_whole_blocks_of_padding() {
    let plain = encode(&sample(), 0).expect("encode");
    for bl in [1u32, 512, 4096, 262_144] {
        let padded = encode(&sample(), bl).expect("encode");
        assert_eq!(padded.len() % bl as usize, 0, "block length {bl}");
        assert!(padded.len() >= plain.len() && padded.len() < plain.len() + bl as usize);
        assert_eq!(&padded[..plain.len()], &plain[..]);
        assert!(padded[plain.len()..].iter().all(|&b| b == 0));
        assert_eq!(decode(&padded).expect("decode"), sample());
    }
    // A whole block read past the map, whatever follows.
    let mut block = plain.clone();
    block.extend_from_slice(&[0xa5; 100]);
    assert_eq!(decode(&block).expect("decode"), sample());
}

#[test]
fn not_a_map() {
    for bytes in [
        &b""[..],
        b"SEGCOPY",
        b"SEGCOPY-TAPEMAQ\0 plus more bytes to be long enough",
    ] {
        assert!(matches!(decode(bytes), Err(MapError::NotAMap)), "{bytes:?}");
    }
    let mut zero = FIXTURE.to_vec();
    zero[16..20].copy_from_slice(&0u32.to_be_bytes());
    assert!(matches!(decode(&zero), Err(MapError::NotAMap)));
    let e = decode(b"").expect_err("empty");
    assert!(
        e.to_string()
            .starts_with("these bytes are not a segcopy tape map"),
        "{e}"
    );
}

#[test]
fn newer_version() {
    let mut b = FIXTURE.to_vec();
    b[16..20].copy_from_slice(&2u32.to_be_bytes());
    match decode(&b) {
        Err(MapError::NewerVersion {
            found: 2,
            supported: 1,
        }) => {}
        other => panic!("expected NewerVersion, got {other:?}"),
    }
}

#[test]
fn truncated() {
    // Within the header.
    match decode(&FIXTURE[..20]) {
        Err(MapError::Truncated {
            needed: 32,
            have: 20,
        }) => {}
        other => panic!("expected Truncated, got {other:?}"),
    }
    // Within the JSON.
    let cut = FIXTURE.len() - 1;
    match decode(&FIXTURE[..cut]) {
        Err(MapError::Truncated { needed, have }) => {
            assert_eq!((needed, have), (FIXTURE.len() as u64, cut));
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
    // A length no buffer has.
    let mut huge = FIXTURE.to_vec();
    huge[20..24].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(decode(&huge), Err(MapError::Truncated { .. })));
}

#[test]
fn checksum_mismatch_on_any_flipped_json_byte() {
    for i in (32..FIXTURE.len()).step_by(37) {
        let mut b = FIXTURE.to_vec();
        b[i] ^= 0x01;
        assert!(
            matches!(decode(&b), Err(MapError::Checksum { .. })),
            "byte {i}"
        );
    }
    let mut b = FIXTURE.to_vec();
    b[24] ^= 0x80;
    let e = decode(&b).expect_err("bad crc");
    assert!(e.to_string().starts_with("the tape map is damaged"), "{e}");
}

#[test]
fn json_that_is_not_a_map() {
    let json = br#"{"barcode":"X"}"#;
    let mut b = Vec::new();
    b.extend_from_slice(&MAGIC);
    b.extend_from_slice(&1u32.to_be_bytes());
    b.extend_from_slice(&(json.len() as u32).to_be_bytes());
    b.extend_from_slice(&crc32c::crc32c(json).to_be_bytes());
    b.extend_from_slice(&0u32.to_be_bytes());
    b.extend_from_slice(json);
    let e = decode(&b).expect_err("not a map");
    assert!(matches!(e, MapError::Json(_)));
    assert!(
        std::error::Error::source(&e).is_some(),
        "serde's reason is the source"
    );
}

#[test]
fn reserved_is_written_zero_and_not_checked() {
    let mut b = FIXTURE.to_vec();
    b[28..32].copy_from_slice(&[1, 2, 3, 4]);
    assert_eq!(decode(&b).expect("decode"), sample());
}

/// The map of backup `id` written by [`MapWriter`] from `store`, in
/// pieces of at most 1,000 bytes, padded to `block_length`.
fn streamed(store: &dyn Store, id: i64, barcode: &str, written: i64, bl: u32) -> Vec<u8> {
    /// Takes at most 1,000 bytes a call, as a tape writer may.
    struct Pieces(Vec<u8>);
    impl Write for Pieces {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = buf.len().min(1000);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let head = store.backup_without_segments(id).expect("head");
    assert!(head.segments.is_empty());
    let w = MapWriter::new(store, &head, barcode, written).expect("measure");
    let mut out = Pieces(Vec::new());
    w.write(bl, &mut out).expect("write");
    assert_eq!(out.0.len() as u64, w.padded_len(bl));
    out.0
}

#[test]
fn a_map_written_from_the_catalog_is_the_fixture() {
    let store = crate::catalog::sqlite::SqliteStore::memory().expect("memory");
    let d = failover_detail();
    store.import(&d).expect("import");
    assert_eq!(
        streamed(&store, d.backup.id, "SEG002L6", T0 + 295, 0),
        FIXTURE
    );
    for bl in [512u32, 4096] {
        assert_eq!(
            streamed(&store, d.backup.id, "SEG002L6", T0 + 295, bl),
            encode(&sample(), bl).expect("encode")
        );
    }
    // A backup the catalog does not have: the catalog's error.
    let head = store.backup(d.backup.id).expect("detail");
    let mut other = head.clone();
    other.backup.id = 99;
    match MapWriter::new(&store, &other, "X", 0) {
        Err(e @ MapError::Store { backup: 99, .. }) => {
            assert!(e.to_string().contains("no backup 99"), "{e}")
        }
        Err(e) => panic!("expected the catalog's error, got {e:?}"),
        Ok(_) => panic!("a map of a backup the catalog does not have"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Streamed from the catalog, a map has [`encode`]'s bytes for the
    /// backup the catalog gives.
    #[test]
    fn a_streamed_map_is_the_encoded_one(
        detail in arb_detail(i64::MAX as u64),
        barcode in "[A-Z0-9]{0,8}",
        written in any::<i64>(),
        block_length in prop_oneof![Just(0u32), 1u32..70_000],
    ) {
        let store = crate::catalog::sqlite::SqliteStore::memory().expect("memory");
        store.import(&detail).expect("import");
        let id = detail.backup.id;
        let map = TapeMap {
            barcode: barcode.clone(),
            written,
            detail: store.backup(id).expect("detail"),
            catalog: None,
        };
        prop_assert_eq!(
            streamed(&store, id, &barcode, written, block_length),
            encode(&map, block_length).expect("encode")
        );
    }
}

proptest! {
    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn decode_never_panics_after_a_good_header(
        tail in proptest::collection::vec(any::<u8>(), 0..64),
        len in any::<u32>(),
        version in 0u32..4,
    ) {
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&version.to_be_bytes());
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(&crc32c::crc32c(&tail).to_be_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&tail);
        let _ = decode(&b);
    }

    #[test]
    fn encode_then_decode_is_the_identity(
        detail in arb_detail(u64::MAX),
        barcode in "[A-Z0-9]{0,8}",
        written in any::<i64>(),
        block_length in prop_oneof![Just(0u32), 1u32..70_000],
    ) {
        let map = TapeMap { barcode, written, detail, catalog: None };
        let bytes = encode(&map, block_length).expect("encode");
        if block_length > 0 {
            prop_assert_eq!(bytes.len() % block_length as usize, 0);
        }
        prop_assert_eq!(decode(&bytes).expect("decode"), map);
    }
}
