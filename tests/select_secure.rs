//! Securing a backup's subsystems (the patent's Steps 1020–1070 and
//! 3000–3010): disjoint where the site allows, shared (and said) where it
//! must, all or nothing, over usable routes only.

mod common;
mod select_support;

use segcopy::catalog::{Holder, Store, Target};
use segcopy::inventory::{Inventory, Kind, State};
use segcopy::select::{self, Destination, Mover, Request, SelectError, Subsystem};
use select_support::{both, fixture_site, held, inventory, keep_tape, me, site};

fn tape_request(source: &str, streams: u8) -> Request {
    Request {
        purpose: "backup 1 of prod0".into(),
        source: source.into(),
        streams,
        target: Target::Tape,
        host_movers: false,
    }
}

fn tape(s: &Subsystem) -> (&str, &str, &str, &str) {
    match &s.destination {
        Destination::Tape {
            library,
            drive,
            barcode,
        } => (s.mover.name(), library, drive, barcode),
        d => panic!("not a tape destination: {d:?}"),
    }
}

/// Another holder, registered, holding `resource` exclusively for stream
/// `stream`.
fn other_holds(store: &dyn Store, purpose: &str, resource: &str, stream: u8) -> Holder {
    let h = store.register(&me(purpose)).unwrap();
    store
        .claim(
            h.id,
            &[segcopy::catalog::Claim {
                resource: resource.into(),
                stream,
                exclusive: true,
            }],
        )
        .unwrap();
    h
}

#[test]
fn two_path_gives_two_disjoint_subsystems() {
    both("two_path_gives_two_disjoint_subsystems", |store, _| {
        let inv = inventory(&fixture_site("two-path.toml"));
        let got = select::secure(&inv, store, &me("backup 1"), &tape_request("prod0", 2)).unwrap();
        assert_ne!(got.holder.id, 0, "the holder was registered");
        assert_eq!(got.subsystems.len(), 2);
        assert_eq!(
            tape(&got.subsystems[0]),
            ("cm0", "lib0", "drive0", "SEG001L6")
        );
        assert_eq!(
            tape(&got.subsystems[1]),
            ("cm1", "lib0", "drive1", "SEG002L6")
        );
        assert_eq!(
            got.subsystems[0].route,
            ["cm0--sw0", "sw0", "prod0--sw0", "drive0--sw0"]
        );
        assert_eq!(
            got.subsystems[1].route,
            ["cm1--sw1", "sw1", "prod0--sw1", "drive1--sw1"]
        );
        assert_eq!(got.subsystems[0].members, ["cm0", "prod0", "drive0"]);
        assert_eq!(got.sharing, ["streams 0 and 1 share library lib0"]);

        // The catalog's view: exclusive movers, drives, tapes; shared the rest.
        let id = got.holder.id;
        let leases = held(store);
        for (r, stream, excl) in [
            ("cm0", 0, true),
            ("drive0", 0, true),
            ("SEG001L6", 0, true),
            ("lib0", 0, false),
            ("prod0", 0, false),
            ("sw0", 0, false),
            ("cm0--sw0", 0, false),
            ("cm1", 1, true),
            ("drive1", 1, true),
            ("SEG002L6", 1, true),
            ("lib0", 1, false),
            ("prod0", 1, false),
            ("sw1", 1, false),
        ] {
            assert!(
                leases.contains(&(r.to_string(), id, stream, excl)),
                "{r} stream {stream}: {leases:?}"
            );
        }
        // The inventory shows it: in use, by this holder, with the stream.
        let mut now = inv.clone();
        now.load_state(store).unwrap();
        match &now.get("drive1").unwrap().state {
            State::InUse(l) => assert_eq!((l[0].holder.id, l[0].stream), (id, 1)),
            s => panic!("{s:?}"),
        }
        assert_eq!(now.get("drive0").unwrap().kind, Kind::Drive);

        select::release(&inv, store, &got).unwrap();
        assert!(held(store).is_empty());
    });
}

#[test]
fn three_path_secures_a_third_set() {
    both("three_path_secures_a_third_set", |store, _| {
        let inv = inventory(&fixture_site("three-path.toml"));
        let got = select::secure(&inv, store, &me("backup 2"), &tape_request("prod0", 3)).unwrap();
        let picked: Vec<_> = got.subsystems.iter().map(tape).collect();
        assert_eq!(
            picked,
            [
                ("cm0", "lib0", "drive0", "TRI001L6"),
                ("cm1", "lib0", "drive1", "TRI002L6"),
                ("cm2", "lib1", "drive2", "TRI101L6"),
            ]
        );
        assert_eq!(
            got.subsystems.iter().map(|s| s.stream).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(got.sharing, ["streams 0 and 1 share library lib0"]);
    });
}

#[test]
fn the_same_inventory_gives_the_same_choice() {
    both("the_same_inventory_gives_the_same_choice", |store, _| {
        let inv = inventory(&fixture_site("three-path.toml"));
        let a = select::secure(&inv, store, &me("a"), &tape_request("prod0", 2)).unwrap();
        select::release(&inv, store, &a).unwrap();
        let b = select::secure(&inv, store, &me("b"), &tape_request("prod0", 2)).unwrap();
        assert_eq!(a.subsystems, b.subsystems);
    });
}

const ONE_CM: &str = r#"
[site]
state_dir = "memory"
[[switch]]
name = "sw0"
[[disk]]
name = "prod0"
capacity = "1 MiB"
links = ["sw0"]
[[copy_manager]]
name = "cm0"
links = ["sw0"]
[[drive]]
name = "drive0"
links = ["sw0"]
[[drive]]
name = "drive1"
links = ["sw0"]
[[library]]
name = "lib0"
slots = 4
drives = ["drive0", "drive1"]
cartridges = [{ barcode = "T1", slot = 1 }, { barcode = "T2", slot = 2 }]
"#;

#[test]
fn sharing_when_forced_is_said_and_never_a_drive_or_tape() {
    both(
        "sharing_when_forced_is_said_and_never_a_drive_or_tape",
        |store, _| {
            let inv = inventory(&site(ONE_CM));
            let got =
                select::secure(&inv, store, &me("backup 3"), &tape_request("prod0", 2)).unwrap();
            let picked: Vec<_> = got.subsystems.iter().map(tape).collect();
            assert_eq!(
                picked,
                [
                    ("cm0", "lib0", "drive0", "T1"),
                    ("cm0", "lib0", "drive1", "T2")
                ]
            );
            // An exclusive lease serves one stream: the shared mover is
            // leased to the first, and `sharing` says the rest.
            let cm0: Vec<_> = held(store).into_iter().filter(|l| l.0 == "cm0").collect();
            assert_eq!(cm0, [("cm0".to_string(), got.holder.id, 0, true)]);
            assert_eq!(
                got.sharing,
                [
                    "streams 0 and 1 share copy manager cm0",
                    "streams 0 and 1 share library lib0",
                    "streams 0 and 1 share switch sw0",
                ]
            );
            // A third stream would need a third drive: there is none.
            select::release(&inv, store, &got).unwrap();
            let e = select::secure(&inv, store, &me("backup 4"), &tape_request("prod0", 3))
                .unwrap_err();
            assert_eq!(e.short_of(), Some(Kind::Drive), "{e}");
            assert!(held(store).is_empty());
        },
    );
}

#[test]
fn too_few_tapes_is_a_tape_shortage() {
    both("too_few_tapes_is_a_tape_shortage", |store, _| {
        let text = ONE_CM.replace(", { barcode = \"T2\", slot = 2 }", "");
        let inv = inventory(&site(&text));
        let e = select::secure(&inv, store, &me("b"), &tape_request("prod0", 2)).unwrap_err();
        assert_eq!(e.short_of(), Some(Kind::Tape), "{e}");
        // A tape holding a kept backup is appended to (never overwritten),
        // but only when no empty tape is left: one stream gets the empty
        // T2, two streams get both.
        let inv = inventory(&site(ONE_CM));
        keep_tape(store, 1, "T1");
        let one = select::secure(&inv, store, &me("b"), &tape_request("prod0", 1)).unwrap();
        assert_eq!(tape(&one.subsystems[0]).3, "T2");
        select::release(&inv, store, &one).unwrap();
        let two = select::secure(&inv, store, &me("b"), &tape_request("prod0", 2)).unwrap();
        let mut tapes: Vec<&str> = two.subsystems.iter().map(|s| tape(s).3).collect();
        tapes.sort();
        assert_eq!(tapes, ["T1", "T2"]);
    });
}

#[test]
fn not_enough_names_drives_and_keeps_nothing() {
    both("not_enough_names_drives_and_keeps_nothing", |store, mem| {
        let inv = inventory(&fixture_site("two-path.toml"));
        store
            .set_unusable("drive1", Some("cleaning cartridge stuck"))
            .unwrap();
        let e =
            select::secure(&inv, store, &me("backup 5"), &tape_request("prod0", 2)).unwrap_err();
        match &e {
            SelectError::NotEnough {
                wanted: 2,
                secured: 1,
                short_of: Kind::Drive,
                why,
            } => assert_eq!(
                why,
                "no second usable tape drive (drive1 is unusable: cleaning cartridge stuck)"
            ),
            e => panic!("{e:?}"),
        }
        assert_eq!(
            e.to_string(),
            "only 1 of 2 streams could be secured: no second usable tape drive (drive1 is unusable: cleaning cartridge stuck)"
        );
        assert!(held(store).is_empty(), "nothing stays claimed");
        assert!(
            mem.is_none_or(|m| m.holders().is_empty()),
            "the holder it registered is gone"
        );

        // A drive in use by another backup is named with its holder and stream.
        store.set_unusable("drive1", None).unwrap();
        other_holds(store, "backup 7", "drive1", 0);
        let e =
            select::secure(&inv, store, &me("backup 8"), &tape_request("prod0", 2)).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("no second usable tape drive (drive1 is in use by backup 7 stream 0)"),
            "{e}"
        );
        assert_eq!(held(store).len(), 1, "only the other backup's lease");
    });
}

#[test]
fn an_unusable_switch_cuts_a_route() {
    both("an_unusable_switch_cuts_a_route", |store, _| {
        let inv = inventory(&fixture_site("two-path.toml"));
        store.set_unusable("sw1", Some("firmware update")).unwrap();
        let e = select::secure(&inv, store, &me("b"), &tape_request("prod0", 2)).unwrap_err();
        assert_eq!(e.short_of(), Some(Kind::Switch), "{e}");
        let text = e.to_string();
        assert!(text.contains("sw1 is unusable: firmware update"), "{text}");
        assert!(
            text.contains("no usable route joins cm1 and prod0"),
            "{text}"
        );
        assert!(held(store).is_empty());

        // One stream still goes over sw0; with sw0 cut instead, over sw1.
        let one = select::secure(&inv, store, &me("b"), &tape_request("prod0", 1)).unwrap();
        assert_eq!(tape(&one.subsystems[0]).0, "cm0");
        select::release(&inv, store, &one).unwrap();
        store.set_unusable("sw1", None).unwrap();
        store
            .set_unusable("cm0--sw0", Some("cable pulled"))
            .unwrap();
        let one = select::secure(&inv, store, &me("b"), &tape_request("prod0", 1)).unwrap();
        assert_eq!(tape(&one.subsystems[0]).0, "cm1");
        assert!(one.subsystems[0].route.iter().all(|h| h != "sw0"));
    });
}

/// Two disks that are LIO copy managers (self-only), a plain source, and a
/// stand-alone copy manager that cannot reach the destinations.
const LIO: &str = r#"
[site]
state_dir = "memory"
[[switch]]
name = "sw0"
[[switch]]
name = "island"
[[disk]]
name = "prod0"
capacity = "1 MiB"
links = ["sw0"]
[[disk]]
name = "lunA"
capacity = "1 MiB"
copy_manager = "lio"
links = ["sw0"]
[[real]]
name = "lunB"
path = "/dev/sg7"
copy_manager = "lio"
links = ["sw0"]
[[copy_manager]]
name = "cmX"
links = ["island"]
[[drive]]
name = "drive0"
links = ["sw0"]
[[library]]
name = "lib0"
slots = 2
drives = ["drive0"]
cartridges = [{ barcode = "L1", slot = 1 }]
"#;

fn disk_request(disks: &[&str], streams: u8) -> Request {
    Request {
        purpose: "backup to disk".into(),
        source: "prod0".into(),
        streams,
        target: Target::Disk {
            disks: disks.iter().map(|d| d.to_string()).collect(),
            lba: 2048,
        },
        host_movers: false,
    }
}

#[test]
fn a_self_only_lio_copy_manager_pairs_only_with_its_own_disk() {
    both(
        "a_self_only_lio_copy_manager_pairs_only_with_its_own_disk",
        |store, _| {
            let inv = inventory(&site(LIO));
            assert!(!inv.get("lunB").unwrap().simulated);
            let got =
                select::secure(&inv, store, &me("b"), &disk_request(&["lunB", "lunA"], 2)).unwrap();
            let pairs: Vec<(&str, &Destination)> = got
                .subsystems
                .iter()
                .map(|s| (s.mover.name(), &s.destination))
                .collect();
            assert_eq!(
                pairs,
                [
                    (
                        "lunB",
                        &Destination::Disk {
                            disk: "lunB".into(),
                            lba: 2048
                        }
                    ),
                    (
                        "lunA",
                        &Destination::Disk {
                            disk: "lunA".into(),
                            lba: 2048
                        }
                    ),
                ]
            );
            assert_eq!(got.sharing, ["streams 0 and 1 share switch sw0"]);
            // The destination disk is claimed once, exclusively, for its stream.
            let id = got.holder.id;
            assert!(held(store).contains(&("lunB".into(), id, 0, true)));
            select::release(&inv, store, &got).unwrap();

            // LIO copies disk to disk only: no tape, and cmX reaches nothing.
            let e = select::secure(&inv, store, &me("b"), &tape_request("prod0", 1)).unwrap_err();
            assert_eq!(e.short_of(), Some(Kind::CopyManager), "{e}");
            assert!(
                e.to_string()
                    .contains("lunA copies between disks only, not to or from tape"),
                "{e}"
            );
        },
    );
}

#[test]
fn disk_targets_in_preference_order_and_never_the_source() {
    both(
        "disk_targets_in_preference_order_and_never_the_source",
        |store, _| {
            let inv = inventory(&site(LIO));
            let got = select::secure(&inv, store, &me("b"), &disk_request(&["prod0", "lunA"], 1))
                .unwrap();
            assert_eq!(got.subsystems[0].destination.device(), "lunA");
            select::release(&inv, store, &got).unwrap();
            let e = select::secure(&inv, store, &me("b"), &disk_request(&["prod0", "lunA"], 2))
                .unwrap_err();
            assert_eq!(e.short_of(), Some(Kind::Disk), "{e}");
            assert!(e.to_string().contains("prod0 is the source"), "{e}");
            let e = select::secure(&inv, store, &me("b"), &disk_request(&["nope"], 1)).unwrap_err();
            assert!(
                matches!(&e, SelectError::UnknownResource { name, known } if name == "nope" && known.contains(&"lunA".to_string())),
                "{e}"
            );
            let e =
                select::secure(&inv, store, &me("b"), &disk_request(&["drive0"], 1)).unwrap_err();
            assert_eq!(e.to_string(), "drive0 is a drive, not a disk");
        },
    );
}

#[test]
fn backup_servers_move_data_only_when_allowed() {
    both("backup_servers_move_data_only_when_allowed", |store, _| {
        // ONE_CM with a backup server where the copy manager was.
        let text = ONE_CM.replace(
            "[[copy_manager]]\nname = \"cm0\"",
            "[[backup_server]]\nname = \"host0\"",
        );
        let inv = inventory(&site(&text));
        let e = select::secure(&inv, store, &me("b"), &tape_request("prod0", 2)).unwrap_err();
        assert_eq!(e.short_of(), Some(Kind::CopyManager), "{e}");
        let mut req = tape_request("prod0", 2);
        req.host_movers = true;
        let got = select::secure(&inv, store, &me("b"), &req).unwrap();
        assert_eq!(got.subsystems[0].mover, Mover::BackupServer("host0".into()));
        assert!(got
            .sharing
            .contains(&"streams 0 and 1 share backup server host0".to_string()));
    });
}

#[test]
fn a_bad_request_is_refused_before_anything_is_claimed() {
    both(
        "a_bad_request_is_refused_before_anything_is_claimed",
        |store, mem| {
            let inv = inventory(&fixture_site("two-path.toml"));
            let e = select::secure(&inv, store, &me("b"), &tape_request("prod0", 0)).unwrap_err();
            assert!(matches!(e, SelectError::NoStreams));
            let e = select::secure(&inv, store, &me("b"), &tape_request("sw0", 1)).unwrap_err();
            assert_eq!(e.to_string(), "sw0 is a switch, not a disk");
            store.set_unusable("prod0", Some("failing")).unwrap();
            let e = select::secure(&inv, store, &me("b"), &tape_request("prod0", 1)).unwrap_err();
            assert_eq!(e.short_of(), Some(Kind::Disk), "{e}");
            assert!(held(store).is_empty() && mem.is_none_or(|m| m.holders().is_empty()));
        },
    );
}

#[test]
fn an_inventory_shows_unusable_and_in_use() {
    both("an_inventory_shows_unusable_and_in_use", |store, _| {
        let inv: Inventory = inventory(&fixture_site("two-path.toml"));
        store.set_unusable("SEG004L6", Some("worn")).unwrap();
        let got = select::secure(&inv, store, &me("backup 9"), &tape_request("prod0", 1)).unwrap();
        let mut now = inv.clone();
        now.load_state(store).unwrap();
        assert_eq!(
            now.get("SEG004L6").unwrap().state,
            State::Unusable("worn".into())
        );
        assert_eq!(now.get("SEG001L6").unwrap().state.word(), "in use");
        assert_eq!(now.get("SEG002L6").unwrap().state, State::Usable);
        select::release(&inv, store, &got).unwrap();
    });
}
