//! The multi-process scheduler: isolation, and the road to many machines.
//!
//! [`ProcessScheduler`] runs a [`Plan`] on worker processes that are the same executable
//! re-run (`std::env::current_exe`), connected with `ipc-channel`. A crash, a leak or a
//! non-thread-safe library in one task cannot take the caller down, and because tasks and
//! data cross a real process boundary, it proves the graph format works where there is
//! no shared address space.
//!
//! # Opting in
//!
//! A program calls [`worker_main_if_child`] first thing in `main`; a test file invokes
//! [`test_worker!`] once at its root (it defines the test through which the test
//! binary's worker processes start, so `cargo test` and `cargo nextest` both work).
//! Workers say hello with their registry fingerprint; a worker built from a different
//! binary (different registered operations or codecs) is refused, and a worker that dies
//! before connecting — or has not connected after 30 s, and is killed — is reported
//! instead of hanging the handshake. Workers die with their parent (a parent-death
//! signal), and a worker process cannot start a process pool of its own (that is also
//! what stops a program that forgot `worker_main_if_child` from spawning without end).
//!
//! # What crosses
//!
//! Tasks name registered operations; literals and results cross by their codecs
//! ([`dask_graph::WireTask`]). A graph with a closure, or with a literal whose type has no
//! codec, is refused before any task runs, naming the task. A *result* without a codec is
//! only a problem when it must leave its worker (another worker or the caller needs it);
//! then the error names the task and the type.
//!
//! # Design
//!
//! The parent holds all scheduling state and runs one event loop per compute
//! (`exec.rs`): placement by input locality, batches of tasks per message with chains
//! and local sub-trees placed behind their inputs on the same worker, results kept on
//! workers until another worker or the caller needs them, release after the last use,
//! and crash recovery (replace the worker, recompute what was lost, isolate suspects).
//! Computes on one scheduler run one at a time (a second caller waits its turn).
//! Encoded values of 64 KiB and more cross in shared-memory regions from a per-worker
//! pool: a region is written once, read in place by the receiver, and recycled when the
//! parent has counted every reader done; smaller values travel inside the message.
//! Values needed on another worker travel through the parent, which forwards the region
//! without copying it.
//!
//! Callbacks: `pretask` fires when a task is sent to its worker (as Python Dask's
//! scheduler does), `posttask` when its completion arrives, with the time the worker
//! measured; both carry the worker's index.

mod exec;
mod pool;
mod protocol;
mod worker;

use std::sync::Mutex;

use dask_graph::{Callback, Plan, Result, Scheduler, Value};

pub use worker::{SERVER_ENV, WORKER_TEST, worker_main_if_child};

use crate::exec::Compute;
use crate::pool::{Pool, scheduler_error};
use crate::protocol::ToWorker;

/// The name this scheduler reports in messages.
pub const SCHEDULER_NAME: &str = "processes";

/// How many times a task may kill its worker before the compute fails.
pub const DEFAULT_MAX_KILLS: u32 = 3;

/// Runs plans on a pool of worker processes. Dropping it stops and reaps the workers.
pub struct ProcessScheduler {
    pool: Mutex<Pool>,
    program: std::path::PathBuf,
    workers: usize,
    max_kills: u32,
}

impl ProcessScheduler {
    /// Starts `workers` worker processes (at least one, at most 64).
    pub fn new(workers: usize) -> Result<ProcessScheduler> {
        let program = std::env::current_exe()
            .map_err(|e| scheduler_error(format!("cannot find the current executable: {e}")))?;
        ProcessScheduler::with_program(workers, program)
    }

    /// Starts `workers` worker processes running `program` instead of the current
    /// executable: another binary of the same build that calls
    /// [`worker_main_if_child`] first thing. Its registry of operations and codecs must
    /// be the caller's (checked at the handshake).
    pub fn with_program(
        workers: usize,
        program: impl Into<std::path::PathBuf>,
    ) -> Result<ProcessScheduler> {
        let program = program.into();
        if workers == 0 || workers > 64 {
            return Err(scheduler_error(format!(
                "a process pool needs 1 to 64 workers (asked for {workers})"
            )));
        }
        if std::env::var_os(SERVER_ENV).is_some() {
            // Started as a worker but not serving: without this check every worker would
            // start a pool of its own, without end.
            return Err(scheduler_error(format!(
                "this process was started as a dask worker ({SERVER_ENV} is set) but did not become one: call `dask_sched_procs::worker_main_if_child()` first thing in `main` (or invoke `dask_sched_procs::test_worker!()` in the test file). Worker processes cannot start process pools of their own."
            )));
        }
        Ok(ProcessScheduler {
            pool: Mutex::new(Pool::start(workers, program.clone())?),
            program,
            workers,
            max_kills: DEFAULT_MAX_KILLS,
        })
    }

    /// One worker per available core.
    pub fn with_available_cores() -> Result<ProcessScheduler> {
        ProcessScheduler::new(
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(64),
        )
    }

    /// Fails a task after it has killed its worker `kills` times (default 3).
    pub fn with_max_kills(mut self, kills: u32) -> ProcessScheduler {
        self.max_kills = kills.max(1);
        self
    }

    /// The number of worker processes.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The process ids of the workers (they change when a worker is replaced).
    pub fn worker_pids(&self) -> Vec<u32> {
        let pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        pool.workers.iter().map(|w| w.pid()).collect()
    }
}

impl Scheduler for ProcessScheduler {
    fn name(&self) -> &str {
        SCHEDULER_NAME
    }

    fn execute(&self, plan: &Plan, callbacks: &dyn Callback) -> Result<Vec<Value>> {
        callbacks.start(plan);
        let result = self.run(plan, callbacks);
        callbacks.finish(result.is_ok());
        result
    }
}

impl ProcessScheduler {
    fn run(&self, plan: &Plan, callbacks: &dyn Callback) -> Result<Vec<Value>> {
        let compute = Compute::new(plan, self.workers, self.max_kills, callbacks.is_noop())?;
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compute.run(&mut pool, callbacks)
        }));
        let (result, intact) = outcome.unwrap_or_else(|payload| {
            let message = format!(
                "internal error: the scheduler panicked: {}",
                dask_graph::panic_message(payload.as_ref())
            );
            (Err(scheduler_error(message)), false)
        });
        if intact {
            for w in &pool.workers {
                let _ = w.tx.send(ToWorker::Reset);
            }
        } else {
            // Workers may still be busy with this compute: start afresh rather than
            // mistake their late answers for the next compute's.
            let fresh = Pool::start(self.workers, self.program.clone());
            match fresh {
                Ok(p) => *pool = p,
                Err(e) => {
                    return Err(scheduler_error(format!(
                        "{}; restarting the workers also failed: {e}",
                        result.err().map_or_else(String::new, |e| e.to_string())
                    )));
                }
            }
        }
        result
    }
}

impl std::fmt::Debug for ProcessScheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessScheduler")
            .field("workers", &self.workers)
            .field("max_kills", &self.max_kills)
            .finish()
    }
}
