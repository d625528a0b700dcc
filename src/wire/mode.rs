//! SPC-4 (r37) mode parameters: the MODE SENSE(6) (1Ah, §6.11), MODE
//! SENSE(10) (5Ah, §6.12) and MODE SELECT(6) (15h, §6.9) CDBs, and the mode
//! parameter lists (§7.5) — the mode parameter header(6) and header(10)
//! (SPC-4 tables "Mode parameter header(6)", "Mode parameter header(10)"),
//! the general mode parameter block descriptor (density code, number of
//! blocks, block length), mode pages kept raw ([`ModePage`], page_0 and
//! sub_page formats), with page control ([`PageControl`]) — and the Control
//! mode page every device type has ([`ControlModePage`], table "Control
//! mode page").
//!
//! What a device type puts in the list is its own: the tape view of the
//! DEVICE-SPECIFIC PARAMETER and the block-size lists are in
//! [`crate::wire::ssc`] (`TapeDeviceSpecific`,
//! `ModeParameterList6::select_block_length`), the changer's element
//! address assignment page in [`crate::wire::smc`], a disk's
//! DEVICE-SPECIFIC PARAMETER, short LBA block descriptor and Caching mode
//! page in [`crate::wire::sbc`].
//!
//! Rules `parse` enforces:
//! - every structure is complete (`Truncated` otherwise); CDBs carry the
//!   right OPERATION CODE;
//! - mode parameter lists: MODE DATA LENGTH covers at least the rest of the
//!   header; a MODE SENSE answer holds all the bytes its MODE DATA LENGTH
//!   announces (an answer cut by a short allocation length is `Truncated`,
//!   and [`ModeParameterList6::needed_len`] and
//!   [`ModeParameterList10::needed_len`] say how much to ask for); a MODE
//!   SELECT list is at most 255 bytes (six-byte) or 65 535 bytes
//!   (ten-byte); the BLOCK DESCRIPTOR LENGTH is a multiple of eight and
//!   fits; every mode page fits inside the mode data; a header(10) has
//!   LONGLBA clear (long LBA block descriptors are not modelled);
//! - [`ControlModePage`]: PAGE CODE 0Ah in page_0 format, PAGE LENGTH 0Ah.
//!
//! Reserved bytes and reserved bits are ignored on parse and written as
//! zero on emit. Multi-byte fields are big-endian; 24-bit fields are
//! checked on emit (`Overflow`).

use super::{
    be_fields, bit_fields, check_bits, check_fits, check_len, expect_opcode, flag_fields, prepare,
    view, Repr, Result, WireError,
};

mod field {
    //! Byte offsets, one sub-module per structure, named after SPC-4.

    /// MODE SENSE(6) and MODE SELECT(6) CDBs.
    pub mod cdb6 {
        use crate::wire::Field;
        /// OPERATION CODE.
        pub const OPCODE: Field = 0..1;
        /// The flag byte: DBD (MODE SENSE(6)); PF, SP (MODE SELECT(6)).
        pub const FLAGS: usize = 1;
        /// MODE SENSE(6): PC (bits 7-6) and PAGE CODE (bits 5-0).
        pub const PAGE: usize = 2;
        /// MODE SENSE(6): SUBPAGE CODE.
        pub const SUBPAGE_CODE: Field = 3..4;
        /// MODE SENSE(6) ALLOCATION LENGTH / MODE SELECT(6) PARAMETER LIST
        /// LENGTH.
        pub const LENGTH: Field = 4..5;
        /// CONTROL.
        pub const CONTROL: Field = 5..6;
        /// CDB length.
        pub const LEN: usize = 6;
    }

    /// MODE SENSE(10) CDB.
    pub mod cdb10 {
        use crate::wire::Field;
        /// OPERATION CODE.
        pub const OPCODE: Field = 0..1;
        /// LLBAA (bit 4), DBD (bit 3).
        pub const FLAGS: usize = 1;
        /// PC (bits 7-6) and PAGE CODE (bits 5-0).
        pub const PAGE: usize = 2;
        /// SUBPAGE CODE.
        pub const SUBPAGE_CODE: Field = 3..4;
        /// ALLOCATION LENGTH (bytes 4-6 reserved).
        pub const ALLOCATION_LENGTH: Field = 7..9;
        /// CONTROL.
        pub const CONTROL: Field = 9..10;
        /// CDB length.
        pub const LEN: usize = 10;
    }

    /// Mode parameter header(10).
    pub mod header10 {
        use crate::wire::Field;
        /// MODE DATA LENGTH.
        pub const MODE_DATA_LENGTH: Field = 0..2;
        /// MEDIUM TYPE.
        pub const MEDIUM_TYPE: Field = 2..3;
        /// DEVICE-SPECIFIC PARAMETER.
        pub const DEVICE_SPECIFIC: Field = 3..4;
        /// LONGLBA (bit 0); byte 5 is reserved.
        pub const FLAGS: usize = 4;
        /// BLOCK DESCRIPTOR LENGTH.
        pub const BLOCK_DESCRIPTOR_LENGTH: Field = 6..8;
        /// Header length.
        pub const LEN: usize = 8;
    }

    /// Control mode page (page_0 format).
    pub mod control {
        use crate::wire::Field;
        /// PS (bit 7), SPF (bit 6), PAGE CODE (bits 5-0).
        pub const CODE: usize = 0;
        /// PAGE LENGTH.
        pub const PAGE_LENGTH: Field = 1..2;
        /// TST (7-5), TMF_ONLY (4), DPICZ (3), D_SENSE (2), GLTSD (1),
        /// RLEC (0).
        pub const FLAGS2: usize = 2;
        /// QUEUE ALGORITHM MODIFIER (7-4), NUAR (3), QERR (2-1); bit 0
        /// obsolete.
        pub const FLAGS3: usize = 3;
        /// VS (7), RAC (6), UA_INTLCK_CTRL (5-4), SWP (3); bits 2-0
        /// obsolete.
        pub const FLAGS4: usize = 4;
        /// ATO (7), TAS (6), ATMPE (5), RWWP (4), AUTOLOAD MODE (2-0); bit
        /// 3 reserved.
        pub const FLAGS5: usize = 5;
        /// BUSY TIMEOUT PERIOD (bytes 6-7 obsolete).
        pub const BUSY_TIMEOUT_PERIOD: Field = 8..10;
        /// EXTENDED SELF-TEST COMPLETION TIME.
        pub const SELF_TEST_TIME: Field = 10..12;
        /// The page is 12 bytes, its two-byte header included.
        pub const LEN: usize = 12;
    }

    /// Mode parameter header(6).
    pub mod header6 {
        use crate::wire::Field;
        /// MODE DATA LENGTH.
        pub const MODE_DATA_LENGTH: Field = 0..1;
        /// MEDIUM TYPE.
        pub const MEDIUM_TYPE: Field = 1..2;
        /// DEVICE-SPECIFIC PARAMETER.
        pub const DEVICE_SPECIFIC: Field = 2..3;
        /// BLOCK DESCRIPTOR LENGTH.
        pub const BLOCK_DESCRIPTOR_LENGTH: Field = 3..4;
        /// Header length.
        pub const LEN: usize = 4;
    }

    /// General mode parameter block descriptor (8 bytes).
    pub mod block_descriptor {
        use crate::wire::Field;
        /// DENSITY CODE.
        pub const DENSITY_CODE: Field = 0..1;
        /// NUMBER OF BLOCKS.
        pub const NUMBER_OF_BLOCKS: Field = 1..4;
        /// BLOCK LENGTH.
        pub const BLOCK_LENGTH: Field = 5..8;
        /// Descriptor length.
        pub const LEN: usize = 8;
    }

    /// Mode page, page_0 and sub_page formats.
    pub mod mode_page {
        use crate::wire::Field;
        /// PS (bit 7), SPF (bit 6), PAGE CODE (bits 5-0).
        pub const CODE: usize = 0;
        /// page_0: PAGE LENGTH.
        pub const PAGE_LENGTH: Field = 1..2;
        /// sub_page: SUBPAGE CODE.
        pub const SUBPAGE_CODE: Field = 1..2;
        /// sub_page: PAGE LENGTH.
        pub const SUBPAGE_LENGTH: Field = 2..4;
        /// page_0 header length.
        pub const PAGE0_HEADER: usize = 2;
        /// sub_page header length.
        pub const SUBPAGE_HEADER: usize = 4;
    }
}

view!(
    /// A MODE SENSE(6) or MODE SELECT(6) CDB.
    ModeCdb6View,
    "6-byte CDB",
    field::cdb6::LEN
);

be_fields!(ModeCdb6View {
    /// OPERATION CODE.
    opcode, set_opcode: u8 = field::cdb6::OPCODE;
    /// SUBPAGE CODE (MODE SENSE(6)).
    subpage_code, set_subpage_code: u8 = field::cdb6::SUBPAGE_CODE;
    /// ALLOCATION LENGTH (MODE SENSE(6)) or PARAMETER LIST LENGTH (MODE
    /// SELECT(6)).
    length, set_length: u8 = field::cdb6::LENGTH;
    /// CONTROL.
    control, set_control: u8 = field::cdb6::CONTROL;
});

bit_fields!(ModeCdb6View {
    /// MODE SENSE(6) PC.
    page_control, set_page_control: field::cdb6::PAGE, 6, 2;
    /// MODE SENSE(6) PAGE CODE.
    page_code, set_page_code: field::cdb6::PAGE, 0, 6;
});

flag_fields!(ModeCdb6View {
    /// Bit 0 of byte 1: SP (MODE SELECT(6)).
    sp, set_sp: field::cdb6::FLAGS, 0;
    /// Bit 3 of byte 1: DBD (MODE SENSE(6)).
    dbd, set_dbd: field::cdb6::FLAGS, 3;
    /// Bit 4 of byte 1: PF (MODE SELECT(6)).
    pf, set_pf: field::cdb6::FLAGS, 4;
});

/// PC of MODE SENSE: which values to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageControl {
    /// 00b: current values.
    Current,
    /// 01b: changeable values (a mask).
    Changeable,
    /// 10b: default values.
    Default,
    /// 11b: saved values.
    Saved,
}

impl PageControl {
    /// The control for a 2-bit PC field.
    pub fn from_code(code: u8) -> Self {
        match code & 0x03 {
            0 => Self::Current,
            1 => Self::Changeable,
            2 => Self::Default,
            _ => Self::Saved,
        }
    }

    /// The PC field.
    pub fn code(self) -> u8 {
        match self {
            Self::Current => 0,
            Self::Changeable => 1,
            Self::Default => 2,
            Self::Saved => 3,
        }
    }
}

/// MODE SENSE(6) (1Ah) CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModeSense6Cdb {
    /// DBD: leave out the block descriptors.
    pub dbd: bool,
    /// PC.
    pub page_control: PageControl,
    /// PAGE CODE (6 bits; 3Fh = all pages).
    pub page_code: u8,
    /// SUBPAGE CODE (FFh with page 3Fh = all subpages).
    pub subpage_code: u8,
    /// ALLOCATION LENGTH.
    pub allocation_length: u8,
    /// CONTROL byte.
    pub control: u8,
}

impl ModeSense6Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x1a;
    /// PAGE CODE asking for every page.
    pub const ALL_PAGES: u8 = 0x3f;
    /// SUBPAGE CODE asking, with PAGE CODE 3Fh, for every subpage.
    pub const ALL_SUBPAGES: u8 = 0xff;
    const WHAT: &'static str = "MODE SENSE(6) CDB";

    /// Whether the PAGE CODE asks for page `page_code`: that page, or all
    /// pages.
    pub fn asks_for_page(&self, page_code: u8) -> bool {
        asks_for_page(self.page_code, page_code)
    }

    /// Whether the SUBPAGE CODE asks for what a device with page_0 format
    /// pages only has: subpage 0, or every subpage of every page.
    pub fn asks_for_page_0_format(&self) -> bool {
        asks_for_page_0_format(self.page_code, self.subpage_code)
    }

    /// Current values of `page_code` (subpage 0), block descriptors
    /// included, at most `allocation_length` bytes.
    pub fn new(page_code: u8, allocation_length: u8) -> Self {
        Self {
            dbd: false,
            page_control: PageControl::Current,
            page_code,
            subpage_code: 0,
            allocation_length,
            control: 0,
        }
    }

    /// Sets DBD.
    pub fn dbd(mut self, dbd: bool) -> Self {
        self.dbd = dbd;
        self
    }

    /// Sets PC.
    pub fn page_control(mut self, pc: PageControl) -> Self {
        self.page_control = pc;
        self
    }

    /// Sets the SUBPAGE CODE.
    pub fn subpage_code(mut self, subpage: u8) -> Self {
        self.subpage_code = subpage;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for ModeSense6Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ModeCdb6View::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            dbd: v.dbd(),
            page_control: PageControl::from_code(v.page_control()),
            page_code: v.page_code(),
            subpage_code: v.subpage_code(),
            allocation_length: v.length(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::cdb6::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_bits(Self::WHAT, "PAGE CODE", self.page_code, 6)?;
        let out = prepare(Self::WHAT, buf, field::cdb6::LEN)?;
        let mut v = ModeCdb6View::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_dbd(self.dbd);
        v.set_page_control(self.page_control.code());
        v.set_page_code(self.page_code);
        v.set_subpage_code(self.subpage_code);
        v.set_length(self.allocation_length);
        v.set_control(self.control);
        Ok(())
    }
}

/// Whether a MODE SENSE PAGE CODE `asked` asks for page `page_code`.
fn asks_for_page(asked: u8, page_code: u8) -> bool {
    asked == page_code || asked == ModeSense6Cdb::ALL_PAGES
}

/// Whether a MODE SENSE PAGE CODE `page` and SUBPAGE CODE `subpage` ask
/// for page_0 format pages: subpage 0, or every subpage of every page.
fn asks_for_page_0_format(page: u8, subpage: u8) -> bool {
    subpage == 0 || (page == ModeSense6Cdb::ALL_PAGES && subpage == ModeSense6Cdb::ALL_SUBPAGES)
}

view!(
    /// A MODE SENSE(10) CDB.
    ModeCdb10View,
    "10-byte CDB",
    field::cdb10::LEN
);

be_fields!(ModeCdb10View {
    /// OPERATION CODE.
    opcode, set_opcode: u8 = field::cdb10::OPCODE;
    /// SUBPAGE CODE.
    subpage_code, set_subpage_code: u8 = field::cdb10::SUBPAGE_CODE;
    /// ALLOCATION LENGTH.
    allocation_length, set_allocation_length: u16 = field::cdb10::ALLOCATION_LENGTH;
    /// CONTROL.
    control, set_control: u8 = field::cdb10::CONTROL;
});

bit_fields!(ModeCdb10View {
    /// PC.
    page_control, set_page_control: field::cdb10::PAGE, 6, 2;
    /// PAGE CODE.
    page_code, set_page_code: field::cdb10::PAGE, 0, 6;
});

flag_fields!(ModeCdb10View {
    /// LLBAA: long LBA block descriptors accepted.
    llbaa, set_llbaa: field::cdb10::FLAGS, 4;
    /// DBD: leave out the block descriptors.
    dbd, set_dbd: field::cdb10::FLAGS, 3;
});

/// MODE SENSE(10) (5Ah) CDB (SPC-4 §6.12). A [`ModeSense6Cdb`] widens into
/// one with `From` (LLBAA clear), so a device model answers both from one
/// request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModeSense10Cdb {
    /// LLBAA: the device may answer with long LBA block descriptors.
    pub llbaa: bool,
    /// DBD: leave out the block descriptors.
    pub dbd: bool,
    /// PC.
    pub page_control: PageControl,
    /// PAGE CODE (6 bits; 3Fh = all pages).
    pub page_code: u8,
    /// SUBPAGE CODE (FFh with page 3Fh = all subpages).
    pub subpage_code: u8,
    /// ALLOCATION LENGTH.
    pub allocation_length: u16,
    /// CONTROL byte.
    pub control: u8,
}

impl ModeSense10Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x5a;
    const WHAT: &'static str = "MODE SENSE(10) CDB";

    /// Current values of `page_code` (subpage 0), block descriptors
    /// included, at most `allocation_length` bytes.
    pub fn new(page_code: u8, allocation_length: u16) -> Self {
        Self {
            llbaa: false,
            dbd: false,
            page_control: PageControl::Current,
            page_code,
            subpage_code: 0,
            allocation_length,
            control: 0,
        }
    }

    /// Whether the PAGE CODE asks for page `page_code`: that page, or all
    /// pages.
    pub fn asks_for_page(&self, page_code: u8) -> bool {
        asks_for_page(self.page_code, page_code)
    }

    /// Whether the SUBPAGE CODE asks for what a device with page_0 format
    /// pages only has: subpage 0, or every subpage of every page.
    pub fn asks_for_page_0_format(&self) -> bool {
        asks_for_page_0_format(self.page_code, self.subpage_code)
    }

    /// Sets LLBAA.
    pub fn llbaa(mut self, llbaa: bool) -> Self {
        self.llbaa = llbaa;
        self
    }

    /// Sets DBD.
    pub fn dbd(mut self, dbd: bool) -> Self {
        self.dbd = dbd;
        self
    }

    /// Sets PC.
    pub fn page_control(mut self, pc: PageControl) -> Self {
        self.page_control = pc;
        self
    }

    /// Sets the SUBPAGE CODE.
    pub fn subpage_code(mut self, subpage: u8) -> Self {
        self.subpage_code = subpage;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl From<ModeSense6Cdb> for ModeSense10Cdb {
    fn from(c: ModeSense6Cdb) -> Self {
        Self {
            llbaa: false,
            dbd: c.dbd,
            page_control: c.page_control,
            page_code: c.page_code,
            subpage_code: c.subpage_code,
            allocation_length: c.allocation_length.into(),
            control: c.control,
        }
    }
}

impl Repr for ModeSense10Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ModeCdb10View::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            llbaa: v.llbaa(),
            dbd: v.dbd(),
            page_control: PageControl::from_code(v.page_control()),
            page_code: v.page_code(),
            subpage_code: v.subpage_code(),
            allocation_length: v.allocation_length(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::cdb10::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_bits(Self::WHAT, "PAGE CODE", self.page_code, 6)?;
        let out = prepare(Self::WHAT, buf, field::cdb10::LEN)?;
        let mut v = ModeCdb10View::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_llbaa(self.llbaa);
        v.set_dbd(self.dbd);
        v.set_page_control(self.page_control.code());
        v.set_page_code(self.page_code);
        v.set_subpage_code(self.subpage_code);
        v.set_allocation_length(self.allocation_length);
        v.set_control(self.control);
        Ok(())
    }
}

/// MODE SELECT(6) (15h) CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModeSelect6Cdb {
    /// PF: the pages follow the standard page format (Linux `st` sets it).
    pub pf: bool,
    /// SP: save the pages.
    pub sp: bool,
    /// PARAMETER LIST LENGTH.
    pub parameter_list_length: u8,
    /// CONTROL byte.
    pub control: u8,
}

impl ModeSelect6Cdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x15;
    const WHAT: &'static str = "MODE SELECT(6) CDB";

    /// A MODE SELECT(6) of `parameter_list_length` bytes, PF set.
    pub fn new(parameter_list_length: u8) -> Self {
        Self {
            pf: true,
            sp: false,
            parameter_list_length,
            control: 0,
        }
    }

    /// A MODE SELECT(6) sized for `list` (`Overflow` past 255 bytes).
    pub fn for_list(list: &ModeParameterList6) -> Result<Self> {
        let len = list.buffer_len();
        let len = u8::try_from(len).map_err(|_| WireError::Overflow {
            what: Self::WHAT,
            field: "PARAMETER LIST LENGTH",
            value: len as u64,
        })?;
        Ok(Self::new(len))
    }

    /// Sets PF.
    pub fn pf(mut self, pf: bool) -> Self {
        self.pf = pf;
        self
    }

    /// Sets SP.
    pub fn sp(mut self, sp: bool) -> Self {
        self.sp = sp;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for ModeSelect6Cdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ModeCdb6View::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            pf: v.pf(),
            sp: v.sp(),
            parameter_list_length: v.length(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::cdb6::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let out = prepare(Self::WHAT, buf, field::cdb6::LEN)?;
        let mut v = ModeCdb6View::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_pf(self.pf);
        v.set_sp(self.sp);
        v.set_length(self.parameter_list_length);
        v.set_control(self.control);
        Ok(())
    }
}

view!(
    /// Mode parameter block descriptor (general form, 8 bytes).
    BlockDescriptorView,
    "mode parameter block descriptor",
    field::block_descriptor::LEN
);

be_fields!(BlockDescriptorView {
    /// DENSITY CODE.
    density_code, set_density_code: u8 = field::block_descriptor::DENSITY_CODE;
    /// NUMBER OF BLOCKS.
    number_of_blocks, set_number_of_blocks: u32 = field::block_descriptor::NUMBER_OF_BLOCKS;
    /// BLOCK LENGTH.
    block_length, set_block_length: u32 = field::block_descriptor::BLOCK_LENGTH;
});

/// Mode parameter block descriptor, general (short) form: density code,
/// number of blocks, and the block length — for a tape (SSC), its fixed
/// block size, 0 for variable-block mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BlockDescriptor {
    /// DENSITY CODE (00h in MODE SELECT: the default density).
    pub density_code: u8,
    /// NUMBER OF BLOCKS (24 bits; tape drives answer 0).
    pub number_of_blocks: u32,
    /// BLOCK LENGTH (24 bits); 0 means variable-block mode.
    pub block_length: u32,
}

impl BlockDescriptor {
    const WHAT: &'static str = "mode parameter block descriptor";
}

impl Repr for BlockDescriptor {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = BlockDescriptorView::new_checked(buf)?;
        Ok(Self {
            density_code: v.density_code(),
            number_of_blocks: v.number_of_blocks(),
            block_length: v.block_length(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::block_descriptor::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_fits(
            Self::WHAT,
            "NUMBER OF BLOCKS",
            self.number_of_blocks.into(),
            3,
        )?;
        check_fits(Self::WHAT, "BLOCK LENGTH", self.block_length.into(), 3)?;
        let out = prepare(Self::WHAT, buf, field::block_descriptor::LEN)?;
        let mut v = BlockDescriptorView::new_unchecked(out);
        v.set_density_code(self.density_code);
        v.set_number_of_blocks(self.number_of_blocks);
        v.set_block_length(self.block_length);
        Ok(())
    }
}

view!(
    /// A mode page's header.
    ModePageView,
    "mode page",
    field::mode_page::PAGE0_HEADER
);

be_fields!(ModePageView {
    /// page_0 PAGE LENGTH.
    page_length, set_page_length: u8 = field::mode_page::PAGE_LENGTH;
    /// sub_page SUBPAGE CODE (needs 4 bytes).
    subpage_code, set_subpage_code: u8 = field::mode_page::SUBPAGE_CODE;
    /// sub_page PAGE LENGTH (needs 4 bytes).
    subpage_length, set_subpage_length: u16 = field::mode_page::SUBPAGE_LENGTH;
});

bit_fields!(ModePageView {
    /// PAGE CODE.
    page_code, set_page_code: field::mode_page::CODE, 0, 6;
});

flag_fields!(ModePageView {
    /// PS: the page can be saved.
    ps, set_ps: field::mode_page::CODE, 7;
    /// SPF: sub_page format.
    spf, set_spf: field::mode_page::CODE, 6;
});

/// One mode page, kept raw: its code and its bytes after the page header.
/// page_0 format when `subpage_code` is `None`, sub_page format (SPF=1)
/// otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModePage {
    /// PS: the page can be saved (MODE SENSE; reserved in MODE SELECT).
    pub ps: bool,
    /// PAGE CODE (6 bits).
    pub page_code: u8,
    /// SUBPAGE CODE when the page is in sub_page format.
    pub subpage_code: Option<u8>,
    /// The page's bytes after its header (PAGE LENGTH of them).
    pub data: Vec<u8>,
}

impl ModePage {
    const WHAT: &'static str = "mode page";

    /// A page_0 format page.
    pub fn new(page_code: u8, data: Vec<u8>) -> Self {
        Self {
            ps: false,
            page_code,
            subpage_code: None,
            data,
        }
    }

    fn header_len(&self) -> usize {
        if self.subpage_code.is_some() {
            field::mode_page::SUBPAGE_HEADER
        } else {
            field::mode_page::PAGE0_HEADER
        }
    }
}

impl Repr for ModePage {
    /// Parses the page at the start of `buf`; bytes after it are left
    /// alone (`buffer_len` says how many were used). A PAGE LENGTH running
    /// past `buf` is `Truncated`.
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ModePageView::new_checked(buf)?;
        let (header, len, subpage) = if v.spf() {
            check_len(Self::WHAT, buf, field::mode_page::SUBPAGE_HEADER)?;
            (
                field::mode_page::SUBPAGE_HEADER,
                usize::from(v.subpage_length()),
                Some(v.subpage_code()),
            )
        } else {
            (
                field::mode_page::PAGE0_HEADER,
                usize::from(v.page_length()),
                None,
            )
        };
        let end = header.checked_add(len).ok_or(WireError::Inconsistent {
            what: Self::WHAT,
            reason: "PAGE LENGTH overflows",
        })?;
        check_len(Self::WHAT, buf, end)?;
        Ok(Self {
            ps: v.ps(),
            page_code: v.page_code(),
            subpage_code: subpage,
            data: buf[header..end].to_vec(),
        })
    }

    fn buffer_len(&self) -> usize {
        self.header_len() + self.data.len()
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_bits(Self::WHAT, "PAGE CODE", self.page_code, 6)?;
        let header = self.header_len();
        let max = if self.subpage_code.is_some() { 2 } else { 1 };
        check_fits(Self::WHAT, "PAGE LENGTH", self.data.len() as u64, max)?;
        let out = prepare(Self::WHAT, buf, self.buffer_len())?;
        out[header..].copy_from_slice(&self.data);
        let mut v = ModePageView::new_unchecked(out);
        v.set_ps(self.ps);
        v.set_page_code(self.page_code);
        match self.subpage_code {
            Some(sub) => {
                v.set_spf(true);
                v.set_subpage_code(sub);
                v.set_subpage_length(self.data.len() as u16);
            }
            None => v.set_page_length(self.data.len() as u8),
        }
        Ok(())
    }
}

/// Which way a mode parameter list travels, which decides its MODE DATA
/// LENGTH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModeListKind {
    /// MODE SENSE data: MODE DATA LENGTH counts the bytes after itself.
    Sense,
    /// MODE SELECT parameter list: MODE DATA LENGTH is reserved and sent as
    /// zero; the CDB's PARAMETER LIST LENGTH gives the size.
    Select,
}

view!(
    /// Mode parameter header(6).
    ModeHeader6View,
    "mode parameter header(6)",
    field::header6::LEN
);

be_fields!(ModeHeader6View {
    /// MODE DATA LENGTH.
    mode_data_length, set_mode_data_length: u8 = field::header6::MODE_DATA_LENGTH;
    /// MEDIUM TYPE.
    medium_type, set_medium_type: u8 = field::header6::MEDIUM_TYPE;
    /// DEVICE-SPECIFIC PARAMETER.
    device_specific, set_device_specific: u8 = field::header6::DEVICE_SPECIFIC;
    /// BLOCK DESCRIPTOR LENGTH.
    block_descriptor_length, set_block_descriptor_length: u8 = field::header6::BLOCK_DESCRIPTOR_LENGTH;
});

/// A six-byte-CDB mode parameter list: the mode parameter header(6), block
/// descriptors and mode pages — MODE SENSE(6) data or a MODE SELECT(6)
/// parameter list.
///
/// Direction: `parse` takes a MODE DATA LENGTH of zero as a MODE SELECT list
/// (where the field is reserved; the whole buffer is the list) and anything
/// else as MODE SENSE data (the field counts the bytes after it, at least
/// the three other header bytes). A MODE SENSE answer shorter than its MODE
/// DATA LENGTH says — an allocation length too small — is `Truncated`;
/// [`ModeParameterList6::needed_len`] tells how many bytes to ask for.
/// Bytes past MODE DATA LENGTH are ignored. `emit` writes MODE DATA LENGTH
/// for [`ModeListKind::Sense`] and zero for [`ModeListKind::Select`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModeParameterList6 {
    /// Sense data or select list.
    pub kind: ModeListKind,
    /// MEDIUM TYPE (00h for tape in practice).
    pub medium_type: u8,
    /// DEVICE-SPECIFIC PARAMETER, raw (see
    /// [`TapeDeviceSpecific`](crate::wire::ssc::TapeDeviceSpecific) for
    /// tape; reserved for changers).
    pub device_specific: u8,
    /// Block descriptors (BLOCK DESCRIPTOR LENGTH / 8 of them).
    pub block_descriptors: Vec<BlockDescriptor>,
    /// Mode pages, raw.
    pub pages: Vec<ModePage>,
}

impl ModeParameterList6 {
    pub(super) const WHAT: &'static str = "mode parameter list(6)";
    /// The most bytes a six-byte mode parameter list can have (MODE DATA
    /// LENGTH is one byte and does not count itself).
    pub const MAX_LEN: usize = 256;

    /// How many bytes the MODE SENSE answer at the start of `buf` has in
    /// all (MODE DATA LENGTH + 1), once at least its first byte is there.
    pub fn needed_len(buf: &[u8]) -> Option<usize> {
        buf.first().map(|&l| usize::from(l) + 1)
    }

    /// The first block descriptor's BLOCK LENGTH (0 = variable), if there
    /// is a block descriptor.
    pub fn block_length(&self) -> Option<u32> {
        self.block_descriptors.first().map(|d| d.block_length)
    }

    /// The page with this code and subpage (`None` for page_0 format).
    pub fn find_page(&self, page_code: u8, subpage_code: Option<u8>) -> Option<&ModePage> {
        find_page(&self.pages, page_code, subpage_code)
    }
}

/// The page of `pages` with this code and subpage.
fn find_page(pages: &[ModePage], page_code: u8, subpage_code: Option<u8>) -> Option<&ModePage> {
    pages
        .iter()
        .find(|p| p.page_code == page_code && p.subpage_code == subpage_code)
}

impl Repr for ModeParameterList6 {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ModeHeader6View::new_checked(buf)?;
        let mdl = v.mode_data_length();
        let (kind, total) = match mdl {
            // A MODE SELECT(6) list: its length is the CDB's one-byte
            // PARAMETER LIST LENGTH, so it cannot exceed 255 bytes.
            0 if buf.len() > usize::from(u8::MAX) => {
                return Err(WireError::Inconsistent {
                    what: Self::WHAT,
                    reason: "a MODE SELECT(6) parameter list is at most 255 bytes",
                })
            }
            0 => (ModeListKind::Select, buf.len()),
            1..=2 => {
                return Err(WireError::InvalidField {
                    what: Self::WHAT,
                    field: "MODE DATA LENGTH",
                    value: mdl.into(),
                })
            }
            _ => {
                let total = usize::from(mdl) + 1;
                check_len(Self::WHAT, buf, total)?;
                (ModeListKind::Sense, total)
            }
        };
        let (block_descriptors, pages) = parse_body(
            Self::WHAT,
            &buf[..total],
            field::header6::LEN,
            v.block_descriptor_length().into(),
        )?;
        Ok(Self {
            kind,
            medium_type: v.medium_type(),
            device_specific: v.device_specific(),
            block_descriptors,
            pages,
        })
    }

    fn buffer_len(&self) -> usize {
        field::header6::LEN + body_len(&self.block_descriptors, &self.pages)
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let total = self.buffer_len();
        let bdl = self.block_descriptors.len() * field::block_descriptor::LEN;
        check_fits(Self::WHAT, "BLOCK DESCRIPTOR LENGTH", bdl as u64, 1)?;
        let mdl = match self.kind {
            ModeListKind::Sense => total - 1,
            ModeListKind::Select => 0,
        };
        check_fits(Self::WHAT, "MODE DATA LENGTH", mdl as u64, 1)?;
        if self.kind == ModeListKind::Select && total > usize::from(u8::MAX) {
            return Err(WireError::Overflow {
                what: Self::WHAT,
                field: "PARAMETER LIST LENGTH",
                value: total as u64,
            });
        }
        let out = prepare(Self::WHAT, buf, total)?;
        emit_body(
            &mut out[field::header6::LEN..],
            &self.block_descriptors,
            &self.pages,
        )?;
        let mut v = ModeHeader6View::new_unchecked(out);
        v.set_mode_data_length(mdl as u8);
        v.set_medium_type(self.medium_type);
        v.set_device_specific(self.device_specific);
        v.set_block_descriptor_length(bdl as u8);
        Ok(())
    }
}

/// The bytes the block descriptors and pages of a mode parameter list take.
fn body_len(block_descriptors: &[BlockDescriptor], pages: &[ModePage]) -> usize {
    block_descriptors.len() * field::block_descriptor::LEN
        + pages.iter().map(Repr::buffer_len).sum::<usize>()
}

/// The block descriptors (BLOCK DESCRIPTOR LENGTH `bdl` bytes of them) and
/// mode pages after the `header_len`-byte header of the mode parameter list
/// `data` (as far as its MODE DATA LENGTH goes): the part the six- and
/// ten-byte lists share.
fn parse_body(
    what: &'static str,
    data: &[u8],
    header_len: usize,
    bdl: usize,
) -> Result<(Vec<BlockDescriptor>, Vec<ModePage>)> {
    if bdl % field::block_descriptor::LEN != 0 {
        return Err(WireError::InvalidField {
            what,
            field: "BLOCK DESCRIPTOR LENGTH",
            value: bdl as u64,
        });
    }
    let pages_start = header_len + bdl;
    if pages_start > data.len() {
        return Err(WireError::Inconsistent {
            what,
            reason: "BLOCK DESCRIPTOR LENGTH runs past the mode data",
        });
    }
    let block_descriptors = data[header_len..pages_start]
        .chunks_exact(field::block_descriptor::LEN)
        .map(BlockDescriptor::parse)
        .collect::<Result<Vec<_>>>()?;
    let mut pages = Vec::new();
    let mut rest = &data[pages_start..];
    while !rest.is_empty() {
        let page = ModePage::parse(rest).map_err(|e| match e {
            WireError::Truncated { .. } => WireError::Inconsistent {
                what,
                reason: "a mode page runs past the mode data",
            },
            other => other,
        })?;
        rest = &rest[page.buffer_len()..];
        pages.push(page);
    }
    Ok((block_descriptors, pages))
}

/// Writes the block descriptors then the pages at the start of `out`
/// (which holds at least [`body_len`] bytes).
fn emit_body(
    out: &mut [u8],
    block_descriptors: &[BlockDescriptor],
    pages: &[ModePage],
) -> Result<()> {
    let mut off = 0;
    for d in block_descriptors {
        d.emit(&mut out[off..])?;
        off += field::block_descriptor::LEN;
    }
    for p in pages {
        p.emit(&mut out[off..])?;
        off += p.buffer_len();
    }
    Ok(())
}

view!(
    /// Mode parameter header(10).
    ModeHeader10View,
    "mode parameter header(10)",
    field::header10::LEN
);

be_fields!(ModeHeader10View {
    /// MODE DATA LENGTH.
    mode_data_length, set_mode_data_length: u16 = field::header10::MODE_DATA_LENGTH;
    /// MEDIUM TYPE.
    medium_type, set_medium_type: u8 = field::header10::MEDIUM_TYPE;
    /// DEVICE-SPECIFIC PARAMETER.
    device_specific, set_device_specific: u8 = field::header10::DEVICE_SPECIFIC;
    /// BLOCK DESCRIPTOR LENGTH.
    block_descriptor_length, set_block_descriptor_length: u16 = field::header10::BLOCK_DESCRIPTOR_LENGTH;
});

flag_fields!(ModeHeader10View {
    /// LONGLBA: the block descriptors are the 16-byte long LBA form.
    longlba, set_longlba: field::header10::FLAGS, 0;
});

/// A ten-byte-CDB mode parameter list: the mode parameter header(10)
/// (SPC-4 table "Mode parameter header(10)"), block descriptors and mode
/// pages — MODE SENSE(10) data or a MODE SELECT(10) parameter list. The
/// block descriptors and pages are those of [`ModeParameterList6`]; only
/// the header differs (two-byte MODE DATA LENGTH and BLOCK DESCRIPTOR
/// LENGTH, LONGLBA).
///
/// Direction as for [`ModeParameterList6`]: a MODE DATA LENGTH of zero is a
/// MODE SELECT list (at most 65 535 bytes, the CDB's PARAMETER LIST
/// LENGTH), anything else MODE SENSE data whose MODE DATA LENGTH counts the
/// bytes after itself (at least the six other header bytes) and must all
/// be there. LONGLBA set (16-byte long LBA block descriptors) is not
/// modelled and is `InvalidField`: segcopy never sets LLBAA, and a device
/// may answer with long descriptors only when asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModeParameterList10 {
    /// Sense data or select list.
    pub kind: ModeListKind,
    /// MEDIUM TYPE.
    pub medium_type: u8,
    /// DEVICE-SPECIFIC PARAMETER, raw (see
    /// [`DiskDeviceSpecific`](crate::wire::sbc::DiskDeviceSpecific) for a
    /// disk).
    pub device_specific: u8,
    /// Block descriptors, short form (BLOCK DESCRIPTOR LENGTH / 8 of them).
    pub block_descriptors: Vec<BlockDescriptor>,
    /// Mode pages, raw.
    pub pages: Vec<ModePage>,
}

impl ModeParameterList10 {
    const WHAT: &'static str = "mode parameter list(10)";

    /// How many bytes the MODE SENSE answer at the start of `buf` has in
    /// all (MODE DATA LENGTH + 2), once at least its first two bytes are
    /// there.
    pub fn needed_len(buf: &[u8]) -> Option<usize> {
        let v = ModeHeader10View::new_unchecked(buf.get(field::header10::MODE_DATA_LENGTH)?);
        Some(usize::from(v.mode_data_length()) + field::header10::MODE_DATA_LENGTH.end)
    }

    /// The page with this code and subpage (`None` for page_0 format).
    pub fn find_page(&self, page_code: u8, subpage_code: Option<u8>) -> Option<&ModePage> {
        find_page(&self.pages, page_code, subpage_code)
    }
}

impl Repr for ModeParameterList10 {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ModeHeader10View::new_checked(buf)?;
        let mdl = v.mode_data_length();
        let (kind, total) = match mdl {
            // The CDB's PARAMETER LIST LENGTH is two bytes.
            0 if buf.len() > usize::from(u16::MAX) => {
                return Err(WireError::Inconsistent {
                    what: Self::WHAT,
                    reason: "a MODE SELECT(10) parameter list is at most 65535 bytes",
                })
            }
            0 => (ModeListKind::Select, buf.len()),
            1..=5 => {
                return Err(WireError::InvalidField {
                    what: Self::WHAT,
                    field: "MODE DATA LENGTH",
                    value: mdl.into(),
                })
            }
            _ => {
                let total = usize::from(mdl) + field::header10::MODE_DATA_LENGTH.end;
                check_len(Self::WHAT, buf, total)?;
                (ModeListKind::Sense, total)
            }
        };
        if v.longlba() {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "LONGLBA",
                value: 1,
            });
        }
        let (block_descriptors, pages) = parse_body(
            Self::WHAT,
            &buf[..total],
            field::header10::LEN,
            v.block_descriptor_length().into(),
        )?;
        Ok(Self {
            kind,
            medium_type: v.medium_type(),
            device_specific: v.device_specific(),
            block_descriptors,
            pages,
        })
    }

    fn buffer_len(&self) -> usize {
        field::header10::LEN + body_len(&self.block_descriptors, &self.pages)
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let total = self.buffer_len();
        let bdl = self.block_descriptors.len() * field::block_descriptor::LEN;
        check_fits(Self::WHAT, "BLOCK DESCRIPTOR LENGTH", bdl as u64, 2)?;
        let mdl = match self.kind {
            ModeListKind::Sense => total - field::header10::MODE_DATA_LENGTH.end,
            ModeListKind::Select => 0,
        };
        check_fits(Self::WHAT, "MODE DATA LENGTH", mdl as u64, 2)?;
        if self.kind == ModeListKind::Select && total > usize::from(u16::MAX) {
            return Err(WireError::Overflow {
                what: Self::WHAT,
                field: "PARAMETER LIST LENGTH",
                value: total as u64,
            });
        }
        let out = prepare(Self::WHAT, buf, total)?;
        emit_body(
            &mut out[field::header10::LEN..],
            &self.block_descriptors,
            &self.pages,
        )?;
        let mut v = ModeHeader10View::new_unchecked(out);
        v.set_mode_data_length(mdl as u16);
        v.set_medium_type(self.medium_type);
        v.set_device_specific(self.device_specific);
        v.set_block_descriptor_length(bdl as u16);
        Ok(())
    }
}

view!(
    /// Control mode page.
    ControlModePageView,
    "Control mode page",
    field::control::LEN
);

be_fields!(ControlModePageView {
    /// PAGE LENGTH.
    page_length, set_page_length: u8 = field::control::PAGE_LENGTH;
    /// BUSY TIMEOUT PERIOD.
    busy_timeout_period, set_busy_timeout_period: u16 = field::control::BUSY_TIMEOUT_PERIOD;
    /// EXTENDED SELF-TEST COMPLETION TIME.
    self_test_time, set_self_test_time: u16 = field::control::SELF_TEST_TIME;
});

bit_fields!(ControlModePageView {
    /// PAGE CODE.
    page_code, set_page_code: field::control::CODE, 0, 6;
    /// TST.
    tst, set_tst: field::control::FLAGS2, 5, 3;
    /// QUEUE ALGORITHM MODIFIER.
    qam, set_qam: field::control::FLAGS3, 4, 4;
    /// QERR.
    qerr, set_qerr: field::control::FLAGS3, 1, 2;
    /// UA_INTLCK_CTRL.
    ua_intlck_ctrl, set_ua_intlck_ctrl: field::control::FLAGS4, 4, 2;
    /// AUTOLOAD MODE.
    autoload_mode, set_autoload_mode: field::control::FLAGS5, 0, 3;
});

flag_fields!(ControlModePageView {
    /// PS.
    ps, set_ps: field::control::CODE, 7;
    /// SPF.
    spf, set_spf: field::control::CODE, 6;
    /// TMF_ONLY.
    tmf_only, set_tmf_only: field::control::FLAGS2, 4;
    /// DPICZ.
    dpicz, set_dpicz: field::control::FLAGS2, 3;
    /// D_SENSE.
    d_sense, set_d_sense: field::control::FLAGS2, 2;
    /// GLTSD.
    gltsd, set_gltsd: field::control::FLAGS2, 1;
    /// RLEC.
    rlec, set_rlec: field::control::FLAGS2, 0;
    /// NUAR.
    nuar, set_nuar: field::control::FLAGS3, 3;
    /// VS.
    vs, set_vs: field::control::FLAGS4, 7;
    /// RAC.
    rac, set_rac: field::control::FLAGS4, 6;
    /// SWP.
    swp, set_swp: field::control::FLAGS4, 3;
    /// ATO.
    ato, set_ato: field::control::FLAGS5, 7;
    /// TAS.
    tas, set_tas: field::control::FLAGS5, 6;
    /// ATMPE.
    atmpe, set_atmpe: field::control::FLAGS5, 5;
    /// RWWP.
    rwwp, set_rwwp: field::control::FLAGS5, 4;
});

/// The Control mode page (0Ah), 12 bytes with its two-byte page header
/// (SPC-4 r37, table "Control mode page"). The default value (every field
/// zero) is also the changeable-values mask of a device that lets nothing
/// be changed. Take it out of a mode parameter list with
/// [`Self::from_mode_page`]; put it in one with [`Self::to_mode_page`].
///
/// `parse` requires PAGE CODE 0Ah in page_0 format and PAGE LENGTH 0Ah;
/// the obsolete bits and bytes are ignored and emitted as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ControlModePage {
    /// PS: the page can be saved.
    pub ps: bool,
    /// TST (three bits): task set type.
    pub tst: u8,
    /// TMF_ONLY.
    pub tmf_only: bool,
    /// DPICZ: no protection check when the PROTECT field is zero.
    pub dpicz: bool,
    /// D_SENSE: descriptor format sense data.
    pub d_sense: bool,
    /// GLTSD: no implicit saving of log parameters.
    pub gltsd: bool,
    /// RLEC: report log exception conditions.
    pub rlec: bool,
    /// QUEUE ALGORITHM MODIFIER (four bits): 0 restricted, 1 unrestricted
    /// reordering.
    pub queue_algorithm_modifier: u8,
    /// NUAR: no unit attention on release.
    pub nuar: bool,
    /// QERR (two bits).
    pub qerr: u8,
    /// VS: vendor specific.
    pub vs: bool,
    /// RAC: report a check.
    pub rac: bool,
    /// UA_INTLCK_CTRL (two bits).
    pub ua_intlck_ctrl: u8,
    /// SWP: software write protect.
    pub swp: bool,
    /// ATO: application tag owner.
    pub ato: bool,
    /// TAS: task aborted status.
    pub tas: bool,
    /// ATMPE: application tag mode page enabled.
    pub atmpe: bool,
    /// RWWP: reject write without protection.
    pub rwwp: bool,
    /// AUTOLOAD MODE (three bits).
    pub autoload_mode: u8,
    /// BUSY TIMEOUT PERIOD (100 µs units; FFFFh unlimited).
    pub busy_timeout_period: u16,
    /// EXTENDED SELF-TEST COMPLETION TIME (seconds).
    pub extended_self_test_completion_time: u16,
}

impl ControlModePage {
    /// PAGE CODE.
    pub const PAGE_CODE: u8 = 0x0a;
    /// PAGE LENGTH.
    pub const PAGE_LENGTH: u8 = 0x0a;
    const WHAT: &'static str = "Control mode page";

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
            data: b[field::mode_page::PAGE0_HEADER..].to_vec(),
        })
    }
}

impl Repr for ControlModePage {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ControlModePageView::new_checked(buf)?;
        if v.page_code() != Self::PAGE_CODE || v.spf() {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "PAGE CODE",
                value: buf[field::control::CODE].into(),
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
            tst: v.tst(),
            tmf_only: v.tmf_only(),
            dpicz: v.dpicz(),
            d_sense: v.d_sense(),
            gltsd: v.gltsd(),
            rlec: v.rlec(),
            queue_algorithm_modifier: v.qam(),
            nuar: v.nuar(),
            qerr: v.qerr(),
            vs: v.vs(),
            rac: v.rac(),
            ua_intlck_ctrl: v.ua_intlck_ctrl(),
            swp: v.swp(),
            ato: v.ato(),
            tas: v.tas(),
            atmpe: v.atmpe(),
            rwwp: v.rwwp(),
            autoload_mode: v.autoload_mode(),
            busy_timeout_period: v.busy_timeout_period(),
            extended_self_test_completion_time: v.self_test_time(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::control::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_bits(Self::WHAT, "TST", self.tst, 3)?;
        check_bits(
            Self::WHAT,
            "QUEUE ALGORITHM MODIFIER",
            self.queue_algorithm_modifier,
            4,
        )?;
        check_bits(Self::WHAT, "QERR", self.qerr, 2)?;
        check_bits(Self::WHAT, "UA_INTLCK_CTRL", self.ua_intlck_ctrl, 2)?;
        check_bits(Self::WHAT, "AUTOLOAD MODE", self.autoload_mode, 3)?;
        let out = prepare(Self::WHAT, buf, field::control::LEN)?;
        let mut v = ControlModePageView::new_unchecked(out);
        v.set_ps(self.ps);
        v.set_page_code(Self::PAGE_CODE);
        v.set_page_length(Self::PAGE_LENGTH);
        v.set_tst(self.tst);
        v.set_tmf_only(self.tmf_only);
        v.set_dpicz(self.dpicz);
        v.set_d_sense(self.d_sense);
        v.set_gltsd(self.gltsd);
        v.set_rlec(self.rlec);
        v.set_qam(self.queue_algorithm_modifier);
        v.set_nuar(self.nuar);
        v.set_qerr(self.qerr);
        v.set_vs(self.vs);
        v.set_rac(self.rac);
        v.set_ua_intlck_ctrl(self.ua_intlck_ctrl);
        v.set_swp(self.swp);
        v.set_ato(self.ato);
        v.set_tas(self.tas);
        v.set_atmpe(self.atmpe);
        v.set_rwwp(self.rwwp);
        v.set_autoload_mode(self.autoload_mode);
        v.set_busy_timeout_period(self.busy_timeout_period);
        v.set_self_test_time(self.extended_self_test_completion_time);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ssc::TapeDeviceSpecific;
    use crate::wire::testing::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Found by `cargo fuzz run ssc`: a 259-byte list with MODE DATA
    /// LENGTH 0 parsed as a MODE SELECT(6) list that could not be emitted
    /// (its length does not fit the one-byte PARAMETER LIST LENGTH).
    #[test]
    fn mode_select_list_over_255_bytes_is_rejected() {
        let mut b = vec![0u8; 259];
        b[2] = 0xa7;
        assert!(matches!(
            ModeParameterList6::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
        assert!(!crate::wire::check_reparse::<ModeParameterList6>(&b));
        b.truncate(254); // header + 125 empty pages: a list that fits
        assert!(crate::wire::check_reparse::<ModeParameterList6>(&b));
    }

    #[test]
    fn mode_sense6_cdb_golden() {
        let b = [
            0x1a, // OPERATION CODE
            0x00, // DBD 0
            0x00, // PC 00b, PAGE CODE 00h
            0x00, // SUBPAGE CODE
            0x0c, // ALLOCATION LENGTH 12: header + one block descriptor
            0x00, // CONTROL
        ];
        let r = ModeSense6Cdb::new(0, 12);
        golden(&b, &r);
        let all = [0x1a, 0x08, 0x7f, 0xff, 0xff, 0x00]; // DBD, PC=01b all pages, all subpages, 255
        golden(
            &all,
            &ModeSense6Cdb::new(ModeSense6Cdb::ALL_PAGES, 0xff)
                .dbd(true)
                .page_control(PageControl::Changeable)
                .subpage_code(0xff),
        );
        opcode_rejected::<ModeSense6Cdb>(&b);
        prefixes_truncated::<ModeSense6Cdb>(&b);
        mutate::<ModeSense6Cdb>(&all);
        too_small(&r);
        overflow(&ModeSense6Cdb::new(0x40, 0), "PAGE CODE");
    }

    #[test]
    fn mode_sense6_cdb_page_selection() {
        let c = ModeSense6Cdb::new(0x1d, 255);
        assert!(c.asks_for_page(0x1d));
        assert!(!c.asks_for_page(0x00));
        assert!(c.asks_for_page_0_format());
        assert!(!c.subpage_code(1).asks_for_page_0_format());
        assert!(!c.subpage_code(0xff).asks_for_page_0_format());
        let all = ModeSense6Cdb::new(ModeSense6Cdb::ALL_PAGES, 255);
        assert!(all.asks_for_page(0x1d) && all.asks_for_page(0x00));
        assert!(all.asks_for_page_0_format());
        assert!(all.subpage_code(0xff).asks_for_page_0_format());
        assert!(!all.subpage_code(1).asks_for_page_0_format());
    }

    #[test]
    fn mode_select6_cdb_golden() {
        let b = [
            0x15, // OPERATION CODE
            0x10, // PF
            0x00, 0x00, // reserved
            0x0c, // PARAMETER LIST LENGTH 12
            0x00, // CONTROL
        ];
        let list = ModeParameterList6::select_block_length(262_144).unwrap();
        let r = ModeSelect6Cdb::for_list(&list).unwrap();
        golden(&b, &r);
        golden(&[0x15, 0x11, 0, 0, 0x0c, 0], &r.sp(true));
        golden(&[0x15, 0x00, 0, 0, 0x0c, 0], &r.pf(false));
        opcode_rejected::<ModeSelect6Cdb>(&b);
        prefixes_truncated::<ModeSelect6Cdb>(&b);
        too_small(&r);
        let big = ModeParameterList6 {
            pages: vec![ModePage::new(0x10, vec![0; 250])],
            ..list
        };
        assert!(matches!(
            ModeSelect6Cdb::for_list(&big),
            Err(WireError::Overflow { .. })
        ));
    }

    const SENSE_VARIABLE: [u8; 12] = [
        0x0b, // MODE DATA LENGTH 11
        0x00, // MEDIUM TYPE
        0x10, // DEVICE-SPECIFIC: WP 0, BUFFERED MODE 1, SPEED 0
        0x08, // BLOCK DESCRIPTOR LENGTH 8
        0x58, // DENSITY CODE 58h (LTO-5)
        0x00, 0x00, 0x00, // NUMBER OF BLOCKS 0
        0x00, // reserved
        0x00, 0x00, 0x00, // BLOCK LENGTH 0: variable
    ];

    #[test]
    fn mode_parameter_list_sense_golden() {
        let r = ModeParameterList6 {
            kind: ModeListKind::Sense,
            medium_type: 0,
            device_specific: 0x10,
            block_descriptors: vec![BlockDescriptor {
                density_code: 0x58,
                number_of_blocks: 0,
                block_length: 0,
            }],
            pages: vec![],
        };
        golden(&SENSE_VARIABLE, &r);
        assert_eq!(r.block_length(), Some(0));
        assert!(r.block_descriptors[0].is_variable());
        assert_eq!(
            r.tape_device_specific(),
            TapeDeviceSpecific {
                write_protected: false,
                buffered_mode: 1,
                speed: 0
            }
        );
        prefixes_truncated::<ModeParameterList6>(&SENSE_VARIABLE[..]);
        mutate::<ModeParameterList6>(&SENSE_VARIABLE);
        too_small(&r);
        // Bytes after MODE DATA LENGTH are ignored.
        let mut padded = SENSE_VARIABLE.to_vec();
        padded.extend_from_slice(&[0xee; 20]);
        assert_eq!(ModeParameterList6::parse(&padded).unwrap(), r);
        assert_eq!(ModeParameterList6::needed_len(&SENSE_VARIABLE), Some(12));
        assert_eq!(ModeParameterList6::needed_len(&[]), None);
    }

    #[test]
    fn mode_parameter_list_with_pages() {
        let b = [
            0x20, // MODE DATA LENGTH 32
            0x00, // MEDIUM TYPE
            0x90, // WP, BUFFERED MODE 1
            0x08, // BLOCK DESCRIPTOR LENGTH
            0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, // density 0, 0 blocks, 65536
            0x8f, 0x0e, // PS, page 0Fh (data compression), length 14
            0xc0, 0x80, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, // page bytes
            0x4a, 0xf0, 0x00, 0x01, // SPF, page 0Ah subpage F0h, length 1
            0x00, // page byte
        ];
        let r = ModeParameterList6::parse(&b).unwrap();
        assert_eq!(r.kind, ModeListKind::Sense);
        assert_eq!(r.block_length(), Some(65_536));
        assert!(r.tape_device_specific().write_protected);
        assert_eq!(r.pages.len(), 2);
        assert!(r.find_page(0x0f, None).unwrap().ps);
        assert_eq!(r.find_page(0x0a, Some(0xf0)).unwrap().data, vec![0]);
        assert!(r.find_page(0x0a, None).is_none());
        assert_eq!(emit_a5(&r), b);
        mutate::<ModeParameterList6>(&b);
        // Select derived from it keeps density and buffering, clears WP.
        let sel = r.with_block_length(262_144).unwrap();
        assert_eq!(
            sel.to_vec().unwrap(),
            [0x00, 0x00, 0x10, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00]
        );
    }

    #[test]
    fn mode_parameter_list_rules() {
        // MODE DATA LENGTH 1 and 2 cannot cover the header.
        for mdl in [1u8, 2] {
            assert!(matches!(
                ModeParameterList6::parse(&[mdl, 0, 0, 0]),
                Err(WireError::InvalidField {
                    field: "MODE DATA LENGTH",
                    ..
                })
            ));
        }
        // Cut by the allocation length: Truncated, with the needed length.
        match ModeParameterList6::parse(&SENSE_VARIABLE[..8]) {
            Err(WireError::Truncated {
                need: 12, have: 8, ..
            }) => {}
            other => panic!("{other:?}"),
        }
        // BLOCK DESCRIPTOR LENGTH not a multiple of 8.
        let mut b = SENSE_VARIABLE;
        b[3] = 7;
        assert!(matches!(
            ModeParameterList6::parse(&b),
            Err(WireError::InvalidField {
                field: "BLOCK DESCRIPTOR LENGTH",
                ..
            })
        ));
        // BLOCK DESCRIPTOR LENGTH past the mode data.
        b[3] = 16;
        assert!(matches!(
            ModeParameterList6::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
        // A page running past the mode data.
        let p = [0x05, 0x00, 0x00, 0x00, 0x10, 0x03, 0x00];
        assert!(matches!(
            ModeParameterList6::parse(&p),
            Err(WireError::Inconsistent { .. })
        ));
        // A one-byte leftover is a cut page header.
        let p = [0x04, 0x00, 0x00, 0x00, 0x10];
        assert!(matches!(
            ModeParameterList6::parse(&p),
            Err(WireError::Inconsistent { .. })
        ));
        // A sub_page page needs four header bytes.
        let p = [0x06, 0x00, 0x00, 0x00, 0x4a, 0xf0, 0x00];
        assert!(matches!(
            ModeParameterList6::parse(&p),
            Err(WireError::Inconsistent { .. })
        ));
        // Emit limits.
        let mut l = ModeParameterList6::select_block_length(0).unwrap();
        l.block_descriptors = vec![BlockDescriptor::default(); 32];
        overflow(&l, "BLOCK DESCRIPTOR LENGTH");
        l.block_descriptors.clear();
        l.pages = vec![
            ModePage::new(1, vec![0; 200]),
            ModePage::new(2, vec![0; 60]),
        ];
        overflow(&l, "PARAMETER LIST LENGTH");
        l.kind = ModeListKind::Sense;
        overflow(&l, "MODE DATA LENGTH");
        l.pages = vec![ModePage::new(0x40, vec![])];
        overflow(&l, "PAGE CODE");
        l.pages = vec![ModePage::new(1, vec![0; 256])];
        overflow(&l.pages[0], "PAGE LENGTH");
        overflow(
            &BlockDescriptor {
                block_length: 1 << 24,
                ..Default::default()
            },
            "BLOCK LENGTH",
        );
        overflow(
            &BlockDescriptor {
                number_of_blocks: 1 << 24,
                ..Default::default()
            },
            "NUMBER OF BLOCKS",
        );
    }

    #[test]
    fn mode_page_alone() {
        let b = [0x1d, 0x02, 0xaa, 0xbb, 0xcc];
        let p = ModePage::parse(&b).unwrap();
        assert_eq!(p.buffer_len(), 4);
        assert_eq!(p.data, vec![0xaa, 0xbb]);
        assert!(matches!(
            ModePage::parse(&b[..3]),
            Err(WireError::Truncated { .. })
        ));
        assert!(matches!(
            ModePage::parse(&b[..1]),
            Err(WireError::Truncated { .. })
        ));
        let sub = ModePage {
            ps: true,
            page_code: 0x0a,
            subpage_code: Some(1),
            data: vec![1, 2, 3],
        };
        assert_eq!(emit_a5(&sub), [0xca, 0x01, 0x00, 0x03, 1, 2, 3]);
        too_small(&sub);
    }

    #[test]
    fn mode_sense10_cdb_golden() {
        let b = [
            0x5a, // OPERATION CODE
            0x00, // LLBAA 0, DBD 0
            0x08, // PC 00b, PAGE CODE 08h (Caching)
            0x00, // SUBPAGE CODE
            0x00, 0x00, 0x00, // reserved
            0x00, 0xfc, // ALLOCATION LENGTH 252
            0x00, // CONTROL
        ];
        let r = ModeSense10Cdb::new(0x08, 252);
        golden(&b, &r);
        let all = [
            0x5a, // OPERATION CODE
            0x18, // LLBAA, DBD
            0x7f, // PC 01b (changeable), PAGE CODE 3Fh (all pages)
            0xff, // SUBPAGE CODE FFh (all subpages)
            0x00, 0x00, 0x00, // reserved
            0xff, 0xff, // ALLOCATION LENGTH 65535
            0x04, // CONTROL
        ];
        let a = ModeSense10Cdb::new(ModeSense6Cdb::ALL_PAGES, 0xffff)
            .llbaa(true)
            .dbd(true)
            .page_control(PageControl::Changeable)
            .subpage_code(0xff)
            .control(4);
        golden(&all, &a);
        assert!(a.asks_for_page(0x08) && a.asks_for_page(0x0a) && a.asks_for_page_0_format());
        assert!(r.asks_for_page(0x08) && !r.asks_for_page(0x0a));
        assert!(!r.subpage_code(1).asks_for_page_0_format());
        // Reserved bytes are ignored.
        let mut reserved = b;
        reserved[4..7].fill(0xee);
        assert_eq!(ModeSense10Cdb::parse(&reserved).unwrap(), r);
        opcode_rejected::<ModeSense10Cdb>(&b);
        prefixes_truncated::<ModeSense10Cdb>(&b);
        mutate::<ModeSense10Cdb>(&all);
        too_small(&r);
        overflow(&ModeSense10Cdb::new(0x40, 0), "PAGE CODE");
    }

    #[test]
    fn mode_sense6_widens_into_mode_sense10() {
        let six = ModeSense6Cdb::new(0x0a, 0xc0)
            .dbd(true)
            .page_control(PageControl::Default)
            .subpage_code(0)
            .control(4);
        let ten = ModeSense10Cdb::from(six);
        assert_eq!(
            ten,
            ModeSense10Cdb::new(0x0a, 0xc0)
                .dbd(true)
                .page_control(PageControl::Default)
                .control(4)
        );
        assert!(!ten.llbaa);
    }

    /// A MODE SENSE(10) answer of a 64 MiB disk: header(10), one short
    /// block descriptor, the Control mode page as LIO reports it.
    const SENSE10_DISK: [u8; 28] = [
        0x00, 0x1a, // MODE DATA LENGTH 26
        0x00, // MEDIUM TYPE
        0x10, // DEVICE-SPECIFIC: DPOFUA
        0x00, // LONGLBA 0
        0x00, // reserved
        0x00, 0x08, // BLOCK DESCRIPTOR LENGTH 8
        0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, // 131072 blocks of 512
        0x0a, 0x0a, // Control mode page, PAGE LENGTH 10
        0x02, // GLTSD
        0x10, // QUEUE ALGORITHM MODIFIER 1
        0x00, // UA_INTLCK_CTRL 0, SWP 0
        0x40, // TAS
        0x00, 0x00, // obsolete
        0xff, 0xff, // BUSY TIMEOUT PERIOD: unlimited
        0x00, 0x1e, // EXTENDED SELF-TEST COMPLETION TIME 30 s
    ];

    #[test]
    fn mode_parameter_list10_sense_golden() {
        let r = ModeParameterList10 {
            kind: ModeListKind::Sense,
            medium_type: 0,
            device_specific: 0x10,
            block_descriptors: vec![BlockDescriptor {
                density_code: 0,
                number_of_blocks: 0x02_0000,
                block_length: 512,
            }],
            pages: vec![ModePage::new(
                0x0a,
                vec![0x02, 0x10, 0x00, 0x40, 0, 0, 0xff, 0xff, 0x00, 0x1e],
            )],
        };
        golden(&SENSE10_DISK, &r);
        assert!(r.find_page(0x0a, None).is_some());
        assert!(r.find_page(0x08, None).is_none());
        let control = ControlModePage::from_mode_page(r.find_page(0x0a, None).unwrap()).unwrap();
        assert!(control.gltsd && control.tas);
        assert_eq!(control.busy_timeout_period, 0xffff);
        prefixes_truncated::<ModeParameterList10>(&SENSE10_DISK);
        mutate::<ModeParameterList10>(&SENSE10_DISK);
        too_small(&r);
        // Bytes after MODE DATA LENGTH are ignored.
        let mut padded = SENSE10_DISK.to_vec();
        padded.extend_from_slice(&[0xee; 20]);
        assert_eq!(ModeParameterList10::parse(&padded).unwrap(), r);
        assert_eq!(ModeParameterList10::needed_len(&SENSE10_DISK), Some(28));
        assert_eq!(ModeParameterList10::needed_len(&SENSE10_DISK[..1]), None);
        // A header alone, as a select list (MODE DATA LENGTH reserved).
        let select = [0, 0, 0, 0, 0, 0, 0, 0];
        let s = ModeParameterList10::parse(&select).unwrap();
        assert_eq!(s.kind, ModeListKind::Select);
        golden(&select, &s);
    }

    #[test]
    fn mode_parameter_list10_rules() {
        let err = |b: &[u8]| ModeParameterList10::parse(b).unwrap_err();
        // MODE DATA LENGTH 1 to 5 cannot cover the header.
        for mdl in 1u8..=5 {
            assert!(matches!(
                err(&[0, mdl, 0, 0, 0, 0, 0, 0]),
                WireError::InvalidField {
                    field: "MODE DATA LENGTH",
                    ..
                }
            ));
        }
        // Cut by the allocation length.
        assert!(matches!(
            err(&SENSE10_DISK[..20]),
            WireError::Truncated {
                need: 28,
                have: 20,
                ..
            }
        ));
        // LONGLBA: long LBA block descriptors are not modelled.
        let mut long = SENSE10_DISK;
        long[4] = 0x01;
        assert!(matches!(
            err(&long),
            WireError::InvalidField {
                field: "LONGLBA",
                ..
            }
        ));
        // BLOCK DESCRIPTOR LENGTH not a multiple of 8, or past the data.
        let mut b = SENSE10_DISK;
        b[7] = 7;
        assert!(matches!(
            err(&b),
            WireError::InvalidField {
                field: "BLOCK DESCRIPTOR LENGTH",
                ..
            }
        ));
        b[6] = 0x01;
        b[7] = 0x00;
        assert!(matches!(err(&b), WireError::Inconsistent { .. }));
        // A page running past the mode data.
        let mut p = SENSE10_DISK;
        p[17] = 0x0b;
        assert!(matches!(err(&p), WireError::Inconsistent { .. }));
        // A select list past 65535 bytes.
        assert!(matches!(
            err(&vec![0u8; 65_536]),
            WireError::Inconsistent { .. }
        ));
        // Emit limits.
        let mut l = ModeParameterList10::parse(&SENSE10_DISK).unwrap();
        l.block_descriptors = vec![BlockDescriptor::default(); 8192];
        overflow(&l, "BLOCK DESCRIPTOR LENGTH");
        l.block_descriptors.clear();
        l.pages = vec![ModePage::new(1, vec![0; 255]); 257];
        assert!(l.buffer_len() > 65_537);
        let mut big = vec![0u8; l.buffer_len()];
        assert!(matches!(
            l.emit(&mut big),
            Err(WireError::Overflow {
                field: "MODE DATA LENGTH",
                ..
            })
        ));
        l.kind = ModeListKind::Select;
        assert!(matches!(
            l.emit(&mut big),
            Err(WireError::Overflow {
                field: "PARAMETER LIST LENGTH",
                ..
            })
        ));
    }

    #[test]
    fn control_mode_page_golden() {
        let p = ControlModePage::parse(&SENSE10_DISK[16..]).unwrap();
        assert_eq!(
            p,
            ControlModePage {
                gltsd: true,
                queue_algorithm_modifier: 1,
                tas: true,
                busy_timeout_period: 0xffff,
                extended_self_test_completion_time: 30,
                ..ControlModePage::default()
            }
        );
        golden(&SENSE10_DISK[16..], &p);
        let all = [
            0x8a, // PS, PAGE CODE 0Ah
            0x0a, // PAGE LENGTH 10
            0xbf, // TST 5, TMF_ONLY, DPICZ, D_SENSE, GLTSD, RLEC
            0xfa, // QUEUE ALGORITHM MODIFIER 15, NUAR, QERR 1
            0xf8, // VS, RAC, UA_INTLCK_CTRL 3, SWP
            0xf6, // ATO, TAS, ATMPE, RWWP, AUTOLOAD MODE 6
            0x00, 0x00, // obsolete
            0x01, 0x02, // BUSY TIMEOUT PERIOD
            0x03, 0x04, // EXTENDED SELF-TEST COMPLETION TIME
        ];
        let q = ControlModePage::parse(&all).unwrap();
        assert!(q.ps && q.tmf_only && q.dpicz && q.d_sense && q.gltsd && q.rlec);
        assert!(q.nuar && q.vs && q.rac && q.swp && q.ato && q.tas && q.atmpe && q.rwwp);
        assert_eq!(
            (
                q.tst,
                q.queue_algorithm_modifier,
                q.qerr,
                q.ua_intlck_ctrl,
                q.autoload_mode
            ),
            (5, 15, 1, 3, 6)
        );
        assert_eq!(
            (q.busy_timeout_period, q.extended_self_test_completion_time),
            (0x0102, 0x0304)
        );
        golden(&all, &q);
        // The obsolete bits and bytes are ignored.
        let mut obsolete = all;
        obsolete[3] |= 0x01;
        obsolete[4] |= 0x07;
        obsolete[5] |= 0x08;
        obsolete[6..8].fill(0xee);
        assert_eq!(ControlModePage::parse(&obsolete).unwrap(), q);
        let raw = q.to_mode_page().unwrap();
        assert!(raw.ps);
        assert_eq!(ControlModePage::from_mode_page(&raw), Ok(q));
        prefixes_truncated::<ControlModePage>(&all);
        mutate::<ControlModePage>(&all);
        too_small(&q);
    }

    #[test]
    fn control_mode_page_rejects() {
        let field_of = |b: &[u8]| match ControlModePage::parse(b) {
            Err(WireError::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let good = &SENSE10_DISK[16..];
        let mut other = good.to_vec();
        other[0] = 0x08;
        assert_eq!(field_of(&other), "PAGE CODE");
        let mut spf = good.to_vec();
        spf[0] |= 0x40;
        assert_eq!(field_of(&spf), "PAGE CODE");
        let mut len = good.to_vec();
        len[1] = 0x1c;
        assert_eq!(field_of(&len), "PAGE LENGTH");
        let p = ControlModePage::default();
        for (bad, field) in [
            (ControlModePage { tst: 8, ..p }, "TST"),
            (
                ControlModePage {
                    queue_algorithm_modifier: 16,
                    ..p
                },
                "QUEUE ALGORITHM MODIFIER",
            ),
            (ControlModePage { qerr: 4, ..p }, "QERR"),
            (
                ControlModePage {
                    ua_intlck_ctrl: 4,
                    ..p
                },
                "UA_INTLCK_CTRL",
            ),
            (
                ControlModePage {
                    autoload_mode: 8,
                    ..p
                },
                "AUTOLOAD MODE",
            ),
        ] {
            overflow(&bad, field);
            assert!(bad.to_mode_page().is_err());
        }
    }

    // --- proptest -------------------------------------------------------------

    prop_compose! {
        fn arb_block_descriptor()(d in any::<u8>(), n in arb_u24(), l in arb_u24()) -> BlockDescriptor {
            BlockDescriptor { density_code: d, number_of_blocks: n, block_length: l }
        }
    }
    prop_compose! {
        fn arb_mode_page()(ps in any::<bool>(), code in 0u8..64, sub in proptest::option::of(any::<u8>()),
                           data in vec(any::<u8>(), 0..40)) -> ModePage {
            ModePage { ps, page_code: code, subpage_code: sub, data }
        }
    }
    prop_compose! {
        fn arb_mode_list()(select in any::<bool>(), mt in any::<u8>(), ds in any::<u8>(),
                           bds in vec(arb_block_descriptor(), 0..4),
                           pages in vec(arb_mode_page(), 0..4)) -> ModeParameterList6 {
            ModeParameterList6 {
                kind: if select { ModeListKind::Select } else { ModeListKind::Sense },
                medium_type: mt, device_specific: ds, block_descriptors: bds, pages,
            }
        }
    }

    proptest! {
        #[test]
        fn prop_mode_sense6(d in any::<bool>(), pc in 0u8..4, p in 0u8..64, s in any::<u8>(), a in any::<u8>(), c in any::<u8>()) {
            round_trip(&ModeSense6Cdb { dbd: d, page_control: PageControl::from_code(pc), page_code: p,
                                        subpage_code: s, allocation_length: a, control: c })?;
        }
        #[test]
        fn prop_mode_sense10(l in any::<bool>(), d in any::<bool>(), pc in 0u8..4, p in 0u8..64, s in any::<u8>(), a in any::<u16>(), c in any::<u8>()) {
            round_trip(&ModeSense10Cdb { llbaa: l, dbd: d, page_control: PageControl::from_code(pc), page_code: p,
                                         subpage_code: s, allocation_length: a, control: c })?;
        }
        #[test]
        fn prop_mode_list10(r in arb_mode_list()) {
            let r = ModeParameterList10 {
                kind: r.kind, medium_type: r.medium_type, device_specific: r.device_specific,
                block_descriptors: r.block_descriptors, pages: r.pages,
            };
            round_trip(&r)?;
        }
        #[test]
        fn prop_control_page(flags in any::<[bool; 15]>(), tst in 0u8..8, qam in 0u8..16, qerr in 0u8..4,
                             ua in 0u8..4, autoload in 0u8..8, btp in any::<u16>(), est in any::<u16>()) {
            let p = ControlModePage {
                ps: flags[0], tst, tmf_only: flags[1], dpicz: flags[2], d_sense: flags[3],
                gltsd: flags[4], rlec: flags[5], queue_algorithm_modifier: qam, nuar: flags[6],
                qerr, vs: flags[7], rac: flags[8], ua_intlck_ctrl: ua, swp: flags[9],
                ato: flags[10], tas: flags[11], atmpe: flags[12], rwwp: flags[13],
                autoload_mode: autoload, busy_timeout_period: btp,
                extended_self_test_completion_time: est,
            };
            round_trip(&p)?;
            prop_assert_eq!(ControlModePage::from_mode_page(&p.to_mode_page().unwrap()), Ok(p));
        }
        #[test]
        fn prop_mode_select6(pf in any::<bool>(), sp in any::<bool>(), l in any::<u8>(), c in any::<u8>()) {
            round_trip(&ModeSelect6Cdb { pf, sp, parameter_list_length: l, control: c })?;
        }
        #[test]
        fn prop_block_descriptor(r in arb_block_descriptor()) { round_trip(&r)?; }
        #[test]
        fn prop_mode_page(r in arb_mode_page()) { round_trip(&r)?; }
        #[test]
        fn prop_mode_list(r in arb_mode_list()) { round_trip(&r)?; }

        #[test]
        fn parse_never_panics(buf in vec(any::<u8>(), 0..300)) {
            let _ = ModeSense6Cdb::parse(&buf);
            let _ = ModeSelect6Cdb::parse(&buf);
            let _ = BlockDescriptor::parse(&buf);
            let _ = ModePage::parse(&buf);
            let _ = ModeParameterList6::parse(&buf);
            let _ = ModeSense10Cdb::parse(&buf);
            let _ = ModeParameterList10::parse(&buf);
            let _ = ControlModePage::parse(&buf);
        }

        /// Ten-byte mode lists whose MODE DATA LENGTH matches, so the
        /// descriptor and page walk is exercised on arbitrary contents.
        #[test]
        fn mode_list10_walk_never_panics(mut buf in vec(any::<u8>(), 8..=300), bdl in 0u8..5) {
            let mdl = (buf.len() - 2) as u16;
            buf[..2].copy_from_slice(&mdl.to_be_bytes());
            buf[4] &= !0x01;
            buf[6] = 0;
            buf[7] = bdl * 8;
            if let Ok(r) = ModeParameterList10::parse(&buf) {
                prop_assert_eq!(ModeParameterList10::parse(&r.to_vec().unwrap()).unwrap(), r);
            }
        }

        /// Mode lists whose MODE DATA LENGTH matches, so the descriptor and
        /// page walk is exercised on arbitrary contents.
        #[test]
        fn mode_list_walk_never_panics(mut buf in vec(any::<u8>(), 4..=256), bdl in 0u8..5) {
            buf[0] = (buf.len() - 1) as u8;
            buf[3] = bdl * 8;
            if let Ok(r) = ModeParameterList6::parse(&buf) {
                // Reserved bytes are not kept, so compare values.
                prop_assert_eq!(ModeParameterList6::parse(&r.to_vec().unwrap()).unwrap(), r);
            }
        }
    }
}
