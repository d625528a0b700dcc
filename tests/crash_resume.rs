//! Crash and resume: `segcopy backup` and `segcopy restore` killed with
//! SIGKILL at seeded random points over file-backed simulated devices.
//! After every kill: the catalog opens and is consistent (SQLite's
//! integrity check, and no segment record of a running backup past what
//! its status allows); the next run reaps the dead process's leases;
//! `segcopy backup --resume ID` goes on from the first segment not
//! recorded; and the finished backup restores byte-identical — which
//! reads every record, those written before the kill included. A killed
//! restore, run again, gives byte-identical data too.
//!
//! The seed is `CRASH_SEED` (default fixed), so a failing point can be
//! run again; each point is printed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::san::{site_text, BLOCK, MIB};
use common::scsi::tmp_dir;
use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{BackupStatus, Store};
use segcopy::demo;
use segcopy::site::Loaded;

/// The disks: 48 MiB, 48 segments of 1 MiB.
const DISK: u64 = 48 * MIB;
const BACKUP_KILLS: usize = 20;
const RESTORE_KILLS: usize = 10;

struct Lab {
    dir: PathBuf,
    site: PathBuf,
    catalog: String,
}

impl Lab {
    fn new() -> Lab {
        let dir = tmp_dir("crash-resume");
        let text = site_text(2, 40, "", "").replace(
            &format!("capacity = {}", 8 * MIB),
            &format!("capacity = {DISK}"),
        );
        let site = dir.join("site.toml");
        std::fs::write(&site, text).unwrap();
        let catalog = format!("sqlite:{}", dir.join("catalog.sqlite").display());
        let lab = Lab { dir, site, catalog };
        let loaded = lab.load();
        let prod = loaded.open("prod0").unwrap();
        demo::fill(prod.as_ref(), BLOCK, DISK / u64::from(BLOCK)).unwrap();
        lab
    }

    fn load(&self) -> Loaded {
        Loaded::load(&self.site).unwrap()
    }

    fn segcopy(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_segcopy"));
        c.arg("--site")
            .arg(&self.site)
            .arg("--catalog")
            .arg(&self.catalog)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Runs segcopy to its end: exit code and stderr.
    fn run(&self, args: &[&str]) -> (i32, String) {
        let out = self.segcopy(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout),
        )
    }

    /// Starts segcopy, waits until `due()` says so (or `limit` passed),
    /// then `jitter` more, and kills it with SIGKILL; whether it had ended
    /// by itself first.
    fn kill_when(
        &self,
        args: &[&str],
        due: impl Fn() -> bool,
        jitter: Duration,
        limit: Duration,
    ) -> bool {
        let mut child = self.segcopy(args).spawn().unwrap();
        let start = Instant::now();
        let mut fire: Option<Instant> = None;
        loop {
            if let Some(_status) = child.try_wait().unwrap() {
                return true;
            }
            match fire {
                Some(t) if Instant::now() >= t => break,
                Some(_) => {}
                None if due() || start.elapsed() >= limit => fire = Some(Instant::now() + jitter),
                None => {}
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        false
    }

    /// Segments recorded of the newest backup if it is newer than
    /// `before`.
    fn recorded_since(&self, before: Option<i64>) -> Option<usize> {
        let store = self.store();
        let b = store.backups().ok()?.last().map(|b| b.id)?;
        if Some(b) == before {
            return None;
        }
        store.backup(b).ok().map(|d| d.segments.len())
    }

    fn store(&self) -> SqliteStore {
        SqliteStore::open(Path::new(self.catalog.trim_start_matches("sqlite:"))).unwrap()
    }

    /// The catalog opens, SQLite finds it whole, and every backup's
    /// records agree with its status.
    fn check_catalog(&self) {
        let path = self.dir.join("catalog.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let store = self.store();
        for b in store.backups().unwrap() {
            let d = store.backup(b.id).unwrap();
            let n = d.segments.len() as u64;
            match b.status {
                BackupStatus::Completed => assert_eq!(n, b.segments, "backup {}", b.id),
                BackupStatus::Running | BackupStatus::Partial => {
                    assert!(n <= b.segments, "backup {}", b.id)
                }
                BackupStatus::Failed => assert_eq!(n, 0, "backup {}", b.id),
            }
            let mut idx: Vec<u64> = d.segments.iter().map(|s| s.index).collect();
            idx.sort();
            assert_eq!(idx, (0..n).collect::<Vec<_>>(), "backup {}", b.id);
        }
    }

    /// restore0 is prod0, byte for byte.
    fn identical(&self) -> bool {
        let loaded = self.load();
        let a = loaded.open("prod0").unwrap();
        let b = loaded.open("restore0").unwrap();
        demo::first_difference(a.as_ref(), b.as_ref(), BLOCK, DISK / u64::from(BLOCK))
            .unwrap()
            .is_none()
    }

    fn wipe_restore0(&self) {
        let loaded = self.load();
        let t = loaded.open("restore0").unwrap();
        let zeros = vec![0u8; MIB as usize];
        for k in 0..DISK / MIB {
            segcopy::transport::commands::Scsi::new(t.as_ref())
                .write16(k * MIB / u64::from(BLOCK), BLOCK, &zeros)
                .unwrap();
        }
    }

    fn last_backup(&self) -> Option<i64> {
        self.store().backups().unwrap().last().map(|b| b.id)
    }
}

/// splitmix64: the seeded points.
fn next(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const BACKUP: &[&str] = &[
    "backup",
    "prod0",
    "--segment-size",
    "1MiB",
    "--streams",
    "2",
];

#[test]
fn killed_backups_resume_and_killed_restores_run_again() {
    let lab = Lab::new();
    let mut seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5e6c_0b1e);
    // How long a whole backup and restore take here: the kill points are
    // spread over that.
    let t0 = Instant::now();
    let mut child = lab.segcopy(BACKUP).spawn().unwrap();
    let mut begin_time = None;
    while child.try_wait().unwrap().is_none() {
        if begin_time.is_none() && lab.last_backup().is_some() {
            begin_time = Some(t0.elapsed());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let backup_time = t0.elapsed();
    assert!(child.wait().unwrap().success());
    let begin_time = begin_time.unwrap_or_default();
    let first = lab.last_backup().unwrap();
    let t0 = Instant::now();
    let (code, out) = lab.run(&["restore", &first.to_string(), "--to", "restore0"]);
    assert_eq!(code, 0, "{out}");
    let restore_time = t0.elapsed();
    assert!(lab.identical());
    eprintln!(
        "a backup takes {backup_time:?} (it begins copying after {begin_time:?}), a restore {restore_time:?}"
    );

    let (mut resumed, mut finished_first, mut before_begin) = (0, 0, 0);
    for point in 0..BACKUP_KILLS {
        // One point in five while the backup starts (securing, loading);
        // the others once k of its segments are recorded (k seeded, up to
        // all of them: then the kill lands in the map's write or the end),
        // and a seeded 0-3 ms more: inside the next segment's copy, its
        // record's commit, or between them. Events, not a measured time, so
        // a loaded machine moves no point out of the backup.
        let r = next(&mut seed);
        let before = lab.last_backup();
        let jitter = Duration::from_micros(next(&mut seed) % 3000);
        let (ended, after) = if r % 5 == 0 {
            let after = begin_time.mul_f64((r % 1000) as f64 / 1000.0);
            (
                lab.kill_when(BACKUP, || false, Duration::ZERO, after),
                format!("{after:?}"),
            )
        } else {
            let k = (r % (DISK / MIB + 1)) as usize;
            let due = || lab.recorded_since(before).is_some_and(|n| n >= k);
            (
                lab.kill_when(BACKUP, due, jitter, Duration::from_secs(600)),
                format!("{k} segments recorded and {jitter:?}"),
            )
        };
        lab.check_catalog();
        let id = lab.last_backup().filter(|id| Some(*id) != before);
        let Some(id) = id else {
            // Killed before the backup began: nothing to resume; the next
            // backup must still find every resource free.
            before_begin += 1;
            eprintln!("point {point}: killed after {after}, before the backup began");
            let (code, out) = lab.run(BACKUP);
            assert_eq!(code, 0, "point {point}: the next backup: {out}");
            continue;
        };
        let status = lab.store().backup(id).unwrap().backup.status;
        let recorded = lab.store().backup(id).unwrap().segments.len();
        eprintln!(
            "point {point}: killed after {after}: backup {id} {status} with {recorded} segments recorded{}",
            if ended { " (it had ended)" } else { "" }
        );
        if status == BackupStatus::Completed {
            finished_first += 1;
            let (code, out) = lab.run(&["backup", "--resume", &id.to_string()]);
            assert_eq!(code, 1, "point {point}: resuming a completed backup: {out}");
            assert!(out.contains("cannot be resumed"), "{out}");
        } else {
            assert_eq!(status, BackupStatus::Running, "point {point}");
            let (code, out) = lab.run(&["backup", "--resume", &id.to_string()]);
            assert_eq!(code, 0, "point {point}: resume: {out}");
            assert!(
                out.contains(&format!("resumed: copy 0 from segment {recorded}"))
                    || (recorded == 0 && out.contains("from segment 0")),
                "point {point}: {out}"
            );
            resumed += 1;
        }
        lab.check_catalog();
        assert_eq!(
            lab.store().leases().unwrap(),
            [],
            "point {point}: leases left"
        );
        lab.wipe_restore0();
        let (code, out) = lab.run(&["restore", &id.to_string(), "--to", "restore0"]);
        assert_eq!(code, 0, "point {point}: restore: {out}");
        assert!(lab.identical(), "point {point}: restore0 differs");
    }

    let mut rerun = 0;
    for point in 0..RESTORE_KILLS {
        let after = restore_time.mul_f64((next(&mut seed) % 1000) as f64 / 1000.0);
        lab.wipe_restore0();
        let args = ["restore", &first.to_string(), "--to", "restore0"];
        let ended = lab.kill_when(&args, || false, Duration::ZERO, after);
        lab.check_catalog();
        eprintln!(
            "restore point {point}: killed after {after:?}{}",
            if ended { " (it had ended)" } else { "" }
        );
        let (code, out) = lab.run(&args);
        assert_eq!(code, 0, "restore point {point}: {out}");
        assert!(lab.identical(), "restore point {point}: restore0 differs");
        assert_eq!(lab.store().leases().unwrap(), []);
        rerun += 1;
    }
    eprintln!(
        "{BACKUP_KILLS} backups killed: {resumed} resumed, {finished_first} had completed, {before_begin} before they began; {rerun} restores killed and run again"
    );
    assert!(
        resumed >= BACKUP_KILLS / 2,
        "too few kills landed mid-backup"
    );
}
