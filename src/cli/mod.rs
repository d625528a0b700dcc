//! The `segcopy` command: arguments in, an options struct to the library,
//! results out in words, hex or JSON. One file per subcommand.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod backup;
mod bench;
mod catalog;
mod changer;
mod conform;
mod demo;
mod devices;
mod exit;
mod inquiry;
mod inventory;
mod job;
mod params;
mod progress;
mod restore;
mod serve;
mod site;
mod store;
mod tape;
mod xcopy;

/// segcopy: segmented backup through SCSI copy managers (EXTENDED COPY).
#[derive(Debug, Parser)]
#[command(name = "segcopy", version, about, long_about = None)]
pub struct Cli {
    /// Log CDBs, parameter lists and sense in hex (-v); data-in too (-vv).
    /// RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    /// A site file (TOML) describing simulated and real devices; device
    /// arguments may then be names from it.
    #[arg(long, global = true, value_name = "FILE")]
    site: Option<std::path::PathBuf>,

    /// The catalog: sqlite:PATH. Default: catalog.sqlite in the site's
    /// state directory, else in $XDG_STATE_HOME/segcopy or
    /// ~/.local/state/segcopy.
    #[arg(long, global = true, value_name = "URL")]
    catalog: Option<String>,

    /// Reach the site's simulated devices through the server on this Unix
    /// socket (`segcopy --site FILE serve --fabric unix --socket PATH`),
    /// as one of several hosts sharing one simulated SAN.
    #[arg(long, global = true, value_name = "PATH", requires = "site")]
    san: Option<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List SCSI generic devices (/dev/sg*): type, vendor, product, NAA
    /// designator and whether each advertises EXTENDED COPY.
    Devices(devices::Args),
    /// Standard INQUIRY or a VPD page of a device, decoded.
    Inquiry(inquiry::Args),
    /// A copy manager's OPERATING PARAMETERS (RECEIVE COPY RESULTS 03h).
    Params(params::Args),
    /// Copy blocks between two LUNs by EXTENDED COPY, one command per
    /// segment (like sg_xcopy).
    Xcopy(xcopy::Args),
    /// Run the EXTENDED COPY behaviour table (hand-made parameter lists)
    /// against a copy manager; writes to the --other LU.
    Conform(conform::Args),
    /// A tape library in the manner of mtx: status, load, unload, move.
    Changer(changer::Args),
    /// Tape drive operations (SSC), in the manner of mt: status, setblk,
    /// write, read, weof, rewind, fsf/bsf/fsr/bsr/eod, locate, tell.
    Tape(tape::Args),
    /// The catalog's backups: list them, or show where each segment of one
    /// is.
    Catalog(catalog::Args),
    /// Backup jobs: add one, list them.
    Job(job::Args),
    /// Run the jobs whose time has come (for a systemd timer or cron).
    RunDue(job::RunDueArgs),
    /// The site's resources and their state (usable, in use by which
    /// backup and stream, unusable); `inventory set` marks one.
    Inventory(inventory::Args),
    /// Back up a site's disk in segments over secured streams (failover or
    /// mirror), recording every segment in the catalog.
    Backup(backup::Args),
    /// The whole method on a simulated two-path SAN built from nothing:
    /// back up a disk while the primary copy manager fails, fail over,
    /// show the catalog, restore, and compare the bytes.
    Demo(demo::Args),
    /// Restore a backup to a disk, segment by segment, across its tapes.
    Restore(restore::Args),
    /// Measure segment sizes on a copy manager: throughput, commands per
    /// second, latency, CPU; failover cost, host copy, a recommendation.
    Bench(bench::Args),
    /// Serve the site's simulated devices (disks, copy managers, tape
    /// drives, libraries) as real kernel SCSI devices through LIO's
    /// userspace backstore (TCMU), on tcm_loop or iSCSI, until Ctrl-C.
    Serve(serve::Args),
}

/// What a subcommand returns: success, or an error already in words with
/// its exit code.
pub struct Failed {
    /// The message, one sentence (may hold more lines of detail after it).
    pub message: String,
    /// The exit code.
    pub code: u8,
}

impl Failed {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Failed {
            message: message.into(),
            code,
        }
    }
}

/// A failed command in words: the one-line reason, then the decoded sense
/// indented under it.
pub(crate) fn scsi_failed(e: &segcopy::transport::commands::ScsiError) -> Failed {
    let mut message = e.to_string();
    if let Some(sense) = e.failure().and_then(|f| f.sense()) {
        for line in sense.to_string().lines() {
            message.push_str("\n    ");
            message.push_str(line);
        }
    }
    Failed {
        message,
        code: exit::for_scsi(e),
    }
}

impl From<segcopy::transport::commands::ScsiError> for Failed {
    fn from(e: segcopy::transport::commands::ScsiError) -> Self {
        scsi_failed(&e)
    }
}

impl From<segcopy::transport::TransportError> for Failed {
    fn from(e: segcopy::transport::TransportError) -> Self {
        Failed {
            code: exit::for_transport(&e),
            message: e.to_string(),
        }
    }
}

/// Writes to stdout, treating a closed pipe (`| head`) as the end.
pub(crate) fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes()).and_then(|_| o.flush());
}

/// Writes `v` to stdout as pretty JSON (two-space indent, one key per
/// line: the form the lab's scripts read).
pub(crate) fn out_json(v: &impl serde::Serialize) -> Result<(), Failed> {
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| Failed::new(exit::OTHER, format!("cannot write the result as JSON: {e}")))?;
    out(&text);
    out("\n");
    Ok(())
}

/// Lays out `rows` under `header` (none if empty) in columns one space
/// apart, without borders, the first column indented by `indent` spaces;
/// trailing spaces trimmed, one line per row.
pub(crate) fn columns(header: &[&str], rows: Vec<Vec<String>>, indent: u16) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING);
    if !header.is_empty() {
        t.set_header(header.to_vec());
    }
    for r in rows {
        t.add_row(r);
    }
    for (i, c) in t.column_iter_mut().enumerate() {
        c.set_padding((if i == 0 { indent } else { 0 }, 1));
    }
    let mut s = t.trim_fmt();
    s.push('\n');
    s
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    exit::OK
                }
                _ => exit::SYNTAX,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let level = match cli.verbose {
        0 => "warn",
        1 => "segcopy=debug,sg=debug,warn",
        _ => "segcopy=trace,sg=trace,warn",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp(None)
        .format_target(false)
        .init();
    if let Some(path) = &cli.site {
        match site::load(path, cli.san.as_deref()) {
            Ok(loaded) => site::set(loaded),
            Err(f) => {
                eprintln!("segcopy: {}", f.message);
                return ExitCode::from(f.code);
            }
        }
    }
    let result = match cli.command {
        Command::Devices(a) => devices::run(a),
        Command::Inquiry(a) => inquiry::run(a),
        Command::Params(a) => params::run(a),
        Command::Xcopy(a) => xcopy::run(a),
        Command::Tape(a) => tape::run(a, cli.catalog.as_deref()),
        Command::Conform(a) => conform::run(a),
        Command::Changer(a) => changer::run(a),
        Command::Catalog(a) => catalog::run(a, cli.catalog.as_deref()),
        Command::Job(a) => job::run(a, cli.catalog.as_deref()),
        Command::RunDue(a) => job::run_due(a, cli.catalog.as_deref()),
        Command::Inventory(a) => inventory::run(a, cli.catalog.as_deref()),
        Command::Backup(a) => backup::run(a, cli.catalog.as_deref()),
        Command::Demo(a) => demo::run(a),
        Command::Restore(a) => restore::run(a, cli.catalog.as_deref()),
        Command::Bench(a) => bench::run(a, cli.catalog.as_deref()),
        Command::Serve(a) => serve::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("segcopy: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Opens a device named on the command line: a name from the site file
/// (`--site`), or a /dev path.
pub(crate) fn open_device(dev: &str) -> Result<Box<dyn segcopy::transport::Transport>, Failed> {
    match site::get() {
        Some(loaded) => site::open(loaded, dev),
        None => Ok(Box::new(segcopy::transport::SgTransport::open(dev)?)),
    }
}
