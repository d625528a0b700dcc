//! The kernel ABI of SG_IO (`include/scsi/sg.h`) and the only `unsafe` code
//! of the workspace.

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::DataDirection;

/// `SG_DXFER_NONE`.
const SG_DXFER_NONE: libc::c_int = -1;
/// `SG_DXFER_TO_DEV`.
const SG_DXFER_TO_DEV: libc::c_int = -2;
/// `SG_DXFER_FROM_DEV`.
const SG_DXFER_FROM_DEV: libc::c_int = -3;

/// `struct sg_io_hdr` from `include/scsi/sg.h` (interface id 'S').
#[repr(C)]
#[derive(Debug)]
pub(crate) struct SgIoHdr {
    pub interface_id: libc::c_int,
    pub dxfer_direction: libc::c_int,
    pub cmd_len: libc::c_uchar,
    pub mx_sb_len: libc::c_uchar,
    pub iovec_count: libc::c_ushort,
    pub dxfer_len: libc::c_uint,
    pub dxferp: *mut libc::c_void,
    pub cmdp: *const libc::c_uchar,
    pub sbp: *mut libc::c_uchar,
    pub timeout: libc::c_uint,
    pub flags: libc::c_uint,
    pub pack_id: libc::c_int,
    pub usr_ptr: *mut libc::c_void,
    pub status: libc::c_uchar,
    pub masked_status: libc::c_uchar,
    pub msg_status: libc::c_uchar,
    pub sb_len_wr: libc::c_uchar,
    pub host_status: libc::c_ushort,
    pub driver_status: libc::c_ushort,
    pub resid: libc::c_int,
    pub duration: libc::c_uint,
    pub info: libc::c_uint,
}

// The layout the kernel expects on the 64-bit targets we support
// (x86_64 and aarch64 are both LP64 with natural alignment).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<SgIoHdr>() == 88);
    assert!(offset_of!(SgIoHdr, interface_id) == 0);
    assert!(offset_of!(SgIoHdr, dxfer_direction) == 4);
    assert!(offset_of!(SgIoHdr, cmd_len) == 8);
    assert!(offset_of!(SgIoHdr, mx_sb_len) == 9);
    assert!(offset_of!(SgIoHdr, iovec_count) == 10);
    assert!(offset_of!(SgIoHdr, dxfer_len) == 12);
    assert!(offset_of!(SgIoHdr, dxferp) == 16);
    assert!(offset_of!(SgIoHdr, cmdp) == 24);
    assert!(offset_of!(SgIoHdr, sbp) == 32);
    assert!(offset_of!(SgIoHdr, timeout) == 40);
    assert!(offset_of!(SgIoHdr, flags) == 44);
    assert!(offset_of!(SgIoHdr, pack_id) == 48);
    assert!(offset_of!(SgIoHdr, usr_ptr) == 56);
    assert!(offset_of!(SgIoHdr, status) == 64);
    assert!(offset_of!(SgIoHdr, masked_status) == 65);
    assert!(offset_of!(SgIoHdr, msg_status) == 66);
    assert!(offset_of!(SgIoHdr, sb_len_wr) == 67);
    assert!(offset_of!(SgIoHdr, host_status) == 68);
    assert!(offset_of!(SgIoHdr, driver_status) == 70);
    assert!(offset_of!(SgIoHdr, resid) == 72);
    assert!(offset_of!(SgIoHdr, duration) == 76);
    assert!(offset_of!(SgIoHdr, info) == 80);
};

/// What the kernel wrote back into the header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawReply {
    pub status: u8,
    pub sb_len_wr: u8,
    pub host_status: u16,
    pub driver_status: u16,
    pub resid: i32,
    pub duration: u32,
}

mod ioctls {
    // SG_IO and SG_GET_VERSION_NUM predate the _IOC encoding: "bad" numbers.
    nix::ioctl_readwrite_bad!(sg_io, 0x2285, super::SgIoHdr);
    nix::ioctl_read_bad!(sg_get_version_num, 0x2282, libc::c_int);
    nix::ioctl_read_bad!(sg_get_sg_tablesize, 0x227f, libc::c_int);
    // BLKSECTGET is _IO(0x12, 103), yet it writes through its argument:
    // an int of bytes on an sg node (sg.c), an unsigned short of sectors
    // on a block device (blkdev_ioctl).
    nix::ioctl_read_bad!(blksectget_int, 0x1267, libc::c_int);
    nix::ioctl_read_bad!(blksectget_ushort, 0x1267, libc::c_ushort);
}

/// `SG_GET_SG_TABLESIZE` (sg nodes): the most scatter-gather elements one
/// command may have.
pub(crate) fn get_sg_tablesize(fd: BorrowedFd<'_>) -> nix::Result<i32> {
    let mut v: libc::c_int = 0;
    // SAFETY: `fd` is an open descriptor borrowed for the call and `v` is a
    // valid, writable c_int that outlives it; sg writes one int.
    unsafe { ioctls::sg_get_sg_tablesize(fd.as_raw_fd(), &mut v) }?;
    Ok(v)
}

/// `BLKSECTGET` on an sg node: the queue's max_sectors, in bytes.
pub(crate) fn blksectget_sg(fd: BorrowedFd<'_>) -> nix::Result<i32> {
    let mut v: libc::c_int = 0;
    // SAFETY: `fd` is an open sg descriptor borrowed for the call and `v`
    // a valid, writable c_int that outlives it; sg.c writes one int.
    unsafe { ioctls::blksectget_int(fd.as_raw_fd(), &mut v) }?;
    Ok(v)
}

/// `BLKSECTGET` on a block device: the queue's max_sectors, in 512-byte
/// sectors (capped at 65535).
pub(crate) fn blksectget_block(fd: BorrowedFd<'_>) -> nix::Result<u16> {
    let mut v: libc::c_ushort = 0;
    // SAFETY: `fd` is an open block-device descriptor borrowed for the
    // call and `v` a valid, writable c_ushort that outlives it; the block
    // layer writes one unsigned short.
    unsafe { ioctls::blksectget_ushort(fd.as_raw_fd(), &mut v) }?;
    Ok(v)
}

/// `SG_GET_VERSION_NUM`: succeeds only on nodes that speak SG_IO.
pub(crate) fn get_version_num(fd: BorrowedFd<'_>) -> nix::Result<i32> {
    let mut v: libc::c_int = 0;
    // SAFETY: `fd` is an open descriptor borrowed for the call and `v` is a
    // valid, writable c_int that outlives it; the kernel writes one int.
    unsafe { ioctls::sg_get_version_num(fd.as_raw_fd(), &mut v) }?;
    Ok(v)
}

/// Sends one command with SG_IO. `sense` receives up to its length.
pub(crate) fn sg_io(
    fd: BorrowedFd<'_>,
    cdb: &[u8],
    data: DataDirection<'_>,
    sense: &mut [u8],
    timeout_ms: u32,
) -> nix::Result<RawReply> {
    let cmd_len = u8::try_from(cdb.len()).map_err(|_| nix::Error::EINVAL)?;
    let mx_sb_len = u8::try_from(sense.len()).map_err(|_| nix::Error::EINVAL)?;
    let (dir, ptr, len): (libc::c_int, *mut libc::c_void, usize) = match data {
        DataDirection::None => (SG_DXFER_NONE, std::ptr::null_mut(), 0),
        // The kernel only reads a TO_DEV buffer; the header's field is not
        // const-qualified, hence the cast.
        DataDirection::ToDevice(b) => (SG_DXFER_TO_DEV, b.as_ptr() as *mut libc::c_void, b.len()),
        DataDirection::FromDevice(b) => (SG_DXFER_FROM_DEV, b.as_mut_ptr().cast(), b.len()),
    };
    let dxfer_len = libc::c_uint::try_from(len).map_err(|_| nix::Error::EINVAL)?;
    let mut hdr = SgIoHdr {
        interface_id: libc::c_int::from(b'S'),
        dxfer_direction: dir,
        cmd_len,
        mx_sb_len,
        iovec_count: 0,
        dxfer_len,
        dxferp: ptr,
        cmdp: cdb.as_ptr(),
        sbp: sense.as_mut_ptr(),
        timeout: timeout_ms,
        flags: 0,
        pack_id: 0,
        usr_ptr: std::ptr::null_mut(),
        status: 0,
        masked_status: 0,
        msg_status: 0,
        sb_len_wr: 0,
        host_status: 0,
        driver_status: 0,
        resid: 0,
        duration: 0,
        info: 0,
    };
    // SAFETY: every pointer in `hdr` comes from a slice borrowed for the
    // whole (synchronous) call with the length we pass beside it: `cdb`
    // (cmd_len bytes, read), the data buffer (dxfer_len bytes, written only
    // for FROM_DEV, where we hold it `&mut`), and `sense` (mx_sb_len bytes,
    // written). SG_IO returns only once the command is done, so no pointer
    // is used after this call; `fd` is open for its duration.
    unsafe { ioctls::sg_io(fd.as_raw_fd(), &mut hdr) }?;
    Ok(RawReply {
        status: hdr.status,
        sb_len_wr: hdr.sb_len_wr,
        host_status: hdr.host_status,
        driver_status: hdr.driver_status,
        resid: hdr.resid,
        duration: hdr.duration,
    })
}
