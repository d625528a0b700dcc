//! `segcopy backup DISK[@LBA] …`: one backup of a site's disk — secure the
//! streams, copy segment by segment (failing over, or mirroring), record
//! every segment, write the catalog on each tape, give everything back.

use segcopy::catalog::job::{parse_retention, parse_source, parse_target};
use segcopy::catalog::{BackupDetail, BackupStatus, Mode, Place};
use segcopy::engine::backup::{BackupError, BackupRequest};
use segcopy::engine::job::{self, JobError, Order, Ran};
use segcopy::engine::mover::Timeouts;
use segcopy::inventory::Inventory;
use segcopy::select::SelectError;
use serde::Serialize;

use super::progress::{place_words, Progress};
use super::{exit, out, out_json, store, Failed};

/// Failover or mirror, on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ModeArg {
    /// Stream 0 copies; at a failed segment the next stream goes on from it.
    Failover,
    /// Every stream copies the whole object; one complete copy suffices.
    Mirror,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Failover => Mode::Failover,
            ModeArg::Mirror => Mode::Mirror,
        }
    }
}

/// Arguments of `backup`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to back up: a disk of the site, from an LBA (0 if none).
    #[arg(value_name = "DISK[@LBA]", required_unless_present = "resume")]
    source: Option<String>,
    /// Go on with backup ID, whose process died or that stopped partial:
    /// from each copy's first segment not recorded, on streams secured
    /// anew. Its source, range, mode and segment size come from the
    /// catalog.
    #[arg(long, value_name = "ID", conflicts_with_all = ["source", "blocks", "mode", "segment_size", "verify", "retain"])]
    resume: Option<i64>,
    /// How many blocks (default: to the end of the disk).
    #[arg(long, value_name = "N")]
    blocks: Option<u64>,
    /// Failover (one stream at a time) or mirror (all at once).
    #[arg(long, value_enum)]
    mode: Option<ModeArg>,
    /// Segment size: the unit of failover and of the catalog [default: 8MiB].
    #[arg(long, value_name = "SIZE")]
    segment_size: Option<String>,
    /// How long the backup is kept (30d, 12w), from its start: until then
    /// no tape holding it is written over without --force [default: for
    /// good].
    #[arg(long, value_name = "DURATION", value_parser = parse_retention)]
    retain: Option<i64>,
    /// How many subsystems (copy manager, drive, tape, route) to secure.
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(1..=8))]
    streams: u8,
    /// Where to: tapes the selector picks, or disks in preference order.
    #[arg(long, value_name = "tape|disk:D1,D2[@LBA]", default_value = "tape")]
    to: String,
    /// Read each segment back through this host and record its CRC32C.
    #[arg(long)]
    verify: bool,
    /// Let backup servers (hosts copying through themselves) move data.
    #[arg(long)]
    host_movers: bool,
    /// The largest tape block (the engine picks a power of two up to this
    /// that divides every segment).
    #[arg(long, value_name = "SIZE", default_value = "256KiB")]
    tape_block: String,
    /// Time-out of an EXTENDED COPY: 30 s plus its bytes at this rate.
    #[arg(long, value_name = "SIZE/s", default_value = "4MiB")]
    min_rate: String,
    /// This host's name in the catalog's leases (default: the host name).
    #[arg(long, value_name = "NAME")]
    host_id: Option<String>,
    /// Print the outcome as JSON (progress stays on stderr).
    #[arg(long)]
    json: bool,
}

/// One segment in the outcome.
#[derive(Debug, Serialize)]
pub struct SegmentOut {
    index: u64,
    copy: u8,
    stream: u8,
    source_lba: u64,
    blocks: u64,
    mover: String,
    via: String,
    tape: Option<String>,
    first_block: Option<u64>,
    last_block: Option<u64>,
    positions_verified: Option<bool>,
    disk: Option<String>,
    lba: Option<u64>,
    crc32c: Option<String>,
}

/// The outcome, as JSON.
#[derive(Debug, Serialize)]
pub struct Outcome {
    backup: i64,
    status: BackupStatus,
    mode: Mode,
    segments_total: u64,
    failovers: Vec<segcopy::engine::backup::Failover>,
    segments: Vec<SegmentOut>,
    maps: Vec<segcopy::engine::backup::MapWritten>,
    sharing: Vec<String>,
    /// How long securing the streams took, in ms, and in how many claims.
    secure_ms: u128,
    secure_attempts: u32,
}

/// The outcome of a run, for JSON; `d` is the backup as the catalog
/// holds it ([`segcopy::catalog::Store::backup`]).
pub fn outcome(ran: &Ran, d: &BackupDetail) -> Outcome {
    Outcome {
        backup: ran.outcome.id,
        status: ran.outcome.status,
        mode: d.backup.mode,
        segments_total: d.backup.segments,
        failovers: ran.outcome.failovers.clone(),
        segments: d
            .segments
            .iter()
            .map(|s| {
                let (tape, first, last, verified, disk, lba) = match &s.place {
                    Place::Tape {
                        barcode,
                        first_block,
                        last_block,
                        verified,
                        ..
                    } => (
                        Some(barcode.clone()),
                        *first_block,
                        *last_block,
                        Some(*verified),
                        None,
                        None,
                    ),
                    Place::Disk { disk, lba, .. } => {
                        (None, None, None, None, Some(disk.clone()), Some(*lba))
                    }
                };
                SegmentOut {
                    index: s.index,
                    copy: s.copy,
                    stream: s.stream,
                    source_lba: s.source_lba,
                    blocks: s.blocks,
                    mover: s.mover.to_string(),
                    via: s.mover_device.clone(),
                    tape,
                    first_block: first,
                    last_block: last,
                    positions_verified: verified,
                    disk,
                    lba,
                    crc32c: s.crc32c.map(|c| format!("{c:08x}")),
                }
            })
            .collect(),
        maps: ran.outcome.maps.clone(),
        sharing: ran.secured.sharing.clone(),
        secure_ms: ran.secured.took.as_millis(),
        secure_attempts: ran.secured.attempts,
    }
}

/// The order `backup` was given, checked.
fn order(a: &Args) -> Result<Order, Failed> {
    let bad = |m: String| Failed::new(exit::SYNTAX, m);
    let (source, lba) = match &a.source {
        Some(s) => parse_source(s).map_err(|e| bad(e.to_string()))?,
        // --resume: the catalog gives the source (job::resume).
        None => (String::new(), 0),
    };
    let retention = a.retain;
    let target = parse_target(&a.to).map_err(|e| bad(e.to_string()))?;
    let size = |flag: &str, s: &str| {
        segcopy::units::parse_size(s).map_err(|e| bad(format!("{flag}: {e}")))
    };
    let segment_bytes = size(
        "--segment-size",
        a.segment_size.as_deref().unwrap_or("8MiB"),
    )?;
    let tape_block = size("--tape-block", &a.tape_block)?;
    let max_tape_block = u32::try_from(tape_block)
        .ok()
        .filter(|b| *b >= 512)
        .ok_or_else(|| bad("--tape-block must be 512 bytes to 4 GiB".into()))?;
    let min_rate = size("--min-rate", &a.min_rate)?;
    if min_rate == 0 {
        return Err(bad("--min-rate must be more than 0".into()));
    }
    Ok(Order {
        request: BackupRequest {
            source,
            lba,
            blocks: a.blocks,
            mode: a.mode.unwrap_or(ModeArg::Failover).into(),
            segment_bytes,
            verify: a.verify,
            job: None,
            max_tape_block,
            timeouts: Timeouts {
                min_rate,
                ..Timeouts::default()
            },
            retention,
        },
        streams: a.streams,
        target,
        host_movers: a.host_movers,
        host_id: a.host_id.clone(),
    })
}

/// A failed run in words, with its exit code.
pub fn job_failed(e: JobError) -> Failed {
    let code = match &e {
        JobError::PreBackup { .. } => exit::INCOMPLETE,
        JobError::Select(SelectError::NotEnough { .. }) => exit::NO_RESOURCES,
        JobError::Select(SelectError::UnknownResource { .. } | SelectError::WrongKind { .. }) => {
            exit::SYNTAX
        }
        JobError::Select(SelectError::Contended { .. }) => exit::BUSY,
        JobError::Select(_) => exit::OTHER,
        JobError::Backup(BackupError::Request(_))
        | JobError::Backup(BackupError::Granularity { .. })
        | JobError::Backup(BackupError::Destination(_)) => exit::SYNTAX,
        JobError::Backup(BackupError::Source { .. }) => exit::FILE_ERROR,
        JobError::Backup(BackupError::Resume { .. }) => exit::SYNTAX,
        JobError::Backup(BackupError::Store(e)) => store::code(e),
        JobError::Backup(BackupError::Fatal { error, .. }) => {
            error.error.scsi().map_or(exit::OTHER, exit::for_scsi)
        }
        JobError::Backup(_) => exit::INCOMPLETE,
    };
    Failed::new(code, e.to_string())
}

/// The exit code for a backup that ran: 0 if completed.
pub fn status_code(s: BackupStatus) -> u8 {
    match s {
        BackupStatus::Completed => exit::OK,
        _ => exit::INCOMPLETE,
    }
}

/// Runs `backup`.
pub fn run(a: Args, catalog: Option<&str>) -> Result<(), Failed> {
    let Some(loaded) = super::site::get() else {
        return Err(Failed::new(
            exit::SYNTAX,
            "segcopy backup needs --site FILE: the streams are secured from the site's resources",
        ));
    };
    let order = order(&a)?;
    let store = store::open(catalog)?;
    let inventory = Inventory::from_site(&loaded.site);
    let progress = Progress::new(false, !a.json);
    let result = match a.resume {
        None => job::run(
            &loaded.site,
            &inventory,
            loaded,
            store.as_ref(),
            &order,
            &progress,
        ),
        Some(id) => job::resume(
            &loaded.site,
            &inventory,
            loaded,
            store.as_ref(),
            id,
            &order,
            &progress,
        ),
    };
    progress.finish();
    let ran = result.map_err(job_failed)?;
    let d = store.backup(ran.outcome.id).map_err(store::failed)?;
    if a.json {
        out_json(&outcome(&ran, &d))?;
    } else {
        out(&summary(&ran, &d));
    }
    match status_code(ran.outcome.status) {
        exit::OK => Ok(()),
        code => Err(Failed::new(
            code,
            format!(
                "backup {} is {}: every stream stopped before the last segment (see `segcopy catalog show {}`)",
                ran.outcome.id, ran.outcome.status, ran.outcome.id
            ),
        )),
    }
}

/// The outcome in words; `d` is the backup as the catalog holds it
/// ([`segcopy::catalog::Store::backup`]).
pub fn summary(ran: &Ran, d: &BackupDetail) -> String {
    let o = &ran.outcome;
    let mut s = format!(
        "backup {}: {} ({} mode), {} of {} segments of {} bytes, object {}@{}+{} blocks\n",
        o.id,
        o.status,
        d.backup.mode,
        d.segments
            .iter()
            .filter(|x| x.copy == d.backup.preferred_copy.unwrap_or(0))
            .count(),
        d.backup.segments,
        d.backup.segment_bytes,
        d.backup.object.source,
        d.backup.object.lba,
        d.backup.object.blocks
    );
    let n = ran.secured.subsystems.len();
    s += &format!(
        "  secured {n} stream{} in {} ms ({} claim{})\n",
        if n == 1 { "" } else { "s" },
        ran.secured.took.as_millis(),
        ran.secured.attempts,
        if ran.secured.attempts == 1 { "" } else { "s" }
    );
    for f in &o.failovers {
        s += &match (d.backup.mode, f.to_stream) {
            (Mode::Mirror, _) => format!(
                "  stream {} stopped at segment {} (the other streams went on): {}\n",
                f.from_stream, f.segment, f.reason
            ),
            (Mode::Failover, Some(t)) => format!(
                "  failover at segment {}: stream {} → stream {t}: {}\n",
                f.segment, f.from_stream, f.reason
            ),
            (Mode::Failover, None) => format!(
                "  stream {} failed at segment {} and no stream was left: {}\n",
                f.from_stream, f.segment, f.reason
            ),
        };
    }
    // Runs of consecutive segments on one medium.
    let mut runs: Vec<(u8, u64, u64, String)> = Vec::new();
    for seg in &d.segments {
        let w = match &seg.place {
            Place::Tape { barcode, .. } => format!("tape {barcode}"),
            Place::Disk { disk, .. } => format!("disk {disk}"),
        };
        match runs.last_mut() {
            Some((c, _, last, where_))
                if *c == seg.copy && *where_ == w && *last + 1 == seg.index =>
            {
                *last = seg.index
            }
            _ => runs.push((seg.copy, seg.index, seg.index, w)),
        }
    }
    for (copy, first, last, w) in runs {
        let copy = if d.backup.mode == Mode::Mirror {
            format!("copy {copy}: ")
        } else {
            String::new()
        };
        s += &format!("  {copy}segments {first}-{last} on {w}\n");
    }
    if let Some(first) = d.segments.first() {
        s += &format!(
            "  segment {} is at {}\n",
            first.index,
            place_words(&first.place)
        );
    }
    s
}
