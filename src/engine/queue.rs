//! Several commands in flight: segments handed out in order to `depth`
//! workers, each sending its segment's command(s) and waiting for them,
//! so the copy manager has up to `depth` EXTENDED COPY commands (each with
//! its own list identifier) at once. LIO runs each on a work queue of its
//! own, so a disk-to-disk copy gains from it; a tape, which is written in
//! order, never takes more than one.
//!
//! At the first failure no new segment is handed out; those already in
//! flight finish. The outcome names the lowest failed segment — everything
//! before it is done, so a copy resumes there (segments after it that
//! completed are copied again, which on a disk writes the same bytes).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// The most commands segcopy keeps in flight on one copy manager.
pub const MAX_DEPTH: usize = 64;

/// How a queued run ended.
#[derive(Debug)]
pub struct Outcome<T, E> {
    /// The segments that completed, in order of their index.
    pub done: Vec<(usize, T)>,
    /// The lowest segment that failed, with its error.
    pub failed: Option<(usize, E)>,
}

impl<T, E> Outcome<T, E> {
    /// How many segments from 0 on completed without a gap.
    pub fn contiguous(&self) -> usize {
        self.done
            .iter()
            .enumerate()
            .take_while(|(k, (i, _))| k == i)
            .count()
    }
}

/// Runs `work(i, slot)` for every `i` in `0..n`, up to `depth` at once,
/// handing them out in order; `slot` (0..depth) is the worker's, so no two
/// commands in flight share one (a list identifier per slot). `on_done`
/// sees each completion in this thread, in the order they complete. With
/// `depth` 1 everything runs in this thread, one after the other.
pub fn run<T, E>(
    n: usize,
    depth: usize,
    work: impl Fn(usize, usize) -> Result<T, E> + Sync,
    mut on_done: impl FnMut(usize, &T),
) -> Outcome<T, E>
where
    T: Send,
    E: Send,
{
    let depth = depth.clamp(1, MAX_DEPTH).min(n.max(1));
    let mut done = Vec::with_capacity(n.min(1 << 16));
    if depth == 1 {
        for i in 0..n {
            match work(i, 0) {
                Ok(t) => {
                    on_done(i, &t);
                    done.push((i, t));
                }
                Err(e) => {
                    return Outcome {
                        done,
                        failed: Some((i, e)),
                    }
                }
            }
        }
        return Outcome { done, failed: None };
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut failed: Option<(usize, E)> = None;
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, Result<T, E>)>();
        for slot in 0..depth {
            let tx = tx.clone();
            let (next, stop, work) = (&next, &stop, &work);
            s.spawn(move || loop {
                if stop.load(Ordering::Acquire) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::AcqRel);
                if i >= n {
                    return;
                }
                let r = work(i, slot);
                if r.is_err() {
                    stop.store(true, Ordering::Release);
                }
                if tx.send((i, r)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        for (i, r) in rx {
            match r {
                Ok(t) => {
                    on_done(i, &t);
                    done.push((i, t));
                }
                Err(e) => {
                    if failed.as_ref().is_none_or(|(f, _)| i < *f) {
                        failed = Some((i, e));
                    }
                }
            }
        }
    });
    done.sort_by_key(|(i, _)| *i);
    Outcome { done, failed }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn every_segment_runs_once_at_every_depth() {
        for depth in [1, 2, 4, 8, 100] {
            let seen = Mutex::new(vec![0u32; 50]);
            let mut order = Vec::new();
            let o = run(
                50,
                depth,
                |i, slot| -> Result<usize, ()> {
                    assert!(slot < depth.min(50));
                    seen.lock().unwrap()[i] += 1;
                    Ok(i * 2)
                },
                |i, t| order.push((i, *t)),
            );
            assert!(o.failed.is_none());
            assert_eq!(o.contiguous(), 50);
            assert!(seen.into_inner().unwrap().iter().all(|&c| c == 1));
            assert_eq!(o.done.len(), 50);
            assert!(o
                .done
                .iter()
                .enumerate()
                .all(|(k, (i, t))| k == *i && *t == k * 2));
            assert_eq!(order.len(), 50);
        }
    }

    #[test]
    fn a_failure_stops_new_work_and_the_lowest_failure_is_named() {
        for depth in [1, 3, 8] {
            let started = AtomicUsize::new(0);
            let o = run(
                1000,
                depth,
                |i, _| {
                    started.fetch_add(1, Ordering::Relaxed);
                    if i == 10 || i == 11 {
                        Err(i)
                    } else {
                        Ok(())
                    }
                },
                |_, _| {},
            );
            let (f, e) = o.failed.expect("a failure");
            assert_eq!((f, e), (10, 10));
            assert_eq!(o.contiguous(), 10);
            // No more than the in-flight ones start after the failure.
            assert!(
                started.load(Ordering::Relaxed) <= 11 + depth,
                "depth {depth}"
            );
        }
    }

    #[test]
    fn commands_really_overlap_at_depth_above_one() {
        let in_flight = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let barrier = std::sync::Barrier::new(4);
        run(
            4,
            4,
            |_, _| -> Result<(), ()> {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                barrier.wait();
                in_flight.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            },
            |_, _| {},
        );
        assert_eq!(most.load(Ordering::SeqCst), 4);
    }
}
