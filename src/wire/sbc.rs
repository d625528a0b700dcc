//! Block device commands from SBC-3 r36 — READ CAPACITY (16) (table "READ
//! CAPACITY (16) command" and "READ CAPACITY (16) parameter data"), READ (16)
//! and WRITE (16) (tables "READ (16) command", "WRITE (16) command") — and
//! the two SPC-4 r37 commands every LU answers: TEST UNIT READY and REQUEST
//! SENSE (tables "TEST UNIT READY command", "REQUEST SENSE command").
//!
//! What `parse` enforces:
//! - every CDB: its length and OPERATION CODE (and for READ CAPACITY (16)
//!   the SERVICE ACTION 10h); reserved and obsolete bits are ignored and
//!   emitted as zero (the obsolete LOGICAL BLOCK ADDRESS and PMI of READ
//!   CAPACITY (16), FUA_NV of READ/WRITE (16));
//! - [`ReadCapacity16`]: all 32 bytes (segcopy always asks for 32; a
//!   shorter answer is [`WireError::Truncated`]) and a nonzero LOGICAL BLOCK
//!   LENGTH IN BYTES (everything downstream divides by it).
//!
//! Sums are left to checked helpers rather than rejected: a READ (16) whose
//! LBA plus TRANSFER LENGTH overflows is a valid CDB that a device answers
//! with LOGICAL BLOCK ADDRESS OUT OF RANGE; [`Read16Cdb::end_lba`] returns
//! `None` for it. A TRANSFER LENGTH of zero in READ (16) / WRITE (16) means
//! no blocks (not 256 as in the six-byte CDBs).

use crate::wire::{be_fields, bit_fields, check_out, flag_fields, view, Repr, Result, WireError};

mod field {
    use crate::wire::Field;

    /// Byte 0 of every CDB: OPERATION CODE.
    pub const OPCODE: Field = 0..1;

    // Sixteen-byte READ (16) / WRITE (16).
    /// Byte 1: RDPROTECT/WRPROTECT (7-5), DPO (4), FUA (3), RARC (2, READ).
    pub const RW_FLAGS: usize = 1;
    /// Bytes 2-9: LOGICAL BLOCK ADDRESS.
    pub const RW_LBA: Field = 2..10;
    /// Bytes 10-13: TRANSFER LENGTH.
    pub const RW_TRANSFER_LENGTH: Field = 10..14;
    /// Byte 14: GROUP NUMBER (4-0).
    pub const RW_GROUP: usize = 14;
    /// Byte 15: CONTROL.
    pub const CONTROL16: Field = 15..16;
    /// Sixteen-byte CDBs.
    pub const CDB16_LEN: usize = 16;

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
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = ReadCapacity16::parse(&bytes).map(|c| (c.capacity_bytes(), c.physical_block_length()));
            let _ = ReadCapacity16Cdb::parse(&bytes);
            let _ = Read16Cdb::parse(&bytes).map(|c| c.end_lba());
            let _ = Write16Cdb::parse(&bytes).map(|c| c.end_lba());
            let _ = TestUnitReadyCdb::parse(&bytes);
            let _ = RequestSenseCdb::parse(&bytes);
        }
    }
}
