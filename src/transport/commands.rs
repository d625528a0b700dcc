//! Typed SCSI commands over a [`Transport`]: each builds its CDB from
//! [`crate::wire`], sends it, judges the completion (host status, driver
//! status, SCSI status, then sense — in that order), retries once on UNIT
//! ATTENTION, and parses the response.
//!
//! With `-v` (log level debug) every CDB and data-out buffer is logged in
//! hex; with `-vv` (trace) data-in buffers too.

use std::fmt;
use std::time::Duration;

use log::{debug, trace, warn};

use super::{CommandError, Completion, DataDirection, ScsiStatus, Transport, TransportError};
use crate::wire::inquiry::{InquiryCdb, StandardInquiry};
use crate::wire::rcr::{
    CopyStatus, FailedSegmentDetails, OperatingParameters, ReceiveCopyResultsCdb, ServiceAction,
};
use crate::wire::sbc::{
    Read16Cdb, ReadCapacity16, ReadCapacity16Cdb, TestUnitReadyCdb, Write16Cdb,
};
use crate::wire::sense::{SenseData, SenseKey};
use crate::wire::vpd::DeviceIdentification;
use crate::wire::xcopy::ExtendedCopyCdb;
use crate::wire::{Hex, HexDump, Repr, WireError};

/// The time-out for ordinary commands.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The time-out for a READ (16) or WRITE (16) of up to a few MiB.
pub const RW16_TIMEOUT: Duration = Duration::from_secs(60);
/// The time-out for EXTENDED COPY (a segment may move hundreds of MiB).
pub const XCOPY_TIMEOUT: Duration = Duration::from_secs(600);

/// How a command that reached the device failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// CHECK CONDITION with the sense the device sent (decoded where
    /// possible, raw bytes always).
    CheckCondition {
        /// The decoded sense, if it parses.
        sense: Option<SenseData>,
        /// The raw sense bytes.
        raw: Vec<u8>,
    },
    /// The adapter or driver reported a failure (time-out, no connect…).
    Command(CommandError),
}

impl Failure {
    /// The sense key, for CHECK CONDITION with parseable sense.
    pub fn sense_key(&self) -> Option<SenseKey> {
        match self {
            Failure::CheckCondition { sense: Some(s), .. } => s.sense_key(),
            _ => None,
        }
    }

    /// The decoded sense, if any.
    pub fn sense(&self) -> Option<&SenseData> {
        match self {
            Failure::CheckCondition { sense, .. } => sense.as_ref(),
            Failure::Command(_) => None,
        }
    }

    /// Whether the command timed out (adapter or driver time-out).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Failure::Command(CommandError::Host(super::HostStatus::TimeOut))
                | Failure::Command(CommandError::Driver(super::DriverStatus::Timeout))
        )
    }

    fn from_completion(c: &Completion) -> Option<Failure> {
        match c.check() {
            Ok(()) => None,
            Err(CommandError::CheckCondition { sense }) => Some(Failure::CheckCondition {
                sense: SenseData::parse(&sense).ok(),
                raw: sense,
            }),
            Err(e) => Some(Failure::Command(e)),
        }
    }
}

impl fmt::Display for Failure {
    /// One line: `CHECK CONDITION, COPY ABORTED: Copy target device not
    /// reachable (0x0d/0x02)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::CheckCondition { sense: Some(s), .. } => {
                write!(f, "CHECK CONDITION")?;
                if let Some(k) = s.sense_key() {
                    write!(f, ", {k}")?;
                }
                if let Some(a) = s.additional_sense() {
                    write!(f, ": {a}")?;
                }
                if s.is_deferred() {
                    write!(f, " (deferred error)")?;
                }
                Ok(())
            }
            Failure::CheckCondition { sense: None, raw } if raw.is_empty() => {
                write!(f, "CHECK CONDITION without sense data")
            }
            Failure::CheckCondition { sense: None, raw } => {
                write!(f, "CHECK CONDITION with undecodable sense [{}]", Hex(raw))
            }
            Failure::Command(CommandError::Host(h)) => {
                write!(f, "the adapter reported {} ({})", h.name(), host_words(*h))
            }
            Failure::Command(CommandError::Driver(d)) => {
                write!(f, "the driver reported {}", d.name())
            }
            Failure::Command(CommandError::Status(s)) => write!(f, "SCSI status {s}"),
            Failure::Command(CommandError::CheckCondition { .. }) => write!(f, "CHECK CONDITION"),
        }
    }
}

fn host_words(h: super::HostStatus) -> &'static str {
    use super::HostStatus::*;
    match h {
        NoConnect => "the device could not be reached",
        TimeOut => "the command timed out",
        BusBusy => "the bus stayed busy",
        BadTarget => "bad target",
        Abort => "the command was aborted",
        Reset => "the bus or device was reset",
        TransportDisrupted | TransportFailfast => "the transport to the device failed",
        TargetFailure => "the target failed permanently",
        NexusFailure => "the I_T nexus failed",
        _ => "adapter failure",
    }
}

/// Why a typed command did not give its result.
#[derive(Debug, thiserror::Error)]
pub enum ScsiError {
    /// No SCSI answer at all.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The device answered, but not with GOOD.
    #[error("{device}: {command} failed: {failure}")]
    Failed {
        /// The device.
        device: String,
        /// The command's name.
        command: &'static str,
        /// How it failed.
        failure: Failure,
    },
    /// segcopy could not encode the command's CDB or parameter list, so
    /// nothing was sent: a value that does not fit its field (a bug in the
    /// caller, surfaced rather than sent as empty bytes).
    #[error("{device}: {command} was not sent: segcopy could not encode it: {source}")]
    Encode {
        /// The device.
        device: String,
        /// The command's name.
        command: &'static str,
        /// What does not fit.
        #[source]
        source: WireError,
    },
    /// The device answered GOOD with data that does not parse.
    #[error("{device}: {command} returned data segcopy cannot use: {source}")]
    BadResponse {
        /// The device.
        device: String,
        /// The command's name.
        command: &'static str,
        /// What is wrong with it.
        #[source]
        source: WireError,
    },
    /// The device's answer claims what cannot be true of it — a residual
    /// past the buffer, sense past the sense buffer, a length field past
    /// what it returned, a granularity no 32-bit length has — so none of
    /// the answer is used.
    #[error("{device}: {command}: the device claims {claim}, which cannot be true; segcopy does not trust its answer")]
    Untrue {
        /// The device.
        device: String,
        /// The command's name.
        command: &'static str,
        /// What it claimed.
        claim: Claim,
    },
}

/// The most sense data SPC-4 allows (ADDITIONAL SENSE LENGTH at most 244,
/// SPC-4 r37 §4.5.2.1 and §4.5.3), the sense buffer segcopy gives SG_IO.
pub const MAX_SENSE_LEN: usize = sg::MAX_SENSE_LEN;

/// The sense Linux keeps of a command (`SCSI_SENSE_BUFFERSIZE`): the sg
/// driver copies `min(8 + ADDITIONAL SENSE LENGTH, 96, our buffer)` bytes
/// (drivers/scsi/sg.c), so sense shorter than its ADDITIONAL SENSE LENGTH
/// says is only ever cut at 96 bytes or more; cut shorter, the device sent
/// less than it claimed.
pub const KERNEL_SENSE_LEN: usize = 96;

/// What a device claimed that cannot be true (see [`ScsiError::Untrue`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// More bytes left over than the transfer had.
    Residual {
        /// The residual it reported.
        resid: usize,
        /// The transfer's length.
        buffer: usize,
    },
    /// More bytes moved than the buffer holds.
    Transferred {
        /// Bytes it says it moved.
        transferred: usize,
        /// The buffer's length.
        buffer: usize,
    },
    /// Bytes moved and bytes left over that add up to more than the
    /// transfer.
    Moved {
        /// Bytes it says it moved.
        transferred: usize,
        /// The residual it reported.
        resid: usize,
        /// The transfer's length.
        buffer: usize,
    },
    /// More sense bytes than a sense buffer holds.
    SenseOverflow {
        /// Sense bytes returned.
        len: usize,
    },
    /// An ADDITIONAL SENSE LENGTH past the largest sense SPC-4 allows.
    SensePastLimit {
        /// The sense length it implies (8 + ADDITIONAL SENSE LENGTH).
        claimed: usize,
    },
    /// An ADDITIONAL SENSE LENGTH past the sense it returned, cut shorter
    /// than any host cuts sense.
    SenseShort {
        /// The sense length it implies (8 + ADDITIONAL SENSE LENGTH).
        claimed: usize,
        /// Sense bytes returned.
        returned: usize,
    },
    /// A length field covering more bytes than the device returned, though
    /// the allocation length left it room for them.
    Length {
        /// The field, as the standard names it.
        field: &'static str,
        /// The bytes the field says the answer has (its header included).
        claimed: u64,
        /// Bytes returned.
        returned: usize,
        /// The allocation length.
        allocation: usize,
    },
    /// A granularity exponent of 32 or more: 2^n bytes, which no 32-bit
    /// length can be a multiple of.
    Granularity {
        /// The field, as the standard names it.
        field: &'static str,
        /// The exponent.
        exponent: u64,
    },
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Residual { resid, buffer } => {
                write!(f, "a residual of {resid} bytes for a {buffer}-byte transfer")
            }
            Claim::Transferred {
                transferred,
                buffer,
            } => write!(f, "{transferred} bytes moved through a {buffer}-byte buffer"),
            Claim::Moved {
                transferred,
                resid,
                buffer,
            } => write!(
                f,
                "{transferred} bytes moved and a residual of {resid} bytes for a {buffer}-byte transfer"
            ),
            Claim::SenseOverflow { len } => write!(
                f,
                "{len} bytes of sense data, more than the {MAX_SENSE_LEN}-byte sense buffer holds"
            ),
            Claim::SensePastLimit { claimed } => write!(
                f,
                "an ADDITIONAL SENSE LENGTH of {} ({claimed} bytes of sense data), past the {MAX_SENSE_LEN} bytes SPC-4 allows sense data",
                claimed.saturating_sub(8)
            ),
            Claim::SenseShort { claimed, returned } => write!(
                f,
                "an ADDITIONAL SENSE LENGTH of {} ({claimed} bytes of sense data) while returning {returned} bytes of sense",
                claimed.saturating_sub(8)
            ),
            Claim::Length {
                field,
                claimed,
                returned,
                allocation,
            } => write!(
                f,
                "{claimed} bytes of data in its {field} while returning {returned} of the {allocation} bytes asked for"
            ),
            Claim::Granularity { field, exponent } => write!(
                f,
                "a {field} of 2^{exponent} bytes (no 32-bit length is a multiple of it)"
            ),
        }
    }
}

impl ScsiError {
    /// The failure, if the device answered with one.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            ScsiError::Failed { failure, .. } => Some(failure),
            _ => None,
        }
    }
}

/// The data phase of a command, owned by the caller.
pub enum Data<'b> {
    /// No data.
    None,
    /// Data out.
    Out(&'b [u8]),
    /// Data in.
    In(&'b mut [u8]),
}

/// A device seen through typed commands.
pub struct Scsi<'t> {
    t: &'t dyn Transport,
    timeout: Duration,
}

impl<'t> Scsi<'t> {
    /// Commands over `t` with the default time-out.
    pub fn new(t: &'t dyn Transport) -> Self {
        Scsi {
            t,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        self.t.name()
    }

    /// The transport underneath.
    pub fn transport(&self) -> &'t dyn Transport {
        self.t
    }

    /// Sends `cdb` once and returns the completion, whatever its status.
    pub fn send(
        &self,
        command: &'static str,
        cdb: &[u8],
        data: &mut Data<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError> {
        debug!("{}: {command}: cdb [{}]", self.t.name(), Hex(cdb));
        let dir = match data {
            Data::None => DataDirection::None,
            Data::Out(b) => {
                debug!(
                    "{}: {command}: data out, {} bytes\n{}",
                    self.t.name(),
                    b.len(),
                    HexDump(b)
                );
                DataDirection::ToDevice(b)
            }
            Data::In(b) => DataDirection::FromDevice(b),
        };
        let c = self.t.execute(cdb, dir, timeout)?;
        debug!(
            "{}: {command}: status {}, host {}, driver {}, resid {}, {} ms",
            self.t.name(),
            c.status,
            c.host_status.name(),
            c.driver_status.name(),
            c.resid,
            c.duration.as_millis()
        );
        if !c.sense.is_empty() {
            debug!("{}: {command}: sense [{}]", self.t.name(), Hex(&c.sense));
        }
        if let Data::In(b) = data {
            trace!(
                "{}: {command}: data in, {} bytes\n{}",
                self.t.name(),
                c.transferred,
                HexDump(&b[..c.transferred.min(b.len())])
            );
        }
        Ok(c)
    }

    /// Sends `cdb` once, as [`Scsi::send`] does, and refuses a completion
    /// that cannot be true of the buffers it was given
    /// ([`Scsi::believe`]).
    pub fn exchange(
        &self,
        command: &'static str,
        cdb: &[u8],
        data: &mut Data<'_>,
        timeout: Duration,
    ) -> Result<Completion, ScsiError> {
        let buffer = match data {
            Data::None => 0,
            Data::Out(b) => b.len(),
            Data::In(b) => b.len(),
        };
        let c = self.send(command, cdb, data, timeout)?;
        self.believe(command, &c, buffer)?;
        Ok(c)
    }

    /// Judges whether a completion can be true of the `buffer`-byte data
    /// buffer it was given, before anything in it is used: a residual or a
    /// transfer past the buffer, or (for CHECK CONDITION) sense past the
    /// sense buffer, past the 252 bytes SPC-4 allows, or shorter than its
    /// own ADDITIONAL SENSE LENGTH where no host would have cut it
    /// ([`KERNEL_SENSE_LEN`]), is [`ScsiError::Untrue`]. SG_IO's own
    /// impossible replies are refused by `sg` already; this holds every
    /// transport to the same rules.
    pub fn believe(
        &self,
        command: &'static str,
        c: &Completion,
        buffer: usize,
    ) -> Result<(), ScsiError> {
        let claim = if c.resid > buffer {
            Some(Claim::Residual {
                resid: c.resid,
                buffer,
            })
        } else if c.transferred > buffer {
            Some(Claim::Transferred {
                transferred: c.transferred,
                buffer,
            })
        } else if c.transferred + c.resid > buffer {
            Some(Claim::Moved {
                transferred: c.transferred,
                resid: c.resid,
                buffer,
            })
        } else if c.status == ScsiStatus::CheckCondition {
            sense_claim(&c.sense)
        } else {
            None
        };
        match claim {
            None => Ok(()),
            Some(claim) => Err(self.untrue(command, claim)),
        }
    }

    /// [`ScsiError::Untrue`] for this device.
    pub fn untrue(&self, command: &'static str, claim: Claim) -> ScsiError {
        ScsiError::Untrue {
            device: self.t.name().to_string(),
            command,
            claim,
        }
    }

    /// Refuses an answer of `returned` bytes, asked for with `allocation`,
    /// whose length `field` says it has `claimed` bytes: more than it
    /// returned though the allocation length left room for them. (An answer
    /// that filled the allocation length was cut by it, which is no lie:
    /// the caller asks again with more room.)
    pub fn check_length(
        &self,
        command: &'static str,
        field: &'static str,
        claimed: u64,
        returned: usize,
        allocation: usize,
    ) -> Result<(), ScsiError> {
        if claimed > returned as u64 && returned < allocation {
            return Err(self.untrue(
                command,
                Claim::Length {
                    field,
                    claimed,
                    returned,
                    allocation,
                },
            ));
        }
        Ok(())
    }

    /// Sends `cdb`, retrying once on UNIT ATTENTION, and returns the
    /// completion if it is GOOD.
    pub fn run(
        &self,
        command: &'static str,
        cdb: &[u8],
        mut data: Data<'_>,
        timeout: Duration,
    ) -> Result<Completion, ScsiError> {
        let mut retried = false;
        loop {
            let c = self.exchange(command, cdb, &mut data, timeout)?;
            match Failure::from_completion(&c) {
                None => return Ok(c),
                Some(f) if !retried && f.sense_key() == Some(SenseKey::UnitAttention) => {
                    warn!("{}: {command}: {f}; retrying once", self.t.name());
                    retried = true;
                }
                Some(failure) => {
                    return Err(ScsiError::Failed {
                        device: self.t.name().to_string(),
                        command,
                        failure,
                    })
                }
            }
        }
    }

    fn read(&self, command: &'static str, cdb: &[u8], len: usize) -> Result<Vec<u8>, ScsiError> {
        let mut buf = vec![0u8; len];
        let c = self.run(command, cdb, Data::In(&mut buf), self.timeout)?;
        buf.truncate(c.transferred);
        Ok(buf)
    }

    fn parse<R: Repr>(&self, command: &'static str, bytes: &[u8]) -> Result<R, ScsiError> {
        R::parse(bytes).map_err(|source| ScsiError::BadResponse {
            device: self.t.name().to_string(),
            command,
            source,
        })
    }

    /// Encodes a CDB; a failure is [`ScsiError::Encode`] and nothing is
    /// sent.
    pub fn encode<R: Repr>(&self, command: &'static str, r: &R) -> Result<Vec<u8>, ScsiError> {
        r.to_vec().map_err(|source| ScsiError::Encode {
            device: self.t.name().to_string(),
            command,
            source,
        })
    }

    /// TEST UNIT READY.
    pub fn test_unit_ready(&self) -> Result<(), ScsiError> {
        const CMD: &str = "TEST UNIT READY";
        let cdb = self.encode(CMD, &TestUnitReadyCdb::new())?;
        self.run(CMD, &cdb, Data::None, self.timeout)?;
        Ok(())
    }

    /// Standard INQUIRY data (96 bytes asked for, the most commonly sent).
    pub fn inquiry(&self) -> Result<(StandardInquiry, Vec<u8>), ScsiError> {
        let cdb = self.encode("INQUIRY", &InquiryCdb::new(96))?;
        let raw = self.read("INQUIRY", &cdb, 96)?;
        Ok((self.parse("INQUIRY", &raw)?, raw))
    }

    /// A VPD page's raw bytes, asking again with the page's full length if
    /// the first answer was cut short.
    pub fn vpd_raw(&self, page: u8) -> Result<Vec<u8>, ScsiError> {
        let mut alloc: u16 = 252;
        loop {
            let cdb = self.encode("INQUIRY (VPD)", &InquiryCdb::new(alloc).vpd_page(page))?;
            let raw = self.read("INQUIRY (VPD)", &cdb, usize::from(alloc))?;
            if raw.len() >= 4 && raw[1] != page {
                return Err(ScsiError::BadResponse {
                    device: self.t.name().to_string(),
                    command: "INQUIRY (VPD)",
                    source: WireError::InvalidField {
                        what: "VPD page",
                        field: "PAGE CODE",
                        value: u64::from(raw[1]),
                    },
                });
            }
            let full = raw
                .get(2..4)
                .map_or(0, |l| usize::from(u16::from_be_bytes([l[0], l[1]])) + 4);
            if raw.len() >= 4 {
                self.check_length(
                    "INQUIRY (VPD)",
                    "PAGE LENGTH",
                    full as u64,
                    raw.len(),
                    usize::from(alloc),
                )?;
            }
            match u16::try_from(full) {
                Ok(f) if f > alloc && raw.len() == usize::from(alloc) => alloc = f,
                _ => return Ok(raw),
            }
        }
    }

    /// A VPD page, parsed.
    pub fn vpd<P: Repr>(&self, page: u8) -> Result<P, ScsiError> {
        let raw = self.vpd_raw(page)?;
        self.parse("INQUIRY (VPD)", &raw)
    }

    /// The Device Identification page.
    pub fn device_identification(&self) -> Result<DeviceIdentification, ScsiError> {
        self.vpd(DeviceIdentification::PAGE)
    }

    /// READ CAPACITY (16).
    pub fn read_capacity16(&self) -> Result<ReadCapacity16, ScsiError> {
        let cdb = self.encode("READ CAPACITY (16)", &ReadCapacity16Cdb::new(32))?;
        let raw = self.read("READ CAPACITY (16)", &cdb, 32)?;
        self.parse("READ CAPACITY (16)", &raw)
    }

    /// RECEIVE COPY RESULTS with `sa` about `list_id`, raw bytes.
    pub fn receive_copy_results_raw(
        &self,
        sa: ServiceAction,
        list_id: u8,
        alloc: u32,
    ) -> Result<Vec<u8>, ScsiError> {
        let cdb = self.encode(
            "RECEIVE COPY RESULTS",
            &ReceiveCopyResultsCdb::new(sa, list_id, alloc),
        )?;
        const CMD: &str = "RECEIVE COPY RESULTS";
        let raw = self.read(CMD, &cdb, alloc as usize)?;
        if let Some(a) = raw.get(0..4) {
            let available = u64::from(u32::from_be_bytes([a[0], a[1], a[2], a[3]]));
            self.check_length(
                CMD,
                "AVAILABLE DATA",
                available + 4,
                raw.len(),
                alloc as usize,
            )?;
        }
        Ok(raw)
    }

    /// RECEIVE COPY RESULTS, OPERATING PARAMETERS (with the raw bytes). A
    /// granularity exponent of 32 or more is [`ScsiError::Untrue`].
    pub fn operating_parameters(&self) -> Result<(OperatingParameters, Vec<u8>), ScsiError> {
        const CMD: &str = "RECEIVE COPY RESULTS";
        let raw = self.receive_copy_results_raw(ServiceAction::OperatingParameters, 0, 1024)?;
        match OperatingParameters::parse(&raw) {
            Ok(p) => Ok((p, raw)),
            Err(WireError::InvalidField { field, value, .. }) if field.ends_with("GRANULARITY") => {
                Err(self.untrue(
                    CMD,
                    Claim::Granularity {
                        field,
                        exponent: value,
                    },
                ))
            }
            Err(source) => Err(ScsiError::BadResponse {
                device: self.t.name().to_string(),
                command: CMD,
                source,
            }),
        }
    }

    /// RECEIVE COPY RESULTS, COPY STATUS of `list_id`.
    pub fn copy_status(&self, list_id: u8) -> Result<CopyStatus, ScsiError> {
        let raw = self.receive_copy_results_raw(ServiceAction::CopyStatus, list_id, 12)?;
        self.parse("RECEIVE COPY RESULTS", &raw)
    }

    /// RECEIVE COPY RESULTS, FAILED SEGMENT DETAILS of `list_id`.
    pub fn failed_segment_details(&self, list_id: u8) -> Result<FailedSegmentDetails, ScsiError> {
        const ALLOC: u32 = 60 + MAX_SENSE_LEN as u32;
        let raw =
            self.receive_copy_results_raw(ServiceAction::FailedSegmentDetails, list_id, ALLOC)?;
        let d: FailedSegmentDetails = self.parse("RECEIVE COPY RESULTS", &raw)?;
        self.check_length(
            "RECEIVE COPY RESULTS",
            "SENSE DATA LENGTH",
            60 + u64::from(d.sense_data_length),
            raw.len(),
            ALLOC as usize,
        )?;
        Ok(d)
    }

    /// READ (16) of `buf.len() / block_length` blocks from `lba` into `buf`;
    /// a device that moves fewer bytes than asked is a [`ScsiError::BadResponse`].
    /// Longer than the transport takes in one command
    /// ([`Transport::max_transfer`]), it is several READs of whole blocks.
    pub fn read16(&self, lba: u64, block_length: u32, buf: &mut [u8]) -> Result<(), ScsiError> {
        self.block_count("READ (16)", buf.len(), block_length)?;
        if buf.is_empty() {
            // Still one command: a READ of 0 blocks.
            return self.read16_once(lba, block_length, buf).map(drop);
        }
        let step = self.step(block_length, buf.len());
        let mut at = lba;
        for part in buf.chunks_mut(step) {
            at += u64::from(self.read16_once(at, block_length, part)?);
        }
        Ok(())
    }

    /// One READ (16) of all of `buf`; the blocks it read.
    fn read16_once(&self, lba: u64, block_length: u32, buf: &mut [u8]) -> Result<u32, ScsiError> {
        const CMD: &str = "READ (16)";
        let blocks = self.block_count(CMD, buf.len(), block_length)?;
        let cdb = self.encode(CMD, &Read16Cdb::new(lba, blocks))?;
        let want = buf.len();
        let c = self.run(CMD, &cdb, Data::In(buf), RW16_TIMEOUT)?;
        self.whole(CMD, c.transferred, want)?;
        Ok(blocks)
    }

    /// WRITE (16) of `data` (whole blocks of `block_length`) at `lba`; in
    /// several commands of whole blocks where the transport takes less in
    /// one.
    pub fn write16(&self, lba: u64, block_length: u32, data: &[u8]) -> Result<(), ScsiError> {
        self.block_count("WRITE (16)", data.len(), block_length)?;
        if data.is_empty() {
            // Still one command: a WRITE of 0 blocks.
            return self.write16_once(lba, block_length, data).map(drop);
        }
        let step = self.step(block_length, data.len());
        let mut at = lba;
        for part in data.chunks(step) {
            at += u64::from(self.write16_once(at, block_length, part)?);
        }
        Ok(())
    }

    /// One WRITE (16) of all of `data`; the blocks it wrote.
    fn write16_once(&self, lba: u64, block_length: u32, data: &[u8]) -> Result<u32, ScsiError> {
        const CMD: &str = "WRITE (16)";
        let blocks = self.block_count(CMD, data.len(), block_length)?;
        let cdb = self.encode(CMD, &Write16Cdb::new(lba, blocks))?;
        self.run(CMD, &cdb, Data::Out(data), RW16_TIMEOUT)?;
        Ok(blocks)
    }

    /// How many bytes of `total` one READ or WRITE moves: all of them, or
    /// as many whole blocks as the transport takes in one command (at
    /// least one block: a node that cannot take one refuses it in words).
    fn step(&self, block_length: u32, total: usize) -> usize {
        crate::transport::bytes_per_command(self.t, block_length, total)
    }

    fn block_count(&self, command: &'static str, bytes: usize, bl: u32) -> Result<u32, ScsiError> {
        let bad = |value: u64| ScsiError::Encode {
            device: self.t.name().to_string(),
            command,
            source: WireError::InvalidField {
                what: command,
                field: "TRANSFER LENGTH",
                value,
            },
        };
        if bl == 0 || bytes % bl as usize != 0 {
            return Err(bad(bytes as u64));
        }
        u32::try_from(bytes / bl as usize).map_err(|_| bad(bytes as u64))
    }

    fn whole(&self, command: &'static str, got: usize, want: usize) -> Result<(), ScsiError> {
        if got == want {
            return Ok(());
        }
        Err(ScsiError::BadResponse {
            device: self.t.name().to_string(),
            command,
            source: WireError::Truncated {
                what: command,
                need: want,
                have: got,
            },
        })
    }

    /// EXTENDED COPY (LID1) with an encoded parameter list.
    pub fn extended_copy(&self, parameter_list: &[u8], timeout: Duration) -> Result<(), ScsiError> {
        const CMD: &str = "EXTENDED COPY";
        let len = u32::try_from(parameter_list.len()).map_err(|_| ScsiError::Encode {
            device: self.t.name().to_string(),
            command: CMD,
            source: WireError::Overflow {
                what: "EXTENDED COPY CDB",
                field: "PARAMETER LIST LENGTH",
                value: parameter_list.len() as u64,
            },
        })?;
        let cdb = self.encode(CMD, &ExtendedCopyCdb::new(len))?;
        self.run(CMD, &cdb, Data::Out(parameter_list), timeout)?;
        Ok(())
    }
}

/// What sense bytes claim that cannot be true, if anything (see
/// [`Scsi::believe`]). Only fixed and descriptor format (70h–73h) carry an
/// ADDITIONAL SENSE LENGTH; vendor-specific sense (7Fh) is bounded by the
/// sense buffer alone.
fn sense_claim(sense: &[u8]) -> Option<Claim> {
    if sense.len() > MAX_SENSE_LEN {
        return Some(Claim::SenseOverflow { len: sense.len() });
    }
    let (Some(code), Some(&additional)) = (sense.first(), sense.get(7)) else {
        return None;
    };
    if !(0x70..=0x73).contains(&(code & 0x7f)) {
        return None;
    }
    let claimed = 8 + usize::from(additional);
    if claimed > MAX_SENSE_LEN {
        return Some(Claim::SensePastLimit { claimed });
    }
    if sense.len() < claimed && sense.len() < KERNEL_SENSE_LEN {
        return Some(Claim::SenseShort {
            claimed,
            returned: sense.len(),
        });
    }
    None
}

/// Whether a status byte is GOOD.
pub fn is_good(s: ScsiStatus) -> bool {
    matches!(s, ScsiStatus::Good | ScsiStatus::ConditionMet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::HostStatus;
    use std::sync::Mutex;

    /// A path that takes at most `max` bytes in one command (as a kernel
    /// node does), over a simulated disk; it records the longest it saw.
    struct Narrow {
        inner: Box<dyn Transport>,
        max: usize,
        longest: Mutex<usize>,
        commands: Mutex<usize>,
    }

    impl Narrow {
        fn over_disk(max: usize) -> Narrow {
            let site = crate::site::Site::parse(
                std::path::Path::new("t.toml"),
                "[site]\nstate_dir = \"memory\"\n[[disk]]\nname = \"d\"\ncapacity = \"1 MiB\"\n",
            )
            .unwrap();
            let fabric = site.build_fabric().unwrap();
            Narrow {
                inner: Box::new(fabric.transport("d").unwrap()),
                max,
                longest: Mutex::new(0),
                commands: Mutex::new(0),
            }
        }
    }

    impl Transport for Narrow {
        fn name(&self) -> &str {
            "narrow"
        }
        fn execute(
            &self,
            cdb: &[u8],
            data: DataDirection<'_>,
            timeout: Duration,
        ) -> Result<Completion, TransportError> {
            if data.len() > self.max {
                return Err(TransportError::TooLong {
                    device: "narrow".into(),
                    bytes: data.len(),
                    max: self.max,
                });
            }
            let mut l = self.longest.lock().unwrap();
            *l = (*l).max(data.len());
            *self.commands.lock().unwrap() += 1;
            self.inner.execute(cdb, data, timeout)
        }
        fn max_transfer(&self) -> Option<usize> {
            Some(self.max)
        }
    }

    #[test]
    fn reads_and_writes_longer_than_the_path_takes_go_in_whole_blocks() {
        // 3 blocks and a bit per command: 20 blocks take 7 commands each way.
        let t = Narrow::over_disk(3 * 512 + 100);
        let scsi = Scsi::new(&t);
        let data: Vec<u8> = (0..20 * 512).map(|i| (i * 7 % 251) as u8).collect();
        scsi.write16(8, 512, &data).unwrap();
        let mut back = vec![0u8; data.len()];
        scsi.read16(8, 512, &mut back).unwrap();
        assert_eq!(back, data);
        assert_eq!(*t.longest.lock().unwrap(), 3 * 512);
        assert_eq!(*t.commands.lock().unwrap(), 14);
        // Where they went: block 8 + 19 is the last, block 7 untouched.
        let mut one = vec![0u8; 512];
        scsi.read16(27, 512, &mut one).unwrap();
        assert_eq!(one, data[19 * 512..]);
        scsi.read16(7, 512, &mut one).unwrap();
        assert_eq!(one, vec![0u8; 512]);
        // Within the limit: one command.
        *t.commands.lock().unwrap() = 0;
        scsi.read16(0, 512, &mut back[..1024]).unwrap();
        assert_eq!(*t.commands.lock().unwrap(), 1);
    }

    #[test]
    fn a_path_that_cannot_take_one_block_says_so() {
        let t = Narrow::over_disk(100);
        let e = Scsi::new(&t).read16(0, 512, &mut [0u8; 1024]).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("refused a transfer of 512 bytes in one command"),
            "{text}"
        );
    }

    /// A transport that answers from a script and records CDBs.
    struct Scripted {
        answers: Mutex<Vec<Completion>>,
        sent: Mutex<Vec<Vec<u8>>>,
        data_in: Vec<u8>,
    }

    impl Transport for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }
        fn execute(
            &self,
            cdb: &[u8],
            data: DataDirection<'_>,
            _timeout: Duration,
        ) -> Result<Completion, TransportError> {
            self.sent.lock().unwrap().push(cdb.to_vec());
            let mut c = self.answers.lock().unwrap().remove(0);
            if let DataDirection::FromDevice(b) = data {
                let n = b.len().min(self.data_in.len());
                b[..n].copy_from_slice(&self.data_in[..n]);
                c.transferred = n;
                c.resid = b.len() - n;
            }
            Ok(c)
        }
    }

    fn ua() -> Completion {
        let s: SenseData = SenseData::fixed(SenseKey::UnitAttention, 0x3f, 0x0e).into();
        Completion::check_condition(s.to_vec().unwrap(), 0, 0)
    }

    #[test]
    fn unit_attention_is_retried_once() {
        let t = Scripted {
            answers: Mutex::new(vec![ua(), Completion::good(0)]),
            sent: Mutex::new(vec![]),
            data_in: vec![],
        };
        Scsi::new(&t).test_unit_ready().unwrap();
        assert_eq!(t.sent.lock().unwrap().len(), 2);
    }

    #[test]
    fn second_unit_attention_fails_in_words() {
        let t = Scripted {
            answers: Mutex::new(vec![ua(), ua()]),
            sent: Mutex::new(vec![]),
            data_in: vec![],
        };
        let e = Scsi::new(&t).test_unit_ready().unwrap_err();
        assert_eq!(
            e.to_string(),
            "scripted: TEST UNIT READY failed: CHECK CONDITION, UNIT ATTENTION: \
             Reported LUNs data has changed (0x3f/0x0e)"
        );
    }

    #[test]
    fn copy_aborted_is_not_retried() {
        let lio = vec![
            0x70, 0, 0x0a, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x0d, 0x02, 0, 0, 0, 0,
        ];
        let t = Scripted {
            answers: Mutex::new(vec![Completion::check_condition(lio, 0, 0)]),
            sent: Mutex::new(vec![]),
            data_in: vec![],
        };
        let e = Scsi::new(&t)
            .extended_copy(&[0; 16], XCOPY_TIMEOUT)
            .unwrap_err();
        assert_eq!(
            e.failure().unwrap().sense_key(),
            Some(SenseKey::CopyAborted)
        );
        assert_eq!(t.sent.lock().unwrap().len(), 1);
        assert_eq!(t.sent.lock().unwrap()[0][0], 0x83);
    }

    #[test]
    fn host_time_out_is_a_failure_in_words() {
        let mut c = Completion::good(0);
        c.host_status = HostStatus::TimeOut;
        let t = Scripted {
            answers: Mutex::new(vec![c]),
            sent: Mutex::new(vec![]),
            data_in: vec![],
        };
        let e = Scsi::new(&t).test_unit_ready().unwrap_err();
        assert!(e.failure().unwrap().is_timeout());
        assert!(
            e.to_string()
                .contains("DID_TIME_OUT (the command timed out)"),
            "{e}"
        );
    }

    /// A CDB whose field cannot hold its value.
    struct Unencodable;

    impl Repr for Unencodable {
        fn parse(_: &[u8]) -> crate::wire::Result<Self> {
            Ok(Unencodable)
        }
        fn buffer_len(&self) -> usize {
            6
        }
        fn emit(&self, _: &mut [u8]) -> crate::wire::Result<()> {
            Err(WireError::Overflow {
                what: "test CDB",
                field: "TRANSFER LENGTH",
                value: 1 << 40,
            })
        }
    }

    #[test]
    fn a_cdb_that_cannot_be_encoded_is_an_error_not_empty_bytes() {
        let t = Scripted {
            answers: Mutex::new(vec![]),
            sent: Mutex::new(vec![]),
            data_in: vec![],
        };
        let e = Scsi::new(&t).encode("TEST", &Unencodable).unwrap_err();
        assert!(
            matches!(
                e,
                ScsiError::Encode {
                    command: "TEST",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "scripted: TEST was not sent: segcopy could not encode it: \
             test CDB: TRANSFER LENGTH value 1099511627776 does not fit the field"
        );
        assert!(t.sent.lock().unwrap().is_empty());
    }

    /// A transport that answers every command with `answer` as it is —
    /// whatever it claims — after copying `data_in` into a data-in buffer.
    struct Liar {
        answer: Completion,
        data_in: Vec<u8>,
    }

    impl Transport for Liar {
        fn name(&self) -> &str {
            "liar"
        }
        fn execute(
            &self,
            _cdb: &[u8],
            data: DataDirection<'_>,
            _timeout: Duration,
        ) -> Result<Completion, TransportError> {
            if let DataDirection::FromDevice(b) = data {
                let n = b.len().min(self.data_in.len());
                b[..n].copy_from_slice(&self.data_in[..n]);
            }
            Ok(self.answer.clone())
        }
    }

    fn liar(answer: Completion, data_in: Vec<u8>) -> Liar {
        Liar { answer, data_in }
    }

    fn untrue(e: ScsiError) -> Claim {
        match e {
            ScsiError::Untrue { claim, .. } => claim,
            e => panic!("not refused as untrue: {e}"),
        }
    }

    #[test]
    fn a_residual_or_transfer_past_the_buffer_is_refused() {
        // INQUIRY asks 96 bytes; the device says 608 were left over.
        let mut c = Completion::good(36);
        c.resid = 608;
        let e = Scsi::new(&liar(c, vec![0; 36])).inquiry().unwrap_err();
        assert_eq!(
            e.to_string(),
            "liar: INQUIRY: the device claims a residual of 608 bytes for a 96-byte \
             transfer, which cannot be true; segcopy does not trust its answer"
        );
        let e = Scsi::new(&liar(Completion::good(200), vec![0; 36]))
            .inquiry()
            .unwrap_err();
        assert_eq!(
            untrue(e),
            Claim::Transferred {
                transferred: 200,
                buffer: 96
            }
        );
        let mut c = Completion::good(90);
        c.resid = 90;
        assert_eq!(
            untrue(Scsi::new(&liar(c, vec![])).inquiry().unwrap_err()),
            Claim::Moved {
                transferred: 90,
                resid: 90,
                buffer: 96
            }
        );
        // A command without data that reports a residual.
        let mut c = Completion::good(0);
        c.resid = 1;
        let e = Scsi::new(&liar(c, vec![])).test_unit_ready().unwrap_err();
        assert!(matches!(e, ScsiError::Untrue { .. }), "{e}");
    }

    /// CHECK CONDITION with `sense` as it is.
    fn check_with(sense: Vec<u8>) -> Completion {
        Completion::check_condition(sense, 0, 0)
    }

    #[test]
    fn sense_past_its_buffer_or_its_own_length_is_refused() {
        let tur = |sense: Vec<u8>| {
            Scsi::new(&liar(check_with(sense), vec![]))
                .test_unit_ready()
                .unwrap_err()
        };
        // Fixed sense, NO SENSE, ADDITIONAL SENSE LENGTH 10: 18 bytes
        // claimed, 8 returned.
        let head = vec![0xf0, 0, 0x40, 0, 0, 0, 0, 10];
        assert_eq!(
            untrue(tur(head.clone())),
            Claim::SenseShort {
                claimed: 18,
                returned: 8
            }
        );
        // ADDITIONAL SENSE LENGTH 255: 263 bytes, past the 252 allowed.
        let mut past = vec![0x70, 0, 0x04, 0, 0, 0, 0, 255];
        past.resize(252, 0);
        let e = tur(past);
        assert!(
            e.to_string().contains(
                "an ADDITIONAL SENSE LENGTH of 255 (263 bytes of sense data), past the 252 bytes"
            ),
            "{e}"
        );
        // 300 bytes of sense.
        let mut over = vec![0x70, 0, 0x04, 0, 0, 0, 0, 244];
        over.resize(300, 0);
        assert_eq!(untrue(tur(over)), Claim::SenseOverflow { len: 300 });
        // Cut at the kernel's 96 bytes: a host's cut, not a lie.
        let mut cut = vec![0x72, 0x04, 0x44, 0, 0, 0, 0, 150];
        cut.resize(KERNEL_SENSE_LEN, 0);
        let e = tur(cut);
        assert_eq!(
            e.failure().and_then(|f| f.sense_key()),
            Some(SenseKey::HardwareError),
            "{e}"
        );
        // Vendor-specific sense has no ADDITIONAL SENSE LENGTH to check.
        let e = tur(vec![0x7f, 1, 2, 3, 4, 5, 6, 200]);
        assert!(matches!(e, ScsiError::Failed { .. }), "{e}");
    }

    #[test]
    fn a_length_field_past_what_came_though_there_was_room_is_refused() {
        // VPD 83h: PAGE LENGTH 312 (316 bytes), 40 returned of 252.
        let mut page = vec![0x00, 0x83, 0x01, 0x38];
        page.resize(40, 0);
        let mut c = Completion::good(40);
        c.resid = 212;
        let e = Scsi::new(&liar(c, page)).vpd_raw(0x83).unwrap_err();
        assert_eq!(
            untrue(e),
            Claim::Length {
                field: "PAGE LENGTH",
                claimed: 316,
                returned: 40,
                allocation: 252
            }
        );
        // OPERATING PARAMETERS: AVAILABLE DATA 1084, 46 returned of 1024.
        let mut op = crate::wire::rcr::OperatingParameters {
            max_cscd_descriptors: 2,
            max_segment_descriptors: 1,
            max_segment_length: 1 << 20,
            ..Default::default()
        }
        .with_computed_available_data()
        .to_vec()
        .unwrap();
        op[0..4].copy_from_slice(&1084u32.to_be_bytes());
        let n = op.len();
        let mut c = Completion::good(n);
        c.resid = 1024 - n;
        let e = Scsi::new(&liar(c.clone(), op.clone()))
            .operating_parameters()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "liar: RECEIVE COPY RESULTS: the device claims 1088 bytes of data in its \
             AVAILABLE DATA while returning 44 of the 1024 bytes asked for, which cannot be \
             true; segcopy does not trust its answer"
        );
        // Honest, and a granularity exponent of 32.
        op[0..4].copy_from_slice(&40u32.to_be_bytes());
        op[38] = 32;
        let e = Scsi::new(&liar(c, op)).operating_parameters().unwrap_err();
        assert_eq!(
            untrue(e),
            Claim::Granularity {
                field: "INLINE DATA GRANULARITY",
                exponent: 32
            }
        );
    }

    #[test]
    fn an_answer_cut_by_the_allocation_length_is_no_lie() {
        // OPERATING PARAMETERS claiming more than the 1024 bytes asked
        // for, all 1024 returned: cut by the allocation length.
        let mut op = vec![0u8; 1024];
        op[0..4].copy_from_slice(&2000u32.to_be_bytes());
        op[9] = 2;
        op[11] = 1;
        op[16..20].copy_from_slice(&(1u32 << 20).to_be_bytes());
        let s = liar(Completion::good(1024), op);
        let (p, raw) = Scsi::new(&s).operating_parameters().unwrap();
        assert_eq!((p.available_data, raw.len()), (2000, 1024));
    }

    #[test]
    fn vpd_is_asked_again_when_longer_than_the_first_allocation() {
        // A page of 300 bytes: the first 252-byte answer is cut.
        let mut page = vec![0x00, 0x83, 0x01, 0x28];
        page.extend(std::iter::repeat_n(0u8, 296));
        let t = Scripted {
            answers: Mutex::new(vec![Completion::good(0), Completion::good(0)]),
            sent: Mutex::new(vec![]),
            data_in: page.clone(),
        };
        let raw = Scsi::new(&t).vpd_raw(0x83).unwrap();
        assert_eq!(raw.len(), 300);
        let sent = t.sent.lock().unwrap();
        assert_eq!(
            &sent[1][3..5],
            &[0x01, 0x2c],
            "second allocation length 300"
        );
    }
}
