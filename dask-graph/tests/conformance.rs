//! The synchronous scheduler against the shared conformance suite, plus the property
//! only it has: tasks run in exactly the plan's priority order.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use dask_graph::SyncScheduler;

dask_graph::conformance_tests!(Arc::new(SyncScheduler));

#[test]
fn sync_runs_tasks_exactly_in_priority_order() {
    dask_graph::testing::runs_in_priority_order(&(Arc::new(SyncScheduler) as _));
}

/// A scheduler that, like a process pool, cannot run closures: it refuses them up front
/// and otherwise runs the plan synchronously. It checks the suite's `local_ops = false`
/// variant (the refusal case) and shows how such a scheduler uses
/// [`Plan::first_local_op`].
mod without_closures {
    use std::sync::Arc;

    use dask_graph::{Callback, Plan, Result, Scheduler, SyncScheduler, Value};

    struct NoClosures;

    impl Scheduler for NoClosures {
        fn name(&self) -> &str {
            "no-closures"
        }

        fn execute(&self, plan: &Plan, callbacks: &dyn Callback) -> Result<Vec<Value>> {
            if let Some((_, key, op)) = plan.first_local_op() {
                return Err(dask_graph::closure_refused(self.name(), key, op));
            }
            SyncScheduler.execute(plan, callbacks)
        }
    }

    dask_graph::conformance_tests!(Arc::new(NoClosures), local_ops = false);
}
