//! Segment planning for a 1 TiB object, as a backup starts it: cutting the
//! object into segments of 8 MiB and of 1 MiB (`engine::segments::cut`),
//! and planning a 1 TiB block→block copy in 8 MiB segments within the
//! simulator's standard copy manager's limits (`engine::plan::plan_block_copy`).
//! Throughput is in segments, so criterion prints the rate per segment.
//! Each result is consumed by iterating it (the blocks summed and checked),
//! so an eager and a lazy planner are measured alike.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use segcopy::catalog::Object;
use segcopy::engine::plan::{plan_block_copy, BlockCopy, Endpoint, Limits};
use segcopy::engine::segments::cut;
use segcopy::sim::cm::Profile;
use segcopy::wire::vpd::Designator;
use segcopy::wire::xcopy::ListIdUsage;

const TIB: u64 = 1 << 40;
const BLOCK: u32 = 512;
const BLOCKS: u64 = TIB / BLOCK as u64;

fn cut_1tib(c: &mut Criterion) {
    let object = Object {
        source: "prod0".into(),
        designator: "600140510a1122334455667788990001".into(),
        lba: 0,
        blocks: BLOCKS,
        block_length: BLOCK,
    };
    let mut g = c.benchmark_group("cut_1tib");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for segment in [8u64 << 20, 1 << 20] {
        g.throughput(Throughput::Elements(TIB / segment));
        let id = BenchmarkId::from_parameter(format!("{}MiB", segment >> 20));
        g.bench_with_input(id, &segment, |b, &segment| {
            b.iter(|| {
                let blocks: u64 = cut(black_box(&object), segment)
                    .unwrap()
                    .into_iter()
                    .map(|s| s.blocks)
                    .sum();
                assert_eq!(blocks, BLOCKS);
            })
        });
    }
    g.finish();
}

fn endpoint(name: &str, last: u8) -> Endpoint {
    let mut naa = vec![0x60, 0x01, 0x40, 0x51, 0x0a, 0x11, 0x22, 0x33];
    naa.extend_from_slice(&[0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, last]);
    Endpoint {
        name: name.into(),
        designator: Designator::naa(naa),
        peripheral_device_type: 0,
        block_length: BLOCK,
        // Room for the whole copy and then some.
        capacity_blocks: 2 * BLOCKS,
    }
}

fn plan_1tib(c: &mut Criterion) {
    let limits = Limits::from_operating_parameters("bench-cm", &Profile::standard().limits)
        .expect("the standard profile's limits plan");
    let segment = 8u64 << 20;
    let copy = BlockCopy {
        source: endpoint("src", 0xbb),
        source_lba: 0,
        destination: endpoint("dst", 0xcc),
        destination_lba: 0,
        blocks: BLOCKS,
        segment_bytes: Some(segment),
        list_id: 0,
        list_id_usage: ListIdUsage::None,
        priority: 0,
    };
    let mut g = c.benchmark_group("plan_block_copy_1tib");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(TIB / segment));
    g.bench_function("8MiB", |b| {
        b.iter_batched(
            || copy.clone(),
            |copy| {
                let plan = plan_block_copy(copy, black_box(&limits)).unwrap();
                let blocks: u64 = plan.segments.into_iter().map(|s| s.blocks).sum();
                assert_eq!(blocks, BLOCKS);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, cut_1tib, plan_1tib);
criterion_main!(benches);
