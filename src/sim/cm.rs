//! The simulated copy manager: EXTENDED COPY (LID1) and RECEIVE COPY RESULTS
//! (SPC-4 r37 §6.4, §6.18), with two behaviours ([`Profile`]):
//!
//! - **LIO** — what Linux LIO's `target_core_xcopy` does, read line by
//!   line from Linux 6.1.192 (the lab's kernel) in [`lio`]: its checks in
//!   its order, only the fields it reads, its 32-bit arithmetic, its bare
//!   18-byte fixed sense (8-byte descriptor sense on an LU of more than
//!   2^32 blocks). One 02h segment between the receiving LU and a 3PC LU it
//!   reaches; RECEIVE COPY RESULTS answers OPERATING PARAMETERS only. The
//!   lab's recording of LIO (`fixtures/lio/behaviour.tsv`) is the
//!   reference this profile is tested against; `docs/lio-profile.md` walks
//!   LIO's lines with the case that records each.
//! - **Standard** — SPC-4 as written, for what no free copy manager does:
//!   block→stream (00h), stream→block (01h), block→block (02h),
//!   stream→stream (03h) and inline→stream (04h) segments within the
//!   profile's limits; field pointers in parameter-list sense; status held
//!   per list identifier (LIST ID USAGE 00b) for COPY STATUS and FAILED
//!   SEGMENT DETAILS; and on a failed segment COPY ABORTED in descriptor
//!   format with the failed segment descriptor's index in COMMAND-SPECIFIC
//!   INFORMATION, a segment pointer (SD=1), and the copy target's own sense
//!   forwarded (descriptor 0Ch, SPC-4 §4.5.2.8).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};

use super::common::{self, check, check_sense, data_in, Identity};
use super::datapath::{FaultyBlock, FaultyStream};
use super::{BlockTarget, Fabric, Lu, StreamRead, StreamTarget, TargetError};
use crate::transport::{Completion, DataDirection};
use crate::wire::cscd::{self, CscdDescriptor, DeviceParams};
use crate::wire::inquiry::PeripheralDeviceType;
use crate::wire::rcr::{
    CopyManagerStatus, CopyStatus, FailedSegmentDetails, OperatingParameters,
    ReceiveCopyResultsCdb, ReceiveData, ServiceAction, TransferCountUnits,
};
use crate::wire::segment::{self, SegmentDescriptor, SegmentView};
use crate::wire::sense::{
    FieldPointer, ForwardedSense, SegmentPointer, SenseData, SenseDataSource, SenseKey,
    SenseKeySpecific,
};
use crate::wire::vpd::{Designator, ThirdPartyCopy, TpcDescriptor};
use crate::wire::xcopy::{self, ListIdUsage, ParameterListView};
use crate::wire::Repr;

mod dry;
mod lio;

/// Which copy manager the simulator plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// Linux LIO's `target_core_xcopy`.
    Lio,
    /// SPC-4 as written, with stream devices.
    Standard,
}

/// A copy manager's behaviour and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// How it checks and answers.
    pub behaviour: Behaviour,
    /// The OPERATING PARAMETERS it reports and enforces.
    pub limits: OperatingParameters,
    /// Whether it moves the data (`true` in both profiles). A copy manager
    /// that does not still does everything else a segment takes — every
    /// check of the list and of the segment, the ranges on its targets,
    /// the tape blocks written with their lengths (so positions, capacity,
    /// early warning and READ POSITION are as after a real copy), the fault
    /// plan, the sense, RECEIVE COPY RESULTS — but reads no source blocks
    /// and writes no destination blocks: the tape's blocks are unwritten
    /// (they read back as zeros). A tape source is still read record by
    /// record (its records are its positions), and inline data, which the
    /// parameter list carries, is still written. It makes the engine
    /// measurable on objects far larger than the machine could copy (site
    /// files: `move_data = false`).
    pub move_data: bool,
}

impl Profile {
    /// LIO's values (`target_core_xcopy.h`), as its RECEIVE COPY RESULTS
    /// reports them in the lab.
    pub fn lio() -> Self {
        Profile {
            behaviour: Behaviour::Lio,
            limits: OperatingParameters {
                snlid: true,
                max_cscd_descriptors: 2,
                max_segment_descriptors: 1,
                max_descriptor_list_length: 1024,
                max_segment_length: 256 << 20,
                total_concurrent_copies: 1,
                max_concurrent_copies: 1,
                data_segment_granularity_log2: 9,
                inline_data_granularity_log2: 9,
                held_data_granularity_log2: 9,
                implemented_descriptor_codes: vec![0x02, 0xe4],
                ..Default::default()
            }
            .with_computed_available_data(),
            move_data: true,
        }
    }

    /// A copy manager that copies between disks and tapes.
    pub fn standard() -> Self {
        Profile {
            behaviour: Behaviour::Standard,
            limits: OperatingParameters {
                snlid: true,
                max_cscd_descriptors: 8,
                max_segment_descriptors: 64,
                max_descriptor_list_length: 8192,
                max_segment_length: 64 << 20,
                max_inline_data_length: 64 << 10,
                held_data_limit: 0,
                max_stream_device_transfer_size: 1 << 20,
                total_concurrent_copies: 4,
                max_concurrent_copies: 4,
                data_segment_granularity_log2: 9,
                inline_data_granularity_log2: 2,
                held_data_granularity_log2: 0,
                implemented_descriptor_codes: vec![0x00, 0x01, 0x02, 0x03, 0x04, 0xe4],
                ..Default::default()
            }
            .with_computed_available_data(),
            move_data: true,
        }
    }

    fn is_lio(&self) -> bool {
        self.behaviour == Behaviour::Lio
    }
}

/// What the copy manager keeps for a list identifier (LIST ID USAGE 00b).
#[derive(Debug, Clone)]
struct Held {
    status: CopyStatus,
    failure: Option<(u8, Vec<u8>)>,
}

#[derive(Debug, Default)]
struct State {
    held: HashMap<u8, Held>,
}

/// A copy manager: a logical unit of its own (a processor device that
/// advertises 3PC), or the third-party-copy side of a disk (LIO's model,
/// where every LU with `emulate_3pc` is a copy manager).
pub struct CopyManager {
    identity: Identity,
    profile: Profile,
    disk: Option<Arc<dyn Lu>>,
    state: Mutex<State>,
}

impl std::fmt::Debug for CopyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyManager")
            .field("name", &self.identity.name)
            .field("behaviour", &self.profile.behaviour)
            .finish()
    }
}

/// The Third-party Copy VPD page of a standard copy manager: Supported
/// Commands lists EXTENDED COPY (LID1) and RECEIVE COPY RESULTS 00h, 01h,
/// 03h and 04h.
fn tpc_page() -> ThirdPartyCopy {
    let commands = [0x83u8, 0x01, 0x00, 0x84, 0x04, 0x00, 0x01, 0x03, 0x04];
    let mut body = vec![commands.len() as u8];
    body.extend_from_slice(&commands);
    while body.len() % 4 != 0 {
        body.push(0);
    }
    ThirdPartyCopy {
        header: Default::default(),
        descriptors: vec![TpcDescriptor {
            descriptor_type: crate::wire::vpd::tpc_type::SUPPORTED_COMMANDS,
            body,
        }],
    }
}

const PLLE: Code = (SenseKey::IllegalRequest, 0x1a, 0x00);
const INVALID_PARAM: Code = (SenseKey::IllegalRequest, 0x26, 0x00);
const TOO_MANY_CSCD: Code = (SenseKey::IllegalRequest, 0x26, 0x06);
const UNSUPPORTED_CSCD: Code = (SenseKey::IllegalRequest, 0x26, 0x07);
const TOO_MANY_SEGMENTS: Code = (SenseKey::IllegalRequest, 0x26, 0x08);
const UNSUPPORTED_SEGMENT: Code = (SenseKey::IllegalRequest, 0x26, 0x09);
const INLINE_EXCEEDED: Code = (SenseKey::IllegalRequest, 0x26, 0x0b);
const THIRD_PARTY_FAILURE: Code = (SenseKey::CopyAborted, 0x0d, 0x01);
const NOT_REACHABLE: Code = (SenseKey::CopyAborted, 0x0d, 0x02);
const WRONG_DEVICE_TYPE: Code = (SenseKey::CopyAborted, 0x0d, 0x03);
const DATA_UNDERRUN: Code = (SenseKey::CopyAborted, 0x0d, 0x04);
const DATA_OVERRUN: Code = (SenseKey::CopyAborted, 0x0d, 0x05);
const INEXACT_SEGMENT: Code = (SenseKey::CopyAborted, 0x26, 0x0a);

type Code = (SenseKey, u8, u8);

/// A parameter-list error and the parameter byte it is about.
#[derive(Debug)]
struct ListError {
    code: Code,
    byte: Option<usize>,
}

fn at(code: Code, byte: usize) -> ListError {
    ListError {
        code,
        byte: Some(byte),
    }
}

fn plain(code: Code) -> ListError {
    ListError { code, byte: None }
}

/// A checked parameter list.
struct Checked<'l> {
    cscds: Vec<CscdDescriptor>,
    segments: Vec<SegmentDescriptor>,
    inline: &'l [u8],
}

/// Why one segment failed.
enum SegFail {
    /// A copy target answered with sense, went away or hung.
    Target {
        source: SenseDataSource,
        error: TargetError,
    },
    /// The copy manager refuses the segment: COPY ABORTED with this code,
    /// about `byte` of the segment descriptor.
    Abort { code: Code, byte: u16 },
}

fn target_fail(source: SenseDataSource) -> impl Fn(TargetError) -> SegFail {
    move |error| SegFail::Target { source, error }
}

/// What a finished command did.
struct Outcome {
    segments: u16,
    bytes: u64,
}

impl CopyManager {
    /// A stand-alone copy manager LU (peripheral type 03h, processor).
    pub fn standalone(name: &str, profile: Profile) -> Arc<CopyManager> {
        let identity = Identity::new(name, PeripheralDeviceType::Processor, "SIMCOPYMGR");
        Self::build(identity, profile, None)
    }

    /// A disk that is also a copy manager (LIO's `emulate_3pc`): every
    /// command but EXTENDED COPY and RECEIVE COPY RESULTS goes to `disk`,
    /// whose identity it answers with, 3PC set.
    pub fn on_disk(disk: Arc<dyn Lu>, identity: Identity, profile: Profile) -> Arc<CopyManager> {
        Self::build(identity, profile, Some(disk))
    }

    fn build(mut identity: Identity, profile: Profile, disk: Option<Arc<dyn Lu>>) -> Arc<Self> {
        identity.third_party_copy = true;
        if !profile.is_lio() {
            identity.tpc_page = Some(tpc_page());
        }
        Arc::new(CopyManager {
            identity,
            profile,
            disk,
            state: Mutex::new(State::default()),
        })
    }

    /// Its profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn list_error(&self, e: ListError) -> Completion {
        let (k, a, q) = e.code;
        let mut s = SenseData::fixed(k, a, q);
        if let (Some(b), SenseKey::IllegalRequest) = (e.byte, k) {
            s = s.with_sense_key_specific(SenseKeySpecific::FieldPointer(FieldPointer {
                command: false,
                bit_pointer: None,
                field_pointer: u16::try_from(b).unwrap_or(u16::MAX),
            }));
        }
        check_sense(s.into())
    }

    fn extended_copy(&self, fabric: &Fabric, cdb: &[u8], data: DataDirection<'_>) -> Completion {
        if self.profile.is_lio() {
            return self.lio_extended_copy(fabric, cdb, data);
        }
        let Ok(c) = xcopy::ExtendedCopyCdb::parse(cdb) else {
            // The service action (or a reserved byte) is wrong: SPC-4
            // INVALID FIELD IN CDB.
            return if cdb.get(1).is_some_and(|b| b & 0x1f != 0) {
                common::invalid_cdb_field(1, Some(4))
            } else {
                common::invalid_cdb_field(2, None)
            };
        };
        let plen = c.parameter_list_length as usize;
        let list: &[u8] = match &data {
            DataDirection::ToDevice(b) => &b[..plen.min(b.len())],
            _ => &[],
        };
        if plen == 0 {
            return Completion::good(0);
        }
        if list.len() < xcopy::HEADER_LEN {
            return self.list_error(plain(PLLE));
        }
        let v = ParameterListView::new_unchecked(list);
        let checked = match self.check_list(&v, list) {
            Ok(c) => c,
            Err(e) => return self.list_error(e),
        };
        let usage = ListIdUsage::from_bits(v.list_id_usage_bits());
        self.run_standard(fabric, v.list_id(), usage, &checked)
    }

    /// Checks the list in the standard profile's order.
    fn check_list<'l>(
        &self,
        v: &ParameterListView<&'l [u8]>,
        list: &'l [u8],
    ) -> Result<Checked<'l>, ListError> {
        let lim = &self.profile.limits;
        let cl = usize::from(v.cscd_list_length());
        let sl = usize::try_from(v.segment_list_length()).unwrap_or(usize::MAX);
        let il = usize::try_from(v.inline_data_length()).unwrap_or(usize::MAX);
        if cl.saturating_add(sl) > lim.max_descriptor_list_length as usize {
            return Err(at(PLLE, 2));
        }
        if il > lim.max_inline_data_length as usize {
            return Err(at(INLINE_EXCEEDED, 12));
        }
        let need = xcopy::HEADER_LEN
            .saturating_add(cl)
            .saturating_add(sl)
            .saturating_add(il);
        if list.len() < need {
            return Err(plain(PLLE));
        }
        let usage = ListIdUsage::from_bits(v.list_id_usage_bits());
        if v.flags_reserved() != 0 || usage == ListIdUsage::Reserved {
            return Err(at(INVALID_PARAM, 1));
        }
        if v.header_reserved() != 0 {
            return Err(at(INVALID_PARAM, 4));
        }
        if usage == ListIdUsage::None && v.list_id() != 0 {
            return Err(at(INVALID_PARAM, 0));
        }
        let h = xcopy::HEADER_LEN;
        let cscd_bytes = &list[h..h + cl];
        let seg_bytes = &list[h + cl..h + cl + sl];
        let inline = &list[h + cl + sl..need];
        let cscds = self.check_cscds(cscd_bytes)?;
        let segments = self.check_segments(seg_bytes, h + cl)?;
        Ok(Checked {
            cscds,
            segments,
            inline,
        })
    }

    fn check_cscds(&self, bytes: &[u8]) -> Result<Vec<CscdDescriptor>, ListError> {
        let lim = &self.profile.limits;
        let h = xcopy::HEADER_LEN;
        let mut out = Vec::new();
        let mut off = 0usize;
        while off < bytes.len() {
            let t = bytes[off];
            let len = cscd::descriptor_len(t);
            if off + len > bytes.len() {
                return Err(at(INVALID_PARAM, 2));
            }
            if out.len() >= usize::from(lim.max_cscd_descriptors) {
                return Err(at(TOO_MANY_CSCD, 2));
            }
            if !lim.implements(t) {
                return Err(at(UNSUPPORTED_CSCD, h + off));
            }
            let d = CscdDescriptor::parse(&bytes[off..off + len])
                .map_err(|_| at(INVALID_PARAM, h + off + 7))?;
            if let CscdDescriptor::Identification(id) = &d {
                if id.lu_id_type == 1 {
                    // Proxy tokens are not supported here.
                    return Err(at(INVALID_PARAM, h + off + 1));
                }
            }
            out.push(d);
            off += len;
        }
        Ok(out)
    }

    fn check_segments(
        &self,
        bytes: &[u8],
        base: usize,
    ) -> Result<Vec<SegmentDescriptor>, ListError> {
        let lim = &self.profile.limits;
        let mut out = Vec::new();
        let mut off = 0usize;
        while off < bytes.len() {
            let v = SegmentView::new_unchecked(&bytes[off..]);
            if v.check_len().is_err() || bytes.len() - off < v.total_len() {
                return Err(at(INVALID_PARAM, 8));
            }
            if out.len() >= usize::from(lim.max_segment_descriptors) {
                return Err(at(TOO_MANY_SEGMENTS, 8));
            }
            if !lim.implements(v.type_code()) {
                return Err(at(UNSUPPORTED_SEGMENT, base + off));
            }
            let n = v.total_len();
            let s = SegmentDescriptor::parse(&bytes[off..off + n])
                .map_err(|_| at(INVALID_PARAM, base + off + 2))?;
            out.push(s);
            off += n;
        }
        Ok(out)
    }

    /// The LU with this NAA that has a copy manager (LIO looks only at
    /// `emulate_3pc` LUs of the session) and that this one reaches.
    fn find_3pc<'f>(&self, fabric: &'f Fabric, naa: &[u8]) -> Option<&'f Arc<dyn Lu>> {
        let d = Designator::naa(naa.to_vec());
        fabric
            .by_designator(&d)
            .filter(|lu| lu.third_party_copy())
            .filter(|lu| fabric.reachable(self.name(), lu.name()))
            .filter(|lu| !fabric.is_gone(lu.name()))
    }

    /// Resolves CSCD `index` for the standard profile: an E4h naming an LU
    /// this copy manager reaches, or the copy manager itself (FFFFh).
    fn resolve<'f>(
        &'f self,
        fabric: &'f Fabric,
        c: &Checked<'_>,
        index: u16,
    ) -> Result<(&'f dyn Lu, DeviceParams), ()> {
        if index == cscd::CSCD_INDEX_COPY_MANAGER {
            return Ok((self, DeviceParams::Raw([0; 4])));
        }
        let Some(CscdDescriptor::Identification(id)) = c.cscds.get(usize::from(index)) else {
            return Err(());
        };
        let lu = fabric.by_designator(&id.designator).ok_or(())?;
        if !fabric.reachable(self.name(), lu.name()) || fabric.is_gone(lu.name()) {
            return Err(());
        }
        Ok((lu.as_ref(), id.params))
    }

    fn run_standard(
        &self,
        fabric: &Fabric,
        list_id: u8,
        usage: ListIdUsage,
        c: &Checked<'_>,
    ) -> Completion {
        let mut done = Outcome {
            segments: 0,
            bytes: 0,
        };
        for (i, seg) in c.segments.iter().enumerate() {
            match self.one_segment(fabric, c, seg) {
                Ok(bytes) => {
                    done.segments += 1;
                    done.bytes += bytes;
                }
                Err(f) => {
                    let sense = failure_sense(i as u16, f);
                    let raw = sense.to_vec().unwrap_or_default();
                    self.hold(
                        list_id,
                        usage,
                        &done,
                        CopyManagerStatus::CompletedWithErrors,
                        Some(raw.clone()),
                    );
                    return Completion::check_condition(raw, 0, 0);
                }
            }
        }
        self.hold(list_id, usage, &done, CopyManagerStatus::Completed, None);
        Completion::good(0)
    }

    fn hold(
        &self,
        list_id: u8,
        usage: ListIdUsage,
        done: &Outcome,
        status: CopyManagerStatus,
        sense: Option<Vec<u8>>,
    ) {
        if usage != ListIdUsage::Hold {
            return;
        }
        let (units, count) = if done.bytes <= u64::from(u32::MAX) {
            (TransferCountUnits::Power1024(0), done.bytes as u32)
        } else {
            (
                TransferCountUnits::Power1024(1),
                u32::try_from(done.bytes >> 10).unwrap_or(u32::MAX),
            )
        };
        self.lock().held.insert(
            list_id,
            Held {
                status: CopyStatus {
                    hdd: false,
                    status,
                    segments_processed: done.segments,
                    units,
                    transfer_count: count,
                },
                failure: sense.map(|s| (0x02, s)),
            },
        );
    }

    /// Resolves the CSCD a segment names at `byte` (4: source, 6:
    /// destination) to a reachable LU, or the COPY ABORTED that says why not.
    fn end<'f>(
        &'f self,
        fabric: &'f Fabric,
        c: &Checked<'_>,
        index: u16,
        byte: u16,
    ) -> Result<End<'f>, SegFail> {
        self.resolve(fabric, c, index)
            .map(|(lu, params)| End {
                fabric,
                lu,
                params,
                byte,
            })
            .map_err(|_| SegFail::Abort {
                code: NOT_REACHABLE,
                byte,
            })
    }

    /// Moves one segment's data; returns the bytes moved.
    fn one_segment(
        &self,
        fabric: &Fabric,
        c: &Checked<'_>,
        seg: &SegmentDescriptor,
    ) -> Result<u64, SegFail> {
        let lim = &self.profile.limits;
        let max_stream = lim.max_stream_device_transfer_size;
        match seg {
            SegmentDescriptor::BlockToBlock(d) => {
                let src = self.end(fabric, c, d.source, 4)?.block()?;
                let dst = self.end(fabric, c, d.destination, 6)?.block()?;
                let counted: &dyn BlockTarget = if d.flags.contains(segment::SegmentFlags::DC) {
                    &dst
                } else {
                    &src
                };
                let bytes = u64::from(d.blocks) * u64::from(counted.block_length());
                check_segment_length(bytes, lim)?;
                if bytes % u64::from(src.block_length()) != 0
                    || bytes % u64::from(dst.block_length()) != 0
                {
                    return Err(SegFail::Abort {
                        code: INEXACT_SEGMENT,
                        byte: 10,
                    });
                }
                if !self.profile.move_data {
                    return dry::copy_blocks(&src, d.source_lba, &dst, d.destination_lba, bytes);
                }
                copy_blocks(&src, d.source_lba, &dst, d.destination_lba, bytes)
            }
            SegmentDescriptor::BlockToStream(d) => {
                let src = self.end(fabric, c, d.source, 4)?.block()?;
                let to = self.end(fabric, c, d.destination, 6)?;
                let dst = to.stream()?;
                let bytes = u64::from(d.blocks) * u64::from(src.block_length());
                check_segment_length(bytes, lim)?;
                let xfer = transfer_length(d.stream_transfer_length, &dst, max_stream)?;
                if !self.profile.move_data {
                    return dry::block_to_stream(&src, d.lba, bytes, &dst, xfer, to.pad());
                }
                block_to_stream(&src, d.lba, bytes, &dst, xfer, to.pad())
            }
            SegmentDescriptor::StreamToBlock(d) => {
                let src = self.end(fabric, c, d.source, 4)?.stream()?;
                let dst = self.end(fabric, c, d.destination, 6)?.block()?;
                let bytes = u64::from(d.blocks) * u64::from(dst.block_length());
                check_segment_length(bytes, lim)?;
                if !self.profile.move_data {
                    return dry::stream_to_block(&src, &dst, d.lba, bytes);
                }
                stream_to_block(&src, &dst, d.lba, bytes)
            }
            SegmentDescriptor::StreamToStream(d) => {
                let src = self.end(fabric, c, d.source, 4)?.stream()?;
                let to = self.end(fabric, c, d.destination, 6)?;
                let dst = to.stream()?;
                check_segment_length(u64::from(d.byte_count), lim)?;
                let xfer = transfer_length(d.destination_transfer_length, &dst, max_stream)?;
                if !self.profile.move_data {
                    return dry::stream_to_stream(
                        &src,
                        &dst,
                        u64::from(d.byte_count),
                        xfer,
                        to.pad(),
                    );
                }
                stream_to_stream(&src, &dst, u64::from(d.byte_count), xfer, to.pad())
            }
            SegmentDescriptor::InlineToStream(d) => {
                let to = self.end(fabric, c, d.destination, 6)?;
                let dst = to.stream()?;
                let start = d.inline_offset as usize;
                let end = start.checked_add(d.inline_bytes as usize);
                let Some(data) = end.and_then(|e| c.inline.get(start..e)) else {
                    return Err(SegFail::Abort {
                        code: (SenseKey::CopyAborted, 0x26, 0x0b),
                        byte: 12,
                    });
                };
                let xfer = transfer_length(d.stream_transfer_length, &dst, max_stream)?;
                write_stream(&dst, Bytes::copy_from_slice(data), xfer, to.pad())
            }
            SegmentDescriptor::Raw { .. } => Err(SegFail::Abort {
                code: UNSUPPORTED_SEGMENT,
                byte: 0,
            }),
        }
    }

    fn receive_copy_results(&self, cdb: &[u8], data: DataDirection<'_>) -> Completion {
        if self.profile.is_lio() {
            return self.lio_receive_copy_results(cdb, data);
        }
        let Ok(c) = ReceiveCopyResultsCdb::parse(cdb) else {
            return common::invalid_cdb_field(1, None);
        };
        let bytes = match c.service_action {
            ServiceAction::OperatingParameters => self.profile.limits.to_vec(),
            ServiceAction::CopyStatus => match self.lock().held.get(&c.list_id) {
                Some(h) => h.status.to_vec(),
                None => return common::invalid_cdb_field(2, None),
            },
            ServiceAction::FailedSegmentDetails => match self.lock().held.get(&c.list_id) {
                Some(Held {
                    failure: Some((status, sense)),
                    ..
                }) => FailedSegmentDetails::new(*status, sense.clone()).to_vec(),
                Some(_) => FailedSegmentDetails::new(0, vec![]).to_vec(),
                None => return common::invalid_cdb_field(2, None),
            },
            ServiceAction::ReceiveData => match self.lock().held.get(&c.list_id) {
                Some(_) => ReceiveData { held_data: vec![] }.to_vec(),
                None => return common::invalid_cdb_field(2, None),
            },
            ServiceAction::Other(_) => return common::invalid_cdb_field(1, Some(4)),
        };
        match bytes {
            Ok(b) => data_in(data, &b),
            Err(_) => check(SenseKey::HardwareError, 0x44, 0x00),
        }
    }
}

/// One end of a segment: the LU a CSCD names, its device parameters, and
/// the byte of the segment descriptor that names it (for segment pointers).
struct End<'f> {
    fabric: &'f Fabric,
    lu: &'f dyn Lu,
    params: DeviceParams,
    byte: u16,
}

impl<'f> End<'f> {
    fn wrong_type(&self) -> SegFail {
        SegFail::Abort {
            code: WRONG_DEVICE_TYPE,
            byte: self.byte,
        }
    }

    /// The LU's block data path, behind the fault plan.
    fn block(&self) -> Result<FaultyBlock<'f>, SegFail> {
        self.fabric
            .block_path(self.lu)
            .ok_or_else(|| self.wrong_type())
    }

    /// The LU's stream data path, behind the fault plan.
    fn stream(&self) -> Result<FaultyStream<'f>, SegFail> {
        self.fabric
            .stream_path(self.lu)
            .ok_or_else(|| self.wrong_type())
    }

    fn pad(&self) -> bool {
        matches!(
            self.params,
            DeviceParams::Stream { pad: true, .. } | DeviceParams::Block { pad: true, .. }
        )
    }
}

fn check_segment_length(bytes: u64, lim: &OperatingParameters) -> Result<(), SegFail> {
    if bytes > u64::from(lim.max_segment_length) {
        return Err(SegFail::Abort {
            code: (SenseKey::CopyAborted, 0x26, 0x00),
            byte: 8,
        });
    }
    Ok(())
}

/// The bytes per stream write: the segment's transfer length, or the
/// drive's fixed block length when it is zero; refused past the copy
/// manager's maximum or when not a whole number of fixed blocks.
fn transfer_length(len: u32, dst: &dyn StreamTarget, max: u32) -> Result<usize, SegFail> {
    let fixed = dst.fixed_block_length();
    let len = match (len, fixed) {
        (0, Some(b)) => b,
        (0, None) => {
            return Err(SegFail::Abort {
                code: (SenseKey::CopyAborted, 0x26, 0x00),
                byte: 9,
            })
        }
        (l, _) => l,
    };
    if max != 0 && len > max {
        return Err(SegFail::Abort {
            code: (SenseKey::CopyAborted, 0x26, 0x00),
            byte: 9,
        });
    }
    if let Some(b) = fixed {
        if b == 0 || len % b != 0 {
            return Err(SegFail::Abort {
                code: INEXACT_SEGMENT,
                byte: 9,
            });
        }
    }
    Ok(len as usize)
}

/// Chunk size for block-to-block copies.
const CHUNK: u64 = 1 << 20;

fn copy_blocks(
    src: &dyn BlockTarget,
    src_lba: u64,
    dst: &dyn BlockTarget,
    dst_lba: u64,
    bytes: u64,
) -> Result<u64, SegFail> {
    let (sbl, dbl) = (u64::from(src.block_length()), u64::from(dst.block_length()));
    let chunk = CHUNK - CHUNK % (sbl.max(dbl));
    let mut spare = SPARE.take();
    let mut off = 0u64;
    while off < bytes {
        let n = chunk.min(bytes - off) as usize;
        // Every byte is read over: a spare buffer is not zeroed again, and
        // one of exactly n bytes can become the destination's storage.
        let mut buf = std::mem::take(&mut spare);
        if buf.capacity() >= n {
            buf.resize(n, 0);
        } else {
            buf = vec![0u8; n];
        }
        src.read_blocks(src_lba + off / sbl, &mut buf)
            .map_err(target_fail(SenseDataSource::CopySource))?;
        spare = dst
            .write_blocks_owned(dst_lba + off / dbl, buf)
            .map_err(target_fail(SenseDataSource::CopyDestination))?
            .unwrap_or_default();
        off += n as u64;
    }
    SPARE.set(spare);
    Ok(bytes)
}

thread_local! {
    /// The buffer the last block→block copy of this thread was left with
    /// (the destination's storage it replaced), for the next one: copying
    /// segment after segment then neither allocates nor zeroes.
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Writes `data` to a stream in transfers of `xfer` bytes; the last short
/// one is padded with zeros in fixed mode when PAD is set, else it is an
/// inexact segment.
fn write_stream(
    dst: &dyn StreamTarget,
    data: Bytes,
    xfer: usize,
    pad: bool,
) -> Result<u64, SegFail> {
    let total = data.len() as u64;
    let mut off = 0usize;
    while off < data.len() {
        let end = (off + xfer).min(data.len());
        let mut piece = data.slice(off..end);
        if let Some(b) = dst.fixed_block_length() {
            let b = b as usize;
            if piece.len() % b != 0 {
                if !pad {
                    return Err(SegFail::Abort {
                        code: INEXACT_SEGMENT,
                        byte: 9,
                    });
                }
                let mut p = BytesMut::from(&piece[..]);
                p.resize(piece.len().div_ceil(b) * b, 0);
                piece = p.freeze();
            }
        }
        dst.write(piece)
            .map_err(target_fail(SenseDataSource::CopyDestination))?;
        off = end;
    }
    Ok(total)
}

fn block_to_stream(
    src: &dyn BlockTarget,
    lba: u64,
    bytes: u64,
    dst: &dyn StreamTarget,
    xfer: usize,
    pad: bool,
) -> Result<u64, SegFail> {
    let bl = u64::from(src.block_length());
    let xfer = xfer as u64;
    // Read whole blocks per transfer; a transfer that is not a whole number
    // of source blocks is read in a block-aligned buffer and cut.
    let mut off = 0u64;
    while off < bytes {
        let n = xfer.min(bytes - off);
        let first = off / bl;
        let last = (off + n).div_ceil(bl);
        let len = ((last - first) * bl) as usize;
        // The read overwrites every byte: a spare buffer of the drive
        // (a rewritten tape's memory) saves allocating and zeroing one.
        let mut buf = dst
            .spare_buffer(len)
            .unwrap_or_else(|| BytesMut::zeroed(len));
        src.read_blocks(lba + first, &mut buf)
            .map_err(target_fail(SenseDataSource::CopySource))?;
        let skip = (off - first * bl) as usize;
        let piece = buf.freeze().slice(skip..skip + n as usize);
        write_stream(dst, piece, n as usize, pad)?;
        off += n;
    }
    Ok(bytes)
}

fn stream_to_block(
    src: &dyn StreamTarget,
    dst: &dyn BlockTarget,
    lba: u64,
    bytes: u64,
) -> Result<u64, SegFail> {
    let bl = u64::from(dst.block_length());
    // What is left of the records read, less than a block.
    let mut pending = BytesMut::new();
    let mut written = 0u64;
    while written < bytes {
        let record = match src
            .read()
            .map_err(target_fail(SenseDataSource::CopySource))?
        {
            StreamRead::Record(r) => r,
            StreamRead::Filemark | StreamRead::EndOfData => {
                return Err(SegFail::Abort {
                    code: DATA_UNDERRUN,
                    byte: 14,
                })
            }
        };
        if written + (pending.len() + record.len()) as u64 > bytes {
            return Err(SegFail::Abort {
                code: DATA_OVERRUN,
                byte: 14,
            });
        }
        // A record that starts on a block boundary is written from the
        // tape's own buffer; only what trails a partial block is copied.
        let data = if pending.is_empty() {
            record
        } else {
            pending.extend_from_slice(&record);
            pending.split().freeze()
        };
        let whole = (data.len() as u64 / bl) * bl;
        if whole > 0 {
            dst.write_blocks(lba + written / bl, &data[..whole as usize])
                .map_err(target_fail(SenseDataSource::CopyDestination))?;
            written += whole;
        }
        pending.extend_from_slice(&data[whole as usize..]);
    }
    Ok(bytes)
}

fn stream_to_stream(
    src: &dyn StreamTarget,
    dst: &dyn StreamTarget,
    bytes: u64,
    xfer: usize,
    pad: bool,
) -> Result<u64, SegFail> {
    // What is left of the records read, less than a transfer.
    let mut pending = BytesMut::new();
    let mut moved = 0u64;
    while moved + (pending.len() as u64) < bytes {
        let record = match src
            .read()
            .map_err(target_fail(SenseDataSource::CopySource))?
        {
            StreamRead::Record(r) => r,
            StreamRead::Filemark | StreamRead::EndOfData => {
                return Err(SegFail::Abort {
                    code: DATA_UNDERRUN,
                    byte: 16,
                })
            }
        };
        // Whole transfers of a record read with nothing pending go out as
        // slices of it; only a partial transfer is copied to wait.
        let mut data = if pending.is_empty() {
            record
        } else {
            pending.extend_from_slice(&record);
            pending.split().freeze()
        };
        while data.len() >= xfer {
            let piece = data.split_to(xfer);
            moved += piece.len() as u64;
            write_stream(dst, piece, xfer, pad)?;
        }
        pending.extend_from_slice(&data);
    }
    if moved + pending.len() as u64 > bytes {
        return Err(SegFail::Abort {
            code: DATA_OVERRUN,
            byte: 16,
        });
    }
    if !pending.is_empty() {
        moved += pending.len() as u64;
        write_stream(dst, pending.freeze(), xfer, pad)?;
    }
    Ok(moved)
}

/// COPY ABORTED in descriptor format for segment `index`: the index in
/// COMMAND-SPECIFIC INFORMATION, a segment pointer, and the target's sense
/// forwarded when there is one.
fn failure_sense(index: u16, f: SegFail) -> SenseData {
    let (code, byte, forwarded) = match f {
        SegFail::Abort { code, byte } => (code, byte, None),
        SegFail::Target {
            error: TargetError::Check(s),
            source,
        } => (THIRD_PARTY_FAILURE, 0, Some((source, s))),
        SegFail::Target { .. } => (NOT_REACHABLE, 0, None),
    };
    let mut d = SenseData::descriptor(code.0, code.1, code.2)
        .with_failed_segment(index)
        .with_sense_key_specific(SenseKeySpecific::SegmentPointer(SegmentPointer {
            segment_descriptor: true,
            bit_pointer: None,
            field_pointer: byte,
        }));
    if let Some((source, s)) = forwarded {
        if let Ok(fw) = ForwardedSense::new(source, 0x02, &s) {
            d = d.with_forwarded(fw);
        }
    }
    d.into()
}

impl Lu for CopyManager {
    fn name(&self) -> &str {
        &self.identity.name
    }

    fn designators(&self) -> Vec<Designator> {
        self.identity.designators()
    }

    fn third_party_copy(&self) -> bool {
        true
    }

    fn command(&self, fabric: &Fabric, cdb: &[u8], data: DataDirection<'_>) -> Completion {
        match cdb[0] {
            xcopy::ExtendedCopyCdb::OPCODE => self.extended_copy(fabric, cdb, data),
            ReceiveCopyResultsCdb::OPCODE => self.receive_copy_results(cdb, data),
            // INQUIRY answers with this LU's identity (3PC set).
            0x12 => common::handle_common(&self.identity, cdb, data, None)
                .unwrap_or_else(common::invalid_opcode),
            _ => match &self.disk {
                Some(d) => d.command(fabric, cdb, data),
                None => common::handle_common(&self.identity, cdb, data, None)
                    .unwrap_or_else(common::invalid_opcode),
            },
        }
    }

    fn block(&self) -> Option<&dyn BlockTarget> {
        self.disk.as_ref().and_then(|d| d.block())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::disk::{Backing, SimDisk};
    use crate::sim::tape::{Cartridge, SimTapeDrive};

    /// A drive with a tape holding records of these lengths (variable
    /// mode), byte `i` of the whole being `i * 7 + 3`; positioned at BOP.
    fn tape_of(records: &[usize]) -> (Arc<SimTapeDrive>, Vec<u8>) {
        let drive = SimTapeDrive::new("t");
        drive.load(Cartridge::memory("T00001", 1 << 30, 0));
        let total: usize = records.iter().sum();
        let bytes: Vec<u8> = (0..total).map(|i| (i * 7 + 3) as u8).collect();
        let mut at = 0;
        for &n in records {
            StreamTarget::write(drive.as_ref(), Bytes::copy_from_slice(&bytes[at..at + n]))
                .unwrap();
            at += n;
        }
        let cartridge = drive.unload().unwrap();
        drive.load(cartridge);
        (drive, bytes)
    }

    fn records(drive: &SimTapeDrive) -> Vec<Vec<u8>> {
        let cartridge = drive.unload().unwrap();
        drive.load(cartridge);
        let mut out = Vec::new();
        while let StreamRead::Record(r) = StreamTarget::read(drive).unwrap() {
            out.push(r.to_vec());
        }
        out
    }

    #[test]
    fn stream_to_block_carries_partial_blocks_between_records() {
        let (drive, bytes) = tape_of(&[700, 324, 1024, 100, 900, 24]);
        let disk = SimDisk::new("d", 512, 64, Backing::Memory).unwrap();
        let r = stream_to_block(drive.as_ref(), disk.as_ref(), 10, 3072);
        assert!(matches!(r, Ok(3072)));
        let mut back = vec![0u8; 3072];
        disk.read_blocks(10, &mut back).unwrap();
        assert_eq!(back, bytes);
    }

    #[test]
    fn stream_to_block_overrun_and_underrun() {
        // 700 + 700 bytes for 1024: the first block is written, then the
        // second record overruns.
        let (drive, bytes) = tape_of(&[700, 700]);
        let disk = SimDisk::new("d", 512, 64, Backing::Memory).unwrap();
        let r = stream_to_block(drive.as_ref(), disk.as_ref(), 0, 1024);
        assert!(matches!(r, Err(SegFail::Abort { code, byte: 14 }) if code == DATA_OVERRUN));
        let mut back = vec![0u8; 1024];
        disk.read_blocks(0, &mut back).unwrap();
        assert_eq!(&back[..512], &bytes[..512]);
        assert_eq!(&back[512..], &[0u8; 512][..]);
        // 700 bytes then end of data for 1024: underrun.
        let (drive, _) = tape_of(&[700]);
        let r = stream_to_block(drive.as_ref(), disk.as_ref(), 0, 1024);
        assert!(matches!(r, Err(SegFail::Abort { code, byte: 14 }) if code == DATA_UNDERRUN));
    }

    #[test]
    fn stream_to_stream_regroups_records_into_transfers() {
        let (src, bytes) = tape_of(&[100, 250, 30, 644]);
        let (dst, _) = tape_of(&[]);
        let r = stream_to_stream(src.as_ref(), dst.as_ref(), 1024, 300, false);
        assert!(matches!(r, Ok(1024)));
        let got = records(&dst);
        let want: Vec<Vec<u8>> = bytes.chunks(300).map(<[u8]>::to_vec).collect();
        assert_eq!(got, want);
        // A record running past the byte count is an overrun.
        let (src, _) = tape_of(&[600, 600]);
        let (dst, _) = tape_of(&[]);
        let r = stream_to_stream(src.as_ref(), dst.as_ref(), 1000, 300, false);
        assert!(matches!(r, Err(SegFail::Abort { code, byte: 16 }) if code == DATA_OVERRUN));
    }
}
