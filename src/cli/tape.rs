//! `segcopy tape DEV <op>`: an `mt`-like tool over SG_IO, in the manner of
//! mt-st and sg3_utils — status, block size, writing and reading a file
//! as records, filemarks, positioning, and READ POSITION reported honestly
//! (a drive that cannot tell says so; segcopy never prints an invented 0).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

use clap::Subcommand;
use segcopy::transport::commands::ScsiError;
use segcopy::transport::tape::{
    block_limits_words, form_name, locate_refused, position_unknown_flag, BlockMode, Doubt,
    LocateRefused, Met, Position, ReadRecords, RecordLengthError, RecordsError,
    SetBlockLengthError, SpaceKind, SpaceResult, Stop, Tape, Told, WroteRecords,
};
use segcopy::units::parse_size;
use segcopy::wire::ssc::{
    BlockLimits, BlockPosition, PositionUnknown, ReadPositionForm, Space6Cdb, MAX_U24,
};
use segcopy::wire::Hex;
use serde::Serialize;

use super::{columns, exit, open_device, out, out_json, scsi_failed, Failed};

/// Arguments of `tape`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tape drive's SCSI generic node (/dev/sgN).
    device: String,
    /// Print the result as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    op: Op,
}

#[derive(Debug, Subcommand)]
enum Op {
    /// Block limits, block size, density, write protection, position.
    Status,
    /// Set the block size (MODE SELECT); 0 = variable-block mode.
    Setblk {
        /// Bytes per block, or 0 for variable.
        #[arg(value_parser = parse_u24)]
        size: u32,
    },
    /// Write a file as records (one WRITE(6) each). No filemark: use weof.
    Write {
        /// The file to write.
        #[arg(long)]
        file: PathBuf,
        /// Bytes per record (default 64 KiB; in fixed-block mode a whole
        /// number of blocks). In fixed mode the last record is padded with
        /// zeros to whole blocks.
        #[arg(long, value_name = "N", value_parser = parse_size)]
        block_size: Option<u64>,
        /// Write even where data follow (they are lost; the catalog
        /// forgets the segments they held).
        #[arg(long)]
        force: bool,
    },
    /// Read records until a filemark (or end of data) into a file.
    Read {
        /// The file to create.
        #[arg(long)]
        file: PathBuf,
        /// Bytes per READ(6): the longest record expected (default: the
        /// drive's maximum block length, at most 16 MiB − 1; fixed mode:
        /// 1 MiB of blocks).
        #[arg(long, value_name = "N", value_parser = parse_size)]
        max: Option<u64>,
        /// Stop after this many records (variable) or blocks (fixed).
        #[arg(long, value_name = "N")]
        records: Option<u64>,
    },
    /// Write filemarks (WRITE FILEMARKS).
    Weof {
        /// How many.
        #[arg(default_value_t = 1, value_parser = parse_u24)]
        count: u32,
        /// Write even where data follow (they are lost; the catalog
        /// forgets the segments they held).
        #[arg(long)]
        force: bool,
    },
    /// Rewind to the beginning of the partition.
    Rewind,
    /// Space forward over N filemarks.
    Fsf {
        /// How many.
        #[arg(default_value_t = 1, value_parser = parse_count)]
        count: i32,
    },
    /// Space backward over N filemarks (ends on the beginning side of the
    /// last one).
    Bsf {
        /// How many.
        #[arg(default_value_t = 1, value_parser = parse_count)]
        count: i32,
    },
    /// Space forward over N records.
    Fsr {
        /// How many.
        #[arg(default_value_t = 1, value_parser = parse_count)]
        count: i32,
    },
    /// Space backward over N records.
    Bsr {
        /// How many.
        #[arg(default_value_t = 1, value_parser = parse_count)]
        count: i32,
    },
    /// Space to the end of data.
    Eod,
    /// LOCATE to a logical block number.
    Locate {
        /// The logical object (block) number; filemarks count as objects.
        block: u64,
    },
    /// READ POSITION: short form first, the long form if the drive refuses
    /// the short one; says which form answered.
    Tell {
        /// Ask for this form only: short, long or extended.
        #[arg(long, value_parser = parse_form)]
        form: Option<ReadPositionForm>,
    },
}

fn parse_u24(s: &str) -> Result<u32, String> {
    let n: u32 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number"))?;
    if n > MAX_U24 {
        return Err(format!(
            "{n} does not fit the 24-bit field (at most {MAX_U24})"
        ));
    }
    Ok(n)
}

fn parse_count(s: &str) -> Result<i32, String> {
    let n: i32 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number"))?;
    if !(1..=Space6Cdb::MAX_COUNT).contains(&n) {
        return Err(format!(
            "{n}: give a count from 1 to {}",
            Space6Cdb::MAX_COUNT
        ));
    }
    Ok(n)
}

fn parse_form(s: &str) -> Result<ReadPositionForm, String> {
    match s {
        "short" => Ok(ReadPositionForm::ShortBlockId),
        "long" => Ok(ReadPositionForm::Long),
        "extended" => Ok(ReadPositionForm::Extended),
        _ => Err(format!("{s:?}: the form is short, long or extended")),
    }
}

/// Runs `tape`.
pub fn run(a: Args, catalog: Option<&str>) -> Result<(), Failed> {
    let t = open_device(&a.device)?;
    let tape = Tape::new(t.as_ref());
    let p = Printer {
        json: a.json,
        device: &a.device,
    };
    match a.op {
        Op::Status => status(&tape, &p),
        Op::Setblk { size } => setblk(&tape, &p, size),
        Op::Write {
            file,
            block_size,
            force,
        } => {
            guard(&tape, t.as_ref(), catalog, force)?;
            write(&tape, &p, &file, block_size)
        }
        Op::Read { file, max, records } => read(&tape, &p, &file, max, records),
        Op::Weof { count, force } => {
            guard(&tape, t.as_ref(), catalog, force)?;
            weof(&tape, &p, count)
        }
        Op::Rewind => {
            tape.rewind()?;
            p.print(
                Done {
                    op: "rewind",
                    ok: true,
                },
                "rewound".into(),
            )
        }
        Op::Fsf { count } => space(&tape, &p, "fsf", SpaceKind::Filemarks, count),
        Op::Bsf { count } => space(&tape, &p, "bsf", SpaceKind::Filemarks, -count),
        Op::Fsr { count } => space(&tape, &p, "fsr", SpaceKind::Blocks, count),
        Op::Bsr { count } => space(&tape, &p, "bsr", SpaceKind::Blocks, -count),
        Op::Eod => space(&tape, &p, "eod", SpaceKind::EndOfData, 0),
        Op::Locate { block } => locate(&tape, &p, block),
        Op::Tell { form } => tell(&tape, &p, form),
    }
}

/// Before a write: where data follow the tape's position, what they are
/// is asked of the catalog and of the tape's own maps
/// ([`segcopy::engine::overwrite::prepare`]), and the write refused
/// unless it may go over them (`--force`, or everything on the tape
/// expired). The tape is left where it was, in the block mode it was.
fn guard(
    tape: &Tape<'_>,
    t: &dyn segcopy::transport::Transport,
    catalog: Option<&str>,
    force: bool,
) -> Result<(), Failed> {
    use segcopy::engine::media::position;
    let Some(here) = position(t)? else {
        // A drive that never says where it is (tgt's virtual tape) cannot
        // be checked without moving the tape: say so, and write, as mt
        // and dd would.
        if !force {
            log::warn!(
                "{}: the drive does not report its position, so segcopy cannot tell whether data follow this one",
                t.name()
            );
        }
        return Ok(());
    };
    let mode = tape.block_mode()?;
    tape.space(SpaceKind::EndOfData, 0)?;
    let end = position(t)?;
    if end.is_some_and(|e| e > here) {
        let store = super::store::open(catalog)?;
        let r = segcopy::engine::overwrite::prepare(
            store.as_ref(),
            t,
            None,
            force,
            "segcopy tape, by hand",
        );
        tape.set_block_length(mode.block_length())?;
        tape.locate(here)?;
        r.map_err(|e| match e {
            segcopy::engine::overwrite::OverwriteError::Store(_) => {
                Failed::new(exit::FILE_ERROR, e.to_string())
            }
            e => Failed::new(
                exit::DATA_PROTECT,
                format!(
                    "{} (blocks {here} to {} follow this position)",
                    e,
                    end.map_or(0, |e| e - 1)
                ),
            ),
        })?;
    } else {
        tape.locate(here)?;
    }
    Ok(())
}

/// Prints one result in words or as JSON.
struct Printer<'a> {
    json: bool,
    device: &'a str,
}

/// A result as JSON, with the device it came from.
#[derive(Serialize)]
struct OnDevice<'a, T> {
    #[serde(flatten)]
    result: T,
    device: &'a str,
}

impl Printer<'_> {
    fn print(&self, result: impl Serialize, words: String) -> Result<(), Failed> {
        if self.json {
            out_json(&OnDevice {
                result,
                device: self.device,
            })
        } else {
            out(&format!("{}: {words}\n", self.device));
            Ok(())
        }
    }
}

/// An operation that has nothing to report but that it was done.
#[derive(Serialize)]
struct Done {
    op: &'static str,
    ok: bool,
}

/// "variable" or "fixed", for JSON.
fn mode_name(block_length: u32) -> &'static str {
    if block_length == 0 {
        "variable"
    } else {
        "fixed"
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn mode_words(bl: u32) -> String {
    match bl {
        0 => "variable-block mode".into(),
        n => format!("fixed-block mode, {n}-byte blocks"),
    }
}

// ------------------------------------------------------------------ status

#[derive(Serialize)]
struct LimitsJson {
    granularity_log2: u8,
    granularity: u32,
    max_block_length: u32,
    min_block_length: u16,
}

impl From<&BlockLimits> for LimitsJson {
    fn from(l: &BlockLimits) -> Self {
        LimitsJson {
            granularity_log2: l.granularity,
            granularity: l.granularity_bytes(),
            max_block_length: l.maximum_block_length_limit,
            min_block_length: l.minimum_block_length_limit,
        }
    }
}

#[derive(Serialize)]
struct StatusJson {
    op: &'static str,
    ready: bool,
    not_ready: Option<String>,
    block_length: Option<u32>,
    mode: Option<&'static str>,
    density_code: Option<u8>,
    write_protected: bool,
    buffered_mode: u8,
    medium_type: u8,
    block_limits: LimitsJson,
    position: PositionOrError,
}

#[derive(Serialize)]
#[serde(untagged)]
enum PositionOrError {
    Told(ToldJson),
    Failed { error: String },
}

fn status(tape: &Tape<'_>, p: &Printer<'_>) -> Result<(), Failed> {
    let ready = tape.test_unit_ready();
    let limits = tape.read_block_limits()?;
    let mode = tape.mode_sense()?;
    let told = tape.tell();
    let bl = mode.block_length();
    let dsp = mode.tape_device_specific();
    let density = mode.block_descriptors.first().map(|d| d.density_code);

    let ready_words = match &ready {
        Ok(()) => "yes".to_string(),
        Err(e) => format!("no: {}", failure_words(e)),
    };
    let bl_words = match bl {
        None => "not reported (MODE SENSE sent no block descriptor)".to_string(),
        Some(0) => "variable (0)".to_string(),
        Some(n) => format!("{n} bytes (fixed)"),
    };
    let (pos_words, pos_json) = match &told {
        Ok(t) => (told_words(t), PositionOrError::Told(told_json(t))),
        Err(e) => (
            format!("READ POSITION failed: {}", failure_words(e)),
            PositionOrError::Failed {
                error: failure_words(e),
            },
        ),
    };
    let mut rows = Vec::new();
    let mut line = |k: &str, v: String| rows.push(vec![k.to_string(), v]);
    line("Ready:", ready_words);
    line("Block size:", bl_words);
    line(
        "Density code:",
        density.map_or("not reported".into(), |d| format!("{d:#04x}")),
    );
    line(
        "Write protected:",
        if dsp.write_protected { "yes" } else { "no" }.into(),
    );
    line("Buffered mode:", dsp.buffered_mode.to_string());
    line("Block limits:", block_limits_words(&limits));
    line("Position:", pos_words);
    let w = format!("tape drive status\n{}", columns(&[], rows, 2));
    let j = StatusJson {
        op: "status",
        ready: ready.is_ok(),
        not_ready: ready.as_ref().err().map(failure_words),
        block_length: bl,
        mode: bl.map(mode_name),
        density_code: density,
        write_protected: dsp.write_protected,
        buffered_mode: dsp.buffered_mode,
        medium_type: mode.medium_type,
        block_limits: LimitsJson::from(&limits),
        position: pos_json,
    };
    p.print(j, w.trim_end().to_string())
}

/// A failure in one line (no device or command prefix).
fn failure_words(e: &ScsiError) -> String {
    match e.failure() {
        Some(f) => f.to_string(),
        None => e.to_string(),
    }
}

// ---------------------------------------------------------------- position

fn position_words(pos: &Position) -> String {
    let mut w = match (pos.block, pos.doubt) {
        (_, Some(Doubt::ReservedBits(bits))) => format!(
            "position not trusted: the {} form answer sets reserved bits ({bits:#04x}) in byte 0, \
             so its block number ({}) is not believed",
            form_name(pos.form),
            pos.block
                .block()
                .map_or("none".to_string(), |b| b.to_string())
        ),
        (BlockPosition::Unknown(PositionUnknown::NotReported), None) => format!(
            "position unknown (the drive does not report it: {})",
            position_unknown_flag(pos.form)
        ),
        (BlockPosition::Unknown(PositionUnknown::Overflow), None) => {
            "position unknown (it overflowed the answer's fields: PERR)".to_string()
        }
        (BlockPosition::Known { partition, block }, None) => {
            let mut s = format!("block {block}, partition {partition}");
            if let Some(f) = pos.file {
                s += &format!(", file {f}");
            }
            s
        }
    };
    for (set, name) in [
        (pos.bop, "at the beginning of the partition (BOP)"),
        (pos.eop, "past early warning (EOP)"),
        (pos.bpew, "beyond programmable early warning (BPEW)"),
    ] {
        if set {
            w += &format!("; {name}");
        }
    }
    w
}

#[derive(Serialize)]
struct PositionJson {
    form: &'static str,
    known: bool,
    block: Option<u64>,
    partition: Option<u32>,
    file: Option<u64>,
    unknown_reason: Option<&'static str>,
    bop: bool,
    eop: bool,
    bpew: bool,
    raw: String,
}

fn position_json(pos: &Position) -> PositionJson {
    PositionJson {
        form: form_name(pos.form),
        known: pos.trusted_block().is_some(),
        block: pos.trusted_block(),
        partition: match pos.block {
            BlockPosition::Known { partition, .. } if pos.doubt.is_none() => Some(partition),
            _ => None,
        },
        file: if pos.doubt.is_none() { pos.file } else { None },
        unknown_reason: match (pos.block, pos.doubt) {
            (_, Some(Doubt::ReservedBits(_))) => Some("reserved bits set"),
            (BlockPosition::Unknown(PositionUnknown::NotReported), _) => {
                Some(position_unknown_flag(pos.form))
            }
            (BlockPosition::Unknown(PositionUnknown::Overflow), _) => Some("PERR"),
            _ => None,
        },
        bop: pos.bop,
        eop: pos.eop,
        bpew: pos.bpew,
        raw: Hex(&pos.raw).to_string(),
    }
}

fn told_words(t: &Told) -> String {
    let mut w = position_words(&t.position);
    w += &format!(
        " [READ POSITION {} form answered",
        form_name(t.position.form)
    );
    if let Some(e) = &t.short_form_failed {
        w += &format!(" after the short form failed: {}", failure_words(e));
    }
    w += "]";
    w
}

#[derive(Serialize)]
struct ToldJson {
    #[serde(flatten)]
    position: PositionJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    short_form_failed: Option<String>,
}

fn told_json(t: &Told) -> ToldJson {
    ToldJson {
        position: position_json(&t.position),
        short_form_failed: t.short_form_failed.as_ref().map(failure_words),
    }
}

#[derive(Serialize)]
struct TellJson {
    op: &'static str,
    #[serde(flatten)]
    told: ToldJson,
}

fn tell(tape: &Tape<'_>, p: &Printer<'_>, form: Option<ReadPositionForm>) -> Result<(), Failed> {
    let told = match form {
        None => tape.tell()?,
        Some(f) => Told {
            position: tape.read_position(f)?,
            short_form_failed: None,
        },
    };
    let j = TellJson {
        op: "tell",
        told: told_json(&told),
    };
    p.print(j, told_words(&told))
}

fn locate(tape: &Tape<'_>, p: &Printer<'_>, block: u64) -> Result<(), Failed> {
    if let Err(e) = tape.locate(block) {
        let mut f = scsi_failed(&e);
        if let Some(why) = locate_refused(&e) {
            let hint = match why {
                LocateRefused::NotImplemented => "the drive does not implement LOCATE",
                LocateRefused::Refused => "the drive refused this LOCATE",
            };
            f.message += &format!("\n{hint}: position with rewind, fsf and fsr instead");
        }
        return Err(f);
    }
    #[derive(Serialize)]
    struct Located {
        op: &'static str,
        block: u64,
        ok: bool,
    }
    p.print(
        Located {
            op: "locate",
            block,
            ok: true,
        },
        format!("located to block {block}"),
    )
}

// ------------------------------------------------------------- block size

fn setblk(tape: &Tape<'_>, p: &Printer<'_>, size: u32) -> Result<(), Failed> {
    tape.set_block_length_checked(size).map_err(|e| match e {
        SetBlockLengthError::Scsi(e) => scsi_failed(&e),
        e @ SetBlockLengthError::NotApplied { .. } => Failed::new(exit::MISCOMPARE, e.to_string()),
    })?;
    #[derive(Serialize)]
    struct Set {
        op: &'static str,
        block_length: u32,
        mode: &'static str,
    }
    p.print(
        Set {
            op: "setblk",
            block_length: size,
            mode: mode_name(size),
        },
        format!("block size set: {} (MODE SENSE agrees)", mode_words(size)),
    )
}

/// A record or read length the drive cannot take, in words, with what to
/// do; `option` is the command line option that gave it.
fn length_failed(p: &Printer<'_>, e: RecordLengthError, option: &str) -> Failed {
    let hint = match &e {
        RecordLengthError::Scsi(e) => return scsi_failed(e),
        RecordLengthError::NotWholeBlocks { .. } => {
            format!(
                ": give {option} as a whole number of blocks, or set the block size with setblk"
            )
        }
        RecordLengthError::OutsideLimits { .. }
        | RecordLengthError::ReadLengthOutOfRange { .. } => {
            format!(" (see {option})")
        }
        RecordLengthError::TooLarge { .. } => String::new(),
    };
    Failed::new(exit::SYNTAX, format!("{}: {e}{hint}", p.device))
}

// -------------------------------------------------------------- write/read

fn records_failed(p: &Printer<'_>, e: RecordsError, what: &str) -> Failed {
    let done = e.done();
    let after = format!(
        "after {} ({} bytes)",
        plural(done.records, "record", "records"),
        done.bytes
    );
    match e {
        RecordsError::Scsi { source, .. } => {
            let mut f = scsi_failed(&source);
            if let Some(o) = segcopy::transport::tape::volume_overflow(&source) {
                f.message += &format!(
                    "\nthe medium is full (VOLUME OVERFLOW){}",
                    o.residue.map_or(String::new(), |r| format!(
                        "; {r} not written of the last record"
                    ))
                );
            }
            f.message += &format!("\n{what} stopped {after}");
            f
        }
        RecordsError::Source { ref source, .. } | RecordsError::Sink { ref source, .. } => {
            Failed::new(
                exit::FILE_ERROR,
                format!("{}: {e}: {source}; {what} stopped {after}", p.device),
            )
        }
        RecordsError::RecordTooLong { record_length, .. } => Failed::new(
            exit::SENSE_OTHER,
            format!(
                "{}: {e} (ILI); {what} stopped {after}; the tape is past that record: \
                 space back (bsr 1) and read again with --max {record_length} or more",
                p.device
            ),
        ),
        RecordsError::WrongBlockLength { .. } => Failed::new(
            exit::SENSE_OTHER,
            format!(
                "{}: {e}; {what} stopped {after}; set the block size the data was written \
                 with (setblk)",
                p.device
            ),
        ),
        RecordsError::Invalid(_) => Failed::new(exit::SYNTAX, format!("{}: {e}", p.device)),
    }
}

fn write(
    tape: &Tape<'_>,
    p: &Printer<'_>,
    file: &PathBuf,
    block_size: Option<u64>,
) -> Result<(), Failed> {
    let f = File::open(file).map_err(|e| {
        Failed::new(
            exit::FILE_ERROR,
            format!("{}: cannot open: {e}", file.display()),
        )
    })?;
    let (mode, record_len) = tape
        .write_setup(block_size)
        .map_err(|e| length_failed(p, e, "--block-size"))?;
    let mut src = BufReader::new(f);
    let w: WroteRecords = tape
        .write_records(&mut src, mode, record_len)
        .map_err(|e| records_failed(p, e, "writing"))?;
    let unit = match mode {
        BlockMode::Fixed(bl) => format!(
            "{} of {bl} bytes (fixed-block mode, up to {} per WRITE)",
            plural(w.done.records, "block", "blocks"),
            record_len / bl as usize
        ),
        BlockMode::Variable => format!(
            "{} of up to {record_len} bytes (variable-block mode)",
            plural(w.done.records, "record", "records")
        ),
    };
    let mut words = format!(
        "wrote {} ({} bytes) as {unit}",
        file.display(),
        w.source_bytes
    );
    if w.padding > 0 {
        words += &format!(
            "; the last record was padded with {} zero bytes to whole blocks",
            w.padding
        );
    }
    if w.early_warning {
        words += "; warning: the drive signalled early warning (EOM): the medium is nearly full";
    }
    #[derive(Serialize)]
    struct Wrote {
        #[serde(flatten)]
        transfer: Transfer,
        record_length: usize,
        records: u64,
        bytes_written: u64,
        source_bytes: u64,
        padding: u64,
        early_warning: bool,
    }
    p.print(
        Wrote {
            transfer: Transfer::new("write", file, mode),
            record_length: record_len,
            records: w.done.records,
            bytes_written: w.done.bytes,
            source_bytes: w.source_bytes,
            padding: w.padding,
            early_warning: w.early_warning,
        },
        words,
    )
}

/// What a write or read of a file says first in JSON.
#[derive(Serialize)]
struct Transfer {
    op: &'static str,
    file: String,
    mode: &'static str,
    block_length: u32,
}

impl Transfer {
    fn new(op: &'static str, file: &std::path::Path, mode: BlockMode) -> Self {
        Transfer {
            op,
            file: file.display().to_string(),
            mode: mode_name(mode.block_length()),
            block_length: mode.block_length(),
        }
    }
}

fn stop_words(s: Stop) -> &'static str {
    match s {
        Stop::Filemark => "stopped at a filemark (the tape is now just past it)",
        Stop::EndOfData => "stopped at end of data (no filemark before it)",
        Stop::EndOfMedium => "stopped at the end of the partition (EOM)",
        Stop::Count => "stopped after the number of records asked for",
        Stop::Nothing => "stopped: the drive returned no data and reported no condition",
    }
}

fn stop_name(s: Stop) -> &'static str {
    match s {
        Stop::Filemark => "filemark",
        Stop::EndOfData => "end-of-data",
        Stop::EndOfMedium => "end-of-medium",
        Stop::Count => "count",
        Stop::Nothing => "nothing",
    }
}

fn read(
    tape: &Tape<'_>,
    p: &Printer<'_>,
    file: &PathBuf,
    max: Option<u64>,
    records: Option<u64>,
) -> Result<(), Failed> {
    let (mode, max) = tape
        .read_setup(max)
        .map_err(|e| length_failed(p, e, "--max"))?;
    let f = File::create(file).map_err(|e| {
        Failed::new(
            exit::FILE_ERROR,
            format!("{}: cannot create: {e}", file.display()),
        )
    })?;
    let mut dst = BufWriter::new(f);
    let result = tape.read_records(&mut dst, mode, max, records);
    let flushed = dst.flush();
    let r: ReadRecords = result.map_err(|e| records_failed(p, e, "reading"))?;
    flushed.map_err(|e| {
        Failed::new(
            exit::FILE_ERROR,
            format!("{}: cannot write: {e}", file.display()),
        )
    })?;
    let unit = match mode {
        BlockMode::Fixed(bl) => format!(
            "{} of {bl} bytes",
            plural(r.done.records, "block", "blocks")
        ),
        BlockMode::Variable => plural(r.done.records, "record", "records"),
    };
    #[derive(Serialize)]
    struct Read {
        #[serde(flatten)]
        transfer: Transfer,
        records: u64,
        bytes: u64,
        stopped_at: &'static str,
        filemark: bool,
    }
    p.print(
        Read {
            transfer: Transfer::new("read", file, mode),
            records: r.done.records,
            bytes: r.done.bytes,
            stopped_at: stop_name(r.stop),
            filemark: r.stop == Stop::Filemark,
        },
        format!(
            "read {unit}, {} bytes into {}; {}",
            r.done.bytes,
            file.display(),
            stop_words(r.stop)
        ),
    )
}

// ------------------------------------------------------- filemarks, space

fn weof(tape: &Tape<'_>, p: &Printer<'_>, count: u32) -> Result<(), Failed> {
    let w = tape.write_filemarks(count)?;
    let mut words = format!("wrote {}", plural(w.written, "filemark", "filemarks"));
    if w.early_warning() {
        words += "; warning: the drive signalled early warning (EOM): the medium is nearly full";
    }
    #[derive(Serialize)]
    struct Marked {
        op: &'static str,
        filemarks: u64,
        early_warning: bool,
    }
    p.print(
        Marked {
            op: "weof",
            filemarks: w.written,
            early_warning: w.early_warning(),
        },
        words,
    )
}

fn met_words(met: &Met) -> String {
    let mut what = Vec::new();
    if met.filemark {
        what.push("a filemark");
    }
    if met.end_of_data {
        what.push("end of data");
    }
    if met.beginning_of_partition {
        what.push("the beginning of the partition");
    } else if met.eom {
        what.push("end of medium (EOM)");
    }
    if what.is_empty() {
        "a condition it did not name".into()
    } else {
        what.join(" and ")
    }
}

fn space(
    tape: &Tape<'_>,
    p: &Printer<'_>,
    op: &'static str,
    kind: SpaceKind,
    count: i32,
) -> Result<(), Failed> {
    let s: SpaceResult = tape.space(kind, count)?;
    let (one, many) = match kind {
        SpaceKind::Blocks => ("record", "records"),
        SpaceKind::Filemarks => ("filemark", "filemarks"),
        SpaceKind::EndOfData => ("", ""),
    };
    let dir = if count < 0 { "backward" } else { "forward" };
    let asked = match kind {
        SpaceKind::EndOfData => "to end of data".to_string(),
        _ => format!(
            "{dir} over {}",
            plural(count.unsigned_abs().into(), one, many)
        ),
    };
    let residue = s.met.residue.map(|r| r.unsigned_abs());
    #[derive(Serialize)]
    struct Spaced {
        op: &'static str,
        requested: i32,
        completed: bool,
        stopped_at: Option<String>,
        residue: Option<u64>,
        sense: Option<String>,
    }
    let j = Spaced {
        op,
        requested: count,
        completed: !s.stopped_early,
        stopped_at: s.stopped_early.then(|| met_words(&s.met)),
        residue,
        sense: s.met.sense.as_ref().map(|x| x.to_string()),
    };
    if !s.stopped_early {
        return p.print(j, format!("spaced {asked}"));
    }
    let left = match residue {
        Some(r) => format!("{} left undone", plural(r, one, many)),
        None => "the drive did not say how many were left undone".to_string(),
    };
    let mut message = format!(
        "{}: SPACE {asked} stopped early at {}; {left}",
        p.device,
        met_words(&s.met)
    );
    if let Some(sense) = &s.met.sense {
        for l in sense.to_string().lines() {
            message += &format!("\n    {l}");
        }
    }
    if p.json {
        p.print(j, String::new())?;
    }
    Err(Failed::new(exit::SENSE_OTHER, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn position(raw0: u8, form: ReadPositionForm, block: BlockPosition) -> Position {
        Position {
            form,
            block,
            file: None,
            bop: false,
            eop: false,
            bpew: false,
            doubt: None,
            raw: vec![raw0],
        }
    }

    #[test]
    fn bpu_is_said_in_words_and_json_never_as_zero() {
        let p = position(
            0x14,
            ReadPositionForm::ShortBlockId,
            BlockPosition::Unknown(PositionUnknown::NotReported),
        );
        assert_eq!(
            position_words(&p),
            "position unknown (the drive does not report it: BPU)"
        );
        let j = serde_json::to_value(position_json(&p)).unwrap();
        assert_eq!(j["known"], json!(false));
        assert_eq!(j["block"], Value::Null);
        assert_eq!(j["unknown_reason"], json!("BPU"));
    }

    #[test]
    fn a_doubtful_long_form_is_not_believed() {
        let mut p = position(
            0x20,
            ReadPositionForm::Long,
            BlockPosition::Known {
                partition: 0,
                block: 0,
            },
        );
        p.doubt = Some(Doubt::ReservedBits(0x20));
        assert!(position_words(&p).starts_with("position not trusted"));
        assert_eq!(
            serde_json::to_value(position_json(&p)).unwrap()["block"],
            Value::Null
        );
    }

    #[test]
    fn a_known_position_with_its_flags() {
        let mut p = position(
            0x80,
            ReadPositionForm::Long,
            BlockPosition::Known {
                partition: 0,
                block: 12,
            },
        );
        p.file = Some(2);
        p.bop = true;
        assert_eq!(
            position_words(&p),
            "block 12, partition 0, file 2; at the beginning of the partition (BOP)"
        );
        assert_eq!(
            serde_json::to_value(position_json(&p)).unwrap()["block"],
            json!(12)
        );
    }

    #[test]
    fn counts_are_checked() {
        assert!(parse_count("0").is_err());
        assert!(parse_count("8388608").is_err());
        assert_eq!(parse_count("3"), Ok(3));
        assert!(parse_u24("16777216").is_err());
        assert_eq!(parse_form("long"), Ok(ReadPositionForm::Long));
        assert!(parse_form("medium").is_err());
    }
}
