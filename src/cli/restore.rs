//! `segcopy restore BACKUP --to DISK[@LBA] [--verify]`: a backup put back,
//! segment by segment, across the tapes it spans.

use segcopy::catalog::job::parse_source;
use segcopy::catalog::StoreError;
use segcopy::engine::mover::Timeouts;
use segcopy::inventory::Inventory;
use segcopy::restore::{self, RestoreError, RestoreOutcome, RestoreRequest};
use segcopy::select::SelectError;

use super::progress::Progress;
use super::{exit, out, out_json, store, Failed};

/// Arguments of `restore`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup's number (see `segcopy catalog list`).
    backup: i64,
    /// Where to: a disk of the site, from an LBA (0 if none).
    #[arg(long, value_name = "DISK[@LBA]")]
    to: String,
    /// Which copy of a mirror backup (default: the one that completed first).
    #[arg(long, value_name = "N")]
    copy: Option<u8>,
    /// Read the restored blocks back and compare them with the CRC32C
    /// `backup --verify` recorded.
    #[arg(long)]
    verify: bool,
    /// Restore a backup that did not complete: the segments on media are
    /// put back, the blocks of the missing ones are left as they are, and
    /// the missing segments are named (exit 31).
    #[arg(long)]
    partial: bool,
    /// Write the target even if the kernel says it is in use (mounted,
    /// held by device-mapper or md, open exclusively).
    #[arg(long)]
    force: bool,
    /// Let backup servers (hosts copying through themselves) move data.
    #[arg(long)]
    host_movers: bool,
    /// This host's name in the catalog's leases (default: the host name).
    #[arg(long, value_name = "NAME")]
    host_id: Option<String>,
    /// Print the outcome as JSON (progress stays on stderr).
    #[arg(long)]
    json: bool,
}

/// A failed restore in words, with its exit code.
pub fn restore_failed(e: RestoreError) -> Failed {
    let code = match &e {
        RestoreError::Store(StoreError::NoSuchBackup { .. }) => exit::SYNTAX,
        RestoreError::Store(_) => exit::FILE_ERROR,
        RestoreError::NotRestorable { .. } | RestoreError::Target(_) => exit::SYNTAX,
        RestoreError::Select(SelectError::NotEnough { .. }) => exit::NO_RESOURCES,
        RestoreError::Select(
            SelectError::UnknownResource { .. } | SelectError::WrongKind { .. },
        ) => exit::SYNTAX,
        RestoreError::Select(SelectError::Contended { .. }) => exit::BUSY,
        RestoreError::Select(_) => exit::OTHER,
        RestoreError::Mismatch { .. } => exit::MISCOMPARE,
        RestoreError::Media { .. } | RestoreError::NoMover { .. } | RestoreError::Device(_) => {
            exit::INCOMPLETE
        }
    };
    Failed::new(code, e.to_string())
}

/// The outcome in words.
pub fn summary(o: &RestoreOutcome) -> String {
    let mut s = format!(
        "restored backup {} (copy {}) to {}@{}: {} segments, {} bytes, from {}\n",
        o.backup,
        o.copy,
        o.target,
        o.lba,
        o.segments,
        o.bytes,
        o.media.join(", ")
    );
    for f in &o.mover_failures {
        s += &format!("  a mover failed and another took over: {f}\n");
    }
    if o.verified > 0 {
        s += &format!(
            "  {} segments read back: every CRC32C equals the one recorded at backup time\n",
            o.verified
        );
    }
    s
}

/// Runs `restore`.
pub fn run(a: Args, catalog: Option<&str>) -> Result<(), Failed> {
    let Some(loaded) = super::site::get() else {
        return Err(Failed::new(
            exit::SYNTAX,
            "segcopy restore needs --site FILE: drives and copy managers are secured from the site's resources",
        ));
    };
    let (target, lba) =
        parse_source(&a.to).map_err(|e| Failed::new(exit::SYNTAX, e.to_string()))?;
    let store = store::open(catalog)?;
    let inventory = Inventory::from_site(&loaded.site);
    let progress = Progress::new(false, !a.json);
    let req = RestoreRequest {
        backup: a.backup,
        target,
        lba,
        copy: a.copy,
        verify: a.verify,
        host_movers: a.host_movers,
        host_id: a.host_id.clone(),
        timeouts: Timeouts::default(),
        partial: a.partial,
        force: a.force,
    };
    let result = restore::run(
        &loaded.site,
        &inventory,
        loaded,
        store.as_ref(),
        &req,
        &progress,
    );
    progress.finish();
    let o = result.map_err(restore_failed)?;
    if a.json {
        out_json(&o)?;
    } else {
        out(&summary(&o));
    }
    if o.missing.is_empty() {
        return Ok(());
    }
    let ranges: Vec<String> = o
        .missing
        .iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    Err(Failed::new(
        exit::INCOMPLETE,
        format!(
            "backup {} has no segment {} on any medium: the blocks of {} on {} were left as they were",
            o.backup,
            ranges.join(", "),
            if ranges.len() == 1 && o.missing[0].0 == o.missing[0].1 { "that segment" } else { "those segments" },
            o.target
        ),
    ))
}
