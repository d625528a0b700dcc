//! What the engine does about a failed command: retry it once, fail over to
//! the next stream, or stop — one table, from the transport error, the
//! host and driver status, the SCSI status, the sense key and ASC/ASCQ.
//!
//! The rows follow the meaning the standards give each code: SAM-5 §5.3
//! (status codes), SPC-4 §4.5.6 table 29 (sense keys) and §4.5.6 table 30
//! (ASC/ASCQ), and Linux's `DID_*` host codes (`include/scsi/scsi_status.h`).
//! A failover restarts the failed segment from its first block on the
//! standby stream; a retry sends the same segment again on the same stream
//! (the tape is put back at the segment's first block first).

use std::fmt;

use crate::transport::commands::{Failure, ScsiError};
use crate::transport::{CommandError, DriverStatus, HostStatus, ScsiStatus, TransportError};
use crate::wire::sense::SenseKey;

/// What to do about a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send the segment again on the same stream, once.
    Retry,
    /// Give up on this stream; continue from this segment on the next.
    Failover,
    /// Stop the backup: the request itself is wrong, and no other device
    /// would take it either.
    Fatal,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Retry => "retry once",
            Action::Failover => "fail over",
            Action::Fatal => "stop",
        })
    }
}

/// The action for a failed command, and the table row that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// What to do.
    pub action: Action,
    /// The row, in words ("COPY ABORTED: the copy manager gave up").
    pub why: &'static str,
}

const fn v(action: Action, why: &'static str) -> Verdict {
    Verdict { action, why }
}

/// Classifies a failed command.
pub fn classify(e: &ScsiError) -> Verdict {
    match e {
        ScsiError::Transport(t) => transport(t),
        // A response that does not parse came from a device that answered
        // GOOD: another device may answer well.
        ScsiError::BadResponse { .. } => v(
            Action::Failover,
            "the device answered with data segcopy cannot use",
        ),
        // A device whose answer cannot be true is not trusted again on
        // this stream; another device may answer truly.
        ScsiError::Untrue { .. } => v(
            Action::Failover,
            "the device's answer cannot be true, so it is not trusted",
        ),
        ScsiError::Failed { failure, .. } => self::failure(failure),
        // segcopy could not encode its own request: a bug, never retried.
        ScsiError::Encode { .. } => v(Action::Fatal, "segcopy could not build the request"),
    }
}

fn transport(e: &TransportError) -> Verdict {
    match e {
        _ if e.is_device_gone() => v(Action::Failover, "the device is gone"),
        // segcopy built a request no device can take: a bug, never retried.
        TransportError::Rejected { .. } | TransportError::Injected { .. } => {
            v(Action::Fatal, "segcopy could not build or send the request")
        }
        // EIO and friends from SG_IO: the path to the device failed.
        TransportError::Sg(_) => v(Action::Failover, "the path to the device failed"),
        TransportError::Gone { .. } => v(Action::Failover, "the device is gone"),
        // The shared SAN's server is out of reach: the path failed.
        TransportError::San { .. } => v(Action::Failover, "the path to the SAN's server failed"),
        // This node's limit, not the device's: another path may take it.
        TransportError::TooLong { .. } => v(
            Action::Failover,
            "the path cannot carry a transfer this long in one command",
        ),
    }
}

/// Classifies how a command that reached the device failed.
pub fn failure(f: &Failure) -> Verdict {
    match f {
        Failure::CheckCondition { sense, .. } => {
            let key = sense.as_ref().and_then(|s| s.sense_key());
            let asc = sense.as_ref().and_then(|s| s.asc_ascq());
            check_condition(key, asc)
        }
        Failure::Command(c) => command(c),
    }
}

fn command(c: &CommandError) -> Verdict {
    match c {
        // Linux host codes (scsi_status.h).
        CommandError::Host(h) => match h {
            HostStatus::TimeOut => v(Action::Failover, "the command timed out"),
            HostStatus::BusBusy
            | HostStatus::Requeue
            | HostStatus::ImmRetry
            | HostStatus::SoftError => v(Action::Retry, "the adapter asks for the command again"),
            _ => v(Action::Failover, "the adapter lost the device"),
        },
        CommandError::Driver(DriverStatus::Timeout) => v(Action::Failover, "the command timed out"),
        CommandError::Driver(_) => v(Action::Failover, "the driver failed the command"),
        // SAM-5 §5.3: BUSY and TASK SET FULL ask for the command again
        // later; RESERVATION CONFLICT means another initiator holds it.
        CommandError::Status(ScsiStatus::Busy) | CommandError::Status(ScsiStatus::TaskSetFull) => {
            v(Action::Retry, "the device is busy")
        }
        CommandError::Status(ScsiStatus::ReservationConflict) => v(
            Action::Failover,
            "another initiator holds a reservation on the device",
        ),
        CommandError::Status(_) => v(Action::Failover, "the device ended the command abnormally"),
        CommandError::CheckCondition { .. } => check_condition(None, None),
    }
}

/// SPC-4 table 29 (sense keys), with the ASC/ASCQ that change the answer.
fn check_condition(key: Option<SenseKey>, asc: Option<(u8, u8)>) -> Verdict {
    use SenseKey::*;
    match (key, asc) {
        // 6h: something changed on the device; the command may be sent
        // again (the transport already retried once).
        (Some(UnitAttention), _) => v(
            Action::Retry,
            "UNIT ATTENTION: the device reported a change",
        ),
        // Bh: the device aborted the command; SPC-4 says it may be retried.
        (Some(AbortedCommand), _) => v(Action::Retry, "ABORTED COMMAND: the device aborted it"),
        // 2h 04/01: becoming ready; any other NOT READY fails over.
        (Some(NotReady), Some((0x04, 0x01))) => {
            v(Action::Retry, "NOT READY: the device is becoming ready")
        }
        (Some(NotReady), _) => v(Action::Failover, "NOT READY"),
        // Ah: the copy manager stopped the copy (its own failure, or a copy
        // target's, forwarded).
        (Some(CopyAborted), _) => v(Action::Failover, "COPY ABORTED: the copy manager gave up"),
        // 3h, 4h: the medium or the device is broken.
        (Some(MediumError), _) => v(Action::Failover, "MEDIUM ERROR"),
        (Some(HardwareError), _) => v(Action::Failover, "HARDWARE ERROR"),
        // Dh: the tape is full; 7h: it is write-protected; 8h: blank where
        // data was expected. Another stream's medium may be fine.
        (Some(VolumeOverflow), _) => v(Action::Failover, "VOLUME OVERFLOW: the medium is full"),
        (Some(DataProtect), _) => v(
            Action::Failover,
            "DATA PROTECT: the medium is write-protected",
        ),
        (Some(BlankCheck), _) => v(
            Action::Failover,
            "BLANK CHECK: no data where data was expected",
        ),
        // 5h: the request is wrong (a field segcopy set); every device of the
        // same kind would refuse it the same way.
        (Some(IllegalRequest), _) => v(
            Action::Fatal,
            "ILLEGAL REQUEST: the device refused the request segcopy built",
        ),
        // Eh: the data do not compare: stop and say so.
        (Some(Miscompare), _) => v(Action::Fatal, "MISCOMPARE"),
        // 0h/1h: the command completed (or nothing is said): send it again.
        (Some(NoSense) | Some(RecoveredError), _) => v(
            Action::Retry,
            "the device reported a condition without an error",
        ),
        _ => v(Action::Failover, "a failure segcopy has no rule for"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::sense::SenseData;
    use crate::wire::Repr;

    fn check(key: SenseKey, asc: u8, ascq: u8) -> Failure {
        let s: SenseData = SenseData::fixed(key, asc, ascq).into();
        Failure::CheckCondition {
            raw: s.to_vec().unwrap(),
            sense: Some(s),
        }
    }

    #[test]
    fn the_issue_s_rows() {
        // Retried: UNIT ATTENTION. Failed over: COPY ABORTED, MEDIUM ERROR,
        // HARDWARE ERROR, NOT READY, time-outs, a vanished device.
        assert_eq!(
            failure(&check(SenseKey::UnitAttention, 0x29, 0)).action,
            Action::Retry
        );
        for k in [
            SenseKey::CopyAborted,
            SenseKey::MediumError,
            SenseKey::HardwareError,
            SenseKey::NotReady,
            SenseKey::VolumeOverflow,
        ] {
            assert_eq!(failure(&check(k, 0, 0)).action, Action::Failover, "{k:?}");
        }
        let t = Failure::Command(CommandError::Host(HostStatus::TimeOut));
        assert_eq!(failure(&t).action, Action::Failover);
        let gone = ScsiError::Transport(TransportError::Gone {
            device: "cm0".into(),
        });
        assert_eq!(classify(&gone).action, Action::Failover);
    }

    #[test]
    fn becoming_ready_is_retried_and_a_bad_request_stops() {
        assert_eq!(
            failure(&check(SenseKey::NotReady, 0x04, 0x01)).action,
            Action::Retry
        );
        let v = failure(&check(SenseKey::IllegalRequest, 0x26, 0x00));
        assert_eq!(v.action, Action::Fatal);
        assert!(v.why.contains("ILLEGAL REQUEST"));
        let busy = Failure::Command(CommandError::Status(ScsiStatus::Busy));
        assert_eq!(failure(&busy).action, Action::Retry);
    }
}
