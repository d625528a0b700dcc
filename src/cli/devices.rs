//! `segcopy devices [--json]`: the SCSI generic devices of this host.

use segcopy::transport::discover::Identity;
use segcopy::transport::discover::{scan_sg, FoundDevice};
use serde::Serialize;

use super::{columns, out, out_json, Failed};

/// Arguments of `devices`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `devices`.
pub fn run(a: Args) -> Result<(), Failed> {
    if let Some(ctx) = super::site::get() {
        return site_devices(ctx, a.json);
    }
    let found = scan_sg();
    if a.json {
        let v: Vec<_> = found.iter().map(to_json).collect();
        return out_json(&v);
    }
    if found.is_empty() {
        out(
            "No SCSI generic devices found: /dev has no sg nodes. Load the sg module \
             (modprobe sg) if this host has SCSI devices.\n",
        );
        return Ok(());
    }
    out(&columns(
        &[
            "DEVICE",
            "HCTL",
            "UPPER",
            "VENDOR",
            "PRODUCT",
            "TYPE",
            "3PC",
            "DESIGNATOR (for E4h)",
        ],
        found.iter().map(row).collect(),
        0,
    ));
    Ok(())
}

/// Lists the devices of the `--site` file, simulated and real.
fn site_devices(ctx: &segcopy::site::Loaded, json: bool) -> Result<(), Failed> {
    use segcopy::site::Kind;
    use segcopy::transport::commands::Scsi;
    let mut rows = Vec::new();
    for name in ctx.site.device_names() {
        let kind = ctx.site.kind_of(&name).unwrap_or(Kind::Disk);
        let probe = super::open_device(&name)
            .map_err(|f| f.message)
            .and_then(|t| Identity::probe(&Scsi::new(t.as_ref())).map_err(|e| e.to_string()));
        rows.push((name, kind, probe));
    }
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|(n, k, p)| SiteDeviceJson {
                name: n,
                site_kind: k.to_string(),
                answer: match p {
                    Ok(id) => SiteAnswer::Identity {
                        simulated: *k != Kind::Real,
                        identity: IdentityJson::from(id),
                        blocks: id.capacity.and_then(|c| c.capacity_blocks()),
                        block_length: id.capacity.map(|c| c.block_length),
                    },
                    Err(e) => SiteAnswer::Error { error: e.clone() },
                },
            })
            .collect();
        return out_json(&v);
    }
    let table = rows
        .into_iter()
        .map(|(n, k, p)| {
            let kind = format!("{}{}", if k == Kind::Real { "real " } else { "sim " }, k);
            match p {
                Ok(id) => vec![
                    n,
                    kind,
                    type_short(id.inquiry.device_type.bits()).into(),
                    id.inquiry.vendor_str(),
                    id.inquiry.product_str(),
                    yes_no(id.advertises_xcopy()).into(),
                    designator(&id),
                ],
                // The reason goes last, where its length widens no column.
                Err(e) => vec![
                    n,
                    kind,
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    format!("cannot ask it: {e}"),
                ],
            }
        })
        .collect();
    out(&columns(
        &[
            "NAME",
            "KIND",
            "TYPE",
            "VENDOR",
            "PRODUCT",
            "3PC",
            "DESIGNATOR (for E4h)",
        ],
        table,
        0,
    ));
    Ok(())
}

fn row(d: &FoundDevice) -> Vec<String> {
    let path = d.path.display().to_string();
    let hctl = d.hctl.clone().unwrap_or_else(|| "-".into());
    let upper = d
        .upper
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "-".into());
    match &d.probe {
        Ok(id) => vec![
            path,
            hctl,
            upper,
            id.inquiry.vendor_str(),
            id.inquiry.product_str(),
            type_short(id.inquiry.device_type.bits()).into(),
            yes_no(id.advertises_xcopy()).into(),
            designator(id),
        ],
        // The reason goes last, where its length widens no column.
        Err(e) => vec![
            path,
            hctl,
            upper,
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            format!("cannot ask it: {e}"),
        ],
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The designator an E4h CSCD would use, or "-".
fn designator(id: &Identity) -> String {
    id.cscd_designator()
        .map(|d| d.to_string())
        .unwrap_or_else(|| "-".into())
}

fn type_short(t: u8) -> &'static str {
    match t {
        0x00 => "disk",
        0x01 => "tape",
        0x03 => "proc",
        0x05 => "cd",
        0x08 => "chngr",
        0x0c => "raid",
        0x0d => "encl",
        0x0e => "rbc",
        0x1e => "wlun",
        _ => "other",
    }
}

/// What INQUIRY and VPD 83h said, as `devices --json` prints it.
#[derive(Serialize)]
struct IdentityJson {
    peripheral_device_type: u8,
    #[serde(rename = "type")]
    device_type: &'static str,
    vendor: String,
    product: String,
    third_party_copy: bool,
    designator: Option<String>,
}

impl From<&Identity> for IdentityJson {
    fn from(id: &Identity) -> Self {
        IdentityJson {
            peripheral_device_type: id.inquiry.device_type.bits(),
            device_type: id.inquiry.device_type.name(),
            vendor: id.inquiry.vendor_str(),
            product: id.inquiry.product_str(),
            third_party_copy: id.advertises_xcopy(),
            designator: id.cscd_designator().map(|d| d.to_string()),
        }
    }
}

/// One device of the `--site` file.
#[derive(Serialize)]
struct SiteDeviceJson<'a> {
    name: &'a str,
    site_kind: String,
    #[serde(flatten)]
    answer: SiteAnswer,
}

#[derive(Serialize)]
#[serde(untagged)]
enum SiteAnswer {
    Identity {
        simulated: bool,
        #[serde(flatten)]
        identity: IdentityJson,
        blocks: Option<u64>,
        block_length: Option<u32>,
    },
    Error {
        error: String,
    },
}

/// One /dev/sg node.
#[derive(Serialize)]
struct FoundJson<'a> {
    path: &'a std::path::Path,
    hctl: &'a Option<String>,
    upper: &'a Option<std::path::PathBuf>,
    #[serde(flatten)]
    answer: FoundAnswer,
}

#[derive(Serialize)]
#[serde(untagged)]
enum FoundAnswer {
    Identity {
        #[serde(flatten)]
        identity: IdentityJson,
        revision: String,
        /// Present only when READ CAPACITY answered.
        #[serde(flatten)]
        capacity: Option<CapacityJson>,
    },
    Error {
        error: String,
    },
}

#[derive(Serialize)]
struct CapacityJson {
    blocks: Option<u64>,
    block_length: u32,
}

fn to_json(d: &FoundDevice) -> FoundJson<'_> {
    FoundJson {
        path: &d.path,
        hctl: &d.hctl,
        upper: &d.upper,
        answer: match &d.probe {
            Ok(id) => FoundAnswer::Identity {
                identity: IdentityJson::from(id),
                revision: id.inquiry.revision_str(),
                capacity: id.capacity.map(|c| CapacityJson {
                    blocks: c.capacity_blocks(),
                    block_length: c.block_length,
                }),
            },
            Err(e) => FoundAnswer::Error {
                error: e.to_string(),
            },
        },
    }
}
