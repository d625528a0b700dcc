//! `segcopy demo`: the reason segcopy exists, on a simulated two-path SAN
//! built from nothing — fill a disk, back it up in segments while the
//! primary copy manager fails, watch the failover, read the catalog,
//! restore to a second disk, and prove the bytes equal.

use std::path::PathBuf;

use segcopy::catalog::{self, BackupStatus, Mode, Target};
use segcopy::demo::{self, DemoOptions};
use segcopy::engine::backup::{BackupRequest, Failover};
use segcopy::engine::job::{self, Order};
use segcopy::inventory::Inventory;
use segcopy::restore::{self, RestoreRequest};
use segcopy::site::Loaded;
use serde::Serialize;

use super::backup::{job_failed, ModeArg};
use super::progress::Progress;
use super::restore::restore_failed;
use super::{exit, out, out_json, store, Failed};

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The production disk's size.
    #[arg(long, value_name = "SIZE", default_value = "256MiB")]
    size: String,
    /// The segment size.
    #[arg(long, value_name = "SIZE", default_value = "8MiB")]
    segment_size: String,
    /// The segment at which the primary copy manager (cm0) fails.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 7,
        conflicts_with = "no_fault"
    )]
    fault_at: u64,
    /// No fault: every segment goes to the primary stream.
    #[arg(long)]
    no_fault: bool,
    /// Failover (one stream at a time) or mirror (both at once).
    #[arg(long, value_enum, default_value = "failover")]
    mode: ModeArg,
    /// Build the SAN in DIR and keep it (site.toml, disks, tapes, catalog)
    /// for `segcopy --site DIR/site.toml …`; default: a scratch directory,
    /// removed at the end.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Print one JSON document (the narration stays on stderr).
    #[arg(long)]
    json: bool,
}

/// A segment, for the JSON document.
#[derive(Debug, Serialize)]
struct Seg {
    index: u64,
    stream: u8,
    copy: u8,
    tape: Option<String>,
    first_block: Option<u64>,
    last_block: Option<u64>,
}

/// The JSON document.
#[derive(Debug, Serialize)]
struct Report {
    status: &'static str,
    backup: i64,
    backup_status: BackupStatus,
    mode: Mode,
    size: u64,
    segment_size: u64,
    fault_at: Option<u64>,
    failovers: Vec<Failover>,
    segments: Vec<Seg>,
    restore_copy: u8,
    restore_identical: bool,
    first_difference: Option<u64>,
    directory: Option<String>,
}

/// Removes the scratch directory when the demo ends, however it ends.
struct Scratch(Option<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(d) = &self.0 {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Runs `demo`.
pub fn run(a: Args) -> Result<(), Failed> {
    let bad = |m: String| Failed::new(exit::SYNTAX, m);
    let size = segcopy::units::parse_size(&a.size).map_err(|e| bad(format!("--size: {e}")))?;
    let segment_bytes = segcopy::units::parse_size(&a.segment_size)
        .map_err(|e| bad(format!("--segment-size: {e}")))?;
    if size == 0 || size % 512 != 0 {
        return Err(bad(format!(
            "--size: {size} bytes is not a whole, non-zero number of 512-byte blocks"
        )));
    }
    let opts = DemoOptions {
        size,
        segment_bytes,
        fault_at: (!a.no_fault).then_some(a.fault_at),
        mode: a.mode.into(),
    };
    let (dir, _scratch) = match &a.keep {
        Some(d) => (d.clone(), Scratch(None)),
        None => {
            let d = std::env::temp_dir().join(format!(
                "segcopy-demo-{}-{}",
                std::process::id(),
                catalog::now()
            ));
            (d.clone(), Scratch(Some(d)))
        }
    };
    if dir.join("state").exists() {
        return Err(bad(format!(
            "{} already holds a demo (state/); give --keep an empty or new directory",
            dir.display()
        )));
    }
    let say = |s: String| eprintln!("{s}");
    let path = demo::write_site(&dir, &opts)
        .map_err(|e| Failed::new(exit::FILE_ERROR, format!("{}: {e}", dir.display())))?;
    let loaded = Loaded::load(&path).map_err(|e| Failed::new(exit::OTHER, e.to_string()))?;
    let url = catalog::default_url(Some(&loaded.site)).map_err(store::failed)?;
    let store = catalog::open(&url).map_err(store::failed)?;
    say(format!(
        "segcopy demo: a simulated SAN in {} — two disjoint paths (cm0–sw0–drive0, cm1–sw1–drive1), one library with four cartridges, {} disks prod0 and restore0{}",
        dir.display(),
        super::store::size(size),
        match opts.fault_at {
            Some(k) => format!("; cm0 will fail at segment {k}"),
            None => String::new(),
        }
    ));

    // 1. A known pattern on prod0.
    let blocks = size / 512;
    let prod = loaded
        .open("prod0")
        .map_err(|e| Failed::new(exit::OTHER, e.to_string()))?;
    demo::fill(prod.as_ref(), 512, blocks).map_err(Failed::from)?;
    say(format!(
        "filled prod0 with a known pattern ({blocks} blocks)"
    ));

    // 2. The backup.
    let inventory = Inventory::from_site(&loaded.site);
    let progress = Progress::new(a.json, !a.json);
    let order = Order {
        request: BackupRequest::new("prod0", opts.mode, segment_bytes),
        streams: 2,
        target: Target::Tape,
        host_movers: false,
        host_id: None,
    };
    say(format!(
        "backing up prod0 in {} segments, {} mode…",
        super::store::size(segment_bytes),
        opts.mode
    ));
    let ran = job::run(
        &loaded.site,
        &inventory,
        &loaded,
        store.as_ref(),
        &order,
        &progress,
    );
    progress.finish();
    let ran = ran.map_err(job_failed)?;
    let id = ran.outcome.id;
    let detail = store.backup(id).map_err(store::failed)?;
    if !a.json {
        out(&super::backup::summary(&ran, &detail));
        out("\nthe catalog:\n");
        super::catalog::show(store.as_ref(), id, false)?;
    }

    // 3. The restore, and the bytes compared.
    say(format!("restoring backup {id} to restore0…"));
    let progress = Progress::new(a.json, false);
    let restored = restore::run(
        &loaded.site,
        &inventory,
        &loaded,
        store.as_ref(),
        &RestoreRequest::new(id, "restore0"),
        &progress,
    );
    progress.finish();
    let restored = restored.map_err(restore_failed)?;
    let back = loaded
        .open("restore0")
        .map_err(|e| Failed::new(exit::OTHER, e.to_string()))?;
    let diff =
        demo::first_difference(prod.as_ref(), back.as_ref(), 512, blocks).map_err(Failed::from)?;
    let identical = diff.is_none();
    let completed = ran.outcome.status == BackupStatus::Completed;
    let report = Report {
        status: if completed && identical {
            "ok"
        } else {
            "failed"
        },
        backup: id,
        backup_status: ran.outcome.status,
        mode: opts.mode,
        size,
        segment_size: segment_bytes,
        fault_at: opts.fault_at,
        failovers: ran.outcome.failovers.clone(),
        segments: detail
            .segments
            .iter()
            .map(|s| {
                let (tape, first, last) = match &s.place {
                    catalog::Place::Tape {
                        barcode,
                        first_block,
                        last_block,
                        ..
                    } => (Some(barcode.clone()), *first_block, *last_block),
                    catalog::Place::Disk { .. } => (None, None, None),
                };
                Seg {
                    index: s.index,
                    stream: s.stream,
                    copy: s.copy,
                    tape,
                    first_block: first,
                    last_block: last,
                }
            })
            .collect(),
        restore_copy: restored.copy,
        restore_identical: identical,
        first_difference: diff,
        directory: a.keep.as_ref().map(|d| d.display().to_string()),
    };
    if a.json {
        out_json(&report)?;
    } else {
        out(&format!("\n{}", super::restore::summary(&restored)));
        out(&match diff {
            None => format!(
                "restore0 and prod0 are byte-identical ({} bytes compared)\n",
                size
            ),
            Some(at) => format!("restore0 DIFFERS from prod0 at byte {at}\n"),
        });
        if let Some(d) = &a.keep {
            out(&format!(
                "the SAN is kept in {}: try `segcopy --site {} catalog list`\n",
                d.display(),
                path.display()
            ));
        }
    }
    match (completed, identical) {
        (true, true) => Ok(()),
        (false, _) => Err(Failed::new(
            exit::INCOMPLETE,
            format!("backup {id} did not complete ({})", ran.outcome.status),
        )),
        (true, false) => Err(Failed::new(
            exit::MISCOMPARE,
            "the restored disk differs from the original".to_string(),
        )),
    }
}
