//! Helpers shared by the integration tests: golden fixtures, and driving
//! devices through `Transport` ([`scsi`]).
#![allow(dead_code)]

pub mod san;
pub mod scsi;
pub mod tape;

use std::path::{Path, PathBuf};

use segcopy::wire::{hexfile, Repr};

/// The repository's `fixtures/` directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every `.hex` fixture of `fixtures/wire/<kind>/`, parsed to bytes, in name
/// order. Panics (failing the test) if the directory is missing or empty.
pub fn wire_fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fixtures_dir().join("wire").join(kind);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "hex"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let bytes = hexfile::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

/// Parses every fixture of `kind` as `R`, emits it into a buffer filled
/// with 0xA5 and checks the bytes are the same. Returns the parsed values.
pub fn round_trip<R: Repr + std::fmt::Debug>(kind: &str) -> Vec<(String, R)> {
    wire_fixtures(kind)
        .into_iter()
        .map(|(name, bytes)| {
            let r = R::parse(&bytes).unwrap_or_else(|e| panic!("{kind}/{name}: {e}"));
            assert_eq!(r.buffer_len(), bytes.len(), "{kind}/{name}: buffer_len");
            let mut out = vec![0xa5u8; bytes.len()];
            r.emit(&mut out)
                .unwrap_or_else(|e| panic!("{kind}/{name}: emit: {e}"));
            assert_eq!(out, bytes, "{kind}/{name}: emit differs from the fixture");
            (name, r)
        })
        .collect()
}
