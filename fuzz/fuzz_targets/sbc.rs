//! Fuzz target: SBC CDBs and READ CAPACITY(16) data, through the shared oracle
//! (`segcopy::wire::check_reparse`): whatever parses must emit and re-parse stably.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcopy::wire::check_reparse;

fuzz_target!(|data: &[u8]| {
    check_reparse::<segcopy::wire::sbc::ReadCapacity16>(data);
    check_reparse::<segcopy::wire::sbc::ReadCapacity16Cdb>(data);
    check_reparse::<segcopy::wire::sbc::Read16Cdb>(data);
    check_reparse::<segcopy::wire::sbc::Write16Cdb>(data);
    check_reparse::<segcopy::wire::sbc::TestUnitReadyCdb>(data);
    check_reparse::<segcopy::wire::sbc::RequestSenseCdb>(data);
});
