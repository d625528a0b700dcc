//! The one size grammar of segcopy: the site file's sizes (`capacity =
//! "256 MiB"`) and every size on the command line (`--segment-size 8M`,
//! `tape write --block-size 64K`, …) are read by [`parse_size`].
//!
//! The grammar is the `parse-size` crate's, with binary multiples
//! throughout (`Config::new().with_binary()`): K, KB and KiB all mean 1024,
//! as dd and the sg3_utils tools read them; then M, G, T, P and E likewise.
//! A number may have a fractional part ("0.5 MiB") or an exponent ("1e3"),
//! spaces and underscores may group digits, and the unit is
//! case-insensitive.
//!
//! One rule is ours: the result must be a whole number of bytes. The crate
//! rounds "2.5B" to 3; a storage tool must not round a size it was given,
//! so such a size is refused ([`SizeError::Fractional`]), and so is one
//! whose check would need more than 128 bits (dozens of decimals).

use parse_size::Config;

/// The grammar: `parse-size` with binary multiples (1K = 1024).
const GRAMMAR: Config = Config::new().with_binary();

/// Why a text is not a size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// Not a number with an optional unit.
    #[error("{text:?} is not a size: write a number of bytes, optionally with a unit K, M, G, T, P or E (binary: 1K = 1024; KB and KiB mean the same)")]
    NotASize {
        /// The text given.
        text: String,
    },
    /// More than a 64-bit byte count holds.
    #[error("{text:?} is too large: segcopy counts bytes in 64 bits (at most 16 EiB - 1)")]
    TooLarge {
        /// The text given.
        text: String,
    },
    /// Not a whole number of bytes ("1.5B", "0.1K").
    #[error("{text:?} is not a whole number of bytes; segcopy does not round sizes: give the size in bytes or in a unit that makes it whole")]
    Fractional {
        /// The text given.
        text: String,
    },
}

/// Reads a size: "8 MiB", "8M", "64K", "1 TiB", "4096", "0.5 MiB", all
/// in bytes with binary multiples. Leading and trailing white space is
/// ignored. Refuses what is not a size, what does not fit 64 bits, and
/// what is not a whole number of bytes, each with one sentence.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let t = text.trim();
    let bytes = GRAMMAR.parse_size(t).map_err(|e| match e {
        parse_size::Error::PosOverflow => SizeError::TooLarge { text: text.into() },
        _ => SizeError::NotASize { text: text.into() },
    })?;
    if !is_whole(t, bytes)? {
        return Err(SizeError::Fractional { text: text.into() });
    }
    Ok(bytes)
}

/// Whether `text`, which the grammar read as `bytes` (rounded), names a
/// whole number of bytes.
///
/// A number without a fractional part or a negative exponent is whole by
/// construction. Otherwise the number is `digits x 10^-k` and the value
/// `digits x unit / 10^k`, which is whole exactly when that product is
/// a multiple of 10^k: then the grammar's result times 10^k is the
/// product itself. The unit's factor comes from the grammar too (it reads
/// "1" followed by the same unit).
fn is_whole(text: &str, bytes: u64) -> Result<bool, SizeError> {
    let (number, unit) = split_unit(text);
    let number: String = number.chars().filter(|c| *c != ' ' && *c != '_').collect();
    let (mantissa, exponent) = match number.find(['e', 'E']) {
        Some(i) => (&number[..i], number[i + 1..].trim_start_matches('+')),
        None => (number.as_str(), "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let frac = frac.trim_end_matches('0');
    let too_precise = || SizeError::Fractional { text: text.into() };
    let exponent: i64 = exponent.parse().map_err(|_| too_precise())?;
    // The value is digits x 10^(exponent - frac.len()).
    let k = i64::try_from(frac.len())
        .ok()
        .and_then(|f| f.checked_sub(exponent))
        .ok_or_else(too_precise)?;
    if k <= 0 {
        return Ok(true);
    }
    // More significant digits than 128 bits hold cannot be checked: such a
    // size is refused as not whole rather than rounded.
    let digits: u128 = format!("{int}{frac}").parse().map_err(|_| too_precise())?;
    if digits == 0 {
        return Ok(true);
    }
    let factor = GRAMMAR
        .parse_size(format!("1{unit}"))
        .map_err(|_| too_precise())?;
    let pow = u32::try_from(k)
        .ok()
        .and_then(|k| 10u128.checked_pow(k))
        .ok_or_else(too_precise)?;
    let exact = digits
        .checked_mul(u128::from(factor))
        .ok_or_else(too_precise)?;
    Ok(u128::from(bytes).checked_mul(pow) == Some(exact))
}

/// Splits the unit off the end the way the grammar does: an optional B,
/// then an optional i, then an optional multiple letter.
fn split_unit(text: &str) -> (&str, &str) {
    let mut end = text.len();
    let b = text.as_bytes();
    if end > 0 && b[end - 1].eq_ignore_ascii_case(&b'b') {
        end -= 1;
    }
    if end > 0 && b[end - 1].eq_ignore_ascii_case(&b'i') {
        end -= 1;
    }
    if end > 0 && b"kmgtpeKMGTPE".contains(&b[end - 1]) {
        end -= 1;
    }
    text.split_at(end)
}

/// A size for people: whole KiB, MiB, GiB or TiB when it is one, else
/// bytes.
pub fn format_size(bytes: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_binary_with_or_without_ib() {
        assert_eq!(parse_size("8 MiB"), Ok(8 << 20));
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("8M"), Ok(8 << 20));
        assert_eq!(parse_size("8 MB"), Ok(8 << 20));
        assert_eq!(parse_size("8mib"), Ok(8 << 20));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("1 TiB"), Ok(1 << 40));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("256 MiB"), Ok(256 << 20));
        assert_eq!(parse_size("64K"), Ok(65_536));
        assert_eq!(parse_size("333K"), Ok(333 * 1024));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4096B"), Ok(4096));
        assert_eq!(parse_size(" 8 MiB "), Ok(8 << 20));
        assert_eq!(parse_size("1_048_576"), Ok(1 << 20));
    }

    #[test]
    fn fractions_that_make_whole_bytes_are_taken() {
        assert_eq!(parse_size("0.5 MiB"), Ok(524_288));
        assert_eq!(parse_size("1.25K"), Ok(1280));
        assert_eq!(parse_size("1.50 KiB"), Ok(1536));
        assert_eq!(parse_size("2.0B"), Ok(2));
        assert_eq!(parse_size("1e3"), Ok(1000));
        assert_eq!(parse_size("5e-1 K"), Ok(512));
        assert_eq!(parse_size("0.000001e6"), Ok(1));
        assert_eq!(parse_size("0e-99999"), Ok(0));
        // 2^-20 MiB is one byte.
        assert_eq!(parse_size("0.00000095367431640625 MiB"), Ok(1));
    }

    #[test]
    fn fractional_bytes_are_refused_never_rounded() {
        for t in [
            "1.5B",
            "2.5",
            "0.1K",
            "1e-1",
            "0.3 MiB",
            "1.0000000000000000000000000000000000000001",
        ] {
            assert_eq!(
                parse_size(t),
                Err(SizeError::Fractional { text: t.into() }),
                "{t}"
            );
        }
        let e = parse_size("1.5B").unwrap_err().to_string();
        assert!(e.contains("not a whole number of bytes"), "{e}");
    }

    #[test]
    fn what_is_not_a_size_is_refused_in_one_sentence() {
        for t in ["12 parsecs", "x", "", "MiB", "-1", "8 MiB extra", ".5K"] {
            assert!(
                matches!(parse_size(t), Err(SizeError::NotASize { .. })),
                "{t}: {:?}",
                parse_size(t)
            );
        }
        let e = parse_size("12 parsecs").unwrap_err().to_string();
        assert!(e.starts_with("\"12 parsecs\" is not a size"), "{e}");
        assert_eq!(e.lines().count(), 1);
    }

    #[test]
    fn overflow_is_refused() {
        for t in ["16 EiB", "99999999999999999999G", "18446744073709551616"] {
            assert_eq!(
                parse_size(t),
                Err(SizeError::TooLarge { text: t.into() }),
                "{t}"
            );
        }
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_size("15 EiB"), Ok(15 << 60));
    }
}
