//! Whether the kernel is using a disk: mounted (itself or a partition),
//! held by device-mapper or md (sysfs `holders/`), or open exclusively by
//! someone (swap, a file system, another program's `O_EXCL`). A restore
//! asks before it writes a real disk: SG_IO goes around the page cache and
//! the file system, so writing a mounted disk would corrupt it silently.

use std::path::{Path, PathBuf};

/// Why the disk behind `dev` (a `/dev/sgN` node, or the `/dev/sdX` block
/// device itself) is in use, in words ("/dev/sdb1 is mounted on /srv"), or
/// `None` if the kernel says nothing uses it — or it is no block device
/// (a tape, a changer).
pub fn check(dev: &Path) -> Option<String> {
    check_in(
        dev,
        Path::new("/sys"),
        Path::new("/proc/self/mountinfo"),
        Path::new("/dev"),
        true,
    )
}

/// [`check`] with the roots given (tests use a fake sysfs); `exclusive`
/// also tries `open(O_EXCL)` on the block devices in `dev_dir`.
pub fn check_in(
    dev: &Path,
    sys: &Path,
    mountinfo: &Path,
    dev_dir: &Path,
    exclusive: bool,
) -> Option<String> {
    let name = dev.file_name()?.to_str()?;
    let disk = if name.starts_with("sg") {
        let dir = sys
            .join("class/scsi_generic")
            .join(name)
            .join("device/block");
        let mut entries = std::fs::read_dir(dir).ok()?;
        entries.next()?.ok()?.file_name().to_str()?.to_string()
    } else {
        name.to_string()
    };
    let block = sys.join("block").join(&disk);
    // The disk and its partitions: name, major:minor, sysfs directory.
    let mut parts: Vec<(String, String, PathBuf)> = Vec::new();
    if let Ok(d) = std::fs::read_to_string(block.join("dev")) {
        parts.push((disk.clone(), d.trim().to_string(), block.clone()));
    }
    if let Ok(entries) = std::fs::read_dir(&block) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(&disk) {
                if let Ok(d) = std::fs::read_to_string(e.path().join("dev")) {
                    parts.push((n, d.trim().to_string(), e.path()));
                }
            }
        }
    }
    parts.sort();
    let mounts = std::fs::read_to_string(mountinfo).unwrap_or_default();
    for (n, majmin, dir) in &parts {
        // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT …
        if let Some(at) = mounts.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(2) == Some(&majmin.as_str())).then(|| f.get(4).copied().unwrap_or("?"))
        }) {
            return Some(format!("/dev/{n} is mounted on {at}"));
        }
        if let Ok(holders) = std::fs::read_dir(dir.join("holders")) {
            let by: Vec<String> = holders
                .flatten()
                .map(|h| h.file_name().to_string_lossy().into_owned())
                .collect();
            if !by.is_empty() {
                return Some(format!("/dev/{n} is held by {}", by.join(", ")));
            }
        }
        if exclusive && busy(&dev_dir.join(n)) {
            return Some(format!(
                "/dev/{n} is open exclusively by another program (a file system, swap, a RAID or another segcopy)"
            ));
        }
    }
    None
}

/// Whether opening `path` with `O_EXCL` (a block device: no one else may
/// have it open exclusively) fails with EBUSY.
fn busy(path: &Path) -> bool {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_EXCL)
        .open(path)
    {
        Ok(_) => false,
        Err(e) => e.raw_os_error() == Some(libc::EBUSY),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake sysfs with sg2 → sdb (8:16) and its partition sdb1 (8:17).
    fn fake() -> tempfile::TempDir {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path();
        std::fs::create_dir_all(p.join("sys/class/scsi_generic/sg2/device/block/sdb")).unwrap();
        std::fs::create_dir_all(p.join("sys/block/sdb/sdb1/holders")).unwrap();
        std::fs::create_dir_all(p.join("sys/block/sdb/holders")).unwrap();
        std::fs::write(p.join("sys/block/sdb/dev"), "8:16\n").unwrap();
        std::fs::write(p.join("sys/block/sdb/sdb1/dev"), "8:17\n").unwrap();
        std::fs::write(p.join("mountinfo"), "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n").unwrap();
        d
    }

    fn ask(d: &Path, dev: &str) -> Option<String> {
        check_in(
            Path::new(dev),
            &d.join("sys"),
            &d.join("mountinfo"),
            &d.join("dev"),
            false,
        )
    }

    #[test]
    fn a_disk_nothing_uses() {
        let d = fake();
        assert_eq!(ask(d.path(), "/dev/sg2"), None);
        assert_eq!(ask(d.path(), "/dev/sdb"), None);
        // A tape (no block device) is never "in use" here.
        assert_eq!(ask(d.path(), "/dev/sg7"), None);
    }

    #[test]
    fn a_mounted_partition() {
        let d = fake();
        std::fs::write(
            d.path().join("mountinfo"),
            "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n40 22 8:17 / /srv/data rw - xfs /dev/sdb1 rw\n",
        )
        .unwrap();
        assert_eq!(
            ask(d.path(), "/dev/sg2").as_deref(),
            Some("/dev/sdb1 is mounted on /srv/data")
        );
    }

    #[test]
    fn a_disk_held_by_device_mapper() {
        let d = fake();
        std::fs::create_dir_all(d.path().join("sys/block/sdb/holders/dm-0")).unwrap();
        assert_eq!(
            ask(d.path(), "/dev/sg2").as_deref(),
            Some("/dev/sdb is held by dm-0")
        );
    }
}
