//! The interlock that keeps a tape the catalog still needs: nothing
//! segcopy does writes over a tape (from a position before its end of
//! data) unless every backup on it has expired in this catalog, or the
//! user gave `--force`. Backups never need it — they append at the end of
//! data — but `segcopy bench` writes from the beginning of a tape and
//! `segcopy tape write|weof` wherever the tape is.
//!
//! Two records are checked, because either may be missing: the catalog
//! (the tape's barcode holds segments of a backup it retains), and the
//! tape itself — each backup's map on it names the catalog that wrote it,
//! so a tape from another catalog (another site, a catalog lost and not
//! yet rebuilt) is protected too, and so is a tape whose data carry no
//! map at all. Once a tape is written over, the catalog forgets the
//! segments it held ([`Store::tape_overwritten`]) before the first write,
//! so no record ever points at data that is gone.

use std::collections::BTreeSet;

use log::{debug, info, warn};

use crate::catalog::tape_map::{self, TapeMap, HEADER_LEN, MAGIC};
use crate::catalog::{format_time, now, Store, StoreError};
use crate::transport::commands::ScsiError;
use crate::transport::tape::{BlockMode, SpaceKind, Tape};
use crate::transport::Transport;

/// The longest record read while looking for maps (a tape block; maps
/// spanning several are read on).
const MAX_RECORD: usize = 0x00ff_ffff;

/// What a tape holds, read from its beginning.
#[derive(Debug, Clone, Default)]
pub struct Contents {
    /// Nothing at all: end of data at its beginning.
    pub blank: bool,
    /// The files (between filemarks) that hold data but no map.
    pub data_files: u64,
    /// Every map on it, in order.
    pub maps: Vec<TapeMap>,
}

/// Why a tape could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A command to the drive failed.
    #[error(transparent)]
    Scsi(#[from] ScsiError),
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

/// Reads the tape loaded in `drive` from its beginning, file by file —
/// the first record of each, the rest skipped with SPACE — and returns
/// what it holds. Leaves the tape at its end of data, in variable-block
/// mode.
pub fn scan(drive: &dyn Transport) -> Result<Contents, ScanError> {
    let tape = Tape::new(drive);
    tape.rewind()?;
    // In variable-block mode each READ returns one block, whatever the
    // fixed length it was written with (SSC-4 §4.2.21).
    tape.set_block_length_checked(0)
        .map_err(|e| ScanError::Mode {
            drive: drive.name().to_string(),
            why: e.to_string(),
        })?;
    let mut out = Contents::default();
    // One record per READ: as long as a record may be, or as the path
    // takes in one command.
    let mut buf = vec![
        0u8;
        drive
            .max_transfer()
            .map_or(MAX_RECORD, |m| m.min(MAX_RECORD))
    ];
    let mut file = 0u64;
    loop {
        let r = tape.read(&mut buf, BlockMode::Variable)?;
        if r.bytes == 0 && r.met.end_of_data {
            out.blank = file == 0;
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
            let map = tape_map::decode(&record).map_err(|source| ScanError::Map {
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
            out.maps.push(map);
        } else {
            debug!("{}: file {file} holds data", drive.name());
            out.data_files += 1;
        }
        if !at_filemark {
            let s = tape.space(SpaceKind::Filemarks, 1)?;
            if s.stopped_early {
                break;
            }
        }
        file += 1;
    }
    Ok(out)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Why a tape must not be written over.
#[derive(Debug, thiserror::Error)]
pub enum OverwriteError {
    /// It holds what the catalog or the tape says must be kept.
    #[error("{tape} must not be written over: {why}; load a scratch tape, or give --force to write over it (the catalog then forgets what it held)")]
    Protected {
        /// The tape, in words.
        tape: String,
        /// What it holds, in words.
        why: String,
    },
    /// The tape could not be read to see what it holds.
    #[error("{tape} could not be read to see what it holds ({source}); give --force to write over it anyway")]
    Unreadable {
        /// The tape, in words.
        tape: String,
        /// Why.
        #[source]
        source: Box<ScanError>,
    },
    /// The catalog failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Makes ready to write over the tape in `drive` (`barcode`, when known):
/// refuses, unless `force`, a tape that holds a backup this catalog
/// retains, a map of another catalog or of a backup this catalog does not
/// have, or data without any map; then has the catalog forget the
/// segments on it (with `why`, the writer, in words). A blank tape passes
/// as it is. Leaves the tape positioned anywhere: the caller positions it.
pub fn prepare(
    store: &dyn Store,
    drive: &dyn Transport,
    barcode: Option<&str>,
    force: bool,
    why: &str,
) -> Result<(), OverwriteError> {
    let words = barcode.map_or_else(
        || format!("the tape in {}", drive.name()),
        |b| format!("tape {b}"),
    );
    let contents = match scan(drive) {
        Ok(c) => Some(c),
        Err(source) if !force => {
            return Err(OverwriteError::Unreadable {
                tape: words,
                source: Box::new(source),
            })
        }
        Err(e) => {
            warn!("{words}: could not be read before it is written over ({e}); --force");
            None
        }
    };
    if contents.as_ref().is_some_and(|c| c.blank) {
        return Ok(());
    }
    // Every barcode this tape has gone by: the one given, and the ones
    // its maps name.
    let mut barcodes: BTreeSet<String> = barcode.map(str::to_string).into_iter().collect();
    if let Some(c) = &contents {
        barcodes.extend(c.maps.iter().map(|m| m.barcode.clone()));
    }
    if !force {
        if let Some(reason) = protected(store, contents.as_ref(), &barcodes)? {
            return Err(OverwriteError::Protected {
                tape: words,
                why: reason,
            });
        }
    }
    for b in &barcodes {
        let forgotten = store.tape_overwritten(b, why)?;
        if !forgotten.is_empty() {
            warn!(
                "tape {b} is written over ({why}): the catalog forgot its segments of backup{} {}",
                if forgotten.len() == 1 { "" } else { "s" },
                forgotten
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}

/// Why a tape that is not blank must be kept, if it must.
fn protected(
    store: &dyn Store,
    contents: Option<&Contents>,
    barcodes: &BTreeSet<String>,
) -> Result<Option<String>, StoreError> {
    let kept = store.tapes_in_use()?;
    if let Some(b) = barcodes.iter().find(|b| kept.contains(b)) {
        return Ok(Some(format!(
            "the catalog retains backups with segments on {b} (see `segcopy catalog list`)"
        )));
    }
    let Some(c) = contents else {
        return Ok(None);
    };
    let ours = store.catalog_id()?;
    let t = now();
    for m in &c.maps {
        let id = m.detail.backup.id;
        match &m.catalog {
            Some(other) if *other != ours => {
                return Ok(Some(format!(
                    "it holds backup {id} of another catalog ({other}; this one is {ours})"
                )))
            }
            _ => {}
        }
        // A map of this catalog (or one too old to name its catalog):
        // the backup must be here, the same, and expired.
        match store.backup_without_segments(id) {
            Ok(d)
                if d.backup.object == m.detail.backup.object
                    && d.backup.started == m.detail.backup.started =>
            {
                if let Some(until) = d.backup.retain_until.filter(|u| *u <= t) {
                    debug!("backup {id} on the tape expired at {}", format_time(until));
                    continue;
                }
                return Ok(Some(match d.backup.retain_until {
                    None => format!("it holds backup {id}, which the catalog keeps for good"),
                    Some(u) => format!(
                        "it holds backup {id}, which the catalog keeps until {}",
                        format_time(u)
                    ),
                }));
            }
            Ok(_) | Err(StoreError::NoSuchBackup { .. }) => {
                return Ok(Some(format!(
                    "it holds backup {id}, which this catalog does not have (rebuild it with `segcopy catalog rebuild --from-tape` first)"
                )))
            }
            Err(e) => return Err(e),
        }
    }
    if c.maps.is_empty() && c.data_files > 0 {
        return Ok(Some(format!(
            "it holds data ({} file{}) with no segcopy map: segcopy cannot tell whose it is",
            c.data_files,
            if c.data_files == 1 { "" } else { "s" }
        )));
    }
    Ok(None)
}
