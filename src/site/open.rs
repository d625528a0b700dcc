//! Opening a site's devices by name: a simulated one from the site's
//! fabric, a real one (`[[real]]`, by path or by NAA designator) over
//! SG_IO — every one behind the site's fault plan, so a `[[fault]]`
//! strikes a real LIO LUN exactly as it strikes a simulated disk.

use std::path::PathBuf;
use std::sync::Arc;

use super::{Kind, Site, SiteError};
use crate::sim::Fabric;
use crate::transport::discover::find_by_designator;
use crate::transport::fault::FaultInjector;
use crate::transport::{OpenFailed, Opener, SgTransport, Transport, TransportError};

/// A site file, loaded and built: its description and its simulated
/// fabric (whose fault plan also stands in front of its real devices).
pub struct Loaded {
    /// The description.
    pub site: Site,
    /// The simulated devices, and the fault plan (empty when they are
    /// reached through a SAN server: see [`Loaded::through_san`]).
    pub fabric: Arc<Fabric>,
    /// The socket of the server that holds the simulated devices, when
    /// this process is one of several hosts sharing them.
    pub san: Option<std::path::PathBuf>,
}

/// Why a device of a site cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The name is a switch.
    #[error("{name} is a switch in {}, not a device", file.display())]
    Switch {
        /// The name.
        name: String,
        /// The site file.
        file: PathBuf,
    },
    /// No device of the site has that name, and it is no path either.
    #[error("{name} is not a device of {} (it has: {}); give one of those names or a /dev path", file.display(), known.join(", "))]
    Unknown {
        /// The name.
        name: String,
        /// The site file.
        file: PathBuf,
        /// The device names the site has.
        known: Vec<String>,
    },
    /// A `[[real]]` device named by designator was not found.
    #[error(
        "{name}: no /dev/sg* device has the designator 0x{designator} (see `segcopy devices`)"
    )]
    NoSuchDesignator {
        /// The name.
        name: String,
        /// The designator asked for, in hex.
        designator: String,
    },
    /// A `[[real]]` device's path leads to another logical unit than its
    /// NAA designator names.
    #[error("{name}: {path} is the unit with designator 0x{found}, not 0x{want} as the site file says (devices renumbered after a reboot?); fix path in the site file (see `segcopy devices`), or leave path out to find the unit by its designator")]
    WrongDevice {
        /// The name.
        name: String,
        /// The path.
        path: String,
        /// The designator the site file gives.
        want: String,
        /// The designator the device answers with.
        found: String,
    },
    /// A `[[real]]` device could not be asked its designator.
    #[error("{name}: {path} could not be asked its designator, to check it is the unit the site file names: {why}")]
    Probe {
        /// The name.
        name: String,
        /// The path.
        path: String,
        /// Why.
        why: String,
    },
    /// Opening the device failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl Loaded {
    /// Reads, checks and builds a site file.
    pub fn load(path: &std::path::Path) -> Result<Loaded, SiteError> {
        let site = Site::load(path)?;
        let fabric = site.build_fabric()?;
        Ok(Loaded {
            site,
            fabric,
            san: None,
        })
    }

    /// Reads and checks a site file whose simulated devices another
    /// process serves on the Unix socket `socket` (`segcopy serve --fabric
    /// unix`): they are opened through it, and nothing of their state is
    /// touched here ([`crate::transport::san`]). Real devices are opened
    /// as always.
    pub fn through_san(
        path: &std::path::Path,
        socket: &std::path::Path,
    ) -> Result<Loaded, SiteError> {
        let site = Site::load(path)?;
        // No simulated device here; the plan is for the `[[real]]` ones
        // (the server applies it to its own).
        let fabric = Arc::new(Fabric::with_faults(Arc::new(site.fault_plan()?)));
        Ok(Loaded {
            site,
            fabric,
            san: Some(socket.to_path_buf()),
        })
    }

    /// Opens `name`, a device of the site or a `/dev` path, behind the
    /// site's fault plan (a path's faults are those of a `[[real]]` entry
    /// with that path, if any).
    pub fn open(&self, name: &str) -> Result<Box<dyn Transport>, OpenError> {
        let plan = self.fabric.fault_plan();
        match self.site.kind_of(name) {
            Some(Kind::Switch) => Err(OpenError::Switch {
                name: name.to_string(),
                file: self.site.path.clone(),
            }),
            Some(Kind::Real) => {
                let path = self.real_path(name)?;
                let t = SgTransport::open(&path)?;
                self.check_designator(name, &path, &t)?;
                Ok(Box::new(FaultInjector::new(t, plan, name)))
            }
            Some(_) => match (&self.san, self.fabric.transport(name)) {
                (Some(socket), _) => Ok(Box::new(crate::transport::san::SanTransport::open(
                    socket, name,
                )?)),
                (None, Some(t)) => Ok(Box::new(t)),
                (None, None) => Err(OpenError::Unknown {
                    name: name.to_string(),
                    file: self.site.path.clone(),
                    known: self.site.device_names(),
                }),
            },
            None if name.starts_with('/') => {
                let t = SgTransport::open(name)?;
                let key = self
                    .site
                    .real
                    .iter()
                    .find(|r| r.path.as_ref().is_some_and(|p| p.get_ref() == name))
                    .map_or(name, |r| r.name.get_ref().as_str());
                Ok(Box::new(FaultInjector::new(t, plan, key)))
            }
            None => Err(OpenError::Unknown {
                name: name.to_string(),
                file: self.site.path.clone(),
                known: self.site.device_names(),
            }),
        }
    }

    /// A `[[real]]` device named by path and NAA designator both must
    /// answer with that designator: after a reboot the kernel may number
    /// the devices otherwise, and the path then leads to another logical
    /// unit — a backup must not read, nor a restore write, the wrong one.
    fn check_designator(&self, name: &str, path: &str, t: &dyn Transport) -> Result<(), OpenError> {
        let Some(r) = self.site.real.iter().find(|r| r.name.get_ref() == name) else {
            return Ok(());
        };
        let (Some(_), Some(naa)) = (&r.path, &r.naa) else {
            return Ok(());
        };
        let want = naa.get_ref().trim_start_matches("0x").to_ascii_lowercase();
        let scsi = crate::transport::commands::Scsi::new(t);
        let found = crate::transport::discover::Identity::probe(&scsi)
            .map_err(|e| OpenError::Probe {
                name: name.to_string(),
                path: path.to_string(),
                why: e.to_string(),
            })?
            .cscd_designator()
            .map(|d| hex::encode(&d.value));
        if found.as_deref() == Some(want.as_str()) {
            return Ok(());
        }
        Err(OpenError::WrongDevice {
            name: name.to_string(),
            path: path.to_string(),
            want,
            found: found.unwrap_or_else(|| "none".into()),
        })
    }

    /// The /dev path of the `[[real]]` device `name`.
    fn real_path(&self, name: &str) -> Result<String, OpenError> {
        let unknown = || OpenError::Unknown {
            name: name.to_string(),
            file: self.site.path.clone(),
            known: self.site.device_names(),
        };
        let r = self
            .site
            .real
            .iter()
            .find(|r| r.name.get_ref() == name)
            .ok_or_else(unknown)?;
        if let Some(p) = &r.path {
            return Ok(p.get_ref().clone());
        }
        let want = r.naa.as_ref().map(|n| n.get_ref().as_str()).unwrap_or("");
        find_by_designator(want)
            .and_then(|p| p.to_str().map(str::to_string))
            .ok_or_else(|| OpenError::NoSuchDesignator {
                name: name.to_string(),
                designator: want.trim_start_matches("0x").to_ascii_lowercase(),
            })
    }
}

impl Opener for Loaded {
    fn open(&self, name: &str) -> Result<Box<dyn Transport>, OpenFailed> {
        Loaded::open(self, name).map_err(|e| OpenFailed(e.to_string()))
    }

    fn device_path(&self, name: &str) -> Option<String> {
        match self.site.kind_of(name) {
            Some(Kind::Real) => self.real_path(name).ok(),
            None if name.starts_with('/') => Some(name.to_string()),
            _ => None,
        }
    }
}
