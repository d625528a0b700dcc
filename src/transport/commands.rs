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
use crate::wire::sbc::{ReadCapacity16, ReadCapacity16Cdb, TestUnitReadyCdb};
use crate::wire::sense::{SenseData, SenseKey};
use crate::wire::vpd::DeviceIdentification;
use crate::wire::xcopy::ExtendedCopyCdb;
use crate::wire::{Hex, HexDump, Repr, WireError};

/// The time-out for ordinary commands.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
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
                HexDump(&b[..c.transferred])
            );
        }
        Ok(c)
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
            let c = self.send(command, cdb, &mut data, timeout)?;
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
        self.read("RECEIVE COPY RESULTS", &cdb, alloc as usize)
    }

    /// RECEIVE COPY RESULTS, OPERATING PARAMETERS (with the raw bytes).
    pub fn operating_parameters(&self) -> Result<(OperatingParameters, Vec<u8>), ScsiError> {
        let raw = self.receive_copy_results_raw(ServiceAction::OperatingParameters, 0, 1024)?;
        Ok((self.parse("RECEIVE COPY RESULTS", &raw)?, raw))
    }

    /// RECEIVE COPY RESULTS, COPY STATUS of `list_id`.
    pub fn copy_status(&self, list_id: u8) -> Result<CopyStatus, ScsiError> {
        let raw = self.receive_copy_results_raw(ServiceAction::CopyStatus, list_id, 12)?;
        self.parse("RECEIVE COPY RESULTS", &raw)
    }

    /// RECEIVE COPY RESULTS, FAILED SEGMENT DETAILS of `list_id`.
    pub fn failed_segment_details(&self, list_id: u8) -> Result<FailedSegmentDetails, ScsiError> {
        let raw =
            self.receive_copy_results_raw(ServiceAction::FailedSegmentDetails, list_id, 60 + 252)?;
        self.parse("RECEIVE COPY RESULTS", &raw)
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

/// Whether a status byte is GOOD.
pub fn is_good(s: ScsiStatus) -> bool {
    matches!(s, ScsiStatus::Good | ScsiStatus::ConditionMet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::HostStatus;
    use std::sync::Mutex;

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
