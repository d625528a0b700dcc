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
//!
//! Nor is a position believed that the drive's own answers contradict:
//! after a write of n blocks from block b, READ POSITION must say b + n
//! ([`after_write`]: a smaller block than b is a position that went
//! backwards, any other a position that disagrees with what was written);
//! after LOCATE to block b it must say b ([`ready_to_read`]); and a drive
//! whose READ POSITION fails or answers what cannot be true (a residual or
//! length past its buffer, …) has lost its position, which is not the
//! same as a drive that says it cannot tell.

use std::thread::sleep;
use std::time::Duration;

use log::{debug, info};

use crate::transport::changer::{Changer, ElementError};
use crate::transport::commands::{Failure, ScsiError};
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
    /// After a write, the drive reports a block before the one the write
    /// started at.
    #[error("{drive}: READ POSITION reports block {reported} after {blocks} block(s) were written from block {first}: the position went backwards, so segcopy does not trust where the data is")]
    Backwards {
        /// The drive.
        drive: String,
        /// Where the write started (the position the drive reported
        /// before it).
        first: u64,
        /// Blocks written.
        blocks: u64,
        /// What it reports now.
        reported: u64,
    },
    /// After a write, the drive reports a block other than where the
    /// write ended.
    #[error("{drive}: READ POSITION reports block {reported} after {blocks} block(s) were written from block {first}, where they end at block {expected}: the drive disagrees with what was written, so segcopy does not trust where the data is")]
    Disagrees {
        /// The drive.
        drive: String,
        /// Where the write started.
        first: u64,
        /// Blocks written.
        blocks: u64,
        /// Where it should be now.
        expected: u64,
        /// What it reports.
        reported: u64,
    },
    /// After LOCATE, the drive reports another block.
    #[error("{drive}: READ POSITION reports block {reported} after LOCATE to block {block}: the drive is not where it was sent, so segcopy does not read from it")]
    NotLocated {
        /// The drive.
        drive: String,
        /// Where it was sent.
        block: u64,
        /// What it reports.
        reported: u64,
    },
    /// READ POSITION failed, or answered what cannot be true.
    #[error("{drive}: the drive's position cannot be read, so segcopy cannot prove where the data is: {source}")]
    PositionLost {
        /// The drive.
        drive: String,
        /// How READ POSITION failed.
        #[source]
        source: Box<ScsiError>,
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
/// then long where the drive refuses the short one): `None` when it says
/// it cannot tell (BPU, LONU, a doubtful answer) or refuses both forms
/// (CHECK CONDITION). An answer that cannot be true, or no answer, is an
/// error: the drive has not said it cannot tell.
pub fn position(drive: &dyn Transport) -> Result<Option<u64>, ScsiError> {
    let tape = Tape::new(drive);
    let refused = |e: &ScsiError| matches!(e.failure(), Some(Failure::CheckCondition { .. }));
    let p = match tape.read_position(ReadPositionForm::ShortBlockId) {
        Ok(p) => p,
        Err(e) if refused(&e) => match tape.read_position(ReadPositionForm::Long) {
            Ok(p) => p,
            Err(e) if refused(&e) => return Ok(None),
            Err(e) => return Err(e),
        },
        Err(e) => return Err(e),
    };
    Ok(p.trusted_block())
}

fn lost(drive: &dyn Transport, source: ScsiError) -> MediaError {
    MediaError::PositionLost {
        drive: drive.name().to_string(),
        source: Box::new(source),
    }
}

/// Checks where a drive is after `blocks` blocks were written from block
/// `first` (the position it reported before the write): `Some(first +
/// blocks)` when READ POSITION says so, `None` when the drive now says it
/// cannot tell. A block before `first` is [`MediaError::Backwards`], any
/// other block [`MediaError::Disagrees`], a READ POSITION that fails or
/// cannot be true [`MediaError::PositionLost`].
pub fn after_write(
    drive: &dyn Transport,
    first: u64,
    blocks: u64,
) -> Result<Option<u64>, MediaError> {
    let Some(reported) = position(drive).map_err(|e| lost(drive, e))? else {
        return Ok(None);
    };
    let name = || drive.name().to_string();
    match first.checked_add(blocks) {
        Some(expected) if reported == expected => Ok(Some(reported)),
        _ if reported < first => Err(MediaError::Backwards {
            drive: name(),
            first,
            blocks,
            reported,
        }),
        expected => Err(MediaError::Disagrees {
            drive: name(),
            first,
            blocks,
            expected: expected.unwrap_or(u64::MAX),
            reported,
        }),
    }
}

/// Makes a loaded drive ready to append: fixed blocks of `block_length`,
/// positioned at the end of data. Returns the position there, if the drive
/// tells (a READ POSITION that fails or cannot be true is
/// [`MediaError::PositionLost`]).
pub fn ready_to_append(
    drive: &dyn Transport,
    block_length: u32,
) -> Result<Option<u64>, MediaError> {
    let tape = Tape::new(drive);
    tape.set_block_length_checked(block_length)?;
    tape.space(SpaceKind::EndOfData, 0)?;
    let at = position(drive).map_err(|e| lost(drive, e))?;
    info!(
        "{}: at the end of data, block {}",
        drive.name(),
        at.map_or("unknown (the drive does not report it)".to_string(), |b| b
            .to_string())
    );
    Ok(at)
}

/// Makes a loaded drive ready to read from `block` in fixed blocks of
/// `block_length`: LOCATE, then READ POSITION must say `block` where the
/// drive tells ([`MediaError::NotLocated`] otherwise).
pub fn ready_to_read(
    drive: &dyn Transport,
    block_length: u32,
    block: u64,
) -> Result<(), MediaError> {
    let tape = Tape::new(drive);
    tape.set_block_length_checked(block_length)?;
    tape.locate(block)?;
    match position(drive).map_err(|e| lost(drive, e))? {
        Some(reported) if reported != block => Err(MediaError::NotLocated {
            drive: drive.name().to_string(),
            block,
            reported,
        }),
        _ => Ok(()),
    }
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
    use crate::sim::tape::{Cartridge, SimTapeDrive};
    use crate::sim::Fabric;
    use crate::transport::fault::{Effect, Fault, FaultPlan, Lie, Trigger};
    use crate::transport::tape::BlockMode;
    use std::sync::Arc;

    /// A simulated drive with a blank tape, behind a plan of `lies` told on
    /// the n-th command each fits.
    fn drive(lies: &[(u64, Lie)]) -> Arc<Fabric> {
        let d = SimTapeDrive::new("drive0");
        d.load(Cartridge::memory("T00001L6", 1 << 20, 0));
        let faults = lies
            .iter()
            .map(|&(n, l)| Fault::once("drive0", Trigger::Command(n), Effect::Lie(l)))
            .collect();
        let mut f = Fabric::with_faults(Arc::new(FaultPlan::new(faults)));
        f.add(d).unwrap();
        Arc::new(f)
    }

    /// Appends four 512-byte blocks; the position the drive reported
    /// before them.
    fn write_four(t: &dyn Transport) -> u64 {
        let first = ready_to_append(t, 512).unwrap().unwrap();
        Tape::new(t)
            .write(&[7u8; 2048], BlockMode::Fixed(512))
            .unwrap();
        first
    }

    #[test]
    fn a_position_after_a_write_is_believed_only_where_it_was_written() {
        let f = drive(&[]);
        let t = f.transport("drive0").unwrap();
        let first = write_four(&t);
        assert_eq!(after_write(&t, first, 4).unwrap(), Some(first + 4));

        // The second READ POSITION (after the write) one block ahead.
        let f = drive(&[(2, Lie::PositionAhead)]);
        let t = f.transport("drive0").unwrap();
        let e = after_write(&t, write_four(&t), 4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "drive0: READ POSITION reports block 5 after 4 block(s) were written from block 0, \
             where they end at block 4: the drive disagrees with what was written, so segcopy \
             does not trust where the data is"
        );

        // Write, check, write: the third READ POSITION goes backwards.
        let f = drive(&[(3, Lie::PositionBackwards)]);
        let t = f.transport("drive0").unwrap();
        let first = write_four(&t);
        after_write(&t, first, 4).unwrap();
        Tape::new(&t)
            .write(&[7u8; 2048], BlockMode::Fixed(512))
            .unwrap();
        let e = after_write(&t, first + 4, 4).unwrap_err();
        assert!(
            matches!(
                e,
                MediaError::Backwards {
                    first: 4,
                    blocks: 4,
                    reported: 3,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("the position went backwards"), "{e}");
    }

    #[test]
    fn a_read_position_that_cannot_be_true_loses_the_position() {
        // The residual lie on the drive's command after the write: its
        // READ POSITION (INQUIRY… WRITE are the commands before it).
        let f = drive(&[]);
        let t = f.transport("drive0").unwrap();
        let first = write_four(&t);
        f.fault_plan().add(Fault::once(
            "drive0",
            Trigger::Always,
            Effect::Lie(Lie::Residual),
        ));
        let e = after_write(&t, first, 4).unwrap_err();
        assert!(matches!(e, MediaError::PositionLost { .. }), "{e}");
        assert!(
            e.to_string().starts_with(
                "drive0: the drive's position cannot be read, so segcopy cannot prove where the data is: \
                 drive0: READ POSITION: the device claims a residual of 532 bytes for a 20-byte transfer"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_drive_not_where_locate_sent_it_is_not_read() {
        // READ POSITION at the end of data, after the write, after LOCATE.
        let f = drive(&[(3, Lie::PositionAhead)]);
        let t = f.transport("drive0").unwrap();
        let first = write_four(&t);
        after_write(&t, first, 4).unwrap();
        let e = ready_to_read(&t, 512, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "drive0: READ POSITION reports block 2 after LOCATE to block 1: the drive is not \
             where it was sent, so segcopy does not read from it"
        );
        // It lied once: now it is believed.
        ready_to_read(&t, 512, 1).unwrap();
    }

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
