//! The nodes the kernel made for a served LUN on this host (tcm_loop):
//! from `/sys/class/scsi_device/H:C:T:L/device/`, its `scsi_generic`
//! node and the one of the upper driver that bound it (`sd`'s block
//! device, `st`'s tapes, `ch`'s changer).

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::configfs::{wait_for, ConfigfsError};

/// A LUN's address and nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nodes {
    /// `H:C:T:L`.
    pub hctl: String,
    /// `/dev/sgN`, once `sg` has bound it.
    pub sg: Option<String>,
    /// The upper driver's node: `/dev/sdX`, `/dev/nstN` (non-rewinding),
    /// `/dev/schN`.
    pub node: Option<String>,
}

/// The first entry's name in `dir`, if any.
fn first(dir: &Path, keep: impl Fn(&str) -> bool) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| keep(n))
        .collect();
    names.sort();
    names.into_iter().next()
}

/// The nodes of `hctl` under `sysfs` (normally `/sys`), as they are now.
pub fn find(sysfs: &Path, hctl: &str) -> Option<Nodes> {
    let dev = sysfs.join("class/scsi_device").join(hctl).join("device");
    if !dev.exists() {
        return None;
    }
    let sg = first(&dev.join("scsi_generic"), |_| true).map(|n| format!("/dev/{n}"));
    let node = first(&dev.join("block"), |_| true)
        .or_else(|| {
            first(&dev.join("scsi_tape"), |n| {
                n.starts_with("nst") && !n.ends_with(['a', 'l', 'm'])
            })
        })
        .or_else(|| first(&dev.join("scsi_changer"), |_| true))
        .map(|n| format!("/dev/{n}"));
    Some(Nodes {
        hctl: hctl.to_string(),
        sg,
        node,
    })
}

/// Waits up to `limit` for LUN `lun` of the tcm_loop target at `address`
/// (`H:0:T`, the tpg's `address` attribute) to have its sg node.
pub fn wait(address: &str, lun: u32, limit: Duration) -> Result<Nodes, ConfigfsError> {
    let hctl = format!("{}:{lun}", address.trim());
    wait_for(&format!("SCSI device {hctl}"), limit, || {
        find(Path::new("/sys"), &hctl).filter(|n| n.sg.is_some())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tape_and_a_disk_found_by_their_drivers() {
        let sys = tempfile::tempdir().unwrap();
        let tape = sys.path().join("class/scsi_device/7:0:1:2/device");
        for d in [
            "scsi_generic/sg5",
            "scsi_tape/st0",
            "scsi_tape/nst0",
            "scsi_tape/nst0a",
            "scsi_tape/st0l",
        ] {
            std::fs::create_dir_all(tape.join(d)).unwrap();
        }
        let n = find(sys.path(), "7:0:1:2").unwrap();
        assert_eq!(n.sg.as_deref(), Some("/dev/sg5"));
        assert_eq!(n.node.as_deref(), Some("/dev/nst0"));
        let disk = sys.path().join("class/scsi_device/7:0:1:0/device");
        std::fs::create_dir_all(disk.join("block/sdc")).unwrap();
        let n = find(sys.path(), "7:0:1:0").unwrap();
        assert_eq!((n.sg, n.node.as_deref()), (None, Some("/dev/sdc")));
        assert_eq!(find(sys.path(), "7:0:1:9"), None);
    }
}
