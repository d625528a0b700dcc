//! `segcopy bench`, run as a user would: the built binary on a simulated
//! two-path site in a temporary directory, its disks holding a pattern.

use std::path::Path;
use std::process::{Command, Output};

const SITE: &str = r#"
[site]
name = "bench"
state_dir = "state"
failures_per_tib = 3

[[switch]]
name = "sw0"

[[switch]]
name = "sw1"

[[disk]]
name = "prod0"
block_size = 512
capacity = "8 MiB"
links = ["sw0", "sw1"]

[[disk]]
name = "copy0"
block_size = 512
capacity = "8 MiB"
links = ["sw0", "sw1"]

[[copy_manager]]
name = "cm0"
profile = "standard"
links = ["sw0"]

[[copy_manager]]
name = "cm1"
profile = "standard"
links = ["sw1"]

[[drive]]
name = "drive0"
links = ["sw0"]

[[drive]]
name = "drive1"
links = ["sw1"]

[[library]]
name = "lib0"
slots = 4
drives = ["drive0", "drive1"]
cartridge_capacity = "64 MiB"
cartridges = [
    { barcode = "BEN001L6", slot = 1 },
    { barcode = "BEN002L6", slot = 2 },
]
links = ["sw0", "sw1"]
"#;

/// A site in a fresh directory, with a pattern on prod0 (created by a
/// first harmless command, then written into its image file).
fn site() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("site.toml");
    std::fs::write(&file, SITE).unwrap();
    let site = file.display().to_string();
    let o = segcopy(&["--site", &site, "inquiry", "prod0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let img = dir.path().join("state/disks/prod0.img");
    let pattern: Vec<u8> = (0..8u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&img, &pattern).unwrap();
    (dir, site)
}

fn segcopy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_segcopy"))
        .args(args)
        .env_remove("XDG_STATE_HOME")
        .env_remove("HOME")
        .output()
        .expect("run segcopy")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "stderr: {}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn image(dir: &Path, disk: &str) -> Vec<u8> {
    std::fs::read(dir.join(format!("state/disks/{disk}.img"))).unwrap()
}

/// Fails with `code` and one sentence on stderr that contains `says`.
fn fails(o: &Output, code: i32, says: &str) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    let e = stderr(o);
    assert_eq!(e.trim_end().lines().count(), 1, "one sentence: {e}");
    assert!(e.contains(says), "{e}");
}

#[test]
fn disk_to_disk_with_depths_failover_host_copy_and_a_recommendation() {
    let (dir, site) = site();
    let svg = dir.path().join("bench.svg");
    let png = dir.path().join("bench.png");
    let csv = dir.path().join("bench.csv");
    let o = segcopy(&[
        "--site",
        &site,
        "bench",
        "--object",
        "prod0",
        "--to",
        "copy0",
        "--via",
        "cm0",
        "--sizes",
        "256KiB,1MiB,4MiB",
        "--repeat",
        "2",
        "--queue-depth",
        "1,4",
        "--fault-at",
        "0.9",
        "--failover-via",
        "cm1",
        "--compare-host",
        "--verify",
        "--recommend",
        "--plot",
        svg.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--json",
    ]);
    let v = json(&o);
    assert_eq!(v["object_bytes"], 8 << 20);
    assert_eq!(v["simulated"], true);
    let rows = v["rows"].as_array().unwrap();
    // 3 sizes x 2 depths, and the host copy.
    assert_eq!(rows.len(), 7);
    for r in &rows[..6] {
        assert_eq!(r["way"], "offloaded");
        assert_eq!(r["via"], "cm0");
        assert_eq!(r["runs"].as_array().unwrap().len(), 2);
        let seg = r["segment_bytes"].as_u64().unwrap();
        // One EXTENDED COPY per segment on the standard profile.
        for run in r["runs"].as_array().unwrap() {
            assert_eq!(run["commands"].as_u64().unwrap(), (8 << 20) / seg);
        }
        let s = &r["summary"];
        assert!(s["mib_per_s"].as_f64().unwrap() > 0.0);
        assert!(s["latency_p99_ms"].as_f64().unwrap() >= s["latency_p50_ms"].as_f64().unwrap());
        // The failover run: at depth 1 only, the failed segment where asked.
        let f = &r["failover"];
        if r["depth"] == 1 {
            let n = (8u64 << 20) / seg;
            assert_eq!(f["segments"].as_u64().unwrap(), n);
            assert_eq!(
                f["failed_segment"].as_u64().unwrap(),
                (0.9 * n as f64) as u64
            );
            assert!(f["why"].as_str().unwrap().contains("COPY ABORTED"), "{f}");
            let redo = f["redo_seconds"].as_f64().unwrap();
            assert!(redo > f["seconds_to_failure"].as_f64().unwrap());
        } else {
            assert!(f.is_null());
        }
    }
    assert_eq!(rows[6]["way"], "host");
    assert_eq!(
        rows[6]["summary"]["latency_p50_ms"],
        serde_json::Value::Null
    );
    let rec = &v["recommendation"];
    assert_eq!(rec["failures_per_tib"], 3.0, "the site's rate");
    assert_eq!(rec["expected"].as_array().unwrap().len(), 3);
    let best = rec["best"].as_u64().unwrap();
    let least = rec["expected"]
        .as_array()
        .unwrap()
        .iter()
        .min_by(|a, b| a[1].as_f64().unwrap().total_cmp(&b[1].as_f64().unwrap()))
        .unwrap();
    assert_eq!(least[0].as_u64().unwrap(), best);
    // The copy is right (the bench verified each run too).
    assert_eq!(image(dir.path(), "copy0"), image(dir.path(), "prod0"));
    let svg_text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        svg_text.starts_with("<svg"),
        "{}",
        &svg_text[..80.min(svg_text.len())]
    );
    assert!(svg_text.contains("segment size"));
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv_text.lines().count(), 1 + 6 * 2 + 2);
    assert!(csv_text.starts_with("segment_bytes,depth,way,"));

    // PNG, in words this time.
    let o = segcopy(&[
        "--site",
        &site,
        "bench",
        "--object",
        "prod0:0+2MiB",
        "--to",
        "copy0@4096",
        "--via",
        "cm0",
        "--sizes",
        "1MiB",
        "--repeat",
        "1",
        "--plot",
        png.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let words = stdout(&o);
    assert!(
        words.contains("offloaded (EXTENDED COPY via cm0)"),
        "{words}"
    );
    assert!(words.contains("simulated inside this process"), "{words}");
    let png_bytes = std::fs::read(&png).unwrap();
    assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
    let (a, b) = (image(dir.path(), "prod0"), image(dir.path(), "copy0"));
    assert_eq!(a[..2 << 20], b[4096 * 512..4096 * 512 + (2 << 20)]);
}

#[test]
fn to_tape_from_the_beginning_only_over_a_blank_tape_unless_forced() {
    let (_dir, site) = site();
    let run = |force: bool| {
        let mut args = vec![
            "--site",
            &site,
            "bench",
            "--object",
            "prod0",
            "--to",
            "drive0",
            "--tape",
            "BEN001L6",
            "--via",
            "cm0",
            "--sizes",
            "1MiB,2MiB",
            "--repeat",
            "1",
            "--queue-depth",
            "1,2",
            "--fault-at",
            "0.5",
            "--failover-via",
            "cm1",
            "--failover-to",
            "drive1",
            "--failover-tape",
            "BEN002L6",
            "--json",
        ];
        if force {
            args.push("--force");
        }
        segcopy(&args)
    };
    let v = json(&run(false));
    let rows = v["rows"].as_array().unwrap();
    // A tape takes one command at a time: depth 2 is not run.
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["depth"] == 1));
    assert_eq!(rows[0]["failover"]["failed_segment"], 4);
    assert_eq!(rows[1]["failover"]["failed_segment"], 2);
    // The tapes now hold data: a second bench refuses to write over them.
    fails(&run(false), 7, "must not be written over: it holds data");
    let v = json(&run(true));
    assert_eq!(v["rows"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_input_gets_one_sentence() {
    let (dir, site) = site();
    let base = ["--site", site.as_str(), "bench", "--via", "cm0"];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        segcopy(&a)
    };
    fails(
        &with(&["--object", "prod0:x", "--to", "copy0"]),
        1,
        "\"x\" is not an LBA",
    );
    fails(
        &with(&[
            "--object",
            "prod0:0+1000",
            "--to",
            "copy0",
            "--sizes",
            "1000",
        ]),
        1,
        "not a whole number of prod0's 512-byte blocks",
    );
    fails(
        &with(&["--object", "prod0:16000+1000", "--to", "copy0"]),
        1,
        "go past its end",
    );
    fails(
        &with(&["--object", "nosuch", "--to", "copy0"]),
        15,
        "nosuch is not a device of",
    );
    fails(
        &with(&[
            "--object", "prod0", "--to", "copy0", "--repeat", "1", "--sizes", "4MiB", "--plot",
            "x.jpg",
        ]),
        15,
        "give a file name ending in .svg or .png",
    );
    let o = with(&["--object", "prod0", "--to", "copy0", "--fault-at", "1.5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("a number from 0 to below 1"),
        "{}",
        stderr(&o)
    );
    let o = with(&["--object", "prod0", "--to", "copy0", "--fault-at", "0.5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--failover-via"), "{}", stderr(&o));
    // A disk is no copy manager.
    let o = segcopy(&[
        "--site", &site, "bench", "--object", "prod0", "--to", "copy0",
    ]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("copy0 did not answer RECEIVE COPY RESULTS"),
        "{}",
        stderr(&o)
    );
    drop(dir);
}
