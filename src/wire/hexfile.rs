//! The golden-byte file format of `fixtures/`: hexadecimal bytes separated
//! by white space, with `#` starting a comment that runs to the end of the
//! line, so every field of a fixture can carry its own note.

use core::fmt;

/// A fixture line that is not hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {token:?} is not a hex byte (two hex digits)")]
pub struct HexFileError {
    /// 1-based line number.
    pub line: usize,
    /// The offending word.
    pub token: String,
}

/// Parses the text of a hex fixture into bytes. Words may be one byte
/// (`0a`) or a run of bytes written together (`0a0b0c`).
pub fn parse(text: &str) -> Result<Vec<u8>, HexFileError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let data = line.split('#').next().unwrap_or("");
        for token in data.split_whitespace() {
            let bad = || HexFileError {
                line: i + 1,
                token: token.to_string(),
            };
            if token.len() % 2 != 0 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            for pair in token.as_bytes().chunks(2) {
                let s = core::str::from_utf8(pair).map_err(|_| bad())?;
                out.push(u8::from_str_radix(s, 16).map_err(|_| bad())?);
            }
        }
    }
    Ok(out)
}

/// Writes bytes in the fixture format, 16 to a line, with an offset comment.
pub struct Writer<'a>(pub &'a [u8]);

impl fmt::Display for Writer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, chunk) in self.0.chunks(16).enumerate() {
            for b in chunk {
                write!(f, "{b:02x} ")?;
            }
            writeln!(f, "# {:04x}", i * 16)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_runs() {
        let t = "# header\n83 00 # opcode, SA\n0a0b   0c\n";
        assert_eq!(parse(t).unwrap(), vec![0x83, 0, 0x0a, 0x0b, 0x0c]);
    }

    #[test]
    fn rejects_odd_digit_and_non_hex() {
        assert_eq!(parse("83 0").unwrap_err().line, 1);
        assert_eq!(parse("\nzz").unwrap_err().token, "zz");
    }

    #[test]
    fn writer_parses_back() {
        let bytes: Vec<u8> = (0..40).collect();
        assert_eq!(parse(&Writer(&bytes).to_string()).unwrap(), bytes);
    }
}
