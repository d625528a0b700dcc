//! Cutting an object into segments: fixed-size runs of blocks, the last
//! one shorter. A segment is the unit of failover and of the catalog; how
//! many commands carry it is the mover's business.

use crate::catalog::Object;

/// One segment of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentSpan {
    /// Its number, from 0.
    pub index: u64,
    /// Its first source LBA.
    pub source_lba: u64,
    /// Its blocks.
    pub blocks: u64,
}

/// Why an object cannot be cut as asked: one sentence each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    /// Zero bytes per segment.
    #[error("the segment size is 0; give a size of at least one block (e.g. --segment-size 8MiB)")]
    Zero,
    /// Not whole blocks.
    #[error("a segment size of {bytes} bytes is not a whole number of the source's {block_length}-byte blocks; use a multiple of {block_length}")]
    NotWholeBlocks {
        /// The size asked for.
        bytes: u64,
        /// The source's block length.
        block_length: u32,
    },
    /// Nothing to copy.
    #[error("the object is empty: give at least one block")]
    Empty,
    /// The first LBA is past the source's last block.
    #[error("{source_name}: LBA {lba} is past its end (it has {capacity} blocks, 0 to {}); start at an LBA below {capacity}", .capacity.saturating_sub(1))]
    StartPastEnd {
        /// The source.
        source_name: String,
        /// First LBA asked for.
        lba: u64,
        /// Its capacity.
        capacity: u64,
    },
    /// A segment larger than the whole source: no object on it can fill
    /// one, and a size that large is no size the catalog can hold.
    #[error("a segment size of {bytes} bytes is larger than {source_name} itself ({capacity_bytes} bytes); give a segment size of at most {capacity_bytes} bytes")]
    LargerThanSource {
        /// The size asked for.
        bytes: u64,
        /// The source.
        source_name: String,
        /// Its capacity in bytes.
        capacity_bytes: u64,
    },
    /// The range runs past the source's end.
    #[error("{source_name}: blocks {lba} to {last} go past its end ({capacity} blocks); start lower or copy fewer blocks")]
    PastEnd {
        /// The source.
        source_name: String,
        /// First LBA.
        lba: u64,
        /// Last LBA asked for.
        last: u64,
        /// Its capacity.
        capacity: u64,
    },
}

/// Checks that `lba` + `blocks` fits a source of `capacity` blocks (a
/// first LBA past the end is said as such, whatever the count: a count
/// taken "to the end" from there is 0).
pub fn check_range(source: &str, lba: u64, blocks: u64, capacity: u64) -> Result<(), SpanError> {
    if lba >= capacity {
        return Err(SpanError::StartPastEnd {
            source_name: source.to_string(),
            lba,
            capacity,
        });
    }
    if blocks == 0 {
        return Err(SpanError::Empty);
    }
    match lba.checked_add(blocks) {
        Some(end) if end <= capacity => Ok(()),
        _ => Err(SpanError::PastEnd {
            source_name: source.to_string(),
            lba,
            last: lba.saturating_add(blocks - 1),
            capacity,
        }),
    }
}

/// The segments of an object, each computed from its index when asked:
/// nothing is kept per segment, so an object of any size costs the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spans {
    /// The object's first LBA.
    lba: u64,
    /// The object's blocks (at least one).
    blocks: u64,
    /// Blocks per segment (at least one).
    per: u64,
}

impl Spans {
    /// How many segments.
    pub fn len(&self) -> u64 {
        self.blocks.div_ceil(self.per)
    }

    /// Whether there are none (never, for an object that was cut).
    pub fn is_empty(&self) -> bool {
        self.blocks == 0
    }

    /// Blocks per segment (the last may have fewer).
    pub fn segment_blocks(&self) -> u64 {
        self.per
    }

    /// Segment `index`, if the object has it.
    pub fn get(&self, index: u64) -> Option<SegmentSpan> {
        let done = index.checked_mul(self.per).filter(|&d| d < self.blocks)?;
        Some(SegmentSpan {
            index,
            // Cannot overflow: the range was checked against the source.
            source_lba: self.lba + done,
            blocks: self.per.min(self.blocks - done),
        })
    }

    /// The segments in order.
    pub fn iter(&self) -> SpanIter {
        SpanIter {
            spans: *self,
            next: 0,
            end: self.len(),
        }
    }
}

impl IntoIterator for Spans {
    type Item = SegmentSpan;
    type IntoIter = SpanIter;

    fn into_iter(self) -> SpanIter {
        self.iter()
    }
}

impl IntoIterator for &Spans {
    type Item = SegmentSpan;
    type IntoIter = SpanIter;

    fn into_iter(self) -> SpanIter {
        self.iter()
    }
}

/// The segments of [`Spans`] in order.
#[derive(Debug, Clone)]
pub struct SpanIter {
    spans: Spans,
    next: u64,
    end: u64,
}

impl Iterator for SpanIter {
    type Item = SegmentSpan;

    fn next(&mut self) -> Option<SegmentSpan> {
        if self.next >= self.end {
            return None;
        }
        let s = self.spans.get(self.next);
        self.next += 1;
        s
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.end - self.next).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

impl DoubleEndedIterator for SpanIter {
    fn next_back(&mut self) -> Option<SegmentSpan> {
        if self.next >= self.end {
            return None;
        }
        self.end -= 1;
        self.spans.get(self.end)
    }
}

impl ExactSizeIterator for SpanIter {}

/// Checks that a segment of `segment_bytes` is no larger than the source
/// `source` of `capacity` blocks of `block_length` bytes.
pub fn check_size(
    source: &str,
    segment_bytes: u64,
    block_length: u32,
    capacity: u64,
) -> Result<(), SpanError> {
    let capacity_bytes = capacity.saturating_mul(u64::from(block_length));
    if segment_bytes > capacity_bytes {
        return Err(SpanError::LargerThanSource {
            bytes: segment_bytes,
            source_name: source.to_string(),
            capacity_bytes,
        });
    }
    Ok(())
}

/// The segments of `object`, `segment_bytes` each (the last shorter).
pub fn cut(object: &Object, segment_bytes: u64) -> Result<Spans, SpanError> {
    let bl = u64::from(object.block_length);
    if segment_bytes == 0 {
        return Err(SpanError::Zero);
    }
    if bl == 0 || segment_bytes % bl != 0 {
        return Err(SpanError::NotWholeBlocks {
            bytes: segment_bytes,
            block_length: object.block_length,
        });
    }
    if object.blocks == 0 {
        return Err(SpanError::Empty);
    }
    Ok(Spans {
        lba: object.lba,
        blocks: object.blocks,
        per: segment_bytes / bl,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(lba: u64, blocks: u64) -> Object {
        Object {
            source: "prod0".into(),
            designator: "60".into(),
            lba,
            blocks,
            block_length: 512,
        }
    }

    #[test]
    fn whole_segments_and_a_short_last_one() {
        let s = cut(&object(100, 16384 * 2 + 5), 8 << 20).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(
            s.get(2).unwrap(),
            SegmentSpan {
                index: 2,
                source_lba: 100 + 32768,
                blocks: 5
            }
        );
        assert_eq!(s.iter().map(|x| x.blocks).sum::<u64>(), 32773);
    }

    #[test]
    fn spans_are_computed_from_the_index_not_kept() {
        // 1 TiB in 8 MiB segments: 131,072 of them, and no list.
        let s = cut(&object(7, (1 << 40) / 512), 8 << 20).unwrap();
        assert_eq!(s.len(), 131_072);
        assert_eq!(std::mem::size_of_val(&s), 24);
        let last = s.get(131_071).unwrap();
        assert_eq!(
            (last.source_lba, last.blocks),
            (7 + 131_071 * 16_384, 16_384)
        );
        assert_eq!(s.get(131_072), None);
        assert_eq!(s.get(u64::MAX), None);
        assert_eq!(s.iter().len(), 131_072);
        assert_eq!(s.iter().next_back(), Some(last));
        let mut it = s.iter();
        let (a, b) = (it.next().unwrap(), it.next().unwrap());
        assert_eq!((a.index, b.index, b.source_lba), (0, 1, 7 + 16_384));
        assert_eq!((&s).into_iter().nth(5).unwrap(), s.get(5).unwrap());
    }

    #[test]
    fn one_sentence_each() {
        assert_eq!(cut(&object(0, 8), 0), Err(SpanError::Zero));
        let e = cut(&object(0, 8), 1000).unwrap_err();
        assert!(e.to_string().contains("not a whole number"), "{e}");
        assert_eq!(cut(&object(0, 0), 512), Err(SpanError::Empty));
        let e = check_range("prod0", 100, 10, 105).unwrap_err();
        assert!(e.to_string().contains("go past its end"), "{e}");
        assert!(check_range("prod0", 95, 10, 105).is_ok());
        // A first LBA past the end: not "empty", whatever the count.
        for blocks in [0, 1] {
            assert_eq!(
                check_range("prod0", 105, blocks, 105).unwrap_err().to_string(),
                "prod0: LBA 105 is past its end (it has 105 blocks, 0 to 104); start at an LBA below 105"
            );
        }
        assert_eq!(check_range("prod0", 104, 0, 105), Err(SpanError::Empty));
        assert!(check_size("prod0", 105 * 512, 512, 105).is_ok());
        assert_eq!(
            check_size("prod0", 1 << 63, 512, 105).unwrap_err().to_string(),
            "a segment size of 9223372036854775808 bytes is larger than prod0 itself (53760 bytes); \
             give a segment size of at most 53760 bytes"
        );
    }
}
