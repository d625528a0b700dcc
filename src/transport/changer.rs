//! Medium changers (SMC-3): the element status of a tape library and
//! MOVE MEDIUM, over any [`Transport`].

use super::commands::{Data, Scsi, ScsiError, DEFAULT_TIMEOUT};
use super::Transport;
use crate::wire::smc::{ElementStatusData, ElementType, MoveMediumCdb, ReadElementStatusCdb};
use crate::wire::{Repr, WireError};

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
            if data.is_truncated() && need > alloc && alloc < (1 << 24) - 1 {
                alloc = need.min((1 << 24) - 1);
                continue;
            }
            return Ok(data);
        }
    }

    /// MOVE MEDIUM from element `source` to element `destination` with
    /// the transport element `transport`.
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
