//! Typed SCSI commands over a [`super::Transport`] (in progress).
