//! The simulated SAN shared by several processes: one process serves a
//! site's simulated devices on a Unix socket (`segcopy serve --fabric unix
//! --socket PATH`), and every other process — each posing as a backup
//! server of its own (`--host-id`) — reaches them through it
//! (`--san PATH`), as several hosts reach one SAN's copy managers, drives
//! and library. What the devices hold (disks, cartridges, the library's
//! map) then lives in one process, as it does in the real devices;
//! securing them between the hosts is the shared catalog's work.
//!
//! The protocol is one SCSI command per request, on a connection that
//! carries one command at a time (a [`SanTransport`] keeps a few open, so
//! several streams may use one device at once). All integers big-endian;
//! every message is prefixed by its length (u32):
//!
//! request:  version (1) | name length (u16) | name | CDB length (u8) | CDB
//!           | direction (0 none, 1 in, 2 out) | data-in length (u32)
//!           | time-out in ms (u32) | data-out bytes
//! response: 0 | status | host status (u16) | driver status (u16)
//!           | resid (u32) | transferred (u32) | duration in µs (u32)
//!           | sense length (u8) | sense | data-in bytes (transferred)
//!         | 1 (the device is gone)
//!         | 2 | message (what the server could not do, in words)

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use super::{
    Completion, DataDirection, DriverStatus, HostStatus, ScsiStatus, Transport, TransportError,
};

/// The protocol's version, first in every request.
pub const VERSION: u8 = 1;

/// The longest message either side takes (a 64 MiB data phase and change):
/// a length past it is a broken peer, not a buffer to allocate.
pub const MAX_MESSAGE: usize = (64 << 20) + 4096;

/// How much longer than a command's own time-out the client waits for the
/// server's answer before it takes the server for gone.
const GRACE: Duration = Duration::from_secs(30);

/// A request as the server reads it.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// The device's name in the site.
    pub name: String,
    /// The CDB.
    pub cdb: Vec<u8>,
    /// The data phase: `None`, data in of this many bytes, or data out.
    pub data: RequestData,
    /// The command's time-out.
    pub timeout: Duration,
}

/// A request's data phase.
#[derive(Debug, PartialEq, Eq)]
pub enum RequestData {
    /// None.
    None,
    /// Data in, into a buffer of this many bytes.
    In(usize),
    /// Data out: these bytes.
    Out(Vec<u8>),
}

/// The server's answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Response {
    /// The command reached the device; its data in (`transferred` bytes).
    Done(Completion, Vec<u8>),
    /// The device is gone.
    Gone,
    /// The server could not run the command (in words).
    Failed(String),
}

/// A malformed message.
#[derive(Debug, thiserror::Error)]
pub enum SanError {
    /// Reading or writing the socket.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A message that does not parse.
    #[error("a malformed message: {0}")]
    Malformed(&'static str),
}

/// Writes `body` with its length.
pub fn write_message(w: &mut impl Write, body: &[u8]) -> Result<(), SanError> {
    let len = u32::try_from(body.len()).map_err(|_| SanError::Malformed("too long"))?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(body)?;
    w.flush()?;
    Ok(())
}

/// Reads one message; `None` at a clean end of the stream.
pub fn read_message(r: &mut impl Read) -> Result<Option<Vec<u8>>, SanError> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_MESSAGE {
        return Err(SanError::Malformed("a length past the largest message"));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

/// A cursor over a message.
struct Take<'a>(&'a [u8]);

impl<'a> Take<'a> {
    fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], SanError> {
        if self.0.len() < n {
            return Err(SanError::Malformed(what));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, SanError> {
        Ok(self.bytes(1, what)?[0])
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, SanError> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, SanError> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Request {
    /// The request's bytes.
    pub fn encode(name: &str, cdb: &[u8], data: &DataDirection<'_>, timeout: Duration) -> Vec<u8> {
        let mut b = Vec::with_capacity(16 + name.len() + cdb.len() + data.len());
        b.push(VERSION);
        b.extend_from_slice(&(name.len() as u16).to_be_bytes());
        b.extend_from_slice(name.as_bytes());
        b.push(cdb.len() as u8);
        b.extend_from_slice(cdb);
        let (dir, in_len) = match data {
            DataDirection::None => (0u8, 0),
            DataDirection::FromDevice(buf) => (1, buf.len()),
            DataDirection::ToDevice(_) => (2, 0),
        };
        b.push(dir);
        b.extend_from_slice(&(in_len as u32).to_be_bytes());
        let ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        b.extend_from_slice(&ms.to_be_bytes());
        if let DataDirection::ToDevice(out) = data {
            b.extend_from_slice(out);
        }
        b
    }

    /// Parses a request.
    pub fn decode(body: &[u8]) -> Result<Request, SanError> {
        let mut t = Take(body);
        if t.u8("no version")? != VERSION {
            return Err(SanError::Malformed("another protocol version"));
        }
        let n = t.u16("no name length")? as usize;
        let name = String::from_utf8(t.bytes(n, "a short name")?.to_vec())
            .map_err(|_| SanError::Malformed("a name that is not UTF-8"))?;
        let c = t.u8("no CDB length")? as usize;
        let cdb = t.bytes(c, "a short CDB")?.to_vec();
        let dir = t.u8("no direction")?;
        let in_len = t.u32("no data-in length")? as usize;
        let timeout = Duration::from_millis(u64::from(t.u32("no time-out")?));
        let data = match dir {
            0 => RequestData::None,
            1 if in_len <= MAX_MESSAGE => RequestData::In(in_len),
            1 => {
                return Err(SanError::Malformed(
                    "a data-in length past the largest message",
                ))
            }
            2 => RequestData::Out(t.0.to_vec()),
            _ => return Err(SanError::Malformed("an unknown direction")),
        };
        Ok(Request {
            name,
            cdb,
            data,
            timeout,
        })
    }
}

impl Response {
    /// The response's bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Response::Done(c, data) => {
                let mut b = Vec::with_capacity(24 + c.sense.len() + data.len());
                b.push(0);
                b.push(c.status.to_byte());
                b.extend_from_slice(&c.host_status.to_raw().to_be_bytes());
                b.extend_from_slice(&c.driver_status.to_raw().to_be_bytes());
                b.extend_from_slice(&(c.resid as u32).to_be_bytes());
                b.extend_from_slice(&(c.transferred as u32).to_be_bytes());
                let us = u32::try_from(c.duration.as_micros()).unwrap_or(u32::MAX);
                b.extend_from_slice(&us.to_be_bytes());
                let sense = &c.sense[..c.sense.len().min(255)];
                b.push(sense.len() as u8);
                b.extend_from_slice(sense);
                b.extend_from_slice(data);
                b
            }
            Response::Gone => vec![1],
            Response::Failed(why) => {
                let mut b = vec![2];
                b.extend_from_slice(why.as_bytes());
                b
            }
        }
    }

    /// Parses a response.
    pub fn decode(body: &[u8]) -> Result<Response, SanError> {
        let mut t = Take(body);
        match t.u8("an empty response")? {
            0 => {
                let status = ScsiStatus::from_byte(t.u8("no status")?);
                let host_status = HostStatus::from_raw(t.u16("no host status")?);
                let driver_status = DriverStatus::from_raw(t.u16("no driver status")?);
                let resid = t.u32("no resid")? as usize;
                let transferred = t.u32("no transfer count")? as usize;
                let duration = Duration::from_micros(u64::from(t.u32("no duration")?));
                let n = t.u8("no sense length")? as usize;
                let sense = t.bytes(n, "short sense")?.to_vec();
                let data = t.0.to_vec();
                Ok(Response::Done(
                    Completion {
                        status,
                        host_status,
                        driver_status,
                        sense,
                        resid,
                        transferred,
                        duration,
                    },
                    data,
                ))
            }
            1 => Ok(Response::Gone),
            2 => Ok(Response::Failed(String::from_utf8_lossy(t.0).into_owned())),
            _ => Err(SanError::Malformed("an unknown response kind")),
        }
    }
}

/// A device of the shared simulated SAN, reached through its server.
pub struct SanTransport {
    name: String,
    socket: PathBuf,
    /// Connections not in use (one command at a time on each).
    idle: Mutex<Vec<UnixStream>>,
}

impl SanTransport {
    /// The device `name` behind the server at `socket`. Connects once to
    /// say at once, in words, when no server is there.
    pub fn open(socket: &Path, name: &str) -> Result<SanTransport, TransportError> {
        let t = SanTransport {
            name: name.to_string(),
            socket: socket.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        };
        let c = t.connect()?;
        t.idle().push(c);
        Ok(t)
    }

    /// The connections not in use.
    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<UnixStream>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn connect(&self) -> Result<UnixStream, TransportError> {
        UnixStream::connect(&self.socket).map_err(|e| TransportError::San {
            device: self.name.clone(),
            why: format!(
                "cannot reach the simulated SAN's server at {}: {e} (start it with: segcopy --site SITE serve --fabric unix --socket {})",
                self.socket.display(),
                self.socket.display()
            ),
        })
    }

    fn broken(&self, e: impl std::fmt::Display) -> TransportError {
        TransportError::San {
            device: self.name.clone(),
            why: format!(
                "the simulated SAN's server at {}: {e}",
                self.socket.display()
            ),
        }
    }
}

impl Transport for SanTransport {
    fn name(&self) -> &str {
        &self.name
    }

    fn execute(
        &self,
        cdb: &[u8],
        data: DataDirection<'_>,
        timeout: Duration,
    ) -> Result<Completion, TransportError> {
        let idle = self.idle().pop();
        let mut conn = match idle {
            Some(c) => c,
            None => self.connect()?,
        };
        conn.set_read_timeout(Some(timeout.saturating_add(GRACE)))
            .map_err(|e| self.broken(e))?;
        let body = Request::encode(&self.name, cdb, &data, timeout);
        write_message(&mut conn, &body).map_err(|e| self.broken(e))?;
        let answer = read_message(&mut conn)
            .map_err(|e| self.broken(e))?
            .ok_or_else(|| self.broken("it closed the connection"))?;
        // A whole exchange: the connection may carry the next command.
        self.idle().push(conn);
        match Response::decode(&answer).map_err(|e| self.broken(e))? {
            Response::Done(c, bytes) => {
                match data {
                    DataDirection::FromDevice(buf) => {
                        if bytes.len() != c.transferred || bytes.len() > buf.len() {
                            return Err(self.broken(format!(
                                "it sent {} bytes of data in for a transfer of {} into a buffer of {}",
                                bytes.len(),
                                c.transferred,
                                buf.len()
                            )));
                        }
                        buf[..bytes.len()].copy_from_slice(&bytes);
                    }
                    _ if !bytes.is_empty() => {
                        return Err(self.broken("it sent data in for a command without data in"))
                    }
                    _ => {}
                }
                Ok(c)
            }
            Response::Gone => Err(TransportError::Gone {
                device: self.name.clone(),
            }),
            Response::Failed(why) => Err(TransportError::San {
                device: self.name.clone(),
                why,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_responses_round_trip() {
        let mut buf = [0u8; 4];
        let r = Request::encode(
            "cm0",
            &[0x12, 0, 0, 0, 36, 0],
            &DataDirection::FromDevice(&mut buf),
            Duration::from_secs(5),
        );
        assert_eq!(
            Request::decode(&r).unwrap(),
            Request {
                name: "cm0".into(),
                cdb: vec![0x12, 0, 0, 0, 36, 0],
                data: RequestData::In(4),
                timeout: Duration::from_secs(5),
            }
        );
        let w = Request::encode(
            "d",
            &[0x8a; 16],
            &DataDirection::ToDevice(&[1, 2, 3]),
            Duration::ZERO,
        );
        assert_eq!(
            Request::decode(&w).unwrap().data,
            RequestData::Out(vec![1, 2, 3])
        );
        let mut c = Completion::check_condition(vec![0x70, 0, 5], 2, 2);
        c.duration = Duration::from_micros(7);
        let done = Response::Done(c, vec![9, 9]);
        assert_eq!(Response::decode(&done.encode()).unwrap(), done);
        assert_eq!(
            Response::decode(&Response::Gone.encode()).unwrap(),
            Response::Gone
        );
        let f = Response::Failed("no such device".into());
        assert_eq!(Response::decode(&f.encode()).unwrap(), f);
    }

    #[test]
    fn malformed_messages_are_refused_not_trusted() {
        for bad in [
            &[][..],
            &[2, 0],
            &[1, 0, 9, b'x'],
            &[1, 0, 1, b'x', 6, 1, 2],
        ] {
            assert!(Request::decode(bad).is_err(), "{bad:?}");
        }
        assert!(Response::decode(&[7]).is_err());
        assert!(Response::decode(&[0, 0, 0]).is_err(), "a short completion");
        let mut huge = &((MAX_MESSAGE as u32) + 1).to_be_bytes()[..];
        assert!(read_message(&mut huge).is_err());
        assert!(read_message(&mut &[][..]).unwrap().is_none());
    }

    #[test]
    fn no_server_is_said_in_words() {
        let e = SanTransport::open(Path::new("/nonexistent/san.sock"), "cm0")
            .err()
            .expect("no server");
        let s = e.to_string();
        assert!(
            s.contains("cannot reach the simulated SAN's server at /nonexistent/san.sock"),
            "{s}"
        );
        assert!(s.contains("serve --fabric unix"), "{s}");
    }
}
