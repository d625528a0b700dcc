//! Copy source and copy destination (CSCD) descriptors of the EXTENDED COPY
//! parameter list (SPC-4 r37 §6.4.5): the 32-byte common layout, the
//! Identification descriptor (E4h, §6.4.5.6) built from a VPD 83h
//! designator, and the device type specific parameters for block
//! (§6.4.5.3.2), stream (§6.4.5.3.3) and processor (§6.4.5.3.4) devices.
//!
//! Other descriptor types (E0h–E3h, E5h–E9h, FEh: 32 bytes; EAh, EBh: 64
//! bytes) are kept raw so a copy manager can answer UNSUPPORTED TARGET
//! DESCRIPTOR TYPE CODE instead of the parser failing.
//!
//! `parse` enforces: the descriptor is complete (32 or 64 bytes by type); an
//! E4h DESIGNATOR LENGTH is at most 20 and the padding after the designator
//! is zero (so emit reproduces it). It does *not* judge whether a copy
//! manager supports the designator (LIO wants binary NAA 6, 16 bytes): that
//! is the copy manager's call, with its own sense.

use super::vpd::Designator;
use super::{bit_fields, check_len, check_out, flag_fields, view, Repr, Result, WireError};

mod field {
    use crate::wire::Field;
    /// DESCRIPTOR TYPE CODE.
    pub const TYPE: usize = 0;
    /// LU ID TYPE (7-6), NUL (5), PERIPHERAL DEVICE TYPE (4-0).
    pub const LUIDT_PDT: usize = 1;
    /// RELATIVE INITIATOR PORT IDENTIFIER.
    pub const RELATIVE_INITIATOR_PORT: Field = 2..4;
    /// E4h: CODE SET and the designator header bytes (4..8).
    pub const DESIGNATOR_HEADER: Field = 4..8;
    /// E4h: DESIGNATOR LENGTH.
    pub const DESIGNATOR_LENGTH: usize = 7;
    /// E4h: DESIGNATOR, zero padded.
    pub const DESIGNATOR: Field = 8..28;
    /// Device type specific parameters.
    pub const DEVICE_PARAMS: Field = 28..32;
    /// Device type specific: flags byte (PAD, FIXED).
    pub const DTSP_FLAGS: usize = 28;
    /// Device type specific: DISK BLOCK LENGTH / STREAM BLOCK LENGTH.
    pub const DTSP_BLOCK_LENGTH: Field = 29..32;
}

/// Length of most CSCD descriptors.
pub const CSCD_LEN: usize = 32;
/// Length of the IPv6 (EAh) and IP copy service (EBh) descriptors.
pub const CSCD_LONG_LEN: usize = 64;
/// The most bytes an E4h designator may have.
pub const MAX_E4_DESIGNATOR: usize = 20;
/// The CSCD index that names the copy manager's own logical unit (SPC-4
/// §6.4.6.1: FFFFh "the logical unit that is the copy manager").
pub const CSCD_INDEX_COPY_MANAGER: u16 = 0xffff;

/// Known descriptor type codes (SPC-4 table 108).
pub mod code {
    /// Fibre Channel N_Port_Name.
    pub const FC_N_PORT_NAME: u8 = 0xe0;
    /// Fibre Channel N_Port_ID.
    pub const FC_N_PORT_ID: u8 = 0xe1;
    /// Fibre Channel N_Port_ID with N_Port_Name checking.
    pub const FC_N_PORT_ID_NAME: u8 = 0xe2;
    /// Parallel interface T_L.
    pub const SPI_T_L: u8 = 0xe3;
    /// Identification descriptor.
    pub const IDENTIFICATION: u8 = 0xe4;
    /// IPv4.
    pub const IPV4: u8 = 0xe5;
    /// Alias.
    pub const ALIAS: u8 = 0xe6;
    /// RDMA.
    pub const RDMA: u8 = 0xe7;
    /// IEEE 1394 EUI-64.
    pub const IEEE_1394: u8 = 0xe8;
    /// SAS serial SCSI protocol.
    pub const SAS: u8 = 0xe9;
    /// IPv6 (64 bytes).
    pub const IPV6: u8 = 0xea;
    /// IP copy service (64 bytes).
    pub const IP_COPY_SERVICE: u8 = 0xeb;
    /// ROD CSCD.
    pub const ROD: u8 = 0xfe;

    /// Name in words.
    pub fn name(c: u8) -> &'static str {
        match c {
            FC_N_PORT_NAME => "Fibre Channel N_Port_Name",
            FC_N_PORT_ID => "Fibre Channel N_Port_ID",
            FC_N_PORT_ID_NAME => "Fibre Channel N_Port_ID with N_Port_Name checking",
            SPI_T_L => "Parallel interface T_L",
            IDENTIFICATION => "Identification descriptor",
            IPV4 => "IPv4",
            ALIAS => "Alias",
            RDMA => "RDMA",
            IEEE_1394 => "IEEE 1394 EUI-64",
            SAS => "SAS serial SCSI protocol",
            IPV6 => "IPv6",
            IP_COPY_SERVICE => "IP copy service",
            ROD => "ROD",
            _ => "unknown CSCD descriptor type",
        }
    }
}

/// How many bytes a CSCD descriptor of type `code` takes.
pub fn descriptor_len(type_code: u8) -> usize {
    match type_code {
        code::IPV6 | code::IP_COPY_SERVICE => CSCD_LONG_LEN,
        _ => CSCD_LEN,
    }
}

view!(
    /// A CSCD descriptor's fixed 32 bytes.
    CscdView,
    "CSCD descriptor",
    CSCD_LEN
);

super::be_fields!(CscdView {
    /// DESCRIPTOR TYPE CODE.
    type_code, set_type_code: u8 = field::TYPE..field::TYPE + 1;
    /// RELATIVE INITIATOR PORT IDENTIFIER.
    relative_initiator_port, set_relative_initiator_port: u16 = field::RELATIVE_INITIATOR_PORT;
    /// E4h DESIGNATOR LENGTH.
    designator_length, set_designator_length: u8 = field::DESIGNATOR_LENGTH..field::DESIGNATOR_LENGTH + 1;
    /// DISK/STREAM BLOCK LENGTH of the device type specific parameters.
    block_length, set_block_length: u32 = field::DTSP_BLOCK_LENGTH;
});

bit_fields!(CscdView {
    /// LU ID TYPE: 00b LUN, 01b proxy token, 10b/11b reserved.
    lu_id_type, set_lu_id_type: field::LUIDT_PDT, 6, 2;
    /// PERIPHERAL DEVICE TYPE of the copy source or destination.
    peripheral_device_type, set_peripheral_device_type: field::LUIDT_PDT, 0, 5;
});

flag_fields!(CscdView {
    /// NUL (SPC-3; obsolete in SPC-4).
    nul, set_nul: field::LUIDT_PDT, 5;
    /// PAD of the device type specific parameters.
    pad, set_pad: field::DTSP_FLAGS, 2;
    /// FIXED of the stream device type specific parameters.
    fixed, set_fixed: field::DTSP_FLAGS, 0;
});

impl<T: AsRef<[u8]>> CscdView<T> {
    /// The E4h designator header bytes 4..8.
    pub fn designator_header(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DESIGNATOR_HEADER]
    }
    /// The 20-byte E4h DESIGNATOR field, padding included.
    pub fn designator_field(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DESIGNATOR]
    }
    /// The device type specific parameter bytes.
    pub fn device_params(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DEVICE_PARAMS]
    }
}

/// Device type specific parameters (bytes 28–31).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceParams {
    /// Block devices (PDT 00h, 04h, 05h, 07h, 0Eh).
    Block {
        /// PAD: pad/discard to whole blocks.
        pad: bool,
        /// DISK BLOCK LENGTH in bytes.
        disk_block_length: u32,
    },
    /// Sequential-access (stream) devices (PDT 01h).
    Stream {
        /// PAD.
        pad: bool,
        /// FIXED: fixed-block mode of the stream device.
        fixed: bool,
        /// STREAM BLOCK LENGTH in bytes (fixed mode).
        stream_block_length: u32,
    },
    /// Processor devices (PDT 03h).
    Processor {
        /// PAD.
        pad: bool,
    },
    /// Anything else, or bits reserved for the device type set.
    Raw([u8; 4]),
}

/// Peripheral device types that use the block device parameters.
pub fn is_block_type(pdt: u8) -> bool {
    matches!(pdt, 0x00 | 0x04 | 0x05 | 0x07 | 0x0e)
}

impl DeviceParams {
    fn parse(pdt: u8, b: &[u8]) -> Self {
        let raw = [b[0], b[1], b[2], b[3]];
        let len = super::get_be(&b[1..4]) as u32;
        let pad = b[0] & 0x04 != 0;
        match pdt {
            p if is_block_type(p) && b[0] & !0x04 == 0 => DeviceParams::Block {
                pad,
                disk_block_length: len,
            },
            0x01 if b[0] & !0x05 == 0 => DeviceParams::Stream {
                pad,
                fixed: b[0] & 0x01 != 0,
                stream_block_length: len,
            },
            0x03 if b[0] & !0x04 == 0 && len == 0 => DeviceParams::Processor { pad },
            _ => DeviceParams::Raw(raw),
        }
    }

    fn emit(&self, b: &mut [u8]) -> Result<()> {
        let (flags, len) = match *self {
            DeviceParams::Block {
                pad,
                disk_block_length,
            } => (u8::from(pad) << 2, disk_block_length),
            DeviceParams::Stream {
                pad,
                fixed,
                stream_block_length,
            } => ((u8::from(pad) << 2) | u8::from(fixed), stream_block_length),
            DeviceParams::Processor { pad } => (u8::from(pad) << 2, 0),
            DeviceParams::Raw(r) => {
                b.copy_from_slice(&r);
                return Ok(());
            }
        };
        super::check_fits("CSCD descriptor", "BLOCK LENGTH", u64::from(len), 3)?;
        b[0] = flags;
        super::put_be(&mut b[1..4], u64::from(len));
        Ok(())
    }

    /// The block length these parameters give, if any.
    pub fn block_length(&self) -> Option<u32> {
        match *self {
            DeviceParams::Block {
                disk_block_length, ..
            } => Some(disk_block_length),
            DeviceParams::Stream {
                stream_block_length,
                ..
            } => Some(stream_block_length),
            _ => None,
        }
    }
}

/// An Identification CSCD descriptor (E4h).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdentificationCscd {
    /// LU ID TYPE (2 bits).
    pub lu_id_type: u8,
    /// NUL (SPC-3).
    pub nul: bool,
    /// PERIPHERAL DEVICE TYPE (5 bits).
    pub peripheral_device_type: u8,
    /// RELATIVE INITIATOR PORT IDENTIFIER.
    pub relative_initiator_port: u16,
    /// The designator (bytes 4–27; bytes 4–6 as in a VPD 83h descriptor).
    pub designator: Designator,
    /// Device type specific parameters.
    pub params: DeviceParams,
}

impl IdentificationCscd {
    /// An E4h descriptor naming a block device by `designator`.
    ///
    /// The protocol identifier and PIV of a VPD designator are not part of
    /// E4h (reserved there); they are cleared.
    pub fn block(designator: &Designator, pdt: u8, disk_block_length: u32) -> Self {
        IdentificationCscd {
            lu_id_type: 0,
            nul: false,
            peripheral_device_type: pdt,
            relative_initiator_port: 0,
            designator: e4_designator(designator),
            params: DeviceParams::Block {
                pad: false,
                disk_block_length,
            },
        }
    }

    /// An E4h descriptor naming a stream (tape) device by `designator`.
    /// `stream_block_length` 0 with `fixed` false is variable-block mode.
    pub fn stream(designator: &Designator, fixed: bool, stream_block_length: u32) -> Self {
        IdentificationCscd {
            lu_id_type: 0,
            nul: false,
            peripheral_device_type: 0x01,
            relative_initiator_port: 0,
            designator: e4_designator(designator),
            params: DeviceParams::Stream {
                pad: false,
                fixed,
                stream_block_length,
            },
        }
    }
}

fn e4_designator(d: &Designator) -> Designator {
    Designator {
        protocol_identifier: 0,
        piv: false,
        reserved_bit: false,
        reserved_byte: 0,
        ..d.clone()
    }
}

/// One CSCD descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CscdDescriptor {
    /// E4h.
    Identification(IdentificationCscd),
    /// Any other type, all of its bytes (32, or 64 for EAh/EBh).
    Raw(Vec<u8>),
}

impl CscdDescriptor {
    /// DESCRIPTOR TYPE CODE.
    pub fn type_code(&self) -> u8 {
        match self {
            CscdDescriptor::Identification(_) => code::IDENTIFICATION,
            CscdDescriptor::Raw(b) => b.first().copied().unwrap_or(0),
        }
    }

    /// PERIPHERAL DEVICE TYPE.
    pub fn peripheral_device_type(&self) -> u8 {
        match self {
            CscdDescriptor::Identification(i) => i.peripheral_device_type,
            CscdDescriptor::Raw(b) => b.get(field::LUIDT_PDT).map_or(0, |v| v & 0x1f),
        }
    }
}

impl Repr for CscdDescriptor {
    fn parse(buf: &[u8]) -> Result<Self> {
        const WHAT: &str = "CSCD descriptor";
        check_len(WHAT, buf, 1)?;
        let len = descriptor_len(buf[field::TYPE]);
        check_len(WHAT, buf, len)?;
        let v = CscdView::new_unchecked(&buf[..len]);
        if v.type_code() != code::IDENTIFICATION {
            return Ok(CscdDescriptor::Raw(buf[..len].to_vec()));
        }
        let dlen = usize::from(v.designator_length());
        if dlen > MAX_E4_DESIGNATOR {
            return Err(WireError::InvalidField {
                what: "Identification CSCD descriptor",
                field: "DESIGNATOR LENGTH",
                value: dlen as u64,
            });
        }
        let field = v.designator_field();
        if field[dlen..].iter().any(|&b| b != 0) {
            return Err(WireError::Inconsistent {
                what: "Identification CSCD descriptor",
                reason: "bytes after the designator (its padding) are not zero",
            });
        }
        let mut hdr = [0u8; 4];
        hdr.copy_from_slice(v.designator_header());
        let mut whole = hdr.to_vec();
        whole.extend_from_slice(&field[..dlen]);
        let (designator, _) = Designator::parse_one(&whole)?;
        let pdt = v.peripheral_device_type();
        Ok(CscdDescriptor::Identification(IdentificationCscd {
            lu_id_type: v.lu_id_type(),
            nul: v.nul(),
            peripheral_device_type: pdt,
            relative_initiator_port: v.relative_initiator_port(),
            designator,
            params: DeviceParams::parse(pdt, v.device_params()),
        }))
    }

    fn buffer_len(&self) -> usize {
        match self {
            CscdDescriptor::Identification(_) => CSCD_LEN,
            CscdDescriptor::Raw(b) => b.len(),
        }
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        const WHAT: &str = "CSCD descriptor";
        check_out(WHAT, buf, self.buffer_len())?;
        match self {
            CscdDescriptor::Raw(b) => {
                if b.is_empty() || b.len() != descriptor_len(b[0]) {
                    return Err(WireError::Inconsistent {
                        what: WHAT,
                        reason: "a raw CSCD descriptor must be 32 bytes (64 for EAh/EBh)",
                    });
                }
                buf[..b.len()].copy_from_slice(b);
            }
            CscdDescriptor::Identification(id) => {
                let dlen = id.designator.value.len();
                if dlen > MAX_E4_DESIGNATOR {
                    return Err(WireError::Overflow {
                        what: "Identification CSCD descriptor",
                        field: "DESIGNATOR LENGTH",
                        value: dlen as u64,
                    });
                }
                let mut v = CscdView::new_unchecked(&mut buf[..CSCD_LEN]);
                v.set_type_code(code::IDENTIFICATION);
                v.set_lu_id_type(id.lu_id_type);
                v.set_nul(id.nul);
                v.set_peripheral_device_type(id.peripheral_device_type);
                v.set_relative_initiator_port(id.relative_initiator_port);
                let b = v.into_inner();
                id.designator.emit_header(&mut b[field::DESIGNATOR_HEADER]);
                b[field::DESIGNATOR_LENGTH] = dlen as u8;
                let d = &mut b[field::DESIGNATOR];
                d.fill(0);
                d[..dlen].copy_from_slice(&id.designator.value);
                id.params.emit(&mut b[field::DEVICE_PARAMS])?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::vpd::{Association, CodeSet, DesignatorType};
    use proptest::prelude::*;

    /// E4h for a LIO disk: NAA 6, 512-byte blocks.
    pub(crate) const E4_DISK: [u8; 32] = [
        0xe4, // DESCRIPTOR TYPE CODE: identification
        0x00, // LU ID TYPE 00b, NUL 0, PDT 00h (disk)
        0x00, 0x00, // RELATIVE INITIATOR PORT IDENTIFIER
        0x01, // CODE SET binary
        0x03, // ASSOCIATION LU, DESIGNATOR TYPE NAA
        0x00, // reserved
        0x10, // DESIGNATOR LENGTH 16
        0x60, 0x01, 0x40, 0x51, 0x0a, 0x11, 0x22, 0x33, // NAA 6 designator
        0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, //
        0x00, 0x00, 0x00, 0x00, // designator padding to 20 bytes
        0x00, // PAD 0
        0x00, 0x02, 0x00, // DISK BLOCK LENGTH 512
    ];

    fn naa6() -> Designator {
        Designator::naa(E4_DISK[8..24].to_vec())
    }

    #[test]
    fn e4_disk_golden() {
        let d = CscdDescriptor::parse(&E4_DISK).unwrap();
        let CscdDescriptor::Identification(id) = &d else {
            panic!("not E4h")
        };
        assert_eq!(id.designator.designator_type, DesignatorType::Naa);
        assert_eq!(id.designator.code_set, CodeSet::Binary);
        assert_eq!(id.designator.association, Association::LogicalUnit);
        assert_eq!(
            id.params,
            DeviceParams::Block {
                pad: false,
                disk_block_length: 512
            }
        );
        let built = CscdDescriptor::Identification(IdentificationCscd::block(&naa6(), 0, 512));
        assert_eq!(built, d);
        let mut out = [0xa5u8; 32];
        built.emit(&mut out).unwrap();
        assert_eq!(out, E4_DISK);
    }

    #[test]
    fn e4_stream_fixed() {
        let c = CscdDescriptor::Identification(IdentificationCscd::stream(&naa6(), true, 262_144));
        let b = c.to_vec().unwrap();
        assert_eq!(b[1], 0x01, "PDT stream");
        assert_eq!(&b[28..32], &[0x01, 0x04, 0x00, 0x00], "FIXED, 256 KiB");
        assert_eq!(CscdDescriptor::parse(&b).unwrap(), c);
    }

    #[test]
    fn vpd_protocol_and_piv_are_cleared() {
        let mut d = naa6();
        d.piv = true;
        d.protocol_identifier = 6;
        let b = CscdDescriptor::Identification(IdentificationCscd::block(&d, 0, 512))
            .to_vec()
            .unwrap();
        assert_eq!(&b[..], &E4_DISK[..]);
    }

    #[test]
    fn designator_longer_than_20_is_rejected() {
        let mut b = E4_DISK;
        b[7] = 21;
        assert!(matches!(
            CscdDescriptor::parse(&b),
            Err(WireError::InvalidField {
                field: "DESIGNATOR LENGTH",
                value: 21,
                ..
            })
        ));
        let mut id = IdentificationCscd::block(&naa6(), 0, 512);
        id.designator.value = vec![0; 21];
        assert!(CscdDescriptor::Identification(id).to_vec().is_err());
    }

    #[test]
    fn nonzero_padding_is_rejected() {
        let mut b = E4_DISK;
        b[27] = 1;
        assert!(matches!(
            CscdDescriptor::parse(&b),
            Err(WireError::Inconsistent { .. })
        ));
    }

    #[test]
    fn truncated_is_rejected() {
        assert!(matches!(
            CscdDescriptor::parse(&E4_DISK[..31]),
            Err(WireError::Truncated {
                need: 32,
                have: 31,
                ..
            })
        ));
        let mut long = vec![code::IPV6];
        long.resize(40, 0);
        assert!(matches!(
            CscdDescriptor::parse(&long),
            Err(WireError::Truncated { need: 64, .. })
        ));
    }

    #[test]
    fn other_types_are_kept_raw() {
        let mut b = [0u8; 32];
        b[0] = code::FC_N_PORT_NAME;
        b[9] = 0x77;
        let d = CscdDescriptor::parse(&b).unwrap();
        assert_eq!(d, CscdDescriptor::Raw(b.to_vec()));
        assert_eq!(d.type_code(), 0xe0);
        assert_eq!(d.to_vec().unwrap(), b);
    }

    #[test]
    fn reserved_device_param_bits_stay_raw() {
        let mut b = E4_DISK;
        b[28] = 0x80;
        let d = CscdDescriptor::parse(&b).unwrap();
        let CscdDescriptor::Identification(id) = &d else {
            panic!()
        };
        assert_eq!(id.params, DeviceParams::Raw([0x80, 0, 2, 0]));
        assert_eq!(d.to_vec().unwrap(), b);
    }

    pub(crate) fn cscd() -> impl Strategy<Value = CscdDescriptor> {
        let id = (
            0u8..4,
            any::<bool>(),
            0u8..32,
            any::<u16>(),
            crate::wire::vpd::tests::designator(),
            any::<[u8; 4]>(),
        )
            .prop_map(|(luidt, nul, pdt, rip, mut designator, dp)| {
                designator.value.truncate(MAX_E4_DESIGNATOR);
                designator.protocol_identifier = designator.protocol_identifier.min(15);
                CscdDescriptor::Identification(IdentificationCscd {
                    lu_id_type: luidt,
                    nul,
                    peripheral_device_type: pdt,
                    relative_initiator_port: rip,
                    designator,
                    params: DeviceParams::parse(pdt, &dp),
                })
            });
        let raw = (
            prop_oneof![
                Just(0xe0u8),
                Just(0xe5),
                Just(0xe9),
                Just(0xea),
                Just(0xeb),
                Just(0xfe)
            ],
            proptest::collection::vec(any::<u8>(), 63),
        )
            .prop_map(|(t, mut rest)| {
                rest.truncate(descriptor_len(t) - 1);
                rest.insert(0, t);
                CscdDescriptor::Raw(rest)
            });
        prop_oneof![id, raw]
    }

    proptest! {
        #[test]
        fn round_trips(c in cscd()) {
            let b = c.to_vec().unwrap();
            prop_assert_eq!(b.len(), descriptor_len(b[0]));
            prop_assert_eq!(CscdDescriptor::parse(&b).unwrap(), c);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(c) = CscdDescriptor::parse(&bytes) {
                // Whatever parses emits back to the same bytes.
                let b = c.to_vec().unwrap();
                prop_assert_eq!(&b[..], &bytes[..b.len()]);
            }
        }
    }
}
