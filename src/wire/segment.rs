//! Segment descriptors of the EXTENDED COPY parameter list (SPC-4 r37
//! §6.4.6): block→stream (00h) and stream→block (01h) (§6.4.6.3–4),
//! block→block (02h, §6.4.6.5), stream→stream (03h, §6.4.6.6) and
//! inline data→stream (04h, §6.4.6.7), with the DC and CAT bits. Other
//! descriptor types are kept raw (type, flags and body) so a copy manager
//! can answer UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE.
//!
//! `parse` enforces: the four-byte header and the whole descriptor (its
//! DESCRIPTOR LENGTH + 4) are present, and a known type has exactly the
//! DESCRIPTOR LENGTH the standard gives it (0014h, 0018h, 0010h, 0010h).
//! Reserved bytes of the known types are not kept: they are emitted as zero
//! (reserved bits of byte 1 are kept, since SPC-5 gives some of them a use).

use bitflags::bitflags;

use super::{check_fits, check_len, check_out, get_be, put_be, view, Repr, Result, WireError};

mod field {
    use crate::wire::Field;
    /// DESCRIPTOR TYPE CODE.
    pub const TYPE: usize = 0;
    /// FCO (2), DC (1), CAT (0).
    pub const FLAGS: usize = 1;
    /// DESCRIPTOR LENGTH (total − 4).
    pub const LENGTH: Field = 2..4;
    /// SOURCE CSCD DESCRIPTOR ID.
    pub const SOURCE: Field = 4..6;
    /// DESTINATION CSCD DESCRIPTOR ID.
    pub const DESTINATION: Field = 6..8;
    /// Header length.
    pub const HEADER: usize = 4;

    /// 00h/01h: STREAM DEVICE TRANSFER LENGTH (byte 8 reserved).
    pub const BS_STREAM_LEN: Field = 9..12;
    /// 00h/01h: BLOCK DEVICE NUMBER OF BLOCKS (bytes 12–13 reserved).
    pub const BS_BLOCKS: Field = 14..16;
    /// 00h/01h: BLOCK DEVICE LOGICAL BLOCK ADDRESS.
    pub const BS_LBA: Field = 16..24;

    /// 02h: NUMBER OF BLOCKS (bytes 8–9 reserved).
    pub const BB_BLOCKS: Field = 10..12;
    /// 02h: SOURCE BLOCK DEVICE LOGICAL BLOCK ADDRESS.
    pub const BB_SRC_LBA: Field = 12..20;
    /// 02h: DESTINATION BLOCK DEVICE LOGICAL BLOCK ADDRESS.
    pub const BB_DST_LBA: Field = 20..28;

    /// 03h: SOURCE STREAM DEVICE TRANSFER LENGTH (byte 8 reserved).
    pub const SS_SRC_LEN: Field = 9..12;
    /// 03h: DESTINATION STREAM DEVICE TRANSFER LENGTH (byte 12 reserved).
    pub const SS_DST_LEN: Field = 13..16;
    /// 03h: BYTE COUNT.
    pub const SS_BYTE_COUNT: Field = 16..20;

    /// 04h: STREAM DEVICE TRANSFER LENGTH (bytes 4–5 and 8 reserved).
    pub const IS_STREAM_LEN: Field = 9..12;
    /// 04h: INLINE DATA OFFSET.
    pub const IS_OFFSET: Field = 12..16;
    /// 04h: INLINE DATA NUMBER OF BYTES.
    pub const IS_BYTES: Field = 16..20;
}

/// Descriptor type codes (SPC-4 table 109).
pub mod code {
    /// Block → stream.
    pub const BLOCK_TO_STREAM: u8 = 0x00;
    /// Stream → block.
    pub const STREAM_TO_BLOCK: u8 = 0x01;
    /// Block → block.
    pub const BLOCK_TO_BLOCK: u8 = 0x02;
    /// Stream → stream.
    pub const STREAM_TO_STREAM: u8 = 0x03;
    /// Inline data → stream.
    pub const INLINE_TO_STREAM: u8 = 0x04;

    /// Name in words.
    pub fn name(c: u8) -> &'static str {
        match c {
            0x00 => "block→stream",
            0x01 => "stream→block",
            0x02 => "block→block",
            0x03 => "stream→stream",
            0x04 => "inline→stream",
            0x05 => "embedded→stream",
            0x06 => "stream→discard",
            0x07 => "verify CSCD",
            0x08 => "block<o>→stream",
            0x09 => "stream→block<o>",
            0x0a => "block<o>→block<o>",
            0x0b => "block→stream+application client",
            0x0c => "stream→block+application client",
            0x0d => "block→block+application client",
            0x0e => "stream→stream+application client",
            0x0f => "stream→discard+application client",
            0x10 => "filemark→tape",
            0x11 => "space→tape",
            0x12 => "locate→tape",
            0x13 => "<i>tape→<i>tape",
            0x14 => "register persistent reservation key",
            0x15 => "third party persistent reservations source I_T nexus",
            0x16 => "<i>block→<i>block",
            0xbe => "populate ROD from block ranges",
            0xbf => "populate ROD from one block range",
            _ => "unknown segment descriptor type",
        }
    }
}

/// DESCRIPTOR LENGTH of 00h and 01h.
pub const BLOCK_STREAM_DESCRIPTOR_LENGTH: u16 = 0x0014;
/// DESCRIPTOR LENGTH of 02h.
pub const BLOCK_BLOCK_DESCRIPTOR_LENGTH: u16 = 0x0018;
/// DESCRIPTOR LENGTH of 03h.
pub const STREAM_STREAM_DESCRIPTOR_LENGTH: u16 = 0x0010;
/// DESCRIPTOR LENGTH of 04h.
pub const INLINE_STREAM_DESCRIPTOR_LENGTH: u16 = 0x0010;
/// The most blocks one block→block descriptor can carry (16-bit field).
pub const MAX_BLOCKS_PER_B2B: u32 = 0xffff;

bitflags! {
    /// Byte 1 of a segment descriptor.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct SegmentFlags: u8 {
        /// CAT: residual data handling (SPC-4 §6.4.6.1).
        const CAT = 0x01;
        /// DC: for 00h/01h/02h, the block count is in destination blocks.
        const DC = 0x02;
        /// FCO (SPC-5): fast copy only.
        const FCO = 0x04;
        // Reserved bits are kept so a descriptor round-trips exactly.
        const _ = !0;
    }
}

view!(
    /// The four-byte header shared by every segment descriptor, plus the
    /// CSCD index fields of byte 4–7.
    SegmentView,
    "segment descriptor",
    field::HEADER
);

super::be_fields!(SegmentView {
    /// DESCRIPTOR TYPE CODE.
    type_code, set_type_code: u8 = field::TYPE..field::TYPE + 1;
    /// Byte 1 (flags).
    flags_byte, set_flags_byte: u8 = field::FLAGS..field::FLAGS + 1;
    /// DESCRIPTOR LENGTH: bytes after the first four.
    descriptor_length, set_descriptor_length: u16 = field::LENGTH;
});

impl<T: AsRef<[u8]>> SegmentView<T> {
    /// Total bytes of this descriptor according to its header.
    pub fn total_len(&self) -> usize {
        field::HEADER + usize::from(self.descriptor_length())
    }
}

/// Byte offsets of a segment descriptor's fields, for sense-key-specific
/// pointers into the parameter list (the simulator's field pointers).
pub mod offsets {
    /// SOURCE CSCD DESCRIPTOR ID.
    pub const SOURCE: u16 = 4;
    /// DESTINATION CSCD DESCRIPTOR ID.
    pub const DESTINATION: u16 = 6;
    /// 02h NUMBER OF BLOCKS.
    pub const BB_BLOCKS: u16 = 10;
    /// 02h SOURCE LBA.
    pub const BB_SRC_LBA: u16 = 12;
    /// 02h DESTINATION LBA.
    pub const BB_DST_LBA: u16 = 20;
    /// 00h/01h BLOCK DEVICE NUMBER OF BLOCKS.
    pub const BS_BLOCKS: u16 = 14;
    /// 00h/01h BLOCK DEVICE LBA.
    pub const BS_LBA: u16 = 16;
}

/// Block → stream (00h) or stream → block (01h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockStream {
    /// Byte 1.
    pub flags: SegmentFlags,
    /// SOURCE CSCD DESCRIPTOR ID.
    pub source: u16,
    /// DESTINATION CSCD DESCRIPTOR ID.
    pub destination: u16,
    /// STREAM DEVICE TRANSFER LENGTH (24 bits): bytes per stream write/read.
    pub stream_transfer_length: u32,
    /// BLOCK DEVICE NUMBER OF BLOCKS.
    pub blocks: u16,
    /// BLOCK DEVICE LOGICAL BLOCK ADDRESS.
    pub lba: u64,
}

/// Block → block (02h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockToBlock {
    /// Byte 1.
    pub flags: SegmentFlags,
    /// SOURCE CSCD DESCRIPTOR ID.
    pub source: u16,
    /// DESTINATION CSCD DESCRIPTOR ID.
    pub destination: u16,
    /// NUMBER OF BLOCKS (source blocks unless DC).
    pub blocks: u16,
    /// SOURCE BLOCK DEVICE LOGICAL BLOCK ADDRESS.
    pub source_lba: u64,
    /// DESTINATION BLOCK DEVICE LOGICAL BLOCK ADDRESS.
    pub destination_lba: u64,
}

/// Stream → stream (03h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamToStream {
    /// Byte 1.
    pub flags: SegmentFlags,
    /// SOURCE CSCD DESCRIPTOR ID.
    pub source: u16,
    /// DESTINATION CSCD DESCRIPTOR ID.
    pub destination: u16,
    /// SOURCE STREAM DEVICE TRANSFER LENGTH (24 bits).
    pub source_transfer_length: u32,
    /// DESTINATION STREAM DEVICE TRANSFER LENGTH (24 bits).
    pub destination_transfer_length: u32,
    /// BYTE COUNT.
    pub byte_count: u32,
}

/// Inline data → stream (04h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InlineToStream {
    /// Byte 1.
    pub flags: SegmentFlags,
    /// Bytes 4–5 (reserved where a source index would be), kept raw.
    pub reserved_source: u16,
    /// DESTINATION CSCD DESCRIPTOR ID.
    pub destination: u16,
    /// STREAM DEVICE TRANSFER LENGTH (24 bits).
    pub stream_transfer_length: u32,
    /// INLINE DATA OFFSET into the parameter list's inline data.
    pub inline_offset: u32,
    /// INLINE DATA NUMBER OF BYTES.
    pub inline_bytes: u32,
}

/// A segment descriptor of any type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SegmentDescriptor {
    /// 00h.
    BlockToStream(BlockStream),
    /// 01h.
    StreamToBlock(BlockStream),
    /// 02h.
    BlockToBlock(BlockToBlock),
    /// 03h.
    StreamToStream(StreamToStream),
    /// 04h.
    InlineToStream(InlineToStream),
    /// Any other type: the type code, byte 1 and the bytes after the header.
    Raw {
        /// DESCRIPTOR TYPE CODE.
        type_code: u8,
        /// Byte 1.
        flags: u8,
        /// Bytes 4 to the end (DESCRIPTOR LENGTH of them).
        body: Vec<u8>,
    },
}

impl SegmentDescriptor {
    /// A block→block descriptor.
    pub fn block_to_block(
        source: u16,
        destination: u16,
        blocks: u16,
        source_lba: u64,
        destination_lba: u64,
    ) -> Self {
        SegmentDescriptor::BlockToBlock(BlockToBlock {
            flags: SegmentFlags::empty(),
            source,
            destination,
            blocks,
            source_lba,
            destination_lba,
        })
    }

    /// DESCRIPTOR TYPE CODE.
    pub fn type_code(&self) -> u8 {
        match self {
            SegmentDescriptor::BlockToStream(_) => code::BLOCK_TO_STREAM,
            SegmentDescriptor::StreamToBlock(_) => code::STREAM_TO_BLOCK,
            SegmentDescriptor::BlockToBlock(_) => code::BLOCK_TO_BLOCK,
            SegmentDescriptor::StreamToStream(_) => code::STREAM_TO_STREAM,
            SegmentDescriptor::InlineToStream(_) => code::INLINE_TO_STREAM,
            SegmentDescriptor::Raw { type_code, .. } => *type_code,
        }
    }

    /// The source and destination CSCD indexes, where the type has them.
    pub fn cscd_indexes(&self) -> (Option<u16>, Option<u16>) {
        match self {
            SegmentDescriptor::BlockToStream(d) | SegmentDescriptor::StreamToBlock(d) => {
                (Some(d.source), Some(d.destination))
            }
            SegmentDescriptor::BlockToBlock(d) => (Some(d.source), Some(d.destination)),
            SegmentDescriptor::StreamToStream(d) => (Some(d.source), Some(d.destination)),
            SegmentDescriptor::InlineToStream(d) => (None, Some(d.destination)),
            SegmentDescriptor::Raw { body, .. } if body.len() >= 4 => (
                Some(get_be(&body[0..2]) as u16),
                Some(get_be(&body[2..4]) as u16),
            ),
            SegmentDescriptor::Raw { .. } => (None, None),
        }
    }
}

fn expect_len(what: &'static str, got: u16, want: u16) -> Result<()> {
    if got != want {
        return Err(WireError::InvalidField {
            what,
            field: "DESCRIPTOR LENGTH",
            value: u64::from(got),
        });
    }
    Ok(())
}

fn get16(b: &[u8], f: super::Field) -> u16 {
    get_be(&b[f]) as u16
}

fn get32(b: &[u8], f: super::Field) -> u32 {
    get_be(&b[f]) as u32
}

impl Repr for SegmentDescriptor {
    fn parse(buf: &[u8]) -> Result<Self> {
        let v = SegmentView::new_checked(buf)?;
        let total = v.total_len();
        check_len(SegmentView::<&[u8]>::WHAT, buf, total)?;
        let b = &buf[..total];
        let flags = SegmentFlags::from_bits_retain(v.flags_byte());
        let t = v.type_code();
        let len = v.descriptor_length();
        Ok(match t {
            code::BLOCK_TO_STREAM | code::STREAM_TO_BLOCK => {
                expect_len(
                    "block/stream segment descriptor",
                    len,
                    BLOCK_STREAM_DESCRIPTOR_LENGTH,
                )?;
                let d = BlockStream {
                    flags,
                    source: get16(b, field::SOURCE),
                    destination: get16(b, field::DESTINATION),
                    stream_transfer_length: get32(b, field::BS_STREAM_LEN),
                    blocks: get16(b, field::BS_BLOCKS),
                    lba: get_be(&b[field::BS_LBA]),
                };
                if t == code::BLOCK_TO_STREAM {
                    SegmentDescriptor::BlockToStream(d)
                } else {
                    SegmentDescriptor::StreamToBlock(d)
                }
            }
            code::BLOCK_TO_BLOCK => {
                expect_len(
                    "block→block segment descriptor",
                    len,
                    BLOCK_BLOCK_DESCRIPTOR_LENGTH,
                )?;
                SegmentDescriptor::BlockToBlock(BlockToBlock {
                    flags,
                    source: get16(b, field::SOURCE),
                    destination: get16(b, field::DESTINATION),
                    blocks: get16(b, field::BB_BLOCKS),
                    source_lba: get_be(&b[field::BB_SRC_LBA]),
                    destination_lba: get_be(&b[field::BB_DST_LBA]),
                })
            }
            code::STREAM_TO_STREAM => {
                expect_len(
                    "stream→stream segment descriptor",
                    len,
                    STREAM_STREAM_DESCRIPTOR_LENGTH,
                )?;
                SegmentDescriptor::StreamToStream(StreamToStream {
                    flags,
                    source: get16(b, field::SOURCE),
                    destination: get16(b, field::DESTINATION),
                    source_transfer_length: get32(b, field::SS_SRC_LEN),
                    destination_transfer_length: get32(b, field::SS_DST_LEN),
                    byte_count: get32(b, field::SS_BYTE_COUNT),
                })
            }
            code::INLINE_TO_STREAM => {
                expect_len(
                    "inline→stream segment descriptor",
                    len,
                    INLINE_STREAM_DESCRIPTOR_LENGTH,
                )?;
                SegmentDescriptor::InlineToStream(InlineToStream {
                    flags,
                    reserved_source: get16(b, field::SOURCE),
                    destination: get16(b, field::DESTINATION),
                    stream_transfer_length: get32(b, field::IS_STREAM_LEN),
                    inline_offset: get32(b, field::IS_OFFSET),
                    inline_bytes: get32(b, field::IS_BYTES),
                })
            }
            _ => SegmentDescriptor::Raw {
                type_code: t,
                flags: v.flags_byte(),
                body: b[field::HEADER..].to_vec(),
            },
        })
    }

    fn buffer_len(&self) -> usize {
        field::HEADER
            + match self {
                SegmentDescriptor::BlockToStream(_) | SegmentDescriptor::StreamToBlock(_) => {
                    usize::from(BLOCK_STREAM_DESCRIPTOR_LENGTH)
                }
                SegmentDescriptor::BlockToBlock(_) => usize::from(BLOCK_BLOCK_DESCRIPTOR_LENGTH),
                SegmentDescriptor::StreamToStream(_) => {
                    usize::from(STREAM_STREAM_DESCRIPTOR_LENGTH)
                }
                SegmentDescriptor::InlineToStream(_) => {
                    usize::from(INLINE_STREAM_DESCRIPTOR_LENGTH)
                }
                SegmentDescriptor::Raw { body, .. } => body.len(),
            }
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        self.emit_at(buf).map(|_| ())
    }
}

/// What emit calls the structure in its errors.
const WHAT: &str = "segment descriptor";

/// A 24-bit field's bytes, refused when `v` does not fit.
#[inline(always)]
fn be24(v: u32, name: &'static str) -> Result<[u8; 3]> {
    check_fits(WHAT, name, u64::from(v), 3)?;
    let [_, hi, mid, lo] = v.to_be_bytes();
    Ok([hi, mid, lo])
}

/// Checks that `buf` holds `N` bytes, then writes the descriptor `build`
/// makes there; returns `N`.
#[inline(always)]
fn put_fixed<const N: usize>(
    buf: &mut [u8],
    build: impl FnOnce() -> Result<[u8; N]>,
) -> Result<usize> {
    check_out(WHAT, buf, N)?;
    buf[..N].copy_from_slice(&build()?);
    Ok(N)
}

/// The header of a known type: type code, flags and DESCRIPTOR LENGTH, in
/// a descriptor of `N` bytes whose other bytes are zero.
#[inline(always)]
fn header<const N: usize>(type_code: u8, flags: SegmentFlags, length: u16) -> [u8; N] {
    let mut b = [0u8; N];
    b[field::TYPE] = type_code;
    b[field::FLAGS] = flags.bits();
    b[field::LENGTH].copy_from_slice(&length.to_be_bytes());
    b
}

/// Bytes of a known type's descriptor, the DESCRIPTOR LENGTH + 4 of them.
const BLOCK_STREAM_LEN: usize = field::HEADER + BLOCK_STREAM_DESCRIPTOR_LENGTH as usize;
const BLOCK_BLOCK_LEN: usize = field::HEADER + BLOCK_BLOCK_DESCRIPTOR_LENGTH as usize;
const STREAM_STREAM_LEN: usize = field::HEADER + STREAM_STREAM_DESCRIPTOR_LENGTH as usize;
/// Length of an inline-data-to-stream (04h) segment descriptor.
pub const INLINE_STREAM_LEN: usize = field::HEADER + INLINE_STREAM_DESCRIPTOR_LENGTH as usize;

impl BlockStream {
    /// The 00h or 01h descriptor, built whole in a fixed-size array (no
    /// bounds checks, one copy out).
    #[inline(always)]
    fn bytes(&self, type_code: u8) -> Result<[u8; BLOCK_STREAM_LEN]> {
        let mut b = header(type_code, self.flags, BLOCK_STREAM_DESCRIPTOR_LENGTH);
        b[field::SOURCE].copy_from_slice(&self.source.to_be_bytes());
        b[field::DESTINATION].copy_from_slice(&self.destination.to_be_bytes());
        b[field::BS_STREAM_LEN].copy_from_slice(&be24(
            self.stream_transfer_length,
            "STREAM DEVICE TRANSFER LENGTH",
        )?);
        b[field::BS_BLOCKS].copy_from_slice(&self.blocks.to_be_bytes());
        b[field::BS_LBA].copy_from_slice(&self.lba.to_be_bytes());
        Ok(b)
    }
}

impl BlockToBlock {
    /// The 02h descriptor, built whole in a fixed-size array.
    #[inline(always)]
    fn bytes(&self) -> [u8; BLOCK_BLOCK_LEN] {
        let mut b = header(
            code::BLOCK_TO_BLOCK,
            self.flags,
            BLOCK_BLOCK_DESCRIPTOR_LENGTH,
        );
        b[field::SOURCE].copy_from_slice(&self.source.to_be_bytes());
        b[field::DESTINATION].copy_from_slice(&self.destination.to_be_bytes());
        b[field::BB_BLOCKS].copy_from_slice(&self.blocks.to_be_bytes());
        b[field::BB_SRC_LBA].copy_from_slice(&self.source_lba.to_be_bytes());
        b[field::BB_DST_LBA].copy_from_slice(&self.destination_lba.to_be_bytes());
        b
    }
}

impl StreamToStream {
    /// The 03h descriptor, built whole in a fixed-size array.
    #[inline(always)]
    fn bytes(&self) -> Result<[u8; STREAM_STREAM_LEN]> {
        let mut b = header(
            code::STREAM_TO_STREAM,
            self.flags,
            STREAM_STREAM_DESCRIPTOR_LENGTH,
        );
        b[field::SOURCE].copy_from_slice(&self.source.to_be_bytes());
        b[field::DESTINATION].copy_from_slice(&self.destination.to_be_bytes());
        b[field::SS_SRC_LEN].copy_from_slice(&be24(
            self.source_transfer_length,
            "SOURCE STREAM DEVICE TRANSFER LENGTH",
        )?);
        b[field::SS_DST_LEN].copy_from_slice(&be24(
            self.destination_transfer_length,
            "DESTINATION STREAM DEVICE TRANSFER LENGTH",
        )?);
        b[field::SS_BYTE_COUNT].copy_from_slice(&self.byte_count.to_be_bytes());
        Ok(b)
    }
}

impl InlineToStream {
    /// The 04h descriptor, built whole in a fixed-size array.
    #[inline(always)]
    fn bytes(&self) -> Result<[u8; INLINE_STREAM_LEN]> {
        let mut b = header(
            code::INLINE_TO_STREAM,
            self.flags,
            INLINE_STREAM_DESCRIPTOR_LENGTH,
        );
        b[field::SOURCE].copy_from_slice(&self.reserved_source.to_be_bytes());
        b[field::DESTINATION].copy_from_slice(&self.destination.to_be_bytes());
        b[field::IS_STREAM_LEN].copy_from_slice(&be24(
            self.stream_transfer_length,
            "STREAM DEVICE TRANSFER LENGTH",
        )?);
        b[field::IS_OFFSET].copy_from_slice(&self.inline_offset.to_be_bytes());
        b[field::IS_BYTES].copy_from_slice(&self.inline_bytes.to_be_bytes());
        Ok(b)
    }
}

impl SegmentDescriptor {
    /// [`Repr::emit`], returning the bytes written ([`Repr::buffer_len`]),
    /// so a list emits each descriptor in one pass. A known type is built
    /// whole in a fixed-size array and copied out once: this is the inner
    /// loop of every EXTENDED COPY parameter list.
    #[inline]
    pub(crate) fn emit_at(&self, buf: &mut [u8]) -> Result<usize> {
        match self {
            SegmentDescriptor::BlockToStream(d) => {
                put_fixed(buf, || d.bytes(code::BLOCK_TO_STREAM))
            }
            SegmentDescriptor::StreamToBlock(d) => {
                put_fixed(buf, || d.bytes(code::STREAM_TO_BLOCK))
            }
            SegmentDescriptor::BlockToBlock(d) => put_fixed(buf, || Ok(d.bytes())),
            SegmentDescriptor::StreamToStream(d) => put_fixed(buf, || d.bytes()),
            SegmentDescriptor::InlineToStream(d) => put_fixed(buf, || d.bytes()),
            SegmentDescriptor::Raw {
                type_code,
                flags,
                body,
            } => {
                let total = self.buffer_len();
                check_out(WHAT, buf, total)?;
                let b = &mut buf[..total];
                b[field::TYPE] = *type_code;
                check_fits(WHAT, "DESCRIPTOR LENGTH", body.len() as u64, 2)?;
                put_be(&mut b[field::LENGTH], body.len() as u64);
                b[field::FLAGS] = *flags;
                b[field::HEADER..].copy_from_slice(body);
                Ok(total)
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 02h: 65,535 blocks from LBA 0 of CSCD 0 to LBA 0x10000 of CSCD 1.
    const B2B: [u8; 28] = [
        0x02, // DESCRIPTOR TYPE CODE block→block
        0x00, // DC 0, CAT 0
        0x00, 0x18, // DESCRIPTOR LENGTH 24
        0x00, 0x00, // SOURCE CSCD DESCRIPTOR ID 0
        0x00, 0x01, // DESTINATION CSCD DESCRIPTOR ID 1
        0x00, 0x00, // reserved
        0xff, 0xff, // NUMBER OF BLOCKS 65535
        0, 0, 0, 0, 0, 0, 0, 0, // SOURCE LBA 0
        0, 0, 0, 0, 0, 0x01, 0x00, 0x00, // DESTINATION LBA 0x10000
    ];

    /// 00h: 2048 blocks at LBA 0x800 to a stream in 256 KiB writes.
    const B2S: [u8; 24] = [
        0x00, // block→stream
        0x02, // DC 1
        0x00, 0x14, // DESCRIPTOR LENGTH 20
        0x00, 0x00, // source CSCD 0 (disk)
        0x00, 0x01, // destination CSCD 1 (tape)
        0x00, // reserved
        0x04, 0x00, 0x00, // STREAM DEVICE TRANSFER LENGTH 262144
        0x00, 0x00, // reserved
        0x08, 0x00, // BLOCK DEVICE NUMBER OF BLOCKS 2048
        0, 0, 0, 0, 0, 0, 0x08, 0x00, // BLOCK DEVICE LBA 0x800
    ];

    #[test]
    fn block_to_block_golden() {
        let d = SegmentDescriptor::parse(&B2B).unwrap();
        assert_eq!(
            d,
            SegmentDescriptor::block_to_block(0, 1, 0xffff, 0, 0x10000)
        );
        let mut out = [0xa5u8; 28];
        d.emit(&mut out).unwrap();
        assert_eq!(out, B2B);
        assert_eq!(d.cscd_indexes(), (Some(0), Some(1)));
    }

    #[test]
    fn block_to_stream_golden() {
        let d = SegmentDescriptor::parse(&B2S).unwrap();
        let SegmentDescriptor::BlockToStream(bs) = d else {
            panic!()
        };
        assert_eq!(bs.flags, SegmentFlags::DC);
        assert_eq!(bs.stream_transfer_length, 262_144);
        assert_eq!(bs.blocks, 2048);
        assert_eq!(bs.lba, 0x800);
        let mut out = [0xa5u8; 24];
        d.emit(&mut out).unwrap();
        assert_eq!(out, B2S);
    }

    #[test]
    fn wrong_descriptor_length_is_rejected() {
        let mut b = B2B.to_vec();
        b[3] = 0x14;
        b.truncate(24);
        assert!(matches!(
            SegmentDescriptor::parse(&b),
            Err(WireError::InvalidField {
                field: "DESCRIPTOR LENGTH",
                value: 0x14,
                ..
            })
        ));
    }

    #[test]
    fn truncated_descriptor_is_rejected() {
        assert!(matches!(
            SegmentDescriptor::parse(&B2B[..3]),
            Err(WireError::Truncated { need: 4, .. })
        ));
        assert!(matches!(
            SegmentDescriptor::parse(&B2B[..27]),
            Err(WireError::Truncated {
                need: 28,
                have: 27,
                ..
            })
        ));
    }

    #[test]
    fn unknown_type_is_kept_raw() {
        let b = [0x0a, 0x00, 0x00, 0x04, 1, 2, 3, 4];
        let d = SegmentDescriptor::parse(&b).unwrap();
        assert_eq!(d.type_code(), 0x0a);
        assert_eq!(d.cscd_indexes(), (Some(0x0102), Some(0x0304)));
        assert_eq!(d.to_vec().unwrap(), b);
    }

    #[test]
    fn stream_length_over_24_bits_does_not_emit() {
        let d = SegmentDescriptor::BlockToStream(BlockStream {
            flags: SegmentFlags::empty(),
            source: 0,
            destination: 1,
            stream_transfer_length: 1 << 24,
            blocks: 1,
            lba: 0,
        });
        assert!(matches!(d.to_vec(), Err(WireError::Overflow { .. })));
    }

    pub(crate) fn segment() -> impl Strategy<Value = SegmentDescriptor> {
        let flags = any::<u8>().prop_map(SegmentFlags::from_bits_retain);
        let bs = (
            flags.clone(),
            any::<u16>(),
            any::<u16>(),
            0u32..1 << 24,
            any::<u16>(),
            any::<u64>(),
        )
            .prop_map(|(flags, source, destination, l, blocks, lba)| BlockStream {
                flags,
                source,
                destination,
                stream_transfer_length: l,
                blocks,
                lba,
            });
        prop_oneof![
            bs.clone().prop_map(SegmentDescriptor::BlockToStream),
            bs.prop_map(SegmentDescriptor::StreamToBlock),
            (
                flags.clone(),
                any::<u16>(),
                any::<u16>(),
                any::<u16>(),
                any::<u64>(),
                any::<u64>()
            )
                .prop_map(|(flags, source, destination, blocks, s, d)| {
                    SegmentDescriptor::BlockToBlock(BlockToBlock {
                        flags,
                        source,
                        destination,
                        blocks,
                        source_lba: s,
                        destination_lba: d,
                    })
                }),
            (
                flags.clone(),
                any::<u16>(),
                any::<u16>(),
                0u32..1 << 24,
                0u32..1 << 24,
                any::<u32>()
            )
                .prop_map(|(flags, source, destination, a, b, c)| {
                    SegmentDescriptor::StreamToStream(StreamToStream {
                        flags,
                        source,
                        destination,
                        source_transfer_length: a,
                        destination_transfer_length: b,
                        byte_count: c,
                    })
                }),
            (
                flags,
                any::<u16>(),
                any::<u16>(),
                0u32..1 << 24,
                any::<u32>(),
                any::<u32>()
            )
                .prop_map(|(flags, r, destination, l, o, n)| {
                    SegmentDescriptor::InlineToStream(InlineToStream {
                        flags,
                        reserved_source: r,
                        destination,
                        stream_transfer_length: l,
                        inline_offset: o,
                        inline_bytes: n,
                    })
                }),
            (
                0x05u8..0xff,
                any::<u8>(),
                proptest::collection::vec(any::<u8>(), 0..40)
            )
                .prop_map(|(type_code, flags, body)| SegmentDescriptor::Raw {
                    type_code,
                    flags,
                    body
                }),
        ]
    }

    proptest! {
        #[test]
        fn round_trips(d in segment()) {
            let b = d.to_vec().unwrap();
            prop_assert_eq!(SegmentDescriptor::parse(&b).unwrap(), d);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(d) = SegmentDescriptor::parse(&bytes) {
                let b = d.to_vec().unwrap();
                // Reserved bytes of known types are not kept; the fields are.
                prop_assert_eq!(SegmentDescriptor::parse(&b).unwrap(), d);
            }
        }
    }
}
