//! The simulated disk through the `Transport` trait: every command it
//! answers (READ/WRITE (10) and (16), READ CAPACITY (10) and (16),
//! SYNCHRONIZE CACHE, MODE SENSE (6) and (10), INQUIRY with its VPD pages,
//! and the common ones), every
//! error case with its exact sense, the faults that concern a disk (medium
//! error, gone, hang, a sense, random at a seed), the copy-manager data
//! path, and a file-backed disk surviving a "process restart".

mod common;

use common::scsi::{any_cdb, cdb, data_in, data_out, good, none, pattern, sense, tmp_dir, T};
use std::sync::Arc;

use proptest::prelude::*;
use segcopy::sim::cm::{CopyManager, Profile};
use segcopy::sim::common::naa_for;
use segcopy::sim::disk::{Backing, SimDisk};
use segcopy::sim::{BlockTarget, Fabric, SimTransport, TargetError};
use segcopy::transport::fault::{Effect, Fault, FaultPlan, Trigger};
use segcopy::transport::{
    Completion, DataDirection, HostStatus, ScsiStatus, Transport, TransportError,
};
use segcopy::wire::inquiry::{InquiryCdb, StandardInquiry};
use segcopy::wire::mode::{
    BlockDescriptor, ControlModePage, ModeParameterList10, ModeParameterList6, ModeSense10Cdb,
    ModeSense6Cdb, PageControl,
};
use segcopy::wire::sbc::{
    CachingModePage, DiskDeviceSpecific, Read10Cdb, Read16Cdb, ReadCapacity10, ReadCapacity10Cdb,
    ReadCapacity16Cdb, RequestSenseCdb, ShortLbaBlockDescriptor, SynchronizeCache10Cdb,
    SynchronizeCache16Cdb, TestUnitReadyCdb, Write10Cdb, Write16Cdb,
};
use segcopy::wire::sense::{SenseData, SenseKey};
use segcopy::wire::vpd::{
    BlockDeviceCharacteristics, BlockLimits, DeviceIdentification, ExtendedInquiryData,
    LogicalBlockProvisioning, SupportedPages,
};
use segcopy::wire::Repr;

fn fabric_with(disks: &[(&str, u32, u64)], faults: Vec<Fault>) -> Arc<Fabric> {
    let plan = Arc::new(FaultPlan::new(faults));
    let mut f = Fabric::with_faults(Arc::clone(&plan));
    for &(name, bl, blocks) in disks {
        let d = SimDisk::new(name, bl, blocks, Backing::Memory).unwrap();
        f.add(d).unwrap();
    }
    Arc::new(f)
}

fn disk(name: &str, bl: u32, blocks: u64, faults: Vec<Fault>) -> SimTransport {
    fabric_with(&[(name, bl, blocks)], faults)
        .transport(name)
        .unwrap()
}

fn read(t: &SimTransport, lba: u64, blocks: u32, bl: usize) -> (Completion, Vec<u8>) {
    data_in(t, &cdb(&Read16Cdb::new(lba, blocks)), blocks as usize * bl)
}

fn write(t: &SimTransport, lba: u64, data: &[u8], bl: usize) -> Completion {
    let blocks = (data.len() / bl) as u32;
    data_out(t, &cdb(&Write16Cdb::new(lba, blocks)), data)
}

#[test]
fn inquiry_and_vpd_identify_a_disk() {
    let t = disk("disk0", 512, 64, vec![]);
    let (c, buf) = data_in(&t, &cdb(&InquiryCdb::new(96)), 96);
    good(&c);
    let q = StandardInquiry::parse(&buf[..c.transferred]).unwrap();
    assert_eq!(q.device_type.bits(), 0x00);
    assert_eq!(q.vendor_str(), "SEGCOPY");
    assert_eq!(q.product_str(), "SIMDISK");
    let (c, buf) = data_in(&t, &cdb(&InquiryCdb::new(64).vpd_page(0x00)), 64);
    good(&c);
    let pages = SupportedPages::parse(&buf[..c.transferred]).unwrap();
    assert_eq!(pages.pages, [0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2]);
    let (c, buf) = data_in(&t, &cdb(&InquiryCdb::new(255).vpd_page(0x83)), 255);
    good(&c);
    let id = DeviceIdentification::parse(&buf[..c.transferred]).unwrap();
    assert_eq!(id.best_for_cscd().unwrap().value, naa_for("disk0"));
    // No Third-party Copy page on a bare disk.
    let (c, _) = data_in(&t, &cdb(&InquiryCdb::new(255).vpd_page(0x8f)), 255);
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
}

/// A VPD page of `t`, asked with an allocation length of 255.
fn vpd(t: &impl Transport, page: u8) -> Vec<u8> {
    let (c, buf) = data_in(t, &cdb(&InquiryCdb::new(255).vpd_page(page)), 255);
    good(&c);
    assert_eq!(c.transferred + c.resid, 255);
    assert!(buf[c.transferred..].iter().all(|&b| b == 0xa5));
    buf[..c.transferred].to_vec()
}

/// The disk's Extended INQUIRY Data page: LIO fileio's (kernel 6.1,
/// `spc_emulate_evpd_86`, no protection information, WCE 0).
fn golden_86() -> Vec<u8> {
    let mut p = vec![0u8; 64];
    p[1] = 0x86; // PAGE CODE (byte 0: PERIPHERAL DEVICE TYPE 00h)
    p[3] = 0x3c; // PAGE LENGTH 60
                 // byte 4: ACTIVATE MICROCODE, SPT, GRD_CHK, APP_CHK, REF_CHK: 0
    p[5] = 0x07; // HEADSUP, ORDSUP, SIMPSUP
                 // byte 6: V_SUP 0 (no write cache); byte 8: R_SUP 0; bytes 9-63: 0
    p
}

/// The disk's Block Limits page for `max` blocks of MAXIMUM and OPTIMAL
/// TRANSFER LENGTH: LIO fileio's page without thin provisioning, which
/// stops after MAXIMUM PREFETCH LENGTH, with MAXIMUM COMPARE AND WRITE
/// LENGTH 0 where LIO says 1 (no COMPARE AND WRITE here).
#[rustfmt::skip]
fn golden_b0(max: u32) -> Vec<u8> {
    let m = max.to_be_bytes();
    vec![
        0x00, 0xb0, 0x00, 0x10, // PDT 00h, PAGE CODE B0h, PAGE LENGTH 16
        0x01,                   // WSNZ
        0x00,                   // MAXIMUM COMPARE AND WRITE LENGTH 0
        0x00, 0x01,             // OPTIMAL TRANSFER LENGTH GRANULARITY 1
        m[0], m[1], m[2], m[3], // MAXIMUM TRANSFER LENGTH: 8 MiB in blocks
        m[0], m[1], m[2], m[3], // OPTIMAL TRANSFER LENGTH: the same
        0x00, 0x00, 0x00, 0x00, // MAXIMUM PREFETCH LENGTH 0
    ]
}

#[test]
fn vpd_pages_of_a_disk_byte_for_byte() {
    for (bl, max) in [(512u32, 16384u32), (4096, 2048)] {
        let t = disk("d", bl, 1 << 16, vec![]);
        assert_eq!(vpd(&t, 0x86), golden_86());
        assert_eq!(vpd(&t, 0xb0), golden_b0(max));
        // Block Device Characteristics: MEDIUM ROTATION RATE 0 (not
        // reported), PRODUCT TYPE 0, NOMINAL FORM FACTOR 0, as LIO on a file.
        let mut b1 = vec![0u8; 64];
        b1[1] = 0xb1; // PAGE CODE B1h
        b1[3] = 0x3c; // PAGE LENGTH 60; bytes 4-63 zero
        assert_eq!(vpd(&t, 0xb1), b1);
        #[rustfmt::skip]
        let b2 = [
            0x00, 0xb2, 0x00, 0x04, // PDT 00h, PAGE CODE B2h, PAGE LENGTH 4
            0x00,                   // THRESHOLD EXPONENT 0
            0x00,                   // LBPU, LBPWS, LBPWS10, LBPRZ, ANC_SUP, DP: 0
            0x00,                   // PROVISIONING TYPE 0
            0x00,                   // reserved
        ];
        assert_eq!(vpd(&t, 0xb2), b2);
        // And they decode to what they say.
        let bl_page = BlockLimits::parse(&vpd(&t, 0xb0)).unwrap();
        assert_eq!(bl_page.maximum_transfer_length * bl, 8 << 20);
        assert_eq!(bl_page.maximum_unmap_lba_count, 0);
        assert_eq!(bl_page.maximum_write_same_length, 0);
        let x = ExtendedInquiryData::parse(&vpd(&t, 0x86)).unwrap();
        assert!(!x.grd_chk && !x.app_chk && !x.ref_chk && x.spt == 0);
        assert_eq!(
            BlockDeviceCharacteristics::parse(&vpd(&t, 0xb1))
                .unwrap()
                .medium_rotation_rate,
            0
        );
        let p = LogicalBlockProvisioning::parse(&vpd(&t, 0xb2)).unwrap();
        assert!(!p.lbpu && !p.lbpws && !p.lbpws10 && p.provisioning_group.is_none());
        // Every page 00h lists is answered, as libiscsi's SupportedVPD
        // test asks; one it does not list is INVALID FIELD IN CDB.
        let pages = SupportedPages::parse(&vpd(&t, 0x00)).unwrap();
        for &p in &pages.pages {
            vpd(&t, p);
        }
        let (c, _) = data_in(&t, &cdb(&InquiryCdb::new(255).vpd_page(0xb3)), 255);
        sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    }
}

#[test]
fn vpd_pages_are_cut_by_the_allocation_length() {
    let t = disk("d", 512, 64, vec![]);
    // libiscsi asks for 64 bytes of B0h first: all 20 come, the rest is
    // residual.
    let (c, buf) = data_in(&t, &cdb(&InquiryCdb::new(64).vpd_page(0xb0)), 64);
    good(&c);
    assert_eq!((c.transferred, c.resid), (20, 44));
    assert_eq!(buf[..20], golden_b0(16384)[..]);
    // An allocation length of 8: the first eight bytes.
    let (c, buf) = data_in(&t, &cdb(&InquiryCdb::new(8).vpd_page(0x86)), 8);
    good(&c);
    assert_eq!(c.transferred, 8);
    assert_eq!(buf, golden_86()[..8]);
}

#[test]
fn a_copy_manager_on_a_disk_lists_the_disk_pages_in_order() {
    // LIO's profile has no Third-party Copy page, as LIO has none: the
    // list is LIO's own but for B3h (Referrals), which is not simulated.
    // The standard profile puts 8Fh between 86h and B0h.
    for (profile, want) in [
        (
            Profile::lio(),
            &[0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2][..],
        ),
        (
            Profile::standard(),
            &[0x00, 0x80, 0x83, 0x86, 0x8f, 0xb0, 0xb1, 0xb2][..],
        ),
    ] {
        let d = SimDisk::new("lu", 512, 1 << 16, Backing::Memory).unwrap();
        let id = d.identity().clone();
        let mut f = Fabric::new();
        f.add(CopyManager::on_disk(d, id, profile)).unwrap();
        let t = Arc::new(f).transport("lu").unwrap();
        let pages = SupportedPages::parse(&vpd(&t, 0x00)).unwrap();
        assert_eq!(pages.pages, want);
        assert_eq!(vpd(&t, 0xb0), golden_b0(16384));
        assert_eq!(vpd(&t, 0x86), golden_86());
    }
    // A copy manager alone (peripheral device type 03h) is no disk: no
    // 86h and no B0h-B2h, as before.
    let mut f = Fabric::new();
    f.add(CopyManager::standalone("cm", Profile::standard()))
        .unwrap();
    let t = Arc::new(f).transport("cm").unwrap();
    let pages = SupportedPages::parse(&vpd(&t, 0x00)).unwrap();
    assert_eq!(pages.pages, [0x00, 0x80, 0x83, 0x8f]);
    let (c, _) = data_in(&t, &cdb(&InquiryCdb::new(255).vpd_page(0xb0)), 255);
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
}

/// LIO's sense for a READ or WRITE with RDPROTECT/WRPROTECT on a LUN
/// without protection information (`sbc_check_prot` → TCM_INVALID_CDB_FIELD,
/// as captured for other INVALID FIELD IN CDB answers in
/// fixtures/lio/behaviour.tsv): fixed format, no field pointer.
#[rustfmt::skip]
const LIO_INVALID_FIELD_IN_CDB: [u8; 18] = [
    0x70, 0x00,             // current, fixed format; obsolete
    0x05,                   // ILLEGAL REQUEST
    0x00, 0x00, 0x00, 0x00, // INFORMATION
    0x0a,                   // ADDITIONAL SENSE LENGTH 10
    0x00, 0x00, 0x00, 0x00, // COMMAND-SPECIFIC INFORMATION
    0x24, 0x00,             // INVALID FIELD IN CDB
    0x00,                   // FIELD REPLACEABLE UNIT CODE
    0x00, 0x00, 0x00,       // SKSV 0: no field pointer
];

#[test]
fn rdprotect_and_wrprotect_are_refused_without_protection_information() {
    for bl in [512usize, 4096] {
        let t = disk("d", bl as u32, 64, vec![]);
        // What libiscsi looks at before expecting the refusal: PROTECT 0 in
        // the standard INQUIRY data, PROT_EN 0 in READ CAPACITY (16).
        let (c, buf) = data_in(&t, &cdb(&InquiryCdb::new(96)), 96);
        good(&c);
        assert!(
            !StandardInquiry::parse(&buf[..c.transferred])
                .unwrap()
                .protect
        );
        let (c, buf) = data_in(&t, &cdb(&ReadCapacity16Cdb::new(32)), 32);
        good(&c);
        assert_eq!(buf[12] & 1, 0, "PROT_EN");
        let data = pattern(bl, 0x3c);
        for protect in 1u8..8 {
            let mut r10 = Read10Cdb::new(0, 1);
            r10.rdprotect = protect;
            let mut r16 = Read16Cdb::new(0, 1);
            r16.rdprotect = protect;
            let mut w10 = Write10Cdb::new(0, 1);
            w10.wrprotect = protect;
            let mut w16 = Write16Cdb::new(0, 1);
            w16.wrprotect = protect;
            for r in [cdb(&r10), cdb(&r16)] {
                assert_eq!(r[1] >> 5, protect);
                let (c, buf) = data_in(&t, &r, bl);
                sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
                assert_eq!(c.sense, LIO_INVALID_FIELD_IN_CDB);
                assert_eq!(c.transferred, 0);
                assert!(buf.iter().all(|&b| b == 0xa5));
            }
            for w in [cdb(&w10), cdb(&w16)] {
                let c = data_out(&t, &w, &data);
                assert_eq!(c.sense, LIO_INVALID_FIELD_IN_CDB);
            }
        }
        // Nothing was written; RDPROTECT 0 reads as before.
        let (c, back) = read10(&t, 0, 1, bl);
        good(&c);
        assert!(back.iter().all(|&b| b == 0));
        // Checked before the LBA range, as LIO checks it.
        let mut past = Read16Cdb::new(64, 1);
        past.rdprotect = 3;
        let (c, _) = data_in(&t, &cdb(&past), bl);
        assert_eq!(c.sense, LIO_INVALID_FIELD_IN_CDB);
        let mut past = Write10Cdb::new(64, 1);
        past.wrprotect = 3;
        assert_eq!(
            data_out(&t, &cdb(&past), &data).sense,
            LIO_INVALID_FIELD_IN_CDB
        );
    }
}

#[test]
fn read_capacity16_golden() {
    let t = disk("d", 512, 2048, vec![]);
    let (c, buf) = data_in(&t, &cdb(&ReadCapacity16Cdb::new(32)), 32);
    good(&c);
    assert_eq!(c.transferred, 32);
    #[rustfmt::skip]
    let want = [
        0, 0, 0, 0, 0, 0, 0x07, 0xff, // RETURNED LOGICAL BLOCK ADDRESS: 2047
        0, 0, 0x02, 0x00,             // LOGICAL BLOCK LENGTH IN BYTES: 512
        0,                            // P_TYPE, PROT_EN
        0,                            // P_I_EXPONENT, LBPPBE
        0, 0,                         // LBPME, LBPRZ, LOWEST ALIGNED LBA
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // reserved
    ];
    assert_eq!(buf, want);
    // 4096-byte blocks; the allocation length cuts the answer.
    let t = disk("d", 4096, 1 << 20, vec![]);
    let (c, buf) = data_in(&t, &cdb(&ReadCapacity16Cdb::new(12)), 32);
    good(&c);
    assert_eq!((c.transferred, c.resid), (12, 20));
    assert_eq!(
        buf[..12],
        [0, 0, 0, 0, 0, 0x0f, 0xff, 0xff, 0, 0, 0x10, 0x00]
    );
    assert!(buf[12..].iter().all(|&b| b == 0xa5));
}

#[test]
fn another_service_action_in_16_is_an_invalid_field() {
    let t = disk("d", 512, 8, vec![]);
    let mut c16 = cdb(&ReadCapacity16Cdb::new(32));
    c16[1] = 0x12; // GET LBA STATUS, not simulated
    let (c, _) = data_in(&t, &c16, 32);
    let s = sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    assert_eq!(s.field_pointer().unwrap().field_pointer, 1);
}

#[test]
fn write_then_read_back_both_block_sizes() {
    for bl in [512usize, 4096] {
        // Enough blocks that transfers cross a 1 MiB chunk boundary.
        let blocks = (3 << 20) / bl as u64;
        let t = disk("d", bl as u32, blocks, vec![]);
        let lba = ((1 << 20) / bl - 2) as u64;
        let data = pattern(5 * bl, bl as u8);
        let c = write(&t, lba, &data, bl);
        good(&c);
        assert_eq!(c.transferred, data.len());
        let (c, back) = read(&t, lba, 5, bl);
        good(&c);
        assert_eq!((c.transferred, c.resid), (data.len(), 0));
        assert_eq!(back, data);
        // Unwritten blocks read as zeros, including the last one.
        let (c, back) = read(&t, blocks - 1, 1, bl);
        good(&c);
        assert!(back.iter().all(|&b| b == 0));
    }
}

#[test]
fn lba_out_of_range() {
    let t = disk("d", 512, 100, vec![]);
    for (lba, n) in [
        (100u64, 1u32),
        (99, 2),
        (u64::MAX, 1),
        (u64::MAX - 1, 0xffff_ffff),
    ] {
        let (c, _) = read(&t, lba, n.min(4), 512);
        let mut c16 = Read16Cdb::new(lba, n);
        c16.transfer_length = n;
        let (c2, _) = data_in(&t, &cdb(&c16), 512);
        for c in [c, c2] {
            let s = sense(&c, SenseKey::IllegalRequest, 0x21, 0x00);
            assert_eq!(s.to_vec().unwrap()[..3], [0x70, 0x00, 0x05]);
        }
        let w = data_out(&t, &cdb(&Write16Cdb::new(lba, n)), &[0u8; 512]);
        sense(&w, SenseKey::IllegalRequest, 0x21, 0x00);
    }
    // The last block, and a zero-length transfer at the end, are fine.
    good(&read(&t, 99, 1, 512).0);
    let (c, _) = data_in(&t, &cdb(&Read16Cdb::new(100, 0)), 0);
    good(&c);
    // Zero blocks past the end is still out of range.
    let (c, _) = data_in(&t, &cdb(&Read16Cdb::new(101, 0)), 0);
    sense(&c, SenseKey::IllegalRequest, 0x21, 0x00);
}

#[test]
fn transfer_length_zero_moves_nothing() {
    let t = disk("d", 512, 8, vec![]);
    let (c, buf) = data_in(&t, &cdb(&Read16Cdb::new(0, 0)), 16);
    good(&c);
    assert_eq!((c.transferred, c.resid), (0, 16));
    assert!(buf.iter().all(|&b| b == 0xa5));
    good(&data_out(&t, &cdb(&Write16Cdb::new(0, 0)), &[]));
}

#[test]
fn data_in_buffer_size_gives_the_residual() {
    let t = disk("d", 512, 8, vec![]);
    let data = pattern(1024, 7);
    good(&write(&t, 2, &data, 512));
    // A larger buffer: all the data, the rest residual, untouched.
    let (c, buf) = data_in(&t, &cdb(&Read16Cdb::new(2, 2)), 1500);
    good(&c);
    assert_eq!((c.transferred, c.resid), (1024, 476));
    assert_eq!(buf[..1024], data[..]);
    assert!(buf[1024..].iter().all(|&b| b == 0xa5));
    // A smaller one: as much as fits.
    let (c, buf) = data_in(&t, &cdb(&Read16Cdb::new(2, 2)), 700);
    good(&c);
    assert_eq!((c.transferred, c.resid), (700, 0));
    assert_eq!(buf[..], data[..700]);
}

#[test]
fn data_out_of_another_size_is_refused_and_nothing_is_written() {
    let t = disk("d", 512, 8, vec![]);
    for len in [511usize, 513, 0, 1024] {
        let c = data_out(&t, &cdb(&Write16Cdb::new(0, 1)), &vec![0xff; len]);
        if len == 512 {
            continue;
        }
        let s = sense(&c, SenseKey::IllegalRequest, 0x0e, 0x03);
        assert_eq!(s.field_pointer(), None);
    }
    let c = t
        .execute(&cdb(&Write16Cdb::new(0, 1)), DataDirection::None, T)
        .unwrap();
    sense(&c, SenseKey::IllegalRequest, 0x0e, 0x03);
    let (_, back) = read(&t, 0, 1, 512);
    assert!(back.iter().all(|&b| b == 0));
}

#[test]
fn test_unit_ready_request_sense_and_unknown_opcodes() {
    let t = disk("d", 512, 8, vec![]);
    good(
        &t.execute(&cdb(&TestUnitReadyCdb::new()), DataDirection::None, T)
            .unwrap(),
    );
    let (c, buf) = data_in(&t, &cdb(&RequestSenseCdb::new(252)), 252);
    good(&c);
    assert_eq!(c.transferred, 18);
    #[rustfmt::skip]
    let no_sense = [
        0x70, 0, 0x00,  // current, fixed; NO SENSE
        0, 0, 0, 0,     // INFORMATION
        0x0a,           // ADDITIONAL SENSE LENGTH
        0, 0, 0, 0,     // COMMAND-SPECIFIC INFORMATION
        0, 0,           // ASC/ASCQ: NO ADDITIONAL SENSE INFORMATION
        0, 0, 0, 0,     // FRU, sense-key specific
    ];
    assert_eq!(buf[..18], no_sense);
    // VERIFY (10), UNMAP, MODE SELECT (6): not simulated.
    for op in [0x2fu8, 0x42, 0x15] {
        let mut c10 = [0u8; 10];
        c10[0] = op;
        let (c, _) = data_in(&t, &c10, 64);
        let s = sense(&c, SenseKey::IllegalRequest, 0x20, 0x00);
        assert_eq!(s.to_vec().unwrap(), {
            let mut v = no_sense.to_vec();
            v[2] = 0x05;
            v[12] = 0x20;
            v
        });
    }
    // A READ(16) cut to ten bytes.
    let (c, _) = data_in(&t, &cdb(&Read16Cdb::new(0, 1))[..10], 512);
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
}

#[test]
fn medium_error_on_read_reports_the_failing_lba() {
    // The 2049th byte the disk moves is in LBA 4 of the first read.
    let t = disk(
        "d",
        512,
        64,
        vec![Fault::once(
            "d",
            Trigger::AfterBytes(2049),
            Effect::MediumError,
        )],
    );
    let (c, buf) = read(&t, 0, 8, 512);
    let s = sense(&c, SenseKey::MediumError, 0x11, 0x00);
    assert_eq!(s.information(), Some(4));
    #[rustfmt::skip]
    assert_eq!(s.to_vec().unwrap(), [
        0xf0, 0, 0x03,       // VALID, current, fixed; MEDIUM ERROR
        0, 0, 0, 4,          // INFORMATION: LBA 4
        0x0a, 0, 0, 0, 0,
        0x11, 0x00,          // UNRECOVERED READ ERROR
        0, 0, 0, 0,
    ]);
    // The four blocks before it were transferred.
    assert_eq!((c.transferred, c.resid), (2048, 2048));
    assert!(buf[..2048].iter().all(|&b| b == 0));
    assert!(buf[2048..].iter().all(|&b| b == 0xa5));
    // The fault fired once.
    good(&read(&t, 0, 8, 512).0);
}

#[test]
fn medium_error_on_write_writes_the_blocks_before_it() {
    let t = disk(
        "d",
        4096,
        64,
        vec![Fault::once(
            "d",
            Trigger::AfterBytes(3 * 4096 + 1),
            Effect::MediumError,
        )],
    );
    let data = pattern(5 * 4096, 3);
    let c = write(&t, 10, &data, 4096);
    let s = sense(&c, SenseKey::MediumError, 0x0c, 0x00);
    assert_eq!(s.information(), Some(13));
    let (_, back) = read(&t, 10, 5, 4096);
    assert_eq!(back[..3 * 4096], data[..3 * 4096]);
    assert!(back[3 * 4096..].iter().all(|&b| b == 0));
}

#[test]
fn medium_error_always_fails_at_the_first_block() {
    let t = disk(
        "d",
        512,
        64,
        vec![Fault {
            device: "d".into(),
            trigger: Trigger::Always,
            effect: Effect::MediumError,
            times: None,
        }],
    );
    for lba in [0u64, 7, 63] {
        let (c, _) = read(&t, lba, 1, 512);
        let s = sense(&c, SenseKey::MediumError, 0x11, 0x00);
        assert_eq!(s.information(), Some(lba));
    }
    // Commands without data are not affected.
    good(
        &t.execute(&cdb(&TestUnitReadyCdb::new()), DataDirection::None, T)
            .unwrap(),
    );
}

#[test]
fn gone_mid_transfer_then_for_good() {
    let t = disk(
        "d",
        512,
        64,
        vec![Fault::once("d", Trigger::AfterBytes(4096), Effect::Gone)],
    );
    good(&read(&t, 0, 4, 512).0);
    let (c, _) = read(&t, 4, 4, 512);
    assert_eq!(c.host_status, HostStatus::NoConnect);
    assert_eq!(c.transferred, 0);
    let e = t
        .execute(&cdb(&TestUnitReadyCdb::new()), DataDirection::None, T)
        .unwrap_err();
    assert!(matches!(e, TransportError::Gone { .. }), "{e}");
    assert!(e.is_device_gone());
}

#[test]
fn hang_is_a_time_out() {
    // On a command (the transport's fault) …
    let t = disk(
        "d",
        512,
        8,
        vec![Fault::once("d", Trigger::Command(2), Effect::Hang)],
    );
    good(&read(&t, 0, 1, 512).0);
    let (c, _) = read(&t, 0, 1, 512);
    assert_eq!(c.host_status, HostStatus::TimeOut);
    good(&read(&t, 0, 1, 512).0);
    // … and on the data path.
    let t = disk(
        "d",
        512,
        8,
        vec![Fault::once("d", Trigger::AfterBytes(1), Effect::Hang)],
    );
    let c = write(&t, 0, &[1u8; 512], 512);
    assert_eq!(c.host_status, HostStatus::TimeOut);
    let (_, back) = read(&t, 0, 1, 512);
    assert!(back.iter().all(|&b| b == 0), "a hung write wrote nothing");
}

#[test]
fn a_sense_fault_on_the_data_path_is_that_check_condition() {
    let hw: SenseData = SenseData::fixed(SenseKey::HardwareError, 0x44, 0x00).into();
    let t = disk(
        "d",
        512,
        8,
        vec![Fault::once(
            "d",
            Trigger::AfterBytes(1),
            Effect::Sense(hw.clone()),
        )],
    );
    let (c, _) = read(&t, 0, 1, 512);
    assert_eq!(SenseData::parse(&c.sense).unwrap(), hw);
}

#[test]
fn random_medium_errors_are_the_same_for_the_same_seed() {
    let run = |seed| {
        let t = disk(
            "d",
            512,
            64,
            vec![Fault {
                device: "d".into(),
                trigger: Trigger::Random {
                    per_million: 250_000,
                    seed,
                },
                effect: Effect::MediumError,
                times: None,
            }],
        );
        (0..64u64)
            .map(|lba| read(&t, lba, 1, 512).0.status == ScsiStatus::CheckCondition)
            .collect::<Vec<_>>()
    };
    let a = run(42);
    assert_eq!(a, run(42));
    assert_ne!(a, run(43));
    let hits = a.iter().filter(|&&x| x).count();
    assert!((4..=32).contains(&hits), "{hits} of 64 at 25%");
}

#[test]
fn the_copy_manager_data_path() {
    let plan = Arc::new(FaultPlan::default());
    let mut f = Fabric::with_faults(Arc::clone(&plan));
    f.add(SimDisk::new("d", 512, 16, Backing::Memory).unwrap())
        .unwrap();
    let f = Arc::new(f);
    let lu = f.lu("d").unwrap();
    // The data path a copy manager gets: the disk's, behind the fault plan.
    let b = f.block_path(lu.as_ref()).unwrap();
    assert_eq!((b.block_length(), b.capacity_blocks()), (512, 16));
    assert!(lu.stream().is_none());
    let data = pattern(1024, 9);
    b.write_blocks(3, &data).unwrap();
    // What the data path wrote, a command reads.
    let t = f.transport("d").unwrap();
    assert_eq!(read(&t, 3, 2, 512).1, data);
    let mut back = vec![0u8; 1024];
    b.read_blocks(3, &mut back).unwrap();
    assert_eq!(back, data);
    // Range and shape errors carry the sense a command would get.
    let e = b.read_blocks(15, &mut back).unwrap_err();
    let TargetError::Check(s) = e else { panic!() };
    assert_eq!(s.asc_ascq(), Some((0x21, 0x00)));
    let e = b.write_blocks(0, &data[..100]).unwrap_err();
    let TargetError::Check(s) = e else { panic!() };
    assert_eq!(s.asc_ascq(), Some((0x0e, 0x03)));
    // Faults added at run time reach the data path through the shared plan.
    plan.add(Fault::once("d", Trigger::AfterBytes(1), Effect::Hang));
    assert_eq!(b.read_blocks(0, &mut back), Err(TargetError::Hang));
    plan.add(Fault::once(
        "d",
        Trigger::AfterBytes(1),
        Effect::MediumError,
    ));
    let TargetError::Check(s) = b.write_blocks(5, &data).unwrap_err() else {
        panic!()
    };
    assert_eq!(
        (s.sense_key(), s.asc_ascq(), s.information()),
        (Some(SenseKey::MediumError), Some((0x0c, 0x00)), Some(5))
    );
    plan.add(Fault::once("d", Trigger::AfterBytes(1), Effect::Gone));
    assert_eq!(b.read_blocks(0, &mut back), Err(TargetError::Gone));
    assert_eq!(b.read_blocks(0, &mut back), Err(TargetError::Gone));
}

#[test]
fn a_file_backed_disk_survives_a_restart() {
    let dir = tmp_dir("restart");
    let path = dir.join("disk0.img");
    let data = pattern(3 * 4096, 11);
    {
        let d = SimDisk::new("disk0", 4096, 1024, Backing::File(path.clone())).unwrap();
        assert_eq!(d.path(), Some(path.as_path()));
        let mut f = Fabric::new();
        f.add(d).unwrap();
        let t = Arc::new(f).transport("disk0").unwrap();
        good(&write(&t, 1000, &data, 4096));
        let mut fua = Write16Cdb::new(1023, 1);
        fua.fua = true;
        good(&data_out(&t, &cdb(&fua), &data[..4096]));
    }
    // Sparse, and exactly the capacity.
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 1024 * 4096);
    {
        let d = SimDisk::new("disk0", 4096, 1024, Backing::File(path.clone())).unwrap();
        let mut f = Fabric::new();
        f.add(d).unwrap();
        let t = Arc::new(f).transport("disk0").unwrap();
        let (c, back) = read(&t, 1000, 3, 4096);
        good(&c);
        assert_eq!(back, data);
        assert_eq!(read(&t, 1023, 1, 4096).1, data[..4096]);
        assert!(read(&t, 0, 1, 4096).1.iter().all(|&b| b == 0));
    }
    // Another capacity for the same file is refused, saying why.
    let e = SimDisk::new("disk0", 512, 1024, Backing::File(path.clone())).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("disk0.img"), "{msg}");
    assert!(msg.contains("holds 4194304 bytes"), "{msg}");
}

// ---------------------------------------------------------------------------
// The ten-byte commands, SYNCHRONIZE CACHE and MODE SENSE: what `sd`,
// `sg_readcap` and libiscsi send a disk.

fn read10(t: &SimTransport, lba: u32, blocks: u16, bl: usize) -> (Completion, Vec<u8>) {
    data_in(t, &cdb(&Read10Cdb::new(lba, blocks)), blocks as usize * bl)
}

fn write10(t: &SimTransport, lba: u32, data: &[u8], bl: usize) -> Completion {
    let blocks = (data.len() / bl) as u16;
    data_out(t, &cdb(&Write10Cdb::new(lba, blocks)), data)
}

#[test]
fn read10_write10_move_the_same_blocks_as_read16_write16() {
    for bl in [512usize, 4096] {
        let blocks = (3 << 20) / bl as u64;
        let t = disk("d", bl as u32, blocks, vec![]);
        // Across a 1 MiB chunk boundary, as the sixteen-byte test does.
        let lba = ((1 << 20) / bl - 2) as u32;
        let data = pattern(5 * bl, bl as u8 ^ 0x5a);
        let c = write10(&t, lba, &data, bl);
        good(&c);
        assert_eq!((c.transferred, c.resid), (data.len(), 0));
        // READ (10) and READ (16) see the same blocks and report the same.
        let (c10, back10) = read10(&t, lba, 5, bl);
        let (c16, back16) = read(&t, u64::from(lba), 5, bl);
        good(&c10);
        assert_eq!(back10, data);
        assert_eq!(back16, data);
        assert_eq!((c10.transferred, c10.resid), (c16.transferred, c16.resid));
        // What WRITE (16) wrote, READ (10) reads; with FUA and DPO too.
        let other = pattern(2 * bl, 3);
        good(&write(&t, 7, &other, bl));
        assert_eq!(read10(&t, 7, 2, bl).1, other);
        let fua = Write10Cdb::new(9, 1).fua(true).dpo(true);
        good(&data_out(&t, &cdb(&fua), &other[..bl]));
        let (c, back) = data_in(&t, &cdb(&Read10Cdb::new(9, 1).fua(true)), bl);
        good(&c);
        assert_eq!(back, other[..bl]);
        // The last block; a larger buffer gives the same residual.
        good(&read10(&t, blocks as u32 - 1, 1, bl).0);
        let (c10, _) = data_in(&t, &cdb(&Read10Cdb::new(7, 2)), 2 * bl + 100);
        let (c16, _) = data_in(&t, &cdb(&Read16Cdb::new(7, 2)), 2 * bl + 100);
        assert_eq!((c10.transferred, c10.resid), (2 * bl, 100));
        assert_eq!((c10.transferred, c10.resid), (c16.transferred, c16.resid));
    }
    // TRANSFER LENGTH 0 moves nothing; a data-out of another size is the
    // same 0E/03 as WRITE (16) gets.
    let t = disk("d", 512, 8, vec![]);
    let (c, buf) = data_in(&t, &cdb(&Read10Cdb::new(0, 0)), 16);
    good(&c);
    assert_eq!((c.transferred, c.resid), (0, 16));
    assert!(buf.iter().all(|&b| b == 0xa5));
    good(&data_out(&t, &cdb(&Write10Cdb::new(0, 0)), &[]));
    let c = data_out(&t, &cdb(&Write10Cdb::new(0, 1)), &[0xff; 511]);
    sense(&c, SenseKey::IllegalRequest, 0x0e, 0x03);
    assert!(read10(&t, 0, 1, 512).1.iter().all(|&b| b == 0));
    // A READ (10) or WRITE (10) cut short is INVALID FIELD IN CDB.
    let (c, _) = data_in(&t, &cdb(&Read10Cdb::new(0, 1))[..9], 512);
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    let c = data_out(&t, &cdb(&Write10Cdb::new(0, 1))[..6], &[0u8; 512]);
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
}

#[test]
fn read10_write10_lba_out_of_range() {
    let t = disk("d", 512, 100, vec![]);
    for (lba, n) in [(100u32, 1u16), (99, 2), (u32::MAX, 1), (1, u16::MAX)] {
        let (c, _) = data_in(&t, &cdb(&Read10Cdb::new(lba, n)), 512);
        let s = sense(&c, SenseKey::IllegalRequest, 0x21, 0x00);
        // The same sense bytes READ (16) gets.
        let (c16, _) = data_in(&t, &cdb(&Read16Cdb::new(lba.into(), n.into())), 512);
        assert_eq!(c.sense, c16.sense);
        assert_eq!(s.to_vec().unwrap()[..3], [0x70, 0x00, 0x05]);
        let w = data_out(&t, &cdb(&Write10Cdb::new(lba, n)), &[0u8; 512]);
        sense(&w, SenseKey::IllegalRequest, 0x21, 0x00);
    }
    // Zero blocks at the end is fine; past it, out of range.
    good(&data_in(&t, &cdb(&Read10Cdb::new(100, 0)), 0).0);
    let (c, _) = data_in(&t, &cdb(&Read10Cdb::new(101, 0)), 0);
    sense(&c, SenseKey::IllegalRequest, 0x21, 0x00);
}

#[test]
fn a_medium_error_strikes_read10_and_write10_as_the_16_byte_ones() {
    let plan = || {
        vec![Fault::once(
            "d",
            Trigger::AfterBytes(2049),
            Effect::MediumError,
        )]
    };
    let t = disk("d", 512, 64, plan());
    let data = pattern(8 * 512, 1);
    let c = write10(&t, 8, &data, 512);
    let s = sense(&c, SenseKey::MediumError, 0x0c, 0x00);
    assert_eq!(s.information(), Some(12));
    // The four blocks before the failing one were written, no more.
    let (_, back) = read10(&t, 8, 8, 512);
    assert_eq!(back[..2048], data[..2048]);
    assert!(back[2048..].iter().all(|&b| b == 0));
    let t = disk("d", 512, 64, plan());
    let (c, buf) = read10(&t, 0, 8, 512);
    let s = sense(&c, SenseKey::MediumError, 0x11, 0x00);
    assert_eq!(s.information(), Some(4));
    assert_eq!((c.transferred, c.resid), (2048, 2048));
    assert!(buf[2048..].iter().all(|&b| b == 0xa5));
}

#[test]
fn read_capacity10_small_and_past_2_32_blocks() {
    let t = disk("d", 512, 2048, vec![]);
    let (c, buf) = data_in(&t, &cdb(&ReadCapacity10Cdb::new()), 8);
    good(&c);
    #[rustfmt::skip]
    assert_eq!(buf, [
        0x00, 0x00, 0x07, 0xff, // RETURNED LOGICAL BLOCK ADDRESS: 2047
        0x00, 0x00, 0x02, 0x00, // LOGICAL BLOCK LENGTH IN BYTES: 512
    ]);
    let r = ReadCapacity10::parse(&buf).unwrap();
    assert_eq!(r.capacity_blocks(), Some(2048));
    // A larger buffer: eight bytes and the rest residual; a smaller one
    // cuts the answer. The obsolete LBA and PMI change nothing.
    let (c, buf) = data_in(&t, &cdb(&ReadCapacity10Cdb::new()), 12);
    assert_eq!((c.transferred, c.resid), (8, 4));
    assert_eq!(buf[8..], [0xa5; 4]);
    let (c, _) = data_in(&t, &cdb(&ReadCapacity10Cdb::new()), 4);
    assert_eq!((c.transferred, c.resid), (4, 0));
    let mut pmi = cdb(&ReadCapacity10Cdb::new());
    pmi[5] = 10;
    pmi[8] = 1;
    let (c, again) = data_in(&t, &pmi, 8);
    good(&c);
    assert_eq!(again[..4], [0x00, 0x00, 0x07, 0xff]);
    // Cut to nine bytes: INVALID FIELD IN CDB.
    let (c, _) = data_in(&t, &cdb(&ReadCapacity10Cdb::new())[..9], 8);
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    // 4096-byte blocks.
    let t = disk("d", 4096, 1 << 20, vec![]);
    let (_, buf) = data_in(&t, &cdb(&ReadCapacity10Cdb::new()), 8);
    assert_eq!(buf, [0x00, 0x0f, 0xff, 0xff, 0x00, 0x00, 0x10, 0x00]);

    // Past 2^32 blocks (sparse, file-backed): FFFFFFFFh, and READ CAPACITY
    // (16) has the truth; MODE SENSE's block descriptor says FFFFFFFFh too.
    let dir = tmp_dir("capacity10");
    let big = SimDisk::new(
        "big",
        512,
        (1 << 32) + 5,
        Backing::File(dir.join("big.img")),
    )
    .unwrap();
    let mut f = Fabric::new();
    f.add(big).unwrap();
    let t = Arc::new(f).transport("big").unwrap();
    let (c, buf) = data_in(&t, &cdb(&ReadCapacity10Cdb::new()), 8);
    good(&c);
    assert_eq!(buf, [0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x02, 0x00]);
    assert!(ReadCapacity10::parse(&buf).unwrap().needs_read_capacity16());
    let (_, buf) = data_in(&t, &cdb(&ReadCapacity16Cdb::new(32)), 32);
    assert_eq!(buf[..8], [0, 0, 0, 0x01, 0, 0, 0, 0x04]);
    let (c, buf) = data_in(&t, &cdb(&ModeSense6Cdb::new(0x08, 255)), 255);
    good(&c);
    let l = ModeParameterList6::parse(&buf[..c.transferred]).unwrap();
    let d = ShortLbaBlockDescriptor::from_block_descriptor(&l.block_descriptors[0]).unwrap();
    assert_eq!(d, ShortLbaBlockDescriptor::for_capacity(u64::MAX, 512));
    assert_eq!(d.number_of_logical_blocks, 0xffff_ffff);
    // READ (10) reaches the last LBA a ten-byte CDB can name.
    good(&data_in(&t, &cdb(&Read10Cdb::new(u32::MAX, 1)), 512).0);
    // A file-backed disk flushes: SYNCHRONIZE CACHE is GOOD.
    good(&data_out(
        &t,
        &cdb(&Write10Cdb::new(u32::MAX, 1)),
        &[7u8; 512],
    ));
    good(&none(
        &t,
        &cdb(&SynchronizeCache16Cdb::new(u64::from(u32::MAX), 1)),
    ));
    good(&none(&t, &cdb(&SynchronizeCache10Cdb::new(0, 0))));
}

#[test]
fn synchronize_cache_checks_the_range() {
    let t = disk("d", 512, 100, vec![]);
    for c in [
        cdb(&SynchronizeCache10Cdb::new(0, 0)),
        cdb(&SynchronizeCache10Cdb::new(0, 100)),
        cdb(&SynchronizeCache10Cdb::new(99, 1).immed(true)),
        cdb(&SynchronizeCache10Cdb::new(50, 0).group_number(3)),
        // Zero blocks from the end: nothing to do, as READ of zero blocks.
        cdb(&SynchronizeCache10Cdb::new(100, 0)),
        cdb(&SynchronizeCache16Cdb::new(0, 0)),
        cdb(&SynchronizeCache16Cdb::new(10, 90).immed(true)),
    ] {
        let done = none(&t, &c);
        good(&done);
        assert_eq!((done.transferred, done.resid), (0, 0));
    }
    // Past the end, or overflowing: LOGICAL BLOCK ADDRESS OUT OF RANGE.
    for c in [
        cdb(&SynchronizeCache10Cdb::new(100, 1)),
        cdb(&SynchronizeCache10Cdb::new(99, 2)),
        cdb(&SynchronizeCache10Cdb::new(101, 0)),
        cdb(&SynchronizeCache10Cdb::new(u32::MAX, u16::MAX)),
        cdb(&SynchronizeCache16Cdb::new(100, 1)),
        cdb(&SynchronizeCache16Cdb::new(101, 0)),
        cdb(&SynchronizeCache16Cdb::new(u64::MAX, 2)),
        cdb(&SynchronizeCache16Cdb::new(1 << 40, 0)),
    ] {
        let s = sense(&none(&t, &c), SenseKey::IllegalRequest, 0x21, 0x00);
        assert_eq!(s.to_vec().unwrap()[..3], [0x70, 0x00, 0x05]);
    }
    // A wrong length: INVALID FIELD IN CDB.
    let short = cdb(&SynchronizeCache16Cdb::new(0, 1));
    sense(
        &none(&t, &short[..10]),
        SenseKey::IllegalRequest,
        0x24,
        0x00,
    );
    let short = cdb(&SynchronizeCache10Cdb::new(0, 1));
    sense(&none(&t, &short[..6]), SenseKey::IllegalRequest, 0x24, 0x00);
}

/// The Caching mode page as the disk reports it: WCE 0, RCD 0, DRA 1.
#[rustfmt::skip]
const CACHING: [u8; 20] = [
    0x08, 0x12, // PAGE CODE 08h, PAGE LENGTH 18
    0x00,       // IC ABPF CAP DISC SIZE WCE MF RCD: all 0
    0x00,       // retention priorities
    0, 0, 0, 0, 0, 0, 0, 0, // pre-fetch fields
    0x20,       // DRA
    0x00, 0, 0, // cache segments
    0, 0, 0, 0, // reserved, obsolete
];

/// The Control mode page as the disk reports it.
#[rustfmt::skip]
const CONTROL: [u8; 12] = [
    0x0a, 0x0a, // PAGE CODE 0Ah, PAGE LENGTH 10
    0x02,       // TST 0, D_SENSE 0, GLTSD 1
    0x10,       // QUEUE ALGORITHM MODIFIER 1, QERR 0
    0x00,       // UA_INTLCK_CTRL 0, SWP 0
    0x40,       // TAS 1
    0x00, 0x00, // obsolete
    0xff, 0xff, // BUSY TIMEOUT PERIOD: unlimited
    0x00, 0x00, // EXTENDED SELF-TEST COMPLETION TIME
];

#[test]
fn mode_sense6_caching_page_golden() {
    let t = disk("d", 512, 2048, vec![]);
    let (c, buf) = data_in(&t, &cdb(&ModeSense6Cdb::new(0x08, 255)), 255);
    good(&c);
    assert_eq!((c.transferred, c.resid), (32, 223));
    let mut want = vec![
        0x1f, // MODE DATA LENGTH 31
        0x00, // MEDIUM TYPE
        0x10, // DEVICE-SPECIFIC PARAMETER: WP 0, DPOFUA 1
        0x08, // BLOCK DESCRIPTOR LENGTH 8
        0x00, 0x00, 0x08, 0x00, // NUMBER OF LOGICAL BLOCKS 2048
        0x00, // reserved
        0x00, 0x02, 0x00, // LOGICAL BLOCK LENGTH 512
    ];
    want.extend_from_slice(&CACHING);
    assert_eq!(buf[..32], want[..]);
    let l = ModeParameterList6::parse(&buf[..32]).unwrap();
    let page = CachingModePage::from_mode_page(l.find_page(0x08, None).unwrap()).unwrap();
    assert!(!page.wce && !page.rcd && page.dra);
    assert_eq!(
        DiskDeviceSpecific::from_byte(l.device_specific),
        DiskDeviceSpecific {
            write_protected: false,
            dpofua: true
        }
    );
    // DBD: no block descriptor. Defaults are the current values.
    let (c, buf) = data_in(&t, &cdb(&ModeSense6Cdb::new(0x08, 255).dbd(true)), 255);
    good(&c);
    assert_eq!(buf[..4], [0x17, 0x00, 0x10, 0x00]);
    assert_eq!(buf[4..24], CACHING);
    let dflt = ModeSense6Cdb::new(0x08, 255).page_control(PageControl::Default);
    let (_, d) = data_in(&t, &cdb(&dflt), 255);
    assert_eq!(d[..32], want[..]);
    // The allocation length cuts the answer (libiscsi's residual test).
    let (c, buf) = data_in(&t, &cdb(&ModeSense6Cdb::new(0x3f, 4)), 255);
    good(&c);
    assert_eq!((c.transferred, c.resid), (4, 251));
    assert_eq!(buf[..4], [0x2b, 0x00, 0x10, 0x08]);
    let (c, _) = data_in(&t, &cdb(&ModeSense6Cdb::new(0x3f, 255)), 4);
    assert_eq!((c.transferred, c.resid), (4, 0));
}

#[test]
fn mode_sense10_all_pages_and_the_control_page() {
    let t = disk("d", 4096, 1 << 20, vec![]);
    for (subpage, len) in [(0x00u8, 255u16), (0xff, 255), (0x00, 0xffff)] {
        let all = ModeSense10Cdb::new(0x3f, len).subpage_code(subpage);
        let (c, buf) = data_in(&t, &cdb(&all), 255);
        good(&c);
        assert_eq!(c.transferred, 48);
        let mut want = vec![
            0x00, 0x2e, // MODE DATA LENGTH 46
            0x00, // MEDIUM TYPE
            0x10, // DEVICE-SPECIFIC PARAMETER: DPOFUA
            0x00, // LONGLBA 0
            0x00, // reserved
            0x00, 0x08, // BLOCK DESCRIPTOR LENGTH 8
            0x00, 0x10, 0x00, 0x00, // NUMBER OF LOGICAL BLOCKS 2^20
            0x00, // reserved
            0x00, 0x10, 0x00, // LOGICAL BLOCK LENGTH 4096
        ];
        // Pages in ascending order: Caching, then Control.
        want.extend_from_slice(&CACHING);
        want.extend_from_slice(&CONTROL);
        assert_eq!(buf[..48], want[..]);
        let l = ModeParameterList10::parse(&buf[..48]).unwrap();
        assert_eq!(l.pages.len(), 2);
    }
    // The Control page alone, no block descriptor; MODE SENSE (6) gives
    // the same pages under a header(6); LLBAA changes nothing.
    let ctl = ModeSense10Cdb::new(0x0a, 255).dbd(true).llbaa(true);
    let (c, buf) = data_in(&t, &cdb(&ctl), 255);
    good(&c);
    assert_eq!(buf[..8], [0x00, 0x12, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00]);
    assert_eq!(buf[8..20], CONTROL);
    let p = ControlModePage::parse(&buf[8..20]).unwrap();
    assert!(!p.d_sense && !p.swp);
    let (_, six) = data_in(&t, &cdb(&ModeSense6Cdb::new(0x0a, 255).dbd(true)), 255);
    assert_eq!(six[..4], [0x0f, 0x00, 0x10, 0x00]);
    assert_eq!(six[4..16], CONTROL);
    // A ten-byte MODE SENSE cut short is INVALID FIELD IN CDB.
    let (c, _) = data_in(&t, &cdb(&ctl)[..6], 255);
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
}

#[test]
fn mode_sense_changeable_saved_and_unsupported_pages() {
    let t = disk("d", 512, 2048, vec![]);
    // Changeable: nothing can be changed; the pages keep their headers.
    let ch = ModeSense10Cdb::new(0x3f, 255).page_control(PageControl::Changeable);
    let (c, buf) = data_in(&t, &cdb(&ch), 255);
    good(&c);
    let l = ModeParameterList10::parse(&buf[..c.transferred]).unwrap();
    assert_eq!(l.device_specific, 0);
    assert_eq!(l.block_descriptors, [BlockDescriptor::default()]);
    assert_eq!(
        CachingModePage::from_mode_page(&l.pages[0]).unwrap(),
        CachingModePage::default()
    );
    assert_eq!(
        ControlModePage::from_mode_page(&l.pages[1]).unwrap(),
        ControlModePage::default()
    );
    let ch6 = ModeSense6Cdb::new(0x08, 255)
        .page_control(PageControl::Changeable)
        .dbd(true);
    let (_, buf) = data_in(&t, &cdb(&ch6), 255);
    assert_eq!(buf[..6], [0x17, 0x00, 0x00, 0x00, 0x08, 0x12]);
    assert!(buf[6..24].iter().all(|&b| b == 0));
    // Saved values are not kept: SAVING PARAMETERS NOT SUPPORTED.
    for pc in [
        cdb(&ModeSense6Cdb::new(0x08, 255).page_control(PageControl::Saved)),
        cdb(&ModeSense10Cdb::new(0x3f, 255).page_control(PageControl::Saved)),
    ] {
        let (c, _) = data_in(&t, &pc, 255);
        sense(&c, SenseKey::IllegalRequest, 0x39, 0x00);
    }
    // Another page: INVALID FIELD IN CDB at the PAGE CODE (byte 2, bit 5).
    for page in [0x00u8, 0x01, 0x03, 0x1c, 0x3e] {
        for c in [
            cdb(&ModeSense6Cdb::new(page, 255)),
            cdb(&ModeSense10Cdb::new(page, 255)),
        ] {
            let (c, _) = data_in(&t, &c, 255);
            let s = sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
            let fp = s.field_pointer().unwrap();
            assert!(fp.command);
            assert_eq!((fp.field_pointer, fp.bit_pointer), (2, Some(5)));
        }
    }
    // A subpage: at the SUBPAGE CODE (byte 3).
    for c in [
        cdb(&ModeSense6Cdb::new(0x08, 255).subpage_code(1)),
        cdb(&ModeSense10Cdb::new(0x0a, 255).subpage_code(0xff)),
        cdb(&ModeSense10Cdb::new(0x3f, 255).subpage_code(0x01)),
    ] {
        let (c, _) = data_in(&t, &c, 255);
        let s = sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
        assert_eq!(s.field_pointer().unwrap().field_pointer, 3);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Arbitrary CDBs and data: the disk answers every one (no panic, no
    /// transport error) and never claims more than the buffer.
    #[test]
    fn any_cdb_gets_an_answer(
        cdb in any_cdb(
            &[0x00, 0x03, 0x12, 0x1a, 0x25, 0x28, 0x2a, 0x35, 0x5a, 0x88, 0x8a, 0x91, 0x9e],
            32,
        ),
        dir in 0u8..3,
        data in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let t = disk("p", 512, 16, vec![]);
        let mut buf = data.clone();
        let d = match dir {
            0 => DataDirection::None,
            1 => DataDirection::ToDevice(&data),
            _ => DataDirection::FromDevice(&mut buf),
        };
        let len = d.len();
        let c = t.execute(&cdb, d, T).unwrap();
        prop_assert!(c.transferred <= len.max(data.len()));
        prop_assert!(c.resid <= len);
        if c.status == ScsiStatus::CheckCondition {
            prop_assert!(SenseData::parse(&c.sense).is_ok());
        }
    }
}
