//! Tape (SSC-4) operations over [`Scsi`]: block limits, block size (MODE
//! SENSE(6) / MODE SELECT(6)), READ(6) / WRITE(6), WRITE FILEMARKS(6),
//! SPACE(6), REWIND, LOCATE and READ POSITION, with the conditions a tape
//! reports on the way.
//!
//! A tape says "I met a filemark", "that record was shorter than you
//! asked", "early warning: the medium is nearly full" and "there is no more
//! data" with CHECK CONDITION. Those are not failures: SSC-4 reports them
//! with sense key NO SENSE (or RECOVERED ERROR) and the FILEMARK, EOM and
//! ILI bits, or with BLANK CHECK at end of data, and puts the residue (what
//! the command did not do) in INFORMATION. [`Tape`] turns them into data —
//! [`Met`] — and keeps every other CHECK CONDITION an error ([`ScsiError`]),
//! VOLUME OVERFLOW included (see [`volume_overflow`]).
//!
//! Positions are reported as the drive gave them, never invented: a drive
//! that sets BPU (LOLU) says "unknown", and a long form answer with reserved
//! bits set is kept but marked as doubtful ([`Position::doubt`]) — tgt's
//! virtual tape does both (see [`crate::wire::ssc::ShortPosition`] and
//! [`crate::wire::ssc::LongPosition`]).
//!
//! The simulated tape drive answers the same commands through the same
//! [`super::Transport`], so everything here works against it unchanged. What
//! [`Tape`] reads from a drive's answers, which a drive model must send:
//! - READ(6): GOOD for a whole transfer; FILEMARK (with ASC/ASCQ 00h/01h)
//!   and INFORMATION = what was not read (blocks in fixed mode, bytes in
//!   variable mode); ILI with INFORMATION = requested − actual record length
//!   (negative for a longer record); BLANK CHECK at end of data.
//! - WRITE(6) / WRITE FILEMARKS(6): NO SENSE with EOM at early warning (the
//!   write is done); VOLUME OVERFLOW with EOM and INFORMATION when it is not.
//! - SPACE(6): NO SENSE with FILEMARK, or 00h/05h (or BLANK CHECK) at end of
//!   data, or 00h/04h at the beginning of the partition, with INFORMATION =
//!   the count left undone.
//!
//! Seen on tgt 1.0.85 in the lab (`tests/lab/guest/tests/30-segcopy-tape.sh`),
//! where it departs from SSC: no INFORMATION for SPACE stopped early; SPACE
//! blocks does not stop at filemarks; SPACE filemarks backwards ends one
//! block too far back; SPACE backwards at the beginning answers GOOD for
//! blocks and 00h/04h without EOM for filemarks; a fixed-mode READ of a block
//! of another length is MEDIUM ERROR 31h/00h rather than ILI; READ
//! BLOCK LIMITS does not follow the block length set by MODE SELECT.

use std::time::Duration;

use log::{debug, warn};

use super::commands::{Data, Failure, Scsi, ScsiError, DEFAULT_TIMEOUT};
use super::{CommandError, Completion, Transport, TransportError};
use crate::wire::mode::{ModeParameterList6, ModeSelect6Cdb, ModeSense6Cdb};
use crate::wire::sense::{asc, SenseData, SenseKey};
use crate::wire::ssc::{
    BlockLimits, BlockPosition, ExtendedPosition, Locate10Cdb, Locate16Cdb, LocateDestType,
    LongPosition, Read6Cdb, ReadBlockLimitsCdb, ReadPositionCdb, ReadPositionForm, RewindCdb,
    ShortPosition, Space6Cdb, SpaceCode, Write6Cdb, WriteFilemarks6Cdb, MAX_U24,
};
use crate::wire::{Repr, WireError};

/// Time-out for READ(6), WRITE(6) and WRITE FILEMARKS: Linux `st`'s
/// `ST_TIMEOUT` (900 s).
pub const RW_TIMEOUT: Duration = Duration::from_secs(900);
/// Time-out for REWIND, SPACE and LOCATE, which may cross a whole
/// cartridge: Linux `st`'s `ST_LONG_TIMEOUT` (14 000 s).
pub const LONG_TIMEOUT: Duration = Duration::from_secs(14_000);

/// How READ(6) and WRITE(6) count: fixed-size blocks or one
/// variable-length record per command. The drive's block length (MODE
/// SENSE block descriptor, 0 = variable) decides which one it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockMode {
    /// FIXED=1: TRANSFER LENGTH counts blocks of this many bytes (never 0).
    Fixed(u32),
    /// FIXED=0: one record of the buffer's length.
    Variable,
}

impl BlockMode {
    /// The mode a drive with this block length (0 = variable) is in.
    pub fn from_block_length(block_length: u32) -> Self {
        if block_length == 0 {
            Self::Variable
        } else {
            Self::Fixed(block_length)
        }
    }

    /// The block length, 0 for variable.
    pub fn block_length(self) -> u32 {
        match self {
            Self::Fixed(n) => n,
            Self::Variable => 0,
        }
    }
}

/// Conditions a command met on the way that are not failures, from a CHECK
/// CONDITION with NO SENSE or RECOVERED ERROR (or BLANK CHECK at end of
/// data). All false and `None` for a GOOD completion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Met {
    /// FILEMARK: the command stopped at (just past) a filemark.
    pub filemark: bool,
    /// EOM: early warning or end of partition (on a write: the write went
    /// through but the medium is nearly full), or the beginning of the
    /// partition when spacing backwards.
    pub eom: bool,
    /// ILI: the record's length was not the length asked for.
    pub ili: bool,
    /// End of data: BLANK CHECK, or ASC/ASCQ 00h/05h END-OF-DATA DETECTED.
    pub end_of_data: bool,
    /// ASC/ASCQ 00h/04h BEGINNING-OF-PARTITION/MEDIUM DETECTED.
    pub beginning_of_partition: bool,
    /// The sense key was RECOVERED ERROR (the drive retried successfully).
    pub recovered: bool,
    /// INFORMATION (when VALID): the residue — requested minus done, in the
    /// command's units (bytes for a variable read or write, blocks for a
    /// fixed one, filemarks or blocks for SPACE). Negative for a variable
    /// READ of a record longer than asked for. Fixed format sense carries
    /// four bytes, read as two's complement.
    pub residue: Option<i64>,
    /// The sense, for a caller that wants every detail.
    pub sense: Option<SenseData>,
}

impl Met {
    /// Whether nothing was met (a GOOD completion).
    pub fn is_clear(&self) -> bool {
        self.sense.is_none()
    }

    fn from_sense(sense: &SenseData) -> Self {
        let code = sense.additional_sense();
        let key = sense.sense_key();
        Met {
            filemark: sense.filemark() || code == Some(asc::FILEMARK_DETECTED),
            eom: sense.eom() || code == Some(asc::END_OF_PARTITION_MEDIUM_DETECTED),
            ili: sense.ili(),
            end_of_data: key == Some(SenseKey::BlankCheck)
                || code == Some(asc::END_OF_DATA_DETECTED),
            beginning_of_partition: code == Some(asc::BEGINNING_OF_PARTITION_MEDIUM_DETECTED),
            recovered: key == Some(SenseKey::RecoveredError),
            residue: signed_information(sense),
            sense: Some(sense.clone()),
        }
    }
}

/// INFORMATION as a signed residue: four bytes of two's complement in fixed
/// format sense, eight in descriptor format.
fn signed_information(sense: &SenseData) -> Option<i64> {
    let v = sense.information()?;
    Some(match sense {
        SenseData::Fixed(_) => v as u32 as i32 as i64,
        _ => v as i64,
    })
}

/// What one READ(6) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadResult {
    /// Bytes placed at the start of the buffer.
    pub bytes: usize,
    /// Fixed mode: whole blocks read. Variable mode: 1 if a record (or part
    /// of one) was read, else 0.
    pub blocks: u32,
    /// Variable mode: the length of the record on tape, when the drive said
    /// (GOOD, or ILI with INFORMATION). Longer than `bytes` when the record
    /// did not fit the buffer (its tail is lost).
    pub record_length: Option<u64>,
    /// What the read met.
    pub met: Met,
}

impl ReadResult {
    /// Whether the record was longer than the buffer (variable mode, ILI
    /// with a negative residue): its tail was not transferred.
    pub fn overlength(&self) -> bool {
        self.met.ili && self.met.residue.is_some_and(|r| r < 0)
    }
}

/// What one WRITE(6) or WRITE FILEMARKS(6) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteResult {
    /// Bytes (WRITE) or filemarks (WRITE FILEMARKS) the drive took.
    pub written: u64,
    /// What the write met; `met.eom` is the early warning.
    pub met: Met,
}

impl WriteResult {
    /// Whether the drive signalled early warning (end of medium is near).
    pub fn early_warning(&self) -> bool {
        self.met.eom
    }
}

/// What to space over with SPACE(6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpaceKind {
    /// Logical blocks (records); stops at a filemark.
    Blocks,
    /// Filemarks.
    Filemarks,
    /// To the end of data (the count is ignored).
    EndOfData,
}

impl SpaceKind {
    fn code(self) -> SpaceCode {
        match self {
            Self::Blocks => SpaceCode::Blocks,
            Self::Filemarks => SpaceCode::Filemarks,
            Self::EndOfData => SpaceCode::EndOfData,
        }
    }
}

/// What one SPACE(6) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceResult {
    /// The count asked for (negative: towards the beginning).
    pub requested: i32,
    /// Whether the drive stopped before the count was done (a filemark
    /// when spacing blocks, end of data, the beginning of the partition).
    pub stopped_early: bool,
    /// What it met; `met.residue` is how much was left undone when the
    /// drive said (SSC asks for it; tgt does not send it).
    pub met: Met,
}

/// Something in a READ POSITION answer that makes its position doubtful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Doubt {
    /// Flag bits the standard reserves are set (tgt's long form sets 20h:
    /// it meant a length), so the rest of the answer is not trusted.
    ReservedBits(u8),
}

/// A READ POSITION answer, as the drive gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The form that answered.
    pub form: ReadPositionForm,
    /// The block position, or why the drive cannot tell.
    pub block: BlockPosition,
    /// The file number (long form, unless MPU).
    pub file: Option<u64>,
    /// BOP: at the beginning of the partition.
    pub bop: bool,
    /// EOP: between early warning and the end of the partition.
    pub eop: bool,
    /// BPEW: beyond the programmable early warning.
    pub bpew: bool,
    /// Why the answer should not be believed, if anything.
    pub doubt: Option<Doubt>,
    /// The raw answer.
    pub raw: Vec<u8>,
}

impl Position {
    /// The block number, only when the drive reported it and nothing casts
    /// doubt on it.
    pub fn trusted_block(&self) -> Option<u64> {
        if self.doubt.is_some() {
            None
        } else {
            self.block.block()
        }
    }
}

/// The answer of [`Tape::tell`]: the position, and the short form's failure
/// when the long form had to answer instead.
#[derive(Debug)]
pub struct Told {
    /// The position.
    pub position: Position,
    /// Why the short form did not answer, when the long form did.
    pub short_form_failed: Option<ScsiError>,
}

/// What VOLUME OVERFLOW said: the write did not complete because the
/// medium is full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeOverflow {
    /// INFORMATION: what was not written (bytes in variable mode, blocks in
    /// fixed mode), when the drive said.
    pub residue: Option<i64>,
    /// EOM bit.
    pub eom: bool,
}

/// Whether a failed command was VOLUME OVERFLOW (sense key Dh), and what it
/// said. Writes past the end of the partition fail this way (SSC-4).
pub fn volume_overflow(e: &ScsiError) -> Option<VolumeOverflow> {
    let sense = e.failure()?.sense()?;
    (sense.sense_key() == Some(SenseKey::VolumeOverflow)).then(|| VolumeOverflow {
        residue: signed_information(sense),
        eom: sense.eom(),
    })
}

/// How a command ended once UNIT ATTENTION was retried: GOOD, or a CHECK
/// CONDITION the caller accepts as data.
enum Ended {
    Good(Completion),
    Met(Completion, SenseData),
}

/// A tape drive seen through typed SSC commands.
pub struct Tape<'t> {
    scsi: Scsi<'t>,
}

impl<'t> Tape<'t> {
    /// SSC commands over `t`.
    pub fn new(t: &'t dyn Transport) -> Self {
        Tape { scsi: Scsi::new(t) }
    }

    /// SSC commands over typed commands already set up.
    pub fn from_scsi(scsi: Scsi<'t>) -> Self {
        Tape { scsi }
    }

    /// The typed commands underneath (INQUIRY and the like).
    pub fn scsi(&self) -> &Scsi<'t> {
        &self.scsi
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        self.scsi.name()
    }

    fn rejected(&self, reason: &'static str) -> ScsiError {
        ScsiError::Transport(TransportError::Rejected {
            device: self.name().to_string(),
            reason,
        })
    }

    fn bad(&self, command: &'static str, source: WireError) -> ScsiError {
        ScsiError::BadResponse {
            device: self.name().to_string(),
            command,
            source,
        }
    }

    fn cdb<R: Repr>(&self, command: &'static str, r: &R) -> Result<Vec<u8>, ScsiError> {
        r.to_vec().map_err(|source| self.bad(command, source))
    }

    /// Sends `cdb`, retrying once on UNIT ATTENTION, and accepts GOOD or a
    /// CHECK CONDITION whose sense `accept` takes as data; anything else is
    /// the usual [`ScsiError::Failed`].
    fn run_accepting(
        &self,
        command: &'static str,
        cdb: &[u8],
        mut data: Data<'_>,
        timeout: Duration,
        accept: fn(&SenseData) -> bool,
    ) -> Result<Ended, ScsiError> {
        let mut retried = false;
        loop {
            let c = self.scsi.exchange(command, cdb, &mut data, timeout)?;
            let failure = match c.check() {
                Ok(()) => return Ok(Ended::Good(c)),
                Err(CommandError::CheckCondition { sense }) => {
                    let parsed = SenseData::parse(&sense).ok();
                    if let Some(s) = &parsed {
                        if accept(s) {
                            let s = s.clone();
                            return Ok(Ended::Met(c, s));
                        }
                    }
                    Failure::CheckCondition {
                        sense: parsed,
                        raw: sense,
                    }
                }
                Err(e) => Failure::Command(e),
            };
            if !retried && failure.sense_key() == Some(SenseKey::UnitAttention) {
                warn!("{}: {command}: {failure}; retrying once", self.name());
                retried = true;
                continue;
            }
            return Err(ScsiError::Failed {
                device: self.name().to_string(),
                command,
                failure,
            });
        }
    }

    /// TEST UNIT READY.
    pub fn test_unit_ready(&self) -> Result<(), ScsiError> {
        self.scsi.test_unit_ready()
    }

    /// READ BLOCK LIMITS: granularity and the smallest and largest block
    /// length the drive takes (in fixed mode many drives answer min = max =
    /// the block length).
    pub fn read_block_limits(&self) -> Result<BlockLimits, ScsiError> {
        const CMD: &str = "READ BLOCK LIMITS";
        let rbl = ReadBlockLimitsCdb::new();
        let cdb = self.cdb(CMD, &rbl)?;
        let mut buf = vec![0u8; rbl.response_len()];
        let c = self
            .scsi
            .run(CMD, &cdb, Data::In(&mut buf), DEFAULT_TIMEOUT)?;
        buf.truncate(c.transferred);
        BlockLimits::parse(&buf).map_err(|e| self.bad(CMD, e))
    }

    /// MODE SENSE(6) of the current values, block descriptor included (page
    /// 00h, as Linux `st` asks). Asks again with the length the answer
    /// announces if the first answer was cut.
    pub fn mode_sense(&self) -> Result<ModeParameterList6, ScsiError> {
        const CMD: &str = "MODE SENSE(6)";
        let mut alloc: u8 = 64;
        loop {
            let cdb = self.cdb(CMD, &ModeSense6Cdb::new(0x00, alloc))?;
            let mut buf = vec![0u8; usize::from(alloc)];
            let c = self
                .scsi
                .run(CMD, &cdb, Data::In(&mut buf), DEFAULT_TIMEOUT)?;
            buf.truncate(c.transferred);
            match ModeParameterList6::parse(&buf) {
                Ok(list) => return Ok(list),
                Err(WireError::Truncated { .. }) if alloc < u8::MAX => {
                    let need = ModeParameterList6::needed_len(&buf).unwrap_or(usize::MAX);
                    alloc = u8::try_from(need).unwrap_or(u8::MAX).max(alloc + 1);
                }
                Err(e) => return Err(self.bad(CMD, e)),
            }
        }
    }

    /// The block length in the MODE SENSE block descriptor: 0 means
    /// variable-block mode. `BadResponse` if the drive sent no block
    /// descriptor.
    pub fn mode_sense_block_length(&self) -> Result<u32, ScsiError> {
        let list = self.mode_sense()?;
        list.block_length().ok_or_else(|| {
            self.bad(
                "MODE SENSE(6)",
                WireError::Inconsistent {
                    what: "mode parameter list(6)",
                    reason: "no block descriptor, so no block length",
                },
            )
        })
    }

    /// The block mode the drive is in now (from MODE SENSE).
    pub fn block_mode(&self) -> Result<BlockMode, ScsiError> {
        Ok(BlockMode::from_block_length(
            self.mode_sense_block_length()?,
        ))
    }

    /// Sets the block length (0 = variable-block mode): MODE SENSE(6), then
    /// MODE SELECT(6) with the same density and buffering and the new
    /// block length in the block descriptor (as Linux `st` does MTSETBLK).
    pub fn set_block_length(&self, block_length: u32) -> Result<(), ScsiError> {
        const CMD: &str = "MODE SELECT(6)";
        let current = self.mode_sense()?;
        let list = current
            .with_block_length(block_length)
            .map_err(|e| self.bad(CMD, e))?;
        let bytes = list.to_vec().map_err(|e| self.bad(CMD, e))?;
        let cdb = ModeSelect6Cdb::for_list(&list).map_err(|e| self.bad(CMD, e))?;
        let cdb = self.cdb(CMD, &cdb)?;
        self.scsi
            .run(CMD, &cdb, Data::Out(&bytes), DEFAULT_TIMEOUT)?;
        Ok(())
    }

    /// WRITE(6) of `data`: in fixed mode as `data.len() / block length`
    /// blocks (the length must be a whole number of blocks), in variable
    /// mode as one record. Early warning (NO SENSE with EOM) is a success
    /// with [`WriteResult::early_warning`]; VOLUME OVERFLOW is an error (see
    /// [`volume_overflow`]).
    pub fn write(&self, data: &[u8], mode: BlockMode) -> Result<WriteResult, ScsiError> {
        const CMD: &str = "WRITE(6)";
        let len = data.len() as u64;
        let cdb = match mode {
            BlockMode::Fixed(0) => return Err(self.rejected("fixed block length 0")),
            BlockMode::Fixed(bl) => {
                if len % u64::from(bl) != 0 {
                    return Err(
                        self.rejected("a fixed-mode write must be a whole number of blocks")
                    );
                }
                let blocks = len / u64::from(bl);
                if blocks > u64::from(MAX_U24) {
                    return Err(self.rejected("more than 16777215 blocks in one WRITE(6)"));
                }
                Write6Cdb::fixed(blocks as u32)
            }
            BlockMode::Variable => {
                if len > u64::from(MAX_U24) {
                    return Err(self.rejected("a record longer than 16777215 bytes"));
                }
                Write6Cdb::variable(len as u32)
            }
        };
        let cdb = self.cdb(CMD, &cdb)?;
        let ended = self.run_accepting(CMD, &cdb, Data::Out(data), RW_TIMEOUT, |s| {
            matches!(
                s.sense_key(),
                Some(SenseKey::NoSense) | Some(SenseKey::RecoveredError)
            )
        })?;
        Ok(match ended {
            Ended::Good(_) => WriteResult {
                written: len,
                met: Met::default(),
            },
            Ended::Met(_, sense) => {
                let met = Met::from_sense(&sense);
                let unit = u64::from(mode.block_length().max(1));
                let written = match met.residue {
                    Some(r) if r > 0 => len.saturating_sub((r as u64).saturating_mul(unit)),
                    _ => len,
                };
                WriteResult { written, met }
            }
        })
    }

    /// READ(6) into `buf`: in fixed mode `buf.len() / block length` blocks
    /// (the length must be a whole number of blocks), in variable mode one
    /// record of up to `buf.len()` bytes (SILI clear, so a short record is
    /// reported with ILI and its length). A filemark, a short or long
    /// record, early warning and end of data are results ([`Met`]), not
    /// errors.
    pub fn read(&self, buf: &mut [u8], mode: BlockMode) -> Result<ReadResult, ScsiError> {
        const CMD: &str = "READ(6)";
        let len = buf.len() as u64;
        let (cdb, requested) = match mode {
            BlockMode::Fixed(0) => return Err(self.rejected("fixed block length 0")),
            BlockMode::Fixed(bl) => {
                if len % u64::from(bl) != 0 {
                    return Err(self.rejected("a fixed-mode read must be a whole number of blocks"));
                }
                let blocks = len / u64::from(bl);
                if blocks > u64::from(MAX_U24) {
                    return Err(self.rejected("more than 16777215 blocks in one READ(6)"));
                }
                (Read6Cdb::fixed(blocks as u32), blocks)
            }
            BlockMode::Variable => {
                if len > u64::from(MAX_U24) {
                    return Err(self.rejected("a read buffer longer than 16777215 bytes"));
                }
                (Read6Cdb::variable(len as u32), len)
            }
        };
        let cdb = self.cdb(CMD, &cdb)?;
        let ended = self.run_accepting(CMD, &cdb, Data::In(buf), RW_TIMEOUT, |s| {
            matches!(
                s.sense_key(),
                Some(SenseKey::NoSense)
                    | Some(SenseKey::RecoveredError)
                    | Some(SenseKey::BlankCheck)
            )
        })?;
        let (c, met) = match ended {
            Ended::Good(c) => {
                return Ok(match mode {
                    BlockMode::Fixed(_) => ReadResult {
                        bytes: buf.len(),
                        blocks: requested as u32,
                        record_length: None,
                        met: Met::default(),
                    },
                    // GOOD with SILI clear: the record was exactly as long
                    // as asked for.
                    BlockMode::Variable => {
                        if c.transferred != buf.len() {
                            debug!(
                                "{}: {CMD}: GOOD, but the transport moved {} of {} bytes",
                                self.name(),
                                c.transferred,
                                buf.len()
                            );
                        }
                        ReadResult {
                            bytes: buf.len(),
                            blocks: u32::from(!buf.is_empty()),
                            record_length: Some(len),
                            met: Met::default(),
                        }
                    }
                });
            }
            Ended::Met(c, sense) => (c, Met::from_sense(&sense)),
        };
        // The residue from INFORMATION decides how much came; without it,
        // what the transport moved.
        let result = match (mode, met.residue) {
            (BlockMode::Fixed(bl), Some(r)) => {
                let done = if r <= 0 {
                    requested
                } else {
                    requested.saturating_sub(r as u64)
                };
                ReadResult {
                    bytes: usize::try_from(done * u64::from(bl))
                        .unwrap_or(usize::MAX)
                        .min(buf.len()),
                    blocks: done as u32,
                    record_length: None,
                    met,
                }
            }
            (BlockMode::Fixed(bl), None) => {
                let bytes = c.transferred.min(buf.len());
                ReadResult {
                    bytes,
                    blocks: (bytes as u64 / u64::from(bl)) as u32,
                    record_length: None,
                    met,
                }
            }
            (BlockMode::Variable, Some(r)) if met.filemark || met.end_of_data => {
                // INFORMATION counts what was not read of the request; a
                // filemark has no data.
                let done = if r <= 0 {
                    requested
                } else {
                    requested.saturating_sub(r as u64)
                };
                let bytes = usize::try_from(done).unwrap_or(usize::MAX).min(buf.len());
                ReadResult {
                    bytes,
                    blocks: u32::from(bytes > 0),
                    record_length: None,
                    met,
                }
            }
            (BlockMode::Variable, Some(r)) => {
                // ILI: the record's length is the request minus the residue
                // (a negative residue: the record was longer).
                let record = i128::from(requested) - i128::from(r);
                let record = u64::try_from(record.max(0)).unwrap_or(u64::MAX);
                let bytes = usize::try_from(record.min(requested))
                    .unwrap_or(usize::MAX)
                    .min(buf.len());
                ReadResult {
                    bytes,
                    blocks: u32::from(record > 0),
                    record_length: Some(record),
                    met,
                }
            }
            // End of data without INFORMATION: there was no record.
            (BlockMode::Variable, None) if met.end_of_data || met.filemark => ReadResult {
                bytes: 0,
                blocks: 0,
                record_length: None,
                met,
            },
            (BlockMode::Variable, None) => {
                let bytes = c.transferred.min(buf.len());
                ReadResult {
                    bytes,
                    blocks: u32::from(bytes > 0),
                    record_length: None,
                    met,
                }
            }
        };
        if result.bytes != c.transferred {
            debug!(
                "{}: {CMD}: INFORMATION says {} bytes, the transport moved {}",
                self.name(),
                result.bytes,
                c.transferred
            );
        }
        Ok(result)
    }

    /// WRITE FILEMARKS(6) of `count` filemarks (0 flushes the buffer).
    /// Early warning is a success ([`WriteResult::early_warning`]).
    pub fn write_filemarks(&self, count: u32) -> Result<WriteResult, ScsiError> {
        const CMD: &str = "WRITE FILEMARKS(6)";
        if count > MAX_U24 {
            return Err(self.rejected("more than 16777215 filemarks in one command"));
        }
        let cdb = self.cdb(CMD, &WriteFilemarks6Cdb::new(count))?;
        let ended = self.run_accepting(CMD, &cdb, Data::None, RW_TIMEOUT, |s| {
            matches!(
                s.sense_key(),
                Some(SenseKey::NoSense) | Some(SenseKey::RecoveredError)
            )
        })?;
        Ok(match ended {
            Ended::Good(_) => WriteResult {
                written: count.into(),
                met: Met::default(),
            },
            Ended::Met(_, sense) => {
                let met = Met::from_sense(&sense);
                let written = match met.residue {
                    Some(r) if r > 0 => u64::from(count).saturating_sub(r as u64),
                    _ => count.into(),
                };
                WriteResult { written, met }
            }
        })
    }

    /// SPACE(6) over `count` blocks or filemarks (negative: backwards), or
    /// to end of data. Stopping early at a filemark, the end of data or the
    /// beginning of the partition is a result
    /// ([`SpaceResult::stopped_early`]), not an error.
    pub fn space(&self, kind: SpaceKind, count: i32) -> Result<SpaceResult, ScsiError> {
        const CMD: &str = "SPACE(6)";
        if !(Space6Cdb::MIN_COUNT..=Space6Cdb::MAX_COUNT).contains(&count) {
            return Err(self.rejected("a SPACE(6) count outside -8388608..8388607"));
        }
        let count = if kind == SpaceKind::EndOfData {
            0
        } else {
            count
        };
        let cdb = self.cdb(CMD, &Space6Cdb::new(kind.code(), count))?;
        let ended = self.run_accepting(CMD, &cdb, Data::None, LONG_TIMEOUT, |s| {
            matches!(
                s.sense_key(),
                Some(SenseKey::NoSense)
                    | Some(SenseKey::RecoveredError)
                    | Some(SenseKey::BlankCheck)
            )
        })?;
        Ok(match ended {
            Ended::Good(_) => SpaceResult {
                requested: count,
                stopped_early: false,
                met: Met::default(),
            },
            Ended::Met(_, sense) => {
                let met = Met::from_sense(&sense);
                // RECOVERED ERROR alone: the space completed.
                let stopped_early = met.filemark
                    || met.eom
                    || met.end_of_data
                    || met.beginning_of_partition
                    || met.residue.is_some_and(|r| r != 0)
                    || !met.recovered;
                SpaceResult {
                    requested: count,
                    stopped_early,
                    met,
                }
            }
        })
    }

    /// REWIND (waits for it to finish).
    pub fn rewind(&self) -> Result<(), ScsiError> {
        const CMD: &str = "REWIND";
        let cdb = self.cdb(CMD, &RewindCdb::new())?;
        self.scsi.run(CMD, &cdb, Data::None, LONG_TIMEOUT)?;
        Ok(())
    }

    /// LOCATE to logical object (block) `block` of the current partition:
    /// LOCATE(10) when it fits 32 bits, else LOCATE(16).
    pub fn locate(&self, block: u64) -> Result<(), ScsiError> {
        match u32::try_from(block) {
            Ok(b) => {
                const CMD: &str = "LOCATE(10)";
                let cdb = self.cdb(CMD, &Locate10Cdb::new(b))?;
                self.scsi.run(CMD, &cdb, Data::None, LONG_TIMEOUT)?;
            }
            Err(_) => {
                const CMD: &str = "LOCATE(16)";
                let cdb = self.cdb(CMD, &Locate16Cdb::new(LocateDestType::LogicalObject, block))?;
                self.scsi.run(CMD, &cdb, Data::None, LONG_TIMEOUT)?;
            }
        }
        Ok(())
    }

    /// READ POSITION in one form. The position is what the drive said:
    /// [`BlockPosition::Unknown`] when it sets BPU/LOLU/LONU or PERR, and
    /// [`Position::doubt`] when the answer sets reserved bits.
    pub fn read_position(&self, form: ReadPositionForm) -> Result<Position, ScsiError> {
        const CMD: &str = "READ POSITION";
        let Some(len) = form.response_len() else {
            return Err(self.rejected("an unknown READ POSITION service action"));
        };
        let cdb = self.cdb(CMD, &ReadPositionCdb::new(form))?;
        let mut buf = vec![0u8; len];
        let c = self
            .scsi
            .run(CMD, &cdb, Data::In(&mut buf), DEFAULT_TIMEOUT)?;
        buf.truncate(c.transferred);
        let bad = |e| self.bad(CMD, e);
        Ok(match form {
            ReadPositionForm::ShortBlockId | ReadPositionForm::ShortVendorSpecific => {
                let p = ShortPosition::parse(&buf).map_err(bad)?;
                use crate::wire::ssc::ShortPositionFlags as F;
                let reserved = p.flags.bits() & !F::all().bits();
                Position {
                    form,
                    block: p.position(),
                    file: None,
                    bop: p.flags.contains(F::BOP),
                    eop: p.flags.contains(F::EOP),
                    bpew: p.flags.contains(F::BPEW),
                    doubt: (reserved != 0).then_some(Doubt::ReservedBits(reserved)),
                    raw: buf,
                }
            }
            ReadPositionForm::Long => {
                let p = LongPosition::parse(&buf).map_err(bad)?;
                use crate::wire::ssc::LongPositionFlags as F;
                let reserved = p.reserved_bits();
                Position {
                    form,
                    block: p.position(),
                    file: p.file_number(),
                    bop: p.flags.contains(F::BOP),
                    eop: p.flags.contains(F::EOP),
                    bpew: p.flags.contains(F::BPEW),
                    doubt: (reserved != 0).then_some(Doubt::ReservedBits(reserved)),
                    raw: buf,
                }
            }
            ReadPositionForm::Extended => {
                let p = ExtendedPosition::parse(&buf).map_err(bad)?;
                use crate::wire::ssc::ExtendedPositionFlags as F;
                let reserved = p.flags.bits() & !F::all().bits();
                Position {
                    form,
                    block: p.position(),
                    file: None,
                    bop: p.flags.contains(F::BOP),
                    eop: p.flags.contains(F::EOP),
                    bpew: p.flags.contains(F::BPEW),
                    doubt: (reserved != 0).then_some(Doubt::ReservedBits(reserved)),
                    raw: buf,
                }
            }
            ReadPositionForm::Unknown(_) => {
                return Err(self.rejected("an unknown READ POSITION service action"))
            }
        })
    }

    /// Where the tape is: READ POSITION short form, and the long form only
    /// if the drive refuses the short one (ILLEGAL REQUEST). A short form
    /// that says BPU is an answer ("unknown"), not a reason to ask again.
    pub fn tell(&self) -> Result<Told, ScsiError> {
        match self.read_position(ReadPositionForm::ShortBlockId) {
            Ok(position) => Ok(Told {
                position,
                short_form_failed: None,
            }),
            Err(e) if e.failure().and_then(|f| f.sense_key()) == Some(SenseKey::IllegalRequest) => {
                let position = self.read_position(ReadPositionForm::Long)?;
                Ok(Told {
                    position,
                    short_form_failed: Some(e),
                })
            }
            Err(e) => Err(e),
        }
    }
}

/// How far a multi-record transfer got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Records (variable mode) or blocks (fixed mode) moved.
    pub records: u64,
    /// Bytes moved (on a write: including padding).
    pub bytes: u64,
}

/// Why [`Tape::write_records`] or [`Tape::read_records`] stopped short.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// A tape command failed.
    #[error("{source}")]
    Scsi {
        /// The failure (boxed: it is large).
        source: Box<ScsiError>,
        /// What was done before it.
        done: Progress,
    },
    /// Reading the data to write failed.
    #[error("reading the data to write failed")]
    Source {
        /// The I/O error.
        #[source]
        source: std::io::Error,
        /// What was done before it.
        done: Progress,
    },
    /// Storing the data read failed.
    #[error("storing the data read failed")]
    Sink {
        /// The I/O error.
        #[source]
        source: std::io::Error,
        /// What was done before it.
        done: Progress,
    },
    /// A record on tape is longer than the buffer (variable mode): its tail
    /// would be lost, so nothing of it was kept.
    #[error("a record of {record_length} bytes is longer than the {max}-byte buffer")]
    RecordTooLong {
        /// The record's length, as the drive reported it.
        record_length: u64,
        /// The buffer's length.
        max: usize,
        /// What was done before it.
        done: Progress,
    },
    /// A block of another length than the fixed block length (fixed mode,
    /// ILI).
    #[error("a block on tape is not {block_length} bytes long (ILI in fixed-block mode)")]
    WrongBlockLength {
        /// The drive's block length.
        block_length: u32,
        /// What was done before it.
        done: Progress,
    },
    /// The request cannot be made (a record length that is not a whole
    /// number of fixed blocks, or zero).
    #[error("{0}")]
    Invalid(&'static str),
}

impl RecordsError {
    /// What was done before the error.
    pub fn done(&self) -> Progress {
        match self {
            Self::Scsi { done, .. }
            | Self::Source { done, .. }
            | Self::Sink { done, .. }
            | Self::RecordTooLong { done, .. }
            | Self::WrongBlockLength { done, .. } => *done,
            Self::Invalid(_) => Progress::default(),
        }
    }
}

/// What [`Tape::write_records`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WroteRecords {
    /// Records (variable) or blocks (fixed) written, and bytes including
    /// padding.
    pub done: Progress,
    /// Bytes taken from the source.
    pub source_bytes: u64,
    /// Zero bytes added to the last record to make whole fixed blocks.
    pub padding: u64,
    /// The drive signalled early warning (the medium is nearly full).
    pub early_warning: bool,
}

/// Why [`Tape::read_records`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stop {
    /// At a filemark (the tape is now just past it).
    Filemark,
    /// At end of data (BLANK CHECK or END-OF-DATA DETECTED).
    EndOfData,
    /// At the end of the partition (EOM).
    EndOfMedium,
    /// The number of records asked for was read.
    Count,
    /// The drive returned no data and reported no condition (nothing
    /// more can be read this way).
    Nothing,
}

/// What [`Tape::read_records`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRecords {
    /// Records (variable) or blocks (fixed) read, and their bytes.
    pub done: Progress,
    /// Why it stopped.
    pub stop: Stop,
    /// The sense of the condition that stopped it, if any.
    pub sense: Option<SenseData>,
}

/// Reads until `buf` is full or the source ends.
fn fill(src: &mut dyn std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl Tape<'_> {
    /// Writes everything `src` gives as records of `record_len` bytes, one
    /// WRITE(6) each: in variable mode the last record is shorter; in fixed
    /// mode `record_len` must be a whole number of blocks and the last
    /// record is padded with zeros to whole blocks ([`WroteRecords::padding`]
    /// says how many). Early warning is noted and writing goes on; VOLUME
    /// OVERFLOW stops it ([`RecordsError::Scsi`]).
    pub fn write_records(
        &self,
        src: &mut dyn std::io::Read,
        mode: BlockMode,
        record_len: usize,
    ) -> Result<WroteRecords, RecordsError> {
        if record_len == 0 {
            return Err(RecordsError::Invalid("a record length of 0 bytes"));
        }
        let bl = mode.block_length() as usize;
        if bl != 0 && record_len % bl != 0 {
            return Err(RecordsError::Invalid(
                "in fixed-block mode the record length must be a whole number of blocks",
            ));
        }
        let mut out = WroteRecords::default();
        let mut buf = vec![0u8; record_len];
        loop {
            let n = fill(src, &mut buf).map_err(|source| RecordsError::Source {
                source,
                done: out.done,
            })?;
            if n == 0 {
                break;
            }
            out.source_bytes += n as u64;
            let len = if bl != 0 && n % bl != 0 {
                let padded = n.div_ceil(bl) * bl;
                buf[n..padded].fill(0);
                out.padding += (padded - n) as u64;
                padded
            } else {
                n
            };
            let w = self
                .write(&buf[..len], mode)
                .map_err(|source| RecordsError::Scsi {
                    source: Box::new(source),
                    done: out.done,
                })?;
            out.early_warning |= w.early_warning();
            out.done.bytes += w.written;
            out.done.records += match mode {
                BlockMode::Fixed(b) => w.written / u64::from(b),
                BlockMode::Variable => 1,
            };
            if n < record_len {
                break;
            }
        }
        Ok(out)
    }

    /// Reads records into `dst` with a buffer of `max` bytes per READ(6)
    /// until a filemark, end of data, end of medium, or `limit` records
    /// (variable mode) or blocks (fixed mode). In fixed mode `max` must be
    /// a whole number of blocks. A record longer than `max` is an error
    /// ([`RecordsError::RecordTooLong`]), so nothing is ever cut silently.
    pub fn read_records(
        &self,
        dst: &mut dyn std::io::Write,
        mode: BlockMode,
        max: usize,
        limit: Option<u64>,
    ) -> Result<ReadRecords, RecordsError> {
        if max == 0 {
            return Err(RecordsError::Invalid("a read buffer of 0 bytes"));
        }
        let bl = mode.block_length() as usize;
        if bl != 0 && max % bl != 0 {
            return Err(RecordsError::Invalid(
                "in fixed-block mode the read size must be a whole number of blocks",
            ));
        }
        let mut done = Progress::default();
        let mut buf = vec![0u8; max];
        loop {
            if limit.is_some_and(|l| done.records >= l) {
                return Ok(ReadRecords {
                    done,
                    stop: Stop::Count,
                    sense: None,
                });
            }
            // In fixed mode, do not read past the limit.
            let want = match (mode, limit) {
                (BlockMode::Fixed(b), Some(l)) => {
                    let left = l - done.records;
                    let blocks = (max / bl) as u64;
                    usize::try_from(blocks.min(left)).unwrap_or(usize::MAX) * b as usize
                }
                _ => max,
            };
            let r = self
                .read(&mut buf[..want], mode)
                .map_err(|source| RecordsError::Scsi {
                    source: Box::new(source),
                    done,
                })?;
            if r.overlength() {
                return Err(RecordsError::RecordTooLong {
                    record_length: r.record_length.unwrap_or(0),
                    max,
                    done,
                });
            }
            if let (BlockMode::Fixed(block_length), true) = (mode, r.met.ili) {
                return Err(RecordsError::WrongBlockLength { block_length, done });
            }
            dst.write_all(&buf[..r.bytes])
                .map_err(|source| RecordsError::Sink { source, done })?;
            done.bytes += r.bytes as u64;
            done.records += u64::from(r.blocks);
            let stop = if r.met.filemark {
                Some(Stop::Filemark)
            } else if r.met.end_of_data {
                Some(Stop::EndOfData)
            } else if r.met.eom {
                Some(Stop::EndOfMedium)
            } else if r.bytes == 0 {
                // Nothing came and nothing was said: do not loop forever.
                Some(Stop::Nothing)
            } else {
                None
            };
            if let Some(stop) = stop {
                return Ok(ReadRecords {
                    done,
                    stop,
                    sense: r.met.sense,
                });
            }
        }
    }
}

/// The record length of a write when none is asked for: 64 KiB (in
/// fixed-block mode: as many whole blocks as fit in it, at least one).
pub const DEFAULT_RECORD_LENGTH: u64 = 64 << 10;

/// The read buffer in fixed-block mode when none is asked for: 1 MiB of
/// blocks (at least one). In variable-block mode the default is the
/// drive's MAXIMUM BLOCK LENGTH LIMIT, or this when it gives none.
pub const DEFAULT_READ_LENGTH: u64 = 1 << 20;

/// A drive's block limits in words: `4 bytes … 1048576 bytes, granularity
/// 2^9 = 512 bytes` (a maximum of 0 is "no maximum given").
pub fn block_limits_words(l: &BlockLimits) -> String {
    let max = match l.maximum_block_length_limit {
        0 => "no maximum given".to_string(),
        n => format!("{n} bytes"),
    };
    format!(
        "{} bytes … {max}, granularity 2^{} = {} bytes",
        l.minimum_block_length_limit,
        l.granularity,
        l.granularity_bytes()
    )
}

/// Why a record length (for writing) or a read buffer length cannot be
/// used with the drive as it is.
#[derive(Debug, thiserror::Error)]
pub enum RecordLengthError {
    /// Asking the drive (MODE SENSE, READ BLOCK LIMITS) failed.
    #[error(transparent)]
    Scsi(#[from] ScsiError),
    /// Fixed-block mode: the length is not a whole number of blocks (or 0).
    #[error("the drive is in fixed-block mode with {block_length}-byte blocks, so {requested} bytes is not a whole number of blocks")]
    NotWholeBlocks {
        /// The drive's block length.
        block_length: u32,
        /// The length asked for.
        requested: u64,
    },
    /// Variable-block mode: a record length the drive's READ BLOCK LIMITS
    /// do not allow.
    #[error("a {requested}-byte record is outside the drive's block limits ({})", block_limits_words(.limits))]
    OutsideLimits {
        /// The length asked for.
        requested: u64,
        /// The drive's limits.
        limits: BlockLimits,
    },
    /// Variable-block mode: a read buffer READ(6) cannot ask for.
    #[error("in variable-block mode one READ(6) reads 1 to 16777215 bytes, not {requested}")]
    ReadLengthOutOfRange {
        /// The length asked for.
        requested: u64,
    },
    /// More than this machine can hold in one buffer.
    #[error("{requested} bytes is more than one buffer can hold on this machine")]
    TooLarge {
        /// The length asked for.
        requested: u64,
    },
}

fn buffer_len(requested: u64) -> Result<usize, RecordLengthError> {
    usize::try_from(requested).map_err(|_| RecordLengthError::TooLarge { requested })
}

/// Fixed-block mode: the length asked for, which must be a whole number of
/// blocks, or as many whole blocks as fit in `default` (at least one).
fn fixed_length(
    block_length: u32,
    requested: Option<u64>,
    default: u64,
) -> Result<u64, RecordLengthError> {
    let bl = u64::from(block_length);
    match requested {
        None => Ok(bl * (default / bl).max(1)),
        Some(n) if n == 0 || n % bl != 0 => Err(RecordLengthError::NotWholeBlocks {
            block_length,
            requested: n,
        }),
        Some(n) => Ok(n),
    }
}

/// The record length of each WRITE(6) when writing records in `mode`,
/// given the drive's `limits` and the length asked for, if any.
///
/// Fixed-block mode: the length asked for must be a whole number of
/// blocks; by default as many blocks as fit in [`DEFAULT_RECORD_LENGTH`]
/// (at least one). Variable-block mode: by default
/// [`DEFAULT_RECORD_LENGTH`], or the drive's maximum if smaller; the length
/// must be within `limits` ([`BlockLimits::allows`]).
pub fn write_record_length(
    mode: BlockMode,
    limits: &BlockLimits,
    requested: Option<u64>,
) -> Result<usize, RecordLengthError> {
    let n = match mode {
        BlockMode::Fixed(bl) => fixed_length(bl, requested, DEFAULT_RECORD_LENGTH)?,
        BlockMode::Variable => {
            let n = requested.unwrap_or(match u64::from(limits.maximum_block_length_limit) {
                0 => DEFAULT_RECORD_LENGTH,
                max => max.min(DEFAULT_RECORD_LENGTH),
            });
            if !u32::try_from(n).is_ok_and(|n| limits.allows(n)) {
                return Err(RecordLengthError::OutsideLimits {
                    requested: n,
                    limits: *limits,
                });
            }
            n
        }
    };
    buffer_len(n)
}

/// The buffer of each READ(6) when reading records in `mode`, given the
/// length asked for (the longest record expected), if any.
///
/// Fixed-block mode: a whole number of blocks; by default as many blocks
/// as fit in [`DEFAULT_READ_LENGTH`] (at least one). Variable-block mode:
/// 1 to 16777215 bytes; by default the drive's MAXIMUM BLOCK LENGTH LIMIT
/// from `limits` ([`DEFAULT_READ_LENGTH`] when the drive gives none, or when
/// `limits` is `None`). `limits` is only read in variable-block mode
/// without a request ([`read_needs_limits`]).
pub fn read_buffer_length(
    mode: BlockMode,
    limits: Option<&BlockLimits>,
    requested: Option<u64>,
) -> Result<usize, RecordLengthError> {
    let n = match mode {
        BlockMode::Fixed(bl) => fixed_length(bl, requested, DEFAULT_READ_LENGTH)?,
        BlockMode::Variable => {
            let n = requested.unwrap_or(match limits.map_or(0, |l| l.maximum_block_length_limit) {
                0 => DEFAULT_READ_LENGTH,
                max => u64::from(max),
            });
            if n == 0 || n > u64::from(MAX_U24) {
                return Err(RecordLengthError::ReadLengthOutOfRange { requested: n });
            }
            n
        }
    };
    buffer_len(n)
}

/// Whether [`read_buffer_length`] needs the drive's block limits: in
/// variable-block mode when no length is asked for.
pub fn read_needs_limits(mode: BlockMode, requested: Option<u64>) -> bool {
    mode == BlockMode::Variable && requested.is_none()
}

/// The name of a READ POSITION form, as `segcopy tape tell --form` takes
/// it (`short`, `long`, `extended`).
// Belongs with `ReadPositionForm` in `wire::ssc`; kept here until that
// file can take it.
pub fn form_name(form: ReadPositionForm) -> &'static str {
    match form {
        ReadPositionForm::ShortBlockId => "short",
        ReadPositionForm::ShortVendorSpecific => "short (vendor-specific)",
        ReadPositionForm::Long => "long",
        ReadPositionForm::Extended => "extended",
        ReadPositionForm::Unknown(_) => "unknown",
    }
}

/// The flag by which a READ POSITION answer says that the drive does not
/// report its block position: LONU in the long form, BPU in the others.
pub fn position_unknown_flag(form: ReadPositionForm) -> &'static str {
    match form {
        ReadPositionForm::Long => "LONU",
        _ => "BPU",
    }
}

/// How a drive refused LOCATE, read from its ILLEGAL REQUEST sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocateRefused {
    /// INVALID COMMAND OPERATION CODE (20h/00h): the drive does not
    /// implement LOCATE at all (tgt's virtual tape).
    NotImplemented,
    /// Another ILLEGAL REQUEST: this LOCATE (its block, its form) was
    /// refused.
    Refused,
}

/// Whether a failed [`Tape::locate`] was refused with ILLEGAL REQUEST, and
/// how; `None` for any other failure.
pub fn locate_refused(e: &ScsiError) -> Option<LocateRefused> {
    /// ASC/ASCQ 20h/00h INVALID COMMAND OPERATION CODE.
    const INVALID_OPERATION_CODE: (u8, u8) = (0x20, 0x00);
    let sense = e.failure()?.sense()?;
    (sense.sense_key() == Some(SenseKey::IllegalRequest)).then(|| {
        if sense.asc_ascq() == Some(INVALID_OPERATION_CODE) {
            LocateRefused::NotImplemented
        } else {
            LocateRefused::Refused
        }
    })
}

/// Why [`Tape::set_block_length_checked`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SetBlockLengthError {
    /// MODE SENSE or MODE SELECT failed.
    #[error(transparent)]
    Scsi(#[from] ScsiError),
    /// The drive took MODE SELECT but MODE SENSE reports another block
    /// length afterwards.
    #[error("{device}: the drive accepted MODE SELECT with block length {requested}, but MODE SENSE now says {}", .reported.map_or_else(|| "nothing (no block descriptor)".to_string(), |r| r.to_string()))]
    NotApplied {
        /// The drive.
        device: String,
        /// The block length sent.
        requested: u32,
        /// What MODE SENSE reports now (`None`: no block descriptor).
        reported: Option<u32>,
    },
}

impl Tape<'_> {
    /// Sets the block length ([`Tape::set_block_length`]), then asks MODE
    /// SENSE again: the drive must now report that block length, else
    /// [`SetBlockLengthError::NotApplied`].
    pub fn set_block_length_checked(&self, block_length: u32) -> Result<(), SetBlockLengthError> {
        self.set_block_length(block_length)?;
        let reported = self.mode_sense()?.block_length();
        if reported != Some(block_length) {
            return Err(SetBlockLengthError::NotApplied {
                device: self.name().to_string(),
                requested: block_length,
                reported,
            });
        }
        Ok(())
    }

    /// The drive's block mode (MODE SENSE) and the record length to write
    /// with ([`write_record_length`], on READ BLOCK LIMITS).
    pub fn write_setup(
        &self,
        requested: Option<u64>,
    ) -> Result<(BlockMode, usize), RecordLengthError> {
        let mode = self.block_mode()?;
        let limits = self.read_block_limits()?;
        Ok((mode, write_record_length(mode, &limits, requested)?))
    }

    /// The drive's block mode (MODE SENSE) and the read buffer to read
    /// with ([`read_buffer_length`]; READ BLOCK LIMITS only when needed).
    pub fn read_setup(
        &self,
        requested: Option<u64>,
    ) -> Result<(BlockMode, usize), RecordLengthError> {
        let mode = self.block_mode()?;
        let limits = if read_needs_limits(mode, requested) {
            Some(self.read_block_limits()?)
        } else {
            None
        };
        Ok((mode, read_buffer_length(mode, limits.as_ref(), requested)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::DataDirection;
    use crate::wire::sense::SenseData;
    use crate::wire::ssc::PositionUnknown;
    use std::sync::Mutex;

    /// One scripted answer: the completion, and the bytes a data-in command
    /// gets.
    struct Answer {
        completion: Completion,
        data_in: Vec<u8>,
    }

    /// What was sent: CDB, data out, time-out.
    type Sent = (Vec<u8>, Vec<u8>, Duration);

    /// A transport that answers from a script and records what it was sent.
    #[derive(Default)]
    struct Scripted {
        answers: Mutex<Vec<Answer>>,
        sent: Mutex<Vec<Sent>>,
    }

    impl Scripted {
        fn new(answers: Vec<Answer>) -> Self {
            Scripted {
                answers: Mutex::new(answers),
                sent: Mutex::default(),
            }
        }
        fn cdbs(&self) -> Vec<Vec<u8>> {
            self.sent
                .lock()
                .unwrap()
                .iter()
                .map(|s| s.0.clone())
                .collect()
        }
        fn data_out(&self, i: usize) -> Vec<u8> {
            self.sent.lock().unwrap()[i].1.clone()
        }
        fn timeout(&self, i: usize) -> Duration {
            self.sent.lock().unwrap()[i].2
        }
    }

    impl Transport for Scripted {
        fn name(&self) -> &str {
            "tape"
        }
        fn execute(
            &self,
            cdb: &[u8],
            data: DataDirection<'_>,
            timeout: Duration,
        ) -> Result<Completion, TransportError> {
            let a = self.answers.lock().unwrap().remove(0);
            let mut c = a.completion;
            let out = match data {
                DataDirection::ToDevice(b) => b.to_vec(),
                DataDirection::FromDevice(b) => {
                    let n = b.len().min(a.data_in.len());
                    b[..n].copy_from_slice(&a.data_in[..n]);
                    c.transferred = n;
                    c.resid = b.len() - n;
                    vec![]
                }
                _ => vec![],
            };
            self.sent.lock().unwrap().push((cdb.to_vec(), out, timeout));
            Ok(c)
        }
    }

    fn good(data_in: &[u8]) -> Answer {
        Answer {
            completion: Completion::good(0),
            data_in: data_in.to_vec(),
        }
    }

    /// CHECK CONDITION with `sense`; a data-in command gets `data_in`.
    fn check(sense: impl Into<SenseData>, data_in: &[u8]) -> Answer {
        let s: SenseData = sense.into();
        Answer {
            completion: Completion::check_condition(s.to_vec().unwrap(), 0, 0),
            data_in: data_in.to_vec(),
        }
    }

    fn no_sense(asc: u8, ascq: u8) -> crate::wire::sense::FixedSense {
        SenseData::fixed(SenseKey::NoSense, asc, ascq)
    }

    #[test]
    fn fixed_read_stops_at_a_filemark_with_the_residue_in_blocks() {
        // 4 blocks of 512 asked, 2 read, then a filemark: INFORMATION = 2.
        let t = Scripted::new(vec![check(
            no_sense(0x00, 0x01)
                .with_stream_flags(true, false, false)
                .with_information(2),
            &[0x5a; 1024],
        )]);
        let mut buf = vec![0u8; 2048];
        let r = Tape::new(&t).read(&mut buf, BlockMode::Fixed(512)).unwrap();
        assert_eq!(r.bytes, 1024);
        assert_eq!(r.blocks, 2);
        assert!(r.met.filemark && !r.met.ili && !r.met.eom);
        assert_eq!(r.met.residue, Some(2));
        assert_eq!(
            t.cdbs()[0],
            [0x08, 0x01, 0x00, 0x00, 0x04, 0x00],
            "READ(6), FIXED, 4 blocks"
        );
        assert_eq!(t.timeout(0), RW_TIMEOUT);
    }

    #[test]
    fn variable_read_of_a_filemark_moves_nothing() {
        // tgt: NO SENSE, FILEMARK, 00/01, INFORMATION = the length asked.
        let t = Scripted::new(vec![check(
            no_sense(0x00, 0x01)
                .with_stream_flags(true, false, false)
                .with_information(65_536),
            &[],
        )]);
        let mut buf = vec![0u8; 65_536];
        let r = Tape::new(&t).read(&mut buf, BlockMode::Variable).unwrap();
        assert_eq!((r.bytes, r.blocks), (0, 0));
        assert!(r.met.filemark);
        assert_eq!(t.cdbs()[0], [0x08, 0x00, 0x01, 0x00, 0x00, 0x00]);
    }

    #[test]
    fn ili_with_a_short_record_gives_its_length() {
        // 4096 asked, the record has 1000 bytes: ILI, INFORMATION 3096. The
        // transport's count is not trusted (tgt gets it wrong).
        let t = Scripted::new(vec![check(
            no_sense(0x00, 0x00)
                .with_stream_flags(false, false, true)
                .with_information(3096),
            &[7u8; 4096],
        )]);
        let mut buf = vec![0u8; 4096];
        let r = Tape::new(&t).read(&mut buf, BlockMode::Variable).unwrap();
        assert_eq!(r.bytes, 1000);
        assert_eq!(r.record_length, Some(1000));
        assert!(r.met.ili && !r.overlength());
        assert_eq!(r.met.residue, Some(3096));
    }

    #[test]
    fn ili_with_a_long_record_says_the_tail_is_lost() {
        // 512 asked, the record has 1024: INFORMATION -512 (two's
        // complement in four bytes).
        let t = Scripted::new(vec![check(
            no_sense(0x00, 0x00)
                .with_stream_flags(false, false, true)
                .with_information((-512i32) as u32),
            &[1u8; 512],
        )]);
        let mut buf = vec![0u8; 512];
        let r = Tape::new(&t).read(&mut buf, BlockMode::Variable).unwrap();
        assert_eq!(r.bytes, 512);
        assert_eq!(r.record_length, Some(1024));
        assert!(r.overlength());
    }

    #[test]
    fn ili_in_descriptor_format_sense() {
        let sense = SenseData::descriptor(SenseKey::NoSense, 0, 0)
            .with_information(100)
            .with_stream_flags(false, false, true);
        let t = Scripted::new(vec![check(sense, &[0u8; 300])]);
        let mut buf = vec![0u8; 300];
        let r = Tape::new(&t).read(&mut buf, BlockMode::Variable).unwrap();
        assert_eq!((r.bytes, r.record_length), (200, Some(200)));
    }

    #[test]
    fn good_variable_read_is_a_whole_record() {
        let t = Scripted::new(vec![good(&[3u8; 100])]);
        let mut buf = vec![0u8; 100];
        let r = Tape::new(&t).read(&mut buf, BlockMode::Variable).unwrap();
        assert_eq!((r.bytes, r.blocks, r.record_length), (100, 1, Some(100)));
        assert!(r.met.is_clear());
        assert_eq!(buf, [3u8; 100]);
    }

    #[test]
    fn blank_check_at_end_of_data_is_a_result() {
        // tgt: BLANK CHECK with EOM, 00/00, no INFORMATION.
        let t = Scripted::new(vec![check(
            SenseData::fixed(SenseKey::BlankCheck, 0, 0).with_stream_flags(false, true, false),
            &[9u8; 64],
        )]);
        let mut buf = vec![0u8; 64];
        let r = Tape::new(&t).read(&mut buf, BlockMode::Variable).unwrap();
        assert!(r.met.end_of_data);
        assert_eq!(
            r.bytes, 0,
            "the transport's count is not taken at end of data"
        );
    }

    #[test]
    fn medium_error_on_read_is_an_error() {
        let t = Scripted::new(vec![check(
            SenseData::fixed(SenseKey::MediumError, 0x11, 0x00),
            &[],
        )]);
        let mut buf = vec![0u8; 512];
        let e = Tape::new(&t)
            .read(&mut buf, BlockMode::Fixed(512))
            .unwrap_err();
        assert_eq!(
            e.failure().unwrap().sense_key(),
            Some(SenseKey::MediumError)
        );
        assert!(volume_overflow(&e).is_none());
    }

    #[test]
    fn early_warning_on_write_is_a_success() {
        // NO SENSE with EOM, 00/02: the write went through.
        let t = Scripted::new(vec![check(
            no_sense(0x00, 0x02).with_stream_flags(false, true, false),
            &[],
        )]);
        let data = vec![0xabu8; 1024];
        let w = Tape::new(&t).write(&data, BlockMode::Fixed(512)).unwrap();
        assert!(w.early_warning());
        assert_eq!(w.written, 1024);
        assert_eq!(t.cdbs()[0], [0x0a, 0x01, 0x00, 0x00, 0x02, 0x00]);
        assert_eq!(t.data_out(0), data);
    }

    #[test]
    fn early_warning_with_a_residue_counts_what_was_written() {
        // Unbuffered drive: 1 of 4 blocks not written.
        let t = Scripted::new(vec![check(
            no_sense(0x00, 0x02)
                .with_stream_flags(false, true, false)
                .with_information(1),
            &[],
        )]);
        let w = Tape::new(&t)
            .write(&[0u8; 2048], BlockMode::Fixed(512))
            .unwrap();
        assert_eq!(w.written, 1536);
    }

    #[test]
    fn volume_overflow_is_an_error_that_says_what_was_left() {
        let t = Scripted::new(vec![check(
            SenseData::fixed(SenseKey::VolumeOverflow, 0x00, 0x02)
                .with_stream_flags(false, true, false)
                .with_information(4096),
            &[],
        )]);
        let e = Tape::new(&t)
            .write(&[0u8; 4096], BlockMode::Variable)
            .unwrap_err();
        let o = volume_overflow(&e).expect("VOLUME OVERFLOW");
        assert_eq!(o.residue, Some(4096));
        assert!(o.eom);
        assert!(e.to_string().contains("VOLUME OVERFLOW"), "{e}");
        assert_eq!(t.cdbs()[0], [0x0a, 0x00, 0x00, 0x10, 0x00, 0x00]);
    }

    #[test]
    fn unit_attention_on_write_is_retried_once() {
        let ua = SenseData::fixed(SenseKey::UnitAttention, 0x29, 0x00);
        let t = Scripted::new(vec![check(ua, &[]), good(&[])]);
        let w = Tape::new(&t)
            .write(&[1u8; 10], BlockMode::Variable)
            .unwrap();
        assert_eq!(w.written, 10);
        assert_eq!(t.cdbs().len(), 2);
    }

    #[test]
    fn writes_and_reads_that_cannot_be_expressed_are_refused_before_sending() {
        let t = Scripted::new(vec![]);
        let tape = Tape::new(&t);
        assert!(tape.write(&[0u8; 1000], BlockMode::Fixed(512)).is_err());
        assert!(tape.write(&[0u8; 512], BlockMode::Fixed(0)).is_err());
        assert!(tape.read(&mut [0u8; 100], BlockMode::Fixed(512)).is_err());
        assert!(tape.space(SpaceKind::Blocks, 1 << 23).is_err());
        assert!(t.cdbs().is_empty());
    }

    #[test]
    fn write_filemarks() {
        let t = Scripted::new(vec![good(&[])]);
        let w = Tape::new(&t).write_filemarks(2).unwrap();
        assert_eq!(w.written, 2);
        assert_eq!(t.cdbs()[0], [0x10, 0x00, 0x00, 0x00, 0x02, 0x00]);
    }

    #[test]
    fn bpu_on_read_position_is_unknown_never_zero() {
        // tgt's short form: byte 0 = 14h (BYCU | BPU), the rest zero.
        let mut answer = [0u8; 20];
        answer[0] = 0x14;
        let t = Scripted::new(vec![good(&answer)]);
        let told = Tape::new(&t).tell().unwrap();
        let p = &told.position;
        assert_eq!(p.form, ReadPositionForm::ShortBlockId);
        assert_eq!(
            p.block,
            BlockPosition::Unknown(PositionUnknown::NotReported)
        );
        assert_eq!(p.trusted_block(), None);
        assert!(p.doubt.is_none());
        assert!(told.short_form_failed.is_none());
        assert_eq!(t.cdbs().len(), 1, "BPU is an answer: no long form asked");
        assert_eq!(t.cdbs()[0], [0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn a_known_short_position() {
        let mut answer = [0u8; 20];
        answer[0] = 0x80; // BOP
        answer[4..8].copy_from_slice(&7u32.to_be_bytes());
        let t = Scripted::new(vec![good(&answer)]);
        let p = Tape::new(&t).tell().unwrap().position;
        assert_eq!(p.trusted_block(), Some(7));
        assert!(p.bop);
    }

    #[test]
    fn long_form_with_reserved_bits_is_doubted() {
        // tgt's long form: byte 0 = 20h (reserved), zeros: "block 0".
        let mut answer = [0u8; 32];
        answer[0] = 0x20;
        let t = Scripted::new(vec![good(&answer)]);
        let p = Tape::new(&t).read_position(ReadPositionForm::Long).unwrap();
        assert_eq!(p.block.block(), Some(0));
        assert_eq!(p.doubt, Some(Doubt::ReservedBits(0x20)));
        assert_eq!(p.trusted_block(), None);
        assert_eq!(t.cdbs()[0][1], 0x06);
    }

    #[test]
    fn tell_falls_back_to_the_long_form_when_the_short_is_refused() {
        let mut long = [0u8; 32];
        long[8..16].copy_from_slice(&42u64.to_be_bytes());
        long[16..24].copy_from_slice(&3u64.to_be_bytes());
        let t = Scripted::new(vec![
            check(SenseData::fixed(SenseKey::IllegalRequest, 0x24, 0x00), &[]),
            good(&long),
        ]);
        let told = Tape::new(&t).tell().unwrap();
        assert_eq!(told.position.form, ReadPositionForm::Long);
        assert_eq!(told.position.trusted_block(), Some(42));
        assert_eq!(told.position.file, Some(3));
        assert!(told.short_form_failed.is_some());
    }

    #[test]
    fn extended_form_refused_is_an_error() {
        let t = Scripted::new(vec![check(
            SenseData::fixed(SenseKey::IllegalRequest, 0x24, 0x00),
            &[],
        )]);
        let e = Tape::new(&t)
            .read_position(ReadPositionForm::Extended)
            .unwrap_err();
        assert!(e.to_string().contains("Invalid field in CDB"), "{e}");
        assert_eq!(t.cdbs()[0][1], 0x08);
        assert_eq!(t.cdbs()[0][7..9], [0x00, 0x20]);
    }

    #[test]
    fn space_stopped_at_end_of_data() {
        // tgt: NO SENSE 00/05, no INFORMATION.
        let t = Scripted::new(vec![check(no_sense(0x00, 0x05), &[])]);
        let s = Tape::new(&t).space(SpaceKind::Filemarks, 3).unwrap();
        assert!(s.stopped_early && s.met.end_of_data);
        assert_eq!(s.met.residue, None);
        assert_eq!(t.cdbs()[0], [0x11, 0x01, 0x00, 0x00, 0x03, 0x00]);
        assert_eq!(t.timeout(0), LONG_TIMEOUT);
    }

    #[test]
    fn space_backwards_and_to_end_of_data() {
        let t = Scripted::new(vec![good(&[]), good(&[]), check(no_sense(0, 4), &[])]);
        let tape = Tape::new(&t);
        assert!(!tape.space(SpaceKind::Blocks, -2).unwrap().stopped_early);
        assert!(!tape.space(SpaceKind::EndOfData, 5).unwrap().stopped_early);
        let s = tape.space(SpaceKind::Filemarks, -1).unwrap();
        assert!(s.stopped_early && s.met.beginning_of_partition);
        let cdbs = t.cdbs();
        assert_eq!(cdbs[0], [0x11, 0x00, 0xff, 0xff, 0xfe, 0x00]);
        assert_eq!(cdbs[1], [0x11, 0x03, 0x00, 0x00, 0x00, 0x00]);
        assert_eq!(cdbs[2], [0x11, 0x01, 0xff, 0xff, 0xff, 0x00]);
    }

    #[test]
    fn space_blocks_stopped_by_a_filemark_with_a_residue() {
        let t = Scripted::new(vec![check(
            no_sense(0, 1)
                .with_stream_flags(true, false, false)
                .with_information(3),
            &[],
        )]);
        let s = Tape::new(&t).space(SpaceKind::Blocks, 5).unwrap();
        assert!(s.stopped_early && s.met.filemark);
        assert_eq!(s.met.residue, Some(3));
    }

    #[test]
    fn rewind_has_a_long_time_out() {
        let t = Scripted::new(vec![good(&[])]);
        Tape::new(&t).rewind().unwrap();
        assert_eq!(t.cdbs()[0], [0x01, 0, 0, 0, 0, 0]);
        assert_eq!(t.timeout(0), LONG_TIMEOUT);
    }

    #[test]
    fn locate_uses_locate10_then_locate16() {
        let t = Scripted::new(vec![good(&[]), good(&[])]);
        let tape = Tape::new(&t);
        tape.locate(0x0102_0304).unwrap();
        tape.locate(1 << 40).unwrap();
        let cdbs = t.cdbs();
        assert_eq!(cdbs[0], [0x2b, 0, 0, 0x01, 0x02, 0x03, 0x04, 0, 0, 0]);
        assert_eq!(cdbs[1][0], 0x92);
        assert_eq!(cdbs[1][4..12], (1u64 << 40).to_be_bytes());
        assert_eq!(t.timeout(0), LONG_TIMEOUT);
    }

    #[test]
    fn locate_refused_says_so() {
        // tgt: LOCATE is not implemented (INVALID COMMAND OPERATION CODE).
        let t = Scripted::new(vec![check(
            SenseData::fixed(SenseKey::IllegalRequest, 0x20, 0x00),
            &[],
        )]);
        let e = Tape::new(&t).locate(5).unwrap_err();
        assert_eq!(
            e.failure().unwrap().sense_key(),
            Some(SenseKey::IllegalRequest)
        );
        assert_eq!(t.cdbs().len(), 1);
    }

    /// MODE SENSE(6) answer: header, one block descriptor (density 25h,
    /// block length `bl`), WP as given.
    fn mode_sense_answer(bl: u32, wp: bool) -> Vec<u8> {
        let b = bl.to_be_bytes();
        vec![
            0x0b,                       // MODE DATA LENGTH 11
            0x00,                       // MEDIUM TYPE
            0x10 | (u8::from(wp) << 7), // BUFFERED MODE 1, WP
            0x08,                       // BLOCK DESCRIPTOR LENGTH
            0x25,
            0x00,
            0x00,
            0x00, // density 25h, 0 blocks
            0x00,
            b[1],
            b[2],
            b[3], // block length
        ]
    }

    #[test]
    fn block_length_from_mode_sense() {
        let t = Scripted::new(vec![good(&mode_sense_answer(512, true))]);
        let tape = Tape::new(&t);
        assert_eq!(tape.block_mode().unwrap(), BlockMode::Fixed(512));
        assert_eq!(t.cdbs()[0], [0x1a, 0x00, 0x00, 0x00, 64, 0x00]);
    }

    #[test]
    fn mode_sense_asks_again_when_cut() {
        let mut long = mode_sense_answer(0, false);
        long[0] = 99; // announces 100 bytes
        long.resize(100, 0);
        long[12] = 0x00; // page 00h…
        long[13] = 86; // …of 86 bytes: fills the rest
        let t = Scripted::new(vec![good(&long[..64]), good(&long)]);
        let list = Tape::new(&t).mode_sense().unwrap();
        assert_eq!(list.block_length(), Some(0));
        assert_eq!(t.cdbs()[1][4], 100);
    }

    #[test]
    fn set_block_length_keeps_density_and_clears_wp() {
        let t = Scripted::new(vec![good(&mode_sense_answer(512, true)), good(&[])]);
        Tape::new(&t).set_block_length(65_536).unwrap();
        let cdbs = t.cdbs();
        assert_eq!(cdbs[1], [0x15, 0x10, 0x00, 0x00, 12, 0x00], "PF, 12 bytes");
        assert_eq!(
            t.data_out(1),
            [
                0x00, 0x00, 0x10, 0x08, // header: BUFFERED MODE 1, one descriptor
                0x25, 0x00, 0x00, 0x00, // density kept, 0 blocks
                0x00, 0x01, 0x00, 0x00, // block length 65536
            ]
        );
    }

    #[test]
    fn read_block_limits() {
        // tgt in variable mode: granularity 9, max 1 MiB, min 4.
        let t = Scripted::new(vec![good(&[0x09, 0x10, 0x00, 0x00, 0x00, 0x04])]);
        let l = Tape::new(&t).read_block_limits().unwrap();
        assert_eq!(l.granularity, 9);
        assert_eq!(l.maximum_block_length_limit, 1 << 20);
        assert_eq!(l.minimum_block_length_limit, 4);
        assert_eq!(t.cdbs()[0], [0x05, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn write_records_pads_the_last_fixed_record() {
        let t = Scripted::new(vec![good(&[]), good(&[])]);
        let data: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
        let w = Tape::new(&t)
            .write_records(&mut &data[..], BlockMode::Fixed(512), 1024)
            .unwrap();
        assert_eq!(w.source_bytes, 1500);
        assert_eq!(w.padding, 36);
        assert_eq!(
            w.done,
            Progress {
                records: 3,
                bytes: 1536
            }
        );
        let cdbs = t.cdbs();
        assert_eq!(cdbs[0][2..5], [0, 0, 2]);
        assert_eq!(cdbs[1][2..5], [0, 0, 1]);
        assert_eq!(&t.data_out(1)[..476], &data[1024..]);
        assert_eq!(t.data_out(1)[476..], [0u8; 36]);
    }

    #[test]
    fn write_records_variable_last_record_is_short() {
        let t = Scripted::new(vec![good(&[]), good(&[]), good(&[])]);
        let data = vec![1u8; 10_000];
        let w = Tape::new(&t)
            .write_records(&mut &data[..], BlockMode::Variable, 4096)
            .unwrap();
        assert_eq!(
            w.done,
            Progress {
                records: 3,
                bytes: 10_000
            }
        );
        assert_eq!(w.padding, 0);
        assert_eq!(t.cdbs()[2], [0x0a, 0x00, 0x00, 0x07, 0x10, 0x00]);
    }

    #[test]
    fn write_records_stops_at_volume_overflow_with_progress() {
        let vo =
            SenseData::fixed(SenseKey::VolumeOverflow, 0, 2).with_stream_flags(false, true, false);
        let t = Scripted::new(vec![good(&[]), check(vo, &[])]);
        let e = Tape::new(&t)
            .write_records(&mut &[0u8; 8192][..], BlockMode::Variable, 4096)
            .unwrap_err();
        assert_eq!(
            e.done(),
            Progress {
                records: 1,
                bytes: 4096
            }
        );
        assert!(
            matches!(&e, RecordsError::Scsi { source, .. } if volume_overflow(source).is_some())
        );
    }

    #[test]
    fn read_records_until_a_filemark() {
        let fm = no_sense(0, 1)
            .with_stream_flags(true, false, false)
            .with_information(4096);
        let short = no_sense(0, 0)
            .with_stream_flags(false, false, true)
            .with_information(4096 - 100);
        let t = Scripted::new(vec![
            good(&[1u8; 4096]),
            check(short, &[2u8; 100]),
            check(fm, &[]),
        ]);
        let mut sink = Vec::new();
        let r = Tape::new(&t)
            .read_records(&mut sink, BlockMode::Variable, 4096, None)
            .unwrap();
        assert_eq!(r.stop, Stop::Filemark);
        assert_eq!(
            r.done,
            Progress {
                records: 2,
                bytes: 4196
            }
        );
        assert_eq!(sink.len(), 4196);
        assert_eq!(sink[4096..], [2u8; 100]);
    }

    #[test]
    fn read_records_refuses_to_cut_a_long_record() {
        let long = no_sense(0, 0)
            .with_stream_flags(false, false, true)
            .with_information((-100i32) as u32);
        let t = Scripted::new(vec![check(long, &[0u8; 512])]);
        let mut sink = Vec::new();
        let e = Tape::new(&t)
            .read_records(&mut sink, BlockMode::Variable, 512, None)
            .unwrap_err();
        assert!(matches!(
            e,
            RecordsError::RecordTooLong {
                record_length: 612,
                max: 512,
                ..
            }
        ));
        assert!(sink.is_empty());
    }

    #[test]
    fn read_records_fixed_with_a_limit() {
        let t = Scripted::new(vec![good(&[5u8; 1024]), good(&[6u8; 512])]);
        let mut sink = Vec::new();
        let r = Tape::new(&t)
            .read_records(&mut sink, BlockMode::Fixed(512), 1024, Some(3))
            .unwrap();
        assert_eq!(r.stop, Stop::Count);
        assert_eq!(
            r.done,
            Progress {
                records: 3,
                bytes: 1536
            }
        );
        assert_eq!(t.cdbs()[1][2..5], [0, 0, 1], "only the one block left");
    }

    #[test]
    fn read_records_at_end_of_data() {
        let t = Scripted::new(vec![check(
            SenseData::fixed(SenseKey::BlankCheck, 0, 5),
            &[],
        )]);
        let r = Tape::new(&t)
            .read_records(&mut Vec::new(), BlockMode::Variable, 512, None)
            .unwrap();
        assert_eq!(r.stop, Stop::EndOfData);
        assert_eq!(r.done, Progress::default());
    }

    /// tgt's variable-mode limits: granularity 2^0, 4 bytes … 1 MiB.
    fn limits(min: u16, max: u32, granularity: u8) -> BlockLimits {
        BlockLimits {
            granularity,
            maximum_block_length_limit: max,
            minimum_block_length_limit: min,
        }
    }

    #[test]
    fn write_record_length_in_fixed_mode_is_whole_blocks() {
        let l = limits(512, 512, 0);
        let fixed = BlockMode::Fixed(512);
        assert_eq!(write_record_length(fixed, &l, None).unwrap(), 65_536);
        assert_eq!(write_record_length(fixed, &l, Some(4096)).unwrap(), 4096);
        for bad in [0, 1000] {
            assert!(matches!(
                write_record_length(fixed, &l, Some(bad)),
                Err(RecordLengthError::NotWholeBlocks {
                    block_length: 512,
                    requested
                }) if requested == bad
            ));
        }
        // A block larger than the default: one block per WRITE.
        let big = BlockMode::Fixed(100_000);
        assert_eq!(write_record_length(big, &l, None).unwrap(), 100_000);
        let e = write_record_length(fixed, &l, Some(1000)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the drive is in fixed-block mode with 512-byte blocks, so 1000 bytes is not a whole number of blocks"
        );
    }

    #[test]
    fn write_record_length_in_variable_mode_is_within_the_block_limits() {
        let v = BlockMode::Variable;
        assert_eq!(
            write_record_length(v, &limits(4, 1 << 20, 0), None).unwrap(),
            65_536
        );
        assert_eq!(
            write_record_length(v, &limits(4, 4096, 0), None).unwrap(),
            4096
        );
        assert_eq!(
            write_record_length(v, &limits(1, 0, 0), None).unwrap(),
            65_536
        );
        assert_eq!(
            write_record_length(v, &limits(4, 1 << 20, 0), Some(1 << 20)).unwrap(),
            1 << 20
        );
        for (l, n) in [
            (limits(4, 1 << 20, 0), 2),
            (limits(4, 1 << 20, 0), (1 << 20) + 1),
            (limits(4, 1 << 20, 9), 1000),
            (limits(4, 0, 0), 1 << 32),
        ] {
            assert!(
                matches!(
                    write_record_length(v, &l, Some(n)),
                    Err(RecordLengthError::OutsideLimits { requested, .. }) if requested == n
                ),
                "{n}"
            );
        }
        let e = write_record_length(v, &limits(4, 4096, 0), Some(8192)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a 8192-byte record is outside the drive's block limits (4 bytes … 4096 bytes, granularity 2^0 = 1 bytes)"
        );
    }

    #[test]
    fn read_buffer_length_defaults_and_bounds() {
        let fixed = BlockMode::Fixed(512);
        let v = BlockMode::Variable;
        assert_eq!(read_buffer_length(fixed, None, None).unwrap(), 1 << 20);
        assert_eq!(
            read_buffer_length(BlockMode::Fixed(3 << 20), None, None).unwrap(),
            3 << 20
        );
        assert_eq!(read_buffer_length(fixed, None, Some(1024)).unwrap(), 1024);
        assert!(matches!(
            read_buffer_length(fixed, None, Some(1000)),
            Err(RecordLengthError::NotWholeBlocks { .. })
        ));
        let l = limits(4, 256 << 10, 0);
        assert_eq!(read_buffer_length(v, Some(&l), None).unwrap(), 256 << 10);
        assert_eq!(
            read_buffer_length(v, Some(&limits(1, 0, 0)), None).unwrap(),
            1 << 20
        );
        assert_eq!(read_buffer_length(v, None, Some(100)).unwrap(), 100);
        assert_eq!(
            read_buffer_length(v, None, Some(0xff_ffff)).unwrap(),
            0xff_ffff
        );
        for n in [0, 0x100_0000] {
            assert!(matches!(
                read_buffer_length(v, None, Some(n)),
                Err(RecordLengthError::ReadLengthOutOfRange { requested }) if requested == n
            ));
        }
        assert!(read_needs_limits(v, None));
        assert!(!read_needs_limits(v, Some(1)));
        assert!(!read_needs_limits(fixed, None));
    }

    #[test]
    fn read_setup_asks_for_block_limits_only_when_it_needs_them() {
        let t = Scripted::new(vec![good(&mode_sense_answer(512, false))]);
        let (mode, n) = Tape::new(&t).read_setup(None).unwrap();
        assert_eq!((mode, n), (BlockMode::Fixed(512), 1 << 20));
        assert_eq!(t.cdbs().len(), 1, "MODE SENSE only");
        let t = Scripted::new(vec![
            good(&mode_sense_answer(0, false)),
            good(&[0x00, 0x04, 0x00, 0x00, 0x00, 0x04]),
        ]);
        let (mode, n) = Tape::new(&t).read_setup(None).unwrap();
        assert_eq!((mode, n), (BlockMode::Variable, 256 << 10));
        assert_eq!(t.cdbs()[1][0], 0x05, "READ BLOCK LIMITS");
    }

    #[test]
    fn write_setup_reads_the_mode_and_the_limits() {
        let t = Scripted::new(vec![
            good(&mode_sense_answer(0, false)),
            good(&[0x00, 0x00, 0x10, 0x00, 0x00, 0x04]),
        ]);
        let (mode, n) = Tape::new(&t).write_setup(None).unwrap();
        assert_eq!((mode, n), (BlockMode::Variable, 4096));
        let t = Scripted::new(vec![good(&[0x03, 0, 0x10, 0])]);
        let e = Tape::new(&t).write_setup(None).unwrap_err();
        assert!(
            matches!(&e, RecordLengthError::Scsi(ScsiError::BadResponse { .. })),
            "no block descriptor: {e}"
        );
    }

    #[test]
    fn set_block_length_checked_wants_mode_sense_to_agree() {
        let t = Scripted::new(vec![
            good(&mode_sense_answer(0, false)),
            good(&[]),
            good(&mode_sense_answer(65_536, false)),
        ]);
        Tape::new(&t).set_block_length_checked(65_536).unwrap();
        assert_eq!(t.cdbs()[1][0], 0x15, "MODE SELECT(6)");
        assert_eq!(t.cdbs()[2][0], 0x1a, "MODE SENSE(6) after it");
        let t = Scripted::new(vec![
            good(&mode_sense_answer(0, false)),
            good(&[]),
            good(&mode_sense_answer(512, false)),
        ]);
        let e = Tape::new(&t).set_block_length_checked(65_536).unwrap_err();
        assert!(matches!(
            e,
            SetBlockLengthError::NotApplied {
                requested: 65_536,
                reported: Some(512),
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            "tape: the drive accepted MODE SELECT with block length 65536, but MODE SENSE now says 512"
        );
    }

    #[test]
    fn a_refused_locate_says_whether_locate_exists() {
        let refused = |asc, ascq| {
            let t = Scripted::new(vec![check(
                SenseData::fixed(SenseKey::IllegalRequest, asc, ascq),
                &[],
            )]);
            locate_refused(&Tape::new(&t).locate(5).unwrap_err())
        };
        assert_eq!(refused(0x20, 0x00), Some(LocateRefused::NotImplemented));
        assert_eq!(refused(0x24, 0x00), Some(LocateRefused::Refused));
        let t = Scripted::new(vec![check(
            SenseData::fixed(SenseKey::MediumError, 0x14, 0x00),
            &[],
        )]);
        assert_eq!(locate_refused(&Tape::new(&t).locate(5).unwrap_err()), None);
    }

    #[test]
    fn position_form_names() {
        assert_eq!(form_name(ReadPositionForm::ShortBlockId), "short");
        assert_eq!(form_name(ReadPositionForm::Long), "long");
        assert_eq!(form_name(ReadPositionForm::Extended), "extended");
        assert_eq!(position_unknown_flag(ReadPositionForm::Long), "LONU");
        assert_eq!(position_unknown_flag(ReadPositionForm::ShortBlockId), "BPU");
    }
}
