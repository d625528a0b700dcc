//! A whole backup as the patent's backup manager runs it (Steps 1000–1190):
//! the host agent's pre-backup command, resources secured (at least the
//! streams asked for, or nothing), the segmented copy, the catalog, and
//! the resources given back — whatever happened in between.

use log::{info, warn};

use super::backup::{
    self, BackupError, BackupOutcome, BackupRequest, Begin, DestSpec, MoverSpec, Observer,
    StreamSpec,
};
use crate::catalog::{this_process, BackupId, Store, Target};
use crate::inventory::Inventory;
use crate::select::{self, Destination, Mover, Request, Secured, SelectError};
use crate::site::Site;
use crate::transport::Opener;

/// A backup as a user asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// What and how.
    pub request: BackupRequest,
    /// How many streams to secure.
    pub streams: u8,
    /// Tapes or disks.
    pub target: Target,
    /// Whether backup servers may move data.
    pub host_movers: bool,
    /// This host's name in leases (`--host-id`).
    pub host_id: Option<String>,
}

/// Why a backup did not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The pre-backup command failed: nothing was secured or copied.
    #[error("the pre-backup command {program} of {source_name} failed: {why}; nothing was copied")]
    PreBackup {
        /// The source.
        source_name: String,
        /// The program.
        program: String,
        /// How it failed.
        why: String,
    },
    /// Not enough resources (or another selection failure): nothing moved.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// The backup itself.
    #[error(transparent)]
    Backup(#[from] BackupError),
}

/// What a run secured, for reports.
#[derive(Debug, Clone)]
pub struct Ran {
    /// The subsystems, in stream order.
    pub secured: Secured,
    /// The backup.
    pub outcome: BackupOutcome,
}

/// Runs the host agent's pre-backup command (no shell).
pub fn pre_backup(source: &str, argv: &[String]) -> Result<(), JobError> {
    let Some((program, args)) = argv.split_first() else {
        return Ok(());
    };
    let fail = |why: String| JobError::PreBackup {
        source_name: source.to_string(),
        program: program.clone(),
        why,
    };
    info!("{source}: running the pre-backup command {argv:?}");
    let status = std::process::Command::new(program)
        .args(args)
        .env("SEGCOPY_SOURCE", source)
        .status()
        .map_err(|e| fail(format!("it could not be started: {e}")))?;
    if !status.success() {
        return Err(fail(format!("it exited with {status}")));
    }
    Ok(())
}

/// The engine's streams for what the selector secured.
pub fn streams(site: &Site, secured: &Secured) -> Vec<StreamSpec> {
    secured
        .subsystems
        .iter()
        .map(|s| StreamSpec {
            stream: s.stream,
            mover: match &s.mover {
                Mover::CopyManager(c) => MoverSpec::CopyManager(c.clone()),
                Mover::BackupServer(b) => MoverSpec::BackupServer(b.clone()),
            },
            destination: match &s.destination {
                Destination::Tape {
                    library,
                    drive,
                    barcode,
                } => DestSpec::Tape {
                    library: library.clone(),
                    drive: drive.clone(),
                    drive_number: site.drive_number(library, drive).unwrap_or(0),
                    barcode: barcode.clone(),
                },
                Destination::Disk { disk, lba } => DestSpec::Disk {
                    disk: disk.clone(),
                    lba: *lba,
                },
            },
        })
        .collect()
}

/// Runs one backup: pre-backup command, secure, copy, release.
pub fn run(
    site: &Site,
    inventory: &Inventory,
    opener: &dyn Opener,
    store: &dyn Store,
    order: &Order,
    observer: &dyn Observer,
) -> Result<Ran, JobError> {
    run_or_resume(site, inventory, opener, store, order, None, observer)
}

/// Goes on with backup `id`, whose process died or which stopped partial
/// (`backup --resume`): the same source, range, mode and segment size,
/// from each copy's first segment not recorded, on subsystems secured
/// anew as `order` asks (its request gives only the tape block and the
/// time-outs; the rest comes from the catalog).
pub fn resume(
    site: &Site,
    inventory: &Inventory,
    opener: &dyn Opener,
    store: &dyn Store,
    id: BackupId,
    order: &Order,
    observer: &dyn Observer,
) -> Result<Ran, JobError> {
    let head = store
        .backup_without_segments(id)
        .map_err(BackupError::from)?;
    let order = Order {
        request: BackupRequest {
            max_tape_block: order.request.max_tape_block,
            timeouts: order.request.timeouts,
            ..BackupRequest::resuming(&head.backup)
        },
        ..order.clone()
    };
    run_or_resume(site, inventory, opener, store, &order, Some(id), observer)
}

fn run_or_resume(
    site: &Site,
    inventory: &Inventory,
    opener: &dyn Opener,
    store: &dyn Store,
    order: &Order,
    resume: Option<BackupId>,
    observer: &dyn Observer,
) -> Result<Ran, JobError> {
    let req = &order.request;
    // A request that cannot be right is refused before anything is
    // secured or any agent is asked to quiesce.
    if site.kind_of(&req.source).is_none() {
        return Err(SelectError::UnknownResource {
            name: req.source.clone(),
            known: inventory.names().into_iter().map(str::to_string).collect(),
        }
        .into());
    }
    let checked = backup::check(opener, req)?;
    if let Some(argv) = site.pre_backup(&req.source) {
        pre_backup(&req.source, &argv)?;
    }
    let purpose = match resume {
        None => format!("backup of {}", req.source),
        Some(id) => format!("backup {id} of {} (resumed)", req.source),
    };
    let holder = this_process(&purpose, order.host_id.as_deref());
    // Securing reaps the leases of dead holders first: a resumed backup's
    // dead process no longer holds it once this returns.
    let secured = select::secure(
        inventory,
        store,
        &holder,
        &Request {
            purpose,
            source: req.source.clone(),
            streams: order.streams,
            target: order.target.clone(),
            host_movers: order.host_movers,
        },
    )?;
    for s in &secured.sharing {
        warn!("{s}");
    }
    let streams = streams(site, &secured);
    // The holder beats while the backup runs: another host sharing the
    // catalog judges it by that, and a holder released meanwhile records
    // nothing more.
    let result = crate::catalog::heartbeat::beating(
        store,
        secured.holder.id,
        crate::catalog::heartbeat::every(inventory.lease_limit()),
        |store| {
            run_streams(
                opener,
                store,
                req,
                checked,
                &streams,
                resume,
                secured.holder.id,
                observer,
            )
        },
    );
    let released = select::release(inventory, store, &secured);
    if let Err(e) = store.unregister(secured.holder.id) {
        warn!(
            "the catalog could not forget holder {}: {e}",
            secured.holder.id
        );
    }
    let outcome = result?;
    released?;
    Ok(Ran { secured, outcome })
}

/// The backup itself, on secured streams: begun anew, or resumed.
#[allow(clippy::too_many_arguments)]
fn run_streams(
    opener: &dyn Opener,
    store: &dyn Store,
    req: &BackupRequest,
    checked: backup::Checked,
    streams: &[backup::StreamSpec],
    resume: Option<BackupId>,
    holder: crate::catalog::HolderId,
    observer: &dyn Observer,
) -> Result<BackupOutcome, BackupError> {
    match resume {
        None => backup::run_checked(
            opener,
            store,
            req,
            checked,
            streams,
            Begin::New {
                holder: Some(holder),
            },
            observer,
        ),
        Some(id) => store
            .resume_backup(id, holder)
            .map_err(BackupError::from)
            .and_then(|d| {
                backup::run_checked(
                    opener,
                    store,
                    req,
                    checked,
                    streams,
                    Begin::Resume(&d),
                    observer,
                )
            }),
    }
}
