//! Tape (SSC) commands through `Transport` for the integration tests.

use segcopy::transport::{Completion, Transport};
use segcopy::wire::ssc::{
    Locate10Cdb, LongPosition, LongPositionFlags, ModeParameterList6, ModeSelect6Cdb,
    ModeSense6Cdb, Read6Cdb, ReadPositionCdb, ReadPositionForm, RewindCdb, ShortPosition,
    Space6Cdb, SpaceCode, Write6Cdb, WriteFilemarks6Cdb,
};
use segcopy::wire::Repr;

use super::scsi::{cdb, data_in, data_out, good, none};

/// WRITE(6) of one variable-length record.
pub fn write_var(t: &impl Transport, data: &[u8]) -> Completion {
    data_out(t, &cdb(&Write6Cdb::variable(data.len() as u32)), data)
}

/// WRITE(6) of `blocks` fixed-length blocks.
pub fn write_fixed(t: &impl Transport, blocks: u32, data: &[u8]) -> Completion {
    data_out(t, &cdb(&Write6Cdb::fixed(blocks)), data)
}

/// READ(6) of one variable-length record of up to `len` bytes.
pub fn read_var(t: &impl Transport, len: usize) -> (Completion, Vec<u8>) {
    data_in(t, &cdb(&Read6Cdb::variable(len as u32)), len)
}

/// WRITE FILEMARKS(6).
pub fn filemarks(t: &impl Transport, n: u32) -> Completion {
    none(t, &cdb(&WriteFilemarks6Cdb::new(n)))
}

/// REWIND, which must succeed.
pub fn rewind(t: &impl Transport) {
    good(&none(t, &cdb(&RewindCdb::new())));
}

/// SPACE(6).
pub fn space(t: &impl Transport, code: SpaceCode, n: i32) -> Completion {
    none(t, &cdb(&Space6Cdb::new(code, n)))
}

/// LOCATE(10) to a block.
pub fn locate(t: &impl Transport, block: u32) -> Completion {
    none(t, &cdb(&Locate10Cdb::new(block)))
}

/// READ POSITION, long form.
pub fn long_position(t: &impl Transport) -> LongPosition {
    let (c, buf) = data_in(t, &cdb(&ReadPositionCdb::new(ReadPositionForm::Long)), 32);
    good(&c);
    LongPosition::parse(&buf).unwrap()
}

/// READ POSITION, short form.
pub fn short_position(t: &impl Transport) -> ShortPosition {
    let (c, buf) = data_in(
        t,
        &cdb(&ReadPositionCdb::new(ReadPositionForm::ShortBlockId)),
        20,
    );
    good(&c);
    ShortPosition::parse(&buf).unwrap()
}

/// The logical object number, which must be known.
pub fn position(t: &impl Transport) -> u64 {
    let p = long_position(t);
    assert!(!p.flags.contains(LongPositionFlags::LONU), "{p:?}");
    p.logical_object_number
}

/// MODE SELECT with this block length (0: variable).
pub fn set_block_length(t: &impl Transport, bl: u32) -> Completion {
    let list = ModeParameterList6::select_block_length(bl).unwrap();
    data_out(
        t,
        &cdb(&ModeSelect6Cdb::for_list(&list).unwrap()),
        &list.to_vec().unwrap(),
    )
}

/// MODE SENSE: the current block length.
pub fn block_length(t: &impl Transport) -> u32 {
    let (c, buf) = data_in(t, &cdb(&ModeSense6Cdb::new(0, 255)), 255);
    good(&c);
    let list = ModeParameterList6::parse(&buf[..c.transferred]).unwrap();
    list.block_descriptors[0].block_length
}
