//! A fake kernel for the unit tests: it queues entries as
//! `queue_cmd_ring`, `queue_tmr_ring` and `ring_insert_padding` do
//! (`drivers/target/target_core_user.c`, Linux 6.1), and reads completions
//! as `tcmu_handle_completions` does: from its `last_cleaned` cursor to
//! `cmd_tail`, skipping PAD and TMR entries, taking the id from each CMD
//! slot and the response beside it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::layout::*;
use crate::ring::Shared;
use crate::Iov;

/// Plain heap memory standing in for the mapping.
pub(crate) struct HeapMem(Mutex<Vec<u8>>);

impl HeapMem {
    pub(crate) fn new(len: usize) -> Arc<HeapMem> {
        Arc::new(HeapMem(Mutex::new(vec![0; len])))
    }

    fn with<R>(&self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }
}

impl Shared for HeapMem {
    fn len(&self) -> usize {
        self.with(|m| m.len())
    }
    fn load_u32_acquire(&self, off: usize) -> u32 {
        assert_eq!(off % 4, 0);
        self.with(|m| u32::from_ne_bytes(m[off..off + 4].try_into().unwrap()))
    }
    fn store_u32_release(&self, off: usize, v: u32) {
        assert_eq!(off % 4, 0);
        self.with(|m| m[off..off + 4].copy_from_slice(&v.to_ne_bytes()))
    }
    fn read(&self, off: usize, buf: &mut [u8]) {
        self.with(|m| buf.copy_from_slice(&m[off..off + buf.len()]))
    }
    fn write(&self, off: usize, buf: &[u8]) {
        self.with(|m| m[off..off + buf.len()].copy_from_slice(buf))
    }
}

/// The ring's offset in the mapping (the kernel's `CMDR_OFF`).
pub(crate) const CMDR_OFF: usize = MAILBOX_SIZE;
/// The fake's data block size.
pub(crate) const BLOCK: usize = 256;

/// What the kernel remembers of a command it queued.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub cdb: Vec<u8>,
    pub iovs: Vec<Iov>,
    pub bidi_iovs: Vec<Iov>,
    /// The data-out the kernel copied into the data iovecs.
    pub data: Vec<u8>,
    blocks: Vec<usize>,
}

/// A completion as the kernel read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Completed {
    pub id: u16,
    pub status: u8,
    pub sense: Vec<u8>,
    /// `rsp.read_len` if `TCMU_UFLAG_READ_LEN` was set.
    pub read_len: Option<u32>,
    /// The data-in gathered from the command's iovecs: `read_len` bytes
    /// if given (and not 0), else all of them.
    pub data: Vec<u8>,
}

pub(crate) struct FakeKernel<M: Shared> {
    pub mem: Arc<M>,
    pub cmdr_size: u32,
    pub data_off: usize,
    pub map_len: usize,
    head: u32,
    last_cleaned: u32,
    /// Bytes the head has advanced in all (laps = this / cmdr_size).
    pub advanced: u64,
    used_blocks: Vec<bool>,
    pub inflight: HashMap<u16, Queued>,
    fill: u8,
}

impl FakeKernel<HeapMem> {
    /// A heap mapping with a ring of `cmdr_size` bytes and `blocks` data
    /// blocks.
    pub(crate) fn heap(cmdr_size: u32, blocks: usize, flags: u16) -> Self {
        let len = CMDR_OFF + cmdr_size as usize + blocks * BLOCK;
        FakeKernel::new(HeapMem::new(len), cmdr_size, flags)
    }
}

impl<M: Shared> FakeKernel<M> {
    /// Writes the mailbox as `tcmu_configure_device` does.
    pub(crate) fn new(mem: Arc<M>, cmdr_size: u32, flags: u16) -> Self {
        let map_len = mem.len();
        let data_off = CMDR_OFF + cmdr_size as usize;
        assert!(data_off <= map_len);
        mem.write(0, &[0u8; MAILBOX_SIZE]);
        mem.write(MB_VERSION, &MAILBOX_VERSION.to_ne_bytes());
        mem.write(MB_FLAGS, &flags.to_ne_bytes());
        mem.write(MB_CMDR_OFF, &(CMDR_OFF as u32).to_ne_bytes());
        mem.write(MB_CMDR_SIZE, &cmdr_size.to_ne_bytes());
        mem.store_u32_release(MB_CMD_HEAD, 0);
        mem.store_u32_release(MB_CMD_TAIL, 0);
        FakeKernel {
            mem,
            cmdr_size,
            data_off,
            map_len,
            head: 0,
            last_cleaned: 0,
            advanced: 0,
            used_blocks: vec![false; (map_len - data_off) / BLOCK],
            inflight: HashMap::new(),
            fill: 1,
        }
    }

    /// The kernel's head.
    pub(crate) fn head(&self) -> u32 {
        self.head
    }

    /// The kernel's `cmdr_last_cleaned`.
    pub(crate) fn last_cleaned(&self) -> u32 {
        self.last_cleaned
    }

    /// Map offset of ring offset `slot`.
    pub(crate) fn abs(&self, slot: u32) -> usize {
        CMDR_OFF + slot as usize
    }

    pub(crate) fn put_u8(&self, at: usize, v: u8) {
        self.mem.write(at, &[v]);
    }
    pub(crate) fn put_u16(&self, at: usize, v: u16) {
        self.mem.write(at, &v.to_ne_bytes());
    }
    pub(crate) fn put_u32(&self, at: usize, v: u32) {
        self.mem.write(at, &v.to_ne_bytes());
    }
    pub(crate) fn put_u64(&self, at: usize, v: u64) {
        self.mem.write(at, &v.to_ne_bytes());
    }
    fn get<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut b = [0u8; N];
        self.mem.read(at, &mut b);
        b
    }

    /// Sets `cmd_head` behind the ring's back (for corruption tests).
    pub(crate) fn force_head(&mut self, v: u32) {
        self.mem.store_u32_release(MB_CMD_HEAD, v);
    }

    /// `spc_free`: bytes the kernel may still fill.
    fn space(&self) -> u32 {
        let used = (self.head + self.cmdr_size - self.last_cleaned) % self.cmdr_size;
        self.cmdr_size - used - 1
    }

    /// `is_ring_space_avail` + `ring_insert_padding`: returns the slot for
    /// an entry of `size` bytes, or None if the ring is full.
    fn reserve(&mut self, size: u32) -> Option<u32> {
        let to_end = self.cmdr_size - self.head;
        let needed = if to_end >= size { size } else { size + to_end };
        if self.space() < needed {
            return None;
        }
        if to_end < size {
            let at = self.abs(self.head);
            self.put_u32(at + HDR_LEN_OP, to_end | OP_PAD);
            self.put_u16(at + HDR_CMD_ID, 0);
            self.put_u8(at + HDR_KFLAGS, 0);
            self.put_u8(at + HDR_UFLAGS, 0);
            self.publish(to_end);
        }
        Some(self.head)
    }

    /// `UPDATE_HEAD`: a release store of the new head.
    fn publish(&mut self, len: u32) {
        self.head = (self.head + len) % self.cmdr_size;
        self.advanced += u64::from(len);
        self.mem.store_u32_release(MB_CMD_HEAD, self.head);
    }

    /// Allocates `len` bytes as one run of free blocks.
    fn alloc(&mut self, len: u64) -> Option<(Iov, Vec<usize>)> {
        let n = (len as usize).div_ceil(BLOCK).max(1);
        let total = self.used_blocks.len();
        let start =
            (0..=total.checked_sub(n)?).find(|&s| self.used_blocks[s..s + n].iter().all(|u| !u))?;
        let blocks: Vec<usize> = (start..start + n).collect();
        for &b in &blocks {
            self.used_blocks[b] = true;
        }
        let iov = Iov {
            offset: (self.data_off + start * BLOCK) as u64,
            len,
        };
        Some((iov, blocks))
    }

    fn free(&mut self, blocks: &[usize]) {
        for &b in blocks {
            self.used_blocks[b] = false;
        }
    }

    /// Queues a command with data iovecs of `lens` (filled with data-out)
    /// and bidi iovecs of `bidi_lens`; None if the ring or the data area
    /// is full (the kernel would queue it internally).
    pub(crate) fn queue_cmd(&mut self, cdb: &[u8], lens: &[u64], bidi_lens: &[u64]) -> Option<u16> {
        let mut blocks = Vec::new();
        let mut iovs = Vec::new();
        let mut bidi_iovs = Vec::new();
        for (i, &len) in lens.iter().chain(bidi_lens).enumerate() {
            let Some((iov, b)) = self.alloc(len) else {
                self.free(&blocks);
                return None;
            };
            blocks.extend(b);
            if i < lens.len() {
                iovs.push(iov);
            } else {
                bidi_iovs.push(iov);
            }
        }
        let n_iov = iovs.len() + bidi_iovs.len();
        let base = (REQ_IOV + n_iov * IOV_SIZE).max(CMD_ENTRY_SIZE);
        let size = (base + cdb.len().next_multiple_of(8)) as u32;
        assert!(
            size <= self.cmdr_size / 2,
            "the kernel refuses commands over half the ring"
        );
        let Some(slot) = self.reserve(size) else {
            self.free(&blocks);
            return None;
        };
        let id = (1..=u16::MAX).find(|id| !self.inflight.contains_key(id))?;
        let at = self.abs(slot);
        self.mem.write(at, &vec![0u8; size as usize]);
        // The data-out, copied into the data area before the entry is
        // published (scatter_data_area).
        let mut data = Vec::new();
        for iov in &iovs {
            let chunk: Vec<u8> = (0..iov.len)
                .map(|i| self.fill.wrapping_add(i as u8).wrapping_mul(31))
                .collect();
            self.mem.write(iov.offset as usize, &chunk);
            data.extend(chunk);
        }
        self.fill = self.fill.wrapping_add(17);
        self.put_u32(at + HDR_LEN_OP, size | OP_CMD);
        self.put_u16(at + HDR_CMD_ID, id);
        self.put_u32(at + REQ_IOV_CNT, iovs.len() as u32);
        self.put_u32(at + REQ_IOV_BIDI_CNT, bidi_iovs.len() as u32);
        for (i, iov) in iovs.iter().chain(&bidi_iovs).enumerate() {
            let v = at + REQ_IOV + i * IOV_SIZE;
            self.put_u64(v + IOV_BASE, iov.offset);
            self.put_u64(v + IOV_LEN, iov.len);
        }
        let cdb_off = at + base;
        self.mem.write(cdb_off, cdb);
        self.put_u64(at + REQ_CDB_OFF, cdb_off as u64);
        self.publish(size);
        self.inflight.insert(
            id,
            Queued {
                cdb: cdb.to_vec(),
                iovs,
                bidi_iovs,
                data,
                blocks,
            },
        );
        Some(id)
    }

    /// Queues a TMR notification; false if the ring is full.
    pub(crate) fn queue_tmr(&mut self, kind: u8, ids: &[u16]) -> bool {
        let size = (TMR_ENTRY_SIZE + 2 * ids.len()).next_multiple_of(8) as u32;
        let Some(slot) = self.reserve(size) else {
            return false;
        };
        let at = self.abs(slot);
        self.mem.write(at, &vec![0u8; size as usize]);
        self.put_u32(at + HDR_LEN_OP, size | OP_TMR);
        self.put_u8(at + TMR_TYPE, kind);
        self.put_u32(at + TMR_CMD_CNT, ids.len() as u32);
        for (i, &id) in ids.iter().enumerate() {
            self.put_u16(at + TMR_CMD_IDS + 2 * i, id);
        }
        self.publish(size);
        true
    }

    /// `tcmu_handle_completions`: reads every completion from
    /// `last_cleaned` to `cmd_tail`. Panics, as the kernel marks the ring
    /// broken, on an id it does not know.
    pub(crate) fn handle_completions(&mut self) -> Vec<Completed> {
        let tail = self.mem.load_u32_acquire(MB_CMD_TAIL);
        assert!(tail < self.cmdr_size && tail % 8 == 0, "tail {tail:#x}");
        let dist = |a: u32, b: u32| (b + self.cmdr_size - a) % self.cmdr_size;
        assert!(
            dist(self.last_cleaned, tail) <= dist(self.last_cleaned, self.head),
            "tail {tail:#x} passed head {:#x}",
            self.head
        );
        let mut done = Vec::new();
        while self.last_cleaned != tail {
            let at = self.abs(self.last_cleaned);
            let len_op = u32::from_ne_bytes(self.get(at + HDR_LEN_OP));
            let (op, len) = (len_op & OP_MASK, len_op & !OP_MASK);
            assert!(len > 0);
            if op == OP_PAD || op == OP_TMR {
                self.last_cleaned = (self.last_cleaned + len) % self.cmdr_size;
                continue;
            }
            assert_eq!(op, OP_CMD);
            let id = u16::from_ne_bytes(self.get(at + HDR_CMD_ID));
            let q = self
                .inflight
                .remove(&id)
                .unwrap_or_else(|| panic!("cmd_id {id} not found, ring is broken"));
            let uflags = self.get::<1>(at + HDR_UFLAGS)[0];
            assert_eq!(uflags & !UFLAG_READ_LEN, 0, "uflags {uflags:#x}");
            let status = self.get::<1>(at + RSP_SCSI_STATUS)[0];
            let raw_len = u32::from_ne_bytes(self.get(at + RSP_READ_LEN));
            let read_len = (uflags & UFLAG_READ_LEN != 0).then_some(raw_len);
            let sense = self.get::<SENSE_BUFFERSIZE>(at + RSP_SENSE).to_vec();
            let total: u64 = q.iovs.iter().map(|i| i.len).sum();
            let want = match read_len {
                Some(n) if n != 0 => u64::from(n).min(total),
                _ => total,
            };
            let mut data = Vec::new();
            for iov in &q.iovs {
                let k = iov.len.min(want - data.len() as u64) as usize;
                let mut chunk = vec![0u8; k];
                self.mem.read(iov.offset as usize, &mut chunk);
                data.extend(chunk);
            }
            self.free(&q.blocks);
            done.push(Completed {
                id,
                status,
                sense,
                read_len,
                data,
            });
            self.last_cleaned = (self.last_cleaned + len) % self.cmdr_size;
        }
        done
    }
}
