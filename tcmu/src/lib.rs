//! The userspace side of LIO's TCMU (`target_core_user`) command ring.
//!
//! A LIO user backstore (`core/user_N/NAME` in configfs) hands every SCSI
//! command that LIO does not answer itself to userspace through a UIO
//! device, `/dev/uioN`, named `tcm-user/<hba>/<device>/<dev_config>`
//! ([`find_uio`]). Its single mapping holds, from offset 0:
//!
//! 1. the mailbox (`struct tcmu_mailbox`, 128 bytes): version, capability
//!    flags, where the command ring is, the kernel's `cmd_head` and our
//!    `cmd_tail`;
//! 2. the command ring (`cmdr_size` bytes at `cmdr_off`): CMD, TMR and PAD
//!    entries, each a multiple of 8 bytes, none wrapping (the kernel pads
//!    the end of the ring instead);
//! 3. the data area, up to the end of the mapping, where each command's
//!    iovecs point (as offsets into the mapping, not pointers).
//!
//! This crate follows the kernel's `include/uapi/linux/target_core_user.h`
//! (mailbox version 2; the layout is asserted against that header by
//! `build.rs`) and `drivers/target/target_core_user.c` (`queue_cmd_ring`,
//! `queue_tmr_ring`, `ring_insert_padding`, `tcmu_handle_completions`),
//! `drivers/uio/uio.c` for the device, and tcmu-runner's `libtcmu.c`
//! (`tcmulib_get_next_command`, `tcmulib_command_complete`) for the
//! userspace conventions.
//!
//! # The protocol, as [`Ring`] runs it
//!
//! - The kernel writes an entry at `cmd_head`, advances `cmd_head` with a
//!   release store and signals the UIO device. [`Ring::wait`] polls the
//!   device and reads its event count.
//! - [`Ring::take`] loads `cmd_head` (acquire) and takes every entry from
//!   its peek cursor to the head, skipping PADs, **copying** each
//!   command's CDB and iovecs out of the ring, because out-of-order
//!   completion reuses ring slots.
//! - [`Ring::complete`] (out-of-order completion, `CAP_OOOC`, which the
//!   ring requires): at `cmd_tail` it skips PAD and TMR entries, writes the
//!   completed command's id, status, sense and (with `CAP_READ_LEN`) read
//!   length into the first command slot there — any outstanding command's
//!   slot — and advances `cmd_tail` past it, and past PAD/TMR entries that
//!   follow, with a release store. The tail never passes the peek cursor. [`Ring::kick`] then writes to the device
//!   so that the kernel handles the completions.
//! - A handler that starts finds the entries a previous one left
//!   unanswered: the peek cursor starts at `cmd_tail`, not `cmd_head`.
//!   That is only sound if the previous handler completed in order: a
//!   response written into another command's slot destroys that slot's
//!   request. So [`Ring::complete`] marks a command's own entry when its
//!   response went elsewhere, and a later [`Ring::take`] that meets such a
//!   mark fails with [`Corruption::AnsweredElsewhere`] (reset the ring)
//!   instead of answering a command twice, which breaks the kernel's ring.
//!
//! # What is checked
//!
//! Every offset and length the kernel wrote is checked before use: the
//! mailbox (version 2, `CAP_OOOC`, ring inside the mapping), `cmd_head`
//! and `cmd_tail` (aligned, inside the ring; the head never going back
//! behind entries taken), command ids (unique among outstanding
//! commands), each entry's length (not 0,
//! not past the ring's end, not past the other side's cursor, at least its
//! header), its opcode, its iovec and TMR id counts (they must fit the
//! entry), its CDB (inside the entry; length from the opcode's group code,
//! or 8 + byte 7 for 7Fh) and its iovecs (inside the data area, together
//! no larger than it). A corrupt ring is an [`Error::CorruptRing`], never
//! an out-of-bounds access; [`Ring::take`] is all-or-nothing.
//!
//! # Limits
//!
//! - Only the data iovecs are read and written ([`Ring::data_out`],
//!   [`Ring::data_in`]); bidirectional commands' `bidi_iovs` are reported
//!   but there is no call that fills them.
//! - The kernel backs only the data-area pages of commands in flight; an
//!   iovec inside the data area but over unallocated pages (a corrupt
//!   ring) faults with SIGBUS, which bounds checks cannot see.
//! - A ring reset from configfs (`action/reset_ring`) under a running
//!   handler is not detected; restart the handler after one.
//!
//! # Unsafe code
//!
//! This crate and `sg` are the only places with `unsafe` in the workspace.
//! Here it is confined to the private `mmap` module (`mmap`, `munmap`, and
//! the atomic/volatile accessors of the mapping); the ring logic in the
//! private `ring` module is safe code written once over a small trait, so
//! that the unit tests run it over a heap buffer against a fake kernel.

#![deny(unsafe_code)]

#[cfg(not(target_pointer_width = "64"))]
compile_error!(
    "tcmu supports 64-bit targets only: the ring holds the kernel's 16-byte struct iovec"
);

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

mod layout;
mod mmap;
mod ring;
mod uio;

use mmap::Mapping;
use ring::RingCore;

/// The longest sense data the ring carries (`TCMU_SENSE_BUFFERSIZE`).
pub const SENSE_BUFFER_LEN: usize = layout::SENSE_BUFFERSIZE;

bitflags::bitflags! {
    /// The mailbox's capability flags (`TCMU_MAILBOX_FLAG_CAP_*`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct MailboxFlags: u16 {
        /// Out-of-order completion (required by [`Ring`]).
        const CAP_OOOC = layout::FLAG_CAP_OOOC;
        /// The kernel honours a command's read length ([`Response::read_len`]).
        const CAP_READ_LEN = layout::FLAG_CAP_READ_LEN;
        /// TMR entries may appear (when the backstore's `tmr_notification` is set).
        const CAP_TMR = layout::FLAG_CAP_TMR;
        /// The kernel can keep a command's data buffer after completion (unused here).
        const CAP_KEEP_BUF = layout::FLAG_CAP_KEEP_BUF;
    }
}

/// One data segment of a command: `len` bytes at `offset` in the mapping
/// (the kernel's `struct iovec`, whose base is an offset, not a pointer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Iov {
    /// Offset from the start of the mapping (inside the data area).
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
}

/// A SCSI command taken from the ring, copied out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The kernel's command id (`hdr.cmd_id`), unique among outstanding
    /// commands.
    pub id: u16,
    /// The CDB (6, 10, 12 or 16 bytes, or 8 + n for a variable-length CDB).
    pub cdb: Vec<u8>,
    /// The data buffer: data-out for writes, to be filled for reads.
    pub iovs: Vec<Iov>,
    /// The data-in buffer of a bidirectional command.
    pub bidi_iovs: Vec<Iov>,
    /// Ring offset of the entry it came from (identifies this taking of
    /// the id).
    slot: u32,
}

impl Command {
    /// Bytes in the data iovecs.
    pub fn data_len(&self) -> u64 {
        self.iovs.iter().fold(0u64, |t, i| t.saturating_add(i.len))
    }
}

/// A task management function the kernel reports (`tcmu_tmr_entry`);
/// informational: the affected commands must still be completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tmr {
    /// Which function.
    pub kind: TmrKind,
    /// Ids of the outstanding commands it concerns.
    pub cmd_ids: Vec<u16>,
}

/// `TCMU_TMR_*`: the task management function of a [`Tmr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TmrKind {
    /// ABORT TASK.
    AbortTask,
    /// ABORT TASK SET.
    AbortTaskSet,
    /// CLEAR ACA.
    ClearAca,
    /// CLEAR TASK SET.
    ClearTaskSet,
    /// LOGICAL UNIT RESET.
    LunReset,
    /// TARGET WARM RESET.
    TargetWarmReset,
    /// TARGET COLD RESET.
    TargetColdReset,
    /// A logical unit reset caused by PERSISTENT RESERVE OUT (PREEMPT AND ABORT).
    LunResetPro,
    /// `TCMU_TMR_UNKNOWN` (0) or a value this crate does not know.
    Unknown(u8),
}

impl TmrKind {
    /// Decodes `tmr_type`.
    pub fn from_raw(v: u8) -> TmrKind {
        use layout::*;
        match v {
            TMR_ABORT_TASK => TmrKind::AbortTask,
            TMR_ABORT_TASK_SET => TmrKind::AbortTaskSet,
            TMR_CLEAR_ACA => TmrKind::ClearAca,
            TMR_CLEAR_TASK_SET => TmrKind::ClearTaskSet,
            TMR_LUN_RESET => TmrKind::LunReset,
            TMR_TARGET_WARM_RESET => TmrKind::TargetWarmReset,
            TMR_TARGET_COLD_RESET => TmrKind::TargetColdReset,
            TMR_LUN_RESET_PRO => TmrKind::LunResetPro,
            other => TmrKind::Unknown(other),
        }
    }

    /// The `tmr_type` value.
    pub fn to_raw(self) -> u8 {
        use layout::*;
        match self {
            TmrKind::AbortTask => TMR_ABORT_TASK,
            TmrKind::AbortTaskSet => TMR_ABORT_TASK_SET,
            TmrKind::ClearAca => TMR_CLEAR_ACA,
            TmrKind::ClearTaskSet => TMR_CLEAR_TASK_SET,
            TmrKind::LunReset => TMR_LUN_RESET,
            TmrKind::TargetWarmReset => TMR_TARGET_WARM_RESET,
            TmrKind::TargetColdReset => TMR_TARGET_COLD_RESET,
            TmrKind::LunResetPro => TMR_LUN_RESET_PRO,
            TmrKind::Unknown(v) => v,
        }
    }
}

/// Something the kernel queued: a command, or a TMR notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A SCSI command to answer with [`Ring::complete`].
    Command(Command),
    /// A task management notification (needs no answer).
    Tmr(Tmr),
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    /// SCSI status (SAM-5 §5.3): 00h GOOD, 02h CHECK CONDITION, …
    pub status: u8,
    /// Sense data, at most [`SENSE_BUFFER_LEN`] bytes (longer is cut);
    /// the kernel uses it with CHECK CONDITION.
    pub sense: &'a [u8],
    /// Bytes of data-in actually produced, when fewer than the iovecs
    /// hold; only sent when the mailbox has `CAP_READ_LEN`, and the kernel
    /// ignores 0.
    pub read_len: Option<u32>,
}

impl Response<'static> {
    /// GOOD, no sense, full length.
    pub fn good() -> Self {
        Response {
            status: 0x00,
            sense: &[],
            read_len: None,
        }
    }
}

impl<'a> Response<'a> {
    /// CHECK CONDITION with `sense`.
    pub fn check_condition(sense: &'a [u8]) -> Self {
        Response {
            status: 0x02,
            sense,
            read_len: None,
        }
    }
}

/// What is wrong with the ring (or with a command's iovecs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Corruption {
    /// `cmd_head` is not an aligned offset inside the ring.
    #[error("cmd_head {0:#x} is not an 8-byte aligned offset inside the ring")]
    Head(u32),
    /// `cmd_head` moved back behind entries already taken.
    #[error("cmd_head {head:#x} went back behind the entries taken (up to {peek:#x})")]
    HeadWentBack {
        /// The head read.
        head: u32,
        /// The peek cursor.
        peek: u32,
    },
    /// `cmd_tail` is not an aligned offset inside the ring.
    #[error("cmd_tail {0:#x} is not an 8-byte aligned offset inside the ring")]
    Tail(u32),
    /// An entry of length 0.
    #[error("an entry of length 0")]
    ZeroLength,
    /// An opcode other than PAD, CMD and TMR (also what an entry length
    /// that is not a multiple of 8 turns into: its low bits are the opcode).
    #[error("unknown entry opcode {0}")]
    UnknownOpcode(u8),
    /// An entry that would run past the end of the ring.
    #[error("an entry of {len} bytes runs past the end of the ring ({room} bytes left)")]
    PastRingEnd {
        /// The entry's length.
        len: u32,
        /// Bytes from the entry to the end of the ring.
        room: u32,
    },
    /// An entry that would run past the kernel's head (when taking) or
    /// past the entries taken (when completing).
    #[error("an entry of {len} bytes runs past the other side's cursor ({room} bytes queued)")]
    PastCursor {
        /// The entry's length.
        len: u32,
        /// Bytes to the cursor.
        room: u32,
    },
    /// An entry shorter than its own structure.
    #[error("a {what} entry of {len} bytes is shorter than its {min}-byte structure")]
    TooShort {
        /// "CMD" or "TMR".
        what: &'static str,
        /// The entry's length.
        len: u32,
        /// The structure's size.
        min: usize,
    },
    /// More iovecs than the entry holds.
    #[error("{count} iovecs do not fit in a {len}-byte entry")]
    TooManyIovs {
        /// iov_cnt + iov_bidi_cnt + iov_dif_cnt.
        count: u64,
        /// The entry's length.
        len: u32,
    },
    /// More TMR command ids than the entry holds.
    #[error("{count} command ids do not fit in a {len}-byte TMR entry")]
    TooManyTmrIds {
        /// cmd_cnt.
        count: u32,
        /// The entry's length.
        len: u32,
    },
    /// The CDB does not lie inside its entry.
    #[error("a CDB of {len} bytes at map offset {off:#x} does not lie inside its entry")]
    CdbOutside {
        /// `cdb_off`.
        off: u64,
        /// Bytes of CDB that had to fit.
        len: u64,
    },
    /// An iovec outside the data area.
    #[error("iovec {index} ({len} bytes at map offset {offset:#x}) is not inside the data area")]
    IovOutside {
        /// Its index (data iovecs first, then bidi ones).
        index: usize,
        /// Its base.
        offset: u64,
        /// Its length.
        len: u64,
    },
    /// Iovecs that together exceed the data area.
    #[error("iovecs of {total} bytes in all exceed the {area}-byte data area")]
    DataTooLong {
        /// Their total length.
        total: u64,
        /// The data area's size.
        area: u64,
    },
    /// Two outstanding commands with one id.
    #[error("command id {0} is already outstanding")]
    DuplicateId(u16),
    /// A command entry that an earlier handler answered out of order: the
    /// requests before it on the ring were overwritten by responses and
    /// cannot be answered, so the ring must be reset.
    #[error("command {0} was answered out of order by an earlier handler, whose responses overwrote requests still unanswered")]
    AnsweredElsewhere(u16),
    /// No command slot between the tail and the entries taken, though a
    /// command is outstanding.
    #[error("no command entry between cmd_tail and the entries taken")]
    NoCommandAtTail,
}

/// Why a TCMU ring could not be opened or used. Each names the device.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path does not exist.
    #[error("{}: no such device; give the /dev/uioN of an enabled TCMU user backstore", .path.display())]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// Opening needs read-write access.
    #[error("{}: permission denied; the TCMU handler needs read-write access to the UIO device (run as root)", .path.display())]
    PermissionDenied {
        /// The path given.
        path: PathBuf,
    },
    /// Opening failed with another errno.
    #[error("{}: cannot open: {source}", .path.display())]
    Open {
        /// The path given.
        path: PathBuf,
        /// The errno.
        #[source]
        source: std::io::Error,
    },
    /// The path is not a UIO character device.
    #[error("{}: not a UIO device ({what}); give a /dev/uioN path", .path.display())]
    NotUio {
        /// The path given.
        path: PathBuf,
        /// What it is instead.
        what: &'static str,
    },
    /// A sysfs attribute of the device could not be read.
    #[error("{}: cannot read {}: {source}", .path.display(), .file.display())]
    Sysfs {
        /// The device.
        path: PathBuf,
        /// The attribute file.
        file: PathBuf,
        /// The errno.
        #[source]
        source: std::io::Error,
    },
    /// `maps/map0/size` does not hold a size.
    #[error("{}: {} holds {text:?}, not a map size", .path.display(), .file.display())]
    BadMapSize {
        /// The device.
        path: PathBuf,
        /// The attribute file.
        file: PathBuf,
        /// What it holds.
        text: String,
    },
    /// A UIO device that TCMU did not create.
    #[error("{}: not a TCMU device: its UIO name is {name:?}, not tcm-user/…", .path.display())]
    NotTcmu {
        /// The device.
        path: PathBuf,
        /// Its UIO name.
        name: String,
    },
    /// Another process holds the ring (our exclusive flock failed).
    #[error("{}: another handler holds this TCMU ring; stop it first", .path.display())]
    Busy {
        /// The device.
        path: PathBuf,
    },
    /// mmap failed.
    #[error("{}: cannot map the {len}-byte TCMU region: {source}", .path.display())]
    Map {
        /// The device.
        path: PathBuf,
        /// The size asked for.
        len: usize,
        /// The errno.
        #[source]
        source: std::io::Error,
    },
    /// A mailbox version other than 2.
    #[error("{}: the TCMU mailbox is version {version}; this handler speaks version 2 only", .path.display())]
    UnsupportedVersion {
        /// The device.
        path: PathBuf,
        /// The mailbox's version.
        version: u16,
    },
    /// The kernel does not offer out-of-order completion.
    #[error("{}: the kernel's TCMU lacks out-of-order completion (mailbox flags {flags:#x}), which this handler needs", .path.display())]
    NoOutOfOrder {
        /// The device.
        path: PathBuf,
        /// The mailbox's flags.
        flags: u16,
    },
    /// The mailbox places the ring outside the mapping.
    #[error("{}: the TCMU mailbox is inconsistent: {field} is {value:#x} in a {map_len:#x}-byte mapping", .path.display())]
    BadMailbox {
        /// The device.
        path: PathBuf,
        /// Which field.
        field: &'static str,
        /// Its value.
        value: u64,
        /// The mapping's size.
        map_len: usize,
    },
    /// The kernel's ring holds something impossible; nothing was read out
    /// of bounds.
    #[error("{}: the TCMU command ring is corrupt at ring offset {offset:#x}: {problem}; write 1 to action/reset_ring in the backstore's configfs directory and restart the handler", .path.display())]
    CorruptRing {
        /// The device.
        path: PathBuf,
        /// Ring offset of the bad entry (or the bad cursor's value).
        offset: u32,
        /// What is wrong.
        problem: Corruption,
    },
    /// The command was not taken from this ring, or was completed already.
    #[error("{}: command {id} is not outstanding on this ring (completed already, or taken from another ring)", .path.display())]
    NotOutstanding {
        /// The device.
        path: PathBuf,
        /// The command's id.
        id: u16,
    },
    /// A command's (public, so changeable) iovecs do not describe the data
    /// area.
    #[error("{}: command {id}: {problem}", .path.display())]
    BadCommand {
        /// The device.
        path: PathBuf,
        /// The command's id.
        id: u16,
        /// What is wrong.
        problem: Corruption,
    },
    /// Polling or reading the UIO device failed.
    #[error("{}: cannot wait for the kernel: {source}", .path.display())]
    Wait {
        /// The device.
        path: PathBuf,
        /// The errno.
        #[source]
        source: std::io::Error,
    },
    /// Writing to the UIO device failed.
    #[error("{}: cannot notify the kernel of completions: {source}", .path.display())]
    Kick {
        /// The device.
        path: PathBuf,
        /// The errno.
        #[source]
        source: std::io::Error,
    },
    /// No UIO device carries the backstore's name.
    #[error("{}: no UIO device is named tcm-user/{hba}/{device}; load target_core_user and enable the user backstore core/user_{hba}/{device}", .path.display())]
    NoUio {
        /// The sysfs directory scanned.
        path: PathBuf,
        /// The HBA number asked for.
        hba: String,
        /// The device name asked for.
        device: String,
    },
    /// The sysfs directory of UIO devices could not be listed.
    #[error("{}: cannot list UIO devices: {source}", .path.display())]
    Scan {
        /// The sysfs directory.
        path: PathBuf,
        /// The errno.
        #[source]
        source: std::io::Error,
    },
}

/// An open TCMU command ring: the UIO device, its mapping, and the
/// cursors. `Send + Sync`: cursor updates are serialized by a mutex.
pub struct Ring {
    core: RingCore<Mapping>,
    file: Flock<File>,
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring")
            .field("path", &self.core.path())
            .field("flags", &self.core.flags())
            .finish_non_exhaustive()
    }
}

impl Ring {
    /// Opens `/dev/uioN` of a TCMU backstore: checks it is TCMU's, takes
    /// an exclusive `flock` (one handler per ring), maps its whole region
    /// and checks the mailbox (version 2, out-of-order completion).
    pub fn open(uio: &Path) -> Result<Ring, Error> {
        let path = uio.to_path_buf();
        let meta = std::fs::metadata(&path).map_err(|e| open_error(path.clone(), e))?;
        if !meta.file_type().is_char_device() {
            let what = if meta.is_dir() {
                "a directory"
            } else if meta.is_file() {
                "a regular file"
            } else {
                "not a character device"
            };
            return Err(Error::NotUio { path, what });
        }
        let sys = uio::sysfs_dir(&meta);
        if !sys.join("maps").is_dir() {
            return Err(Error::NotUio {
                path,
                what: "a character device without UIO maps",
            });
        }
        let name = uio::read_attr(&path, sys.join("name"))?;
        let name = name.trim_end_matches('\n');
        if !name.starts_with(uio::NAME_PREFIX) {
            return Err(Error::NotTcmu {
                path,
                name: name.to_string(),
            });
        }
        let size_file = sys.join("maps/map0/size");
        let text = uio::read_attr(&path, size_file.clone())?;
        let len = uio::parse_map_size(&text).ok_or_else(|| Error::BadMapSize {
            path: path.clone(),
            file: size_file,
            text: text.trim_end().to_string(),
        })?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| open_error(path.clone(), e))?;
        let file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(f) => f,
            Err((_, Errno::EWOULDBLOCK)) => return Err(Error::Busy { path }),
            Err((_, e)) => {
                return Err(Error::Open {
                    path,
                    source: e.into(),
                })
            }
        };
        let mapping = Mapping::map(file.as_fd(), len).map_err(|e| Error::Map {
            path: path.clone(),
            len,
            source: e.into(),
        })?;
        let core = RingCore::new(mapping, path)?;
        log::debug!("{}: opened TCMU ring {name:?}", uio.display());
        Ok(Ring { core, file })
    }

    /// The device path.
    pub fn path(&self) -> &Path {
        self.core.path()
    }

    /// The mailbox's capability flags.
    pub fn flags(&self) -> MailboxFlags {
        self.core.flags()
    }

    /// Waits until the kernel signals the device or `timeout` passes
    /// (`None`: forever); `true` if it signalled. An interrupted wait
    /// returns `false`.
    ///
    /// UIO reports only the signals since the device was opened (or last
    /// read), so call [`Ring::take`] once after [`Ring::open`] before the
    /// first wait: entries queued earlier raise no new signal.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool, Error> {
        let timeout = match timeout {
            None => PollTimeout::NONE,
            // Round up, so that a sub-millisecond wait does not spin.
            Some(d) => i32::try_from(d.as_micros().div_ceil(1000))
                .ok()
                .and_then(|ms| PollTimeout::try_from(ms).ok())
                .unwrap_or(PollTimeout::MAX),
        };
        let wait_err = |source: std::io::Error| Error::Wait {
            path: self.path().to_path_buf(),
            source,
        };
        let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(0) | Err(Errno::EINTR) => return Ok(false),
            Ok(_) => {}
            Err(e) => return Err(wait_err(e.into())),
        }
        // The event count; reading it re-arms poll (uio_read).
        let mut count = [0u8; 4];
        match (&*self.file).read(&mut count) {
            Ok(4) => Ok(true),
            Ok(n) => Err(wait_err(std::io::Error::other(format!(
                "read {n} bytes of the event count, not 4"
            )))),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(false),
            Err(e) => Err(wait_err(e)),
        }
    }

    /// Takes everything the kernel queued since the last call, PADs
    /// skipped, each command copied out of the ring.
    pub fn take(&self) -> Result<Vec<Entry>, Error> {
        self.core.take()
    }

    /// Gathers the data iovecs of an outstanding command (a write's data).
    pub fn data_out(&self, cmd: &Command) -> Result<Vec<u8>, Error> {
        self.core.data_out(cmd)
    }

    /// Scatters `data` over the data iovecs of an outstanding command, at
    /// most their total length; returns the bytes written. Must not race
    /// [`Ring::complete`] of the same command.
    pub fn data_in(&self, cmd: &Command, data: &[u8]) -> Result<usize, Error> {
        self.core.data_in(cmd, data)
    }

    /// Completes an outstanding command (out of order); call
    /// [`Ring::kick`] after one or more.
    pub fn complete(&self, cmd: &Command, rsp: &Response<'_>) -> Result<(), Error> {
        self.core.complete(cmd, rsp)
    }

    /// Tells the kernel to handle the completions (writes 4 bytes to the
    /// UIO device, which calls TCMU's `irqcontrol`).
    pub fn kick(&self) -> Result<(), Error> {
        (&*self.file)
            .write_all(&0u32.to_ne_bytes())
            .map_err(|source| Error::Kick {
                path: self.path().to_path_buf(),
                source,
            })
    }
}

/// Finds the `/dev/uioN` of user backstore `device` on HBA `hba` (the
/// number of configfs's `core/user_<hba>`) by scanning
/// `/sys/class/uio/*/name` for `tcm-user/<hba>/<device>[/…]`.
pub fn find_uio(hba: &str, device: &str) -> Result<PathBuf, Error> {
    find_uio_in(Path::new("/sys/class/uio"), hba, device)
}

/// [`find_uio`] under another sysfs directory (for tests).
pub fn find_uio_in(root: &Path, hba: &str, device: &str) -> Result<PathBuf, Error> {
    uio::find_in(root, hba, device)
}

fn open_error(path: PathBuf, e: std::io::Error) -> Error {
    match e.raw_os_error() {
        Some(libc::ENOENT) | Some(libc::ENXIO) | Some(libc::ENODEV) => Error::NotFound { path },
        Some(libc::EACCES) | Some(libc::EPERM) | Some(libc::EROFS) => {
            Error::PermissionDenied { path }
        }
        _ => Error::Open { path, source: e },
    }
}

#[cfg(test)]
mod lib_tests;
