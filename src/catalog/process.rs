//! Who this process is, as a lease [`Holder`], and whether a holder is
//! still alive: the judge [`crate::catalog::Store::reap`] needs.
//!
//! A holder on this host is alive while `/proc/PID/stat` exists with the
//! start time it registered (field 22, `starttime`, in clock ticks after
//! boot: proc(5)), so a pid the kernel gave to another process since does
//! not keep a dead holder's leases. A holder on another host cannot be
//! seen from here: it is alive while its heartbeat is recent enough
//! ([`alive`]; [`local_alive`] takes it as alive, for a catalog only one
//! host uses).

use super::{now, Holder};

/// This process as a holder doing `purpose` (not yet registered: id 0).
/// `host_id` is the `--host-id` the user gave, else the host's name
/// ([`host_name`]).
pub fn this_process(purpose: &str, host_id: Option<&str>) -> Holder {
    let pid = std::process::id();
    Holder {
        id: 0,
        host: host_name(host_id),
        pid,
        pid_start: start_time(pid).unwrap_or(0),
        since: now(),
        purpose: purpose.to_string(),
        heartbeat: now(),
    }
}

/// The name holders of this host carry: `host_id` if given, else
/// `/etc/hostname`, else the kernel's host name (uname's nodename, read
/// from `/proc/sys/kernel/hostname`), else `localhost`.
pub fn host_name(host_id: Option<&str>) -> String {
    if let Some(h) = host_id.map(str::trim).filter(|h| !h.is_empty()) {
        return h.to_string();
    }
    ["/etc/hostname", "/proc/sys/kernel/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// Whether `holder` is alive, judged from host `this_host` (the name
/// [`host_name`] gives for this process): on this host, iff its process
/// exists with the start time it registered (any start time when it
/// registered none, 0); on another host, always.
pub fn local_alive(holder: &Holder, this_host: &str) -> bool {
    if holder.host != this_host {
        return true;
    }
    match start_time(holder.pid) {
        Some(start) => holder.pid_start == 0 || holder.pid_start == start,
        None => false,
    }
}

/// Whether `holder` is alive, judged from host `this_host` at time `now`:
/// on this host as [`local_alive`] says; on another host, while its last
/// heartbeat is at most `limit` seconds old.
pub fn alive(holder: &Holder, this_host: &str, now: super::Timestamp, limit: i64) -> bool {
    if holder.host == this_host {
        return local_alive(holder, this_host);
    }
    now.saturating_sub(holder.heartbeat) <= limit
}

/// Releases the leases of dead holders, saying of each what it held and
/// why it counts as dead: on `this_host`, those whose process is gone; on
/// other hosts (a shared catalog), those that have not beaten for `limit`.
pub fn reap_dead(
    store: &dyn super::Store,
    this_host: &str,
    limit: std::time::Duration,
) -> Result<(), super::StoreError> {
    let now = now();
    let limit = limit.as_secs() as i64;
    let gone = store.reap(&|h: &Holder| alive(h, this_host, now, limit))?;
    for (h, held) in gone {
        if h.host == this_host {
            log::warn!(
                "released what {h} held ({}): its process is gone",
                held.join(", ")
            );
        } else {
            log::warn!(
                "released what {h} held ({}): host {} has not said it lives for {} s (the limit is {limit} s)",
                held.join(", "),
                h.host,
                now.saturating_sub(h.heartbeat)
            );
        }
    }
    Ok(())
}

/// Field 22 (`starttime`) of `/proc/PID/stat`, `None` if there is no such
/// process (or the line cannot be read).
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_start_time(&stat)
}

/// Field 22 of a `/proc/PID/stat` line. Field 2, the command name, is in
/// parentheses and may hold spaces and parentheses itself, so the fields
/// are counted from the last `)`: the one after it is field 3.
fn parse_start_time(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace().nth(22 - 3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_is_field_22_even_with_odd_command_names() {
        let line =
            "1234 (a (b) c) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100";
        assert_eq!(parse_start_time(line), Some(987654));
        assert_eq!(parse_start_time("1234 (x) S 1"), None);
        assert_eq!(parse_start_time("garbage"), None);
    }

    #[test]
    fn this_process_is_alive_here() {
        let me = this_process("test", Some("host-a"));
        assert_eq!(me.host, "host-a");
        assert_eq!(me.pid, std::process::id());
        assert_ne!(me.pid_start, 0);
        assert!(local_alive(&me, "host-a"));
    }

    #[test]
    fn a_reused_pid_or_a_gone_process_is_dead() {
        let me = this_process("test", Some("host-a"));
        let reused = Holder {
            pid_start: me.pid_start + 1,
            ..me.clone()
        };
        assert!(!local_alive(&reused, "host-a"));
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id();
        child.wait().expect("wait");
        let gone = Holder {
            pid,
            pid_start: 1,
            ..me.clone()
        };
        assert!(!local_alive(&gone, "host-a"));
    }

    #[test]
    fn another_hosts_holder_is_alive() {
        let other = Holder {
            host: "host-b".into(),
            pid: u32::MAX,
            pid_start: 1,
            ..this_process("test", Some("host-a"))
        };
        assert!(local_alive(&other, "host-a"));
    }

    #[test]
    fn another_hosts_holder_lives_by_its_heartbeat() {
        let other = Holder {
            host: "host-b".into(),
            pid: u32::MAX,
            heartbeat: 1000,
            ..this_process("test", Some("host-a"))
        };
        assert!(alive(&other, "host-a", 1030, 30));
        assert!(!alive(&other, "host-a", 1031, 30));
        // This host's own holders are judged by their process, not a beat.
        let me = Holder {
            heartbeat: 0,
            ..this_process("test", Some("host-a"))
        };
        assert!(alive(&me, "host-a", i64::MAX, 30));
    }

    #[test]
    fn host_name_prefers_the_host_id() {
        assert_eq!(host_name(Some(" h1 ")), "h1");
        assert!(!host_name(None).is_empty());
        assert_eq!(host_name(Some("")), host_name(None));
    }
}
