//! The one interface the engine talks to a device through: one CDB in, a
//! completion out. [`sg::SgDevice`] implements it for real devices over
//! SG_IO; the simulated SAN implements it for its devices.
//!
//! A [`Completion`] is whatever came back from a command that reached a
//! device, good or not; an `Err` means no SCSI answer at all (the ioctl
//! failed, or the device is gone). [`commands`] builds the typed SCSI
//! commands (INQUIRY, VPD, READ CAPACITY, RECEIVE COPY RESULTS, EXTENDED
//! COPY…) on top, judging completions and decoding sense.

use std::time::Duration;

pub use sg::{
    CommandError, Completion, DataDirection, DriverStatus, HostStatus, ScsiStatus, SgDevice,
};

pub mod changer;
pub mod commands;
pub mod discover;
pub mod fault;
pub mod in_use;
pub mod san;
pub mod tape;

/// Why a command got no SCSI answer.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// SG_IO failed or the device could not be opened.
    #[error(transparent)]
    Sg(#[from] sg::SgError),
    /// A (simulated) device stopped answering, as a removed device does.
    #[error("{device}: the device is gone (it no longer answers)")]
    Gone {
        /// The device's name.
        device: String,
    },
    /// A fault plan could not encode the answer it was to give (a bug in
    /// the plan's answer, surfaced rather than sent as empty bytes).
    #[error("{device}: the fault plan could not encode {what}: {source}")]
    Injected {
        /// The device's name.
        device: String,
        /// What it was encoding.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: crate::wire::WireError,
    },
    /// The request cannot be sent (a CDB or buffer the transport refuses).
    #[error("{device}: {reason}")]
    Rejected {
        /// The device's name.
        device: String,
        /// Why.
        reason: &'static str,
    },
    /// The shared simulated SAN's server could not be reached or could
    /// not run the command ([`san`]).
    #[error("{device}: {why}")]
    San {
        /// The device's name.
        device: String,
        /// Why, in words.
        why: String,
    },
    /// The kernel refused a data phase longer than the node's limit.
    #[error("{device}: the kernel refused a transfer of {bytes} bytes in one command; this node takes {max} for certain (the queue's max_sectors, and sg's scatter-gather table in pages); segcopy splits its own block reads and writes, so this was one tape record that large: use smaller records")]
    TooLong {
        /// The device's name.
        device: String,
        /// The transfer asked for.
        bytes: usize,
        /// The most the node takes.
        max: usize,
    },
}

impl TransportError {
    /// Whether the device has gone away (removed, unlinked, unplugged):
    /// ENODEV/ENXIO from SG_IO, or a simulated device that stopped answering.
    pub fn is_device_gone(&self) -> bool {
        match self {
            TransportError::Gone { .. } => true,
            TransportError::Sg(sg::SgError::Ioctl { source, .. }) => {
                matches!(
                    source.raw_os_error(),
                    Some(libc::ENODEV) | Some(libc::ENXIO)
                )
            }
            TransportError::Sg(sg::SgError::NotFound { .. }) => true,
            _ => false,
        }
    }
}

/// Something that executes SCSI commands: a real device or a simulated one.
///
/// `execute` takes `&self` so one device can serve several streams (mirror
/// mode) from several threads; implementations synchronise inside.
pub trait Transport: Send + Sync {
    /// The device's name as the user gave it (`/dev/sg3`, `cm0`…).
    fn name(&self) -> &str;

    /// Sends one CDB with its data phase and waits up to `timeout`.
    fn execute(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError>;

    /// The longest data phase one command may have, where the transport
    /// has a limit (a kernel node's; see [`SgDevice::max_transfer`]).
    /// Reads and writes longer than this are split by the callers that
    /// can split them (READ/WRITE of blocks, fixed-block tape reads).
    fn max_transfer(&self) -> Option<usize> {
        None
    }
}

/// How many bytes of a `total`-byte transfer of `block_length` blocks one
/// command to `t` moves: all of them, or as many whole blocks as `t` takes
/// in one command (at least one block: a node that cannot take one
/// refuses it in words, [`TransportError::TooLong`]).
pub fn bytes_per_command(t: &dyn Transport, block_length: u32, total: usize) -> usize {
    let bl = block_length.max(1) as usize;
    match t.max_transfer() {
        Some(max) if max < total => (max / bl).max(1) * bl,
        _ => total.max(1),
    }
}

/// Why a device could not be opened by name: one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OpenFailed(pub String);

/// Something that opens devices by the names a site gives them — the
/// engine's way to a device, simulated or real, without knowing which.
pub trait Opener: Send + Sync {
    /// Opens `name`.
    fn open(&self, name: &str) -> Result<Box<dyn Transport>, OpenFailed>;

    /// The kernel's node for `name` (`/dev/sgN`), when it is a real
    /// device: what [`in_use::check`] asks the kernel about. `None` for a
    /// simulated device.
    fn device_path(&self, _name: &str) -> Option<String> {
        None
    }
}

/// A real device over SG_IO, with the name it was opened by.
#[derive(Debug)]
pub struct SgTransport {
    device: SgDevice,
    name: String,
    max_transfer: Option<usize>,
}

impl SgTransport {
    /// Opens `path` (see [`SgDevice::open`]).
    pub fn open(path: &str) -> Result<Self, TransportError> {
        let device = SgDevice::open(path)?;
        let max_transfer = device.max_transfer();
        log::debug!("{path}: the kernel takes at most {max_transfer:?} bytes in one command");
        Ok(SgTransport {
            device,
            name: path.to_string(),
            max_transfer,
        })
    }

    /// The underlying device.
    pub fn device(&self) -> &SgDevice {
        &self.device
    }
}

impl Transport for SgTransport {
    fn name(&self) -> &str {
        &self.name
    }

    fn execute(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError> {
        let bytes = data.len();
        match self.device.execute(cdb, data, timeout) {
            Ok(c) => Ok(c),
            // The kernel refuses a transfer it cannot map with EINVAL or
            // ENOMEM and nothing more; where the transfer was longer than
            // the node's limit, that is the reason, said in words. (Not
            // refused beforehand: the limit is a safe bound, and a node
            // may take more.)
            Err(sg::SgError::Ioctl { source, .. })
                if matches!(
                    source.raw_os_error(),
                    Some(libc::EINVAL) | Some(libc::ENOMEM)
                ) && self.max_transfer.is_some_and(|m| bytes > m) =>
            {
                Err(TransportError::TooLong {
                    device: self.name.clone(),
                    bytes,
                    max: self.max_transfer.unwrap_or(0),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    fn max_transfer(&self) -> Option<usize> {
        self.max_transfer
    }
}

/// A shared or boxed transport is a transport.
macro_rules! forward_transport {
    ($($wrapper:ident)::+) => {
        impl<T: Transport + ?Sized> Transport for $($wrapper)::+<T> {
            fn name(&self) -> &str {
                (**self).name()
            }
            fn execute(
                &self,
                cdb: &[u8],
                data: DataDirection<'_>,
                timeout: Duration,
            ) -> Result<Completion, TransportError> {
                (**self).execute(cdb, data, timeout)
            }
            fn max_transfer(&self) -> Option<usize> {
                (**self).max_transfer()
            }
        }
    };
}

forward_transport!(std::sync::Arc);
forward_transport!(Box);
