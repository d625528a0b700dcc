//! Exit codes. They follow sg3_utils' numbering (`sg_lib.h`, SG_LIB_*), so
//! scripts written for sg3_utils read segcopy's the same way.

use segcopy::transport::commands::{Failure, ScsiError};
use segcopy::transport::{CommandError, HostStatus, ScsiStatus, TransportError};
use segcopy::wire::sense::SenseKey;

/// Success.
pub const OK: u8 = 0;
/// Bad command line or bad input file (SG_LIB_SYNTAX_ERROR).
pub const SYNTAX: u8 = 1;
/// NOT READY sense key.
pub const NOT_READY: u8 = 2;
/// MEDIUM ERROR or HARDWARE ERROR sense key.
pub const MEDIUM_HARD: u8 = 3;
/// ILLEGAL REQUEST sense key.
pub const ILLEGAL_REQUEST: u8 = 5;
/// UNIT ATTENTION sense key (after the one retry).
pub const UNIT_ATTENTION: u8 = 6;
/// DATA PROTECT sense key.
pub const DATA_PROTECT: u8 = 7;
/// COPY ABORTED sense key: an EXTENDED COPY failed.
pub const COPY_ABORTED: u8 = 10;
/// ABORTED COMMAND sense key.
pub const ABORTED_COMMAND: u8 = 11;
/// MISCOMPARE sense key, or data that does not compare.
pub const MISCOMPARE: u8 = 14;
/// The device cannot be opened: missing, not SCSI, no permission.
pub const FILE_ERROR: u8 = 15;
/// VOLUME OVERFLOW / BLANK CHECK and other sense keys.
pub const SENSE_OTHER: u8 = 20;
/// RESERVATION CONFLICT status.
pub const RESERVATION_CONFLICT: u8 = 24;
/// BUSY or TASK SET FULL status.
pub const BUSY: u8 = 26;
/// Not enough resources to secure the streams asked for (nothing moved).
pub const NO_RESOURCES: u8 = 30;
/// A backup or restore ran but did not complete (every stream stopped,
/// or the host agent's pre-backup command failed).
pub const INCOMPLETE: u8 = 31;
/// The command timed out.
pub const TIMEOUT: u8 = 33;
/// The device answered with data segcopy cannot parse, or with a claim
/// that cannot be true (a residual, sense or length past its buffer).
pub const MALFORMED: u8 = 97;
/// Any other failure (transport, host or driver status; a command segcopy
/// could not encode).
pub const OTHER: u8 = 99;

/// The exit code for a failed command.
pub fn for_scsi(e: &ScsiError) -> u8 {
    match e {
        ScsiError::Transport(t) => for_transport(t),
        ScsiError::BadResponse { .. } | ScsiError::Untrue { .. } => MALFORMED,
        ScsiError::Encode { .. } => OTHER,
        ScsiError::Failed { failure, .. } => for_failure(failure),
    }
}

/// The exit code for a transport error.
pub fn for_transport(e: &TransportError) -> u8 {
    match e {
        TransportError::Sg(sg::SgError::Ioctl { .. }) => OTHER,
        TransportError::Sg(sg::SgError::ImpossibleReply { .. }) => MALFORMED,
        TransportError::Sg(_) => FILE_ERROR,
        TransportError::Gone { .. } => OTHER,
        TransportError::San { .. } => FILE_ERROR,
        TransportError::Rejected { .. } | TransportError::TooLong { .. } => SYNTAX,
        TransportError::Injected { .. } => OTHER,
    }
}

/// The exit code for a device's failure.
pub fn for_failure(f: &Failure) -> u8 {
    if f.is_timeout() {
        return TIMEOUT;
    }
    match f {
        Failure::CheckCondition { .. } => match f.sense_key() {
            Some(SenseKey::NotReady) => NOT_READY,
            Some(SenseKey::MediumError) | Some(SenseKey::HardwareError) => MEDIUM_HARD,
            Some(SenseKey::IllegalRequest) => ILLEGAL_REQUEST,
            Some(SenseKey::UnitAttention) => UNIT_ATTENTION,
            Some(SenseKey::DataProtect) => DATA_PROTECT,
            Some(SenseKey::CopyAborted) => COPY_ABORTED,
            Some(SenseKey::AbortedCommand) => ABORTED_COMMAND,
            Some(SenseKey::Miscompare) => MISCOMPARE,
            _ => SENSE_OTHER,
        },
        Failure::Command(CommandError::Status(ScsiStatus::ReservationConflict)) => {
            RESERVATION_CONFLICT
        }
        Failure::Command(CommandError::Status(ScsiStatus::Busy))
        | Failure::Command(CommandError::Status(ScsiStatus::TaskSetFull)) => BUSY,
        Failure::Command(CommandError::Host(HostStatus::TimeOut)) => TIMEOUT,
        Failure::Command(_) => OTHER,
    }
}
