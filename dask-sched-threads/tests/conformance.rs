//! The threaded scheduler against the shared conformance suite: with one worker (where
//! nested computes must be run by the waiting worker itself), with more workers than
//! cores, and under a memory limit of 48 bytes (six `i64` results), so that every case
//! with wider intermediate state spills results and reads them back from disk.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use dask_sched_threads::ThreadScheduler;

mod one_worker {
    use super::*;
    dask_graph::conformance_tests!(Arc::new(ThreadScheduler::new(1).unwrap()));
}

mod three_workers {
    use super::*;
    dask_graph::conformance_tests!(Arc::new(ThreadScheduler::new(3).unwrap()));
}

mod spilling_under_a_tiny_limit {
    use super::*;
    dask_graph::conformance_tests!(Arc::new(
        ThreadScheduler::new(2).unwrap().with_memory_limit(48)
    ));
}
