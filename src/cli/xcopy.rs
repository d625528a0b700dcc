//! `segcopy xcopy --from DEV[@LBA] --to DEV[@LBA] --blocks N …`: a one-shot
//! block copy by EXTENDED COPY (LID1), cut into segments of one command each.

use std::io::IsTerminal;
use std::time::Duration;

use segcopy::engine::plan::Plan;
use segcopy::engine::xcopy::{
    plan_xcopy, resume_from, run_plan_queued, CopyFailed, CopyManager, CopyReport, EndpointError,
    XcopyError, XcopyOptions,
};
use segcopy::transport::commands::{Failure, Scsi, XCOPY_TIMEOUT};
use segcopy::transport::Transport;
use segcopy::wire::xcopy::ListIdUsage;
use segcopy::wire::{Hex, HexDump};
use serde::Serialize;

use super::{exit, open_device, out, out_json, Failed};

/// Arguments of `xcopy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Source: a block device, optionally with a starting LBA (/dev/sg1@2048).
    #[arg(long, value_name = "DEV[@LBA]")]
    from: String,
    /// Destination, likewise.
    #[arg(long, value_name = "DEV[@LBA]")]
    to: String,
    /// How many blocks to copy.
    #[arg(long)]
    blocks: u64,
    /// Send the EXTENDED COPY commands to this copy manager.
    #[arg(long, value_name = "DEV", conflicts_with_all = ["on_src", "on_dst"])]
    via: Option<String>,
    /// Send the commands to the source (its copy manager does the copy).
    #[arg(long, conflicts_with = "on_dst")]
    on_src: bool,
    /// Send the commands to the destination (the default, as sg_xcopy).
    #[arg(long)]
    on_dst: bool,
    /// Bytes per segment (one EXTENDED COPY each): 64K, 1M, "8 MiB", 4096…
    /// (binary: 1K = 1024). Default: the most one command can carry, in
    /// whole MiB.
    #[arg(long, value_name = "SIZE", value_parser = segcopy::units::parse_size)]
    segment_size: Option<u64>,
    /// LIST IDENTIFIER (default 1, or 0 with --id-usage none; as sg_xcopy).
    #[arg(long)]
    list_id: Option<u8>,
    /// PRIORITY, 0 to 7 (default 1, as sg_xcopy).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=7))]
    priority: u8,
    /// LIST ID USAGE: hold, discard or none (default: discard when the copy
    /// manager holds no data, else hold — as sg_xcopy).
    #[arg(long, value_parser = parse_usage)]
    id_usage: Option<ListIdUsage>,
    /// Commands in flight at once (each with its own LIST IDENTIFIER: the
    /// given one, then the next ones). 1: one after the other, as sg_xcopy.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    queue_depth: u16,
    /// Plan and print, send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print every CDB and parameter list in hex (with or without --dry-run).
    #[arg(long)]
    hex: bool,
    /// Print the plan and the result as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_usage(s: &str) -> Result<ListIdUsage, String> {
    match s {
        "hold" => Ok(ListIdUsage::Hold),
        "discard" | "nohold" => Ok(ListIdUsage::NoHold),
        "none" | "disable" => Ok(ListIdUsage::None),
        _ => Err(format!("{s:?}: LIST ID USAGE is hold, discard or none")),
    }
}

/// Splits `DEV[@LBA]`.
pub(super) fn split_at_lba(arg: &str) -> Result<(&str, u64), Failed> {
    match arg.rsplit_once('@') {
        None => Ok((arg, 0)),
        Some((dev, lba)) => {
            let lba = lba.parse::<u64>().map_err(|_| {
                Failed::new(
                    exit::SYNTAX,
                    format!("{arg}: the part after @ must be a starting LBA (a whole number)"),
                )
            })?;
            Ok((dev, lba))
        }
    }
}

fn plan_failed(e: XcopyError) -> Failed {
    match e {
        XcopyError::Endpoint(EndpointError::Scsi(s)) | XcopyError::Scsi(s) => s.into(),
        XcopyError::Limits(e) => Failed::new(exit::ILLEGAL_REQUEST, e.to_string()),
        e @ (XcopyError::Endpoint(_) | XcopyError::ListId(_) | XcopyError::Plan(_)) => {
            Failed::new(exit::SYNTAX, e.to_string())
        }
    }
}

/// Opens each distinct path once.
struct Devices {
    paths: Vec<String>,
    open: Vec<Box<dyn Transport>>,
}

impl Devices {
    fn get(&mut self, path: &str) -> Result<usize, Failed> {
        if let Some(i) = self.paths.iter().position(|p| p == path) {
            return Ok(i);
        }
        self.open.push(open_device(path)?);
        self.paths.push(path.to_string());
        Ok(self.open.len() - 1)
    }
}

impl Args {
    /// The options struct the engine takes.
    fn options(&self) -> Result<XcopyOptions, Failed> {
        let (source, source_lba) = split_at_lba(&self.from)?;
        let (destination, destination_lba) = split_at_lba(&self.to)?;
        let copy_manager = match (&self.via, self.on_src) {
            (Some(v), _) => CopyManager::Via(v.clone()),
            (None, true) => CopyManager::OnSource,
            (None, false) => CopyManager::OnDestination,
        };
        Ok(XcopyOptions {
            source: source.to_string(),
            source_lba,
            destination: destination.to_string(),
            destination_lba,
            blocks: self.blocks,
            copy_manager,
            segment_bytes: self.segment_size,
            list_id: self.list_id,
            list_id_usage: self.id_usage,
            priority: self.priority,
        })
    }
}

/// Runs `xcopy`.
pub fn run(a: Args) -> Result<(), Failed> {
    let started = std::time::Instant::now();
    let o = a.options()?;
    let cm_path = o.copy_manager.device(&o.source, &o.destination).to_string();
    let mut devs = Devices {
        paths: vec![],
        open: vec![],
    };
    let (si, di, ci) = (
        devs.get(&o.source)?,
        devs.get(&o.destination)?,
        devs.get(&cm_path)?,
    );
    let cm = Scsi::new(devs.open[ci].as_ref());
    let plan = plan_xcopy(
        &o,
        &Scsi::new(devs.open[si].as_ref()),
        &Scsi::new(devs.open[di].as_ref()),
        &cm,
    )
    .map_err(plan_failed)?;

    if !a.json {
        out(&format!(
            "segcopy xcopy: {plan}, by EXTENDED COPY on {cm_path} (no host copy)\n"
        ));
    }
    if a.hex {
        print_hex(&plan)?;
    }
    if a.dry_run {
        if a.json {
            out_json(&plan_json(&plan, &cm_path, None))?;
        } else {
            out("dry run: nothing was sent\n");
        }
        return Ok(());
    }
    let bar = progress_bar(&plan, a.json);
    if a.queue_depth > 1 && plan.copy.list_id_usage == ListIdUsage::None {
        return Err(Failed::new(
            exit::SYNTAX,
            format!("--queue-depth {}: with --id-usage none every command has LIST IDENTIFIER 0, so only one can be in flight; use hold or discard", a.queue_depth),
        ));
    }
    let planned = started.elapsed();
    let result = run_plan_queued(&cm, &plan, XCOPY_TIMEOUT, usize::from(a.queue_depth), |d| {
        if let Some(b) = &bar {
            b.inc(d.blocks);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    match result {
        Ok(r) => {
            if a.json {
                let done = report_json(&r, plan.block_length, planned, a.queue_depth);
                out_json(&plan_json(&plan, &cm_path, Some(done)))?;
            } else {
                out(&report_words(&r, plan.block_length));
            }
            Ok(())
        }
        Err(f) => {
            if a.json {
                let failed = failure_json(&f, &plan);
                out_json(&plan_json(&plan, &cm_path, Some(failed)))?;
            }
            Err(failure(&f, &plan, &cm_path))
        }
    }
}

fn progress_bar(plan: &Plan, json: bool) -> Option<indicatif::ProgressBar> {
    if json || !std::io::stderr().is_terminal() || plan.segments.len() < 2 {
        return None;
    }
    let b = indicatif::ProgressBar::new(plan.copy.blocks);
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} blocks  {per_sec}  eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(b)
}

fn print_hex(plan: &Plan) -> Result<(), Failed> {
    for s in &plan.segments {
        let (cdb, list) = s.encode().map_err(|e| {
            Failed::new(
                exit::OTHER,
                format!(
                    "segment {}: segcopy could not encode its command: {e}",
                    s.index
                ),
            )
        })?;
        out(&format!(
            "segment {}: source LBA {}, destination LBA {}, {} blocks\n  CDB [{}]\n  parameter list, {} bytes:\n{}\n",
            s.index,
            s.source_lba,
            s.destination_lba,
            s.blocks,
            Hex(&cdb),
            list.len(),
            HexDump(&list)
        ));
    }
    Ok(())
}

fn mib_per_s(blocks: u64, block_length: u32, secs: f64) -> f64 {
    if secs <= 0.0 {
        return 0.0;
    }
    (blocks as f64 * f64::from(block_length)) / (1024.0 * 1024.0) / secs
}

fn report_words(r: &CopyReport, bl: u32) -> String {
    let secs = r.duration.as_secs_f64();
    format!(
        "copied {} blocks ({} bytes) in {} segment(s), {:.3} s, {:.1} MiB/s\n",
        r.blocks,
        r.blocks * u64::from(bl),
        r.segments.len(),
        secs,
        mib_per_s(r.blocks, bl, secs)
    )
}

/// The plan (and, after the copy, its result) as `xcopy --json` prints
/// it; lab tests 21 and 23 read these keys.
#[derive(Serialize)]
struct PlanJson<'a> {
    source: &'a str,
    source_lba: u64,
    source_designator: String,
    destination: &'a str,
    destination_lba: u64,
    destination_designator: String,
    copy_manager: &'a str,
    blocks: u64,
    block_length: u32,
    segment_blocks: u64,
    segments: usize,
    list_id: u8,
    priority: u8,
    method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<ResultJson>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ResultJson {
    Completed {
        status: &'static str,
        blocks_copied: u64,
        segments_completed: usize,
        seconds: f64,
        mib_per_second: f64,
        /// From the start of the command to the first EXTENDED COPY:
        /// opening the devices, asking who they are, planning.
        planning_seconds: f64,
        queue_depth: u16,
        segment_seconds: Vec<f64>,
    },
    Failed {
        status: &'static str,
        failed_segment: usize,
        failed_segment_source_lba: Option<u64>,
        failed_segment_destination_lba: Option<u64>,
        blocks_copied: u64,
        segments_completed: usize,
        error: String,
        sense_key: Option<&'static str>,
        asc_ascq: Option<String>,
        sense: Option<String>,
    },
}

fn plan_json<'a>(plan: &'a Plan, cm: &'a str, result: Option<ResultJson>) -> PlanJson<'a> {
    let c = &plan.copy;
    PlanJson {
        source: &c.source.name,
        source_lba: c.source_lba,
        source_designator: c.source.designator.to_string(),
        destination: &c.destination.name,
        destination_lba: c.destination_lba,
        destination_designator: c.destination.designator.to_string(),
        copy_manager: cm,
        blocks: c.blocks,
        block_length: plan.block_length,
        segment_blocks: plan.segment_blocks,
        segments: plan.segments.len(),
        list_id: c.list_id,
        priority: c.priority,
        method: "EXTENDED COPY (LID1)",
        result,
    }
}

fn report_json(r: &CopyReport, bl: u32, planning: Duration, queue_depth: u16) -> ResultJson {
    ResultJson::Completed {
        status: "completed",
        blocks_copied: r.blocks,
        segments_completed: r.segments.len(),
        seconds: r.duration.as_secs_f64(),
        mib_per_second: mib_per_s(r.blocks, bl, r.duration.as_secs_f64()),
        planning_seconds: planning.as_secs_f64(),
        queue_depth,
        segment_seconds: r
            .segments
            .iter()
            .map(|s| s.duration.as_secs_f64())
            .collect(),
    }
}

fn failure_json(f: &CopyFailed, plan: &Plan) -> ResultJson {
    let s = plan.segments.get(f.segment);
    let failure = f.error.failure();
    ResultJson::Failed {
        status: "failed",
        failed_segment: f.segment,
        failed_segment_source_lba: s.as_ref().map(|s| s.source_lba),
        failed_segment_destination_lba: s.as_ref().map(|s| s.destination_lba),
        blocks_copied: f.blocks_done,
        segments_completed: f.completed.len(),
        error: f.error.to_string(),
        sense_key: failure.and_then(|x| x.sense_key()).map(|k| k.name()),
        asc_ascq: failure
            .and_then(|x| x.sense())
            .and_then(|s| s.asc_ascq())
            .map(|(a, q)| format!("{a:02x}/{q:02x}")),
        sense: failure.and_then(|x| match x {
            Failure::CheckCondition { raw, .. } => Some(Hex(raw).to_string()),
            Failure::Command(_) => None,
        }),
    }
}

fn failure(f: &CopyFailed, plan: &Plan, cm: &str) -> Failed {
    let mut base = super::scsi_failed(&f.error);
    base.message = match resume_from(plan, f.segment) {
        Ok(r) => format!(
            "segment {} (counted from 0; {} in all) failed after {} blocks were copied (source LBAs {}..={}, destination LBAs {}..={}): {}\n  \
             to finish the copy from the failed segment: segcopy xcopy --from {}@{} --to {}@{} --blocks {} --segment-size {} --via {}",
            f.segment,
            f.segments,
            f.blocks_done,
            r.failed_source_lbas.start(),
            r.failed_source_lbas.end(),
            r.failed_destination_lbas.start(),
            r.failed_destination_lbas.end(),
            base.message,
            r.source,
            r.source_lba,
            r.destination,
            r.destination_lba,
            r.blocks,
            r.segment_bytes,
            cm
        ),
        Err(e) => format!(
            "{f}\n  segcopy cannot say where to finish the copy: {e}"
        ),
    };
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `xcopy`'s arguments alone, as clap reads them.
    fn args(extra: &[&str]) -> Result<Args, clap::Error> {
        #[derive(Debug, clap::Parser)]
        struct Cmd {
            #[command(flatten)]
            a: Args,
        }
        let base = ["xcopy", "--from", "a", "--to", "b", "--blocks", "1"];
        <Cmd as clap::Parser>::try_parse_from(base.iter().chain(extra)).map(|c| c.a)
    }

    #[test]
    fn segment_size_is_read_by_the_site_file_s_grammar() {
        for (text, bytes) in [
            ("8 MiB", 8 << 20),
            ("8MiB", 8 << 20),
            ("8M", 8 << 20),
            ("1T", 1 << 40),
            ("64K", 65_536),
            ("0.5 MiB", 524_288),
            ("4096", 4096),
        ] {
            let a = args(&["--segment-size", text]).unwrap();
            assert_eq!(a.segment_size, Some(bytes), "{text}");
            assert_eq!(segcopy::units::parse_size(text), Ok(bytes), "{text}");
        }
        let e = args(&["--segment-size", "1.5B"]).unwrap_err().to_string();
        assert!(e.contains("not a whole number of bytes"), "{e}");
        let e = args(&["--segment-size", "12 parsecs"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not a size"), "{e}");
    }

    #[test]
    fn dev_at_lba() {
        assert_eq!(split_at_lba("/dev/sg1@2048").ok(), Some(("/dev/sg1", 2048)));
        assert_eq!(split_at_lba("/dev/sg1").ok(), Some(("/dev/sg1", 0)));
        assert!(split_at_lba("/dev/sg1@x").is_err());
    }
}
