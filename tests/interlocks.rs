//! The interlocks that protect data: a tape is written over only when the
//! catalog and the tape's own maps say nothing on it is kept — or with
//! `--force`, and then the catalog forgets what it held before the first
//! write; a tape of another catalog, or with data and no map, is
//! protected too; a new catalog is readable by its owner only; hooks run
//! without a shell.

mod common;

use common::san::{site_text, San};
use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{BackupStatus, Mode, Store};
use segcopy::engine::overwrite::{self, OverwriteError};
use segcopy::transport::tape::{BlockMode, Tape};

const T1: &str = "T00001L6";

/// A backup of prod0 on T1 in drive0 (one stream), kept `retention`.
fn backed_up(test: &str, retention: Option<i64>) -> (San, i64) {
    let san = San::new(test, &site_text(2, 2, "", ""));
    let mut order = san.order(Mode::Failover, 1);
    order.request.retention = retention;
    let ran = san.backup(&order).unwrap();
    assert_eq!(ran.outcome.status, BackupStatus::Completed);
    let d = san.detail(ran.outcome.id);
    assert!(d.segments.iter().all(|s| matches!(&s.place,
        segcopy::catalog::Place::Tape { barcode, drive, .. } if barcode == T1 && drive == "drive0")));
    (san, ran.outcome.id)
}

fn protected(e: OverwriteError) -> String {
    match e {
        OverwriteError::Protected { .. } => e.to_string(),
        e => panic!("expected the tape protected, got: {e}"),
    }
}

#[test]
fn a_tape_the_catalog_retains_is_not_written_over_without_force() {
    let (san, id) = backed_up("interlock-retained", None);
    let drive = san.loaded.open("drive0").unwrap();
    let e = overwrite::prepare(&san.store, drive.as_ref(), Some(T1), false, "a test").unwrap_err();
    let s = protected(e);
    assert!(
        s.contains("retains backups with segments on T00001L6") && s.contains("--force"),
        "{s}"
    );
    // Without the barcode, the tape's own map says whose it is.
    let e = overwrite::prepare(&san.store, drive.as_ref(), None, false, "a test").unwrap_err();
    assert!(
        protected(e).contains("retains backups"),
        "nothing forgotten yet"
    );
    assert_eq!(san.detail(id).segments.len(), 8);
    // With --force: the catalog forgets the tape's segments first.
    overwrite::prepare(&san.store, drive.as_ref(), Some(T1), true, "a test").unwrap();
    let d = san.detail(id);
    assert!(d.segments.is_empty());
    assert_eq!(d.backup.status, BackupStatus::Failed);
    let last = d.streams.last().unwrap();
    assert!(
        last.reason.contains("T00001L6 was written over (a test)"),
        "{}",
        last.reason
    );
    assert!(!san.store.tapes_in_use().unwrap().contains(&T1.to_string()));
}

#[test]
fn a_tape_whose_backups_expired_may_be_written_over() {
    // Kept 0 seconds: expired as soon as it began.
    let (san, id) = backed_up("interlock-expired", Some(0));
    assert!(san.store.tapes_in_use().unwrap().is_empty());
    let drive = san.loaded.open("drive0").unwrap();
    overwrite::prepare(&san.store, drive.as_ref(), Some(T1), false, "recycled").unwrap();
    assert!(
        san.detail(id).segments.is_empty(),
        "the catalog forgot the tape"
    );
}

#[test]
fn a_tape_of_another_catalog_is_protected_by_its_own_map() {
    let (san, _) = backed_up("interlock-foreign", Some(0));
    // Expired in its own catalog, but this is another one: its map names
    // a catalog that is not this one.
    let other = SqliteStore::open(&san.dir.join("other.sqlite")).unwrap();
    let drive = san.loaded.open("drive0").unwrap();
    let e = overwrite::prepare(&other, drive.as_ref(), Some(T1), false, "a test").unwrap_err();
    let s = protected(e);
    assert!(s.contains("of another catalog"), "{s}");
    assert!(s.contains(&san.store.catalog_id().unwrap()), "{s}");
}

#[test]
fn data_without_a_map_is_protected_and_a_blank_tape_is_not() {
    let san = San::new("interlock-unknown", &site_text(2, 2, "", ""));
    let lib = san.loaded.open("lib0").unwrap();
    segcopy::engine::media::load(lib.as_ref(), 0, T1).unwrap();
    let drive = san.loaded.open("drive0").unwrap();
    segcopy::engine::media::wait_ready(drive.as_ref(), T1).unwrap();
    // Blank: nothing to protect.
    overwrite::prepare(&san.store, drive.as_ref(), Some(T1), false, "a test").unwrap();
    let tape = Tape::new(drive.as_ref());
    tape.rewind().unwrap();
    tape.write(&[0x5a; 4096], BlockMode::Variable).unwrap();
    tape.write_filemarks(1).unwrap();
    let e = overwrite::prepare(&san.store, drive.as_ref(), Some(T1), false, "a test").unwrap_err();
    let s = protected(e);
    assert!(s.contains("no segcopy map"), "{s}");
    overwrite::prepare(&san.store, drive.as_ref(), Some(T1), true, "a test").unwrap();
}

#[test]
fn the_tape_command_does_not_write_where_data_follow_without_force() {
    let (san, id) = backed_up("interlock-tape-cli", None);
    let site = san.dir.join("site.toml");
    let catalog = format!("sqlite:{}", san.dir.join("catalog.sqlite").display());
    drop(san);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_segcopy"))
            .arg("--site")
            .arg(&site)
            .arg("--catalog")
            .arg(&catalog)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["tape", "drive0", "rewind"]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = run(&["tape", "drive0", "weof"]);
    assert_eq!(code, 7, "{err}");
    assert!(
        err.contains("must not be written over") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let store =
        SqliteStore::open(std::path::Path::new(catalog.trim_start_matches("sqlite:"))).unwrap();
    assert_eq!(
        store.backup(id).unwrap().segments.len(),
        8,
        "nothing forgotten"
    );
    // At the end of data nothing follows: writing there is fine.
    let (code, err) = run(&["tape", "drive0", "eod"]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = run(&["tape", "drive0", "weof"]);
    assert_eq!(code, 0, "{err}");
    // --force writes over, and the catalog forgot the tape first.
    let (code, err) = run(&["tape", "drive0", "rewind"]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = run(&["tape", "drive0", "weof", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(store.backup(id).unwrap().segments.is_empty());
}
