//! The tape drive's state that persists between processes.
//!
//! Every `segcopy` command is a new process that builds the drive again. A
//! real drive keeps, while it has power and the cartridge stays loaded,
//! its logical position and its MODE SELECT parameters, so `mt`-style
//! sequences (write, then `weof` in the next command) append where the
//! last command stopped. With [`SimTapeDrive::keep_state`] (a library
//! with a state directory calls it for its drives) the drive keeps them in
//! a file, one JSON record padded to 512 bytes:
//!
//! ```text
//! {"format":1,"boot":"<boot id>","block_length":0,"buffered_mode":1,
//!  "medium":{"barcode":"SEG001L6","partition":0,"position":12,
//!            "tape":{"objects":12,"filemarks":0,"used":3145728,
//!                    "file_length":3145888,"modified":[1718000000,123456789]}}}
//! ```
//!
//! `position` is the logical object number (BOP is 0, EOD is
//! `tape.objects`; `null` while unknown); `tape` is the cartridge as it was
//! then. The record is rewritten after every command and data-path call
//! that changes it (a compare first, so READ POSITION or INQUIRY write
//! nothing) by one `pwrite` at offset 0 and no fsync: no process crash can
//! tear a write that small, and the only thing a machine crash could tear
//! or lose is ignored anyway, because `boot` (Linux's boot id) differs
//! after any restart of the machine — a power cycle, after which a drive
//! has forgotten its mode and its position. The tape's `fsync` points stay
//! those of the cartridge file.
//!
//! [`SimTapeDrive::resume`] restores the position for a cartridge still in
//! the drive only if everything matches: same barcode, the same objects,
//! bytes, file length and modification time (a crash that cut the tape's
//! tail, or someone else writing the file, changes them), a position
//! within the data. Otherwise — a state file that is corrupt, of another
//! format, of another cartridge, of an earlier boot, or missing — it warns
//! and the position is unknown: READ, WRITE, WRITE FILEMARKS and SPACE over
//! blocks or filemarks are MEDIUM ERROR, SEQUENTIAL POSITIONING ERROR
//! (3B/00) and READ POSITION reports LOLU (LONU and MPU in the long form)
//! until REWIND, LOCATE or SPACE to end of data sets one. This is what
//! Linux's st driver does after a reset with a tape loaded (it refuses
//! I/O while `pos_unknown`); falling back to BOP instead would let the
//! next WRITE FILEMARKS erase the whole tape. A load ([`SimTapeDrive::load`],
//! MOVE MEDIUM) starts at BOP and an unload forgets the position; the
//! block length and buffered mode stay across both, as a drive's mode
//! parameters do. A drive whose state is not kept (standalone drives of a
//! site, drives of a library without a state directory) forgets everything
//! with the process, as before.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use super::{block_limits, Cartridge, DriveState, SimTapeDrive};
use crate::sim::{open_state_file, state_error, SimError};

/// What a drive's saved state remembers of the cartridge it holds, so that
/// a cartridge changed since (by a crash that cut its tail, or by someone
/// else) is noticed: any difference means the saved position cannot be
/// trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Fingerprint {
    /// Logical objects: the object number of EOD.
    pub(super) objects: u64,
    /// Filemarks.
    pub(super) filemarks: u64,
    /// Capacity used, in bytes.
    pub(super) used: u64,
    /// Length of the cartridge file (none in memory).
    pub(super) file_length: Option<u64>,
    /// Modification time of the cartridge file, seconds and nanoseconds.
    pub(super) modified: Option<[i64; 2]>,
}

// ---------------------------------------------------------------------------
// What a drive keeps while it has power.

/// Drive state file format version.
const STATE_FORMAT: u32 = 1;
/// Length of a drive state record: JSON padded with spaces and ended by a
/// newline, so the file is rewritten in place by one `pwrite`.
const STATE_RECORD_LEN: usize = 512;
/// Why a cartridge has no saved position when nothing else says why.
pub(super) const NOTHING_SAVED: &str = "no drive state was saved for it";

/// A drive's state as saved (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SavedDrive {
    /// [`STATE_FORMAT`].
    format: u32,
    /// The machine's boot id when it was saved: a drive keeps its state
    /// while it has power, and a restarted machine is a power cycle.
    boot: Option<String>,
    /// Block length (0: variable-block mode).
    block_length: u32,
    /// BUFFERED MODE.
    buffered_mode: u8,
    /// The cartridge loaded, if any.
    medium: Option<SavedMedium>,
}

/// The loaded cartridge and the position on it, as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct SavedMedium {
    /// Its barcode.
    barcode: String,
    /// Partition number (always 0: one partition is simulated).
    partition: u32,
    /// Logical object number; none when the position was unknown. BOP is
    /// 0 and EOD is `tape.objects`.
    pub(super) position: Option<u64>,
    /// The cartridge as it was when saved.
    tape: Fingerprint,
}

/// The open drive state file.
pub(super) struct StateFile {
    path: PathBuf,
    file: Flock<File>,
    /// This machine's boot id.
    boot: Option<String>,
    /// What the file holds; none when unknown (it is rewritten).
    last: Option<SavedDrive>,
    /// The file's length.
    len: u64,
}

impl std::fmt::Debug for StateFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateFile")
            .field("path", &self.path)
            .field("last", &self.last)
            .finish()
    }
}

impl StateFile {
    /// Rewrites the record in place.
    fn write(&mut self, record: &SavedDrive) -> std::io::Result<()> {
        let mut buf = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        let n = buf.len().max(STATE_RECORD_LEN - 1);
        buf.resize(n, b' ');
        buf.push(b'\n');
        self.file.write_all_at(&buf, 0)?;
        let len = buf.len() as u64;
        if len < self.len {
            self.file.set_len(len)?;
        }
        self.len = len;
        Ok(())
    }
}

/// This machine's boot id (Linux), which changes at every boot.
fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A fingerprint in words, for warnings.
fn describe(f: &Fingerprint) -> String {
    let mut s = format!(
        "{} objects, {} filemarks, {} bytes",
        f.objects, f.filemarks, f.used
    );
    if let Some(len) = f.file_length {
        s.push_str(&format!(", a file of {len} bytes"));
    }
    if let Some([sec, nsec]) = f.modified {
        s.push_str(&format!(" modified at {sec}.{nsec:09}"));
    }
    s
}

/// The position a saved state gives `cartridge`, or why it gives none.
pub(super) fn saved_position(
    saved: Result<SavedMedium, String>,
    cartridge: &Cartridge,
) -> Result<u64, String> {
    let m = saved?;
    if m.barcode != cartridge.barcode {
        return Err(format!("its saved state is of cartridge {}", m.barcode));
    }
    if m.partition != 0 {
        return Err(format!(
            "its saved position is in partition {}, and only partition 0 is simulated",
            m.partition
        ));
    }
    let Some(p) = m.position else {
        return Err("it was already unknown when the last command ended".into());
    };
    let now = cartridge.fingerprint();
    if p > now.objects {
        return Err(format!(
            "its saved position, object {p}, is past end of data (object {})",
            now.objects
        ));
    }
    if m.tape != now {
        return Err(format!(
            "the cartridge changed since the state was saved (then: {}; now: {})",
            describe(&m.tape),
            describe(&now)
        ));
    }
    Ok(p)
}

impl SimTapeDrive {
    /// Keeps the drive's state in the file at `path` (created if missing,
    /// held with an exclusive lock): the block length and buffered mode
    /// MODE SELECT set and, while a cartridge is loaded, its barcode, a
    /// fingerprint of it and the logical position. The file is rewritten
    /// after every command or data-path call that changes any of them.
    ///
    /// What the file holds is restored now: the block length and buffered
    /// mode, unless the machine restarted since they were saved (a real
    /// drive forgets them at power-off); the position is kept for
    /// [`SimTapeDrive::resume`]. A file that cannot be read is reported
    /// with a warning and treated as a power cycle: defaults, and no
    /// position to resume.
    pub fn keep_state(&self, path: &Path) -> Result<(), SimError> {
        let file = open_state_file(path, "the drive state file")?;
        let file = Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
            state_error(
                path,
                format!(
                    "the drive state file is in use by another process ({errno}); \
                     one process at a time serves a simulated drive"
                ),
            )
        })?;
        let mut text = Vec::new();
        (&*file)
            .read_to_end(&mut text)
            .map_err(|e| state_error(path, format!("cannot read the drive state file: {e}")))?;
        let boot = boot_id();
        let mut st = self.lock();
        st.saved = Err(NOTHING_SAVED.into());
        let unreadable = |why: String| {
            log::warn!(
                "{}: cannot use the drive state ({why}); the drive starts with its \
                 defaults",
                path.display()
            );
            format!(
                "its saved state in {} could not be used ({why})",
                path.display()
            )
        };
        if !text.iter().all(u8::is_ascii_whitespace) {
            let parsed = serde_json::from_slice::<SavedDrive>(&text)
                .map_err(|e| format!("line {}, column {}: {e}", e.line(), e.column()));
            st.saved = match parsed {
                Err(why) => Err(unreadable(why)),
                Ok(d) if d.format != STATE_FORMAT => Err(unreadable(format!(
                    "format {} is not supported (only {STATE_FORMAT})",
                    d.format
                ))),
                Ok(d) if d.block_length != 0 && !block_limits().allows(d.block_length) => {
                    Err(unreadable(format!(
                        "block length {} is outside the block limits",
                        d.block_length
                    )))
                }
                Ok(d) if d.buffered_mode > 2 => Err(unreadable(format!(
                    "buffered mode {} is not 0, 1 or 2",
                    d.buffered_mode
                ))),
                Ok(d) if d.boot != boot => {
                    log::info!(
                        "{}: the machine restarted since the drive state was saved; \
                         the drive starts with its defaults",
                        path.display()
                    );
                    Err("the machine restarted since its state was saved \
                         (a drive forgets its position at power-off)"
                        .into())
                }
                Ok(d) => {
                    st.block_length = d.block_length;
                    st.buffered_mode = d.buffered_mode;
                    d.medium
                        .ok_or_else(|| "its saved state says the drive was empty".into())
                }
            };
        }
        st.keeper = Some(StateFile {
            path: path.to_path_buf(),
            file,
            boot,
            last: None,
            len: text.len() as u64,
        });
        Ok(())
    }

    /// Saves the state if it is kept and has changed since last saved: one
    /// `pwrite` of a [`STATE_RECORD_LEN`]-byte record at offset 0, no
    /// fsync (see the module documentation). A failure is logged and the
    /// file emptied, so the next process finds no position to trust.
    pub(super) fn persist(&self, st: &mut DriveState) {
        let DriveState {
            cartridge,
            position,
            lost,
            block_length,
            buffered_mode,
            keeper,
            ..
        } = st;
        let Some(k) = keeper.as_mut() else {
            return;
        };
        let position = (!*lost).then_some(*position);
        let unchanged = k.last.as_ref().is_some_and(|l| {
            l.block_length == *block_length
                && l.buffered_mode == *buffered_mode
                && match (&l.medium, cartridge.as_ref()) {
                    (None, None) => true,
                    (Some(m), Some(c)) => {
                        m.position == position
                            && m.barcode == c.barcode
                            && m.tape == c.fingerprint()
                    }
                    _ => false,
                }
        });
        if unchanged {
            return;
        }
        let record = SavedDrive {
            format: STATE_FORMAT,
            boot: k.boot.clone(),
            block_length: *block_length,
            buffered_mode: *buffered_mode,
            medium: cartridge.as_ref().map(|c| SavedMedium {
                barcode: c.barcode.clone(),
                partition: 0,
                position,
                tape: c.fingerprint(),
            }),
        };
        match k.write(&record) {
            Ok(()) => k.last = Some(record),
            Err(e) => {
                log::warn!(
                    "{}: {}: cannot save the drive state: {e}; the next process will not \
                     trust its position",
                    self.identity.name,
                    k.path.display()
                );
                k.last = None;
                if k.file.set_len(0).is_ok() {
                    k.len = 0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::tape::cartridge::tests::block;
    use crate::sim::tape::MAX_BLOCK_LENGTH;

    #[test]
    fn a_saved_position_is_only_for_the_same_unchanged_cartridge() {
        let mut c = Cartridge::memory("T1", 1 << 20, 0);
        for i in 0..3 {
            c.write_at(i, block(10, 1)).unwrap();
        }
        let saved = SavedMedium {
            barcode: "T1".into(),
            partition: 0,
            position: Some(2),
            tape: c.fingerprint(),
        };
        assert_eq!(saved_position(Ok(saved.clone()), &c), Ok(2));
        let at_eod = SavedMedium {
            position: Some(3),
            ..saved.clone()
        };
        assert_eq!(saved_position(Ok(at_eod), &c), Ok(3));
        let why = |m: SavedMedium| saved_position(Ok(m), &c).unwrap_err();
        let other = SavedMedium {
            barcode: "T2".into(),
            ..saved.clone()
        };
        assert!(why(other).contains("of cartridge T2"));
        let partition = SavedMedium {
            partition: 1,
            ..saved.clone()
        };
        assert!(why(partition).contains("partition 1"));
        let unknown = SavedMedium {
            position: None,
            ..saved.clone()
        };
        assert!(why(unknown).contains("already unknown"));
        let past = SavedMedium {
            position: Some(4),
            ..saved.clone()
        };
        assert!(why(past).contains("past end of data (object 3)"));
        let mut tape = saved.tape;
        tape.used += 1;
        let changed = SavedMedium { tape, ..saved };
        assert!(why(changed).contains("changed since"));
        assert_eq!(
            saved_position(Err("no state".into()), &c),
            Err("no state".into())
        );
    }

    #[test]
    fn the_largest_drive_state_fits_one_record() {
        let record = SavedDrive {
            format: STATE_FORMAT,
            boot: Some("4a665fcb-6dd0-4d12-8648-00ab45861c33".into()),
            block_length: MAX_BLOCK_LENGTH,
            buffered_mode: 2,
            medium: Some(SavedMedium {
                barcode: "X".repeat(32),
                partition: u32::MAX,
                position: Some(u64::MAX),
                tape: Fingerprint {
                    objects: u64::MAX,
                    filemarks: u64::MAX,
                    used: u64::MAX,
                    file_length: Some(u64::MAX),
                    modified: Some([i64::MIN, i64::MIN]),
                },
            }),
        };
        let n = serde_json::to_vec(&record).unwrap().len();
        assert!(n < STATE_RECORD_LEN, "{n} bytes");
    }
}
