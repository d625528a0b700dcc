//! `segcopy devices [--json]`: the SCSI generic devices of this host.

use segcopy::transport::discover::{scan_sg, FoundDevice};
use serde_json::json;

use super::{out, Failed};

/// Arguments of `devices`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `devices`.
pub fn run(a: Args) -> Result<(), Failed> {
    let found = scan_sg();
    if a.json {
        let v: Vec<_> = found.iter().map(to_json).collect();
        out(&format!("{:#}\n", serde_json::Value::Array(v)));
        return Ok(());
    }
    if found.is_empty() {
        out(
            "No SCSI generic devices found: /dev has no sg nodes. Load the sg module \
             (modprobe sg) if this host has SCSI devices.\n",
        );
        return Ok(());
    }
    out(&format!(
        "{:<10} {:<9} {:<10} {:<8} {:<16} {:<5} {:<4} {}\n",
        "DEVICE", "HCTL", "UPPER", "VENDOR", "PRODUCT", "TYPE", "3PC", "DESIGNATOR (for E4h)"
    ));
    for d in &found {
        out(&line(d));
    }
    Ok(())
}

fn line(d: &FoundDevice) -> String {
    let path = d.path.display().to_string();
    let hctl = d.hctl.clone().unwrap_or_else(|| "-".into());
    let upper = d
        .upper
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "-".into());
    match &d.probe {
        Ok(id) => format!(
            "{:<10} {:<9} {:<10} {:<8} {:<16} {:<5} {:<4} {}\n",
            path,
            hctl,
            upper,
            id.inquiry.vendor_str(),
            id.inquiry.product_str(),
            type_short(id.inquiry.device_type.bits()),
            if id.advertises_xcopy() { "yes" } else { "no" },
            id.cscd_designator()
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into())
        ),
        Err(e) => format!("{path:<10} {hctl:<9} {upper:<10} cannot ask it: {e}\n"),
    }
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

fn to_json(d: &FoundDevice) -> serde_json::Value {
    let mut v = json!({
        "path": d.path,
        "hctl": d.hctl,
        "upper": d.upper,
    });
    match &d.probe {
        Ok(id) => {
            v["peripheral_device_type"] = json!(id.inquiry.device_type.bits());
            v["type"] = json!(id.inquiry.device_type.name());
            v["vendor"] = json!(id.inquiry.vendor_str());
            v["product"] = json!(id.inquiry.product_str());
            v["revision"] = json!(id.inquiry.revision_str());
            v["third_party_copy"] = json!(id.advertises_xcopy());
            v["designator"] = json!(id.cscd_designator().map(|d| d.to_string()));
            if let Some(c) = id.capacity {
                v["blocks"] = json!(c.capacity_blocks());
                v["block_length"] = json!(c.block_length);
            }
        }
        Err(e) => v["error"] = json!(e.to_string()),
    }
    v
}
