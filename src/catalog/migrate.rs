//! `segcopy catalog migrate --from URL --to URL`: a catalog's contents
//! moved into another, empty one — typically the SQLite catalog of one
//! backup server into the PostgreSQL catalog several will share.
//!
//! What moves: the catalog's identity (so the tapes it wrote stay this
//! catalog's tapes: every tape map names the catalog that wrote it), every
//! backup with its segment records and stream events under its own
//! number, the jobs (renumbered in the order they were made, the backups
//! that name them following; a backup read back from a tape that names a
//! job the old catalog never had names none), and the resources marked
//! unusable. What
//! does not: leases — nothing may be running while a catalog moves — and
//! the lease history, which stays with the old catalog.
//!
//! The copy is then checked: every backup in the new catalog equals the
//! old one's (records, events, status, retention), and the counts agree.

use std::collections::HashMap;

use serde::Serialize;

use super::{normalized, Job, JobId, Store, StoreError};

/// What [`migrate`] moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    /// The catalog's identity, now the new catalog's too.
    pub catalog_id: String,
    /// Backups.
    pub backups: usize,
    /// Segment records, over all backups.
    pub segments: usize,
    /// Stream events, over all backups.
    pub stream_events: usize,
    /// Jobs.
    pub jobs: usize,
    /// Resources marked unusable.
    pub unusable: usize,
}

/// Moves everything `from` keeps into `to`, which must be empty, and
/// checks the copy. `from` is only read.
pub fn migrate(from: &dyn Store, to: &dyn Store) -> Result<Moved, StoreError> {
    let leases = from.leases()?;
    if !leases.is_empty() {
        let mut holders: Vec<String> = leases.iter().map(|l| l.holder.to_string()).collect();
        holders.sort();
        holders.dedup();
        return Err(StoreError::Invalid(format!(
            "{} has resources held ({}): something is running through it; let it end (or stop it), then migrate",
            from.location(),
            holders.join("; ")
        )));
    }
    if !to.backups()?.is_empty() || !to.jobs()?.is_empty() {
        return Err(StoreError::Invalid(format!(
            "{} already holds backups or jobs; migrate into an empty catalog",
            to.location()
        )));
    }
    let id = from.catalog_id()?;
    to.set_catalog_id(&id)?;

    // Jobs first (their last backup once the backups are in).
    let mut jobs = from.jobs()?;
    jobs.sort_by_key(|j| j.id);
    let mut renumbered: HashMap<JobId, JobId> = HashMap::new();
    for j in &jobs {
        let new = to.add_job(&Job {
            id: 0,
            last_backup: None,
            ..j.clone()
        })?;
        renumbered.insert(j.id, new);
    }
    let (mut segments, mut stream_events, mut read_back) = (0, 0, 0);
    let backups = from.backups()?;
    for b in &backups {
        let mut d = from.backup(b.id)?;
        d.backup.job = d.backup.job.and_then(|j| renumbered.get(&j).copied());
        segments += d.segments.len();
        stream_events += d.streams.len();
        to.import(&d)?;
        let back = to.backup(b.id)?;
        read_back += back.segments.len();
        if normalized(&back) != normalized(&d) {
            return Err(StoreError::Invalid(format!(
                "backup {} reads back from {} unlike it was written; the migration is not finished",
                b.id,
                to.location()
            )));
        }
    }
    for j in &jobs {
        to.job_ran(renumbered[&j.id], j.last_backup, j.next_due)?;
    }
    let unusable = from.unusable()?;
    for (resource, why) in &unusable {
        to.set_unusable(resource, Some(why))?;
    }

    // The counts, from the new catalog.
    let moved = Moved {
        catalog_id: id,
        backups: backups.len(),
        segments,
        stream_events,
        jobs: jobs.len(),
        unusable: unusable.len(),
    };
    let got = (
        to.catalog_id()?,
        to.backups()?.len(),
        read_back,
        to.jobs()?.len(),
        to.unusable()?.len(),
    );
    let want = (
        moved.catalog_id.clone(),
        moved.backups,
        moved.segments,
        moved.jobs,
        moved.unusable,
    );
    if got != want {
        return Err(StoreError::Invalid(format!(
            "{} holds (identity, backups, segments, jobs, unusable) {got:?} after the migration, not {want:?}",
            to.location()
        )));
    }
    Ok(moved)
}
