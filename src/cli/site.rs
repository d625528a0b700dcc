//! `--site FILE`: the site a command's device names come from.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use segcopy::sim::Fabric;
use segcopy::site::{Kind, Site};
use segcopy::transport::discover::scan_sg;
use segcopy::transport::{SgTransport, Transport};

use super::{exit, Failed};

/// A loaded site and its simulated fabric.
pub struct SiteCtx {
    /// The site description.
    pub site: Site,
    /// Its simulated devices.
    pub fabric: Arc<Fabric>,
}

static SITE: OnceLock<SiteCtx> = OnceLock::new();

/// Loads and builds a site file.
pub fn load(path: &Path) -> Result<SiteCtx, Failed> {
    let site = Site::load(path).map_err(|e| Failed::new(exit::SYNTAX, e.to_string()))?;
    let fabric = site
        .build_fabric()
        .map_err(|e| Failed::new(exit::SYNTAX, e.to_string()))?;
    Ok(SiteCtx { site, fabric })
}

/// Makes `ctx` the site of this run.
pub fn set(ctx: SiteCtx) {
    let _ = SITE.set(ctx);
}

/// The site of this run, if `--site` was given.
pub fn get() -> Option<&'static SiteCtx> {
    SITE.get()
}

impl SiteCtx {
    /// Opens `name`: a simulated device, a real one the site names, or a
    /// /dev path.
    pub fn open(&self, name: &str) -> Result<Box<dyn Transport>, Failed> {
        match self.site.kind_of(name) {
            Some(Kind::Switch) => Err(Failed::new(
                exit::SYNTAX,
                format!("{name} is a switch in {}, not a device", self.site.path.display()),
            )),
            Some(Kind::Real) => self.open_real(name),
            Some(_) => self
                .fabric
                .transport(name)
                .map(|t| Box::new(t) as Box<dyn Transport>)
                .ok_or_else(|| Failed::new(exit::OTHER, format!("{name}: not built in the simulated fabric"))),
            None if name.starts_with('/') => Ok(Box::new(SgTransport::open(name)?)),
            None => Err(Failed::new(
                exit::FILE_ERROR,
                format!(
                    "{name} is not a device of {} (it has: {}); give one of those names or a /dev path",
                    self.site.path.display(),
                    self.site.device_names().join(", ")
                ),
            )),
        }
    }

    fn open_real(&self, name: &str) -> Result<Box<dyn Transport>, Failed> {
        let Some(r) = self.site.real.iter().find(|r| r.name.get_ref() == name) else {
            return Err(Failed::new(
                exit::OTHER,
                format!("{name}: not a real device of the site"),
            ));
        };
        if let Some(p) = &r.path {
            return Ok(Box::new(SgTransport::open(p.get_ref())?));
        }
        let want = r
            .naa
            .as_ref()
            .map(|n| n.get_ref().trim_start_matches("0x").to_ascii_lowercase())
            .unwrap_or_default();
        for d in scan_sg() {
            let Ok(id) = &d.probe else { continue };
            let hex: Option<String> = id
                .cscd_designator()
                .map(|x| x.value.iter().map(|b| format!("{b:02x}")).collect());
            if hex.as_deref() == Some(want.as_str()) {
                if let Some(p) = d.path.to_str() {
                    return Ok(Box::new(SgTransport::open(p)?));
                }
            }
        }
        Err(Failed::new(
            exit::FILE_ERROR,
            format!("{name}: no /dev/sg* device has the NAA designator 0x{want} (see `segcopy devices`)"),
        ))
    }
}
