//! The fault matrix: every fault kind × where it strikes × which streams
//! it strikes, generated, each scenario a whole backup (and restore) over
//! the simulated SAN with its expected outcome from the rules below, and
//! the same invariants checked after every one (`San::check_invariants`):
//! every resource given back, none ever held twice, the status agreeing
//! with the records, and every recorded segment — restored alone — the
//! source's bytes; a backup that reports success restores byte-identical.
//!
//! The rules (what segcopy must do):
//! - UNIT ATTENTION is retried once on the same stream: success, no
//!   failover, whoever it strikes — at a segment, or at the EXTENDED COPY
//!   that writes a map (every map is then written).
//! - Every other kind at a segment fails that stream over: the next
//!   stream goes on from the failed segment (success); when every stream
//!   secured has failed, the backup stops `partial` (segments before the
//!   first failure are on media) or `failed` (none are), and says where
//!   each stream stopped.
//! - A library that cannot load a stream's cartridge leaves that stream
//!   out before any data moves; the others run. When none can be loaded
//!   nothing begins: no backup is recorded.
//! - Any other fault while the catalog is written on a tape leaves the backup
//!   completed and restorable (the catalog database has every segment),
//!   and the map on that tape reported as not written, with why.
//! - During a restore, a copy manager that fails is left out and another
//!   secured; when every copy manager fails, or the tape cannot be read
//!   or loaded, the restore stops naming the segment, having written only
//!   what it read.

mod common;

use std::fmt;

use common::san::{site_text, San, BLOCK, MIB};
use segcopy::catalog::{BackupStatus, Mode, Store};
use segcopy::engine::backup::BackupError;
use segcopy::engine::job::JobError;
use segcopy::restore::RestoreError;
use segcopy::transport::fault::{Effect, Fault, Trigger};
use segcopy::wire::sense::{SenseData, SenseKey};

/// Segments of a backup (8 MiB in 1 MiB segments).
const SEGMENTS: u64 = 8;
/// Tape blocks per segment (1 MiB in the engine's 256 KiB blocks).
const BLOCKS_PER_SEGMENT: u64 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    CopyAborted,
    MediumError,
    HardwareError,
    NotReady,
    UnitAttention,
    Hang,
    Gone,
    EndOfMedium,
    CannotMove,
}

const KINDS: [Kind; 9] = [
    Kind::CopyAborted,
    Kind::MediumError,
    Kind::HardwareError,
    Kind::NotReady,
    Kind::UnitAttention,
    Kind::Hang,
    Kind::Gone,
    Kind::EndOfMedium,
    Kind::CannotMove,
];

impl Kind {
    /// Whether it strikes a copy manager (else a drive's medium, or the
    /// library).
    fn on_copy_manager(self) -> bool {
        !matches!(
            self,
            Kind::MediumError | Kind::EndOfMedium | Kind::CannotMove
        )
    }

    fn sense(self) -> Option<&'static str> {
        match self {
            Kind::CopyAborted => Some("0a/0d/01"),
            Kind::HardwareError => Some("04/44/00"),
            Kind::NotReady => Some("02/04/03"),
            Kind::UnitAttention => Some("06/29/00"),
            _ => None,
        }
    }

    fn effect(self) -> Effect {
        match self {
            Kind::Hang => Effect::Hang,
            Kind::Gone => Effect::Gone,
            Kind::MediumError => Effect::MediumError,
            Kind::EndOfMedium => Effect::EndOfMedium,
            Kind::CannotMove => Effect::CannotMove,
            k => {
                let s = k.sense().expect("a sense kind");
                let p: Vec<u8> = s
                    .split('/')
                    .map(|x| u8::from_str_radix(x, 16).unwrap())
                    .collect();
                Effect::Sense(SenseData::fixed(SenseKey::from_bits(p[0]), p[1], p[2]).into())
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Where {
    First,
    Middle,
    Last,
    CatalogWrite,
    Restore,
}

const WHERES: [Where; 5] = [
    Where::First,
    Where::Middle,
    Where::Last,
    Where::CatalogWrite,
    Where::Restore,
];

impl Where {
    /// The segment a data fault strikes.
    fn segment(self) -> u64 {
        match self {
            Where::First => 0,
            Where::Middle => 3,
            _ => SEGMENTS - 1,
        }
    }
}

/// Which streams a fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// Stream 0 (failover, two streams).
    Primary,
    /// Stream 1 only (mirror, two streams: in failover mode the standby
    /// never copies unless the primary fails).
    Standby,
    /// Streams 0 and 1 of three: the third set finishes.
    Both,
    /// Every stream of three.
    AllThree,
}

const WHOS: [Who; 4] = [Who::Primary, Who::Standby, Who::Both, Who::AllThree];

impl Who {
    /// The mode that makes the struck streams copy: mirror for a standby
    /// alone, and whenever every stream's map is written (in failover
    /// mode only the streams that wrote data get one).
    fn mode(self, at: Where) -> Mode {
        match (self, at) {
            (Who::Standby, _) | (_, Where::CatalogWrite) => Mode::Mirror,
            _ => Mode::Failover,
        }
    }

    fn streams(self) -> u8 {
        match self {
            Who::Primary | Who::Standby => 2,
            Who::Both | Who::AllThree => 3,
        }
    }

    /// The streams struck.
    fn struck(self) -> Vec<u8> {
        match self {
            Who::Primary => vec![0],
            Who::Standby => vec![1],
            Who::Both => vec![0, 1],
            Who::AllThree => vec![0, 1, 2],
        }
    }
}

/// What must happen.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// The backup completes with these failovers (segment, from, to) and
    /// restores byte-identical.
    Completed {
        failovers: Vec<(u64, u8, Option<u8>)>,
    },
    /// Completed after a retry on the same stream: no failover.
    Retried,
    /// Completed on the streams that could be loaded.
    WithoutStreams(Vec<u8>),
    /// Every stream failed: partial (or failed at segment 0), each stream
    /// stopping where it was struck.
    Stopped { status: BackupStatus },
    /// No stream could be loaded: nothing begins.
    NothingBegins,
    /// Completed, and the maps on these streams' tapes not written.
    MapsNotWritten(Vec<u8>),
    /// Completed without a failover, and every map written.
    MapsWritten,
    /// The restore completes byte-identical despite the fault.
    RestoreCompletes,
    /// The restore stops at this segment, cleanly.
    RestoreStops(u64),
}

struct Scenario {
    kind: Kind,
    at: Where,
    who: Who,
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} at {:?} on {:?}", self.kind, self.at, self.who)
    }
}

impl Scenario {
    /// The expected outcome, or why the combination does not apply.
    fn expect(&self) -> Result<Expect, &'static str> {
        let (kind, at, who) = (self.kind, self.at, self.who);
        let w = at.segment();
        match at {
            Where::Restore => {
                return Ok(match (kind, who) {
                    (Kind::UnitAttention, _) => Expect::RestoreCompletes,
                    (k, Who::AllThree) if k.on_copy_manager() => Expect::RestoreStops(w),
                    (k, _) if k.on_copy_manager() => Expect::RestoreCompletes,
                    // A medium that cannot be read or loaded is the same
                    // whichever stream wrote it: one scenario each. A
                    // cartridge that cannot be loaded stops it before any
                    // segment.
                    (Kind::CannotMove, Who::Primary) => Expect::RestoreStops(0),
                    (_, Who::Primary) => Expect::RestoreStops(w),
                    _ => return Err("a medium fault in a restore strikes the tape, not a stream"),
                });
            }
            Where::CatalogWrite => {
                return match kind {
                    Kind::CannotMove => {
                        Err("the library moves no cartridge while a map is written")
                    }
                    Kind::UnitAttention => Ok(Expect::MapsWritten),
                    _ => Ok(Expect::MapsNotWritten(maps_struck(who))),
                };
            }
            _ => {}
        }
        if kind == Kind::CannotMove {
            if at != Where::First {
                return Err("the library moves cartridges only before the data");
            }
            return Ok(match who {
                Who::AllThree => Expect::NothingBegins,
                w => Expect::WithoutStreams(w.struck()),
            });
        }
        if kind == Kind::UnitAttention {
            return Ok(Expect::Retried);
        }
        Ok(match who {
            Who::Primary => Expect::Completed {
                failovers: vec![(w, 0, Some(1))],
            },
            // Mirror: stream 1 stops at w, stream 0's copy completes.
            Who::Standby => Expect::Completed {
                failovers: vec![(w, 1, None)],
            },
            // The standby is struck at the first segment it copies.
            Who::Both => Expect::Completed {
                failovers: vec![(w, 0, Some(1)), (w, 1, Some(2))],
            },
            Who::AllThree => Expect::Stopped {
                status: if w == 0 {
                    BackupStatus::Failed
                } else {
                    BackupStatus::Partial
                },
            },
        })
    }

    /// The faults for the backup (`Where::Restore`: none) and for the
    /// restore.
    fn faults(&self, setup: Setup) -> (Vec<Fault>, Vec<Fault>) {
        let (kind, at, who) = (self.kind, self.at, self.who);
        let w = at.segment();
        let mut backup = Vec::new();
        let mut restore = Vec::new();
        for s in who.struck() {
            let cm = format!("cm{s}");
            let drive = format!("drive{s}");
            // The first segment a stream copies: the struck one on the
            // primary (and in mirror mode), the first after the failover
            // on a standby that takes over at w (its first descriptor,
            // its first tape blocks).
            let takes_over = who.mode(at) == Mode::Failover && s > 0;
            let nth = if takes_over { 0 } else { w };
            match at {
                Where::Restore => {}
                Where::CatalogWrite => {
                    // The map follows the data and a filemark: the
                    // descriptor after the data's, the block after.
                    // A UNIT ATTENTION answers that EXTENDED COPY itself,
                    // as at a segment.
                    let data_blocks = SEGMENTS * BLOCKS_PER_SEGMENT;
                    backup.push(if kind == Kind::UnitAttention {
                        Fault::once(
                            &cm,
                            Trigger::Command(setup.backup + SEGMENTS + 1),
                            kind.effect(),
                        )
                    } else if kind.on_copy_manager() {
                        Fault::once(&cm, Trigger::Segment(SEGMENTS), kind.effect())
                    } else {
                        Fault::once(&drive, Trigger::TapeBlock(data_blocks + 1), kind.effect())
                    });
                }
                _ if kind == Kind::CannotMove => {
                    // Stream s's cartridge is the library's (s+1)-th move.
                    backup.push(Fault::once(
                        "lib0",
                        Trigger::Command(u64::from(s) + 1),
                        kind.effect(),
                    ));
                }
                // A copy manager's own UNIT ATTENTION answers the EXTENDED
                // COPY itself (a reset, say); the other kinds strike the
                // copy at a segment, as a copy target's failure does.
                Where::First | Where::Middle | Where::Last if kind == Kind::UnitAttention => backup
                    .push(Fault::once(
                        &cm,
                        Trigger::Command(setup.backup + nth + 1),
                        kind.effect(),
                    )),
                _ if kind.on_copy_manager() => {
                    backup.push(Fault::once(&cm, Trigger::Segment(nth), kind.effect()))
                }
                _ => backup.push(Fault::once(
                    &drive,
                    Trigger::TapeBlock(nth * BLOCKS_PER_SEGMENT + 1),
                    kind.effect(),
                )),
            }
        }
        if at == Where::Restore {
            if kind.on_copy_manager() {
                // The copy managers struck: the primary's at the w-th
                // descriptor it gets in the restore, a standby's at the
                // first it gets (the segment it takes over) — or, when all
                // three are struck, the standbys for good, from the first
                // command they get: no mover is left.
                for st in who.struck() {
                    let cm = format!("cm{st}");
                    restore.push(match (who, st) {
                        (_, 0) if kind == Kind::UnitAttention => {
                            Fault::once(&cm, Trigger::Command(setup.restore + w + 1), kind.effect())
                        }
                        (_, 0) => Fault::once(&cm, Trigger::Segment(w), kind.effect()),
                        (Who::AllThree, _) => Fault {
                            device: cm,
                            trigger: Trigger::Always,
                            effect: kind.effect(),
                            times: None,
                        },
                        _ => Fault::once(&cm, Trigger::Segment(0), kind.effect()),
                    });
                }
            } else if kind == Kind::CannotMove {
                let mut f = Fault::once("lib0", Trigger::Always, kind.effect());
                f.times = None;
                restore.push(f);
            } else {
                // The tape cannot be read at segment w, whichever drive
                // reads it (a medium error stays).
                for d in 0..3 {
                    let mut f = Fault::once(
                        &format!("drive{d}"),
                        Trigger::TapeBlock(w * BLOCKS_PER_SEGMENT + 1),
                        kind.effect(),
                    );
                    f.times = None;
                    restore.push(f);
                }
            }
        }
        (backup, restore)
    }
}

/// Commands a copy manager gets before its first EXTENDED COPY, in a
/// backup and in a restore.
#[derive(Debug, Clone, Copy)]
struct Setup {
    backup: u64,
    restore: u64,
}

/// [`Setup`], measured on a clean backup and restore through cm0 (a fault
/// on cm0 that never fires keeps its counters going).
fn setup_commands() -> Setup {
    let san = San::new("matrix-probe", &site_text(3, 6, "", ""));
    // (Paths count only for devices the plan has a fault for.)
    let never = || vec![Fault::once("cm0", Trigger::Command(u64::MAX), Effect::Gone)];
    let plan = san.loaded.fabric.fault_plan();
    san.arm(never());
    let ran = san.backup(&san.order(Mode::Failover, 2)).unwrap();
    let o = &ran.outcome;
    assert!(o.failovers.is_empty());
    // The data's EXTENDED COPY commands, then the map's (inline data).
    assert!(
        o.maps.len() == 1 && o.maps[0].how.as_ref().is_ok_and(|h| h.contains("inline")),
        "{:?}",
        o.maps
    );
    let backup = plan.commands("cm0") - SEGMENTS - 1;
    san.arm(never());
    let r = san.restore_to(o.id, "restore0", 0).unwrap();
    assert!(r.mover_failures.is_empty());
    let restore = plan.commands("cm0") - SEGMENTS;
    Setup { backup, restore }
}

/// The streams whose maps a catalog-write fault strikes.
fn maps_struck(who: Who) -> Vec<u8> {
    who.struck()
}

fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    for kind in KINDS {
        for at in WHERES {
            for who in WHOS {
                v.push(Scenario { kind, at, who });
            }
        }
    }
    v
}

/// Runs one scenario; returns what happened in words, or panics with the
/// scenario's name.
fn run(n: usize, sc: &Scenario, expect: &Expect, setup: Setup) -> String {
    let paths = 3;
    let san = San::new(&format!("matrix-{n}"), &site_text(paths, 6, "", ""));
    let (backup_faults, restore_faults) = sc.faults(setup);
    san.arm(backup_faults);
    let order = san.order(sc.who.mode(sc.at), sc.who.streams());
    let result = san.backup(&order);
    let ran = match (expect, result) {
        (Expect::NothingBegins, Err(JobError::Backup(BackupError::NoStream(why)))) => {
            assert!(
                san.store.backups().unwrap().is_empty(),
                "{sc}: a backup was recorded"
            );
            assert_eq!(san.store.leases().unwrap(), [], "{sc}: leases left");
            assert!(
                why.contains("stream 0") && why.contains("stream 2"),
                "{sc}: {why}"
            );
            return format!("nothing began: {why}");
        }
        (Expect::NothingBegins, r) => panic!(
            "{sc}: expected no stream, got {:?}",
            r.map(|r| r.outcome.status)
        ),
        (_, Err(e)) => panic!("{sc}: the backup failed: {e}"),
        (_, Ok(ran)) => ran,
    };
    let o = &ran.outcome;
    let d = san.detail(o.id);
    // The fault fired (a scenario whose fault never strikes proves
    // nothing): on the first stream it strikes, its device.
    if sc.at != Where::Restore {
        let log = san.loaded.fabric.fault_plan().log();
        let first = sc.who.struck()[0];
        let device = match sc.kind {
            Kind::CannotMove => "lib0".to_string(),
            k if k.on_copy_manager() => format!("cm{first}"),
            _ => format!("drive{first}"),
        };
        assert!(
            log.iter().any(|l| l.starts_with(&format!("{device}:"))),
            "{sc}: the fault on {device} never fired: {log:?}"
        );
    }
    // Every stream ran on its own path: stream s on cm s.
    for s in &d.segments {
        assert_eq!(s.mover_device, format!("cm{}", s.stream), "{sc}");
    }
    let failovers: Vec<(u64, u8, Option<u8>)> = o
        .failovers
        .iter()
        .map(|f| (f.segment, f.from_stream, f.to_stream))
        .collect();
    let words = format!("backup {} {}, failovers {failovers:?}", o.id, o.status);
    match expect {
        Expect::Completed { failovers: want } => {
            assert_eq!(o.status, BackupStatus::Completed, "{sc}");
            assert_eq!(&failovers, want, "{sc}");
            let reason = &o.failovers[0].reason;
            assert!(
                !reason.is_empty() && !reason.contains('\n'),
                "{sc}: {reason}"
            );
        }
        Expect::Retried => {
            assert_eq!(o.status, BackupStatus::Completed, "{sc}");
            assert_eq!(failovers, [], "{sc}");
            assert!(
                d.segments
                    .iter()
                    .all(|s| s.stream == 0 || sc.who.mode(sc.at) == Mode::Mirror),
                "{sc}"
            );
        }
        Expect::WithoutStreams(out) => {
            assert_eq!(o.status, BackupStatus::Completed, "{sc}");
            for s in out {
                assert!(
                    d.segments.iter().all(|r| r.stream != *s),
                    "{sc}: stream {s} wrote"
                );
                let e = d
                    .streams
                    .iter()
                    .find(|e| e.stream == *s)
                    .unwrap_or_else(|| panic!("{sc}: no event for stream {s}"));
                assert!(e.reason.contains("not ready"), "{sc}: {}", e.reason);
            }
        }
        Expect::Stopped { status } => {
            assert_eq!(o.status, *status, "{sc}");
            let w = sc.at.segment();
            let stops: Vec<(u8, Option<u64>)> =
                d.streams.iter().map(|e| (e.stream, e.failed_at)).collect();
            assert_eq!(stops, [(0, Some(w)), (1, Some(w)), (2, Some(w))], "{sc}");
            assert_eq!(
                d.segments.len() as u64,
                w,
                "{sc}: what is on media is recorded"
            );
        }
        Expect::MapsNotWritten(struck) => {
            assert_eq!(o.status, BackupStatus::Completed, "{sc}");
            assert_eq!(
                o.maps.len(),
                usize::from(sc.who.streams()),
                "{sc}: {:?}",
                o.maps
            );
            for m in &o.maps {
                let want_err = struck.contains(&m.stream);
                assert_eq!(
                    m.how.is_err(),
                    want_err,
                    "{sc}: map of stream {}: {:?}",
                    m.stream,
                    m.how
                );
            }
        }
        Expect::MapsWritten => {
            assert_eq!(o.status, BackupStatus::Completed, "{sc}");
            assert_eq!(failovers, [], "{sc}");
            assert_eq!(
                o.maps.len(),
                usize::from(sc.who.streams()),
                "{sc}: {:?}",
                o.maps
            );
            assert!(o.maps.iter().all(|m| m.how.is_ok()), "{sc}: {:?}", o.maps);
            // The map's EXTENDED COPY (the last command) was sent twice.
            for st in sc.who.struck() {
                assert_eq!(
                    san.loaded.fabric.fault_plan().commands(&format!("cm{st}")),
                    setup.backup + SEGMENTS + 2,
                    "{sc}: commands on cm{st}"
                );
            }
        }
        Expect::RestoreCompletes | Expect::RestoreStops(_) => {
            assert_eq!(o.status, BackupStatus::Completed, "{sc}");
        }
        Expect::NothingBegins => unreachable!("returned above"),
    }
    // The invariants, after the backup (a clean restore of what it
    // recorded; the restore faults are armed only after).
    san.arm(Vec::new());
    san.check_invariants(o.id);
    if let Expect::RestoreCompletes | Expect::RestoreStops(_) = expect {
        san.wipe_restore0();
        san.unload_all();
        san.arm(restore_faults);
        let r = san.restore_to(o.id, "restore0", 0);
        let log = san.loaded.fabric.fault_plan().log();
        let device = match sc.kind {
            Kind::CannotMove => "lib0",
            k if k.on_copy_manager() && sc.who == Who::Standby => "cm1",
            k if k.on_copy_manager() => "cm0",
            _ => "drive",
        };
        // A standby's fault fires only if the restore chose it.
        assert!(
            sc.who == Who::Standby || log.iter().any(|l| l.starts_with(device)),
            "{sc}: the restore's fault on {device} never fired: {log:?}"
        );
        san.arm(Vec::new());
        assert_eq!(
            san.store.leases().unwrap(),
            [],
            "{sc}: the restore left leases"
        );
        match (expect, r) {
            (Expect::RestoreCompletes, Ok(_)) => {
                assert_eq!(
                    san.first_difference(0, SEGMENTS * MIB / u64::from(BLOCK)),
                    None,
                    "{sc}"
                );
                return words + ", restore completed";
            }
            (Expect::RestoreStops(w), Err(e)) => {
                let s = e.to_string();
                assert!(!s.contains('\n'), "{sc}: {s}");
                assert!(
                    matches!(e, RestoreError::NoMover { segment, .. } if segment == *w)
                        || s.contains(&format!("segment {w}"))
                        || matches!(e, RestoreError::Media { .. } | RestoreError::Select(_)),
                    "{sc}: {s}"
                );
                // What was restored before the stop is the source's.
                let per = MIB / u64::from(BLOCK);
                assert_eq!(san.first_difference(0, w * per), None, "{sc}");
                return format!("{words}, restore stopped: {s}");
            }
            (_, r) => panic!(
                "{sc}: expected {expect:?}, the restore gave {:?}",
                r.map(|o| o.segments)
            ),
        }
    }
    words
}

#[test]
fn the_fault_matrix() {
    let _ = env_logger::builder().is_test(true).try_init();
    let all = scenarios();
    let mut ran = 0;
    let mut skipped = Vec::new();
    let only = std::env::var("MATRIX_ONLY").ok();
    let setup = setup_commands();
    eprintln!("{setup:?}");
    for (n, sc) in all.iter().enumerate() {
        if only.as_deref().is_some_and(|o| !sc.to_string().contains(o)) {
            continue;
        }
        match sc.expect() {
            Err(why) => skipped.push(format!("{sc}: {why}")),
            Ok(expect) => {
                let words = run(n, sc, &expect, setup);
                eprintln!("{sc}: {expect:?} — {words}");
                ran += 1;
            }
        }
    }
    eprintln!("{ran} scenarios run, {} do not apply:", skipped.len());
    for s in &skipped {
        eprintln!("  {s}");
    }
    if only.is_none() {
        assert!(ran >= 60, "only {ran} scenarios");
    }
}
