//! The fault plan: which faults are armed, the counters they trigger on,
//! and what fired. Shared by every path that reports events to it — the
//! [`FaultInjector`](super::FaultInjector) in front of a device, and the
//! simulator's third-party data path — so a fault fires the same way
//! whoever moves the data.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::wire::rcr::CopyStatus;
use crate::wire::sense::SenseData;

/// What a device holds for a list identifier whose EXTENDED COPY a fault
/// ended (LIST ID USAGE hold): its COPY STATUS and the sense of FAILED
/// SEGMENT DETAILS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// COPY STATUS.
    pub status: CopyStatus,
    /// The sense the command ended with.
    pub sense: Vec<u8>,
}

/// When a fault fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// On the n-th command (from 1) the device receives from an initiator;
    /// with [`Effect::CannotMove`], the n-th MOVE MEDIUM. (Medium effects
    /// take [`Trigger::AfterBytes`] or [`Trigger::TapeBlock`] instead.)
    Command(u64),
    /// On the k-th segment descriptor (from 0, counted across the EXTENDED
    /// COPY commands the device receives).
    Segment(u64),
    /// Once the device has moved at least this many bytes on its data path.
    AfterBytes(u64),
    /// When tape block (logical object) b is read or written.
    TapeBlock(u64),
    /// On every event of the device.
    Always,
    /// On each event with probability `per_million` / 1,000,000, from a
    /// generator seeded with `seed` (the same seed, the same faults).
    Random {
        /// Probability per event, in millionths.
        per_million: u32,
        /// The generator's seed.
        seed: u64,
    },
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The command ends in CHECK CONDITION with this sense.
    Sense(SenseData),
    /// The command never completes within its time-out.
    Hang,
    /// The device stops answering, for good.
    Gone,
    /// An unrecovered medium error at this point (MEDIUM ERROR).
    MediumError,
    /// The medium ends here (tape: VOLUME OVERFLOW on write), for good.
    EndOfMedium,
    /// A library cannot move the cartridge (MOVE MEDIUM fails).
    CannotMove,
    /// The device lies in its answer (see [`Lie`]); with
    /// [`Trigger::Command`], on the n-th command the lie can be told in.
    Lie(Lie),
}

/// Which granularity of OPERATING PARAMETERS a [`Lie::Granularity`] is
/// told in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// DATA SEGMENT GRANULARITY (byte 37).
    DataSegment,
    /// INLINE DATA GRANULARITY (byte 38).
    InlineData,
    /// HELD DATA GRANULARITY (byte 39).
    HeldData,
}

/// A lie a hostile device tells: an answer that is malformed or cannot be
/// true, for checking that segcopy refuses it rather than trust it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lie {
    /// A length field claims 64 bytes more than the data-in buffer holds,
    /// and the answer comes without the padding a device may add, so it
    /// is shorter than the allocation length: RECEIVE COPY RESULTS
    /// AVAILABLE DATA, a VPD page's PAGE LENGTH, READ ELEMENT STATUS's
    /// BYTE COUNT OF REPORT AVAILABLE.
    Length,
    /// OPERATING PARAMETERS with a granularity exponent of 32.
    Granularity(Granularity),
    /// A residual 512 bytes larger than the transfer (any command).
    Residual,
    /// CHECK CONDITION with sense whose ADDITIONAL SENSE LENGTH is 255:
    /// 263 bytes, past the 252-byte sense buffer (any command, not sent).
    SensePastBuffer,
    /// CHECK CONDITION with 8 bytes of sense whose ADDITIONAL SENSE LENGTH
    /// says 18: NO SENSE, EOM and VALID, as a tape's early warning would
    /// be, were it believed (any command, not sent).
    SenseShort,
    /// CHECK CONDITION with 300 bytes of sense, more than any sense buffer
    /// holds (any command, not sent).
    SenseOverflow,
    /// READ POSITION reports a block one before the one it reported last
    /// (or before the true one, if that is smaller): the position went
    /// backwards.
    PositionBackwards,
    /// READ POSITION reports the block after the true one: a position that
    /// disagrees with what was written.
    PositionAhead,
}

impl Lie {
    /// Every lie, in the order of [`Lie::NAMES`].
    pub const ALL: [Lie; 10] = [
        Lie::Length,
        Lie::Granularity(Granularity::DataSegment),
        Lie::Granularity(Granularity::InlineData),
        Lie::Granularity(Granularity::HeldData),
        Lie::Residual,
        Lie::SensePastBuffer,
        Lie::SenseShort,
        Lie::SenseOverflow,
        Lie::PositionBackwards,
        Lie::PositionAhead,
    ];

    /// The names site files give them, in the order of [`Lie::ALL`].
    pub const NAMES: [&'static str; 10] = [
        "length",
        "data-segment-granularity",
        "inline-data-granularity",
        "held-data-granularity",
        "residual",
        "sense-length",
        "sense-short",
        "sense-overflow",
        "position-backwards",
        "position-ahead",
    ];

    /// The name a site file gives it.
    pub fn name(self) -> &'static str {
        Lie::ALL
            .iter()
            .position(|&l| l == self)
            .map_or("?", |i| Lie::NAMES[i])
    }

    /// The lie a site file names, if it is one.
    pub fn from_name(name: &str) -> Option<Lie> {
        Lie::NAMES
            .iter()
            .position(|&n| n == name)
            .map(|i| Lie::ALL[i])
    }

    /// Whether it is told instead of an answer (the command is not sent).
    pub fn replaces_answer(self) -> bool {
        matches!(
            self,
            Lie::SensePastBuffer | Lie::SenseShort | Lie::SenseOverflow
        )
    }
}

/// One fault of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The device's name.
    pub device: String,
    /// When it fires.
    pub trigger: Trigger,
    /// What it does.
    pub effect: Effect,
    /// How many times it may fire (`None`: every time it triggers). A
    /// `Gone` device stays gone, and a medium that ended stays ended,
    /// whatever this says.
    pub times: Option<u32>,
}

impl Fault {
    /// A fault that fires once.
    pub fn once(device: &str, trigger: Trigger, effect: Effect) -> Self {
        Fault {
            device: device.to_string(),
            trigger,
            effect,
            times: Some(1),
        }
    }
}

/// A data-path fault that fired: what it does, and where in the transfer
/// it struck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataHit {
    /// The effect.
    pub effect: Effect,
    /// Bytes of the transfer before the point where it struck: where an
    /// [`Trigger::AfterBytes`] count was reached in it, else 0.
    pub offset: u64,
}

/// The kinds of event a path reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Command,
    Segment(u64),
    Data {
        total_bytes: u64,
        tape_block: Option<u64>,
    },
    Move,
}

#[derive(Debug, Default)]
struct Counters {
    commands: u64,
    segments: u64,
    moves: u64,
    bytes: u64,
}

#[derive(Debug)]
struct Armed {
    fault: Fault,
    fired: u32,
    rng: u64,
    /// Commands a [`Effect::Lie`] could have been told in so far.
    seen: u64,
}

impl Armed {
    fn new(fault: Fault) -> Self {
        let rng = match fault.trigger {
            Trigger::Random { seed, .. } => seed,
            _ => 0,
        };
        Armed {
            fault,
            fired: 0,
            rng,
            seen: 0,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    armed: Vec<Armed>,
    counters: HashMap<String, Counters>,
    gone: Vec<String>,
    /// Where an [`Effect::EndOfMedium`] made each device's medium end.
    medium_end: HashMap<String, u64>,
    /// Results held for lists that a fault ended, by device and list id.
    held: HashMap<(String, u8), Held>,
    /// The block each tape last reported through READ POSITION (for
    /// [`Lie::PositionBackwards`]).
    positions: HashMap<String, u64>,
    log: Vec<String>,
}

/// A set of faults and the counters they trigger on.
#[derive(Debug, Default)]
pub struct FaultPlan {
    any: AtomicBool,
    state: Mutex<State>,
}

impl Clone for FaultPlan {
    fn clone(&self) -> Self {
        FaultPlan::new(self.faults())
    }
}

/// splitmix64's step: the plan's seeded generator.
fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    mix64(*x)
}

/// splitmix64's finalizer: spreads the bits of `z` (also used to derive
/// stable designators from names).
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl FaultPlan {
    /// A plan of `faults`, all armed, counters at zero.
    pub fn new(faults: Vec<Fault>) -> Self {
        let armed: Vec<Armed> = faults.into_iter().map(Armed::new).collect();
        FaultPlan {
            any: AtomicBool::new(!armed.is_empty()),
            state: Mutex::new(State {
                armed,
                ..Default::default()
            }),
        }
    }

    /// The faults of the plan.
    pub fn faults(&self) -> Vec<Fault> {
        self.lock().armed.iter().map(|a| a.fault.clone()).collect()
    }

    /// Adds a fault at run time (the test API).
    pub fn add(&self, f: Fault) {
        self.lock().armed.push(Armed::new(f));
        self.any.store(true, Ordering::Relaxed);
    }

    /// Replaces this plan's faults, counters and log with `other`'s, in
    /// place (paths share a plan through an `Arc`).
    pub fn replace(&self, other: FaultPlan) {
        let any = other.any.load(Ordering::Relaxed);
        let state = other.state.into_inner().unwrap_or_else(|p| p.into_inner());
        *self.lock() = state;
        self.any.store(any, Ordering::Relaxed);
    }

    /// What fired, in order (`device: effect`), for tests and reports.
    pub fn log(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves counters usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the plan has anything to say about `device`: a fault for
    /// it, or it is gone, or its medium ended. Paths skip all bookkeeping
    /// when it has not.
    pub fn concerns(&self, device: &str) -> bool {
        if !self.any.load(Ordering::Relaxed) {
            return false;
        }
        let s = self.lock();
        s.armed.iter().any(|a| a.fault.device == device)
            || s.gone.iter().any(|g| g == device)
            || s.medium_end.contains_key(device)
    }

    /// Whether a path must know the tape position of `device`'s transfers:
    /// a [`Trigger::TapeBlock`] fault is armed for it, or its medium ended.
    pub fn wants_position(&self, device: &str) -> bool {
        if !self.any.load(Ordering::Relaxed) {
            return false;
        }
        let s = self.lock();
        s.medium_end.contains_key(device)
            || s.armed.iter().any(|a| {
                a.fault.device == device
                    && matches!(a.fault.trigger, Trigger::TapeBlock(_))
                    && a.fault.times.is_none_or(|t| a.fired < t)
            })
    }

    /// Whether `device` has gone away.
    pub fn is_gone(&self, device: &str) -> bool {
        self.any.load(Ordering::Relaxed) && self.lock().gone.iter().any(|g| g == device)
    }

    /// Where an [`Effect::EndOfMedium`] made `device`'s medium end (the
    /// first logical object that cannot be written), if one did.
    pub fn medium_end(&self, device: &str) -> Option<u64> {
        if !self.any.load(Ordering::Relaxed) {
            return None;
        }
        self.lock().medium_end.get(device).copied()
    }

    /// Ends `device`'s medium at logical object `at`, for good (an
    /// [`Effect::EndOfMedium`] struck where a path found the position).
    pub fn end_medium(&self, device: &str, at: u64) {
        let mut s = self.lock();
        let end = s.medium_end.entry(device.to_string()).or_insert(at);
        *end = (*end).min(at);
        self.any.store(true, Ordering::Relaxed);
    }

    /// Holds `held` as `device`'s results for list `list_id`.
    pub fn hold(&self, device: &str, list_id: u8, held: Held) {
        self.lock().held.insert((device.to_string(), list_id), held);
    }

    /// What `device` holds for list `list_id` because a fault ended it.
    pub fn held(&self, device: &str, list_id: u8) -> Option<Held> {
        self.lock()
            .held
            .get(&(device.to_string(), list_id))
            .cloned()
    }

    /// Forgets what `device` held for `list_id` (a new copy under that
    /// list identifier reached the device).
    pub fn release(&self, device: &str, list_id: u8) {
        if self.any.load(Ordering::Relaxed) {
            self.lock().held.remove(&(device.to_string(), list_id));
        }
    }

    /// Bytes `device` has reported on its data path so far.
    pub fn data_bytes(&self, device: &str) -> u64 {
        self.lock().counters.get(device).map_or(0, |c| c.bytes)
    }

    /// Commands `device` has received from initiators so far (counted
    /// while the plan has any fault).
    pub fn commands(&self, device: &str) -> u64 {
        self.lock().counters.get(device).map_or(0, |c| c.commands)
    }

    /// An initiator's command reached `device`.
    pub fn on_command(&self, device: &str) -> Option<Effect> {
        self.event(device, Event::Command)
    }

    /// `device`, a copy manager, starts its next segment descriptor
    /// (counted from 0 across its EXTENDED COPY commands).
    pub fn on_segment(&self, device: &str) -> Option<Effect> {
        if !self.any.load(Ordering::Relaxed) {
            return None;
        }
        let k = {
            let mut s = self.lock();
            let c = s.counters.entry(device.to_string()).or_default();
            c.segments += 1;
            c.segments - 1
        };
        self.event(device, Event::Segment(k))
    }

    /// `device` is about to move `bytes` on its data path, at `tape_block`
    /// for a tape whose position is known. An [`Effect::EndOfMedium`] that
    /// fires at a known block ends the medium there for good.
    pub fn on_data(&self, device: &str, bytes: u64, tape_block: Option<u64>) -> Option<DataHit> {
        if !self.any.load(Ordering::Relaxed) {
            return None;
        }
        let (before, total) = {
            let mut s = self.lock();
            let c = s.counters.entry(device.to_string()).or_default();
            let before = c.bytes;
            c.bytes = c.bytes.saturating_add(bytes);
            (before, c.bytes)
        };
        let effect = self.event(
            device,
            Event::Data {
                total_bytes: total,
                tape_block,
            },
        )?;
        if let (Effect::EndOfMedium, Some(b)) = (&effect, tape_block) {
            self.end_medium(device, b);
        }
        let s = self.lock();
        // Where an after-bytes count was reached in this transfer.
        let offset = s
            .armed
            .iter()
            .filter(|a| a.fault.device == device)
            .filter_map(|a| match a.fault.trigger {
                Trigger::AfterBytes(n) if n > before && n <= total => Some(n - before - 1),
                _ => None,
            })
            .min()
            .unwrap_or(0);
        Some(DataHit { effect, offset })
    }

    /// `device` got a command in which it could tell the lies `can` says
    /// yes to: the lie to tell, if an armed [`Effect::Lie`] fires on it (a
    /// [`Trigger::Command`] counts the commands each lie could be told in).
    pub fn on_lie(&self, device: &str, can: impl Fn(Lie) -> bool) -> Option<Lie> {
        if !self.any.load(Ordering::Relaxed) {
            return None;
        }
        let mut s = self.lock();
        if s.gone.iter().any(|g| g == device) {
            return None;
        }
        let mut hit = None;
        for a in s.armed.iter_mut() {
            let Effect::Lie(lie) = a.fault.effect else {
                continue;
            };
            if a.fault.device != device || a.fault.times.is_some_and(|t| a.fired >= t) || !can(lie)
            {
                continue;
            }
            a.seen += 1;
            let fires = match a.fault.trigger {
                Trigger::Command(n) => a.seen == n,
                Trigger::Always => true,
                Trigger::Random { per_million, .. } => {
                    splitmix64(&mut a.rng) % 1_000_000 < u64::from(per_million)
                }
                _ => false,
            };
            // Every lie counts the command; the first that fires tells.
            if fires && hit.is_none() {
                a.fired += 1;
                hit = Some(lie);
            }
        }
        if let Some(l) = hit {
            s.log.push(format!("{device}: Lie({})", l.name()));
        }
        hit
    }

    /// The block `device` last reported through READ POSITION.
    pub fn last_position(&self, device: &str) -> Option<u64> {
        self.lock().positions.get(device).copied()
    }

    /// `device` reported block `block` through READ POSITION.
    pub fn reported_position(&self, device: &str, block: u64) {
        self.lock().positions.insert(device.to_string(), block);
    }

    /// `device`, a library, is asked to move a cartridge.
    pub fn on_move(&self, device: &str) -> Option<Effect> {
        self.event(device, Event::Move)
    }

    fn event(&self, device: &str, ev: Event) -> Option<Effect> {
        if !self.any.load(Ordering::Relaxed) {
            return None;
        }
        let mut s = self.lock();
        if s.gone.iter().any(|g| g == device) {
            return Some(Effect::Gone);
        }
        let c = s.counters.entry(device.to_string()).or_default();
        match ev {
            Event::Command => c.commands += 1,
            Event::Move => c.moves += 1,
            _ => {}
        }
        let (commands, moves) = (c.commands, c.moves);
        let mut hit = None;
        for a in s.armed.iter_mut() {
            if a.fault.device != device || a.fault.times.is_some_and(|t| a.fired >= t) {
                continue;
            }
            let fires = match (&a.fault.trigger, ev) {
                // The n-th command; for a library that cannot move, the n-th move.
                (Trigger::Command(n), Event::Command) => {
                    commands == *n && applies(&a.fault.effect, ev)
                }
                (Trigger::Command(n), Event::Move) => moves == *n && applies(&a.fault.effect, ev),
                (Trigger::Segment(k), Event::Segment(j)) => *k == j,
                (Trigger::AfterBytes(n), Event::Data { total_bytes, .. }) => total_bytes >= *n,
                (
                    Trigger::TapeBlock(b),
                    Event::Data {
                        tape_block: Some(p),
                        ..
                    },
                ) => p == *b,
                (Trigger::Always, _) => applies(&a.fault.effect, ev),
                (Trigger::Random { per_million, .. }, _) if applies(&a.fault.effect, ev) => {
                    splitmix64(&mut a.rng) % 1_000_000 < u64::from(*per_million)
                }
                _ => false,
            };
            if fires {
                a.fired += 1;
                hit = Some(a.fault.effect.clone());
                break;
            }
        }
        if let Some(e) = &hit {
            s.log.push(format!("{device}: {e:?}"));
            if *e == Effect::Gone {
                s.gone.push(device.to_string());
            }
        }
        hit
    }
}

/// Whether an always/random effect belongs to this kind of event: medium
/// effects happen on the data path, move failures on moves, the rest on
/// commands and segments.
fn applies(e: &Effect, ev: Event) -> bool {
    match e {
        Effect::MediumError | Effect::EndOfMedium => matches!(ev, Event::Data { .. }),
        Effect::CannotMove => ev == Event::Move,
        Effect::Sense(_) | Effect::Hang | Effect::Gone => {
            matches!(ev, Event::Command | Event::Segment(_))
        }
        // Lies are told through `on_lie`, in the commands they fit.
        Effect::Lie(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::sense::SenseKey;

    #[test]
    fn nth_command_fires_once() {
        let s: SenseData = SenseData::fixed(SenseKey::HardwareError, 0x44, 0).into();
        let p = FaultPlan::new(vec![Fault::once(
            "d",
            Trigger::Command(3),
            Effect::Sense(s.clone()),
        )]);
        assert_eq!(p.on_command("d"), None);
        assert_eq!(p.on_command("e"), None);
        assert_eq!(p.on_command("d"), None);
        assert_eq!(p.on_command("d"), Some(Effect::Sense(s)));
        assert_eq!(p.on_command("d"), None);
        assert_eq!(p.log().len(), 1);
        assert!(p.log()[0].starts_with("d: Sense("));
    }

    #[test]
    fn gone_is_for_good() {
        let p = FaultPlan::new(vec![Fault::once("cm", Trigger::Segment(2), Effect::Gone)]);
        assert_eq!(p.on_segment("cm"), None);
        assert_eq!(p.on_segment("cm"), None);
        assert_eq!(p.on_segment("cm"), Some(Effect::Gone));
        assert!(p.is_gone("cm"));
        assert_eq!(p.on_command("cm"), Some(Effect::Gone));
        assert!(!p.is_gone("other"));
        assert!(p.concerns("cm") && !p.concerns("other"));
    }

    #[test]
    fn segments_count_per_device() {
        let p = FaultPlan::new(vec![Fault::once("a", Trigger::Segment(1), Effect::Hang)]);
        assert_eq!(p.on_segment("b"), None);
        assert_eq!(p.on_segment("a"), None);
        assert_eq!(p.on_segment("b"), None);
        assert_eq!(p.on_segment("a"), Some(Effect::Hang));
    }

    #[test]
    fn bytes_and_tape_blocks() {
        let p = FaultPlan::new(vec![
            Fault::once("tape", Trigger::TapeBlock(5), Effect::MediumError),
            Fault::once("disk", Trigger::AfterBytes(1000), Effect::MediumError),
        ]);
        assert!(p.wants_position("tape") && !p.wants_position("disk"));
        assert_eq!(p.on_data("tape", 10, Some(4)), None);
        assert_eq!(
            p.on_data("tape", 10, Some(5)),
            Some(DataHit {
                effect: Effect::MediumError,
                offset: 0
            })
        );
        assert!(!p.wants_position("tape"), "the fault has fired");
        assert_eq!(p.on_data("disk", 600, None), None);
        // The 1000th byte is byte 399 of the second transfer.
        assert_eq!(
            p.on_data("disk", 600, None),
            Some(DataHit {
                effect: Effect::MediumError,
                offset: 399
            })
        );
        assert_eq!(p.data_bytes("disk"), 1200);
    }

    #[test]
    fn end_of_medium_stays() {
        let p = FaultPlan::new(vec![Fault::once(
            "t",
            Trigger::TapeBlock(3),
            Effect::EndOfMedium,
        )]);
        assert_eq!(p.medium_end("t"), None);
        assert!(p.on_data("t", 1, Some(3)).is_some());
        assert_eq!(p.medium_end("t"), Some(3));
        assert!(p.wants_position("t") && p.concerns("t"));
    }

    #[test]
    fn random_is_seeded() {
        let run = |seed| {
            let p = FaultPlan::new(vec![Fault {
                device: "d".into(),
                trigger: Trigger::Random {
                    per_million: 100_000,
                    seed,
                },
                effect: Effect::Hang,
                times: None,
            }]);
            (0..200)
                .map(|_| p.on_command("d").is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let hits = run(7).iter().filter(|&&h| h).count();
        assert!((5..=40).contains(&hits), "{hits} hits at 10%");
    }

    #[test]
    fn always_medium_error_only_on_data() {
        let p = FaultPlan::new(vec![Fault {
            device: "t".into(),
            trigger: Trigger::Always,
            effect: Effect::MediumError,
            times: None,
        }]);
        assert_eq!(p.on_command("t"), None);
        assert!(p.on_data("t", 1, Some(0)).is_some());
        assert!(p.on_data("t", 1, Some(1)).is_some());
    }

    #[test]
    fn nth_move_cannot_move() {
        let p = FaultPlan::new(vec![Fault::once(
            "lib",
            Trigger::Command(2),
            Effect::CannotMove,
        )]);
        assert_eq!(p.on_command("lib"), None, "a command is not a move");
        assert_eq!(p.on_move("lib"), None);
        assert_eq!(p.on_move("lib"), Some(Effect::CannotMove));
        assert_eq!(p.on_move("lib"), None);
    }

    #[test]
    fn a_lie_counts_the_commands_it_could_be_told_in() {
        let p = FaultPlan::new(vec![
            Fault::once("t", Trigger::Command(2), Effect::Lie(Lie::PositionAhead)),
            Fault {
                device: "t".into(),
                trigger: Trigger::Always,
                effect: Effect::Lie(Lie::Residual),
                times: Some(2),
            },
        ]);
        let position = |l: Lie| matches!(l, Lie::PositionAhead | Lie::PositionBackwards);
        // Not READ POSITION: only the residual lie fits, twice.
        assert_eq!(p.on_lie("t", |l| !position(l)), Some(Lie::Residual));
        assert_eq!(p.on_command("t"), None, "a lie is no command fault");
        assert_eq!(p.on_lie("t", position), None, "the first READ POSITION");
        assert_eq!(p.on_lie("t", position), Some(Lie::PositionAhead));
        assert_eq!(p.on_lie("t", position), None, "it lied once");
        assert_eq!(p.on_lie("t", |_| true), Some(Lie::Residual));
        assert_eq!(p.on_lie("t", |_| true), None, "twice at most");
        assert_eq!(p.on_lie("u", |_| true), None);
        assert_eq!(
            p.log(),
            [
                "t: Lie(residual)",
                "t: Lie(position-ahead)",
                "t: Lie(residual)"
            ]
        );
        for (l, n) in Lie::ALL.iter().zip(Lie::NAMES) {
            assert_eq!((l.name(), Lie::from_name(n)), (n, Some(*l)));
        }
        assert_eq!(Lie::from_name("truth"), None);
    }

    #[test]
    fn empty_plan_is_cheap_and_silent() {
        let p = FaultPlan::default();
        assert_eq!(p.on_command("x"), None);
        assert_eq!(p.on_data("x", 1 << 30, None), None);
        assert!(!p.is_gone("x") && !p.concerns("x"));
    }
}
