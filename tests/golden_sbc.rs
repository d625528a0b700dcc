//! Golden SBC and SPC command bytes: READ CAPACITY (10) and (16) data and
//! CDBs, READ (10) and (16), WRITE (10) and (16), SYNCHRONIZE CACHE (10) and
//! (16), MODE SENSE (10) and a disk's MODE SENSE (10) data, INQUIRY, TEST
//! UNIT READY and REQUEST SENSE CDBs. Each fixture parses, emits back byte
//! for byte, and decodes to the values its comments give.

mod common;

use common::round_trip;
use segcopy::wire::inquiry::InquiryCdb;
use segcopy::wire::mode::{ModeListKind, ModeParameterList10, ModeSense10Cdb};
use segcopy::wire::sbc::{
    CachingModePage, DiskDeviceSpecific, Read10Cdb, Read16Cdb, ReadCapacity10, ReadCapacity10Cdb,
    ReadCapacity16, ReadCapacity16Cdb, RequestSenseCdb, ShortLbaBlockDescriptor,
    SynchronizeCache10Cdb, SynchronizeCache16Cdb, TestUnitReadyCdb, Write10Cdb, Write16Cdb,
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

#[test]
fn read10_write10_cdbs() {
    let r: Read10Cdb = one("cdb-read10", "sd-read-8-at-2048.hex");
    assert_eq!(r, Read10Cdb::new(2048, 8));
    assert_eq!(Read16Cdb::from(r), Read16Cdb::new(2048, 8));
    let w: Write10Cdb = one("cdb-write10", "fua-1-at-last-lba.hex");
    assert_eq!(w, Write10Cdb::new(u32::MAX, 1).fua(true));
    assert_eq!(w.end_lba(), 1 << 32);
}

#[test]
fn read_capacity10() {
    let c: ReadCapacity10Cdb = one("cdb-read-capacity10", "sg-readcap.hex");
    assert_eq!(c, ReadCapacity10Cdb::new());
    let small: ReadCapacity10 = one("read-capacity10", "lio-fileio-64mib-512.hex");
    assert_eq!(small, ReadCapacity10::new(131_072, 512).unwrap());
    assert_eq!(small.capacity_blocks(), Some(131_072));
    let big: ReadCapacity10 = one("read-capacity10", "past-2tib-512.hex");
    assert_eq!(big, ReadCapacity10::new((1 << 32) + 2048, 512).unwrap());
    assert!(big.needs_read_capacity16());
    assert_eq!(big.capacity_blocks(), None);
}

#[test]
fn synchronize_cache_cdbs() {
    let c: SynchronizeCache10Cdb = one("cdb-synchronize-cache10", "sd-flush.hex");
    assert_eq!(c, SynchronizeCache10Cdb::new(0, 0));
    let c: SynchronizeCache16Cdb = one("cdb-synchronize-cache16", "immed-range.hex");
    assert_eq!(c, SynchronizeCache16Cdb::new(1 << 32, 2048).immed(true));
}

#[test]
fn mode_sense10_of_a_disk() {
    let c: ModeSense10Cdb = one("cdb-mode-sense10", "caching-page.hex");
    assert_eq!(c, ModeSense10Cdb::new(0x08, 512));
    let l: ModeParameterList10 = one("mode-param-list10", "disk-caching-page.hex");
    assert_eq!(l.kind, ModeListKind::Sense);
    assert_eq!(
        DiskDeviceSpecific::from_byte(l.device_specific),
        DiskDeviceSpecific {
            write_protected: false,
            dpofua: true
        }
    );
    let d = ShortLbaBlockDescriptor::from_block_descriptor(&l.block_descriptors[0]).unwrap();
    assert_eq!(d, ShortLbaBlockDescriptor::for_capacity(131_072, 512));
    let p = CachingModePage::from_mode_page(l.find_page(0x08, None).unwrap()).unwrap();
    assert_eq!(
        p,
        CachingModePage {
            dra: true,
            ..CachingModePage::default()
        }
    );
}
