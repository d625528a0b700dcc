//! Vital product data pages (SPC-4 r37 §7.8): the page header, Supported
//! VPD Pages (00h, §7.8.15), Unit Serial Number (80h, §7.8.18), Device
//! Identification (83h, §7.8.6) with every designator type, and Third-party
//! Copy (8Fh, §7.8.17) as a list of descriptors.
//!
//! `parse` enforces: the page length fits the buffer (a page cut by a small
//! allocation length is reported as [`WireError::Truncated`], never read
//! past); every designation descriptor lies inside the page; every
//! third-party copy descriptor lies inside the page. Designators are kept
//! byte for byte, so an emitted page equals the page parsed.

use core::fmt;

use super::{bit_fields, check_fits, check_len, check_out, view, Repr, Result, WireError};

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
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
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
