//! Bytes captured from LIO in the lab (`fixtures/lio/`) parse with segcopy's
//! wire formats and emit back byte for byte — real device answers, not
//! only bytes worked from the standard.

use std::path::Path;

use segcopy::wire::inquiry::StandardInquiry;
use segcopy::wire::rcr::OperatingParameters;
use segcopy::wire::sbc::ReadCapacity16;
use segcopy::wire::vpd::{DesignatorType, DeviceIdentification};
use segcopy::wire::{hexfile, Repr};

fn captured(kind: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/lio")
        .join(kind);
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "hex"))
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            assert!(
                t.contains("captured from LIO"),
                "{}: no provenance",
                p.display()
            );
            (p.display().to_string(), hexfile::parse(&t).unwrap())
        })
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no captures in {}", dir.display());
    v
}

fn round_trip<R: Repr + std::fmt::Debug>(kind: &str) -> Vec<R> {
    captured(kind)
        .into_iter()
        .map(|(name, bytes)| {
            let r = R::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(r.to_vec().unwrap(), bytes, "{name}: emit differs");
            r
        })
        .collect()
}

#[test]
fn lio_inquiry() {
    for q in round_trip::<StandardInquiry>("inquiry-standard") {
        assert_eq!(q.vendor_str(), "LIO-ORG");
        assert!(q.third_party_copy, "LIO advertises 3PC");
    }
}

#[test]
fn lio_device_identification() {
    for p in round_trip::<DeviceIdentification>("vpd-83") {
        let best = p.best_for_cscd().expect("an E4h-usable designator");
        assert_eq!(best.designator_type, DesignatorType::Naa);
        assert_eq!(best.value.len(), 16);
        assert_eq!(best.value[0] >> 4, 6, "NAA 6");
    }
}

#[test]
fn lio_operating_parameters() {
    let p = round_trip::<OperatingParameters>("rcr-operating-parameters");
    assert_eq!(p[0].max_segment_descriptors, 1);
    assert_eq!(p[0].implemented_descriptor_codes, vec![0x02, 0xe4]);
}

#[test]
fn lio_read_capacity() {
    for c in round_trip::<ReadCapacity16>("read-capacity16") {
        assert!(c.block_length == 512 || c.block_length == 4096);
    }
}
