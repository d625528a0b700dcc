//! A backup: the object cut into fixed-size segments, copied over the
//! secured streams in failover or mirror mode, every segment recorded in
//! the catalog the moment it is on its medium, and at the end a copy of the
//! backup's catalog written on each tape (patent Figs. 7–12, Step 1170).
//!
//! - **Failover** (claims 3–5, 15): stream 0 copies; at the first segment
//!   that fails (after one retry where [`super::classify`] says so), the
//!   next stream continues from that segment — from its first block — and
//!   so on. Segments already done stay where they are.
//! - **Mirror** (claims 2, 14): every stream copies every segment at once,
//!   each on its own thread; the backup succeeds when one stream completes.
//!
//! The engine sees devices only as [`Transport`]s opened by name through an
//! [`Opener`]; it never knows whether one is simulated or real.

use std::sync::Mutex;

use log::{info, warn};

use super::classify::Action;
use super::media::{self, MediaError};
use super::mover::{End, HostMover, MoveFailed, Mover, Timeouts, Transfer, XcopyMover};
use super::plan::{Endpoint, Limits};
use super::segments::{cut, SegmentSpan, SpanError, Spans};
use super::xcopy::{endpoint, EndpointError};
use crate::catalog::tape_map::MapWriter;
use crate::catalog::{
    now, Backup, BackupDetail, BackupId, BackupStatus, HolderId, JobId, Mode, Object, Place,
    SegmentRecord, Store, StoreError, StreamEvent, StreamId,
};
use crate::transport::commands::{Scsi, ScsiError};
use crate::transport::tape::Tape;
use crate::transport::{Opener, Transport};
use crate::wire::vpd::Designator;

/// What moves a stream's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoverSpec {
    /// EXTENDED COPY through this copy manager.
    CopyManager(String),
    /// Reads and writes through this host, as the backup server of this name.
    BackupServer(String),
}

/// Where a stream writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestSpec {
    /// A tape in a library's drive.
    Tape {
        /// The library.
        library: String,
        /// The drive's name.
        drive: String,
        /// The drive's number in the library (from 0, by element address).
        drive_number: u32,
        /// The cartridge.
        barcode: String,
    },
    /// A disk, from an LBA.
    Disk {
        /// The disk.
        disk: String,
        /// Its first LBA.
        lba: u64,
    },
}

/// One secured stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSpec {
    /// Its number.
    pub stream: StreamId,
    /// Its mover.
    pub mover: MoverSpec,
    /// Its destination.
    pub destination: DestSpec,
}

/// What to back up and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRequest {
    /// The source disk's name.
    pub source: String,
    /// Its first LBA.
    pub lba: u64,
    /// Blocks to copy (`None`: to the end of the source).
    pub blocks: Option<u64>,
    /// Failover or mirror.
    pub mode: Mode,
    /// Segment size in bytes.
    pub segment_bytes: u64,
    /// Read each segment back through the host and record its CRC32C.
    pub verify: bool,
    /// The job this backup runs for.
    pub job: Option<JobId>,
    /// The largest tape block length to use (the engine picks the largest
    /// power of two up to this that divides every segment).
    pub max_tape_block: u32,
    /// EXTENDED COPY time-outs.
    pub timeouts: Timeouts,
    /// How long the backup is kept, in seconds from its start (`None`: as
    /// its job says, or for good).
    pub retention: Option<i64>,
}

/// The largest tape block a backup uses unless told otherwise (LTO drives
/// write 256 KiB blocks well).
pub const DEFAULT_MAX_TAPE_BLOCK: u32 = 256 << 10;

impl BackupRequest {
    /// A backup of the whole of `source` in segments of `segment_bytes`,
    /// without read-back, outside any job, with the default tape block and
    /// time-outs.
    pub fn new(source: &str, mode: Mode, segment_bytes: u64) -> Self {
        BackupRequest {
            source: source.to_string(),
            lba: 0,
            blocks: None,
            mode,
            segment_bytes,
            verify: false,
            job: None,
            max_tape_block: DEFAULT_MAX_TAPE_BLOCK,
            timeouts: Timeouts::default(),
            retention: None,
        }
    }

    /// The request that goes on with `backup` (`backup --resume`): its
    /// source, range, mode, segment size, read-back and job, with the
    /// default tape block and time-outs.
    pub fn resuming(backup: &Backup) -> Self {
        BackupRequest {
            source: backup.object.source.clone(),
            lba: backup.object.lba,
            blocks: Some(backup.object.blocks),
            verify: backup.verified,
            job: backup.job,
            ..BackupRequest::new(&backup.object.source, backup.mode, backup.segment_bytes)
        }
    }
}

/// How a run begins: a new backup, or one that goes on.
#[derive(Debug, Clone, Copy)]
pub enum Begin<'a> {
    /// A new backup, run by `holder` (the catalog's holder of this
    /// process, if it registered one).
    New {
        /// The holder.
        holder: Option<HolderId>,
    },
    /// A backup taken over by [`Store::resume_backup`]: each copy goes on
    /// from its first segment not recorded.
    Resume(&'a BackupDetail),
}

/// A failover as it happened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failover {
    /// The segment that failed (and that the next stream starts from).
    pub segment: u64,
    /// The stream that failed.
    pub from_stream: StreamId,
    /// The stream that continues (`None`: none was left).
    pub to_stream: Option<StreamId>,
    /// Why, in words.
    pub reason: String,
}

/// How writing a tape's copy of the catalog went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MapWritten {
    /// The stream.
    pub stream: StreamId,
    /// The tape.
    pub barcode: String,
    /// How it was written ("EXTENDED COPY inline data (04h)" or "host
    /// WRITE(6)"), or why it was not.
    pub how: Result<String, String>,
}

/// What the engine reports as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    /// A stream is ready (its medium loaded and positioned).
    StreamReady {
        /// The stream.
        stream: StreamId,
        /// What it is, in words.
        what: String,
    },
    /// A stream could not be made ready; it takes no part.
    StreamUnready {
        /// The stream.
        stream: StreamId,
        /// Why.
        why: String,
    },
    /// A resumed backup goes on: where each copy starts again.
    Resumed {
        /// The backup.
        id: BackupId,
        /// For each copy with segments recorded: the copy and its first
        /// segment not recorded.
        from: Vec<(u8, u64)>,
    },
    /// The backup began (its id is known).
    Began {
        /// The backup.
        id: BackupId,
        /// Segments to copy.
        segments: u64,
        /// Bytes to copy.
        bytes: u64,
    },
    /// A segment is on its medium and recorded.
    SegmentDone(SegmentRecord),
    /// A segment is sent again on the same stream.
    Retry {
        /// The stream.
        stream: StreamId,
        /// The segment.
        segment: u64,
        /// Why.
        why: String,
    },
    /// A stream failed; the next (if any) continues.
    Failover(Failover),
    /// A stream finished its part.
    StreamDone {
        /// The stream.
        stream: StreamId,
        /// Segments it wrote.
        segments: u64,
    },
    /// A tape got its copy of the catalog (or did not).
    Map(MapWritten),
    /// A restore put a segment back.
    Restored {
        /// The segment.
        index: u64,
        /// Its bytes.
        bytes: u64,
        /// The medium it came from, in words.
        from: String,
        /// The mover's device.
        mover: String,
    },
    /// A restore's mover failed; another is secured.
    MoverFailed {
        /// The segment it failed at.
        segment: u64,
        /// The mover's device.
        mover: String,
        /// Why.
        reason: String,
    },
}

/// Something that hears the engine's events (a progress bar, log lines).
pub trait Observer: Sync {
    /// One event.
    fn event(&self, e: &Event);
}

/// An observer that only logs.
pub struct LogObserver;

impl Observer for LogObserver {
    fn event(&self, e: &Event) {
        info!("{e:?}");
    }
}

/// How a backup ended.
#[derive(Debug, Clone)]
pub struct BackupOutcome {
    /// The backup's number.
    pub id: BackupId,
    /// Its status.
    pub status: BackupStatus,
    /// Every failover.
    pub failovers: Vec<Failover>,
    /// The backup as the catalog holds it at the end. Its segments stay in
    /// the catalog ([`Store::backup`], [`Store::each_segment`]): a run
    /// holds none of them, so its memory does not grow with the object.
    pub backup: Backup,
    /// The tapes' copies of the catalog.
    pub maps: Vec<MapWritten>,
}

/// Why a backup could not run (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The source cannot be used.
    #[error("source {device}: {why}")]
    Source {
        /// The source.
        device: String,
        /// Why.
        why: String,
    },
    /// The request is wrong.
    #[error(transparent)]
    Request(#[from] SpanError),
    /// The segment size does not suit a copy manager.
    #[error("segment size {bytes} bytes is not a multiple of {copy_manager}'s data segment granularity ({granularity} bytes); use a multiple of {granularity}")]
    Granularity {
        /// The segment size.
        bytes: u64,
        /// The copy manager.
        copy_manager: String,
        /// Its granularity.
        granularity: u32,
    },
    /// A destination disk is too small or overlaps the source.
    #[error("{0}")]
    Destination(String),
    /// No stream could be made ready.
    #[error("no stream could be made ready: {0}")]
    NoStream(String),
    /// The backup to resume is not the one this request would make.
    #[error("backup {id} cannot be resumed: {why}")]
    Resume {
        /// The backup.
        id: BackupId,
        /// What differs, in words.
        why: String,
    },
    /// The catalog failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A failure that no other stream would get past (recorded in the
    /// catalog before this is returned).
    #[error("backup {id} stopped at segment {segment} on stream {stream}: {why}: {error}")]
    Fatal {
        /// The backup.
        id: BackupId,
        /// The segment.
        segment: u64,
        /// The stream.
        stream: StreamId,
        /// The classification's row.
        why: &'static str,
        /// The failure.
        #[source]
        error: Box<MoveFailed>,
    },
}

/// The source as the streams read it.
struct Source {
    t: Box<dyn Transport>,
    endpoint: Endpoint,
}

/// A stream's medium, ready.
enum Medium {
    Tape {
        library: String,
        drive_name: String,
        barcode: String,
        t: Box<dyn Transport>,
        designator: Designator,
        block_length: u32,
        /// The block where the next segment goes, if the drive tells.
        next: Option<u64>,
        /// Whether the drive reports its position (so positions are checked).
        reports: bool,
        /// Tape blocks written by this backup on this tape.
        written: u64,
    },
    Disk {
        t: Box<dyn Transport>,
        endpoint: Endpoint,
        lba: u64,
    },
}

/// A stream, ready to copy.
struct Stream {
    spec: StreamSpec,
    mover: Box<dyn Mover>,
    medium: Medium,
    done: u64,
}

/// Why a stream stopped at a segment.
struct StreamStop {
    reason: String,
    action: Action,
    why: &'static str,
    error: Option<Box<MoveFailed>>,
}

impl Stream {
    fn describe(&self) -> String {
        let mover = match &self.spec.mover {
            MoverSpec::CopyManager(c) => format!("EXTENDED COPY through {c}"),
            MoverSpec::BackupServer(b) => format!("host copy through {b}"),
        };
        match &self.medium {
            Medium::Tape {
                barcode,
                drive_name,
                block_length,
                next,
                ..
            } => format!(
                "{mover} to tape {barcode} in {drive_name} ({block_length}-byte blocks, from block {})",
                next.map_or("unknown: the drive does not report it".into(), |b| b.to_string())
            ),
            Medium::Disk { endpoint, lba, .. } => {
                format!("{mover} to disk {}@{lba}", endpoint.name)
            }
        }
    }

    /// Copies one segment, retrying once where the classification says so.
    fn copy(
        &mut self,
        source: &Source,
        object: &Object,
        seg: &SegmentSpan,
        verify: bool,
        observer: &dyn Observer,
    ) -> Result<(Place, Option<u32>), StreamStop> {
        let mut attempt = 0;
        loop {
            match self.attempt(source, object, seg, verify) {
                Ok(done) => return Ok(done),
                Err(stop) if stop.action == Action::Retry && attempt == 0 && self.can_retry() => {
                    observer.event(&Event::Retry {
                        stream: self.spec.stream,
                        segment: seg.index,
                        why: stop.reason.clone(),
                    });
                    attempt += 1;
                    if let Err(e) = self.rewind_to_segment() {
                        return Err(StreamStop {
                            reason: format!(
                                "could not put the tape back at the segment's first block: {e}"
                            ),
                            action: Action::Failover,
                            why: "the tape could not be positioned",
                            error: None,
                        });
                    }
                }
                Err(stop) => {
                    // A retry that is not possible becomes a failover.
                    let action = match stop.action {
                        Action::Retry => Action::Failover,
                        a => a,
                    };
                    return Err(StreamStop { action, ..stop });
                }
            }
        }
    }

    fn can_retry(&self) -> bool {
        match &self.medium {
            Medium::Tape { next, .. } => next.is_some(),
            Medium::Disk { .. } => true,
        }
    }

    fn rewind_to_segment(&self) -> Result<(), ScsiError> {
        match &self.medium {
            Medium::Tape {
                t, next: Some(b), ..
            } => Tape::new(t.as_ref()).locate(*b),
            _ => Ok(()),
        }
    }

    fn attempt(
        &mut self,
        source: &Source,
        object: &Object,
        seg: &SegmentSpan,
        verify: bool,
    ) -> Result<(Place, Option<u32>), StreamStop> {
        let bytes = seg.blocks * u64::from(object.block_length);
        let from = End::Disk {
            t: source.t.as_ref(),
            endpoint: &source.endpoint,
            lba: seg.source_lba,
        };
        let offset = seg.source_lba - object.lba;
        let to = match &self.medium {
            Medium::Tape {
                t,
                designator,
                block_length,
                ..
            } => End::Tape {
                t: t.as_ref(),
                designator,
                block_length: *block_length,
            },
            Medium::Disk { t, endpoint, lba } => End::Disk {
                t: t.as_ref(),
                endpoint,
                lba: lba + offset,
            },
        };
        self.mover
            .transfer(&Transfer { from, to, bytes })
            .map_err(|f| {
                let v = f.error.verdict();
                StreamStop {
                    reason: failure_words(&f),
                    action: v.action,
                    why: v.why,
                    error: Some(Box::new(f)),
                }
            })?;
        let place = self.advance(bytes, offset)?;
        let crc = if verify {
            Some(self.verify(source, seg, bytes, &place)?)
        } else {
            None
        };
        Ok((place, crc))
    }

    /// Where the segment just written is (`offset` blocks into the object),
    /// and the tape's position moved on — checked against READ POSITION
    /// where the drive tells.
    fn advance(&mut self, bytes: u64, offset: u64) -> Result<Place, StreamStop> {
        match &mut self.medium {
            Medium::Tape {
                library,
                drive_name,
                barcode,
                t,
                block_length,
                next,
                reports,
                written,
                ..
            } => {
                let n = bytes / u64::from(*block_length);
                let first = *next;
                let after = first.map(|f| f + n);
                let mut verified = false;
                if let (true, Some(f)) = (*reports, first) {
                    // A position the drive's answers contradict (backwards,
                    // elsewhere, unreadable) fails the stream: the segment
                    // is never recorded where the drive did not prove it.
                    match media::after_write(t.as_ref(), f, n) {
                        Ok(Some(_)) => verified = true,
                        Ok(None) => {
                            warn!("{drive_name}: READ POSITION gave no position after a segment; positions from here on are computed");
                            *reports = false;
                        }
                        Err(e) => {
                            return Err(StreamStop {
                                reason: e.to_string(),
                                action: Action::Failover,
                                why: "the tape is not where the segment should end",
                                error: None,
                            })
                        }
                    }
                }
                *next = after;
                *written += n;
                Ok(Place::Tape {
                    library: library.clone(),
                    drive: drive_name.clone(),
                    barcode: barcode.clone(),
                    block_length: *block_length,
                    first_block: first,
                    last_block: after.map(|a| a - 1),
                    verified,
                })
            }
            Medium::Disk { endpoint, lba, .. } => Ok(Place::Disk {
                // The site's name for it (the name it was opened by).
                disk: endpoint.name.clone(),
                designator: hex::encode(&endpoint.designator.value),
                lba: *lba + offset,
            }),
        }
    }

    /// Reads the segment back through this host from the source and from
    /// where it was written, and returns its CRC32C if both agree.
    fn verify(
        &self,
        source: &Source,
        seg: &SegmentSpan,
        bytes: u64,
        place: &Place,
    ) -> Result<u32, StreamStop> {
        let stop = |reason: String| StreamStop {
            reason,
            action: Action::Failover,
            why: "the segment read back differs",
            error: None,
        };
        let bl = source.endpoint.block_length;
        let mut src = vec![0u8; bytes as usize];
        Scsi::new(source.t.as_ref())
            .read16(seg.source_lba, bl, &mut src)
            .map_err(|e| stop(format!("reading the source back: {e}")))?;
        let mut dst = vec![0u8; bytes as usize];
        match (&self.medium, place) {
            (Medium::Disk { t, endpoint, .. }, Place::Disk { lba, .. }) => {
                Scsi::new(t.as_ref())
                    .read16(*lba, endpoint.block_length, &mut dst)
                    .map_err(|e| stop(format!("reading the destination back: {e}")))?;
            }
            (
                Medium::Tape {
                    t, block_length, ..
                },
                Place::Tape {
                    first_block: Some(first),
                    ..
                },
            ) => {
                let tape = Tape::new(t.as_ref());
                tape.locate(*first)
                    .map_err(|e| stop(format!("positioning the tape to read back: {e}")))?;
                // Whole blocks, in as many READs as the path needs.
                let step =
                    crate::transport::bytes_per_command(t.as_ref(), *block_length, dst.len());
                let mut got = 0;
                for part in dst.chunks_mut(step) {
                    let want = part.len();
                    let r = tape
                        .read(
                            part,
                            crate::transport::tape::BlockMode::Fixed(*block_length),
                        )
                        .map_err(|e| stop(format!("reading the tape back: {e}")))?;
                    got += r.bytes;
                    if r.bytes != want {
                        break;
                    }
                }
                if got != dst.len() {
                    return Err(stop(format!(
                        "the tape gave {got} of the segment's {bytes} bytes back"
                    )));
                }
            }
            _ => {
                return Err(stop(
                    "--verify needs a drive that reports its position (to read the segment back)"
                        .into(),
                ))
            }
        }
        let (a, b) = (crc32c::crc32c(&src), crc32c::crc32c(&dst));
        if a != b {
            return Err(stop(format!(
                "read back, the segment's CRC32C is {b:08x} where the source's is {a:08x}"
            )));
        }
        Ok(a)
    }
}

/// The failure in one line, with the device's sense in words.
///
/// When the copy manager's sense names the descriptor it stopped at (a
/// segment pointer, SPC-4 §4.5.2.4.5 — LIO's bare 0D/02 does not), that is
/// said too: with several commands or descriptors per segment it tells how
/// far into the segment the failure came.
fn failure_words(f: &MoveFailed) -> String {
    let Some(failure) = f.error.scsi().and_then(|e| e.failure()) else {
        return f.to_string();
    };
    let sense = failure.sense();
    let descriptor = sense
        .filter(|s| s.segment_pointer().is_some())
        .and_then(|s| s.failed_segment_index());
    match descriptor {
        Some(d) => format!(
            "{}: {failure} (at descriptor {d} of the segment's command {})",
            f.mover, f.command
        ),
        None if f.command > 0 => format!(
            "{}: {failure} (the segment's command {})",
            f.mover, f.command
        ),
        None => format!("{}: {failure}", f.mover),
    }
}

/// Opens and readies one stream: its mover, and its medium (a tape loaded,
/// set to `tape_block` and at its end of data; a disk checked for room).
fn prepare(
    opener: &dyn Opener,
    spec: &StreamSpec,
    source: &Source,
    object: &Object,
    segment_bytes: u64,
    max_tape_block: u32,
    timeouts: Timeouts,
) -> Result<Stream, PrepareError> {
    let open = |name: &str| opener.open(name).map_err(|e| PrepareError::Other(e.0));
    // The largest stream transfer the copy manager takes (MAXIMUM STREAM
    // DEVICE TRANSFER SIZE; 0: it sets none): the tape block may not be
    // larger, or every segment would be refused.
    let mut cm_stream_max = 0u32;
    let mover: Box<dyn Mover> = match &spec.mover {
        MoverSpec::CopyManager(cm) => {
            let t = open(cm)?;
            let (op, _) = Scsi::new(t.as_ref())
                .operating_parameters()
                .map_err(|e| PrepareError::Other(e.to_string()))?;
            let limits = Limits::from_operating_parameters(cm, &op)
                .map_err(|e| PrepareError::Other(e.to_string()))?;
            if segment_bytes % u64::from(limits.granularity.max(1)) != 0 {
                return Err(PrepareError::Granularity {
                    copy_manager: cm.clone(),
                    granularity: limits.granularity,
                });
            }
            cm_stream_max = limits.max_stream_transfer;
            let m = XcopyMover::new(t, limits, timeouts);
            let to_tape = matches!(spec.destination, DestSpec::Tape { .. });
            m.check(false, to_tape)
                .map_err(|e| PrepareError::Other(e.to_string()))?;
            Box::new(m)
        }
        MoverSpec::BackupServer(b) => Box::new(HostMover::new(b)),
    };
    let medium = match &spec.destination {
        DestSpec::Tape {
            library,
            drive,
            drive_number,
            barcode,
        } => {
            let lib = open(library)?;
            media::load(lib.as_ref(), *drive_number, barcode)?;
            let t = open(drive)?;
            media::wait_ready(t.as_ref(), barcode)?;
            let id = crate::transport::discover::Identity::probe(&Scsi::new(t.as_ref()))
                .map_err(|e| PrepareError::Other(e.to_string()))?;
            let designator = id.cscd_designator().cloned().ok_or_else(|| {
                PrepareError::Other(format!(
                    "{drive} reports no designator a copy manager could name it by (VPD 83h)"
                ))
            })?;
            let limits = Tape::new(t.as_ref())
                .read_block_limits()
                .map_err(|e| PrepareError::Other(e.to_string()))?;
            let block_length = media::tape_block_length(
                segment_bytes,
                object.bytes(),
                object.block_length,
                max_tape_block,
                match (limits.maximum_block_length_limit, cm_stream_max) {
                    (0, c) => c,
                    (d, 0) => d,
                    (d, c) => d.min(c),
                },
            );
            let start = media::ready_to_append(t.as_ref(), block_length)?;
            Medium::Tape {
                library: library.clone(),
                drive_name: drive.clone(),
                barcode: barcode.clone(),
                t,
                designator,
                block_length,
                next: start,
                reports: start.is_some(),
                written: 0,
            }
        }
        DestSpec::Disk { disk, lba } => {
            let t = open(disk)?;
            let ep = endpoint(&Scsi::new(t.as_ref()))?;
            if ep.block_length != object.block_length {
                return Err(PrepareError::Destination(format!(
                    "{disk} has {}-byte blocks and the source {}-byte blocks; a disk destination needs the same block size",
                    ep.block_length, object.block_length
                )));
            }
            if lba
                .checked_add(object.blocks)
                .is_none_or(|e| e > ep.capacity_blocks)
            {
                return Err(PrepareError::Destination(format!(
                    "{disk} is too small: the backup needs blocks {lba} to {} and it has {} blocks",
                    lba.saturating_add(object.blocks) - 1,
                    ep.capacity_blocks
                )));
            }
            if ep.designator == source.endpoint.designator
                && *lba < object.lba + object.blocks
                && object.lba < lba + object.blocks
            {
                return Err(PrepareError::Destination(format!(
                    "{disk} is the source itself and blocks {lba}.. overlap the object; choose another disk or range"
                )));
            }
            Medium::Disk {
                t,
                endpoint: ep,
                lba: *lba,
            }
        }
    };
    Ok(Stream {
        spec: spec.clone(),
        mover,
        medium,
        done: 0,
    })
}

/// Why a stream could not be made ready.
#[derive(Debug, thiserror::Error)]
enum PrepareError {
    #[error(transparent)]
    Media(Box<MediaError>),
    #[error(transparent)]
    Endpoint(Box<EndpointError>),
    #[error("{0}")]
    Destination(String),
    #[error("{copy_manager}'s data segment granularity is {granularity} bytes")]
    Granularity {
        copy_manager: String,
        granularity: u32,
    },
    #[error("{0}")]
    Other(String),
}

impl From<MediaError> for PrepareError {
    fn from(e: MediaError) -> Self {
        PrepareError::Media(Box::new(e))
    }
}

impl From<EndpointError> for PrepareError {
    fn from(e: EndpointError) -> Self {
        PrepareError::Endpoint(Box::new(e))
    }
}

/// Runs a backup over `streams` (from the selector), recording it in
/// `store`, telling `observer` as it goes.
pub fn run(
    opener: &dyn Opener,
    store: &dyn Store,
    req: &BackupRequest,
    streams: &[StreamSpec],
    observer: &dyn Observer,
) -> Result<BackupOutcome, BackupError> {
    let checked = check(opener, req)?;
    run_checked(
        opener,
        store,
        req,
        checked,
        streams,
        Begin::New { holder: None },
        observer,
    )
}

/// A backup request checked against its source: the source open, the
/// object, its segments.
pub struct Checked {
    source: Source,
    object: Object,
    spans: Spans,
}

impl Checked {
    /// The object the backup copies.
    pub fn object(&self) -> &Object {
        &self.object
    }
}

/// Checks a request before anything is secured or moved: the source
/// answers, the range is on it, the segment size cuts it.
pub fn check(opener: &dyn Opener, req: &BackupRequest) -> Result<Checked, BackupError> {
    let src_err = |why: String| BackupError::Source {
        device: req.source.clone(),
        why,
    };
    let t = opener.open(&req.source).map_err(|e| src_err(e.0))?;
    let ep = endpoint(&Scsi::new(t.as_ref())).map_err(|e| src_err(e.to_string()))?;
    let blocks = match req.blocks {
        Some(b) => b,
        None => ep.capacity_blocks.saturating_sub(req.lba),
    };
    super::segments::check_range(&req.source, req.lba, blocks, ep.capacity_blocks)?;
    super::segments::check_size(
        &req.source,
        req.segment_bytes,
        ep.block_length,
        ep.capacity_blocks,
    )?;
    let object = Object {
        source: req.source.clone(),
        designator: hex::encode(&ep.designator.value),
        lba: req.lba,
        blocks,
        block_length: ep.block_length,
    };
    let spans = cut(&object, req.segment_bytes)?;
    Ok(Checked {
        source: Source { t, endpoint: ep },
        object,
        spans,
    })
}

/// [`run`] with the request already [`check`]ed.
pub fn run_checked(
    opener: &dyn Opener,
    store: &dyn Store,
    req: &BackupRequest,
    checked: Checked,
    streams: &[StreamSpec],
    begin: Begin<'_>,
    observer: &dyn Observer,
) -> Result<BackupOutcome, BackupError> {
    let Checked {
        source,
        object,
        spans,
    } = checked;
    let starts = match begin {
        Begin::New { .. } => Vec::new(),
        Begin::Resume(d) => resume_points(d, &object, req, spans.len())?,
    };

    // Every stream made ready before any data moves (Step 1090).
    let mut ready: Vec<Stream> = Vec::new();
    let mut unready: Vec<(StreamId, String)> = Vec::new();
    for spec in streams {
        match prepare(
            opener,
            spec,
            &source,
            &object,
            req.segment_bytes,
            req.max_tape_block,
            req.timeouts,
        ) {
            Ok(s) => {
                observer.event(&Event::StreamReady {
                    stream: spec.stream,
                    what: s.describe(),
                });
                ready.push(s);
            }
            Err(PrepareError::Granularity {
                copy_manager,
                granularity,
            }) => {
                return Err(BackupError::Granularity {
                    bytes: req.segment_bytes,
                    copy_manager,
                    granularity,
                })
            }
            Err(PrepareError::Destination(why)) => return Err(BackupError::Destination(why)),
            Err(e) => {
                let why = e.to_string();
                observer.event(&Event::StreamUnready {
                    stream: spec.stream,
                    why: why.clone(),
                });
                unready.push((spec.stream, why));
            }
        }
    }
    if ready.is_empty() {
        let all: Vec<String> = unready
            .iter()
            .map(|(s, w)| format!("stream {s}: {w}"))
            .collect();
        return Err(BackupError::NoStream(all.join("; ")));
    }

    let id = match begin {
        Begin::New { holder } => {
            let started = now();
            store.begin_backup(&Backup {
                id: 0,
                job: req.job,
                object: object.clone(),
                mode: req.mode,
                segment_bytes: req.segment_bytes,
                segments: spans.len(),
                streams: streams.len() as u8,
                started,
                ended: None,
                status: BackupStatus::Running,
                preferred_copy: None,
                verified: req.verify,
                holder,
                retain_until: req.retention.map(|r| started.saturating_add(r)),
            })?
        }
        Begin::Resume(d) => d.backup.id,
    };
    observer.event(&Event::Began {
        id,
        segments: spans.len(),
        bytes: object.bytes(),
    });
    if let Begin::Resume(_) = begin {
        observer.event(&Event::Resumed {
            id,
            from: starts.clone(),
        });
    }
    for (stream, why) in &unready {
        store.record_stream(&StreamEvent {
            backup: id,
            stream: *stream,
            failed_at: Some(0),
            segments_done: 0,
            reason: format!("not ready before the backup: {why}"),
            at: now(),
        })?;
    }

    let ctx = Ctx {
        id,
        store,
        observer,
        source: &source,
        object: &object,
        spans,
        verify: req.verify,
        starts,
    };
    let (status, preferred, failovers, fatal) = match req.mode {
        Mode::Failover => ctx.failover(&mut ready)?,
        Mode::Mirror => ctx.mirror(&mut ready)?,
    };
    store.finish_backup(id, status, preferred, now())?;
    let head = store.backup_without_segments(id)?;
    let maps = ctx.write_maps(&ready, &head);
    if let Some((segment, stream, why, error)) = fatal {
        return Err(BackupError::Fatal {
            id,
            segment,
            stream,
            why,
            error: Box::new(error),
        });
    }
    Ok(BackupOutcome {
        id,
        status,
        failovers,
        backup: head.backup,
        maps,
    })
}

/// Where each copy of a backup taken over goes on: its first segment not
/// recorded. The backup must be the one `req` makes of `object` (same
/// source blocks, segment size and mode), and each copy's records must be
/// its first segments (as failover and mirror write them), so that
/// nothing is copied twice nor skipped.
fn resume_points(
    d: &BackupDetail,
    object: &Object,
    req: &BackupRequest,
    segments: u64,
) -> Result<Vec<(u8, u64)>, BackupError> {
    let b = &d.backup;
    let differs = |why: String| BackupError::Resume { id: b.id, why };
    if b.object.designator != object.designator {
        return Err(differs(format!(
            "it is a backup of the unit with designator {}, and {} now has designator {}",
            b.object.designator, object.source, object.designator
        )));
    }
    if (b.object.lba, b.object.blocks, b.object.block_length)
        != (object.lba, object.blocks, object.block_length)
    {
        return Err(differs(format!(
            "it copies {} blocks of {} bytes from LBA {}, not {} of {} from LBA {}",
            b.object.blocks,
            b.object.block_length,
            b.object.lba,
            object.blocks,
            object.block_length,
            object.lba
        )));
    }
    if b.segment_bytes != req.segment_bytes || b.segments != segments || b.mode != req.mode {
        return Err(differs(format!(
            "it is a {} backup of {} segments of {} bytes, not a {} backup of {segments} of {}",
            b.mode, b.segments, b.segment_bytes, req.mode, req.segment_bytes
        )));
    }
    let mut counts: std::collections::BTreeMap<u8, (u64, u64)> = Default::default();
    for s in &d.segments {
        let e = counts.entry(s.copy).or_insert((0, 0));
        e.0 += 1;
        e.1 = e.1.max(s.index + 1);
    }
    let mut out = Vec::new();
    for (copy, (n, end)) in counts {
        if n != end {
            return Err(differs(format!(
                "copy {copy} has {n} segments recorded but not segments 0 to {}: a gap that segcopy never leaves",
                n.saturating_sub(1)
            )));
        }
        out.push((copy, n));
    }
    Ok(out)
}

/// A fatal stop: segment, stream, row, failure.
type Fatal = Option<(u64, StreamId, &'static str, MoveFailed)>;

/// How a loop ended: status, preferred copy, failovers, a fatal stop.
type Ended = (BackupStatus, Option<u8>, Vec<Failover>, Fatal);

/// What a backup's loops share.
struct Ctx<'a> {
    id: BackupId,
    store: &'a dyn Store,
    observer: &'a dyn Observer,
    source: &'a Source,
    object: &'a Object,
    spans: Spans,
    verify: bool,
    /// A resumed backup: each copy's first segment not recorded.
    starts: Vec<(u8, u64)>,
}

impl Ctx<'_> {
    /// Where copy `copy` starts: 0, or where a resumed backup left it.
    fn start(&self, copy: u8) -> u64 {
        self.starts
            .iter()
            .find(|(c, _)| *c == copy)
            .map_or(0, |(_, k)| *k)
    }

    fn record(
        &self,
        stream: &Stream,
        copy: u8,
        seg: &SegmentSpan,
        place: Place,
        crc: Option<u32>,
    ) -> Result<(), StoreError> {
        let r = SegmentRecord {
            backup: self.id,
            copy,
            index: seg.index,
            source_lba: seg.source_lba,
            blocks: seg.blocks,
            bytes: seg.blocks * u64::from(self.object.block_length),
            stream: stream.spec.stream,
            mover_device: stream.mover.device().to_string(),
            mover: stream.mover.kind(),
            place,
            crc32c: crc,
            completed: now(),
        };
        self.store.record_segment(&r)?;
        self.observer.event(&Event::SegmentDone(r));
        Ok(())
    }

    fn stream_event(
        &self,
        stream: StreamId,
        failed_at: Option<u64>,
        done: u64,
        reason: String,
    ) -> Result<(), StoreError> {
        self.store.record_stream(&StreamEvent {
            backup: self.id,
            stream,
            failed_at,
            segments_done: done,
            reason,
            at: now(),
        })
    }

    /// Stream 0 copies; at a failed segment the next continues from it.
    fn failover(&self, streams: &mut [Stream]) -> Result<Ended, StoreError> {
        let mut failovers = Vec::new();
        let mut active = 0usize;
        let mut fatal = None;
        let mut k = self.start(0);
        while active < streams.len() {
            let Some(seg) = self.spans.get(k) else {
                break;
            };
            let s = &mut streams[active];
            match s.copy(self.source, self.object, &seg, self.verify, self.observer) {
                Ok((place, crc)) => {
                    s.done += 1;
                    self.record(s, 0, &seg, place, crc)?;
                    k += 1;
                }
                Err(stop) => {
                    let from = s.spec.stream;
                    let done = s.done;
                    self.stream_event(from, Some(seg.index), done, stop.reason.clone())?;
                    if stop.action == Action::Fatal {
                        fatal = stop.error.map(|e| (seg.index, from, stop.why, *e));
                        if fatal.is_none() {
                            failovers.push(Failover {
                                segment: seg.index,
                                from_stream: from,
                                to_stream: None,
                                reason: stop.reason,
                            });
                        }
                        break;
                    }
                    active += 1;
                    let f = Failover {
                        segment: seg.index,
                        from_stream: from,
                        to_stream: streams.get(active).map(|n| n.spec.stream),
                        reason: stop.reason,
                    };
                    self.observer.event(&Event::Failover(f.clone()));
                    failovers.push(f);
                }
            }
        }
        let complete = k == self.spans.len();
        if complete && k == self.start(0) {
            // A resumed backup whose segments were all recorded already:
            // its process died after the last one.
            return Ok((BackupStatus::Completed, None, failovers, fatal));
        }
        if complete {
            let s = &streams[active];
            self.stream_event(s.spec.stream, None, s.done, "completed".into())?;
            self.observer.event(&Event::StreamDone {
                stream: s.spec.stream,
                segments: s.done,
            });
        }
        let status = if complete {
            BackupStatus::Completed
        } else if k > 0 {
            BackupStatus::Partial
        } else {
            BackupStatus::Failed
        };
        Ok((status, None, failovers, fatal))
    }

    /// Every stream copies every segment, each on its own thread.
    fn mirror(&self, streams: &mut [Stream]) -> Result<Ended, StoreError> {
        let finished: Mutex<Vec<u8>> = Mutex::new(Vec::new());
        let results: Vec<Result<Option<(Failover, Fatal)>, StoreError>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = streams
                    .iter_mut()
                    .map(|s| {
                        let finished = &finished;
                        scope.spawn(move || self.mirror_stream(s, finished))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(StoreError::Invalid(
                                "a mirror stream's thread panicked".into(),
                            ))
                        })
                    })
                    .collect()
            });
        let mut failovers = Vec::new();
        let mut fatal = None;
        for r in results {
            if let Some((f, fa)) = r? {
                failovers.push(f);
                if fatal.is_none() {
                    fatal = fa;
                }
            }
        }
        let finished = finished.into_inner().unwrap_or_else(|p| p.into_inner());
        let any_segment = streams.iter().any(|s| s.done > 0) || self.starts.iter().any(|s| s.1 > 0);
        let status = match finished.first() {
            Some(_) => BackupStatus::Completed,
            None if any_segment => BackupStatus::Partial,
            None => BackupStatus::Failed,
        };
        Ok((status, finished.first().copied(), failovers, fatal))
    }

    /// One mirror stream: every segment, until one fails.
    fn mirror_stream(
        &self,
        s: &mut Stream,
        finished: &Mutex<Vec<u8>>,
    ) -> Result<Option<(Failover, Fatal)>, StoreError> {
        let copy = s.spec.stream;
        let start = self.start(copy);
        let skip = usize::try_from(start).unwrap_or(usize::MAX);
        for seg in self.spans.iter().skip(skip) {
            match s.copy(self.source, self.object, &seg, self.verify, self.observer) {
                Ok((place, crc)) => {
                    s.done += 1;
                    self.record(s, copy, &seg, place, crc)?;
                }
                Err(stop) => {
                    self.stream_event(copy, Some(seg.index), s.done, stop.reason.clone())?;
                    let f = Failover {
                        segment: seg.index,
                        from_stream: copy,
                        to_stream: None,
                        reason: stop.reason,
                    };
                    self.observer.event(&Event::Failover(f.clone()));
                    let fatal = match (stop.action, stop.error) {
                        (Action::Fatal, Some(e)) => Some((seg.index, copy, stop.why, *e)),
                        _ => None,
                    };
                    return Ok(Some((f, fatal)));
                }
            }
        }
        finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(copy);
        self.stream_event(copy, None, s.done, "completed".into())?;
        self.observer.event(&Event::StreamDone {
            stream: copy,
            segments: s.done,
        });
        Ok(None)
    }

    /// After the data: each tape that holds segments of this backup gets a
    /// filemark, the backup's catalog, and a filemark (Step 1170). `head`
    /// is the backup without its segments: each map reads them from the
    /// catalog as it is written.
    fn write_maps(&self, streams: &[Stream], head: &BackupDetail) -> Vec<MapWritten> {
        let mut out = Vec::new();
        for s in streams {
            let Medium::Tape {
                t,
                barcode,
                block_length,
                designator,
                written,
                ..
            } = &s.medium
            else {
                continue;
            };
            if *written == 0 {
                continue;
            }
            let how = write_map(
                t.as_ref(),
                s,
                designator,
                barcode,
                *block_length,
                self.store,
                head,
            );
            let m = MapWritten {
                stream: s.spec.stream,
                barcode: barcode.clone(),
                how,
            };
            if let Err(e) = &m.how {
                warn!("{barcode}: the backup's catalog could not be written on the tape: {e}");
            }
            self.observer.event(&Event::Map(m.clone()));
            out.push(m);
        }
        out
    }
}

/// Writes the map of `head` (its segments read from `store`) on the tape
/// in `drive`: FM, map, FM. The map goes through the stream's copy manager
/// as inline data (04h) where it implements that and the map fits its
/// inline limit, otherwise by this host's WRITE(6) in commands of at most
/// [`MAP_CHUNK`] bytes; either way the map is never held whole beyond
/// that limit or that chunk.
fn write_map(
    drive: &dyn Transport,
    s: &Stream,
    designator: &Designator,
    barcode: &str,
    block_length: u32,
    store: &dyn Store,
    head: &BackupDetail,
) -> Result<String, String> {
    let catalog = store.catalog_id().map_err(|e| e.to_string())?;
    let map = MapWriter::for_catalog(store, head, barcode, now(), Some(&catalog))
        .map_err(|e| e.to_string())?;
    // Inline data is a parameter list's: built whole, within the limit.
    let raw = if s.mover.takes_inline(map.len()) {
        let mut raw = Vec::new();
        map.write(0, &mut raw).map_err(|e| e.to_string())?;
        Some(raw)
    } else {
        None
    };
    let tape = Tape::new(drive);
    tape.write_filemarks(1).map_err(|e| e.to_string())?;
    let inline = raw.and_then(|raw| s.mover.inline_to_tape(designator, block_length, &raw));
    let how = match inline {
        Some(Ok(())) => "EXTENDED COPY inline data (04h)".to_string(),
        Some(Err(e)) => return Err(e.to_string()),
        None => host_map(&tape, block_length, &map)?,
    };
    tape.write_filemarks(1).map_err(|e| e.to_string())?;
    Ok(how)
}

/// The most bytes of a map one host WRITE(6) carries (at least one tape
/// block): a map up to this size goes in one command.
const MAP_CHUNK: usize = 8 << 20;

fn host_map(tape: &Tape<'_>, block_length: u32, map: &MapWriter<'_>) -> Result<String, String> {
    let bl = block_length.max(1) as usize;
    let mut w = BlockWriter {
        tape,
        block_length,
        chunk: (MAP_CHUNK / bl).max(1) * bl,
        buf: Vec::new(),
        failed: None,
    };
    let written = map
        .write(block_length, &mut w)
        .map_err(|e| e.to_string())
        .and_then(|()| w.finish().map_err(|e| e.to_string()));
    match (w.failed, written) {
        // The tape's own words, not the encoder's.
        (Some(e), _) => Err(e.to_string()),
        (None, Err(e)) => Err(e),
        (None, Ok(())) => Ok("host WRITE(6)".to_string()),
    }
}

/// Writes to a fixed-block tape by WRITE(6), a command per `chunk` bytes
/// (whole blocks) and one for what is left, keeping at most one chunk.
struct BlockWriter<'t> {
    tape: &'t Tape<'t>,
    block_length: u32,
    chunk: usize,
    buf: Vec<u8>,
    /// The tape's error, when a WRITE failed.
    failed: Option<ScsiError>,
}

impl BlockWriter<'_> {
    fn send(&mut self) -> std::io::Result<()> {
        let r = self.tape.write(
            &self.buf,
            crate::transport::tape::BlockMode::Fixed(self.block_length),
        );
        if let Err(e) = r {
            let msg = e.to_string();
            self.failed = Some(e);
            return Err(std::io::Error::other(msg));
        }
        self.buf.clear();
        Ok(())
    }

    /// Sends what is left (whole blocks: the map is padded to them).
    fn finish(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.send()
    }
}

impl std::io::Write for BlockWriter<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = data.len().min(self.chunk - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == self.chunk {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::tape::{Cartridge, SimTapeDrive};
    use crate::sim::Fabric;
    use crate::transport::tape::BlockMode;
    use std::io::Write;
    use std::sync::Arc;

    fn drive(protected: bool) -> (Arc<Fabric>, &'static str) {
        let d = SimTapeDrive::new("drive0");
        d.load(Cartridge::memory("T00001L6", 1 << 20, 0).write_protected(protected));
        let mut f = Fabric::new();
        f.add(d).unwrap();
        (Arc::new(f), "drive0")
    }

    #[test]
    fn a_map_goes_to_tape_in_chunks_of_whole_blocks() {
        let (fabric, name) = drive(false);
        let t = fabric.transport(name).unwrap();
        let tape = Tape::new(&t);
        tape.set_block_length(512).unwrap();
        let mut data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        data.resize(5120, 0);
        let mut w = BlockWriter {
            tape: &tape,
            block_length: 512,
            chunk: 2048,
            buf: Vec::new(),
            failed: None,
        };
        // Pieces that straddle the chunks.
        for piece in data.chunks(700) {
            w.write_all(piece).unwrap();
            assert!(w.buf.len() < 2048);
        }
        w.finish().unwrap();
        assert!(w.failed.is_none());
        assert_eq!(tape.tell().unwrap().position.trusted_block(), Some(10));
        tape.rewind().unwrap();
        let mut back = vec![0u8; 5120];
        tape.read(&mut back, BlockMode::Fixed(512)).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn a_map_the_tape_refuses_keeps_the_tape_s_error() {
        let (fabric, name) = drive(true);
        let t = fabric.transport(name).unwrap();
        let tape = Tape::new(&t);
        tape.set_block_length(512).unwrap();
        let mut w = BlockWriter {
            tape: &tape,
            block_length: 512,
            chunk: 512,
            buf: Vec::new(),
            failed: None,
        };
        assert!(w.write_all(&[7u8; 512]).is_err());
        let e = w.failed.expect("the tape's error").to_string();
        assert!(e.contains("DATA PROTECT: Write protected"), "{e}");
    }
}
