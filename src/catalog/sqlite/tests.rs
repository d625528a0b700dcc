//! Tests of [`SqliteStore`] itself: the file (WAL, FULL, 0600), the
//! schema's version, durability across a reopen, and claims racing from
//! several connections (threads) and several processes on one file. What
//! every backend must do is in `catalog/store_tests.rs`, run on SQLite and
//! on PostgreSQL.

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

// ---- leases

// ---- jobs

// ---- backups

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
