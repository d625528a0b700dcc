//! The catalog on tape (the patent's Step 1170): after a backup's data,
//! the engine writes on each of its tapes a filemark and then one map of
//! the whole backup — every copy, stream and segment, so any one tape
//! knows the layout — and `catalog rebuild --from-tape` reads the catalog
//! back from tapes alone.
//!
//! A map is a 32-byte header, then the JSON of a [`TapeMap`], then zeros
//! up to a whole number of blocks on a fixed-block tape:
//!
//! | bytes | field | value |
//! | --- | --- | --- |
//! | 0–15 | magic | `SEGCOPY-TAPEMAP\0` |
//! | 16–19 | format version | 1 |
//! | 20–23 | JSON length | bytes of JSON after the header |
//! | 24–27 | CRC32C | of the JSON (Castagnoli, as iSCSI and ext4 use) |
//! | 28–31 | reserved | 0 when written; not checked when read |
//!
//! Integers are big-endian. [`decode`] refuses, each with its own
//! [`MapError`], bytes that are not a map (no magic), a version newer than
//! this code, a length past the bytes read, a CRC32C that does not match,
//! and JSON that is not a map; it ignores whatever follows the JSON
//! (padding, the rest of a fixed block).

use serde::{Deserialize, Serialize};

use super::{BackupDetail, Timestamp};

/// The magic that opens every map.
pub const MAGIC: [u8; 16] = *b"SEGCOPY-TAPEMAP\0";
/// The format version this code writes, and the newest it reads.
pub const VERSION: u32 = 1;
/// The header's length.
pub const HEADER_LEN: usize = 32;

/// The header's fields, as byte ranges.
mod field {
    use std::ops::Range;
    pub const MAGIC: Range<usize> = 0..16;
    pub const VERSION: Range<usize> = 16..20;
    pub const LENGTH: Range<usize> = 20..24;
    pub const CRC: Range<usize> = 24..28;
    pub const RESERVED: Range<usize> = 28..32;
}

/// One backup's map, as written on one of its tapes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TapeMap {
    /// The tape it was written on.
    pub barcode: String,
    /// When it was written.
    pub written: Timestamp,
    /// The whole backup: all copies, all streams.
    pub detail: BackupDetail,
}

/// Why a map cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    /// The bytes do not open with the magic.
    #[error("these bytes are not a segcopy tape map (no SEGCOPY-TAPEMAP magic); position the tape after the backup's data filemark")]
    NotAMap,
    /// A newer segcopy wrote it.
    #[error("the tape map has format version {found}, newer than this segcopy reads ({supported}); use a newer segcopy")]
    NewerVersion {
        /// The version found.
        found: u32,
        /// The newest this code reads.
        supported: u32,
    },
    /// The header says the map is longer than the bytes read.
    #[error("the tape map is {needed} bytes long but only {have} were read; read the whole map (a larger read, or every block up to the next filemark)")]
    Truncated {
        /// Bytes the map needs (header and JSON).
        needed: u64,
        /// Bytes given.
        have: usize,
    },
    /// The JSON is not what was written.
    #[error("the tape map is damaged: its CRC32C is {computed:#010x}, the header says {stored:#010x}; read it again, or use another tape of the backup")]
    Checksum {
        /// The CRC32C in the header.
        stored: u32,
        /// The CRC32C of the bytes read.
        computed: u32,
    },
    /// The JSON is intact but not a map this code understands.
    #[error("the tape map's checksum is right but its JSON is not a backup map this segcopy understands")]
    Json(#[source] serde_json::Error),
    /// The map cannot be written.
    #[error("the tape map of backup {backup} cannot be encoded")]
    Encode {
        /// The backup.
        backup: i64,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The map's JSON is longer than the header can say.
    #[error("the tape map of backup {backup} is {bytes} bytes of JSON, more than a map can hold (4 GiB)")]
    TooLarge {
        /// The backup.
        backup: i64,
        /// The JSON's length.
        bytes: usize,
    },
}

/// Encodes `map`: header, JSON, and zeros up to a whole number of
/// `block_length` bytes when `block_length > 0` (a fixed-block tape).
pub fn encode(map: &TapeMap, block_length: u32) -> Result<Vec<u8>, MapError> {
    let backup = map.detail.backup.id;
    let json = serde_json::to_vec(map).map_err(|source| MapError::Encode { backup, source })?;
    let len = u32::try_from(json.len()).map_err(|_| MapError::TooLarge {
        backup,
        bytes: json.len(),
    })?;
    let mut out = vec![0u8; HEADER_LEN];
    out[field::MAGIC].copy_from_slice(&MAGIC);
    out[field::VERSION].copy_from_slice(&VERSION.to_be_bytes());
    out[field::LENGTH].copy_from_slice(&len.to_be_bytes());
    out[field::CRC].copy_from_slice(&crc32c::crc32c(&json).to_be_bytes());
    out[field::RESERVED].copy_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&json);
    if block_length > 0 {
        let bl = block_length as usize;
        let padded = out.len().div_ceil(bl) * bl;
        out.resize(padded, 0);
    }
    Ok(out)
}

/// A big-endian u32 at `range` (four bytes, within `bytes`: the caller
/// checked the header's length).
fn be32(bytes: &[u8], range: std::ops::Range<usize>) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[range]);
    u32::from_be_bytes(b)
}

/// Decodes the map at the start of `bytes`, which may go on past it
/// (padding, the rest of a fixed block).
pub fn decode(bytes: &[u8]) -> Result<TapeMap, MapError> {
    if bytes.len() < field::MAGIC.end || bytes[field::MAGIC] != MAGIC {
        return Err(MapError::NotAMap);
    }
    if bytes.len() < HEADER_LEN {
        return Err(MapError::Truncated {
            needed: HEADER_LEN as u64,
            have: bytes.len(),
        });
    }
    let version = be32(bytes, field::VERSION);
    if version == 0 {
        // No map was ever written with version 0: the header is damaged.
        return Err(MapError::NotAMap);
    }
    if version > VERSION {
        return Err(MapError::NewerVersion {
            found: version,
            supported: VERSION,
        });
    }
    let len = be32(bytes, field::LENGTH);
    let needed = HEADER_LEN as u64 + u64::from(len);
    let json = usize::try_from(needed)
        .ok()
        .and_then(|end| bytes.get(HEADER_LEN..end))
        .ok_or(MapError::Truncated {
            needed,
            have: bytes.len(),
        })?;
    let stored = be32(bytes, field::CRC);
    let computed = crc32c::crc32c(json);
    if stored != computed {
        return Err(MapError::Checksum { stored, computed });
    }
    serde_json::from_slice(json).map_err(MapError::Json)
}

#[cfg(test)]
mod tests;
