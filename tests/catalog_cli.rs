//! `segcopy catalog` and `segcopy job`, run as a user would: the built
//! binary against a catalog in a temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{tape_map, BackupDetail, Job, Mode, Schedule, Store, Target};

/// The fixture map: backup 7 as written on its second tape.
fn fixture_map() -> tape_map::TapeMap {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tape-map/backup-7-SEG002L6.map");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    tape_map::decode(&bytes).expect("the fixture decodes")
}

/// A fresh temporary directory and the catalog URL inside it.
fn catalog() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    let url = format!("sqlite:{}", path.display());
    (dir, path, url)
}

/// Runs segcopy with `args`, with neither XDG_STATE_HOME nor HOME (so no
/// test touches the user's catalog).
fn segcopy(args: &[&str]) -> Output {
    segcopy_env(args, &[])
}

fn segcopy_env(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_segcopy"));
    c.args(args).env_remove("XDG_STATE_HOME").env_remove("HOME");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run segcopy")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the run failed with `code` and one line on stderr containing
/// `says`.
fn fails(o: &Output, code: i32, says: &str) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    assert!(err.contains(says), "{err}");
    assert!(stdout(o).is_empty());
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        stderr(o)
    );
    stdout(o)
}

#[test]
fn an_empty_catalog_lists_nothing() {
    let (_dir, path, url) = catalog();
    let o = segcopy(&["--catalog", &url, "catalog", "list"]);
    assert_eq!(ok(&o), format!("No backups in {url}.\n"));
    assert!(path.exists(), "the catalog is made on first use");
    let o = segcopy(&["catalog", "list", "--json", "--catalog", &url]);
    assert_eq!(ok(&o).trim(), "[]");
    assert_eq!(
        ok(&segcopy(&["--catalog", &url, "job", "list"])),
        format!("No jobs in {url}.\n")
    );
}

#[test]
fn a_backup_read_back_from_tape_is_listed_and_shown() {
    let (_dir, path, url) = catalog();
    let map = fixture_map();
    SqliteStore::open(&path)
        .expect("open")
        .import(&map.detail)
        .expect("import");

    let text = ok(&segcopy(&["--catalog", &url, "catalog", "list"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["ID", "STATUS", "OBJECT", "MODE", "SEGMENTS", "STARTED", "ENDED", "TAPES"]
    );
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        row,
        [
            "7",
            "completed",
            "prod0@2048+524288",
            "failover",
            "4/4",
            "2024-05-01T02:00:00Z",
            "2024-05-01T02:05:00Z",
            "SEG001L6,SEG002L6"
        ]
    );

    let json = ok(&segcopy(&["--catalog", &url, "catalog", "list", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v[0]["id"], 7);
    assert_eq!(v[0]["status"], "completed");
    assert_eq!(v[0]["segments_recorded"], 4);
    assert_eq!(v[0]["tapes"], serde_json::json!(["SEG001L6", "SEG002L6"]));

    let text = ok(&segcopy(&["--catalog", &url, "catalog", "show", "7"]));
    assert!(
        text.starts_with("backup 7: completed, failover of prod0@2048+524288"),
        "{text}"
    );
    assert!(text.contains("  tapes: SEG001L6, SEG002L6\n"), "{text}");
    assert!(
        text.contains("  0: failed at segment 2 (2 written): COPY ABORTED, ASC/ASCQ 0D/01"),
        "{text}"
    );
    assert!(
        text.contains("  1: completed (2 segments written)\n"),
        "{text}"
    );
    let seg0 = text
        .lines()
        .find(|l| l.trim_start().starts_with("0 "))
        .expect("segment 0's line");
    assert!(seg0.contains("cm0 (EXTENDED COPY)"), "{seg0}");
    assert!(
        seg0.contains("SEG001L6 blocks 0-255 (verified, drive0)"),
        "{seg0}"
    );
    assert!(seg0.contains("67108864"), "{seg0}");
    assert!(seg0.contains("12345678"), "{seg0}");
    let seg3 = text
        .lines()
        .find(|l| l.trim_start().starts_with("3 "))
        .expect("segment 3's line");
    assert!(
        seg3.contains("SEG002L6 blocks 256-511 (computed, drive1)"),
        "{seg3}"
    );

    let json = ok(&segcopy(&[
        "--catalog",
        &url,
        "catalog",
        "show",
        "7",
        "--json",
    ]));
    let got: BackupDetail = serde_json::from_str(&json).expect("a BackupDetail");
    assert_eq!(got, map.detail);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["tapes"], serde_json::json!(["SEG001L6", "SEG002L6"]));
}

#[test]
fn a_missing_backup_is_one_sentence_and_exit_1() {
    let (_dir, _path, url) = catalog();
    let o = segcopy(&["--catalog", &url, "catalog", "show", "99"]);
    fails(&o, 1, "there is no backup 99 in the catalog");
    let o = segcopy(&["--catalog", &url, "catalog", "show", "seven"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn jobs_are_added_and_listed() {
    let (_dir, path, url) = catalog();
    let o = segcopy(&[
        "--catalog",
        &url,
        "job",
        "add",
        "nightly",
        "--source",
        "prod0@2048",
        "--blocks",
        "1048576",
        "--every",
        "1d",
    ]);
    let said = ok(&o);
    assert!(said.starts_with("Added job 1 \"nightly\": prod0@2048+1048576 to tape, failover, 2 streams, segments of 8 MiB, every 1day, next due "), "{said}");
    ok(&segcopy(&[
        "--catalog",
        &url,
        "job",
        "add",
        "vault",
        "--source",
        "prod0",
        "--to",
        "disk:vault0,vault1@4096",
        "--mode",
        "mirror",
        "--segment-size",
        "8 MiB",
        "--streams",
        "3",
    ]));

    let json = ok(&segcopy(&["--catalog", &url, "job", "list", "--json"]));
    let jobs: Vec<Job> = serde_json::from_str(&json).expect("jobs");
    assert_eq!(jobs.len(), 2);
    let (n, v) = (&jobs[0], &jobs[1]);
    assert_eq!(
        (n.id, n.name.as_str(), n.source.as_str(), n.lba),
        (1, "nightly", "prod0", 2048)
    );
    assert_eq!(n.blocks, Some(1_048_576));
    assert_eq!(
        (n.mode, n.segment_bytes, n.streams),
        (Mode::Failover, 8 << 20, 2)
    );
    assert_eq!(n.schedule, Schedule::Interval { seconds: 86400 });
    assert!(n.next_due.is_some(), "an interval job is due at once");
    assert_eq!(
        v.target,
        Target::Disk {
            disks: vec!["vault0".into(), "vault1".into()],
            lba: 4096
        }
    );
    assert_eq!(
        (v.mode, v.segment_bytes, v.streams),
        (Mode::Mirror, 8 << 20, 3)
    );
    assert_eq!(
        (v.schedule.clone(), v.next_due, v.blocks),
        (Schedule::Manual, None, None)
    );
    // What job list says is what the catalog holds.
    assert_eq!(
        SqliteStore::open(&path)
            .expect("open")
            .jobs()
            .expect("jobs"),
        jobs
    );

    let text = ok(&segcopy(&["--catalog", &url, "job", "list"]));
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(
        &rows[1][..8],
        [
            "1",
            "nightly",
            "prod0@2048+1048576",
            "tape",
            "failover",
            "2",
            "8",
            "MiB"
        ]
    );
    assert_eq!(
        &rows[2][..4],
        ["2", "vault", "prod0@0+rest", "disk:vault0,vault1@4096"]
    );
    assert!(
        text.lines().nth(2).is_some_and(|l| l.contains("by hand")),
        "{text}"
    );
}

#[test]
fn bad_job_words_are_one_sentence_and_exit_1() {
    let (_dir, _path, url) = catalog();
    ok(&segcopy(&[
        "--catalog",
        &url,
        "job",
        "add",
        "j",
        "--source",
        "prod0",
    ]));
    let add = |extra: &[&str]| {
        let mut args = vec!["--catalog", url.as_str(), "job", "add"];
        args.extend_from_slice(extra);
        segcopy(&args)
    };
    let refused: [(&[&str], &str); 6] = [
        (
            &["j", "--source", "prod0"],
            "a job named \"j\" exists already",
        ),
        (&["k", "--source", "prod0@x"], "\"prod0@x\" is not a source"),
        (
            &["k", "--source", "p", "--to", "tapes"],
            "\"tapes\" is not a destination",
        ),
        (
            &["k", "--source", "p", "--every", "soon"],
            "\"soon\" is not a duration",
        ),
        (
            &["k", "--source", "p", "--segment-size", "big"],
            "is not a size",
        ),
        (
            &["k", "--source", "p", "--segment-size", "0"],
            "--segment-size must be more than 0",
        ),
    ];
    for (args, says) in refused {
        fails(&add(args), 1, says);
    }
    assert_eq!(
        add(&["k", "--source", "p", "--streams", "0"]).status.code(),
        Some(1)
    );
    assert_eq!(
        add(&["k", "--source", "p", "--mode", "sideways"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(add(&["k"]).status.code(), Some(1), "--source is required");
}

#[test]
fn catalog_urls() {
    // PostgreSQL is the other backend: nothing listens on port 1, which is
    // said in one sentence, without the password.
    let o = segcopy(&[
        "--catalog",
        "postgres://seg:pw@127.0.0.1:1/segcopy",
        "job",
        "list",
    ]);
    fails(
        &o,
        15,
        "catalog postgres://seg@127.0.0.1:1/segcopy: cannot connect",
    );
    assert!(!stderr(&o).contains("pw"), "{}", stderr(&o));
    let o = segcopy(&["--catalog", "catalog.sqlite", "job", "list"]);
    fails(&o, 1, "use sqlite:PATH");
    // A file that is not a catalog cannot be opened.
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, vec![0x42u8; 4096]).expect("write");
    let o = segcopy(&[
        "--catalog",
        &format!("sqlite:{}", junk.display()),
        "job",
        "list",
    ]);
    assert_eq!(o.status.code(), Some(15), "{}", stderr(&o));
}

#[test]
fn the_default_catalog_is_in_the_state_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    // No site: $XDG_STATE_HOME/segcopy/catalog.sqlite.
    let xdg = dir.path().join("xdg");
    ok(&segcopy_env(
        &["job", "add", "j", "--source", "prod0"],
        &[("XDG_STATE_HOME", &xdg)],
    ));
    assert!(xdg.join("segcopy/catalog.sqlite").exists());
    // Else ~/.local/state/segcopy/catalog.sqlite.
    let home = dir.path().join("home");
    ok(&segcopy_env(&["job", "list"], &[("HOME", &home)]));
    assert!(home.join(".local/state/segcopy/catalog.sqlite").exists());
    // A site with a state directory keeps its own.
    let site = dir.path().join("site.toml");
    std::fs::write(&site, "[site]\nname = \"t\"\nstate_dir = \"st\"\n").expect("site");
    let site_arg = site.display().to_string();
    let said = ok(&segcopy_env(
        &["--site", &site_arg, "job", "list"],
        &[("XDG_STATE_HOME", &xdg)],
    ));
    let want = dir.path().join("st/catalog.sqlite");
    assert_eq!(said, format!("No jobs in sqlite:{}.\n", want.display()));
    assert!(want.exists());
    // Neither: one sentence saying what to give.
    fails(&segcopy(&["job", "list"]), 1, "give --catalog sqlite:PATH");
}
