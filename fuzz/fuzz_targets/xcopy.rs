//! Fuzz target: EXTENDED COPY CDB, parameter lists, CSCD and segment descriptors, through the shared oracle
//! (`segcopy::wire::check_reparse`): whatever parses must emit and re-parse stably.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcopy::wire::check_reparse;

fuzz_target!(|data: &[u8]| {
    check_reparse::<segcopy::wire::xcopy::ParameterList>(data);
    check_reparse::<segcopy::wire::xcopy::ExtendedCopyCdb>(data);
    check_reparse::<segcopy::wire::cscd::CscdDescriptor>(data);
    check_reparse::<segcopy::wire::segment::SegmentDescriptor>(data);
});
