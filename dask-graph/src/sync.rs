//! The synchronous scheduler: one thread, strict priority order.
//!
//! It is the reference semantics for every other scheduler and the debugger's friend:
//! tasks run in the caller's thread, one after another, in exactly the order of
//! [`Plan::order`], so a breakpoint or a backtrace shows the caller's stack.

use std::time::Instant;

use crate::error::Result;
use crate::plan::Plan;
use crate::scheduler::{Callback, Scheduler};
use crate::value::Value;

/// Runs every task in the calling thread, in priority order.
///
/// ```
/// use dask_graph::{Graph, Layer, Value, Arg, SyncScheduler, compute};
/// use dask_graph::testing::ADD;
/// let mut l = Layer::new("l");
/// l.data("a", Value::new(20i64))
///     .task("b", &ADD, vec![Arg::Key("a".into()), Arg::Literal(Value::new(22i64))]);
/// let out = compute(&Graph::from_layers([l]), &["b".into()], &SyncScheduler).unwrap();
/// assert_eq!(out[0].downcast_ref::<i64>(), Some(&42));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SyncScheduler;

impl Scheduler for SyncScheduler {
    fn name(&self) -> &str {
        "sync"
    }

    fn execute(&self, plan: &Plan, callbacks: &dyn Callback) -> Result<Vec<Value>> {
        callbacks.start(plan);
        let result = run(plan, callbacks);
        callbacks.finish(result.is_ok());
        result
    }
}

fn run(plan: &Plan, callbacks: &dyn Callback) -> Result<Vec<Value>> {
    let n = plan.len();
    let mut results: Vec<Option<Value>> = vec![None; n];
    let mut remaining: Vec<u32> = (0..n as u32).map(|i| plan.num_dependents(i)).collect();
    let quiet = callbacks.is_noop();
    for &id in plan.order() {
        let deps = plan.dependencies(id);
        let mut inputs = Vec::with_capacity(deps.len());
        for &d in deps {
            let r = &mut remaining[d as usize];
            *r -= 1;
            let slot = &mut results[d as usize];
            // The last consumer of an unrequested result takes it (no copy, and it is
            // freed when this task finishes).
            let v = if *r == 0 && !plan.is_requested(d) {
                slot.take()
            } else {
                slot.clone()
            };
            inputs.push(v.expect("dependencies run before their dependents"));
        }
        let value = if quiet {
            plan.run_task(id, inputs)?
        } else {
            let key = plan.key(id);
            callbacks.pretask(key, 0);
            let t0 = Instant::now();
            let value = plan.run_task(id, inputs)?;
            callbacks.posttask(key, 0, t0.elapsed(), value.nbytes());
            value
        };
        if remaining[id as usize] > 0 || plan.is_requested(id) {
            results[id as usize] = Some(value);
        }
    }
    Ok(plan
        .requested()
        .iter()
        .map(|&r| {
            results[r as usize]
                .clone()
                .expect("requested results are kept")
        })
        .collect())
}
