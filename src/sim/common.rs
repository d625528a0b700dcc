//! What every simulated logical unit answers the same way: its identity
//! (standard INQUIRY, VPD 00h, 80h, 83h, and 8Fh or a disk's 86h, B0h, B1h
//! and B2h when it has them), TEST UNIT READY, REQUEST SENSE, and the CHECK
//! CONDITION replies with the sense SPC-4 gives for a bad opcode or a bad
//! CDB field.

use crate::transport::fault::mix64;
use crate::transport::{Completion, DataDirection};
use crate::wire::inquiry::{InquiryCdb, PeripheralDeviceType, StandardInquiry};
use crate::wire::sense::{FieldPointer, SenseData, SenseKey, SenseKeySpecific};
use crate::wire::vpd::{Association, CodeSet, Designator, DesignatorType};
use crate::wire::vpd::{
    BlockDeviceCharacteristics, BlockLimits, DeviceIdentification, ExtendedInquiryData,
    LogicalBlockProvisioning, PageHeader, SupportedPages, ThirdPartyCopy, UnitSerialNumber,
};
use crate::wire::Repr;

/// OUI of the simulator's NAA 6 designators (locally administered).
pub const SIM_OUI: u32 = 0x5e_c0c0;

/// Who a simulated LU says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The LU's name in the site.
    pub name: String,
    /// Peripheral device type.
    pub device_type: PeripheralDeviceType,
    /// T10 vendor identification.
    pub vendor: String,
    /// Product identification.
    pub product: String,
    /// Product revision level.
    pub revision: String,
    /// Unit serial number.
    pub serial: String,
    /// The NAA 6 designator (16 bytes).
    pub naa: Vec<u8>,
    /// Whether it advertises third-party copy (3PC).
    pub third_party_copy: bool,
    /// Removable medium (tape drives).
    pub removable: bool,
    /// The Third-party Copy VPD page, if it has one.
    pub tpc_page: Option<ThirdPartyCopy>,
    /// The VPD pages of a direct-access block device, if it is one (a
    /// [`crate::sim::disk::SimDisk`] sets them; a copy manager in front of
    /// a disk answers with the disk's identity, and so with them too).
    pub block_pages: Option<BlockPages>,
}

/// The VPD pages a simulated disk answers besides 00h, 80h and 83h: 86h
/// (an SPC-4 page, but among the simulated units only disks are modelled
/// on LIO, which answers it), B0h, B1h and B2h (SBC-3). Their peripheral
/// fields come from the [`Identity`] answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockPages {
    /// Extended INQUIRY Data (86h).
    pub extended_inquiry: ExtendedInquiryData,
    /// Block Limits (B0h).
    pub block_limits: BlockLimits,
    /// Block Device Characteristics (B1h).
    pub characteristics: BlockDeviceCharacteristics,
    /// Logical Block Provisioning (B2h).
    pub provisioning: LogicalBlockProvisioning,
}

/// A 16-byte NAA 6 (IEEE Registered Extended) designator derived from a
/// name: OUI [`SIM_OUI`] and an FNV-1a hash of the name, so the same site
/// gives the same designators on every run.
pub fn naa_for(name: &str) -> Vec<u8> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // splitmix64's finalizer spreads names that differ in one letter.
    h = mix64(h);
    let mut v = Vec::with_capacity(16);
    // NAA 6 | OUI (24 bits) | vendor specific identifier (36 bits) | extension (64 bits)
    let head: u64 = (6u64 << 60) | (u64::from(SIM_OUI) << 36) | (h >> 28);
    v.extend_from_slice(&head.to_be_bytes());
    v.extend_from_slice(&h.rotate_left(17).to_be_bytes());
    v
}

impl Identity {
    /// An identity with vendor "SEGCOPY", designator and serial from the name.
    pub fn new(name: &str, device_type: PeripheralDeviceType, product: &str) -> Self {
        let naa = naa_for(name);
        let serial = hex::encode_upper(&naa[8..]);
        Identity {
            name: name.to_string(),
            device_type,
            vendor: "SEGCOPY".into(),
            product: product.into(),
            revision: "0001".into(),
            serial,
            naa,
            third_party_copy: false,
            removable: false,
            tpc_page: None,
            block_pages: None,
        }
    }

    /// The logical-unit designators: NAA 6, then T10 vendor ID.
    pub fn designators(&self) -> Vec<Designator> {
        let mut t10 = format!("{:<8}", self.vendor).into_bytes();
        t10.truncate(8);
        t10.extend_from_slice(self.serial.as_bytes());
        vec![
            Designator::naa(self.naa.clone()),
            Designator {
                protocol_identifier: 0,
                code_set: CodeSet::Ascii,
                piv: false,
                reserved_bit: false,
                association: Association::LogicalUnit,
                designator_type: DesignatorType::T10VendorId,
                reserved_byte: 0,
                value: t10,
            },
        ]
    }

    fn header(&self) -> PageHeader {
        PageHeader {
            peripheral_qualifier: 0,
            peripheral_device_type: self.device_type.bits(),
        }
    }

    /// The standard INQUIRY data.
    pub fn standard_inquiry(&self) -> StandardInquiry {
        let mut q = StandardInquiry::new(self.device_type).with_identification(
            &self.vendor,
            &self.product,
            &self.revision,
        );
        q.third_party_copy = self.third_party_copy;
        q.rmb = self.removable;
        q.cmdque = true;
        q
    }

    /// A VPD page's bytes, if the LU has it.
    pub fn vpd(&self, page: u8) -> Option<Vec<u8>> {
        match page {
            0x00 => {
                // In ascending order, as SPC-4 asks.
                let mut pages = vec![0x00, 0x80, 0x83];
                if self.block_pages.is_some() {
                    pages.push(ExtendedInquiryData::PAGE);
                }
                if self.tpc_page.is_some() {
                    pages.push(ThirdPartyCopy::PAGE);
                }
                if self.block_pages.is_some() {
                    pages.extend([
                        BlockLimits::PAGE,
                        BlockDeviceCharacteristics::PAGE,
                        LogicalBlockProvisioning::PAGE,
                    ]);
                }
                SupportedPages {
                    header: self.header(),
                    pages,
                }
                .to_vec()
                .ok()
            }
            0x80 => UnitSerialNumber {
                header: self.header(),
                serial: self.serial.clone().into_bytes(),
            }
            .to_vec()
            .ok(),
            0x83 => DeviceIdentification {
                header: self.header(),
                designators: self.designators(),
            }
            .to_vec()
            .ok(),
            0x8f => self.tpc_page.as_ref().and_then(|p| {
                let mut p = p.clone();
                p.header = self.header();
                p.to_vec().ok()
            }),
            0x86 | 0xb0 | 0xb1 | 0xb2 => self.block_page(page),
            _ => None,
        }
    }

    /// One of the [`BlockPages`], with this identity's peripheral fields.
    fn block_page(&self, page: u8) -> Option<Vec<u8>> {
        let b = self.block_pages.as_ref()?;
        let header = self.header();
        match page {
            ExtendedInquiryData::PAGE => ExtendedInquiryData {
                header,
                ..b.extended_inquiry
            }
            .to_vec(),
            BlockLimits::PAGE => BlockLimits {
                header,
                ..b.block_limits
            }
            .to_vec(),
            BlockDeviceCharacteristics::PAGE => BlockDeviceCharacteristics {
                header,
                ..b.characteristics
            }
            .to_vec(),
            LogicalBlockProvisioning::PAGE => LogicalBlockProvisioning {
                header,
                ..b.provisioning.clone()
            }
            .to_vec(),
            _ => return None,
        }
        .ok()
    }
}

/// GOOD with `bytes` returned in a data-in buffer (cut to its length, as
/// the allocation length cuts it).
pub fn data_in(data: DataDirection<'_>, bytes: &[u8]) -> Completion {
    match data {
        DataDirection::FromDevice(buf) => {
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            let mut c = Completion::good(n);
            c.resid = buf.len() - n;
            c
        }
        _ => Completion::good(0),
    }
}

/// CHECK CONDITION with fixed-format sense.
pub fn check(key: SenseKey, asc: u8, ascq: u8) -> Completion {
    check_sense(SenseData::fixed(key, asc, ascq).into())
}

/// CHECK CONDITION with `sense`.
pub fn check_sense(sense: SenseData) -> Completion {
    Completion::check_condition(sense.to_vec().unwrap_or_default(), 0, 0)
}

/// ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (20/00).
pub fn invalid_opcode() -> Completion {
    check(SenseKey::IllegalRequest, 0x20, 0x00)
}

/// ILLEGAL REQUEST, INVALID FIELD IN CDB (24/00) pointing at `byte`.
pub fn invalid_cdb_field(byte: u16, bit: Option<u8>) -> Completion {
    check_sense(
        SenseData::fixed(SenseKey::IllegalRequest, 0x24, 0x00)
            .with_sense_key_specific(SenseKeySpecific::FieldPointer(FieldPointer {
                command: true,
                bit_pointer: bit,
                field_pointer: byte,
            }))
            .into(),
    )
}

/// ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST (26/00) pointing at
/// parameter byte `byte` (and `bit`).
pub fn invalid_param_field(byte: u16, bit: Option<u8>) -> Completion {
    check_sense(
        SenseData::fixed(SenseKey::IllegalRequest, 0x26, 0x00)
            .with_sense_key_specific(SenseKeySpecific::FieldPointer(FieldPointer {
                command: false,
                bit_pointer: bit,
                field_pointer: byte,
            }))
            .into(),
    )
}

/// Answers INQUIRY (standard and VPD), TEST UNIT READY (GOOD when `ready`
/// is `None`, else that check) and REQUEST SENSE (NO SENSE); `None` for any
/// other opcode.
pub fn handle_common(
    id: &Identity,
    cdb: &[u8],
    data: DataDirection<'_>,
    not_ready: Option<Completion>,
) -> Option<Completion> {
    match cdb[0] {
        InquiryCdb::OPCODE => Some(match InquiryCdb::parse(cdb) {
            Err(_) => invalid_cdb_field(1, None),
            Ok(q) if !q.evpd => match id.standard_inquiry().to_vec() {
                Ok(b) => data_in(data, &b),
                Err(_) => check(SenseKey::HardwareError, 0x44, 0x00),
            },
            Ok(q) => match id.vpd(q.page_code) {
                Some(b) => data_in(data, &b),
                None => invalid_cdb_field(2, None),
            },
        }),
        0x00 => Some(not_ready.unwrap_or_else(|| Completion::good(0))),
        0x03 => {
            let s: SenseData = SenseData::fixed(SenseKey::NoSense, 0, 0).into();
            Some(data_in(data, &s.to_vec().unwrap_or_default()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designators_are_stable_and_distinct() {
        assert_eq!(naa_for("disk0"), naa_for("disk0"));
        assert_ne!(naa_for("disk0"), naa_for("disk1"));
        let n = naa_for("disk0");
        assert_eq!(n.len(), 16);
        assert_eq!(n[0] >> 4, 6, "NAA 6");
        let id = Identity::new("disk0", PeripheralDeviceType::DirectAccessBlock, "SIMDISK");
        let d = id.designators();
        assert_eq!(d[0].cscd_preference(), Some(10));
        let page = DeviceIdentification::parse(&id.vpd(0x83).unwrap()).unwrap();
        assert_eq!(page.best_for_cscd(), Some(&d[0]));
    }

    #[test]
    fn block_pages_are_listed_in_ascending_order_with_the_lu_header() {
        let pages = BlockPages {
            extended_inquiry: ExtendedInquiryData::default(),
            block_limits: BlockLimits::default(),
            characteristics: BlockDeviceCharacteristics::default(),
            provisioning: LogicalBlockProvisioning::default(),
        };
        let mut id = Identity::new("d", PeripheralDeviceType::DirectAccessBlock, "SIMDISK");
        id.block_pages = Some(pages.clone());
        let list = SupportedPages::parse(&id.vpd(0x00).unwrap()).unwrap();
        assert_eq!(list.pages, [0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2]);
        id.tpc_page = Some(ThirdPartyCopy::default());
        let list = SupportedPages::parse(&id.vpd(0x00).unwrap()).unwrap();
        assert_eq!(list.pages, [0x00, 0x80, 0x83, 0x86, 0x8f, 0xb0, 0xb1, 0xb2]);
        // The pages carry the answering LU's peripheral fields, whatever
        // the stored ones say.
        let mut odd = pages;
        odd.block_limits.header.peripheral_device_type = 0x1f;
        let mut id = Identity::new("x", PeripheralDeviceType::SequentialAccess, "SIMTAPE");
        assert_eq!(id.vpd(0xb0), None, "a tape has no Block Limits page");
        id.block_pages = Some(odd);
        for page in [0x86, 0xb0, 0xb1, 0xb2] {
            let b = id.vpd(page).unwrap();
            assert_eq!((b[0], b[1]), (0x01, page));
        }
    }

    #[test]
    fn inquiry_is_cut_by_the_allocation_length() {
        let id = Identity::new("d", PeripheralDeviceType::DirectAccessBlock, "SIMDISK");
        let cdb = InquiryCdb::new(36).to_vec().unwrap();
        let mut buf = [0u8; 36];
        let c = handle_common(&id, &cdb, DataDirection::FromDevice(&mut buf), None).unwrap();
        assert_eq!(c.transferred, 36);
        let q = StandardInquiry::parse(&buf).unwrap();
        assert_eq!(q.vendor_str(), "SEGCOPY");
        let cdb = InquiryCdb::new(252).vpd_page(0xb0).to_vec().unwrap();
        let mut buf = [0u8; 252];
        let c = handle_common(&id, &cdb, DataDirection::FromDevice(&mut buf), None).unwrap();
        assert_eq!(c.status, crate::transport::ScsiStatus::CheckCondition);
    }
}
