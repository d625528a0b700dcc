//! The inventory: every resource of a site — source and destination disks,
//! backup servers, copy managers, libraries, drives, tapes, switches and
//! the links between them — with its state: usable, in use (by which
//! holder and stream), or unusable (and why).
//!
//! This is the patent's backup server, library device, tape, FC switch and
//! copy device information (tables 420–450 and 470): the description comes
//! from the site file ([`Inventory::from_site`]); the state comes from the
//! catalog ([`Inventory::load_state`]), where leases say who holds what
//! and unusable marks say what must not be used. A resource neither
//! leased nor marked is usable.
//!
//! Names: a device or switch by its site name, a tape by its barcode, a
//! link by its two ends sorted and joined with `--` (`cm0--sw0`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::Serialize;

use crate::catalog::{Lease, Store, StoreError};
use crate::site::{ProfileName, RealKind, Site};

/// What a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A disk (a source, or a destination of a disk backup).
    Disk,
    /// A host that copies through itself (the patent's backup server 300).
    BackupServer,
    /// A copy manager that executes EXTENDED COPY (the patent's copy
    /// device 610).
    CopyManager,
    /// A tape library (its robot).
    Library,
    /// A tape drive.
    Drive,
    /// A tape cartridge, by barcode.
    Tape,
    /// A switch.
    Switch,
    /// A cable between a device and a switch, or between two switches.
    Link,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Disk => "disk",
            Kind::BackupServer => "backup server",
            Kind::CopyManager => "copy manager",
            Kind::Library => "library",
            Kind::Drive => "drive",
            Kind::Tape => "tape",
            Kind::Switch => "switch",
            Kind::Link => "link",
        })
    }
}

/// A resource's state (the patent's "state" column, with its "process
/// number" and "stream number" in the leases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Neither held nor marked.
    Usable,
    /// Held: by whom, for which stream (several leases for a shared
    /// resource, or for one holder's several streams).
    InUse(Vec<Lease>),
    /// Marked unusable, with why. A mark wins over leases: a resource
    /// marked while held shows as unusable.
    Unusable(String),
}

impl State {
    /// `usable`, `in use`, `unusable`.
    pub fn word(&self) -> &'static str {
        match self {
            State::Usable => "usable",
            State::InUse(_) => "in use",
            State::Unusable(_) => "unusable",
        }
    }
}

/// What a copy manager can do, for the selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CopyManagerRole {
    /// Its profile.
    pub profile: ProfileName,
    /// Whether the logical unit that receives the EXTENDED COPY must be one
    /// of the copy's two ends (LIO's model: a disk with `emulate_3pc`).
    /// Such a copy manager serves only a subsystem whose source or
    /// destination is itself.
    pub self_only: bool,
    /// Whether it copies to and from tapes (stream devices); LIO's model
    /// copies block to block only.
    pub tape: bool,
}

impl CopyManagerRole {
    fn new(profile: ProfileName, on_disk: bool) -> Self {
        CopyManagerRole {
            profile,
            // LIO requires the receiving LU to be an end; a stand-alone
            // LIO-profile copy manager has no blocks, so it can never be.
            self_only: on_disk || profile == ProfileName::Lio,
            tape: profile == ProfileName::Standard,
        }
    }
}

/// One resource of the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// Its name (a tape's barcode; a link's `A--B`).
    pub name: String,
    /// What it is. A disk that is also a copy manager is a disk with a
    /// [`Resource::copy_manager`] role.
    pub kind: Kind,
    /// Whether the simulator plays it (false for `[[real]]` devices and
    /// backup servers, which are hosts).
    pub simulated: bool,
    /// Usable, in use, unusable.
    pub state: State,
    /// A drive's or a tape's library.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// A tape's home slot (from 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<u32>,
    /// A link's two ends, sorted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends: Option<(String, String)>,
    /// For a copy manager, and for a disk that is also one: what it can do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_manager: Option<CopyManagerRole>,
    /// A switch's zoning hook (program and first arguments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoning: Option<Vec<String>>,
}

impl Resource {
    fn new(name: &str, kind: Kind, simulated: bool) -> Self {
        Resource {
            name: name.to_string(),
            kind,
            simulated,
            state: State::Usable,
            library: None,
            slot: None,
            ends: None,
            copy_manager: None,
            zoning: None,
        }
    }

    /// Whether it moves data by EXTENDED COPY (a copy manager, or a disk
    /// that is one).
    pub fn is_copy_manager(&self) -> bool {
        self.copy_manager.is_some()
    }

    /// The leases on it (empty unless in use).
    pub fn leases(&self) -> &[Lease] {
        match &self.state {
            State::InUse(l) => l,
            _ => &[],
        }
    }
}

/// The name of the link between `a` and `b`: both ends sorted, `A--B`.
pub fn link_name(a: &str, b: &str) -> String {
    if a <= b {
        format!("{a}--{b}")
    } else {
        format!("{b}--{a}")
    }
}

/// Every resource of a site and the graph of links between devices and
/// switches.
#[derive(Debug, Clone)]
pub struct Inventory {
    resources: Vec<Resource>,
    index: HashMap<String, usize>,
    /// Device or switch → its neighbours (sorted, for deterministic routes).
    graph: BTreeMap<String, BTreeSet<String>>,
    /// Library → its drives, sorted.
    drives: BTreeMap<String, Vec<String>>,
    /// Library → its cartridges' barcodes, sorted.
    tapes: BTreeMap<String, Vec<String>>,
    /// How long a holder on another host keeps its leases without a
    /// heartbeat (`[site] lease_limit`).
    lease_limit: std::time::Duration,
}

impl Inventory {
    /// The site's resources as the site file describes them, every one
    /// usable.
    pub fn from_site(site: &Site) -> Inventory {
        let mut inv = Inventory {
            resources: Vec::new(),
            index: HashMap::new(),
            graph: BTreeMap::new(),
            drives: BTreeMap::new(),
            tapes: BTreeMap::new(),
            lease_limit: site
                .site
                .lease_limit
                .as_ref()
                .map_or(crate::catalog::heartbeat::LIMIT, |l| {
                    std::time::Duration::from_secs(*l.get_ref())
                }),
        };
        let mut cabled: Vec<(&str, &[toml::Spanned<String>])> = Vec::new();
        for d in &site.disk {
            let mut r = Resource::new(d.name.get_ref(), Kind::Disk, true);
            r.copy_manager = d.copy_manager.map(|p| CopyManagerRole::new(p, true));
            inv.push(r);
            cabled.push((d.name.get_ref(), &d.links));
        }
        for r in &site.real {
            let kind = match r.kind() {
                RealKind::Disk => Kind::Disk,
                RealKind::Drive => Kind::Drive,
                RealKind::CopyManager => Kind::CopyManager,
                RealKind::Library => Kind::Library,
            };
            let mut res = Resource::new(r.name.get_ref(), kind, false);
            res.copy_manager = r
                .profile()
                .map(|p| CopyManagerRole::new(p, kind == Kind::Disk));
            inv.push(res);
            cabled.push((r.name.get_ref(), &r.links));
        }
        for b in &site.backup_server {
            inv.push(Resource::new(b.name.get_ref(), Kind::BackupServer, false));
            cabled.push((b.name.get_ref(), &b.links));
        }
        for c in &site.copy_manager {
            let mut r = Resource::new(c.name.get_ref(), Kind::CopyManager, true);
            r.copy_manager = Some(CopyManagerRole::new(
                c.profile.unwrap_or(ProfileName::Standard),
                false,
            ));
            inv.push(r);
            cabled.push((c.name.get_ref(), &c.links));
        }
        for l in &site.library {
            inv.push(Resource::new(l.name.get_ref(), Kind::Library, true));
            cabled.push((l.name.get_ref(), &l.links));
        }
        for d in &site.drive {
            inv.push(Resource::new(d.name.get_ref(), Kind::Drive, true));
            cabled.push((d.name.get_ref(), &d.links));
        }
        for l in site.libraries() {
            let lib = l.name.get_ref();
            let mut drives: Vec<String> = l.drives.iter().map(|d| d.get_ref().clone()).collect();
            drives.sort();
            for d in &drives {
                if let Some(&i) = inv.index.get(d) {
                    inv.resources[i].library = Some(lib.clone());
                }
            }
            inv.drives.insert(lib.clone(), drives);
            let mut tapes = Vec::new();
            for (barcode, slot) in &l.tapes {
                let mut r = Resource::new(barcode.get_ref(), Kind::Tape, !l.real);
                r.library = Some(lib.clone());
                r.slot = *slot;
                tapes.push(barcode.get_ref().clone());
                inv.push(r);
            }
            tapes.sort();
            inv.tapes.insert(lib.clone(), tapes);
        }
        for s in &site.switch {
            let mut r = Resource::new(s.name.get_ref(), Kind::Switch, true);
            r.zoning = s
                .zoning
                .as_ref()
                .map(|z| z.get_ref().iter().map(|a| a.get_ref().clone()).collect());
            inv.push(r);
            cabled.push((s.name.get_ref(), &s.links));
        }
        let mut links = BTreeSet::new();
        for (name, ends) in cabled {
            inv.graph.entry(name.to_string()).or_default();
            for e in ends {
                let other = e.get_ref();
                inv.graph
                    .entry(name.to_string())
                    .or_default()
                    .insert(other.clone());
                inv.graph
                    .entry(other.clone())
                    .or_default()
                    .insert(name.to_string());
                let (a, b) = if name <= other.as_str() {
                    (name.to_string(), other.clone())
                } else {
                    (other.clone(), name.to_string())
                };
                links.insert((a, b));
            }
        }
        for (a, b) in links {
            let mut r = Resource::new(&link_name(&a, &b), Kind::Link, true);
            r.ends = Some((a, b));
            inv.push(r);
        }
        inv
    }

    fn push(&mut self, r: Resource) {
        // The site's checks make names unique; a duplicate keeps the first.
        if self.index.contains_key(&r.name) {
            return;
        }
        self.index.insert(r.name.clone(), self.resources.len());
        self.resources.push(r);
    }

    /// Overlays the catalog's state: every resource becomes usable, then
    /// in use where leases hold it, then unusable where marked. Leases and
    /// marks on names the site does not have are ignored here.
    pub fn load_state(&mut self, store: &dyn Store) -> Result<(), StoreError> {
        let leases = store.leases()?;
        let marks = store.unusable()?;
        for r in &mut self.resources {
            r.state = State::Usable;
        }
        let mut held: BTreeMap<String, Vec<Lease>> = BTreeMap::new();
        for l in leases {
            held.entry(l.resource.clone()).or_default().push(l);
        }
        for (name, mut ls) in held {
            if let Some(&i) = self.index.get(&name) {
                ls.sort_by_key(|l| (l.holder.id, l.stream));
                self.resources[i].state = State::InUse(ls);
            }
        }
        for (name, why) in marks {
            if let Some(&i) = self.index.get(&name) {
                self.resources[i].state = State::Unusable(why);
            }
        }
        Ok(())
    }

    /// Every resource: disks, real devices, backup servers, copy managers,
    /// libraries, drives, tapes, switches, links (site order within each).
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The resource of that name.
    pub fn get(&self, name: &str) -> Option<&Resource> {
        self.index.get(name).map(|&i| &self.resources[i])
    }

    /// How long a holder on another host keeps its leases without a
    /// heartbeat before securing takes them back (`[site] lease_limit`,
    /// default [`crate::catalog::heartbeat::LIMIT`]).
    pub fn lease_limit(&self) -> std::time::Duration {
        self.lease_limit
    }

    /// Every resource's name, in [`Inventory::resources`] order.
    pub fn names(&self) -> Vec<&str> {
        self.resources.iter().map(|r| r.name.as_str()).collect()
    }

    /// A library's drives, sorted by name.
    pub fn drives_of(&self, library: &str) -> &[String] {
        self.drives.get(library).map_or(&[], Vec::as_slice)
    }

    /// A library's cartridges' barcodes, sorted.
    pub fn tapes_of(&self, library: &str) -> &[String] {
        self.tapes.get(library).map_or(&[], Vec::as_slice)
    }

    /// The devices and switches cabled to `node`, sorted.
    pub fn neighbours(&self, node: &str) -> impl Iterator<Item = &str> {
        self.graph
            .get(node)
            .into_iter()
            .flat_map(|s| s.iter().map(String::as_str))
    }

    /// The copy managers — stand-alone ones and disks that are copy
    /// managers too — by name.
    pub fn copy_managers(&self) -> Vec<&Resource> {
        let mut v: Vec<&Resource> = self
            .resources
            .iter()
            .filter(|r| r.is_copy_manager())
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// The resources of one kind, by name.
    pub fn of_kind(&self, kind: Kind) -> Vec<&Resource> {
        let mut v: Vec<&Resource> = self.resources.iter().filter(|r| r.kind == kind).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn site(text: &str) -> Site {
        Site::parse(Path::new("t.toml"), text).unwrap()
    }

    const SITE: &str = r#"
[site]
state_dir = "memory"
[[switch]]
name = "sw0"
zoning = ["/bin/true", "x"]
[[switch]]
name = "sw1"
links = ["sw0"]
[[disk]]
name = "prod0"
capacity = "1 MiB"
links = ["sw0"]
[[disk]]
name = "lun1"
capacity = "1 MiB"
copy_manager = "lio"
links = ["sw1"]
[[copy_manager]]
name = "cm0"
links = ["sw0"]
[[backup_server]]
name = "host0"
links = ["sw1"]
[[drive]]
name = "drive0"
links = ["sw1"]
[[library]]
name = "lib0"
slots = 4
drives = ["drive0", "rdrive"]
cartridges = [{ barcode = "B2", slot = 2 }, { barcode = "B1", slot = 1 }]
[[real]]
name = "rdrive"
path = "/dev/sg9"
kind = "drive"
links = ["sw1"]
[[real]]
name = "rlun"
path = "/dev/sg8"
copy_manager = "standard"
"#;

    #[test]
    fn every_resource_with_its_kind() {
        let inv = Inventory::from_site(&site(SITE));
        let kinds: Vec<(&str, Kind)> = inv
            .resources()
            .iter()
            .map(|r| (r.name.as_str(), r.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("prod0", Kind::Disk),
                ("lun1", Kind::Disk),
                ("rdrive", Kind::Drive),
                ("rlun", Kind::Disk),
                ("host0", Kind::BackupServer),
                ("cm0", Kind::CopyManager),
                ("lib0", Kind::Library),
                ("drive0", Kind::Drive),
                ("B2", Kind::Tape),
                ("B1", Kind::Tape),
                ("sw0", Kind::Switch),
                ("sw1", Kind::Switch),
                ("cm0--sw0", Kind::Link),
                ("drive0--sw1", Kind::Link),
                ("host0--sw1", Kind::Link),
                ("lun1--sw1", Kind::Link),
                ("prod0--sw0", Kind::Link),
                ("rdrive--sw1", Kind::Link),
                ("sw0--sw1", Kind::Link),
            ]
        );
        assert!(inv.resources().iter().all(|r| r.state == State::Usable));
        assert_eq!(inv.drives_of("lib0"), ["drive0", "rdrive"]);
        assert_eq!(inv.tapes_of("lib0"), ["B1", "B2"]);
        let b2 = inv.get("B2").unwrap();
        assert_eq!((b2.library.as_deref(), b2.slot), (Some("lib0"), Some(2)));
        assert_eq!(inv.get("rdrive").unwrap().library.as_deref(), Some("lib0"));
        assert!(!inv.get("rdrive").unwrap().simulated);
        let lun1 = inv.get("lun1").unwrap().copy_manager.unwrap();
        assert!(lun1.self_only && !lun1.tape);
        let rlun = inv.get("rlun").unwrap().copy_manager.unwrap();
        assert!(rlun.self_only && rlun.tape);
        let cm0 = inv.get("cm0").unwrap().copy_manager.unwrap();
        assert!(!cm0.self_only && cm0.tape);
        assert_eq!(
            inv.get("sw0").unwrap().zoning.as_deref(),
            Some(&["/bin/true".to_string(), "x".to_string()][..])
        );
        assert_eq!(
            inv.get("sw0--sw1").unwrap().ends,
            Some(("sw0".to_string(), "sw1".to_string()))
        );
        assert_eq!(
            inv.neighbours("sw1").collect::<Vec<_>>(),
            ["drive0", "host0", "lun1", "rdrive", "sw0"]
        );
        let cms: Vec<&str> = inv
            .copy_managers()
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(cms, ["cm0", "lun1", "rlun"]);
    }

    #[test]
    fn kinds_read_as_words() {
        assert_eq!(Kind::BackupServer.to_string(), "backup server");
        assert_eq!(Kind::CopyManager.to_string(), "copy manager");
        assert_eq!(link_name("sw1", "cm0"), "cm0--sw1");
    }
}
