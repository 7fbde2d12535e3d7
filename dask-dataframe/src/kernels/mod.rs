//! Per-partition Arrow kernels: the hash join, sorting and range partitioning, and
//! de-duplication. Each works on whole `RecordBatch`es with Arrow's compute kernels and
//! row format, knows nothing about graphs, and is tested against a naive reference.

pub(crate) mod dedup;
pub(crate) mod join;
pub(crate) mod sort;
