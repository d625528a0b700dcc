//! `segcopy serve`: the site's simulated devices as real SCSI devices
//! through LIO's userspace backstore, until SIGINT or SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use segcopy::serve::{self, Fabric, Options, Report, ServeError};

use super::{columns, exit, out, out_json, Failed};

/// The fabric, on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FabricArg {
    /// tcm_loop: the devices appear on this host (/dev/sdX, /dev/nstN,
    /// /dev/sgN).
    Loop,
    /// LIO's iSCSI target, for initiators elsewhere (or on this host).
    Iscsi,
    /// A Unix socket (--socket), for segcopy processes of this host that
    /// share the simulated SAN (`segcopy --san PATH …`), each posing as a
    /// backup server; needs no root and no kernel module.
    Unix,
}

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the devices are exported.
    #[arg(long, value_enum, default_value = "loop")]
    fabric: FabricArg,
    /// The iSCSI portal (address:port) to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:3260")]
    iscsi_portal: String,
    /// The socket of `--fabric unix`.
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Let the iSCSI portal listen on an address other than loopback: any
    /// initiator that reaches it may then read and write the devices (no
    /// authentication).
    #[arg(long)]
    allow_remote: bool,
    /// Serve only this device (again for more); default: every simulated
    /// device of the site.
    #[arg(long, value_name = "NAME")]
    only: Vec<String>,
    /// How long LIO waits for an unanswered command (a `hang` fault, a
    /// device that is gone) before it fails it.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    cmd_time_out: Duration,
    /// Print what was set up as one JSON document (then serve).
    #[arg(long)]
    json: bool,
}

fn serve_failed(e: ServeError) -> Failed {
    let code = match &e {
        ServeError::NotRoot => exit::FILE_ERROR,
        ServeError::Unknown(..) => exit::SYNTAX,
        _ => exit::OTHER,
    };
    Failed::new(code, e.to_string())
}

/// Whether `portal`'s address is a loopback one.
fn is_loopback(portal: &str) -> bool {
    portal
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|a| a.ip().is_loopback())
}

/// Runs `serve`.
pub fn run(a: Args) -> Result<(), Failed> {
    let Some(loaded) = super::site::get() else {
        return Err(Failed::new(
            exit::SYNTAX,
            "segcopy serve needs --site FILE: it serves that site's simulated devices",
        ));
    };
    if a.socket.is_some() && a.fabric != FabricArg::Unix {
        return Err(Failed::new(
            exit::SYNTAX,
            "--socket is the socket of --fabric unix; give --fabric unix with it",
        ));
    }
    let fabric = match a.fabric {
        FabricArg::Unix => return serve_unix(a, loaded),
        FabricArg::Loop => Fabric::Loop,
        FabricArg::Iscsi => {
            if a.iscsi_portal.parse::<std::net::SocketAddr>().is_err() {
                return Err(Failed::new(
                    exit::SYNTAX,
                    format!(
                        "--iscsi-portal {}: not an address:port (127.0.0.1:3260, [::1]:3260)",
                        a.iscsi_portal
                    ),
                ));
            }
            if !is_loopback(&a.iscsi_portal) && !a.allow_remote {
                return Err(Failed::new(
                    exit::SYNTAX,
                    format!(
                        "--iscsi-portal {} is not a loopback address: every initiator that reaches it \
                         could write the devices; add --allow-remote if that is meant",
                        a.iscsi_portal
                    ),
                ));
            }
            Fabric::Iscsi {
                portal: a.iscsi_portal.clone(),
            }
        }
    };
    let opts = Options {
        fabric,
        only: a.only,
        cmd_time_out: a.cmd_time_out,
        configfs: PathBuf::from(serve::configfs::TARGET),
    };
    let json = a.json;
    let ready = move |r: &Report| {
        if json {
            let _ = out_json(r);
            return;
        }
        let mut text = format!("serving on {}", r.target);
        if let Some(p) = &r.portal {
            text.push_str(&format!(" (iSCSI portal {p})"));
        }
        text.push('\n');
        let rows = r
            .devices
            .iter()
            .map(|d| {
                let h = d.host.as_ref();
                vec![
                    d.name.clone(),
                    format!("{:02x}h", d.peripheral_type),
                    d.lun.to_string(),
                    h.map_or("-".into(), |h| h.hctl.clone()),
                    h.and_then(|h| h.sg.clone()).unwrap_or_else(|| "-".into()),
                    h.and_then(|h| h.node.clone()).unwrap_or_else(|| "-".into()),
                    d.designator.clone().unwrap_or_else(|| "-".into()),
                    d.uio.clone(),
                ]
            })
            .collect();
        text.push_str(&columns(
            &[
                "device", "type", "lun", "address", "sg", "node", "naa", "ring",
            ],
            rows,
            2,
        ));
        text.push_str("Ctrl-C (or SIGTERM) stops serving and removes all of it.\n");
        out(&text);
    };
    let t = serve::run(&opts, loaded, &ready).map_err(serve_failed)?;
    eprintln!(
        "segcopy: stopped; {} commands served, at most {} in flight at once on one device",
        t.completed, t.most_in_flight
    );
    Ok(())
}

/// `serve --fabric unix`.
fn serve_unix(a: Args, loaded: &segcopy::site::Loaded) -> Result<(), Failed> {
    let Some(socket) = a.socket else {
        return Err(Failed::new(
            exit::SYNTAX,
            "--fabric unix needs --socket PATH: the socket the other segcopy processes reach the SAN on (--san PATH)",
        ));
    };
    let json = a.json;
    let shown = socket.clone();
    let ready = move |names: &[String]| {
        if json {
            let _ = out_json(&serde_json::json!({ "socket": shown, "devices": names }));
        } else {
            out(&format!(
                "serving {} on {}: {}\nother segcopy processes reach them with --san {}; Ctrl-C (or SIGTERM) stops serving.\n",
                if names.len() == 1 { "1 device".to_string() } else { format!("{} devices", names.len()) },
                shown.display(),
                names.join(", "),
                shown.display()
            ));
        }
    };
    let n = serve::san::run(loaded, &socket, &a.only, &ready).map_err(serve_failed)?;
    eprintln!("segcopy: stopped; {n} commands served");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_portals() {
        assert!(is_loopback("127.0.0.1:3260"));
        assert!(is_loopback("[::1]:3260"));
        assert!(!is_loopback("0.0.0.0:3260"));
        assert!(!is_loopback("192.168.1.2:3260"));
    }
}
