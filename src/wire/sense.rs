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
            Self::Other(b) => write!(
                f,
                "Sense key specific: {:02x} {:02x} {:02x}",
                b[0], b[1], b[2]
            ),
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

// ---------------------------------------------------------------------------
// Additional sense codes in words
// ---------------------------------------------------------------------------

/// An ASC/ASCQ pair that prints in words, e.g. "Copy target device not
/// reachable (0x0d/0x02)". Codes with no standard name print as sg3_utils
/// does ("vendor specific ASC=80, ASCQ=01 (hex)", "ASC=04, vendor specific
/// qualification ASCQ=f0 (hex)", "ASC=5f, ASCQ=00 (hex)").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdditionalSense {
    /// ADDITIONAL SENSE CODE.
    pub asc: u8,
    /// ADDITIONAL SENSE CODE QUALIFIER.
    pub ascq: u8,
}

impl fmt::Display for AdditionalSense {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (asc, ascq) = (self.asc, self.ascq);
        if let Some(template) = range_name(asc, ascq) {
            let text = template.replace("NN", &format!("{ascq:#04x}"));
            return write!(f, "{text} ({asc:#04x}/{ascq:#04x})");
        }
        match asc_name(asc, ascq) {
            Some(name) => write!(f, "{name} ({asc:#04x}/{ascq:#04x})"),
            None if asc >= 0x80 => {
                write!(f, "vendor specific ASC={asc:02x}, ASCQ={ascq:02x} (hex)")
            }
            None if ascq >= 0x80 => write!(
                f,
                "ASC={asc:02x}, vendor specific qualification ASCQ={ascq:02x} (hex)"
            ),
            None => write!(f, "ASC={asc:02x}, ASCQ={ascq:02x} (hex)"),
        }
    }
}

/// Codes whose ASCQ is a parameter (T10 writes "NN").
fn range_name(asc: u8, ascq: u8) -> Option<&'static str> {
    match (asc, ascq) {
        (0x40, 0x80..=0xff) => Some("Diagnostic failure on component NN"),
        (0x4d, _) => Some("Tagged overlapped commands (task tag NN)"),
        (0x70, _) => Some("Decompression exception short algorithm ID of NN"),
        _ => None,
    }
}

/// The additional sense code in words, as T10's `asc-num.txt` has it (in
/// sentence case), for every standard code segcopy is likely to meet.
/// Codes whose qualifier is a parameter return T10's template with "NN"
/// (40h/80h–FFh, 4Dh/NN, 70h/NN). Vendor specific codes (ASC ≥ 80h, or
/// ASCQ ≥ 80h where the standard defines none) and unlisted codes return
/// `None`; [`AdditionalSense`] prints those the way sg3_utils does.
pub fn asc_name(asc: u8, ascq: u8) -> Option<&'static str> {
    if let Some(t) = range_name(asc, ascq) {
        return Some(match asc {
            0x40 => "Diagnostic failure on component NN (80h-FFh)",
            0x4d => "Tagged overlapped commands (NN = task tag)",
            _ => t,
        });
    }
    ASC_TABLE
        .binary_search_by(|&(a, q, _)| (a, q).cmp(&(asc, ascq)))
        .ok()
        .map(|i| ASC_TABLE[i].2)
}

/// The "impending failure" family of 5Dh (SPC-4 / SBC): 13 qualifiers per
/// component, `base` + 0..=0xC.
macro_rules! impending {
    ($base:expr, $who:literal) => {
        impending!(@ $base, $who;
            0 "general hard drive failure", 1 "drive error rate too high",
            2 "data error rate too high", 3 "seek error rate too high",
            4 "too many block reassigns", 5 "access times too high",
            6 "start unit times too high", 7 "channel parametrics",
            8 "controller detected", 9 "throughput performance",
            10 "seek time performance", 11 "spin-up retry count",
            12 "drive calibration retry count")
    };
    (@ $base:expr, $who:literal; $($off:literal $what:literal),*) => {
        [$((0x5d, $base + $off, concat!($who, " impending failure ", $what))),*]
    };
}

const IMPENDING: [[(u8, u8, &str); 13]; 6] = [
    impending!(0x10, "Hardware"),
    impending!(0x20, "Controller"),
    impending!(0x30, "Data channel"),
    impending!(0x40, "Servo"),
    impending!(0x50, "Spindle"),
    impending!(0x60, "Firmware"),
];

/// Sorted by (ASC, ASCQ); `asc_name` binary-searches it. Built at compile
/// time from the main list and the 5Dh family.
static ASC_TABLE: [(u8, u8, &str); ASC_MAIN.len() + 13 * 6] = {
    let mut out = [(0u8, 0u8, ""); ASC_MAIN.len() + 13 * 6];
    let mut o = 0;
    let mut m = 0;
    // Main entries below 5Dh/10h, then the family, then the rest.
    while m < ASC_MAIN.len()
        && (ASC_MAIN[m].0 < 0x5d || (ASC_MAIN[m].0 == 0x5d && ASC_MAIN[m].1 < 0x10))
    {
        out[o] = ASC_MAIN[m];
        o += 1;
        m += 1;
    }
    let mut g = 0;
    while g < 6 {
        let mut k = 0;
        while k < 13 {
            out[o] = IMPENDING[g][k];
            o += 1;
            k += 1;
        }
        g += 1;
    }
    while m < ASC_MAIN.len() {
        out[o] = ASC_MAIN[m];
        o += 1;
        m += 1;
    }
    out
};

/// T10 asc-num.txt wording, sentence case, sorted by (ASC, ASCQ); the 5Dh
/// impending-failure family (5Dh/10h–6Ch) lives in [`IMPENDING`].
const ASC_MAIN: [(u8, u8, &str); 611] = [
    (0x00, 0x00, "No additional sense information"),
    (0x00, 0x01, "Filemark detected"),
    (0x00, 0x02, "End-of-partition/medium detected"),
    (0x00, 0x03, "Setmark detected"),
    (0x00, 0x04, "Beginning-of-partition/medium detected"),
    (0x00, 0x05, "End-of-data detected"),
    (0x00, 0x06, "I/O process terminated"),
    (0x00, 0x07, "Programmable early warning detected"),
    (0x00, 0x11, "Audio play operation in progress"),
    (0x00, 0x12, "Audio play operation paused"),
    (0x00, 0x13, "Audio play operation successfully completed"),
    (0x00, 0x14, "Audio play operation stopped due to error"),
    (0x00, 0x15, "No current audio status to return"),
    (0x00, 0x16, "Operation in progress"),
    (0x00, 0x17, "Cleaning requested"),
    (0x00, 0x18, "Erase operation in progress"),
    (0x00, 0x19, "Locate operation in progress"),
    (0x00, 0x1a, "Rewind operation in progress"),
    (0x00, 0x1b, "Set capacity operation in progress"),
    (0x00, 0x1c, "Verify operation in progress"),
    (0x00, 0x1d, "ATA pass through information available"),
    (0x00, 0x1e, "Conflicting SA creation request"),
    (
        0x00,
        0x1f,
        "Logical unit transitioning to another power condition",
    ),
    (0x00, 0x20, "Extended copy information available"),
    (0x00, 0x21, "Atomic command aborted due to ACA"),
    (0x01, 0x00, "No index/sector signal"),
    (0x02, 0x00, "No seek complete"),
    (0x03, 0x00, "Peripheral device write fault"),
    (0x03, 0x01, "No write current"),
    (0x03, 0x02, "Excessive write errors"),
    (0x04, 0x00, "Logical unit not ready, cause not reportable"),
    (0x04, 0x01, "Logical unit is in process of becoming ready"),
    (
        0x04,
        0x02,
        "Logical unit not ready, initializing command required",
    ),
    (
        0x04,
        0x03,
        "Logical unit not ready, manual intervention required",
    ),
    (0x04, 0x04, "Logical unit not ready, format in progress"),
    (0x04, 0x05, "Logical unit not ready, rebuild in progress"),
    (
        0x04,
        0x06,
        "Logical unit not ready, recalculation in progress",
    ),
    (0x04, 0x07, "Logical unit not ready, operation in progress"),
    (0x04, 0x08, "Logical unit not ready, long write in progress"),
    (0x04, 0x09, "Logical unit not ready, self-test in progress"),
    (
        0x04,
        0x0a,
        "Logical unit not accessible, asymmetric access state transition",
    ),
    (
        0x04,
        0x0b,
        "Logical unit not accessible, target port in standby state",
    ),
    (
        0x04,
        0x0c,
        "Logical unit not accessible, target port in unavailable state",
    ),
    (
        0x04,
        0x0d,
        "Logical unit not ready, structure check required",
    ),
    (
        0x04,
        0x0e,
        "Logical unit not ready, security session in progress",
    ),
    (
        0x04,
        0x10,
        "Logical unit not ready, auxiliary memory not accessible",
    ),
    (
        0x04,
        0x11,
        "Logical unit not ready, notify (enable spinup) required",
    ),
    (0x04, 0x12, "Logical unit not ready, offline"),
    (
        0x04,
        0x13,
        "Logical unit not ready, SA creation in progress",
    ),
    (
        0x04,
        0x14,
        "Logical unit not ready, space allocation in progress",
    ),
    (0x04, 0x15, "Logical unit not ready, robotics disabled"),
    (0x04, 0x16, "Logical unit not ready, configuration required"),
    (0x04, 0x17, "Logical unit not ready, calibration required"),
    (0x04, 0x18, "Logical unit not ready, a door is open"),
    (
        0x04,
        0x19,
        "Logical unit not ready, operating in sequential mode",
    ),
    (
        0x04,
        0x1a,
        "Logical unit not ready, start stop unit command in progress",
    ),
    (0x04, 0x1b, "Logical unit not ready, sanitize in progress"),
    (
        0x04,
        0x1c,
        "Logical unit not ready, additional power use not yet granted",
    ),
    (
        0x04,
        0x1d,
        "Logical unit not ready, configuration in progress",
    ),
    (
        0x04,
        0x1e,
        "Logical unit not ready, microcode activation required",
    ),
    (
        0x04,
        0x1f,
        "Logical unit not ready, microcode download required",
    ),
    (
        0x04,
        0x20,
        "Logical unit not ready, logical unit reset required",
    ),
    (0x04, 0x21, "Logical unit not ready, hard reset required"),
    (0x04, 0x22, "Logical unit not ready, power cycle required"),
    (0x05, 0x00, "Logical unit does not respond to selection"),
    (0x06, 0x00, "No reference position found"),
    (0x07, 0x00, "Multiple peripheral devices selected"),
    (0x08, 0x00, "Logical unit communication failure"),
    (0x08, 0x01, "Logical unit communication time-out"),
    (0x08, 0x02, "Logical unit communication parity error"),
    (
        0x08,
        0x03,
        "Logical unit communication CRC error (Ultra-DMA/32)",
    ),
    (0x08, 0x04, "Unreachable copy target"),
    (0x09, 0x00, "Track following error"),
    (0x09, 0x01, "Tracking servo failure"),
    (0x09, 0x02, "Focus servo failure"),
    (0x09, 0x03, "Spindle servo failure"),
    (0x09, 0x04, "Head select fault"),
    (0x09, 0x05, "Vibration induced tracking error"),
    (0x0a, 0x00, "Error log overflow"),
    (0x0b, 0x00, "Warning"),
    (0x0b, 0x01, "Warning - specified temperature exceeded"),
    (0x0b, 0x02, "Warning - enclosure degraded"),
    (0x0b, 0x03, "Warning - background self-test failed"),
    (
        0x0b,
        0x04,
        "Warning - background pre-scan detected medium error",
    ),
    (
        0x0b,
        0x05,
        "Warning - background medium scan detected medium error",
    ),
    (0x0b, 0x06, "Warning - non-volatile cache now volatile"),
    (0x0b, 0x07, "Warning - degraded power to non-volatile cache"),
    (0x0b, 0x08, "Warning - power loss expected"),
    (
        0x0b,
        0x09,
        "Warning - device statistics notification active",
    ),
    (0x0c, 0x00, "Write error"),
    (0x0c, 0x01, "Write error - recovered with auto reallocation"),
    (0x0c, 0x02, "Write error - auto reallocation failed"),
    (0x0c, 0x03, "Write error - recommend reassignment"),
    (0x0c, 0x04, "Compression check miscompare error"),
    (0x0c, 0x05, "Data expansion occurred during compression"),
    (0x0c, 0x06, "Block not compressible"),
    (0x0c, 0x07, "Write error - recovery needed"),
    (0x0c, 0x08, "Write error - recovery failed"),
    (0x0c, 0x09, "Write error - loss of streaming"),
    (0x0c, 0x0a, "Write error - padding blocks added"),
    (0x0c, 0x0b, "Auxiliary memory write error"),
    (0x0c, 0x0c, "Write error - unexpected unsolicited data"),
    (0x0c, 0x0d, "Write error - not enough unsolicited data"),
    (0x0c, 0x0e, "Multiple write errors"),
    (0x0c, 0x0f, "Defects in error window"),
    (
        0x0d,
        0x00,
        "Error detected by third party temporary initiator",
    ),
    (0x0d, 0x01, "Third party device failure"),
    (0x0d, 0x02, "Copy target device not reachable"),
    (0x0d, 0x03, "Incorrect copy target device type"),
    (0x0d, 0x04, "Copy target device data underrun"),
    (0x0d, 0x05, "Copy target device data overrun"),
    (0x0e, 0x00, "Invalid information unit"),
    (0x0e, 0x01, "Information unit too short"),
    (0x0e, 0x02, "Information unit too long"),
    (0x0e, 0x03, "Invalid field in command information unit"),
    (0x10, 0x00, "ID CRC or ECC error"),
    (0x10, 0x01, "Logical block guard check failed"),
    (0x10, 0x02, "Logical block application tag check failed"),
    (0x10, 0x03, "Logical block reference tag check failed"),
    (
        0x10,
        0x04,
        "Logical block protection error on recover buffered data",
    ),
    (0x10, 0x05, "Logical block protection method error"),
    (0x11, 0x00, "Unrecovered read error"),
    (0x11, 0x01, "Read retries exhausted"),
    (0x11, 0x02, "Error too long to correct"),
    (0x11, 0x03, "Multiple read errors"),
    (
        0x11,
        0x04,
        "Unrecovered read error - auto reallocate failed",
    ),
    (0x11, 0x05, "L-EC uncorrectable error"),
    (0x11, 0x06, "CIRC unrecovered error"),
    (0x11, 0x07, "Data re-synchronization error"),
    (0x11, 0x08, "Incomplete block read"),
    (0x11, 0x09, "No gap found"),
    (0x11, 0x0a, "Miscorrected error"),
    (
        0x11,
        0x0b,
        "Unrecovered read error - recommend reassignment",
    ),
    (
        0x11,
        0x0c,
        "Unrecovered read error - recommend rewrite the data",
    ),
    (0x11, 0x0d, "De-compression CRC error"),
    (0x11, 0x0e, "Cannot decompress using declared algorithm"),
    (0x11, 0x0f, "Error reading UPC/EAN number"),
    (0x11, 0x10, "Error reading ISRC number"),
    (0x11, 0x11, "Read error - loss of streaming"),
    (0x11, 0x12, "Auxiliary memory read error"),
    (0x11, 0x13, "Read error - failed retransmission request"),
    (
        0x11,
        0x14,
        "Read error - LBA marked bad by application client",
    ),
    (0x12, 0x00, "Address mark not found for ID field"),
    (0x13, 0x00, "Address mark not found for data field"),
    (0x14, 0x00, "Recorded entity not found"),
    (0x14, 0x01, "Record not found"),
    (0x14, 0x02, "Filemark or setmark not found"),
    (0x14, 0x03, "End-of-data not found"),
    (0x14, 0x04, "Block sequence error"),
    (0x14, 0x05, "Record not found - recommend reassignment"),
    (0x14, 0x06, "Record not found - data auto-reallocated"),
    (0x14, 0x07, "Locate operation failure"),
    (0x15, 0x00, "Random positioning error"),
    (0x15, 0x01, "Mechanical positioning error"),
    (0x15, 0x02, "Positioning error detected by read of medium"),
    (0x16, 0x00, "Data synchronization mark error"),
    (0x16, 0x01, "Data sync error - data rewritten"),
    (0x16, 0x02, "Data sync error - recommend rewrite"),
    (0x16, 0x03, "Data sync error - data auto-reallocated"),
    (0x16, 0x04, "Data sync error - recommend reassignment"),
    (
        0x17,
        0x00,
        "Recovered data with no error correction applied",
    ),
    (0x17, 0x01, "Recovered data with retries"),
    (0x17, 0x02, "Recovered data with positive head offset"),
    (0x17, 0x03, "Recovered data with negative head offset"),
    (
        0x17,
        0x04,
        "Recovered data with retries and/or CIRC applied",
    ),
    (0x17, 0x05, "Recovered data using previous sector ID"),
    (
        0x17,
        0x06,
        "Recovered data without ECC - data auto-reallocated",
    ),
    (
        0x17,
        0x07,
        "Recovered data without ECC - recommend reassignment",
    ),
    (0x17, 0x08, "Recovered data without ECC - recommend rewrite"),
    (0x17, 0x09, "Recovered data without ECC - data rewritten"),
    (0x18, 0x00, "Recovered data with error correction applied"),
    (
        0x18,
        0x01,
        "Recovered data with error corr. & retries applied",
    ),
    (0x18, 0x02, "Recovered data - data auto-reallocated"),
    (0x18, 0x03, "Recovered data with CIRC"),
    (0x18, 0x04, "Recovered data with L-EC"),
    (0x18, 0x05, "Recovered data - recommend reassignment"),
    (0x18, 0x06, "Recovered data - recommend rewrite"),
    (0x18, 0x07, "Recovered data with ECC - data rewritten"),
    (0x18, 0x08, "Recovered data with linking"),
    (0x19, 0x00, "Defect list error"),
    (0x19, 0x01, "Defect list not available"),
    (0x19, 0x02, "Defect list error in primary list"),
    (0x19, 0x03, "Defect list error in grown list"),
    (0x1a, 0x00, "Parameter list length error"),
    (0x1b, 0x00, "Synchronous data transfer error"),
    (0x1c, 0x00, "Defect list not found"),
    (0x1c, 0x01, "Primary defect list not found"),
    (0x1c, 0x02, "Grown defect list not found"),
    (0x1d, 0x00, "Miscompare during verify operation"),
    (0x1d, 0x01, "Miscompare verify of unmapped LBA"),
    (0x1e, 0x00, "Recovered ID with ECC correction"),
    (0x1f, 0x00, "Partial defect list transfer"),
    (0x20, 0x00, "Invalid command operation code"),
    (0x20, 0x01, "Access denied - initiator pending-enrolled"),
    (0x20, 0x02, "Access denied - no access rights"),
    (0x20, 0x03, "Access denied - invalid mgmt ID key"),
    (0x20, 0x04, "Illegal command while in write capable state"),
    (0x20, 0x05, "Obsolete"),
    (0x20, 0x06, "Illegal command while in explicit address mode"),
    (0x20, 0x07, "Illegal command while in implicit address mode"),
    (0x20, 0x08, "Access denied - enrollment conflict"),
    (0x20, 0x09, "Access denied - invalid LU identifier"),
    (0x20, 0x0a, "Access denied - invalid proxy token"),
    (0x20, 0x0b, "Access denied - ACL LUN conflict"),
    (0x20, 0x0c, "Illegal command when not in append-only mode"),
    (0x21, 0x00, "Logical block address out of range"),
    (0x21, 0x01, "Invalid element address"),
    (0x21, 0x02, "Invalid address for write"),
    (0x21, 0x03, "Invalid write crossing layer jump"),
    (0x21, 0x04, "Unaligned write command"),
    (0x21, 0x05, "Write boundary violation"),
    (0x21, 0x06, "Attempt to read invalid data"),
    (0x21, 0x07, "Read boundary violation"),
    (0x22, 0x00, "Illegal function (use 20 00, 24 00, or 26 00)"),
    (0x23, 0x00, "Invalid token operation, cause not reportable"),
    (
        0x23,
        0x01,
        "Invalid token operation, unsupported token type",
    ),
    (
        0x23,
        0x02,
        "Invalid token operation, remote token usage not supported",
    ),
    (
        0x23,
        0x03,
        "Invalid token operation, remote ROD token creation not supported",
    ),
    (0x23, 0x04, "Invalid token operation, token unknown"),
    (0x23, 0x05, "Invalid token operation, token corrupt"),
    (0x23, 0x06, "Invalid token operation, token revoked"),
    (0x23, 0x07, "Invalid token operation, token expired"),
    (0x23, 0x08, "Invalid token operation, token cancelled"),
    (0x23, 0x09, "Invalid token operation, token deleted"),
    (0x23, 0x0a, "Invalid token operation, invalid token length"),
    (0x24, 0x00, "Invalid field in CDB"),
    (0x24, 0x01, "CDB decryption error"),
    (0x24, 0x02, "Obsolete"),
    (0x24, 0x03, "Obsolete"),
    (0x24, 0x04, "Security audit value frozen"),
    (0x24, 0x05, "Security working key frozen"),
    (0x24, 0x06, "Nonce not unique"),
    (0x24, 0x07, "Nonce timestamp out of range"),
    (0x24, 0x08, "Invalid XCDB"),
    (0x25, 0x00, "Logical unit not supported"),
    (0x26, 0x00, "Invalid field in parameter list"),
    (0x26, 0x01, "Parameter not supported"),
    (0x26, 0x02, "Parameter value invalid"),
    (0x26, 0x03, "Threshold parameters not supported"),
    (0x26, 0x04, "Invalid release of persistent reservation"),
    (0x26, 0x05, "Data decryption error"),
    (0x26, 0x06, "Too many target descriptors"),
    (0x26, 0x07, "Unsupported target descriptor type code"),
    (0x26, 0x08, "Too many segment descriptors"),
    (0x26, 0x09, "Unsupported segment descriptor type code"),
    (0x26, 0x0a, "Unexpected inexact segment"),
    (0x26, 0x0b, "Inline data length exceeded"),
    (
        0x26,
        0x0c,
        "Invalid operation for copy source or destination",
    ),
    (0x26, 0x0d, "Copy segment granularity violation"),
    (0x26, 0x0e, "Invalid parameter while port is enabled"),
    (0x26, 0x0f, "Invalid data-out buffer integrity check value"),
    (0x26, 0x10, "Data decryption key fail limit reached"),
    (0x26, 0x11, "Incomplete key-associated data set"),
    (0x26, 0x12, "Vendor specific key reference not found"),
    (0x26, 0x13, "Application tag mode page is invalid"),
    (0x26, 0x14, "Tape stream mirroring prevented"),
    (0x26, 0x15, "Copy source or copy destination not authorized"),
    (0x27, 0x00, "Write protected"),
    (0x27, 0x01, "Hardware write protected"),
    (0x27, 0x02, "Logical unit software write protected"),
    (0x27, 0x03, "Associated write protect"),
    (0x27, 0x04, "Persistent write protect"),
    (0x27, 0x05, "Permanent write protect"),
    (0x27, 0x06, "Conditional write protect"),
    (0x27, 0x07, "Space allocation failed write protect"),
    (
        0x28,
        0x00,
        "Not ready to ready change, medium may have changed",
    ),
    (0x28, 0x01, "Import or export element accessed"),
    (0x28, 0x02, "Format-layer may have changed"),
    (0x28, 0x03, "Import/export element accessed, medium changed"),
    (0x29, 0x00, "Power on, reset, or bus device reset occurred"),
    (0x29, 0x01, "Power on occurred"),
    (0x29, 0x02, "SCSI bus reset occurred"),
    (0x29, 0x03, "Bus device reset function occurred"),
    (0x29, 0x04, "Device internal reset"),
    (0x29, 0x05, "Transceiver mode changed to single-ended"),
    (0x29, 0x06, "Transceiver mode changed to LVD"),
    (0x29, 0x07, "I_T nexus loss occurred"),
    (0x2a, 0x00, "Parameters changed"),
    (0x2a, 0x01, "Mode parameters changed"),
    (0x2a, 0x02, "Log parameters changed"),
    (0x2a, 0x03, "Reservations preempted"),
    (0x2a, 0x04, "Reservations released"),
    (0x2a, 0x05, "Registrations preempted"),
    (0x2a, 0x06, "Asymmetric access state changed"),
    (
        0x2a,
        0x07,
        "Implicit asymmetric access state transition failed",
    ),
    (0x2a, 0x08, "Priority changed"),
    (0x2a, 0x09, "Capacity data has changed"),
    (0x2a, 0x0a, "Error history I_T nexus cleared"),
    (0x2a, 0x0b, "Error history snapshot released"),
    (0x2a, 0x0c, "Error recovery attributes have changed"),
    (0x2a, 0x0d, "Data encryption capabilities changed"),
    (0x2a, 0x10, "Timestamp changed"),
    (
        0x2a,
        0x11,
        "Data encryption parameters changed by another I_T nexus",
    ),
    (
        0x2a,
        0x12,
        "Data encryption parameters changed by vendor specific event",
    ),
    (
        0x2a,
        0x13,
        "Data encryption key instance counter has changed",
    ),
    (0x2a, 0x14, "SA creation capabilities data has changed"),
    (0x2a, 0x15, "Medium removal prevention preempted"),
    (
        0x2b,
        0x00,
        "Copy cannot execute since host cannot disconnect",
    ),
    (0x2c, 0x00, "Command sequence error"),
    (0x2c, 0x01, "Too many windows specified"),
    (0x2c, 0x02, "Invalid combination of windows specified"),
    (0x2c, 0x03, "Current program area is not empty"),
    (0x2c, 0x04, "Current program area is empty"),
    (0x2c, 0x05, "Illegal power condition request"),
    (0x2c, 0x06, "Persistent prevent conflict"),
    (0x2c, 0x07, "Previous busy status"),
    (0x2c, 0x08, "Previous task set full status"),
    (0x2c, 0x09, "Previous reservation conflict status"),
    (0x2c, 0x0a, "Partition or collection contains user objects"),
    (0x2c, 0x0b, "Not reserved"),
    (0x2c, 0x0c, "ORWRITE generation does not match"),
    (0x2d, 0x00, "Overwrite error on update in place"),
    (0x2e, 0x00, "Insufficient time for operation"),
    (0x2e, 0x01, "Command timeout before processing"),
    (0x2e, 0x02, "Command timeout during processing"),
    (
        0x2e,
        0x03,
        "Command timeout during processing due to error recovery",
    ),
    (0x2f, 0x00, "Commands cleared by another initiator"),
    (0x2f, 0x01, "Commands cleared by power loss notification"),
    (0x2f, 0x02, "Commands cleared by device server"),
    (0x2f, 0x03, "Some commands cleared by queuing layer event"),
    (0x30, 0x00, "Incompatible medium installed"),
    (0x30, 0x01, "Cannot read medium - unknown format"),
    (0x30, 0x02, "Cannot read medium - incompatible format"),
    (0x30, 0x03, "Cleaning cartridge installed"),
    (0x30, 0x04, "Cannot write medium - unknown format"),
    (0x30, 0x05, "Cannot write medium - incompatible format"),
    (0x30, 0x06, "Cannot format medium - incompatible medium"),
    (0x30, 0x07, "Cleaning failure"),
    (0x30, 0x08, "Cannot write - application code mismatch"),
    (0x30, 0x09, "Current session not fixated for append"),
    (0x30, 0x0a, "Cleaning request rejected"),
    (0x30, 0x0c, "WORM medium - overwrite attempted"),
    (0x30, 0x0d, "WORM medium - integrity check"),
    (0x30, 0x10, "Medium not formatted"),
    (0x30, 0x11, "Incompatible volume type"),
    (0x30, 0x12, "Incompatible volume qualifier"),
    (0x30, 0x13, "Cleaning volume expired"),
    (0x31, 0x00, "Medium format corrupted"),
    (0x31, 0x01, "Format command failed"),
    (0x31, 0x02, "Zoned formatting failed due to spare linking"),
    (0x31, 0x03, "Sanitize command failed"),
    (0x32, 0x00, "No defect spare location available"),
    (0x32, 0x01, "Defect list update failure"),
    (0x33, 0x00, "Tape length error"),
    (0x34, 0x00, "Enclosure failure"),
    (0x35, 0x00, "Enclosure services failure"),
    (0x35, 0x01, "Unsupported enclosure function"),
    (0x35, 0x02, "Enclosure services unavailable"),
    (0x35, 0x03, "Enclosure services transfer failure"),
    (0x35, 0x04, "Enclosure services transfer refused"),
    (0x35, 0x05, "Enclosure services checksum error"),
    (0x36, 0x00, "Ribbon, ink, or toner failure"),
    (0x37, 0x00, "Rounded parameter"),
    (0x38, 0x00, "Event status notification"),
    (0x38, 0x02, "ESN - power management class event"),
    (0x38, 0x04, "ESN - media class event"),
    (0x38, 0x06, "ESN - device busy class event"),
    (0x38, 0x07, "Thin provisioning soft threshold reached"),
    (0x39, 0x00, "Saving parameters not supported"),
    (0x3a, 0x00, "Medium not present"),
    (0x3a, 0x01, "Medium not present - tray closed"),
    (0x3a, 0x02, "Medium not present - tray open"),
    (0x3a, 0x03, "Medium not present - loadable"),
    (
        0x3a,
        0x04,
        "Medium not present - medium auxiliary memory accessible",
    ),
    (0x3b, 0x00, "Sequential positioning error"),
    (0x3b, 0x01, "Tape position error at beginning-of-medium"),
    (0x3b, 0x02, "Tape position error at end-of-medium"),
    (
        0x3b,
        0x03,
        "Tape or electronic vertical forms unit not ready",
    ),
    (0x3b, 0x04, "Slew failure"),
    (0x3b, 0x05, "Paper jam"),
    (0x3b, 0x06, "Failed to sense top-of-form"),
    (0x3b, 0x07, "Failed to sense bottom-of-form"),
    (0x3b, 0x08, "Reposition error"),
    (0x3b, 0x09, "Read past end of medium"),
    (0x3b, 0x0a, "Read past beginning of medium"),
    (0x3b, 0x0b, "Position past end of medium"),
    (0x3b, 0x0c, "Position past beginning of medium"),
    (0x3b, 0x0d, "Medium destination element full"),
    (0x3b, 0x0e, "Medium source element empty"),
    (0x3b, 0x0f, "End of medium reached"),
    (0x3b, 0x11, "Medium magazine not accessible"),
    (0x3b, 0x12, "Medium magazine removed"),
    (0x3b, 0x13, "Medium magazine inserted"),
    (0x3b, 0x14, "Medium magazine locked"),
    (0x3b, 0x15, "Medium magazine unlocked"),
    (0x3b, 0x16, "Mechanical positioning or changer error"),
    (0x3b, 0x17, "Read past end of user object"),
    (0x3b, 0x18, "Element disabled"),
    (0x3b, 0x19, "Element enabled"),
    (0x3b, 0x1a, "Data transfer device removed"),
    (0x3b, 0x1b, "Data transfer device inserted"),
    (
        0x3b,
        0x1c,
        "Too many logical objects on partition to support operation",
    ),
    (0x3d, 0x00, "Invalid bits in IDENTIFY message"),
    (0x3e, 0x00, "Logical unit has not self-configured yet"),
    (0x3e, 0x01, "Logical unit failure"),
    (0x3e, 0x02, "Timeout on logical unit"),
    (0x3e, 0x03, "Logical unit failed self-test"),
    (0x3e, 0x04, "Logical unit unable to update self-test log"),
    (0x3f, 0x00, "Target operating conditions have changed"),
    (0x3f, 0x01, "Microcode has been changed"),
    (0x3f, 0x02, "Changed operating definition"),
    (0x3f, 0x03, "Inquiry data has changed"),
    (0x3f, 0x04, "Component device attached"),
    (0x3f, 0x05, "Device identifier changed"),
    (0x3f, 0x06, "Redundancy group created or modified"),
    (0x3f, 0x07, "Redundancy group deleted"),
    (0x3f, 0x08, "Spare created or modified"),
    (0x3f, 0x09, "Spare deleted"),
    (0x3f, 0x0a, "Volume set created or modified"),
    (0x3f, 0x0b, "Volume set deleted"),
    (0x3f, 0x0c, "Volume set deassigned"),
    (0x3f, 0x0d, "Volume set reassigned"),
    (0x3f, 0x0e, "Reported LUNs data has changed"),
    (0x3f, 0x0f, "Echo buffer overwritten"),
    (0x3f, 0x10, "Medium loadable"),
    (0x3f, 0x11, "Medium auxiliary memory accessible"),
    (0x3f, 0x12, "iSCSI IP address added"),
    (0x3f, 0x13, "iSCSI IP address removed"),
    (0x3f, 0x14, "iSCSI IP address changed"),
    (0x3f, 0x15, "Inspect referrals sense descriptors"),
    (0x40, 0x00, "RAM failure (should use 40 NN)"),
    (0x41, 0x00, "Data path failure (should use 40 NN)"),
    (
        0x42,
        0x00,
        "Power-on or self-test failure (should use 40 NN)",
    ),
    (0x43, 0x00, "Message error"),
    (0x44, 0x00, "Internal target failure"),
    (0x44, 0x01, "Persistent reservation information lost"),
    (0x44, 0x71, "ATA device failed set features"),
    (0x45, 0x00, "Select or reselect failure"),
    (0x46, 0x00, "Unsuccessful soft reset"),
    (0x47, 0x00, "SCSI parity error"),
    (0x47, 0x01, "Data phase CRC error detected"),
    (
        0x47,
        0x02,
        "SCSI parity error detected during ST data phase",
    ),
    (0x47, 0x03, "Information unit iuCRC error detected"),
    (
        0x47,
        0x04,
        "Asynchronous information protection error detected",
    ),
    (0x47, 0x05, "Protocol service CRC error"),
    (0x47, 0x06, "PHY test function in progress"),
    (0x47, 0x7f, "Some commands cleared by iSCSI protocol event"),
    (0x48, 0x00, "Initiator detected error message received"),
    (0x49, 0x00, "Invalid message error"),
    (0x4a, 0x00, "Command phase error"),
    (0x4b, 0x00, "Data phase error"),
    (0x4b, 0x01, "Invalid target port transfer tag received"),
    (0x4b, 0x02, "Too much write data"),
    (0x4b, 0x03, "ACK/NAK timeout"),
    (0x4b, 0x04, "NAK received"),
    (0x4b, 0x05, "Data offset error"),
    (0x4b, 0x06, "Initiator response timeout"),
    (0x4b, 0x07, "Connection lost"),
    (0x4b, 0x08, "Data-in buffer overflow - data buffer size"),
    (
        0x4b,
        0x09,
        "Data-in buffer overflow - data buffer descriptor area",
    ),
    (0x4b, 0x0a, "Data-in buffer error"),
    (0x4b, 0x0b, "Data-out buffer overflow - data buffer size"),
    (
        0x4b,
        0x0c,
        "Data-out buffer overflow - data buffer descriptor area",
    ),
    (0x4b, 0x0d, "Data-out buffer error"),
    (0x4c, 0x00, "Logical unit failed self-configuration"),
    (0x4e, 0x00, "Overlapped commands attempted"),
    (0x50, 0x00, "Write append error"),
    (0x50, 0x01, "Write append position error"),
    (0x50, 0x02, "Position error related to timing"),
    (0x51, 0x00, "Erase failure"),
    (
        0x51,
        0x01,
        "Erase failure - incomplete erase operation detected",
    ),
    (0x52, 0x00, "Cartridge fault"),
    (0x53, 0x00, "Media load or eject failed"),
    (0x53, 0x01, "Unload tape failure"),
    (0x53, 0x02, "Medium removal prevented"),
    (
        0x53,
        0x03,
        "Medium removal prevented by data transfer element",
    ),
    (0x53, 0x04, "Medium thread or unthread failure"),
    (0x53, 0x05, "Volume identifier invalid"),
    (0x53, 0x06, "Volume identifier missing"),
    (0x53, 0x07, "Duplicate volume identifier"),
    (0x53, 0x08, "Element status unknown"),
    (0x54, 0x00, "SCSI to host system interface failure"),
    (0x55, 0x00, "System resource failure"),
    (0x55, 0x01, "System buffer full"),
    (0x55, 0x02, "Insufficient reservation resources"),
    (0x55, 0x03, "Insufficient resources"),
    (0x55, 0x04, "Insufficient registration resources"),
    (0x55, 0x05, "Insufficient access control resources"),
    (0x55, 0x06, "Auxiliary memory out of space"),
    (0x55, 0x07, "Quota error"),
    (
        0x55,
        0x08,
        "Maximum number of supplemental decryption keys exceeded",
    ),
    (0x55, 0x09, "Medium auxiliary memory not accessible"),
    (0x55, 0x0a, "Data currently unavailable"),
    (0x55, 0x0b, "Insufficient power for operation"),
    (0x55, 0x0c, "Insufficient resources to create ROD"),
    (0x55, 0x0d, "Insufficient resources to create ROD token"),
    (0x57, 0x00, "Unable to recover table-of-contents"),
    (0x58, 0x00, "Generation does not exist"),
    (0x59, 0x00, "Updated block read"),
    (0x5a, 0x00, "Operator request or state change input"),
    (0x5a, 0x01, "Operator medium removal request"),
    (0x5a, 0x02, "Operator selected write protect"),
    (0x5a, 0x03, "Operator selected write permit"),
    (0x5b, 0x00, "Log exception"),
    (0x5b, 0x01, "Threshold condition met"),
    (0x5b, 0x02, "Log counter at maximum"),
    (0x5b, 0x03, "Log list codes exhausted"),
    (0x5c, 0x00, "RPL status change"),
    (0x5c, 0x01, "Spindles synchronized"),
    (0x5c, 0x02, "Spindles not synchronized"),
    (0x5d, 0x00, "Failure prediction threshold exceeded"),
    (0x5d, 0x01, "Media failure prediction threshold exceeded"),
    (
        0x5d,
        0x02,
        "Logical unit failure prediction threshold exceeded",
    ),
    (
        0x5d,
        0x03,
        "Spare area exhaustion prediction threshold exceeded",
    ),
    (0x5d, 0xff, "Failure prediction threshold exceeded (false)"),
    (0x5e, 0x00, "Low power condition on"),
    (0x5e, 0x01, "Idle condition activated by timer"),
    (0x5e, 0x02, "Standby condition activated by timer"),
    (0x5e, 0x03, "Idle condition activated by command"),
    (0x5e, 0x04, "Standby condition activated by command"),
    (0x5e, 0x05, "IDLE_B condition activated by timer"),
    (0x5e, 0x06, "IDLE_B condition activated by command"),
    (0x5e, 0x07, "IDLE_C condition activated by timer"),
    (0x5e, 0x08, "IDLE_C condition activated by command"),
    (0x5e, 0x09, "STANDBY_Y condition activated by timer"),
    (0x5e, 0x0a, "STANDBY_Y condition activated by command"),
    (0x5e, 0x41, "Power state change to active"),
    (0x5e, 0x42, "Power state change to idle"),
    (0x5e, 0x43, "Power state change to standby"),
    (0x5e, 0x45, "Power state change to sleep"),
    (0x5e, 0x47, "Power state change to device control"),
    (0x60, 0x00, "Lamp failure"),
    (0x61, 0x00, "Video acquisition error"),
    (0x61, 0x01, "Unable to acquire video"),
    (0x61, 0x02, "Out of focus"),
    (0x62, 0x00, "Scan head positioning error"),
    (0x63, 0x00, "End of user area encountered on this track"),
    (0x63, 0x01, "Packet does not fit in available space"),
    (0x64, 0x00, "Illegal mode for this track"),
    (0x64, 0x01, "Invalid packet size"),
    (0x65, 0x00, "Voltage fault"),
    (0x66, 0x00, "Automatic document feeder cover up"),
    (0x66, 0x01, "Automatic document feeder lift up"),
    (0x66, 0x02, "Document jam in automatic document feeder"),
    (
        0x66,
        0x03,
        "Document miss feed automatic in document feeder",
    ),
    (0x67, 0x00, "Configuration failure"),
    (
        0x67,
        0x01,
        "Configuration of incapable logical units failed",
    ),
    (0x67, 0x02, "Add logical unit failed"),
    (0x67, 0x03, "Modification of logical unit failed"),
    (0x67, 0x04, "Exchange of logical unit failed"),
    (0x67, 0x05, "Remove of logical unit failed"),
    (0x67, 0x06, "Attachment of logical unit failed"),
    (0x67, 0x07, "Creation of logical unit failed"),
    (0x67, 0x08, "Assign failure occurred"),
    (0x67, 0x09, "Multiply assigned logical unit"),
    (0x67, 0x0a, "Set target port groups command failed"),
    (0x67, 0x0b, "ATA device feature not enabled"),
    (0x68, 0x00, "Logical unit not configured"),
    (0x69, 0x00, "Data loss on logical unit"),
    (0x69, 0x01, "Multiple logical unit failures"),
    (0x69, 0x02, "Parity/data mismatch"),
    (0x6a, 0x00, "Informational, refer to log"),
    (0x6b, 0x00, "State change has occurred"),
    (0x6b, 0x01, "Redundancy level got better"),
    (0x6b, 0x02, "Redundancy level got worse"),
    (0x6c, 0x00, "Rebuild failure occurred"),
    (0x6d, 0x00, "Recalculate failure occurred"),
    (0x6e, 0x00, "Command to logical unit failed"),
    (
        0x6f,
        0x00,
        "Copy protection key exchange failure - authentication failure",
    ),
    (
        0x6f,
        0x01,
        "Copy protection key exchange failure - key not present",
    ),
    (
        0x6f,
        0x02,
        "Copy protection key exchange failure - key not established",
    ),
    (
        0x6f,
        0x03,
        "Read of scrambled sector without authentication",
    ),
    (
        0x6f,
        0x04,
        "Media region code is mismatched to logical unit region",
    ),
    (
        0x6f,
        0x05,
        "Drive region must be permanent/region reset count error",
    ),
    (0x71, 0x00, "Decompression exception long algorithm ID"),
    (0x72, 0x00, "Session fixation error"),
    (0x72, 0x01, "Session fixation error writing lead-in"),
    (0x72, 0x02, "Session fixation error writing lead-out"),
    (
        0x72,
        0x03,
        "Session fixation error - incomplete track in session",
    ),
    (0x72, 0x04, "Empty or partially written reserved track"),
    (0x72, 0x05, "No more track reservations allowed"),
    (0x72, 0x06, "RMZ extension is not allowed"),
    (0x72, 0x07, "No more test zone extensions are allowed"),
    (0x73, 0x00, "CD control error"),
    (0x73, 0x01, "Power calibration area almost full"),
    (0x73, 0x02, "Power calibration area is full"),
    (0x73, 0x03, "Power calibration area error"),
    (0x73, 0x04, "Program memory area update failure"),
    (0x73, 0x05, "Program memory area is full"),
    (0x73, 0x06, "RMA/PMA is almost full"),
    (0x73, 0x10, "Current power calibration area almost full"),
    (0x73, 0x11, "Current power calibration area is full"),
    (0x73, 0x17, "RDZ is full"),
    (0x74, 0x00, "Security error"),
    (0x74, 0x01, "Unable to decrypt data"),
    (0x74, 0x02, "Unencrypted data encountered while decrypting"),
    (0x74, 0x03, "Incorrect data encryption key"),
    (0x74, 0x04, "Cryptographic integrity validation failed"),
    (0x74, 0x05, "Error decrypting data"),
    (0x74, 0x06, "Unknown signature verification key"),
    (0x74, 0x07, "Encryption parameters not useable"),
    (0x74, 0x08, "Digital signature validation failure"),
    (0x74, 0x09, "Encryption mode mismatch on read"),
    (0x74, 0x0a, "Encrypted block not raw read enabled"),
    (0x74, 0x0b, "Incorrect encryption parameters"),
    (0x74, 0x0c, "Unable to decrypt parameter list"),
    (0x74, 0x0d, "Encryption algorithm disabled"),
    (0x74, 0x10, "SA creation parameter value invalid"),
    (0x74, 0x11, "SA creation parameter value rejected"),
    (0x74, 0x12, "Invalid SA usage"),
    (0x74, 0x21, "Data encryption configuration prevented"),
    (0x74, 0x30, "SA creation parameter not supported"),
    (0x74, 0x40, "Authentication failed"),
    (
        0x74,
        0x61,
        "External data encryption key manager access error",
    ),
    (0x74, 0x62, "External data encryption key manager error"),
    (0x74, 0x63, "External data encryption key not found"),
    (
        0x74,
        0x64,
        "External data encryption request not authorized",
    ),
    (0x74, 0x6e, "External data encryption control timeout"),
    (0x74, 0x6f, "External data encryption control error"),
    (0x74, 0x71, "Logical unit access not authorized"),
    (0x74, 0x79, "Security conflict in translated device"),
];

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
    fn asc_names() {
        assert_eq!(
            asc_name(0x0d, 0x02),
            Some("Copy target device not reachable")
        );
        assert_eq!(asc_name(0x08, 0x04), Some("Unreachable copy target"));
        assert_eq!(
            asc_name(0x26, 0x00),
            Some("Invalid field in parameter list")
        );
        assert_eq!(asc_name(0x3f, 0x0e), Some("Reported LUNs data has changed"));
        assert_eq!(
            asc_name(0x5d, 0x32),
            Some("Data channel impending failure data error rate too high")
        );
        assert_eq!(
            asc_name(0x40, 0x91),
            Some("Diagnostic failure on component NN (80h-FFh)")
        );
        assert_eq!(asc_name(0x40, 0x00), Some("RAM failure (should use 40 NN)"));
        assert_eq!(asc_name(0x80, 0x01), None);
        assert_eq!(asc_name(0x04, 0xf0), None);
        let words = |a, q| AdditionalSense { asc: a, ascq: q }.to_string();
        assert_eq!(
            words(0x40, 0x91),
            "Diagnostic failure on component 0x91 (0x40/0x91)"
        );
        assert_eq!(
            words(0x4d, 0x07),
            "Tagged overlapped commands (task tag 0x07) (0x4d/0x07)"
        );
        assert_eq!(words(0x80, 0x01), "vendor specific ASC=80, ASCQ=01 (hex)");
        assert_eq!(
            words(0x04, 0xf0),
            "ASC=04, vendor specific qualification ASCQ=f0 (hex)"
        );
        assert_eq!(words(0x5f, 0x00), "ASC=5f, ASCQ=00 (hex)");
    }

    #[test]
    fn asc_table_sorted_unique_and_large() {
        assert!(ASC_TABLE.len() >= 150);
        for w in ASC_TABLE.windows(2) {
            assert!(
                (w[0].0, w[0].1) < (w[1].0, w[1].1),
                "{:02x}/{:02x}",
                w[1].0,
                w[1].1
            );
        }
        assert!(ASC_TABLE.iter().all(|e| !e.2.is_empty()));
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
