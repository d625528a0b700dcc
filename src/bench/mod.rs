//! `segcopy bench`: what a segment size costs on a copy manager.
//!
//! For each segment size (and, for a disk destination, each queue depth)
//! the same object is copied `repeat` times, segment by segment, through
//! the copy manager's EXTENDED COPY — the same mover a backup uses — and
//! each run records its wall time, every command's latency, and the CPU
//! time of this process. Optional extra runs:
//!
//! - **a fault** injected at a fraction of the copy on the primary copy
//!   manager (through the [`FaultInjector`](crate::transport::fault)
//!   around it), the copy going on from the failed segment on the standby
//!   copy manager (and destination): the cost of failover against the
//!   fault-free copy and against redoing the copy from the start;
//! - **a host copy** of the same bytes (READ/WRITE through this host), for
//!   the CPU and throughput ratios of offloading;
//! - **a recommendation**: the segment size with the least expected time
//!   per TiB, given a failure rate ([`recommend`]).
//!
//! Nothing here opens devices by name or prints: the caller hands in the
//! transports and gets [`Report`] back.

pub mod plot;
pub mod stats;

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::engine::classify::Action;
use crate::engine::mover::{End, HostMover, MoveFailed, Mover, Timeouts, Transfer, XcopyMover};
use crate::engine::plan::Endpoint;
use crate::engine::queue;
use crate::transport::commands::ScsiError;
use crate::transport::fault::{Effect, Fault, FaultPlan, Trigger};
use crate::transport::tape::Tape;
use crate::transport::Transport;
use crate::wire::sense::{SenseData, SenseKey};
use crate::wire::vpd::Designator;

pub use stats::Summary;

/// Where a bench copies to.
pub enum Dest<'a> {
    /// A disk, from an LBA.
    Disk {
        /// Its transport.
        t: &'a dyn Transport,
        /// What it is.
        endpoint: Endpoint,
        /// First LBA written.
        lba: u64,
    },
    /// A tape drive with a cartridge loaded: written from the beginning in
    /// fixed blocks.
    Tape {
        /// Its transport.
        t: &'a dyn Transport,
        /// Its designator.
        designator: Designator,
        /// Tape block length.
        block_length: u32,
    },
}

impl Dest<'_> {
    /// Its name.
    pub fn name(&self) -> &str {
        match self {
            Dest::Disk { t, .. } | Dest::Tape { t, .. } => t.name(),
        }
    }

    /// Whether it is a tape drive.
    pub fn is_tape(&self) -> bool {
        matches!(self, Dest::Tape { .. })
    }

    /// Whether both are the same tape drive.
    pub fn is_tape_of(&self, other: &Dest<'_>) -> bool {
        self.is_tape() && other.is_tape() && self.name() == other.name()
    }

    /// The end of segment `i` (of `seg_blocks` source blocks each): a disk
    /// at the matching LBA; a tape at its current position.
    fn end(&self, blocks_before: u64) -> End<'_> {
        match self {
            Dest::Disk { t, endpoint, lba } => End::Disk {
                t: *t,
                endpoint,
                lba: lba + blocks_before,
            },
            Dest::Tape {
                t,
                designator,
                block_length,
            } => End::Tape {
                t: *t,
                designator,
                block_length: *block_length,
            },
        }
    }

    /// Readies the destination for a run: a tape is rewound and set to
    /// its block length (the bench writes it from the beginning).
    fn prepare(&self) -> Result<(), BenchError> {
        if let Dest::Tape {
            t, block_length, ..
        } = self
        {
            let tape = Tape::new(*t);
            tape.rewind().map_err(BenchError::scsi)?;
            tape.set_block_length_checked(*block_length)
                .map_err(|e| BenchError::Prepare(e.to_string()))?;
        }
        Ok(())
    }
}

/// The source: a disk range.
pub struct Source<'a> {
    /// Its transport.
    pub t: &'a dyn Transport,
    /// What it is.
    pub endpoint: Endpoint,
    /// First LBA.
    pub lba: u64,
    /// Blocks to copy.
    pub blocks: u64,
}

impl Source<'_> {
    /// Bytes of the object.
    pub fn bytes(&self) -> u64 {
        self.blocks * u64::from(self.endpoint.block_length)
    }
}

/// A copy manager's path: its mover and, for the primary, the fault plan
/// in front of it.
pub struct Path<'a> {
    /// The mover sending EXTENDED COPY to the copy manager.
    pub mover: &'a XcopyMover,
    /// Where it writes.
    pub dest: Dest<'a>,
}

/// The fault plan in front of the primary copy manager, and its name in it.
pub struct FaultHook {
    /// The plan (the primary copy manager's transport is a
    /// `FaultInjector` sharing it).
    pub plan: Arc<FaultPlan>,
    /// The copy manager's name in the plan.
    pub device: String,
}

/// What to measure.
pub struct Spec {
    /// Segment sizes, in bytes.
    pub sizes: Vec<u64>,
    /// Runs per size.
    pub repeat: u32,
    /// Queue depths (commands in flight) for a disk destination; a tape
    /// takes 1 only.
    pub depths: Vec<usize>,
    /// Inject a failure at this fraction of the copy (0 ≤ f < 1) and fail
    /// over to the standby.
    pub fault_at: Option<f64>,
    /// Also copy through this host.
    pub compare_host: bool,
    /// Read both ends back after each run and compare them (disk
    /// destinations).
    pub verify: bool,
}

/// Why a bench stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A segment failed where no fault was injected.
    #[error("segment size {size}, queue depth {depth}: {failed}")]
    Copy {
        /// Segment bytes.
        size: u64,
        /// Depth.
        depth: usize,
        /// The failure.
        #[source]
        failed: Box<MoveFailed>,
    },
    /// Getting the destination ready failed.
    #[error("could not get the destination ready: {0}")]
    Prepare(String),
    /// A command outside the copy failed.
    #[error(transparent)]
    Scsi(Box<ScsiError>),
    /// A segment size that cannot be used.
    #[error("{0}")]
    Size(String),
    /// The destination does not hold what the source holds.
    #[error("after the run at segment size {size}, queue depth {depth}, the destination differs from the source at byte {offset} of the object: the copy is wrong")]
    Differs {
        /// Segment bytes.
        size: u64,
        /// Depth.
        depth: usize,
        /// First differing byte.
        offset: u64,
    },
    /// A fault run without a standby.
    #[error("--fault-at needs a standby copy manager to fail over to (--failover-via)")]
    NoStandby,
    /// The injected fault did not fire.
    #[error("the fault injected at segment {segment} did not fire (the copy manager got fewer segment descriptors than planned)")]
    FaultDidNotFire {
        /// Segment.
        segment: u64,
    },
}

impl BenchError {
    fn scsi(e: ScsiError) -> Self {
        BenchError::Scsi(Box::new(e))
    }
}

/// Which way the bytes went: always said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Way {
    /// Offloaded: EXTENDED COPY through the copy manager, no data through
    /// this host.
    Offloaded,
    /// Read and written through this host.
    Host,
}

/// One run: the whole object copied once.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Wall time.
    pub seconds: f64,
    /// Commands sent (EXTENDED COPY, or READ + WRITE for a host copy).
    pub commands: u64,
    /// Each command's latency in seconds (EXTENDED COPY only).
    #[serde(skip)]
    pub latencies: Vec<f64>,
    /// User + system CPU seconds of this process.
    pub cpu_seconds: f64,
}

/// A failover run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct FailoverRun {
    /// The segment that failed (counted from 0).
    pub failed_segment: u64,
    /// Segments in the copy.
    pub segments: u64,
    /// The whole copy, failover included, in seconds.
    pub seconds: f64,
    /// Until the failure was seen.
    pub seconds_to_failure: f64,
    /// The median fault-free time at this size.
    pub fault_free_seconds: f64,
    /// Redoing the whole copy from the start after the failure (the
    /// pre-segcopy practice): time to the failure plus a fault-free copy
    /// (computed from the two measured figures).
    pub redo_seconds: f64,
    /// What the injected fault was answered with, and why the engine
    /// failed over.
    pub why: String,
}

/// One row: a segment size at a queue depth.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Segment bytes.
    pub segment_bytes: u64,
    /// Commands in flight.
    pub depth: usize,
    /// Offloaded or through this host.
    pub way: Way,
    /// The copy manager (or this host's name).
    pub via: String,
    /// Every run.
    pub runs: Vec<Run>,
    /// Their summary.
    pub summary: Summary,
    /// The failover run, with --fault-at.
    pub failover: Option<FailoverRun>,
}

/// The bench's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Source name.
    pub source: String,
    /// Destination name.
    pub destination: String,
    /// Bytes per run.
    pub object_bytes: u64,
    /// One row per size and depth (and the host copy, last).
    pub rows: Vec<Row>,
    /// Peak resident memory of this process, in KiB.
    pub peak_rss_kib: u64,
}

/// CPU seconds (user + system) this process has used.
pub fn cpu_seconds() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_SELF).map_or(0.0, |u| {
        let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 * 1e-6;
        t(u.user_time()) + t(u.system_time())
    })
}

/// Peak resident set of this process in KiB.
pub fn peak_rss_kib() -> u64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_SELF).map_or(0, |u| u.max_rss().max(0) as u64)
}

/// Blocks per segment at `size` bytes, or why not.
fn segment_blocks(src: &Source<'_>, dest: &Dest<'_>, size: u64) -> Result<u64, BenchError> {
    let bl = u64::from(src.endpoint.block_length);
    if size == 0 || size % bl != 0 {
        return Err(BenchError::Size(format!(
            "segment size {size} bytes is not a whole number of {}'s {bl}-byte blocks",
            src.endpoint.name
        )));
    }
    if let Dest::Tape { block_length, .. } = dest {
        let tb = u64::from(*block_length);
        if size % tb != 0 || src.bytes() % tb != 0 {
            return Err(BenchError::Size(format!(
                "segment size {size} bytes and the object's {} bytes must be whole {tb}-byte tape blocks; give a smaller --tape-block",
                src.bytes()
            )));
        }
    }
    Ok(size / bl)
}

/// One copy of segments `from..n` on `path`, `depth` at once; returns the
/// latencies of its commands, or the lowest failed segment.
fn copy_segments(
    src: &Source<'_>,
    path: &Path<'_>,
    seg_blocks: u64,
    from: u64,
    depth: usize,
) -> (Vec<f64>, Option<(u64, MoveFailed)>) {
    let n = src.blocks.div_ceil(seg_blocks);
    let bl = u64::from(src.endpoint.block_length);
    let before = |i: u64| i * seg_blocks;
    let outcome = queue::run(
        (n - from) as usize,
        if path.dest.is_tape() { 1 } else { depth },
        |k, _| {
            let i = from + k as u64;
            let blocks = seg_blocks.min(src.blocks - before(i));
            let t = Transfer {
                from: End::Disk {
                    t: src.t,
                    endpoint: &src.endpoint,
                    lba: src.lba + before(i),
                },
                to: path.dest.end(before(i)),
                bytes: blocks * bl,
            };
            let mut lat = Vec::new();
            path.mover
                .transfer_timed(&t, |d| lat.push(d.as_secs_f64()))
                .map(|()| lat)
        },
        |_, _| {},
    );
    let latencies = outcome.done.into_iter().flat_map(|(_, l)| l).collect();
    (latencies, outcome.failed.map(|(k, e)| (from + k as u64, e)))
}

/// Compares the object with what the destination holds, through this
/// host; the first differing byte if any.
fn differs(src: &Source<'_>, dest: &Dest<'_>) -> Result<Option<u64>, BenchError> {
    let Dest::Disk { t, lba, .. } = dest else {
        return Ok(None);
    };
    crate::demo::first_difference_at(
        src.t,
        src.lba,
        *t,
        *lba,
        src.endpoint.block_length,
        src.blocks,
    )
    .map_err(BenchError::scsi)
}

/// The sense an injected failure answers with: HARDWARE ERROR, INTERNAL
/// TARGET FAILURE (44h/00h), forwarded in COPY ABORTED by the injector.
fn injected_sense() -> SenseData {
    SenseData::fixed(SenseKey::HardwareError, 0x44, 0x00).into()
}

/// Runs the bench. `on_run` is told after each run (for progress).
pub fn run(
    spec: &Spec,
    src: &Source<'_>,
    primary: &Path<'_>,
    standby: Option<&Path<'_>>,
    faults: Option<&FaultHook>,
    host: Option<&HostMover>,
    mut on_run: impl FnMut(&str),
) -> Result<Report, BenchError> {
    let mut rows = Vec::new();
    let depths: Vec<usize> = if primary.dest.is_tape() {
        vec![1]
    } else {
        spec.depths.clone()
    };
    for &size in &spec.sizes {
        let seg_blocks = segment_blocks(src, &primary.dest, size)?;
        for &depth in &depths {
            let mut runs = Vec::new();
            for r in 0..spec.repeat {
                primary.dest.prepare()?;
                let cpu0 = cpu_seconds();
                let t0 = Instant::now();
                let (latencies, failed) = copy_segments(src, primary, seg_blocks, 0, depth);
                let seconds = t0.elapsed().as_secs_f64();
                let cpu_seconds = cpu_seconds() - cpu0;
                if let Some((_, f)) = failed {
                    return Err(BenchError::Copy {
                        size,
                        depth,
                        failed: Box::new(f),
                    });
                }
                if spec.verify {
                    if let Some(offset) = differs(src, &primary.dest)? {
                        return Err(BenchError::Differs {
                            size,
                            depth,
                            offset,
                        });
                    }
                }
                runs.push(Run {
                    seconds,
                    commands: latencies.len() as u64,
                    latencies,
                    cpu_seconds,
                });
                on_run(&format!(
                    "{} segments, depth {depth}, run {}/{}",
                    crate::units::format_size(size),
                    r + 1,
                    spec.repeat
                ));
            }
            let summary = Summary::of(&runs, src.bytes());
            let failover = match spec.fault_at {
                Some(f) if depth == depths[0] => {
                    let fr = failover_run(
                        src,
                        primary,
                        standby.ok_or(BenchError::NoStandby)?,
                        faults.ok_or(BenchError::NoStandby)?,
                        seg_blocks,
                        depth,
                        f,
                        summary.median_seconds,
                    )?;
                    if spec.verify && !primary.dest.is_tape() {
                        // Both paths write the same destination unless told
                        // otherwise; check what the primary's holds.
                        let same = standby.is_some_and(|s| s.dest.name() == primary.dest.name());
                        if same {
                            if let Some(offset) = differs(src, &primary.dest)? {
                                return Err(BenchError::Differs {
                                    size,
                                    depth,
                                    offset,
                                });
                            }
                        }
                    }
                    on_run(&format!(
                        "{} segments, fault at segment {}",
                        crate::units::format_size(size),
                        fr.failed_segment
                    ));
                    Some(fr)
                }
                _ => None,
            };
            rows.push(Row {
                segment_bytes: size,
                depth,
                way: Way::Offloaded,
                via: primary.mover.device().to_string(),
                runs,
                summary,
                failover,
            });
        }
    }
    if let (true, Some(h)) = (spec.compare_host, host) {
        let size = spec.sizes.iter().copied().max().unwrap_or(8 << 20);
        let seg_blocks = segment_blocks(src, &primary.dest, size)?;
        let mut runs = Vec::new();
        for r in 0..spec.repeat {
            primary.dest.prepare()?;
            let bl = u64::from(src.endpoint.block_length);
            let cpu0 = cpu_seconds();
            let t0 = Instant::now();
            let mut commands = 0u64;
            let mut at = 0u64;
            while at < src.blocks {
                let blocks = seg_blocks.min(src.blocks - at);
                let t = Transfer {
                    from: End::Disk {
                        t: src.t,
                        endpoint: &src.endpoint,
                        lba: src.lba + at,
                    },
                    to: primary.dest.end(at),
                    bytes: blocks * bl,
                };
                h.transfer(&t).map_err(|f| BenchError::Copy {
                    size,
                    depth: 1,
                    failed: Box::new(f),
                })?;
                // READ and WRITE of at most 1 MiB each.
                commands += 2 * (blocks * bl).div_ceil(1 << 20);
                at += blocks;
            }
            runs.push(Run {
                seconds: t0.elapsed().as_secs_f64(),
                commands,
                latencies: Vec::new(),
                cpu_seconds: cpu_seconds() - cpu0,
            });
            on_run(&format!("host copy, run {}/{}", r + 1, spec.repeat));
        }
        let summary = Summary::of(&runs, src.bytes());
        rows.push(Row {
            segment_bytes: size,
            depth: 1,
            way: Way::Host,
            via: h.device().to_string(),
            runs,
            summary,
            failover: None,
        });
    }
    Ok(Report {
        source: src.endpoint.name.clone(),
        destination: primary.dest.name().to_string(),
        object_bytes: src.bytes(),
        rows,
        peak_rss_kib: peak_rss_kib(),
    })
}

/// One copy with a failure injected at `fraction` of its segments on the
/// primary, going on from the failed segment on the standby.
#[allow(clippy::too_many_arguments)]
fn failover_run(
    src: &Source<'_>,
    primary: &Path<'_>,
    standby: &Path<'_>,
    hook: &FaultHook,
    seg_blocks: u64,
    depth: usize,
    fraction: f64,
    fault_free_seconds: f64,
) -> Result<FailoverRun, BenchError> {
    let n = src.blocks.div_ceil(seg_blocks);
    let k = ((fraction * n as f64).floor() as u64).min(n - 1);
    // The fault strikes the first descriptor of segment k: count the
    // descriptors of the segments before it as the mover cuts them.
    let bl = u64::from(src.endpoint.block_length);
    let mut descriptors = 0u64;
    if k > 0 {
        // Every segment before k is full-size, so all cut alike.
        let t = Transfer {
            from: End::Disk {
                t: src.t,
                endpoint: &src.endpoint,
                lba: src.lba,
            },
            to: primary.dest.end(0),
            bytes: seg_blocks * bl,
        };
        let per_segment: u64 = primary
            .mover
            .lists(&t)
            .map_err(|e| BenchError::Size(e.to_string()))?
            .iter()
            .map(|(l, _)| l.segments.len() as u64)
            .sum();
        descriptors = per_segment * k;
    }
    primary.dest.prepare()?;
    standby.dest.prepare()?;
    hook.plan.replace(FaultPlan::new(vec![Fault::once(
        &hook.device,
        Trigger::Segment(descriptors),
        Effect::Sense(injected_sense()),
    )]));
    let t0 = Instant::now();
    // At depth > 1 the failure is the lowest failed segment; segments
    // after it that completed are copied again from there.
    let (_, failed) = copy_segments(src, primary, seg_blocks, 0, depth);
    let seconds_to_failure = t0.elapsed().as_secs_f64();
    hook.plan.replace(FaultPlan::default());
    let Some((at, f)) = failed else {
        return Err(BenchError::FaultDidNotFire { segment: k });
    };
    let verdict = f.error.verdict();
    if verdict.action == Action::Fatal {
        return Err(BenchError::Copy {
            size: seg_blocks * bl,
            depth,
            failed: Box::new(f),
        });
    }
    let why = format!("{}; {}", f.error, verdict.why);
    let (_, failed) = copy_segments(src, standby, seg_blocks, at, depth);
    let seconds = t0.elapsed().as_secs_f64();
    if let Some((_, f)) = failed {
        return Err(BenchError::Copy {
            size: seg_blocks * bl,
            depth,
            failed: Box::new(f),
        });
    }
    Ok(FailoverRun {
        failed_segment: at,
        segments: n,
        seconds,
        seconds_to_failure,
        fault_free_seconds,
        redo_seconds: seconds_to_failure + fault_free_seconds,
        why,
    })
}

/// The recommended segment size and the expected time per TiB of each
/// measured size.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// Failures per TiB copied, as assumed.
    pub failures_per_tib: f64,
    /// Per measured size: (segment bytes, expected seconds per TiB).
    pub expected: Vec<(u64, f64)>,
    /// The size with the least expected time.
    pub best: u64,
    /// How the expectation is computed, in words.
    pub model: String,
}

/// Picks the segment size that minimises the expected time to back up one
/// TiB, at the median throughput measured for each size (the best depth),
/// with `failures_per_tib` failures per TiB. A failure costs the half of
/// its segment copied before it (on average) and the time to notice it —
/// the command's time-out (`timeouts`) when the copy manager hangs, which
/// grows with the segment; the segment is then copied again on the standby
/// (its bytes are already in the throughput term).
pub fn recommend(
    rows: &[Row],
    failures_per_tib: f64,
    timeouts: &Timeouts,
) -> Option<Recommendation> {
    const TIB: f64 = (1u64 << 40) as f64;
    let mut best_rate: Vec<(u64, f64)> = Vec::new();
    for r in rows.iter().filter(|r| r.way == Way::Offloaded) {
        let rate = r.summary.median_bytes_per_second;
        match best_rate.iter_mut().find(|(s, _)| *s == r.segment_bytes) {
            Some(e) => e.1 = e.1.max(rate),
            None => best_rate.push((r.segment_bytes, rate)),
        }
    }
    let expected: Vec<(u64, f64)> = best_rate
        .iter()
        .filter(|(_, rate)| *rate > 0.0)
        .map(|&(s, rate)| {
            let lost = s as f64 / 2.0 / rate;
            let notice = timeouts.for_bytes(s).as_secs_f64();
            (s, TIB / rate + failures_per_tib * (lost + notice))
        })
        .collect();
    let best = expected
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|&(s, _)| s)?;
    Some(Recommendation {
        failures_per_tib,
        expected,
        best,
        model: format!(
            "expected seconds per TiB = TiB / measured rate + {failures_per_tib} failure(s) per TiB x (half a segment at that rate + the command time-out, {} s + the segment at {}/s, as for a copy manager that hangs)",
            timeouts.base.as_secs(),
            crate::units::format_size(timeouts.min_rate)
        ),
    })
}
