//! The catalog's tests that hold for every backend: one body each, run on
//! SQLite (in memory) and on PostgreSQL (a fresh database on the tests' own
//! server, [`super::pg_server`]; skipped loudly where there is none, except
//! under CI, where it fails).

use super::testing::{failover_detail, mirror_detail, T0};
use super::*;

/// Runs the body twice: `NAME::sqlite` and `NAME::postgres`, with `store`
/// a `&dyn Store` of that backend, empty.
macro_rules! on_both {
    ($name:ident, |$store:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn sqlite() {
                let backend = crate::catalog::sqlite::SqliteStore::memory().expect("memory");
                let $store: &dyn Store = &backend;
                $body
            }

            #[test]
            fn postgres() {
                let Some(server) = crate::catalog::pg_server::TestServer::or_skip(concat!(
                    module_path!(),
                    "::postgres"
                )) else {
                    return;
                };
                let url = server.fresh_database().expect("a database");
                let backend = crate::catalog::postgres::PgStore::connect(&url).expect("connect");
                let $store: &dyn Store = &backend;
                $body
            }
        }
    };
}

fn holder(purpose: &str, pid: u32) -> Holder {
    Holder {
        id: 0,
        host: "host-a".into(),
        pid,
        pid_start: 1000 + u64::from(pid),
        since: T0,
        purpose: purpose.into(),
        heartbeat: T0,
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
fn held(store: &dyn Store) -> Vec<(String, HolderId, u8, bool)> {
    let mut v: Vec<_> = store
        .leases()
        .expect("leases")
        .into_iter()
        .map(|l| (l.resource, l.holder.id, l.stream, l.exclusive))
        .collect();
    v.sort();
    v
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

on_both!(unusable_marks_are_set_replaced_and_cleared, |store| {
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
});

on_both!(register_assigns_ids, |store| {
    let a = store.register(&holder("backup 1", 100)).expect("register");
    let b = store.register(&holder("backup 2", 101)).expect("register");
    assert!(a.id > 0 && b.id > a.id);
    assert_eq!(
        a,
        Holder {
            id: a.id,
            heartbeat: a.heartbeat,
            ..holder("backup 1", 100)
        }
    );
});

on_both!(exclusive_and_shared_claims, |store| {
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
        held(store),
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
});

on_both!(a_claim_takes_all_or_nothing, |store| {
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
    assert_eq!(held(store), [("tape1".to_string(), a.id, 1, true)]);
    assert_eq!(store.lease_history().expect("history"), history);
});

on_both!(an_unusable_resource_is_refused, |store| {
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
    assert!(held(store).is_empty(), "cm0 must not stay taken");
    store.set_unusable("drive1", None).expect("clear");
    store
        .claim(a.id, &[excl("cm0", 0), excl("drive1", 0)])
        .expect("claim");
});

on_both!(the_same_holder_claiming_again, |store| {
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
        held(store),
        [
            ("drive0".to_string(), a.id, 0, true),
            ("sw0".to_string(), a.id, 0, false),
            ("sw0".to_string(), a.id, 1, false),
        ]
    );
});

on_both!(only_registered_holders_claim, |store| {
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
});

on_both!(release_some_or_all_and_the_history_in_order, |store| {
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
    assert!(held(store).is_empty());
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
});

on_both!(reap_releases_the_dead_and_says_so, |store| {
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
        held(store),
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
});

on_both!(reap_with_the_local_judge, |store| {
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
});

on_both!(jobs_are_added_listed_and_run, |store| {
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
});

on_both!(a_backup_from_begin_to_finish, |store| {
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
});

on_both!(a_segment_is_recorded_once, |store| {
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
});

on_both!(missing_backups_and_bad_finishes, |store| {
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
});

on_both!(backups_oldest_first, |store| {
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
});

on_both!(import_keeps_the_id_and_is_harmless_twice, |store| {
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
});

on_both!(import_refuses_inconsistent_maps, |store| {
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
});

on_both!(tapes_in_use_are_the_barcodes_of_kept_segments, |store| {
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
});

on_both!(heartbeats_and_a_holder_reaped_for_want_of_them, |store| {
    let a = store.register(&holder("backup 1", 100)).expect("register");
    assert!(a.heartbeat >= now() - 60, "registering is a heartbeat");
    store.claim(a.id, &[excl("drive0", 0)]).expect("claim");
    store.heartbeat(a.id).expect("beat");
    let beat = store.leases().expect("leases")[0].holder.heartbeat;
    assert!(beat >= a.heartbeat);
    // Judged from another host, 100 s later, with a 30 s limit: dead.
    let later = now() + 100;
    let reaped = store
        .reap(&|h| crate::catalog::process::alive(h, "host-b", later, 30))
        .expect("reap");
    assert_eq!(reaped.len(), 1);
    assert_eq!(
        (reaped[0].0.id, reaped[0].1.clone()),
        (a.id, vec!["drive0".to_string()])
    );
    assert!(store.leases().expect("leases").is_empty());
    // The holder learns it at its next beat, and claims no more.
    match store.heartbeat(a.id) {
        Err(StoreError::Released { holder, how }) => {
            assert_eq!((holder.id, how.as_str()), (a.id, "died"));
        }
        other => panic!("a reaped holder's beat: {other:?}"),
    }
    assert!(store.claim(a.id, &[excl("drive0", 0)]).is_err());
    assert!(matches!(
        store.heartbeat(a.id + 1000),
        Err(StoreError::Invalid(_))
    ));
    // A recent beat is alive from anywhere.
    let b = store.register(&holder("backup 2", 101)).expect("register");
    let none = store
        .reap(&|h| crate::catalog::process::alive(h, "host-b", now(), 30))
        .expect("reap");
    assert!(none.is_empty(), "{none:?}");
    store.unregister(b.id).expect("unregister");
    match store.heartbeat(b.id) {
        Err(StoreError::Released { how, .. }) => assert_eq!(how, "unregistered"),
        other => panic!("an unregistered holder's beat: {other:?}"),
    }
});

on_both!(a_catalog_migrates_whole_into_an_empty_one, |store| {
    let from = crate::catalog::sqlite::SqliteStore::memory().expect("memory");
    // Two jobs, the second the one the sample backup ran for.
    let unused = from.add_job(&job("weekly")).expect("job");
    let nightly = from.add_job(&job("nightly")).expect("job");
    let mut failover = failover_detail();
    failover.backup.job = Some(nightly);
    from.import(&failover).expect("import");
    from.import(&mirror_detail()).expect("import");
    from.job_ran(nightly, Some(7), Some(T0 + 86_400))
        .expect("ran");
    from.set_unusable("drive1", Some("cleaning")).expect("mark");

    let moved = crate::catalog::migrate::migrate(&from, store).expect("migrate");
    assert_eq!(
        (moved.backups, moved.segments, moved.jobs, moved.unusable),
        (
            2,
            failover.segments.len() + mirror_detail().segments.len(),
            2,
            1
        )
    );
    assert_eq!(
        store.catalog_id().expect("id"),
        from.catalog_id().expect("id")
    );
    for id in [7, 8] {
        let (mut a, b) = (
            from.backup(id).expect("from"),
            store.backup(id).expect("to"),
        );
        // The jobs are renumbered; backup 8 (read from a tape) names a job
        // this catalog never had, and that name is not carried over.
        a.backup.job = match a.backup.job {
            Some(j) if j == nightly => b.backup.job,
            _ => None,
        };
        assert_eq!(normalized(&a), normalized(&b), "backup {id}");
    }
    assert_eq!(store.backup(8).expect("8").backup.job, None);
    let jobs = |s: &dyn Store| {
        let mut v: Vec<(String, Option<BackupId>, Option<Timestamp>)> = s
            .jobs()
            .expect("jobs")
            .into_iter()
            .map(|j| (j.name, j.last_backup, j.next_due))
            .collect();
        v.sort();
        v
    };
    assert_eq!(jobs(store), jobs(&from));
    let to_nightly = store
        .jobs()
        .expect("jobs")
        .into_iter()
        .find(|j| j.name == "nightly")
        .expect("nightly")
        .id;
    assert_eq!(store.backup(7).expect("7").backup.job, Some(to_nightly));
    assert_ne!(unused, nightly);
    assert_eq!(
        store.unusable().expect("unusable"),
        from.unusable().expect("unusable")
    );
    // The next backup gets a number after the migrated ones.
    assert!(store.begin_backup(&fresh()).expect("begin") > 8);

    // Not into a catalog that holds something, nor while something runs.
    let e = crate::catalog::migrate::migrate(&from, store).expect_err("not empty");
    assert!(
        e.to_string().contains("migrate into an empty catalog"),
        "{e}"
    );
    let busy = crate::catalog::sqlite::SqliteStore::memory().expect("memory");
    let h = busy.register(&holder("backup 1", 100)).expect("register");
    busy.claim(h.id, &[excl("drive0", 0)]).expect("claim");
    let empty = crate::catalog::sqlite::SqliteStore::memory().expect("memory");
    let e = crate::catalog::migrate::migrate(&busy, &empty).expect_err("running");
    assert!(e.to_string().contains("has resources held"), "{e}");
    assert!(store.set_catalog_id("not hex!").is_err());
});
