//! The LIO profile: EXTENDED COPY (LID1) and RECEIVE COPY RESULTS exactly as
//! Linux LIO's copy manager answers them — `drivers/target/target_core_xcopy.c`
//! and the sense table of `target_core_transport.c` at Linux 6.1.192, the
//! source of the lab's Debian kernel (6.1.0-56/-57). Each step below names
//! the LIO function (and line of 6.1.192) it follows; `docs/lio-profile.md`
//! walks the same lines with the behaviour-table case that holds each one
//! to what the lab's LIO answered (`fixtures/lio/behaviour.tsv`).
//!
//! The bytes are read as LIO reads them — by offset, never through the
//! standard's parsers — so that what LIO does not look at (reserved bytes,
//! LIST ID, PRIORITY, STR, DC, CAT, the CSCD's device-type-specific bytes,
//! its peripheral device type, RELATIVE INITIATOR PORT IDENTIFIER, the CDB's
//! reserved bytes and CONTROL) changes nothing here either, and so that its
//! arithmetic is LIO's (the 32-bit sums of the header lengths wrap).
//!
//! Order (each step returns the first failure):
//! 1. `target_cmd_size_check`: a PARAMETER LIST LENGTH above the bytes the
//!    initiator sends is INVALID FIELD IN CDB; fewer is not an error, and
//!    the length LIO works with from then on is the transfer's, not the
//!    CDB's. RECEIVE COPY RESULTS works with the smaller of its
//!    ALLOCATION LENGTH and the initiator's buffer.
//! 2. `target_do_xcopy`: SERVICE ACTION (CDB byte 1 bits 4-0) other than
//!    00h → INVALID COMMAND OPERATION CODE; a transfer of 0 bytes → GOOD,
//!    under 16 → PARAMETER LIST LENGTH ERROR. (`emulate_3pc` = 0 is a disk
//!    without a copy manager here, which answers 83h with the same 20/00.)
//! 3. `target_parse_xcopy_cmd`: CSCD + segment list lengths over 1,024 →
//!    PARAMETER LIST LENGTH ERROR; INLINE DATA LENGTH ≠ 0 → INVALID FIELD IN
//!    PARAMETER LIST; the lists past the transfer → PARAMETER LIST LENGTH
//!    ERROR; then the segment list, then the CSCD list.
//! 4. `target_xcopy_parse_segment_descriptors`: length not a multiple of 28
//!    → UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE; more than one →
//!    TOO MANY SEGMENT DESCRIPTORS; a type other than 02h → UNSUPPORTED…;
//!    DESCRIPTOR LENGTH ≠ 0018h or a CSCD index over 07FFh → INVALID FIELD;
//!    none at all → INVALID FIELD.
//! 5. `target_xcopy_parse_target_descriptors`: length not a multiple of 32
//!    → UNSUPPORTED TARGET DESCRIPTOR TYPE CODE; more than two → TOO MANY
//!    TARGET DESCRIPTORS; each descriptor in order, referenced or not: not
//!    E4h → UNSUPPORTED…, an E4h not binary / LU / NAA / 16 bytes / NAA 6 →
//!    INVALID FIELD; then the source or the destination must be the
//!    receiving LU (the destination wins when both are) and the other an
//!    LU with a copy manager that it reaches, else COPY ABORTED 0D/02.
//! 6. Block lengths must match: NOT READY 08/00.
//! 7. `target_xcopy_do_work`: NUMBER OF BLOCKS 0 → GOOD without I/O; any
//!    failed read or write → COPY ABORTED 0D/02 and nothing more.
//!
//! RECEIVE COPY RESULTS (`target_do_receive_copy_results`): LIST IDENTIFIER
//! ≠ 0, then a SERVICE ACTION other than 03h, then a length under 54 →
//! INVALID FIELD IN CDB; a length of 0 → TASK SET FULL (LIO cannot map an
//! empty buffer: `TCM_OUT_OF_RESOURCES`); else OPERATING PARAMETERS filling
//! the whole length (zeros after byte 46).
//!
//! Sense (`translate_sense_reason`): no sense-key-specific bytes, no
//! COMMAND-SPECIFIC INFORMATION, no forwarded sense; fixed format (18
//! bytes), or descriptor format (8 bytes) when the LU's last LBA does not
//! fit 32 bits (`target_sense_desc_format`: more than 2^32 blocks).

use std::ops::Range;

use super::{copy_blocks, dry, CopyManager};
use crate::sim::common::{check_sense, data_in};
use crate::sim::{BlockTarget, Fabric};
use crate::transport::{Completion, DataDirection, ScsiStatus};
use crate::wire::sense::{SenseData, SenseKey};
use crate::wire::Repr;

/// LIO's offsets (`target_core_xcopy.c`), by the name of the field each
/// holds.
mod field {
    use std::ops::Range;

    /// CDB byte 1: SERVICE ACTION in bits 4-0 (LIO masks 1Fh).
    pub const SERVICE_ACTION: usize = 1;
    /// RECEIVE COPY RESULTS CDB: LIST IDENTIFIER.
    pub const RCR_LIST_ID: usize = 2;
    /// CDB: PARAMETER LIST LENGTH (83h) / ALLOCATION LENGTH (84h).
    pub const CDB_LENGTH: Range<usize> = 10..14;
    /// The CDB length of both commands.
    pub const CDB_LEN: usize = 16;

    /// Header: CSCD DESCRIPTOR LIST LENGTH (`tdll`).
    pub const CSCD_LIST_LENGTH: Range<usize> = 2..4;
    /// Header: SEGMENT DESCRIPTOR LIST LENGTH (`sdll`).
    pub const SEGMENT_LIST_LENGTH: Range<usize> = 8..12;
    /// Header: INLINE DATA LENGTH (`inline_dl`).
    pub const INLINE_DATA_LENGTH: Range<usize> = 12..16;
    /// `XCOPY_HDR_LEN`.
    pub const HEADER_LEN: usize = 16;

    /// Segment descriptor: type code.
    pub const SEG_TYPE: usize = 0;
    /// Segment descriptor: DESCRIPTOR LENGTH.
    pub const SEG_DESCRIPTOR_LENGTH: Range<usize> = 2..4;
    /// Segment descriptor: SOURCE CSCD DESCRIPTOR ID (`stdi`).
    pub const SEG_SOURCE: Range<usize> = 4..6;
    /// Segment descriptor: DESTINATION CSCD DESCRIPTOR ID (`dtdi`).
    pub const SEG_DESTINATION: Range<usize> = 6..8;
    /// 02h: NUMBER OF BLOCKS (`nolb`).
    pub const SEG_BLOCKS: Range<usize> = 10..12;
    /// 02h: SOURCE LOGICAL BLOCK ADDRESS.
    pub const SEG_SOURCE_LBA: Range<usize> = 12..20;
    /// 02h: DESTINATION LOGICAL BLOCK ADDRESS.
    pub const SEG_DESTINATION_LBA: Range<usize> = 20..28;
    /// `XCOPY_SEGMENT_DESC_LEN`.
    pub const SEG_LEN: usize = 28;

    /// CSCD descriptor: type code.
    pub const CSCD_TYPE: usize = 0;
    /// E4h: CODE SET in bits 3-0.
    pub const E4_CODE_SET: usize = 4;
    /// E4h: ASSOCIATION in bits 5-4, DESIGNATOR TYPE in bits 3-0.
    pub const E4_ASSOCIATION_TYPE: usize = 5;
    /// E4h: DESIGNATOR LENGTH.
    pub const E4_DESIGNATOR_LENGTH: usize = 7;
    /// E4h: the 16 designator bytes LIO compares (`XCOPY_NAA_IEEE_REGEX_LEN`).
    pub const E4_NAA: Range<usize> = 8..24;
    /// `XCOPY_TARGET_DESC_LEN`.
    pub const CSCD_LEN: usize = 32;
}

/// Segment descriptor type 02h (block → block), the only one LIO takes.
const BLOCK_TO_BLOCK: u8 = 0x02;
/// CSCD type E4h (identification descriptor), the only one LIO takes.
const IDENTIFICATION: u8 = 0xe4;
/// `XCOPY_CSCD_DESC_ID_LIST_OFF_MAX`.
const CSCD_ID_MAX: u16 = 0x07ff;
/// OPERATING PARAMETERS, the only RECEIVE COPY RESULTS action LIO answers.
const OPERATING_PARAMETERS: u8 = 0x03;
/// The shortest allocation length LIO fills (`target_rcr_operating_parameters`).
const RCR_MIN_LENGTH: usize = 54;

/// LIO's sense reasons (`sense_reason_t`) this profile returns, each with
/// the key, ASC and ASCQ of `sense_detail_table` (target_core_transport.c
/// 3321–3489).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    /// `TCM_UNSUPPORTED_SCSI_OPCODE`: ILLEGAL REQUEST 20/00.
    UnsupportedOpcode,
    /// `TCM_INVALID_CDB_FIELD`: ILLEGAL REQUEST 24/00.
    InvalidCdbField,
    /// `TCM_INVALID_PARAMETER_LIST`: ILLEGAL REQUEST 26/00.
    InvalidParameterList,
    /// `TCM_PARAMETER_LIST_LENGTH_ERROR`: ILLEGAL REQUEST 1A/00.
    ParameterListLength,
    /// `TCM_TOO_MANY_TARGET_DESCS`: ILLEGAL REQUEST 26/06.
    TooManyTargetDescriptors,
    /// `TCM_UNSUPPORTED_TARGET_DESC_TYPE_CODE`: ILLEGAL REQUEST 26/07.
    UnsupportedTargetDescriptor,
    /// `TCM_TOO_MANY_SEGMENT_DESCS`: ILLEGAL REQUEST 26/08.
    TooManySegmentDescriptors,
    /// `TCM_UNSUPPORTED_SEGMENT_DESC_TYPE_CODE`: ILLEGAL REQUEST 26/09.
    UnsupportedSegmentDescriptor,
    /// `TCM_COPY_TARGET_DEVICE_NOT_REACHABLE`: COPY ABORTED 0D/02.
    NotReachable,
    /// `TCM_LOGICAL_UNIT_COMMUNICATION_FAILURE`: NOT READY 08/00.
    CommunicationFailure,
}

impl Reason {
    fn code(self) -> (SenseKey, u8, u8) {
        use SenseKey::{CopyAborted, IllegalRequest, NotReady};
        match self {
            Reason::UnsupportedOpcode => (IllegalRequest, 0x20, 0x00),
            Reason::InvalidCdbField => (IllegalRequest, 0x24, 0x00),
            Reason::InvalidParameterList => (IllegalRequest, 0x26, 0x00),
            Reason::ParameterListLength => (IllegalRequest, 0x1a, 0x00),
            Reason::TooManyTargetDescriptors => (IllegalRequest, 0x26, 0x06),
            Reason::UnsupportedTargetDescriptor => (IllegalRequest, 0x26, 0x07),
            Reason::TooManySegmentDescriptors => (IllegalRequest, 0x26, 0x08),
            Reason::UnsupportedSegmentDescriptor => (IllegalRequest, 0x26, 0x09),
            Reason::NotReachable => (CopyAborted, 0x0d, 0x02),
            Reason::CommunicationFailure => (NotReady, 0x08, 0x00),
        }
    }
}

/// The CDB as LIO sees it: always its 16 bytes (missing ones read as zero).
fn cdb16(cdb: &[u8]) -> [u8; field::CDB_LEN] {
    let mut c = [0u8; field::CDB_LEN];
    let n = cdb.len().min(field::CDB_LEN);
    c[..n].copy_from_slice(&cdb[..n]);
    c
}

fn be16(b: &[u8], r: Range<usize>) -> u16 {
    b.get(r)
        .and_then(|s| <[u8; 2]>::try_from(s).ok())
        .map_or(0, u16::from_be_bytes)
}

fn be32(b: &[u8], r: Range<usize>) -> u32 {
    b.get(r)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map_or(0, u32::from_be_bytes)
}

fn be64(b: &[u8], r: Range<usize>) -> u64 {
    b.get(r)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map_or(0, u64::from_be_bytes)
}

/// The one segment LIO copies (`struct xcopy_op`'s fields from the 02h
/// descriptor).
struct Segment {
    stdi: u16,
    dtdi: u16,
    nolb: u16,
    src_lba: u64,
    dst_lba: u64,
}

/// Which end of the segment is the LU that received the command
/// (`xop->op_origin`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// `XCOL_SOURCE_RECV_OP`: it is the source; the destination is remote.
    Source,
    /// `XCOL_DEST_RECV_OP`: it is the destination; the source is remote.
    Destination,
}

impl CopyManager {
    /// The sense LIO sends for `r` (`translate_sense_reason`): descriptor
    /// format when the LU has more than 2^32 blocks, fixed otherwise.
    fn lio_sense(&self, r: Reason) -> Completion {
        let (k, a, q) = r.code();
        let large = self
            .disk
            .as_ref()
            .and_then(|d| d.block())
            .is_some_and(|b| b.capacity_blocks().saturating_sub(1) > u64::from(u32::MAX));
        if large {
            check_sense(SenseData::descriptor(k, a, q).into())
        } else {
            check_sense(SenseData::fixed(k, a, q).into())
        }
    }

    /// EXTENDED COPY: `target_cmd_size_check`, then `target_do_xcopy`.
    pub(super) fn lio_extended_copy(
        &self,
        fabric: &Fabric,
        cdb: &[u8],
        data: DataDirection<'_>,
    ) -> Completion {
        let cdb = cdb16(cdb);
        let transfer: &[u8] = match &data {
            DataDirection::ToDevice(b) => b,
            _ => &[],
        };
        // target_core_transport.c 1403–1434: a control CDB that asks for
        // more than the initiator sends is refused; one that asks for less
        // keeps the whole transfer as its data length.
        let size = be32(&cdb, field::CDB_LENGTH);
        if u64::from(size) > transfer.len() as u64 {
            return self.lio_sense(Reason::InvalidCdbField);
        }
        // target_do_xcopy, 884–898.
        if cdb[field::SERVICE_ACTION] & 0x1f != 0 {
            return self.lio_sense(Reason::UnsupportedOpcode);
        }
        if transfer.is_empty() {
            return Completion::good(0);
        }
        if transfer.len() < field::HEADER_LEN {
            return self.lio_sense(Reason::ParameterListLength);
        }
        match self.lio_parse(fabric, transfer) {
            Ok(c) => c,
            Err(r) => self.lio_sense(r),
        }
    }

    /// `target_parse_xcopy_cmd` (786–871), then the copy.
    fn lio_parse(&self, fabric: &Fabric, p: &[u8]) -> Result<Completion, Reason> {
        // LIST IDENTIFIER and LIST ID USAGE are read (801–802) for a debug
        // line only.
        let tdll = be16(p, field::CSCD_LIST_LENGTH);
        let sdll = be32(p, field::SEGMENT_LIST_LENGTH);
        // 809: unsigned 32-bit sums, as LIO computes them: they can wrap.
        if u32::from(tdll).wrapping_add(sdll) > self.profile.limits.max_descriptor_list_length {
            return Err(Reason::ParameterListLength);
        }
        let inline_dl = be32(p, field::INLINE_DATA_LENGTH);
        if inline_dl != 0 {
            return Err(Reason::InvalidParameterList);
        }
        let claimed = (field::HEADER_LEN as u32)
            .wrapping_add(u32::from(tdll))
            .wrapping_add(sdll)
            .wrapping_add(inline_dl);
        let data_length = u32::try_from(p.len()).unwrap_or(u32::MAX);
        if data_length < claimed {
            return Err(Reason::ParameterListLength);
        }
        // 838–842: the segment descriptors first (they name the CSCDs).
        let seg_at = field::HEADER_LEN + usize::from(tdll);
        let seg = self.lio_segments(p, seg_at, sdll)?;
        let origin = self.lio_cscds(p, tdll, &seg)?;
        self.lio_copy(fabric, origin, &seg)
    }

    /// `target_xcopy_parse_segment_descriptors` (334–384) and
    /// `target_xcopy_parse_segdesc_02` (298–332).
    fn lio_segments(&self, p: &[u8], at: usize, sdll: u32) -> Result<Segment, Reason> {
        let max = u32::from(self.profile.limits.max_segment_descriptors);
        if sdll % field::SEG_LEN as u32 != 0 {
            return Err(Reason::UnsupportedSegmentDescriptor);
        }
        if sdll > max.saturating_mul(field::SEG_LEN as u32) {
            return Err(Reason::TooManySegmentDescriptors);
        }
        // Within the transfer: sdll is at most 28 × the maximum here, so the
        // length check of the header did not wrap.
        let list = p
            .get(at..at + sdll as usize)
            .ok_or(Reason::InvalidParameterList)?;
        let mut last = None;
        for d in list.chunks_exact(field::SEG_LEN) {
            if d[field::SEG_TYPE] != BLOCK_TO_BLOCK {
                return Err(Reason::UnsupportedSegmentDescriptor);
            }
            // DC (byte 1 bit 1) is read for a debug line only; CAT and the
            // reserved bytes are not read.
            if be16(d, field::SEG_DESCRIPTOR_LENGTH) != 0x18 {
                return Err(Reason::InvalidParameterList);
            }
            let (stdi, dtdi) = (be16(d, field::SEG_SOURCE), be16(d, field::SEG_DESTINATION));
            if stdi > CSCD_ID_MAX || dtdi > CSCD_ID_MAX {
                return Err(Reason::InvalidParameterList);
            }
            last = Some(Segment {
                stdi,
                dtdi,
                nolb: be16(d, field::SEG_BLOCKS),
                src_lba: be64(d, field::SEG_SOURCE_LBA),
                dst_lba: be64(d, field::SEG_DESTINATION_LBA),
            });
        }
        // 841: no descriptor parsed.
        last.ok_or(Reason::InvalidParameterList)
    }

    /// `target_xcopy_parse_target_descriptors` (201–296) and
    /// `target_xcopy_parse_tiddesc_e4` (115–199): which end is this LU,
    /// and the NAA of the other.
    fn lio_cscds(&self, p: &[u8], tdll: u16, seg: &Segment) -> Result<(Origin, Vec<u8>), Reason> {
        let max = usize::from(self.profile.limits.max_cscd_descriptors);
        let tdll = usize::from(tdll);
        if tdll % field::CSCD_LEN != 0 {
            return Err(Reason::UnsupportedTargetDescriptor);
        }
        if tdll > max.saturating_mul(field::CSCD_LEN) {
            return Err(Reason::TooManyTargetDescriptors);
        }
        let list = p
            .get(field::HEADER_LEN..field::HEADER_LEN + tdll)
            .ok_or(Reason::InvalidParameterList)?;
        let local = self.identity.naa.as_slice();
        let mut origin = None;
        let (mut src_naa, mut dst_naa): (&[u8], &[u8]) = (&[], &[]);
        for (index, d) in list.chunks_exact(field::CSCD_LEN).enumerate() {
            if d[field::CSCD_TYPE] != IDENTIFICATION {
                return Err(Reason::UnsupportedTargetDescriptor);
            }
            // Every E4h is checked, whether a segment names it or not;
            // bytes 1–3 (peripheral type, NUL, LU ID TYPE, RELATIVE
            // INITIATOR PORT IDENTIFIER), 6, 24–31 (the designator's last
            // four bytes, PAD, DISK BLOCK LENGTH) and the upper bits of 4
            // and 5 are not.
            if d[field::E4_CODE_SET] & 0x0f != 0x1
                || d[field::E4_ASSOCIATION_TYPE] & 0x30 != 0
                || d[field::E4_ASSOCIATION_TYPE] & 0x0f != 0x3
                || usize::from(d[field::E4_DESIGNATOR_LENGTH]) != field::E4_NAA.len()
                || d[field::E4_NAA.start] & 0xf0 != 0x60
            {
                return Err(Reason::InvalidParameterList);
            }
            let naa = &d[field::E4_NAA];
            let index = u16::try_from(index).unwrap_or(u16::MAX);
            // 167–196: the destination is looked at after the source, so it
            // wins when both are this LU.
            if index == seg.stdi {
                src_naa = naa;
                if naa == local {
                    origin = Some(Origin::Source);
                }
            }
            if index == seg.dtdi {
                dst_naa = naa;
                if naa == local {
                    origin = Some(Origin::Destination);
                }
            }
        }
        match origin {
            Some(Origin::Source) => Ok((Origin::Source, dst_naa.to_vec())),
            Some(Origin::Destination) => Ok((Origin::Destination, src_naa.to_vec())),
            // 270–285: neither end is this LU.
            None => Err(Reason::NotReachable),
        }
    }

    /// The rest of `target_parse_xcopy_cmd` (851–860) and
    /// `target_xcopy_do_work` (656–780): the remote LU, the block lengths,
    /// and the copy.
    fn lio_copy(
        &self,
        fabric: &Fabric,
        (origin, remote_naa): (Origin, Vec<u8>),
        seg: &Segment,
    ) -> Result<Completion, Reason> {
        // target_xcopy_locate_se_dev_e4 (68–113): an LU of the session with
        // emulate_3pc and this NAA (an empty NAA: the segment named a CSCD
        // index past the list).
        let remote = self
            .find_3pc(fabric, &remote_naa)
            .ok_or(Reason::NotReachable)?;
        let me = fabric.block_path(self).ok_or(Reason::NotReachable)?;
        let other = fabric
            .block_path(remote.as_ref())
            .ok_or(Reason::NotReachable)?;
        let (src, dst): (&dyn BlockTarget, &dyn BlockTarget) = match origin {
            Origin::Source => (&me, &other),
            Origin::Destination => (&other, &me),
        };
        if src.block_length() != dst.block_length() {
            return Err(Reason::CommunicationFailure);
        }
        // 706: NUMBER OF BLOCKS 0 moves nothing and reads no block.
        let bytes = u64::from(seg.nolb) * u64::from(src.block_length());
        let copied = if self.profile.move_data {
            copy_blocks(src, seg.src_lba, dst, seg.dst_lba, bytes)
        } else {
            dry::copy_blocks(src, seg.src_lba, dst, seg.dst_lba, bytes)
        };
        // 765–779: whatever failed, COPY ABORTED 0D/02 and nothing more.
        copied.map_err(|_| Reason::NotReachable)?;
        Ok(Completion::good(0))
    }

    /// RECEIVE COPY RESULTS: `target_do_receive_copy_results` (1006–1034)
    /// and `target_rcr_operating_parameters` (916–1004).
    pub(super) fn lio_receive_copy_results(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
    ) -> Completion {
        let cdb = cdb16(cdb);
        let buffer = match &data {
            DataDirection::FromDevice(b) => b.len(),
            _ => 0,
        };
        // target_cmd_size_check: a read's data length is the smaller of the
        // CDB's and the initiator's.
        let alloc = usize::try_from(be32(&cdb, field::CDB_LENGTH)).unwrap_or(usize::MAX);
        let length = alloc.min(buffer);
        if cdb[field::RCR_LIST_ID] != 0 || cdb[field::SERVICE_ACTION] & 0x1f != OPERATING_PARAMETERS
        {
            return self.lio_sense(Reason::InvalidCdbField);
        }
        if length == 0 {
            // transport_kmap_data_sg has nothing to map: TCM_OUT_OF_RESOURCES,
            // which transport_generic_request_failure sends as TASK SET FULL.
            let mut c = Completion::good(0);
            c.status = ScsiStatus::TaskSetFull;
            return c;
        }
        if length < RCR_MIN_LENGTH {
            return self.lio_sense(Reason::InvalidCdbField);
        }
        let mut b = self.profile.limits.to_vec().unwrap_or_default();
        b.resize(length, 0);
        data_in(data, &b)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::super::Profile;
    use super::*;
    use crate::sim::disk::{Backing, SimDisk};
    use crate::transport::Transport;

    /// A fabric with one LIO LU of `blocks` 512-byte blocks, file-backed
    /// (sparse) in `dir`.
    fn lio_lu(dir: &std::path::Path, blocks: u64) -> Arc<Fabric> {
        let disk = SimDisk::new("lu", 512, blocks, Backing::File(dir.join("lu.img"))).unwrap();
        let id = disk.identity().clone();
        let mut f = Fabric::new();
        f.add(CopyManager::on_disk(disk, id, Profile::lio()))
            .unwrap();
        Arc::new(f)
    }

    /// The sense of an 8-byte EXTENDED COPY parameter list.
    fn short_list_sense(f: &Arc<Fabric>) -> Vec<u8> {
        let t = f.transport("lu").unwrap();
        let mut cdb = [0u8; 16];
        cdb[0] = 0x83;
        cdb[13] = 8;
        let c = t
            .execute(
                &cdb,
                DataDirection::ToDevice(&[0; 8]),
                Duration::from_secs(1),
            )
            .unwrap();
        assert_eq!(c.status, ScsiStatus::CheckCondition);
        c.sense
    }

    #[test]
    fn descriptor_sense_from_a_last_lba_past_32_bits() {
        let dir = tempfile::tempdir().unwrap();
        // 2^32 blocks: the last LBA is FFFFFFFFh, fixed format.
        let f = lio_lu(dir.path(), 1 << 32);
        assert_eq!(
            short_list_sense(&f),
            [0x70, 0, 0x05, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x1a, 0, 0, 0, 0, 0]
        );
        drop(f);
        std::fs::remove_file(dir.path().join("lu.img")).unwrap();
        // One block more: descriptor format.
        let f = lio_lu(dir.path(), (1 << 32) + 1);
        assert_eq!(short_list_sense(&f), [0x72, 0x05, 0x1a, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn operating_parameters_into_no_buffer_is_task_set_full() {
        // target_rcr_operating_parameters cannot map an empty buffer
        // (TCM_OUT_OF_RESOURCES): TASK SET FULL, no sense. Not in the
        // recorded table: Linux's midlayer retries TASK SET FULL until the
        // initiator's time-out.
        let dir = tempfile::tempdir().unwrap();
        let f = lio_lu(dir.path(), 2048);
        let t = f.transport("lu").unwrap();
        let mut cdb = [0u8; 16];
        cdb[0] = 0x84;
        cdb[1] = OPERATING_PARAMETERS;
        let c = t
            .execute(&cdb, DataDirection::None, Duration::from_secs(1))
            .unwrap();
        assert_eq!(c.status, ScsiStatus::TaskSetFull);
        assert!(c.sense.is_empty());
        // A list identifier is refused before the buffer is looked at.
        cdb[2] = 1;
        let c = t
            .execute(&cdb, DataDirection::None, Duration::from_secs(1))
            .unwrap();
        assert_eq!(c.status, ScsiStatus::CheckCondition);
        assert_eq!((c.sense[12], c.sense[13]), (0x24, 0x00));
    }
}
