//! Helpers for driving a device through `Transport` in the integration
//! tests: building CDBs, sending them with a data phase, judging the
//! completion, test data and scratch directories.

use std::path::PathBuf;
use std::time::Duration;

use proptest::prelude::*;
use segcopy::transport::{Completion, DataDirection, HostStatus, ScsiStatus, Transport};
use segcopy::wire::sense::{SenseData, SenseKey};
use segcopy::wire::Repr;

/// The time-out tests give every command (nothing in the simulator sleeps).
pub const T: Duration = Duration::from_secs(5);

/// A CDB's bytes.
pub fn cdb<R: Repr>(r: &R) -> Vec<u8> {
    r.to_vec().unwrap()
}

/// Sends `c` with no data phase.
pub fn none(t: &impl Transport, c: &[u8]) -> Completion {
    t.execute(c, DataDirection::None, T).unwrap()
}

/// Sends `c` with a data-in buffer of `len` bytes filled with 0xA5 (so
/// what the device did not write shows), and returns the buffer.
pub fn data_in(t: &impl Transport, c: &[u8], len: usize) -> (Completion, Vec<u8>) {
    let mut buf = vec![0xa5u8; len];
    let done = t
        .execute(c, DataDirection::FromDevice(&mut buf), T)
        .unwrap();
    (done, buf)
}

/// Sends `c` with `data` out.
pub fn data_out(t: &impl Transport, c: &[u8], data: &[u8]) -> Completion {
    t.execute(c, DataDirection::ToDevice(data), T).unwrap()
}

/// Checks GOOD status with no host error.
pub fn good(c: &Completion) {
    assert_eq!(c.status, ScsiStatus::Good, "{c:?}");
    assert_eq!(c.host_status, HostStatus::Ok, "{c:?}");
}

/// Checks CHECK CONDITION and returns the parsed sense.
pub fn check_condition(c: &Completion) -> SenseData {
    assert_eq!(
        c.status,
        ScsiStatus::CheckCondition,
        "expected CHECK CONDITION, got {c:?}"
    );
    SenseData::parse(&c.sense).unwrap()
}

/// Checks CHECK CONDITION with this key/ASC/ASCQ and returns the sense.
pub fn sense(c: &Completion, key: SenseKey, asc: u8, ascq: u8) -> SenseData {
    let s = check_condition(c);
    assert_eq!(s.sense_key(), Some(key), "{s:?}");
    assert_eq!(s.asc_ascq(), Some((asc, ascq)), "{s:?}");
    s
}

/// `len` bytes of a pattern that differs with `seed`.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// An empty scratch directory of this test binary's own, for `test`.
pub fn tmp_dir(test: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-{test}", env!("CARGO_CRATE_NAME")));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Arbitrary CDBs: mostly one of `opcodes` (the device's own, where the
/// interesting paths are), sometimes any byte, then up to `max_tail`
/// arbitrary bytes.
pub fn any_cdb(opcodes: &'static [u8], max_tail: usize) -> impl Strategy<Value = Vec<u8>> {
    let opcode = prop_oneof![
        3 => proptest::sample::select(opcodes),
        1 => any::<u8>(),
    ];
    (opcode, proptest::collection::vec(any::<u8>(), 0..max_tail)).prop_map(|(op, rest)| {
        let mut v = vec![op];
        v.extend(rest);
        v
    })
}
