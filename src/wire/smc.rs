//! SMC-3 (T10 draft SMC-3 r16) medium changer (tape library) structures:
//! READ ELEMENT STATUS (B8h) — the CDB and the element status data (data
//! header, element status pages, element descriptors with volume tags and
//! the device identification of SMC-3) —, MOVE MEDIUM (A5h), and the
//! element address assignment mode page (1Dh).
//!
//! The mode page is parsed here as a page body; the MODE SENSE(6) CDB, the
//! mode parameter header and the raw [`ModePage`] it travels in are SPC-4's,
//! in [`crate::wire::mode`] (one implementation for tape and changer; see
//! [`ElementAddressAssignmentPage::from_mode_page`]).
//!
//! Rules `parse` enforces on element status data:
//! - the 8-byte data header is there (`Truncated` otherwise);
//! - only the bytes that BYTE COUNT OF REPORT AVAILABLE covers are read
//!   (padding after them is ignored); when the buffer ends before them, the
//!   answer was cut by the allocation length: parse keeps every complete
//!   element descriptor, drops a partial one and a partial page header, and
//!   the result says so ([`ElementStatusData::is_truncated`]) — the caller
//!   re-asks with a larger allocation length (the counts the device reported
//!   are kept as they were, per SMC-3 they are not adjusted to the
//!   allocation length);
//! - an element status page's ELEMENT DESCRIPTOR LENGTH holds at least the
//!   12 fixed bytes plus 36 per volume tag announced (PVOLTAG, AVOLTAG);
//!   its BYTE COUNT OF DESCRIPTOR DATA AVAILABLE is a multiple of it and,
//!   in an answer that was not cut, fits inside the report;
//! - in an element descriptor, an identification descriptor's IDENTIFIER
//!   LENGTH fits inside the descriptor;
//! - the number of descriptors is never more than NUMBER OF ELEMENTS
//!   AVAILABLE, and equals it when the answer was not cut.
//!
//! Disagreements between sources, noted where they matter:
//! - byte 9 of an element descriptor: SVALID bit 7, INVERT bit 6, ED bit 3,
//!   MEDIUM TYPE bits 2-0 (SMC-3 as vendor manuals — StorageTek SL500,
//!   Oracle ACSLS — print it). FreeBSD `scsi_ch.h` defines ED as 80h (the
//!   SVALID bit); mtx's bit-field struct swaps SVALID and INVERT. We follow
//!   the vendor manuals.
//! - tgt's changer (usr/smc.c) sizes its answer as 8 + n × descriptor
//!   length and transfers that many bytes, though it wrote an 8-byte data
//!   header *and* an 8-byte page header: the last 8 bytes of the last
//!   descriptor never arrive, so this parser reports such an answer as
//!   truncated and drops the last element; `transport::changer` refuses
//!   such an answer (a byte count past what arrived though there was room
//!   for it) rather than use a report with an element missing. tgt also
//!   overlaps its pages when asked for all element types (type 0).

use bitflags::bitflags;

use super::mode::ModePage;
use super::{
    ascii_field, be_fields, bit_fields, check_bits, check_fits, check_len, expect_opcode,
    flag_fields, prepare, view, Repr, Result, WireError,
};

mod field {
    //! Byte offsets, one sub-module per structure, named after SMC-3.

    /// READ ELEMENT STATUS CDB (12 bytes).
    pub mod res_cdb {
        use crate::wire::Field;
        /// OPERATION CODE.
        pub const OPCODE: Field = 0..1;
        /// VOLTAG (bit 4), ELEMENT TYPE CODE (bits 3-0).
        pub const TYPE: usize = 1;
        /// STARTING ELEMENT ADDRESS.
        pub const STARTING_ELEMENT_ADDRESS: Field = 2..4;
        /// NUMBER OF ELEMENTS.
        pub const NUMBER_OF_ELEMENTS: Field = 4..6;
        /// CURDATA (bit 1), DVCID (bit 0).
        pub const FLAGS: usize = 6;
        /// ALLOCATION LENGTH.
        pub const ALLOCATION_LENGTH: Field = 7..10;
        /// CONTROL.
        pub const CONTROL: Field = 11..12;
        /// CDB length.
        pub const LEN: usize = 12;
    }

    /// MOVE MEDIUM CDB (12 bytes).
    pub mod move_medium {
        use crate::wire::Field;
        /// OPERATION CODE.
        pub const OPCODE: Field = 0..1;
        /// MEDIUM TRANSPORT ADDRESS.
        pub const TRANSPORT: Field = 2..4;
        /// SOURCE ADDRESS.
        pub const SOURCE: Field = 4..6;
        /// DESTINATION ADDRESS.
        pub const DESTINATION: Field = 6..8;
        /// INVERT (bit 0).
        pub const INVERT: usize = 10;
        /// CONTROL.
        pub const CONTROL: Field = 11..12;
        /// CDB length.
        pub const LEN: usize = 12;
    }

    /// Element status data header (8 bytes).
    pub mod header {
        use crate::wire::Field;
        /// FIRST ELEMENT ADDRESS REPORTED.
        pub const FIRST_ELEMENT_ADDRESS: Field = 0..2;
        /// NUMBER OF ELEMENTS AVAILABLE.
        pub const NUMBER_OF_ELEMENTS: Field = 2..4;
        /// BYTE COUNT OF REPORT AVAILABLE (not counting this header).
        pub const BYTE_COUNT: Field = 5..8;
        /// Header length.
        pub const LEN: usize = 8;
    }

    /// Element status page header (8 bytes).
    pub mod page {
        use crate::wire::Field;
        /// ELEMENT TYPE CODE.
        pub const ELEMENT_TYPE: Field = 0..1;
        /// PVOLTAG (bit 7), AVOLTAG (bit 6).
        pub const FLAGS: usize = 1;
        /// ELEMENT DESCRIPTOR LENGTH.
        pub const DESCRIPTOR_LENGTH: Field = 2..4;
        /// BYTE COUNT OF DESCRIPTOR DATA AVAILABLE (not counting this
        /// header).
        pub const BYTE_COUNT: Field = 5..8;
        /// Header length.
        pub const LEN: usize = 8;
    }

    /// Element descriptor, fixed part (12 bytes).
    pub mod descriptor {
        use crate::wire::Field;
        /// ELEMENT ADDRESS.
        pub const ELEMENT_ADDRESS: Field = 0..2;
        /// FULL, IMPEXP, EXCEPT, ACCESS, EXENAB, INENAB, CMC, OIR.
        pub const FLAGS: Field = 2..3;
        /// ADDITIONAL SENSE CODE.
        pub const ASC: Field = 4..5;
        /// ADDITIONAL SENSE CODE QUALIFIER.
        pub const ASCQ: Field = 5..6;
        /// Data transfer elements in SMC-2: NOT BUS, ID VALID, LU VALID,
        /// LUN; SCSI BUS ADDRESS; reserved. Reserved otherwise.
        pub const SCSI_BUS_FIELDS: Field = 6..9;
        /// SVALID (bit 7), INVERT (bit 6), ED (bit 3), MEDIUM TYPE (2-0).
        pub const STATUS: usize = 9;
        /// SOURCE STORAGE ELEMENT ADDRESS.
        pub const SOURCE: Field = 10..12;
        /// Fixed part length.
        pub const LEN: usize = 12;
    }

    /// Volume tag information (36 bytes).
    pub mod volume_tag {
        use crate::wire::Field;
        /// VOLUME IDENTIFICATION (32 bytes).
        pub const IDENTIFICATION: Field = 0..32;
        /// VOLUME SEQUENCE NUMBER.
        pub const SEQUENCE: Field = 34..36;
        /// Length.
        pub const LEN: usize = 36;
    }

    /// Identification descriptor header inside an element descriptor.
    pub mod identification {
        use crate::wire::Field;
        /// PROTOCOL IDENTIFIER (bits 7-4), CODE SET (bits 3-0).
        pub const CODE_SET: usize = 0;
        /// PIV (bit 7), ASSOCIATION (bits 5-4), IDENTIFIER TYPE (3-0).
        pub const TYPE: usize = 1;
        /// IDENTIFIER LENGTH.
        pub const LENGTH: Field = 3..4;
        /// Header length.
        pub const LEN: usize = 4;
    }

    /// Element address assignment mode page (20 bytes).
    pub mod eaa {
        use crate::wire::Field;
        /// PS (bit 7), SPF (bit 6), PAGE CODE (bits 5-0).
        pub const CODE: usize = 0;
        /// PAGE LENGTH.
        pub const PAGE_LENGTH: Field = 1..2;
        /// MEDIUM TRANSPORT ELEMENT ADDRESS.
        pub const MT_ADDRESS: Field = 2..4;
        /// NUMBER OF MEDIUM TRANSPORT ELEMENTS.
        pub const MT_COUNT: Field = 4..6;
        /// FIRST STORAGE ELEMENT ADDRESS.
        pub const ST_ADDRESS: Field = 6..8;
        /// NUMBER OF STORAGE ELEMENTS.
        pub const ST_COUNT: Field = 8..10;
        /// FIRST IMPORT/EXPORT ELEMENT ADDRESS.
        pub const IE_ADDRESS: Field = 10..12;
        /// NUMBER OF IMPORT/EXPORT ELEMENTS.
        pub const IE_COUNT: Field = 12..14;
        /// FIRST DATA TRANSFER ELEMENT ADDRESS.
        pub const DT_ADDRESS: Field = 14..16;
        /// NUMBER OF DATA TRANSFER ELEMENTS.
        pub const DT_COUNT: Field = 16..18;
        /// Page length including its two header bytes.
        pub const LEN: usize = 20;
    }
}

// The data header and the page header share one view: their byte counts sit
// at the same offsets.
const _: () = assert!(
    field::page::BYTE_COUNT.start == field::header::BYTE_COUNT.start
        && field::page::BYTE_COUNT.end == field::header::BYTE_COUNT.end
        && field::page::LEN == field::header::LEN
);

// ---------------------------------------------------------------------------
// Element types.

/// ELEMENT TYPE CODE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElementType {
    /// 0: all element types (READ ELEMENT STATUS CDB only).
    All,
    /// 1: medium transport element (picker, robot hand).
    MediumTransport,
    /// 2: storage element (slot).
    Storage,
    /// 3: import/export element (mail slot).
    ImportExport,
    /// 4: data transfer element (drive).
    DataTransfer,
    /// Anything else, kept.
    Unknown(u8),
}

impl ElementType {
    /// The type for a code.
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => Self::All,
            1 => Self::MediumTransport,
            2 => Self::Storage,
            3 => Self::ImportExport,
            4 => Self::DataTransfer,
            other => Self::Unknown(other),
        }
    }

    /// The code.
    pub fn code(self) -> u8 {
        match self {
            Self::All => 0,
            Self::MediumTransport => 1,
            Self::Storage => 2,
            Self::ImportExport => 3,
            Self::DataTransfer => 4,
            Self::Unknown(c) => c,
        }
    }
}

// ---------------------------------------------------------------------------
// READ ELEMENT STATUS CDB.

view!(
    /// READ ELEMENT STATUS CDB.
    ReadElementStatusCdbView,
    "READ ELEMENT STATUS CDB",
    field::res_cdb::LEN
);

be_fields!(ReadElementStatusCdbView {
    /// OPERATION CODE (B8h).
    opcode, set_opcode: u8 = field::res_cdb::OPCODE;
    /// STARTING ELEMENT ADDRESS.
    starting_element_address, set_starting_element_address: u16 = field::res_cdb::STARTING_ELEMENT_ADDRESS;
    /// NUMBER OF ELEMENTS.
    number_of_elements, set_number_of_elements: u16 = field::res_cdb::NUMBER_OF_ELEMENTS;
    /// ALLOCATION LENGTH.
    allocation_length, set_allocation_length: u32 = field::res_cdb::ALLOCATION_LENGTH;
    /// CONTROL.
    control, set_control: u8 = field::res_cdb::CONTROL;
});

bit_fields!(ReadElementStatusCdbView {
    /// ELEMENT TYPE CODE.
    element_type, set_element_type: field::res_cdb::TYPE, 0, 4;
});

flag_fields!(ReadElementStatusCdbView {
    /// VOLTAG.
    voltag, set_voltag: field::res_cdb::TYPE, 4;
    /// CURDATA.
    curdata, set_curdata: field::res_cdb::FLAGS, 1;
    /// DVCID.
    dvcid, set_dvcid: field::res_cdb::FLAGS, 0;
});

/// READ ELEMENT STATUS (B8h) CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadElementStatusCdb {
    /// VOLTAG: report volume tags (barcodes).
    pub voltag: bool,
    /// ELEMENT TYPE CODE (4 bits) to report.
    pub element_type: ElementType,
    /// STARTING ELEMENT ADDRESS.
    pub starting_element_address: u16,
    /// NUMBER OF ELEMENTS.
    pub number_of_elements: u16,
    /// CURDATA: answer from current data without moving anything.
    pub curdata: bool,
    /// DVCID: report device identifiers of data transfer elements.
    pub dvcid: bool,
    /// ALLOCATION LENGTH (24 bits).
    pub allocation_length: u32,
    /// CONTROL byte.
    pub control: u8,
}

impl ReadElementStatusCdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0xb8;
    const WHAT: &'static str = "READ ELEMENT STATUS CDB";

    /// Reports up to `number_of_elements` elements of `element_type` from
    /// `starting_element_address`, at most `allocation_length` bytes.
    pub fn new(
        element_type: ElementType,
        starting_element_address: u16,
        number_of_elements: u16,
        allocation_length: u32,
    ) -> Self {
        Self {
            voltag: false,
            element_type,
            starting_element_address,
            number_of_elements,
            curdata: false,
            dvcid: false,
            allocation_length,
            control: 0,
        }
    }

    /// Sets VOLTAG.
    pub fn voltag(mut self, voltag: bool) -> Self {
        self.voltag = voltag;
        self
    }

    /// Sets CURDATA.
    pub fn curdata(mut self, curdata: bool) -> Self {
        self.curdata = curdata;
        self
    }

    /// Sets DVCID.
    pub fn dvcid(mut self, dvcid: bool) -> Self {
        self.dvcid = dvcid;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for ReadElementStatusCdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ReadElementStatusCdbView::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            voltag: v.voltag(),
            element_type: ElementType::from_code(v.element_type()),
            starting_element_address: v.starting_element_address(),
            number_of_elements: v.number_of_elements(),
            curdata: v.curdata(),
            dvcid: v.dvcid(),
            allocation_length: v.allocation_length(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::res_cdb::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let code = self.element_type.code();
        check_bits(Self::WHAT, "ELEMENT TYPE CODE", code, 4)?;
        check_fits(
            Self::WHAT,
            "ALLOCATION LENGTH",
            self.allocation_length.into(),
            3,
        )?;
        let out = prepare(Self::WHAT, buf, field::res_cdb::LEN)?;
        let mut v = ReadElementStatusCdbView::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_voltag(self.voltag);
        v.set_element_type(code);
        v.set_starting_element_address(self.starting_element_address);
        v.set_number_of_elements(self.number_of_elements);
        v.set_curdata(self.curdata);
        v.set_dvcid(self.dvcid);
        v.set_allocation_length(self.allocation_length);
        v.set_control(self.control);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// MOVE MEDIUM.

view!(
    /// MOVE MEDIUM CDB.
    MoveMediumCdbView,
    "MOVE MEDIUM CDB",
    field::move_medium::LEN
);

be_fields!(MoveMediumCdbView {
    /// OPERATION CODE (A5h).
    opcode, set_opcode: u8 = field::move_medium::OPCODE;
    /// MEDIUM TRANSPORT ADDRESS.
    transport, set_transport: u16 = field::move_medium::TRANSPORT;
    /// SOURCE ADDRESS.
    source, set_source: u16 = field::move_medium::SOURCE;
    /// DESTINATION ADDRESS.
    destination, set_destination: u16 = field::move_medium::DESTINATION;
    /// CONTROL.
    control, set_control: u8 = field::move_medium::CONTROL;
});

flag_fields!(MoveMediumCdbView {
    /// INVERT.
    invert, set_invert: field::move_medium::INVERT, 0;
});

/// MOVE MEDIUM (A5h) CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MoveMediumCdb {
    /// MEDIUM TRANSPORT ADDRESS (0: the library's default transport).
    pub transport_element_address: u16,
    /// SOURCE ADDRESS.
    pub source_address: u16,
    /// DESTINATION ADDRESS.
    pub destination_address: u16,
    /// INVERT: turn the medium over on the way (two-sided media).
    pub invert: bool,
    /// CONTROL byte.
    pub control: u8,
}

impl MoveMediumCdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0xa5;
    const WHAT: &'static str = "MOVE MEDIUM CDB";

    /// Moves the medium at `source` to `destination` with transport
    /// `transport`.
    pub fn new(transport: u16, source: u16, destination: u16) -> Self {
        Self {
            transport_element_address: transport,
            source_address: source,
            destination_address: destination,
            invert: false,
            control: 0,
        }
    }

    /// Sets INVERT.
    pub fn invert(mut self, invert: bool) -> Self {
        self.invert = invert;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for MoveMediumCdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = MoveMediumCdbView::new_checked(buf)?;
        expect_opcode(Self::WHAT, v.opcode(), Self::OPCODE)?;
        Ok(Self {
            transport_element_address: v.transport(),
            source_address: v.source(),
            destination_address: v.destination(),
            invert: v.invert(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::move_medium::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let out = prepare(Self::WHAT, buf, field::move_medium::LEN)?;
        let mut v = MoveMediumCdbView::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_transport(self.transport_element_address);
        v.set_source(self.source_address);
        v.set_destination(self.destination_address);
        v.set_invert(self.invert);
        v.set_control(self.control);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Element descriptors.

bitflags! {
    /// Byte 2 of an element descriptor. Which bits mean something depends
    /// on the element type: FULL and EXCEPT for all; ACCESS for storage,
    /// import/export and data transfer; IMPEXP, EXENAB, INENAB, CMC and OIR
    /// for import/export only. Other bits are kept as they came.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct ElementFlags: u8 {
        /// FULL: the element holds a unit of medium.
        const FULL = 0x01;
        /// IMPEXP: the medium was put in by an operator (import/export).
        const IMPEXP = 0x02;
        /// EXCEPT: the element is in an abnormal state (see ASC/ASCQ).
        const EXCEPT = 0x04;
        /// ACCESS: the transport can reach the element.
        const ACCESS = 0x08;
        /// EXENAB: the element can export media.
        const EXENAB = 0x10;
        /// INENAB: the element can import media.
        const INENAB = 0x20;
        /// CMC (SMC-3): the element is a cartridge magazine component.
        const CMC = 0x40;
        /// OIR (SMC-3): operator intervention required.
        const OIR = 0x80;
    }
}

impl ElementFlags {
    /// The flags SMC-3 defines for an element type (the others are
    /// reserved for it): FULL and EXCEPT for a medium transport; plus
    /// ACCESS for storage and data transfer elements; all eight for
    /// import/export. Unknown types get every bit.
    pub fn defined_for(t: ElementType) -> Self {
        match t {
            ElementType::MediumTransport => Self::FULL | Self::EXCEPT,
            ElementType::Storage | ElementType::DataTransfer => {
                Self::FULL | Self::EXCEPT | Self::ACCESS
            }
            ElementType::ImportExport | ElementType::All | ElementType::Unknown(_) => Self::all(),
        }
    }
}

/// MEDIUM TYPE of an element descriptor (byte 9 bits 2-0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediumType {
    /// 0: unspecified.
    Unspecified,
    /// 1: data medium.
    Data,
    /// 2: cleaning medium.
    Cleaning,
    /// 3: diagnostic medium.
    Diagnostic,
    /// 4: WORM medium.
    Worm,
    /// 5: microcode image medium.
    Microcode,
    /// 6, 7: reserved, kept.
    Unknown(u8),
}

impl MediumType {
    /// The type for a 3-bit code.
    pub fn from_code(code: u8) -> Self {
        match code & 0x07 {
            0 => Self::Unspecified,
            1 => Self::Data,
            2 => Self::Cleaning,
            3 => Self::Diagnostic,
            4 => Self::Worm,
            5 => Self::Microcode,
            other => Self::Unknown(other),
        }
    }

    /// The code.
    pub fn code(self) -> u8 {
        match self {
            Self::Unspecified => 0,
            Self::Data => 1,
            Self::Cleaning => 2,
            Self::Diagnostic => 3,
            Self::Worm => 4,
            Self::Microcode => 5,
            Self::Unknown(c) => c,
        }
    }
}

/// Primary or alternate volume tag information (36 bytes): the volume
/// identification (barcode) and the volume sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VolumeTag {
    /// VOLUME IDENTIFICATION: left-aligned ASCII, padded with spaces.
    pub volume_identification: [u8; 32],
    /// VOLUME SEQUENCE NUMBER.
    pub volume_sequence_number: u16,
}

impl VolumeTag {
    const WHAT: &'static str = "volume tag information";

    /// A tag for barcode `id` (sequence number 0), padded with spaces.
    /// `Overflow` past 32 bytes; `InvalidField` for a byte that is not
    /// printable ASCII.
    pub fn from_identifier(id: &str) -> Result<Self> {
        let bytes = id.as_bytes();
        if bytes.len() > 32 {
            return Err(WireError::Overflow {
                what: Self::WHAT,
                field: "VOLUME IDENTIFICATION",
                value: bytes.len() as u64,
            });
        }
        if let Some(&b) = bytes.iter().find(|&&b| !(0x20..0x7f).contains(&b)) {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "VOLUME IDENTIFICATION",
                value: b.into(),
            });
        }
        let mut volume_identification = [b' '; 32];
        volume_identification[..bytes.len()].copy_from_slice(bytes);
        Ok(Self {
            volume_identification,
            volume_sequence_number: 0,
        })
    }

    /// The volume identification with trailing spaces and NULs trimmed
    /// (other non-printable bytes shown as '.'). Trims before mapping:
    /// `wire::ascii_field` maps NULs to '.' first and so never trims them.
    pub fn identifier(&self) -> String {
        let id = &self.volume_identification;
        let end = id
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |i| i + 1);
        ascii_field(&id[..end])
    }

    fn parse(b: &[u8]) -> Self {
        let mut volume_identification = [0u8; 32];
        volume_identification.copy_from_slice(&b[field::volume_tag::IDENTIFICATION]);
        let seq = &b[field::volume_tag::SEQUENCE];
        Self {
            volume_identification,
            volume_sequence_number: u16::from_be_bytes([seq[0], seq[1]]),
        }
    }

    fn emit(&self, b: &mut [u8]) {
        b[field::volume_tag::IDENTIFICATION].copy_from_slice(&self.volume_identification);
        b[field::volume_tag::SEQUENCE].copy_from_slice(&self.volume_sequence_number.to_be_bytes());
    }
}

view!(
    /// Identification descriptor header inside an element descriptor.
    IdentificationView,
    "element identification descriptor",
    field::identification::LEN
);

be_fields!(IdentificationView {
    /// IDENTIFIER LENGTH.
    identifier_length, set_identifier_length: u8 = field::identification::LENGTH;
});

bit_fields!(IdentificationView {
    /// PROTOCOL IDENTIFIER.
    protocol_identifier, set_protocol_identifier: field::identification::CODE_SET, 4, 4;
    /// CODE SET.
    code_set, set_code_set: field::identification::CODE_SET, 0, 4;
    /// ASSOCIATION.
    association, set_association: field::identification::TYPE, 4, 2;
    /// IDENTIFIER TYPE.
    identifier_type, set_identifier_type: field::identification::TYPE, 0, 4;
});

flag_fields!(IdentificationView {
    /// PIV.
    piv, set_piv: field::identification::TYPE, 7;
});

/// The identification descriptor SMC-3 puts after the volume tags of an
/// element descriptor: for a data transfer element asked with DVCID, the
/// drive's device identifier (tgt sends code set 2 ASCII, identifier type
/// 1, 34 bytes: vendor, product, serial); otherwise four bytes with
/// IDENTIFIER LENGTH 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceIdentification {
    /// PROTOCOL IDENTIFIER (4 bits; meaningful with PIV).
    pub protocol_identifier: u8,
    /// CODE SET (4 bits): 1 binary, 2 ASCII, 3 UTF-8.
    pub code_set: u8,
    /// PIV: the protocol identifier is valid.
    pub piv: bool,
    /// ASSOCIATION (2 bits).
    pub association: u8,
    /// IDENTIFIER TYPE (4 bits), as in VPD page 83h.
    pub identifier_type: u8,
    /// IDENTIFIER (at most 255 bytes).
    pub identifier: Vec<u8>,
}

impl DeviceIdentification {
    const WHAT: &'static str = "element identification descriptor";

    fn encoded_len(&self) -> usize {
        field::identification::LEN + self.identifier.len()
    }

    /// Parses the identification at the start of `b`, bounded by `b`.
    fn parse(b: &[u8]) -> Result<Self> {
        let v = IdentificationView::new_checked(b)?;
        let end = field::identification::LEN + usize::from(v.identifier_length());
        if end > b.len() {
            return Err(WireError::Inconsistent {
                what: Self::WHAT,
                reason: "IDENTIFIER LENGTH runs past the element descriptor",
            });
        }
        Ok(Self {
            protocol_identifier: v.protocol_identifier(),
            code_set: v.code_set(),
            piv: v.piv(),
            association: v.association(),
            identifier_type: v.identifier_type(),
            identifier: b[field::identification::LEN..end].to_vec(),
        })
    }

    fn check(&self) -> Result<()> {
        check_bits(
            Self::WHAT,
            "PROTOCOL IDENTIFIER",
            self.protocol_identifier,
            4,
        )?;
        check_bits(Self::WHAT, "CODE SET", self.code_set, 4)?;
        check_bits(Self::WHAT, "ASSOCIATION", self.association, 2)?;
        check_bits(Self::WHAT, "IDENTIFIER TYPE", self.identifier_type, 4)?;
        check_fits(
            Self::WHAT,
            "IDENTIFIER LENGTH",
            self.identifier.len() as u64,
            1,
        )
    }

    /// Writes into `b`, which the caller sized and zeroed.
    fn emit(&self, b: &mut [u8]) {
        b[field::identification::LEN..self.encoded_len()].copy_from_slice(&self.identifier);
        let mut v = IdentificationView::new_unchecked(b);
        v.set_protocol_identifier(self.protocol_identifier);
        v.set_code_set(self.code_set);
        v.set_piv(self.piv);
        v.set_association(self.association);
        v.set_identifier_type(self.identifier_type);
        v.set_identifier_length(self.identifier.len() as u8);
    }
}

view!(
    /// Element descriptor, fixed part.
    ElementDescriptorView,
    "element descriptor",
    field::descriptor::LEN
);

be_fields!(ElementDescriptorView {
    /// ELEMENT ADDRESS.
    element_address, set_element_address: u16 = field::descriptor::ELEMENT_ADDRESS;
    /// Flag byte 2.
    flags, set_flags: u8 = field::descriptor::FLAGS;
    /// ADDITIONAL SENSE CODE.
    asc, set_asc: u8 = field::descriptor::ASC;
    /// ADDITIONAL SENSE CODE QUALIFIER.
    ascq, set_ascq: u8 = field::descriptor::ASCQ;
    /// Bytes 6-8 (SCSI-2 bus fields of data transfer elements).
    scsi_bus_fields, set_scsi_bus_fields: u32 = field::descriptor::SCSI_BUS_FIELDS;
    /// SOURCE STORAGE ELEMENT ADDRESS.
    source, set_source: u16 = field::descriptor::SOURCE;
});

bit_fields!(ElementDescriptorView {
    /// MEDIUM TYPE.
    medium_type, set_medium_type: field::descriptor::STATUS, 0, 3;
});

flag_fields!(ElementDescriptorView {
    /// SVALID.
    svalid, set_svalid: field::descriptor::STATUS, 7;
    /// INVERT.
    invert, set_invert: field::descriptor::STATUS, 6;
    /// ED: element disabled.
    ed, set_ed: field::descriptor::STATUS, 3;
});

/// One element descriptor. Its size is the page's ELEMENT DESCRIPTOR
/// LENGTH: 12 fixed bytes, a 36-byte primary volume tag if the page has
/// PVOLTAG, an alternate one if AVOLTAG, then — when at least four bytes
/// remain — the SMC-3 identification descriptor, then vendor-specific bytes
/// kept raw so emit is exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ElementDescriptor {
    /// ELEMENT ADDRESS.
    pub element_address: u16,
    /// Byte 2 flags (FULL, EXCEPT, ACCESS, …).
    pub flags: ElementFlags,
    /// ADDITIONAL SENSE CODE (with EXCEPT).
    pub asc: u8,
    /// ADDITIONAL SENSE CODE QUALIFIER.
    pub ascq: u8,
    /// Bytes 6-8: for SMC-2 data transfer elements NOT BUS / ID VALID / LU
    /// VALID / LUN, SCSI BUS ADDRESS and a reserved byte; reserved
    /// otherwise. Kept raw.
    pub scsi_bus_fields: [u8; 3],
    /// SVALID: the source storage element address is valid.
    pub svalid: bool,
    /// INVERT: the medium was inverted on its last move.
    pub invert: bool,
    /// ED: the element is disabled.
    pub ed: bool,
    /// MEDIUM TYPE.
    pub medium_type: MediumType,
    /// SOURCE STORAGE ELEMENT ADDRESS: where the medium came from.
    pub source_storage_element_address: u16,
    /// Primary volume tag (present iff the page has PVOLTAG).
    pub primary_volume_tag: Option<VolumeTag>,
    /// Alternate volume tag (present iff the page has AVOLTAG).
    pub alternate_volume_tag: Option<VolumeTag>,
    /// The identification descriptor, when the descriptor has room for its
    /// four-byte header (SMC-3). `None` means fewer than four bytes follow
    /// the volume tags, and then [`Self::vendor_specific`] holds them.
    pub identification: Option<DeviceIdentification>,
    /// Bytes after the identification descriptor (vendor specific), raw.
    pub vendor_specific: Vec<u8>,
}

impl ElementDescriptor {
    const WHAT: &'static str = "element descriptor";

    /// A descriptor with only the fixed fields set: empty, no tags.
    pub fn new(element_address: u16) -> Self {
        Self {
            element_address,
            flags: ElementFlags::empty(),
            asc: 0,
            ascq: 0,
            scsi_bus_fields: [0; 3],
            svalid: false,
            invert: false,
            ed: false,
            medium_type: MediumType::Unspecified,
            source_storage_element_address: 0,
            primary_volume_tag: None,
            alternate_volume_tag: None,
            identification: None,
            vendor_specific: Vec::new(),
        }
    }

    /// FULL.
    pub fn is_full(&self) -> bool {
        self.flags.contains(ElementFlags::FULL)
    }

    /// EXCEPT: the element is in an abnormal state (see ASC/ASCQ).
    pub fn is_except(&self) -> bool {
        self.flags.contains(ElementFlags::EXCEPT)
    }

    /// Where the medium came from, when SVALID says it is known.
    pub fn source_address(&self) -> Option<u16> {
        self.svalid.then_some(self.source_storage_element_address)
    }

    /// The primary volume identification (barcode), trimmed; `None` when
    /// there is no tag or it is blank.
    pub fn barcode(&self) -> Option<String> {
        self.primary_volume_tag
            .as_ref()
            .map(VolumeTag::identifier)
            .filter(|s| !s.is_empty())
    }

    /// How many bytes this descriptor takes.
    pub fn encoded_len(&self) -> usize {
        field::descriptor::LEN
            + field::volume_tag::LEN
                * (usize::from(self.primary_volume_tag.is_some())
                    + usize::from(self.alternate_volume_tag.is_some()))
            + self
                .identification
                .as_ref()
                .map_or(0, DeviceIdentification::encoded_len)
            + self.vendor_specific.len()
    }

    /// Parses a descriptor that is exactly `b` long.
    fn parse(b: &[u8], pvoltag: bool, avoltag: bool) -> Result<Self> {
        let v = ElementDescriptorView::new_checked(b)?;
        let mut off = field::descriptor::LEN;
        let mut tag = |present: bool| -> Result<Option<VolumeTag>> {
            if !present {
                return Ok(None);
            }
            let end = off + field::volume_tag::LEN;
            check_len(Self::WHAT, b, end)?;
            let t = VolumeTag::parse(&b[off..end]);
            off = end;
            Ok(Some(t))
        };
        let primary_volume_tag = tag(pvoltag)?;
        let alternate_volume_tag = tag(avoltag)?;
        let rest = &b[off..];
        let (identification, vendor_specific) = if rest.len() >= field::identification::LEN {
            let id = DeviceIdentification::parse(rest)?;
            let used = id.encoded_len();
            (Some(id), rest[used..].to_vec())
        } else {
            (None, rest.to_vec())
        };
        let bus = v.scsi_bus_fields().to_be_bytes();
        Ok(Self {
            element_address: v.element_address(),
            flags: ElementFlags::from_bits_retain(v.flags()),
            asc: v.asc(),
            ascq: v.ascq(),
            scsi_bus_fields: [bus[1], bus[2], bus[3]],
            svalid: v.svalid(),
            invert: v.invert(),
            ed: v.ed(),
            medium_type: MediumType::from_code(v.medium_type()),
            source_storage_element_address: v.source(),
            primary_volume_tag,
            alternate_volume_tag,
            identification,
            vendor_specific,
        })
    }

    fn check(&self) -> Result<()> {
        check_bits(Self::WHAT, "MEDIUM TYPE", self.medium_type.code(), 3)?;
        if let Some(id) = &self.identification {
            id.check()?;
        } else if self.vendor_specific.len() >= field::identification::LEN {
            return Err(WireError::Inconsistent {
                what: Self::WHAT,
                reason: "four or more bytes follow the volume tags but there is no identification descriptor",
            });
        }
        Ok(())
    }

    /// Writes into `b`, which the caller sized (`encoded_len`) and zeroed.
    fn emit(&self, b: &mut [u8]) {
        let mut off = field::descriptor::LEN;
        for t in [&self.primary_volume_tag, &self.alternate_volume_tag]
            .into_iter()
            .flatten()
        {
            t.emit(&mut b[off..off + field::volume_tag::LEN]);
            off += field::volume_tag::LEN;
        }
        if let Some(id) = &self.identification {
            let end = off + id.encoded_len();
            id.emit(&mut b[off..end]);
            off = end;
        }
        b[off..off + self.vendor_specific.len()].copy_from_slice(&self.vendor_specific);
        let mut v = ElementDescriptorView::new_unchecked(b);
        v.set_element_address(self.element_address);
        v.set_flags(self.flags.bits());
        v.set_asc(self.asc);
        v.set_ascq(self.ascq);
        let [b6, b7, b8] = self.scsi_bus_fields;
        v.set_scsi_bus_fields(u32::from_be_bytes([0, b6, b7, b8]));
        v.set_svalid(self.svalid);
        v.set_invert(self.invert);
        v.set_ed(self.ed);
        v.set_medium_type(self.medium_type.code());
        v.set_source(self.source_storage_element_address);
    }
}

// ---------------------------------------------------------------------------
// Element status pages and data.

view!(
    /// Element status data header or element status page header (same
    /// shape: two 16-bit fields, a reserved byte, a 24-bit byte count).
    StatusHeaderView,
    "element status header",
    field::header::LEN
);

be_fields!(StatusHeaderView {
    /// FIRST ELEMENT ADDRESS REPORTED (data header).
    first_element_address, set_first_element_address: u16 = field::header::FIRST_ELEMENT_ADDRESS;
    /// NUMBER OF ELEMENTS AVAILABLE (data header).
    number_of_elements, set_number_of_elements: u16 = field::header::NUMBER_OF_ELEMENTS;
    /// BYTE COUNT OF REPORT AVAILABLE / OF DESCRIPTOR DATA AVAILABLE.
    byte_count, set_byte_count: u32 = field::header::BYTE_COUNT;
    /// ELEMENT TYPE CODE (page header).
    element_type, set_element_type: u8 = field::page::ELEMENT_TYPE;
    /// ELEMENT DESCRIPTOR LENGTH (page header).
    descriptor_length, set_descriptor_length: u16 = field::page::DESCRIPTOR_LENGTH;
});

flag_fields!(StatusHeaderView {
    /// PVOLTAG (page header).
    pvoltag, set_pvoltag: field::page::FLAGS, 7;
    /// AVOLTAG (page header).
    avoltag, set_avoltag: field::page::FLAGS, 6;
});

/// One element status page: a page header and the descriptors of one
/// element type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ElementStatusPage {
    /// ELEMENT TYPE CODE.
    pub element_type: ElementType,
    /// PVOLTAG: descriptors carry a primary volume tag.
    pub pvoltag: bool,
    /// AVOLTAG: descriptors carry an alternate volume tag.
    pub avoltag: bool,
    /// ELEMENT DESCRIPTOR LENGTH: every descriptor's size.
    pub element_descriptor_length: u16,
    /// BYTE COUNT OF DESCRIPTOR DATA AVAILABLE, as the device reported it
    /// (more than the descriptors here when the answer was cut).
    pub byte_count_of_descriptor_data_available: u32,
    /// The complete descriptors received.
    pub descriptors: Vec<ElementDescriptor>,
}

impl ElementStatusPage {
    const WHAT: &'static str = "element status page";

    /// The smallest ELEMENT DESCRIPTOR LENGTH the volume tag flags allow.
    pub fn min_descriptor_length(pvoltag: bool, avoltag: bool) -> usize {
        field::descriptor::LEN
            + field::volume_tag::LEN * (usize::from(pvoltag) + usize::from(avoltag))
    }

    /// A complete page of `element_type` from `descriptors`, which must
    /// all have the same tags and size; the flags, descriptor length and
    /// byte count follow from them. An empty page gets the smallest
    /// descriptor length for its flags.
    pub fn new(
        element_type: ElementType,
        pvoltag: bool,
        avoltag: bool,
        descriptors: Vec<ElementDescriptor>,
    ) -> Result<Self> {
        let len = descriptors.first().map_or(
            Self::min_descriptor_length(pvoltag, avoltag),
            ElementDescriptor::encoded_len,
        );
        let element_descriptor_length = u16::try_from(len).map_err(|_| WireError::Overflow {
            what: Self::WHAT,
            field: "ELEMENT DESCRIPTOR LENGTH",
            value: len as u64,
        })?;
        let count = len
            .checked_mul(descriptors.len())
            .and_then(|c| u32::try_from(c).ok())
            .ok_or(WireError::Overflow {
                what: Self::WHAT,
                field: "BYTE COUNT OF DESCRIPTOR DATA AVAILABLE",
                value: u64::MAX,
            })?;
        let page = Self {
            element_type,
            pvoltag,
            avoltag,
            element_descriptor_length,
            byte_count_of_descriptor_data_available: count,
            descriptors,
        };
        page.check()?;
        Ok(page)
    }

    /// Bytes of descriptors held here.
    fn held(&self) -> usize {
        self.descriptors.len() * usize::from(self.element_descriptor_length)
    }

    /// Whether the device had more descriptor bytes than are here.
    pub fn is_truncated(&self) -> bool {
        self.byte_count_of_descriptor_data_available as usize > self.held()
    }

    fn encoded_len(&self) -> usize {
        field::page::LEN + self.held()
    }

    /// The page's own rules (the ones `parse` enforces), for emit.
    fn check(&self) -> Result<()> {
        check_fits(
            Self::WHAT,
            "BYTE COUNT OF DESCRIPTOR DATA AVAILABLE",
            self.byte_count_of_descriptor_data_available.into(),
            3,
        )?;
        let dlen = usize::from(self.element_descriptor_length);
        let count = self.byte_count_of_descriptor_data_available as usize;
        if count > 0 && dlen < Self::min_descriptor_length(self.pvoltag, self.avoltag) {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "ELEMENT DESCRIPTOR LENGTH",
                value: dlen as u64,
            });
        }
        if dlen > 0 && count % dlen != 0 {
            return Err(WireError::Inconsistent {
                what: Self::WHAT,
                reason: "BYTE COUNT OF DESCRIPTOR DATA AVAILABLE is not a multiple of ELEMENT DESCRIPTOR LENGTH",
            });
        }
        if count < self.held() {
            return Err(WireError::Inconsistent {
                what: Self::WHAT,
                reason: "BYTE COUNT OF DESCRIPTOR DATA AVAILABLE is less than the descriptors held",
            });
        }
        for d in &self.descriptors {
            if d.primary_volume_tag.is_some() != self.pvoltag
                || d.alternate_volume_tag.is_some() != self.avoltag
            {
                return Err(WireError::Inconsistent {
                    what: Self::WHAT,
                    reason: "a descriptor's volume tags disagree with PVOLTAG/AVOLTAG",
                });
            }
            if d.encoded_len() != dlen {
                return Err(WireError::Inconsistent {
                    what: Self::WHAT,
                    reason: "a descriptor's size differs from ELEMENT DESCRIPTOR LENGTH",
                });
            }
            d.check()?;
        }
        Ok(())
    }

    /// Parses one page at the start of `rest` (at least 8 bytes). With
    /// `cut`, the report was cut by the allocation length, so the page may
    /// be too; returns the page and the bytes it used.
    fn parse(rest: &[u8], cut: bool) -> Result<(Self, usize)> {
        let v = StatusHeaderView::new_checked(rest)?;
        let pvoltag = v.pvoltag();
        let avoltag = v.avoltag();
        let dlen = usize::from(v.descriptor_length());
        let count = v.byte_count() as usize;
        if count > 0 && dlen < Self::min_descriptor_length(pvoltag, avoltag) {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "ELEMENT DESCRIPTOR LENGTH",
                value: dlen as u64,
            });
        }
        if dlen > 0 && count % dlen != 0 {
            return Err(WireError::Inconsistent {
                what: Self::WHAT,
                reason: "BYTE COUNT OF DESCRIPTOR DATA AVAILABLE is not a multiple of ELEMENT DESCRIPTOR LENGTH",
            });
        }
        let avail = rest.len() - field::page::LEN;
        if count > avail && !cut {
            return Err(WireError::Inconsistent {
                what: Self::WHAT,
                reason: "an element status page runs past BYTE COUNT OF REPORT AVAILABLE",
            });
        }
        let present = count.min(avail);
        let n = present.checked_div(dlen).unwrap_or(0);
        let body = &rest[field::page::LEN..];
        let descriptors = (0..n)
            .map(|i| ElementDescriptor::parse(&body[i * dlen..(i + 1) * dlen], pvoltag, avoltag))
            .collect::<Result<Vec<_>>>()?;
        Ok((
            Self {
                element_type: ElementType::from_code(v.element_type()),
                pvoltag,
                avoltag,
                element_descriptor_length: v.descriptor_length(),
                byte_count_of_descriptor_data_available: v.byte_count(),
                descriptors,
            },
            field::page::LEN + present,
        ))
    }

    fn emit(&self, b: &mut [u8]) {
        let dlen = usize::from(self.element_descriptor_length);
        for (i, d) in self.descriptors.iter().enumerate() {
            let start = field::page::LEN + i * dlen;
            d.emit(&mut b[start..start + dlen]);
        }
        let mut v = StatusHeaderView::new_unchecked(b);
        v.set_element_type(self.element_type.code());
        v.set_pvoltag(self.pvoltag);
        v.set_avoltag(self.avoltag);
        v.set_descriptor_length(self.element_descriptor_length);
        v.set_byte_count(self.byte_count_of_descriptor_data_available);
    }
}

/// A full storage element and the barcode of the cartridge in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoredVolume {
    /// The slot's element address.
    pub address: u16,
    /// The cartridge's primary volume identification, trimmed (`None`
    /// without VOLTAG or with a blank label).
    pub barcode: Option<String>,
}

/// A data transfer element (drive) and what is loaded in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DriveStatus<'a> {
    /// The drive's element address.
    pub address: u16,
    /// FULL: a cartridge is loaded.
    pub loaded: bool,
    /// The storage element the loaded cartridge came from (SVALID).
    pub source_slot: Option<u16>,
    /// The loaded cartridge's barcode.
    pub barcode: Option<String>,
    /// EXCEPT: the drive is in an abnormal state.
    pub except: bool,
    /// The drive's device identification (with DVCID), if reported.
    pub identification: Option<&'a DeviceIdentification>,
}

/// READ ELEMENT STATUS data: the element status data header and the
/// element status pages.
///
/// The three counts are kept as the device reported them, so a value
/// parsed from a cut answer re-emits the same header. Build a complete
/// answer with [`ElementStatusData::from_pages`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ElementStatusData {
    /// FIRST ELEMENT ADDRESS REPORTED.
    pub first_element_address_reported: u16,
    /// NUMBER OF ELEMENTS AVAILABLE.
    pub number_of_elements_available: u16,
    /// BYTE COUNT OF REPORT AVAILABLE: the pages' bytes (page headers
    /// included, data header not), as the device reported it.
    pub byte_count_of_report_available: u32,
    /// The pages received.
    pub pages: Vec<ElementStatusPage>,
}

impl ElementStatusData {
    const WHAT: &'static str = "element status data";

    /// A complete answer made of `pages`: the first element address is the
    /// smallest descriptor address (0 if none), and the counts add up.
    pub fn from_pages(pages: Vec<ElementStatusPage>) -> Result<Self> {
        let n: usize = pages.iter().map(|p| p.descriptors.len()).sum();
        let number_of_elements_available = u16::try_from(n).map_err(|_| WireError::Overflow {
            what: Self::WHAT,
            field: "NUMBER OF ELEMENTS AVAILABLE",
            value: n as u64,
        })?;
        let bytes: usize = pages
            .iter()
            .map(|p| field::page::LEN + p.byte_count_of_descriptor_data_available as usize)
            .sum();
        let byte_count_of_report_available =
            u32::try_from(bytes).map_err(|_| WireError::Overflow {
                what: Self::WHAT,
                field: "BYTE COUNT OF REPORT AVAILABLE",
                value: bytes as u64,
            })?;
        let first_element_address_reported = pages
            .iter()
            .flat_map(|p| p.descriptors.iter().map(|d| d.element_address))
            .min()
            .unwrap_or(0);
        Ok(Self {
            first_element_address_reported,
            number_of_elements_available,
            byte_count_of_report_available,
            pages,
        })
    }

    fn pages_len(&self) -> usize {
        self.pages.iter().map(ElementStatusPage::encoded_len).sum()
    }

    /// Whether the answer was cut by the allocation length: the device had
    /// more bytes than are here. Ask again with at least
    /// [`ElementStatusData::needed_allocation_length`] bytes.
    pub fn is_truncated(&self) -> bool {
        self.byte_count_of_report_available as usize > self.pages_len()
    }

    /// The allocation length that gets the whole report (data header
    /// included).
    pub fn needed_allocation_length(&self) -> u32 {
        self.byte_count_of_report_available
            .saturating_add(field::header::LEN as u32)
    }

    /// Every descriptor with its page's element type.
    pub fn elements(&self) -> impl Iterator<Item = (ElementType, &ElementDescriptor)> + '_ {
        self.pages
            .iter()
            .flat_map(|p| p.descriptors.iter().map(move |d| (p.element_type, d)))
    }

    /// How many descriptors are here.
    pub fn descriptor_count(&self) -> usize {
        self.pages.iter().map(|p| p.descriptors.len()).sum()
    }

    /// The element with this address, and its type.
    pub fn find(&self, address: u16) -> Option<(ElementType, &ElementDescriptor)> {
        self.elements().find(|(_, d)| d.element_address == address)
    }

    /// Full storage elements (slots) with the barcodes of their
    /// cartridges.
    pub fn full_slots(&self) -> impl Iterator<Item = StoredVolume> + '_ {
        self.elements()
            .filter(|(t, d)| *t == ElementType::Storage && d.is_full())
            .map(|(_, d)| StoredVolume {
                address: d.element_address,
                barcode: d.barcode(),
            })
    }

    /// Data transfer elements (drives), loaded or not, with the slot their
    /// cartridge came from.
    pub fn drives(&self) -> impl Iterator<Item = DriveStatus<'_>> + '_ {
        self.elements()
            .filter(|(t, _)| *t == ElementType::DataTransfer)
            .map(|(_, d)| DriveStatus {
                address: d.element_address,
                loaded: d.is_full(),
                source_slot: if d.is_full() {
                    d.source_address()
                } else {
                    None
                },
                barcode: if d.is_full() { d.barcode() } else { None },
                except: d.is_except(),
                identification: d.identification.as_ref(),
            })
    }

    /// The rules `parse` enforces, for emit.
    fn check(&self) -> Result<()> {
        check_fits(
            Self::WHAT,
            "BYTE COUNT OF REPORT AVAILABLE",
            self.byte_count_of_report_available.into(),
            3,
        )?;
        let last = self.pages.len().saturating_sub(1);
        for (i, p) in self.pages.iter().enumerate() {
            p.check()?;
            if i != last && p.is_truncated() {
                return Err(WireError::Inconsistent {
                    what: Self::WHAT,
                    reason: "only the last element status page may be cut",
                });
            }
        }
        let held = self.pages_len();
        let report = self.byte_count_of_report_available as usize;
        if report < held {
            return Err(WireError::Inconsistent {
                what: Self::WHAT,
                reason: "BYTE COUNT OF REPORT AVAILABLE is less than the pages held",
            });
        }
        let cut = report > held;
        if self
            .pages
            .last()
            .is_some_and(ElementStatusPage::is_truncated)
            && !cut
        {
            return Err(WireError::Inconsistent {
                what: Self::WHAT,
                reason: "a page is cut but the report is not",
            });
        }
        self.check_element_count(cut)
    }

    fn check_element_count(&self, cut: bool) -> Result<()> {
        let n = self.descriptor_count();
        let available = usize::from(self.number_of_elements_available);
        if n > available || (!cut && n != available) {
            return Err(WireError::Inconsistent {
                what: Self::WHAT,
                reason:
                    "the number of element descriptors disagrees with NUMBER OF ELEMENTS AVAILABLE",
            });
        }
        Ok(())
    }
}

impl Repr for ElementStatusData {
    /// Parses READ ELEMENT STATUS data; an answer cut by the allocation
    /// length parses to what is complete, with
    /// [`ElementStatusData::is_truncated`] set.
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = StatusHeaderView::new_checked(buf)?;
        let report = v.byte_count() as usize;
        let avail = buf.len() - field::header::LEN;
        let cut = report > avail;
        let end = field::header::LEN + report.min(avail);
        let mut rest = &buf[field::header::LEN..end];
        let mut pages = Vec::new();
        while !rest.is_empty() {
            if rest.len() < field::page::LEN {
                if cut {
                    break;
                }
                return Err(WireError::Inconsistent {
                    what: Self::WHAT,
                    reason:
                        "bytes left in the report are too few for an element status page header",
                });
            }
            let (page, used) = ElementStatusPage::parse(rest, cut)?;
            rest = &rest[used..];
            let page_cut = page.is_truncated();
            pages.push(page);
            if page_cut {
                break;
            }
        }
        let data = Self {
            first_element_address_reported: v.first_element_address(),
            number_of_elements_available: v.number_of_elements(),
            byte_count_of_report_available: v.byte_count(),
            pages,
        };
        data.check_element_count(cut)?;
        Ok(data)
    }

    fn buffer_len(&self) -> usize {
        field::header::LEN + self.pages_len()
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        self.check()?;
        let out = prepare(Self::WHAT, buf, self.buffer_len())?;
        let mut off = field::header::LEN;
        for p in &self.pages {
            let len = p.encoded_len();
            p.emit(&mut out[off..off + len]);
            off += len;
        }
        let mut v = StatusHeaderView::new_unchecked(out);
        v.set_first_element_address(self.first_element_address_reported);
        v.set_number_of_elements(self.number_of_elements_available);
        v.set_byte_count(self.byte_count_of_report_available);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Element address assignment mode page (1Dh).

view!(
    /// Element address assignment mode page.
    ElementAddressAssignmentView,
    "element address assignment page",
    field::eaa::LEN
);

be_fields!(ElementAddressAssignmentView {
    /// PAGE LENGTH.
    page_length, set_page_length: u8 = field::eaa::PAGE_LENGTH;
    /// MEDIUM TRANSPORT ELEMENT ADDRESS.
    mt_address, set_mt_address: u16 = field::eaa::MT_ADDRESS;
    /// NUMBER OF MEDIUM TRANSPORT ELEMENTS.
    mt_count, set_mt_count: u16 = field::eaa::MT_COUNT;
    /// FIRST STORAGE ELEMENT ADDRESS.
    st_address, set_st_address: u16 = field::eaa::ST_ADDRESS;
    /// NUMBER OF STORAGE ELEMENTS.
    st_count, set_st_count: u16 = field::eaa::ST_COUNT;
    /// FIRST IMPORT/EXPORT ELEMENT ADDRESS.
    ie_address, set_ie_address: u16 = field::eaa::IE_ADDRESS;
    /// NUMBER OF IMPORT/EXPORT ELEMENTS.
    ie_count, set_ie_count: u16 = field::eaa::IE_COUNT;
    /// FIRST DATA TRANSFER ELEMENT ADDRESS.
    dt_address, set_dt_address: u16 = field::eaa::DT_ADDRESS;
    /// NUMBER OF DATA TRANSFER ELEMENTS.
    dt_count, set_dt_count: u16 = field::eaa::DT_COUNT;
});

bit_fields!(ElementAddressAssignmentView {
    /// PAGE CODE.
    page_code, set_page_code: field::eaa::CODE, 0, 6;
});

flag_fields!(ElementAddressAssignmentView {
    /// PS.
    ps, set_ps: field::eaa::CODE, 7;
    /// SPF.
    spf, set_spf: field::eaa::CODE, 6;
});

/// The element address assignment mode page (1Dh), 20 bytes with its
/// two-byte page header: where each element type's addresses start and how
/// many there are. Fetch it with `mode::ModeSense6Cdb::new(0x1d, …).dbd(true)`
/// and take the page out of the `mode::ModeParameterList6` answer
/// ([`Self::from_mode_page`]).
///
/// `parse` requires PAGE CODE 1Dh in page_0 format and PAGE LENGTH 12h.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ElementAddressAssignmentPage {
    /// PS: the page can be saved.
    pub ps: bool,
    /// MEDIUM TRANSPORT ELEMENT ADDRESS (the first one).
    pub medium_transport_element_address: u16,
    /// NUMBER OF MEDIUM TRANSPORT ELEMENTS.
    pub number_of_medium_transport_elements: u16,
    /// FIRST STORAGE ELEMENT ADDRESS.
    pub first_storage_element_address: u16,
    /// NUMBER OF STORAGE ELEMENTS.
    pub number_of_storage_elements: u16,
    /// FIRST IMPORT/EXPORT ELEMENT ADDRESS.
    pub first_import_export_element_address: u16,
    /// NUMBER OF IMPORT/EXPORT ELEMENTS.
    pub number_of_import_export_elements: u16,
    /// FIRST DATA TRANSFER ELEMENT ADDRESS.
    pub first_data_transfer_element_address: u16,
    /// NUMBER OF DATA TRANSFER ELEMENTS.
    pub number_of_data_transfer_elements: u16,
}

impl ElementAddressAssignmentPage {
    /// PAGE CODE.
    pub const PAGE_CODE: u8 = 0x1d;
    /// PAGE LENGTH.
    pub const PAGE_LENGTH: u8 = 0x12;
    const WHAT: &'static str = "element address assignment page";

    /// The page out of a raw mode page (as found in a
    /// `mode::ModeParameterList6`).
    pub fn from_mode_page(page: &ModePage) -> Result<Self> {
        Self::parse(&page.to_vec()?)
    }

    /// The page as a raw mode page, to put in a mode parameter list.
    pub fn to_mode_page(&self) -> ModePage {
        let mut b = [0u8; field::eaa::LEN];
        self.write(&mut b);
        ModePage {
            ps: self.ps,
            page_code: Self::PAGE_CODE,
            subpage_code: None,
            data: b[2..].to_vec(),
        }
    }

    /// The address range (start, count) of an element type.
    pub fn range(&self, t: ElementType) -> Option<core::ops::Range<u32>> {
        let (first, n) = match t {
            ElementType::MediumTransport => (
                self.medium_transport_element_address,
                self.number_of_medium_transport_elements,
            ),
            ElementType::Storage => (
                self.first_storage_element_address,
                self.number_of_storage_elements,
            ),
            ElementType::ImportExport => (
                self.first_import_export_element_address,
                self.number_of_import_export_elements,
            ),
            ElementType::DataTransfer => (
                self.first_data_transfer_element_address,
                self.number_of_data_transfer_elements,
            ),
            ElementType::All | ElementType::Unknown(_) => return None,
        };
        let first = u32::from(first);
        Some(first..first + u32::from(n))
    }

    /// Which element type an address belongs to.
    pub fn element_type_of(&self, address: u16) -> Option<ElementType> {
        [
            ElementType::MediumTransport,
            ElementType::Storage,
            ElementType::ImportExport,
            ElementType::DataTransfer,
        ]
        .into_iter()
        .find(|&t| {
            self.range(t)
                .is_some_and(|r| r.contains(&u32::from(address)))
        })
    }

    fn write(&self, out: &mut [u8]) {
        let mut v = ElementAddressAssignmentView::new_unchecked(out);
        v.set_ps(self.ps);
        v.set_page_code(Self::PAGE_CODE);
        v.set_page_length(Self::PAGE_LENGTH);
        v.set_mt_address(self.medium_transport_element_address);
        v.set_mt_count(self.number_of_medium_transport_elements);
        v.set_st_address(self.first_storage_element_address);
        v.set_st_count(self.number_of_storage_elements);
        v.set_ie_address(self.first_import_export_element_address);
        v.set_ie_count(self.number_of_import_export_elements);
        v.set_dt_address(self.first_data_transfer_element_address);
        v.set_dt_count(self.number_of_data_transfer_elements);
    }
}

impl Repr for ElementAddressAssignmentPage {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = ElementAddressAssignmentView::new_checked(buf)?;
        if v.page_code() != Self::PAGE_CODE || v.spf() {
            return Err(WireError::InvalidField {
                what: Self::WHAT,
                field: "PAGE CODE",
                value: buf[field::eaa::CODE].into(),
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
            medium_transport_element_address: v.mt_address(),
            number_of_medium_transport_elements: v.mt_count(),
            first_storage_element_address: v.st_address(),
            number_of_storage_elements: v.st_count(),
            first_import_export_element_address: v.ie_address(),
            number_of_import_export_elements: v.ie_count(),
            first_data_transfer_element_address: v.dt_address(),
            number_of_data_transfer_elements: v.dt_count(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::eaa::LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let out = prepare(Self::WHAT, buf, field::eaa::LEN)?;
        self.write(out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testing::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn emit_err<R: Repr + core::fmt::Debug>(r: &R) -> WireError {
        let mut b = vec![0u8; 4096];
        r.emit(&mut b).expect_err("emit should fail")
    }

    // --- CDBs -------------------------------------------------------------

    #[test]
    fn read_element_status_cdb_golden() {
        let b = [
            0xb8, // OPERATION CODE
            0x12, // VOLTAG, ELEMENT TYPE CODE 2 (storage)
            0x04, 0x00, // STARTING ELEMENT ADDRESS 1024
            0x00, 0x04, // NUMBER OF ELEMENTS 4
            0x03, // CURDATA, DVCID
            0x00, 0x10, 0x00, // ALLOCATION LENGTH 4096
            0x00, // reserved
            0x00, // CONTROL
        ];
        let r = ReadElementStatusCdb::new(ElementType::Storage, 1024, 4, 4096)
            .voltag(true)
            .curdata(true)
            .dvcid(true);
        golden(&b, &r);
        let mut bad = b;
        bad[0] = 0xb5;
        assert!(matches!(
            ReadElementStatusCdb::parse(&bad),
            Err(WireError::InvalidField {
                field: "OPERATION CODE",
                value: 0xb5,
                ..
            })
        ));
        prefixes_truncated::<ReadElementStatusCdb>(&b);
        mutate::<ReadElementStatusCdb>(&b);
        too_small(&r);
        assert!(matches!(
            emit_err(&ReadElementStatusCdb::new(ElementType::All, 0, 1, 1 << 24)),
            WireError::Overflow {
                field: "ALLOCATION LENGTH",
                ..
            }
        ));
        assert!(matches!(
            emit_err(&ReadElementStatusCdb::new(
                ElementType::Unknown(0x10),
                0,
                1,
                0
            )),
            WireError::Overflow {
                field: "ELEMENT TYPE CODE",
                ..
            }
        ));
        let e = emit_a5(
            &ReadElementStatusCdb::new(ElementType::All, 0, 0xffff, 0xff_ffff).control(0x04),
        );
        assert_eq!(
            e,
            [0xb8, 0x00, 0, 0, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0, 0x04]
        );
    }

    #[test]
    fn move_medium_cdb_golden() {
        let b = [
            0xa5, // OPERATION CODE
            0x00, // reserved
            0x00, 0x00, // MEDIUM TRANSPORT ADDRESS 0
            0x04, 0x02, // SOURCE ADDRESS 1026
            0x01, 0x00, // DESTINATION ADDRESS 256
            0x00, 0x00, // reserved
            0x00, // INVERT 0
            0x00, // CONTROL
        ];
        let r = MoveMediumCdb::new(0, 1026, 256);
        golden(&b, &r);
        assert_eq!(emit_a5(&r.invert(true).control(1))[10..], [0x01, 0x01]);
        let mut bad = b;
        bad[0] = 0xa6;
        assert!(matches!(
            MoveMediumCdb::parse(&bad),
            Err(WireError::InvalidField { .. })
        ));
        prefixes_truncated::<MoveMediumCdb>(&b);
        mutate::<MoveMediumCdb>(&b);
        too_small(&r);
    }

    // --- element status data ------------------------------------------------

    fn tag(id: &str) -> Option<VolumeTag> {
        Some(VolumeTag::from_identifier(id).unwrap())
    }

    fn no_id() -> Option<DeviceIdentification> {
        Some(DeviceIdentification {
            protocol_identifier: 0,
            code_set: 0,
            piv: false,
            association: 0,
            identifier_type: 0,
            identifier: vec![],
        })
    }

    fn slot(addr: u16, barcode: Option<&str>) -> ElementDescriptor {
        let mut d = ElementDescriptor::new(addr);
        d.flags = ElementFlags::ACCESS;
        d.primary_volume_tag = tag("");
        d.identification = no_id();
        if let Some(b) = barcode {
            d.flags |= ElementFlags::FULL;
            d.medium_type = MediumType::Data;
            d.primary_volume_tag = tag(b);
        }
        d
    }

    /// One storage page, one full slot, PVOLTAG, SMC-3 52-byte descriptor.
    fn one_slot_bytes() -> Vec<u8> {
        let mut b = vec![
            0x04, 0x00, // FIRST ELEMENT ADDRESS REPORTED 1024
            0x00, 0x01, // NUMBER OF ELEMENTS AVAILABLE 1
            0x00, // reserved
            0x00, 0x00, 0x3c, // BYTE COUNT OF REPORT AVAILABLE 60 = 8 + 52
            0x02, // ELEMENT TYPE CODE 2: storage
            0x80, // PVOLTAG
            0x00, 0x34, // ELEMENT DESCRIPTOR LENGTH 52
            0x00, // reserved
            0x00, 0x00, 0x34, // BYTE COUNT OF DESCRIPTOR DATA AVAILABLE 52
            0x04, 0x00, // ELEMENT ADDRESS 1024
            0x09, // ACCESS | FULL
            0x00, // reserved
            0x00, 0x00, // ASC, ASCQ
            0x00, 0x00, 0x00, // reserved
            0x01, // SVALID 0, INVERT 0, ED 0, MEDIUM TYPE 1 (data)
            0x00, 0x00, // SOURCE STORAGE ELEMENT ADDRESS
        ];
        b.extend_from_slice(b"SEG001L6"); // VOLUME IDENTIFICATION
        b.extend_from_slice(&[b' '; 24]); // padded with spaces
        b.extend_from_slice(&[0, 0, 0, 0]); // reserved, VOLUME SEQUENCE NUMBER 0
        b.extend_from_slice(&[0, 0, 0, 0]); // CODE SET, IDENTIFIER TYPE, reserved, IDENTIFIER LENGTH 0
        b
    }

    #[test]
    fn element_status_golden_one_slot() {
        let b = one_slot_bytes();
        assert_eq!(b.len(), 68);
        let page = ElementStatusPage::new(
            ElementType::Storage,
            true,
            false,
            vec![slot(1024, Some("SEG001L6"))],
        )
        .unwrap();
        let r = ElementStatusData::from_pages(vec![page]).unwrap();
        golden(&b, &r);
        assert!(!r.is_truncated());
        assert_eq!(r.needed_allocation_length(), 68);
        let slots: Vec<_> = r.full_slots().collect();
        assert_eq!(
            slots,
            [StoredVolume {
                address: 1024,
                barcode: Some("SEG001L6".into())
            }]
        );
        mutate::<ElementStatusData>(&b);
        too_small(&r);
        assert!(matches!(
            ElementStatusData::parse(&b[..7]),
            Err(WireError::Truncated { .. })
        ));
        // Padding after the report (a larger allocation length) is ignored.
        let mut padded = b.clone();
        padded.extend_from_slice(&[0xee; 40]);
        assert_eq!(ElementStatusData::parse(&padded).unwrap(), r);
    }

    #[test]
    fn element_status_cut_by_allocation_length() {
        let b = one_slot_bytes();
        for n in 8..b.len() {
            let r = ElementStatusData::parse(&b[..n]).unwrap();
            assert!(r.is_truncated(), "cut at {n}");
            assert_eq!(r.descriptor_count(), 0);
            assert_eq!(r.needed_allocation_length(), 68);
            // What was kept re-emits to a prefix of the original.
            let e = r.to_vec().unwrap();
            assert_eq!(&b[..e.len()], &e[..]);
        }
    }

    /// tgt's changer (usr/smc.c) transfers 8 + n × descriptor length bytes
    /// although it wrote a data header and a page header: the last 8 bytes
    /// of the last descriptor are missing. Four slots, VOLTAG, no DVCID
    /// (52-byte descriptors, tgt's size).
    #[test]
    fn tgt_answer_loses_its_last_element() {
        let page = ElementStatusPage::new(
            ElementType::Storage,
            true,
            false,
            vec![
                slot(1024, Some("SEG001L6")),
                slot(1025, Some("SEG002L6")),
                slot(1026, None),
                slot(1027, Some("SEG004L6")),
            ],
        )
        .unwrap();
        let full = ElementStatusData::from_pages(vec![page]).unwrap();
        let bytes = full.to_vec().unwrap();
        // tgt's header: byte count = 8 + 4 × 52 = 216 (right for one page),
        // and it transfers 216 of the 224 bytes built.
        assert_eq!(bytes.len(), 224);
        assert_eq!(&bytes[5..8], &[0, 0, 216]);
        let tgt = &bytes[..216];
        let r = ElementStatusData::parse(tgt).unwrap();
        assert!(r.is_truncated());
        assert_eq!(r.descriptor_count(), 3);
        assert_eq!(r.full_slots().count(), 2);
        assert!(r.find(1027).is_none());
    }

    #[test]
    fn element_status_rules() {
        let good = one_slot_bytes();
        // ELEMENT DESCRIPTOR LENGTH below 12 + 36 with PVOLTAG.
        let mut b = good.clone();
        b[11] = 47;
        b[15] = 47;
        b[7] = 55;
        assert!(matches!(
            ElementStatusData::parse(&b),
            Err(WireError::InvalidField {
                field: "ELEMENT DESCRIPTOR LENGTH",
                value: 47,
                ..
            })
        ));
        // Zero descriptor length with descriptor bytes.
        let mut b = good.clone();
        b[10] = 0;
        b[11] = 0;
        assert!(matches!(
            ElementStatusData::parse(&b),
            Err(WireError::InvalidField { .. })
        ));
        // Byte count not a multiple of the descriptor length.
        let mut b = good.clone();
        b[15] = 51;
        assert!(matches!(
            ElementStatusData::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
        // Page runs past the report although the report is complete.
        let mut b = good.clone();
        b[7] = 59;
        b.truncate(8 + 59);
        assert!(matches!(
            ElementStatusData::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
        // Leftover bytes too few for a page header.
        let mut b = good.clone();
        b[7] = 64;
        b.extend_from_slice(&[0; 4]);
        assert!(matches!(
            ElementStatusData::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
        // IDENTIFIER LENGTH past the descriptor.
        let mut b = good.clone();
        *b.last_mut().unwrap() = 1;
        assert!(matches!(
            ElementStatusData::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
        // NUMBER OF ELEMENTS AVAILABLE disagrees with a complete report.
        let mut b = good.clone();
        b[3] = 2;
        assert!(matches!(
            ElementStatusData::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
        // More descriptors than NUMBER OF ELEMENTS AVAILABLE, even when cut.
        let mut b = good.clone();
        b[3] = 0;
        b[7] = 0xff;
        assert!(matches!(
            ElementStatusData::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
        // An empty report is fine.
        let e = ElementStatusData::parse(&[0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(e, ElementStatusData::from_pages(vec![]).unwrap());
    }

    #[test]
    fn element_status_emit_rules() {
        let page = ElementStatusPage::new(
            ElementType::Storage,
            true,
            false,
            vec![slot(1024, Some("A"))],
        )
        .unwrap();
        let ok = ElementStatusData::from_pages(vec![page.clone()]).unwrap();
        // Descriptor size differs from ELEMENT DESCRIPTOR LENGTH.
        let mut r = ok.clone();
        r.pages[0].descriptors[0].vendor_specific = vec![1];
        assert!(matches!(emit_err(&r), WireError::Inconsistent { .. }));
        // Tag presence disagrees with PVOLTAG.
        let mut r = ok.clone();
        r.pages[0].pvoltag = false;
        assert!(matches!(emit_err(&r), WireError::Inconsistent { .. }));
        // Four vendor bytes without an identification descriptor.
        let mut d = ElementDescriptor::new(1);
        d.vendor_specific = vec![0; 4];
        assert!(matches!(
            ElementStatusPage::new(ElementType::Storage, false, false, vec![d]),
            Err(WireError::Inconsistent { .. })
        ));
        // Descriptors of different sizes in one page.
        let mut d2 = slot(1025, None);
        d2.identification = None;
        assert!(ElementStatusPage::new(
            ElementType::Storage,
            true,
            false,
            vec![slot(1024, None), d2]
        )
        .is_err());
        // A cut page that is not the last.
        let mut cut = page.clone();
        cut.byte_count_of_descriptor_data_available += 52;
        let mut r = ElementStatusData::from_pages(vec![cut.clone(), page.clone()]).unwrap();
        assert!(matches!(emit_err(&r), WireError::Inconsistent { .. }));
        // A cut last page while the report claims nothing more.
        r = ElementStatusData::from_pages(vec![page.clone(), cut]).unwrap();
        r.byte_count_of_report_available = r.pages_len() as u32;
        r.number_of_elements_available = 2;
        assert!(matches!(emit_err(&r), WireError::Inconsistent { .. }));
        // Report shorter than the pages.
        let mut r = ok.clone();
        r.byte_count_of_report_available -= 1;
        assert!(matches!(emit_err(&r), WireError::Inconsistent { .. }));
        // Element count.
        let mut r = ok.clone();
        r.number_of_elements_available = 0;
        assert!(matches!(emit_err(&r), WireError::Inconsistent { .. }));
        // 24-bit count.
        let mut r = ok.clone();
        r.byte_count_of_report_available = 1 << 24;
        assert!(matches!(emit_err(&r), WireError::Overflow { .. }));
        // Identification bit fields.
        let mut r = ok.clone();
        r.pages[0].descriptors[0]
            .identification
            .as_mut()
            .unwrap()
            .code_set = 0x10;
        assert!(matches!(
            emit_err(&r),
            WireError::Overflow {
                field: "CODE SET",
                ..
            }
        ));
        let mut r = ok;
        r.pages[0].descriptors[0].medium_type = MediumType::Unknown(8);
        assert!(matches!(
            emit_err(&r),
            WireError::Overflow {
                field: "MEDIUM TYPE",
                ..
            }
        ));
    }

    #[test]
    fn helpers_find_slots_drives() {
        let mut drive = ElementDescriptor::new(256);
        drive.flags = ElementFlags::FULL | ElementFlags::ACCESS;
        drive.svalid = true;
        drive.source_storage_element_address = 1026;
        drive.primary_volume_tag = tag("SEG003L6");
        drive.identification = no_id();
        let mut empty_drive = ElementDescriptor::new(257);
        empty_drive.primary_volume_tag = tag("");
        empty_drive.identification = no_id();
        let slots = ElementStatusPage::new(
            ElementType::Storage,
            true,
            false,
            vec![slot(1024, Some("SEG001L6")), slot(1026, None)],
        )
        .unwrap();
        let drives = ElementStatusPage::new(
            ElementType::DataTransfer,
            true,
            false,
            vec![drive, empty_drive],
        )
        .unwrap();
        let r = ElementStatusData::from_pages(vec![slots, drives]).unwrap();
        assert_eq!(r.first_element_address_reported, 256);
        assert_eq!(r.find(1026).map(|(t, _)| t), Some(ElementType::Storage));
        assert_eq!(r.find(256).map(|(t, _)| t), Some(ElementType::DataTransfer));
        assert!(r.find(9).is_none());
        assert_eq!(
            r.full_slots().map(|s| s.address).collect::<Vec<_>>(),
            [1024]
        );
        let d: Vec<_> = r.drives().collect();
        assert_eq!(d.len(), 2);
        assert!(d[0].loaded);
        assert_eq!(d[0].source_slot, Some(1026));
        assert_eq!(d[0].barcode.as_deref(), Some("SEG003L6"));
        assert!(!d[1].loaded);
        assert_eq!(d[1].source_slot, None);
        assert_eq!(d[1].barcode, None);
        let bytes = emit_a5(&r);
        assert_eq!(ElementStatusData::parse(&bytes).unwrap(), r);
    }

    #[test]
    fn flags_defined_per_type() {
        assert_eq!(
            ElementFlags::defined_for(ElementType::MediumTransport).bits(),
            0x05
        );
        assert_eq!(ElementFlags::defined_for(ElementType::Storage).bits(), 0x0d);
        assert_eq!(
            ElementFlags::defined_for(ElementType::DataTransfer).bits(),
            0x0d
        );
        assert_eq!(
            ElementFlags::defined_for(ElementType::ImportExport).bits(),
            0xff
        );
    }

    #[test]
    fn volume_tag_rules() {
        let t = VolumeTag::from_identifier("SEG001L6").unwrap();
        assert_eq!(t.identifier(), "SEG001L6");
        assert_eq!(&t.volume_identification[8..], &[b' '; 24]);
        assert!(matches!(
            VolumeTag::from_identifier(&"X".repeat(33)),
            Err(WireError::Overflow { .. })
        ));
        assert!(matches!(
            VolumeTag::from_identifier("A\u{7f}"),
            Err(WireError::InvalidField { value: 0x7f, .. })
        ));
        let mut nul = t;
        nul.volume_identification[8..].fill(0);
        assert_eq!(nul.identifier(), "SEG001L6");
    }

    // --- element address assignment page -----------------------------------

    const EAA: [u8; 20] = [
        0x1d, // PS 0, SPF 0, PAGE CODE 1Dh
        0x12, // PAGE LENGTH 18
        0x00, 0x00, // MEDIUM TRANSPORT ELEMENT ADDRESS 0
        0x00, 0x01, // NUMBER OF MEDIUM TRANSPORT ELEMENTS 1
        0x04, 0x00, // FIRST STORAGE ELEMENT ADDRESS 1024
        0x00, 0x04, // NUMBER OF STORAGE ELEMENTS 4
        0x00, 0x00, // FIRST IMPORT/EXPORT ELEMENT ADDRESS 0
        0x00, 0x00, // NUMBER OF IMPORT/EXPORT ELEMENTS 0
        0x01, 0x00, // FIRST DATA TRANSFER ELEMENT ADDRESS 256
        0x00, 0x02, // NUMBER OF DATA TRANSFER ELEMENTS 2
        0x00, 0x00, // reserved
    ];

    #[test]
    fn element_address_assignment_golden() {
        let r = ElementAddressAssignmentPage {
            ps: false,
            medium_transport_element_address: 0,
            number_of_medium_transport_elements: 1,
            first_storage_element_address: 1024,
            number_of_storage_elements: 4,
            first_import_export_element_address: 0,
            number_of_import_export_elements: 0,
            first_data_transfer_element_address: 256,
            number_of_data_transfer_elements: 2,
        };
        golden(&EAA, &r);
        assert_eq!(r.element_type_of(0), Some(ElementType::MediumTransport));
        assert_eq!(r.element_type_of(1027), Some(ElementType::Storage));
        assert_eq!(r.element_type_of(1028), None);
        assert_eq!(r.element_type_of(257), Some(ElementType::DataTransfer));
        assert_eq!(r.range(ElementType::Storage), Some(1024..1028));
        assert_eq!(r.range(ElementType::All), None);
        let page = r.to_mode_page();
        assert_eq!(page.page_code, 0x1d);
        assert_eq!(page.data.len(), 18);
        assert_eq!(
            ElementAddressAssignmentPage::from_mode_page(&page).unwrap(),
            r
        );
        prefixes_truncated::<ElementAddressAssignmentPage>(&EAA);
        mutate::<ElementAddressAssignmentPage>(&EAA);
        too_small(&r);
    }

    #[test]
    fn element_address_assignment_rules() {
        let mut b = EAA;
        b[0] = 0x1e;
        assert!(matches!(
            ElementAddressAssignmentPage::parse(&b),
            Err(WireError::InvalidField {
                field: "PAGE CODE",
                ..
            })
        ));
        b[0] = 0x5d; // SPF set
        assert!(matches!(
            ElementAddressAssignmentPage::parse(&b),
            Err(WireError::InvalidField {
                field: "PAGE CODE",
                ..
            })
        ));
        let mut b = EAA;
        b[1] = 0x10;
        assert!(matches!(
            ElementAddressAssignmentPage::parse(&b),
            Err(WireError::InvalidField {
                field: "PAGE LENGTH",
                ..
            })
        ));
        let mut b = EAA;
        b[0] = 0x9d; // PS
        assert!(ElementAddressAssignmentPage::parse(&b).unwrap().ps);
        let short = ModePage::new(0x1d, vec![0; 4]);
        assert!(ElementAddressAssignmentPage::from_mode_page(&short).is_err());
    }

    // --- proptest -------------------------------------------------------------

    prop_compose! {
        fn arb_tag()(id in any::<[u8; 32]>(), seq in any::<u16>()) -> VolumeTag {
            VolumeTag { volume_identification: id, volume_sequence_number: seq }
        }
    }

    /// The shape every descriptor of a page shares: identification
    /// identifier length (or none) and vendor-specific length.
    fn arb_shape() -> impl Strategy<Value = (Option<usize>, usize)> {
        prop_oneof![
            (Just(None), 0usize..4),
            (
                proptest::option::of(0usize..40).prop_map(|o| Some(o.unwrap_or(0))),
                0usize..8
            ),
        ]
    }

    fn arb_ident(len: usize) -> impl Strategy<Value = DeviceIdentification> {
        (
            0u8..16,
            0u8..16,
            any::<bool>(),
            0u8..4,
            0u8..16,
            vec(any::<u8>(), len..=len),
        )
            .prop_map(|(p, c, piv, a, t, id)| DeviceIdentification {
                protocol_identifier: p,
                code_set: c,
                piv,
                association: a,
                identifier_type: t,
                identifier: id,
            })
    }

    fn arb_descriptor(
        pv: bool,
        av: bool,
        shape: (Option<usize>, usize),
    ) -> impl Strategy<Value = ElementDescriptor> {
        let (id_len, vendor_len) = shape;
        (
            (
                any::<u16>(),
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
                any::<[u8; 3]>(),
            ),
            (
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                0u8..8,
                any::<u16>(),
            ),
            if pv {
                arb_tag().prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            },
            if av {
                arb_tag().prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            },
            match id_len {
                Some(n) => arb_ident(n).prop_map(Some).boxed(),
                None => Just(None).boxed(),
            },
            vec(any::<u8>(), vendor_len..=vendor_len),
        )
            .prop_map(
                |((addr, flags, asc, ascq, bus), (sv, inv, ed, mt, src), p, a, id, vendor)| {
                    ElementDescriptor {
                        element_address: addr,
                        flags: ElementFlags::from_bits_retain(flags),
                        asc,
                        ascq,
                        scsi_bus_fields: bus,
                        svalid: sv,
                        invert: inv,
                        ed,
                        medium_type: MediumType::from_code(mt),
                        source_storage_element_address: src,
                        primary_volume_tag: p,
                        alternate_volume_tag: a,
                        identification: id,
                        vendor_specific: vendor,
                    }
                },
            )
    }

    fn arb_page() -> impl Strategy<Value = ElementStatusPage> {
        (
            any::<u8>(),
            any::<bool>(),
            any::<bool>(),
            arb_shape(),
            0usize..4,
        )
            .prop_flat_map(|(et, pv, av, shape, n)| {
                vec(arb_descriptor(pv, av, shape), n..=n).prop_map(move |ds| {
                    ElementStatusPage::new(ElementType::from_code(et), pv, av, ds).unwrap()
                })
            })
    }

    /// Complete answers, and answers cut by an allocation length (the last
    /// page losing descriptors, or pages missing at the end).
    fn arb_element_status() -> impl Strategy<Value = ElementStatusData> {
        (vec(arb_page(), 0..4), 0usize..3, 0u32..100, any::<bool>()).prop_map(
            |(pages, drop, extra, cut)| {
                let mut r = ElementStatusData::from_pages(pages).unwrap();
                if cut {
                    r.byte_count_of_report_available += extra + 1;
                    if let Some(last) = r.pages.last_mut() {
                        let keep = last.descriptors.len().saturating_sub(drop);
                        last.descriptors.truncate(keep);
                    }
                }
                r
            },
        )
    }

    prop_compose! {
        fn arb_res_cdb()(v in any::<bool>(), t in 0u8..16, s in any::<u16>(), n in any::<u16>(), c in any::<bool>(),
                         d in any::<bool>(), a in 0u32..=0xff_ffff, ctl in any::<u8>()) -> ReadElementStatusCdb {
            ReadElementStatusCdb { voltag: v, element_type: ElementType::from_code(t), starting_element_address: s,
                                   number_of_elements: n, curdata: c, dvcid: d, allocation_length: a, control: ctl }
        }
    }

    proptest! {
        #[test]
        fn prop_res_cdb(r in arb_res_cdb()) { round_trip(&r)?; }
        #[test]
        fn prop_move_medium(t in any::<u16>(), s in any::<u16>(), d in any::<u16>(), i in any::<bool>(), c in any::<u8>()) {
            round_trip(&MoveMediumCdb { transport_element_address: t, source_address: s, destination_address: d, invert: i, control: c })?;
        }
        #[test]
        fn prop_element_status(r in arb_element_status()) { round_trip(&r)?; }
        #[test]
        fn prop_element_status_any_cut(r in arb_element_status(), cut in any::<prop::sample::Index>()) {
            // Cutting the bytes anywhere after the header still parses, to a
            // truncated value whose bytes are a prefix of the cut.
            let bytes = r.to_vec().unwrap();
            let n = 8 + cut.index(bytes.len() - 7);
            let n = n.min(bytes.len());
            let p = ElementStatusData::parse(&bytes[..n]).unwrap();
            let e = p.to_vec().unwrap();
            prop_assert_eq!(&bytes[..e.len()], &e[..]);
            if n < bytes.len() { prop_assert!(p.is_truncated()); }
        }
        #[test]
        fn prop_eaa(ps in any::<bool>(), v in any::<[u16; 8]>()) {
            round_trip(&ElementAddressAssignmentPage {
                ps, medium_transport_element_address: v[0], number_of_medium_transport_elements: v[1],
                first_storage_element_address: v[2], number_of_storage_elements: v[3],
                first_import_export_element_address: v[4], number_of_import_export_elements: v[5],
                first_data_transfer_element_address: v[6], number_of_data_transfer_elements: v[7],
            })?;
        }

        #[test]
        fn parse_never_panics(buf in vec(any::<u8>(), 0..400)) {
            let _ = ReadElementStatusCdb::parse(&buf);
            let _ = MoveMediumCdb::parse(&buf);
            let _ = ElementStatusData::parse(&buf);
            let _ = ElementAddressAssignmentPage::parse(&buf);
        }

        /// Element status data with a plausible header and page header, so
        /// the descriptor walk runs on arbitrary contents.
        #[test]
        fn element_status_walk_never_panics(mut buf in vec(any::<u8>(), 16..400), dlen in 12u16..120,
                                            flags in 0u8..4, report_extra in 0u32..64) {
            let body = (buf.len() - 8) as u32;
            buf[4] = 0;
            buf[5..8].copy_from_slice(&(body + report_extra).to_be_bytes()[1..]);
            buf[9] = flags << 6;
            buf[10..12].copy_from_slice(&dlen.to_be_bytes());
            buf[12] = 0;
            let count = (body - 8) / u32::from(dlen) * u32::from(dlen);
            buf[13..16].copy_from_slice(&count.to_be_bytes()[1..]);
            if let Ok(r) = ElementStatusData::parse(&buf) {
                prop_assert_eq!(ElementStatusData::parse(&r.to_vec().unwrap()).unwrap(), r);
            }
        }
    }
}
