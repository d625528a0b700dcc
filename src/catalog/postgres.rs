//! The shared catalog: one PostgreSQL database that several backup
//! servers use at once ([`PgStore`]), behind the same [`Store`] trait as
//! the embedded SQLite file.
//!
//! What SQLite does with one write lock, PostgreSQL does with row locks:
//! every resource a claim names has a row in `resources`, and a claim or a
//! release locks the rows it touches (`SELECT … FOR UPDATE`, in name
//! order) before it reads the leases, so a check and the insert it allows
//! cannot interleave with another host's. Claims of disjoint resources go
//! on side by side. A transaction PostgreSQL aborts for a deadlock or a
//! serialization failure is run again.
//!
//! Every write is one transaction, committed before the call returns; with
//! PostgreSQL's `synchronous_commit = on` (the default, and what segcopy
//! expects of the server) a commit is durable, so a segment record is on
//! the server's disk before the next segment starts.
//!
//! The schema is versioned in `segcopy_schema`; the steps are SQL files in
//! `src/catalog/postgres/migrations/`, applied in order on first use under
//! an advisory lock (two hosts opening a new catalog at once: the second
//! finds it done), and a database newer than this code is refused
//! ([`StoreError::TooNew`]).
//!
//! Credentials come from the URL, `PGPASSFILE`-style files are not read by
//! this driver, and the URL's password is never written in a message
//! ([`PgStore::location`] shows it without).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use postgres::error::SqlState;
use postgres::{Client, NoTls, Row, Transaction};

use super::{
    check_segment, now, Backup, BackupDetail, BackupId, BackupStatus, Claim, Holder, HolderId, Job,
    JobId, Lease, LeaseEvent, Mode, MoverKind, Object, Place, Schedule, SegmentRecord, Store,
    StoreError, StreamEvent, Target, Timestamp,
};

/// The schema, one step per version: `MIGRATIONS[n]` takes a catalog from
/// version `n` to `n + 1`. Append only; never edit a step that has shipped.
pub const MIGRATIONS: &[&str] = &[include_str!("postgres/migrations/0001.sql")];

/// The schema version this code writes.
pub fn schema_version() -> i64 {
    MIGRATIONS.len() as i64
}

mod passfile;
mod tls;

/// The advisory lock key migrations run under ("segcopy" in ASCII).
const MIGRATION_LOCK: i64 = 0x0073_6567_636f_7079;

/// How many times a transaction PostgreSQL aborted (deadlock, serialization
/// failure) is run again before the error is returned.
const RETRIES: u32 = 20;

/// The catalog in a PostgreSQL database.
pub struct PgStore {
    client: Mutex<Client>,
    location: String,
}

/// An error inside a transaction: the catalog's, or the server's (which
/// may ask for the transaction to be run again).
enum Fail {
    Store(StoreError),
    Pg(postgres::Error),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<postgres::Error> for Fail {
    fn from(e: postgres::Error) -> Self {
        Fail::Pg(e)
    }
}

type R<T> = Result<T, Fail>;

/// `url` without its password (in the authority or as `password=`).
pub fn redact(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let head = match head.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            let authority = match authority.rsplit_once('@') {
                Some((user, host)) => {
                    let user = user.split(':').next().unwrap_or("");
                    format!("{user}@{host}")
                }
                None => authority.to_string(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => head.to_string(),
    };
    match query {
        None => head,
        Some(q) => {
            let kept: Vec<&str> = q
                .split('&')
                .filter(|kv| !kv.to_ascii_lowercase().starts_with("password="))
                .collect();
            if kept.is_empty() {
                head
            } else {
                format!("{head}?{}", kept.join("&"))
            }
        }
    }
}

/// A number of the catalog's types as a BIGINT; larger than a BIGINT holds
/// is a caller's bug, reported.
fn big(v: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(v)
        .map_err(|_| StoreError::Invalid(format!("{what} {v} is larger than the catalog can hold")))
}

fn big_opt(v: Option<u64>, what: &str) -> Result<Option<i64>, StoreError> {
    v.map(|v| big(v, what)).transpose()
}

/// A BIGINT column read back as an unsigned number of a narrower type.
fn col<T: TryFrom<i64>>(row: &Row, name: &str) -> R<T> {
    let v: i64 = row.try_get(name)?;
    T::try_from(v).map_err(|_| {
        Fail::Store(StoreError::Invalid(format!(
            "column {name} holds {v}, which segcopy cannot read as its type"
        )))
    })
}

fn col_opt<T: TryFrom<i64>>(row: &Row, name: &str) -> R<Option<T>> {
    let v: Option<i64> = row.try_get(name)?;
    v.map(|v| {
        T::try_from(v).map_err(|_| {
            Fail::Store(StoreError::Invalid(format!(
                "column {name} holds {v}, which segcopy cannot read as its type"
            )))
        })
    })
    .transpose()
}

/// A column that must hold a value because of another column.
fn required<T>(name: &str, v: Option<T>) -> R<T> {
    v.ok_or_else(|| {
        Fail::Store(StoreError::Invalid(format!(
            "column {name} is empty where its row needs a value"
        )))
    })
}

fn mode_word(m: Mode) -> &'static str {
    match m {
        Mode::Failover => "failover",
        Mode::Mirror => "mirror",
    }
}

fn mode_of(s: &str) -> R<Mode> {
    match s {
        "failover" => Ok(Mode::Failover),
        "mirror" => Ok(Mode::Mirror),
        _ => Err(Fail::Store(StoreError::Invalid(format!(
            "unknown mode {s:?}"
        )))),
    }
}

fn status_word(s: BackupStatus) -> &'static str {
    match s {
        BackupStatus::Running => "running",
        BackupStatus::Completed => "completed",
        BackupStatus::Partial => "partial",
        BackupStatus::Failed => "failed",
    }
}

fn status_of(s: &str) -> R<BackupStatus> {
    match s {
        "running" => Ok(BackupStatus::Running),
        "completed" => Ok(BackupStatus::Completed),
        "partial" => Ok(BackupStatus::Partial),
        "failed" => Ok(BackupStatus::Failed),
        _ => Err(Fail::Store(StoreError::Invalid(format!(
            "unknown status {s:?}"
        )))),
    }
}

fn mover_word(m: MoverKind) -> &'static str {
    match m {
        MoverKind::Xcopy => "xcopy",
        MoverKind::Host => "host",
    }
}

fn mover_of(s: &str) -> R<MoverKind> {
    match s {
        "xcopy" => Ok(MoverKind::Xcopy),
        "host" => Ok(MoverKind::Host),
        _ => Err(Fail::Store(StoreError::Invalid(format!(
            "unknown mover {s:?}"
        )))),
    }
}

// ---- rows

const HOLDER_COLS: &str = "id, host, pid, pid_start, since, purpose, heartbeat";

fn holder_row(row: &Row) -> R<Holder> {
    Ok(Holder {
        id: row.try_get("id")?,
        host: row.try_get("host")?,
        pid: col(row, "pid")?,
        pid_start: col(row, "pid_start")?,
        since: row.try_get("since")?,
        purpose: row.try_get("purpose")?,
        heartbeat: row.try_get("heartbeat")?,
    })
}

const JOB_COLS: &str = "id, name, source, lba, blocks, mode, segment_bytes, streams, target, \
     target_disks, target_lba, every_seconds, next_due, last_backup, retention";

fn job_row(row: &Row) -> R<Job> {
    let target: String = row.try_get("target")?;
    let target = match target.as_str() {
        "tape" => Target::Tape,
        _ => {
            let disks: Option<String> = row.try_get("target_disks")?;
            let disks = required("target_disks", disks)?;
            let disks: Vec<String> = serde_json::from_str(&disks)
                .map_err(|e| Fail::Store(StoreError::Invalid(format!("target_disks: {e}"))))?;
            Target::Disk {
                disks,
                lba: required("target_lba", col_opt(row, "target_lba")?)?,
            }
        }
    };
    let every: Option<i64> = row.try_get("every_seconds")?;
    Ok(Job {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        source: row.try_get("source")?,
        lba: col(row, "lba")?,
        blocks: col_opt(row, "blocks")?,
        mode: mode_of(row.try_get("mode")?)?,
        segment_bytes: col(row, "segment_bytes")?,
        streams: col(row, "streams")?,
        target,
        schedule: match every {
            None => Schedule::Manual,
            Some(seconds) => Schedule::Interval { seconds },
        },
        next_due: row.try_get("next_due")?,
        last_backup: row.try_get("last_backup")?,
        retention: row.try_get("retention")?,
    })
}

const BACKUP_COLS: &str = "id, job, source, designator, lba, blocks, block_length, mode, \
     segment_bytes, segments, streams, started, ended, status, preferred_copy, verified, \
     holder, retain_until";

fn backup_row(row: &Row) -> R<Backup> {
    Ok(Backup {
        id: row.try_get("id")?,
        job: row.try_get("job")?,
        object: Object {
            source: row.try_get("source")?,
            designator: row.try_get("designator")?,
            lba: col(row, "lba")?,
            blocks: col(row, "blocks")?,
            block_length: col(row, "block_length")?,
        },
        mode: mode_of(row.try_get("mode")?)?,
        segment_bytes: col(row, "segment_bytes")?,
        segments: col(row, "segments")?,
        streams: col(row, "streams")?,
        started: row.try_get("started")?,
        ended: row.try_get("ended")?,
        status: status_of(row.try_get("status")?)?,
        preferred_copy: col_opt(row, "preferred_copy")?,
        verified: row.try_get("verified")?,
        holder: row.try_get("holder")?,
        retain_until: row.try_get("retain_until")?,
    })
}

const SEGMENT_COLS: &str = "backup, copy, seg_index, source_lba, blocks, bytes, stream, \
     mover_device, mover, place, library, drive, barcode, block_length, first_block, \
     last_block, verified, disk, designator, lba, crc32c, completed";

fn segment_row(row: &Row) -> R<SegmentRecord> {
    let kind: String = row.try_get("place")?;
    let place = if kind == "tape" {
        Place::Tape {
            library: required("library", row.try_get("library")?)?,
            drive: required("drive", row.try_get("drive")?)?,
            barcode: required("barcode", row.try_get("barcode")?)?,
            block_length: required("block_length", col_opt(row, "block_length")?)?,
            first_block: col_opt(row, "first_block")?,
            last_block: col_opt(row, "last_block")?,
            verified: required("verified", row.try_get("verified")?)?,
        }
    } else {
        Place::Disk {
            disk: required("disk", row.try_get("disk")?)?,
            designator: required("designator", row.try_get("designator")?)?,
            lba: required("lba", col_opt(row, "lba")?)?,
        }
    };
    Ok(SegmentRecord {
        backup: row.try_get("backup")?,
        copy: col(row, "copy")?,
        index: col(row, "seg_index")?,
        source_lba: col(row, "source_lba")?,
        blocks: col(row, "blocks")?,
        bytes: col(row, "bytes")?,
        stream: col(row, "stream")?,
        mover_device: row.try_get("mover_device")?,
        mover: mover_of(row.try_get("mover")?)?,
        place,
        crc32c: col_opt(row, "crc32c")?,
        completed: row.try_get("completed")?,
    })
}

const STREAM_COLS: &str = "backup, stream, failed_at, segments_done, reason, at";

fn stream_row(row: &Row) -> R<StreamEvent> {
    Ok(StreamEvent {
        backup: row.try_get("backup")?,
        stream: col(row, "stream")?,
        failed_at: col_opt(row, "failed_at")?,
        segments_done: col(row, "segments_done")?,
        reason: row.try_get("reason")?,
        at: row.try_get("at")?,
    })
}

// ---- statements used by more than one method

/// The holder `id` and whether it has ended, its row locked (a claim and a
/// reap of one holder do not interleave).
fn holder_locked(tx: &mut Transaction<'_>, id: HolderId) -> R<Option<(Holder, bool)>> {
    let row = tx.query_opt(
        &format!("SELECT {HOLDER_COLS}, ended FROM holders WHERE id = $1 FOR UPDATE"),
        &[&id],
    )?;
    row.map(|r| {
        let ended: Option<i64> = r.try_get("ended")?;
        Ok((holder_row(&r)?, ended.is_some()))
    })
    .transpose()
}

fn holder_by_id(tx: &mut Transaction<'_>, id: HolderId) -> R<Option<Holder>> {
    let row = tx.query_opt(
        &format!("SELECT {HOLDER_COLS} FROM holders WHERE id = $1"),
        &[&id],
    )?;
    row.map(|r| holder_row(&r)).transpose()
}

fn backup_exists(tx: &mut Transaction<'_>, id: BackupId) -> R<bool> {
    Ok(tx
        .query_opt("SELECT 1 FROM backups WHERE id = $1", &[&id])?
        .is_some())
}

/// Locks the rows of `names` in `resources` (made when missing), in name
/// order: what every claim and release of them waits on.
fn lock_resources(tx: &mut Transaction<'_>, names: &[String]) -> R<()> {
    let mut sorted: Vec<&str> = names.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    for n in &sorted {
        tx.execute(
            "INSERT INTO resources (name) VALUES ($1) ON CONFLICT DO NOTHING",
            &[n],
        )?;
    }
    tx.query(
        "SELECT name FROM resources WHERE name = ANY($1) ORDER BY name FOR UPDATE",
        &[&sorted],
    )?;
    Ok(())
}

/// Deletes `holder`'s leases (those on `resources`, or all) and records
/// each in the history with `note`; returns the resources released.
fn release_in(
    tx: &mut Transaction<'_>,
    holder: HolderId,
    resources: Option<&[String]>,
    note: Option<&str>,
    at: Timestamp,
) -> R<Vec<String>> {
    let rows = tx.query(
        "SELECT resource, stream FROM leases WHERE holder = $1 ORDER BY since, resource, stream",
        &[&holder],
    )?;
    let mut held: Vec<(String, i16)> = rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<R<_>>()?;
    if let Some(only) = resources {
        held.retain(|(r, _)| only.contains(r));
    }
    let names: Vec<String> = held.iter().map(|(r, _)| r.clone()).collect();
    lock_resources(tx, &names)?;
    let mut out = Vec::new();
    for (resource, stream) in held {
        tx.execute(
            "DELETE FROM leases WHERE resource = $1 AND holder = $2 AND stream = $3",
            &[&resource, &holder, &stream],
        )?;
        tx.execute(
            "INSERT INTO lease_events (at, resource, holder, stream, event, note) \
             VALUES ($1, $2, $3, $4, 'released', $5)",
            &[&at, &resource, &holder, &stream, &note],
        )?;
        if !out.contains(&resource) {
            out.push(resource);
        }
    }
    Ok(out)
}

fn detail_in(tx: &mut Transaction<'_>, id: BackupId) -> R<Option<BackupDetail>> {
    let Some(mut d) = head_in(tx, id)? else {
        return Ok(None);
    };
    let rows = tx.query(
        &format!("SELECT {SEGMENT_COLS} FROM segments WHERE backup = $1 ORDER BY copy, seg_index"),
        &[&id],
    )?;
    d.segments = rows.iter().map(segment_row).collect::<R<_>>()?;
    Ok(Some(d))
}

/// A backup and its stream events, without its segments.
fn head_in(tx: &mut Transaction<'_>, id: BackupId) -> R<Option<BackupDetail>> {
    let Some(row) = tx.query_opt(
        &format!("SELECT {BACKUP_COLS} FROM backups WHERE id = $1"),
        &[&id],
    )?
    else {
        return Ok(None);
    };
    let backup = backup_row(&row)?;
    let rows = tx.query(
        &format!("SELECT {STREAM_COLS} FROM stream_events WHERE backup = $1 ORDER BY seq"),
        &[&id],
    )?;
    let streams = rows.iter().map(stream_row).collect::<R<_>>()?;
    Ok(Some(BackupDetail {
        backup,
        segments: Vec::new(),
        streams,
    }))
}

fn insert_backup(tx: &mut Transaction<'_>, id: Option<BackupId>, b: &Backup) -> R<BackupId> {
    let lba = big(b.object.lba, "lba")?;
    let blocks = big(b.object.blocks, "blocks")?;
    let bl = i64::from(b.object.block_length);
    let seg = big(b.segment_bytes, "segment size")?;
    let segments = big(b.segments, "segment count")?;
    let streams = i64::from(b.streams);
    let preferred = b.preferred_copy.map(i64::from);
    let cols = "job, source, designator, lba, blocks, block_length, mode, segment_bytes, \
                segments, streams, started, ended, status, preferred_copy, verified, holder, \
                retain_until";
    let params: [&(dyn postgres::types::ToSql + Sync); 17] = [
        &b.job,
        &b.object.source,
        &b.object.designator,
        &lba,
        &blocks,
        &bl,
        &mode_word(b.mode),
        &seg,
        &segments,
        &streams,
        &b.started,
        &b.ended,
        &status_word(b.status),
        &preferred,
        &b.verified,
        &b.holder,
        &b.retain_until,
    ];
    match id {
        None => {
            let row = tx.query_one(
                &format!(
                    "INSERT INTO backups ({cols}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                     $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id"
                ),
                &params,
            )?;
            Ok(row.try_get(0)?)
        }
        Some(id) => {
            let mut all: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![&id];
            all.extend_from_slice(&params);
            tx.execute(
                &format!(
                    "INSERT INTO backups (id, {cols}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                     $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
                ),
                &all,
            )?;
            // The next backup begun gets a number after every imported one.
            tx.execute(
                "SELECT setval(pg_get_serial_sequence('backups', 'id'), \
                 GREATEST((SELECT MAX(id) FROM backups), 1))",
                &[],
            )?;
            Ok(id)
        }
    }
}

fn insert_segment(tx: &mut Transaction<'_>, s: &SegmentRecord) -> R<()> {
    let (place, library, drive, barcode, block_length, first, last, verified) = match &s.place {
        Place::Tape {
            library,
            drive,
            barcode,
            block_length,
            first_block,
            last_block,
            verified,
        } => (
            "tape",
            Some(library.as_str()),
            Some(drive.as_str()),
            Some(barcode.as_str()),
            Some(i64::from(*block_length)),
            big_opt(*first_block, "first block")?,
            big_opt(*last_block, "last block")?,
            Some(*verified),
        ),
        Place::Disk { .. } => ("disk", None, None, None, None, None, None, None),
    };
    let (disk, designator, lba) = match &s.place {
        Place::Disk {
            disk,
            designator,
            lba,
        } => (
            Some(disk.as_str()),
            Some(designator.as_str()),
            Some(big(*lba, "lba")?),
        ),
        Place::Tape { .. } => (None, None, None),
    };
    let copy = i64::from(s.copy);
    let index = big(s.index, "segment index")?;
    let source_lba = big(s.source_lba, "source lba")?;
    let blocks = big(s.blocks, "blocks")?;
    let bytes = big(s.bytes, "bytes")?;
    let stream = i64::from(s.stream);
    let crc = s.crc32c.map(i64::from);
    tx.execute(
        &format!(
            "INSERT INTO segments ({SEGMENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
        ),
        &[
            &s.backup,
            &copy,
            &index,
            &source_lba,
            &blocks,
            &bytes,
            &stream,
            &s.mover_device,
            &mover_word(s.mover),
            &place,
            &library,
            &drive,
            &barcode,
            &block_length,
            &first,
            &last,
            &verified,
            &disk,
            &designator,
            &lba,
            &crc,
            &s.completed,
        ],
    )?;
    Ok(())
}

fn insert_stream(tx: &mut Transaction<'_>, e: &StreamEvent) -> R<()> {
    let stream = i64::from(e.stream);
    let failed_at = big_opt(e.failed_at, "failed_at")?;
    let done = big(e.segments_done, "segments_done")?;
    tx.execute(
        &format!("INSERT INTO stream_events ({STREAM_COLS}) VALUES ($1, $2, $3, $4, $5, $6)"),
        &[&e.backup, &stream, &failed_at, &done, &e.reason, &e.at],
    )?;
    Ok(())
}

impl PgStore {
    /// Connects to the database `url` names (`postgres://user@host/db`)
    /// and brings its schema up to date.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let location = redact(url);
        let (url, root) = tls::take_root(url);
        let mut config: postgres::Config = url.parse().map_err(|e| StoreError::Backend {
            location: location.clone(),
            message: format!("not a PostgreSQL URL segcopy can use: {e}"),
        })?;
        if config.get_password().is_none() {
            let host = match config.get_hosts().first() {
                Some(postgres::config::Host::Tcp(h)) => h.clone(),
                _ => "localhost".to_string(),
            };
            let user = config.get_user().unwrap_or_default().to_string();
            let wanted = passfile::Wanted {
                host: &host,
                port: config.get_ports().first().copied().unwrap_or(5432),
                database: config.get_dbname().unwrap_or(&user),
                user: &user,
            };
            if let Some(p) = passfile::lookup(&wanted) {
                config.password(p);
            }
        }
        let failed = |message: String| StoreError::Backend {
            location: location.clone(),
            message,
        };
        let client = match config.get_ssl_mode() {
            postgres::config::SslMode::Disable => config.connect(NoTls),
            _ => {
                let tls = tls::connector(root.as_deref().map(Path::new)).map_err(failed)?;
                config.connect(tls)
            }
        }
        .map_err(|e| {
            let mut m = format!("cannot connect: {}", pg_message(&e));
            if m.contains("certificate") {
                m.push_str(&format!(
                    " (the server's certificate is not signed by a CA of {} for this host)",
                    tls::ROOT_PARAM
                ));
            }
            failed(m)
        })?;
        let store = PgStore {
            client: Mutex::new(client),
            location,
        };
        store.migrate()?;
        Ok(store)
    }

    fn lock(&self) -> MutexGuard<'_, Client> {
        self.client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies the steps the database lacks, in one transaction under an
    /// advisory lock.
    fn migrate(&self) -> Result<(), StoreError> {
        let supported = schema_version();
        let loc = self.location.clone();
        self.write(|tx| {
            tx.query("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS segcopy_schema (\
                     version INTEGER PRIMARY KEY, \
                     applied BIGINT NOT NULL)",
            )?;
            let found: i64 = tx
                .query_one(
                    "SELECT COALESCE(MAX(version), 0)::BIGINT FROM segcopy_schema",
                    &[],
                )?
                .try_get(0)?;
            if found > supported {
                return Err(StoreError::TooNew {
                    location: loc.clone(),
                    found,
                    supported,
                }
                .into());
            }
            let start = usize::try_from(found).unwrap_or(0);
            for (i, step) in MIGRATIONS.iter().enumerate().skip(start) {
                tx.batch_execute(step)?;
                let v = i as i32 + 1;
                tx.execute(
                    "INSERT INTO segcopy_schema (version, applied) VALUES ($1, $2)",
                    &[&v, &now()],
                )?;
            }
            Ok(())
        })
    }

    /// Runs `f` in one transaction and commits it; runs it again when
    /// PostgreSQL aborted it for a deadlock or a serialization failure.
    fn write<T>(&self, f: impl Fn(&mut Transaction<'_>) -> R<T>) -> Result<T, StoreError> {
        let mut client = self.lock();
        let mut tries = 0;
        loop {
            let out = (|| {
                let mut tx = client.transaction()?;
                let v = f(&mut tx)?;
                tx.commit()?;
                Ok(v)
            })();
            match out {
                Ok(v) => return Ok(v),
                Err(Fail::Pg(e)) if retryable(&e) && tries < RETRIES => {
                    tries += 1;
                    log::debug!("{}: transaction aborted ({e}); again", self.location);
                    std::thread::sleep(std::time::Duration::from_millis(5 << tries.min(6)));
                }
                Err(Fail::Pg(e)) => return Err(self.backend(&e)),
                Err(Fail::Store(e)) => return Err(e),
            }
        }
    }

    /// Runs `f` in one read transaction (a snapshot: repeatable read).
    fn read<T>(&self, f: impl Fn(&mut Transaction<'_>) -> R<T>) -> Result<T, StoreError> {
        let mut client = self.lock();
        let out = (|| {
            let mut tx = client
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let v = f(&mut tx)?;
            tx.commit()?;
            Ok(v)
        })();
        match out {
            Ok(v) => Ok(v),
            Err(Fail::Pg(e)) => Err(self.backend(&e)),
            Err(Fail::Store(e)) => Err(e),
        }
    }

    fn backend(&self, e: &postgres::Error) -> StoreError {
        StoreError::Backend {
            location: self.location.clone(),
            message: pg_message(e),
        }
    }
}

/// A deadlock or a serialization failure: the transaction may succeed
/// when run again.
fn retryable(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
    )
}

/// The server's message (with its detail), or the driver's.
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("{} ({d})", db.message()),
            None => db.message().to_string(),
        },
        // The driver's words, and the cause under them ("Connection
        // refused", a name that does not resolve, …).
        None => {
            let mut text = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                text.push_str(": ");
                text.push_str(&c.to_string());
                cause = c.source();
            }
            text
        }
    }
}

impl Store for PgStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn unusable(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT resource, reason FROM unusable ORDER BY resource",
                &[],
            )?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })
    }

    fn set_unusable(&self, resource: &str, unusable: Option<&str>) -> Result<(), StoreError> {
        self.write(|tx| {
            match unusable {
                Some(reason) => tx.execute(
                    "INSERT INTO unusable (resource, reason, since) VALUES ($1, $2, $3) \
                     ON CONFLICT (resource) DO UPDATE SET reason = excluded.reason",
                    &[&resource, &reason, &now()],
                )?,
                None => tx.execute("DELETE FROM unusable WHERE resource = $1", &[&resource])?,
            };
            Ok(())
        })
    }

    fn register(&self, holder: &Holder) -> Result<Holder, StoreError> {
        let pid = i64::from(holder.pid);
        let pid_start = big(holder.pid_start, "pid start")?;
        let beat = now();
        self.write(|tx| {
            let row = tx.query_one(
                "INSERT INTO holders (host, pid, pid_start, since, purpose, heartbeat) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &holder.host,
                    &pid,
                    &pid_start,
                    &holder.since,
                    &holder.purpose,
                    &beat,
                ],
            )?;
            Ok(Holder {
                id: row.try_get(0)?,
                heartbeat: beat,
                ..holder.clone()
            })
        })
    }

    fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT l.resource, l.stream, l.exclusive, l.since AS lease_since, \
                 h.id, h.host, h.pid, h.pid_start, h.since, h.purpose, h.heartbeat \
                 FROM leases l JOIN holders h ON h.id = l.holder \
                 ORDER BY l.resource, h.id, l.stream",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(Lease {
                        resource: r.try_get("resource")?,
                        holder: holder_row(r)?,
                        stream: u8::try_from(r.try_get::<_, i16>("stream")?).unwrap_or(u8::MAX),
                        exclusive: r.try_get("exclusive")?,
                        since: r.try_get("lease_since")?,
                    })
                })
                .collect()
        })
    }

    fn claim(&self, holder: HolderId, claims: &[Claim]) -> Result<(), StoreError> {
        // The holder's row and every claimed resource's row are locked
        // before anything is read: no other host can take a lease between
        // a check and the insert it allows. Any error returns before the
        // commit, so no lease of this call stays.
        self.write(|tx| {
            match holder_locked(tx, holder)? {
                Some((_, false)) => {}
                Some((h, true)) => {
                    return Err(StoreError::Invalid(format!(
                        "holder {holder} ({h}) is no longer registered and cannot claim resources"
                    ))
                    .into())
                }
                None => {
                    return Err(StoreError::Invalid(format!(
                        "there is no holder {holder}; register before claiming"
                    ))
                    .into())
                }
            }
            let names: Vec<String> = claims.iter().map(|c| c.resource.clone()).collect();
            lock_resources(tx, &names)?;
            let at = now();
            for c in claims {
                let reason: Option<String> = tx
                    .query_opt(
                        "SELECT reason FROM unusable WHERE resource = $1",
                        &[&c.resource],
                    )?
                    .map(|r| r.try_get(0))
                    .transpose()?;
                if let Some(reason) = reason {
                    return Err(StoreError::Invalid(format!(
                        "{} is marked unusable ({reason}); mark it usable again before claiming it",
                        c.resource
                    ))
                    .into());
                }
                let rows = tx.query(
                    "SELECT holder, stream, exclusive FROM leases WHERE resource = $1 \
                     ORDER BY since, holder",
                    &[&c.resource],
                )?;
                let held: Vec<(HolderId, i16, bool)> = rows
                    .iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                    .collect::<R<_>>()?;
                let stream = i16::from(c.stream);
                if let Some((other, _, _)) = held
                    .iter()
                    .find(|(h, _, excl)| *h != holder && (c.exclusive || *excl))
                {
                    let by = holder_by_id(tx, *other)?.ok_or_else(|| {
                        StoreError::Invalid(format!(
                            "{} is leased to holder {other}, which is not in the catalog",
                            c.resource
                        ))
                    })?;
                    return Err(StoreError::Taken {
                        resource: c.resource.clone(),
                        by,
                    }
                    .into());
                }
                let mine: Vec<&(HolderId, i16, bool)> =
                    held.iter().filter(|(h, _, _)| *h == holder).collect();
                if let Some((_, _, excl)) = mine.iter().find(|(_, s, _)| *s == stream) {
                    if *excl == c.exclusive {
                        continue;
                    }
                    return Err(StoreError::Invalid(format!(
                        "holder {holder} holds {} for stream {} already, {}",
                        c.resource,
                        c.stream,
                        if *excl { "exclusively" } else { "shared" }
                    ))
                    .into());
                }
                if let Some((_, s, _)) = mine.iter().find(|(_, _, excl)| c.exclusive || *excl) {
                    return Err(StoreError::Invalid(format!(
                        "holder {holder} holds {} for stream {s} already; one exclusive resource serves one stream",
                        c.resource
                    ))
                    .into());
                }
                tx.execute(
                    "INSERT INTO leases (resource, holder, stream, exclusive, since) \
                     VALUES ($1, $2, $3, $4, $5)",
                    &[&c.resource, &holder, &stream, &c.exclusive, &at],
                )?;
                tx.execute(
                    "INSERT INTO lease_events (at, resource, holder, stream, event) \
                     VALUES ($1, $2, $3, $4, 'taken')",
                    &[&at, &c.resource, &holder, &stream],
                )?;
            }
            Ok(())
        })
    }

    fn release(&self, holder: HolderId, resources: Option<&[String]>) -> Result<(), StoreError> {
        self.write(|tx| {
            release_in(tx, holder, resources, None, now())?;
            Ok(())
        })
    }

    fn unregister(&self, holder: HolderId) -> Result<(), StoreError> {
        self.write(|tx| {
            if holder_locked(tx, holder)?.is_none() {
                return Err(StoreError::Invalid(format!(
                    "there is no holder {holder} to unregister"
                ))
                .into());
            }
            let at = now();
            release_in(tx, holder, None, None, at)?;
            tx.execute(
                "UPDATE holders SET ended = $2, ended_how = 'unregistered' \
                 WHERE id = $1 AND ended IS NULL",
                &[&holder, &at],
            )?;
            Ok(())
        })
    }

    fn reap(
        &self,
        alive: &dyn Fn(&Holder) -> bool,
    ) -> Result<Vec<(Holder, Vec<String>)>, StoreError> {
        self.write(|tx| {
            // Locked, so two hosts reaping at once do not both release one
            // holder's leases (the second waits, then finds it ended).
            let rows = tx.query(
                &format!(
                    "SELECT {HOLDER_COLS} FROM holders WHERE ended IS NULL ORDER BY id FOR UPDATE"
                ),
                &[],
            )?;
            let holders: Vec<Holder> = rows.iter().map(holder_row).collect::<R<_>>()?;
            let at = now();
            let mut dead = Vec::new();
            for h in holders.into_iter().filter(|h| !alive(h)) {
                let held = release_in(tx, h.id, None, Some("holder died"), at)?;
                tx.execute(
                    "UPDATE holders SET ended = $2, ended_how = 'died' WHERE id = $1",
                    &[&h.id, &at],
                )?;
                dead.push((h, held));
            }
            Ok(dead)
        })
    }

    fn lease_history(&self) -> Result<Vec<LeaseEvent>, StoreError> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT at, resource, holder, stream, event, note FROM lease_events ORDER BY seq",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(LeaseEvent {
                        at: r.try_get("at")?,
                        resource: r.try_get("resource")?,
                        holder: r.try_get("holder")?,
                        stream: u8::try_from(r.try_get::<_, i16>("stream")?).unwrap_or(u8::MAX),
                        taken: r.try_get::<_, String>("event")? == "taken",
                        note: r.try_get("note")?,
                    })
                })
                .collect()
        })
    }

    fn heartbeat(&self, holder: HolderId) -> Result<(), StoreError> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE holders SET heartbeat = $2 WHERE id = $1 AND ended IS NULL",
                &[&holder, &now()],
            )?;
            if n == 1 {
                return Ok(());
            }
            let row = tx.query_opt(
                &format!("SELECT {HOLDER_COLS}, ended_how FROM holders WHERE id = $1"),
                &[&holder],
            )?;
            match row {
                Some(r) => {
                    let how: Option<String> = r.try_get("ended_how")?;
                    Err(StoreError::Released {
                        holder: Box::new(holder_row(&r)?),
                        how: how.unwrap_or_else(|| "ended".into()),
                    }
                    .into())
                }
                None => Err(StoreError::Invalid(format!(
                    "there is no holder {holder} to beat for"
                ))
                .into()),
            }
        })
    }

    fn add_job(&self, job: &Job) -> Result<JobId, StoreError> {
        super::check_job(job)?;
        let (target, disks, target_lba) = match &job.target {
            Target::Tape => ("tape", None, None),
            Target::Disk { disks, lba } => (
                "disk",
                Some(serde_json::to_string(disks).map_err(|e| {
                    StoreError::Invalid(format!("the job's disks cannot be written: {e}"))
                })?),
                Some(big(*lba, "lba")?),
            ),
        };
        let every = match job.schedule {
            Schedule::Manual => None,
            Schedule::Interval { seconds } => Some(seconds),
        };
        let lba = big(job.lba, "lba")?;
        let blocks = big_opt(job.blocks, "blocks")?;
        let seg = big(job.segment_bytes, "segment size")?;
        let streams = i64::from(job.streams);
        self.write(|tx| {
            if tx
                .query_opt("SELECT 1 FROM jobs WHERE name = $1", &[&job.name])?
                .is_some()
            {
                return Err(StoreError::JobExists(job.name.clone()).into());
            }
            if let Some(b) = job.last_backup {
                if !backup_exists(tx, b)? {
                    return Err(StoreError::NoSuchBackup { id: b }.into());
                }
            }
            let row = tx.query_one(
                "INSERT INTO jobs (name, source, lba, blocks, mode, segment_bytes, streams, \
                 target, target_disks, target_lba, every_seconds, next_due, last_backup, \
                 retention) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
                &[
                    &job.name,
                    &job.source,
                    &lba,
                    &blocks,
                    &mode_word(job.mode),
                    &seg,
                    &streams,
                    &target,
                    &disks,
                    &target_lba,
                    &every,
                    &job.next_due,
                    &job.last_backup,
                    &job.retention,
                ],
            );
            match row {
                Ok(r) => Ok(r.try_get(0)?),
                // Another host added the same name meanwhile.
                Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                    Err(StoreError::JobExists(job.name.clone()).into())
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        self.read(|tx| {
            let rows = tx.query(&format!("SELECT {JOB_COLS} FROM jobs ORDER BY id"), &[])?;
            rows.iter().map(job_row).collect()
        })
    }

    fn job_ran(
        &self,
        id: JobId,
        backup: Option<BackupId>,
        next_due: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            if let Some(b) = backup {
                if !backup_exists(tx, b)? {
                    return Err(StoreError::NoSuchBackup { id: b }.into());
                }
            }
            let n = tx.execute(
                "UPDATE jobs SET last_backup = COALESCE($2, last_backup), next_due = $3 \
                 WHERE id = $1",
                &[&id, &backup, &next_due],
            )?;
            if n == 0 {
                return Err(StoreError::NoSuchJob(format!("#{id}")).into());
            }
            Ok(())
        })
    }

    fn begin_backup(&self, backup: &Backup) -> Result<BackupId, StoreError> {
        self.write(|tx| {
            if let Some(job) = backup.job {
                if tx
                    .query_opt("SELECT 1 FROM jobs WHERE id = $1", &[&job])?
                    .is_none()
                {
                    return Err(StoreError::NoSuchJob(format!("#{job}")).into());
                }
            }
            let retain_until = match (backup.retain_until, backup.job) {
                (Some(t), _) => Some(t),
                (None, Some(job)) => {
                    let r: Option<i64> = tx
                        .query_one("SELECT retention FROM jobs WHERE id = $1", &[&job])?
                        .try_get(0)?;
                    r.map(|r| backup.started.saturating_add(r))
                }
                (None, None) => None,
            };
            let b = Backup {
                status: BackupStatus::Running,
                ended: None,
                preferred_copy: None,
                retain_until,
                ..backup.clone()
            };
            insert_backup(tx, None, &b)
        })
    }

    fn record_segment(&self, record: &SegmentRecord) -> Result<(), StoreError> {
        check_segment(record)?;
        self.write(|tx| {
            if !backup_exists(tx, record.backup)? {
                return Err(StoreError::NoSuchBackup { id: record.backup }.into());
            }
            match insert_segment(tx, record) {
                Err(Fail::Pg(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                    Err(StoreError::Invalid(format!(
                        "segment {} of copy {} of backup {} is recorded already; a record is never replaced",
                        record.index, record.copy, record.backup
                    ))
                    .into())
                }
                r => r,
            }
        })
    }

    fn record_stream(&self, event: &StreamEvent) -> Result<(), StoreError> {
        self.write(|tx| {
            if !backup_exists(tx, event.backup)? {
                return Err(StoreError::NoSuchBackup { id: event.backup }.into());
            }
            insert_stream(tx, event)
        })
    }

    fn finish_backup(
        &self,
        id: BackupId,
        status: BackupStatus,
        preferred_copy: Option<u8>,
        ended: Timestamp,
    ) -> Result<(), StoreError> {
        if status == BackupStatus::Running {
            return Err(StoreError::Invalid(format!(
                "backup {id} cannot finish with status running"
            )));
        }
        let preferred = preferred_copy.map(i64::from);
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE backups SET status = $2, preferred_copy = $3, ended = $4, holder = NULL \
                 WHERE id = $1",
                &[&id, &status_word(status), &preferred, &ended],
            )?;
            if n == 0 {
                return Err(StoreError::NoSuchBackup { id }.into());
            }
            Ok(())
        })
    }

    fn backups(&self) -> Result<Vec<Backup>, StoreError> {
        self.read(|tx| {
            let rows = tx.query(
                &format!("SELECT {BACKUP_COLS} FROM backups ORDER BY started, id"),
                &[],
            )?;
            rows.iter().map(backup_row).collect()
        })
    }

    fn backup(&self, id: BackupId) -> Result<BackupDetail, StoreError> {
        self.read(|tx| Ok(detail_in(tx, id)?.ok_or(StoreError::NoSuchBackup { id })?))
    }

    fn backup_without_segments(&self, id: BackupId) -> Result<BackupDetail, StoreError> {
        self.read(|tx| Ok(head_in(tx, id)?.ok_or(StoreError::NoSuchBackup { id })?))
    }

    /// The rows through a portal, a thousand at a time, in one read
    /// transaction: memory does not grow with the backup.
    fn each_segment(
        &self,
        id: BackupId,
        f: &mut dyn FnMut(&SegmentRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let f = std::cell::RefCell::new(f);
        self.read(|tx| {
            if head_in(tx, id)?.is_none() {
                return Err(StoreError::NoSuchBackup { id }.into());
            }
            let portal = tx.bind(
                &format!(
                    "SELECT {SEGMENT_COLS} FROM segments WHERE backup = $1 ORDER BY copy, seg_index"
                ),
                &[&id],
            )?;
            loop {
                let rows = tx.query_portal(&portal, 1000)?;
                if rows.is_empty() {
                    return Ok(());
                }
                for r in &rows {
                    let s = segment_row(r)?;
                    (f.borrow_mut())(&s)?;
                }
            }
        })
    }

    fn import(&self, detail: &BackupDetail) -> Result<(), StoreError> {
        let id = detail.backup.id;
        super::check_import(detail)?;
        self.write(|tx| {
            if let Some(have) = detail_in(tx, id)? {
                if super::normalized(&have) == super::normalized(detail) {
                    return Ok(());
                }
                return Err(StoreError::Invalid(format!(
                    "backup {id} is in the catalog already with other content; it was not imported"
                ))
                .into());
            }
            let backup = Backup {
                holder: None,
                ..detail.backup.clone()
            };
            insert_backup(tx, Some(id), &backup)?;
            let mut seen = std::collections::HashSet::new();
            for s in &detail.segments {
                if !seen.insert((s.copy, s.index)) {
                    return Err(StoreError::Invalid(format!(
                        "the map of backup {id} holds segment {} of copy {} twice",
                        s.index, s.copy
                    ))
                    .into());
                }
                insert_segment(tx, s)?;
            }
            for e in &detail.streams {
                insert_stream(tx, e)?;
            }
            Ok(())
        })
    }

    fn tapes_in_use(&self) -> Result<Vec<String>, StoreError> {
        let now = now();
        self.read(|tx| {
            let rows = tx.query(
                "SELECT DISTINCT s.barcode FROM segments s JOIN backups b ON b.id = s.backup \
                 WHERE s.barcode IS NOT NULL \
                 AND (b.retain_until IS NULL OR b.retain_until > $1) ORDER BY s.barcode",
                &[&now],
            )?;
            rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
        })
    }

    fn resume_backup(&self, id: BackupId, holder: HolderId) -> Result<BackupDetail, StoreError> {
        self.write(|tx| {
            // The backup's row first: two hosts resuming it at once take
            // turns, and the second finds it held.
            if tx
                .query_opt("SELECT 1 FROM backups WHERE id = $1 FOR UPDATE", &[&id])?
                .is_none()
            {
                return Err(StoreError::NoSuchBackup { id }.into());
            }
            let Some(d) = detail_in(tx, id)? else {
                return Err(StoreError::NoSuchBackup { id }.into());
            };
            if d.backup.status == BackupStatus::Completed {
                return Err(StoreError::NotResumable {
                    id,
                    why: "it completed; every segment is on a medium already".into(),
                }
                .into());
            }
            if let Some(h) = d.backup.holder.filter(|h| *h != holder) {
                let by = tx.query_opt(
                    &format!("SELECT {HOLDER_COLS} FROM holders WHERE id = $1 AND ended IS NULL"),
                    &[&h],
                )?;
                if let Some(by) = by {
                    return Err(StoreError::InProgress {
                        id,
                        by: holder_row(&by)?,
                    }
                    .into());
                }
            }
            if tx
                .query_opt(
                    "SELECT 1 FROM holders WHERE id = $1 AND ended IS NULL",
                    &[&holder],
                )?
                .is_none()
            {
                return Err(StoreError::Invalid(format!(
                    "holder {holder} is not registered; register before resuming backup {id}"
                ))
                .into());
            }
            tx.execute(
                "UPDATE backups SET status = 'running', ended = NULL, preferred_copy = NULL, \
                 holder = $2 WHERE id = $1",
                &[&id, &holder],
            )?;
            let mut d = d;
            d.backup.status = BackupStatus::Running;
            d.backup.ended = None;
            d.backup.preferred_copy = None;
            d.backup.holder = Some(holder);
            Ok(d)
        })
    }

    fn tape_overwritten(&self, barcode: &str, why: &str) -> Result<Vec<BackupId>, StoreError> {
        let at = now();
        self.write(|tx| {
            let rows = tx.query(
                "SELECT backup, copy, MIN(seg_index), MAX(seg_index), COUNT(*), MIN(stream) \
                 FROM segments WHERE barcode = $1 GROUP BY backup, copy ORDER BY backup, copy",
                &[&barcode],
            )?;
            let gone: Vec<(BackupId, i64, i64, i64, i64, i64)> = rows
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                    ))
                })
                .collect::<R<_>>()?;
            tx.execute("DELETE FROM segments WHERE barcode = $1", &[&barcode])?;
            let mut backups: Vec<BackupId> = Vec::new();
            for (backup, copy, first, last, n, stream) in &gone {
                insert_stream(
                    tx,
                    &StreamEvent {
                        backup: *backup,
                        stream: u8::try_from(*stream).unwrap_or(u8::MAX),
                        failed_at: u64::try_from(*first).ok(),
                        segments_done: 0,
                        reason: format!(
                            "tape {barcode} was written over ({why}): {n} segment{} of copy {copy} between {first} and {last} were on it and are gone",
                            if *n == 1 { "" } else { "s" }
                        ),
                        at,
                    },
                )?;
                if !backups.contains(backup) {
                    backups.push(*backup);
                }
            }
            for id in &backups {
                let row = tx.query_one(
                    "SELECT segments, mode, status FROM backups WHERE id = $1",
                    &[id],
                )?;
                let segments: i64 = row.try_get(0)?;
                let mode = mode_of(row.try_get(1)?)?;
                let status = status_of(row.try_get(2)?)?;
                if status == BackupStatus::Running {
                    continue;
                }
                let rows = tx.query(
                    "SELECT copy, COUNT(*) FROM segments WHERE backup = $1 GROUP BY copy ORDER BY copy",
                    &[id],
                )?;
                let counts: Vec<(i64, i64)> = rows
                    .iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<R<_>>()?;
                let whole = counts.iter().find(|(_, n)| *n == segments).map(|(c, _)| *c);
                let (status, preferred) = match whole {
                    Some(c) => (BackupStatus::Completed, (mode == Mode::Mirror).then_some(c)),
                    None if counts.is_empty() => (BackupStatus::Failed, None),
                    None => (BackupStatus::Partial, None),
                };
                tx.execute(
                    "UPDATE backups SET status = $2, preferred_copy = $3 WHERE id = $1",
                    &[id, &status_word(status), &preferred],
                )?;
            }
            Ok(backups)
        })
    }

    fn catalog_id(&self) -> Result<String, StoreError> {
        self.read(|tx| {
            Ok(tx
                .query_one("SELECT value FROM catalog_meta WHERE key = 'id'", &[])?
                .try_get(0)?)
        })
    }

    fn set_catalog_id(&self, id: &str) -> Result<(), StoreError> {
        super::check_catalog_id(id)?;
        let loc = self.location.clone();
        self.write(|tx| {
            tx.execute("LOCK TABLE backups IN SHARE MODE", &[])?;
            let backups: i64 = tx
                .query_one("SELECT COUNT(*) FROM backups", &[])?
                .try_get(0)?;
            if backups > 0 {
                return Err(StoreError::Invalid(format!(
                    "{loc} holds backups already: it cannot take another catalog's identity"
                ))
                .into());
            }
            tx.execute(
                "UPDATE catalog_meta SET value = $1 WHERE key = 'id'",
                &[&id],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://seg:s3cret@db.example:5432/catalog"),
            "postgres://seg@db.example:5432/catalog"
        );
        assert_eq!(
            redact("postgresql://seg@db/catalog?password=x&sslmode=prefer"),
            "postgresql://seg@db/catalog?sslmode=prefer"
        );
        assert_eq!(
            redact("postgres://db/catalog?Password=x"),
            "postgres://db/catalog"
        );
        assert_eq!(redact("postgres://a:b@c"), "postgres://a@c");
    }
}

#[cfg(test)]
mod tls_tests {
    use super::*;
    use crate::catalog::pg_server::TestServer;

    /// Whether `store`'s connection is encrypted, as the server sees it.
    fn encrypted(store: &PgStore) -> bool {
        store
            .lock()
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .expect("pg_stat_ssl")
            .get(0)
    }

    #[test]
    fn tls_when_the_server_offers_it_and_its_certificate_checked_when_asked() {
        let Some(server) = TestServer::or_skip(
            "catalog::postgres::tls_tests::tls_when_the_server_offers_it_and_its_certificate_checked_when_asked",
        ) else {
            return;
        };
        let url = server.fresh_database().expect("a database");
        // prefer (the default): encrypted, as the server offers TLS.
        assert!(encrypted(&PgStore::connect(&url).expect("prefer")));
        assert!(!encrypted(
            &PgStore::connect(&format!("{url}?sslmode=disable")).expect("disable")
        ));
        let ca = server.ca();
        let checked = format!("{url}?sslmode=require&sslrootcert={}", ca.display());
        assert!(encrypted(&PgStore::connect(&checked).expect("checked")));
        // Another CA: refused, saying why.
        let other = std::env::temp_dir().join(format!("segcopy-other-ca-{}", std::process::id()));
        std::fs::create_dir_all(&other).expect("dir");
        let made = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=another CA",
                "-keyout",
                "k.pem",
                "-out",
                "ca.pem",
            ])
            .current_dir(&other)
            .output()
            .expect("openssl");
        assert!(made.status.success());
        let e = PgStore::connect(&format!(
            "{url}?sslrootcert={}",
            other.join("ca.pem").display()
        ))
        .err()
        .expect("another CA");
        let m = e.to_string();
        assert!(
            m.contains("certificate") && m.contains("sslrootcert"),
            "{m}"
        );
        // The right CA, but another name than the certificate's (it names
        // 127.0.0.1 only).
        let by_name = checked.replace("127.0.0.1", "localhost");
        assert!(
            PgStore::connect(&by_name).is_err(),
            "the host name is checked"
        );
        std::fs::remove_dir_all(&other).expect("rm");
    }
}
