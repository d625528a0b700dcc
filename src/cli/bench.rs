//! `segcopy bench --object DISK[:LBA+LEN] --to DEST …`: what each segment
//! size costs on a copy manager — throughput, commands per second, command
//! latency, CPU of this host — with an injected failure and failover, a
//! host copy beside it, and the segment size to choose.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use segcopy::bench::{
    self, plot, recommend, Dest, FaultHook, Path, Recommendation, Report, Source, Spec, Way,
};
use segcopy::engine::mover::{HostMover, Timeouts, XcopyMover};
use segcopy::engine::plan::{Endpoint, Limits};
use segcopy::engine::xcopy::endpoint;
use segcopy::transport::commands::Scsi;
use segcopy::transport::discover::Identity;
use segcopy::transport::fault::{FaultInjector, FaultPlan};
use segcopy::transport::Transport;
use segcopy::units::{format_size, parse_size};
use serde::Serialize;

use super::xcopy::split_at_lba;
use super::{columns, exit, open_device, out, out_json, site, Failed};

/// Arguments of `bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to copy: a disk (site name or /dev path), optionally from an
    /// LBA and for a length: a size with a unit (256MiB) or a number of
    /// blocks. Default: the whole disk.
    #[arg(long, value_name = "DISK[:LBA[+LEN]]")]
    object: String,
    /// Where to: a disk (from an LBA, default 0) or a tape drive (written
    /// from the beginning; see --tape and --force).
    #[arg(long, value_name = "DEST[@LBA]")]
    to: String,
    /// The copy manager to send EXTENDED COPY to (default: the
    /// destination, as sg_xcopy).
    #[arg(long, value_name = "CM")]
    via: Option<String>,
    /// Segment sizes to measure, comma-separated. Default: 1MiB, 4MiB,
    /// 16MiB and 64MiB, those no larger than the object's disk.
    #[arg(long, value_name = "SIZE,…", value_delimiter = ',', value_parser = parse_size)]
    sizes: Option<Vec<u64>>,
    /// Runs per size (the median is reported, and the spread).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    repeat: u32,
    /// Commands in flight for a disk destination (each with its own list
    /// identifier), comma-separated: each depth is measured.
    #[arg(long, value_name = "N,…", default_value = "1", value_delimiter = ',',
          value_parser = clap::value_parser!(u16).range(1..=64))]
    queue_depth: Vec<u16>,
    /// Also run each size with a failure injected on the primary copy
    /// manager at this fraction of the copy (0 to <1), going on from the
    /// failed segment through --failover-via.
    #[arg(long, value_name = "FRACTION", value_parser = parse_fraction, requires = "failover_via")]
    fault_at: Option<f64>,
    /// The standby copy manager for --fault-at.
    #[arg(long, value_name = "CM")]
    failover_via: Option<String>,
    /// The standby's destination (default: the same as --to; for a tape,
    /// give the standby's drive).
    #[arg(long, value_name = "DEST[@LBA]")]
    failover_to: Option<String>,
    /// Load this cartridge into the --to drive first (site libraries).
    #[arg(long, value_name = "BARCODE")]
    tape: Option<String>,
    /// Load this cartridge into the --failover-to drive first.
    #[arg(long, value_name = "BARCODE")]
    failover_tape: Option<String>,
    /// Tape block length for a tape destination.
    #[arg(long, value_name = "SIZE", default_value = "256KiB", value_parser = parse_size)]
    tape_block: u64,
    /// Write over a tape that is not blank (the bench writes from its
    /// beginning).
    #[arg(long)]
    force: bool,
    /// Also copy the same bytes through this host (READ/WRITE) for the CPU
    /// and throughput ratios.
    #[arg(long)]
    compare_host: bool,
    /// Read both ends back after every run and compare them (disk
    /// destinations).
    #[arg(long)]
    verify: bool,
    /// Say which segment size minimises the expected backup time, given
    /// --failure-rate.
    #[arg(long)]
    recommend: bool,
    /// Failures per TiB copied for --recommend (default: the site's
    /// failures_per_tib, else 1).
    #[arg(long, value_name = "N")]
    failure_rate: Option<f64>,
    /// Time-out of an EXTENDED COPY: 30 s plus its bytes at this rate
    /// (also the time a hang costs in --recommend).
    #[arg(long, value_name = "SIZE/s", default_value = "4MiB", value_parser = parse_size)]
    min_rate: u64,
    /// Write every run as CSV.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Draw the chart (SVG or PNG, by the extension).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also write the report in words to this file (with --json, to keep
    /// both from one run).
    #[arg(long, value_name = "FILE")]
    words: Option<PathBuf>,
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..1.0).contains(&f) => Ok(f),
        _ => Err(format!(
            "{s:?} is not a fraction of the copy: give a number from 0 to below 1, e.g. 0.9"
        )),
    }
}

/// A length in an object: a size with a unit is bytes, a bare number is
/// blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Len {
    Bytes(u64),
    Blocks(u64),
}

/// Splits `DISK[:LBA[+LEN]]` (or `DISK@LBA…`).
fn parse_object(s: &str) -> Result<(String, u64, Option<Len>), String> {
    let bad = |why: &str| {
        format!("--object {s:?}: {why}; write DISK, DISK:LBA or DISK:LBA+LEN (LEN a size such as 256MiB, or a number of blocks)")
    };
    let (name, rest) = match s.rsplit_once([':', '@']) {
        Some((n, r)) => (n, Some(r)),
        None => (s, None),
    };
    if name.is_empty() {
        return Err(bad("no disk is named"));
    }
    let Some(rest) = rest else {
        return Ok((name.to_string(), 0, None));
    };
    let (lba, len) = match rest.split_once('+') {
        Some((l, n)) => (l, Some(n)),
        None => (rest, None),
    };
    let lba = lba
        .trim()
        .parse::<u64>()
        .map_err(|_| bad(&format!("{lba:?} is not an LBA")))?;
    let len = match len.map(str::trim) {
        None => None,
        Some(n) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => Some(Len::Blocks(
            n.parse()
                .map_err(|_| bad(&format!("{n:?} blocks is too many")))?,
        )),
        Some(n) => Some(Len::Bytes(parse_size(n).map_err(|e| bad(&e.to_string()))?)),
    };
    Ok((name.to_string(), lba, len))
}

/// The mover of a copy manager, with the limits it reports.
fn mover(t: Box<dyn Transport>, timeouts: Timeouts) -> Result<XcopyMover, Failed> {
    let name = t.name().to_string();
    let (op, _) = Scsi::new(t.as_ref()).operating_parameters().map_err(|e| {
        Failed::new(
            exit::for_scsi(&e),
            format!("{name} did not answer RECEIVE COPY RESULTS (OPERATING PARAMETERS), so it is not a copy manager segcopy can use; name one with --via ({e})"),
        )
    })?;
    let limits = Limits::from_operating_parameters(&name, &op)
        .map_err(|e| Failed::new(exit::SYNTAX, e.to_string()))?;
    Ok(XcopyMover::new(t, limits, timeouts))
}

/// Loads `barcode` into `drive` from the site library that has the drive.
fn load_tape(drive: &str, barcode: &str) -> Result<(), Failed> {
    let loaded = site::get().ok_or_else(|| {
        Failed::new(
            exit::SYNTAX,
            format!("--tape {barcode}: loading a cartridge needs the site file (--site) that names the library of {drive}"),
        )
    })?;
    let (lib, number) = loaded.site.library_of_drive(drive).ok_or_else(|| {
        Failed::new(
            exit::SYNTAX,
            format!("--tape {barcode}: no library of the site has the drive {drive}"),
        )
    })?;
    let library = open_device(&lib)?;
    segcopy::engine::media::load(library.as_ref(), number, barcode)
        .map_err(|e| Failed::new(exit::NOT_READY, e.to_string()))?;
    let t = open_device(drive)?;
    segcopy::engine::media::wait_ready(t.as_ref(), barcode)
        .map_err(|e| Failed::new(exit::NOT_READY, e.to_string()))
}

/// What protects a tape the bench would write over: the catalog, the
/// cartridge's barcode when the bench loaded it, and `--force`.
struct Guard<'a> {
    catalog: Option<&'a str>,
    barcode: Option<&'a str>,
    force: bool,
}

/// The destination: a disk endpoint, or a drive with a tape that is blank
/// or that [`segcopy::engine::overwrite::prepare`] lets the bench write
/// over.
fn dest<'a>(
    t: &'a dyn Transport,
    lba: u64,
    tape_block: u32,
    guard: &Guard<'_>,
) -> Result<Dest<'a>, Failed> {
    let scsi = Scsi::new(t);
    let id = Identity::probe(&scsi)?;
    if id.inquiry.device_type.bits() == 0x01 {
        let designator = id.cscd_designator().cloned().ok_or_else(|| {
            Failed::new(
                exit::SYNTAX,
                format!(
                    "{} reports no designator a copy manager can be given (VPD 83h)",
                    t.name()
                ),
            )
        })?;
        let at_end = segcopy::engine::media::ready_to_append(t, tape_block)
            .map_err(|e| Failed::new(exit::NOT_READY, format!("{}: {e}", t.name())))?;
        if at_end != Some(0) {
            // The bench writes from the beginning: what the tape holds is
            // lost, so the catalog and the tape's own maps are asked first.
            let store = super::store::open(guard.catalog)?;
            segcopy::engine::overwrite::prepare(
                store.as_ref(),
                t,
                guard.barcode,
                guard.force,
                "segcopy bench",
            )
            .map_err(|e| {
                let code = match e {
                    segcopy::engine::overwrite::OverwriteError::Store(_) => exit::FILE_ERROR,
                    _ => exit::DATA_PROTECT,
                };
                Failed::new(code, e.to_string())
            })?;
            segcopy::engine::media::ready_to_append(t, tape_block)
                .map_err(|e| Failed::new(exit::NOT_READY, format!("{}: {e}", t.name())))?;
        }
        return Ok(Dest::Tape {
            t,
            designator,
            block_length: tape_block,
        });
    }
    let endpoint = endpoint(&scsi).map_err(|e| Failed::new(exit::SYNTAX, e.to_string()))?;
    Ok(Dest::Disk { t, endpoint, lba })
}

/// Every size of `--sizes` is whole blocks of the source `name`, at least
/// one, and no larger than the source itself.
fn check_sizes(sizes: &[u64], name: &str, source: &Endpoint) -> Result<(), Failed> {
    let bl = u64::from(source.block_length);
    let capacity = source.capacity_blocks.saturating_mul(bl);
    for &size in sizes {
        let why = if size == 0 {
            format!("a segment size of 0 bytes copies nothing; give sizes of at least one of {name}'s {bl}-byte blocks")
        } else if bl == 0 || size % bl != 0 {
            format!("segment size {size} bytes is not a whole number of {name}'s {bl}-byte blocks; use a multiple of {bl}")
        } else if size > capacity {
            format!("segment size {size} bytes is larger than {name} itself ({capacity} bytes); give sizes of at most {capacity} bytes")
        } else {
            continue;
        };
        return Err(Failed::new(exit::SYNTAX, format!("--sizes: {why}")));
    }
    Ok(())
}

/// The sizes measured when `--sizes` is not given: 1, 4, 16 and 64 MiB,
/// those no larger than the source `name`.
fn default_sizes(name: &str, source: &Endpoint) -> Result<Vec<u64>, Failed> {
    let capacity = source
        .capacity_blocks
        .saturating_mul(u64::from(source.block_length));
    let sizes: Vec<u64> = [1u64 << 20, 4 << 20, 16 << 20, 64 << 20]
        .into_iter()
        .filter(|&s| s <= capacity)
        .collect();
    if sizes.is_empty() {
        return Err(Failed::new(
            exit::SYNTAX,
            format!("{name} ({capacity} bytes) is smaller than the smallest default segment size (1 MiB); give --sizes of at most {capacity} bytes"),
        ));
    }
    Ok(sizes)
}

/// A disk destination takes the object: the same block size, room for it,
/// and not the source's own blocks.
fn check_dest(flag: &str, source: &Source<'_>, dest: &Dest<'_>) -> Result<(), Failed> {
    let Dest::Disk { endpoint, lba, .. } = dest else {
        return Ok(());
    };
    segcopy::engine::plan::check_ends(&source.endpoint, source.lba, endpoint, *lba, source.blocks)
        .map_err(|e| Failed::new(exit::SYNTAX, format!("{flag}: {e}")))
}

/// Every run as CSV, one line each.
fn csv(report: &Report) -> String {
    let mut s =
        String::from("segment_bytes,depth,way,via,run,seconds,mib_per_s,commands,cpu_seconds\n");
    for r in &report.rows {
        for (k, run) in r.runs.iter().enumerate() {
            let way = match r.way {
                Way::Offloaded => "offloaded",
                Way::Host => "host",
            };
            let mib = if run.seconds > 0.0 {
                report.object_bytes as f64 / run.seconds / f64::from(1u32 << 20)
            } else {
                0.0
            };
            s.push_str(&format!(
                "{},{},{way},{},{},{:.6},{:.3},{},{:.6}\n",
                r.segment_bytes,
                r.depth,
                r.via.replace(',', " "),
                k + 1,
                run.seconds,
                mib,
                run.commands,
                run.cpu_seconds
            ));
        }
    }
    s
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.2}"))
}

/// The report in words.
fn words(report: &Report, rec: Option<&Recommendation>, simulated: bool) -> String {
    let mut s = format!(
        "segcopy bench: {} -> {}, {} per run\n\n",
        report.source,
        report.destination,
        format_size(report.object_bytes)
    );
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let m = &r.summary;
            vec![
                format_size(r.segment_bytes),
                r.depth.to_string(),
                match r.way {
                    Way::Offloaded => format!("offloaded (EXTENDED COPY via {})", r.via),
                    Way::Host => format!("host copy (READ/WRITE through {})", r.via),
                },
                format!("{:.1}", m.mib_per_s),
                format!("{:.1}-{:.1}", m.mib_per_s_min, m.mib_per_s_max),
                format!("{:.1}", m.commands_per_s),
                opt_ms(m.latency_p50_ms),
                opt_ms(m.latency_p99_ms),
                format!("{:.4}", m.cpu_seconds_per_gib),
            ]
        })
        .collect();
    s.push_str(&columns(
        &[
            "segment",
            "depth",
            "how",
            "MiB/s",
            "spread",
            "cmd/s",
            "p50 ms",
            "p99 ms",
            "CPU s/GiB",
        ],
        rows,
        0,
    ));
    s.push_str(&format!(
        "(median of {} run(s) each; spread = slowest-fastest run; CPU = user + system of this process)\n",
        report.rows.first().map_or(0, |r| r.runs.len())
    ));
    if simulated {
        s.push_str("(the copy managers here are simulated inside this process, so their copying counts as this host's CPU; on real devices it does not)\n");
    }
    let base = |size: u64| {
        report
            .rows
            .iter()
            .find(|r| r.way == Way::Offloaded && r.segment_bytes == size && r.depth == 1)
    };
    let deeper: Vec<String> = report
        .rows
        .iter()
        .filter(|r| r.way == Way::Offloaded && r.depth > 1)
        .filter_map(|r| {
            let b = base(r.segment_bytes)?;
            Some(format!(
                "  {} at depth {}: {:.2}x depth 1",
                format_size(r.segment_bytes),
                r.depth,
                r.summary.mib_per_s / b.summary.mib_per_s.max(f64::MIN_POSITIVE)
            ))
        })
        .collect();
    if !deeper.is_empty() {
        s.push_str("\ncommands in flight against one at a time:\n");
        s.push_str(&deeper.join("\n"));
        s.push('\n');
    }
    let fails: Vec<&bench::Row> = report
        .rows
        .iter()
        .filter(|r| r.failover.is_some())
        .collect();
    if !fails.is_empty() {
        s.push_str("\nfailover (failure injected on the primary copy manager):\n");
        for r in fails {
            if let Some(f) = &r.failover {
                s.push_str(&format!(
                    "  {}: segment {} of {} failed after {:.3} s; done on the standby in {:.3} s in all = {:.3}x the fault-free {:.3} s (redoing the whole copy: {:.3} s = {:.3}x)\n",
                    format_size(r.segment_bytes),
                    f.failed_segment,
                    f.segments,
                    f.seconds_to_failure,
                    f.seconds,
                    f.seconds / f.fault_free_seconds.max(f64::MIN_POSITIVE),
                    f.fault_free_seconds,
                    f.redo_seconds,
                    f.redo_seconds / f.fault_free_seconds.max(f64::MIN_POSITIVE),
                ));
                s.push_str(&format!("    the failure: {}\n", f.why));
            }
        }
    }
    if let Some(h) = report.rows.iter().find(|r| r.way == Way::Host) {
        s.push_str("\noffloaded against the host copy:\n");
        for r in report.rows.iter().filter(|r| r.way == Way::Offloaded) {
            s.push_str(&format!(
                "  {} depth {}: throughput {:.2}x, CPU per GiB {:.1} %\n",
                format_size(r.segment_bytes),
                r.depth,
                r.summary.mib_per_s / h.summary.mib_per_s.max(f64::MIN_POSITIVE),
                100.0 * r.summary.cpu_seconds_per_gib
                    / h.summary.cpu_seconds_per_gib.max(f64::MIN_POSITIVE)
            ));
        }
    }
    if let Some(rec) = rec {
        s.push_str(&format!(
            "\nrecommended segment size: {} ({} failure(s) per TiB assumed)\n",
            format_size(rec.best),
            rec.failures_per_tib
        ));
        for (size, secs) in &rec.expected {
            s.push_str(&format!(
                "  {:>8}: {:.0} s ({:.2} h) per TiB{}\n",
                format_size(*size),
                secs,
                secs / 3600.0,
                if *size == rec.best { "  <- least" } else { "" }
            ));
        }
        s.push_str(&format!("  ({})\n", rec.model));
    }
    s.push_str(&format!(
        "\npeak memory of this process: {} KiB\n",
        report.peak_rss_kib
    ));
    s
}

/// The report and the recommendation, as JSON.
#[derive(Debug, Serialize)]
struct Json<'a> {
    #[serde(flatten)]
    report: &'a Report,
    recommendation: Option<&'a Recommendation>,
    simulated: bool,
}

/// Runs `bench`.
pub fn run(a: Args, catalog: Option<&str>) -> Result<(), Failed> {
    let (obj, obj_lba, obj_len) =
        parse_object(&a.object).map_err(|m| Failed::new(exit::SYNTAX, m))?;
    if a.sizes.as_ref().is_some_and(|s| s.is_empty()) {
        return Err(Failed::new(
            exit::SYNTAX,
            "--sizes is empty: give at least one segment size",
        ));
    }
    let tape_block = u32::try_from(a.tape_block)
        .ok()
        .filter(|b| *b > 0)
        .ok_or_else(|| {
            Failed::new(
                exit::SYNTAX,
                format!(
                    "--tape-block {}: give a tape block of 1 byte to 4 GiB",
                    a.tape_block
                ),
            )
        })?;
    let timeouts = Timeouts {
        min_rate: a.min_rate.max(1),
        ..Timeouts::default()
    };
    if let Some(p) = &a.plot {
        plot::check_path(p).map_err(|e| Failed::new(exit::FILE_ERROR, e.to_string()))?;
    }
    let (to, to_lba) = split_at_lba(&a.to)?;
    if let Some(b) = &a.tape {
        load_tape(to, b)?;
    }
    let source_t = open_device(&obj)?;
    let endpoint_src = endpoint(&Scsi::new(source_t.as_ref()))
        .map_err(|e| Failed::new(exit::SYNTAX, e.to_string()))?;
    let bl = u64::from(endpoint_src.block_length);
    let blocks = match obj_len {
        None => endpoint_src.capacity_blocks.saturating_sub(obj_lba),
        Some(Len::Blocks(n)) => n,
        Some(Len::Bytes(b)) if b % bl == 0 => b / bl,
        Some(Len::Bytes(b)) => {
            return Err(Failed::new(
                exit::SYNTAX,
                format!("--object: {b} bytes is not a whole number of {obj}'s {bl}-byte blocks"),
            ))
        }
    };
    segcopy::engine::segments::check_range(&obj, obj_lba, blocks, endpoint_src.capacity_blocks)
        .map_err(|e| Failed::new(exit::SYNTAX, e.to_string()))?;
    let sizes = match &a.sizes {
        Some(sizes) => {
            check_sizes(sizes, &obj, &endpoint_src)?;
            sizes.clone()
        }
        None => default_sizes(&obj, &endpoint_src)?,
    };
    let source = Source {
        t: source_t.as_ref(),
        endpoint: endpoint_src,
        lba: obj_lba,
        blocks,
    };

    let dest_t = open_device(to)?;
    let cm_name = a.via.clone().unwrap_or_else(|| to.to_string());
    // The primary copy manager sits behind a fault plan of the bench's
    // own, armed only for the --fault-at run.
    let plan = Arc::new(FaultPlan::default());
    let cm_t: Box<dyn Transport> = Box::new(FaultInjector::new(
        open_device(&cm_name)?,
        Arc::clone(&plan),
        &cm_name,
    ));
    let primary_mover = mover(cm_t, timeouts)?;
    let primary = Path {
        mover: &primary_mover,
        dest: dest(
            dest_t.as_ref(),
            to_lba,
            tape_block,
            &Guard {
                catalog,
                barcode: a.tape.as_deref(),
                force: a.force,
            },
        )?,
    };
    check_dest("--to", &source, &primary.dest)?;

    let standby_t;
    let standby_mover;
    let standby = match &a.failover_via {
        None => None,
        Some(via) => {
            let (sto, sto_lba) = match &a.failover_to {
                Some(s) => split_at_lba(s)?,
                None => (to, to_lba),
            };
            if let Some(b) = &a.failover_tape {
                load_tape(sto, b)?;
            }
            standby_t = open_device(sto)?;
            standby_mover = mover(open_device(via)?, timeouts)?;
            let d = dest(
                standby_t.as_ref(),
                sto_lba,
                tape_block,
                &Guard {
                    catalog,
                    barcode: a.failover_tape.as_deref(),
                    force: a.force,
                },
            )?;
            check_dest("--failover-to", &source, &d)?;
            if d.is_tape_of(&primary.dest) {
                return Err(Failed::new(exit::SYNTAX, "--failover-to names the primary's tape drive: the standby needs a drive (and tape) of its own"));
            }
            Some(Path {
                mover: &standby_mover,
                dest: d,
            })
        }
    };
    let host = HostMover::new(&segcopy::catalog::process::host_name(None));
    let spec = Spec {
        sizes,
        repeat: a.repeat,
        depths: a.queue_depth.iter().map(|d| usize::from(*d)).collect(),
        fault_at: a.fault_at,
        compare_host: a.compare_host,
        verify: a.verify,
    };
    let total = (spec.sizes.len() * spec.depths.len().max(1)) as u64 * u64::from(spec.repeat)
        + if spec.fault_at.is_some() {
            spec.sizes.len() as u64
        } else {
            0
        }
        + if spec.compare_host {
            u64::from(spec.repeat)
        } else {
            0
        };
    let bar = (!a.json && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} runs  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let hook = FaultHook {
        plan,
        device: cm_name.clone(),
    };
    let result = bench::run(
        &spec,
        &source,
        &primary,
        standby.as_ref(),
        Some(&hook),
        Some(&host),
        |what| {
            if let Some(b) = &bar {
                b.set_message(what.to_string());
                b.inc(1);
            }
        },
    );
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = result.map_err(|e| {
        let code = match &e {
            bench::BenchError::Copy { failed, .. } => {
                failed.error.scsi().map_or(exit::OTHER, exit::for_scsi)
            }
            bench::BenchError::Differs { .. } => exit::MISCOMPARE,
            bench::BenchError::Size(_) | bench::BenchError::NoStandby => exit::SYNTAX,
            bench::BenchError::Scsi(s) => exit::for_scsi(s),
            _ => exit::OTHER,
        };
        Failed::new(code, format!("bench stopped: {e}"))
    })?;
    let rate = a
        .failure_rate
        .or_else(|| {
            site::get().and_then(|l| l.site.site.failures_per_tib.as_ref().map(|r| *r.get_ref()))
        })
        .unwrap_or(1.0);
    if !rate.is_finite() || rate < 0.0 {
        return Err(Failed::new(
            exit::SYNTAX,
            format!("--failure-rate {rate}: give failures per TiB, 0 or more"),
        ));
    }
    let rec = a
        .recommend
        .then(|| recommend(&report.rows, rate, &timeouts))
        .flatten();
    let simulated = site::get().is_some_and(|l| {
        [&obj, to, &cm_name]
            .iter()
            .all(|n| l.fabric.transport(n).is_some())
    });
    if let Some(p) = &a.csv {
        std::fs::write(p, csv(&report)).map_err(|e| {
            Failed::new(
                exit::FILE_ERROR,
                format!("{}: cannot write the CSV: {e}", p.display()),
            )
        })?;
    }
    if let Some(p) = &a.plot {
        plot::write(&report, rec.as_ref(), p)
            .map_err(|e| Failed::new(exit::FILE_ERROR, e.to_string()))?;
    }
    let text = words(&report, rec.as_ref(), simulated);
    if let Some(p) = &a.words {
        std::fs::write(p, &text).map_err(|e| {
            Failed::new(
                exit::FILE_ERROR,
                format!("{}: cannot write the report: {e}", p.display()),
            )
        })?;
    }
    if a.json {
        out_json(&Json {
            report: &report,
            recommendation: rec.as_ref(),
            simulated,
        })?;
    } else {
        out(&text);
        if let Some(p) = &a.plot {
            out(&format!("chart: {}\n", p.display()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_disk_lba_and_length() {
        assert_eq!(parse_object("prod0"), Ok(("prod0".into(), 0, None)));
        assert_eq!(parse_object("prod0:2048"), Ok(("prod0".into(), 2048, None)));
        assert_eq!(
            parse_object("prod0:0+256MiB"),
            Ok(("prod0".into(), 0, Some(Len::Bytes(256 << 20))))
        );
        assert_eq!(
            parse_object("/dev/sg3@8+1000"),
            Ok(("/dev/sg3".into(), 8, Some(Len::Blocks(1000))))
        );
        let e = parse_object("prod0:x+1").unwrap_err();
        assert!(e.contains("\"x\" is not an LBA"), "{e}");
        let e = parse_object(":5").unwrap_err();
        assert!(e.contains("no disk is named"), "{e}");
        let e = parse_object("prod0:0+12 parsecs").unwrap_err();
        assert!(e.starts_with("--object \"prod0:0+12 parsecs\""), "{e}");
    }

    #[test]
    fn fractions_are_below_one() {
        assert_eq!(parse_fraction("0.9"), Ok(0.9));
        assert_eq!(parse_fraction("0"), Ok(0.0));
        assert!(parse_fraction("1").is_err());
        assert!(parse_fraction("-0.1").is_err());
        assert!(parse_fraction("lots").is_err());
    }
}
