//! The simulated tape drive through the `Transport` trait: every SSC
//! command it answers with the exact status, sense and data SSC-4 gives,
//! the faults that concern a tape (medium error at block b, end of medium
//! after n blocks, gone, hang, random at a seed), the copy-manager data
//! path, cartridge files surviving a "process restart", and a drive that
//! keeps its state in a file when asked.

mod common;

use common::scsi::{any_cdb, cdb, data_in, data_out, good, none, pattern, sense, tmp_dir, T};
use common::tape::{
    filemarks, locate, position, read_var, rewind, set_block_length, space, write_fixed, write_var,
};
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use proptest::prelude::*;
use segcopy::sim::datapath::FaultyStream;
use segcopy::sim::tape::{Cartridge, SimTapeDrive, TapeObject, FILEMARK_BYTES};
use segcopy::sim::{Fabric, SimTransport, StreamRead, StreamTarget, TargetError};
use segcopy::transport::fault::{Effect, Fault, FaultPlan, Trigger};
use segcopy::transport::{
    Completion, DataDirection, HostStatus, ScsiStatus, Transport, TransportError,
};
use segcopy::wire::inquiry::{InquiryCdb, StandardInquiry};
use segcopy::wire::mode::{
    BlockDescriptor, ModeListKind, ModeParameterList6, ModeSelect6Cdb, ModeSense6Cdb, PageControl,
};
use segcopy::wire::sbc::TestUnitReadyCdb;
use segcopy::wire::sense::{SenseData, SenseKey};
use segcopy::wire::ssc::{
    BlockLimits, BlockLimitsMloi, ExtendedPosition, Locate10Cdb, Locate16Cdb, LocateDestType,
    Read6Cdb, ReadBlockLimitsCdb, ReadPositionCdb, ReadPositionForm, RewindCdb, ShortPosition,
    SpaceCode, Write6Cdb, WriteFilemarks6Cdb,
};
use segcopy::wire::Repr;

const MIB: u64 = 1 << 20;

struct Rig {
    fabric: Arc<Fabric>,
    drive: Arc<SimTapeDrive>,
    t: SimTransport,
}

fn rig_with(cart: Option<Cartridge>, faults: Vec<Fault>) -> Rig {
    let plan = Arc::new(FaultPlan::new(faults));
    let drive = SimTapeDrive::new("t0");
    if let Some(c) = cart {
        assert!(drive.load(c).is_none());
    }
    let mut f = Fabric::with_faults(plan);
    f.add(drive.clone()).unwrap();
    let fabric = Arc::new(f);
    let t = fabric.transport("t0").unwrap();
    Rig { fabric, drive, t }
}

impl Rig {
    /// The drive's data path as a copy manager gets it: behind the fault
    /// plan.
    fn path(&self) -> FaultyStream<'_> {
        let lu = self.fabric.lu("t0").unwrap();
        self.fabric.stream_path(lu.as_ref()).unwrap()
    }
}

fn rig(capacity: u64, early_warning: u64) -> Rig {
    rig_with(
        Some(Cartridge::memory("T00001", capacity, early_warning)),
        vec![],
    )
}

/// (FILEMARK, EOM, ILI, INFORMATION as a signed residue).
fn flags(s: &SenseData) -> (bool, bool, bool, Option<i64>) {
    let info = s.information().map(|i| i64::from(i as u32 as i32));
    (s.filemark(), s.eom(), s.ili(), info)
}

#[test]
fn inquiry_says_removable_sequential_access() {
    let r = rig_with(None, vec![]);
    let (c, buf) = data_in(&r.t, &cdb(&InquiryCdb::new(96)), 96);
    good(&c);
    let q = StandardInquiry::parse(&buf[..c.transferred]).unwrap();
    assert_eq!(q.device_type.bits(), 0x01);
    assert!(q.rmb);
    assert_eq!(q.product_str(), "SIMTAPE");
}

#[test]
fn without_a_cartridge_medium_commands_are_not_ready() {
    let r = rig_with(None, vec![]);
    let not_present = |c: &Completion| {
        let s = sense(c, SenseKey::NotReady, 0x3a, 0x00);
        assert_eq!(s.to_vec().unwrap()[..3], [0x70, 0x00, 0x02]);
    };
    not_present(&none(&r.t, &cdb(&TestUnitReadyCdb::new())));
    not_present(&read_var(&r.t, 512).0);
    not_present(&write_var(&r.t, &[0u8; 512]));
    not_present(&filemarks(&r.t, 1));
    not_present(&space(&r.t, SpaceCode::Blocks, 1));
    not_present(&locate(&r.t, 0));
    not_present(&none(&r.t, &cdb(&RewindCdb::new())));
    not_present(
        &data_in(
            &r.t,
            &cdb(&ReadPositionCdb::new(ReadPositionForm::Long)),
            32,
        )
        .0,
    );
    // The drive's own parameters need no medium.
    good(&data_in(&r.t, &cdb(&ReadBlockLimitsCdb::new()), 6).0);
    good(&data_in(&r.t, &cdb(&ModeSense6Cdb::new(0, 64)), 64).0);
    good(&set_block_length(&r.t, 1024));
    assert_eq!(r.drive.block_length(), 1024);
    // And it becomes ready when a cartridge is loaded.
    r.drive.load(Cartridge::memory("X", MIB, 0));
    good(&none(&r.t, &cdb(&TestUnitReadyCdb::new())));
    assert_eq!(r.drive.loaded_barcode().as_deref(), Some("X"));
    assert_eq!(r.drive.unload().unwrap().barcode(), "X");
    not_present(&none(&r.t, &cdb(&TestUnitReadyCdb::new())));
}

#[test]
fn read_block_limits_golden() {
    let r = rig(MIB, 0);
    let (c, buf) = data_in(&r.t, &cdb(&ReadBlockLimitsCdb::new()), 6);
    good(&c);
    // GRANULARITY 0; MAXIMUM 800000h (8 MiB); MINIMUM 1.
    assert_eq!(buf, [0x00, 0x80, 0x00, 0x00, 0x00, 0x01]);
    let limits = BlockLimits::parse(&buf).unwrap();
    assert!(limits.allows(1) && limits.allows(8 << 20) && !limits.allows((8 << 20) + 1));
    let (c, buf) = data_in(&r.t, &cdb(&ReadBlockLimitsCdb::new().mloi(true)), 20);
    good(&c);
    assert_eq!(buf[..12], [0u8; 12]);
    assert_eq!(
        BlockLimitsMloi::parse(&buf)
            .unwrap()
            .maximum_logical_object_identifier,
        u64::MAX - 1
    );
}

#[test]
fn mode_sense_golden_and_mode_select() {
    let r = rig(MIB, 0);
    let (c, buf) = data_in(&r.t, &cdb(&ModeSense6Cdb::new(0, 255)), 255);
    good(&c);
    #[rustfmt::skip]
    let variable = [
        0x0b,             // MODE DATA LENGTH: 11
        0x00,             // MEDIUM TYPE
        0x10,             // WP 0, BUFFERED MODE 1, SPEED 0
        0x08,             // BLOCK DESCRIPTOR LENGTH
        0x00,             // DENSITY CODE
        0x00, 0x00, 0x00, // NUMBER OF BLOCKS
        0x00,             // reserved
        0x00, 0x00, 0x00, // BLOCK LENGTH: 0, variable
    ];
    assert_eq!(buf[..c.transferred], variable);
    assert_eq!(c.resid, 255 - 12);
    good(&set_block_length(&r.t, 512));
    let (c, buf) = data_in(&r.t, &cdb(&ModeSense6Cdb::new(0x3f, 255)), 255);
    good(&c);
    assert_eq!(buf[9..12], [0x00, 0x02, 0x00]);
    // DBD: header only.
    let (c, buf) = data_in(&r.t, &cdb(&ModeSense6Cdb::new(0, 255).dbd(true)), 255);
    good(&c);
    assert_eq!(buf[..c.transferred], [0x03, 0x00, 0x10, 0x00]);
    // Cut by the allocation length.
    let (c, _) = data_in(&r.t, &cdb(&ModeSense6Cdb::new(0, 4)), 255);
    good(&c);
    assert_eq!(c.transferred, 4);
    // Changeable values: BUFFERED MODE and BLOCK LENGTH.
    let (c, buf) = data_in(
        &r.t,
        &cdb(&ModeSense6Cdb::new(0, 255).page_control(PageControl::Changeable)),
        255,
    );
    good(&c);
    assert_eq!(buf[2], 0x70);
    assert_eq!(buf[9..12], [0xff, 0xff, 0xff]);
    // Saved values are not simulated; nor are other pages.
    let (c, _) = data_in(
        &r.t,
        &cdb(&ModeSense6Cdb::new(0, 255).page_control(PageControl::Saved)),
        255,
    );
    sense(&c, SenseKey::IllegalRequest, 0x39, 0x00);
    let (c, _) = data_in(&r.t, &cdb(&ModeSense6Cdb::new(0x10, 255)), 255);
    let s = sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    assert_eq!(s.field_pointer().unwrap().field_pointer, 2);
    // Back to variable mode, keeping what MODE SENSE said.
    let (_, buf) = data_in(&r.t, &cdb(&ModeSense6Cdb::new(0, 255)), 255);
    let list = ModeParameterList6::parse(&buf).unwrap();
    assert_eq!(list.block_length(), Some(512));
    let sel = list.with_block_length(0).unwrap();
    good(&data_out(
        &r.t,
        &cdb(&ModeSelect6Cdb::for_list(&sel).unwrap()),
        &sel.to_vec().unwrap(),
    ));
    assert_eq!(r.drive.block_length(), 0);
    assert_eq!(r.drive.fixed_block_length(), None);
}

#[test]
fn mode_select_errors() {
    let r = rig(MIB, 0);
    let param = |s: &SenseData| {
        let fp = s.field_pointer().unwrap();
        assert!(!fp.command);
        fp.field_pointer
    };
    // A block length past the limits.
    let c = set_block_length(&r.t, 0x90_0000);
    let s = sense(&c, SenseKey::IllegalRequest, 0x26, 0x00);
    assert_eq!(param(&s), 9);
    #[rustfmt::skip]
    assert_eq!(s.to_vec().unwrap()[15..18], [
        0x80,       // SKSV, C/D 0 (parameter list), no bit pointer
        0x00, 0x09, // FIELD POINTER: byte 9, the BLOCK LENGTH
    ]);
    // Another density.
    let mut list = ModeParameterList6::select_block_length(512).unwrap();
    list.block_descriptors[0].density_code = 0x58;
    let c = data_out(
        &r.t,
        &cdb(&ModeSelect6Cdb::for_list(&list).unwrap()),
        &list.to_vec().unwrap(),
    );
    assert_eq!(param(&sense(&c, SenseKey::IllegalRequest, 0x26, 0x00)), 4);
    // Two block descriptors.
    let mut list = ModeParameterList6::select_block_length(512).unwrap();
    list.block_descriptors.push(BlockDescriptor::default());
    let c = data_out(
        &r.t,
        &cdb(&ModeSelect6Cdb::for_list(&list).unwrap()),
        &list.to_vec().unwrap(),
    );
    assert_eq!(param(&sense(&c, SenseKey::IllegalRequest, 0x26, 0x00)), 3);
    // A MODE DATA LENGTH (reserved in MODE SELECT).
    let mut list = ModeParameterList6::select_block_length(512).unwrap();
    list.kind = ModeListKind::Sense;
    let c = data_out(
        &r.t,
        &cdb(&ModeSelect6Cdb::for_list(&list).unwrap()),
        &list.to_vec().unwrap(),
    );
    assert_eq!(param(&sense(&c, SenseKey::IllegalRequest, 0x26, 0x00)), 0);
    // A list shorter than its header.
    let c = data_out(&r.t, &cdb(&ModeSelect6Cdb::new(2)), &[0, 0]);
    sense(&c, SenseKey::IllegalRequest, 0x1a, 0x00);
    // The CDB asks for more than the initiator sends (LIO: INVALID FIELD IN CDB).
    let c = data_out(&r.t, &cdb(&ModeSelect6Cdb::new(12)), &[0, 0, 0x10, 0]);
    let s = sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    assert_eq!(s.field_pointer().unwrap().field_pointer, 4);
    // SP: saving is not simulated.
    let list = ModeParameterList6::select_block_length(512).unwrap();
    let c = data_out(
        &r.t,
        &cdb(&ModeSelect6Cdb::for_list(&list).unwrap().sp(true)),
        &list.to_vec().unwrap(),
    );
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    // Nothing of it changed the mode; a zero-length list is not an error.
    assert_eq!(r.drive.block_length(), 0);
    good(&data_out(&r.t, &cdb(&ModeSelect6Cdb::new(0)), &[]));
}

#[test]
fn variable_records_filemarks_ili_and_end_of_data() {
    let r = rig(MIB, 0);
    let (a, b, d) = (pattern(100, 1), pattern(200, 2), pattern(300, 3));
    good(&write_var(&r.t, &a));
    good(&write_var(&r.t, &b));
    good(&filemarks(&r.t, 1));
    good(&write_var(&r.t, &d));
    assert_eq!(position(&r.t), 4);
    rewind(&r.t);
    // A shorter record: ILI, INFORMATION +100, the record transferred.
    let (c, buf) = read_var(&r.t, 200);
    let s = sense(&c, SenseKey::NoSense, 0x00, 0x00);
    assert_eq!(flags(&s), (false, false, true, Some(100)));
    #[rustfmt::skip]
    assert_eq!(s.to_vec().unwrap()[..8], [
        0xf0, 0x00,
        0x20,               // ILI, NO SENSE
        0x00, 0x00, 0x00, 0x64, // INFORMATION: 100
        0x0a,
    ]);
    assert_eq!((c.transferred, c.resid), (100, 100));
    assert_eq!(buf[..100], a[..]);
    // A longer record: ILI, INFORMATION −100, its head transferred.
    let (c, buf) = read_var(&r.t, 100);
    let s = sense(&c, SenseKey::NoSense, 0x00, 0x00);
    assert_eq!(flags(&s), (false, false, true, Some(-100)));
    assert_eq!(s.to_vec().unwrap()[3..7], [0xff, 0xff, 0xff, 0x9c]);
    assert_eq!(buf, b[..100]);
    assert_eq!(position(&r.t), 2);
    // The filemark: FILEMARK DETECTED, nothing moved, position after it.
    let (c, _) = read_var(&r.t, 300);
    let s = sense(&c, SenseKey::NoSense, 0x00, 0x01);
    assert_eq!(flags(&s), (true, false, false, Some(300)));
    assert_eq!(c.transferred, 0);
    assert_eq!(position(&r.t), 3);
    let (c, buf) = read_var(&r.t, 300);
    good(&c);
    assert_eq!(buf, d);
    // End of data: BLANK CHECK, position stays.
    let (c, _) = read_var(&r.t, 64);
    let s = sense(&c, SenseKey::BlankCheck, 0x00, 0x05);
    assert_eq!(flags(&s), (false, false, false, Some(64)));
    assert_eq!(position(&r.t), 4);
    // SILI suppresses both in variable mode.
    rewind(&r.t);
    let sili = |len| {
        data_in(
            &r.t,
            &cdb(&Read6Cdb::variable(len).sili(true)),
            len as usize,
        )
    };
    good(&sili(4096).0);
    let (c, buf) = sili(50);
    good(&c);
    assert_eq!(buf, b[..50]);
    // A zero transfer length reads nothing and does not move.
    good(&read_var(&r.t, 0).0);
    assert_eq!(position(&r.t), 2);
}

#[test]
fn fixed_block_mode() {
    let r = rig(MIB, 0);
    // FIXED in variable mode, SILI with FIXED: INVALID FIELD IN CDB.
    let c = write_fixed(&r.t, 1, &[0u8; 512]);
    let s = sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    let fp = s.field_pointer().unwrap();
    assert_eq!((fp.field_pointer, fp.bit_pointer), (1, Some(0)));
    good(&set_block_length(&r.t, 512));
    assert_eq!(r.drive.fixed_block_length(), Some(512));
    let c = data_in(&r.t, &cdb(&Read6Cdb::fixed(1).sili(true)), 512).0;
    let fp = sense(&c, SenseKey::IllegalRequest, 0x24, 0x00)
        .field_pointer()
        .unwrap();
    assert_eq!((fp.field_pointer, fp.bit_pointer), (1, Some(1)));
    // 4 blocks, a filemark, 2 blocks.
    let first = pattern(4 * 512, 5);
    let second = pattern(2 * 512, 6);
    good(&write_fixed(&r.t, 4, &first));
    good(&filemarks(&r.t, 1));
    good(&write_fixed(&r.t, 2, &second));
    assert_eq!(position(&r.t), 7);
    rewind(&r.t);
    // Six asked: four come, then the filemark; INFORMATION 2 (blocks).
    let (c, buf) = data_in(&r.t, &cdb(&Read6Cdb::fixed(6)), 6 * 512);
    let s = sense(&c, SenseKey::NoSense, 0x00, 0x01);
    assert_eq!(flags(&s), (true, false, false, Some(2)));
    assert_eq!((c.transferred, c.resid), (2048, 1024));
    assert_eq!(buf[..2048], first[..]);
    assert_eq!(position(&r.t), 5);
    // Three asked: two come, then end of data; INFORMATION 1.
    let (c, buf) = data_in(&r.t, &cdb(&Read6Cdb::fixed(3)), 3 * 512);
    let s = sense(&c, SenseKey::BlankCheck, 0x00, 0x05);
    assert_eq!(flags(&s), (false, false, false, Some(1)));
    assert_eq!(c.transferred, 1024);
    assert_eq!(buf[..1024], second[..]);
    // A block of another size in fixed mode: ILI after it.
    good(&set_block_length(&r.t, 0));
    good(&write_var(&r.t, &[9u8; 100]));
    good(&set_block_length(&r.t, 512));
    good(&locate(&r.t, 5));
    let (c, _) = data_in(&r.t, &cdb(&Read6Cdb::fixed(4)), 4 * 512);
    let s = sense(&c, SenseKey::NoSense, 0x00, 0x00);
    assert_eq!(flags(&s), (false, false, true, Some(2)));
    assert_eq!(c.transferred, 1024);
    assert_eq!(position(&r.t), 8);
    // A variable READ in fixed mode reads one record.
    good(&locate(&r.t, 0));
    let (c, buf) = read_var(&r.t, 512);
    good(&c);
    assert_eq!(buf, first[..512]);
}

#[test]
fn write_transfer_must_match_the_cdb() {
    let r = rig(MIB, 0);
    for (cdb6, len) in [
        (Write6Cdb::variable(100), 99usize),
        (Write6Cdb::variable(100), 101),
        (Write6Cdb::variable(0), 1),
    ] {
        let c = data_out(&r.t, &cdb(&cdb6), &vec![0; len]);
        sense(&c, SenseKey::IllegalRequest, 0x0e, 0x03);
    }
    good(&set_block_length(&r.t, 512));
    let c = write_fixed(&r.t, 2, &[0u8; 512]);
    sense(&c, SenseKey::IllegalRequest, 0x0e, 0x03);
    assert_eq!(position(&r.t), 0);
    // A variable record past the maximum block length.
    good(&set_block_length(&r.t, 0));
    let big = vec![0u8; (8 << 20) + 1];
    let c = write_var(&r.t, &big);
    let s = sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    assert_eq!(s.field_pointer().unwrap().field_pointer, 2);
}

#[test]
fn writing_erases_what_follows() {
    let r = rig(MIB, 0);
    for i in 0..3u8 {
        good(&write_var(&r.t, &[i; 10]));
    }
    good(&filemarks(&r.t, 2));
    good(&locate(&r.t, 1));
    good(&write_var(&r.t, &[7; 20]));
    good(&space(&r.t, SpaceCode::EndOfData, 0));
    assert_eq!(position(&r.t), 2);
    let c = r
        .drive
        .with_cartridge(|c| (c.object_count(), c.filemark_count(), c.used_bytes()))
        .unwrap();
    assert_eq!(c, (2, 0, 30));
}

#[test]
fn early_warning_then_volume_overflow() {
    // Early warning 2000 bytes before the end of 10000.
    let r = rig(10_000, 2_000);
    let rec = vec![1u8; 3000];
    good(&write_var(&r.t, &rec));
    good(&write_var(&r.t, &rec));
    // 9000 bytes: past early warning; written, and said so.
    let c = write_var(&r.t, &rec);
    let s = sense(&c, SenseKey::NoSense, 0x00, 0x02);
    assert_eq!(flags(&s), (false, true, false, Some(0)));
    #[rustfmt::skip]
    assert_eq!(s.to_vec().unwrap(), [
        0xf0, 0x00,
        0x40,                   // EOM, NO SENSE
        0x00, 0x00, 0x00, 0x00, // INFORMATION: nothing left undone
        0x0a, 0, 0, 0, 0,
        0x00, 0x02,             // END-OF-PARTITION/MEDIUM DETECTED
        0, 0, 0, 0,
    ]);
    assert_eq!(c.transferred, 3000);
    assert_eq!(position(&r.t), 3);
    // READ POSITION says so too.
    let (_, buf) = data_in(
        &r.t,
        &cdb(&ReadPositionCdb::new(ReadPositionForm::ShortBlockId)),
        20,
    );
    assert_eq!(buf[0], 0x40, "EOP");
    // 12000 would not fit: VOLUME OVERFLOW, nothing written.
    let c = write_var(&r.t, &rec);
    let s = sense(&c, SenseKey::VolumeOverflow, 0x00, 0x02);
    assert_eq!(flags(&s), (false, true, false, Some(3000)));
    assert_eq!(position(&r.t), 3);
    // Nor does a filemark (4 KiB: 9000 + 4096 > 10000).
    let c = filemarks(&r.t, 1);
    let s = sense(&c, SenseKey::VolumeOverflow, 0x00, 0x02);
    assert_eq!(flags(&s).3, Some(1));
    // What fits is written, with the warning.
    let c = write_var(&r.t, &[2u8; 1000]);
    sense(&c, SenseKey::NoSense, 0x00, 0x02);
    assert_eq!(r.drive.with_cartridge(|c| c.used_bytes()), Some(10_000));
}

#[test]
fn fixed_mode_overflow_writes_the_blocks_that_fit() {
    let r = rig(4 * 512 + 100, 0);
    good(&set_block_length(&r.t, 512));
    let c = write_fixed(&r.t, 6, &pattern(6 * 512, 1));
    let s = sense(&c, SenseKey::VolumeOverflow, 0x00, 0x02);
    assert_eq!(flags(&s), (false, true, false, Some(2)));
    assert_eq!(position(&r.t), 4);
}

#[test]
fn write_filemarks() {
    let r = rig(MIB, 0);
    good(&filemarks(&r.t, 0));
    assert_eq!(position(&r.t), 0);
    good(&filemarks(&r.t, 3));
    assert_eq!(position(&r.t), 3);
    let c = none(&r.t, &cdb(&WriteFilemarks6Cdb::new(1).wsmk(true)));
    let fp = sense(&c, SenseKey::IllegalRequest, 0x24, 0x00)
        .field_pointer()
        .unwrap();
    assert_eq!((fp.field_pointer, fp.bit_pointer), (1, Some(1)));
    assert_eq!(
        r.drive.with_cartridge(|c| c.used_bytes()),
        Some(3 * FILEMARK_BYTES)
    );
    // Beyond early warning, filemarks report it as writes do.
    let r = rig(3 * FILEMARK_BYTES, FILEMARK_BYTES);
    good(&filemarks(&r.t, 1));
    let c = filemarks(&r.t, 1);
    let s = sense(&c, SenseKey::NoSense, 0x00, 0x02);
    assert_eq!(flags(&s), (false, true, false, Some(0)));
}

/// A tape of: block, block, filemark, block, filemark, filemark, block.
fn spaced_rig() -> Rig {
    let r = rig(MIB, 0);
    good(&write_var(&r.t, &[0; 8]));
    good(&write_var(&r.t, &[1; 8]));
    good(&filemarks(&r.t, 1));
    good(&write_var(&r.t, &[3; 8]));
    good(&filemarks(&r.t, 2));
    good(&write_var(&r.t, &[6; 8]));
    rewind(&r.t);
    r
}

#[test]
fn space_over_blocks() {
    let r = spaced_rig();
    good(&space(&r.t, SpaceCode::Blocks, 1));
    assert_eq!(position(&r.t), 1);
    // Forward into a filemark: stop after it, residue 3 of 4.
    let c = space(&r.t, SpaceCode::Blocks, 4);
    let s = sense(&c, SenseKey::NoSense, 0x00, 0x01);
    assert_eq!(flags(&s), (true, false, false, Some(3)));
    assert_eq!(position(&r.t), 3);
    // Backward into it: stop before it.
    let c = space(&r.t, SpaceCode::Blocks, -2);
    let s = sense(&c, SenseKey::NoSense, 0x00, 0x01);
    assert_eq!(flags(&s), (true, false, false, Some(2)));
    assert_eq!(position(&r.t), 2);
    // Backward to BOP: BEGINNING-OF-PARTITION with EOM.
    good(&space(&r.t, SpaceCode::Blocks, -1));
    assert_eq!(position(&r.t), 1);
    let c = space(&r.t, SpaceCode::Blocks, -5);
    let s = sense(&c, SenseKey::NoSense, 0x00, 0x04);
    assert_eq!(flags(&s), (false, true, false, Some(4)));
    assert_eq!(position(&r.t), 0);
    // Forward to end of data.
    good(&locate(&r.t, 6));
    let c = space(&r.t, SpaceCode::Blocks, 3);
    let s = sense(&c, SenseKey::BlankCheck, 0x00, 0x05);
    assert_eq!(flags(&s), (false, false, false, Some(2)));
    assert_eq!(position(&r.t), 7);
    // Zero: nowhere.
    good(&space(&r.t, SpaceCode::Blocks, 0));
    assert_eq!(position(&r.t), 7);
}

#[test]
fn space_over_filemarks_and_to_end_of_data() {
    let r = spaced_rig();
    good(&space(&r.t, SpaceCode::Filemarks, 1));
    assert_eq!(position(&r.t), 3);
    good(&space(&r.t, SpaceCode::Filemarks, 2));
    assert_eq!(position(&r.t), 6);
    // Backward two: BOP side of the filemark at 4.
    good(&space(&r.t, SpaceCode::Filemarks, -2));
    assert_eq!(position(&r.t), 4);
    // Forward past the last one: end of data, residue 2 of 3.
    let c = space(&r.t, SpaceCode::Filemarks, 3);
    let s = sense(&c, SenseKey::BlankCheck, 0x00, 0x05);
    assert_eq!(flags(&s), (false, false, false, Some(1)));
    assert_eq!(position(&r.t), 7);
    // Backward past the first: BOP, residue.
    let c = space(&r.t, SpaceCode::Filemarks, -5);
    let s = sense(&c, SenseKey::NoSense, 0x00, 0x04);
    assert_eq!(flags(&s), (false, true, false, Some(2)));
    assert_eq!(position(&r.t), 0);
    good(&space(&r.t, SpaceCode::EndOfData, 0));
    assert_eq!(position(&r.t), 7);
    // Setmarks and sequential filemarks are not simulated.
    for code in [
        SpaceCode::Setmarks,
        SpaceCode::SequentialFilemarks,
        SpaceCode::Unknown(9),
    ] {
        let c = space(&r.t, code, 1);
        sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    }
}

#[test]
fn locate_and_read_position() {
    let r = spaced_rig();
    // Short form at BOP, golden.
    let (c, buf) = data_in(
        &r.t,
        &cdb(&ReadPositionCdb::new(ReadPositionForm::ShortBlockId)),
        20,
    );
    good(&c);
    #[rustfmt::skip]
    assert_eq!(buf, [
        0x80,             // BOP; position known (LOLU clear), no overflow
        0x00,             // PARTITION NUMBER
        0x00, 0x00,       // reserved
        0, 0, 0, 0,       // FIRST LOGICAL OBJECT LOCATION
        0, 0, 0, 0,       // LAST LOGICAL OBJECT LOCATION
        0x00,             // reserved
        0, 0, 0,          // NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER
        0, 0, 0, 0,       // NUMBER OF BYTES IN OBJECT BUFFER
    ]);
    good(&locate(&r.t, 5));
    let (_, buf) = data_in(
        &r.t,
        &cdb(&ReadPositionCdb::new(ReadPositionForm::ShortBlockId)),
        20,
    );
    let short = ShortPosition::parse(&buf).unwrap();
    assert_eq!(short.position().block(), Some(5));
    assert_eq!(short.last_block_location, 5);
    let (_, buf) = data_in(
        &r.t,
        &cdb(&ReadPositionCdb::new(ReadPositionForm::Long)),
        32,
    );
    #[rustfmt::skip]
    assert_eq!(buf, [
        0x00, 0, 0, 0,            // flags; reserved
        0, 0, 0, 0,               // PARTITION NUMBER
        0, 0, 0, 0, 0, 0, 0, 5,   // LOGICAL OBJECT NUMBER
        0, 0, 0, 0, 0, 0, 0, 2,   // LOGICAL FILE IDENTIFIER: two filemarks before
        0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    let (c, buf) = data_in(
        &r.t,
        &cdb(&ReadPositionCdb::new(ReadPositionForm::Extended)),
        32,
    );
    good(&c);
    let ext = ExtendedPosition::parse(&buf).unwrap();
    assert_eq!(ext.position().block(), Some(5));
    assert_eq!(ext.last_logical_object_location, 5);
    // The extended form is cut by its allocation length.
    let (c, _) = data_in(
        &r.t,
        &cdb(&ReadPositionCdb::new(ReadPositionForm::Extended).allocation_length(8)),
        32,
    );
    assert_eq!(c.transferred, 8);
    // Short and long forms take ALLOCATION LENGTH zero.
    let (c, _) = data_in(
        &r.t,
        &cdb(&ReadPositionCdb::new(ReadPositionForm::ShortBlockId).allocation_length(20)),
        20,
    );
    let fp = sense(&c, SenseKey::IllegalRequest, 0x24, 0x00)
        .field_pointer()
        .unwrap();
    assert_eq!(fp.field_pointer, 7);
    let (c, _) = data_in(
        &r.t,
        &cdb(&ReadPositionCdb::new(ReadPositionForm::Unknown(0x1f))),
        32,
    );
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    // LOCATE past end of data: BLANK CHECK, at EOD.
    let c = locate(&r.t, 99);
    sense(&c, SenseKey::BlankCheck, 0x00, 0x05);
    assert_eq!(position(&r.t), 7);
    good(&locate(&r.t, 7));
    // LOCATE(16): logical object, logical file, end of data.
    let l16 = |d, id| none(&r.t, &cdb(&Locate16Cdb::new(d, id)));
    good(&l16(LocateDestType::LogicalObject, 1));
    assert_eq!(position(&r.t), 1);
    good(&l16(LocateDestType::LogicalFile, 2));
    assert_eq!(position(&r.t), 5);
    good(&l16(LocateDestType::LogicalFile, 0));
    assert_eq!(position(&r.t), 0);
    let c = l16(LocateDestType::LogicalFile, 4);
    sense(&c, SenseKey::BlankCheck, 0x00, 0x05);
    good(&l16(LocateDestType::EndOfData, 0));
    assert_eq!(position(&r.t), 7);
    let c = l16(LocateDestType::Unknown(2), 0);
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    // Another partition.
    let c = none(&r.t, &cdb(&Locate10Cdb::new(0).partition(1)));
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    let c = none(
        &r.t,
        &cdb(&Locate16Cdb::new(LocateDestType::LogicalObject, 0).partition(1)),
    );
    sense(&c, SenseKey::IllegalRequest, 0x24, 0x00);
    good(&none(&r.t, &cdb(&Locate10Cdb::new(2).partition(0))));
    rewind(&r.t);
    assert_eq!(position(&r.t), 0);
}

#[test]
fn write_protected_cartridge() {
    let r = rig_with(
        Some(Cartridge::memory("WP", MIB, 0).write_protected(true)),
        vec![],
    );
    let c = write_var(&r.t, &[0u8; 10]);
    let s = sense(&c, SenseKey::DataProtect, 0x27, 0x00);
    assert_eq!(s.to_vec().unwrap()[2], 0x07);
    sense(&filemarks(&r.t, 1), SenseKey::DataProtect, 0x27, 0x00);
    good(&filemarks(&r.t, 0));
    let (_, buf) = data_in(&r.t, &cdb(&ModeSense6Cdb::new(0, 64)), 64);
    assert_eq!(buf[2], 0x90, "WP and BUFFERED MODE 1");
    let (c, _) = read_var(&r.t, 10);
    sense(&c, SenseKey::BlankCheck, 0x00, 0x05);
    assert_eq!(
        r.drive.write(Bytes::from_static(b"x")),
        Err(TargetError::Check(
            SenseData::fixed(SenseKey::DataProtect, 0x27, 0).into()
        ))
    );
}

#[test]
fn medium_error_at_a_tape_block() {
    let r = rig_with(
        Some(Cartridge::memory("T", MIB, 0)),
        vec![Fault::once(
            "t0",
            Trigger::TapeBlock(1),
            Effect::MediumError,
        )],
    );
    good(&write_var(&r.t, &[0; 100]));
    // Writing block 1: WRITE ERROR, the residue the whole record.
    let c = write_var(&r.t, &[1; 100]);
    let s = sense(&c, SenseKey::MediumError, 0x0c, 0x00);
    assert_eq!(flags(&s), (false, false, false, Some(100)));
    assert_eq!(position(&r.t), 1);
    // Once: the retry is written.
    good(&write_var(&r.t, &[1; 100]));
    good(&write_var(&r.t, &[2; 100]));
    // Reading block 2 with a fault there: UNRECOVERED READ ERROR.
    r.fabric.faults().add(Fault::once(
        "t0",
        Trigger::TapeBlock(2),
        Effect::MediumError,
    ));
    good(&locate(&r.t, 2));
    let (c, _) = read_var(&r.t, 100);
    let s = sense(&c, SenseKey::MediumError, 0x11, 0x00);
    assert_eq!(flags(&s).3, Some(100));
    assert_eq!(position(&r.t), 2, "the position stays before the bad block");
    let (c, buf) = read_var(&r.t, 100);
    good(&c);
    assert_eq!(buf, [2; 100]);
}

#[test]
fn medium_error_in_a_fixed_transfer_stops_at_that_block() {
    let r = rig_with(
        Some(Cartridge::memory("T", MIB, 0)),
        vec![Fault::once(
            "t0",
            Trigger::TapeBlock(3),
            Effect::MediumError,
        )],
    );
    good(&set_block_length(&r.t, 512));
    let c = write_fixed(&r.t, 5, &pattern(5 * 512, 0));
    let s = sense(&c, SenseKey::MediumError, 0x0c, 0x00);
    assert_eq!(flags(&s).3, Some(2));
    assert_eq!(position(&r.t), 3);
}

#[test]
fn end_of_medium_after_n_blocks() {
    // The medium ends at object 3, however large the capacity.
    let r = rig_with(
        Some(Cartridge::memory("T", 100 * MIB, 0)),
        vec![Fault::once(
            "t0",
            Trigger::TapeBlock(3),
            Effect::EndOfMedium,
        )],
    );
    for i in 0..3u8 {
        good(&write_var(&r.t, &[i; 64]));
    }
    for _ in 0..2 {
        let c = write_var(&r.t, &[3; 64]);
        let s = sense(&c, SenseKey::VolumeOverflow, 0x00, 0x02);
        assert_eq!(flags(&s), (false, true, false, Some(64)));
        assert_eq!(position(&r.t), 3);
    }
    sense(&filemarks(&r.t, 1), SenseKey::VolumeOverflow, 0x00, 0x02);
    // Rewriting earlier blocks still works, up to the end.
    good(&locate(&r.t, 1));
    good(&write_var(&r.t, &[9; 64]));
    good(&write_var(&r.t, &[9; 64]));
    assert_eq!(position(&r.t), 3);
    // And the data path sees the same end.
    let e = r.path().write(Bytes::from_static(&[1; 8])).unwrap_err();
    let TargetError::Check(s) = e else { panic!() };
    assert_eq!(s.sense_key(), Some(SenseKey::VolumeOverflow));
}

#[test]
fn end_of_medium_while_reading_is_a_medium_error_with_eom() {
    let r = rig(MIB, 0);
    good(&write_var(&r.t, &[0; 16]));
    good(&write_var(&r.t, &[1; 16]));
    // Added at run time, through the plan the fabric puts in front of the drive.
    r.fabric.faults().add(Fault::once(
        "t0",
        Trigger::TapeBlock(1),
        Effect::EndOfMedium,
    ));
    rewind(&r.t);
    good(&read_var(&r.t, 16).0);
    let (c, _) = read_var(&r.t, 16);
    let s = sense(&c, SenseKey::MediumError, 0x00, 0x02);
    assert_eq!(flags(&s), (false, true, false, Some(16)));
    assert_eq!(c.transferred, 0);
    assert_eq!(position(&r.t), 1);
    // The medium now ends there for the data path too.
    let e = r.path().read().unwrap_err();
    let TargetError::Check(s) = e else { panic!() };
    assert_eq!(s.asc_ascq(), Some((0x00, 0x02)));
}

#[test]
fn gone_and_hang_on_the_data_path() {
    let r = rig_with(
        Some(Cartridge::memory("T", MIB, 0)),
        vec![
            Fault::once("t0", Trigger::TapeBlock(1), Effect::Hang),
            Fault::once("t0", Trigger::TapeBlock(2), Effect::Gone),
        ],
    );
    good(&write_var(&r.t, &[0; 8]));
    let c = write_var(&r.t, &[1; 8]);
    assert_eq!(c.host_status, HostStatus::TimeOut);
    assert_eq!(position(&r.t), 1, "a hung write wrote nothing");
    good(&write_var(&r.t, &[1; 8]));
    let c = write_var(&r.t, &[2; 8]);
    assert_eq!(c.host_status, HostStatus::NoConnect);
    let e =
        r.t.execute(&cdb(&TestUnitReadyCdb::new()), DataDirection::None, T)
            .unwrap_err();
    assert!(matches!(e, TransportError::Gone { .. }), "{e}");
    assert_eq!(r.path().position(), Ok(2));
    assert_eq!(
        r.path().write(Bytes::from_static(b"x")),
        Err(TargetError::Gone)
    );
}

#[test]
fn hang_on_a_command_is_a_time_out() {
    let r = rig_with(
        Some(Cartridge::memory("T", MIB, 0)),
        vec![Fault::once("t0", Trigger::Command(1), Effect::Hang)],
    );
    let c = none(&r.t, &cdb(&RewindCdb::new()));
    assert_eq!(c.host_status, HostStatus::TimeOut);
    rewind(&r.t);
}

#[test]
fn random_medium_errors_at_a_seed() {
    let run = |seed| {
        let r = rig_with(
            Some(Cartridge::memory("T", MIB, 0)),
            vec![Fault {
                device: "t0".into(),
                trigger: Trigger::Random {
                    per_million: 200_000,
                    seed,
                },
                effect: Effect::MediumError,
                times: None,
            }],
        );
        (0..50)
            .map(|_| write_var(&r.t, &[0; 4]).status == ScsiStatus::CheckCondition)
            .collect::<Vec<_>>()
    };
    let a = run(7);
    assert_eq!(a, run(7));
    assert_ne!(a, run(8));
    let hits = a.iter().filter(|&&h| h).count();
    assert!((3..=25).contains(&hits), "{hits} of 50 at 20%");
}

#[test]
fn the_copy_manager_data_path() {
    let r = rig(10_000, 2_000);
    let lu = r.fabric.lu("t0").unwrap();
    assert!(lu.block().is_none());
    let s = lu.stream().unwrap();
    assert_eq!(s.fixed_block_length(), None);
    assert_eq!(s.position(), Ok(0));
    // A record is stored, not copied: reading it back gives the same bytes
    // at the same address.
    let rec = Bytes::from(pattern(3000, 4));
    assert_eq!(s.write(rec.clone()), Ok(false));
    s.write_filemarks(1).unwrap();
    assert_eq!(s.position(), Ok(2));
    assert_eq!(
        s.write(Bytes::from(vec![0u8; 1000])),
        Ok(true),
        "early warning"
    );
    let e = s.write(Bytes::from(vec![0u8; 2000])).unwrap_err();
    let TargetError::Check(sense) = e else {
        panic!()
    };
    assert_eq!(sense.sense_key(), Some(SenseKey::VolumeOverflow));
    assert_eq!(flags(&sense), (false, true, false, Some(2000)));
    rewind(&r.t);
    let StreamRead::Record(back) = s.read().unwrap() else {
        panic!()
    };
    assert_eq!(back, rec);
    assert_eq!(back.as_ptr(), rec.as_ptr(), "no copy");
    assert_eq!(s.read(), Ok(StreamRead::Filemark));
    assert!(matches!(s.read(), Ok(StreamRead::Record(b)) if b.len() == 1000));
    assert_eq!(s.read(), Ok(StreamRead::EndOfData));
    assert_eq!(s.position(), Ok(3));
    // Fixed mode: a transfer is cut into blocks (slices of the same bytes).
    good(&set_block_length(&r.t, 100));
    assert_eq!(s.fixed_block_length(), Some(100));
    good(&locate(&r.t, 0));
    assert_eq!(s.write(Bytes::from(pattern(300, 1))), Ok(false));
    assert_eq!(s.position(), Ok(3));
    assert!(s.write(Bytes::from(vec![0u8; 150])).is_err());
    // Commands see what the data path wrote.
    good(&locate(&r.t, 1));
    let (c, buf) = data_in(&r.t, &cdb(&Read6Cdb::fixed(1)), 100);
    good(&c);
    assert_eq!(buf, pattern(300, 1)[100..200]);
    // Empty drive.
    r.drive.unload();
    let e = s.position().unwrap_err();
    let TargetError::Check(sense) = e else {
        panic!()
    };
    assert_eq!(sense.asc_ascq(), Some((0x3a, 0x00)));
}

fn objects(c: &Cartridge) -> Vec<TapeObject> {
    (0..c.object_count())
        .map(|i| c.object(i).unwrap().unwrap())
        .collect()
}

#[test]
fn a_cartridge_file_survives_a_restart() {
    let dir = tmp_dir("restart");
    let path = dir.join("TAPE01.tape");
    let a = pattern(5000, 1);
    let b = pattern(70_000, 2);
    {
        let cart = Cartridge::open(&path, "TAPE01", 10 * MIB, MIB).unwrap();
        assert_eq!(cart.object_count(), 0);
        let r = rig_with(Some(cart), vec![]);
        good(&write_var(&r.t, &a));
        good(&filemarks(&r.t, 1));
        good(&write_var(&r.t, &b));
        good(&write_var(&r.t, &a));
        good(&filemarks(&r.t, 2));
        // Overwrite the last filemark with a block.
        good(&locate(&r.t, 5));
        good(&write_var(&r.t, &[7; 3]));
    }
    // A second process: the same objects.
    let want = vec![
        TapeObject::Block(Bytes::from(a.clone())),
        TapeObject::Filemark,
        TapeObject::Block(Bytes::from(b.clone())),
        TapeObject::Block(Bytes::from(a.clone())),
        TapeObject::Filemark,
        TapeObject::Block(Bytes::from_static(&[7; 3])),
    ];
    {
        let cart = Cartridge::open(&path, "TAPE01", 10 * MIB, MIB).unwrap();
        assert_eq!(objects(&cart), want);
        assert_eq!(cart.filemark_count(), 2);
        // One place at a time.
        let e = Cartridge::open_existing(&path).unwrap_err();
        assert!(e.to_string().contains("in use"), "{e}");
        let r = rig_with(Some(cart), vec![]);
        good(&space(&r.t, SpaceCode::Filemarks, 1));
        let (c, buf) = read_var(&r.t, 70_000);
        good(&c);
        assert_eq!(buf, b);
        good(&space(&r.t, SpaceCode::EndOfData, 0));
        assert_eq!(position(&r.t), 6);
    }
    let label = Cartridge::read_label(&path).unwrap();
    assert_eq!(
        (label.barcode.as_str(), label.capacity, label.early_warning),
        ("TAPE01", 10 * MIB, MIB)
    );
    // Another barcode or capacity for the file is refused.
    let e = Cartridge::open(&path, "TAPE02", 10 * MIB, MIB).unwrap_err();
    assert!(e.to_string().contains("barcode TAPE01"), "{e}");
    let e = Cartridge::open(&path, "TAPE01", MIB, 0).unwrap_err();
    assert!(e.to_string().contains("capacity"), "{e}");
}

/// A drive outside a library keeps its state only when asked to
/// (`keep_state`); `resume` with nothing saved leaves the position unknown.
#[test]
fn a_standalone_drive_keeps_its_state_when_asked() {
    let dir = tmp_dir("keep");
    let state = dir.join("t0.json");
    let tape = dir.join("K.tape");
    let open = || Cartridge::open(&tape, "K", MIB, 0).unwrap();
    {
        let r = rig_with(None, vec![]);
        r.drive.keep_state(&state).unwrap();
        // One keeper per file.
        let other = SimTapeDrive::new("t1");
        let e = other.keep_state(&state).unwrap_err();
        assert!(e.to_string().contains("in use"), "{e}");
        r.drive.load(open());
        good(&set_block_length(&r.t, 100));
        good(&write_fixed(&r.t, 2, &pattern(200, 1)));
    }
    {
        let r = rig_with(None, vec![]);
        r.drive.keep_state(&state).unwrap();
        assert_eq!(r.drive.block_length(), 100);
        assert!(r.drive.resume(open()).is_none());
        assert_eq!(position(&r.t), 2);
        good(&filemarks(&r.t, 1));
        // A load is at BOP.
        let c = r.drive.unload().unwrap();
        r.drive.load(c);
        assert_eq!(position(&r.t), 0);
        good(&locate(&r.t, 3));
    }
    {
        let r = rig_with(None, vec![]);
        r.drive.keep_state(&state).unwrap();
        r.drive.resume(open());
        assert_eq!(position(&r.t), 3);
    }
    // Nothing kept: the drive does not know where it is.
    let r = rig_with(None, vec![]);
    r.drive.resume(open());
    let (c, buf) = data_in(
        &r.t,
        &cdb(&ReadPositionCdb::new(ReadPositionForm::Long)),
        32,
    );
    good(&c);
    assert_eq!(buf[0] & 0x0c, 0x0c, "LONU and MPU");
    let lost = |c: &Completion| sense(c, SenseKey::MediumError, 0x3b, 0x00);
    lost(&filemarks(&r.t, 1));
    lost(&read_var(&r.t, 100).0);
    let s = r.fabric.lu("t0").unwrap().stream().unwrap();
    assert!(matches!(s.position(), Err(TargetError::Check(_))));
    assert!(matches!(s.read(), Err(TargetError::Check(_))));
    assert!(matches!(
        s.write(Bytes::from_static(b"x")),
        Err(TargetError::Check(_))
    ));
    good(&locate(&r.t, 0));
    let (c, buf) = data_in(&r.t, &cdb(&Read6Cdb::variable(100)), 100);
    good(&c);
    assert_eq!(buf, pattern(200, 1)[..100]);
}

/// The file format, byte for byte.
#[test]
fn cartridge_file_format_golden() {
    let dir = tmp_dir("format");
    let path = dir.join("F.tape");
    {
        let r = rig_with(
            Some(Cartridge::open(&path, "F", 0x1234, 0x56).unwrap()),
            vec![],
        );
        good(&write_var(&r.t, b"abc"));
        good(&filemarks(&r.t, 1));
    }
    let bytes = std::fs::read(&path).unwrap();
    let mut want = Vec::new();
    want.extend_from_slice(b"SEGCTAPE"); // magic
    want.extend_from_slice(&[0, 1, 0, 64, 0, 0, 0, 0]); // version 1, header length 64
    want.extend_from_slice(&0x1234u64.to_be_bytes()); // capacity
    want.extend_from_slice(&0x56u64.to_be_bytes()); // early-warning size
    let mut barcode = [b' '; 32];
    barcode[0] = b'F';
    want.extend_from_slice(&barcode);
    want.extend_from_slice(&[0x01, 0, 0, 0, 0, 0, 0, 3]); // block of 3 bytes
    want.extend_from_slice(b"abc");
    want.extend_from_slice(&[0x02, 0, 0, 0, 0, 0, 0, 0]); // filemark
    assert_eq!(bytes, want);
}

#[test]
fn a_torn_tail_is_cut_at_the_last_whole_object() {
    let dir = tmp_dir("torn");
    let path = dir.join("T.tape");
    {
        let r = rig_with(Some(Cartridge::open(&path, "T", MIB, 0).unwrap()), vec![]);
        good(&write_var(&r.t, &[1; 10]));
        good(&write_var(&r.t, &[2; 10]));
    }
    let whole = std::fs::metadata(&path).unwrap().len();
    for tail in [
        &[0x01u8, 0, 0][..],                        // half a header
        &[0x01, 0, 0, 0, 0, 0, 0, 50, 1, 2, 3][..], // a block cut short
        &[0x07, 0, 0, 0, 0, 0, 0, 0][..],           // an unknown kind
        &[0x02, 0, 0, 0, 0, 0, 0, 1][..],           // a filemark with data
    ] {
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(whole as usize);
        bytes.extend_from_slice(tail);
        std::fs::write(&path, &bytes).unwrap();
        let c = Cartridge::open_existing(Path::new(&path)).unwrap();
        assert_eq!(c.object_count(), 2);
        drop(c);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
    }
    // Not a cartridge at all.
    std::fs::write(dir.join("junk.tape"), b"hello").unwrap();
    let e = Cartridge::open_existing(&dir.join("junk.tape")).unwrap_err();
    assert!(e.to_string().contains("too short"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Sequences of arbitrary CDBs and data at a drive with a small
    /// cartridge (and without one): every one gets an answer, the drive's
    /// position stays within the tape.
    #[test]
    fn any_cdb_gets_an_answer(
        loaded in any::<bool>(),
        steps in proptest::collection::vec(
            (any_cdb(
                &[0x00, 0x01, 0x05, 0x08, 0x0a, 0x10, 0x11, 0x15, 0x1a, 0x2b, 0x34, 0x92],
                20,
            ), 0u8..3, proptest::collection::vec(any::<u8>(), 0..1024)),
            1..8,
        ),
    ) {
        let cart = loaded.then(|| Cartridge::memory("P", 64 * 1024, 8 * 1024));
        let r = rig_with(cart, vec![]);
        for (cdb, dir, data) in steps {
            let mut buf = data.clone();
            let d = match dir {
                0 => DataDirection::None,
                1 => DataDirection::ToDevice(&data),
                _ => DataDirection::FromDevice(&mut buf),
            };
            let len = d.len();
            let c = r.t.execute(&cdb, d, T).unwrap();
            prop_assert!(c.resid <= len);
            prop_assert!(c.transferred <= len);
            if c.status == ScsiStatus::CheckCondition {
                prop_assert!(SenseData::parse(&c.sense).is_ok());
            }
            if let Some((pos, n)) = r.drive.with_cartridge(|c| c.object_count())
                .map(|n| (r.drive.position().unwrap(), n))
            {
                prop_assert!(pos <= n);
            }
        }
    }
}
