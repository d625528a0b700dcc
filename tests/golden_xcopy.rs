//! Golden fixtures of EXTENDED COPY, RECEIVE COPY RESULTS and VPD pages:
//! each parses, emits back byte for byte, and decodes to the values its
//! comments give.

mod common;

use common::round_trip;
use segcopy::wire::cscd::{CscdDescriptor, DeviceParams};
use segcopy::wire::rcr::{
    CopyManagerStatus, CopyStatus, FailedSegmentDetails, OperatingParameters,
    ReceiveCopyResultsCdb, ReceiveData, ServiceAction, TransferCountUnits,
};
use segcopy::wire::segment::{SegmentDescriptor, SegmentFlags};
use segcopy::wire::vpd::{
    Association, BlockDeviceCharacteristics, BlockLimits, DesignatorType, DeviceIdentification,
    ExtendedInquiryData, LogicalBlockProvisioning, SupportedPages, ThirdPartyCopy,
    UnitSerialNumber,
};
use segcopy::wire::xcopy::{ExtendedCopyCdb, ListIdUsage, ParameterList};

fn list(name: &str) -> ParameterList {
    round_trip::<ParameterList>("xcopy-param-list")
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .1
}

#[test]
fn every_parameter_list_round_trips() {
    let all = round_trip::<ParameterList>("xcopy-param-list");
    // One list per segment type segcopy emits, plus the raw kinds.
    let mut codes: Vec<u8> = all
        .iter()
        .flat_map(|(_, l)| l.segments.iter().map(SegmentDescriptor::type_code))
        .collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes, vec![0x00, 0x01, 0x02, 0x03, 0x04, 0x0a]);
}

#[test]
fn block_to_block_values() {
    let l = list("b2b-two-disks.hex");
    assert_eq!(l.list_id, 1);
    assert_eq!(l.list_id_usage, ListIdUsage::NoHold);
    assert_eq!(l.cscds.len(), 2);
    assert_eq!(
        l.segments,
        vec![SegmentDescriptor::block_to_block(0, 1, 65535, 0, 65536)]
    );
}

#[test]
fn block_to_stream_values() {
    let l = list("b2s-disk-to-tape.hex");
    let CscdDescriptor::Identification(tape) = &l.cscds[1] else {
        panic!("CSCD 1 is not E4h")
    };
    assert_eq!(tape.peripheral_device_type, 1);
    assert_eq!(
        tape.params,
        DeviceParams::Stream {
            pad: false,
            fixed: true,
            stream_block_length: 262_144
        }
    );
    let SegmentDescriptor::BlockToStream(s) = &l.segments[0] else {
        panic!("not 00h")
    };
    assert_eq!(
        (s.source, s.destination, s.blocks, s.lba),
        (0, 1, 2048, 0x800)
    );
    assert_eq!(s.stream_transfer_length, 262_144);
}

#[test]
fn stream_to_block_values() {
    let l = list("s2b-tape-to-disk.hex");
    assert_eq!(l.priority, 2);
    let SegmentDescriptor::StreamToBlock(s) = &l.segments[0] else {
        panic!("not 01h")
    };
    assert!(s.flags.contains(SegmentFlags::DC));
    assert_eq!(l.cscds[1].peripheral_device_type(), 0);
}

#[test]
fn stream_to_stream_and_inline_values() {
    let SegmentDescriptor::StreamToStream(s) = list("s2s-tape-to-tape.hex").segments[0] else {
        panic!("not 03h")
    };
    assert_eq!(s.byte_count, 8 << 20);
    let l = list("i2s-catalog-to-tape.hex");
    let SegmentDescriptor::InlineToStream(i) = l.segments[0] else {
        panic!("not 04h")
    };
    assert_eq!((i.inline_offset, i.inline_bytes), (0, 16));
    assert_eq!(&l.inline_data[..8], b"SEGCAT01");
}

#[test]
fn unknown_types_are_raw() {
    let l = list("unknown-segment-type.hex");
    assert!(matches!(l.cscds[0], CscdDescriptor::Raw(_)));
    assert_eq!(l.cscds[0].type_code(), 0xe0);
    assert!(matches!(
        l.segments[0],
        SegmentDescriptor::Raw {
            type_code: 0x0a,
            ..
        }
    ));
    assert_eq!(l.list_id_usage, ListIdUsage::None);
}

#[test]
fn cdbs() {
    let c = round_trip::<ExtendedCopyCdb>("cdb-extended-copy");
    assert_eq!(c[0].1.parameter_list_length, 108);
    let r = round_trip::<ReceiveCopyResultsCdb>("cdb-receive-copy-results");
    let sas: Vec<ServiceAction> = r.iter().map(|(_, c)| c.service_action).collect();
    assert!(sas.contains(&ServiceAction::CopyStatus));
    assert!(sas.contains(&ServiceAction::ReceiveData));
    assert!(sas.contains(&ServiceAction::OperatingParameters));
    assert!(sas.contains(&ServiceAction::FailedSegmentDetails));
}

#[test]
fn receive_copy_results_responses() {
    let op = round_trip::<OperatingParameters>("rcr-operating-parameters");
    let lio = &op.iter().find(|(n, _)| n == "lio.hex").unwrap().1;
    assert!(lio.snlid);
    assert_eq!(
        (lio.max_cscd_descriptors, lio.max_segment_descriptors),
        (2, 1)
    );
    assert_eq!(lio.max_descriptor_list_length, 1024);
    assert_eq!(lio.max_segment_length, 256 << 20);
    assert_eq!(lio.data_segment_granularity(), 512);
    assert_eq!(lio.implemented_descriptor_codes, vec![0x02, 0xe4]);

    let cs = round_trip::<CopyStatus>("rcr-copy-status");
    assert_eq!(cs[0].1.status, CopyManagerStatus::Completed);
    assert_eq!(cs[1].1.status, CopyManagerStatus::CompletedWithErrors);
    assert_eq!(cs[1].1.units, TransferCountUnits::Power1024(1));

    let rd = round_trip::<ReceiveData>("rcr-receive-data");
    assert_eq!(rd[0].1.held_data.len(), 8);

    let fs = round_trip::<FailedSegmentDetails>("rcr-failed-segment-details");
    assert_eq!(fs[0].1.copy_command_status, 0x02);
    assert_eq!(fs[0].1.sense.len(), 18);
    assert!(!fs[0].1.sense_truncated());
}

#[test]
fn vpd_pages() {
    let p = round_trip::<SupportedPages>("vpd-00");
    assert_eq!(p[0].1.pages, vec![0x00, 0x80, 0x83, 0x86, 0xb0]);
    let s = round_trip::<UnitSerialNumber>("vpd-80");
    assert_eq!(s[0].1.serial_text(), "HUJ1234567");
    let d = round_trip::<DeviceIdentification>("vpd-83");
    let page = &d[0].1;
    assert_eq!(page.designators.len(), 3);
    let best = page.best_for_cscd().unwrap();
    assert_eq!(best.designator_type, DesignatorType::Naa);
    assert_eq!(
        best.to_string(),
        "NAA 6: 0x600140510a112233445566778899aabb"
    );
    assert_eq!(page.designators[2].association, Association::TargetPort);
    let t = round_trip::<ThirdPartyCopy>("vpd-8f");
    assert!(t[0].1.supports(0x83, 0x00));
    assert!(t[0].1.supports(0x84, 0x04));
    assert!(!t[0].1.supports(0x84, 0x01));
}

#[test]
fn lio_block_device_vpd_pages() {
    let x = round_trip::<ExtendedInquiryData>("vpd-86");
    assert!(x[0].1.headsup && x[0].1.ordsup && x[0].1.simpsup);
    assert!(!x[0].1.v_sup && x[0].1.spt == 0);
    let b0 = round_trip::<BlockLimits>("vpd-b0");
    let (short, full) = (&b0[0].1, &b0[1].1);
    assert_eq!(b0[0].0, "lio-fileio-512.hex");
    assert_eq!(short.page_length, 0x10);
    assert_eq!(short.maximum_transfer_length, 16384);
    assert_eq!(short.maximum_unmap_lba_count, 0);
    assert_eq!(full.page_length, 0x3c);
    assert_eq!(full.maximum_unmap_lba_count, 0x2000);
    assert_eq!(full.maximum_unmap_block_descriptor_count, 1);
    assert_eq!(full.maximum_write_same_length, 0x1000);
    assert!(!full.ugavalid);
    let b1 = round_trip::<BlockDeviceCharacteristics>("vpd-b1");
    assert_eq!(b1[0].1, BlockDeviceCharacteristics::default());
    let b2 = round_trip::<LogicalBlockProvisioning>("vpd-b2");
    let page = |name: &str| b2.iter().find(|(n, _)| n == name).unwrap().1.clone();
    assert_eq!(page("lio-fileio.hex"), LogicalBlockProvisioning::default());
    let tpu = page("lio-fileio-tpu.hex");
    assert!(tpu.lbpu && tpu.lbpws && tpu.lbpws10 && !tpu.lbprz);
}
