//! Checks the TCMU layout of `src/layout.rs` against the kernel's own
//! header, `<linux/target_core_user.h>` (from linux-libc-dev).
//!
//! `CHECKS` lists every offset, size and constant the ring code uses, each
//! as a C expression, the Rust constant of `src/layout.rs` it must equal,
//! and the value both must have. From it this script writes:
//! - `tcmu_abi.c`: one `_Static_assert` per entry, compiled with
//!   `$CC -fsyntax-only` (`cc` if CC is unset) — the build fails if the
//!   header disagrees;
//! - `abi_checked.rs`: one `const _: () = assert!(..)` per entry, included
//!   by `src/layout.rs` — the build fails if this list and the Rust mirrors
//!   drift apart.

use std::path::PathBuf;
use std::process::Command;

/// One checked value: `c` (a C constant expression) == `rust` (a constant
/// of src/layout.rs) == `value`.
struct Check {
    c: &'static str,
    rust: &'static str,
    value: u64,
}

const fn check(c: &'static str, rust: &'static str, value: u64) -> Check {
    Check { c, rust, value }
}

const CHECKS: &[Check] = &[
    // struct tcmu_mailbox
    check("offsetof(struct tcmu_mailbox, version)", "MB_VERSION", 0),
    check("offsetof(struct tcmu_mailbox, flags)", "MB_FLAGS", 2),
    check("offsetof(struct tcmu_mailbox, cmdr_off)", "MB_CMDR_OFF", 4),
    check(
        "offsetof(struct tcmu_mailbox, cmdr_size)",
        "MB_CMDR_SIZE",
        8,
    ),
    check("offsetof(struct tcmu_mailbox, cmd_head)", "MB_CMD_HEAD", 12),
    check("offsetof(struct tcmu_mailbox, cmd_tail)", "MB_CMD_TAIL", 64),
    check("sizeof(struct tcmu_mailbox)", "MAILBOX_SIZE", 128),
    // struct tcmu_cmd_entry_hdr
    check(
        "offsetof(struct tcmu_cmd_entry_hdr, len_op)",
        "HDR_LEN_OP",
        0,
    ),
    check(
        "offsetof(struct tcmu_cmd_entry_hdr, cmd_id)",
        "HDR_CMD_ID",
        4,
    ),
    check(
        "offsetof(struct tcmu_cmd_entry_hdr, kflags)",
        "HDR_KFLAGS",
        6,
    ),
    check(
        "offsetof(struct tcmu_cmd_entry_hdr, uflags)",
        "HDR_UFLAGS",
        7,
    ),
    check("sizeof(struct tcmu_cmd_entry_hdr)", "HDR_SIZE", 8),
    // struct tcmu_cmd_entry
    check(
        "offsetof(struct tcmu_cmd_entry, req.iov_cnt)",
        "REQ_IOV_CNT",
        8,
    ),
    check(
        "offsetof(struct tcmu_cmd_entry, req.iov_bidi_cnt)",
        "REQ_IOV_BIDI_CNT",
        12,
    ),
    check(
        "offsetof(struct tcmu_cmd_entry, req.iov_dif_cnt)",
        "REQ_IOV_DIF_CNT",
        16,
    ),
    check(
        "offsetof(struct tcmu_cmd_entry, req.cdb_off)",
        "REQ_CDB_OFF",
        24,
    ),
    check("offsetof(struct tcmu_cmd_entry, req.iov)", "REQ_IOV", 48),
    check(
        "offsetof(struct tcmu_cmd_entry, rsp.scsi_status)",
        "RSP_SCSI_STATUS",
        8,
    ),
    check(
        "offsetof(struct tcmu_cmd_entry, rsp.read_len)",
        "RSP_READ_LEN",
        12,
    ),
    check(
        "offsetof(struct tcmu_cmd_entry, rsp.sense_buffer)",
        "RSP_SENSE",
        16,
    ),
    check("sizeof(struct tcmu_cmd_entry)", "CMD_ENTRY_SIZE", 112),
    // struct iovec (linux/uio.h), as the kernel writes it into the entry
    check("offsetof(struct iovec, iov_base)", "IOV_BASE", 0),
    check("offsetof(struct iovec, iov_len)", "IOV_LEN", 8),
    check("sizeof(struct iovec)", "IOV_SIZE", 16),
    // struct tcmu_tmr_entry
    check("offsetof(struct tcmu_tmr_entry, tmr_type)", "TMR_TYPE", 8),
    check(
        "offsetof(struct tcmu_tmr_entry, cmd_cnt)",
        "TMR_CMD_CNT",
        12,
    ),
    check(
        "offsetof(struct tcmu_tmr_entry, cmd_ids)",
        "TMR_CMD_IDS",
        32,
    ),
    check("sizeof(struct tcmu_tmr_entry)", "TMR_ENTRY_SIZE", 32),
    // constants
    check("TCMU_MAILBOX_VERSION", "MAILBOX_VERSION", 2),
    check("ALIGN_SIZE", "ALIGN_SIZE", 64),
    check("TCMU_MAILBOX_FLAG_CAP_OOOC", "FLAG_CAP_OOOC", 1),
    check("TCMU_MAILBOX_FLAG_CAP_READ_LEN", "FLAG_CAP_READ_LEN", 2),
    check("TCMU_MAILBOX_FLAG_CAP_TMR", "FLAG_CAP_TMR", 4),
    check("TCMU_MAILBOX_FLAG_CAP_KEEP_BUF", "FLAG_CAP_KEEP_BUF", 8),
    check("TCMU_OP_PAD", "OP_PAD", 0),
    check("TCMU_OP_CMD", "OP_CMD", 1),
    check("TCMU_OP_TMR", "OP_TMR", 2),
    check("TCMU_OP_MASK", "OP_MASK", 7),
    check("TCMU_OP_ALIGN_SIZE", "OP_ALIGN", 8),
    check("TCMU_UFLAG_UNKNOWN_OP", "UFLAG_UNKNOWN_OP", 1),
    check("TCMU_UFLAG_READ_LEN", "UFLAG_READ_LEN", 2),
    check("TCMU_UFLAG_KEEP_BUF", "UFLAG_KEEP_BUF", 4),
    check("TCMU_SENSE_BUFFERSIZE", "SENSE_BUFFERSIZE", 96),
    check("TCMU_TMR_UNKNOWN", "TMR_UNKNOWN", 0),
    check("TCMU_TMR_ABORT_TASK", "TMR_ABORT_TASK", 1),
    check("TCMU_TMR_ABORT_TASK_SET", "TMR_ABORT_TASK_SET", 2),
    check("TCMU_TMR_CLEAR_ACA", "TMR_CLEAR_ACA", 3),
    check("TCMU_TMR_CLEAR_TASK_SET", "TMR_CLEAR_TASK_SET", 4),
    check("TCMU_TMR_LUN_RESET", "TMR_LUN_RESET", 5),
    check("TCMU_TMR_TARGET_WARM_RESET", "TMR_TARGET_WARM_RESET", 6),
    check("TCMU_TMR_TARGET_COLD_RESET", "TMR_TARGET_COLD_RESET", 7),
    check("TCMU_TMR_LUN_RESET_PRO", "TMR_LUN_RESET_PRO", 128),
];

/// Marker in the C file's `#error` when the header is missing.
const MISSING: &str = "TCMU_HEADER_MISSING";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    let header = "/usr/include/linux/target_core_user.h";
    if std::path::Path::new(header).exists() {
        println!("cargo:rerun-if-changed={header}");
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let mut c = String::from(
        "/* Generated by tcmu/build.rs: the layout of src/layout.rs, checked against the kernel header. */\n\
         #include <stddef.h>\n\
         #if defined(__has_include)\n\
         #if !__has_include(<linux/target_core_user.h>)\n",
    );
    c.push_str(&format!("#error \"{MISSING}\"\n#endif\n#endif\n"));
    c.push_str("#include <linux/target_core_user.h>\n\n");
    let mut rs = String::from(
        "// Generated by build.rs: each value below is also a _Static_assert\n\
         // against <linux/target_core_user.h>.\n",
    );
    for k in CHECKS {
        c.push_str(&format!(
            "_Static_assert(({}) == {}, \"{} is not {} in <linux/target_core_user.h>\");\n",
            k.c, k.value, k.c, k.value
        ));
        rs.push_str(&format!(
            "const _: () = assert!({} as u64 == {}, \"src/layout.rs {} differs from build.rs ({})\");\n",
            k.rust, k.value, k.rust, k.c
        ));
    }
    let c_file = out.join("tcmu_abi.c");
    std::fs::write(&c_file, c).expect("write tcmu_abi.c into OUT_DIR");
    std::fs::write(out.join("abi_checked.rs"), rs).expect("write abi_checked.rs into OUT_DIR");

    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let result = Command::new(&cc).arg("-fsyntax-only").arg(&c_file).output();
    let output = match result {
        Ok(o) => o,
        Err(e) => fail(&format!(
            "cannot run the C compiler `{cc}` ({e}) that checks the TCMU layout against \
             <linux/target_core_user.h>: install gcc or set CC"
        )),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains(MISSING) || stderr.contains("target_core_user.h: No such file") {
            fail("the kernel header <linux/target_core_user.h> is missing: install linux-libc-dev");
        }
        fail(&format!(
            "`{cc} -fsyntax-only` rejected the TCMU layout check ({}): src/layout.rs does not \
             match <linux/target_core_user.h>:\n{stderr}",
            output.status
        ));
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1);
}
