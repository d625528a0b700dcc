//! Rebuilding the catalog from tapes alone (the patent's Step 1170, read
//! back): every backup left a filemark and then its map after its data on
//! each of its tapes, so reading a tape file by file — the first record of
//! each file, the rest skipped with SPACE — finds every map on it.

use std::collections::BTreeMap;

use log::{debug, info};

use crate::catalog::tape_map::{self, TapeMap, HEADER_LEN, MAGIC};
use crate::catalog::{BackupId, Store, StoreError};
use crate::transport::commands::ScsiError;
use crate::transport::tape::{BlockMode, SpaceKind, Tape};
use crate::transport::Transport;

/// The longest record read while looking for maps (a tape block; maps
/// spanning several are read on).
const MAX_RECORD: usize = 0x00ff_ffff;

/// Why a tape's maps could not be read or imported.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// A command to the drive failed.
    #[error(transparent)]
    Scsi(#[from] ScsiError),
    /// The catalog refused an import.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A map was found but does not decode.
    #[error("{drive}: file {file} holds a damaged map: {source}")]
    Map {
        /// The drive.
        drive: String,
        /// The file number (from 0).
        file: u64,
        /// Why.
        #[source]
        source: tape_map::MapError,
    },
    /// The drive refused variable-block mode, in which segcopy reads maps.
    #[error("{drive}: {why}")]
    Mode {
        /// The drive.
        drive: String,
        /// Why.
        why: String,
    },
}

/// Every map on the tape loaded in `drive`, from its beginning, in order.
pub fn read_maps(drive: &dyn Transport) -> Result<Vec<TapeMap>, RebuildError> {
    let tape = Tape::new(drive);
    tape.rewind()?;
    // In variable-block mode each READ returns one block, whatever the
    // fixed length it was written with (SSC-4 §4.2.21).
    tape.set_block_length_checked(0)
        .map_err(|e| RebuildError::Mode {
            drive: drive.name().to_string(),
            why: e.to_string(),
        })?;
    let mut maps = Vec::new();
    let mut buf = vec![0u8; MAX_RECORD];
    let mut file = 0u64;
    loop {
        let r = tape.read(&mut buf, BlockMode::Variable)?;
        if r.bytes == 0 && r.met.end_of_data {
            break;
        }
        if r.bytes == 0 && r.met.filemark {
            // An empty file: the read moved past its filemark.
            file += 1;
            continue;
        }
        let mut record = buf[..r.bytes].to_vec();
        let mut at_filemark = r.met.filemark;
        if record.starts_with(&MAGIC) && record.len() >= HEADER_LEN {
            let need = HEADER_LEN + be32(&record[20..24]) as usize;
            while record.len() < need && !at_filemark {
                let more = tape.read(&mut buf, BlockMode::Variable)?;
                record.extend_from_slice(&buf[..more.bytes]);
                at_filemark = more.met.filemark;
                if more.bytes == 0 {
                    break;
                }
            }
            let map = tape_map::decode(&record).map_err(|source| RebuildError::Map {
                drive: drive.name().to_string(),
                file,
                source,
            })?;
            info!(
                "{}: file {file}: the map of backup {} (tape {})",
                drive.name(),
                map.detail.backup.id,
                map.barcode
            );
            maps.push(map);
        } else {
            debug!("{}: file {file} holds data", drive.name());
        }
        if !at_filemark {
            let s = tape.space(SpaceKind::Filemarks, 1)?;
            if s.stopped_early {
                break;
            }
        }
        file += 1;
    }
    Ok(maps)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// What a rebuild put into the catalog.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rebuilt {
    /// The backups imported (or found equal to what the catalog had).
    pub backups: Vec<BackupId>,
    /// Maps read in all.
    pub maps: usize,
}

/// Imports the newest map of each backup among `maps` (a failover backup's
/// tapes carry maps written at different times; the newest is whole).
pub fn import(store: &dyn Store, maps: &[TapeMap]) -> Result<Rebuilt, RebuildError> {
    let mut newest: BTreeMap<BackupId, &TapeMap> = BTreeMap::new();
    for m in maps {
        let id = m.detail.backup.id;
        match newest.get(&id) {
            Some(n) if n.written >= m.written => {}
            _ => {
                newest.insert(id, m);
            }
        }
    }
    for m in newest.values() {
        store.import(&m.detail)?;
    }
    Ok(Rebuilt {
        backups: newest.keys().copied().collect(),
        maps: maps.len(),
    })
}

/// Why the tapes could not be brought to the drive.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The drive is not a drive of any library of the site.
    #[error(
        "{0} is not a drive of any [[library]] of the site; name one of the libraries' drives"
    )]
    NotInLibrary(String),
    /// A device could not be opened.
    #[error("{0}")]
    Open(String),
    /// Loading a tape failed.
    #[error("{barcode}: {source}")]
    Media {
        /// The tape.
        barcode: String,
        /// Why.
        #[source]
        source: crate::engine::media::MediaError,
    },
    /// Reading or importing failed.
    #[error(transparent)]
    Rebuild(#[from] RebuildError),
}

/// Reads the maps of each tape in `barcodes` (loaded one after the other
/// into `drive`, a drive of one of the site's libraries) — or of the tape
/// in the drive when `barcodes` is empty — and imports them into `store`.
pub fn from_tapes(
    site: &crate::site::Site,
    opener: &dyn crate::transport::Opener,
    store: &dyn Store,
    drive: &str,
    barcodes: &[String],
) -> Result<Rebuilt, LoadError> {
    let open = |n: &str| opener.open(n).map_err(|e| LoadError::Open(e.0));
    let mut maps = Vec::new();
    if barcodes.is_empty() {
        maps.extend(read_maps(open(drive)?.as_ref())?);
    } else {
        let (library, number) = site
            .library
            .iter()
            .find_map(|l| {
                let lib = l.name.get_ref();
                site.drive_number(lib, drive).map(|n| (lib.clone(), n))
            })
            .ok_or_else(|| LoadError::NotInLibrary(drive.to_string()))?;
        let lib = open(&library)?;
        for b in barcodes {
            let media = |source| LoadError::Media {
                barcode: b.clone(),
                source,
            };
            crate::engine::media::load(lib.as_ref(), number, b).map_err(media)?;
            let t = open(drive)?;
            crate::engine::media::wait_ready(t.as_ref(), b).map_err(media)?;
            maps.extend(read_maps(t.as_ref())?);
        }
    }
    Ok(import(store, &maps)?)
}
