//! `segcopy inventory [--json]` and `segcopy inventory set`, run as the
//! binary on a SQLite catalog.

mod common;

use std::process::{Command, Output};

use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{this_process, Claim, Store};

fn segcopy(catalog: &str, args: &[&str]) -> Output {
    let site = common::fixtures_dir().join("sites/two-path.toml");
    Command::new(env!("CARGO_BIN_EXE_segcopy"))
        .arg("--site")
        .arg(site)
        .args(["--catalog", catalog])
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn inventory_shows_state_holder_and_stream_and_set_marks() {
    let dir = common::scsi::tmp_dir("inventory");
    let file = dir.join("catalog.sqlite");
    let url = format!("sqlite:{}", file.display());
    let store = SqliteStore::open(&file).unwrap();
    // This test process holds drive0 for stream 1 (it is alive: no reap).
    let h = store.register(&this_process("backup 7", None)).unwrap();
    store
        .claim(
            h.id,
            &[Claim {
                resource: "drive0".into(),
                stream: 1,
                exclusive: true,
            }],
        )
        .unwrap();

    let out = segcopy(
        &url,
        &[
            "inventory",
            "set",
            "SEG004L6",
            "unusable",
            "--reason",
            "worn out",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "SEG004L6 is now unusable: worn out\n");

    let out = segcopy(&url, &["inventory"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    let line = |name: &str| {
        listing
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} in\n{listing}"))
            .to_string()
    };
    let header = listing.lines().nth(1).unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["NAME", "KIND", "STATE", "HOLDER", "STREAM"]
    );
    let d0 = line("drive0");
    assert!(
        d0.contains("in use") && d0.contains("backup 7 (pid "),
        "{d0}"
    );
    assert!(d0.trim_end().ends_with(" 1"), "{d0}");
    assert!(line("SEG004L6").contains("unusable: worn out"));
    assert!(line("drive1").contains("usable"));
    assert!(line("cm0--sw0").contains("link"));

    let out = segcopy(&url, &["inventory", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d0 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "drive0")
        .unwrap();
    assert_eq!(d0["kind"], "drive");
    assert_eq!(d0["library"], "lib0");
    assert_eq!(d0["state"]["in-use"][0]["stream"], 1);
    assert_eq!(d0["state"]["in-use"][0]["holder"]["purpose"], "backup 7");

    let out = segcopy(&url, &["inventory", "set", "SEG004L6", "usable"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(store.unusable().unwrap().is_empty());

    let out = segcopy(&url, &["inventory", "set", "drive9", "unusable"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("segcopy: drive9 is not a resource of ")
            && err.contains("known: prod0, restore0, cm0"),
        "{err}"
    );
}
