//! segcopy: segmented backup of disk data through SCSI copy managers with
//! EXTENDED COPY (LID1), surviving a failed copy device or tape mid-backup.
//!
//! Layers (see `../shared/design.md`): [`wire`] holds the wire formats as
//! data; [`transport`] is the one-CDB-in, completion-out trait the engine
//! talks to, implemented by [`sg::SgDevice`] for real devices.
#![deny(unsafe_code)]

pub mod bench;
pub mod catalog;
pub mod conformance;
pub mod demo;
pub mod engine;
pub mod inventory;
pub mod restore;
pub mod select;
pub mod serve;
pub mod sim;
pub mod site;
pub mod transport;
pub mod units;
pub mod wire;
