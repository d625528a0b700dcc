//! Fuzz target: sense data, fixed and descriptor format, through the shared oracle
//! (`segcopy::wire::check_reparse`): whatever parses must emit and re-parse stably.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcopy::wire::check_reparse;

fuzz_target!(|data: &[u8]| {
    check_reparse::<segcopy::wire::sense::SenseData>(data);
});
