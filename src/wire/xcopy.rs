//! EXTENDED COPY (LID1), operation code 83h service action 00h (SPC-4 r37
//! §6.4): the 16-byte CDB and the parameter list — the 16-byte header
//! (§6.4.3: LIST IDENTIFIER, STR, LIST ID USAGE, PRIORITY, the CSCD
//! descriptor list length, segment descriptor list length and inline data
//! length), then the CSCD descriptors ([`super::cscd`]), the segment
//! descriptors ([`super::segment`]) and the inline data.
//!
//! `parse` enforces: the header is complete; each list lies inside the
//! buffer; the CSCD list ends on a descriptor boundary and so does the
//! segment list (each descriptor's own length is read from it); nothing
//! follows the inline data. It does not apply a copy manager's limits
//! (descriptor counts, list lengths): those come from its OPERATING
//! PARAMETERS and are checked by whoever plays the copy manager.

use super::cscd::{self, CscdDescriptor};
use super::segment::{SegmentDescriptor, SegmentView};
use super::{
    bit_fields, check_fits, check_len, check_out, flag_fields, view, Repr, Result, WireError,
};

mod field {
    use crate::wire::Field;
    /// CDB: OPERATION CODE.
    pub const OPCODE: usize = 0;
    /// CDB: SERVICE ACTION (bits 4-0).
    pub const SERVICE_ACTION: usize = 1;
    /// CDB: bytes 2–9, reserved.
    pub const CDB_RESERVED: Field = 2..10;
    /// CDB: PARAMETER LIST LENGTH.
    pub const PARAMETER_LIST_LENGTH: Field = 10..14;
    /// CDB: CONTROL.
    pub const CONTROL: usize = 15;
    /// CDB length.
    pub const CDB_LEN: usize = 16;

    /// Header: LIST IDENTIFIER.
    pub const LIST_ID: Field = 0..1;
    /// Header: STR (5), LIST ID USAGE (4-3), PRIORITY (2-0).
    pub const FLAGS: usize = 1;
    /// Header: CSCD DESCRIPTOR LIST LENGTH.
    pub const CSCD_LIST_LENGTH: Field = 2..4;
    /// Header: bytes 4–7, reserved.
    pub const HEADER_RESERVED: Field = 4..8;
    /// Header: SEGMENT DESCRIPTOR LIST LENGTH.
    pub const SEGMENT_LIST_LENGTH: Field = 8..12;
    /// Header: INLINE DATA LENGTH.
    pub const INLINE_DATA_LENGTH: Field = 12..16;
    /// Header length; the CSCD descriptors start here.
    pub const HEADER_LEN: usize = 16;
}

/// The parameter list header's length.
pub const HEADER_LEN: usize = field::HEADER_LEN;

/// Byte offsets in the parameter list header, for field pointers in sense
/// data (SPC-4 §4.5.2.4.2).
pub mod offsets {
    /// LIST IDENTIFIER.
    pub const LIST_ID: u16 = 0;
    /// STR / LIST ID USAGE / PRIORITY.
    pub const FLAGS: u16 = 1;
    /// CSCD DESCRIPTOR LIST LENGTH.
    pub const CSCD_LIST_LENGTH: u16 = 2;
    /// SEGMENT DESCRIPTOR LIST LENGTH.
    pub const SEGMENT_LIST_LENGTH: u16 = 8;
    /// INLINE DATA LENGTH.
    pub const INLINE_DATA_LENGTH: u16 = 12;
    /// First CSCD descriptor.
    pub const CSCD_LIST: u16 = 16;
}

view!(
    /// The EXTENDED COPY (LID1) CDB.
    ExtendedCopyCdbView,
    "EXTENDED COPY CDB",
    field::CDB_LEN
);

super::be_fields!(ExtendedCopyCdbView {
    /// OPERATION CODE (83h).
    opcode, set_opcode: u8 = field::OPCODE..field::OPCODE + 1;
    /// PARAMETER LIST LENGTH.
    parameter_list_length, set_parameter_list_length: u32 = field::PARAMETER_LIST_LENGTH;
    /// CONTROL.
    control, set_control: u8 = field::CONTROL..field::CONTROL + 1;
});

bit_fields!(ExtendedCopyCdbView {
    /// SERVICE ACTION (00h for LID1).
    service_action, set_service_action: field::SERVICE_ACTION, 0, 5;
});

/// The EXTENDED COPY (LID1) CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtendedCopyCdb {
    /// PARAMETER LIST LENGTH in bytes.
    pub parameter_list_length: u32,
    /// CONTROL byte.
    pub control: u8,
}

impl ExtendedCopyCdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x83;
    /// SERVICE ACTION of the LID1 form.
    pub const SERVICE_ACTION: u8 = 0x00;

    /// A CDB sending a parameter list of `len` bytes.
    pub fn new(parameter_list_length: u32) -> Self {
        ExtendedCopyCdb {
            parameter_list_length,
            control: 0,
        }
    }
}

impl Repr for ExtendedCopyCdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        const WHAT: &str = "EXTENDED COPY CDB";
        let v = ExtendedCopyCdbView::new_checked(buf)?;
        if v.opcode() != Self::OPCODE {
            return Err(WireError::InvalidField {
                what: WHAT,
                field: "OPERATION CODE",
                value: u64::from(v.opcode()),
            });
        }
        // Bits 7-5 of byte 1 are reserved; LID4 (01h) is another command.
        if buf[field::SERVICE_ACTION] != Self::SERVICE_ACTION {
            return Err(WireError::InvalidField {
                what: WHAT,
                field: "SERVICE ACTION",
                value: u64::from(buf[field::SERVICE_ACTION]),
            });
        }
        if buf[field::CDB_RESERVED].iter().any(|&b| b != 0) || buf[14] != 0 {
            return Err(WireError::Inconsistent {
                what: WHAT,
                reason: "reserved bytes are not zero",
            });
        }
        Ok(ExtendedCopyCdb {
            parameter_list_length: v.parameter_list_length(),
            control: v.control(),
        })
    }

    fn buffer_len(&self) -> usize {
        field::CDB_LEN
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out("EXTENDED COPY CDB", buf, field::CDB_LEN)?;
        buf[..field::CDB_LEN].fill(0);
        let mut v = ExtendedCopyCdbView::new_unchecked(&mut buf[..field::CDB_LEN]);
        v.set_opcode(Self::OPCODE);
        v.set_service_action(Self::SERVICE_ACTION);
        v.set_parameter_list_length(self.parameter_list_length);
        v.set_control(self.control);
        Ok(())
    }
}

view!(
    /// The EXTENDED COPY (LID1) parameter list, header first.
    ParameterListView,
    "EXTENDED COPY parameter list header",
    field::HEADER_LEN
);

super::be_fields!(ParameterListView {
    /// LIST IDENTIFIER.
    list_id, set_list_id: u8 = field::LIST_ID;
    /// CSCD DESCRIPTOR LIST LENGTH.
    cscd_list_length, set_cscd_list_length: u16 = field::CSCD_LIST_LENGTH;
    /// Bytes 4–7 (reserved).
    header_reserved, set_header_reserved: u32 = field::HEADER_RESERVED;
    /// SEGMENT DESCRIPTOR LIST LENGTH.
    segment_list_length, set_segment_list_length: u32 = field::SEGMENT_LIST_LENGTH;
    /// INLINE DATA LENGTH.
    inline_data_length, set_inline_data_length: u32 = field::INLINE_DATA_LENGTH;
});

bit_fields!(ParameterListView {
    /// LIST ID USAGE (2 bits).
    list_id_usage_bits, set_list_id_usage_bits: field::FLAGS, 3, 2;
    /// PRIORITY (3 bits).
    priority, set_priority: field::FLAGS, 0, 3;
    /// Bits 7-6 of byte 1 (reserved).
    flags_reserved, set_flags_reserved: field::FLAGS, 6, 2;
});

flag_fields!(ParameterListView {
    /// STR: sequential striped.
    str_bit, set_str_bit: field::FLAGS, 5;
});

impl<T: AsRef<[u8]>> ParameterListView<T> {
    /// Where the segment descriptors start.
    pub fn segment_list_offset(&self) -> usize {
        field::HEADER_LEN + usize::from(self.cscd_list_length())
    }

    /// Where the inline data starts (saturating: a huge length cannot wrap).
    pub fn inline_data_offset(&self) -> usize {
        self.segment_list_offset()
            .saturating_add(usize::try_from(self.segment_list_length()).unwrap_or(usize::MAX))
    }

    /// The total length the header claims: header + all three lists.
    pub fn claimed_len(&self) -> usize {
        self.inline_data_offset()
            .saturating_add(usize::try_from(self.inline_data_length()).unwrap_or(usize::MAX))
    }

    /// The CSCD descriptor list bytes, if the buffer holds them.
    pub fn cscd_list(&self) -> Result<&[u8]> {
        let end = self.segment_list_offset();
        check_len(
            "EXTENDED COPY CSCD descriptor list",
            self.buffer.as_ref(),
            end,
        )?;
        Ok(&self.buffer.as_ref()[field::HEADER_LEN..end])
    }

    /// The segment descriptor list bytes, if the buffer holds them.
    pub fn segment_list(&self) -> Result<&[u8]> {
        let (start, end) = (self.segment_list_offset(), self.inline_data_offset());
        check_len(
            "EXTENDED COPY segment descriptor list",
            self.buffer.as_ref(),
            end,
        )?;
        Ok(&self.buffer.as_ref()[start..end])
    }

    /// The inline data bytes, if the buffer holds them.
    pub fn inline_data(&self) -> Result<&[u8]> {
        let (start, end) = (self.inline_data_offset(), self.claimed_len());
        check_len("EXTENDED COPY inline data", self.buffer.as_ref(), end)?;
        Ok(&self.buffer.as_ref()[start..end])
    }
}

/// LIST ID USAGE (SPC-4 table 104).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ListIdUsage {
    /// 00b: the copy manager holds data for RECEIVE COPY RESULTS; the list
    /// identifier must be unique among this I_T nexus' copies.
    #[default]
    Hold,
    /// 01b: reserved.
    Reserved,
    /// 10b: the list identifier is unique; nothing is held.
    NoHold,
    /// 11b: no list identifier (LIST IDENTIFIER must be zero).
    None,
}

impl ListIdUsage {
    /// Decodes the 2-bit field.
    pub fn from_bits(v: u8) -> Self {
        match v & 3 {
            0 => ListIdUsage::Hold,
            1 => ListIdUsage::Reserved,
            2 => ListIdUsage::NoHold,
            _ => ListIdUsage::None,
        }
    }

    /// The 2-bit field.
    pub fn bits(self) -> u8 {
        match self {
            ListIdUsage::Hold => 0,
            ListIdUsage::Reserved => 1,
            ListIdUsage::NoHold => 2,
            ListIdUsage::None => 3,
        }
    }
}

/// An EXTENDED COPY (LID1) parameter list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParameterList {
    /// LIST IDENTIFIER.
    pub list_id: u8,
    /// STR.
    pub str_bit: bool,
    /// LIST ID USAGE.
    pub list_id_usage: ListIdUsage,
    /// PRIORITY (3 bits).
    pub priority: u8,
    /// CSCD descriptors; segment descriptors name them by index.
    pub cscds: Vec<CscdDescriptor>,
    /// Segment descriptors, processed in order.
    pub segments: Vec<SegmentDescriptor>,
    /// Inline data.
    pub inline_data: Vec<u8>,
}

impl ParameterList {
    /// An empty list with `list_id` and LIST ID USAGE `usage`.
    pub fn new(list_id: u8, list_id_usage: ListIdUsage) -> Self {
        ParameterList {
            list_id,
            list_id_usage,
            ..Default::default()
        }
    }

    /// Byte length of the CSCD descriptor list.
    pub fn cscd_list_length(&self) -> usize {
        self.cscds.iter().map(Repr::buffer_len).sum()
    }

    /// Byte length of the segment descriptor list.
    pub fn segment_list_length(&self) -> usize {
        self.segments.iter().map(Repr::buffer_len).sum()
    }

    /// Offset in the parameter list of segment descriptor `i`, for
    /// segment-pointer sense.
    pub fn segment_offset(&self, i: usize) -> Option<usize> {
        if i >= self.segments.len() {
            return None;
        }
        Some(
            HEADER_LEN
                + self.cscd_list_length()
                + self.segments[..i]
                    .iter()
                    .map(Repr::buffer_len)
                    .sum::<usize>(),
        )
    }
}

/// Splits a CSCD descriptor list into descriptors.
pub fn parse_cscd_list(mut list: &[u8]) -> Result<Vec<CscdDescriptor>> {
    let mut out = Vec::new();
    while !list.is_empty() {
        let need = cscd::descriptor_len(list[0]);
        if list.len() < need {
            return Err(WireError::Inconsistent {
                what: "EXTENDED COPY parameter list",
                reason: "the CSCD descriptor list length ends inside a descriptor",
            });
        }
        out.push(CscdDescriptor::parse(&list[..need])?);
        list = &list[need..];
    }
    Ok(out)
}

/// Splits a segment descriptor list into descriptors.
pub fn parse_segment_list(mut list: &[u8]) -> Result<Vec<SegmentDescriptor>> {
    let mut out = Vec::new();
    while !list.is_empty() {
        let v = SegmentView::new_unchecked(list);
        if v.check_len().is_err() || list.len() < v.total_len() {
            return Err(WireError::Inconsistent {
                what: "EXTENDED COPY parameter list",
                reason: "the segment descriptor list length ends inside a descriptor",
            });
        }
        let n = v.total_len();
        out.push(SegmentDescriptor::parse(&list[..n])?);
        list = &list[n..];
    }
    Ok(out)
}

impl Repr for ParameterList {
    fn parse(buf: &[u8]) -> Result<Self> {
        const WHAT: &str = "EXTENDED COPY parameter list";
        let v = ParameterListView::new_checked(buf)?;
        if v.flags_reserved() != 0 || v.header_reserved() != 0 {
            return Err(WireError::Inconsistent {
                what: WHAT,
                reason: "reserved header bits are not zero",
            });
        }
        let cscds = parse_cscd_list(v.cscd_list()?)?;
        let segments = parse_segment_list(v.segment_list()?)?;
        let inline_data = v.inline_data()?.to_vec();
        if buf.len() > v.claimed_len() {
            return Err(WireError::Inconsistent {
                what: WHAT,
                reason: "bytes follow the inline data",
            });
        }
        Ok(ParameterList {
            list_id: v.list_id(),
            str_bit: v.str_bit(),
            list_id_usage: ListIdUsage::from_bits(v.list_id_usage_bits()),
            priority: v.priority(),
            cscds,
            segments,
            inline_data,
        })
    }

    fn buffer_len(&self) -> usize {
        HEADER_LEN + self.cscd_list_length() + self.segment_list_length() + self.inline_data.len()
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        const WHAT: &str = "EXTENDED COPY parameter list";
        // Each list's length once: summing them is a pass over every
        // descriptor, as long as emitting them.
        let (cl, sl, il) = (
            self.cscd_list_length(),
            self.segment_list_length(),
            self.inline_data.len(),
        );
        let total = HEADER_LEN + cl + sl + il;
        check_out(WHAT, buf, total)?;
        check_fits(WHAT, "CSCD DESCRIPTOR LIST LENGTH", cl as u64, 2)?;
        check_fits(WHAT, "SEGMENT DESCRIPTOR LIST LENGTH", sl as u64, 4)?;
        check_fits(WHAT, "INLINE DATA LENGTH", il as u64, 4)?;
        if self.priority > 7 {
            return Err(WireError::Overflow {
                what: WHAT,
                field: "PRIORITY",
                value: u64::from(self.priority),
            });
        }
        {
            buf[..HEADER_LEN].fill(0);
            let mut v = ParameterListView::new_unchecked(&mut buf[..HEADER_LEN]);
            v.set_list_id(self.list_id);
            v.set_str_bit(self.str_bit);
            v.set_list_id_usage_bits(self.list_id_usage.bits());
            v.set_priority(self.priority);
            v.set_cscd_list_length(cl as u16);
            v.set_segment_list_length(sl as u32);
            v.set_inline_data_length(il as u32);
        }
        let mut at = HEADER_LEN;
        for c in &self.cscds {
            c.emit(&mut buf[at..])?;
            at += c.buffer_len();
        }
        for s in &self.segments {
            at += s.emit_at(&mut buf[at..])?;
        }
        buf[at..at + il].copy_from_slice(&self.inline_data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cscd::tests::E4_DISK;
    use proptest::prelude::*;

    fn two_disk_list() -> ParameterList {
        let src = CscdDescriptor::parse(&E4_DISK).unwrap();
        let mut dst_bytes = E4_DISK;
        dst_bytes[23] = 0xcc;
        let dst = CscdDescriptor::parse(&dst_bytes).unwrap();
        ParameterList {
            list_id: 1,
            str_bit: false,
            list_id_usage: ListIdUsage::NoHold,
            priority: 0,
            cscds: vec![src, dst],
            segments: vec![SegmentDescriptor::block_to_block(0, 1, 128, 0, 256)],
            inline_data: vec![],
        }
    }

    #[test]
    fn cdb_golden() {
        let cdb = ExtendedCopyCdb::new(0x70);
        let mut out = [0xa5u8; 16];
        cdb.emit(&mut out).unwrap();
        assert_eq!(
            out,
            [0x83, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x70, 0x00, 0x00]
        );
        assert_eq!(ExtendedCopyCdb::parse(&out).unwrap(), cdb);
    }

    #[test]
    fn cdb_rejects_lid4_and_other_opcodes() {
        let mut b = ExtendedCopyCdb::new(16).to_vec().unwrap();
        b[1] = 0x01;
        assert!(matches!(
            ExtendedCopyCdb::parse(&b),
            Err(WireError::InvalidField {
                field: "SERVICE ACTION",
                ..
            })
        ));
        b[1] = 0;
        b[0] = 0x84;
        assert!(matches!(
            ExtendedCopyCdb::parse(&b),
            Err(WireError::InvalidField {
                field: "OPERATION CODE",
                ..
            })
        ));
        b[0] = 0x83;
        b[5] = 1;
        assert!(matches!(
            ExtendedCopyCdb::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
        assert!(matches!(
            ExtendedCopyCdb::parse(&b[..15]),
            Err(WireError::Truncated { .. })
        ));
    }

    #[test]
    fn header_golden() {
        let l = two_disk_list();
        let b = l.to_vec().unwrap();
        assert_eq!(b.len(), 16 + 64 + 28);
        assert_eq!(
            &b[..16],
            &[
                0x01, // LIST IDENTIFIER 1
                0x10, // STR 0, LIST ID USAGE 10b, PRIORITY 0
                0x00, 0x40, // CSCD DESCRIPTOR LIST LENGTH 64
                0, 0, 0, 0, // reserved
                0x00, 0x00, 0x00, 0x1c, // SEGMENT DESCRIPTOR LIST LENGTH 28
                0x00, 0x00, 0x00, 0x00, // INLINE DATA LENGTH 0
            ]
        );
        assert_eq!(ParameterList::parse(&b).unwrap(), l);
        assert_eq!(l.segment_offset(0), Some(80));
        assert_eq!(l.segment_offset(1), None);
    }

    #[test]
    fn truncated_lists_are_rejected() {
        let b = two_disk_list().to_vec().unwrap();
        for cut in [0, 15, 16, 47, 79, 80, 107] {
            assert!(
                matches!(
                    ParameterList::parse(&b[..cut]),
                    Err(WireError::Truncated { .. })
                ),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn cscd_list_length_inside_a_descriptor_is_rejected() {
        let mut b = two_disk_list().to_vec().unwrap();
        b[3] = 0x30; // 48: one and a half descriptors
        b[11] = 0x2c; // keep the total consistent: segment list now 44 bytes
        assert!(matches!(
            ParameterList::parse(&b),
            Err(WireError::Inconsistent { reason, .. }) if reason.contains("CSCD")
        ));
    }

    #[test]
    fn segment_list_length_inside_a_descriptor_is_rejected() {
        let mut b = two_disk_list().to_vec().unwrap();
        b[11] = 0x18; // 24 bytes: the 02h descriptor needs 28
        b.truncate(16 + 64 + 24);
        assert!(matches!(
            ParameterList::parse(&b),
            Err(WireError::Inconsistent { reason, .. }) if reason.contains("segment")
        ));
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut b = two_disk_list().to_vec().unwrap();
        b.push(0);
        assert!(matches!(
            ParameterList::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
    }

    #[test]
    fn reserved_header_bits_are_rejected() {
        let mut b = two_disk_list().to_vec().unwrap();
        b[1] |= 0x40;
        assert!(matches!(
            ParameterList::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
        let mut b = two_disk_list().to_vec().unwrap();
        b[5] = 1;
        assert!(matches!(
            ParameterList::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
    }

    #[test]
    fn priority_over_three_bits_does_not_emit() {
        let mut l = two_disk_list();
        l.priority = 8;
        assert!(matches!(
            l.to_vec(),
            Err(WireError::Overflow {
                field: "PRIORITY",
                ..
            })
        ));
    }

    #[test]
    fn empty_list_is_just_a_header() {
        let l = ParameterList::new(0, ListIdUsage::None);
        let b = l.to_vec().unwrap();
        assert_eq!(b, [0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(ParameterList::parse(&b).unwrap(), l);
    }

    #[test]
    fn huge_lengths_do_not_overflow() {
        let mut b = [0u8; 16];
        b[8..16].fill(0xff);
        assert!(matches!(
            ParameterList::parse(&b),
            Err(WireError::Truncated { .. })
        ));
    }

    fn list() -> impl Strategy<Value = ParameterList> {
        (
            any::<u8>(),
            any::<bool>(),
            0u8..4,
            0u8..8,
            proptest::collection::vec(crate::wire::cscd::tests::cscd(), 0..4),
            proptest::collection::vec(crate::wire::segment::tests::segment(), 0..5),
            proptest::collection::vec(any::<u8>(), 0..32),
        )
            .prop_map(
                |(list_id, str_bit, u, priority, cscds, segments, inline_data)| ParameterList {
                    list_id,
                    str_bit,
                    list_id_usage: ListIdUsage::from_bits(u),
                    priority,
                    cscds,
                    segments,
                    inline_data,
                },
            )
    }

    proptest! {
        #[test]
        fn round_trips(l in list()) {
            let b = l.to_vec().unwrap();
            prop_assert_eq!(ParameterList::parse(&b).unwrap(), l);
        }

        #[test]
        fn cdb_round_trips(len in any::<u32>(), control in any::<u8>()) {
            let c = ExtendedCopyCdb { parameter_list_length: len, control };
            prop_assert_eq!(ExtendedCopyCdb::parse(&c.to_vec().unwrap()).unwrap(), c);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = ParameterList::parse(&bytes);
            let _ = ExtendedCopyCdb::parse(&bytes);
        }

        #[test]
        fn flipped_byte_never_panics(l in list(), at in any::<prop::sample::Index>(), x in 1u8..) {
            let mut b = l.to_vec().unwrap();
            let i = at.index(b.len());
            b[i] ^= x;
            let _ = ParameterList::parse(&b);
        }
    }
}
