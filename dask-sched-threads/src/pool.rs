//! The persistent worker threads and how they find work.
//!
//! The pool keeps the list of runs in flight. An idle worker takes the most recently
//! started run that has ready tasks (so a compute nested inside a task, which blocks
//! that task's worker, is finished first), joins it, and runs its tasks until it has
//! nothing ready; then it looks again, or sleeps on a condition variable.
//!
//! Waking is cheap when everyone is busy: a thread that queues tasks reads one atomic
//! counter of sleeping workers and takes the pool lock only when it is non-zero. The
//! sleeper registers itself in that counter *before* checking the runs for work, and
//! both sides use sequentially consistent operations, so a task queued at the same
//! moment is either seen by the sleeper or wakes it.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use dask_graph::{Error, panic_message};

use crate::SCHEDULER_NAME;
use crate::events::Sink;
use crate::lock;
use crate::run::{Run, drive};

/// Distinguishes pools, so a thread knows whether it is a worker of *this* pool.
static NEXT_POOL_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// `(pool id, worker index)` when this thread is a pool worker.
    static CURRENT: Cell<Option<(u64, usize)>> = const { Cell::new(None) };
}

/// What the workers and the compute callers share.
pub(crate) struct Shared {
    id: u64,
    state: Mutex<State>,
    wake: Condvar,
    /// Workers asleep (or about to be) on `wake`.
    idle: AtomicUsize,
}

struct State {
    runs: Vec<Arc<Run>>,
    shutdown: bool,
}

impl Shared {
    /// The index of the current thread if it is a worker of this pool.
    pub(crate) fn current_worker(&self) -> Option<usize> {
        CURRENT.with(|c| match c.get() {
            Some((pool, worker)) if pool == self.id => Some(worker),
            _ => None,
        })
    }

    /// Whether the current thread is a worker of any pool (this one or another).
    pub(crate) fn in_any_pool() -> bool {
        CURRENT.with(|c| c.get().is_some())
    }

    /// Makes `run` visible to the workers and wakes the idle ones.
    pub(crate) fn register(&self, run: Arc<Run>) {
        let mut state = lock(&self.state);
        state.runs.push(run);
        self.wake.notify_all();
    }

    /// Forgets `run` (after it finished).
    pub(crate) fn unregister(&self, run: &Arc<Run>) {
        lock(&self.state).runs.retain(|r| !Arc::ptr_eq(r, run));
    }

    /// `queued` tasks were added to some run: wake up to that many sleeping workers.
    pub(crate) fn notify(&self, queued: usize) {
        let idle = self.idle.load(Ordering::SeqCst);
        if idle == 0 || queued == 0 {
            return;
        }
        let _state = lock(&self.state);
        if queued >= idle {
            self.wake.notify_all();
        } else {
            (0..queued).for_each(|_| self.wake.notify_one());
        }
    }

    /// Blocks until some run has ready tasks (`Some`) or the pool shuts down (`None`).
    fn find_work(&self) -> Option<Arc<Run>> {
        let mut state = lock(&self.state);
        loop {
            if state.shutdown {
                return None;
            }
            self.idle.fetch_add(1, Ordering::SeqCst);
            if let Some(run) = state.runs.iter().rev().find(|r| r.has_work()) {
                self.idle.fetch_sub(1, Ordering::SeqCst);
                return Some(Arc::clone(run));
            }
            state = self.wake.wait(state).unwrap_or_else(|p| p.into_inner());
            self.idle.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// The threads. Dropping the pool stops and joins them.
pub(crate) struct Pool {
    pub(crate) shared: Arc<Shared>,
    pub(crate) workers: usize,
    handles: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` threads with `stack_size`-byte stacks.
    pub(crate) fn start(workers: usize, stack_size: usize) -> Result<Pool, Error> {
        let shared = Arc::new(Shared {
            id: NEXT_POOL_ID.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(State {
                runs: Vec::new(),
                shutdown: false,
            }),
            wake: Condvar::new(),
            idle: AtomicUsize::new(0),
        });
        let mut pool = Pool {
            shared: Arc::clone(&shared),
            workers,
            handles: Vec::with_capacity(workers),
        };
        for index in 0..workers {
            let shared = Arc::clone(&shared);
            let handle = std::thread::Builder::new()
                .name(format!("dask-worker-{index}"))
                .stack_size(stack_size)
                .spawn(move || worker_main(&shared, index))
                .map_err(|e| Error::Scheduler {
                    scheduler: SCHEDULER_NAME.to_string(),
                    message: format!("cannot start worker thread {index} of {workers}: {e}"),
                })?;
            // On an error above, dropping `pool` stops the threads already started.
            pool.handles.push(handle);
        }
        Ok(pool)
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        lock(&self.shared.state).shutdown = true;
        self.shared.wake.notify_all();
        // A worker dropping the last handle to its own pool cannot join itself; the
        // threads then exit on their own once they see the shutdown.
        if self.shared.current_worker().is_some() {
            return;
        }
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}

fn worker_main(shared: &Arc<Shared>, index: usize) {
    CURRENT.with(|c| c.set(Some((shared.id, index))));
    let mut unlocked = Vec::new();
    while let Some(run) = shared.find_work() {
        let Some(tx) = run.attach() else {
            continue; // finished in between
        };
        let wake = |queued: usize| shared.notify(queued);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut sink = Sink::Mailbox {
                tx,
                mailboxes: &run.mailboxes,
            };
            drive(&run, index, &mut sink, &mut unlocked, &wake);
        }));
        if let Err(payload) = outcome {
            // Tasks, callbacks and codecs are caught where they run; what is left is a
            // value's `Drop` or a bug here. Fail the run instead of losing the worker.
            run.fail(Error::Scheduler {
                scheduler: SCHEDULER_NAME.to_string(),
                message: format!(
                    "worker {index} panicked outside any task (in a value's `Drop`, or a bug in this crate): {}",
                    panic_message(payload.as_ref())
                ),
            });
        }
    }
}
