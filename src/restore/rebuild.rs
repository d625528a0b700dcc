//! Rebuilding the catalog from tapes alone (the patent's Step 1170, read
//! back): every backup left a filemark and then its map after its data on
//! each of its tapes, so reading a tape file by file — the first record of
//! each file, the rest skipped with SPACE — finds every map on it.

use std::collections::BTreeMap;

use crate::catalog::tape_map::TapeMap;
use crate::catalog::{BackupId, Store, StoreError};
use crate::engine::overwrite::ScanError;
use crate::transport::commands::ScsiError;
use crate::transport::Transport;

/// Why a tape's maps could not be read or imported.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// A command to the drive failed.
    #[error(transparent)]
    Scsi(#[from] ScsiError),
    /// The catalog refused an import.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The tape could not be read through (a damaged map, a drive that
    /// refuses variable-block mode).
    #[error(transparent)]
    Scan(Box<ScanError>),
}

/// Every map on the tape loaded in `drive`, from its beginning, in order.
pub fn read_maps(drive: &dyn Transport) -> Result<Vec<TapeMap>, RebuildError> {
    Ok(crate::engine::overwrite::scan(drive)?.maps)
}

impl From<ScanError> for RebuildError {
    fn from(e: ScanError) -> Self {
        match e {
            ScanError::Scsi(e) => RebuildError::Scsi(e),
            e => RebuildError::Scan(Box::new(e)),
        }
    }
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
            .library_of_drive(drive)
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
