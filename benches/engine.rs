//! The engine's own cost per segment, with the copy itself excluded: a
//! simulated copy manager that moves no bytes (`move_data = false`: every
//! check, command, tape block and position as for a copy, no data).
//!
//! - `mover`: one segment (1 MiB, four 256 KiB tape blocks) moved by the
//!   XcopyMover through the fault injector to the simulated copy manager:
//!   planning its command, encoding it, the simulator parsing and checking
//!   it, the status back. Target ≤ 5 µs per segment.
//! - `backup`: a whole backup (`engine::job::run`: secure, load, position,
//!   every segment, record it, write the tape map, release) of 4096
//!   segments of 1 MiB, per segment, with the catalog in memory — and with
//!   the catalog in a file, where each segment is a durable commit (the
//!   disk's fsync, not the engine, bounds that one).
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{BackupStatus, Mode, Target};
use segcopy::engine::backup::{BackupRequest, Event, Observer};
use segcopy::engine::job::{self, Order};
use segcopy::engine::mover::{End, Mover, Timeouts, Transfer, XcopyMover};
use segcopy::engine::plan::{Endpoint, Limits};
use segcopy::engine::xcopy::endpoint;
use segcopy::inventory::Inventory;
use segcopy::sim::cm::{CopyManager, Profile};
use segcopy::sim::disk::{Backing, SimDisk};
use segcopy::sim::tape::{Cartridge, SimTapeDrive};
use segcopy::sim::Fabric;
use segcopy::site::Loaded;
use segcopy::transport::commands::Scsi;
use segcopy::transport::fault::FaultPlan;
use segcopy::transport::tape::Tape;

const MIB: u64 = 1 << 20;
const TAPE_BLOCK: u32 = 256 << 10;

fn mover(c: &mut Criterion) {
    let mut fabric = Fabric::with_faults(Arc::new(FaultPlan::default()));
    // 1 TiB of disk in memory: a dry copy manager never reads it.
    let disk = SimDisk::new("disk", 512, (1u64 << 40) / 512, Backing::Memory).unwrap();
    let drive = SimTapeDrive::new("drive");
    drive.load(Cartridge::memory("BENCH1L6", 1 << 50, 1 << 30));
    let cm = CopyManager::standalone(
        "cm",
        Profile {
            move_data: false,
            ..Profile::standard()
        },
    );
    let drive_id = drive.identity().designators()[0].clone();
    fabric.add(disk).unwrap();
    fabric.add(drive).unwrap();
    fabric.add(cm).unwrap();
    let fabric = Arc::new(fabric);
    let disk_t = fabric.transport("disk").unwrap();
    let tape_t = fabric.transport("drive").unwrap();
    let cm_t = fabric.transport("cm").unwrap();
    let source: Endpoint = endpoint(&Scsi::new(&disk_t)).unwrap();
    let (op, _) = Scsi::new(&cm_t).operating_parameters().unwrap();
    let limits = Limits::from_operating_parameters("cm", &op).unwrap();
    let m = XcopyMover::new(Box::new(cm_t), limits, Timeouts::default());
    let tape = Tape::new(&tape_t);
    tape.set_block_length(TAPE_BLOCK).unwrap();

    let mut g = c.benchmark_group("engine_per_segment");
    g.throughput(Throughput::Elements(1));
    g.bench_function("mover_block_to_stream_1MiB_dry", |b| {
        b.iter_custom(|n| {
            tape.rewind().unwrap();
            let t0 = Instant::now();
            for i in 0..n {
                let t = Transfer {
                    from: End::Disk {
                        t: &disk_t,
                        endpoint: &source,
                        lba: (i % 1_000_000) * (MIB / 512),
                    },
                    to: End::Tape {
                        t: &tape_t,
                        designator: &drive_id,
                        block_length: TAPE_BLOCK,
                    },
                    bytes: MIB,
                };
                m.transfer(&t).unwrap();
            }
            t0.elapsed()
        })
    });
    g.finish();
}

/// Hears nothing.
struct Quiet;

impl Observer for Quiet {
    fn event(&self, _: &Event) {}
}

const SEGMENTS: u64 = 4096;

fn site(dir: &std::path::Path) -> Loaded {
    let text = r#"[site]
state_dir = "memory"

[[switch]]
name = "sw0"

[[disk]]
name = "prod0"
block_size = 512
capacity = "4 GiB"
links = ["sw0"]

[[copy_manager]]
name = "cm0"
move_data = false
links = ["sw0"]

[[drive]]
name = "drive0"
links = ["sw0"]

[[library]]
name = "lib0"
slots = 2
drives = ["drive0"]
cartridge_capacity = "1 PiB"
early_warning = "1 GiB"
cartridges = [{ barcode = "B00001L6", slot = 1 }]
links = ["sw0"]
"#;
    let path = dir.join("site.toml");
    std::fs::write(&path, text).unwrap();
    Loaded::load(&path).unwrap()
}

fn backup(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let loaded = site(dir.path());
    let inventory = Inventory::from_site(&loaded.site);
    let order = Order {
        request: BackupRequest::new("prod0", Mode::Failover, MIB),
        streams: 1,
        target: Target::Tape,
        host_movers: false,
        host_id: None,
    };
    let mut g = c.benchmark_group("engine_per_segment");
    g.throughput(Throughput::Elements(SEGMENTS));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    for (name, store) in [
        (
            "backup_4096x1MiB_dry_catalog_in_memory",
            SqliteStore::memory().unwrap(),
        ),
        (
            "backup_4096x1MiB_dry_catalog_in_a_file",
            SqliteStore::open(&dir.path().join("catalog.sqlite")).unwrap(),
        ),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let ran =
                    job::run(&loaded.site, &inventory, &loaded, &store, &order, &Quiet).unwrap();
                assert_eq!(ran.outcome.status, BackupStatus::Completed);
                assert_eq!(ran.outcome.backup.segments, SEGMENTS);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, mover, backup);
criterion_main!(benches);
