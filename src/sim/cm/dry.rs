//! A segment copied without its data ([`Profile::move_data`] false): the
//! same loops as the copy manager's data path, in the same pieces, with
//! the same checks, faults and sense, but each read of a source and each
//! write of a destination replaced by [`BlockTarget::check_blocks`] (the
//! range checked, nothing moved) or [`StreamTarget::write_unwritten`] (the
//! tape blocks recorded with their lengths, their data unwritten). A tape
//! source is still read: its records are what the segment counts.
//!
//! [`Profile::move_data`]: super::Profile::move_data

use super::{target_fail, SegFail, CHUNK, DATA_OVERRUN, DATA_UNDERRUN, INEXACT_SEGMENT};
use crate::sim::{BlockTarget, StreamRead, StreamTarget};
use crate::wire::sense::SenseDataSource;

/// [`super::copy_blocks`] without the data.
pub(super) fn copy_blocks(
    src: &dyn BlockTarget,
    src_lba: u64,
    dst: &dyn BlockTarget,
    dst_lba: u64,
    bytes: u64,
) -> Result<u64, SegFail> {
    let (sbl, dbl) = (u64::from(src.block_length()), u64::from(dst.block_length()));
    let chunk = CHUNK - CHUNK % (sbl.max(dbl));
    let mut off = 0u64;
    while off < bytes {
        let n = chunk.min(bytes - off);
        src.check_blocks(true, src_lba + off / sbl, n)
            .map_err(target_fail(SenseDataSource::CopySource))?;
        dst.check_blocks(false, dst_lba + off / dbl, n)
            .map_err(target_fail(SenseDataSource::CopyDestination))?;
        off += n;
    }
    Ok(bytes)
}

/// [`super::write_stream`] of `len` unwritten bytes.
fn write_stream(dst: &dyn StreamTarget, len: u64, xfer: usize, pad: bool) -> Result<u64, SegFail> {
    let xfer = xfer as u64;
    let mut off = 0u64;
    while off < len {
        let end = (off + xfer).min(len);
        let mut piece = end - off;
        if let Some(b) = dst.fixed_block_length() {
            let b = u64::from(b);
            if piece % b != 0 {
                if !pad {
                    return Err(SegFail::Abort {
                        code: INEXACT_SEGMENT,
                        byte: 9,
                    });
                }
                piece = piece.div_ceil(b) * b;
            }
        }
        // A piece is at most one transfer (≤ the copy manager's maximum).
        dst.write_unwritten(piece as usize)
            .map_err(target_fail(SenseDataSource::CopyDestination))?;
        off = end;
    }
    Ok(len)
}

/// [`super::block_to_stream`] without the data.
pub(super) fn block_to_stream(
    src: &dyn BlockTarget,
    lba: u64,
    bytes: u64,
    dst: &dyn StreamTarget,
    xfer: usize,
    pad: bool,
) -> Result<u64, SegFail> {
    let bl = u64::from(src.block_length());
    let xfer = xfer as u64;
    let mut off = 0u64;
    while off < bytes {
        let n = xfer.min(bytes - off);
        let first = off / bl;
        let last = (off + n).div_ceil(bl);
        src.check_blocks(true, lba + first, (last - first) * bl)
            .map_err(target_fail(SenseDataSource::CopySource))?;
        write_stream(dst, n, n as usize, pad)?;
        off += n;
    }
    Ok(bytes)
}

/// [`super::stream_to_block`] without writing the destination.
pub(super) fn stream_to_block(
    src: &dyn StreamTarget,
    dst: &dyn BlockTarget,
    lba: u64,
    bytes: u64,
) -> Result<u64, SegFail> {
    let bl = u64::from(dst.block_length());
    let mut pending = 0u64;
    let mut written = 0u64;
    while written < bytes {
        match src
            .read()
            .map_err(target_fail(SenseDataSource::CopySource))?
        {
            StreamRead::Record(r) => pending += r.len() as u64,
            StreamRead::Filemark | StreamRead::EndOfData => {
                return Err(SegFail::Abort {
                    code: DATA_UNDERRUN,
                    byte: 14,
                })
            }
        }
        if written + pending > bytes {
            return Err(SegFail::Abort {
                code: DATA_OVERRUN,
                byte: 14,
            });
        }
        let whole = (pending / bl) * bl;
        if whole > 0 {
            dst.check_blocks(false, lba + written / bl, whole)
                .map_err(target_fail(SenseDataSource::CopyDestination))?;
            pending -= whole;
            written += whole;
        }
    }
    Ok(bytes)
}

/// [`super::stream_to_stream`] without writing the destination's data.
pub(super) fn stream_to_stream(
    src: &dyn StreamTarget,
    dst: &dyn StreamTarget,
    bytes: u64,
    xfer: usize,
    pad: bool,
) -> Result<u64, SegFail> {
    let x = xfer as u64;
    let mut pending = 0u64;
    let mut moved = 0u64;
    while moved + pending < bytes {
        match src
            .read()
            .map_err(target_fail(SenseDataSource::CopySource))?
        {
            StreamRead::Record(r) => pending += r.len() as u64,
            StreamRead::Filemark | StreamRead::EndOfData => {
                return Err(SegFail::Abort {
                    code: DATA_UNDERRUN,
                    byte: 16,
                })
            }
        }
        while pending >= x {
            pending -= x;
            moved += x;
            write_stream(dst, x, xfer, pad)?;
        }
    }
    if moved + pending > bytes {
        return Err(SegFail::Abort {
            code: DATA_OVERRUN,
            byte: 16,
        });
    }
    if pending > 0 {
        moved += pending;
        write_stream(dst, pending, xfer, pad)?;
    }
    Ok(moved)
}
