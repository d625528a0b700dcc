//! `segcopy serve`: the simulated SAN's devices as real kernel SCSI
//! devices, through LIO's userspace backstore (TCMU, kernel
//! Documentation/target/tcmu-design.rst).
//!
//! For each simulated logical unit of a site — disks, copy managers, tape
//! drives, libraries — one user backstore (`core/user_N/NAME`, with the
//! device's size and block size) whose ring [`handler`] serves from the
//! simulator; the backstores are then exported on a fabric: tcm_loop (the
//! devices appear on this host as `/dev/sdX`, `/dev/nstN`, `/dev/sgN`) or
//! LIO's iSCSI target. LIO keeps REPORT LUNS, reservations and UNIT
//! ATTENTION for itself; every other CDB — INQUIRY first, so a tape is
//! bound by `st` and a library by `ch` — is the simulator's.
//!
//! Everything made in configfs is taken down on SIGINT or SIGTERM
//! ([`configfs::Tree`]), the fabric first, while the handlers still
//! answer what the initiators send when their devices go away.

pub mod configfs;
pub mod handler;
pub mod nodes;
pub mod san;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::site::Loaded;
use crate::transport::commands::Scsi;
use crate::transport::Transport;
use crate::wire::inquiry::PeripheralDeviceType;

use configfs::{wait_for, ConfigfsError, Tree};

/// The fabric the backstores are exported on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fabric {
    /// tcm_loop: SCSI devices on this host.
    Loop,
    /// LIO's iSCSI target on `portal` (`127.0.0.1:3260`).
    Iscsi {
        /// Address and port.
        portal: String,
    },
}

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where they are exported.
    pub fabric: Fabric,
    /// Only these devices (all simulated ones when empty).
    pub only: Vec<String>,
    /// LIO's time-out for a command the handler does not answer.
    pub cmd_time_out: Duration,
    /// LIO's configfs tree (normally [`configfs::TARGET`]).
    pub configfs: PathBuf,
}

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Not root.
    #[error("segcopy serve needs root: it makes devices in LIO's configfs (run it as root or with sudo)")]
    NotRoot,
    /// A kernel module is missing.
    #[error(
        "the kernel module {module} is not loaded and modprobe could not load it ({why}); {hint}"
    )]
    Module {
        /// The module.
        module: &'static str,
        /// What modprobe said.
        why: String,
        /// What to do.
        hint: &'static str,
    },
    /// A name given is not a simulated device of the site.
    #[error("{0} is not a simulated device of the site (it has: {1}); give one of those names")]
    Unknown(String, String),
    /// configfs.
    #[error(transparent)]
    Configfs(#[from] ConfigfsError),
    /// A ring could not be opened.
    #[error("{device}: {source}")]
    Ring {
        /// The device.
        device: String,
        /// Why.
        #[source]
        source: tcmu::Error,
    },
    /// A simulated device could not be opened or asked what it is.
    #[error("{device}: {why}")]
    Device {
        /// The device.
        device: String,
        /// Why.
        why: String,
    },
    /// The signals could not be set up.
    #[error("setting up SIGINT and SIGTERM: {0}")]
    Signals(nix::Error),
}

/// One served device, as the initiators see it.
#[derive(Debug, Clone, Serialize)]
pub struct Served {
    /// The site's name.
    pub name: String,
    /// The peripheral device type it answers INQUIRY with.
    pub peripheral_type: u8,
    /// Its NAA designator (VPD 83h), `0x…` as a site file's `naa = …`
    /// takes it; the same through every fabric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub designator: Option<String>,
    /// The backstore (`core/user_0/cm0`).
    pub backstore: String,
    /// The UIO device serving it.
    pub uio: String,
    /// The LUN on the fabric.
    pub lun: u32,
    /// With tcm_loop: its SCSI address and nodes on this host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<nodes::Nodes>,
}

/// What serve set up, for the user.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The target's WWN or IQN.
    pub target: String,
    /// The iSCSI portal, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal: Option<String>,
    /// The devices.
    pub devices: Vec<Served>,
}

/// Loads a kernel module unless it is there.
fn modprobe(module: &'static str, hint: &'static str) -> Result<(), ServeError> {
    if Path::new("/sys/module").join(module).exists() {
        return Ok(());
    }
    let out = std::process::Command::new("modprobe").arg(module).output();
    match out {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(ServeError::Module {
            module,
            why: String::from_utf8_lossy(&o.stderr).trim().to_string(),
            hint,
        }),
        Err(e) => Err(ServeError::Module {
            module,
            why: e.to_string(),
            hint,
        }),
    }
}

/// What a simulated device says it is: its peripheral type and, for a
/// block device, its size and block length.
fn identify(name: &str, t: &dyn Transport) -> Result<(u8, u64, u32, Option<String>), ServeError> {
    let scsi = Scsi::new(t);
    let bad = |why: String| ServeError::Device {
        device: name.to_string(),
        why,
    };
    let (inq, _) = scsi.inquiry().map_err(|e| bad(e.to_string()))?;
    let pdt = inq.device_type.bits();
    // The designator a site file names the device by (`naa = …`), the
    // one a copy manager's CSCD descriptor carries.
    let designator = crate::transport::discover::Identity::probe(&scsi)
        .map_err(|e| bad(e.to_string()))?
        .cscd_designator()
        .map(|d| format!("0x{}", hex::encode(&d.value)));
    if inq.device_type == PeripheralDeviceType::DirectAccessBlock {
        let cap = scsi.read_capacity16().map_err(|e| bad(e.to_string()))?;
        let bytes = cap
            .returned_lba
            .saturating_add(1)
            .saturating_mul(u64::from(cap.block_length));
        return Ok((pdt, bytes, cap.block_length, designator));
    }
    // LIO wants a size; a tape, a library or a copy manager without
    // blocks answers READ CAPACITY itself (or refuses it).
    Ok((pdt, 1 << 20, 512, designator))
}

/// SIGINT and SIGTERM, to be read from the returned signalfd in this
/// thread alone: they are blocked here, before any thread is made, so
/// every thread inherits the mask.
pub(crate) fn stop_signals() -> Result<nix::sys::signalfd::SignalFd, ServeError> {
    let mut signals = nix::sys::signal::SigSet::empty();
    signals.add(nix::sys::signal::Signal::SIGINT);
    signals.add(nix::sys::signal::Signal::SIGTERM);
    signals.thread_block().map_err(ServeError::Signals)?;
    nix::sys::signalfd::SignalFd::with_flags(&signals, nix::sys::signalfd::SfdFlags::SFD_CLOEXEC)
        .map_err(ServeError::Signals)
}

/// Serves `opts` until SIGINT or SIGTERM; `ready` is told what was set up
/// once every device is exported.
pub fn run(opts: &Options, loaded: &Loaded, ready: &dyn Fn(&Report)) -> Result<Totals, ServeError> {
    if !nix::unistd::geteuid().is_root() {
        return Err(ServeError::NotRoot);
    }
    let sfd = stop_signals()?;

    let sim = loaded
        .fabric
        .names()
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    let names: Vec<String> = if opts.only.is_empty() {
        sim.clone()
    } else {
        for n in &opts.only {
            if !sim.contains(n) {
                return Err(ServeError::Unknown(n.clone(), sim.join(", ")));
            }
        }
        opts.only.clone()
    };

    modprobe(
        "target_core_user",
        "it comes with the kernel (CONFIG_TCM_USER2); install the kernel's modules package",
    )?;
    match opts.fabric {
        Fabric::Loop => {
            modprobe(
                "tcm_loop",
                "it comes with the kernel (CONFIG_LOOPBACK_TARGET)",
            )?;
            // The drivers of the nodes the report names (not needed to
            // serve): sg for every LUN, st for tapes, ch for libraries.
            for m in ["sg", "st", "ch"] {
                if let Err(e) = modprobe(m, "its nodes will be missing") {
                    log::warn!("{e}");
                }
            }
        }
        Fabric::Iscsi { .. } => modprobe(
            "iscsi_target_mod",
            "it comes with the kernel (CONFIG_ISCSI_TARGET)",
        )?,
    }
    let mut backstores = Tree::open(&opts.configfs)?;
    let hba = backstores.free_name("core", "user_");
    backstores.mkdir(&format!("core/{hba}"))?;
    // UIO names a backstore by its HBA's number, N of user_N
    // (`tcm-user/N/NAME/CONFIG`: target_core_user.c, tcmu_configure_device).
    let index = hba.trim_start_matches("user_").to_string();

    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let mut devices = Vec::new();
    let mut counters = Vec::new();
    for name in &names {
        let t = loaded.open(name).map_err(|e| ServeError::Device {
            device: name.clone(),
            why: e.to_string(),
        })?;
        let (pdt, bytes, block, designator) = identify(name, t.as_ref())?;
        let dir = format!("core/{hba}/{name}");
        backstores.mkdir(&dir)?;
        backstores.write(
            &format!("{dir}/control"),
            &format!("dev_size={bytes},dev_config=segcopy/{name},hw_block_size={block}"),
        )?;
        // (enable cannot be written 0: the rmdir disables it.)
        backstores.write(&format!("{dir}/enable"), "1")?;
        backstores.write(
            &format!("{dir}/attrib/cmd_time_out"),
            &opts.cmd_time_out.as_secs().max(1).to_string(),
        )?;
        let uio = wait_for(
            &format!("the UIO device of {dir}"),
            Duration::from_secs(10),
            || tcmu::find_uio(&index, name).ok(),
        )
        .map_err(|e| ServeError::Device {
            device: name.clone(),
            why: format!("{e} (UIO devices: {})", uio_names()),
        })?;
        let ring = tcmu::Ring::open(&uio).map_err(|source| ServeError::Ring {
            device: name.clone(),
            source,
        })?;
        let c = Arc::new(handler::Counters::default());
        counters.push(Arc::clone(&c));
        let dev = Arc::new(handler::Device {
            name: name.clone(),
            ring: Arc::new(ring),
            lu: Arc::from(t),
            // A tape drive (01h) or a library (08h) runs its commands in
            // order.
            workers: if matches!(pdt, 0x01 | 0x08) { 1 } else { 4 },
            late: opts.cmd_time_out,
            counters: c,
        });
        let stop2 = Arc::clone(&stop);
        threads.push(
            std::thread::Builder::new()
                .name(format!("ring-{name}"))
                .spawn(move || {
                    if let Err(e) = handler::serve(Arc::clone(&dev), &stop2) {
                        log::error!("{}: the ring failed: {e}", dev.name);
                    }
                })
                .expect("a ring thread"),
        );
        devices.push(Served {
            name: name.clone(),
            peripheral_type: pdt,
            designator,
            backstore: dir,
            uio: uio.display().to_string(),
            lun: devices.len() as u32,
            host: None,
        });
    }

    // The fabric, in a tree of its own: taken down first.
    let mut fabric = Tree::open(&opts.configfs)?;
    let (target, portal) = match &opts.fabric {
        Fabric::Loop => {
            // The fabric's directory registers it with LIO (targetcli
            // makes it the same way) when nothing has yet.
            fabric.mkdir_if_missing("loopback")?;
            let (wwn, initiator) = loop_wwns(&fabric);
            fabric.mkdir(&format!("loopback/{wwn}"))?;
            let tpg = format!("loopback/{wwn}/tpgt_1");
            fabric.mkdir(&tpg)?;
            fabric.write(&format!("{tpg}/nexus"), &initiator)?;
            for d in &devices {
                let lun = format!("{tpg}/lun/lun_{}", d.lun);
                fabric.mkdir(&lun)?;
                fabric.link(&format!("{lun}/{}", d.name), &d.backstore)?;
            }
            let address = wait_for("the tcm_loop SCSI host", Duration::from_secs(10), || {
                fabric.read(&format!("{tpg}/address")).ok()
            })?;
            for d in &mut devices {
                d.host = Some(nodes::wait(&address, d.lun, Duration::from_secs(30))?);
            }
            (wwn, None)
        }
        Fabric::Iscsi { portal } => {
            fabric.mkdir_if_missing("iscsi")?;
            let iqn = format!("iqn.2003-01.org.linux-iscsi.segcopy:{}", iqn_host());
            fabric.mkdir(&format!("iscsi/{iqn}"))?;
            let tpg = format!("iscsi/{iqn}/tpgt_1");
            fabric.mkdir(&tpg)?;
            for d in &devices {
                let lun = format!("{tpg}/lun/lun_{}", d.lun);
                fabric.mkdir(&lun)?;
                fabric.link(&format!("{lun}/{}", d.name), &d.backstore)?;
            }
            fabric.mkdir(&format!("{tpg}/np/{portal}"))?;
            for (a, v) in [
                ("authentication", "0"),
                ("generate_node_acls", "1"),
                ("demo_mode_write_protect", "0"),
                ("cache_dynamic_acls", "1"),
            ] {
                fabric.write(&format!("{tpg}/attrib/{a}"), v)?;
            }
            fabric.write_undone(&format!("{tpg}/enable"), "1", "0")?;
            (iqn, Some(portal.clone()))
        }
    };
    ready(&Report {
        target,
        portal,
        devices,
    });

    // Until a signal.
    let sig = sfd.read_signal();
    log::info!("stopping on {sig:?}");
    let failed = fabric.teardown();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let failed = failed + backstores.teardown();
    if failed > 0 {
        log::warn!("{failed} configfs steps could not be undone (see above)");
    }
    Ok(Totals {
        completed: counters
            .iter()
            .map(|c| c.completed.load(Ordering::Relaxed))
            .sum(),
        most_in_flight: counters
            .iter()
            .map(|c| c.most_in_flight.load(Ordering::Relaxed))
            .max()
            .unwrap_or(0),
    })
}

/// What serving came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Commands completed, on every device.
    pub completed: u64,
    /// The most commands in flight at once on one device.
    pub most_in_flight: u64,
}

/// What /sys/class/uio holds, for an error message.
fn uio_names() -> String {
    let Ok(dir) = std::fs::read_dir("/sys/class/uio") else {
        return "no /sys/class/uio".into();
    };
    let mut v: Vec<String> = dir
        .filter_map(|e| {
            let e = e.ok()?;
            let name = std::fs::read_to_string(e.path().join("name")).ok()?;
            Some(format!(
                "{}={}",
                e.file_name().to_string_lossy(),
                name.trim()
            ))
        })
        .collect();
    v.sort();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// This host's name as an IQN allows it (RFC 3720 3.2.6.2: lower-case
/// letters, digits, '.', '-'), or "host" when it has none ("(none)").
fn iqn_host() -> String {
    let h: String = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .collect();
    if h.is_empty() || h == "none" {
        "host".into()
    } else {
        h
    }
}

/// A tcm_loop target WWN of our own and its initiator's: NAA 5, LIO's
/// OUI (001405), then a number not in use.
fn loop_wwns(t: &Tree) -> (String, String) {
    let wwn = |n: u64| format!("naa.5001405{n:09x}");
    (0u64..)
        .map(|n| 0x5e9c_0000 + 2 * n)
        .find(|n| !t.root().join("loopback").join(wwn(*n)).exists())
        .map(|n| (wwn(n), wwn(n + 1)))
        .unwrap_or_else(|| unreachable!("names run out"))
}
