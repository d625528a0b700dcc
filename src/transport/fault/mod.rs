//! Fault injection in front of any device, simulated or real — the
//! [`FaultInjector`] wraps a [`Transport`] the way smoltcp's
//! `phy::FaultInjector` wraps a network device, and answers for the device
//! when a fault of the site's [`FaultPlan`] fires.
//!
//! What it sees is what an initiator sends, so that is what it can break:
//! - every command counts for [`Trigger::Command`]; a `Sense`, `Hang` or
//!   `Gone` effect answers it without sending it;
//! - EXTENDED COPY (LID1): each segment descriptor counts for
//!   [`Trigger::Segment`]. When descriptor `i` of a command is struck, the
//!   descriptors before it are sent on their own (the device does that part
//!   of the copy for real), then the command ends as SPC-4 says a copy
//!   manager ends a copy that failed at a segment: COPY ABORTED with `i`
//!   in COMMAND-SPECIFIC INFORMATION (SPC-4 6.4.3, "the segment number"),
//!   a given sense of another key forwarded in a sense-data descriptor
//!   (SPC-4 4.5.2.x, 0Ch) under THIRD-PARTY DEVICE FAILURE (0D/01). With
//!   LIST ID USAGE hold, COPY STATUS and FAILED SEGMENT DETAILS for that
//!   list are then answered as the device would hold them;
//! - READ / WRITE (10) and (16), and on a tape READ (6) / WRITE (6) / WRITE
//!   FILEMARKS (6), report their bytes for [`Trigger::AfterBytes`] and, on a
//!   tape, each logical object's position for [`Trigger::TapeBlock`] (asked
//!   with READ POSITION, only while such a fault is armed; a drive that
//!   cannot tell — BPU — gets a warning and the fault cannot be placed).
//!   The blocks before the point where a medium error strikes are
//!   transferred for real, then MEDIUM ERROR reports the failing LBA
//!   (block devices, SBC-3) or the residue (tapes, SSC-4); an end of medium
//!   is VOLUME OVERFLOW with EOM, and stays: no later write reaches past it;
//! - MOVE MEDIUM counts for [`Effect::CannotMove`]: HARDWARE ERROR,
//!   MECHANICAL POSITIONING ERROR (15/01);
//! - [`Effect::Lie`] makes the device lie ([`Lie`]): a length field past
//!   the buffer in RECEIVE COPY RESULTS, a VPD page or READ ELEMENT
//!   STATUS; a granularity exponent of 32 in OPERATING PARAMETERS; a
//!   residual past the transfer; sense past its buffer or shorter than it
//!   says; READ POSITION going backwards or ahead of the truth. A
//!   [`Trigger::Command`] counts the commands the lie fits (READ POSITIONs
//!   for a position, OPERATING PARAMETERS for a granularity, every command
//!   for a residual or sense). The device still does what it was asked:
//!   only its answer lies (sense lies answer instead of it).
//!
//! Nothing sleeps: a hang is reported the way an initiator sees it, as a
//! time-out (DID_TIME_OUT). A device that went away answers no more
//! commands ([`TransportError::Gone`]); one that vanished while a command
//! ran ends that command with DID_NO_CONNECT.
//!
//! Third-party I/O that a copy manager does on its own (reading the source
//! LU, writing the tape) never crosses this host's transport. For real
//! devices it cannot be broken from here; the simulator reports its own
//! third-party data path to the same [`FaultPlan`] (see
//! `crate::sim::datapath`), so a tape fault strikes a simulated copy the same
//! way it strikes this host's WRITE.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use log::{debug, warn};

use super::commands::Scsi;
use super::tape::Tape;
use super::{Completion, DataDirection, HostStatus, Transport, TransportError};
use crate::wire::inquiry::InquiryCdb;
use crate::wire::inquiry::PeripheralDeviceType;
use crate::wire::rcr::{
    CopyManagerStatus, CopyStatus, FailedSegmentDetails, ReceiveCopyResultsCdb, ServiceAction,
    TransferCountUnits,
};
use crate::wire::sbc::{Read10Cdb, Read16Cdb, Write10Cdb, Write16Cdb};
use crate::wire::sense::{
    asc, AdditionalSense, ForwardedSense, SegmentPointer, SenseData, SenseDataSource, SenseKey,
    SenseKeySpecific,
};
use crate::wire::smc::{MoveMediumCdb, ReadElementStatusCdb};
use crate::wire::ssc::{
    ExtendedPosition, LongPosition, Read6Cdb, ReadPositionCdb, ReadPositionForm, ShortPosition,
    TransferLength, Write6Cdb, WriteFilemarks6Cdb,
};
use crate::wire::xcopy::{ExtendedCopyCdb, ListIdUsage, ParameterList};
use crate::wire::{Repr, WireError};

mod plan;

pub use plan::{mix64, DataHit, Effect, Fault, FaultPlan, Granularity, Held, Lie, Trigger};

// ---------------------------------------------------------------------------
// The answers a fault gives (shared with the simulator's data path).

/// MEDIUM ERROR on a block device: UNRECOVERED READ ERROR (11/00) or WRITE
/// ERROR (0C/00), INFORMATION the failing LBA (descriptor format when it
/// does not fit the four bytes of fixed format).
pub fn block_medium_error(read: bool, lba: u64) -> SenseData {
    let code = medium_error_code(read);
    match u32::try_from(lba) {
        Ok(l) => SenseData::fixed(SenseKey::MediumError, code.asc, code.ascq)
            .with_information(l)
            .into(),
        Err(_) => SenseData::descriptor(SenseKey::MediumError, code.asc, code.ascq)
            .with_information(lba)
            .into(),
    }
}

/// UNRECOVERED READ ERROR or WRITE ERROR.
fn medium_error_code(read: bool) -> AdditionalSense {
    if read {
        asc::UNRECOVERED_READ_ERROR
    } else {
        asc::WRITE_ERROR
    }
}

/// Tape sense with the stream flags and INFORMATION the residue (SSC-4:
/// requested minus done, in blocks in fixed mode or bytes in variable
/// mode; four bytes of two's complement, clamped).
pub fn stream_sense(
    key: SenseKey,
    code: AdditionalSense,
    (filemark, eom, ili): (bool, bool, bool),
    residue: Option<i64>,
) -> SenseData {
    let mut s = SenseData::fixed(key, code.asc, code.ascq).with_stream_flags(filemark, eom, ili);
    if let Some(i) = residue {
        let i = i.clamp(i64::from(i32::MIN), i64::from(u32::MAX));
        s = s.with_information(i as u32);
    }
    s.into()
}

/// MEDIUM ERROR on a tape write (0C/00) or read (11/00) with the residue.
pub fn tape_medium_error(write: bool, residue: i64) -> SenseData {
    stream_sense(
        SenseKey::MediumError,
        medium_error_code(!write),
        (false, false, false),
        Some(residue),
    )
}

/// VOLUME OVERFLOW, EOM, END-OF-PARTITION/MEDIUM DETECTED, with the
/// residue: a write met the end of the medium.
pub fn volume_overflow(residue: i64) -> SenseData {
    stream_sense(
        SenseKey::VolumeOverflow,
        asc::END_OF_PARTITION_MEDIUM_DETECTED,
        (false, true, false),
        Some(residue),
    )
}

/// MEDIUM ERROR, EOM, END-OF-PARTITION/MEDIUM DETECTED: a read met the
/// physical end of the medium (SSC-4 4.2.x).
pub fn read_past_end_of_medium(residue: i64) -> SenseData {
    stream_sense(
        SenseKey::MediumError,
        asc::END_OF_PARTITION_MEDIUM_DETECTED,
        (false, true, false),
        Some(residue),
    )
}

/// HARDWARE ERROR, MECHANICAL POSITIONING ERROR (15/01): a library could
/// not move a cartridge.
pub fn cannot_move() -> SenseData {
    let code = asc::MECHANICAL_POSITIONING_ERROR;
    SenseData::fixed(SenseKey::HardwareError, code.asc, code.ascq).into()
}

/// How an EXTENDED COPY that failed at segment descriptor `index` ends:
/// a COPY ABORTED sense is kept with `index` put in COMMAND-SPECIFIC
/// INFORMATION; any other sense is what a copy target answered, forwarded
/// under COPY ABORTED, THIRD-PARTY DEVICE FAILURE (0D/01) with a segment
/// pointer into the failed descriptor.
pub fn copy_aborted_at(index: u16, given: &SenseData) -> SenseData {
    match given {
        SenseData::Fixed(f) if f.sense_key == SenseKey::CopyAborted => {
            f.clone().with_failed_segment(index).into()
        }
        SenseData::Descriptor(d) if d.sense_key == SenseKey::CopyAborted => {
            d.clone().with_failed_segment(index).into()
        }
        other => {
            let code = asc::THIRD_PARTY_DEVICE_FAILURE;
            let mut d = SenseData::descriptor(SenseKey::CopyAborted, code.asc, code.ascq)
                .with_failed_segment(index)
                .with_sense_key_specific(SenseKeySpecific::SegmentPointer(SegmentPointer {
                    segment_descriptor: true,
                    bit_pointer: None,
                    field_pointer: 0,
                }));
            if let Ok(fw) = ForwardedSense::new(SenseDataSource::Unknown, 0x02, other) {
                d = d.with_forwarded(fw);
            }
            d.into()
        }
    }
}

/// COPY ABORTED, COPY TARGET DEVICE NOT REACHABLE (0D/02) at `index`.
fn not_reachable_at(index: u16) -> SenseData {
    let code = asc::COPY_TARGET_DEVICE_NOT_REACHABLE;
    SenseData::fixed(SenseKey::CopyAborted, code.asc, code.ascq)
        .with_failed_segment(index)
        .into()
}

// ---------------------------------------------------------------------------
// The wrapper.

/// A device behind a fault plan: forwards every command to `inner`, and
/// answers for it when a fault fires (see the module documentation).
pub struct FaultInjector<T> {
    inner: T,
    plan: Arc<FaultPlan>,
    device: String,
    /// Whether the device is a tape (asked once, with INQUIRY, the first
    /// time a command with a tape meaning needs it).
    tape: OnceLock<bool>,
    warned_position: AtomicBool,
}

impl<T> std::fmt::Debug for FaultInjector<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FaultInjector({})", self.device)
    }
}

impl<T: Transport> FaultInjector<T> {
    /// Puts `plan`'s faults for `device` (its name in the site) in front of
    /// `inner`.
    pub fn new(inner: T, plan: Arc<FaultPlan>, device: &str) -> Self {
        FaultInjector {
            inner,
            plan,
            device: device.to_string(),
            tape: OnceLock::new(),
            warned_position: AtomicBool::new(false),
        }
    }

    /// The device underneath.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The name the plan knows the device by.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The plan.
    pub fn plan(&self) -> &Arc<FaultPlan> {
        &self.plan
    }

    fn gone(&self) -> TransportError {
        TransportError::Gone {
            device: self.device.clone(),
        }
    }

    fn encode(&self, what: &'static str, r: &impl Repr) -> Result<Vec<u8>, TransportError> {
        r.to_vec().map_err(|source| TransportError::Injected {
            device: self.device.clone(),
            what,
            source,
        })
    }

    /// CHECK CONDITION with `sense`, `transferred` of a `buffer`-byte data
    /// buffer moved.
    fn check(
        &self,
        sense: &SenseData,
        transferred: usize,
        buffer: usize,
    ) -> Result<Completion, TransportError> {
        let raw = self.encode("sense data", sense)?;
        debug!(
            "{}: fault plan answers CHECK CONDITION: {sense}",
            self.device.as_str()
        );
        Ok(Completion::check_condition(
            raw,
            transferred,
            buffer.saturating_sub(transferred),
        ))
    }

    /// Whether the device is a tape, asked once.
    fn is_tape(&self) -> bool {
        *self.tape.get_or_init(|| {
            match Scsi::new(&self.inner as &dyn Transport).inquiry() {
                Ok((q, _)) => q.device_type == PeripheralDeviceType::SequentialAccess,
                Err(e) => {
                    warn!("{}: fault plan: INQUIRY failed ({e}); READ(6)/WRITE(6) are not treated as tape commands", self.device.as_str());
                    false
                }
            }
        })
    }

    /// The tape's block position, if it tells (READ POSITION, short form).
    fn position(&self) -> Option<u64> {
        let told = Tape::new(&self.inner as &dyn Transport)
            .read_position(ReadPositionForm::ShortBlockId)
            .ok()
            .and_then(|p| p.trusted_block());
        if told.is_none() && !self.warned_position.swap(true, Ordering::Relaxed) {
            warn!(
                "{}: the drive does not report its position (READ POSITION), so a tape_block \
                 fault or an injected end of medium cannot be placed on it",
                self.device.as_str()
            );
        }
        told
    }

    fn extended_copy(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError> {
        let list = match &data {
            DataDirection::ToDevice(b) => ParameterList::parse(b).ok(),
            _ => None,
        };
        let Some(list) = list else {
            // Not a list the plan can count segments in: the device judges it.
            return self.inner.execute(cdb, data, timeout);
        };
        // A new copy under a list identifier replaces what was held for it.
        self.plan.release(&self.device, list.list_id);
        let struck = (0..list.segments.len())
            .find_map(|i| self.plan.on_segment(&self.device).map(|e| (i, e)));
        let Some((i, effect)) = struck else {
            return self.inner.execute(cdb, data, timeout);
        };
        let index = u16::try_from(i).unwrap_or(u16::MAX);
        let buffer = data.len();
        if i > 0 {
            // The device copies the segments before the struck one.
            let mut head = list.clone();
            head.segments.truncate(i);
            let bytes = self.encode("EXTENDED COPY parameter list", &head)?;
            let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
            let head_cdb = self.encode("EXTENDED COPY CDB", &ExtendedCopyCdb::new(len))?;
            let c = self
                .inner
                .execute(&head_cdb, DataDirection::ToDevice(&bytes), timeout)?;
            if c.check().is_err() {
                return Ok(c);
            }
        }
        let sense = match effect {
            Effect::Hang => return Ok(host(HostStatus::TimeOut, buffer)),
            Effect::Gone => return Ok(host(HostStatus::NoConnect, buffer)),
            Effect::Sense(s) => copy_aborted_at(index, &s),
            Effect::MediumError => copy_aborted_at(index, &tape_medium_error(true, 0)),
            Effect::EndOfMedium => copy_aborted_at(index, &volume_overflow(0)),
            Effect::CannotMove => not_reachable_at(index),
            // Lies are told in answers (`on_lie`), never on a segment.
            Effect::Lie(_) => return self.inner.execute(cdb, data, timeout),
        };
        if list.list_id_usage == ListIdUsage::Hold {
            let (units, transfer_count) = if i > 0 {
                Scsi::new(&self.inner as &dyn Transport)
                    .copy_status(list.list_id)
                    .map(|s| (s.units, s.transfer_count))
                    .unwrap_or((TransferCountUnits::Power1024(0), 0))
            } else {
                (TransferCountUnits::Power1024(0), 0)
            };
            let raw = self.encode("sense data", &sense)?;
            self.plan.hold(
                &self.device,
                list.list_id,
                Held {
                    status: CopyStatus {
                        hdd: false,
                        status: CopyManagerStatus::CompletedWithErrors,
                        segments_processed: index,
                        units,
                        transfer_count,
                    },
                    sense: raw,
                },
            );
        }
        self.check(&sense, 0, buffer)
    }

    /// COPY STATUS and FAILED SEGMENT DETAILS of a list a fault ended.
    fn receive_copy_results(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError> {
        let Ok(c) = ReceiveCopyResultsCdb::parse(cdb) else {
            return self.inner.execute(cdb, data, timeout);
        };
        let held = self.plan.held(&self.device, c.list_id);
        let answer = match (c.service_action, held) {
            (ServiceAction::CopyStatus, Some(h)) => self.encode("COPY STATUS", &h.status)?,
            (ServiceAction::FailedSegmentDetails, Some(h)) => self.encode(
                "FAILED SEGMENT DETAILS",
                &FailedSegmentDetails::new(0x02, h.sense),
            )?,
            _ => return self.inner.execute(cdb, data, timeout),
        };
        Ok(data_in(data, &answer, c.allocation_length))
    }

    fn move_medium(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError> {
        match self.plan.on_move(&self.device) {
            Some(Effect::CannotMove) => self.check(&cannot_move(), 0, data.len()),
            _ => self.inner.execute(cdb, data, timeout),
        }
    }

    /// READ (10), READ (16), WRITE (10) and WRITE (16).
    fn block_transfer(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError> {
        // The ten-byte CDBs widened: one shape for both sizes.
        let shape = match cdb[0] {
            Read16Cdb::OPCODE => Read16Cdb::parse(cdb).ok(),
            Read10Cdb::OPCODE => Read10Cdb::parse(cdb).ok().map(Read16Cdb::from),
            _ => None,
        }
        .map(|c| (true, c.lba, c.transfer_length));
        let shape = shape.or_else(|| {
            match cdb[0] {
                Write16Cdb::OPCODE => Write16Cdb::parse(cdb).ok(),
                Write10Cdb::OPCODE => Write10Cdb::parse(cdb).ok().map(Write16Cdb::from),
                _ => None,
            }
            .map(|c| (false, c.lba, c.transfer_length))
        });
        let buffer = data.len();
        let bytes = buffer as u64;
        let Some((read, lba, blocks)) = shape.filter(|s| s.2 > 0 && bytes > 0) else {
            return self.inner.execute(cdb, data, timeout);
        };
        let Some(hit) = self.plan.on_data(&self.device, bytes, None) else {
            return self.inner.execute(cdb, data, timeout);
        };
        let blocks = u64::from(blocks);
        // A buffer of another shape than the CDB's: strike at its start.
        let bl = if bytes % blocks == 0 {
            bytes / blocks
        } else {
            bytes
        };
        let at = (hit.offset / bl).min(blocks - 1);
        let sense = match hit.effect {
            Effect::Gone => return Ok(host(HostStatus::NoConnect, buffer)),
            Effect::Hang => return Ok(host(HostStatus::TimeOut, buffer)),
            Effect::EndOfMedium | Effect::CannotMove | Effect::Lie(_) => {
                return self.inner.execute(cdb, data, timeout)
            }
            Effect::MediumError => block_medium_error(read, lba.saturating_add(at)),
            Effect::Sense(s) => s,
        };
        let done = usize::try_from(at * bl).unwrap_or(buffer).min(buffer);
        if at > 0 {
            let n = u32::try_from(at).unwrap_or(u32::MAX);
            let head_cdb = shortened(cdb, n).map_err(|e| self.bad_cdb(e))?;
            if let Some(c) = self.send_head(&head_cdb, data, done, timeout)? {
                return Ok(c);
            }
        }
        self.check(&sense, done, buffer)
    }

    fn bad_cdb(&self, source: WireError) -> TransportError {
        TransportError::Injected {
            device: self.device.clone(),
            what: "a CDB it had parsed",
            source,
        }
    }

    /// Sends the first `done` bytes of `data` with `cdb`; `Some` (the
    /// device's own answer) if that did not end GOOD.
    fn send_head(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        done: usize,
        timeout: Duration,
    ) -> Result<Option<Completion>, TransportError> {
        let buffer = data.len();
        let head = match data {
            DataDirection::FromDevice(b) => DataDirection::FromDevice(&mut b[..done]),
            DataDirection::ToDevice(b) => DataDirection::ToDevice(&b[..done]),
            DataDirection::None => DataDirection::None,
        };
        let mut c = self.inner.execute(cdb, head, timeout)?;
        if c.check().is_err() {
            c.resid = buffer.saturating_sub(c.transferred);
            return Ok(Some(c));
        }
        Ok(None)
    }

    /// READ (6), WRITE (6) and WRITE FILEMARKS (6) to a tape.
    fn tape_transfer(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError> {
        let buffer = data.len();
        let op = match cdb[0] {
            Read6Cdb::OPCODE => Read6Cdb::parse(cdb).ok().map(TapeOp::Read),
            Write6Cdb::OPCODE => Write6Cdb::parse(cdb).ok().map(TapeOp::Write),
            _ => WriteFilemarks6Cdb::parse(cdb).ok().map(TapeOp::Marks),
        };
        let Some(op) = op else {
            return self.inner.execute(cdb, data, timeout);
        };
        // Objects this command moves, and the bytes of each.
        let (objects, each): (u64, u64) = match &op {
            TapeOp::Read(c) => shape(c.transfer, buffer),
            TapeOp::Write(c) => shape(c.transfer, buffer),
            TapeOp::Marks(c) => (u64::from(c.count), 0),
        };
        if objects == 0 {
            return self.inner.execute(cdb, data, timeout);
        }
        let writing = !matches!(op, TapeOp::Read(_));
        let mut pos = if self.plan.wants_position(&self.device) {
            self.position()
        } else {
            None
        };
        let end = self.plan.medium_end(&self.device);
        let mut struck = None;
        for i in 0..objects {
            let here = pos.map(|p| p + i);
            if let (Some(h), Some(e)) = (here, end) {
                if h >= e {
                    struck = Some((i, Effect::EndOfMedium));
                    break;
                }
            }
            if let Some(hit) = self.plan.on_data(&self.device, each, here) {
                if !matches!(hit.effect, Effect::CannotMove | Effect::Lie(_)) {
                    struck = Some((i, hit.effect));
                    break;
                }
            }
        }
        let Some((i, effect)) = struck else {
            return self.inner.execute(cdb, data, timeout);
        };
        if effect == Effect::EndOfMedium && self.plan.medium_end(&self.device).is_none() {
            // Struck by bytes, not at a known block: find where it is.
            if pos.is_none() {
                pos = self.position();
            }
            if let Some(p) = pos {
                self.plan.end_medium(&self.device, p + i);
            }
        }
        let residue = match &op {
            TapeOp::Read(Read6Cdb {
                transfer: TransferLength::Bytes(n),
                ..
            })
            | TapeOp::Write(Write6Cdb {
                transfer: TransferLength::Bytes(n),
                ..
            }) => i64::from(*n),
            _ => (objects - i) as i64,
        };
        let done = usize::try_from(i * each).unwrap_or(buffer).min(buffer);
        let sense = match effect {
            Effect::Gone => return Ok(host(HostStatus::NoConnect, buffer)),
            Effect::Hang => return Ok(host(HostStatus::TimeOut, buffer)),
            Effect::Sense(s) => s,
            Effect::MediumError => tape_medium_error(writing, residue),
            Effect::EndOfMedium if writing => volume_overflow(residue),
            Effect::EndOfMedium => read_past_end_of_medium(residue),
            Effect::CannotMove | Effect::Lie(_) => return self.inner.execute(cdb, data, timeout),
        };
        if i > 0 {
            let n = u32::try_from(i).unwrap_or(u32::MAX);
            let head_cdb = match op {
                TapeOp::Read(mut c) => {
                    c.transfer = TransferLength::Blocks(n);
                    self.encode("READ (6) CDB", &c)?
                }
                TapeOp::Write(mut c) => {
                    c.transfer = TransferLength::Blocks(n);
                    self.encode("WRITE (6) CDB", &c)?
                }
                TapeOp::Marks(mut c) => {
                    c.count = n;
                    self.encode("WRITE FILEMARKS (6) CDB", &c)?
                }
            };
            if let Some(c) = self.send_head(&head_cdb, data, done, timeout)? {
                return Ok(c);
            }
        }
        self.check(&sense, done, buffer)
    }
}

impl<T: Transport> FaultInjector<T> {
    /// Answers the command with `lie` (see [`Lie`]): sense lies instead of
    /// sending it, the others in the device's own answer.
    fn lie(
        &self,
        lie: Lie,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError> {
        let buffer = data.len();
        debug!("{}: fault plan lies: {}", self.device, lie.name());
        if lie.replaces_answer() {
            let mut c = Completion::check_condition(lying_sense(lie), 0, buffer);
            c.resid = buffer;
            return Ok(c);
        }
        let DataDirection::FromDevice(buf) = data else {
            // A residual, the one lie a command without data-in can tell.
            let mut c = self.inner.execute(cdb, data, timeout)?;
            c.resid = buffer + LIE_EXCESS;
            return Ok(c);
        };
        let mut c = self
            .inner
            .execute(cdb, DataDirection::FromDevice(&mut *buf), timeout)?;
        let n = c.transferred.min(buffer);
        if lie == Lie::Residual {
            c.resid = buffer + LIE_EXCESS;
        } else if c.check().is_ok() {
            match lie {
                Lie::Length => {
                    if let Some(real) = lie_length(cdb, &mut buf[..], n) {
                        c.transferred = real;
                        c.resid = buffer - real;
                    }
                }
                Lie::Granularity(g) => {
                    let at = match g {
                        Granularity::DataSegment => 37,
                        Granularity::InlineData => 38,
                        Granularity::HeldData => 39,
                    };
                    if let Some(b) = buf[..n].get_mut(at) {
                        *b = 32;
                    }
                }
                _ => self.lie_position(lie, cdb, &mut buf[..n]),
            }
        }
        if cdb.first() == Some(&ReadPositionCdb::OPCODE) && c.check().is_ok() {
            if let Some(b) = told_block(cdb, &buf[..n]) {
                self.plan.reported_position(&self.device, b);
            }
        }
        Ok(c)
    }

    /// READ POSITION, the block it reports remembered (for
    /// [`Lie::PositionBackwards`]).
    fn read_position(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError> {
        let DataDirection::FromDevice(buf) = data else {
            return self.inner.execute(cdb, data, timeout);
        };
        let c = self
            .inner
            .execute(cdb, DataDirection::FromDevice(&mut *buf), timeout)?;
        let n = c.transferred.min(buf.len());
        if let (Ok(()), Some(b)) = (c.check(), told_block(cdb, &buf[..n])) {
            self.plan.reported_position(&self.device, b);
        }
        Ok(c)
    }

    /// READ POSITION answering a block before the one it reported last
    /// (or the true one, if smaller), or the one after the true one.
    fn lie_position(&self, lie: Lie, cdb: &[u8], answer: &mut [u8]) {
        let Some(real) = told_block(cdb, answer) else {
            return;
        };
        let told = match lie {
            Lie::PositionBackwards => self
                .plan
                .last_position(&self.device)
                .map_or(real, |last| last.min(real))
                .saturating_sub(1),
            _ => real.saturating_add(1),
        };
        let form = ReadPositionForm::from_code(cdb.get(1).map_or(0, |b| b & 0x1f));
        let rewritten = match form {
            ReadPositionForm::ShortBlockId | ReadPositionForm::ShortVendorSpecific => {
                ShortPosition::parse(answer).ok().and_then(|mut p| {
                    let b = u32::try_from(told).ok()?;
                    p.first_block_location = b;
                    p.last_block_location = b;
                    p.to_vec().ok()
                })
            }
            ReadPositionForm::Long => LongPosition::parse(answer).ok().and_then(|mut p| {
                p.logical_object_number = told;
                p.to_vec().ok()
            }),
            ReadPositionForm::Extended => ExtendedPosition::parse(answer).ok().and_then(|mut p| {
                p.first_logical_object_location = told;
                p.last_logical_object_location = told;
                p.to_vec().ok()
            }),
            _ => None,
        };
        if let Some(bytes) = rewritten.filter(|b| b.len() <= answer.len()) {
            answer[..bytes.len()].copy_from_slice(&bytes);
        }
    }
}

/// How much more than the buffer a lying residual or length claims.
const LIE_EXCESS: usize = 512;

/// Whether `lie` can be told in the answer to `cdb` with `data`.
fn lie_fits(lie: Lie, cdb: &[u8], data: &DataDirection<'_>) -> bool {
    let data_in = matches!(data, DataDirection::FromDevice(b) if !b.is_empty());
    let op = cdb.first().copied();
    let sa = cdb.get(1).map_or(0, |b| b & 0x1f);
    match lie {
        Lie::Residual | Lie::SensePastBuffer | Lie::SenseShort | Lie::SenseOverflow => true,
        Lie::Length => {
            data_in
                && (op == Some(ReceiveCopyResultsCdb::OPCODE)
                    || op == Some(ReadElementStatusCdb::OPCODE)
                    || (op == Some(InquiryCdb::OPCODE) && cdb.get(1).is_some_and(|b| b & 1 != 0)))
        }
        Lie::Granularity(_) => {
            data_in
                && op == Some(ReceiveCopyResultsCdb::OPCODE)
                && ServiceAction::from_bits(sa) == ServiceAction::OperatingParameters
        }
        Lie::PositionBackwards | Lie::PositionAhead => {
            data_in && op == Some(ReadPositionCdb::OPCODE)
        }
    }
}

/// The READ or WRITE (10) or (16) `cdb` with TRANSFER LENGTH `n` (fewer
/// blocks than it had, so a ten-byte CDB stays ten bytes).
fn shortened(cdb: &[u8], n: u32) -> Result<Vec<u8>, WireError> {
    match cdb.first().copied() {
        Some(Read16Cdb::OPCODE) => Read16Cdb {
            transfer_length: n,
            ..Read16Cdb::parse(cdb)?
        }
        .to_vec(),
        Some(Read10Cdb::OPCODE) => Read10Cdb::try_from(Read16Cdb {
            transfer_length: n,
            ..Read10Cdb::parse(cdb)?.into()
        })?
        .to_vec(),
        Some(Write10Cdb::OPCODE) => Write10Cdb::try_from(Write16Cdb {
            transfer_length: n,
            ..Write10Cdb::parse(cdb)?.into()
        })?
        .to_vec(),
        _ => Write16Cdb {
            transfer_length: n,
            ..Write16Cdb::parse(cdb)?
        }
        .to_vec(),
    }
}

/// The sense bytes of a sense lie.
fn lying_sense(lie: Lie) -> Vec<u8> {
    match lie {
        // ADDITIONAL SENSE LENGTH 255 (263 bytes), HARDWARE ERROR 44/00.
        Lie::SensePastBuffer => {
            let mut s = vec![0x70, 0, 0x04, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0x44, 0];
            s.resize(sg::MAX_SENSE_LEN, 0);
            s
        }
        // VALID, NO SENSE with EOM, ADDITIONAL SENSE LENGTH 10: 18 bytes
        // said, 8 sent.
        Lie::SenseShort => vec![0xf0, 0, 0x40, 0, 0, 0, 0, 10],
        // 300 bytes, HARDWARE ERROR 44/00.
        _ => {
            let mut s = vec![0x70, 0, 0x04, 0, 0, 0, 0, 244, 0, 0, 0, 0, 0x44, 0];
            s.resize(300, 0);
            s
        }
    }
}

/// Makes the length field of the answer `answer[..n]` to `cdb` claim
/// [`LIE_EXCESS`] bytes more than the whole buffer; returns the answer's
/// own length (without a device's padding), which is what it now sends.
fn lie_length(cdb: &[u8], answer: &mut [u8], n: usize) -> Option<usize> {
    // (header, field, the field's largest value)
    let (header, field, max): (usize, std::ops::Range<usize>, u64) = match *cdb.first()? {
        ReceiveCopyResultsCdb::OPCODE => (4, 0..4, u64::from(u32::MAX)),
        ReadElementStatusCdb::OPCODE => (8, 5..8, 0xff_ffff),
        _ => (4, 2..4, u64::from(u16::MAX)),
    };
    if n < header {
        return None;
    }
    let honest = header as u64 + crate::wire::get_be(&answer[field.clone()]);
    let real = usize::try_from(honest).map_or(n, |h| h.min(n));
    let claim = ((answer.len() + LIE_EXCESS - header) as u64).min(max);
    crate::wire::put_be(&mut answer[field], claim);
    Some(real)
}

/// The block a READ POSITION answer reports, if it knows it.
fn told_block(cdb: &[u8], answer: &[u8]) -> Option<u64> {
    let form = ReadPositionForm::from_code(cdb.get(1).map_or(0, |b| b & 0x1f));
    match form {
        ReadPositionForm::ShortBlockId | ReadPositionForm::ShortVendorSpecific => {
            ShortPosition::parse(answer).ok()?.position().block()
        }
        ReadPositionForm::Long => LongPosition::parse(answer).ok()?.position().block(),
        ReadPositionForm::Extended => ExtendedPosition::parse(answer).ok()?.position().block(),
        _ => None,
    }
}

/// A tape command the injector can cut short.
enum TapeOp {
    Read(Read6Cdb),
    Write(Write6Cdb),
    Marks(WriteFilemarks6Cdb),
}

/// (objects, bytes each) of a READ/WRITE (6) over a `buffer`-byte buffer:
/// in fixed mode the CDB's blocks (the buffer must hold whole blocks, else
/// the device judges it alone); in variable mode one record.
fn shape(t: TransferLength, buffer: usize) -> (u64, u64) {
    let bytes = buffer as u64;
    match t {
        TransferLength::Blocks(0) | TransferLength::Bytes(0) => (0, 0),
        TransferLength::Blocks(n) if bytes % u64::from(n) == 0 && bytes > 0 => {
            (u64::from(n), bytes / u64::from(n))
        }
        TransferLength::Blocks(_) => (0, 0),
        TransferLength::Bytes(n) => (1, u64::from(n)),
    }
}

/// A completion with this host status and nothing moved.
fn host(status: HostStatus, buffer: usize) -> Completion {
    let mut c = Completion::good(0);
    c.host_status = status;
    c.resid = buffer;
    c
}

/// GOOD with `bytes` in a data-in buffer, cut by the allocation length.
fn data_in(data: DataDirection<'_>, bytes: &[u8], allocation: u32) -> Completion {
    match data {
        DataDirection::FromDevice(buf) => {
            let n = bytes
                .len()
                .min(buf.len())
                .min(usize::try_from(allocation).unwrap_or(usize::MAX));
            buf[..n].copy_from_slice(&bytes[..n]);
            let mut c = Completion::good(n);
            c.resid = buf.len() - n;
            c
        }
        _ => Completion::good(0),
    }
}

impl<T: Transport> Transport for FaultInjector<T> {
    /// The name the site knows the device by (a real device's `/dev` node
    /// can change when it is relinked; the catalog and the user's commands
    /// name it as the site does).
    fn name(&self) -> &str {
        &self.device
    }

    fn max_transfer(&self) -> Option<usize> {
        self.inner.max_transfer()
    }

    fn execute(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError> {
        let Some(&opcode) = cdb.first() else {
            return self.inner.execute(cdb, data, timeout);
        };
        if !self.plan.concerns(&self.device) {
            return self.inner.execute(cdb, data, timeout);
        }
        match self.plan.on_command(&self.device) {
            Some(Effect::Gone) => return Err(self.gone()),
            Some(Effect::Hang) => return Ok(host(HostStatus::TimeOut, data.len())),
            Some(Effect::Sense(s)) => return self.check(&s, 0, data.len()),
            _ => {}
        }
        if let Some(lie) = self.plan.on_lie(&self.device, |l| lie_fits(l, cdb, &data)) {
            return self.lie(lie, cdb, data, timeout);
        }
        match opcode {
            ExtendedCopyCdb::OPCODE if cdb.get(1).map(|b| b & 0x1f) == Some(0) => {
                self.extended_copy(cdb, data, timeout)
            }
            ReceiveCopyResultsCdb::OPCODE => self.receive_copy_results(cdb, data, timeout),
            MoveMediumCdb::OPCODE => self.move_medium(cdb, data, timeout),
            Read16Cdb::OPCODE | Read10Cdb::OPCODE | Write16Cdb::OPCODE | Write10Cdb::OPCODE => {
                self.block_transfer(cdb, data, timeout)
            }
            Read6Cdb::OPCODE | Write6Cdb::OPCODE | WriteFilemarks6Cdb::OPCODE if self.is_tape() => {
                self.tape_transfer(cdb, data, timeout)
            }
            ReadPositionCdb::OPCODE => self.read_position(cdb, data, timeout),
            _ => self.inner.execute(cdb, data, timeout),
        }
    }
}

#[cfg(test)]
mod tests;
