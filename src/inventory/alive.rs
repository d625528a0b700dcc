//! Whether a lease's holder is still alive, so that the leases of a
//! segcopy process that died without releasing them can be reaped
//! ([`crate::catalog::Store::reap`]).
//!
//! A holder on this host is alive when `/proc/PID/stat` exists and its
//! start time (field 22, clock ticks since boot, proc(5)) equals the
//! holder's `pid_start`: a pid reused by another process has another
//! start time. A holder on another host cannot be checked from here and
//! counts as alive.

use std::path::Path;

use crate::catalog::Holder;

/// The start time (field 22 of `/proc/PID/stat`, clock ticks since boot)
/// of a process, or `None` if it does not exist.
pub fn pid_start(pid: u32) -> Option<u64> {
    let stat =
        std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")).ok()?;
    start_time(&stat)
}

/// Field 22 of a `/proc/PID/stat` line. The command name (field 2) is in
/// parentheses and may hold spaces and parentheses itself, so the fields
/// are counted from the last `)`: field 3 is the first after it.
fn start_time(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// Whether process `pid` runs and (when `start` is not 0) started at
/// `start` ticks after boot.
pub fn process_alive(pid: u32, start: u64) -> bool {
    match pid_start(pid) {
        None => false,
        Some(s) => start == 0 || s == start,
    }
}

/// This host's name (`/proc/sys/kernel/hostname`), or `localhost`.
pub fn local_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// Whether `holder` is alive, as seen from this host ([`local_host`]): a
/// holder on another host is taken to be alive.
pub fn local_alive(holder: &Holder) -> bool {
    alive_seen_from(&local_host(), holder)
}

/// Whether `holder` is alive, as seen from the host named `host` (the
/// name this process registers its own holders under, which `--host-id`
/// may have set).
pub fn alive_seen_from(host: &str, holder: &Holder) -> bool {
    holder.host != host || process_alive(holder.pid, holder.pid_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_22_after_a_command_with_spaces_and_parens() {
        let line = "1234 (a (b) c) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345678 300";
        assert_eq!(start_time(line), Some(987_654));
        assert_eq!(start_time("garbage"), None);
    }

    #[test]
    fn this_process_is_alive_and_a_wrong_start_is_not() {
        let me = std::process::id();
        let start = pid_start(me).expect("/proc/self");
        assert!(process_alive(me, start));
        assert!(process_alive(me, 0));
        assert!(!process_alive(me, start + 1));
        assert!(!process_alive(u32::MAX - 1, 0));
    }
}
