//! Fuzz target: INQUIRY CDB, standard data and VPD pages 00h, 80h, 83h, 86h, 8Fh, B0h, B1h, B2h,
//! through the shared oracle (`segcopy::wire::check_reparse`): whatever parses must emit and
//! re-parse stably.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcopy::wire::check_reparse;

fuzz_target!(|data: &[u8]| {
    check_reparse::<segcopy::wire::inquiry::InquiryCdb>(data);
    check_reparse::<segcopy::wire::inquiry::StandardInquiry>(data);
    check_reparse::<segcopy::wire::vpd::SupportedPages>(data);
    check_reparse::<segcopy::wire::vpd::UnitSerialNumber>(data);
    check_reparse::<segcopy::wire::vpd::DeviceIdentification>(data);
    check_reparse::<segcopy::wire::vpd::ThirdPartyCopy>(data);
    check_reparse::<segcopy::wire::vpd::ExtendedInquiryData>(data);
    check_reparse::<segcopy::wire::vpd::BlockLimits>(data);
    check_reparse::<segcopy::wire::vpd::BlockDeviceCharacteristics>(data);
    check_reparse::<segcopy::wire::vpd::LogicalBlockProvisioning>(data);
});
