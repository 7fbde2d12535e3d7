//! Getting callback events from the workers to the thread that owns a compute.
//!
//! Callbacks are borrowed by [`Scheduler::execute`](dask_graph::Scheduler::execute) for
//! the length of one call, but the pool's threads outlive it, so workers never touch the
//! callbacks themselves: they batch events into a channel and the owning thread (the one
//! that called `execute`, which otherwise only waits) fires them, with the id of the
//! worker that ran the task — as Python Dask's scheduler loop does. A batch is sent once
//! it holds [`BATCH`] events or [`FLUSH_AFTER`] has passed, and whenever the worker
//! leaves the run, so a long task's `pretask` is not held back behind short ones for
//! long, and every event of a run reaches the owner before the run's channel closes.
//!
//! A thread that owns the run *and* works on it (a worker of this pool computing a graph
//! from inside a task) fires its own events directly.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use dask_graph::{Callback, Plan, TaskId, panic_message};

/// Events per batch.
const BATCH: usize = 64;
/// Longest time an event waits in a worker's batch while that worker keeps busy.
const FLUSH_AFTER: Duration = Duration::from_millis(2);

/// What workers send to the owner of a run.
pub(crate) enum Msg {
    /// Callback events, in the order they happened on one worker.
    Events(Vec<Event>),
    /// New ready tasks were queued while the owner was waiting (it helps run them).
    Wake,
}

/// One callback event.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    id: TaskId,
    worker: u32,
    kind: Kind,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Pre,
    Post { elapsed: Duration, nbytes: usize },
}

/// Where a worker's callback events go.
pub(crate) enum Sink<'a> {
    /// Fired at once: this thread owns the callbacks.
    Direct(&'a dyn Callback, &'a Plan),
    /// Batched to the owner. The sender also keeps the run's channel open while this
    /// worker is attached to the run.
    Channel {
        tx: Sender<Msg>,
        buf: Vec<Event>,
        last_flush: Instant,
    },
}

impl<'a> Sink<'a> {
    /// A batching sink over `tx`.
    pub(crate) fn channel(tx: Sender<Msg>) -> Sink<'a> {
        Sink::Channel {
            tx,
            buf: Vec::new(),
            last_flush: Instant::now(),
        }
    }

    /// A task is about to run. Errors only when a directly fired callback panics.
    pub(crate) fn pre(&mut self, id: TaskId, worker: usize) -> Result<(), String> {
        self.event(Event {
            id,
            worker: worker as u32,
            kind: Kind::Pre,
        })
    }

    /// A task finished.
    pub(crate) fn post(
        &mut self,
        id: TaskId,
        worker: usize,
        elapsed: Duration,
        nbytes: usize,
    ) -> Result<(), String> {
        self.event(Event {
            id,
            worker: worker as u32,
            kind: Kind::Post { elapsed, nbytes },
        })
    }

    /// Tells a waiting owner that there is work. A no-op for the owner itself.
    pub(crate) fn wake(&self) {
        if let Sink::Channel { tx, .. } = self {
            // The owner may be gone already when the run failed; nothing to wake then.
            let _ = tx.send(Msg::Wake);
        }
    }

    /// Sends any batched events.
    pub(crate) fn flush(&mut self) {
        if let Sink::Channel {
            tx,
            buf,
            last_flush,
        } = self
        {
            if !buf.is_empty() {
                let _ = tx.send(Msg::Events(std::mem::take(buf)));
            }
            *last_flush = Instant::now();
        }
    }

    fn event(&mut self, event: Event) -> Result<(), String> {
        match self {
            Sink::Direct(callbacks, plan) => fire(*callbacks, plan, &event),
            Sink::Channel {
                buf, last_flush, ..
            } => {
                buf.push(event);
                if buf.len() >= BATCH || last_flush.elapsed() >= FLUSH_AFTER {
                    self.flush();
                }
                Ok(())
            }
        }
    }
}

impl Drop for Sink<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Fires the callbacks of a message received by the owner. A panicking callback is
/// reported as an error message instead of unwinding through the scheduler.
pub(crate) fn dispatch(callbacks: &dyn Callback, plan: &Plan, msg: Msg) -> Result<(), String> {
    match msg {
        Msg::Events(events) => events.iter().try_for_each(|e| fire(callbacks, plan, e)),
        Msg::Wake => Ok(()),
    }
}

fn fire(callbacks: &dyn Callback, plan: &Plan, event: &Event) -> Result<(), String> {
    let key = plan.key(event.id);
    let worker = event.worker as usize;
    catch_unwind(AssertUnwindSafe(|| match event.kind {
        Kind::Pre => callbacks.pretask(key, worker),
        Kind::Post { elapsed, nbytes } => callbacks.posttask(key, worker, elapsed, nbytes),
    }))
    .map_err(|payload| {
        format!(
            "a callback panicked on task {key}: {}",
            panic_message(payload.as_ref())
        )
    })
}
