//! `segcopy demo`: the whole method on a simulated two-path SAN, from
//! nothing — a site in a scratch directory, a disk filled with a known
//! pattern, a backup that loses its primary copy manager mid-way and fails
//! over, the catalog, a restore to a second disk, and the bytes compared.

use std::path::Path;

use crate::catalog::Mode;
use crate::transport::commands::{Scsi, ScsiError};
use crate::transport::fault::mix64;
use crate::transport::Transport;

/// What the demo runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// The disk's size in bytes.
    pub size: u64,
    /// The segment size in bytes.
    pub segment_bytes: u64,
    /// The segment at which the primary copy manager fails (`None`: no
    /// fault).
    pub fault_at: Option<u64>,
    /// Failover or mirror.
    pub mode: Mode,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            size: 256 << 20,
            segment_bytes: 8 << 20,
            fault_at: Some(7),
            mode: Mode::Failover,
        }
    }
}

/// The demo's site file: two disjoint paths (cm0–sw0–drive0 and
/// cm1–sw1–drive1) to one library with four cartridges, the production disk
/// `prod0` and the restore disk `restore0` on both switches, and the fault
/// on `cm0`, with its state in `state/` beside the file.
pub fn site_text(o: &DemoOptions) -> String {
    let mut s = format!(
        r#"# The simulated SAN of `segcopy demo`: two disjoint backup paths.
#   stream 0: cm0 --- sw0 --- drive0      stream 1: cm1 --- sw1 --- drive1
[site]
name = "demo"
state_dir = "state"

[[switch]]
name = "sw0"

[[switch]]
name = "sw1"

[[disk]]
name = "prod0"
capacity = {size}
links = ["sw0", "sw1"]

[[disk]]
name = "restore0"
capacity = {size}
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
slots = 8
drives = ["drive0", "drive1"]
cartridge_capacity = "4 GiB"
cartridges = [
    {{ barcode = "DEMO01L6", slot = 1 }},
    {{ barcode = "DEMO02L6", slot = 2 }},
    {{ barcode = "DEMO03L6", slot = 3 }},
    {{ barcode = "DEMO04L6", slot = 4 }},
]
links = ["sw0", "sw1"]
"#,
        size = o.size
    );
    if let Some(k) = o.fault_at {
        s += &format!(
            r#"
# The primary copy manager fails at segment {k}: COPY ABORTED, THIRD
# PARTY DEVICE FAILURE, as a copy manager reports a target it lost.
[[fault]]
device = "cm0"
segment = {k}
effect = "sense"
sense = "0a/0d/01"
"#
        );
    }
    s
}

/// Writes the site file of `o` in `dir` and returns its path.
pub fn write_site(dir: &Path, o: &DemoOptions) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("site.toml");
    std::fs::write(&path, site_text(o))?;
    Ok(path)
}

/// The pattern's bytes for `len` bytes from byte `at` of the disk: every
/// 8-byte word a hash of its offset, so any block out of place shows.
pub fn pattern(at: u64, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    let mut off = at;
    while v.len() < len {
        v.extend_from_slice(&mix64(off / 8 + 1).to_le_bytes());
        off += 8;
    }
    v.truncate(len);
    v
}

/// The bytes moved per command when filling or comparing.
const CHUNK: usize = 1 << 20;

/// Fills `blocks` blocks of `block_length` of `t` with [`pattern`].
pub fn fill(t: &dyn Transport, block_length: u32, blocks: u64) -> Result<(), ScsiError> {
    let scsi = Scsi::new(t);
    let total = blocks * u64::from(block_length);
    let mut at = 0u64;
    while at < total {
        let n = (CHUNK as u64).min(total - at) as usize;
        scsi.write16(at / u64::from(block_length), block_length, &pattern(at, n))?;
        at += n as u64;
    }
    Ok(())
}

/// The first byte at which `a` and `b` differ over `blocks` blocks, or
/// `None` when they are equal.
pub fn first_difference(
    a: &dyn Transport,
    b: &dyn Transport,
    block_length: u32,
    blocks: u64,
) -> Result<Option<u64>, ScsiError> {
    first_difference_at(a, 0, b, 0, block_length, blocks)
}

/// [`first_difference`] of `blocks` blocks from `a_lba` on `a` and from
/// `b_lba` on `b`: the first differing byte's offset from those LBAs.
pub fn first_difference_at(
    a: &dyn Transport,
    a_lba: u64,
    b: &dyn Transport,
    b_lba: u64,
    block_length: u32,
    blocks: u64,
) -> Result<Option<u64>, ScsiError> {
    let (sa, sb) = (Scsi::new(a), Scsi::new(b));
    let total = blocks * u64::from(block_length);
    let mut at = 0u64;
    let (mut x, mut y) = (vec![0u8; CHUNK], vec![0u8; CHUNK]);
    while at < total {
        let n = (CHUNK as u64).min(total - at) as usize;
        let lba = at / u64::from(block_length);
        sa.read16(a_lba + lba, block_length, &mut x[..n])?;
        sb.read16(b_lba + lba, block_length, &mut y[..n])?;
        if let Some(i) = x[..n].iter().zip(&y[..n]).position(|(p, q)| p != q) {
            return Ok(Some(at + i as u64));
        }
        at += n as u64;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_is_position_dependent() {
        assert_eq!(pattern(0, 16), pattern(0, 16));
        assert_ne!(pattern(0, 8), pattern(8, 8));
        assert_eq!(&pattern(0, 24)[8..], &pattern(8, 16)[..]);
        let s = site_text(&DemoOptions::default());
        let site = crate::site::Site::parse(Path::new("demo.toml"), &s).unwrap();
        assert_eq!(site.fault.len(), 1);
    }
}
