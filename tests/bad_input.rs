//! Bad input, one clear sentence each: the real binary given bad
//! arguments — segment sizes of 0, not whole blocks, larger than the
//! source or than a copy manager takes; source and destination
//! overlapping on one logical unit; unknown disks, copy managers, drives
//! and libraries — and bad site files (unknown key, wrong type, duplicate
//! name, a link to an unknown switch, a fault on an unknown device, a
//! missing field…), each with the exit code of `src/cli/exit.rs` and one
//! line on stderr saying what was wrong and what to do (site files: file
//! and line).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::scsi::tmp_dir;

/// Exit codes (src/cli/exit.rs).
const SYNTAX: i32 = 1;
const FILE_ERROR: i32 = 15;
const NO_RESOURCES: i32 = 30;

/// A site of two paths (cmI–swI–driveI) with prod0 and restore0 (8 MiB,
/// 512-byte blocks), big4k (8 MiB, 4096-byte blocks) and small0 (1 MiB)
/// on both switches, one library with two cartridges; and two copy
/// managers on no switch for `xcopy --via`: lio0 (LIO's limits) and cmg
/// (a 64 KiB data segment granularity). `cm_extra` goes in cm0 and cm1.
fn site_text(cm_extra: &str) -> String {
    let mut s = String::from("[site]\nstate_dir = \"state\"\n\n");
    for (name, size, bs) in [
        ("prod0", "8 MiB", 512),
        ("restore0", "8 MiB", 512),
        ("big4k", "8 MiB", 4096),
        ("small0", "1 MiB", 512),
    ] {
        s += &format!(
            "[[disk]]\nname = \"{name}\"\ncapacity = \"{size}\"\nblock_size = {bs}\nlinks = [\"sw0\", \"sw1\"]\n\n"
        );
    }
    for i in 0..2 {
        s += &format!(
            "[[switch]]\nname = \"sw{i}\"\n\n[[copy_manager]]\nname = \"cm{i}\"\nlinks = [\"sw{i}\"]\n{cm_extra}\n\n\
             [[drive]]\nname = \"drive{i}\"\nlinks = [\"sw{i}\"]\n\n"
        );
    }
    s += "[[copy_manager]]\nname = \"lio0\"\nprofile = \"lio\"\n\n\
          [[copy_manager]]\nname = \"cmg\"\n[copy_manager.limits]\ndata_segment_granularity = \"64 KiB\"\n\n\
          [[library]]\nname = \"lib0\"\nslots = 4\ndrives = [\"drive0\", \"drive1\"]\n\
          cartridge_capacity = \"64 MiB\"\n\
          cartridges = [{ barcode = \"T00001L6\", slot = 1 }, { barcode = \"T00002L6\", slot = 2 }]\n\
          links = [\"sw0\", \"sw1\"]\n";
    s
}

/// A fresh directory with `site.toml` of `text`.
fn site(test: &str, text: &str) -> PathBuf {
    let dir = tmp_dir(test);
    std::fs::write(dir.join("site.toml"), text).unwrap();
    dir
}

fn segcopy(dir: &Path, args: &[&str]) -> Output {
    common::san::segcopy_in(dir, args)
}

/// One bad command line: its arguments, the exit code, and what the one
/// line on stderr must say.
struct Case {
    args: &'static [&'static str],
    code: i32,
    says: &'static str,
}

const fn case(args: &'static [&'static str], code: i32, says: &'static str) -> Case {
    Case { args, code, says }
}

/// Runs every case on the site in `dir`: each fails with its code and one
/// sentence (one line besides the log's warnings, no panic, nothing on
/// stdout) that says its piece.
fn check(dir: &Path, cases: &[Case]) {
    for c in cases {
        let o = segcopy(dir, c.args);
        let all = String::from_utf8_lossy(&o.stderr);
        let err: String = all
            .lines()
            .filter(|l| !l.starts_with("[WARN ]"))
            .map(|l| format!("{l}\n"))
            .collect();
        let args = c.args.join(" ");
        assert_eq!(o.status.code(), Some(c.code), "segcopy {args}: {all}");
        assert_eq!(err.lines().count(), 1, "segcopy {args}: one line: {all}");
        assert!(err.starts_with("segcopy: "), "segcopy {args}: {err}");
        assert!(!err.contains("panicked"), "segcopy {args}: {err}");
        assert!(
            err.contains(c.says),
            "segcopy {args}: {:?} not in {err}",
            c.says
        );
        assert!(
            o.stdout.is_empty(),
            "segcopy {args}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

#[test]
fn backup_arguments() {
    let dir = site("backup", &site_text(""));
    check(
        &dir,
        &[
            case(&["backup", "prod0", "--segment-size", "0"], SYNTAX,
                "the segment size is 0; give a size of at least one block"),
            case(&["backup", "prod0", "--segment-size", "1000"], SYNTAX,
                "a segment size of 1000 bytes is not a whole number of the source's 512-byte blocks; use a multiple of 512"),
            case(&["backup", "big4k", "--segment-size", "6KiB"], SYNTAX,
                "a segment size of 6144 bytes is not a whole number of the source's 4096-byte blocks; use a multiple of 4096"),
            case(&["backup", "prod0", "--segment-size", "1GiB"], SYNTAX,
                "a segment size of 1073741824 bytes is larger than prod0 itself (8388608 bytes); give a segment size of at most 8388608 bytes"),
            // Once accepted, and the catalog could not hold it.
            case(&["backup", "prod0", "--segment-size", "8EiB"], SYNTAX,
                "a segment size of 9223372036854775808 bytes is larger than prod0 itself"),
            case(&["backup", "small0"], SYNTAX,
                "a segment size of 8388608 bytes is larger than small0 itself (1048576 bytes)"),
            case(&["backup", "prod0", "--segment-size", "lots"], SYNTAX,
                "--segment-size: \"lots\" is not a size"),
            case(&["backup", "prod0@16384"], SYNTAX,
                "prod0: LBA 16384 is past its end (it has 16384 blocks, 0 to 16383); start at an LBA below 16384"),
            case(&["backup", "prod0@16000", "--blocks", "1000", "--segment-size", "1MiB"], SYNTAX,
                "prod0: blocks 16000 to 16999 go past its end (16384 blocks); start lower or copy fewer blocks"),
            case(&["backup", "prod0", "--blocks", "0"], SYNTAX,
                "the object is empty: give at least one block"),
            case(&["backup", "prod0", "--to", "disk:prod0", "--streams", "1", "--segment-size", "1MiB"], NO_RESOURCES,
                "no usable destination disk (prod0 is the source)"),
            case(&["backup", "drive0", "--segment-size", "1MiB"], FILE_ERROR,
                "drive0 is a sequential access device (tape), not a block device; name a disk"),
            case(&["backup", "nodisk"], SYNTAX, "nodisk is not a resource of "),
            case(&["backup", "prod0", "--to", "disk:nodisk"], SYNTAX, "nodisk is not a resource of "),
        ],
    );
    // Copy managers whose data segment granularity is 64 KiB.
    let limits = "[copy_manager.limits]\ndata_segment_granularity = \"64 KiB\"";
    let dir = site("backup-granularity", &site_text(limits));
    check(
        &dir,
        &[case(&["backup", "prod0", "--segment-size", "32KiB"], SYNTAX,
            "segment size 32768 bytes is not a multiple of cm0's data segment granularity (65536 bytes); use a multiple of 65536")],
    );
}

#[test]
fn xcopy_arguments() {
    let dir = site("xcopy", &site_text(""));
    check(
        &dir,
        &[
            case(&["xcopy", "--from", "prod0", "--to", "restore0", "--blocks", "16", "--via", "cm0", "--segment-size", "0"], SYNTAX,
                "a segment size of 0 bytes copies nothing; give a segment size of at least one block"),
            case(&["xcopy", "--from", "prod0", "--to", "restore0", "--blocks", "16", "--via", "cm0", "--segment-size", "1000"], SYNTAX,
                "segment size 1000 bytes is not a multiple of the 512-byte block size; use a multiple of 512"),
            case(&["xcopy", "--from", "prod0", "--to", "restore0", "--blocks", "16384", "--via", "lio0", "--segment-size", "64MiB"], SYNTAX,
                "segment size 67108864 bytes is more than one EXTENDED COPY to lio0 can carry (1 descriptor(s) x 65535 blocks x 512 bytes = 33553920 bytes); use a segment size of at most 33553920 bytes"),
            case(&["xcopy", "--from", "prod0", "--to", "restore0", "--blocks", "16", "--via", "cmg", "--segment-size", "32KiB"], SYNTAX,
                "segment size 32768 bytes is not a multiple of cmg's data segment granularity (65536 bytes); use a multiple of 65536"),
            case(&["xcopy", "--from", "prod0", "--to", "prod0@8", "--blocks", "16", "--via", "cm0"], SYNTAX,
                "prod0 and prod0 are the same logical unit (NAA 6: 0x"),
            case(&["xcopy", "--from", "prod0@100", "--to", "prod0", "--blocks", "200", "--via", "cm0"], SYNTAX,
                "and the ranges overlap (LBAs 100..=299 and 0..=199); choose ranges that do not overlap"),
            case(&["xcopy", "--from", "prod0", "--to", "big4k", "--blocks", "16", "--via", "cm0"], SYNTAX,
                "prod0 has 512-byte blocks but big4k has 4096-byte blocks; a block copy needs the same block size on both"),
            case(&["xcopy", "--from", "prod0@16380", "--to", "restore0", "--blocks", "16", "--via", "cm0"], SYNTAX,
                "source range LBA 16380 + 16 blocks goes past the end of prod0, which has 16384 blocks; start lower or copy fewer blocks"),
            case(&["xcopy", "--from", "prod0", "--to", "restore0", "--blocks", "0", "--via", "cm0"], SYNTAX,
                "nothing to copy: give --blocks greater than 0"),
            case(&["xcopy", "--from", "prod0@x", "--to", "restore0", "--blocks", "16", "--via", "cm0"], SYNTAX,
                "prod0@x: the part after @ must be a starting LBA (a whole number)"),
            case(&["xcopy", "--from", "drive0", "--to", "restore0", "--blocks", "16", "--via", "cm0"], SYNTAX,
                "drive0 is a sequential access device (tape), not a block device; name a disk (a logical unit with blocks) here"),
            case(&["xcopy", "--from", "nodisk", "--to", "restore0", "--blocks", "1", "--via", "cm0"], FILE_ERROR,
                "nodisk is not a device of "),
            case(&["xcopy", "--from", "prod0", "--to", "nodisk", "--blocks", "1", "--via", "cm0"], FILE_ERROR,
                "(it has: prod0, restore0, big4k, small0, cm0, cm1, lio0, cmg, lib0, drive0, drive1); give one of those names or a /dev path"),
            case(&["xcopy", "--from", "prod0", "--to", "restore0", "--blocks", "1", "--via", "nocm"], FILE_ERROR,
                "nocm is not a device of "),
        ],
    );
}

#[test]
fn bench_arguments_and_drive_and_library_names() {
    let dir = site("bench", &site_text(""));
    check(
        &dir,
        &[
            case(&["bench", "--object", "prod0", "--to", "restore0", "--via", "cm0", "--sizes", "0"], SYNTAX,
                "--sizes: a segment size of 0 bytes copies nothing; give sizes of at least one of prod0's 512-byte blocks"),
            case(&["bench", "--object", "prod0", "--to", "restore0", "--via", "cm0", "--sizes", "1MiB,1000"], SYNTAX,
                "--sizes: segment size 1000 bytes is not a whole number of prod0's 512-byte blocks; use a multiple of 512"),
            case(&["bench", "--object", "prod0", "--to", "restore0", "--via", "cm0", "--sizes", "1GiB"], SYNTAX,
                "--sizes: segment size 1073741824 bytes is larger than prod0 itself (8388608 bytes); give sizes of at most 8388608 bytes"),
            // Source and destination on one logical unit: a whole disk
            // onto itself, and two ranges that overlap.
            case(&["bench", "--object", "prod0", "--to", "prod0", "--via", "cm0", "--sizes", "1MiB"], SYNTAX,
                "--to: prod0 and prod0 are the same logical unit"),
            case(&["bench", "--object", "prod0:0+100", "--to", "prod0@50", "--via", "cm0", "--sizes", "512"], SYNTAX,
                "the ranges overlap (LBAs 0..=99 and 50..=149); choose ranges that do not overlap"),
            case(&["bench", "--object", "prod0", "--to", "restore0", "--via", "cm0", "--sizes", "1MiB",
                   "--fault-at", "0.5", "--failover-via", "cm1", "--failover-to", "prod0"], SYNTAX,
                "--failover-to: prod0 and prod0 are the same logical unit"),
            case(&["bench", "--object", "prod0", "--to", "big4k", "--via", "cm0", "--sizes", "1MiB"], SYNTAX,
                "--to: prod0 has 512-byte blocks but big4k has 4096-byte blocks"),
            case(&["bench", "--object", "prod0", "--to", "restore0@100", "--via", "cm0", "--sizes", "1MiB"], SYNTAX,
                "--to: destination range LBA 100 + 16384 blocks goes past the end of restore0, which has 16384 blocks"),
            // Unknown names (with the default sizes: those prod0 holds).
            case(&["bench", "--object", "nodisk", "--to", "restore0", "--via", "cm0"], FILE_ERROR,
                "nodisk is not a device of "),
            case(&["bench", "--object", "prod0", "--to", "restore0", "--via", "nocm"], FILE_ERROR,
                "nocm is not a device of "),
            case(&["bench", "--object", "prod0", "--to", "restore0", "--via", "cm0", "--sizes", "1MiB",
                   "--fault-at", "0.5", "--failover-via", "nocm"], FILE_ERROR,
                "nocm is not a device of "),
            case(&["bench", "--object", "prod0", "--to", "nodrive", "--tape", "T00001L6", "--via", "cm0"], SYNTAX,
                "--tape T00001L6: no library of the site has the drive nodrive"),
            case(&["tape", "nodrive", "status"], FILE_ERROR, "nodrive is not a device of "),
            case(&["changer", "nolib", "status"], FILE_ERROR, "nolib is not a device of "),
            case(&["tape", "sw0", "status"], SYNTAX, "sw0 is a switch in "),
        ],
    );
}

#[test]
fn restore_arguments() {
    let dir = site("restore", &site_text(""));
    // Backup 1: prod0's first 4096 blocks, in two segments.
    let o = segcopy(
        &dir,
        &[
            "backup",
            "prod0",
            "--blocks",
            "4096",
            "--segment-size",
            "1MiB",
            "--streams",
            "1",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check(
        &dir,
        &[
            case(&["restore", "1", "--to", "prod0"], SYNTAX,
                "prod0@0 overlaps the backup's own source (prod0@0+4096 blocks); restore elsewhere, or to a range that does not overlap"),
            case(&["restore", "1", "--to", "prod0@4095"], SYNTAX,
                "prod0@4095 overlaps the backup's own source"),
            case(&["restore", "1", "--to", "restore0@14000"], SYNTAX,
                "restore0 is too small: the backup needs blocks 14000 to 18095 and it has 16384 blocks"),
            case(&["restore", "1", "--to", "big4k"], SYNTAX,
                "big4k has 4096-byte blocks and the backup 512-byte blocks; restore to a disk with 512-byte blocks"),
            case(&["restore", "1", "--to", "drive0"], SYNTAX,
                "drive0 is a sequential access device (tape), not a block device; name a disk"),
            case(&["restore", "1", "--to", "nodisk"], SYNTAX,
                "nodisk is not a device of "),
            case(&["restore", "99", "--to", "restore0"], SYNTAX,
                "there is no backup 99 in the catalog (see `segcopy catalog list`)"),
        ],
    );
    // Past its end, prod0 is a fine target.
    let o = segcopy(&dir, &["restore", "1", "--to", "prod0@4096"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Runs `segcopy --site bad.toml inventory` on `text`; it must fail with
/// exit 1 and one line `bad.toml:LINE: FIELD: …` that says `says`.
fn site_refused(test: &str, text: &str, line: usize, field: &str, says: &str) {
    let dir = tmp_dir(test);
    let path = dir.join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_segcopy"))
        .arg("--site")
        .arg(&path)
        .args([
            "--catalog",
            &format!("sqlite:{}", dir.join("c.sqlite").display()),
        ])
        .arg("inventory")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(SYNTAX), "{test}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{test}: one line: {err}");
    let head = format!("segcopy: {}:{line}: {field}: ", path.display());
    assert!(
        err.starts_with(&head),
        "{test}: {head:?} does not start {err}"
    );
    assert!(err.contains(says), "{test}: {says:?} not in {err}");
}

#[test]
fn bad_site_files_say_file_line_and_field() {
    let disk = "[[disk]]\nname = \"d0\"\ncapacity = 4096\n";
    let cases: &[(&str, String, usize, &str, &str)] = &[
        ("unknown-key", format!("{disk}colour = \"red\"\n"), 4, "colour",
            "unknown field `colour`, expected one of `name`, `block_size`, `capacity`"),
        ("unknown-table", "[[disc]]\nname = \"d0\"\n".into(), 1, "disc",
            "unknown field `disc`, expected one of `site`, `disk`"),
        ("wrong-type-size", "[[disk]]\nname = \"d0\"\ncapacity = true\n".into(), 3, "disk.capacity",
            "invalid type: boolean `true`, expected a size: a number of bytes, or a string such as \"256 MiB\""),
        ("wrong-type-number", "[[library]]\nname = \"l\"\nslots = \"eight\"\ndrives = []\n".into(), 3, "library.slots",
            "invalid type: string \"eight\", expected u32"),
        ("wrong-type-list", format!("[[switch]]\nname = \"sw0\"\n{disk}links = \"sw0\"\n"), 6, "disk.links",
            "invalid type: string \"sw0\", expected a sequence"),
        ("duplicate-name", format!("{disk}[[drive]]\nname = \"d0\"\n"), 5, "drive.name",
            "\"d0\" is named twice; every disk, copy manager, library, drive, switch, backup server and real device needs its own name"),
        ("duplicate-key", "[[disk]]\nname = \"d0\"\nname = \"d1\"\ncapacity = 4096\n".into(), 3, "disk.name",
            "duplicate key `name`"),
        ("unknown-switch", format!("{disk}links = [\"sw9\"]\n"), 4, "disk.links",
            "\"sw9\" is not a [[switch]] of this site; links name switches"),
        ("unknown-fault-device", format!("{disk}[[fault]]\ndevice = \"d9\"\ncommand = 1\neffect = \"gone\"\n"), 5, "fault[0].device",
            "\"d9\" is not a device of this site; name one of its devices (d0)"),
        ("missing-capacity", "[[disk]]\nname = \"d0\"\n".into(), 1, "disk.capacity",
            "missing field `capacity`: every [[disk]] needs capacity = …; add it to this one"),
        ("missing-name", format!("{disk}[[disk]]\ncapacity = 4096\n"), 4, "disk.name",
            "missing field `name`: every [[disk]] needs name = …; add it to this one"),
        ("missing-drives", "[[library]]\nname = \"l\"\nslots = 2\n".into(), 1, "library.drives",
            "missing field `drives`: every [[library]] needs drives = …"),
        ("missing-effect", format!("{disk}[[fault]]\ndevice = \"d0\"\ncommand = 1\n"), 4, "fault.effect",
            "missing field `effect`: every [[fault]] needs effect = …"),
        ("bad-effect", format!("{disk}[[fault]]\ndevice = \"d0\"\ncommand = 1\neffect = \"explode\"\n"), 7, "fault[0].effect",
            "\"explode\" is not an effect: use sense, hang, gone, medium-error, end-of-medium, cannot-move or lie"),
        ("no-trigger", format!("{disk}[[fault]]\ndevice = \"d0\"\neffect = \"gone\"\n"), 5, "fault[0]",
            "give exactly one trigger: command, segment, after_bytes, tape_block, always = true, or per_million (with seed)"),
        ("unknown-lie", format!("{disk}[[fault]]\ndevice = \"d0\"\ncommand = 1\neffect = \"lie\"\nlie = \"fib\"\n"), 8, "fault[0].lie",
            "\"fib\" is not a lie segcopy can make a device tell: use one of length, data-segment-granularity"),
        ("lie-without-kind", format!("{disk}[[fault]]\ndevice = \"d0\"\ncommand = 1\neffect = \"lie\"\n"), 7, "fault[0].lie",
            "effect = \"lie\" needs lie = \"KIND\", one of length,"),
        ("lie-on-a-segment", format!("{disk}[[fault]]\ndevice = \"d0\"\nsegment = 1\neffect = \"lie\"\nlie = \"residual\"\n"), 7, "fault[0].effect",
            "lie takes command (the n-th command the lie fits), always or per_million"),
        ("bad-block-size", "[[disk]]\nname = \"d0\"\ncapacity = 4096\nblock_size = 520\n".into(), 4, "disk.block_size",
            "520 is not a block size segcopy simulates: use 512 or 4096"),
        ("bad-size", "[[disk]]\nname = \"d0\"\ncapacity = \"12 parsecs\"\n".into(), 3, "disk.capacity",
            "\"12 parsecs\" is not a size"),
        ("syntax", "[[disk]\nname = \"d0\"\n".into(), 1, "(syntax)", "invalid table header; expected `.`, `]]`"),
    ];
    for (test, text, line, field, says) in cases {
        site_refused(test, text, *line, field, says);
    }
    // A file that is not there: no line to name.
    let dir = tmp_dir("unreadable");
    let path = dir.join("nowhere.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_segcopy"))
        .arg("--site")
        .arg(&path)
        .arg("inventory")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(SYNTAX), "{err}");
    assert_eq!(
        err.trim_end(),
        format!(
            "segcopy: {}: cannot read the site file: No such file or directory (os error 2)",
            path.display()
        )
    );
}
