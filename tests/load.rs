//! Load: 16 backups and 4 restores started at once over one simulated
//! site of 4 copy managers, 6 drives and 12 tapes, for several rounds,
//! with seeded random faults on the copy managers. Every backup either
//! completes (failing over or not), stops with every stream failed
//! (recorded, and restorable for what it holds), or is refused for lack of
//! resources with the reason; no copy manager, drive or tape is ever held
//! twice (from the lease history); every completed backup restores
//! byte-identical; and the catalog's counts add up. The figures are
//! printed at the end.

mod common;

use std::collections::HashMap;
use std::sync::Mutex;

use common::san::no_resource_held_twice;
use common::scsi::tmp_dir;
use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{BackupStatus, Mode, Store, Target};
use segcopy::demo;
use segcopy::engine::backup::{BackupRequest, LogObserver};
use segcopy::engine::job::{self, JobError, Order};
use segcopy::inventory::Inventory;
use segcopy::restore::{self, RestoreError, RestoreRequest};
use segcopy::select::SelectError;
use segcopy::site::Loaded;
use segcopy::transport::fault::{Effect, Fault, FaultPlan, Trigger};
use segcopy::wire::sense::{SenseData, SenseKey};

const SOURCES: usize = 16;
const RESTORES: usize = 4;
const ROUNDS: u64 = 3;
const KIB: u64 = 1024;
/// Each source: 2 MiB, four segments of 512 KiB.
const DISK: u64 = 2048 * KIB;
const SEGMENT: u64 = 512 * KIB;
const BLOCK: u32 = 512;

/// 4 switches, a copy manager on each, 6 drives spread over them, one
/// library of 12 cartridges, 16 sources and 4 restore targets on every
/// switch; devices in memory.
fn site() -> String {
    let all: Vec<String> = (0..4).map(|i| format!("\"sw{i}\"")).collect();
    let all = all.join(", ");
    let mut s = "[site]\nstate_dir = \"memory\"\n\n".to_string();
    for i in 0..4 {
        s += &format!(
            "[[switch]]\nname = \"sw{i}\"\n\n[[copy_manager]]\nname = \"cm{i}\"\nlinks = [\"sw{i}\"]\n\n"
        );
    }
    for i in 0..6 {
        s += &format!(
            "[[drive]]\nname = \"drive{i}\"\nlinks = [\"sw{}\"]\n\n",
            i % 4
        );
    }
    for i in 0..SOURCES {
        s += &format!("[[disk]]\nname = \"prod{i}\"\ncapacity = {DISK}\nlinks = [{all}]\n\n");
    }
    for i in 0..RESTORES {
        s += &format!("[[disk]]\nname = \"restore{i}\"\ncapacity = {DISK}\nlinks = [{all}]\n\n");
    }
    let drives: Vec<String> = (0..6).map(|i| format!("\"drive{i}\"")).collect();
    let carts: Vec<String> = (1..=12)
        .map(|i| format!("{{ barcode = \"L{i:05}L6\", slot = {i} }}"))
        .collect();
    s += &format!(
        "[[library]]\nname = \"lib0\"\nslots = 12\ndrives = [{}]\ncartridge_capacity = \"256 MiB\"\ncartridges = [{}]\nlinks = [{all}]\n",
        drives.join(", "),
        carts.join(", ")
    );
    s
}

/// Seeded faults: each copy manager's segments and commands fail now and
/// then with COPY ABORTED.
fn faults(round: u64) -> FaultPlan {
    let sense: SenseData = SenseData::fixed(SenseKey::CopyAborted, 0x0d, 0x01).into();
    FaultPlan::new(
        (0..4)
            .map(|i| Fault {
                device: format!("cm{i}"),
                trigger: Trigger::Random {
                    per_million: 40_000,
                    seed: round * 16 + i,
                },
                effect: Effect::Sense(sense.clone()),
                times: None,
            })
            .collect(),
    )
}

#[derive(Default, Debug)]
struct Tally {
    backups_run: u64,
    completed: u64,
    with_failover: u64,
    failovers: u64,
    stopped: u64,
    errored: u64,
    refused: u64,
    restores: u64,
    restores_refused: u64,
    restores_stopped: u64,
}

#[test]
fn sixteen_backups_and_four_restores_at_once() {
    let dir = tmp_dir("load");
    let path = dir.join("site.toml");
    std::fs::write(&path, site()).unwrap();
    let loaded = Loaded::load(&path).unwrap();
    let inventory = Inventory::from_site(&loaded.site);
    let db = dir.join("catalog.sqlite");
    for i in 0..SOURCES {
        let t = loaded.open(&format!("prod{i}")).unwrap();
        demo::fill(t.as_ref(), BLOCK, DISK / u64::from(BLOCK)).unwrap();
    }
    let tally = Mutex::new(Tally::default());
    // Completed backups, by source, for the restores of later rounds.
    let done: Mutex<Vec<(i64, usize)>> = Mutex::new(Vec::new());
    let mut began = 0u64;
    for round in 0..ROUNDS {
        loaded.fabric.fault_plan().replace(faults(round));
        let earlier: Vec<(i64, usize)> = done.lock().unwrap().clone();
        std::thread::scope(|s| {
            for i in 0..SOURCES {
                let (loaded, inventory, db, tally, done) =
                    (&loaded, &inventory, &db, &tally, &done);
                s.spawn(move || {
                    // Each its own connection, as each process has.
                    let store = SqliteStore::open(db).unwrap();
                    let order = Order {
                        request: BackupRequest::new(&format!("prod{i}"), Mode::Failover, SEGMENT),
                        streams: 2,
                        target: Target::Tape,
                        host_movers: false,
                        host_id: None,
                    };
                    let r = job::run(
                        &loaded.site,
                        inventory,
                        loaded,
                        &store,
                        &order,
                        &LogObserver,
                    );
                    let mut t = tally.lock().unwrap();
                    match r {
                        Ok(ran) => {
                            t.backups_run += 1;
                            let o = &ran.outcome;
                            t.failovers += o.failovers.len() as u64;
                            match o.status {
                                BackupStatus::Completed => {
                                    t.completed += 1;
                                    if !o.failovers.is_empty() {
                                        t.with_failover += 1;
                                    }
                                    done.lock().unwrap().push((o.id, i));
                                }
                                BackupStatus::Partial | BackupStatus::Failed => t.stopped += 1,
                                BackupStatus::Running => panic!("backup {} still running", o.id),
                            }
                        }
                        Err(JobError::Select(e @ SelectError::NotEnough { .. })) => {
                            let why = e.to_string();
                            assert!(!why.is_empty() && !why.contains('\n'), "{why}");
                            t.refused += 1;
                        }
                        // Every copy manager secured failed before the
                        // first segment: recorded as failed, with why.
                        Err(JobError::Backup(e)) => {
                            assert!(!e.to_string().contains('\n'), "{e}");
                            t.errored += 1;
                        }
                        Err(e) => panic!("prod{i}: {e}"),
                    }
                });
            }
            for k in 0..RESTORES {
                let Some((id, _)) = earlier.get(k + round as usize).copied() else {
                    continue;
                };
                let (loaded, inventory, db, tally) = (&loaded, &inventory, &db, &tally);
                s.spawn(move || {
                    let store = SqliteStore::open(db).unwrap();
                    let r = restore::run(
                        &loaded.site,
                        inventory,
                        loaded,
                        &store,
                        &RestoreRequest::new(id, &format!("restore{k}")),
                        &LogObserver,
                    );
                    let mut t = tally.lock().unwrap();
                    match r {
                        Ok(_) => t.restores += 1,
                        Err(RestoreError::Select(SelectError::NotEnough { .. })) => {
                            t.restores_refused += 1
                        }
                        Err(e @ RestoreError::NoMover { .. }) => {
                            assert!(!e.to_string().contains('\n'), "{e}");
                            t.restores_stopped += 1
                        }
                        Err(e) => panic!("restore of {id}: {e}"),
                    }
                });
            }
        });
        let store = SqliteStore::open(&db).unwrap();
        assert_eq!(store.leases().unwrap(), [], "round {round}: leases left");
        began = store.backups().unwrap().len() as u64;
    }

    // No resource was ever held twice, over every round.
    let store = SqliteStore::open(&db).unwrap();
    no_resource_held_twice(&store, &inventory);
    // Every completed backup restores byte-identical (faults off).
    loaded
        .fabric
        .fault_plan()
        .replace(FaultPlan::new(Vec::new()));
    let done = done.into_inner().unwrap();
    for (id, src) in &done {
        restore::run(
            &loaded.site,
            &inventory,
            &loaded,
            &store,
            &RestoreRequest::new(*id, "restore0"),
            &LogObserver,
        )
        .unwrap_or_else(|e| panic!("backup {id}: {e}"));
        let a = loaded.open(&format!("prod{src}")).unwrap();
        let b = loaded.open("restore0").unwrap();
        assert_eq!(
            demo::first_difference(a.as_ref(), b.as_ref(), BLOCK, DISK / u64::from(BLOCK)).unwrap(),
            None,
            "backup {id} of prod{src}"
        );
    }
    // The counts add up: every backup that began is in the catalog, with
    // the status it ended with.
    let t = tally.into_inner().unwrap();
    let backups = store.backups().unwrap();
    let by_status = backups.iter().fold(HashMap::new(), |mut m, b| {
        *m.entry(b.status.to_string()).or_insert(0u64) += 1;
        m
    });
    assert_eq!(began, backups.len() as u64);
    assert_eq!(
        by_status.get("completed").copied().unwrap_or(0),
        t.completed,
        "{by_status:?} {t:?}"
    );
    assert_eq!(
        t.backups_run + t.refused + t.errored,
        SOURCES as u64 * ROUNDS,
        "{t:?}"
    );
    // A backup that stopped with an error may have begun (and then it is
    // in the catalog, ended), or not.
    assert!(
        (t.backups_run..=t.backups_run + t.errored).contains(&began),
        "{began} in the catalog: {t:?}"
    );
    for b in &backups {
        let d = store.backup(b.id).unwrap();
        let per_copy = d.segments.len() as u64;
        match b.status {
            BackupStatus::Completed => assert_eq!(per_copy, b.segments),
            BackupStatus::Partial => assert!(per_copy > 0 && per_copy < b.segments),
            BackupStatus::Failed => assert_eq!(per_copy, 0),
            BackupStatus::Running => panic!("backup {} running", b.id),
        }
    }
    eprintln!(
        "{ROUNDS} rounds of {SOURCES} backups and up to {RESTORES} restores at once: {} backups ran ({} completed, {} of them after a failover; {} failovers in all; {} stopped with every stream failed, {} stopped before a segment), {} refused for lack of resources; {} restores completed, {} refused, {} stopped",
        t.backups_run, t.completed, t.with_failover, t.failovers, t.stopped, t.errored, t.refused, t.restores, t.restores_refused, t.restores_stopped
    );
    assert!(t.completed > 0 && t.refused > 0 && t.failovers > 0, "{t:?}");
}
