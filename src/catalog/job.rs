//! Jobs: the words `segcopy job add` takes (a source, a destination, an
//! interval), and when a job is due ([`first_due`], [`next_due`],
//! [`due_jobs`]).
//!
//! An interval job keeps its rhythm: after a run it is next due one
//! interval after the time it was due, not after the run (a run that
//! started late, or ran long, does not push the schedule later), and slots
//! missed while nothing ran are skipped rather than run one after another.

use super::{Job, Schedule, Store, StoreError, Target, Timestamp};

/// What is wrong with a job's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// An interval that is not a duration.
    #[error(
        "{0:?} is not a duration; write a number with a unit: s, m, h, d or w (30m, 6h, 1d, 12w)"
    )]
    BadDuration(String),
    /// An interval under one second.
    #[error("{0:?} is too short an interval; a job runs at most once a second")]
    TooShort(String),
    /// A destination that is neither `tape` nor `disk:…`.
    #[error("{0:?} is not a destination; write tape, or disk:D1,D2 with an optional @LBA")]
    BadTarget(String),
    /// A source that is not `DISK[@LBA]`.
    #[error("{0:?} is not a source; write DISK or DISK@LBA")]
    BadSource(String),
}

/// Parses an interval such as `30m`, `6h`, `1d` or `1h 30m` into a
/// schedule.
pub fn parse_every(s: &str) -> Result<Schedule, JobError> {
    let d = humantime::parse_duration(s.trim()).map_err(|_| JobError::BadDuration(s.into()))?;
    let seconds = i64::try_from(d.as_secs()).map_err(|_| JobError::BadDuration(s.into()))?;
    if seconds < 1 {
        return Err(JobError::TooShort(s.into()));
    }
    Ok(Schedule::Interval { seconds })
}

/// Parses a retention period such as `30d` or `12w` into seconds.
pub fn parse_retention(s: &str) -> Result<i64, JobError> {
    match parse_every(s)? {
        Schedule::Interval { seconds } => Ok(seconds),
        Schedule::Manual => Err(JobError::BadDuration(s.into())),
    }
}

/// Parses an LBA: decimal, or hexadecimal after `0x`.
fn parse_lba(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Splits `NAME[@LBA]` (LBA 0 when absent).
fn name_at(s: &str) -> Option<(&str, u64)> {
    let (name, lba) = match s.split_once('@') {
        Some((n, l)) => (n, parse_lba(l)?),
        None => (s, 0),
    };
    (!name.is_empty() && !name.contains(char::is_whitespace)).then_some((name, lba))
}

/// Parses a source, `DISK` or `DISK@LBA`: its name and first block.
pub fn parse_source(s: &str) -> Result<(String, u64), JobError> {
    name_at(s)
        .map(|(n, l)| (n.to_string(), l))
        .ok_or_else(|| JobError::BadSource(s.into()))
}

/// Parses a destination: `tape`, or `disk:D1,D2[@LBA]` (the disks in
/// preference order, each written from LBA, 0 when absent).
pub fn parse_target(s: &str) -> Result<Target, JobError> {
    if s == "tape" {
        return Ok(Target::Tape);
    }
    let bad = || JobError::BadTarget(s.into());
    let list = s.strip_prefix("disk:").ok_or_else(bad)?;
    let (names, lba) = match list.rsplit_once('@') {
        Some((n, l)) => (n, parse_lba(l).ok_or_else(bad)?),
        None => (list, 0),
    };
    let mut disks: Vec<String> = Vec::new();
    for d in names.split(',') {
        if d.is_empty() || d.contains(char::is_whitespace) || disks.iter().any(|x| x == d) {
            return Err(bad());
        }
        disks.push(d.to_string());
    }
    Ok(Target::Disk { disks, lba })
}

/// When a job added at `added` is first due: at once for an interval job,
/// never by itself for a manual one.
pub fn first_due(schedule: &Schedule, added: Timestamp) -> Option<Timestamp> {
    match schedule {
        Schedule::Manual => None,
        Schedule::Interval { .. } => Some(added),
    }
}

/// When `job` is next due after a run at `ran_at` (the time the run
/// started): the first of its slots (its due time plus whole intervals)
/// later than `ran_at`; one interval after `ran_at` when it was not due
/// (run by hand early, or never due before). `None` for a manual job, or
/// past the end of time.
pub fn next_due(job: &Job, ran_at: Timestamp) -> Option<Timestamp> {
    let Schedule::Interval { seconds } = job.schedule else {
        return None;
    };
    if seconds < 1 {
        return None;
    }
    match job.next_due {
        Some(due) if due <= ran_at => {
            let missed = ran_at.checked_sub(due)? / seconds;
            due.checked_add(missed.checked_add(1)?.checked_mul(seconds)?)
        }
        _ => ran_at.checked_add(seconds),
    }
}

/// The jobs due at `now`, earliest due first (for `segcopy run-due`).
pub fn due_jobs(store: &dyn Store, now: Timestamp) -> Result<Vec<Job>, StoreError> {
    let mut due: Vec<Job> = store
        .jobs()?
        .into_iter()
        .filter(|j| j.next_due.is_some_and(|d| d <= now))
        .collect();
    due.sort_by_key(|j| (j.next_due, j.id));
    Ok(due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::sqlite::SqliteStore;
    use crate::catalog::Mode;

    fn job(name: &str, schedule: Schedule, next_due: Option<Timestamp>) -> Job {
        Job {
            id: 0,
            name: name.into(),
            source: "prod0".into(),
            lba: 0,
            blocks: None,
            mode: Mode::Failover,
            segment_bytes: 64 << 20,
            streams: 2,
            target: Target::Tape,
            schedule,
            next_due,
            last_backup: None,
            retention: None,
        }
    }

    #[test]
    fn intervals() {
        let s = |n| Ok(Schedule::Interval { seconds: n });
        assert_eq!(parse_every("30m"), s(1800));
        assert_eq!(parse_every("6h"), s(6 * 3600));
        assert_eq!(parse_every("1d"), s(86400));
        assert_eq!(parse_every("1h 30m"), s(5400));
        assert_eq!(parse_every("90s"), s(90));
        assert_eq!(parse_every("0s"), Err(JobError::TooShort("0s".into())));
        assert_eq!(
            parse_every("500ms"),
            Err(JobError::TooShort("500ms".into()))
        );
        assert_eq!(
            parse_every("soon"),
            Err(JobError::BadDuration("soon".into()))
        );
        assert_eq!(parse_every("6"), Err(JobError::BadDuration("6".into())));
    }

    #[test]
    fn sources() {
        assert_eq!(parse_source("prod0"), Ok(("prod0".into(), 0)));
        assert_eq!(parse_source("prod0@2048"), Ok(("prod0".into(), 2048)));
        assert_eq!(parse_source("prod0@0x800"), Ok(("prod0".into(), 2048)));
        for bad in ["", "@5", "prod0@", "prod0@x", "a b"] {
            assert_eq!(parse_source(bad), Err(JobError::BadSource(bad.into())));
        }
    }

    #[test]
    fn targets() {
        assert_eq!(parse_target("tape"), Ok(Target::Tape));
        assert_eq!(
            parse_target("disk:d1,d2"),
            Ok(Target::Disk {
                disks: vec!["d1".into(), "d2".into()],
                lba: 0
            })
        );
        assert_eq!(
            parse_target("disk:d1@4096"),
            Ok(Target::Disk {
                disks: vec!["d1".into()],
                lba: 4096
            })
        );
        for bad in [
            "",
            "tapes",
            "disk:",
            "disk:d1,,d2",
            "disk:d1,d1",
            "disk:d1@",
            "disk",
        ] {
            assert_eq!(parse_target(bad), Err(JobError::BadTarget(bad.into())));
        }
    }

    #[test]
    fn first_due_is_now_for_intervals() {
        assert_eq!(first_due(&Schedule::Manual, 100), None);
        assert_eq!(
            first_due(&Schedule::Interval { seconds: 60 }, 100),
            Some(100)
        );
    }

    #[test]
    fn next_due_keeps_the_rhythm() {
        let hourly = Schedule::Interval { seconds: 3600 };
        // Due at 10:00, ran at 10:07: next at 11:00, not 11:07.
        assert_eq!(
            next_due(&job("j", hourly.clone(), Some(36000)), 36420),
            Some(39600)
        );
        // Ran exactly when due.
        assert_eq!(
            next_due(&job("j", hourly.clone(), Some(36000)), 36000),
            Some(39600)
        );
        // Three slots missed: the next one after the run, not a backlog.
        assert_eq!(
            next_due(&job("j", hourly.clone(), Some(36000)), 36000 + 3 * 3600 + 5),
            Some(36000 + 4 * 3600)
        );
        // Run by hand before it was due, or never due: one interval on.
        assert_eq!(
            next_due(&job("j", hourly.clone(), Some(40000)), 36000),
            Some(39600)
        );
        assert_eq!(
            next_due(&job("j", hourly.clone(), None), 36000),
            Some(39600)
        );
        // Manual jobs are never due; the end of time is no slot.
        assert_eq!(next_due(&job("j", Schedule::Manual, Some(1)), 5), None);
        assert_eq!(
            next_due(&job("j", hourly, Some(i64::MAX - 10)), i64::MAX - 5),
            None
        );
    }

    #[test]
    fn due_jobs_are_those_past_due_earliest_first() {
        let store = SqliteStore::memory().expect("memory store");
        let hourly = Schedule::Interval { seconds: 3600 };
        store
            .add_job(&job("late", hourly.clone(), Some(200)))
            .expect("add");
        store
            .add_job(&job("early", hourly.clone(), Some(100)))
            .expect("add");
        store
            .add_job(&job("future", hourly, Some(1000)))
            .expect("add");
        store
            .add_job(&job("manual", Schedule::Manual, None))
            .expect("add");
        let names: Vec<String> = due_jobs(&store, 500)
            .expect("due")
            .into_iter()
            .map(|j| j.name)
            .collect();
        assert_eq!(names, ["early", "late"]);
        assert!(due_jobs(&store, 50).expect("due").is_empty());
    }
}
