//! The `Scheduler` and `Callback` traits, and the `compute` entry points.
//!
//! Shared semantics, checked for every scheduler by the conformance suite
//! ([`testing`](crate::testing), behind the `testing` feature):
//!
//! * results are identical whatever scheduler runs the plan;
//! * ready tasks start in priority order; a result is released as soon as its last
//!   dependent finishes, unless it was requested;
//! * the first task error stops new tasks from starting; the error names the failing
//!   key, its operation and the cause; a panic in a task becomes such an error;
//! * callbacks `start`, `pretask`, `posttask` and `finish` fire once per event, and
//!   `finish` fires even on error;
//! * a task may itself compute a graph (nested compute) without deadlocking.

use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;
use crate::graph::Graph;
use crate::key::Key;
use crate::optimize::Optimizations;
use crate::plan::Plan;
use crate::value::Value;

/// Something that executes plans.
pub trait Scheduler: Send + Sync {
    /// A short name for messages ("sync", "threads", "processes").
    fn name(&self) -> &str;

    /// Runs `plan` and returns the values of its requested keys, in request order.
    fn execute(&self, plan: &Plan, callbacks: &dyn Callback) -> Result<Vec<Value>>;

    /// How many bytes of results the scheduler keeps in memory at most, if it is
    /// limited; graph builders read it through
    /// [`memory_limit_hint`](crate::memory_limit_hint) to choose methods that fit.
    fn memory_limit(&self) -> Option<u64> {
        None
    }
}

impl<S: Scheduler + ?Sized> Scheduler for Arc<S> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn execute(&self, plan: &Plan, callbacks: &dyn Callback) -> Result<Vec<Value>> {
        (**self).execute(plan, callbacks)
    }
    fn memory_limit(&self) -> Option<u64> {
        (**self).memory_limit()
    }
}

impl<S: Scheduler + ?Sized> Scheduler for &S {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn execute(&self, plan: &Plan, callbacks: &dyn Callback) -> Result<Vec<Value>> {
        (**self).execute(plan, callbacks)
    }
    fn memory_limit(&self) -> Option<u64> {
        (**self).memory_limit()
    }
}

/// Hooks fired by schedulers, for progress bars and profilers. Every method has an
/// empty default. Methods take `&self` and may be called from worker threads.
pub trait Callback: Send + Sync {
    /// Whether every hook is a no-op, so a scheduler may skip the calls and the clock
    /// reads around tasks. Only `()` says yes.
    fn is_noop(&self) -> bool {
        false
    }
    /// The compute starts (before any task).
    fn start(&self, _plan: &Plan) {}
    /// A task is about to run on `worker`.
    fn pretask(&self, _key: &Key, _worker: usize) {}
    /// A task finished on `worker` after `elapsed`, producing `nbytes` bytes.
    fn posttask(&self, _key: &Key, _worker: usize, _elapsed: Duration, _nbytes: usize) {}
    /// The compute ended (`ok` is false on error). Always fires once `start` has.
    fn finish(&self, _ok: bool) {}
}

/// No callbacks.
impl Callback for () {
    fn is_noop(&self) -> bool {
        true
    }
}

/// Several callbacks fired in order.
#[derive(Clone, Default)]
pub struct Callbacks(pub Vec<Arc<dyn Callback>>);

impl Callback for Callbacks {
    fn is_noop(&self) -> bool {
        self.0.iter().all(|c| c.is_noop())
    }
    fn start(&self, plan: &Plan) {
        self.0.iter().for_each(|c| c.start(plan))
    }
    fn pretask(&self, key: &Key, worker: usize) {
        self.0.iter().for_each(|c| c.pretask(key, worker))
    }
    fn posttask(&self, key: &Key, worker: usize, elapsed: Duration, nbytes: usize) {
        self.0
            .iter()
            .for_each(|c| c.posttask(key, worker, elapsed, nbytes))
    }
    fn finish(&self, ok: bool) {
        self.0.iter().for_each(|c| c.finish(ok))
    }
}

/// Computes `keys` of `graph` with all optimizations and no callbacks.
pub fn compute(graph: &Graph, keys: &[Key], scheduler: &dyn Scheduler) -> Result<Vec<Value>> {
    compute_with(graph, keys, scheduler, &Optimizations::all(), &())
}

/// Computes `keys` of `graph` with the given optimizations and callbacks.
pub fn compute_with(
    graph: &Graph,
    keys: &[Key],
    scheduler: &dyn Scheduler,
    opts: &Optimizations,
    callbacks: &dyn Callback,
) -> Result<Vec<Value>> {
    let plan = Plan::build(graph, keys, opts)?;
    scheduler.execute(&plan, callbacks)
}
