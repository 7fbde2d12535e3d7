//! The synchronous scheduler against the shared conformance suite, plus the property
//! only it has: tasks run in exactly the plan's priority order.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use dask_graph::testing::{Event, Recorder, tree_sum_graph};
use dask_graph::{Key, Optimizations, Plan, Scheduler, SyncScheduler};

dask_graph::conformance_tests!(Arc::new(SyncScheduler));

#[test]
fn sync_runs_tasks_exactly_in_priority_order() {
    let g = tree_sum_graph(300);
    for opts in [Optimizations::none(), Optimizations::all()] {
        let plan = Plan::build(&g, &[Key::new("total")], &opts).unwrap();
        let rec = Recorder::default();
        SyncScheduler.execute(&plan, &rec).unwrap();
        let ran: Vec<Key> = rec
            .events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Pre(k, _) => Some(k),
                _ => None,
            })
            .collect();
        let expected: Vec<Key> = plan.order().iter().map(|&i| plan.key(i).clone()).collect();
        assert_eq!(ran, expected);
    }
}
