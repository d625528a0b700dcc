//! Criterion benches of the wire formats: emitting EXTENDED COPY parameter
//! lists of 1, 16 and 256 segment descriptors, parsing them back, and
//! parsing sense data.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use segcopy::wire::cscd::{CscdDescriptor, IdentificationCscd};
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
    for n in [1usize, 16, 256] {
        let l = list(n);
        let len = l.buffer_len();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("emit", n), &l, |b, l| {
            b.iter_batched_ref(
                || vec![0u8; len],
                |buf| l.emit(black_box(buf)).unwrap(),
                BatchSize::SmallInput,
            )
        });
        let bytes = l.to_vec().unwrap();
        g.bench_with_input(BenchmarkId::new("parse", n), &bytes, |b, bytes| {
            b.iter(|| ParameterList::parse(black_box(bytes)).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, parameter_lists);
criterion_main!(benches);
