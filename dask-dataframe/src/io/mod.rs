//! Readers and writers of files: CSV and Parquet.
//!
//! Each reader is a [`Scan`](crate::plan::Scan) node of the plan: it knows its schema
//! and partitions without reading data, can be narrowed to the columns a query uses
//! (projection pushdown), and makes one task per partition that reopens its file from a
//! serialized description, so reads run unchanged in worker processes.

pub(crate) mod csv;
mod csv_fast;
pub(crate) mod parquet;
pub(crate) mod write;
