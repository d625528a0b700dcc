//! Several backup servers, one SAN and one PostgreSQL catalog. Each "host"
//! is a segcopy process of its own with its own `--host-id`; the
//! simulated SAN they share is served by one more process (`segcopy serve
//! --fabric unix`), as the copy managers, drives and library of a real SAN
//! are shared by every host that reaches them; the catalog is a real
//! PostgreSQL server the test starts ([`TestServer`]).
//!
//! - Two, then eight hosts start backups at once: no copy manager, drive
//!   or tape is ever held twice (from the lease history), every backup
//!   completes or is refused, at once, for lack of resources, and every
//!   completed backup restores byte-identical. The contention figures are
//!   printed.
//! - A host killed (SIGKILL) mid-backup keeps its leases while it could
//!   still be alive, and loses them after the site's lease limit: then
//!   `backup --resume` from another host completes the backup.
//! - A host that loses the database mid-backup stops at the segment it is
//!   on, records nothing it cannot commit, and the backup resumed from
//!   another host restores byte-identical.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::san::no_resource_held_twice;
use common::scsi::tmp_dir;
use segcopy::catalog::pg_server::TestServer;
use segcopy::catalog::postgres::PgStore;
use segcopy::catalog::{BackupStatus, Store};
use segcopy::inventory::Inventory;
use segcopy::site::Loaded;
use segcopy::transport::commands::Scsi;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const BLOCK: u32 = 512;
/// The hosts' sources: 2 MiB each, eight segments of 256 KiB.
const SMALL: u64 = 2 * MIB;
/// The source a host dies in the middle of: 64 segments of 1 MiB.
const BIG: u64 = 64 * MIB;
/// The site's lease limit, in seconds.
const LEASE_LIMIT: u64 = 3;
/// Exit codes (README): no resources, busy.
const NO_RESOURCES: i32 = 30;
const BUSY: i32 = 26;

/// 4 switches with a copy manager each, 6 drives over them, one library of
/// 12 cartridges; 8 sources and their restore targets, a big source and
/// its target, on every switch; state in files (served by one process).
fn site_text() -> String {
    let all: Vec<String> = (0..4).map(|i| format!("\"sw{i}\"")).collect();
    let all = all.join(", ");
    let mut s = format!("[site]\nstate_dir = \"state\"\nlease_limit = {LEASE_LIMIT}\n\n");
    for i in 0..4 {
        s += &format!(
            "[[switch]]\nname = \"sw{i}\"\n\n[[copy_manager]]\nname = \"cm{i}\"\nlinks = [\"sw{i}\"]\n\n"
        );
    }
    for i in 0..6 {
        s += &format!(
            "[[drive]]\nname = \"drive{i}\"\nlinks = [\"sw{}\"]\n\n",
            i % 4
        );
    }
    for i in 0..8 {
        s += &format!(
            "[[disk]]\nname = \"prod{i}\"\ncapacity = {SMALL}\nlinks = [{all}]\n\n\
             [[disk]]\nname = \"restore{i}\"\ncapacity = {SMALL}\nlinks = [{all}]\n\n"
        );
    }
    s += &format!(
        "[[disk]]\nname = \"big\"\ncapacity = {BIG}\nlinks = [{all}]\n\n\
         [[disk]]\nname = \"bigr\"\ncapacity = {BIG}\nlinks = [{all}]\n\n"
    );
    let drives: Vec<String> = (0..6).map(|i| format!("\"drive{i}\"")).collect();
    let carts: Vec<String> = (1..=12)
        .map(|i| format!("{{ barcode = \"H{i:05}L6\", slot = {i} }}"))
        .collect();
    s += &format!(
        "[[library]]\nname = \"lib0\"\nslots = 12\ndrives = [{}]\ncartridge_capacity = \"512 MiB\"\n\
         cartridges = [{}]\nlinks = [{all}]\n",
        drives.join(", "),
        carts.join(", ")
    );
    s
}

/// One simulated SAN served to the hosts, and one catalog.
struct Shared {
    dir: PathBuf,
    site: PathBuf,
    socket: PathBuf,
    url: String,
    server: Child,
    store: PgStore,
    inventory: Inventory,
}

impl Shared {
    fn start(test: &str, pg: &TestServer) -> Shared {
        let dir = tmp_dir(test);
        let site = dir.join("site.toml");
        std::fs::write(&site, site_text()).unwrap();
        let socket = dir.join("san.sock");
        let server = Command::new(env!("CARGO_BIN_EXE_segcopy"))
            .arg("--site")
            .arg(&site)
            .args(["serve", "--fabric", "unix", "--socket"])
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "the SAN server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let url = pg.fresh_database().unwrap();
        let store = PgStore::connect(&url).unwrap();
        let loaded = Loaded::through_san(&site, &socket).unwrap();
        let inventory = Inventory::from_site(&loaded.site);
        let shared = Shared {
            dir,
            site,
            socket,
            url,
            server,
            store,
            inventory,
        };
        for i in 0..8 {
            shared.fill(&format!("prod{i}"), SMALL, i);
        }
        shared.fill("big", BIG, 99);
        shared
    }

    fn loaded(&self) -> Loaded {
        Loaded::through_san(&self.site, &self.socket).unwrap()
    }

    /// A pattern of `disk`'s own (seeded by `seed`), so a restore from
    /// another host's backup would show.
    fn pattern(seed: u64, at: u64, len: usize) -> Vec<u8> {
        (0..len as u64)
            .map(|j| {
                let x = (seed + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ ((at + j) / 8);
                (x.wrapping_mul(0xbf58_476d_1ce4_e5b9) >> ((j % 8) * 8)) as u8
            })
            .collect()
    }

    fn fill(&self, disk: &str, bytes: u64, seed: u64) {
        let loaded = self.loaded();
        let t = loaded.open(disk).unwrap();
        for at in (0..bytes).step_by(MIB as usize) {
            Scsi::new(t.as_ref())
                .write16(
                    at / u64::from(BLOCK),
                    BLOCK,
                    &Shared::pattern(seed, at, MIB as usize),
                )
                .unwrap();
        }
    }

    /// Whether `a` and `b` hold the same `bytes`.
    fn same(&self, a: &str, b: &str, bytes: u64) -> bool {
        let loaded = self.loaded();
        let (ta, tb) = (loaded.open(a).unwrap(), loaded.open(b).unwrap());
        let (mut x, mut y) = (vec![0u8; MIB as usize], vec![0u8; MIB as usize]);
        for at in (0..bytes).step_by(MIB as usize) {
            Scsi::new(ta.as_ref())
                .read16(at / u64::from(BLOCK), BLOCK, &mut x)
                .unwrap();
            Scsi::new(tb.as_ref())
                .read16(at / u64::from(BLOCK), BLOCK, &mut y)
                .unwrap();
            if x != y {
                return false;
            }
        }
        true
    }

    /// segcopy as host `host`: `args` then `--host-id host`.
    fn segcopy(&self, host: &str, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_segcopy"));
        c.arg("--site")
            .arg(&self.site)
            .arg("--san")
            .arg(&self.socket)
            .arg("--catalog")
            .arg(&self.url)
            .args(args)
            .args(["--host-id", host])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, host: &str, args: &[&str]) -> (i32, String) {
        words(&self.segcopy(host, args).output().unwrap())
    }

    /// Restores backup `id` to `target` from host `host`; whether the
    /// target then equals `source`.
    fn restores_identical(&self, id: i64, source: &str, target: &str, bytes: u64) -> bool {
        let (code, out) = self.run("restorer", &["restore", &id.to_string(), "--to", target]);
        assert_eq!(code, 0, "restore of backup {id}: {out}");
        self.same(source, target, bytes)
    }

    /// Segments recorded of the newest backup of `source`, if any.
    fn recorded(&self, source: &str) -> Option<(i64, usize)> {
        let b = self
            .store
            .backups()
            .ok()?
            .into_iter()
            .rfind(|b| b.object.source == source)?;
        Some((b.id, self.store.backup(b.id).ok()?.segments.len()))
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.server.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.server.wait();
        let _ = &self.dir;
    }
}

fn words(out: &Output) -> (i32, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

/// The backup number and the securing time (ms) a completed backup's
/// summary gives.
fn completed(out: &str) -> Option<(i64, u64, u32)> {
    let line = out
        .lines()
        .find(|l| l.starts_with("backup ") && l.contains(": completed"))?;
    let id = line["backup ".len()..line.find(':')?].parse().ok()?;
    let sec = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("secured "))?;
    let ms = sec
        .split(" in ")
        .nth(1)?
        .split(" ms")
        .next()?
        .parse()
        .ok()?;
    let claims = sec.split('(').nth(1)?.split(' ').next()?.parse().ok()?;
    Some((id, ms, claims))
}

#[test]
fn two_then_eight_hosts_share_one_san_and_one_catalog() {
    let Some(pg) = TestServer::or_skip("two_then_eight_hosts_share_one_san_and_one_catalog") else {
        return;
    };
    let san = Shared::start("multi-host", pg);
    let mut report = Vec::new();
    for hosts in [2usize, 8] {
        let children: Vec<(usize, Child)> = (0..hosts)
            .map(|i| {
                let source = format!("prod{i}");
                let c = san
                    .segcopy(
                        &format!("host{i}"),
                        &[
                            "backup",
                            &source,
                            "--to",
                            "tape",
                            "--streams",
                            "2",
                            "--segment-size",
                            "256KiB",
                        ],
                    )
                    .spawn()
                    .unwrap();
                (i, c)
            })
            .collect();
        let (mut done, mut refused, mut longest, mut most_claims) = (Vec::new(), 0, 0u64, 0u32);
        for (i, c) in children {
            let (code, out) = words(&c.wait_with_output().unwrap());
            match code {
                0 => {
                    let (id, ms, claims) = completed(&out).unwrap_or_else(|| {
                        panic!("host{i}: exit 0 but no completed backup:\n{out}")
                    });
                    longest = longest.max(ms);
                    most_claims = most_claims.max(claims);
                    done.push((i, id));
                }
                NO_RESOURCES => {
                    // Refused at once, in one sentence saying what ran short.
                    assert!(
                        out.contains("streams could be secured: no usable"),
                        "host{i}: refused without the reason:\n{out}"
                    );
                    refused += 1;
                }
                other => panic!("host{i}: exit {other}:\n{out}"),
            }
        }
        if hosts == 2 {
            assert_eq!(
                done.len(),
                2,
                "two hosts, four copy managers: both complete"
            );
        }
        assert!(!done.is_empty(), "{hosts} hosts: none completed");
        assert_eq!(done.len() + refused, hosts);
        // Nothing held twice, nothing left held, every completed backup
        // whole in the catalog and byte-identical restored.
        no_resource_held_twice(&san.store, &san.inventory);
        assert_eq!(san.store.leases().unwrap(), []);
        for &(i, id) in &done {
            let d = san.store.backup(id).unwrap();
            assert_eq!(d.backup.status, BackupStatus::Completed);
            assert_eq!(d.backup.object.source, format!("prod{i}"));
            assert!(
                san.restores_identical(id, &format!("prod{i}"), &format!("restore{i}"), SMALL),
                "backup {id} of prod{i} does not restore byte-identical"
            );
        }
        report.push(format!(
            "{hosts} hosts: {hosts} backups started, {} completed, {refused} refused for lack of resources; \
             longest wait to secure {longest} ms (at most {most_claims} claims)",
            done.len()
        ));
    }
    for r in &report {
        eprintln!("{r}");
    }
}

/// Starts a backup of `big` as `host` and returns it once `at_least` of
/// its segments are recorded (it must not have ended before).
fn big_backup_under_way(san: &Shared, host: &str, at_least: usize) -> Child {
    let args = [
        "backup",
        "big",
        "--to",
        "tape",
        "--streams",
        "2",
        "--segment-size",
        "1MiB",
    ];
    let mut c = san.segcopy(host, &args).spawn().unwrap();
    let t0 = Instant::now();
    while san.recorded("big").is_none_or(|(_, n)| n < at_least) {
        if let Some(s) = c.try_wait().unwrap() {
            panic!(
                "the backup ended ({s}) before {at_least} segments were recorded: {:?}",
                words(&c.wait_with_output().unwrap())
            );
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no segment recorded"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    c
}

/// Kills (SIGKILL) a backup of `big` by `host` once `at_least` segments
/// are recorded; the backup's number and what was recorded.
fn kill_mid_backup(san: &Shared, host: &str, at_least: usize) -> (i64, usize) {
    let mut c = big_backup_under_way(san, host, at_least);
    c.kill().unwrap();
    c.wait().unwrap();
    let (id, n) = san.recorded("big").unwrap();
    assert!(n < (BIG / MIB) as usize, "killed after the last segment");
    (id, n)
}

#[test]
fn a_killed_host_loses_its_leases_after_the_limit_and_another_host_resumes() {
    let Some(pg) = TestServer::or_skip(
        "a_killed_host_loses_its_leases_after_the_limit_and_another_host_resumes",
    ) else {
        return;
    };
    let san = Shared::start("multi-host-kill", pg);
    let (id, recorded) = kill_mid_backup(&san, "doomed", 3);
    let killed = Instant::now();
    assert!(
        !san.store.leases().unwrap().is_empty(),
        "the dead host's leases are there"
    );
    // At once, from another host: the dead host may still be alive for all
    // the catalog knows, so its backup is not taken over.
    let (code, out) = san.run("rescuer", &["backup", "--resume", &id.to_string()]);
    assert!(
        killed.elapsed() < Duration::from_secs(LEASE_LIMIT),
        "too slow to test the limit"
    );
    assert_eq!(code, BUSY, "{out}");
    assert!(out.contains("is being run by"), "{out}");
    assert!(out.contains("doomed"), "{out}");
    // After the limit, it is.
    std::thread::sleep(Duration::from_secs(LEASE_LIMIT + 1).saturating_sub(killed.elapsed()));
    let (code, out) = san.run("rescuer", &["backup", "--resume", &id.to_string()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("host doomed has not said it lives"),
        "the reaping names the host: {out}"
    );
    assert!(out.contains(&format!("from segment {recorded}")), "{out}");
    assert_eq!(san.store.leases().unwrap(), []);
    no_resource_held_twice(&san.store, &san.inventory);
    assert_eq!(
        san.store.backup(id).unwrap().backup.status,
        BackupStatus::Completed
    );
    assert!(san.restores_identical(id, "big", "bigr", BIG));
}

#[test]
fn a_host_that_loses_the_database_stops_and_another_host_resumes() {
    let Some(pg) =
        TestServer::or_skip("a_host_that_loses_the_database_stops_and_another_host_resumes")
    else {
        return;
    };
    let san = Shared::start("multi-host-db-lost", pg);
    let db = san.url.rsplit('/').next().unwrap().to_string();
    let mut admin = postgres::Client::connect(&pg.url("postgres"), postgres::NoTls).unwrap();
    let c = big_backup_under_way(&san, "lost", 3);
    // The database goes away: no new connection, every one cut.
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {db} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{db}' AND pid <> pg_backend_pid()"
        ))
        .unwrap();
    let lost = Instant::now();
    let (code, out) = words(&c.wait_with_output().unwrap());
    let stopped = lost.elapsed();
    assert_ne!(code, 0, "{out}");
    admin
        .batch_execute(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"))
        .unwrap();
    let store = PgStore::connect(&san.url).unwrap();
    let (id, recorded) = {
        let b = store
            .backups()
            .unwrap()
            .into_iter()
            .find(|b| b.object.source == "big")
            .unwrap();
        (b.id, store.backup(b.id).unwrap().segments.len())
    };
    eprintln!(
        "the host stopped {stopped:?} after the database went, {recorded} segments recorded: {out}"
    );
    assert!(
        recorded < (BIG / MIB) as usize,
        "it went on without its catalog: {out}"
    );
    assert!(
        stopped < Duration::from_secs(30),
        "it did not stop at the segment it was on"
    );
    assert_eq!(
        store.backup(id).unwrap().backup.status,
        BackupStatus::Running
    );
    // What it had recorded is on tape: another host resumes after the
    // lease limit and the whole restores byte-identical.
    std::thread::sleep(Duration::from_secs(LEASE_LIMIT + 1));
    let (code, out) = san.run("rescuer", &["backup", "--resume", &id.to_string()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("from segment {recorded}")), "{out}");
    assert!(san.restores_identical(id, "big", "bigr", BIG));
    no_resource_held_twice(&store, &san.inventory);
}

#[test]
fn a_sqlite_catalog_migrated_to_postgres_restores_byte_identical() {
    let Some(pg) =
        TestServer::or_skip("a_sqlite_catalog_migrated_to_postgres_restores_byte_identical")
    else {
        return;
    };
    let san = Shared::start("multi-host-migrate", pg);
    let sqlite = format!("sqlite:{}", san.dir.join("old.sqlite").display());
    let old = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_segcopy"));
        c.arg("--site")
            .arg(&san.site)
            .arg("--san")
            .arg(&san.socket)
            .args(args)
            .stdin(Stdio::null());
        words(&c.output().unwrap())
    };
    let (code, out) = old(&[
        "--catalog",
        &sqlite,
        "backup",
        "prod0",
        "--to",
        "tape",
        "--streams",
        "2",
        "--segment-size",
        "256KiB",
    ]);
    assert_eq!(code, 0, "{out}");
    let (id, _, _) = completed(&out).unwrap();
    let (code, out) = old(&["catalog", "migrate", "--from", &sqlite, "--to", &san.url]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("moved 1 backup(s) (8 segment records"),
        "{out}"
    );
    let before = segcopy::catalog::open(&sqlite).unwrap().backup(id).unwrap();
    let after = san.store.backup(id).unwrap();
    assert_eq!(before.segments, after.segments);
    assert_eq!(
        san.store.catalog_id().unwrap(),
        segcopy::catalog::open(&sqlite)
            .unwrap()
            .catalog_id()
            .unwrap()
    );
    // Restored through the PostgreSQL catalog, by another host.
    assert!(san.restores_identical(id, "prod0", "restore0", SMALL));
    // Once only: the new catalog is no longer empty.
    let (code, out) = old(&["catalog", "migrate", "--from", &sqlite, "--to", &san.url]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("migrate into an empty catalog"), "{out}");
}
