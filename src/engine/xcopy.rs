//! The one-shot block copy by EXTENDED COPY (the engine's `segcopy xcopy`):
//! ask both ends who they are, ask the copy manager its limits, plan, and
//! send one command per segment, stopping at the first failure with the
//! failed segment and the blocks done before it — and from there, where
//! the same copy continues ([`resume_from`]).
//!
//! The choices sg_xcopy makes for a copy are made here, not by a caller:
//! which logical unit receives the commands ([`CopyManager`], the
//! destination by default) and the LIST IDENTIFIER / LIST ID USAGE
//! defaults ([`list_id_and_usage`]).
//!
//! Nothing is ever copied through this host: every block moves by EXTENDED
//! COPY or not at all.

use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use super::plan::{plan_block_copy, BlockCopy, Endpoint, Limits, Plan, PlanError};
use super::queue;
use crate::transport::commands::{Scsi, ScsiError};
use crate::transport::discover::{is_block, Identity};
use crate::wire::rcr::OperatingParameters;
use crate::wire::xcopy::ListIdUsage;
use crate::wire::Repr;

/// Which logical unit receives the EXTENDED COPY commands, and so whose
/// copy manager does the copy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CopyManager {
    /// The destination, as sg_xcopy does by default.
    #[default]
    OnDestination,
    /// The source.
    OnSource,
    /// Another device (its name).
    Via(String),
}

impl CopyManager {
    /// The device that receives the commands for a copy from `source` to
    /// `destination`.
    pub fn device<'a>(&'a self, source: &'a str, destination: &'a str) -> &'a str {
        match self {
            CopyManager::OnDestination => destination,
            CopyManager::OnSource => source,
            CopyManager::Via(d) => d,
        }
    }
}

/// A one-shot block copy as asked for: the ends by name, where the copy
/// manager is, and what the parameter lists say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XcopyOptions {
    /// The source device.
    pub source: String,
    /// Its first LBA.
    pub source_lba: u64,
    /// The destination device.
    pub destination: String,
    /// Its first LBA.
    pub destination_lba: u64,
    /// How many blocks.
    pub blocks: u64,
    /// Which logical unit receives the commands.
    pub copy_manager: CopyManager,
    /// Bytes per segment; `None`: the most one command carries, in whole
    /// MiB ([`BlockCopy::segment_bytes`]).
    pub segment_bytes: Option<u64>,
    /// LIST IDENTIFIER; `None`: see [`list_id_and_usage`].
    pub list_id: Option<u8>,
    /// LIST ID USAGE; `None`: see [`list_id_and_usage`].
    pub list_id_usage: Option<ListIdUsage>,
    /// PRIORITY (0 to 7; sg_xcopy sends 1).
    pub priority: u8,
}

/// A LIST IDENTIFIER that LIST ID USAGE does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("LIST IDENTIFIER {list_id} with LIST ID USAGE 11b (none): a list without an identifier must have LIST IDENTIFIER 0")]
pub struct ListIdError {
    /// The identifier asked for.
    pub list_id: u8,
}

/// LIST IDENTIFIER and LIST ID USAGE for a copy, as sg_xcopy chooses
/// them: the usage asked for, else discard (10b) when the copy manager
/// holds no data (HELD DATA LIMIT 0 in its OPERATING PARAMETERS) and hold
/// (00b) otherwise; the identifier asked for, else 1 — or 0 with usage
/// none (11b), which must have identifier 0 (SPC-4 table 104), so a
/// non-zero one with it is refused.
pub fn list_id_and_usage(
    list_id: Option<u8>,
    usage: Option<ListIdUsage>,
    op: &OperatingParameters,
) -> Result<(u8, ListIdUsage), ListIdError> {
    let usage = usage.unwrap_or(if op.held_data_limit == 0 {
        ListIdUsage::NoHold
    } else {
        ListIdUsage::Hold
    });
    let id = match (list_id, usage) {
        (Some(id), ListIdUsage::None) if id != 0 => return Err(ListIdError { list_id: id }),
        (Some(id), _) => id,
        (None, ListIdUsage::None) => 0,
        (None, _) => 1,
    };
    Ok((id, usage))
}

/// Why a block copy could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum XcopyError {
    /// One end cannot take part.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// Asking the copy manager for its OPERATING PARAMETERS failed.
    #[error(transparent)]
    Scsi(#[from] ScsiError),
    /// The copy manager's OPERATING PARAMETERS cannot be planned on.
    #[error(transparent)]
    Limits(PlanError),
    /// The LIST IDENTIFIER does not go with the LIST ID USAGE.
    #[error(transparent)]
    ListId(#[from] ListIdError),
    /// The copy itself cannot be done as asked (range, sizes, overlap…).
    #[error(transparent)]
    Plan(PlanError),
}

/// Plans a one-shot block copy: asks `source` and `destination` who they
/// are ([`endpoint`]), asks `copy_manager` (the device
/// [`XcopyOptions::copy_manager`] names) its OPERATING PARAMETERS, fills in
/// the list identifier ([`list_id_and_usage`]) and cuts the copy into
/// segments ([`plan_block_copy`]). Nothing is copied.
pub fn plan_xcopy(
    opts: &XcopyOptions,
    source: &Scsi<'_>,
    destination: &Scsi<'_>,
    copy_manager: &Scsi<'_>,
) -> Result<Plan, XcopyError> {
    let src = endpoint(source)?;
    let dst = endpoint(destination)?;
    let (op, _) = copy_manager.operating_parameters()?;
    let limits =
        Limits::from_operating_parameters(copy_manager.name(), &op).map_err(XcopyError::Limits)?;
    let (list_id, list_id_usage) = list_id_and_usage(opts.list_id, opts.list_id_usage, &op)?;
    plan_block_copy(
        BlockCopy {
            source: src,
            source_lba: opts.source_lba,
            destination: dst,
            destination_lba: opts.destination_lba,
            blocks: opts.blocks,
            segment_bytes: opts.segment_bytes,
            list_id,
            list_id_usage,
            priority: opts.priority,
        },
        &limits,
    )
    .map_err(XcopyError::Plan)
}

/// Where a copy that stopped at a failed segment continues: the same copy
/// from that segment's first blocks on, with the same segment size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    /// The failed segment, counted from 0.
    pub segment: usize,
    /// Blocks the segments before it copied.
    pub blocks_done: u64,
    /// The failed segment's source LBAs.
    pub failed_source_lbas: RangeInclusive<u64>,
    /// The failed segment's destination LBAs.
    pub failed_destination_lbas: RangeInclusive<u64>,
    /// The source device.
    pub source: String,
    /// The first source LBA of the rest of the copy.
    pub source_lba: u64,
    /// The destination device.
    pub destination: String,
    /// The first destination LBA of the rest of the copy.
    pub destination_lba: u64,
    /// Blocks left to copy.
    pub blocks: u64,
    /// Bytes per segment, as planned.
    pub segment_bytes: u64,
}

/// Why [`resume_from`] cannot say where to continue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// The plan has no such segment.
    #[error("the plan has {segments} segment(s), so there is no segment {segment} to resume from")]
    NoSuchSegment {
        /// The segment asked for.
        segment: usize,
        /// How many the plan has.
        segments: usize,
    },
    /// A sum or product does not fit 64 bits (a plan that is not
    /// consistent).
    #[error("the plan's {what} does not fit 64 bits")]
    Overflow {
        /// What overflowed.
        what: &'static str,
    },
}

/// Where `plan` continues when `segment` failed: its LBAs, the blocks left
/// (the copy's blocks minus those of the segments before it) and the
/// segment size, all with checked arithmetic.
pub fn resume_from(plan: &Plan, segment: usize) -> Result<Resume, ResumeError> {
    let s = plan
        .segments
        .get(segment)
        .ok_or(ResumeError::NoSuchSegment {
            segment,
            segments: plan.segments.len(),
        })?;
    let overflow = |what| ResumeError::Overflow { what };
    let blocks_done = plan.segments.blocks_before(segment);
    let blocks = plan
        .copy
        .blocks
        .checked_sub(blocks_done)
        .ok_or(overflow("count of blocks left"))?;
    let last = |first: u64| {
        s.blocks
            .checked_sub(1)
            .and_then(|n| first.checked_add(n))
            .ok_or(overflow("failed segment's last LBA"))
    };
    Ok(Resume {
        segment,
        blocks_done,
        failed_source_lbas: s.source_lba..=last(s.source_lba)?,
        failed_destination_lbas: s.destination_lba..=last(s.destination_lba)?,
        source: plan.copy.source.name.clone(),
        source_lba: s.source_lba,
        destination: plan.copy.destination.name.clone(),
        destination_lba: s.destination_lba,
        blocks,
        segment_bytes: plan
            .segment_blocks
            .checked_mul(u64::from(plan.block_length))
            .ok_or(overflow("segment size in bytes"))?,
    })
}

/// Why a device cannot be one end of a block copy.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// Asking the device failed.
    #[error(transparent)]
    Scsi(#[from] ScsiError),
    /// Not a block device.
    #[error(
        "{device} is a {kind}, not a block device; name a disk (a logical unit with blocks) here"
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
    progress: impl FnMut(&SegmentDone),
) -> Result<CopyReport, Box<CopyFailed>> {
    run_plan_queued(cm, plan, timeout, 1, progress)
}

/// The list identifier of the commands of queue slot `slot`: the plan's
/// own for slot 0, the next ones (1..=255, round) for the others, so no two
/// commands in flight share one.
fn slot_list_id(first: u8, slot: usize) -> u8 {
    ((usize::from(first.max(1)) - 1 + slot) % 255 + 1) as u8
}

/// [`run_plan`] with up to `depth` commands in flight (segments handed out
/// in order, each in-flight command with a list identifier of its own; see
/// [`queue`]). A plan whose LIST ID USAGE is 11b (every command LIST
/// IDENTIFIER 0) runs one at a time. On a failure, the lowest failed
/// segment is reported and `blocks_done` counts the segments before it.
pub fn run_plan_queued(
    cm: &Scsi<'_>,
    plan: &Plan,
    timeout: Duration,
    depth: usize,
    mut progress: impl FnMut(&SegmentDone),
) -> Result<CopyReport, Box<CopyFailed>> {
    let start = Instant::now();
    let depth = if plan.copy.list_id_usage == ListIdUsage::None {
        1
    } else {
        depth
    };
    let n = plan.segments.len();
    let outcome = queue::run(
        n,
        depth,
        |i, slot| {
            let s = plan
                .segments
                .get(i)
                .expect("the queue hands out indices below the plan's segment count");
            // Plans hold lists that fit their fields; an emit failure here
            // would be a planner bug, reported as the segment's failure
            // (the command is not sent).
            let bytes = if slot == 0 {
                s.list.to_vec()
            } else {
                let mut list = s.list.clone();
                list.list_id = slot_list_id(s.list.list_id, slot);
                list.to_vec()
            }
            .map_err(|e| ScsiError::Encode {
                device: cm.name().to_string(),
                command: "EXTENDED COPY",
                source: e,
            })?;
            let t0 = Instant::now();
            cm.extended_copy(&bytes, timeout)?;
            Ok::<_, ScsiError>(SegmentDone {
                index: s.index,
                blocks: s.blocks,
                duration: t0.elapsed(),
            })
        },
        |_, d| progress(d),
    );
    let done: Vec<SegmentDone> = outcome.done.iter().map(|(_, d)| *d).collect();
    match outcome.failed {
        None => Ok(CopyReport {
            blocks: done.iter().map(|d| d.blocks).sum(),
            segments: done,
            duration: start.elapsed(),
        }),
        Some((segment, error)) => Err(Box::new(CopyFailed {
            segment,
            segments: n,
            blocks_done: plan.blocks_before(segment),
            error,
            completed: done,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::Site;

    fn op(held_data_limit: u32) -> OperatingParameters {
        OperatingParameters {
            held_data_limit,
            ..Default::default()
        }
    }

    #[test]
    fn list_id_defaults_are_sg_xcopy_s() {
        use ListIdUsage as U;
        assert_eq!(list_id_and_usage(None, None, &op(0)), Ok((1, U::NoHold)));
        assert_eq!(list_id_and_usage(None, None, &op(4096)), Ok((1, U::Hold)));
        assert_eq!(
            list_id_and_usage(None, Some(U::None), &op(0)),
            Ok((0, U::None))
        );
        assert_eq!(
            list_id_and_usage(Some(0), Some(U::None), &op(0)),
            Ok((0, U::None))
        );
        assert_eq!(list_id_and_usage(Some(5), None, &op(0)), Ok((5, U::NoHold)));
        assert_eq!(
            list_id_and_usage(Some(7), Some(U::Hold), &op(0)),
            Ok((7, U::Hold))
        );
        let e = list_id_and_usage(Some(3), Some(U::None), &op(0)).unwrap_err();
        assert_eq!(e, ListIdError { list_id: 3 });
        assert!(e.to_string().contains("must have LIST IDENTIFIER 0"), "{e}");
    }

    #[test]
    fn the_copy_manager_is_the_destination_unless_told() {
        assert_eq!(CopyManager::default().device("s", "d"), "d");
        assert_eq!(CopyManager::OnSource.device("s", "d"), "s");
        assert_eq!(CopyManager::Via("cm".into()).device("s", "d"), "cm");
    }

    fn options(blocks: u64, segment_bytes: Option<u64>) -> XcopyOptions {
        XcopyOptions {
            source: "cm0".into(),
            source_lba: 7,
            destination: "lun1".into(),
            destination_lba: 1000,
            blocks,
            copy_manager: CopyManager::OnSource,
            segment_bytes,
            list_id: None,
            list_id_usage: None,
            priority: 1,
        }
    }

    /// Plans on the simulated LIO LUNs of `fixtures/sites/lio-profile.toml`.
    fn plan_on_lio(o: &XcopyOptions) -> Result<Plan, XcopyError> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let site = Site::load(&root.join("fixtures/sites/lio-profile.toml")).unwrap();
        let fabric = site.build_fabric().unwrap();
        let t = |n: &str| fabric.transport(n).unwrap();
        let (src, dst) = (t(&o.source), t(&o.destination));
        let cm = t(o.copy_manager.device(&o.source, &o.destination));
        plan_xcopy(o, &Scsi::new(&src), &Scsi::new(&dst), &Scsi::new(&cm))
    }

    #[test]
    fn plan_xcopy_asks_the_devices_and_fills_in_the_defaults() {
        let p = plan_on_lio(&options(100_003, Some(1 << 20))).unwrap();
        assert_eq!(p.segment_blocks, 2048);
        assert_eq!(p.segments.len(), 49);
        // LIO holds no data (HELD DATA LIMIT 0): discard, identifier 1.
        assert_eq!(p.copy.list_id, 1);
        assert_eq!(p.copy.list_id_usage, ListIdUsage::NoHold);
        assert_eq!(p.copy.priority, 1);
        let mut o = options(10, None);
        o.list_id = Some(9);
        o.list_id_usage = Some(ListIdUsage::None);
        assert!(matches!(plan_on_lio(&o), Err(XcopyError::ListId(_))));
        let mut o = options(10, None);
        o.source_lba = (128 << 20) / 512 - 5;
        assert!(matches!(
            plan_on_lio(&o),
            Err(XcopyError::Plan(PlanError::PastEnd { .. }))
        ));
    }

    #[test]
    fn resume_from_the_failed_segment() {
        let p = plan_on_lio(&options(100_003, Some(1 << 20))).unwrap();
        let r = resume_from(&p, 3).unwrap();
        assert_eq!(r.segment, 3);
        assert_eq!(r.blocks_done, 3 * 2048);
        assert_eq!((r.source.as_str(), r.source_lba), ("cm0", 7 + 3 * 2048));
        assert_eq!(
            (r.destination.as_str(), r.destination_lba),
            ("lun1", 1000 + 3 * 2048)
        );
        assert_eq!(r.blocks, 100_003 - 3 * 2048);
        assert_eq!(r.segment_bytes, 1 << 20);
        assert_eq!(r.failed_source_lbas, 7 + 3 * 2048..=7 + 4 * 2048 - 1);
        assert_eq!(
            r.failed_destination_lbas,
            1000 + 3 * 2048..=1000 + 4 * 2048 - 1
        );
        // The last segment is short.
        let last = resume_from(&p, 48).unwrap();
        assert_eq!(last.blocks, 100_003 - 48 * 2048);
        assert_eq!(*last.failed_source_lbas.end(), 7 + 100_003 - 1);
        assert_eq!(resume_from(&p, 0).unwrap().blocks, 100_003);
        assert_eq!(
            resume_from(&p, 49),
            Err(ResumeError::NoSuchSegment {
                segment: 49,
                segments: 49
            })
        );
    }

    #[test]
    fn resume_from_an_inconsistent_plan_is_an_error_not_a_wrapped_number() {
        let mut p = plan_on_lio(&options(10_000, Some(1 << 20))).unwrap();
        p.copy.blocks = 100;
        assert!(matches!(
            resume_from(&p, 2),
            Err(ResumeError::Overflow { .. })
        ));
        let mut p = plan_on_lio(&options(10_000, Some(1 << 20))).unwrap();
        p.segment_blocks = u64::MAX;
        assert!(matches!(
            resume_from(&p, 0),
            Err(ResumeError::Overflow { .. })
        ));
        let mut p = plan_on_lio(&options(10_000, Some(1 << 20))).unwrap();
        // Segment 1 starts at the last LBA there is.
        p.segments.source_lba = u64::MAX - 2048;
        assert_eq!(p.segments.get(1).unwrap().source_lba, u64::MAX);
        assert!(matches!(
            resume_from(&p, 1),
            Err(ResumeError::Overflow { .. })
        ));
    }
}
