//! The segmenter: cuts a block copy into segments — one EXTENDED COPY
//! command each — within the copy manager's OPERATING PARAMETERS, and
//! refuses requests that cannot be right (ranges past the end, overlapping
//! ranges on one logical unit, block sizes that differ), each with one
//! sentence saying what is wrong and what to do.
//!
//! Limits honoured (SPC-4 r37 §6.18.5): MAXIMUM SEGMENT DESCRIPTOR COUNT,
//! MAXIMUM CSCD DESCRIPTOR COUNT, MAXIMUM DESCRIPTOR LIST LENGTH, MAXIMUM
//! SEGMENT LENGTH (bytes per descriptor), DATA SEGMENT GRANULARITY, the
//! implemented descriptor type codes, and the 16-bit NUMBER OF BLOCKS of a
//! block→block descriptor (at most 65,535 blocks each).

use std::fmt;

use crate::wire::cscd::{self, CscdDescriptor, IdentificationCscd};
use crate::wire::rcr::OperatingParameters;
use crate::wire::segment::{self, SegmentDescriptor, MAX_BLOCKS_PER_B2B};
use crate::wire::vpd::Designator;
use crate::wire::xcopy::{ExtendedCopyCdb, ListIdUsage, ParameterList, HEADER_LEN};
use crate::wire::{Repr, WireError};

/// The parts of a copy manager's operating parameters a plan depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Copy manager's name, for messages.
    pub copy_manager: String,
    /// MAXIMUM SEGMENT DESCRIPTOR COUNT.
    pub max_segment_descriptors: u16,
    /// MAXIMUM CSCD DESCRIPTOR COUNT.
    pub max_cscd_descriptors: u16,
    /// MAXIMUM DESCRIPTOR LIST LENGTH.
    pub max_descriptor_list_length: u32,
    /// MAXIMUM SEGMENT LENGTH, bytes per segment descriptor.
    pub max_segment_length: u32,
    /// DATA SEGMENT GRANULARITY in bytes.
    pub granularity: u32,
    /// Implemented descriptor type codes (empty: the device listed none).
    pub implemented: Vec<u8>,
    /// MAXIMUM STREAM DEVICE TRANSFER SIZE (0: not given).
    pub max_stream_transfer: u32,
    /// MAXIMUM INLINE DATA LENGTH.
    pub max_inline: u32,
    /// INLINE DATA GRANULARITY in bytes.
    pub inline_granularity: u32,
}

impl Limits {
    /// Takes the limits from OPERATING PARAMETERS, refusing values that
    /// cannot be planned on (a zero maximum segment length, fewer than two
    /// CSCD descriptors, no segment descriptor).
    pub fn from_operating_parameters(
        copy_manager: &str,
        p: &OperatingParameters,
    ) -> Result<Limits, PlanError> {
        let cm = copy_manager.to_string();
        if p.max_segment_length == 0 {
            return Err(PlanError::UnusableLimit {
                copy_manager: cm,
                what: "a maximum segment length of 0",
            });
        }
        if p.max_cscd_descriptors < 2 {
            return Err(PlanError::UnusableLimit {
                copy_manager: cm,
                what: "room for fewer than two CSCD descriptors",
            });
        }
        if p.max_segment_descriptors == 0 {
            return Err(PlanError::UnusableLimit {
                copy_manager: cm,
                what: "room for no segment descriptor",
            });
        }
        Ok(Limits {
            copy_manager: cm,
            max_segment_descriptors: p.max_segment_descriptors,
            max_cscd_descriptors: p.max_cscd_descriptors,
            max_descriptor_list_length: p.max_descriptor_list_length,
            max_segment_length: p.max_segment_length,
            granularity: p.data_segment_granularity(),
            implemented: p.implemented_descriptor_codes.clone(),
            max_stream_transfer: p.max_stream_device_transfer_size,
            max_inline: p.max_inline_data_length,
            inline_granularity: 1u32 << p.inline_data_granularity_log2.min(31),
        })
    }

    /// Whether the copy manager implements descriptor type `code` (one that
    /// lists no codes is taken at its word for none of them but 02h/E4h,
    /// which every copy manager has).
    pub fn implements(&self, code: u8) -> bool {
        self.implemented.contains(&code)
            || (self.implemented.is_empty()
                && matches!(
                    code,
                    segment::code::BLOCK_TO_BLOCK | cscd::code::IDENTIFICATION
                ))
    }

    /// How many segment descriptors of `descriptor_bytes` each (header
    /// included) fit in one command with two CSCDs.
    pub fn descriptors_per_command_of(&self, descriptor_bytes: u64) -> u64 {
        let lists =
            u64::from(self.max_descriptor_list_length).saturating_sub(2 * cscd::CSCD_LEN as u64);
        (lists / descriptor_bytes.max(1)).min(u64::from(self.max_segment_descriptors))
    }

    pub(crate) fn check_implemented(&self, code: u8, what: &'static str) -> Result<(), PlanError> {
        if !self.implemented.is_empty() && !self.implemented.contains(&code) {
            return Err(PlanError::NotImplemented {
                copy_manager: self.copy_manager.clone(),
                code,
                what,
            });
        }
        Ok(())
    }

    /// How many block→block descriptors fit in one command with two CSCDs.
    pub fn descriptors_per_command(&self) -> u64 {
        self.descriptors_per_command_of(4 + u64::from(segment::BLOCK_BLOCK_DESCRIPTOR_LENGTH))
    }

    /// The most blocks one block→block descriptor may carry.
    pub fn blocks_per_descriptor(&self, block_length: u32) -> u64 {
        (u64::from(self.max_segment_length) / u64::from(block_length))
            .min(u64::from(MAX_BLOCKS_PER_B2B))
    }

    /// The most bytes one command (one segment) can move.
    pub fn max_segment_bytes(&self, block_length: u32) -> u64 {
        self.descriptors_per_command()
            * self.blocks_per_descriptor(block_length)
            * u64::from(block_length)
    }
}

/// One end of a block copy: a logical unit as the copy manager will name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The name the user gave it.
    pub name: String,
    /// Its designator (VPD 83h), for the E4h CSCD.
    pub designator: Designator,
    /// PERIPHERAL DEVICE TYPE.
    pub peripheral_device_type: u8,
    /// Logical block length.
    pub block_length: u32,
    /// Capacity in blocks.
    pub capacity_blocks: u64,
}

/// What to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockCopy {
    /// Where from.
    pub source: Endpoint,
    /// First source LBA.
    pub source_lba: u64,
    /// Where to.
    pub destination: Endpoint,
    /// First destination LBA.
    pub destination_lba: u64,
    /// How many blocks.
    pub blocks: u64,
    /// Bytes per segment (one command); `None` for the most one command can
    /// carry, rounded down to a whole MiB where that is possible.
    pub segment_bytes: Option<u64>,
    /// LIST IDENTIFIER.
    pub list_id: u8,
    /// LIST ID USAGE.
    pub list_id_usage: ListIdUsage,
    /// PRIORITY.
    pub priority: u8,
}

/// One segment: one EXTENDED COPY command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Its number, from 0.
    pub index: usize,
    /// First source LBA.
    pub source_lba: u64,
    /// First destination LBA.
    pub destination_lba: u64,
    /// Blocks it copies.
    pub blocks: u64,
    /// The parameter list to send.
    pub list: ParameterList,
}

impl Segment {
    /// The segment's command as bytes: the EXTENDED COPY (LID1) CDB and
    /// its parameter list. An error only if the list does not encode (a
    /// planner bug), never empty bytes.
    pub fn encode(&self) -> Result<(Vec<u8>, Vec<u8>), WireError> {
        let list = self.list.to_vec()?;
        let len = u32::try_from(list.len()).map_err(|_| WireError::Overflow {
            what: "EXTENDED COPY CDB",
            field: "PARAMETER LIST LENGTH",
            value: list.len() as u64,
        })?;
        Ok((ExtendedCopyCdb::new(len).to_vec()?, list))
    }
}

/// A block copy cut into segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The request.
    pub copy: BlockCopy,
    /// Block length of both ends.
    pub block_length: u32,
    /// Blocks per segment (the last may have fewer).
    pub segment_blocks: u64,
    /// The segments in order, each built when asked.
    pub segments: Segments,
}

impl Plan {
    /// Blocks copied by the segments before `index`.
    pub fn blocks_before(&self, index: usize) -> u64 {
        self.segments.blocks_before(index)
    }
}

/// A plan's segments, each computed from its index — its LBAs and its
/// parameter list built when it is asked for — so a plan keeps nothing per
/// segment and a copy of any size costs the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segments {
    /// The first segment's first source LBA.
    pub(crate) source_lba: u64,
    /// The first segment's first destination LBA.
    pub(crate) destination_lba: u64,
    /// Blocks of all the segments.
    pub(crate) blocks: u64,
    /// Blocks per segment (at least one; the last may have fewer).
    pub(crate) segment_blocks: u64,
    /// Blocks per segment descriptor (at least one; the last of a segment
    /// may have fewer).
    pub(crate) descriptor_blocks: u64,
    /// The header and the CSCD descriptors every segment's list carries;
    /// its segment descriptors are the segment's.
    pub(crate) template: ParameterList,
}

impl Segments {
    /// How many segments.
    pub fn len(&self) -> usize {
        usize::try_from(self.blocks.div_ceil(self.segment_blocks.max(1))).unwrap_or(usize::MAX)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.blocks == 0
    }

    /// Blocks copied by the segments before `index` (all of them past the
    /// last).
    pub fn blocks_before(&self, index: usize) -> u64 {
        (index as u64)
            .checked_mul(self.segment_blocks)
            .map_or(self.blocks, |b| b.min(self.blocks))
    }

    /// Segment `index` with its parameter list, if the plan has it (and
    /// its LBAs fit 64 bits).
    pub fn get(&self, index: usize) -> Option<Segment> {
        let done = (index as u64)
            .checked_mul(self.segment_blocks)
            .filter(|&d| d < self.blocks)?;
        let n = self.segment_blocks.min(self.blocks - done);
        let s0 = self.source_lba.checked_add(done)?;
        let d0 = self.destination_lba.checked_add(done)?;
        let per = self.descriptor_blocks.max(1);
        let mut descriptors = Vec::new();
        let mut off = 0u64;
        while off < n {
            let k = per.min(n - off);
            descriptors.push(SegmentDescriptor::block_to_block(
                0,
                1,
                k as u16, // k ≤ descriptor_blocks ≤ 65,535
                s0.checked_add(off)?,
                d0.checked_add(off)?,
            ));
            off += k;
        }
        let list = ParameterList {
            segments: descriptors,
            ..self.template.clone()
        };
        Some(Segment {
            index,
            source_lba: s0,
            destination_lba: d0,
            blocks: n,
            list,
        })
    }

    /// The segments in order.
    pub fn iter(&self) -> SegmentIter<'_> {
        SegmentIter {
            segments: self,
            next: 0,
            end: self.len(),
        }
    }
}

impl<'a> IntoIterator for &'a Segments {
    type Item = Segment;
    type IntoIter = SegmentIter<'a>;

    fn into_iter(self) -> SegmentIter<'a> {
        self.iter()
    }
}

/// The segments of a plan in order, each built as it is reached.
#[derive(Debug, Clone)]
pub struct SegmentIter<'a> {
    segments: &'a Segments,
    next: usize,
    end: usize,
}

impl Iterator for SegmentIter<'_> {
    type Item = Segment;

    fn next(&mut self) -> Option<Segment> {
        if self.next >= self.end {
            return None;
        }
        let s = self.segments.get(self.next);
        self.next += 1;
        s
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next.min(self.end);
        (n, Some(n))
    }
}

impl ExactSizeIterator for SegmentIter<'_> {}

/// Why a copy cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Nothing to copy.
    #[error("nothing to copy: give --blocks greater than 0")]
    ZeroBlocks,
    /// The two ends have different block sizes.
    #[error("{source_name} has {source_block_length}-byte blocks but {destination} has {destination_block_length}-byte blocks; a block copy needs the same block size on both")]
    BlockSizeMismatch {
        /// Source name.
        source_name: String,
        /// Its block length.
        source_block_length: u32,
        /// Destination name.
        destination: String,
        /// Its block length.
        destination_block_length: u32,
    },
    /// A range runs past the end of its device.
    #[error("{role} range LBA {lba} + {blocks} blocks goes past the end of {device}, which has {capacity} blocks; start lower or copy fewer blocks")]
    PastEnd {
        /// "source" or "destination".
        role: &'static str,
        /// The device.
        device: String,
        /// First LBA.
        lba: u64,
        /// Blocks.
        blocks: u64,
        /// Capacity in blocks.
        capacity: u64,
    },
    /// Source and destination are the same logical unit and overlap.
    #[error("{source_name} and {destination} are the same logical unit ({designator}) and the ranges overlap (LBAs {src_first}..={src_last} and {dst_first}..={dst_last}); choose ranges that do not overlap")]
    Overlap {
        /// Source name.
        source_name: String,
        /// Destination name.
        destination: String,
        /// The shared designator.
        designator: String,
        /// Source first LBA.
        src_first: u64,
        /// Source last LBA.
        src_last: u64,
        /// Destination first LBA.
        dst_first: u64,
        /// Destination last LBA.
        dst_last: u64,
    },
    /// The segment size is not a whole number of blocks.
    #[error("segment size {bytes} bytes is not a multiple of the {block_length}-byte block size; use a multiple of {block_length}")]
    SegmentNotBlockMultiple {
        /// Requested bytes.
        bytes: u64,
        /// Block length.
        block_length: u32,
    },
    /// The segment size is not a multiple of the data segment granularity.
    #[error("segment size {bytes} bytes is not a multiple of {copy_manager}'s data segment granularity ({granularity} bytes); use a multiple of {granularity}")]
    Granularity {
        /// Requested bytes.
        bytes: u64,
        /// Copy manager.
        copy_manager: String,
        /// Granularity.
        granularity: u32,
    },
    /// The segment size is more than one command can carry.
    #[error("segment size {bytes} bytes is more than one EXTENDED COPY to {copy_manager} can carry ({descriptors} descriptor(s) x {blocks_per_descriptor} blocks x {block_length} bytes = {max} bytes); use a segment size of at most {max} bytes")]
    SegmentTooLarge {
        /// Requested bytes.
        bytes: u64,
        /// Copy manager.
        copy_manager: String,
        /// Descriptors per command.
        descriptors: u64,
        /// Blocks per descriptor.
        blocks_per_descriptor: u64,
        /// Block length.
        block_length: u32,
        /// The most one command carries.
        max: u64,
    },
    /// The segment size is zero.
    #[error("a segment size of 0 bytes copies nothing; give a segment size of at least one block")]
    SegmentTooSmall,
    /// The copy manager does not implement a descriptor the plan needs.
    #[error("{copy_manager} does not list {what} ({code:02X}h) among its implemented descriptor types; it cannot do this copy")]
    NotImplemented {
        /// Copy manager.
        copy_manager: String,
        /// The missing code.
        code: u8,
        /// Its name.
        what: &'static str,
    },
    /// The copy manager reports a limit that makes planning impossible.
    #[error("{copy_manager} reports {what} in its OPERATING PARAMETERS; segcopy will not guess a usable value")]
    UnusableLimit {
        /// Copy manager.
        copy_manager: String,
        /// The limit in words.
        what: &'static str,
    },
    /// An LBA sum overflows.
    #[error("the {role} range overflows 64-bit LBAs")]
    Overflow {
        /// Which range.
        role: &'static str,
    },
}

fn check_range(role: &'static str, e: &Endpoint, lba: u64, blocks: u64) -> Result<u64, PlanError> {
    let end = lba
        .checked_add(blocks)
        .ok_or(PlanError::Overflow { role })?;
    if end > e.capacity_blocks {
        return Err(PlanError::PastEnd {
            role,
            device: e.name.clone(),
            lba,
            blocks,
            capacity: e.capacity_blocks,
        });
    }
    Ok(end)
}

/// Checks the two ends of a copy of `blocks` blocks from `source` at
/// `source_lba` to `destination` at `destination_lba`: the same block size,
/// both ranges on their devices, and, on one logical unit (the same
/// designator, whatever the names), ranges that do not overlap.
pub fn check_ends(
    source: &Endpoint,
    source_lba: u64,
    destination: &Endpoint,
    destination_lba: u64,
    blocks: u64,
) -> Result<(), PlanError> {
    let (src, dst) = (source, destination);
    if src.block_length != dst.block_length {
        return Err(PlanError::BlockSizeMismatch {
            source_name: src.name.clone(),
            source_block_length: src.block_length,
            destination: dst.name.clone(),
            destination_block_length: dst.block_length,
        });
    }
    let src_end = check_range("source", src, source_lba, blocks)?;
    let dst_end = check_range("destination", dst, destination_lba, blocks)?;
    if blocks > 0
        && src.designator == dst.designator
        && source_lba < dst_end
        && destination_lba < src_end
    {
        return Err(PlanError::Overlap {
            source_name: src.name.clone(),
            destination: dst.name.clone(),
            designator: src.designator.to_string(),
            src_first: source_lba,
            src_last: src_end - 1,
            dst_first: destination_lba,
            dst_last: dst_end - 1,
        });
    }
    Ok(())
}

/// Plans a block→block copy.
pub fn plan_block_copy(copy: BlockCopy, limits: &Limits) -> Result<Plan, PlanError> {
    if copy.blocks == 0 {
        return Err(PlanError::ZeroBlocks);
    }
    let (src, dst) = (&copy.source, &copy.destination);
    check_ends(src, copy.source_lba, dst, copy.destination_lba, copy.blocks)?;
    let bl = src.block_length;
    limits.check_implemented(
        segment::code::BLOCK_TO_BLOCK,
        "block→block segment descriptors",
    )?;
    limits.check_implemented(
        cscd::code::IDENTIFICATION,
        "Identification CSCD descriptors",
    )?;

    let per_desc = limits.blocks_per_descriptor(bl);
    let max_bytes = limits.max_segment_bytes(bl);
    if max_bytes == 0 {
        return Err(PlanError::UnusableLimit {
            copy_manager: limits.copy_manager.clone(),
            what: "limits under which not one block fits in a command",
        });
    }
    let bytes = match copy.segment_bytes {
        Some(b) => b,
        None if max_bytes >= 1 << 20 => max_bytes / (1 << 20) * (1 << 20),
        None => max_bytes,
    };
    if bytes == 0 {
        return Err(PlanError::SegmentTooSmall);
    }
    if bytes % u64::from(bl) != 0 {
        return Err(PlanError::SegmentNotBlockMultiple {
            bytes,
            block_length: bl,
        });
    }
    if bytes % u64::from(limits.granularity) != 0 {
        return Err(PlanError::Granularity {
            bytes,
            copy_manager: limits.copy_manager.clone(),
            granularity: limits.granularity,
        });
    }
    if bytes > max_bytes {
        return Err(PlanError::SegmentTooLarge {
            bytes,
            copy_manager: limits.copy_manager.clone(),
            descriptors: limits.descriptors_per_command(),
            blocks_per_descriptor: per_desc,
            block_length: bl,
            max: max_bytes,
        });
    }
    let segment_blocks = bytes / u64::from(bl);
    let cscds = vec![
        CscdDescriptor::Identification(IdentificationCscd::block(
            &src.designator,
            src.peripheral_device_type,
            bl,
        )),
        CscdDescriptor::Identification(IdentificationCscd::block(
            &dst.designator,
            dst.peripheral_device_type,
            bl,
        )),
    ];
    let segments = Segments {
        source_lba: copy.source_lba,
        destination_lba: copy.destination_lba,
        blocks: copy.blocks,
        segment_blocks,
        descriptor_blocks: per_desc,
        template: ParameterList {
            list_id: copy.list_id,
            str_bit: false,
            list_id_usage: copy.list_id_usage,
            priority: copy.priority,
            cscds,
            segments: vec![],
            inline_data: vec![],
        },
    };
    debug_assert!(segments.get(0).is_some_and(|s| {
        s.list.buffer_len() - HEADER_LEN <= limits.max_descriptor_list_length as usize
    }));
    Ok(Plan {
        copy,
        block_length: bl,
        segment_blocks,
        segments,
    })
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.copy;
        write!(
            f,
            "{} blocks of {} bytes from {}@{} to {}@{} in {} segment(s) of up to {} blocks ({} bytes)",
            c.blocks,
            self.block_length,
            c.source.name,
            c.source_lba,
            c.destination.name,
            c.destination_lba,
            self.segments.len(),
            self.segment_blocks,
            self.segment_blocks * u64::from(self.block_length)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lio() -> Limits {
        Limits {
            copy_manager: "cm".into(),
            max_segment_descriptors: 1,
            max_cscd_descriptors: 2,
            max_descriptor_list_length: 1024,
            max_segment_length: 256 << 20,
            granularity: 512,
            implemented: vec![0x02, 0xe4],
            max_stream_transfer: 0,
            max_inline: 0,
            inline_granularity: 1,
        }
    }

    fn disk(name: &str, last: u8, bl: u32, cap: u64) -> Endpoint {
        let mut v = vec![0x60, 0x01, 0x40, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        v.push(last);
        Endpoint {
            name: name.into(),
            designator: Designator::naa(v),
            peripheral_device_type: 0,
            block_length: bl,
            capacity_blocks: cap,
        }
    }

    fn copy(blocks: u64, seg: Option<u64>) -> BlockCopy {
        BlockCopy {
            source: disk("src", 1, 512, 262_144),
            source_lba: 0,
            destination: disk("dst", 2, 512, 262_144),
            destination_lba: 0,
            blocks,
            segment_bytes: seg,
            list_id: 1,
            list_id_usage: ListIdUsage::NoHold,
            priority: 0,
        }
    }

    #[test]
    fn lbas_advance_across_commands_and_the_last_segment_is_short() {
        let mut c = copy(131_072 + 100, Some(1 << 20));
        c.source_lba = 7;
        c.destination_lba = 1000;
        let p = plan_block_copy(c, &lio()).unwrap();
        assert_eq!(p.segment_blocks, 2048);
        assert_eq!(p.segments.len(), 65);
        for (i, s) in p.segments.iter().enumerate() {
            assert_eq!(s.source_lba, 7 + 2048 * i as u64);
            assert_eq!(s.destination_lba, 1000 + 2048 * i as u64);
            let SegmentDescriptor::BlockToBlock(d) = s.list.segments[0] else {
                panic!()
            };
            assert_eq!(
                (d.source_lba, d.destination_lba),
                (s.source_lba, s.destination_lba)
            );
            assert_eq!(u64::from(d.blocks), s.blocks);
        }
        assert_eq!(p.segments.get(64).unwrap().blocks, 100);
        assert_eq!(p.blocks_before(64), 64 * 2048);
    }

    #[test]
    fn a_plan_keeps_nothing_per_segment() {
        // 1 TiB of 512-byte blocks in 1 MiB segments: 1,048,576 of them.
        let blocks = (1u64 << 40) / 512;
        let mut c = copy(blocks, Some(1 << 20));
        c.source.capacity_blocks = blocks;
        c.destination.capacity_blocks = blocks;
        let p = plan_block_copy(c, &lio()).unwrap();
        assert_eq!(p.segments.len(), 1 << 20);
        assert_eq!(p.segments.template.segments, vec![]);
        let last = p.segments.get((1 << 20) - 1).unwrap();
        assert_eq!((last.source_lba, last.blocks), (blocks - 2048, 2048));
        let SegmentDescriptor::BlockToBlock(d) = last.list.segments[0] else {
            panic!()
        };
        assert_eq!((d.source_lba, d.blocks), (blocks - 2048, 2048));
        assert_eq!(p.segments.get(1 << 20), None);
        assert_eq!(p.blocks_before(usize::MAX), blocks);
        assert_eq!(p.segments.iter().skip(5).len(), (1 << 20) - 5);
        assert_eq!(p.segments.iter().nth(3), p.segments.get(3));
    }

    #[test]
    fn a_segment_encodes_as_its_cdb_and_list() {
        let p = plan_block_copy(copy(4096, Some(1 << 20)), &lio()).unwrap();
        let s = p.segments.get(1).unwrap();
        let (cdb, list) = s.encode().unwrap();
        assert_eq!(list, s.list.to_vec().unwrap());
        assert_eq!(cdb[0], 0x83);
        assert_eq!(cdb[10..14], (list.len() as u32).to_be_bytes());
    }

    #[test]
    fn default_segment_is_the_largest_whole_mib_one_command_carries() {
        let p = plan_block_copy(copy(131_072, None), &lio()).unwrap();
        // 1 descriptor x 65,535 blocks x 512 = 32 MiB - 512 -> 31 MiB.
        assert_eq!(p.segment_blocks, 31 * 2048);
    }

    #[test]
    fn never_more_than_65535_blocks_per_descriptor() {
        let mut l = lio();
        l.max_segment_descriptors = 4;
        let p = plan_block_copy(copy(200_000, Some(4 * 65_535 * 512)), &l).unwrap();
        assert_eq!(p.segments.len(), 1);
        let s = &p.segments.get(0).unwrap().list.segments;
        assert_eq!(s.len(), 4);
        let total: u64 = s
            .iter()
            .map(|d| match d {
                SegmentDescriptor::BlockToBlock(d) => u64::from(d.blocks),
                _ => 0,
            })
            .sum();
        assert_eq!(total, 200_000);
    }

    #[test]
    fn the_max_segment_length_limits_each_descriptor() {
        let mut l = lio();
        l.max_segment_length = 64 * 1024;
        l.max_segment_descriptors = 2;
        let p = plan_block_copy(copy(1024, Some(128 * 1024)), &l).unwrap();
        assert_eq!(p.segments.len(), 4);
        assert_eq!(p.segments.get(0).unwrap().list.segments.len(), 2);
    }

    #[test]
    fn descriptor_list_length_limits_descriptors_per_command() {
        let mut l = lio();
        l.max_segment_descriptors = 100;
        l.max_descriptor_list_length = 64 + 3 * 28;
        assert_eq!(l.descriptors_per_command(), 3);
    }

    #[test]
    fn a_32_mib_segment_on_512_byte_blocks_does_not_fit_lio() {
        let e = plan_block_copy(copy(131_072, Some(32 << 20)), &lio()).unwrap_err();
        assert!(
            matches!(
                e,
                PlanError::SegmentTooLarge {
                    max: 33_553_920,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("at most 33553920 bytes"), "{e}");
        let mut c = copy(8192, Some(32 << 20));
        c.source = disk("src", 1, 4096, 32_768);
        c.destination = disk("dst", 2, 4096, 32_768);
        assert_eq!(plan_block_copy(c, &lio()).unwrap().segments.len(), 1);
    }

    #[test]
    fn refusals() {
        assert_eq!(
            plan_block_copy(copy(0, None), &lio()).unwrap_err(),
            PlanError::ZeroBlocks
        );
        let mut c = copy(10, None);
        c.destination.block_length = 4096;
        assert!(matches!(
            plan_block_copy(c, &lio()),
            Err(PlanError::BlockSizeMismatch { .. })
        ));
        let mut c = copy(10, None);
        c.source_lba = 262_140;
        let e = plan_block_copy(c, &lio()).unwrap_err();
        assert!(
            matches!(e, PlanError::PastEnd { role: "source", .. }),
            "{e}"
        );
        let mut c = copy(10, None);
        c.destination_lba = u64::MAX - 3;
        assert!(matches!(
            plan_block_copy(c, &lio()),
            Err(PlanError::Overflow { .. })
        ));
        let mut c = copy(100, None);
        c.destination = c.source.clone();
        c.destination_lba = 50;
        assert!(matches!(
            plan_block_copy(c, &lio()),
            Err(PlanError::Overlap { .. })
        ));
        let mut c = copy(100, None);
        c.destination = c.source.clone();
        c.destination_lba = 100;
        assert!(
            plan_block_copy(c, &lio()).is_ok(),
            "adjacent ranges do not overlap"
        );
        assert!(matches!(
            plan_block_copy(copy(10, Some(1000)), &lio()),
            Err(PlanError::SegmentNotBlockMultiple { .. })
        ));
        let mut l = lio();
        l.granularity = 4096;
        assert!(matches!(
            plan_block_copy(copy(10, Some(512)), &l),
            Err(PlanError::Granularity { .. })
        ));
        let mut l = lio();
        l.implemented = vec![0x00, 0xe4];
        assert!(matches!(
            plan_block_copy(copy(10, None), &l),
            Err(PlanError::NotImplemented { code: 0x02, .. })
        ));
    }

    #[test]
    fn unusable_operating_parameters_are_refused() {
        let p = OperatingParameters {
            max_cscd_descriptors: 2,
            max_segment_descriptors: 1,
            max_descriptor_list_length: 1024,
            max_segment_length: 0,
            ..Default::default()
        };
        let e = Limits::from_operating_parameters("cm", &p).unwrap_err();
        assert!(e.to_string().contains("maximum segment length of 0"), "{e}");
    }
}
