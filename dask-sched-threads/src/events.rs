//! Getting callback events from the workers to the thread that owns a compute.
//!
//! Callbacks are borrowed by [`Scheduler::execute`](dask_graph::Scheduler::execute) for
//! the length of one call, but the pool's threads outlive it, so workers never touch the
//! callbacks themselves. Each worker appends its events to its own mailbox (a mutex no
//! other worker takes), and the owning thread — the one that called `execute`, which
//! otherwise only waits — empties the mailboxes and fires the callbacks, with the id of
//! the worker that ran each task, as Python Dask's scheduler loop does. The owner looks
//! every [`FLUSH_EVERY`], and at once when a mailbox holds [`BATCH`] events (the worker
//! nudges it), so an event — including the `pretask` of a long task — reaches the
//! callbacks within a few milliseconds, and a busy worker never waits for the owner.
//! Events of one worker keep their order; the channel closing tells the owner that
//! every worker has left the run, after which it empties the mailboxes a last time.
//!
//! A thread that owns the run *and* works on it (a worker computing a graph from inside
//! a task) fires its own events directly.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::time::Duration;

use crossbeam_channel::Sender;
use dask_graph::{Callback, Plan, TaskId, panic_message};

use crate::lock;

/// Events in a mailbox before its worker nudges the owner.
const BATCH: usize = 256;
/// How often the owner empties the mailboxes while tasks run.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_millis(2);

/// What workers send to the owner of a run.
pub(crate) enum Msg {
    /// A mailbox is full: empty it now.
    Nudge,
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

/// One mailbox per pool worker.
pub(crate) struct Mailboxes(Box<[Mutex<Vec<Event>>]>);

impl Mailboxes {
    /// Mailboxes for `workers` workers (none when nobody listens).
    pub(crate) fn new(workers: usize) -> Mailboxes {
        Mailboxes((0..workers).map(|_| Mutex::new(Vec::new())).collect())
    }

    /// Appends `event` to `worker`'s mailbox; true when the owner should be nudged.
    fn post(&self, event: Event) -> bool {
        match self.0.get(event.worker as usize) {
            Some(mailbox) => {
                let mut events = lock(mailbox);
                events.push(event);
                events.len() == BATCH
            }
            None => false,
        }
    }

    /// Fires the callbacks of every event waiting in the mailboxes. A panicking callback
    /// is reported as an error message instead of unwinding through the scheduler; the
    /// other events are still delivered.
    pub(crate) fn deliver(&self, callbacks: &dyn Callback, plan: &Plan) -> Result<(), String> {
        let mut first_error = Ok(());
        for mailbox in self.0.iter() {
            let events = std::mem::take(&mut *lock(mailbox));
            for e in &events {
                if let Err(message) = fire(callbacks, plan, e)
                    && first_error.is_ok()
                {
                    first_error = Err(message);
                }
            }
        }
        first_error
    }
}

/// Where a worker's callback events go.
pub(crate) enum Sink<'a> {
    /// Fired at once: this thread owns the callbacks.
    Direct(&'a dyn Callback, &'a Plan),
    /// Into the run's mailboxes. The sender also keeps the run's channel open while this
    /// worker is attached to the run.
    Mailbox {
        tx: Sender<Msg>,
        mailboxes: &'a Mailboxes,
    },
}

impl Sink<'_> {
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
        if let Sink::Mailbox { tx, .. } = self {
            // The owner may be gone already when the run failed; nothing to wake then.
            let _ = tx.send(Msg::Wake);
        }
    }

    fn event(&mut self, event: Event) -> Result<(), String> {
        match self {
            Sink::Direct(callbacks, plan) => fire(*callbacks, plan, &event),
            Sink::Mailbox { tx, mailboxes } => {
                if mailboxes.post(event) {
                    let _ = tx.send(Msg::Nudge);
                }
                Ok(())
            }
        }
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
