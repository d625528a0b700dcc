//! Golden fixtures of the SSC (tape) structures and the shared mode
//! parameter lists: every file of each kind parses, emits back byte for
//! byte into a buffer pre-filled with A5h, and decodes to the values its
//! comments give.

mod common;

use std::collections::BTreeMap;

use segcopy::wire::mode::{
    ModeListKind, ModeParameterList6, ModeSelect6Cdb, ModeSense6Cdb, PageControl,
};
use segcopy::wire::ssc::{
    BlockLimits, BlockLimitsMloi, BlockPosition, ExtendedPosition, ExtendedPositionFlags,
    Locate10Cdb, Locate16Cdb, LocateDestType, LongPosition, PositionUnknown, Read6Cdb,
    ReadBlockLimitsCdb, ReadPositionCdb, ReadPositionForm, RewindCdb, ShortPosition,
    ShortPositionFlags, Space6Cdb, SpaceCode, TransferLength, Write6Cdb, WriteFilemarks6Cdb,
};
use segcopy::wire::Repr;

/// Every fixture of `fixtures/wire/<kind>/`, parsed as `R` and emitted
/// back byte for byte (`common::round_trip`), keyed by file name.
fn round_trip<R: Repr + std::fmt::Debug>(kind: &str) -> BTreeMap<String, R> {
    common::round_trip::<R>(kind).into_iter().collect()
}

#[test]
fn read_position_short() {
    let f = round_trip::<ShortPosition>("read-position-short");
    let bop = &f["bop.hex"];
    assert!(bop.flags.contains(ShortPositionFlags::BOP));
    assert_eq!(
        bop.position(),
        BlockPosition::Known {
            partition: 0,
            block: 0
        }
    );

    let mid = &f["mid-tape-1234.hex"];
    assert_eq!(mid.position().block(), Some(1234));
    assert_eq!(mid.last_block_location, 1230);
    assert_eq!(mid.buffered_blocks(), Some(4));
    assert_eq!(mid.buffered_bytes(), Some(262_144));

    let tgt = &f["tgt-bpu.hex"];
    assert!(tgt.flags.contains(ShortPositionFlags::BPU));
    assert!(!tgt.is_position_known());
    assert_eq!(
        tgt.position(),
        BlockPosition::Unknown(PositionUnknown::NotReported)
    );
    assert_eq!(tgt.buffered_bytes(), None);
}

#[test]
fn read_position_long() {
    let f = round_trip::<LongPosition>("read-position-long");
    let p = &f["block-1234-file-3.hex"];
    assert_eq!(
        p.position(),
        BlockPosition::Known {
            partition: 0,
            block: 1234
        }
    );
    assert_eq!(p.file_number(), Some(3));
    // tgt's long form: a reserved bit, LONU clear — claims block 0.
    let tgt = &f["tgt-reserved-bit.hex"];
    assert_eq!(tgt.reserved_bits(), 0x20);
    assert_eq!(tgt.position().block(), Some(0));
}

#[test]
fn read_position_extended() {
    let f = round_trip::<ExtendedPosition>("read-position-extended");
    assert!(f["bop.hex"].flags.contains(ExtendedPositionFlags::BOP));
    let p = &f["partition1-past-4g.hex"];
    assert_eq!(
        p.position(),
        BlockPosition::Known {
            partition: 1,
            block: (1 << 32) + 5
        }
    );
    assert!(p.flags.contains(ExtendedPositionFlags::BPEW));
    assert_eq!(p.number_of_logical_objects_in_buffer, 2);
    assert_eq!(p.number_of_bytes_in_buffer, 524_288);
}

#[test]
fn read_block_limits() {
    let f = round_trip::<BlockLimits>("read-block-limits");
    let lto = &f["lto-variable.hex"];
    assert_eq!(
        (
            lto.granularity,
            lto.maximum_block_length_limit,
            lto.minimum_block_length_limit
        ),
        (0, 0xff_ffff, 1)
    );
    assert!(lto.allows(262_144));
    let tgt = &f["tgt-fixed-512.hex"];
    assert_eq!(tgt.granularity_bytes(), 512);
    assert!(tgt.single_length());
    let m = round_trip::<BlockLimitsMloi>("read-block-limits-mloi");
    assert_eq!(
        m["example.hex"].maximum_logical_object_identifier,
        0x0fff_ffff
    );
}

#[test]
fn mode_parameter_lists() {
    let f = round_trip::<ModeParameterList6>("mode-param-list6");
    let var = &f["sense-variable.hex"];
    assert_eq!(var.kind, ModeListKind::Sense);
    assert_eq!(var.block_length(), Some(0));
    assert_eq!(var.block_descriptors[0].density_code, 0x58);
    assert_eq!(var.tape_device_specific().buffered_mode, 1);

    let fixed = &f["sense-65536-compression.hex"];
    assert_eq!(fixed.block_length(), Some(65_536));
    assert!(fixed.tape_device_specific().write_protected);
    let dc = fixed.find_page(0x0f, None).unwrap();
    assert!(dc.ps);
    assert_eq!(dc.data.len(), 14);
    assert_eq!(dc.data[0], 0xc0);

    let sel = &f["select-262144.hex"];
    assert_eq!(sel.kind, ModeListKind::Select);
    assert_eq!(sel.block_length(), Some(262_144));
    assert_eq!(
        *sel,
        ModeParameterList6::select_block_length(262_144).unwrap()
    );
    // The select list derived from a sensed one keeps density and buffering.
    let derived = var.with_block_length(262_144).unwrap();
    assert_eq!(derived.block_descriptors[0].density_code, 0x58);
    assert_eq!(derived.block_length(), Some(262_144));

    let changer = &f["changer-element-address.hex"];
    assert!(changer.block_descriptors.is_empty());
    assert_eq!(changer.pages[0].page_code, 0x1d);
}

#[test]
fn cdb_read_position() {
    let f = round_trip::<ReadPositionCdb>("cdb-read-position");
    assert_eq!(
        f["short.hex"],
        ReadPositionCdb::new(ReadPositionForm::ShortBlockId)
    );
    assert_eq!(f["long.hex"], ReadPositionCdb::new(ReadPositionForm::Long));
    assert_eq!(
        f["extended.hex"],
        ReadPositionCdb::new(ReadPositionForm::Extended)
    );
    assert_eq!(f["extended.hex"].allocation_length, 32);
    for cdb in f.values() {
        cdb.check_allocation_length().unwrap();
    }
}

#[test]
fn cdb_locate() {
    let f = round_trip::<Locate10Cdb>("cdb-locate10");
    assert_eq!(f["block-1234.hex"], Locate10Cdb::new(1234).partition(0));
    assert_eq!(f["immed-block-0.hex"], Locate10Cdb::new(0).immed(true));
    let f = round_trip::<Locate16Cdb>("cdb-locate16");
    assert_eq!(
        f["object-5g.hex"],
        Locate16Cdb::new(LocateDestType::LogicalObject, 5 << 30)
            .partition(1)
            .bam(true)
    );
    assert_eq!(
        f["end-of-data.hex"],
        Locate16Cdb::new(LocateDestType::EndOfData, 0).immed(true)
    );
}

#[test]
fn cdb_read_block_limits() {
    let f = round_trip::<ReadBlockLimitsCdb>("cdb-read-block-limits");
    assert_eq!(f["plain.hex"], ReadBlockLimitsCdb::new());
    assert_eq!(f["plain.hex"].response_len(), 6);
    assert_eq!(f["mloi.hex"], ReadBlockLimitsCdb::new().mloi(true));
    assert_eq!(f["mloi.hex"].response_len(), 20);
}

#[test]
fn cdb_read6_write6() {
    let f = round_trip::<Read6Cdb>("cdb-read6");
    assert_eq!(f["fixed-64-blocks.hex"], Read6Cdb::fixed(64));
    assert_eq!(
        f["fixed-64-blocks.hex"].transfer,
        TransferLength::Blocks(64)
    );
    assert_eq!(
        f["variable-256k-sili.hex"],
        Read6Cdb::variable(262_144).sili(true)
    );
    let f = round_trip::<Write6Cdb>("cdb-write6");
    assert_eq!(f["fixed-256-blocks.hex"], Write6Cdb::fixed(256));
    assert_eq!(
        f["fixed-256-blocks.hex"].transfer.byte_count(262_144),
        64 << 20
    );
    assert_eq!(f["variable-64k.hex"], Write6Cdb::variable(65_536));
}

#[test]
fn cdb_write_filemarks_space_rewind() {
    let f = round_trip::<WriteFilemarks6Cdb>("cdb-write-filemarks6");
    assert_eq!(f["one.hex"], WriteFilemarks6Cdb::new(1));
    assert_eq!(f["immed-two.hex"], WriteFilemarks6Cdb::new(2).immed(true));

    let f = round_trip::<Space6Cdb>("cdb-space6");
    assert_eq!(f["back-one-block.hex"], Space6Cdb::blocks(-1));
    assert_eq!(f["back-two-filemarks.hex"], Space6Cdb::filemarks(-2));
    assert_eq!(f["back-two-filemarks.hex"].count, -2);
    assert_eq!(f["forward-three-filemarks.hex"], Space6Cdb::filemarks(3));
    assert_eq!(f["end-of-data.hex"].code, SpaceCode::EndOfData);

    let f = round_trip::<RewindCdb>("cdb-rewind");
    assert_eq!(f["plain.hex"], RewindCdb::new());
    assert_eq!(f["immed.hex"], RewindCdb::new().immed(true));
}

#[test]
fn cdb_mode_sense_select() {
    let f = round_trip::<ModeSense6Cdb>("cdb-mode-sense6");
    assert_eq!(f["block-descriptor.hex"], ModeSense6Cdb::new(0, 12));
    let c = &f["changer-element-address.hex"];
    assert_eq!(*c, ModeSense6Cdb::new(0x1d, 24).dbd(true));
    assert_eq!(c.page_control, PageControl::Current);

    let f = round_trip::<ModeSelect6Cdb>("cdb-mode-select6");
    let list = ModeParameterList6::select_block_length(262_144).unwrap();
    assert_eq!(
        f["block-size.hex"],
        ModeSelect6Cdb::for_list(&list).unwrap()
    );
}
