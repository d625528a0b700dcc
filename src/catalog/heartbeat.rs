//! A holder's heartbeat while it works: [`beating`] runs a piece of work
//! with a thread beside it that says the holder lives
//! ([`Store::heartbeat`]) every so often, and hands the work a store that
//! refuses to record anything more once the catalog has ended the holder
//! ([`StoreError::Released`]: another host judged it dead and gave its
//! resources away). What is on the medium stays there; what cannot be
//! committed is not recorded, and the work stops at the segment it is on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

/// How long a holder on another host may go without a beat before the
/// next securing run takes back what it holds, unless the site says
/// otherwise (`[site] lease_limit`).
pub const LIMIT: Duration = Duration::from_secs(60);

/// How often a working holder beats when a silent one loses its leases
/// after `limit`: six times in that time, so that a slow catalog or a
/// busy host misses several beats before it counts as dead.
pub fn every(limit: Duration) -> Duration {
    limit / 6
}

use super::{
    Backup, BackupDetail, BackupId, BackupStatus, Claim, Holder, HolderId, Job, JobId, Lease,
    LeaseEvent, SegmentRecord, Store, StoreError, StreamEvent, Timestamp,
};

/// Runs `work` with `holder` beating every `every` on `store`; `work` gets
/// the store to use ([`Beating`]). Returns what `work` returned.
pub fn beating<T>(
    store: &dyn Store,
    holder: HolderId,
    every: Duration,
    work: impl FnOnce(&dyn Store) -> T,
) -> T {
    let wrapped = Beating {
        inner: store,
        holder,
        released: AtomicBool::new(false),
        why: Mutex::new(None),
    };
    let (done, stop) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let w = &wrapped;
        scope.spawn(move || loop {
            match stop.recv_timeout(every) {
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Done (or the sender dropped): no more beats.
                _ => return,
            }
            match w.inner.heartbeat(w.holder) {
                Ok(()) => {}
                Err(e @ StoreError::Released { .. }) => {
                    log::error!("{e}");
                    *w.why
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e.to_string());
                    w.released.store(true, Ordering::SeqCst);
                    return;
                }
                // The catalog is out of reach: the work finds out itself
                // at its next write, which fails the same way.
                Err(e) => log::warn!("heartbeat of holder {}: {e}", w.holder),
            }
        });
        // The beating stops however the work ends, a panic included: the
        // scope waits for the beating thread before it unwinds, and the
        // sender dropped here (returning or unwinding) is what ends it.
        let _stop = done;
        work(&wrapped)
    })
}

/// A store that refuses writes once its holder was released.
pub struct Beating<'a> {
    inner: &'a dyn Store,
    holder: HolderId,
    released: AtomicBool,
    why: Mutex<Option<String>>,
}

impl Beating<'_> {
    /// Refuses when the holder was released: the writes of a holder whose
    /// resources went to others must not land.
    fn alive(&self) -> Result<(), StoreError> {
        if !self.released.load(Ordering::SeqCst) {
            return Ok(());
        }
        let why = self
            .why
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .unwrap_or_default();
        Err(StoreError::Invalid(format!(
            "holder {} was released by the catalog ({why}); nothing more is recorded",
            self.holder
        )))
    }
}

impl Store for Beating<'_> {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn unusable(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.inner.unusable()
    }
    fn set_unusable(&self, resource: &str, unusable: Option<&str>) -> Result<(), StoreError> {
        self.inner.set_unusable(resource, unusable)
    }
    fn register(&self, holder: &Holder) -> Result<Holder, StoreError> {
        self.inner.register(holder)
    }
    fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        self.inner.leases()
    }
    fn claim(&self, holder: HolderId, claims: &[Claim]) -> Result<(), StoreError> {
        self.alive()?;
        self.inner.claim(holder, claims)
    }
    fn release(&self, holder: HolderId, resources: Option<&[String]>) -> Result<(), StoreError> {
        self.inner.release(holder, resources)
    }
    fn unregister(&self, holder: HolderId) -> Result<(), StoreError> {
        self.inner.unregister(holder)
    }
    fn reap(
        &self,
        alive: &dyn Fn(&Holder) -> bool,
    ) -> Result<Vec<(Holder, Vec<String>)>, StoreError> {
        self.inner.reap(alive)
    }
    fn lease_history(&self) -> Result<Vec<LeaseEvent>, StoreError> {
        self.inner.lease_history()
    }
    fn heartbeat(&self, holder: HolderId) -> Result<(), StoreError> {
        self.inner.heartbeat(holder)
    }
    fn add_job(&self, job: &Job) -> Result<JobId, StoreError> {
        self.inner.add_job(job)
    }
    fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        self.inner.jobs()
    }
    fn job_ran(
        &self,
        id: JobId,
        backup: Option<BackupId>,
        next_due: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        self.inner.job_ran(id, backup, next_due)
    }
    fn begin_backup(&self, backup: &Backup) -> Result<BackupId, StoreError> {
        self.alive()?;
        self.inner.begin_backup(backup)
    }
    fn record_segment(&self, record: &SegmentRecord) -> Result<(), StoreError> {
        self.alive()?;
        self.inner.record_segment(record)
    }
    fn record_stream(&self, event: &StreamEvent) -> Result<(), StoreError> {
        self.inner.record_stream(event)
    }
    fn finish_backup(
        &self,
        id: BackupId,
        status: BackupStatus,
        preferred_copy: Option<u8>,
        ended: Timestamp,
    ) -> Result<(), StoreError> {
        self.inner.finish_backup(id, status, preferred_copy, ended)
    }
    fn backups(&self) -> Result<Vec<Backup>, StoreError> {
        self.inner.backups()
    }
    fn backup(&self, id: BackupId) -> Result<BackupDetail, StoreError> {
        self.inner.backup(id)
    }
    fn backup_without_segments(&self, id: BackupId) -> Result<BackupDetail, StoreError> {
        self.inner.backup_without_segments(id)
    }
    fn each_segment(
        &self,
        id: BackupId,
        f: &mut dyn FnMut(&SegmentRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.inner.each_segment(id, f)
    }
    fn import(&self, detail: &BackupDetail) -> Result<(), StoreError> {
        self.inner.import(detail)
    }
    fn tapes_in_use(&self) -> Result<Vec<String>, StoreError> {
        self.inner.tapes_in_use()
    }
    fn resume_backup(&self, id: BackupId, holder: HolderId) -> Result<BackupDetail, StoreError> {
        self.alive()?;
        self.inner.resume_backup(id, holder)
    }
    fn tape_overwritten(&self, barcode: &str, why: &str) -> Result<Vec<BackupId>, StoreError> {
        self.alive()?;
        self.inner.tape_overwritten(barcode, why)
    }
    fn catalog_id(&self) -> Result<String, StoreError> {
        self.inner.catalog_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::sqlite::SqliteStore;
    use crate::catalog::testing::failover_detail;

    fn me() -> Holder {
        Holder {
            host: "host-a".into(),
            ..crate::catalog::this_process("backup", Some("host-a"))
        }
    }

    #[test]
    fn work_that_panics_stops_the_beating_and_the_panic_goes_on() {
        // A panicking backup (stdout closed under it, say) must end, not
        // hang beating forever and keep its leases alive for other hosts.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let store = SqliteStore::memory().expect("memory");
            let h = store.register(&me()).expect("register");
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                beating(&store, h.id, Duration::from_millis(10), |_| -> () {
                    panic!("the work failed")
                })
            }));
            let _ = tx.send(r.is_err());
        });
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(10)),
            Ok(true),
            "beating() did not return after the work panicked"
        );
    }

    #[test]
    fn it_beats_while_the_work_runs() {
        let store = SqliteStore::memory().expect("memory");
        let h = store.register(&me()).expect("register");
        let x = Claim {
            resource: "x".into(),
            stream: 0,
            exclusive: true,
        };
        store.claim(h.id, &[x]).expect("claim");
        let beat = || store.leases().expect("leases")[0].holder.heartbeat;
        let first = beat();
        // Long enough for the clock (whole seconds) to move on, with beats
        // every 50 ms.
        beating(&store, h.id, Duration::from_millis(50), |_| {
            std::thread::sleep(Duration::from_millis(1300));
        });
        assert!(beat() > first, "{} > {first}", beat());
    }

    #[test]
    fn a_released_holder_records_nothing_more() {
        let store = SqliteStore::memory().expect("memory");
        let h = store.register(&me()).expect("register");
        let backup = failover_detail().backup;
        let id = store
            .begin_backup(&Backup {
                job: None,
                ..backup
            })
            .expect("begin");
        let mut record = failover_detail().segments[0].clone();
        record.backup = id;
        let refused = beating(&store, h.id, Duration::from_millis(20), |s| {
            // Another host reaps it meanwhile.
            store.reap(&|x| x.id != h.id).expect("reap");
            // The next beat finds out; then a record is refused.
            std::thread::sleep(Duration::from_millis(300));
            s.record_segment(&record)
        });
        let e = refused.expect_err("refused");
        assert!(e.to_string().contains("was released by the catalog"), "{e}");
        assert!(store.backup(id).expect("backup").segments.is_empty());
    }
}
