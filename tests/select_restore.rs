//! Securing a restore: a drive of the tape's library with that tape (or
//! the backup's disk), a mover that has not failed yet reaching it and the
//! target, and the target disk.

mod common;
mod select_support;

use segcopy::catalog::Claim;
use segcopy::inventory::Kind;
use segcopy::select::{self, Destination, Mover, RestoreRequest, RestoreSource, SelectError};
use select_support::{both, fixture_site, held, inventory, me, site};

fn from_tape(barcode: &str, exclude: &[&str]) -> RestoreRequest {
    RestoreRequest {
        purpose: "restore 12".into(),
        from: RestoreSource::Tape {
            barcode: barcode.into(),
        },
        target: "restore0".into(),
        exclude_movers: exclude.iter().map(|s| s.to_string()).collect(),
        host_movers: false,
    }
}

#[test]
fn a_tape_restore_gets_a_drive_of_its_library_and_a_mover() {
    both(
        "a_tape_restore_gets_a_drive_of_its_library_and_a_mover",
        |store, _| {
            let inv = inventory(&fixture_site("two-path.toml"));
            let got =
                select::secure_restore(&inv, store, &me("r"), &from_tape("SEG003L6", &[])).unwrap();
            assert_eq!(got.subsystems.len(), 1);
            let s = &got.subsystems[0];
            assert_eq!(s.stream, 0);
            assert_eq!(s.mover, Mover::CopyManager("cm0".into()));
            assert_eq!(
                s.destination,
                Destination::Tape {
                    library: "lib0".into(),
                    drive: "drive0".into(),
                    barcode: "SEG003L6".into()
                }
            );
            assert_eq!(s.members, ["cm0", "drive0", "restore0"]);
            let id = got.holder.id;
            let h = held(store);
            for (r, excl) in [
                ("cm0", true),
                ("drive0", true),
                ("SEG003L6", true),
                ("restore0", true),
                ("lib0", false),
                ("sw0", false),
            ] {
                assert!(h.contains(&(r.to_string(), id, 0, excl)), "{r}: {h:?}");
            }
            select::release(&inv, store, &got).unwrap();
            assert!(held(store).is_empty());

            // cm0 failed: the other path.
            let got =
                select::secure_restore(&inv, store, &me("r"), &from_tape("SEG003L6", &["cm0"]))
                    .unwrap();
            assert_eq!(got.subsystems[0].mover.name(), "cm1");
            assert_eq!(got.subsystems[0].destination.device(), "drive1");
            select::release(&inv, store, &got).unwrap();

            // Both failed: nothing.
            let e = select::secure_restore(
                &inv,
                store,
                &me("r"),
                &from_tape("SEG003L6", &["cm0", "cm1"]),
            )
            .unwrap_err();
            assert_eq!(e.short_of(), Some(Kind::CopyManager), "{e}");
            assert!(e.to_string().contains("cm1 already failed"), "{e}");
        },
    );
}

#[test]
fn a_tape_in_use_or_unknown_cannot_be_restored_from() {
    both(
        "a_tape_in_use_or_unknown_cannot_be_restored_from",
        |store, _| {
            let inv = inventory(&fixture_site("two-path.toml"));
            let other = store.register(&me("backup 7")).unwrap();
            store
                .claim(
                    other.id,
                    &[Claim {
                        resource: "SEG003L6".into(),
                        stream: 1,
                        exclusive: true,
                    }],
                )
                .unwrap();
            let e = select::secure_restore(&inv, store, &me("r"), &from_tape("SEG003L6", &[]))
                .unwrap_err();
            assert_eq!(e.short_of(), Some(Kind::Tape), "{e}");
            assert!(
                e.to_string()
                    .contains("SEG003L6 is in use by backup 7 stream 1"),
                "{e}"
            );
            let e =
                select::secure_restore(&inv, store, &me("r"), &from_tape("NOPE", &[])).unwrap_err();
            assert!(matches!(e, SelectError::UnknownResource { .. }), "{e}");
            assert_eq!(held(store).len(), 1, "only the other holder's lease");
        },
    );
}

#[test]
fn a_disk_restore_with_self_only_copy_managers() {
    both("a_disk_restore_with_self_only_copy_managers", |store, _| {
        let inv = inventory(&site(
            r#"
    [site]
    state_dir = "memory"
    [[switch]]
    name = "sw0"
    [[disk]]
    name = "lunA"
    capacity = "1 MiB"
    copy_manager = "lio"
    links = ["sw0"]
    [[disk]]
    name = "lunB"
    capacity = "1 MiB"
    copy_manager = "lio"
    links = ["sw0"]
    [[disk]]
    name = "plain"
    capacity = "1 MiB"
    links = ["sw0"]
    "#,
        ));
        let req = |from: &str, target: &str, exclude: &[&str]| RestoreRequest {
            purpose: "restore 3".into(),
            from: RestoreSource::Disk { disk: from.into() },
            target: target.into(),
            exclude_movers: exclude.iter().map(|s| s.to_string()).collect(),
            host_movers: false,
        };
        let got = select::secure_restore(&inv, store, &me("r"), &req("lunA", "lunB", &[])).unwrap();
        assert_eq!(got.subsystems[0].mover.name(), "lunA");
        assert_eq!(
            got.subsystems[0].destination,
            Destination::Disk {
                disk: "lunA".into(),
                lba: 0
            }
        );
        let id = got.holder.id;
        assert!(held(store).contains(&("lunB".into(), id, 0, true)));
        select::release(&inv, store, &got).unwrap();
        let got =
            select::secure_restore(&inv, store, &me("r"), &req("lunA", "lunB", &["lunA"])).unwrap();
        assert_eq!(got.subsystems[0].mover.name(), "lunB");
        select::release(&inv, store, &got).unwrap();
        // From plain to lunB: only lunB is an end of that copy.
        let got =
            select::secure_restore(&inv, store, &me("r"), &req("plain", "lunB", &[])).unwrap();
        assert_eq!(got.subsystems[0].mover.name(), "lunB");
        select::release(&inv, store, &got).unwrap();
        let e = select::secure_restore(&inv, store, &me("r"), &req("plain", "lunB", &["lunB"]))
            .unwrap_err();
        assert_eq!(e.short_of(), Some(Kind::CopyManager), "{e}");
        assert!(
            e.to_string()
                .contains("lunA copies only to or from itself, and is neither plain nor lunB"),
            "{e}"
        );
        assert!(held(store).is_empty());
    });
}
