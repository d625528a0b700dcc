//! Fuzz target: SSC CDBs, READ POSITION forms, block limits and the SPC-4 mode parameters (CDBs, lists, pages), through the shared oracle
//! (`segcopy::wire::check_reparse`): whatever parses must emit and re-parse stably.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcopy::wire::check_reparse;

fuzz_target!(|data: &[u8]| {
    check_reparse::<segcopy::wire::ssc::ReadPositionCdb>(data);
    check_reparse::<segcopy::wire::ssc::ShortPosition>(data);
    check_reparse::<segcopy::wire::ssc::LongPosition>(data);
    check_reparse::<segcopy::wire::ssc::ExtendedPosition>(data);
    check_reparse::<segcopy::wire::ssc::Locate10Cdb>(data);
    check_reparse::<segcopy::wire::ssc::Locate16Cdb>(data);
    check_reparse::<segcopy::wire::ssc::ReadBlockLimitsCdb>(data);
    check_reparse::<segcopy::wire::ssc::BlockLimits>(data);
    check_reparse::<segcopy::wire::ssc::BlockLimitsMloi>(data);
    check_reparse::<segcopy::wire::ssc::Read6Cdb>(data);
    check_reparse::<segcopy::wire::ssc::Write6Cdb>(data);
    check_reparse::<segcopy::wire::ssc::WriteFilemarks6Cdb>(data);
    check_reparse::<segcopy::wire::ssc::Space6Cdb>(data);
    check_reparse::<segcopy::wire::ssc::RewindCdb>(data);
    check_reparse::<segcopy::wire::mode::ModeSense6Cdb>(data);
    check_reparse::<segcopy::wire::mode::ModeSelect6Cdb>(data);
    check_reparse::<segcopy::wire::mode::ModeParameterList6>(data);
    check_reparse::<segcopy::wire::mode::BlockDescriptor>(data);
    check_reparse::<segcopy::wire::mode::ModePage>(data);
    check_reparse::<segcopy::wire::mode::ModeSense10Cdb>(data);
    check_reparse::<segcopy::wire::mode::ModeParameterList10>(data);
    check_reparse::<segcopy::wire::mode::ControlModePage>(data);
});
