//! The EXTENDED COPY behaviour table: hand-made parameter lists and RECEIVE
//! COPY RESULTS commands, one per conformance point of `../shared/spc.md`
//! (the libiscsi ExtendedCopy/ReceiveCopyResults suites and LIO's rules in
//! `target_core_xcopy.c`), each with the answer SPC-4 and LIO give.
//!
//! The same table runs against LIO in the lab (`segcopy conform`), where
//! the answers are recorded into `fixtures/lio/behaviour.tsv`, and against
//! the simulated copy manager with the LIO profile, which must give the
//! recorded answers: the simulator is held to what a real copy manager did,
//! not to our reading of the standard.
//!
//! Cases are sent to the copy manager (`cm`); the valid ones copy from
//! `cm` to `other`, so `other` is written. `four_k`, when given, is a LUN
//! with another block size for the mismatch case; without it that case is
//! not run, and [`skipped`] says so and why.
//!
//! Every command is encoded before it is sent; a case whose command does
//! not encode (a bug in the table) is never sent as empty bytes: its row
//! says so ([`NoAnswer::NotEncoded`]).

use std::fmt;
use std::time::Duration;

use crate::transport::commands::{Data, Scsi};
use crate::transport::{ScsiStatus, Transport, TransportError};
use crate::wire::cscd::{CscdDescriptor, IdentificationCscd};
use crate::wire::rcr::{ReceiveCopyResultsCdb, ServiceAction};
use crate::wire::segment::{BlockStream, SegmentDescriptor, SegmentFlags, StreamToStream};
use crate::wire::sense::{SenseData, SenseKey};
use crate::wire::vpd::{Association, CodeSet, Designator, DesignatorType};
use crate::wire::xcopy::{ExtendedCopyCdb, ListIdUsage, ParameterList};
use crate::wire::{Hex, Repr, WireError};

/// A logical unit the cases name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lun {
    /// Its designator (NAA 6 on LIO).
    pub designator: Designator,
    /// Block length.
    pub block_length: u32,
    /// Capacity in blocks.
    pub capacity_blocks: u64,
}

/// The units a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// The copy manager: receives every command; the source of valid copies.
    pub cm: Lun,
    /// The other unit: the destination of valid copies (it is written).
    pub other: Lun,
    /// A unit with a different block size, if there is one.
    pub four_k: Option<Lun>,
}

/// A command to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The CDB.
    pub cdb: Vec<u8>,
    /// Data out (EXTENDED COPY parameter list), if any.
    pub data_out: Vec<u8>,
    /// Bytes to receive (RECEIVE COPY RESULTS), if any.
    pub data_in: usize,
}

/// An answer: GOOD, or CHECK CONDITION with a sense key and code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// GOOD status.
    Good,
    /// CHECK CONDITION with key/ASC/ASCQ.
    Check(SenseKey, u8, u8),
    /// Some other status byte.
    Status(u8),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Good => f.write_str("GOOD"),
            Outcome::Check(k, a, q) => write!(f, "{k} {a:02X}/{q:02X}"),
            Outcome::Status(s) => write!(f, "status {s:#04x}"),
        }
    }
}

impl Outcome {
    /// The `KK/AA/QQ` (or `GOOD`) form used in the recorded table.
    pub fn code(&self) -> String {
        match self {
            Outcome::Good => "GOOD".into(),
            Outcome::Check(k, a, q) => format!("{:02x}/{a:02x}/{q:02x}", k.code()),
            Outcome::Status(s) => format!("status-{s:02x}"),
        }
    }
}

/// One case of the table.
pub struct Case {
    /// Short name (no spaces).
    pub name: &'static str,
    /// The rule it checks, with its source.
    pub rule: &'static str,
    /// What SPC-4 and LIO (per spc.md) answer.
    pub expect: Outcome,
    /// Whether it needs `Setup::four_k`.
    pub needs_four_k: bool,
    /// Builds the command; an error when a value does not encode.
    pub build: fn(&Setup) -> Result<Request, WireError>,
}

/// Why a case is not run on a setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum SkipReason {
    /// It needs [`Setup::four_k`], and the setup has none.
    #[error("it needs a logical unit with another block size than the copy manager's, and none was given")]
    NoFourK,
}

impl Case {
    /// Why this case cannot run on `setup`, or `None` when it can.
    pub fn skip_reason(&self, setup: &Setup) -> Option<SkipReason> {
        (self.needs_four_k && setup.four_k.is_none()).then_some(SkipReason::NoFourK)
    }
}

/// What a device answered to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The answer.
    pub outcome: Outcome,
    /// The raw sense bytes (empty for GOOD).
    pub sense: Vec<u8>,
}

/// One row of a run.
#[derive(Debug, Clone)]
pub struct Row {
    /// The case's name.
    pub name: &'static str,
    /// The rule.
    pub rule: &'static str,
    /// What was expected.
    pub expect: Outcome,
    /// What came back (or why nothing did).
    pub observed: Result<Observed, NoAnswer>,
}

/// Why a case got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoAnswer {
    /// The case's command could not be encoded (a bug in the table), so
    /// nothing was sent.
    #[error("its command could not be encoded, so nothing was sent (a bug in the table): {0}")]
    NotEncoded(WireError),
    /// The transport gave no SCSI answer.
    #[error("{0}")]
    Transport(String),
}

/// A case that was not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The case's name.
    pub name: &'static str,
    /// The rule.
    pub rule: &'static str,
    /// What would have been expected.
    pub expect: Outcome,
    /// Why it was not run.
    pub reason: SkipReason,
}

impl Row {
    /// Whether the device answered as expected.
    pub fn matches(&self) -> bool {
        matches!(&self.observed, Ok(o) if o.outcome == self.expect)
    }
}

const K: SenseKey = SenseKey::IllegalRequest;
const CA: SenseKey = SenseKey::CopyAborted;

fn e4(l: &Lun) -> CscdDescriptor {
    CscdDescriptor::Identification(IdentificationCscd::block(&l.designator, 0, l.block_length))
}

fn e4_raw(l: &Lun) -> Result<Vec<u8>, WireError> {
    e4(l).to_vec()
}

fn b2b(blocks: u16, src: u64, dst: u64) -> SegmentDescriptor {
    SegmentDescriptor::block_to_block(0, 1, blocks, src, dst)
}

/// A well-formed list: CSCD 0 = cm, CSCD 1 = other, one 02h segment.
fn good_list(s: &Setup) -> ParameterList {
    ParameterList {
        list_id: 0,
        str_bit: false,
        list_id_usage: ListIdUsage::None,
        priority: 0,
        cscds: vec![e4(&s.cm), e4(&s.other)],
        segments: vec![b2b(8, 0, 0)],
        inline_data: vec![],
    }
}

fn xcopy(list: Vec<u8>) -> Result<Request, WireError> {
    let len = u32::try_from(list.len()).map_err(|_| WireError::Overflow {
        what: "EXTENDED COPY CDB",
        field: "PARAMETER LIST LENGTH",
        value: list.len() as u64,
    })?;
    xcopy_len(len, list)
}

fn xcopy_len(len: u32, list: Vec<u8>) -> Result<Request, WireError> {
    Ok(Request {
        cdb: ExtendedCopyCdb::new(len).to_vec()?,
        data_out: list,
        data_in: 0,
    })
}

fn enc(l: &ParameterList) -> Result<Vec<u8>, WireError> {
    l.to_vec()
}

/// A list built from raw parts (for lengths the Repr would not emit).
fn raw_list(byte1: u8, cscds: &[u8], segs: &[u8], inline: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; 16];
    v[1] = byte1;
    v[2..4].copy_from_slice(&(cscds.len() as u16).to_be_bytes());
    v[8..12].copy_from_slice(&(segs.len() as u32).to_be_bytes());
    v[12..16].copy_from_slice(&(inline.len() as u32).to_be_bytes());
    v.extend_from_slice(cscds);
    v.extend_from_slice(segs);
    v.extend_from_slice(inline);
    v
}

fn with_e4(s: &Setup, edit: impl Fn(&mut Vec<u8>)) -> Result<Request, WireError> {
    let mut c = e4_raw(&s.cm)?;
    edit(&mut c);
    let mut cs = c;
    cs.extend(e4_raw(&s.other)?);
    xcopy(raw_list(0x18, &cs, &enc_seg(&b2b(8, 0, 0))?, &[]))
}

fn enc_seg(d: &SegmentDescriptor) -> Result<Vec<u8>, WireError> {
    d.to_vec()
}

fn rcr(sa: ServiceAction, list_id: u8, alloc: u32) -> Result<Request, WireError> {
    Ok(Request {
        cdb: ReceiveCopyResultsCdb::new(sa, list_id, alloc).to_vec()?,
        data_out: vec![],
        data_in: alloc as usize,
    })
}

/// The table.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "valid-b2b",
            rule: "a simple 02h copy with two E4h CSCDs succeeds (libiscsi Simple)",
            expect: Outcome::Good,
            needs_four_k: false,
            build: |s| xcopy(enc(&good_list(s))?),
        },
        Case {
            name: "valid-b2b-list-id-hold",
            rule: "LIST ID USAGE 00b with list id 1 is accepted",
            expect: Outcome::Good,
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.list_id = 1;
                l.list_id_usage = ListIdUsage::Hold;
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "valid-b2b-list-id-discard",
            rule: "LIST ID USAGE 10b with list id 2 is accepted",
            expect: Outcome::Good,
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.list_id = 2;
                l.list_id_usage = ListIdUsage::NoHold;
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "list-id-usage-reserved",
            rule: "LIST ID USAGE 01b is reserved",
            expect: Outcome::Good,
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.list_id_usage = ListIdUsage::Reserved;
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "zero-length-list",
            rule: "PARAMETER LIST LENGTH 0: GOOD, nothing done (SPC-4 6.4.1, libiscsi ParamHdr)",
            expect: Outcome::Good,
            needs_four_k: false,
            build: |_| xcopy(vec![]),
        },
        Case {
            name: "list-shorter-than-header",
            rule: "a parameter list shorter than its 16-byte header: PARAMETER LIST LENGTH ERROR",
            expect: Outcome::Check(K, 0x1a, 0x00),
            needs_four_k: false,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l.truncate(8);
                xcopy(l)
            },
        },
        Case {
            name: "cscd-list-truncated",
            rule: "CSCD list cut by the parameter list length: PARAMETER LIST LENGTH ERROR (libiscsi ParamHdr)",
            expect: Outcome::Check(K, 0x1a, 0x00),
            needs_four_k: false,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l.truncate(16 + 40);
                xcopy(l)
            },
        },
        Case {
            name: "segment-list-truncated",
            rule: "segment list cut by the parameter list length: PARAMETER LIST LENGTH ERROR (libiscsi ParamHdr)",
            expect: Outcome::Check(K, 0x1a, 0x00),
            needs_four_k: false,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l.truncate(16 + 64 + 20);
                xcopy(l)
            },
        },
        Case {
            name: "too-many-cscds",
            rule: "more CSCDs than MAXIMUM CSCD DESCRIPTOR COUNT (2): TOO MANY TARGET DESCRIPTORS",
            expect: Outcome::Check(K, 0x26, 0x06),
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.cscds.push(e4(&s.other));
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "too-many-segments",
            rule: "more segment descriptors than MAXIMUM SEGMENT DESCRIPTOR COUNT (1): TOO MANY SEGMENT DESCRIPTORS",
            expect: Outcome::Check(K, 0x26, 0x08),
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.segments.push(b2b(8, 8, 8));
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "lists-over-max-length",
            rule: "CSCD + segment lists longer than MAXIMUM DESCRIPTOR LIST LENGTH (1024): PARAMETER LIST LENGTH ERROR",
            expect: Outcome::Check(K, 0x1a, 0x00),
            needs_four_k: false,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                cs.extend(e4_raw(&s.other)?);
                let segs = (0..36)
                    .map(|i| enc_seg(&b2b(1, i, i)))
                    .collect::<Result<Vec<_>, _>>()?
                    .concat();
                xcopy(raw_list(0x18, &cs, &segs, &[]))
            },
        },
        Case {
            name: "cscd-type-e0",
            rule: "a Fibre Channel N_Port_Name (E0h) CSCD: UNSUPPORTED TARGET DESCRIPTOR TYPE CODE (libiscsi DescrType)",
            expect: Outcome::Check(K, 0x26, 0x07),
            needs_four_k: false,
            build: |s| {
                let mut e0 = vec![0u8; 32];
                e0[0] = 0xe0;
                e0[8..16].copy_from_slice(&[0x20, 0, 0, 0x25, 0xb5, 0, 0, 1]);
                e0[30] = 0x02;
                let mut cs = e4_raw(&s.cm)?;
                cs.extend(e0);
                xcopy(raw_list(0x18, &cs, &enc_seg(&b2b(8, 0, 0))?, &[]))
            },
        },
        Case {
            name: "segment-type-03",
            rule: "a stream→stream (03h) segment on a copy manager that lists only 02h: UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE (libiscsi DescrType)",
            expect: Outcome::Check(K, 0x26, 0x09),
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.segments = vec![SegmentDescriptor::StreamToStream(StreamToStream {
                    flags: SegmentFlags::empty(),
                    source: 0,
                    destination: 1,
                    source_transfer_length: 512,
                    destination_transfer_length: 512,
                    byte_count: 4096,
                })];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "segment-type-00",
            rule: "a block→stream (00h) segment on a copy manager that lists only 02h: UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE",
            expect: Outcome::Check(K, 0x26, 0x09),
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.segments = vec![SegmentDescriptor::BlockToStream(BlockStream {
                    flags: SegmentFlags::empty(),
                    source: 0,
                    destination: 1,
                    stream_transfer_length: 512,
                    blocks: 8,
                    lba: 0,
                })];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "e4-code-set-ascii",
            rule: "E4h with CODE SET 2h (ASCII): LIO wants binary — INVALID FIELD IN PARAMETER LIST",
            expect: Outcome::Check(K, 0x26, 0x00),
            needs_four_k: false,
            build: |s| with_e4(s, |c| c[4] = (c[4] & 0xf0) | CodeSet::Ascii.bits()),
        },
        Case {
            name: "e4-association-port",
            rule: "E4h with ASSOCIATION 01b (target port): LIO wants the LU — INVALID FIELD IN PARAMETER LIST",
            expect: Outcome::Check(K, 0x26, 0x00),
            needs_four_k: false,
            build: |s| with_e4(s, |c| c[5] = (c[5] & 0xcf) | (Association::TargetPort.bits() << 4)),
        },
        Case {
            name: "e4-designator-eui64",
            rule: "E4h with DESIGNATOR TYPE 2h (EUI-64): LIO wants NAA — INVALID FIELD IN PARAMETER LIST",
            expect: Outcome::Check(K, 0x26, 0x00),
            needs_four_k: false,
            build: |s| with_e4(s, |c| c[5] = (c[5] & 0xf0) | DesignatorType::Eui64.bits()),
        },
        Case {
            name: "e4-designator-length-8",
            rule: "E4h with DESIGNATOR LENGTH 8: LIO wants 16 — INVALID FIELD IN PARAMETER LIST",
            expect: Outcome::Check(K, 0x26, 0x00),
            needs_four_k: false,
            build: |s| {
                with_e4(s, |c| {
                    c[7] = 8;
                    c[16..28].fill(0);
                })
            },
        },
        Case {
            name: "e4-naa-5",
            rule: "E4h with an NAA 5 designator: LIO wants NAA 6 — INVALID FIELD IN PARAMETER LIST",
            expect: Outcome::Check(K, 0x26, 0x00),
            needs_four_k: false,
            build: |s| with_e4(s, |c| c[8] = (c[8] & 0x0f) | 0x50),
        },
        Case {
            name: "e4-unknown-naa",
            rule: "E4h naming no LU of this session: COPY ABORTED 0D/02 (LIO: so that the initiator falls back)",
            expect: Outcome::Check(CA, 0x0d, 0x02),
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                let mut d = s.other.designator.clone();
                if let Some(b) = d.value.last_mut() {
                    *b ^= 0x5a;
                }
                l.cscds[1] = CscdDescriptor::Identification(IdentificationCscd::block(
                    &d,
                    0,
                    s.other.block_length,
                ));
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "e4-nul-set",
            rule: "E4h with NUL=1 (SPC-3 null device; obsolete in SPC-4)",
            expect: Outcome::Good,
            needs_four_k: false,
            build: |s| with_e4(s, |c| c[1] |= 0x20),
        },
        Case {
            name: "e4-lu-id-type-10b",
            rule: "E4h with LU ID TYPE 10b (reserved): ignored by SPC-4 copy managers (libiscsi ValidTgtDescr)",
            expect: Outcome::Good,
            needs_four_k: false,
            build: |s| with_e4(s, |c| c[1] = (c[1] & 0x3f) | 0x80),
        },
        Case {
            name: "neither-cscd-is-cm",
            rule: "both CSCDs name the other LU (not the one receiving the command): LIO copies only to or from the receiving LU",
            expect: Outcome::Check(CA, 0x0d, 0x02),
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.cscds[0] = e4(&s.other);
                l.segments = vec![b2b(8, 0, 64)];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "cscd-list-not-multiple-of-32",
            rule: "CSCD DESCRIPTOR LIST LENGTH 48 (not a multiple of 32): LIO answers UNSUPPORTED TARGET DESCRIPTOR TYPE CODE (observed in the lab; SPC-4 names no code for it)",
            expect: Outcome::Check(K, 0x26, 0x07),
            needs_four_k: false,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                cs.extend(&e4_raw(&s.other)?[..16]);
                xcopy(raw_list(0x18, &cs, &enc_seg(&b2b(8, 0, 0))?, &[]))
            },
        },
        Case {
            name: "segment-list-not-multiple-of-28",
            rule: "SEGMENT DESCRIPTOR LIST LENGTH 24 for a 28-byte 02h descriptor: LIO answers UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE (observed in the lab)",
            expect: Outcome::Check(K, 0x26, 0x09),
            needs_four_k: false,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                cs.extend(e4_raw(&s.other)?);
                let seg = enc_seg(&b2b(8, 0, 0))?;
                xcopy(raw_list(0x18, &cs, &seg[..24], &[]))
            },
        },
        Case {
            name: "cscd-index-out-of-range",
            rule: "a segment naming CSCD 5 of 2 (libiscsi ValidSegDescr)",
            expect: Outcome::Check(CA, 0x0d, 0x02),
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.segments = vec![SegmentDescriptor::block_to_block(0, 5, 8, 0, 0)];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "cscd-index-over-07ff",
            rule: "a segment naming CSCD 0800h: LIO rejects indexes above 07FFh with INVALID FIELD IN PARAMETER LIST",
            expect: Outcome::Check(K, 0x26, 0x00),
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.segments = vec![SegmentDescriptor::block_to_block(0, 0x0800, 8, 0, 0)];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "range-past-end",
            rule: "a destination range past the end of the LU: COPY ABORTED (libiscsi ValidSegDescr; LIO 0D/02)",
            expect: Outcome::Check(CA, 0x0d, 0x02),
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.segments = vec![b2b(8, 0, s.other.capacity_blocks - 4)];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "zero-block-segment",
            rule: "a 02h segment of 0 blocks: not an error (SPC-4 6.4.6.5), nothing copied",
            expect: Outcome::Good,
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.segments = vec![b2b(0, 0, 0)];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "inline-data",
            rule: "INLINE DATA LENGTH 16 on a copy manager with no inline data: LIO answers INVALID FIELD IN PARAMETER LIST",
            expect: Outcome::Check(K, 0x26, 0x00),
            needs_four_k: false,
            build: |s| {
                let mut l = good_list(s);
                l.inline_data = vec![0xaa; 16];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "block-size-mismatch",
            rule: "source and destination with different block sizes: LIO answers NOT READY 08/00",
            expect: Outcome::Check(SenseKey::NotReady, 0x08, 0x00),
            needs_four_k: true,
            build: |s| {
                let mut l = good_list(s);
                if let Some(k) = &s.four_k {
                    l.cscds[1] = e4(k);
                }
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "rcr-operating-parameters",
            rule: "RECEIVE COPY RESULTS OPERATING PARAMETERS: GOOD (libiscsi OpParams)",
            expect: Outcome::Good,
            needs_four_k: false,
            build: |_| rcr(ServiceAction::OperatingParameters, 0, 1024),
        },
        Case {
            name: "rcr-operating-parameters-alloc-42",
            rule: "OPERATING PARAMETERS with an allocation length under 54: LIO answers INVALID FIELD IN CDB",
            expect: Outcome::Check(K, 0x24, 0x00),
            needs_four_k: false,
            build: |_| rcr(ServiceAction::OperatingParameters, 0, 42),
        },
        Case {
            name: "rcr-copy-status",
            rule: "COPY STATUS on a device that does not list it in VPD 8Fh: INVALID FIELD IN CDB (libiscsi CopyStatus)",
            expect: Outcome::Check(K, 0x24, 0x00),
            needs_four_k: false,
            build: |_| rcr(ServiceAction::CopyStatus, 1, 12),
        },
        Case {
            name: "rcr-failed-segment-details",
            rule: "FAILED SEGMENT DETAILS on LIO (OPERATING PARAMETERS only): INVALID FIELD IN CDB",
            expect: Outcome::Check(K, 0x24, 0x00),
            needs_four_k: false,
            build: |_| rcr(ServiceAction::FailedSegmentDetails, 1, 312),
        },
        Case {
            name: "xcopy-lid4",
            rule: "EXTENDED COPY with service action 01h (LID4): LIO does only LID1 and answers INVALID COMMAND OPERATION CODE (SPC-4 4.2.5.1 asks for INVALID FIELD IN CDB; observed in the lab)",
            expect: Outcome::Check(K, 0x20, 0x00),
            needs_four_k: false,
            build: |s| {
                let mut r = xcopy(enc(&good_list(s))?)?;
                r.cdb[1] = 0x01;
                Ok(r)
            },
        },
        Case {
            name: "plist-length-longer-than-data",
            rule: "PARAMETER LIST LENGTH 200 with a 108-byte list padded with zeros: the lists are whole, trailing bytes are ignored",
            expect: Outcome::Good,
            needs_four_k: false,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l.resize(200, 0);
                xcopy_len(200, l)
            },
        },
    ]
}

/// Sends one case's command once (no retry) and reads the answer.
pub fn send(t: &dyn Transport, req: &Request) -> Result<Observed, TransportError> {
    let scsi = Scsi::new(t);
    let mut buf = vec![0u8; req.data_in];
    let mut data = if !req.data_out.is_empty() {
        Data::Out(&req.data_out)
    } else if req.data_in > 0 {
        Data::In(&mut buf)
    } else {
        Data::None
    };
    let c = scsi.send(
        "conformance case",
        &req.cdb,
        &mut data,
        Duration::from_secs(60),
    )?;
    let outcome = match c.status {
        ScsiStatus::Good => Outcome::Good,
        ScsiStatus::CheckCondition => match SenseData::parse(&c.sense) {
            Ok(s) => match (s.sense_key(), s.asc_ascq()) {
                (Some(k), Some((a, q))) => Outcome::Check(k, a, q),
                _ => Outcome::Status(0x02),
            },
            Err(_) => Outcome::Status(0x02),
        },
        other => Outcome::Status(other.to_byte()),
    };
    Ok(Observed {
        outcome,
        sense: c.sense,
    })
}

/// Runs every case `setup` can run, in table order; the others are
/// [`skipped`]. A case whose command does not encode is not sent and its
/// row says so ([`NoAnswer::NotEncoded`]).
///
/// First a TEST UNIT READY (retried once on UNIT ATTENTION) clears a
/// pending UNIT ATTENTION, so that the first case is judged on its own
/// merits. Its answer is not a case: whatever it is, the cases run and
/// their rows show how the device answers.
pub fn run(t: &dyn Transport, setup: &Setup) -> Vec<Row> {
    let _ = Scsi::new(t).test_unit_ready();
    cases()
        .into_iter()
        .filter(|c| c.skip_reason(setup).is_none())
        .map(|c| Row {
            name: c.name,
            rule: c.rule,
            expect: c.expect,
            observed: match (c.build)(setup) {
                Ok(req) => send(t, &req).map_err(|e| NoAnswer::Transport(e.to_string())),
                Err(e) => Err(NoAnswer::NotEncoded(e)),
            },
        })
        .collect()
}

/// The cases [`run`] leaves out on `setup`, each with the reason.
pub fn skipped(setup: &Setup) -> Vec<Skipped> {
    cases()
        .into_iter()
        .filter_map(|c| {
            c.skip_reason(setup).map(|reason| Skipped {
                name: c.name,
                rule: c.rule,
                expect: c.expect,
                reason,
            })
        })
        .collect()
}

/// The recorded form: `name<TAB>outcome-code<TAB>sense hex` per line.
pub fn record(rows: &[Row]) -> String {
    let mut s = String::from("# case\toutcome (GOOD or key/asc/ascq)\tsense bytes\n");
    for r in rows {
        match &r.observed {
            Ok(o) => s += &format!("{}\t{}\t{}\n", r.name, o.outcome.code(), Hex(&o.sense)),
            Err(e) => s += &format!("{}\tno-answer\t{e}\n", r.name),
        }
    }
    s
}

/// One recorded answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Case name.
    pub name: String,
    /// Outcome code (`GOOD`, `0a/0d/02`…).
    pub outcome: String,
    /// Sense bytes in hex, space separated.
    pub sense: String,
}

/// Reads a recorded table.
pub fn parse_record(text: &str) -> Vec<Recorded> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut f = l.splitn(3, '\t');
            Recorded {
                name: f.next().unwrap_or("").to_string(),
                outcome: f.next().unwrap_or("").to_string(),
                sense: f.next().unwrap_or("").trim().to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> Setup {
        let lun = |b: u8, bl, cap| Lun {
            designator: Designator::naa(vec![
                0x60, 0x01, 0x40, 0x51, b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            ]),
            block_length: bl,
            capacity_blocks: cap,
        };
        Setup {
            cm: lun(1, 512, 262_144),
            other: lun(2, 512, 262_144),
            four_k: Some(lun(4, 4096, 4096)),
        }
    }

    #[test]
    fn at_least_twenty_distinct_cases() {
        let c = cases();
        assert!(c.len() >= 20);
        let mut names: Vec<_> = c.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), c.len(), "case names are unique");
        assert!(names.iter().all(|n| !n.contains(char::is_whitespace)));
    }

    #[test]
    fn every_case_builds_a_command() {
        let s = setup();
        for c in cases() {
            let r = (c.build)(&s).unwrap_or_else(|e| panic!("{}: {e}", c.name));
            assert!(matches!(r.cdb[0], 0x83 | 0x84), "{}", c.name);
            if r.cdb[0] == 0x83 {
                let len = u32::from_be_bytes([r.cdb[10], r.cdb[11], r.cdb[12], r.cdb[13]]);
                assert_eq!(len as usize, r.data_out.len(), "{}", c.name);
            }
        }
    }

    #[test]
    fn well_formed_cases_parse_and_malformed_ones_do_not() {
        let s = setup();
        for c in cases() {
            let r = (c.build)(&s).unwrap_or_else(|e| panic!("{}: {e}", c.name));
            if r.cdb[0] != 0x83 || r.data_out.is_empty() {
                continue;
            }
            let parses = ParameterList::parse(&r.data_out).is_ok();
            let malformed = matches!(
                c.name,
                "list-shorter-than-header"
                    | "cscd-list-truncated"
                    | "segment-list-truncated"
                    | "cscd-list-not-multiple-of-32"
                    | "segment-list-not-multiple-of-28"
                    | "plist-length-longer-than-data"
            );
            assert_eq!(parses, !malformed, "{}", c.name);
        }
    }

    /// Answers GOOD to everything and keeps the CDBs it was sent.
    struct Good(std::sync::Mutex<Vec<Vec<u8>>>);

    impl Transport for Good {
        fn name(&self) -> &str {
            "good"
        }
        fn execute(
            &self,
            cdb: &[u8],
            _data: crate::transport::DataDirection<'_>,
            _timeout: Duration,
        ) -> Result<crate::transport::Completion, TransportError> {
            self.0.lock().unwrap().push(cdb.to_vec());
            Ok(crate::transport::Completion::good(0))
        }
    }

    #[test]
    fn without_a_4k_unit_the_mismatch_case_is_skipped_with_its_reason() {
        let mut s = setup();
        s.four_k = None;
        let t = Good(Default::default());
        let rows = run(&t, &s);
        let left_out = skipped(&s);
        assert_eq!(rows.len() + left_out.len(), cases().len());
        assert_eq!(left_out.len(), 1);
        assert_eq!(left_out[0].name, "block-size-mismatch");
        assert_eq!(left_out[0].reason, SkipReason::NoFourK);
        assert!(left_out[0]
            .reason
            .to_string()
            .contains("another block size"));
        assert!(rows.iter().all(|r| r.name != "block-size-mismatch"));
        assert!(skipped(&setup()).is_empty());
    }

    #[test]
    fn a_case_that_does_not_encode_is_not_sent_and_says_why() {
        let mut s = setup();
        // 32 bytes: more than the 20 an E4h descriptor holds.
        s.other.designator = Designator::naa(vec![0x60; 32]);
        let t = Good(Default::default());
        let rows = run(&t, &s);
        let valid = rows.iter().find(|r| r.name == "valid-b2b").unwrap();
        let e = valid.observed.as_ref().unwrap_err();
        assert!(matches!(e, NoAnswer::NotEncoded(_)), "{e}");
        assert!(!valid.matches());
        assert!(record(&rows).contains("valid-b2b\tno-answer\tits command could not be encoded"));
        // Only what encoded was sent, after the TEST UNIT READY that clears
        // a pending UNIT ATTENTION: the RECEIVE COPY RESULTS cases and the
        // zero-length list.
        let sent = t.0.lock().unwrap();
        let encoded = rows.iter().filter(|r| r.observed.is_ok()).count();
        assert_eq!(sent[0], [0u8; 6], "TEST UNIT READY first");
        assert_eq!(sent.len(), 1 + encoded);
        assert!(sent.iter().all(|c| !c.is_empty()));
        assert!(encoded >= 5 && encoded < rows.len(), "{encoded}");
    }

    #[test]
    fn record_round_trips() {
        let rows = vec![
            Row {
                name: "a",
                rule: "",
                expect: Outcome::Good,
                observed: Ok(Observed {
                    outcome: Outcome::Good,
                    sense: vec![],
                }),
            },
            Row {
                name: "b",
                rule: "",
                expect: Outcome::Good,
                observed: Ok(Observed {
                    outcome: Outcome::Check(SenseKey::CopyAborted, 0x0d, 2),
                    sense: vec![0x70, 0, 0x0a],
                }),
            },
        ];
        let t = record(&rows);
        let back = parse_record(&t);
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].outcome, "0a/0d/02");
        assert_eq!(back[1].sense, "70 00 0a");
        assert_eq!(back[0].sense, "");
    }
}
