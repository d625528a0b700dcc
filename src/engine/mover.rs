//! Movers: what moves a segment's blocks from one end to the other.
//!
//! - [`XcopyMover`]: third-party copy through a copy manager — EXTENDED
//!   COPY (LID1) with 00h block→stream descriptors to a tape, 01h
//!   stream→block from one, 02h block→block between disks — as many
//!   commands as the copy manager's OPERATING PARAMETERS require for one
//!   segment, each with a fresh list identifier and a time-out scaled to the
//!   bytes it moves. Nothing passes through this host.
//! - [`HostMover`]: this host reads with READ (16) (or READ (6) from a tape)
//!   and writes with WRITE (16) (or WRITE (6) to a tape): the patent's
//!   backup server, and the way to move data when no copy manager serves.
//!
//! A segment is done only when every one of its commands completed with
//! GOOD status; the first command that fails ends the attempt, and the
//! caller decides (see [`super::classify`]) whether to retry the segment or
//! fail over. A tape end is used from its current position: the caller
//! positions it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::classify::{classify, Action, Verdict};
use super::plan::{Endpoint, Limits};
use crate::catalog::MoverKind;
use crate::transport::commands::{Scsi, ScsiError};
use crate::transport::tape::{BlockMode, Tape};
use crate::transport::Transport;
use crate::wire::cscd::{CscdDescriptor, IdentificationCscd};
use crate::wire::segment::{self, BlockStream, SegmentDescriptor, SegmentFlags};
use crate::wire::vpd::Designator;
use crate::wire::xcopy::{ListIdUsage, ParameterList};

/// One end of a transfer.
pub enum End<'a> {
    /// A disk, from an LBA.
    Disk {
        /// Its transport (a host mover reads or writes through it).
        t: &'a dyn Transport,
        /// What it is (designator, block length, capacity).
        endpoint: &'a Endpoint,
        /// The first LBA.
        lba: u64,
    },
    /// A tape drive at its current position, in fixed-block mode.
    Tape {
        /// Its transport.
        t: &'a dyn Transport,
        /// Its designator.
        designator: &'a Designator,
        /// The fixed block length the drive is set to.
        block_length: u32,
    },
}

impl End<'_> {
    fn is_tape(&self) -> bool {
        matches!(self, End::Tape { .. })
    }
}

/// A transfer: `bytes` from one end to the other (whole blocks of both).
pub struct Transfer<'a> {
    /// Where from.
    pub from: End<'a>,
    /// Where to.
    pub to: End<'a>,
    /// How many bytes.
    pub bytes: u64,
}

/// Why a transfer stopped.
#[derive(Debug, thiserror::Error)]
#[error("command {command} of the segment failed: {error}")]
pub struct MoveFailed {
    /// The mover's device.
    pub mover: String,
    /// Which command of the transfer failed (from 0).
    pub command: usize,
    /// How it failed.
    #[source]
    pub error: MoveError,
}

/// How a transfer's command failed.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    /// A command failed (see [`super::classify`]).
    #[error(transparent)]
    Scsi(Box<ScsiError>),
    /// The mover cannot do this transfer at all.
    #[error(transparent)]
    Unfit(#[from] XcopyUnfit),
    /// A tape gave fewer bytes than the segment holds.
    #[error("{device}: the tape gave {got} of {want} bytes (a filemark or the end of data where the segment should be)")]
    Short {
        /// The drive.
        device: String,
        /// Bytes read.
        got: usize,
        /// Bytes expected.
        want: usize,
    },
}

impl From<ScsiError> for MoveError {
    fn from(e: ScsiError) -> Self {
        MoveError::Scsi(Box::new(e))
    }
}

impl MoveError {
    /// What to do about it ([`super::classify`] for a failed command; a
    /// mover that cannot do the transfer, or a tape that does not hold the
    /// segment, fails over: another mover or copy may).
    pub fn verdict(&self) -> Verdict {
        match self {
            MoveError::Scsi(e) => classify(e),
            MoveError::Unfit(_) => Verdict {
                action: Action::Failover,
                why: "the mover cannot do this transfer",
            },
            MoveError::Short { .. } => Verdict {
                action: Action::Failover,
                why: "the tape does not hold the whole segment",
            },
        }
    }

    /// The failed command's error, if a command failed.
    pub fn scsi(&self) -> Option<&ScsiError> {
        match self {
            MoveError::Scsi(e) => Some(e),
            _ => None,
        }
    }
}

/// Something that moves a transfer.
pub trait Mover: Send + Sync {
    /// EXTENDED COPY or host copy.
    fn kind(&self) -> MoverKind;
    /// The device doing the work (a copy manager, or the backup server).
    fn device(&self) -> &str;
    /// Moves it; `Ok` once every command completed with GOOD status.
    fn transfer(&self, t: &Transfer<'_>) -> Result<(), MoveFailed>;

    /// Whether [`Mover::inline_to_tape`] takes `bytes` bytes of data (it
    /// writes inline data and they fit its limit), for a caller that would
    /// build them only then.
    fn takes_inline(&self, _bytes: u64) -> bool {
        false
    }

    /// Writes `data` to the tape drive `drive` at its position as inline
    /// data (04h), the last tape block padded with zeros, if this mover
    /// can: `None` when it cannot (a host mover, a copy manager without
    /// 04h, or data longer than its inline limit: see
    /// [`Mover::takes_inline`]).
    fn inline_to_tape(
        &self,
        _drive: &Designator,
        _block_length: u32,
        _data: &[u8],
    ) -> Option<Result<(), MoveFailed>> {
        None
    }
}

/// How long an EXTENDED COPY may take: `base` plus the time to move its
/// bytes at `min_rate` bytes per second (a copy manager slower than that is
/// taken for hung).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// The fixed part.
    pub base: Duration,
    /// The slowest rate still taken for progress, in bytes per second.
    pub min_rate: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            base: Duration::from_secs(30),
            min_rate: 4 << 20,
        }
    }
}

impl Timeouts {
    /// The time-out for a command that moves `bytes`.
    pub fn for_bytes(&self, bytes: u64) -> Duration {
        self.base + Duration::from_secs(bytes / self.min_rate.max(1))
    }
}

/// Third-party copy through a copy manager.
pub struct XcopyMover {
    cm: Box<dyn Transport>,
    limits: Limits,
    timeouts: Timeouts,
    list_ids: Mutex<ListIds>,
}

/// The list identifiers of the commands in flight on a mover.
struct ListIds {
    next: u8,
    in_flight: [u64; 4],
}

/// Why a copy manager cannot do a transfer at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XcopyUnfit {
    /// It does not implement the descriptor the transfer needs.
    #[error("{copy_manager} does not implement {what} segment descriptors ({code:02X}h)")]
    NotImplemented {
        /// The copy manager.
        copy_manager: String,
        /// The type code.
        code: u8,
        /// Its name.
        what: &'static str,
    },
    /// Its limits leave no room for one block in a command.
    #[error("{copy_manager}'s OPERATING PARAMETERS leave no room for one block per command")]
    NoRoom {
        /// The copy manager.
        copy_manager: String,
    },
    /// Tape to tape is not a backup segcopy makes.
    #[error("a transfer from a tape to a tape is not something segcopy does")]
    TapeToTape,
}

impl XcopyMover {
    /// A mover sending EXTENDED COPY to `cm`, within `limits` (from its
    /// OPERATING PARAMETERS).
    pub fn new(cm: Box<dyn Transport>, limits: Limits, timeouts: Timeouts) -> Self {
        XcopyMover {
            cm,
            limits,
            timeouts,
            list_ids: Mutex::new(ListIds {
                next: 1,
                in_flight: [0; 4],
            }),
        }
    }

    /// The copy manager's limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether this copy manager can move a transfer of this shape.
    pub fn check(&self, from_tape: bool, to_tape: bool) -> Result<(), XcopyUnfit> {
        let (code, what) = match (from_tape, to_tape) {
            (false, false) => (segment::code::BLOCK_TO_BLOCK, "block→block"),
            (false, true) => (segment::code::BLOCK_TO_STREAM, "block→stream"),
            (true, false) => (segment::code::STREAM_TO_BLOCK, "stream→block"),
            (true, true) => return Err(XcopyUnfit::TapeToTape),
        };
        if !self.limits.implements(code) {
            return Err(XcopyUnfit::NotImplemented {
                copy_manager: self.limits.copy_manager.clone(),
                code,
                what,
            });
        }
        Ok(())
    }

    /// A LIST IDENTIFIER no command in flight on this mover holds (1..=255,
    /// taken round-robin so a copy manager's held results of one command
    /// are not mistaken for another's); give it back with
    /// [`Self::give_back`] when the command ended.
    fn list_id(&self) -> u8 {
        let mut ids = self.list_ids.lock().unwrap_or_else(|p| p.into_inner());
        for _ in 0..255 {
            let id = ids.next;
            ids.next = if id == 255 { 1 } else { id + 1 };
            let (word, bit) = (usize::from(id / 64), id % 64);
            if ids.in_flight[word] & (1 << bit) == 0 {
                ids.in_flight[word] |= 1 << bit;
                return id;
            }
        }
        // 255 commands in flight: more than any queue depth segcopy uses
        // (engine::queue::MAX_DEPTH); share rather than wait.
        ids.next
    }

    fn give_back(&self, id: u8) {
        let mut ids = self.list_ids.lock().unwrap_or_else(|p| p.into_inner());
        ids.in_flight[usize::from(id / 64)] &= !(1 << (id % 64));
    }

    /// The parameter lists for a transfer, one per command.
    pub fn lists(&self, t: &Transfer<'_>) -> Result<Vec<(ParameterList, u64)>, XcopyUnfit> {
        self.check(t.from.is_tape(), t.to.is_tape())?;
        let no_room = || XcopyUnfit::NoRoom {
            copy_manager: self.limits.copy_manager.clone(),
        };
        let cscd = |e: &End<'_>| match e {
            End::Disk { endpoint, .. } => {
                CscdDescriptor::Identification(IdentificationCscd::block(
                    &endpoint.designator,
                    endpoint.peripheral_device_type,
                    endpoint.block_length,
                ))
            }
            End::Tape {
                designator,
                block_length,
                ..
            } => CscdDescriptor::Identification(IdentificationCscd::stream(
                designator,
                true,
                *block_length,
            )),
        };
        let cscds = vec![cscd(&t.from), cscd(&t.to)];
        // The disk side sets the block count; a tape side, the transfer
        // length of each stream write or read (one tape block).
        let (disk_bl, disk_lba, other_lba, tape_bl) = match (&t.from, &t.to) {
            (End::Disk { endpoint, lba, .. }, End::Disk { lba: dl, .. }) => {
                (endpoint.block_length, *lba, *dl, 0)
            }
            (End::Disk { endpoint, lba, .. }, End::Tape { block_length, .. })
            | (End::Tape { block_length, .. }, End::Disk { endpoint, lba, .. }) => {
                (endpoint.block_length, *lba, 0, *block_length)
            }
            (End::Tape { .. }, End::Tape { .. }) => return Err(XcopyUnfit::TapeToTape),
        };
        let stream = tape_bl != 0;
        let descriptor_bytes = if stream {
            4 + u64::from(segment::BLOCK_STREAM_DESCRIPTOR_LENGTH)
        } else {
            4 + u64::from(segment::BLOCK_BLOCK_DESCRIPTOR_LENGTH)
        };
        let per_command = self.limits.descriptors_per_command_of(descriptor_bytes);
        // Blocks per descriptor: the 16-bit count, the maximum segment
        // length, and for a tape whole tape blocks.
        let mut per_desc = self
            .limits
            .blocks_per_descriptor(disk_bl)
            .min(u64::from(segment::MAX_BLOCKS_PER_B2B));
        if stream {
            let tape_in_disk = u64::from(tape_bl / disk_bl.max(1)).max(1);
            per_desc -= per_desc % tape_in_disk;
        }
        if per_command == 0 || per_desc == 0 {
            return Err(no_room());
        }
        let blocks = t.bytes / u64::from(disk_bl);
        let mut lists = Vec::new();
        let mut done = 0u64;
        while done < blocks {
            let mut descriptors = Vec::new();
            let mut in_command = 0u64;
            while done + in_command < blocks && (descriptors.len() as u64) < per_command {
                let k = per_desc.min(blocks - done - in_command);
                let at = done + in_command;
                descriptors.push(if stream {
                    let d = BlockStream {
                        flags: SegmentFlags::empty(),
                        source: 0,
                        destination: 1,
                        stream_transfer_length: tape_bl,
                        blocks: k as u16, // k ≤ 65,535
                        lba: disk_lba + at,
                    };
                    if t.to.is_tape() {
                        SegmentDescriptor::BlockToStream(d)
                    } else {
                        SegmentDescriptor::StreamToBlock(d)
                    }
                } else {
                    SegmentDescriptor::block_to_block(0, 1, k as u16, disk_lba + at, other_lba + at)
                });
                in_command += k;
            }
            let list = ParameterList {
                list_id: 0,
                str_bit: false,
                list_id_usage: ListIdUsage::NoHold,
                priority: 0,
                cscds: cscds.clone(),
                segments: descriptors,
                inline_data: vec![],
            };
            lists.push((list, in_command * u64::from(disk_bl)));
            done += in_command;
        }
        Ok(lists)
    }
}

impl Mover for XcopyMover {
    fn kind(&self) -> MoverKind {
        MoverKind::Xcopy
    }

    fn device(&self) -> &str {
        self.cm.name()
    }

    fn takes_inline(&self, bytes: u64) -> bool {
        let granule = u64::from(self.limits.inline_granularity.max(1));
        let inline = bytes.div_ceil(granule) * granule;
        // The whole parameter list (header, the drive's CSCD, one 04h
        // segment descriptor, the inline data) must also go through the
        // node in one command: an sg node refuses longer transfers.
        let list = (crate::wire::xcopy::HEADER_LEN
            + crate::wire::cscd::CSCD_LEN
            + segment::INLINE_STREAM_LEN) as u64
            + inline;
        let node_takes = self.cm.max_transfer().is_none_or(|max| list <= max as u64);
        self.limits.implements(segment::code::INLINE_TO_STREAM)
            && inline <= u64::from(self.limits.max_inline)
            && node_takes
    }

    fn inline_to_tape(
        &self,
        drive: &Designator,
        block_length: u32,
        data: &[u8],
    ) -> Option<Result<(), MoveFailed>> {
        if !self.takes_inline(data.len() as u64) {
            return None;
        }
        // Inline data in whole granules; the copy manager pads the last
        // tape block with zeros (PAD in the stream CSCD, SPC-4 6.4.5.5).
        let granule = self.limits.inline_granularity.max(1) as usize;
        let mut inline = data.to_vec();
        inline.resize(data.len().div_ceil(granule) * granule, 0);
        let mut cscd = IdentificationCscd::stream(drive, true, block_length);
        cscd.params = crate::wire::cscd::DeviceParams::Stream {
            pad: true,
            fixed: true,
            stream_block_length: block_length,
        };
        let list = ParameterList {
            list_id: self.list_id(),
            str_bit: false,
            list_id_usage: ListIdUsage::NoHold,
            priority: 0,
            cscds: vec![CscdDescriptor::Identification(cscd)],
            segments: vec![SegmentDescriptor::InlineToStream(segment::InlineToStream {
                flags: SegmentFlags::empty(),
                reserved_source: 0,
                destination: 0,
                stream_transfer_length: block_length,
                inline_offset: 0,
                inline_bytes: inline.len() as u32,
            })],
            inline_data: inline,
        };
        let scsi = Scsi::new(self.cm.as_ref());
        let failed = |error: ScsiError| MoveFailed {
            mover: self.cm.name().to_string(),
            command: 0,
            error: error.into(),
        };
        let sent = scsi
            .encode("EXTENDED COPY", &list)
            .and_then(|l| scsi.extended_copy(&l, self.timeouts.for_bytes(data.len() as u64)));
        self.give_back(list.list_id);
        Some(sent.map_err(failed))
    }

    fn transfer(&self, t: &Transfer<'_>) -> Result<(), MoveFailed> {
        self.transfer_timed(t, |_| {})
    }
}

impl XcopyMover {
    /// [`Mover::transfer`], telling `command` how long each EXTENDED COPY
    /// took (from sending it to its status), in order.
    pub fn transfer_timed(
        &self,
        t: &Transfer<'_>,
        mut command: impl FnMut(Duration),
    ) -> Result<(), MoveFailed> {
        let scsi = Scsi::new(self.cm.as_ref());
        let failed = |command: usize, error: MoveError| MoveFailed {
            mover: self.cm.name().to_string(),
            command,
            error,
        };
        let lists = self.lists(t).map_err(|e| failed(0, e.into()))?;
        for (i, (mut list, bytes)) in lists.into_iter().enumerate() {
            list.list_id = self.list_id();
            let sent = scsi.encode("EXTENDED COPY", &list).and_then(|encoded| {
                let t0 = Instant::now();
                scsi.extended_copy(&encoded, self.timeouts.for_bytes(bytes))
                    .map(|()| t0.elapsed())
            });
            self.give_back(list.list_id);
            command(sent.map_err(|e| failed(i, e.into()))?);
        }
        Ok(())
    }
}

/// The most a host mover moves per READ or WRITE.
const HOST_CHUNK: u64 = 1 << 20;

/// Reads and writes through this host (a backup server).
pub struct HostMover {
    name: String,
}

impl HostMover {
    /// A host mover named `name` (the backup server's name in the site).
    pub fn new(name: &str) -> Self {
        HostMover {
            name: name.to_string(),
        }
    }
}

/// The bytes per command for a transfer between ends of these block
/// lengths: a whole number of both, at most about [`HOST_CHUNK`].
fn chunk_for(a: u32, b: u32) -> u64 {
    let (a, b) = (u64::from(a.max(1)), u64::from(b.max(1)));
    let lcm = a / gcd(a, b) * b;
    (HOST_CHUNK / lcm).max(1) * lcm
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn block_length(e: &End<'_>) -> u32 {
    match e {
        End::Disk { endpoint, .. } => endpoint.block_length,
        End::Tape { block_length, .. } => *block_length,
    }
}

impl Mover for HostMover {
    fn kind(&self) -> MoverKind {
        MoverKind::Host
    }

    fn device(&self) -> &str {
        &self.name
    }

    fn transfer(&self, t: &Transfer<'_>) -> Result<(), MoveFailed> {
        let chunk = chunk_for(block_length(&t.from), block_length(&t.to));
        let mut buf = vec![0u8; chunk.min(t.bytes) as usize];
        let mut done = 0u64;
        let mut command = 0usize;
        while done < t.bytes {
            let n = chunk.min(t.bytes - done) as usize;
            let piece = &mut buf[..n];
            let failed = |command: usize, error: MoveError| MoveFailed {
                mover: self.name.clone(),
                command,
                error,
            };
            match &t.from {
                End::Disk {
                    t: d,
                    endpoint,
                    lba,
                } => {
                    let bl = endpoint.block_length;
                    Scsi::new(*d)
                        .read16(lba + done / u64::from(bl), bl, piece)
                        .map_err(|e| failed(command, e.into()))?;
                }
                End::Tape {
                    t: d, block_length, ..
                } => {
                    let r = Tape::new(*d)
                        .read(piece, BlockMode::Fixed(*block_length))
                        .map_err(|e| failed(command, e.into()))?;
                    if r.bytes != n {
                        return Err(failed(
                            command,
                            MoveError::Short {
                                device: d.name().to_string(),
                                got: r.bytes,
                                want: n,
                            },
                        ));
                    }
                }
            }
            command += 1;
            match &t.to {
                End::Disk {
                    t: d,
                    endpoint,
                    lba,
                } => {
                    let bl = endpoint.block_length;
                    Scsi::new(*d)
                        .write16(lba + done / u64::from(bl), bl, piece)
                        .map_err(|e| failed(command, e.into()))?;
                }
                End::Tape {
                    t: d, block_length, ..
                } => {
                    Tape::new(*d)
                        .write(piece, BlockMode::Fixed(*block_length))
                        .map_err(|e| failed(command, e.into()))?;
                }
            }
            command += 1;
            done += n as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy manager's limits: one segment descriptor of up to 1 MiB in
    /// 512-byte granules, and inline data as given.
    fn limits(implemented: Vec<u8>, max_inline: u32, inline_granularity: u32) -> Limits {
        Limits {
            copy_manager: "cm".into(),
            max_segment_descriptors: 1,
            max_cscd_descriptors: 2,
            max_descriptor_list_length: 1024,
            max_segment_length: 1 << 20,
            granularity: 512,
            implemented,
            max_stream_transfer: 0,
            max_inline,
            inline_granularity,
        }
    }

    #[test]
    fn no_two_commands_in_flight_share_a_list_id() {
        struct Nothing;
        impl Transport for Nothing {
            fn name(&self) -> &str {
                "cm"
            }
            fn execute(
                &self,
                _: &[u8],
                _: crate::transport::DataDirection<'_>,
                _: Duration,
            ) -> Result<crate::transport::Completion, crate::transport::TransportError>
            {
                unreachable!("no command is sent")
            }
        }
        let m = XcopyMover::new(Box::new(Nothing), limits(vec![], 0, 1), Timeouts::default());
        let held: Vec<u8> = (0..64).map(|_| m.list_id()).collect();
        assert_eq!(held, (1..=64).collect::<Vec<u8>>());
        m.give_back(3);
        // Round-robin: the next free one after 64, not the one just freed.
        assert_eq!(m.list_id(), 65);
        for _ in 66..=255 {
            m.list_id();
        }
        // 1..=255 all taken but 3: wrapping round finds 3, never 0.
        assert_eq!(m.list_id(), 3);
        m.give_back(200);
        assert_eq!(m.list_id(), 200);
    }

    #[test]
    fn inline_data_must_fit_the_node_as_well_as_the_copy_manager() {
        /// A copy manager behind a node that takes `max` bytes a command.
        struct Node(Option<usize>);
        impl Transport for Node {
            fn name(&self) -> &str {
                "cm"
            }
            fn execute(
                &self,
                _: &[u8],
                _: crate::transport::DataDirection<'_>,
                _: Duration,
            ) -> Result<crate::transport::Completion, crate::transport::TransportError>
            {
                unreachable!("no command is sent")
            }
            fn max_transfer(&self) -> Option<usize> {
                self.0
            }
        }
        let limits = limits(vec![segment::code::INLINE_TO_STREAM], 4 << 20, 4);
        let mover =
            |node| XcopyMover::new(Box::new(Node(node)), limits.clone(), Timeouts::default());
        // No node limit: the copy manager's own bound decides.
        assert!(mover(None).takes_inline(4 << 20));
        assert!(!mover(None).takes_inline((4 << 20) + 1));
        // A 1 MiB node: the list is 16 + 32 + 20 bytes besides the data.
        let mib = mover(Some(1 << 20));
        assert!(mib.takes_inline((1 << 20) - 68));
        assert!(
            !mib.takes_inline((1 << 20) - 67),
            "rounded up to 4, 1 byte too long"
        );
        assert!(!mib.takes_inline(2 << 20));
        assert!(mib
            .inline_to_tape(&Designator::naa(vec![0x60; 16]), 512, &[0; 2 << 20])
            .is_none());
    }

    #[test]
    fn chunks_are_whole_blocks_of_both_ends() {
        assert_eq!(chunk_for(512, 512), 1 << 20);
        assert_eq!(chunk_for(512, 262_144), 1 << 20);
        assert_eq!(chunk_for(4096, 3 * 4096) % (3 * 4096), 0);
        assert_eq!(
            Timeouts::default().for_bytes(8 << 20),
            Duration::from_secs(32)
        );
    }
}
