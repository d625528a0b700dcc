//! The third-party data path behind the fault plan: what a simulated copy
//! manager reads from and writes to its targets never crosses a
//! [`Transport`](crate::transport::Transport), so the fabric hands copy
//! managers their targets' data paths wrapped in these, which report to
//! the same [`FaultPlan`] as the [`FaultInjector`] in front of every
//! device — a fault on a disk or a tape strikes a copy the way it strikes
//! this host's own READ or WRITE, with the same answers
//! ([`crate::transport::fault`]).
//!
//! The devices themselves know nothing of faults; only what a device must
//! know itself (a cartridge's capacity and early warning) stays inside it.
//!
//! [`FaultInjector`]: crate::transport::fault::FaultInjector

use bytes::{Bytes, BytesMut};

use super::{BlockTarget, StreamRead, StreamTarget, TargetError};
use crate::transport::fault::{
    block_medium_error, read_past_end_of_medium, tape_medium_error, volume_overflow, Effect,
    FaultPlan,
};

/// A block device's data path behind the fault plan.
pub struct FaultyBlock<'a> {
    name: &'a str,
    inner: &'a dyn BlockTarget,
    plan: &'a FaultPlan,
}

impl<'a> FaultyBlock<'a> {
    /// `inner`, the data path of the device `name`, behind `plan`.
    pub fn new(name: &'a str, inner: &'a dyn BlockTarget, plan: &'a FaultPlan) -> Self {
        FaultyBlock { name, inner, plan }
    }

    /// Reports a transfer of `bytes` from `lba`; `Err` with the blocks to
    /// transfer first when a fault stops it.
    fn strike(&self, read: bool, lba: u64, bytes: usize) -> Result<(), (u64, TargetError)> {
        if bytes == 0 {
            return Ok(());
        }
        let Some(hit) = self.plan.on_data(self.name, bytes as u64, None) else {
            return Ok(());
        };
        let bl = u64::from(self.inner.block_length().max(1));
        let blocks = (bytes as u64).div_ceil(bl);
        let at = (hit.offset / bl).min(blocks.saturating_sub(1));
        Err(match hit.effect {
            Effect::MediumError => (at, block_medium_error(read, lba.saturating_add(at)).into()),
            Effect::Sense(s) => (at, s.into()),
            Effect::Gone => (0, TargetError::Gone),
            Effect::Hang => (0, TargetError::Hang),
            // Lies are told in answers to this host, never on a data path.
            Effect::EndOfMedium | Effect::CannotMove | Effect::Lie(_) => return Ok(()),
        })
    }
}

impl BlockTarget for FaultyBlock<'_> {
    fn block_length(&self) -> u32 {
        self.inner.block_length()
    }

    fn capacity_blocks(&self) -> u64 {
        self.inner.capacity_blocks()
    }

    fn read_blocks(&self, lba: u64, buf: &mut [u8]) -> Result<(), TargetError> {
        match self.strike(true, lba, buf.len()) {
            Ok(()) => self.inner.read_blocks(lba, buf),
            Err((at, e)) => {
                let n = (at * u64::from(self.block_length())) as usize;
                if n > 0 {
                    self.inner.read_blocks(lba, &mut buf[..n])?;
                }
                Err(e)
            }
        }
    }

    fn write_blocks(&self, lba: u64, data: &[u8]) -> Result<(), TargetError> {
        match self.strike(false, lba, data.len()) {
            Ok(()) => self.inner.write_blocks(lba, data),
            Err((at, e)) => self.write_head(lba, data, at, e),
        }
    }

    fn check_blocks(&self, read: bool, lba: u64, bytes: u64) -> Result<(), TargetError> {
        let len = usize::try_from(bytes).unwrap_or(usize::MAX);
        match self.strike(read, lba, len) {
            Ok(()) => self.inner.check_blocks(read, lba, bytes),
            Err((at, e)) => {
                let n = at * u64::from(self.block_length());
                if n > 0 {
                    self.inner.check_blocks(read, lba, n)?;
                }
                Err(e)
            }
        }
    }

    /// The plan sees the same transfer as [`FaultyBlock::write_blocks`];
    /// only a write no fault strikes hands its buffer on.
    fn write_blocks_owned(&self, lba: u64, data: Vec<u8>) -> Result<Option<Vec<u8>>, TargetError> {
        match self.strike(false, lba, data.len()) {
            Ok(()) => self.inner.write_blocks_owned(lba, data),
            Err((at, e)) => self.write_head(lba, &data, at, e),
        }
    }
}

impl FaultyBlock<'_> {
    /// A write struck at block `at` with `e`: the blocks before it are
    /// written, then `e`.
    fn write_head<T>(
        &self,
        lba: u64,
        data: &[u8],
        at: u64,
        e: TargetError,
    ) -> Result<T, TargetError> {
        let n = (at * u64::from(self.block_length())) as usize;
        if n > 0 {
            self.inner.write_blocks(lba, &data[..n])?;
        }
        Err(e)
    }
}

/// A tape drive's data path behind the fault plan.
pub struct FaultyStream<'a> {
    name: &'a str,
    inner: &'a dyn StreamTarget,
    plan: &'a FaultPlan,
}

impl<'a> FaultyStream<'a> {
    /// `inner`, the data path of the drive `name`, behind `plan`.
    pub fn new(name: &'a str, inner: &'a dyn StreamTarget, plan: &'a FaultPlan) -> Self {
        FaultyStream { name, inner, plan }
    }

    /// Reports `objects` objects of `each` bytes from the position; the
    /// first one a fault strikes (or that lies past an injected end of
    /// medium), with its effect.
    fn strike(&self, objects: u64, each: u64) -> Option<(u64, Effect)> {
        if !self.plan.concerns(self.name) {
            return None;
        }
        let pos = self.inner.position().ok();
        let end = self.plan.medium_end(self.name);
        (0..objects).find_map(|i| {
            let here = pos.map(|p| p + i);
            if here.zip(end).is_some_and(|(h, e)| h >= e) {
                return Some((i, Effect::EndOfMedium));
            }
            self.plan
                .on_data(self.name, each, here)
                .map(|hit| (i, hit.effect))
                .filter(|(_, e)| !matches!(e, Effect::CannotMove | Effect::Lie(_)))
        })
    }

    /// The error a struck write answers, `residue` left undone.
    fn write_error(effect: Effect, residue: i64) -> TargetError {
        match effect {
            Effect::MediumError => tape_medium_error(true, residue).into(),
            Effect::EndOfMedium => volume_overflow(residue).into(),
            Effect::Sense(s) => s.into(),
            Effect::Gone => TargetError::Gone,
            Effect::Hang | Effect::CannotMove | Effect::Lie(_) => TargetError::Hang,
        }
    }
}

impl StreamTarget for FaultyStream<'_> {
    fn fixed_block_length(&self) -> Option<u32> {
        self.inner.fixed_block_length()
    }

    fn write(&self, data: Bytes) -> Result<bool, TargetError> {
        let (objects, each) = match self.inner.fixed_block_length() {
            Some(b) if b > 0 => ((data.len() / b as usize) as u64, u64::from(b)),
            _ => (1, data.len() as u64),
        };
        let Some((i, effect)) = self.strike(objects, each) else {
            return self.inner.write(data);
        };
        let residue = match self.inner.fixed_block_length() {
            Some(_) => (objects - i) as i64,
            None => data.len() as i64,
        };
        if i > 0 {
            self.inner.write(data.slice(..(i * each) as usize))?;
        }
        Err(Self::write_error(effect, residue))
    }

    fn write_unwritten(&self, len: usize) -> Result<bool, TargetError> {
        let (objects, each) = match self.inner.fixed_block_length() {
            Some(b) if b > 0 => ((len / b as usize) as u64, u64::from(b)),
            _ => (1, len as u64),
        };
        let Some((i, effect)) = self.strike(objects, each) else {
            return self.inner.write_unwritten(len);
        };
        let residue = match self.inner.fixed_block_length() {
            Some(_) => (objects - i) as i64,
            None => len as i64,
        };
        if i > 0 {
            self.inner.write_unwritten((i * each) as usize)?;
        }
        Err(Self::write_error(effect, residue))
    }

    fn read(&self) -> Result<StreamRead, TargetError> {
        let each = self.inner.next_len().unwrap_or(0);
        let Some((_, effect)) = self.strike(1, each) else {
            return self.inner.read();
        };
        let residue = each as i64;
        Err(match effect {
            Effect::MediumError => tape_medium_error(false, residue).into(),
            Effect::EndOfMedium => read_past_end_of_medium(residue).into(),
            other => Self::write_error(other, residue),
        })
    }

    fn write_filemarks(&self, n: u32) -> Result<(), TargetError> {
        let Some((i, effect)) = self.strike(u64::from(n), 0) else {
            return self.inner.write_filemarks(n);
        };
        if i > 0 {
            self.inner.write_filemarks(i as u32)?;
        }
        Err(Self::write_error(effect, i64::from(n) - i as i64))
    }

    fn position(&self) -> Result<u64, TargetError> {
        self.inner.position()
    }

    fn next_len(&self) -> Option<u64> {
        self.inner.next_len()
    }

    fn spare_buffer(&self, len: usize) -> Option<BytesMut> {
        self.inner.spare_buffer(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::disk::{Backing, SimDisk};
    use crate::transport::fault::{Fault, Trigger};
    use crate::wire::sense::SenseKey;

    #[test]
    fn after_bytes_fails_at_the_block_that_crosses() {
        let plan = FaultPlan::new(vec![Fault::once(
            "d",
            Trigger::AfterBytes(3 * 512 + 1),
            Effect::MediumError,
        )]);
        let disk = SimDisk::new("d", 512, 64, Backing::Memory).unwrap();
        let d = FaultyBlock::new("d", disk.as_ref(), &plan);
        let mut buf = vec![0u8; 2 * 512];
        d.read_blocks(10, &mut buf).unwrap();
        // This read moves bytes 1024..4096 of the disk's total; the 1537th
        // byte is at offset 512 of it, in its block 1: LBA 21.
        let mut buf = vec![0u8; 6 * 512];
        let e = d.read_blocks(20, &mut buf).unwrap_err();
        let TargetError::Check(s) = e else {
            panic!("{e:?}")
        };
        assert_eq!(s.sense_key(), Some(SenseKey::MediumError));
        assert_eq!(s.asc_ascq(), Some((0x11, 0x00)));
        assert_eq!(s.information(), Some(21));
        // Fired once: the next read is clean.
        d.read_blocks(20, &mut buf).unwrap();
    }

    #[test]
    fn a_struck_owned_write_is_a_struck_write() {
        let plan = FaultPlan::new(vec![Fault::once(
            "d",
            Trigger::AfterBytes(2 * 512 + 1),
            Effect::MediumError,
        )]);
        let disk = SimDisk::new("d", 512, 4096, Backing::Memory).unwrap();
        let d = FaultyBlock::new("d", disk.as_ref(), &plan);
        // 2048 blocks, one whole chunk: the fault strikes at block 2, so
        // the two before it are written and the rest is not.
        let e = d.write_blocks_owned(2048, vec![7u8; 1 << 20]).unwrap_err();
        let TargetError::Check(s) = e else {
            panic!("{e:?}")
        };
        assert_eq!(s.asc_ascq(), Some((0x0c, 0x00)));
        assert_eq!(s.information(), Some(2050));
        let mut back = vec![0xa5u8; 3 * 512];
        disk.read_blocks(2048, &mut back).unwrap();
        assert_eq!(&back[..1024], &[7u8; 1024][..]);
        assert_eq!(&back[1024..], &[0u8; 512][..]);
        assert_eq!(plan.data_bytes("d"), 1 << 20);
        // Fired once: the next owned write goes through whole.
        assert!(d.write_blocks_owned(2048, vec![9u8; 1 << 20]).is_ok());
        disk.read_blocks(2048, &mut back).unwrap();
        assert_eq!(back, vec![9u8; 3 * 512]);
    }
}
