//! The simulated SAN: disks, tape drives, libraries and copy managers that
//! answer SCSI commands behind the same [`Transport`] real devices use, and
//! a declarative, deterministic fault plan.
//!
//! It is a test double and the embedded default for a new user — not the
//! product. Where LIO applies it must answer what LIO answered
//! (`fixtures/lio/`, replayed by the conformance tests); where no free copy
//! manager goes (tape, libraries, injected faults) it follows SPC-4, SSC-4
//! and SMC-3.
//!
//! Shape:
//! - a [`Fabric`] owns every logical unit ([`Lu`]) by name and designator,
//!   the links between them (who can reach whom) and the site's
//!   [`FaultPlan`];
//! - [`SimLun`] is one LU seen as a [`Transport`]; the fabric hands it out
//!   as a [`SimTransport`], behind the same
//!   [`FaultInjector`](crate::transport::fault::FaultInjector) that puts a
//!   site's faults in front of real devices;
//! - a copy manager moves data through the typed data paths
//!   [`BlockTarget`] and [`StreamTarget`] of the LUs it resolves, which
//!   answer with the sense the target itself would return, so it can be
//!   forwarded; the fabric wraps them in [`datapath`]'s fault-plan
//!   wrappers, the one place third-party I/O meets the plan.
//!
//! No device consults the fault plan itself.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::transport::fault::{FaultInjector, FaultPlan};
use crate::transport::{Completion, DataDirection, Transport, TransportError};
use crate::wire::sense::SenseData;
use crate::wire::vpd::Designator;

pub mod cm;
pub mod common;
pub mod datapath;
pub mod disk;
pub mod library;
pub mod tape;

use datapath::{FaultyBlock, FaultyStream};

/// Why a data-path call on a target did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// The target answered CHECK CONDITION with this sense.
    Check(SenseData),
    /// The target does not answer (removed, powered off).
    Gone,
    /// The target did not complete the command in time.
    Hang,
}

impl From<SenseData> for TargetError {
    fn from(s: SenseData) -> Self {
        TargetError::Check(s)
    }
}

/// The data path of a block device, for copy managers.
pub trait BlockTarget: Send + Sync {
    /// Logical block length.
    fn block_length(&self) -> u32;
    /// Capacity in blocks.
    fn capacity_blocks(&self) -> u64;
    /// Reads `buf.len()` bytes (a whole number of blocks) from `lba`.
    fn read_blocks(&self, lba: u64, buf: &mut [u8]) -> Result<(), TargetError>;
    /// Writes `data` (a whole number of blocks) at `lba`.
    fn write_blocks(&self, lba: u64, data: &[u8]) -> Result<(), TargetError>;
    /// Checks a read (`read`) or a write of `bytes` from `lba` as
    /// [`read_blocks`](BlockTarget::read_blocks) or
    /// [`write_blocks`](BlockTarget::write_blocks) would, with the same
    /// answer, and moves nothing: for a copy manager that moves no bytes
    /// ([`cm::Profile::move_data`]).
    fn check_blocks(&self, read: bool, lba: u64, bytes: u64) -> Result<(), TargetError>;

    /// Writes `data` at `lba` as [`BlockTarget::write_blocks`] does, taking
    /// the buffer: a target that can keep it as its own storage does so
    /// instead of copying it, and gives back the storage it replaced for
    /// the caller's next transfer (`Ok(None)`: nothing to give back). The
    /// default copies and gives `data` back.
    fn write_blocks_owned(&self, lba: u64, data: Vec<u8>) -> Result<Option<Vec<u8>>, TargetError> {
        self.write_blocks(lba, &data)?;
        Ok(Some(data))
    }
}

/// What a stream read met besides data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamRead {
    /// A record (a block in fixed mode) of this many bytes.
    Record(Bytes),
    /// A filemark.
    Filemark,
    /// End of data.
    EndOfData,
}

/// The data path of a stream (tape) device, for copy managers.
pub trait StreamTarget: Send + Sync {
    /// The block length in fixed-block mode, `None` in variable mode.
    fn fixed_block_length(&self) -> Option<u32>;
    /// Writes one transfer at the current position: in variable mode one
    /// record of `data.len()` bytes; in fixed mode `data.len() / block
    /// length` blocks. Early warning is reported as `Ok(true)` (written,
    /// EOM bit set), end of medium as a VOLUME OVERFLOW check.
    fn write(&self, data: Bytes) -> Result<bool, TargetError>;
    /// Reads the next object at the current position.
    fn read(&self) -> Result<StreamRead, TargetError>;
    /// Writes one transfer of `len` bytes as [`write`](StreamTarget::write)
    /// would — the same blocks of the same lengths, positions, capacity
    /// used, early warning and end of medium — without their data: the
    /// blocks are unwritten and read back as zeros. For a copy manager that
    /// moves no bytes ([`cm::Profile::move_data`]).
    fn write_unwritten(&self, len: usize) -> Result<bool, TargetError>;
    /// Writes `n` filemarks.
    fn write_filemarks(&self, n: u32) -> Result<(), TargetError>;
    /// The current logical object number (block position).
    fn position(&self) -> Result<u64, TargetError>;
    /// The length of the object at the position, if the device can tell
    /// without reading it (for counting bytes before a read).
    fn next_len(&self) -> Option<u64> {
        None
    }
    /// A buffer of `len` bytes to fill with the data of a later
    /// [`StreamTarget::write`], when the device has one to spare (the
    /// storage of objects it has erased), so a writer need neither allocate
    /// nor zero one. Its bytes are stale: the caller overwrites them all.
    /// Moves nothing and changes nothing the device reports.
    fn spare_buffer(&self, _len: usize) -> Option<BytesMut> {
        None
    }
}

/// One simulated logical unit.
pub trait Lu: Send + Sync {
    /// The LU's name in the site.
    fn name(&self) -> &str;
    /// Its logical-unit designators (VPD 83h), the first being its NAA.
    fn designators(&self) -> Vec<Designator>;
    /// Handles one command addressed to it (after transport-level faults).
    fn command(&self, fabric: &Fabric, cdb: &[u8], data: DataDirection<'_>) -> Completion;
    /// Whether it is a copy manager (advertises 3PC).
    fn third_party_copy(&self) -> bool {
        false
    }
    /// Its block data path, if it is a block device.
    fn block(&self) -> Option<&dyn BlockTarget> {
        None
    }
    /// Its stream data path, if it is a tape drive.
    fn stream(&self) -> Option<&dyn StreamTarget> {
        None
    }
}

/// The simulated SAN.
pub struct Fabric {
    lus: Vec<Arc<dyn Lu>>,
    by_name: HashMap<String, usize>,
    /// Undirected links between node names (LUs and switches). Empty:
    /// everything reaches everything.
    links: Vec<(String, String)>,
    /// The site's fault plan, in front of every LU's commands and data
    /// path.
    faults: Arc<FaultPlan>,
}

impl std::fmt::Debug for Fabric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fabric")
            .field("lus", &self.by_name.keys().collect::<Vec<_>>())
            .field("links", &self.links)
            .finish()
    }
}

impl Default for Fabric {
    fn default() -> Self {
        Fabric::new()
    }
}

impl Fabric {
    /// An empty fabric with no faults.
    pub fn new() -> Self {
        Fabric::with_faults(Arc::new(FaultPlan::default()))
    }

    /// An empty fabric whose LUs' commands and data paths go through
    /// `faults`.
    pub fn with_faults(faults: Arc<FaultPlan>) -> Self {
        Fabric {
            lus: Vec::new(),
            by_name: HashMap::new(),
            links: Vec::new(),
            faults,
        }
    }

    /// Adds a logical unit. Names must be unique.
    pub fn add(&mut self, lu: Arc<dyn Lu>) -> Result<(), SimError> {
        let name = lu.name().to_string();
        if self.by_name.contains_key(&name) {
            return Err(SimError::DuplicateName(name));
        }
        self.by_name.insert(name, self.lus.len());
        self.lus.push(lu);
        Ok(())
    }

    /// Adds a link between two nodes (LUs or switches).
    pub fn link(&mut self, a: &str, b: &str) {
        self.links.push((a.to_string(), b.to_string()));
    }

    /// Replaces the faults and counters of the plan in place, so every
    /// transport handed out (see [`Fabric::fault_plan`]) sees the new one.
    pub fn set_faults(&mut self, plan: FaultPlan) {
        self.faults.replace(plan);
    }

    /// The fault plan.
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    /// The fault plan, shared (real devices of the same site go behind it
    /// too).
    pub fn fault_plan(&self) -> Arc<FaultPlan> {
        Arc::clone(&self.faults)
    }

    /// A logical unit by name.
    pub fn lu(&self, name: &str) -> Option<&Arc<dyn Lu>> {
        self.by_name.get(name).map(|&i| &self.lus[i])
    }

    /// Every LU's name, in the order they were added.
    pub fn names(&self) -> Vec<&str> {
        self.lus.iter().map(|l| l.name()).collect()
    }

    /// The LU a designator names, if any.
    pub fn by_designator(&self, d: &Designator) -> Option<&Arc<dyn Lu>> {
        self.lus.iter().find(|l| {
            l.designators()
                .iter()
                .any(|x| x.designator_type == d.designator_type && x.value == d.value)
        })
    }

    /// Whether `from` can reach `to` over the links (always, with no links).
    pub fn reachable(&self, from: &str, to: &str) -> bool {
        if self.links.is_empty() || from == to {
            return true;
        }
        let mut seen = vec![from.to_string()];
        let mut frontier = vec![from.to_string()];
        while let Some(n) = frontier.pop() {
            for (a, b) in &self.links {
                let next = if *a == n {
                    b
                } else if *b == n {
                    a
                } else {
                    continue;
                };
                if next == to {
                    return true;
                }
                if !seen.contains(next) {
                    seen.push(next.clone());
                    frontier.push(next.clone());
                }
            }
        }
        false
    }

    /// Whether a fault plan makes `name` unreachable right now.
    pub fn is_gone(&self, name: &str) -> bool {
        self.faults.is_gone(name)
    }

    /// One LU as a transport, behind the fault plan.
    pub fn transport(self: &Arc<Self>, name: &str) -> Option<SimTransport> {
        self.by_name.get(name).map(|&i| {
            let lun = SimLun {
                fabric: Arc::clone(self),
                index: i,
                name: name.to_string(),
            };
            FaultInjector::new(lun, self.fault_plan(), name)
        })
    }

    /// An LU's block data path behind the fault plan (what a copy manager
    /// reads and writes), if it is a block device.
    pub fn block_path<'f>(&'f self, lu: &'f dyn Lu) -> Option<FaultyBlock<'f>> {
        lu.block()
            .map(|b| FaultyBlock::new(lu.name(), b, &self.faults))
    }

    /// An LU's stream data path behind the fault plan, if it is a tape
    /// drive.
    pub fn stream_path<'f>(&'f self, lu: &'f dyn Lu) -> Option<FaultyStream<'f>> {
        lu.stream()
            .map(|s| FaultyStream::new(lu.name(), s, &self.faults))
    }
}

/// Errors building a fabric.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// Two devices with one name.
    #[error("two simulated devices are named {0:?}; names must be unique")]
    DuplicateName(String),
    /// A device's configuration cannot be simulated.
    #[error("{device}: {reason}")]
    Config {
        /// The device's name.
        device: String,
        /// What is wrong and what to change.
        reason: String,
    },
    /// A file of the simulator's state could not be used.
    #[error("{path}: {reason}")]
    State {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// Opens the state file at `path` for reading and writing, creating it
/// empty if it is missing and keeping what it holds otherwise; `what`
/// names it in the error ("the disk's backing file").
pub(crate) fn open_state_file(
    path: &std::path::Path,
    what: &str,
) -> Result<std::fs::File, SimError> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| state_error(path, format!("cannot open {what}: {e}")))
}

/// [`SimError::State`] for the file at `path`.
pub(crate) fn state_error(path: &std::path::Path, reason: impl Into<String>) -> SimError {
    SimError::State {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// A simulated LU as it is handed out: behind the site's fault plan.
pub type SimTransport = FaultInjector<SimLun>;

/// A simulated LU as a [`Transport`], with no fault plan in front.
#[derive(Clone)]
pub struct SimLun {
    fabric: Arc<Fabric>,
    index: usize,
    name: String,
}

impl std::fmt::Debug for SimLun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimLun({})", self.name)
    }
}

impl SimLun {
    /// The fabric it belongs to.
    pub fn fabric(&self) -> &Arc<Fabric> {
        &self.fabric
    }
}

impl Transport for SimLun {
    fn name(&self) -> &str {
        &self.name
    }

    fn execute(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        _timeout: Duration,
    ) -> Result<Completion, TransportError> {
        if cdb.is_empty() || cdb.len() > sg::MAX_CDB_LEN {
            return Err(TransportError::Rejected {
                device: self.name.clone(),
                reason: "a CDB must be 1 to 32 bytes",
            });
        }
        let lu = &self.fabric.lus[self.index];
        Ok(lu.command(&self.fabric, cdb, data))
    }
}
