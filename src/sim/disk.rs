//! A simulated disk: an SBC-3 (r36) direct-access block device of 512- or
//! 4096-byte logical blocks, held in memory or in a sparse file.
//!
//! Commands (through [`Lu::command`]): INQUIRY with VPD pages 00h, 80h and
//! 83h (and 8Fh when its [`Identity`] has one), TEST UNIT READY and REQUEST
//! SENSE ([`handle_common`]); READ CAPACITY (16); READ (16) and WRITE (16).
//! Any other opcode is INVALID COMMAND OPERATION CODE (20/00); another
//! SERVICE ACTION IN (16) action is INVALID FIELD IN CDB (24/00, the SPC-4
//! answer for an unsupported service action, as LIO gives).
//!
//! Rules, with the standard they follow:
//! - an LBA range that ends past the capacity, or whose sum overflows, is
//!   ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE (21/00) (SBC-3,
//!   READ (16) / WRITE (16)); a TRANSFER LENGTH of zero moves nothing and is
//!   not an error;
//! - a data-in buffer of another size than TRANSFER LENGTH × block length
//!   is filled as far as both go, the rest reported as residual (what LIO's
//!   `target_cmd_size_check` does for reads);
//! - a data-out buffer of another size is refused with ILLEGAL REQUEST,
//!   INVALID FIELD IN COMMAND INFORMATION UNIT (0E/03): the transfer the
//!   command carries disagrees with its CDB, and LIO rejects such a WRITE
//!   with exactly that sense (`TCM_INVALID_FIELD_IN_COMMAND_IU`);
//! - a wrong-length CDB for a known opcode is INVALID FIELD IN CDB (24/00).
//!
//! Faults are not the disk's business: the fabric puts the site's fault
//! plan in front of its commands ([`crate::transport::fault`]) and its data
//! path ([`crate::sim::datapath`]).
//!
//! Storage: in memory, the capacity is cut into 1 MiB chunks, each behind
//! its own lock and allocated (zeroed) on first write, so a large sparse
//! disk costs nothing until written and a transfer is one `copy_from_slice`
//! per chunk it touches. A file-backed disk is a sparse file of exactly the
//! capacity, read and written with `pread`/`pwrite`; a file of another size
//! is refused rather than guessed at, so a disk keeps its data across
//! process runs and never silently changes shape.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use super::common::Identity;
use super::common::{check_sense, data_in, handle_common, invalid_cdb_field, invalid_opcode};
use super::{open_state_file, state_error, BlockTarget, Fabric, Lu, SimError, TargetError};
use crate::transport::fault::block_medium_error;
use crate::transport::{Completion, DataDirection};
use crate::wire::inquiry::PeripheralDeviceType;
use crate::wire::sbc::{Read16Cdb, ReadCapacity16, ReadCapacity16Cdb, Write16Cdb};
use crate::wire::sense::{SenseData, SenseKey};
use crate::wire::vpd::Designator;
use crate::wire::Repr;

/// Bytes per chunk of a memory-backed disk.
const CHUNK: u64 = 1 << 20;
/// The most chunks a memory-backed disk may have (1 TiB, a 32 MiB chunk
/// table); larger disks should be file-backed.
const MAX_CHUNKS: u64 = 1 << 20;
/// SERVICE ACTION IN (16), the opcode READ CAPACITY (16) shares.
const SERVICE_ACTION_IN_16: u8 = ReadCapacity16Cdb::OPCODE;

/// Where a simulated disk keeps its blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backing {
    /// In memory, lost when the process ends.
    Memory,
    /// In a sparse file of exactly the capacity, created if missing (or
    /// empty) and kept as it is otherwise.
    File(PathBuf),
}

/// A simulated disk.
///
/// Built with [`SimDisk::new`]; add it to a [`Fabric`] as an [`Lu`]. A copy
/// manager reaches its blocks through [`BlockTarget`]; a wrapper LU (a disk
/// with a copy manager in front) can answer commands as this disk with
/// another identity through [`SimDisk::command_as`].
pub struct SimDisk {
    identity: Identity,
    block_length: u32,
    capacity_blocks: u64,
    store: Store,
}

impl std::fmt::Debug for SimDisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimDisk")
            .field("name", &self.identity.name)
            .field("block_length", &self.block_length)
            .field("capacity_blocks", &self.capacity_blocks)
            .field("store", &self.store)
            .finish()
    }
}

enum Store {
    Memory(MemStore),
    File { file: File, path: PathBuf },
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Store::Memory(m) => write!(f, "Memory({} chunks)", m.chunks.len()),
            Store::File { path, .. } => write!(f, "File({})", path.display()),
        }
    }
}

/// Memory in lazily allocated chunks, one lock each.
struct MemStore {
    chunks: Vec<RwLock<Option<Box<[u8]>>>>,
    len: u64,
}

impl MemStore {
    fn new(len: u64) -> Option<Self> {
        let n = len.div_ceil(CHUNK);
        if n > MAX_CHUNKS {
            return None;
        }
        let chunks = (0..n).map(|_| RwLock::new(None)).collect();
        Some(MemStore { chunks, len })
    }

    /// Calls `f(chunk index, offset in chunk, range of the caller's buffer)`
    /// for each piece of `[off, off + len)`. The caller checked the range.
    fn pieces(off: u64, len: usize, mut f: impl FnMut(usize, usize, std::ops::Range<usize>)) {
        let mut done = 0usize;
        while done < len {
            let at = off + done as u64;
            let index = (at / CHUNK) as usize;
            let within = (at % CHUNK) as usize;
            let n = (CHUNK as usize - within).min(len - done);
            f(index, within, done..done + n);
            done += n;
        }
    }

    fn chunk_len(&self, index: usize) -> usize {
        let start = index as u64 * CHUNK;
        (self.len - start).min(CHUNK) as usize
    }

    fn read(&self, off: u64, buf: &mut [u8]) {
        MemStore::pieces(off, buf.len(), |index, within, range| {
            let guard = self.chunks[index].read().unwrap_or_else(|p| p.into_inner());
            let out = &mut buf[range];
            match guard.as_deref() {
                Some(c) => out.copy_from_slice(&c[within..within + out.len()]),
                None => out.fill(0),
            }
        });
    }

    /// Puts `data` in place of the chunk it covers exactly, and returns
    /// the chunk it replaced (`None` if that chunk was never written);
    /// `Err(data)` when `data` is not exactly one whole chunk, which is
    /// then for [`MemStore::write`] to copy. The caller checked the range.
    fn replace(&self, off: u64, data: Vec<u8>) -> Result<Option<Vec<u8>>, Vec<u8>> {
        let index = (off / CHUNK) as usize;
        // A vector with spare capacity would be copied into a boxed slice.
        if off % CHUNK != 0 || data.len() != self.chunk_len(index) || data.capacity() != data.len()
        {
            return Err(data);
        }
        let mut guard = self.chunks[index]
            .write()
            .unwrap_or_else(|p| p.into_inner());
        Ok(guard.replace(data.into_boxed_slice()).map(<[u8]>::into_vec))
    }

    fn write(&self, off: u64, data: &[u8]) {
        MemStore::pieces(off, data.len(), |index, within, range| {
            let mut guard = self.chunks[index]
                .write()
                .unwrap_or_else(|p| p.into_inner());
            let len = self.chunk_len(index);
            let c = guard.get_or_insert_with(|| vec![0u8; len].into_boxed_slice());
            let src = &data[range];
            c[within..within + src.len()].copy_from_slice(src);
        });
    }
}

/// ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE (21/00).
fn lba_out_of_range() -> SenseData {
    SenseData::fixed(SenseKey::IllegalRequest, 0x21, 0x00).into()
}

/// ILLEGAL REQUEST, INVALID FIELD IN COMMAND INFORMATION UNIT (0E/03): the
/// data-out transfer disagrees with the CDB (LIO's answer).
fn transfer_mismatch() -> SenseData {
    SenseData::fixed(SenseKey::IllegalRequest, 0x0e, 0x03).into()
}

impl SimDisk {
    /// A disk named `name` (identity from the name: vendor SEGCOPY,
    /// product SIMDISK, an NAA 6 designator that is the same on every run)
    /// of `capacity_blocks` blocks of `block_length` (512 or 4096) bytes.
    pub fn new(
        name: &str,
        block_length: u32,
        capacity_blocks: u64,
        backing: Backing,
    ) -> Result<Arc<SimDisk>, SimError> {
        let identity = Identity::new(name, PeripheralDeviceType::DirectAccessBlock, "SIMDISK");
        SimDisk::with_identity(identity, block_length, capacity_blocks, backing)
    }

    /// A disk as [`SimDisk::new`] makes it, answering INQUIRY as
    /// `identity` (its device type should be direct-access block).
    pub fn with_identity(
        identity: Identity,
        block_length: u32,
        capacity_blocks: u64,
        backing: Backing,
    ) -> Result<Arc<SimDisk>, SimError> {
        let config = |reason: String| SimError::Config {
            device: identity.name.clone(),
            reason,
        };
        if block_length != 512 && block_length != 4096 {
            return Err(config(format!(
                "block length {block_length} is not simulated; use 512 or 4096"
            )));
        }
        if capacity_blocks == 0 {
            return Err(config("a disk needs at least one block".into()));
        }
        let bytes = capacity_blocks
            .checked_mul(u64::from(block_length))
            .ok_or_else(|| {
                config(format!(
                    "{capacity_blocks} blocks of {block_length} bytes overflow 64 bits"
                ))
            })?;
        let store = match backing {
            Backing::Memory => Store::Memory(MemStore::new(bytes).ok_or_else(|| {
                config(format!(
                    "{bytes} bytes is too large for a memory-backed disk; back it with a file"
                ))
            })?),
            Backing::File(path) => Store::File {
                file: open_backing_file(&path, bytes, capacity_blocks, block_length)?,
                path,
            },
        };
        Ok(Arc::new(SimDisk {
            identity,
            block_length,
            capacity_blocks,
            store,
        }))
    }

    /// Who the disk says it is.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The backing file, if the disk has one.
    pub fn path(&self) -> Option<&Path> {
        match &self.store {
            Store::Memory(_) => None,
            Store::File { path, .. } => Some(path),
        }
    }

    /// Answers one command as this disk, with `identity` answering INQUIRY
    /// and VPD (a wrapper LU passes its own, for instance with 3PC set and
    /// a Third-party Copy VPD page; [`Lu::command`] passes the disk's).
    pub fn command_as(
        &self,
        identity: &Identity,
        cdb: &[u8],
        data: DataDirection<'_>,
    ) -> Completion {
        let Some(&opcode) = cdb.first() else {
            return invalid_opcode();
        };
        match opcode {
            Read16Cdb::OPCODE => match Read16Cdb::parse(cdb) {
                Ok(c) => self.read16(&c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            Write16Cdb::OPCODE => match Write16Cdb::parse(cdb) {
                Ok(c) => self.write16(&c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            SERVICE_ACTION_IN_16 => match ReadCapacity16Cdb::parse(cdb) {
                Ok(c) => self.read_capacity16(&c, data),
                // Wrong length, or a service action other than 10h.
                Err(_) => invalid_cdb_field(1, Some(4)),
            },
            _ => handle_common(identity, cdb, data, None).unwrap_or_else(invalid_opcode),
        }
    }

    fn read_capacity16(&self, c: &ReadCapacity16Cdb, data: DataDirection<'_>) -> Completion {
        let Some(answer) = ReadCapacity16::new(self.capacity_blocks, self.block_length) else {
            return check_sense(SenseData::fixed(SenseKey::HardwareError, 0x44, 0x00).into());
        };
        let Ok(bytes) = answer.to_vec() else {
            return check_sense(SenseData::fixed(SenseKey::HardwareError, 0x44, 0x00).into());
        };
        let n = usize::try_from(c.allocation_length).unwrap_or(usize::MAX);
        data_in(data, &bytes[..bytes.len().min(n)])
    }

    /// The byte range of `blocks` blocks from `lba`, checked against the
    /// capacity.
    fn range(&self, lba: u64, blocks: u64) -> Result<(u64, u64), SenseData> {
        let end = lba.checked_add(blocks).ok_or_else(lba_out_of_range)?;
        if end > self.capacity_blocks {
            return Err(lba_out_of_range());
        }
        let bl = u64::from(self.block_length);
        // Cannot overflow: end ≤ capacity and capacity × bl was checked.
        Ok((lba * bl, blocks * bl))
    }

    fn read16(&self, c: &Read16Cdb, data: DataDirection<'_>) -> Completion {
        let blocks = u64::from(c.transfer_length);
        let (off, len) = match self.range(c.lba, blocks) {
            Ok(r) => r,
            Err(s) => return check_sense(s),
        };
        let mut empty = [0u8; 0];
        let buf: &mut [u8] = match data {
            DataDirection::FromDevice(b) => b,
            _ => &mut empty,
        };
        let buffer = buf.len();
        if blocks == 0 {
            return data_in(DataDirection::FromDevice(buf), &[]);
        }
        // What fits in the initiator's buffer moves; the rest is residual.
        let n = usize::try_from(len).unwrap_or(usize::MAX).min(buffer);
        self.read_bytes(off, &mut buf[..n]);
        let mut done = Completion::good(n);
        done.resid = buffer - n;
        done
    }

    fn write16(&self, c: &Write16Cdb, data: DataDirection<'_>) -> Completion {
        let blocks = u64::from(c.transfer_length);
        let (off, len) = match self.range(c.lba, blocks) {
            Ok(r) => r,
            Err(s) => return check_sense(s),
        };
        let buf: &[u8] = match data {
            DataDirection::ToDevice(b) => b,
            _ => &[],
        };
        if u64::try_from(buf.len()).ok() != Some(len) {
            return check_sense(transfer_mismatch());
        }
        if blocks == 0 {
            return Completion::good(0);
        }
        if let Err(s) = self.write_bytes(off, buf, c.fua) {
            return check_sense(s);
        }
        Completion::good(buf.len())
    }

    fn read_bytes(&self, off: u64, buf: &mut [u8]) {
        if buf.is_empty() {
            return;
        }
        match &self.store {
            Store::Memory(m) => m.read(off, buf),
            Store::File { file, path } => {
                if let Err(e) = file.read_exact_at(buf, off) {
                    // The file was sized to the capacity when opened; if
                    // someone shrank it since, what is missing reads as zero.
                    log::warn!("{}: read at {off}: {e}", path.display());
                    buf.fill(0);
                }
            }
        }
    }

    fn write_bytes(&self, off: u64, data: &[u8], fua: bool) -> Result<(), SenseData> {
        if data.is_empty() {
            return Ok(());
        }
        match &self.store {
            Store::Memory(m) => {
                m.write(off, data);
                Ok(())
            }
            Store::File { file, path } => {
                let done = file.write_all_at(data, off).and_then(|()| {
                    if fua {
                        file.sync_data()
                    } else {
                        Ok(())
                    }
                });
                done.map_err(|e| {
                    log::warn!("{}: write at {off}: {e}", path.display());
                    let lba = off / u64::from(self.block_length);
                    block_medium_error(false, lba)
                })
            }
        }
    }

    /// Checks a data-path request of `len` bytes from `lba`: whole blocks,
    /// inside the capacity.
    fn check_request(&self, lba: u64, len: usize) -> Result<(u64, u64), TargetError> {
        let bl = self.block_length as usize;
        if len % bl != 0 {
            return Err(transfer_mismatch().into());
        }
        let blocks = (len / bl) as u64;
        let (off, _) = self.range(lba, blocks)?;
        Ok((off, blocks))
    }
}

/// Opens (or creates) the backing file of a disk and checks its size.
fn open_backing_file(path: &Path, bytes: u64, blocks: u64, bl: u32) -> Result<File, SimError> {
    let file = open_state_file(path, "the disk's backing file")?;
    let len = file
        .metadata()
        .map_err(|e| state_error(path, format!("cannot stat the disk's backing file: {e}")))?
        .len();
    if len == 0 {
        file.set_len(bytes).map_err(|e| {
            state_error(
                path,
                format!("cannot size the backing file to {bytes} bytes: {e}"),
            )
        })?;
    } else if len != bytes {
        return Err(state_error(
            path,
            format!(
                "the backing file holds {len} bytes but the disk is {blocks} blocks of {bl} \
                 bytes ({bytes} bytes); give the disk the file's size or move the file away"
            ),
        ));
    }
    Ok(file)
}

impl Lu for SimDisk {
    fn name(&self) -> &str {
        &self.identity.name
    }

    fn designators(&self) -> Vec<Designator> {
        self.identity.designators()
    }

    fn command(&self, _fabric: &Fabric, cdb: &[u8], data: DataDirection<'_>) -> Completion {
        self.command_as(&self.identity, cdb, data)
    }

    fn block(&self) -> Option<&dyn BlockTarget> {
        Some(self)
    }
}

impl BlockTarget for SimDisk {
    fn block_length(&self) -> u32 {
        self.block_length
    }

    fn capacity_blocks(&self) -> u64 {
        self.capacity_blocks
    }

    fn read_blocks(&self, lba: u64, buf: &mut [u8]) -> Result<(), TargetError> {
        let (off, blocks) = self.check_request(lba, buf.len())?;
        if blocks == 0 {
            return Ok(());
        }
        self.read_bytes(off, buf);
        Ok(())
    }

    fn write_blocks(&self, lba: u64, data: &[u8]) -> Result<(), TargetError> {
        let (off, blocks) = self.check_request(lba, data.len())?;
        if blocks == 0 {
            return Ok(());
        }
        Ok(self.write_bytes(off, data, false)?)
    }

    fn check_blocks(&self, _read: bool, lba: u64, bytes: u64) -> Result<(), TargetError> {
        let len = usize::try_from(bytes).map_err(|_| TargetError::from(lba_out_of_range()))?;
        self.check_request(lba, len).map(|_| ())
    }

    /// In memory, a write of exactly one whole chunk becomes that chunk
    /// (no copy) and the chunk it replaces is given back.
    fn write_blocks_owned(&self, lba: u64, data: Vec<u8>) -> Result<Option<Vec<u8>>, TargetError> {
        let (off, blocks) = self.check_request(lba, data.len())?;
        if blocks == 0 {
            return Ok(Some(data));
        }
        let data = match &self.store {
            Store::Memory(m) => match m.replace(off, data) {
                Ok(old) => return Ok(old),
                Err(data) => data,
            },
            Store::File { .. } => data,
        };
        self.write_bytes(off, &data, false)?;
        Ok(Some(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(blocks: u64) -> Arc<SimDisk> {
        SimDisk::new("d", 512, blocks, Backing::Memory).unwrap()
    }

    #[test]
    fn memory_chunks_span_and_stay_sparse() {
        // Three chunks and a bit; write across the first boundary.
        let d = disk(3 * 2048 + 7);
        let data: Vec<u8> = (0..4096u32).map(|i| i as u8).collect();
        d.write_blocks(2044, &data).unwrap();
        let mut back = vec![0xa5u8; 4096];
        d.read_blocks(2044, &mut back).unwrap();
        assert_eq!(back, data);
        let Store::Memory(m) = &d.store else {
            panic!("memory store")
        };
        let allocated: Vec<bool> = m
            .chunks
            .iter()
            .map(|c| c.read().unwrap().is_some())
            .collect();
        assert_eq!(allocated, [true, true, false, false]);
        assert_eq!(m.chunk_len(3), 7 * 512);
        // The last block of the disk reads as zero, and one past is refused.
        let mut last = [1u8; 512];
        d.read_blocks(3 * 2048 + 6, &mut last).unwrap();
        assert_eq!(last, [0u8; 512]);
        assert_eq!(
            d.read_blocks(3 * 2048 + 7, &mut last),
            Err(TargetError::Check(lba_out_of_range()))
        );
    }

    #[test]
    fn an_owned_write_of_a_whole_chunk_becomes_the_chunk() {
        let d = disk(3 * 2048 + 7);
        let chunk = CHUNK as usize;
        // Chunk 1 was never written: nothing comes back.
        assert_eq!(d.write_blocks_owned(2048, vec![7u8; chunk]), Ok(None));
        let mut back = vec![0xa5u8; 4096];
        d.read_blocks(2048 + 2040, &mut back).unwrap();
        assert!(back.iter().all(|&b| b == 7));
        // Written again: the storage it replaces comes back.
        let old = d.write_blocks_owned(2048, vec![9u8; chunk]).unwrap();
        assert!(old.is_some_and(|o| o.len() == chunk && o.iter().all(|&b| b == 7)));
        // Not one whole chunk (offset, short, or the short last chunk
        // given too much): copied, and the buffer comes back as it was.
        let data: Vec<u8> = (0..4096u32).map(|i| i as u8).collect();
        assert_eq!(
            d.write_blocks_owned(2044, data.clone()),
            Ok(Some(data.clone()))
        );
        d.read_blocks(2044, &mut back).unwrap();
        assert_eq!(back, data);
        let mut spare = Vec::with_capacity(2 * chunk);
        spare.resize(chunk, 3u8);
        let back_again = d.write_blocks_owned(0, spare).unwrap().unwrap();
        assert_eq!(back_again.capacity(), 2 * chunk);
        d.read_blocks(0, &mut back).unwrap();
        assert!(back.iter().all(|&b| b == 3));
        // The short last chunk (7 blocks) is replaced by exactly 7 blocks.
        assert_eq!(d.write_blocks_owned(3 * 2048, vec![5u8; 7 * 512]), Ok(None));
        let mut last = [0u8; 512];
        d.read_blocks(3 * 2048 + 6, &mut last).unwrap();
        assert_eq!(last, [5u8; 512]);
        // Past the end: refused as a write is.
        assert_eq!(
            d.write_blocks_owned(3 * 2048 + 7, vec![0u8; 512]),
            Err(TargetError::Check(lba_out_of_range()))
        );
    }

    #[test]
    fn refuses_shapes_it_cannot_simulate() {
        let e = SimDisk::new("x", 520, 8, Backing::Memory).unwrap_err();
        assert!(e.to_string().contains("use 512 or 4096"), "{e}");
        assert!(SimDisk::new("x", 512, 0, Backing::Memory).is_err());
        assert!(SimDisk::new("x", 4096, u64::MAX / 1024, Backing::Memory).is_err());
        let d = disk(8);
        assert!(d.write_blocks(0, &[0u8; 100]).is_err());
    }
}
