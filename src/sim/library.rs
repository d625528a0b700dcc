//! A simulated tape library: an SMC-3 (T10 draft SMC-3 r16) medium changer,
//! peripheral device type 08h, with one medium transport element, storage
//! elements (slots), optional import/export elements and data transfer
//! elements that are [`SimTapeDrive`]s, and cartridges with barcodes.
//!
//! Element addresses: the medium transport at [`SimLibrary::TRANSPORT`]
//! (0), drives from [`SimLibrary::FIRST_DRIVE`] (256), import/export
//! elements from [`SimLibrary::FIRST_IMPORT_EXPORT`] (768), slots from
//! [`SimLibrary::FIRST_SLOT`] (1024).
//!
//! Commands: INQUIRY, TEST UNIT READY, REQUEST SENSE; MODE SENSE(6) of the
//! element address assignment page (1Dh, or all pages 3Fh; no block
//! descriptors; saved values are SAVING PARAMETERS NOT SUPPORTED, 39/00);
//! INITIALIZE ELEMENT STATUS (07h, nothing to scan: GOOD); READ ELEMENT
//! STATUS; MOVE MEDIUM. Anything else is INVALID COMMAND OPERATION CODE.
//!
//! READ ELEMENT STATUS reports, in address order, the elements of the
//! requested type (or all) at or above STARTING ELEMENT ADDRESS, at most
//! NUMBER OF ELEMENTS of them, one element status page per type; with
//! VOLTAG each descriptor carries a primary volume tag (the barcode, blank
//! for an empty element); with DVCID the drives' descriptors carry the
//! drive's NAA designator (binary, identifier type 3). A full drive reports
//! SVALID and the slot its cartridge came from. The answer is built whole
//! and cut at the allocation length; its counts are those of the whole
//! answer, as SMC-3 says they are ("shall not be adjusted to match the
//! allocation length"), so a cut answer parses as a consistent prefix. An
//! unknown element type code is INVALID FIELD IN CDB; a starting address
//! that is no element's is accepted (elements above it are reported).
//!
//! MOVE MEDIUM moves a cartridge between slots, import/export elements and
//! drives: into a drive it is loaded ([`SimTapeDrive::load`]), out of one
//! unloaded (the library unloads the drive itself; there is no separate
//! UNLOAD). Errors as SMC-3 lists them: an address that is not a storage,
//! import/export or data transfer element (or a transport address other
//! than 0) is ILLEGAL REQUEST, INVALID ELEMENT ADDRESS (21/01); an empty
//! source is MEDIUM SOURCE ELEMENT EMPTY (3B/0E); a full destination is
//! MEDIUM DESTINATION ELEMENT FULL (3B/0D); INVERT is INVALID FIELD IN CDB
//! (the media have one side). Injected faults (a library that cannot
//! move: [`crate::transport::fault::cannot_move`]) are answered by the
//! fault plan in front of the library; the cartridge then stays where it
//! was.
//!
//! Persistence: with a state directory, cartridges are the files
//! `<state>/tapes/<barcode>.tape` (see [`Cartridge`]) and the element map
//! — which barcode is in which element, and where it came from — is
//! `<state>/<library>.elements.json`, rewritten (write, fsync, rename)
//! after every move, so a new process finds every cartridge where the last
//! one left it. Each drive keeps its own state — block length, buffered
//! mode, and the loaded cartridge's position — in
//! `<state>/drives/<drive>.json` ([`SimTapeDrive::keep_state`]), so a
//! cartridge the map puts in a drive is resumed where the drive was
//! ([`SimTapeDrive::resume`]: at the saved position if the state is of
//! that cartridge and the cartridge has not changed since, otherwise with
//! the position unknown until the host rewinds or locates), not at BOP
//! where the next write would erase it. MOVE MEDIUM into a drive loads at
//! BOP, as a real load does, and out of a drive forgets the position; the
//! block length stays with the drive. A map, once there, wins over the
//! configured placement; configured cartridges it does not name go to
//! their slot (or the first free one). The library holds an exclusive lock
//! on `<state>/<library>.lock` while it exists: one process at a time
//! serves a library's state. Without a state directory the cartridges are
//! in memory and nothing outlives the process.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use super::common::Identity;
use super::common::{
    check, check_sense, data_in, handle_common, invalid_cdb_field, invalid_opcode,
};
use super::tape::{Cartridge, SimTapeDrive};
use super::{state_error, Fabric, Lu, SimError};
use crate::transport::{Completion, DataDirection};
use crate::wire::inquiry::PeripheralDeviceType;
use crate::wire::mode::{ModeListKind, ModeParameterList6, ModeSense6Cdb, PageControl};
use crate::wire::sense::{SenseData, SenseKey};
use crate::wire::smc::{
    DeviceIdentification, ElementAddressAssignmentPage, ElementDescriptor, ElementFlags,
    ElementStatusData, ElementStatusPage, ElementType, MediumType, MoveMediumCdb,
    ReadElementStatusCdb, VolumeTag,
};
use crate::wire::vpd::Designator;
use crate::wire::Repr;

/// INITIALIZE ELEMENT STATUS.
const INITIALIZE_ELEMENT_STATUS: u8 = 0x07;
/// Length of the six-byte INITIALIZE ELEMENT STATUS CDB.
const CDB6_LEN: usize = 6;

/// A cartridge the library is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapeSpec {
    /// Barcode (volume identification): 1 to 32 printable ASCII
    /// characters, no spaces or `/` (it names the cartridge's file).
    pub barcode: String,
    /// Capacity in bytes.
    pub capacity: u64,
    /// Early-warning size in bytes.
    pub early_warning: u64,
    /// Write-protect tab.
    pub write_protected: bool,
}

impl TapeSpec {
    /// A writable cartridge.
    pub fn new(barcode: &str, capacity: u64, early_warning: u64) -> Self {
        TapeSpec {
            barcode: barcode.to_string(),
            capacity,
            early_warning,
            write_protected: false,
        }
    }

    /// Sets the write-protect tab.
    pub fn write_protected(mut self, wp: bool) -> Self {
        self.write_protected = wp;
        self
    }
}

/// Builds a [`SimLibrary`]: required parts in [`SimLibrary::builder`], the
/// rest with these setters.
#[derive(Debug)]
pub struct LibraryBuilder {
    name: String,
    slots: u16,
    import_export: u16,
    drives: Vec<Arc<SimTapeDrive>>,
    tapes: Vec<(TapeSpec, Option<u16>)>,
    state: Option<PathBuf>,
}

impl LibraryBuilder {
    /// The number of storage elements (slots).
    pub fn slots(mut self, n: u16) -> Self {
        self.slots = n;
        self
    }

    /// The number of import/export elements (none by default).
    pub fn import_export(mut self, n: u16) -> Self {
        self.import_export = n;
        self
    }

    /// Adds a drive, the next data transfer element.
    pub fn drive(mut self, drive: Arc<SimTapeDrive>) -> Self {
        self.drives.push(drive);
        self
    }

    /// Adds a cartridge in the first free slot.
    pub fn tape(mut self, spec: TapeSpec) -> Self {
        self.tapes.push((spec, None));
        self
    }

    /// Adds a cartridge in slot `index` (from 0).
    pub fn tape_in_slot(mut self, spec: TapeSpec, index: u16) -> Self {
        self.tapes.push((spec, Some(index)));
        self
    }

    /// Keeps cartridges and the element map in `dir` (created if needed).
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state = Some(dir.into());
        self
    }

    /// Builds the library: opens or creates its state, places the
    /// cartridges and loads those the map puts in drives.
    pub fn build(self) -> Result<Arc<SimLibrary>, SimError> {
        SimLibrary::build(self)
    }
}

/// Where a cartridge at rest is.
#[derive(Debug)]
enum AtRest {
    /// In memory (no state directory).
    Memory(Cartridge),
    /// In its file, closed.
    File,
}

/// A cartridge in an element.
#[derive(Debug)]
struct Held {
    barcode: String,
    /// The storage element it came from (SVALID).
    source: Option<u16>,
    /// `None` while it is loaded in a drive.
    rest: Option<AtRest>,
}

#[derive(Debug)]
struct Element {
    address: u16,
    kind: ElementType,
    /// For a data transfer element, its drive's index.
    drive: Option<usize>,
    held: Option<Held>,
}

/// The element map as saved.
#[derive(Debug, Serialize, Deserialize)]
struct SavedMap {
    format: u32,
    library: String,
    elements: Vec<SavedElement>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedElement {
    address: u16,
    barcode: String,
    source: Option<u16>,
}

#[derive(Debug)]
struct State {
    dir: PathBuf,
    _lock: Flock<File>,
}

/// A simulated tape library.
pub struct SimLibrary {
    identity: Identity,
    drives: Vec<Arc<SimTapeDrive>>,
    specs: Vec<TapeSpec>,
    page: ElementAddressAssignmentPage,
    state: Option<State>,
    elements: Mutex<Vec<Element>>,
}

impl std::fmt::Debug for SimLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimLibrary")
            .field("name", &self.identity.name)
            .field("page", &self.page)
            .field("state", &self.state)
            .finish()
    }
}

/// A SMC-3 answer for a move that cannot be done.
fn move_error(asc: u8, ascq: u8) -> SenseData {
    SenseData::fixed(SenseKey::IllegalRequest, asc, ascq).into()
}

impl SimLibrary {
    /// The medium transport element's address.
    pub const TRANSPORT: u16 = 0;
    /// The first data transfer element (drive).
    pub const FIRST_DRIVE: u16 = 256;
    /// The first import/export element.
    pub const FIRST_IMPORT_EXPORT: u16 = 768;
    /// The first storage element (slot).
    pub const FIRST_SLOT: u16 = 1024;

    /// Starts a library named `name`.
    pub fn builder(name: &str) -> LibraryBuilder {
        LibraryBuilder {
            name: name.to_string(),
            slots: 0,
            import_export: 0,
            drives: Vec::new(),
            tapes: Vec::new(),
            state: None,
        }
    }

    /// The address of slot `index` (from 0).
    pub fn slot_address(index: u16) -> u16 {
        SimLibrary::FIRST_SLOT.saturating_add(index)
    }

    /// The address of drive `index` (from 0).
    pub fn drive_address(index: u16) -> u16 {
        SimLibrary::FIRST_DRIVE.saturating_add(index)
    }

    /// Who the library says it is.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Its drives, in element address order.
    pub fn drives(&self) -> &[Arc<SimTapeDrive>] {
        &self.drives
    }

    /// Where every cartridge is: (element address, barcode), in address
    /// order.
    pub fn contents(&self) -> Vec<(u16, String)> {
        self.lock()
            .iter()
            .filter_map(|e| e.held.as_ref().map(|h| (e.address, h.barcode.clone())))
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Element>> {
        self.elements.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn build(b: LibraryBuilder) -> Result<Arc<SimLibrary>, SimError> {
        let config = |reason: String| SimError::Config {
            device: b.name.clone(),
            reason,
        };
        let max_drives = SimLibrary::FIRST_IMPORT_EXPORT - SimLibrary::FIRST_DRIVE;
        let max_ie = SimLibrary::FIRST_SLOT - SimLibrary::FIRST_IMPORT_EXPORT;
        let max_slots = u16::MAX - SimLibrary::FIRST_SLOT;
        if b.drives.len() > usize::from(max_drives) {
            return Err(config(format!("at most {max_drives} drives")));
        }
        if b.import_export > max_ie {
            return Err(config(format!("at most {max_ie} import/export elements")));
        }
        if b.slots > max_slots {
            return Err(config(format!("at most {max_slots} slots")));
        }
        let mut seen = HashSet::new();
        for (t, _) in &b.tapes {
            check_spec_barcode(&t.barcode).map_err(&config)?;
            if !seen.insert(t.barcode.clone()) {
                return Err(config(format!("two cartridges have barcode {}", t.barcode)));
            }
        }
        let page = ElementAddressAssignmentPage {
            ps: false,
            medium_transport_element_address: SimLibrary::TRANSPORT,
            number_of_medium_transport_elements: 1,
            first_storage_element_address: SimLibrary::FIRST_SLOT,
            number_of_storage_elements: b.slots,
            first_import_export_element_address: SimLibrary::FIRST_IMPORT_EXPORT,
            number_of_import_export_elements: b.import_export,
            first_data_transfer_element_address: SimLibrary::FIRST_DRIVE,
            number_of_data_transfer_elements: b.drives.len() as u16,
        };
        let mut elements = vec![Element {
            address: SimLibrary::TRANSPORT,
            kind: ElementType::MediumTransport,
            drive: None,
            held: None,
        }];
        elements.extend((0..b.drives.len()).map(|i| Element {
            address: SimLibrary::FIRST_DRIVE + i as u16,
            kind: ElementType::DataTransfer,
            drive: Some(i),
            held: None,
        }));
        elements.extend((0..b.import_export).map(|i| Element {
            address: SimLibrary::FIRST_IMPORT_EXPORT + i,
            kind: ElementType::ImportExport,
            drive: None,
            held: None,
        }));
        elements.extend((0..b.slots).map(|i| Element {
            address: SimLibrary::FIRST_SLOT + i,
            kind: ElementType::Storage,
            drive: None,
            held: None,
        }));
        let mut identity = Identity::new(&b.name, PeripheralDeviceType::MediumChanger, "SIMLIB");
        identity.removable = false;
        let state = match &b.state {
            None => None,
            Some(dir) => Some(open_state(dir, &b.name)?),
        };
        let lib = SimLibrary {
            identity,
            drives: b.drives,
            specs: b.tapes.iter().map(|(t, _)| t.clone()).collect(),
            page,
            state,
            elements: Mutex::new(elements),
        };
        if let Some(st) = &lib.state {
            for spec in &lib.specs {
                ensure_tape_file(&st.dir, spec)?;
            }
            // Before the map loads cartridges into them: the drives get
            // back their mode, and the positions to resume.
            for d in &lib.drives {
                d.keep_state(&drive_state_path(&st.dir, &d.identity().name)?)?;
            }
        }
        {
            let mut els = lib.lock();
            let mut placed = HashSet::new();
            if let Some(map) = lib.load_map()? {
                lib.place_saved(&mut els, map, &mut placed)?;
            }
            for (spec, slot) in &b.tapes {
                if placed.contains(&spec.barcode) {
                    continue;
                }
                lib.place_configured(&mut els, spec, *slot)?;
            }
            if lib.state.is_some() {
                lib.save(&els)?;
            }
        }
        Ok(Arc::new(lib))
    }

    fn map_path(&self) -> Option<PathBuf> {
        self.state
            .as_ref()
            .map(|s| s.dir.join(format!("{}.elements.json", self.identity.name)))
    }

    fn tape_path(&self, barcode: &str) -> Option<PathBuf> {
        self.state
            .as_ref()
            .map(|s| s.dir.join("tapes").join(format!("{barcode}.tape")))
    }

    fn spec(&self, barcode: &str) -> Option<&TapeSpec> {
        self.specs.iter().find(|s| s.barcode == barcode)
    }

    fn load_map(&self) -> Result<Option<SavedMap>, SimError> {
        let Some(path) = self.map_path() else {
            return Ok(None);
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(state_error(
                    &path,
                    format!("cannot read the element map: {e}"),
                ))
            }
        };
        let map: SavedMap = serde_json::from_str(&text).map_err(|e| {
            state_error(
                &path,
                format!("line {}, column {}: {e}", e.line(), e.column()),
            )
        })?;
        if map.format != 1 {
            return Err(state_error(
                &path,
                format!(
                    "element map format {} is not supported (only 1)",
                    map.format
                ),
            ));
        }
        Ok(Some(map))
    }

    /// Places the cartridges of a saved map, loading those in drives.
    fn place_saved(
        &self,
        els: &mut [Element],
        map: SavedMap,
        placed: &mut HashSet<String>,
    ) -> Result<(), SimError> {
        let path = self.map_path().unwrap_or_default();
        for saved in map.elements {
            let bad = |r: String| state_error(&path, r);
            check_spec_barcode(&saved.barcode).map_err(bad)?;
            if !placed.insert(saved.barcode.clone()) {
                return Err(bad(format!("barcode {} is in two elements", saved.barcode)));
            }
            let Some(e) = els
                .iter_mut()
                .find(|e| e.address == saved.address && e.kind != ElementType::MediumTransport)
            else {
                return Err(bad(format!(
                    "{} is in element {}, which this library does not have",
                    saved.barcode, saved.address
                )));
            };
            let tape = self.tape_path(&saved.barcode).unwrap_or_default();
            if self.spec(&saved.barcode).is_none() && !tape.exists() {
                return Err(bad(format!(
                    "{} is neither configured nor in {}",
                    saved.barcode,
                    tape.display()
                )));
            }
            let mut held = Held {
                barcode: saved.barcode,
                source: saved.source,
                rest: Some(AtRest::File),
            };
            if let Some(i) = e.drive {
                // It stayed in the drive: resumed where the drive was.
                let cart = self.open_cartridge(&held.barcode)?;
                if let Some(prev) = self.drives[i].resume(cart) {
                    return Err(bad(format!(
                        "drive {} already holds cartridge {}",
                        self.drives[i].identity().name,
                        prev.barcode()
                    )));
                }
                held.rest = None;
            }
            e.held = Some(held);
        }
        Ok(())
    }

    /// Places a configured cartridge the map did not name.
    fn place_configured(
        &self,
        els: &mut [Element],
        spec: &TapeSpec,
        slot: Option<u16>,
    ) -> Result<(), SimError> {
        let rest = match self.tape_path(&spec.barcode) {
            None => AtRest::Memory(
                Cartridge::memory(&spec.barcode, spec.capacity, spec.early_warning)
                    .write_protected(spec.write_protected),
            ),
            Some(_) => AtRest::File,
        };
        let wanted = slot.map(SimLibrary::slot_address);
        let target = wanted
            .and_then(|a| {
                els.iter().position(|e| {
                    e.address == a && e.kind == ElementType::Storage && e.held.is_none()
                })
            })
            .or_else(|| {
                els.iter()
                    .position(|e| e.kind == ElementType::Storage && e.held.is_none())
            })
            .ok_or_else(|| SimError::Config {
                device: self.identity.name.clone(),
                reason: format!("no free slot for cartridge {}", spec.barcode),
            })?;
        let e = &mut els[target];
        e.held = Some(Held {
            barcode: spec.barcode.clone(),
            source: Some(e.address),
            rest: Some(rest),
        });
        Ok(())
    }

    /// Opens a file-backed cartridge to load it.
    fn open_cartridge(&self, barcode: &str) -> Result<Cartridge, SimError> {
        let path = self.tape_path(barcode).unwrap_or_default();
        match self.spec(barcode) {
            Some(s) => Ok(
                Cartridge::open(&path, barcode, s.capacity, s.early_warning)?
                    .write_protected(s.write_protected),
            ),
            None => Cartridge::open_existing(&path),
        }
    }

    /// Writes the element map: a temporary file, fsync, rename.
    fn save(&self, els: &[Element]) -> Result<(), SimError> {
        let Some(path) = self.map_path() else {
            return Ok(());
        };
        let map = SavedMap {
            format: 1,
            library: self.identity.name.clone(),
            elements: els
                .iter()
                .filter_map(|e| {
                    e.held.as_ref().map(|h| SavedElement {
                        address: e.address,
                        barcode: h.barcode.clone(),
                        source: h.source,
                    })
                })
                .collect(),
        };
        let tmp = path.with_extension("json.tmp");
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            let text = serde_json::to_string_pretty(&map).map_err(std::io::Error::other)?;
            f.write_all(text.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| state_error(&path, format!("cannot save the element map: {e}")))
    }

    /// Moves the cartridge at `source` to `destination` as MOVE MEDIUM
    /// does (no fault is consulted here); the sense on failure.
    pub fn move_medium(&self, source: u16, destination: u16) -> Result<(), SenseData> {
        let mut els = self.lock();
        let find = |a: u16| {
            els.iter()
                .position(|e| e.address == a && e.kind != ElementType::MediumTransport)
        };
        let (Some(s), Some(d)) = (find(source), find(destination)) else {
            return Err(move_error(0x21, 0x01));
        };
        if els[s].held.is_none() {
            return Err(move_error(0x3b, 0x0e));
        }
        let dest_drive = els[d].drive.map(|i| &self.drives[i]);
        if els[d].held.is_some() || dest_drive.is_some_and(|dr| dr.loaded_barcode().is_some()) {
            return Err(move_error(0x3b, 0x0d));
        }
        let internal =
            || -> SenseData { SenseData::fixed(SenseKey::HardwareError, 0x44, 0x00).into() };
        let Some(mut held) = els[s].held.take() else {
            return Err(move_error(0x3b, 0x0e));
        };
        // Out of a drive: unload it.
        if let Some(i) = els[s].drive {
            match self.drives[i].unload() {
                Some(cart) => {
                    held.rest = Some(match self.state {
                        Some(_) => {
                            drop(cart);
                            AtRest::File
                        }
                        None => AtRest::Memory(cart),
                    });
                }
                None => {
                    log::warn!(
                        "{}: drive {} was empty though {} was in it",
                        self.identity.name,
                        self.drives[i].identity().name,
                        held.barcode
                    );
                    els[s].held = Some(held);
                    return Err(internal());
                }
            }
        }
        // Into a drive: load it.
        if let Some(i) = els[d].drive {
            let cart = match held.rest.take() {
                Some(AtRest::Memory(c)) => Ok(c),
                Some(AtRest::File) | None => self.open_cartridge(&held.barcode),
            };
            match cart {
                Ok(c) => {
                    let _ = self.drives[i].load(c);
                }
                Err(e) => {
                    log::warn!("{}: cannot load {}: {e}", self.identity.name, held.barcode);
                    held.rest = Some(AtRest::File);
                    // Back where it was: into the source drive if it came
                    // out of one.
                    if let Some(si) = els[s].drive {
                        match self.open_cartridge(&held.barcode) {
                            Ok(c) => {
                                let _ = self.drives[si].load(c);
                                held.rest = None;
                            }
                            Err(e) => log::warn!("{}: {e}", self.identity.name),
                        }
                    }
                    els[s].held = Some(held);
                    return Err(internal());
                }
            }
        }
        if matches!(
            els[s].kind,
            ElementType::Storage | ElementType::ImportExport
        ) {
            held.source = Some(els[s].address);
        }
        els[d].held = Some(held);
        if let Err(e) = self.save(&els) {
            log::warn!("{}: {e}", self.identity.name);
            return Err(internal());
        }
        Ok(())
    }

    fn move_command(&self, c: &MoveMediumCdb) -> Completion {
        if c.invert {
            return invalid_cdb_field(10, Some(0));
        }
        if c.transport_element_address != SimLibrary::TRANSPORT {
            return check(SenseKey::IllegalRequest, 0x21, 0x01);
        }
        match self.move_medium(c.source_address, c.destination_address) {
            Ok(()) => Completion::good(0),
            Err(s) => check_sense(s),
        }
    }

    fn read_element_status(&self, c: &ReadElementStatusCdb, data: DataDirection<'_>) -> Completion {
        if let ElementType::Unknown(_) = c.element_type {
            return invalid_cdb_field(1, Some(3));
        }
        let els = self.lock();
        let chosen: Vec<&Element> = els
            .iter()
            .filter(|e| c.element_type == ElementType::All || e.kind == c.element_type)
            .filter(|e| e.address >= c.starting_element_address)
            .take(usize::from(c.number_of_elements))
            .collect();
        let mut pages: Vec<(ElementType, Vec<ElementDescriptor>)> = Vec::new();
        for e in chosen {
            let d = self.descriptor(e, c.voltag, c.dvcid);
            match pages.last_mut() {
                Some((t, ds)) if *t == e.kind => ds.push(d),
                _ => pages.push((e.kind, vec![d])),
            }
        }
        let answer = pages
            .into_iter()
            .map(|(t, ds)| ElementStatusPage::new(t, c.voltag, false, ds))
            .collect::<Result<Vec<_>, _>>()
            .and_then(ElementStatusData::from_pages)
            .and_then(|d| d.to_vec());
        match answer {
            Ok(b) => {
                let n = usize::try_from(c.allocation_length).unwrap_or(usize::MAX);
                data_in(data, &b[..b.len().min(n)])
            }
            Err(e) => {
                log::warn!("{}: READ ELEMENT STATUS: {e}", self.identity.name);
                check(SenseKey::HardwareError, 0x44, 0x00)
            }
        }
    }

    fn descriptor(&self, e: &Element, voltag: bool, dvcid: bool) -> ElementDescriptor {
        let mut d = ElementDescriptor::new(e.address);
        let mut flags = match e.kind {
            ElementType::MediumTransport => ElementFlags::empty(),
            ElementType::ImportExport => {
                ElementFlags::ACCESS | ElementFlags::INENAB | ElementFlags::EXENAB
            }
            _ => ElementFlags::ACCESS,
        };
        if let Some(h) = &e.held {
            flags |= ElementFlags::FULL;
            d.medium_type = MediumType::Data;
            if let Some(src) = h.source {
                d.svalid = true;
                d.source_storage_element_address = src;
            }
        }
        d.flags = flags;
        if voltag {
            let id = e.held.as_ref().map_or("", |h| h.barcode.as_str());
            // Barcodes were checked when placed; a blank tag otherwise.
            d.primary_volume_tag = VolumeTag::from_identifier(id)
                .or_else(|_| VolumeTag::from_identifier(""))
                .ok();
        }
        if dvcid {
            if let Some(i) = e.drive {
                d.identification = Some(DeviceIdentification {
                    protocol_identifier: 0,
                    code_set: 1,
                    piv: false,
                    association: 0,
                    identifier_type: 3,
                    identifier: self.drives[i].identity().naa.clone(),
                });
            }
        }
        d
    }

    fn mode_sense(&self, c: &ModeSense6Cdb, data: DataDirection<'_>) -> Completion {
        if !c.asks_for_page(ElementAddressAssignmentPage::PAGE_CODE) {
            return invalid_cdb_field(2, Some(5));
        }
        if !c.asks_for_page_0_format() {
            return invalid_cdb_field(3, None);
        }
        let page = match c.page_control {
            PageControl::Saved => return check(SenseKey::IllegalRequest, 0x39, 0x00),
            PageControl::Changeable => ElementAddressAssignmentPage::default(),
            PageControl::Current | PageControl::Default => self.page,
        };
        let list = ModeParameterList6 {
            kind: ModeListKind::Sense,
            medium_type: 0,
            device_specific: 0,
            block_descriptors: Vec::new(),
            pages: vec![page.to_mode_page()],
        };
        match list.to_vec() {
            Ok(b) => data_in(data, &b[..b.len().min(usize::from(c.allocation_length))]),
            Err(_) => check(SenseKey::HardwareError, 0x44, 0x00),
        }
    }
}

/// Whether `name` can name a file in the state directory: 1 to 32
/// printable ASCII characters, no spaces or `/`, not `.` or `..`.
fn usable_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'/')
        && name != "."
        && name != ".."
}

/// Barcodes also name files: no spaces, no `/`, not `.` or `..`.
fn check_spec_barcode(barcode: &str) -> Result<(), String> {
    if usable_file_name(barcode) {
        Ok(())
    } else {
        Err(format!(
            "barcode {barcode:?} must be 1 to 32 printable ASCII characters, \
             without spaces or '/'"
        ))
    }
}

/// Creates the file of a configured cartridge (blank) if it is missing, or
/// checks that the one there is that cartridge.
fn ensure_tape_file(dir: &Path, spec: &TapeSpec) -> Result<(), SimError> {
    let path = dir.join("tapes").join(format!("{}.tape", spec.barcode));
    if !path.exists() {
        // Created, then closed: opened again when loaded.
        drop(Cartridge::open(
            &path,
            &spec.barcode,
            spec.capacity,
            spec.early_warning,
        )?);
        return Ok(());
    }
    let label = Cartridge::read_label(&path)?;
    let have = (label.barcode.as_str(), label.capacity, label.early_warning);
    let want = (spec.barcode.as_str(), spec.capacity, spec.early_warning);
    if have != want {
        return Err(state_error(
            &path,
            format!(
                "the cartridge file is {} with capacity {} and early warning {} but the \
                 configuration says {} with {} and {}; fix the configuration or move the \
                 file away",
                have.0, have.1, have.2, want.0, want.1, want.2
            ),
        ));
    }
    Ok(())
}

/// Where drive `name` keeps its state: `<state>/drives/<name>.json`.
fn drive_state_path(dir: &Path, name: &str) -> Result<PathBuf, SimError> {
    let drives = dir.join("drives");
    if !usable_file_name(name) {
        return Err(state_error(
            &drives,
            format!(
                "drive {name:?} cannot name its state file: give it a name of 1 to 32 \
                 printable ASCII characters without spaces or '/'"
            ),
        ));
    }
    Ok(drives.join(format!("{name}.json")))
}

/// Creates the state directory and takes the library's lock.
fn open_state(dir: &Path, name: &str) -> Result<State, SimError> {
    for sub in ["tapes", "drives"] {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d)
            .map_err(|e| state_error(&d, format!("cannot create the state directory: {e}")))?;
    }
    let path = dir.join(format!("{name}.lock"));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| state_error(&path, format!("cannot open the lock file: {e}")))?;
    let lock = Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
        state_error(
            &path,
            format!(
                "library {name} is in use by another process ({errno}); \
                 one process at a time serves a simulated library's state"
            ),
        )
    })?;
    Ok(State {
        dir: dir.to_path_buf(),
        _lock: lock,
    })
}

impl Lu for SimLibrary {
    fn name(&self) -> &str {
        &self.identity.name
    }

    fn designators(&self) -> Vec<Designator> {
        self.identity.designators()
    }

    fn command(&self, _fabric: &Fabric, cdb: &[u8], data: DataDirection<'_>) -> Completion {
        let Some(&opcode) = cdb.first() else {
            return invalid_opcode();
        };
        match opcode {
            ReadElementStatusCdb::OPCODE => match ReadElementStatusCdb::parse(cdb) {
                Ok(c) => self.read_element_status(&c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            MoveMediumCdb::OPCODE => match MoveMediumCdb::parse(cdb) {
                Ok(c) => self.move_command(&c),
                Err(_) => invalid_cdb_field(0, None),
            },
            ModeSense6Cdb::OPCODE => match ModeSense6Cdb::parse(cdb) {
                Ok(c) => self.mode_sense(&c, data),
                Err(_) => invalid_cdb_field(0, None),
            },
            INITIALIZE_ELEMENT_STATUS if cdb.len() >= CDB6_LEN => Completion::good(0),
            INITIALIZE_ELEMENT_STATUS => invalid_cdb_field(0, None),
            _ => handle_common(&self.identity, cdb, data, None).unwrap_or_else(invalid_opcode),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(slots: u16) -> Arc<SimLibrary> {
        SimLibrary::builder("lib")
            .slots(slots)
            .drive(SimTapeDrive::new("d0"))
            .tape(TapeSpec::new("A1", 1 << 20, 0))
            .tape_in_slot(TapeSpec::new("A2", 1 << 20, 0), 3)
            .build()
            .unwrap()
    }

    #[test]
    fn configured_placement_and_moves() {
        let l = lib(4);
        assert_eq!(l.contents(), [(1024, "A1".into()), (1027, "A2".into())]);
        l.move_medium(1027, 256).unwrap();
        assert_eq!(l.drives()[0].loaded_barcode().as_deref(), Some("A2"));
        assert_eq!(l.move_medium(1025, 1026), Err(move_error(0x3b, 0x0e)));
        assert_eq!(l.move_medium(1024, 256), Err(move_error(0x3b, 0x0d)));
        assert_eq!(l.move_medium(1024, 0), Err(move_error(0x21, 0x01)));
        assert_eq!(l.move_medium(1024, 1028), Err(move_error(0x21, 0x01)));
        l.move_medium(256, 1025).unwrap();
        assert_eq!(l.drives()[0].loaded_barcode(), None);
        assert_eq!(l.contents(), [(1024, "A1".into()), (1025, "A2".into())]);
    }

    #[test]
    fn refuses_bad_configurations() {
        let full = SimLibrary::builder("l")
            .slots(1)
            .tape(TapeSpec::new("A", 1, 0))
            .tape(TapeSpec::new("B", 1, 0))
            .build()
            .unwrap_err();
        assert!(
            full.to_string().contains("no free slot for cartridge B"),
            "{full}"
        );
        let twice = SimLibrary::builder("l")
            .slots(2)
            .tape(TapeSpec::new("A", 1, 0))
            .tape(TapeSpec::new("A", 1, 0))
            .build()
            .unwrap_err();
        assert!(twice.to_string().contains("two cartridges"), "{twice}");
        assert!(check_spec_barcode("../x").is_err());
        assert!(check_spec_barcode("..").is_err());
        assert!(check_spec_barcode("TAPE01L6").is_ok());
    }
}
