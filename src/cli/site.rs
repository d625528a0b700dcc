//! `--site FILE`: the site a command's device names come from.

use std::path::Path;
use std::sync::OnceLock;

use segcopy::site::{Loaded, OpenError};
use segcopy::transport::Transport;

use super::{exit, Failed};

static SITE: OnceLock<Loaded> = OnceLock::new();

/// Loads and builds a site file; with `san`, its simulated devices are
/// those the server on that socket serves.
pub fn load(path: &Path, san: Option<&Path>) -> Result<Loaded, Failed> {
    match san {
        Some(socket) => Loaded::through_san(path, socket),
        None => Loaded::load(path),
    }
    .map_err(|e| Failed::new(exit::SYNTAX, e.to_string()))
}

/// Makes `site` the site of this run.
pub fn set(site: Loaded) {
    let _ = SITE.set(site);
}

/// The site of this run, if `--site` was given.
pub fn get() -> Option<&'static Loaded> {
    SITE.get()
}

/// Opens `name` from the site (or a /dev path), behind its fault plan.
pub fn open(site: &Loaded, name: &str) -> Result<Box<dyn Transport>, Failed> {
    site.open(name).map_err(|e| match e {
        OpenError::Transport(t) => t.into(),
        OpenError::Switch { .. } => Failed::new(exit::SYNTAX, e.to_string()),
        OpenError::Unknown { .. }
        | OpenError::NoSuchDesignator { .. }
        | OpenError::WrongDevice { .. }
        | OpenError::Probe { .. } => Failed::new(exit::FILE_ERROR, e.to_string()),
    })
}
