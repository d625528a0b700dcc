//! The simulator's LIO profile answers the EXTENDED COPY behaviour table
//! exactly as the lab's LIO did: the same outcome and the same sense bytes
//! for every case recorded in `fixtures/lio/behaviour.tsv`, and the same
//! OPERATING PARAMETERS bytes as captured in `fixtures/lio/`.

mod common;

use std::path::Path;

use segcopy::conformance::{self, Lun, Setup};
use segcopy::engine::xcopy::endpoint;
use segcopy::sim::cm::Profile;
use segcopy::site::Site;
use segcopy::transport::commands::Scsi;
use segcopy::wire::{hexfile, Hex, Repr};

fn lun(fabric: &std::sync::Arc<segcopy::sim::Fabric>, name: &str) -> Lun {
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
    let site = Site::load(&root.join("fixtures/sites/lio-profile.toml")).unwrap();
    let fabric = site.build_fabric().unwrap();
    let setup = Setup {
        cm: lun(&fabric, "cm0"),
        other: lun(&fabric, "lun1"),
        four_k: Some(lun(&fabric, "lun4k")),
    };
    let cm = fabric.transport("cm0").unwrap();
    let rows = conformance::run(&cm, &setup);
    let recorded = conformance::parse_record(
        &std::fs::read_to_string(root.join("fixtures/lio/behaviour.tsv")).unwrap(),
    );
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
