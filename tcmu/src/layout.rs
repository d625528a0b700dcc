//! The shared-memory ABI of TCMU, mirrored from the kernel's
//! `include/uapi/linux/target_core_user.h` (mailbox version 2).
//!
//! The Rust structs below are never instantiated: the ring is read and
//! written byte-wise at the offsets derived from them (`offset_of!`), so
//! that no reference into the shared mapping ever exists. Every offset the
//! ring code uses is asserted here at compile time, and `build.rs` asserts
//! the same values against the real header with a C compiler; the list it
//! used is checked against the constants below by the generated
//! `abi_checked.rs` included at the end of this file.

#![allow(dead_code)] // the mirrors exist for offset_of!/size_of! only

use core::mem::{offset_of, size_of};

/// `TCMU_MAILBOX_VERSION`: the only version this crate speaks.
pub(crate) const MAILBOX_VERSION: u16 = 2;
/// `ALIGN_SIZE`: `cmd_tail` sits on its own cache line.
pub(crate) const ALIGN_SIZE: usize = 64;

/// `TCMU_MAILBOX_FLAG_CAP_OOOC`: out-of-order completion.
pub(crate) const FLAG_CAP_OOOC: u16 = 1 << 0;
/// `TCMU_MAILBOX_FLAG_CAP_READ_LEN`: `rsp.read_len` is honoured.
pub(crate) const FLAG_CAP_READ_LEN: u16 = 1 << 1;
/// `TCMU_MAILBOX_FLAG_CAP_TMR`: TMR entries may appear on the ring.
pub(crate) const FLAG_CAP_TMR: u16 = 1 << 2;
/// `TCMU_MAILBOX_FLAG_CAP_KEEP_BUF`: `TCMU_UFLAG_KEEP_BUF` is honoured.
pub(crate) const FLAG_CAP_KEEP_BUF: u16 = 1 << 3;

/// `TCMU_OP_PAD`: fills the end of the ring; skipped.
pub(crate) const OP_PAD: u32 = 0;
/// `TCMU_OP_CMD`: a SCSI command.
pub(crate) const OP_CMD: u32 = 1;
/// `TCMU_OP_TMR`: a task management notification.
pub(crate) const OP_TMR: u32 = 2;
/// `TCMU_OP_MASK`: the opcode bits of `len_op`; the rest is the length.
pub(crate) const OP_MASK: u32 = 0x7;
/// `TCMU_OP_ALIGN_SIZE`: entries are multiples of 8 bytes.
pub(crate) const OP_ALIGN: u32 = 8;

/// `TCMU_UFLAG_UNKNOWN_OP`.
pub(crate) const UFLAG_UNKNOWN_OP: u8 = 0x1;
/// `TCMU_UFLAG_READ_LEN`: `rsp.read_len` is valid.
pub(crate) const UFLAG_READ_LEN: u8 = 0x2;
/// `TCMU_UFLAG_KEEP_BUF`.
pub(crate) const UFLAG_KEEP_BUF: u8 = 0x4;

/// Not the kernel's: set by this crate in the `uflags` of a command's own
/// entry when its response went into another command's slot (out-of-order
/// completion), so that a handler started later knows the ring's requests
/// before it were overwritten. The kernel reads `uflags` only of slots
/// behind `cmd_tail`, which hold responses, so it never sees this bit.
pub(crate) const UFLAG_ANSWERED_ELSEWHERE: u8 = 0x80;
const _: () =
    assert!(UFLAG_ANSWERED_ELSEWHERE & (UFLAG_UNKNOWN_OP | UFLAG_READ_LEN | UFLAG_KEEP_BUF) == 0);

/// `TCMU_SENSE_BUFFERSIZE`.
pub(crate) const SENSE_BUFFERSIZE: usize = 96;

/// `TCMU_TMR_UNKNOWN`.
pub(crate) const TMR_UNKNOWN: u8 = 0;
/// `TCMU_TMR_ABORT_TASK`.
pub(crate) const TMR_ABORT_TASK: u8 = 1;
/// `TCMU_TMR_ABORT_TASK_SET`.
pub(crate) const TMR_ABORT_TASK_SET: u8 = 2;
/// `TCMU_TMR_CLEAR_ACA`.
pub(crate) const TMR_CLEAR_ACA: u8 = 3;
/// `TCMU_TMR_CLEAR_TASK_SET`.
pub(crate) const TMR_CLEAR_TASK_SET: u8 = 4;
/// `TCMU_TMR_LUN_RESET`.
pub(crate) const TMR_LUN_RESET: u8 = 5;
/// `TCMU_TMR_TARGET_WARM_RESET`.
pub(crate) const TMR_TARGET_WARM_RESET: u8 = 6;
/// `TCMU_TMR_TARGET_COLD_RESET`.
pub(crate) const TMR_TARGET_COLD_RESET: u8 = 7;
/// `TCMU_TMR_LUN_RESET_PRO`: a reset caused by PERSISTENT RESERVE OUT.
pub(crate) const TMR_LUN_RESET_PRO: u8 = 128;

/// `struct tcmu_mailbox`: packed, but `cmd_tail` is `aligned(ALIGN_SIZE)`,
/// which the explicit padding reproduces (size 128).
#[repr(C, packed)]
pub(crate) struct Mailbox {
    pub version: u16,
    pub flags: u16,
    pub cmdr_off: u32,
    pub cmdr_size: u32,
    /// Written by the kernel.
    pub cmd_head: u32,
    _pad_head: [u8; 48],
    /// Written by userspace, on its own cache line.
    pub cmd_tail: u32,
    _pad_tail: [u8; 60],
}

/// `struct tcmu_cmd_entry_hdr` (packed).
#[repr(C, packed)]
pub(crate) struct EntryHdr {
    pub len_op: u32,
    pub cmd_id: u16,
    pub kflags: u8,
    pub uflags: u8,
}

/// `struct iovec` as the kernel writes it on a 64-bit machine; `base` is
/// an offset into the mapping, not a pointer.
#[repr(C)]
pub(crate) struct Iovec {
    pub base: u64,
    pub len: u64,
}

/// The `req` member of `tcmu_cmd_entry`'s union (natural alignment).
#[repr(C)]
pub(crate) struct CmdReq {
    pub iov_cnt: u32,
    pub iov_bidi_cnt: u32,
    pub iov_dif_cnt: u32,
    pub cdb_off: u64,
    pub pad1: u64,
    pub pad2: u64,
    pub iov: [Iovec; 0],
}

/// The `rsp` member of `tcmu_cmd_entry`'s union (natural alignment).
#[repr(C)]
pub(crate) struct CmdRsp {
    pub scsi_status: u8,
    pub pad1: u8,
    pub pad2: u16,
    pub read_len: u32,
    pub sense_buffer: [u8; SENSE_BUFFERSIZE],
}

/// The anonymous union of `tcmu_cmd_entry`.
#[repr(C)]
pub(crate) union CmdUnion {
    pub req: core::mem::ManuallyDrop<CmdReq>,
    pub rsp: core::mem::ManuallyDrop<CmdRsp>,
}

/// `struct tcmu_cmd_entry` (packed outer struct).
#[repr(C, packed)]
pub(crate) struct CmdEntry {
    pub hdr: EntryHdr,
    pub u: CmdUnion,
}

/// `struct tcmu_tmr_entry` (packed).
#[repr(C, packed)]
pub(crate) struct TmrEntry {
    pub hdr: EntryHdr,
    pub tmr_type: u8,
    pub pad1: u8,
    pub pad2: u16,
    pub cmd_cnt: u32,
    pub pad3: u64,
    pub pad4: u64,
    pub cmd_ids: [u16; 0],
}

// Offsets into the mapping (mailbox) and into an entry, as used by the
// ring code. Union members start at the union's offset.
const UNION: usize = offset_of!(CmdEntry, u);

/// Mailbox `version`.
pub(crate) const MB_VERSION: usize = offset_of!(Mailbox, version);
/// Mailbox `flags`.
pub(crate) const MB_FLAGS: usize = offset_of!(Mailbox, flags);
/// Mailbox `cmdr_off`.
pub(crate) const MB_CMDR_OFF: usize = offset_of!(Mailbox, cmdr_off);
/// Mailbox `cmdr_size`.
pub(crate) const MB_CMDR_SIZE: usize = offset_of!(Mailbox, cmdr_size);
/// Mailbox `cmd_head`.
pub(crate) const MB_CMD_HEAD: usize = offset_of!(Mailbox, cmd_head);
/// Mailbox `cmd_tail`.
pub(crate) const MB_CMD_TAIL: usize = offset_of!(Mailbox, cmd_tail);
/// `sizeof(struct tcmu_mailbox)`: the ring cannot start before this.
pub(crate) const MAILBOX_SIZE: usize = size_of::<Mailbox>();

/// Header `len_op`.
pub(crate) const HDR_LEN_OP: usize = offset_of!(EntryHdr, len_op);
/// Header `cmd_id`.
pub(crate) const HDR_CMD_ID: usize = offset_of!(EntryHdr, cmd_id);
/// Header `kflags`.
pub(crate) const HDR_KFLAGS: usize = offset_of!(EntryHdr, kflags);
/// Header `uflags`.
pub(crate) const HDR_UFLAGS: usize = offset_of!(EntryHdr, uflags);
/// `sizeof(struct tcmu_cmd_entry_hdr)`: the smallest entry.
pub(crate) const HDR_SIZE: usize = size_of::<EntryHdr>();

/// `req.iov_cnt`.
pub(crate) const REQ_IOV_CNT: usize = UNION + offset_of!(CmdReq, iov_cnt);
/// `req.iov_bidi_cnt`.
pub(crate) const REQ_IOV_BIDI_CNT: usize = UNION + offset_of!(CmdReq, iov_bidi_cnt);
/// `req.iov_dif_cnt`.
pub(crate) const REQ_IOV_DIF_CNT: usize = UNION + offset_of!(CmdReq, iov_dif_cnt);
/// `req.cdb_off`.
pub(crate) const REQ_CDB_OFF: usize = UNION + offset_of!(CmdReq, cdb_off);
/// `req.iov[0]`.
pub(crate) const REQ_IOV: usize = UNION + offset_of!(CmdReq, iov);
/// `rsp.scsi_status`.
pub(crate) const RSP_SCSI_STATUS: usize = UNION + offset_of!(CmdRsp, scsi_status);
/// `rsp.read_len`.
pub(crate) const RSP_READ_LEN: usize = UNION + offset_of!(CmdRsp, read_len);
/// `rsp.sense_buffer`.
pub(crate) const RSP_SENSE: usize = UNION + offset_of!(CmdRsp, sense_buffer);
/// `sizeof(struct tcmu_cmd_entry)`: the smallest CMD entry (the kernel
/// makes every one at least this big so that the response fits).
pub(crate) const CMD_ENTRY_SIZE: usize = size_of::<CmdEntry>();

/// `struct iovec` `iov_base`.
pub(crate) const IOV_BASE: usize = offset_of!(Iovec, base);
/// `struct iovec` `iov_len`.
pub(crate) const IOV_LEN: usize = offset_of!(Iovec, len);
/// `sizeof(struct iovec)`.
pub(crate) const IOV_SIZE: usize = size_of::<Iovec>();

/// `tmr_type`.
pub(crate) const TMR_TYPE: usize = offset_of!(TmrEntry, tmr_type);
/// `cmd_cnt`.
pub(crate) const TMR_CMD_CNT: usize = offset_of!(TmrEntry, cmd_cnt);
/// `cmd_ids[0]`.
pub(crate) const TMR_CMD_IDS: usize = offset_of!(TmrEntry, cmd_ids);
/// `sizeof(struct tcmu_tmr_entry)`: the smallest TMR entry.
pub(crate) const TMR_ENTRY_SIZE: usize = size_of::<TmrEntry>();

// The layout the kernel header gives (see build.rs for the same numbers
// checked against the header itself).
const _: () = assert!(offset_of!(Mailbox, version) == 0);
const _: () = assert!(offset_of!(Mailbox, flags) == 2);
const _: () = assert!(offset_of!(Mailbox, cmdr_off) == 4);
const _: () = assert!(offset_of!(Mailbox, cmdr_size) == 8);
const _: () = assert!(offset_of!(Mailbox, cmd_head) == 12);
const _: () = assert!(offset_of!(Mailbox, cmd_tail) == 64);
const _: () = assert!(offset_of!(Mailbox, cmd_tail) == ALIGN_SIZE);
const _: () = assert!(size_of::<Mailbox>() == 128);

const _: () = assert!(offset_of!(EntryHdr, len_op) == 0);
const _: () = assert!(offset_of!(EntryHdr, cmd_id) == 4);
const _: () = assert!(offset_of!(EntryHdr, kflags) == 6);
const _: () = assert!(offset_of!(EntryHdr, uflags) == 7);
const _: () = assert!(size_of::<EntryHdr>() == 8);

const _: () = assert!(offset_of!(Iovec, base) == 0);
const _: () = assert!(offset_of!(Iovec, len) == 8);
const _: () = assert!(size_of::<Iovec>() == 16);

const _: () = assert!(offset_of!(CmdEntry, hdr) == 0);
const _: () = assert!(offset_of!(CmdEntry, u) == 8);
const _: () = assert!(offset_of!(CmdReq, iov_cnt) == 0);
const _: () = assert!(offset_of!(CmdReq, iov_bidi_cnt) == 4);
const _: () = assert!(offset_of!(CmdReq, iov_dif_cnt) == 8);
const _: () = assert!(offset_of!(CmdReq, cdb_off) == 16);
const _: () = assert!(offset_of!(CmdReq, iov) == 40);
const _: () = assert!(size_of::<CmdReq>() == 40);
const _: () = assert!(offset_of!(CmdRsp, scsi_status) == 0);
const _: () = assert!(offset_of!(CmdRsp, read_len) == 4);
const _: () = assert!(offset_of!(CmdRsp, sense_buffer) == 8);
const _: () = assert!(size_of::<CmdRsp>() == 104);
const _: () = assert!(size_of::<CmdUnion>() == 104);
const _: () = assert!(REQ_IOV_CNT == 8);
const _: () = assert!(REQ_IOV_BIDI_CNT == 12);
const _: () = assert!(REQ_IOV_DIF_CNT == 16);
const _: () = assert!(REQ_CDB_OFF == 24);
const _: () = assert!(REQ_IOV == 48);
const _: () = assert!(RSP_SCSI_STATUS == 8);
const _: () = assert!(RSP_READ_LEN == 12);
const _: () = assert!(RSP_SENSE == 16);
const _: () = assert!(size_of::<CmdEntry>() == 112);

const _: () = assert!(offset_of!(TmrEntry, hdr) == 0);
const _: () = assert!(offset_of!(TmrEntry, tmr_type) == 8);
const _: () = assert!(offset_of!(TmrEntry, cmd_cnt) == 12);
const _: () = assert!(offset_of!(TmrEntry, cmd_ids) == 32);
const _: () = assert!(size_of::<TmrEntry>() == 32);

// The entry sizes the ring code relies on are multiples of the alignment.
const _: () = assert!(CMD_ENTRY_SIZE % OP_ALIGN as usize == 0);
const _: () = assert!(TMR_ENTRY_SIZE % OP_ALIGN as usize == 0);
const _: () = assert!(HDR_SIZE == OP_ALIGN as usize);

// build.rs's list of (C expression, Rust constant, value), each also a
// `_Static_assert` against <linux/target_core_user.h>.
include!(concat!(env!("OUT_DIR"), "/abi_checked.rs"));
