//! `segcopy serve --fabric unix --socket PATH`: the site's simulated
//! devices for several processes at once, on a Unix socket
//! ([`crate::transport::san`] has the protocol and the client). Needs no
//! root and no kernel module: it is the simulated SAN shared by processes
//! that each pose as a backup server of their own, over one catalog.
//!
//! Each connection is served by a thread of its own, one command at a
//! time; a device serves commands from every connection as a real one
//! serves several initiators (a tape drive or a library one at a time:
//! the simulator orders them). Faults of the site's plan apply here, as
//! they would in the devices.

use std::collections::HashMap;
use std::io::BufReader;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::site::Loaded;
use crate::transport::san::{read_message, write_message, Request, RequestData, Response};
use crate::transport::{DataDirection, Transport};

use super::ServeError;

/// The devices served, by name.
type Devices = HashMap<String, Arc<dyn Transport>>;

/// Serves `only` (every simulated device when empty) of `loaded` on
/// `socket` until SIGINT or SIGTERM; `ready` is told the names once the
/// socket listens. Returns the commands served.
pub fn run(
    loaded: &Loaded,
    socket: &Path,
    only: &[String],
    ready: &dyn Fn(&[String]),
) -> Result<u64, ServeError> {
    if loaded.san.is_some() {
        return Err(ServeError::Device {
            device: socket.display().to_string(),
            why: "this process reaches its simulated devices through a SAN server itself (--san); serve the site without --san".into(),
        });
    }
    let sfd = super::stop_signals()?;

    let sim: Vec<String> = loaded
        .fabric
        .names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let names = if only.is_empty() {
        sim.clone()
    } else {
        for n in only {
            if !sim.contains(n) {
                return Err(ServeError::Unknown(n.clone(), sim.join(", ")));
            }
        }
        only.to_vec()
    };
    let mut devices: Devices = HashMap::new();
    for n in &names {
        let t = loaded.open(n).map_err(|e| ServeError::Device {
            device: n.clone(),
            why: e.to_string(),
        })?;
        devices.insert(n.clone(), Arc::from(t));
    }
    let listener = bind(socket)?;
    let devices = Arc::new(devices);
    let served = Arc::new(AtomicU64::new(0));
    {
        let devices = Arc::clone(&devices);
        let served = Arc::clone(&served);
        std::thread::Builder::new()
            .name("san-accept".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    match conn {
                        Ok(c) => {
                            let devices = Arc::clone(&devices);
                            let served = Arc::clone(&served);
                            let _ = std::thread::Builder::new()
                                .name("san-conn".into())
                                .spawn(move || connection(c, &devices, &served));
                        }
                        Err(e) => log::warn!("accepting a connection: {e}"),
                    }
                }
            })
            .expect("the accepting thread");
    }
    ready(&names);
    let got = sfd.read_signal().map_err(ServeError::Signals)?;
    log::info!("signal {}: stopping", got.map_or(0, |s| s.ssi_signo));
    let _ = std::fs::remove_file(socket);
    Ok(served.load(Ordering::Relaxed))
}

/// Listens on `socket`, taking the place of a stale one (a file no server
/// answers on) but never of a live server's.
fn bind(socket: &Path) -> Result<UnixListener, ServeError> {
    let failed = |why: String| ServeError::Device {
        device: socket.display().to_string(),
        why,
    };
    if socket.exists() {
        if UnixStream::connect(socket).is_ok() {
            return Err(failed(
                "another server already serves on this socket; stop it or give another --socket"
                    .into(),
            ));
        }
        std::fs::remove_file(socket).map_err(|e| {
            failed(format!(
                "a stale socket is in the way and cannot be removed: {e}"
            ))
        })?;
    }
    UnixListener::bind(socket).map_err(|e| failed(format!("cannot listen here: {e}")))
}

/// Serves one connection until the peer closes it or breaks the protocol.
fn connection(c: UnixStream, devices: &Devices, served: &AtomicU64) {
    let Ok(w) = c.try_clone() else { return };
    let mut r = BufReader::new(c);
    let mut w = w;
    loop {
        let body = match read_message(&mut r) {
            Ok(Some(b)) => b,
            Ok(None) => return,
            Err(e) => {
                log::warn!("a client of the SAN: {e}; its connection is closed");
                return;
            }
        };
        let answer = match Request::decode(&body) {
            Ok(req) => execute(devices, req),
            Err(e) => Response::Failed(e.to_string()),
        };
        served.fetch_add(1, Ordering::Relaxed);
        if write_message(&mut w, &answer.encode()).is_err() {
            return;
        }
    }
}

fn execute(devices: &Devices, req: Request) -> Response {
    let Some(t) = devices.get(&req.name) else {
        let mut known: Vec<&str> = devices.keys().map(String::as_str).collect();
        known.sort();
        return Response::Failed(format!(
            "{} is not a device this SAN serves (it serves: {})",
            req.name,
            known.join(", ")
        ));
    };
    let mut buf = Vec::new();
    let result = match &req.data {
        RequestData::None => t.execute(&req.cdb, DataDirection::None, req.timeout),
        RequestData::Out(d) => t.execute(&req.cdb, DataDirection::ToDevice(d), req.timeout),
        RequestData::In(n) => {
            buf = vec![0u8; *n];
            t.execute(&req.cdb, DataDirection::FromDevice(&mut buf), req.timeout)
        }
    };
    match result {
        Ok(c) => {
            buf.truncate(c.transferred.min(buf.len()));
            Response::Done(c, buf)
        }
        Err(e) if e.is_device_gone() => Response::Gone,
        Err(e) => Response::Failed(e.to_string()),
    }
}
