//! Hostile devices: a simulated SAN whose devices lie in their answers
//! (`[[fault]]` with `effect = "lie"`, see `segcopy::transport::fault::Lie`)
//! — a length field past the buffer, a granularity exponent of 32, a
//! residual past the transfer, sense past its buffer or shorter than it
//! says, a tape whose READ POSITION goes backwards or disagrees with what
//! was written. segcopy refuses each with one sentence naming the device
//! and what it claimed (exit 97 from the binary), never panics, and never
//! records a segment at a position the drive did not prove.

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::sync::Mutex;

use common::scsi::tmp_dir;
use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{BackupDetail, BackupStatus, Mode, Place, Store, Target};
use segcopy::demo;
use segcopy::engine::backup::{BackupRequest, Event, LogObserver, Observer};
use segcopy::engine::job::{self, Order, Ran};
use segcopy::inventory::Inventory;
use segcopy::restore::{self, RestoreError, RestoreOutcome, RestoreRequest};
use segcopy::site::Loaded;
use segcopy::transport::fault::{Effect, Fault, Lie, Trigger};

const MIB: u64 = 1 << 20;
/// The disk: 8 MiB, eight segments of 1 MiB (four 256 KiB tape blocks
/// each).
const DISK: u64 = 8 * MIB;

/// Two disjoint paths (cmI–swI–driveI), one library with two cartridges,
/// prod0 and restore0 on both switches, and `faults` appended.
fn site_text(faults: &str) -> String {
    let mut s = format!(
        "[site]\nstate_dir = \"state\"\n\n\
         [[disk]]\nname = \"prod0\"\ncapacity = {DISK}\nlinks = [\"sw0\", \"sw1\"]\n\n\
         [[disk]]\nname = \"restore0\"\ncapacity = {DISK}\nlinks = [\"sw0\", \"sw1\"]\n\n"
    );
    for i in 0..2 {
        s += &format!(
            "[[switch]]\nname = \"sw{i}\"\n\n[[copy_manager]]\nname = \"cm{i}\"\nlinks = [\"sw{i}\"]\n\n\
             [[drive]]\nname = \"drive{i}\"\nlinks = [\"sw{i}\"]\n\n"
        );
    }
    s += "[[library]]\nname = \"lib0\"\nslots = 4\ndrives = [\"drive0\", \"drive1\"]\n\
          cartridge_capacity = \"256 MiB\"\n\
          cartridges = [{ barcode = \"T00001L6\", slot = 1 }, { barcode = \"T00002L6\", slot = 2 }]\n\
          links = [\"sw0\", \"sw1\"]\n\n";
    s + faults
}

/// A lie told once by `device` on the `n`-th command it fits.
fn lie(device: &str, n: u64, kind: &str) -> String {
    format!(
        "[[fault]]\ndevice = \"{device}\"\ncommand = {n}\neffect = \"lie\"\nlie = \"{kind}\"\n\n"
    )
}

/// A site file in a fresh directory, its disk prod0 filled with a pattern.
struct San {
    dir: PathBuf,
    loaded: Loaded,
    store: SqliteStore,
    inventory: Inventory,
}

impl San {
    fn new(test: &str, faults: &str) -> San {
        let dir = tmp_dir(test);
        let path = dir.join("site.toml");
        std::fs::write(&path, site_text(faults)).unwrap();
        let loaded = Loaded::load(&path).unwrap();
        let store = SqliteStore::open(&dir.join("catalog.sqlite")).unwrap();
        let inventory = Inventory::from_site(&loaded.site);
        // Filled through the simulator itself: no fault is armed on prod0
        // in the tests that back it up.
        let prod = loaded.fabric.transport("prod0").unwrap();
        demo::fill(prod.inner(), 512, DISK / 512).unwrap();
        San {
            dir,
            loaded,
            store,
            inventory,
        }
    }

    fn backup_with(&self, observer: &dyn Observer) -> Ran {
        let order = Order {
            request: BackupRequest::new("prod0", Mode::Failover, MIB),
            streams: 2,
            target: Target::Tape,
            host_movers: false,
            host_id: None,
        };
        job::run(
            &self.loaded.site,
            &self.inventory,
            &self.loaded,
            &self.store,
            &order,
            observer,
        )
        .unwrap()
    }

    fn backup(&self) -> Ran {
        self.backup_with(&LogObserver)
    }

    fn detail(&self, id: i64) -> BackupDetail {
        self.store.backup(id).unwrap()
    }

    fn restore(&self, id: i64) -> Result<RestoreOutcome, RestoreError> {
        restore::run(
            &self.loaded.site,
            &self.inventory,
            &self.loaded,
            &self.store,
            &RestoreRequest::new(id, "restore0"),
            &LogObserver,
        )
    }

    /// The bytes of a simulated disk.
    fn image(&self, disk: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(format!("state/disks/{disk}.img"))).unwrap()
    }
}

/// Every tape segment of `d`: (index, stream, barcode, first, last,
/// verified).
fn on_tape(d: &BackupDetail) -> Vec<(u64, u8, String, u64, u64, bool)> {
    d.segments
        .iter()
        .map(|s| match &s.place {
            Place::Tape {
                barcode,
                first_block,
                last_block,
                verified,
                ..
            } => (
                s.index,
                s.stream,
                barcode.clone(),
                first_block.expect("a tape segment without a position"),
                last_block.expect("a tape segment without a position"),
                *verified,
            ),
            other => panic!("segment {} is not on tape: {other:?}", s.index),
        })
        .collect()
}

/// Checks that every segment of `d` is where the tapes prove it: each
/// verified by READ POSITION, four blocks long, and one after the other on
/// each tape from where its stream started; and that a restore gives
/// prod0's bytes back.
fn every_position_proved(san: &San, d: &BackupDetail) {
    let segs = on_tape(d);
    assert_eq!(segs.len(), 8, "{segs:?}");
    for (i, (index, _, barcode, first, last, verified)) in segs.iter().enumerate() {
        assert_eq!(*index, i as u64);
        assert!(*verified, "segment {index} on {barcode} is not proved");
        assert_eq!(last - first, 3, "segment {index}: {first}..={last}");
        if let Some(prev) = segs[..i].iter().rev().find(|s| &s.2 == barcode) {
            assert_eq!(*first, prev.4 + 1, "segment {index} follows {}", prev.0);
        } else {
            assert_eq!(*first, 0, "segment {index} is the first on {barcode}");
        }
    }
    san.restore(d.backup.id).unwrap();
    assert_eq!(san.image("restore0"), san.image("prod0"));
}

/// A site file for the binary in a fresh directory (not loaded here: a
/// simulated library serves one process at a time).
fn cli_site(test: &str, faults: &str) -> PathBuf {
    let dir = tmp_dir(test);
    std::fs::write(dir.join("site.toml"), site_text(faults)).unwrap();
    dir
}

fn segcopy(dir: &std::path::Path, args: &[&str]) -> Output {
    common::san::segcopy_in(dir, args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The run failed with exit 97 (the device's answer cannot be used) and
/// one line on stderr, without a panic, saying each of `says`.
fn refused(o: &Output, says: &[&str]) -> String {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(97), "stderr: {e}");
    assert_eq!(e.trim_end().lines().count(), 1, "one sentence: {e}");
    assert!(!e.contains("panicked"), "{e}");
    for s in says {
        assert!(e.contains(s), "{s:?} not in: {e}");
    }
    e
}

/// `segcopy xcopy` of 16 blocks from prod0 to restore0 through cm0.
fn xcopy(dir: &std::path::Path) -> Output {
    segcopy(
        dir,
        &[
            "xcopy", "--from", "prod0", "--to", "restore0", "--blocks", "16", "--via", "cm0",
        ],
    )
}

#[test]
fn operating_parameters_whose_available_data_runs_past_the_buffer_are_refused() {
    // cm0's first command that has a length field: OPERATING PARAMETERS.
    let dir = cli_site("op-length", &lie("cm0", 1, "length"));
    refused(
        &xcopy(&dir),
        &[
            "segcopy: cm0: RECEIVE COPY RESULTS: the device claims 1536 bytes of data in its AVAILABLE DATA while returning ",
            " of the 1024 bytes asked for, which cannot be true; segcopy does not trust its answer",
        ],
    );
}

#[test]
fn a_vpd_page_longer_than_what_came_is_refused() {
    // prod0's first command with a length field: its Device
    // Identification page, asked with 252 bytes.
    let dir = cli_site("vpd-length", &lie("prod0", 1, "length"));
    refused(
        &xcopy(&dir),
        &[
            "segcopy: prod0: INQUIRY (VPD): the device claims 764 bytes of data in its PAGE LENGTH while returning ",
            " of the 252 bytes asked for",
        ],
    );
}

#[test]
fn an_element_status_report_longer_than_what_came_is_refused() {
    let dir = cli_site("res-length", &lie("lib0", 1, "length"));
    refused(
        &segcopy(&dir, &["changer", "lib0", "status"]),
        &[
            "segcopy: lib0: READ ELEMENT STATUS: the device claims 16896 bytes of data in its BYTE COUNT OF REPORT AVAILABLE while returning ",
            " of the 16384 bytes asked for",
        ],
    );
}

#[test]
fn a_granularity_of_2_to_the_32_is_refused_in_every_field() {
    for (kind, field) in [
        ("data-segment-granularity", "DATA SEGMENT GRANULARITY"),
        ("inline-data-granularity", "INLINE DATA GRANULARITY"),
        ("held-data-granularity", "HELD DATA GRANULARITY"),
    ] {
        let dir = cli_site(&format!("granularity-{kind}"), &lie("cm0", 1, kind));
        refused(
            &xcopy(&dir),
            &[&format!(
                "segcopy: cm0: RECEIVE COPY RESULTS: the device claims a {field} of 2^32 bytes (no 32-bit length is a multiple of it)"
            )],
        );
    }
}

#[test]
fn a_backup_leaves_out_a_copy_manager_that_claims_a_granularity_of_2_to_the_32() {
    let san = San::new(
        "granularity-backup",
        &lie("cm0", 1, "data-segment-granularity"),
    );
    let unready = Mutex::new(Vec::new());
    struct Unready<'a>(&'a Mutex<Vec<String>>);
    impl Observer for Unready<'_> {
        fn event(&self, e: &Event) {
            if let Event::StreamUnready { why, .. } = e {
                self.0.lock().unwrap().push(why.clone());
            }
        }
    }
    let ran = san.backup_with(&Unready(&unready));
    assert_eq!(ran.outcome.status, BackupStatus::Completed);
    let why = unready.lock().unwrap().clone();
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(
        why[0].contains(
            "cm0: RECEIVE COPY RESULTS: the device claims a DATA SEGMENT GRANULARITY of 2^32 bytes"
        ),
        "{why:?}"
    );
    // Every segment went the other way, and is where drive1 proved it.
    let d = san.detail(ran.outcome.id);
    assert!(d.segments.iter().all(|s| s.mover_device == "cm1"));
    every_position_proved(&san, &d);
}

#[test]
fn a_residual_larger_than_the_transfer_is_refused() {
    let dir = cli_site("residual", &lie("cm0", 1, "residual"));
    refused(
        &segcopy(&dir, &["inquiry", "cm0"]),
        &["segcopy: cm0: INQUIRY: the device claims a residual of 608 bytes for a 96-byte transfer, which cannot be true"],
    );
}

#[test]
fn sense_whose_additional_sense_length_runs_past_the_sense_buffer_is_refused() {
    let dir = cli_site("sense-length", &lie("cm0", 1, "sense-length"));
    refused(
        &segcopy(&dir, &["inquiry", "cm0"]),
        &["segcopy: cm0: INQUIRY: the device claims an ADDITIONAL SENSE LENGTH of 255 (263 bytes of sense data), past the 252 bytes SPC-4 allows sense data"],
    );
}

#[test]
fn sense_shorter_than_its_own_length_is_refused() {
    // NO SENSE with EOM and VALID, 8 of 18 bytes: a tape's early warning,
    // were it believed.
    let dir = cli_site("sense-short", &lie("cm0", 1, "sense-short"));
    refused(
        &segcopy(&dir, &["inquiry", "cm0"]),
        &["segcopy: cm0: INQUIRY: the device claims an ADDITIONAL SENSE LENGTH of 10 (18 bytes of sense data) while returning 8 bytes of sense"],
    );
}

#[test]
fn more_sense_than_the_sense_buffer_holds_is_refused() {
    let dir = cli_site("sense-overflow", &lie("cm0", 1, "sense-overflow"));
    refused(
        &segcopy(&dir, &["inquiry", "cm0"]),
        &["segcopy: cm0: INQUIRY: the device claims 300 bytes of sense data, more than the 252-byte sense buffer holds"],
    );
}

#[test]
fn a_tape_whose_position_goes_backwards_fails_its_stream_and_records_nothing_there() {
    // drive0's READ POSITIONs: at the end of data (block 0), after
    // segment 0 (block 4), after segment 1 — which says block 3.
    let san = San::new("backwards", &lie("drive0", 3, "position-backwards"));
    let ran = san.backup();
    assert_eq!(ran.outcome.status, BackupStatus::Completed);
    let f = &ran.outcome.failovers;
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (f[0].segment, f[0].from_stream, f[0].to_stream),
        (1, 0, Some(1))
    );
    assert_eq!(
        f[0].reason,
        "drive0: READ POSITION reports block 3 after 4 block(s) were written from block 4: the position went backwards, so segcopy does not trust where the data is"
    );
    let d = san.detail(ran.outcome.id);
    // Segment 0 stays where drive0 proved it; segment 1 is recorded only
    // where drive1 wrote it.
    let segs = on_tape(&d);
    assert_eq!((segs[0].1, segs[0].3, segs[0].4), (0, 0, 3));
    assert!(segs[1..].iter().all(|s| s.1 == 1), "{segs:?}");
    every_position_proved(&san, &d);
}

#[test]
fn the_binary_says_which_drive_went_backwards() {
    let dir = cli_site("backwards-cli", &lie("drive0", 3, "position-backwards"));
    let o = segcopy(&dir, &["backup", "prod0", "--segment-size", "1MiB"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        out.contains("failover at segment 1: stream 0 → stream 1: drive0: READ POSITION reports block 3 after 4 block(s) were written from block 4: the position went backwards"),
        "{out}"
    );
    assert!(!stderr(&o).contains("panicked"));
}

#[test]
fn a_tape_whose_position_disagrees_with_what_was_written_fails_its_stream() {
    // After segment 0 drive0 says block 5, where four blocks from 0 end at 4.
    let san = San::new("ahead", &lie("drive0", 2, "position-ahead"));
    let ran = san.backup();
    assert_eq!(ran.outcome.status, BackupStatus::Completed);
    let f = &ran.outcome.failovers;
    assert_eq!((f[0].segment, f[0].from_stream), (0, 0), "{f:?}");
    assert!(
        f[0].reason.starts_with("drive0: READ POSITION reports block 5 after 4 block(s) were written from block 0, where they end at block 4: the drive disagrees with what was written"),
        "{}",
        f[0].reason
    );
    let d = san.detail(ran.outcome.id);
    assert!(
        d.segments.iter().all(|s| s.stream == 1),
        "nothing on drive0"
    );
    every_position_proved(&san, &d);
}

#[test]
fn a_tape_whose_read_position_answer_cannot_be_true_has_lost_its_position() {
    // Once segment 0 is recorded, drive0's next command — its READ
    // POSITION after segment 1 — claims a residual past its buffer. That
    // is not a drive that cannot tell (whose positions would be computed
    // from there on), but one whose answers cannot be believed.
    let san = San::new("position-lost", "");
    struct Arm<'a>(&'a San);
    impl Observer for Arm<'_> {
        fn event(&self, e: &Event) {
            if let Event::SegmentDone(r) = e {
                if r.index == 0 {
                    self.0.loaded.fabric.fault_plan().add(Fault::once(
                        "drive0",
                        Trigger::Always,
                        Effect::Lie(Lie::Residual),
                    ));
                }
            }
        }
    }
    let ran = san.backup_with(&Arm(&san));
    let f = &ran.outcome.failovers;
    assert_eq!((f[0].segment, f[0].from_stream), (1, 0), "{f:?}");
    assert_eq!(
        f[0].reason,
        "drive0: the drive's position cannot be read, so segcopy cannot prove where the data is: drive0: READ POSITION: the device claims a residual of 532 bytes for a 20-byte transfer, which cannot be true; segcopy does not trust its answer"
    );
    let d = san.detail(ran.outcome.id);
    every_position_proved(&san, &d);
}

#[test]
fn a_restore_does_not_read_where_the_drive_does_not_confirm_locate() {
    let san = San::new("locate", "");
    let ran = san.backup();
    let d = san.detail(ran.outcome.id);
    let barcode = on_tape(&d)[0].2.clone();
    // The restore's drive answers its first READ POSITION from here (after
    // LOCATE to segment 0) one block ahead.
    for drive in ["drive0", "drive1"] {
        san.loaded.fabric.fault_plan().add(Fault::once(
            drive,
            Trigger::Command(1),
            Effect::Lie(Lie::PositionAhead),
        ));
    }
    let e = san.restore(ran.outcome.id).unwrap_err();
    let s = e.to_string();
    assert!(matches!(e, RestoreError::Media { .. }), "{s}");
    assert!(s.contains(&barcode), "{s}");
    assert!(
        s.contains("READ POSITION reports block 1 after LOCATE to block 0: the drive is not where it was sent, so segcopy does not read from it"),
        "{s}"
    );
    assert!(
        san.image("restore0").iter().all(|&b| b == 0),
        "nothing was restored"
    );
}

#[test]
fn every_lie_the_site_parser_knows_is_refused_without_a_panic() {
    // Each lie, told always by the copy manager xcopy goes through: never
    // a panic, never success, one line.
    for kind in Lie::NAMES {
        let fault = format!(
            "[[fault]]\ndevice = \"cm0\"\nalways = true\ntimes = 0\neffect = \"lie\"\nlie = \"{kind}\"\n"
        );
        let dir = cli_site(&format!("always-{kind}"), &fault);
        let o = xcopy(&dir);
        let e = stderr(&o);
        if kind.starts_with("position") {
            // cm0 is no tape: it has no position to lie about.
            assert!(o.status.success(), "{kind}: {e}");
            continue;
        }
        refused(&o, &["cm0"]);
    }
}
