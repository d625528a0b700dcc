//! Fuzz target: SMC READ ELEMENT STATUS, MOVE MEDIUM and the element address page, through the shared oracle
//! (`segcopy::wire::check_reparse`): whatever parses must emit and re-parse stably.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcopy::wire::check_reparse;

fuzz_target!(|data: &[u8]| {
    check_reparse::<segcopy::wire::smc::ReadElementStatusCdb>(data);
    check_reparse::<segcopy::wire::smc::MoveMediumCdb>(data);
    check_reparse::<segcopy::wire::smc::ElementStatusData>(data);
    check_reparse::<segcopy::wire::smc::ElementAddressAssignmentPage>(data);
});
