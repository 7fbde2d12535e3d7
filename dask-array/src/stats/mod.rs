//! Statistics of whole arrays: histograms, approximate percentiles, `topk`.
//!
//! All three summarize each block in a task of its own, then merge the summaries with
//! `reduce::flat_tree` (at most 16 inputs per task), so memory stays at a few blocks
//! and small summaries whatever the array's size: per-block counts added up
//! (`histogram`), weighted-point summaries re-compressed at every merge with a proven
//! rank bound (`percentile`), partial selections of `k` candidates (`topk`).

mod histogram;
mod percentile;
mod topk;

pub use histogram::Histogram;
pub use percentile::{DEFAULT_PERCENTILE_POINTS, percentile_rank_error};
