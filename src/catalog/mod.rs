//! The catalog: jobs, backups, segment records, and the inventory's state
//! (resources marked unusable, and the leases that hold resources for a
//! backup or a restore), behind one small storage interface, [`Store`].
//!
//! The patent's tables map here: backup processing information (410) is a
//! [`Job`]; backup data save information (460) is a [`Backup`] with its
//! [`SegmentRecord`]s; the "state / process number / stream number" columns
//! of the resource tables (420–450, 470) are [`Lease`]s (in use, by whom,
//! for which stream) and [`Store::set_unusable`] (unusable); a resource
//! neither leased nor marked is usable.
//!
//! Two backends: SQLite ([`sqlite`], embedded, in WAL mode, one file per
//! catalog, the default) and PostgreSQL ([`postgres`], one database that
//! several backup servers share). Nothing backend-specific leaves them.
//! [`open`] picks the backend from a URL (`sqlite:PATH`,
//! `postgres://USER@HOST/DATABASE`).
//!
//! Every write is its own transaction and is durable when the call
//! returns: a segment record is on disk before the next segment starts,
//! and a claim of resources either takes them all or none (two processes
//! claiming at once never both get the same resource).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub mod heartbeat;
pub mod job;
pub mod migrate;
pub mod pg_server;
pub mod postgres;
pub mod process;
pub mod sqlite;
#[cfg(test)]
mod store_tests;
pub mod tape_map;
#[cfg(test)]
mod testing;

pub use job::{due_jobs, next_due};
pub use process::{host_name, local_alive, this_process};

/// A backup's number (the patent's process number).
pub type BackupId = i64;
/// A job's number.
pub type JobId = i64;
/// A lease holder's number.
pub type HolderId = i64;
/// A stream's number: 0 is the primary, 1 the first standby, 2 a third set.
pub type StreamId = u8;

/// Seconds since the Unix epoch.
pub type Timestamp = i64;

/// The current time as a [`Timestamp`].
pub fn now() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Why the catalog could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The catalog URL is not one segcopy knows.
    #[error("{}", bad_url(url))]
    BadUrl {
        /// The URL.
        url: String,
    },
    /// The catalog could not be opened or read (the backend's message).
    #[error("catalog {location}: {message}")]
    Backend {
        /// The file or server.
        location: String,
        /// What went wrong, in the backend's words.
        message: String,
    },
    /// The catalog was written by a newer segcopy.
    #[error("catalog {location} has schema version {found}, newer than this segcopy's {supported}; use a newer segcopy")]
    TooNew {
        /// The file or server.
        location: String,
        /// The version found.
        found: i64,
        /// The newest this segcopy knows.
        supported: i64,
    },
    /// A claimed resource is already held (by a live holder).
    #[error("{resource} is in use by {by}")]
    Taken {
        /// The resource.
        resource: String,
        /// Who holds it.
        by: Holder,
    },
    /// No such backup.
    #[error("there is no backup {id} in the catalog (see `segcopy catalog list`)")]
    NoSuchBackup {
        /// The id asked for.
        id: BackupId,
    },
    /// A backup another live process is running.
    #[error("backup {id} is being run by {by}; wait for it to end, or stop that process and resume it then")]
    InProgress {
        /// The backup.
        id: BackupId,
        /// Who runs it.
        by: Holder,
    },
    /// A backup that cannot be resumed.
    #[error("backup {id} cannot be resumed: {why}")]
    NotResumable {
        /// The backup.
        id: BackupId,
        /// Why, in words.
        why: String,
    },
    /// A holder whose leases were taken back (judged dead: its host did
    /// not beat for too long) must not go on with what they were for.
    #[error("{holder} is no longer registered in the catalog ({how}): what it held was given to others, so it stops here")]
    Released {
        /// The holder, as the catalog has it.
        holder: Box<Holder>,
        /// How it ended (`died`: reaped by another process).
        how: String,
    },
    /// No such job.
    #[error("there is no job {0:?} in the catalog (see `segcopy job list`)")]
    NoSuchJob(String),
    /// A job of that name exists already.
    #[error("a job named {0:?} exists already")]
    JobExists(String),
    /// The caller asked for something inconsistent (a bug in the caller,
    /// reported rather than written).
    #[error("catalog: {0}")]
    Invalid(String),
}

/// Why a URL is not a catalog, in one sentence.
fn bad_url(url: &str) -> String {
    format!("{url:?} is not a catalog segcopy can open: use sqlite:PATH or postgres://USER@HOST/DATABASE")
}

/// Opens the catalog a URL names: `sqlite:PATH` (`sqlite://PATH` too;
/// the file and its directory are made on first use), or
/// `sqlite::memory:` (a catalog gone when dropped). Anything else is
/// [`StoreError::BadUrl`].
pub fn open(url: &str) -> Result<Box<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(postgres::PgStore::connect(url)?));
    }
    let bad = || StoreError::BadUrl { url: url.into() };
    let rest = url.strip_prefix("sqlite:").ok_or_else(bad)?;
    if rest == ":memory:" {
        return Ok(Box::new(sqlite::SqliteStore::memory()?));
    }
    let path = rest.strip_prefix("//").unwrap_or(rest);
    if path.is_empty() {
        return Err(bad());
    }
    Ok(Box::new(sqlite::SqliteStore::open(Path::new(path))?))
}

/// The catalog used when none is named: the site's `catalog = …`, else
/// `catalog.sqlite` in the site's state directory when `site` keeps one,
/// else in `$XDG_STATE_HOME/segcopy/`, else in `~/.local/state/segcopy/`.
pub fn default_url(site: Option<&crate::site::Site>) -> Result<String, StoreError> {
    // The site's own catalog (`catalog = "postgres://…"` in [site]) first.
    if let Some(url) = site.and_then(|s| s.site.catalog.as_ref()) {
        return Ok(url.get_ref().clone());
    }
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    default_url_from(
        site.and_then(crate::site::Site::state_dir),
        env("XDG_STATE_HOME"),
        env("HOME"),
    )
}

/// [`default_url`] from its three places, first found first.
fn default_url_from(
    site_state: Option<PathBuf>,
    xdg_state: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Result<String, StoreError> {
    let path = site_state
        .map(|d| d.join("catalog.sqlite"))
        .or_else(|| xdg_state.map(|d| d.join("segcopy").join("catalog.sqlite")))
        .or_else(|| {
            home.map(|h| {
                h.join(".local")
                    .join("state")
                    .join("segcopy")
                    .join("catalog.sqlite")
            })
        })
        .ok_or_else(|| {
            StoreError::Invalid(
                "no place for the catalog: neither XDG_STATE_HOME nor HOME is set and no site keeps state; give --catalog sqlite:PATH".into(),
            )
        })?;
    Ok(format!("sqlite:{}", path.display()))
}

/// A [`Timestamp`] in UTC as RFC 3339 (`2024-05-01T02:00:00Z`); a time
/// before 1970 or after 9999 as its number of seconds.
pub fn format_time(t: Timestamp) -> String {
    /// 10000-01-01T00:00:00Z.
    const YEAR_10000: i64 = 253_402_300_800;
    match u64::try_from(t) {
        Ok(secs) if t < YEAR_10000 => humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
        )
        .to_string(),
        _ => t.to_string(),
    }
}

/// Who holds a lease: a segcopy process on a host, doing one thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Its number in the catalog (0 before it is registered).
    pub id: HolderId,
    /// The host's name (`--host-id`, else the host name).
    pub host: String,
    /// The process id.
    pub pid: u32,
    /// When the process started, in clock ticks since boot (from
    /// `/proc/PID/stat`), to tell a pid that was reused; 0 if unknown.
    pub pid_start: u64,
    /// When it registered.
    pub since: Timestamp,
    /// What it does, in words ("backup 12 of prod0", "restore 12").
    pub purpose: String,
    /// When its process last said it lives ([`Store::heartbeat`]; its
    /// registration at first): how a holder on another host is judged
    /// ([`process::alive`]).
    #[serde(default)]
    pub heartbeat: Timestamp,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (pid {} on {})", self.purpose, self.pid, self.host)
    }
}

/// One resource held for one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The resource's name (as in the site file; a tape by its barcode).
    pub resource: String,
    /// The holder.
    pub holder: Holder,
    /// The stream it serves.
    pub stream: StreamId,
    /// Whether it is held exclusively (see [`Claim::exclusive`]).
    pub exclusive: bool,
    /// Since when.
    pub since: Timestamp,
}

/// A resource to claim for a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The resource's name.
    pub resource: String,
    /// The stream.
    pub stream: StreamId,
    /// Whether no other holder may hold it at the same time (copy managers,
    /// drives, tapes, disks); a shared resource (a switch, a link, a
    /// library's robot) is recorded as in use by every holder of it.
    pub exclusive: bool,
}

/// A resource taken or given back, for the lease history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseEvent {
    /// When.
    pub at: Timestamp,
    /// The resource.
    pub resource: String,
    /// The holder's number.
    pub holder: HolderId,
    /// The stream.
    pub stream: StreamId,
    /// Taken (true) or released (false).
    pub taken: bool,
    /// Why it was released, when not by its holder ("holder died").
    pub note: Option<String>,
}

/// Failover or mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Stream 0 copies; at the first failed segment, the next stream
    /// continues from that segment (patent Figs. 11–12, claims 3–5, 15).
    Failover,
    /// Every stream copies the whole object at once; success when one
    /// completes (Figs. 7–8, claims 2, 14).
    Mirror,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Failover => "failover",
            Mode::Mirror => "mirror",
        })
    }
}

/// What a backup copies: a range of blocks of one logical unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object {
    /// The source's name in the site.
    pub source: String,
    /// Its designator (VPD 83h) in hex, so a catalog outlives renames.
    pub designator: String,
    /// First block.
    pub lba: u64,
    /// Number of blocks.
    pub blocks: u64,
    /// Logical block length.
    pub block_length: u32,
}

impl Object {
    /// The object's size in bytes.
    pub fn bytes(&self) -> u64 {
        self.blocks.saturating_mul(u64::from(self.block_length))
    }
}

/// Where the backup's streams write: tapes (a library's drives) or disks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Target {
    /// Tapes, chosen by the selector.
    Tape,
    /// Destination disks (one per stream), each from an LBA.
    Disk {
        /// The disks the selector may use, in preference order.
        disks: Vec<String>,
        /// The first LBA to write on each.
        lba: u64,
    },
}

/// When a job runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "every")]
pub enum Schedule {
    /// Only when run by hand.
    Manual,
    /// Every `seconds` after the last run (the first run when added).
    Interval {
        /// The interval.
        seconds: i64,
    },
}

/// A backup job: what to back up, how, and when (the patent's 410).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Its number (0 before it is added).
    pub id: JobId,
    /// Its name.
    pub name: String,
    /// The source's name in the site.
    pub source: String,
    /// First block, and number of blocks (`None`: to the end).
    pub lba: u64,
    /// Number of blocks (`None`: from `lba` to the end of the source).
    pub blocks: Option<u64>,
    /// Failover or mirror.
    pub mode: Mode,
    /// Segment size in bytes.
    pub segment_bytes: u64,
    /// How many subsystems to secure.
    pub streams: u8,
    /// Tapes or disks.
    pub target: Target,
    /// When.
    pub schedule: Schedule,
    /// When it is next due (`None`: never by itself).
    pub next_due: Option<Timestamp>,
    /// The last backup it ran, if any.
    pub last_backup: Option<BackupId>,
    /// How long its backups are kept, in seconds from their start (`None`:
    /// for good): until then no tape holding them is overwritten without
    /// `--force`.
    pub retention: Option<i64>,
}

/// How a backup ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackupStatus {
    /// Still copying (or its process died: see its holder).
    Running,
    /// Every segment is on a medium (in mirror mode: at least one whole
    /// copy is).
    Completed,
    /// It failed, and some segments are on media (recorded, not restorable
    /// as a whole).
    Partial,
    /// It failed before any segment reached a medium.
    Failed,
}

impl fmt::Display for BackupStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackupStatus::Running => "running",
            BackupStatus::Completed => "completed",
            BackupStatus::Partial => "partial",
            BackupStatus::Failed => "failed",
        })
    }
}

/// A backup (the patent's backup data save information, 460).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    /// Its number (0 before it begins).
    pub id: BackupId,
    /// The job it ran for, if any.
    pub job: Option<JobId>,
    /// What it copies.
    pub object: Object,
    /// Failover or mirror.
    pub mode: Mode,
    /// Segment size in bytes.
    pub segment_bytes: u64,
    /// Number of segments.
    pub segments: u64,
    /// Streams secured.
    pub streams: u8,
    /// When it started.
    pub started: Timestamp,
    /// When it ended.
    pub ended: Option<Timestamp>,
    /// How it ended.
    pub status: BackupStatus,
    /// In mirror mode, the copy restore uses (the first that completed).
    pub preferred_copy: Option<u8>,
    /// Whether each segment was read back through the host and its CRC32C
    /// recorded (`backup --verify`).
    pub verified: bool,
    /// The process running it (while it runs, and after it died running):
    /// a backup whose holder is registered and alive cannot be resumed by
    /// another. Local to one catalog, so never written on tape.
    #[serde(skip)]
    pub holder: Option<HolderId>,
    /// Until when its tapes must not be overwritten (`None`: for good).
    /// A backup of a job with a retention period gets its start plus that
    /// period when it begins, unless it says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_until: Option<Timestamp>,
}

/// Which mover did a segment's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MoverKind {
    /// EXTENDED COPY through a copy manager (third-party copy).
    Xcopy,
    /// Reads and writes through this host.
    Host,
}

impl fmt::Display for MoverKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MoverKind::Xcopy => "EXTENDED COPY",
            MoverKind::Host => "host copy",
        })
    }
}

/// Where a segment landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Place {
    /// On a tape.
    Tape {
        /// The library.
        library: String,
        /// The drive it was written in.
        drive: String,
        /// The cartridge's barcode.
        barcode: String,
        /// The stream block length (fixed-block mode; 0: variable).
        block_length: u32,
        /// The first logical block (object) of the segment: `None` when
        /// the drive never said where it was (BPU), so no position is known
        /// — segcopy never invents one.
        first_block: Option<u64>,
        /// The last logical block, likewise.
        last_block: Option<u64>,
        /// Whether READ POSITION confirmed the positions after the segment
        /// (false: computed from the start and the blocks written, or not
        /// known at all).
        verified: bool,
    },
    /// On a disk.
    Disk {
        /// The disk's name.
        disk: String,
        /// Its designator in hex.
        designator: String,
        /// The first LBA.
        lba: u64,
    },
}

/// One segment on a medium: recorded only once all its commands completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRecord {
    /// The backup.
    pub backup: BackupId,
    /// The copy (failover: 0; mirror: the stream's number).
    pub copy: u8,
    /// The segment's number, from 0.
    pub index: u64,
    /// Its first source LBA.
    pub source_lba: u64,
    /// Its blocks.
    pub blocks: u64,
    /// Its bytes.
    pub bytes: u64,
    /// The stream that wrote it.
    pub stream: StreamId,
    /// The copy manager (or backup server) that moved it.
    pub mover_device: String,
    /// EXTENDED COPY or host copy.
    pub mover: MoverKind,
    /// Where it is.
    pub place: Place,
    /// CRC32C of its bytes, when read back (`--verify`).
    pub crc32c: Option<u32>,
    /// When it completed.
    pub completed: Timestamp,
}

/// What happened to a stream: it failed (and where), or it finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEvent {
    /// The backup.
    pub backup: BackupId,
    /// The stream.
    pub stream: StreamId,
    /// The segment it failed at, or `None` when it completed.
    pub failed_at: Option<u64>,
    /// Segments it had written.
    pub segments_done: u64,
    /// Why, in words (the decoded sense or the transport error).
    pub reason: String,
    /// When.
    pub at: Timestamp,
}

/// A backup with everything the catalog knows of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupDetail {
    /// The backup.
    pub backup: Backup,
    /// Its segment records, by copy then index.
    pub segments: Vec<SegmentRecord>,
    /// What happened to each stream, in order.
    pub streams: Vec<StreamEvent>,
}

/// Checks a segment record before it is written (a caller's bug is
/// reported, not stored).
pub(crate) fn check_segment(s: &SegmentRecord) -> Result<(), StoreError> {
    if let Place::Tape {
        first_block,
        last_block,
        ..
    } = &s.place
    {
        match (first_block, last_block) {
            (Some(first), Some(last)) if last < first => {
                return Err(StoreError::Invalid(format!(
                    "segment {} of copy {} of backup {} ends (block {last}) before it starts (block {first})",
                    s.index, s.copy, s.backup
                )));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(StoreError::Invalid(format!(
                    "segment {} of copy {} of backup {} has one end of its tape blocks known and not the other",
                    s.index, s.copy, s.backup
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// What every backend checks of a job before adding it.
pub(crate) fn check_job(job: &Job) -> Result<(), StoreError> {
    if job.name.trim().is_empty() {
        return Err(StoreError::Invalid("a job needs a name".into()));
    }
    if job.retention.is_some_and(|r| r <= 0) {
        return Err(StoreError::Invalid(
            "a job's retention must be longer than 0 seconds".into(),
        ));
    }
    Ok(())
}

/// What every backend checks of a backup before importing it
/// ([`Store::import`]): every record and event is of that backup, and
/// every segment record is sound ([`check_segment`]).
pub(crate) fn check_import(detail: &BackupDetail) -> Result<(), StoreError> {
    let id = detail.backup.id;
    if let Some(s) = detail.segments.iter().find(|s| s.backup != id) {
        return Err(StoreError::Invalid(format!(
            "the map of backup {id} holds a segment of backup {}",
            s.backup
        )));
    }
    if let Some(e) = detail.streams.iter().find(|e| e.backup != id) {
        return Err(StoreError::Invalid(format!(
            "the map of backup {id} holds a stream event of backup {}",
            e.backup
        )));
    }
    for s in &detail.segments {
        check_segment(s)?;
    }
    Ok(())
}

/// A detail in the order [`Store::backup`] returns it, to compare.
pub(crate) fn normalized(d: &BackupDetail) -> BackupDetail {
    let mut d = d.clone();
    // Who ran it is this catalog's own business: a map never carries it.
    d.backup.holder = None;
    d.segments.sort_by_key(|s| (s.copy, s.index));
    d
}

/// The storage interface: everything the inventory, the engine and restore
/// keep. Implementations synchronise inside (`&self`), so one store serves
/// several threads, and several processes share one catalog.
pub trait Store: Send + Sync {
    /// Where it is, for messages (`sqlite:/path/catalog.sqlite`).
    fn location(&self) -> String;

    // ---- inventory state

    /// The resources marked unusable, with why.
    fn unusable(&self) -> Result<Vec<(String, String)>, StoreError>;
    /// Marks `resource` unusable (with a reason) or usable again.
    fn set_unusable(&self, resource: &str, unusable: Option<&str>) -> Result<(), StoreError>;

    // ---- leases

    /// Registers a holder (its `id` is assigned) and returns it.
    fn register(&self, holder: &Holder) -> Result<Holder, StoreError>;
    /// Every lease now held.
    fn leases(&self) -> Result<Vec<Lease>, StoreError>;
    /// Takes every claim for `holder`, or none: [`StoreError::Taken`]
    /// names the first resource another holder has exclusively, or that
    /// another holder has at all when the claim is exclusive. A resource
    /// marked unusable cannot be claimed ([`StoreError::Invalid`]).
    fn claim(&self, holder: HolderId, claims: &[Claim]) -> Result<(), StoreError>;
    /// Gives back `holder`'s leases on `resources` (all of them if `None`).
    fn release(&self, holder: HolderId, resources: Option<&[String]>) -> Result<(), StoreError>;
    /// Forgets a holder that is done (its leases are released).
    fn unregister(&self, holder: HolderId) -> Result<(), StoreError>;
    /// Releases the leases of every holder `alive` says is dead (a process
    /// that exited without releasing), and returns them with what they held.
    fn reap(
        &self,
        alive: &dyn Fn(&Holder) -> bool,
    ) -> Result<Vec<(Holder, Vec<String>)>, StoreError>;
    /// Every lease taken and released, in order.
    fn lease_history(&self) -> Result<Vec<LeaseEvent>, StoreError>;
    /// Says `holder` lives: its heartbeat is now. A holder the catalog
    /// ended meanwhile (reaped as dead by another host) is
    /// [`StoreError::Released`]: its process must stop using what it held.
    fn heartbeat(&self, holder: HolderId) -> Result<(), StoreError>;

    // ---- jobs

    /// Adds a job (its `id` is assigned) and returns its id.
    fn add_job(&self, job: &Job) -> Result<JobId, StoreError>;
    /// Every job.
    fn jobs(&self) -> Result<Vec<Job>, StoreError>;
    /// Records that a job ran: its backup, and when it is next due.
    fn job_ran(
        &self,
        id: JobId,
        backup: Option<BackupId>,
        next_due: Option<Timestamp>,
    ) -> Result<(), StoreError>;

    // ---- backups

    /// Starts a backup (status running; its `id` is assigned) and returns
    /// its id.
    fn begin_backup(&self, backup: &Backup) -> Result<BackupId, StoreError>;
    /// Records a segment that is on its medium. Durable on return.
    fn record_segment(&self, record: &SegmentRecord) -> Result<(), StoreError>;
    /// Records what happened to a stream.
    fn record_stream(&self, event: &StreamEvent) -> Result<(), StoreError>;
    /// Ends a backup.
    fn finish_backup(
        &self,
        id: BackupId,
        status: BackupStatus,
        preferred_copy: Option<u8>,
        ended: Timestamp,
    ) -> Result<(), StoreError>;
    /// Every backup, oldest first.
    fn backups(&self) -> Result<Vec<Backup>, StoreError>;
    /// One backup with its segments and stream events.
    fn backup(&self, id: BackupId) -> Result<BackupDetail, StoreError>;
    /// One backup as [`Store::backup`] gives it but without its segments
    /// (`segments` is empty; [`Store::each_segment`] reads them one at a
    /// time): what a caller whose memory must not grow with the backup
    /// reads. The default reads the whole backup.
    fn backup_without_segments(&self, id: BackupId) -> Result<BackupDetail, StoreError> {
        let mut d = self.backup(id)?;
        d.segments = Vec::new();
        Ok(d)
    }
    /// Calls `f` with each segment record of backup `id`, by copy then
    /// index (the order of [`Store::backup`]), holding one at a time;
    /// stops at the first error, `f`'s included. The default reads the
    /// whole backup.
    fn each_segment(
        &self,
        id: BackupId,
        f: &mut dyn FnMut(&SegmentRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.backup(id)?.segments.iter().try_for_each(f)
    }
    /// Puts a backup read back from tape into the catalog as it was
    /// (same id, segments and stream events; replaces nothing): an id
    /// already present is an error unless the catalog holds exactly this
    /// content, and then nothing is written and the import succeeds, so
    /// reading the same tape twice (or two tapes with the same map) is
    /// harmless. Tapes of one backup written at different times carry
    /// different maps: import the latest ([`tape_map::TapeMap::written`]).
    fn import(&self, detail: &BackupDetail) -> Result<(), StoreError>;
    /// The barcodes of every tape that holds a segment of a backup the
    /// catalog keeps — one without a retention limit, or whose limit is
    /// after now (such a tape must not be overwritten without `--force`).
    fn tapes_in_use(&self) -> Result<Vec<String>, StoreError>;
    /// Takes over backup `id` to go on with it (`backup --resume`): in one
    /// transaction, refuses a backup that completed, and one whose holder
    /// is still registered (alive: a dead one's is reaped first); else
    /// marks it running again, held by `holder`, and returns it whole.
    fn resume_backup(&self, id: BackupId, holder: HolderId) -> Result<BackupDetail, StoreError>;
    /// Forgets what tape `barcode` held: it is being written over (`why`,
    /// the writer in words). Its segment records are deleted, each backup
    /// that had some gets a stream event saying which are gone, and its
    /// status follows what is left (completed while a whole copy remains,
    /// else partial, or failed with no segment left). Returns those
    /// backups. Durable on return, before the first write to the tape.
    fn tape_overwritten(&self, barcode: &str, why: &str) -> Result<Vec<BackupId>, StoreError>;
    /// This catalog's identity (random, made when the catalog was
    /// created): written in every tape map, so a tape written through
    /// another catalog is told apart from one of this catalog.
    fn catalog_id(&self) -> Result<String, StoreError>;
    /// Takes `id` as this catalog's identity, for a catalog that continues
    /// another ([`migrate`]): refused unless this catalog holds no backup.
    fn set_catalog_id(&self, id: &str) -> Result<(), StoreError> {
        let _ = id;
        Err(StoreError::Invalid(format!(
            "{} cannot take another catalog's identity",
            self.location()
        )))
    }
}

/// Whether `id` can be a catalog's identity (what [`Store::catalog_id`]
/// makes: hex digits, at most 64).
pub(crate) fn check_catalog_id(id: &str) -> Result<(), StoreError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::Invalid(format!(
            "{id:?} is not a catalog identity (1 to 64 hex digits)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(open("sqlite::memory:").is_ok());
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a/b/catalog.sqlite");
        let store = open(&format!("sqlite:{}", path.display())).expect("open");
        assert_eq!(store.location(), format!("sqlite:{}", path.display()));
        assert!(path.exists());
        let store = open(&format!("sqlite://{}", path.display())).expect("open");
        assert_eq!(store.location(), format!("sqlite:{}", path.display()));
        for bad in ["", "sqlite:", "mysql://x", "catalog.sqlite"] {
            let e = open(bad).err().expect("refused");
            assert!(matches!(e, StoreError::BadUrl { .. }), "{bad}: {e}");
            assert!(e.to_string().contains("use sqlite:PATH"), "{e}");
        }
        // A PostgreSQL URL is the other backend: nothing listens on port 1.
        let e = open("postgres://seg:pw@127.0.0.1:1/segcopy")
            .err()
            .expect("refused");
        assert!(matches!(e, StoreError::Backend { .. }), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("postgres://seg@127.0.0.1:1/segcopy"),
            "{text}"
        );
        assert!(!text.contains("pw"), "{text}");
    }

    #[test]
    fn default_places() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(
            default_url_from(p("/site/state"), p("/xdg"), p("/home/u")).expect("url"),
            "sqlite:/site/state/catalog.sqlite"
        );
        assert_eq!(
            default_url_from(None, p("/xdg"), p("/home/u")).expect("url"),
            "sqlite:/xdg/segcopy/catalog.sqlite"
        );
        assert_eq!(
            default_url_from(None, None, p("/home/u")).expect("url"),
            "sqlite:/home/u/.local/state/segcopy/catalog.sqlite"
        );
        assert!(default_url_from(None, None, None).is_err());
    }

    #[test]
    fn a_site_with_a_state_dir_keeps_the_catalog() {
        let site = crate::site::Site::parse(
            Path::new("/srv/sites/two.toml"),
            "[site]\nstate_dir = \"st\"\n",
        )
        .expect("site");
        assert_eq!(
            default_url(Some(&site)).expect("url"),
            "sqlite:/srv/sites/st/catalog.sqlite"
        );
        let memory =
            crate::site::Site::parse(Path::new("/srv/m.toml"), "[site]\nstate_dir = \"memory\"\n")
                .expect("site");
        assert_ne!(
            default_url(Some(&memory)).ok(),
            Some("sqlite:/srv/catalog.sqlite".to_string())
        );
        let shared = crate::site::Site::parse(
            Path::new("/srv/p.toml"),
            "[site]\ncatalog = \"postgres://seg@db/cat\"\n",
        )
        .expect("site");
        assert_eq!(
            default_url(Some(&shared)).expect("url"),
            "postgres://seg@db/cat"
        );
        let e = crate::site::Site::parse(
            Path::new("/srv/q.toml"),
            "[site]\ncatalog = \"mysql://x\"\n",
        )
        .expect_err("refused");
        assert_eq!((e.line, e.field.as_str()), (2, "site.catalog"), "{e}");
    }

    #[test]
    fn times() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_714_528_800), "2024-05-01T02:00:00Z");
        assert_eq!(format_time(-5), "-5");
        assert_eq!(format_time(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(format_time(i64::MAX), i64::MAX.to_string());
    }
}
