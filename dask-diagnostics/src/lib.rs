//! # dask-diagnostics: watching computes
//!
//! Everything here is a [`Callback`](dask_graph::Callback): schedulers fire `start`,
//! `pretask`, `posttask` and `finish` on the thread that called `execute`, so a
//! diagnostic never runs on a worker's hot path and works the same under every
//! scheduler (synchronous, threads, worker processes). The crate depends on
//! `dask-graph` only; collections and schedulers know nothing of it, and a user passes
//! a diagnostic to any `compute_with` (or several at once, in a
//! [`Callbacks`](dask_graph::Callbacks)).
//!
//! * [`ProgressBar`] — completed/total tasks and elapsed time on stderr (`indicatif`),
//!   like Dask's `ProgressBar(minimum=...)`: nothing for short computes or when stderr is
//!   not a terminal.

mod progress;

pub use progress::ProgressBar;
