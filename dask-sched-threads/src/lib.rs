//! The threaded scheduler: the default way to run a dask-rs task graph.
//!
//! [`ThreadScheduler`] executes a [`Plan`] on a pool of worker threads created once and
//! reused by every compute (clones share the pool; computes from several threads at once
//! are fine). It passes the conformance suite of `dask-graph` and adds a memory limit
//! with spilling to disk.
//!
//! # Design
//!
//! * **Why not rayon.** Rayon's work-stealing deques order work LIFO per thread and FIFO
//!   between threads; they cannot honour a priority. Priority *is* the memory bound on
//!   larger-than-memory data (the static order finishes a reduction before loading new
//!   inputs), so this crate keeps its own small pool: plain threads, a priority queue per
//!   compute, and `crossbeam-channel` to report to the thread that asked for the compute.
//! * **Priority, depth-first.** The plan's static order is depth-first, and ready tasks
//!   start in that order: when a completion makes tasks ready, the worker runs the best of
//!   them itself if it beats everything queued — without touching any lock — and queues
//!   the rest. With one worker this reproduces the synchronous scheduler's order exactly.
//! * **No global lock on the hot path.** Per task: an atomic countdown of missing inputs
//!   per dependent, one small mutex per result (value plus readers left), one atomic task
//!   counter. The per-compute ready queue is locked only when a completion unlocks nothing
//!   better than what is queued; the pool lock only when a thread must sleep or wake one.
//! * **Release on last use.** The last dependent to read a result takes it out of its
//!   slot, so it is freed when that dependent finishes and can be reused in place.
//! * **Callbacks** are fired by the thread that called `execute` (it only waits
//!   otherwise), with the id of the worker that ran each task: workers append events to
//!   per-worker mailboxes that the caller empties every 2 ms (at once when one fills), so
//!   workers never hold a borrowed callback and the crate needs no `unsafe`. `pretask`
//!   precedes `posttask` for a task, and every event arrives before `finish`.
//! * **Nested compute.** A task that computes a graph on the same pool makes its worker
//!   run that inner compute's tasks while it waits (other idle workers join in), so it
//!   never deadlocks, even with one worker; a worker of another pool does the same (its
//!   events carry the id `workers()`). A plain thread spawned by a task and joined
//!   there is not a pool thread: if it computes on a pool whose every worker is blocked
//!   joining it, it waits forever, as it would on any bounded pool.
//! * **Errors.** The first failing or panicking task stops new tasks from starting; tasks
//!   already running finish and are discarded, and the error names the key, operation and
//!   cause. The pool stays usable.
//! * **Memory limit** ([`ThreadScheduler::with_memory_limit`]): results held for their
//!   dependents are counted; above the limit, those needed latest are spilled through
//!   their codecs to a temporary directory and read back on demand (see [`RunStats`]).
//!
//! ```
//! use dask_graph::{compute, testing::tree_sum_graph, Key};
//! use dask_sched_threads::ThreadScheduler;
//!
//! let threads = ThreadScheduler::new(2)?;
//! let out = compute(&tree_sum_graph(1000), &[Key::new("total")], &threads)?;
//! assert_eq!(out[0].downcast_ref::<i64>(), Some(&(999 * 1000 / 2)));
//! # Ok::<(), dask_graph::Error>(())
//! ```

mod events;
mod pool;
mod ready;
mod run;
mod spill;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use std::sync::atomic::Ordering;

use crossbeam_channel::RecvTimeoutError;
use dask_graph::{Callback, Error, Plan, Result, Scheduler, Value};

use crate::events::{FLUSH_EVERY, Msg, Sink};
use crate::pool::{Pool, Shared};
use crate::run::{Run, drive};
use crate::spill::Memory;

/// The name this scheduler reports in messages.
pub const SCHEDULER_NAME: &str = "threads";

/// Default stack size of worker threads. Tasks run on these stacks, and nested computes
/// add frames; 8 MiB matches a main thread's usual limit and costs only address space.
pub const DEFAULT_STACK_SIZE: usize = 8 << 20;

/// The multi-threaded scheduler. Cheap to clone: clones share the worker pool.
#[derive(Clone)]
pub struct ThreadScheduler {
    pool: Arc<Pool>,
    memory_limit: Option<u64>,
    spill_dir: Option<PathBuf>,
}

/// What one compute did, from [`ThreadScheduler::execute_with_stats`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Tasks in the plan.
    pub tasks: usize,
    /// Results written to disk (a result spilled twice counts twice).
    pub spilled: u64,
    /// Encoded bytes written to disk.
    pub spilled_bytes: u64,
    /// Results read back from disk.
    pub reloaded: u64,
    /// Results that had to be spilled but have no codec, so were kept in memory.
    pub unspillable: u64,
    /// Most bytes of results held at once (counted only with a memory limit).
    pub peak_held_bytes: u64,
    /// The spill directory, if one was created (it has been removed).
    pub spill_dir: Option<PathBuf>,
}

impl ThreadScheduler {
    /// A scheduler with its own pool of `workers` threads (at least one).
    pub fn new(workers: usize) -> Result<ThreadScheduler> {
        ThreadScheduler::builder().workers(workers).build()
    }

    /// A pool with one worker per available core.
    pub fn with_available_cores() -> Result<ThreadScheduler> {
        ThreadScheduler::builder().build()
    }

    /// The process-wide default scheduler (one worker per core), started on first use.
    pub fn global() -> Result<ThreadScheduler> {
        static GLOBAL: Mutex<Option<ThreadScheduler>> = Mutex::new(None);
        let mut global = lock(&GLOBAL);
        if let Some(s) = &*global {
            return Ok(s.clone());
        }
        let s = ThreadScheduler::with_available_cores()?;
        *global = Some(s.clone());
        Ok(s)
    }

    /// Options for a new pool.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The number of worker threads.
    pub fn workers(&self) -> usize {
        self.pool.workers
    }

    /// The same pool, spilling results to disk when those held exceed `bytes` during a
    /// compute (parse strings such as `"4GiB"` with [`dask_graph::parse_bytes`]).
    pub fn with_memory_limit(mut self, bytes: u64) -> ThreadScheduler {
        self.memory_limit = Some(bytes);
        self
    }

    /// The same pool, spilling under `dir` instead of the system's temporary directory.
    pub fn with_spill_dir(mut self, dir: impl Into<PathBuf>) -> ThreadScheduler {
        self.spill_dir = Some(dir.into());
        self
    }

    /// The memory limit, if any.
    pub fn memory_limit(&self) -> Option<u64> {
        self.memory_limit
    }

    /// Runs `plan` like [`Scheduler::execute`] and also reports what the compute did.
    pub fn execute_with_stats(
        &self,
        plan: &Plan,
        callbacks: &dyn Callback,
    ) -> (Result<Vec<Value>>, RunStats) {
        callbacks.start(plan);
        let (result, stats) = self.run(plan, callbacks);
        callbacks.finish(result.is_ok());
        (result, stats)
    }

    fn run(&self, plan: &Plan, callbacks: &dyn Callback) -> (Result<Vec<Value>>, RunStats) {
        let shared = &self.pool.shared;
        let (tx, rx) = crossbeam_channel::unbounded();
        let memory = self
            .memory_limit
            .map(|limit| Memory::new(plan, limit, self.spill_dir.clone()));
        let run = Arc::new(Run::new(
            plan.clone(),
            self.pool.workers,
            tx,
            callbacks.is_noop(),
            memory,
        ));
        if run.is_finished() {
            return run.outcome(); // nothing to run
        }
        shared.register(Arc::clone(&run));
        let registered = Registered {
            shared,
            run: &run,
            rx: &rx,
        };
        // A thread of this pool (a task computing a graph) runs the tasks itself while it
        // waits; so does a worker of another pool, since two pools computing on each
        // other could otherwise block each other's only workers. Its events carry the
        // id `workers()`, one past the pool's own.
        let helper = shared
            .current_worker()
            .or_else(|| Shared::in_any_pool().then_some(self.pool.workers));
        own(&run, shared, helper, &rx, callbacks);
        drop(registered);
        run.outcome()
    }
}

/// Unregisters a run when its owner is done with it. If the owner unwinds instead (a
/// panic that escaped every guard), the run is failed, its workers are waited for and
/// its spill files removed, so nothing of it outlives the call.
struct Registered<'a> {
    shared: &'a Shared,
    run: &'a Arc<Run>,
    rx: &'a crossbeam_channel::Receiver<Msg>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.run.fail(Error::Scheduler {
                scheduler: SCHEDULER_NAME.to_string(),
                message: "the compute was abandoned by a panic in its caller".into(),
            });
            for _ in self.rx.iter() {}
            if let Some(m) = &self.run.memory {
                let _ = m.remove_dir();
            }
        }
        self.shared.unregister(self.run);
    }
}

/// The owner's side of a run: deliver workers' callback events, and — as a `helper`
/// with that worker id — run the run's tasks, until every worker has left the run.
fn own(
    run: &Arc<Run>,
    shared: &Shared,
    helper: Option<usize>,
    rx: &crossbeam_channel::Receiver<Msg>,
    callbacks: &dyn Callback,
) {
    let quiet = callbacks.is_noop();
    let plan = run.plan.clone();
    let mut sink = Sink::Direct(callbacks, &plan);
    let mut unlocked = Vec::new();
    let wake = |queued: usize| shared.notify(queued);
    let deliver = || {
        if !quiet && let Err(message) = run.mailboxes.deliver(callbacks, &plan) {
            run.fail(callback_failure(message));
        }
    };
    loop {
        if let Some(worker) = helper {
            drive(run, worker, &mut sink, &mut unlocked, &wake);
            run.owner_waiting.store(true, Ordering::SeqCst);
            if run.has_work() {
                run.owner_waiting.store(false, Ordering::SeqCst);
                continue;
            }
        }
        // Wake-ups: a nudge (full mailbox), new work for a helper, every FLUSH_EVERY
        // while callbacks listen, and the channel closing when the run is over.
        let open = if quiet {
            rx.recv().is_ok()
        } else {
            !matches!(
                rx.recv_timeout(FLUSH_EVERY),
                Err(RecvTimeoutError::Disconnected)
            )
        };
        run.owner_waiting.store(false, Ordering::SeqCst);
        deliver();
        if !open {
            return;
        }
    }
}

fn callback_failure(message: String) -> Error {
    Error::Scheduler {
        scheduler: SCHEDULER_NAME.to_string(),
        message,
    }
}

impl Scheduler for ThreadScheduler {
    fn name(&self) -> &str {
        SCHEDULER_NAME
    }

    fn execute(&self, plan: &Plan, callbacks: &dyn Callback) -> Result<Vec<Value>> {
        self.execute_with_stats(plan, callbacks).0
    }

    fn memory_limit(&self) -> Option<u64> {
        self.memory_limit
    }
}

impl std::fmt::Debug for ThreadScheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadScheduler")
            .field("workers", &self.pool.workers)
            .field("memory_limit", &self.memory_limit)
            .field("spill_dir", &self.spill_dir)
            .finish()
    }
}

/// Options for a new [`ThreadScheduler`] pool. (The memory limit is not a pool option:
/// it is set per scheduler handle with [`ThreadScheduler::with_memory_limit`], so two
/// handles on one pool may differ.)
///
/// ```
/// use dask_sched_threads::ThreadScheduler;
/// let s = ThreadScheduler::builder()
///     .workers(3)
///     .stack_size(16 << 20)
///     .build()?
///     .with_memory_limit(dask_graph::parse_bytes("512MiB")?);
/// assert_eq!(s.workers(), 3);
/// assert_eq!(s.memory_limit(), Some(512 << 20));
/// # Ok::<(), dask_graph::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    workers: Option<usize>,
    stack_size: Option<usize>,
}

impl Builder {
    /// Worker threads (default: the available cores).
    pub fn workers(mut self, workers: usize) -> Builder {
        self.workers = Some(workers);
        self
    }

    /// Stack size of each worker (default [`DEFAULT_STACK_SIZE`]).
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Starts the pool.
    pub fn build(self) -> Result<ThreadScheduler> {
        let workers = match self.workers {
            Some(0) => {
                return Err(Error::Scheduler {
                    scheduler: SCHEDULER_NAME.to_string(),
                    message: "a pool needs at least one worker thread (asked for 0)".into(),
                });
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let pool = Pool::start(workers, self.stack_size.unwrap_or(DEFAULT_STACK_SIZE))?;
        Ok(ThreadScheduler {
            pool: Arc::new(pool),
            memory_limit: None,
            spill_dir: None,
        })
    }
}

/// Locks `m`, ignoring poisoning: no code panics while holding these locks (tasks and
/// callbacks run outside them, behind `catch_unwind`).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
