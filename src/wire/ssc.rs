//! SSC-4 (T10 draft SSC-4 r03) stream (tape) commands and their data, and
//! what SSC adds to the SPC-4 mode parameters of [`crate::wire::mode`].
//!
//! What is here, by the standard's names:
//! - READ POSITION (34h; we do not cite SSC-4 section numbers, the table
//!   names are what to look for): the CDB and the three answers,
//!   [`ShortPosition`] ("READ POSITION data format, short form"),
//!   [`LongPosition`] ("… long form") and [`ExtendedPosition`] ("…
//!   extended form"), with [`BlockPosition`] saying honestly whether the
//!   drive knows where it is;
//! - LOCATE(10) (2Bh) and LOCATE(16) (92h);
//! - READ BLOCK LIMITS (05h) with its 6-byte answer and the 20-byte MLOI
//!   answer (MLOI bit added in SSC-4 r02);
//! - READ(6) (08h), WRITE(6) (0Ah), WRITE FILEMARKS(6) (10h), SPACE(6) (11h),
//!   REWIND (01h);
//! - mode parameters as a tape uses them: the tape view of the
//!   DEVICE-SPECIFIC PARAMETER ([`TapeDeviceSpecific`]: WP, BUFFERED MODE,
//!   SPEED), the block descriptor's BLOCK LENGTH as the tape block size (0:
//!   variable-block mode), and MODE SELECT(6) lists that set it
//!   ([`ModeParameterList6::select_block_length`],
//!   [`ModeParameterList6::with_block_length`]). The CDBs, the list and its
//!   pages are SPC-4's, in [`crate::wire::mode`] (re-exported here).
//!
//! Rules `parse` enforces:
//! - every structure is complete (`Truncated` otherwise); CDBs carry the
//!   right OPERATION CODE;
//! - READ POSITION extended form: ADDITIONAL LENGTH is 1Ch.
//!
//! What `parse` deliberately keeps rather than rejects, so a device model
//! can answer with its own sense: reserved bits of position flags (tgt sets
//! one, see [`LongPosition`]), SILI together with FIXED in READ(6), a
//! non-zero allocation length with a short or long form READ POSITION
//! (see [`ReadPositionCdb::check_allocation_length`]). Reserved bytes and
//! other reserved bits are ignored on parse and written as zero on emit.
//!
//! Multi-byte fields are big-endian; 24-bit fields are checked on emit
//! (`Overflow`).

use bitflags::bitflags;

use super::{
    be_fields, bit_fields, check_bits, check_fits, expect_opcode, flag_fields, prepare, view, Repr,
    Result, WireError,
};

/// The mode parameters, re-exported from [`crate::wire::mode`] where they
/// live now, for code that still names them here.
pub use super::mode::{
    BlockDescriptor, ModeListKind, ModePage, ModeParameterList6, ModeSelect6Cdb, ModeSense6Cdb,
    PageControl,
};

mod field {
    //! Byte offsets, one sub-module per structure, named after SSC-4 /
    //! SPC-4.

    /// Bytes every CDB here shares.
    pub mod cdb {
        use crate::wire::Field;
        /// OPERATION CODE.
        pub const OPCODE: Field = 0..1;
    }

    /// READ POSITION CDB (10 bytes).
    pub mod read_position_cdb {
        use crate::wire::Field;
        /// SERVICE ACTION is bits 4-0 of this byte.
        pub const SERVICE_ACTION: usize = 1;
        /// ALLOCATION LENGTH.
        pub const ALLOCATION_LENGTH: Field = 7..9;
        /// CONTROL.
        pub const CONTROL: Field = 9..10;
        /// CDB length.
        pub const LEN: usize = 10;
    }

    /// READ POSITION short form data (20 bytes).
    pub mod short {
        use crate::wire::Field;
        /// BOP, EOP, LOCU (BCU), BYCU, LOLU (BPU), PERR, BPEW.
        pub const FLAGS: Field = 0..1;
        /// PARTITION NUMBER.
        pub const PARTITION: Field = 1..2;
        /// FIRST LOGICAL OBJECT LOCATION (first block location).
        pub const FIRST_LOCATION: Field = 4..8;
        /// LAST LOGICAL OBJECT LOCATION (last block location).
        pub const LAST_LOCATION: Field = 8..12;
        /// NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER (blocks in buffer).
        pub const BLOCKS_IN_BUFFER: Field = 13..16;
        /// NUMBER OF BYTES IN OBJECT BUFFER.
        pub const BYTES_IN_BUFFER: Field = 16..20;
        /// Data length.
        pub const LEN: usize = 20;
    }

    /// READ POSITION long form data (32 bytes).
    pub mod long {
        use crate::wire::Field;
        /// BOP, EOP, MPU, LONU, BPEW.
        pub const FLAGS: Field = 0..1;
        /// PARTITION NUMBER.
        pub const PARTITION: Field = 4..8;
        /// LOGICAL OBJECT NUMBER.
        pub const LOGICAL_OBJECT_NUMBER: Field = 8..16;
        /// LOGICAL FILE IDENTIFIER.
        pub const LOGICAL_FILE_IDENTIFIER: Field = 16..24;
        /// LOGICAL SET IDENTIFIER (SSC-2/3; obsolete in later drafts).
        pub const LOGICAL_SET_IDENTIFIER: Field = 24..32;
        /// Data length.
        pub const LEN: usize = 32;
    }

    /// READ POSITION extended form data (32 bytes).
    pub mod extended {
        use crate::wire::Field;
        /// BOP, EOP, LOCU, BYCU, LOLU, PERR, BPEW.
        pub const FLAGS: Field = 0..1;
        /// PARTITION NUMBER.
        pub const PARTITION: Field = 1..2;
        /// ADDITIONAL LENGTH (1Ch).
        pub const ADDITIONAL_LENGTH: Field = 2..4;
        /// NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER.
        pub const OBJECTS_IN_BUFFER: Field = 5..8;
        /// FIRST LOGICAL OBJECT LOCATION.
        pub const FIRST_LOCATION: Field = 8..16;
        /// LAST LOGICAL OBJECT LOCATION.
        pub const LAST_LOCATION: Field = 16..24;
        /// NUMBER OF BYTES IN OBJECT BUFFER.
        pub const BYTES_IN_BUFFER: Field = 24..32;
        /// Data length.
        pub const LEN: usize = 32;
    }

    /// LOCATE(10) CDB.
    pub mod locate10 {
        use crate::wire::Field;
        /// BT (bit 2), CP (bit 1), IMMED (bit 0).
        pub const FLAGS: usize = 1;
        /// LOGICAL OBJECT IDENTIFIER (block address).
        pub const LOGICAL_OBJECT_IDENTIFIER: Field = 3..7;
        /// PARTITION.
        pub const PARTITION: Field = 8..9;
        /// CONTROL.
        pub const CONTROL: Field = 9..10;
        /// CDB length.
        pub const LEN: usize = 10;
    }

    /// LOCATE(16) CDB.
    pub mod locate16 {
        use crate::wire::Field;
        /// DEST_TYPE (bits 5-3), CP (bit 1), IMMED (bit 0).
        pub const FLAGS: usize = 1;
        /// BAM (bit 0).
        pub const BAM: usize = 2;
        /// PARTITION.
        pub const PARTITION: Field = 3..4;
        /// LOGICAL IDENTIFIER.
        pub const LOGICAL_IDENTIFIER: Field = 4..12;
        /// CONTROL.
        pub const CONTROL: Field = 15..16;
        /// CDB length.
        pub const LEN: usize = 16;
    }

    /// Six-byte CDBs: READ BLOCK LIMITS, READ(6), WRITE(6), WRITE
    /// FILEMARKS(6), SPACE(6), REWIND.
    pub mod cdb6 {
        use crate::wire::Field;
        /// The flag byte (MLOI; SILI/FIXED; WSMK/IMMED; CODE; IMMED).
        pub const FLAGS: usize = 1;
        /// TRANSFER LENGTH / COUNT (24 bits).
        pub const COUNT: Field = 2..5;
        /// CONTROL.
        pub const CONTROL: Field = 5..6;
        /// CDB length.
        pub const LEN: usize = 6;
    }

    /// READ BLOCK LIMITS data (6 bytes) and MLOI data (20 bytes).
    pub mod block_limits {
        use crate::wire::Field;
        /// GRANULARITY is bits 4-0.
        pub const GRANULARITY: usize = 0;
        /// MAXIMUM BLOCK LENGTH LIMIT.
        pub const MAXIMUM: Field = 1..4;
        /// MINIMUM BLOCK LENGTH LIMIT.
        pub const MINIMUM: Field = 4..6;
        /// Data length.
        pub const LEN: usize = 6;
        /// MAXIMUM LOGICAL OBJECT IDENTIFIER (MLOI data).
        pub const MLOI: Field = 12..20;
        /// MLOI data length.
        pub const MLOI_LEN: usize = 20;
    }
}

/// The largest value of a 24-bit field.
pub const MAX_U24: u32 = 0x00ff_ffff;

// ---------------------------------------------------------------------------
// Generic 6-byte CDB view.

view!(
    /// Any of the six-byte CDBs of this module.
    Cdb6View,
    "6-byte CDB",
    field::cdb6::LEN
);

be_fields!(Cdb6View {
    /// OPERATION CODE.
    opcode, set_opcode: u8 = field::cdb::OPCODE;
    /// TRANSFER LENGTH / COUNT (24 bits, raw).
    count, set_count: u32 = field::cdb6::COUNT;
    /// CONTROL.
    control, set_control: u8 = field::cdb6::CONTROL;
});

bit_fields!(Cdb6View {
    /// The whole flag byte 1.
    flags, set_flags: field::cdb6::FLAGS, 0, 8;
    /// SPACE(6) CODE (bits 3-0).
    space_code, set_space_code: field::cdb6::FLAGS, 0, 4;
});

flag_fields!(Cdb6View {
    /// Bit 0 of byte 1: FIXED (READ(6)/WRITE(6)), IMMED (WRITE FILEMARKS,
    /// REWIND), MLOI (READ BLOCK LIMITS).
    bit0, set_bit0: field::cdb6::FLAGS, 0;
    /// Bit 1 of byte 1: SILI (READ(6)), WSMK (WRITE FILEMARKS(6)).
    bit1, set_bit1: field::cdb6::FLAGS, 1;
});

// ---------------------------------------------------------------------------
// READ POSITION.

/// The SERVICE ACTION of READ POSITION: which form of answer to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadPositionForm {
    /// 00h: short form, block identifiers (20 bytes).
    ShortBlockId,
    /// 01h: short form, vendor-specific block identifiers (20 bytes).
    ShortVendorSpecific,
    /// 06h: long form (32 bytes).
    Long,
    /// 08h: extended form (32 bytes).
    Extended,
    /// Any other 5-bit code, kept so a device model can reject it.
    Unknown(u8),
}

impl ReadPositionForm {
    /// The form for a SERVICE ACTION code (the low five bits are used).
    pub fn from_code(code: u8) -> Self {
        match code & 0x1f {
            0x00 => Self::ShortBlockId,
            0x01 => Self::ShortVendorSpecific,
            0x06 => Self::Long,
            0x08 => Self::Extended,
            other => Self::Unknown(other),
        }
    }

    /// The SERVICE ACTION code.
    pub fn code(self) -> u8 {
        match self {
            Self::ShortBlockId => 0x00,
            Self::ShortVendorSpecific => 0x01,
            Self::Long => 0x06,
            Self::Extended => 0x08,
            Self::Unknown(c) => c,
        }
    }

    /// How many bytes the answer of this form has.
    pub fn response_len(self) -> Option<usize> {
        match self {
            Self::ShortBlockId | Self::ShortVendorSpecific => Some(field::short::LEN),
            Self::Long => Some(field::long::LEN),
            Self::Extended => Some(field::extended::LEN),
            Self::Unknown(_) => None,
        }
    }
}

view!(
    /// READ POSITION CDB.
    ReadPositionCdbView,
    "READ POSITION CDB",
    field::read_position_cdb::LEN
);

be_fields!(ReadPositionCdbView {
    /// OPERATION CODE (34h).
    opcode, set_opcode: u8 = field::cdb::OPCODE;
    /// ALLOCATION LENGTH.
    allocation_length, set_allocation_length: u16 = field::read_position_cdb::ALLOCATION_LENGTH;
    /// CONTROL.
    control, set_control: u8 = field::read_position_cdb::CONTROL;
});

bit_fields!(ReadPositionCdbView {
    /// SERVICE ACTION.
    service_action, set_service_action: field::read_position_cdb::SERVICE_ACTION, 0, 5;
});

/// READ POSITION (34h) CDB.
///
/// The ALLOCATION LENGTH only matters for the extended form: SSC-3, and the
/// drive manuals that follow it (HP LTO: "for service actions 00h and 06h,
/// must be 0"; Quantum DLT-S4: "must be zero"), require zero for the short
/// and long forms, which have fixed lengths. [`ReadPositionCdb::new`] sets
/// 0 for those and 32 for the extended form; `parse` keeps whatever came,
/// and [`ReadPositionCdb::check_allocation_length`] applies the rule.
/// Linux `st` sends SA 00h/01h with allocation length 0; tgt ignores the
/// field and fills the buffer it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadPositionCdb {
    /// SERVICE ACTION: which form to answer with.
    pub form: ReadPositionForm,
    /// ALLOCATION LENGTH.
    pub allocation_length: u16,
    /// CONTROL byte.
    pub control: u8,
}

impl ReadPositionCdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x34;
    const WHAT: &'static str = "READ POSITION CDB";

    /// A READ POSITION for `form`, with the allocation length the form
    /// needs (0 for short and long, 32 for extended).
    pub fn new(form: ReadPositionForm) -> Self {
        let allocation_length = match form {
            ReadPositionForm::Extended => field::extended::LEN as u16,
            _ => 0,
        };
        Self {
            form,
            allocation_length,
            control: 0,
        }
    }

    /// Sets the ALLOCATION LENGTH.
    pub fn allocation_length(mut self, len: u16) -> Self {
        self.allocation_length = len;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }

    /// Applies the rule that short and long forms carry ALLOCATION LENGTH
    /// zero (`InvalidField` otherwise), as a device server would.
    pub fn check_allocation_length(&self) -> Result<()> {
        match self.form {
            ReadPositionForm::ShortBlockId
            | ReadPositionForm::ShortVendorSpecific
            | ReadPositionForm::Long
                if self.allocation_length != 0 =>
            {
                Err(WireError::InvalidField {
                    what: Self::WHAT,
                    field: "ALLOCATION LENGTH",
                    value: self.allocation_length.into(),
                })
            }
            _ => Ok(()),
        }
    }
}

impl Repr for ReadPositionCdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ReadPositionCdbView::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            form: ReadPositionForm::from_code(v.service_action()),
            allocation_length: v.allocation_length(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::read_position_cdb::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let code = self.form.code();
        check_bits(Self::WHAT, "SERVICE ACTION", code, 5)?;
        let out = prepare(Self::WHAT, buf, field::read_position_cdb::LEN)?;
        let mut v = ReadPositionCdbView::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_service_action(code);
        v.set_allocation_length(self.allocation_length);
        v.set_control(self.control);
        Ok(())
    }
}

/// Why a drive's answer does not give a block position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PositionUnknown {
    /// The drive says it does not know (short/extended form LOLU — BPU in
    /// SSC-2 — or long form LONU).
    NotReported,
    /// The position overflowed the answer's fields (PERR).
    Overflow,
}

/// A block position as a drive reported it: known, or honestly unknown.
///
/// segcopy must never invent a position: tgt's tape, for one, always
/// answers the short form with BPU set (see [`ShortPosition`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockPosition {
    /// The drive knows its logical position.
    Known {
        /// Partition number.
        partition: u32,
        /// Logical object (block) number from the beginning of the
        /// partition; filemarks count as objects.
        block: u64,
    },
    /// The drive cannot tell.
    Unknown(PositionUnknown),
}

impl BlockPosition {
    /// Whether the position is known.
    pub fn is_known(&self) -> bool {
        matches!(self, Self::Known { .. })
    }

    /// The block number, when known.
    pub fn block(&self) -> Option<u64> {
        match *self {
            Self::Known { block, .. } => Some(block),
            Self::Unknown(_) => None,
        }
    }
}

bitflags! {
    /// Byte 0 of the short form answer. Bits the standard reserves are kept
    /// as they came.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct ShortPositionFlags: u8 {
        /// BOP: at the beginning of the partition.
        const BOP = 0x80;
        /// EOP: between early warning and the end of the partition.
        const EOP = 0x40;
        /// LOCU (SSC-2: BCU): the number of blocks in the buffer is not
        /// known.
        const LOCU = 0x20;
        /// BYCU: the number of bytes in the buffer is not known.
        const BYCU = 0x10;
        /// LOLU (SSC-2: BPU): the partition and block locations are not
        /// known.
        const LOLU = 0x04;
        /// PERR: a position field overflowed.
        const PERR = 0x02;
        /// BPEW: beyond the programmable early warning.
        const BPEW = 0x01;
    }
}

impl ShortPositionFlags {
    /// The SSC-2 name of [`Self::LOCU`].
    pub const BCU: Self = Self::LOCU;
    /// The SSC-2 name of [`Self::LOLU`] ("block position unknown").
    pub const BPU: Self = Self::LOLU;
}

view!(
    /// READ POSITION short form data.
    ShortPositionView,
    "READ POSITION short form data",
    field::short::LEN
);

be_fields!(ShortPositionView {
    /// Flag byte.
    flags, set_flags: u8 = field::short::FLAGS;
    /// PARTITION NUMBER.
    partition, set_partition: u8 = field::short::PARTITION;
    /// FIRST LOGICAL OBJECT LOCATION.
    first_location, set_first_location: u32 = field::short::FIRST_LOCATION;
    /// LAST LOGICAL OBJECT LOCATION.
    last_location, set_last_location: u32 = field::short::LAST_LOCATION;
    /// NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER.
    blocks_in_buffer, set_blocks_in_buffer: u32 = field::short::BLOCKS_IN_BUFFER;
    /// NUMBER OF BYTES IN OBJECT BUFFER.
    bytes_in_buffer, set_bytes_in_buffer: u32 = field::short::BYTES_IN_BUFFER;
});

/// READ POSITION short form answer (service actions 00h and 01h, 20
/// bytes).
///
/// tgt (usr/bs_ssc.c) answers service actions 00h and 01h with twenty zero
/// bytes except byte 0 = 20 (14h) — meant as a length, read as flags it is
/// BYCU | BPU. So tgt always says "block position unknown", and
/// [`ShortPosition::position`] reports it as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShortPosition {
    /// Flag byte (reserved bits kept).
    pub flags: ShortPositionFlags,
    /// PARTITION NUMBER.
    pub partition_number: u8,
    /// FIRST LOGICAL OBJECT LOCATION: the block the next READ or WRITE
    /// would transfer.
    pub first_block_location: u32,
    /// LAST LOGICAL OBJECT LOCATION: the next block to go from the buffer
    /// to the medium.
    pub last_block_location: u32,
    /// NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER (24 bits).
    pub number_of_blocks_in_buffer: u32,
    /// NUMBER OF BYTES IN OBJECT BUFFER.
    pub number_of_bytes_in_buffer: u32,
}

impl ShortPosition {
    const WHAT: &'static str = "READ POSITION short form data";

    /// The position, or why there is none (LOLU/BPU, PERR).
    pub fn position(&self) -> BlockPosition {
        if self.flags.contains(ShortPositionFlags::LOLU) {
            BlockPosition::Unknown(PositionUnknown::NotReported)
        } else if self.flags.contains(ShortPositionFlags::PERR) {
            BlockPosition::Unknown(PositionUnknown::Overflow)
        } else {
            BlockPosition::Known {
                partition: self.partition_number.into(),
                block: self.first_block_location.into(),
            }
        }
    }

    /// Whether the drive knows its block position (BPU/LOLU and PERR
    /// clear).
    pub fn is_position_known(&self) -> bool {
        self.position().is_known()
    }

    /// Blocks in the buffer, unless LOCU (BCU) says the count is unknown.
    pub fn buffered_blocks(&self) -> Option<u32> {
        (!self.flags.contains(ShortPositionFlags::LOCU)).then_some(self.number_of_blocks_in_buffer)
    }

    /// Bytes in the buffer, unless BYCU says the count is unknown.
    pub fn buffered_bytes(&self) -> Option<u32> {
        (!self.flags.contains(ShortPositionFlags::BYCU)).then_some(self.number_of_bytes_in_buffer)
    }
}

impl Repr for ShortPosition {
    /// Parses the first 20 bytes; a longer buffer is accepted.
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ShortPositionView::new_checked(buf)?;
        Ok(Self {
            flags: ShortPositionFlags::from_bits_retain(v.flags()),
            partition_number: v.partition(),
            first_block_location: v.first_location(),
            last_block_location: v.last_location(),
            number_of_blocks_in_buffer: v.blocks_in_buffer(),
            number_of_bytes_in_buffer: v.bytes_in_buffer(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::short::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_fits(
            Self::WHAT,
            "NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER",
            self.number_of_blocks_in_buffer.into(),
            3,
        )?;
        let out = prepare(Self::WHAT, buf, field::short::LEN)?;
        let mut v = ShortPositionView::new_unchecked(out);
        v.set_flags(self.flags.bits());
        v.set_partition(self.partition_number);
        v.set_first_location(self.first_block_location);
        v.set_last_location(self.last_block_location);
        v.set_blocks_in_buffer(self.number_of_blocks_in_buffer);
        v.set_bytes_in_buffer(self.number_of_bytes_in_buffer);
        Ok(())
    }
}

bitflags! {
    /// Byte 0 of the long form answer. Bits the standard reserves are kept
    /// as they came.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct LongPositionFlags: u8 {
        /// BOP: at the beginning of the partition.
        const BOP = 0x80;
        /// EOP: between early warning and the end of the partition.
        const EOP = 0x40;
        /// MPU: the logical file identifier is not known.
        const MPU = 0x08;
        /// LONU: the partition and logical object number are not known.
        const LONU = 0x04;
        /// BPEW: beyond the programmable early warning.
        const BPEW = 0x01;
    }
}

view!(
    /// READ POSITION long form data.
    LongPositionView,
    "READ POSITION long form data",
    field::long::LEN
);

be_fields!(LongPositionView {
    /// Flag byte.
    flags, set_flags: u8 = field::long::FLAGS;
    /// PARTITION NUMBER.
    partition, set_partition: u32 = field::long::PARTITION;
    /// LOGICAL OBJECT NUMBER.
    logical_object_number, set_logical_object_number: u64 = field::long::LOGICAL_OBJECT_NUMBER;
    /// LOGICAL FILE IDENTIFIER.
    logical_file_identifier, set_logical_file_identifier: u64 = field::long::LOGICAL_FILE_IDENTIFIER;
    /// LOGICAL SET IDENTIFIER.
    logical_set_identifier, set_logical_set_identifier: u64 = field::long::LOGICAL_SET_IDENTIFIER;
});

/// READ POSITION long form answer (service action 06h, 32 bytes).
///
/// Beware tgt: its long form answer is 32 zero bytes except byte 0 = 32
/// (20h), a reserved bit. LONU is clear, so read literally it claims
/// "partition 0, block 0, file 0" wherever the tape is. The reserved bit is
/// kept in [`LongPosition::flags`] so a caller can see it; segcopy should
/// use the short form against tgt (which honestly says BPU).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LongPosition {
    /// Flag byte (reserved bits kept).
    pub flags: LongPositionFlags,
    /// PARTITION NUMBER.
    pub partition_number: u32,
    /// LOGICAL OBJECT NUMBER: blocks and filemarks from the beginning of
    /// the partition.
    pub logical_object_number: u64,
    /// LOGICAL FILE IDENTIFIER: filemarks from the beginning of the
    /// partition.
    pub logical_file_identifier: u64,
    /// Bytes 24-31: LOGICAL SET IDENTIFIER in SSC-2/SSC-3 era drives (DLT-S4
    /// manual), "obsolete" in Oracle's T10000 manual; kept raw.
    pub logical_set_identifier: u64,
}

impl LongPosition {
    /// The position, or why there is none (LONU).
    pub fn position(&self) -> BlockPosition {
        if self.flags.contains(LongPositionFlags::LONU) {
            BlockPosition::Unknown(PositionUnknown::NotReported)
        } else {
            BlockPosition::Known {
                partition: self.partition_number,
                block: self.logical_object_number,
            }
        }
    }

    /// Whether the drive knows its block position (LONU clear).
    pub fn is_position_known(&self) -> bool {
        self.position().is_known()
    }

    /// The file number (filemarks from BOP), unless MPU says it is unknown.
    pub fn file_number(&self) -> Option<u64> {
        (!self.flags.contains(LongPositionFlags::MPU)).then_some(self.logical_file_identifier)
    }

    /// Flag bits the standard reserves (non-zero in tgt's answer).
    pub fn reserved_bits(&self) -> u8 {
        self.flags.bits() & !LongPositionFlags::all().bits()
    }
}

impl Repr for LongPosition {
    /// Parses the first 32 bytes; a longer buffer is accepted.
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = LongPositionView::new_checked(buf)?;
        Ok(Self {
            flags: LongPositionFlags::from_bits_retain(v.flags()),
            partition_number: v.partition(),
            logical_object_number: v.logical_object_number(),
            logical_file_identifier: v.logical_file_identifier(),
            logical_set_identifier: v.logical_set_identifier(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::long::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let out = prepare("READ POSITION long form data", buf, field::long::LEN)?;
        let mut v = LongPositionView::new_unchecked(out);
        v.set_flags(self.flags.bits());
        v.set_partition(self.partition_number);
        v.set_logical_object_number(self.logical_object_number);
        v.set_logical_file_identifier(self.logical_file_identifier);
        v.set_logical_set_identifier(self.logical_set_identifier);
        Ok(())
    }
}

bitflags! {
    /// Byte 0 of the extended form answer. Bits the standard reserves are
    /// kept as they came.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct ExtendedPositionFlags: u8 {
        /// BOP: at the beginning of the partition.
        const BOP = 0x80;
        /// EOP: between early warning and the end of the partition.
        const EOP = 0x40;
        /// LOCU: the number of logical objects in the buffer is not known.
        const LOCU = 0x20;
        /// BYCU: the number of bytes in the buffer is not known.
        const BYCU = 0x10;
        /// LOLU: the partition and logical object locations are not known.
        const LOLU = 0x04;
        /// PERR: a position field overflowed.
        const PERR = 0x02;
        /// BPEW: beyond the programmable early warning.
        const BPEW = 0x01;
    }
}

view!(
    /// READ POSITION extended form data.
    ExtendedPositionView,
    "READ POSITION extended form data",
    field::extended::LEN
);

be_fields!(ExtendedPositionView {
    /// Flag byte.
    flags, set_flags: u8 = field::extended::FLAGS;
    /// PARTITION NUMBER.
    partition, set_partition: u8 = field::extended::PARTITION;
    /// ADDITIONAL LENGTH.
    additional_length, set_additional_length: u16 = field::extended::ADDITIONAL_LENGTH;
    /// NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER.
    objects_in_buffer, set_objects_in_buffer: u32 = field::extended::OBJECTS_IN_BUFFER;
    /// FIRST LOGICAL OBJECT LOCATION.
    first_location, set_first_location: u64 = field::extended::FIRST_LOCATION;
    /// LAST LOGICAL OBJECT LOCATION.
    last_location, set_last_location: u64 = field::extended::LAST_LOCATION;
    /// NUMBER OF BYTES IN OBJECT BUFFER.
    bytes_in_buffer, set_bytes_in_buffer: u64 = field::extended::BYTES_IN_BUFFER;
});

/// READ POSITION extended form answer (service action 08h, 32 bytes).
///
/// Layout (SSC-3/SSC-4 "extended form"; FreeBSD `scsi_sa.h` agrees): flags;
/// partition number (1 byte); ADDITIONAL LENGTH (1Ch, two bytes); a
/// reserved byte; NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER (3 bytes);
/// FIRST and LAST LOGICAL OBJECT LOCATION (8 bytes each); NUMBER OF BYTES IN
/// OBJECT BUFFER (8 bytes). `parse` requires ADDITIONAL LENGTH 1Ch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtendedPosition {
    /// Flag byte (reserved bits kept).
    pub flags: ExtendedPositionFlags,
    /// PARTITION NUMBER.
    pub partition_number: u8,
    /// NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER (24 bits).
    pub number_of_logical_objects_in_buffer: u32,
    /// FIRST LOGICAL OBJECT LOCATION.
    pub first_logical_object_location: u64,
    /// LAST LOGICAL OBJECT LOCATION.
    pub last_logical_object_location: u64,
    /// NUMBER OF BYTES IN OBJECT BUFFER.
    pub number_of_bytes_in_buffer: u64,
}

impl ExtendedPosition {
    const WHAT: &'static str = "READ POSITION extended form data";
    /// The ADDITIONAL LENGTH the extended form carries.
    pub const ADDITIONAL_LENGTH: u16 = 0x1c;

    /// The position, or why there is none (LOLU, PERR).
    pub fn position(&self) -> BlockPosition {
        if self.flags.contains(ExtendedPositionFlags::LOLU) {
            BlockPosition::Unknown(PositionUnknown::NotReported)
        } else if self.flags.contains(ExtendedPositionFlags::PERR) {
            BlockPosition::Unknown(PositionUnknown::Overflow)
        } else {
            BlockPosition::Known {
                partition: self.partition_number.into(),
                block: self.first_logical_object_location,
            }
        }
    }

    /// Whether the drive knows its position (LOLU and PERR clear).
    pub fn is_position_known(&self) -> bool {
        self.position().is_known()
    }
}

impl Repr for ExtendedPosition {
    /// Parses the first 32 bytes; a longer buffer is accepted.
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ExtendedPositionView::new_checked(buf)?;
        let additional = v.additional_length();
        if additional != Self::ADDITIONAL_LENGTH {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "ADDITIONAL LENGTH",
                value: additional.into(),
            });
        }
        Ok(Self {
            flags: ExtendedPositionFlags::from_bits_retain(v.flags()),
            partition_number: v.partition(),
            number_of_logical_objects_in_buffer: v.objects_in_buffer(),
            first_logical_object_location: v.first_location(),
            last_logical_object_location: v.last_location(),
            number_of_bytes_in_buffer: v.bytes_in_buffer(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::extended::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_fits(
            Self::WHAT,
            "NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER",
            self.number_of_logical_objects_in_buffer.into(),
            3,
        )?;
        let out = prepare(Self::WHAT, buf, field::extended::LEN)?;
        let mut v = ExtendedPositionView::new_unchecked(out);
        v.set_flags(self.flags.bits());
        v.set_partition(self.partition_number);
        v.set_additional_length(Self::ADDITIONAL_LENGTH);
        v.set_objects_in_buffer(self.number_of_logical_objects_in_buffer);
        v.set_first_location(self.first_logical_object_location);
        v.set_last_location(self.last_logical_object_location);
        v.set_bytes_in_buffer(self.number_of_bytes_in_buffer);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// LOCATE(10) and LOCATE(16).

view!(
    /// LOCATE(10) CDB.
    Locate10CdbView,
    "LOCATE(10) CDB",
    field::locate10::LEN
);

be_fields!(Locate10CdbView {
    /// OPERATION CODE (2Bh).
    opcode, set_opcode: u8 = field::cdb::OPCODE;
    /// LOGICAL OBJECT IDENTIFIER.
    logical_object_identifier, set_logical_object_identifier: u32 = field::locate10::LOGICAL_OBJECT_IDENTIFIER;
    /// PARTITION.
    partition, set_partition: u8 = field::locate10::PARTITION;
    /// CONTROL.
    control, set_control: u8 = field::locate10::CONTROL;
});

flag_fields!(Locate10CdbView {
    /// BT: the identifier is a vendor-specific block address (as from READ
    /// POSITION service action 01h).
    bt, set_bt: field::locate10::FLAGS, 2;
    /// CP: change to the partition in PARTITION first.
    cp, set_cp: field::locate10::FLAGS, 1;
    /// IMMED: return before the positioning completes.
    immed, set_immed: field::locate10::FLAGS, 0;
});

/// LOCATE(10) (2Bh) CDB: position to a logical object (block) number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Locate10Cdb {
    /// BT: LOGICAL OBJECT IDENTIFIER is a vendor-specific block address.
    pub bt: bool,
    /// CP: change partition to [`Self::partition`] before locating.
    pub cp: bool,
    /// IMMED: return status before the positioning completes.
    pub immed: bool,
    /// LOGICAL OBJECT IDENTIFIER (block address).
    pub logical_object_identifier: u32,
    /// PARTITION (used when CP is set).
    pub partition: u8,
    /// CONTROL byte.
    pub control: u8,
}

impl Locate10Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x2b;
    const WHAT: &'static str = "LOCATE(10) CDB";

    /// Locate to block `logical_object_identifier` in the current
    /// partition.
    pub fn new(logical_object_identifier: u32) -> Self {
        Self {
            bt: false,
            cp: false,
            immed: false,
            logical_object_identifier,
            partition: 0,
            control: 0,
        }
    }

    /// Changes to `partition` first (sets CP).
    pub fn partition(mut self, partition: u8) -> Self {
        self.cp = true;
        self.partition = partition;
        self
    }

    /// Sets IMMED.
    pub fn immed(mut self, immed: bool) -> Self {
        self.immed = immed;
        self
    }

    /// Sets BT.
    pub fn bt(mut self, bt: bool) -> Self {
        self.bt = bt;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for Locate10Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = Locate10CdbView::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            bt: v.bt(),
            cp: v.cp(),
            immed: v.immed(),
            logical_object_identifier: v.logical_object_identifier(),
            partition: v.partition(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::locate10::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let out = prepare(Self::WHAT, buf, field::locate10::LEN)?;
        let mut v = Locate10CdbView::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_bt(self.bt);
        v.set_cp(self.cp);
        v.set_immed(self.immed);
        v.set_logical_object_identifier(self.logical_object_identifier);
        v.set_partition(self.partition);
        v.set_control(self.control);
        Ok(())
    }
}

/// DEST_TYPE of LOCATE(16): what the LOGICAL IDENTIFIER counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocateDestType {
    /// 000b: a logical object (block) identifier.
    LogicalObject,
    /// 001b: a logical file identifier (filemark count).
    LogicalFile,
    /// 011b: end of data.
    EndOfData,
    /// Anything else (010b was "logical set" in older drafts), kept.
    Unknown(u8),
}

impl LocateDestType {
    /// The type for a 3-bit DEST_TYPE code.
    pub fn from_code(code: u8) -> Self {
        match code & 0x07 {
            0 => Self::LogicalObject,
            1 => Self::LogicalFile,
            3 => Self::EndOfData,
            other => Self::Unknown(other),
        }
    }

    /// The DEST_TYPE code.
    pub fn code(self) -> u8 {
        match self {
            Self::LogicalObject => 0,
            Self::LogicalFile => 1,
            Self::EndOfData => 3,
            Self::Unknown(c) => c,
        }
    }
}

view!(
    /// LOCATE(16) CDB.
    Locate16CdbView,
    "LOCATE(16) CDB",
    field::locate16::LEN
);

be_fields!(Locate16CdbView {
    /// OPERATION CODE (92h).
    opcode, set_opcode: u8 = field::cdb::OPCODE;
    /// PARTITION.
    partition, set_partition: u8 = field::locate16::PARTITION;
    /// LOGICAL IDENTIFIER.
    logical_identifier, set_logical_identifier: u64 = field::locate16::LOGICAL_IDENTIFIER;
    /// CONTROL.
    control, set_control: u8 = field::locate16::CONTROL;
});

bit_fields!(Locate16CdbView {
    /// DEST_TYPE.
    dest_type, set_dest_type: field::locate16::FLAGS, 3, 3;
});

flag_fields!(Locate16CdbView {
    /// CP.
    cp, set_cp: field::locate16::FLAGS, 1;
    /// IMMED.
    immed, set_immed: field::locate16::FLAGS, 0;
    /// BAM: explicit address mode.
    bam, set_bam: field::locate16::BAM, 0;
});

/// LOCATE(16) (92h) CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Locate16Cdb {
    /// DEST_TYPE.
    pub dest_type: LocateDestType,
    /// CP: change partition first.
    pub cp: bool,
    /// IMMED: return before the positioning completes.
    pub immed: bool,
    /// BAM: 0 implicit address mode, 1 explicit address mode.
    pub bam: bool,
    /// PARTITION (used when CP is set).
    pub partition: u8,
    /// LOGICAL IDENTIFIER.
    pub logical_identifier: u64,
    /// CONTROL byte.
    pub control: u8,
}

impl Locate16Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x92;
    const WHAT: &'static str = "LOCATE(16) CDB";

    /// Locate to `logical_identifier` counted as `dest_type`.
    pub fn new(dest_type: LocateDestType, logical_identifier: u64) -> Self {
        Self {
            dest_type,
            cp: false,
            immed: false,
            bam: false,
            partition: 0,
            logical_identifier,
            control: 0,
        }
    }

    /// Changes to `partition` first (sets CP).
    pub fn partition(mut self, partition: u8) -> Self {
        self.cp = true;
        self.partition = partition;
        self
    }

    /// Sets IMMED.
    pub fn immed(mut self, immed: bool) -> Self {
        self.immed = immed;
        self
    }

    /// Sets BAM.
    pub fn bam(mut self, bam: bool) -> Self {
        self.bam = bam;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for Locate16Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = Locate16CdbView::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            dest_type: LocateDestType::from_code(v.dest_type()),
            cp: v.cp(),
            immed: v.immed(),
            bam: v.bam(),
            partition: v.partition(),
            logical_identifier: v.logical_identifier(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::locate16::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let code = self.dest_type.code();
        check_bits(Self::WHAT, "DEST_TYPE", code, 3)?;
        let out = prepare(Self::WHAT, buf, field::locate16::LEN)?;
        let mut v = Locate16CdbView::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_dest_type(code);
        v.set_cp(self.cp);
        v.set_immed(self.immed);
        v.set_bam(self.bam);
        v.set_partition(self.partition);
        v.set_logical_identifier(self.logical_identifier);
        v.set_control(self.control);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// READ BLOCK LIMITS.

/// READ BLOCK LIMITS (05h) CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReadBlockLimitsCdb {
    /// MLOI (byte 1 bit 0, SSC-4 r02 and later): ask for the maximum
    /// logical object identifier ([`BlockLimitsMloi`], 20 bytes) instead of
    /// the block limits ([`BlockLimits`], 6 bytes).
    pub mloi: bool,
    /// CONTROL byte.
    pub control: u8,
}

impl ReadBlockLimitsCdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x05;
    const WHAT: &'static str = "READ BLOCK LIMITS CDB";

    /// Asks for the block limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets MLOI.
    pub fn mloi(mut self, mloi: bool) -> Self {
        self.mloi = mloi;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }

    /// How many bytes the answer has (6, or 20 with MLOI).
    pub fn response_len(&self) -> usize {
        if self.mloi {
            field::block_limits::MLOI_LEN
        } else {
            field::block_limits::LEN
        }
    }
}

impl Repr for ReadBlockLimitsCdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = Cdb6View::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            mloi: v.bit0(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::cdb6::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let out = prepare(Self::WHAT, buf, field::cdb6::LEN)?;
        let mut v = Cdb6View::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_bit0(self.mloi);
        v.set_control(self.control);
        Ok(())
    }
}

view!(
    /// READ BLOCK LIMITS data.
    BlockLimitsView,
    "READ BLOCK LIMITS data",
    field::block_limits::LEN
);

be_fields!(BlockLimitsView {
    /// MAXIMUM BLOCK LENGTH LIMIT.
    maximum, set_maximum: u32 = field::block_limits::MAXIMUM;
    /// MINIMUM BLOCK LENGTH LIMIT.
    minimum, set_minimum: u16 = field::block_limits::MINIMUM;
});

bit_fields!(BlockLimitsView {
    /// GRANULARITY.
    granularity, set_granularity: field::block_limits::GRANULARITY, 0, 5;
});

/// READ BLOCK LIMITS data (6 bytes).
///
/// tgt answers GRANULARITY 9 with, in fixed mode, maximum = minimum = the
/// block size (512 by default), and in variable mode 4 … 1 MiB
/// (usr/ssc.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockLimits {
    /// GRANULARITY (5 bits): block lengths are multiples of 2^granularity.
    pub granularity: u8,
    /// MAXIMUM BLOCK LENGTH LIMIT (24 bits).
    pub maximum_block_length_limit: u32,
    /// MINIMUM BLOCK LENGTH LIMIT.
    pub minimum_block_length_limit: u16,
}

impl BlockLimits {
    const WHAT: &'static str = "READ BLOCK LIMITS data";

    /// 2^GRANULARITY.
    pub fn granularity_bytes(&self) -> u32 {
        1u32 << (self.granularity & 0x1f)
    }

    /// Whether `len` is within the limits and a multiple of the
    /// granularity. A MAXIMUM BLOCK LENGTH LIMIT of zero is read as "no
    /// maximum given" (our reading of SSC; unverified on a device).
    pub fn allows(&self, len: u32) -> bool {
        let max_ok = self.maximum_block_length_limit == 0 || len <= self.maximum_block_length_limit;
        len >= u32::from(self.minimum_block_length_limit)
            && max_ok
            && len % self.granularity_bytes() == 0
    }

    /// Whether the device only takes one block length (minimum = maximum),
    /// i.e. it is in fixed-block mode or only supports one size.
    pub fn single_length(&self) -> bool {
        self.maximum_block_length_limit == u32::from(self.minimum_block_length_limit)
    }
}

impl Repr for BlockLimits {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = BlockLimitsView::new_checked(buf)?;
        Ok(Self {
            granularity: v.granularity(),
            maximum_block_length_limit: v.maximum(),
            minimum_block_length_limit: v.minimum(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::block_limits::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_bits(Self::WHAT, "GRANULARITY", self.granularity, 5)?;
        check_fits(
            Self::WHAT,
            "MAXIMUM BLOCK LENGTH LIMIT",
            self.maximum_block_length_limit.into(),
            3,
        )?;
        let out = prepare(Self::WHAT, buf, field::block_limits::LEN)?;
        let mut v = BlockLimitsView::new_unchecked(out);
        v.set_granularity(self.granularity);
        v.set_maximum(self.maximum_block_length_limit);
        v.set_minimum(self.minimum_block_length_limit);
        Ok(())
    }
}

view!(
    /// READ BLOCK LIMITS maximum logical object identifier data.
    BlockLimitsMloiView,
    "READ BLOCK LIMITS MLOI data",
    field::block_limits::MLOI_LEN
);

be_fields!(BlockLimitsMloiView {
    /// MAXIMUM LOGICAL OBJECT IDENTIFIER.
    mloi, set_mloi: u64 = field::block_limits::MLOI;
});

/// READ BLOCK LIMITS answer with MLOI set (20 bytes: 12 reserved, then the
/// MAXIMUM LOGICAL OBJECT IDENTIFIER). The layout agrees with sg3_utils'
/// `sg_read_block_limits --mloi` (20-byte answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockLimitsMloi {
    /// MAXIMUM LOGICAL OBJECT IDENTIFIER.
    pub maximum_logical_object_identifier: u64,
}

impl Repr for BlockLimitsMloi {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = BlockLimitsMloiView::new_checked(buf)?;
        Ok(Self {
            maximum_logical_object_identifier: v.mloi(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::block_limits::MLOI_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let out = prepare(
            "READ BLOCK LIMITS MLOI data",
            buf,
            field::block_limits::MLOI_LEN,
        )?;
        BlockLimitsMloiView::new_unchecked(out).set_mloi(self.maximum_logical_object_identifier);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// READ(6), WRITE(6).

/// The TRANSFER LENGTH of READ(6)/WRITE(6) with its meaning, which the
/// FIXED bit decides.
///
/// A transfer length of zero transfers nothing (unlike SBC's READ(6),
/// where zero means 256 blocks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferLength {
    /// FIXED=1: a count of fixed-size blocks (the block length set with
    /// MODE SELECT).
    Blocks(u32),
    /// FIXED=0: variable-block mode, one block of this many bytes.
    Bytes(u32),
}

impl TransferLength {
    /// The FIXED bit.
    pub fn fixed(&self) -> bool {
        matches!(self, Self::Blocks(_))
    }

    /// The raw TRANSFER LENGTH field.
    pub fn value(&self) -> u32 {
        match *self {
            Self::Blocks(n) | Self::Bytes(n) => n,
        }
    }

    /// How many bytes move, given the fixed block length (ignored in
    /// variable mode). Cannot overflow: both factors are 32-bit.
    pub fn byte_count(&self, block_length: u32) -> u64 {
        match *self {
            Self::Blocks(n) => u64::from(n) * u64::from(block_length),
            Self::Bytes(n) => n.into(),
        }
    }

    fn from_raw(fixed: bool, value: u32) -> Self {
        if fixed {
            Self::Blocks(value)
        } else {
            Self::Bytes(value)
        }
    }
}

/// READ(6) (08h) CDB for a stream device.
///
/// SSC makes SILI=1 together with FIXED=1 an ILLEGAL REQUEST; `parse` keeps
/// such a CDB so a device model can answer it that way (tgt does), and the
/// constructors never build one unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Read6Cdb {
    /// TRANSFER LENGTH and FIXED.
    pub transfer: TransferLength,
    /// SILI: do not report an incorrect length (variable mode).
    pub sili: bool,
    /// CONTROL byte.
    pub control: u8,
}

impl Read6Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x08;
    const WHAT: &'static str = "READ(6) CDB";

    /// Reads `blocks` fixed-size blocks (FIXED=1).
    pub fn fixed(blocks: u32) -> Self {
        Self {
            transfer: TransferLength::Blocks(blocks),
            sili: false,
            control: 0,
        }
    }

    /// Reads one variable-length block of up to `bytes` bytes (FIXED=0).
    pub fn variable(bytes: u32) -> Self {
        Self {
            transfer: TransferLength::Bytes(bytes),
            sili: false,
            control: 0,
        }
    }

    /// Sets SILI.
    pub fn sili(mut self, sili: bool) -> Self {
        self.sili = sili;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for Read6Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = Cdb6View::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            transfer: TransferLength::from_raw(v.bit0(), v.count()),
            sili: v.bit1(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::cdb6::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_fits(
            Self::WHAT,
            "TRANSFER LENGTH",
            self.transfer.value().into(),
            3,
        )?;
        let out = prepare(Self::WHAT, buf, field::cdb6::LEN)?;
        let mut v = Cdb6View::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_bit0(self.transfer.fixed());
        v.set_bit1(self.sili);
        v.set_count(self.transfer.value());
        v.set_control(self.control);
        Ok(())
    }
}

/// WRITE(6) (0Ah) CDB for a stream device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Write6Cdb {
    /// TRANSFER LENGTH and FIXED.
    pub transfer: TransferLength,
    /// CONTROL byte.
    pub control: u8,
}

impl Write6Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x0a;
    const WHAT: &'static str = "WRITE(6) CDB";

    /// Writes `blocks` fixed-size blocks (FIXED=1).
    pub fn fixed(blocks: u32) -> Self {
        Self {
            transfer: TransferLength::Blocks(blocks),
            control: 0,
        }
    }

    /// Writes one variable-length block of `bytes` bytes (FIXED=0).
    pub fn variable(bytes: u32) -> Self {
        Self {
            transfer: TransferLength::Bytes(bytes),
            control: 0,
        }
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for Write6Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = Cdb6View::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            transfer: TransferLength::from_raw(v.bit0(), v.count()),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::cdb6::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_fits(
            Self::WHAT,
            "TRANSFER LENGTH",
            self.transfer.value().into(),
            3,
        )?;
        let out = prepare(Self::WHAT, buf, field::cdb6::LEN)?;
        let mut v = Cdb6View::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_bit0(self.transfer.fixed());
        v.set_count(self.transfer.value());
        v.set_control(self.control);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// WRITE FILEMARKS(6), SPACE(6), REWIND.

/// WRITE FILEMARKS(6) (10h) CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WriteFilemarks6Cdb {
    /// IMMED: return before the buffered data reaches the medium.
    pub immed: bool,
    /// WSMK: write setmarks instead (setmarks are obsolete since SSC-3;
    /// kept for old drives).
    pub wsmk: bool,
    /// Number of filemarks (24 bits); zero flushes the buffer only.
    pub count: u32,
    /// CONTROL byte.
    pub control: u8,
}

impl WriteFilemarks6Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x10;
    const WHAT: &'static str = "WRITE FILEMARKS(6) CDB";

    /// Writes `count` filemarks.
    pub fn new(count: u32) -> Self {
        Self {
            immed: false,
            wsmk: false,
            count,
            control: 0,
        }
    }

    /// Sets IMMED.
    pub fn immed(mut self, immed: bool) -> Self {
        self.immed = immed;
        self
    }

    /// Sets WSMK.
    pub fn wsmk(mut self, wsmk: bool) -> Self {
        self.wsmk = wsmk;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for WriteFilemarks6Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = Cdb6View::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            immed: v.bit0(),
            wsmk: v.bit1(),
            count: v.count(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::cdb6::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_fits(Self::WHAT, "TRANSFER LENGTH", self.count.into(), 3)?;
        let out = prepare(Self::WHAT, buf, field::cdb6::LEN)?;
        let mut v = Cdb6View::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_bit0(self.immed);
        v.set_bit1(self.wsmk);
        v.set_count(self.count);
        v.set_control(self.control);
        Ok(())
    }
}

/// CODE of SPACE(6): what to space over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpaceCode {
    /// 0000b: logical blocks.
    Blocks,
    /// 0001b: filemarks.
    Filemarks,
    /// 0010b: sequential filemarks.
    SequentialFilemarks,
    /// 0011b: end of data (COUNT ignored).
    EndOfData,
    /// 0100b: setmarks (obsolete).
    Setmarks,
    /// 0101b: sequential setmarks (obsolete).
    SequentialSetmarks,
    /// Any other 4-bit code, kept.
    Unknown(u8),
}

impl SpaceCode {
    /// The code for a 4-bit CODE field.
    pub fn from_code(code: u8) -> Self {
        match code & 0x0f {
            0 => Self::Blocks,
            1 => Self::Filemarks,
            2 => Self::SequentialFilemarks,
            3 => Self::EndOfData,
            4 => Self::Setmarks,
            5 => Self::SequentialSetmarks,
            other => Self::Unknown(other),
        }
    }

    /// The CODE field.
    pub fn code(self) -> u8 {
        match self {
            Self::Blocks => 0,
            Self::Filemarks => 1,
            Self::SequentialFilemarks => 2,
            Self::EndOfData => 3,
            Self::Setmarks => 4,
            Self::SequentialSetmarks => 5,
            Self::Unknown(c) => c,
        }
    }
}

/// SPACE(6) (11h) CDB. COUNT is a signed 24-bit two's complement number:
/// negative spaces toward the beginning of the partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Space6Cdb {
    /// CODE (byte 1 bits 3-0 in SSC-4; bits 2-0 in SSC-2).
    pub code: SpaceCode,
    /// COUNT, −2^23 … 2^23−1.
    pub count: i32,
    /// CONTROL byte.
    pub control: u8,
}

impl Space6Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x11;
    /// The smallest COUNT.
    pub const MIN_COUNT: i32 = -(1 << 23);
    /// The largest COUNT.
    pub const MAX_COUNT: i32 = (1 << 23) - 1;
    const WHAT: &'static str = "SPACE(6) CDB";

    /// Spaces `count` units of `code`.
    pub fn new(code: SpaceCode, count: i32) -> Self {
        Self {
            code,
            count,
            control: 0,
        }
    }

    /// Spaces `count` blocks (negative: backwards).
    pub fn blocks(count: i32) -> Self {
        Self::new(SpaceCode::Blocks, count)
    }

    /// Spaces `count` filemarks (negative: backwards).
    pub fn filemarks(count: i32) -> Self {
        Self::new(SpaceCode::Filemarks, count)
    }

    /// Spaces to the end of data.
    pub fn end_of_data() -> Self {
        Self::new(SpaceCode::EndOfData, 0)
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }

    /// Sign-extends a 24-bit two's complement field.
    fn count_from_raw(raw: u32) -> i32 {
        ((raw << 8) as i32) >> 8
    }
}

impl Repr for Space6Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = Cdb6View::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            code: SpaceCode::from_code(v.space_code()),
            count: Self::count_from_raw(v.count()),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::cdb6::LEN
    }

    /// Fails with `Overflow` (value: the count as 32-bit two's complement)
    /// when COUNT is outside −2^23 … 2^23−1.
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        if !(Self::MIN_COUNT..=Self::MAX_COUNT).contains(&self.count) {
            return Err(WireError::Overflow {
                what: Self::WHAT,
                field: "COUNT",
                value: u64::from(self.count as u32),
            });
        }
        let code = self.code.code();
        check_bits(Self::WHAT, "CODE", code, 4)?;
        let out = prepare(Self::WHAT, buf, field::cdb6::LEN)?;
        let mut v = Cdb6View::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_space_code(code);
        v.set_count((self.count as u32) & MAX_U24);
        v.set_control(self.control);
        Ok(())
    }
}

/// REWIND (01h) CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RewindCdb {
    /// IMMED: return before the rewind completes.
    pub immed: bool,
    /// CONTROL byte.
    pub control: u8,
}

impl RewindCdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x01;
    const WHAT: &'static str = "REWIND CDB";

    /// A REWIND that completes before status.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets IMMED.
    pub fn immed(mut self, immed: bool) -> Self {
        self.immed = immed;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for RewindCdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = Cdb6View::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            immed: v.bit0(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::cdb6::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let out = prepare(Self::WHAT, buf, field::cdb6::LEN)?;
        let mut v = Cdb6View::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_bit0(self.immed);
        v.set_control(self.control);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Mode parameters as a tape uses them. The lists, CDBs and pages are
// SPC-4's and live in `wire::mode`; what SSC adds is here.

/// The DEVICE-SPECIFIC PARAMETER of the mode parameter header as a
/// sequential-access device defines it (SSC-4): WP, BUFFERED MODE, SPEED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TapeDeviceSpecific {
    /// WP (bit 7): the medium is write-protected (MODE SENSE only).
    pub write_protected: bool,
    /// BUFFERED MODE (bits 6-4): 0 unbuffered, 1 buffered, 2 buffered
    /// across initiators.
    pub buffered_mode: u8,
    /// SPEED (bits 3-0): 0 is the default speed.
    pub speed: u8,
}

impl TapeDeviceSpecific {
    /// Splits the byte.
    pub fn from_byte(b: u8) -> Self {
        Self {
            write_protected: b & 0x80 != 0,
            buffered_mode: (b >> 4) & 0x07,
            speed: b & 0x0f,
        }
    }

    /// Joins the byte (out-of-range bits are dropped).
    pub fn to_byte(self) -> u8 {
        (u8::from(self.write_protected) << 7)
            | ((self.buffered_mode & 0x07) << 4)
            | (self.speed & 0x0f)
    }
}

impl BlockDescriptor {
    /// Whether the descriptor says variable-block mode.
    pub fn is_variable(&self) -> bool {
        self.block_length == 0
    }
}

impl ModeParameterList6 {
    /// The tape view of the DEVICE-SPECIFIC PARAMETER.
    pub fn tape_device_specific(&self) -> TapeDeviceSpecific {
        TapeDeviceSpecific::from_byte(self.device_specific)
    }

    /// A MODE SELECT(6) parameter list that sets the tape block size to
    /// `block_length` (0 = variable-block mode): one block descriptor with
    /// density code 00h (default density) and number of blocks 0, BUFFERED
    /// MODE 1, default speed, no pages. To keep the current density and
    /// buffering, prefer [`ModeParameterList6::with_block_length`] on a
    /// MODE SENSE answer. `Overflow` if `block_length` ≥ 2^24.
    pub fn select_block_length(block_length: u32) -> Result<Self> {
        check_fits(Self::WHAT, "BLOCK LENGTH", block_length.into(), 3)?;
        Ok(Self {
            kind: ModeListKind::Select,
            medium_type: 0,
            device_specific: TapeDeviceSpecific {
                write_protected: false,
                buffered_mode: 1,
                speed: 0,
            }
            .to_byte(),
            block_descriptors: vec![BlockDescriptor {
                density_code: 0,
                number_of_blocks: 0,
                block_length,
            }],
            pages: Vec::new(),
        })
    }

    /// A MODE SELECT(6) parameter list derived from this MODE SENSE answer
    /// that changes only the block size: the density code (of the first
    /// block descriptor, 00h if there is none), buffered mode and speed are
    /// kept, WP and MEDIUM TYPE are zeroed, pages are left out. `Overflow`
    /// if `block_length` ≥ 2^24 (the way Linux `st` does MTSETBLK).
    pub fn with_block_length(&self, block_length: u32) -> Result<Self> {
        let mut out = Self::select_block_length(block_length)?;
        let dsp = self.tape_device_specific();
        out.device_specific = TapeDeviceSpecific {
            write_protected: false,
            ..dsp
        }
        .to_byte();
        if let Some(d) = self.block_descriptors.first() {
            out.block_descriptors[0].density_code = d.density_code;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testing::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    // --- READ POSITION -------------------------------------------------

    const RP_SHORT_CDB: [u8; 10] = [
        0x34, // OPERATION CODE
        0x00, // SERVICE ACTION 00h: short form, block id
        0x00, 0x00, 0x00, 0x00, 0x00, // reserved
        0x00, 0x00, // ALLOCATION LENGTH 0
        0x00, // CONTROL
    ];

    #[test]
    fn read_position_cdb_golden() {
        golden(
            &RP_SHORT_CDB,
            &ReadPositionCdb::new(ReadPositionForm::ShortBlockId),
        );
        let ext = [
            0x34, // OPERATION CODE
            0x08, // SERVICE ACTION 08h: extended form
            0, 0, 0, 0, 0, // reserved
            0x00, 0x20, // ALLOCATION LENGTH 32
            0x00, // CONTROL
        ];
        golden(&ext, &ReadPositionCdb::new(ReadPositionForm::Extended));
        opcode_rejected::<ReadPositionCdb>(&RP_SHORT_CDB);
        prefixes_truncated::<ReadPositionCdb>(&RP_SHORT_CDB);
        too_small(&ReadPositionCdb::new(ReadPositionForm::Long));
        mutate::<ReadPositionCdb>(&ext);
    }

    #[test]
    fn read_position_cdb_rules() {
        let cdb = ReadPositionCdb::new(ReadPositionForm::Long).allocation_length(32);
        assert!(matches!(
            cdb.check_allocation_length(),
            Err(WireError::InvalidField {
                field: "ALLOCATION LENGTH",
                ..
            })
        ));
        assert!(ReadPositionCdb::new(ReadPositionForm::Extended)
            .check_allocation_length()
            .is_ok());
        assert!(ReadPositionCdb::new(ReadPositionForm::ShortVendorSpecific)
            .check_allocation_length()
            .is_ok());
        overflow(
            &ReadPositionCdb::new(ReadPositionForm::Unknown(0x20)),
            "SERVICE ACTION",
        );
        // An unknown service action is kept.
        let mut b = RP_SHORT_CDB;
        b[1] = 0x1f;
        assert_eq!(
            ReadPositionCdb::parse(&b).unwrap().form,
            ReadPositionForm::Unknown(0x1f)
        );
        assert_eq!(ReadPositionForm::Long.response_len(), Some(32));
        assert_eq!(ReadPositionForm::Unknown(3).response_len(), None);
    }

    /// tgt's short form answer: byte 0 = 20 (meant as a length), the rest
    /// zero (usr/bs_ssc.c, READ_POSITION case).
    const TGT_SHORT: [u8; 20] = [
        0x14, // BYCU | BPU (LOLU)
        0x00, // PARTITION NUMBER
        0x00, 0x00, // reserved
        0, 0, 0, 0, // FIRST LOGICAL OBJECT LOCATION
        0, 0, 0, 0,    // LAST LOGICAL OBJECT LOCATION
        0x00, // reserved
        0, 0, 0, // NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER
        0, 0, 0, 0, // NUMBER OF BYTES IN OBJECT BUFFER
    ];

    #[test]
    fn short_position_golden() {
        let mid = [
            0x00, // no flags: position and counts known
            0x00, // PARTITION NUMBER 0
            0x00, 0x00, // reserved
            0x00, 0x00, 0x04, 0xd2, // FIRST LOGICAL OBJECT LOCATION 1234
            0x00, 0x00, 0x04, 0xce, // LAST LOGICAL OBJECT LOCATION 1230
            0x00, // reserved
            0x00, 0x00, 0x04, // 4 blocks in buffer
            0x00, 0x04, 0x00, 0x00, // 262144 bytes in buffer
        ];
        let r = ShortPosition {
            flags: ShortPositionFlags::empty(),
            partition_number: 0,
            first_block_location: 1234,
            last_block_location: 1230,
            number_of_blocks_in_buffer: 4,
            number_of_bytes_in_buffer: 262_144,
        };
        golden(&mid, &r);
        assert_eq!(
            r.position(),
            BlockPosition::Known {
                partition: 0,
                block: 1234
            }
        );
        assert_eq!(r.buffered_blocks(), Some(4));
        prefixes_truncated::<ShortPosition>(&mid);
        mutate::<ShortPosition>(&mid);
        too_small(&r);
        // A longer buffer is fine.
        let mut long = mid.to_vec();
        long.extend_from_slice(&[0xee; 12]);
        assert_eq!(ShortPosition::parse(&long).unwrap(), r);
    }

    #[test]
    fn short_position_tgt_is_unknown() {
        let r = ShortPosition::parse(&TGT_SHORT).unwrap();
        assert!(r.flags.contains(ShortPositionFlags::BPU));
        assert!(r.flags.contains(ShortPositionFlags::BYCU));
        assert!(!r.is_position_known());
        assert_eq!(
            r.position(),
            BlockPosition::Unknown(PositionUnknown::NotReported)
        );
        assert_eq!(r.position().block(), None);
        assert_eq!(r.buffered_bytes(), None);
        assert_eq!(emit_a5(&r), TGT_SHORT);
    }

    #[test]
    fn short_position_perr_is_overflow() {
        let mut b = [0u8; 20];
        b[0] = 0x02; // PERR
        let r = ShortPosition::parse(&b).unwrap();
        assert_eq!(
            r.position(),
            BlockPosition::Unknown(PositionUnknown::Overflow)
        );
    }

    #[test]
    fn short_position_overflow() {
        let r = ShortPosition {
            flags: ShortPositionFlags::empty(),
            partition_number: 0,
            first_block_location: 0,
            last_block_location: 0,
            number_of_blocks_in_buffer: 1 << 24,
            number_of_bytes_in_buffer: 0,
        };
        overflow(&r, "NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER");
    }

    #[test]
    fn long_position_golden() {
        let b = [
            0x00, // flags: none
            0x00, 0x00, 0x00, // reserved
            0x00, 0x00, 0x00, 0x01, // PARTITION NUMBER 1
            0, 0, 0, 0, 0, 0, 0x04, 0xd2, // LOGICAL OBJECT NUMBER 1234
            0, 0, 0, 0, 0, 0, 0x00, 0x03, // LOGICAL FILE IDENTIFIER 3
            0, 0, 0, 0, 0, 0, 0x00, 0x00, // LOGICAL SET IDENTIFIER 0
        ];
        let r = LongPosition {
            flags: LongPositionFlags::empty(),
            partition_number: 1,
            logical_object_number: 1234,
            logical_file_identifier: 3,
            logical_set_identifier: 0,
        };
        golden(&b, &r);
        assert_eq!(
            r.position(),
            BlockPosition::Known {
                partition: 1,
                block: 1234
            }
        );
        assert_eq!(r.file_number(), Some(3));
        prefixes_truncated::<LongPosition>(&b);
        mutate::<LongPosition>(&b);
        too_small(&r);
    }

    #[test]
    fn long_position_flags() {
        let mut b = [0u8; 32];
        b[0] = 0x0c; // MPU | LONU
        let r = LongPosition::parse(&b).unwrap();
        assert!(!r.is_position_known());
        assert_eq!(r.file_number(), None);
        // tgt: byte 0 = 32, a reserved bit; kept, and LONU is clear.
        b[0] = 0x20;
        let r = LongPosition::parse(&b).unwrap();
        assert_eq!(r.reserved_bits(), 0x20);
        assert!(r.is_position_known());
        assert_eq!(r.to_vec().unwrap(), b);
    }

    const EXT: [u8; 32] = [
        0x80, // BOP
        0x00, // PARTITION NUMBER
        0x00, 0x1c, // ADDITIONAL LENGTH 28
        0x00, // reserved
        0x00, 0x00, 0x00, // objects in buffer 0
        0, 0, 0, 0, 0, 0, 0, 0, // FIRST LOGICAL OBJECT LOCATION 0
        0, 0, 0, 0, 0, 0, 0, 0, // LAST LOGICAL OBJECT LOCATION 0
        0, 0, 0, 0, 0, 0, 0, 0, // bytes in buffer 0
    ];

    #[test]
    fn extended_position_golden() {
        let r = ExtendedPosition {
            flags: ExtendedPositionFlags::BOP,
            partition_number: 0,
            number_of_logical_objects_in_buffer: 0,
            first_logical_object_location: 0,
            last_logical_object_location: 0,
            number_of_bytes_in_buffer: 0,
        };
        golden(&EXT, &r);
        assert_eq!(
            r.position(),
            BlockPosition::Known {
                partition: 0,
                block: 0
            }
        );
        prefixes_truncated::<ExtendedPosition>(&EXT);
        mutate::<ExtendedPosition>(&EXT);
        too_small(&r);
        overflow(
            &ExtendedPosition {
                number_of_logical_objects_in_buffer: 1 << 24,
                ..r
            },
            "NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER",
        );
        let lolu = ExtendedPosition {
            flags: ExtendedPositionFlags::LOLU,
            ..r
        };
        assert!(!lolu.is_position_known());
        let perr = ExtendedPosition {
            flags: ExtendedPositionFlags::PERR,
            ..r
        };
        assert_eq!(
            perr.position(),
            BlockPosition::Unknown(PositionUnknown::Overflow)
        );
    }

    #[test]
    fn extended_position_rejects_additional_length() {
        let mut b = EXT;
        b[3] = 0x1b;
        assert!(matches!(
            ExtendedPosition::parse(&b),
            Err(WireError::InvalidField {
                field: "ADDITIONAL LENGTH",
                value: 0x1b,
                ..
            })
        ));
    }

    // --- LOCATE -----------------------------------------------------------

    #[test]
    fn locate10_golden() {
        let b = [
            0x2b, // OPERATION CODE
            0x03, // CP | IMMED
            0x00, // reserved
            0x00, 0x00, 0x04, 0xd2, // LOGICAL OBJECT IDENTIFIER 1234
            0x00, // reserved
            0x01, // PARTITION 1
            0x00, // CONTROL
        ];
        let r = Locate10Cdb::new(1234).partition(1).immed(true);
        golden(&b, &r);
        opcode_rejected::<Locate10Cdb>(&b);
        prefixes_truncated::<Locate10Cdb>(&b);
        mutate::<Locate10Cdb>(&b);
        too_small(&r);
        let bt = Locate10Cdb::new(7).bt(true).control(0x80);
        let e = emit_a5(&bt);
        assert_eq!(e[1], 0x04);
        assert_eq!(e[9], 0x80);
    }

    #[test]
    fn locate16_golden() {
        let b = [
            0x92, // OPERATION CODE
            0x00, // DEST_TYPE 000b, CP 0, IMMED 0
            0x00, // BAM 0
            0x00, // PARTITION
            0, 0, 0, 1, 0, 0, 0, 0, // LOGICAL IDENTIFIER 2^32
            0, 0, 0,    // reserved
            0x00, // CONTROL
        ];
        let r = Locate16Cdb::new(LocateDestType::LogicalObject, 1 << 32);
        golden(&b, &r);
        opcode_rejected::<Locate16Cdb>(&b);
        prefixes_truncated::<Locate16Cdb>(&b);
        mutate::<Locate16Cdb>(&b);
        too_small(&r);
        let eod = Locate16Cdb::new(LocateDestType::EndOfData, 0)
            .partition(2)
            .immed(true)
            .bam(true);
        let e = emit_a5(&eod);
        assert_eq!(&e[1..4], &[0x1b, 0x01, 0x02]);
        overflow(
            &Locate16Cdb::new(LocateDestType::Unknown(8), 0),
            "DEST_TYPE",
        );
    }

    // --- READ BLOCK LIMITS ------------------------------------------------

    #[test]
    fn read_block_limits_golden() {
        let cdb = [0x05, 0x00, 0x00, 0x00, 0x00, 0x00]; // OPERATION CODE, no MLOI, reserved, CONTROL
        golden(&cdb, &ReadBlockLimitsCdb::new());
        let mloi = [0x05, 0x01, 0x00, 0x00, 0x00, 0x00]; // MLOI set
        golden(&mloi, &ReadBlockLimitsCdb::new().mloi(true));
        assert_eq!(ReadBlockLimitsCdb::new().mloi(true).response_len(), 20);
        opcode_rejected::<ReadBlockLimitsCdb>(&cdb);
        prefixes_truncated::<ReadBlockLimitsCdb>(&cdb);

        // tgt in its default fixed mode: granularity 9, 512..512.
        let tgt = [
            0x09, // GRANULARITY 9
            0x00, 0x02, 0x00, // MAXIMUM BLOCK LENGTH LIMIT 512
            0x02, 0x00, // MINIMUM BLOCK LENGTH LIMIT 512
        ];
        let r = BlockLimits {
            granularity: 9,
            maximum_block_length_limit: 512,
            minimum_block_length_limit: 512,
        };
        golden(&tgt, &r);
        assert!(r.single_length());
        assert!(r.allows(512));
        assert!(!r.allows(1024));
        prefixes_truncated::<BlockLimits>(&tgt);
        mutate::<BlockLimits>(&tgt);
        too_small(&r);
        overflow(
            &BlockLimits {
                granularity: 32,
                ..r
            },
            "GRANULARITY",
        );
        overflow(
            &BlockLimits {
                maximum_block_length_limit: 1 << 24,
                ..r
            },
            "MAXIMUM BLOCK LENGTH LIMIT",
        );
        let lto = BlockLimits {
            granularity: 0,
            maximum_block_length_limit: MAX_U24,
            minimum_block_length_limit: 1,
        };
        assert!(lto.allows(262_144) && !lto.allows(0) && !lto.allows(1 << 24));
    }

    #[test]
    fn block_limits_mloi_golden() {
        let mut b = [0u8; 20];
        b[12..20].copy_from_slice(&[0, 0, 0, 0, 0x0f, 0xff, 0xff, 0xff]);
        let r = BlockLimitsMloi {
            maximum_logical_object_identifier: 0x0fff_ffff,
        };
        golden(&b, &r);
        prefixes_truncated::<BlockLimitsMloi>(&b);
        too_small(&r);
    }

    // --- READ(6), WRITE(6) --------------------------------------------------

    #[test]
    fn read6_golden() {
        let fixed = [
            0x08, // OPERATION CODE
            0x01, // FIXED
            0x00, 0x00, 0x40, // TRANSFER LENGTH 64 blocks
            0x00, // CONTROL
        ];
        golden(&fixed, &Read6Cdb::fixed(64));
        let variable = [
            0x08, // OPERATION CODE
            0x02, // SILI, variable
            0x04, 0x00, 0x00, // TRANSFER LENGTH 262144 bytes
            0x00, // CONTROL
        ];
        let r = Read6Cdb::variable(262_144).sili(true);
        golden(&variable, &r);
        assert_eq!(r.transfer.byte_count(0), 262_144);
        assert_eq!(Read6Cdb::fixed(64).transfer.byte_count(512), 32_768);
        opcode_rejected::<Read6Cdb>(&fixed);
        prefixes_truncated::<Read6Cdb>(&fixed);
        mutate::<Read6Cdb>(&variable);
        too_small(&r);
        overflow(&Read6Cdb::variable(1 << 24), "TRANSFER LENGTH");
        overflow(&Read6Cdb::fixed(u32::MAX), "TRANSFER LENGTH");
        // SILI with FIXED is kept for the device to reject.
        let both = [0x08, 0x03, 0, 0, 1, 0];
        let p = Read6Cdb::parse(&both).unwrap();
        assert!(p.sili && p.transfer.fixed());
    }

    #[test]
    fn write6_golden() {
        let fixed = [0x0a, 0x01, 0x00, 0x01, 0x00, 0x00]; // FIXED, 256 blocks
        golden(&fixed, &Write6Cdb::fixed(256));
        let variable = [0x0a, 0x00, 0x01, 0x00, 0x00, 0x00]; // variable, 65536 bytes
        golden(&variable, &Write6Cdb::variable(65_536));
        opcode_rejected::<Write6Cdb>(&fixed);
        prefixes_truncated::<Write6Cdb>(&fixed);
        mutate::<Write6Cdb>(&fixed);
        too_small(&Write6Cdb::fixed(1));
        overflow(&Write6Cdb::variable(1 << 24), "TRANSFER LENGTH");
        assert_eq!(
            Write6Cdb::fixed(MAX_U24).transfer.byte_count(MAX_U24),
            u64::from(MAX_U24) * u64::from(MAX_U24)
        );
    }

    // --- WRITE FILEMARKS, SPACE, REWIND --------------------------------------

    #[test]
    fn write_filemarks6_golden() {
        let b = [0x10, 0x01, 0x00, 0x00, 0x02, 0x00]; // IMMED, 2 filemarks
        let r = WriteFilemarks6Cdb::new(2).immed(true);
        golden(&b, &r);
        let flush = [0x10, 0x00, 0x00, 0x00, 0x00, 0x00]; // 0 filemarks: flush
        golden(&flush, &WriteFilemarks6Cdb::new(0));
        assert_eq!(emit_a5(&WriteFilemarks6Cdb::new(1).wsmk(true))[1], 0x02);
        opcode_rejected::<WriteFilemarks6Cdb>(&b);
        prefixes_truncated::<WriteFilemarks6Cdb>(&b);
        mutate::<WriteFilemarks6Cdb>(&b);
        too_small(&r);
        overflow(&WriteFilemarks6Cdb::new(1 << 24), "TRANSFER LENGTH");
    }

    #[test]
    fn space6_golden_and_negative_counts() {
        let back_one = [
            0x11, // OPERATION CODE
            0x00, // CODE 0000b blocks
            0xff, 0xff, 0xff, // COUNT -1
            0x00, // CONTROL
        ];
        golden(&back_one, &Space6Cdb::blocks(-1));
        let fm = [0x11, 0x01, 0x00, 0x00, 0x03, 0x00]; // 3 filemarks forward
        golden(&fm, &Space6Cdb::filemarks(3));
        let min = [0x11, 0x01, 0x80, 0x00, 0x00, 0x00]; // -2^23 filemarks
        golden(&min, &Space6Cdb::filemarks(Space6Cdb::MIN_COUNT));
        let max = [0x11, 0x00, 0x7f, 0xff, 0xff, 0x00]; // 2^23-1 blocks
        golden(&max, &Space6Cdb::blocks(Space6Cdb::MAX_COUNT));
        let eod = [0x11, 0x03, 0x00, 0x00, 0x00, 0x00];
        golden(&eod, &Space6Cdb::end_of_data());
        overflow(&Space6Cdb::blocks(Space6Cdb::MAX_COUNT + 1), "COUNT");
        overflow(&Space6Cdb::blocks(Space6Cdb::MIN_COUNT - 1), "COUNT");
        overflow(&Space6Cdb::new(SpaceCode::Unknown(0x10), 0), "CODE");
        opcode_rejected::<Space6Cdb>(&fm);
        prefixes_truncated::<Space6Cdb>(&fm);
        mutate::<Space6Cdb>(&back_one);
        too_small(&Space6Cdb::blocks(1));
        // Bits 7-4 of byte 1 are reserved and ignored.
        let mut b = fm;
        b[1] = 0xe1;
        assert_eq!(Space6Cdb::parse(&b).unwrap().code, SpaceCode::Filemarks);
    }

    #[test]
    fn rewind_golden() {
        golden(&[0x01, 0x00, 0, 0, 0, 0x00], &RewindCdb::new());
        golden(&[0x01, 0x01, 0, 0, 0, 0x00], &RewindCdb::new().immed(true));
        opcode_rejected::<RewindCdb>(&[0x01, 0, 0, 0, 0, 0]);
        prefixes_truncated::<RewindCdb>(&[0x01, 0, 0, 0, 0, 0]);
        too_small(&RewindCdb::new());
    }

    // --- mode parameters as a tape uses them ----------------------------------

    #[test]
    fn mode_parameter_list_select_golden() {
        let b = [
            0x00, // MODE DATA LENGTH: reserved in MODE SELECT
            0x00, // MEDIUM TYPE
            0x10, // BUFFERED MODE 1
            0x08, // BLOCK DESCRIPTOR LENGTH 8
            0x00, // DENSITY CODE: default
            0x00, 0x00, 0x00, // NUMBER OF BLOCKS
            0x00, // reserved
            0x04, 0x00, 0x00, // BLOCK LENGTH 262144
        ];
        let r = ModeParameterList6::select_block_length(262_144).unwrap();
        golden(&b, &r);
        assert_eq!(r.kind, ModeListKind::Select);
        assert!(matches!(
            ModeParameterList6::select_block_length(1 << 24),
            Err(WireError::Overflow {
                field: "BLOCK LENGTH",
                ..
            })
        ));
        // Header-only select list (4 bytes) parses too.
        let h = ModeParameterList6::parse(&[0, 0, 0x10, 0]).unwrap();
        assert_eq!(h.kind, ModeListKind::Select);
        assert!(h.block_descriptors.is_empty());
    }

    #[test]
    fn tape_device_specific_bits() {
        for b in 0..=255u8 {
            assert_eq!(TapeDeviceSpecific::from_byte(b).to_byte(), b);
        }
    }

    // --- proptest -------------------------------------------------------------

    prop_compose! {
        fn arb_read_position_cdb()(sa in 0u8..32, a in any::<u16>(), c in any::<u8>()) -> ReadPositionCdb {
            ReadPositionCdb { form: ReadPositionForm::from_code(sa), allocation_length: a, control: c }
        }
    }
    prop_compose! {
        fn arb_short()(f in any::<u8>(), p in any::<u8>(), a in any::<u32>(), b in any::<u32>(),
                       n in arb_u24(), m in any::<u32>()) -> ShortPosition {
            ShortPosition {
                flags: ShortPositionFlags::from_bits_retain(f), partition_number: p,
                first_block_location: a, last_block_location: b,
                number_of_blocks_in_buffer: n, number_of_bytes_in_buffer: m,
            }
        }
    }
    prop_compose! {
        fn arb_long()(f in any::<u8>(), p in any::<u32>(), a in any::<u64>(), b in any::<u64>(),
                      c in any::<u64>()) -> LongPosition {
            LongPosition {
                flags: LongPositionFlags::from_bits_retain(f), partition_number: p,
                logical_object_number: a, logical_file_identifier: b, logical_set_identifier: c,
            }
        }
    }
    prop_compose! {
        fn arb_extended()(f in any::<u8>(), p in any::<u8>(), n in arb_u24(), a in any::<u64>(),
                          b in any::<u64>(), c in any::<u64>()) -> ExtendedPosition {
            ExtendedPosition {
                flags: ExtendedPositionFlags::from_bits_retain(f), partition_number: p,
                number_of_logical_objects_in_buffer: n, first_logical_object_location: a,
                last_logical_object_location: b, number_of_bytes_in_buffer: c,
            }
        }
    }
    prop_compose! {
        fn arb_locate10()(bt in any::<bool>(), cp in any::<bool>(), im in any::<bool>(), id in any::<u32>(),
                          p in any::<u8>(), c in any::<u8>()) -> Locate10Cdb {
            Locate10Cdb { bt, cp, immed: im, logical_object_identifier: id, partition: p, control: c }
        }
    }
    prop_compose! {
        fn arb_locate16()(d in 0u8..8, cp in any::<bool>(), im in any::<bool>(), bam in any::<bool>(),
                          p in any::<u8>(), id in any::<u64>(), c in any::<u8>()) -> Locate16Cdb {
            Locate16Cdb { dest_type: LocateDestType::from_code(d), cp, immed: im, bam, partition: p,
                          logical_identifier: id, control: c }
        }
    }
    prop_compose! {
        fn arb_transfer()(fixed in any::<bool>(), n in arb_u24()) -> TransferLength {
            TransferLength::from_raw(fixed, n)
        }
    }

    proptest! {
        #[test]
        fn prop_read_position_cdb(r in arb_read_position_cdb()) { round_trip(&r)?; }
        #[test]
        fn prop_short(r in arb_short()) { round_trip(&r)?; }
        #[test]
        fn prop_long(r in arb_long()) { round_trip(&r)?; }
        #[test]
        fn prop_extended(r in arb_extended()) { round_trip(&r)?; }
        #[test]
        fn prop_locate10(r in arb_locate10()) { round_trip(&r)?; }
        #[test]
        fn prop_locate16(r in arb_locate16()) { round_trip(&r)?; }
        #[test]
        fn prop_read_block_limits_cdb(m in any::<bool>(), c in any::<u8>()) {
            round_trip(&ReadBlockLimitsCdb { mloi: m, control: c })?;
        }
        #[test]
        fn prop_block_limits(g in 0u8..32, max in arb_u24(), min in any::<u16>()) {
            round_trip(&BlockLimits { granularity: g, maximum_block_length_limit: max, minimum_block_length_limit: min })?;
        }
        #[test]
        fn prop_block_limits_mloi(m in any::<u64>()) {
            round_trip(&BlockLimitsMloi { maximum_logical_object_identifier: m })?;
        }
        #[test]
        fn prop_read6(t in arb_transfer(), s in any::<bool>(), c in any::<u8>()) {
            round_trip(&Read6Cdb { transfer: t, sili: s, control: c })?;
        }
        #[test]
        fn prop_write6(t in arb_transfer(), c in any::<u8>()) {
            round_trip(&Write6Cdb { transfer: t, control: c })?;
        }
        #[test]
        fn prop_write_filemarks6(i in any::<bool>(), w in any::<bool>(), n in arb_u24(), c in any::<u8>()) {
            round_trip(&WriteFilemarks6Cdb { immed: i, wsmk: w, count: n, control: c })?;
        }
        #[test]
        fn prop_space6(code in 0u8..16, n in Space6Cdb::MIN_COUNT..=Space6Cdb::MAX_COUNT, c in any::<u8>()) {
            round_trip(&Space6Cdb { code: SpaceCode::from_code(code), count: n, control: c })?;
        }
        #[test]
        fn prop_rewind(i in any::<bool>(), c in any::<u8>()) {
            round_trip(&RewindCdb { immed: i, control: c })?;
        }

        #[test]
        fn parse_never_panics(buf in vec(any::<u8>(), 0..300)) {
            let _ = ReadPositionCdb::parse(&buf);
            let _ = ShortPosition::parse(&buf);
            let _ = LongPosition::parse(&buf);
            let _ = ExtendedPosition::parse(&buf);
            let _ = Locate10Cdb::parse(&buf);
            let _ = Locate16Cdb::parse(&buf);
            let _ = ReadBlockLimitsCdb::parse(&buf);
            let _ = BlockLimits::parse(&buf);
            let _ = BlockLimitsMloi::parse(&buf);
            let _ = Read6Cdb::parse(&buf);
            let _ = Write6Cdb::parse(&buf);
            let _ = WriteFilemarks6Cdb::parse(&buf);
            let _ = Space6Cdb::parse(&buf);
            let _ = RewindCdb::parse(&buf);
        }
    }
}
