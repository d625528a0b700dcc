//! The engine: segmenting copies and moving segments. So far: the
//! segmenter ([`plan`]) and the one-shot EXTENDED COPY block copy
//! ([`xcopy`]) behind `segcopy xcopy`.

pub mod classify;
pub mod plan;
pub mod xcopy;
