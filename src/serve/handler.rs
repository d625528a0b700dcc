//! One served device: the commands LIO puts on its TCMU ring, each run on
//! the simulated logical unit (behind the site's fault plan, as in
//! process) and completed on the ring.
//!
//! A ring thread takes what the kernel queued and hands commands to
//! workers; each worker runs one command at a time and completes it, so
//! commands finish out of order (TCMU_MAILBOX_FLAG_CAP_OOOC): a READ goes
//! on while a long EXTENDED COPY runs on another worker. A tape drive or a
//! library gets one worker — a sequential device executes its commands in
//! the order they came — a disk or a copy manager several.
//!
//! What the simulator cannot say over TCMU is said the way a real device
//! would: a command that hangs (a `hang` fault) or a device that is gone
//! is never answered in time — LIO fails it after the backstore's
//! `cmd_time_out` — and is completed late only to give its ring space
//! back.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use log::{debug, info, trace, warn};

use crate::transport::{DataDirection, HostStatus, Transport};
use crate::wire::cdb::{direction, Direction};
use crate::wire::sense::{SenseData, SenseKey};
use crate::wire::Repr;

/// How long a simulated command may take: the simulator never waits on a
/// device, so this only bounds a bug.
const SIM_TIMEOUT: Duration = Duration::from_secs(3600);

/// Counters of one served device.
#[derive(Debug, Default)]
pub struct Counters {
    /// Commands completed.
    pub completed: AtomicU64,
    /// Commands left unanswered on purpose (a hang, a gone device).
    pub unanswered: AtomicU64,
    /// Task management notices seen (ABORT TASK, LUN RESET…).
    pub task_management: AtomicU64,
    /// Commands taken from the ring and not yet completed.
    pub in_flight: AtomicU64,
    /// The most commands in flight at once.
    pub most_in_flight: AtomicU64,
}

/// A device being served.
pub struct Device {
    /// The site's name for it.
    pub name: String,
    /// Its ring.
    pub ring: Arc<tcmu::Ring>,
    /// The simulated LU, behind the fault plan.
    pub lu: Arc<dyn Transport>,
    /// Workers: 1 for a sequential device.
    pub workers: usize,
    /// The backstore's cmd_time_out: how late an unanswered command is
    /// completed to give its ring space back.
    pub late: Duration,
    /// Its counters.
    pub counters: Arc<Counters>,
}

/// What a worker's command came to.
enum Outcome {
    /// Completed with this status, sense and read length.
    Done {
        status: u8,
        sense: Vec<u8>,
        read_len: Option<u32>,
    },
    /// Not to be answered in time.
    Unanswered(String),
}

/// Runs `cmd` on `lu`.
fn run(lu: &dyn Transport, ring: &tcmu::Ring, cmd: &tcmu::Command) -> Outcome {
    let len = cmd.data_len();
    let dir = direction(&cmd.cdb, len);
    let mut inbuf = Vec::new();
    let outbuf;
    let data = match dir {
        None => DataDirection::None,
        Some(Direction::Out) => match ring.data_out(cmd) {
            Ok(b) => {
                outbuf = b;
                DataDirection::ToDevice(&outbuf)
            }
            Err(e) => return internal(&format!("reading the data out: {e}")),
        },
        Some(Direction::In) => {
            let Ok(n) = usize::try_from(len) else {
                return internal("a data buffer larger than memory");
            };
            inbuf = vec![0u8; n];
            DataDirection::FromDevice(&mut inbuf)
        }
    };
    let c = match lu.execute(&cmd.cdb, data, SIM_TIMEOUT) {
        Ok(c) => c,
        Err(e) if e.is_device_gone() => return Outcome::Unanswered(e.to_string()),
        Err(e) => return internal(&e.to_string()),
    };
    match c.host_status {
        HostStatus::Ok => {}
        HostStatus::TimeOut => return Outcome::Unanswered("the command hangs".into()),
        h => return Outcome::Unanswered(format!("host status {h:?}")),
    }
    let mut read_len = None;
    if dir == Some(Direction::In) {
        let n = c.transferred.min(inbuf.len());
        if let Err(e) = ring.data_in(cmd, &inbuf[..n]) {
            return internal(&format!("writing the data in: {e}"));
        }
        if (n as u64) < len {
            read_len = u32::try_from(n).ok();
        }
    }
    Outcome::Done {
        status: c.status.to_byte(),
        sense: c.sense,
        read_len,
    }
}

/// CHECK CONDITION, HARDWARE ERROR, INTERNAL TARGET FAILURE (44h/00h):
/// what a target says when its own machinery failed.
fn internal(why: &str) -> Outcome {
    warn!("internal target failure: {why}");
    let sense: SenseData = SenseData::fixed(SenseKey::HardwareError, 0x44, 0x00).into();
    Outcome::Done {
        status: 0x02,
        sense: sense.to_vec().unwrap_or_default(),
        read_len: None,
    }
}

fn complete(dev: &Device, cmd: &tcmu::Command, status: u8, sense: &[u8], read_len: Option<u32>) {
    let rsp = tcmu::Response {
        status,
        sense,
        read_len,
    };
    match dev.ring.complete(cmd, &rsp).and_then(|()| dev.ring.kick()) {
        Ok(()) => {
            dev.counters.completed.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => warn!("{}: completing command {}: {e}", dev.name, cmd.id),
    }
}

/// Serves `dev` until `stop` is set. Returns when the ring fails or on
/// stop.
pub fn serve(dev: Arc<Device>, stop: &AtomicBool) -> Result<(), tcmu::Error> {
    let (tx, rx) = mpsc::channel::<tcmu::Command>();
    let rx = Arc::new(Mutex::new(rx));
    for w in 0..dev.workers.max(1) {
        let (dev, rx) = (Arc::clone(&dev), Arc::clone(&rx));
        std::thread::Builder::new()
            .name(format!("{}-{w}", dev.name))
            .spawn(move || worker(&dev, &rx))
            .expect("a worker thread");
    }
    info!("{}: serving", dev.name);
    // UIO signals only what comes after the open: take first, then wait.
    while !stop.load(Ordering::Relaxed) {
        for entry in dev.ring.take()? {
            match entry {
                tcmu::Entry::Command(cmd) => {
                    trace!("{}: command {} {:02x?}", dev.name, cmd.id, cmd.cdb);
                    let n = dev.counters.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
                    dev.counters.most_in_flight.fetch_max(n, Ordering::Relaxed);
                    if tx.send(cmd).is_err() {
                        warn!("{}: no worker left", dev.name);
                    }
                }
                tcmu::Entry::Tmr(t) => {
                    dev.counters.task_management.fetch_add(1, Ordering::Relaxed);
                    info!(
                        "{}: task management {:?} for commands {:?} (they run to their end)",
                        dev.name, t.kind, t.cmd_ids
                    );
                }
            }
        }
        dev.ring.wait(Some(Duration::from_millis(200)))?;
    }
    // Dropping the sender ends the workers once their queue is empty.
    Ok(())
}

fn worker(dev: &Device, rx: &Mutex<mpsc::Receiver<tcmu::Command>>) {
    loop {
        let cmd = {
            let Ok(rx) = rx.lock() else { return };
            match rx.recv() {
                Ok(c) => c,
                Err(_) => return,
            }
        };
        let outcome = run(dev.lu.as_ref(), &dev.ring, &cmd);
        dev.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
        match outcome {
            Outcome::Done {
                status,
                sense,
                read_len,
            } => {
                debug!(
                    "{}: command {} {:02x} status {status:02x}",
                    dev.name, cmd.id, cmd.cdb[0]
                );
                complete(dev, &cmd, status, &sense, read_len);
            }
            Outcome::Unanswered(why) => {
                dev.counters.unanswered.fetch_add(1, Ordering::Relaxed);
                info!(
                    "{}: command {} {:02x} left unanswered: {why}",
                    dev.name, cmd.id, cmd.cdb[0]
                );
                // Given back after LIO has failed it (cmd_time_out).
                let (ring, late, name) = (Arc::clone(&dev.ring), dev.late, dev.name.clone());
                std::thread::spawn(move || {
                    std::thread::sleep(late + Duration::from_secs(1));
                    let busy = 0x08; // BUSY: never seen, LIO failed it already
                    let rsp = tcmu::Response {
                        status: busy,
                        sense: &[],
                        read_len: None,
                    };
                    if let Err(e) = ring.complete(&cmd, &rsp).and_then(|()| ring.kick()) {
                        debug!("{name}: giving back command {}: {e}", cmd.id);
                    }
                });
            }
        }
    }
}
