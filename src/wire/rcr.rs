//! RECEIVE COPY RESULTS, operation code 84h (SPC-4 r37 §6.18): the CDB for
//! the LID1 service actions COPY STATUS (00h, §6.18.3), RECEIVE DATA (01h,
//! §6.18.4), OPERATING PARAMETERS (03h, §6.18.5) and FAILED SEGMENT DETAILS
//! (04h, §6.18.6), and the parameter data each returns.
//!
//! `parse` enforces: every fixed field is present; COPY STATUS reports at
//! least its 8 bytes of available data; RECEIVE DATA's held data lies in
//! the buffer; OPERATING PARAMETERS' implemented descriptor type code list
//! lies in the buffer and no granularity exponent is 32 or more (a device
//! claiming otherwise is wrong, and trusting it would overflow a shift);
//! FAILED SEGMENT DETAILS' sense data is bounded by the buffer (what is cut
//! off is reported, never read).

use core::fmt;

use super::{bit_fields, check_len, check_out, get_be, put_be, view, Repr, Result, WireError};

mod field {
    use crate::wire::Field;
    /// CDB: OPERATION CODE.
    pub const OPCODE: Field = 0..1;
    /// CDB: SERVICE ACTION (4-0).
    pub const SERVICE_ACTION: usize = 1;
    /// CDB: LIST IDENTIFIER (LID1 service actions 00h, 01h, 04h).
    pub const LIST_ID: Field = 2..3;
    /// CDB: reserved.
    pub const CDB_RESERVED: Field = 3..10;
    /// CDB: ALLOCATION LENGTH.
    pub const ALLOCATION_LENGTH: Field = 10..14;
    /// CDB: CONTROL.
    pub const CONTROL: Field = 15..16;
    /// CDB length.
    pub const CDB_LEN: usize = 16;

    /// All responses: AVAILABLE DATA.
    pub const AVAILABLE_DATA: Field = 0..4;

    /// COPY STATUS: HDD (7), COPY MANAGER STATUS (6-0).
    pub const CS_STATUS: usize = 4;
    /// COPY STATUS: SEGMENTS PROCESSED.
    pub const CS_SEGMENTS: Field = 5..7;
    /// COPY STATUS: TRANSFER COUNT UNITS.
    pub const CS_UNITS: usize = 7;
    /// COPY STATUS: TRANSFER COUNT.
    pub const CS_COUNT: Field = 8..12;
    /// COPY STATUS length.
    pub const CS_LEN: usize = 12;

    /// OPERATING PARAMETERS: SNLID (bit 0).
    pub const OP_SNLID: usize = 4;
    /// MAXIMUM CSCD DESCRIPTOR COUNT.
    pub const OP_MAX_CSCD: Field = 8..10;
    /// MAXIMUM SEGMENT DESCRIPTOR COUNT.
    pub const OP_MAX_SEGMENTS: Field = 10..12;
    /// MAXIMUM DESCRIPTOR LIST LENGTH.
    pub const OP_MAX_LIST: Field = 12..16;
    /// MAXIMUM SEGMENT LENGTH.
    pub const OP_MAX_SEGMENT_LEN: Field = 16..20;
    /// MAXIMUM INLINE DATA LENGTH.
    pub const OP_MAX_INLINE: Field = 20..24;
    /// HELD DATA LIMIT.
    pub const OP_HELD_LIMIT: Field = 24..28;
    /// MAXIMUM STREAM DEVICE TRANSFER SIZE.
    pub const OP_MAX_STREAM: Field = 28..32;
    /// TOTAL CONCURRENT COPIES.
    pub const OP_TOTAL_CONCURRENT: Field = 34..36;
    /// MAXIMUM CONCURRENT COPIES.
    pub const OP_MAX_CONCURRENT: Field = 36..37;
    /// DATA SEGMENT GRANULARITY (log 2).
    pub const OP_DATA_GRAN: Field = 37..38;
    /// INLINE DATA GRANULARITY (log 2).
    pub const OP_INLINE_GRAN: Field = 38..39;
    /// HELD DATA GRANULARITY (log 2).
    pub const OP_HELD_GRAN: Field = 39..40;
    /// IMPLEMENTED DESCRIPTOR LIST LENGTH.
    pub const OP_IMPL_LEN: usize = 43;
    /// First implemented descriptor type code.
    pub const OP_IMPL_LIST: usize = 44;

    /// FAILED SEGMENT DETAILS: COPY COMMAND STATUS.
    pub const FS_STATUS: usize = 56;
    /// FAILED SEGMENT DETAILS: SENSE DATA LENGTH.
    pub const FS_SENSE_LEN: Field = 58..60;
    /// FAILED SEGMENT DETAILS: SENSE DATA.
    pub const FS_SENSE: usize = 60;
}

/// Service actions of RECEIVE COPY RESULTS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceAction {
    /// 00h COPY STATUS (LID1).
    CopyStatus,
    /// 01h RECEIVE DATA (LID1).
    ReceiveData,
    /// 03h OPERATING PARAMETERS.
    OperatingParameters,
    /// 04h FAILED SEGMENT DETAILS (LID1).
    FailedSegmentDetails,
    /// Any other (LID4 forms, ROD tokens, reserved).
    Other(u8),
}

impl ServiceAction {
    /// Decodes the 5-bit field.
    pub fn from_bits(v: u8) -> Self {
        match v & 0x1f {
            0x00 => ServiceAction::CopyStatus,
            0x01 => ServiceAction::ReceiveData,
            0x03 => ServiceAction::OperatingParameters,
            0x04 => ServiceAction::FailedSegmentDetails,
            other => ServiceAction::Other(other),
        }
    }
    /// The 5-bit field.
    pub fn bits(self) -> u8 {
        match self {
            ServiceAction::CopyStatus => 0x00,
            ServiceAction::ReceiveData => 0x01,
            ServiceAction::OperatingParameters => 0x03,
            ServiceAction::FailedSegmentDetails => 0x04,
            ServiceAction::Other(v) => v & 0x1f,
        }
    }
    /// Name in words.
    pub fn name(self) -> &'static str {
        match self {
            ServiceAction::CopyStatus => "COPY STATUS",
            ServiceAction::ReceiveData => "RECEIVE DATA",
            ServiceAction::OperatingParameters => "OPERATING PARAMETERS",
            ServiceAction::FailedSegmentDetails => "FAILED SEGMENT DETAILS",
            ServiceAction::Other(_) => "other service action",
        }
    }
}

view!(
    /// The RECEIVE COPY RESULTS CDB.
    ReceiveCopyResultsCdbView,
    "RECEIVE COPY RESULTS CDB",
    field::CDB_LEN
);

super::be_fields!(ReceiveCopyResultsCdbView {
    /// OPERATION CODE (84h).
    opcode, set_opcode: u8 = field::OPCODE;
    /// LIST IDENTIFIER.
    list_id, set_list_id: u8 = field::LIST_ID;
    /// ALLOCATION LENGTH.
    allocation_length, set_allocation_length: u32 = field::ALLOCATION_LENGTH;
    /// CONTROL.
    control, set_control: u8 = field::CONTROL;
});

bit_fields!(ReceiveCopyResultsCdbView {
    /// SERVICE ACTION.
    service_action_bits, set_service_action_bits: field::SERVICE_ACTION, 0, 5;
});

/// The RECEIVE COPY RESULTS CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReceiveCopyResultsCdb {
    /// SERVICE ACTION.
    pub service_action: ServiceAction,
    /// LIST IDENTIFIER (reserved, zero, for OPERATING PARAMETERS).
    pub list_id: u8,
    /// ALLOCATION LENGTH.
    pub allocation_length: u32,
    /// CONTROL.
    pub control: u8,
}

impl ReceiveCopyResultsCdb {
    /// OPERATION CODE.
    pub const OPCODE: u8 = 0x84;

    /// A CDB for `service_action` about `list_id`.
    pub fn new(service_action: ServiceAction, list_id: u8, allocation_length: u32) -> Self {
        ReceiveCopyResultsCdb {
            service_action,
            list_id,
            allocation_length,
            control: 0,
        }
    }
}

impl Repr for ReceiveCopyResultsCdb {
    fn parse(buf: &[u8]) -> Result<Self> {
        const WHAT: &str = "RECEIVE COPY RESULTS CDB";
        let v = ReceiveCopyResultsCdbView::new_checked(buf)?;
        if v.opcode() != Self::OPCODE {
            return Err(WireError::InvalidField {
                what: WHAT,
                field: "OPERATION CODE",
                value: u64::from(v.opcode()),
            });
        }
        if buf[field::SERVICE_ACTION] & 0xe0 != 0
            || buf[field::CDB_RESERVED].iter().any(|&b| b != 0)
            || buf[14] != 0
        {
            return Err(WireError::Inconsistent {
                what: WHAT,
                reason: "reserved bits are not zero",
            });
        }
        Ok(ReceiveCopyResultsCdb {
            service_action: ServiceAction::from_bits(v.service_action_bits()),
            list_id: v.list_id(),
            allocation_length: v.allocation_length(),
            control: v.control(),
        })
    }
    fn buffer_len(&self) -> usize {
        field::CDB_LEN
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out("RECEIVE COPY RESULTS CDB", buf, field::CDB_LEN)?;
        buf[..field::CDB_LEN].fill(0);
        let mut v = ReceiveCopyResultsCdbView::new_unchecked(&mut buf[..field::CDB_LEN]);
        v.set_opcode(Self::OPCODE);
        v.set_service_action_bits(self.service_action.bits());
        v.set_list_id(self.list_id);
        v.set_allocation_length(self.allocation_length);
        v.set_control(self.control);
        Ok(())
    }
}

/// COPY MANAGER STATUS of COPY STATUS (SPC-4 table 125).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CopyManagerStatus {
    /// 00h: operation in progress.
    InProgress,
    /// 01h: completed without errors.
    Completed,
    /// 02h: completed with errors.
    CompletedWithErrors,
    /// Reserved values.
    Reserved(u8),
}

impl CopyManagerStatus {
    /// Decodes the 7-bit field.
    pub fn from_bits(v: u8) -> Self {
        match v & 0x7f {
            0 => CopyManagerStatus::InProgress,
            1 => CopyManagerStatus::Completed,
            2 => CopyManagerStatus::CompletedWithErrors,
            other => CopyManagerStatus::Reserved(other),
        }
    }
    /// The 7-bit field.
    pub fn bits(self) -> u8 {
        match self {
            CopyManagerStatus::InProgress => 0,
            CopyManagerStatus::Completed => 1,
            CopyManagerStatus::CompletedWithErrors => 2,
            CopyManagerStatus::Reserved(v) => v & 0x7f,
        }
    }
}

impl fmt::Display for CopyManagerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CopyManagerStatus::InProgress => f.write_str("operation in progress"),
            CopyManagerStatus::Completed => f.write_str("completed without errors"),
            CopyManagerStatus::CompletedWithErrors => f.write_str("completed with errors"),
            CopyManagerStatus::Reserved(v) => write!(f, "reserved status {v:#04x}"),
        }
    }
}

/// TRANSFER COUNT UNITS (SPC-4 table 126).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferCountUnits {
    /// 00h..06h: bytes × 1024^n (n = the value).
    Power1024(u8),
    /// F1h: logical blocks of the destination.
    LogicalBlocks,
    /// Reserved values.
    Reserved(u8),
}

impl TransferCountUnits {
    /// Decodes the byte.
    pub fn from_byte(v: u8) -> Self {
        match v {
            0..=6 => TransferCountUnits::Power1024(v),
            0xf1 => TransferCountUnits::LogicalBlocks,
            other => TransferCountUnits::Reserved(other),
        }
    }
    /// The byte.
    pub fn to_byte(self) -> u8 {
        match self {
            TransferCountUnits::Power1024(v) => v,
            TransferCountUnits::LogicalBlocks => 0xf1,
            TransferCountUnits::Reserved(v) => v,
        }
    }
    /// The unit's size in bytes, if it is a byte multiple.
    pub fn bytes(self) -> Option<u64> {
        match self {
            TransferCountUnits::Power1024(n) => 1024u64.checked_pow(u32::from(n)),
            _ => None,
        }
    }
}

/// COPY STATUS parameter data (LID1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CopyStatus {
    /// HDD: held data discarded.
    pub hdd: bool,
    /// COPY MANAGER STATUS.
    pub status: CopyManagerStatus,
    /// SEGMENTS PROCESSED.
    pub segments_processed: u16,
    /// TRANSFER COUNT UNITS.
    pub units: TransferCountUnits,
    /// TRANSFER COUNT.
    pub transfer_count: u32,
}

impl Repr for CopyStatus {
    fn parse(buf: &[u8]) -> Result<Self> {
        const WHAT: &str = "COPY STATUS parameter data";
        check_len(WHAT, buf, field::CS_LEN)?;
        let available = get_be(&buf[field::AVAILABLE_DATA]);
        if available < 8 {
            return Err(WireError::InvalidField {
                what: WHAT,
                field: "AVAILABLE DATA",
                value: available,
            });
        }
        Ok(CopyStatus {
            hdd: buf[field::CS_STATUS] & 0x80 != 0,
            status: CopyManagerStatus::from_bits(buf[field::CS_STATUS]),
            segments_processed: get_be(&buf[field::CS_SEGMENTS]) as u16,
            units: TransferCountUnits::from_byte(buf[field::CS_UNITS]),
            transfer_count: get_be(&buf[field::CS_COUNT]) as u32,
        })
    }
    fn buffer_len(&self) -> usize {
        field::CS_LEN
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_out("COPY STATUS parameter data", buf, field::CS_LEN)?;
        put_be(&mut buf[field::AVAILABLE_DATA], 8);
        buf[field::CS_STATUS] = (u8::from(self.hdd) << 7) | self.status.bits();
        put_be(
            &mut buf[field::CS_SEGMENTS],
            u64::from(self.segments_processed),
        );
        buf[field::CS_UNITS] = self.units.to_byte();
        put_be(&mut buf[field::CS_COUNT], u64::from(self.transfer_count));
        Ok(())
    }
}

/// RECEIVE DATA parameter data (LID1): data held by the copy manager.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiveData {
    /// The held data.
    pub held_data: Vec<u8>,
}

impl Repr for ReceiveData {
    fn parse(buf: &[u8]) -> Result<Self> {
        const WHAT: &str = "RECEIVE DATA parameter data";
        check_len(WHAT, buf, 4)?;
        let n = usize::try_from(get_be(&buf[field::AVAILABLE_DATA])).unwrap_or(usize::MAX);
        let end = 4usize.saturating_add(n);
        check_len(WHAT, buf, end)?;
        Ok(ReceiveData {
            held_data: buf[4..end].to_vec(),
        })
    }
    fn buffer_len(&self) -> usize {
        4 + self.held_data.len()
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        const WHAT: &str = "RECEIVE DATA parameter data";
        check_out(WHAT, buf, self.buffer_len())?;
        super::check_fits(WHAT, "AVAILABLE DATA", self.held_data.len() as u64, 4)?;
        put_be(&mut buf[field::AVAILABLE_DATA], self.held_data.len() as u64);
        buf[4..self.buffer_len()].copy_from_slice(&self.held_data);
        Ok(())
    }
}

/// OPERATING PARAMETERS parameter data: the copy manager's limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OperatingParameters {
    /// AVAILABLE DATA as the device reported it (bytes after this field).
    pub available_data: u32,
    /// SNLID: supports no list identifier (LIST ID USAGE 11b).
    pub snlid: bool,
    /// MAXIMUM CSCD DESCRIPTOR COUNT.
    pub max_cscd_descriptors: u16,
    /// MAXIMUM SEGMENT DESCRIPTOR COUNT.
    pub max_segment_descriptors: u16,
    /// MAXIMUM DESCRIPTOR LIST LENGTH (CSCD + segment lists, bytes).
    pub max_descriptor_list_length: u32,
    /// MAXIMUM SEGMENT LENGTH (bytes one segment descriptor may move).
    pub max_segment_length: u32,
    /// MAXIMUM INLINE DATA LENGTH.
    pub max_inline_data_length: u32,
    /// HELD DATA LIMIT.
    pub held_data_limit: u32,
    /// MAXIMUM STREAM DEVICE TRANSFER SIZE.
    pub max_stream_device_transfer_size: u32,
    /// TOTAL CONCURRENT COPIES.
    pub total_concurrent_copies: u16,
    /// MAXIMUM CONCURRENT COPIES.
    pub max_concurrent_copies: u8,
    /// DATA SEGMENT GRANULARITY, log 2 (< 32).
    pub data_segment_granularity_log2: u8,
    /// INLINE DATA GRANULARITY, log 2 (< 32).
    pub inline_data_granularity_log2: u8,
    /// HELD DATA GRANULARITY, log 2 (< 32).
    pub held_data_granularity_log2: u8,
    /// Implemented descriptor type codes (segment and CSCD).
    pub implemented_descriptor_codes: Vec<u8>,
}

impl OperatingParameters {
    /// Fixed part length, before the implemented descriptor list.
    pub const FIXED_LEN: usize = field::OP_IMPL_LIST;

    /// Sets AVAILABLE DATA from the rest of the fields.
    pub fn with_computed_available_data(mut self) -> Self {
        self.available_data = (self.buffer_len() - 4) as u32;
        self
    }

    /// Data segment granularity in bytes.
    pub fn data_segment_granularity(&self) -> u32 {
        1u32 << self.data_segment_granularity_log2.min(31)
    }

    /// Whether the copy manager lists descriptor type `code` as implemented.
    pub fn implements(&self, code: u8) -> bool {
        self.implemented_descriptor_codes.contains(&code)
    }
}

impl Repr for OperatingParameters {
    fn parse(buf: &[u8]) -> Result<Self> {
        const WHAT: &str = "OPERATING PARAMETERS parameter data";
        check_len(WHAT, buf, field::OP_IMPL_LIST)?;
        let n = usize::from(buf[field::OP_IMPL_LEN]);
        let end = field::OP_IMPL_LIST + n;
        if buf.len() < end {
            return Err(WireError::Inconsistent {
                what: WHAT,
                reason: "the implemented descriptor list is longer than the data returned",
            });
        }
        let gran = |f: super::Field, name: &'static str| -> Result<u8> {
            let g = buf[f][0];
            if g >= 32 {
                return Err(WireError::InvalidField {
                    what: WHAT,
                    field: name,
                    value: u64::from(g),
                });
            }
            Ok(g)
        };
        Ok(OperatingParameters {
            available_data: get_be(&buf[field::AVAILABLE_DATA]) as u32,
            snlid: buf[field::OP_SNLID] & 0x01 != 0,
            max_cscd_descriptors: get_be(&buf[field::OP_MAX_CSCD]) as u16,
            max_segment_descriptors: get_be(&buf[field::OP_MAX_SEGMENTS]) as u16,
            max_descriptor_list_length: get_be(&buf[field::OP_MAX_LIST]) as u32,
            max_segment_length: get_be(&buf[field::OP_MAX_SEGMENT_LEN]) as u32,
            max_inline_data_length: get_be(&buf[field::OP_MAX_INLINE]) as u32,
            held_data_limit: get_be(&buf[field::OP_HELD_LIMIT]) as u32,
            max_stream_device_transfer_size: get_be(&buf[field::OP_MAX_STREAM]) as u32,
            total_concurrent_copies: get_be(&buf[field::OP_TOTAL_CONCURRENT]) as u16,
            max_concurrent_copies: buf[field::OP_MAX_CONCURRENT][0],
            data_segment_granularity_log2: gran(field::OP_DATA_GRAN, "DATA SEGMENT GRANULARITY")?,
            inline_data_granularity_log2: gran(field::OP_INLINE_GRAN, "INLINE DATA GRANULARITY")?,
            held_data_granularity_log2: gran(field::OP_HELD_GRAN, "HELD DATA GRANULARITY")?,
            implemented_descriptor_codes: buf[field::OP_IMPL_LIST..end].to_vec(),
        })
    }
    fn buffer_len(&self) -> usize {
        field::OP_IMPL_LIST + self.implemented_descriptor_codes.len()
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        const WHAT: &str = "OPERATING PARAMETERS parameter data";
        let total = self.buffer_len();
        check_out(WHAT, buf, total)?;
        super::check_fits(
            WHAT,
            "IMPLEMENTED DESCRIPTOR LIST LENGTH",
            self.implemented_descriptor_codes.len() as u64,
            1,
        )?;
        for (g, name) in [
            (
                self.data_segment_granularity_log2,
                "DATA SEGMENT GRANULARITY",
            ),
            (self.inline_data_granularity_log2, "INLINE DATA GRANULARITY"),
            (self.held_data_granularity_log2, "HELD DATA GRANULARITY"),
        ] {
            if g >= 32 {
                return Err(WireError::Overflow {
                    what: WHAT,
                    field: name,
                    value: u64::from(g),
                });
            }
        }
        let b = &mut buf[..total];
        b.fill(0);
        put_be(
            &mut b[field::AVAILABLE_DATA],
            u64::from(self.available_data),
        );
        b[field::OP_SNLID] = u8::from(self.snlid);
        put_be(
            &mut b[field::OP_MAX_CSCD],
            u64::from(self.max_cscd_descriptors),
        );
        put_be(
            &mut b[field::OP_MAX_SEGMENTS],
            u64::from(self.max_segment_descriptors),
        );
        put_be(
            &mut b[field::OP_MAX_LIST],
            u64::from(self.max_descriptor_list_length),
        );
        put_be(
            &mut b[field::OP_MAX_SEGMENT_LEN],
            u64::from(self.max_segment_length),
        );
        put_be(
            &mut b[field::OP_MAX_INLINE],
            u64::from(self.max_inline_data_length),
        );
        put_be(
            &mut b[field::OP_HELD_LIMIT],
            u64::from(self.held_data_limit),
        );
        put_be(
            &mut b[field::OP_MAX_STREAM],
            u64::from(self.max_stream_device_transfer_size),
        );
        put_be(
            &mut b[field::OP_TOTAL_CONCURRENT],
            u64::from(self.total_concurrent_copies),
        );
        b[field::OP_MAX_CONCURRENT][0] = self.max_concurrent_copies;
        b[field::OP_DATA_GRAN][0] = self.data_segment_granularity_log2;
        b[field::OP_INLINE_GRAN][0] = self.inline_data_granularity_log2;
        b[field::OP_HELD_GRAN][0] = self.held_data_granularity_log2;
        b[field::OP_IMPL_LEN] = self.implemented_descriptor_codes.len() as u8;
        b[field::OP_IMPL_LIST..].copy_from_slice(&self.implemented_descriptor_codes);
        Ok(())
    }
}

/// FAILED SEGMENT DETAILS parameter data (LID1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FailedSegmentDetails {
    /// AVAILABLE DATA as reported.
    pub available_data: u32,
    /// COPY COMMAND STATUS: the SCSI status the EXTENDED COPY ended with.
    pub copy_command_status: u8,
    /// SENSE DATA LENGTH as reported.
    pub sense_data_length: u16,
    /// The sense bytes present in the buffer (at most `sense_data_length`).
    pub sense: Vec<u8>,
}

impl FailedSegmentDetails {
    /// Details for a command that ended with `status` and `sense`.
    pub fn new(copy_command_status: u8, sense: Vec<u8>) -> Self {
        let sense_data_length = u16::try_from(sense.len()).unwrap_or(u16::MAX);
        FailedSegmentDetails {
            available_data: (field::FS_SENSE - 4 + sense.len()) as u32,
            copy_command_status,
            sense_data_length,
            sense,
        }
    }

    /// Whether the sense data was cut off by the buffer.
    pub fn sense_truncated(&self) -> bool {
        self.sense.len() < usize::from(self.sense_data_length)
    }
}

impl Repr for FailedSegmentDetails {
    fn parse(buf: &[u8]) -> Result<Self> {
        const WHAT: &str = "FAILED SEGMENT DETAILS parameter data";
        check_len(WHAT, buf, field::FS_SENSE)?;
        let declared = get_be(&buf[field::FS_SENSE_LEN]) as u16;
        let present = usize::from(declared).min(buf.len() - field::FS_SENSE);
        Ok(FailedSegmentDetails {
            available_data: get_be(&buf[field::AVAILABLE_DATA]) as u32,
            copy_command_status: buf[field::FS_STATUS],
            sense_data_length: declared,
            sense: buf[field::FS_SENSE..field::FS_SENSE + present].to_vec(),
        })
    }
    fn buffer_len(&self) -> usize {
        field::FS_SENSE + self.sense.len()
    }
    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        const WHAT: &str = "FAILED SEGMENT DETAILS parameter data";
        let total = self.buffer_len();
        check_out(WHAT, buf, total)?;
        if self.sense.len() > usize::from(self.sense_data_length) {
            return Err(WireError::Inconsistent {
                what: WHAT,
                reason: "more sense bytes than SENSE DATA LENGTH says",
            });
        }
        let b = &mut buf[..total];
        b.fill(0);
        put_be(
            &mut b[field::AVAILABLE_DATA],
            u64::from(self.available_data),
        );
        b[field::FS_STATUS] = self.copy_command_status;
        put_be(
            &mut b[field::FS_SENSE_LEN],
            u64::from(self.sense_data_length),
        );
        b[field::FS_SENSE..].copy_from_slice(&self.sense);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// OPERATING PARAMETERS as spc.md lists LIO's values.
    fn lio() -> OperatingParameters {
        OperatingParameters {
            snlid: true,
            max_cscd_descriptors: 2,
            max_segment_descriptors: 1,
            max_descriptor_list_length: 1024,
            max_segment_length: 256 * 1024 * 1024,
            max_concurrent_copies: 1,
            total_concurrent_copies: 1,
            data_segment_granularity_log2: 9,
            implemented_descriptor_codes: vec![0x02, 0xe4],
            ..Default::default()
        }
        .with_computed_available_data()
    }

    #[test]
    fn cdb_golden() {
        let c = ReceiveCopyResultsCdb::new(ServiceAction::OperatingParameters, 0, 1024);
        let mut b = [0xa5u8; 16];
        c.emit(&mut b).unwrap();
        assert_eq!(
            b,
            [0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x00, 0, 0]
        );
        assert_eq!(ReceiveCopyResultsCdb::parse(&b).unwrap(), c);
        let mut bad = b;
        bad[1] = 0x23;
        assert!(matches!(
            ReceiveCopyResultsCdb::parse(&bad),
            Err(WireError::Inconsistent { .. })
        ));
        bad[1] = 0x03;
        bad[0] = 0x83;
        assert!(ReceiveCopyResultsCdb::parse(&bad).is_err());
    }

    #[test]
    fn operating_parameters_golden() {
        let b = lio().to_vec().unwrap();
        assert_eq!(b.len(), 46);
        assert_eq!(&b[0..4], &[0, 0, 0, 42], "AVAILABLE DATA");
        assert_eq!(b[4], 1, "SNLID");
        assert_eq!(&b[8..10], &[0, 2], "MAXIMUM CSCD DESCRIPTOR COUNT");
        assert_eq!(&b[10..12], &[0, 1], "MAXIMUM SEGMENT DESCRIPTOR COUNT");
        assert_eq!(&b[12..16], &[0, 0, 4, 0], "MAXIMUM DESCRIPTOR LIST LENGTH");
        assert_eq!(&b[16..20], &[0x10, 0, 0, 0], "MAXIMUM SEGMENT LENGTH");
        assert_eq!(b[37], 9, "DATA SEGMENT GRANULARITY");
        assert_eq!(&b[43..46], &[2, 0x02, 0xe4]);
        let p = OperatingParameters::parse(&b).unwrap();
        assert_eq!(p, lio());
        assert!(p.implements(0x02) && !p.implements(0x00));
        assert_eq!(p.data_segment_granularity(), 512);
    }

    #[test]
    fn implemented_list_past_buffer_is_rejected() {
        let mut b = lio().to_vec().unwrap();
        b[43] = 3;
        assert!(matches!(
            OperatingParameters::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
        assert!(matches!(
            OperatingParameters::parse(&b[..43]),
            Err(WireError::Truncated { .. })
        ));
    }

    #[test]
    fn granularity_of_32_or_more_is_rejected() {
        for at in [37, 38, 39] {
            let mut b = lio().to_vec().unwrap();
            b[at] = 32;
            assert!(
                matches!(
                    OperatingParameters::parse(&b),
                    Err(WireError::InvalidField { value: 32, .. })
                ),
                "byte {at}"
            );
        }
    }

    #[test]
    fn copy_status_golden() {
        let b = [
            0, 0, 0, 8,    // AVAILABLE DATA
            0x01, // HDD 0, completed without errors
            0x00, 0x03, // SEGMENTS PROCESSED 3
            0xf1, // TRANSFER COUNT UNITS: logical blocks
            0x00, 0x02, 0x00, 0x00, // TRANSFER COUNT 131072
        ];
        let s = CopyStatus::parse(&b).unwrap();
        assert_eq!(s.status, CopyManagerStatus::Completed);
        assert_eq!(s.segments_processed, 3);
        assert_eq!(s.units, TransferCountUnits::LogicalBlocks);
        assert_eq!(s.transfer_count, 131_072);
        let mut out = [0xa5u8; 12];
        s.emit(&mut out).unwrap();
        assert_eq!(out, b);
        let mut short = b;
        short[3] = 7;
        assert!(CopyStatus::parse(&short).is_err());
        assert!(CopyStatus::parse(&b[..11]).is_err());
    }

    #[test]
    fn failed_segment_details_bounds_sense() {
        let sense = vec![
            0x70, 0, 0x0a, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x0d, 0x02, 0, 0, 0, 0,
        ];
        let d = FailedSegmentDetails::new(0x02, sense.clone());
        let b = d.to_vec().unwrap();
        assert_eq!(b.len(), 78);
        assert_eq!(&b[0..4], &[0, 0, 0, 74]);
        assert_eq!(b[56], 0x02);
        assert_eq!(&b[58..60], &[0, 18]);
        assert_eq!(FailedSegmentDetails::parse(&b).unwrap(), d);
        // Cut by a small allocation length: what is there, and a flag.
        let cut = FailedSegmentDetails::parse(&b[..64]).unwrap();
        assert_eq!(cut.sense, &sense[..4]);
        assert!(cut.sense_truncated());
        assert_eq!(cut.to_vec().unwrap(), &b[..64]);
    }

    #[test]
    fn receive_data_bounds() {
        let b = [0, 0, 0, 3, 9, 8, 7];
        assert_eq!(ReceiveData::parse(&b).unwrap().held_data, vec![9, 8, 7]);
        assert!(ReceiveData::parse(&b[..6]).is_err());
        assert!(ReceiveData::parse(&[0xff, 0xff, 0xff, 0xff]).is_err());
    }

    proptest! {
        #[test]
        fn cdb_round_trips(sa in 0u8..32, id in any::<u8>(), len in any::<u32>(), c in any::<u8>()) {
            let x = ReceiveCopyResultsCdb {
                service_action: ServiceAction::from_bits(sa),
                list_id: id,
                allocation_length: len,
                control: c,
            };
            prop_assert_eq!(ReceiveCopyResultsCdb::parse(&x.to_vec().unwrap()).unwrap(), x);
        }

        #[test]
        fn operating_parameters_round_trip(
            a in any::<u32>(), s in any::<bool>(), c in any::<u16>(), d in any::<u16>(),
            l in any::<[u32; 5]>(), t in any::<u16>(), m in any::<u8>(), g in [0u8..32, 0u8..32, 0u8..32],
            codes in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let p = OperatingParameters {
                available_data: a, snlid: s, max_cscd_descriptors: c, max_segment_descriptors: d,
                max_descriptor_list_length: l[0], max_segment_length: l[1],
                max_inline_data_length: l[2], held_data_limit: l[3],
                max_stream_device_transfer_size: l[4], total_concurrent_copies: t,
                max_concurrent_copies: m, data_segment_granularity_log2: g[0],
                inline_data_granularity_log2: g[1], held_data_granularity_log2: g[2],
                implemented_descriptor_codes: codes,
            };
            prop_assert_eq!(OperatingParameters::parse(&p.to_vec().unwrap()).unwrap(), p);
        }

        #[test]
        fn copy_status_round_trips(h in any::<bool>(), st in 0u8..128, n in any::<u16>(), u in any::<u8>(), tc in any::<u32>()) {
            let s = CopyStatus {
                hdd: h, status: CopyManagerStatus::from_bits(st), segments_processed: n,
                units: TransferCountUnits::from_byte(u), transfer_count: tc,
            };
            prop_assert_eq!(CopyStatus::parse(&s.to_vec().unwrap()).unwrap(), s);
        }

        #[test]
        fn failed_segment_details_round_trip(st in any::<u8>(), sense in proptest::collection::vec(any::<u8>(), 0..100)) {
            let d = FailedSegmentDetails::new(st, sense);
            prop_assert_eq!(FailedSegmentDetails::parse(&d.to_vec().unwrap()).unwrap(), d);
        }

        #[test]
        fn receive_data_round_trips(data in proptest::collection::vec(any::<u8>(), 0..100)) {
            let d = ReceiveData { held_data: data };
            prop_assert_eq!(ReceiveData::parse(&d.to_vec().unwrap()).unwrap(), d);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = ReceiveCopyResultsCdb::parse(&bytes);
            let _ = CopyStatus::parse(&bytes);
            let _ = ReceiveData::parse(&bytes);
            let _ = OperatingParameters::parse(&bytes);
            let _ = FailedSegmentDetails::parse(&bytes);
        }
    }
}
