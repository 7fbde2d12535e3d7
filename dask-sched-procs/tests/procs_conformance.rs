//! The process scheduler against the shared conformance suite (the variant for
//! schedulers that cannot run closures), with one and with two worker processes.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use dask_sched_procs::ProcessScheduler;

dask_sched_procs::test_worker!();

mod one_worker {
    use super::*;
    dask_graph::conformance_tests!(
        Arc::new(ProcessScheduler::new(1).unwrap()),
        local_ops = false
    );
}

mod two_workers {
    use super::*;
    dask_graph::conformance_tests!(
        Arc::new(ProcessScheduler::new(2).unwrap()),
        local_ops = false
    );
}
