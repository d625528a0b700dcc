//! A tape cartridge: its logical objects, its file format and its I/O.
//!
//! A [`Cartridge`] is one partition of logical objects — blocks (records)
//! and filemarks — numbered from 0 at the beginning of partition (BOP); the
//! object number one past the last is end of data (EOD). It has a capacity
//! in bytes and an early-warning size: the early-warning point is
//! `capacity − early_warning` bytes from BOP. A block uses its length of
//! capacity and a filemark [`FILEMARK_BYTES`] (a real drive pads to a data
//! set boundary; the figure is ours, and it bounds how many filemarks a
//! cartridge can hold). Writing at object `p` erases everything from `p`
//! on, as writing a tape does.
//!
//! A cartridge lives in memory ([`Cartridge::memory`]) or in a file
//! ([`Cartridge::open`]) that keeps its objects across process runs. The
//! file format (version 1), all integers big-endian:
//!
//! ```text
//! header, 64 bytes:
//!   0..8    magic "SEGCTAPE"
//!   8..10   format version (1)
//!   10..12  header length (64)
//!   12..16  reserved, zero
//!   16..24  capacity in bytes
//!   24..32  early-warning size in bytes
//!   32..64  barcode: ASCII, padded with spaces
//! then one entry per logical object, back to back, from byte 64:
//!   0       kind: 01h block, 02h filemark
//!   1..4    reserved, zero
//!   4..8    data length in bytes (0 for a filemark)
//!   8..     the block's data
//! ```
//!
//! End of data is the end of the file. Opening a file reads every entry
//! header to build an index (object number → offset) and cuts the file
//! after the last complete, valid entry, so a write torn by a crash leaves
//! a tape whose EOD follows the last object written whole (block data is
//! not checksummed). A write appends one entry with `pwrite` (its header,
//! then its data) after truncating the file at the entry being
//! overwritten; other processes see it at once, and WRITE FILEMARKS (any
//! count, 0 included), unload and closing `fsync` the file. An open file is
//! held with an exclusive `flock`, so a second process (or a second
//! cartridge object) cannot open the same tape and overwrite it.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use nix::fcntl::{Flock, FlockArg};

use super::state::Fingerprint;
use crate::sim::{open_state_file, state_error, SimError};
use crate::wire::{get_be, put_be};

/// Capacity a filemark uses, in bytes.
pub const FILEMARK_BYTES: u64 = 4096;

/// The cartridge file format's layout.
mod layout {
    use crate::wire::Field;

    /// "SEGCTAPE".
    pub const MAGIC: &[u8; 8] = b"SEGCTAPE";
    /// Format version.
    pub const VERSION: u64 = 1;
    /// Header length.
    pub const HEADER_LEN: u64 = 64;
    /// Header: magic.
    pub const H_MAGIC: Field = 0..8;
    /// Header: format version.
    pub const H_VERSION: Field = 8..10;
    /// Header: header length.
    pub const H_LEN: Field = 10..12;
    /// Header: capacity in bytes.
    pub const H_CAPACITY: Field = 16..24;
    /// Header: early-warning size in bytes.
    pub const H_EARLY_WARNING: Field = 24..32;
    /// Header: barcode, space padded.
    pub const H_BARCODE: Field = 32..64;
    /// Entry: kind.
    pub const E_KIND: usize = 0;
    /// Entry: reserved bytes.
    pub const E_RESERVED: Field = 1..4;
    /// Entry: data length.
    pub const E_LEN: Field = 4..8;
    /// Entry header length.
    pub const E_HEADER: u64 = 8;
    /// Entry kind: block.
    pub const KIND_BLOCK: u8 = 0x01;
    /// Entry kind: filemark.
    pub const KIND_FILEMARK: u8 = 0x02;
}

/// One logical object of a cartridge, as [`Cartridge::object`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapeObject {
    /// A block (record) and its data.
    Block(Bytes),
    /// A filemark.
    Filemark,
}

/// What a cartridge is, as its file's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartridgeLabel {
    /// The barcode (volume identification).
    pub barcode: String,
    /// Capacity in bytes.
    pub capacity: u64,
    /// Early-warning size in bytes.
    pub early_warning: u64,
}

/// Index entry of one logical object.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    pub(super) filemark: bool,
    pub(super) len: u32,
    /// File offset of the entry header (file-backed cartridges).
    offset: u64,
    /// Capacity used by the objects before this one.
    used_before: u64,
    /// Filemarks before this one.
    marks_before: u64,
}

impl Entry {
    fn cost(&self) -> u64 {
        if self.filemark {
            FILEMARK_BYTES
        } else {
            u64::from(self.len)
        }
    }
}

enum Media {
    /// One `Bytes` per object (empty for filemarks).
    Memory(Vec<Bytes>),
    File {
        file: Flock<File>,
        path: PathBuf,
        /// End of the file: where the next entry goes.
        end: u64,
        /// The file's modification time after our last write to it
        /// (seconds, nanoseconds), for [`Fingerprint`].
        modified: Option<[i64; 2]>,
    },
}

/// A file's modification time as [`Fingerprint`] keeps it.
fn modified(file: &File) -> Option<[i64; 2]> {
    use std::os::unix::fs::MetadataExt;
    file.metadata().ok().map(|m| [m.mtime(), m.mtime_nsec()])
}

/// A tape cartridge: blocks and filemarks, in memory or in a file.
pub struct Cartridge {
    pub(super) barcode: String,
    pub(super) capacity: u64,
    early_warning: u64,
    pub(super) write_protected: bool,
    entries: Vec<Entry>,
    pub(super) used: u64,
    pub(super) marks: u64,
    media: Media,
    /// The buffers of erased blocks of a memory cartridge, for the writes
    /// that follow ([`Cartridge::take_spare`]): rewriting a tape then
    /// reuses its memory instead of freeing it and faulting fresh pages
    /// in.
    spare: Vec<BytesMut>,
    /// The capacity of the spare buffers, in bytes.
    spare_bytes: u64,
    /// What the blocks and the spare buffers may hold together: the bytes
    /// the tape held before its last erase, so keeping spares never takes
    /// more memory than the tape had.
    spare_limit: u64,
}

impl std::fmt::Debug for Cartridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cartridge")
            .field("barcode", &self.barcode)
            .field("capacity", &self.capacity)
            .field("early_warning", &self.early_warning)
            .field("write_protected", &self.write_protected)
            .field("objects", &self.entries.len())
            .field("used", &self.used)
            .field("path", &self.path())
            .finish()
    }
}

/// Checks that `barcode` can be a volume identification: 1 to 32
/// printable ASCII characters.
fn check_barcode(barcode: &str) -> Result<(), String> {
    if barcode.is_empty() || barcode.len() > 32 {
        return Err(format!(
            "barcode {barcode:?} must have 1 to 32 characters (a volume identification)"
        ));
    }
    if barcode.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
        return Err(format!(
            "barcode {barcode:?} must be printable ASCII without spaces"
        ));
    }
    Ok(())
}

impl Cartridge {
    /// A blank cartridge in memory.
    pub fn memory(barcode: &str, capacity: u64, early_warning: u64) -> Cartridge {
        Cartridge {
            barcode: barcode.to_string(),
            capacity,
            early_warning,
            write_protected: false,
            entries: Vec::new(),
            used: 0,
            marks: 0,
            media: Media::Memory(Vec::new()),
            spare: Vec::new(),
            spare_bytes: 0,
            spare_limit: 0,
        }
    }

    /// Opens the cartridge file at `path`, creating a blank one if it does
    /// not exist (or is empty). An existing file must carry the same
    /// barcode, capacity and early-warning size.
    pub fn open(
        path: &Path,
        barcode: &str,
        capacity: u64,
        early_warning: u64,
    ) -> Result<Cartridge, SimError> {
        check_barcode(barcode).map_err(|r| state_error(path, r))?;
        let file = open_state_file(path, "the cartridge file")?;
        let file = lock(file, path)?;
        let len = file
            .metadata()
            .map_err(|e| state_error(path, format!("cannot stat the cartridge file: {e}")))?
            .len();
        if len == 0 {
            let mut header = [0u8; layout::HEADER_LEN as usize];
            put_be(&mut header[layout::H_VERSION], layout::VERSION);
            put_be(&mut header[layout::H_LEN], layout::HEADER_LEN);
            header[layout::H_MAGIC].copy_from_slice(layout::MAGIC);
            put_be(&mut header[layout::H_CAPACITY], capacity);
            put_be(&mut header[layout::H_EARLY_WARNING], early_warning);
            let bc = &mut header[layout::H_BARCODE];
            bc.fill(b' ');
            bc[..barcode.len()].copy_from_slice(barcode.as_bytes());
            file.write_all_at(&header, 0)
                .and_then(|()| file.sync_all())
                .map_err(|e| state_error(path, format!("cannot write the header: {e}")))?;
        }
        let c = Cartridge::scan(file, path)?;
        let differs = |what: &str, file: String, want: String| {
            state_error(
                path,
                format!(
                    "the cartridge file has {what} {file} but {want} was asked for; \
                     fix the configuration or move the file away"
                ),
            )
        };
        if c.barcode != barcode {
            return Err(differs("barcode", c.barcode.clone(), barcode.into()));
        }
        if c.capacity != capacity {
            return Err(differs(
                "capacity",
                c.capacity.to_string(),
                capacity.to_string(),
            ));
        }
        if c.early_warning != early_warning {
            return Err(differs(
                "early-warning size",
                c.early_warning.to_string(),
                early_warning.to_string(),
            ));
        }
        Ok(c)
    }

    /// Opens an existing cartridge file, taking barcode, capacity and
    /// early-warning size from its header.
    pub fn open_existing(path: &Path) -> Result<Cartridge, SimError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| state_error(path, format!("cannot open the cartridge file: {e}")))?;
        Cartridge::scan(lock(file, path)?, path)
    }

    /// Reads the label from the header of the cartridge file at `path`
    /// without opening it for use (no lock, no index).
    pub fn read_label(path: &Path) -> Result<CartridgeLabel, SimError> {
        let file = File::open(path)
            .map_err(|e| state_error(path, format!("cannot open the cartridge file: {e}")))?;
        read_header(&file, path)
    }

    /// Reads the header and indexes the entries of an open file, cutting a
    /// torn or invalid tail.
    fn scan(file: Flock<File>, path: &Path) -> Result<Cartridge, SimError> {
        let bad = |r: String| state_error(path, r);
        let label = read_header(&file, path)?;
        let len = file
            .metadata()
            .map_err(|e| bad(format!("cannot stat the cartridge file: {e}")))?
            .len();
        let mut c = Cartridge {
            barcode: label.barcode,
            capacity: label.capacity,
            early_warning: label.early_warning,
            write_protected: false,
            entries: Vec::new(),
            used: 0,
            marks: 0,
            media: Media::Memory(Vec::new()),
            spare: Vec::new(),
            spare_bytes: 0,
            spare_limit: 0,
        };
        let mut reader = BufReader::with_capacity(1 << 16, &*file);
        reader
            .seek(SeekFrom::Start(layout::HEADER_LEN))
            .map_err(|e| bad(format!("cannot read the entries: {e}")))?;
        let mut off = layout::HEADER_LEN;
        let mut torn = None;
        while off < len {
            let mut h = [0u8; layout::E_HEADER as usize];
            if len - off < layout::E_HEADER || reader.read_exact(&mut h).is_err() {
                torn = Some("an incomplete entry header");
                break;
            }
            let kind = h[layout::E_KIND];
            let data_len = get_be(&h[layout::E_LEN]);
            let reserved = get_be(&h[layout::E_RESERVED]);
            let filemark = match kind {
                layout::KIND_BLOCK => false,
                layout::KIND_FILEMARK => true,
                _ => {
                    torn = Some("an entry of unknown kind");
                    break;
                }
            };
            if reserved != 0 || (filemark && data_len != 0) {
                torn = Some("an invalid entry header");
                break;
            }
            if len - off - layout::E_HEADER < data_len {
                torn = Some("an incomplete block");
                break;
            }
            if reader.seek_relative(data_len as i64).is_err() {
                torn = Some("an unreadable block");
                break;
            }
            c.push_entry(filemark, data_len as u32, off);
            off += layout::E_HEADER + data_len;
        }
        if let Some(why) = torn {
            log::warn!(
                "{}: {why} at byte {off}; the tape ends (EOD) after object {}",
                path.display(),
                c.entries.len()
            );
            file.set_len(off)
                .map_err(|e| bad(format!("cannot cut the torn tail at byte {off}: {e}")))?;
        }
        drop(reader);
        let modified = modified(&file);
        c.media = Media::File {
            file,
            path: path.to_path_buf(),
            end: off,
            modified,
        };
        Ok(c)
    }

    fn push_entry(&mut self, filemark: bool, len: u32, offset: u64) {
        let e = Entry {
            filemark,
            len,
            offset,
            used_before: self.used,
            marks_before: self.marks,
        };
        self.used = self.used.saturating_add(e.cost());
        self.marks += u64::from(filemark);
        self.entries.push(e);
    }

    /// Sets the write-protect tab.
    pub fn write_protected(mut self, write_protected: bool) -> Self {
        self.write_protected = write_protected;
        self
    }

    /// Whether the cartridge is write-protected.
    pub fn is_write_protected(&self) -> bool {
        self.write_protected
    }

    /// The barcode (volume identification).
    pub fn barcode(&self) -> &str {
        &self.barcode
    }

    /// Capacity in bytes.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Early-warning size in bytes: early warning is this far from the end.
    pub fn early_warning(&self) -> u64 {
        self.early_warning
    }

    /// Logical objects on the tape: the object number of end of data.
    pub fn object_count(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Filemarks on the tape.
    pub fn filemark_count(&self) -> u64 {
        self.marks
    }

    /// Capacity used, in bytes.
    pub fn used_bytes(&self) -> u64 {
        self.used
    }

    /// The file, for a file-backed cartridge.
    pub fn path(&self) -> Option<&Path> {
        match &self.media {
            Media::Memory(_) => None,
            Media::File { path, .. } => Some(path),
        }
    }

    /// Logical object `n`, `None` at or after end of data.
    pub fn object(&self, n: u64) -> Result<Option<TapeObject>, SimError> {
        let Some(e) = self.entry(n) else {
            return Ok(None);
        };
        if e.filemark {
            return Ok(Some(TapeObject::Filemark));
        }
        self.read_block(n)
            .map(|b| Some(TapeObject::Block(b)))
            .map_err(|e| {
                state_error(
                    self.path().unwrap_or(Path::new("(memory)")),
                    format!("cannot read object {n}: {e}"),
                )
            })
    }

    /// Flushes a file-backed cartridge to stable storage.
    pub fn sync(&self) -> Result<(), SimError> {
        match &self.media {
            Media::Memory(_) => Ok(()),
            Media::File { file, path, .. } => file
                .sync_data()
                .map_err(|e| state_error(path, format!("fsync: {e}"))),
        }
    }

    /// What a saved drive state checks the cartridge against.
    pub(super) fn fingerprint(&self) -> Fingerprint {
        let (file_length, modified) = match &self.media {
            Media::Memory(_) => (None, None),
            Media::File { end, modified, .. } => (Some(*end), *modified),
        };
        Fingerprint {
            objects: self.object_count(),
            filemarks: self.marks,
            used: self.used,
            file_length,
            modified,
        }
    }

    pub(super) fn entry(&self, n: u64) -> Option<&Entry> {
        usize::try_from(n).ok().and_then(|i| self.entries.get(i))
    }

    /// Capacity used before object `p` (the whole tape's at or past EOD).
    pub(super) fn used_before(&self, p: u64) -> u64 {
        self.entry(p).map_or(self.used, |e| e.used_before)
    }

    /// Filemarks before object `p`.
    pub(super) fn marks_before(&self, p: u64) -> u64 {
        self.entry(p).map_or(self.marks, |e| e.marks_before)
    }

    /// The first object number after the `k`-th filemark (1-based; 0 for
    /// BOP), `None` if the tape has fewer.
    pub(super) fn after_filemark(&self, k: u64) -> Option<u64> {
        if k == 0 {
            return Some(0);
        }
        if k > self.marks {
            return None;
        }
        // The first p with marks_before(p) ≥ k; p = len when the k-th
        // filemark is the last object.
        let p = self.entries.partition_point(|e| e.marks_before < k);
        Some(p as u64)
    }

    /// Whether `used` bytes are beyond the early-warning point.
    pub(super) fn beyond_early_warning(&self, used: u64) -> bool {
        used >= self.capacity.saturating_sub(self.early_warning)
    }

    pub(super) fn read_block(&self, n: u64) -> std::io::Result<Bytes> {
        let e = self
            .entry(n)
            .ok_or_else(|| std::io::Error::other("no such object"))?;
        match &self.media {
            Media::Memory(data) => Ok(data[n as usize].clone()),
            Media::File { file, .. } => {
                let mut v = vec![0u8; e.len as usize];
                file.read_exact_at(&mut v, e.offset + layout::E_HEADER)?;
                Ok(Bytes::from(v))
            }
        }
    }

    /// A spare buffer of `len` bytes (stale contents) from erased blocks,
    /// if there is one that large.
    pub(super) fn take_spare(&mut self, len: usize) -> Option<BytesMut> {
        let i = self.spare.iter().rposition(|b| b.capacity() >= len)?;
        let mut b = self.spare.swap_remove(i);
        self.spare_bytes -= b.capacity() as u64;
        // Within the capacity: zeroes only what the buffer grows by.
        b.resize(len, 0);
        Some(b)
    }

    /// Writes `object` at object number `p` (≤ EOD), erasing what follows.
    pub(super) fn write_at(&mut self, p: u64, object: TapeObject) -> std::io::Result<()> {
        let p = usize::try_from(p).map_err(std::io::Error::other)?;
        if p < self.entries.len() {
            let e = self.entries[p];
            let held = self.used;
            self.entries.truncate(p);
            self.used = e.used_before;
            self.marks = e.marks_before;
            match &mut self.media {
                Media::Memory(data) => {
                    self.spare_limit = self.spare_bytes + held;
                    // Unique buffers (no reader holds a copy) are kept.
                    for b in data.drain(p..).filter_map(|b| b.try_into_mut().ok()) {
                        self.spare_bytes += b.capacity() as u64;
                        self.spare.push(b);
                    }
                }
                Media::File {
                    file,
                    end,
                    modified: mtime,
                    ..
                } => {
                    // The append below stamps it again.
                    *mtime = None;
                    file.set_len(e.offset)?;
                    *end = e.offset;
                }
            }
        }
        let (filemark, data) = match object {
            TapeObject::Block(b) => (false, b),
            TapeObject::Filemark => (true, Bytes::new()),
        };
        let len = u32::try_from(data.len()).map_err(std::io::Error::other)?;
        let offset = match &mut self.media {
            Media::Memory(v) => {
                v.push(data);
                0
            }
            Media::File {
                file,
                end,
                modified: mtime,
                ..
            } => {
                let at = *end;
                let mut h = [0u8; layout::E_HEADER as usize];
                h[layout::E_KIND] = if filemark {
                    layout::KIND_FILEMARK
                } else {
                    layout::KIND_BLOCK
                };
                put_be(&mut h[layout::E_LEN], u64::from(len));
                // Until both writes are done the fingerprint is no one's.
                *mtime = None;
                file.write_all_at(&h, at)?;
                file.write_all_at(&data, at + layout::E_HEADER)?;
                *end = at + layout::E_HEADER + u64::from(len);
                *mtime = modified(file);
                at
            }
        };
        self.push_entry(filemark, len, offset);
        while self.used + self.spare_bytes > self.spare_limit {
            let Some(b) = self.spare.pop() else { break };
            self.spare_bytes -= b.capacity() as u64;
        }
        Ok(())
    }
}

impl Drop for Cartridge {
    fn drop(&mut self) {
        if let Media::File { file, path, .. } = &self.media {
            if let Err(e) = file.sync_all() {
                log::warn!("{}: fsync on close: {e}", path.display());
            }
        }
    }
}

/// Reads and checks the header of a cartridge file.
fn read_header(file: &File, path: &Path) -> Result<CartridgeLabel, SimError> {
    let bad = |r: String| state_error(path, r);
    let len = file
        .metadata()
        .map_err(|e| bad(format!("cannot stat the cartridge file: {e}")))?
        .len();
    if len < layout::HEADER_LEN {
        return Err(bad(format!(
            "{len} bytes is too short for a cartridge file header"
        )));
    }
    let mut header = [0u8; layout::HEADER_LEN as usize];
    file.read_exact_at(&mut header, 0)
        .map_err(|e| bad(format!("cannot read the header: {e}")))?;
    if &header[layout::H_MAGIC] != layout::MAGIC {
        return Err(bad("not a segcopy cartridge file (bad magic)".into()));
    }
    let version = get_be(&header[layout::H_VERSION]);
    if version != layout::VERSION || get_be(&header[layout::H_LEN]) != layout::HEADER_LEN {
        return Err(bad(format!(
            "cartridge file format version {version} is not supported (only 1)"
        )));
    }
    let barcode = String::from_utf8_lossy(&header[layout::H_BARCODE])
        .trim_end_matches(' ')
        .to_string();
    check_barcode(&barcode).map_err(bad)?;
    Ok(CartridgeLabel {
        barcode,
        capacity: get_be(&header[layout::H_CAPACITY]),
        early_warning: get_be(&header[layout::H_EARLY_WARNING]),
    })
}

/// Takes the exclusive lock of a cartridge file.
fn lock(file: File, path: &Path) -> Result<Flock<File>, SimError> {
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
        state_error(
            path,
            format!(
                "the cartridge file is in use by another process or drive ({errno}); \
                 one cartridge can be loaded in one place at a time"
            ),
        )
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A block of `n` bytes of `fill`.
    pub(in crate::sim::tape) fn block(n: usize, fill: u8) -> TapeObject {
        TapeObject::Block(Bytes::from(vec![fill; n]))
    }

    #[test]
    fn writing_in_the_middle_erases_the_rest() {
        let mut c = Cartridge::memory("T1", 1 << 20, 0);
        c.write_at(0, block(10, 1)).unwrap();
        c.write_at(1, TapeObject::Filemark).unwrap();
        c.write_at(2, block(20, 2)).unwrap();
        assert_eq!((c.object_count(), c.filemark_count()), (3, 1));
        assert_eq!(c.used_bytes(), 30 + FILEMARK_BYTES);
        c.write_at(1, block(5, 3)).unwrap();
        assert_eq!((c.object_count(), c.filemark_count()), (2, 0));
        assert_eq!(c.used_bytes(), 15);
        assert_eq!(c.object(1).unwrap(), Some(block(5, 3)));
        assert_eq!(c.object(2).unwrap(), None);
    }

    #[test]
    fn erased_blocks_are_spare_for_the_next_writes() {
        let mut c = Cartridge::memory("T1", 1 << 20, 0);
        for i in 0..3 {
            c.write_at(i, block(10, i as u8)).unwrap();
        }
        // A block a reader still holds is not reused.
        let held = c.object(2).unwrap();
        c.write_at(0, block(10, 9)).unwrap();
        assert_eq!((c.object_count(), c.used_bytes()), (1, 10));
        // The two others are kept: with the new block, what the tape held.
        assert_eq!((c.spare.len(), c.spare_bytes), (2, 20));
        assert!(c.take_spare(11).is_none());
        let b = c.take_spare(4).unwrap();
        assert_eq!(b.len(), 4);
        // Writing more than the tape held gives spares up.
        c.write_at(1, block(15, 1)).unwrap();
        assert_eq!((c.spare.len(), c.spare_bytes), (0, 0));
        assert!(c.take_spare(4).is_none());
        assert_eq!(held, Some(block(10, 2)));
        assert_eq!(c.object(0).unwrap(), Some(block(10, 9)));
    }

    #[test]
    fn after_filemark_finds_files() {
        let mut c = Cartridge::memory("T1", 1 << 20, 0);
        for (i, o) in [
            block(1, 0),
            TapeObject::Filemark,
            TapeObject::Filemark,
            block(1, 0),
            TapeObject::Filemark,
        ]
        .into_iter()
        .enumerate()
        {
            c.write_at(i as u64, o).unwrap();
        }
        assert_eq!(c.after_filemark(0), Some(0));
        assert_eq!(c.after_filemark(1), Some(2));
        assert_eq!(c.after_filemark(2), Some(3));
        assert_eq!(c.after_filemark(3), Some(5));
        assert_eq!(c.after_filemark(4), None);
    }

    #[test]
    fn barcodes_are_volume_identifications() {
        assert!(check_barcode("A00001L6").is_ok());
        assert!(check_barcode("").is_err());
        assert!(check_barcode("has space").is_err());
        assert!(check_barcode(&"x".repeat(33)).is_err());
    }
}
