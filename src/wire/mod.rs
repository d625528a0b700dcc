//! Wire formats as data: every SCSI structure segcopy sends or receives,
//! as a zero-copy *view* over a byte buffer plus a *representation* (`Repr`)
//! with `parse`, `buffer_len` and `emit`, in the manner of smoltcp's `wire`.
//!
//! Conventions shared by every module here:
//! - a view `Foo<T: AsRef<[u8]>>` is built with `new_unchecked` or
//!   `new_checked`; after `check_len` succeeds no accessor can panic;
//! - every byte offset is a named field range in a private `field` module;
//! - `FooRepr::parse` rejects truncated or inconsistent input with a typed
//!   [`WireError`] and never panics on any input;
//! - `FooRepr::emit` writes every byte of `buffer_len()` bytes, reserved bytes
//!   included, so an emit into a buffer pre-filled with garbage is exact;
//! - codes the module does not know are kept (`Unknown(n)` / raw bytes) so a
//!   device or the simulator can answer "unsupported" instead of failing here.
//!
//! No I/O and no policy lives here.

use core::fmt;

pub mod cdb;
pub mod cscd;
pub mod hexfile;
pub mod inquiry;
pub mod mode;
pub mod rcr;
pub mod sbc;
pub mod segment;
pub mod sense;
pub mod smc;
pub mod ssc;
pub mod vpd;
pub mod xcopy;

#[cfg(test)]
mod testing;

/// A byte range inside a structure.
pub type Field = core::ops::Range<usize>;

/// Why a buffer could not be parsed or emitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The buffer ends before the structure does.
    #[error("{what} is truncated: it needs {need} bytes but only {have} are there")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Bytes the structure needs.
        need: usize,
        /// Bytes the buffer holds.
        have: usize,
    },
    /// A field holds a value the standard does not allow here.
    #[error("{what}: field {field} holds {value:#x}, which is not allowed here")]
    InvalidField {
        /// The structure being read.
        what: &'static str,
        /// The field's name as the standard spells it.
        field: &'static str,
        /// The value found.
        value: u64,
    },
    /// Two fields, or a field and the buffer, disagree.
    #[error("{what}: {reason}")]
    Inconsistent {
        /// The structure being read.
        what: &'static str,
        /// What disagrees with what.
        reason: &'static str,
    },
    /// A value to emit does not fit its field.
    #[error("{what}: {field} value {value} does not fit the field")]
    Overflow {
        /// The structure being written.
        what: &'static str,
        /// The field that is too small.
        field: &'static str,
        /// The value that does not fit.
        value: u64,
    },
    /// The buffer given to `emit` is shorter than `buffer_len()`.
    #[error("{what}: the output buffer holds {have} bytes but {need} are needed")]
    BufferTooSmall {
        /// The structure being written.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
}

/// Result of parsing or emitting a wire structure.
pub type Result<T> = core::result::Result<T, WireError>;

/// A structure's representation: the values of its fields, parsed from
/// bytes and emitted back to the same bytes.
pub trait Repr: Sized {
    /// Parses `buf`, rejecting truncated or inconsistent input; never panics.
    fn parse(buf: &[u8]) -> Result<Self>;
    /// How many bytes [`Repr::emit`] writes.
    fn buffer_len(&self) -> usize;
    /// Writes exactly `buffer_len()` bytes at the start of `buf`, reserved
    /// bytes included.
    fn emit(&self, buf: &mut [u8]) -> Result<()>;
    /// Emits into a new vector of exactly `buffer_len()` bytes.
    fn to_vec(&self) -> Result<Vec<u8>> {
        let mut v = vec![0u8; self.buffer_len()];
        self.emit(&mut v)?;
        Ok(v)
    }
}

/// The oracle the fuzzers and property tests share: whatever `R::parse`
/// accepts must emit; the emitted bytes must parse; and emitting that
/// value again must give the same bytes (emit ∘ parse is a fixed point once
/// parse has normalised what it does not keep: reserved bytes, truncation
/// flags). Panics (a finding) otherwise; returns whether `data` parsed.
pub fn check_reparse<R: Repr + fmt::Debug>(data: &[u8]) -> bool {
    let Ok(r) = R::parse(data) else {
        return false;
    };
    let first = match r.to_vec() {
        Ok(b) => b,
        Err(e) => panic!("{r:?} parsed from {data:02x?} but does not emit: {e}"),
    };
    let again = match R::parse(&first) {
        Ok(a) => a,
        Err(e) => panic!("{r:?} emitted {first:02x?}, which does not parse: {e}"),
    };
    let second = match again.to_vec() {
        Ok(b) => b,
        Err(e) => panic!("{again:?} (parsed from emitted bytes) does not emit: {e}"),
    };
    assert_eq!(first, second, "emit is not stable for {r:?}");
    true
}

/// Checks that `buf` holds at least `need` bytes of `what`.
#[inline]
pub fn check_len(what: &'static str, buf: &[u8], need: usize) -> Result<()> {
    if buf.len() < need {
        Err(WireError::Truncated {
            what,
            need,
            have: buf.len(),
        })
    } else {
        Ok(())
    }
}

/// Checks that an output buffer holds at least `need` bytes.
#[inline]
pub fn check_out(what: &'static str, buf: &[u8], need: usize) -> Result<()> {
    if buf.len() < need {
        Err(WireError::BufferTooSmall {
            what,
            need,
            have: buf.len(),
        })
    } else {
        Ok(())
    }
}

/// Reads a big-endian unsigned integer of up to eight bytes.
#[inline]
pub fn get_be(bytes: &[u8]) -> u64 {
    debug_assert!(bytes.len() <= 8);
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Writes `value` big-endian into all of `bytes` (up to eight bytes); high
/// bits that do not fit are dropped, so callers check ranges first.
#[inline]
pub fn put_be(bytes: &mut [u8], value: u64) {
    debug_assert!(bytes.len() <= 8);
    let n = bytes.len();
    for (i, b) in bytes.iter_mut().enumerate() {
        let shift = 8 * (n - 1 - i);
        *b = (value >> shift) as u8;
    }
}

/// Checks that `value` fits in `bytes` bytes, for emit.
#[inline]
pub fn check_fits(what: &'static str, field: &'static str, value: u64, bytes: usize) -> Result<()> {
    if bytes < 8 && value >> (8 * bytes) != 0 {
        Err(WireError::Overflow { what, field, value })
    } else {
        Ok(())
    }
}

/// Checks a CDB's OPERATION CODE: `found` must be `want`.
pub(crate) fn expect_opcode(what: &'static str, found: u8, want: u8) -> Result<()> {
    if found == want {
        Ok(())
    } else {
        Err(WireError::InvalidField {
            what,
            field: "OPERATION CODE",
            value: found.into(),
        })
    }
}

/// Checks the output length and zeroes the bytes about to be written.
pub(crate) fn prepare<'a>(
    what: &'static str,
    buf: &'a mut [u8],
    len: usize,
) -> Result<&'a mut [u8]> {
    check_out(what, buf, len)?;
    let out = &mut buf[..len];
    out.fill(0);
    Ok(out)
}

/// Checks that `value` fits in a bit field `width` bits wide, for emit.
pub(crate) fn check_bits(
    what: &'static str,
    field: &'static str,
    value: u8,
    width: u32,
) -> Result<()> {
    if u32::from(value) >> width != 0 {
        Err(WireError::Overflow {
            what,
            field,
            value: value.into(),
        })
    } else {
        Ok(())
    }
}

/// Defines a view type over a byte buffer with the usual constructors.
///
/// ```ignore
/// view!(
///     /// EXTENDED COPY parameter list header.
///     Header, "EXTENDED COPY parameter list header", field::LEN
/// );
/// ```
macro_rules! view {
    ($(#[$doc:meta])* $name:ident, $what:expr, $min_len:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name<T: AsRef<[u8]>> {
            buffer: T,
        }

        impl<T: AsRef<[u8]>> $name<T> {
            /// What this structure is called, for errors.
            pub const WHAT: &'static str = $what;
            /// The fewest bytes this view needs.
            pub const MIN_LEN: usize = $min_len;

            /// Wraps a buffer without checking its length.
            pub const fn new_unchecked(buffer: T) -> Self {
                Self { buffer }
            }

            /// Wraps a buffer, checking that it is long enough for every
            /// fixed field.
            pub fn new_checked(buffer: T) -> $crate::wire::Result<Self> {
                let v = Self::new_unchecked(buffer);
                v.check_len()?;
                Ok(v)
            }

            /// Checks that the buffer holds every fixed field.
            pub fn check_len(&self) -> $crate::wire::Result<()> {
                $crate::wire::check_len($what, self.buffer.as_ref(), $min_len)
            }

            /// Gives the buffer back.
            pub fn into_inner(self) -> T {
                self.buffer
            }

            /// The whole underlying buffer.
            pub fn as_bytes(&self) -> &[u8] {
                self.buffer.as_ref()
            }
        }
    };
}
pub(crate) use view;

/// Defines big-endian integer getters and setters on a view.
///
/// Each line is `getter, setter: type = field_range;`.
macro_rules! be_fields {
    ($view:ident { $( $(#[$doc:meta])* $get:ident, $set:ident : $ty:ty = $field:expr ; )* }) => {
        impl<T: AsRef<[u8]>> $view<T> {
            $(
                $(#[$doc])*
                #[inline]
                pub fn $get(&self) -> $ty {
                    $crate::wire::get_be(&self.buffer.as_ref()[$field]) as $ty
                }
            )*
        }
        impl<T: AsRef<[u8]> + AsMut<[u8]>> $view<T> {
            $(
                #[doc = concat!("Sets the field read by [`Self::", stringify!($get), "`].")]
                #[inline]
                pub fn $set(&mut self, value: $ty) {
                    $crate::wire::put_be(&mut self.buffer.as_mut()[$field], value as u64)
                }
            )*
        }
    };
}
pub(crate) use be_fields;

/// Defines getters and setters for bit fields inside one byte of a view.
///
/// Each line is `getter, setter: byte_index, shift, width;` and the value is
/// a `u8` (for a one-bit flag use [`flag_fields`]).
macro_rules! bit_fields {
    ($view:ident { $( $(#[$doc:meta])* $get:ident, $set:ident : $byte:expr, $shift:expr, $width:expr ; )* }) => {
        impl<T: AsRef<[u8]>> $view<T> {
            $(
                $(#[$doc])*
                #[inline]
                pub fn $get(&self) -> u8 {
                    (self.buffer.as_ref()[$byte] >> $shift) & ((1u16 << $width) - 1) as u8
                }
            )*
        }
        impl<T: AsRef<[u8]> + AsMut<[u8]>> $view<T> {
            $(
                #[doc = concat!("Sets the bits read by [`Self::", stringify!($get), "`].")]
                #[inline]
                pub fn $set(&mut self, value: u8) {
                    let mask = (((1u16 << $width) - 1) as u8) << $shift;
                    let b = &mut self.buffer.as_mut()[$byte];
                    *b = (*b & !mask) | ((value << $shift) & mask);
                }
            )*
        }
    };
}
pub(crate) use bit_fields;

/// Defines one-bit flag getters and setters on a view.
///
/// Each line is `getter, setter: byte_index, bit_index;`.
macro_rules! flag_fields {
    ($view:ident { $( $(#[$doc:meta])* $get:ident, $set:ident : $byte:expr, $bit:expr ; )* }) => {
        impl<T: AsRef<[u8]>> $view<T> {
            $(
                $(#[$doc])*
                #[inline]
                pub fn $get(&self) -> bool {
                    self.buffer.as_ref()[$byte] & (1u8 << $bit) != 0
                }
            )*
        }
        impl<T: AsRef<[u8]> + AsMut<[u8]>> $view<T> {
            $(
                #[doc = concat!("Sets the flag read by [`Self::", stringify!($get), "`].")]
                #[inline]
                pub fn $set(&mut self, value: bool) {
                    let b = &mut self.buffer.as_mut()[$byte];
                    if value {
                        *b |= 1u8 << $bit;
                    } else {
                        *b &= !(1u8 << $bit);
                    }
                }
            )*
        }
    };
}
pub(crate) use flag_fields;

/// Formats bytes as a classic hex dump: offset, 16 bytes, ASCII, laid out
/// as sg3_utils prints buffers. The layout is the point, so it is written
/// here rather than with the `hex` crate (which has no such layout); plain
/// hex is [`Hex`].
pub struct HexDump<'a>(pub &'a [u8]);

impl fmt::Display for HexDump<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, chunk) in self.0.chunks(16).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, " {:04x}  ", i * 16)?;
            for j in 0..16 {
                match chunk.get(j) {
                    Some(b) => write!(f, "{b:02x} ")?,
                    None => write!(f, "   ")?,
                }
                if j == 7 {
                    write!(f, " ")?;
                }
            }
            write!(f, " ")?;
            for &b in chunk {
                let c = if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                };
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// Formats bytes as space-separated lower-case hex on one line (for CDBs
/// and sense): `12 00 00 00 24 00`.
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Two ASCII digits per byte, so every slice below is on a char
        // boundary.
        let digits = hex::encode(self.0);
        for (i, at) in (0..digits.len()).step_by(2).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&digits[at..at + 2])?;
        }
        Ok(())
    }
}

/// Trims trailing spaces and NULs from an ASCII field (vendor, product…),
/// replacing bytes that are not printable ASCII.
pub fn ascii_field(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |i| i + 1);
    bytes[..end]
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn be_round_trip_each_width() {
        let mut b = [0xa5u8; 8];
        for n in 1..=8 {
            let v = 0x0102_0304_0506_0708u64 >> (8 * (8 - n));
            put_be(&mut b[..n], v);
            assert_eq!(get_be(&b[..n]), v, "width {n}");
        }
    }

    #[test]
    fn check_fits_rejects_overflow() {
        assert!(check_fits("t", "f", 0xffff, 2).is_ok());
        assert!(check_fits("t", "f", 0x1_0000, 2).is_err());
        assert!(check_fits("t", "f", u64::MAX, 8).is_ok());
    }

    #[test]
    fn ascii_field_trims_spaces_and_nuls() {
        assert_eq!(ascii_field(b"LIO-ORG \0\0 "), "LIO-ORG");
        assert_eq!(ascii_field(b"A\x01B  "), "A.B");
        assert_eq!(ascii_field(b"\0\0"), "");
    }

    #[test]
    fn hex_is_space_separated_lower_case() {
        assert_eq!(Hex(&[0x12, 0x00, 0xab, 0xff]).to_string(), "12 00 ab ff");
        assert_eq!(Hex(&[0x0a]).to_string(), "0a");
        assert_eq!(Hex(&[]).to_string(), "");
    }

    #[test]
    fn hexdump_layout() {
        let s = HexDump(b"ABCDEFGHIJKLMNOPQ").to_string();
        assert_eq!(
            s,
            " 0000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP\n 0010  51                                                Q"
        );
    }
}
