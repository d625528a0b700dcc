//! `segcopy conform --cm DEV --other DEV --write-ok [--four-k DEV]
//! [--no-3pc DEV] [--large DEV] [--record FILE] [--json]`: runs the
//! EXTENDED COPY behaviour table against a copy manager and says, case by
//! case, whether it answered as LIO does.

use segcopy::conformance::{self, Lun, NoAnswer, Row, Setup, SkipReason, Skipped, Targets};
use segcopy::engine::xcopy::endpoint;
use segcopy::transport::commands::Scsi;
use segcopy::wire::Hex;
use serde::Serialize;

use super::{columns, exit, open_device, out, out_json, Failed};

/// Arguments of `conform`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The copy manager: every command goes here; valid cases copy from it.
    #[arg(long, value_name = "DEV")]
    cm: String,
    /// The other LU of the same session: valid cases copy onto it.
    #[arg(long, value_name = "DEV")]
    other: String,
    /// A LU with a different block size, for the mismatch case.
    #[arg(long, value_name = "DEV")]
    four_k: Option<String>,
    /// A LU of the same session without a copy manager (LIO:
    /// emulate_3pc = 0): some cases are sent to it, one copies onto it.
    #[arg(long = "no-3pc", value_name = "DEV")]
    no_3pc: Option<String>,
    /// A LU of more than 2^32 blocks with a copy manager (LIO answers it in
    /// descriptor-format sense): two failing cases are sent to it.
    #[arg(long, value_name = "DEV")]
    large: Option<String>,
    /// Confirms that the first blocks of --other may be overwritten.
    #[arg(long)]
    write_ok: bool,
    /// Write the answers as a table (name, outcome, sense) to FILE.
    #[arg(long, value_name = "FILE")]
    record: Option<std::path::PathBuf>,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
}

fn lun(dev: &str) -> Result<(Box<dyn segcopy::transport::Transport>, Lun), Failed> {
    let t = open_device(dev)?;
    let e = endpoint(&Scsi::new(t.as_ref())).map_err(|e| match e {
        segcopy::engine::xcopy::EndpointError::Scsi(s) => Failed::from(s),
        other => Failed::new(exit::SYNTAX, other.to_string()),
    })?;
    Ok((
        t,
        Lun {
            designator: e.designator,
            block_length: e.block_length,
            capacity_blocks: e.capacity_blocks,
        },
    ))
}

type Opened = (Option<Box<dyn segcopy::transport::Transport>>, Option<Lun>);

/// An optional LU: its transport and what the cases need of it.
fn optional(dev: Option<&str>) -> Result<Opened, Failed> {
    Ok(match dev {
        Some(d) => {
            let (t, l) = lun(d)?;
            (Some(t), Some(l))
        }
        None => (None, None),
    })
}

/// Runs `conform`.
pub fn run(a: Args) -> Result<(), Failed> {
    if !a.write_ok {
        return Err(Failed::new(
            exit::SYNTAX,
            format!(
                "segcopy conform copies blocks onto {} (the valid cases write its first 72 blocks) \
                 and rewrites the first 8 blocks of {} with the bytes they hold; \
                 pass --write-ok if that data may be overwritten",
                a.other, a.cm
            ),
        ));
    }
    let (cm_t, cm) = lun(&a.cm)?;
    let (_other_t, other) = lun(&a.other)?;
    let four_k = match &a.four_k {
        Some(d) => Some(lun(d)?.1),
        None => None,
    };
    let (no_3pc_t, no_3pc) = optional(a.no_3pc.as_deref())?;
    let (large_t, large) = optional(a.large.as_deref())?;
    let setup = Setup {
        cm,
        other,
        four_k,
        no_3pc,
        large,
    };
    let targets = Targets {
        cm: cm_t.as_ref(),
        no_3pc: no_3pc_t.as_deref(),
        large: large_t.as_deref(),
    };
    let rows = conformance::run(&targets, &setup);
    let skipped = conformance::skipped(&setup);
    if let Some(path) = &a.record {
        std::fs::write(path, conformance::record(&rows)).map_err(|e| {
            Failed::new(
                exit::FILE_ERROR,
                format!("{}: cannot write the record: {e}", path.display()),
            )
        })?;
    }
    let mismatches = rows.iter().filter(|r| !r.matches()).count();
    if a.json {
        out_json(&RunJson {
            cases: rows.iter().map(row_json).collect(),
            mismatches,
            skipped: skipped.len(),
            skipped_cases: skipped.iter().map(skipped_json).collect(),
        })?;
    } else {
        let mut table: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let obs = match &r.observed {
                    Ok(o) => o.outcome.to_string(),
                    Err(e) => format!("no answer: {e}"),
                };
                let verdict = if r.matches() {
                    "as expected"
                } else {
                    "DIFFERS"
                };
                vec![r.name.into(), r.expect.to_string(), obs, verdict.into()]
            })
            .collect();
        table.extend(skipped.iter().map(|k| {
            vec![
                k.name.into(),
                k.expect.to_string(),
                "-".into(),
                "skipped".into(),
            ]
        }));
        // The lab reads this table: the case name first, the verdict last.
        out(&columns(
            &["CASE", "EXPECTED", "OBSERVED", "VERDICT"],
            table,
            0,
        ));
        out(&format!(
            "{} cases, {} as expected, {} differ, {} skipped\n",
            rows.len(),
            rows.len() - mismatches,
            mismatches,
            skipped.len()
        ));
        for k in &skipped {
            out(&format!("skipped {}: {}{}\n", k.name, k.reason, hint(k)));
        }
    }
    let not_encoded = rows
        .iter()
        .filter(|r| matches!(r.observed, Err(NoAnswer::NotEncoded(_))))
        .count();
    if not_encoded > 0 {
        return Err(Failed::new(
            exit::OTHER,
            format!("{not_encoded} case(s) could not be encoded and were not sent: a bug in segcopy's behaviour table"),
        ));
    }
    if mismatches > 0 {
        return Err(Failed::new(
            exit::MISCOMPARE,
            format!("{mismatches} case(s) answered differently from the table"),
        ));
    }
    Ok(())
}

#[derive(Serialize)]
struct RunJson {
    cases: Vec<RowJson>,
    mismatches: usize,
    skipped: usize,
    skipped_cases: Vec<SkippedJson>,
}

#[derive(Serialize)]
struct RowJson {
    name: &'static str,
    rule: &'static str,
    expected: String,
    observed: String,
    sense: String,
    as_expected: bool,
}

fn row_json(r: &Row) -> RowJson {
    let (observed, sense) = match &r.observed {
        Ok(o) => (o.outcome.code(), Hex(&o.sense).to_string()),
        Err(e) => (format!("no-answer: {e}"), String::new()),
    };
    RowJson {
        name: r.name,
        rule: r.rule,
        expected: r.expect.code(),
        observed,
        sense,
        as_expected: r.matches(),
    }
}

/// What the user can do about a skipped case.
fn hint(k: &Skipped) -> &'static str {
    match k.reason {
        SkipReason::NoFourK => " (give one with --four-k DEV)",
        SkipReason::NoNo3pc => " (give one with --no-3pc DEV)",
        SkipReason::NoLarge => " (give one with --large DEV)",
    }
}

#[derive(Serialize)]
struct SkippedJson {
    name: &'static str,
    rule: &'static str,
    expected: String,
    reason: String,
}

fn skipped_json(k: &Skipped) -> SkippedJson {
    SkippedJson {
        name: k.name,
        rule: k.rule,
        expected: k.expect.code(),
        reason: k.reason.to_string(),
    }
}
