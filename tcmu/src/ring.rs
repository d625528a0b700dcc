//! The command ring protocol, written once over [`Shared`] memory.
//!
//! [`RingCore`] is everything [`crate::Ring`] does with the mapping: it
//! walks the kernel's entries from its peek cursor to `cmd_head` (the
//! kernel's `queue_cmd_ring` / `queue_tmr_ring` /
//! `ring_insert_padding` in `drivers/target/target_core_user.c` write
//! them), copies each command out, and completes commands out of order as
//! libtcmu's `tcmulib_command_complete` does. The mmap'd UIO region
//! ([`crate::mmap::Mapping`]) and the tests' heap buffer both implement
//! [`Shared`], so the tests' fake kernel drives exactly this code.
//!
//! Every value read from the mapping is checked before it is used as an
//! offset: `Shared` is only ever called with ranges inside the mapping
//! (and asserts it again).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::layout::*;
use crate::{Command, Corruption, Entry, Error, Iov, MailboxFlags, Response, Tmr, TmrKind};

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

/// Memory shared with the kernel, addressed by byte offset from the start
/// of the mapping (the mailbox).
///
/// Callers pass only in-range offsets; an implementation panics on an
/// out-of-range one rather than touch memory outside the mapping.
pub(crate) trait Shared {
    /// Bytes in the mapping.
    fn len(&self) -> usize;
    /// Loads the 4-byte-aligned `u32` at `off` with Acquire ordering.
    fn load_u32_acquire(&self, off: usize) -> u32;
    /// Stores `v` at the 4-byte-aligned `off` with Release ordering.
    fn store_u32_release(&self, off: usize, v: u32);
    /// Copies `buf.len()` bytes at `off` into `buf`.
    fn read(&self, off: usize, buf: &mut [u8]);
    /// Copies `buf` to `off`.
    fn write(&self, off: usize, buf: &[u8]);
}

#[cfg(test)]
impl<T: Shared + ?Sized> Shared for std::sync::Arc<T> {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn load_u32_acquire(&self, off: usize) -> u32 {
        (**self).load_u32_acquire(off)
    }
    fn store_u32_release(&self, off: usize, v: u32) {
        (**self).store_u32_release(off, v)
    }
    fn read(&self, off: usize, buf: &mut [u8]) {
        (**self).read(off, buf)
    }
    fn write(&self, off: usize, buf: &[u8]) {
        (**self).write(off, buf)
    }
}

/// `VARIABLE_LENGTH_CMD` (7Fh): the CDB is 8 + byte 7 bytes long.
const VARIABLE_LENGTH_CMD: u8 = 0x7f;

/// CDB length by group code (the opcode's top 3 bits), as the kernel's
/// `scsi_command_size_tbl` (`drivers/scsi/scsi_common.c`) gives it.
const CDB_LEN_BY_GROUP: [u64; 8] = [6, 10, 10, 12, 16, 12, 10, 10];

/// Where the ring sits in the mapping, read once from the mailbox.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    map_len: usize,
    cmdr_off: usize,
    cmdr_size: u32,
    /// Start of the data area: the end of the command ring.
    data_off: usize,
    flags: MailboxFlags,
}

/// Userspace's two cursors and what lies between them.
#[derive(Debug)]
struct Cursors {
    /// Next entry to take (libtcmu's `dev->cmd_tail`).
    peek: u32,
    /// Our copy of `mailbox.cmd_tail`: the first slot not yet completed.
    tail: u32,
    /// Commands taken and not completed: id → the slot it came from.
    outstanding: HashMap<u16, u32>,
    /// Slots in `[tail, peek)` whose command entry is still as the kernel
    /// wrote it (not yet overwritten by a response): slot → id.
    intact: HashMap<u32, u16>,
}

/// A validated entry header.
#[derive(Debug, Clone, Copy)]
struct Hdr {
    op: u32,
    len: u32,
    cmd_id: u16,
    uflags: u8,
}

/// The ring logic over any [`Shared`] memory.
pub(crate) struct RingCore<M> {
    mem: M,
    path: PathBuf,
    geo: Geometry,
    cursors: Mutex<Cursors>,
}

impl<M: Shared> RingCore<M> {
    /// Reads and checks the mailbox; the peek cursor starts at `cmd_tail`,
    /// so entries a previous handler left unanswered are taken again.
    pub(crate) fn new(mem: M, path: PathBuf) -> Result<Self, Error> {
        let map_len = mem.len();
        let bad = |field, value: u64| Error::BadMailbox {
            path: path.clone(),
            field,
            value,
            map_len,
        };
        if map_len < MAILBOX_SIZE {
            return Err(bad("the map size", map_len as u64));
        }
        let version = u16::from_ne_bytes(read_array(&mem, MB_VERSION));
        if version != MAILBOX_VERSION {
            return Err(Error::UnsupportedVersion { path, version });
        }
        let flags = MailboxFlags::from_bits_retain(u16::from_ne_bytes(read_array(&mem, MB_FLAGS)));
        if !flags.contains(MailboxFlags::CAP_OOOC) {
            return Err(Error::NoOutOfOrder {
                path,
                flags: flags.bits(),
            });
        }
        let cmdr_off = u32::from_ne_bytes(read_array(&mem, MB_CMDR_OFF));
        let cmdr_size = u32::from_ne_bytes(read_array(&mem, MB_CMDR_SIZE));
        let cmdr_off_usize = usize::try_from(cmdr_off).unwrap_or(usize::MAX);
        if cmdr_off_usize < MAILBOX_SIZE || cmdr_off % OP_ALIGN != 0 {
            return Err(bad("cmdr_off", u64::from(cmdr_off)));
        }
        if (cmdr_size as usize) < CMD_ENTRY_SIZE || cmdr_size % OP_ALIGN != 0 {
            return Err(bad("cmdr_size", u64::from(cmdr_size)));
        }
        let data_off = cmdr_off_usize
            .checked_add(cmdr_size as usize)
            .filter(|&end| end <= map_len)
            .ok_or_else(|| {
                bad(
                    "cmdr_off + cmdr_size",
                    u64::from(cmdr_off) + u64::from(cmdr_size),
                )
            })?;
        let tail = mem.load_u32_acquire(MB_CMD_TAIL);
        if tail >= cmdr_size || tail % OP_ALIGN != 0 {
            return Err(Error::CorruptRing {
                path,
                offset: tail,
                problem: Corruption::Tail(tail),
            });
        }
        log::debug!(
            "{}: TCMU ring of {cmdr_size} bytes at {cmdr_off:#x}, data area {} bytes, flags {flags:?}, tail {tail:#x}",
            path.display(),
            map_len - data_off
        );
        Ok(RingCore {
            mem,
            path,
            geo: Geometry {
                map_len,
                cmdr_off: cmdr_off_usize,
                cmdr_size,
                data_off,
                flags,
            },
            cursors: Mutex::new(Cursors {
                peek: tail,
                tail,
                outstanding: HashMap::new(),
                intact: HashMap::new(),
            }),
        })
    }

    /// The device path, for errors.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The mailbox flags read at open.
    pub(crate) fn flags(&self) -> MailboxFlags {
        self.geo.flags
    }

    /// Everything the kernel queued since the last call, PADs skipped.
    ///
    /// All or nothing: on a corrupt entry nothing is taken and the error
    /// names the entry's ring offset.
    pub(crate) fn take(&self) -> Result<Vec<Entry>, Error> {
        let mut cur = self.lock();
        let head = self.head()?;
        // Going round from the tail: tail ≤ peek ≤ head. A head behind the
        // peek cursor would have us take consumed slots again.
        if self.dist(cur.tail, head) < self.dist(cur.tail, cur.peek) {
            let peek = cur.peek;
            return Err(self.corrupt(head, Corruption::HeadWentBack { head, peek }));
        }
        let mut peek = cur.peek;
        let mut taken = Vec::new();
        let mut fresh: HashMap<u16, u32> = HashMap::new();
        // Each pass advances by at least 8 bytes and never past head, so
        // the loop ends within cmdr_size / 8 passes.
        while peek != head {
            let hdr = self.header(peek, self.dist(peek, head))?;
            match hdr.op {
                OP_CMD => {
                    if hdr.uflags & UFLAG_ANSWERED_ELSEWHERE != 0 {
                        // Only a handler restarted over a ring that an
                        // earlier one completed out of order gets here.
                        return Err(self.corrupt(peek, Corruption::AnsweredElsewhere(hdr.cmd_id)));
                    }
                    let cmd = self.parse_cmd(peek, hdr)?;
                    if cur.outstanding.contains_key(&cmd.id) || fresh.insert(cmd.id, peek).is_some()
                    {
                        return Err(self.corrupt(peek, Corruption::DuplicateId(cmd.id)));
                    }
                    taken.push(Entry::Command(cmd));
                }
                OP_TMR => taken.push(Entry::Tmr(self.parse_tmr(peek, hdr)?)),
                _ => {} // PAD (header() admits no other opcode)
            }
            peek = self.advance(peek, hdr.len);
        }
        cur.peek = peek;
        for (&id, &slot) in &fresh {
            cur.intact.insert(slot, id);
        }
        cur.outstanding.extend(fresh);
        if self.release_non_commands(&mut cur) {
            self.mem.store_u32_release(MB_CMD_TAIL, cur.tail);
        }
        Ok(taken)
    }

    /// Completes `cmd` in the first command slot at the tail (skipping
    /// PAD and TMR entries) and advances `cmd_tail` past it and past any
    /// PAD and TMR entries that follow, up to the next command slot.
    pub(crate) fn complete(&self, cmd: &Command, rsp: &Response<'_>) -> Result<(), Error> {
        let mut cur = self.lock();
        if cur.outstanding.get(&cmd.id) != Some(&cmd.slot) {
            return Err(Error::NotOutstanding {
                path: self.path.clone(),
                id: cmd.id,
            });
        }
        // The slots from tail to peek hold exactly the outstanding
        // commands plus PAD/TMR entries, so a command slot lies before
        // peek; finding none means the kernel rewrote the ring.
        let mut tail = cur.tail;
        let hdr = loop {
            if tail == cur.peek {
                return Err(self.corrupt(tail, Corruption::NoCommandAtTail));
            }
            let hdr = self.header(tail, self.dist(tail, cur.peek))?;
            if hdr.op == OP_CMD {
                break hdr;
            }
            tail = self.advance(tail, hdr.len);
        };
        let slot = self.geo.cmdr_off + tail as usize;
        let mut uflags = 0u8;
        let mut read_len = 0u32;
        if let Some(n) = rsp.read_len {
            if self.geo.flags.contains(MailboxFlags::CAP_READ_LEN) {
                uflags |= UFLAG_READ_LEN;
                read_len = n;
            } else {
                log::debug!(
                    "{}: command {}: read length {n} dropped, the kernel lacks CAP_READ_LEN",
                    self.path.display(),
                    cmd.id
                );
            }
        }
        let mut sense = [0u8; SENSE_BUFFERSIZE];
        let n = rsp.sense.len().min(SENSE_BUFFERSIZE);
        if rsp.sense.len() > SENSE_BUFFERSIZE {
            log::debug!(
                "{}: command {}: sense of {} bytes cut to {SENSE_BUFFERSIZE}",
                self.path.display(),
                cmd.id,
                rsp.sense.len()
            );
        }
        sense[..n].copy_from_slice(&rsp.sense[..n]);
        self.mem.write(slot + HDR_CMD_ID, &cmd.id.to_ne_bytes());
        self.mem.write(slot + HDR_UFLAGS, &[uflags]);
        self.mem.write(slot + RSP_SCSI_STATUS, &[rsp.status]);
        self.mem.write(slot + RSP_READ_LEN, &read_len.to_ne_bytes());
        self.mem.write(slot + RSP_SENSE, &sense);
        // The tail slot's request is gone now. The command's own entry, if
        // still intact, keeps its request: mark it answered, for a handler
        // restarted later. (Once overwritten by another response, the slot
        // may since have been reused by the kernel: it must not be touched.)
        cur.intact.remove(&tail);
        if cur.intact.remove(&cmd.slot) == Some(cmd.id) {
            let own = self.geo.cmdr_off + cmd.slot as usize + HDR_UFLAGS;
            let old: [u8; 1] = read_array(&self.mem, own);
            self.mem.write(own, &[old[0] | UFLAG_ANSWERED_ELSEWHERE]);
        }
        cur.tail = self.advance(tail, hdr.len);
        cur.outstanding.remove(&cmd.id);
        self.release_non_commands(&mut cur);
        // Release: the response above is visible before the new tail.
        self.mem.store_u32_release(MB_CMD_TAIL, cur.tail);
        Ok(())
    }

    /// Moves the tail over the PAD and TMR entries there, up to the first
    /// command slot or the peek cursor, so that the kernel can reclaim
    /// them without waiting for another completion. Returns whether the
    /// tail moved; the caller publishes it.
    fn release_non_commands(&self, cur: &mut Cursors) -> bool {
        let start = cur.tail;
        while cur.tail != cur.peek {
            match self.header(cur.tail, self.dist(cur.tail, cur.peek)) {
                Ok(h) if h.op != OP_CMD => cur.tail = self.advance(cur.tail, h.len),
                // A command slot, or an entry rewritten since it was taken
                // (which the next complete() reports).
                _ => break,
            }
        }
        cur.tail != start
    }

    /// Gathers the data iovecs of an outstanding command.
    pub(crate) fn data_out(&self, cmd: &Command) -> Result<Vec<u8>, Error> {
        self.check_outstanding(cmd)?;
        let ranges = self.iov_ranges(cmd)?;
        let total = ranges.iter().map(|&(_, n)| n).sum();
        let mut out = vec![0u8; total];
        let mut at = 0;
        for (off, n) in ranges {
            self.mem.read(off, &mut out[at..at + n]);
            at += n;
        }
        Ok(out)
    }

    /// Scatters `data` over the data iovecs of an outstanding command, up
    /// to their total length; returns the bytes written.
    pub(crate) fn data_in(&self, cmd: &Command, data: &[u8]) -> Result<usize, Error> {
        self.check_outstanding(cmd)?;
        let mut at = 0;
        for (off, n) in self.iov_ranges(cmd)? {
            let k = n.min(data.len() - at);
            if k == 0 {
                break;
            }
            self.mem.write(off, &data[at..at + k]);
            at += k;
        }
        Ok(at)
    }

    /// The two cursors, for the tests' invariants.
    #[cfg(test)]
    pub(crate) fn cursors(&self) -> (u32, u32) {
        let cur = self.lock();
        (cur.peek, cur.tail)
    }

    fn lock(&self) -> MutexGuard<'_, Cursors> {
        // The cursors are only changed after every check has passed, so a
        // panic elsewhere cannot leave them half-updated.
        self.cursors.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn check_outstanding(&self, cmd: &Command) -> Result<(), Error> {
        if self.lock().outstanding.get(&cmd.id) == Some(&cmd.slot) {
            Ok(())
        } else {
            Err(Error::NotOutstanding {
                path: self.path.clone(),
                id: cmd.id,
            })
        }
    }

    /// The command's data iovecs as checked `(offset, len)` ranges: its
    /// fields are public, so they are checked again here.
    fn iov_ranges(&self, cmd: &Command) -> Result<Vec<(usize, usize)>, Error> {
        self.check_iovs(&cmd.iovs)
            .map_err(|problem| Error::BadCommand {
                path: self.path.clone(),
                id: cmd.id,
                problem,
            })
    }

    /// Checks that every iovec lies inside the data area and that together
    /// they are no larger than it.
    fn check_iovs(&self, iovs: &[Iov]) -> Result<Vec<(usize, usize)>, Corruption> {
        let area = self.geo.map_len - self.geo.data_off;
        let mut total: usize = 0;
        let mut out = Vec::with_capacity(iovs.len());
        for (index, iov) in iovs.iter().enumerate() {
            let outside = Corruption::IovOutside {
                index,
                offset: iov.offset,
                len: iov.len,
            };
            let (Ok(off), Ok(n)) = (usize::try_from(iov.offset), usize::try_from(iov.len)) else {
                return Err(outside);
            };
            match off.checked_add(n) {
                Some(end)
                    if off >= self.geo.data_off
                        && off < self.geo.map_len
                        && end <= self.geo.map_len => {}
                _ => return Err(outside),
            }
            total = total.saturating_add(n);
            out.push((off, n));
        }
        if total > area {
            return Err(Corruption::DataTooLong {
                total: total as u64,
                area: area as u64,
            });
        }
        Ok(out)
    }

    /// `cmd_head`, checked to be an aligned offset inside the ring.
    fn head(&self) -> Result<u32, Error> {
        let head = self.mem.load_u32_acquire(MB_CMD_HEAD);
        if head >= self.geo.cmdr_size || head % OP_ALIGN != 0 {
            return Err(self.corrupt(head, Corruption::Head(head)));
        }
        Ok(head)
    }

    /// Bytes from ring offset `from` forward to `to`.
    fn dist(&self, from: u32, to: u32) -> u32 {
        let size = u64::from(self.geo.cmdr_size);
        ((u64::from(to) + size - u64::from(from)) % size) as u32
    }

    /// Ring offset `len` bytes past `at`, wrapping.
    fn advance(&self, at: u32, len: u32) -> u32 {
        ((u64::from(at) + u64::from(len)) % u64::from(self.geo.cmdr_size)) as u32
    }

    fn corrupt(&self, offset: u32, problem: Corruption) -> Error {
        Error::CorruptRing {
            path: self.path.clone(),
            offset,
            problem,
        }
    }

    /// Reads and checks the header at ring offset `slot` (aligned, inside
    /// the ring: the cursors only ever hold such values), where `room`
    /// bytes may be read before the other side's cursor.
    fn header(&self, slot: u32, room: u32) -> Result<Hdr, Error> {
        let abs = self.geo.cmdr_off + slot as usize;
        let hdr: [u8; HDR_SIZE] = read_array(&self.mem, abs);
        let len_op = u32::from_ne_bytes(field(&hdr, HDR_LEN_OP));
        let cmd_id = u16::from_ne_bytes(field(&hdr, HDR_CMD_ID));
        let uflags = hdr[HDR_UFLAGS];
        let (op, len) = (len_op & OP_MASK, len_op & !OP_MASK);
        let min = match op {
            OP_PAD => HDR_SIZE,
            OP_CMD => CMD_ENTRY_SIZE,
            OP_TMR => TMR_ENTRY_SIZE,
            other => return Err(self.corrupt(slot, Corruption::UnknownOpcode(other as u8))),
        };
        if len == 0 {
            return Err(self.corrupt(slot, Corruption::ZeroLength));
        }
        let to_end = self.geo.cmdr_size - slot;
        if len > to_end {
            return Err(self.corrupt(slot, Corruption::PastRingEnd { len, room: to_end }));
        }
        if len > room {
            return Err(self.corrupt(slot, Corruption::PastCursor { len, room }));
        }
        if (len as usize) < min {
            let what = if op == OP_CMD { "CMD" } else { "TMR" };
            return Err(self.corrupt(slot, Corruption::TooShort { what, len, min }));
        }
        Ok(Hdr {
            op,
            len,
            cmd_id,
            uflags,
        })
    }

    /// Copies a CMD entry (header already checked) out of the ring.
    fn parse_cmd(&self, slot: u32, hdr: Hdr) -> Result<Command, Error> {
        let abs = self.geo.cmdr_off + slot as usize;
        let end = abs + hdr.len as usize;
        let u32_at = |off: usize| u32::from_ne_bytes(read_array(&self.mem, abs + off));
        let iov_cnt = u32_at(REQ_IOV_CNT);
        let bidi_cnt = u32_at(REQ_IOV_BIDI_CNT);
        let dif_cnt = u32_at(REQ_IOV_DIF_CNT);
        // The kernel never sends DIF iovecs, but they would follow the
        // others: all must fit the entry.
        let count = u64::from(iov_cnt) + u64::from(bidi_cnt) + u64::from(dif_cnt);
        let fit = (u64::from(hdr.len) - REQ_IOV as u64) / IOV_SIZE as u64;
        if count > fit {
            return Err(self.corrupt(
                slot,
                Corruption::TooManyIovs {
                    count,
                    len: hdr.len,
                },
            ));
        }
        let cdb = self.read_cdb(slot, abs, end)?;
        let read_iov = |i: usize| {
            let raw: [u8; IOV_SIZE] = read_array(&self.mem, abs + REQ_IOV + i * IOV_SIZE);
            Iov {
                offset: u64::from_ne_bytes(field(&raw, IOV_BASE)),
                len: u64::from_ne_bytes(field(&raw, IOV_LEN)),
            }
        };
        let iov_cnt = iov_cnt as usize;
        let iovs: Vec<Iov> = (0..iov_cnt).map(read_iov).collect();
        let bidi_iovs: Vec<Iov> = (iov_cnt..iov_cnt + bidi_cnt as usize)
            .map(read_iov)
            .collect();
        for (list, first) in [(&iovs, 0), (&bidi_iovs, iov_cnt)] {
            if let Err(mut problem) = self.check_iovs(list) {
                if let Corruption::IovOutside { index, .. } = &mut problem {
                    *index += first;
                }
                return Err(self.corrupt(slot, problem));
            }
        }
        Ok(Command {
            id: hdr.cmd_id,
            cdb,
            iovs,
            bidi_iovs,
            slot,
        })
    }

    /// Copies the CDB out; the kernel writes it inside the entry, just
    /// past the iovecs, and its length follows from its opcode.
    fn read_cdb(&self, slot: u32, abs: usize, end: usize) -> Result<Vec<u8>, Error> {
        let off = u64::from_ne_bytes(read_array(&self.mem, abs + REQ_CDB_OFF));
        let (start, end) = (abs as u64, end as u64);
        let outside = |len| self.corrupt(slot, Corruption::CdbOutside { off, len });
        if off < start || off >= end {
            return Err(outside(1));
        }
        let opcode: [u8; 1] = read_array(&self.mem, off as usize);
        let len = if opcode[0] == VARIABLE_LENGTH_CMD {
            if off + 8 > end {
                return Err(outside(8));
            }
            let add: [u8; 1] = read_array(&self.mem, off as usize + 7);
            8 + u64::from(add[0])
        } else {
            CDB_LEN_BY_GROUP[usize::from(opcode[0] >> 5)]
        };
        if off + len > end {
            return Err(outside(len));
        }
        let mut cdb = vec![0u8; len as usize];
        self.mem.read(off as usize, &mut cdb);
        Ok(cdb)
    }

    /// Copies a TMR entry (header already checked) out of the ring.
    fn parse_tmr(&self, slot: u32, hdr: Hdr) -> Result<Tmr, Error> {
        let abs = self.geo.cmdr_off + slot as usize;
        let kind: [u8; 1] = read_array(&self.mem, abs + TMR_TYPE);
        let count = u32::from_ne_bytes(read_array(&self.mem, abs + TMR_CMD_CNT));
        let fit = (hdr.len as usize - TMR_CMD_IDS) / 2;
        if count as usize > fit {
            return Err(self.corrupt(
                slot,
                Corruption::TooManyTmrIds {
                    count,
                    len: hdr.len,
                },
            ));
        }
        let mut raw = vec![0u8; count as usize * 2];
        self.mem.read(abs + TMR_CMD_IDS, &mut raw);
        Ok(Tmr {
            kind: TmrKind::from_raw(kind[0]),
            cmd_ids: raw
                .chunks_exact(2)
                .map(|c| u16::from_ne_bytes([c[0], c[1]]))
                .collect(),
        })
    }
}

/// Reads `N` bytes at `off`.
fn read_array<const N: usize>(mem: &impl Shared, off: usize) -> [u8; N] {
    let mut b = [0u8; N];
    mem.read(off, &mut b);
    b
}

/// The `N` bytes of `raw` at `off` (a constant of the layout).
fn field<const N: usize>(raw: &[u8], off: usize) -> [u8; N] {
    let mut b = [0u8; N];
    b.copy_from_slice(&raw[off..off + N]);
    b
}
