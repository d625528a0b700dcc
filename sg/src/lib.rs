//! A safe binding of the Linux SCSI generic `SG_IO` ioctl.
//!
//! [`SgDevice::open`] opens a SCSI generic node (`/dev/sgN`) or a SCSI block
//! device (`/dev/sdX`) and proves it is one by asking `SG_GET_VERSION_NUM`;
//! [`SgDevice::execute`] sends one CDB with an optional data buffer and
//! returns a [`Completion`] holding the SCSI status, host and driver status,
//! the sense bytes and the residual, each checked against the buffers we
//! handed the kernel.
//!
//! This crate knows nothing about copies, backups or tapes. All of the
//! workspace's `unsafe` lives in the private `ffi` module here: the
//! `sg_io_hdr` layout (asserted for x86_64 and aarch64) and the two ioctls.
//!
//! The order in which a result is judged (see [`Completion::check`]):
//! the errno of the ioctl, then host status, then driver status, then SCSI
//! status, then (for CHECK CONDITION) the sense bytes.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

mod ffi;

/// The longest sense buffer we hand to the kernel (SPC-4 caps sense at 252
/// bytes; the additional sense length is one byte).
pub const MAX_SENSE_LEN: usize = 252;

/// The largest CDB Linux SG_IO accepts (`cmd_len` is one byte, but the sg
/// driver limits CDBs to 16 bytes without a variable-length extension, and
/// block devices to `BLK_MAX_CDB` = 16… 32 for newer kernels).
pub const MAX_CDB_LEN: usize = 32;

/// Where the data of a command goes.
#[derive(Debug)]
pub enum DataDirection<'a> {
    /// No data phase.
    None,
    /// Data out: the buffer is sent to the device.
    ToDevice(&'a [u8]),
    /// Data in: the device fills (a prefix of) the buffer.
    FromDevice(&'a mut [u8]),
}

impl DataDirection<'_> {
    /// Bytes in the buffer.
    pub fn len(&self) -> usize {
        match self {
            DataDirection::None => 0,
            DataDirection::ToDevice(b) => b.len(),
            DataDirection::FromDevice(b) => b.len(),
        }
    }

    /// Whether there is no data phase or an empty buffer.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// SCSI status (SAM-5 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScsiStatus {
    /// 00h GOOD.
    Good,
    /// 02h CHECK CONDITION: sense data describes the error.
    CheckCondition,
    /// 04h CONDITION MET.
    ConditionMet,
    /// 08h BUSY.
    Busy,
    /// 18h RESERVATION CONFLICT.
    ReservationConflict,
    /// 28h TASK SET FULL.
    TaskSetFull,
    /// 30h ACA ACTIVE.
    AcaActive,
    /// 40h TASK ABORTED.
    TaskAborted,
    /// Any other value.
    Unknown(u8),
}

impl ScsiStatus {
    /// Decodes a status byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0x00 => ScsiStatus::Good,
            0x02 => ScsiStatus::CheckCondition,
            0x04 => ScsiStatus::ConditionMet,
            0x08 => ScsiStatus::Busy,
            0x18 => ScsiStatus::ReservationConflict,
            0x28 => ScsiStatus::TaskSetFull,
            0x30 => ScsiStatus::AcaActive,
            0x40 => ScsiStatus::TaskAborted,
            other => ScsiStatus::Unknown(other),
        }
    }

    /// The status byte.
    pub fn to_byte(self) -> u8 {
        match self {
            ScsiStatus::Good => 0x00,
            ScsiStatus::CheckCondition => 0x02,
            ScsiStatus::ConditionMet => 0x04,
            ScsiStatus::Busy => 0x08,
            ScsiStatus::ReservationConflict => 0x18,
            ScsiStatus::TaskSetFull => 0x28,
            ScsiStatus::AcaActive => 0x30,
            ScsiStatus::TaskAborted => 0x40,
            ScsiStatus::Unknown(b) => b,
        }
    }
}

impl fmt::Display for ScsiStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScsiStatus::Good => f.write_str("GOOD"),
            ScsiStatus::CheckCondition => f.write_str("CHECK CONDITION"),
            ScsiStatus::ConditionMet => f.write_str("CONDITION MET"),
            ScsiStatus::Busy => f.write_str("BUSY"),
            ScsiStatus::ReservationConflict => f.write_str("RESERVATION CONFLICT"),
            ScsiStatus::TaskSetFull => f.write_str("TASK SET FULL"),
            ScsiStatus::AcaActive => f.write_str("ACA ACTIVE"),
            ScsiStatus::TaskAborted => f.write_str("TASK ABORTED"),
            ScsiStatus::Unknown(b) => write!(f, "status {b:#04x}"),
        }
    }
}

/// Linux host (adapter) status, `DID_*` in `include/scsi/scsi_status.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostStatus {
    /// DID_OK.
    Ok,
    /// DID_NO_CONNECT: the target could not be reached (device gone).
    NoConnect,
    /// DID_BUS_BUSY.
    BusBusy,
    /// DID_TIME_OUT: the command did not complete in its time-out.
    TimeOut,
    /// DID_BAD_TARGET.
    BadTarget,
    /// DID_ABORT.
    Abort,
    /// DID_PARITY.
    Parity,
    /// DID_ERROR: internal error of the adapter driver.
    Error,
    /// DID_RESET: the bus or device was reset.
    Reset,
    /// DID_BAD_INTR.
    BadIntr,
    /// DID_PASSTHROUGH.
    Passthrough,
    /// DID_SOFT_ERROR: retry may succeed.
    SoftError,
    /// DID_IMM_RETRY.
    ImmRetry,
    /// DID_REQUEUE.
    Requeue,
    /// DID_TRANSPORT_DISRUPTED.
    TransportDisrupted,
    /// DID_TRANSPORT_FAILFAST.
    TransportFailfast,
    /// DID_TARGET_FAILURE.
    TargetFailure,
    /// DID_NEXUS_FAILURE.
    NexusFailure,
    /// DID_ALLOC_FAILURE.
    AllocFailure,
    /// DID_MEDIUM_ERROR.
    MediumError,
    /// DID_TRANSPORT_MARGINAL.
    TransportMarginal,
    /// Any other value.
    Unknown(u16),
}

impl HostStatus {
    /// Decodes `host_status`.
    pub fn from_raw(v: u16) -> Self {
        use HostStatus::*;
        match v {
            0x00 => Ok,
            0x01 => NoConnect,
            0x02 => BusBusy,
            0x03 => TimeOut,
            0x04 => BadTarget,
            0x05 => Abort,
            0x06 => Parity,
            0x07 => Error,
            0x08 => Reset,
            0x09 => BadIntr,
            0x0a => Passthrough,
            0x0b => SoftError,
            0x0c => ImmRetry,
            0x0d => Requeue,
            0x0e => TransportDisrupted,
            0x0f => TransportFailfast,
            0x10 => TargetFailure,
            0x11 => NexusFailure,
            0x12 => AllocFailure,
            0x13 => MediumError,
            0x14 => TransportMarginal,
            other => Unknown(other),
        }
    }

    /// The raw `host_status` value ([`HostStatus::from_raw`] inverted).
    pub fn to_raw(self) -> u16 {
        use HostStatus::*;
        match self {
            Ok => 0x00,
            NoConnect => 0x01,
            BusBusy => 0x02,
            TimeOut => 0x03,
            BadTarget => 0x04,
            Abort => 0x05,
            Parity => 0x06,
            Error => 0x07,
            Reset => 0x08,
            BadIntr => 0x09,
            Passthrough => 0x0a,
            SoftError => 0x0b,
            ImmRetry => 0x0c,
            Requeue => 0x0d,
            TransportDisrupted => 0x0e,
            TransportFailfast => 0x0f,
            TargetFailure => 0x10,
            NexusFailure => 0x11,
            AllocFailure => 0x12,
            MediumError => 0x13,
            TransportMarginal => 0x14,
            Unknown(v) => v,
        }
    }

    /// The kernel's name for the status.
    pub fn name(self) -> &'static str {
        use HostStatus::*;
        match self {
            Ok => "DID_OK",
            NoConnect => "DID_NO_CONNECT",
            BusBusy => "DID_BUS_BUSY",
            TimeOut => "DID_TIME_OUT",
            BadTarget => "DID_BAD_TARGET",
            Abort => "DID_ABORT",
            Parity => "DID_PARITY",
            Error => "DID_ERROR",
            Reset => "DID_RESET",
            BadIntr => "DID_BAD_INTR",
            Passthrough => "DID_PASSTHROUGH",
            SoftError => "DID_SOFT_ERROR",
            ImmRetry => "DID_IMM_RETRY",
            Requeue => "DID_REQUEUE",
            TransportDisrupted => "DID_TRANSPORT_DISRUPTED",
            TransportFailfast => "DID_TRANSPORT_FAILFAST",
            TargetFailure => "DID_TARGET_FAILURE",
            NexusFailure => "DID_NEXUS_FAILURE",
            AllocFailure => "DID_ALLOC_FAILURE",
            MediumError => "DID_MEDIUM_ERROR",
            TransportMarginal => "DID_TRANSPORT_MARGINAL",
            Unknown(_) => "unknown host status",
        }
    }
}

/// Linux driver status, `DRIVER_*` (low nibble of `driver_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DriverStatus {
    /// DRIVER_OK.
    Ok,
    /// DRIVER_BUSY.
    Busy,
    /// DRIVER_SOFT.
    Soft,
    /// DRIVER_MEDIA.
    Media,
    /// DRIVER_ERROR.
    Error,
    /// DRIVER_INVALID.
    Invalid,
    /// DRIVER_TIMEOUT.
    Timeout,
    /// DRIVER_HARD.
    Hard,
    /// DRIVER_SENSE: sense data is present (not an error by itself).
    Sense,
    /// Any other value.
    Unknown(u8),
}

impl DriverStatus {
    /// Decodes the low nibble of `driver_status`.
    pub fn from_raw(v: u16) -> Self {
        use DriverStatus::*;
        match (v & 0x0f) as u8 {
            0 => Ok,
            1 => Busy,
            2 => Soft,
            3 => Media,
            4 => Error,
            5 => Invalid,
            6 => Timeout,
            7 => Hard,
            8 => Sense,
            other => Unknown(other),
        }
    }

    /// The raw low nibble ([`DriverStatus::from_raw`] inverted).
    pub fn to_raw(self) -> u16 {
        use DriverStatus::*;
        match self {
            Ok => 0,
            Busy => 1,
            Soft => 2,
            Media => 3,
            Error => 4,
            Invalid => 5,
            Timeout => 6,
            Hard => 7,
            Sense => 8,
            Unknown(v) => u16::from(v),
        }
    }

    /// The kernel's name for the status.
    pub fn name(self) -> &'static str {
        use DriverStatus::*;
        match self {
            Ok => "DRIVER_OK",
            Busy => "DRIVER_BUSY",
            Soft => "DRIVER_SOFT",
            Media => "DRIVER_MEDIA",
            Error => "DRIVER_ERROR",
            Invalid => "DRIVER_INVALID",
            Timeout => "DRIVER_TIMEOUT",
            Hard => "DRIVER_HARD",
            Sense => "DRIVER_SENSE",
            Unknown(_) => "unknown driver status",
        }
    }

    /// Whether this status, by itself, means the command failed.
    pub fn is_error(self) -> bool {
        !matches!(self, DriverStatus::Ok | DriverStatus::Sense)
    }
}

/// What came back from one command that reached the device's driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// SCSI status byte.
    pub status: ScsiStatus,
    /// Adapter (host) status.
    pub host_status: HostStatus,
    /// Driver status.
    pub driver_status: DriverStatus,
    /// Sense bytes the kernel wrote, at most the buffer we gave it.
    pub sense: Vec<u8>,
    /// Bytes of the data buffer not transferred, bounded by its length.
    pub resid: usize,
    /// Bytes of the data buffer the command moved (`len - resid`).
    pub transferred: usize,
    /// How long the command took, as the kernel measured it.
    pub duration: Duration,
}

impl Completion {
    /// A GOOD completion that moved `transferred` bytes, for transports
    /// other than SG_IO (the simulator).
    pub fn good(transferred: usize) -> Self {
        Completion {
            status: ScsiStatus::Good,
            host_status: HostStatus::Ok,
            driver_status: DriverStatus::Ok,
            sense: Vec::new(),
            resid: 0,
            transferred,
            duration: Duration::ZERO,
        }
    }

    /// A CHECK CONDITION completion carrying `sense`.
    pub fn check_condition(sense: Vec<u8>, transferred: usize, resid: usize) -> Self {
        Completion {
            status: ScsiStatus::CheckCondition,
            host_status: HostStatus::Ok,
            driver_status: DriverStatus::Sense,
            sense,
            resid,
            transferred,
            duration: Duration::ZERO,
        }
    }

    /// Judges the completion in order — host status, driver status, SCSI
    /// status — and returns `Ok(())` only for GOOD (or CONDITION MET).
    pub fn check(&self) -> Result<(), CommandError> {
        if self.host_status != HostStatus::Ok {
            return Err(CommandError::Host(self.host_status));
        }
        if self.driver_status.is_error() {
            return Err(CommandError::Driver(self.driver_status));
        }
        match self.status {
            ScsiStatus::Good | ScsiStatus::ConditionMet => Ok(()),
            ScsiStatus::CheckCondition => Err(CommandError::CheckCondition {
                sense: self.sense.clone(),
            }),
            other => Err(CommandError::Status(other)),
        }
    }
}

/// Why a command that completed in the kernel did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The adapter reported a failure (time-out, no connect, reset…).
    #[error("host status {}", .0.name())]
    Host(HostStatus),
    /// The driver reported a failure.
    #[error("driver status {}", .0.name())]
    Driver(DriverStatus),
    /// CHECK CONDITION; the sense bytes say why.
    #[error("CHECK CONDITION")]
    CheckCondition {
        /// The sense bytes (possibly empty if the device sent none).
        sense: Vec<u8>,
    },
    /// Another non-GOOD SCSI status (BUSY, RESERVATION CONFLICT…).
    #[error("SCSI status {0}")]
    Status(ScsiStatus),
}

/// Why a device could not be opened or a command not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SgError {
    /// The path does not exist.
    #[error("{}: no such device; give a /dev/sgN or /dev/sdX path (see `segcopy devices`)", .path.display())]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// Opening needs read-write access.
    #[error("{}: permission denied; segcopy needs read-write access to the device (run as root, add yourself to the device's group, or grant CAP_SYS_RAWIO)", .path.display())]
    PermissionDenied {
        /// The path given.
        path: PathBuf,
    },
    /// The path is not a SCSI generic or SCSI block device.
    #[error("{}: not a SCSI generic or SCSI block device ({what}); give a /dev/sgN or /dev/sdX path", .path.display())]
    NotScsi {
        /// The path given.
        path: PathBuf,
        /// What the path is instead.
        what: &'static str,
    },
    /// The device is busy (opened exclusively elsewhere).
    #[error("{}: device is busy (opened exclusively by another program)", .path.display())]
    Busy {
        /// The path given.
        path: PathBuf,
    },
    /// Opening failed with another errno.
    #[error("{}: cannot open: {source}", .path.display())]
    Open {
        /// The path given.
        path: PathBuf,
        /// The errno.
        #[source]
        source: std::io::Error,
    },
    /// The CDB is empty or longer than SG_IO accepts.
    #[error("CDB of {0} bytes cannot be sent (1 to {MAX_CDB_LEN} bytes)")]
    BadCdbLength(usize),
    /// The data buffer is larger than SG_IO can describe.
    #[error("data buffer of {0} bytes is larger than SG_IO allows")]
    BufferTooLarge(usize),
    /// The ioctl itself failed (the command may not have reached the device).
    #[error("{}: SG_IO failed: {source}", .path.display())]
    Ioctl {
        /// The device.
        path: PathBuf,
        /// The errno.
        #[source]
        source: std::io::Error,
    },
    /// The kernel reported values that cannot be true of the buffers we
    /// passed (a residual longer than the buffer, more sense than asked for).
    #[error("{}: kernel reported an impossible {field} of {value} (buffer {limit} bytes)", .path.display())]
    ImpossibleReply {
        /// The device.
        path: PathBuf,
        /// Which field.
        field: &'static str,
        /// Its value.
        value: i64,
        /// The limit it exceeded.
        limit: usize,
    },
}

/// An open SCSI device reached through SG_IO.
#[derive(Debug)]
pub struct SgDevice {
    file: File,
    path: PathBuf,
    version: i32,
    kind: NodeKind,
}

/// What kind of node was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A SCSI generic character device (`/dev/sgN`).
    Generic,
    /// A block device that accepts SG_IO (`/dev/sdX`, `/dev/stN`…).
    Block,
    /// A character device other than sg that accepts SG_IO (`/dev/nstN`, `/dev/bsg/…`).
    OtherChar,
}

impl SgDevice {
    /// Opens `path` read-write and checks it answers `SG_GET_VERSION_NUM`.
    ///
    /// The open is non-blocking so that an `sg` node opened exclusively by
    /// another program fails at once (`EBUSY`) instead of waiting; SG_IO
    /// itself stays synchronous.
    pub fn open(path: impl AsRef<Path>) -> Result<SgDevice, SgError> {
        let path = path.as_ref().to_path_buf();
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => return Err(open_error(path, e)),
        };
        let ft = meta.file_type();
        let kind = if ft.is_char_device() {
            if is_sg_major(&meta) {
                NodeKind::Generic
            } else {
                NodeKind::OtherChar
            }
        } else if ft.is_block_device() {
            NodeKind::Block
        } else if ft.is_dir() {
            return Err(SgError::NotScsi {
                path,
                what: "a directory",
            });
        } else if ft.is_file() {
            return Err(SgError::NotScsi {
                path,
                what: "a regular file",
            });
        } else {
            return Err(SgError::NotScsi {
                path,
                what: "not a device node",
            });
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| open_error(path.clone(), e))?;
        let version = match ffi::get_version_num(file.as_fd()) {
            Ok(v) => v,
            Err(_) => {
                return Err(SgError::NotScsi {
                    path,
                    what: "it does not answer SG_GET_VERSION_NUM",
                })
            }
        };
        log::debug!(
            "{}: opened ({kind:?}, sg driver version {version})",
            path.display()
        );
        Ok(SgDevice {
            file,
            path,
            version,
            kind,
        })
    }

    /// The path the device was opened by.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sg driver version the kernel reported (e.g. 30536 for 3.5.36).
    pub fn driver_version(&self) -> i32 {
        self.version
    }

    /// What kind of node this is.
    pub fn kind(&self) -> NodeKind {
        self.kind
    }

    /// The largest data transfer one command may have through this node,
    /// as the kernel would take it, or `None` where the kernel does not
    /// say (a character device other than sg).
    ///
    /// On an sg node it is the smaller of the queue's max_sectors
    /// (`BLKSECTGET`, in bytes there) and `SG_GET_SG_TABLESIZE` pages: sg
    /// copies through a buffer of its own, and the block layer may count
    /// each page of it as one scatter-gather segment. Seen on Linux 6.1
    /// over tcm_loop (256 segments, max_sectors 1.25 MiB): a 1 MiB READ
    /// passes, a 1.25 MiB one fails in the ioctl with EINVAL before the
    /// device sees it. On a block device it is max_sectors × 512.
    pub fn max_transfer(&self) -> Option<usize> {
        let fd = self.file.as_fd();
        match self.kind {
            NodeKind::Generic => {
                let queue = ffi::blksectget_sg(fd)
                    .ok()
                    .and_then(|v| usize::try_from(v).ok())
                    .filter(|&q| q > 0);
                let pages = ffi::get_sg_tablesize(fd)
                    .ok()
                    .and_then(|v| usize::try_from(v).ok())
                    .filter(|&n| n > 0)
                    .map(|n| n.saturating_mul(page_size()));
                match (queue, pages) {
                    (Some(q), Some(p)) => Some(q.min(p)),
                    (q, p) => q.or(p),
                }
            }
            NodeKind::Block => ffi::blksectget_block(fd)
                .ok()
                .filter(|&s| s > 0)
                .map(|s| usize::from(s) * 512),
            NodeKind::OtherChar => None,
        }
    }

    /// Sends one CDB and waits for it.
    ///
    /// `Err` means the command could not be judged as a SCSI command at all
    /// (errno from the ioctl, or an impossible reply); a completed command,
    /// whatever its status, is `Ok(Completion)` — call
    /// [`Completion::check`] to judge it.
    pub fn execute(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, SgError> {
        if cdb.is_empty() || cdb.len() > MAX_CDB_LEN {
            return Err(SgError::BadCdbLength(cdb.len()));
        }
        let data_len = data.len();
        if u32::try_from(data_len).is_err() {
            return Err(SgError::BufferTooLarge(data_len));
        }
        let mut sense = [0u8; MAX_SENSE_LEN];
        let timeout_ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        let raw =
            ffi::sg_io(self.file.as_fd(), cdb, data, &mut sense, timeout_ms).map_err(|e| {
                SgError::Ioctl {
                    path: self.path.clone(),
                    source: e.into(),
                }
            })?;
        let impossible = |field, value: i64, limit| SgError::ImpossibleReply {
            path: self.path.clone(),
            field,
            value,
            limit,
        };
        let sb_len = usize::from(raw.sb_len_wr);
        if sb_len > MAX_SENSE_LEN {
            return Err(impossible("sense length", sb_len as i64, MAX_SENSE_LEN));
        }
        let resid = usize::try_from(raw.resid)
            .ok()
            .filter(|&r| r <= data_len)
            .ok_or_else(|| impossible("residual", i64::from(raw.resid), data_len))?;
        Ok(Completion {
            status: ScsiStatus::from_byte(raw.status),
            host_status: HostStatus::from_raw(raw.host_status),
            driver_status: DriverStatus::from_raw(raw.driver_status),
            sense: sense[..sb_len].to_vec(),
            resid,
            transferred: data_len - resid,
            duration: Duration::from_millis(u64::from(raw.duration)),
        })
    }
}

fn open_error(path: PathBuf, e: std::io::Error) -> SgError {
    match e.raw_os_error() {
        Some(libc::ENOENT) | Some(libc::ENXIO) | Some(libc::ENODEV) => SgError::NotFound { path },
        Some(libc::EACCES) | Some(libc::EPERM) | Some(libc::EROFS) => {
            SgError::PermissionDenied { path }
        }
        Some(libc::EBUSY) => SgError::Busy { path },
        _ => SgError::Open { path, source: e },
    }
}

/// SCSI generic devices have character major 21 (`SCSI_GENERIC_MAJOR`).
fn is_sg_major(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    libc::major(meta.rdev()) == 21
}

/// The system's page size (4 KiB when it cannot be asked).
fn page_size() -> usize {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|p| usize::try_from(p).ok())
        .filter(|&p| p > 0)
        .unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_driver_statuses_round_trip_through_their_raw_values() {
        for v in 0..=0x20u16 {
            assert_eq!(HostStatus::from_raw(v).to_raw(), v);
        }
        for v in 0..=0x0fu16 {
            assert_eq!(DriverStatus::from_raw(v).to_raw(), v);
        }
    }

    #[test]
    fn page_size_is_a_power_of_two() {
        assert!(page_size().is_power_of_two() && page_size() >= 4096);
    }

    #[test]
    fn regular_file_is_not_scsi() {
        let dir = std::env::temp_dir().join(format!("sg-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("plain");
        std::fs::write(&f, b"x").unwrap();
        let e = SgDevice::open(&f).unwrap_err();
        assert!(
            matches!(
                e,
                SgError::NotScsi {
                    what: "a regular file",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e
            .to_string()
            .contains("not a SCSI generic or SCSI block device"));
        let e = SgDevice::open(&dir).unwrap_err();
        assert!(
            matches!(
                e,
                SgError::NotScsi {
                    what: "a directory",
                    ..
                }
            ),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dev_null_is_not_scsi() {
        let e = SgDevice::open("/dev/null").unwrap_err();
        assert!(matches!(e, SgError::NotScsi { .. }), "{e}");
        assert!(e
            .to_string()
            .starts_with("/dev/null: not a SCSI generic or SCSI block device"));
    }

    #[test]
    fn missing_path_is_not_found() {
        let e = SgDevice::open("/dev/sg-does-not-exist").unwrap_err();
        assert!(matches!(e, SgError::NotFound { .. }), "{e}");
    }

    #[test]
    fn eacces_names_device_and_access() {
        let e = open_error(
            PathBuf::from("/dev/sg3"),
            std::io::Error::from_raw_os_error(libc::EACCES),
        );
        let s = e.to_string();
        assert!(s.starts_with("/dev/sg3: permission denied"), "{s}");
        assert!(s.contains("read-write"), "{s}");
        assert!(s.contains("CAP_SYS_RAWIO"), "{s}");
    }

    #[test]
    fn status_decoding_round_trips() {
        for b in 0..=255u8 {
            assert_eq!(ScsiStatus::from_byte(b).to_byte(), b);
        }
        assert_eq!(HostStatus::from_raw(3), HostStatus::TimeOut);
        assert_eq!(HostStatus::from_raw(1).name(), "DID_NO_CONNECT");
        assert_eq!(DriverStatus::from_raw(0x28), DriverStatus::Sense);
        assert!(!DriverStatus::Sense.is_error());
        assert!(DriverStatus::Timeout.is_error());
    }

    #[test]
    fn check_judges_host_before_driver_before_status() {
        let mut c = Completion::check_condition(vec![0x70, 0, 5], 0, 0);
        c.host_status = HostStatus::TimeOut;
        c.driver_status = DriverStatus::Timeout;
        assert_eq!(c.check(), Err(CommandError::Host(HostStatus::TimeOut)));
        c.host_status = HostStatus::Ok;
        assert_eq!(c.check(), Err(CommandError::Driver(DriverStatus::Timeout)));
        c.driver_status = DriverStatus::Sense;
        assert_eq!(
            c.check(),
            Err(CommandError::CheckCondition {
                sense: vec![0x70, 0, 5]
            })
        );
        assert_eq!(Completion::good(0).check(), Ok(()));
        let mut busy = Completion::good(0);
        busy.status = ScsiStatus::Busy;
        assert_eq!(busy.check(), Err(CommandError::Status(ScsiStatus::Busy)));
    }
}
