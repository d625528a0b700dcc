//! The engine over the simulated SAN: failover at the first, a middle and
//! the last segment; a standby that fails too (a third set, and every
//! stream failed); mirror with one stream failing; segments of several
//! commands; two backups competing for one site; restores across two and
//! three tapes, compared byte for byte; the catalog rebuilt from tapes
//! alone; and bad input, one sentence each.

mod common;

use common::san::{fault, layout, no_resource_held_twice, site_text, tapes_of, San, DISK, MIB};
use common::scsi::tmp_dir;
use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{BackupStatus, Mode, Place, Store, Target};
use segcopy::demo;
use segcopy::engine::backup::{BackupError, BackupRequest, LogObserver};
use segcopy::engine::job::{self, JobError, Order, Ran};
use segcopy::engine::segments::SpanError;
use segcopy::inventory::Inventory;
use segcopy::restore::{self, RestoreError, RestoreRequest};
use segcopy::select::SelectError;
use segcopy::site::Loaded;

#[test]
fn failover_at_the_first_a_middle_and_the_last_segment() {
    for k in [0u64, 3, 7] {
        let san = San::new(
            &format!("failover-{k}"),
            &site_text(2, 2, "", &fault("cm0", k)),
        );
        let ran = san.backup(&san.order(Mode::Failover, 2)).unwrap();
        let o = &ran.outcome;
        let d = san.detail(o.id);
        assert_eq!(o.status, BackupStatus::Completed, "fault at {k}");
        assert_eq!(o.failovers.len(), 1);
        let f = &o.failovers[0];
        assert_eq!((f.segment, f.from_stream, f.to_stream), (k, 0, Some(1)));
        assert!(f.reason.contains("COPY ABORTED"), "{}", f.reason);
        let l = layout(&d, 0);
        assert_eq!(l.len(), 8);
        for (i, stream, _) in &l {
            assert_eq!(
                *stream,
                u8::from(*i >= k),
                "segment {i} with a fault at {k}"
            );
        }
        // Two tapes (one when the primary wrote nothing), and the standby's
        // segments start at its first block.
        let standby: Vec<_> = d.segments.iter().filter(|s| s.stream == 1).collect();
        let Place::Tape {
            first_block,
            verified,
            ..
        } = &standby[0].place
        else {
            panic!()
        };
        assert_eq!((*first_block, *verified), (Some(0), true));
        assert_eq!(tapes_of(&d).len(), if k == 0 { 1 } else { 2 });
        let r = san.restore_identical(o.id);
        assert_eq!(r.segments, 8);
        // The catalog on each tape that holds segments.
        assert!(o.maps.iter().all(|m| m.how.is_ok()), "{:?}", o.maps);
    }
}

#[test]
fn a_standby_that_fails_too_hands_over_to_a_third_set() {
    // cm1's second descriptor is the backup's segment 3.
    let extra = fault("cm0", 2) + &fault("cm1", 1);
    let san = San::new("third-set", &site_text(3, 3, "", &extra));
    let ran = san.backup(&san.order(Mode::Failover, 3)).unwrap();
    let o = &ran.outcome;
    let d = san.detail(o.id);
    assert_eq!(o.status, BackupStatus::Completed);
    let f: Vec<_> = o
        .failovers
        .iter()
        .map(|f| (f.segment, f.from_stream, f.to_stream))
        .collect();
    assert_eq!(f, [(2, 0, Some(1)), (3, 1, Some(2))]);
    let l = layout(&d, 0);
    let streams: Vec<u8> = l.iter().map(|x| x.1).collect();
    assert_eq!(streams, [0, 0, 1, 2, 2, 2, 2, 2]);
    // Restore across three tapes.
    assert_eq!(tapes_of(&d).len(), 3);
    let r = san.restore_identical(o.id);
    assert_eq!(r.media.len(), 3);
}

#[test]
fn every_stream_failed_is_partial_and_says_where_each_stopped() {
    let extra = fault("cm0", 2) + &fault("cm1", 1);
    let san = San::new("all-failed", &site_text(2, 2, "", &extra));
    let ran = san.backup(&san.order(Mode::Failover, 2)).unwrap();
    let o = &ran.outcome;
    let d = san.detail(o.id);
    assert_eq!(o.status, BackupStatus::Partial);
    assert_eq!(o.failovers.last().unwrap().to_stream, None);
    let stops: Vec<_> = d
        .streams
        .iter()
        .map(|e| (e.stream, e.failed_at, e.segments_done))
        .collect();
    assert_eq!(stops, [(0, Some(2), 2), (1, Some(3), 1)]);
    assert_eq!(layout(&d, 0).len(), 3, "what is on tape is recorded");
    // A partial backup is not restored as a whole.
    let e = san.restore_to(o.id, "restore0", 0).unwrap_err();
    assert!(matches!(e, RestoreError::NotRestorable { .. }), "{e}");
    assert!(e.to_string().contains("no segment 3"), "{e}");
}

#[test]
fn mirror_succeeds_when_one_stream_fails() {
    let san = San::new("mirror", &site_text(2, 2, "", &fault("cm0", 3)));
    let ran = san.backup(&san.order(Mode::Mirror, 2)).unwrap();
    let o = &ran.outcome;
    let d = san.detail(o.id);
    assert_eq!(o.status, BackupStatus::Completed);
    assert_eq!(d.backup.preferred_copy, Some(1));
    assert_eq!(layout(&d, 0).len(), 3, "copy 0 stopped at segment 3");
    assert_eq!(layout(&d, 1).len(), 8, "copy 1 is whole");
    let r = san.restore_identical(o.id);
    assert_eq!(r.copy, 1);
    // Without a fault both copies complete, the first one preferred.
    let san = San::new("mirror-both", &site_text(2, 2, "", ""));
    let ran = san.backup(&san.order(Mode::Mirror, 2)).unwrap();
    let d = san.detail(ran.outcome.id);
    assert_eq!(layout(&d, 0).len(), 8);
    assert_eq!(layout(&d, 1).len(), 8);
    assert!(d.backup.preferred_copy.is_some());
}

#[test]
fn a_segment_of_several_commands_is_redone_whole_on_the_standby() {
    // 256 KiB per descriptor, one descriptor per command: a 1 MiB segment
    // takes four commands. Descriptor 6 is segment 1's third command.
    let limits =
        "[copy_manager.limits]\nmax_segment_descriptors = 1\nmax_segment_length = \"256 KiB\"";
    let san = San::new("commands", &site_text(2, 2, limits, &fault("cm0", 6)));
    let ran = san.backup(&san.order(Mode::Failover, 2)).unwrap();
    let o = &ran.outcome;
    let d = san.detail(o.id);
    assert_eq!(o.status, BackupStatus::Completed);
    assert_eq!(o.failovers[0].segment, 1);
    assert!(
        o.failovers[0].reason.contains("COPY ABORTED"),
        "{}",
        o.failovers[0].reason
    );
    let l = layout(&d, 0);
    assert_eq!(l[0].1, 0);
    assert!(l[1..].iter().all(|x| x.1 == 1), "{l:?}");
    // Segment 1 starts at the standby tape's first block: its two commands
    // that went through cm0 are not counted on any tape the catalog names.
    let s1 = d.segments.iter().find(|s| s.index == 1).unwrap();
    let Place::Tape {
        first_block,
        last_block,
        ..
    } = &s1.place
    else {
        panic!()
    };
    assert_eq!((*first_block, *last_block), (Some(0), Some(3)));
    san.restore_identical(o.id);
}

#[test]
fn the_tape_block_is_no_larger_than_the_copy_manager_s_stream_transfer() {
    // A copy manager that takes stream transfers of at most 256 KiB: asked
    // for 8 MiB tape blocks with 4 MiB segments, the engine uses 256 KiB
    // (it used 4 MiB, and the copy manager refused every segment).
    let limits = "[copy_manager.limits]\nmax_stream_device_transfer_size = \"256 KiB\"";
    let san = San::new("stream-max", &site_text(1, 1, limits, ""));
    let mut order = san.order(Mode::Failover, 1);
    order.request = BackupRequest::new("prod0", Mode::Failover, 4 * MIB);
    order.request.max_tape_block = 8 << 20;
    let ran = san.backup(&order).unwrap();
    assert_eq!(ran.outcome.status, BackupStatus::Completed);
    let d = san.detail(ran.outcome.id);
    for s in &d.segments {
        let Place::Tape { block_length, .. } = &s.place else {
            panic!("{s:?}")
        };
        assert_eq!(*block_length, 256 << 10);
    }
    san.restore_identical(ran.outcome.id);
}

#[test]
fn the_catalog_rebuilt_from_tapes_alone_equals_the_original() {
    let extra = fault("cm0", 2) + &fault("cm1", 1);
    let san = San::new("rebuild", &site_text(3, 3, "", &extra));
    let ran = san.backup(&san.order(Mode::Failover, 3)).unwrap();
    let id = ran.outcome.id;
    // A second backup on the same tapes (appended after the first's map).
    let ran2 = san.backup(&san.order(Mode::Failover, 2)).unwrap();
    let fresh = SqliteStore::open(&san.dir.join("rebuilt.sqlite")).unwrap();
    let tapes: Vec<String> = (1..=3).map(|i| format!("T{i:05}L6")).collect();
    let r = restore::rebuild::from_tapes(&san.loaded.site, &san.loaded, &fresh, "drive0", &tapes)
        .unwrap();
    assert_eq!(r.backups, [id, ran2.outcome.id]);
    for b in [id, ran2.outcome.id] {
        assert_eq!(fresh.backup(b).unwrap(), san.store.backup(b).unwrap());
    }
    assert_eq!(fresh.backups().unwrap(), san.store.backups().unwrap());
}

#[test]
fn two_backups_at_once_never_share_a_drive_or_a_tape() {
    // Each backup has its own simulated devices (memory state) but both
    // secure from one catalog file: 3 paths, 2 streams each.
    let dir = tmp_dir("concurrent");
    let text = site_text(3, 4, "", "").replace("state_dir = \"state\"", "state_dir = \"memory\"");
    let path = dir.join("site.toml");
    std::fs::write(&path, &text).unwrap();
    let db = dir.join("catalog.sqlite");
    let run = |_: usize| {
        let loaded = Loaded::load(&path).unwrap();
        let prod = loaded.open("prod0").unwrap();
        demo::fill(prod.as_ref(), 512, DISK / 512).unwrap();
        let store = SqliteStore::open(&db).unwrap();
        let inv = Inventory::from_site(&loaded.site);
        let order = Order {
            request: BackupRequest::new("prod0", Mode::Failover, MIB),
            streams: 2,
            target: Target::Tape,
            host_movers: false,
            host_id: None,
        };
        job::run(&loaded.site, &inv, &loaded, &store, &order, &LogObserver)
    };
    let results: Vec<Result<Ran, JobError>> = std::thread::scope(|s| {
        let h: Vec<_> = (0..2).map(|i| s.spawn(move || run(i))).collect();
        h.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut completed = 0;
    for r in &results {
        match r {
            Ok(ran) => {
                assert_eq!(ran.outcome.status, BackupStatus::Completed);
                completed += 1;
            }
            // The loser may find too few free resources: then it says so.
            Err(JobError::Select(SelectError::NotEnough { .. })) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(completed > 0);
    // The lease history never has a copy manager, drive or tape held by
    // two holders at once.
    let site = Loaded::load(&path).unwrap().site;
    no_resource_held_twice(
        &SqliteStore::open(&db).unwrap(),
        &Inventory::from_site(&site),
    );
}

#[test]
fn bad_input_is_one_sentence_each() {
    let san = San::new("bad-input", &site_text(2, 2, "", ""));
    let backup_err = |o: &Order| match san.backup(o) {
        Err(e) => e,
        Ok(r) => panic!("backup {} ran", r.outcome.id),
    };
    let one_sentence = |e: &dyn std::fmt::Display| {
        let s = e.to_string();
        assert!(!s.contains('\n') && s.len() < 400, "{s}");
        s
    };
    let mut o = san.order(Mode::Failover, 2);
    o.request.segment_bytes = 0;
    let e = backup_err(&o);
    assert!(
        matches!(e, JobError::Backup(BackupError::Request(SpanError::Zero))),
        "{e}"
    );
    o.request.segment_bytes = 1000;
    let e = backup_err(&o);
    assert!(one_sentence(&e).contains("not a whole number"), "{e}");
    let mut o = san.order(Mode::Failover, 2);
    o.request.lba = DISK / 512 - 8;
    o.request.blocks = Some(16);
    let e = backup_err(&o);
    assert!(one_sentence(&e).contains("go past its end"), "{e}");
    let mut o = san.order(Mode::Failover, 2);
    o.request.source = "nope".into();
    let e = backup_err(&o);
    let s = one_sentence(&e);
    assert!(s.contains("nope") && s.contains("prod0"), "{s}");
    // A destination disk too small.
    let mut o = san.order(Mode::Failover, 1);
    o.target = Target::Disk {
        disks: vec!["small0".into()],
        lba: 0,
    };
    let e = backup_err(&o);
    assert!(one_sentence(&e).contains("too small"), "{e}");
    // No backup 99; a restore target that overlaps the backup's source.
    let e = san.restore_to(99, "restore0", 0).unwrap_err();
    assert!(one_sentence(&e).contains("no backup 99"), "{e}");
    let mut o = san.order(Mode::Failover, 2);
    o.request.blocks = Some(4096);
    let ran = san.backup(&o).unwrap();
    let e = san.restore_to(ran.outcome.id, "prod0", 100).unwrap_err();
    assert!(
        one_sentence(&e).contains("overlaps the backup's own source"),
        "{e}"
    );
    // Beyond its end, prod0 is a fine target.
    san.restore_to(ran.outcome.id, "prod0", 8192).unwrap();
    let ran = san.backup(&san.order(Mode::Failover, 2)).unwrap();
    let e = san.restore_to(ran.outcome.id, "small0", 0).unwrap_err();
    assert!(one_sentence(&e).contains("too small"), "{e}");
}

#[test]
fn a_segment_size_under_the_copy_manager_s_granularity_is_refused() {
    let limits = "[copy_manager.limits]\ndata_segment_granularity = \"64 KiB\"";
    let san = San::new("granularity", &site_text(2, 2, limits, ""));
    let mut o = san.order(Mode::Failover, 2);
    o.request.segment_bytes = 32 << 10;
    let e = san.backup(&o).unwrap_err();
    assert!(
        matches!(e, JobError::Backup(BackupError::Granularity { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("granularity (65536 bytes)"), "{e}");
    // Nothing stays secured after a refusal.
    assert!(san.store.leases().unwrap().is_empty());
}

#[test]
fn verify_records_checksums_and_restore_verify_checks_them() {
    let san = San::new("verify", &site_text(2, 2, "", &fault("cm0", 4)));
    let mut o = san.order(Mode::Failover, 2);
    o.request.verify = true;
    let ran = san.backup(&o).unwrap();
    assert!(san
        .detail(ran.outcome.id)
        .segments
        .iter()
        .all(|s| s.crc32c.is_some()));
    let r = restore::run(
        &san.loaded.site,
        &san.inventory,
        &san.loaded,
        &san.store,
        &RestoreRequest {
            verify: true,
            ..RestoreRequest::new(ran.outcome.id, "restore0")
        },
        &LogObserver,
    )
    .unwrap();
    assert_eq!(r.verified, 8);
}
