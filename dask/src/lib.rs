//! dask-rs: parallel computing on larger-than-memory data.
//!
//! This facade gathers the workspace's crates — [`graph`] (the task-graph format and the
//! synchronous scheduler), [`delayed`] (typed lazy values), [`array`] (chunked
//! N-dimensional arrays), [`dataframe`] (partitioned Arrow dataframes), [`io`] (file machinery shared by the collections),
//! [`diagnostics`] (the progress bar), [`threads`] (the default scheduler), [`procs`]
//! (worker processes) — and adds what a user wants on top: choosing the scheduler at
//! compute time by value, by name, for a scope or through `DASK_SCHEDULER`
//! ([`scheduler_by_name`], [`use_scheduler`], [`default_scheduler`]), and computing
//! several collections of any kinds at once ([`compute`]). Collections will appear here
//! as they land.
//!
//! A program that may use the process scheduler calls [`procs::worker_main_if_child`]
//! first thing in `main` (test files: `dask::procs::test_worker!()`), because worker
//! processes are the program itself, re-executed.
//!
//! ```
//! use dask::prelude::*;
//! let g = dask::graph::testing::tree_sum_graph(100);
//! let out = dask::compute_graph_on(&g, &[Key::new("total")], "sync")?;
//! assert_eq!(out[0].downcast_ref::<i64>(), Some(&4950));
//! # Ok::<(), dask::graph::Error>(())
//! ```

mod choose;

pub use dask_array as array;
pub use dask_dataframe as dataframe;
pub use dask_delayed as delayed;
pub use dask_diagnostics as diagnostics;
pub use dask_graph as graph;
pub use dask_io as io;
pub use dask_sched_procs as procs;
pub use dask_sched_threads as threads;

pub use choose::{
    IntoScheduler, SCHEDULER_ENV, SCHEDULER_NAMES, SchedulerHandle, ScopeGuard, default_scheduler,
    scheduler_by_name, use_scheduler,
};
pub use dask_diagnostics::ProgressBar;

use dask_graph::{Collection, Graph, Key, Result, Value};

/// Computes one or several collections on the [`default_scheduler`]: an array, a
/// scalar, a delayed value, or a tuple or `Vec` of any of them, in one merged graph, so
/// inputs they share are computed once.
///
/// ```
/// use dask::prelude::*;
/// let _s = use_scheduler("sync")?;
/// let double = delayed(|x: i64| x * 2);
/// let x = dask::array::Array::<f64>::ones(&[4, 4], [2, 2])?;
/// let (a, b, total) = dask::compute((&double.call((2i64,)), &double.call((5i64,)), &x.sum()))?;
/// assert_eq!((a, b, total), (4, 10, 16.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compute<C: Collection>(what: C) -> std::result::Result<C::Output, C::Error> {
    what.compute(default_scheduler()?.as_ref())
}

/// Computes one or several collections on `scheduler` (a name such as `"threads"`, or a
/// value).
pub fn compute_on<C: Collection>(
    what: C,
    scheduler: impl IntoScheduler,
) -> std::result::Result<C::Output, C::Error> {
    what.compute(scheduler.into_scheduler()?.as_ref())
}

/// Computes `keys` of a raw `graph` on the [`default_scheduler`].
pub fn compute_graph(graph: &Graph, keys: &[Key]) -> Result<Vec<Value>> {
    dask_graph::compute(graph, keys, default_scheduler()?.as_ref())
}

/// Computes `keys` of a raw `graph` on `scheduler` (a name such as `"threads"`, or a
/// value).
pub fn compute_graph_on(
    graph: &Graph,
    keys: &[Key],
    scheduler: impl IntoScheduler,
) -> Result<Vec<Value>> {
    dask_graph::compute(graph, keys, scheduler.into_scheduler()?.as_ref())
}

/// The names most programs need.
pub mod prelude {
    pub use crate::{
        ProgressBar, compute, compute_graph, compute_graph_on, compute_on, default_scheduler,
        use_scheduler,
    };
    pub use dask_array::{Array, Reduce};
    pub use dask_dataframe::{
        CsvOptions, DataFrame, JoinHow, MergeOptions, ParquetOptions, col, lit, read_csv,
        read_parquet,
    };
    pub use dask_delayed::{Delayed, delayed, value};
    pub use dask_graph::{
        Arg, Callback, Collection, Graph, Key, Layer, Optimizations, Scheduler, Value, register_op,
    };
}
