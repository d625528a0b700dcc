//! The one-shot block copy by EXTENDED COPY (the engine's `segcopy xcopy`):
//! ask both ends who they are, ask the copy manager its limits, plan, and
//! send one command per segment, stopping at the first failure with the
//! failed segment and the blocks done before it.
//!
//! Nothing is ever copied through this host: every block moves by EXTENDED
//! COPY or not at all.

use std::time::{Duration, Instant};

use super::plan::{Endpoint, Plan};
use crate::transport::commands::{Scsi, ScsiError};
use crate::transport::discover::{is_block, Identity};
use crate::wire::Repr;

/// Why a device cannot be one end of a block copy.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// Asking the device failed.
    #[error(transparent)]
    Scsi(#[from] ScsiError),
    /// Not a block device.
    #[error(
        "{device} is a {kind}, not a block device; segcopy xcopy copies between block devices"
    )]
    NotBlock {
        /// The device.
        device: String,
        /// Its type in words.
        kind: &'static str,
    },
    /// No designator usable in an E4h CSCD.
    #[error("{device} reports no logical-unit designator of at most 20 bytes (NAA, EUI-64 or T10 vendor ID) in VPD page 83h, so a copy manager cannot be told which unit it is")]
    NoDesignator {
        /// The device.
        device: String,
    },
    /// No capacity.
    #[error("{device} did not answer READ CAPACITY (16), so segcopy cannot check the range against its size")]
    NoCapacity {
        /// The device.
        device: String,
    },
}

/// Asks a device who it is and makes it a copy endpoint.
pub fn endpoint(scsi: &Scsi<'_>) -> Result<Endpoint, EndpointError> {
    let id = Identity::probe(scsi)?;
    let device = scsi.name().to_string();
    if !is_block(id.inquiry.device_type) {
        return Err(EndpointError::NotBlock {
            device,
            kind: id.inquiry.device_type.name(),
        });
    }
    let designator = id
        .cscd_designator()
        .cloned()
        .ok_or_else(|| EndpointError::NoDesignator {
            device: device.clone(),
        })?;
    let cap = id
        .capacity
        .and_then(|c| c.capacity_blocks().map(|b| (b, c.block_length)))
        .ok_or_else(|| EndpointError::NoCapacity {
            device: device.clone(),
        })?;
    Ok(Endpoint {
        name: device,
        designator,
        peripheral_device_type: id.inquiry.device_type.bits(),
        block_length: cap.1,
        capacity_blocks: cap.0,
    })
}

/// One segment that completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentDone {
    /// Segment number.
    pub index: usize,
    /// Blocks it copied.
    pub blocks: u64,
    /// How long its command took.
    pub duration: Duration,
}

/// A copy that finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Every segment, in order.
    pub segments: Vec<SegmentDone>,
    /// Blocks copied.
    pub blocks: u64,
    /// Wall time of the whole copy.
    pub duration: Duration,
}

/// A copy that stopped at a failed segment.
#[derive(Debug, thiserror::Error)]
#[error("segment {segment} (counted from 0; {segments} in all) failed after {blocks_done} blocks were copied: {error}")]
pub struct CopyFailed {
    /// The failed segment's number.
    pub segment: usize,
    /// How many segments the plan has.
    pub segments: usize,
    /// Blocks copied by the segments before it.
    pub blocks_done: u64,
    /// What the copy manager said.
    #[source]
    pub error: ScsiError,
    /// The segments that completed.
    pub completed: Vec<SegmentDone>,
}

/// Sends every segment of `plan` to the copy manager in order, calling
/// `progress` after each. Stops at the first failure.
pub fn run_plan(
    cm: &Scsi<'_>,
    plan: &Plan,
    timeout: Duration,
    mut progress: impl FnMut(&SegmentDone),
) -> Result<CopyReport, Box<CopyFailed>> {
    let start = Instant::now();
    let mut done = Vec::with_capacity(plan.segments.len());
    let mut blocks = 0u64;
    for s in &plan.segments {
        // Plans hold lists that fit their fields; an emit failure here
        // would be a planner bug, reported as the segment's failure (the
        // command is not sent).
        let bytes = s.list.to_vec().map_err(|e| {
            Box::new(CopyFailed {
                segment: s.index,
                segments: plan.segments.len(),
                blocks_done: blocks,
                error: ScsiError::Encode {
                    device: cm.name().to_string(),
                    command: "EXTENDED COPY",
                    source: e,
                },
                completed: done.clone(),
            })
        })?;
        let t0 = Instant::now();
        if let Err(error) = cm.extended_copy(&bytes, timeout) {
            return Err(Box::new(CopyFailed {
                segment: s.index,
                segments: plan.segments.len(),
                blocks_done: blocks,
                error,
                completed: done,
            }));
        }
        let d = SegmentDone {
            index: s.index,
            blocks: s.blocks,
            duration: t0.elapsed(),
        };
        blocks += s.blocks;
        progress(&d);
        done.push(d);
    }
    Ok(CopyReport {
        segments: done,
        blocks,
        duration: start.elapsed(),
    })
}
