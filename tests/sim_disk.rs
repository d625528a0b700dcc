//! The simulated disk through the `Transport` trait: every command it
//! answers, every error case with its exact sense, the faults that concern
//! a disk (medium error, gone, hang, a sense, random at a seed), the
//! copy-manager data path, and a file-backed disk surviving a "process
//! restart".

mod common;

use common::scsi::{any_cdb, cdb, data_in, data_out, good, pattern, sense, tmp_dir, T};
use std::sync::Arc;

use proptest::prelude::*;
use segcopy::sim::common::naa_for;
use segcopy::sim::disk::{Backing, SimDisk};
use segcopy::sim::{BlockTarget, Fabric, SimTransport, TargetError};
use segcopy::transport::fault::{Effect, Fault, FaultPlan, Trigger};
use segcopy::transport::{
    Completion, DataDirection, HostStatus, ScsiStatus, Transport, TransportError,
};
use segcopy::wire::inquiry::{InquiryCdb, StandardInquiry};
use segcopy::wire::sbc::{
    Read16Cdb, ReadCapacity16Cdb, RequestSenseCdb, TestUnitReadyCdb, Write16Cdb,
};
use segcopy::wire::sense::{SenseData, SenseKey};
use segcopy::wire::vpd::{DeviceIdentification, SupportedPages};
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
    assert_eq!(pages.pages, [0x00, 0x80, 0x83]);
    let (c, buf) = data_in(&t, &cdb(&InquiryCdb::new(255).vpd_page(0x83)), 255);
    good(&c);
    let id = DeviceIdentification::parse(&buf[..c.transferred]).unwrap();
    assert_eq!(id.best_for_cscd().unwrap().value, naa_for("disk0"));
    // No Third-party Copy page on a bare disk.
    let (c, _) = data_in(&t, &cdb(&InquiryCdb::new(255).vpd_page(0x8f)), 255);
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
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
    // READ(10), SYNCHRONIZE CACHE(10), MODE SENSE(6): not simulated.
    for op in [0x28u8, 0x35, 0x1a] {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Arbitrary CDBs and data: the disk answers every one (no panic, no
    /// transport error) and never claims more than the buffer.
    #[test]
    fn any_cdb_gets_an_answer(
        cdb in any_cdb(&[0x00, 0x03, 0x12, 0x88, 0x8a, 0x9e], 32),
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
