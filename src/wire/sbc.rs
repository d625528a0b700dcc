//! Block device commands from SBC-3 r36 — READ CAPACITY (10) and (16)
//! (tables "READ CAPACITY (10) command", "READ CAPACITY (10) parameter
//! data", "READ CAPACITY (16) command", "READ CAPACITY (16) parameter
//! data"), READ (10), READ (16), WRITE (10) and WRITE (16) (tables "READ (10)
//! command", "READ (16) command", "WRITE (10) command", "WRITE (16)
//! command"), SYNCHRONIZE CACHE (10) and (16) (tables "SYNCHRONIZE CACHE (10)
//! command", "SYNCHRONIZE CACHE (16) command") — the mode parameters a
//! direct-access block device defines (its DEVICE-SPECIFIC PARAMETER, table
//! "DEVICE-SPECIFIC PARAMETER field for direct-access block devices"; the
//! short LBA mode parameter block descriptor, table "Short LBA mode
//! parameter block descriptor"; the Caching mode page, table "Caching mode
//! page"; the list and CDBs that carry them are SPC-4's, in
//! [`crate::wire::mode`]) — and the two SPC-4 r37 commands every LU
//! answers: TEST UNIT READY and REQUEST SENSE (tables "TEST UNIT READY
//! command", "REQUEST SENSE command").
//!
//! What `parse` enforces:
//! - every CDB: its length and OPERATION CODE (and for READ CAPACITY (16)
//!   the SERVICE ACTION 10h); reserved and obsolete bits are ignored and
//!   emitted as zero (the obsolete LOGICAL BLOCK ADDRESS and PMI of READ
//!   CAPACITY (10) and (16), FUA_NV of READ/WRITE (10) and (16), SYNC_NV of
//!   SYNCHRONIZE CACHE (10) and (16));
//! - [`ReadCapacity16`]: all 32 bytes (segcopy always asks for 32; a
//!   shorter answer is [`WireError::Truncated`]) and a nonzero LOGICAL BLOCK
//!   LENGTH IN BYTES (everything downstream divides by it);
//! - [`ReadCapacity10`]: all 8 bytes and a nonzero LOGICAL BLOCK LENGTH IN
//!   BYTES;
//! - [`CachingModePage`]: PAGE CODE 08h in page_0 format and PAGE LENGTH
//!   12h (20 bytes in all).
//!
//! Sums are left to checked helpers rather than rejected: a READ (16) whose
//! LBA plus TRANSFER LENGTH overflows is a valid CDB that a device answers
//! with LOGICAL BLOCK ADDRESS OUT OF RANGE; [`Read16Cdb::end_lba`] returns
//! `None` for it. A TRANSFER LENGTH of zero in READ/WRITE (10) and (16)
//! means no blocks (not 256 as in the six-byte CDBs); a NUMBER OF LOGICAL
//! BLOCKS of zero in SYNCHRONIZE CACHE means every block from the LBA to
//! the last one.
//!
//! The ten-byte CDBs widen losslessly into their sixteen-byte forms
//! (`From`), so a device model handles one form; the way back is `TryFrom`,
//! `Overflow` when the LBA or the length does not fit.

use crate::wire::mode::{BlockDescriptor, ModePage};
use crate::wire::{
    be_fields, bit_fields, check_fits, check_out, flag_fields, view, Repr, Result, WireError,
};

mod field {
    use crate::wire::Field;

    /// Byte 0 of every CDB: OPERATION CODE.
    pub const OPCODE: Field = 0..1;

    // Sixteen-byte READ (16) / WRITE (16) / SYNCHRONIZE CACHE (16).
    /// Byte 1: RDPROTECT/WRPROTECT (7-5), DPO (4), FUA (3), RARC (2, READ)
    /// — in the ten-byte READ/WRITE (10) too.
    pub const RW_FLAGS: usize = 1;
    /// Bytes 2-9: LOGICAL BLOCK ADDRESS (SYNCHRONIZE CACHE (16) too).
    pub const RW_LBA: Field = 2..10;
    /// Bytes 10-13: TRANSFER LENGTH; NUMBER OF LOGICAL BLOCKS in
    /// SYNCHRONIZE CACHE (16).
    pub const RW_TRANSFER_LENGTH: Field = 10..14;
    /// Byte 14: GROUP NUMBER (4-0) (SYNCHRONIZE CACHE (16) too).
    pub const RW_GROUP: usize = 14;
    /// Byte 15: CONTROL.
    pub const CONTROL16: Field = 15..16;
    /// Sixteen-byte CDBs.
    pub const CDB16_LEN: usize = 16;

    // Ten-byte READ (10) / WRITE (10) / SYNCHRONIZE CACHE (10) / READ
    // CAPACITY (10); byte 1 of READ/WRITE (10) is laid out as RW_FLAGS.
    /// Bytes 2-5: LOGICAL BLOCK ADDRESS (obsolete in READ CAPACITY (10)).
    pub const LBA10: Field = 2..6;
    /// Byte 6: GROUP NUMBER (4-0).
    pub const GROUP10: usize = 6;
    /// Bytes 7-8: TRANSFER LENGTH; NUMBER OF LOGICAL BLOCKS in SYNCHRONIZE
    /// CACHE (10).
    pub const LENGTH10: Field = 7..9;
    /// Byte 9: CONTROL.
    pub const CONTROL10: Field = 9..10;
    /// Ten-byte CDBs.
    pub const CDB10_LEN: usize = 10;

    /// SYNCHRONIZE CACHE (10) and (16) byte 1: IMMED (1); bit 2 is the
    /// obsolete SYNC_NV.
    pub const SC_FLAGS: usize = 1;

    // READ CAPACITY (10) parameter data.
    /// Bytes 0-3: RETURNED LOGICAL BLOCK ADDRESS.
    pub const RC10_RETURNED_LBA: Field = 0..4;
    /// Bytes 4-7: LOGICAL BLOCK LENGTH IN BYTES.
    pub const RC10_BLOCK_LENGTH: Field = 4..8;
    /// The parameter data is 8 bytes.
    pub const RC10_LEN: usize = 8;

    // Short LBA mode parameter block descriptor.
    /// Bytes 0-3: NUMBER OF LOGICAL BLOCKS.
    pub const BD_NUMBER_OF_BLOCKS: Field = 0..4;
    /// Bytes 5-7: LOGICAL BLOCK LENGTH (byte 4 reserved).
    pub const BD_BLOCK_LENGTH: Field = 5..8;
    /// The descriptor is 8 bytes.
    pub const BD_LEN: usize = 8;

    // Caching mode page (page_0 format).
    /// Byte 0: PS (7), SPF (6), PAGE CODE (5-0).
    pub const CP_CODE: usize = 0;
    /// Byte 1: PAGE LENGTH.
    pub const CP_PAGE_LENGTH: Field = 1..2;
    /// Byte 2: IC (7), ABPF (6), CAP (5), DISC (4), SIZE (3), WCE (2),
    /// MF (1), RCD (0).
    pub const CP_FLAGS: usize = 2;
    /// Byte 3: DEMAND READ RETENTION PRIORITY (7-4), WRITE RETENTION
    /// PRIORITY (3-0).
    pub const CP_RETENTION: usize = 3;
    /// Bytes 4-5: DISABLE PRE-FETCH TRANSFER LENGTH.
    pub const CP_DISABLE_PREFETCH: Field = 4..6;
    /// Bytes 6-7: MINIMUM PRE-FETCH.
    pub const CP_MINIMUM_PREFETCH: Field = 6..8;
    /// Bytes 8-9: MAXIMUM PRE-FETCH.
    pub const CP_MAXIMUM_PREFETCH: Field = 8..10;
    /// Bytes 10-11: MAXIMUM PRE-FETCH CEILING.
    pub const CP_PREFETCH_CEILING: Field = 10..12;
    /// Byte 12: FSW (7), LBCSS (6), DRA (5), vendor specific (4-3),
    /// SYNC_PROG (2-1), NV_DIS (0).
    pub const CP_FLAGS2: usize = 12;
    /// Byte 13: NUMBER OF CACHE SEGMENTS.
    pub const CP_CACHE_SEGMENTS: Field = 13..14;
    /// Bytes 14-15: CACHE SEGMENT SIZE (16 reserved, 17-19 obsolete).
    pub const CP_CACHE_SEGMENT_SIZE: Field = 14..16;
    /// The page is 20 bytes, its two-byte header included.
    pub const CP_LEN: usize = 20;

    // READ CAPACITY (16) CDB: SERVICE ACTION IN (16).
    /// Byte 1: SERVICE ACTION (4-0).
    pub const SA: usize = 1;
    /// Bytes 10-13: ALLOCATION LENGTH.
    pub const RC_ALLOCATION_LENGTH: Field = 10..14;

    // READ CAPACITY (16) parameter data.
    /// Bytes 0-7: RETURNED LOGICAL BLOCK ADDRESS.
    pub const RC_RETURNED_LBA: Field = 0..8;
    /// Bytes 8-11: LOGICAL BLOCK LENGTH IN BYTES.
    pub const RC_BLOCK_LENGTH: Field = 8..12;
    /// Byte 12: P_TYPE (3-1), PROT_EN (0).
    pub const RC_PROT: usize = 12;
    /// Byte 13: P_I_EXPONENT (7-4), LOGICAL BLOCKS PER PHYSICAL BLOCK
    /// EXPONENT (3-0).
    pub const RC_EXPONENTS: usize = 13;
    /// Byte 14: LBPME (7), LBPRZ (6); bytes 14-15 LOWEST ALIGNED LOGICAL
    /// BLOCK ADDRESS (13-0).
    pub const RC_LBP: usize = 14;
    /// Bytes 14-15, with the top two bits masked off.
    pub const RC_LOWEST_ALIGNED: Field = 14..16;
    /// The parameter data is 32 bytes (16-31 reserved).
    pub const RC_LEN: usize = 32;

    // Six-byte TEST UNIT READY / REQUEST SENSE.
    /// REQUEST SENSE byte 1: DESC (0).
    pub const RS_FLAGS: usize = 1;
    /// REQUEST SENSE byte 4: ALLOCATION LENGTH.
    pub const RS_ALLOCATION_LENGTH: Field = 4..5;
    /// Byte 5: CONTROL.
    pub const CONTROL6: Field = 5..6;
    /// Six-byte CDBs.
    pub const CDB6_LEN: usize = 6;
}

fn wrong_opcode(what: &'static str, value: u8) -> WireError {
    WireError::InvalidField {
        what,
        field: "OPERATION CODE",
        value: u64::from(value),
    }
}

fn check_bits(what: &'static str, field: &'static str, value: u8, bits: u32) -> Result<()> {
    if u32::from(value) >> bits != 0 {
        Err(WireError::Overflow {
            what,
            field,
            value: u64::from(value),
        })
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// READ (16) / WRITE (16)
// ---------------------------------------------------------------------------

view!(
    /// READ (16) or WRITE (16) CDB.
    ReadWrite16CdbView,
    "READ/WRITE (16) CDB",
    field::CDB16_LEN
);

be_fields!(ReadWrite16CdbView {
    /// OPERATION CODE.
    opcode, set_opcode: u8 = field::OPCODE;
    /// LOGICAL BLOCK ADDRESS.
    lba, set_lba: u64 = field::RW_LBA;
    /// TRANSFER LENGTH in logical blocks.
    transfer_length, set_transfer_length: u32 = field::RW_TRANSFER_LENGTH;
    /// CONTROL.
    control, set_control: u8 = field::CONTROL16;
});

bit_fields!(ReadWrite16CdbView {
    /// RDPROTECT (READ) or WRPROTECT (WRITE).
    protect, set_protect: field::RW_FLAGS, 5, 3;
    /// GROUP NUMBER.
    group_number, set_group_number: field::RW_GROUP, 0, 5;
});

flag_fields!(ReadWrite16CdbView {
    /// DPO: disable page out.
    dpo, set_dpo: field::RW_FLAGS, 4;
    /// FUA: force unit access.
    fua, set_fua: field::RW_FLAGS, 3;
    /// RARC: rebuild assist recovery control (READ only).
    rarc, set_rarc: field::RW_FLAGS, 2;
});

/// Fields READ (16) and WRITE (16) share.
struct Rw16 {
    protect: u8,
    dpo: bool,
    fua: bool,
    rarc: bool,
    lba: u64,
    transfer_length: u32,
    group_number: u8,
    control: u8,
}

impl Rw16 {
    fn parse(buf: &[u8], opcode: u8, what: &'static str) -> Result<Self> {
        let v = ReadWrite16CdbView::new_checked(buf)?;
        if v.opcode() != opcode {
            return Err(wrong_opcode(what, v.opcode()));
        }
        Ok(Self {
            protect: v.protect(),
            dpo: v.dpo(),
            fua: v.fua(),
            rarc: v.rarc(),
            lba: v.lba(),
            transfer_length: v.transfer_length(),
            group_number: v.group_number(),
            control: v.control(),
        })
    }

    fn emit(
        &self,
        buf: &mut [u8],
        opcode: u8,
        what: &'static str,
        protect: &'static str,
    ) -> Result<()> {
        check_out(what, buf, field::CDB16_LEN)?;
        check_bits(what, protect, self.protect, 3)?;
        check_bits(what, "GROUP NUMBER", self.group_number, 5)?;
        let out = &mut buf[..field::CDB16_LEN];
        out.fill(0);
        let mut v = ReadWrite16CdbView::new_unchecked(out);
        v.set_opcode(opcode);
        v.set_protect(self.protect);
        v.set_dpo(self.dpo);
        v.set_fua(self.fua);
        v.set_rarc(self.rarc);
        v.set_lba(self.lba);
        v.set_transfer_length(self.transfer_length);
        v.set_group_number(self.group_number);
        v.set_control(self.control);
        Ok(())
    }
}

/// READ (16) (SBC-3 r36, table "READ (16) command").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Read16Cdb {
    /// LOGICAL BLOCK ADDRESS of the first block.
    pub lba: u64,
    /// TRANSFER LENGTH in logical blocks (0: none).
    pub transfer_length: u32,
    /// RDPROTECT (three bits).
    pub rdprotect: u8,
    /// DPO.
    pub dpo: bool,
    /// FUA.
    pub fua: bool,
    /// RARC.
    pub rarc: bool,
    /// GROUP NUMBER (five bits).
    pub group_number: u8,
    /// CONTROL.
    pub control: u8,
}

impl Read16Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x88;
    const WHAT: &'static str = "READ (16) CDB";

    /// Reads `transfer_length` blocks from `lba`; every flag clear.
    pub fn new(lba: u64, transfer_length: u32) -> Self {
        Self {
            lba,
            transfer_length,
            rdprotect: 0,
            dpo: false,
            fua: false,
            rarc: false,
            group_number: 0,
            control: 0,
        }
    }

    /// Sets FUA.
    pub fn fua(mut self, fua: bool) -> Self {
        self.fua = fua;
        self
    }

    /// Sets DPO.
    pub fn dpo(mut self, dpo: bool) -> Self {
        self.dpo = dpo;
        self
    }

    /// Sets the GROUP NUMBER.
    pub fn group_number(mut self, group: u8) -> Self {
        self.group_number = group;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }

    /// One past the last block read; `None` if the sum overflows.
    pub fn end_lba(&self) -> Option<u64> {
        self.lba.checked_add(u64::from(self.transfer_length))
    }
}

impl Repr for Read16Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let r = Rw16::parse(buf, Self::OPCODE, Self::WHAT)?;
        Ok(Self {
            lba: r.lba,
            transfer_length: r.transfer_length,
            rdprotect: r.protect,
            dpo: r.dpo,
            fua: r.fua,
            rarc: r.rarc,
            group_number: r.group_number,
            control: r.control,
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB16_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        Rw16 {
            protect: self.rdprotect,
            dpo: self.dpo,
            fua: self.fua,
            rarc: self.rarc,
            lba: self.lba,
            transfer_length: self.transfer_length,
            group_number: self.group_number,
            control: self.control,
        }
        .emit(buf, Self::OPCODE, Self::WHAT, "RDPROTECT")
    }
}

/// WRITE (16) (SBC-3 r36, table "WRITE (16) command").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Write16Cdb {
    /// LOGICAL BLOCK ADDRESS of the first block.
    pub lba: u64,
    /// TRANSFER LENGTH in logical blocks (0: none).
    pub transfer_length: u32,
    /// WRPROTECT (three bits).
    pub wrprotect: u8,
    /// DPO.
    pub dpo: bool,
    /// FUA.
    pub fua: bool,
    /// GROUP NUMBER (five bits).
    pub group_number: u8,
    /// CONTROL.
    pub control: u8,
}

impl Write16Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x8a;
    const WHAT: &'static str = "WRITE (16) CDB";

    /// Writes `transfer_length` blocks at `lba`; every flag clear.
    pub fn new(lba: u64, transfer_length: u32) -> Self {
        Self {
            lba,
            transfer_length,
            wrprotect: 0,
            dpo: false,
            fua: false,
            group_number: 0,
            control: 0,
        }
    }

    /// Sets FUA.
    pub fn fua(mut self, fua: bool) -> Self {
        self.fua = fua;
        self
    }

    /// Sets DPO.
    pub fn dpo(mut self, dpo: bool) -> Self {
        self.dpo = dpo;
        self
    }

    /// Sets the GROUP NUMBER.
    pub fn group_number(mut self, group: u8) -> Self {
        self.group_number = group;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }

    /// One past the last block written; `None` if the sum overflows.
    pub fn end_lba(&self) -> Option<u64> {
        self.lba.checked_add(u64::from(self.transfer_length))
    }
}

impl Repr for Write16Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let r = Rw16::parse(buf, Self::OPCODE, Self::WHAT)?;
        Ok(Self {
            lba: r.lba,
            transfer_length: r.transfer_length,
            wrprotect: r.protect,
            dpo: r.dpo,
            fua: r.fua,
            group_number: r.group_number,
            control: r.control,
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB16_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        Rw16 {
            protect: self.wrprotect,
            dpo: self.dpo,
            fua: self.fua,
            rarc: false,
            lba: self.lba,
            transfer_length: self.transfer_length,
            group_number: self.group_number,
            control: self.control,
        }
        .emit(buf, Self::OPCODE, Self::WHAT, "WRPROTECT")
    }
}

// ---------------------------------------------------------------------------
// READ (10) / WRITE (10)
// ---------------------------------------------------------------------------

view!(
    /// READ (10) or WRITE (10) CDB.
    ReadWrite10CdbView,
    "READ/WRITE (10) CDB",
    field::CDB10_LEN
);

be_fields!(ReadWrite10CdbView {
    /// OPERATION CODE.
    opcode, set_opcode: u8 = field::OPCODE;
    /// LOGICAL BLOCK ADDRESS.
    lba, set_lba: u32 = field::LBA10;
    /// TRANSFER LENGTH in logical blocks.
    transfer_length, set_transfer_length: u16 = field::LENGTH10;
    /// CONTROL.
    control, set_control: u8 = field::CONTROL10;
});

bit_fields!(ReadWrite10CdbView {
    /// RDPROTECT (READ) or WRPROTECT (WRITE).
    protect, set_protect: field::RW_FLAGS, 5, 3;
    /// GROUP NUMBER.
    group_number, set_group_number: field::GROUP10, 0, 5;
});

flag_fields!(ReadWrite10CdbView {
    /// DPO: disable page out.
    dpo, set_dpo: field::RW_FLAGS, 4;
    /// FUA: force unit access.
    fua, set_fua: field::RW_FLAGS, 3;
    /// RARC: rebuild assist recovery control (READ only).
    rarc, set_rarc: field::RW_FLAGS, 2;
});

/// Fields READ (10) and WRITE (10) share.
struct Rw10 {
    protect: u8,
    dpo: bool,
    fua: bool,
    rarc: bool,
    lba: u32,
    transfer_length: u16,
    group_number: u8,
    control: u8,
}

impl Rw10 {
    fn parse(buf: &[u8], opcode: u8, what: &'static str) -> Result<Self> {
        let v = ReadWrite10CdbView::new_checked(buf)?;
        if v.opcode() != opcode {
            return Err(wrong_opcode(what, v.opcode()));
        }
        Ok(Self {
            protect: v.protect(),
            dpo: v.dpo(),
            fua: v.fua(),
            rarc: v.rarc(),
            lba: v.lba(),
            transfer_length: v.transfer_length(),
            group_number: v.group_number(),
            control: v.control(),
        })
    }

    fn emit(
        &self,
        buf: &mut [u8],
        opcode: u8,
        what: &'static str,
        protect: &'static str,
    ) -> Result<()> {
        check_out(what, buf, field::CDB10_LEN)?;
        check_bits(what, protect, self.protect, 3)?;
        check_bits(what, "GROUP NUMBER", self.group_number, 5)?;
        let out = &mut buf[..field::CDB10_LEN];
        out.fill(0);
        let mut v = ReadWrite10CdbView::new_unchecked(out);
        v.set_opcode(opcode);
        v.set_protect(self.protect);
        v.set_dpo(self.dpo);
        v.set_fua(self.fua);
        v.set_rarc(self.rarc);
        v.set_lba(self.lba);
        v.set_transfer_length(self.transfer_length);
        v.set_group_number(self.group_number);
        v.set_control(self.control);
        Ok(())
    }
}

/// The narrowing of a sixteen-byte LBA or length into a ten-byte CDB.
fn narrow<T: TryFrom<u64>>(what: &'static str, field: &'static str, value: u64) -> Result<T> {
    T::try_from(value).map_err(|_| WireError::Overflow { what, field, value })
}

/// READ (10) (SBC-3 r36, table "READ (10) command"). Widens into a
/// [`Read16Cdb`] with `From`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Read10Cdb {
    /// LOGICAL BLOCK ADDRESS of the first block.
    pub lba: u32,
    /// TRANSFER LENGTH in logical blocks (0: none).
    pub transfer_length: u16,
    /// RDPROTECT (three bits).
    pub rdprotect: u8,
    /// DPO.
    pub dpo: bool,
    /// FUA.
    pub fua: bool,
    /// RARC.
    pub rarc: bool,
    /// GROUP NUMBER (five bits).
    pub group_number: u8,
    /// CONTROL.
    pub control: u8,
}

impl Read10Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x28;
    const WHAT: &'static str = "READ (10) CDB";

    /// Reads `transfer_length` blocks from `lba`; every flag clear.
    pub fn new(lba: u32, transfer_length: u16) -> Self {
        Self {
            lba,
            transfer_length,
            rdprotect: 0,
            dpo: false,
            fua: false,
            rarc: false,
            group_number: 0,
            control: 0,
        }
    }

    /// Sets FUA.
    pub fn fua(mut self, fua: bool) -> Self {
        self.fua = fua;
        self
    }

    /// Sets DPO.
    pub fn dpo(mut self, dpo: bool) -> Self {
        self.dpo = dpo;
        self
    }

    /// Sets the GROUP NUMBER.
    pub fn group_number(mut self, group: u8) -> Self {
        self.group_number = group;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }

    /// One past the last block read (a 32-bit LBA plus a 16-bit length
    /// cannot overflow 64 bits).
    pub fn end_lba(&self) -> u64 {
        u64::from(self.lba) + u64::from(self.transfer_length)
    }
}

impl From<Read10Cdb> for Read16Cdb {
    fn from(c: Read10Cdb) -> Self {
        Self {
            lba: c.lba.into(),
            transfer_length: c.transfer_length.into(),
            rdprotect: c.rdprotect,
            dpo: c.dpo,
            fua: c.fua,
            rarc: c.rarc,
            group_number: c.group_number,
            control: c.control,
        }
    }
}

impl TryFrom<Read16Cdb> for Read10Cdb {
    type Error = WireError;

    /// `Overflow` when the LBA does not fit 32 bits or the TRANSFER LENGTH
    /// 16.
    fn try_from(c: Read16Cdb) -> Result<Self> {
        Ok(Self {
            lba: narrow(Self::WHAT, "LOGICAL BLOCK ADDRESS", c.lba)?,
            transfer_length: narrow(Self::WHAT, "TRANSFER LENGTH", c.transfer_length.into())?,
            rdprotect: c.rdprotect,
            dpo: c.dpo,
            fua: c.fua,
            rarc: c.rarc,
            group_number: c.group_number,
            control: c.control,
        })
    }
}

impl Repr for Read10Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let r = Rw10::parse(buf, Self::OPCODE, Self::WHAT)?;
        Ok(Self {
            lba: r.lba,
            transfer_length: r.transfer_length,
            rdprotect: r.protect,
            dpo: r.dpo,
            fua: r.fua,
            rarc: r.rarc,
            group_number: r.group_number,
            control: r.control,
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB10_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        Rw10 {
            protect: self.rdprotect,
            dpo: self.dpo,
            fua: self.fua,
            rarc: self.rarc,
            lba: self.lba,
            transfer_length: self.transfer_length,
            group_number: self.group_number,
            control: self.control,
        }
        .emit(buf, Self::OPCODE, Self::WHAT, "RDPROTECT")
    }
}

/// WRITE (10) (SBC-3 r36, table "WRITE (10) command"). Widens into a
/// [`Write16Cdb`] with `From`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Write10Cdb {
    /// LOGICAL BLOCK ADDRESS of the first block.
    pub lba: u32,
    /// TRANSFER LENGTH in logical blocks (0: none).
    pub transfer_length: u16,
    /// WRPROTECT (three bits).
    pub wrprotect: u8,
    /// DPO.
    pub dpo: bool,
    /// FUA.
    pub fua: bool,
    /// GROUP NUMBER (five bits).
    pub group_number: u8,
    /// CONTROL.
    pub control: u8,
}

impl Write10Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x2a;
    const WHAT: &'static str = "WRITE (10) CDB";

    /// Writes `transfer_length` blocks at `lba`; every flag clear.
    pub fn new(lba: u32, transfer_length: u16) -> Self {
        Self {
            lba,
            transfer_length,
            wrprotect: 0,
            dpo: false,
            fua: false,
            group_number: 0,
            control: 0,
        }
    }

    /// Sets FUA.
    pub fn fua(mut self, fua: bool) -> Self {
        self.fua = fua;
        self
    }

    /// Sets DPO.
    pub fn dpo(mut self, dpo: bool) -> Self {
        self.dpo = dpo;
        self
    }

    /// Sets the GROUP NUMBER.
    pub fn group_number(mut self, group: u8) -> Self {
        self.group_number = group;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }

    /// One past the last block written (cannot overflow 64 bits).
    pub fn end_lba(&self) -> u64 {
        u64::from(self.lba) + u64::from(self.transfer_length)
    }
}

impl From<Write10Cdb> for Write16Cdb {
    fn from(c: Write10Cdb) -> Self {
        Self {
            lba: c.lba.into(),
            transfer_length: c.transfer_length.into(),
            wrprotect: c.wrprotect,
            dpo: c.dpo,
            fua: c.fua,
            group_number: c.group_number,
            control: c.control,
        }
    }
}

impl TryFrom<Write16Cdb> for Write10Cdb {
    type Error = WireError;

    /// `Overflow` when the LBA does not fit 32 bits or the TRANSFER LENGTH
    /// 16.
    fn try_from(c: Write16Cdb) -> Result<Self> {
        Ok(Self {
            lba: narrow(Self::WHAT, "LOGICAL BLOCK ADDRESS", c.lba)?,
            transfer_length: narrow(Self::WHAT, "TRANSFER LENGTH", c.transfer_length.into())?,
            wrprotect: c.wrprotect,
            dpo: c.dpo,
            fua: c.fua,
            group_number: c.group_number,
            control: c.control,
        })
    }
}

impl Repr for Write10Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let r = Rw10::parse(buf, Self::OPCODE, Self::WHAT)?;
        Ok(Self {
            lba: r.lba,
            transfer_length: r.transfer_length,
            wrprotect: r.protect,
            dpo: r.dpo,
            fua: r.fua,
            group_number: r.group_number,
            control: r.control,
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB10_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        Rw10 {
            protect: self.wrprotect,
            dpo: self.dpo,
            fua: self.fua,
            rarc: false,
            lba: self.lba,
            transfer_length: self.transfer_length,
            group_number: self.group_number,
            control: self.control,
        }
        .emit(buf, Self::OPCODE, Self::WHAT, "WRPROTECT")
    }
}

// ---------------------------------------------------------------------------
// READ CAPACITY (16)
// ---------------------------------------------------------------------------

view!(
    /// READ CAPACITY (16) CDB.
    ReadCapacity16CdbView,
    "READ CAPACITY (16) CDB",
    field::CDB16_LEN
);

be_fields!(ReadCapacity16CdbView {
    /// OPERATION CODE (9Eh).
    opcode, set_opcode: u8 = field::OPCODE;
    /// ALLOCATION LENGTH.
    allocation_length, set_allocation_length: u32 = field::RC_ALLOCATION_LENGTH;
    /// CONTROL.
    control, set_control: u8 = field::CONTROL16;
});

bit_fields!(ReadCapacity16CdbView {
    /// SERVICE ACTION (10h).
    service_action, set_service_action: field::SA, 0, 5;
});

/// READ CAPACITY (16): SERVICE ACTION IN (16) with service action 10h
/// (SBC-3 r36, table "READ CAPACITY (16) command").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadCapacity16Cdb {
    /// ALLOCATION LENGTH (32 gets everything).
    pub allocation_length: u32,
    /// CONTROL.
    pub control: u8,
}

impl ReadCapacity16Cdb {
    /// OPERATION CODE (SERVICE ACTION IN (16)).
    pub const OPCODE: u8 = 0x9e;
    /// SERVICE ACTION.
    pub const SERVICE_ACTION: u8 = 0x10;
    const WHAT: &'static str = "READ CAPACITY (16) CDB";

    /// READ CAPACITY (16) with `allocation_length`.
    pub fn new(allocation_length: u32) -> Self {
        Self {
            allocation_length,
            control: 0,
        }
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for ReadCapacity16Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ReadCapacity16CdbView::new_checked(buf)?;
        if v.opcode() != Self::OPCODE {
            return Err(wrong_opcode(Self::WHAT, v.opcode()));
        }
        if v.service_action() != Self::SERVICE_ACTION {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "SERVICE ACTION",
                value: u64::from(v.service_action()),
            });
        }
        Ok(Self {
            allocation_length: v.allocation_length(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB16_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out(Self::WHAT, buf, field::CDB16_LEN)?;
        let out = &mut buf[..field::CDB16_LEN];
        out.fill(0);
        let mut v = ReadCapacity16CdbView::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_service_action(Self::SERVICE_ACTION);
        v.set_allocation_length(self.allocation_length);
        v.set_control(self.control);
        Ok(())
    }
}

view!(
    /// READ CAPACITY (16) parameter data.
    ReadCapacity16View,
    "READ CAPACITY (16) parameter data",
    field::RC_LEN
);

be_fields!(ReadCapacity16View {
    /// RETURNED LOGICAL BLOCK ADDRESS (the last LBA).
    returned_lba, set_returned_lba: u64 = field::RC_RETURNED_LBA;
    /// LOGICAL BLOCK LENGTH IN BYTES.
    block_length, set_block_length: u32 = field::RC_BLOCK_LENGTH;
    /// Bytes 14-15 whole (LBPME, LBPRZ, LOWEST ALIGNED LOGICAL BLOCK ADDRESS).
    lbp_word, set_lbp_word: u16 = field::RC_LOWEST_ALIGNED;
});

bit_fields!(ReadCapacity16View {
    /// P_TYPE.
    p_type, set_p_type: field::RC_PROT, 1, 3;
    /// P_I_EXPONENT.
    p_i_exponent, set_p_i_exponent: field::RC_EXPONENTS, 4, 4;
    /// LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT.
    lbppbe, set_lbppbe: field::RC_EXPONENTS, 0, 4;
});

flag_fields!(ReadCapacity16View {
    /// PROT_EN.
    prot_en, set_prot_en: field::RC_PROT, 0;
    /// LBPME: logical block provisioning management enabled.
    lbpme, set_lbpme: field::RC_LBP, 7;
    /// LBPRZ: unmapped blocks read as zero.
    lbprz, set_lbprz: field::RC_LBP, 6;
});

/// The LOWEST ALIGNED LOGICAL BLOCK ADDRESS is 14 bits.
const LOWEST_ALIGNED_MASK: u16 = 0x3fff;

/// READ CAPACITY (16) parameter data (SBC-3 r36, table "READ CAPACITY (16)
/// parameter data").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadCapacity16 {
    /// RETURNED LOGICAL BLOCK ADDRESS: the last addressable LBA.
    pub returned_lba: u64,
    /// LOGICAL BLOCK LENGTH IN BYTES (nonzero).
    pub block_length: u32,
    /// P_TYPE (three bits): protection type when PROT_EN.
    pub p_type: u8,
    /// PROT_EN: protection information enabled.
    pub prot_en: bool,
    /// P_I_EXPONENT (four bits).
    pub p_i_exponent: u8,
    /// LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (four bits).
    pub lbppbe: u8,
    /// LBPME.
    pub lbpme: bool,
    /// LBPRZ.
    pub lbprz: bool,
    /// LOWEST ALIGNED LOGICAL BLOCK ADDRESS (14 bits).
    pub lowest_aligned_lba: u16,
}

impl ReadCapacity16 {
    const WHAT: &'static str = "READ CAPACITY (16) parameter data";

    /// A LUN of `blocks` blocks of `block_length` bytes (blocks ≥ 1), every
    /// other field zero. `None` for zero blocks.
    pub fn new(blocks: u64, block_length: u32) -> Option<Self> {
        Some(Self {
            returned_lba: blocks.checked_sub(1)?,
            block_length,
            p_type: 0,
            prot_en: false,
            p_i_exponent: 0,
            lbppbe: 0,
            lbpme: false,
            lbprz: false,
            lowest_aligned_lba: 0,
        })
    }

    /// Number of logical blocks (RETURNED LOGICAL BLOCK ADDRESS + 1); `None`
    /// when the device reports 2^64 − 1 as its last LBA.
    pub fn capacity_blocks(&self) -> Option<u64> {
        self.returned_lba.checked_add(1)
    }

    /// Capacity in bytes; `None` on overflow.
    pub fn capacity_bytes(&self) -> Option<u64> {
        self.capacity_blocks()?
            .checked_mul(u64::from(self.block_length))
    }

    /// Physical block length in bytes (logical block length shifted by the
    /// exponent); `None` on overflow.
    pub fn physical_block_length(&self) -> Option<u32> {
        self.block_length
            .checked_shl(u32::from(self.lbppbe))
            .filter(|p| p >> u32::from(self.lbppbe) == self.block_length)
    }
}

impl Repr for ReadCapacity16 {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ReadCapacity16View::new_checked(buf)?;
        if v.block_length() == 0 {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "LOGICAL BLOCK LENGTH IN BYTES",
                value: 0,
            });
        }
        Ok(Self {
            returned_lba: v.returned_lba(),
            block_length: v.block_length(),
            p_type: v.p_type(),
            prot_en: v.prot_en(),
            p_i_exponent: v.p_i_exponent(),
            lbppbe: v.lbppbe(),
            lbpme: v.lbpme(),
            lbprz: v.lbprz(),
            lowest_aligned_lba: v.lbp_word() & LOWEST_ALIGNED_MASK,
        })
    }

    fn buffer_len(&self) -> usize {
        field::RC_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out(Self::WHAT, buf, field::RC_LEN)?;
        check_bits(Self::WHAT, "P_TYPE", self.p_type, 3)?;
        check_bits(Self::WHAT, "P_I_EXPONENT", self.p_i_exponent, 4)?;
        check_bits(
            Self::WHAT,
            "LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT",
            self.lbppbe,
            4,
        )?;
        if self.lowest_aligned_lba & !LOWEST_ALIGNED_MASK != 0 {
            return Err(WireError::Overflow {
                what: Self::WHAT,
                field: "LOWEST ALIGNED LOGICAL BLOCK ADDRESS",
                value: u64::from(self.lowest_aligned_lba),
            });
        }
        if self.block_length == 0 {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "LOGICAL BLOCK LENGTH IN BYTES",
                value: 0,
            });
        }
        let out = &mut buf[..field::RC_LEN];
        out.fill(0);
        let mut v = ReadCapacity16View::new_unchecked(out);
        v.set_returned_lba(self.returned_lba);
        v.set_block_length(self.block_length);
        v.set_p_type(self.p_type);
        v.set_prot_en(self.prot_en);
        v.set_p_i_exponent(self.p_i_exponent);
        v.set_lbppbe(self.lbppbe);
        v.set_lbp_word(self.lowest_aligned_lba);
        v.set_lbpme(self.lbpme);
        v.set_lbprz(self.lbprz);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// READ CAPACITY (10)
// ---------------------------------------------------------------------------

view!(
    /// READ CAPACITY (10) CDB.
    ReadCapacity10CdbView,
    "READ CAPACITY (10) CDB",
    field::CDB10_LEN
);

be_fields!(ReadCapacity10CdbView {
    /// OPERATION CODE (25h).
    opcode, set_opcode: u8 = field::OPCODE;
    /// CONTROL.
    control, set_control: u8 = field::CONTROL10;
});

/// READ CAPACITY (10) (SBC-3 r36, table "READ CAPACITY (10) command"). The
/// obsolete LOGICAL BLOCK ADDRESS and PMI are ignored on parse and emitted
/// as zero: the answer is always the last LBA of the medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReadCapacity10Cdb {
    /// CONTROL.
    pub control: u8,
}

impl ReadCapacity10Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x25;
    const WHAT: &'static str = "READ CAPACITY (10) CDB";

    /// READ CAPACITY (10) with CONTROL zero (the answer is always 8 bytes;
    /// the CDB has no allocation length).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for ReadCapacity10Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ReadCapacity10CdbView::new_checked(buf)?;
        if v.opcode() != Self::OPCODE {
            return Err(wrong_opcode(Self::WHAT, v.opcode()));
        }
        Ok(Self {
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB10_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out(Self::WHAT, buf, field::CDB10_LEN)?;
        let out = &mut buf[..field::CDB10_LEN];
        out.fill(0);
        let mut v = ReadCapacity10CdbView::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_control(self.control);
        Ok(())
    }
}

view!(
    /// READ CAPACITY (10) parameter data.
    ReadCapacity10View,
    "READ CAPACITY (10) parameter data",
    field::RC10_LEN
);

be_fields!(ReadCapacity10View {
    /// RETURNED LOGICAL BLOCK ADDRESS (the last LBA, or FFFFFFFFh).
    returned_lba, set_returned_lba: u32 = field::RC10_RETURNED_LBA;
    /// LOGICAL BLOCK LENGTH IN BYTES.
    block_length, set_block_length: u32 = field::RC10_BLOCK_LENGTH;
});

/// READ CAPACITY (10) parameter data (SBC-3 r36, table "READ CAPACITY (10)
/// parameter data").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadCapacity10 {
    /// RETURNED LOGICAL BLOCK ADDRESS: the last addressable LBA, or
    /// [`ReadCapacity10::USE_READ_CAPACITY_16`] when it does not fit.
    pub returned_lba: u32,
    /// LOGICAL BLOCK LENGTH IN BYTES (nonzero).
    pub block_length: u32,
}

impl ReadCapacity10 {
    /// The RETURNED LOGICAL BLOCK ADDRESS that says the last LBA does not
    /// fit four bytes: ask READ CAPACITY (16).
    pub const USE_READ_CAPACITY_16: u32 = 0xffff_ffff;
    const WHAT: &'static str = "READ CAPACITY (10) parameter data";

    /// A LUN of `blocks` blocks of `block_length` bytes: the last LBA, or
    /// FFFFFFFFh when it is FFFFFFFFh or more. `None` for zero blocks.
    pub fn new(blocks: u64, block_length: u32) -> Option<Self> {
        let last = blocks.checked_sub(1)?;
        Some(Self {
            returned_lba: u32::try_from(last).unwrap_or(Self::USE_READ_CAPACITY_16),
            block_length,
        })
    }

    /// Whether the answer sends the initiator to READ CAPACITY (16).
    pub fn needs_read_capacity16(&self) -> bool {
        self.returned_lba == Self::USE_READ_CAPACITY_16
    }

    /// Number of logical blocks; `None` when the answer is FFFFFFFFh (the
    /// capacity is only known from READ CAPACITY (16)).
    pub fn capacity_blocks(&self) -> Option<u64> {
        (!self.needs_read_capacity16()).then(|| u64::from(self.returned_lba) + 1)
    }

    fn check_block_length(block_length: u32) -> Result<()> {
        if block_length == 0 {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "LOGICAL BLOCK LENGTH IN BYTES",
                value: 0,
            });
        }
        Ok(())
    }
}

impl Repr for ReadCapacity10 {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ReadCapacity10View::new_checked(buf)?;
        Self::check_block_length(v.block_length())?;
        Ok(Self {
            returned_lba: v.returned_lba(),
            block_length: v.block_length(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::RC10_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out(Self::WHAT, buf, field::RC10_LEN)?;
        Self::check_block_length(self.block_length)?;
        let mut v = ReadCapacity10View::new_unchecked(&mut buf[..field::RC10_LEN]);
        v.set_returned_lba(self.returned_lba);
        v.set_block_length(self.block_length);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// SYNCHRONIZE CACHE (10) / (16)
// ---------------------------------------------------------------------------

view!(
    /// SYNCHRONIZE CACHE (10) CDB.
    SynchronizeCache10CdbView,
    "SYNCHRONIZE CACHE (10) CDB",
    field::CDB10_LEN
);

be_fields!(SynchronizeCache10CdbView {
    /// OPERATION CODE (35h).
    opcode, set_opcode: u8 = field::OPCODE;
    /// LOGICAL BLOCK ADDRESS.
    lba, set_lba: u32 = field::LBA10;
    /// NUMBER OF LOGICAL BLOCKS.
    number_of_logical_blocks, set_number_of_logical_blocks: u16 = field::LENGTH10;
    /// CONTROL.
    control, set_control: u8 = field::CONTROL10;
});

bit_fields!(SynchronizeCache10CdbView {
    /// GROUP NUMBER.
    group_number, set_group_number: field::GROUP10, 0, 5;
});

flag_fields!(SynchronizeCache10CdbView {
    /// IMMED: GOOD may come before the blocks are on the medium.
    immed, set_immed: field::SC_FLAGS, 1;
});

view!(
    /// SYNCHRONIZE CACHE (16) CDB.
    SynchronizeCache16CdbView,
    "SYNCHRONIZE CACHE (16) CDB",
    field::CDB16_LEN
);

be_fields!(SynchronizeCache16CdbView {
    /// OPERATION CODE (91h).
    opcode, set_opcode: u8 = field::OPCODE;
    /// LOGICAL BLOCK ADDRESS.
    lba, set_lba: u64 = field::RW_LBA;
    /// NUMBER OF LOGICAL BLOCKS.
    number_of_logical_blocks, set_number_of_logical_blocks: u32 = field::RW_TRANSFER_LENGTH;
    /// CONTROL.
    control, set_control: u8 = field::CONTROL16;
});

bit_fields!(SynchronizeCache16CdbView {
    /// GROUP NUMBER.
    group_number, set_group_number: field::RW_GROUP, 0, 5;
});

flag_fields!(SynchronizeCache16CdbView {
    /// IMMED: GOOD may come before the blocks are on the medium.
    immed, set_immed: field::SC_FLAGS, 1;
});

/// SYNCHRONIZE CACHE (10) (SBC-3 r36, table "SYNCHRONIZE CACHE (10)
/// command"). Widens into a [`SynchronizeCache16Cdb`] with `From`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SynchronizeCache10Cdb {
    /// IMMED.
    pub immed: bool,
    /// LOGICAL BLOCK ADDRESS of the first block.
    pub lba: u32,
    /// NUMBER OF LOGICAL BLOCKS (0: from `lba` to the last block).
    pub number_of_logical_blocks: u16,
    /// GROUP NUMBER (five bits).
    pub group_number: u8,
    /// CONTROL.
    pub control: u8,
}

impl SynchronizeCache10Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x35;
    const WHAT: &'static str = "SYNCHRONIZE CACHE (10) CDB";

    /// Synchronizes `blocks` blocks from `lba` (0: to the last block);
    /// IMMED clear.
    pub fn new(lba: u32, blocks: u16) -> Self {
        Self {
            immed: false,
            lba,
            number_of_logical_blocks: blocks,
            group_number: 0,
            control: 0,
        }
    }

    /// Sets IMMED.
    pub fn immed(mut self, immed: bool) -> Self {
        self.immed = immed;
        self
    }

    /// Sets the GROUP NUMBER.
    pub fn group_number(mut self, group: u8) -> Self {
        self.group_number = group;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl From<SynchronizeCache10Cdb> for SynchronizeCache16Cdb {
    fn from(c: SynchronizeCache10Cdb) -> Self {
        Self {
            immed: c.immed,
            lba: c.lba.into(),
            number_of_logical_blocks: c.number_of_logical_blocks.into(),
            group_number: c.group_number,
            control: c.control,
        }
    }
}

impl Repr for SynchronizeCache10Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = SynchronizeCache10CdbView::new_checked(buf)?;
        if v.opcode() != Self::OPCODE {
            return Err(wrong_opcode(Self::WHAT, v.opcode()));
        }
        Ok(Self {
            immed: v.immed(),
            lba: v.lba(),
            number_of_logical_blocks: v.number_of_logical_blocks(),
            group_number: v.group_number(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB10_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out(Self::WHAT, buf, field::CDB10_LEN)?;
        check_bits(Self::WHAT, "GROUP NUMBER", self.group_number, 5)?;
        let out = &mut buf[..field::CDB10_LEN];
        out.fill(0);
        let mut v = SynchronizeCache10CdbView::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_immed(self.immed);
        v.set_lba(self.lba);
        v.set_group_number(self.group_number);
        v.set_number_of_logical_blocks(self.number_of_logical_blocks);
        v.set_control(self.control);
        Ok(())
    }
}

/// SYNCHRONIZE CACHE (16) (SBC-3 r36, table "SYNCHRONIZE CACHE (16)
/// command").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SynchronizeCache16Cdb {
    /// IMMED.
    pub immed: bool,
    /// LOGICAL BLOCK ADDRESS of the first block.
    pub lba: u64,
    /// NUMBER OF LOGICAL BLOCKS (0: from `lba` to the last block).
    pub number_of_logical_blocks: u32,
    /// GROUP NUMBER (five bits).
    pub group_number: u8,
    /// CONTROL.
    pub control: u8,
}

impl SynchronizeCache16Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x91;
    const WHAT: &'static str = "SYNCHRONIZE CACHE (16) CDB";

    /// Synchronizes `blocks` blocks from `lba` (0: to the last block);
    /// IMMED clear.
    pub fn new(lba: u64, blocks: u32) -> Self {
        Self {
            immed: false,
            lba,
            number_of_logical_blocks: blocks,
            group_number: 0,
            control: 0,
        }
    }

    /// Sets IMMED.
    pub fn immed(mut self, immed: bool) -> Self {
        self.immed = immed;
        self
    }

    /// Sets the GROUP NUMBER.
    pub fn group_number(mut self, group: u8) -> Self {
        self.group_number = group;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for SynchronizeCache16Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = SynchronizeCache16CdbView::new_checked(buf)?;
        if v.opcode() != Self::OPCODE {
            return Err(wrong_opcode(Self::WHAT, v.opcode()));
        }
        Ok(Self {
            immed: v.immed(),
            lba: v.lba(),
            number_of_logical_blocks: v.number_of_logical_blocks(),
            group_number: v.group_number(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB16_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out(Self::WHAT, buf, field::CDB16_LEN)?;
        check_bits(Self::WHAT, "GROUP NUMBER", self.group_number, 5)?;
        let out = &mut buf[..field::CDB16_LEN];
        out.fill(0);
        let mut v = SynchronizeCache16CdbView::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_immed(self.immed);
        v.set_lba(self.lba);
        v.set_number_of_logical_blocks(self.number_of_logical_blocks);
        v.set_group_number(self.group_number);
        v.set_control(self.control);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Mode parameters of a direct-access block device
// ---------------------------------------------------------------------------

/// The DEVICE-SPECIFIC PARAMETER of the mode parameter header as a
/// direct-access block device defines it (SBC-3 r36, table
/// "DEVICE-SPECIFIC PARAMETER field for direct-access block devices"): WP
/// and DPOFUA; the other bits are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DiskDeviceSpecific {
    /// WP (bit 7): the medium is write-protected.
    pub write_protected: bool,
    /// DPOFUA (bit 4): the device honours DPO and FUA (MODE SENSE only).
    pub dpofua: bool,
}

impl DiskDeviceSpecific {
    const WP: u8 = 0x80;
    const DPOFUA: u8 = 0x10;

    /// Splits the byte (reserved bits dropped).
    pub fn from_byte(b: u8) -> Self {
        Self {
            write_protected: b & Self::WP != 0,
            dpofua: b & Self::DPOFUA != 0,
        }
    }

    /// Joins the byte.
    pub fn to_byte(self) -> u8 {
        (if self.write_protected { Self::WP } else { 0 })
            | (if self.dpofua { Self::DPOFUA } else { 0 })
    }
}

view!(
    /// Short LBA mode parameter block descriptor.
    ShortLbaBlockDescriptorView,
    "short LBA mode parameter block descriptor",
    field::BD_LEN
);

be_fields!(ShortLbaBlockDescriptorView {
    /// NUMBER OF LOGICAL BLOCKS.
    number_of_logical_blocks, set_number_of_logical_blocks: u32 = field::BD_NUMBER_OF_BLOCKS;
    /// LOGICAL BLOCK LENGTH.
    logical_block_length, set_logical_block_length: u32 = field::BD_BLOCK_LENGTH;
});

/// The short LBA mode parameter block descriptor of a direct-access block
/// device (SBC-3 r36, table "Short LBA mode parameter block descriptor"):
/// the eight bytes SPC-4's general [`BlockDescriptor`] gives a DENSITY CODE
/// and 24-bit NUMBER OF BLOCKS, read as a 32-bit NUMBER OF LOGICAL BLOCKS.
/// Mode parameter lists hold the general form; convert with
/// [`Self::from_block_descriptor`] and [`Self::to_block_descriptor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ShortLbaBlockDescriptor {
    /// NUMBER OF LOGICAL BLOCKS (FFFFFFFFh when the medium has more).
    pub number_of_logical_blocks: u32,
    /// LOGICAL BLOCK LENGTH (24 bits).
    pub logical_block_length: u32,
}

impl ShortLbaBlockDescriptor {
    const WHAT: &'static str = "short LBA mode parameter block descriptor";

    /// The descriptor of a medium of `blocks` blocks of `block_length`
    /// bytes; a count past 32 bits is FFFFFFFFh, as SBC-3 says.
    pub fn for_capacity(blocks: u64, block_length: u32) -> Self {
        Self {
            number_of_logical_blocks: u32::try_from(blocks).unwrap_or(u32::MAX),
            logical_block_length: block_length,
        }
    }

    /// The descriptor out of a general block descriptor (as found in a
    /// mode parameter list).
    pub fn from_block_descriptor(d: &BlockDescriptor) -> Result<Self> {
        Self::parse(&d.to_vec()?)
    }

    /// The descriptor as a general block descriptor, to put in a mode
    /// parameter list (`Overflow` when the block length needs more than
    /// 24 bits).
    pub fn to_block_descriptor(&self) -> Result<BlockDescriptor> {
        BlockDescriptor::parse(&self.to_vec()?)
    }
}

impl Repr for ShortLbaBlockDescriptor {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ShortLbaBlockDescriptorView::new_checked(buf)?;
        Ok(Self {
            number_of_logical_blocks: v.number_of_logical_blocks(),
            logical_block_length: v.logical_block_length(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::BD_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out(Self::WHAT, buf, field::BD_LEN)?;
        check_fits(
            Self::WHAT,
            "LOGICAL BLOCK LENGTH",
            self.logical_block_length.into(),
            3,
        )?;
        let out = &mut buf[..field::BD_LEN];
        out.fill(0);
        let mut v = ShortLbaBlockDescriptorView::new_unchecked(out);
        v.set_number_of_logical_blocks(self.number_of_logical_blocks);
        v.set_logical_block_length(self.logical_block_length);
        Ok(())
    }
}

view!(
    /// Caching mode page.
    CachingModePageView,
    "Caching mode page",
    field::CP_LEN
);

be_fields!(CachingModePageView {
    /// PAGE LENGTH.
    page_length, set_page_length: u8 = field::CP_PAGE_LENGTH;
    /// DISABLE PRE-FETCH TRANSFER LENGTH.
    disable_prefetch, set_disable_prefetch: u16 = field::CP_DISABLE_PREFETCH;
    /// MINIMUM PRE-FETCH.
    minimum_prefetch, set_minimum_prefetch: u16 = field::CP_MINIMUM_PREFETCH;
    /// MAXIMUM PRE-FETCH.
    maximum_prefetch, set_maximum_prefetch: u16 = field::CP_MAXIMUM_PREFETCH;
    /// MAXIMUM PRE-FETCH CEILING.
    prefetch_ceiling, set_prefetch_ceiling: u16 = field::CP_PREFETCH_CEILING;
    /// NUMBER OF CACHE SEGMENTS.
    cache_segments, set_cache_segments: u8 = field::CP_CACHE_SEGMENTS;
    /// CACHE SEGMENT SIZE.
    cache_segment_size, set_cache_segment_size: u16 = field::CP_CACHE_SEGMENT_SIZE;
});

bit_fields!(CachingModePageView {
    /// PAGE CODE.
    page_code, set_page_code: field::CP_CODE, 0, 6;
    /// DEMAND READ RETENTION PRIORITY.
    demand_read_retention, set_demand_read_retention: field::CP_RETENTION, 4, 4;
    /// WRITE RETENTION PRIORITY.
    write_retention, set_write_retention: field::CP_RETENTION, 0, 4;
    /// Vendor-specific bits 4-3 of byte 12.
    vendor_specific, set_vendor_specific: field::CP_FLAGS2, 3, 2;
    /// SYNC_PROG.
    sync_prog, set_sync_prog: field::CP_FLAGS2, 1, 2;
});

flag_fields!(CachingModePageView {
    /// PS.
    ps, set_ps: field::CP_CODE, 7;
    /// SPF.
    spf, set_spf: field::CP_CODE, 6;
    /// IC.
    ic, set_ic: field::CP_FLAGS, 7;
    /// ABPF.
    abpf, set_abpf: field::CP_FLAGS, 6;
    /// CAP.
    cap, set_cap: field::CP_FLAGS, 5;
    /// DISC.
    disc, set_disc: field::CP_FLAGS, 4;
    /// SIZE.
    size, set_size: field::CP_FLAGS, 3;
    /// WCE.
    wce, set_wce: field::CP_FLAGS, 2;
    /// MF.
    mf, set_mf: field::CP_FLAGS, 1;
    /// RCD.
    rcd, set_rcd: field::CP_FLAGS, 0;
    /// FSW.
    fsw, set_fsw: field::CP_FLAGS2, 7;
    /// LBCSS.
    lbcss, set_lbcss: field::CP_FLAGS2, 6;
    /// DRA.
    dra, set_dra: field::CP_FLAGS2, 5;
    /// NV_DIS.
    nv_dis, set_nv_dis: field::CP_FLAGS2, 0;
});

/// The Caching mode page (08h), 20 bytes with its two-byte page header
/// (SBC-3 r36, table "Caching mode page"). The default value (every field
/// zero) is also the changeable-values mask of a device that lets nothing
/// be changed. Take it out of a mode parameter list with
/// [`Self::from_mode_page`]; put it in one with [`Self::to_mode_page`].
///
/// `parse` requires PAGE CODE 08h in page_0 format and PAGE LENGTH 12h.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CachingModePage {
    /// PS: the page can be saved.
    pub ps: bool,
    /// IC: initiator control of the cache segmentation.
    pub ic: bool,
    /// ABPF: abort pre-fetch.
    pub abpf: bool,
    /// CAP: caching analysis permitted.
    pub cap: bool,
    /// DISC: discontinuity.
    pub disc: bool,
    /// SIZE: CACHE SEGMENT SIZE rules the segmentation.
    pub size: bool,
    /// WCE: write cache enable (GOOD before the data is on the medium).
    pub wce: bool,
    /// MF: multiplication factor for the pre-fetch fields.
    pub mf: bool,
    /// RCD: read cache disable.
    pub rcd: bool,
    /// DEMAND READ RETENTION PRIORITY (four bits).
    pub demand_read_retention_priority: u8,
    /// WRITE RETENTION PRIORITY (four bits).
    pub write_retention_priority: u8,
    /// DISABLE PRE-FETCH TRANSFER LENGTH.
    pub disable_prefetch_transfer_length: u16,
    /// MINIMUM PRE-FETCH.
    pub minimum_prefetch: u16,
    /// MAXIMUM PRE-FETCH.
    pub maximum_prefetch: u16,
    /// MAXIMUM PRE-FETCH CEILING.
    pub maximum_prefetch_ceiling: u16,
    /// FSW: force sequential write.
    pub fsw: bool,
    /// LBCSS: CACHE SEGMENT SIZE is in logical blocks.
    pub lbcss: bool,
    /// DRA: disable read-ahead.
    pub dra: bool,
    /// The two vendor-specific bits of byte 12.
    pub vendor_specific: u8,
    /// SYNC_PROG (two bits): what SYNCHRONIZE CACHE lets run meanwhile.
    pub sync_prog: u8,
    /// NV_DIS: non-volatile cache disable.
    pub nv_dis: bool,
    /// NUMBER OF CACHE SEGMENTS.
    pub number_of_cache_segments: u8,
    /// CACHE SEGMENT SIZE.
    pub cache_segment_size: u16,
}

impl CachingModePage {
    /// PAGE CODE.
    pub const PAGE_CODE: u8 = 0x08;
    /// PAGE LENGTH.
    pub const PAGE_LENGTH: u8 = 0x12;
    const WHAT: &'static str = "Caching mode page";

    /// The page out of a raw mode page (as found in a mode parameter list).
    pub fn from_mode_page(page: &ModePage) -> Result<Self> {
        Self::parse(&page.to_vec()?)
    }

    /// The page as a raw mode page, to put in a mode parameter list
    /// (`Overflow` when a bit field does not fit).
    pub fn to_mode_page(&self) -> Result<ModePage> {
        let b = self.to_vec()?;
        Ok(ModePage {
            ps: self.ps,
            page_code: Self::PAGE_CODE,
            subpage_code: None,
            data: b[2..].to_vec(),
        })
    }
}

impl Repr for CachingModePage {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = CachingModePageView::new_checked(buf)?;
        if v.page_code() != Self::PAGE_CODE || v.spf() {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "PAGE CODE",
                value: buf[field::CP_CODE].into(),
            });
        }
        if v.page_length() != Self::PAGE_LENGTH {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "PAGE LENGTH",
                value: v.page_length().into(),
            });
        }
        Ok(Self {
            ps: v.ps(),
            ic: v.ic(),
            abpf: v.abpf(),
            cap: v.cap(),
            disc: v.disc(),
            size: v.size(),
            wce: v.wce(),
            mf: v.mf(),
            rcd: v.rcd(),
            demand_read_retention_priority: v.demand_read_retention(),
            write_retention_priority: v.write_retention(),
            disable_prefetch_transfer_length: v.disable_prefetch(),
            minimum_prefetch: v.minimum_prefetch(),
            maximum_prefetch: v.maximum_prefetch(),
            maximum_prefetch_ceiling: v.prefetch_ceiling(),
            fsw: v.fsw(),
            lbcss: v.lbcss(),
            dra: v.dra(),
            vendor_specific: v.vendor_specific(),
            sync_prog: v.sync_prog(),
            nv_dis: v.nv_dis(),
            number_of_cache_segments: v.cache_segments(),
            cache_segment_size: v.cache_segment_size(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::CP_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out(Self::WHAT, buf, field::CP_LEN)?;
        check_bits(
            Self::WHAT,
            "DEMAND READ RETENTION PRIORITY",
            self.demand_read_retention_priority,
            4,
        )?;
        check_bits(
            Self::WHAT,
            "WRITE RETENTION PRIORITY",
            self.write_retention_priority,
            4,
        )?;
        check_bits(Self::WHAT, "vendor specific", self.vendor_specific, 2)?;
        check_bits(Self::WHAT, "SYNC_PROG", self.sync_prog, 2)?;
        let out = &mut buf[..field::CP_LEN];
        out.fill(0);
        let mut v = CachingModePageView::new_unchecked(out);
        v.set_ps(self.ps);
        v.set_page_code(Self::PAGE_CODE);
        v.set_page_length(Self::PAGE_LENGTH);
        v.set_ic(self.ic);
        v.set_abpf(self.abpf);
        v.set_cap(self.cap);
        v.set_disc(self.disc);
        v.set_size(self.size);
        v.set_wce(self.wce);
        v.set_mf(self.mf);
        v.set_rcd(self.rcd);
        v.set_demand_read_retention(self.demand_read_retention_priority);
        v.set_write_retention(self.write_retention_priority);
        v.set_disable_prefetch(self.disable_prefetch_transfer_length);
        v.set_minimum_prefetch(self.minimum_prefetch);
        v.set_maximum_prefetch(self.maximum_prefetch);
        v.set_prefetch_ceiling(self.maximum_prefetch_ceiling);
        v.set_fsw(self.fsw);
        v.set_lbcss(self.lbcss);
        v.set_dra(self.dra);
        v.set_vendor_specific(self.vendor_specific);
        v.set_sync_prog(self.sync_prog);
        v.set_nv_dis(self.nv_dis);
        v.set_cache_segments(self.number_of_cache_segments);
        v.set_cache_segment_size(self.cache_segment_size);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// TEST UNIT READY and REQUEST SENSE
// ---------------------------------------------------------------------------

view!(
    /// A six-byte CDB of this module (TEST UNIT READY, REQUEST SENSE).
    Cdb6View,
    "6-byte CDB",
    field::CDB6_LEN
);

be_fields!(Cdb6View {
    /// OPERATION CODE.
    opcode, set_opcode: u8 = field::OPCODE;
    /// ALLOCATION LENGTH (REQUEST SENSE).
    allocation_length, set_allocation_length: u8 = field::RS_ALLOCATION_LENGTH;
    /// CONTROL.
    control, set_control: u8 = field::CONTROL6;
});

flag_fields!(Cdb6View {
    /// DESC: ask for descriptor format sense (REQUEST SENSE).
    desc, set_desc: field::RS_FLAGS, 0;
});

/// TEST UNIT READY (SPC-4 r37, table "TEST UNIT READY command").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TestUnitReadyCdb {
    /// CONTROL.
    pub control: u8,
}

impl TestUnitReadyCdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x00;
    const WHAT: &'static str = "TEST UNIT READY CDB";

    /// TEST UNIT READY with CONTROL zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for TestUnitReadyCdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = Cdb6View::new_checked(buf)?;
        if v.opcode() != Self::OPCODE {
            return Err(wrong_opcode(Self::WHAT, v.opcode()));
        }
        Ok(Self {
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB6_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out(Self::WHAT, buf, field::CDB6_LEN)?;
        let out = &mut buf[..field::CDB6_LEN];
        out.fill(0);
        let mut v = Cdb6View::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_control(self.control);
        Ok(())
    }
}

/// REQUEST SENSE (SPC-4 r37, table "REQUEST SENSE command").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestSenseCdb {
    /// DESC: descriptor format sense wanted.
    pub desc: bool,
    /// ALLOCATION LENGTH (252 gets everything SPC-4 allows).
    pub allocation_length: u8,
    /// CONTROL.
    pub control: u8,
}

impl RequestSenseCdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x03;
    const WHAT: &'static str = "REQUEST SENSE CDB";

    /// REQUEST SENSE for fixed format sense with `allocation_length`.
    pub fn new(allocation_length: u8) -> Self {
        Self {
            desc: false,
            allocation_length,
            control: 0,
        }
    }

    /// Asks for descriptor format (DESC).
    pub fn descriptor_format(mut self, desc: bool) -> Self {
        self.desc = desc;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for RequestSenseCdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = Cdb6View::new_checked(buf)?;
        if v.opcode() != Self::OPCODE {
            return Err(wrong_opcode(Self::WHAT, v.opcode()));
        }
        Ok(Self {
            desc: v.desc(),
            allocation_length: v.allocation_length(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB6_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out(Self::WHAT, buf, field::CDB6_LEN)?;
        let out = &mut buf[..field::CDB6_LEN];
        out.fill(0);
        let mut v = Cdb6View::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_desc(self.desc);
        v.set_allocation_length(self.allocation_length);
        v.set_control(self.control);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testing::*;
    use proptest::prelude::*;

    /// 64 MiB of 512-byte blocks: last LBA 0x1FFFF.
    const CAP_64MIB: [u8; 32] = [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, // RETURNED LBA 0x1FFFF
        0x00, 0x00, 0x02, 0x00, // LOGICAL BLOCK LENGTH 512
        0x00, // P_TYPE 0, PROT_EN 0
        0x00, // P_I_EXPONENT 0, LBPPBE 0
        0x00, 0x00, // LBPME 0, LBPRZ 0, LOWEST ALIGNED LBA 0
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // reserved
    ];

    #[test]
    fn read_capacity16_golden() {
        let c = ReadCapacity16::parse(&CAP_64MIB).unwrap();
        assert_eq!(c.returned_lba, 0x1ffff);
        assert_eq!(c.capacity_blocks(), Some(131_072));
        assert_eq!(c.capacity_bytes(), Some(64 << 20));
        assert_eq!(c.physical_block_length(), Some(512));
        assert_eq!(c, ReadCapacity16::new(131_072, 512).unwrap());
        let mut out = [0xa5u8; 34];
        c.emit(&mut out).unwrap();
        assert_eq!(&out[..32], &CAP_64MIB);
        assert_eq!(&out[32..], &[0xa5; 2]);
    }

    #[test]
    fn read_capacity16_all_fields() {
        let b = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // last LBA 2^64-1
            0x00, 0x00, 0x10, 0x00, // 4096
            0x05, // P_TYPE 2, PROT_EN 1
            0x13, // P_I_EXPONENT 1, LBPPBE 3
            0xc0, 0x07, // LBPME, LBPRZ, LOWEST ALIGNED 7
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let c = ReadCapacity16::parse(&b).unwrap();
        assert_eq!(c.capacity_blocks(), None);
        assert_eq!(c.capacity_bytes(), None);
        assert_eq!(
            (c.p_type, c.prot_en, c.p_i_exponent, c.lbppbe),
            (2, true, 1, 3)
        );
        assert!(c.lbpme && c.lbprz);
        assert_eq!(c.lowest_aligned_lba, 7);
        assert_eq!(c.physical_block_length(), Some(32_768));
        assert_eq!(c.to_vec().unwrap(), b);
        let huge = ReadCapacity16 {
            block_length: u32::MAX,
            lbppbe: 15,
            ..c
        };
        assert_eq!(huge.physical_block_length(), None);
        assert_eq!(ReadCapacity16::new(0, 512), None);
    }

    #[test]
    fn read_capacity16_rejects() {
        assert!(matches!(
            ReadCapacity16::parse(&CAP_64MIB[..31]),
            Err(WireError::Truncated { need: 32, .. })
        ));
        let mut zero = CAP_64MIB;
        zero[8..12].fill(0);
        assert!(matches!(
            ReadCapacity16::parse(&zero),
            Err(WireError::InvalidField {
                field: "LOGICAL BLOCK LENGTH IN BYTES",
                ..
            })
        ));
        let c = ReadCapacity16::parse(&CAP_64MIB).unwrap();
        for bad in [
            ReadCapacity16 { p_type: 8, ..c },
            ReadCapacity16 {
                p_i_exponent: 16,
                ..c
            },
            ReadCapacity16 { lbppbe: 16, ..c },
            ReadCapacity16 {
                lowest_aligned_lba: 0x4000,
                ..c
            },
        ] {
            assert!(
                matches!(bad.to_vec(), Err(WireError::Overflow { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            ReadCapacity16 {
                block_length: 0,
                ..c
            }
            .to_vec(),
            Err(WireError::InvalidField { .. })
        ));
        assert!(matches!(
            c.emit(&mut [0u8; 31]),
            Err(WireError::BufferTooSmall { .. })
        ));
    }

    #[test]
    fn read_capacity16_cdb_golden() {
        let b = [
            0x9e, 0x10, // SERVICE ACTION IN (16), READ CAPACITY (16)
            0, 0, 0, 0, 0, 0, 0, 0, // obsolete LBA
            0x00, 0x00, 0x00, 0x20, // ALLOCATION LENGTH 32
            0x00, // obsolete PMI
            0x00, // CONTROL
        ];
        let c = ReadCapacity16Cdb::parse(&b).unwrap();
        assert_eq!(c, ReadCapacity16Cdb::new(32));
        let mut out = [0xa5u8; 16];
        c.emit(&mut out).unwrap();
        assert_eq!(out, b);
        let mut sa = b;
        sa[1] = 0x12;
        assert!(matches!(
            ReadCapacity16Cdb::parse(&sa),
            Err(WireError::InvalidField {
                field: "SERVICE ACTION",
                value: 0x12,
                ..
            })
        ));
        let mut op = b;
        op[0] = 0x25;
        assert!(matches!(
            ReadCapacity16Cdb::parse(&op),
            Err(WireError::InvalidField {
                field: "OPERATION CODE",
                ..
            })
        ));
        assert!(ReadCapacity16Cdb::parse(&b[..15]).is_err());
    }

    #[test]
    fn read16_write16_golden() {
        let r = [
            0x88, // READ (16)
            0x08, // RDPROTECT 0, DPO 0, FUA 1
            0, 0, 0, 0, 0, 0x01, 0x00, 0x00, // LBA 0x10000
            0x00, 0x00, 0x00, 0x80, // TRANSFER LENGTH 128
            0x03, // GROUP NUMBER 3
            0x00, // CONTROL
        ];
        let c = Read16Cdb::parse(&r).unwrap();
        assert_eq!(c, Read16Cdb::new(0x10000, 128).fua(true).group_number(3));
        assert_eq!(c.end_lba(), Some(0x10080));
        let mut out = [0xa5u8; 16];
        c.emit(&mut out).unwrap();
        assert_eq!(out, r);

        let mut w = r;
        w[0] = 0x8a;
        w[1] = 0x10; // DPO
        let c = Write16Cdb::parse(&w).unwrap();
        assert_eq!(c, Write16Cdb::new(0x10000, 128).dpo(true).group_number(3));
        assert_eq!(c.to_vec().unwrap(), w);
        assert!(matches!(
            Write16Cdb::parse(&r),
            Err(WireError::InvalidField {
                field: "OPERATION CODE",
                value: 0x88,
                ..
            })
        ));
        assert!(Read16Cdb::parse(&r[..15]).is_err());
        assert_eq!(Read16Cdb::new(u64::MAX, 1).end_lba(), None);
    }

    #[test]
    fn read16_write16_reject_overflowing_fields() {
        let mut r = Read16Cdb::new(0, 1);
        r.rdprotect = 8;
        assert!(matches!(
            r.to_vec(),
            Err(WireError::Overflow {
                field: "RDPROTECT",
                ..
            })
        ));
        let w = Write16Cdb::new(0, 1).group_number(32);
        assert!(matches!(
            w.to_vec(),
            Err(WireError::Overflow {
                field: "GROUP NUMBER",
                ..
            })
        ));
    }

    #[test]
    fn tur_and_request_sense_golden() {
        assert_eq!(
            TestUnitReadyCdb::new().to_vec().unwrap(),
            [0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            TestUnitReadyCdb::parse(&[0, 0, 0, 0, 0, 0x04]).unwrap(),
            TestUnitReadyCdb::new().control(4)
        );
        assert!(TestUnitReadyCdb::parse(&[3, 0, 0, 0, 0, 0]).is_err());
        let rs = [0x03, 0x01, 0x00, 0x00, 0xfc, 0x00];
        let c = RequestSenseCdb::parse(&rs).unwrap();
        assert_eq!(c, RequestSenseCdb::new(252).descriptor_format(true));
        let mut out = [0xa5u8; 6];
        c.emit(&mut out).unwrap();
        assert_eq!(out, rs);
        assert!(RequestSenseCdb::parse(&[0, 1, 0, 0, 252, 0]).is_err());
        assert!(RequestSenseCdb::parse(&rs[..5]).is_err());
    }

    #[test]
    fn mutation_flip_never_panics() {
        let goldens: [&[u8]; 2] = [
            &CAP_64MIB,
            &[0x88, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0],
        ];
        for g in goldens {
            for i in 0..g.len() {
                for bit in 0..8 {
                    let mut m = g.to_vec();
                    m[i] ^= 1 << bit;
                    if let Ok(c) = ReadCapacity16::parse(&m) {
                        assert_eq!(ReadCapacity16::parse(&c.to_vec().unwrap()).unwrap(), c);
                    }
                    if let Ok(c) = Read16Cdb::parse(&m) {
                        assert_eq!(Read16Cdb::parse(&c.to_vec().unwrap()).unwrap(), c);
                    }
                }
                assert!(ReadCapacity16::parse(&g[..i]).is_err());
            }
        }
    }

    // --- READ (10) / WRITE (10) ------------------------------------------

    const READ10: [u8; 10] = [
        0x28, // READ (10)
        0x18, // RDPROTECT 0, DPO 1, FUA 1, RARC 0
        0x00, 0x01, 0x00, 0x00, // LOGICAL BLOCK ADDRESS 0x10000
        0x05, // GROUP NUMBER 5
        0x00, 0x80, // TRANSFER LENGTH 128
        0x00, // CONTROL
    ];

    #[test]
    fn read10_golden() {
        let c = Read10Cdb::new(0x10000, 128)
            .dpo(true)
            .fua(true)
            .group_number(5);
        golden(&READ10, &c);
        assert_eq!(c.end_lba(), 0x10080);
        // Every field: RDPROTECT 7, RARC, the largest LBA and length.
        let all = [
            0x28, // READ (10)
            0xe4, // RDPROTECT 7, RARC
            0xff, 0xff, 0xff, 0xff, // LOGICAL BLOCK ADDRESS FFFFFFFFh
            0x1f, // GROUP NUMBER 31
            0xff, 0xff, // TRANSFER LENGTH 65535
            0x04, // CONTROL (NACA)
        ];
        let mut r = Read10Cdb::new(u32::MAX, u16::MAX)
            .group_number(31)
            .control(4);
        r.rdprotect = 7;
        r.rarc = true;
        golden(&all, &r);
        assert_eq!(r.end_lba(), 0x1_0000_fffe);
        // Widened, it is the READ (16) of the same blocks with the same
        // flags, and narrows back.
        let wide = Read16Cdb::from(c);
        assert_eq!(
            wide,
            Read16Cdb::new(0x10000, 128)
                .dpo(true)
                .fua(true)
                .group_number(5)
        );
        assert_eq!(Read10Cdb::try_from(wide), Ok(c));
        opcode_rejected::<Read10Cdb>(&READ10);
        prefixes_truncated::<Read10Cdb>(&READ10);
        mutate::<Read10Cdb>(&all);
        too_small(&c);
    }

    #[test]
    fn write10_golden() {
        let w = [
            0x2a, // WRITE (10)
            0xa8, // WRPROTECT 5, DPO 0, FUA 1
            0x12, 0x34, 0x56, 0x78, // LOGICAL BLOCK ADDRESS 0x12345678
            0x00, // GROUP NUMBER 0
            0x00, 0x01, // TRANSFER LENGTH 1
            0x00, // CONTROL
        ];
        let mut c = Write10Cdb::new(0x1234_5678, 1).fua(true);
        c.wrprotect = 5;
        golden(&w, &c);
        assert_eq!(c.end_lba(), 0x1234_5679);
        assert_eq!(Write10Cdb::try_from(Write16Cdb::from(c)), Ok(c));
        // RARC is reserved in WRITE (10): ignored, emitted zero.
        let mut rarc = w;
        rarc[1] |= 0x04;
        assert_eq!(Write10Cdb::parse(&rarc).unwrap(), c);
        // A READ (10) is not a WRITE (10), nor the other way round.
        assert!(matches!(
            Write10Cdb::parse(&READ10),
            Err(WireError::InvalidField {
                field: "OPERATION CODE",
                value: 0x28,
                ..
            })
        ));
        assert!(Read10Cdb::parse(&w).is_err());
        opcode_rejected::<Write10Cdb>(&w);
        prefixes_truncated::<Write10Cdb>(&w);
        mutate::<Write10Cdb>(&w);
        too_small(&c);
    }

    #[test]
    fn read10_write10_reject_overflowing_fields() {
        let mut r = Read10Cdb::new(0, 1);
        r.rdprotect = 8;
        overflow(&r, "RDPROTECT");
        overflow(&Read10Cdb::new(0, 1).group_number(32), "GROUP NUMBER");
        let mut w = Write10Cdb::new(0, 1);
        w.wrprotect = 8;
        overflow(&w, "WRPROTECT");
        overflow(&Write10Cdb::new(0, 1).group_number(32), "GROUP NUMBER");
        // Narrowing a READ/WRITE (16) that does not fit ten bytes.
        let narrow_err = |e: WireError| match e {
            WireError::Overflow { field, .. } => field,
            other => panic!("{other:?}"),
        };
        let e = Read10Cdb::try_from(Read16Cdb::new(1 << 32, 1)).unwrap_err();
        assert_eq!(narrow_err(e), "LOGICAL BLOCK ADDRESS");
        let e = Read10Cdb::try_from(Read16Cdb::new(0, 0x1_0000)).unwrap_err();
        assert_eq!(narrow_err(e), "TRANSFER LENGTH");
        let e = Write10Cdb::try_from(Write16Cdb::new(u64::MAX, 1)).unwrap_err();
        assert_eq!(narrow_err(e), "LOGICAL BLOCK ADDRESS");
        let e = Write10Cdb::try_from(Write16Cdb::new(0, u32::MAX)).unwrap_err();
        assert_eq!(narrow_err(e), "TRANSFER LENGTH");
    }

    // --- READ CAPACITY (10) ----------------------------------------------

    /// 64 MiB of 512-byte blocks: last LBA 0x1FFFF.
    const CAP10_64MIB: [u8; 8] = [
        0x00, 0x01, 0xff, 0xff, // RETURNED LOGICAL BLOCK ADDRESS 0x1FFFF
        0x00, 0x00, 0x02, 0x00, // LOGICAL BLOCK LENGTH IN BYTES 512
    ];

    #[test]
    fn read_capacity10_golden() {
        let c = ReadCapacity10::new(131_072, 512).unwrap();
        golden(&CAP10_64MIB, &c);
        assert_eq!(c.capacity_blocks(), Some(131_072));
        assert!(!c.needs_read_capacity16());
        // The last LBA that fits, and the first that does not: FFFFFFFFh
        // then says "ask READ CAPACITY (16)".
        let fits = ReadCapacity10::new(0xffff_ffff, 4096).unwrap();
        assert_eq!(
            emit_a5(&fits),
            [0xff, 0xff, 0xff, 0xfe, 0x00, 0x00, 0x10, 0x00]
        );
        assert_eq!(fits.capacity_blocks(), Some(0xffff_ffff));
        for blocks in [1u64 << 32, (1 << 32) + 1, u64::MAX] {
            let c = ReadCapacity10::new(blocks, 512).unwrap();
            assert_eq!(c.returned_lba, ReadCapacity10::USE_READ_CAPACITY_16);
            assert!(c.needs_read_capacity16());
            assert_eq!(c.capacity_blocks(), None);
            assert_eq!(emit_a5(&c)[..4], [0xff; 4]);
        }
        assert_eq!(ReadCapacity10::new(0, 512), None);
        prefixes_truncated::<ReadCapacity10>(&CAP10_64MIB);
        mutate::<ReadCapacity10>(&CAP10_64MIB);
        too_small(&c);
    }

    #[test]
    fn read_capacity10_rejects_a_zero_block_length() {
        let mut zero = CAP10_64MIB;
        zero[4..].fill(0);
        assert!(matches!(
            ReadCapacity10::parse(&zero),
            Err(WireError::InvalidField {
                field: "LOGICAL BLOCK LENGTH IN BYTES",
                ..
            })
        ));
        let c = ReadCapacity10 {
            returned_lba: 7,
            block_length: 0,
        };
        assert!(matches!(
            c.to_vec(),
            Err(WireError::InvalidField {
                field: "LOGICAL BLOCK LENGTH IN BYTES",
                ..
            })
        ));
    }

    #[test]
    fn read_capacity10_cdb_golden() {
        let b = [
            0x25, // READ CAPACITY (10)
            0x00, // reserved
            0x00, 0x00, 0x00, 0x00, // obsolete LOGICAL BLOCK ADDRESS
            0x00, 0x00, // reserved
            0x00, // obsolete PMI
            0x00, // CONTROL
        ];
        let c = ReadCapacity10Cdb::new();
        golden(&b, &c);
        // The obsolete fields are ignored and emitted as zero.
        let mut pmi = b;
        pmi[2..6].copy_from_slice(&[0, 0, 0, 10]);
        pmi[8] = 0x01;
        pmi[9] = 0x04;
        let p = ReadCapacity10Cdb::parse(&pmi).unwrap();
        assert_eq!(p, ReadCapacity10Cdb::new().control(4));
        assert_eq!(emit_a5(&p), [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0x04]);
        opcode_rejected::<ReadCapacity10Cdb>(&b);
        prefixes_truncated::<ReadCapacity10Cdb>(&b);
        too_small(&c);
    }

    // --- SYNCHRONIZE CACHE (10) / (16) -----------------------------------

    #[test]
    fn synchronize_cache10_golden() {
        let b = [
            0x35, // SYNCHRONIZE CACHE (10)
            0x02, // IMMED (SYNC_NV 0)
            0x00, 0x00, 0x10, 0x00, // LOGICAL BLOCK ADDRESS 0x1000
            0x03, // GROUP NUMBER 3
            0x00, 0x00, // NUMBER OF LOGICAL BLOCKS 0: to the last block
            0x00, // CONTROL
        ];
        let c = SynchronizeCache10Cdb::new(0x1000, 0)
            .immed(true)
            .group_number(3);
        golden(&b, &c);
        assert_eq!(
            SynchronizeCache16Cdb::from(c),
            SynchronizeCache16Cdb::new(0x1000, 0)
                .immed(true)
                .group_number(3)
        );
        // The obsolete SYNC_NV is ignored and emitted as zero.
        let mut nv = b;
        nv[1] |= 0x04;
        assert_eq!(SynchronizeCache10Cdb::parse(&nv).unwrap(), c);
        opcode_rejected::<SynchronizeCache10Cdb>(&b);
        prefixes_truncated::<SynchronizeCache10Cdb>(&b);
        mutate::<SynchronizeCache10Cdb>(&b);
        too_small(&c);
        overflow(
            &SynchronizeCache10Cdb::new(0, 1).group_number(32),
            "GROUP NUMBER",
        );
    }

    #[test]
    fn synchronize_cache16_golden() {
        let b = [
            0x91, // SYNCHRONIZE CACHE (16)
            0x00, // IMMED 0
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // LBA 2^32
            0x00, 0x00, 0x08, 0x00, // NUMBER OF LOGICAL BLOCKS 2048
            0x1f, // GROUP NUMBER 31
            0x00, // CONTROL
        ];
        let c = SynchronizeCache16Cdb::new(1 << 32, 2048).group_number(31);
        golden(&b, &c);
        let mut nv = b;
        nv[1] = 0x06; // SYNC_NV (obsolete) and IMMED
        assert_eq!(SynchronizeCache16Cdb::parse(&nv).unwrap(), c.immed(true));
        assert!(SynchronizeCache10Cdb::parse(&b).is_err());
        opcode_rejected::<SynchronizeCache16Cdb>(&b);
        prefixes_truncated::<SynchronizeCache16Cdb>(&b);
        mutate::<SynchronizeCache16Cdb>(&b);
        too_small(&c);
        overflow(
            &SynchronizeCache16Cdb::new(0, 1).group_number(32),
            "GROUP NUMBER",
        );
    }

    // --- Mode parameters of a disk ---------------------------------------

    #[test]
    fn disk_device_specific_parameter() {
        let d = DiskDeviceSpecific {
            write_protected: true,
            dpofua: true,
        };
        assert_eq!(d.to_byte(), 0x90);
        assert_eq!(DiskDeviceSpecific::from_byte(0x90), d);
        // Reserved bits are dropped.
        assert_eq!(
            DiskDeviceSpecific::from_byte(0x6f),
            DiskDeviceSpecific::default()
        );
        assert_eq!(DiskDeviceSpecific::from_byte(0x10).to_byte(), 0x10);
    }

    #[test]
    fn short_lba_block_descriptor_golden() {
        let b = [
            0x00, 0x02, 0x00, 0x00, // NUMBER OF LOGICAL BLOCKS 131072
            0x00, // reserved
            0x00, 0x02, 0x00, // LOGICAL BLOCK LENGTH 512
        ];
        let d = ShortLbaBlockDescriptor::for_capacity(131_072, 512);
        golden(&b, &d);
        // The same bytes in SPC-4's general form, and back.
        let g = d.to_block_descriptor().unwrap();
        assert_eq!(
            g,
            BlockDescriptor {
                density_code: 0x00,
                number_of_blocks: 0x02_0000,
                block_length: 512
            }
        );
        assert_eq!(ShortLbaBlockDescriptor::from_block_descriptor(&g), Ok(d));
        // A count past 32 bits is FFFFFFFFh, its top byte the general
        // form's DENSITY CODE.
        let huge = ShortLbaBlockDescriptor::for_capacity(1 << 40, 4096);
        assert_eq!(huge.number_of_logical_blocks, u32::MAX);
        assert_eq!(
            emit_a5(&huge),
            [0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x10, 0x00]
        );
        assert_eq!(huge.to_block_descriptor().unwrap().density_code, 0xff);
        prefixes_truncated::<ShortLbaBlockDescriptor>(&b);
        mutate::<ShortLbaBlockDescriptor>(&b);
        too_small(&d);
        let wide = ShortLbaBlockDescriptor {
            number_of_logical_blocks: 1,
            logical_block_length: 1 << 24,
        };
        overflow(&wide, "LOGICAL BLOCK LENGTH");
        assert!(wide.to_block_descriptor().is_err());
    }

    /// The Caching mode page as LIO's fileio backstore answers it with the
    /// write cache off.
    const CACHING_LIO: [u8; 20] = [
        0x08, // PS 0, SPF 0, PAGE CODE 08h
        0x12, // PAGE LENGTH 18
        0x00, // IC ABPF CAP DISC SIZE WCE MF RCD: all 0
        0x00, // DEMAND READ / WRITE RETENTION PRIORITY 0
        0x00, 0x00, // DISABLE PRE-FETCH TRANSFER LENGTH
        0x00, 0x00, // MINIMUM PRE-FETCH
        0x00, 0x00, // MAXIMUM PRE-FETCH
        0x00, 0x00, // MAXIMUM PRE-FETCH CEILING
        0x20, // FSW 0, LBCSS 0, DRA 1, SYNC_PROG 0, NV_DIS 0
        0x00, // NUMBER OF CACHE SEGMENTS
        0x00, 0x00, // CACHE SEGMENT SIZE
        0x00, // reserved
        0x00, 0x00, 0x00, // obsolete
    ];

    #[test]
    fn caching_mode_page_golden() {
        let p = CachingModePage {
            dra: true,
            ..CachingModePage::default()
        };
        golden(&CACHING_LIO, &p);
        assert!(!p.wce && !p.rcd);
        // Every field set.
        let all = [
            0x88, // PS, PAGE CODE 08h
            0x12, // PAGE LENGTH
            0xff, // IC ABPF CAP DISC SIZE WCE MF RCD
            0x3c, // DEMAND READ RETENTION 3, WRITE RETENTION 12
            0x01, 0x02, // DISABLE PRE-FETCH TRANSFER LENGTH
            0x03, 0x04, // MINIMUM PRE-FETCH
            0x05, 0x06, // MAXIMUM PRE-FETCH
            0x07, 0x08, // MAXIMUM PRE-FETCH CEILING
            0xfd, // FSW LBCSS DRA, vendor 3, SYNC_PROG 2, NV_DIS
            0x10, // NUMBER OF CACHE SEGMENTS 16
            0x40, 0x00, // CACHE SEGMENT SIZE 16384
            0x00, 0x00, 0x00, 0x00, // reserved, obsolete
        ];
        let q = CachingModePage::parse(&all).unwrap();
        assert!(q.ps && q.ic && q.abpf && q.cap && q.disc && q.size && q.wce && q.mf && q.rcd);
        assert_eq!(
            (q.demand_read_retention_priority, q.write_retention_priority),
            (3, 12)
        );
        assert_eq!(
            (
                q.disable_prefetch_transfer_length,
                q.minimum_prefetch,
                q.maximum_prefetch,
                q.maximum_prefetch_ceiling
            ),
            (0x0102, 0x0304, 0x0506, 0x0708)
        );
        assert!(q.fsw && q.lbcss && q.dra && q.nv_dis);
        assert_eq!((q.vendor_specific, q.sync_prog), (3, 2));
        assert_eq!(
            (q.number_of_cache_segments, q.cache_segment_size),
            (16, 0x4000)
        );
        golden(&all, &q);
        // The obsolete bytes are ignored.
        let mut obsolete = all;
        obsolete[17..].fill(0xee);
        assert_eq!(CachingModePage::parse(&obsolete).unwrap(), q);
        // Through a raw mode page and back.
        let raw = p.to_mode_page().unwrap();
        assert_eq!(
            (raw.page_code, raw.subpage_code, raw.data.len()),
            (8, None, 18)
        );
        assert_eq!(raw.to_vec().unwrap(), CACHING_LIO);
        assert_eq!(CachingModePage::from_mode_page(&raw), Ok(p));
        prefixes_truncated::<CachingModePage>(&CACHING_LIO);
        mutate::<CachingModePage>(&all);
        too_small(&p);
    }

    #[test]
    fn caching_mode_page_rejects() {
        let field_of = |b: &[u8]| match CachingModePage::parse(b) {
            Err(WireError::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mut other = CACHING_LIO;
        other[0] = 0x0a;
        assert_eq!(field_of(&other), "PAGE CODE");
        let mut spf = CACHING_LIO;
        spf[0] |= 0x40;
        assert_eq!(field_of(&spf), "PAGE CODE");
        let mut len = CACHING_LIO;
        len[1] = 0x0a;
        assert_eq!(field_of(&len), "PAGE LENGTH");
        let p = CachingModePage::default();
        for (bad, field) in [
            (
                CachingModePage {
                    demand_read_retention_priority: 16,
                    ..p
                },
                "DEMAND READ RETENTION PRIORITY",
            ),
            (
                CachingModePage {
                    write_retention_priority: 16,
                    ..p
                },
                "WRITE RETENTION PRIORITY",
            ),
            (
                CachingModePage {
                    vendor_specific: 4,
                    ..p
                },
                "vendor specific",
            ),
            (CachingModePage { sync_prog: 4, ..p }, "SYNC_PROG"),
        ] {
            overflow(&bad, field);
            assert!(bad.to_mode_page().is_err());
        }
    }

    prop_compose! {
        fn capacity()(
            returned_lba: u64, block_length in 1u32.., p_type in 0u8..8, prot_en: bool,
            p_i_exponent in 0u8..16, lbppbe in 0u8..16, lbpme: bool, lbprz: bool,
            lowest_aligned_lba in 0u16..0x4000,
        ) -> ReadCapacity16 {
            ReadCapacity16 {
                returned_lba, block_length, p_type, prot_en, p_i_exponent, lbppbe,
                lbpme, lbprz, lowest_aligned_lba,
            }
        }
    }

    prop_compose! {
        fn read16()(
            lba: u64, transfer_length: u32, rdprotect in 0u8..8, flags: [bool; 3],
            group_number in 0u8..32, control: u8,
        ) -> Read16Cdb {
            Read16Cdb {
                lba, transfer_length, rdprotect, dpo: flags[0], fua: flags[1], rarc: flags[2],
                group_number, control,
            }
        }
    }

    prop_compose! {
        fn write16()(
            lba: u64, transfer_length: u32, wrprotect in 0u8..8, flags: [bool; 2],
            group_number in 0u8..32, control: u8,
        ) -> Write16Cdb {
            Write16Cdb {
                lba, transfer_length, wrprotect, dpo: flags[0], fua: flags[1], group_number, control,
            }
        }
    }

    proptest! {
        #[test]
        fn capacity_round_trip(c in capacity()) {
            prop_assert_eq!(ReadCapacity16::parse(&c.to_vec().unwrap()).unwrap(), c);
        }

        #[test]
        fn read16_round_trip(c in read16()) {
            prop_assert_eq!(Read16Cdb::parse(&c.to_vec().unwrap()).unwrap(), c);
        }

        #[test]
        fn write16_round_trip(c in write16()) {
            prop_assert_eq!(Write16Cdb::parse(&c.to_vec().unwrap()).unwrap(), c);
        }

        #[test]
        fn read_capacity16_cdb_round_trip(allocation_length: u32, control: u8) {
            let c = ReadCapacity16Cdb { allocation_length, control };
            prop_assert_eq!(ReadCapacity16Cdb::parse(&c.to_vec().unwrap()).unwrap(), c);
        }

        #[test]
        fn six_byte_round_trip(desc: bool, allocation_length: u8, control: u8) {
            let rs = RequestSenseCdb { desc, allocation_length, control };
            prop_assert_eq!(RequestSenseCdb::parse(&rs.to_vec().unwrap()).unwrap(), rs);
            let tur = TestUnitReadyCdb { control };
            prop_assert_eq!(TestUnitReadyCdb::parse(&tur.to_vec().unwrap()).unwrap(), tur);
        }

        #[test]
        fn read10_round_trip(
            lba: u32, transfer_length: u16, rdprotect in 0u8..8, flags: [bool; 3],
            group_number in 0u8..32, control: u8,
        ) {
            round_trip(&Read10Cdb {
                lba, transfer_length, rdprotect, dpo: flags[0], fua: flags[1], rarc: flags[2],
                group_number, control,
            })?;
        }

        #[test]
        fn write10_round_trip(
            lba: u32, transfer_length: u16, wrprotect in 0u8..8, flags: [bool; 2],
            group_number in 0u8..32, control: u8,
        ) {
            let c = Write10Cdb {
                lba, transfer_length, wrprotect, dpo: flags[0], fua: flags[1], group_number, control,
            };
            round_trip(&c)?;
            prop_assert_eq!(Write10Cdb::try_from(Write16Cdb::from(c)), Ok(c));
        }

        #[test]
        fn read10_widens_and_narrows_back(c in read16()) {
            // A READ (16) that fits ten bytes narrows, and widens back to
            // itself; one that does not is Overflow.
            match Read10Cdb::try_from(c) {
                Ok(n) => prop_assert_eq!(Read16Cdb::from(n), c),
                Err(e) => {
                    let overflowed = matches!(e, WireError::Overflow { .. });
                    prop_assert!(overflowed);
                    prop_assert!(c.lba > u64::from(u32::MAX) || c.transfer_length > u32::from(u16::MAX));
                }
            }
        }

        #[test]
        fn read_capacity10_round_trip(returned_lba: u32, block_length in 1u32..) {
            round_trip(&ReadCapacity10 { returned_lba, block_length })?;
        }

        #[test]
        fn read_capacity10_cdb_round_trip(control: u8) {
            round_trip(&ReadCapacity10Cdb { control })?;
        }

        #[test]
        fn synchronize_cache_round_trip(
            immed: bool, lba: u64, blocks: u32, group_number in 0u8..32, control: u8,
        ) {
            let c16 = SynchronizeCache16Cdb {
                immed, lba, number_of_logical_blocks: blocks, group_number, control,
            };
            round_trip(&c16)?;
            let c10 = SynchronizeCache10Cdb {
                immed, lba: lba as u32, number_of_logical_blocks: blocks as u16, group_number,
                control,
            };
            round_trip(&c10)?;
            let wide = SynchronizeCache16Cdb::from(c10);
            prop_assert_eq!(
                (wide.lba, wide.number_of_logical_blocks),
                (u64::from(c10.lba), u32::from(c10.number_of_logical_blocks))
            );
        }

        #[test]
        fn short_lba_block_descriptor_round_trip(n: u32, l in arb_u24()) {
            let d = ShortLbaBlockDescriptor { number_of_logical_blocks: n, logical_block_length: l };
            round_trip(&d)?;
            let g = d.to_block_descriptor().unwrap();
            prop_assert_eq!(ShortLbaBlockDescriptor::from_block_descriptor(&g), Ok(d));
        }

        #[test]
        fn caching_mode_page_round_trip(
            flags: [bool; 13], priorities in (0u8..16, 0u8..16), two_bits in (0u8..4, 0u8..4),
            prefetch: [u16; 4], number_of_cache_segments: u8, cache_segment_size: u16,
        ) {
            let p = CachingModePage {
                ps: flags[0], ic: flags[1], abpf: flags[2], cap: flags[3], disc: flags[4],
                size: flags[5], wce: flags[6], mf: flags[7], rcd: flags[8],
                demand_read_retention_priority: priorities.0,
                write_retention_priority: priorities.1,
                disable_prefetch_transfer_length: prefetch[0],
                minimum_prefetch: prefetch[1],
                maximum_prefetch: prefetch[2],
                maximum_prefetch_ceiling: prefetch[3],
                fsw: flags[9], lbcss: flags[10], dra: flags[11],
                vendor_specific: two_bits.0, sync_prog: two_bits.1, nv_dis: flags[12],
                number_of_cache_segments, cache_segment_size,
            };
            round_trip(&p)?;
            prop_assert_eq!(CachingModePage::from_mode_page(&p.to_mode_page().unwrap()), Ok(p));
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = Read10Cdb::parse(&bytes).map(|c| c.end_lba());
            let _ = Write10Cdb::parse(&bytes).map(|c| c.end_lba());
            let _ = ReadCapacity10::parse(&bytes).map(|c| c.capacity_blocks());
            let _ = ReadCapacity10Cdb::parse(&bytes);
            let _ = SynchronizeCache10Cdb::parse(&bytes);
            let _ = SynchronizeCache16Cdb::parse(&bytes);
            let _ = ShortLbaBlockDescriptor::parse(&bytes);
            let _ = CachingModePage::parse(&bytes);
            let _ = ReadCapacity16::parse(&bytes).map(|c| (c.capacity_bytes(), c.physical_block_length()));
            let _ = ReadCapacity16Cdb::parse(&bytes);
            let _ = Read16Cdb::parse(&bytes).map(|c| c.end_lba());
            let _ = Write16Cdb::parse(&bytes).map(|c| c.end_lba());
            let _ = TestUnitReadyCdb::parse(&bytes);
            let _ = RequestSenseCdb::parse(&bytes);
        }
    }
}
