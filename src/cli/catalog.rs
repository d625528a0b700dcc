//! `segcopy catalog list|show|rebuild|migrate`: the backups the catalog keeps,
//! where every segment of one of them is, and the catalog read back from
//! tapes alone.

use std::collections::BTreeSet;

use segcopy::catalog::{
    format_time, Backup, BackupDetail, BackupId, BackupStatus, Mode, Place, SegmentRecord, Store,
};
use serde::Serialize;

use super::store::{self, render, size, table};
use super::{out, Failed};

/// Arguments of `catalog`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// One line per backup: id, status, object, mode, segments, start and
    /// end (UTC), tapes.
    List {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the catalog from tapes alone: read the map every backup
    /// left on its tapes (after a filemark behind its data) and import it.
    Rebuild {
        /// The drive to read the tapes in (a drive of the site's library).
        #[arg(long, value_name = "DRIVE")]
        from_tape: String,
        /// Load these tapes into the drive one after the other (default:
        /// read the tape already in it).
        #[arg(long = "tape", value_name = "BARCODE")]
        tapes: Vec<String>,
        /// Print what was imported as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Move this catalog (--from, default the one --catalog or the site
    /// names) into another, empty one (--to): every backup under its own
    /// number, the jobs, the unusable marks and the catalog's identity,
    /// then check the copy. Nothing may be running through it.
    Migrate {
        /// The catalog to move (sqlite:PATH or postgres://…).
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// The empty catalog to move it into.
        #[arg(long, value_name = "URL")]
        to: String,
        /// Print what was moved as JSON.
        #[arg(long)]
        json: bool,
    },
    /// One backup: what each stream did, and where each segment is.
    Show {
        /// The backup's number (see `segcopy catalog list`).
        backup: BackupId,
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `catalog`, on the catalog `url` names (the default one if `None`).
pub fn run(a: Args, url: Option<&str>) -> Result<(), Failed> {
    if let Sub::Migrate { from, to, json } = &a.command {
        return migrate(from.as_deref().or(url), to, *json);
    }
    let store = store::open(url)?;
    match a.command {
        Sub::List { json } => list(store.as_ref(), json),
        Sub::Show { backup, json } => show(store.as_ref(), backup, json),
        Sub::Rebuild {
            from_tape,
            tapes,
            json,
        } => rebuild(store.as_ref(), &from_tape, &tapes, json),
        Sub::Migrate { .. } => unreachable!("handled above"),
    }
}

fn migrate(from: Option<&str>, to: &str, json: bool) -> Result<(), Failed> {
    let source = store::open(from)?;
    let target = store::open(Some(to))?;
    if source.location() == target.location() {
        return Err(Failed::new(
            super::exit::SYNTAX,
            format!(
                "--from and --to are both {}: give another catalog to move it into",
                source.location()
            ),
        ));
    }
    // Holders whose process is gone (on this host), or that stopped
    // beating (elsewhere), hold nothing any more: as securing does.
    let limit = super::site::get().map_or(segcopy::catalog::heartbeat::LIMIT, |l| {
        segcopy::inventory::Inventory::from_site(&l.site).lease_limit()
    });
    segcopy::catalog::process::reap_dead(
        source.as_ref(),
        &segcopy::catalog::process::host_name(None),
        limit,
    )
    .map_err(store::failed)?;
    let moved = segcopy::catalog::migrate::migrate(source.as_ref(), target.as_ref())
        .map_err(store::failed)?;
    if json {
        return super::out_json(&moved);
    }
    out(&format!(
        "moved {} backup(s) ({} segment records, {} stream events), {} job(s) and {} unusable mark(s) \
         from {} to {}; every backup reads back the same and the counts agree; the catalog's identity {} goes with it\n",
        moved.backups,
        moved.segments,
        moved.stream_events,
        moved.jobs,
        moved.unusable,
        source.location(),
        target.location(),
        moved.catalog_id
    ));
    Ok(())
}

fn rebuild(store: &dyn Store, drive: &str, tapes: &[String], json: bool) -> Result<(), Failed> {
    let Some(loaded) = super::site::get() else {
        return Err(Failed::new(
            super::exit::SYNTAX,
            "segcopy catalog rebuild needs --site FILE: the drive and its library come from the site",
        ));
    };
    let r = segcopy::restore::rebuild::from_tapes(&loaded.site, loaded, store, drive, tapes)
        .map_err(|e| Failed::new(super::exit::OTHER, e.to_string()))?;
    if json {
        return super::out_json(&r);
    }
    out(&format!(
        "read {} map(s); the catalog {} now has backup(s) {}\n",
        r.maps,
        store.location(),
        r.backups
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(())
}

/// A backup in `catalog list --json`.
#[derive(Serialize)]
struct Listed {
    #[serde(flatten)]
    backup: Backup,
    /// Segments with at least one record, of `segments`.
    segments_recorded: u64,
    tapes: Vec<String>,
}

/// A backup in `catalog show --json`.
#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    detail: &'a BackupDetail,
    tapes: Vec<String>,
}

/// The barcodes a backup's segments are on, in order of name.
fn tapes(segments: &[SegmentRecord]) -> Vec<String> {
    let set: BTreeSet<&str> = segments
        .iter()
        .filter_map(|s| match &s.place {
            Place::Tape { barcode, .. } => Some(barcode.as_str()),
            Place::Disk { .. } => None,
        })
        .collect();
    set.into_iter().map(str::to_string).collect()
}

/// How many segment indexes have a record in any copy.
fn recorded(segments: &[SegmentRecord]) -> u64 {
    segments
        .iter()
        .map(|s| s.index)
        .collect::<BTreeSet<_>>()
        .len() as u64
}

fn object(b: &Backup) -> String {
    format!("{}@{}+{}", b.object.source, b.object.lba, b.object.blocks)
}

fn list(store: &dyn Store, json: bool) -> Result<(), Failed> {
    let mut rows = Vec::new();
    for b in store.backups().map_err(store::failed)? {
        let d = store.backup(b.id).map_err(store::failed)?;
        rows.push(Listed {
            segments_recorded: recorded(&d.segments),
            tapes: tapes(&d.segments),
            backup: d.backup,
        });
    }
    if json {
        out(&format!("{}\n", to_json(&rows)?));
        return Ok(());
    }
    if rows.is_empty() {
        out(&format!("No backups in {}.\n", store.location()));
        return Ok(());
    }
    let mut t = table(&[
        "ID", "STATUS", "OBJECT", "MODE", "SEGMENTS", "STARTED", "ENDED", "TAPES",
    ]);
    for r in &rows {
        let b = &r.backup;
        t.add_row(vec![
            b.id.to_string(),
            b.status.to_string(),
            object(b),
            b.mode.to_string(),
            format!("{}/{}", r.segments_recorded, b.segments),
            format_time(b.started),
            b.ended.map_or_else(|| "-".to_string(), format_time),
            if r.tapes.is_empty() {
                "-".to_string()
            } else {
                r.tapes.join(",")
            },
        ]);
    }
    out(&render(&t));
    Ok(())
}

fn to_json<T: Serialize>(v: &T) -> Result<String, Failed> {
    serde_json::to_string_pretty(v).map_err(|e| {
        Failed::new(
            super::exit::OTHER,
            format!("the catalog could not be written as JSON: {e}"),
        )
    })
}

/// What became of stream `stream`: its last event, or why it has none.
fn fate(d: &BackupDetail, stream: u8) -> String {
    match d.streams.iter().rev().find(|e| e.stream == stream) {
        Some(e) => match e.failed_at {
            Some(k) => format!(
                "failed at segment {k} ({} written): {}",
                e.segments_done, e.reason
            ),
            None => format!("completed ({} segments written)", e.segments_done),
        },
        None if d.backup.status == BackupStatus::Running => "running or standing by".into(),
        None if d.backup.mode == Mode::Failover => "not used (standby)".into(),
        None => "no record".into(),
    }
}

/// Where a segment is, in words.
fn place(p: &Place) -> String {
    match p {
        Place::Tape {
            barcode,
            first_block,
            last_block,
            verified,
            drive,
            ..
        } => match (first_block, last_block) {
            (Some(f), Some(l)) => format!(
                "{barcode} blocks {f}-{l} ({}, {drive})",
                if *verified { "verified" } else { "computed" }
            ),
            _ => format!("{barcode} position unknown (the drive does not report it; {drive})"),
        },
        Place::Disk { disk, lba, .. } => format!("{disk}@{lba}"),
    }
}

pub(crate) fn show(store: &dyn Store, id: BackupId, json: bool) -> Result<(), Failed> {
    let d = store.backup(id).map_err(store::failed)?;
    let tapes = tapes(&d.segments);
    if json {
        out(&format!("{}\n", to_json(&Shown { detail: &d, tapes })?));
        return Ok(());
    }
    let b = &d.backup;
    let mut s = format!(
        "backup {}: {}, {} of {} ({} blocks of {} bytes, {})\n",
        b.id,
        b.status,
        b.mode,
        object(b),
        b.object.blocks,
        b.object.block_length,
        size(b.object.bytes()),
    );
    s.push_str(&format!("  source designator: {}\n", b.object.designator));
    s.push_str(&format!(
        "  {} segments of {}, {} streams{}{}\n",
        b.segments,
        size(b.segment_bytes),
        b.streams,
        b.job.map_or_else(String::new, |j| format!(", job {j}")),
        if b.verified {
            ", read back and checked (CRC32C)"
        } else {
            ""
        },
    ));
    s.push_str(&format!(
        "  started {}, ended {}\n",
        format_time(b.started),
        b.ended.map_or_else(|| "-".to_string(), format_time)
    ));
    if let Some(c) = b.preferred_copy {
        s.push_str(&format!("  restore uses copy {c}\n"));
    }
    s.push_str(&format!(
        "  tapes: {}\n",
        if tapes.is_empty() {
            "-".to_string()
        } else {
            tapes.join(", ")
        }
    ));
    s.push_str("streams:\n");
    for stream in 0..b.streams {
        s.push_str(&format!("  {stream}: {}\n", fate(&d, stream)));
    }
    if d.segments.is_empty() {
        s.push_str("segments: none recorded\n");
        out(&s);
        return Ok(());
    }
    s.push_str("segments:\n");
    let mut t = table(&[
        "INDEX", "STREAM", "COPY", "MOVER", "WHERE", "BYTES", "CRC32C",
    ]);
    for r in &d.segments {
        t.add_row(vec![
            r.index.to_string(),
            r.stream.to_string(),
            r.copy.to_string(),
            format!("{} ({})", r.mover_device, r.mover),
            place(&r.place),
            r.bytes.to_string(),
            r.crc32c
                .map_or_else(|| "-".to_string(), |c| format!("{c:08x}")),
        ]);
    }
    for line in render(&t).lines() {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
    out(&s);
    Ok(())
}
