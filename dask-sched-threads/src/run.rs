//! The state of one compute: what is ready, what is done, and the results held.
//!
//! Everything a worker touches per task is either an atomic counter or a lock that only
//! the workers handling that task's neighbours ever contend for:
//!
//! * `deps_left[t]` — inputs of `t` not yet computed; the worker whose completion takes
//!   it to zero makes `t` ready;
//! * `slots[t]` — the result of `t` with the number of dependents still to read it. The
//!   last reader takes the value out (no copy, and it is freed when that dependent
//!   finishes); requested results stay until the end;
//! * the ready queue (see [`ReadyQueue`]), touched only when a completion unlocks
//!   nothing better than what is queued;
//! * `tasks_left` — when it reaches zero the run is complete.
//!
//! The first error wins: it is stored, the ready queue is emptied and nothing new starts;
//! tasks already running finish and are discarded. A run *finishes* by dropping its own
//! sender of the owner's channel; the owner sees the channel close once every worker has
//! also let go of it, which is exactly when no worker is still inside the run.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crossbeam_channel::Sender;
use dask_graph::{Error, Plan, Result, TaskId, Value};

use crate::events::{Mailboxes, Msg, Sink};
use crate::lock;
use crate::ready::ReadyQueue;
use crate::spill::{Memory, SpillFile};
use crate::{RunStats, SCHEDULER_NAME};

/// The result of one task, as held between its completion and its last reader.
pub(crate) struct Slot {
    /// Dependents that have not read the result yet.
    pub(crate) uses_left: u32,
    /// With a memory limit: when the result is needed next (its key among the spill
    /// candidates), or [`crate::spill::NOT_CANDIDATE`].
    pub(crate) need: u32,
    pub(crate) value: Stored,
}

/// Where a result is.
pub(crate) enum Stored {
    /// Not computed yet, or already handed to its last reader.
    Empty,
    /// In memory.
    Memory(Value),
    /// On disk, through its codec.
    Spilled(Box<SpillFile>),
}

/// One compute in flight on the pool.
pub(crate) struct Run {
    pub(crate) plan: Plan,
    deps_left: Box<[AtomicU32]>,
    pub(crate) slots: Box<[Mutex<Slot>]>,
    pub(crate) ready: ReadyQueue,
    tasks_left: AtomicUsize,
    failed: AtomicBool,
    finished: AtomicBool,
    error: Mutex<Option<Error>>,
    /// The run's own sender; dropped when the run finishes.
    sender: Mutex<Option<Sender<Msg>>>,
    /// The owner is helping and waits for [`Msg`]s: pushes must wake it.
    pub(crate) owner_waiting: AtomicBool,
    /// No callbacks: skip events and clock reads.
    quiet: bool,
    /// Callback events from pool workers, for the owner to fire.
    pub(crate) mailboxes: Mailboxes,
    pub(crate) memory: Option<Memory>,
}

impl Run {
    /// A run of `plan` on a pool of `workers`, reporting to `sender`, with an optional
    /// memory policy.
    pub(crate) fn new(
        plan: Plan,
        workers: usize,
        sender: Sender<Msg>,
        quiet: bool,
        memory: Option<Memory>,
    ) -> Run {
        let n = plan.len();
        let deps_left: Box<[AtomicU32]> = (0..n as TaskId)
            .map(|t| AtomicU32::new(plan.dependencies(t).len() as u32))
            .collect();
        // In priority order, as the ready queue wants them.
        let roots: Vec<u32> = (0..n as u32)
            .filter(|&p| plan.dependencies(plan.order()[p as usize]).is_empty())
            .collect();
        let slots = (0..n)
            .map(|_| {
                Mutex::new(Slot {
                    uses_left: 0,
                    need: crate::spill::NOT_CANDIDATE,
                    value: Stored::Empty,
                })
            })
            .collect();
        Run {
            plan,
            deps_left,
            slots,
            ready: ReadyQueue::new(roots),
            tasks_left: AtomicUsize::new(n),
            failed: AtomicBool::new(false),
            finished: AtomicBool::new(n == 0),
            error: Mutex::new(None),
            sender: Mutex::new((n > 0).then_some(sender)),
            owner_waiting: AtomicBool::new(false),
            quiet,
            mailboxes: Mailboxes::new(if quiet { 0 } else { workers }),
            memory,
        }
    }

    /// A sender for a worker joining the run, or `None` once it has finished.
    pub(crate) fn attach(&self) -> Option<Sender<Msg>> {
        lock(&self.sender).clone()
    }

    /// Whether the run is complete or has failed.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished.load(Ordering::SeqCst)
    }

    /// Whether a worker would find something to do here.
    pub(crate) fn has_work(&self) -> bool {
        !self.is_finished() && !self.ready.is_empty()
    }

    /// Runs the task at `priority` on `worker`. Returns the priority of the task this
    /// worker should run next (if any) and how many tasks it added to the ready queue
    /// (so that idle threads can be woken).
    pub(crate) fn execute(
        &self,
        priority: u32,
        worker: usize,
        sink: &mut Sink<'_>,
        unlocked: &mut Vec<u32>,
    ) -> (Option<u32>, usize) {
        if self.failed.load(Ordering::Relaxed) {
            return (None, 0);
        }
        let id = self.plan.order()[priority as usize];
        match self.run_one(id, priority, worker, sink) {
            Ok(()) => {}
            Err(e) => {
                self.fail(e);
                return (None, 0);
            }
        }
        unlocked.clear();
        for &d in self.plan.dependents(id) {
            if self.deps_left[d as usize].fetch_sub(1, Ordering::AcqRel) == 1 {
                unlocked.push(self.plan.priority(d));
            }
        }
        if self.tasks_left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.finish();
            return (None, 0);
        }
        if self.failed.load(Ordering::Relaxed) {
            return (None, 0);
        }
        self.next(unlocked)
    }

    /// Gathers the inputs, runs the task, fires its events and stores the result.
    fn run_one(&self, id: TaskId, priority: u32, worker: usize, sink: &mut Sink<'_>) -> Result<()> {
        let inputs = self.gather(id, priority)?;
        let value = if self.quiet {
            self.plan.run_task(id, inputs)?
        } else {
            sink.pre(id, worker).map_err(callback_error)?;
            let t0 = Instant::now();
            let value = self.plan.run_task(id, inputs)?;
            sink.post(id, worker, t0.elapsed(), value.nbytes())
                .map_err(callback_error)?;
            value
        };
        self.store(id, priority, value)
    }

    /// Chooses what to run after a completion that made `unlocked` ready: the best of
    /// them if it beats the queue (depth-first, lock-free), otherwise the queue's best.
    fn next(&self, unlocked: &mut Vec<u32>) -> (Option<u32>, usize) {
        let Some((at, &best)) = unlocked.iter().enumerate().min_by_key(|&(_, p)| *p) else {
            return (self.ready.pop(), 0);
        };
        if best < self.ready.min() {
            unlocked.swap_remove(at);
            if !unlocked.is_empty() {
                self.ready.push(unlocked);
            }
            (Some(best), unlocked.len())
        } else {
            let top = self.ready.push_pop(unlocked);
            (top, unlocked.len() - 1)
        }
    }

    /// The inputs of `id`, in dependency order; the last reader of each takes it.
    fn gather(&self, id: TaskId, priority: u32) -> Result<Vec<Value>> {
        let deps = self.plan.dependencies(id);
        let mut inputs = Vec::with_capacity(deps.len());
        for &d in deps {
            let mut slot = lock(&self.slots[d as usize]);
            let Some(left) = slot.uses_left.checked_sub(1) else {
                return Err(self.internal(d, "read more often than it has dependents"));
            };
            slot.uses_left = left;
            let last = left == 0 && !self.plan.is_requested(d);
            let from_disk = matches!(slot.value, Stored::Spilled(_));
            let value = match (&mut slot.value, last) {
                (Stored::Memory(v), false) => v.clone(),
                (Stored::Memory(_), true) => {
                    match std::mem::replace(&mut slot.value, Stored::Empty) {
                        Stored::Memory(v) => v,
                        _ => return Err(self.internal(d, "changed while locked")),
                    }
                }
                (Stored::Spilled(_), _) => match &self.memory {
                    Some(m) => m.reload(self, d, &mut slot, last)?,
                    None => return Err(self.internal(d, "spilled without a memory limit")),
                },
                (Stored::Empty, _) => {
                    return Err(self.internal(d, "missing when its dependent ran"));
                }
            };
            if let Some(m) = &self.memory {
                // A result read from disk by its last reader was never counted as held.
                if !(from_disk && last) {
                    m.read(self, d, &mut slot, priority, last, &value);
                }
            }
            drop(slot);
            inputs.push(value);
        }
        if let Some(m) = &self.memory {
            m.spill_while_over(self)?;
        }
        Ok(inputs)
    }

    /// Keeps `value` for its dependents (or the caller), or drops it if nobody needs it.
    fn store(&self, id: TaskId, priority: u32, value: Value) -> Result<()> {
        let uses = self.plan.num_dependents(id);
        // After a failure nobody will read it (and it must not be spilled).
        if (uses == 0 && !self.plan.is_requested(id)) || self.failed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut slot = lock(&self.slots[id as usize]);
        slot.uses_left = uses;
        if let Some(m) = &self.memory {
            m.stored(self, id, &mut slot, priority, &value);
        }
        slot.value = Stored::Memory(value);
        drop(slot);
        if let Some(m) = &self.memory {
            m.spill_while_over(self)?;
        }
        Ok(())
    }

    /// Records the first error and stops the run.
    pub(crate) fn fail(&self, error: Error) {
        {
            let mut first = lock(&self.error);
            if first.is_none() {
                *first = Some(error);
            }
        }
        if !self.failed.swap(true, Ordering::SeqCst) {
            self.ready.clear();
            self.finish();
        }
    }

    /// Marks the run finished and lets go of its own sender.
    fn finish(&self) {
        self.finished.store(true, Ordering::SeqCst);
        lock(&self.sender).take();
    }

    /// After every worker has left: the requested values, or the first error.
    pub(crate) fn outcome(&self) -> (Result<Vec<Value>>, RunStats) {
        let mut result = match lock(&self.error).take() {
            Some(e) => Err(e),
            None => self.collect(),
        };
        // Workers may hold the run a moment longer; the values must not outlive the
        // compute. After a success only requested results remain.
        let held: Box<dyn Iterator<Item = TaskId>> = if result.is_ok() {
            Box::new(self.plan.requested().iter().copied())
        } else {
            Box::new(0..self.plan.len() as TaskId)
        };
        for id in held {
            lock(&self.slots[id as usize]).value = Stored::Empty;
        }
        let mut stats = RunStats {
            tasks: self.plan.len(),
            ..RunStats::default()
        };
        if let Some(m) = &self.memory {
            m.fill_stats(&mut stats);
            // Spill files go whatever the outcome; failing to remove them is reported.
            if let Err(e) = m.remove_dir()
                && result.is_ok()
            {
                result = Err(e);
            }
        }
        (result, stats)
    }

    fn collect(&self) -> Result<Vec<Value>> {
        self.plan
            .requested()
            .iter()
            .map(|&r| {
                let mut slot = lock(&self.slots[r as usize]);
                match &slot.value {
                    Stored::Memory(v) => Ok(v.clone()),
                    Stored::Spilled(_) => match &self.memory {
                        Some(m) => m.reload(self, r, &mut slot, false),
                        None => Err(self.internal(r, "spilled without a memory limit")),
                    },
                    Stored::Empty => Err(self.internal(r, "requested but not kept")),
                }
            })
            .collect()
    }

    /// An error for a broken invariant of this crate, naming the key concerned.
    pub(crate) fn internal(&self, id: TaskId, what: &str) -> Error {
        Error::Scheduler {
            scheduler: SCHEDULER_NAME.to_string(),
            message: format!(
                "internal error: the result of {} was {what}",
                self.plan.key(id)
            ),
        }
    }
}

fn callback_error(message: String) -> Error {
    Error::Scheduler {
        scheduler: SCHEDULER_NAME.to_string(),
        message,
    }
}

/// Runs tasks of `run` on this thread until it has nothing ready. `wake(n)` is told
/// how many tasks were queued for other threads.
pub(crate) fn drive(
    run: &Arc<Run>,
    worker: usize,
    sink: &mut Sink<'_>,
    unlocked: &mut Vec<u32>,
    wake: &dyn Fn(usize),
) {
    let mut next = run.ready.pop();
    while let Some(priority) = next {
        let (after, queued) = run.execute(priority, worker, sink, unlocked);
        if queued > 0 {
            wake(queued);
            if run.owner_waiting.load(Ordering::SeqCst) {
                sink.wake();
            }
        }
        next = after.or_else(|| {
            if run.is_finished() {
                None
            } else {
                run.ready.pop()
            }
        });
    }
}
