//! Fuzz target: SBC CDBs, READ CAPACITY (10)/(16) data and a disk's mode
//! parameters (short LBA block descriptor, Caching page), through the shared oracle
//! (`segcopy::wire::check_reparse`): whatever parses must emit and re-parse stably.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcopy::wire::check_reparse;

fuzz_target!(|data: &[u8]| {
    check_reparse::<segcopy::wire::sbc::ReadCapacity16>(data);
    check_reparse::<segcopy::wire::sbc::ReadCapacity16Cdb>(data);
    check_reparse::<segcopy::wire::sbc::Read16Cdb>(data);
    check_reparse::<segcopy::wire::sbc::Write16Cdb>(data);
    check_reparse::<segcopy::wire::sbc::Read10Cdb>(data);
    check_reparse::<segcopy::wire::sbc::Write10Cdb>(data);
    check_reparse::<segcopy::wire::sbc::ReadCapacity10Cdb>(data);
    check_reparse::<segcopy::wire::sbc::ReadCapacity10>(data);
    check_reparse::<segcopy::wire::sbc::SynchronizeCache10Cdb>(data);
    check_reparse::<segcopy::wire::sbc::SynchronizeCache16Cdb>(data);
    check_reparse::<segcopy::wire::sbc::ShortLbaBlockDescriptor>(data);
    check_reparse::<segcopy::wire::sbc::CachingModePage>(data);
    check_reparse::<segcopy::wire::sbc::TestUnitReadyCdb>(data);
    check_reparse::<segcopy::wire::sbc::RequestSenseCdb>(data);
});
