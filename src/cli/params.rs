//! `segcopy params DEV [--hex|--json]`: OPERATING PARAMETERS in words.

use segcopy::transport::commands::Scsi;
use segcopy::wire::rcr::OperatingParameters;
use segcopy::wire::{cscd, segment, HexDump};
use serde::Serialize;

use super::{columns, open_device, out, out_json, Failed};

/// Arguments of `params`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The copy manager: /dev/sgN or /dev/sdX.
    device: String,
    /// Print the response as a hex dump.
    #[arg(long, conflicts_with = "json")]
    hex: bool,
    /// Print the parameters as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `params`.
pub fn run(a: Args) -> Result<(), Failed> {
    let t = open_device(&a.device)?;
    let scsi = Scsi::new(t.as_ref());
    let (p, raw) = scsi.operating_parameters()?;
    if a.hex {
        out(&format!("{}\n", HexDump(&raw)));
    } else if a.json {
        out_json(&ParamsView::from(&p))?;
    } else {
        out(&format!("{}: {}", a.device, in_words(&p)));
    }
    Ok(())
}

/// 2^`log2`, or `None` past 64 bits (the field is a whole byte).
fn pow2(log2: u8) -> Option<u64> {
    1u64.checked_shl(u32::from(log2))
}

fn code_name(c: u8) -> String {
    if c >= 0xc0 {
        format!("{c:02X}h {} CSCD", cscd::code::name(c))
    } else {
        format!("{c:02X}h {} segment", segment::code::name(c))
    }
}

fn bytes(n: u32) -> String {
    let n = u64::from(n);
    match n {
        0 => "0 bytes".into(),
        _ if n % (1 << 20) == 0 => format!("{n} bytes ({} MiB)", n >> 20),
        _ if n % 1024 == 0 => format!("{n} bytes ({} KiB)", n >> 10),
        _ => format!("{n} bytes"),
    }
}

fn in_words(p: &OperatingParameters) -> String {
    let mut rows = Vec::new();
    let mut line = |k: &str, v: String| rows.push(vec![k.to_string(), v]);
    line(
        "Supports no list identifier (SNLID):",
        if p.snlid { "yes" } else { "no" }.into(),
    );
    line(
        "Maximum CSCD descriptor count:",
        p.max_cscd_descriptors.to_string(),
    );
    line(
        "Maximum segment descriptor count:",
        p.max_segment_descriptors.to_string(),
    );
    line(
        "Maximum descriptor list length:",
        bytes(p.max_descriptor_list_length),
    );
    line("Maximum segment length:", bytes(p.max_segment_length));
    line(
        "Maximum inline data length:",
        bytes(p.max_inline_data_length),
    );
    line("Held data limit:", bytes(p.held_data_limit));
    line(
        "Maximum stream device transfer size:",
        bytes(p.max_stream_device_transfer_size),
    );
    line(
        "Total concurrent copies:",
        p.total_concurrent_copies.to_string(),
    );
    line(
        "Maximum concurrent copies:",
        p.max_concurrent_copies.to_string(),
    );
    for (k, g) in [
        ("Data segment granularity:", p.data_segment_granularity_log2),
        ("Inline data granularity:", p.inline_data_granularity_log2),
        ("Held data granularity:", p.held_data_granularity_log2),
    ] {
        let bytes = pow2(g).map_or("more than 64 bits hold".into(), |b| b.to_string());
        line(k, format!("{bytes} bytes (2^{g})"));
    }
    line(
        "Implemented descriptor type codes:",
        if p.implemented_descriptor_codes.is_empty() {
            "none listed".into()
        } else {
            String::new()
        },
    );
    let mut s = format!(
        "OPERATING PARAMETERS (RECEIVE COPY RESULTS, service action 03h)\n{}",
        columns(&[], rows, 2)
    );
    for &c in &p.implemented_descriptor_codes {
        s += &format!("    {}\n", code_name(c));
    }
    if p.max_segment_length == 0 {
        s += "  Note: a maximum segment length of 0 gives no usable limit; segcopy will not plan copies on it.\n";
    }
    s
}

/// OPERATING PARAMETERS as `params --json` prints them (the names
/// `sg_copy_results -p` uses, as lab test 20 compares them).
#[derive(Serialize)]
struct ParamsView<'a> {
    snlid: bool,
    max_cscd_descriptor_count: u16,
    max_segment_descriptor_count: u16,
    max_descriptor_list_length: u32,
    max_segment_length: u32,
    max_inline_data_length: u32,
    held_data_limit: u32,
    max_stream_device_transfer_size: u32,
    total_concurrent_copies: u16,
    max_concurrent_copies: u8,
    data_segment_granularity: Option<u64>,
    inline_data_granularity: Option<u64>,
    held_data_granularity: Option<u64>,
    implemented_descriptor_type_codes: &'a [u8],
}

impl<'a> From<&'a OperatingParameters> for ParamsView<'a> {
    fn from(p: &'a OperatingParameters) -> Self {
        ParamsView {
            snlid: p.snlid,
            max_cscd_descriptor_count: p.max_cscd_descriptors,
            max_segment_descriptor_count: p.max_segment_descriptors,
            max_descriptor_list_length: p.max_descriptor_list_length,
            max_segment_length: p.max_segment_length,
            max_inline_data_length: p.max_inline_data_length,
            held_data_limit: p.held_data_limit,
            max_stream_device_transfer_size: p.max_stream_device_transfer_size,
            total_concurrent_copies: p.total_concurrent_copies,
            max_concurrent_copies: p.max_concurrent_copies,
            data_segment_granularity: pow2(p.data_segment_granularity_log2),
            inline_data_granularity: pow2(p.inline_data_granularity_log2),
            held_data_granularity: pow2(p.held_data_granularity_log2),
            implemented_descriptor_type_codes: &p.implemented_descriptor_codes,
        }
    }
}
