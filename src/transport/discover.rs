//! Finding SCSI devices on this host and telling what each one is.
//!
//! [`scan_sg`] lists `/dev/sg*` (with what sysfs says of each node, which
//! needs no permission); [`Identity::probe`] asks a device its standard
//! INQUIRY, its Device Identification page and, for disks, READ CAPACITY.

use std::path::{Path, PathBuf};

use super::commands::{Scsi, ScsiError};
use super::{SgTransport, TransportError};
use crate::wire::inquiry::{PeripheralDeviceType, StandardInquiry};
use crate::wire::sbc::ReadCapacity16;
use crate::wire::vpd::{Designator, DeviceIdentification};

/// What a device says about itself.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Standard INQUIRY data.
    pub inquiry: StandardInquiry,
    /// The Device Identification page, if the device has one.
    pub identification: Option<DeviceIdentification>,
    /// READ CAPACITY (16), for block devices that answer it.
    pub capacity: Option<ReadCapacity16>,
}

impl Identity {
    /// Asks the device. INQUIRY must work; a VPD 83h page or READ CAPACITY
    /// the device refuses (CHECK CONDITION) is recorded as absent (logged),
    /// not an error; a device that does not answer them at all (a time-out,
    /// a transport failure, a response that does not parse) is an error, so
    /// that "no designator" is never said of a device that did not reply.
    pub fn probe(scsi: &Scsi<'_>) -> Result<Identity, ScsiError> {
        let (inquiry, _) = scsi.inquiry()?;
        let identification = match scsi.device_identification() {
            Ok(p) => Some(p),
            Err(e) if refused(&e) => {
                log::info!("{}: no Device Identification page: {e}", scsi.name());
                None
            }
            Err(e) => return Err(e),
        };
        let capacity = if is_block(inquiry.device_type) {
            match scsi.read_capacity16() {
                Ok(c) => Some(c),
                Err(e) if refused(&e) => {
                    log::info!("{}: READ CAPACITY (16) failed: {e}", scsi.name());
                    None
                }
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        Ok(Identity {
            inquiry,
            identification,
            capacity,
        })
    }

    /// The designator to name this logical unit by in an E4h CSCD.
    pub fn cscd_designator(&self) -> Option<&Designator> {
        self.identification.as_ref()?.best_for_cscd()
    }

    /// Whether the device advertises third-party copy (3PC, so EXTENDED COPY).
    pub fn advertises_xcopy(&self) -> bool {
        self.inquiry.third_party_copy
    }
}

/// Whether the device answered, and refused (CHECK CONDITION): the page or
/// command is not there, as opposed to a device that did not answer.
fn refused(e: &ScsiError) -> bool {
    matches!(
        e.failure(),
        Some(super::commands::Failure::CheckCondition { .. })
    )
}

/// Whether a device type is a block device for EXTENDED COPY purposes.
pub fn is_block(t: PeripheralDeviceType) -> bool {
    crate::wire::cscd::is_block_type(t.bits())
}

/// A `/dev/sgN` node found on this host.
#[derive(Debug)]
pub struct FoundDevice {
    /// The node's path.
    pub path: PathBuf,
    /// `H:C:T:L` from sysfs, if known.
    pub hctl: Option<String>,
    /// The block device (`/dev/sdX`) or other upper-level node, if any.
    pub upper: Option<PathBuf>,
    /// What asking the device gave.
    pub probe: Result<Identity, ScsiError>,
}

/// Lists `/dev/sg*` in numeric order and probes each.
pub fn scan_sg() -> Vec<FoundDevice> {
    scan_sg_in(Path::new("/dev"), Path::new("/sys/class/scsi_generic"))
}

fn scan_sg_in(dev: &Path, sysfs: &Path) -> Vec<FoundDevice> {
    let mut nodes: Vec<(u32, PathBuf)> = std::fs::read_dir(dev)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    let n: u32 = name.strip_prefix("sg")?.parse().ok()?;
                    Some((n, e.path()))
                })
                .collect()
        })
        .unwrap_or_default();
    nodes.sort();
    nodes
        .into_iter()
        .map(|(_, path)| {
            let name = path.file_name().map(|n| n.to_owned()).unwrap_or_default();
            let dir = sysfs.join(&name).join("device");
            let hctl = std::fs::canonicalize(&dir)
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
            let upper = upper_node(&dir);
            let probe = path
                .to_str()
                .ok_or_else(|| {
                    ScsiError::Transport(TransportError::Rejected {
                        device: path.display().to_string(),
                        reason: "the path is not valid UTF-8",
                    })
                })
                .and_then(|p| SgTransport::open(p).map_err(ScsiError::from))
                .and_then(|t| Identity::probe(&Scsi::new(&t)));
            FoundDevice {
                path,
                hctl,
                upper,
                probe,
            }
        })
        .collect()
}

/// The `/dev/sg*` node whose logical unit has the designator `hex` (the
/// value in hex, as `segcopy devices` prints it, with or without `0x`;
/// any case), by probing every node.
pub fn find_by_designator(hex: &str) -> Option<PathBuf> {
    let want = hex.trim_start_matches("0x").to_ascii_lowercase();
    scan_sg().into_iter().find_map(|d| {
        let id = d.probe.as_ref().ok()?;
        let value = id.cscd_designator().map(|x| hex::encode(&x.value))?;
        (value == want).then_some(d.path)
    })
}

/// The `/dev/sdX` (or `/dev/stN`) that sits on the same SCSI device.
fn upper_node(device_dir: &Path) -> Option<PathBuf> {
    for class in ["block", "scsi_tape"] {
        if let Ok(mut d) = std::fs::read_dir(device_dir.join(class)) {
            if let Some(Ok(e)) = d.next() {
                return Some(Path::new("/dev").join(e.file_name()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_dev_finds_nothing() {
        let d = std::env::temp_dir().join(format!("segcopy-scan-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("sda"), b"").unwrap();
        std::fs::write(d.join("sgx"), b"").unwrap();
        assert!(scan_sg_in(&d, &d).is_empty());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_plain_file_named_sg0_is_reported_as_not_scsi() {
        let d = std::env::temp_dir().join(format!("segcopy-scan2-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("sg0"), b"").unwrap();
        let found = scan_sg_in(&d, &d);
        assert_eq!(found.len(), 1);
        let e = found[0].probe.as_ref().unwrap_err().to_string();
        assert!(e.contains("not a SCSI generic or SCSI block device"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
