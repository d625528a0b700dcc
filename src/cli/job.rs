//! `segcopy job add|list`: backup jobs (the patent's backup processing
//! information, 410): what to back up, how, and how often.

use segcopy::catalog::job::{first_due, parse_every, parse_retention, parse_source, parse_target};
use segcopy::catalog::{format_time, now, Job, Schedule, Store, Target};

use super::backup::ModeArg;
use super::store::{self, render, size, table};
use super::{exit, out, Failed};

/// Arguments of `job`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Adds a job; with --every it is due at once, then every interval.
    Add(AddArgs),
    /// Every job, with when it is next due and its last backup.
    List {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `job add`.
#[derive(Debug, clap::Args)]
struct AddArgs {
    /// The job's name.
    name: String,
    /// What to back up: a disk of the site, from an LBA (0 if none).
    #[arg(long, value_name = "DISK[@LBA]")]
    source: String,
    /// How many blocks (default: to the end of the disk).
    #[arg(long, value_name = "N")]
    blocks: Option<u64>,
    /// Failover (one stream at a time) or mirror (all at once).
    #[arg(long, value_enum, default_value = "failover")]
    mode: ModeArg,
    /// Segment size: the unit of failover and of the catalog.
    #[arg(long, value_name = "SIZE", default_value = "8MiB")]
    segment_size: String,
    /// How many subsystems (copy manager, drive, tape, route) to secure.
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(1..))]
    streams: u8,
    /// Where to: tapes the selector picks, or disks in preference order.
    #[arg(long, value_name = "tape|disk:D1,D2[@LBA]", default_value = "tape")]
    to: String,
    /// How often (30m, 6h, 1d); without it, the job runs only by hand.
    #[arg(long, value_name = "DURATION")]
    every: Option<String>,
    /// How long its backups are kept (30d, 12w), counted from each
    /// backup's start: until then no tape holding them is written over
    /// without --force. Without it they are kept for good.
    #[arg(long, value_name = "DURATION", value_parser = parse_retention)]
    retain: Option<i64>,
}

/// Runs `job`, on the catalog `url` names (the default one if `None`).
pub fn run(a: Args, url: Option<&str>) -> Result<(), Failed> {
    match a.command {
        Sub::Add(add) => {
            let job = to_job(&add)?;
            let store = store::open(url)?;
            let id = store.add_job(&job).map_err(store::failed)?;
            out(&format!(
                "Added job {id} {:?}: {}, next due {}.\n",
                job.name,
                describe(&job),
                job.next_due
                    .map_or_else(|| "never (run it by hand)".to_string(), format_time)
            ));
            Ok(())
        }
        Sub::List { json } => list(store::open(url)?.as_ref(), json),
    }
}

/// The job `job add` was given, checked.
fn to_job(a: &AddArgs) -> Result<Job, Failed> {
    let bad = |m: String| Failed::new(exit::SYNTAX, m);
    let (source, lba) = parse_source(&a.source).map_err(|e| bad(e.to_string()))?;
    let target = parse_target(&a.to).map_err(|e| bad(e.to_string()))?;
    let schedule = match &a.every {
        Some(every) => parse_every(every).map_err(|e| bad(e.to_string()))?,
        None => Schedule::Manual,
    };
    let segment_bytes =
        segcopy::units::parse_size(&a.segment_size).map_err(|e| bad(e.to_string()))?;
    if segment_bytes == 0 {
        return Err(bad("--segment-size must be more than 0 bytes".into()));
    }
    if a.blocks == Some(0) {
        return Err(bad(
            "--blocks must be more than 0; leave it out to back up to the end of the disk".into(),
        ));
    }
    Ok(Job {
        id: 0,
        name: a.name.clone(),
        source,
        lba,
        blocks: a.blocks,
        mode: a.mode.into(),
        segment_bytes,
        streams: a.streams,
        target,
        next_due: first_due(&schedule, now()),
        schedule,
        last_backup: None,
        retention: a.retain,
    })
}

fn source(j: &Job) -> String {
    match j.blocks {
        Some(n) => format!("{}@{}+{n}", j.source, j.lba),
        None => format!("{}@{}+rest", j.source, j.lba),
    }
}

fn target(t: &Target) -> String {
    match t {
        Target::Tape => "tape".into(),
        Target::Disk { disks, lba } => format!("disk:{}@{lba}", disks.join(",")),
    }
}

fn every(s: &Schedule) -> String {
    match s {
        Schedule::Manual => "by hand".into(),
        Schedule::Interval { seconds } => humantime::format_duration(
            std::time::Duration::from_secs(u64::try_from(*seconds).unwrap_or(0)),
        )
        .to_string(),
    }
}

/// A job in one line: source, destination, mode, streams, segments, when.
fn describe(j: &Job) -> String {
    format!(
        "{} to {}, {}, {} streams, segments of {}, {}",
        source(j),
        target(&j.target),
        j.mode,
        j.streams,
        size(j.segment_bytes),
        match j.schedule {
            Schedule::Manual => "by hand".to_string(),
            Schedule::Interval { .. } => format!("every {}", every(&j.schedule)),
        }
    )
}

fn list(store: &dyn Store, json: bool) -> Result<(), Failed> {
    let jobs = store.jobs().map_err(store::failed)?;
    if json {
        let text = serde_json::to_string_pretty(&jobs).map_err(|e| {
            Failed::new(
                exit::OTHER,
                format!("the jobs could not be written as JSON: {e}"),
            )
        })?;
        out(&format!("{text}\n"));
        return Ok(());
    }
    if jobs.is_empty() {
        out(&format!("No jobs in {}.\n", store.location()));
        return Ok(());
    }
    let mut t = table(&[
        "ID",
        "NAME",
        "SOURCE",
        "TO",
        "MODE",
        "STREAMS",
        "SEGMENT",
        "EVERY",
        "NEXT DUE",
        "LAST BACKUP",
    ]);
    for j in &jobs {
        t.add_row(vec![
            j.id.to_string(),
            j.name.clone(),
            source(j),
            target(&j.target),
            j.mode.to_string(),
            j.streams.to_string(),
            size(j.segment_bytes),
            every(&j.schedule),
            j.next_due.map_or_else(|| "-".to_string(), format_time),
            j.last_backup
                .map_or_else(|| "-".to_string(), |b| b.to_string()),
        ]);
    }
    out(&render(&t));
    Ok(())
}

/// Arguments of `run-due`.
#[derive(Debug, clap::Args)]
pub struct RunDueArgs {
    /// Say which jobs are due, run nothing.
    #[arg(long)]
    dry_run: bool,
    /// This host's name in the catalog's leases (default: the host name).
    #[arg(long, value_name = "NAME")]
    host_id: Option<String>,
}

/// Runs `run-due`: every job whose time has come, one after the other
/// (for a systemd timer or cron). Exit 0 only if every backup completed.
pub fn run_due(a: RunDueArgs, url: Option<&str>) -> Result<(), Failed> {
    let Some(loaded) = super::site::get() else {
        return Err(Failed::new(
            exit::SYNTAX,
            "segcopy run-due needs --site FILE: the jobs' streams are secured from the site's resources",
        ));
    };
    let store = store::open(url)?;
    let started = now();
    let due = segcopy::catalog::due_jobs(store.as_ref(), started).map_err(store::failed)?;
    if due.is_empty() {
        out("No job is due.\n");
        return Ok(());
    }
    let inventory = segcopy::inventory::Inventory::from_site(&loaded.site);
    let mut worst = exit::OK;
    for j in due {
        out(&format!("job {} {:?}: {}\n", j.id, j.name, describe(&j)));
        if a.dry_run {
            continue;
        }
        let order = segcopy::engine::job::Order {
            request: segcopy::engine::backup::BackupRequest {
                lba: j.lba,
                blocks: j.blocks,
                job: Some(j.id),
                ..segcopy::engine::backup::BackupRequest::new(&j.source, j.mode, j.segment_bytes)
            },
            streams: j.streams,
            target: j.target.clone(),
            host_movers: false,
            host_id: a.host_id.clone(),
        };
        let progress = super::progress::Progress::new(false, false);
        let ran = segcopy::engine::job::run(
            &loaded.site,
            &inventory,
            loaded,
            store.as_ref(),
            &order,
            &progress,
        );
        progress.finish();
        let backup = match ran {
            Ok(r) => {
                match store.backup(r.outcome.id) {
                    Ok(d) => out(&super::backup::summary(&r, &d)),
                    Err(e) => eprintln!(
                        "segcopy: job {}: backup {} ran, but the catalog cannot show it: {e}",
                        j.name, r.outcome.id
                    ),
                }
                worst = worst.max(super::backup::status_code(r.outcome.status));
                Some(r.outcome.id)
            }
            Err(e) => {
                let f = super::backup::job_failed(e);
                eprintln!("segcopy: job {}: {}", j.name, f.message);
                worst = worst.max(f.code);
                None
            }
        };
        let next = segcopy::catalog::next_due(&j, started);
        store.job_ran(j.id, backup, next).map_err(store::failed)?;
    }
    match worst {
        exit::OK => Ok(()),
        code => Err(Failed::new(code, "not every due job completed its backup")),
    }
}
