//! The simulator must not be the bottleneck of anything we measure: 1 GiB
//! copied through the simulated copy manager in 1 MiB segments (one
//! EXTENDED COPY each) block→stream (00h descriptor, 1 MiB records) and
//! block→block (02h, disk to disk), and a plain memcpy of the same 1 GiB
//! in the same run. Criterion prints the throughputs; the figure is
//! block→stream's over memcpy's (target ≥ 85 %: the simulator reads one
//! buffer and writes another, as memcpy does).
//!
//! memcpy copies the very bytes the disk holds (a pattern), as the
//! simulator does: how fast memory copies on a virtual machine depends on
//! what it holds (on the project's build VM a 1 GiB memcpy of one repeated
//! byte, what this bench copied before, ran up to several times faster
//! than one of the pattern or of random bytes), so other bytes are no
//! reference.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use segcopy::sim::cm::{CopyManager, Profile};
use segcopy::sim::disk::{Backing, SimDisk};
use segcopy::sim::tape::{Cartridge, SimTapeDrive};
use segcopy::sim::{BlockTarget, Fabric};
use segcopy::transport::fault::FaultPlan;
use segcopy::transport::{DataDirection, Transport};
use segcopy::wire::cscd::{CscdDescriptor, IdentificationCscd};
use segcopy::wire::segment::{BlockStream, SegmentDescriptor, SegmentFlags};
use segcopy::wire::ssc::RewindCdb;
use segcopy::wire::xcopy::{ExtendedCopyCdb, ListIdUsage, ParameterList};
use segcopy::wire::Repr;

const GIB: u64 = 1 << 30;
const SEGMENT: u64 = 1 << 20;

/// 1 GiB of a pattern, so the copies move real bytes; the same on every
/// call.
fn content() -> Vec<u8> {
    (0..GIB).map(|i| (i * 7 + 3) as u8).collect()
}

fn block_to_stream(c: &mut Criterion) {
    let faults = Arc::new(FaultPlan::default());
    let mut fabric = Fabric::with_faults(Arc::clone(&faults));
    let disk = SimDisk::new("bench-disk", 512, GIB / 512, Backing::Memory).unwrap();
    for (s, chunk) in content().chunks(SEGMENT as usize).enumerate() {
        disk.write_blocks(s as u64 * SEGMENT / 512, chunk).unwrap();
    }
    let disk2 = SimDisk::new("bench-disk2", 512, GIB / 512, Backing::Memory).unwrap();
    let drive = SimTapeDrive::new("bench-drive");
    drive.load(Cartridge::memory("BENCH1L6", 2 * GIB, 16 << 20));
    let cm = CopyManager::standalone("bench-cm", Profile::standard());
    let (disk_id, disk2_id, drive_id) = (
        disk.identity().designators()[0].clone(),
        disk2.identity().designators()[0].clone(),
        drive.identity().designators()[0].clone(),
    );
    fabric.add(disk).unwrap();
    fabric.add(disk2).unwrap();
    fabric.add(drive).unwrap();
    fabric.add(cm).unwrap();
    let fabric = Arc::new(fabric);
    let cm = fabric.transport("bench-cm").unwrap();
    let tape = fabric.transport("bench-drive").unwrap();

    let lists: Vec<(Vec<u8>, Vec<u8>)> = (0..GIB / SEGMENT)
        .map(|s| {
            let mut l = ParameterList::new(0, ListIdUsage::None);
            l.cscds = vec![
                CscdDescriptor::Identification(IdentificationCscd::block(&disk_id, 0, 512)),
                CscdDescriptor::Identification(IdentificationCscd::stream(&drive_id, false, 0)),
            ];
            l.segments = vec![SegmentDescriptor::BlockToStream(BlockStream {
                flags: SegmentFlags::empty(),
                source: 0,
                destination: 1,
                stream_transfer_length: SEGMENT as u32,
                blocks: (SEGMENT / 512) as u16,
                lba: s * SEGMENT / 512,
            })];
            let bytes = l.to_vec().unwrap();
            (
                ExtendedCopyCdb::new(bytes.len() as u32).to_vec().unwrap(),
                bytes,
            )
        })
        .collect();
    let disk_lists: Vec<(Vec<u8>, Vec<u8>)> = (0..GIB / SEGMENT)
        .map(|s| {
            let mut l = ParameterList::new(0, ListIdUsage::None);
            l.cscds = vec![
                CscdDescriptor::Identification(IdentificationCscd::block(&disk_id, 0, 512)),
                CscdDescriptor::Identification(IdentificationCscd::block(&disk2_id, 0, 512)),
            ];
            let lba = s * SEGMENT / 512;
            l.segments = vec![SegmentDescriptor::block_to_block(
                0,
                1,
                (SEGMENT / 512) as u16,
                lba,
                lba,
            )];
            let bytes = l.to_vec().unwrap();
            (
                ExtendedCopyCdb::new(bytes.len() as u32).to_vec().unwrap(),
                bytes,
            )
        })
        .collect();
    let rewind = RewindCdb::new().to_vec().unwrap();

    let mut g = c.benchmark_group("sim_1gib");
    g.throughput(Throughput::Bytes(GIB));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("block_to_stream_1MiB_segments", |b| {
        b.iter_batched(
            || {
                let c = tape
                    .execute(&rewind, DataDirection::None, Duration::from_secs(60))
                    .unwrap();
                assert!(c.check().is_ok(), "rewind");
            },
            |()| {
                for (cdb, list) in &lists {
                    let c = cm
                        .execute(cdb, DataDirection::ToDevice(list), Duration::from_secs(60))
                        .unwrap();
                    assert!(c.check().is_ok(), "EXTENDED COPY failed: {:02x?}", c.sense);
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("block_to_block_1MiB_segments", |b| {
        b.iter(|| {
            for (cdb, list) in &disk_lists {
                let c = cm
                    .execute(cdb, DataDirection::ToDevice(list), Duration::from_secs(60))
                    .unwrap();
                assert!(c.check().is_ok(), "EXTENDED COPY failed: {:02x?}", c.sense);
            }
        })
    });
    // The simulator's 3 GiB go before the references' 2 GiB come.
    drop((cm, tape, fabric, lists, disk_lists));
    {
        let src = content();
        let mut dst = vec![0u8; GIB as usize];
        dst.fill(1); // touch every page, as the simulator's pages are by the warm-up
        g.bench_function("memcpy", |b| {
            b.iter(|| {
                dst.copy_from_slice(black_box(&src));
                black_box(&dst);
            })
        });
    }
    // The same bytes as the simulator lays them out: 1 MiB buffers (a
    // disk's chunks, a tape's records) copied one call each, as the
    // simulator must, one segment per command.
    let src: Vec<Vec<u8>> = content()
        .chunks(SEGMENT as usize)
        .map(<[u8]>::to_vec)
        .collect();
    let mut dst: Vec<Vec<u8>> = (0..GIB / SEGMENT)
        .map(|_| vec![1u8; SEGMENT as usize])
        .collect();
    g.bench_function("memcpy_1MiB_pieces", |b| {
        b.iter(|| {
            for (d, s) in dst.iter_mut().zip(black_box(&src)) {
                d.copy_from_slice(s);
            }
            black_box(&dst);
        })
    });
    g.finish();
}

criterion_group!(benches, block_to_stream);
criterion_main!(benches);
