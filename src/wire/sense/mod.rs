//! SCSI sense data, as SPC-4 r37 §4.5 defines it: fixed format (§4.5.3,
//! response codes 70h current / 71h deferred), descriptor format (§4.5.2,
//! 72h / 73h) with its sense data descriptors, the sense-key-specific field
//! decoded per sense key (§4.5.2.4), and the additional sense codes in words
//! ([`asc_name`], after T10's `asc-num.txt`).
//!
//! What `parse` enforces:
//! - the buffer holds at least the 8-byte header (else [`WireError::Truncated`]);
//! - the RESPONSE CODE is 70h–73h, or 7Fh (vendor specific, kept raw as
//!   [`SenseData::VendorSpecific`]); any other value is
//!   [`WireError::InvalidField`];
//! - the ADDITIONAL SENSE LENGTH is never trusted: parsing stops at the end of
//!   the buffer. Sense that claims more than the buffer holds (the host's
//!   sense buffer or allocation length cut it) is parsed as far as it goes,
//!   missing fixed-format fields read as zero, a descriptor cut in the middle
//!   is dropped, and the Repr's `truncated` flag is set. Bytes past the
//!   ADDITIONAL SENSE LENGTH are ignored.
//!
//! What `emit` does: it writes a self-consistent structure from the Repr
//! (ADDITIONAL SENSE LENGTH computed, reserved bits zero). Fixed format is
//! always written with all 18 bytes (a device's shorter fixed sense, with an
//! ADDITIONAL SENSE LENGTH below 0Ah, parses with the missing fields zero and
//! is re-emitted in full). The `truncated` flag is not a wire field.
//!
//! Sense data descriptors that are not decoded here (OSD, ATA status return,
//! another progress indication, user data segment referral, direct-access
//! block device, vendor specific 80h–FFh, or a known type with an unexpected
//! ADDITIONAL LENGTH) are kept as raw bytes, so a round trip is exact.
//!
//! # EXTENDED COPY errors
//!
//! A copy manager reports a failed segment with sense key COPY ABORTED. The
//! SEGMENT POINTER sense-key-specific format (§4.5.2.4.5) has an SD bit: "the
//! field pointer is relative to the start of the segment descriptor indicated
//! by the third and fourth bytes of the COMMAND-SPECIFIC INFORMATION field"
//! (zero-based bytes 2–3 of the four-byte fixed-format field, i.e. sense
//! bytes 10–11); with SD zero it is relative to the start of the parameter
//! list. In descriptor format the COMMAND-SPECIFIC INFORMATION is eight bytes
//! and "when a four byte quantity is stored … the first four bytes shall be
//! zero", so the same index sits in the last two bytes; FreeBSD CTL writes it
//! that way. [`SenseData::failed_segment_index`] reads it in both formats.
//! The INFORMATION field of a failed EXTENDED COPY holds the residue of the
//! segment being processed. A copy target's own sense is forwarded in a
//! forwarded sense data descriptor (0Ch, [`ForwardedSense`]).

use core::fmt;

use crate::wire::{
    be_fields, bit_fields, check_len, check_out, flag_fields, view, Repr, Result, WireError,
};

pub mod asc;

pub use asc::{asc_name, AdditionalSense};

mod field {
    use crate::wire::Field;

    /// Byte 0: VALID (bit 7, fixed format only) and RESPONSE CODE (bits 6-0).
    pub const RESPONSE_CODE: usize = 0;
    /// Byte 7 in both formats: ADDITIONAL SENSE LENGTH (n - 7).
    pub const ADDITIONAL_SENSE_LENGTH: usize = 7;
    /// Both formats have at least this 8-byte header.
    pub const HEADER_LEN: usize = 8;

    // Fixed format sense data (SPC-4 r37 §4.5.3, table "Fixed format sense data").
    /// Byte 1: obsolete (the SEGMENT NUMBER of SCSI-2 COPY).
    pub const FX_OBSOLETE: Field = 1..2;
    /// Byte 2: FILEMARK (7), EOM (6), ILI (5), SDAT_OVFL (4), SENSE KEY (3-0).
    pub const FX_FLAGS: usize = 2;
    /// Bytes 3-6: INFORMATION.
    pub const FX_INFORMATION: Field = 3..7;
    /// Bytes 8-11: COMMAND-SPECIFIC INFORMATION.
    pub const FX_COMMAND_SPECIFIC: Field = 8..12;
    /// Byte 12: ADDITIONAL SENSE CODE.
    pub const FX_ASC: Field = 12..13;
    /// Byte 13: ADDITIONAL SENSE CODE QUALIFIER.
    pub const FX_ASCQ: Field = 13..14;
    /// Byte 14: FIELD REPLACEABLE UNIT CODE.
    pub const FX_FRU: Field = 14..15;
    /// Bytes 15-17: SKSV (byte 15 bit 7) and SENSE KEY SPECIFIC.
    pub const FX_SKS: Field = 15..18;
    /// Bytes 18..n: additional sense bytes.
    pub const FX_ADDITIONAL: usize = 18;

    // Descriptor format sense data (SPC-4 r37 §4.5.2.1).
    /// Byte 1: SENSE KEY (bits 3-0).
    pub const DS_SENSE_KEY: usize = 1;
    /// Byte 2: ADDITIONAL SENSE CODE.
    pub const DS_ASC: Field = 2..3;
    /// Byte 3: ADDITIONAL SENSE CODE QUALIFIER.
    pub const DS_ASCQ: Field = 3..4;
    /// Byte 4: SDAT_OVFL (bit 7).
    pub const DS_FLAGS: usize = 4;

    // Sense data descriptor header (SPC-4 r37 §4.5.2.1).
    /// Byte 0: DESCRIPTOR TYPE.
    pub const DESC_TYPE: Field = 0..1;
    /// Byte 1: ADDITIONAL LENGTH (n - 1).
    pub const DESC_ADDITIONAL_LENGTH: Field = 1..2;
    /// The descriptor header is two bytes.
    pub const DESC_HEADER_LEN: usize = 2;

    /// Information (00h) and command-specific information (01h)
    /// descriptors: byte 2 bit 7 VALID (00h only); bytes 4-11 the field.
    pub const DESC_VALID: usize = 2;
    /// Bytes 4-11 of the 00h and 01h descriptors.
    pub const DESC_QWORD: Field = 4..12;
    /// Sense key specific descriptor (02h): bytes 4-6.
    pub const DESC_SKS: Field = 4..7;
    /// FRU (03h), stream commands (04h) and block commands (05h): byte 3.
    pub const DESC_BYTE3: usize = 3;
    /// Forwarded sense data (0Ch): byte 2 FSDT (bit 7), SENSE DATA SOURCE (3-0).
    pub const FWD_FLAGS: usize = 2;
    /// Forwarded sense data (0Ch): byte 3 FORWARDED STATUS.
    pub const FWD_STATUS: Field = 3..4;
    /// Forwarded sense data (0Ch): bytes 4..n the forwarded sense data.
    pub const FWD_DATA: usize = 4;

    // Sense-key-specific field, three bytes (SPC-4 r37 §4.5.2.4).
    /// Byte 0: SKSV (7) and the format's flags.
    pub const SKS_FLAGS: usize = 0;
    /// Bytes 1-2: field pointer, retry count or progress indication.
    pub const SKS_VALUE: Field = 1..3;
}

/// Length of a fixed format sense buffer with no additional sense bytes.
pub const FIXED_SENSE_LEN: usize = 18;
/// Largest sense data the one-byte ADDITIONAL SENSE LENGTH can describe.
pub const MAX_SENSE_LEN: usize = field::HEADER_LEN + 255;

const WHAT_FIXED: &str = "fixed format sense data";
const WHAT_DESC: &str = "descriptor format sense data";

view!(
    /// Fixed format sense data (SPC-4 r37 §4.5.3), over at least 18 bytes.
    FixedSenseView,
    "fixed format sense data",
    FIXED_SENSE_LEN
);

flag_fields!(FixedSenseView {
    /// VALID: the INFORMATION field is defined by a standard.
    valid, set_valid: field::RESPONSE_CODE, 7;
    /// FILEMARK: the current command reached a filemark or setmark.
    filemark, set_filemark: field::FX_FLAGS, 7;
    /// EOM: end-of-medium (or beginning-of-medium) condition.
    eom, set_eom: field::FX_FLAGS, 6;
    /// ILI: incorrect length indicator.
    ili, set_ili: field::FX_FLAGS, 5;
    /// SDAT_OVFL: the sense data did not fit the device's sense buffer.
    sdat_ovfl, set_sdat_ovfl: field::FX_FLAGS, 4;
});

bit_fields!(FixedSenseView {
    /// RESPONSE CODE (70h current, 71h deferred).
    response_code, set_response_code: field::RESPONSE_CODE, 0, 7;
    /// SENSE KEY.
    sense_key, set_sense_key: field::FX_FLAGS, 0, 4;
});

be_fields!(FixedSenseView {
    /// Byte 1, obsolete.
    obsolete, set_obsolete: u8 = field::FX_OBSOLETE;
    /// INFORMATION.
    information, set_information: u32 = field::FX_INFORMATION;
    /// ADDITIONAL SENSE LENGTH.
    additional_sense_length, set_additional_sense_length: u8 =
        field::ADDITIONAL_SENSE_LENGTH..field::ADDITIONAL_SENSE_LENGTH + 1;
    /// COMMAND-SPECIFIC INFORMATION.
    command_specific, set_command_specific: u32 = field::FX_COMMAND_SPECIFIC;
    /// ADDITIONAL SENSE CODE.
    asc, set_asc: u8 = field::FX_ASC;
    /// ADDITIONAL SENSE CODE QUALIFIER.
    ascq, set_ascq: u8 = field::FX_ASCQ;
    /// FIELD REPLACEABLE UNIT CODE.
    fru, set_fru: u8 = field::FX_FRU;
});

impl<T: AsRef<[u8]>> FixedSenseView<T> {
    /// The three SENSE KEY SPECIFIC bytes (SKSV included).
    pub fn sense_key_specific(&self) -> [u8; 3] {
        let b = &self.as_bytes()[field::FX_SKS];
        [b[0], b[1], b[2]]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> FixedSenseView<T> {
    /// Sets the three SENSE KEY SPECIFIC bytes.
    pub fn set_sense_key_specific(&mut self, sks: [u8; 3]) {
        self.buffer.as_mut()[field::FX_SKS].copy_from_slice(&sks);
    }
}

view!(
    /// Descriptor format sense data header (SPC-4 r37 §4.5.2.1).
    DescriptorSenseView,
    "descriptor format sense data",
    field::HEADER_LEN
);

bit_fields!(DescriptorSenseView {
    /// RESPONSE CODE (72h current, 73h deferred).
    response_code, set_response_code: field::RESPONSE_CODE, 0, 7;
    /// SENSE KEY.
    sense_key, set_sense_key: field::DS_SENSE_KEY, 0, 4;
});

flag_fields!(DescriptorSenseView {
    /// SDAT_OVFL: the sense data did not fit the device's sense buffer.
    sdat_ovfl, set_sdat_ovfl: field::DS_FLAGS, 7;
});

be_fields!(DescriptorSenseView {
    /// ADDITIONAL SENSE CODE.
    asc, set_asc: u8 = field::DS_ASC;
    /// ADDITIONAL SENSE CODE QUALIFIER.
    ascq, set_ascq: u8 = field::DS_ASCQ;
    /// ADDITIONAL SENSE LENGTH.
    additional_sense_length, set_additional_sense_length: u8 =
        field::ADDITIONAL_SENSE_LENGTH..field::ADDITIONAL_SENSE_LENGTH + 1;
});

view!(
    /// One sense data descriptor: the two-byte header and its body.
    SenseDescriptorView,
    "sense data descriptor",
    field::DESC_HEADER_LEN
);

be_fields!(SenseDescriptorView {
    /// DESCRIPTOR TYPE.
    descriptor_type, set_descriptor_type: u8 = field::DESC_TYPE;
    /// ADDITIONAL LENGTH (bytes after this one).
    additional_length, set_additional_length: u8 = field::DESC_ADDITIONAL_LENGTH;
});

view!(
    /// Information (00h) or command-specific information (01h) descriptor.
    QwordDescriptorView,
    "information sense data descriptor",
    field::DESC_QWORD.end
);

flag_fields!(QwordDescriptorView {
    /// VALID (information descriptor only; shall be one).
    valid, set_valid: field::DESC_VALID, 7;
});

be_fields!(QwordDescriptorView {
    /// INFORMATION or COMMAND-SPECIFIC INFORMATION.
    value, set_value: u64 = field::DESC_QWORD;
});

view!(
    /// Descriptors whose payload is byte 3: FRU (03h), stream commands (04h),
    /// block commands (05h).
    ByteDescriptorView,
    "sense data descriptor",
    field::DESC_BYTE3 + 1
);

flag_fields!(ByteDescriptorView {
    /// FILEMARK (stream commands descriptor).
    filemark, set_filemark: field::DESC_BYTE3, 7;
    /// EOM (stream commands descriptor).
    eom, set_eom: field::DESC_BYTE3, 6;
    /// ILI (stream and block commands descriptors).
    ili, set_ili: field::DESC_BYTE3, 5;
});

be_fields!(ByteDescriptorView {
    /// FIELD REPLACEABLE UNIT CODE (FRU descriptor).
    fru, set_fru: u8 = field::DESC_BYTE3..field::DESC_BYTE3 + 1;
});

view!(
    /// Forwarded sense data descriptor (0Ch) header.
    ForwardedDescriptorView,
    "forwarded sense data descriptor",
    field::FWD_DATA
);

flag_fields!(ForwardedDescriptorView {
    /// FSDT: the forwarded sense data was truncated.
    fsdt, set_fsdt: field::FWD_FLAGS, 7;
});

bit_fields!(ForwardedDescriptorView {
    /// SENSE DATA SOURCE.
    source, set_source: field::FWD_FLAGS, 0, 4;
});

be_fields!(ForwardedDescriptorView {
    /// FORWARDED STATUS (a SCSI status byte).
    status, set_status: u8 = field::FWD_STATUS;
});

view!(
    /// The three-byte sense-key-specific field (SPC-4 r37 §4.5.2.4).
    SksView,
    "sense key specific field",
    3
);

flag_fields!(SksView {
    /// SKSV: the field is valid.
    sksv, set_sksv: field::SKS_FLAGS, 7;
    /// C/D: the field pointer is into the CDB (field pointer format).
    command, set_command: field::SKS_FLAGS, 6;
    /// SD: the field pointer is into a segment descriptor (segment pointer).
    segment_descriptor, set_segment_descriptor: field::SKS_FLAGS, 5;
    /// BPV: the bit pointer is valid.
    bpv, set_bpv: field::SKS_FLAGS, 3;
    /// OVERFLOW: the unit attention condition queue overflowed.
    overflow, set_overflow: field::SKS_FLAGS, 0;
});

bit_fields!(SksView {
    /// BIT POINTER.
    bit_pointer, set_bit_pointer: field::SKS_FLAGS, 0, 3;
});

be_fields!(SksView {
    /// FIELD POINTER, ACTUAL RETRY COUNT or PROGRESS INDICATION.
    value, set_value: u16 = field::SKS_VALUE;
});

// ---------------------------------------------------------------------------
// Sense key
// ---------------------------------------------------------------------------

/// The SENSE KEY (SPC-4 r37 §4.5.6, table "Sense key descriptions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SenseKey {
    /// 0h NO SENSE.
    NoSense,
    /// 1h RECOVERED ERROR.
    RecoveredError,
    /// 2h NOT READY.
    NotReady,
    /// 3h MEDIUM ERROR.
    MediumError,
    /// 4h HARDWARE ERROR.
    HardwareError,
    /// 5h ILLEGAL REQUEST.
    IllegalRequest,
    /// 6h UNIT ATTENTION.
    UnitAttention,
    /// 7h DATA PROTECT.
    DataProtect,
    /// 8h BLANK CHECK.
    BlankCheck,
    /// 9h VENDOR SPECIFIC.
    VendorSpecific,
    /// Ah COPY ABORTED.
    CopyAborted,
    /// Bh ABORTED COMMAND.
    AbortedCommand,
    /// Ch, obsolete (EQUAL in SPC-2).
    Equal,
    /// Dh VOLUME OVERFLOW.
    VolumeOverflow,
    /// Eh MISCOMPARE.
    Miscompare,
    /// Fh COMPLETED.
    Completed,
}

impl SenseKey {
    /// The key for the low four bits of `bits`.
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0x0f {
            0x0 => Self::NoSense,
            0x1 => Self::RecoveredError,
            0x2 => Self::NotReady,
            0x3 => Self::MediumError,
            0x4 => Self::HardwareError,
            0x5 => Self::IllegalRequest,
            0x6 => Self::UnitAttention,
            0x7 => Self::DataProtect,
            0x8 => Self::BlankCheck,
            0x9 => Self::VendorSpecific,
            0xa => Self::CopyAborted,
            0xb => Self::AbortedCommand,
            0xc => Self::Equal,
            0xd => Self::VolumeOverflow,
            0xe => Self::Miscompare,
            _ => Self::Completed,
        }
    }

    /// The four-bit code.
    pub const fn code(self) -> u8 {
        match self {
            Self::NoSense => 0x0,
            Self::RecoveredError => 0x1,
            Self::NotReady => 0x2,
            Self::MediumError => 0x3,
            Self::HardwareError => 0x4,
            Self::IllegalRequest => 0x5,
            Self::UnitAttention => 0x6,
            Self::DataProtect => 0x7,
            Self::BlankCheck => 0x8,
            Self::VendorSpecific => 0x9,
            Self::CopyAborted => 0xa,
            Self::AbortedCommand => 0xb,
            Self::Equal => 0xc,
            Self::VolumeOverflow => 0xd,
            Self::Miscompare => 0xe,
            Self::Completed => 0xf,
        }
    }

    /// The standard's name, e.g. "COPY ABORTED".
    pub const fn name(self) -> &'static str {
        match self {
            Self::NoSense => "NO SENSE",
            Self::RecoveredError => "RECOVERED ERROR",
            Self::NotReady => "NOT READY",
            Self::MediumError => "MEDIUM ERROR",
            Self::HardwareError => "HARDWARE ERROR",
            Self::IllegalRequest => "ILLEGAL REQUEST",
            Self::UnitAttention => "UNIT ATTENTION",
            Self::DataProtect => "DATA PROTECT",
            Self::BlankCheck => "BLANK CHECK",
            Self::VendorSpecific => "VENDOR SPECIFIC",
            Self::CopyAborted => "COPY ABORTED",
            Self::AbortedCommand => "ABORTED COMMAND",
            Self::Equal => "EQUAL (obsolete)",
            Self::VolumeOverflow => "VOLUME OVERFLOW",
            Self::Miscompare => "MISCOMPARE",
            Self::Completed => "COMPLETED",
        }
    }
}

impl fmt::Display for SenseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// ---------------------------------------------------------------------------
// Sense-key-specific field
// ---------------------------------------------------------------------------

/// FIELD POINTER sense-key-specific data (ILLEGAL REQUEST; SPC-4 r37
/// §4.5.2.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldPointer {
    /// C/D: the error is in the CDB (else in the parameter data).
    pub command: bool,
    /// BIT POINTER when BPV is set: the leftmost bit of the field in error.
    pub bit_pointer: Option<u8>,
    /// FIELD POINTER: the first byte of the field in error.
    pub field_pointer: u16,
}

/// SEGMENT POINTER sense-key-specific data (COPY ABORTED; SPC-4 r37
/// §4.5.2.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SegmentPointer {
    /// SD: the field pointer is relative to the segment descriptor whose
    /// index is in bytes 2–3 of the COMMAND-SPECIFIC INFORMATION (see
    /// [`SenseData::failed_segment_index`]); else relative to the start of
    /// the parameter list.
    pub segment_descriptor: bool,
    /// BIT POINTER when BPV is set.
    pub bit_pointer: Option<u8>,
    /// FIELD POINTER: byte offset of the field in error.
    pub field_pointer: u16,
}

/// The SENSE KEY SPECIFIC field, decoded per sense key (SPC-4 r37
/// §4.5.2.4, table "Sense key specific field definitions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SenseKeySpecific {
    /// ILLEGAL REQUEST: which CDB or parameter byte was wrong.
    FieldPointer(FieldPointer),
    /// RECOVERED ERROR, MEDIUM ERROR, HARDWARE ERROR: ACTUAL RETRY COUNT.
    ActualRetryCount(u16),
    /// NO SENSE, NOT READY: PROGRESS INDICATION (fraction of 65 536).
    ProgressIndication(u16),
    /// COPY ABORTED: where in the parameter list or segment descriptor.
    SegmentPointer(SegmentPointer),
    /// UNIT ATTENTION: OVERFLOW of the unit attention condition queue.
    UnitAttentionQueueOverflow(bool),
    /// Bytes that are not one of the formats above for this sense key:
    /// SKSV set with a sense key that defines no format, SKSV clear with
    /// nonzero bytes, or reserved bits set. Kept as found.
    Other([u8; 3]),
}

impl SenseKeySpecific {
    /// Decodes the three bytes for `key`. `None` when they are all zero
    /// (SKSV clear, nothing there); raw [`Self::Other`] when SKSV is clear
    /// but bytes are not zero, or when the decoded form would not re-encode
    /// to the same bytes.
    pub fn decode(key: SenseKey, raw: [u8; 3]) -> Option<Self> {
        if raw == [0, 0, 0] {
            return None;
        }
        let v = SksView::new_unchecked(&raw[..]);
        if !v.sksv() {
            return Some(Self::Other(raw));
        }
        let bit = |v: &SksView<&[u8]>| v.bpv().then(|| v.bit_pointer());
        let decoded = match key {
            SenseKey::IllegalRequest => Self::FieldPointer(FieldPointer {
                command: v.command(),
                bit_pointer: bit(&v),
                field_pointer: v.value(),
            }),
            SenseKey::RecoveredError | SenseKey::MediumError | SenseKey::HardwareError => {
                Self::ActualRetryCount(v.value())
            }
            SenseKey::NoSense | SenseKey::NotReady => Self::ProgressIndication(v.value()),
            SenseKey::CopyAborted => Self::SegmentPointer(SegmentPointer {
                segment_descriptor: v.segment_descriptor(),
                bit_pointer: bit(&v),
                field_pointer: v.value(),
            }),
            SenseKey::UnitAttention => Self::UnitAttentionQueueOverflow(v.overflow()),
            _ => return Some(Self::Other(raw)),
        };
        match decoded.encode() {
            Ok(again) if again == raw => Some(decoded),
            _ => Some(Self::Other(raw)),
        }
    }

    /// Encodes to the three wire bytes (SKSV set, except for
    /// [`Self::Other`], which is written as kept). A bit pointer above 7 is
    /// [`WireError::Overflow`].
    pub fn encode(&self) -> Result<[u8; 3]> {
        let mut raw = [0u8; 3];
        let mut v = SksView::new_unchecked(&mut raw[..]);
        let set_bit = |v: &mut SksView<&mut [u8]>, bit: Option<u8>| -> Result<()> {
            if let Some(b) = bit {
                if b > 7 {
                    return Err(WireError::Overflow {
                        what: "sense key specific field",
                        field: "BIT POINTER",
                        value: u64::from(b),
                    });
                }
                v.set_bpv(true);
                v.set_bit_pointer(b);
            }
            Ok(())
        };
        match *self {
            Self::Other(bytes) => return Ok(bytes),
            Self::FieldPointer(p) => {
                v.set_command(p.command);
                set_bit(&mut v, p.bit_pointer)?;
                v.set_value(p.field_pointer);
            }
            Self::ActualRetryCount(n) | Self::ProgressIndication(n) => v.set_value(n),
            Self::SegmentPointer(p) => {
                v.set_segment_descriptor(p.segment_descriptor);
                set_bit(&mut v, p.bit_pointer)?;
                v.set_value(p.field_pointer);
            }
            Self::UnitAttentionQueueOverflow(o) => v.set_overflow(o),
        }
        v.set_sksv(true);
        Ok(raw)
    }
}

impl fmt::Display for SenseKeySpecific {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bit = |b: Option<u8>| b.map(|b| format!(", bit {b}")).unwrap_or_default();
        match *self {
            Self::FieldPointer(p) => write!(
                f,
                "Field pointer: {} byte {}{}",
                if p.command { "CDB" } else { "parameter data" },
                p.field_pointer,
                bit(p.bit_pointer)
            ),
            Self::ActualRetryCount(n) => write!(f, "Actual retry count: {n}"),
            Self::ProgressIndication(n) => {
                let hundredths = u32::from(n) * 10_000 / 65_536;
                write!(
                    f,
                    "Progress indication: {}.{:02}%",
                    hundredths / 100,
                    hundredths % 100
                )
            }
            Self::SegmentPointer(p) => write!(
                f,
                "Segment pointer: {} byte {}{}",
                if p.segment_descriptor {
                    "segment descriptor"
                } else {
                    "parameter list"
                },
                p.field_pointer,
                bit(p.bit_pointer)
            ),
            Self::UnitAttentionQueueOverflow(o) => write!(
                f,
                "Unit attention condition queue: {}",
                if o { "overflowed" } else { "no overflow" }
            ),
            Self::Other(b) => write!(f, "Sense key specific: {}", crate::wire::Hex(&b[..])),
        }
    }
}

// ---------------------------------------------------------------------------
// Forwarded sense data
// ---------------------------------------------------------------------------

/// The SENSE DATA SOURCE of a forwarded sense data descriptor: which
/// EXTENDED COPY CSCD returned the forwarded sense.
///
/// Codes as FreeBSD CTL, a copy manager that sends this descriptor, uses
/// them (0h unknown, 1h the EXTENDED COPY source, 2h the destination).
/// The two public decoders disagree: sg3_utils' `sg_decode_sense` reads 0h
/// as the source and 1h–7h as destination 0–6. The SPC-4 r37 table itself
/// was not at hand to settle it; a simulator should emit 1h/2h, and the
/// engine should not base failover decisions on this field alone. Other
/// codes are kept as [`Self::Reserved`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SenseDataSource {
    /// 0h: source unknown.
    Unknown,
    /// 1h: the copy source CSCD of the segment being processed.
    CopySource,
    /// 2h: the copy destination CSCD of the segment being processed.
    CopyDestination,
    /// 3h–Fh: reserved.
    Reserved(u8),
}

impl SenseDataSource {
    /// The source for the low four bits of `bits`.
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0x0f {
            0 => Self::Unknown,
            1 => Self::CopySource,
            2 => Self::CopyDestination,
            n => Self::Reserved(n),
        }
    }

    /// The four-bit code.
    pub const fn code(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::CopySource => 1,
            Self::CopyDestination => 2,
            Self::Reserved(n) => n & 0x0f,
        }
    }

    /// The source in words.
    pub fn name(self) -> String {
        match self {
            Self::Unknown => "unknown source".into(),
            Self::CopySource => "copy source".into(),
            Self::CopyDestination => "copy destination".into(),
            Self::Reserved(n) => format!("reserved source {n:#x}"),
        }
    }
}

/// A forwarded sense data descriptor (0Ch; SPC-4 r37 §4.5.2, table
/// "Forwarded sense data sense data descriptor format"): the sense
/// a copy manager received from a copy source or destination.
///
/// The forwarded sense is kept as the bytes received ([`Self::sense_data`]),
/// so a round trip is exact even when it is itself truncated; [`Self::sense`]
/// parses it as [`SenseData`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ForwardedSense {
    /// FSDT: the copy manager truncated the forwarded sense data.
    pub fsdt: bool,
    /// SENSE DATA SOURCE.
    pub source: SenseDataSource,
    /// FORWARDED STATUS: the SCSI status the CSCD returned.
    pub status: u8,
    /// FORWARDED SENSE DATA, as received (at most 251 bytes fit).
    pub sense_data: Vec<u8>,
}

impl ForwardedSense {
    /// Largest forwarded sense that fits in descriptor format sense data
    /// (255 − 4 bytes of descriptor header).
    pub const MAX_DATA: usize = 251;

    /// Forwards `sense` received from `source` with SCSI `status` (02h
    /// CHECK CONDITION, usually).
    pub fn new(source: SenseDataSource, status: u8, sense: &SenseData) -> Result<Self> {
        Ok(Self {
            fsdt: false,
            source,
            status,
            sense_data: sense.to_vec()?,
        })
    }

    /// The forwarded sense, parsed; `None` when it is empty or not sense
    /// data this module can parse.
    pub fn sense(&self) -> Option<SenseData> {
        SenseData::parse(&self.sense_data).ok()
    }
}

// ---------------------------------------------------------------------------
// Descriptors
// ---------------------------------------------------------------------------

/// One sense data descriptor (SPC-4 r37 §4.5.2, table "Sense data
/// descriptor types").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SenseDescriptor {
    /// 00h Information.
    Information {
        /// VALID (shall be one).
        valid: bool,
        /// INFORMATION.
        information: u64,
    },
    /// 01h Command-specific information.
    CommandSpecific(u64),
    /// 02h Sense key specific.
    SenseKeySpecific(SenseKeySpecific),
    /// 03h Field replaceable unit.
    FieldReplaceableUnit(u8),
    /// 04h Stream commands (SSC).
    StreamCommands {
        /// FILEMARK.
        filemark: bool,
        /// EOM.
        eom: bool,
        /// ILI.
        ili: bool,
    },
    /// 05h Block commands (SBC).
    BlockCommands {
        /// ILI.
        ili: bool,
    },
    /// 0Ch Forwarded sense data.
    Forwarded(ForwardedSense),
    /// Any other descriptor, kept raw.
    Other {
        /// DESCRIPTOR TYPE.
        descriptor_type: u8,
        /// The bytes after the two-byte header (at most 255).
        data: Vec<u8>,
    },
}

/// DESCRIPTOR TYPE codes decoded here.
pub mod descriptor_type {
    /// Information.
    pub const INFORMATION: u8 = 0x00;
    /// Command-specific information.
    pub const COMMAND_SPECIFIC: u8 = 0x01;
    /// Sense key specific.
    pub const SENSE_KEY_SPECIFIC: u8 = 0x02;
    /// Field replaceable unit.
    pub const FIELD_REPLACEABLE_UNIT: u8 = 0x03;
    /// Stream commands.
    pub const STREAM_COMMANDS: u8 = 0x04;
    /// Block commands.
    pub const BLOCK_COMMANDS: u8 = 0x05;
    /// Forwarded sense data.
    pub const FORWARDED: u8 = 0x0c;
}

/// Name of a sense data descriptor type in words.
pub fn descriptor_type_name(t: u8) -> &'static str {
    match t {
        0x00 => "Information",
        0x01 => "Command-specific information",
        0x02 => "Sense key specific",
        0x03 => "Field replaceable unit",
        0x04 => "Stream commands",
        0x05 => "Block commands",
        0x06 => "OSD object identification",
        0x07 => "OSD response integrity check value",
        0x08 => "OSD attribute identification",
        0x09 => "ATA status return",
        0x0a => "Another progress indication",
        0x0b => "User data segment referral",
        0x0c => "Forwarded sense data",
        0x0d => "Direct-access block device",
        0x0e => "Device designation",
        0x0f => "Microcode activation",
        0x80..=0xff => "Vendor specific",
        _ => "Reserved",
    }
}

impl SenseDescriptor {
    /// The DESCRIPTOR TYPE.
    pub fn descriptor_type(&self) -> u8 {
        use descriptor_type::*;
        match self {
            Self::Information { .. } => INFORMATION,
            Self::CommandSpecific(_) => COMMAND_SPECIFIC,
            Self::SenseKeySpecific(_) => SENSE_KEY_SPECIFIC,
            Self::FieldReplaceableUnit(_) => FIELD_REPLACEABLE_UNIT,
            Self::StreamCommands { .. } => STREAM_COMMANDS,
            Self::BlockCommands { .. } => BLOCK_COMMANDS,
            Self::Forwarded(_) => FORWARDED,
            Self::Other {
                descriptor_type, ..
            } => *descriptor_type,
        }
    }

    /// Bytes this descriptor occupies, header included.
    pub fn len(&self) -> usize {
        field::DESC_HEADER_LEN
            + match self {
                Self::Information { .. } | Self::CommandSpecific(_) => 0x0a,
                Self::SenseKeySpecific(_) => 0x06,
                Self::FieldReplaceableUnit(_)
                | Self::StreamCommands { .. }
                | Self::BlockCommands { .. } => 0x02,
                Self::Forwarded(fw) => 2 + fw.sense_data.len(),
                Self::Other { data, .. } => data.len(),
            }
    }

    /// Always false: a descriptor has at least its two-byte header.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Decodes one descriptor (`buf` holds exactly header + ADDITIONAL
    /// LENGTH bytes). `key` selects the sense-key-specific format. A known
    /// type whose ADDITIONAL LENGTH is not the standard's is kept raw.
    fn decode(key: SenseKey, buf: &[u8]) -> Self {
        use descriptor_type::*;
        let head = SenseDescriptorView::new_unchecked(buf);
        let t = head.descriptor_type();
        let al = usize::from(head.additional_length());
        let raw = || Self::Other {
            descriptor_type: t,
            data: buf[field::DESC_HEADER_LEN..].to_vec(),
        };
        match (t, al) {
            (INFORMATION, 0x0a) => {
                let v = QwordDescriptorView::new_unchecked(buf);
                Self::Information {
                    valid: v.valid(),
                    information: v.value(),
                }
            }
            (COMMAND_SPECIFIC, 0x0a) => {
                Self::CommandSpecific(QwordDescriptorView::new_unchecked(buf).value())
            }
            (SENSE_KEY_SPECIFIC, 0x06) => {
                let b = &buf[field::DESC_SKS];
                match SenseKeySpecific::decode(key, [b[0], b[1], b[2]]) {
                    Some(sks) => Self::SenseKeySpecific(sks),
                    None => Self::SenseKeySpecific(SenseKeySpecific::Other([0, 0, 0])),
                }
            }
            (FIELD_REPLACEABLE_UNIT, 0x02) => {
                Self::FieldReplaceableUnit(ByteDescriptorView::new_unchecked(buf).fru())
            }
            (STREAM_COMMANDS, 0x02) => {
                let v = ByteDescriptorView::new_unchecked(buf);
                Self::StreamCommands {
                    filemark: v.filemark(),
                    eom: v.eom(),
                    ili: v.ili(),
                }
            }
            (BLOCK_COMMANDS, 0x02) => Self::BlockCommands {
                ili: ByteDescriptorView::new_unchecked(buf).ili(),
            },
            (FORWARDED, 2..) => {
                let v = ForwardedDescriptorView::new_unchecked(buf);
                Self::Forwarded(ForwardedSense {
                    fsdt: v.fsdt(),
                    source: SenseDataSource::from_bits(v.source()),
                    status: v.status(),
                    sense_data: buf[field::FWD_DATA..].to_vec(),
                })
            }
            _ => raw(),
        }
    }

    /// Writes the descriptor into `buf`, which is exactly [`Self::len`] long.
    fn encode(&self, buf: &mut [u8]) -> Result<()> {
        let additional = self.len() - field::DESC_HEADER_LEN;
        let additional = u8::try_from(additional).map_err(|_| WireError::Overflow {
            what: "sense data descriptor",
            field: "ADDITIONAL LENGTH",
            value: additional as u64,
        })?;
        buf.fill(0);
        let mut head = SenseDescriptorView::new_unchecked(&mut *buf);
        head.set_descriptor_type(self.descriptor_type());
        head.set_additional_length(additional);
        match self {
            Self::Information { valid, information } => {
                let mut v = QwordDescriptorView::new_unchecked(&mut *buf);
                v.set_valid(*valid);
                v.set_value(*information);
            }
            Self::CommandSpecific(c) => QwordDescriptorView::new_unchecked(&mut *buf).set_value(*c),
            Self::SenseKeySpecific(sks) => buf[field::DESC_SKS].copy_from_slice(&sks.encode()?),
            Self::FieldReplaceableUnit(code) => {
                ByteDescriptorView::new_unchecked(&mut *buf).set_fru(*code)
            }
            Self::StreamCommands { filemark, eom, ili } => {
                let mut v = ByteDescriptorView::new_unchecked(&mut *buf);
                v.set_filemark(*filemark);
                v.set_eom(*eom);
                v.set_ili(*ili);
            }
            Self::BlockCommands { ili } => {
                ByteDescriptorView::new_unchecked(&mut *buf).set_ili(*ili)
            }
            Self::Forwarded(fw) => {
                let mut v = ForwardedDescriptorView::new_unchecked(&mut *buf);
                v.set_fsdt(fw.fsdt);
                v.set_source(fw.source.code());
                v.set_status(fw.status);
                buf[field::FWD_DATA..].copy_from_slice(&fw.sense_data);
            }
            Self::Other { data, .. } => buf[field::DESC_HEADER_LEN..].copy_from_slice(data),
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Fixed format
// ---------------------------------------------------------------------------

/// Fixed format sense data (SPC-4 r37 §4.5.3), response codes 70h / 71h.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FixedSense {
    /// Deferred error (71h) rather than current (70h).
    pub deferred: bool,
    /// VALID: INFORMATION is defined by a standard.
    pub valid: bool,
    /// Byte 1, obsolete (kept for an exact round trip).
    pub obsolete: u8,
    /// FILEMARK.
    pub filemark: bool,
    /// EOM.
    pub eom: bool,
    /// ILI.
    pub ili: bool,
    /// SDAT_OVFL: the device's sense did not fit its own buffer.
    pub sdat_ovfl: bool,
    /// SENSE KEY.
    pub sense_key: SenseKey,
    /// INFORMATION (an LBA, a residue, …).
    pub information: u32,
    /// COMMAND-SPECIFIC INFORMATION.
    pub command_specific: u32,
    /// ADDITIONAL SENSE CODE.
    pub asc: u8,
    /// ADDITIONAL SENSE CODE QUALIFIER.
    pub ascq: u8,
    /// FIELD REPLACEABLE UNIT CODE.
    pub fru: u8,
    /// SENSE KEY SPECIFIC (bytes 15–17), `None` when all zero.
    pub sense_key_specific: Option<SenseKeySpecific>,
    /// Additional sense bytes 18..n, raw.
    pub additional: Vec<u8>,
    /// The ADDITIONAL SENSE LENGTH claimed more bytes than the buffer held.
    pub truncated: bool,
}

impl FixedSense {
    /// Current-error fixed sense with `key`, `asc`, `ascq`; everything else
    /// zero.
    pub fn new(key: SenseKey, asc: u8, ascq: u8) -> Self {
        Self {
            deferred: false,
            valid: false,
            obsolete: 0,
            filemark: false,
            eom: false,
            ili: false,
            sdat_ovfl: false,
            sense_key: key,
            information: 0,
            command_specific: 0,
            asc,
            ascq,
            fru: 0,
            sense_key_specific: None,
            additional: Vec::new(),
            truncated: false,
        }
    }

    /// Marks the error deferred (response code 71h).
    pub fn deferred(mut self) -> Self {
        self.deferred = true;
        self
    }

    /// Sets INFORMATION and the VALID bit.
    pub fn with_information(mut self, information: u32) -> Self {
        self.valid = true;
        self.information = information;
        self
    }

    /// Sets COMMAND-SPECIFIC INFORMATION.
    pub fn with_command_specific(mut self, csi: u32) -> Self {
        self.command_specific = csi;
        self
    }

    /// Puts a failed segment descriptor's index where SPC-4 says (bytes 2–3
    /// of COMMAND-SPECIFIC INFORMATION, bytes 0–1 zero).
    pub fn with_failed_segment(self, index: u16) -> Self {
        self.with_command_specific(u32::from(index))
    }

    /// Sets the sense-key-specific field.
    pub fn with_sense_key_specific(mut self, sks: SenseKeySpecific) -> Self {
        self.sense_key_specific = Some(sks);
        self
    }

    /// Sets the FIELD REPLACEABLE UNIT CODE.
    pub fn with_fru(mut self, fru: u8) -> Self {
        self.fru = fru;
        self
    }

    /// Sets FILEMARK, EOM and ILI.
    pub fn with_stream_flags(mut self, filemark: bool, eom: bool, ili: bool) -> Self {
        self.filemark = filemark;
        self.eom = eom;
        self.ili = ili;
        self
    }

    /// Sets the additional sense bytes (18..n).
    pub fn with_additional(mut self, bytes: Vec<u8>) -> Self {
        self.additional = bytes;
        self
    }

    fn parse_fixed(buf: &[u8]) -> Result<Self> {
        check_len(WHAT_FIXED, buf, field::HEADER_LEN)?;
        let declared = field::HEADER_LEN
            + usize::from(FixedSenseView::new_unchecked(buf).additional_sense_length());
        let present = declared.min(buf.len());
        let region = &buf[..present];
        // Copy the fixed part into a zeroed 18-byte image so fields the
        // device did not send (short or cut sense) read as zero.
        let mut image = [0u8; FIXED_SENSE_LEN];
        let n = region.len().min(FIXED_SENSE_LEN);
        image[..n].copy_from_slice(&region[..n]);
        let v = FixedSenseView::new_unchecked(&image[..]);
        let key = SenseKey::from_bits(v.sense_key());
        Ok(Self {
            deferred: v.response_code() == 0x71,
            valid: v.valid(),
            obsolete: v.obsolete(),
            filemark: v.filemark(),
            eom: v.eom(),
            ili: v.ili(),
            sdat_ovfl: v.sdat_ovfl(),
            sense_key: key,
            information: v.information(),
            command_specific: v.command_specific(),
            asc: v.asc(),
            ascq: v.ascq(),
            fru: v.fru(),
            sense_key_specific: SenseKeySpecific::decode(key, v.sense_key_specific()),
            additional: region.get(field::FX_ADDITIONAL..).unwrap_or(&[]).to_vec(),
            truncated: declared > buf.len(),
        })
    }

    fn fixed_len(&self) -> usize {
        FIXED_SENSE_LEN + self.additional.len()
    }

    fn emit_fixed(&self, buf: &mut [u8]) -> Result<()> {
        let len = self.fixed_len();
        check_out(WHAT_FIXED, buf, len)?;
        if len > MAX_SENSE_LEN {
            return Err(WireError::Overflow {
                what: WHAT_FIXED,
                field: "ADDITIONAL SENSE LENGTH",
                value: (len - field::HEADER_LEN) as u64,
            });
        }
        let sks = match &self.sense_key_specific {
            Some(s) => s.encode()?,
            None => [0; 3],
        };
        let out = &mut buf[..len];
        out.fill(0);
        let mut v = FixedSenseView::new_unchecked(&mut *out);
        v.set_valid(self.valid);
        v.set_response_code(if self.deferred { 0x71 } else { 0x70 });
        v.set_obsolete(self.obsolete);
        v.set_filemark(self.filemark);
        v.set_eom(self.eom);
        v.set_ili(self.ili);
        v.set_sdat_ovfl(self.sdat_ovfl);
        v.set_sense_key(self.sense_key.code());
        v.set_information(self.information);
        v.set_additional_sense_length((len - field::HEADER_LEN) as u8);
        v.set_command_specific(self.command_specific);
        v.set_asc(self.asc);
        v.set_ascq(self.ascq);
        v.set_fru(self.fru);
        v.set_sense_key_specific(sks);
        out[field::FX_ADDITIONAL..].copy_from_slice(&self.additional);
        Ok(())
    }
}

impl From<FixedSense> for SenseData {
    fn from(s: FixedSense) -> Self {
        Self::Fixed(s)
    }
}

// ---------------------------------------------------------------------------
// Descriptor format
// ---------------------------------------------------------------------------

/// Descriptor format sense data (SPC-4 r37 §4.5.2), response codes 72h / 73h.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DescriptorSense {
    /// Deferred error (73h) rather than current (72h).
    pub deferred: bool,
    /// SENSE KEY.
    pub sense_key: SenseKey,
    /// ADDITIONAL SENSE CODE.
    pub asc: u8,
    /// ADDITIONAL SENSE CODE QUALIFIER.
    pub ascq: u8,
    /// SDAT_OVFL: the device's sense did not fit its own buffer.
    pub sdat_ovfl: bool,
    /// The sense data descriptors, in order.
    pub descriptors: Vec<SenseDescriptor>,
    /// The ADDITIONAL SENSE LENGTH claimed more bytes than the buffer held,
    /// or the last descriptor was cut (it is dropped).
    pub truncated: bool,
}

impl DescriptorSense {
    /// Current-error descriptor sense with `key`, `asc`, `ascq` and no
    /// descriptors.
    pub fn new(key: SenseKey, asc: u8, ascq: u8) -> Self {
        Self {
            deferred: false,
            sense_key: key,
            asc,
            ascq,
            sdat_ovfl: false,
            descriptors: Vec::new(),
            truncated: false,
        }
    }

    /// Marks the error deferred (response code 73h).
    pub fn deferred(mut self) -> Self {
        self.deferred = true;
        self
    }

    /// Replaces the first descriptor of the same type, or appends.
    pub fn with_descriptor(mut self, d: SenseDescriptor) -> Self {
        let t = d.descriptor_type();
        // Forwarded sense may appear more than once (source and destination).
        let replace = t != descriptor_type::FORWARDED;
        match self
            .descriptors
            .iter_mut()
            .find(|x| replace && x.descriptor_type() == t)
        {
            Some(slot) => *slot = d,
            None => self.descriptors.push(d),
        }
        self
    }

    /// Sets an information descriptor (VALID set).
    pub fn with_information(self, information: u64) -> Self {
        self.with_descriptor(SenseDescriptor::Information {
            valid: true,
            information,
        })
    }

    /// Sets a command-specific information descriptor.
    pub fn with_command_specific(self, csi: u64) -> Self {
        self.with_descriptor(SenseDescriptor::CommandSpecific(csi))
    }

    /// Puts a failed segment descriptor's index in the COMMAND-SPECIFIC
    /// INFORMATION (a four-byte quantity: the first four bytes zero).
    pub fn with_failed_segment(self, index: u16) -> Self {
        self.with_command_specific(u64::from(index))
    }

    /// Sets a sense key specific descriptor.
    pub fn with_sense_key_specific(self, sks: SenseKeySpecific) -> Self {
        self.with_descriptor(SenseDescriptor::SenseKeySpecific(sks))
    }

    /// Sets a field replaceable unit descriptor.
    pub fn with_fru(self, fru: u8) -> Self {
        self.with_descriptor(SenseDescriptor::FieldReplaceableUnit(fru))
    }

    /// Sets a stream commands descriptor.
    pub fn with_stream_flags(self, filemark: bool, eom: bool, ili: bool) -> Self {
        self.with_descriptor(SenseDescriptor::StreamCommands { filemark, eom, ili })
    }

    /// Appends a forwarded sense data descriptor.
    pub fn with_forwarded(self, fw: ForwardedSense) -> Self {
        self.with_descriptor(SenseDescriptor::Forwarded(fw))
    }

    fn parse_descriptor(buf: &[u8]) -> Result<Self> {
        let v = DescriptorSenseView::new_checked(buf)?;
        let key = SenseKey::from_bits(v.sense_key());
        let declared = field::HEADER_LEN + usize::from(v.additional_sense_length());
        let mut truncated = declared > buf.len();
        let region = &buf[field::HEADER_LEN..declared.min(buf.len())];
        let mut descriptors = Vec::new();
        let mut pos = 0usize;
        while pos < region.len() {
            let rest = &region[pos..];
            let Ok(head) = SenseDescriptorView::new_checked(rest) else {
                truncated = true;
                break;
            };
            let end = field::DESC_HEADER_LEN + usize::from(head.additional_length());
            let Some(one) = rest.get(..end) else {
                truncated = true;
                break;
            };
            descriptors.push(SenseDescriptor::decode(key, one));
            pos += end;
        }
        Ok(Self {
            deferred: v.response_code() == 0x73,
            sense_key: key,
            asc: v.asc(),
            ascq: v.ascq(),
            sdat_ovfl: v.sdat_ovfl(),
            descriptors,
            truncated,
        })
    }

    fn descriptor_len(&self) -> usize {
        field::HEADER_LEN
            + self
                .descriptors
                .iter()
                .map(SenseDescriptor::len)
                .sum::<usize>()
    }

    fn emit_descriptor(&self, buf: &mut [u8]) -> Result<()> {
        let len = self.descriptor_len();
        check_out(WHAT_DESC, buf, len)?;
        if len > MAX_SENSE_LEN {
            return Err(WireError::Overflow {
                what: WHAT_DESC,
                field: "ADDITIONAL SENSE LENGTH",
                value: (len - field::HEADER_LEN) as u64,
            });
        }
        let out = &mut buf[..len];
        out[..field::HEADER_LEN].fill(0);
        let mut v = DescriptorSenseView::new_unchecked(&mut *out);
        v.set_response_code(if self.deferred { 0x73 } else { 0x72 });
        v.set_sense_key(self.sense_key.code());
        v.set_asc(self.asc);
        v.set_ascq(self.ascq);
        v.set_sdat_ovfl(self.sdat_ovfl);
        v.set_additional_sense_length((len - field::HEADER_LEN) as u8);
        let mut pos = field::HEADER_LEN;
        for d in &self.descriptors {
            let end = pos + d.len();
            d.encode(&mut out[pos..end])?;
            pos = end;
        }
        Ok(())
    }

    fn find(&self, t: u8) -> Option<&SenseDescriptor> {
        self.descriptors.iter().find(|d| d.descriptor_type() == t)
    }
}

impl From<DescriptorSense> for SenseData {
    fn from(s: DescriptorSense) -> Self {
        Self::Descriptor(s)
    }
}

// ---------------------------------------------------------------------------
// Sense data
// ---------------------------------------------------------------------------

/// Sense data in any of the formats SPC-4 defines.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SenseData {
    /// Fixed format (70h / 71h).
    Fixed(FixedSense),
    /// Descriptor format (72h / 73h).
    Descriptor(DescriptorSense),
    /// Vendor specific format (7Fh): the whole buffer, raw.
    VendorSpecific(Vec<u8>),
}

impl SenseData {
    /// Starts fixed format sense (a builder; `.into()` makes it
    /// [`SenseData`]).
    pub fn fixed(key: SenseKey, asc: u8, ascq: u8) -> FixedSense {
        FixedSense::new(key, asc, ascq)
    }

    /// Starts descriptor format sense (a builder; `.into()` makes it
    /// [`SenseData`]).
    pub fn descriptor(key: SenseKey, asc: u8, ascq: u8) -> DescriptorSense {
        DescriptorSense::new(key, asc, ascq)
    }

    /// The RESPONSE CODE (70h–73h or 7Fh).
    pub fn response_code(&self) -> u8 {
        match self {
            Self::Fixed(s) if s.deferred => 0x71,
            Self::Fixed(_) => 0x70,
            Self::Descriptor(s) if s.deferred => 0x73,
            Self::Descriptor(_) => 0x72,
            Self::VendorSpecific(_) => 0x7f,
        }
    }

    /// The SENSE KEY (`None` for vendor specific format).
    pub fn sense_key(&self) -> Option<SenseKey> {
        match self {
            Self::Fixed(s) => Some(s.sense_key),
            Self::Descriptor(s) => Some(s.sense_key),
            Self::VendorSpecific(_) => None,
        }
    }

    /// ADDITIONAL SENSE CODE and QUALIFIER.
    pub fn asc_ascq(&self) -> Option<(u8, u8)> {
        match self {
            Self::Fixed(s) => Some((s.asc, s.ascq)),
            Self::Descriptor(s) => Some((s.asc, s.ascq)),
            Self::VendorSpecific(_) => None,
        }
    }

    /// ASC/ASCQ as a value that prints in words.
    pub fn additional_sense(&self) -> Option<AdditionalSense> {
        self.asc_ascq()
            .map(|(asc, ascq)| AdditionalSense { asc, ascq })
    }

    /// A deferred error (71h / 73h).
    pub fn is_deferred(&self) -> bool {
        matches!(
            self,
            Self::Fixed(FixedSense { deferred: true, .. })
                | Self::Descriptor(DescriptorSense { deferred: true, .. })
        )
    }

    /// The device's sense was longer than the buffer that carried it.
    pub fn is_truncated(&self) -> bool {
        match self {
            Self::Fixed(s) => s.truncated,
            Self::Descriptor(s) => s.truncated,
            Self::VendorSpecific(_) => false,
        }
    }

    /// INFORMATION, when VALID (fixed: VALID bit; descriptor: an information
    /// descriptor with VALID set).
    pub fn information(&self) -> Option<u64> {
        match self {
            Self::Fixed(s) => s.valid.then_some(u64::from(s.information)),
            Self::Descriptor(s) => match s.find(descriptor_type::INFORMATION) {
                Some(SenseDescriptor::Information {
                    valid: true,
                    information,
                }) => Some(*information),
                _ => None,
            },
            Self::VendorSpecific(_) => None,
        }
    }

    /// COMMAND-SPECIFIC INFORMATION (fixed: always present, zero when
    /// unused; descriptor: when a 01h descriptor is there).
    pub fn command_specific(&self) -> Option<u64> {
        match self {
            Self::Fixed(s) => Some(u64::from(s.command_specific)),
            Self::Descriptor(s) => match s.find(descriptor_type::COMMAND_SPECIFIC) {
                Some(SenseDescriptor::CommandSpecific(c)) => Some(*c),
                _ => None,
            },
            Self::VendorSpecific(_) => None,
        }
    }

    /// The decoded sense-key-specific field, if any.
    pub fn sense_key_specific(&self) -> Option<SenseKeySpecific> {
        match self {
            Self::Fixed(s) => s.sense_key_specific,
            Self::Descriptor(s) => match s.find(descriptor_type::SENSE_KEY_SPECIFIC) {
                Some(SenseDescriptor::SenseKeySpecific(k)) => Some(*k),
                _ => None,
            },
            Self::VendorSpecific(_) => None,
        }
    }

    /// The field pointer of an ILLEGAL REQUEST.
    pub fn field_pointer(&self) -> Option<FieldPointer> {
        match self.sense_key_specific() {
            Some(SenseKeySpecific::FieldPointer(p)) => Some(p),
            _ => None,
        }
    }

    /// The segment pointer of a COPY ABORTED.
    pub fn segment_pointer(&self) -> Option<SegmentPointer> {
        match self.sense_key_specific() {
            Some(SenseKeySpecific::SegmentPointer(p)) => Some(p),
            _ => None,
        }
    }

    /// The progress indication of a NO SENSE or NOT READY.
    pub fn progress_indication(&self) -> Option<u16> {
        match self.sense_key_specific() {
            Some(SenseKeySpecific::ProgressIndication(p)) => Some(p),
            _ => None,
        }
    }

    /// For COPY ABORTED: the index of the segment descriptor being processed,
    /// from bytes 2–3 of the (four-byte) COMMAND-SPECIFIC INFORMATION. `None`
    /// for other sense keys, or when a descriptor-format value does not fit
    /// four bytes. A copy manager that reports nothing (Linux LIO sends zero)
    /// cannot be told from one that reports segment 0.
    pub fn failed_segment_index(&self) -> Option<u16> {
        if self.sense_key() != Some(SenseKey::CopyAborted) {
            return None;
        }
        let csi = u32::try_from(self.command_specific()?).ok()?;
        Some((csi & 0xffff) as u16)
    }

    /// The forwarded sense data descriptors (descriptor format only).
    pub fn forwarded(&self) -> impl Iterator<Item = &ForwardedSense> {
        let list: &[SenseDescriptor] = match self {
            Self::Descriptor(s) => &s.descriptors,
            _ => &[],
        };
        list.iter().filter_map(|d| match d {
            SenseDescriptor::Forwarded(f) => Some(f),
            _ => None,
        })
    }

    fn stream_flags(&self) -> (bool, bool, bool) {
        match self {
            Self::Fixed(s) => (s.filemark, s.eom, s.ili),
            Self::Descriptor(s) => {
                let mut flags = (false, false, false);
                for d in &s.descriptors {
                    match *d {
                        SenseDescriptor::StreamCommands { filemark, eom, ili } => {
                            flags = (filemark, eom, flags.2 || ili)
                        }
                        SenseDescriptor::BlockCommands { ili } => flags.2 |= ili,
                        _ => {}
                    }
                }
                flags
            }
            Self::VendorSpecific(_) => (false, false, false),
        }
    }

    /// FILEMARK (fixed byte 2, or the stream commands descriptor).
    pub fn filemark(&self) -> bool {
        self.stream_flags().0
    }

    /// EOM (fixed byte 2, or the stream commands descriptor).
    pub fn eom(&self) -> bool {
        self.stream_flags().1
    }

    /// ILI (fixed byte 2, or the stream / block commands descriptor).
    pub fn ili(&self) -> bool {
        self.stream_flags().2
    }

    fn fmt_at(&self, f: &mut fmt::Formatter<'_>, indent: usize, depth: usize) -> fmt::Result {
        let pad = " ".repeat(indent);
        let (format, deferred, key, asc, ascq) = match self {
            Self::Fixed(s) => ("Fixed", s.deferred, s.sense_key, s.asc, s.ascq),
            Self::Descriptor(s) => ("Descriptor", s.deferred, s.sense_key, s.asc, s.ascq),
            Self::VendorSpecific(b) => {
                return write!(
                    f,
                    "{pad}Vendor specific format sense data ({} bytes): {}",
                    b.len(),
                    crate::wire::Hex(b)
                );
            }
        };
        write!(
            f,
            "{pad}{format} format, {}; Sense key: {key}; Additional sense: {}",
            if deferred { "deferred" } else { "current" },
            AdditionalSense { asc, ascq }
        )?;
        let line =
            |f: &mut fmt::Formatter<'_>, text: fmt::Arguments<'_>| write!(f, "\n{pad}  {text}");
        let copy_aborted = key == SenseKey::CopyAborted;
        let segment = self.failed_segment_index();
        match self {
            Self::Fixed(s) => {
                if s.valid {
                    line(f, format_args!("Information: {0:#x} ({0})", s.information))?;
                } else if s.information != 0 {
                    line(
                        f,
                        format_args!("Information (VALID clear): {:#x}", s.information),
                    )?;
                }
                if s.command_specific != 0 || (copy_aborted && s.sense_key_specific.is_some()) {
                    line(
                        f,
                        format_args!("Command-specific information: {:#x}", s.command_specific),
                    )?;
                }
                if s.filemark || s.eom || s.ili {
                    line(
                        f,
                        format_args!("{}", stream_words(s.filemark, s.eom, s.ili)),
                    )?;
                }
                if let Some(sks) = &s.sense_key_specific {
                    line(f, format_args!("{}", SksWords(sks, segment)))?;
                }
                if s.fru != 0 {
                    line(
                        f,
                        format_args!("Field replaceable unit code: {:#04x}", s.fru),
                    )?;
                }
                if s.sdat_ovfl {
                    line(f, format_args!("Sense data overflow (SDAT_OVFL)"))?;
                }
                if !s.additional.is_empty() {
                    line(
                        f,
                        format_args!(
                            "Additional sense bytes: {}",
                            crate::wire::Hex(&s.additional)
                        ),
                    )?;
                }
            }
            Self::Descriptor(s) => {
                if s.sdat_ovfl {
                    line(f, format_args!("Sense data overflow (SDAT_OVFL)"))?;
                }
                for d in &s.descriptors {
                    match d {
                        SenseDescriptor::Information { valid, information } => line(
                            f,
                            format_args!(
                                "Information: {0:#x} ({0}){1}",
                                information,
                                if *valid { "" } else { " [VALID clear]" }
                            ),
                        )?,
                        SenseDescriptor::CommandSpecific(c) => {
                            line(f, format_args!("Command-specific information: {c:#x}"))?
                        }
                        SenseDescriptor::SenseKeySpecific(sks) => {
                            line(f, format_args!("{}", SksWords(sks, segment)))?
                        }
                        SenseDescriptor::FieldReplaceableUnit(code) => {
                            line(f, format_args!("Field replaceable unit code: {code:#04x}"))?
                        }
                        SenseDescriptor::StreamCommands { filemark, eom, ili } => line(
                            f,
                            format_args!(
                                "Stream commands: {}",
                                stream_words(*filemark, *eom, *ili)
                            ),
                        )?,
                        SenseDescriptor::BlockCommands { ili } => line(
                            f,
                            format_args!(
                                "Block commands: ILI {}",
                                if *ili { "set" } else { "clear" }
                            ),
                        )?,
                        SenseDescriptor::Forwarded(fw) => {
                            line(
                                f,
                                format_args!(
                                    "Forwarded sense data from the {}, status {}{}:",
                                    fw.source.name(),
                                    StatusWords(fw.status),
                                    if fw.fsdt { ", truncated (FSDT)" } else { "" }
                                ),
                            )?;
                            match fw.sense() {
                                Some(inner) if depth < 4 => {
                                    writeln!(f)?;
                                    inner.fmt_at(f, indent + 4, depth + 1)?;
                                }
                                _ if fw.sense_data.is_empty() => {
                                    write!(f, "\n{pad}    (no sense data)")?
                                }
                                _ => write!(f, "\n{pad}    {}", crate::wire::Hex(&fw.sense_data))?,
                            }
                        }
                        SenseDescriptor::Other {
                            descriptor_type,
                            data,
                        } => line(
                            f,
                            format_args!(
                                "Descriptor {:#04x} ({}): {}",
                                descriptor_type,
                                descriptor_type_name(*descriptor_type),
                                crate::wire::Hex(data)
                            ),
                        )?,
                    }
                }
            }
            Self::VendorSpecific(_) => {}
        }
        if self.is_truncated() {
            line(
                f,
                format_args!("Sense data truncated: the device sent more than the buffer held"),
            )?;
        }
        Ok(())
    }
}

fn stream_words(filemark: bool, eom: bool, ili: bool) -> String {
    let mut words = Vec::new();
    if filemark {
        words.push("FILEMARK");
    }
    if eom {
        words.push("EOM");
    }
    if ili {
        words.push("ILI");
    }
    if words.is_empty() {
        "no flags".into()
    } else {
        words.join(" ")
    }
}

/// A sense-key-specific field in words, naming the segment for SD=1.
struct SksWords<'a>(&'a SenseKeySpecific, Option<u16>);

impl fmt::Display for SksWords<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (SenseKeySpecific::SegmentPointer(p), Some(index)) if p.segment_descriptor => {
                write!(
                    f,
                    "Segment pointer: segment descriptor {index}, byte {}",
                    p.field_pointer
                )?;
                if let Some(b) = p.bit_pointer {
                    write!(f, ", bit {b}")?;
                }
                Ok(())
            }
            (sks, _) => sks.fmt(f),
        }
    }
}

/// A SCSI status byte in words.
struct StatusWords(u8);

impl fmt::Display for StatusWords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0x00 => "GOOD",
            0x02 => "CHECK CONDITION",
            0x04 => "CONDITION MET",
            0x08 => "BUSY",
            0x18 => "RESERVATION CONFLICT",
            0x28 => "TASK SET FULL",
            0x30 => "ACA ACTIVE",
            0x40 => "TASK ABORTED",
            _ => return write!(f, "{:#04x}", self.0),
        };
        write!(f, "{name} ({:#04x})", self.0)
    }
}

impl fmt::Display for SenseData {
    /// Multi-line, in the manner of sg3_utils' `sg_decode_sense`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_at(f, 0, 0)
    }
}

impl Repr for SenseData {
    fn parse(buf: &[u8]) -> Result<Self> {
        check_len("sense data", buf, 1)?;
        match buf[field::RESPONSE_CODE] & 0x7f {
            0x70 | 0x71 => FixedSense::parse_fixed(buf).map(Self::Fixed),
            0x72 | 0x73 => DescriptorSense::parse_descriptor(buf).map(Self::Descriptor),
            0x7f => Ok(Self::VendorSpecific(buf.to_vec())),
            code => Err(WireError::InvalidField {
                what: "sense data",
                field: "RESPONSE CODE",
                value: u64::from(code),
            }),
        }
    }

    fn buffer_len(&self) -> usize {
        match self {
            Self::Fixed(s) => s.fixed_len(),
            Self::Descriptor(s) => s.descriptor_len(),
            Self::VendorSpecific(b) => b.len(),
        }
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        match self {
            Self::Fixed(s) => s.emit_fixed(buf),
            Self::Descriptor(s) => s.emit_descriptor(buf),
            Self::VendorSpecific(b) => {
                check_out("vendor specific sense data", buf, b.len())?;
                buf[..b.len()].copy_from_slice(b);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// LIO's COPY ABORTED, 0D/02, as the lab saw it for every failure.
    const LIO_COPY_ABORTED: [u8; 18] = [
        0x70, // VALID 0, RESPONSE CODE 70h (fixed, current)
        0x00, // obsolete
        0x0a, // FILEMARK/EOM/ILI/SDAT_OVFL 0, SENSE KEY Ah COPY ABORTED
        0x00, 0x00, 0x00, 0x00, // INFORMATION
        0x0a, // ADDITIONAL SENSE LENGTH: 10
        0x00, 0x00, 0x00, 0x00, // COMMAND-SPECIFIC INFORMATION
        0x0d, 0x02, // ASC/ASCQ: copy target device not reachable
        0x00, // FRU
        0x00, 0x00, 0x00, // SKSV 0
    ];

    /// COPY ABORTED with a segment pointer into segment descriptor 3.
    const SEGMENT_POINTER: [u8; 18] = [
        0xf0, // VALID 1, 70h
        0x00, //
        0x0a, // COPY ABORTED
        0x00, 0x00, 0x00, 0x40, // INFORMATION: residue 64 blocks
        0x0a, // ADDITIONAL SENSE LENGTH
        0x00, 0x00, 0x00, 0x03, // CSI: bytes 2-3 = segment descriptor 3
        0x0d, 0x01, // third party device failure
        0x00, // FRU
        0xaa, // SKSV 1, SD 1, BPV 1, BIT POINTER 2
        0x00, 0x0c, // FIELD POINTER 12
    ];

    fn forwarded_medium_error() -> SenseData {
        let inner: SenseData = SenseData::fixed(SenseKey::MediumError, 0x0c, 0x00)
            .with_information(0x1234)
            .into();
        SenseData::descriptor(SenseKey::CopyAborted, 0x0d, 0x01)
            .with_information(16)
            .with_failed_segment(2)
            .with_sense_key_specific(SenseKeySpecific::SegmentPointer(SegmentPointer {
                segment_descriptor: true,
                bit_pointer: None,
                field_pointer: 20,
            }))
            .with_forwarded(
                ForwardedSense::new(SenseDataSource::CopyDestination, 0x02, &inner).unwrap(),
            )
            .into()
    }

    #[test]
    fn lio_copy_aborted_parses() {
        let s = SenseData::parse(&LIO_COPY_ABORTED).unwrap();
        assert_eq!(s.sense_key(), Some(SenseKey::CopyAborted));
        assert_eq!(s.asc_ascq(), Some((0x0d, 0x02)));
        assert!(!s.is_deferred());
        assert_eq!(s.information(), None);
        assert_eq!(s.command_specific(), Some(0));
        assert_eq!(s.segment_pointer(), None);
        assert_eq!(s.failed_segment_index(), Some(0));
        assert!(!s.is_truncated());
        assert_eq!(
            s.to_string(),
            "Fixed format, current; Sense key: COPY ABORTED; \
             Additional sense: Copy target device not reachable (0x0d/0x02)"
        );
    }

    #[test]
    fn lio_copy_aborted_emits_over_garbage() {
        let s: SenseData = SenseData::fixed(SenseKey::CopyAborted, 0x0d, 0x02).into();
        let mut buf = [0xa5u8; 24];
        s.emit(&mut buf).unwrap();
        assert_eq!(&buf[..18], &LIO_COPY_ABORTED);
        assert_eq!(&buf[18..], &[0xa5; 6]);
        assert_eq!(s.buffer_len(), 18);
    }

    #[test]
    fn segment_pointer_golden() {
        let s = SenseData::parse(&SEGMENT_POINTER).unwrap();
        assert_eq!(s.information(), Some(64));
        assert_eq!(s.failed_segment_index(), Some(3));
        assert_eq!(
            s.segment_pointer(),
            Some(SegmentPointer {
                segment_descriptor: true,
                bit_pointer: Some(2),
                field_pointer: 12
            })
        );
        let built: SenseData = SenseData::fixed(SenseKey::CopyAborted, 0x0d, 0x01)
            .with_information(64)
            .with_failed_segment(3)
            .with_sense_key_specific(SenseKeySpecific::SegmentPointer(SegmentPointer {
                segment_descriptor: true,
                bit_pointer: Some(2),
                field_pointer: 12,
            }))
            .into();
        assert_eq!(built, s);
        let mut buf = [0xa5u8; 18];
        built.emit(&mut buf).unwrap();
        assert_eq!(buf, SEGMENT_POINTER);
        let text = s.to_string();
        assert!(
            text.contains("Segment pointer: segment descriptor 3, byte 12, bit 2"),
            "{text}"
        );
        assert!(text.contains("Information: 0x40 (64)"), "{text}");
    }

    #[test]
    fn parameter_list_pointer_in_words() {
        let s: SenseData = SenseData::fixed(SenseKey::CopyAborted, 0x26, 0x0a)
            .with_sense_key_specific(SenseKeySpecific::SegmentPointer(SegmentPointer {
                segment_descriptor: false,
                bit_pointer: None,
                field_pointer: 44,
            }))
            .into();
        assert!(s
            .to_string()
            .contains("Segment pointer: parameter list byte 44"));
    }

    #[test]
    fn descriptor_with_forwarded_round_trips() {
        let s = forwarded_medium_error();
        let bytes = s.to_vec().unwrap();
        // Header: 72h, key Ah, 0D/01, ASL = 12 + 12 + 8 + (4 + 18).
        assert_eq!(&bytes[..8], &[0x72, 0x0a, 0x0d, 0x01, 0, 0, 0, 54]);
        // Forwarded descriptor header: 0Ch, AL 20, source 2, CHECK CONDITION.
        assert_eq!(&bytes[40..44], &[0x0c, 20, 0x02, 0x02]);
        let back = SenseData::parse(&bytes).unwrap();
        assert_eq!(back, s);
        let fw: Vec<_> = back.forwarded().collect();
        assert_eq!(fw.len(), 1);
        assert_eq!(fw[0].source, SenseDataSource::CopyDestination);
        let inner = fw[0].sense().unwrap();
        assert_eq!(inner.sense_key(), Some(SenseKey::MediumError));
        assert_eq!(inner.information(), Some(0x1234));
        assert_eq!(back.failed_segment_index(), Some(2));
        let text = back.to_string();
        assert!(
            text.contains(
                "Forwarded sense data from the copy destination, status CHECK CONDITION (0x02):"
            ),
            "{text}"
        );
        assert!(
            text.contains("    Fixed format, current; Sense key: MEDIUM ERROR; Additional sense: Write error (0x0c/0x00)"),
            "{text}"
        );
        assert!(
            text.contains("Segment pointer: segment descriptor 2, byte 20"),
            "{text}"
        );
    }

    #[test]
    fn emit_over_garbage_writes_every_byte() {
        let s = forwarded_medium_error();
        let want = s.to_vec().unwrap();
        let mut buf = vec![0xa5u8; want.len() + 3];
        s.emit(&mut buf).unwrap();
        assert_eq!(&buf[..want.len()], &want[..]);
        assert_eq!(&buf[want.len()..], &[0xa5; 3]);
    }

    #[test]
    fn field_pointer_decodes() {
        // ILLEGAL REQUEST, invalid field in parameter list, byte 2 bit 5 of
        // the parameter data.
        let b = [
            0x70, 0, 0x05, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x26, 0x00, 0, 0x8d, 0x00, 0x02,
        ];
        let s = SenseData::parse(&b).unwrap();
        assert_eq!(
            s.field_pointer(),
            Some(FieldPointer {
                command: false,
                bit_pointer: Some(5),
                field_pointer: 2
            })
        );
        assert!(s
            .to_string()
            .contains("Field pointer: parameter data byte 2, bit 5"));
    }

    #[test]
    fn sense_key_specific_per_key() {
        let raw = [0x80, 0x80, 0x00];
        assert_eq!(
            SenseKeySpecific::decode(SenseKey::NotReady, raw),
            Some(SenseKeySpecific::ProgressIndication(0x8000))
        );
        assert_eq!(
            SenseKeySpecific::decode(SenseKey::MediumError, raw),
            Some(SenseKeySpecific::ActualRetryCount(0x8000))
        );
        assert_eq!(
            SenseKeySpecific::decode(SenseKey::UnitAttention, [0x81, 0, 0]),
            Some(SenseKeySpecific::UnitAttentionQueueOverflow(true))
        );
        // SKSV clear but bytes set: kept raw.
        assert_eq!(
            SenseKeySpecific::decode(SenseKey::IllegalRequest, [0x00, 0x01, 0x02]),
            Some(SenseKeySpecific::Other([0x00, 0x01, 0x02]))
        );
        // Reserved bit set in a field pointer: kept raw so emit is exact.
        assert_eq!(
            SenseKeySpecific::decode(SenseKey::IllegalRequest, [0x90, 0x00, 0x02]),
            Some(SenseKeySpecific::Other([0x90, 0x00, 0x02]))
        );
        // A key with no format.
        assert_eq!(
            SenseKeySpecific::decode(SenseKey::DataProtect, [0x80, 0x00, 0x02]),
            Some(SenseKeySpecific::Other([0x80, 0x00, 0x02]))
        );
        assert_eq!(SenseKeySpecific::decode(SenseKey::NoSense, [0, 0, 0]), None);
        assert_eq!(
            SenseKeySpecific::ProgressIndication(0x8000).to_string(),
            "Progress indication: 50.00%"
        );
    }

    #[test]
    fn tape_filemark_and_residue() {
        let s: SenseData = SenseData::fixed(SenseKey::NoSense, 0x00, 0x01)
            .with_stream_flags(true, false, false)
            .with_information(3)
            .into();
        assert!(s.filemark() && !s.eom() && !s.ili());
        let d: SenseData = SenseData::descriptor(SenseKey::NoSense, 0x00, 0x02)
            .with_stream_flags(false, true, true)
            .into();
        assert!(!d.filemark() && d.eom() && d.ili());
        assert!(d.to_string().contains("Stream commands: EOM ILI"));
    }

    #[test]
    fn deferred_both_formats() {
        let f: SenseData = SenseData::fixed(SenseKey::MediumError, 0x0c, 0x00)
            .deferred()
            .into();
        assert_eq!(f.to_vec().unwrap()[0], 0x71);
        assert!(SenseData::parse(&f.to_vec().unwrap())
            .unwrap()
            .is_deferred());
        let d: SenseData = SenseData::descriptor(SenseKey::MediumError, 0x0c, 0x00)
            .deferred()
            .into();
        assert_eq!(d.to_vec().unwrap()[0], 0x73);
        assert!(d.to_string().starts_with("Descriptor format, deferred;"));
    }

    // --- negative tests, one per rule ---

    #[test]
    fn rejects_empty_buffer() {
        assert!(matches!(
            SenseData::parse(&[]),
            Err(WireError::Truncated { need: 1, .. })
        ));
    }

    #[test]
    fn rejects_buffer_shorter_than_header() {
        for format in [0x70u8, 0x72] {
            let b = [format, 0, 5, 0, 0, 0, 0];
            assert!(matches!(
                SenseData::parse(&b),
                Err(WireError::Truncated {
                    need: 8,
                    have: 7,
                    ..
                })
            ));
        }
    }

    #[test]
    fn rejects_unknown_response_code() {
        for code in [0x00u8, 0x6f, 0x74, 0x7e, 0x80 | 0x74] {
            let mut b = LIO_COPY_ABORTED;
            b[0] = code;
            assert_eq!(
                SenseData::parse(&b),
                Err(WireError::InvalidField {
                    what: "sense data",
                    field: "RESPONSE CODE",
                    value: u64::from(code & 0x7f)
                })
            );
        }
    }

    #[test]
    fn vendor_specific_kept_raw() {
        let b = [0xff, 1, 2, 3];
        let s = SenseData::parse(&b).unwrap();
        assert_eq!(s, SenseData::VendorSpecific(b.to_vec()));
        assert_eq!(s.to_vec().unwrap(), b);
        assert_eq!(s.sense_key(), None);
    }

    #[test]
    fn fixed_truncated_is_flagged_and_bounded() {
        // ADDITIONAL SENSE LENGTH claims 10 + 8 bytes; only 14 arrived.
        let mut b = SEGMENT_POINTER.to_vec();
        b[7] = 18;
        let cut = &b[..14];
        let s = SenseData::parse(cut).unwrap();
        assert!(s.is_truncated());
        assert_eq!(s.asc_ascq(), Some((0x0d, 0x01)));
        assert_eq!(s.segment_pointer(), None); // bytes 15-17 never arrived
        assert!(s.to_string().contains("Sense data truncated"));
    }

    #[test]
    fn descriptor_truncated_mid_descriptor() {
        let full = forwarded_medium_error().to_vec().unwrap();
        let cut = &full[..50]; // inside the forwarded descriptor
        let s = SenseData::parse(cut).unwrap();
        assert!(s.is_truncated());
        assert_eq!(s.forwarded().count(), 0);
        assert_eq!(s.information(), Some(16));
    }

    #[test]
    fn bytes_past_additional_length_are_ignored() {
        let mut b = LIO_COPY_ABORTED.to_vec();
        b.extend_from_slice(&[0xee; 14]); // the rest of a 32-byte sense buffer
        let s = SenseData::parse(&b).unwrap();
        assert_eq!(s.to_vec().unwrap(), LIO_COPY_ABORTED);
    }

    #[test]
    fn short_fixed_sense_reads_missing_fields_as_zero() {
        // ADDITIONAL SENSE LENGTH 6: ends after ASCQ; not truncated.
        let b = [0x70, 0, 0x05, 0, 0, 0, 0, 0x06, 0, 0, 0, 0, 0x24, 0x00];
        let s = SenseData::parse(&b).unwrap();
        assert!(!s.is_truncated());
        assert_eq!(s.asc_ascq(), Some((0x24, 0)));
        assert_eq!(s.buffer_len(), 18); // re-emitted in full
    }

    #[test]
    fn emit_rejects_short_buffer() {
        let s: SenseData = SenseData::fixed(SenseKey::NoSense, 0, 0).into();
        assert!(matches!(
            s.emit(&mut [0u8; 17]),
            Err(WireError::BufferTooSmall { need: 18, .. })
        ));
    }

    #[test]
    fn emit_rejects_bit_pointer_over_7() {
        let s: SenseData = SenseData::fixed(SenseKey::IllegalRequest, 0x24, 0)
            .with_sense_key_specific(SenseKeySpecific::FieldPointer(FieldPointer {
                command: true,
                bit_pointer: Some(8),
                field_pointer: 1,
            }))
            .into();
        assert!(matches!(
            s.to_vec(),
            Err(WireError::Overflow {
                field: "BIT POINTER",
                ..
            })
        ));
    }

    #[test]
    fn emit_rejects_too_many_additional_bytes() {
        let s: SenseData = SenseData::fixed(SenseKey::NoSense, 0, 0)
            .with_additional(vec![0; 246])
            .into();
        assert!(matches!(
            s.to_vec(),
            Err(WireError::Overflow {
                field: "ADDITIONAL SENSE LENGTH",
                ..
            })
        ));
    }

    #[test]
    fn emit_rejects_descriptors_over_255_bytes() {
        let mut d = SenseData::descriptor(SenseKey::NoSense, 0, 0);
        for t in 0x80..0x83u8 {
            d = d.with_descriptor(SenseDescriptor::Other {
                descriptor_type: t,
                data: vec![0; 100],
            });
        }
        assert!(matches!(
            SenseData::from(d).to_vec(),
            Err(WireError::Overflow {
                field: "ADDITIONAL SENSE LENGTH",
                ..
            })
        ));
        let big = SenseData::from(
            SenseData::descriptor(SenseKey::NoSense, 0, 0).with_descriptor(
                SenseDescriptor::Other {
                    descriptor_type: 0x80,
                    data: vec![0; 256],
                },
            ),
        );
        // A descriptor longer than 255 bytes cannot fit the sense either.
        assert!(matches!(big.to_vec(), Err(WireError::Overflow { .. })));
    }

    #[test]
    fn known_descriptor_with_odd_length_kept_raw() {
        // An information descriptor with ADDITIONAL LENGTH 6 instead of 0Ah.
        let b = [
            0x72, 0x03, 0x11, 0x00, 0, 0, 0, 8, 0x00, 0x06, 0x80, 0, 1, 2, 3, 4,
        ];
        let s = SenseData::parse(&b).unwrap();
        let SenseData::Descriptor(d) = &s else {
            panic!()
        };
        assert_eq!(
            d.descriptors,
            vec![SenseDescriptor::Other {
                descriptor_type: 0,
                data: vec![0x80, 0, 1, 2, 3, 4]
            }]
        );
        assert_eq!(s.information(), None);
        assert_eq!(s.to_vec().unwrap(), b);
    }

    #[test]
    fn mutation_flip_and_cut_never_panics() {
        let golden = [
            LIO_COPY_ABORTED.to_vec(),
            SEGMENT_POINTER.to_vec(),
            forwarded_medium_error().to_vec().unwrap(),
        ];
        for g in &golden {
            for i in 0..g.len() {
                for bit in 0..8 {
                    let mut m = g.clone();
                    m[i] ^= 1 << bit;
                    if let Ok(s) = SenseData::parse(&m) {
                        let _ = s.to_string();
                        let _ = s.to_vec();
                    }
                }
                let cut = &g[..i];
                match SenseData::parse(cut) {
                    Ok(s) => {
                        assert!(i >= 8);
                        assert!(s.is_truncated(), "cut at {i} not flagged");
                        let _ = s.to_string();
                    }
                    Err(WireError::Truncated { .. }) => assert!(i < 8),
                    Err(e) => panic!("cut at {i}: {e}"),
                }
            }
        }
    }

    #[test]
    fn sense_key_names_and_codes() {
        for code in 0..16u8 {
            let k = SenseKey::from_bits(code);
            assert_eq!(k.code(), code);
        }
        assert_eq!(SenseKey::CopyAborted.to_string(), "COPY ABORTED");
        assert_eq!(SenseKey::from_bits(0xf5), SenseKey::IllegalRequest);
    }

    // --- property tests ---

    fn key() -> impl Strategy<Value = SenseKey> {
        (0u8..16).prop_map(SenseKey::from_bits)
    }

    fn sks_for(k: SenseKey) -> BoxedStrategy<Option<SenseKeySpecific>> {
        let bit = proptest::option::of(0u8..8);
        let typed: BoxedStrategy<SenseKeySpecific> = match k {
            SenseKey::IllegalRequest => (any::<bool>(), bit, any::<u16>())
                .prop_map(|(command, bit_pointer, field_pointer)| {
                    SenseKeySpecific::FieldPointer(FieldPointer {
                        command,
                        bit_pointer,
                        field_pointer,
                    })
                })
                .boxed(),
            SenseKey::RecoveredError | SenseKey::MediumError | SenseKey::HardwareError => {
                any::<u16>()
                    .prop_map(SenseKeySpecific::ActualRetryCount)
                    .boxed()
            }
            SenseKey::NoSense | SenseKey::NotReady => any::<u16>()
                .prop_map(SenseKeySpecific::ProgressIndication)
                .boxed(),
            SenseKey::CopyAborted => (any::<bool>(), bit, any::<u16>())
                .prop_map(|(segment_descriptor, bit_pointer, field_pointer)| {
                    SenseKeySpecific::SegmentPointer(SegmentPointer {
                        segment_descriptor,
                        bit_pointer,
                        field_pointer,
                    })
                })
                .boxed(),
            SenseKey::UnitAttention => any::<bool>()
                .prop_map(SenseKeySpecific::UnitAttentionQueueOverflow)
                .boxed(),
            _ => any::<[u8; 3]>()
                .prop_map(|mut b| {
                    b[0] |= 0x80;
                    SenseKeySpecific::Other(b)
                })
                .boxed(),
        };
        let sksv_clear = any::<[u8; 3]>()
            .prop_filter("nonzero", |b| *b != [0, 0, 0])
            .prop_map(|mut b| {
                b[0] &= 0x7f;
                SenseKeySpecific::Other(b)
            });
        prop_oneof![Just(None), typed.prop_map(Some), sksv_clear.prop_map(Some)].boxed()
    }

    fn fixed() -> impl Strategy<Value = FixedSense> {
        key()
            .prop_flat_map(|k| {
                (
                    (
                        Just(k),
                        sks_for(k),
                        any::<bool>(),
                        any::<bool>(),
                        any::<u8>(),
                    ),
                    (any::<[bool; 4]>(), any::<u32>(), any::<u32>()),
                    (any::<u8>(), any::<u8>(), any::<u8>()),
                    proptest::collection::vec(any::<u8>(), 0..40),
                )
            })
            .prop_map(
                |(
                    (sense_key, sks, deferred, valid, obsolete),
                    (flags, information, command_specific),
                    (asc, ascq, fru),
                    additional,
                )| FixedSense {
                    deferred,
                    valid,
                    obsolete,
                    filemark: flags[0],
                    eom: flags[1],
                    ili: flags[2],
                    sdat_ovfl: flags[3],
                    sense_key,
                    information,
                    command_specific,
                    asc,
                    ascq,
                    fru,
                    sense_key_specific: sks,
                    additional,
                    truncated: false,
                },
            )
    }

    fn descriptor_for(k: SenseKey) -> BoxedStrategy<SenseDescriptor> {
        prop_oneof![
            (any::<bool>(), any::<u64>()).prop_map(|(valid, information)| {
                SenseDescriptor::Information { valid, information }
            }),
            any::<u64>().prop_map(SenseDescriptor::CommandSpecific),
            sks_for(k).prop_map(|s| SenseDescriptor::SenseKeySpecific(
                s.unwrap_or(SenseKeySpecific::Other([0, 0, 0]))
            )),
            any::<u8>().prop_map(SenseDescriptor::FieldReplaceableUnit),
            any::<[bool; 3]>().prop_map(|f| SenseDescriptor::StreamCommands {
                filemark: f[0],
                eom: f[1],
                ili: f[2]
            }),
            any::<bool>().prop_map(|ili| SenseDescriptor::BlockCommands { ili }),
            (
                any::<bool>(),
                0u8..16,
                any::<u8>(),
                proptest::collection::vec(any::<u8>(), 0..30)
            )
                .prop_map(
                    |(fsdt, src, status, sense_data)| SenseDescriptor::Forwarded(ForwardedSense {
                        fsdt,
                        source: SenseDataSource::from_bits(src),
                        status,
                        sense_data
                    })
                ),
            (
                prop_oneof![0x06u8..=0x0b, 0x0du8..=0xff],
                proptest::collection::vec(any::<u8>(), 0..20)
            )
                .prop_map(|(descriptor_type, data)| SenseDescriptor::Other {
                    descriptor_type,
                    data
                }),
        ]
        .boxed()
    }

    fn descriptor() -> impl Strategy<Value = DescriptorSense> {
        key()
            .prop_flat_map(|k| {
                (
                    Just(k),
                    proptest::collection::vec(descriptor_for(k), 0..6),
                    any::<[bool; 2]>(),
                    any::<u8>(),
                    any::<u8>(),
                )
            })
            .prop_map(
                |(sense_key, descriptors, flags, asc, ascq)| DescriptorSense {
                    deferred: flags[0],
                    sense_key,
                    asc,
                    ascq,
                    sdat_ovfl: flags[1],
                    descriptors,
                    truncated: false,
                },
            )
    }

    fn sense() -> impl Strategy<Value = SenseData> {
        prop_oneof![
            fixed().prop_map(SenseData::Fixed),
            descriptor().prop_map(SenseData::Descriptor),
            (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..30)).prop_map(|(v, rest)| {
                let mut b = vec![0x7f | if v { 0x80 } else { 0 }];
                b.extend(rest);
                SenseData::VendorSpecific(b)
            }),
        ]
    }

    proptest! {
        #[test]
        fn emit_parse_round_trip(s in sense()) {
            let bytes = s.to_vec().unwrap();
            prop_assert_eq!(bytes.len(), s.buffer_len());
            let back = SenseData::parse(&bytes).unwrap();
            prop_assert_eq!(&back, &s);
            let _ = back.to_string();
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(s) = SenseData::parse(&bytes) {
                let _ = s.to_string();
                let _ = s.to_vec();
                for fw in s.forwarded() {
                    let _ = fw.sense();
                }
            }
        }

        #[test]
        fn parse_never_panics_on_sense_like_bytes(
            code in prop_oneof![Just(0x70u8), Just(0x71), Just(0x72), Just(0x73)],
            rest in proptest::collection::vec(any::<u8>(), 7..300),
        ) {
            let mut bytes = vec![code];
            bytes.extend(rest);
            let s = SenseData::parse(&bytes).unwrap();
            let _ = s.to_string();
        }
    }
}
