//! Getting a tape ready before data moves (patent Step 1090: the library
//! prepares the recording): load the cartridge into the stream's drive
//! with MOVE MEDIUM, wait for the drive, set its block length, and position
//! it — at the end of data for a backup (never over what a tape holds), or
//! at a segment's first block for a restore.
//!
//! Positions are never invented: where the drive answers READ POSITION
//! with a block number, that is the position; where it cannot tell (BPU,
//! as tgt's virtual tape), the position is `None` and the caller records
//! computed positions as unverified.

use std::thread::sleep;
use std::time::Duration;

use log::{debug, info};

use crate::transport::changer::{Changer, ElementError};
use crate::transport::commands::ScsiError;
use crate::transport::tape::{SetBlockLengthError, SpaceKind, Tape};
use crate::transport::Transport;
use crate::wire::smc::ElementType;
use crate::wire::ssc::ReadPositionForm;

/// Why a tape could not be got ready.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// A command to the library or the drive failed.
    #[error(transparent)]
    Scsi(Box<ScsiError>),
    /// The library has no such drive, or a move is impossible.
    #[error(transparent)]
    Element(#[from] ElementError),
    /// The cartridge is nowhere in the library.
    #[error("{library}: no element holds a cartridge with barcode {barcode} (see `segcopy changer {library} status`)")]
    NotInLibrary {
        /// The library.
        library: String,
        /// The barcode.
        barcode: String,
    },
    /// The drive holds another cartridge with no slot to put it back in.
    #[error(
        "{library}: drive {drive} holds {other} and the library has no empty slot to put it in"
    )]
    NoEmptySlot {
        /// The library.
        library: String,
        /// The drive's number.
        drive: u32,
        /// The cartridge in it.
        other: String,
    },
    /// The block length could not be set (or did not stick).
    #[error(transparent)]
    BlockLength(Box<SetBlockLengthError>),
    /// A segment's position on tape is not known (the drive did not
    /// report one when it was written), so it cannot be located.
    #[error("{drive}: the catalog has no block position for this segment (the drive did not report positions when it was written), so segcopy cannot LOCATE it")]
    Unpositioned {
        /// The drive.
        drive: String,
    },
    /// The drive did not become ready.
    #[error("{drive}: the drive did not become ready after loading {barcode}: {source}")]
    NotReady {
        /// The drive.
        drive: String,
        /// The cartridge.
        barcode: String,
        /// The last answer.
        #[source]
        source: Box<ScsiError>,
    },
}

impl From<SetBlockLengthError> for MediaError {
    fn from(e: SetBlockLengthError) -> Self {
        MediaError::BlockLength(Box::new(e))
    }
}

impl From<ScsiError> for MediaError {
    fn from(e: ScsiError) -> Self {
        MediaError::Scsi(Box::new(e))
    }
}

/// Loads the cartridge `barcode` into drive `drive_number` (from 0, in
/// element address order) of `library`, moving away whatever else the
/// drive holds (back to the slot it came from, or the first empty slot).
/// Nothing moves when the drive holds it already.
pub fn load(library: &dyn Transport, drive_number: u32, barcode: &str) -> Result<(), MediaError> {
    let ch = Changer::new(library);
    let (status, map) = ch.status_and_map()?;
    let drive = map.drive(drive_number)?;
    let holder = status
        .elements()
        .find(|(_, d)| d.is_full() && d.barcode().as_deref() == Some(barcode))
        .map(|(t, d)| (t, d.element_address));
    let Some((kind, at)) = holder else {
        return Err(MediaError::NotInLibrary {
            library: ch.name().to_string(),
            barcode: barcode.to_string(),
        });
    };
    if at == drive {
        debug!(
            "{}: {barcode} is already in drive {drive_number}",
            ch.name()
        );
        return Ok(());
    }
    let transport = map.transport().address();
    // Whatever the drive holds goes back home first.
    if let Some(d) = status.drives().find(|d| d.address == drive && d.loaded) {
        let other = d.barcode.clone().unwrap_or_else(|| "a cartridge".into());
        let empty = status
            .elements()
            .filter(|(t, e)| *t == ElementType::Storage && !e.is_full())
            .map(|(_, e)| e.element_address)
            .min();
        let home = d
            .source_slot
            .filter(|s| status.find(*s).is_some_and(|(_, e)| !e.is_full()));
        let Some(home) = home.or(empty) else {
            return Err(MediaError::NoEmptySlot {
                library: ch.name().to_string(),
                drive: drive_number,
                other,
            });
        };
        info!(
            "{}: unloading {other} from drive {drive_number} to element {home}",
            ch.name()
        );
        ch.move_medium(transport, drive, home)?;
    }
    info!(
        "{}: loading {barcode} from {} {at} into drive {drive_number}",
        ch.name(),
        match kind {
            ElementType::DataTransfer => "drive element",
            ElementType::ImportExport => "import/export element",
            _ => "slot element",
        }
    );
    ch.move_medium(transport, at, drive)?;
    Ok(())
}

/// Waits for a drive that was just loaded: TEST UNIT READY until GOOD,
/// a few times (NOT READY while it threads the tape).
pub fn wait_ready(drive: &dyn Transport, barcode: &str) -> Result<(), MediaError> {
    const TRIES: u32 = 10;
    let tape = Tape::new(drive);
    let mut attempt = 0u32;
    loop {
        match tape.test_unit_ready() {
            Ok(()) => return Ok(()),
            Err(e) if attempt + 1 < TRIES => {
                debug!("{}: not ready yet ({e})", drive.name());
                attempt += 1;
                sleep(Duration::from_millis(50 * u64::from(attempt)));
            }
            Err(source) => {
                return Err(MediaError::NotReady {
                    drive: drive.name().to_string(),
                    barcode: barcode.to_string(),
                    source: Box::new(source),
                })
            }
        }
    }
}

/// The drive's block position, if it tells (READ POSITION, short form,
/// then long).
pub fn position(drive: &dyn Transport) -> Option<u64> {
    let tape = Tape::new(drive);
    tape.read_position(ReadPositionForm::ShortBlockId)
        .or_else(|_| tape.read_position(ReadPositionForm::Long))
        .ok()
        .and_then(|p| p.trusted_block())
}

/// Makes a loaded drive ready to append: fixed blocks of `block_length`,
/// positioned at the end of data. Returns the position there, if the drive
/// tells.
pub fn ready_to_append(
    drive: &dyn Transport,
    block_length: u32,
) -> Result<Option<u64>, MediaError> {
    let tape = Tape::new(drive);
    tape.set_block_length_checked(block_length)?;
    tape.space(SpaceKind::EndOfData, 0)?;
    let at = position(drive);
    info!(
        "{}: at the end of data, block {}",
        drive.name(),
        at.map_or("unknown (the drive does not report it)".to_string(), |b| b
            .to_string())
    );
    Ok(at)
}

/// Makes a loaded drive ready to read from `block` in fixed blocks of
/// `block_length`.
pub fn ready_to_read(
    drive: &dyn Transport,
    block_length: u32,
    block: u64,
) -> Result<(), MediaError> {
    let tape = Tape::new(drive);
    tape.set_block_length_checked(block_length)?;
    tape.locate(block)?;
    Ok(())
}

/// The tape block length for a backup: the largest power of two from
/// `max` down to the disk's block length that divides every segment (so
/// each segment is whole tape blocks, and one tape block never holds two
/// segments), and that the drive allows.
pub fn tape_block_length(
    segment_bytes: u64,
    object_bytes: u64,
    disk_block_length: u32,
    max: u32,
    drive_max: u32,
) -> u32 {
    let mut b = max.min(if drive_max == 0 { u32::MAX } else { drive_max });
    b = 1 << (31 - b.leading_zeros());
    let last = object_bytes % segment_bytes;
    while b > disk_block_length
        && (segment_bytes % u64::from(b) != 0 || (last != 0 && last % u64::from(b) != 0))
    {
        b /= 2;
    }
    b.max(disk_block_length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tape_blocks_divide_every_segment() {
        let m = 256 << 10;
        assert_eq!(tape_block_length(8 << 20, 256 << 20, 512, m, 0), 256 << 10);
        // A last segment of 1.5 MiB: 512 KiB would not divide it.
        assert_eq!(
            tape_block_length(8 << 20, (8 << 20) + (3 << 19), 512, 1 << 20, 0),
            512 << 10
        );
        // An odd object: down to the disk block.
        assert_eq!(tape_block_length(8 << 20, (8 << 20) + 512, 512, m, 0), 512);
        // The drive's limit.
        assert_eq!(tape_block_length(8 << 20, 256 << 20, 512, m, 65536), 65536);
        assert_eq!(
            tape_block_length(8 << 20, 256 << 20, 4096, m, 100_000),
            65536
        );
    }
}
