//! Finding and describing UIO devices through sysfs (`drivers/uio/uio.c`):
//! `/sys/class/uio/uioN/name` and `/sys/class/uio/uioN/maps/map0/size`.

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::Error;

/// What TCMU names its UIO devices: `tcm-user/<hba>/<device>[/<dev_config>]`
/// (`tcmu_update_uio_info` in `drivers/target/target_core_user.c`).
pub(crate) const NAME_PREFIX: &str = "tcm-user/";

/// Whether a UIO name is TCMU's name for `device` on HBA `hba`.
pub(crate) fn name_matches(name: &str, hba: &str, device: &str) -> bool {
    let Some(rest) = name.strip_prefix(NAME_PREFIX) else {
        return false;
    };
    let mut parts = rest.splitn(3, '/');
    parts.next() == Some(hba) && parts.next() == Some(device)
}

/// Parses `maps/mapN/size`: hexadecimal with `0x`, as uio.c prints it.
pub(crate) fn parse_map_size(text: &str) -> Option<usize> {
    let hex = text.trim().strip_prefix("0x")?;
    usize::from_str_radix(hex, 16).ok().filter(|&n| n > 0)
}

/// The sysfs directory of the character device described by `meta`.
pub(crate) fn sysfs_dir(meta: &Metadata) -> PathBuf {
    let rdev = meta.rdev();
    PathBuf::from(format!(
        "/sys/dev/char/{}:{}",
        libc::major(rdev),
        libc::minor(rdev)
    ))
}

/// Reads a sysfs attribute of the device at `path`.
pub(crate) fn read_attr(path: &Path, file: PathBuf) -> Result<String, Error> {
    std::fs::read_to_string(&file).map_err(|source| Error::Sysfs {
        path: path.to_path_buf(),
        file,
        source,
    })
}

/// Scans `root` (normally `/sys/class/uio`) for the device TCMU named
/// `tcm-user/<hba>/<device>/…` and returns `/dev/<its directory name>`.
pub(crate) fn find_in(root: &Path, hba: &str, device: &str) -> Result<PathBuf, Error> {
    let scan = |source| Error::Scan {
        path: root.to_path_buf(),
        source,
    };
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(root).map_err(scan)? {
        let entry = entry.map_err(scan)?;
        if let Some(n) = entry.file_name().to_str() {
            names.push(n.to_string());
        }
    }
    names.sort();
    for dir in names {
        let file = root.join(&dir).join("name");
        match std::fs::read_to_string(&file) {
            Ok(name) if name_matches(name.trim_end_matches('\n'), hba, device) => {
                return Ok(Path::new("/dev").join(dir));
            }
            Ok(_) => {}
            Err(e) => log::debug!("{}: {e}", file.display()),
        }
    }
    Err(Error::NoUio {
        path: root.to_path_buf(),
        hba: hba.to_string(),
        device: device.to_string(),
    })
}
