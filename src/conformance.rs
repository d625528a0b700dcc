//! The EXTENDED COPY behaviour table: hand-made parameter lists and RECEIVE
//! COPY RESULTS commands, one per conformance point of `../shared/spc.md`
//! (the libiscsi ExtendedCopy/ReceiveCopyResults suites) and one per check,
//! field read and field ignored of LIO's copy manager, each with the answer
//! LIO gives by its source.
//!
//! The same table runs against LIO in the lab (`segcopy conform`), where
//! the answers are recorded into `fixtures/lio/behaviour.tsv`, and against
//! the simulated copy manager with the LIO profile, which must give the
//! recorded answers: the simulator is held to what a real copy manager did,
//! not to our reading of the standard.
//!
//! Cases are sent to the copy manager (`cm`); the valid ones copy from
//! `cm` to `other`, so `other` is written (its first 72 blocks); two
//! rewrite `cm`'s first 8 blocks with the bytes they already hold (a copy
//! from `cm` onto itself, and one from `other` back onto `cm` after the
//! first case made them equal). Three more units are optional, each for
//! the cases that need it; without one those cases are not run, and
//! [`skipped`] says so and why: `four_k`, a LUN with another block size
//! (the mismatch case); `no_3pc`, a LUN of the same session without a copy
//! manager (LIO's `emulate_3pc` = 0), which some cases name and some are
//! sent to; `large`, a LUN of more than 2^32 blocks, to which LIO answers
//! in descriptor-format sense.
//!
//! Each case's rule cites the line of LIO it tests: `target_core_xcopy.c`
//! and `target_core_transport.c` of Linux 6.1.192, the source of the lab's
//! kernel (`docs/lio-profile.md` walks them in order).
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
    /// A unit of the same session without a copy manager (LIO:
    /// `emulate_3pc` = 0), if there is one.
    pub no_3pc: Option<Lun>,
    /// A unit of more than 2^32 logical blocks with a copy manager, if
    /// there is one.
    pub large: Option<Lun>,
}

/// Where the cases' commands go: the transports of the units of a
/// [`Setup`].
pub struct Targets<'a> {
    /// The copy manager's.
    pub cm: &'a dyn Transport,
    /// [`Setup::no_3pc`]'s, if there is one.
    pub no_3pc: Option<&'a dyn Transport>,
    /// [`Setup::large`]'s, if there is one.
    pub large: Option<&'a dyn Transport>,
}

/// The units a case uses: where it is sent, and which optional unit of
/// the [`Setup`] it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Sent to `cm`; names only `cm` and `other` (or no unit).
    Cm,
    /// Sent to `cm`; names [`Setup::four_k`].
    CmWithFourK,
    /// Sent to `cm`; names [`Setup::no_3pc`].
    CmWithNo3pc,
    /// Sent to [`Setup::no_3pc`].
    No3pc,
    /// Sent to [`Setup::large`].
    Large,
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
    /// What LIO answers, read from its source.
    pub expect: Outcome,
    /// Where it is sent and which optional unit it needs.
    pub unit: Unit,
    /// Builds the command; an error when a value does not encode.
    pub build: fn(&Setup) -> Result<Request, WireError>,
}

/// Why a case is not run on a setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum SkipReason {
    /// It needs [`Setup::four_k`], and the setup has none.
    #[error("it needs a logical unit with another block size than the copy manager's, and none was given")]
    NoFourK,
    /// It needs [`Setup::no_3pc`], and the setup has none.
    #[error("it needs a logical unit of the same session without a copy manager (LIO: emulate_3pc = 0), and none was given")]
    NoNo3pc,
    /// It needs [`Setup::large`], and the setup has none.
    #[error(
        "it needs a logical unit of more than 2^32 blocks with a copy manager, and none was given"
    )]
    NoLarge,
}

impl Case {
    /// Why this case cannot run on `setup`, or `None` when it can.
    pub fn skip_reason(&self, setup: &Setup) -> Option<SkipReason> {
        match self.unit {
            Unit::Cm => None,
            Unit::CmWithFourK => setup.four_k.is_none().then_some(SkipReason::NoFourK),
            Unit::CmWithNo3pc | Unit::No3pc => {
                setup.no_3pc.is_none().then_some(SkipReason::NoNo3pc)
            }
            Unit::Large => setup.large.is_none().then_some(SkipReason::NoLarge),
        }
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
    /// The setup names the unit the case is sent to, but no transport for
    /// it was given (a bug in the caller).
    #[error("no transport was given for the unit it is sent to ({0:?})")]
    NoTransport(Unit),
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

/// A 02h segment between CSCDs `src` and `dst`.
fn b2b_at(src: u16, dst: u16, blocks: u16, src_lba: u64, dst_lba: u64) -> SegmentDescriptor {
    SegmentDescriptor::block_to_block(src, dst, blocks, src_lba, dst_lba)
}

/// A Fibre Channel N_Port_Name (E0h) CSCD descriptor.
fn e0() -> Vec<u8> {
    let mut e0 = vec![0u8; 32];
    e0[0] = 0xe0;
    e0[8..16].copy_from_slice(&[0x20, 0, 0, 0x25, 0xb5, 0, 0, 1]);
    e0[30] = 0x02;
    e0
}

/// `l` with a designator that names no LU (its last byte changed).
fn unknown(l: &Lun) -> Lun {
    let mut u = l.clone();
    if let Some(b) = u.designator.value.last_mut() {
        *b ^= 0x5a;
    }
    u
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
            unit: Unit::Cm,
            build: |s| xcopy(enc(&good_list(s))?),
        },
        Case {
            name: "valid-b2b-list-id-hold",
            rule: "LIST ID USAGE 00b with list id 1 is accepted",
            expect: Outcome::Good,
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
            build: |_| xcopy(vec![]),
        },
        Case {
            name: "list-shorter-than-header",
            rule: "a parameter list shorter than its 16-byte header: PARAMETER LIST LENGTH ERROR",
            expect: Outcome::Check(K, 0x1a, 0x00),
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[4] = (c[4] & 0xf0) | CodeSet::Ascii.bits()),
        },
        Case {
            name: "e4-association-port",
            rule: "E4h with ASSOCIATION 01b (target port): LIO wants the LU — INVALID FIELD IN PARAMETER LIST",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[5] = (c[5] & 0xcf) | (Association::TargetPort.bits() << 4)),
        },
        Case {
            name: "e4-designator-eui64",
            rule: "E4h with DESIGNATOR TYPE 2h (EUI-64): LIO wants NAA — INVALID FIELD IN PARAMETER LIST",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[5] = (c[5] & 0xf0) | DesignatorType::Eui64.bits()),
        },
        Case {
            name: "e4-designator-length-8",
            rule: "E4h with DESIGNATOR LENGTH 8: LIO wants 16 — INVALID FIELD IN PARAMETER LIST",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
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
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[8] = (c[8] & 0x0f) | 0x50),
        },
        Case {
            name: "e4-unknown-naa",
            rule: "E4h naming no LU of this session: COPY ABORTED 0D/02 (LIO: so that the initiator falls back)",
            expect: Outcome::Check(CA, 0x0d, 0x02),
            unit: Unit::Cm,
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
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[1] |= 0x20),
        },
        Case {
            name: "e4-lu-id-type-10b",
            rule: "E4h with LU ID TYPE 10b (reserved): ignored by SPC-4 copy managers (libiscsi ValidTgtDescr)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[1] = (c[1] & 0x3f) | 0x80),
        },
        Case {
            name: "neither-cscd-is-cm",
            rule: "both CSCDs name the other LU (not the one receiving the command): LIO copies only to or from the receiving LU",
            expect: Outcome::Check(CA, 0x0d, 0x02),
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::Cm,
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
            unit: Unit::CmWithFourK,
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
            unit: Unit::Cm,
            build: |_| rcr(ServiceAction::OperatingParameters, 0, 1024),
        },
        Case {
            name: "rcr-operating-parameters-alloc-42",
            rule: "OPERATING PARAMETERS with an allocation length under 54: LIO answers INVALID FIELD IN CDB",
            expect: Outcome::Check(K, 0x24, 0x00),
            unit: Unit::Cm,
            build: |_| rcr(ServiceAction::OperatingParameters, 0, 42),
        },
        Case {
            name: "rcr-copy-status",
            rule: "COPY STATUS on a device that does not list it in VPD 8Fh: INVALID FIELD IN CDB (libiscsi CopyStatus)",
            expect: Outcome::Check(K, 0x24, 0x00),
            unit: Unit::Cm,
            build: |_| rcr(ServiceAction::CopyStatus, 1, 12),
        },
        Case {
            name: "rcr-failed-segment-details",
            rule: "FAILED SEGMENT DETAILS on LIO (OPERATING PARAMETERS only): INVALID FIELD IN CDB",
            expect: Outcome::Check(K, 0x24, 0x00),
            unit: Unit::Cm,
            build: |_| rcr(ServiceAction::FailedSegmentDetails, 1, 312),
        },
        Case {
            name: "xcopy-lid4",
            rule: "EXTENDED COPY with service action 01h (LID4): LIO does only LID1 and answers INVALID COMMAND OPERATION CODE (SPC-4 4.2.5.1 asks for INVALID FIELD IN CDB; observed in the lab)",
            expect: Outcome::Check(K, 0x20, 0x00),
            unit: Unit::Cm,
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
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l.resize(200, 0);
                xcopy_len(200, l)
            },
        },
        // ---- target_do_xcopy (target_core_xcopy.c 873–914) and the
        // transfer-length check before it (target_core_transport.c 1386–1440)
        Case {
            name: "xcopy-cdb-byte1-reserved-bits",
            rule: "CDB byte 1 bits 7-5 (reserved) set: LIO takes only bits 4-0 as the service action (target_do_xcopy 884)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut r = xcopy(enc(&good_list(s))?)?;
                r.cdb[1] |= 0xe0;
                Ok(r)
            },
        },
        Case {
            name: "xcopy-cdb-reserved-bytes",
            rule: "CDB bytes 2-9 and 14 (reserved) not zero: LIO never reads them (target_do_xcopy 873–914; spc_parse_cdb 1400 reads only bytes 10-13)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut r = xcopy(enc(&good_list(s))?)?;
                r.cdb[2..10].fill(0xa5);
                r.cdb[14] = 0xa5;
                Ok(r)
            },
        },
        Case {
            name: "xcopy-cdb-control-naca",
            rule: "CONTROL byte with NACA set: LIO never reads it (no NACA handling in target_core_transport.c)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut r = xcopy(enc(&good_list(s))?)?;
                r.cdb[15] = 0x04;
                Ok(r)
            },
        },
        Case {
            name: "xcopy-lid4-zero-length",
            rule: "service action 01h with PARAMETER LIST LENGTH 0: the service action is checked before the zero length (target_do_xcopy 884–888 before 890) — INVALID COMMAND OPERATION CODE, not GOOD",
            expect: Outcome::Check(K, 0x20, 0x00),
            unit: Unit::Cm,
            build: |_| {
                let mut r = xcopy(vec![])?;
                r.cdb[1] = 0x01;
                Ok(r)
            },
        },
        Case {
            name: "xcopy-no-3pc",
            rule: "EXTENDED COPY sent to a LU with emulate_3pc = 0: INVALID COMMAND OPERATION CODE (target_do_xcopy 879–882)",
            expect: Outcome::Check(K, 0x20, 0x00),
            unit: Unit::No3pc,
            build: |s| {
                let mut l = good_list(s);
                if let Some(n) = &s.no_3pc {
                    l.cscds[0] = e4(n);
                }
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "list-length-15",
            rule: "a 15-byte parameter list, one byte short of the header: PARAMETER LIST LENGTH ERROR (target_do_xcopy 894)",
            expect: Outcome::Check(K, 0x1a, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l.truncate(15);
                xcopy(l)
            },
        },
        Case {
            name: "plist-length-0-with-8-bytes",
            rule: "PARAMETER LIST LENGTH 0 with 8 bytes sent: a control CDB asking for less than is sent keeps the transfer's length (target_cmd_size_check 1407–1416), so it is not the GOOD of a zero length but a list shorter than its header — PARAMETER LIST LENGTH ERROR (target_do_xcopy 890–898)",
            expect: Outcome::Check(K, 0x1a, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l.truncate(8);
                xcopy_len(0, l)
            },
        },
        Case {
            name: "plist-length-8-with-whole-list",
            rule: "PARAMETER LIST LENGTH 8 with the whole 108-byte list sent: LIO parses the transfer, not the CDB's length (target_cmd_size_check 1407–1416) — GOOD",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| xcopy_len(8, enc(&good_list(s))?),
        },
        Case {
            name: "plist-length-longer-than-transfer",
            rule: "PARAMETER LIST LENGTH 108 with only 100 bytes sent: a control CDB asking for more than is sent is refused before EXTENDED COPY runs — INVALID FIELD IN CDB (target_cmd_size_check 1430–1433)",
            expect: Outcome::Check(K, 0x24, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                let len = l.len() as u32;
                l.truncate(100);
                xcopy_len(len, l)
            },
        },
        // ---- target_parse_xcopy_cmd (786–871)
        Case {
            name: "header-only",
            rule: "a 16-byte list with both descriptor lists empty: no segment descriptor parsed — INVALID FIELD IN PARAMETER LIST (target_parse_xcopy_cmd 840–842)",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
            build: |_| xcopy(raw_list(0x18, &[], &[], &[])),
        },
        Case {
            name: "header-reserved-bytes",
            rule: "header bytes 4-7 (reserved) not zero: never read (target_parse_xcopy_cmd 801–816 reads bytes 0-3 and 8-15)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l[4..8].fill(0xa5);
                xcopy(l)
            },
        },
        Case {
            name: "header-byte1-reserved-bits",
            rule: "header byte 1 bits 7-6 (reserved) set: LIO reads only LIST ID USAGE, for a debug line (target_parse_xcopy_cmd 802)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l[1] |= 0xc0;
                xcopy(l)
            },
        },
        Case {
            name: "str-set",
            rule: "STR set: never read (target_parse_xcopy_cmd 801–802)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut l = good_list(s);
                l.str_bit = true;
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "priority-7",
            rule: "PRIORITY 7: never read (target_parse_xcopy_cmd 801–802)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut l = good_list(s);
                l.priority = 7;
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "list-id-usage-11b-with-list-id",
            rule: "LIST ID USAGE 11b (no list identifier) with LIST IDENTIFIER 5: SPC-4 asks for INVALID FIELD IN PARAMETER LIST; LIO reads both for a debug line only (target_parse_xcopy_cmd 801–802, 830)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l[0] = 5;
                xcopy(l)
            },
        },
        Case {
            name: "segment-list-length-wraps",
            rule: "SEGMENT DESCRIPTOR LIST LENGTH FFFFFFFCh with a 64-byte CSCD list: LIO's 32-bit sums wrap (64 + FFFFFFFCh = 60 passes the 1,024 limit at 809, 16 + 64 + FFFFFFFCh = 76 passes the truncation check at 822), and the segment list, a multiple of 28, is then too long — TOO MANY SEGMENT DESCRIPTORS (350), not PARAMETER LIST LENGTH ERROR",
            expect: Outcome::Check(K, 0x26, 0x08),
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l[8..12].copy_from_slice(&0xffff_fffcu32.to_be_bytes());
                xcopy(l)
            },
        },
        Case {
            name: "over-max-length-with-inline-data",
            rule: "lists over 1,024 bytes and INLINE DATA LENGTH 16: the list length is checked first (target_parse_xcopy_cmd 809 before 817) — PARAMETER LIST LENGTH ERROR",
            expect: Outcome::Check(K, 0x1a, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                cs.extend(e4_raw(&s.other)?);
                let segs = (0..36)
                    .map(|i| enc_seg(&b2b(1, i, i)))
                    .collect::<Result<Vec<_>, _>>()?
                    .concat();
                xcopy(raw_list(0x18, &cs, &segs, &[0xaa; 16]))
            },
        },
        Case {
            name: "inline-data-not-sent",
            rule: "INLINE DATA LENGTH 16 with no inline bytes sent: inline data is refused before the truncation check (target_parse_xcopy_cmd 817 before 822) — INVALID FIELD IN PARAMETER LIST, not PARAMETER LIST LENGTH ERROR",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l[12..16].copy_from_slice(&16u32.to_be_bytes());
                xcopy(l)
            },
        },
        Case {
            name: "no-segment-descriptors",
            rule: "two CSCDs and an empty segment list: no segment descriptor parsed — INVALID FIELD IN PARAMETER LIST (target_parse_xcopy_cmd 840–842), before the CSCDs are read",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                cs.extend(e4_raw(&s.other)?);
                xcopy(raw_list(0x18, &cs, &[], &[]))
            },
        },
        Case {
            name: "no-cscd-descriptors",
            rule: "one 02h segment and an empty CSCD list: no CSCD is the receiving LU — COPY ABORTED 0D/02 (target_xcopy_parse_target_descriptors 270–285)",
            expect: Outcome::Check(CA, 0x0d, 0x02),
            unit: Unit::Cm,
            build: |_| xcopy(raw_list(0x18, &[], &enc_seg(&b2b(8, 0, 0))?, &[])),
        },
        Case {
            name: "bad-segment-and-bad-cscd",
            rule: "a 03h segment and an E0h CSCD: the segment list is parsed first (target_parse_xcopy_cmd 840 before 847) — UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE",
            expect: Outcome::Check(K, 0x26, 0x09),
            unit: Unit::Cm,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                cs.extend(e0());
                let mut seg = enc_seg(&b2b(8, 0, 0))?;
                seg[0] = 0x03;
                xcopy(raw_list(0x18, &cs, &seg, &[]))
            },
        },
        Case {
            name: "bad-segment-length-and-too-many-cscds",
            rule: "a 02h segment with DESCRIPTOR LENGTH 001Ch and three CSCDs: the segment list is parsed first — INVALID FIELD IN PARAMETER LIST (target_xcopy_parse_segdesc_02 305), not TOO MANY TARGET DESCRIPTORS",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                cs.extend(e4_raw(&s.other)?);
                cs.extend(e4_raw(&s.other)?);
                let mut seg = enc_seg(&b2b(8, 0, 0))?;
                seg[2..4].copy_from_slice(&0x1cu16.to_be_bytes());
                xcopy(raw_list(0x18, &cs, &seg, &[]))
            },
        },
        // ---- target_xcopy_parse_segment_descriptors (334–384) and
        // target_xcopy_parse_segdesc_02 (298–332)
        Case {
            name: "too-many-segments-first-not-02",
            rule: "two 28-byte segment descriptors, the first of type 03h: the count is checked before any type (target_xcopy_parse_segment_descriptors 350 before 362) — TOO MANY SEGMENT DESCRIPTORS",
            expect: Outcome::Check(K, 0x26, 0x08),
            unit: Unit::Cm,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                cs.extend(e4_raw(&s.other)?);
                let mut segs = enc_seg(&b2b(8, 0, 0))?;
                segs[0] = 0x03;
                segs.extend(enc_seg(&b2b(8, 8, 8))?);
                xcopy(raw_list(0x18, &cs, &segs, &[]))
            },
        },
        Case {
            name: "segment-descriptor-length-1c",
            rule: "a 02h segment descriptor whose DESCRIPTOR LENGTH says 001Ch: LIO wants 0018h — INVALID FIELD IN PARAMETER LIST (target_xcopy_parse_segdesc_02 304–309)",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                let at = 16 + 64 + 2;
                l[at..at + 2].copy_from_slice(&0x1cu16.to_be_bytes());
                xcopy(l)
            },
        },
        Case {
            name: "segment-source-index-over-07ff",
            rule: "a segment whose SOURCE CSCD DESCRIPTOR ID is 0800h: INVALID FIELD IN PARAMETER LIST (target_xcopy_parse_segdesc_02 314–319)",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut l = good_list(s);
                l.segments = vec![SegmentDescriptor::block_to_block(0x0800, 1, 8, 0, 0)];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "cscd-index-ffff",
            rule: "a segment naming CSCD FFFFh (SPC-4: the copy manager itself): LIO takes only 0000h–07FFh — INVALID FIELD IN PARAMETER LIST (target_xcopy_parse_segdesc_02 314–319)",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut l = good_list(s);
                l.segments = vec![SegmentDescriptor::block_to_block(0, 0xffff, 8, 0, 0)];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "segment-dc-set",
            rule: "a 02h segment with DC set: LIO reads DC for a debug line only and counts NUMBER OF BLOCKS in source blocks (target_xcopy_parse_segdesc_02 301, 321)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l[16 + 64 + 1] |= 0x02;
                xcopy(l)
            },
        },
        Case {
            name: "segment-cat-set",
            rule: "a 02h segment with CAT set: never read (target_xcopy_parse_segdesc_02 298–332)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                l[16 + 64 + 1] |= 0x01;
                xcopy(l)
            },
        },
        Case {
            name: "segment-reserved-bytes",
            rule: "a 02h segment with bytes 8-9 (reserved) not zero: never read (target_xcopy_parse_segdesc_02 324 reads from byte 10)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut l = enc(&good_list(s))?;
                let at = 16 + 64 + 8;
                l[at..at + 2].fill(0xa5);
                xcopy(l)
            },
        },
        // ---- target_xcopy_parse_target_descriptors (201–296) and
        // target_xcopy_parse_tiddesc_e4 (115–199)
        Case {
            name: "too-many-cscds-first-e0",
            rule: "three CSCDs, the first of type E0h: the count is checked before any type (target_xcopy_parse_target_descriptors 219 before 239) — TOO MANY TARGET DESCRIPTORS",
            expect: Outcome::Check(K, 0x26, 0x06),
            unit: Unit::Cm,
            build: |s| {
                let mut cs = e0();
                cs.extend(e4_raw(&s.cm)?);
                cs.extend(e4_raw(&s.other)?);
                xcopy(raw_list(0x18, &cs, &enc_seg(&b2b_at(1, 2, 8, 0, 0))?, &[]))
            },
        },
        Case {
            name: "cscd-bad-e4-before-e0",
            rule: "CSCD 0 an E4h with code set ASCII, CSCD 1 an E0h: descriptors are checked in order and the first failure answers (target_xcopy_parse_target_descriptors 239–254) — INVALID FIELD IN PARAMETER LIST, not UNSUPPORTED TARGET DESCRIPTOR TYPE CODE",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                cs[4] = (cs[4] & 0xf0) | CodeSet::Ascii.bits();
                cs.extend(e0());
                xcopy(raw_list(0x18, &cs, &enc_seg(&b2b(8, 0, 0))?, &[]))
            },
        },
        Case {
            name: "unreferenced-cscd-unknown-naa",
            rule: "a copy from cm onto itself (segment 0→0, same blocks) with CSCD 1 an E4h naming no LU: a CSCD no segment names is checked but not looked up (target_xcopy_parse_tiddesc_e4 161–165) — GOOD",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                cs.extend(e4_raw(&unknown(&s.other))?);
                xcopy(raw_list(0x18, &cs, &enc_seg(&b2b_at(0, 0, 8, 0, 0))?, &[]))
            },
        },
        Case {
            name: "unreferenced-cscd-ascii",
            rule: "segment 0→0 with CSCD 1, which no segment names, an E4h with code set ASCII: every E4h is checked before its index is compared (target_xcopy_parse_tiddesc_e4 129–132 before 161) — INVALID FIELD IN PARAMETER LIST",
            expect: Outcome::Check(K, 0x26, 0x00),
            unit: Unit::Cm,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                let mut c1 = e4_raw(&s.other)?;
                c1[4] = (c1[4] & 0xf0) | CodeSet::Ascii.bits();
                cs.extend(c1);
                xcopy(raw_list(0x18, &cs, &enc_seg(&b2b_at(0, 0, 8, 0, 0))?, &[]))
            },
        },
        Case {
            name: "unreferenced-cscd-type-e0",
            rule: "segment 0→0 with CSCD 1, which no segment names, an E0h: every descriptor's type is checked — UNSUPPORTED TARGET DESCRIPTOR TYPE CODE (target_xcopy_parse_target_descriptors 249–253)",
            expect: Outcome::Check(K, 0x26, 0x07),
            unit: Unit::Cm,
            build: |s| {
                let mut cs = e4_raw(&s.cm)?;
                cs.extend(e0());
                xcopy(raw_list(0x18, &cs, &enc_seg(&b2b_at(0, 0, 8, 0, 0))?, &[]))
            },
        },
        Case {
            name: "cm-is-destination",
            rule: "CSCD 0 = other, CSCD 1 = cm, a copy from other onto cm (blocks 0-7, which valid-b2b made equal): the receiving LU as the destination (XCOL_DEST_RECV_OP, target_xcopy_parse_tiddesc_e4 181–195) and the source looked up in the session (264–268) — GOOD",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut l = good_list(s);
                l.cscds = vec![e4(&s.other), e4(&s.cm)];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "e4-relative-initiator-port",
            rule: "E4h with RELATIVE INITIATOR PORT IDENTIFIER 1: read for a debug line only (target_xcopy_parse_tiddesc_e4 124–125)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[2..4].copy_from_slice(&1u16.to_be_bytes())),
        },
        Case {
            name: "e4-peripheral-type-tape",
            rule: "E4h with PERIPHERAL DEVICE TYPE 01h (tape) naming the disk: byte 1 is never read (target_xcopy_parse_tiddesc_e4 115–199)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[1] = (c[1] & 0xe0) | 0x01),
        },
        Case {
            name: "e4-byte4-high-nibble",
            rule: "E4h byte 4 bits 7-4 (reserved) set: LIO masks the code set with 0Fh (target_xcopy_parse_tiddesc_e4 129)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[4] |= 0xf0),
        },
        Case {
            name: "e4-byte5-high-bits",
            rule: "E4h byte 5 bits 7-6 (PIV, reserved) set: LIO masks association with 30h and designator type with 0Fh (target_xcopy_parse_tiddesc_e4 133, 137)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[5] |= 0xc0),
        },
        Case {
            name: "e4-byte6-reserved",
            rule: "E4h byte 6 (reserved) not zero: never read (target_xcopy_parse_tiddesc_e4 115–199)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[6] = 0xa5),
        },
        Case {
            name: "e4-designator-bytes-24-27",
            rule: "E4h bytes 24-27, the designator field after the 16-byte NAA, not zero: LIO compares 16 bytes (target_xcopy_parse_tiddesc_e4 168, 182)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[24..28].fill(0xa5)),
        },
        Case {
            name: "e4-disk-block-length-4096",
            rule: "E4h naming the 512-byte cm with DISK BLOCK LENGTH 4096: the device-type-specific bytes 28-31 are never read (target_xcopy_parse_tiddesc_e4 115–199; the block sizes compared at 851 are the LUs' own)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[29..32].copy_from_slice(&[0x00, 0x10, 0x00])),
        },
        Case {
            name: "e4-pad-set",
            rule: "E4h with PAD set: never read (target_xcopy_parse_tiddesc_e4 115–199)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| with_e4(s, |c| c[28] |= 0x04),
        },
        Case {
            name: "other-no-3pc",
            rule: "a copy onto a LU of the session with emulate_3pc = 0: the session's LUs are searched only among those with emulate_3pc — COPY ABORTED 0D/02 (target_xcopy_locate_se_dev_e4_iter 49–52, parse_target_descriptors 282–285)",
            expect: Outcome::Check(CA, 0x0d, 0x02),
            unit: Unit::CmWithNo3pc,
            build: |s| {
                let mut l = good_list(s);
                if let Some(n) = &s.no_3pc {
                    l.cscds[1] = e4(n);
                }
                xcopy(enc(&l)?)
            },
        },
        // ---- target_xcopy_do_work (656–780)
        Case {
            name: "zero-block-segment-past-end",
            rule: "a 0-block segment at LBAs past the end of both LUs: the copy loop never runs, nothing is read or written (target_xcopy_do_work 706) — GOOD",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |s| {
                let mut l = good_list(s);
                l.segments = vec![b2b(0, s.cm.capacity_blocks + 100, s.other.capacity_blocks + 100)];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "source-range-past-end",
            rule: "a source range past the end of cm: the READ fails (sbc_parse_cdb 1051–1057) — COPY ABORTED 0D/02 (target_xcopy_do_work 728–730, 771)",
            expect: Outcome::Check(CA, 0x0d, 0x02),
            unit: Unit::Cm,
            build: |s| {
                let mut l = good_list(s);
                l.segments = vec![b2b(8, s.cm.capacity_blocks - 4, 0)];
                xcopy(enc(&l)?)
            },
        },
        Case {
            name: "source-lba-wraps",
            rule: "SOURCE LOGICAL BLOCK ADDRESS FFFFFFFFFFFFFFFCh for 8 blocks: the READ's LBA + blocks wraps (sbc_parse_cdb 1052) — COPY ABORTED 0D/02 (target_xcopy_do_work 728–730, 771)",
            expect: Outcome::Check(CA, 0x0d, 0x02),
            unit: Unit::Cm,
            build: |s| {
                let mut l = good_list(s);
                l.segments = vec![b2b(8, u64::MAX - 3, 0)];
                xcopy(enc(&l)?)
            },
        },
        // ---- translate_sense_reason (target_core_transport.c 3502–3537)
        Case {
            name: "large-lu-plist-error",
            rule: "an 8-byte list sent to a LU of more than 2^32 blocks: PARAMETER LIST LENGTH ERROR in descriptor format (target_sense_desc_format, target_core_hba.c 175–178; translate_sense_reason 3508, 3532)",
            expect: Outcome::Check(K, 0x1a, 0x00),
            unit: Unit::Large,
            build: |_| xcopy(raw_list(0x18, &[], &[], &[])[..8].to_vec()),
        },
        Case {
            name: "large-lu-copy-aborted",
            rule: "a copy from a LU of more than 2^32 blocks to an E4h naming no LU: COPY ABORTED 0D/02 in descriptor format (target_sense_desc_format; translate_sense_reason 3508, 3532)",
            expect: Outcome::Check(CA, 0x0d, 0x02),
            unit: Unit::Large,
            build: |s| {
                let mut l = good_list(s);
                if let Some(g) = &s.large {
                    l.cscds = vec![e4(g), e4(&unknown(&s.other))];
                }
                xcopy(enc(&l)?)
            },
        },
        // ---- target_do_receive_copy_results (1006–1034) and
        // target_rcr_operating_parameters (916–1004)
        Case {
            name: "rcr-operating-parameters-list-id-1",
            rule: "OPERATING PARAMETERS with LIST IDENTIFIER 1: LIO refuses any list identifier but 0, before the service action (target_do_receive_copy_results 1015–1019) — INVALID FIELD IN CDB",
            expect: Outcome::Check(K, 0x24, 0x00),
            unit: Unit::Cm,
            build: |_| rcr(ServiceAction::OperatingParameters, 1, 1024),
        },
        Case {
            name: "rcr-receive-data",
            rule: "RECEIVE DATA (01h): INVALID FIELD IN CDB (target_do_receive_copy_results 1026–1030)",
            expect: Outcome::Check(K, 0x24, 0x00),
            unit: Unit::Cm,
            build: |_| rcr(ServiceAction::ReceiveData, 0, 1024),
        },
        Case {
            name: "rcr-sa-07",
            rule: "service action 07h (RECEIVE ROD TOKEN INFORMATION, LID4): INVALID FIELD IN CDB (target_do_receive_copy_results 1028–1030)",
            expect: Outcome::Check(K, 0x24, 0x00),
            unit: Unit::Cm,
            build: |_| rcr(ServiceAction::Other(0x07), 0, 1024),
        },
        Case {
            name: "rcr-cdb-reserved-bytes",
            rule: "OPERATING PARAMETERS with CDB bytes 3-9 and 14 (reserved) not zero: never read (target_do_receive_copy_results 1009; spc_parse_cdb 1405)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |_| {
                let mut r = rcr(ServiceAction::OperatingParameters, 0, 1024)?;
                r.cdb[3..10].fill(0xa5);
                r.cdb[14] = 0xa5;
                Ok(r)
            },
        },
        Case {
            name: "rcr-cdb-byte1-reserved-bits",
            rule: "OPERATING PARAMETERS with CDB byte 1 bits 7-5 (reserved) set: LIO takes only bits 4-0 (target_do_receive_copy_results 1009)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |_| {
                let mut r = rcr(ServiceAction::OperatingParameters, 0, 1024)?;
                r.cdb[1] |= 0xe0;
                Ok(r)
            },
        },
        Case {
            name: "rcr-operating-parameters-alloc-53",
            rule: "OPERATING PARAMETERS with ALLOCATION LENGTH 53: INVALID FIELD IN CDB (target_rcr_operating_parameters 927–932)",
            expect: Outcome::Check(K, 0x24, 0x00),
            unit: Unit::Cm,
            build: |_| rcr(ServiceAction::OperatingParameters, 0, 53),
        },
        Case {
            name: "rcr-operating-parameters-alloc-54",
            rule: "OPERATING PARAMETERS with ALLOCATION LENGTH 54, the least LIO fills: GOOD (target_rcr_operating_parameters 927)",
            expect: Outcome::Good,
            unit: Unit::Cm,
            build: |_| rcr(ServiceAction::OperatingParameters, 0, 54),
        },
        Case {
            name: "rcr-operating-parameters-alloc-60-buffer-42",
            rule: "OPERATING PARAMETERS with ALLOCATION LENGTH 60 but a 42-byte buffer: a read keeps the initiator's smaller length (target_cmd_size_check 1403–1405), which is under 54 — INVALID FIELD IN CDB (target_rcr_operating_parameters 927). (With ALLOCATION LENGTH 1024 LIO reports a residual of 982 for the 42-byte buffer, which segcopy's SG_IO refuses as impossible: no answer to record.)",
            expect: Outcome::Check(K, 0x24, 0x00),
            unit: Unit::Cm,
            build: |_| {
                let mut r = rcr(ServiceAction::OperatingParameters, 0, 60)?;
                r.data_in = 42;
                Ok(r)
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
pub fn run(t: &Targets<'_>, setup: &Setup) -> Vec<Row> {
    let _ = Scsi::new(t.cm).test_unit_ready();
    cases()
        .into_iter()
        .filter(|c| c.skip_reason(setup).is_none())
        .map(|c| {
            let to = match c.unit {
                Unit::Cm | Unit::CmWithFourK | Unit::CmWithNo3pc => Some(t.cm),
                Unit::No3pc => t.no_3pc,
                Unit::Large => t.large,
            };
            Row {
                name: c.name,
                rule: c.rule,
                expect: c.expect,
                observed: match ((c.build)(setup), to) {
                    (Err(e), _) => Err(NoAnswer::NotEncoded(e)),
                    (Ok(_), None) => Err(NoAnswer::NoTransport(c.unit)),
                    (Ok(req), Some(to)) => {
                        send(to, &req).map_err(|e| NoAnswer::Transport(e.to_string()))
                    }
                },
            }
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
            no_3pc: Some(lun(3, 512, 262_144)),
            large: Some(lun(5, 512, (1 << 32) + 2048)),
        }
    }

    /// Every unit's commands go to `t`.
    fn all(t: &dyn Transport) -> Targets<'_> {
        Targets {
            cm: t,
            no_3pc: Some(t),
            large: Some(t),
        }
    }

    /// Cases whose CDB asks for another length than the bytes they send
    /// (LIO's `target_cmd_size_check`).
    const TRANSFER_DIFFERS: [&str; 3] = [
        "plist-length-0-with-8-bytes",
        "plist-length-8-with-whole-list",
        "plist-length-longer-than-transfer",
    ];

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
                assert_eq!(
                    len as usize != r.data_out.len(),
                    TRANSFER_DIFFERS.contains(&c.name),
                    "{}: PARAMETER LIST LENGTH {len}, {} bytes sent",
                    c.name,
                    r.data_out.len()
                );
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
                    | "list-length-15"
                    | "plist-length-0-with-8-bytes"
                    | "plist-length-longer-than-transfer"
                    | "large-lu-plist-error"
                    | "segment-list-length-wraps"
                    | "inline-data-not-sent"
                    | "bad-segment-and-bad-cscd"
                    | "bad-segment-length-and-too-many-cscds"
                    | "too-many-segments-first-not-02"
                    | "segment-descriptor-length-1c"
                    // reserved bytes SPC-4 wants zero and LIO never reads
                    | "header-reserved-bytes"
                    | "header-byte1-reserved-bits"
                    | "e4-designator-bytes-24-27"
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
        let rows = run(&all(&t), &s);
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
    fn without_the_optional_units_their_cases_are_skipped_with_their_reasons() {
        let mut s = setup();
        s.no_3pc = None;
        s.large = None;
        let t = Good(Default::default());
        let rows = run(&all(&t), &s);
        let left_out = skipped(&s);
        assert_eq!(rows.len() + left_out.len(), cases().len());
        let names = |r: SkipReason| -> Vec<&str> {
            left_out
                .iter()
                .filter(|k| k.reason == r)
                .map(|k| k.name)
                .collect()
        };
        assert_eq!(names(SkipReason::NoNo3pc), ["xcopy-no-3pc", "other-no-3pc"]);
        assert_eq!(
            names(SkipReason::NoLarge),
            ["large-lu-plist-error", "large-lu-copy-aborted"]
        );
        assert_eq!(left_out.len(), 4);
        assert!(SkipReason::NoNo3pc.to_string().contains("emulate_3pc = 0"));
        assert!(SkipReason::NoLarge.to_string().contains("2^32 blocks"));
        assert!(rows
            .iter()
            .all(|r| left_out.iter().all(|k| k.name != r.name)));
    }

    #[test]
    fn each_case_goes_to_its_unit() {
        let (cm, no_3pc, large) = (
            Good(Default::default()),
            Good(Default::default()),
            Good(Default::default()),
        );
        let rows = run(
            &Targets {
                cm: &cm,
                no_3pc: Some(&no_3pc),
                large: Some(&large),
            },
            &setup(),
        );
        assert_eq!(rows.len(), cases().len());
        let count = |u: Unit| cases().iter().filter(|c| c.unit == u).count();
        assert_eq!(no_3pc.0.lock().unwrap().len(), count(Unit::No3pc));
        assert_eq!(large.0.lock().unwrap().len(), count(Unit::Large));
        assert_eq!(
            cm.0.lock().unwrap().len(),
            1 + rows.len() - count(Unit::No3pc) - count(Unit::Large)
        );
        assert_eq!((count(Unit::No3pc), count(Unit::Large)), (1, 2));
        // A unit the setup names but whose transport is missing: the case
        // is not sent, and its row says why.
        let rows = run(
            &Targets {
                cm: &cm,
                no_3pc: None,
                large: Some(&large),
            },
            &setup(),
        );
        let r = rows.iter().find(|r| r.name == "xcopy-no-3pc").unwrap();
        assert_eq!(
            r.observed.as_ref().unwrap_err(),
            &NoAnswer::NoTransport(Unit::No3pc)
        );
        assert!(!r.matches());
    }

    #[test]
    fn a_case_that_does_not_encode_is_not_sent_and_says_why() {
        let mut s = setup();
        // 32 bytes: more than the 20 an E4h descriptor holds.
        s.other.designator = Designator::naa(vec![0x60; 32]);
        let t = Good(Default::default());
        let rows = run(&all(&t), &s);
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
