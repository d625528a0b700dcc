//! Fuzz target: RECEIVE COPY RESULTS CDB and its four LID1 responses, through the shared oracle
//! (`segcopy::wire::check_reparse`): whatever parses must emit and re-parse stably.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcopy::wire::check_reparse;

fuzz_target!(|data: &[u8]| {
    check_reparse::<segcopy::wire::rcr::ReceiveCopyResultsCdb>(data);
    check_reparse::<segcopy::wire::rcr::CopyStatus>(data);
    check_reparse::<segcopy::wire::rcr::ReceiveData>(data);
    check_reparse::<segcopy::wire::rcr::OperatingParameters>(data);
    check_reparse::<segcopy::wire::rcr::FailedSegmentDetails>(data);
});
