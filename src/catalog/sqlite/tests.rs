//! Tests of [`SqliteStore`]: every method of [`Store`], the schema's
//! version, durability across a reopen, and claims racing from several
//! connections (threads) and several processes on one file.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::catalog::testing::{arb_detail, failover_detail, mirror_detail, T0};

fn holder(purpose: &str, pid: u32) -> Holder {
    Holder {
        id: 0,
        host: "host-a".into(),
        pid,
        pid_start: 1000 + u64::from(pid),
        since: T0,
        purpose: purpose.into(),
    }
}

fn excl(resource: &str, stream: u8) -> Claim {
    Claim {
        resource: resource.into(),
        stream,
        exclusive: true,
    }
}

fn shared(resource: &str, stream: u8) -> Claim {
    Claim {
        resource: resource.into(),
        stream,
        exclusive: false,
    }
}

/// Who holds what: (resource, holder id, stream, exclusive), sorted.
fn held(store: &SqliteStore) -> Vec<(String, HolderId, u8, bool)> {
    let mut v: Vec<_> = store
        .leases()
        .expect("leases")
        .into_iter()
        .map(|l| (l.resource, l.holder.id, l.stream, l.exclusive))
        .collect();
    v.sort();
    v
}

fn pragma(store: &SqliteStore, name: &str) -> String {
    store
        .lock()
        .pragma_query_value(None, name, |r| {
            r.get::<_, rusqlite::types::Value>(0).map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
        })
        .expect("pragma")
}

/// The sample backup as the engine begins it (no job: none is in the
/// catalog).
fn fresh() -> Backup {
    Backup {
        job: None,
        ..failover_detail().backup
    }
}

fn job(name: &str) -> Job {
    Job {
        id: 0,
        name: name.into(),
        source: "prod0".into(),
        lba: 2048,
        blocks: Some(1 << 20),
        mode: Mode::Failover,
        segment_bytes: 64 << 20,
        streams: 2,
        target: Target::Tape,
        schedule: Schedule::Interval { seconds: 86400 },
        next_due: Some(T0),
        last_backup: None,
        retention: None,
    }
}

// ---- opening

#[test]
fn open_makes_the_file_and_its_directory_in_wal_full_with_foreign_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state/segcopy/catalog.sqlite");
    let store = SqliteStore::open(&path).expect("open");
    assert!(path.exists());
    assert_eq!(store.location(), format!("sqlite:{}", path.display()));
    assert_eq!(store.path(), Some(path.clone()));
    assert_eq!(pragma(&store, "journal_mode"), "wal");
    assert_eq!(pragma(&store, "synchronous"), "2", "synchronous = FULL");
    assert_eq!(pragma(&store, "foreign_keys"), "1");
    assert_eq!(pragma(&store, "busy_timeout"), "60000");
    assert_eq!(pragma(&store, "user_version"), schema_version().to_string());
    drop(store);
    // Opening again migrates nothing and keeps the version.
    let store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(pragma(&store, "user_version"), schema_version().to_string());
    assert_eq!(SqliteStore::memory().expect("memory").path(), None);
}

#[test]
fn a_catalog_newer_than_this_code_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    drop(SqliteStore::open(&path).expect("open"));
    let newer = schema_version() + 1;
    Connection::open(&path)
        .expect("raw open")
        .pragma_update(None, "user_version", newer)
        .expect("set version");
    match SqliteStore::open(&path) {
        Err(StoreError::TooNew {
            found, supported, ..
        }) => {
            assert_eq!((found, supported), (newer, schema_version()));
        }
        Err(e) => panic!("expected TooNew, got {e}"),
        Ok(_) => panic!("a newer catalog was opened"),
    }
}

#[test]
fn a_file_that_is_not_sqlite_is_a_backend_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    std::fs::write(&path, vec![0x42u8; 4096]).expect("write");
    let e = SqliteStore::open(&path).err().expect("refused");
    assert!(matches!(e, StoreError::Backend { .. }), "{e}");
    assert!(e.to_string().contains(&path.display().to_string()), "{e}");
}

// ---- inventory state

#[test]
fn unusable_marks_are_set_replaced_and_cleared() {
    let store = SqliteStore::memory().expect("memory");
    assert!(store.unusable().expect("unusable").is_empty());
    store
        .set_unusable("drive1", Some("cleaning"))
        .expect("mark");
    store
        .set_unusable("cm0", Some("COPY ABORTED"))
        .expect("mark");
    store
        .set_unusable("drive1", Some("hardware error"))
        .expect("re-mark");
    assert_eq!(
        store.unusable().expect("unusable"),
        [
            ("cm0".to_string(), "COPY ABORTED".to_string()),
            ("drive1".to_string(), "hardware error".to_string())
        ]
    );
    store.set_unusable("drive1", None).expect("clear");
    store
        .set_unusable("never-marked", None)
        .expect("clear nothing");
    assert_eq!(store.unusable().expect("unusable").len(), 1);
}

// ---- leases

#[test]
fn register_assigns_ids() {
    let store = SqliteStore::memory().expect("memory");
    let a = store.register(&holder("backup 1", 100)).expect("register");
    let b = store.register(&holder("backup 2", 101)).expect("register");
    assert!(a.id > 0 && b.id > a.id);
    assert_eq!(
        a,
        Holder {
            id: a.id,
            ..holder("backup 1", 100)
        }
    );
}

#[test]
fn exclusive_and_shared_claims() {
    let store = SqliteStore::memory().expect("memory");
    let a = store.register(&holder("backup 1", 100)).expect("register");
    let b = store.register(&holder("backup 2", 101)).expect("register");
    store
        .claim(a.id, &[excl("drive0", 0), shared("sw0", 0)])
        .expect("a claims");
    // A shared resource serves both holders.
    store
        .claim(b.id, &[shared("sw0", 0)])
        .expect("b shares sw0");
    // An exclusive claim fails on any other holder's lease...
    match store.claim(b.id, &[excl("drive0", 0)]) {
        Err(StoreError::Taken { resource, by }) => {
            assert_eq!(resource, "drive0");
            assert_eq!(by, a);
        }
        other => panic!("expected Taken, got {other:?}"),
    }
    match store.claim(b.id, &[excl("sw0", 1)]) {
        Err(StoreError::Taken { resource, by }) => {
            assert_eq!((resource.as_str(), by.id), ("sw0", a.id));
        }
        other => panic!("expected Taken, got {other:?}"),
    }
    // ...and a shared claim only on another's exclusive lease.
    assert!(matches!(
        store.claim(b.id, &[shared("drive0", 0)]),
        Err(StoreError::Taken { .. })
    ));
    assert_eq!(
        held(&store),
        [
            ("drive0".to_string(), a.id, 0, true),
            ("sw0".to_string(), a.id, 0, false),
            ("sw0".to_string(), b.id, 0, false),
        ]
    );
    let lease = store
        .leases()
        .expect("leases")
        .into_iter()
        .find(|l| l.resource == "drive0")
        .expect("drive0 lease");
    assert_eq!(lease.holder, a);
}

#[test]
fn a_claim_takes_all_or_nothing() {
    let store = SqliteStore::memory().expect("memory");
    let a = store.register(&holder("backup 1", 100)).expect("register");
    let b = store.register(&holder("backup 2", 101)).expect("register");
    store.claim(a.id, &[excl("tape1", 1)]).expect("a claims");
    let history = store.lease_history().expect("history");
    // The first three are free, the last is a's: nothing is taken.
    let e = store
        .claim(
            b.id,
            &[
                excl("cm1", 1),
                excl("drive1", 1),
                shared("sw1", 1),
                excl("tape1", 1),
            ],
        )
        .expect_err("tape1 is taken");
    assert!(
        e.to_string()
            .contains("tape1 is in use by backup 1 (pid 100 on host-a)"),
        "{e}"
    );
    assert_eq!(held(&store), [("tape1".to_string(), a.id, 1, true)]);
    assert_eq!(store.lease_history().expect("history"), history);
}

#[test]
fn an_unusable_resource_is_refused() {
    let store = SqliteStore::memory().expect("memory");
    let a = store.register(&holder("backup 1", 100)).expect("register");
    store
        .set_unusable("drive1", Some("cleaning cartridge stuck"))
        .expect("mark");
    let e = store
        .claim(a.id, &[excl("cm0", 0), excl("drive1", 0)])
        .expect_err("drive1 is unusable");
    assert!(matches!(e, StoreError::Invalid(_)));
    assert!(
        e.to_string()
            .contains("drive1 is marked unusable (cleaning cartridge stuck)"),
        "{e}"
    );
    assert!(held(&store).is_empty(), "cm0 must not stay taken");
    store.set_unusable("drive1", None).expect("clear");
    store
        .claim(a.id, &[excl("cm0", 0), excl("drive1", 0)])
        .expect("claim");
}

#[test]
fn the_same_holder_claiming_again() {
    let store = SqliteStore::memory().expect("memory");
    let a = store.register(&holder("backup 1", 100)).expect("register");
    store
        .claim(a.id, &[excl("drive0", 0), shared("sw0", 0)])
        .expect("claim");
    // The same claim again: nothing changes.
    store.claim(a.id, &[excl("drive0", 0)]).expect("same claim");
    // A shared resource may serve two of its streams.
    store
        .claim(a.id, &[shared("sw0", 1)])
        .expect("sw0 for stream 1");
    // An exclusive one serves one stream, one way.
    assert!(matches!(
        store.claim(a.id, &[excl("drive0", 1)]),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.claim(a.id, &[shared("drive0", 0)]),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.claim(a.id, &[excl("sw0", 2)]),
        Err(StoreError::Invalid(_))
    ));
    // Twice in one list.
    assert!(matches!(
        store.claim(a.id, &[excl("tape0", 0), excl("tape0", 1)]),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        held(&store),
        [
            ("drive0".to_string(), a.id, 0, true),
            ("sw0".to_string(), a.id, 0, false),
            ("sw0".to_string(), a.id, 1, false),
        ]
    );
}

#[test]
fn only_registered_holders_claim() {
    let store = SqliteStore::memory().expect("memory");
    assert!(matches!(
        store.claim(42, &[excl("drive0", 0)]),
        Err(StoreError::Invalid(_))
    ));
    let a = store.register(&holder("backup 1", 100)).expect("register");
    store.unregister(a.id).expect("unregister");
    assert!(matches!(
        store.claim(a.id, &[excl("drive0", 0)]),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(store.unregister(42), Err(StoreError::Invalid(_))));
    store
        .unregister(a.id)
        .expect("unregistering twice is harmless");
}

#[test]
fn release_some_or_all_and_the_history_in_order() {
    let store = SqliteStore::memory().expect("memory");
    let a = store.register(&holder("backup 1", 100)).expect("register");
    let b = store.register(&holder("backup 2", 101)).expect("register");
    store
        .claim(a.id, &[excl("cm0", 0), excl("drive0", 0), shared("sw0", 0)])
        .expect("claim");
    store
        .release(a.id, Some(&["drive0".to_string()]))
        .expect("release drive0");
    store
        .claim(b.id, &[excl("drive0", 1)])
        .expect("b takes drive0");
    store.release(a.id, None).expect("release all");
    store.release(a.id, None).expect("nothing left: harmless");
    store.unregister(b.id).expect("unregister releases");
    assert!(held(&store).is_empty());
    let events: Vec<(String, HolderId, u8, bool, Option<String>)> = store
        .lease_history()
        .expect("history")
        .into_iter()
        .map(|e| (e.resource, e.holder, e.stream, e.taken, e.note))
        .collect();
    let ev = |r: &str, h: HolderId, s: u8, taken: bool| (r.to_string(), h, s, taken, None);
    assert_eq!(
        events,
        [
            ev("cm0", a.id, 0, true),
            ev("drive0", a.id, 0, true),
            ev("sw0", a.id, 0, true),
            ev("drive0", a.id, 0, false),
            ev("drive0", b.id, 1, true),
            ev("cm0", a.id, 0, false),
            ev("sw0", a.id, 0, false),
            ev("drive0", b.id, 1, false),
        ]
    );
}

#[test]
fn reap_releases_the_dead_and_says_so() {
    let store = SqliteStore::memory().expect("memory");
    let dead = store.register(&holder("backup 1", 100)).expect("register");
    let live = store.register(&holder("backup 2", 101)).expect("register");
    let idle = store.register(&holder("restore 1", 102)).expect("register");
    store
        .claim(dead.id, &[excl("drive0", 0), shared("sw0", 0)])
        .expect("claim");
    store
        .claim(live.id, &[excl("drive1", 0), shared("sw0", 0)])
        .expect("claim");
    let alive = |h: &Holder| h.pid == 101;
    let reaped = store.reap(&alive).expect("reap");
    assert_eq!(
        reaped,
        [
            (dead.clone(), vec!["drive0".to_string(), "sw0".to_string()]),
            (idle.clone(), vec![]),
        ]
    );
    assert_eq!(
        held(&store),
        [
            ("drive1".to_string(), live.id, 0, true),
            ("sw0".to_string(), live.id, 0, false),
        ]
    );
    let notes: Vec<(String, Option<String>)> = store
        .lease_history()
        .expect("history")
        .into_iter()
        .filter(|e| !e.taken)
        .map(|e| (e.resource, e.note))
        .collect();
    assert_eq!(
        notes,
        [
            ("drive0".to_string(), Some("holder died".to_string())),
            ("sw0".to_string(), Some("holder died".to_string())),
        ]
    );
    // The dead are reaped once, and their resources are free again.
    assert!(store.reap(&alive).expect("reap again").is_empty());
    store
        .claim(live.id, &[excl("drive0", 1)])
        .expect("drive0 is free");
    assert!(matches!(
        store.claim(dead.id, &[excl("cm0", 0)]),
        Err(StoreError::Invalid(_))
    ));
}

#[test]
fn reap_with_the_local_judge() {
    let store = SqliteStore::memory().expect("memory");
    let me = store
        .register(&crate::catalog::this_process("test", Some("host-a")))
        .expect("register");
    let gone = store
        .register(&Holder {
            pid_start: me.pid_start + 1,
            ..me.clone()
        })
        .expect("register");
    let elsewhere = store
        .register(&Holder {
            host: "host-b".into(),
            ..gone.clone()
        })
        .expect("register");
    let reaped = store
        .reap(&|h| crate::catalog::local_alive(h, "host-a"))
        .expect("reap");
    let ids: Vec<HolderId> = reaped.iter().map(|(h, _)| h.id).collect();
    assert_eq!(ids, [gone.id]);
    assert_ne!(elsewhere.id, me.id);
}

// ---- jobs

#[test]
fn jobs_are_added_listed_and_run() {
    let store = SqliteStore::memory().expect("memory");
    let nightly = job("nightly");
    let vault = Job {
        name: "vault".into(),
        blocks: None,
        mode: Mode::Mirror,
        target: Target::Disk {
            disks: vec!["vault0".into(), "vault1".into()],
            lba: 4096,
        },
        schedule: Schedule::Manual,
        next_due: None,
        ..job("vault")
    };
    let n = store.add_job(&nightly).expect("add");
    let v = store.add_job(&vault).expect("add");
    assert!(
        matches!(store.add_job(&nightly), Err(StoreError::JobExists(name)) if name == "nightly")
    );
    assert!(matches!(
        store.add_job(&job(" ")),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store.jobs().expect("jobs"),
        [
            Job {
                id: n,
                ..nightly.clone()
            },
            Job {
                id: v,
                ..vault.clone()
            }
        ]
    );
    // A run with a backup, then one that made none: the last backup stays.
    let b = store
        .begin_backup(&Backup {
            job: Some(n),
            ..failover_detail().backup
        })
        .expect("begin");
    store.job_ran(n, Some(b), Some(T0 + 86400)).expect("ran");
    store.job_ran(n, None, Some(T0 + 2 * 86400)).expect("ran");
    let got = store.jobs().expect("jobs").remove(0);
    assert_eq!(
        (got.last_backup, got.next_due),
        (Some(b), Some(T0 + 2 * 86400))
    );
    store.job_ran(v, None, None).expect("ran");
    assert!(matches!(
        store.job_ran(99, None, None),
        Err(StoreError::NoSuchJob(_))
    ));
    assert!(matches!(
        store.job_ran(n, Some(99), None),
        Err(StoreError::NoSuchBackup { id: 99 })
    ));
}

// ---- backups

#[test]
fn a_backup_from_begin_to_finish() {
    let store = SqliteStore::memory().expect("memory");
    let want = failover_detail();
    let id = store
        .begin_backup(&Backup {
            job: None,
            ended: Some(1),
            status: BackupStatus::Completed,
            ..want.backup.clone()
        })
        .expect("begin");
    let started = store.backup(id).expect("detail");
    assert_eq!(started.backup.status, BackupStatus::Running);
    assert_eq!(started.backup.ended, None);
    assert!(started.segments.is_empty() && started.streams.is_empty());
    // Recorded out of order, returned by copy then index.
    for s in want.segments.iter().rev() {
        store
            .record_segment(&SegmentRecord {
                backup: id,
                ..s.clone()
            })
            .expect("record");
    }
    for e in &want.streams {
        store
            .record_stream(&StreamEvent {
                backup: id,
                ..e.clone()
            })
            .expect("record stream");
    }
    store
        .finish_backup(id, BackupStatus::Completed, None, T0 + 300)
        .expect("finish");
    let got = store.backup(id).expect("detail");
    assert_eq!(
        got.backup,
        Backup {
            id,
            job: None,
            ..want.backup.clone()
        }
    );
    let fix = |mut d: BackupDetail| {
        for s in &mut d.segments {
            s.backup = id;
        }
        for e in &mut d.streams {
            e.backup = id;
        }
        d
    };
    assert_eq!(got.segments, fix(want.clone()).segments);
    assert_eq!(got.streams, fix(want).streams);
    assert_eq!(store.backups().expect("backups"), [got.backup]);
}

#[test]
fn a_segment_is_recorded_once() {
    let store = SqliteStore::memory().expect("memory");
    let d = failover_detail();
    let id = store.begin_backup(&fresh()).expect("begin");
    let s = SegmentRecord {
        backup: id,
        ..d.segments[0].clone()
    };
    store.record_segment(&s).expect("record");
    let again = SegmentRecord {
        crc32c: None,
        ..s.clone()
    };
    let e = store.record_segment(&again).expect_err("duplicate");
    assert!(matches!(e, StoreError::Invalid(_)));
    assert!(e.to_string().contains("is recorded already"), "{e}");
    assert_eq!(
        store.backup(id).expect("detail").segments,
        std::slice::from_ref(&s)
    );
    // The same index in another copy is another record.
    store
        .record_segment(&SegmentRecord {
            copy: 1,
            ..s.clone()
        })
        .expect("copy 1");
    assert!(matches!(
        store.record_segment(&SegmentRecord {
            backup: 99,
            ..s.clone()
        }),
        Err(StoreError::NoSuchBackup { id: 99 })
    ));
    let backwards = SegmentRecord {
        index: 9,
        place: Place::Tape {
            library: "lib0".into(),
            drive: "drive0".into(),
            barcode: "SEG001L6".into(),
            block_length: 0,
            first_block: Some(10),
            last_block: Some(9),
            verified: true,
        },
        ..s
    };
    assert!(matches!(
        store.record_segment(&backwards),
        Err(StoreError::Invalid(_))
    ));
}

#[test]
fn missing_backups_and_bad_finishes() {
    let store = SqliteStore::memory().expect("memory");
    assert!(matches!(
        store.backup(5),
        Err(StoreError::NoSuchBackup { id: 5 })
    ));
    assert!(matches!(
        store.finish_backup(5, BackupStatus::Failed, None, T0),
        Err(StoreError::NoSuchBackup { id: 5 })
    ));
    assert!(matches!(
        store.record_stream(&StreamEvent {
            backup: 5,
            ..failover_detail().streams[0].clone()
        }),
        Err(StoreError::NoSuchBackup { id: 5 })
    ));
    let id = store.begin_backup(&fresh()).expect("begin");
    assert!(matches!(
        store.finish_backup(id, BackupStatus::Running, None, T0),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.begin_backup(&Backup {
            job: Some(77),
            ..failover_detail().backup
        }),
        Err(StoreError::NoSuchJob(_))
    ));
}

#[test]
fn a_segment_record_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    let d = failover_detail();
    let (id, record) = {
        let store = SqliteStore::open(&path).expect("open");
        let id = store.begin_backup(&fresh()).expect("begin");
        let record = SegmentRecord {
            backup: id,
            ..d.segments[0].clone()
        };
        store.record_segment(&record).expect("record");
        // Another connection sees it at once: it is committed.
        let other = SqliteStore::open(&path).expect("second connection");
        assert_eq!(
            other.backup(id).expect("detail").segments,
            std::slice::from_ref(&record)
        );
        (id, record)
    };
    let store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(store.backup(id).expect("detail").segments, [record]);
}

#[test]
fn backups_oldest_first() {
    let store = SqliteStore::memory().expect("memory");
    let mut ids = Vec::new();
    for started in [T0 + 20, T0, T0 + 10] {
        ids.push(
            store
                .begin_backup(&Backup { started, ..fresh() })
                .expect("begin"),
        );
    }
    let order: Vec<BackupId> = store
        .backups()
        .expect("backups")
        .iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(order, [ids[1], ids[2], ids[0]]);
}

#[test]
fn import_keeps_the_id_and_is_harmless_twice() {
    let store = SqliteStore::memory().expect("memory");
    let d = failover_detail();
    store.import(&d).expect("import");
    assert_eq!(store.backup(7).expect("detail"), d);
    // The same map again (from another tape of the backup): nothing to do.
    store.import(&d).expect("again");
    let mut shuffled = d.clone();
    shuffled.segments.reverse();
    store.import(&shuffled).expect("segments in another order");
    // Other content under the same id is refused, and nothing changes.
    let mut other = d.clone();
    other.backup.status = BackupStatus::Partial;
    let e = store.import(&other).expect_err("other content");
    assert!(
        e.to_string()
            .contains("backup 7 is in the catalog already with other content"),
        "{e}"
    );
    let mut more = d.clone();
    more.segments.pop();
    assert!(store.import(&more).is_err());
    assert_eq!(store.backup(7).expect("detail"), d);
    // New backups number on from the imported ones.
    assert!(store.begin_backup(&fresh()).expect("begin") > 7);
}

#[test]
fn import_refuses_inconsistent_maps() {
    let store = SqliteStore::memory().expect("memory");
    let mut foreign = failover_detail();
    foreign.segments[1].backup = 8;
    assert!(matches!(
        store.import(&foreign),
        Err(StoreError::Invalid(_))
    ));
    let mut event = failover_detail();
    event.streams[0].backup = 8;
    assert!(matches!(store.import(&event), Err(StoreError::Invalid(_))));
    let mut twice = failover_detail();
    twice.segments[1].index = 0;
    assert!(matches!(store.import(&twice), Err(StoreError::Invalid(_))));
    assert!(
        store.backups().expect("backups").is_empty(),
        "all or nothing"
    );
}

#[test]
fn tapes_in_use_are_the_barcodes_of_kept_segments() {
    let store = SqliteStore::memory().expect("memory");
    assert!(store.tapes_in_use().expect("tapes").is_empty());
    store.import(&mirror_detail()).expect("import disk backup");
    assert!(store.tapes_in_use().expect("tapes").is_empty());
    store
        .import(&failover_detail())
        .expect("import tape backup");
    let mut third = failover_detail();
    third.backup.id = 9;
    for s in &mut third.segments {
        s.backup = 9;
    }
    for e in &mut third.streams {
        e.backup = 9;
    }
    store.import(&third).expect("import");
    assert_eq!(
        store.tapes_in_use().expect("tapes"),
        ["SEG001L6", "SEG002L6"]
    );
}

#[test]
fn places_and_enums_are_readable_columns() {
    let store = SqliteStore::memory().expect("memory");
    store.import(&failover_detail()).expect("import");
    store.import(&mirror_detail()).expect("import");
    let conn = store.lock();
    let row: (String, String, String, String, i64, i64, i64) = conn
        .query_row(
            "SELECT b.mode, b.status, s.mover, s.place || ':' || s.barcode, s.first_block, \
             s.last_block, s.verified FROM segments s JOIN backups b ON b.id = s.backup \
             WHERE s.backup = 7 AND s.seg_index = 1",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .expect("query");
    assert_eq!(
        row,
        (
            "failover".into(),
            "completed".into(),
            "xcopy".into(),
            "tape:SEG001L6".into(),
            256,
            511,
            1
        )
    );
    let disk: (String, String, i64) = conn
        .query_row(
            "SELECT place, disk, lba FROM segments WHERE backup = 8 AND copy = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("query");
    assert_eq!(disk, ("disk".into(), "vault1".into(), 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever a tape says, the catalog gives back as it was.
    #[test]
    fn import_then_backup_is_the_identity(d in arb_detail(i64::MAX as u64)) {
        let store = SqliteStore::memory().expect("memory");
        store.import(&d).expect("import");
        prop_assert_eq!(store.backup(d.backup.id).expect("detail"), d.clone());
        store.import(&d).expect("again");
    }
}

// ---- claims racing across connections and processes

/// The resources the race claims: drives and tapes exclusively, the
/// switch shared.
const RACE_EXCLUSIVE: [&str; 6] = ["drive0", "drive1", "drive2", "tape0", "tape1", "tape2"];
const RACE_ROUNDS: usize = 40;

/// One racer of `racers`: registers, waits for the others to, then
/// claims an overlapping set (two drives, a tape, the switch)
/// `RACE_ROUNDS` times, releasing after each success. Returns how many
/// claims it won.
fn race(path: &Path, who: u32, racers: i64) -> usize {
    let store = SqliteStore::open(path).expect("open");
    let me = store
        .register(&holder(&format!("racer {who}"), who))
        .expect("register");
    let start = std::time::Instant::now();
    loop {
        let registered: i64 = store
            .lock()
            .query_row("SELECT count(*) FROM holders", [], |r| r.get(0))
            .expect("count holders");
        if registered >= racers {
            break;
        }
        assert!(
            start.elapsed().as_secs() < 60,
            "the other racers never came"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let mut won = 0;
    for round in 0..RACE_ROUNDS {
        let k = (who as usize + round) % 3;
        let claims = [
            excl(RACE_EXCLUSIVE[k], 0),
            excl(RACE_EXCLUSIVE[(k + 1) % 3], 1),
            excl(RACE_EXCLUSIVE[3 + (round % 3)], 0),
            shared("sw0", 0),
        ];
        match store.claim(me.id, &claims) {
            Ok(()) => {
                won += 1;
                std::thread::yield_now();
                store.release(me.id, None).expect("release");
            }
            Err(StoreError::Taken { .. }) => {}
            Err(e) => panic!("racer {who}: {e}"),
        }
    }
    store.unregister(me.id).expect("unregister");
    won
}

/// Replays the history: no exclusive resource is ever held by two
/// holders at once, and every claim is taken whole.
fn check_history(store: &SqliteStore, expect_won: usize) {
    let mut holders: HashMap<String, HashSet<HolderId>> = HashMap::new();
    let mut claims_taken = 0;
    let mut run: Vec<(HolderId, bool)> = Vec::new();
    for e in store.lease_history().expect("history") {
        let set = holders.entry(e.resource.clone()).or_default();
        if e.taken {
            assert!(
                set.insert(e.holder),
                "{} taken twice by {}",
                e.resource,
                e.holder
            );
            if RACE_EXCLUSIVE.contains(&e.resource.as_str()) {
                assert_eq!(set.len(), 1, "{} held by {:?} at once", e.resource, set);
            }
        } else {
            assert!(
                set.remove(&e.holder),
                "{} released by a non-holder",
                e.resource
            );
        }
        // Consecutive events of one holder, taken or released.
        match run.last() {
            Some(&(h, t)) if h == e.holder && t == e.taken => run.push((h, t)),
            _ => {
                if run.first().is_some_and(|&(_, t)| t) {
                    assert_eq!(run.len(), 4, "a claim of 4 resources took {}", run.len());
                    claims_taken += 1;
                }
                run = vec![(e.holder, e.taken)];
            }
        }
    }
    if run.first().is_some_and(|&(_, t)| t) {
        claims_taken += 1;
    }
    assert_eq!(claims_taken, expect_won);
    assert!(
        holders.values().all(HashSet::is_empty),
        "everything released"
    );
}

#[test]
fn racing_claims_from_threads_never_share_an_exclusive_resource() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    drop(SqliteStore::open(&path).expect("create"));
    let won: usize = std::thread::scope(|s| {
        let racers: Vec<_> = (1..=4u32)
            .map(|who| {
                let path = &path;
                s.spawn(move || race(path, who, 4))
            })
            .collect();
        racers.into_iter().map(|r| r.join().expect("racer")).sum()
    });
    assert!(won > 0);
    check_history(&SqliteStore::open(&path).expect("open"), won);
}

/// The child side of the process race: runs only when the parent test
/// starts this test binary with `SEGCOPY_RACE_DB` set.
#[test]
#[ignore = "run by racing_claims_from_processes_never_share_an_exclusive_resource"]
fn race_child() {
    let (Some(db), Some(who)) = (
        std::env::var_os("SEGCOPY_RACE_DB"),
        std::env::var("SEGCOPY_RACE_WHO").ok(),
    ) else {
        return;
    };
    let won = race(Path::new(&db), who.parse().expect("who"), 4);
    println!("RACE-WON {won}");
}

#[test]
fn racing_claims_from_processes_never_share_an_exclusive_resource() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    drop(SqliteStore::open(&path).expect("create"));
    let exe = std::env::current_exe().expect("test binary");
    let children: Vec<_> = (1..=3u32)
        .map(|who| {
            std::process::Command::new(&exe)
                .args([
                    "catalog::sqlite::tests::race_child",
                    "--exact",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("SEGCOPY_RACE_DB", &path)
                .env("SEGCOPY_RACE_WHO", who.to_string())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("spawn a racer")
        })
        .collect();
    // This process races too.
    let mut won = race(&path, 10, 4);
    for child in children {
        let out = child.wait_with_output().expect("racer");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "racer failed:\n{text}");
        let (_, count) = text
            .split_once("RACE-WON ")
            .unwrap_or_else(|| panic!("racer said nothing:\n{text}"));
        won += count
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .expect("count");
    }
    check_history(&SqliteStore::open(&path).expect("open"), won);
}

#[test]
fn many_processes_opening_a_new_catalog_at_once_all_get_it() {
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite");
        let results: Vec<Result<(), String>> = std::thread::scope(|s| {
            let h: Vec<_> = (0..6)
                .map(|_| {
                    let p = path.clone();
                    s.spawn(move || SqliteStore::open(&p).map(|_| ()).map_err(|e| e.to_string()))
                })
                .collect();
            h.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for r in results {
            assert_eq!(r, Ok(()), "round {round}");
        }
    }
}

#[test]
fn a_new_catalog_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    let store = SqliteStore::open(&path).expect("open");
    store
        .add_job(&job("nightly"))
        .expect("a write, so the WAL exists");
    for f in ["catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"] {
        let mode = std::fs::metadata(dir.path().join(f))
            .expect(f)
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}: {mode:o}");
    }
}
