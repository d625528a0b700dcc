//! Additional sense codes (ASC/ASCQ, SPC-4 r37 §4.5.6) in words,
//! after T10's `asc-num.txt`, and named constants for the pairs segcopy
//! builds or matches itself.
//!
//! [`AdditionalSense`] is one pair; it prints in words. [`asc_name`] looks
//! a pair up in the table. The constants ([`FILEMARK_DETECTED`],
//! [`WRITE_ERROR`], …) are spelled after T10's names, so a reader can find
//! them in the standard; a unit test checks each against the table.

use core::fmt;

/// An ASC/ASCQ pair that prints in words, e.g. "Copy target device not
/// reachable (0x0d/0x02)". Codes with no standard name print as sg3_utils
/// does ("vendor specific ASC=80, ASCQ=01 (hex)", "ASC=04, vendor specific
/// qualification ASCQ=f0 (hex)", "ASC=5f, ASCQ=00 (hex)").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdditionalSense {
    /// ADDITIONAL SENSE CODE.
    pub asc: u8,
    /// ADDITIONAL SENSE CODE QUALIFIER.
    pub ascq: u8,
}

impl fmt::Display for AdditionalSense {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (asc, ascq) = (self.asc, self.ascq);
        if let Some(template) = range_name(asc, ascq) {
            let text = template.replace("NN", &format!("{ascq:#04x}"));
            return write!(f, "{text} ({asc:#04x}/{ascq:#04x})");
        }
        match asc_name(asc, ascq) {
            Some(name) => write!(f, "{name} ({asc:#04x}/{ascq:#04x})"),
            None if asc >= 0x80 => {
                write!(f, "vendor specific ASC={asc:02x}, ASCQ={ascq:02x} (hex)")
            }
            None if ascq >= 0x80 => write!(
                f,
                "ASC={asc:02x}, vendor specific qualification ASCQ={ascq:02x} (hex)"
            ),
            None => write!(f, "ASC={asc:02x}, ASCQ={ascq:02x} (hex)"),
        }
    }
}

impl AdditionalSense {
    /// The pair `asc`/`ascq`.
    pub const fn new(asc: u8, ascq: u8) -> Self {
        AdditionalSense { asc, ascq }
    }
}

// Named pairs, after T10's names (`asc-num.txt`): the ones segcopy builds
// or matches itself. `named_pairs_are_their_table_entries` checks each.

/// 00h/00h NO ADDITIONAL SENSE INFORMATION.
pub const NO_ADDITIONAL_SENSE_INFORMATION: AdditionalSense = AdditionalSense::new(0x00, 0x00);
/// 00h/01h FILEMARK DETECTED.
pub const FILEMARK_DETECTED: AdditionalSense = AdditionalSense::new(0x00, 0x01);
/// 00h/02h END-OF-PARTITION/MEDIUM DETECTED.
pub const END_OF_PARTITION_MEDIUM_DETECTED: AdditionalSense = AdditionalSense::new(0x00, 0x02);
/// 00h/04h BEGINNING-OF-PARTITION/MEDIUM DETECTED.
pub const BEGINNING_OF_PARTITION_MEDIUM_DETECTED: AdditionalSense =
    AdditionalSense::new(0x00, 0x04);
/// 00h/05h END-OF-DATA DETECTED.
pub const END_OF_DATA_DETECTED: AdditionalSense = AdditionalSense::new(0x00, 0x05);
/// 0Ch/00h WRITE ERROR.
pub const WRITE_ERROR: AdditionalSense = AdditionalSense::new(0x0c, 0x00);
/// 11h/00h UNRECOVERED READ ERROR.
pub const UNRECOVERED_READ_ERROR: AdditionalSense = AdditionalSense::new(0x11, 0x00);
/// 0Dh/01h THIRD PARTY DEVICE FAILURE.
pub const THIRD_PARTY_DEVICE_FAILURE: AdditionalSense = AdditionalSense::new(0x0d, 0x01);
/// 0Dh/02h COPY TARGET DEVICE NOT REACHABLE.
pub const COPY_TARGET_DEVICE_NOT_REACHABLE: AdditionalSense = AdditionalSense::new(0x0d, 0x02);
/// 15h/01h MECHANICAL POSITIONING ERROR.
pub const MECHANICAL_POSITIONING_ERROR: AdditionalSense = AdditionalSense::new(0x15, 0x01);

/// Codes whose ASCQ is a parameter (T10 writes "NN").
fn range_name(asc: u8, ascq: u8) -> Option<&'static str> {
    match (asc, ascq) {
        (0x40, 0x80..=0xff) => Some("Diagnostic failure on component NN"),
        (0x4d, _) => Some("Tagged overlapped commands (task tag NN)"),
        (0x70, _) => Some("Decompression exception short algorithm ID of NN"),
        _ => None,
    }
}

/// The additional sense code in words, as T10's `asc-num.txt` has it (in
/// sentence case), for every standard code segcopy is likely to meet.
/// Codes whose qualifier is a parameter return T10's template with "NN"
/// (40h/80h–FFh, 4Dh/NN, 70h/NN). Vendor specific codes (ASC ≥ 80h, or
/// ASCQ ≥ 80h where the standard defines none) and unlisted codes return
/// `None`; [`AdditionalSense`] prints those the way sg3_utils does.
pub fn asc_name(asc: u8, ascq: u8) -> Option<&'static str> {
    if let Some(t) = range_name(asc, ascq) {
        return Some(match asc {
            0x40 => "Diagnostic failure on component NN (80h-FFh)",
            0x4d => "Tagged overlapped commands (NN = task tag)",
            _ => t,
        });
    }
    ASC_TABLE
        .binary_search_by(|&(a, q, _)| (a, q).cmp(&(asc, ascq)))
        .ok()
        .map(|i| ASC_TABLE[i].2)
}

/// The "impending failure" family of 5Dh (SPC-4 / SBC): 13 qualifiers per
/// component, `base` + 0..=0xC.
macro_rules! impending {
    ($base:expr, $who:literal) => {
        impending!(@ $base, $who;
            0 "general hard drive failure", 1 "drive error rate too high",
            2 "data error rate too high", 3 "seek error rate too high",
            4 "too many block reassigns", 5 "access times too high",
            6 "start unit times too high", 7 "channel parametrics",
            8 "controller detected", 9 "throughput performance",
            10 "seek time performance", 11 "spin-up retry count",
            12 "drive calibration retry count")
    };
    (@ $base:expr, $who:literal; $($off:literal $what:literal),*) => {
        [$((0x5d, $base + $off, concat!($who, " impending failure ", $what))),*]
    };
}

const IMPENDING: [[(u8, u8, &str); 13]; 6] = [
    impending!(0x10, "Hardware"),
    impending!(0x20, "Controller"),
    impending!(0x30, "Data channel"),
    impending!(0x40, "Servo"),
    impending!(0x50, "Spindle"),
    impending!(0x60, "Firmware"),
];

/// Sorted by (ASC, ASCQ); `asc_name` binary-searches it. Built at compile
/// time from the main list and the 5Dh family.
static ASC_TABLE: [(u8, u8, &str); ASC_MAIN.len() + 13 * 6] = {
    let mut out = [(0u8, 0u8, ""); ASC_MAIN.len() + 13 * 6];
    let mut o = 0;
    let mut m = 0;
    // Main entries below 5Dh/10h, then the family, then the rest.
    while m < ASC_MAIN.len()
        && (ASC_MAIN[m].0 < 0x5d || (ASC_MAIN[m].0 == 0x5d && ASC_MAIN[m].1 < 0x10))
    {
        out[o] = ASC_MAIN[m];
        o += 1;
        m += 1;
    }
    let mut g = 0;
    while g < 6 {
        let mut k = 0;
        while k < 13 {
            out[o] = IMPENDING[g][k];
            o += 1;
            k += 1;
        }
        g += 1;
    }
    while m < ASC_MAIN.len() {
        out[o] = ASC_MAIN[m];
        o += 1;
        m += 1;
    }
    out
};

/// T10 asc-num.txt wording, sentence case, sorted by (ASC, ASCQ); the 5Dh
/// impending-failure family (5Dh/10h–6Ch) lives in [`IMPENDING`].
const ASC_MAIN: [(u8, u8, &str); 611] = [
    (0x00, 0x00, "No additional sense information"),
    (0x00, 0x01, "Filemark detected"),
    (0x00, 0x02, "End-of-partition/medium detected"),
    (0x00, 0x03, "Setmark detected"),
    (0x00, 0x04, "Beginning-of-partition/medium detected"),
    (0x00, 0x05, "End-of-data detected"),
    (0x00, 0x06, "I/O process terminated"),
    (0x00, 0x07, "Programmable early warning detected"),
    (0x00, 0x11, "Audio play operation in progress"),
    (0x00, 0x12, "Audio play operation paused"),
    (0x00, 0x13, "Audio play operation successfully completed"),
    (0x00, 0x14, "Audio play operation stopped due to error"),
    (0x00, 0x15, "No current audio status to return"),
    (0x00, 0x16, "Operation in progress"),
    (0x00, 0x17, "Cleaning requested"),
    (0x00, 0x18, "Erase operation in progress"),
    (0x00, 0x19, "Locate operation in progress"),
    (0x00, 0x1a, "Rewind operation in progress"),
    (0x00, 0x1b, "Set capacity operation in progress"),
    (0x00, 0x1c, "Verify operation in progress"),
    (0x00, 0x1d, "ATA pass through information available"),
    (0x00, 0x1e, "Conflicting SA creation request"),
    (
        0x00,
        0x1f,
        "Logical unit transitioning to another power condition",
    ),
    (0x00, 0x20, "Extended copy information available"),
    (0x00, 0x21, "Atomic command aborted due to ACA"),
    (0x01, 0x00, "No index/sector signal"),
    (0x02, 0x00, "No seek complete"),
    (0x03, 0x00, "Peripheral device write fault"),
    (0x03, 0x01, "No write current"),
    (0x03, 0x02, "Excessive write errors"),
    (0x04, 0x00, "Logical unit not ready, cause not reportable"),
    (0x04, 0x01, "Logical unit is in process of becoming ready"),
    (
        0x04,
        0x02,
        "Logical unit not ready, initializing command required",
    ),
    (
        0x04,
        0x03,
        "Logical unit not ready, manual intervention required",
    ),
    (0x04, 0x04, "Logical unit not ready, format in progress"),
    (0x04, 0x05, "Logical unit not ready, rebuild in progress"),
    (
        0x04,
        0x06,
        "Logical unit not ready, recalculation in progress",
    ),
    (0x04, 0x07, "Logical unit not ready, operation in progress"),
    (0x04, 0x08, "Logical unit not ready, long write in progress"),
    (0x04, 0x09, "Logical unit not ready, self-test in progress"),
    (
        0x04,
        0x0a,
        "Logical unit not accessible, asymmetric access state transition",
    ),
    (
        0x04,
        0x0b,
        "Logical unit not accessible, target port in standby state",
    ),
    (
        0x04,
        0x0c,
        "Logical unit not accessible, target port in unavailable state",
    ),
    (
        0x04,
        0x0d,
        "Logical unit not ready, structure check required",
    ),
    (
        0x04,
        0x0e,
        "Logical unit not ready, security session in progress",
    ),
    (
        0x04,
        0x10,
        "Logical unit not ready, auxiliary memory not accessible",
    ),
    (
        0x04,
        0x11,
        "Logical unit not ready, notify (enable spinup) required",
    ),
    (0x04, 0x12, "Logical unit not ready, offline"),
    (
        0x04,
        0x13,
        "Logical unit not ready, SA creation in progress",
    ),
    (
        0x04,
        0x14,
        "Logical unit not ready, space allocation in progress",
    ),
    (0x04, 0x15, "Logical unit not ready, robotics disabled"),
    (0x04, 0x16, "Logical unit not ready, configuration required"),
    (0x04, 0x17, "Logical unit not ready, calibration required"),
    (0x04, 0x18, "Logical unit not ready, a door is open"),
    (
        0x04,
        0x19,
        "Logical unit not ready, operating in sequential mode",
    ),
    (
        0x04,
        0x1a,
        "Logical unit not ready, start stop unit command in progress",
    ),
    (0x04, 0x1b, "Logical unit not ready, sanitize in progress"),
    (
        0x04,
        0x1c,
        "Logical unit not ready, additional power use not yet granted",
    ),
    (
        0x04,
        0x1d,
        "Logical unit not ready, configuration in progress",
    ),
    (
        0x04,
        0x1e,
        "Logical unit not ready, microcode activation required",
    ),
    (
        0x04,
        0x1f,
        "Logical unit not ready, microcode download required",
    ),
    (
        0x04,
        0x20,
        "Logical unit not ready, logical unit reset required",
    ),
    (0x04, 0x21, "Logical unit not ready, hard reset required"),
    (0x04, 0x22, "Logical unit not ready, power cycle required"),
    (0x05, 0x00, "Logical unit does not respond to selection"),
    (0x06, 0x00, "No reference position found"),
    (0x07, 0x00, "Multiple peripheral devices selected"),
    (0x08, 0x00, "Logical unit communication failure"),
    (0x08, 0x01, "Logical unit communication time-out"),
    (0x08, 0x02, "Logical unit communication parity error"),
    (
        0x08,
        0x03,
        "Logical unit communication CRC error (Ultra-DMA/32)",
    ),
    (0x08, 0x04, "Unreachable copy target"),
    (0x09, 0x00, "Track following error"),
    (0x09, 0x01, "Tracking servo failure"),
    (0x09, 0x02, "Focus servo failure"),
    (0x09, 0x03, "Spindle servo failure"),
    (0x09, 0x04, "Head select fault"),
    (0x09, 0x05, "Vibration induced tracking error"),
    (0x0a, 0x00, "Error log overflow"),
    (0x0b, 0x00, "Warning"),
    (0x0b, 0x01, "Warning - specified temperature exceeded"),
    (0x0b, 0x02, "Warning - enclosure degraded"),
    (0x0b, 0x03, "Warning - background self-test failed"),
    (
        0x0b,
        0x04,
        "Warning - background pre-scan detected medium error",
    ),
    (
        0x0b,
        0x05,
        "Warning - background medium scan detected medium error",
    ),
    (0x0b, 0x06, "Warning - non-volatile cache now volatile"),
    (0x0b, 0x07, "Warning - degraded power to non-volatile cache"),
    (0x0b, 0x08, "Warning - power loss expected"),
    (
        0x0b,
        0x09,
        "Warning - device statistics notification active",
    ),
    (0x0c, 0x00, "Write error"),
    (0x0c, 0x01, "Write error - recovered with auto reallocation"),
    (0x0c, 0x02, "Write error - auto reallocation failed"),
    (0x0c, 0x03, "Write error - recommend reassignment"),
    (0x0c, 0x04, "Compression check miscompare error"),
    (0x0c, 0x05, "Data expansion occurred during compression"),
    (0x0c, 0x06, "Block not compressible"),
    (0x0c, 0x07, "Write error - recovery needed"),
    (0x0c, 0x08, "Write error - recovery failed"),
    (0x0c, 0x09, "Write error - loss of streaming"),
    (0x0c, 0x0a, "Write error - padding blocks added"),
    (0x0c, 0x0b, "Auxiliary memory write error"),
    (0x0c, 0x0c, "Write error - unexpected unsolicited data"),
    (0x0c, 0x0d, "Write error - not enough unsolicited data"),
    (0x0c, 0x0e, "Multiple write errors"),
    (0x0c, 0x0f, "Defects in error window"),
    (
        0x0d,
        0x00,
        "Error detected by third party temporary initiator",
    ),
    (0x0d, 0x01, "Third party device failure"),
    (0x0d, 0x02, "Copy target device not reachable"),
    (0x0d, 0x03, "Incorrect copy target device type"),
    (0x0d, 0x04, "Copy target device data underrun"),
    (0x0d, 0x05, "Copy target device data overrun"),
    (0x0e, 0x00, "Invalid information unit"),
    (0x0e, 0x01, "Information unit too short"),
    (0x0e, 0x02, "Information unit too long"),
    (0x0e, 0x03, "Invalid field in command information unit"),
    (0x10, 0x00, "ID CRC or ECC error"),
    (0x10, 0x01, "Logical block guard check failed"),
    (0x10, 0x02, "Logical block application tag check failed"),
    (0x10, 0x03, "Logical block reference tag check failed"),
    (
        0x10,
        0x04,
        "Logical block protection error on recover buffered data",
    ),
    (0x10, 0x05, "Logical block protection method error"),
    (0x11, 0x00, "Unrecovered read error"),
    (0x11, 0x01, "Read retries exhausted"),
    (0x11, 0x02, "Error too long to correct"),
    (0x11, 0x03, "Multiple read errors"),
    (
        0x11,
        0x04,
        "Unrecovered read error - auto reallocate failed",
    ),
    (0x11, 0x05, "L-EC uncorrectable error"),
    (0x11, 0x06, "CIRC unrecovered error"),
    (0x11, 0x07, "Data re-synchronization error"),
    (0x11, 0x08, "Incomplete block read"),
    (0x11, 0x09, "No gap found"),
    (0x11, 0x0a, "Miscorrected error"),
    (
        0x11,
        0x0b,
        "Unrecovered read error - recommend reassignment",
    ),
    (
        0x11,
        0x0c,
        "Unrecovered read error - recommend rewrite the data",
    ),
    (0x11, 0x0d, "De-compression CRC error"),
    (0x11, 0x0e, "Cannot decompress using declared algorithm"),
    (0x11, 0x0f, "Error reading UPC/EAN number"),
    (0x11, 0x10, "Error reading ISRC number"),
    (0x11, 0x11, "Read error - loss of streaming"),
    (0x11, 0x12, "Auxiliary memory read error"),
    (0x11, 0x13, "Read error - failed retransmission request"),
    (
        0x11,
        0x14,
        "Read error - LBA marked bad by application client",
    ),
    (0x12, 0x00, "Address mark not found for ID field"),
    (0x13, 0x00, "Address mark not found for data field"),
    (0x14, 0x00, "Recorded entity not found"),
    (0x14, 0x01, "Record not found"),
    (0x14, 0x02, "Filemark or setmark not found"),
    (0x14, 0x03, "End-of-data not found"),
    (0x14, 0x04, "Block sequence error"),
    (0x14, 0x05, "Record not found - recommend reassignment"),
    (0x14, 0x06, "Record not found - data auto-reallocated"),
    (0x14, 0x07, "Locate operation failure"),
    (0x15, 0x00, "Random positioning error"),
    (0x15, 0x01, "Mechanical positioning error"),
    (0x15, 0x02, "Positioning error detected by read of medium"),
    (0x16, 0x00, "Data synchronization mark error"),
    (0x16, 0x01, "Data sync error - data rewritten"),
    (0x16, 0x02, "Data sync error - recommend rewrite"),
    (0x16, 0x03, "Data sync error - data auto-reallocated"),
    (0x16, 0x04, "Data sync error - recommend reassignment"),
    (
        0x17,
        0x00,
        "Recovered data with no error correction applied",
    ),
    (0x17, 0x01, "Recovered data with retries"),
    (0x17, 0x02, "Recovered data with positive head offset"),
    (0x17, 0x03, "Recovered data with negative head offset"),
    (
        0x17,
        0x04,
        "Recovered data with retries and/or CIRC applied",
    ),
    (0x17, 0x05, "Recovered data using previous sector ID"),
    (
        0x17,
        0x06,
        "Recovered data without ECC - data auto-reallocated",
    ),
    (
        0x17,
        0x07,
        "Recovered data without ECC - recommend reassignment",
    ),
    (0x17, 0x08, "Recovered data without ECC - recommend rewrite"),
    (0x17, 0x09, "Recovered data without ECC - data rewritten"),
    (0x18, 0x00, "Recovered data with error correction applied"),
    (
        0x18,
        0x01,
        "Recovered data with error corr. & retries applied",
    ),
    (0x18, 0x02, "Recovered data - data auto-reallocated"),
    (0x18, 0x03, "Recovered data with CIRC"),
    (0x18, 0x04, "Recovered data with L-EC"),
    (0x18, 0x05, "Recovered data - recommend reassignment"),
    (0x18, 0x06, "Recovered data - recommend rewrite"),
    (0x18, 0x07, "Recovered data with ECC - data rewritten"),
    (0x18, 0x08, "Recovered data with linking"),
    (0x19, 0x00, "Defect list error"),
    (0x19, 0x01, "Defect list not available"),
    (0x19, 0x02, "Defect list error in primary list"),
    (0x19, 0x03, "Defect list error in grown list"),
    (0x1a, 0x00, "Parameter list length error"),
    (0x1b, 0x00, "Synchronous data transfer error"),
    (0x1c, 0x00, "Defect list not found"),
    (0x1c, 0x01, "Primary defect list not found"),
    (0x1c, 0x02, "Grown defect list not found"),
    (0x1d, 0x00, "Miscompare during verify operation"),
    (0x1d, 0x01, "Miscompare verify of unmapped LBA"),
    (0x1e, 0x00, "Recovered ID with ECC correction"),
    (0x1f, 0x00, "Partial defect list transfer"),
    (0x20, 0x00, "Invalid command operation code"),
    (0x20, 0x01, "Access denied - initiator pending-enrolled"),
    (0x20, 0x02, "Access denied - no access rights"),
    (0x20, 0x03, "Access denied - invalid mgmt ID key"),
    (0x20, 0x04, "Illegal command while in write capable state"),
    (0x20, 0x05, "Obsolete"),
    (0x20, 0x06, "Illegal command while in explicit address mode"),
    (0x20, 0x07, "Illegal command while in implicit address mode"),
    (0x20, 0x08, "Access denied - enrollment conflict"),
    (0x20, 0x09, "Access denied - invalid LU identifier"),
    (0x20, 0x0a, "Access denied - invalid proxy token"),
    (0x20, 0x0b, "Access denied - ACL LUN conflict"),
    (0x20, 0x0c, "Illegal command when not in append-only mode"),
    (0x21, 0x00, "Logical block address out of range"),
    (0x21, 0x01, "Invalid element address"),
    (0x21, 0x02, "Invalid address for write"),
    (0x21, 0x03, "Invalid write crossing layer jump"),
    (0x21, 0x04, "Unaligned write command"),
    (0x21, 0x05, "Write boundary violation"),
    (0x21, 0x06, "Attempt to read invalid data"),
    (0x21, 0x07, "Read boundary violation"),
    (0x22, 0x00, "Illegal function (use 20 00, 24 00, or 26 00)"),
    (0x23, 0x00, "Invalid token operation, cause not reportable"),
    (
        0x23,
        0x01,
        "Invalid token operation, unsupported token type",
    ),
    (
        0x23,
        0x02,
        "Invalid token operation, remote token usage not supported",
    ),
    (
        0x23,
        0x03,
        "Invalid token operation, remote ROD token creation not supported",
    ),
    (0x23, 0x04, "Invalid token operation, token unknown"),
    (0x23, 0x05, "Invalid token operation, token corrupt"),
    (0x23, 0x06, "Invalid token operation, token revoked"),
    (0x23, 0x07, "Invalid token operation, token expired"),
    (0x23, 0x08, "Invalid token operation, token cancelled"),
    (0x23, 0x09, "Invalid token operation, token deleted"),
    (0x23, 0x0a, "Invalid token operation, invalid token length"),
    (0x24, 0x00, "Invalid field in CDB"),
    (0x24, 0x01, "CDB decryption error"),
    (0x24, 0x02, "Obsolete"),
    (0x24, 0x03, "Obsolete"),
    (0x24, 0x04, "Security audit value frozen"),
    (0x24, 0x05, "Security working key frozen"),
    (0x24, 0x06, "Nonce not unique"),
    (0x24, 0x07, "Nonce timestamp out of range"),
    (0x24, 0x08, "Invalid XCDB"),
    (0x25, 0x00, "Logical unit not supported"),
    (0x26, 0x00, "Invalid field in parameter list"),
    (0x26, 0x01, "Parameter not supported"),
    (0x26, 0x02, "Parameter value invalid"),
    (0x26, 0x03, "Threshold parameters not supported"),
    (0x26, 0x04, "Invalid release of persistent reservation"),
    (0x26, 0x05, "Data decryption error"),
    (0x26, 0x06, "Too many target descriptors"),
    (0x26, 0x07, "Unsupported target descriptor type code"),
    (0x26, 0x08, "Too many segment descriptors"),
    (0x26, 0x09, "Unsupported segment descriptor type code"),
    (0x26, 0x0a, "Unexpected inexact segment"),
    (0x26, 0x0b, "Inline data length exceeded"),
    (
        0x26,
        0x0c,
        "Invalid operation for copy source or destination",
    ),
    (0x26, 0x0d, "Copy segment granularity violation"),
    (0x26, 0x0e, "Invalid parameter while port is enabled"),
    (0x26, 0x0f, "Invalid data-out buffer integrity check value"),
    (0x26, 0x10, "Data decryption key fail limit reached"),
    (0x26, 0x11, "Incomplete key-associated data set"),
    (0x26, 0x12, "Vendor specific key reference not found"),
    (0x26, 0x13, "Application tag mode page is invalid"),
    (0x26, 0x14, "Tape stream mirroring prevented"),
    (0x26, 0x15, "Copy source or copy destination not authorized"),
    (0x27, 0x00, "Write protected"),
    (0x27, 0x01, "Hardware write protected"),
    (0x27, 0x02, "Logical unit software write protected"),
    (0x27, 0x03, "Associated write protect"),
    (0x27, 0x04, "Persistent write protect"),
    (0x27, 0x05, "Permanent write protect"),
    (0x27, 0x06, "Conditional write protect"),
    (0x27, 0x07, "Space allocation failed write protect"),
    (
        0x28,
        0x00,
        "Not ready to ready change, medium may have changed",
    ),
    (0x28, 0x01, "Import or export element accessed"),
    (0x28, 0x02, "Format-layer may have changed"),
    (0x28, 0x03, "Import/export element accessed, medium changed"),
    (0x29, 0x00, "Power on, reset, or bus device reset occurred"),
    (0x29, 0x01, "Power on occurred"),
    (0x29, 0x02, "SCSI bus reset occurred"),
    (0x29, 0x03, "Bus device reset function occurred"),
    (0x29, 0x04, "Device internal reset"),
    (0x29, 0x05, "Transceiver mode changed to single-ended"),
    (0x29, 0x06, "Transceiver mode changed to LVD"),
    (0x29, 0x07, "I_T nexus loss occurred"),
    (0x2a, 0x00, "Parameters changed"),
    (0x2a, 0x01, "Mode parameters changed"),
    (0x2a, 0x02, "Log parameters changed"),
    (0x2a, 0x03, "Reservations preempted"),
    (0x2a, 0x04, "Reservations released"),
    (0x2a, 0x05, "Registrations preempted"),
    (0x2a, 0x06, "Asymmetric access state changed"),
    (
        0x2a,
        0x07,
        "Implicit asymmetric access state transition failed",
    ),
    (0x2a, 0x08, "Priority changed"),
    (0x2a, 0x09, "Capacity data has changed"),
    (0x2a, 0x0a, "Error history I_T nexus cleared"),
    (0x2a, 0x0b, "Error history snapshot released"),
    (0x2a, 0x0c, "Error recovery attributes have changed"),
    (0x2a, 0x0d, "Data encryption capabilities changed"),
    (0x2a, 0x10, "Timestamp changed"),
    (
        0x2a,
        0x11,
        "Data encryption parameters changed by another I_T nexus",
    ),
    (
        0x2a,
        0x12,
        "Data encryption parameters changed by vendor specific event",
    ),
    (
        0x2a,
        0x13,
        "Data encryption key instance counter has changed",
    ),
    (0x2a, 0x14, "SA creation capabilities data has changed"),
    (0x2a, 0x15, "Medium removal prevention preempted"),
    (
        0x2b,
        0x00,
        "Copy cannot execute since host cannot disconnect",
    ),
    (0x2c, 0x00, "Command sequence error"),
    (0x2c, 0x01, "Too many windows specified"),
    (0x2c, 0x02, "Invalid combination of windows specified"),
    (0x2c, 0x03, "Current program area is not empty"),
    (0x2c, 0x04, "Current program area is empty"),
    (0x2c, 0x05, "Illegal power condition request"),
    (0x2c, 0x06, "Persistent prevent conflict"),
    (0x2c, 0x07, "Previous busy status"),
    (0x2c, 0x08, "Previous task set full status"),
    (0x2c, 0x09, "Previous reservation conflict status"),
    (0x2c, 0x0a, "Partition or collection contains user objects"),
    (0x2c, 0x0b, "Not reserved"),
    (0x2c, 0x0c, "ORWRITE generation does not match"),
    (0x2d, 0x00, "Overwrite error on update in place"),
    (0x2e, 0x00, "Insufficient time for operation"),
    (0x2e, 0x01, "Command timeout before processing"),
    (0x2e, 0x02, "Command timeout during processing"),
    (
        0x2e,
        0x03,
        "Command timeout during processing due to error recovery",
    ),
    (0x2f, 0x00, "Commands cleared by another initiator"),
    (0x2f, 0x01, "Commands cleared by power loss notification"),
    (0x2f, 0x02, "Commands cleared by device server"),
    (0x2f, 0x03, "Some commands cleared by queuing layer event"),
    (0x30, 0x00, "Incompatible medium installed"),
    (0x30, 0x01, "Cannot read medium - unknown format"),
    (0x30, 0x02, "Cannot read medium - incompatible format"),
    (0x30, 0x03, "Cleaning cartridge installed"),
    (0x30, 0x04, "Cannot write medium - unknown format"),
    (0x30, 0x05, "Cannot write medium - incompatible format"),
    (0x30, 0x06, "Cannot format medium - incompatible medium"),
    (0x30, 0x07, "Cleaning failure"),
    (0x30, 0x08, "Cannot write - application code mismatch"),
    (0x30, 0x09, "Current session not fixated for append"),
    (0x30, 0x0a, "Cleaning request rejected"),
    (0x30, 0x0c, "WORM medium - overwrite attempted"),
    (0x30, 0x0d, "WORM medium - integrity check"),
    (0x30, 0x10, "Medium not formatted"),
    (0x30, 0x11, "Incompatible volume type"),
    (0x30, 0x12, "Incompatible volume qualifier"),
    (0x30, 0x13, "Cleaning volume expired"),
    (0x31, 0x00, "Medium format corrupted"),
    (0x31, 0x01, "Format command failed"),
    (0x31, 0x02, "Zoned formatting failed due to spare linking"),
    (0x31, 0x03, "Sanitize command failed"),
    (0x32, 0x00, "No defect spare location available"),
    (0x32, 0x01, "Defect list update failure"),
    (0x33, 0x00, "Tape length error"),
    (0x34, 0x00, "Enclosure failure"),
    (0x35, 0x00, "Enclosure services failure"),
    (0x35, 0x01, "Unsupported enclosure function"),
    (0x35, 0x02, "Enclosure services unavailable"),
    (0x35, 0x03, "Enclosure services transfer failure"),
    (0x35, 0x04, "Enclosure services transfer refused"),
    (0x35, 0x05, "Enclosure services checksum error"),
    (0x36, 0x00, "Ribbon, ink, or toner failure"),
    (0x37, 0x00, "Rounded parameter"),
    (0x38, 0x00, "Event status notification"),
    (0x38, 0x02, "ESN - power management class event"),
    (0x38, 0x04, "ESN - media class event"),
    (0x38, 0x06, "ESN - device busy class event"),
    (0x38, 0x07, "Thin provisioning soft threshold reached"),
    (0x39, 0x00, "Saving parameters not supported"),
    (0x3a, 0x00, "Medium not present"),
    (0x3a, 0x01, "Medium not present - tray closed"),
    (0x3a, 0x02, "Medium not present - tray open"),
    (0x3a, 0x03, "Medium not present - loadable"),
    (
        0x3a,
        0x04,
        "Medium not present - medium auxiliary memory accessible",
    ),
    (0x3b, 0x00, "Sequential positioning error"),
    (0x3b, 0x01, "Tape position error at beginning-of-medium"),
    (0x3b, 0x02, "Tape position error at end-of-medium"),
    (
        0x3b,
        0x03,
        "Tape or electronic vertical forms unit not ready",
    ),
    (0x3b, 0x04, "Slew failure"),
    (0x3b, 0x05, "Paper jam"),
    (0x3b, 0x06, "Failed to sense top-of-form"),
    (0x3b, 0x07, "Failed to sense bottom-of-form"),
    (0x3b, 0x08, "Reposition error"),
    (0x3b, 0x09, "Read past end of medium"),
    (0x3b, 0x0a, "Read past beginning of medium"),
    (0x3b, 0x0b, "Position past end of medium"),
    (0x3b, 0x0c, "Position past beginning of medium"),
    (0x3b, 0x0d, "Medium destination element full"),
    (0x3b, 0x0e, "Medium source element empty"),
    (0x3b, 0x0f, "End of medium reached"),
    (0x3b, 0x11, "Medium magazine not accessible"),
    (0x3b, 0x12, "Medium magazine removed"),
    (0x3b, 0x13, "Medium magazine inserted"),
    (0x3b, 0x14, "Medium magazine locked"),
    (0x3b, 0x15, "Medium magazine unlocked"),
    (0x3b, 0x16, "Mechanical positioning or changer error"),
    (0x3b, 0x17, "Read past end of user object"),
    (0x3b, 0x18, "Element disabled"),
    (0x3b, 0x19, "Element enabled"),
    (0x3b, 0x1a, "Data transfer device removed"),
    (0x3b, 0x1b, "Data transfer device inserted"),
    (
        0x3b,
        0x1c,
        "Too many logical objects on partition to support operation",
    ),
    (0x3d, 0x00, "Invalid bits in IDENTIFY message"),
    (0x3e, 0x00, "Logical unit has not self-configured yet"),
    (0x3e, 0x01, "Logical unit failure"),
    (0x3e, 0x02, "Timeout on logical unit"),
    (0x3e, 0x03, "Logical unit failed self-test"),
    (0x3e, 0x04, "Logical unit unable to update self-test log"),
    (0x3f, 0x00, "Target operating conditions have changed"),
    (0x3f, 0x01, "Microcode has been changed"),
    (0x3f, 0x02, "Changed operating definition"),
    (0x3f, 0x03, "Inquiry data has changed"),
    (0x3f, 0x04, "Component device attached"),
    (0x3f, 0x05, "Device identifier changed"),
    (0x3f, 0x06, "Redundancy group created or modified"),
    (0x3f, 0x07, "Redundancy group deleted"),
    (0x3f, 0x08, "Spare created or modified"),
    (0x3f, 0x09, "Spare deleted"),
    (0x3f, 0x0a, "Volume set created or modified"),
    (0x3f, 0x0b, "Volume set deleted"),
    (0x3f, 0x0c, "Volume set deassigned"),
    (0x3f, 0x0d, "Volume set reassigned"),
    (0x3f, 0x0e, "Reported LUNs data has changed"),
    (0x3f, 0x0f, "Echo buffer overwritten"),
    (0x3f, 0x10, "Medium loadable"),
    (0x3f, 0x11, "Medium auxiliary memory accessible"),
    (0x3f, 0x12, "iSCSI IP address added"),
    (0x3f, 0x13, "iSCSI IP address removed"),
    (0x3f, 0x14, "iSCSI IP address changed"),
    (0x3f, 0x15, "Inspect referrals sense descriptors"),
    (0x40, 0x00, "RAM failure (should use 40 NN)"),
    (0x41, 0x00, "Data path failure (should use 40 NN)"),
    (
        0x42,
        0x00,
        "Power-on or self-test failure (should use 40 NN)",
    ),
    (0x43, 0x00, "Message error"),
    (0x44, 0x00, "Internal target failure"),
    (0x44, 0x01, "Persistent reservation information lost"),
    (0x44, 0x71, "ATA device failed set features"),
    (0x45, 0x00, "Select or reselect failure"),
    (0x46, 0x00, "Unsuccessful soft reset"),
    (0x47, 0x00, "SCSI parity error"),
    (0x47, 0x01, "Data phase CRC error detected"),
    (
        0x47,
        0x02,
        "SCSI parity error detected during ST data phase",
    ),
    (0x47, 0x03, "Information unit iuCRC error detected"),
    (
        0x47,
        0x04,
        "Asynchronous information protection error detected",
    ),
    (0x47, 0x05, "Protocol service CRC error"),
    (0x47, 0x06, "PHY test function in progress"),
    (0x47, 0x7f, "Some commands cleared by iSCSI protocol event"),
    (0x48, 0x00, "Initiator detected error message received"),
    (0x49, 0x00, "Invalid message error"),
    (0x4a, 0x00, "Command phase error"),
    (0x4b, 0x00, "Data phase error"),
    (0x4b, 0x01, "Invalid target port transfer tag received"),
    (0x4b, 0x02, "Too much write data"),
    (0x4b, 0x03, "ACK/NAK timeout"),
    (0x4b, 0x04, "NAK received"),
    (0x4b, 0x05, "Data offset error"),
    (0x4b, 0x06, "Initiator response timeout"),
    (0x4b, 0x07, "Connection lost"),
    (0x4b, 0x08, "Data-in buffer overflow - data buffer size"),
    (
        0x4b,
        0x09,
        "Data-in buffer overflow - data buffer descriptor area",
    ),
    (0x4b, 0x0a, "Data-in buffer error"),
    (0x4b, 0x0b, "Data-out buffer overflow - data buffer size"),
    (
        0x4b,
        0x0c,
        "Data-out buffer overflow - data buffer descriptor area",
    ),
    (0x4b, 0x0d, "Data-out buffer error"),
    (0x4c, 0x00, "Logical unit failed self-configuration"),
    (0x4e, 0x00, "Overlapped commands attempted"),
    (0x50, 0x00, "Write append error"),
    (0x50, 0x01, "Write append position error"),
    (0x50, 0x02, "Position error related to timing"),
    (0x51, 0x00, "Erase failure"),
    (
        0x51,
        0x01,
        "Erase failure - incomplete erase operation detected",
    ),
    (0x52, 0x00, "Cartridge fault"),
    (0x53, 0x00, "Media load or eject failed"),
    (0x53, 0x01, "Unload tape failure"),
    (0x53, 0x02, "Medium removal prevented"),
    (
        0x53,
        0x03,
        "Medium removal prevented by data transfer element",
    ),
    (0x53, 0x04, "Medium thread or unthread failure"),
    (0x53, 0x05, "Volume identifier invalid"),
    (0x53, 0x06, "Volume identifier missing"),
    (0x53, 0x07, "Duplicate volume identifier"),
    (0x53, 0x08, "Element status unknown"),
    (0x54, 0x00, "SCSI to host system interface failure"),
    (0x55, 0x00, "System resource failure"),
    (0x55, 0x01, "System buffer full"),
    (0x55, 0x02, "Insufficient reservation resources"),
    (0x55, 0x03, "Insufficient resources"),
    (0x55, 0x04, "Insufficient registration resources"),
    (0x55, 0x05, "Insufficient access control resources"),
    (0x55, 0x06, "Auxiliary memory out of space"),
    (0x55, 0x07, "Quota error"),
    (
        0x55,
        0x08,
        "Maximum number of supplemental decryption keys exceeded",
    ),
    (0x55, 0x09, "Medium auxiliary memory not accessible"),
    (0x55, 0x0a, "Data currently unavailable"),
    (0x55, 0x0b, "Insufficient power for operation"),
    (0x55, 0x0c, "Insufficient resources to create ROD"),
    (0x55, 0x0d, "Insufficient resources to create ROD token"),
    (0x57, 0x00, "Unable to recover table-of-contents"),
    (0x58, 0x00, "Generation does not exist"),
    (0x59, 0x00, "Updated block read"),
    (0x5a, 0x00, "Operator request or state change input"),
    (0x5a, 0x01, "Operator medium removal request"),
    (0x5a, 0x02, "Operator selected write protect"),
    (0x5a, 0x03, "Operator selected write permit"),
    (0x5b, 0x00, "Log exception"),
    (0x5b, 0x01, "Threshold condition met"),
    (0x5b, 0x02, "Log counter at maximum"),
    (0x5b, 0x03, "Log list codes exhausted"),
    (0x5c, 0x00, "RPL status change"),
    (0x5c, 0x01, "Spindles synchronized"),
    (0x5c, 0x02, "Spindles not synchronized"),
    (0x5d, 0x00, "Failure prediction threshold exceeded"),
    (0x5d, 0x01, "Media failure prediction threshold exceeded"),
    (
        0x5d,
        0x02,
        "Logical unit failure prediction threshold exceeded",
    ),
    (
        0x5d,
        0x03,
        "Spare area exhaustion prediction threshold exceeded",
    ),
    (0x5d, 0xff, "Failure prediction threshold exceeded (false)"),
    (0x5e, 0x00, "Low power condition on"),
    (0x5e, 0x01, "Idle condition activated by timer"),
    (0x5e, 0x02, "Standby condition activated by timer"),
    (0x5e, 0x03, "Idle condition activated by command"),
    (0x5e, 0x04, "Standby condition activated by command"),
    (0x5e, 0x05, "IDLE_B condition activated by timer"),
    (0x5e, 0x06, "IDLE_B condition activated by command"),
    (0x5e, 0x07, "IDLE_C condition activated by timer"),
    (0x5e, 0x08, "IDLE_C condition activated by command"),
    (0x5e, 0x09, "STANDBY_Y condition activated by timer"),
    (0x5e, 0x0a, "STANDBY_Y condition activated by command"),
    (0x5e, 0x41, "Power state change to active"),
    (0x5e, 0x42, "Power state change to idle"),
    (0x5e, 0x43, "Power state change to standby"),
    (0x5e, 0x45, "Power state change to sleep"),
    (0x5e, 0x47, "Power state change to device control"),
    (0x60, 0x00, "Lamp failure"),
    (0x61, 0x00, "Video acquisition error"),
    (0x61, 0x01, "Unable to acquire video"),
    (0x61, 0x02, "Out of focus"),
    (0x62, 0x00, "Scan head positioning error"),
    (0x63, 0x00, "End of user area encountered on this track"),
    (0x63, 0x01, "Packet does not fit in available space"),
    (0x64, 0x00, "Illegal mode for this track"),
    (0x64, 0x01, "Invalid packet size"),
    (0x65, 0x00, "Voltage fault"),
    (0x66, 0x00, "Automatic document feeder cover up"),
    (0x66, 0x01, "Automatic document feeder lift up"),
    (0x66, 0x02, "Document jam in automatic document feeder"),
    (
        0x66,
        0x03,
        "Document miss feed automatic in document feeder",
    ),
    (0x67, 0x00, "Configuration failure"),
    (
        0x67,
        0x01,
        "Configuration of incapable logical units failed",
    ),
    (0x67, 0x02, "Add logical unit failed"),
    (0x67, 0x03, "Modification of logical unit failed"),
    (0x67, 0x04, "Exchange of logical unit failed"),
    (0x67, 0x05, "Remove of logical unit failed"),
    (0x67, 0x06, "Attachment of logical unit failed"),
    (0x67, 0x07, "Creation of logical unit failed"),
    (0x67, 0x08, "Assign failure occurred"),
    (0x67, 0x09, "Multiply assigned logical unit"),
    (0x67, 0x0a, "Set target port groups command failed"),
    (0x67, 0x0b, "ATA device feature not enabled"),
    (0x68, 0x00, "Logical unit not configured"),
    (0x69, 0x00, "Data loss on logical unit"),
    (0x69, 0x01, "Multiple logical unit failures"),
    (0x69, 0x02, "Parity/data mismatch"),
    (0x6a, 0x00, "Informational, refer to log"),
    (0x6b, 0x00, "State change has occurred"),
    (0x6b, 0x01, "Redundancy level got better"),
    (0x6b, 0x02, "Redundancy level got worse"),
    (0x6c, 0x00, "Rebuild failure occurred"),
    (0x6d, 0x00, "Recalculate failure occurred"),
    (0x6e, 0x00, "Command to logical unit failed"),
    (
        0x6f,
        0x00,
        "Copy protection key exchange failure - authentication failure",
    ),
    (
        0x6f,
        0x01,
        "Copy protection key exchange failure - key not present",
    ),
    (
        0x6f,
        0x02,
        "Copy protection key exchange failure - key not established",
    ),
    (
        0x6f,
        0x03,
        "Read of scrambled sector without authentication",
    ),
    (
        0x6f,
        0x04,
        "Media region code is mismatched to logical unit region",
    ),
    (
        0x6f,
        0x05,
        "Drive region must be permanent/region reset count error",
    ),
    (0x71, 0x00, "Decompression exception long algorithm ID"),
    (0x72, 0x00, "Session fixation error"),
    (0x72, 0x01, "Session fixation error writing lead-in"),
    (0x72, 0x02, "Session fixation error writing lead-out"),
    (
        0x72,
        0x03,
        "Session fixation error - incomplete track in session",
    ),
    (0x72, 0x04, "Empty or partially written reserved track"),
    (0x72, 0x05, "No more track reservations allowed"),
    (0x72, 0x06, "RMZ extension is not allowed"),
    (0x72, 0x07, "No more test zone extensions are allowed"),
    (0x73, 0x00, "CD control error"),
    (0x73, 0x01, "Power calibration area almost full"),
    (0x73, 0x02, "Power calibration area is full"),
    (0x73, 0x03, "Power calibration area error"),
    (0x73, 0x04, "Program memory area update failure"),
    (0x73, 0x05, "Program memory area is full"),
    (0x73, 0x06, "RMA/PMA is almost full"),
    (0x73, 0x10, "Current power calibration area almost full"),
    (0x73, 0x11, "Current power calibration area is full"),
    (0x73, 0x17, "RDZ is full"),
    (0x74, 0x00, "Security error"),
    (0x74, 0x01, "Unable to decrypt data"),
    (0x74, 0x02, "Unencrypted data encountered while decrypting"),
    (0x74, 0x03, "Incorrect data encryption key"),
    (0x74, 0x04, "Cryptographic integrity validation failed"),
    (0x74, 0x05, "Error decrypting data"),
    (0x74, 0x06, "Unknown signature verification key"),
    (0x74, 0x07, "Encryption parameters not useable"),
    (0x74, 0x08, "Digital signature validation failure"),
    (0x74, 0x09, "Encryption mode mismatch on read"),
    (0x74, 0x0a, "Encrypted block not raw read enabled"),
    (0x74, 0x0b, "Incorrect encryption parameters"),
    (0x74, 0x0c, "Unable to decrypt parameter list"),
    (0x74, 0x0d, "Encryption algorithm disabled"),
    (0x74, 0x10, "SA creation parameter value invalid"),
    (0x74, 0x11, "SA creation parameter value rejected"),
    (0x74, 0x12, "Invalid SA usage"),
    (0x74, 0x21, "Data encryption configuration prevented"),
    (0x74, 0x30, "SA creation parameter not supported"),
    (0x74, 0x40, "Authentication failed"),
    (
        0x74,
        0x61,
        "External data encryption key manager access error",
    ),
    (0x74, 0x62, "External data encryption key manager error"),
    (0x74, 0x63, "External data encryption key not found"),
    (
        0x74,
        0x64,
        "External data encryption request not authorized",
    ),
    (0x74, 0x6e, "External data encryption control timeout"),
    (0x74, 0x6f, "External data encryption control error"),
    (0x74, 0x71, "Logical unit access not authorized"),
    (0x74, 0x79, "Security conflict in translated device"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_pairs_are_their_table_entries() {
        for (pair, name) in [
            (
                NO_ADDITIONAL_SENSE_INFORMATION,
                "No additional sense information",
            ),
            (FILEMARK_DETECTED, "Filemark detected"),
            (
                END_OF_PARTITION_MEDIUM_DETECTED,
                "End-of-partition/medium detected",
            ),
            (
                BEGINNING_OF_PARTITION_MEDIUM_DETECTED,
                "Beginning-of-partition/medium detected",
            ),
            (END_OF_DATA_DETECTED, "End-of-data detected"),
            (WRITE_ERROR, "Write error"),
            (UNRECOVERED_READ_ERROR, "Unrecovered read error"),
            (THIRD_PARTY_DEVICE_FAILURE, "Third party device failure"),
            (
                COPY_TARGET_DEVICE_NOT_REACHABLE,
                "Copy target device not reachable",
            ),
            (MECHANICAL_POSITIONING_ERROR, "Mechanical positioning error"),
        ] {
            assert_eq!(asc_name(pair.asc, pair.ascq), Some(name), "{pair:?}");
        }
    }

    #[test]
    fn asc_names() {
        assert_eq!(
            asc_name(0x0d, 0x02),
            Some("Copy target device not reachable")
        );
        assert_eq!(asc_name(0x08, 0x04), Some("Unreachable copy target"));
        assert_eq!(
            asc_name(0x26, 0x00),
            Some("Invalid field in parameter list")
        );
        assert_eq!(asc_name(0x3f, 0x0e), Some("Reported LUNs data has changed"));
        assert_eq!(
            asc_name(0x5d, 0x32),
            Some("Data channel impending failure data error rate too high")
        );
        assert_eq!(
            asc_name(0x40, 0x91),
            Some("Diagnostic failure on component NN (80h-FFh)")
        );
        assert_eq!(asc_name(0x40, 0x00), Some("RAM failure (should use 40 NN)"));
        assert_eq!(asc_name(0x80, 0x01), None);
        assert_eq!(asc_name(0x04, 0xf0), None);
        let words = |a, q| AdditionalSense { asc: a, ascq: q }.to_string();
        assert_eq!(
            words(0x40, 0x91),
            "Diagnostic failure on component 0x91 (0x40/0x91)"
        );
        assert_eq!(
            words(0x4d, 0x07),
            "Tagged overlapped commands (task tag 0x07) (0x4d/0x07)"
        );
        assert_eq!(words(0x80, 0x01), "vendor specific ASC=80, ASCQ=01 (hex)");
        assert_eq!(
            words(0x04, 0xf0),
            "ASC=04, vendor specific qualification ASCQ=f0 (hex)"
        );
        assert_eq!(words(0x5f, 0x00), "ASC=5f, ASCQ=00 (hex)");
    }

    #[test]
    fn asc_table_sorted_unique_and_large() {
        assert!(ASC_TABLE.len() >= 150);
        for w in ASC_TABLE.windows(2) {
            assert!(
                (w[0].0, w[0].1) < (w[1].0, w[1].1),
                "{:02x}/{:02x}",
                w[1].0,
                w[1].1
            );
        }
        assert!(ASC_TABLE.iter().all(|e| !e.2.is_empty()));
    }
}
