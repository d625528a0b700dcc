//! What the `tests/select_*.rs` share: an in-memory [`Store`] that keeps
//! leases and unusable marks as the trait says (claims all or nothing,
//! exclusive against any other holder, shared against exclusive ones),
//! site loading, and holders. A test crate using it declares `mod common;`
//! too.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use segcopy::catalog::sqlite::SqliteStore;
use segcopy::catalog::{
    Backup, BackupDetail, BackupId, BackupStatus, Claim, Holder, HolderId, Job, JobId, Lease,
    LeaseEvent, Mode, MoverKind, Object, Place, SegmentRecord, Store, StoreError, StreamEvent,
    Timestamp,
};
use segcopy::inventory::Inventory;
use segcopy::site::Site;

#[derive(Default)]
struct Inner {
    holders: BTreeMap<HolderId, Holder>,
    next: HolderId,
    leases: Vec<Lease>,
    unusable: BTreeMap<String, String>,
    history: Vec<LeaseEvent>,
    kept_tapes: Vec<String>,
    refused: usize,
    ambush: Option<(HolderId, Vec<Claim>)>,
}

/// A [`Store`] in memory, for leases and marks only (jobs and backups are
/// refused).
#[derive(Default)]
pub struct MemStore {
    inner: Mutex<Inner>,
}

fn no(what: &str) -> StoreError {
    StoreError::Invalid(format!("the test store keeps no {what}"))
}

impl MemStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `holder` claim `claims` just before the next claim of any
    /// other holder: another process winning a race.
    pub fn ambush(&self, holder: HolderId, claims: Vec<Claim>) {
        self.inner.lock().unwrap().ambush = Some((holder, claims));
    }

    /// How many claims were refused because another holder had a
    /// resource.
    pub fn refused(&self) -> usize {
        self.inner.lock().unwrap().refused
    }

    /// The holders registered.
    pub fn holders(&self) -> Vec<Holder> {
        self.inner
            .lock()
            .unwrap()
            .holders
            .values()
            .cloned()
            .collect()
    }

    fn drop_leases(
        inner: &mut Inner,
        holder: HolderId,
        which: Option<&[String]>,
        note: Option<&str>,
    ) -> Vec<String> {
        let mut gone = Vec::new();
        let mut keep = Vec::new();
        for l in std::mem::take(&mut inner.leases) {
            if l.holder.id == holder && which.is_none_or(|w| w.contains(&l.resource)) {
                inner.history.push(LeaseEvent {
                    at: segcopy::catalog::now(),
                    resource: l.resource.clone(),
                    holder,
                    stream: l.stream,
                    taken: false,
                    note: note.map(str::to_string),
                });
                if !gone.contains(&l.resource) {
                    gone.push(l.resource.clone());
                }
            } else {
                keep.push(l);
            }
        }
        inner.leases = keep;
        gone
    }
}

impl Store for MemStore {
    fn location(&self) -> String {
        "memory:".into()
    }

    fn unusable(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self
            .inner
            .lock()
            .unwrap()
            .unusable
            .clone()
            .into_iter()
            .collect())
    }

    fn set_unusable(&self, resource: &str, unusable: Option<&str>) -> Result<(), StoreError> {
        let mut i = self.inner.lock().unwrap();
        match unusable {
            Some(why) => i.unusable.insert(resource.to_string(), why.to_string()),
            None => i.unusable.remove(resource),
        };
        Ok(())
    }

    fn register(&self, holder: &Holder) -> Result<Holder, StoreError> {
        let mut i = self.inner.lock().unwrap();
        i.next += 1;
        // Registering is a heartbeat, as in the real stores.
        let h = Holder {
            id: i.next,
            heartbeat: segcopy::catalog::now(),
            ..holder.clone()
        };
        i.holders.insert(h.id, h.clone());
        Ok(h)
    }

    fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        Ok(self.inner.lock().unwrap().leases.clone())
    }

    fn heartbeat(&self, holder: HolderId) -> Result<(), StoreError> {
        let mut i = self.inner.lock().unwrap();
        let h = i
            .holders
            .get_mut(&holder)
            .ok_or_else(|| StoreError::Invalid(format!("holder {holder} is not registered")))?;
        h.heartbeat = segcopy::catalog::now();
        Ok(())
    }

    fn claim(&self, holder: HolderId, claims: &[Claim]) -> Result<(), StoreError> {
        let ambush = {
            let mut i = self.inner.lock().unwrap();
            match &i.ambush {
                Some((h, _)) if *h != holder => i.ambush.take(),
                _ => None,
            }
        };
        if let Some((h, c)) = ambush {
            self.claim(h, &c)?;
        }
        let mut i = self.inner.lock().unwrap();
        let h = i
            .holders
            .get(&holder)
            .cloned()
            .ok_or_else(|| StoreError::Invalid(format!("holder {holder} is not registered")))?;
        for c in claims {
            if i.unusable.contains_key(&c.resource) {
                return Err(StoreError::Invalid(format!("{} is unusable", c.resource)));
            }
            let taken = i.leases.iter().find(|l| {
                l.resource == c.resource && l.holder.id != holder && (l.exclusive || c.exclusive)
            });
            if let Some(by) = taken.map(|l| l.holder.clone()) {
                i.refused += 1;
                return Err(StoreError::Taken {
                    resource: c.resource.clone(),
                    by,
                });
            }
        }
        // One exclusive lease serves one stream of its holder (as in
        // SqliteStore).
        for c in claims {
            let mine = |l: &&Lease| l.resource == c.resource && l.holder.id == holder;
            if i.leases
                .iter()
                .filter(mine)
                .any(|l| l.stream != c.stream && (l.exclusive || c.exclusive))
            {
                return Err(StoreError::Invalid(format!(
                    "holder {holder} holds {} for another stream already; one exclusive resource serves one stream",
                    c.resource
                )));
            }
        }
        let now = segcopy::catalog::now();
        for c in claims {
            if let Some(l) = i
                .leases
                .iter_mut()
                .find(|l| l.resource == c.resource && l.holder.id == holder && l.stream == c.stream)
            {
                l.exclusive |= c.exclusive;
                continue;
            }
            i.leases.push(Lease {
                resource: c.resource.clone(),
                holder: h.clone(),
                stream: c.stream,
                exclusive: c.exclusive,
                since: now,
            });
            i.history.push(LeaseEvent {
                at: now,
                resource: c.resource.clone(),
                holder,
                stream: c.stream,
                taken: true,
                note: None,
            });
        }
        Ok(())
    }

    fn release(&self, holder: HolderId, resources: Option<&[String]>) -> Result<(), StoreError> {
        let mut i = self.inner.lock().unwrap();
        Self::drop_leases(&mut i, holder, resources, None);
        Ok(())
    }

    fn unregister(&self, holder: HolderId) -> Result<(), StoreError> {
        let mut i = self.inner.lock().unwrap();
        Self::drop_leases(&mut i, holder, None, None);
        i.holders.remove(&holder);
        Ok(())
    }

    fn reap(
        &self,
        alive: &dyn Fn(&Holder) -> bool,
    ) -> Result<Vec<(Holder, Vec<String>)>, StoreError> {
        let mut i = self.inner.lock().unwrap();
        let dead: Vec<Holder> = i.holders.values().filter(|h| !alive(h)).cloned().collect();
        let mut out = Vec::new();
        for h in dead {
            let held = Self::drop_leases(&mut i, h.id, None, Some("holder died"));
            i.holders.remove(&h.id);
            out.push((h, held));
        }
        Ok(out)
    }

    fn lease_history(&self) -> Result<Vec<LeaseEvent>, StoreError> {
        Ok(self.inner.lock().unwrap().history.clone())
    }

    fn add_job(&self, _: &Job) -> Result<JobId, StoreError> {
        Err(no("jobs"))
    }
    fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        Ok(Vec::new())
    }
    fn job_ran(
        &self,
        _: JobId,
        _: Option<BackupId>,
        _: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        Err(no("jobs"))
    }
    fn begin_backup(&self, _: &Backup) -> Result<BackupId, StoreError> {
        Err(no("backups"))
    }
    fn record_segment(&self, _: &SegmentRecord) -> Result<(), StoreError> {
        Err(no("backups"))
    }
    fn record_stream(&self, _: &StreamEvent) -> Result<(), StoreError> {
        Err(no("backups"))
    }
    fn finish_backup(
        &self,
        _: BackupId,
        _: BackupStatus,
        _: Option<u8>,
        _: Timestamp,
    ) -> Result<(), StoreError> {
        Err(no("backups"))
    }
    fn backups(&self) -> Result<Vec<Backup>, StoreError> {
        Ok(Vec::new())
    }
    fn backup(&self, id: BackupId) -> Result<BackupDetail, StoreError> {
        Err(StoreError::NoSuchBackup { id })
    }
    fn import(&self, detail: &BackupDetail) -> Result<(), StoreError> {
        // Only what tapes_in_use needs: the tapes its segments are on.
        let mut i = self.inner.lock().unwrap();
        for s in &detail.segments {
            if let Place::Tape { barcode, .. } = &s.place {
                i.kept_tapes.push(barcode.clone());
            }
        }
        Ok(())
    }
    fn tapes_in_use(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.inner.lock().unwrap().kept_tapes.clone())
    }

    fn resume_backup(&self, id: BackupId, _holder: HolderId) -> Result<BackupDetail, StoreError> {
        Err(StoreError::NotResumable {
            id,
            why: "the in-memory test store keeps no backups".into(),
        })
    }

    fn catalog_id(&self) -> Result<String, StoreError> {
        Ok("memory".into())
    }

    fn tape_overwritten(&self, barcode: &str, _why: &str) -> Result<Vec<BackupId>, StoreError> {
        self.inner
            .lock()
            .unwrap()
            .kept_tapes
            .retain(|t| t != barcode);
        Ok(Vec::new())
    }
}

/// The repository's `fixtures/sites/NAME`.
pub fn fixture_site(name: &str) -> Site {
    Site::load(&crate::common::fixtures_dir().join("sites").join(name)).unwrap()
}

/// A site from text.
pub fn site(text: &str) -> Site {
    Site::parse(Path::new("test-site.toml"), text).unwrap()
}

/// The inventory of a site.
pub fn inventory(site: &Site) -> Inventory {
    Inventory::from_site(site)
}

/// A holder for this process (alive), not yet registered.
pub fn me(purpose: &str) -> Holder {
    segcopy::catalog::this_process(purpose, None)
}

/// The leases held now, as (resource, holder id, stream, exclusive),
/// sorted.
pub fn held(store: &dyn Store) -> Vec<(String, HolderId, u8, bool)> {
    let mut v: Vec<_> = store
        .leases()
        .unwrap()
        .into_iter()
        .map(|l| (l.resource, l.holder.id, l.stream, l.exclusive))
        .collect();
    v.sort();
    v
}

/// Runs `f` on each store the selector must work with: the in-memory one
/// (passed again as `mem`, for what only it can tell), then SQLite on a
/// fresh file.
pub fn both(test: &str, f: impl Fn(&dyn Store, Option<&MemStore>)) {
    let mem = MemStore::new();
    eprintln!("{test}: in memory");
    f(&mem, Some(&mem));
    let file = crate::common::scsi::tmp_dir(test).join("catalog.sqlite");
    let sql = SqliteStore::open(&file).unwrap();
    eprintln!("{test}: on {}", sql.location());
    f(&sql, None);
}

/// Puts a completed backup (id `id`) with one segment on tape `barcode`
/// into the catalog, so the tape holds a backup the catalog keeps.
pub fn keep_tape(store: &dyn Store, id: BackupId, barcode: &str) {
    let now = segcopy::catalog::now();
    let backup = Backup {
        id,
        job: None,
        object: Object {
            source: "prod0".into(),
            designator: "6001405aaaaaaaaa".into(),
            lba: 0,
            blocks: 8,
            block_length: 512,
        },
        mode: Mode::Failover,
        segment_bytes: 4096,
        segments: 1,
        streams: 1,
        started: now,
        ended: Some(now),
        status: BackupStatus::Completed,
        preferred_copy: None,
        verified: false,
        holder: None,
        retain_until: None,
    };
    let segment = SegmentRecord {
        backup: id,
        copy: 0,
        index: 0,
        source_lba: 0,
        blocks: 8,
        bytes: 4096,
        stream: 0,
        mover_device: "cm0".into(),
        mover: MoverKind::Xcopy,
        place: Place::Tape {
            library: "lib0".into(),
            drive: "drive0".into(),
            barcode: barcode.into(),
            block_length: 0,
            first_block: Some(0),
            last_block: Some(0),
            verified: false,
        },
        crc32c: None,
        completed: now,
    };
    store
        .import(&BackupDetail {
            backup,
            segments: vec![segment],
            streams: Vec::new(),
        })
        .unwrap();
}
