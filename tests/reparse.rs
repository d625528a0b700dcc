//! Every parser against the shared oracle ([`segcopy::wire::check_reparse`]):
//! arbitrary bytes, and every golden fixture with one byte changed or cut
//! short. Whatever parses must emit and parse back to the same value. The
//! fuzz targets in `fuzz/` run the same oracle with coverage guidance.

mod common;

use proptest::prelude::*;
use segcopy::wire::check_reparse;
use segcopy::wire::{cscd, inquiry, mode, rcr, sbc, segment, sense, smc, ssc, vpd, xcopy};

/// Runs the oracle for every Repr type; returns how many parsed.
fn all(data: &[u8]) -> usize {
    [
        check_reparse::<xcopy::ParameterList>(data),
        check_reparse::<xcopy::ExtendedCopyCdb>(data),
        check_reparse::<cscd::CscdDescriptor>(data),
        check_reparse::<segment::SegmentDescriptor>(data),
        check_reparse::<rcr::ReceiveCopyResultsCdb>(data),
        check_reparse::<rcr::CopyStatus>(data),
        check_reparse::<rcr::ReceiveData>(data),
        check_reparse::<rcr::OperatingParameters>(data),
        check_reparse::<rcr::FailedSegmentDetails>(data),
        check_reparse::<sense::SenseData>(data),
        check_reparse::<inquiry::InquiryCdb>(data),
        check_reparse::<inquiry::StandardInquiry>(data),
        check_reparse::<vpd::SupportedPages>(data),
        check_reparse::<vpd::UnitSerialNumber>(data),
        check_reparse::<vpd::DeviceIdentification>(data),
        check_reparse::<vpd::ThirdPartyCopy>(data),
        check_reparse::<vpd::ExtendedInquiryData>(data),
        check_reparse::<vpd::BlockLimits>(data),
        check_reparse::<vpd::BlockDeviceCharacteristics>(data),
        check_reparse::<vpd::LogicalBlockProvisioning>(data),
        check_reparse::<sbc::ReadCapacity16>(data),
        check_reparse::<sbc::ReadCapacity16Cdb>(data),
        check_reparse::<sbc::Read16Cdb>(data),
        check_reparse::<sbc::Write16Cdb>(data),
        check_reparse::<sbc::TestUnitReadyCdb>(data),
        check_reparse::<sbc::RequestSenseCdb>(data),
        check_reparse::<sbc::Read10Cdb>(data),
        check_reparse::<sbc::Write10Cdb>(data),
        check_reparse::<sbc::ReadCapacity10Cdb>(data),
        check_reparse::<sbc::ReadCapacity10>(data),
        check_reparse::<sbc::SynchronizeCache10Cdb>(data),
        check_reparse::<sbc::SynchronizeCache16Cdb>(data),
        check_reparse::<sbc::ShortLbaBlockDescriptor>(data),
        check_reparse::<sbc::CachingModePage>(data),
        check_reparse::<ssc::ReadPositionCdb>(data),
        check_reparse::<ssc::ShortPosition>(data),
        check_reparse::<ssc::LongPosition>(data),
        check_reparse::<ssc::ExtendedPosition>(data),
        check_reparse::<ssc::Locate10Cdb>(data),
        check_reparse::<ssc::Locate16Cdb>(data),
        check_reparse::<ssc::ReadBlockLimitsCdb>(data),
        check_reparse::<ssc::BlockLimits>(data),
        check_reparse::<ssc::BlockLimitsMloi>(data),
        check_reparse::<ssc::Read6Cdb>(data),
        check_reparse::<ssc::Write6Cdb>(data),
        check_reparse::<ssc::WriteFilemarks6Cdb>(data),
        check_reparse::<ssc::Space6Cdb>(data),
        check_reparse::<ssc::RewindCdb>(data),
        check_reparse::<mode::ModeSense6Cdb>(data),
        check_reparse::<mode::ModeSelect6Cdb>(data),
        check_reparse::<mode::ModeParameterList6>(data),
        check_reparse::<mode::BlockDescriptor>(data),
        check_reparse::<mode::ModePage>(data),
        check_reparse::<mode::ModeSense10Cdb>(data),
        check_reparse::<mode::ModeParameterList10>(data),
        check_reparse::<mode::ControlModePage>(data),
        check_reparse::<smc::ReadElementStatusCdb>(data),
        check_reparse::<smc::MoveMediumCdb>(data),
        check_reparse::<smc::ElementStatusData>(data),
        check_reparse::<smc::ElementAddressAssignmentPage>(data),
    ]
    .iter()
    .filter(|&&b| b)
    .count()
}

/// Every fixture's bytes, for mutation.
fn corpus() -> Vec<Vec<u8>> {
    let dir = common::fixtures_dir().join("wire");
    let mut out = Vec::new();
    for kind in std::fs::read_dir(&dir).unwrap() {
        let kind = kind.unwrap().file_name().into_string().unwrap();
        out.extend(common::wire_fixtures(&kind).into_iter().map(|(_, b)| b));
    }
    out
}

#[test]
fn every_fixture_passes_the_oracle() {
    let c = corpus();
    assert!(c.len() >= 80, "{} fixtures", c.len());
    for f in &c {
        assert!(all(f) > 0, "a fixture no parser accepts: {f:02x?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        all(&data);
    }

    #[test]
    fn fixtures_with_one_byte_changed(i in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), x in 1u8..) {
        let c = corpus();
        let mut f = c[i.index(c.len())].clone();
        let k = at.index(f.len());
        f[k] ^= x;
        all(&f);
    }

    #[test]
    fn fixtures_cut_short(i in any::<prop::sample::Index>(), at in any::<prop::sample::Index>()) {
        let c = corpus();
        let f = &c[i.index(c.len())];
        all(&f[..at.index(f.len() + 1)]);
    }
}
