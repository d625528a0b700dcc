//! The engine: segmenting copies and moving segments. So far: the
//! segmenter ([`plan`]) and the one-shot EXTENDED COPY block copy
//! ([`xcopy`]) behind `segcopy xcopy`.

pub mod backup;
pub mod classify;
pub mod job;
pub mod media;
pub mod mover;
pub mod overwrite;
pub mod plan;
pub mod queue;
pub mod segments;
pub mod xcopy;
