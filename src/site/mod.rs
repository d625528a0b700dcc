//! Site files: a TOML description of a whole SAN — disks, copy managers,
//! tape libraries with their drives, slots and barcodes, switches and the
//! links between them, fault plans, and which devices are simulated and
//! which are real (`/dev/sgN` or an NAA designator).
//!
//! [`Site::load`] reads and checks a file; every mistake is one
//! [`SiteError`] naming the file, the line and the field. The simulated
//! part becomes a [`crate::sim::Fabric`] with [`Site::build_fabric`]; the
//! selector (later) reads the same description for its inventory and
//! routes.
//!
//! ```toml
//! [site]
//! name = "two-path"
//! state_dir = "state"            # relative to the file; "memory": nothing kept
//! failures_per_tib = 0.5         # what `segcopy bench --recommend` assumes
//! catalog = "postgres://segcopy@db.example/segcopy"   # default: sqlite in state_dir
//! lease_limit = 60               # s a silent host keeps its leases (shared catalog)
//!
//! [[switch]]
//! name = "sw0"
//! zoning = ["/usr/local/bin/zone", "--fabric", "a"]   # run on secure and release
//!
//! [[disk]]
//! name = "prod0"
//! block_size = 512
//! capacity = "256 MiB"
//! links = ["sw0"]
//!
//! [[copy_manager]]
//! name = "cm0"
//! profile = "standard"           # or "lio"
//! move_data = true               # false: every check and position, no bytes moved
//! links = ["sw0"]
//!
//! [[library]]
//! name = "lib0"
//! slots = 8
//! drives = ["drive0"]
//! cartridge_capacity = "1 GiB"
//! cartridges = [{ barcode = "SEG001L6", slot = 1 }]
//!
//! [[drive]]
//! name = "drive0"
//! links = ["sw0"]
//!
//! [[backup_server]]              # a host that copies through itself
//! name = "bkhost0"
//! links = ["sw0"]
//!
//! [[real]]
//! name = "lio-src"
//! path = "/dev/sg0"
//! kind = "disk"                  # or "drive", "copy_manager", "library"
//! copy_manager = "lio"           # a real disk that is also a copy manager
//!
//! [[real]]                       # a real library (SMC medium changer)
//! name = "rlib"
//! naa = "0x6001405a1b2c3d4e"
//! kind = "library"
//! drives = ["rdrive0"]           # [[real]] drives, in element address order
//! tapes = ["SRV001L6"]           # the barcodes segcopy may use
//!
//! [[fault]]
//! device = "cm0"
//! segment = 3
//! effect = "sense"
//! sense = "0a/0d/01"
//!
//! [[fault]]                      # a hostile drive: its 3rd READ POSITION
//! device = "drive0"              # reports a block before the last one
//! command = 3
//! effect = "lie"
//! lie = "position-backwards"
//! ```

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::transport::fault::Effect;

pub mod build;
pub mod open;

pub use open::{Loaded, OpenError};

/// A mistake in a site file: file, line, field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct SiteError {
    /// The site file.
    pub file: PathBuf,
    /// 1-based line (0 when the file could not be read).
    pub line: usize,
    /// The field (`disk[2].block_size`, `fault[0].sense`…).
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl SiteError {
    /// `FILE:LINE: FIELD: MESSAGE`, or `FILE: MESSAGE` for the file as a
    /// whole (it cannot be read, or the mistake has no line).
    fn describe(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.file.display(), self.message)
        } else {
            format!(
                "{}:{}: {}: {}",
                self.file.display(),
                self.line,
                self.field,
                self.message
            )
        }
    }
}

/// A size in a site file: a number of bytes, or a string such as "256 MiB"
/// in the grammar of [`crate::units::parse_size`] (the command line's too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SizeVisitor;
        impl serde::de::Visitor<'_> for SizeVisitor {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size: a number of bytes, or a string such as \"256 MiB\"")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Size, E> {
                Ok(Size(n))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Size, E> {
                u64::try_from(n)
                    .map(Size)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Size, E> {
                crate::units::parse_size(s).map(Size).map_err(E::custom)
            }
        }
        d.deserialize_any(SizeVisitor)
    }
}

/// `[site]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SiteSection {
    /// The site's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Where simulated disks, cartridges and library state live, relative
    /// to the site file; `"memory"` keeps nothing between runs.
    #[serde(default)]
    pub state_dir: Option<String>,
    /// Failures per TiB copied that `segcopy bench --recommend` assumes
    /// when not told (a rate the site has seen; 1 if absent).
    #[serde(default)]
    pub failures_per_tib: Option<Spanned<f64>>,
    /// The catalog every command of this site uses unless `--catalog`
    /// says otherwise: `sqlite:PATH` or `postgres://USER@HOST/DATABASE`
    /// (several backup servers sharing one). Absent: `catalog.sqlite` in
    /// the state directory.
    #[serde(default)]
    pub catalog: Option<Spanned<String>>,
    /// Seconds a holder on another host may go without a heartbeat before
    /// the next securing run takes back what it holds (a shared catalog);
    /// a working holder beats six times in that time. Default 60.
    #[serde(default)]
    pub lease_limit: Option<Spanned<u64>>,
}

/// How a simulated disk keeps its blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backing {
    /// A sparse file in the state directory.
    File,
    /// Memory (lost at exit).
    Memory,
}

/// Which copy manager a simulated device plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileName {
    /// Linux LIO's target_core_xcopy.
    Lio,
    /// SPC-4 with stream devices.
    Standard,
}

/// `[[disk]]`: a simulated disk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskSpec {
    /// Name.
    pub name: Spanned<String>,
    /// 512 or 4096.
    #[serde(default = "default_block_size")]
    pub block_size: Spanned<u32>,
    /// Capacity in bytes (a whole number of blocks).
    pub capacity: Spanned<Size>,
    /// File (default when there is a state directory) or memory.
    #[serde(default)]
    pub backing: Option<Backing>,
    /// Makes the disk a copy manager too (LIO's `emulate_3pc`).
    #[serde(default)]
    pub copy_manager: Option<ProfileName>,
    /// The host agent's command before a backup of this disk (quiesce,
    /// snapshot: the patent's Step 1010): a program (absolute path) and its
    /// arguments, run without a shell; the backup goes on only if it exits 0.
    #[serde(default)]
    pub pre_backup: Option<Spanned<Vec<Spanned<String>>>>,
    /// Switches it is cabled to.
    #[serde(default)]
    pub links: Vec<Spanned<String>>,
}

fn default_block_size() -> Spanned<u32> {
    Spanned::new(0..0, 512)
}

/// `[[copy_manager]]`: a stand-alone simulated copy manager.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyManagerSpec {
    /// Name.
    pub name: Spanned<String>,
    /// `standard` (default) or `lio`.
    #[serde(default)]
    pub profile: Option<ProfileName>,
    /// Overrides of the profile's operating parameters.
    #[serde(default)]
    pub limits: Option<LimitsSpec>,
    /// Whether it moves the data (default `true`); `false` makes a copy
    /// manager that does every check and every position and count of a
    /// copy without reading or writing the blocks
    /// ([`crate::sim::cm::Profile::move_data`]), for measuring the engine
    /// on objects larger than it could copy.
    #[serde(default = "yes")]
    pub move_data: bool,
    /// Switches it is cabled to.
    #[serde(default)]
    pub links: Vec<Spanned<String>>,
}

fn yes() -> bool {
    true
}

/// `[copy_manager.limits]`: overrides of OPERATING PARAMETERS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// MAXIMUM CSCD DESCRIPTOR COUNT.
    pub max_cscd_descriptors: Option<u16>,
    /// MAXIMUM SEGMENT DESCRIPTOR COUNT.
    pub max_segment_descriptors: Option<u16>,
    /// MAXIMUM DESCRIPTOR LIST LENGTH.
    pub max_descriptor_list_length: Option<u32>,
    /// MAXIMUM SEGMENT LENGTH.
    pub max_segment_length: Option<Size>,
    /// MAXIMUM INLINE DATA LENGTH.
    pub max_inline_data_length: Option<Size>,
    /// MAXIMUM STREAM DEVICE TRANSFER SIZE.
    pub max_stream_device_transfer_size: Option<Size>,
    /// DATA SEGMENT GRANULARITY (a power of two).
    pub data_segment_granularity: Option<Spanned<Size>>,
}

/// A cartridge in a library slot.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartridgeSpec {
    /// Barcode (volume tag), at most 32 characters.
    pub barcode: Spanned<String>,
    /// Slot number, from 1.
    pub slot: Spanned<u32>,
}

/// `[[library]]`: a simulated tape library.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibrarySpec {
    /// Name.
    pub name: Spanned<String>,
    /// Number of storage slots.
    pub slots: Spanned<u32>,
    /// Names of its drives (each a `[[drive]]`).
    pub drives: Vec<Spanned<String>>,
    /// Capacity of each cartridge.
    #[serde(default)]
    pub cartridge_capacity: Option<Size>,
    /// Early warning before the end of each cartridge.
    #[serde(default)]
    pub early_warning: Option<Size>,
    /// Cartridges and their home slots.
    #[serde(default)]
    pub cartridges: Vec<CartridgeSpec>,
    /// Switches it is cabled to.
    #[serde(default)]
    pub links: Vec<Spanned<String>>,
}

/// `[[drive]]`: a simulated tape drive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriveSpec {
    /// Name.
    pub name: Spanned<String>,
    /// Switches it is cabled to.
    #[serde(default)]
    pub links: Vec<Spanned<String>>,
}

/// `[[switch]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchSpec {
    /// Name.
    pub name: Spanned<String>,
    /// Other switches it is cabled to (inter-switch links).
    #[serde(default)]
    pub links: Vec<Spanned<String>>,
    /// A zoning hook: a program (absolute path) and its first arguments,
    /// run without a shell when a route through this switch is secured and
    /// when it is released (the selector appends `secure|release HOLDER
    /// STREAM member…`).
    #[serde(default)]
    pub zoning: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `[[backup_server]]`: a host that copies through itself, reading the
/// source and writing the destination (the patent's backup server 300;
/// segcopy's own host is one when the site says so).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupServerSpec {
    /// Name.
    pub name: Spanned<String>,
    /// Switches it is cabled to.
    #[serde(default)]
    pub links: Vec<Spanned<String>>,
}

/// What a `[[real]]` device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RealKind {
    /// A disk (a logical unit with blocks); the default.
    Disk,
    /// A tape drive.
    Drive,
    /// A stand-alone copy manager.
    CopyManager,
    /// A tape library (a medium changer, SMC).
    Library,
}

/// `[[real]]`: a real device, by path or by NAA designator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealSpec {
    /// Name.
    pub name: Spanned<String>,
    /// `/dev/sgN` or `/dev/sdX`.
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    /// An NAA designator in hex (`0x6001405…`), looked up among /dev/sg*.
    #[serde(default)]
    pub naa: Option<Spanned<String>>,
    /// `disk` (default), `drive`, `copy_manager` or `library`.
    #[serde(default)]
    pub kind: Option<Spanned<String>>,
    /// For a library: its drives (each a `[[real]]` of kind `drive`), in
    /// the order of their data transfer element addresses (as `segcopy
    /// changer NAME status` lists them), which is how segcopy numbers them
    /// for MOVE MEDIUM.
    #[serde(default)]
    pub drives: Vec<Spanned<String>>,
    /// For a library: the barcodes of the cartridges segcopy may write
    /// (its pool; others in the library are left alone). Where each one
    /// is comes from READ ELEMENT STATUS when it is loaded.
    #[serde(default)]
    pub tapes: Vec<Spanned<String>>,
    /// For a disk: it is also a copy manager of this profile (`lio` or
    /// `standard`), as LIO LUNs with `emulate_3pc` are; for a copy
    /// manager: its profile.
    #[serde(default)]
    pub copy_manager: Option<Spanned<String>>,
    /// For a disk: the host agent's command before a backup of it (see
    /// [`DiskSpec::pre_backup`]).
    #[serde(default)]
    pub pre_backup: Option<Spanned<Vec<Spanned<String>>>>,
    /// Switches it is cabled to.
    #[serde(default)]
    pub links: Vec<Spanned<String>>,
}

impl RealSpec {
    /// What it is (checked on load; a disk when not said).
    pub fn kind(&self) -> RealKind {
        match self.kind.as_ref().map(|k| k.get_ref().as_str()) {
            Some("drive") => RealKind::Drive,
            Some("copy_manager") => RealKind::CopyManager,
            Some("library") => RealKind::Library,
            _ => RealKind::Disk,
        }
    }

    /// Its copy manager profile, if it is one (checked on load). A real
    /// copy manager without `copy_manager = …` is `standard`.
    pub fn profile(&self) -> Option<ProfileName> {
        match self.copy_manager.as_ref().map(|k| k.get_ref().as_str()) {
            Some("lio") => Some(ProfileName::Lio),
            Some(_) => Some(ProfileName::Standard),
            None if self.kind() == RealKind::CopyManager => Some(ProfileName::Standard),
            None => None,
        }
    }
}

/// `[[fault]]`: one fault of the plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// The device it concerns.
    pub device: Spanned<String>,
    /// Trigger: the n-th command (from 1).
    #[serde(default)]
    pub command: Option<u64>,
    /// Trigger: the k-th segment descriptor a copy manager processes.
    #[serde(default)]
    pub segment: Option<u64>,
    /// Trigger: after this many bytes on the data path.
    #[serde(default)]
    pub after_bytes: Option<Size>,
    /// Trigger: at this tape block.
    #[serde(default)]
    pub tape_block: Option<u64>,
    /// Trigger: always.
    #[serde(default)]
    pub always: Option<bool>,
    /// Trigger: at random, this many per million events…
    #[serde(default)]
    pub per_million: Option<u32>,
    /// …from this seed.
    #[serde(default)]
    pub seed: Option<u64>,
    /// sense, hang, gone, medium-error, end-of-medium, cannot-move, lie.
    pub effect: Spanned<String>,
    /// For `effect = "sense"`: KEY/ASC/ASCQ in hex, e.g. "0a/0d/01".
    #[serde(default)]
    pub sense: Option<Spanned<String>>,
    /// For `effect = "lie"`: the lie the device tells (see
    /// [`crate::transport::fault::Lie`]): length, data-segment-granularity,
    /// inline-data-granularity, held-data-granularity, residual,
    /// sense-length, sense-short, sense-overflow, position-backwards or
    /// position-ahead. With `command = n` it is told in the n-th command
    /// it fits (the n-th READ POSITION for a position lie, the n-th
    /// OPERATING PARAMETERS for a granularity).
    #[serde(default)]
    pub lie: Option<Spanned<String>>,
    /// How many times it fires (default 1; 0 = every time).
    #[serde(default)]
    pub times: Option<u32>,
}

/// A library of the site, simulated or real, as the inventory and the
/// engine see it ([`Site::libraries`]).
#[derive(Debug, Clone)]
pub struct LibraryView<'a> {
    /// Its name.
    pub name: &'a Spanned<String>,
    /// Its drives, in element address order.
    pub drives: &'a [Spanned<String>],
    /// Its cartridges: barcode, and home slot where the site file gives
    /// one (a real library's are found by READ ELEMENT STATUS).
    pub tapes: Vec<(&'a Spanned<String>, Option<u32>)>,
    /// Switches it is cabled to.
    pub links: &'a [Spanned<String>],
    /// A `[[real]]` library.
    pub real: bool,
}

/// A parsed, checked site file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// `[site]`.
    #[serde(default)]
    pub site: SiteSection,
    /// Disks.
    #[serde(default)]
    pub disk: Vec<DiskSpec>,
    /// Copy managers.
    #[serde(default)]
    pub copy_manager: Vec<CopyManagerSpec>,
    /// Libraries.
    #[serde(default)]
    pub library: Vec<LibrarySpec>,
    /// Tape drives.
    #[serde(default)]
    pub drive: Vec<DriveSpec>,
    /// Switches.
    #[serde(default)]
    pub switch: Vec<SwitchSpec>,
    /// Backup servers.
    #[serde(default)]
    pub backup_server: Vec<BackupServerSpec>,
    /// Real devices.
    #[serde(default)]
    pub real: Vec<RealSpec>,
    /// Faults.
    #[serde(default)]
    pub fault: Vec<FaultSpec>,
    /// The file it came from (set by [`Site::load`]).
    #[serde(skip)]
    pub path: PathBuf,
    /// Its text, for line numbers.
    #[serde(skip)]
    text: String,
}

/// What kind of thing a name in the site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `[[disk]]`.
    Disk,
    /// `[[copy_manager]]`.
    CopyManager,
    /// `[[library]]`.
    Library,
    /// `[[drive]]`.
    Drive,
    /// `[[switch]]`.
    Switch,
    /// `[[real]]`.
    Real,
    /// `[[backup_server]]`.
    BackupServer,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Disk => "disk",
            Kind::CopyManager => "copy_manager",
            Kind::Library => "library",
            Kind::Drive => "drive",
            Kind::Switch => "switch",
            Kind::Real => "real",
            Kind::BackupServer => "backup_server",
        })
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The key whose value is at `offset` (`table.key`, the table from the
/// nearest header above), when the line there is `key = value`: what a
/// value of the wrong type is named by.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let (key, _) = text[start..].split_once('=')?;
    let key = key.trim();
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let table = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim());
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_string(),
    })
}

/// The table whose header is on the line at `offset`, or the nearest
/// header above it (`disk` for `[[disk]]`).
fn table_at(text: &str, offset: usize) -> Option<String> {
    let end = text
        .get(offset..)?
        .find('\n')
        .map_or(text.len(), |i| offset + i);
    text[..end]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| {
            l.split(']')
                .next()
                .unwrap_or(l)
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string()
        })
}

impl Site {
    /// Reads and checks a site file.
    pub fn load(path: &Path) -> Result<Site, SiteError> {
        let text = std::fs::read_to_string(path).map_err(|e| SiteError {
            file: path.to_path_buf(),
            line: 0,
            field: "(file)".into(),
            message: format!("cannot read the site file: {e}"),
        })?;
        Site::parse(path, &text)
    }

    /// Parses and checks site text (`path` is for messages and relative
    /// state directories).
    pub fn parse(path: &Path, text: &str) -> Result<Site, SiteError> {
        let mut site: Site = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            // One line: toml says "what; expected what" over two.
            let mut msg = e.message().trim_end().lines().collect::<Vec<_>>().join("; ");
            let mut field = msg
                .split('`')
                .nth(1)
                .filter(|_| msg.contains("field"))
                .map(str::to_string)
                .or_else(|| e.span().and_then(|s| key_at(text, s.start)))
                .unwrap_or_else(|| "(syntax)".into());
            // A key a table must have: name it with its table, and say so.
            if let (Some(missing), Some(span)) = (msg.strip_prefix("missing field "), e.span()) {
                let missing = missing.trim_matches('`').to_string();
                if let Some(table) = table_at(text, span.start) {
                    msg = format!("missing field `{missing}`: every [[{table}]] needs {missing} = …; add it to this one");
                    field = format!("{table}.{missing}");
                }
            }
            SiteError {
                file: path.to_path_buf(),
                line,
                field,
                message: msg,
            }
        })?;
        site.path = path.to_path_buf();
        site.text = text.to_string();
        site.check()?;
        Ok(site)
    }

    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        field: String,
        message: String,
    ) -> Result<T, SiteError> {
        Err(SiteError {
            file: self.path.clone(),
            line: line_of(&self.text, span.start),
            field,
            message,
        })
    }

    /// Every named thing: (name, kind, span of the name).
    fn names(&self) -> Vec<(&Spanned<String>, Kind)> {
        let mut v: Vec<(&Spanned<String>, Kind)> = Vec::new();
        v.extend(self.disk.iter().map(|d| (&d.name, Kind::Disk)));
        v.extend(
            self.copy_manager
                .iter()
                .map(|d| (&d.name, Kind::CopyManager)),
        );
        v.extend(self.library.iter().map(|d| (&d.name, Kind::Library)));
        v.extend(self.drive.iter().map(|d| (&d.name, Kind::Drive)));
        v.extend(self.switch.iter().map(|d| (&d.name, Kind::Switch)));
        v.extend(self.real.iter().map(|d| (&d.name, Kind::Real)));
        v.extend(
            self.backup_server
                .iter()
                .map(|d| (&d.name, Kind::BackupServer)),
        );
        v
    }

    /// The kind of a name, if the site has it.
    pub fn kind_of(&self, name: &str) -> Option<Kind> {
        self.names()
            .into_iter()
            .find(|(n, _)| n.get_ref() == name)
            .map(|(_, k)| k)
    }

    /// Names of every device (not switches, not backup servers), in file
    /// order.
    pub fn device_names(&self) -> Vec<String> {
        self.names()
            .into_iter()
            .filter(|(_, k)| *k != Kind::Switch && *k != Kind::BackupServer)
            .map(|(n, _)| n.get_ref().clone())
            .collect()
    }

    /// The directory for simulator state, or `None` for memory only.
    pub fn state_dir(&self) -> Option<PathBuf> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        match self.site.state_dir.as_deref() {
            Some("memory") => None,
            Some(d) => Some(base.join(d)),
            None => Some(base.join(format!(
                "{}.state",
                self.path.file_stem().and_then(|s| s.to_str()).unwrap_or("site")
            ))),
        }
    }

    fn check(&self) -> Result<(), SiteError> {
        if let Some(c) = &self.site.catalog {
            let u = c.get_ref();
            let known = ["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| u.starts_with(p) && u.len() > p.len());
            if !known {
                return self.err(
                    c.span(),
                    "site.catalog".into(),
                    format!("{u:?} is not a catalog segcopy can open: use \"sqlite:PATH\" or \"postgres://USER@HOST/DATABASE\""),
                );
            }
        }
        if let Some(l) = &self.site.lease_limit {
            let v = *l.get_ref();
            if !(2..=86_400).contains(&v) {
                return self.err(
                    l.span(),
                    "site.lease_limit".into(),
                    format!("{v} is not a lease limit: give the seconds a silent host keeps its leases, 2 to 86400 (the default is 60)"),
                );
            }
        }
        if let Some(r) = &self.site.failures_per_tib {
            let v = *r.get_ref();
            if !v.is_finite() || v < 0.0 {
                return self.err(
                    r.span(),
                    "site.failures_per_tib".into(),
                    format!("{v} is not a failure rate: give failures per TiB copied, 0 or more (e.g. 0.5)"),
                );
            }
        }
        for c in &self.copy_manager {
            let g = c
                .limits
                .as_ref()
                .and_then(|l| l.data_segment_granularity.as_ref());
            if let Some(g) = g {
                let v = g.get_ref().0;
                if !v.is_power_of_two() || v > 1 << 31 {
                    return self.err(
                        g.span(),
                        "copy_manager.limits.data_segment_granularity".into(),
                        format!("{v} bytes is not a power of two up to 2 GiB (the field holds log2 of it)"),
                    );
                }
            }
        }
        let mut seen = HashSet::new();
        for (n, kind) in self.names() {
            if n.get_ref().is_empty() || n.get_ref().contains(char::is_whitespace) {
                return self.err(
                    n.span(),
                    format!("{kind}.name"),
                    format!(
                        "{:?} is not a usable name: use letters, digits, - and _",
                        n.get_ref()
                    ),
                );
            }
            if !seen.insert(n.get_ref().clone()) {
                return self.err(n.span(), format!("{kind}.name"), format!("{:?} is named twice; every disk, copy manager, library, drive, switch, backup server and real device needs its own name", n.get_ref()));
            }
        }
        let all_links = self
            .disk
            .iter()
            .map(|d| ("disk", &d.links))
            .chain(self.copy_manager.iter().map(|d| ("copy_manager", &d.links)))
            .chain(self.library.iter().map(|d| ("library", &d.links)))
            .chain(self.drive.iter().map(|d| ("drive", &d.links)))
            .chain(self.switch.iter().map(|d| ("switch", &d.links)))
            .chain(self.real.iter().map(|d| ("real", &d.links)))
            .chain(
                self.backup_server
                    .iter()
                    .map(|d| ("backup_server", &d.links)),
            );
        for (kind, links) in all_links {
            for l in links {
                if self.kind_of(l.get_ref()) != Some(Kind::Switch) {
                    return self.err(
                        l.span(),
                        format!("{kind}.links"),
                        format!(
                            "{:?} is not a [[switch]] of this site; links name switches",
                            l.get_ref()
                        ),
                    );
                }
            }
        }
        for d in &self.disk {
            let bs = *d.block_size.get_ref();
            if bs != 512 && bs != 4096 {
                return self.err(
                    d.block_size.span(),
                    "disk.block_size".into(),
                    format!("{bs} is not a block size segcopy simulates: use 512 or 4096"),
                );
            }
            let cap = d.capacity.get_ref().0;
            if cap == 0 || cap % u64::from(bs) != 0 {
                return self.err(
                    d.capacity.span(),
                    "disk.capacity".into(),
                    format!("{cap} bytes is not a whole, non-zero number of {bs}-byte blocks"),
                );
            }
        }
        let mut owned = HashSet::new();
        for l in &self.library {
            let slots = *l.slots.get_ref();
            if slots == 0 {
                return self.err(
                    l.slots.span(),
                    "library.slots".into(),
                    "a library needs at least one slot".into(),
                );
            }
            for dr in &l.drives {
                if !self.is_drive(dr.get_ref()) {
                    return self.err(
                        dr.span(),
                        "library.drives".into(),
                        format!(
                            "{:?} is not a [[drive]] (nor a [[real]] with kind = \"drive\") of this site",
                            dr.get_ref()
                        ),
                    );
                }
                if !owned.insert(dr.get_ref().clone()) {
                    return self.err(
                        dr.span(),
                        "library.drives".into(),
                        format!("drive {:?} is in two libraries", dr.get_ref()),
                    );
                }
            }
            let mut used = HashSet::new();
            for c in &l.cartridges {
                let s = *c.slot.get_ref();
                if s == 0 || s > slots {
                    return self.err(
                        c.slot.span(),
                        "library.cartridges.slot".into(),
                        format!("slot {s} does not exist: the library has slots 1 to {slots}"),
                    );
                }
                if !used.insert(s) {
                    return self.err(
                        c.slot.span(),
                        "library.cartridges.slot".into(),
                        format!("two cartridges in slot {s}"),
                    );
                }
                self.check_barcode_text(&c.barcode, "library.cartridges.barcode")?;
            }
        }
        for l in self.real.iter().filter(|r| r.kind() == RealKind::Library) {
            if l.drives.is_empty() {
                return self.err(
                    l.name.span(),
                    "real.drives".into(),
                    format!(
                        "library {:?} has no drives: add drives = [\"…\"], its [[real]] drives in element address order (see `segcopy changer {} status`)",
                        l.name.get_ref(),
                        l.name.get_ref()
                    ),
                );
            }
            for dr in &l.drives {
                let real_drive = self
                    .real
                    .iter()
                    .any(|r| r.name.get_ref() == dr.get_ref() && r.kind() == RealKind::Drive);
                if !real_drive {
                    return self.err(
                        dr.span(),
                        "real.drives".into(),
                        format!(
                            "{:?} is not a [[real]] with kind = \"drive\" of this site; a real library's drives are real drives",
                            dr.get_ref()
                        ),
                    );
                }
                if !owned.insert(dr.get_ref().clone()) {
                    return self.err(
                        dr.span(),
                        "real.drives".into(),
                        format!("drive {:?} is in two libraries", dr.get_ref()),
                    );
                }
            }
            for b in &l.tapes {
                self.check_barcode_text(b, "real.tapes")?;
            }
        }
        self.check_barcodes()?;
        self.check_zoning()?;
        for r in &self.real {
            self.check_real(r)?;
            // Both: the path is where to look, and the designator what
            // must answer there (a renumbered device is refused).
            if r.path.is_none() && r.naa.is_none() {
                return self.err(
                    r.name.span(),
                    "real".into(),
                    format!(
                        "{:?}: give path = \"/dev/sgN\", naa = \"0x…\", or both (then the unit at path must have that designator)",
                        r.name.get_ref()
                    ),
                );
            }
        }
        for (i, f) in self.fault.iter().enumerate() {
            if self.kind_of(f.device.get_ref()).is_none() {
                return self.err(
                    f.device.span(),
                    format!("fault[{i}].device"),
                    format!(
                        "{:?} is not a device of this site; name one of its devices ({})",
                        f.device.get_ref(),
                        self.device_names().join(", ")
                    ),
                );
            }
            let triggers = [
                f.command.is_some(),
                f.segment.is_some(),
                f.after_bytes.is_some(),
                f.tape_block.is_some(),
                f.always == Some(true),
                f.per_million.is_some(),
            ]
            .iter()
            .filter(|&&b| b)
            .count();
            if triggers != 1 {
                return self.err(f.device.span(), format!("fault[{i}]"), "give exactly one trigger: command, segment, after_bytes, tape_block, always = true, or per_million (with seed)".into());
            }
            if f.per_million.is_some() && f.seed.is_none() {
                return self.err(
                    f.device.span(),
                    format!("fault[{i}].seed"),
                    "a random fault needs a seed so that runs repeat".into(),
                );
            }
            let effect = build::effect(self, i, f)?;
            let data_trigger = f.after_bytes.is_some() || f.tape_block.is_some();
            let fits = match effect {
                Effect::CannotMove => f.segment.is_none() && !data_trigger,
                Effect::MediumError | Effect::EndOfMedium => {
                    f.command.is_none() && f.segment.is_none()
                }
                Effect::Sense(_) => !data_trigger,
                Effect::Hang | Effect::Gone => true,
                Effect::Lie(_) => f.segment.is_none() && !data_trigger,
            };
            if !fits {
                return self.err(
                    f.effect.span(),
                    format!("fault[{i}].effect"),
                    format!("effect {:?} cannot follow this trigger: cannot-move takes command (the n-th move), always or per_million; medium-error and end-of-medium take after_bytes, tape_block, always or per_million; sense takes command, segment, always or per_million; lie takes command (the n-th command the lie fits), always or per_million", f.effect.get_ref()),
                );
            }
            if let (Some(l), false) = (&f.lie, matches!(effect, Effect::Lie(_))) {
                return self.err(
                    l.span(),
                    format!("fault[{i}].lie"),
                    format!(
                        "lie = {:?} goes with effect = \"lie\"; remove it or set effect = \"lie\"",
                        l.get_ref()
                    ),
                );
            }
        }
        Ok(())
    }

    /// Whether `name` is a tape drive: a `[[drive]]`, or a `[[real]]` of
    /// kind `drive`.
    pub fn is_drive(&self, name: &str) -> bool {
        match self.kind_of(name) {
            Some(Kind::Drive) => true,
            Some(Kind::Real) => self
                .real
                .iter()
                .any(|r| r.name.get_ref() == name && r.kind() == RealKind::Drive),
            _ => false,
        }
    }

    /// A barcode names a tape everywhere (leases, the catalog), so it must
    /// be unique across libraries (and within one) and differ from every
    /// other name.
    fn check_barcodes(&self) -> Result<(), SiteError> {
        let mut codes = HashSet::new();
        for l in self.libraries() {
            let field = if l.real {
                "real.tapes"
            } else {
                "library.cartridges.barcode"
            };
            for (c, _) in &l.tapes {
                let b = c.get_ref();
                if self.kind_of(b).is_some() {
                    return self.err(
                        c.span(),
                        field.into(),
                        format!("barcode {b:?} is also the name of a device or switch; a tape's barcode names it, so rename one"),
                    );
                }
                if !codes.insert(b.clone()) {
                    return self.err(
                        c.span(),
                        field.into(),
                        format!("barcode {b:?} appears twice"),
                    );
                }
            }
        }
        Ok(())
    }

    /// A barcode (volume tag) is 1 to 32 printable characters, no spaces
    /// (SMC-3's PRIMARY VOLUME TAG field).
    fn check_barcode_text(&self, b: &Spanned<String>, field: &str) -> Result<(), SiteError> {
        let t = b.get_ref();
        if t.is_empty() || t.len() > 32 || !t.chars().all(|ch| ch.is_ascii_graphic()) {
            return self.err(
                b.span(),
                field.into(),
                format!("{t:?} is not a barcode: 1 to 32 printable characters without spaces"),
            );
        }
        Ok(())
    }

    /// Zoning hooks and pre-backup commands are programs run without a
    /// shell: an absolute path first.
    fn check_zoning(&self) -> Result<(), SiteError> {
        let argvs = self
            .switch
            .iter()
            .filter_map(|s| s.zoning.as_ref().map(|z| ("switch.zoning", &s.name, z)))
            .chain(self.disk.iter().filter_map(|d| {
                d.pre_backup
                    .as_ref()
                    .map(|z| ("disk.pre_backup", &d.name, z))
            }))
            .chain(self.real.iter().filter_map(|d| {
                d.pre_backup
                    .as_ref()
                    .map(|z| ("real.pre_backup", &d.name, z))
            }));
        for (field, name, z) in argvs {
            match z.get_ref().first() {
                None => {
                    return self.err(
                        z.span(),
                        field.into(),
                        format!("{:?}: the command is empty; give [\"/path/to/program\", \"arg\", …] or leave it out", name.get_ref()),
                    )
                }
                Some(p) if !Path::new(p.get_ref()).is_absolute() => {
                    return self.err(
                        p.span(),
                        field.into(),
                        format!("{:?} is not an absolute path; segcopy runs the program directly (no shell, no PATH search)", p.get_ref()),
                    )
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// The pre-backup command of the disk `name`, if it has one.
    pub fn pre_backup(&self, name: &str) -> Option<Vec<String>> {
        let argv = self
            .disk
            .iter()
            .find(|d| d.name.get_ref() == name)
            .and_then(|d| d.pre_backup.as_ref())
            .or_else(|| {
                self.real
                    .iter()
                    .find(|d| d.name.get_ref() == name)
                    .and_then(|d| d.pre_backup.as_ref())
            })?;
        Some(argv.get_ref().iter().map(|a| a.get_ref().clone()).collect())
    }

    /// Every library of the site, simulated (`[[library]]`) and real
    /// (`[[real]]` of kind `library`), in file order.
    pub fn libraries(&self) -> Vec<LibraryView<'_>> {
        let sim = self.library.iter().map(|l| LibraryView {
            name: &l.name,
            drives: &l.drives,
            tapes: l
                .cartridges
                .iter()
                .map(|c| (&c.barcode, Some(*c.slot.get_ref())))
                .collect(),
            links: &l.links,
            real: false,
        });
        let real = self
            .real
            .iter()
            .filter(|r| r.kind() == RealKind::Library)
            .map(|r| LibraryView {
                name: &r.name,
                drives: &r.drives,
                tapes: r.tapes.iter().map(|b| (b, None)).collect(),
                links: &r.links,
                real: true,
            });
        sim.chain(real).collect()
    }

    /// The number of `drive` in `library`: its place in the library's
    /// `drives` list, from 0 — the drives' data transfer elements in
    /// element address order (the simulator numbers them so; list a real
    /// library's drives in that order).
    pub fn drive_number(&self, library: &str, drive: &str) -> Option<u32> {
        self.libraries()
            .into_iter()
            .find(|l| l.name.get_ref() == library)?
            .drives
            .iter()
            .position(|d| d.get_ref() == drive)
            .and_then(|i| u32::try_from(i).ok())
    }

    /// The library holding `drive`, and the drive's number in it (see
    /// [`Site::drive_number`]).
    pub fn library_of_drive(&self, drive: &str) -> Option<(String, u32)> {
        self.libraries().into_iter().find_map(|l| {
            let n = l.drives.iter().position(|d| d.get_ref() == drive)?;
            Some((l.name.get_ref().clone(), u32::try_from(n).ok()?))
        })
    }

    /// `kind` and `copy_manager` of a `[[real]]`.
    fn check_real(&self, r: &RealSpec) -> Result<(), SiteError> {
        if let Some(k) = &r.kind {
            if !matches!(
                k.get_ref().as_str(),
                "disk" | "drive" | "copy_manager" | "library"
            ) {
                return self.err(
                    k.span(),
                    "real.kind".into(),
                    format!(
                        "{:?} is not a kind of real device: use \"disk\", \"drive\", \"copy_manager\" or \"library\"",
                        k.get_ref()
                    ),
                );
            }
        }
        if let Some(c) = &r.copy_manager {
            if !matches!(c.get_ref().as_str(), "lio" | "standard") {
                return self.err(
                    c.span(),
                    "real.copy_manager".into(),
                    format!(
                        "{:?} is not a copy manager profile: use \"lio\" or \"standard\"",
                        c.get_ref()
                    ),
                );
            }
            if matches!(r.kind(), RealKind::Drive | RealKind::Library) {
                return self.err(
                    c.span(),
                    "real.copy_manager".into(),
                    format!(
                        "{:?} is a {}; only a disk or a copy manager takes copy_manager = …",
                        r.name.get_ref(),
                        if r.kind() == RealKind::Drive {
                            "drive"
                        } else {
                            "library"
                        }
                    ),
                );
            }
        }
        if r.kind() != RealKind::Library {
            let stray = r
                .drives
                .first()
                .map(|d| (d, "drives"))
                .or_else(|| r.tapes.first().map(|t| (t, "tapes")));
            if let Some((v, field)) = stray {
                return self.err(
                    v.span(),
                    format!("real.{field}"),
                    format!(
                        "{:?} is not a library; only kind = \"library\" takes {field} = […]",
                        r.name.get_ref()
                    ),
                );
            }
        }
        Ok(())
    }

    /// The span-aware error helper for the builder.
    pub(crate) fn error_at(
        &self,
        span: std::ops::Range<usize>,
        field: String,
        message: String,
    ) -> SiteError {
        SiteError {
            file: self.path.clone(),
            line: line_of(&self.text, span.start),
            field,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Site, SiteError> {
        Site::parse(Path::new("test.toml"), t)
    }

    #[test]
    fn sizes_use_the_command_line_s_grammar() {
        let with = |cap: &str| {
            parse(&format!(
                "[site]\nstate_dir = \"memory\"\n[[disk]]\nname = \"d0\"\ncapacity = {cap}\n"
            ))
            .map(|s| s.disk[0].capacity.get_ref().0)
        };
        assert_eq!(with("\"8 MiB\"").unwrap(), 8 << 20);
        assert_eq!(with("\"256 MiB\"").unwrap(), 256 << 20);
        assert_eq!(with("\"1G\"").unwrap(), 1 << 30);
        assert_eq!(with("\"1T\"").unwrap(), 1 << 40);
        assert_eq!(with("\"0.5 MiB\"").unwrap(), 512 << 10);
        assert_eq!(with("4096").unwrap(), 4096);
        let e = with("\"12 parsecs\"").unwrap_err();
        assert_eq!(e.line, 5, "{e:?}");
        assert!(e.message.contains("\"12 parsecs\" is not a size"), "{e:?}");
        let e = with("\"1.5B\"").unwrap_err();
        assert!(e.message.contains("not a whole number of bytes"), "{e:?}");
        assert_eq!(
            crate::units::parse_size("8 MiB"),
            Ok(with("\"8 MiB\"").unwrap())
        );
    }

    #[test]
    fn the_lease_limit_is_seconds_within_reason() {
        let with = |v: &str| {
            Site::parse(
                Path::new("l.toml"),
                &format!("[site]\nstate_dir = \"memory\"\nlease_limit = {v}\n"),
            )
        };
        let inv = |s: &Site| crate::inventory::Inventory::from_site(s).lease_limit();
        assert_eq!(inv(&with("5").unwrap()), std::time::Duration::from_secs(5));
        let default = Site::parse(Path::new("l.toml"), "[site]\nstate_dir = \"memory\"\n").unwrap();
        assert_eq!(inv(&default), crate::catalog::heartbeat::LIMIT);
        for bad in ["0", "1", "86401"] {
            let e = with(bad).unwrap_err();
            assert_eq!((e.line, e.field.as_str()), (3, "site.lease_limit"), "{e}");
            assert!(e.message.contains("is not a lease limit"), "{e}");
        }
        assert_eq!(with("\"60 s\"").unwrap_err().line, 3);
    }

    #[test]
    fn a_small_site_parses() {
        let s = parse(
            r#"
[site]
name = "t"
state_dir = "memory"
[[switch]]
name = "sw0"
[[disk]]
name = "d0"
capacity = "1 MiB"
links = ["sw0"]
[[copy_manager]]
name = "cm0"
links = ["sw0"]
"#,
        )
        .unwrap();
        assert_eq!(s.kind_of("d0"), Some(Kind::Disk));
        assert_eq!(*s.disk[0].block_size.get_ref(), 512);
        assert_eq!(s.state_dir(), None);
        assert_eq!(s.device_names(), vec!["d0", "cm0"]);
    }

    #[test]
    fn unknown_field_names_file_line_and_field() {
        let e = parse("[[disk]]\nname = \"d0\"\ncapacity = 4096\nblok_size = 512\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert_eq!(e.field, "blok_size", "{e}");
        assert!(
            e.to_string()
                .starts_with("test.toml:4: blok_size: unknown field"),
            "{e}"
        );
    }

    #[test]
    fn semantic_errors_point_at_the_line() {
        let e = parse("[[disk]]\nname = \"d0\"\ncapacity = 4096\nblock_size = 520\n").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (4, "disk.block_size"), "{e}");
        let e = parse(
            "[[disk]]\nname = \"d0\"\ncapacity = 4096\n[[disk]]\nname = \"d0\"\ncapacity = 4096\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (5, "disk.name"), "{e}");
        let e =
            parse("[[disk]]\nname = \"d0\"\ncapacity = 4096\nlinks = [\"nowhere\"]\n").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (4, "disk.links"), "{e}");
        let e = parse("[[disk]]\nname = \"d0\"\ncapacity = 1000\n").unwrap_err();
        assert_eq!(e.field, "disk.capacity", "{e}");
        let e = parse("[[fault]]\ndevice = \"x\"\nsegment = 1\neffect = \"gone\"\n").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (2, "fault[0].device"), "{e}");
    }

    #[test]
    fn backup_servers_real_kinds_and_zoning_parse() {
        let s = parse(
            r#"
[[switch]]
name = "sw0"
zoning = ["/usr/local/bin/zone", "--fabric", "a"]
[[backup_server]]
name = "host0"
links = ["sw0"]
[[real]]
name = "lun"
path = "/dev/sg1"
copy_manager = "lio"
[[real]]
name = "tape0"
path = "/dev/sg2"
kind = "drive"
[[real]]
name = "xc"
naa = "0x6001405aaaaaaaaa"
kind = "copy_manager"
[[library]]
name = "lib0"
slots = 2
drives = ["tape0"]
"#,
        )
        .unwrap();
        assert_eq!(s.kind_of("host0"), Some(Kind::BackupServer));
        assert_eq!(s.device_names(), vec!["lib0", "lun", "tape0", "xc"]);
        assert_eq!(
            (s.real[0].kind(), s.real[0].profile()),
            (RealKind::Disk, Some(ProfileName::Lio))
        );
        assert_eq!(
            (s.real[1].kind(), s.real[1].profile()),
            (RealKind::Drive, None)
        );
        assert_eq!(
            (s.real[2].kind(), s.real[2].profile()),
            (RealKind::CopyManager, Some(ProfileName::Standard))
        );
        assert!(s.is_drive("tape0") && !s.is_drive("lun"));
        let z: Vec<&str> = s.switch[0]
            .zoning
            .as_ref()
            .unwrap()
            .get_ref()
            .iter()
            .map(|a| a.get_ref().as_str())
            .collect();
        assert_eq!(z, ["/usr/local/bin/zone", "--fabric", "a"]);
    }

    #[test]
    fn a_real_library_parses_with_its_drives_and_pool() {
        let s = parse(
            r#"
[[real]]
name = "rd0"
path = "/dev/sg3"
kind = "drive"
[[real]]
name = "rd1"
naa = "0x6001405bbbbbbbbb"
kind = "drive"
[[real]]
name = "rlib"
path = "/dev/sg2"
kind = "library"
drives = ["rd0", "rd1"]
tapes = ["SRV001L6", "SRV002L6"]
[[drive]]
name = "sd0"
[[library]]
name = "slib"
slots = 2
drives = ["sd0"]
cartridges = [{ barcode = "SIM001L6", slot = 2 }]
"#,
        )
        .unwrap();
        assert_eq!(s.real[2].kind(), RealKind::Library);
        assert_eq!(s.real[2].profile(), None);
        type Row = (String, bool, Vec<String>, Vec<(String, Option<u32>)>);
        let libs: Vec<Row> = s
            .libraries()
            .iter()
            .map(|l| {
                (
                    l.name.get_ref().clone(),
                    l.real,
                    l.drives.iter().map(|d| d.get_ref().clone()).collect(),
                    l.tapes
                        .iter()
                        .map(|(b, slot)| (b.get_ref().clone(), *slot))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            libs,
            vec![
                (
                    "slib".into(),
                    false,
                    vec!["sd0".into()],
                    vec![("SIM001L6".into(), Some(2))]
                ),
                (
                    "rlib".into(),
                    true,
                    vec!["rd0".into(), "rd1".into()],
                    vec![("SRV001L6".into(), None), ("SRV002L6".into(), None)]
                ),
            ]
        );
        assert_eq!(s.drive_number("rlib", "rd1"), Some(1));
        assert_eq!(s.library_of_drive("rd0"), Some(("rlib".into(), 0)));
        assert_eq!(s.library_of_drive("sd0"), Some(("slib".into(), 0)));
        assert_eq!(s.library_of_drive("rlib"), None);
    }

    #[test]
    fn real_library_mistakes_name_line_and_field() {
        let drive = "[[real]]\nname = \"rd\"\npath = \"/dev/sg3\"\nkind = \"drive\"\n";
        let cases: Vec<(String, usize, &str, &str)> = vec![
            // no drives at all
            ("[[real]]\nname = \"l\"\npath = \"/dev/sg2\"\nkind = \"library\"\n".into(), 2, "real.drives", "has no drives"),
            // a drive that is not a real drive
            ("[[drive]]\nname = \"sd\"\n[[real]]\nname = \"l\"\npath = \"/dev/sg2\"\nkind = \"library\"\ndrives = [\"sd\"]\n".into(), 7, "real.drives", "real library's drives are real drives"),
            // a drive in two libraries
            (format!("{drive}[[real]]\nname = \"l\"\npath = \"/dev/sg2\"\nkind = \"library\"\ndrives = [\"rd\"]\n[[real]]\nname = \"m\"\npath = \"/dev/sg4\"\nkind = \"library\"\ndrives = [\"rd\"]\n"), 14, "real.drives", "in two libraries"),
            // a barcode with a space, and one twice across libraries
            (format!("{drive}[[real]]\nname = \"l\"\npath = \"/dev/sg2\"\nkind = \"library\"\ndrives = [\"rd\"]\ntapes = [\"A B\"]\n"), 10, "real.tapes", "not a barcode"),
            (format!("{drive}[[library]]\nname = \"s\"\nslots = 1\ndrives = []\ncartridges = [{{ barcode = \"T1\", slot = 1 }}]\n[[real]]\nname = \"l\"\npath = \"/dev/sg2\"\nkind = \"library\"\ndrives = [\"rd\"]\ntapes = [\"T1\"]\n"), 15, "real.tapes", "appears twice"),
            // drives or tapes on what is not a library
            (format!("{drive}drives = [\"rd\"]\n"), 5, "real.drives", "only kind = \"library\""),
            ("[[real]]\nname = \"d\"\npath = \"/dev/sg1\"\ntapes = [\"T1\"]\n".into(), 4, "real.tapes", "only kind = \"library\""),
            // a library is no copy manager
            (format!("{drive}[[real]]\nname = \"l\"\npath = \"/dev/sg2\"\nkind = \"library\"\ndrives = [\"rd\"]\ncopy_manager = \"lio\"\n"), 10, "real.copy_manager", "is a library"),
        ];
        for (text, line, field, says) in &cases {
            let e = parse(text).unwrap_err();
            assert_eq!((e.line, e.field.as_str()), (*line, *field), "{text}: {e}");
            assert!(e.to_string().contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn schema_extension_mistakes_name_line_and_field() {
        let cases: &[(&str, usize, &str)] = &[
            ("[[real]]\nname = \"r\"\npath = \"/dev/sg1\"\nkind = \"tape\"\n", 4, "real.kind"),
            ("[[real]]\nname = \"r\"\npath = \"/dev/sg1\"\ncopy_manager = \"xx\"\n", 4, "real.copy_manager"),
            ("[[real]]\nname = \"r\"\npath = \"/dev/sg1\"\nkind = \"drive\"\ncopy_manager = \"lio\"\n", 5, "real.copy_manager"),
            ("[[switch]]\nname = \"s\"\nzoning = []\n", 3, "switch.zoning"),
            ("[[switch]]\nname = \"s\"\nzoning = [\"zone\", \"a\"]\n", 3, "switch.zoning"),
            ("[[backup_server]]\nname = \"h\"\nlinks = [\"nowhere\"]\n", 3, "backup_server.links"),
            ("[[backup_server]]\nname = \"h\"\n[[disk]]\nname = \"h\"\ncapacity = 4096\n", 2, "backup_server.name"),
            ("[[real]]\nname = \"r\"\npath = \"/dev/sg1\"\n[[library]]\nname = \"l\"\nslots = 1\ndrives = [\"r\"]\n", 7, "library.drives"),
            ("[[library]]\nname = \"l\"\nslots = 2\ndrives = []\ncartridges = [{ barcode = \"A\", slot = 1 }]\n[[library]]\nname = \"m\"\nslots = 2\ndrives = []\ncartridges = [{ barcode = \"A\", slot = 1 }]\n", 10, "library.cartridges.barcode"),
            ("[[switch]]\nname = \"A\"\n[[library]]\nname = \"l\"\nslots = 2\ndrives = []\ncartridges = [{ barcode = \"A\", slot = 1 }]\n", 7, "library.cartridges.barcode"),
        ];
        for (text, line, field) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!((e.line, e.field.as_str()), (*line, *field), "{text}: {e}");
        }
    }

    #[test]
    fn a_lie_parses_and_its_mistakes_name_line_and_field() {
        use crate::transport::fault::{Effect, Lie, Trigger};
        let base = "[site]\nstate_dir = \"memory\"\n[[copy_manager]]\nname = \"cm0\"\n[[fault]]\ndevice = \"cm0\"\n";
        let s = parse(&format!(
            "{base}command = 2\neffect = \"lie\"\nlie = \"data-segment-granularity\"\n"
        ))
        .unwrap();
        let f = &s.fault_plan().unwrap().faults()[0];
        assert_eq!(
            (&f.trigger, &f.effect),
            (
                &Trigger::Command(2),
                &Effect::Lie(Lie::Granularity(
                    crate::transport::fault::Granularity::DataSegment
                ))
            )
        );
        let cases: &[(&str, usize, &str, &str)] = &[
            (
                "command = 1\neffect = \"lie\"\n",
                8,
                "fault[0].lie",
                "needs lie = \"KIND\", one of length, data-segment-granularity",
            ),
            (
                "command = 1\neffect = \"lie\"\nlie = \"fib\"\n",
                9,
                "fault[0].lie",
                "\"fib\" is not a lie",
            ),
            (
                "segment = 1\neffect = \"lie\"\nlie = \"residual\"\n",
                8,
                "fault[0].effect",
                "lie takes command",
            ),
            (
                "tape_block = 1\neffect = \"lie\"\nlie = \"position-ahead\"\n",
                8,
                "fault[0].effect",
                "lie takes command",
            ),
            (
                "command = 1\neffect = \"hang\"\nlie = \"residual\"\n",
                9,
                "fault[0].lie",
                "goes with effect = \"lie\"",
            ),
        ];
        for (tail, line, field, says) in cases {
            let e = parse(&format!("{base}{tail}")).unwrap_err();
            assert_eq!((e.line, e.field.as_str()), (*line, *field), "{tail}: {e}");
            assert!(e.message.contains(says), "{tail}: {e}");
        }
    }

    #[test]
    fn move_data_is_true_unless_a_copy_manager_says_false() {
        let cm = |extra: &str| {
            parse(&format!(
                "[site]\nstate_dir = \"memory\"\n[[copy_manager]]\nname = \"cm0\"\n{extra}"
            ))
        };
        assert!(cm("").unwrap().copy_manager[0].move_data);
        assert!(cm("move_data = true\n").unwrap().copy_manager[0].move_data);
        assert!(!cm("move_data = false\n").unwrap().copy_manager[0].move_data);
        let e = cm("move_data = \"no\"\n").unwrap_err();
        assert_eq!(
            (e.line, e.field.as_str()),
            (5, "copy_manager.move_data"),
            "{e}"
        );
        assert!(e.message.contains("expected a boolean"), "{e}");
        // As a wrong type of any other key is named.
        let e = cm("[copy_manager.limits]\nmax_segment_descriptors = \"x\"\n").unwrap_err();
        assert_eq!(
            (e.line, e.field.as_str()),
            (6, "copy_manager.limits.max_segment_descriptors"),
            "{e}"
        );
        assert!(e.message.contains("expected u16"), "{e}");
    }

    #[test]
    fn the_fixture_sites_still_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sites");
        for f in ["two-path.toml", "three-path.toml", "lio-profile.toml"] {
            Site::load(&dir.join(f)).unwrap();
        }
    }

    #[test]
    fn bad_syntax_has_a_line() {
        let e = parse("[[disk]\nname = \"d0\"\n").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }
}
