//! Tests of the public surface that need no UIO device.

use std::path::{Path, PathBuf};

use super::*;

fn sysfs(entries: &[(&str, &str)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for (dir, name) in entries {
        let d = root.path().join(dir);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("name"), format!("{name}\n")).unwrap();
    }
    root
}

#[test]
fn find_uio_matches_hba_and_device() {
    let root = sysfs(&[
        ("uio0", "uio_pci_generic"),
        ("uio1", "tcm-user/0/tape0/ssc/x"),
        ("uio2", "tcm-user/1/disk0/file/a/b/c"),
        ("uio3", "tcm-user/0/disk0/file/dev/config/with/slashes"),
        ("uio4", "tcm-user/0/disk1"),
    ]);
    let find = |hba, dev| find_uio_in(root.path(), hba, dev);
    assert_eq!(find("0", "disk0").unwrap(), Path::new("/dev/uio3"));
    assert_eq!(find("1", "disk0").unwrap(), Path::new("/dev/uio2"));
    assert_eq!(find("0", "tape0").unwrap(), Path::new("/dev/uio1"));
    // No dev_config: the name has no trailing part.
    assert_eq!(find("0", "disk1").unwrap(), Path::new("/dev/uio4"));
    let e = find("0", "disk").unwrap_err();
    assert!(matches!(e, Error::NoUio { .. }), "{e}");
    let s = e.to_string();
    assert!(s.contains("tcm-user/0/disk"), "{s}");
    assert!(s.contains("core/user_0/disk"), "{s}");
    let e = find_uio_in(&root.path().join("absent"), "0", "disk0").unwrap_err();
    assert!(matches!(e, Error::Scan { .. }), "{e}");
}

#[test]
fn uio_names_and_map_sizes() {
    assert!(uio::name_matches("tcm-user/0/d/cfg", "0", "d"));
    assert!(uio::name_matches("tcm-user/0/d", "0", "d"));
    assert!(!uio::name_matches("tcm-user/0/dd/cfg", "0", "d"));
    assert!(!uio::name_matches("tcm-user/10/d/cfg", "0", "d"));
    assert!(!uio::name_matches("tcm-usr/0/d/cfg", "0", "d"));
    assert_eq!(uio::parse_map_size("0x40800000\n"), Some(0x4080_0000));
    assert_eq!(uio::parse_map_size("0x0\n"), None);
    assert_eq!(uio::parse_map_size("1024\n"), None);
    assert_eq!(uio::parse_map_size("0xzz"), None);
}

#[test]
fn open_refuses_what_is_not_a_uio_device() {
    let e = Ring::open(Path::new("/dev/uio-does-not-exist")).unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    assert!(
        e.to_string().starts_with("/dev/uio-does-not-exist: "),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let e = Ring::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotUio {
                what: "a directory",
                ..
            }
        ),
        "{e}"
    );
    let f = dir.path().join("plain");
    std::fs::write(&f, b"x").unwrap();
    let e = Ring::open(&f).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotUio {
                what: "a regular file",
                ..
            }
        ),
        "{e}"
    );
    // A character device that is not UIO.
    let e = Ring::open(Path::new("/dev/null")).unwrap_err();
    assert!(matches!(e, Error::NotUio { .. }), "{e}");
    assert!(e.to_string().contains("give a /dev/uioN path"), "{e}");
}

#[test]
fn open_error_names_the_device() {
    let e = open_error(
        PathBuf::from("/dev/uio3"),
        std::io::Error::from_raw_os_error(libc::EACCES),
    );
    assert!(
        e.to_string().starts_with("/dev/uio3: permission denied"),
        "{e}"
    );
    let e = open_error(
        PathBuf::from("/dev/uio3"),
        std::io::Error::from_raw_os_error(libc::EIO),
    );
    assert!(matches!(e, Error::Open { .. }), "{e}");
}

#[test]
fn ring_is_send_and_sync() {
    fn both<T: Send + Sync>() {}
    both::<Ring>();
}

#[test]
fn tmr_kinds_round_trip() {
    for v in 0..=255u8 {
        assert_eq!(TmrKind::from_raw(v).to_raw(), v);
    }
    assert_eq!(TmrKind::from_raw(1), TmrKind::AbortTask);
    assert_eq!(TmrKind::from_raw(128), TmrKind::LunResetPro);
    assert_eq!(TmrKind::from_raw(0), TmrKind::Unknown(0));
}

#[test]
fn responses() {
    assert_eq!(
        Response::good(),
        Response {
            status: 0,
            sense: &[],
            read_len: None
        }
    );
    let sense = [0x70, 0, 5];
    let r = Response::check_condition(&sense);
    assert_eq!((r.status, r.sense), (2, &sense[..]));
    assert_eq!(SENSE_BUFFER_LEN, 96);
}

#[test]
fn corrupt_ring_message_says_what_to_do() {
    let e = Error::CorruptRing {
        path: PathBuf::from("/dev/uio0"),
        offset: 0x80,
        problem: Corruption::ZeroLength,
    };
    let s = e.to_string();
    assert!(s.starts_with("/dev/uio0: the TCMU command ring is corrupt at ring offset 0x80: an entry of length 0;"), "{s}");
    assert!(s.contains("reset_ring"), "{s}");
}
