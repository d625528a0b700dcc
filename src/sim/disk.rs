//! A simulated disk: an SBC-3 (r36) direct-access block device of 512- or
//! 4096-byte logical blocks, held in memory or in a sparse file.
//!
//! Commands (through [`Lu::command`]): INQUIRY with VPD pages 00h, 80h,
//! 83h, 86h, B0h, B1h and B2h (and 8Fh when its [`Identity`] has one), TEST
//! UNIT READY and REQUEST SENSE ([`handle_common`]); READ CAPACITY (10)
//! and (16); READ (10) and (16), WRITE (10) and (16); SYNCHRONIZE CACHE
//! (10) and (16); MODE SENSE (6) and (10) for the Caching (08h) and
//! Control (0Ah) mode pages. Any other opcode is INVALID COMMAND OPERATION
//! CODE (20/00); another SERVICE ACTION IN (16) action is INVALID FIELD IN
//! CDB (24/00, the SPC-4 answer for an unsupported service action, as LIO
//! gives).
//!
//! The ten-byte CDBs are widened into their sixteen-byte forms and take the
//! same path: same checks, same sense, same data handling. Linux `sd`
//! reads and writes a disk under 2 TiB with READ/WRITE (10), `sg_readcap`
//! asks READ CAPACITY (10), and `sd` asks MODE SENSE for the Caching page
//! and flushes with SYNCHRONIZE CACHE when it sees a write cache.
//!
//! Rules, with the standard they follow:
//! - a READ or WRITE with RDPROTECT/WRPROTECT other than zero is ILLEGAL
//!   REQUEST, INVALID FIELD IN CDB (24/00): the disk has no protection
//!   information (SBC-3, READ (10) "RDPROTECT field"). Checked first, before
//!   the LBA range, with LIO's sense byte for byte (`sbc_check_prot` answers
//!   TCM_INVALID_CDB_FIELD, which carries no field pointer);
//! - an LBA range that ends past the capacity, or whose sum overflows, is
//!   ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE (21/00) (SBC-3,
//!   READ / WRITE / SYNCHRONIZE CACHE); a TRANSFER LENGTH of zero moves
//!   nothing and is not an error; a NUMBER OF LOGICAL BLOCKS of zero in
//!   SYNCHRONIZE CACHE runs from the LBA to the last block;
//! - a data-in buffer of another size than TRANSFER LENGTH × block length
//!   is filled as far as both go, the rest reported as residual (what LIO's
//!   `target_cmd_size_check` does for reads);
//! - a data-out buffer of another size is refused with ILLEGAL REQUEST,
//!   INVALID FIELD IN COMMAND INFORMATION UNIT (0E/03): the transfer the
//!   command carries disagrees with its CDB, and LIO rejects such a WRITE
//!   with exactly that sense (`TCM_INVALID_FIELD_IN_COMMAND_IU`);
//! - READ CAPACITY (10) of a disk whose last LBA does not fit four bytes
//!   answers FFFFFFFFh, sending the initiator to READ CAPACITY (16) (SBC-3);
//! - MODE SENSE of another page, or of a subpage, is INVALID FIELD IN CDB
//!   (24/00) pointing at the PAGE CODE (byte 2) or SUBPAGE CODE (byte 3);
//!   saved values are SAVING PARAMETERS NOT SUPPORTED (39/00);
//! - a wrong-length CDB for a known opcode is INVALID FIELD IN CDB (24/00).
//!
//! Faults are not the disk's business: the fabric puts the site's fault
//! plan in front of its commands ([`crate::transport::fault`], which
//! strikes READ/WRITE (10) as it strikes READ/WRITE (16)) and its data
//! path ([`crate::sim::datapath`]).
//!
//! Storage: in memory, the capacity is cut into 1 MiB chunks, each behind
//! its own lock and allocated (zeroed) on first write, so a large sparse
//! disk costs nothing until written and a transfer is one `copy_from_slice`
//! per chunk it touches. A file-backed disk is a sparse file of exactly the
//! capacity, read and written with `pread`/`pwrite`; a file of another size
//! is refused rather than guessed at, so a disk keeps its data across
//! process runs and never silently changes shape. Writes reach the page
//! cache; FUA and SYNCHRONIZE CACHE push them to the file's medium
//! (`fdatasync`).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use super::common::{
    check, check_sense, data_in, handle_common, invalid_cdb_field, invalid_opcode,
};
use super::common::{BlockPages, Identity};
use super::{open_state_file, state_error, BlockTarget, Fabric, Lu, SimError, TargetError};
use crate::transport::fault::block_medium_error;
use crate::transport::{Completion, DataDirection};
use crate::wire::inquiry::PeripheralDeviceType;
use crate::wire::mode::{
    ControlModePage, ModeListKind, ModeParameterList10, ModeParameterList6, ModeSense10Cdb,
    ModeSense6Cdb, PageControl,
};
use crate::wire::sbc::{
    CachingModePage, DiskDeviceSpecific, Read10Cdb, Read16Cdb, ReadCapacity10, ReadCapacity10Cdb,
    ReadCapacity16, ReadCapacity16Cdb, ShortLbaBlockDescriptor, SynchronizeCache10Cdb,
    SynchronizeCache16Cdb, Write10Cdb, Write16Cdb,
};
use crate::wire::sense::{SenseData, SenseKey};
use crate::wire::vpd::{
    BlockDeviceCharacteristics, BlockLimits, Designator, ExtendedInquiryData,
    LogicalBlockProvisioning,
};
use crate::wire::{Repr, WireError};

/// Bytes per chunk of a memory-backed disk.
const CHUNK: u64 = 1 << 20;
/// The most chunks a memory-backed disk may have (1 TiB, a 32 MiB chunk
/// table); larger disks should be file-backed.
const MAX_CHUNKS: u64 = 1 << 20;
/// SERVICE ACTION IN (16), the opcode READ CAPACITY (16) shares.
const SERVICE_ACTION_IN_16: u8 = ReadCapacity16Cdb::OPCODE;
/// The MODE SENSE CDB's PAGE CODE: byte 2, bits 5-0.
const MODE_SENSE_PAGE_CODE: (u16, u8) = (2, 5);
/// The MODE SENSE CDB's SUBPAGE CODE: byte 3.
const MODE_SENSE_SUBPAGE_CODE: u16 = 3;
/// The most bytes LIO's fileio backstore moves in one READ or WRITE
/// (`FD_MAX_BYTES`, 8 MiB; more is refused): its MAXIMUM TRANSFER LENGTH
/// is this many bytes in blocks.
const LIO_FD_MAX_BYTES: u32 = 8 << 20;

/// Which mode parameter header a MODE SENSE answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ModeHeader {
    /// MODE SENSE (6): header(6).
    Six,
    /// MODE SENSE (10): header(10).
    Ten,
}

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

/// ILLEGAL REQUEST, INVALID FIELD IN CDB (24/00) for a READ or WRITE whose
/// RDPROTECT or WRPROTECT is not zero: this disk has no protection
/// information. LIO's answer byte for byte: fixed format, and no
/// sense-key specific field pointer (its TCM_INVALID_CDB_FIELD has none),
/// where SPC-4 would point at byte 1 bit 7.
fn protect_refused() -> Completion {
    check(SenseKey::IllegalRequest, 0x24, 0x00)
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
    /// `identity` (its device type should be direct-access block), with the
    /// disk's VPD pages 86h, B0h, B1h and B2h added to it.
    pub fn with_identity(
        mut identity: Identity,
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
        identity.block_pages = Some(block_pages(block_length));
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
        // A CDB of the right opcode that does not parse has the wrong
        // length: INVALID FIELD IN CDB at byte 0, as for READ (16).
        match opcode {
            Read16Cdb::OPCODE => match Read16Cdb::parse(cdb) {
                Ok(c) => self.read(&c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            Read10Cdb::OPCODE => match Read10Cdb::parse(cdb) {
                Ok(c) => self.read(&c.into(), data),
                Err(_) => invalid_cdb_field(0, None),
            },
            Write16Cdb::OPCODE => match Write16Cdb::parse(cdb) {
                Ok(c) => self.write(&c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            Write10Cdb::OPCODE => match Write10Cdb::parse(cdb) {
                Ok(c) => self.write(&c.into(), data),
                Err(_) => invalid_cdb_field(0, None),
            },
            SERVICE_ACTION_IN_16 => match ReadCapacity16Cdb::parse(cdb) {
                Ok(c) => capacity(
                    ReadCapacity16::new(self.capacity_blocks, self.block_length),
                    usize::try_from(c.allocation_length).unwrap_or(usize::MAX),
                    data,
                ),
                // Wrong length, or a service action other than 10h.
                Err(_) => invalid_cdb_field(1, Some(4)),
            },
            // No allocation length: the eight bytes, cut by the buffer.
            // LIO still rejects PMI=0 with a nonzero LBA, as SBC-2 did;
            // SBC-3 made both fields obsolete, and they are ignored here.
            ReadCapacity10Cdb::OPCODE => match ReadCapacity10Cdb::parse(cdb) {
                Ok(_) => capacity(
                    ReadCapacity10::new(self.capacity_blocks, self.block_length),
                    usize::MAX,
                    data,
                ),
                Err(_) => invalid_cdb_field(0, None),
            },
            SynchronizeCache16Cdb::OPCODE => match SynchronizeCache16Cdb::parse(cdb) {
                Ok(c) => self.synchronize_cache(&c),
                Err(_) => invalid_cdb_field(0, None),
            },
            SynchronizeCache10Cdb::OPCODE => match SynchronizeCache10Cdb::parse(cdb) {
                Ok(c) => self.synchronize_cache(&c.into()),
                Err(_) => invalid_cdb_field(0, None),
            },
            ModeSense6Cdb::OPCODE => match ModeSense6Cdb::parse(cdb) {
                Ok(c) => self.mode_sense(&c.into(), ModeHeader::Six, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            ModeSense10Cdb::OPCODE => match ModeSense10Cdb::parse(cdb) {
                Ok(c) => self.mode_sense(&c, ModeHeader::Ten, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            _ => handle_common(identity, cdb, data, None).unwrap_or_else(invalid_opcode),
        }
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

    /// READ (16), or READ (10) widened into one.
    fn read(&self, c: &Read16Cdb, data: DataDirection<'_>) -> Completion {
        if c.rdprotect != 0 {
            return protect_refused();
        }
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

    /// WRITE (16), or WRITE (10) widened into one.
    fn write(&self, c: &Write16Cdb, data: DataDirection<'_>) -> Completion {
        if c.wrprotect != 0 {
            return protect_refused();
        }
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

    /// SYNCHRONIZE CACHE (16), or (10) widened into one: GOOD once the
    /// range is checked and the blocks are on the medium. IMMED only allows
    /// GOOD before that; answering after it is as good.
    fn synchronize_cache(&self, c: &SynchronizeCache16Cdb) -> Completion {
        let blocks = match c.number_of_logical_blocks {
            // From the LBA to the last block; an LBA past the end stays
            // out of range (zero blocks from there).
            0 => self.capacity_blocks.saturating_sub(c.lba),
            n => u64::from(n),
        };
        if let Err(s) = self.range(c.lba, blocks) {
            return check_sense(s);
        }
        match self.flush(c.lba) {
            Ok(()) => Completion::good(0),
            Err(s) => check_sense(s),
        }
    }

    /// Puts what writes left in a cache on the medium. Memory has no cache
    /// beyond what a write already did. A file is synced whole
    /// (`fdatasync`), where LIO's fileio backstore syncs the range
    /// (`vfs_fsync_range`): a ranged sync needs `sync_file_range` through
    /// `unsafe`, which this crate does not have, and a whole sync covers
    /// the range.
    fn flush(&self, lba: u64) -> Result<(), SenseData> {
        match &self.store {
            Store::Memory(_) => Ok(()),
            Store::File { file, path } => file.sync_data().map_err(|e| {
                log::warn!("{}: synchronize cache: {e}", path.display());
                block_medium_error(false, lba)
            }),
        }
    }

    /// MODE SENSE (6) (widened) or (10) of the Caching and Control mode
    /// pages, answered as LIO's `spc_emulate_modesense` answers where SPC-4
    /// leaves a choice (departures noted here and in
    /// [`SimDisk::mode_values`]).
    fn mode_sense(
        &self,
        c: &ModeSense10Cdb,
        header: ModeHeader,
        data: DataDirection<'_>,
    ) -> Completion {
        let pages = [CachingModePage::PAGE_CODE, ControlModePage::PAGE_CODE];
        if !pages.iter().any(|&p| c.asks_for_page(p)) {
            let (byte, bit) = MODE_SENSE_PAGE_CODE;
            return invalid_cdb_field(byte, Some(bit));
        }
        if !c.asks_for_page_0_format() {
            return invalid_cdb_field(MODE_SENSE_SUBPAGE_CODE, None);
        }
        let current = match c.page_control {
            // SPC-4: saved values that are not implemented are SAVING
            // PARAMETERS NOT SUPPORTED, as the tape and library simulators
            // answer; LIO returns the current values instead.
            PageControl::Saved => return check(SenseKey::IllegalRequest, 0x39, 0x00),
            // Nothing can be changed (there is no MODE SELECT): a mask of
            // zeros, block descriptor and DEVICE-SPECIFIC PARAMETER
            // included (LIO sends its current block descriptor there).
            PageControl::Changeable => false,
            // Nothing can be changed, so the defaults are what is current.
            PageControl::Current | PageControl::Default => true,
        };
        match self.mode_data(c, header, current) {
            Ok(b) => data_in(data, &b[..b.len().min(usize::from(c.allocation_length))]),
            Err(_) => hardware_error(),
        }
    }

    /// The MODE SENSE answer: the current values, or the changeable-values
    /// mask (all zero).
    fn mode_data(
        &self,
        c: &ModeSense10Cdb,
        header: ModeHeader,
        current: bool,
    ) -> Result<Vec<u8>, WireError> {
        let values = if current {
            self.mode_values()
        } else {
            ModeValues::default()
        };
        // A short LBA block descriptor unless DBD. LIO gives a long one to
        // a MODE SENSE (10) with LLBAA when the count does not fit 32 bits;
        // SPC-4 lets a device ignore LLBAA, and the count is then
        // FFFFFFFFh.
        let block_descriptors = if c.dbd {
            Vec::new()
        } else {
            vec![values.descriptor.to_block_descriptor()?]
        };
        // In ascending page code, as SPC-4 orders an all-pages answer.
        let mut pages = Vec::new();
        if c.asks_for_page(CachingModePage::PAGE_CODE) {
            pages.push(values.caching.to_mode_page()?);
        }
        if c.asks_for_page(ControlModePage::PAGE_CODE) {
            pages.push(values.control.to_mode_page()?);
        }
        let device_specific = values.device_specific.to_byte();
        match header {
            ModeHeader::Six => ModeParameterList6 {
                kind: ModeListKind::Sense,
                medium_type: 0,
                device_specific,
                block_descriptors,
                pages,
            }
            .to_vec(),
            ModeHeader::Ten => ModeParameterList10 {
                kind: ModeListKind::Sense,
                medium_type: 0,
                device_specific,
                block_descriptors,
                pages,
            }
            .to_vec(),
        }
    }

    /// The disk's current mode parameters: as LIO's fileio backstore with
    /// its default attributes unless said otherwise.
    /// - DPOFUA set: FUA is honoured (a file-backed write with FUA is
    ///   synced before GOOD), DPO is a hint.
    /// - Caching: WCE 0, RCD 0, DRA 1 (nothing reads ahead). LIO opens its
    ///   file O_DSYNC when it reports WCE 0; here a write is in the page
    ///   cache at GOOD, which outlives the process (what a simulator must
    ///   survive) though not the host.
    /// - Control: GLTSD 1, QUEUE ALGORITHM MODIFIER 1 (unrestricted
    ///   reordering), TAS 1, BUSY TIMEOUT PERIOD FFFFh (unlimited), as LIO.
    ///   D_SENSE 0, where LIO sets it on a disk past 2^32 blocks: this disk
    ///   answers in fixed format but where an LBA does not fit it.
    ///   EXTENDED SELF-TEST COMPLETION TIME 0, where LIO says 30 s: there is
    ///   no self-test (SEND DIAGNOSTIC) here to take any time.
    fn mode_values(&self) -> ModeValues {
        ModeValues {
            device_specific: DiskDeviceSpecific {
                write_protected: false,
                dpofua: true,
            },
            descriptor: ShortLbaBlockDescriptor::for_capacity(
                self.capacity_blocks,
                self.block_length,
            ),
            caching: CachingModePage {
                wce: false,
                rcd: false,
                dra: true,
                ..CachingModePage::default()
            },
            control: ControlModePage {
                gltsd: true,
                queue_algorithm_modifier: 1,
                tas: true,
                busy_timeout_period: 0xffff,
                ..ControlModePage::default()
            },
        }
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

/// What MODE SENSE reports: the current values, or all zero for the
/// changeable-values mask.
#[derive(Debug, Default)]
struct ModeValues {
    device_specific: DiskDeviceSpecific,
    descriptor: ShortLbaBlockDescriptor,
    caching: CachingModePage,
    control: ControlModePage,
}

/// The disk's VPD pages 86h, B0h, B1h and B2h: what LIO's fileio
/// backstore (kernel 6.1, a regular file, default attributes) answers for
/// a disk of `block_length`-byte blocks, departures said where they are.
/// The peripheral fields are set by the [`Identity`] answering.
fn block_pages(block_length: u32) -> BlockPages {
    // What LIO answers; 8 MiB is no limit of this disk (a READ or WRITE
    // moves whatever its CDB and buffer agree on), but a host that reads
    // the page should see LIO's numbers: 16384 blocks of 512 bytes, 2048
    // of 4096.
    let max_transfer = LIO_FD_MAX_BYTES / block_length;
    BlockPages {
        // HEADSUP, ORDSUP, SIMPSUP as LIO (its core handles task
        // attributes). No protection information: SPT, GRD_CHK, APP_CHK,
        // REF_CHK zero. V_SUP zero: there is no volatile cache to report
        // (MODE SENSE says WCE 0, and LIO sets V_SUP only with WCE).
        extended_inquiry: ExtendedInquiryData {
            headsup: true,
            ordsup: true,
            simpsup: true,
            ..ExtendedInquiryData::default()
        },
        block_limits: BlockLimits {
            // LIO stops the page after MAXIMUM PREFETCH LENGTH when it
            // emulates neither UNMAP nor WRITE SAME with UNMAP; this disk
            // has neither, so the unmap and write-same fields are absent
            // (zero) as there.
            page_length: BlockLimits::LIO_NO_THIN_PROVISIONING_PAGE_LENGTH,
            wsnz: true,
            // LIO says 1 (emulate_caw); this disk has no COMPARE AND WRITE.
            maximum_compare_and_write_length: 0,
            optimal_transfer_length_granularity: 1,
            maximum_transfer_length: max_transfer,
            // LIO's OPTIMAL TRANSFER LENGTH is hw_max_sectors as it was at
            // enable, in 512-byte blocks (16384); with 4096-byte blocks,
            // set after enable, that is more than its MAXIMUM TRANSFER
            // LENGTH (2048). Here it is the maximum for both sizes.
            optimal_transfer_length: max_transfer,
            ..BlockLimits::default()
        },
        // MEDIUM ROTATION RATE 0 (not reported) and NOMINAL FORM FACTOR 0,
        // as LIO on a regular file (is_nonrot 0).
        characteristics: BlockDeviceCharacteristics::default(),
        // No UNMAP, no WRITE SAME: LBPU, LBPWS, LBPWS10, LBPRZ zero, PAGE
        // LENGTH 4 (no provisioning group), PROVISIONING TYPE 0.
        provisioning: LogicalBlockProvisioning::default(),
    }
}

/// HARDWARE ERROR, INTERNAL TARGET FAILURE (44/00): an answer that does
/// not encode.
fn hardware_error() -> Completion {
    check(SenseKey::HardwareError, 0x44, 0x00)
}

/// READ CAPACITY (10) or (16): `answer` (`None` for a disk of no blocks,
/// which cannot be built), cut to `allocation_length` and the buffer.
fn capacity<R: Repr>(
    answer: Option<R>,
    allocation_length: usize,
    data: DataDirection<'_>,
) -> Completion {
    match answer.map(|a| a.to_vec()) {
        Some(Ok(bytes)) => data_in(data, &bytes[..bytes.len().min(allocation_length)]),
        _ => hardware_error(),
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
