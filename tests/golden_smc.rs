//! Golden fixtures of the SMC (medium changer) structures: every file of
//! each kind parses, emits back byte for byte into a buffer pre-filled with
//! A5h, and decodes to the values its comments give.

mod common;

use std::collections::BTreeMap;

use segcopy::wire::mode::ModeParameterList6;
use segcopy::wire::smc::{
    ElementAddressAssignmentPage, ElementStatusData, ElementType, MediumType, MoveMediumCdb,
    ReadElementStatusCdb, StoredVolume,
};
use segcopy::wire::Repr;

/// Every fixture of `fixtures/wire/<kind>/`, parsed as `R` and emitted
/// back byte for byte (`common::round_trip`), keyed by file name.
fn round_trip<R: Repr + std::fmt::Debug>(kind: &str) -> BTreeMap<String, R> {
    common::round_trip::<R>(kind).into_iter().collect()
}

fn slot(address: u16, barcode: &str) -> StoredVolume {
    StoredVolume {
        address,
        barcode: Some(barcode.to_string()),
    }
}

#[test]
fn read_element_status_library() {
    let f = round_trip::<ElementStatusData>("read-element-status");
    let lib = &f["library.hex"];
    assert!(!lib.is_truncated());
    assert_eq!(lib.first_element_address_reported, 0);
    assert_eq!(lib.number_of_elements_available, 7);
    assert_eq!(lib.descriptor_count(), 7);
    let types: Vec<_> = lib.pages.iter().map(|p| p.element_type).collect();
    assert_eq!(
        types,
        [
            ElementType::MediumTransport,
            ElementType::Storage,
            ElementType::DataTransfer
        ]
    );
    assert!(lib.pages.iter().all(|p| p.pvoltag && !p.avoltag));
    assert!(lib.pages.iter().all(|p| p.element_descriptor_length == 52));

    let slots: Vec<_> = lib.full_slots().collect();
    assert_eq!(
        slots,
        [
            slot(1024, "SEG001L6"),
            slot(1025, "SEG002L6"),
            slot(1027, "SEG004L6")
        ]
    );
    let drives: Vec<_> = lib.drives().collect();
    assert_eq!(drives.len(), 2);
    assert_eq!(drives[0].address, 256);
    assert!(drives[0].loaded);
    assert_eq!(drives[0].source_slot, Some(1026));
    assert_eq!(drives[0].barcode.as_deref(), Some("SEG003L6"));
    assert!(!drives[1].loaded);
    assert_eq!(drives[1].source_slot, None);

    let (t, d) = lib.find(1026).unwrap();
    assert_eq!(t, ElementType::Storage);
    assert!(!d.is_full());
    assert_eq!(d.barcode(), None);
    let (t, d) = lib.find(0).unwrap();
    assert_eq!(t, ElementType::MediumTransport);
    assert!(!d.is_full());
    assert_eq!(lib.find(256).unwrap().1.medium_type, MediumType::Data);
    assert!(lib.find(1028).is_none());
}

#[test]
fn read_element_status_dvcid_and_cut() {
    let f = round_trip::<ElementStatusData>("read-element-status");
    let dv = &f["drives-dvcid.hex"];
    assert!(!dv.is_truncated());
    assert_eq!(dv.pages[0].element_descriptor_length, 86);
    let drives: Vec<_> = dv.drives().collect();
    let id = drives[0].identification.unwrap();
    assert_eq!((id.code_set, id.identifier_type), (2, 1));
    assert_eq!(id.identifier, b"IBM     ULT3580-TD6     1013000123");
    assert_eq!(drives[0].source_slot, Some(1026));
    assert_eq!(
        drives[1].identification.unwrap().identifier[24..],
        *b"1013000456"
    );

    let cut = &f["storage-cut.hex"];
    assert!(cut.is_truncated());
    assert!(cut.pages[0].is_truncated());
    assert_eq!(cut.descriptor_count(), 2);
    assert_eq!(cut.number_of_elements_available, 4);
    assert_eq!(cut.needed_allocation_length(), 224);
    assert_eq!(
        cut.full_slots().collect::<Vec<_>>(),
        [slot(1024, "SEG001L6"), slot(1025, "SEG002L6")]
    );
}

#[test]
fn element_address_page() {
    let f = round_trip::<ElementAddressAssignmentPage>("element-address-page");
    let lib = &f["library.hex"];
    assert_eq!(lib.range(ElementType::MediumTransport), Some(0..1));
    assert_eq!(lib.range(ElementType::Storage), Some(1024..1028));
    assert_eq!(lib.range(ElementType::ImportExport), Some(0..0));
    assert_eq!(lib.range(ElementType::DataTransfer), Some(256..258));
    assert_eq!(lib.element_type_of(257), Some(ElementType::DataTransfer));
    let big = &f["savable-with-mail-slots.hex"];
    assert!(big.ps);
    assert_eq!(big.element_type_of(17), Some(ElementType::ImportExport));
    assert_eq!(big.range(ElementType::Storage), Some(4096..4120));

    // The same page inside a MODE SENSE(6) answer (the shared mode section).
    let list = &round_trip::<ModeParameterList6>("mode-param-list6")["changer-element-address.hex"];
    let page = list
        .find_page(ElementAddressAssignmentPage::PAGE_CODE, None)
        .unwrap();
    assert_eq!(
        ElementAddressAssignmentPage::from_mode_page(page).unwrap(),
        *lib
    );
    assert_eq!(lib.to_mode_page(), *page);
}

#[test]
fn cdb_read_element_status() {
    let f = round_trip::<ReadElementStatusCdb>("cdb-read-element-status");
    assert_eq!(
        f["all-voltag.hex"],
        ReadElementStatusCdb::new(ElementType::All, 0, 0xffff, 1024).voltag(true)
    );
    assert_eq!(
        f["drives-dvcid.hex"],
        ReadElementStatusCdb::new(ElementType::DataTransfer, 256, 2, 188)
            .voltag(true)
            .curdata(true)
            .dvcid(true)
    );
}

#[test]
fn cdb_move_medium() {
    let f = round_trip::<MoveMediumCdb>("cdb-move-medium");
    assert_eq!(f["slot-to-drive.hex"], MoveMediumCdb::new(0, 1026, 256));
    assert_eq!(f["drive-to-slot.hex"], MoveMediumCdb::new(0, 256, 1026));
}
