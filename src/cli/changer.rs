//! `segcopy changer DEV <op>`: a tape library in the manner of mtx —
//! `status`, `load SLOT DRIVE`, `unload DRIVE [SLOT]`, `move FROM TO`.
//! Slots count from 1 and drives from 0, as mtx counts them; `move` takes
//! element addresses.

use segcopy::transport::changer::Changer;
use segcopy::wire::smc::{ElementStatusData, ElementType};
use serde_json::json;

use super::{exit, open_device, out, Failed};

/// Arguments of `changer`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The medium changer (/dev/sgN, or a library's name in --site).
    device: String,
    /// Print the result as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    op: Op,
}

#[derive(Debug, clap::Subcommand)]
enum Op {
    /// Drives, slots and import/export elements with their cartridges.
    Status,
    /// Load the cartridge in SLOT (from 1) into DRIVE (from 0).
    Load {
        /// Slot number, from 1.
        slot: u32,
        /// Drive number, from 0.
        drive: u32,
    },
    /// Put DRIVE's cartridge back in SLOT (default: the slot it came from).
    Unload {
        /// Drive number, from 0.
        drive: u32,
        /// Slot number, from 1.
        slot: Option<u32>,
    },
    /// MOVE MEDIUM between two element addresses.
    Move {
        /// Source element address.
        from: u16,
        /// Destination element address.
        to: u16,
    },
}

fn addresses(s: &ElementStatusData, t: ElementType) -> Vec<u16> {
    let mut v: Vec<u16> = s
        .elements()
        .filter(|(ty, _)| *ty == t)
        .map(|(_, d)| d.element_address)
        .collect();
    v.sort();
    v
}

/// Runs `changer`.
pub fn run(a: Args) -> Result<(), Failed> {
    let t = open_device(&a.device)?;
    let ch = Changer::new(t.as_ref());
    let st = ch.status()?;
    let slots = addresses(&st, ElementType::Storage);
    let drives = addresses(&st, ElementType::DataTransfer);
    let ie = addresses(&st, ElementType::ImportExport);
    let robot = addresses(&st, ElementType::MediumTransport)
        .first()
        .copied()
        .unwrap_or(0);
    let slot_of = |n: u32| -> Result<u16, Failed> {
        slots
            .get((n as usize).wrapping_sub(1))
            .copied()
            .ok_or_else(|| {
                Failed::new(
                    exit::SYNTAX,
                    format!(
                        "slot {n} does not exist: {} has slots 1 to {}",
                        a.device,
                        slots.len()
                    ),
                )
            })
    };
    let drive_of = |n: u32| -> Result<u16, Failed> {
        drives.get(n as usize).copied().ok_or_else(|| {
            Failed::new(
                exit::SYNTAX,
                format!(
                    "drive {n} does not exist: {} has drives 0 to {}",
                    a.device,
                    drives.len().saturating_sub(1)
                ),
            )
        })
    };
    match a.op {
        Op::Status => {
            if a.json {
                out(&format!("{:#}\n", status_json(&st, &slots, &drives, &ie)));
            } else {
                out(&status_words(&a.device, &st, &slots, &drives, &ie));
            }
            return Ok(());
        }
        Op::Load { slot, drive } => ch.move_medium(robot, slot_of(slot)?, drive_of(drive)?)?,
        Op::Unload { drive, slot } => {
            let d = drive_of(drive)?;
            let home = match slot {
                Some(s) => slot_of(s)?,
                None => st
                    .drives()
                    .find(|x| x.address == d)
                    .and_then(|x| x.source_slot)
                    .ok_or_else(|| Failed::new(exit::SYNTAX, format!("drive {drive} does not say which slot its cartridge came from; name the slot")))?,
            };
            ch.move_medium(robot, d, home)?
        }
        Op::Move { from, to } => ch.move_medium(robot, from, to)?,
    }
    if a.json {
        out("{\"status\": \"moved\"}\n");
    }
    Ok(())
}

fn label(b: Option<String>) -> String {
    b.map(|b| format!(":VolumeTag={b}")).unwrap_or_default()
}

fn status_words(
    dev: &str,
    st: &ElementStatusData,
    slots: &[u16],
    drives: &[u16],
    ie: &[u16],
) -> String {
    let mut s = format!(
        "  Storage Changer {dev}:{} Drives, {} Slots ( {} Import/Export )\n",
        drives.len(),
        slots.len(),
        ie.len()
    );
    let slot_no = |addr: u16| slots.iter().position(|&x| x == addr).map(|i| i + 1);
    for (i, d) in st.drives().enumerate() {
        if d.loaded {
            let from = d
                .source_slot
                .and_then(slot_no)
                .map(|n| format!(" (Storage Element {n} Loaded)"))
                .unwrap_or_default();
            s += &format!("Data Transfer Element {i}:Full{from}{}\n", label(d.barcode));
        } else {
            s += &format!("Data Transfer Element {i}:Empty\n");
        }
    }
    for (i, &addr) in slots.iter().enumerate() {
        let e = st.find(addr).map(|(_, e)| e);
        match e {
            Some(e) if e.is_full() => {
                s += &format!(
                    "      Storage Element {}:Full {}\n",
                    i + 1,
                    label(e.barcode())
                )
            }
            _ => s += &format!("      Storage Element {}:Empty\n", i + 1),
        }
    }
    for (i, &addr) in ie.iter().enumerate() {
        let full = st.find(addr).is_some_and(|(_, e)| e.is_full());
        s += &format!(
            "      Storage Element {} IMPORT/EXPORT:{}\n",
            slots.len() + i + 1,
            if full { "Full" } else { "Empty" }
        );
    }
    s
}

fn status_json(
    st: &ElementStatusData,
    slots: &[u16],
    drives: &[u16],
    ie: &[u16],
) -> serde_json::Value {
    let slot_no = |addr: u16| slots.iter().position(|&x| x == addr).map(|i| i + 1);
    json!({
        "drives": st.drives().enumerate().map(|(i, d)| json!({
            "drive": i,
            "address": d.address,
            "loaded": d.loaded,
            "barcode": d.barcode,
            "from_slot": d.source_slot.and_then(slot_no),
        })).collect::<Vec<_>>(),
        "slots": slots.iter().enumerate().map(|(i, &a)| {
            let e = st.find(a).map(|(_, e)| e);
            json!({
                "slot": i + 1,
                "address": a,
                "full": e.is_some_and(|e| e.is_full()),
                "barcode": e.and_then(|e| e.barcode()),
            })
        }).collect::<Vec<_>>(),
        "drive_addresses": drives,
        "import_export_addresses": ie,
    })
}
