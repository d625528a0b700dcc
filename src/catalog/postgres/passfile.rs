//! Where a PostgreSQL password comes from when the URL has none, as libpq
//! looks for it: `PGPASSWORD`, else the password file — `PGPASSFILE`, or
//! `~/.pgpass` — whose lines are `hostname:port:database:username:password`
//! (`*` matches anything; `\:` and `\\` escape), the first matching line
//! winning. A file that others may read is ignored, with a warning, as
//! libpq ignores it (PostgreSQL documentation, "The Password File").

use std::path::{Path, PathBuf};

/// What a password is looked up for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted<'a> {
    /// The host name (`localhost` for a Unix socket).
    pub host: &'a str,
    /// The port.
    pub port: u16,
    /// The database.
    pub database: &'a str,
    /// The user.
    pub user: &'a str,
}

/// The password for `w`: `PGPASSWORD`, else the password file's.
pub fn lookup(w: &Wanted<'_>) -> Option<String> {
    if let Some(p) = std::env::var_os("PGPASSWORD").filter(|p| !p.is_empty()) {
        return Some(p.to_string_lossy().into_owned());
    }
    let file = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pgpass")))?;
    from_file(&file, w)
}

/// The password for `w` in `file`, if the file is private and has one.
pub fn from_file(file: &Path, w: &Wanted<'_>) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(file).ok()?;
    if meta.permissions().mode() & 0o077 != 0 {
        log::warn!(
            "{}: others may read this password file, so it is not used (chmod 0600 {})",
            file.display(),
            file.display()
        );
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    find(&text, w)
}

/// The first line of `text` that matches `w`: its password.
pub fn find(text: &str, w: &Wanted<'_>) -> Option<String> {
    let port = w.port.to_string();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .filter_map(fields)
        .find(|f| {
            let is = |field: &str, value: &str| field == "*" || field == value;
            is(&f[0], w.host) && is(&f[1], &port) && is(&f[2], w.database) && is(&f[3], w.user)
        })
        .map(|f| f[4].clone())
}

/// A line's five fields, unescaped; `None` for a line without five.
fn fields(line: &str) -> Option<[String; 5]> {
    let mut out: Vec<String> = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.last_mut()?.push(chars.next().unwrap_or('\\')),
            ':' if out.len() < 5 => out.push(String::new()),
            c => out.last_mut()?.push(c),
        }
    }
    out.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Wanted<'static> = Wanted {
        host: "db.example",
        port: 5432,
        database: "segcopy",
        user: "seg",
    };

    #[test]
    fn the_first_matching_line_wins_with_wildcards_and_escapes() {
        let text = "# comment\n\
                    other:5432:segcopy:seg:no\n\
                    db.example:5433:*:seg:wrong-port\n\
                    db.example:*:segcopy:seg:s\\:cr\\\\et\n\
                    *:*:*:*:fallback\n";
        assert_eq!(find(text, &W).as_deref(), Some("s:cr\\et"));
        let elsewhere = Wanted { host: "x", ..W };
        assert_eq!(find(text, &elsewhere).as_deref(), Some("fallback"));
        assert_eq!(
            find("db.example:5432:segcopy:seg\n", &W),
            None,
            "four fields"
        );
        assert_eq!(find("", &W), None);
    }

    #[test]
    fn a_file_others_may_read_is_not_used() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("segcopy-pgpass-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("pgpass");
        std::fs::write(&f, "*:*:*:*:secret\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(from_file(&f, &W), None);
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(from_file(&f, &W).as_deref(), Some("secret"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
