//! Medium changers (SMC-3): the element status of a tape library and
//! MOVE MEDIUM, over any [`Transport`], and the numbering people use for
//! a library's elements ([`ElementMap`]: slots from 1 and drives from 0,
//! as mtx counts them).

use log::warn;

use super::commands::{Data, Scsi, ScsiError, DEFAULT_TIMEOUT};
use super::Transport;
use crate::wire::smc::{
    DriveStatus, ElementStatusData, ElementType, MoveMediumCdb, ReadElementStatusCdb,
};
use crate::wire::{Repr, WireError};

/// The MEDIUM TRANSPORT ADDRESS that asks for the library's default
/// medium transport element: 0.
///
/// Used only when READ ELEMENT STATUS reports no medium transport element
/// ([`TransportElement::Default`]). Address 0 in this field names "the
/// default medium transport element" in SCSI-2's medium changer model
/// (X3.131-1994, clause 16), and libraries document it so for MOVE MEDIUM
/// (Quantum Scalar i500/i2000: "0000h is also supported to select the
/// default Medium Transport element"; Dell PowerVault TL4000: "either 0
/// or the currently valid Medium Transport Element address"); mtx falls
/// back to it the same way for libraries that report no transport
/// (mtxl.c, ReadElementStatus). SMC-3's own wording was not at hand to
/// check: a library that refuses 0 answers ILLEGAL REQUEST, INVALID
/// ELEMENT ADDRESS, which segcopy reports as it is.
pub const DEFAULT_TRANSPORT_ADDRESS: u16 = 0;

/// The medium transport element (robot) MOVE MEDIUM names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportElement {
    /// The one READ ELEMENT STATUS reported (the lowest address when it
    /// reported several).
    Reported(u16),
    /// None was reported: [`DEFAULT_TRANSPORT_ADDRESS`].
    Default,
}

impl TransportElement {
    /// The MEDIUM TRANSPORT ADDRESS to send.
    pub fn address(self) -> u16 {
        match self {
            TransportElement::Reported(a) => a,
            TransportElement::Default => DEFAULT_TRANSPORT_ADDRESS,
        }
    }
}

/// Why an element number or an unload cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElementError {
    /// No storage element with this number.
    #[error("slot {number} does not exist: {}", count_words(.device, "slots", 1, *.slots))]
    NoSuchSlot {
        /// The library.
        device: String,
        /// The slot number asked for (from 1).
        number: u32,
        /// How many slots it has.
        slots: usize,
    },
    /// No data transfer element with this number.
    #[error("drive {number} does not exist: {}", count_words(.device, "drives", 0, *.drives))]
    NoSuchDrive {
        /// The library.
        device: String,
        /// The drive number asked for (from 0).
        number: u32,
        /// How many drives it has.
        drives: usize,
    },
    /// An unload without a slot, from a drive that does not say where its
    /// cartridge came from (empty, or no SVALID).
    #[error("drive {number} does not say which slot its cartridge came from; name the slot")]
    NoSourceSlot {
        /// The drive number (from 0).
        number: u32,
    },
}

fn count_words(device: &str, what: &str, first: usize, count: usize) -> String {
    match count {
        0 => format!("{device} has no {what}"),
        n => format!("{device} has {what} {first} to {}", first + n - 1),
    }
}

/// A library's elements by kind, in address order, for numbering them as
/// mtx does: storage elements (slots) from 1, data transfer elements
/// (drives) from 0; import/export elements are numbered after the slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementMap {
    device: String,
    slots: Vec<u16>,
    drives: Vec<u16>,
    import_export: Vec<u16>,
    transport: TransportElement,
}

impl ElementMap {
    /// The map of `status`, READ ELEMENT STATUS of the library `device`.
    /// A library that reports no medium transport element gets
    /// [`TransportElement::Default`], with a warning in the log.
    pub fn new(device: &str, status: &ElementStatusData) -> Self {
        let addresses = |t: ElementType| {
            let mut v: Vec<u16> = status
                .elements()
                .filter(|(ty, _)| *ty == t)
                .map(|(_, d)| d.element_address)
                .collect();
            v.sort_unstable();
            v
        };
        let transport = match addresses(ElementType::MediumTransport).first() {
            Some(&a) => TransportElement::Reported(a),
            None => {
                warn!(
                    "{device}: READ ELEMENT STATUS reports no medium transport element; \
                     MOVE MEDIUM will name address {DEFAULT_TRANSPORT_ADDRESS}, the default one"
                );
                TransportElement::Default
            }
        };
        ElementMap {
            device: device.to_string(),
            slots: addresses(ElementType::Storage),
            drives: addresses(ElementType::DataTransfer),
            import_export: addresses(ElementType::ImportExport),
            transport,
        }
    }

    /// Storage element addresses: slot `n` is `slots()[n - 1]`.
    pub fn slots(&self) -> &[u16] {
        &self.slots
    }

    /// Data transfer element addresses: drive `n` is `drives()[n]`.
    pub fn drives(&self) -> &[u16] {
        &self.drives
    }

    /// Import/export element addresses.
    pub fn import_export(&self) -> &[u16] {
        &self.import_export
    }

    /// The medium transport element MOVE MEDIUM names.
    pub fn transport(&self) -> TransportElement {
        self.transport
    }

    /// The address of slot `number` (from 1).
    pub fn slot(&self, number: u32) -> Result<u16, ElementError> {
        usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| self.slots.get(i).copied())
            .ok_or_else(|| ElementError::NoSuchSlot {
                device: self.device.clone(),
                number,
                slots: self.slots.len(),
            })
    }

    /// The address of drive `number` (from 0).
    pub fn drive(&self, number: u32) -> Result<u16, ElementError> {
        usize::try_from(number)
            .ok()
            .and_then(|i| self.drives.get(i).copied())
            .ok_or_else(|| ElementError::NoSuchDrive {
                device: self.device.clone(),
                number,
                drives: self.drives.len(),
            })
    }

    /// The number (from 1) of the slot at `address`.
    pub fn slot_number(&self, address: u16) -> Option<usize> {
        self.slots.iter().position(|&a| a == address).map(|i| i + 1)
    }

    /// The number (from 0) of the drive at `address`.
    pub fn drive_number(&self, address: u16) -> Option<usize> {
        self.drives.iter().position(|&a| a == address)
    }

    /// The drives of `status` with their numbers, in number order.
    pub fn numbered_drives<'s>(
        &self,
        status: &'s ElementStatusData,
    ) -> Vec<(usize, DriveStatus<'s>)> {
        let mut v: Vec<_> = status
            .drives()
            .filter_map(|d| self.drive_number(d.address).map(|i| (i, d)))
            .collect();
        v.sort_by_key(|(i, _)| *i);
        v
    }

    /// Where unloading drive `drive` puts its cartridge: slot `slot` when
    /// given, else the slot the cartridge came from (per `status`).
    /// Returns the drive's and the slot's addresses.
    pub fn unload(
        &self,
        status: &ElementStatusData,
        drive: u32,
        slot: Option<u32>,
    ) -> Result<(u16, u16), ElementError> {
        let d = self.drive(drive)?;
        let home = match slot {
            Some(s) => self.slot(s)?,
            None => status
                .drives()
                .find(|x| x.address == d)
                .and_then(|x| x.source_slot)
                .ok_or(ElementError::NoSourceSlot { number: drive })?,
        };
        Ok((d, home))
    }
}

/// A library's robot may take minutes to move a cartridge.
pub const MOVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// A medium changer seen through typed commands.
pub struct Changer<'t> {
    scsi: Scsi<'t>,
}

impl<'t> Changer<'t> {
    /// A changer over `t`.
    pub fn new(t: &'t dyn Transport) -> Self {
        Changer { scsi: Scsi::new(t) }
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        self.scsi.name()
    }

    /// READ ELEMENT STATUS of every element with volume tags, asking again
    /// with a larger allocation length if the first answer was cut.
    pub fn status(&self) -> Result<ElementStatusData, ScsiError> {
        let mut alloc: u32 = 16 << 10;
        loop {
            let cdb = self.scsi.encode(
                "READ ELEMENT STATUS",
                &ReadElementStatusCdb::new(ElementType::All, 0, u16::MAX, alloc).voltag(true),
            )?;
            let mut buf = vec![0u8; alloc as usize];
            let c = self.scsi.run(
                "READ ELEMENT STATUS",
                &cdb,
                Data::In(&mut buf),
                DEFAULT_TIMEOUT,
            )?;
            buf.truncate(c.transferred);
            let data = ElementStatusData::parse(&buf).map_err(|e| self.bad(e))?;
            let need = data.needed_allocation_length();
            // A report shorter than its byte count though there was room
            // for it is a library that says more than it sends (tgt's
            // changer is one: its last 8 bytes never arrive).
            self.scsi.check_length(
                "READ ELEMENT STATUS",
                "BYTE COUNT OF REPORT AVAILABLE",
                u64::from(need),
                buf.len(),
                alloc as usize,
            )?;
            if data.is_truncated() && need > alloc && alloc < (1 << 24) - 1 {
                alloc = need.min((1 << 24) - 1);
                continue;
            }
            return Ok(data);
        }
    }

    /// READ ELEMENT STATUS ([`Changer::status`]) and its [`ElementMap`].
    pub fn status_and_map(&self) -> Result<(ElementStatusData, ElementMap), ScsiError> {
        let status = self.status()?;
        let map = ElementMap::new(self.name(), &status);
        Ok((status, map))
    }

    /// MOVE MEDIUM from element `source` to element `destination` with
    /// the transport element `transport` (see [`ElementMap::transport`]).
    pub fn move_medium(
        &self,
        transport: u16,
        source: u16,
        destination: u16,
    ) -> Result<(), ScsiError> {
        let cdb = self.scsi.encode(
            "MOVE MEDIUM",
            &MoveMediumCdb::new(transport, source, destination),
        )?;
        self.scsi
            .run("MOVE MEDIUM", &cdb, Data::None, MOVE_TIMEOUT)?;
        Ok(())
    }

    fn bad(&self, source: WireError) -> ScsiError {
        ScsiError::BadResponse {
            device: self.scsi.name().to_string(),
            command: "READ ELEMENT STATUS",
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::smc::{ElementDescriptor, ElementFlags, ElementStatusPage};

    fn page(t: ElementType, descriptors: Vec<ElementDescriptor>) -> ElementStatusPage {
        ElementStatusPage::new(t, false, false, descriptors).unwrap()
    }

    /// A library reporting its elements out of address order: slots 1030,
    /// 1024, 1025; drives 501, 500 (500 loaded from slot 1025); one
    /// import/export element 10; the transport at 1 unless `robot` is
    /// false.
    fn library(robot: bool) -> ElementStatusData {
        let d = ElementDescriptor::new;
        let mut loaded = d(500);
        loaded.flags = ElementFlags::FULL;
        loaded.svalid = true;
        loaded.source_storage_element_address = 1025;
        let mut pages = vec![
            page(ElementType::Storage, vec![d(1030), d(1024), d(1025)]),
            page(ElementType::DataTransfer, vec![d(501), loaded]),
            page(ElementType::ImportExport, vec![d(10)]),
        ];
        if robot {
            pages.push(page(ElementType::MediumTransport, vec![d(1)]));
        }
        ElementStatusData::from_pages(pages).unwrap()
    }

    #[test]
    fn slots_count_from_1_and_drives_from_0_in_address_order() {
        let m = ElementMap::new("lib", &library(true));
        assert_eq!(m.slots(), [1024, 1025, 1030]);
        assert_eq!(m.drives(), [500, 501]);
        assert_eq!(m.import_export(), [10]);
        assert_eq!(m.slot(1), Ok(1024));
        assert_eq!(m.slot(3), Ok(1030));
        assert_eq!(m.drive(0), Ok(500));
        assert_eq!(m.drive(1), Ok(501));
        assert_eq!(m.slot_number(1025), Some(2));
        assert_eq!(m.drive_number(501), Some(1));
        assert_eq!(m.slot_number(500), None);
        assert_eq!(m.transport(), TransportElement::Reported(1));
        assert_eq!(m.transport().address(), 1);
        let numbered: Vec<_> = m
            .numbered_drives(&library(true))
            .into_iter()
            .map(|(i, d)| (i, d.address, d.loaded))
            .collect();
        assert_eq!(numbered, [(0, 500, true), (1, 501, false)]);
    }

    #[test]
    fn numbers_that_do_not_exist_are_typed_errors() {
        let m = ElementMap::new("lib", &library(true));
        for n in [0, 4, u32::MAX] {
            assert_eq!(
                m.slot(n),
                Err(ElementError::NoSuchSlot {
                    device: "lib".into(),
                    number: n,
                    slots: 3
                })
            );
        }
        let empty = ElementMap::new("lib", &ElementStatusData::from_pages(vec![]).unwrap());
        for (e, words) in [
            (m.slot(0), "slot 0 does not exist: lib has slots 1 to 3"),
            (m.drive(2), "drive 2 does not exist: lib has drives 0 to 1"),
            (empty.drive(0), "drive 0 does not exist: lib has no drives"),
            (empty.slot(1), "slot 1 does not exist: lib has no slots"),
        ] {
            assert_eq!(e.unwrap_err().to_string(), words);
        }
    }

    #[test]
    fn unload_goes_home_unless_a_slot_is_named() {
        let st = library(true);
        let m = ElementMap::new("lib", &st);
        assert_eq!(m.unload(&st, 0, None), Ok((500, 1025)));
        assert_eq!(m.unload(&st, 0, Some(3)), Ok((500, 1030)));
        assert_eq!(
            m.unload(&st, 1, None),
            Err(ElementError::NoSourceSlot { number: 1 })
        );
        assert!(matches!(
            m.unload(&st, 5, None),
            Err(ElementError::NoSuchDrive { .. })
        ));
    }

    #[test]
    fn no_reported_transport_means_the_default_one_at_address_0() {
        let m = ElementMap::new("lib", &library(false));
        assert_eq!(m.transport(), TransportElement::Default);
        assert_eq!(m.transport().address(), DEFAULT_TRANSPORT_ADDRESS);
        assert_eq!(DEFAULT_TRANSPORT_ADDRESS, 0);
    }
}
