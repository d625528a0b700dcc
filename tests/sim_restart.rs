//! Every `segcopy` command is a new process that builds the simulated SAN
//! again from the site file and its state directory. These tests do the
//! same — `fixtures/sites/two-path.toml`, its state in a directory of the
//! test's own, built anew between steps — and check that a drive of the
//! library keeps what a real drive keeps while its cartridge stays loaded:
//! the position (so WRITE FILEMARKS in the next command appends instead of
//! erasing the tape from BOT) and the block length; that a load by MOVE
//! MEDIUM starts at BOT; and that a drive state that does not match the
//! cartridge leaves the position unknown — every read, write and relative
//! space refused — until the host rewinds or locates.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use segcopy::sim::library::SimLibrary;
use segcopy::sim::{Fabric, SimTransport, StreamRead};
use segcopy::site::Site;
use segcopy::transport::{Completion, DataDirection, HostStatus, ScsiStatus, Transport};
use segcopy::wire::mode::{ModeParameterList6, ModeSelect6Cdb, ModeSense6Cdb};
use segcopy::wire::sbc::TestUnitReadyCdb;
use segcopy::wire::sense::{SenseData, SenseKey};
use segcopy::wire::smc::MoveMediumCdb;
use segcopy::wire::ssc::{
    Locate10Cdb, LongPosition, LongPositionFlags, Read6Cdb, ReadPositionCdb, ReadPositionForm,
    RewindCdb, ShortPosition, ShortPositionFlags, Space6Cdb, SpaceCode, Write6Cdb,
    WriteFilemarks6Cdb,
};
use segcopy::wire::Repr;

const T: Duration = Duration::from_secs(5);
/// Slot 1 of the site (`changer lib0 load 1 0`), holding SEG001L6.
const SLOT1: u16 = SimLibrary::FIRST_SLOT;
/// drive0, the library's first data transfer element.
const DRIVE0: u16 = SimLibrary::FIRST_DRIVE;
/// drive1.
const DRIVE1: u16 = SimLibrary::FIRST_DRIVE + 1;
/// `tape drive0 write --block-size 262144`.
const RECORD: usize = 262_144;

/// A state directory of the test's own, emptied.
fn tmp_dir(test: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sim_restart-{test}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Builds the two-path site with its state in `dir`, as a new `segcopy`
/// process does.
fn build(dir: &Path) -> Arc<Fabric> {
    let path = common::fixtures_dir().join("sites/two-path.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut replaced = 0;
    let text: String = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("state_dir") {
                replaced += 1;
                "state_dir = \"state\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(replaced, 1, "two-path.toml has one state_dir");
    let site = Site::parse(&dir.join("two-path.toml"), &text).unwrap();
    site.build_fabric().unwrap()
}

/// The library's state directory in `dir`.
fn lib_state(dir: &Path) -> PathBuf {
    dir.join("state/libraries/lib0")
}

fn drive_state(dir: &Path) -> PathBuf {
    lib_state(dir).join("drives/drive0.json")
}

fn tape_file(dir: &Path) -> PathBuf {
    lib_state(dir).join("tapes/SEG001L6.tape")
}

fn t(f: &Arc<Fabric>, name: &str) -> SimTransport {
    f.transport(name).unwrap()
}

fn cdb<R: Repr>(r: &R) -> Vec<u8> {
    r.to_vec().unwrap()
}

fn none(t: &SimTransport, c: &[u8]) -> Completion {
    t.execute(c, DataDirection::None, T).unwrap()
}

fn data_in(t: &SimTransport, c: &[u8], len: usize) -> (Completion, Vec<u8>) {
    let mut buf = vec![0xa5u8; len];
    let done = t
        .execute(c, DataDirection::FromDevice(&mut buf), T)
        .unwrap();
    (done, buf)
}

fn data_out(t: &SimTransport, c: &[u8], data: &[u8]) -> Completion {
    t.execute(c, DataDirection::ToDevice(data), T).unwrap()
}

fn good(c: &Completion) {
    assert_eq!(c.status, ScsiStatus::Good, "{c:?}");
    assert_eq!(c.host_status, HostStatus::Ok, "{c:?}");
}

fn sense(c: &Completion, key: SenseKey, asc: u8, ascq: u8) -> SenseData {
    assert_eq!(c.status, ScsiStatus::CheckCondition, "{c:?}");
    let s = SenseData::parse(&c.sense).unwrap();
    assert_eq!(s.sense_key(), Some(key), "{s:?}");
    assert_eq!(s.asc_ascq(), Some((asc, ascq)), "{s:?}");
    s
}

/// MEDIUM ERROR, SEQUENTIAL POSITIONING ERROR: the position is unknown.
fn position_lost(c: &Completion) {
    sense(c, SenseKey::MediumError, 0x3b, 0x00);
}

fn move_medium(lib: &SimTransport, from: u16, to: u16) {
    good(&none(lib, &cdb(&MoveMediumCdb::new(0, from, to))));
}

fn write_var(t: &SimTransport, data: &[u8]) -> Completion {
    data_out(t, &cdb(&Write6Cdb::variable(data.len() as u32)), data)
}

fn read_var(t: &SimTransport, len: usize) -> (Completion, Vec<u8>) {
    data_in(t, &cdb(&Read6Cdb::variable(len as u32)), len)
}

fn filemarks(t: &SimTransport, n: u32) -> Completion {
    none(t, &cdb(&WriteFilemarks6Cdb::new(n)))
}

fn rewind(t: &SimTransport) {
    good(&none(t, &cdb(&RewindCdb::new())));
}

fn space(t: &SimTransport, code: SpaceCode, n: i32) -> Completion {
    none(t, &cdb(&Space6Cdb::new(code, n)))
}

fn long_position(t: &SimTransport) -> LongPosition {
    let (c, buf) = data_in(t, &cdb(&ReadPositionCdb::new(ReadPositionForm::Long)), 32);
    good(&c);
    LongPosition::parse(&buf).unwrap()
}

fn short_position(t: &SimTransport) -> ShortPosition {
    let (c, buf) = data_in(
        t,
        &cdb(&ReadPositionCdb::new(ReadPositionForm::ShortBlockId)),
        20,
    );
    good(&c);
    ShortPosition::parse(&buf).unwrap()
}

/// The logical object number, which must be known.
fn position(t: &SimTransport) -> u64 {
    let p = long_position(t);
    assert!(!p.flags.contains(LongPositionFlags::LONU), "{p:?}");
    p.logical_object_number
}

fn set_block_length(t: &SimTransport, bl: u32) {
    let list = ModeParameterList6::select_block_length(bl).unwrap();
    good(&data_out(
        t,
        &cdb(&ModeSelect6Cdb::for_list(&list).unwrap()),
        &list.to_vec().unwrap(),
    ));
}

/// MODE SENSE: the current block length.
fn block_length(t: &SimTransport) -> u32 {
    let (c, buf) = data_in(t, &cdb(&ModeSense6Cdb::new(0, 255)), 255);
    good(&c);
    let list = ModeParameterList6::parse(&buf[..c.transferred]).unwrap();
    list.block_descriptors[0].block_length
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A file of 4 × 256 KiB and 1000 bytes, as `tape write --block-size
/// 262144` writes it: five records.
fn records() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = (0..4).map(|i| pattern(RECORD, i)).collect();
    v.push(pattern(1000, 9));
    v
}

/// Reads `want` back record by record, then expects a filemark (if
/// `filemark`) and end of data.
fn read_back(d: &SimTransport, want: &[Vec<u8>], filemark: bool) {
    for (i, r) in want.iter().enumerate() {
        let (c, buf) = read_var(d, r.len());
        good(&c);
        assert!(buf == *r, "record {i} differs");
    }
    if filemark {
        let (c, _) = read_var(d, RECORD);
        sense(&c, SenseKey::NoSense, 0x00, 0x01);
    }
    let (c, _) = read_var(d, RECORD);
    sense(&c, SenseKey::BlankCheck, 0x00, 0x05);
}

/// The brief's sequence, one build per command:
/// `changer lib0 load 1 0`, `tape drive0 write`, `tape drive0 weof`.
#[test]
fn weof_in_the_next_command_appends_after_the_records() {
    let dir = tmp_dir("weof");
    let recs = records();
    {
        let f = build(&dir);
        move_medium(&t(&f, "lib0"), SLOT1, DRIVE0);
    }
    {
        let f = build(&dir);
        let d = t(&f, "drive0");
        assert_eq!(position(&d), 0, "a load starts at BOT");
        for r in &recs {
            good(&write_var(&d, r));
        }
        assert_eq!(position(&d), 5);
    }
    {
        let f = build(&dir);
        let d = t(&f, "drive0");
        let p = long_position(&d);
        assert_eq!(p.logical_object_number, 5, "{p:?}");
        assert!(!p.flags.contains(LongPositionFlags::BOP), "{p:?}");
        good(&filemarks(&d, 1));
        assert_eq!(position(&d), 6);
    }
    {
        let f = build(&dir);
        let d = t(&f, "drive0");
        assert_eq!(position(&d), 6);
        rewind(&d);
    }
    {
        let f = build(&dir);
        let d = t(&f, "drive0");
        assert_eq!(position(&d), 0);
        read_back(&d, &recs, true);
    }
}

/// The copy manager's data path (`StreamTarget`) keeps the position too.
#[test]
fn the_stream_data_path_keeps_the_position() {
    let dir = tmp_dir("stream");
    let (a, b) = (Bytes::from(pattern(5000, 1)), Bytes::from(pattern(7000, 2)));
    {
        let f = build(&dir);
        move_medium(&t(&f, "lib0"), SLOT1, DRIVE0);
        let s = f.lu("drive0").unwrap().stream().unwrap();
        assert_eq!(s.write(a.clone()), Ok(false));
        assert_eq!(s.write(b.clone()), Ok(false));
    }
    {
        let f = build(&dir);
        let s = f.lu("drive0").unwrap().stream().unwrap();
        assert_eq!(s.position(), Ok(2));
        s.write_filemarks(1).unwrap();
        rewind(&t(&f, "drive0"));
        assert_eq!(s.read(), Ok(StreamRead::Record(a.clone())));
    }
    {
        let f = build(&dir);
        let s = f.lu("drive0").unwrap().stream().unwrap();
        assert_eq!(s.position(), Ok(1));
        assert_eq!(s.read(), Ok(StreamRead::Record(b)));
        assert_eq!(s.read(), Ok(StreamRead::Filemark));
        assert_eq!(s.read(), Ok(StreamRead::EndOfData));
    }
}

/// `tape setblk` in one command holds in the next, and across an unload
/// and a load: the block length is the drive's, not the cartridge's.
#[test]
fn setblk_survives_a_rebuild_and_a_reload() {
    let dir = tmp_dir("setblk");
    {
        let f = build(&dir);
        // An empty drive keeps its mode too.
        set_block_length(&t(&f, "drive1"), 512);
        move_medium(&t(&f, "lib0"), SLOT1, DRIVE0);
        set_block_length(&t(&f, "drive0"), 4096);
    }
    {
        let f = build(&dir);
        let d = t(&f, "drive0");
        assert_eq!(block_length(&d), 4096);
        assert_eq!(block_length(&t(&f, "drive1")), 512);
        good(&data_out(
            &d,
            &cdb(&Write6Cdb::fixed(3)),
            &pattern(3 * 4096, 3),
        ));
        assert_eq!(
            f.lu("drive0")
                .unwrap()
                .stream()
                .unwrap()
                .fixed_block_length(),
            Some(4096)
        );
    }
    {
        let f = build(&dir);
        let d = t(&f, "drive0");
        assert_eq!(block_length(&d), 4096);
        assert_eq!(position(&d), 3);
        let lib = t(&f, "lib0");
        move_medium(&lib, DRIVE0, SLOT1);
        move_medium(&lib, SLOT1, DRIVE0);
        assert_eq!(block_length(&d), 4096);
        assert_eq!(position(&d), 0);
    }
    {
        let f = build(&dir);
        let d = t(&f, "drive0");
        assert_eq!(block_length(&d), 4096);
        let (c, buf) = data_in(&d, &cdb(&Read6Cdb::fixed(3)), 3 * 4096);
        good(&c);
        assert_eq!(buf, pattern(3 * 4096, 3));
        set_block_length(&d, 0);
    }
    let f = build(&dir);
    assert_eq!(block_length(&t(&f, "drive0")), 0);
}

/// `tape fsf` / `fsr` / `read` in one command, the next one carries on
/// from there.
#[test]
fn the_position_after_space_and_read_survives_a_rebuild() {
    let dir = tmp_dir("space");
    let (a, b, c, d) = (
        pattern(100, 1),
        pattern(200, 2),
        pattern(300, 3),
        pattern(400, 4),
    );
    {
        let f = build(&dir);
        move_medium(&t(&f, "lib0"), SLOT1, DRIVE0);
        let t0 = t(&f, "drive0");
        // A, FM, B, C, FM, D
        good(&write_var(&t0, &a));
        good(&filemarks(&t0, 1));
        good(&write_var(&t0, &b));
        good(&write_var(&t0, &c));
        good(&filemarks(&t0, 1));
        good(&write_var(&t0, &d));
        rewind(&t0);
    }
    {
        let f = build(&dir);
        good(&space(&t(&f, "drive0"), SpaceCode::Filemarks, 1));
    }
    {
        let f = build(&dir);
        let t0 = t(&f, "drive0");
        let p = long_position(&t0);
        assert_eq!((p.logical_object_number, p.logical_file_identifier), (2, 1));
        good(&space(&t0, SpaceCode::Blocks, 1));
    }
    {
        let f = build(&dir);
        let t0 = t(&f, "drive0");
        assert_eq!(position(&t0), 3);
        let (done, buf) = read_var(&t0, c.len());
        good(&done);
        assert_eq!(buf, c);
    }
    {
        let f = build(&dir);
        let t0 = t(&f, "drive0");
        let (done, _) = read_var(&t0, 10);
        sense(&done, SenseKey::NoSense, 0x00, 0x01);
        // Backward over the filemark just passed, and B.
        good(&space(&t0, SpaceCode::Filemarks, -1));
        good(&space(&t0, SpaceCode::Blocks, -2));
    }
    {
        let f = build(&dir);
        let t0 = t(&f, "drive0");
        assert_eq!(position(&t0), 2);
        let (done, buf) = read_var(&t0, b.len());
        good(&done);
        assert_eq!(buf, b);
        good(&none(&t0, &cdb(&Locate10Cdb::new(5))));
    }
    let f = build(&dir);
    let t0 = t(&f, "drive0");
    let (done, buf) = read_var(&t0, d.len());
    good(&done);
    assert_eq!(buf, d);
}

/// MOVE MEDIUM loads at BOT, whatever the drive held before; unloading
/// forgets the position, in this process and the next.
#[test]
fn a_reload_by_move_medium_starts_at_bot() {
    let dir = tmp_dir("reload");
    let recs = records();
    {
        let f = build(&dir);
        let lib = t(&f, "lib0");
        move_medium(&lib, SLOT1, DRIVE0);
        let d = t(&f, "drive0");
        for r in &recs[..3] {
            good(&write_var(&d, r));
        }
        move_medium(&lib, DRIVE0, SLOT1);
        move_medium(&lib, SLOT1, DRIVE0);
        let p = long_position(&d);
        assert_eq!(p.logical_object_number, 0);
        assert!(p.flags.contains(LongPositionFlags::BOP), "{p:?}");
        good(&read_var(&d, RECORD).0);
        move_medium(&lib, DRIVE0, SLOT1);
    }
    let state = std::fs::read_to_string(drive_state(&dir)).unwrap();
    assert!(state.contains("\"medium\":null"), "{state}");
    {
        let f = build(&dir);
        move_medium(&t(&f, "lib0"), SLOT1, DRIVE0);
        assert_eq!(position(&t(&f, "drive0")), 0);
        good(&read_var(&t(&f, "drive0"), RECORD).0);
    }
    {
        // Into the other drive: BOT there too.
        let f = build(&dir);
        let lib = t(&f, "lib0");
        assert_eq!(position(&t(&f, "drive0")), 1);
        move_medium(&lib, DRIVE0, DRIVE1);
        assert_eq!(position(&t(&f, "drive1")), 0);
    }
    let f = build(&dir);
    let d1 = t(&f, "drive1");
    assert_eq!(position(&d1), 0);
    read_back(&d1, &recs[..3], false);
}

/// With the position unknown: READ POSITION says so; TEST UNIT READY,
/// MODE SENSE work; READ, WRITE, WRITE FILEMARKS and relative SPACE are
/// refused; nothing on the tape changes.
fn assert_position_unknown(d: &SimTransport) {
    let p = long_position(d);
    assert!(
        p.flags
            .contains(LongPositionFlags::LONU | LongPositionFlags::MPU),
        "{p:?}"
    );
    assert!(!p.flags.contains(LongPositionFlags::BOP), "{p:?}");
    let s = short_position(d);
    assert!(s.flags.contains(ShortPositionFlags::LOLU), "{s:?}");
    good(&none(d, &cdb(&TestUnitReadyCdb::new())));
    block_length(d);
    position_lost(&filemarks(d, 1));
    position_lost(&write_var(d, &[1, 2, 3]));
    position_lost(&read_var(d, RECORD).0);
    position_lost(&space(d, SpaceCode::Blocks, 1));
    position_lost(&space(d, SpaceCode::Filemarks, -1));
    // No motion: nothing to refuse.
    good(&filemarks(d, 0));
    good(&space(d, SpaceCode::Blocks, 0));
}

/// Writes the five records to SEG001L6 in drive0, rewinds and reads one:
/// the drive is at object 1, mid-tape.
fn written_and_mid_tape(dir: &Path) {
    let f = build(dir);
    move_medium(&t(&f, "lib0"), SLOT1, DRIVE0);
    let d = t(&f, "drive0");
    for r in &records() {
        good(&write_var(&d, r));
    }
    rewind(&d);
    good(&read_var(&d, RECORD).0);
    assert_eq!(position(&d), 1);
}

/// A drive state file that cannot be read leaves the position unknown,
/// across further rebuilds too, until REWIND, LOCATE or SPACE to EOD.
#[test]
fn a_corrupt_drive_state_leaves_the_position_unknown() {
    let dir = tmp_dir("corrupt");
    written_and_mid_tape(&dir);
    std::fs::write(drive_state(&dir), "{ \"format\": 1, \"boot\": ").unwrap();
    {
        let f = build(&dir);
        let d = t(&f, "drive0");
        assert_position_unknown(&d);
    }
    {
        // Still unknown in the next process.
        let f = build(&dir);
        let d = t(&f, "drive0");
        assert_position_unknown(&d);
        good(&space(&d, SpaceCode::EndOfData, 0));
        assert_eq!(position(&d), 5);
    }
    {
        let f = build(&dir);
        let d = t(&f, "drive0");
        assert_eq!(position(&d), 5);
        good(&filemarks(&d, 1));
        rewind(&d);
        read_back(&d, &records(), true);
    }
}

/// A drive state that does not match the cartridge in the drive — the
/// tape lost its tail, someone else wrote the file, the position is past
/// EOD, the machine restarted, another cartridge — leaves the position
/// unknown: nothing is written anywhere until the host says where.
#[test]
fn a_stale_drive_state_leaves_the_position_unknown() {
    type Spoil = fn(&Path);
    let cases: [(&str, Spoil); 5] = [
        ("tail", |dir| {
            // A crash lost the last record: the saved position (1) is
            // still on the tape, but the tape is not what was saved.
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(tape_file(dir))
                .unwrap();
            let len = f.metadata().unwrap().len();
            f.set_len(len - 1000).unwrap();
        }),
        ("rewritten", |dir| {
            // Same objects, same lengths, other bytes, a later write.
            use std::os::unix::fs::FileExt;
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(tape_file(dir))
                .unwrap();
            f.write_all_at(b"someone else", 64 + 8).unwrap();
            f.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000))
                .unwrap();
        }),
        ("past-eod", |dir| {
            edit_state(dir, |v| v["medium"]["position"] = 99.into());
        }),
        ("rebooted", |dir| {
            edit_state(dir, |v| {
                v["boot"] = "00000000-0000-0000-0000-000000000000".into();
            });
        }),
        ("other-cartridge", |dir| {
            edit_state(dir, |v| v["medium"]["barcode"] = "SEG002L6".into());
        }),
    ];
    for (name, spoil) in cases {
        let dir = tmp_dir(&format!("stale-{name}"));
        written_and_mid_tape(&dir);
        {
            // A mode to lose (or keep).
            let f = build(&dir);
            set_block_length(&t(&f, "drive0"), 1024);
        }
        let tape_before = std::fs::read(tape_file(&dir)).unwrap();
        spoil(&dir);
        let f = build(&dir);
        let d = t(&f, "drive0");
        // As the build found it (a torn tail is cut when the file opens).
        let tape_built = std::fs::read(tape_file(&dir)).unwrap();
        if !matches!(name, "tail" | "rewritten") {
            assert!(tape_built == tape_before, "{name}");
        }
        assert_position_unknown(&d);
        // A restarted machine is a power cycle: the mode is back to its
        // default too. Otherwise the mode stays.
        let want_bl = if name == "rebooted" { 0 } else { 1024 };
        assert_eq!(block_length(&d), want_bl, "{name}");
        let after = std::fs::read(tape_file(&dir)).unwrap();
        assert!(after == tape_built, "{name}: nothing written");
        // The host says where: it works again.
        rewind(&d);
        assert_eq!(position(&d), 0, "{name}");
        good(&read_var(&d, RECORD).0);
    }
}

fn edit_state(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let path = drive_state(dir);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
}

/// The file is one fixed-length record, rewritten in place.
#[test]
fn the_drive_state_file() {
    let dir = tmp_dir("file");
    written_and_mid_tape(&dir);
    let text = std::fs::read_to_string(drive_state(&dir)).unwrap();
    assert_eq!(text.len(), 512);
    assert!(text.ends_with(" \n"), "{text:?}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format"], 1);
    assert_eq!(v["block_length"], 0);
    assert_eq!(v["medium"]["barcode"], "SEG001L6");
    assert_eq!(v["medium"]["partition"], 0);
    assert_eq!(v["medium"]["position"], 1);
    assert_eq!(v["medium"]["tape"]["objects"], 5);
    let tape_len = std::fs::metadata(tape_file(&dir)).unwrap().len();
    assert_eq!(v["medium"]["tape"]["file_length"], tape_len);
    // An empty drive's state.
    let f = build(&dir);
    set_block_length(&t(&f, "drive1"), 2048);
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(lib_state(&dir).join("drives/drive1.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(v["block_length"], 2048);
    assert!(v["medium"].is_null());
}
