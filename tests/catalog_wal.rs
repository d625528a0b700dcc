//! Power loss, as SQLite sees it: the catalog is in WAL mode with
//! `synchronous = FULL`, so a commit is in the write-ahead log, synced,
//! before `record_segment` returns — and a log cut short (the power went
//! while it was being written) loses only the transactions whose frames
//! are not all there: SQLite checks each frame's checksum and the commit
//! frame, and stops at the first that does not hold.
//!
//! The test records segments one commit each, copies the database and its
//! WAL while the writer still has them open (nothing checkpointed), cuts
//! the WAL at seeded random points — and at a point with garbage after it,
//! a torn write — and opens each copy: it must open, pass SQLite's
//! integrity check, and hold a prefix of what was committed (never a
//! segment without its backup, never a hole), growing with the cut.

mod common;

use std::path::Path;

use common::scsi::tmp_dir;
use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{
    Backup, BackupStatus, Mode, MoverKind, Object, Place, SegmentRecord, Store, StoreError,
};

const SEGMENTS: u64 = 40;

fn backup() -> Backup {
    Backup {
        id: 0,
        job: None,
        object: Object {
            source: "prod0".into(),
            designator: "6001405aaaaaaaaa".into(),
            lba: 0,
            blocks: SEGMENTS * 2048,
            block_length: 512,
        },
        mode: Mode::Failover,
        segment_bytes: 1 << 20,
        segments: SEGMENTS,
        streams: 2,
        started: 1_800_000_000,
        ended: None,
        status: BackupStatus::Running,
        preferred_copy: None,
        verified: false,
        holder: None,
        retain_until: None,
    }
}

fn segment(backup: i64, index: u64) -> SegmentRecord {
    SegmentRecord {
        backup,
        copy: 0,
        index,
        source_lba: index * 2048,
        blocks: 2048,
        bytes: 1 << 20,
        stream: 0,
        mover_device: "cm0".into(),
        mover: MoverKind::Xcopy,
        place: Place::Tape {
            library: "lib0".into(),
            drive: "drive0".into(),
            barcode: "T00001L6".into(),
            block_length: 262_144,
            first_block: Some(index * 4),
            last_block: Some(index * 4 + 3),
            verified: true,
        },
        crc32c: None,
        completed: 1_800_000_000 + index as i64,
    }
}

/// Opens the copy in `dir` and returns how many segments backup 1 has
/// (`None`: the backup itself is not there), checking it whole.
fn open_copy(dir: &Path) -> Option<u64> {
    let db = dir.join("catalog.sqlite");
    let store = SqliteStore::open(&db).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "{}", dir.display());
    match store.backup(1) {
        Err(StoreError::NoSuchBackup { .. }) => {
            let orphans: i64 = conn
                .query_row("SELECT COUNT(*) FROM segments", [], |r| r.get(0))
                .unwrap();
            assert_eq!(orphans, 0, "segments without their backup");
            None
        }
        Err(e) => panic!("{e}"),
        Ok(d) => {
            let idx: Vec<u64> = d.segments.iter().map(|s| s.index).collect();
            let n = idx.len() as u64;
            assert_eq!(idx, (0..n).collect::<Vec<_>>(), "a hole in the segments");
            for s in &d.segments {
                assert_eq!(*s, segment(1, s.index), "a segment changed");
            }
            Some(n)
        }
    }
}

#[test]
fn a_wal_cut_short_loses_only_the_last_commits() {
    let dir = tmp_dir("catalog-wal");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let store = SqliteStore::open(&src.join("catalog.sqlite")).unwrap();
    let id = store.begin_backup(&backup()).unwrap();
    assert_eq!(id, 1);
    for k in 0..SEGMENTS {
        store.record_segment(&segment(id, k)).unwrap();
    }
    // The writer still open: the commits are in the WAL, not checkpointed.
    let db = std::fs::read(src.join("catalog.sqlite")).unwrap();
    let wal = std::fs::read(src.join("catalog.sqlite-wal")).unwrap();
    assert!(
        wal.len() > 4096 * SEGMENTS as usize / 2,
        "WAL {} bytes",
        wal.len()
    );

    let copy = |name: &str, wal: &[u8]| {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("catalog.sqlite"), &db).unwrap();
        std::fs::write(d.join("catalog.sqlite-wal"), wal).unwrap();
        open_copy(&d)
    };
    // The whole WAL: everything.
    assert_eq!(copy("whole", &wal), Some(SEGMENTS));
    // Cut at seeded points, in increasing order: a prefix that grows.
    let mut x: u64 = 0x0a1_ca7a;
    let mut cuts: Vec<usize> = (0..30)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 33) as usize % wal.len()
        })
        .collect();
    cuts.sort();
    let mut last = None;
    let mut seen = Vec::new();
    for (i, cut) in cuts.iter().enumerate() {
        let n = copy(&format!("cut-{i}"), &wal[..*cut]);
        assert!(n >= last, "cut at {cut}: {n:?} after {last:?}");
        last = n;
        seen.push((cut, n));
    }
    eprintln!("(WAL bytes kept, segments found): {seen:?}");
    assert!(
        seen.iter()
            .any(|(_, n)| n.is_some_and(|n| n > 0 && n < SEGMENTS)),
        "no cut landed among the segments' commits"
    );
    // A torn write: the WAL's last frames overwritten with garbage.
    let mut torn = wal.clone();
    let from = wal.len() * 3 / 4;
    for (i, b) in torn[from..].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31).wrapping_add(7);
    }
    let n = copy("torn", &torn).expect("the backup was committed early");
    assert!(n < SEGMENTS, "garbage frames were taken for commits");
    drop(store);
}
