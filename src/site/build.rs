//! From a checked [`Site`] to the simulator: the fault plan and (once the
//! devices exist) the fabric.

use super::{FaultSpec, Site, SiteError};
use crate::transport::fault::{Effect, Fault, FaultPlan, Lie, Trigger};
use crate::wire::sense::{SenseData, SenseKey};

/// The effect of fault `i`, checked.
pub(crate) fn effect(site: &Site, i: usize, f: &FaultSpec) -> Result<Effect, SiteError> {
    let e = f.effect.get_ref().as_str();
    let bad = |field: &str, msg: String| {
        site.error_at(f.effect.span(), format!("fault[{i}].{field}"), msg)
    };
    Ok(match e {
        "sense" => {
            let Some(s) = &f.sense else {
                return Err(bad("sense", "effect = \"sense\" needs sense = \"KEY/ASC/ASCQ\" in hex, e.g. \"0a/0d/01\"".into()));
            };
            let parts: Vec<Result<u8, _>> = s.get_ref().split('/').map(|p| u8::from_str_radix(p.trim(), 16)).collect();
            match parts.as_slice() {
                [Ok(k), Ok(a), Ok(q)] if *k <= 0x0f => Effect::Sense(SenseData::fixed(SenseKey::from_bits(*k), *a, *q).into()),
                _ => {
                    return Err(site.error_at(
                        s.span(),
                        format!("fault[{i}].sense"),
                        format!("{:?} is not KEY/ASC/ASCQ in hex (e.g. \"0a/0d/01\")", s.get_ref()),
                    ))
                }
            }
        }
        "hang" => Effect::Hang,
        "gone" => Effect::Gone,
        "medium-error" => Effect::MediumError,
        "end-of-medium" => Effect::EndOfMedium,
        "cannot-move" => Effect::CannotMove,
        "lie" => {
            let kinds = Lie::NAMES.join(", ");
            let Some(l) = &f.lie else {
                return Err(bad("lie", format!("effect = \"lie\" needs lie = \"KIND\", one of {kinds}")));
            };
            match Lie::from_name(l.get_ref()) {
                Some(lie) => Effect::Lie(lie),
                None => {
                    return Err(site.error_at(
                        l.span(),
                        format!("fault[{i}].lie"),
                        format!("{:?} is not a lie segcopy can make a device tell: use one of {kinds}", l.get_ref()),
                    ))
                }
            }
        }
        other => {
            return Err(bad(
                "effect",
                format!("{other:?} is not an effect: use sense, hang, gone, medium-error, end-of-medium, cannot-move or lie"),
            ))
        }
    })
}

impl Site {
    /// The site's fault plan.
    pub fn fault_plan(&self) -> Result<FaultPlan, SiteError> {
        let mut faults = Vec::new();
        for (i, f) in self.fault.iter().enumerate() {
            let trigger = if let Some(n) = f.command {
                Trigger::Command(n)
            } else if let Some(k) = f.segment {
                Trigger::Segment(k)
            } else if let Some(b) = f.after_bytes {
                Trigger::AfterBytes(b.0)
            } else if let Some(b) = f.tape_block {
                Trigger::TapeBlock(b)
            } else if let Some(p) = f.per_million {
                Trigger::Random {
                    per_million: p,
                    seed: f.seed.unwrap_or(0),
                }
            } else {
                Trigger::Always
            };
            faults.push(Fault {
                device: f.device.get_ref().clone(),
                trigger,
                effect: effect(self, i, f)?,
                times: match f.times {
                    None => Some(1),
                    Some(0) => None,
                    Some(n) => Some(n),
                },
            });
        }
        Ok(FaultPlan::new(faults))
    }
}

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{Backing, LimitsSpec, ProfileName};
use crate::sim::cm::{CopyManager, Profile};
use crate::sim::disk::{self, SimDisk};
use crate::sim::library::{SimLibrary, TapeSpec};
use crate::sim::tape::SimTapeDrive;
use crate::sim::{Fabric, SimError};

/// Default capacity of a simulated cartridge.
pub const DEFAULT_CARTRIDGE_CAPACITY: u64 = 1 << 30;
/// Default early-warning size before the end of a cartridge.
pub const DEFAULT_EARLY_WARNING: u64 = 16 << 20;

fn profile(name: Option<ProfileName>, limits: Option<&LimitsSpec>) -> Profile {
    let mut p = match name {
        Some(ProfileName::Lio) => Profile::lio(),
        Some(ProfileName::Standard) | None => Profile::standard(),
    };
    if let Some(l) = limits {
        let o = &mut p.limits;
        if let Some(v) = l.max_cscd_descriptors {
            o.max_cscd_descriptors = v;
        }
        if let Some(v) = l.max_segment_descriptors {
            o.max_segment_descriptors = v;
        }
        if let Some(v) = l.max_descriptor_list_length {
            o.max_descriptor_list_length = v;
        }
        if let Some(v) = l.max_segment_length {
            o.max_segment_length = u32::try_from(v.0).unwrap_or(u32::MAX);
        }
        if let Some(v) = l.max_inline_data_length {
            o.max_inline_data_length = u32::try_from(v.0).unwrap_or(u32::MAX);
        }
        if let Some(v) = l.max_stream_device_transfer_size {
            o.max_stream_device_transfer_size = u32::try_from(v.0).unwrap_or(u32::MAX);
        }
        if let Some(v) = &l.data_segment_granularity {
            // A power of two (checked on load): its log2.
            o.data_segment_granularity_log2 = v.get_ref().0.trailing_zeros().min(31) as u8;
        }
    }
    p
}

impl Site {
    fn sim_error(&self, span: std::ops::Range<usize>, field: &str, e: SimError) -> SiteError {
        self.error_at(span, field.to_string(), e.to_string())
    }

    fn state_subdir(&self, sub: &str) -> Result<Option<PathBuf>, SiteError> {
        let Some(dir) = self.state_dir() else {
            return Ok(None);
        };
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).map_err(|e| SiteError {
            file: self.path.clone(),
            line: 0,
            field: "site.state_dir".into(),
            message: format!("cannot create {}: {e}", d.display()),
        })?;
        Ok(Some(d))
    }

    /// Builds the simulated part of the site: every disk, copy manager,
    /// drive and library, their links, and the fault plan. Disks, cartridges
    /// and library state live in the state directory (and survive the
    /// process) unless it is `"memory"`.
    pub fn build_fabric(&self) -> Result<Arc<Fabric>, SiteError> {
        let faults = Arc::new(self.fault_plan()?);
        let mut fabric = Fabric::with_faults(faults);
        let disks_dir = if self.disk.is_empty() {
            None
        } else {
            self.state_subdir("disks")?
        };
        for d in &self.disk {
            let name = d.name.get_ref();
            let bs = *d.block_size.get_ref();
            let backing = match (d.backing, &disks_dir) {
                (Some(Backing::Memory), _) | (None, None) => disk::Backing::Memory,
                (Some(Backing::File), None) => {
                    return Err(self.error_at(
                        d.name.span(),
                        "disk.backing".into(),
                        format!("{name:?} is file-backed but the site keeps no state (state_dir = \"memory\"); use backing = \"memory\" or give a state_dir"),
                    ))
                }
                (_, Some(dir)) => disk::Backing::File(dir.join(format!("{name}.img"))),
            };
            let blocks = d.capacity.get_ref().0 / u64::from(bs);
            let sim = SimDisk::new(name, bs, blocks, backing)
                .map_err(|e| self.sim_error(d.name.span(), "disk", e))?;
            let lu: Arc<dyn crate::sim::Lu> = match d.copy_manager {
                Some(p) => {
                    let id = sim.identity().clone();
                    CopyManager::on_disk(sim, id, profile(Some(p), None))
                }
                None => sim,
            };
            fabric
                .add(lu)
                .map_err(|e| self.sim_error(d.name.span(), "disk.name", e))?;
        }
        for c in &self.copy_manager {
            let mut p = profile(c.profile, c.limits.as_ref());
            p.move_data = c.move_data;
            let cm = CopyManager::standalone(c.name.get_ref(), p);
            fabric
                .add(cm)
                .map_err(|e| self.sim_error(c.name.span(), "copy_manager.name", e))?;
        }
        let mut drives: HashMap<String, Arc<SimTapeDrive>> = HashMap::new();
        for d in &self.drive {
            let drive = SimTapeDrive::new(d.name.get_ref());
            drives.insert(d.name.get_ref().clone(), Arc::clone(&drive));
            fabric
                .add(drive)
                .map_err(|e| self.sim_error(d.name.span(), "drive.name", e))?;
        }
        for l in &self.library {
            let name = l.name.get_ref();
            let slots = u16::try_from(*l.slots.get_ref()).map_err(|_| {
                self.error_at(
                    l.slots.span(),
                    "library.slots".into(),
                    "at most 65,535 slots".into(),
                )
            })?;
            let mut b = SimLibrary::builder(name).slots(slots);
            for dr in &l.drives {
                if let Some(d) = drives.get(dr.get_ref()) {
                    b = b.drive(Arc::clone(d));
                }
            }
            let cap = l
                .cartridge_capacity
                .map_or(DEFAULT_CARTRIDGE_CAPACITY, |s| s.0);
            let ew = l
                .early_warning
                .map_or(DEFAULT_EARLY_WARNING.min(cap / 8), |s| s.0);
            for c in &l.cartridges {
                let slot = (*c.slot.get_ref() - 1) as u16; // checked 1..=slots on load
                b = b.tape_in_slot(TapeSpec::new(c.barcode.get_ref(), cap, ew), slot);
            }
            if let Some(dir) = self.state_subdir(&format!("libraries/{name}"))? {
                b = b.state_dir(dir);
            }
            let lib = b
                .build()
                .map_err(|e| self.sim_error(l.name.span(), "library", e))?;
            fabric
                .add(lib)
                .map_err(|e| self.sim_error(l.name.span(), "library.name", e))?;
        }
        let linked = self
            .disk
            .iter()
            .map(|d| (&d.name, &d.links))
            .chain(self.copy_manager.iter().map(|d| (&d.name, &d.links)))
            .chain(self.library.iter().map(|d| (&d.name, &d.links)))
            .chain(self.drive.iter().map(|d| (&d.name, &d.links)))
            .chain(self.switch.iter().map(|d| (&d.name, &d.links)))
            .chain(self.real.iter().map(|d| (&d.name, &d.links)));
        for (name, links) in linked {
            for l in links {
                fabric.link(name.get_ref(), l.get_ref());
            }
        }
        Ok(Arc::new(fabric))
    }
}
