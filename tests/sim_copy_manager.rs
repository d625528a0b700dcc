//! The simulated copy manager (standard profile) driven through `Transport`
//! only: every segment type it implements, each of its parameter-list rules
//! with the sense SPC-4 gives, each fault kind seen through a copy (with the
//! copy target's sense forwarded), held status for RECEIVE COPY RESULTS,
//! the engine's segmented copy over it, and a backup that survives a
//! process restart.

mod common;

use common::scsi::check_condition;
use std::sync::Arc;
use std::time::Duration;

use segcopy::engine::plan::{plan_block_copy, BlockCopy, Limits};
use segcopy::engine::xcopy::{endpoint, run_plan, run_plan_queued};
use segcopy::sim::cm::{CopyManager, Profile};
use segcopy::sim::disk::{Backing, SimDisk};
use segcopy::sim::tape::{Cartridge, SimTapeDrive};
use segcopy::sim::{BlockTarget, Fabric, SimTransport};
use segcopy::transport::commands::{Scsi, XCOPY_TIMEOUT};
use segcopy::transport::fault::{Effect, Fault, FaultPlan, Trigger};
use segcopy::transport::tape::{BlockMode, Tape};
use segcopy::transport::{Completion, DataDirection, HostStatus, ScsiStatus, Transport};
use segcopy::wire::cscd::{CscdDescriptor, IdentificationCscd};
use segcopy::wire::rcr::{
    CopyManagerStatus, CopyStatus, FailedSegmentDetails, ReceiveCopyResultsCdb, ServiceAction,
};
use segcopy::wire::segment::{
    BlockStream, InlineToStream, SegmentDescriptor, SegmentFlags, StreamToStream,
};
use segcopy::wire::sense::{SenseData, SenseDataSource, SenseKey, SenseKeySpecific};
use segcopy::wire::vpd::Designator;
use segcopy::wire::xcopy::{ExtendedCopyCdb, ListIdUsage, ParameterList};
use segcopy::wire::Repr;

const MIB: u64 = 1 << 20;

struct San {
    fabric: Arc<Fabric>,
    faults: Arc<FaultPlan>,
    d0: Arc<SimDisk>,
    d1: Arc<SimDisk>,
    ids: std::collections::HashMap<&'static str, Designator>,
}

impl San {
    fn new(faults: Vec<Fault>) -> San {
        let plan = faults;
        let faults = Arc::new(FaultPlan::default());
        let mut fabric = Fabric::with_faults(Arc::clone(&faults));
        let d0 = SimDisk::new("d0", 512, 64 * MIB / 512, Backing::Memory).unwrap();
        let d1 = SimDisk::new("d1", 512, 64 * MIB / 512, Backing::Memory).unwrap();
        let t0 = SimTapeDrive::new("t0");
        t0.load(Cartridge::memory("CART00L6", 256 * MIB, 8 * MIB));
        let t1 = SimTapeDrive::new("t1");
        t1.load(Cartridge::memory("CART01L6", 256 * MIB, 8 * MIB));
        let pattern: Vec<u8> = (0..4 * MIB).map(|i| (i % 251) as u8).collect();
        for k in 0..16 {
            d0.write_blocks(k * 4 * MIB / 512, &pattern).unwrap();
        }
        // Faults are armed after the pattern is written, so that setting
        // up does not trip them.
        for f in plan {
            faults.add(f);
        }
        let mut ids = std::collections::HashMap::new();
        ids.insert("d0", d0.identity().designators()[0].clone());
        ids.insert("d1", d1.identity().designators()[0].clone());
        ids.insert("t0", t0.identity().designators()[0].clone());
        ids.insert("t1", t1.identity().designators()[0].clone());
        fabric.add(d0.clone()).unwrap();
        fabric.add(d1.clone()).unwrap();
        fabric.add(t0).unwrap();
        fabric.add(t1).unwrap();
        fabric
            .add(CopyManager::standalone("cm0", Profile::standard()))
            .unwrap();
        let dry = Profile {
            move_data: false,
            ..Profile::standard()
        };
        fabric.add(CopyManager::standalone("dry0", dry)).unwrap();
        San {
            fabric: Arc::new(fabric),
            faults,
            d0,
            d1,
            ids,
        }
    }

    fn t(&self, name: &str) -> SimTransport {
        self.fabric.transport(name).unwrap()
    }

    fn disk(&self, name: &'static str) -> CscdDescriptor {
        CscdDescriptor::Identification(IdentificationCscd::block(&self.ids[name], 0, 512))
    }

    fn tape(&self, name: &'static str) -> CscdDescriptor {
        CscdDescriptor::Identification(IdentificationCscd::stream(&self.ids[name], false, 0))
    }

    /// Sends one EXTENDED COPY to cm0.
    fn xcopy(&self, list: &ParameterList) -> Completion {
        self.xcopy_raw(&list.to_vec().unwrap())
    }

    fn xcopy_raw(&self, bytes: &[u8]) -> Completion {
        self.xcopy_via("cm0", bytes)
    }

    /// Sends one EXTENDED COPY to the copy manager `cm`.
    fn xcopy_via(&self, cm: &str, bytes: &[u8]) -> Completion {
        let cdb = ExtendedCopyCdb::new(bytes.len() as u32).to_vec().unwrap();
        self.t(cm)
            .execute(&cdb, DataDirection::ToDevice(bytes), XCOPY_TIMEOUT)
            .unwrap()
    }

    /// Where a drive is (READ POSITION).
    fn position(&self, drive: &str) -> Option<u64> {
        Tape::new(&self.t(drive))
            .tell()
            .unwrap()
            .position
            .trusted_block()
    }

    fn rewind(&self, drive: &str) {
        Tape::new(&self.t(drive)).rewind().unwrap();
    }
}

fn list(cscds: Vec<CscdDescriptor>, segments: Vec<SegmentDescriptor>) -> ParameterList {
    ParameterList {
        list_id: 0,
        str_bit: false,
        list_id_usage: ListIdUsage::None,
        priority: 0,
        cscds,
        segments,
        inline_data: vec![],
    }
}

fn b2s(blocks: u16, lba: u64, xfer: u32) -> SegmentDescriptor {
    SegmentDescriptor::BlockToStream(BlockStream {
        flags: SegmentFlags::empty(),
        source: 0,
        destination: 1,
        stream_transfer_length: xfer,
        blocks,
        lba,
    })
}

fn s2b(blocks: u16, lba: u64) -> SegmentDescriptor {
    SegmentDescriptor::StreamToBlock(BlockStream {
        flags: SegmentFlags::empty(),
        source: 0,
        destination: 1,
        stream_transfer_length: 0,
        blocks,
        lba,
    })
}

fn kcq(s: &SenseData) -> (SenseKey, u8, u8) {
    let (a, q) = s.asc_ascq().unwrap();
    (s.sense_key().unwrap(), a, q)
}

fn field_pointer(s: &SenseData) -> Option<u16> {
    s.field_pointer().map(|f| f.field_pointer)
}

fn read_disk(d: &SimDisk, lba: u64, bytes: u64) -> Vec<u8> {
    let mut v = vec![0u8; bytes as usize];
    d.read_blocks(lba, &mut v).unwrap();
    v
}

#[test]
fn block_to_block_copies() {
    let s = San::new(vec![]);
    let c = s.xcopy(&list(
        vec![s.disk("d0"), s.disk("d1")],
        vec![SegmentDescriptor::block_to_block(0, 1, 4096, 100, 7)],
    ));
    assert!(c.check().is_ok(), "{c:?}");
    assert_eq!(read_disk(&s.d1, 7, 2 * MIB), read_disk(&s.d0, 100, 2 * MIB));
}

#[test]
fn disk_to_tape_and_back_in_segments() {
    let s = San::new(vec![]);
    // Two commands of two 1 MiB segments each, 256 KiB records.
    for k in 0..2u64 {
        let c = s.xcopy(&list(
            vec![s.disk("d0"), s.tape("t0")],
            vec![
                b2s(2048, k * 4096, 256 << 10),
                b2s(2048, k * 4096 + 2048, 256 << 10),
            ],
        ));
        assert!(c.check().is_ok(), "{:?}", SenseData::parse(&c.sense));
    }
    let t0 = s.t("t0");
    let tape = Tape::new(&t0);
    let pos = tape.tell().unwrap().position;
    assert_eq!(pos.trusted_block(), Some(16), "16 records of 256 KiB");
    s.rewind("t0");
    for k in 0..4u64 {
        let c = s.xcopy(&list(
            vec![s.tape("t0"), s.disk("d1")],
            vec![s2b(2048, 1000 + k * 2048)],
        ));
        assert!(c.check().is_ok(), "{:?}", SenseData::parse(&c.sense));
    }
    assert_eq!(
        read_disk(&s.d1, 1000, 4 * MIB),
        read_disk(&s.d0, 0, 4 * MIB)
    );
    // A record read by the host equals the disk's first 256 KiB.
    s.rewind("t0");
    let mut buf = vec![0u8; 256 << 10];
    let r = tape.read(&mut buf, BlockMode::Variable).unwrap();
    assert_eq!(r.bytes, 256 << 10);
    assert_eq!(buf, read_disk(&s.d0, 0, 256 << 10));
}

#[test]
fn stream_to_stream_and_inline_to_stream() {
    let s = San::new(vec![]);
    let c = s.xcopy(&list(
        vec![s.disk("d0"), s.tape("t0")],
        vec![b2s(2048, 0, 128 << 10)],
    ));
    assert!(c.check().is_ok());
    s.rewind("t0");
    let c = s.xcopy(&list(
        vec![s.tape("t0"), s.tape("t1")],
        vec![SegmentDescriptor::StreamToStream(StreamToStream {
            flags: SegmentFlags::empty(),
            source: 0,
            destination: 1,
            source_transfer_length: 128 << 10,
            destination_transfer_length: 512 << 10,
            byte_count: MIB as u32,
        })],
    ));
    assert!(c.check().is_ok(), "{:?}", SenseData::parse(&c.sense));
    let mut l = list(
        vec![s.tape("t1")],
        vec![SegmentDescriptor::InlineToStream(InlineToStream {
            flags: SegmentFlags::empty(),
            reserved_source: 0,
            destination: 0,
            stream_transfer_length: 16,
            inline_offset: 4,
            inline_bytes: 16,
        })],
    );
    l.inline_data = b"XXXXSEGCAT01-catalog".to_vec();
    assert!(s.xcopy(&l).check().is_ok());
    s.rewind("t1");
    let t1 = s.t("t1");
    let tape = Tape::new(&t1);
    let mut buf = vec![0u8; MIB as usize];
    for (i, want) in read_disk(&s.d0, 0, MIB).chunks(512 << 10).enumerate() {
        let r = tape.read(&mut buf, BlockMode::Variable).unwrap();
        assert_eq!(&buf[..r.bytes], want, "record {i}");
    }
    let r = tape.read(&mut buf, BlockMode::Variable).unwrap();
    assert_eq!(&buf[..r.bytes], b"SEGCAT01-catalog");
}

#[test]
fn parameter_list_rules() {
    let s = San::new(vec![]);
    let good = list(
        vec![s.disk("d0"), s.disk("d1")],
        vec![SegmentDescriptor::block_to_block(0, 1, 8, 0, 0)],
    );
    let bytes = good.to_vec().unwrap();
    // Zero length: nothing to do.
    assert!(s.xcopy_raw(&[]).check().is_ok());
    // Shorter than the header; lists cut short.
    assert_eq!(
        kcq(&check_condition(&s.xcopy_raw(&bytes[..10]))),
        (SenseKey::IllegalRequest, 0x1a, 0)
    );
    assert_eq!(
        kcq(&check_condition(&s.xcopy_raw(&bytes[..60]))),
        (SenseKey::IllegalRequest, 0x1a, 0)
    );
    // More CSCDs than 8.
    let mut l = good.clone();
    l.cscds = (0..9).map(|_| s.disk("d0")).collect();
    let x = check_condition(&s.xcopy(&l));
    assert_eq!(
        (kcq(&x), field_pointer(&x)),
        ((SenseKey::IllegalRequest, 0x26, 0x06), Some(2))
    );
    // More segments than 64.
    let mut l = good.clone();
    l.segments = (0..65)
        .map(|i| SegmentDescriptor::block_to_block(0, 1, 1, i, i))
        .collect();
    let x = check_condition(&s.xcopy(&l));
    assert_eq!(
        (kcq(&x), field_pointer(&x)),
        ((SenseKey::IllegalRequest, 0x26, 0x08), Some(8))
    );
    // Lists over the maximum descriptor list length (8192).
    let mut l = good.clone();
    l.segments = (0..64)
        .map(|i| SegmentDescriptor::block_to_block(0, 1, 1, i, i))
        .collect();
    l.cscds = (0..8).map(|_| s.disk("d0")).collect();
    let mut big = l.to_vec().unwrap();
    big[8..12].copy_from_slice(&9000u32.to_be_bytes());
    assert_eq!(
        kcq(&check_condition(&s.xcopy_raw(&big))),
        (SenseKey::IllegalRequest, 0x1a, 0)
    );
    // An FC N_Port_Name CSCD: unsupported, pointing at it (byte 16).
    let mut l = good.clone();
    let mut e0 = vec![0u8; 32];
    e0[0] = 0xe0;
    l.cscds[0] = CscdDescriptor::Raw(e0);
    let x = check_condition(&s.xcopy(&l));
    assert_eq!(
        (kcq(&x), field_pointer(&x)),
        ((SenseKey::IllegalRequest, 0x26, 0x07), Some(16))
    );
    // A 0Ah segment: unsupported, pointing at it (byte 16 + 64).
    let mut l = good.clone();
    l.segments = vec![SegmentDescriptor::Raw {
        type_code: 0x0a,
        flags: 0,
        body: vec![0; 28],
    }];
    let x = check_condition(&s.xcopy(&l));
    assert_eq!(
        (kcq(&x), field_pointer(&x)),
        ((SenseKey::IllegalRequest, 0x26, 0x09), Some(80))
    );
    // Inline data over 64 KiB.
    let mut l = good.clone();
    l.inline_data = vec![0; (64 << 10) + 4];
    assert_eq!(
        kcq(&check_condition(&s.xcopy(&l))),
        (SenseKey::IllegalRequest, 0x26, 0x0b)
    );
    // LIST ID USAGE 01b (reserved) and a list id with 11b.
    let mut l = good.clone();
    l.list_id_usage = ListIdUsage::Reserved;
    let x = check_condition(&s.xcopy(&l));
    assert_eq!(
        (kcq(&x), field_pointer(&x)),
        ((SenseKey::IllegalRequest, 0x26, 0), Some(1))
    );
    let mut l = good.clone();
    l.list_id = 9;
    let x = check_condition(&s.xcopy(&l));
    assert_eq!(
        (kcq(&x), field_pointer(&x)),
        ((SenseKey::IllegalRequest, 0x26, 0), Some(0))
    );
    // LID4: INVALID FIELD IN CDB, byte 1.
    let mut cdb = ExtendedCopyCdb::new(bytes.len() as u32).to_vec().unwrap();
    cdb[1] = 0x01;
    let c = s
        .t("cm0")
        .execute(&cdb, DataDirection::ToDevice(&bytes), XCOPY_TIMEOUT)
        .unwrap();
    let x = check_condition(&c);
    assert_eq!(
        (kcq(&x), field_pointer(&x)),
        ((SenseKey::IllegalRequest, 0x24, 0), Some(1))
    );
}

/// COPY ABORTED in descriptor format naming segment `index`.
fn aborted(c: &Completion, index: u16, asc: u8, ascq: u8) -> SenseData {
    let x = check_condition(c);
    assert_eq!(kcq(&x), (SenseKey::CopyAborted, asc, ascq), "{x}");
    assert_eq!(x.failed_segment_index(), Some(index), "{x}");
    match x.sense_key_specific() {
        Some(SenseKeySpecific::SegmentPointer(p)) => assert!(p.segment_descriptor),
        other => panic!("no segment pointer: {other:?}"),
    }
    x
}

#[test]
fn segment_rules_answer_copy_aborted_with_the_segment() {
    let s = San::new(vec![]);
    // An E4h naming nobody: segment 1 (the second) cannot reach it.
    let mut nobody = s.ids["d1"].clone();
    nobody.value[15] ^= 0xff;
    let l = list(
        vec![
            s.disk("d0"),
            s.disk("d1"),
            CscdDescriptor::Identification(IdentificationCscd::block(&nobody, 0, 512)),
        ],
        vec![
            SegmentDescriptor::block_to_block(0, 1, 8, 0, 0),
            SegmentDescriptor::block_to_block(0, 2, 8, 0, 0),
        ],
    );
    aborted(&s.xcopy(&l), 1, 0x0d, 0x02);
    // A CSCD index past the list.
    let l = list(
        vec![s.disk("d0"), s.disk("d1")],
        vec![SegmentDescriptor::block_to_block(0, 7, 8, 0, 0)],
    );
    aborted(&s.xcopy(&l), 0, 0x0d, 0x02);
    // block→stream onto a disk: incorrect copy target device type.
    let l = list(vec![s.disk("d0"), s.disk("d1")], vec![b2s(8, 0, 4096)]);
    aborted(&s.xcopy(&l), 0, 0x0d, 0x03);
    // Past the end of the destination: the disk's own sense is forwarded.
    let l = list(
        vec![s.disk("d0"), s.disk("d1")],
        vec![SegmentDescriptor::block_to_block(
            0,
            1,
            16,
            0,
            64 * MIB / 512 - 8,
        )],
    );
    let x = aborted(&s.xcopy(&l), 0, 0x0d, 0x01);
    let fw: Vec<_> = x.forwarded().collect();
    assert_eq!(fw.len(), 1);
    assert_eq!(fw[0].source, SenseDataSource::CopyDestination);
    let inner = fw[0].sense().unwrap();
    assert_eq!(kcq(&inner), (SenseKey::IllegalRequest, 0x21, 0x00));
}

#[test]
fn a_failed_segment_fault_forwards_its_sense() {
    let given: SenseData = SenseData::fixed(SenseKey::HardwareError, 0x44, 0x00).into();
    let s = San::new(vec![Fault::once(
        "cm0",
        Trigger::Segment(2),
        Effect::Sense(given.clone()),
    )]);
    let l = list(
        vec![s.disk("d0"), s.disk("d1")],
        (0..4)
            .map(|i| SegmentDescriptor::block_to_block(0, 1, 8, i * 8, i * 8))
            .collect(),
    );
    let x = aborted(&s.xcopy(&l), 2, 0x0d, 0x01);
    assert_eq!(x.forwarded().next().unwrap().sense(), Some(given));
    // Segments 0 and 1 were copied, 2 and 3 were not.
    assert_eq!(read_disk(&s.d1, 0, 8192), read_disk(&s.d0, 0, 8192));
    assert_eq!(read_disk(&s.d1, 16, 8192), vec![0; 8192]);
    // Fired once: the same list now succeeds.
    assert!(s.xcopy(&l).check().is_ok());
}

#[test]
fn a_hang_is_a_time_out_and_a_gone_copy_manager_stays_gone() {
    let s = San::new(vec![
        Fault::once("cm0", Trigger::Segment(0), Effect::Hang),
        Fault::once("cm0", Trigger::Segment(1), Effect::Gone),
    ]);
    let l = list(
        vec![s.disk("d0"), s.disk("d1")],
        vec![SegmentDescriptor::block_to_block(0, 1, 8, 0, 0)],
    );
    let c = s.xcopy(&l);
    assert_eq!(c.host_status, HostStatus::TimeOut);
    let e = Scsi::new(&s.t("cm0"))
        .extended_copy(&l.to_vec().unwrap(), XCOPY_TIMEOUT)
        .unwrap_err();
    assert_eq!(
        e.failure().map(|f| f.to_string()).unwrap_or_default(),
        "the adapter reported DID_NO_CONNECT (the device could not be reached)"
    );
    let e = s
        .t("cm0")
        .execute(
            &[0, 0, 0, 0, 0, 0],
            DataDirection::None,
            Duration::from_secs(1),
        )
        .unwrap_err();
    assert!(e.is_device_gone(), "{e}");
    assert!(s.faults.is_gone("cm0"));
}

/// A copy manager that moves no bytes (`move_data = false`) answers every
/// list as one that copies does — the same status and sense, faults
/// included — and leaves the tapes at the same positions with blocks of
/// the same lengths, but reads and writes no data.
#[test]
fn a_copy_manager_that_moves_no_bytes_answers_and_positions_as_one_that_copies() {
    type Case = (Vec<Fault>, fn(&San) -> ParameterList);
    let cases: Vec<Case> = vec![
        (vec![], |s| {
            list(
                vec![s.disk("d0"), s.tape("t0")],
                vec![b2s(2048, 0, 256 << 10), b2s(2047, 2048, 128 << 10)],
            )
        }),
        (vec![], |s| {
            list(
                vec![s.disk("d0"), s.disk("d1")],
                vec![SegmentDescriptor::block_to_block(0, 1, 4096, 100, 7)],
            )
        }),
        // Past the end of the source: the disk's own sense, forwarded.
        (vec![], |s| {
            list(
                vec![s.disk("d0"), s.disk("d1")],
                vec![SegmentDescriptor::block_to_block(
                    0,
                    1,
                    16,
                    64 * MIB / 512 - 8,
                    0,
                )],
            )
        }),
        // A tape that is not in fixed mode and no transfer length.
        (vec![], |s| {
            list(vec![s.disk("d0"), s.tape("t0")], vec![b2s(8, 0, 0)])
        }),
        (
            vec![Fault::once(
                "t0",
                Trigger::TapeBlock(3),
                Effect::MediumError,
            )],
            |s| {
                list(
                    vec![s.disk("d0"), s.tape("t0")],
                    vec![b2s(2048, 0, 128 << 10)],
                )
            },
        ),
        (
            vec![Fault::once(
                "t0",
                Trigger::TapeBlock(5),
                Effect::EndOfMedium,
            )],
            |s| {
                list(
                    vec![s.disk("d0"), s.tape("t0")],
                    vec![b2s(2048, 0, 128 << 10)],
                )
            },
        ),
        (
            vec![Fault::once(
                "d0",
                Trigger::AfterBytes(MIB),
                Effect::MediumError,
            )],
            |s| {
                list(
                    vec![s.disk("d0"), s.disk("d1")],
                    vec![SegmentDescriptor::block_to_block(0, 1, 8192, 0, 0)],
                )
            },
        ),
    ];
    for (i, (faults, make)) in cases.into_iter().enumerate() {
        let answer = |cm: &str| {
            let s = San::new(faults.clone());
            let c = s.xcopy_via(cm, &make(&s).to_vec().unwrap());
            let lengths: Vec<usize> = {
                s.rewind("t0");
                let t0 = s.t("t0");
                let tape = Tape::new(&t0);
                let mut buf = vec![0xa5u8; MIB as usize];
                std::iter::from_fn(|| {
                    tape.read(&mut buf, BlockMode::Variable)
                        .ok()
                        .filter(|r| r.bytes > 0)
                        .map(|r| {
                            if cm == "dry0" {
                                assert!(buf[..r.bytes].iter().all(|&b| b == 0), "case {i}");
                            }
                            r.bytes
                        })
                })
                .collect()
            };
            let d1 = read_disk(&s.d1, 0, 8 * MIB);
            (c.status, c.sense, lengths, s.position("t0"), d1)
        };
        let (copied, dry) = (answer("cm0"), answer("dry0"));
        // The first two copy; the rest fail, each in its own way.
        assert_eq!(copied.0 == ScsiStatus::Good, i < 2, "case {i}");
        if i == 0 {
            assert_eq!(copied.2.len(), 4 + 8, "case 0 writes twelve records");
        }
        assert_eq!(
            (&copied.0, &copied.1, &copied.2, copied.3),
            (&dry.0, &dry.1, &dry.2, dry.3),
            "case {i}"
        );
        assert!(dry.4.iter().all(|&b| b == 0), "case {i}: dry0 wrote d1");
        if i == 1 {
            assert!(copied.4.iter().any(|&b| b != 0), "cm0 copies to d1");
        }
    }
}

#[test]
fn tape_medium_error_and_end_of_medium_are_forwarded() {
    let s = San::new(vec![Fault::once(
        "t0",
        Trigger::TapeBlock(3),
        Effect::MediumError,
    )]);
    let l = list(
        vec![s.disk("d0"), s.tape("t0")],
        vec![b2s(2048, 0, 128 << 10)],
    );
    let x = aborted(&s.xcopy(&l), 0, 0x0d, 0x01);
    let fw = x.forwarded().next().unwrap();
    assert_eq!(fw.source, SenseDataSource::CopyDestination);
    assert_eq!(fw.sense().unwrap().sense_key(), Some(SenseKey::MediumError));

    let s = San::new(vec![Fault::once(
        "t0",
        Trigger::TapeBlock(5),
        Effect::EndOfMedium,
    )]);
    let x = aborted(&s.xcopy(&l), 0, 0x0d, 0x01);
    let inner = x.forwarded().next().unwrap().sense().unwrap();
    assert_eq!(inner.sense_key(), Some(SenseKey::VolumeOverflow), "{inner}");
    assert!(inner.eom());
}

#[test]
fn disk_medium_error_and_a_vanished_target() {
    let s = San::new(vec![Fault::once(
        "d0",
        Trigger::AfterBytes(MIB),
        Effect::MediumError,
    )]);
    let l = list(
        vec![s.disk("d0"), s.disk("d1")],
        vec![SegmentDescriptor::block_to_block(0, 1, 8192, 0, 0)],
    );
    let x = aborted(&s.xcopy(&l), 0, 0x0d, 0x01);
    let fw = x.forwarded().next().unwrap();
    assert_eq!(fw.source, SenseDataSource::CopySource);
    assert_eq!(
        kcq(&fw.sense().unwrap()),
        (SenseKey::MediumError, 0x11, 0x00)
    );

    let s = San::new(vec![Fault::once(
        "t0",
        Trigger::AfterBytes(MIB),
        Effect::Gone,
    )]);
    let l = list(
        vec![s.disk("d0"), s.tape("t0")],
        vec![b2s(8192, 0, 256 << 10)],
    );
    aborted(&s.xcopy(&l), 0, 0x0d, 0x02);
    // The next copy to it cannot even resolve it.
    aborted(&s.xcopy(&l), 0, 0x0d, 0x02);
}

#[test]
fn random_faults_repeat_with_their_seed() {
    let run = |seed| {
        let s = San::new(vec![Fault {
            device: "cm0".into(),
            trigger: Trigger::Random {
                per_million: 200_000,
                seed,
            },
            effect: Effect::Sense(SenseData::fixed(SenseKey::HardwareError, 0x44, 0).into()),
            times: None,
        }]);
        let l = list(
            vec![s.disk("d0"), s.disk("d1")],
            vec![SegmentDescriptor::block_to_block(0, 1, 8, 0, 0)],
        );
        (0..50)
            .map(|_| s.xcopy(&l).status == ScsiStatus::Good)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
    assert!(run(42).iter().any(|ok| !ok) && run(42).iter().any(|&ok| ok));
}

fn rcr(s: &San, sa: ServiceAction, id: u8, alloc: u32) -> Completion {
    let cdb = ReceiveCopyResultsCdb::new(sa, id, alloc).to_vec().unwrap();
    let mut buf = vec![0u8; alloc as usize];
    let mut c = s
        .t("cm0")
        .execute(&cdb, DataDirection::FromDevice(&mut buf), XCOPY_TIMEOUT)
        .unwrap();
    buf.truncate(c.transferred);
    c.sense = if c.status == ScsiStatus::Good {
        buf
    } else {
        c.sense
    };
    c
}

#[test]
fn held_status_for_receive_copy_results() {
    let s = San::new(vec![Fault::once(
        "cm0",
        Trigger::Segment(3),
        Effect::Sense(SenseData::fixed(SenseKey::HardwareError, 0x44, 0).into()),
    )]);
    let mut l = list(
        vec![s.disk("d0"), s.disk("d1")],
        (0..3)
            .map(|i| SegmentDescriptor::block_to_block(0, 1, 8, i * 8, i * 8))
            .collect(),
    );
    l.list_id = 5;
    l.list_id_usage = ListIdUsage::Hold;
    assert!(s.xcopy(&l).check().is_ok());
    let st = CopyStatus::parse(&rcr(&s, ServiceAction::CopyStatus, 5, 12).sense).unwrap();
    assert_eq!(st.status, CopyManagerStatus::Completed);
    assert_eq!(st.segments_processed, 3);
    assert_eq!(st.transfer_count, 3 * 4096);
    // A second list fails at its first segment (the fourth overall).
    l.list_id = 6;
    assert_eq!(s.xcopy(&l).status, ScsiStatus::CheckCondition);
    let st = CopyStatus::parse(&rcr(&s, ServiceAction::CopyStatus, 6, 12).sense).unwrap();
    assert_eq!(
        (st.status, st.segments_processed),
        (CopyManagerStatus::CompletedWithErrors, 0)
    );
    let fsd =
        FailedSegmentDetails::parse(&rcr(&s, ServiceAction::FailedSegmentDetails, 6, 312).sense)
            .unwrap();
    assert_eq!(fsd.copy_command_status, 0x02);
    assert_eq!(
        SenseData::parse(&fsd.sense).unwrap().failed_segment_index(),
        Some(0)
    );
    // Nothing held for an unknown list id.
    let x = check_condition(&rcr(&s, ServiceAction::CopyStatus, 77, 12));
    assert_eq!(
        (kcq(&x), field_pointer(&x)),
        ((SenseKey::IllegalRequest, 0x24, 0), Some(2))
    );
}

#[test]
fn the_engine_reports_the_failed_segment_and_the_blocks_before_it() {
    let s = San::new(vec![Fault::once(
        "cm0",
        Trigger::Segment(5),
        Effect::Sense(SenseData::fixed(SenseKey::HardwareError, 0x44, 0).into()),
    )]);
    let (src_t, dst_t, cm_t) = (s.t("d0"), s.t("d1"), s.t("cm0"));
    let cm = Scsi::new(&cm_t);
    let (op, _) = cm.operating_parameters().unwrap();
    let limits = Limits::from_operating_parameters("cm0", &op).unwrap();
    let plan = plan_block_copy(
        BlockCopy {
            source: endpoint(&Scsi::new(&src_t)).unwrap(),
            source_lba: 0,
            destination: endpoint(&Scsi::new(&dst_t)).unwrap(),
            destination_lba: 0,
            blocks: 16 * 2048,
            segment_bytes: Some(MIB),
            list_id: 0,
            list_id_usage: ListIdUsage::None,
            priority: 0,
        },
        &limits,
    )
    .unwrap();
    assert_eq!(plan.segments.len(), 16);
    let f = run_plan(&cm, &plan, XCOPY_TIMEOUT, |_| {}).unwrap_err();
    assert_eq!((f.segment, f.blocks_done), (5, 5 * 2048));
    assert_eq!(read_disk(&s.d1, 0, 5 * MIB), read_disk(&s.d0, 0, 5 * MIB));
    assert_eq!(
        read_disk(&s.d1, 5 * 2048, MIB),
        vec![0; MIB as usize],
        "nothing of segment 5 is claimed or written"
    );
}

#[test]
fn commands_in_flight_copy_the_same_bytes_and_a_failure_names_the_lowest_segment() {
    for depth in [2usize, 4, 8] {
        // Segment 9's descriptor fails (the 10th the copy manager starts).
        let s = San::new(vec![Fault::once(
            "cm0",
            Trigger::Segment(9),
            Effect::Sense(SenseData::fixed(SenseKey::HardwareError, 0x44, 0).into()),
        )]);
        let (src_t, dst_t, cm_t) = (s.t("d0"), s.t("d1"), s.t("cm0"));
        let cm = Scsi::new(&cm_t);
        let (op, _) = cm.operating_parameters().unwrap();
        let limits = Limits::from_operating_parameters("cm0", &op).unwrap();
        let copy = |list_id_usage| BlockCopy {
            source: endpoint(&Scsi::new(&src_t)).unwrap(),
            source_lba: 0,
            destination: endpoint(&Scsi::new(&dst_t)).unwrap(),
            destination_lba: 0,
            blocks: 16 * 2048,
            segment_bytes: Some(MIB),
            list_id: 1,
            list_id_usage,
            priority: 0,
        };
        let plan = plan_block_copy(copy(ListIdUsage::NoHold), &limits).unwrap();
        let f = run_plan_queued(&cm, &plan, XCOPY_TIMEOUT, depth, |_| {}).unwrap_err();
        // Which segment the copy manager starts 10th depends on the race
        // (one of the `depth` in flight around then); it is the lowest
        // failure, and all before it are on the disk.
        assert!(f.segment < 9 + depth, "depth {depth}: {}", f.segment);
        assert_eq!(f.blocks_done, f.segment as u64 * 2048);
        // Everything before it completed; after it, at most the commands
        // already in flight (no new segment is handed out after a failure).
        let done: Vec<usize> = f.completed.iter().map(|d| d.index).collect();
        assert!((0..f.segment).all(|i| done.contains(&i)), "{done:?}");
        assert!(!done.contains(&f.segment));
        assert!(done.len() < f.segment + depth, "depth {depth}: {done:?}");
        let k = f.segment as u64;
        assert_eq!(read_disk(&s.d1, 0, k * MIB), read_disk(&s.d0, 0, k * MIB));
        // Without the fault, the whole copy at this depth is byte-identical.
        let r = run_plan_queued(&cm, &plan, XCOPY_TIMEOUT, depth, |_| {}).unwrap();
        assert_eq!(r.segments.len(), 16);
        assert!(r.segments.iter().enumerate().all(|(i, d)| d.index == i));
        assert_eq!(r.blocks, 16 * 2048);
        assert_eq!(read_disk(&s.d1, 0, 16 * MIB), read_disk(&s.d0, 0, 16 * MIB));
    }
}

#[test]
fn a_backup_on_tape_survives_a_process_restart() {
    let dir = std::env::temp_dir().join(format!("segcopy-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let site = dir.join("site.toml");
    std::fs::write(
        &site,
        r#"
[site]
state_dir = "state"
[[disk]]
name = "prod"
capacity = "8 MiB"
[[copy_manager]]
name = "cm0"
[[drive]]
name = "drive0"
[[library]]
name = "lib0"
slots = 2
drives = ["drive0"]
cartridge_capacity = "64 MiB"
cartridges = [{ barcode = "RST001L6", slot = 1 }]
"#,
    )
    .unwrap();
    let first: Vec<u8> = (0..2 * MIB).map(|i| (i * 13 % 256) as u8).collect();
    {
        let s = segcopy::site::Site::load(&site).unwrap();
        let f = s.build_fabric().unwrap();
        f.lu("prod")
            .unwrap()
            .block()
            .unwrap()
            .write_blocks(0, &first)
            .unwrap();
        // Slot 1 (address 1024) into drive 0 (address 256).
        let mv = segcopy::wire::smc::MoveMediumCdb::new(0, 1024, 256)
            .to_vec()
            .unwrap();
        let c = f
            .transport("lib0")
            .unwrap()
            .execute(&mv, DataDirection::None, XCOPY_TIMEOUT)
            .unwrap();
        assert!(c.check().is_ok(), "{:?}", SenseData::parse(&c.sense));
        let ids = |n: &str| f.lu(n).unwrap().designators()[0].clone();
        let l = list(
            vec![
                CscdDescriptor::Identification(IdentificationCscd::block(&ids("prod"), 0, 512)),
                CscdDescriptor::Identification(IdentificationCscd::stream(
                    &ids("drive0"),
                    false,
                    0,
                )),
            ],
            vec![b2s(4096, 0, 256 << 10)],
        );
        let b = l.to_vec().unwrap();
        let cdb = ExtendedCopyCdb::new(b.len() as u32).to_vec().unwrap();
        let c = f
            .transport("cm0")
            .unwrap()
            .execute(&cdb, DataDirection::ToDevice(&b), XCOPY_TIMEOUT)
            .unwrap();
        assert!(c.check().is_ok(), "{:?}", SenseData::parse(&c.sense));
        Tape::new(&f.transport("drive0").unwrap())
            .write_filemarks(1)
            .unwrap();
    }
    // A new process: the disk keeps its blocks, the cartridge is still in
    // the drive, and its records are the disk's bytes.
    let s = segcopy::site::Site::load(&site).unwrap();
    let f = s.build_fabric().unwrap();
    let mut back = vec![0u8; 2 * MIB as usize];
    f.lu("prod")
        .unwrap()
        .block()
        .unwrap()
        .read_blocks(0, &mut back)
        .unwrap();
    assert_eq!(back, first);
    let t = f.transport("drive0").unwrap();
    let tape = Tape::new(&t);
    tape.rewind().unwrap();
    let mut buf = vec![0u8; 256 << 10];
    for (i, want) in first.chunks(256 << 10).enumerate() {
        let r = tape.read(&mut buf, BlockMode::Variable).unwrap();
        assert_eq!(&buf[..r.bytes], want, "record {i}");
    }
    let r = tape.read(&mut buf, BlockMode::Variable).unwrap();
    assert!(r.met.filemark, "the filemark after the backup");
    drop(f);
    std::fs::remove_dir_all(&dir).unwrap();
}
