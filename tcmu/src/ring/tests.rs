//! The ring logic against the fake kernel of `fake.rs`.

use std::collections::{HashMap, VecDeque};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::Arc;

use proptest::prelude::*;

use super::fake::{Completed, FakeKernel, HeapMem, BLOCK, CMDR_OFF};
use super::*;
use crate::mmap::Mapping;

const OOOC: u16 = FLAG_CAP_OOOC;
const ALL: u16 = FLAG_CAP_OOOC | FLAG_CAP_READ_LEN | FLAG_CAP_TMR;

/// WRITE(10) of one block at LBA 0x1234.
const WRITE10: [u8; 10] = [0x2a, 0, 0, 0, 0x12, 0x34, 0, 0, 1, 0];
/// READ(10) of one block.
const READ10: [u8; 10] = [0x28, 0, 0, 0, 0, 0x10, 0, 0, 1, 0];

fn ring_over<M: Shared>(k: &FakeKernel<M>) -> RingCore<Arc<M>> {
    RingCore::new(k.mem.clone(), PathBuf::from("/dev/uio7")).unwrap()
}

fn commands(entries: Vec<Entry>) -> Vec<Command> {
    entries
        .into_iter()
        .filter_map(|e| match e {
            Entry::Command(c) => Some(c),
            Entry::Tmr(_) => None,
        })
        .collect()
}

fn corruption<T: std::fmt::Debug>(r: Result<T, Error>) -> Corruption {
    match r {
        Err(Error::CorruptRing { problem, .. }) => problem,
        other => panic!("expected a corrupt ring, got {other:?}"),
    }
}

fn ids(done: &[Completed]) -> Vec<u16> {
    done.iter().map(|c| c.id).collect()
}

/// A kernel with one WRITE(10) of one 700-byte iovec at slot 0.
fn one_write() -> (FakeKernel<HeapMem>, u16) {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let id = k.queue_cmd(&WRITE10, &[700], &[]).unwrap();
    (k, id)
}

#[test]
fn a_command_is_taken_and_completed_in_order() {
    let (mut k, id) = one_write();
    let ring = ring_over(&k);
    let cmds = commands(ring.take().unwrap());
    assert_eq!(cmds.len(), 1);
    let c = &cmds[0];
    let q = k.inflight[&id].clone();
    assert_eq!(c.id, id);
    assert_eq!(c.cdb, WRITE10);
    assert_eq!(c.iovs, q.iovs);
    assert!(c.bidi_iovs.is_empty());
    assert_eq!(c.data_len(), 700);
    assert_eq!(ring.data_out(c).unwrap(), q.data);
    assert!(ring.take().unwrap().is_empty(), "nothing new");
    ring.complete(c, &Response::good()).unwrap();
    assert_eq!(ring.cursors(), (k.head(), k.head()));
    let done = k.handle_completions();
    assert_eq!(ids(&done), [id]);
    assert_eq!(done[0].status, 0);
    assert_eq!(done[0].sense, [0u8; 96]);
    assert_eq!(done[0].read_len, None);
    assert!(k.inflight.is_empty());
}

#[test]
fn out_of_order_completion_reaches_the_kernel_with_both_ids() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let a = k.queue_cmd(&READ10, &[512], &[]).unwrap();
    let b = k.queue_cmd(&WRITE10, &[300], &[]).unwrap();
    let ring = ring_over(&k);
    let cmds = commands(ring.take().unwrap());
    assert_eq!(ids_of(&cmds), [a, b]);
    // B first: its response goes into A's slot, which A no longer needs
    // because A was copied out when it was taken.
    let sense = [0x70, 0, 0x05, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x24, 0];
    ring.complete(&cmds[1], &Response::check_condition(&sense))
        .unwrap();
    let done = k.handle_completions();
    assert_eq!(ids(&done), [b]);
    assert_eq!(done[0].status, 2);
    assert_eq!(&done[0].sense[..sense.len()], sense);
    // A still works from its copy: its data area is intact.
    assert_eq!(ring.data_in(&cmds[0], &[0xab; 512]).unwrap(), 512);
    ring.complete(&cmds[0], &Response::good()).unwrap();
    let done = k.handle_completions();
    assert_eq!(ids(&done), [a]);
    assert_eq!(done[0].status, 0);
    assert_eq!(done[0].data, [0xab; 512]);
    assert!(k.inflight.is_empty());
    assert_eq!(k.last_cleaned(), k.head());
}

fn ids_of(cmds: &[Command]) -> Vec<u16> {
    cmds.iter().map(|c| c.id).collect()
}

#[test]
fn out_of_order_completions_batched_before_one_kick() {
    let mut k = FakeKernel::heap(2048, 32, ALL);
    let queued: Vec<u16> = (0..5)
        .map(|_| k.queue_cmd(&WRITE10, &[100], &[]).unwrap())
        .collect();
    let ring = ring_over(&k);
    let cmds = commands(ring.take().unwrap());
    for i in [3, 0, 4, 2, 1] {
        ring.complete(&cmds[i], &Response::good()).unwrap();
    }
    let done = k.handle_completions();
    assert_eq!(ids(&done), [3, 0, 4, 2, 1].map(|i| queued[i]));
}

#[test]
fn pad_at_the_end_of_the_ring_is_skipped() {
    // 128-byte entries in a 480-byte ring: three fit, the fourth needs a
    // 96-byte PAD at 384 and goes to 0.
    let mut k = FakeKernel::heap(480, 16, ALL);
    let first: Vec<u16> = (0..3)
        .map(|_| k.queue_cmd(&WRITE10, &[10], &[]).unwrap())
        .collect();
    assert_eq!(k.head(), 384);
    let ring = ring_over(&k);
    let mut cmds = commands(ring.take().unwrap());
    assert!(k.queue_cmd(&WRITE10, &[10], &[]).is_none(), "ring full");
    for c in cmds.drain(..2) {
        ring.complete(&c, &Response::good()).unwrap();
    }
    assert_eq!(ids(&k.handle_completions()), first[..2]);
    let fourth = k.queue_cmd(&READ10, &[10], &[]).unwrap();
    assert_eq!(k.head(), 128, "PAD at 384, entry at 0");
    let entries = ring.take().unwrap();
    assert_eq!(entries.len(), 1, "the PAD is not an entry");
    cmds.extend(commands(entries));
    assert_eq!(cmds[1].cdb, READ10);
    // Completing both: the tail goes 256 → (PAD) → 0 → 128.
    ring.complete(&cmds[1], &Response::good()).unwrap();
    ring.complete(&cmds[0], &Response::good()).unwrap();
    assert_eq!(ring.cursors(), (128, 128));
    assert_eq!(ids(&k.handle_completions()), [fourth, first[2]]);
}

#[test]
fn tmr_entries_are_taken_and_skipped_by_completion() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    // A TMR at the tail before any command, then one between two.
    assert!(k.queue_tmr(TMR_LUN_RESET, &[]));
    let a = k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    assert!(k.queue_tmr(TMR_ABORT_TASK, &[a]));
    let b = k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    let ring = ring_over(&k);
    let entries = ring.take().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(
        entries[0],
        Entry::Tmr(Tmr {
            kind: TmrKind::LunReset,
            cmd_ids: vec![]
        })
    );
    assert_eq!(
        entries[2],
        Entry::Tmr(Tmr {
            kind: TmrKind::AbortTask,
            cmd_ids: vec![a]
        })
    );
    let cmds = commands(entries);
    ring.complete(&cmds[1], &Response::good()).unwrap();
    ring.complete(&cmds[0], &Response::good()).unwrap();
    assert_eq!(ring.cursors(), (k.head(), k.head()));
    assert_eq!(ids(&k.handle_completions()), [b, a]);
}

#[test]
fn tmr_kinds_decode() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let kinds = [0u8, 1, 2, 3, 4, 5, 6, 7, 128, 200];
    for &t in &kinds {
        assert!(k.queue_tmr(t, &[1, 2, 3]));
    }
    let ring = ring_over(&k);
    let got: Vec<TmrKind> = ring
        .take()
        .unwrap()
        .into_iter()
        .map(|e| match e {
            Entry::Tmr(t) => {
                assert_eq!(t.cmd_ids, [1, 2, 3]);
                t.kind
            }
            Entry::Command(_) => panic!("no commands queued"),
        })
        .collect();
    use TmrKind::*;
    assert_eq!(
        got,
        [
            Unknown(0),
            AbortTask,
            AbortTaskSet,
            ClearAca,
            ClearTaskSet,
            LunReset,
            TargetWarmReset,
            TargetColdReset,
            LunResetPro,
            Unknown(200)
        ]
    );
}

#[test]
fn read_len_is_sent_only_with_cap_read_len() {
    for (flags, expect) in [(ALL, Some(5)), (OOOC, None)] {
        let mut k = FakeKernel::heap(1024, 16, flags);
        let id = k.queue_cmd(&READ10, &[700], &[]).unwrap();
        let ring = ring_over(&k);
        let c = commands(ring.take().unwrap()).remove(0);
        assert_eq!(ring.data_in(&c, b"hello").unwrap(), 5);
        let rsp = Response {
            status: 0,
            sense: &[],
            read_len: Some(5),
        };
        ring.complete(&c, &rsp).unwrap();
        let done = k.handle_completions();
        assert_eq!(done[0].id, id);
        assert_eq!(done[0].read_len, expect, "flags {flags:#x}");
        match expect {
            Some(_) => assert_eq!(done[0].data, b"hello"),
            None => {
                assert_eq!(done[0].data.len(), 700);
                assert_eq!(&done[0].data[..5], b"hello");
            }
        }
    }
}

#[test]
fn sense_is_cut_to_96_bytes_and_zero_padded() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    // Four iovecs, so the response overlays non-zero request bytes.
    let a = k.queue_cmd(&WRITE10, &[1, 2, 3, 4], &[]).unwrap();
    let b = k.queue_cmd(&WRITE10, &[1, 2, 3, 4], &[]).unwrap();
    let ring = ring_over(&k);
    let cmds = commands(ring.take().unwrap());
    ring.complete(&cmds[0], &Response::check_condition(&[0xee; 120]))
        .unwrap();
    ring.complete(&cmds[1], &Response::check_condition(&[0x70, 0, 6]))
        .unwrap();
    let done = k.handle_completions();
    assert_eq!(ids(&done), [a, b]);
    assert_eq!(done[0].sense, [0xee; 96]);
    let mut want = [0u8; 96];
    want[..3].copy_from_slice(&[0x70, 0, 6]);
    assert_eq!(done[1].sense, want);
}

#[test]
fn data_in_scatters_at_most_the_iovecs() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let id = k.queue_cmd(&READ10, &[3, 5], &[]).unwrap();
    let ring = ring_over(&k);
    let c = commands(ring.take().unwrap()).remove(0);
    let reply: Vec<u8> = (1..=20).collect();
    assert_eq!(ring.data_in(&c, &reply).unwrap(), 8);
    assert_eq!(ring.data_out(&c).unwrap(), reply[..8]);
    assert_eq!(ring.data_in(&c, &[9, 9]).unwrap(), 2);
    ring.complete(&c, &Response::good()).unwrap();
    let done = k.handle_completions();
    assert_eq!(done[0].id, id);
    assert_eq!(done[0].data, [9, 9, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn bidi_iovecs_are_reported_apart() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let id = k.queue_cmd(&WRITE10, &[10, 20], &[30]).unwrap();
    let ring = ring_over(&k);
    let c = commands(ring.take().unwrap()).remove(0);
    assert_eq!(c.iovs, k.inflight[&id].iovs);
    assert_eq!(c.bidi_iovs, k.inflight[&id].bidi_iovs);
    assert_eq!(c.data_len(), 30);
}

#[test]
fn variable_length_cdb_is_copied_whole() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let mut cdb = vec![0x7f, 0, 0, 0, 0, 0, 0, 24];
    cdb.extend((0..24).map(|i| i as u8));
    k.queue_cmd(&cdb, &[], &[]).unwrap();
    let ring = ring_over(&k);
    let c = commands(ring.take().unwrap()).remove(0);
    assert_eq!(c.cdb, cdb);
    assert!(c.iovs.is_empty());
    assert_eq!(ring.data_out(&c).unwrap(), []);
}

#[test]
fn completing_twice_or_using_a_completed_command_is_refused() {
    let (mut k, id) = one_write();
    let ring = ring_over(&k);
    let c = commands(ring.take().unwrap()).remove(0);
    ring.complete(&c, &Response::good()).unwrap();
    for e in [
        ring.complete(&c, &Response::good()).unwrap_err(),
        ring.data_in(&c, b"x").unwrap_err(),
        ring.data_out(&c).unwrap_err(),
    ] {
        assert!(
            matches!(e, Error::NotOutstanding { id: i, .. } if i == id),
            "{e}"
        );
        assert!(e.to_string().starts_with("/dev/uio7: command"), "{e}");
    }
    assert_eq!(ids(&k.handle_completions()), [id]);
}

#[test]
fn changed_iovecs_are_refused() {
    let (k, _) = one_write();
    let ring = ring_over(&k);
    let c = commands(ring.take().unwrap()).remove(0);
    let area = (k.map_len - k.data_off) as u64;
    let bad = [
        Iov { offset: 0, len: 1 },
        Iov {
            offset: k.map_len as u64 - 1,
            len: 2,
        },
        Iov {
            offset: u64::MAX,
            len: 1,
        },
    ];
    for iov in bad {
        let mut m = c.clone();
        m.iovs[0] = iov;
        let e = ring.data_out(&m).unwrap_err();
        assert!(
            matches!(
                &e,
                Error::BadCommand {
                    problem: Corruption::IovOutside { index: 0, .. },
                    ..
                }
            ),
            "{e}"
        );
        assert!(matches!(
            ring.data_in(&m, b"x"),
            Err(Error::BadCommand { .. })
        ));
    }
    let mut m = c.clone();
    m.iovs = vec![
        Iov {
            offset: k.data_off as u64,
            len: area,
        };
        2
    ];
    assert!(matches!(
        ring.data_out(&m),
        Err(Error::BadCommand {
            problem: Corruption::DataTooLong { .. },
            ..
        })
    ));
}

#[test]
fn a_restarted_handler_finds_unanswered_entries() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let a = k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    let b = k.queue_cmd(&READ10, &[10], &[]).unwrap();
    let first = ring_over(&k);
    assert_eq!(commands(first.take().unwrap()).len(), 2);
    drop(first);
    let second = ring_over(&k);
    let cmds = commands(second.take().unwrap());
    assert_eq!(ids_of(&cmds), [a, b]);
    assert_eq!(cmds[1].cdb, READ10);
    for c in cmds.iter().rev() {
        second.complete(c, &Response::good()).unwrap();
    }
    assert_eq!(ids(&k.handle_completions()), [b, a]);
}

#[test]
fn a_restart_after_in_order_completion_answers_the_rest() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let a = k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    let b = k.queue_cmd(&READ10, &[10], &[]).unwrap();
    let first = ring_over(&k);
    let cmds = commands(first.take().unwrap());
    first.complete(&cmds[0], &Response::good()).unwrap();
    drop(first);
    let second = ring_over(&k);
    let cmds = commands(second.take().unwrap());
    assert_eq!(ids_of(&cmds), [b]);
    assert_eq!(cmds[0].cdb, READ10);
    second.complete(&cmds[0], &Response::good()).unwrap();
    assert_eq!(ids(&k.handle_completions()), [a, b]);
}

#[test]
fn a_restart_after_out_of_order_completion_is_refused() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let _a = k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    let b = k.queue_cmd(&READ10, &[10], &[]).unwrap();
    let first = ring_over(&k);
    let cmds = commands(first.take().unwrap());
    // B's response overwrote A's request.
    first.complete(&cmds[1], &Response::good()).unwrap();
    drop(first);
    assert_eq!(ids(&k.handle_completions()), [b]);
    let second = ring_over(&k);
    assert_eq!(corruption(second.take()), Corruption::AnsweredElsewhere(b));
}

#[test]
fn the_mark_never_reaches_a_response_the_kernel_reads() {
    // A's own slot is consumed by B's response before A completes: A's
    // completion must not mark it.
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let a = k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    let b = k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    let ring = ring_over(&k);
    let cmds = commands(ring.take().unwrap());
    ring.complete(&cmds[1], &Response::good()).unwrap();
    ring.complete(&cmds[0], &Response::good()).unwrap();
    // handle_completions asserts uflags carries nothing but READ_LEN.
    assert_eq!(ids(&k.handle_completions()), [b, a]);
}

// --- Corrupt rings: each an error, never a panic or a wild access. ---

#[test]
fn entry_length_zero() {
    let (k, _) = one_write();
    k.put_u32(k.abs(0) + HDR_LEN_OP, OP_CMD);
    assert_eq!(corruption(ring_over(&k).take()), Corruption::ZeroLength);
    k.put_u32(k.abs(0) + HDR_LEN_OP, OP_PAD);
    assert_eq!(corruption(ring_over(&k).take()), Corruption::ZeroLength);
}

#[test]
fn entry_length_not_a_multiple_of_8() {
    // The low 3 bits are the opcode, so an unaligned length shows up as
    // a bad opcode or a different, too short length.
    let (k, _) = one_write();
    for (len_op, want) in [
        (100 | OP_CMD, Corruption::UnknownOpcode(5)),
        (133, Corruption::UnknownOpcode(5)),
        (
            97,
            Corruption::TooShort {
                what: "CMD",
                len: 96,
                min: 112,
            },
        ),
    ] {
        k.put_u32(k.abs(0) + HDR_LEN_OP, len_op);
        assert_eq!(corruption(ring_over(&k).take()), want, "{len_op}");
    }
}

#[test]
fn entry_past_the_ring_or_the_head() {
    let (k, _) = one_write();
    let len = k.cmdr_size + 8;
    k.put_u32(k.abs(0) + HDR_LEN_OP, len | OP_CMD);
    assert_eq!(
        corruption(ring_over(&k).take()),
        Corruption::PastRingEnd {
            len,
            room: k.cmdr_size
        }
    );
    let len = k.head() + 8;
    k.put_u32(k.abs(0) + HDR_LEN_OP, len | OP_CMD);
    assert_eq!(
        corruption(ring_over(&k).take()),
        Corruption::PastCursor {
            len,
            room: k.head()
        }
    );
}

#[test]
fn unknown_opcodes_and_short_entries() {
    let (k, _) = one_write();
    let len = k.head();
    for op in 3..=7 {
        k.put_u32(k.abs(0) + HDR_LEN_OP, len | op);
        assert_eq!(
            corruption(ring_over(&k).take()),
            Corruption::UnknownOpcode(op as u8)
        );
    }
    let mut k = FakeKernel::heap(1024, 16, ALL);
    assert!(k.queue_tmr(TMR_LUN_RESET, &[]));
    k.put_u32(k.abs(0) + HDR_LEN_OP, 24 | OP_TMR);
    k.force_head(24);
    assert_eq!(
        corruption(ring_over(&k).take()),
        Corruption::TooShort {
            what: "TMR",
            len: 24,
            min: 32
        }
    );
}

#[test]
fn cdb_outside_the_entry() {
    let (k, _) = one_write();
    let at = k.abs(0) + REQ_CDB_OFF;
    for off in [
        u64::MAX,
        k.map_len as u64,
        k.map_len as u64 - 1,
        0,
        k.data_off as u64,
        (k.abs(0) - 8) as u64,
        (k.abs(0) + k.head() as usize) as u64,
    ] {
        k.put_u64(at, off);
        assert_eq!(
            corruption(ring_over(&k).take()),
            Corruption::CdbOutside { off, len: 1 },
            "{off:#x}"
        );
    }
    // A CDB that starts inside the entry but is longer than what is left.
    let end = (k.abs(0) + k.head() as usize) as u64;
    k.put_u64(at, end - 4);
    k.put_u8(end as usize - 4, 0x2a);
    assert_eq!(
        corruption(ring_over(&k).take()),
        Corruption::CdbOutside {
            off: end - 4,
            len: 10
        }
    );
    k.put_u8(end as usize - 4, 0x7f);
    assert_eq!(
        corruption(ring_over(&k).take()),
        Corruption::CdbOutside {
            off: end - 4,
            len: 8
        }
    );
    // Variable length: 8 + 255 bytes cannot fit the 128-byte entry.
    let cdb_off = end - 16;
    k.put_u64(at, cdb_off);
    k.put_u8(cdb_off as usize, 0x7f);
    k.put_u8(cdb_off as usize + 7, 255);
    assert_eq!(
        corruption(ring_over(&k).take()),
        Corruption::CdbOutside {
            off: cdb_off,
            len: 263
        }
    );
}

#[test]
fn iovec_outside_the_data_area() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    k.queue_cmd(&WRITE10, &[10], &[20]).unwrap();
    let iov = |i: usize| k.abs(0) + REQ_IOV + i * IOV_SIZE;
    let cases = [
        (0u64, 1u64),
        (k.data_off as u64 - 16, 32),
        (k.map_len as u64 - 10, 100),
        (k.map_len as u64, 0),
        (u64::MAX - 1, 5),
        (k.data_off as u64, u64::MAX),
    ];
    for index in [0, 1] {
        let (base0, len0) = (
            u64::from_ne_bytes(read_array(&*k.mem, iov(index) + IOV_BASE)),
            u64::from_ne_bytes(read_array(&*k.mem, iov(index) + IOV_LEN)),
        );
        for (offset, len) in cases {
            k.put_u64(iov(index) + IOV_BASE, offset);
            k.put_u64(iov(index) + IOV_LEN, len);
            assert_eq!(
                corruption(ring_over(&k).take()),
                Corruption::IovOutside { index, offset, len },
                "iovec {index} at {offset:#x}"
            );
        }
        k.put_u64(iov(index) + IOV_BASE, base0);
        k.put_u64(iov(index) + IOV_LEN, len0);
    }
    // Each inside, together larger than the data area.
    let area = (k.map_len - k.data_off) as u64;
    k.put_u64(iov(0) + IOV_BASE, k.data_off as u64);
    k.put_u64(iov(0) + IOV_LEN, area);
    k.put_u32(k.abs(0) + REQ_IOV_CNT, 2);
    k.put_u32(k.abs(0) + REQ_IOV_BIDI_CNT, 0);
    k.put_u64(iov(1) + IOV_BASE, k.data_off as u64);
    k.put_u64(iov(1) + IOV_LEN, 1);
    assert_eq!(
        corruption(ring_over(&k).take()),
        Corruption::DataTooLong {
            total: area + 1,
            area
        }
    );
}

#[test]
fn huge_iovec_and_tmr_counts() {
    let (k, _) = one_write();
    let len = k.head(); // 128: room for (128 - 48) / 16 = 5 iovecs
    for field in [REQ_IOV_CNT, REQ_IOV_BIDI_CNT, REQ_IOV_DIF_CNT] {
        k.put_u32(k.abs(0) + field, u32::MAX);
        let count = corruption(ring_over(&k).take());
        assert!(
            matches!(count, Corruption::TooManyIovs { len: l, count } if l == len && count >= u64::from(u32::MAX)),
            "{count:?}"
        );
        k.put_u32(k.abs(0) + field, 0);
    }
    k.put_u32(k.abs(0) + REQ_IOV_CNT, 6);
    assert_eq!(
        corruption(ring_over(&k).take()),
        Corruption::TooManyIovs { count: 6, len }
    );
    // Five fit; the extra (zeroed) iovecs are then checked as data.
    k.put_u32(k.abs(0) + REQ_IOV_CNT, 5);
    assert!(matches!(
        corruption(ring_over(&k).take()),
        Corruption::IovOutside { index: 1, .. }
    ));

    let mut k = FakeKernel::heap(1024, 16, ALL);
    assert!(k.queue_tmr(TMR_ABORT_TASK, &[1, 2, 3]));
    for (count, bad) in [(u32::MAX, true), (5, true), (4, false)] {
        k.put_u32(k.abs(0) + TMR_CMD_CNT, count);
        let r = ring_over(&k).take();
        if bad {
            assert_eq!(corruption(r), Corruption::TooManyTmrIds { count, len: 40 });
        } else {
            assert!(r.is_ok());
        }
    }
}

#[test]
fn bad_head_or_tail() {
    let (mut k, _) = one_write();
    for head in [k.cmdr_size, k.cmdr_size + 8, 4, u32::MAX] {
        k.force_head(head);
        assert_eq!(corruption(ring_over(&k).take()), Corruption::Head(head));
    }
    for tail in [k.cmdr_size, 12] {
        k.mem.store_u32_release(MB_CMD_TAIL, tail);
        assert!(matches!(
            RingCore::new(k.mem.clone(), PathBuf::from("/dev/uio7")),
            Err(Error::CorruptRing { problem: Corruption::Tail(t), .. }) if t == tail
        ));
    }
}

#[test]
fn head_going_back_is_refused() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    let ring = ring_over(&k);
    assert_eq!(ring.take().unwrap().len(), 2);
    k.force_head(128);
    assert_eq!(
        corruption(ring.take()),
        Corruption::HeadWentBack {
            head: 128,
            peek: 256
        }
    );
    k.force_head(256);
    assert!(ring.take().unwrap().is_empty());
}

#[test]
fn duplicate_ids() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let a = k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    k.put_u16(k.abs(128) + HDR_CMD_ID, a);
    assert_eq!(corruption(ring_over(&k).take()), Corruption::DuplicateId(a));
    // Also against a command taken earlier.
    let mut k = FakeKernel::heap(1024, 16, ALL);
    let a = k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    let ring = ring_over(&k);
    assert_eq!(ring.take().unwrap().len(), 1);
    k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    k.put_u16(k.abs(128) + HDR_CMD_ID, a);
    assert_eq!(corruption(ring.take()), Corruption::DuplicateId(a));
}

#[test]
fn take_is_all_or_nothing() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    let ring = ring_over(&k);
    let at = k.abs(128) + HDR_LEN_OP;
    let good = u32::from_ne_bytes(read_array(&*k.mem, at));
    k.put_u32(at, 0);
    assert_eq!(corruption(ring.take()), Corruption::ZeroLength);
    assert_eq!(ring.cursors(), (0, 0));
    k.put_u32(at, good);
    assert_eq!(ring.take().unwrap().len(), 2);
}

#[test]
fn a_corrupt_tail_slot_fails_completion_without_writing() {
    let mut k = FakeKernel::heap(1024, 16, ALL);
    k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    k.queue_cmd(&WRITE10, &[10], &[]).unwrap();
    let ring = ring_over(&k);
    let cmds = commands(ring.take().unwrap());
    let mut before = vec![0u8; k.head() as usize];
    k.mem.read(CMDR_OFF, &mut before);
    k.put_u32(k.abs(0) + HDR_LEN_OP, 600 | OP_CMD);
    let mut expect = before.clone();
    expect[..4].copy_from_slice(&(600 | OP_CMD).to_ne_bytes());
    assert_eq!(
        corruption(ring.complete(&cmds[1], &Response::good())),
        Corruption::PastCursor {
            len: 600,
            room: 256
        }
    );
    let mut after = vec![0u8; k.head() as usize];
    k.mem.read(CMDR_OFF, &mut after);
    assert_eq!(after, expect, "nothing written");
    assert_eq!(ring.cursors(), (256, 0));
    assert_eq!(k.mem.load_u32_acquire(MB_CMD_TAIL), 0);
    // A PAD at the tail that reaches the peek cursor: no command slot.
    k.put_u32(k.abs(0) + HDR_LEN_OP, 256 | OP_PAD);
    assert_eq!(
        corruption(ring.complete(&cmds[1], &Response::good())),
        Corruption::NoCommandAtTail
    );
}

#[test]
fn bad_mailboxes() {
    let path = || PathBuf::from("/dev/uio7");
    let (k, _) = one_write();
    k.put_u16(MB_VERSION, 1);
    assert!(matches!(
        RingCore::new(k.mem.clone(), path()),
        Err(Error::UnsupportedVersion { version: 1, .. })
    ));
    k.put_u16(MB_VERSION, 2);
    k.put_u16(MB_FLAGS, FLAG_CAP_READ_LEN);
    let e = RingCore::new(k.mem.clone(), path()).err().unwrap();
    assert!(matches!(e, Error::NoOutOfOrder { flags: 2, .. }), "{e}");
    assert!(e.to_string().starts_with("/dev/uio7: "), "{e}");
    k.put_u16(MB_FLAGS, ALL);
    for (field, value) in [
        (MB_CMDR_OFF, 64),
        (MB_CMDR_OFF, 132),
        (MB_CMDR_OFF, u32::MAX),
        (MB_CMDR_OFF, k.map_len as u32),
    ] {
        k.put_u32(field, value);
        assert!(
            matches!(
                RingCore::new(k.mem.clone(), path()),
                Err(Error::BadMailbox { .. })
            ),
            "cmdr_off {value}"
        );
    }
    k.put_u32(MB_CMDR_OFF, CMDR_OFF as u32);
    for value in [0, 8, 1020, k.map_len as u32, u32::MAX - 7] {
        k.put_u32(MB_CMDR_SIZE, value);
        assert!(
            matches!(
                RingCore::new(k.mem.clone(), path()),
                Err(Error::BadMailbox { .. })
            ),
            "cmdr_size {value}"
        );
    }
    let short = HeapMem::new(64);
    assert!(matches!(
        RingCore::new(short, path()),
        Err(Error::BadMailbox { .. })
    ));
}

/// Seeded byte flips over a populated ring: whatever comes out, no panic,
/// and every command taken has its iovecs in the data area.
#[test]
fn flipped_bytes_never_panic() {
    let mut rng = Rng::new(0x5eed);
    for _ in 0..400 {
        let mut k = FakeKernel::heap(1024, 16, ALL);
        for _ in 0..rng.below(5) {
            k.queue_cmd(&random_cdb(&mut rng), &[1 + rng.below(300)], &[]);
        }
        k.queue_tmr(TMR_ABORT_TASK, &[1]);
        for _ in 0..1 + rng.below(8) {
            let at = if rng.chance(10) {
                MB_CMD_HEAD + rng.below(4) as usize
            } else {
                CMDR_OFF + rng.below(u64::from(k.head()).max(1)) as usize
            };
            let mut b = [0u8];
            k.mem.read(at, &mut b);
            k.put_u8(at, b[0] ^ (1 << rng.below(8)));
        }
        let Ok(ring) = RingCore::new(k.mem.clone(), PathBuf::from("/dev/uio7")) else {
            continue;
        };
        let Ok(entries) = ring.take() else {
            continue;
        };
        for c in commands(entries) {
            for iov in &c.iovs {
                assert!(iov.offset >= k.data_off as u64);
                assert!(iov.offset + iov.len <= k.map_len as u64);
            }
            ring.data_out(&c).unwrap();
            let _ = ring.complete(&c, &Response::good());
        }
    }
}

// --- Many laps with random sizes and completion orders. ---

/// xorshift64*: a small seeded generator.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A CDB of any opcode, as long as its group says (7Fh: 8 + byte 7).
fn random_cdb(rng: &mut Rng) -> Vec<u8> {
    let opcode = rng.next() as u8;
    let mut cdb = if opcode == 0x7f || rng.chance(5) {
        let add = if rng.chance(10) {
            255
        } else {
            rng.below(40) as u8
        };
        let mut c = vec![0x7f, 0, 0, 0, 0, 0, 0, add];
        c.resize(8 + add as usize, 0);
        c
    } else {
        vec![opcode; CDB_LEN_BY_GROUP[usize::from(opcode >> 5)] as usize]
    };
    for b in cdb.iter_mut().skip(1) {
        if rng.chance(50) {
            *b = rng.next() as u8;
        }
    }
    if cdb[0] == 0x7f {
        cdb[7] = (cdb.len() - 8) as u8;
    }
    cdb
}

/// What the handler answered, to compare with what the kernel reads.
struct Answer {
    status: u8,
    sense: Vec<u8>,
    read_len: Option<u32>,
    data: Vec<u8>,
}

/// The kernel reads the completions; each must be one the handler made,
/// seen once.
fn deliver<M: Shared>(k: &mut FakeKernel<M>, answers: &mut HashMap<u16, Answer>, flags: u16) {
    for done in k.handle_completions() {
        let a = answers.remove(&done.id).unwrap_or_else(|| {
            panic!(
                "the kernel read id {} the handler did not complete",
                done.id
            )
        });
        assert_eq!(done.status, a.status);
        let n = a.sense.len().min(96);
        assert_eq!(done.sense[..n], a.sense[..n]);
        assert!(done.sense[n..].iter().all(|&b| b == 0));
        let read_len = if flags & FLAG_CAP_READ_LEN != 0 {
            a.read_len
        } else {
            None
        };
        assert_eq!(done.read_len, read_len);
        assert_eq!(done.data[..a.data.len()], a.data[..], "id {}", done.id);
    }
}

/// Checks last_cleaned ≤ tail ≤ peek ≤ head, going round from last_cleaned.
fn check_cursors<M: Shared>(k: &FakeKernel<M>, ring: &RingCore<Arc<M>>) {
    let (peek, tail) = ring.cursors();
    let size = k.cmdr_size;
    let d = |a: u32, b: u32| (b + size - a) % size;
    let lc = k.last_cleaned();
    assert!(
        d(lc, tail) <= d(lc, peek),
        "tail {tail:#x} passed peek {peek:#x}"
    );
    assert!(d(lc, peek) <= d(lc, k.head()), "peek {peek:#x} passed head");
    assert_eq!(k.mem.load_u32_acquire(MB_CMD_TAIL), tail);
}

/// Runs `steps` rounds of: the kernel queues commands (random CDBs and
/// iovecs, PADs at the wrap, sometimes TMRs), the handler takes some,
/// checks them, answers a random subset in random order, and the kernel
/// reads the completions. Returns the laps the head made.
fn laps<M: Shared>(mut k: FakeKernel<M>, flags: u16, seed: u64, steps: usize) -> u64 {
    let ring = ring_over(&k);
    let mut rng = Rng::new(seed);
    let mut pending: Vec<Command> = Vec::new();
    let mut answers: HashMap<u16, Answer> = HashMap::new();
    let mut tmrs: VecDeque<(u8, Vec<u16>)> = VecDeque::new();
    let mut queued = 0u64;
    let mut taken = 0u64;
    let mut take = |k: &FakeKernel<M>, pending: &mut Vec<Command>, tmrs: &mut VecDeque<_>| {
        for e in ring.take().unwrap() {
            match e {
                Entry::Command(c) => {
                    let q = &k.inflight[&c.id];
                    assert_eq!(c.cdb, q.cdb);
                    assert_eq!(c.iovs, q.iovs);
                    assert_eq!(c.bidi_iovs, q.bidi_iovs);
                    assert_eq!(ring.data_out(&c).unwrap(), q.data);
                    taken += 1;
                    pending.push(c);
                }
                Entry::Tmr(t) => {
                    let (kind, ids) = tmrs.pop_front().expect("a TMR the kernel queued");
                    assert_eq!(t.kind.to_raw(), kind);
                    assert_eq!(t.cmd_ids, ids);
                }
            }
        }
    };
    let answer = |rng: &mut Rng, c: &Command, answers: &mut HashMap<u16, Answer>| {
        let data: Vec<u8> = (0..rng.below(c.data_len() + 1))
            .map(|_| rng.next() as u8)
            .collect();
        assert_eq!(ring.data_in(c, &data).unwrap(), data.len());
        let status = [0u8, 2, 8, 0x18][rng.below(4) as usize];
        let sense: Vec<u8> = (0..rng.below(120)).map(|_| rng.next() as u8).collect();
        let read_len = rng.chance(50).then_some(data.len() as u32);
        ring.complete(
            c,
            &Response {
                status,
                sense: &sense,
                read_len,
            },
        )
        .unwrap();
        let read_len = read_len.filter(|_| flags & FLAG_CAP_READ_LEN != 0);
        let old = answers.insert(
            c.id,
            Answer {
                status,
                sense,
                read_len,
                data,
            },
        );
        assert!(old.is_none(), "id {} answered twice", c.id);
    };
    for _ in 0..steps {
        for _ in 0..rng.below(4) {
            let cdb = random_cdb(&mut rng);
            let lens: Vec<u64> = (0..rng.below(4))
                .map(|_| 1 + rng.below(3 * BLOCK as u64))
                .collect();
            let bidi: Vec<u64> = if rng.chance(10) {
                vec![1 + rng.below(BLOCK as u64)]
            } else {
                vec![]
            };
            if k.queue_cmd(&cdb, &lens, &bidi).is_some() {
                queued += 1;
            }
        }
        if flags & FLAG_CAP_TMR != 0 && rng.chance(10) {
            let mut ids: Vec<u16> = k.inflight.keys().copied().collect();
            ids.sort_unstable();
            ids.truncate(rng.below(4) as usize);
            let kind = [0u8, 1, 2, 5, 128, 99][rng.below(6) as usize];
            if k.queue_tmr(kind, &ids) {
                tmrs.push_back((kind, ids));
            }
        }
        if rng.chance(70) {
            take(&k, &mut pending, &mut tmrs);
        }
        for _ in 0..rng.below(pending.len() as u64 + 1) {
            let c = pending.swap_remove(rng.below(pending.len() as u64) as usize);
            answer(&mut rng, &c, &mut answers);
        }
        check_cursors(&k, &ring);
        if rng.chance(60) {
            deliver(&mut k, &mut answers, flags);
        }
    }
    // Drain: everything queued is answered exactly once.
    for _ in 0..4 {
        take(&k, &mut pending, &mut tmrs);
        while let Some(c) = pending.pop() {
            answer(&mut rng, &c, &mut answers);
        }
        check_cursors(&k, &ring);
        deliver(&mut k, &mut answers, flags);
    }
    assert!(k.inflight.is_empty(), "unanswered: {:?}", k.inflight.keys());
    assert!(answers.is_empty());
    assert!(tmrs.is_empty());
    assert_eq!(queued, taken);
    assert_eq!(k.last_cleaned(), k.head());
    assert_eq!(ring.cursors(), (k.head(), k.head()));
    k.advanced / u64::from(k.cmdr_size)
}

#[test]
fn many_laps_with_random_sizes_and_orders() {
    for (seed, cmdr_size, flags) in [
        (1, 1024, ALL),
        (2, 1032, OOOC),
        (3, 1536, ALL),
        (4, 4096, FLAG_CAP_OOOC | FLAG_CAP_TMR),
    ] {
        let k = FakeKernel::heap(cmdr_size, 48, flags);
        let laps = laps(k, flags, seed, 3000);
        assert!(laps >= 50, "seed {seed}: only {laps} laps");
    }
}

#[test]
fn many_laps_over_a_real_shared_mapping() {
    // The same run through the mmap accessors (the unsafe code), over a
    // MAP_SHARED temporary file instead of /dev/uioN.
    let cmdr_size = 1024u32;
    let len = CMDR_OFF + cmdr_size as usize + 48 * BLOCK;
    let file = tempfile::tempfile().unwrap();
    file.set_len(len as u64).unwrap();
    let map = Arc::new(Mapping::map(file.as_fd(), len).unwrap());
    let k = FakeKernel::new(map, cmdr_size, ALL);
    assert!(laps(k, ALL, 7, 2000) >= 50);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn laps_hold_for_any_seed(seed in any::<u64>(), extra in 0u32..256, flags in prop::sample::select(vec![ALL, OOOC])) {
        let cmdr_size = 1024 + extra * 8;
        let k = FakeKernel::heap(cmdr_size, 40, flags);
        prop_assert!(laps(k, flags, seed, 600) >= 5);
    }
}
