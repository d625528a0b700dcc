//! The resource selection processor (the patent's 401, Steps 1020–1070
//! and 3000–3010): securing N subsystems for a backup — each a mover (a
//! copy manager, or a backup server when allowed), a destination (a
//! library's drive with one of its tapes, or a destination disk) and a
//! route over usable switches ([`route`], the route selection processor
//! 402) — or one for a restore; and releasing them.
//!
//! Securing is all or nothing: the plan is made from the catalog's state,
//! then every stream's resources are claimed in one [`Store::claim`]. If
//! another process won a race for one of them, the state is read again
//! and the plan made again, a bounded number of times. If fewer
//! subsystems than asked can be found, nothing is claimed and
//! [`SelectError::NotEnough`] says which kind of resource ran out (Steps
//! 1180, 3160–3170).
//!
//! Claims: movers, drives, tapes and destination disks exclusively;
//! switches, links, libraries and the source disk shared (recorded as in
//! use by each holder and stream). Before planning, the leases of holders
//! that died are reaped.

use serde::Serialize;

use std::collections::BTreeMap;

use crate::catalog::{Claim, Holder, HolderId, Store, StoreError, StreamId, Target};
use crate::inventory::{Inventory, Kind, Resource};

mod plan;
pub mod route;
mod zoning;

use plan::{LeftOut, Problem, Slot, View};

/// How many times a plan is made again after another process took one of
/// its resources first.
const ATTEMPTS: u32 = 5;

/// What a backup asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// What it is, in words ("backup 12 of prod0"); the holder's purpose.
    pub purpose: String,
    /// The source disk's name.
    pub source: String,
    /// How many subsystems (streams) to secure: 2 by default, 3 for a
    /// third set.
    pub streams: u8,
    /// Tapes, or destination disks in preference order.
    pub target: Target,
    /// Whether backup servers may move data (when no copy manager can).
    pub host_movers: bool,
}

/// What moves a stream's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum Mover {
    /// A copy manager, by EXTENDED COPY (a disk that is one too is named
    /// by the disk's name).
    CopyManager(String),
    /// A backup server, by reading and writing through itself.
    BackupServer(String),
}

impl Mover {
    /// Its name in the site.
    pub fn name(&self) -> &str {
        match self {
            Mover::CopyManager(n) | Mover::BackupServer(n) => n,
        }
    }
}

/// Where a stream writes (for a restore: the medium it reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Destination {
    /// A tape in a library's drive (loaded by the engine if need be).
    Tape {
        /// The library.
        library: String,
        /// The drive.
        drive: String,
        /// The cartridge.
        barcode: String,
    },
    /// A disk, from an LBA (for a restore from disk: 0; the catalog
    /// knows where each segment is).
    Disk {
        /// The disk.
        disk: String,
        /// The first LBA.
        lba: u64,
    },
}

impl Destination {
    /// The device written (or read): the drive, or the disk.
    pub fn device(&self) -> &str {
        match self {
            Destination::Tape { drive, .. } => drive,
            Destination::Disk { disk, .. } => disk,
        }
    }
}

/// One secured subsystem: a mover, a destination and a route, for one
/// stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subsystem {
    /// Its stream number (0 the primary, 1 the first standby, …).
    pub stream: StreamId,
    /// What moves the data.
    pub mover: Mover,
    /// Where it goes.
    pub destination: Destination,
    /// The switches and links crossed, from the mover to each end.
    pub route: Vec<String>,
    /// The devices the route joins: the mover, then the end read and the
    /// end written (each once); these are the zoning hooks' members.
    pub members: Vec<String>,
}

/// What [`secure`] took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Secured {
    /// The holder the leases are in the name of (registered).
    pub holder: Holder,
    /// The subsystems, stream 0 first.
    pub subsystems: Vec<Subsystem>,
    /// What streams share, in sentences ("streams 0 and 1 share library
    /// lib0"); empty when they share nothing.
    pub sharing: Vec<String>,
    /// Every resource claimed, for [`release`].
    pub resources: Vec<String>,
    /// How long securing took, from its first look at the catalog to the
    /// claim that held (under contention: lost races, other hosts' row
    /// locks).
    pub took: std::time::Duration,
    /// Claims tried: 1, or more after races lost to other holders.
    pub attempts: u32,
}

/// Where a restore reads from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum RestoreSource {
    /// A tape, by barcode (a drive of its library is secured).
    Tape {
        /// The barcode.
        barcode: String,
    },
    /// A disk a backup was written to.
    Disk {
        /// The disk.
        disk: String,
    },
}

/// What a restore asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreRequest {
    /// What it is, in words ("restore 12"); the holder's purpose.
    pub purpose: String,
    /// The medium to read.
    pub from: RestoreSource,
    /// The disk to write.
    pub target: String,
    /// Movers not to use (they already failed).
    pub exclude_movers: Vec<String>,
    /// Whether backup servers may move data.
    pub host_movers: bool,
}

/// Why resources could not be secured or released.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// Fewer subsystems than asked could be secured; nothing was kept.
    #[error("only {secured} of {wanted} streams could be secured: {why}")]
    NotEnough {
        /// Streams asked for.
        wanted: u8,
        /// Streams that could have been secured.
        secured: u8,
        /// The kind of resource that ran out.
        short_of: Kind,
        /// Why, naming the resources that could not be used.
        why: String,
    },
    /// A name the request gave is not in the site.
    #[error("{name} is not a resource of this site (known: {})", known.join(", "))]
    UnknownResource {
        /// The name.
        name: String,
        /// The names the site has.
        known: Vec<String>,
    },
    /// A name the request gave is the wrong kind of resource.
    #[error("{name} is a {found}, not a {wanted}")]
    WrongKind {
        /// The name.
        name: String,
        /// What it had to be.
        wanted: Kind,
        /// What it is.
        found: Kind,
    },
    /// A backup with no stream.
    #[error("a backup needs at least one stream")]
    NoStreams,
    /// Other segcopy processes kept taking the planned resources.
    #[error("other segcopy processes took the chosen resources {attempts} times in a row; nothing was secured, try again")]
    Contended {
        /// How many plans were made.
        attempts: u32,
    },
    /// A zoning hook failed (on secure: nothing stays secured).
    #[error("zoning hook {program} of switch {switch} failed: {why}")]
    Zoning {
        /// The switch.
        switch: String,
        /// The program.
        program: String,
        /// How it failed.
        why: String,
    },
    /// The catalog failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SelectError {
    /// The kind of resource that ran out, for a `NotEnough`.
    pub fn short_of(&self) -> Option<Kind> {
        match self {
            SelectError::NotEnough { short_of, .. } => Some(*short_of),
            _ => None,
        }
    }
}

/// Releases the leases of dead holders ([`crate::catalog::process::reap_dead`]),
/// judging other hosts' by the site's lease limit ([`Inventory::lease_limit`]).
fn reap(inv: &Inventory, store: &dyn Store, holder: &Holder) -> Result<(), StoreError> {
    crate::catalog::process::reap_dead(store, &holder.host, inv.lease_limit())
}

/// Registers `holder` if it has no number yet; says whether it did.
fn register(store: &dyn Store, holder: &Holder) -> Result<(Holder, bool), StoreError> {
    if holder.id == 0 {
        Ok((store.register(holder)?, true))
    } else {
        Ok((holder.clone(), false))
    }
}

/// The resource `name`, of kind `kind`.
fn lookup<'a>(inv: &'a Inventory, name: &str, kind: Kind) -> Result<&'a Resource, SelectError> {
    let r = inv.get(name).ok_or_else(|| SelectError::UnknownResource {
        name: name.to_string(),
        known: inv.names().into_iter().map(str::to_string).collect(),
    })?;
    if r.kind != kind {
        return Err(SelectError::WrongKind {
            name: name.to_string(),
            wanted: kind,
            found: r.kind,
        });
    }
    Ok(r)
}

fn not_enough(wanted: u8, short_of: Kind, why: String) -> SelectError {
    SelectError::NotEnough {
        wanted,
        secured: 0,
        short_of,
        why,
    }
}

/// The libraries' tapes that may be written: not unusable, not held by
/// another holder. A tape that holds backups the catalog keeps may be
/// written too — the engine only ever appends after its end of data, so
/// nothing on it is overwritten — but an empty one is preferred.
fn tape_pools(
    view: &View<'_>,
    kept: &[String],
    left_out: &mut LeftOut,
) -> BTreeMap<String, Vec<String>> {
    let inv = view.inv;
    let mut pools = BTreeMap::new();
    for lib in inv.of_kind(Kind::Library) {
        let mut pool = Vec::new();
        for t in inv.tapes_of(&lib.name) {
            let Some(r) = inv.get(t) else { continue };
            if left_out.exclusive(view, r, Kind::Tape) {
                pool.push(t.clone());
            }
        }
        // Empty tapes first, then those holding kept backups; by name in each.
        pool.sort_by_key(|t| (kept.contains(t), t.clone()));
        pools.insert(lib.name.clone(), pool);
    }
    pools
}

/// The drives that may be taken, library by library (libraries that may
/// be shared only).
fn drive_slots(view: &View<'_>, only: Option<&str>, left_out: &mut LeftOut) -> Vec<Slot> {
    let inv = view.inv;
    let mut slots = Vec::new();
    for lib in inv.of_kind(Kind::Library) {
        if only.is_some_and(|o| o != lib.name) {
            continue;
        }
        if let Err(w) = view.shared(lib) {
            left_out.note(Kind::Library, w);
            continue;
        }
        for d in inv.drives_of(&lib.name) {
            let Some(r) = inv.get(d) else { continue };
            if left_out.exclusive(view, r, Kind::Drive) {
                slots.push(Slot::Drive {
                    library: lib.name.clone(),
                    drive: d.clone(),
                });
            }
        }
    }
    slots
}

/// Plans a backup's subsystems from `inv`'s state (no catalog writes).
fn plan_backup(
    inv: &Inventory,
    me: HolderId,
    req: &Request,
    kept: &[String],
) -> Result<Vec<Subsystem>, SelectError> {
    let view = View { inv, me };
    let source = lookup(inv, &req.source, Kind::Disk)?;
    if let Err(w) = view.shared(source) {
        return Err(not_enough(
            req.streams,
            Kind::Disk,
            format!("the source cannot be read: {w}"),
        ));
    }
    let mut left_out = LeftOut::default();
    let (movers, why) = view.movers(req.host_movers, &[]);
    why.into_iter()
        .for_each(|w| left_out.note(Kind::CopyManager, w));
    let (slots, tapes, tape) = match &req.target {
        Target::Tape => {
            let tapes = tape_pools(&view, kept, &mut left_out);
            (drive_slots(&view, None, &mut left_out), tapes, true)
        }
        Target::Disk { disks, lba } => {
            let mut slots = Vec::new();
            for d in disks {
                let r = lookup(inv, d, Kind::Disk)?;
                if r.name == source.name {
                    left_out.note(Kind::Disk, format!("{d} is the source"));
                } else if left_out.exclusive(&view, r, Kind::Disk) {
                    slots.push(Slot::Disk {
                        disk: d.clone(),
                        lba: *lba,
                    });
                }
            }
            (slots, Default::default(), false)
        }
    };
    Problem {
        view: &view,
        fixed: source.name.clone(),
        slot_is_read: false,
        slots,
        tapes,
        movers,
        streams: req.streams,
        tape,
        left_out,
    }
    .solve()
}

/// Plans a restore's one subsystem from `inv`'s state.
fn plan_restore(
    inv: &Inventory,
    me: HolderId,
    req: &RestoreRequest,
) -> Result<Vec<Subsystem>, SelectError> {
    let view = View { inv, me };
    let target = lookup(inv, &req.target, Kind::Disk)?;
    if let Err(w) = view.exclusive(target) {
        return Err(not_enough(
            1,
            Kind::Disk,
            format!("the target cannot be written: {w}"),
        ));
    }
    let mut left_out = LeftOut::default();
    let (movers, why) = view.movers(req.host_movers, &req.exclude_movers);
    why.into_iter()
        .for_each(|w| left_out.note(Kind::CopyManager, w));
    let (slots, tapes, tape) = match &req.from {
        RestoreSource::Tape { barcode } => {
            let t = lookup(inv, barcode, Kind::Tape)?;
            if let Err(w) = view.exclusive(t) {
                return Err(not_enough(1, Kind::Tape, w));
            }
            let lib = t.library.clone().unwrap_or_default();
            let slots = drive_slots(&view, Some(&lib), &mut left_out);
            let tapes = [(lib, vec![barcode.clone()])].into_iter().collect();
            (slots, tapes, true)
        }
        RestoreSource::Disk { disk } => {
            let d = lookup(inv, disk, Kind::Disk)?;
            if d.name == target.name {
                return Err(not_enough(
                    1,
                    Kind::Disk,
                    format!("{disk} is both the backup and the target"),
                ));
            }
            if let Err(w) = view.shared(d) {
                return Err(not_enough(1, Kind::Disk, w));
            }
            let slot = Slot::Disk {
                disk: disk.clone(),
                lba: 0,
            };
            (vec![slot], Default::default(), false)
        }
    };
    Problem {
        view: &view,
        fixed: target.name.clone(),
        slot_is_read: true,
        slots,
        tapes,
        movers,
        streams: 1,
        tape,
        left_out,
    }
    .solve()
}

/// The claims for `subsystems`: movers, drives, tapes and the disk
/// written exclusively; the disk read, libraries, switches and links
/// shared, one claim per stream. `fixed` is the source disk of a backup,
/// or the target disk of a restore (`restore`), whose destinations are
/// the media read.
///
/// In the catalog an exclusive lease serves one stream, so a resource
/// held exclusively for several streams of this backup (a mover shared as
/// a last resort, or a self-only copy manager that is also the source) is
/// claimed once, for the first of them; [`Secured::sharing`] says the
/// rest.
fn claims(subsystems: &[Subsystem], fixed: &str, restore: bool) -> Vec<Claim> {
    let mut out: Vec<Claim> = Vec::new();
    let mut add = |resource: &str, stream: StreamId, exclusive: bool| {
        if let Some(c) = out
            .iter_mut()
            .find(|c| c.resource == resource && c.stream == stream)
        {
            c.exclusive |= exclusive;
        } else {
            out.push(Claim {
                resource: resource.to_string(),
                stream,
                exclusive,
            });
        }
    };
    for s in subsystems {
        add(s.mover.name(), s.stream, true);
        match &s.destination {
            Destination::Tape {
                library,
                drive,
                barcode,
            } => {
                add(library, s.stream, false);
                add(drive, s.stream, true);
                add(barcode, s.stream, true);
            }
            Destination::Disk { disk, .. } => add(disk, s.stream, !restore),
        }
        add(fixed, s.stream, restore);
        for h in &s.route {
            add(h, s.stream, false);
        }
    }
    let exclusive: Vec<String> = out
        .iter()
        .filter(|c| c.exclusive)
        .map(|c| c.resource.clone())
        .collect();
    let mut kept: Vec<Claim> = Vec::new();
    for c in out {
        if !exclusive.contains(&c.resource) {
            kept.push(c);
        } else if !kept.iter().any(|k| k.resource == c.resource) {
            kept.push(Claim {
                exclusive: true,
                ..c
            });
        }
    }
    kept
}

/// A planner: subsystems from an inventory with state and the barcodes
/// of tapes the catalog keeps.
type Planner<'a> = &'a dyn Fn(&Inventory, &[String]) -> Result<Vec<Subsystem>, SelectError>;

/// Plans, claims (retrying a lost race), runs the zoning hooks.
fn secure_with(
    inv: &Inventory,
    store: &dyn Store,
    holder: &Holder,
    fixed: &str,
    restore: bool,
    plan: Planner<'_>,
) -> Result<Secured, SelectError> {
    let began = std::time::Instant::now();
    for attempt in 1..=ATTEMPTS {
        let mut now = inv.clone();
        now.load_state(store)?;
        let kept = store.tapes_in_use()?;
        let subsystems = plan(&now, &kept)?;
        let claims = claims(&subsystems, fixed, restore);
        match store.claim(holder.id, &claims) {
            Ok(()) => {}
            Err(StoreError::Taken { resource, by }) => {
                log::debug!(
                    "attempt {attempt}: {resource} was taken by {by} first; planning again"
                );
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        let mut resources: Vec<String> = Vec::new();
        for c in claims {
            if !resources.contains(&c.resource) {
                resources.push(c.resource);
            }
        }
        let secured = Secured {
            holder: holder.clone(),
            sharing: plan::sharing(&now, &subsystems),
            subsystems,
            resources,
            took: began.elapsed(),
            attempts: attempt,
        };
        let hooks = zoning::hooks(&now, &secured.subsystems);
        for (i, h) in hooks.iter().enumerate() {
            if let Err(e) = zoning::run(h, zoning::Verb::Secure, holder.id) {
                for done in hooks[..i].iter().rev() {
                    if let Err(u) = zoning::run(done, zoning::Verb::Release, holder.id) {
                        log::warn!("undoing the zoning: {u}");
                    }
                }
                store.release(holder.id, Some(&secured.resources))?;
                return Err(e);
            }
        }
        return Ok(secured);
    }
    Err(SelectError::Contended { attempts: ATTEMPTS })
}

/// Runs `f` for a holder registered if need be; if `f` fails, a holder
/// registered here is unregistered again.
fn as_holder(
    inv: &Inventory,
    store: &dyn Store,
    holder: &Holder,
    f: impl FnOnce(&Holder) -> Result<Secured, SelectError>,
) -> Result<Secured, SelectError> {
    reap(inv, store, holder)?;
    let (holder, registered) = register(store, holder)?;
    let result = f(&holder);
    if result.is_err() && registered {
        if let Err(e) = store.unregister(holder.id) {
            log::warn!("could not unregister {holder}: {e}");
        }
    }
    result
}

/// Secures `req.streams` subsystems for a backup, or nothing.
///
/// `holder` is registered first if its `id` is 0 (the returned
/// [`Secured::holder`] has its number; unregistering it when done is the
/// caller's). The leases of dead holders on the same host are reaped
/// first. On any error nothing this call claimed stays claimed.
pub fn secure(
    inv: &Inventory,
    store: &dyn Store,
    holder: &Holder,
    req: &Request,
) -> Result<Secured, SelectError> {
    if req.streams == 0 {
        return Err(SelectError::NoStreams);
    }
    as_holder(inv, store, holder, |h| {
        secure_with(inv, store, h, &req.source, false, &|now, kept| {
            plan_backup(now, h.id, req, kept)
        })
    })
}

/// Secures what a restore needs: a drive of the tape's library with that
/// tape (the engine loads it if need be) or the backup's disk, a mover
/// (not one of `exclude_movers`) reaching it and the target, and the
/// target disk. One subsystem, stream 0, whose
/// [`Subsystem::destination`] is the medium read.
pub fn secure_restore(
    inv: &Inventory,
    store: &dyn Store,
    holder: &Holder,
    req: &RestoreRequest,
) -> Result<Secured, SelectError> {
    as_holder(inv, store, holder, |h| {
        secure_with(inv, store, h, &req.target, true, &|now, _| {
            plan_restore(now, h.id, req)
        })
    })
}

/// Gives back what [`secure`] or [`secure_restore`] took: runs the zoning
/// hooks' `release`, then releases every lease. The leases are released
/// even when a hook fails; the first hook failure is returned.
pub fn release(inv: &Inventory, store: &dyn Store, secured: &Secured) -> Result<(), SelectError> {
    let mut first = None;
    for h in zoning::hooks(inv, &secured.subsystems) {
        if let Err(e) = zoning::run(&h, zoning::Verb::Release, secured.holder.id) {
            log::warn!("{e}");
            first.get_or_insert(e);
        }
    }
    store.release(secured.holder.id, Some(&secured.resources))?;
    match first {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
