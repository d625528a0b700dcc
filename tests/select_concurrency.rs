//! Securing across concurrent segcopy processes: two backups started at
//! once never get the same drive or tape, and the leases of a holder that
//! died are released by the next run.

mod common;
mod select_support;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use segcopy::catalog::process;
use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{Claim, Holder, Store, Target};
use segcopy::inventory::Inventory;
use segcopy::select::{self, Destination, Request, Secured, SelectError};
use select_support::{both, fixture_site, held, inventory, me, site, MemStore};

fn tape_request(streams: u8) -> Request {
    Request {
        purpose: "racing backup".into(),
        source: "prod0".into(),
        streams,
        target: Target::Tape,
        host_movers: false,
    }
}

/// Four disjoint paths, one library with eight cartridges.
fn four_path() -> String {
    let mut t = String::from(
        "[site]\nstate_dir = \"memory\"\n[[disk]]\nname = \"prod0\"\ncapacity = \"1 MiB\"\nlinks = [\"sw0\", \"sw1\", \"sw2\", \"sw3\"]\n",
    );
    for i in 0..4 {
        t += &format!(
            "[[switch]]\nname = \"sw{i}\"\n[[copy_manager]]\nname = \"cm{i}\"\nlinks = [\"sw{i}\"]\n[[drive]]\nname = \"drive{i}\"\nlinks = [\"sw{i}\"]\n"
        );
    }
    t += "[[library]]\nname = \"lib0\"\nslots = 8\ndrives = [\"drive0\", \"drive1\", \"drive2\", \"drive3\"]\nlinks = [\"sw0\"]\ncartridges = [\n";
    for s in 1..=8 {
        t += &format!("  {{ barcode = \"R{s:03}\", slot = {s} }},\n");
    }
    t + "]\n"
}

fn drives_and_tapes(s: &Secured) -> Vec<(String, String)> {
    s.subsystems
        .iter()
        .map(|x| match &x.destination {
            Destination::Tape { drive, barcode, .. } => (drive.clone(), barcode.clone()),
            d => panic!("{d:?}"),
        })
        .collect()
}

/// Three handles on one store: the in-memory one thrice, or three
/// SQLite connections to one file (as three processes would have).
fn handles(test: &str) -> Vec<[Arc<dyn Store>; 3]> {
    let mem: Arc<dyn Store> = Arc::new(MemStore::new());
    let file = common::scsi::tmp_dir(test).join("catalog.sqlite");
    let sql = || -> Arc<dyn Store> { Arc::new(SqliteStore::open(&file).unwrap()) };
    vec![
        [Arc::clone(&mem), Arc::clone(&mem), mem],
        [sql(), sql(), sql()],
    ]
}

/// Runs two `secure` calls at once from two threads, each on its own
/// store handle.
fn race(
    inv: &Arc<Inventory>,
    stores: &[Arc<dyn Store>; 3],
    streams: u8,
) -> Vec<Result<Secured, SelectError>> {
    let barrier = Arc::new(Barrier::new(2));
    let threads: Vec<_> = (0..2)
        .map(|i| {
            let (inv, store, barrier) = (
                Arc::clone(inv),
                Arc::clone(&stores[i]),
                Arc::clone(&barrier),
            );
            std::thread::spawn(move || {
                let holder = me(&format!("backup {i}"));
                barrier.wait();
                select::secure(&inv, store.as_ref(), &holder, &tape_request(streams))
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn two_backups_at_once_never_share_a_drive_or_tape() {
    let inv = Arc::new(inventory(&site(&four_path())));
    for stores in handles("race-four") {
        let store = stores[2].as_ref();
        eprintln!("on {}", store.location());
        for round in 0..25 {
            let got = race(&inv, &stores, 2);
            let mut drives = HashSet::new();
            let mut tapes = HashSet::new();
            for r in &got {
                let s = r.as_ref().unwrap_or_else(|e| panic!("round {round}: {e}"));
                for (d, t) in drives_and_tapes(s) {
                    assert!(drives.insert(d.clone()), "round {round}: {d} twice");
                    assert!(tapes.insert(t.clone()), "round {round}: {t} twice");
                }
            }
            assert_eq!(drives.len(), 4);
            for s in got.into_iter().flatten() {
                select::release(&inv, store, &s).unwrap();
                store.unregister(s.holder.id).unwrap();
            }
            assert!(held(store).is_empty());
        }
    }
}

#[test]
fn when_only_one_fits_the_other_gets_nothing() {
    let inv = Arc::new(inventory(&fixture_site("two-path.toml")));
    for stores in handles("race-two") {
        let store = stores[2].as_ref();
        eprintln!("on {}", store.location());
        for round in 0..10 {
            let got = race(&inv, &stores, 2);
            let won: Vec<&Secured> = got.iter().filter_map(|r| r.as_ref().ok()).collect();
            assert_eq!(won.len(), 1, "round {round}: {got:?}");
            for r in &got {
                if let Err(e) = r {
                    assert!(
                        matches!(
                            e,
                            SelectError::NotEnough { .. } | SelectError::Contended { .. }
                        ),
                        "{e}"
                    );
                }
            }
            let winner = won[0].holder.id;
            assert!(
                held(store).iter().all(|(_, h, _, _)| *h == winner),
                "only the winner holds anything"
            );
            select::release(&inv, store, won[0]).unwrap();
            store.unregister(winner).unwrap();
        }
    }
}

#[test]
fn a_race_lost_at_claim_time_is_planned_again() {
    // The in-memory store can stage the race exactly: the other process
    // claims drive0 between this one's plan and its claim.
    let inv = inventory(&fixture_site("two-path.toml"));
    let store = MemStore::new();
    let thief = store.register(&me("backup 6")).unwrap();
    store.ambush(
        thief.id,
        vec![Claim {
            resource: "drive0".into(),
            stream: 0,
            exclusive: true,
        }],
    );
    let got = select::secure(&inv, &store, &me("backup 7"), &tape_request(1)).unwrap();
    assert_eq!(store.refused(), 1, "the first claim lost the race");
    assert_eq!(
        drives_and_tapes(&got),
        [("drive1".to_string(), "SEG001L6".to_string())]
    );
}

/// A holder whose process has exited: a child that was started and
/// killed.
fn dead_holder(host: &str) -> Holder {
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let pid = child.id();
    let start = process::start_time(pid).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    Holder {
        id: 0,
        host: host.to_string(),
        pid,
        pid_start: start,
        since: 0,
        purpose: "backup 3".into(),
        heartbeat: 0,
    }
}

#[test]
fn a_dead_holders_leases_are_reaped_on_the_next_run() {
    both("a_dead_holders_leases_are_reaped", |store, mem| {
        let inv = inventory(&fixture_site("two-path.toml"));
        let here = process::host_name(None);
        let dead = store.register(&dead_holder(&here)).unwrap();
        let elsewhere = store.register(&dead_holder("another-host")).unwrap();
        let claim = |r: &str| Claim {
            resource: r.into(),
            stream: 0,
            exclusive: true,
        };
        store
            .claim(dead.id, &[claim("cm0"), claim("drive0"), claim("SEG001L6")])
            .unwrap();
        // A holder on another host cannot be checked from here: it is
        // judged by its heartbeat, and it registered (beat) just now.
        store.claim(elsewhere.id, &[claim("SEG004L6")]).unwrap();
        assert!(!process::local_alive(&dead, &here));
        assert!(process::local_alive(&elsewhere, &here));

        let got = select::secure(&inv, store, &me("backup 4"), &tape_request(2)).unwrap();
        assert_eq!(
            drives_and_tapes(&got),
            [
                ("drive0".to_string(), "SEG001L6".to_string()),
                ("drive1".to_string(), "SEG002L6".to_string())
            ]
        );
        if let Some(m) = mem {
            let holders: Vec<i64> = m.holders().iter().map(|h| h.id).collect();
            assert!(!holders.contains(&dead.id), "the dead holder is gone");
            assert!(holders.contains(&elsewhere.id));
        }
        let history = store.lease_history().unwrap();
        assert!(history
            .iter()
            .any(|e| e.holder == dead.id && !e.taken && e.note.as_deref() == Some("holder died")));
        assert!(held(store).contains(&("SEG004L6".into(), elsewhere.id, 0, true)));
    });
}
