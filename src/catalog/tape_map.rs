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

use std::cell::RefCell;
use std::io::{Read, Write};

use serde::ser::{Error as _, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use super::{Backup, BackupDetail, BackupId, Store, StoreError, StreamEvent, Timestamp};

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
    /// The identity of the catalog that wrote it
    /// ([`Store::catalog_id`]): a tape whose maps name another catalog
    /// holds backups this one knows nothing of. Maps written before
    /// segcopy recorded it have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
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
    /// The catalog could not give the backup's segments.
    #[error("the tape map of backup {backup} cannot be written: {source}")]
    Store {
        /// The backup.
        backup: i64,
        /// Why.
        #[source]
        source: Box<StoreError>,
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
    let mut out = header(len, crc32c::crc32c(&json)).to_vec();
    out.extend_from_slice(&json);
    if block_length > 0 {
        let bl = block_length as usize;
        let padded = out.len().div_ceil(bl) * bl;
        out.resize(padded, 0);
    }
    Ok(out)
}

/// The header of a map whose JSON has `len` bytes with CRC32C `crc`.
fn header(len: u32, crc: u32) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[field::MAGIC].copy_from_slice(&MAGIC);
    out[field::VERSION].copy_from_slice(&VERSION.to_be_bytes());
    out[field::LENGTH].copy_from_slice(&len.to_be_bytes());
    out[field::CRC].copy_from_slice(&crc.to_be_bytes());
    out[field::RESERVED].copy_from_slice(&0u32.to_be_bytes());
    out
}

/// A backup's map written as it is encoded, its segments read from the
/// catalog one at a time ([`Store::each_segment`]): neither the segments
/// nor the JSON are ever held, so writing it costs the same for a backup
/// of any size. The bytes are [`encode`]'s for the [`TapeMap`] of
/// [`Store::backup`]. The header carries the JSON's length and CRC32C
/// before the JSON, so the segments are read twice: [`MapWriter::new`]
/// measures, [`MapWriter::write`] writes.
pub struct MapWriter<'a> {
    view: MapView<'a>,
    json_len: u32,
    crc: u32,
}

/// [`TapeMap`]'s shape, field for field, with the segments read as they
/// are serialized.
#[derive(Serialize)]
struct MapView<'a> {
    barcode: &'a str,
    written: Timestamp,
    detail: DetailView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog: Option<&'a str>,
}

/// [`BackupDetail`]'s shape, field for field.
#[derive(Serialize)]
struct DetailView<'a> {
    backup: &'a Backup,
    segments: SegmentsView<'a>,
    streams: &'a [StreamEvent],
}

/// A backup's segments, serialized as a JSON array as they are read.
struct SegmentsView<'a> {
    store: &'a dyn Store,
    id: BackupId,
    /// The catalog's error, when it stopped the serialization.
    failed: RefCell<Option<StoreError>>,
}

impl Serialize for SegmentsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        let mut encoding = None;
        let read = self.store.each_segment(self.id, &mut |r| {
            seq.serialize_element(r).map_err(|e| {
                encoding = Some(e);
                StoreError::Invalid("the segment could not be encoded".into())
            })
        });
        if let Some(e) = encoding {
            return Err(e);
        }
        if let Err(e) = read {
            let msg = e.to_string();
            *self.failed.borrow_mut() = Some(e);
            return Err(S::Error::custom(msg));
        }
        seq.end()
    }
}

/// Counts the bytes written through it and their CRC32C.
struct Measure {
    len: u64,
    crc: u32,
}

impl Write for Measure {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.len += buf.len() as u64;
        self.crc = crc32c::crc32c_append(self.crc, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MapWriter<'a> {
    /// The map of `head` (a backup as [`Store::backup_without_segments`]
    /// gives it) on tape `barcode`, written at `written`, its segments
    /// read from `store`; measured by one pass over them.
    pub fn new(
        store: &'a dyn Store,
        head: &'a BackupDetail,
        barcode: &'a str,
        written: Timestamp,
    ) -> Result<Self, MapError> {
        Self::for_catalog(store, head, barcode, written, None)
    }

    /// [`MapWriter::new`], the map naming the catalog `catalog` that
    /// wrote it ([`TapeMap::catalog`]).
    pub fn for_catalog(
        store: &'a dyn Store,
        head: &'a BackupDetail,
        barcode: &'a str,
        written: Timestamp,
        catalog: Option<&'a str>,
    ) -> Result<Self, MapError> {
        let mut w = MapWriter {
            view: MapView {
                barcode,
                written,
                detail: DetailView {
                    backup: &head.backup,
                    segments: SegmentsView {
                        store,
                        id: head.backup.id,
                        failed: RefCell::new(None),
                    },
                    streams: &head.streams,
                },
                catalog,
            },
            json_len: 0,
            crc: 0,
        };
        let mut m = Measure { len: 0, crc: 0 };
        w.json(&mut m)?;
        w.json_len = u32::try_from(m.len).map_err(|_| MapError::TooLarge {
            backup: head.backup.id,
            bytes: usize::try_from(m.len).unwrap_or(usize::MAX),
        })?;
        w.crc = m.crc;
        Ok(w)
    }

    /// The map's bytes: header and JSON, before any padding.
    pub fn len(&self) -> u64 {
        HEADER_LEN as u64 + u64::from(self.json_len)
    }

    /// Whether the map has no bytes (never: the header at least).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The map's bytes when padded to whole blocks of `block_length`
    /// (`0`: not padded).
    pub fn padded_len(&self, block_length: u32) -> u64 {
        match u64::from(block_length) {
            0 => self.len(),
            bl => self.len().div_ceil(bl) * bl,
        }
    }

    /// Writes the map to `out` — header, JSON, and zeros up to a whole
    /// number of `block_length` bytes when `block_length > 0` — reading
    /// the segments a second time. `out` sees [`encode`]'s bytes, in
    /// pieces; an error of `out` comes back as [`MapError::Encode`] (keep
    /// the cause in `out` to say it better).
    pub fn write(&self, block_length: u32, out: &mut dyn Write) -> Result<(), MapError> {
        let backup = self.view.detail.backup.id;
        let io = |e: std::io::Error| MapError::Encode {
            backup,
            source: serde_json::Error::io(e),
        };
        out.write_all(&header(self.json_len, self.crc))
            .map_err(io)?;
        let mut count = Measure { len: 0, crc: 0 };
        {
            let mut tee = Tee {
                out: &mut *out,
                count: &mut count,
            };
            self.json(&mut tee)?;
        }
        if (count.len, count.crc) != (u64::from(self.json_len), self.crc) {
            return Err(MapError::Store {
                backup,
                source: Box::new(StoreError::Invalid(
                    "the backup's segments changed while its map was written".into(),
                )),
            });
        }
        let zeros = self.padded_len(block_length) - self.len();
        std::io::copy(&mut Read::take(std::io::repeat(0), zeros), out).map_err(io)?;
        Ok(())
    }

    /// Serializes the JSON into `out`.
    fn json(&self, out: &mut dyn Write) -> Result<(), MapError> {
        let backup = self.view.detail.backup.id;
        serde_json::to_writer(out, &self.view).map_err(|source| {
            match self.view.detail.segments.failed.borrow_mut().take() {
                Some(e) => MapError::Store {
                    backup,
                    source: Box::new(e),
                },
                None => MapError::Encode { backup, source },
            }
        })
    }
}

/// Writes to `out` and counts what it wrote.
struct Tee<'w> {
    out: &'w mut dyn Write,
    count: &'w mut Measure,
}

impl Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.count.write(&buf[..n])
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
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
