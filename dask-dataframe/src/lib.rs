//! # dask-dataframe: partitioned Arrow dataframes
//!
//! A [`DataFrame`] is a lazy handle: an `Arc`-shared *plan* (a tree of nodes — a file
//! scan, in-memory batches, row-wise steps, a groupby tree, a top-n, a concatenation)
//! plus what is known without computing: the schema and the number of partitions. Each
//! partition is an Arrow `RecordBatch`. Calling an operation checks its columns and
//! types at once — a missing column or a string added to a number is an [`Error`]
//! naming the operation, the column and its type, before any task exists — and returns
//! a new handle. `compute` turns the plan into a task graph, runs it on the scheduler
//! given, and concatenates the partitions into one `RecordBatch`
//! ([`pretty`] prints it as a table).
//!
//! Design decisions:
//!
//! * **Plans, then graphs.** Keeping a plan (not a graph) lets the frame be optimized
//!   before it runs, as dask-expr does: the columns a query uses are pushed down into
//!   the scan (a CSV read parses only those columns, a Parquet read reads only their
//!   column chunks), and filters right after a Parquet scan prune row groups by their
//!   statistics. Each plan node is named by a token of its contents, so two frames
//!   sharing an input share its tasks when computed together.
//! * **Row-wise work is fused.** `select`, `filter`, `with_column`, `drop`, `rename`,
//!   `astype`, `fillna` and `dropna` append steps to one map node: a chain of them is
//!   one task per partition.
//! * **Expressions are data.** [`Expr`] (`col("value") * lit(2)`) is a serde tree,
//!   resolved against the schema when built (so its type is known) and evaluated per
//!   partition with Arrow's compute kernels — never row by row.
//! * **Every task is a registered operation and every value has a codec** (batches
//!   cross processes as Arrow IPC), so every query runs on the synchronous, threaded
//!   and process schedulers alike. Only closures given to `map_partitions` are local;
//!   the process scheduler refuses them up front, naming the task
//!   ([`DataFrame::map_partitions_op`] runs a registered function everywhere).
//! * **Aggregations are trees.** Column reductions, `agg`, `groupby(...).agg(...)`,
//!   `value_counts`, `nunique`, `describe` and `nlargest` are apply–combine–aggregate
//!   trees (`dask_graph::TreeReduce`, fan-in `split_every`, 8 by default as in Dask),
//!   with hash tables keyed by Arrow's row format (a direct path for one integer key)
//!   and `split_out` hash-partitioning large results; no task ever holds more than
//!   `split_every` partial results. **Nulls are skipped** as pandas does (`skipna`),
//!   and so are NaNs in float columns; rows with a null key are dropped from a groupby
//!   unless `dropna(false)`.
//! * **Files** come and go through `dask-io`: globs and path lists, line-aligned byte
//!   blocks for CSV, tasks reopening their file from a serialized description, and
//!   outputs staged under a temporary name and renamed only when every partition is
//!   written.
//!
//! ```
//! use dask_dataframe::{DataFrame, col, lit, mean};
//! use dask_graph::SyncScheduler;
//! use arrow_array::{Float64Array, Int64Array, RecordBatch};
//! use std::sync::Arc;
//!
//! let batch = RecordBatch::try_from_iter([
//!     ("user_id", Arc::new(Int64Array::from(vec![1, 2, 1, 2, 3])) as _),
//!     ("value", Arc::new(Float64Array::from(vec![1.0, -2.0, 3.0, 4.0, 5.0])) as _),
//! ])?;
//! let df = DataFrame::from_record_batch(batch, 2)?;
//! let means = df
//!     .filter(col("value").gt(lit(0.0)))?
//!     .groupby(["user_id"])?
//!     .agg([mean("value")])?
//!     .compute(&SyncScheduler)?;
//! assert_eq!(means.num_rows(), 3);
//! println!("{}", dask_dataframe::pretty(&means));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod agg;
mod apply;
mod dedup;
mod describe;
mod error;
mod expr;
mod frame;
mod io;
mod join;
mod kernels;
mod map;
pub(crate) mod partition;
mod plan;
mod repartition;
mod rows;
mod scalar;
mod series;
mod shuffle;
mod sort;
mod topn;

pub use agg::{
    Agg, AggFunc, DEFAULT_SPLIT_EVERY, count, first, last, max, mean, min, nunique, size, std, sum,
    var,
};
pub use dask_graph::Collection;
pub use dask_io::Compression;
pub use dask_shuffle::Method as ShuffleMethod;
pub use dedup::Keep;
pub use describe::SKETCH_POINTS;
pub use error::{Error, Result};
pub use expr::{BinaryOp, DtExpr, DtPart, Expr, StrExpr, StrFunc, col, lit};
pub use frame::DataFrame;
pub use io::csv::{CsvOptions, DEFAULT_BLOCKSIZE, DEFAULT_SAMPLE, read_csv};
pub use io::parquet::{ParquetOptions, read_parquet};
pub use io::write::{ParquetCompression, WriteOptions};
pub use join::{DEFAULT_BROADCAST_THRESHOLD, JoinHow, JoinStrategy, MergeOptions};
pub use partition::batch_value;
pub use plan::Divisions;
pub use repartition::Repartition;
pub use rows::from_rows;
pub use scalar::ScalarValue;
pub use series::{GroupBy, GroupedColumn, Scalar, Series};
pub use sort::SortOptions;

/// A computed result as a text table (Arrow's pretty printer), what `print(df)` shows.
pub fn pretty(batch: &arrow_array::RecordBatch) -> String {
    arrow_cast::pretty::pretty_format_batches(std::slice::from_ref(batch))
        .map(|t| t.to_string())
        .unwrap_or_else(|e| format!("(cannot print the table: {e})"))
}
