//! The simulator's LIO profile answers the EXTENDED COPY behaviour table
//! exactly as the lab's LIO did: the same outcome and the same sense bytes
//! for every case recorded in `fixtures/lio/behaviour.tsv`, and the same
//! OPERATING PARAMETERS bytes as captured in `fixtures/lio/`.

mod common;

use std::path::Path;
use std::sync::Arc;

use segcopy::conformance::{self, Lun, Setup, Targets};
use segcopy::engine::xcopy::endpoint;
use segcopy::sim::cm::{CopyManager, Profile};
use segcopy::sim::disk::{Backing, SimDisk};
use segcopy::sim::Fabric;
use segcopy::site::Site;
use segcopy::transport::commands::Scsi;
use segcopy::wire::{hexfile, Hex, Repr};

/// The lab's LIO units, simulated: `fixtures/sites/lio-profile.toml` (cm0,
/// lun1, lun4k) and, in the same fabric, `no3pc`, a disk without a copy
/// manager (the lab's LUN with emulate_3pc = 0).
fn lab_fabric(root: &Path) -> Arc<Fabric> {
    let path = root.join("fixtures/sites/lio-profile.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text += "\n[[disk]]\nname = \"no3pc\"\nblock_size = 512\ncapacity = \"128 MiB\"\n";
    Site::parse(&path, &text).unwrap().build_fabric().unwrap()
}

/// A LIO LU of 2^32 + 2048 blocks of 512 bytes (the lab's 2 TiB + 1 MiB
/// LUN), file-backed (sparse) in `dir`, alone in its own fabric: the cases
/// sent to it name no other unit.
fn large_fabric(dir: &Path) -> Arc<Fabric> {
    let disk = SimDisk::new(
        "large",
        512,
        (1 << 32) + 2048,
        Backing::File(dir.join("large.img")),
    )
    .unwrap();
    let id = disk.identity().clone();
    let mut f = Fabric::new();
    f.add(CopyManager::on_disk(disk, id, Profile::lio()))
        .unwrap();
    Arc::new(f)
}

fn lun(fabric: &Arc<Fabric>, name: &str) -> Lun {
    let t = fabric.transport(name).unwrap();
    let e = endpoint(&Scsi::new(&t)).unwrap();
    Lun {
        designator: e.designator,
        block_length: e.block_length,
        capacity_blocks: e.capacity_blocks,
    }
}

#[test]
fn lio_profile_answers_every_recorded_case_as_lio_did() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fabric = lab_fabric(root);
    let dir = tempfile::tempdir().unwrap();
    let big = large_fabric(dir.path());
    let setup = Setup {
        cm: lun(&fabric, "cm0"),
        other: lun(&fabric, "lun1"),
        four_k: Some(lun(&fabric, "lun4k")),
        no_3pc: Some(lun(&fabric, "no3pc")),
        large: Some(lun(&big, "large")),
    };
    let cm = fabric.transport("cm0").unwrap();
    let no_3pc = fabric.transport("no3pc").unwrap();
    let large = big.transport("large").unwrap();
    let rows = conformance::run(
        &Targets {
            cm: &cm,
            no_3pc: Some(&no_3pc),
            large: Some(&large),
        },
        &setup,
    );
    assert!(conformance::skipped(&setup).is_empty());
    let text = std::fs::read_to_string(root.join("fixtures/lio/behaviour.tsv")).unwrap();
    assert!(
        text.starts_with("# captured from LIO (kernel 6.1.0-"),
        "behaviour.tsv must say which kernel's LIO it was captured from"
    );
    let recorded = conformance::parse_record(&text);
    assert!(recorded.len() >= 20, "{} recorded cases", recorded.len());
    let mut compared = 0;
    for rec in &recorded {
        let row = rows
            .iter()
            .find(|r| r.name == rec.name)
            .unwrap_or_else(|| panic!("recorded case {} is not in the table", rec.name));
        let obs = row.observed.as_ref().unwrap();
        assert_eq!(obs.outcome.code(), rec.outcome, "{}: outcome", rec.name);
        assert_eq!(
            Hex(&obs.sense).to_string(),
            rec.sense,
            "{}: sense bytes",
            rec.name
        );
        compared += 1;
    }
    assert_eq!(compared, rows.len(), "every case of the table is recorded");
}

#[test]
fn lio_profile_operating_parameters_are_lio_s_bytes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(root.join("fixtures/lio/rcr-operating-parameters/fileio.hex"))
            .unwrap();
    let lio = hexfile::parse(&text).unwrap();
    assert_eq!(Profile::lio().limits.to_vec().unwrap(), lio);
}
