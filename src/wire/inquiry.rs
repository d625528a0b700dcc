//! INQUIRY (SPC-4 r37 §6.6): the CDB (§6.6.1, opcode 12h) and the standard
//! INQUIRY data (§6.6.2, table "Standard INQUIRY data format"). The VPD pages
//! are in [`crate::wire::vpd`].
//!
//! What `parse` enforces:
//! - [`InquiryCdb`]: six bytes, OPERATION CODE 12h, and a PAGE CODE of zero
//!   when EVPD is zero (SPC-4 makes anything else INVALID FIELD IN CDB).
//!   The obsolete CMDDT bit and reserved bits are ignored (emitted as zero).
//! - [`StandardInquiry`]: at least 36 bytes (SPC-4 requires every device to
//!   return 36, and segcopy always asks for at least that; a shorter buffer
//!   is [`WireError::Truncated`]), and an ADDITIONAL LENGTH of at least 31
//!   (the standard data is never shorter than 36 bytes). An ADDITIONAL
//!   LENGTH longer than the buffer is normal (allocation length 36 against a
//!   96-byte answer): the data is parsed as far as the buffer goes, the
//!   declared length is kept, and [`StandardInquiry::is_truncated`] says so.
//!   Bytes past the declared length are ignored.

use core::fmt;

use crate::wire::{
    ascii_field, be_fields, bit_fields, check_out, flag_fields, view, Repr, Result, WireError,
};

mod field {
    use crate::wire::Field;

    // INQUIRY CDB (SPC-4 r37 §6.6.1, table "INQUIRY command").
    /// Byte 0: OPERATION CODE (12h).
    pub const OPCODE: Field = 0..1;
    /// Byte 1: CMDDT (bit 1, obsolete), EVPD (bit 0).
    pub const CDB_FLAGS: usize = 1;
    /// Byte 2: PAGE CODE.
    pub const PAGE_CODE: Field = 2..3;
    /// Bytes 3-4: ALLOCATION LENGTH.
    pub const ALLOCATION_LENGTH: Field = 3..5;
    /// Byte 5: CONTROL.
    pub const CONTROL: Field = 5..6;
    /// The CDB is six bytes.
    pub const CDB_LEN: usize = 6;

    // Standard INQUIRY data (SPC-4 r37 §6.6.2).
    /// Byte 0: PERIPHERAL QUALIFIER (7-5), PERIPHERAL DEVICE TYPE (4-0).
    pub const PERIPHERAL: usize = 0;
    /// Byte 1: RMB (7), LU_CONG (6).
    pub const RMB: usize = 1;
    /// Byte 2: VERSION.
    pub const VERSION: Field = 2..3;
    /// Byte 3: NORMACA (5), HISUP (4), RESPONSE DATA FORMAT (3-0).
    pub const FORMAT: usize = 3;
    /// Byte 4: ADDITIONAL LENGTH (n - 4).
    pub const ADDITIONAL_LENGTH: Field = 4..5;
    /// Byte 5: SCCS (7), ACC (6), TPGS (5-4), 3PC (3), PROTECT (0).
    pub const FLAGS5: usize = 5;
    /// Byte 6: ENCSERV (6), VS (5), MULTIP (4), ADDR16 (0); others obsolete.
    pub const FLAGS6: usize = 6;
    /// Byte 7: WBUS16 (5), SYNC (4), CMDQUE (1), VS (0); others obsolete.
    pub const FLAGS7: usize = 7;
    /// Bytes 8-15: T10 VENDOR IDENTIFICATION.
    pub const VENDOR: Field = 8..16;
    /// Bytes 16-31: PRODUCT IDENTIFICATION.
    pub const PRODUCT: Field = 16..32;
    /// Bytes 32-35: PRODUCT REVISION LEVEL.
    pub const REVISION: Field = 32..36;
    /// Bytes 36..n: vendor specific (36-55), SPI bits (56), reserved (57),
    /// VERSION DESCRIPTOR 1-8 (58-73), reserved (74-95), vendor specific.
    pub const EXTRA: usize = 36;
    /// VERSION DESCRIPTORs, relative to the start of the data.
    pub const VERSION_DESCRIPTORS: Field = 58..74;
}

/// The bytes whose obsolete and vendor specific bits are kept raw in
/// [`StandardInquiry::other_flags`]: 3, 5, 6 and 7.
const FLAG_BYTES: [usize; 4] = [field::FORMAT, field::FLAGS5, field::FLAGS6, field::FLAGS7];

/// Bits of bytes 3, 5, 6, 7 that [`StandardInquiry`] names.
const NAMED_FLAGS: [u8; 4] = [0x3f, 0xf9, 0x50, 0x02];

/// Standard INQUIRY data is at least this long.
pub const STANDARD_INQUIRY_MIN_LEN: usize = 36;

const WHAT: &str = "standard INQUIRY data";
const WHAT_CDB: &str = "INQUIRY CDB";

view!(
    /// INQUIRY CDB.
    InquiryCdbView,
    "INQUIRY CDB",
    field::CDB_LEN
);

be_fields!(InquiryCdbView {
    /// OPERATION CODE.
    opcode, set_opcode: u8 = field::OPCODE;
    /// PAGE CODE.
    page_code, set_page_code: u8 = field::PAGE_CODE;
    /// ALLOCATION LENGTH.
    allocation_length, set_allocation_length: u16 = field::ALLOCATION_LENGTH;
    /// CONTROL.
    control, set_control: u8 = field::CONTROL;
});

flag_fields!(InquiryCdbView {
    /// EVPD: return the vital product data page PAGE CODE.
    evpd, set_evpd: field::CDB_FLAGS, 0;
});

view!(
    /// Standard INQUIRY data (the first 36 bytes).
    StandardInquiryView,
    "standard INQUIRY data",
    STANDARD_INQUIRY_MIN_LEN
);

bit_fields!(StandardInquiryView {
    /// PERIPHERAL QUALIFIER.
    peripheral_qualifier, set_peripheral_qualifier: field::PERIPHERAL, 5, 3;
    /// PERIPHERAL DEVICE TYPE.
    peripheral_device_type, set_peripheral_device_type: field::PERIPHERAL, 0, 5;
    /// RESPONSE DATA FORMAT.
    response_data_format, set_response_data_format: field::FORMAT, 0, 4;
    /// TPGS: target port group support.
    tpgs, set_tpgs: field::FLAGS5, 4, 2;
});

flag_fields!(StandardInquiryView {
    /// RMB: removable medium.
    rmb, set_rmb: field::RMB, 7;
    /// LU_CONG: the logical unit is part of a conglomerate.
    lu_cong, set_lu_cong: field::RMB, 6;
    /// NORMACA: normal ACA supported.
    normaca, set_normaca: field::FORMAT, 5;
    /// HISUP: hierarchical LUN addressing.
    hisup, set_hisup: field::FORMAT, 4;
    /// SCCS: embedded storage array controller.
    sccs, set_sccs: field::FLAGS5, 7;
    /// ACC: access controls coordinator.
    acc, set_acc: field::FLAGS5, 6;
    /// 3PC: third-party copy commands (EXTENDED COPY) supported.
    third_party_copy, set_third_party_copy: field::FLAGS5, 3;
    /// PROTECT: protection information supported.
    protect, set_protect: field::FLAGS5, 0;
    /// ENCSERV: embedded enclosure services.
    encserv, set_encserv: field::FLAGS6, 6;
    /// MULTIP: multiple SCSI target ports.
    multip, set_multip: field::FLAGS6, 4;
    /// CMDQUE: command queuing.
    cmdque, set_cmdque: field::FLAGS7, 1;
});

be_fields!(StandardInquiryView {
    /// VERSION.
    version, set_version: u8 = field::VERSION;
    /// ADDITIONAL LENGTH (n - 4).
    additional_length, set_additional_length: u8 = field::ADDITIONAL_LENGTH;
});

impl<T: AsRef<[u8]>> StandardInquiryView<T> {
    fn bytes<const N: usize>(&self, f: crate::wire::Field) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.as_bytes()[f]);
        out
    }
}

// ---------------------------------------------------------------------------
// CDB
// ---------------------------------------------------------------------------

/// The INQUIRY CDB (SPC-4 r37 §6.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InquiryCdb {
    /// EVPD: ask for the VPD page [`Self::page_code`].
    pub evpd: bool,
    /// PAGE CODE (zero unless EVPD).
    pub page_code: u8,
    /// ALLOCATION LENGTH.
    pub allocation_length: u16,
    /// CONTROL.
    pub control: u8,
}

impl InquiryCdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x12;

    /// Standard INQUIRY data with `allocation_length` (36 is typical).
    pub fn new(allocation_length: u16) -> Self {
        Self {
            evpd: false,
            page_code: 0,
            allocation_length,
            control: 0,
        }
    }

    /// Asks for VPD page `page_code` instead (sets EVPD).
    pub fn vpd_page(mut self, page_code: u8) -> Self {
        self.evpd = true;
        self.page_code = page_code;
        self
    }

    /// Sets the CONTROL byte.
    pub fn control(mut self, control: u8) -> Self {
        self.control = control;
        self
    }
}

impl Repr for InquiryCdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = InquiryCdbView::new_checked(buf)?;
        if v.opcode() != Self::OPCODE {
            return Err(WireError::InvalidField {
                what: WHAT_CDB,
                field: "OPERATION CODE",
                value: u64::from(v.opcode()),
            });
        }
        if !v.evpd() && v.page_code() != 0 {
            return Err(WireError::InvalidField {
                what: WHAT_CDB,
                field: "PAGE CODE",
                value: u64::from(v.page_code()),
            });
        }
        Ok(Self {
            evpd: v.evpd(),
            page_code: v.page_code(),
            allocation_length: v.allocation_length(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out(WHAT_CDB, buf, field::CDB_LEN)?;
        if !self.evpd && self.page_code != 0 {
            return Err(WireError::Inconsistent {
                what: WHAT_CDB,
                reason: "PAGE CODE is set but EVPD is not",
            });
        }
        let out = &mut buf[..field::CDB_LEN];
        out.fill(0);
        let mut v = InquiryCdbView::new_unchecked(out);
        v.set_opcode(Self::OPCODE);
        v.set_evpd(self.evpd);
        v.set_page_code(self.page_code);
        v.set_allocation_length(self.allocation_length);
        v.set_control(self.control);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Peripheral device type and version
// ---------------------------------------------------------------------------

/// PERIPHERAL DEVICE TYPE (SPC-4 r37 §6.6.2, table "Peripheral device
/// type").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeripheralDeviceType {
    /// 00h direct access block device (SBC).
    DirectAccessBlock,
    /// 01h sequential access device (SSC: tape).
    SequentialAccess,
    /// 02h printer (obsolete).
    Printer,
    /// 03h processor device.
    Processor,
    /// 04h write-once device.
    WriteOnce,
    /// 05h CD/DVD device (MMC).
    CdDvd,
    /// 06h scanner (obsolete).
    Scanner,
    /// 07h optical memory device.
    OpticalMemory,
    /// 08h medium changer (SMC).
    MediumChanger,
    /// 09h communications device (obsolete).
    Communications,
    /// 0Ch storage array controller (SCC).
    StorageArrayController,
    /// 0Dh enclosure services device (SES).
    EnclosureServices,
    /// 0Eh simplified direct access device (RBC).
    SimplifiedDirectAccess,
    /// 0Fh optical card reader/writer.
    OpticalCard,
    /// 10h bridge controller commands.
    BridgeController,
    /// 11h object-based storage device (OSD).
    ObjectStorage,
    /// 12h automation/drive interface (ADC).
    AutomationDriveInterface,
    /// 13h security manager device.
    SecurityManager,
    /// 14h host managed zoned block device (ZBC).
    HostManagedZonedBlock,
    /// 1Eh well known logical unit.
    WellKnownLogicalUnit,
    /// 1Fh unknown or no device type.
    UnknownOrNone,
    /// Any other (reserved or obsolete) code.
    Other(u8),
}

impl PeripheralDeviceType {
    /// The type for the low five bits of `v`.
    pub fn from_bits(v: u8) -> Self {
        match v & 0x1f {
            0x00 => Self::DirectAccessBlock,
            0x01 => Self::SequentialAccess,
            0x02 => Self::Printer,
            0x03 => Self::Processor,
            0x04 => Self::WriteOnce,
            0x05 => Self::CdDvd,
            0x06 => Self::Scanner,
            0x07 => Self::OpticalMemory,
            0x08 => Self::MediumChanger,
            0x09 => Self::Communications,
            0x0c => Self::StorageArrayController,
            0x0d => Self::EnclosureServices,
            0x0e => Self::SimplifiedDirectAccess,
            0x0f => Self::OpticalCard,
            0x10 => Self::BridgeController,
            0x11 => Self::ObjectStorage,
            0x12 => Self::AutomationDriveInterface,
            0x13 => Self::SecurityManager,
            0x14 => Self::HostManagedZonedBlock,
            0x1e => Self::WellKnownLogicalUnit,
            0x1f => Self::UnknownOrNone,
            n => Self::Other(n),
        }
    }

    /// The five-bit code.
    pub fn bits(self) -> u8 {
        match self {
            Self::DirectAccessBlock => 0x00,
            Self::SequentialAccess => 0x01,
            Self::Printer => 0x02,
            Self::Processor => 0x03,
            Self::WriteOnce => 0x04,
            Self::CdDvd => 0x05,
            Self::Scanner => 0x06,
            Self::OpticalMemory => 0x07,
            Self::MediumChanger => 0x08,
            Self::Communications => 0x09,
            Self::StorageArrayController => 0x0c,
            Self::EnclosureServices => 0x0d,
            Self::SimplifiedDirectAccess => 0x0e,
            Self::OpticalCard => 0x0f,
            Self::BridgeController => 0x10,
            Self::ObjectStorage => 0x11,
            Self::AutomationDriveInterface => 0x12,
            Self::SecurityManager => 0x13,
            Self::HostManagedZonedBlock => 0x14,
            Self::WellKnownLogicalUnit => 0x1e,
            Self::UnknownOrNone => 0x1f,
            Self::Other(n) => n & 0x1f,
        }
    }

    /// The type in words.
    pub fn name(self) -> &'static str {
        match self {
            Self::DirectAccessBlock => "direct access block device",
            Self::SequentialAccess => "sequential access device (tape)",
            Self::Printer => "printer device (obsolete)",
            Self::Processor => "processor device",
            Self::WriteOnce => "write-once device",
            Self::CdDvd => "CD/DVD device",
            Self::Scanner => "scanner device (obsolete)",
            Self::OpticalMemory => "optical memory device",
            Self::MediumChanger => "medium changer device",
            Self::Communications => "communications device (obsolete)",
            Self::StorageArrayController => "storage array controller device",
            Self::EnclosureServices => "enclosure services device",
            Self::SimplifiedDirectAccess => "simplified direct access device",
            Self::OpticalCard => "optical card reader/writer device",
            Self::BridgeController => "bridge controller commands",
            Self::ObjectStorage => "object-based storage device",
            Self::AutomationDriveInterface => "automation/drive interface",
            Self::SecurityManager => "security manager device",
            Self::HostManagedZonedBlock => "host managed zoned block device",
            Self::WellKnownLogicalUnit => "well known logical unit",
            Self::UnknownOrNone => "unknown or no device type",
            Self::Other(_) => "reserved device type",
        }
    }
}

impl fmt::Display for PeripheralDeviceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Other(n) => write!(f, "reserved device type {n:#04x}"),
            t => f.write_str(t.name()),
        }
    }
}

/// VERSION: the SPC standard the device claims (SPC-4 r37 §6.6.2, table
/// "Version").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// 00h: no conformance claimed.
    NoConformance,
    /// 03h: SPC (ANSI INCITS 301-1997).
    Spc,
    /// 04h: SPC-2.
    Spc2,
    /// 05h: SPC-3.
    Spc3,
    /// 06h: SPC-4.
    Spc4,
    /// 07h: SPC-5.
    Spc5,
    /// Any other (obsolete or reserved) value.
    Other(u8),
}

impl Version {
    /// The version for byte value `v`.
    pub fn from_byte(v: u8) -> Self {
        match v {
            0x00 => Self::NoConformance,
            0x03 => Self::Spc,
            0x04 => Self::Spc2,
            0x05 => Self::Spc3,
            0x06 => Self::Spc4,
            0x07 => Self::Spc5,
            n => Self::Other(n),
        }
    }

    /// The byte value.
    pub fn byte(self) -> u8 {
        match self {
            Self::NoConformance => 0x00,
            Self::Spc => 0x03,
            Self::Spc2 => 0x04,
            Self::Spc3 => 0x05,
            Self::Spc4 => 0x06,
            Self::Spc5 => 0x07,
            Self::Other(n) => n,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoConformance => f.write_str("no conformance claimed"),
            Self::Spc => f.write_str("SPC"),
            Self::Spc2 => f.write_str("SPC-2"),
            Self::Spc3 => f.write_str("SPC-3"),
            Self::Spc4 => f.write_str("SPC-4"),
            Self::Spc5 => f.write_str("SPC-5"),
            Self::Other(n) => write!(f, "obsolete or reserved version {n:#04x}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Standard INQUIRY data
// ---------------------------------------------------------------------------

/// Standard INQUIRY data (SPC-4 r37 §6.6.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StandardInquiry {
    /// PERIPHERAL QUALIFIER (0: connected; 1: not connected now; 3: no
    /// logical unit here).
    pub peripheral_qualifier: u8,
    /// PERIPHERAL DEVICE TYPE.
    pub device_type: PeripheralDeviceType,
    /// RMB: removable medium.
    pub rmb: bool,
    /// LU_CONG: part of a logical unit conglomerate.
    pub lu_cong: bool,
    /// VERSION.
    pub version: Version,
    /// NORMACA.
    pub normaca: bool,
    /// HISUP.
    pub hisup: bool,
    /// RESPONSE DATA FORMAT (2 in SPC-3 and later).
    pub response_data_format: u8,
    /// ADDITIONAL LENGTH as the device reported it (n − 4): the whole
    /// answer is this plus 5 bytes, which may be more than was transferred.
    pub additional_length: u8,
    /// SCCS.
    pub sccs: bool,
    /// ACC.
    pub acc: bool,
    /// TPGS (0 none, 1 implicit, 2 explicit, 3 both ALUA).
    pub tpgs: u8,
    /// 3PC: the device server supports third-party copy commands (it
    /// advertises EXTENDED COPY).
    pub third_party_copy: bool,
    /// PROTECT.
    pub protect: bool,
    /// ENCSERV.
    pub encserv: bool,
    /// MULTIP.
    pub multip: bool,
    /// CMDQUE.
    pub cmdque: bool,
    /// The other bits of bytes 3, 5, 6 and 7 (obsolete, vendor specific,
    /// SPI; e.g. tgt sets the obsolete bit 6 of byte 3), raw, with the named
    /// bits cleared.
    pub other_flags: [u8; 4],
    /// T10 VENDOR IDENTIFICATION (ASCII, space padded).
    pub vendor: [u8; 8],
    /// PRODUCT IDENTIFICATION.
    pub product: [u8; 16],
    /// PRODUCT REVISION LEVEL.
    pub revision: [u8; 4],
    /// Bytes 36.. as received, up to the ADDITIONAL LENGTH: vendor specific,
    /// SPI bits, VERSION DESCRIPTORs (bytes 58–73), reserved, vendor
    /// specific.
    pub extra: Vec<u8>,
}

fn pad<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [b' '; N];
    for (o, b) in out.iter_mut().zip(s.bytes()) {
        *o = b;
    }
    out
}

impl StandardInquiry {
    /// A device of `device_type`, claiming SPC-4, response data format 2,
    /// 36 bytes long, identification blank.
    pub fn new(device_type: PeripheralDeviceType) -> Self {
        Self {
            peripheral_qualifier: 0,
            device_type,
            rmb: false,
            lu_cong: false,
            version: Version::Spc4,
            normaca: false,
            hisup: false,
            response_data_format: 2,
            additional_length: 31,
            sccs: false,
            acc: false,
            tpgs: 0,
            third_party_copy: false,
            protect: false,
            encserv: false,
            multip: false,
            cmdque: false,
            other_flags: [0; 4],
            vendor: [b' '; 8],
            product: [b' '; 16],
            revision: [b' '; 4],
            extra: Vec::new(),
        }
    }

    /// Sets vendor, product and revision, left-aligned and space padded
    /// (longer strings are cut to 8, 16 and 4 bytes).
    pub fn with_identification(mut self, vendor: &str, product: &str, revision: &str) -> Self {
        self.vendor = pad(vendor);
        self.product = pad(product);
        self.revision = pad(revision);
        self
    }

    /// Sets the bytes after byte 35 and makes the ADDITIONAL LENGTH match.
    pub fn with_extra(mut self, extra: Vec<u8>) -> Self {
        self.additional_length = (31 + extra.len()).min(255) as u8;
        self.extra = extra;
        self
    }

    /// Writes VERSION DESCRIPTORs (up to eight) at bytes 58–73, growing the
    /// data to 74 bytes if it is shorter.
    pub fn with_version_descriptors(self, descriptors: &[u16]) -> Self {
        let mut extra = self.extra.clone();
        let need = field::VERSION_DESCRIPTORS.end - field::EXTRA;
        if extra.len() < need {
            extra.resize(need, 0);
        }
        let start = field::VERSION_DESCRIPTORS.start - field::EXTRA;
        for (i, d) in descriptors.iter().take(8).enumerate() {
            extra[start + 2 * i..start + 2 * i + 2].copy_from_slice(&d.to_be_bytes());
        }
        self.with_extra(extra)
    }

    /// The VERSION DESCRIPTORs present (nonzero ones, in order).
    pub fn version_descriptors(&self) -> Vec<u16> {
        let start = field::VERSION_DESCRIPTORS.start - field::EXTRA;
        let end = field::VERSION_DESCRIPTORS.end - field::EXTRA;
        self.extra
            .get(start..end.min(self.extra.len()))
            .unwrap_or(&[])
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .filter(|&d| d != 0)
            .collect()
    }

    /// The vendor identification as text, trailing spaces removed.
    pub fn vendor_str(&self) -> String {
        ascii_field(&self.vendor)
    }

    /// The product identification as text.
    pub fn product_str(&self) -> String {
        ascii_field(&self.product)
    }

    /// The product revision level as text.
    pub fn revision_str(&self) -> String {
        ascii_field(&self.revision)
    }

    /// The whole answer's length as the device declared it (ADDITIONAL
    /// LENGTH + 5).
    pub fn declared_len(&self) -> usize {
        usize::from(self.additional_length) + 5
    }

    /// The device had more to say than was transferred (allocation length
    /// too small); ask again with [`Self::declared_len`].
    pub fn is_truncated(&self) -> bool {
        self.declared_len() > STANDARD_INQUIRY_MIN_LEN + self.extra.len()
    }
}

impl Repr for StandardInquiry {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = StandardInquiryView::new_checked(buf)?;
        let additional_length = v.additional_length();
        if usize::from(additional_length) + 5 < STANDARD_INQUIRY_MIN_LEN {
            return Err(WireError::InvalidField {
                what: WHAT,
                field: "ADDITIONAL LENGTH",
                value: u64::from(additional_length),
            });
        }
        let end = (usize::from(additional_length) + 5).min(buf.len());
        let b = v.as_bytes();
        Ok(Self {
            peripheral_qualifier: v.peripheral_qualifier(),
            device_type: PeripheralDeviceType::from_bits(v.peripheral_device_type()),
            rmb: v.rmb(),
            lu_cong: v.lu_cong(),
            version: Version::from_byte(v.version()),
            normaca: v.normaca(),
            hisup: v.hisup(),
            response_data_format: v.response_data_format(),
            additional_length,
            sccs: v.sccs(),
            acc: v.acc(),
            tpgs: v.tpgs(),
            third_party_copy: v.third_party_copy(),
            protect: v.protect(),
            encserv: v.encserv(),
            multip: v.multip(),
            cmdque: v.cmdque(),
            other_flags: core::array::from_fn(|i| b[FLAG_BYTES[i]] & !NAMED_FLAGS[i]),
            vendor: v.bytes(field::VENDOR),
            product: v.bytes(field::PRODUCT),
            revision: v.bytes(field::REVISION),
            extra: b[field::EXTRA..end].to_vec(),
        })
    }

    fn buffer_len(&self) -> usize {
        STANDARD_INQUIRY_MIN_LEN + self.extra.len()
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let len = self.buffer_len();
        check_out(WHAT, buf, len)?;
        if len > self.declared_len() || self.declared_len() < STANDARD_INQUIRY_MIN_LEN {
            return Err(WireError::Inconsistent {
                what: WHAT,
                reason: "ADDITIONAL LENGTH is shorter than the data",
            });
        }
        for (value, field, bits) in [
            (self.peripheral_qualifier, "PERIPHERAL QUALIFIER", 3),
            (self.response_data_format, "RESPONSE DATA FORMAT", 4),
            (self.tpgs, "TPGS", 2),
        ] {
            if value >> bits != 0 {
                return Err(WireError::Overflow {
                    what: WHAT,
                    field,
                    value: u64::from(value),
                });
            }
        }
        let out = &mut buf[..len];
        out.fill(0);
        for i in 0..FLAG_BYTES.len() {
            out[FLAG_BYTES[i]] = self.other_flags[i] & !NAMED_FLAGS[i];
        }
        out[field::VENDOR].copy_from_slice(&self.vendor);
        out[field::PRODUCT].copy_from_slice(&self.product);
        out[field::REVISION].copy_from_slice(&self.revision);
        out[field::EXTRA..].copy_from_slice(&self.extra);
        let mut v = StandardInquiryView::new_unchecked(out);
        v.set_peripheral_qualifier(self.peripheral_qualifier);
        v.set_peripheral_device_type(self.device_type.bits());
        v.set_rmb(self.rmb);
        v.set_lu_cong(self.lu_cong);
        v.set_version(self.version.byte());
        v.set_normaca(self.normaca);
        v.set_hisup(self.hisup);
        v.set_response_data_format(self.response_data_format);
        v.set_additional_length(self.additional_length);
        v.set_sccs(self.sccs);
        v.set_acc(self.acc);
        v.set_tpgs(self.tpgs);
        v.set_third_party_copy(self.third_party_copy);
        v.set_protect(self.protect);
        v.set_encserv(self.encserv);
        v.set_multip(self.multip);
        v.set_cmdque(self.cmdque);
        Ok(())
    }
}

impl fmt::Display for StandardInquiry {
    /// One line: "LIO-ORG FILEIO 4.0: direct access block device, SPC-4,
    /// 3PC (EXTENDED COPY), TPGS=3".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {}, {}",
            self.vendor_str(),
            self.product_str(),
            self.revision_str(),
            self.device_type,
            self.version
        )?;
        if self.peripheral_qualifier != 0 {
            write!(f, ", peripheral qualifier {}", self.peripheral_qualifier)?;
        }
        if self.rmb {
            f.write_str(", removable")?;
        }
        if self.third_party_copy {
            f.write_str(", 3PC (EXTENDED COPY)")?;
        }
        if self.tpgs != 0 {
            write!(f, ", TPGS={}", self.tpgs)?;
        }
        if self.is_truncated() {
            write!(
                f,
                " [{} of {} bytes]",
                self.buffer_len(),
                self.declared_len()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// LIO's standard INQUIRY for a fileio LUN behind tcm_loop (naa.),
    /// from spc_emulate_inquiry_std(): 96 bytes.
    fn lio_fileio() -> Vec<u8> {
        let mut b = vec![
            0x00, // PQ 0, PDT 00h
            0x00, // RMB 0
            0x06, // VERSION SPC-4
            0x02, // NORMACA 0, HISUP 0, RESPONSE DATA FORMAT 2
            0x5b, // ADDITIONAL LENGTH 91
            0xb8, // SCCS 1, ACC 0, TPGS 3, 3PC 1, PROTECT 0
            0x00, // MULTIP 0 (one export)
            0x02, // CMDQUE 1
        ];
        b.extend_from_slice(b"LIO-ORG ");
        b.extend_from_slice(b"FILEIO          ");
        b.extend_from_slice(b"4.0 ");
        b.resize(58, 0);
        b.extend_from_slice(&[0x00, 0xa0, 0x0c, 0x60, 0x04, 0x60, 0x04, 0xc0]);
        b.resize(96, 0);
        b
    }

    #[test]
    fn lio_fileio_golden() {
        let b = lio_fileio();
        let s = StandardInquiry::parse(&b).unwrap();
        assert_eq!(s.device_type, PeripheralDeviceType::DirectAccessBlock);
        assert_eq!(s.version, Version::Spc4);
        assert!(s.third_party_copy && s.sccs && s.cmdque && !s.multip);
        assert_eq!(s.tpgs, 3);
        assert_eq!(s.vendor_str(), "LIO-ORG");
        assert_eq!(s.product_str(), "FILEIO");
        assert_eq!(s.revision_str(), "4.0");
        assert_eq!(
            s.version_descriptors(),
            vec![0x00a0, 0x0c60, 0x0460, 0x04c0]
        );
        assert!(!s.is_truncated());
        assert_eq!(
            s.to_string(),
            "LIO-ORG FILEIO 4.0: direct access block device, SPC-4, 3PC (EXTENDED COPY), TPGS=3"
        );
        let built = StandardInquiry {
            sccs: true,
            tpgs: 3,
            third_party_copy: true,
            cmdque: true,
            ..StandardInquiry::new(PeripheralDeviceType::DirectAccessBlock)
                .with_identification("LIO-ORG", "FILEIO", "4.0")
                .with_version_descriptors(&[0x00a0, 0x0c60, 0x0460, 0x04c0])
                .with_extra({
                    let mut e = s.extra.clone();
                    e.resize(60, 0);
                    e
                })
        };
        assert_eq!(built, s);
        let mut out = vec![0xa5u8; 100];
        built.emit(&mut out).unwrap();
        assert_eq!(&out[..96], &b[..]);
        assert_eq!(&out[96..], &[0xa5; 4]);
    }

    #[test]
    fn allocation_length_36_is_truncated_but_exact() {
        let b = lio_fileio();
        let s = StandardInquiry::parse(&b[..36]).unwrap();
        assert!(s.is_truncated());
        assert_eq!(s.declared_len(), 96);
        assert!(s.third_party_copy);
        assert_eq!(s.version_descriptors(), Vec::<u16>::new());
        assert_eq!(s.to_vec().unwrap(), &b[..36]);
        assert!(s.to_string().ends_with("[36 of 96 bytes]"));
    }

    #[test]
    fn bytes_past_additional_length_ignored() {
        let mut b = lio_fileio();
        b[4] = 31;
        let s = StandardInquiry::parse(&b).unwrap();
        assert_eq!(s.buffer_len(), 36);
        assert!(!s.is_truncated());
    }

    #[test]
    fn rejects_short_buffer() {
        let b = lio_fileio();
        assert!(matches!(
            StandardInquiry::parse(&b[..35]),
            Err(WireError::Truncated {
                need: 36,
                have: 35,
                ..
            })
        ));
    }

    #[test]
    fn rejects_additional_length_under_31() {
        let mut b = lio_fileio();
        b[4] = 30;
        assert!(matches!(
            StandardInquiry::parse(&b),
            Err(WireError::InvalidField {
                field: "ADDITIONAL LENGTH",
                value: 30,
                ..
            })
        ));
    }

    #[test]
    fn emit_rejects_inconsistent_and_overflowing() {
        let mut s = StandardInquiry::new(PeripheralDeviceType::SequentialAccess);
        s.extra = vec![0; 4]; // additional length still 31
        assert!(matches!(s.to_vec(), Err(WireError::Inconsistent { .. })));
        let mut s = StandardInquiry::new(PeripheralDeviceType::SequentialAccess);
        s.tpgs = 4;
        assert!(matches!(
            s.to_vec(),
            Err(WireError::Overflow { field: "TPGS", .. })
        ));
        let s = StandardInquiry::new(PeripheralDeviceType::SequentialAccess);
        assert!(matches!(
            s.emit(&mut [0u8; 35]),
            Err(WireError::BufferTooSmall { need: 36, .. })
        ));
    }

    #[test]
    fn other_flags_kept() {
        let mut b = lio_fileio();
        b[6] |= 0x80 | 0x01; // obsolete BQUE, ADDR16
        b[7] |= 0x20 | 0x01; // WBUS16, VS
        let s = StandardInquiry::parse(&b).unwrap();
        assert_eq!(s.other_flags, [0x00, 0x00, 0x81, 0x21]);
        assert_eq!(s.to_vec().unwrap(), b);
    }

    #[test]
    fn cdb_golden() {
        let std36 = [0x12, 0x00, 0x00, 0x00, 0x24, 0x00];
        let c = InquiryCdb::parse(&std36).unwrap();
        assert_eq!(c, InquiryCdb::new(36));
        let mut out = [0xa5u8; 8];
        c.emit(&mut out).unwrap();
        assert_eq!(&out[..6], &std36);
        assert_eq!(&out[6..], &[0xa5; 2]);
        let vpd83 = [0x12, 0x01, 0x83, 0x01, 0x00, 0x00];
        assert_eq!(
            InquiryCdb::parse(&vpd83).unwrap(),
            InquiryCdb::new(256).vpd_page(0x83)
        );
    }

    #[test]
    fn cdb_rejects_wrong_opcode_page_without_evpd_and_short() {
        assert!(matches!(
            InquiryCdb::parse(&[0x13, 0, 0, 0, 36, 0]),
            Err(WireError::InvalidField {
                field: "OPERATION CODE",
                ..
            })
        ));
        assert!(matches!(
            InquiryCdb::parse(&[0x12, 0, 0x83, 0, 36, 0]),
            Err(WireError::InvalidField {
                field: "PAGE CODE",
                value: 0x83,
                ..
            })
        ));
        assert!(matches!(
            InquiryCdb::parse(&[0x12, 0, 0, 0, 36]),
            Err(WireError::Truncated { .. })
        ));
        let bad = InquiryCdb {
            evpd: false,
            page_code: 0x80,
            allocation_length: 36,
            control: 0,
        };
        assert!(matches!(bad.to_vec(), Err(WireError::Inconsistent { .. })));
    }

    #[test]
    fn device_types_round_trip_and_name() {
        for n in 0..32u8 {
            assert_eq!(PeripheralDeviceType::from_bits(n).bits(), n);
        }
        assert_eq!(
            PeripheralDeviceType::SequentialAccess.to_string(),
            "sequential access device (tape)"
        );
        assert_eq!(
            PeripheralDeviceType::from_bits(0x0a),
            PeripheralDeviceType::Other(0x0a)
        );
        for n in 0..=255u8 {
            assert_eq!(Version::from_byte(n).byte(), n);
        }
    }

    #[test]
    fn mutation_flip_and_cut_never_panics() {
        let g = lio_fileio();
        for i in 0..g.len() {
            for bit in 0..8 {
                let mut m = g.clone();
                m[i] ^= 1 << bit;
                // Reserved bits are dropped; everything else survives.
                if let Ok(s) = StandardInquiry::parse(&m) {
                    let again = StandardInquiry::parse(&s.to_vec().unwrap()).unwrap();
                    assert_eq!(again, s);
                }
            }
            let r = StandardInquiry::parse(&g[..i]);
            assert_eq!(r.is_ok(), i >= 36, "cut at {i}");
        }
    }

    fn inquiry() -> impl Strategy<Value = StandardInquiry> {
        (
            (0u8..8, 0u8..32, any::<[bool; 4]>(), any::<u8>(), 0u8..16),
            (any::<[bool; 9]>(), 0u8..4, any::<[u8; 4]>()),
            (any::<[u8; 8]>(), any::<[u8; 16]>(), any::<[u8; 4]>()),
            proptest::collection::vec(any::<u8>(), 0..100),
            0u8..40,
        )
            .prop_map(
                |(
                    (pq, pdt, b1, version, rdf),
                    (fl, tpgs, other),
                    (vendor, product, revision),
                    extra,
                    more,
                )| {
                    let additional_length = (31 + extra.len() + usize::from(more)).min(255) as u8;
                    StandardInquiry {
                        peripheral_qualifier: pq,
                        device_type: PeripheralDeviceType::from_bits(pdt),
                        rmb: b1[0],
                        lu_cong: b1[1],
                        version: Version::from_byte(version),
                        normaca: b1[2],
                        hisup: b1[3],
                        response_data_format: rdf,
                        additional_length,
                        sccs: fl[0],
                        acc: fl[1],
                        tpgs,
                        third_party_copy: fl[2],
                        protect: fl[3],
                        encserv: fl[4],
                        multip: fl[5],
                        cmdque: fl[6],
                        other_flags: core::array::from_fn(|i| other[i] & !NAMED_FLAGS[i]),
                        vendor,
                        product,
                        revision,
                        extra,
                    }
                },
            )
    }

    fn cdb() -> impl Strategy<Value = InquiryCdb> {
        (any::<bool>(), any::<u8>(), any::<u16>(), any::<u8>()).prop_map(
            |(evpd, page, allocation_length, control)| InquiryCdb {
                evpd,
                page_code: if evpd { page } else { 0 },
                allocation_length,
                control,
            },
        )
    }

    proptest! {
        #[test]
        fn inquiry_round_trip(s in inquiry()) {
            let bytes = s.to_vec().unwrap();
            prop_assert_eq!(StandardInquiry::parse(&bytes).unwrap(), s);
        }

        #[test]
        fn cdb_round_trip(c in cdb()) {
            let bytes = c.to_vec().unwrap();
            prop_assert_eq!(InquiryCdb::parse(&bytes).unwrap(), c);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(s) = StandardInquiry::parse(&bytes) {
                let _ = s.to_string();
                let _ = s.to_vec();
                let _ = s.version_descriptors();
            }
            let _ = InquiryCdb::parse(&bytes);
        }
    }
}
