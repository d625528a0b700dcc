//! Golden SBC and SPC command bytes: READ CAPACITY (16) data and CDB,
//! READ (16), WRITE (16), INQUIRY, TEST UNIT READY and REQUEST SENSE CDBs.
//! Each fixture parses, emits back byte for byte, and decodes to the values
//! its comments give.

mod common;

use common::round_trip;
use segcopy::wire::inquiry::InquiryCdb;
use segcopy::wire::sbc::{
    Read16Cdb, ReadCapacity16, ReadCapacity16Cdb, RequestSenseCdb, TestUnitReadyCdb, Write16Cdb,
};

fn one<R: segcopy::wire::Repr + std::fmt::Debug>(kind: &str, name: &str) -> R {
    round_trip::<R>(kind)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no fixture {kind}/{name}"))
        .1
}

#[test]
fn read_capacity16_64mib() {
    let all = round_trip::<ReadCapacity16>("read-capacity16");
    assert!(!all.is_empty());
    let c: ReadCapacity16 = one("read-capacity16", "lio-fileio-64mib-512.hex");
    assert_eq!(c.returned_lba, 0x1ffff);
    assert_eq!(c.block_length, 512);
    assert_eq!(c.capacity_blocks(), Some(131_072));
    assert_eq!(c.capacity_bytes(), Some(64 * 1024 * 1024));
    assert!(!c.prot_en && !c.lbpme && !c.lbprz);
    assert_eq!((c.lbppbe, c.lowest_aligned_lba), (0, 0));
    assert_eq!(c, ReadCapacity16::new(131_072, 512).unwrap());
}

#[test]
fn read_capacity16_cdb() {
    let c: ReadCapacity16Cdb = one("cdb-read-capacity16", "alloc-32.hex");
    assert_eq!(c, ReadCapacity16Cdb::new(32));
}

#[test]
fn read16_cdbs() {
    let all = round_trip::<Read16Cdb>("cdb-read16");
    assert_eq!(all.len(), 2);
    let r: Read16Cdb = one("cdb-read16", "read-65535-at-128k.hex");
    assert_eq!(r, Read16Cdb::new(0x20000, 65535));
    assert_eq!(r.end_lba(), Some(0x2ffff));
    let f: Read16Cdb = one("cdb-read16", "read-fua-dpo-group.hex");
    assert_eq!(
        f,
        Read16Cdb::new(0x1ffff, 1)
            .fua(true)
            .dpo(true)
            .group_number(5)
    );
}

#[test]
fn write16_cdb() {
    let w: Write16Cdb = one("cdb-write16", "write-fua-2048.hex");
    assert_eq!(w, Write16Cdb::new(0x800, 2048).fua(true));
    assert_eq!(w.end_lba(), Some(0x1000));
}

#[test]
fn inquiry_cdbs() {
    let all = round_trip::<InquiryCdb>("cdb-inquiry");
    assert_eq!(all.len(), 2);
    let s: InquiryCdb = one("cdb-inquiry", "standard-36.hex");
    assert_eq!(s, InquiryCdb::new(36));
    let v: InquiryCdb = one("cdb-inquiry", "evpd-83.hex");
    assert_eq!(v, InquiryCdb::new(255).vpd_page(0x83));
}

#[test]
fn test_unit_ready_cdb() {
    let t: TestUnitReadyCdb = one("cdb-tur", "tur.hex");
    assert_eq!(t, TestUnitReadyCdb::new());
}

#[test]
fn request_sense_cdbs() {
    let all = round_trip::<RequestSenseCdb>("cdb-request-sense");
    assert_eq!(all.len(), 2);
    let f: RequestSenseCdb = one("cdb-request-sense", "fixed-252.hex");
    assert_eq!(f, RequestSenseCdb::new(252));
    let d: RequestSenseCdb = one("cdb-request-sense", "descriptor-252.hex");
    assert_eq!(d, RequestSenseCdb::new(252).descriptor_format(true));
}
