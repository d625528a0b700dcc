//! The injector in front of a device that records what reaches it and
//! answers GOOD (a disk, or a tape at a position it reports).

use std::sync::Mutex;

use super::*;
use crate::wire::cscd::{CscdDescriptor, IdentificationCscd};
use crate::wire::segment::SegmentDescriptor;
use crate::wire::ssc::ShortPosition;
use crate::wire::vpd::Designator;

/// Records CDBs and data-out; reads fill with 0x5a; INQUIRY says disk or
/// tape; READ POSITION says `position`.
struct Recorder {
    tape: bool,
    position: Mutex<u64>,
    sent: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
}

impl Recorder {
    fn new(tape: bool) -> Self {
        Recorder {
            tape,
            position: Mutex::new(0),
            sent: Mutex::new(vec![]),
        }
    }
    fn sent(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.sent.lock().unwrap().clone()
    }
    fn opcodes(&self) -> Vec<u8> {
        self.sent().iter().map(|(c, _)| c[0]).collect()
    }
}

impl Transport for Recorder {
    fn name(&self) -> &str {
        "rec"
    }
    fn execute(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        _timeout: Duration,
    ) -> Result<Completion, TransportError> {
        let out = match &data {
            DataDirection::ToDevice(b) => b.to_vec(),
            _ => vec![],
        };
        self.sent.lock().unwrap().push((cdb.to_vec(), out));
        let answer: Vec<u8> = match cdb[0] {
            0x12 => {
                let mut q = vec![0u8; 36];
                q[0] = u8::from(self.tape);
                q[2] = 6;
                q[3] = 2;
                q[4] = 31;
                q
            }
            0x34 => {
                let mut p = vec![0u8; 20];
                let pos = *self.position.lock().unwrap() as u32;
                p[4..8].copy_from_slice(&pos.to_be_bytes());
                p[8..12].copy_from_slice(&pos.to_be_bytes());
                p
            }
            _ => vec![0x5a; data.len()],
        };
        Ok(match data {
            DataDirection::FromDevice(b) => {
                let n = b.len().min(answer.len());
                b[..n].copy_from_slice(&answer[..n]);
                let mut c = Completion::good(n);
                c.resid = b.len() - n;
                c
            }
            d => Completion::good(d.len()),
        })
    }
}

const T: Duration = Duration::from_secs(1);

fn inject(tape: bool, faults: Vec<Fault>) -> FaultInjector<Recorder> {
    FaultInjector::new(Recorder::new(tape), Arc::new(FaultPlan::new(faults)), "dev")
}

fn sense_of(c: &Completion) -> SenseData {
    SenseData::parse(&c.sense).unwrap()
}

#[test]
fn a_device_the_plan_does_not_name_sees_every_command_unchanged() {
    let f = inject(
        false,
        vec![Fault::once("other", Trigger::Command(1), Effect::Gone)],
    );
    let cdb = Read16Cdb::new(0, 8).to_vec().unwrap();
    let mut buf = vec![0u8; 4096];
    let c = f
        .execute(&cdb, DataDirection::FromDevice(&mut buf), T)
        .unwrap();
    assert_eq!(c.transferred, 4096);
    assert_eq!(f.inner().sent(), vec![(cdb, vec![])]);
}

#[test]
fn nth_command_hang_gone_and_sense() {
    let hw: SenseData = SenseData::fixed(SenseKey::HardwareError, 0x44, 0).into();
    let f = inject(
        false,
        vec![
            Fault::once("dev", Trigger::Command(2), Effect::Hang),
            Fault::once("dev", Trigger::Command(3), Effect::Sense(hw.clone())),
            Fault::once("dev", Trigger::Command(4), Effect::Gone),
        ],
    );
    let tur = [0u8; 6];
    assert!(f
        .execute(&tur, DataDirection::None, T)
        .unwrap()
        .check()
        .is_ok());
    let c = f.execute(&tur, DataDirection::None, T).unwrap();
    assert_eq!(c.host_status, HostStatus::TimeOut);
    let c = f.execute(&tur, DataDirection::None, T).unwrap();
    assert_eq!(sense_of(&c), hw);
    let e = f.execute(&tur, DataDirection::None, T).unwrap_err();
    assert!(e.is_device_gone(), "{e}");
    assert!(f.execute(&tur, DataDirection::None, T).is_err());
    assert_eq!(f.inner().sent().len(), 1, "faulted commands never reach it");
}

#[test]
fn a_medium_error_mid_read_transfers_the_blocks_before_it() {
    // The 2049th byte is in the fifth 512-byte block.
    let f = inject(
        false,
        vec![Fault::once(
            "dev",
            Trigger::AfterBytes(2049),
            Effect::MediumError,
        )],
    );
    let cdb = Read16Cdb::new(100, 8).to_vec().unwrap();
    let mut buf = vec![0xa5u8; 4096];
    let c = f
        .execute(&cdb, DataDirection::FromDevice(&mut buf), T)
        .unwrap();
    let s = sense_of(&c);
    assert_eq!(s.sense_key(), Some(SenseKey::MediumError));
    assert_eq!(s.asc_ascq(), Some((0x11, 0x00)));
    assert_eq!(s.information(), Some(104));
    assert_eq!((c.transferred, c.resid), (2048, 2048));
    assert!(buf[..2048].iter().all(|&b| b == 0x5a));
    assert!(buf[2048..].iter().all(|&b| b == 0xa5));
    let sent = f.inner().sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(Read16Cdb::parse(&sent[0].0).unwrap().transfer_length, 4);
    assert_eq!(Read16Cdb::parse(&sent[0].0).unwrap().lba, 100);
}

#[test]
fn a_ten_byte_read_or_write_is_struck_as_a_sixteen_byte_one() {
    // The 2049th byte is in the fifth 512-byte block: the four before it
    // go out as a READ (10) of four blocks, then MEDIUM ERROR at LBA 104.
    let f = inject(
        false,
        vec![Fault::once(
            "dev",
            Trigger::AfterBytes(2049),
            Effect::MediumError,
        )],
    );
    let cdb = Read10Cdb::new(100, 8).fua(true).to_vec().unwrap();
    let mut buf = vec![0xa5u8; 4096];
    let c = f
        .execute(&cdb, DataDirection::FromDevice(&mut buf), T)
        .unwrap();
    let s = sense_of(&c);
    assert_eq!(
        (s.sense_key(), s.asc_ascq(), s.information()),
        (Some(SenseKey::MediumError), Some((0x11, 0x00)), Some(104))
    );
    assert_eq!((c.transferred, c.resid), (2048, 2048));
    let sent = f.inner().sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        Read10Cdb::parse(&sent[0].0).unwrap(),
        Read10Cdb::new(100, 4).fua(true)
    );
    // A WRITE (10) struck in its third block writes two, as a WRITE (10).
    let f = inject(
        false,
        vec![Fault::once(
            "dev",
            Trigger::AfterBytes(1025),
            Effect::MediumError,
        )],
    );
    let cdb = Write10Cdb::new(7, 4).to_vec().unwrap();
    let data: Vec<u8> = (0..2048u32).map(|i| i as u8).collect();
    let c = f.execute(&cdb, DataDirection::ToDevice(&data), T).unwrap();
    let s = sense_of(&c);
    assert_eq!(
        (s.asc_ascq(), s.information()),
        (Some((0x0c, 0x00)), Some(9))
    );
    let sent = f.inner().sent();
    assert_eq!(sent[0].0.len(), 10);
    assert_eq!(
        Write10Cdb::parse(&sent[0].0).unwrap(),
        Write10Cdb::new(7, 2)
    );
    assert_eq!(sent[0].1, data[..1024]);
}

#[test]
fn shortened_keeps_the_cdb_size_and_its_fields() {
    let r16 = Read16Cdb::new(1 << 40, 9).dpo(true).to_vec().unwrap();
    assert_eq!(
        Read16Cdb::parse(&shortened(&r16, 3).unwrap()).unwrap(),
        Read16Cdb::new(1 << 40, 3).dpo(true)
    );
    let w16 = Write16Cdb::new(5, 9).group_number(2).to_vec().unwrap();
    assert_eq!(
        Write16Cdb::parse(&shortened(&w16, 1).unwrap()).unwrap(),
        Write16Cdb::new(5, 1).group_number(2)
    );
    let r10 = Read10Cdb::new(5, 9).control(4).to_vec().unwrap();
    assert_eq!(shortened(&r10, 2).unwrap().len(), 10);
    // A length a ten-byte CDB cannot carry is refused, not wrapped.
    assert!(matches!(
        shortened(&r10, 0x1_0000),
        Err(WireError::Overflow {
            field: "TRANSFER LENGTH",
            ..
        })
    ));
}

#[test]
fn a_write_struck_at_its_first_block_sends_nothing() {
    let f = inject(
        false,
        vec![Fault::once(
            "dev",
            Trigger::AfterBytes(1),
            Effect::MediumError,
        )],
    );
    let cdb = Write16Cdb::new(7, 2).to_vec().unwrap();
    let c = f
        .execute(&cdb, DataDirection::ToDevice(&[1u8; 1024]), T)
        .unwrap();
    let s = sense_of(&c);
    assert_eq!(
        (s.asc_ascq(), s.information()),
        (Some((0x0c, 0x00)), Some(7))
    );
    assert!(f.inner().sent().is_empty());
}

fn list(segments: usize) -> ParameterList {
    let d = Designator::naa(vec![0x60; 16]);
    let mut l = ParameterList::new(3, ListIdUsage::Hold);
    l.cscds = vec![
        CscdDescriptor::Identification(IdentificationCscd::block(&d, 0, 512)),
        CscdDescriptor::Identification(IdentificationCscd::block(&d, 0, 512)),
    ];
    l.segments = (0..segments as u64)
        .map(|i| SegmentDescriptor::block_to_block(0, 1, 8, i * 8, i * 8))
        .collect();
    l
}

fn xcopy(f: &FaultInjector<Recorder>, l: &ParameterList) -> Completion {
    let bytes = l.to_vec().unwrap();
    let cdb = ExtendedCopyCdb::new(bytes.len() as u32).to_vec().unwrap();
    f.execute(&cdb, DataDirection::ToDevice(&bytes), T).unwrap()
}

#[test]
fn a_struck_segment_sends_the_segments_before_it_then_copy_aborted() {
    let hw: SenseData = SenseData::fixed(SenseKey::HardwareError, 0x44, 0).into();
    let f = inject(
        false,
        vec![Fault::once(
            "dev",
            Trigger::Segment(5),
            Effect::Sense(hw.clone()),
        )],
    );
    // Segments 0..3 in the first command, 4..7 in the second: 5 is its
    // second descriptor.
    assert!(xcopy(&f, &list(4)).check().is_ok());
    let c = xcopy(&f, &list(4));
    let s = sense_of(&c);
    assert_eq!(s.sense_key(), Some(SenseKey::CopyAborted));
    assert_eq!(s.asc_ascq(), Some((0x0d, 0x01)));
    assert_eq!(s.failed_segment_index(), Some(1));
    assert_eq!(s.forwarded().next().unwrap().sense(), Some(hw));
    let sent = f.inner().sent();
    // The first list whole, then the second cut to its first descriptor,
    // then COPY STATUS for the held list.
    assert_eq!(ParameterList::parse(&sent[1].1).unwrap().segments.len(), 1);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2].0[0], ReceiveCopyResultsCdb::OPCODE);
    // What the device is said to hold for list 3.
    let cdb = ReceiveCopyResultsCdb::new(ServiceAction::CopyStatus, 3, 12)
        .to_vec()
        .unwrap();
    let mut buf = [0u8; 12];
    let c = f
        .execute(&cdb, DataDirection::FromDevice(&mut buf), T)
        .unwrap();
    assert_eq!(c.transferred, 12);
    let st = CopyStatus::parse(&buf).unwrap();
    assert_eq!(
        (st.status, st.segments_processed),
        (CopyManagerStatus::CompletedWithErrors, 1)
    );
    let cdb = ReceiveCopyResultsCdb::new(ServiceAction::FailedSegmentDetails, 3, 312)
        .to_vec()
        .unwrap();
    let mut buf = [0u8; 312];
    let c = f
        .execute(&cdb, DataDirection::FromDevice(&mut buf), T)
        .unwrap();
    let fsd = FailedSegmentDetails::parse(&buf[..c.transferred]).unwrap();
    assert_eq!(SenseData::parse(&fsd.sense).unwrap(), s);
}

#[test]
fn a_copy_aborted_sense_is_kept_with_the_segment_number() {
    let lio: SenseData = SenseData::fixed(SenseKey::CopyAborted, 0x0d, 0x02).into();
    let f = inject(
        false,
        vec![Fault::once("dev", Trigger::Segment(2), Effect::Sense(lio))],
    );
    let c = xcopy(&f, &list(3));
    let s = sense_of(&c);
    assert!(matches!(s, SenseData::Fixed(_)), "{s}");
    assert_eq!(
        (s.asc_ascq(), s.failed_segment_index()),
        (Some((0x0d, 0x02)), Some(2))
    );
}

#[test]
fn tape_block_faults_ask_the_position_and_cut_a_fixed_write() {
    let f = inject(
        true,
        vec![Fault::once(
            "dev",
            Trigger::TapeBlock(12),
            Effect::MediumError,
        )],
    );
    *f.inner().position.lock().unwrap() = 10;
    let cdb = Write6Cdb::fixed(5).to_vec().unwrap();
    let c = f
        .execute(&cdb, DataDirection::ToDevice(&[7u8; 5 * 512]), T)
        .unwrap();
    let s = sense_of(&c);
    assert_eq!(s.asc_ascq(), Some((0x0c, 0x00)));
    assert_eq!(s.information(), Some(3), "residue: blocks 12..14");
    assert_eq!(c.transferred, 2 * 512);
    // INQUIRY (is it a tape?), READ POSITION, then the two blocks before.
    assert_eq!(f.inner().opcodes(), vec![0x12, 0x34, 0x0a]);
    let head = &f.inner().sent()[2];
    assert_eq!(
        Write6Cdb::parse(&head.0).unwrap().transfer,
        TransferLength::Blocks(2)
    );
    assert_eq!(head.1.len(), 1024);
}

#[test]
fn an_injected_end_of_medium_stays() {
    let f = inject(
        true,
        vec![Fault::once(
            "dev",
            Trigger::TapeBlock(3),
            Effect::EndOfMedium,
        )],
    );
    *f.inner().position.lock().unwrap() = 3;
    let cdb = Write6Cdb::variable(64).to_vec().unwrap();
    for _ in 0..2 {
        let c = f
            .execute(&cdb, DataDirection::ToDevice(&[0u8; 64]), T)
            .unwrap();
        let s = sense_of(&c);
        assert_eq!(s.sense_key(), Some(SenseKey::VolumeOverflow));
        assert!(s.eom());
        assert_eq!(s.information(), Some(64));
    }
    let marks = WriteFilemarks6Cdb::new(1).to_vec().unwrap();
    let c = f.execute(&marks, DataDirection::None, T).unwrap();
    assert_eq!(sense_of(&c).sense_key(), Some(SenseKey::VolumeOverflow));
    // Before the end, writes go through.
    *f.inner().position.lock().unwrap() = 1;
    assert!(f
        .execute(&cdb, DataDirection::ToDevice(&[0u8; 64]), T)
        .unwrap()
        .check()
        .is_ok());
    assert_eq!(f.plan().medium_end("dev"), Some(3));
}

#[test]
fn a_library_that_cannot_move() {
    let f = inject(
        false,
        vec![Fault::once("dev", Trigger::Command(2), Effect::CannotMove)],
    );
    let mv = MoveMediumCdb::new(0, 0x100, 0x200).to_vec().unwrap();
    assert!(f
        .execute(&mv, DataDirection::None, T)
        .unwrap()
        .check()
        .is_ok());
    let c = f.execute(&mv, DataDirection::None, T).unwrap();
    assert_eq!(sense_of(&c), cannot_move());
    assert!(f
        .execute(&mv, DataDirection::None, T)
        .unwrap()
        .check()
        .is_ok());
    assert_eq!(f.inner().sent().len(), 2);
}

/// The block a short READ POSITION through `f` reports.
fn read_position(f: &FaultInjector<Recorder>) -> u64 {
    let cdb = ReadPositionCdb::new(ReadPositionForm::ShortBlockId)
        .to_vec()
        .unwrap();
    let mut buf = vec![0u8; 20];
    let c = f
        .execute(&cdb, DataDirection::FromDevice(&mut buf), T)
        .unwrap();
    assert!(c.check().is_ok());
    let p = ShortPosition::parse(&buf[..c.transferred]).unwrap();
    assert_eq!(p.first_block_location, p.last_block_location);
    u64::from(p.first_block_location)
}

#[test]
fn a_tape_that_lies_about_its_position() {
    let f = inject(
        true,
        vec![
            Fault::once("dev", Trigger::Command(2), Effect::Lie(Lie::PositionAhead)),
            Fault::once(
                "dev",
                Trigger::Command(4),
                Effect::Lie(Lie::PositionBackwards),
            ),
        ],
    );
    let at = |b: u64| *f.inner().position.lock().unwrap() = b;
    at(10);
    assert_eq!(read_position(&f), 10, "the first READ POSITION is true");
    at(14);
    assert_eq!(read_position(&f), 15, "ahead of where it is");
    assert_eq!(read_position(&f), 14);
    at(18);
    // Backwards: one before the block it reported last.
    assert_eq!(read_position(&f), 13);
    assert_eq!(read_position(&f), 18);
    assert_eq!(
        f.plan().log(),
        ["dev: Lie(position-ahead)", "dev: Lie(position-backwards)"]
    );
}

#[test]
fn a_residual_past_the_buffer_and_sense_that_cannot_be() {
    let f = inject(
        false,
        vec![
            Fault::once("dev", Trigger::Command(1), Effect::Lie(Lie::Residual)),
            Fault::once("dev", Trigger::Command(3), Effect::Lie(Lie::SenseShort)),
            Fault::once(
                "dev",
                Trigger::Command(4),
                Effect::Lie(Lie::SensePastBuffer),
            ),
            Fault::once("dev", Trigger::Command(5), Effect::Lie(Lie::SenseOverflow)),
        ],
    );
    let cdb = Read16Cdb::new(0, 1).to_vec().unwrap();
    let mut buf = vec![0u8; 512];
    let c = f
        .execute(&cdb, DataDirection::FromDevice(&mut buf), T)
        .unwrap();
    assert_eq!((c.transferred, c.resid), (512, 1024), "the read happened");
    let tur = [0u8; 6];
    let c = f.execute(&tur, DataDirection::None, T).unwrap();
    assert_eq!((c.resid, c.sense.len()), (0, 0), "the lie was told once");
    let c = f.execute(&tur, DataDirection::None, T).unwrap();
    assert_eq!(c.sense, [0xf0, 0, 0x40, 0, 0, 0, 0, 10]);
    let c = f.execute(&tur, DataDirection::None, T).unwrap();
    assert_eq!((c.sense.len(), c.sense[7]), (252, 255));
    let c = f.execute(&tur, DataDirection::None, T).unwrap();
    assert_eq!(c.sense.len(), 300);
    assert_eq!(f.inner().sent().len(), 2, "sense lies are told, not sent");
}
