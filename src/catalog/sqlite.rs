//! The embedded catalog: one SQLite file shared by every segcopy process
//! on a host ([`SqliteStore`]).
//!
//! The file is in WAL mode (readers never wait for a writer), every write
//! is one transaction begun with `BEGIN IMMEDIATE` (it takes the write lock
//! before reading, so a check and the insert it allows cannot interleave
//! with another process's), and `synchronous = FULL` makes a commit durable
//! before the call returns. Several processes share the file: each waits up
//! to [`BUSY_TIMEOUT`] for another's write to finish.
//!
//! The schema is versioned with `PRAGMA user_version`; [`MIGRATIONS`] are
//! applied in order on open, and a file newer than this code is refused
//! ([`StoreError::TooNew`]). Every column is one a person can read with
//! `sqlite3`: enums are words, places are columns (kind, barcode, blocks…),
//! times are seconds since the Unix epoch (`datetime(started, 'unixepoch')`).
//!
//! The catalog lives on a local file system: SQLite's locks (and so WAL)
//! do not work over NFS.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};

use super::{
    check_segment, normalized, now, Backup, BackupDetail, BackupId, BackupStatus, Claim, Holder,
    HolderId, Job, JobId, Lease, LeaseEvent, Mode, MoverKind, Object, Place, Schedule,
    SegmentRecord, Store, StoreError, StreamEvent, Target, Timestamp,
};

/// How long a process waits for another's write before giving up. Writes
/// are short (a claim, a segment record), but a process may wait behind
/// several others, each syncing to disk.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The schema, one step per version: `MIGRATIONS[n]` takes a catalog from
/// version `n` to `n + 1`. Append only; never edit a step that has shipped.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE holders (
        id          INTEGER PRIMARY KEY,
        host        TEXT NOT NULL,
        pid         INTEGER NOT NULL,
        pid_start   INTEGER NOT NULL,   -- clock ticks after boot, 0: unknown
        since       INTEGER NOT NULL,
        purpose     TEXT NOT NULL,
        ended       INTEGER,            -- NULL while registered
        ended_how   TEXT CHECK (ended_how IN ('unregistered', 'died'))
    );
    CREATE TABLE leases (
        resource    TEXT NOT NULL,
        holder      INTEGER NOT NULL REFERENCES holders(id),
        stream      INTEGER NOT NULL,
        exclusive   INTEGER NOT NULL CHECK (exclusive IN (0, 1)),
        since       INTEGER NOT NULL,
        PRIMARY KEY (resource, holder, stream)
    );
    CREATE INDEX leases_by_holder ON leases(holder);
    -- The history outlives its holders' leases; seq is the commit order.
    CREATE TABLE lease_events (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        at          INTEGER NOT NULL,
        resource    TEXT NOT NULL,
        holder      INTEGER NOT NULL REFERENCES holders(id),
        stream      INTEGER NOT NULL,
        event       TEXT NOT NULL CHECK (event IN ('taken', 'released')),
        note        TEXT
    );
    CREATE TABLE unusable (
        resource    TEXT PRIMARY KEY,
        reason      TEXT NOT NULL,
        since       INTEGER NOT NULL
    );
    CREATE TABLE backups (
        id              INTEGER PRIMARY KEY,
        job             INTEGER,        -- no foreign key: a backup read back
                                        -- from tape may outlive its job
        source          TEXT NOT NULL,
        designator      TEXT NOT NULL,
        lba             INTEGER NOT NULL,
        blocks          INTEGER NOT NULL,
        block_length    INTEGER NOT NULL,
        mode            TEXT NOT NULL CHECK (mode IN ('failover', 'mirror')),
        segment_bytes   INTEGER NOT NULL,
        segments        INTEGER NOT NULL,
        streams         INTEGER NOT NULL,
        started         INTEGER NOT NULL,
        ended           INTEGER,
        status          TEXT NOT NULL
                        CHECK (status IN ('running', 'completed', 'partial', 'failed')),
        preferred_copy  INTEGER,
        verified        INTEGER NOT NULL CHECK (verified IN (0, 1))
    );
    CREATE TABLE jobs (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        source          TEXT NOT NULL,
        lba             INTEGER NOT NULL,
        blocks          INTEGER,        -- NULL: to the end of the source
        mode            TEXT NOT NULL CHECK (mode IN ('failover', 'mirror')),
        segment_bytes   INTEGER NOT NULL,
        streams         INTEGER NOT NULL,
        target          TEXT NOT NULL CHECK (target IN ('tape', 'disk')),
        target_disks    TEXT,           -- JSON array of names, for 'disk'
        target_lba      INTEGER,        -- for 'disk'
        every_seconds   INTEGER,        -- NULL: run by hand only
        next_due        INTEGER,
        last_backup     INTEGER REFERENCES backups(id),
        CHECK ((target = 'tape') = (target_disks IS NULL AND target_lba IS NULL))
    );
    CREATE TABLE segments (
        backup          INTEGER NOT NULL REFERENCES backups(id),
        copy            INTEGER NOT NULL,
        seg_index       INTEGER NOT NULL,
        source_lba      INTEGER NOT NULL,
        blocks          INTEGER NOT NULL,
        bytes           INTEGER NOT NULL,
        stream          INTEGER NOT NULL,
        mover_device    TEXT NOT NULL,
        mover           TEXT NOT NULL CHECK (mover IN ('xcopy', 'host')),
        place           TEXT NOT NULL CHECK (place IN ('tape', 'disk')),
        -- place = 'tape'
        library         TEXT,
        drive           TEXT,
        barcode         TEXT,
        block_length    INTEGER,
        first_block     INTEGER,
        last_block      INTEGER,
        verified        INTEGER CHECK (verified IN (0, 1)),
        -- place = 'disk'
        disk            TEXT,
        designator      TEXT,
        lba             INTEGER,
        crc32c          INTEGER,
        completed       INTEGER NOT NULL,
        PRIMARY KEY (backup, copy, seg_index),
        CHECK (place <> 'tape' OR (library IS NOT NULL AND drive IS NOT NULL
            AND barcode IS NOT NULL AND block_length IS NOT NULL
            AND (first_block IS NULL) = (last_block IS NULL)
            AND verified IS NOT NULL)),
        CHECK (place <> 'disk' OR (disk IS NOT NULL AND designator IS NOT NULL
            AND lba IS NOT NULL))
    );
    CREATE INDEX segments_by_barcode ON segments(barcode) WHERE barcode IS NOT NULL;
    CREATE TABLE stream_events (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        backup          INTEGER NOT NULL REFERENCES backups(id),
        stream          INTEGER NOT NULL,
        failed_at       INTEGER,        -- NULL: the stream completed
        segments_done   INTEGER NOT NULL,
        reason          TEXT NOT NULL,
        at              INTEGER NOT NULL
    );
    CREATE INDEX stream_events_by_backup ON stream_events(backup);
    "#,
    // 2: who runs a backup (so `backup --resume` never takes over one that
    // a live process runs), retention (so a tape whose backups expired may
    // be written over), and the catalog's identity (written in tape maps,
    // so a tape of another catalog is protected).
    r#"
    ALTER TABLE backups ADD COLUMN holder INTEGER REFERENCES holders(id);
    ALTER TABLE backups ADD COLUMN retain_until INTEGER;   -- NULL: for good
    ALTER TABLE jobs ADD COLUMN retention INTEGER;         -- seconds; NULL: for good
    CREATE TABLE catalog_meta (
        key     TEXT PRIMARY KEY,
        value   TEXT NOT NULL
    );
    INSERT INTO catalog_meta (key, value) VALUES ('id', lower(hex(randomblob(16))));
    "#,
    // 3: heartbeats, as PostgreSQL's catalog has them (a holder judged by
    // its heartbeat where its process cannot be seen).
    r#"
    ALTER TABLE holders ADD COLUMN heartbeat INTEGER NOT NULL DEFAULT 0;
    UPDATE holders SET heartbeat = since;
    "#,
];

/// The schema version this code writes.
pub fn schema_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// The catalog in one SQLite file (or in memory, for tests).
pub struct SqliteStore {
    conn: Mutex<Connection>,
    location: String,
}

/// A rusqlite result in the catalog's words.
trait Backend<T> {
    fn at(self, location: &str) -> Result<T, StoreError>;
}

impl<T> Backend<T> for rusqlite::Result<T> {
    fn at(self, location: &str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Backend {
            location: location.to_string(),
            message: e.to_string(),
        })
    }
}

impl SqliteStore {
    /// Opens the catalog at `path`, creating the file and its directory on
    /// first use, and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let location = format!("sqlite:{}", path.display());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Backend {
                location: location.clone(),
                message: format!("cannot create the directory {}: {e}", dir.display()),
            })?;
        }
        // A new catalog is created readable by its owner only (0600): it
        // names every tape, device and backup of the site. SQLite gives
        // its -wal and -shm files the database's permissions.
        {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|e| StoreError::Backend {
                    location: location.clone(),
                    message: format!("cannot create {}: {e}", path.display()),
                })?;
        }
        let conn = Connection::open(path).at(&location)?;
        conn.busy_timeout(BUSY_TIMEOUT).at(&location)?;
        // Switching to WAL takes an exclusive lock, and SQLite answers BUSY
        // at once (not through the busy handler) when another connection
        // holds the file — as when several processes open a new catalog at
        // the same moment: wait and ask again, up to the busy time-out.
        let mode: String =
            busy_retry(|| conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)))
                .at(&location)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend {
                location,
                message: format!(
                    "SQLite would not use WAL mode here (journal mode {mode:?}); put the catalog on a local file system"
                ),
            });
        }
        Self::setup(conn, location)
    }

    /// A catalog in memory, gone when dropped (for tests).
    pub fn memory() -> Result<Self, StoreError> {
        let location = "sqlite::memory:".to_string();
        let conn = Connection::open_in_memory().at(&location)?;
        Self::setup(conn, location)
    }

    /// The path of a file catalog (`None` in memory).
    pub fn path(&self) -> Option<PathBuf> {
        self.location
            .strip_prefix("sqlite:")
            .filter(|p| *p != ":memory:")
            .map(PathBuf::from)
    }

    fn setup(conn: Connection, location: String) -> Result<Self, StoreError> {
        // FULL, not NORMAL: in WAL mode NORMAL syncs only at checkpoints,
        // so a power loss may take back the last commits. A segment record
        // must survive once `record_segment` returns (the engine goes on to
        // the next segment, and the data it names is on the medium), and a
        // claim must not come back undone after another process saw it.
        // The price is one fsync of the WAL per write: small beside a
        // segment's copy.
        busy_retry(|| conn.pragma_update(None, "synchronous", "FULL")).at(&location)?;
        busy_retry(|| conn.pragma_update(None, "foreign_keys", true)).at(&location)?;
        let store = SqliteStore {
            conn: Mutex::new(conn),
            location,
        };
        store.migrate()?;
        Ok(store)
    }

    /// Applies the migrations the file lacks, in one transaction (two
    /// processes opening a new file at once: the second finds it done).
    fn migrate(&self) -> Result<(), StoreError> {
        let supported = schema_version();
        let loc = self.location.clone();
        let found: i64 = self
            .lock()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .at(&loc)?;
        if found > supported {
            return Err(StoreError::TooNew {
                location: loc,
                found,
                supported,
            });
        }
        if found == supported {
            return Ok(());
        }
        self.write(|tx| {
            let found: i64 = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .at(&loc)?;
            if found > supported {
                return Err(StoreError::TooNew {
                    location: loc.clone(),
                    found,
                    supported,
                });
            }
            let start = usize::try_from(found).unwrap_or(0);
            for (i, step) in MIGRATIONS.iter().enumerate().skip(start) {
                tx.execute_batch(step).at(&loc)?;
                tx.pragma_update(None, "user_version", i as i64 + 1)
                    .at(&loc)?;
            }
            Ok(())
        })
    }

    /// The connection (a panic elsewhere while holding it leaves no
    /// transaction open: a dropped transaction rolls back).
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction (the write lock taken
    /// before the first read) and commits it.
    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(TransactionBehavior::Immediate, f)
    }

    /// Runs `f` in one read transaction (a consistent snapshot).
    fn read<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(TransactionBehavior::Deferred, f)
    }

    /// Runs `f` in one transaction begun as `behavior`; commits if it
    /// succeeds, rolls back (on drop) if it fails.
    fn transaction<T>(
        &self,
        behavior: TransactionBehavior,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(behavior)
            .at(&self.location)?;
        let out = f(&tx)?;
        tx.commit().at(&self.location)?;
        Ok(out)
    }
}

// ---- enums as words

/// An enum stored as one word.
trait Word: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn word(self) -> &'static str;
    fn from_word(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.word() == s)
    }
}

impl Word for Mode {
    const ALL: &'static [Self] = &[Mode::Failover, Mode::Mirror];
    fn word(self) -> &'static str {
        match self {
            Mode::Failover => "failover",
            Mode::Mirror => "mirror",
        }
    }
}

impl Word for BackupStatus {
    const ALL: &'static [Self] = &[
        BackupStatus::Running,
        BackupStatus::Completed,
        BackupStatus::Partial,
        BackupStatus::Failed,
    ];
    fn word(self) -> &'static str {
        match self {
            BackupStatus::Running => "running",
            BackupStatus::Completed => "completed",
            BackupStatus::Partial => "partial",
            BackupStatus::Failed => "failed",
        }
    }
}

impl Word for MoverKind {
    const ALL: &'static [Self] = &[MoverKind::Xcopy, MoverKind::Host];
    fn word(self) -> &'static str {
        match self {
            MoverKind::Xcopy => "xcopy",
            MoverKind::Host => "host",
        }
    }
}

/// A word column read back.
struct W<T>(T);

impl<T: Word> FromSql for W<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        T::from_word(s)
            .map(W)
            .ok_or_else(|| FromSqlError::Other(format!("unknown value {s:?}").into()))
    }
}

/// A word column written.
fn w<T: Word>(v: T) -> ToSqlOutput<'static> {
    ToSqlOutput::Borrowed(ValueRef::Text(v.word().as_bytes()))
}

/// A row's column that must hold a value because of another column.
fn required<T>(col: &str, v: Option<T>) -> rusqlite::Result<T> {
    v.ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Null,
            format!("column {col} is empty where its row needs a value").into(),
        )
    })
}

// ---- rows

const HOLDER_COLS: &str = "id, host, pid, pid_start, since, purpose, heartbeat";

fn holder_row(row: &Row<'_>) -> rusqlite::Result<Holder> {
    Ok(Holder {
        id: row.get("id")?,
        host: row.get("host")?,
        pid: row.get("pid")?,
        pid_start: row.get("pid_start")?,
        since: row.get("since")?,
        purpose: row.get("purpose")?,
        heartbeat: row.get("heartbeat")?,
    })
}

const JOB_COLS: &str = "id, name, source, lba, blocks, mode, segment_bytes, streams, target, \
     target_disks, target_lba, every_seconds, next_due, last_backup, retention";

fn job_row(row: &Row<'_>) -> rusqlite::Result<Job> {
    let target: String = row.get("target")?;
    let target = match target.as_str() {
        "tape" => Target::Tape,
        _ => {
            let disks: Option<String> = row.get("target_disks")?;
            let disks = required("target_disks", disks)?;
            let disks: Vec<String> = serde_json::from_str(&disks).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?;
            let lba: Option<u64> = row.get("target_lba")?;
            Target::Disk {
                disks,
                lba: required("target_lba", lba)?,
            }
        }
    };
    let every: Option<i64> = row.get("every_seconds")?;
    Ok(Job {
        id: row.get("id")?,
        name: row.get("name")?,
        source: row.get("source")?,
        lba: row.get("lba")?,
        blocks: row.get("blocks")?,
        mode: row.get::<_, W<Mode>>("mode")?.0,
        segment_bytes: row.get("segment_bytes")?,
        streams: row.get("streams")?,
        target,
        schedule: match every {
            None => Schedule::Manual,
            Some(seconds) => Schedule::Interval { seconds },
        },
        next_due: row.get("next_due")?,
        last_backup: row.get("last_backup")?,
        retention: row.get("retention")?,
    })
}

const BACKUP_COLS: &str = "id, job, source, designator, lba, blocks, block_length, mode, \
     segment_bytes, segments, streams, started, ended, status, preferred_copy, verified, \
     holder, retain_until";

fn backup_row(row: &Row<'_>) -> rusqlite::Result<Backup> {
    Ok(Backup {
        id: row.get("id")?,
        job: row.get("job")?,
        object: Object {
            source: row.get("source")?,
            designator: row.get("designator")?,
            lba: row.get("lba")?,
            blocks: row.get("blocks")?,
            block_length: row.get("block_length")?,
        },
        mode: row.get::<_, W<Mode>>("mode")?.0,
        segment_bytes: row.get("segment_bytes")?,
        segments: row.get("segments")?,
        streams: row.get("streams")?,
        started: row.get("started")?,
        ended: row.get("ended")?,
        status: row.get::<_, W<BackupStatus>>("status")?.0,
        preferred_copy: row.get("preferred_copy")?,
        verified: row.get("verified")?,
        holder: row.get("holder")?,
        retain_until: row.get("retain_until")?,
    })
}

const SEGMENT_COLS: &str = "backup, copy, seg_index, source_lba, blocks, bytes, stream, \
     mover_device, mover, place, library, drive, barcode, block_length, first_block, \
     last_block, verified, disk, designator, lba, crc32c, completed";

/// A row of `SELECT {SEGMENT_COLS}`, its columns by position (in the order
/// of [`SEGMENT_COLS`]: finding each by name cost a quarter of writing a
/// backup's tape map, benches/engine.rs).
fn segment_row(row: &Row<'_>) -> rusqlite::Result<SegmentRecord> {
    let kind: String = row.get(9)?;
    let place = if kind == "tape" {
        Place::Tape {
            library: required("library", row.get(10)?)?,
            drive: required("drive", row.get(11)?)?,
            barcode: required("barcode", row.get(12)?)?,
            block_length: required("block_length", row.get(13)?)?,
            first_block: row.get(14)?,
            last_block: row.get(15)?,
            verified: required("verified", row.get(16)?)?,
        }
    } else {
        Place::Disk {
            disk: required("disk", row.get(17)?)?,
            designator: required("designator", row.get(18)?)?,
            lba: required("lba", row.get(19)?)?,
        }
    };
    Ok(SegmentRecord {
        backup: row.get(0)?,
        copy: row.get(1)?,
        index: row.get(2)?,
        source_lba: row.get(3)?,
        blocks: row.get(4)?,
        bytes: row.get(5)?,
        stream: row.get(6)?,
        mover_device: row.get(7)?,
        mover: row.get::<_, W<MoverKind>>(8)?.0,
        place,
        crc32c: row.get(20)?,
        completed: row.get(21)?,
    })
}

const STREAM_COLS: &str = "backup, stream, failed_at, segments_done, reason, at";

fn stream_row(row: &Row<'_>) -> rusqlite::Result<StreamEvent> {
    Ok(StreamEvent {
        backup: row.get("backup")?,
        stream: row.get("stream")?,
        failed_at: row.get("failed_at")?,
        segments_done: row.get("segments_done")?,
        reason: row.get("reason")?,
        at: row.get("at")?,
    })
}

// ---- statements used by more than one method

fn holder_by_id(tx: &Connection, id: HolderId) -> rusqlite::Result<Option<(Holder, bool)>> {
    tx.query_row(
        &format!("SELECT {HOLDER_COLS}, ended FROM holders WHERE id = ?1"),
        [id],
        |r| Ok((holder_row(r)?, r.get::<_, Option<i64>>("ended")?.is_some())),
    )
    .optional()
}

fn backup_exists(tx: &Connection, id: BackupId) -> rusqlite::Result<bool> {
    // Asked once per segment recorded: kept prepared (as the other
    // per-segment statements), which halved a dry backup's cost per
    // segment (benches/engine.rs).
    tx.prepare_cached("SELECT 1 FROM backups WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()
        .map(|o| o.is_some())
}

/// Deletes `holder`'s leases (those on `resources`, or all) and records
/// each in the history with `note`; returns the resources released.
fn release_in(
    tx: &Connection,
    holder: HolderId,
    resources: Option<&[String]>,
    note: Option<&str>,
    at: Timestamp,
) -> rusqlite::Result<Vec<String>> {
    let mut held: Vec<(String, u8)> = {
        let mut st = tx.prepare(
            "SELECT resource, stream FROM leases WHERE holder = ?1 ORDER BY since, resource, stream",
        )?;
        let rows = st.query_map([holder], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if let Some(only) = resources {
        held.retain(|(r, _)| only.contains(r));
    }
    let mut out = Vec::new();
    for (resource, stream) in held {
        tx.execute(
            "DELETE FROM leases WHERE resource = ?1 AND holder = ?2 AND stream = ?3",
            params![resource, holder, stream],
        )?;
        tx.execute(
            "INSERT INTO lease_events (at, resource, holder, stream, event, note) \
             VALUES (?1, ?2, ?3, ?4, 'released', ?5)",
            params![at, resource, holder, stream, note],
        )?;
        if !out.contains(&resource) {
            out.push(resource);
        }
    }
    Ok(out)
}

/// The query of a backup's segments, in the order of [`Store::backup`].
const SEGMENTS_OF: &str = "FROM segments WHERE backup = ?1 ORDER BY copy, seg_index";

fn detail_in(tx: &Connection, id: BackupId) -> rusqlite::Result<Option<BackupDetail>> {
    let Some(mut d) = head_in(tx, id)? else {
        return Ok(None);
    };
    let mut st = tx.prepare(&format!("SELECT {SEGMENT_COLS} {SEGMENTS_OF}"))?;
    let rows = st.query_map([id], segment_row)?;
    d.segments = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(d))
}

/// A backup and its stream events, without its segments.
fn head_in(tx: &Connection, id: BackupId) -> rusqlite::Result<Option<BackupDetail>> {
    let Some(backup) = tx
        .query_row(
            &format!("SELECT {BACKUP_COLS} FROM backups WHERE id = ?1"),
            [id],
            backup_row,
        )
        .optional()?
    else {
        return Ok(None);
    };
    let streams = {
        let mut st = tx.prepare(&format!(
            "SELECT {STREAM_COLS} FROM stream_events WHERE backup = ?1 ORDER BY seq"
        ))?;
        let rows = st.query_map([id], stream_row)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    Ok(Some(BackupDetail {
        backup,
        segments: Vec::new(),
        streams,
    }))
}

fn insert_backup(tx: &Connection, id: Option<BackupId>, b: &Backup) -> rusqlite::Result<BackupId> {
    tx.execute(
        &format!(
            "INSERT INTO backups ({BACKUP_COLS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
             ?17, ?18)"
        ),
        params![
            id,
            b.job,
            b.object.source,
            b.object.designator,
            b.object.lba,
            b.object.blocks,
            b.object.block_length,
            w(b.mode),
            b.segment_bytes,
            b.segments,
            b.streams,
            b.started,
            b.ended,
            w(b.status),
            b.preferred_copy,
            b.verified,
            b.holder,
            b.retain_until,
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn insert_segment(tx: &Connection, s: &SegmentRecord) -> rusqlite::Result<()> {
    let none_s: Option<&str> = None;
    let none_n: Option<u64> = None;
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
            Some(*block_length),
            *first_block,
            *last_block,
            Some(*verified),
        ),
        Place::Disk { .. } => ("disk", None, None, None, None, None, None, None),
    };
    let (disk, designator, lba) = match &s.place {
        Place::Disk {
            disk,
            designator,
            lba,
        } => (Some(disk.as_str()), Some(designator.as_str()), Some(*lba)),
        Place::Tape { .. } => (none_s, none_s, none_n),
    };
    tx.prepare_cached(&format!(
        "INSERT INTO segments ({SEGMENT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
         ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
    ))?
    .execute(params![
        s.backup,
        s.copy,
        s.index,
        s.source_lba,
        s.blocks,
        s.bytes,
        s.stream,
        s.mover_device,
        w(s.mover),
        place,
        library,
        drive,
        barcode,
        block_length,
        first,
        last,
        verified,
        disk,
        designator,
        lba,
        s.crc32c,
        s.completed,
    ])?;
    Ok(())
}

fn insert_stream(tx: &Connection, e: &StreamEvent) -> rusqlite::Result<()> {
    tx.execute(
        &format!("INSERT INTO stream_events ({STREAM_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![
            e.backup,
            e.stream,
            e.failed_at,
            e.segments_done,
            e.reason,
            e.at
        ],
    )?;
    Ok(())
}

impl Store for SqliteStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn unusable(&self) -> Result<Vec<(String, String)>, StoreError> {
        let loc = &self.location;
        self.read(|tx| {
            let mut st = tx
                .prepare("SELECT resource, reason FROM unusable ORDER BY resource")
                .at(loc)?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).at(loc)?;
            rows.collect::<rusqlite::Result<_>>().at(loc)
        })
    }

    fn set_unusable(&self, resource: &str, unusable: Option<&str>) -> Result<(), StoreError> {
        let loc = &self.location;
        self.write(|tx| {
            match unusable {
                Some(reason) => tx.execute(
                    "INSERT INTO unusable (resource, reason, since) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (resource) DO UPDATE SET reason = excluded.reason",
                    params![resource, reason, now()],
                ),
                None => tx.execute("DELETE FROM unusable WHERE resource = ?1", [resource]),
            }
            .at(loc)?;
            Ok(())
        })
    }

    fn register(&self, holder: &Holder) -> Result<Holder, StoreError> {
        let loc = &self.location;
        let beat = now();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO holders (host, pid, pid_start, since, purpose, heartbeat) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    holder.host,
                    holder.pid,
                    holder.pid_start,
                    holder.since,
                    holder.purpose,
                    beat
                ],
            )
            .at(loc)?;
            Ok(Holder {
                id: tx.last_insert_rowid(),
                heartbeat: beat,
                ..holder.clone()
            })
        })
    }

    fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        let loc = &self.location;
        self.read(|tx| {
            let mut st = tx
                .prepare(
                    "SELECT l.resource, l.stream, l.exclusive, l.since AS lease_since, \
                     h.id, h.host, h.pid, h.pid_start, h.since, h.purpose, h.heartbeat \
                     FROM leases l JOIN holders h ON h.id = l.holder \
                     ORDER BY l.resource, h.id, l.stream",
                )
                .at(loc)?;
            let rows = st
                .query_map([], |r| {
                    Ok(Lease {
                        resource: r.get("resource")?,
                        holder: holder_row(r)?,
                        stream: r.get("stream")?,
                        exclusive: r.get("exclusive")?,
                        since: r.get("lease_since")?,
                    })
                })
                .at(loc)?;
            rows.collect::<rusqlite::Result<_>>().at(loc)
        })
    }

    fn claim(&self, holder: HolderId, claims: &[Claim]) -> Result<(), StoreError> {
        let loc = &self.location;
        // Everything below runs under the write lock: no other process can
        // take a lease between a check and the insert it allows. Any error
        // returns before the commit, so the transaction rolls back and no
        // lease of this call stays.
        self.write(|tx| {
            match holder_by_id(tx, holder).at(loc)? {
                Some((_, false)) => {}
                Some((h, true)) => {
                    return Err(StoreError::Invalid(format!(
                        "holder {holder} ({h}) is no longer registered and cannot claim resources"
                    )))
                }
                None => {
                    return Err(StoreError::Invalid(format!(
                        "there is no holder {holder}; register before claiming"
                    )))
                }
            }
            let at = now();
            for c in claims {
                let reason: Option<String> = tx
                    .query_row(
                        "SELECT reason FROM unusable WHERE resource = ?1",
                        [&c.resource],
                        |r| r.get(0),
                    )
                    .optional()
                    .at(loc)?;
                if let Some(reason) = reason {
                    return Err(StoreError::Invalid(format!(
                        "{} is marked unusable ({reason}); mark it usable again before claiming it",
                        c.resource
                    )));
                }
                let held: Vec<(HolderId, u8, bool)> = {
                    let mut st = tx
                        .prepare(
                            "SELECT holder, stream, exclusive FROM leases WHERE resource = ?1 \
                             ORDER BY since, holder",
                        )
                        .at(loc)?;
                    let rows = st
                        .query_map([&c.resource], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .at(loc)?;
                    rows.collect::<rusqlite::Result<_>>().at(loc)?
                };
                // Another holder in the way.
                if let Some((other, _, _)) = held
                    .iter()
                    .find(|(h, _, excl)| *h != holder && (c.exclusive || *excl))
                {
                    let by = holder_by_id(tx, *other)
                        .at(loc)?
                        .map(|(h, _)| h)
                        .ok_or_else(|| {
                            StoreError::Invalid(format!(
                                "{} is leased to holder {other}, which is not in the catalog",
                                c.resource
                            ))
                        })?;
                    return Err(StoreError::Taken {
                        resource: c.resource.clone(),
                        by,
                    });
                }
                // This holder has it already.
                let mine: Vec<&(HolderId, u8, bool)> =
                    held.iter().filter(|(h, _, _)| *h == holder).collect();
                if let Some((_, _, excl)) = mine.iter().find(|(_, s, _)| *s == c.stream) {
                    if *excl == c.exclusive {
                        continue; // the same claim again: nothing to do
                    }
                    return Err(StoreError::Invalid(format!(
                        "holder {holder} holds {} for stream {} already, {}",
                        c.resource,
                        c.stream,
                        if *excl { "exclusively" } else { "shared" }
                    )));
                }
                if let Some((_, s, _)) = mine.iter().find(|(_, _, excl)| c.exclusive || *excl) {
                    return Err(StoreError::Invalid(format!(
                        "holder {holder} holds {} for stream {s} already; one exclusive resource serves one stream",
                        c.resource
                    )));
                }
                tx.execute(
                    "INSERT INTO leases (resource, holder, stream, exclusive, since) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![c.resource, holder, c.stream, c.exclusive, at],
                )
                .at(loc)?;
                tx.execute(
                    "INSERT INTO lease_events (at, resource, holder, stream, event) \
                     VALUES (?1, ?2, ?3, ?4, 'taken')",
                    params![at, c.resource, holder, c.stream],
                )
                .at(loc)?;
            }
            Ok(())
        })
    }

    fn release(&self, holder: HolderId, resources: Option<&[String]>) -> Result<(), StoreError> {
        let loc = &self.location;
        self.write(|tx| {
            release_in(tx, holder, resources, None, now()).at(loc)?;
            Ok(())
        })
    }

    fn unregister(&self, holder: HolderId) -> Result<(), StoreError> {
        let loc = &self.location;
        self.write(|tx| {
            if holder_by_id(tx, holder).at(loc)?.is_none() {
                return Err(StoreError::Invalid(format!(
                    "there is no holder {holder} to unregister"
                )));
            }
            let at = now();
            release_in(tx, holder, None, None, at).at(loc)?;
            tx.execute(
                "UPDATE holders SET ended = ?2, ended_how = 'unregistered' \
                 WHERE id = ?1 AND ended IS NULL",
                params![holder, at],
            )
            .at(loc)?;
            Ok(())
        })
    }

    fn reap(
        &self,
        alive: &dyn Fn(&Holder) -> bool,
    ) -> Result<Vec<(Holder, Vec<String>)>, StoreError> {
        let loc = &self.location;
        self.write(|tx| {
            let holders: Vec<Holder> = {
                let mut st = tx
                    .prepare(&format!(
                        "SELECT {HOLDER_COLS} FROM holders WHERE ended IS NULL ORDER BY id"
                    ))
                    .at(loc)?;
                let rows = st.query_map([], holder_row).at(loc)?;
                rows.collect::<rusqlite::Result<_>>().at(loc)?
            };
            let at = now();
            let mut dead = Vec::new();
            for h in holders.into_iter().filter(|h| !alive(h)) {
                let held = release_in(tx, h.id, None, Some("holder died"), at).at(loc)?;
                tx.execute(
                    "UPDATE holders SET ended = ?2, ended_how = 'died' WHERE id = ?1",
                    params![h.id, at],
                )
                .at(loc)?;
                dead.push((h, held));
            }
            Ok(dead)
        })
    }

    fn lease_history(&self) -> Result<Vec<LeaseEvent>, StoreError> {
        let loc = &self.location;
        self.read(|tx| {
            let mut st = tx
                .prepare(
                    "SELECT at, resource, holder, stream, event, note FROM lease_events \
                     ORDER BY seq",
                )
                .at(loc)?;
            let rows = st
                .query_map([], |r| {
                    Ok(LeaseEvent {
                        at: r.get("at")?,
                        resource: r.get("resource")?,
                        holder: r.get("holder")?,
                        stream: r.get("stream")?,
                        taken: r.get::<_, String>("event")? == "taken",
                        note: r.get("note")?,
                    })
                })
                .at(loc)?;
            rows.collect::<rusqlite::Result<_>>().at(loc)
        })
    }

    fn heartbeat(&self, holder: HolderId) -> Result<(), StoreError> {
        let loc = &self.location;
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE holders SET heartbeat = ?2 WHERE id = ?1 AND ended IS NULL",
                    params![holder, now()],
                )
                .at(loc)?;
            if n == 1 {
                return Ok(());
            }
            let ended = tx
                .query_row(
                    &format!("SELECT {HOLDER_COLS}, ended_how FROM holders WHERE id = ?1"),
                    [holder],
                    |r| Ok((holder_row(r)?, r.get::<_, Option<String>>("ended_how")?)),
                )
                .optional()
                .at(loc)?;
            match ended {
                Some((h, how)) => Err(StoreError::Released {
                    holder: Box::new(h),
                    how: how.unwrap_or_else(|| "ended".into()),
                }),
                None => Err(StoreError::Invalid(format!(
                    "there is no holder {holder} to beat for"
                ))),
            }
        })
    }

    fn add_job(&self, job: &Job) -> Result<JobId, StoreError> {
        let loc = &self.location;
        super::check_job(job)?;
        let (target, disks, target_lba) = match &job.target {
            Target::Tape => ("tape", None, None),
            Target::Disk { disks, lba } => (
                "disk",
                Some(serde_json::to_string(disks).map_err(|e| {
                    StoreError::Invalid(format!("the job's disks cannot be written: {e}"))
                })?),
                Some(*lba),
            ),
        };
        let every = match job.schedule {
            Schedule::Manual => None,
            Schedule::Interval { seconds } => Some(seconds),
        };
        self.write(|tx| {
            let exists = tx
                .query_row(
                    "SELECT 1 FROM jobs WHERE name = ?1",
                    [&job.name],
                    |_| Ok(()),
                )
                .optional()
                .at(loc)?;
            if exists.is_some() {
                return Err(StoreError::JobExists(job.name.clone()));
            }
            if let Some(b) = job.last_backup {
                if !backup_exists(tx, b).at(loc)? {
                    return Err(StoreError::NoSuchBackup { id: b });
                }
            }
            tx.execute(
                "INSERT INTO jobs (name, source, lba, blocks, mode, segment_bytes, streams, \
                 target, target_disks, target_lba, every_seconds, next_due, last_backup, \
                 retention) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    job.name,
                    job.source,
                    job.lba,
                    job.blocks,
                    w(job.mode),
                    job.segment_bytes,
                    job.streams,
                    target,
                    disks,
                    target_lba,
                    every,
                    job.next_due,
                    job.last_backup,
                    job.retention,
                ],
            )
            .at(loc)?;
            Ok(tx.last_insert_rowid())
        })
    }

    fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        let loc = &self.location;
        self.read(|tx| {
            let mut st = tx
                .prepare(&format!("SELECT {JOB_COLS} FROM jobs ORDER BY id"))
                .at(loc)?;
            let rows = st.query_map([], job_row).at(loc)?;
            rows.collect::<rusqlite::Result<_>>().at(loc)
        })
    }

    fn job_ran(
        &self,
        id: JobId,
        backup: Option<BackupId>,
        next_due: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let loc = &self.location;
        self.write(|tx| {
            if let Some(b) = backup {
                if !backup_exists(tx, b).at(loc)? {
                    return Err(StoreError::NoSuchBackup { id: b });
                }
            }
            // A run that made no backup (it failed before one began) keeps
            // the job's last backup.
            let n = tx
                .execute(
                    "UPDATE jobs SET last_backup = COALESCE(?2, last_backup), next_due = ?3 \
                     WHERE id = ?1",
                    params![id, backup, next_due],
                )
                .at(loc)?;
            if n == 0 {
                return Err(StoreError::NoSuchJob(format!("#{id}")));
            }
            Ok(())
        })
    }

    fn begin_backup(&self, backup: &Backup) -> Result<BackupId, StoreError> {
        let loc = &self.location;
        self.write(|tx| {
            if let Some(job) = backup.job {
                let exists = tx
                    .query_row("SELECT 1 FROM jobs WHERE id = ?1", [job], |_| Ok(()))
                    .optional()
                    .at(loc)?;
                if exists.is_none() {
                    return Err(StoreError::NoSuchJob(format!("#{job}")));
                }
            }
            // A job's retention period counts from the backup's start.
            let retain_until = match (backup.retain_until, backup.job) {
                (Some(t), _) => Some(t),
                (None, Some(job)) => tx
                    .query_row("SELECT retention FROM jobs WHERE id = ?1", [job], |r| {
                        r.get::<_, Option<i64>>(0)
                    })
                    .at(loc)?
                    .map(|r| backup.started.saturating_add(r)),
                (None, None) => None,
            };
            let b = Backup {
                status: BackupStatus::Running,
                ended: None,
                preferred_copy: None,
                retain_until,
                ..backup.clone()
            };
            insert_backup(tx, None, &b).at(loc)
        })
    }

    fn record_segment(&self, record: &SegmentRecord) -> Result<(), StoreError> {
        let loc = &self.location;
        check_segment(record)?;
        // One transaction, committed (and with synchronous = FULL, synced)
        // before this returns.
        self.write(|tx| {
            if !backup_exists(tx, record.backup).at(loc)? {
                return Err(StoreError::NoSuchBackup { id: record.backup });
            }
            // The primary key (backup, copy, seg_index) refuses a second
            // record of a segment: no look-up first.
            insert_segment(tx, record).map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
                {
                    StoreError::Invalid(format!(
                        "segment {} of copy {} of backup {} is recorded already; a record is never replaced",
                        record.index, record.copy, record.backup
                    ))
                }
                e => StoreError::Backend {
                    location: loc.to_string(),
                    message: e.to_string(),
                },
            })
        })
    }

    fn record_stream(&self, event: &StreamEvent) -> Result<(), StoreError> {
        let loc = &self.location;
        self.write(|tx| {
            if !backup_exists(tx, event.backup).at(loc)? {
                return Err(StoreError::NoSuchBackup { id: event.backup });
            }
            insert_stream(tx, event).at(loc)
        })
    }

    fn finish_backup(
        &self,
        id: BackupId,
        status: BackupStatus,
        preferred_copy: Option<u8>,
        ended: Timestamp,
    ) -> Result<(), StoreError> {
        let loc = &self.location;
        if status == BackupStatus::Running {
            return Err(StoreError::Invalid(format!(
                "backup {id} cannot finish with status running"
            )));
        }
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE backups SET status = ?2, preferred_copy = ?3, ended = ?4, holder = NULL \
                     WHERE id = ?1",
                    params![id, w(status), preferred_copy, ended],
                )
                .at(loc)?;
            if n == 0 {
                return Err(StoreError::NoSuchBackup { id });
            }
            Ok(())
        })
    }

    fn backups(&self) -> Result<Vec<Backup>, StoreError> {
        let loc = &self.location;
        self.read(|tx| {
            let mut st = tx
                .prepare(&format!(
                    "SELECT {BACKUP_COLS} FROM backups ORDER BY started, id"
                ))
                .at(loc)?;
            let rows = st.query_map([], backup_row).at(loc)?;
            rows.collect::<rusqlite::Result<_>>().at(loc)
        })
    }

    fn backup(&self, id: BackupId) -> Result<BackupDetail, StoreError> {
        let loc = &self.location;
        self.read(|tx| {
            detail_in(tx, id)
                .at(loc)?
                .ok_or(StoreError::NoSuchBackup { id })
        })
    }

    fn backup_without_segments(&self, id: BackupId) -> Result<BackupDetail, StoreError> {
        let loc = &self.location;
        self.read(|tx| {
            head_in(tx, id)
                .at(loc)?
                .ok_or(StoreError::NoSuchBackup { id })
        })
    }

    /// One query, its rows read one at a time, in one read transaction.
    fn each_segment(
        &self,
        id: BackupId,
        f: &mut dyn FnMut(&SegmentRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let loc = &self.location;
        self.read(|tx| {
            if head_in(tx, id).at(loc)?.is_none() {
                return Err(StoreError::NoSuchBackup { id });
            }
            let mut st = tx
                .prepare_cached(&format!("SELECT {SEGMENT_COLS} {SEGMENTS_OF}"))
                .at(loc)?;
            let mut rows = st.query_map([id], segment_row).at(loc)?;
            rows.try_for_each(|r| f(&r.at(loc)?))
        })
    }

    /// Inserts a backup read back from tape with its own id, segments and
    /// stream events, in one transaction. An id already in the catalog is
    /// an error ([`StoreError::Invalid`]) unless what the catalog holds is
    /// equal to `detail` (segments compared by copy and index, stream
    /// events in order): then nothing is written and the import succeeds,
    /// so reading the same tape twice, or two tapes carrying the same map,
    /// is harmless.
    fn import(&self, detail: &BackupDetail) -> Result<(), StoreError> {
        let loc = &self.location;
        let id = detail.backup.id;
        super::check_import(detail)?;
        self.write(|tx| {
            if let Some(have) = detail_in(tx, id).at(loc)? {
                if normalized(&have) == normalized(detail) {
                    return Ok(());
                }
                return Err(StoreError::Invalid(format!(
                    "backup {id} is in the catalog already with other content; it was not imported"
                )));
            }
            let backup = Backup {
                holder: None,
                ..detail.backup.clone()
            };
            insert_backup(tx, Some(id), &backup).at(loc)?;
            let mut seen = std::collections::HashSet::new();
            for s in &detail.segments {
                if !seen.insert((s.copy, s.index)) {
                    return Err(StoreError::Invalid(format!(
                        "the map of backup {id} holds segment {} of copy {} twice",
                        s.index, s.copy
                    )));
                }
                insert_segment(tx, s).at(loc)?;
            }
            for e in &detail.streams {
                insert_stream(tx, e).at(loc)?;
            }
            Ok(())
        })
    }

    fn tapes_in_use(&self) -> Result<Vec<String>, StoreError> {
        let loc = &self.location;
        let now = now();
        // One index lookup per tape (segments_by_barcode holds every tape
        // segment's barcode), not a scan of every segment of every backup:
        // asked at each backup's start, on a catalog that only grows. A
        // tape whose backups all expired is looked at once more, to see
        // that none of them is kept.
        self.read(|tx| {
            let mut next_tape = tx
                .prepare(
                    "SELECT MIN(barcode) FROM segments WHERE barcode IS NOT NULL AND barcode > ?1",
                )
                .at(loc)?;
            let mut kept = tx
                .prepare(
                    "SELECT 1 FROM segments s JOIN backups b ON b.id = s.backup \
                     WHERE s.barcode = ?1 AND (b.retain_until IS NULL OR b.retain_until > ?2) \
                     LIMIT 1",
                )
                .at(loc)?;
            let mut out: Vec<String> = Vec::new();
            let mut after = String::new();
            loop {
                let next: Option<String> = next_tape.query_row([&after], |r| r.get(0)).at(loc)?;
                let Some(b) = next else {
                    return Ok(out);
                };
                if kept.exists(params![b, now]).at(loc)? {
                    out.push(b.clone());
                }
                after = b;
            }
        })
    }

    fn resume_backup(&self, id: BackupId, holder: HolderId) -> Result<BackupDetail, StoreError> {
        let loc = &self.location;
        self.write(|tx| {
            let Some(d) = detail_in(tx, id).at(loc)? else {
                return Err(StoreError::NoSuchBackup { id });
            };
            if d.backup.status == BackupStatus::Completed {
                return Err(StoreError::NotResumable {
                    id,
                    why: "it completed; every segment is on a medium already".into(),
                });
            }
            if let Some(h) = d.backup.holder.filter(|h| *h != holder) {
                let by = tx
                    .query_row(
                        &format!(
                            "SELECT {HOLDER_COLS} FROM holders WHERE id = ?1 AND ended IS NULL"
                        ),
                        [h],
                        holder_row,
                    )
                    .optional()
                    .at(loc)?;
                if let Some(by) = by {
                    return Err(StoreError::InProgress { id, by });
                }
            }
            if !holder_registered(tx, holder).at(loc)? {
                return Err(StoreError::Invalid(format!(
                    "holder {holder} is not registered; register before resuming backup {id}"
                )));
            }
            tx.execute(
                "UPDATE backups SET status = 'running', ended = NULL, preferred_copy = NULL, \
                 holder = ?2 WHERE id = ?1",
                params![id, holder],
            )
            .at(loc)?;
            let mut d = d;
            d.backup.status = BackupStatus::Running;
            d.backup.ended = None;
            d.backup.preferred_copy = None;
            d.backup.holder = Some(holder);
            Ok(d)
        })
    }

    fn tape_overwritten(&self, barcode: &str, why: &str) -> Result<Vec<BackupId>, StoreError> {
        let loc = &self.location;
        let at = now();
        self.write(|tx| {
            // (backup, copy, first, last, count, stream) of what was there.
            let gone: Vec<(BackupId, u8, u64, u64, u64, u8)> = {
                let mut st = tx
                    .prepare(
                        "SELECT backup, copy, MIN(seg_index), MAX(seg_index), COUNT(*), MIN(stream) \
                         FROM segments WHERE barcode = ?1 GROUP BY backup, copy ORDER BY backup, copy",
                    )
                    .at(loc)?;
                let rows = st
                    .query_map([barcode], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                    })
                    .at(loc)?;
                rows.collect::<rusqlite::Result<_>>().at(loc)?
            };
            tx.execute("DELETE FROM segments WHERE barcode = ?1", [barcode])
                .at(loc)?;
            let mut backups: Vec<BackupId> = Vec::new();
            for (backup, copy, first, last, n, stream) in &gone {
                insert_stream(
                    tx,
                    &StreamEvent {
                        backup: *backup,
                        stream: *stream,
                        failed_at: Some(*first),
                        segments_done: 0,
                        reason: format!(
                            "tape {barcode} was written over ({why}): {n} segment{} of copy {copy} between {first} and {last} were on it and are gone",
                            if *n == 1 { "" } else { "s" }
                        ),
                        at,
                    },
                )
                .at(loc)?;
                if !backups.contains(backup) {
                    backups.push(*backup);
                }
            }
            for id in &backups {
                let (segments, mode, status): (u64, W<Mode>, W<BackupStatus>) = tx
                    .query_row(
                        "SELECT segments, mode, status FROM backups WHERE id = ?1",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .at(loc)?;
                if status.0 == BackupStatus::Running {
                    continue;
                }
                let counts: Vec<(u8, u64)> = {
                    let mut st = tx
                        .prepare("SELECT copy, COUNT(*) FROM segments WHERE backup = ?1 GROUP BY copy ORDER BY copy")
                        .at(loc)?;
                    let rows = st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?))).at(loc)?;
                    rows.collect::<rusqlite::Result<_>>().at(loc)?
                };
                let whole = counts.iter().find(|(_, n)| *n == segments).map(|(c, _)| *c);
                let (status, preferred) = match whole {
                    Some(c) => (
                        BackupStatus::Completed,
                        (mode.0 == Mode::Mirror).then_some(c),
                    ),
                    None if counts.is_empty() => (BackupStatus::Failed, None),
                    None => (BackupStatus::Partial, None),
                };
                tx.execute(
                    "UPDATE backups SET status = ?2, preferred_copy = ?3 WHERE id = ?1",
                    params![id, w(status), preferred],
                )
                .at(loc)?;
            }
            Ok(backups)
        })
    }

    fn catalog_id(&self) -> Result<String, StoreError> {
        let loc = &self.location;
        self.read(|tx| {
            tx.query_row("SELECT value FROM catalog_meta WHERE key = 'id'", [], |r| {
                r.get(0)
            })
            .at(loc)
        })
    }

    fn set_catalog_id(&self, id: &str) -> Result<(), StoreError> {
        super::check_catalog_id(id)?;
        let loc = &self.location;
        self.write(|tx| {
            let backups: i64 = tx
                .query_row("SELECT COUNT(*) FROM backups", [], |r| r.get(0))
                .at(loc)?;
            if backups > 0 {
                return Err(StoreError::Invalid(format!(
                    "{loc} holds backups already: it cannot take another catalog's identity"
                )));
            }
            tx.execute("UPDATE catalog_meta SET value = ?1 WHERE key = 'id'", [id])
                .at(loc)?;
            Ok(())
        })
    }
}

/// Whether `holder` is registered and has not ended.
fn holder_registered(tx: &Connection, holder: HolderId) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT 1 FROM holders WHERE id = ?1 AND ended IS NULL",
        [holder],
        |_| Ok(()),
    )
    .optional()
    .map(|o| o.is_some())
}

/// Runs `f` again while SQLite answers BUSY or LOCKED outside the busy
/// handler, for up to [`BUSY_TIMEOUT`].
fn busy_retry<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let start = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(5);
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && start.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(200));
            }
            r => return r,
        }
    }
}

#[cfg(test)]
mod tests;
