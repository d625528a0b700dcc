//! `--catalog URL`: the catalog a command reads and writes, and catalog
//! errors as exit codes.

use segcopy::catalog::{self, Store, StoreError};

use super::{exit, site, Failed};

/// Opens the catalog `url` names, or the default one (the site's state
/// directory, else the user's state directory: [`catalog::default_url`]).
pub fn open(url: Option<&str>) -> Result<Box<dyn Store>, Failed> {
    let url = match url {
        Some(u) => u.to_string(),
        None => catalog::default_url(site::get().map(|l| &l.site)).map_err(failed)?,
    };
    catalog::open(&url).map_err(failed)
}

/// A catalog error in words, with its exit code: a catalog that cannot be
/// opened or read is FILE_ERROR (15), a resource in use BUSY (26), and
/// everything the user asked wrongly (a bad URL, no such backup or job, a
/// name taken) bad input (1).
pub fn failed(e: StoreError) -> Failed {
    Failed::new(code(&e), e.to_string())
}

/// The exit code for a catalog error (see [`failed`]).
pub fn code(e: &StoreError) -> u8 {
    match e {
        StoreError::Backend { .. } | StoreError::TooNew { .. } => exit::FILE_ERROR,
        StoreError::Taken { .. } | StoreError::InProgress { .. } | StoreError::Released { .. } => {
            exit::BUSY
        }
        StoreError::BadUrl { .. }
        | StoreError::NoSuchBackup { .. }
        | StoreError::NoSuchJob(_)
        | StoreError::JobExists(_)
        | StoreError::NotResumable { .. }
        | StoreError::Invalid(_) => exit::SYNTAX,
    }
}

/// A size for people (see [`segcopy::units::format_size`]).
pub fn size(bytes: u64) -> String {
    segcopy::units::format_size(bytes)
}

/// A table in columns without borders (one row a line, for eyes and for
/// `grep`/`awk` alike).
pub fn table(header: &[&str]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING)
        .set_header(header.to_vec());
    t
}

/// A table as text: each line without the padding at its ends.
pub fn render(t: &comfy_table::Table) -> String {
    let mut s = String::new();
    for line in t.lines() {
        s.push_str(line.strip_prefix(' ').unwrap_or(&line).trim_end());
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(64 << 20), "64 MiB");
        assert_eq!(size(3 << 30), "3 GiB");
        assert_eq!(size(1536), "1536 bytes");
        assert_eq!(size(1024), "1 KiB");
        assert_eq!(size(0), "0 bytes");
    }
}
