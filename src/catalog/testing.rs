//! Test helpers the catalog's unit tests share: a sample backup as the
//! engine would record it, and proptest strategies for every catalog type.

use proptest::prelude::*;

use super::{
    Backup, BackupDetail, BackupStatus, Mode, MoverKind, Object, Place, SegmentRecord, StreamEvent,
};

/// 2024-05-01T02:00:00Z.
pub const T0: i64 = 1_714_528_800;

/// A failover backup (id 7) of 4 segments of 64 MiB: stream 0 wrote
/// segments 0 and 1 on SEG001L6 and failed at segment 2; stream 1 wrote 2
/// and 3 on SEG002L6.
pub fn failover_detail() -> BackupDetail {
    let seg = 64u64 << 20;
    let blocks = seg / 512;
    let tape = |barcode: &str, drive: &str, index: u64, verified: bool| Place::Tape {
        library: "lib0".into(),
        drive: drive.into(),
        barcode: barcode.into(),
        block_length: 262_144,
        first_block: Some((index % 2) * 256),
        last_block: Some((index % 2) * 256 + 255),
        verified,
    };
    let record = |index: u64, stream: u8, mover_device: &str, place: Place| SegmentRecord {
        backup: 7,
        copy: 0,
        index,
        source_lba: 2048 + index * blocks,
        blocks,
        bytes: seg,
        stream,
        mover_device: mover_device.into(),
        mover: MoverKind::Xcopy,
        place,
        crc32c: Some(0x1234_5678 ^ index as u32),
        completed: T0 + 60 * (index as i64 + 1),
    };
    BackupDetail {
        backup: Backup {
            id: 7,
            job: Some(3),
            object: Object {
                source: "prod0".into(),
                designator: "600140512345678900000000000000a1".into(),
                lba: 2048,
                blocks: 4 * blocks,
                block_length: 512,
            },
            mode: Mode::Failover,
            segment_bytes: seg,
            segments: 4,
            streams: 2,
            started: T0,
            ended: Some(T0 + 300),
            status: BackupStatus::Completed,
            preferred_copy: None,
            verified: true,
            holder: None,
            retain_until: None,
        },
        segments: vec![
            record(0, 0, "cm0", tape("SEG001L6", "drive0", 0, true)),
            record(1, 0, "cm0", tape("SEG001L6", "drive0", 1, true)),
            record(2, 1, "cm1", tape("SEG002L6", "drive1", 0, false)),
            record(3, 1, "cm1", tape("SEG002L6", "drive1", 1, false)),
        ],
        streams: vec![
            StreamEvent {
                backup: 7,
                stream: 0,
                failed_at: Some(2),
                segments_done: 2,
                reason: "COPY ABORTED, ASC/ASCQ 0D/01 (third party device failure) on cm0".into(),
                at: T0 + 150,
            },
            StreamEvent {
                backup: 7,
                stream: 1,
                failed_at: None,
                segments_done: 2,
                reason: "completed".into(),
                at: T0 + 290,
            },
        ],
    }
}

/// A mirror backup (id 8) to two disks, one segment each copy.
pub fn mirror_detail() -> BackupDetail {
    let mut d = failover_detail();
    d.backup.id = 8;
    d.backup.mode = Mode::Mirror;
    d.backup.segments = 1;
    d.backup.object.blocks = d.backup.segment_bytes / 512;
    d.backup.preferred_copy = Some(1);
    d.backup.verified = false;
    d.segments = (0..2u8)
        .map(|copy| SegmentRecord {
            backup: 8,
            copy,
            index: 0,
            stream: copy,
            mover: MoverKind::Host,
            mover_device: "backup-server".into(),
            place: Place::Disk {
                disk: format!("vault{copy}"),
                designator: format!("60014050000000000000000000000b0{copy}"),
                lba: 0,
            },
            crc32c: None,
            ..d.segments[0].clone()
        })
        .collect();
    d.streams = Vec::new();
    d
}

prop_compose! {
    fn arb_tape(max: u64)(
        library in ".{0,12}",
        drive in ".{0,12}",
        barcode in "[A-Z0-9]{0,8}",
        block_length in any::<u32>(),
        ends in proptest::option::of((0..=max, 0..=max)),
        verified in any::<bool>(),
    ) -> Place {
        Place::Tape {
            library,
            drive,
            barcode,
            block_length,
            first_block: ends.map(|(a, b)| a.min(b)),
            last_block: ends.map(|(a, b)| a.max(b)),
            verified,
        }
    }
}

prop_compose! {
    fn arb_disk(max: u64)(
        disk in ".{0,12}",
        designator in "[0-9a-f]{0,32}",
        lba in 0..=max,
    ) -> Place {
        Place::Disk { disk, designator, lba }
    }
}

fn arb_place(max: u64) -> impl Strategy<Value = Place> {
    prop_oneof![arb_tape(max), arb_disk(max)]
}

fn arb_mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Failover), Just(Mode::Mirror)]
}

fn arb_status() -> impl Strategy<Value = BackupStatus> {
    prop_oneof![
        Just(BackupStatus::Running),
        Just(BackupStatus::Completed),
        Just(BackupStatus::Partial),
        Just(BackupStatus::Failed),
    ]
}

prop_compose! {
    fn arb_segment(max: u64)(
        copy in any::<u8>(),
        index in 0..=max,
        source_lba in 0..=max,
        blocks in 0..=max,
        bytes in 0..=max,
        stream in any::<u8>(),
        mover_device in ".{0,12}",
        mover in prop_oneof![Just(MoverKind::Xcopy), Just(MoverKind::Host)],
        place in arb_place(max),
        crc32c in any::<Option<u32>>(),
        completed in any::<i64>(),
    ) -> SegmentRecord {
        SegmentRecord {
            backup: 0,
            copy,
            index,
            source_lba,
            blocks,
            bytes,
            stream,
            mover_device,
            mover,
            place,
            crc32c,
            completed,
        }
    }
}

prop_compose! {
    fn arb_stream(max: u64)(
        stream in any::<u8>(),
        failed_at in proptest::option::of(0..=max),
        segments_done in 0..=max,
        reason in ".{0,40}",
        at in any::<i64>(),
    ) -> StreamEvent {
        StreamEvent { backup: 0, stream, failed_at, segments_done, reason, at }
    }
}

prop_compose! {
    fn arb_object(max: u64)(
        source in ".{0,12}",
        designator in "[0-9a-f]{0,32}",
        lba in 0..=max,
        blocks in 0..=max,
        block_length in any::<u32>(),
    ) -> Object {
        Object { source, designator, lba, blocks, block_length }
    }
}

prop_compose! {
    fn arb_backup(max: u64)(
        id in any::<i64>(),
        job in any::<Option<i64>>(),
        object in arb_object(max),
        mode in arb_mode(),
        segment_bytes in 0..=max,
        segments in 0..=max,
        streams in any::<u8>(),
        started in any::<i64>(),
        ended in any::<Option<i64>>(),
        status in arb_status(),
        preferred_copy in any::<Option<u8>>(),
        verified in any::<bool>(),
        retain_until in any::<Option<i64>>(),
    ) -> Backup {
        Backup {
            id,
            job,
            object,
            mode,
            segment_bytes,
            segments,
            streams,
            started,
            ended,
            status,
            preferred_copy,
            verified,
            holder: None,
            retain_until,
        }
    }
}

/// Any backup detail whose unsigned numbers are at most `max`, with its
/// segments and events naming its id and each (copy, index) once, in the
/// order the catalog returns them.
pub fn arb_detail(max: u64) -> impl Strategy<Value = BackupDetail> {
    (
        arb_backup(max),
        proptest::collection::vec(arb_segment(max), 0..6),
        proptest::collection::vec(arb_stream(max), 0..4),
    )
        .prop_map(|(backup, mut segments, mut streams)| {
            segments.sort_by_key(|s| (s.copy, s.index));
            segments.dedup_by_key(|s| (s.copy, s.index));
            for s in &mut segments {
                s.backup = backup.id;
            }
            for e in &mut streams {
                e.backup = backup.id;
            }
            BackupDetail {
                backup,
                segments,
                streams,
            }
        })
}
