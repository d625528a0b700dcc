//! `segcopy changer DEV <op>`: a tape library in the manner of mtx —
//! `status`, `load SLOT DRIVE`, `unload DRIVE [SLOT]`, `move FROM TO`.
//! Slots count from 1 and drives from 0, as mtx counts them; `move` takes
//! element addresses.

use segcopy::transport::changer::{Changer, ElementError, ElementMap};
use segcopy::wire::smc::ElementStatusData;
use serde::Serialize;

use super::{exit, open_device, out, out_json, Failed};

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

/// Runs `changer`.
pub fn run(a: Args) -> Result<(), Failed> {
    let t = open_device(&a.device)?;
    let ch = Changer::new(t.as_ref());
    let (st, map) = ch.status_and_map()?;
    let robot = map.transport().address();
    let numbering = |e: ElementError| Failed::new(exit::SYNTAX, e.to_string());
    match a.op {
        Op::Status => {
            if a.json {
                out_json(&status_json(&st, &map))?;
            } else {
                out(&status_words(&a.device, &st, &map));
            }
            return Ok(());
        }
        Op::Load { slot, drive } => ch.move_medium(
            robot,
            map.slot(slot).map_err(numbering)?,
            map.drive(drive).map_err(numbering)?,
        )?,
        Op::Unload { drive, slot } => {
            let (d, home) = map.unload(&st, drive, slot).map_err(numbering)?;
            ch.move_medium(robot, d, home)?
        }
        Op::Move { from, to } => ch.move_medium(robot, from, to)?,
    }
    if a.json {
        #[derive(Serialize)]
        struct Moved {
            status: &'static str,
        }
        out_json(&Moved { status: "moved" })?;
    }
    Ok(())
}

fn label(b: Option<String>) -> String {
    b.map(|b| format!(":VolumeTag={b}")).unwrap_or_default()
}

/// mtx's `status` layout, kept exactly (scripts read it as mtx's).
fn status_words(dev: &str, st: &ElementStatusData, map: &ElementMap) -> String {
    let (slots, ie) = (map.slots(), map.import_export());
    let mut s = format!(
        "  Storage Changer {dev}:{} Drives, {} Slots ( {} Import/Export )\n",
        map.drives().len(),
        slots.len(),
        ie.len()
    );
    for (i, d) in map.numbered_drives(st) {
        if d.loaded {
            let from = d
                .source_slot
                .and_then(|a| map.slot_number(a))
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

#[derive(Serialize)]
struct StatusJson<'a> {
    drives: Vec<DriveJson>,
    slots: Vec<SlotJson>,
    drive_addresses: &'a [u16],
    import_export_addresses: &'a [u16],
}

#[derive(Serialize)]
struct DriveJson {
    drive: usize,
    address: u16,
    loaded: bool,
    barcode: Option<String>,
    from_slot: Option<usize>,
}

#[derive(Serialize)]
struct SlotJson {
    slot: usize,
    address: u16,
    full: bool,
    barcode: Option<String>,
}

fn status_json<'a>(st: &ElementStatusData, map: &'a ElementMap) -> StatusJson<'a> {
    StatusJson {
        drives: map
            .numbered_drives(st)
            .into_iter()
            .map(|(i, d)| DriveJson {
                drive: i,
                address: d.address,
                loaded: d.loaded,
                barcode: d.barcode,
                from_slot: d.source_slot.and_then(|a| map.slot_number(a)),
            })
            .collect(),
        slots: map
            .slots()
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let e = st.find(a).map(|(_, e)| e);
                SlotJson {
                    slot: i + 1,
                    address: a,
                    full: e.is_some_and(|e| e.is_full()),
                    barcode: e.and_then(|e| e.barcode()),
                }
            })
            .collect(),
        drive_addresses: map.drives(),
        import_export_addresses: map.import_export(),
    }
}
