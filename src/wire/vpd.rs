//! Vital product data pages (SPC-4 r37 §7.8): the page header, Supported
//! VPD Pages (00h, §7.8.15), Unit Serial Number (80h, §7.8.18), Device
//! Identification (83h, §7.8.6) with every designator type, Extended
//! INQUIRY Data (86h, §7.8.7), Third-party Copy (8Fh, §7.8.17) as a list of
//! descriptors, and the SBC-3 r36 pages of a direct-access block device
//! (§6.6): Block Limits (B0h), Block Device Characteristics (B1h) and
//! Logical Block Provisioning (B2h).
//!
//! `parse` enforces: the page code; the page length fits the buffer (a page
//! cut by a small allocation length is reported as [`WireError::Truncated`],
//! never read past); every designation descriptor lies inside the page;
//! every third-party copy descriptor lies inside the page; a fixed-layout
//! page (86h, B1h, B2h) is long enough for its fields; a Block Limits page
//! ends between two fields; a provisioning group descriptor (B2h with DP)
//! lies inside the page. Designators are kept byte for byte, so an emitted
//! page equals the page parsed; the fixed-layout pages keep their fields
//! and emit reserved bytes as zero.

use core::fmt;

use super::{
    bit_fields, check_bits, check_fits, check_len, check_out, flag_fields, view, Repr, Result,
    WireError,
};

mod field {
    use crate::wire::Field;
    /// Byte 0: PERIPHERAL QUALIFIER (7-5), PERIPHERAL DEVICE TYPE (4-0).
    pub const PERIPHERAL: usize = 0;
    /// PAGE CODE.
    pub const PAGE_CODE: usize = 1;
    /// PAGE LENGTH (n − 3).
    pub const PAGE_LENGTH: Field = 2..4;
    /// Where the page's own data starts.
    pub const DATA: usize = 4;

    /// Designation descriptor: PROTOCOL IDENTIFIER (7-4), CODE SET (3-0).
    pub const D_CODE_SET: usize = 0;
    /// Designation descriptor: PIV (7), ASSOCIATION (5-4), DESIGNATOR TYPE (3-0).
    pub const D_TYPE: usize = 1;
    /// Designation descriptor: DESIGNATOR LENGTH.
    pub const D_LENGTH: usize = 3;
    /// Designation descriptor header length.
    pub const D_HEADER: usize = 4;

    /// Third-party copy descriptor: THIRD-PARTY COPY DESCRIPTOR TYPE.
    pub const T_TYPE: Field = 0..2;
    /// Third-party copy descriptor: THIRD-PARTY COPY DESCRIPTOR LENGTH.
    pub const T_LENGTH: Field = 2..4;
    /// Third-party copy descriptor header length.
    pub const T_HEADER: usize = 4;

    // Extended INQUIRY Data (86h), SPC-4 r37 §7.8.7; offsets in the page.
    /// Byte 4: ACTIVATE MICROCODE (7-6), SPT (5-3), GRD_CHK (2), APP_CHK (1),
    /// REF_CHK (0).
    pub const X_PROTECTION: usize = 4;
    /// Byte 5: UASK_SUP (5), GROUP_SUP (4), PRIOR_SUP (3), HEADSUP (2),
    /// ORDSUP (1), SIMPSUP (0).
    pub const X_TASK: usize = 5;
    /// Byte 6: WU_SUP (3), CRD_SUP (2), NV_SUP (1), V_SUP (0).
    pub const X_CACHE: usize = 6;
    /// Byte 7: P_I_I_SUP (4), LUICLR (0).
    pub const X_LU: usize = 7;
    /// Byte 8: R_SUP (4), CBCS (0).
    pub const X_REFERRALS: usize = 8;
    /// Byte 9: MULTI I_T NEXUS MICROCODE DOWNLOAD (3-0).
    pub const X_MICROCODE: usize = 9;
    /// Bytes 10-11: EXTENDED SELF-TEST COMPLETION MINUTES.
    pub const X_SELF_TEST_MINUTES: Field = 10..12;
    /// Byte 12: POA_SUP (7), HRA_SUP (6), VSA_SUP (5).
    pub const X_POWER: usize = 12;
    /// Byte 13: MAXIMUM SUPPORTED SENSE DATA LENGTH.
    pub const X_MAX_SENSE: Field = 13..14;
    /// Where the fields end (bytes 14-63 are reserved).
    pub const X_FIELDS_END: usize = 14;
    /// PAGE LENGTH of the page (64 bytes in all).
    pub const X_PAGE_LENGTH: usize = 0x3c;

    // Block Limits (B0h), SBC-3 r36 §6.6; offsets in the page.
    /// Byte 4: WSNZ (0).
    pub const BL_WSNZ: usize = 4;
    /// Byte 5: MAXIMUM COMPARE AND WRITE LENGTH.
    pub const BL_MAX_CAW: Field = 5..6;
    /// Bytes 6-7: OPTIMAL TRANSFER LENGTH GRANULARITY.
    pub const BL_OPT_GRANULARITY: Field = 6..8;
    /// Bytes 8-11: MAXIMUM TRANSFER LENGTH.
    pub const BL_MAX_TRANSFER: Field = 8..12;
    /// Bytes 12-15: OPTIMAL TRANSFER LENGTH.
    pub const BL_OPT_TRANSFER: Field = 12..16;
    /// Bytes 16-19: MAXIMUM PREFETCH LENGTH.
    pub const BL_MAX_PREFETCH: Field = 16..20;
    /// Bytes 20-23: MAXIMUM UNMAP LBA COUNT.
    pub const BL_MAX_UNMAP_LBA: Field = 20..24;
    /// Bytes 24-27: MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT.
    pub const BL_MAX_UNMAP_DESCRIPTORS: Field = 24..28;
    /// Bytes 28-31: OPTIMAL UNMAP GRANULARITY.
    pub const BL_OPT_UNMAP_GRANULARITY: Field = 28..32;
    /// Byte 32: UGAVALID (7); bytes 32-35: UNMAP GRANULARITY ALIGNMENT
    /// (30-0).
    pub const BL_UGAVALID: usize = 32;
    /// Bytes 32-35, UGAVALID included.
    pub const BL_UNMAP_ALIGNMENT: Field = 32..36;
    /// Bytes 36-43: MAXIMUM WRITE SAME LENGTH.
    pub const BL_MAX_WRITE_SAME: Field = 36..44;
    /// Where SBC-3's fields end (bytes 44-63 are reserved).
    pub const BL_FIELDS_END: usize = 44;
    /// Where each field ends: a shorter page stops at one of these.
    pub const BL_FIELD_ENDS: [usize; 12] = [4, 5, 6, 8, 12, 16, 20, 24, 28, 32, 36, 44];

    // Block Device Characteristics (B1h), SBC-3 r36 §6.6.
    /// Bytes 4-5: MEDIUM ROTATION RATE.
    pub const BDC_ROTATION: Field = 4..6;
    /// Byte 6: PRODUCT TYPE.
    pub const BDC_PRODUCT_TYPE: Field = 6..7;
    /// Byte 7: WABEREQ (7-6), WACEREQ (5-4), NOMINAL FORM FACTOR (3-0).
    pub const BDC_FORM: usize = 7;
    /// Byte 8: FUAB (1), VBULS (0).
    pub const BDC_FLAGS: usize = 8;
    /// Where the fields end (bytes 9-63 are reserved).
    pub const BDC_FIELDS_END: usize = 9;
    /// PAGE LENGTH of the page (64 bytes in all).
    pub const BDC_PAGE_LENGTH: usize = 0x3c;

    // Logical Block Provisioning (B2h), SBC-3 r36 §6.6.
    /// Byte 4: THRESHOLD EXPONENT.
    pub const LBP_THRESHOLD: Field = 4..5;
    /// Byte 5: LBPU (7), LBPWS (6), LBPWS10 (5), LBPRZ (2), ANC_SUP (1),
    /// DP (0).
    pub const LBP_FLAGS: usize = 5;
    /// Byte 6: PROVISIONING TYPE (2-0); byte 7 reserved.
    pub const LBP_TYPE: usize = 6;
    /// Where the fixed part ends and the PROVISIONING GROUP DESCRIPTOR
    /// starts (when DP is set).
    pub const LBP_FIXED_END: usize = 8;
}

view!(
    /// The four-byte header every VPD page starts with.
    VpdHeader,
    "VPD page header",
    field::DATA
);

bit_fields!(VpdHeader {
    /// PERIPHERAL QUALIFIER.
    peripheral_qualifier, set_peripheral_qualifier: field::PERIPHERAL, 5, 3;
    /// PERIPHERAL DEVICE TYPE.
    peripheral_device_type, set_peripheral_device_type: field::PERIPHERAL, 0, 5;
});

super::be_fields!(VpdHeader {
    /// PAGE CODE.
    page_code, set_page_code: u8 = field::PAGE_CODE..field::PAGE_CODE + 1;
    /// PAGE LENGTH: bytes after the header.
    page_length, set_page_length: u16 = field::PAGE_LENGTH;
});

impl<T: AsRef<[u8]>> VpdHeader<T> {
    /// The page's data, after checking the page length against the buffer.
    pub fn data(&self) -> Result<&[u8]> {
        self.check_len()?;
        let end = field::DATA + usize::from(self.page_length());
        check_len(Self::WHAT, self.buffer.as_ref(), end)?;
        Ok(&self.buffer.as_ref()[field::DATA..end])
    }
}

/// The common part of every VPD page Repr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PageHeader {
    /// PERIPHERAL QUALIFIER (3 bits).
    pub peripheral_qualifier: u8,
    /// PERIPHERAL DEVICE TYPE (5 bits).
    pub peripheral_device_type: u8,
}

fn parse_page<'a>(buf: &'a [u8], page: u8, what: &'static str) -> Result<(PageHeader, &'a [u8])> {
    let v = VpdHeader::new_checked(buf)?;
    if v.page_code() != page {
        return Err(WireError::InvalidField {
            what,
            field: "PAGE CODE",
            value: u64::from(v.page_code()),
        });
    }
    let end = field::DATA + usize::from(v.page_length());
    check_len(what, buf, end)?;
    let data = &buf[field::DATA..end];
    Ok((
        PageHeader {
            peripheral_qualifier: v.peripheral_qualifier(),
            peripheral_device_type: v.peripheral_device_type(),
        },
        data,
    ))
}

fn emit_page(
    buf: &mut [u8],
    h: PageHeader,
    page: u8,
    len: usize,
    what: &'static str,
) -> Result<()> {
    check_out(what, buf, field::DATA + len)?;
    check_fits(what, "PAGE LENGTH", len as u64, 2)?;
    let mut v = VpdHeader::new_unchecked(buf);
    v.set_peripheral_qualifier(h.peripheral_qualifier);
    v.set_peripheral_device_type(h.peripheral_device_type);
    v.set_page_code(page);
    v.set_page_length(len as u16);
    Ok(())
}

/// Supported VPD Pages (00h).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SupportedPages {
    /// Peripheral fields.
    pub header: PageHeader,
    /// Page codes, in the order the device lists them.
    pub pages: Vec<u8>,
}

impl SupportedPages {
    /// The page code.
    pub const PAGE: u8 = 0x00;
}

impl Repr for SupportedPages {
    fn parse(buf: &[u8]) -> Result<Self> {
        let (header, data) = parse_page(buf, Self::PAGE, "Supported VPD Pages page")?;
        Ok(SupportedPages {
            header,
            pages: data.to_vec(),
        })
    }
    fn buffer_len(&self) -> usize {
        field::DATA + self.pages.len()
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        emit_page(
            buf,
            self.header,
            Self::PAGE,
            self.pages.len(),
            "Supported VPD Pages page",
        )?;
        buf[field::DATA..self.buffer_len()].copy_from_slice(&self.pages);
        Ok(())
    }
}

/// Unit Serial Number (80h).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitSerialNumber {
    /// Peripheral fields.
    pub header: PageHeader,
    /// PRODUCT SERIAL NUMBER, as sent (ASCII, possibly space padded).
    pub serial: Vec<u8>,
}

impl UnitSerialNumber {
    /// The page code.
    pub const PAGE: u8 = 0x80;

    /// The serial number as text, trailing spaces and NULs trimmed.
    pub fn serial_text(&self) -> String {
        super::ascii_field(&self.serial).trim_start().to_string()
    }
}

impl Repr for UnitSerialNumber {
    fn parse(buf: &[u8]) -> Result<Self> {
        let (header, data) = parse_page(buf, Self::PAGE, "Unit Serial Number page")?;
        Ok(UnitSerialNumber {
            header,
            serial: data.to_vec(),
        })
    }
    fn buffer_len(&self) -> usize {
        field::DATA + self.serial.len()
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        emit_page(
            buf,
            self.header,
            Self::PAGE,
            self.serial.len(),
            "Unit Serial Number page",
        )?;
        buf[field::DATA..self.buffer_len()].copy_from_slice(&self.serial);
        Ok(())
    }
}

/// CODE SET of a designator (SPC-4 table 474).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeSet {
    /// 1h: binary.
    Binary,
    /// 2h: ASCII printable.
    Ascii,
    /// 3h: UTF-8.
    Utf8,
    /// Reserved values.
    Reserved(u8),
}

impl CodeSet {
    /// Decodes the 4-bit field.
    pub fn from_bits(v: u8) -> Self {
        match v & 0x0f {
            1 => CodeSet::Binary,
            2 => CodeSet::Ascii,
            3 => CodeSet::Utf8,
            other => CodeSet::Reserved(other),
        }
    }
    /// The 4-bit field.
    pub fn bits(self) -> u8 {
        match self {
            CodeSet::Binary => 1,
            CodeSet::Ascii => 2,
            CodeSet::Utf8 => 3,
            CodeSet::Reserved(v) => v & 0x0f,
        }
    }
}

/// ASSOCIATION of a designator (SPC-4 table 475).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Association {
    /// 00b: the addressed logical unit.
    LogicalUnit,
    /// 01b: the target port that received the command.
    TargetPort,
    /// 10b: the SCSI target device that holds the logical unit.
    TargetDevice,
    /// 11b: reserved.
    Reserved,
}

impl Association {
    /// Decodes the 2-bit field.
    pub fn from_bits(v: u8) -> Self {
        match v & 3 {
            0 => Association::LogicalUnit,
            1 => Association::TargetPort,
            2 => Association::TargetDevice,
            _ => Association::Reserved,
        }
    }
    /// The 2-bit field.
    pub fn bits(self) -> u8 {
        match self {
            Association::LogicalUnit => 0,
            Association::TargetPort => 1,
            Association::TargetDevice => 2,
            Association::Reserved => 3,
        }
    }
    /// Name in words.
    pub fn name(self) -> &'static str {
        match self {
            Association::LogicalUnit => "logical unit",
            Association::TargetPort => "target port",
            Association::TargetDevice => "target device",
            Association::Reserved => "reserved association",
        }
    }
}

/// DESIGNATOR TYPE (SPC-4 table 476).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DesignatorType {
    /// 0h: vendor specific.
    VendorSpecific,
    /// 1h: T10 vendor ID based.
    T10VendorId,
    /// 2h: EUI-64 based.
    Eui64,
    /// 3h: NAA.
    Naa,
    /// 4h: relative target port identifier.
    RelativeTargetPort,
    /// 5h: target port group.
    TargetPortGroup,
    /// 6h: logical unit group.
    LogicalUnitGroup,
    /// 7h: MD5 logical unit identifier.
    Md5LogicalUnit,
    /// 8h: SCSI name string.
    ScsiNameString,
    /// 9h: protocol specific port identifier.
    ProtocolSpecificPort,
    /// Ah: UUID.
    Uuid,
    /// Reserved values.
    Reserved(u8),
}

impl DesignatorType {
    /// Decodes the 4-bit field.
    pub fn from_bits(v: u8) -> Self {
        use DesignatorType::*;
        match v & 0x0f {
            0 => VendorSpecific,
            1 => T10VendorId,
            2 => Eui64,
            3 => Naa,
            4 => RelativeTargetPort,
            5 => TargetPortGroup,
            6 => LogicalUnitGroup,
            7 => Md5LogicalUnit,
            8 => ScsiNameString,
            9 => ProtocolSpecificPort,
            0xa => Uuid,
            other => Reserved(other),
        }
    }
    /// The 4-bit field.
    pub fn bits(self) -> u8 {
        use DesignatorType::*;
        match self {
            VendorSpecific => 0,
            T10VendorId => 1,
            Eui64 => 2,
            Naa => 3,
            RelativeTargetPort => 4,
            TargetPortGroup => 5,
            LogicalUnitGroup => 6,
            Md5LogicalUnit => 7,
            ScsiNameString => 8,
            ProtocolSpecificPort => 9,
            Uuid => 0xa,
            Reserved(v) => v & 0x0f,
        }
    }
    /// Name in words, as sg_vpd prints it.
    pub fn name(self) -> &'static str {
        use DesignatorType::*;
        match self {
            VendorSpecific => "vendor specific",
            T10VendorId => "T10 vendor identification",
            Eui64 => "EUI-64 based",
            Naa => "NAA",
            RelativeTargetPort => "Relative target port",
            TargetPortGroup => "Target port group",
            LogicalUnitGroup => "Logical unit group",
            Md5LogicalUnit => "MD5 logical unit identifier",
            ScsiNameString => "SCSI name string",
            ProtocolSpecificPort => "Protocol specific port identifier",
            Uuid => "UUID identifier",
            Reserved(_) => "reserved designator type",
        }
    }
}

/// One designation descriptor of the Device Identification page, also the
/// identifying part of an Identification CSCD descriptor (E4h).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Designator {
    /// PROTOCOL IDENTIFIER (4 bits; meaningful only when `piv`).
    pub protocol_identifier: u8,
    /// CODE SET.
    pub code_set: CodeSet,
    /// PIV: the protocol identifier is valid.
    pub piv: bool,
    /// Bit 6 of byte 1 (reserved in SPC-4), kept for exact round trips.
    pub reserved_bit: bool,
    /// ASSOCIATION.
    pub association: Association,
    /// DESIGNATOR TYPE.
    pub designator_type: DesignatorType,
    /// Byte 2 (reserved), kept for exact round trips.
    pub reserved_byte: u8,
    /// The DESIGNATOR bytes.
    pub value: Vec<u8>,
}

impl Designator {
    /// A binary NAA designator of the logical unit.
    pub fn naa(value: Vec<u8>) -> Self {
        Designator {
            protocol_identifier: 0,
            code_set: CodeSet::Binary,
            piv: false,
            reserved_bit: false,
            association: Association::LogicalUnit,
            designator_type: DesignatorType::Naa,
            reserved_byte: 0,
            value,
        }
    }

    /// Bytes this descriptor takes on the wire (header + designator).
    pub fn wire_len(&self) -> usize {
        field::D_HEADER + self.value.len()
    }

    /// Parses one designation descriptor at the start of `buf`, returning it
    /// and its length.
    pub fn parse_one(buf: &[u8]) -> Result<(Self, usize)> {
        const WHAT: &str = "designation descriptor";
        check_len(WHAT, buf, field::D_HEADER)?;
        let len = usize::from(buf[field::D_LENGTH]);
        let end = field::D_HEADER + len;
        check_len(WHAT, buf, end)?;
        let b0 = buf[field::D_CODE_SET];
        let b1 = buf[field::D_TYPE];
        Ok((
            Designator {
                protocol_identifier: b0 >> 4,
                code_set: CodeSet::from_bits(b0),
                piv: b1 & 0x80 != 0,
                reserved_bit: b1 & 0x40 != 0,
                association: Association::from_bits(b1 >> 4),
                designator_type: DesignatorType::from_bits(b1),
                reserved_byte: buf[2],
                value: buf[field::D_HEADER..end].to_vec(),
            },
            end,
        ))
    }

    /// Writes the four header bytes (without the length) into `hdr`.
    pub(crate) fn emit_header(&self, hdr: &mut [u8]) {
        hdr[field::D_CODE_SET] = (self.protocol_identifier << 4) | self.code_set.bits();
        hdr[field::D_TYPE] = (u8::from(self.piv) << 7)
            | (u8::from(self.reserved_bit) << 6)
            | (self.association.bits() << 4)
            | self.designator_type.bits();
        hdr[2] = self.reserved_byte;
    }

    /// Writes the descriptor at the start of `buf`.
    pub fn emit_one(&self, buf: &mut [u8]) -> Result<()> {
        const WHAT: &str = "designation descriptor";
        check_out(WHAT, buf, self.wire_len())?;
        check_fits(WHAT, "DESIGNATOR LENGTH", self.value.len() as u64, 1)?;
        self.emit_header(buf);
        buf[field::D_LENGTH] = self.value.len() as u8;
        buf[field::D_HEADER..self.wire_len()].copy_from_slice(&self.value);
        Ok(())
    }

    /// How well this designator names a logical unit in an Identification
    /// CSCD descriptor (E4h): higher is better, `None` if it cannot be used
    /// (not a logical-unit designator, or longer than the 20 bytes E4h has).
    ///
    /// NAA IEEE Registered Extended (6h) first — the one LIO accepts — then
    /// the other NAA formats, EUI-64, and T10 vendor ID last.
    pub fn cscd_preference(&self) -> Option<u8> {
        if self.association != Association::LogicalUnit || self.value.len() > 20 {
            return None;
        }
        match self.designator_type {
            DesignatorType::Naa => Some(match self.value.first().map(|b| b >> 4) {
                Some(6) => 10,
                Some(5) => 9,
                _ => 8,
            }),
            DesignatorType::Eui64 => Some(6),
            DesignatorType::T10VendorId => Some(4),
            _ => None,
        }
    }
}

impl fmt::Display for Designator {
    /// `NAA 6: 0x6001405...`, `T10 vendor identification: LIO-ORG ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.designator_type {
            DesignatorType::Naa => {
                let naa = self.value.first().map(|b| b >> 4).unwrap_or(0);
                write!(f, "NAA {naa:x}: 0x{}", hex::encode(&self.value))
            }
            _ if matches!(self.code_set, CodeSet::Ascii | CodeSet::Utf8) => {
                write!(
                    f,
                    "{}: {}",
                    self.designator_type.name(),
                    super::ascii_field(&self.value)
                )
            }
            DesignatorType::RelativeTargetPort | DesignatorType::TargetPortGroup
                if self.value.len() == 4 =>
            {
                write!(
                    f,
                    "{}: 0x{:x}",
                    self.designator_type.name(),
                    super::get_be(&self.value[2..4])
                )
            }
            _ => write!(
                f,
                "{}: 0x{}",
                self.designator_type.name(),
                hex::encode(&self.value)
            ),
        }
    }
}

/// Device Identification (83h).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceIdentification {
    /// Peripheral fields.
    pub header: PageHeader,
    /// Designation descriptors in the device's order.
    pub designators: Vec<Designator>,
}

impl DeviceIdentification {
    /// The page code.
    pub const PAGE: u8 = 0x83;

    /// The designator best suited to an E4h CSCD descriptor, if any.
    pub fn best_for_cscd(&self) -> Option<&Designator> {
        self.designators
            .iter()
            .filter_map(|d| d.cscd_preference().map(|p| (p, d)))
            // max_by_key keeps the last of equals; prefer the first listed.
            .fold(None, |best: Option<(u8, &Designator)>, (p, d)| match best {
                Some((bp, _)) if bp >= p => best,
                _ => Some((p, d)),
            })
            .map(|(_, d)| d)
    }

    /// The first NAA designator of the logical unit, if any.
    pub fn lu_naa(&self) -> Option<&Designator> {
        self.designators.iter().find(|d| {
            d.association == Association::LogicalUnit && d.designator_type == DesignatorType::Naa
        })
    }
}

impl Repr for DeviceIdentification {
    fn parse(buf: &[u8]) -> Result<Self> {
        let (header, mut data) = parse_page(buf, Self::PAGE, "Device Identification page")?;
        let mut designators = Vec::new();
        while !data.is_empty() {
            let (d, used) = Designator::parse_one(data)?;
            designators.push(d);
            data = &data[used..];
        }
        Ok(DeviceIdentification {
            header,
            designators,
        })
    }
    fn buffer_len(&self) -> usize {
        field::DATA
            + self
                .designators
                .iter()
                .map(Designator::wire_len)
                .sum::<usize>()
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let len = self.buffer_len() - field::DATA;
        emit_page(
            buf,
            self.header,
            Self::PAGE,
            len,
            "Device Identification page",
        )?;
        let mut at = field::DATA;
        for d in &self.designators {
            d.emit_one(&mut buf[at..])?;
            at += d.wire_len();
        }
        Ok(())
    }
}

/// THIRD-PARTY COPY DESCRIPTOR TYPE codes this module decodes (SPC-4 table 597).
pub mod tpc_type {
    /// Block Device ROD Limits.
    pub const BLOCK_DEVICE_ROD_LIMITS: u16 = 0x0000;
    /// Supported Commands.
    pub const SUPPORTED_COMMANDS: u16 = 0x0001;
    /// Parameter Data.
    pub const PARAMETER_DATA: u16 = 0x0004;
    /// Supported Descriptors.
    pub const SUPPORTED_DESCRIPTORS: u16 = 0x0008;
    /// Supported CSCD Descriptor IDs.
    pub const SUPPORTED_CSCD_IDS: u16 = 0x000c;
    /// General Copy Operations.
    pub const GENERAL_COPY_OPERATIONS: u16 = 0x8001;
    /// Stream Copy Operations.
    pub const STREAM_COPY_OPERATIONS: u16 = 0x9101;
    /// Held Data.
    pub const HELD_DATA: u16 = 0xc001;

    /// Name in words.
    pub fn name(t: u16) -> &'static str {
        match t {
            BLOCK_DEVICE_ROD_LIMITS => "Block Device ROD Limits",
            SUPPORTED_COMMANDS => "Supported Commands",
            PARAMETER_DATA => "Parameter Data",
            SUPPORTED_DESCRIPTORS => "Supported Descriptors",
            SUPPORTED_CSCD_IDS => "Supported CSCD Descriptor IDs",
            0x0106 => "ROD Features",
            0x0108 => "Supported ROD Types",
            GENERAL_COPY_OPERATIONS => "General Copy Operations",
            STREAM_COPY_OPERATIONS => "Stream Copy Operations",
            HELD_DATA => "Held Data",
            _ => "unknown third-party copy descriptor",
        }
    }
}

/// One third-party copy descriptor, its body kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TpcDescriptor {
    /// THIRD-PARTY COPY DESCRIPTOR TYPE.
    pub descriptor_type: u16,
    /// The bytes after the 4-byte header.
    pub body: Vec<u8>,
}

/// One command listed by a Supported Commands descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportedCommand {
    /// OPERATION CODE.
    pub opcode: u8,
    /// The service actions supported with it.
    pub service_actions: Vec<u8>,
}

impl TpcDescriptor {
    /// Decodes a Supported Commands (0001h) body: a one-byte list length,
    /// then (opcode, count, service actions…) entries.
    pub fn supported_commands(&self) -> Result<Vec<SupportedCommand>> {
        const WHAT: &str = "Supported Commands descriptor";
        if self.descriptor_type != tpc_type::SUPPORTED_COMMANDS {
            return Err(WireError::InvalidField {
                what: WHAT,
                field: "THIRD-PARTY COPY DESCRIPTOR TYPE",
                value: u64::from(self.descriptor_type),
            });
        }
        check_len(WHAT, &self.body, 1)?;
        let list_len = usize::from(self.body[0]);
        check_len(WHAT, &self.body, 1 + list_len)?;
        let mut list = &self.body[1..1 + list_len];
        let mut out = Vec::new();
        while !list.is_empty() {
            check_len(WHAT, list, 2)?;
            let n = usize::from(list[1]);
            check_len(WHAT, list, 2 + n)?;
            out.push(SupportedCommand {
                opcode: list[0],
                service_actions: list[2..2 + n].to_vec(),
            });
            list = &list[2 + n..];
        }
        Ok(out)
    }
}

/// Third-party Copy (8Fh).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThirdPartyCopy {
    /// Peripheral fields.
    pub header: PageHeader,
    /// Descriptors in the device's order.
    pub descriptors: Vec<TpcDescriptor>,
}

impl ThirdPartyCopy {
    /// The page code.
    pub const PAGE: u8 = 0x8f;

    /// Whether a Supported Commands descriptor lists `opcode`/`service_action`.
    pub fn supports(&self, opcode: u8, service_action: u8) -> bool {
        self.descriptors
            .iter()
            .filter(|d| d.descriptor_type == tpc_type::SUPPORTED_COMMANDS)
            .filter_map(|d| d.supported_commands().ok())
            .flatten()
            .any(|c| c.opcode == opcode && c.service_actions.contains(&service_action))
    }
}

impl Repr for ThirdPartyCopy {
    fn parse(buf: &[u8]) -> Result<Self> {
        const WHAT: &str = "Third-party Copy page";
        let (header, mut data) = parse_page(buf, Self::PAGE, WHAT)?;
        let mut descriptors = Vec::new();
        while !data.is_empty() {
            check_len(WHAT, data, field::T_HEADER)?;
            let t = super::get_be(&data[field::T_TYPE]) as u16;
            let len = super::get_be(&data[field::T_LENGTH]) as usize;
            let end = field::T_HEADER + len;
            check_len(WHAT, data, end)?;
            descriptors.push(TpcDescriptor {
                descriptor_type: t,
                body: data[field::T_HEADER..end].to_vec(),
            });
            data = &data[end..];
        }
        Ok(ThirdPartyCopy {
            header,
            descriptors,
        })
    }
    fn buffer_len(&self) -> usize {
        field::DATA
            + self
                .descriptors
                .iter()
                .map(|d| field::T_HEADER + d.body.len())
                .sum::<usize>()
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        const WHAT: &str = "Third-party Copy page";
        let len = self.buffer_len() - field::DATA;
        emit_page(buf, self.header, Self::PAGE, len, WHAT)?;
        let mut at = field::DATA;
        for d in &self.descriptors {
            check_fits(
                WHAT,
                "THIRD-PARTY COPY DESCRIPTOR LENGTH",
                d.body.len() as u64,
                2,
            )?;
            super::put_be(&mut buf[at..at + 2], u64::from(d.descriptor_type));
            super::put_be(&mut buf[at + 2..at + 4], d.body.len() as u64);
            at += field::T_HEADER;
            buf[at..at + d.body.len()].copy_from_slice(&d.body);
            at += d.body.len();
        }
        Ok(())
    }
}

/// `Inconsistent` when a page's PAGE LENGTH (`data` being the bytes after
/// its header) leaves out fields the page must have up to `fields_end`.
fn check_page_length(what: &'static str, data: &[u8], fields_end: usize) -> Result<()> {
    if field::DATA + data.len() < fields_end {
        return Err(WireError::Inconsistent {
            what,
            reason: "PAGE LENGTH is shorter than the page's fields",
        });
    }
    Ok(())
}

view!(
    /// Extended INQUIRY Data page (86h), header included.
    ExtendedInquiryDataView,
    "Extended INQUIRY Data page",
    field::X_FIELDS_END
);

bit_fields!(ExtendedInquiryDataView {
    /// ACTIVATE MICROCODE.
    activate_microcode, set_activate_microcode: field::X_PROTECTION, 6, 2;
    /// SPT: supported protection types.
    spt, set_spt: field::X_PROTECTION, 3, 3;
    /// MULTI I_T NEXUS MICROCODE DOWNLOAD.
    multi_it_nexus_microcode_download, set_multi_it_nexus_microcode_download:
        field::X_MICROCODE, 0, 4;
});

flag_fields!(ExtendedInquiryDataView {
    /// GRD_CHK.
    grd_chk, set_grd_chk: field::X_PROTECTION, 2;
    /// APP_CHK.
    app_chk, set_app_chk: field::X_PROTECTION, 1;
    /// REF_CHK.
    ref_chk, set_ref_chk: field::X_PROTECTION, 0;
    /// UASK_SUP.
    uask_sup, set_uask_sup: field::X_TASK, 5;
    /// GROUP_SUP.
    group_sup, set_group_sup: field::X_TASK, 4;
    /// PRIOR_SUP.
    prior_sup, set_prior_sup: field::X_TASK, 3;
    /// HEADSUP.
    headsup, set_headsup: field::X_TASK, 2;
    /// ORDSUP.
    ordsup, set_ordsup: field::X_TASK, 1;
    /// SIMPSUP.
    simpsup, set_simpsup: field::X_TASK, 0;
    /// WU_SUP.
    wu_sup, set_wu_sup: field::X_CACHE, 3;
    /// CRD_SUP.
    crd_sup, set_crd_sup: field::X_CACHE, 2;
    /// NV_SUP.
    nv_sup, set_nv_sup: field::X_CACHE, 1;
    /// V_SUP.
    v_sup, set_v_sup: field::X_CACHE, 0;
    /// P_I_I_SUP.
    p_i_i_sup, set_p_i_i_sup: field::X_LU, 4;
    /// LUICLR.
    luiclr, set_luiclr: field::X_LU, 0;
    /// R_SUP.
    r_sup, set_r_sup: field::X_REFERRALS, 4;
    /// CBCS.
    cbcs, set_cbcs: field::X_REFERRALS, 0;
    /// POA_SUP.
    poa_sup, set_poa_sup: field::X_POWER, 7;
    /// HRA_SUP.
    hra_sup, set_hra_sup: field::X_POWER, 6;
    /// VSA_SUP.
    vsa_sup, set_vsa_sup: field::X_POWER, 5;
});

super::be_fields!(ExtendedInquiryDataView {
    /// EXTENDED SELF-TEST COMPLETION MINUTES.
    extended_self_test_minutes, set_extended_self_test_minutes: u16 =
        field::X_SELF_TEST_MINUTES;
    /// MAXIMUM SUPPORTED SENSE DATA LENGTH.
    max_sense_length, set_max_sense_length: u8 = field::X_MAX_SENSE;
});

/// Extended INQUIRY Data (86h, SPC-4 r37 §7.8.7): which protection checks,
/// task attributes and caches the logical unit supports.
///
/// `parse` requires the page to hold every field up to MAXIMUM SUPPORTED
/// SENSE DATA LENGTH (byte 13); the reserved bytes after it are not kept,
/// and `emit` writes the page SPC-4 gives: PAGE LENGTH 3Ch, 64 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ExtendedInquiryData {
    /// Peripheral fields.
    pub header: PageHeader,
    /// ACTIVATE MICROCODE (2 bits): when downloaded microcode takes effect.
    pub activate_microcode: u8,
    /// SPT (3 bits): the protection types supported.
    pub spt: u8,
    /// GRD_CHK: the LOGICAL BLOCK GUARD field is checked.
    pub grd_chk: bool,
    /// APP_CHK: the LOGICAL BLOCK APPLICATION TAG field is checked.
    pub app_chk: bool,
    /// REF_CHK: the LOGICAL BLOCK REFERENCE TAG field is checked.
    pub ref_chk: bool,
    /// UASK_SUP: sense data for unit attention conditions.
    pub uask_sup: bool,
    /// GROUP_SUP: the GROUP NUMBER field is supported.
    pub group_sup: bool,
    /// PRIOR_SUP: command priority is supported.
    pub prior_sup: bool,
    /// HEADSUP: the HEAD OF QUEUE task attribute is supported.
    pub headsup: bool,
    /// ORDSUP: the ORDERED task attribute is supported.
    pub ordsup: bool,
    /// SIMPSUP: the SIMPLE task attribute is supported.
    pub simpsup: bool,
    /// WU_SUP: WRITE (10) and friends honour the WRITE UNCORRECTABLE bits.
    pub wu_sup: bool,
    /// CRD_SUP: the CORRCT bit is supported.
    pub crd_sup: bool,
    /// NV_SUP: a non-volatile cache is there.
    pub nv_sup: bool,
    /// V_SUP: a volatile cache is there.
    pub v_sup: bool,
    /// P_I_I_SUP: protection information intervals are supported.
    pub p_i_i_sup: bool,
    /// LUICLR: unit attentions are cleared per logical unit.
    pub luiclr: bool,
    /// R_SUP: referrals are supported.
    pub r_sup: bool,
    /// CBCS: capability-based command security is supported.
    pub cbcs: bool,
    /// MULTI I_T NEXUS MICROCODE DOWNLOAD (4 bits).
    pub multi_it_nexus_microcode_download: u8,
    /// EXTENDED SELF-TEST COMPLETION MINUTES.
    pub extended_self_test_completion_minutes: u16,
    /// POA_SUP: power on activation is supported.
    pub poa_sup: bool,
    /// HRA_SUP: hard reset activation is supported.
    pub hra_sup: bool,
    /// VSA_SUP: vendor specific activation is supported.
    pub vsa_sup: bool,
    /// MAXIMUM SUPPORTED SENSE DATA LENGTH (0: not reported).
    pub maximum_supported_sense_data_length: u8,
}

impl ExtendedInquiryData {
    /// The page code.
    pub const PAGE: u8 = 0x86;
    const WHAT: &'static str = "Extended INQUIRY Data page";
}

impl Repr for ExtendedInquiryData {
    fn parse(buf: &[u8]) -> Result<Self> {
        let (header, data) = parse_page(buf, Self::PAGE, Self::WHAT)?;
        check_page_length(Self::WHAT, data, field::X_FIELDS_END)?;
        let v = ExtendedInquiryDataView::new_unchecked(buf);
        Ok(ExtendedInquiryData {
            header,
            activate_microcode: v.activate_microcode(),
            spt: v.spt(),
            grd_chk: v.grd_chk(),
            app_chk: v.app_chk(),
            ref_chk: v.ref_chk(),
            uask_sup: v.uask_sup(),
            group_sup: v.group_sup(),
            prior_sup: v.prior_sup(),
            headsup: v.headsup(),
            ordsup: v.ordsup(),
            simpsup: v.simpsup(),
            wu_sup: v.wu_sup(),
            crd_sup: v.crd_sup(),
            nv_sup: v.nv_sup(),
            v_sup: v.v_sup(),
            p_i_i_sup: v.p_i_i_sup(),
            luiclr: v.luiclr(),
            r_sup: v.r_sup(),
            cbcs: v.cbcs(),
            multi_it_nexus_microcode_download: v.multi_it_nexus_microcode_download(),
            extended_self_test_completion_minutes: v.extended_self_test_minutes(),
            poa_sup: v.poa_sup(),
            hra_sup: v.hra_sup(),
            vsa_sup: v.vsa_sup(),
            maximum_supported_sense_data_length: v.max_sense_length(),
        })
    }
    fn buffer_len(&self) -> usize {
        field::DATA + field::X_PAGE_LENGTH
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_bits(Self::WHAT, "ACTIVATE MICROCODE", self.activate_microcode, 2)?;
        check_bits(Self::WHAT, "SPT", self.spt, 3)?;
        check_bits(
            Self::WHAT,
            "MULTI I_T NEXUS MICROCODE DOWNLOAD",
            self.multi_it_nexus_microcode_download,
            4,
        )?;
        emit_page(
            buf,
            self.header,
            Self::PAGE,
            field::X_PAGE_LENGTH,
            Self::WHAT,
        )?;
        buf[field::DATA..self.buffer_len()].fill(0);
        let mut v = ExtendedInquiryDataView::new_unchecked(&mut buf[..self.buffer_len()]);
        v.set_activate_microcode(self.activate_microcode);
        v.set_spt(self.spt);
        v.set_grd_chk(self.grd_chk);
        v.set_app_chk(self.app_chk);
        v.set_ref_chk(self.ref_chk);
        v.set_uask_sup(self.uask_sup);
        v.set_group_sup(self.group_sup);
        v.set_prior_sup(self.prior_sup);
        v.set_headsup(self.headsup);
        v.set_ordsup(self.ordsup);
        v.set_simpsup(self.simpsup);
        v.set_wu_sup(self.wu_sup);
        v.set_crd_sup(self.crd_sup);
        v.set_nv_sup(self.nv_sup);
        v.set_v_sup(self.v_sup);
        v.set_p_i_i_sup(self.p_i_i_sup);
        v.set_luiclr(self.luiclr);
        v.set_r_sup(self.r_sup);
        v.set_cbcs(self.cbcs);
        v.set_multi_it_nexus_microcode_download(self.multi_it_nexus_microcode_download);
        v.set_extended_self_test_minutes(self.extended_self_test_completion_minutes);
        v.set_poa_sup(self.poa_sup);
        v.set_hra_sup(self.hra_sup);
        v.set_vsa_sup(self.vsa_sup);
        v.set_max_sense_length(self.maximum_supported_sense_data_length);
        Ok(())
    }
}

view!(
    /// Block Limits page (B0h), header included, as far as SBC-3's fields
    /// go (a shorter page is read through a copy padded with zeros).
    BlockLimitsView,
    "Block Limits page",
    field::BL_FIELDS_END
);

flag_fields!(BlockLimitsView {
    /// WSNZ.
    wsnz, set_wsnz: field::BL_WSNZ, 0;
    /// UGAVALID.
    ugavalid, set_ugavalid: field::BL_UGAVALID, 7;
});

super::be_fields!(BlockLimitsView {
    /// MAXIMUM COMPARE AND WRITE LENGTH.
    max_compare_and_write, set_max_compare_and_write: u8 = field::BL_MAX_CAW;
    /// OPTIMAL TRANSFER LENGTH GRANULARITY.
    optimal_granularity, set_optimal_granularity: u16 = field::BL_OPT_GRANULARITY;
    /// MAXIMUM TRANSFER LENGTH.
    max_transfer, set_max_transfer: u32 = field::BL_MAX_TRANSFER;
    /// OPTIMAL TRANSFER LENGTH.
    optimal_transfer, set_optimal_transfer: u32 = field::BL_OPT_TRANSFER;
    /// MAXIMUM PREFETCH LENGTH.
    max_prefetch, set_max_prefetch: u32 = field::BL_MAX_PREFETCH;
    /// MAXIMUM UNMAP LBA COUNT.
    max_unmap_lba, set_max_unmap_lba: u32 = field::BL_MAX_UNMAP_LBA;
    /// MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT.
    max_unmap_descriptors, set_max_unmap_descriptors: u32 = field::BL_MAX_UNMAP_DESCRIPTORS;
    /// OPTIMAL UNMAP GRANULARITY.
    optimal_unmap_granularity, set_optimal_unmap_granularity: u32 =
        field::BL_OPT_UNMAP_GRANULARITY;
    /// Bytes 32-35: UGAVALID and UNMAP GRANULARITY ALIGNMENT together.
    unmap_alignment_word, set_unmap_alignment_word: u32 = field::BL_UNMAP_ALIGNMENT;
    /// MAXIMUM WRITE SAME LENGTH.
    max_write_same, set_max_write_same: u64 = field::BL_MAX_WRITE_SAME;
});

/// UGAVALID's bit in bytes 32-35 read as one word.
const UGAVALID_BIT: u32 = 1 << 31;

/// Block Limits (B0h, SBC-3 r36 §6.6, "Block Limits VPD page"): the transfer, prefetch, unmap and
/// write-same limits of a direct-access block device. Counts are in
/// logical blocks; zero means "not reported" or, for the unmap and
/// write-same fields, "not supported".
///
/// SBC-3 gives the page a PAGE LENGTH of 3Ch, but devices stop earlier:
/// those following an earlier revision after the fields it had, and LIO,
/// without thin provisioning, after MAXIMUM PREFETCH LENGTH (10h). The length is
/// kept in [`BlockLimits::page_length`]; a field the page leaves out reads
/// as zero. `parse` enforces a PAGE LENGTH that ends between two fields
/// (any length from 28h on: bytes 44 and later, reserved in SBC-3, are not
/// kept and are emitted as zero). `emit` refuses a nonzero field that the
/// page length leaves out, and an UNMAP GRANULARITY ALIGNMENT over 31 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockLimits {
    /// Peripheral fields.
    pub header: PageHeader,
    /// PAGE LENGTH: [`Self::SBC3_PAGE_LENGTH`], or shorter (see above).
    pub page_length: u16,
    /// WSNZ: a WRITE SAME with NUMBER OF LOGICAL BLOCKS zero is refused.
    pub wsnz: bool,
    /// MAXIMUM COMPARE AND WRITE LENGTH (0: no COMPARE AND WRITE).
    pub maximum_compare_and_write_length: u8,
    /// OPTIMAL TRANSFER LENGTH GRANULARITY.
    pub optimal_transfer_length_granularity: u16,
    /// MAXIMUM TRANSFER LENGTH (0: no limit reported).
    pub maximum_transfer_length: u32,
    /// OPTIMAL TRANSFER LENGTH.
    pub optimal_transfer_length: u32,
    /// MAXIMUM PREFETCH LENGTH.
    pub maximum_prefetch_length: u32,
    /// MAXIMUM UNMAP LBA COUNT (0: no UNMAP).
    pub maximum_unmap_lba_count: u32,
    /// MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT (0: no UNMAP).
    pub maximum_unmap_block_descriptor_count: u32,
    /// OPTIMAL UNMAP GRANULARITY.
    pub optimal_unmap_granularity: u32,
    /// UGAVALID: UNMAP GRANULARITY ALIGNMENT is valid.
    pub ugavalid: bool,
    /// UNMAP GRANULARITY ALIGNMENT (31 bits).
    pub unmap_granularity_alignment: u32,
    /// MAXIMUM WRITE SAME LENGTH (0: not reported).
    pub maximum_write_same_length: u64,
}

impl Default for BlockLimits {
    /// Every limit zero, in a page of SBC-3's length.
    fn default() -> Self {
        BlockLimits {
            header: PageHeader::default(),
            page_length: Self::SBC3_PAGE_LENGTH,
            wsnz: false,
            maximum_compare_and_write_length: 0,
            optimal_transfer_length_granularity: 0,
            maximum_transfer_length: 0,
            optimal_transfer_length: 0,
            maximum_prefetch_length: 0,
            maximum_unmap_lba_count: 0,
            maximum_unmap_block_descriptor_count: 0,
            optimal_unmap_granularity: 0,
            ugavalid: false,
            unmap_granularity_alignment: 0,
            maximum_write_same_length: 0,
        }
    }
}

impl BlockLimits {
    /// The page code.
    pub const PAGE: u8 = 0xb0;
    /// SBC-3's PAGE LENGTH.
    pub const SBC3_PAGE_LENGTH: u16 = 0x3c;
    /// The PAGE LENGTH LIO gives when it emulates neither UNMAP nor WRITE
    /// SAME with UNMAP (emulate_tpu = emulate_tpws = 0): the page stops
    /// after MAXIMUM PREFETCH LENGTH.
    pub const LIO_NO_THIN_PROVISIONING_PAGE_LENGTH: u16 = 0x10;
    const WHAT: &'static str = "Block Limits page";

    /// Whether a page of `page_length` stops between two fields.
    fn ends_between_fields(page_length: usize) -> bool {
        let end = field::DATA + page_length;
        end >= field::BL_FIELDS_END || field::BL_FIELD_ENDS.contains(&end)
    }

    fn bad_page_length() -> WireError {
        WireError::Inconsistent {
            what: Self::WHAT,
            reason: "PAGE LENGTH ends inside a field",
        }
    }
}

impl Repr for BlockLimits {
    fn parse(buf: &[u8]) -> Result<Self> {
        let (header, data) = parse_page(buf, Self::PAGE, Self::WHAT)?;
        if !Self::ends_between_fields(data.len()) {
            return Err(Self::bad_page_length());
        }
        let mut image = [0u8; field::BL_FIELDS_END];
        let n = (field::DATA + data.len()).min(field::BL_FIELDS_END);
        image[..n].copy_from_slice(&buf[..n]);
        let v = BlockLimitsView::new_unchecked(&image[..]);
        Ok(BlockLimits {
            header,
            // parse_page checked it came from a two-byte field.
            page_length: data.len() as u16,
            wsnz: v.wsnz(),
            maximum_compare_and_write_length: v.max_compare_and_write(),
            optimal_transfer_length_granularity: v.optimal_granularity(),
            maximum_transfer_length: v.max_transfer(),
            optimal_transfer_length: v.optimal_transfer(),
            maximum_prefetch_length: v.max_prefetch(),
            maximum_unmap_lba_count: v.max_unmap_lba(),
            maximum_unmap_block_descriptor_count: v.max_unmap_descriptors(),
            optimal_unmap_granularity: v.optimal_unmap_granularity(),
            ugavalid: v.ugavalid(),
            unmap_granularity_alignment: v.unmap_alignment_word() & !UGAVALID_BIT,
            maximum_write_same_length: v.max_write_same(),
        })
    }
    fn buffer_len(&self) -> usize {
        field::DATA + usize::from(self.page_length)
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let len = usize::from(self.page_length);
        if !Self::ends_between_fields(len) {
            return Err(Self::bad_page_length());
        }
        if self.unmap_granularity_alignment & UGAVALID_BIT != 0 {
            return Err(WireError::Overflow {
                what: Self::WHAT,
                field: "UNMAP GRANULARITY ALIGNMENT",
                value: self.unmap_granularity_alignment.into(),
            });
        }
        let mut image = [0u8; field::BL_FIELDS_END];
        let mut v = BlockLimitsView::new_unchecked(&mut image[..]);
        v.set_wsnz(self.wsnz);
        v.set_max_compare_and_write(self.maximum_compare_and_write_length);
        v.set_optimal_granularity(self.optimal_transfer_length_granularity);
        v.set_max_transfer(self.maximum_transfer_length);
        v.set_optimal_transfer(self.optimal_transfer_length);
        v.set_max_prefetch(self.maximum_prefetch_length);
        v.set_max_unmap_lba(self.maximum_unmap_lba_count);
        v.set_max_unmap_descriptors(self.maximum_unmap_block_descriptor_count);
        v.set_optimal_unmap_granularity(self.optimal_unmap_granularity);
        v.set_unmap_alignment_word(self.unmap_granularity_alignment);
        v.set_ugavalid(self.ugavalid);
        v.set_max_write_same(self.maximum_write_same_length);
        let end = field::DATA + len;
        let kept = end.min(field::BL_FIELDS_END);
        if image[kept..].iter().any(|&b| b != 0) {
            return Err(WireError::Inconsistent {
                what: Self::WHAT,
                reason: "a nonzero field lies past the PAGE LENGTH",
            });
        }
        emit_page(buf, self.header, Self::PAGE, len, Self::WHAT)?;
        buf[field::DATA..kept].copy_from_slice(&image[field::DATA..kept]);
        buf[kept..end].fill(0);
        Ok(())
    }
}

view!(
    /// Block Device Characteristics page (B1h), header included.
    BlockDeviceCharacteristicsView,
    "Block Device Characteristics page",
    field::BDC_FIELDS_END
);

super::be_fields!(BlockDeviceCharacteristicsView {
    /// MEDIUM ROTATION RATE.
    rotation_rate, set_rotation_rate: u16 = field::BDC_ROTATION;
    /// PRODUCT TYPE.
    product_type, set_product_type: u8 = field::BDC_PRODUCT_TYPE;
});

bit_fields!(BlockDeviceCharacteristicsView {
    /// WABEREQ.
    wabereq, set_wabereq: field::BDC_FORM, 6, 2;
    /// WACEREQ.
    wacereq, set_wacereq: field::BDC_FORM, 4, 2;
    /// NOMINAL FORM FACTOR.
    form_factor, set_form_factor: field::BDC_FORM, 0, 4;
});

flag_fields!(BlockDeviceCharacteristicsView {
    /// FUAB.
    fuab, set_fuab: field::BDC_FLAGS, 1;
    /// VBULS.
    vbuls, set_vbuls: field::BDC_FLAGS, 0;
});

/// Block Device Characteristics (B1h, SBC-3 r36 §6.6): the medium's
/// rotation rate, the product type and the form factor.
///
/// `parse` requires the page to hold every field up to byte 8 (FUAB,
/// VBULS); the reserved bytes after it are not kept, and `emit` writes the
/// page SBC-3 gives: PAGE LENGTH 3Ch, 64 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BlockDeviceCharacteristics {
    /// Peripheral fields.
    pub header: PageHeader,
    /// MEDIUM ROTATION RATE: 0 not reported, 1 non-rotating medium, else
    /// revolutions per minute.
    pub medium_rotation_rate: u16,
    /// PRODUCT TYPE (0: not indicated).
    pub product_type: u8,
    /// WABEREQ (2 bits): what a read after a write-after-block-erase
    /// returns.
    pub wabereq: u8,
    /// WACEREQ (2 bits): what a read after a write-after-cryptographic-
    /// erase returns.
    pub wacereq: u8,
    /// NOMINAL FORM FACTOR (4 bits; 0: not reported).
    pub nominal_form_factor: u8,
    /// FUAB: SYNCHRONIZE CACHE behaves as a WRITE with FUA would.
    pub fuab: bool,
    /// VBULS: VERIFY with BYTCHK 0 checks unmapped blocks.
    pub vbuls: bool,
}

impl BlockDeviceCharacteristics {
    /// The page code.
    pub const PAGE: u8 = 0xb1;
    /// MEDIUM ROTATION RATE of a non-rotating medium.
    pub const NON_ROTATING: u16 = 1;
    const WHAT: &'static str = "Block Device Characteristics page";
}

impl Repr for BlockDeviceCharacteristics {
    fn parse(buf: &[u8]) -> Result<Self> {
        let (header, data) = parse_page(buf, Self::PAGE, Self::WHAT)?;
        check_page_length(Self::WHAT, data, field::BDC_FIELDS_END)?;
        let v = BlockDeviceCharacteristicsView::new_unchecked(buf);
        Ok(BlockDeviceCharacteristics {
            header,
            medium_rotation_rate: v.rotation_rate(),
            product_type: v.product_type(),
            wabereq: v.wabereq(),
            wacereq: v.wacereq(),
            nominal_form_factor: v.form_factor(),
            fuab: v.fuab(),
            vbuls: v.vbuls(),
        })
    }
    fn buffer_len(&self) -> usize {
        field::DATA + field::BDC_PAGE_LENGTH
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_bits(Self::WHAT, "WABEREQ", self.wabereq, 2)?;
        check_bits(Self::WHAT, "WACEREQ", self.wacereq, 2)?;
        check_bits(
            Self::WHAT,
            "NOMINAL FORM FACTOR",
            self.nominal_form_factor,
            4,
        )?;
        emit_page(
            buf,
            self.header,
            Self::PAGE,
            field::BDC_PAGE_LENGTH,
            Self::WHAT,
        )?;
        buf[field::DATA..self.buffer_len()].fill(0);
        let mut v = BlockDeviceCharacteristicsView::new_unchecked(&mut buf[..self.buffer_len()]);
        v.set_rotation_rate(self.medium_rotation_rate);
        v.set_product_type(self.product_type);
        v.set_wabereq(self.wabereq);
        v.set_wacereq(self.wacereq);
        v.set_form_factor(self.nominal_form_factor);
        v.set_fuab(self.fuab);
        v.set_vbuls(self.vbuls);
        Ok(())
    }
}

view!(
    /// Logical Block Provisioning page (B2h), header and fixed part.
    LogicalBlockProvisioningView,
    "Logical Block Provisioning page",
    field::LBP_FIXED_END
);

super::be_fields!(LogicalBlockProvisioningView {
    /// THRESHOLD EXPONENT.
    threshold_exponent, set_threshold_exponent: u8 = field::LBP_THRESHOLD;
});

bit_fields!(LogicalBlockProvisioningView {
    /// PROVISIONING TYPE.
    provisioning_type, set_provisioning_type: field::LBP_TYPE, 0, 3;
});

flag_fields!(LogicalBlockProvisioningView {
    /// LBPU.
    lbpu, set_lbpu: field::LBP_FLAGS, 7;
    /// LBPWS.
    lbpws, set_lbpws: field::LBP_FLAGS, 6;
    /// LBPWS10.
    lbpws10, set_lbpws10: field::LBP_FLAGS, 5;
    /// LBPRZ.
    lbprz, set_lbprz: field::LBP_FLAGS, 2;
    /// ANC_SUP.
    anc_sup, set_anc_sup: field::LBP_FLAGS, 1;
    /// DP.
    dp, set_dp: field::LBP_FLAGS, 0;
});

/// Logical Block Provisioning (B2h, SBC-3 r36 §6.6): whether UNMAP and
/// WRITE SAME with UNMAP are supported, what an unmapped block reads as,
/// and how the logical unit is provisioned.
///
/// `parse` requires the page to hold its four fixed bytes (PAGE LENGTH at
/// least 4) and, when DP is set, the PROVISIONING GROUP DESCRIPTOR (a
/// designation descriptor) inside the page. DP is not a field here: it is
/// set when [`Self::provisioning_group`] is. Bytes after the fixed part
/// without DP, or after the descriptor, are not kept; `emit` gives PAGE
/// LENGTH 4, or 4 plus the descriptor, as SBC-3 asks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LogicalBlockProvisioning {
    /// Peripheral fields.
    pub header: PageHeader,
    /// THRESHOLD EXPONENT: the threshold set size is 2^n blocks (0: no
    /// thresholds).
    pub threshold_exponent: u8,
    /// LBPU: UNMAP is supported.
    pub lbpu: bool,
    /// LBPWS: WRITE SAME (16) with UNMAP is supported.
    pub lbpws: bool,
    /// LBPWS10: WRITE SAME (10) with UNMAP is supported.
    pub lbpws10: bool,
    /// LBPRZ: an unmapped block reads as zeros.
    pub lbprz: bool,
    /// ANC_SUP: ANCHOR is supported.
    pub anc_sup: bool,
    /// PROVISIONING TYPE (3 bits): 0 fully provisioned (or not reported),
    /// 1 resource provisioned, 2 thin provisioned.
    pub provisioning_type: u8,
    /// PROVISIONING GROUP DESCRIPTOR; DP is set when there is one.
    pub provisioning_group: Option<Designator>,
}

impl LogicalBlockProvisioning {
    /// The page code.
    pub const PAGE: u8 = 0xb2;
    const WHAT: &'static str = "Logical Block Provisioning page";
}

impl Repr for LogicalBlockProvisioning {
    fn parse(buf: &[u8]) -> Result<Self> {
        let (header, data) = parse_page(buf, Self::PAGE, Self::WHAT)?;
        check_page_length(Self::WHAT, data, field::LBP_FIXED_END)?;
        let v = LogicalBlockProvisioningView::new_unchecked(buf);
        let provisioning_group = if v.dp() {
            let rest = &data[field::LBP_FIXED_END - field::DATA..];
            Some(Designator::parse_one(rest)?.0)
        } else {
            None
        };
        Ok(LogicalBlockProvisioning {
            header,
            threshold_exponent: v.threshold_exponent(),
            lbpu: v.lbpu(),
            lbpws: v.lbpws(),
            lbpws10: v.lbpws10(),
            lbprz: v.lbprz(),
            anc_sup: v.anc_sup(),
            provisioning_type: v.provisioning_type(),
            provisioning_group,
        })
    }
    fn buffer_len(&self) -> usize {
        field::LBP_FIXED_END
            + self
                .provisioning_group
                .as_ref()
                .map_or(0, Designator::wire_len)
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_bits(Self::WHAT, "PROVISIONING TYPE", self.provisioning_type, 3)?;
        let len = self.buffer_len() - field::DATA;
        emit_page(buf, self.header, Self::PAGE, len, Self::WHAT)?;
        buf[field::DATA..field::LBP_FIXED_END].fill(0);
        let mut v = LogicalBlockProvisioningView::new_unchecked(&mut buf[..field::LBP_FIXED_END]);
        v.set_threshold_exponent(self.threshold_exponent);
        v.set_lbpu(self.lbpu);
        v.set_lbpws(self.lbpws);
        v.set_lbpws10(self.lbpws10);
        v.set_lbprz(self.lbprz);
        v.set_anc_sup(self.anc_sup);
        v.set_dp(self.provisioning_group.is_some());
        v.set_provisioning_type(self.provisioning_type);
        if let Some(d) = &self.provisioning_group {
            d.emit_one(&mut buf[field::LBP_FIXED_END..])?;
        }
        Ok(())
    }
}

/// The page code of a VPD page buffer, if it has a header.
pub fn page_code(buf: &[u8]) -> Option<u8> {
    VpdHeader::new_checked(buf).ok().map(|v| v.page_code())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A Device Identification page modelled on a LIO fileio LUN's (worked
    /// by hand): NAA 6, T10 vendor id, relative target port, target port
    /// group, and an NAA 5 to check the preference order.
    pub(crate) const LIO_83: &[u8] = &[
        0x00, 0x83, 0x00, 0x44, // PDT disk, page 83h, page length 68
        0x01, 0x03, 0x00, 0x10, // binary, LU, NAA, length 16
        0x60, 0x01, 0x40, 0x51, 0x0a, 0x11, 0x22, 0x33, // NAA 6, IEEE OUI 001405 …
        0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, //
        0x02, 0x01, 0x00, 0x10, // ASCII, LU, T10 vendor id, length 16
        b'L', b'I', b'O', b'-', b'O', b'R', b'G', b' ', // "LIO-ORG "
        b'5', b'1', b'0', b'a', b'1', b'1', b'2', b'2', // serial prefix
        0x61, 0x94, 0x00, 0x04, // protocol 6, binary; PIV, target port, relative target port
        0x00, 0x00, 0x00, 0x01, // relative target port 1
        0x61, 0x95, 0x00, 0x04, // PIV, target port, target port group
        0x00, 0x00, 0x00, 0x00, // group 0
        0x01, 0x03, 0x00, 0x08, // binary, LU, NAA, length 8 (NAA 5)
        0x50, 0x01, 0x40, 0x50, 0x00, 0x00, 0x00, 0x01, //
    ];

    #[test]
    fn parses_lio_device_identification() {
        let p = DeviceIdentification::parse(LIO_83).unwrap();
        assert_eq!(p.designators.len(), 5);
        let naa = &p.designators[0];
        assert_eq!(naa.designator_type, DesignatorType::Naa);
        assert_eq!(naa.code_set, CodeSet::Binary);
        assert_eq!(naa.association, Association::LogicalUnit);
        assert_eq!(naa.value.len(), 16);
        assert_eq!(naa.to_string(), "NAA 6: 0x600140510a112233445566778899aabb");
        assert_eq!(
            p.designators[1].to_string(),
            "T10 vendor identification: LIO-ORG 510a1122"
        );
        assert!(p.designators[2].piv);
        assert_eq!(p.designators[2].association, Association::TargetPort);
        assert_eq!(p.designators[2].to_string(), "Relative target port: 0x1");
        // NAA 6 beats NAA 5 and T10 vendor id.
        assert_eq!(p.best_for_cscd(), Some(naa));
        let mut out = vec![0xa5; p.buffer_len()];
        p.emit(&mut out).unwrap();
        assert_eq!(out, LIO_83);
    }

    #[test]
    fn page_cut_by_allocation_length_is_truncated() {
        let e = DeviceIdentification::parse(&LIO_83[..40]).unwrap_err();
        assert!(
            matches!(
                e,
                WireError::Truncated {
                    need: 72,
                    have: 40,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn designator_crossing_page_end_is_rejected() {
        let mut b = LIO_83[..24].to_vec();
        b[3] = 20; // page length 20: the NAA descriptor (20 bytes) fits exactly
        assert!(DeviceIdentification::parse(&b).is_ok());
        b[3] = 19; // now it does not
        b.truncate(23);
        let e = DeviceIdentification::parse(&b).unwrap_err();
        assert!(matches!(e, WireError::Truncated { .. }), "{e}");
    }

    #[test]
    fn wrong_page_code_is_rejected() {
        let e = SupportedPages::parse(LIO_83).unwrap_err();
        assert!(matches!(
            e,
            WireError::InvalidField {
                field: "PAGE CODE",
                value: 0x83,
                ..
            }
        ));
    }

    #[test]
    fn long_t10_designator_is_not_usable_in_e4() {
        let mut d = Designator::naa(vec![0x60; 16]);
        d.designator_type = DesignatorType::T10VendorId;
        d.value = vec![b'A'; 24];
        assert_eq!(d.cscd_preference(), None);
        let p = DeviceIdentification {
            header: PageHeader::default(),
            designators: vec![d],
        };
        assert_eq!(p.best_for_cscd(), None);
    }

    #[test]
    fn third_party_copy_supported_commands() {
        let page = [
            0x00, 0x8f, 0x00, 0x0c, // page 8Fh, length 12
            0x00, 0x01, 0x00, 0x08, // Supported Commands, length 8
            0x07, // commands supported list length 7
            0x83, 0x01, 0x00, // EXTENDED COPY: SA 00h
            0x84, 0x02, 0x00, 0x03, // RECEIVE COPY RESULTS: SAs 00h, 03h
        ];
        let p = ThirdPartyCopy::parse(&page).unwrap();
        assert!(p.supports(0x83, 0x00));
        assert!(p.supports(0x84, 0x03));
        assert!(!p.supports(0x84, 0x04));
        assert_eq!(p.to_vec().unwrap(), page);
    }

    #[test]
    fn supported_pages_and_serial() {
        let p = [0x00, 0x00, 0x00, 0x04, 0x00, 0x80, 0x83, 0x8f];
        let s = SupportedPages::parse(&p).unwrap();
        assert_eq!(s.pages, vec![0x00, 0x80, 0x83, 0x8f]);
        assert_eq!(s.to_vec().unwrap(), p);
        let p = [0x01, 0x80, 0x00, 0x06, b'T', b'A', b'P', b'E', b'0', b' '];
        let s = UnitSerialNumber::parse(&p).unwrap();
        assert_eq!(s.header.peripheral_device_type, 1);
        assert_eq!(s.serial_text(), "TAPE0");
        assert_eq!(s.to_vec().unwrap(), p);
    }

    /// Emits `r` into a buffer of 0xA5 one byte longer than it needs, and
    /// checks the bytes and that the spare byte is untouched.
    fn emit_a5<R: Repr>(r: &R, want: &[u8]) {
        assert_eq!(r.buffer_len(), want.len());
        let mut out = vec![0xa5; want.len() + 1];
        r.emit(&mut out).unwrap();
        assert_eq!(&out[..want.len()], want);
        assert_eq!(out[want.len()], 0xa5);
    }

    /// The Extended INQUIRY Data page of a LIO fileio LUN without
    /// protection information or write cache (worked by hand from
    /// `spc_emulate_evpd_86`, kernel 6.1).
    #[rustfmt::skip]
    const LIO_86: [u8; 64] = {
        let mut p = [0u8; 64];
        p[1] = 0x86; // PAGE CODE 86h (byte 0: PDT disk)
        p[3] = 0x3c; // PAGE LENGTH 60
        // byte 4: ACTIVATE MICROCODE 0, SPT 0, GRD_CHK 0, APP_CHK 0, REF_CHK 0
        p[5] = 0x07; // HEADSUP, ORDSUP, SIMPSUP
        // byte 6: V_SUP 0 (no write cache); byte 8: R_SUP 0; the rest 0
        p
    };

    #[test]
    fn extended_inquiry_data_lio() {
        let p = ExtendedInquiryData::parse(&LIO_86).unwrap();
        assert_eq!(
            p,
            ExtendedInquiryData {
                headsup: true,
                ordsup: true,
                simpsup: true,
                ..ExtendedInquiryData::default()
            }
        );
        emit_a5(&p, &LIO_86);
    }

    #[test]
    fn extended_inquiry_data_every_field() {
        #[rustfmt::skip]
        let head = [
            0x00, 0x86, 0x00, 0x3c, // PDT disk, page 86h, page length 60
            0x6d,                   // ACTIVATE MICROCODE 1, SPT 5, GRD_CHK, REF_CHK
            0x2a,                   // UASK_SUP, PRIOR_SUP, ORDSUP
            0x09,                   // WU_SUP, V_SUP
            0x11,                   // P_I_I_SUP, LUICLR
            0x11,                   // R_SUP, CBCS
            0x0c,                   // MULTI I_T NEXUS MICROCODE DOWNLOAD 12
            0x01, 0x2c,             // EXTENDED SELF-TEST COMPLETION MINUTES 300
            0xa0,                   // POA_SUP, VSA_SUP
            0xfc,                   // MAXIMUM SUPPORTED SENSE DATA LENGTH 252
        ];
        let mut page = head.to_vec();
        page.resize(64, 0); // bytes 14-63 reserved
        let p = ExtendedInquiryData::parse(&page).unwrap();
        let want = ExtendedInquiryData {
            header: PageHeader::default(),
            activate_microcode: 1,
            spt: 5,
            grd_chk: true,
            app_chk: false,
            ref_chk: true,
            uask_sup: true,
            group_sup: false,
            prior_sup: true,
            headsup: false,
            ordsup: true,
            simpsup: false,
            wu_sup: true,
            crd_sup: false,
            nv_sup: false,
            v_sup: true,
            p_i_i_sup: true,
            luiclr: true,
            r_sup: true,
            cbcs: true,
            multi_it_nexus_microcode_download: 12,
            extended_self_test_completion_minutes: 300,
            poa_sup: true,
            hra_sup: false,
            vsa_sup: true,
            maximum_supported_sense_data_length: 252,
        };
        assert_eq!(p, want);
        emit_a5(&p, &page);
        // Reserved bits and bytes are not kept: they come back as zero.
        let mut noisy = page.clone();
        noisy[13 + 20] = 0xff;
        noisy[6] |= 0xf0;
        assert_eq!(
            ExtendedInquiryData::parse(&noisy)
                .unwrap()
                .to_vec()
                .unwrap(),
            page
        );
    }

    #[test]
    fn extended_inquiry_data_shorter_than_its_fields_is_refused() {
        // Page length 9: byte 13 (MAXIMUM SUPPORTED SENSE DATA LENGTH) left out.
        let mut page = LIO_86[..13].to_vec();
        page[3] = 9;
        let e = ExtendedInquiryData::parse(&page).unwrap_err();
        assert!(matches!(e, WireError::Inconsistent { .. }), "{e}");
        page.push(0);
        page[3] = 10;
        assert!(ExtendedInquiryData::parse(&page).is_ok());
    }

    #[test]
    fn extended_inquiry_data_bit_fields_must_fit() {
        for (p, field) in [
            (
                ExtendedInquiryData {
                    activate_microcode: 4,
                    ..Default::default()
                },
                "ACTIVATE MICROCODE",
            ),
            (
                ExtendedInquiryData {
                    spt: 8,
                    ..Default::default()
                },
                "SPT",
            ),
            (
                ExtendedInquiryData {
                    multi_it_nexus_microcode_download: 16,
                    ..Default::default()
                },
                "MULTI I_T NEXUS MICROCODE DOWNLOAD",
            ),
        ] {
            let e = p.to_vec().unwrap_err();
            assert!(
                matches!(e, WireError::Overflow { field: f, .. } if f == field),
                "{e}"
            );
        }
    }

    /// The Block Limits page of a LIO fileio LUN of 512-byte blocks with
    /// its default attributes (emulate_tpu = emulate_tpws = 0, emulate_caw
    /// = 1; worked by hand from `spc_emulate_evpd_b0`, kernel 6.1): the
    /// page stops after MAXIMUM PREFETCH LENGTH.
    #[rustfmt::skip]
    const LIO_B0: [u8; 20] = [
        0x00, 0xb0, 0x00, 0x10, // PDT disk, page B0h, page length 16
        0x01,                   // WSNZ
        0x01,                   // MAXIMUM COMPARE AND WRITE LENGTH 1
        0x00, 0x01,             // OPTIMAL TRANSFER LENGTH GRANULARITY 1
        0x00, 0x00, 0x40, 0x00, // MAXIMUM TRANSFER LENGTH 16384 (8 MiB)
        0x00, 0x00, 0x40, 0x00, // OPTIMAL TRANSFER LENGTH 16384
        0x00, 0x00, 0x00, 0x00, // MAXIMUM PREFETCH LENGTH 0
    ];

    #[test]
    fn block_limits_lio_short_page() {
        let p = BlockLimits::parse(&LIO_B0).unwrap();
        assert_eq!(
            p,
            BlockLimits {
                page_length: BlockLimits::LIO_NO_THIN_PROVISIONING_PAGE_LENGTH,
                wsnz: true,
                maximum_compare_and_write_length: 1,
                optimal_transfer_length_granularity: 1,
                maximum_transfer_length: 16384,
                optimal_transfer_length: 16384,
                ..BlockLimits::default()
            }
        );
        emit_a5(&p, &LIO_B0);
    }

    #[test]
    fn block_limits_full_page() {
        #[rustfmt::skip]
        let head = [
            0x00, 0xb0, 0x00, 0x3c, // PDT disk, page B0h, page length 60
            0x01,                   // WSNZ
            0x01,                   // MAXIMUM COMPARE AND WRITE LENGTH 1
            0x00, 0x08,             // OPTIMAL TRANSFER LENGTH GRANULARITY 8
            0x00, 0x00, 0x40, 0x00, // MAXIMUM TRANSFER LENGTH 16384
            0x00, 0x00, 0x04, 0x00, // OPTIMAL TRANSFER LENGTH 1024
            0x00, 0x00, 0x00, 0x80, // MAXIMUM PREFETCH LENGTH 128
            0x00, 0x00, 0x20, 0x00, // MAXIMUM UNMAP LBA COUNT 8192
            0x00, 0x00, 0x00, 0x01, // MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT 1
            0x00, 0x00, 0x00, 0x08, // OPTIMAL UNMAP GRANULARITY 8
            0x80, 0x00, 0x00, 0x07, // UGAVALID, UNMAP GRANULARITY ALIGNMENT 7
            0x00, 0x00, 0x00, 0x00, // MAXIMUM WRITE SAME LENGTH 0x1000 …
            0x00, 0x00, 0x10, 0x00, // … (eight bytes)
        ];
        let mut page = head.to_vec();
        page.resize(64, 0); // bytes 44-63 reserved
        let p = BlockLimits::parse(&page).unwrap();
        let want = BlockLimits {
            header: PageHeader::default(),
            page_length: 0x3c,
            wsnz: true,
            maximum_compare_and_write_length: 1,
            optimal_transfer_length_granularity: 8,
            maximum_transfer_length: 16384,
            optimal_transfer_length: 1024,
            maximum_prefetch_length: 128,
            maximum_unmap_lba_count: 8192,
            maximum_unmap_block_descriptor_count: 1,
            optimal_unmap_granularity: 8,
            ugavalid: true,
            unmap_granularity_alignment: 7,
            maximum_write_same_length: 0x1000,
        };
        assert_eq!(p, want);
        emit_a5(&p, &page);
        // A longer page: the bytes past SBC-3's fields read as reserved.
        let mut long = page.clone();
        long[3] = 0x40;
        long.extend_from_slice(&[0xee; 4]);
        long[50] = 0xee;
        let q = BlockLimits::parse(&long).unwrap();
        assert_eq!(q.page_length, 0x40);
        let mut zeroed = page.clone();
        zeroed[3] = 0x40;
        zeroed.extend_from_slice(&[0; 4]);
        assert_eq!(q.to_vec().unwrap(), zeroed);
    }

    #[test]
    fn block_limits_page_length_must_end_between_fields() {
        for len in 0..=0x28usize {
            let mut page = vec![0u8; 4 + len];
            page[1] = 0xb0;
            page[3] = len as u8;
            let ok = [0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 40].contains(&len);
            match BlockLimits::parse(&page) {
                Ok(p) => {
                    assert!(ok, "page length {len} accepted");
                    assert_eq!(p.to_vec().unwrap(), page);
                }
                Err(e) => {
                    assert!(!ok, "page length {len}: {e}");
                    assert!(matches!(e, WireError::Inconsistent { .. }), "{e}");
                }
            }
        }
        // The same rule on emit.
        let p = BlockLimits {
            page_length: 0x11,
            ..BlockLimits::default()
        };
        assert!(matches!(
            p.to_vec().unwrap_err(),
            WireError::Inconsistent { .. }
        ));
    }

    #[test]
    fn block_limits_field_past_page_length_is_refused() {
        let mut p = BlockLimits::parse(&LIO_B0).unwrap();
        p.maximum_unmap_lba_count = 1; // byte 20: past a page of length 10h
        let e = p.to_vec().unwrap_err();
        assert!(
            matches!(
                e,
                WireError::Inconsistent {
                    reason: "a nonzero field lies past the PAGE LENGTH",
                    ..
                }
            ),
            "{e}"
        );
        p.page_length = 0x14;
        assert!(p.to_vec().is_ok());
    }

    #[test]
    fn block_limits_alignment_has_31_bits() {
        let p = BlockLimits {
            unmap_granularity_alignment: 0x8000_0000,
            ..BlockLimits::default()
        };
        let e = p.to_vec().unwrap_err();
        assert!(
            matches!(
                e,
                WireError::Overflow {
                    field: "UNMAP GRANULARITY ALIGNMENT",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn block_limits_cut_by_allocation_length_is_truncated() {
        let e = BlockLimits::parse(&LIO_B0[..16]).unwrap_err();
        assert!(
            matches!(
                e,
                WireError::Truncated {
                    need: 20,
                    have: 16,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn block_device_characteristics() {
        // LIO's (kernel 6.1, fileio on a file: is_nonrot 0): all zero.
        let mut lio = [0u8; 64];
        lio[1] = 0xb1; // PAGE CODE B1h
        lio[3] = 0x3c; // PAGE LENGTH 60; MEDIUM ROTATION RATE 0: not reported
        let p = BlockDeviceCharacteristics::parse(&lio).unwrap();
        assert_eq!(p, BlockDeviceCharacteristics::default());
        emit_a5(&p, &lio);
        #[rustfmt::skip]
        let head = [
            0x00, 0xb1, 0x00, 0x3c, // PDT disk, page B1h, page length 60
            0x00, 0x01,             // MEDIUM ROTATION RATE 1: non-rotating
            0x02,                   // PRODUCT TYPE 2 (CompactFlash)
            0x63,                   // WABEREQ 1, WACEREQ 2, NOMINAL FORM FACTOR 3 (2.5")
            0x03,                   // FUAB, VBULS
        ];
        let mut page = head.to_vec();
        page.resize(64, 0); // bytes 9-63 reserved
        let p = BlockDeviceCharacteristics::parse(&page).unwrap();
        assert_eq!(
            p,
            BlockDeviceCharacteristics {
                header: PageHeader::default(),
                medium_rotation_rate: BlockDeviceCharacteristics::NON_ROTATING,
                product_type: 2,
                wabereq: 1,
                wacereq: 2,
                nominal_form_factor: 3,
                fuab: true,
                vbuls: true,
            }
        );
        emit_a5(&p, &page);
    }

    #[test]
    fn block_device_characteristics_shorter_than_its_fields_is_refused() {
        let page = [0x00, 0xb1, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00];
        let e = BlockDeviceCharacteristics::parse(&page).unwrap_err();
        assert!(matches!(e, WireError::Inconsistent { .. }), "{e}");
    }

    #[test]
    fn block_device_characteristics_bit_fields_must_fit() {
        for (p, field) in [
            (
                BlockDeviceCharacteristics {
                    wabereq: 4,
                    ..Default::default()
                },
                "WABEREQ",
            ),
            (
                BlockDeviceCharacteristics {
                    wacereq: 4,
                    ..Default::default()
                },
                "WACEREQ",
            ),
            (
                BlockDeviceCharacteristics {
                    nominal_form_factor: 16,
                    ..Default::default()
                },
                "NOMINAL FORM FACTOR",
            ),
        ] {
            let e = p.to_vec().unwrap_err();
            assert!(
                matches!(e, WireError::Overflow { field: f, .. } if f == field),
                "{e}"
            );
        }
    }

    /// LIO's Logical Block Provisioning page without thin provisioning
    /// (worked by hand from `spc_emulate_evpd_b2`, kernel 6.1).
    const LIO_B2: [u8; 8] = [
        0x00, 0xb2, 0x00, 0x04, // PDT disk, page B2h, page length 4 (DP 0)
        0x00, // THRESHOLD EXPONENT 0
        0x00, // LBPU, LBPWS, LBPWS10, LBPRZ, ANC_SUP, DP: all 0
        0x00, // PROVISIONING TYPE 0: fully provisioned
        0x00, // reserved
    ];

    #[test]
    fn logical_block_provisioning() {
        let p = LogicalBlockProvisioning::parse(&LIO_B2).unwrap();
        assert_eq!(p, LogicalBlockProvisioning::default());
        emit_a5(&p, &LIO_B2);
        #[rustfmt::skip]
        let page = [
            0x00, 0xb2, 0x00, 0x0c, // PDT disk, page B2h, page length 12
            0x0c,                   // THRESHOLD EXPONENT 12
            0xe7,                   // LBPU, LBPWS, LBPWS10, LBPRZ, ANC_SUP, DP
            0x02,                   // PROVISIONING TYPE 2: thin provisioned
            0x00,                   // reserved
            0x01, 0x03, 0x00, 0x04, // binary, LU, NAA, length 4: the group
            0x30, 0x11, 0x22, 0x33, // NAA 3 (locally assigned)
        ];
        let p = LogicalBlockProvisioning::parse(&page).unwrap();
        let mut group = Designator::naa(vec![0x30, 0x11, 0x22, 0x33]);
        group.code_set = CodeSet::Binary;
        assert_eq!(
            p,
            LogicalBlockProvisioning {
                header: PageHeader::default(),
                threshold_exponent: 12,
                lbpu: true,
                lbpws: true,
                lbpws10: true,
                lbprz: true,
                anc_sup: true,
                provisioning_type: 2,
                provisioning_group: Some(group),
            }
        );
        emit_a5(&p, &page);
    }

    #[test]
    fn logical_block_provisioning_rules() {
        // Page length 3: the fixed part is cut.
        let mut short = LIO_B2[..7].to_vec();
        short[3] = 3;
        let e = LogicalBlockProvisioning::parse(&short).unwrap_err();
        assert!(matches!(e, WireError::Inconsistent { .. }), "{e}");
        // DP set, but the provisioning group descriptor crosses the page end.
        let page = [
            0x00, 0xb2, 0x00, 0x08, // page length 8
            0x00, 0x01, 0x00, 0x00, // DP
            0x01, 0x03, 0x00, 0x04, // a descriptor of 4 bytes …
            0x30, 0x11, 0x22, 0x33, // … that is past the page
        ];
        let e = LogicalBlockProvisioning::parse(&page).unwrap_err();
        assert!(matches!(e, WireError::Truncated { .. }), "{e}");
        // PROVISIONING TYPE has three bits.
        let p = LogicalBlockProvisioning {
            provisioning_type: 8,
            ..Default::default()
        };
        assert!(matches!(
            p.to_vec().unwrap_err(),
            WireError::Overflow {
                field: "PROVISIONING TYPE",
                ..
            }
        ));
    }

    #[test]
    fn new_pages_check_their_page_code() {
        let mut b0 = LIO_B0.to_vec();
        b0[1] = 0xb1;
        let e = BlockLimits::parse(&b0).unwrap_err();
        assert!(matches!(
            e,
            WireError::InvalidField {
                field: "PAGE CODE",
                value: 0xb1,
                ..
            }
        ));
        let e = ExtendedInquiryData::parse(&LIO_B0).unwrap_err();
        assert!(matches!(
            e,
            WireError::InvalidField {
                field: "PAGE CODE",
                value: 0xb0,
                ..
            }
        ));
        let e = BlockDeviceCharacteristics::parse(&LIO_86).unwrap_err();
        assert!(matches!(
            e,
            WireError::InvalidField {
                field: "PAGE CODE",
                value: 0x86,
                ..
            }
        ));
        let e = LogicalBlockProvisioning::parse(&LIO_B0).unwrap_err();
        assert!(matches!(
            e,
            WireError::InvalidField {
                field: "PAGE CODE",
                value: 0xb0,
                ..
            }
        ));
    }

    pub(crate) fn designator() -> impl Strategy<Value = Designator> {
        (
            0u8..16,
            0u8..16,
            any::<bool>(),
            any::<bool>(),
            0u8..4,
            0u8..16,
            any::<u8>(),
            proptest::collection::vec(any::<u8>(), 0..40),
        )
            .prop_map(|(pi, cs, piv, rb, a, t, r, value)| Designator {
                protocol_identifier: pi,
                code_set: CodeSet::from_bits(cs),
                piv,
                reserved_bit: rb,
                association: Association::from_bits(a),
                designator_type: DesignatorType::from_bits(t),
                reserved_byte: r,
                value,
            })
    }

    fn page_header() -> impl Strategy<Value = PageHeader> {
        (0u8..8, 0u8..32).prop_map(|(q, t)| PageHeader {
            peripheral_qualifier: q,
            peripheral_device_type: t,
        })
    }

    proptest! {
        #[test]
        fn device_identification_round_trips(
            header in page_header(),
            designators in proptest::collection::vec(designator(), 0..6),
        ) {
            let p = DeviceIdentification { header, designators };
            let bytes = p.to_vec().unwrap();
            prop_assert_eq!(DeviceIdentification::parse(&bytes).unwrap(), p);
        }

        #[test]
        fn third_party_copy_round_trips(
            header in page_header(),
            descs in proptest::collection::vec(
                (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..30)), 0..5),
        ) {
            let p = ThirdPartyCopy {
                header,
                descriptors: descs
                    .into_iter()
                    .map(|(t, body)| TpcDescriptor { descriptor_type: t, body })
                    .collect(),
            };
            let bytes = p.to_vec().unwrap();
            prop_assert_eq!(ThirdPartyCopy::parse(&bytes).unwrap(), p);
        }

        #[test]
        fn simple_pages_round_trip(
            header in page_header(),
            data in proptest::collection::vec(any::<u8>(), 0..60),
        ) {
            let s = SupportedPages { header, pages: data.clone() };
            prop_assert_eq!(SupportedPages::parse(&s.to_vec().unwrap()).unwrap(), s);
            let u = UnitSerialNumber { header, serial: data };
            prop_assert_eq!(UnitSerialNumber::parse(&u.to_vec().unwrap()).unwrap(), u);
        }

        #[test]
        fn extended_inquiry_data_round_trips(
            header in page_header(),
            b in proptest::collection::vec(any::<u8>(), 10),
        ) {
            let mut page = vec![0u8; 64];
            page[1] = 0x86;
            page[3] = 0x3c;
            page[4..14].copy_from_slice(&b);
            let p = ExtendedInquiryData::parse(&page).unwrap();
            let p = ExtendedInquiryData { header, ..p };
            prop_assert_eq!(ExtendedInquiryData::parse(&p.to_vec().unwrap()).unwrap(), p);
        }

        #[test]
        fn block_limits_round_trips(
            header in page_header(),
            end in proptest::sample::select(
                vec![0usize, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 40, 60],
            ),
            b in proptest::collection::vec(any::<u8>(), 40),
        ) {
            let mut page = vec![0u8; 4 + end];
            page[1] = 0xb0;
            page[3] = end as u8;
            let n = end.min(40);
            page[4..4 + n].copy_from_slice(&b[..n]);
            let p = BlockLimits::parse(&page).unwrap();
            let p = BlockLimits { header, ..p };
            prop_assert_eq!(BlockLimits::parse(&p.to_vec().unwrap()).unwrap(), p);
        }

        #[test]
        fn block_device_characteristics_round_trips(
            header in page_header(),
            rate in any::<u16>(),
            product in any::<u8>(),
            form in any::<u8>(),
            flags in 0u8..4,
        ) {
            let p = BlockDeviceCharacteristics {
                header,
                medium_rotation_rate: rate,
                product_type: product,
                wabereq: form >> 6,
                wacereq: (form >> 4) & 3,
                nominal_form_factor: form & 15,
                fuab: flags & 2 != 0,
                vbuls: flags & 1 != 0,
            };
            prop_assert_eq!(BlockDeviceCharacteristics::parse(&p.to_vec().unwrap()).unwrap(), p);
        }

        #[test]
        fn logical_block_provisioning_round_trips(
            header in page_header(),
            threshold in any::<u8>(),
            flags in any::<u8>(),
            kind in 0u8..8,
            group in proptest::option::of(designator()),
        ) {
            let p = LogicalBlockProvisioning {
                header,
                threshold_exponent: threshold,
                lbpu: flags & 0x80 != 0,
                lbpws: flags & 0x40 != 0,
                lbpws10: flags & 0x20 != 0,
                lbprz: flags & 0x04 != 0,
                anc_sup: flags & 0x02 != 0,
                provisioning_type: kind,
                provisioning_group: group,
            };
            prop_assert_eq!(LogicalBlockProvisioning::parse(&p.to_vec().unwrap()).unwrap(), p);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = ExtendedInquiryData::parse(&bytes);
            let _ = BlockLimits::parse(&bytes);
            let _ = BlockDeviceCharacteristics::parse(&bytes);
            let _ = LogicalBlockProvisioning::parse(&bytes);
            let _ = SupportedPages::parse(&bytes);
            let _ = UnitSerialNumber::parse(&bytes);
            let _ = DeviceIdentification::parse(&bytes);
            if let Ok(p) = ThirdPartyCopy::parse(&bytes) {
                for d in &p.descriptors {
                    let _ = d.supported_commands();
                }
            }
        }
    }
}
