//! Golden standard INQUIRY data: every fixture of
//! `fixtures/wire/inquiry-standard/` parses as `StandardInquiry`, emits back
//! byte for byte, and decodes to the values its comments give.

mod common;

use common::round_trip;
use segcopy::wire::inquiry::{PeripheralDeviceType, StandardInquiry, Version};

fn fixture(name: &str) -> StandardInquiry {
    round_trip::<StandardInquiry>("inquiry-standard")
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .1
}

#[test]
fn every_standard_inquiry_round_trips() {
    assert!(round_trip::<StandardInquiry>("inquiry-standard").len() >= 3);
}

#[test]
fn lio_fileio() {
    let s = fixture("lio-fileio.hex");
    assert_eq!(s.peripheral_qualifier, 0);
    assert_eq!(s.device_type, PeripheralDeviceType::DirectAccessBlock);
    assert_eq!(s.version, Version::Spc4);
    assert!(s.third_party_copy, "LIO advertises EXTENDED COPY");
    assert!(s.sccs && s.cmdque && !s.rmb && !s.multip && !s.protect);
    assert_eq!(s.tpgs, 3);
    assert_eq!(s.response_data_format, 2);
    assert_eq!(
        (s.vendor_str(), s.product_str(), s.revision_str()),
        (
            "LIO-ORG".to_string(),
            "FILEIO".to_string(),
            "4.0".to_string()
        )
    );
    assert_eq!(
        s.version_descriptors(),
        vec![0x00a0, 0x0c60, 0x0460, 0x04c0]
    );
    assert_eq!(s.declared_len(), 96);
    assert!(!s.is_truncated());
}

#[test]
fn lio_fileio_allocation_length_36() {
    let s = fixture("lio-fileio-alloc36.hex");
    assert!(s.is_truncated());
    assert_eq!(s.declared_len(), 96);
    assert!(s.third_party_copy);
    assert_eq!(s.product_str(), "FILEIO");
    let full = fixture("lio-fileio.hex");
    assert_eq!(
        StandardInquiry {
            extra: Vec::new(),
            ..full
        },
        s
    );
}

#[test]
fn tgt_virtual_tape() {
    let s = fixture("tgt-virtual-tape.hex");
    assert_eq!(s.device_type, PeripheralDeviceType::SequentialAccess);
    assert_eq!(s.version, Version::Spc3);
    assert!(s.rmb && s.cmdque);
    // tgt writes 42h in byte 3: the obsolete bit 6, not HISUP (bit 4).
    assert!(!s.hisup);
    assert_eq!(s.other_flags[0], 0x40);
    assert!(!s.third_party_copy, "tgt has no copy manager");
    assert_eq!(s.vendor_str(), "IET");
    assert_eq!(s.product_str(), "VIRTUAL-TAPE"); // NUL padding trimmed
    assert_eq!(s.revision_str(), "0001");
    assert_eq!(s.version_descriptors(), vec![0x0200, 0x0960, 0x0300]);
    assert_eq!(
        s.to_string(),
        "IET VIRTUAL-TAPE 0001: sequential access device (tape), SPC-3, removable"
    );
}
