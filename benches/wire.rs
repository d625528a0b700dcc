//! Criterion benches of the wire formats: emitting EXTENDED COPY parameter
//! lists of 1, 16, 256 and 4096 segment descriptors (throughput in
//! descriptors, so criterion prints the rate per descriptor; the target is
//! ≤ 5 ns a descriptor, 200 Melem/s, at 256 and 4096), parsing them back,
//! parsing RECEIVE COPY RESULTS parameter data (OPERATING PARAMETERS,
//! COPY STATUS, FAILED SEGMENT DETAILS) and parsing sense data.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use segcopy::sim::cm::Profile;
use segcopy::wire::cscd::{CscdDescriptor, IdentificationCscd};
use segcopy::wire::rcr::{
    CopyManagerStatus, CopyStatus, FailedSegmentDetails, OperatingParameters, TransferCountUnits,
};
use segcopy::wire::segment::SegmentDescriptor;
use segcopy::wire::vpd::Designator;
use segcopy::wire::xcopy::{ListIdUsage, ParameterList};
use segcopy::wire::Repr;

fn list(segments: usize) -> ParameterList {
    let naa = |last| {
        let mut v = vec![0x60, 0x01, 0x40, 0x51, 0x0a, 0x11, 0x22, 0x33];
        v.extend_from_slice(&[0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, last]);
        Designator::naa(v)
    };
    let mut l = ParameterList::new(1, ListIdUsage::NoHold);
    l.cscds = vec![
        CscdDescriptor::Identification(IdentificationCscd::block(&naa(0xbb), 0, 512)),
        CscdDescriptor::Identification(IdentificationCscd::block(&naa(0xcc), 0, 512)),
    ];
    l.segments = (0..segments as u64)
        .map(|i| SegmentDescriptor::block_to_block(0, 1, 0xffff, i * 0xffff, i * 0xffff))
        .collect();
    l
}

fn parameter_lists(c: &mut Criterion) {
    let mut g = c.benchmark_group("xcopy_parameter_list");
    for n in [1usize, 16, 256, 4096] {
        let l = list(n);
        let len = l.buffer_len();
        g.throughput(Throughput::Elements(n as u64));
        // One buffer, written again and again: a fresh one per iteration
        // put its first-touch page faults (kernel time, 114 KiB at 4096
        // descriptors) into what emit was charged with.
        let mut buf = vec![0xa5u8; len];
        g.bench_with_input(BenchmarkId::new("emit", n), &l, |b, l| {
            b.iter(|| l.emit(black_box(&mut buf)).unwrap())
        });
        let bytes = l.to_vec().unwrap();
        g.bench_with_input(BenchmarkId::new("parse", n), &bytes, |b, bytes| {
            b.iter(|| ParameterList::parse(black_box(bytes)).unwrap())
        });
    }
    g.finish();
}

fn sense(c: &mut Criterion) {
    use segcopy::wire::sense::{
        ForwardedSense, SegmentPointer, SenseData, SenseDataSource, SenseKey, SenseKeySpecific,
    };
    // LIO's COPY ABORTED as the lab captured it, and a descriptor-format
    // COPY ABORTED with a segment pointer and forwarded sense.
    let fixed: Vec<u8> = vec![
        0x70, 0, 0x0a, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x0d, 0x02, 0, 0, 0, 0,
    ];
    let inner: SenseData = SenseData::fixed(SenseKey::MediumError, 0x0c, 0x00).into();
    let descriptor: SenseData = SenseData::descriptor(SenseKey::CopyAborted, 0x0d, 0x01)
        .with_failed_segment(3)
        .with_sense_key_specific(SenseKeySpecific::SegmentPointer(SegmentPointer {
            segment_descriptor: true,
            bit_pointer: None,
            field_pointer: 12,
        }))
        .with_forwarded(ForwardedSense::new(SenseDataSource::CopyDestination, 2, &inner).unwrap())
        .into();
    let descriptor = descriptor.to_vec().unwrap();
    let mut g = c.benchmark_group("sense_parse");
    g.bench_function("fixed_copy_aborted", |b| {
        b.iter(|| SenseData::parse(black_box(&fixed)).unwrap())
    });
    g.bench_function("descriptor_forwarded", |b| {
        b.iter(|| SenseData::parse(black_box(&descriptor)).unwrap())
    });
    g.finish();
}

fn receive_copy_results(c: &mut Criterion) {
    // OPERATING PARAMETERS (03h) as the standard profile of the simulator
    // answers it, COPY STATUS (00h) of a copy that failed at segment 3,
    // and FAILED SEGMENT DETAILS (04h) carrying LIO's COPY ABORTED.
    let operating = Profile::standard().limits.to_vec().unwrap();
    let status = CopyStatus {
        hdd: false,
        status: CopyManagerStatus::CompletedWithErrors,
        segments_processed: 3,
        units: TransferCountUnits::Power1024(0),
        transfer_count: 3 << 20,
    }
    .to_vec()
    .unwrap();
    let lio_sense = vec![
        0x70, 0, 0x0a, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x0d, 0x02, 0, 0, 0, 0,
    ];
    let failed = FailedSegmentDetails::new(0x02, lio_sense).to_vec().unwrap();
    let mut g = c.benchmark_group("receive_copy_results_parse");
    g.bench_function("operating_parameters_03h", |b| {
        b.iter(|| OperatingParameters::parse(black_box(&operating)).unwrap())
    });
    g.bench_function("copy_status_00h", |b| {
        b.iter(|| CopyStatus::parse(black_box(&status)).unwrap())
    });
    g.bench_function("failed_segment_details_04h", |b| {
        b.iter(|| FailedSegmentDetails::parse(black_box(&failed)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, parameter_lists, receive_copy_results, sense);
criterion_main!(benches);
