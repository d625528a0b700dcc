//! LIO's configfs tree (`/sys/kernel/config/target`), as `targetcli` and
//! the kernel's Documentation/target/tcmu-design.rst drive it: user
//! backstores (`core/user_N/NAME`), tcm_loop targets (`loopback/naa.…`)
//! and iSCSI targets (`iscsi/iqn.…`), each LUN a symbolic link to its
//! backstore.
//!
//! Everything made here is written down as it is made and taken down in
//! the reverse order by [`Tree::teardown`] (and on drop), so a `serve`
//! that stops — by a signal or an error half way through set-up — leaves
//! configfs as it found it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where configfs puts LIO.
pub const TARGET: &str = "/sys/kernel/config/target";

/// A configfs operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigfsError {
    /// configfs is not mounted, or LIO's target_core_mod is not loaded.
    #[error(
        "{} does not exist: mount configfs (mount -t configfs none /sys/kernel/config) \
         and load target_core_mod",
        root.display()
    )]
    NoTarget {
        /// The directory looked for.
        root: PathBuf,
    },
    /// An operation on a configfs file or directory failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done (`mkdir`, `writing 1 to`…).
        what: String,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Something the kernel was to make did not appear in time.
    #[error("{what} did not appear within {seconds} s")]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        seconds: u64,
    },
}

/// One step to undo.
#[derive(Debug)]
enum Undo {
    Rmdir(PathBuf),
    Unlink(PathBuf),
    /// Write this value (`0` to `enable`).
    Write(PathBuf, String),
}

/// The part of configfs this process made.
#[derive(Debug)]
pub struct Tree {
    root: PathBuf,
    undo: Vec<Undo>,
}

impl Tree {
    /// LIO's tree at `root` (normally [`TARGET`]).
    pub fn open(root: &Path) -> Result<Tree, ConfigfsError> {
        if !root.join("core").is_dir() {
            return Err(ConfigfsError::NoTarget {
                root: root.to_path_buf(),
            });
        }
        Ok(Tree {
            root: root.to_path_buf(),
            undo: Vec::new(),
        })
    }

    /// The tree's root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn io(what: impl Into<String>, path: &Path) -> impl FnOnce(io::Error) -> ConfigfsError {
        let (what, path) = (what.into(), path.to_path_buf());
        move |source| ConfigfsError::Io { what, path, source }
    }

    /// Makes `path` (relative to the root) and records it to be removed.
    pub fn mkdir(&mut self, rel: &str) -> Result<PathBuf, ConfigfsError> {
        let path = self.root.join(rel);
        fs::create_dir(&path).map_err(Self::io("making", &path))?;
        self.undo.push(Undo::Rmdir(path.clone()));
        Ok(path)
    }

    /// Makes `rel` unless it is there (then it is not ours to remove).
    pub fn mkdir_if_missing(&mut self, rel: &str) -> Result<(), ConfigfsError> {
        if self.root.join(rel).is_dir() {
            return Ok(());
        }
        self.mkdir(rel).map(|_| ())
    }

    /// Writes `value` into the attribute `rel` (not undone).
    pub fn write(&self, rel: &str, value: &str) -> Result<(), ConfigfsError> {
        let path = self.root.join(rel);
        fs::write(&path, value).map_err(Self::io(format!("writing {value:?} to"), &path))
    }

    /// Writes `value` into `rel`, and `undo` into it when taken down.
    pub fn write_undone(
        &mut self,
        rel: &str,
        value: &str,
        undo: &str,
    ) -> Result<(), ConfigfsError> {
        self.write(rel, value)?;
        self.undo
            .push(Undo::Write(self.root.join(rel), undo.to_string()));
        Ok(())
    }

    /// Reads the attribute `rel`, trimmed.
    pub fn read(&self, rel: &str) -> Result<String, ConfigfsError> {
        let path = self.root.join(rel);
        fs::read_to_string(&path)
            .map(|s| s.trim().to_string())
            .map_err(Self::io("reading", &path))
    }

    /// Links `rel` to `to` (both relative to the root): a LUN to its
    /// backstore.
    pub fn link(&mut self, rel: &str, to: &str) -> Result<(), ConfigfsError> {
        let path = self.root.join(rel);
        std::os::unix::fs::symlink(self.root.join(to), &path)
            .map_err(Self::io("linking", &path))?;
        self.undo.push(Undo::Unlink(path));
        Ok(())
    }

    /// The first `prefix_N` (N from 0) not under `dir`: an HBA or target
    /// of our own.
    pub fn free_name(&self, dir: &str, prefix: &str) -> String {
        (0u32..)
            .map(|n| format!("{prefix}{n}"))
            .find(|n| !self.root.join(dir).join(n).exists())
            .unwrap_or_else(|| unreachable!("u32 names run out"))
    }

    /// Takes down everything made, newest first; each failure is logged and
    /// the rest still taken down. Returns how many steps failed.
    pub fn teardown(&mut self) -> usize {
        let mut failed = 0;
        while let Some(u) = self.undo.pop() {
            let r = match &u {
                Undo::Rmdir(p) => remove_dir_retrying(p),
                Undo::Unlink(p) => fs::remove_file(p),
                Undo::Write(p, v) => fs::write(p, v),
            };
            if let Err(e) = r {
                failed += 1;
                log::warn!("taking down {u:?}: {e}");
            }
        }
        failed
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        self.teardown();
    }
}

/// rmdir, retried for a while on EBUSY: a LUN stays busy until the kernel
/// has dropped its last reference (the initiator's scan ending).
fn remove_dir_retrying(p: &Path) -> io::Result<()> {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        match fs::remove_dir(p) {
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(100))
            }
            r => return r,
        }
    }
}

/// Waits up to `limit` for `f` to give something.
pub fn wait_for<T>(
    what: &str,
    limit: Duration,
    mut f: impl FnMut() -> Option<T>,
) -> Result<T, ConfigfsError> {
    let until = Instant::now() + limit;
    loop {
        if let Some(t) = f() {
            return Ok(t);
        }
        if Instant::now() >= until {
            return Err(ConfigfsError::Timeout {
                what: what.to_string(),
                seconds: limit.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_made_is_taken_down_in_reverse() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("core")).unwrap();
        let mut t = Tree::open(dir.path()).unwrap();
        assert_eq!(t.free_name("core", "user_"), "user_0");
        t.mkdir("core/user_0").unwrap();
        assert_eq!(t.free_name("core", "user_"), "user_1");
        t.mkdir("core/user_0/disk").unwrap();
        fs::write(dir.path().join("enable"), "0").unwrap();
        t.write_undone("enable", "1", "0").unwrap();
        assert_eq!(t.read("enable").unwrap(), "1");
        t.mkdir("lun").unwrap();
        t.link("lun/l", "core/user_0/disk").unwrap();
        assert!(dir.path().join("lun/l").is_symlink());
        assert_eq!(t.teardown(), 0);
        assert!(!dir.path().join("core/user_0").exists());
        assert!(!dir.path().join("lun").exists());
        assert!(dir.path().join("core").exists(), "not ours: kept");
        assert_eq!(t.read("enable").unwrap(), "0");
    }

    #[test]
    fn without_lio_it_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let e = Tree::open(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("mount -t configfs") && e.contains("target_core_mod"),
            "{e}"
        );
    }
}
