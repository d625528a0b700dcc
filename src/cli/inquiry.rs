//! `segcopy inquiry DEV [--vpd PAGE] [--hex|--raw|--json]`.

use segcopy::transport::commands::Scsi;
use segcopy::wire::inquiry::StandardInquiry;
use segcopy::wire::vpd::{
    tpc_type, Designator, DeviceIdentification, SupportedPages, ThirdPartyCopy, UnitSerialNumber,
};
use segcopy::wire::{HexDump, Repr};
use serde::Serialize;

use super::{exit, open_device, out, out_json, Failed};

/// Arguments of `inquiry`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The device: /dev/sgN or /dev/sdX.
    device: String,
    /// A VPD page instead of the standard data: a hex code (83, 0x83) or a
    /// name: sv (00h), sn (80h), di (83h), tpc (8Fh).
    #[arg(long, value_name = "PAGE", value_parser = parse_page)]
    vpd: Option<u8>,
    /// Print the response as a hex dump.
    #[arg(long, conflicts_with_all = ["json", "raw"])]
    hex: bool,
    /// Write the response bytes as they are to stdout (like sg_inq -r).
    #[arg(long, conflicts_with = "json")]
    raw: bool,
    /// Print the decoded response as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_page(s: &str) -> Result<u8, String> {
    let named = match s.to_ascii_lowercase().as_str() {
        "sv" | "supported" => Some(0x00),
        "sn" | "serial" => Some(0x80),
        "di" | "id" => Some(0x83),
        "tpc" => Some(0x8f),
        _ => None,
    };
    if let Some(p) = named {
        return Ok(p);
    }
    let hex = s.trim_start_matches("0x").trim_start_matches("0X");
    u8::from_str_radix(hex, 16).map_err(|_| {
        format!("{s:?} is not a VPD page: give a hex code such as 83, or sv, sn, di, tpc")
    })
}

/// Runs `inquiry`.
pub fn run(a: Args) -> Result<(), Failed> {
    let t = open_device(&a.device)?;
    let scsi = Scsi::new(t.as_ref());
    let raw = match a.vpd {
        None => scsi.inquiry()?.1,
        Some(p) => scsi.vpd_raw(p)?,
    };
    if a.raw {
        use std::io::Write;
        let _ = std::io::stdout().lock().write_all(&raw);
        return Ok(());
    }
    if a.hex {
        out(&format!("{}\n", HexDump(&raw)));
        return Ok(());
    }
    let decoded = match a.vpd {
        None => standard(&raw),
        Some(0x00) => supported(&raw),
        Some(0x80) => serial(&raw),
        Some(0x83) => identification(&raw),
        Some(0x8f) => third_party_copy(&raw),
        Some(p) => Ok((
            Json::Undecoded {
                page: p,
                hex: hex::encode(&raw),
            },
            format!(
                "VPD page {p:#04x} (segcopy does not decode this page; shown in hex):\n{}\n",
                HexDump(&raw)
            ),
        )),
    }
    .map_err(|e| {
        Failed::new(
            exit::MALFORMED,
            format!("{}: the device's answer does not parse: {e}", a.device),
        )
    })?;
    if a.json {
        out_json(&decoded.0)?;
    } else {
        out(&decoded.1);
    }
    Ok(())
}

type Decoded = Result<(Json, String), segcopy::wire::WireError>;

/// What `inquiry --json` prints, one shape per page.
#[derive(Serialize)]
#[serde(untagged)]
enum Json {
    /// Standard INQUIRY data.
    Standard(StandardJson),
    /// VPD 00h.
    Supported { page: u8, pages: Vec<u8> },
    /// VPD 80h.
    Serial { page: u8, serial: String },
    /// VPD 83h.
    Identification {
        page: u8,
        designators: Vec<DesignatorJson>,
        cscd_designator: Option<DesignatorJson>,
    },
    /// VPD 8Fh.
    ThirdPartyCopy {
        page: u8,
        descriptors: Vec<TpcDescriptorJson>,
    },
    /// A page segcopy does not decode, in hex.
    Undecoded { page: u8, hex: String },
}

#[derive(Serialize)]
struct StandardJson {
    peripheral_qualifier: u8,
    peripheral_device_type: u8,
    device_type_name: &'static str,
    rmb: bool,
    version: u8,
    response_data_format: u8,
    third_party_copy: bool,
    protect: bool,
    tpgs: u8,
    cmdque: bool,
    vendor: String,
    product: String,
    revision: String,
    truncated: bool,
}

#[derive(Serialize)]
struct DesignatorJson {
    association: &'static str,
    designator_type: u8,
    designator_type_name: &'static str,
    code_set: u8,
    piv: bool,
    protocol_identifier: u8,
    /// The designator's bytes in hex (lab test 20 compares it with sg_vpd).
    value: String,
    text: String,
    usable_in_e4: bool,
}

#[derive(Serialize)]
struct TpcDescriptorJson {
    #[serde(rename = "type")]
    descriptor_type: u16,
    name: &'static str,
    body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    commands: Option<Vec<CommandJson>>,
}

#[derive(Serialize)]
struct CommandJson {
    opcode: u8,
    service_actions: Vec<u8>,
}

fn yn(b: bool) -> u8 {
    u8::from(b)
}

fn standard(raw: &[u8]) -> Decoded {
    let q = StandardInquiry::parse(raw)?;
    let v = Json::Standard(StandardJson {
        peripheral_qualifier: q.peripheral_qualifier,
        peripheral_device_type: q.device_type.bits(),
        device_type_name: q.device_type.name(),
        rmb: q.rmb,
        version: q.version.byte(),
        response_data_format: q.response_data_format,
        third_party_copy: q.third_party_copy,
        protect: q.protect,
        tpgs: q.tpgs,
        cmdque: q.cmdque,
        vendor: q.vendor_str(),
        product: q.product_str(),
        revision: q.revision_str(),
        truncated: q.is_truncated(),
    });
    let mut s = String::new();
    s += "standard INQUIRY:\n";
    s += &format!(
        "  PQual={}  PDT={}  RMB={}  LU_CONG={}  version={:#04x}  [{:?}]\n",
        q.peripheral_qualifier,
        q.device_type.bits(),
        yn(q.rmb),
        yn(q.lu_cong),
        q.version.byte(),
        q.version
    );
    s += &format!(
        "  NormACA={}  HiSUP={}  Resp_data_format={}\n",
        yn(q.normaca),
        yn(q.hisup),
        q.response_data_format
    );
    s += &format!(
        "  SCCS={}  ACC={}  TPGS={}  3PC={}  Protect={}\n",
        yn(q.sccs),
        yn(q.acc),
        q.tpgs,
        yn(q.third_party_copy),
        yn(q.protect)
    );
    s += &format!(
        "  EncServ={}  MultiP={}  CmdQue={}\n",
        yn(q.encserv),
        yn(q.multip),
        yn(q.cmdque)
    );
    s += &format!("    length={} ({:#x})", q.declared_len(), q.declared_len());
    if q.is_truncated() {
        s += &format!(", {} bytes received", raw.len());
    }
    s += &format!("   Peripheral device type: {}\n", q.device_type);
    s += &format!(" Vendor identification: {}\n", q.vendor_str());
    s += &format!(" Product identification: {}\n", q.product_str());
    s += &format!(" Product revision level: {}\n", q.revision_str());
    s += &format!(
        " Third-party copy (EXTENDED COPY): {}\n",
        if q.third_party_copy {
            "advertised"
        } else {
            "not advertised"
        }
    );
    Ok((v, s))
}

fn page_name(p: u8) -> &'static str {
    match p {
        0x00 => "Supported VPD pages",
        0x80 => "Unit serial number",
        0x83 => "Device identification",
        0x86 => "Extended INQUIRY data",
        0x87 => "Mode page policy",
        0x88 => "SCSI ports",
        0x8f => "Third-party copy",
        0xb0 => "Block limits",
        0xb1 => "Block device characteristics",
        0xb2 => "Logical block provisioning",
        _ => "",
    }
}

fn supported(raw: &[u8]) -> Decoded {
    let p = SupportedPages::parse(raw)?;
    let mut s = String::from("Supported VPD pages VPD page:\n");
    for &c in &p.pages {
        s += &format!("  {c:#04x}  {}\n", page_name(c));
    }
    Ok((
        Json::Supported {
            page: 0,
            pages: p.pages,
        },
        s,
    ))
}

fn serial(raw: &[u8]) -> Decoded {
    let p = UnitSerialNumber::parse(raw)?;
    Ok((
        Json::Serial {
            page: 0x80,
            serial: p.serial_text(),
        },
        format!(
            "Unit serial number VPD page:\n  Unit serial number: {}\n",
            p.serial_text()
        ),
    ))
}

fn designator_json(d: &Designator) -> DesignatorJson {
    DesignatorJson {
        association: d.association.name(),
        designator_type: d.designator_type.bits(),
        designator_type_name: d.designator_type.name(),
        code_set: d.code_set.bits(),
        piv: d.piv,
        protocol_identifier: d.protocol_identifier,
        value: hex::encode(&d.value),
        text: d.to_string(),
        usable_in_e4: d.cscd_preference().is_some(),
    }
}

fn identification(raw: &[u8]) -> Decoded {
    let p = DeviceIdentification::parse(raw)?;
    let mut s = String::from("Device Identification VPD page:\n");
    let mut last = None;
    for d in &p.designators {
        if last != Some(d.association) {
            s += &format!("  Addressed {}:\n", d.association.name());
            last = Some(d.association);
        }
        s += &format!(
            "    designator type: {},  code set: {:?}\n",
            d.designator_type.name(),
            d.code_set
        );
        s += &format!("      {d}\n");
    }
    match p.best_for_cscd() {
        Some(d) => s += &format!("  EXTENDED COPY names this unit by: {d}\n"),
        None => s += "  No designator here can name this unit in an E4h CSCD descriptor.\n",
    }
    let v = Json::Identification {
        page: 0x83,
        designators: p.designators.iter().map(designator_json).collect(),
        cscd_designator: p.best_for_cscd().map(designator_json),
    };
    Ok((v, s))
}

fn third_party_copy(raw: &[u8]) -> Decoded {
    let p = ThirdPartyCopy::parse(raw)?;
    let mut s = String::from("Third-party Copy VPD page:\n");
    let mut descs = Vec::new();
    for d in &p.descriptors {
        s += &format!(
            "  {} ({:#06x}), {} bytes\n",
            tpc_type::name(d.descriptor_type),
            d.descriptor_type,
            d.body.len()
        );
        let mut j = TpcDescriptorJson {
            descriptor_type: d.descriptor_type,
            name: tpc_type::name(d.descriptor_type),
            body: hex::encode(&d.body),
            commands: None,
        };
        if d.descriptor_type == tpc_type::SUPPORTED_COMMANDS {
            let cmds = d.supported_commands()?;
            for c in &cmds {
                s += &format!(
                    "    opcode {:#04x}: service actions {:02x?}\n",
                    c.opcode, c.service_actions
                );
            }
            j.commands = Some(
                cmds.into_iter()
                    .map(|c| CommandJson {
                        opcode: c.opcode,
                        service_actions: c.service_actions,
                    })
                    .collect(),
            );
        } else {
            for line in HexDump(&d.body).to_string().lines() {
                s += &format!("   {line}\n");
            }
        }
        descs.push(j);
    }
    Ok((
        Json::ThirdPartyCopy {
            page: 0x8f,
            descriptors: descs,
        },
        s,
    ))
}
