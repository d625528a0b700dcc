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

/// Checks that `lba` + `blocks` fits a source of `capacity` blocks.
pub fn check_range(source: &str, lba: u64, blocks: u64, capacity: u64) -> Result<(), SpanError> {
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

/// The segments of `object`, `segment_bytes` each (the last shorter).
pub fn cut(object: &Object, segment_bytes: u64) -> Result<Vec<SegmentSpan>, SpanError> {
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
    let per = segment_bytes / bl;
    let mut v = Vec::with_capacity(object.blocks.div_ceil(per) as usize);
    let mut done = 0u64;
    while done < object.blocks {
        let n = per.min(object.blocks - done);
        v.push(SegmentSpan {
            index: v.len() as u64,
            source_lba: object.lba + done,
            blocks: n,
        });
        done += n;
    }
    Ok(v)
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
            s[2],
            SegmentSpan {
                index: 2,
                source_lba: 100 + 32768,
                blocks: 5
            }
        );
        assert_eq!(s.iter().map(|x| x.blocks).sum::<u64>(), 32773);
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
    }
}
