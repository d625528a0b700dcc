//! Which way a CDB's data moves, from its operation code (SPC-4 annex D's
//! operation code list, with SBC-3, SSC-4 and SMC-3): what a target that is
//! handed a CDB and a data buffer without a direction — LIO's userspace
//! backstore (TCMU) hands over iovecs only — must know to read the buffer
//! or fill it.
//!
//! Data out: the commands that carry a parameter list or blocks to the
//! device. Everything else that has a data buffer carries data in. The
//! 7Fh variable-length CDBs are judged by their service action (SBC-3
//! WRITE(32) and its kin are out).

/// The direction of a command's data phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the initiator to the device.
    Out,
    /// From the device to the initiator.
    In,
}

/// The operation codes whose data goes to the device (SPC-4 annex D).
const OUT: &[u8] = &[
    0x04, // FORMAT UNIT (SBC) / FORMAT MEDIUM (SSC): its parameter list
    0x07, // REASSIGN BLOCKS (SBC); INITIALIZE ELEMENT STATUS (SMC) has none
    0x0A, // WRITE(6) (SBC, SSC)
    0x15, // MODE SELECT(6)
    0x18, // COPY (obsolete)
    0x1D, // SEND DIAGNOSTIC
    0x2A, // WRITE(10)
    0x2E, // WRITE AND VERIFY(10)
    0x3B, // WRITE BUFFER
    0x3F, // WRITE LONG(10)
    0x41, // WRITE SAME(10)
    0x42, // UNMAP
    0x4C, // LOG SELECT
    0x55, // MODE SELECT(10)
    0x5F, // PERSISTENT RESERVE OUT
    0x83, // EXTENDED COPY and the other third-party copy OUT actions
    0x89, // COMPARE AND WRITE
    0x8A, // WRITE(16)
    0x8C, // WRITE ATTRIBUTE
    0x8E, // WRITE AND VERIFY(16)
    0x93, // WRITE SAME(16)
    0x9F, // SERVICE ACTION OUT(16): WRITE LONG(16)
    0xA4, // MAINTENANCE OUT: SET TIMESTAMP and the rest
    0xAA, // WRITE(12)
    0xAE, // WRITE AND VERIFY(12)
    0xB5, // SECURITY PROTOCOL OUT
];

/// The direction of `cdb`'s data, if it has `len` bytes of it.
pub fn direction(cdb: &[u8], len: u64) -> Option<Direction> {
    if len == 0 {
        return None;
    }
    let op = *cdb.first()?;
    let out = match op {
        // Variable length (SBC-3 4.2.3): WRITE(32) 000Bh, WRITE AND
        // VERIFY(32) 000Ch, WRITE SAME(32) 000Dh, ORWRITE(32) 000Eh.
        0x7F => cdb
            .get(8..10)
            .map(|sa| u16::from_be_bytes([sa[0], sa[1]]))
            .is_some_and(|sa| (0x000B..=0x000E).contains(&sa)),
        op => OUT.contains(&op),
    };
    Some(if out { Direction::Out } else { Direction::In })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_parameter_lists_go_out() {
        // EXTENDED COPY (LID1): a parameter list.
        assert_eq!(
            direction(&[0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0], 32),
            Some(Direction::Out)
        );
        assert_eq!(direction(&[0x8A; 16], 512), Some(Direction::Out));
        assert_eq!(direction(&[0x0A, 0, 0, 1, 0, 0], 512), Some(Direction::Out));
        assert_eq!(
            direction(&[0x15, 0x10, 0, 0, 12, 0], 12),
            Some(Direction::Out)
        );
    }

    #[test]
    fn the_rest_comes_in() {
        // RECEIVE COPY RESULTS, INQUIRY, READ(16), READ POSITION,
        // READ ELEMENT STATUS.
        for op in [0x84u8, 0x12, 0x88, 0x34, 0xB8] {
            assert_eq!(
                direction(&[op, 0, 0, 0, 0, 0], 64),
                Some(Direction::In),
                "{op:02x}"
            );
        }
    }

    #[test]
    fn no_data_no_direction() {
        // WRITE FILEMARKS(6) and WRITE(16) of nothing.
        assert_eq!(direction(&[0x10, 0, 0, 0, 1, 0], 0), None);
        assert_eq!(direction(&[0x8A; 16], 0), None);
        assert_eq!(direction(&[], 8), None);
    }

    #[test]
    fn variable_length_by_service_action() {
        let mut cdb = [0u8; 32];
        cdb[0] = 0x7F;
        cdb[7] = 0x18;
        cdb[9] = 0x0B; // WRITE(32)
        assert_eq!(direction(&cdb, 512), Some(Direction::Out));
        cdb[9] = 0x09; // READ(32)
        assert_eq!(direction(&cdb, 512), Some(Direction::In));
        assert_eq!(direction(&[0x7F, 0], 512), Some(Direction::In));
    }
}
