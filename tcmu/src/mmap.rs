//! The UIO mapping and the only `unsafe` code of this crate: `mmap`,
//! `munmap`, and the atomic and volatile accesses through the mapping's
//! raw pointer that implement [`Shared`].
//!
//! No Rust reference into the mapping is ever created (the kernel writes
//! it concurrently); every access is an atomic or volatile operation on a
//! raw pointer whose range the safe caller has checked and
//! [`Mapping::ptr`] asserts again.

#![allow(unsafe_code)]

use std::num::NonZeroUsize;
use std::os::fd::BorrowedFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use nix::sys::mman::{mmap, munmap, MapFlags, ProtFlags};

use crate::ring::Shared;

/// A shared read-write mapping of a whole file or device, from offset 0.
#[derive(Debug)]
pub(crate) struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: `Mapping` owns its region (nothing else in the process holds the
// pointer) and only ever touches it through atomic or volatile accesses,
// which may be made from any thread; the region is unmapped once, in Drop.
unsafe impl Send for Mapping {}
// SAFETY: as above: `&Mapping` allows only atomic loads/stores and
// volatile copies, none of which create references, so concurrent use
// from several threads cannot violate Rust's aliasing rules. (Ordering
// between threads' ring updates is the Ring's Mutex's business.)
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `len` bytes of `fd` from offset 0, read-write and shared.
    pub(crate) fn map(fd: BorrowedFd<'_>, len: usize) -> nix::Result<Mapping> {
        let nz = NonZeroUsize::new(len).ok_or(nix::Error::EINVAL)?;
        // SAFETY: `addr` is None, so the kernel picks a fresh range that
        // overlaps no existing Rust object; `fd` is open for the call. The
        // returned region is owned by the new `Mapping` and accessed only
        // through raw pointers (never references) within `len`.
        let p = unsafe {
            mmap(
                None,
                nz,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
                fd,
                0,
            )
        }?;
        Ok(Mapping {
            base: p.cast(),
            len,
        })
    }

    /// The address of `[off, off + n)`, asserted to lie inside the
    /// mapping. The safe callers check their ranges first; this assertion
    /// is the second line, so no accessor below can leave the mapping.
    fn ptr(&self, off: usize, n: usize) -> *mut u8 {
        assert!(
            off <= self.len && n <= self.len - off,
            "access of {n} bytes at {off:#x} outside a mapping of {:#x} bytes",
            self.len
        );
        self.base.as_ptr().wrapping_add(off)
    }

    /// The `AtomicU32` at `off`, asserted in range and 4-byte aligned.
    fn atomic_u32(&self, off: usize) -> *mut u32 {
        let p = self.ptr(off, 4).cast::<u32>();
        assert!(p.is_aligned(), "unaligned u32 at {off:#x}");
        p
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` are exactly what mmap returned, unmapped
        // only here; no pointer into the region outlives `self` (accessors
        // use it only for the duration of a call taking `&self`).
        if let Err(e) = unsafe { munmap(self.base.cast(), self.len) } {
            log::warn!("munmap of the TCMU ring failed: {e}");
        }
    }
}

impl Shared for Mapping {
    fn len(&self) -> usize {
        self.len
    }

    fn load_u32_acquire(&self, off: usize) -> u32 {
        let p = self.atomic_u32(off);
        // SAFETY: `p` is inside the live mapping and 4-byte aligned
        // (asserted by atomic_u32); every access to it from this process
        // is atomic, as `AtomicU32::from_ptr` requires, and the shortest
        // borrow (this expression) cannot outlive the mapping (`&self`).
        unsafe { AtomicU32::from_ptr(p) }.load(Ordering::Acquire)
    }

    fn store_u32_release(&self, off: usize, v: u32) {
        let p = self.atomic_u32(off);
        // SAFETY: as in load_u32_acquire: in bounds, aligned, accessed
        // only atomically, borrowed for this expression only.
        unsafe { AtomicU32::from_ptr(p) }.store(v, Ordering::Release)
    }

    fn read(&self, off: usize, buf: &mut [u8]) {
        let src = self.ptr(off, buf.len());
        let mut i = 0;
        while i < buf.len() {
            let p = src.wrapping_add(i);
            if buf.len() - i >= 8 && p.cast::<u64>().is_aligned() {
                // SAFETY: `p..p+8` lies inside `[src, src + buf.len())`,
                // which ptr() asserted to be inside the live mapping, and
                // `p` is 8-byte aligned (checked just above).
                let w = unsafe { p.cast::<u64>().read_volatile() };
                buf[i..i + 8].copy_from_slice(&w.to_ne_bytes());
                i += 8;
            } else {
                // SAFETY: `i < buf.len()`, so `p` is inside the range
                // ptr() asserted to be inside the live mapping.
                buf[i] = unsafe { p.read_volatile() };
                i += 1;
            }
        }
    }

    fn write(&self, off: usize, buf: &[u8]) {
        let dst = self.ptr(off, buf.len());
        let mut i = 0;
        while i < buf.len() {
            let p = dst.wrapping_add(i);
            if buf.len() - i >= 8 && p.cast::<u64>().is_aligned() {
                let mut w = [0u8; 8];
                w.copy_from_slice(&buf[i..i + 8]);
                // SAFETY: `p..p+8` lies inside `[dst, dst + buf.len())`,
                // which ptr() asserted to be inside the live, writable
                // (PROT_WRITE) mapping, and `p` is 8-byte aligned.
                unsafe { p.cast::<u64>().write_volatile(u64::from_ne_bytes(w)) };
                i += 8;
            } else {
                // SAFETY: `i < buf.len()`, so `p` is inside the range
                // ptr() asserted to be inside the live, writable mapping.
                unsafe { p.write_volatile(buf[i]) };
                i += 1;
            }
        }
    }
}
