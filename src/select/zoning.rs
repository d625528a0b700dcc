//! Zoning hooks: a switch's `zoning = ["/path/prog", "arg", …]` is run,
//! without a shell, as `prog arg… secure|release HOLDER STREAM member…`
//! for every stream whose route crosses the switch (the members are the
//! devices the route joins: the mover, then the ends of its copy). Exit
//! status 0 is success.

use std::process::{Command, Stdio};

use super::{SelectError, Subsystem};
use crate::catalog::HolderId;
use crate::inventory::{Inventory, Kind};

/// Secure or release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verb {
    Secure,
    Release,
}

impl Verb {
    fn word(self) -> &'static str {
        match self {
            Verb::Secure => "secure",
            Verb::Release => "release",
        }
    }
}

/// One hook to run: a switch with zoning on one stream's route.
#[derive(Debug, Clone)]
pub(super) struct Hook<'a> {
    switch: &'a str,
    argv: &'a [String],
    subsystem: &'a Subsystem,
}

/// The hooks the subsystems' routes call for, stream by stream, each
/// stream's switches in route order.
pub(super) fn hooks<'a>(inv: &'a Inventory, subsystems: &'a [Subsystem]) -> Vec<Hook<'a>> {
    let mut v = Vec::new();
    for s in subsystems {
        for h in &s.route {
            let Some(r) = inv.get(h) else { continue };
            if r.kind != Kind::Switch {
                continue;
            }
            if let Some(argv) = r.zoning.as_deref().filter(|a| !a.is_empty()) {
                v.push(Hook {
                    switch: &r.name,
                    argv,
                    subsystem: s,
                });
            }
        }
    }
    v
}

/// Runs one hook and waits for it.
pub(super) fn run(hook: &Hook<'_>, verb: Verb, holder: HolderId) -> Result<(), SelectError> {
    let program = &hook.argv[0];
    let fail = |why: String| SelectError::Zoning {
        switch: hook.switch.to_string(),
        program: program.clone(),
        why,
    };
    let out = Command::new(program)
        .args(&hook.argv[1..])
        .arg(verb.word())
        .arg(holder.to_string())
        .arg(hook.subsystem.stream.to_string())
        .args(&hook.subsystem.members)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| fail(format!("cannot be run: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let said = said.lines().next().unwrap_or("").trim();
    Err(fail(if said.is_empty() {
        format!("it ended with {}", out.status)
    } else {
        format!("it ended with {}: {said}", out.status)
    }))
}
