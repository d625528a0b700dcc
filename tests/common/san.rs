//! A simulated SAN for whole backups and restores in one process: a site
//! of N disjoint paths (cmI–swI–driveI) and one library, its catalog and
//! inventory, and the invariants every test of the engine checks after
//! whatever it broke: nothing is left held, no resource was ever held
//! twice, the backup's status agrees with its records, and every segment
//! record points at the source's bytes, whole, on its medium.

use std::collections::HashMap;
use std::path::PathBuf;

use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{BackupDetail, BackupStatus, Mode, Place, Store, Target};
use segcopy::demo;
use segcopy::engine::backup::{BackupRequest, LogObserver};
use segcopy::engine::job::{self, JobError, Order, Ran};
use segcopy::inventory::{Inventory, Kind};
use segcopy::restore::{self, RestoreError, RestoreOutcome, RestoreRequest};
use segcopy::site::Loaded;
use segcopy::transport::changer::Changer;
use segcopy::transport::commands::Scsi;
use segcopy::transport::fault::{Fault, FaultPlan};

use super::scsi::tmp_dir;

pub const MIB: u64 = 1 << 20;
/// The disks: 8 MiB, eight segments of 1 MiB.
pub const DISK: u64 = 8 * MIB;
/// Their block length.
pub const BLOCK: u32 = 512;

/// A site of `paths` disjoint paths (cmI–swI–driveI), one library with
/// `tapes` cartridges, prod0 and restore0 (and small0, 4 MiB) on every
/// switch, and `extra` TOML (faults, limits) appended.
pub fn site_text(paths: usize, tapes: usize, cm_extra: &str, extra: &str) -> String {
    let switches: Vec<String> = (0..paths).map(|i| format!("\"sw{i}\"")).collect();
    let all = switches.join(", ");
    let mut s = format!(
        "[site]\nstate_dir = \"state\"\n\n[[disk]]\nname = \"prod0\"\ncapacity = {DISK}\nlinks = [{all}]\n\n\
         [[disk]]\nname = \"restore0\"\ncapacity = {DISK}\nlinks = [{all}]\n\n\
         [[disk]]\nname = \"small0\"\ncapacity = \"4 MiB\"\nlinks = [{all}]\n\n"
    );
    for i in 0..paths {
        s += &format!(
            "[[switch]]\nname = \"sw{i}\"\n\n[[copy_manager]]\nname = \"cm{i}\"\nlinks = [\"sw{i}\"]\n{cm_extra}\n\n\
             [[drive]]\nname = \"drive{i}\"\nlinks = [\"sw{i}\"]\n\n"
        );
    }
    let drives: Vec<String> = (0..paths).map(|i| format!("\"drive{i}\"")).collect();
    let carts: Vec<String> = (1..=tapes)
        .map(|i| format!("{{ barcode = \"T{i:05}L6\", slot = {i} }}"))
        .collect();
    s += &format!(
        "[[library]]\nname = \"lib0\"\nslots = {}\ndrives = [{}]\ncartridge_capacity = \"256 MiB\"\n\
         cartridges = [{}]\nlinks = [{all}]\n\n{extra}",
        tapes.max(2),
        drives.join(", "),
        carts.join(", ")
    );
    s
}

/// A planned sense fault on `device` at descriptor `k` it receives.
pub fn fault(device: &str, k: u64) -> String {
    format!(
        "[[fault]]\ndevice = \"{device}\"\nsegment = {k}\neffect = \"sense\"\nsense = \"0a/0d/01\"\n\n"
    )
}

/// A site, its catalog and inventory, with prod0 filled with a pattern.
pub struct San {
    pub dir: PathBuf,
    pub loaded: Loaded,
    pub store: SqliteStore,
    pub inventory: Inventory,
}

impl San {
    pub fn new(test: &str, text: &str) -> San {
        let dir = tmp_dir(test);
        let path = dir.join("site.toml");
        std::fs::write(&path, text).unwrap();
        let loaded = Loaded::load(&path).unwrap();
        let store = SqliteStore::open(&dir.join("catalog.sqlite")).unwrap();
        let inventory = Inventory::from_site(&loaded.site);
        let prod = loaded.open("prod0").unwrap();
        demo::fill(prod.as_ref(), BLOCK, DISK / u64::from(BLOCK)).unwrap();
        San {
            dir,
            loaded,
            store,
            inventory,
        }
    }

    /// A backup of the whole of prod0 in 1 MiB segments to tape.
    pub fn order(&self, mode: Mode, streams: u8) -> Order {
        Order {
            request: BackupRequest::new("prod0", mode, MIB),
            streams,
            target: Target::Tape,
            host_movers: false,
            host_id: None,
        }
    }

    /// What the catalog holds for backup `id`.
    pub fn detail(&self, id: i64) -> BackupDetail {
        self.store.backup(id).unwrap()
    }

    pub fn backup(&self, order: &Order) -> Result<Ran, JobError> {
        job::run(
            &self.loaded.site,
            &self.inventory,
            &self.loaded,
            &self.store,
            order,
            &LogObserver,
        )
    }

    /// `backup --resume id`, streams and target as `order` says.
    pub fn resume(&self, id: i64, order: &Order) -> Result<Ran, JobError> {
        job::resume(
            &self.loaded.site,
            &self.inventory,
            &self.loaded,
            &self.store,
            id,
            order,
            &LogObserver,
        )
    }

    /// Replaces the site's fault plan (counters from zero): faults for
    /// what comes next, a restore say.
    pub fn arm(&self, faults: Vec<Fault>) {
        self.loaded
            .fabric
            .fault_plan()
            .replace(FaultPlan::new(faults));
    }

    pub fn restore_with(
        &self,
        id: i64,
        target: &str,
        lba: u64,
        partial: bool,
    ) -> Result<RestoreOutcome, RestoreError> {
        restore::run(
            &self.loaded.site,
            &self.inventory,
            &self.loaded,
            &self.store,
            &RestoreRequest {
                lba,
                partial,
                ..RestoreRequest::new(id, target)
            },
            &LogObserver,
        )
    }

    pub fn restore_to(
        &self,
        id: i64,
        target: &str,
        lba: u64,
    ) -> Result<RestoreOutcome, RestoreError> {
        self.restore_with(id, target, lba, false)
    }

    /// Restores to restore0 and checks it is byte-identical to prod0.
    pub fn restore_identical(&self, id: i64) -> RestoreOutcome {
        let o = self.restore_to(id, "restore0", 0).unwrap();
        assert_eq!(
            self.first_difference(0, DISK / u64::from(BLOCK)),
            None,
            "restore0 differs from prod0"
        );
        o
    }

    /// The first block in `lba..lba+blocks` where restore0 differs from
    /// prod0.
    pub fn first_difference(&self, lba: u64, blocks: u64) -> Option<u64> {
        let a = self.loaded.open("prod0").unwrap();
        let b = self.loaded.open("restore0").unwrap();
        demo::first_difference_at(a.as_ref(), lba, b.as_ref(), lba, BLOCK, blocks).unwrap()
    }

    /// Puts every cartridge in lib0's drives back in its slot (as an
    /// operator would), so the next backup or restore must load it.
    pub fn unload_all(&self) {
        let lib = self.loaded.open("lib0").unwrap();
        let changer = Changer::new(lib.as_ref());
        let (status, map) = changer.status_and_map().unwrap();
        for d in 0..map.drives().len() as u32 {
            if let Ok((drive, slot)) = map.unload(&status, d, None) {
                changer
                    .move_medium(map.transport().address(), drive, slot)
                    .unwrap();
            }
        }
    }

    /// Writes zeros over the whole of restore0.
    pub fn wipe_restore0(&self) {
        let t = self.loaded.open("restore0").unwrap();
        let zeros = vec![0u8; MIB as usize];
        for k in 0..DISK / MIB {
            Scsi::new(t.as_ref())
                .write16(k * MIB / u64::from(BLOCK), BLOCK, &zeros)
                .unwrap();
        }
    }

    /// The invariants that hold after any backup, whatever failed: every
    /// resource given back; no copy manager, drive or tape ever held by
    /// two holders at once; the status agrees with the records; and each
    /// recorded segment of the copy a restore reads is, restored alone,
    /// the source's bytes (the blocks of segments not recorded are left
    /// untouched). `restore_faults` are armed for that restore. Returns
    /// the restore's outcome.
    pub fn check_invariants(&self, id: i64) -> RestoreOutcome {
        assert_eq!(self.store.leases().unwrap(), [], "every lease given back");
        no_resource_held_twice(&self.store, &self.inventory);
        let d = self.detail(id);
        let b = &d.backup;
        let copies: HashMap<u8, u64> = d.segments.iter().fold(HashMap::new(), |mut m, s| {
            *m.entry(s.copy).or_default() += 1;
            m
        });
        let whole = copies.values().any(|n| *n == b.segments);
        match b.status {
            BackupStatus::Completed => assert!(whole, "completed with no whole copy: {copies:?}"),
            BackupStatus::Partial => {
                assert!(!whole && !d.segments.is_empty(), "partial: {copies:?}")
            }
            BackupStatus::Failed => assert!(d.segments.is_empty(), "failed: {copies:?}"),
            BackupStatus::Running => panic!("backup {id} still running"),
        }
        // Each segment of each copy has one record, and a failover copy's
        // records are its first segments.
        for (copy, n) in &copies {
            let mut idx: Vec<u64> = d
                .segments
                .iter()
                .filter(|s| s.copy == *copy)
                .map(|s| s.index)
                .collect();
            idx.sort();
            assert_eq!(idx, (0..*n).collect::<Vec<_>>(), "copy {copy}");
        }
        self.wipe_restore0();
        let o = self
            .restore_with(id, "restore0", 0, b.status != BackupStatus::Completed)
            .unwrap_or_else(|e| panic!("restoring backup {id}: {e}"));
        let per = b.segment_bytes / u64::from(BLOCK);
        for s in d.segments.iter().filter(|s| s.copy == o.copy) {
            assert_eq!(
                self.first_difference(s.source_lba, s.blocks),
                None,
                "segment {} of copy {} as recorded ({:?}) is not the source's bytes",
                s.index,
                s.copy,
                s.place
            );
        }
        let t = self.loaded.open("restore0").unwrap();
        for (first, last) in &o.missing {
            let blocks = (last + 1 - first) * per;
            let mut buf = vec![0u8; (blocks * u64::from(BLOCK)) as usize];
            Scsi::new(t.as_ref())
                .read16(first * per, BLOCK, &mut buf)
                .unwrap();
            assert!(
                buf.iter().all(|x| *x == 0),
                "segments {first}-{last} are not recorded, yet restore wrote their blocks"
            );
        }
        o
    }
}

/// Runs the segcopy binary on the site in `dir` (`site.toml`) with the
/// catalog there (`catalog.sqlite`), away from the user's state directory.
pub fn segcopy_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let catalog = format!("sqlite:{}", dir.join("catalog.sqlite").display());
    std::process::Command::new(env!("CARGO_BIN_EXE_segcopy"))
        .arg("--site")
        .arg(dir.join("site.toml"))
        .args(["--catalog", &catalog])
        .args(args)
        .env_remove("XDG_STATE_HOME")
        .env_remove("HOME")
        .output()
        .unwrap()
}

/// The lease history never has a mover (a copy manager or a backup
/// server), drive or tape taken while it is held. Switches, links,
/// libraries and disks are left out: they are shared (a source disk by
/// every backup of it, a link by the streams that cross it).
pub fn no_resource_held_twice(store: &dyn Store, inventory: &Inventory) {
    let mut now: HashMap<String, i64> = HashMap::new();
    let history = store.lease_history().unwrap();
    for e in &history {
        let kind = inventory
            .get(&e.resource)
            .unwrap_or_else(|| panic!("{} is leased but not in the site", e.resource))
            .kind;
        let exclusive = matches!(
            kind,
            Kind::CopyManager | Kind::BackupServer | Kind::Drive | Kind::Tape
        );
        if !exclusive {
            continue;
        }
        if e.taken {
            // One backup leases a copy manager, drive or tape for one
            // stream only, so even its own holder never takes one twice.
            if let Some(h) = now.insert(e.resource.clone(), e.holder) {
                let story: Vec<String> = history
                    .iter()
                    .filter(|x| x.holder == h || x.resource == e.resource)
                    .map(|x| format!("{x:?}"))
                    .collect();
                panic!(
                    "{} taken by {} while {h} held it:\n{}",
                    e.resource,
                    e.holder,
                    story.join("\n")
                );
            }
        } else {
            now.remove(&e.resource);
        }
    }
}

/// (index, stream, barcode) of every segment of `copy`, in order.
pub fn layout(d: &BackupDetail, copy: u8) -> Vec<(u64, u8, String)> {
    let mut v: Vec<(u64, u8, String)> = d
        .segments
        .iter()
        .filter(|s| s.copy == copy)
        .map(|s| {
            let Place::Tape { barcode, .. } = &s.place else {
                panic!("not on tape: {s:?}")
            };
            (s.index, s.stream, barcode.clone())
        })
        .collect();
    v.sort();
    v
}

/// The tapes copy 0 spans, in segment order.
pub fn tapes_of(d: &BackupDetail) -> Vec<String> {
    let mut v: Vec<String> = layout(d, 0).into_iter().map(|x| x.2).collect();
    v.dedup();
    v
}
