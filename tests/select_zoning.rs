//! Zoning hooks: a switch's program runs, without a shell, with the route
//! as arguments on secure and on release; a failing hook undoes the
//! securing and names the switch.

mod common;
mod select_support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use segcopy::catalog::Target;
use segcopy::select::{self, Request, SelectError};
use select_support::{both, held, inventory, me, site};

/// A hook that appends its argument count and arguments, one line per
/// run, to `log`, and
/// fails (exit 3, a word on stderr) when its first argument is `fail`
/// and it is asked to secure.
fn hook(dir: &Path, log: &Path) -> PathBuf {
    let p = dir.join("zone");
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\necho \"$# $*\" >> '{}'\nif [ \"$1\" = fail ] && [ \"$2\" = secure ]; then echo 'zone table full' >&2; exit 3; fi\nexit 0\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// two-path with hooks on both switches; sw1's first argument is
/// `sw1_arg`.
fn zoned_site(prog: &Path, sw1_arg: &str) -> String {
    let text = std::fs::read_to_string(common::fixtures_dir().join("sites/two-path.toml")).unwrap();
    text.replacen(
        "[[switch]]\nname = \"sw0\"\n",
        &format!(
            "[[switch]]\nname = \"sw0\"\nzoning = [\"{}\", \"ok\", \"a b\"]\n",
            prog.display()
        ),
        1,
    )
    .replacen(
        "[[switch]]\nname = \"sw1\"\n",
        &format!(
            "[[switch]]\nname = \"sw1\"\nzoning = [\"{}\", \"{sw1_arg}\"]\n",
            prog.display()
        ),
        1,
    )
    .replace(
        "state_dir = \"../../target/sim-state/two-path\"",
        "state_dir = \"memory\"",
    )
}

fn request() -> Request {
    Request {
        purpose: "zoned backup".into(),
        source: "prod0".into(),
        streams: 2,
        target: Target::Tape,
        host_movers: false,
    }
}

fn lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn hooks_get_the_route_on_secure_and_release() {
    both("hooks_get_the_route_on_secure_and_release", |store, _| {
        let dir = common::scsi::tmp_dir("zoning-ok");
        let log = dir.join("log");
        let prog = hook(&dir, &log);
        let inv = inventory(&site(&zoned_site(&prog, "ok")));
        let got = select::secure(&inv, store, &me("b"), &request()).unwrap();
        let id = got.holder.id;
        // "a b" stays one argument: no shell splits it (8 arguments, not 9).
        assert_eq!(
            lines(&log),
            [
                format!("8 ok a b secure {id} 0 cm0 prod0 drive0"),
                format!("7 ok secure {id} 1 cm1 prod0 drive1"),
            ]
        );
        select::release(&inv, store, &got).unwrap();
        assert_eq!(
            lines(&log)[2..],
            [
                format!("8 ok a b release {id} 0 cm0 prod0 drive0"),
                format!("7 ok release {id} 1 cm1 prod0 drive1"),
            ]
        );
        assert!(held(store).is_empty());
    });
}

#[test]
fn a_failing_hook_undoes_the_securing() {
    both("a_failing_hook_undoes_the_securing", |store, mem| {
        let dir = common::scsi::tmp_dir("zoning-fail");
        let log = dir.join("log");
        let prog = hook(&dir, &log);
        let inv = inventory(&site(&zoned_site(&prog, "fail")));
        let e = select::secure(&inv, store, &me("b"), &request()).unwrap_err();
        match &e {
            SelectError::Zoning {
                switch,
                program,
                why,
            } => {
                assert_eq!(switch, "sw1");
                assert_eq!(program, &prog.display().to_string());
                assert!(why.contains("zone table full"), "{why}");
            }
            e => panic!("{e:?}"),
        }
        assert!(e.to_string().starts_with("zoning hook "), "{e}");
        let l = lines(&log);
        assert_eq!(l.len(), 3, "{l:?}");
        assert!(l[0].starts_with("8 ok a b secure "), "{l:?}");
        assert!(l[1].starts_with("7 fail secure "), "{l:?}");
        assert!(
            l[2].starts_with("8 ok a b release "),
            "sw0's zoning undone: {l:?}"
        );
        assert!(held(store).is_empty(), "nothing stays claimed");
        assert!(mem.is_none_or(|m| m.holders().is_empty()));
    });
}

#[test]
fn a_missing_program_is_a_zoning_error() {
    both("a_missing_program_is_a_zoning_error", |store, _| {
        let dir = common::scsi::tmp_dir("zoning-missing");
        let inv = inventory(&site(&zoned_site(&dir.join("no-such-program"), "ok")));
        let e = select::secure(&inv, store, &me("b"), &request()).unwrap_err();
        assert!(
            matches!(&e, SelectError::Zoning { switch, why, .. } if switch == "sw0" && why.starts_with("cannot be run")),
            "{e}"
        );
        assert!(held(store).is_empty());
    });
}
