//! A PostgreSQL server for tests, started by the tests themselves: Debian's
//! PostgreSQL (installed with apt-get when missing and this process may),
//! `initdb` in a temporary directory as an unprivileged user, the server on
//! 127.0.0.1 with a free port and its socket in that directory, and a
//! fresh database per test. A watchdog stops the server and removes its
//! directory once the test process is gone, however it ends.
//!
//! [`TestServer::get`] gives the one server of this process. Where no
//! server can be had it says why; [`TestServer::or_skip`] then skips the
//! test loudly — except under `.ci/run` (`CI` set), where it fails.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running test server.
#[derive(Debug)]
pub struct TestServer {
    port: u16,
    dir: PathBuf,
    user: String,
    next_db: AtomicU32,
}

static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();

/// The Debian package that brings the server.
const PACKAGE: &str = "postgresql";

impl TestServer {
    /// The server of this process (started on first use), or why there is
    /// none.
    pub fn get() -> Result<&'static TestServer, &'static str> {
        SERVER
            .get_or_init(TestServer::start)
            .as_ref()
            .map_err(String::as_str)
    }

    /// The server, or `None` after saying loudly on stderr why the test is
    /// skipped; under CI (`CI` set) a missing server fails the test.
    pub fn or_skip(test: &str) -> Option<&'static TestServer> {
        match TestServer::get() {
            Ok(s) => Some(s),
            Err(why) if std::env::var_os("CI").is_some() => {
                panic!("{test}: PostgreSQL is required under CI and there is none: {why}")
            }
            Err(why) => {
                eprintln!("SKIPPED {test}: no PostgreSQL server for the test: {why}");
                None
            }
        }
    }

    /// A new, empty database on the server, as a URL.
    pub fn fresh_database(&self) -> Result<String, String> {
        let n = self.next_db.fetch_add(1, Ordering::Relaxed);
        let name = format!("t{}_{n}", std::process::id());
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .map_err(|e| format!("connecting to the test server: {e}"))?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
        Ok(self.url(&name))
    }

    /// The URL of `database` on this server.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{}@127.0.0.1:{}/{database}",
            self.user, self.port
        )
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its data directory's parent (socket, log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA (PEM) that signed the server's TLS certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    fn start() -> Result<TestServer, String> {
        let bin = match find_bin() {
            Some(b) => b,
            None => {
                install()?;
                find_bin().ok_or_else(|| {
                    format!("{PACKAGE} was installed but no initdb is under /usr/lib/postgresql")
                })?
            }
        };
        let root = nix::unistd::geteuid().is_root();
        // initdb and postgres refuse to run as root: as the package's own
        // user then (Debian's postgresql makes "postgres").
        let run_as = if root {
            Some(
                nix::unistd::User::from_name("postgres")
                    .ok()
                    .flatten()
                    .ok_or(
                        "running as root, and there is no user \"postgres\" to run the server as",
                    )?,
            )
        } else {
            None
        };
        let dir = std::env::temp_dir().join(format!("segcopy-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if let Some(u) = &run_as {
            nix::unistd::chown(&dir, Some(u.uid), Some(u.gid))
                .map_err(|e| format!("chown {}: {e}", dir.display()))?;
        }
        let user = "segcopy".to_string();
        let cmd = |program: &Path| -> Command {
            match &run_as {
                Some(u) => {
                    let mut c = Command::new("runuser");
                    c.args(["-u", &u.name, "--"]).arg(program);
                    c
                }
                None => Command::new(program),
            }
        };
        let data = dir.join("data");
        let out = cmd(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", &user, "-E", "UTF8", "--no-sync"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let port = free_port()?;
        let log = dir.join("server.log");
        // TLS offered, with a CA of the test's own (`ca.pem`) that signed
        // the server's certificate for 127.0.0.1.
        certificates(&dir)?;
        if let Some(u) = &run_as {
            for f in ["server.key", "server.crt"] {
                nix::unistd::chown(&dir.join(f), Some(u.uid), Some(u.gid))
                    .map_err(|e| format!("chown {f}: {e}"))?;
            }
        }
        // The watchdog: starts the server, waits for this process to end,
        // then stops the server and removes the directory.
        let script = format!(
            "{postgres} -D {data} -p {port} -k {dir} -c listen_addresses=127.0.0.1 \
             -c max_connections=200 -c fsync=off -c ssl=on \
             -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key \
             >{log} 2>&1 & pg=$!; \
             while [ -d /proc/{parent} ] && kill -0 $pg 2>/dev/null; do sleep 1; done; \
             kill -INT $pg 2>/dev/null; wait $pg; rm -rf {dir}",
            postgres = bin.join("postgres").display(),
            data = data.display(),
            dir = dir.display(),
            log = log.display(),
            parent = std::process::id(),
        );
        let mut watchdog = cmd(Path::new("/bin/sh"));
        watchdog
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        watchdog
            .spawn()
            .map_err(|e| format!("starting postgres: {e}"))?;
        let server = TestServer {
            port,
            dir,
            user,
            next_db: AtomicU32::new(0),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match postgres::Client::connect(&server.url("postgres"), postgres::NoTls) {
                Ok(_) => return Ok(server),
                Err(e) if Instant::now() > deadline => {
                    let mut text = String::new();
                    if let Ok(mut f) = std::fs::File::open(&log) {
                        let _ = f.read_to_string(&mut text);
                    }
                    return Err(format!(
                        "the server did not accept connections within 60 s ({e}); its log: {}",
                        text.trim()
                    ));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

/// Makes `ca.pem` (a CA), and `server.crt` and `server.key` (0600) that it
/// signed for 127.0.0.1, in `dir`, with openssl (which Debian's
/// postgresql brings, through ssl-cert).
fn certificates(dir: &Path) -> Result<(), String> {
    let openssl = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("openssl (for the test server's TLS certificates): {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "openssl {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    };
    let ext = dir.join("san.ext");
    std::fs::write(&ext, "subjectAltName = IP:127.0.0.1\n")
        .map_err(|e| format!("{}: {e}", ext.display()))?;
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=segcopy test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ])?;
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ])?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
    ])?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .map_err(|e| format!("chmod server.key: {e}"))
}

/// The newest `/usr/lib/postgresql/N/bin` with initdb and postgres.
fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("postgres").is_file()).then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b)
}

/// Installs Debian's PostgreSQL, if this process may.
fn install() -> Result<(), String> {
    if !nix::unistd::geteuid().is_root() {
        return Err(format!(
            "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb) and this is not root: apt-get install {PACKAGE}"
        ));
    }
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("apt-get {}: {e}", args.join(" ")))
    };
    let get = ["install", "-y", "--no-install-recommends", PACKAGE];
    let mut out = apt(&get)?;
    if !out.status.success() {
        // A fresh machine's package lists may not know it yet.
        apt(&["update"])?;
        out = apt(&get)?;
    }
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "apt-get install {PACKAGE} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A port on 127.0.0.1 nothing listens on now.
fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}
