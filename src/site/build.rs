//! From a checked [`Site`] to the simulator: the fault plan and (once the
//! devices exist) the fabric.

use super::{FaultSpec, Site, SiteError};
use crate::sim::{Effect, Fault, FaultPlan, Trigger};
use crate::wire::sense::{SenseData, SenseKey};

/// The effect of fault `i`, checked.
pub(crate) fn effect(site: &Site, i: usize, f: &FaultSpec) -> Result<Effect, SiteError> {
    let e = f.effect.get_ref().as_str();
    let bad = |field: &str, msg: String| {
        site.error_at(f.effect.span(), format!("fault[{i}].{field}"), msg)
    };
    Ok(match e {
        "sense" => {
            let Some(s) = &f.sense else {
                return Err(bad("sense", "effect = \"sense\" needs sense = \"KEY/ASC/ASCQ\" in hex, e.g. \"0a/0d/01\"".into()));
            };
            let parts: Vec<Result<u8, _>> = s.get_ref().split('/').map(|p| u8::from_str_radix(p.trim(), 16)).collect();
            match parts.as_slice() {
                [Ok(k), Ok(a), Ok(q)] if *k <= 0x0f => Effect::Sense(SenseData::fixed(SenseKey::from_bits(*k), *a, *q).into()),
                _ => {
                    return Err(site.error_at(
                        s.span(),
                        format!("fault[{i}].sense"),
                        format!("{:?} is not KEY/ASC/ASCQ in hex (e.g. \"0a/0d/01\")", s.get_ref()),
                    ))
                }
            }
        }
        "hang" => Effect::Hang,
        "gone" => Effect::Gone,
        "medium-error" => Effect::MediumError,
        "end-of-medium" => Effect::EndOfMedium,
        "cannot-move" => Effect::CannotMove,
        other => {
            return Err(bad(
                "effect",
                format!("{other:?} is not an effect: use sense, hang, gone, medium-error, end-of-medium or cannot-move"),
            ))
        }
    })
}

impl Site {
    /// The site's fault plan.
    pub fn fault_plan(&self) -> Result<FaultPlan, SiteError> {
        let mut faults = Vec::new();
        for (i, f) in self.fault.iter().enumerate() {
            let trigger = if let Some(n) = f.command {
                Trigger::Command(n)
            } else if let Some(k) = f.segment {
                Trigger::Segment(k)
            } else if let Some(b) = f.after_bytes {
                Trigger::AfterBytes(b.0)
            } else if let Some(b) = f.tape_block {
                Trigger::TapeBlock(b)
            } else if let Some(p) = f.per_million {
                Trigger::Random {
                    per_million: p,
                    seed: f.seed.unwrap_or(0),
                }
            } else {
                Trigger::Always
            };
            faults.push(Fault {
                device: f.device.get_ref().clone(),
                trigger,
                effect: effect(self, i, f)?,
                times: match f.times {
                    None => Some(1),
                    Some(0) => None,
                    Some(n) => Some(n),
                },
            });
        }
        Ok(FaultPlan::new(faults))
    }
}
