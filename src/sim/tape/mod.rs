//! A simulated tape drive (SSC-4, T10 draft SSC-4 r03; peripheral device
//! type 01h) and the cartridges it loads.
//!
//! # Layout
//!
//! - this module: the drive — [`SimTapeDrive`], its command handling, the
//!   sense it answers with and its [`StreamTarget`] data path;
//! - [`cartridge`]: a cartridge's logical objects, its file format and its
//!   I/O ([`Cartridge`], re-exported here);
//! - `state`: the drive's state that persists between processes (the file
//!   [`SimTapeDrive::keep_state`] writes and [`SimTapeDrive::resume`]
//!   trusts or not).
//!
//! # Cartridges
//!
//! A [`Cartridge`] is one partition of logical objects — blocks (records)
//! and filemarks — numbered from 0 at the beginning of partition (BOP); the
//! object number one past the last is end of data (EOD). It lives in memory
//! or in a file that keeps its objects across process runs; [`cartridge`]
//! describes the model and the file format.
//!
//! # The drive
//!
//! [`SimTapeDrive`] answers, through [`Lu::command`]:
//! - INQUIRY (removable, type 01h), TEST UNIT READY, REQUEST SENSE;
//! - READ BLOCK LIMITS (granularity 0, 1 byte … 8 MiB; with MLOI, the
//!   maximum logical object identifier);
//! - MODE SENSE(6) (page 00h or 3Fh: the header with WP and BUFFERED MODE,
//!   and a block descriptor unless DBD; current, changeable and default
//!   values; saved values are SAVING PARAMETERS NOT SUPPORTED, 39/00) and
//!   MODE SELECT(6) (one block descriptor: density 00h, block length 0 for
//!   variable-block mode or within the block limits; BUFFERED MODE 0–2);
//! - READ(6) and WRITE(6), fixed and variable; WRITE FILEMARKS(6); SPACE(6)
//!   over blocks, filemarks (both directions) and to end of data; REWIND;
//!   LOCATE(10) and LOCATE(16) (logical object, logical file, end of data);
//!   READ POSITION short, long and extended forms, always with a known
//!   position (the simulator has no buffer: the counts in the buffer are
//!   zero and known).
//!
//! The conditions a tape reports, as SSC-4 words them (the INFORMATION
//! field holds the residue: requested minus done, in bytes for a variable
//! READ/WRITE, in blocks for a fixed one, in filemarks or blocks for WRITE
//! FILEMARKS and SPACE):
//! - no cartridge: NOT READY, MEDIUM NOT PRESENT (3A/00) for everything
//!   that needs the medium (INQUIRY, REQUEST SENSE, READ BLOCK LIMITS and
//!   MODE SENSE/SELECT do not);
//! - READ meeting a filemark: NO SENSE, FILEMARK DETECTED (00/01), FILEMARK
//!   bit, positioned after the filemark; meeting end of data: BLANK CHECK,
//!   END-OF-DATA DETECTED (00/05), positioned at EOD; a record of another
//!   length than asked: NO SENSE (00/00) with ILI, INFORMATION requested −
//!   actual (negative for a longer record, whose tail is lost), positioned
//!   after the record; SILI suppresses it for a shorter record, and for a
//!   longer one in variable-block mode; SILI with FIXED is INVALID FIELD IN
//!   CDB. In fixed mode a block of another length than the block size ends
//!   the READ with ILI after it, its data not transferred;
//! - WRITE and WRITE FILEMARKS beyond early warning: done, then CHECK
//!   CONDITION, NO SENSE, END-OF-PARTITION/MEDIUM DETECTED (00/02) with EOM
//!   and INFORMATION 0; an object that does not fit before the end of the
//!   medium: VOLUME OVERFLOW (00/02) with EOM, INFORMATION the residue; in
//!   fixed mode the whole blocks before it are written;
//! - SPACE over blocks meeting a filemark stops after it (forward) or
//!   before it (backward) with FILEMARK DETECTED; meeting EOD: BLANK CHECK
//!   00/05; meeting BOP: NO SENSE, BEGINNING-OF-PARTITION/MEDIUM DETECTED
//!   (00/04) with EOM. SPACE over filemarks has the same ends. LOCATE past
//!   EOD: BLANK CHECK 00/05, positioned at EOD;
//! - a write-protected cartridge: DATA PROTECT, WRITE PROTECTED (27/00);
//! - a data-out buffer of another size than the CDB says: ILLEGAL REQUEST,
//!   INVALID FIELD IN COMMAND INFORMATION UNIT (0E/03), as LIO answers a
//!   WRITE; a MODE SELECT parameter list longer than the buffer: INVALID
//!   FIELD IN CDB (LIO again); a READ's data beyond the data-in buffer is
//!   dropped.
//!
//! Not simulated: partitions other than 0 (CP with another partition is
//! INVALID FIELD IN CDB), setmarks (WSMK and the setmark SPACE codes are
//! INVALID FIELD IN CDB), sequential-filemark spacing, mode pages, UNIT
//! ATTENTION after a cartridge change or a power cycle (it needs
//! per-initiator state, and copy managers reach the drive without an
//! initiator of their own).
//!
//! # Drive state across processes
//!
//! Every `segcopy` command is a new process that builds the drive again. A
//! real drive keeps, while it has power and the cartridge stays loaded,
//! its logical position and its MODE SELECT parameters. With
//! [`SimTapeDrive::keep_state`] the drive keeps them in a file, and
//! [`SimTapeDrive::resume`] restores the position only for the same,
//! unchanged cartridge; otherwise the position is unknown until REWIND,
//! LOCATE or SPACE to end of data sets one. The record and the rules are
//! described in the `state` module (`src/sim/tape/state.rs`).
//!
//! # Faults
//!
//! The drive knows what a real drive knows: its cartridge's capacity and
//! early warning, and medium errors of the cartridge file itself. Injected
//! faults are not its business: the fabric puts the site's fault plan in
//! front of its commands ([`crate::transport::fault`]) and of the
//! [`StreamTarget`] data path copy managers use ([`crate::sim::datapath`]).

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};

use super::common::Identity;
use super::common::{
    check_sense, data_in, handle_common, invalid_cdb_field, invalid_opcode, invalid_param_field,
};
use super::{Fabric, Lu, StreamRead, StreamTarget, TargetError};
use crate::transport::fault::{stream_sense, tape_medium_error as medium_error, volume_overflow};
use crate::transport::{Completion, DataDirection, HostStatus};
use crate::wire::inquiry::PeripheralDeviceType;
use crate::wire::mode::{
    BlockDescriptor, ModeListKind, ModeParameterList6, ModeSelect6Cdb, ModeSense6Cdb, PageControl,
};
use crate::wire::sense::{asc, SenseData, SenseKey};
use crate::wire::ssc::{
    BlockLimits, BlockLimitsMloi, ExtendedPosition, ExtendedPositionFlags, Locate10Cdb,
    Locate16Cdb, LocateDestType, LongPosition, LongPositionFlags, Read6Cdb, ReadBlockLimitsCdb,
    ReadPositionCdb, ReadPositionForm, RewindCdb, ShortPosition, ShortPositionFlags, Space6Cdb,
    SpaceCode, TapeDeviceSpecific, TransferLength, Write6Cdb, WriteFilemarks6Cdb,
};
use crate::wire::vpd::Designator;
use crate::wire::{Repr, WireError};

pub mod cartridge;
mod state;

pub use cartridge::{Cartridge, CartridgeLabel, TapeObject, FILEMARK_BYTES};
use state::{saved_position, SavedMedium, StateFile, NOTHING_SAVED};

/// READ BLOCK LIMITS: the smallest block.
pub const MIN_BLOCK_LENGTH: u16 = 1;
/// READ BLOCK LIMITS: the largest block (8 MiB, as LTO drives report).
pub const MAX_BLOCK_LENGTH: u32 = 0x0080_0000;
/// READ BLOCK LIMITS with MLOI: the largest logical object identifier
/// LOCATE(16) and READ POSITION can carry.
pub const MAX_LOGICAL_OBJECT_IDENTIFIER: u64 = u64::MAX - 1;

// ---------------------------------------------------------------------------
// Sense.

const NO_FLAGS: (bool, bool, bool) = (false, false, false);

fn not_present() -> SenseData {
    SenseData::fixed(SenseKey::NotReady, 0x3a, 0x00).into()
}

fn write_protected() -> SenseData {
    SenseData::fixed(SenseKey::DataProtect, 0x27, 0x00).into()
}

fn transfer_mismatch() -> SenseData {
    SenseData::fixed(SenseKey::IllegalRequest, 0x0e, 0x03).into()
}

fn hardware_error() -> Completion {
    check_sense(SenseData::fixed(SenseKey::HardwareError, 0x44, 0x00).into())
}

fn early_warning_sense() -> SenseData {
    stream_sense(
        SenseKey::NoSense,
        asc::END_OF_PARTITION_MEDIUM_DETECTED,
        (false, true, false),
        Some(0),
    )
}

fn completion(e: TargetError, transferred: usize, buffer: usize) -> Completion {
    let resid = buffer.saturating_sub(transferred);
    match e {
        TargetError::Check(s) => {
            Completion::check_condition(s.to_vec().unwrap_or_default(), transferred, resid)
        }
        TargetError::Gone | TargetError::Hang => {
            let mut c = Completion::good(0);
            c.host_status = if e == TargetError::Gone {
                HostStatus::NoConnect
            } else {
                HostStatus::TimeOut
            };
            c.resid = buffer;
            c
        }
    }
}

/// A data-in completion of `n` bytes of a buffer of `buffer` bytes.
fn good_in(n: usize, buffer: usize) -> Completion {
    let mut c = Completion::good(n);
    c.resid = buffer.saturating_sub(n);
    c
}

// ---------------------------------------------------------------------------
// The drive.

/// What the drive's mutex guards.
#[derive(Debug)]
struct DriveState {
    cartridge: Option<Cartridge>,
    /// Logical object number.
    position: u64,
    /// The logical position is unknown (a saved state that could not be
    /// trusted; see [`SimTapeDrive::resume`]): `position` means nothing.
    lost: bool,
    /// Block length from MODE SELECT; 0 is variable-block mode.
    block_length: u32,
    /// BUFFERED MODE from MODE SELECT (reported, not acted on).
    buffered_mode: u8,
    /// Where the state is kept ([`SimTapeDrive::keep_state`]), if anywhere.
    keeper: Option<StateFile>,
    /// What the state file said of the medium, for [`SimTapeDrive::resume`],
    /// or why there is nothing to resume.
    saved: Result<SavedMedium, String>,
}

/// MEDIUM ERROR, SEQUENTIAL POSITIONING ERROR (3B/00): the drive does not
/// know its logical position, so it will not read, write or space from it.
fn position_lost() -> SenseData {
    SenseData::fixed(SenseKey::MediumError, 0x3b, 0x00).into()
}

/// Why a write of objects stopped.
enum WriteStop {
    /// The medium ends before the object.
    Overflow,
    /// A medium error writing it.
    Medium,
    /// Something else, reported as is (no residue added).
    Other(TargetError),
}

/// Why a read of an object did not return it.
enum ReadStop {
    /// A medium error reading it.
    Medium,
    /// Something else, reported as is.
    Other(TargetError),
}

/// What a read met at the position.
enum Met {
    Block(Bytes),
    Filemark,
    EndOfData,
}

/// A simulated tape drive.
pub struct SimTapeDrive {
    identity: Identity,
    state: Mutex<DriveState>,
}

impl std::fmt::Debug for SimTapeDrive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimTapeDrive")
            .field("name", &self.identity.name)
            .field("state", &self.state)
            .finish()
    }
}

/// The block limits the drive reports.
fn block_limits() -> BlockLimits {
    BlockLimits {
        granularity: 0,
        maximum_block_length_limit: MAX_BLOCK_LENGTH,
        minimum_block_length_limit: MIN_BLOCK_LENGTH,
    }
}

impl SimTapeDrive {
    /// An empty drive named `name` (vendor SEGCOPY, product SIMTAPE, an
    /// NAA 6 designator from the name), in variable-block mode.
    pub fn new(name: &str) -> Arc<SimTapeDrive> {
        let mut identity = Identity::new(name, PeripheralDeviceType::SequentialAccess, "SIMTAPE");
        identity.removable = true;
        Arc::new(SimTapeDrive {
            identity,
            state: Mutex::new(DriveState {
                cartridge: None,
                position: 0,
                lost: false,
                block_length: 0,
                buffered_mode: 1,
                keeper: None,
                saved: Err(NOTHING_SAVED.into()),
            }),
        })
    }

    /// Who the drive says it is.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    fn lock(&self) -> MutexGuard<'_, DriveState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads `cartridge`, positioned at BOP, as a real load does. A
    /// cartridge already loaded is unloaded and returned. The block length
    /// and buffered mode stay: they are the drive's, not the medium's.
    pub fn load(&self, cartridge: Cartridge) -> Option<Cartridge> {
        let mut st = self.lock();
        st.position = 0;
        st.lost = false;
        st.saved = Err(NOTHING_SAVED.into());
        let prev = st.cartridge.replace(cartridge);
        self.persist(&mut st);
        prev
    }

    /// Loads `cartridge` as one that stayed in the drive while the process
    /// serving it restarted: at the position saved by
    /// [`SimTapeDrive::keep_state`] if the saved state is of this
    /// cartridge, the cartridge has not changed since (objects, bytes used,
    /// its file's length and modification time) and the position is within
    /// its data. Otherwise a warning says why, and the position is unknown:
    /// READ, WRITE, WRITE FILEMARKS and SPACE over blocks or filemarks are
    /// MEDIUM ERROR, SEQUENTIAL POSITIONING ERROR (3B/00), and READ
    /// POSITION says LOLU / LONU, until REWIND, LOCATE or SPACE to end of
    /// data sets a position. Never a silent BOP, from which the next write
    /// would erase the tape. A cartridge already loaded is unloaded and
    /// returned.
    pub fn resume(&self, cartridge: Cartridge) -> Option<Cartridge> {
        let mut st = self.lock();
        let saved = std::mem::replace(&mut st.saved, Err(NOTHING_SAVED.into()));
        // Said once, when the position is lost; later commands find it
        // still unknown and say so only in the log's info level.
        let already_unknown = matches!(&saved, Ok(m) if m.position.is_none());
        match saved_position(saved, &cartridge) {
            Ok(p) => {
                st.position = p;
                st.lost = false;
            }
            Err(why) => {
                let level = if already_unknown {
                    log::Level::Info
                } else {
                    log::Level::Warn
                };
                log::log!(
                    level,
                    "{}: cartridge {} is loaded, but its position is unknown: {why}; \
                     reads, writes, filemarks and relative spacing are refused until \
                     the tape is rewound, located or spaced to end of data",
                    self.identity.name,
                    cartridge.barcode
                );
                st.position = 0;
                st.lost = true;
            }
        }
        let prev = st.cartridge.replace(cartridge);
        self.persist(&mut st);
        prev
    }

    /// Unloads the cartridge (flushed) and returns it; the drive forgets
    /// the position.
    pub fn unload(&self) -> Option<Cartridge> {
        let mut st = self.lock();
        st.position = 0;
        st.lost = false;
        st.saved = Err(NOTHING_SAVED.into());
        let c = st.cartridge.take();
        if let Some(c) = &c {
            if let Err(e) = c.sync() {
                log::warn!("{}: unload: {e}", self.identity.name);
            }
        }
        self.persist(&mut st);
        c
    }

    /// The loaded cartridge's barcode.
    pub fn loaded_barcode(&self) -> Option<String> {
        self.lock().cartridge.as_ref().map(|c| c.barcode.clone())
    }

    /// The block length (0: variable-block mode).
    pub fn block_length(&self) -> u32 {
        self.lock().block_length
    }

    /// Runs `f` on the loaded cartridge (for tests and reports).
    pub fn with_cartridge<R>(&self, f: impl FnOnce(&Cartridge) -> R) -> Option<R> {
        self.lock().cartridge.as_ref().map(f)
    }

    /// Writes `objects` one by one from the position; `Err` with how many
    /// were written before the one that stopped.
    fn put(
        &self,
        st: &mut DriveState,
        objects: impl Iterator<Item = TapeObject>,
    ) -> Result<(), (u64, WriteStop)> {
        for (done, object) in objects.enumerate() {
            let done = done as u64;
            let Some(cart) = st.cartridge.as_mut() else {
                return Err((done, WriteStop::Other(not_present().into())));
            };
            if st.lost {
                return Err((done, WriteStop::Other(position_lost().into())));
            }
            let pos = st.position;
            let cost = match &object {
                TapeObject::Block(b) => b.len() as u64,
                TapeObject::Filemark => FILEMARK_BYTES,
            };
            let fits = cart
                .used_before(pos)
                .checked_add(cost)
                .is_some_and(|u| u <= cart.capacity);
            if !fits {
                return Err((done, WriteStop::Overflow));
            }
            if let Err(e) = cart.write_at(pos, object) {
                log::warn!("{}: writing object {pos}: {e}", self.identity.name);
                return Err((done, WriteStop::Medium));
            }
            st.position = pos + 1;
        }
        Ok(())
    }

    /// Whether the loaded tape is beyond early warning.
    fn early_warning(st: &DriveState) -> bool {
        st.cartridge
            .as_ref()
            .is_some_and(|c| c.beyond_early_warning(c.used))
    }

    /// Writes blocks (`residue(done)` says what is left undone, for the
    /// sense); `Ok(true)` beyond early warning.
    fn write_blocks(
        &self,
        st: &mut DriveState,
        blocks: impl Iterator<Item = Bytes>,
        residue: impl Fn(u64) -> i64,
    ) -> Result<bool, TargetError> {
        match self.put(st, blocks.map(TapeObject::Block)) {
            Ok(()) => Ok(SimTapeDrive::early_warning(st)),
            Err((done, WriteStop::Overflow)) => Err(volume_overflow(residue(done)).into()),
            Err((done, WriteStop::Medium)) => Err(medium_error(true, residue(done)).into()),
            Err((_, WriteStop::Other(e))) => Err(e),
        }
    }

    fn write_marks(&self, st: &mut DriveState, n: u32) -> Result<bool, TargetError> {
        let objects = (0..n).map(|_| TapeObject::Filemark);
        let r = match self.put(st, objects) {
            Ok(()) => Ok(SimTapeDrive::early_warning(st)),
            Err((done, WriteStop::Overflow)) => {
                Err(volume_overflow(i64::from(n) - done as i64).into())
            }
            Err((done, WriteStop::Medium)) => {
                Err(medium_error(true, i64::from(n) - done as i64).into())
            }
            Err((_, WriteStop::Other(e))) => Err(e),
        };
        if let Some(c) = &st.cartridge {
            if let Err(e) = c.sync() {
                log::warn!("{}: {e}", self.identity.name);
            }
        }
        r
    }

    /// Reads the object at the position and moves past it (not past EOD).
    fn next(&self, st: &mut DriveState) -> Result<Met, ReadStop> {
        let Some(cart) = st.cartridge.as_mut() else {
            return Err(ReadStop::Other(not_present().into()));
        };
        if st.lost {
            return Err(ReadStop::Other(position_lost().into()));
        }
        let pos = st.position;
        let Some(e) = cart.entry(pos).copied() else {
            return Ok(Met::EndOfData);
        };
        let met = if e.filemark {
            Met::Filemark
        } else {
            match cart.read_block(pos) {
                Ok(b) => Met::Block(b),
                Err(err) => {
                    log::warn!("{}: reading object {pos}: {err}", self.identity.name);
                    return Err(ReadStop::Medium);
                }
            }
        };
        st.position = pos + 1;
        Ok(met)
    }

    fn read_stop(stop: ReadStop, residue: i64) -> TargetError {
        match stop {
            ReadStop::Medium => medium_error(false, residue).into(),
            ReadStop::Other(e) => e,
        }
    }

    // -----------------------------------------------------------------------
    // Commands.

    fn execute(&self, cdb: &[u8], data: DataDirection<'_>) -> Completion {
        let Some(&opcode) = cdb.first() else {
            return invalid_opcode();
        };
        let mut st = self.lock();
        let st = &mut *st;
        let done = self.command(st, opcode, cdb, data);
        self.persist(st);
        done
    }

    fn command(
        &self,
        st: &mut DriveState,
        opcode: u8,
        cdb: &[u8],
        data: DataDirection<'_>,
    ) -> Completion {
        match opcode {
            ReadBlockLimitsCdb::OPCODE => match ReadBlockLimitsCdb::parse(cdb) {
                Ok(c) => read_block_limits(&c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            ModeSense6Cdb::OPCODE => match ModeSense6Cdb::parse(cdb) {
                Ok(c) => mode_sense(st, &c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            ModeSelect6Cdb::OPCODE => match ModeSelect6Cdb::parse(cdb) {
                Ok(c) => mode_select(st, &c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            Read6Cdb::OPCODE => match Read6Cdb::parse(cdb) {
                Ok(c) => self.read6(st, &c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            Write6Cdb::OPCODE => match Write6Cdb::parse(cdb) {
                Ok(c) => self.write6(st, &c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            WriteFilemarks6Cdb::OPCODE => match WriteFilemarks6Cdb::parse(cdb) {
                Ok(c) => self.write_filemarks6(st, &c),
                Err(_) => invalid_cdb_field(0, None),
            },
            Space6Cdb::OPCODE => match Space6Cdb::parse(cdb) {
                Ok(c) => space6(st, &c),
                Err(_) => invalid_cdb_field(0, None),
            },
            RewindCdb::OPCODE => match RewindCdb::parse(cdb) {
                Ok(_) if st.cartridge.is_none() => check_sense(not_present()),
                Ok(_) => {
                    st.position = 0;
                    st.lost = false;
                    Completion::good(0)
                }
                Err(_) => invalid_cdb_field(0, None),
            },
            Locate10Cdb::OPCODE => match Locate10Cdb::parse(cdb) {
                Ok(c) if c.cp && c.partition != 0 => invalid_cdb_field(8, None),
                Ok(c) => locate(
                    st,
                    LocateDestType::LogicalObject,
                    c.logical_object_identifier.into(),
                ),
                Err(_) => invalid_cdb_field(0, None),
            },
            Locate16Cdb::OPCODE => match Locate16Cdb::parse(cdb) {
                Ok(c) if c.cp && c.partition != 0 => invalid_cdb_field(3, None),
                Ok(Locate16Cdb {
                    dest_type: LocateDestType::Unknown(_),
                    ..
                }) => invalid_cdb_field(1, Some(5)),
                Ok(c) => locate(st, c.dest_type, c.logical_identifier),
                Err(_) => invalid_cdb_field(0, None),
            },
            ReadPositionCdb::OPCODE => match ReadPositionCdb::parse(cdb) {
                Ok(c) => read_position(st, &c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            _ => {
                let not_ready = st.cartridge.is_none().then(|| check_sense(not_present()));
                handle_common(&self.identity, cdb, data, not_ready).unwrap_or_else(invalid_opcode)
            }
        }
    }

    fn write6(&self, st: &mut DriveState, c: &Write6Cdb, data: DataDirection<'_>) -> Completion {
        let Some(cart) = st.cartridge.as_ref() else {
            return check_sense(not_present());
        };
        let bl = st.block_length;
        if c.transfer.fixed() && bl == 0 {
            return invalid_cdb_field(1, Some(0));
        }
        if let TransferLength::Bytes(n) = c.transfer {
            if n > MAX_BLOCK_LENGTH {
                return invalid_cdb_field(2, None);
            }
        }
        let buf: &[u8] = match data {
            DataDirection::ToDevice(b) => b,
            _ => &[],
        };
        if buf.len() as u64 != c.transfer.byte_count(bl) {
            return check_sense(transfer_mismatch());
        }
        if c.transfer.value() == 0 {
            return Completion::good(0);
        }
        if cart.write_protected {
            return check_sense(write_protected());
        }
        let all = Bytes::copy_from_slice(buf);
        let r = match c.transfer {
            TransferLength::Bytes(n) => {
                self.write_blocks(st, std::iter::once(all), |_| i64::from(n))
            }
            TransferLength::Blocks(n) => {
                let bl = bl as usize;
                let blocks = (0..n as usize).map(|i| all.slice(i * bl..(i + 1) * bl));
                self.write_blocks(st, blocks, |done| i64::from(n) - done as i64)
            }
        };
        match r {
            Ok(false) => Completion::good(buf.len()),
            Ok(true) => Completion::check_condition(
                early_warning_sense().to_vec().unwrap_or_default(),
                buf.len(),
                0,
            ),
            Err(e) => completion(e, 0, 0),
        }
    }

    fn write_filemarks6(&self, st: &mut DriveState, c: &WriteFilemarks6Cdb) -> Completion {
        let Some(cart) = st.cartridge.as_ref() else {
            return check_sense(not_present());
        };
        if c.wsmk {
            return invalid_cdb_field(1, Some(1));
        }
        if c.count > 0 && cart.write_protected {
            return check_sense(write_protected());
        }
        match self.write_marks(st, c.count) {
            Ok(false) => Completion::good(0),
            Ok(true) => check_sense(early_warning_sense()),
            Err(e) => completion(e, 0, 0),
        }
    }

    fn read6(&self, st: &mut DriveState, c: &Read6Cdb, data: DataDirection<'_>) -> Completion {
        if st.cartridge.is_none() {
            return check_sense(not_present());
        }
        let bl = st.block_length;
        if c.transfer.fixed() && bl == 0 {
            return invalid_cdb_field(1, Some(0));
        }
        if c.transfer.fixed() && c.sili {
            return invalid_cdb_field(1, Some(1));
        }
        let mut empty = [0u8; 0];
        let buf: &mut [u8] = match data {
            DataDirection::FromDevice(b) => b,
            _ => &mut empty,
        };
        let buffer = buf.len();
        if c.transfer.value() == 0 {
            return good_in(0, buffer);
        }
        match c.transfer {
            TransferLength::Bytes(t) => self.read_variable(st, t, c.sili, buf),
            TransferLength::Blocks(n) => self.read_fixed(st, n, buf),
        }
    }

    fn read_variable(&self, st: &mut DriveState, t: u32, sili: bool, buf: &mut [u8]) -> Completion {
        let buffer = buf.len();
        let asked = i64::from(t);
        match self.next(st) {
            Ok(Met::EndOfData) => check_sense(stream_sense(
                SenseKey::BlankCheck,
                asc::END_OF_DATA_DETECTED,
                NO_FLAGS,
                Some(asked),
            )),
            Ok(Met::Filemark) => check_sense(stream_sense(
                SenseKey::NoSense,
                asc::FILEMARK_DETECTED,
                (true, false, false),
                Some(asked),
            )),
            Ok(Met::Block(b)) => {
                let n = b.len().min(t as usize).min(buffer);
                buf[..n].copy_from_slice(&b[..n]);
                let actual = b.len() as i64;
                let suppressed = sili && (actual < asked || st.block_length == 0);
                if actual == asked || suppressed {
                    good_in(n, buffer)
                } else {
                    let s = stream_sense(
                        SenseKey::NoSense,
                        asc::NO_ADDITIONAL_SENSE_INFORMATION,
                        (false, false, true),
                        Some(asked - actual),
                    );
                    Completion::check_condition(s.to_vec().unwrap_or_default(), n, buffer - n)
                }
            }
            Err(stop) => completion(SimTapeDrive::read_stop(stop, asked), 0, buffer),
        }
    }

    fn read_fixed(&self, st: &mut DriveState, n: u32, buf: &mut [u8]) -> Completion {
        let buffer = buf.len();
        let bl = st.block_length as usize;
        let mut moved = 0usize;
        for i in 0..n {
            let left = i64::from(n - i);
            let stop = |s: SenseData, moved: usize| completion(s.into(), moved, buffer);
            match self.next(st) {
                Ok(Met::EndOfData) => {
                    return stop(
                        stream_sense(
                            SenseKey::BlankCheck,
                            asc::END_OF_DATA_DETECTED,
                            NO_FLAGS,
                            Some(left),
                        ),
                        moved,
                    )
                }
                Ok(Met::Filemark) => {
                    return stop(
                        stream_sense(
                            SenseKey::NoSense,
                            asc::FILEMARK_DETECTED,
                            (true, false, false),
                            Some(left),
                        ),
                        moved,
                    )
                }
                Ok(Met::Block(b)) if b.len() != bl => {
                    return stop(
                        stream_sense(
                            SenseKey::NoSense,
                            asc::NO_ADDITIONAL_SENSE_INFORMATION,
                            (false, false, true),
                            Some(left),
                        ),
                        moved,
                    )
                }
                Ok(Met::Block(b)) => {
                    let start = (i as usize).saturating_mul(bl);
                    if start < buffer {
                        let k = bl.min(buffer - start);
                        buf[start..start + k].copy_from_slice(&b[..k]);
                        moved = start + k;
                    }
                }
                Err(s) => return completion(SimTapeDrive::read_stop(s, left), moved, buffer),
            }
        }
        good_in(moved, buffer)
    }
}

fn read_block_limits(c: &ReadBlockLimitsCdb, data: DataDirection<'_>) -> Completion {
    let bytes = if c.mloi {
        BlockLimitsMloi {
            maximum_logical_object_identifier: MAX_LOGICAL_OBJECT_IDENTIFIER,
        }
        .to_vec()
    } else {
        block_limits().to_vec()
    };
    match bytes {
        Ok(b) => data_in(data, &b),
        Err(_) => hardware_error(),
    }
}

fn mode_sense(st: &DriveState, c: &ModeSense6Cdb, data: DataDirection<'_>) -> Completion {
    if !c.asks_for_page(0x00) {
        return invalid_cdb_field(2, Some(5));
    }
    if !c.asks_for_page_0_format() {
        return invalid_cdb_field(3, None);
    }
    let (dsp, block_length) = match c.page_control {
        PageControl::Saved => {
            return check_sense(SenseData::fixed(SenseKey::IllegalRequest, 0x39, 0x00).into())
        }
        PageControl::Changeable => (
            TapeDeviceSpecific {
                write_protected: false,
                buffered_mode: 0x07,
                speed: 0,
            },
            0x00ff_ffff,
        ),
        PageControl::Default => (
            TapeDeviceSpecific {
                write_protected: false,
                buffered_mode: 1,
                speed: 0,
            },
            0,
        ),
        PageControl::Current => (
            TapeDeviceSpecific {
                write_protected: st.cartridge.as_ref().is_some_and(|c| c.write_protected),
                buffered_mode: st.buffered_mode,
                speed: 0,
            },
            st.block_length,
        ),
    };
    let list = ModeParameterList6 {
        kind: ModeListKind::Sense,
        medium_type: 0,
        device_specific: dsp.to_byte(),
        block_descriptors: if c.dbd {
            Vec::new()
        } else {
            vec![BlockDescriptor {
                density_code: 0,
                number_of_blocks: 0,
                block_length,
            }]
        },
        pages: Vec::new(),
    };
    match list.to_vec() {
        Ok(b) => {
            let n = b.len().min(usize::from(c.allocation_length));
            data_in(data, &b[..n])
        }
        Err(_) => hardware_error(),
    }
}

/// Byte offsets in a MODE SELECT(6) list, for field pointers.
mod select_field {
    /// MODE DATA LENGTH (reserved in MODE SELECT).
    pub const MODE_DATA_LENGTH: u16 = 0;
    /// DEVICE-SPECIFIC PARAMETER.
    pub const DEVICE_SPECIFIC: u16 = 2;
    /// BLOCK DESCRIPTOR LENGTH.
    pub const BLOCK_DESCRIPTOR_LENGTH: u16 = 3;
    /// The first block descriptor's DENSITY CODE.
    pub const DENSITY_CODE: u16 = 4;
    /// The first block descriptor's BLOCK LENGTH.
    pub const BLOCK_LENGTH: u16 = 9;
    /// The first mode page after one block descriptor.
    pub const FIRST_PAGE_AFTER_DESCRIPTOR: u16 = 12;
    /// The first mode page with no block descriptor.
    pub const FIRST_PAGE: u16 = 4;
    /// MODE SELECT(6) CDB: PARAMETER LIST LENGTH.
    pub const CDB_PARAMETER_LIST_LENGTH: u16 = 4;
}

fn mode_select(st: &mut DriveState, c: &ModeSelect6Cdb, data: DataDirection<'_>) -> Completion {
    if c.sp {
        return invalid_cdb_field(1, Some(0));
    }
    let plen = usize::from(c.parameter_list_length);
    if plen == 0 {
        return Completion::good(0);
    }
    let buf: &[u8] = match data {
        DataDirection::ToDevice(b) => b,
        _ => &[],
    };
    if buf.len() < plen {
        return invalid_cdb_field(select_field::CDB_PARAMETER_LIST_LENGTH, None);
    }
    let list = match ModeParameterList6::parse(&buf[..plen]) {
        Ok(l) => l,
        Err(WireError::InvalidField {
            field: "BLOCK DESCRIPTOR LENGTH",
            ..
        }) => return invalid_param_field(select_field::BLOCK_DESCRIPTOR_LENGTH, None),
        Err(WireError::InvalidField { .. }) => {
            return invalid_param_field(select_field::MODE_DATA_LENGTH, None)
        }
        Err(_) => {
            return check_sense(SenseData::fixed(SenseKey::IllegalRequest, 0x1a, 0x00).into())
        }
    };
    if list.kind == ModeListKind::Sense {
        // MODE DATA LENGTH is reserved in a MODE SELECT list.
        return invalid_param_field(select_field::MODE_DATA_LENGTH, None);
    }
    let dsp = list.tape_device_specific();
    if dsp.buffered_mode > 2 {
        return invalid_param_field(select_field::DEVICE_SPECIFIC, Some(6));
    }
    if dsp.speed != 0 {
        return invalid_param_field(select_field::DEVICE_SPECIFIC, Some(3));
    }
    let mut block_length = st.block_length;
    match list.block_descriptors.as_slice() {
        [] => {}
        [d] => {
            if d.density_code != 0 {
                return invalid_param_field(select_field::DENSITY_CODE, None);
            }
            if d.block_length != 0 && !block_limits().allows(d.block_length) {
                return invalid_param_field(select_field::BLOCK_LENGTH, None);
            }
            block_length = d.block_length;
        }
        _ => return invalid_param_field(select_field::BLOCK_DESCRIPTOR_LENGTH, None),
    }
    if !list.pages.is_empty() {
        let at = if list.block_descriptors.is_empty() {
            select_field::FIRST_PAGE
        } else {
            select_field::FIRST_PAGE_AFTER_DESCRIPTOR
        };
        return invalid_param_field(at, Some(5));
    }
    st.block_length = block_length;
    st.buffered_mode = dsp.buffered_mode;
    Completion::good(plen)
}

fn space6(st: &mut DriveState, c: &Space6Cdb) -> Completion {
    let Some(cart) = st.cartridge.as_ref() else {
        return check_sense(not_present());
    };
    let count = i64::from(c.count);
    let eod = cart.object_count();
    let at_eod = |left: i64| {
        check_sense(stream_sense(
            SenseKey::BlankCheck,
            asc::END_OF_DATA_DETECTED,
            NO_FLAGS,
            Some(left),
        ))
    };
    let at_bop = |left: i64| {
        check_sense(stream_sense(
            SenseKey::NoSense,
            asc::BEGINNING_OF_PARTITION_MEDIUM_DETECTED,
            (false, true, false),
            Some(left),
        ))
    };
    let at_mark = |left: i64| {
        check_sense(stream_sense(
            SenseKey::NoSense,
            asc::FILEMARK_DETECTED,
            (true, false, false),
            Some(left),
        ))
    };
    if st.lost && count != 0 && matches!(c.code, SpaceCode::Blocks | SpaceCode::Filemarks) {
        return check_sense(position_lost());
    }
    match c.code {
        SpaceCode::Blocks => {
            let n = count.unsigned_abs();
            for i in 0..n {
                let left = (n - i) as i64;
                let pos = st.position;
                if count > 0 {
                    let Some(e) = cart.entry(pos) else {
                        return at_eod(left);
                    };
                    st.position = pos + 1;
                    if e.filemark {
                        return at_mark(left);
                    }
                } else {
                    if pos == 0 {
                        return at_bop(left);
                    }
                    st.position = pos - 1;
                    if cart.entry(pos - 1).is_some_and(|e| e.filemark) {
                        return at_mark(left);
                    }
                }
            }
            Completion::good(0)
        }
        SpaceCode::Filemarks => {
            let before = cart.marks_before(st.position);
            if count >= 0 {
                let target = before.saturating_add(count as u64);
                match cart.after_filemark(target) {
                    Some(p) if count > 0 => {
                        st.position = p;
                        Completion::good(0)
                    }
                    Some(_) => Completion::good(0),
                    None => {
                        st.position = eod;
                        at_eod(count - (cart.marks - before) as i64)
                    }
                }
            } else {
                let n = count.unsigned_abs();
                if before < n {
                    st.position = 0;
                    return at_bop((n - before) as i64);
                }
                // Stop on the BOP side of the n-th filemark back.
                match cart.after_filemark(before - n + 1) {
                    Some(p) => {
                        st.position = p - 1;
                        Completion::good(0)
                    }
                    None => hardware_error(),
                }
            }
        }
        SpaceCode::EndOfData => {
            st.position = eod;
            st.lost = false;
            Completion::good(0)
        }
        SpaceCode::SequentialFilemarks
        | SpaceCode::Setmarks
        | SpaceCode::SequentialSetmarks
        | SpaceCode::Unknown(_) => invalid_cdb_field(1, Some(3)),
    }
}

fn locate(st: &mut DriveState, dest: LocateDestType, id: u64) -> Completion {
    let Some(cart) = st.cartridge.as_ref() else {
        return check_sense(not_present());
    };
    let eod = cart.object_count();
    let target = match dest {
        LocateDestType::LogicalObject => (id <= eod).then_some(id),
        LocateDestType::LogicalFile => cart.after_filemark(id),
        LocateDestType::EndOfData => Some(eod),
        LocateDestType::Unknown(_) => return invalid_cdb_field(1, Some(5)),
    };
    st.lost = false;
    match target {
        Some(p) => {
            st.position = p;
            Completion::good(0)
        }
        None => {
            st.position = eod;
            check_sense(stream_sense(
                SenseKey::BlankCheck,
                asc::END_OF_DATA_DETECTED,
                NO_FLAGS,
                None,
            ))
        }
    }
}

fn read_position(st: &DriveState, c: &ReadPositionCdb, data: DataDirection<'_>) -> Completion {
    if let ReadPositionForm::Unknown(_) = c.form {
        return invalid_cdb_field(1, Some(4));
    }
    if c.check_allocation_length().is_err() {
        return invalid_cdb_field(7, None);
    }
    let Some(cart) = st.cartridge.as_ref() else {
        return check_sense(not_present());
    };
    // An unknown position: LOLU (LONU and MPU in the long form), the
    // locations zero, no BOP or EOP.
    let lost = st.lost;
    let pos = if lost { 0 } else { st.position };
    let bop = !lost && pos == 0;
    let eop = !lost && cart.beyond_early_warning(cart.used_before(pos));
    let bytes = match c.form {
        ReadPositionForm::ShortBlockId | ReadPositionForm::ShortVendorSpecific => {
            let mut flags = ShortPositionFlags::empty();
            flags.set(ShortPositionFlags::BOP, bop);
            flags.set(ShortPositionFlags::EOP, eop);
            flags.set(ShortPositionFlags::LOLU, lost);
            let location = u32::try_from(pos).ok();
            flags.set(ShortPositionFlags::PERR, location.is_none());
            let location = location.unwrap_or(0);
            ShortPosition {
                flags,
                partition_number: 0,
                first_block_location: location,
                last_block_location: location,
                number_of_blocks_in_buffer: 0,
                number_of_bytes_in_buffer: 0,
            }
            .to_vec()
        }
        ReadPositionForm::Long => {
            let mut flags = LongPositionFlags::empty();
            flags.set(LongPositionFlags::BOP, bop);
            flags.set(LongPositionFlags::EOP, eop);
            flags.set(LongPositionFlags::LONU | LongPositionFlags::MPU, lost);
            LongPosition {
                flags,
                partition_number: 0,
                logical_object_number: pos,
                logical_file_identifier: if lost { 0 } else { cart.marks_before(pos) },
                logical_set_identifier: 0,
            }
            .to_vec()
        }
        ReadPositionForm::Extended | ReadPositionForm::Unknown(_) => {
            let mut flags = ExtendedPositionFlags::empty();
            flags.set(ExtendedPositionFlags::BOP, bop);
            flags.set(ExtendedPositionFlags::EOP, eop);
            flags.set(ExtendedPositionFlags::LOLU, lost);
            ExtendedPosition {
                flags,
                partition_number: 0,
                number_of_logical_objects_in_buffer: 0,
                first_logical_object_location: pos,
                last_logical_object_location: pos,
                number_of_bytes_in_buffer: 0,
            }
            .to_vec()
        }
    };
    let Ok(bytes) = bytes else {
        return hardware_error();
    };
    let n = match c.form {
        ReadPositionForm::Extended => bytes.len().min(usize::from(c.allocation_length)),
        _ => bytes.len(),
    };
    data_in(data, &bytes[..n])
}

impl Lu for SimTapeDrive {
    fn name(&self) -> &str {
        &self.identity.name
    }

    fn designators(&self) -> Vec<Designator> {
        self.identity.designators()
    }

    fn command(&self, _fabric: &Fabric, cdb: &[u8], data: DataDirection<'_>) -> Completion {
        self.execute(cdb, data)
    }

    fn stream(&self) -> Option<&dyn StreamTarget> {
        Some(self)
    }
}

impl SimTapeDrive {
    fn stream_write(&self, st: &mut DriveState, data: Bytes) -> Result<bool, TargetError> {
        let Some(cart) = st.cartridge.as_ref() else {
            return Err(not_present().into());
        };
        if data.is_empty() {
            return Ok(SimTapeDrive::early_warning(st));
        }
        if cart.write_protected {
            return Err(write_protected().into());
        }
        let bl = st.block_length as usize;
        if bl == 0 {
            if data.len() > MAX_BLOCK_LENGTH as usize {
                let s: SenseData = SenseData::fixed(SenseKey::IllegalRequest, 0x24, 0x00).into();
                return Err(s.into());
            }
            let n = data.len() as i64;
            self.write_blocks(st, std::iter::once(data), |_| n)
        } else {
            if data.len() % bl != 0 {
                return Err(transfer_mismatch().into());
            }
            let n = (data.len() / bl) as i64;
            let blocks = (0..data.len() / bl).map(|i| data.slice(i * bl..(i + 1) * bl));
            self.write_blocks(st, blocks, |done| n - done as i64)
        }
    }

    fn stream_read(&self, st: &mut DriveState) -> Result<StreamRead, TargetError> {
        // What a failed read leaves undone: one block in fixed mode, the
        // record in variable mode.
        let residue = match st.block_length {
            0 => st
                .cartridge
                .as_ref()
                .and_then(|c| c.entry(st.position))
                .map_or(0, |e| i64::from(e.len)),
            _ => 1,
        };
        match self.next(st) {
            Ok(Met::Block(b)) => Ok(StreamRead::Record(b)),
            Ok(Met::Filemark) => Ok(StreamRead::Filemark),
            Ok(Met::EndOfData) => Ok(StreamRead::EndOfData),
            Err(stop) => Err(SimTapeDrive::read_stop(stop, residue)),
        }
    }

    fn stream_write_filemarks(&self, st: &mut DriveState, n: u32) -> Result<(), TargetError> {
        let Some(cart) = st.cartridge.as_ref() else {
            return Err(not_present().into());
        };
        if n > 0 && cart.write_protected {
            return Err(write_protected().into());
        }
        self.write_marks(st, n).map(|_| ())
    }
}

/// Each call that can move the position or change the tape saves the
/// drive's state afterwards (see [`SimTapeDrive::keep_state`]).
impl StreamTarget for SimTapeDrive {
    fn fixed_block_length(&self) -> Option<u32> {
        Some(self.lock().block_length).filter(|&b| b != 0)
    }

    fn write(&self, data: Bytes) -> Result<bool, TargetError> {
        let mut st = self.lock();
        let r = self.stream_write(&mut st, data);
        self.persist(&mut st);
        r
    }

    fn read(&self) -> Result<StreamRead, TargetError> {
        let mut st = self.lock();
        let r = self.stream_read(&mut st);
        self.persist(&mut st);
        r
    }

    fn write_filemarks(&self, n: u32) -> Result<(), TargetError> {
        let mut st = self.lock();
        let r = self.stream_write_filemarks(&mut st, n);
        self.persist(&mut st);
        r
    }

    fn spare_buffer(&self, len: usize) -> Option<BytesMut> {
        self.lock().cartridge.as_mut()?.take_spare(len)
    }

    fn next_len(&self) -> Option<u64> {
        let st = self.lock();
        let c = st.cartridge.as_ref().filter(|_| !st.lost)?;
        c.entry(st.position)
            .map(|e| if e.filemark { 0 } else { u64::from(e.len) })
    }

    fn position(&self) -> Result<u64, TargetError> {
        let st = self.lock();
        match st.cartridge {
            Some(_) if st.lost => Err(position_lost().into()),
            Some(_) => Ok(st.position),
            None => Err(not_present().into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_residue_is_twos_complement() {
        let s = stream_sense(
            SenseKey::NoSense,
            asc::NO_ADDITIONAL_SENSE_INFORMATION,
            (false, false, true),
            Some(-512),
        );
        assert_eq!(s.information(), Some(0xffff_fe00));
        assert!(s.ili());
    }
}
