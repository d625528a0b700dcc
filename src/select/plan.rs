//! Planning: which mover, destination and route each stream gets, from
//! one snapshot of the inventory's state. Nothing here writes to the
//! catalog; [`super::secure`] claims what the plan names.
//!
//! A candidate is a mover with a destination slot (a library's drive, or
//! a disk). The search tries sets of candidates, one per stream, in
//! preference order (destinations first — the request's disks in its
//! order, else libraries and drives by name — then movers by name), and
//! keeps the set that shares least: a copy manager or backup server
//! shared by two streams costs most, then a shared library or switch; a
//! backup server as mover costs a little more than a copy manager. Two
//! streams never share a drive, a tape or a destination disk. The first
//! set with the least cost wins, so the same inventory gives the same
//! plan.

use std::collections::BTreeMap;

use super::route;
use super::{Destination, Mover, SelectError, Subsystem};
use crate::catalog::{HolderId, Lease, StreamId};
use crate::inventory::{Inventory, Kind, Resource, State};

/// Cost of two streams on one mover (a last resort).
const SHARED_MOVER: u64 = 1000;
/// Cost of two streams through one library.
const SHARED_LIBRARY: u64 = 100;
/// Cost of two streams through one switch.
const SHARED_SWITCH: u64 = 100;
/// Cost of a backup server as mover (copy managers come first).
const HOST_MOVER: u64 = 5;
/// Extra route cost of a hop another stream already crosses.
const HOP_PENALTY: u32 = 50;
/// Candidate sets evaluated before the search settles for the best so far.
const BUDGET: u32 = 200_000;

/// The inventory as one holder sees it: its own leases do not count
/// against it.
pub(super) struct View<'a> {
    pub inv: &'a Inventory,
    pub me: HolderId,
}

fn held_words(leases: &[&Lease]) -> String {
    let who: Vec<String> = leases
        .iter()
        .map(|l| format!("{} stream {}", l.holder.purpose, l.stream))
        .collect();
    format!("in use by {}", who.join(" and "))
}

impl View<'_> {
    fn others<'r>(&self, r: &'r Resource) -> Vec<&'r Lease> {
        r.leases()
            .iter()
            .filter(|l| l.holder.id != self.me)
            .collect()
    }

    /// Whether `r` may be taken exclusively; else why not, in words.
    pub fn exclusive(&self, r: &Resource) -> Result<(), String> {
        if let State::Unusable(why) = &r.state {
            return Err(format!("{} is unusable: {why}", r.name));
        }
        let others = self.others(r);
        if others.is_empty() {
            Ok(())
        } else {
            Err(format!("{} is {}", r.name, held_words(&others)))
        }
    }

    /// Whether `r` may be shared; else why not, in words.
    pub fn shared(&self, r: &Resource) -> Result<(), String> {
        if let State::Unusable(why) = &r.state {
            return Err(format!("{} is unusable: {why}", r.name));
        }
        let others: Vec<&Lease> = self.others(r).into_iter().filter(|l| l.exclusive).collect();
        if others.is_empty() {
            Ok(())
        } else {
            Err(format!("{} is {}", r.name, held_words(&others)))
        }
    }

    fn passable(&self, r: &Resource) -> bool {
        self.shared(r).is_ok()
    }

    /// Why each switch and link that cuts the graph cannot be crossed.
    fn cuts(&self) -> Vec<String> {
        self.inv
            .resources()
            .iter()
            .filter(|r| matches!(r.kind, Kind::Switch | Kind::Link))
            .filter_map(|r| self.shared(r).err())
            .collect()
    }

    /// The movers that may be taken, by name (copy managers, then backup
    /// servers when allowed), and why the others may not.
    pub fn movers(&self, host_movers: bool, exclude: &[String]) -> (Vec<Mover>, Vec<String>) {
        let mut ok = Vec::new();
        let mut why = Vec::new();
        let mut consider = |r: &Resource, m: Mover| {
            if exclude.contains(&r.name) {
                why.push(format!("{} already failed", r.name));
            } else {
                match self.exclusive(r) {
                    Ok(()) => ok.push(m),
                    Err(w) => why.push(w),
                }
            }
        };
        for r in self.inv.copy_managers() {
            consider(r, Mover::CopyManager(r.name.clone()));
        }
        if host_movers {
            for r in self.inv.of_kind(Kind::BackupServer) {
                consider(r, Mover::BackupServer(r.name.clone()));
            }
        }
        (ok, why)
    }
}

/// Why resources were left out, by kind, for a "not enough" message.
#[derive(Debug, Default)]
pub(super) struct LeftOut(BTreeMap<Kind, Vec<String>>);

impl LeftOut {
    /// Notes why a resource of `kind` was left out.
    pub fn note(&mut self, kind: Kind, why: String) {
        self.0.entry(kind).or_default().push(why);
    }

    /// Whether `view` may take `r` exclusively; notes why not.
    pub fn exclusive(&mut self, view: &View<'_>, r: &Resource, kind: Kind) -> bool {
        view.exclusive(r).map_err(|w| self.note(kind, w)).is_ok()
    }

    fn get(&self, kind: Kind) -> Vec<String> {
        self.0.get(&kind).cloned().unwrap_or_default()
    }
}

/// A destination a stream may get (or, for a restore, the medium read).
#[derive(Debug, Clone)]
pub(super) enum Slot {
    /// A library's drive (a tape from the library's pool goes in it).
    Drive { library: String, drive: String },
    /// A disk.
    Disk { disk: String, lba: u64 },
}

impl Slot {
    fn device(&self) -> &str {
        match self {
            Slot::Drive { drive, .. } => drive,
            Slot::Disk { disk, .. } => disk,
        }
    }

    fn library(&self) -> Option<&str> {
        match self {
            Slot::Drive { library, .. } => Some(library),
            Slot::Disk { .. } => None,
        }
    }
}

/// What to plan: the slots in preference order, the tapes each library
/// may give, the movers, and which end of the copy a slot is.
pub(super) struct Problem<'a> {
    pub view: &'a View<'a>,
    /// The other end of every copy (the source disk of a backup, the
    /// target disk of a restore).
    pub fixed: String,
    /// Whether the slot is the end read (a restore) or written (a backup).
    pub slot_is_read: bool,
    pub slots: Vec<Slot>,
    /// Library → barcodes that may be used, in order.
    pub tapes: BTreeMap<String, Vec<String>>,
    pub movers: Vec<Mover>,
    pub streams: u8,
    /// Whether the slots are tape drives (else disks).
    pub tape: bool,
    /// Why resources were left out.
    pub left_out: LeftOut,
}

#[derive(Debug, Clone)]
struct Candidate {
    slot: usize,
    mover: usize,
}

#[derive(Debug, Clone)]
struct Pick {
    cand: usize,
    route: Vec<String>,
    tape: Option<String>,
}

/// Why a mover cannot serve a slot.
enum Miss {
    /// Its kind or profile cannot do this copy.
    Mover(String),
    /// No usable path.
    Route(String),
}

struct Search<'a> {
    p: &'a Problem<'a>,
    cands: Vec<Candidate>,
    best: Option<(u64, Vec<Pick>)>,
    deepest: usize,
    budget: u32,
}

impl Problem<'_> {
    fn ends(&self, slot: &Slot) -> (String, String) {
        if self.slot_is_read {
            (slot.device().to_string(), self.fixed.clone())
        } else {
            (self.fixed.clone(), slot.device().to_string())
        }
    }

    /// The route a mover takes to both ends of a copy, or why there is
    /// none.
    fn pair(
        &self,
        mover: &Mover,
        slot: &Slot,
        extra: &dyn Fn(&str) -> u32,
    ) -> Result<Vec<String>, Miss> {
        let inv = self.view.inv;
        let (read, write) = self.ends(slot);
        let name = mover.name();
        if let Mover::CopyManager(_) = mover {
            if let Some(role) = inv.get(name).and_then(|r| r.copy_manager) {
                if matches!(slot, Slot::Drive { .. }) && !role.tape {
                    return Err(Miss::Mover(format!(
                        "{name} copies between disks only, not to or from tape"
                    )));
                }
                if role.self_only && name != read && name != write {
                    return Err(Miss::Mover(format!(
                        "{name} copies only to or from itself, and is neither {read} nor {write}"
                    )));
                }
            }
        }
        let passable = |r: &Resource| self.view.passable(r);
        let mut hops = Vec::new();
        for end in [&read, &write] {
            match route::path(inv, name, end, &passable, extra) {
                Some(h) => route::join(&mut hops, h),
                None => {
                    return Err(Miss::Route(format!(
                        "no usable route joins {name} and {end}"
                    )))
                }
            }
        }
        Ok(hops)
    }

    /// Plans `streams` subsystems, or says which kind of resource ran out.
    pub fn solve(&self) -> Result<Vec<Subsystem>, SelectError> {
        let mut cands = Vec::new();
        let mut mover_miss = Vec::new();
        let mut route_miss = Vec::new();
        for (si, slot) in self.slots.iter().enumerate() {
            for (mi, m) in self.movers.iter().enumerate() {
                match self.pair(m, slot, &|_| 0) {
                    Ok(_) => cands.push(Candidate {
                        slot: si,
                        mover: mi,
                    }),
                    Err(Miss::Mover(w)) => mover_miss.push(w),
                    Err(Miss::Route(w)) => route_miss.push(w),
                }
            }
        }
        let mut s = Search {
            p: self,
            cands,
            best: None,
            deepest: 0,
            budget: BUDGET,
        };
        let mut picks = Vec::new();
        s.dfs(0, &mut picks, 0);
        let wanted = self.streams;
        let Some((_, picks)) = s.best else {
            let secured = u8::try_from(s.deepest).unwrap_or(u8::MAX);
            let (short_of, why) = self.diagnose(secured, mover_miss, route_miss);
            return Err(SelectError::NotEnough {
                wanted,
                secured,
                short_of,
                why,
            });
        };
        Ok(picks
            .into_iter()
            .enumerate()
            .map(|(i, pick)| {
                let c = &s.cands[pick.cand];
                let slot = &self.slots[c.slot];
                let mover = self.movers[c.mover].clone();
                let destination = match slot {
                    Slot::Drive { library, drive } => Destination::Tape {
                        library: library.clone(),
                        drive: drive.clone(),
                        barcode: pick.tape.clone().unwrap_or_default(),
                    },
                    Slot::Disk { disk, lba } => Destination::Disk {
                        disk: disk.clone(),
                        lba: *lba,
                    },
                };
                let (read, write) = self.ends(slot);
                let mut members = vec![mover.name().to_string()];
                for m in [read, write] {
                    if !members.contains(&m) {
                        members.push(m);
                    }
                }
                Subsystem {
                    stream: StreamId::try_from(i).unwrap_or(StreamId::MAX),
                    mover,
                    destination,
                    route: pick.route,
                    members,
                }
            })
            .collect())
    }

    /// Which kind ran out when only `secured` streams could be planned,
    /// and why, in one sentence.
    fn diagnose(
        &self,
        secured: u8,
        mover_miss: Vec<String>,
        route_miss: Vec<String>,
    ) -> (Kind, String) {
        let wanted = usize::from(self.streams);
        let left = |k: Kind| self.left_out.get(k);
        let because = |v: Vec<String>| {
            let mut seen = std::collections::HashSet::new();
            let v: Vec<String> = v.into_iter().filter(|w| seen.insert(w.clone())).collect();
            if v.is_empty() {
                String::new()
            } else {
                format!(" ({})", v.join("; "))
            }
        };
        if self.movers.is_empty() {
            let mut why = left(Kind::CopyManager);
            why.extend(left(Kind::BackupServer));
            let what = if why.is_empty() && self.view.inv.copy_managers().is_empty() {
                "the site has no copy manager (nor backup server allowed to move data)"
            } else {
                "no usable copy manager"
            };
            return (Kind::CopyManager, format!("{what}{}", because(why)));
        }
        let have = self.slots.len();
        if self.tape {
            if have < wanted {
                let mut why = left(Kind::Library);
                why.extend(left(Kind::Drive));
                return (
                    Kind::Drive,
                    format!("no {}usable tape drive{}", ordinal(have), because(why)),
                );
            }
            // Each library gives at most as many streams as it has both
            // drives and tapes for.
            let mut streams_by_tape = 0;
            for (lib, pool) in &self.tapes {
                let d = self
                    .slots
                    .iter()
                    .filter(|s| s.library() == Some(lib.as_str()))
                    .count();
                streams_by_tape += d.min(pool.len());
            }
            if streams_by_tape < wanted {
                return (
                    Kind::Tape,
                    format!(
                        "no {}usable tape in a library with a free drive{}",
                        ordinal(streams_by_tape),
                        because(left(Kind::Tape))
                    ),
                );
            }
        } else if have < wanted {
            return (
                Kind::Disk,
                format!(
                    "no {}usable destination disk{}",
                    ordinal(have),
                    because(left(Kind::Disk))
                ),
            );
        }
        // Enough of everything, but not joined: by a cut in the fabric,
        // or for want of a mover that reaches the rest.
        let n = usize::from(secured);
        let cuts = self.view.cuts();
        let movers_out = left(Kind::CopyManager);
        if !cuts.is_empty() || (movers_out.is_empty() && mover_miss.is_empty()) {
            let mut why = cuts;
            why.extend(route_miss);
            why.extend(mover_miss);
            (
                Kind::Switch,
                format!(
                    "no {}route over usable switches joins a mover, {} and a destination{}",
                    ordinal(n),
                    self.fixed,
                    because(why)
                ),
            )
        } else {
            let mut why = movers_out;
            why.extend(mover_miss);
            why.extend(route_miss);
            (
                Kind::CopyManager,
                format!(
                    "no {}copy manager reaches {} and a free destination{}",
                    ordinal(n),
                    self.fixed,
                    because(why)
                ),
            )
        }
    }
}

/// "" for the first, "second ", "third "… for the next one after `have`.
fn ordinal(have: usize) -> String {
    match have {
        0 => String::new(),
        1 => "second ".into(),
        2 => "third ".into(),
        3 => "fourth ".into(),
        n => format!("{}th ", n + 1),
    }
}

impl Search<'_> {
    fn dfs(&mut self, start: usize, picks: &mut Vec<Pick>, cost: u64) {
        let wanted = usize::from(self.p.streams);
        for i in start..self.cands.len() {
            if self.budget == 0 || self.best.as_ref().is_some_and(|(c, _)| *c == 0) {
                return;
            }
            self.budget -= 1;
            let Some((pick, more)) = self.try_pick(i, picks) else {
                continue;
            };
            let total = cost + more;
            if self.best.as_ref().is_some_and(|(c, _)| total >= *c) {
                continue;
            }
            picks.push(pick);
            self.deepest = self.deepest.max(picks.len());
            if picks.len() == wanted {
                self.best = Some((total, picks.clone()));
            } else {
                self.dfs(i + 1, picks, total);
            }
            picks.pop();
        }
    }

    /// Candidate `i` as the next stream after `picks`: its route and tape,
    /// and what it adds to the cost; `None` if it would share a drive, a
    /// tape or a destination disk.
    fn try_pick(&self, i: usize, picks: &[Pick]) -> Option<(Pick, u64)> {
        let p = self.p;
        let c = &self.cands[i];
        let slot = &p.slots[c.slot];
        let mover = &p.movers[c.mover];
        let mut tape = None;
        for q in picks {
            if self.cands[q.cand].slot == c.slot {
                return None;
            }
        }
        if let Some(lib) = slot.library() {
            let used = picks
                .iter()
                .filter(|q| p.slots[self.cands[q.cand].slot].library() == Some(lib))
                .count();
            tape = Some(p.tapes.get(lib)?.get(used)?.clone());
        }
        let extra = |n: &str| {
            let times = picks
                .iter()
                .filter(|q| q.route.iter().any(|h| h == n))
                .count();
            HOP_PENALTY * u32::try_from(times).unwrap_or(u32::MAX / HOP_PENALTY)
        };
        let route = p.pair(mover, slot, &extra).ok()?;
        let inv = p.view.inv;
        let is_switch = |h: &String| inv.get(h).is_some_and(|r| r.kind == Kind::Switch);
        let mut more = 0;
        if matches!(mover, Mover::BackupServer(_)) {
            more += HOST_MOVER;
        }
        for q in picks {
            let qc = &self.cands[q.cand];
            if qc.mover == c.mover {
                more += SHARED_MOVER;
            }
            if slot.library().is_some() && p.slots[qc.slot].library() == slot.library() {
                more += SHARED_LIBRARY;
            }
            let shared = route
                .iter()
                .filter(|h| is_switch(h) && q.route.contains(h))
                .count();
            more += SHARED_SWITCH * shared as u64;
        }
        Some((
            Pick {
                cand: i,
                route,
                tape,
            },
            more,
        ))
    }
}

/// What streams share, in sentences: movers, libraries, switches.
pub(super) fn sharing(inv: &Inventory, subsystems: &[Subsystem]) -> Vec<String> {
    let mut users: BTreeMap<(u8, Kind, String), Vec<StreamId>> = BTreeMap::new();
    for s in subsystems {
        let mover_kind = match s.mover {
            Mover::CopyManager(_) => Kind::CopyManager,
            Mover::BackupServer(_) => Kind::BackupServer,
        };
        users
            .entry((0, mover_kind, s.mover.name().to_string()))
            .or_default()
            .push(s.stream);
        if let Destination::Tape { library, .. } = &s.destination {
            users
                .entry((1, Kind::Library, library.clone()))
                .or_default()
                .push(s.stream);
        }
        for h in &s.route {
            if inv.get(h).is_some_and(|r| r.kind == Kind::Switch) {
                users
                    .entry((2, Kind::Switch, h.clone()))
                    .or_default()
                    .push(s.stream);
            }
        }
    }
    users
        .into_iter()
        .filter(|(_, streams)| streams.len() > 1)
        .map(|((_, kind, name), streams)| {
            format!("streams {} share {kind} {name}", and_list(&streams))
        })
        .collect()
}

/// "0 and 1", "0, 1 and 2".
fn and_list(streams: &[StreamId]) -> String {
    let words: Vec<String> = streams.iter().map(|s| s.to_string()).collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => words.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(and_list(&[0, 1]), "0 and 1");
        assert_eq!(and_list(&[0, 1, 2]), "0, 1 and 2");
        assert_eq!(ordinal(0), "");
        assert_eq!(ordinal(1), "second ");
        assert_eq!(ordinal(6), "7th ");
    }
}
