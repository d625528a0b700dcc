//! Restore: the catalog gives each segment's medium and position; for each
//! run of segments on one tape (or disk), a drive of its library and a copy
//! manager are secured, the tape loaded and LOCATEd, and the segments are
//! copied back in order — EXTENDED COPY with 01h stream→block descriptors
//! (02h from a destination disk), or host reads and writes — across as
//! many tapes as the backup spans (the patent's Fig. 10 and its divided
//! backup data). A mover that fails is left out and another one secured,
//! from the failed segment on, as in a backup.

use log::{info, warn};

use crate::catalog::{
    this_process, BackupDetail, BackupId, BackupStatus, Mode, Object, Place, SegmentRecord, Store,
    StoreError,
};
use crate::engine::backup::{Event, MoverSpec, Observer};
use crate::engine::classify::Action;
use crate::engine::job::streams;
use crate::engine::media::{self, MediaError};
use crate::engine::mover::{End, HostMover, MoveFailed, Mover, Timeouts, Transfer, XcopyMover};
use crate::engine::plan::{Endpoint, Limits};
use crate::engine::xcopy::{endpoint, EndpointError};
use crate::inventory::Inventory;
use crate::select::{self, RestoreRequest as Ask, RestoreSource, Secured, SelectError};
use crate::site::Site;
use crate::transport::commands::Scsi;
use crate::transport::{Opener, Transport};

pub mod rebuild;

/// A restore as a user asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreRequest {
    /// The backup.
    pub backup: BackupId,
    /// The disk to write.
    pub target: String,
    /// The first LBA to write on it.
    pub lba: u64,
    /// Which copy of a mirror backup (default: the preferred one).
    pub copy: Option<u8>,
    /// Read the restored blocks back and compare with the CRC32C recorded
    /// at backup time (`backup --verify`).
    pub verify: bool,
    /// Whether backup servers may move data.
    pub host_movers: bool,
    /// This host's name in leases.
    pub host_id: Option<String>,
    /// EXTENDED COPY time-outs.
    pub timeouts: Timeouts,
    /// Restore the segments that are on media of a backup that did not
    /// complete (partial, failed, or running when its process died),
    /// leaving the target's blocks of the others as they are; the outcome
    /// names the segments missing.
    pub partial: bool,
    /// Write the target even if the kernel says it is in use (mounted,
    /// held, open exclusively).
    pub force: bool,
}

impl RestoreRequest {
    /// A restore of backup `backup` to `target` from LBA 0: the preferred
    /// copy, no read-back, copy managers only, default time-outs, a whole
    /// backup only, and a target the kernel does not use.
    pub fn new(backup: BackupId, target: &str) -> Self {
        RestoreRequest {
            backup,
            target: target.to_string(),
            lba: 0,
            copy: None,
            verify: false,
            host_movers: false,
            host_id: None,
            timeouts: Timeouts::default(),
            partial: false,
            force: false,
        }
    }
}

/// Why a restore could not run or stopped: one sentence each.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The catalog failed (or has no such backup).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The backup cannot be restored whole.
    #[error("backup {id} is {status}: {why}")]
    NotRestorable {
        /// The backup.
        id: BackupId,
        /// Its status.
        status: BackupStatus,
        /// What is missing.
        why: String,
    },
    /// The target cannot take it.
    #[error("{0}")]
    Target(String),
    /// Securing a drive or mover failed.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// A tape could not be made ready.
    #[error("{barcode}: {source}")]
    Media {
        /// The tape.
        barcode: String,
        /// Why.
        #[source]
        source: MediaError,
    },
    /// Every mover that could reach the medium failed.
    #[error("segment {segment} could not be restored: every mover that reaches {medium} failed (last: {last})")]
    NoMover {
        /// The segment.
        segment: u64,
        /// The tape or disk.
        medium: String,
        /// The last failure.
        last: String,
    },
    /// A segment read back does not match its recorded checksum.
    #[error("segment {segment} read back from {target} has CRC32C {found:08x}, the backup recorded {recorded:08x}")]
    Mismatch {
        /// The segment.
        segment: u64,
        /// The target.
        target: String,
        /// What the backup recorded.
        recorded: u32,
        /// What was read back.
        found: u32,
    },
    /// A device could not be used.
    #[error("{0}")]
    Device(String),
}

/// How a restore went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreOutcome {
    /// The backup.
    pub backup: BackupId,
    /// The copy restored.
    pub copy: u8,
    /// The target and its first LBA.
    pub target: String,
    /// Its first LBA.
    pub lba: u64,
    /// Segments restored.
    pub segments: u64,
    /// Bytes restored.
    pub bytes: u64,
    /// The media read, in order.
    pub media: Vec<String>,
    /// Movers that failed and were left out, with why.
    pub mover_failures: Vec<String>,
    /// Segments whose CRC32C was checked (with `--verify`).
    pub verified: u64,
    /// Segments of the backup that no medium holds, as ranges of first and
    /// last index (only with `partial`: otherwise such a backup is refused).
    pub missing: Vec<(u64, u64)>,
}

/// The segments of one copy, checked whole (or, `partial`, with the
/// ranges missing).
#[allow(clippy::type_complexity)]
fn chosen_segments(
    d: &BackupDetail,
    copy: Option<u8>,
    partial: bool,
) -> Result<(u8, Vec<&SegmentRecord>, Vec<(u64, u64)>), RestoreError> {
    let b = &d.backup;
    // A mirror copy that did not complete: with `partial`, the copy that
    // holds most segments (the lowest such copy on a tie).
    let most = || {
        let mut n: std::collections::BTreeMap<u8, u64> = Default::default();
        for s in &d.segments {
            *n.entry(s.copy).or_default() += 1;
        }
        n.into_iter()
            .max_by_key(|(c, k)| (*k, std::cmp::Reverse(*c)))
            .map(|(c, _)| c)
    };
    let copy = match (copy, b.mode) {
        (Some(c), _) => c,
        (None, Mode::Failover) => 0,
        (None, Mode::Mirror) => match (b.preferred_copy, partial) {
            (Some(c), _) => c,
            (None, true) => most().unwrap_or(0),
            (None, false) => {
                return Err(RestoreError::NotRestorable {
                    id: b.id,
                    status: b.status,
                    why: "no copy of this mirror backup completed; --partial restores the segments that are on media".into(),
                })
            }
        },
    };
    let mut segs: Vec<&SegmentRecord> = d.segments.iter().filter(|s| s.copy == copy).collect();
    segs.sort_by_key(|s| s.index);
    let mut missing: Vec<(u64, u64)> = Vec::new();
    let mut next = 0u64;
    for i in segs
        .iter()
        .map(|s| s.index)
        .chain(std::iter::once(b.segments))
    {
        if i > next {
            missing.push((next, i - 1));
        }
        next = i + 1;
    }
    if let (Some((first, _)), false) = (missing.first(), partial) {
        return Err(RestoreError::NotRestorable {
            id: b.id,
            status: b.status,
            why: format!(
                "copy {copy} has no segment {first} ({} of {} segments are on media); restore what is there with --partial, or choose another copy",
                segs.len(),
                b.segments
            ),
        });
    }
    Ok((copy, segs, missing))
}

/// The medium a segment is on, as the selector and the logs name it.
fn medium(p: &Place) -> (RestoreSource, String) {
    match p {
        Place::Tape { barcode, .. } => (
            RestoreSource::Tape {
                barcode: barcode.clone(),
            },
            format!("tape {barcode}"),
        ),
        Place::Disk { disk, .. } => (
            RestoreSource::Disk { disk: disk.clone() },
            format!("disk {disk}"),
        ),
    }
}

/// A mover and the medium it reads, ready.
struct Reader {
    secured: Secured,
    mover: Box<dyn Mover>,
    /// The drive (a tape medium), with its designator.
    drive: Option<(Box<dyn Transport>, crate::wire::vpd::Designator)>,
    /// The disk (a disk medium).
    disk: Option<(Box<dyn Transport>, Endpoint)>,
}

/// Runs a restore.
pub fn run(
    site: &Site,
    inventory: &Inventory,
    opener: &dyn Opener,
    store: &dyn Store,
    req: &RestoreRequest,
    observer: &dyn Observer,
) -> Result<RestoreOutcome, RestoreError> {
    let detail = store.backup(req.backup)?;
    let object = detail.backup.object.clone();
    let (copy, segs, missing) = chosen_segments(&detail, req.copy, req.partial)?;

    // The target: big enough, the same block size, not the source itself.
    let t = opener
        .open(&req.target)
        .map_err(|e| RestoreError::Target(e.0))?;
    let target = endpoint(&Scsi::new(t.as_ref()))
        .map_err(|e: EndpointError| RestoreError::Target(e.to_string()))?;
    check_target(&object, &target, &req.target, req.lba)?;
    // A real disk the kernel uses (a file system on it, swap, a RAID): SG_IO
    // would write under it. This covers restoring onto the backup's own
    // source LUN while it is in use.
    if let Some(path) = opener.device_path(&req.target).filter(|_| !req.force) {
        if let Some(why) = crate::transport::in_use::check(std::path::Path::new(&path)) {
            return Err(RestoreError::Target(format!(
                "{} ({path}) is in use: {why}; unmount it or stop what uses it, or give --force to write it anyway",
                req.target
            )));
        }
    }

    let purpose = format!("restore of backup {}", req.backup);
    let holder = this_process(&purpose, req.host_id.as_deref());
    let holder = store.register(&holder)?;
    let mut outcome = RestoreOutcome {
        backup: req.backup,
        copy,
        target: req.target.clone(),
        lba: req.lba,
        segments: 0,
        bytes: 0,
        media: Vec::new(),
        mover_failures: Vec::new(),
        verified: 0,
        missing,
    };
    // The holder beats while the restore runs (see catalog::heartbeat).
    let result = crate::catalog::heartbeat::beating(
        store,
        holder.id,
        crate::catalog::heartbeat::every(inventory.lease_limit()),
        |store| {
            let ctx = Ctx {
                site,
                inventory,
                opener,
                store,
                req,
                observer,
                holder: &holder,
                object: &object,
                target_t: t.as_ref(),
                target: &target,
            };
            ctx.restore_runs(&segs, &mut outcome)
        },
    );
    if let Err(e) = store.unregister(holder.id) {
        warn!("the catalog could not forget holder {}: {e}", holder.id);
    }
    result?;
    if req.verify {
        outcome.verified = verify(&object, &segs, t.as_ref(), &target, req)?;
    }
    Ok(outcome)
}

fn check_target(
    object: &Object,
    target: &Endpoint,
    name: &str,
    lba: u64,
) -> Result<(), RestoreError> {
    if target.block_length != object.block_length {
        return Err(RestoreError::Target(format!(
            "{name} has {}-byte blocks and the backup {}-byte blocks; restore to a disk with {}-byte blocks",
            target.block_length, object.block_length, object.block_length
        )));
    }
    if lba
        .checked_add(object.blocks)
        .is_none_or(|end| end > target.capacity_blocks)
    {
        return Err(RestoreError::Target(format!(
            "{name} is too small: the backup needs blocks {lba} to {} and it has {} blocks",
            lba.saturating_add(object.blocks).saturating_sub(1),
            target.capacity_blocks
        )));
    }
    if hex::encode(&target.designator.value) == object.designator
        && lba < object.lba + object.blocks
        && object.lba < lba + object.blocks
    {
        return Err(RestoreError::Target(format!(
            "{name}@{lba} overlaps the backup's own source ({}@{}+{} blocks); restore elsewhere, or to a range that does not overlap",
            object.source, object.lba, object.blocks
        )));
    }
    Ok(())
}

/// What a restore's runs share.
struct Ctx<'a> {
    site: &'a Site,
    inventory: &'a Inventory,
    opener: &'a dyn Opener,
    store: &'a dyn Store,
    req: &'a RestoreRequest,
    observer: &'a dyn Observer,
    holder: &'a crate::catalog::Holder,
    object: &'a Object,
    target_t: &'a dyn Transport,
    target: &'a Endpoint,
}

impl Ctx<'_> {
    /// Restores `segs` (one copy, in order), run by run of one medium.
    fn restore_runs(
        &self,
        segs: &[&SegmentRecord],
        outcome: &mut RestoreOutcome,
    ) -> Result<(), RestoreError> {
        let Ctx {
            site,
            inventory,
            opener,
            store,
            req,
            observer,
            holder,
            object,
            target_t,
            target,
        } = *self;
        let mut k = 0usize;
        while k < segs.len() {
            // A run: consecutive segments on one medium.
            let (source, words) = medium(&segs[k].place);
            let mut end = k + 1;
            while end < segs.len() && medium(&segs[end].place).1 == words {
                end += 1;
            }
            outcome.media.push(words.clone());
            let mut exclude: Vec<String> = Vec::new();
            let mut last_failure = String::new();
            'movers: loop {
                let ask = Ask {
                    purpose: format!("restore of backup {}", req.backup),
                    from: source.clone(),
                    target: req.target.clone(),
                    exclude_movers: exclude.clone(),
                    host_movers: req.host_movers,
                };
                let secured = match select::secure_restore(inventory, store, holder, &ask) {
                    Ok(s) => s,
                    Err(e @ SelectError::NotEnough { .. }) if !exclude.is_empty() => {
                        return Err(RestoreError::NoMover {
                            segment: segs[k].index,
                            medium: words,
                            last: format!("{last_failure}; {e}"),
                        })
                    }
                    Err(e) => return Err(e.into()),
                };
                let reader = ready(site, opener, &secured, req.timeouts);
                let mut reader = match reader {
                    Ok(r) => r,
                    // A mover that cannot even be made ready (it does not
                    // answer RECEIVE COPY RESULTS, say) is left out like
                    // one that fails a segment.
                    Err(e) => {
                        let _ = select::release(inventory, store, &secured);
                        let mover = secured.subsystems[0].mover.name().to_string();
                        last_failure = e.to_string();
                        observer.event(&Event::MoverFailed {
                            segment: segs[k].index,
                            mover: mover.clone(),
                            reason: last_failure.clone(),
                        });
                        outcome.mover_failures.push(last_failure.clone());
                        exclude.push(mover);
                        continue 'movers;
                    }
                };
                info!(
                    "restoring segments {}-{} from {words} through {}",
                    segs[k].index,
                    segs[end - 1].index,
                    reader.mover.device()
                );
                let mut retried = false;
                while k < end {
                    let seg = segs[k];
                    match copy_back(&mut reader, object, seg, target_t, target, req.lba) {
                        Ok(()) => {
                            observer.event(&Event::Restored {
                                index: seg.index,
                                bytes: seg.bytes,
                                from: words.clone(),
                                mover: reader.mover.device().to_string(),
                            });
                            outcome.segments += 1;
                            outcome.bytes += seg.bytes;
                            k += 1;
                            retried = false;
                        }
                        Err(Stop::Media(e)) => {
                            let _ = select::release(inventory, store, &reader.secured);
                            return Err(RestoreError::Media {
                                barcode: words.clone(),
                                source: e,
                            });
                        }
                        Err(Stop::Move(f)) => {
                            let v = f.error.verdict();
                            if v.action == Action::Retry && !retried {
                                retried = true;
                                continue;
                            }
                            let _ = select::release(inventory, store, &reader.secured);
                            if v.action == Action::Fatal {
                                return Err(RestoreError::Device(f.to_string()));
                            }
                            let mover = reader.mover.device().to_string();
                            last_failure = f.to_string();
                            observer.event(&Event::MoverFailed {
                                segment: seg.index,
                                mover: mover.clone(),
                                reason: f.to_string(),
                            });
                            outcome.mover_failures.push(last_failure.clone());
                            exclude.push(reader.secured.subsystems[0].mover.name().to_string());
                            continue 'movers;
                        }
                    }
                }
                select::release(inventory, store, &reader.secured)?;
                break;
            }
        }
        Ok(())
    }
}

/// Why copying a segment back stopped.
enum Stop {
    Media(MediaError),
    Move(MoveFailed),
}

/// Opens the mover and the medium the selector secured.
fn ready(
    site: &Site,
    opener: &dyn Opener,
    secured: &Secured,
    timeouts: Timeouts,
) -> Result<Reader, RestoreError> {
    let open = |n: &str| opener.open(n).map_err(|e| RestoreError::Device(e.0));
    let spec = streams(site, secured).remove(0);
    let mover: Box<dyn Mover> = match &spec.mover {
        MoverSpec::CopyManager(cm) => {
            let t = open(cm)?;
            let (op, _) = Scsi::new(t.as_ref())
                .operating_parameters()
                .map_err(|e| RestoreError::Device(e.to_string()))?;
            let limits = Limits::from_operating_parameters(cm, &op)
                .map_err(|e| RestoreError::Device(e.to_string()))?;
            Box::new(XcopyMover::new(t, limits, timeouts))
        }
        MoverSpec::BackupServer(b) => Box::new(HostMover::new(b)),
    };
    let mut reader = Reader {
        secured: secured.clone(),
        mover,
        drive: None,
        disk: None,
    };
    match &spec.destination {
        crate::engine::backup::DestSpec::Tape {
            library,
            drive,
            drive_number,
            barcode,
        } => {
            let media_err = |source| RestoreError::Media {
                barcode: barcode.clone(),
                source,
            };
            let lib = open(library)?;
            media::load(lib.as_ref(), *drive_number, barcode).map_err(media_err)?;
            let t = open(drive)?;
            media::wait_ready(t.as_ref(), barcode).map_err(media_err)?;
            let id = crate::transport::discover::Identity::probe(&Scsi::new(t.as_ref()))
                .map_err(|e| RestoreError::Device(e.to_string()))?;
            let d = id.cscd_designator().cloned().ok_or_else(|| {
                RestoreError::Device(format!("{drive} reports no designator (VPD 83h)"))
            })?;
            reader.drive = Some((t, d));
        }
        crate::engine::backup::DestSpec::Disk { disk, .. } => {
            let t = open(disk)?;
            let ep = endpoint(&Scsi::new(t.as_ref()))
                .map_err(|e| RestoreError::Device(e.to_string()))?;
            reader.disk = Some((t, ep));
        }
    }
    Ok(reader)
}

/// Copies one segment from its medium to the target.
fn copy_back(
    r: &mut Reader,
    object: &Object,
    seg: &SegmentRecord,
    target_t: &dyn Transport,
    target: &Endpoint,
    lba: u64,
) -> Result<(), Stop> {
    let to = End::Disk {
        t: target_t,
        endpoint: target,
        lba: lba + (seg.source_lba - object.lba),
    };
    let from = match (&seg.place, &r.drive, &r.disk) {
        (
            Place::Tape {
                block_length,
                first_block,
                ..
            },
            Some((t, designator)),
            _,
        ) => {
            let Some(first) = first_block else {
                return Err(Stop::Media(MediaError::Unpositioned {
                    drive: t.name().to_string(),
                }));
            };
            media::ready_to_read(t.as_ref(), *block_length, *first).map_err(Stop::Media)?;
            End::Tape {
                t: t.as_ref(),
                designator,
                block_length: *block_length,
            }
        }
        (Place::Disk { lba: at, .. }, _, Some((t, ep))) => End::Disk {
            t: t.as_ref(),
            endpoint: ep,
            lba: *at,
        },
        _ => {
            return Err(Stop::Media(MediaError::Unpositioned {
                drive: "the medium".into(),
            }))
        }
    };
    r.mover
        .transfer(&Transfer {
            from,
            to,
            bytes: seg.bytes,
        })
        .map_err(Stop::Move)
}

/// Reads each restored segment back through this host and compares its
/// CRC32C with the one recorded at backup time; returns how many were
/// checked.
fn verify(
    object: &Object,
    segs: &[&SegmentRecord],
    t: &dyn Transport,
    target: &Endpoint,
    req: &RestoreRequest,
) -> Result<u64, RestoreError> {
    let scsi = Scsi::new(t);
    let mut n = 0;
    for s in segs {
        let Some(recorded) = s.crc32c else {
            return Err(RestoreError::NotRestorable {
                id: req.backup,
                status: BackupStatus::Completed,
                why: format!(
                    "--verify needs the checksums `backup --verify` records, and segment {} has none",
                    s.index
                ),
            });
        };
        let mut buf = vec![0u8; s.bytes as usize];
        scsi.read16(
            req.lba + (s.source_lba - object.lba),
            target.block_length,
            &mut buf,
        )
        .map_err(|e| RestoreError::Device(e.to_string()))?;
        let found = crc32c::crc32c(&buf);
        if found != recorded {
            return Err(RestoreError::Mismatch {
                segment: s.index,
                target: req.target.clone(),
                recorded,
                found,
            });
        }
        n += 1;
    }
    Ok(n)
}
