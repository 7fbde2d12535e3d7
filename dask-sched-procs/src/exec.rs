//! One compute on the process pool: the parent's event loop.
//!
//! The parent keeps all scheduling state; workers only run what they are sent and keep
//! results in a per-compute store. Per task:
//!
//! * **Placement.** A ready task goes to the worker holding the most bytes of its inputs
//!   (ties: the least loaded). Tasks without inputs are handed out in contiguous runs of
//!   up to [`BATCH`] per worker, so neighbouring blocks (and the reductions over them)
//!   stay together.
//! * **Batching and chains.** Once a task is placed, every dependent whose inputs will
//!   all be on that same worker is placed right behind it in the same message — a chain
//!   or a local sub-tree runs without a round trip. A worker reports a whole batch in one
//!   message.
//! * **Data movement.** Inputs stay on the worker that made them. A task placed elsewhere
//!   gets them through the parent: a `Fetch` to the holder, then shipped with the task.
//!   Each result is released from its holders once its last dependent is placed (the
//!   holder's own dependent, if any, runs first: a worker handles messages in order) and
//!   taken without a copy by that dependent when it runs on the holder.
//! * **Crashes.** A worker whose channel closes is replaced. Its queued tasks go back to
//!   waiting, results that lived only there and are still needed are recomputed (and
//!   whatever they need, recursively). Tasks that were on a crashed worker run alone
//!   afterwards, each in its own message: when a worker dies while its oldest unanswered
//!   message is such a lone task, that task is the culprit; after `max_kills` such
//!   crashes it fails with an error naming it and the signal.
//! * **Stopping.** The first error stops placement; the loop then waits for every batch
//!   and fetch sent to be answered, so nothing of this compute is left running. An error
//!   that cuts the loop short (the pool cannot be read, a worker cannot be replaced)
//!   makes the caller restart the whole pool instead.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use dask_graph::{Callback, Error, Plan, Result, TaskId, Value, WireTask};
use ipc_channel::ipc::IpcSelectionResult;

use crate::SCHEDULER_NAME;
use crate::pool::{Pool, scheduler_error};
use crate::protocol::{Assign, Completion, FromWorker, Input, Payload, ToWorker};

/// Input-less tasks handed to one worker in a row, and roughly the tasks per message.
pub(crate) const BATCH: usize = 512;
/// Tasks queued on one worker before others get the rest.
const IN_FLIGHT: usize = 4 * BATCH;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Waiting,
    Assigned(usize),
    Done,
}

/// The state of one compute.
pub(crate) struct Compute<'a> {
    plan: &'a Plan,
    wire: Vec<WireTask>,
    st: Vec<St>,
    /// Inputs not done yet.
    deps_left: Vec<u32>,
    /// Dependents not placed yet.
    unplaced: Vec<u32>,
    /// Bit `w`: worker `w` holds (or will hold, by the time later messages run) the result.
    holders: Vec<u64>,
    /// Copies in the parent (requested results, fetched inputs).
    parent: Vec<Option<Payload>>,
    nbytes: Vec<u64>,
    ready: BinaryHeap<Reverse<u32>>,
    /// Tasks waiting for a fetched input, by that input.
    parked: HashMap<TaskId, Vec<TaskId>>,
    /// Fetches asked for and not answered, with the worker asked.
    fetching: HashMap<TaskId, usize>,
    /// Per worker: the batches sent and not yet reported, oldest first.
    in_flight: Vec<VecDeque<Vec<TaskId>>>,
    load: Vec<usize>,
    remaining: usize,
    failed: Option<Error>,
    kills: HashMap<TaskId, u32>,
    suspects: HashSet<TaskId>,
    max_kills: u32,
    quiet: bool,
    /// Readers (parent copy + shipped copies not yet acknowledged) of each shared
    /// region, by `(owner tag, region id)`; at zero the region goes back to its owner.
    leases: HashMap<(u32, u64), u32>,
    /// Regions to hand back, per worker.
    recycle: Vec<Vec<u64>>,
    /// Per worker slot: how many times it was replaced (regions of an older process
    /// must never be "recycled" into its successor's pool).
    epoch: Vec<u32>,
}

/// Worker slots fit in the low bits of an owner tag; the epoch is above.
const SLOT_BITS: u32 = 6;

impl<'a> Compute<'a> {
    /// Prepares `plan`; refuses closures and literals without codecs before anything runs.
    pub(crate) fn new(
        plan: &'a Plan,
        workers: usize,
        max_kills: u32,
        quiet: bool,
    ) -> Result<Compute<'a>> {
        let n = plan.len();
        let wire = (0..n as TaskId)
            .map(|t| plan.wire_task(t, SCHEDULER_NAME))
            .collect::<Result<Vec<_>>>()?;
        let ready = (0..n as TaskId)
            .filter(|&t| plan.dependencies(t).is_empty())
            .map(|t| Reverse(plan.priority(t)))
            .collect();
        Ok(Compute {
            plan,
            wire,
            st: vec![St::Waiting; n],
            deps_left: (0..n as TaskId)
                .map(|t| plan.dependencies(t).len() as u32)
                .collect(),
            unplaced: (0..n as TaskId).map(|t| plan.num_dependents(t)).collect(),
            holders: vec![0; n],
            parent: vec![None; n],
            nbytes: vec![0; n],
            ready,
            parked: HashMap::new(),
            fetching: HashMap::new(),
            in_flight: (0..workers).map(|_| VecDeque::new()).collect(),
            load: vec![0; workers],
            remaining: n,
            failed: None,
            kills: HashMap::new(),
            suspects: HashSet::new(),
            max_kills,
            quiet,
            leases: HashMap::new(),
            recycle: vec![Vec::new(); workers],
            epoch: vec![0; workers],
        })
    }

    /// Runs the compute to its end and returns the requested values, and whether the
    /// pool is still in a known state (false after an error that cut the event loop
    /// short: the caller then restarts the pool rather than reuse workers that may still
    /// be busy with this compute).
    pub(crate) fn run(
        mut self,
        pool: &mut Pool,
        callbacks: &dyn Callback,
    ) -> (Result<Vec<Value>>, bool) {
        if let Err(e) = self.event_loop(pool, callbacks) {
            return (Err(e), false);
        }
        (self.finish(pool), true)
    }

    /// Dispatches and receives until every task is done, or — after a failure — until
    /// everything sent has been answered.
    fn event_loop(&mut self, pool: &mut Pool, callbacks: &dyn Callback) -> Result<()> {
        loop {
            if self.failed.is_none() {
                if self.remaining == 0 {
                    break;
                }
                self.dispatch(pool, callbacks);
            }
            let busy = self.in_flight.iter().any(|q| !q.is_empty()) || !self.fetching.is_empty();
            if !busy {
                if self.failed.is_some() {
                    break;
                }
                return Err(scheduler_error(format!(
                    "internal error: {} tasks left but nothing is running",
                    self.remaining
                )));
            }
            let events = pool
                .set
                .select()
                .map_err(|e| scheduler_error(format!("cannot receive from the workers: {e}")))?;
            for event in events {
                match event {
                    IpcSelectionResult::MessageReceived(set_id, message) => {
                        let Some(&w) = pool.by_set_id.get(&set_id) else {
                            continue; // a replaced worker's last words
                        };
                        match message.to::<FromWorker>() {
                            Ok(msg) => self.receive(w, msg, callbacks),
                            Err(e) => self.fail(scheduler_error(format!(
                                "worker {w} sent an unreadable message: {e}"
                            ))),
                        }
                    }
                    IpcSelectionResult::ChannelClosed(set_id) => {
                        if let Some(w) = pool.by_set_id.remove(&set_id) {
                            self.crashed(pool, w)?;
                        }
                    }
                }
            }
            self.send_recycled(pool);
        }
        Ok(())
    }

    /// The requested values (or the first error); hands every region back.
    fn finish(&mut self, pool: &mut Pool) -> Result<Vec<Value>> {
        let result = match self.failed.take() {
            Some(e) => Err(e),
            None => self
                .plan
                .requested()
                .iter()
                .map(|&r| match &self.parent[r as usize] {
                    Some(v) => v.decode(),
                    None => Err(scheduler_error(format!(
                        "internal error: the result of {} never came back",
                        self.plan.key(r)
                    ))),
                })
                .collect(),
        };
        for t in 0..self.parent.len() {
            self.drop_copy(t as TaskId);
        }
        self.send_recycled(pool);
        result
    }

    // -----------------------------------------------------------------------------------
    // Shared regions.

    /// Keeps a payload that arrived from worker `w` as the parent's copy of `t`.
    fn keep_copy(&mut self, w: usize, t: TaskId, mut p: Payload) {
        if let crate::protocol::Bytes::Shared { owner, .. } = &mut p.bytes {
            *owner = ((self.epoch[w]) << SLOT_BITS) | w as u32;
        }
        if let Some(lease) = p.lease() {
            *self.leases.entry(lease).or_insert(0) += 1;
        }
        self.drop_copy(t);
        self.parent[t as usize] = Some(p);
    }

    /// Drops the parent's copy of `t`, if any.
    fn drop_copy(&mut self, t: TaskId) {
        if let Some(p) = self.parent[t as usize].take() {
            self.unlease(p.lease());
        }
    }

    /// One reader of a region is done.
    fn unlease(&mut self, lease: Option<(u32, u64)>) {
        let Some(lease) = lease else { return };
        let Some(count) = self.leases.get_mut(&lease) else {
            return; // its owner was replaced: the region went with it
        };
        *count -= 1;
        if *count == 0 {
            self.leases.remove(&lease);
            let (tag, id) = lease;
            let w = (tag & ((1 << SLOT_BITS) - 1)) as usize;
            if w < self.epoch.len() && tag >> SLOT_BITS == self.epoch[w] {
                self.recycle[w].push(id);
            }
        }
    }

    fn send_recycled(&mut self, pool: &Pool) {
        for (w, ids) in self.recycle.iter_mut().enumerate() {
            if !ids.is_empty() {
                let _ = pool.workers[w]
                    .tx
                    .send(ToWorker::Recycle(std::mem::take(ids)));
            }
        }
    }

    /// Runs a callback; a panic in it fails the compute (which then drains as after any
    /// failure) instead of unwinding through the event loop.
    fn guard_callback(&mut self, key: &dask_graph::Key, f: impl FnOnce()) {
        if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            let message = format!(
                "a callback panicked on task {key}: {}",
                dask_graph::panic_message(payload.as_ref())
            );
            self.fail(scheduler_error(message));
        }
    }

    fn fail(&mut self, e: Error) {
        if self.failed.is_none() {
            self.failed = Some(e);
        }
    }

    fn available(&self, t: TaskId) -> bool {
        self.st[t as usize] == St::Done
            && (self.holders[t as usize] != 0 || self.parent[t as usize].is_some())
    }

    // -----------------------------------------------------------------------------------
    // Sending work.

    fn dispatch(&mut self, pool: &mut Pool, callbacks: &dyn Callback) {
        let nw = pool.workers.len();
        let mut batches: Vec<Vec<Assign>> = (0..nw).map(|_| Vec::new()).collect();
        let mut releases: Vec<Vec<TaskId>> = vec![Vec::new(); nw];
        let mut fetches: Vec<Vec<TaskId>> = vec![Vec::new(); nw];
        let mut fill: Option<usize> = None;
        let mut run_of = vec![0usize; nw];
        // Input-less tasks go out in runs, split evenly when there are few.
        let run_len = self.ready.len().div_ceil(nw).clamp(1, BATCH);
        while let Some(&Reverse(p)) = self.ready.peek() {
            let t = self.plan.order()[p as usize];
            if self.st[t as usize] != St::Waiting {
                self.ready.pop(); // placed behind its inputs already
                continue;
            }
            let Some(w) = self.choose(t, &mut fill, &mut run_of, run_len) else {
                break; // every worker has enough queued
            };
            self.ready.pop();
            if let Some(missing) = self.missing_input(t, w) {
                self.park(t, missing, &mut fetches);
                continue;
            }
            if self.suspects.contains(&t) {
                // Run alone, in its own message, so a crash names it.
                self.send(pool, w, std::mem::take(&mut batches[w]));
                let alone = vec![self.place(t, w, &mut releases, callbacks)];
                self.send(pool, w, alone);
                continue;
            }
            let a = self.place(t, w, &mut releases, callbacks);
            batches[w].push(a);
            self.follow(t, w, &mut batches[w], &mut releases, callbacks);
        }
        for w in 0..nw {
            self.send(pool, w, std::mem::take(&mut batches[w]));
            let r = std::mem::take(&mut releases[w]);
            if !r.is_empty() {
                let _ = pool.workers[w].tx.send(ToWorker::Release(r));
            }
            let f = std::mem::take(&mut fetches[w]);
            if !f.is_empty() {
                let _ = pool.workers[w].tx.send(ToWorker::Fetch(f));
            }
        }
    }

    fn send(&mut self, pool: &Pool, w: usize, batch: Vec<Assign>) {
        if batch.is_empty() {
            return;
        }
        let ids = batch.iter().map(|a| a.id).collect();
        self.in_flight[w].push_back(ids);
        if let Err(e) = pool.workers[w].tx.send(ToWorker::Run(batch)) {
            // The crash shows up as a closed channel; until then the batch counts as sent.
            let _ = e;
        }
    }

    /// The worker for `t`: most input bytes held, then least loaded; input-less tasks go
    /// in runs of `run_len` to one worker.
    fn choose(
        &self,
        t: TaskId,
        fill: &mut Option<usize>,
        run_of: &mut [usize],
        run_len: usize,
    ) -> Option<usize> {
        let nw = self.load.len();
        let open = |w: usize| self.load[w] < IN_FLIGHT;
        let deps = self.plan.dependencies(t);
        if deps.is_empty() {
            if let Some(w) = *fill
                && open(w)
                && run_of[w] < run_len
            {
                run_of[w] += 1;
                return Some(w);
            }
            let w = (0..nw).filter(|&w| open(w)).min_by_key(|&w| self.load[w])?;
            *fill = Some(w);
            run_of[w] = 1;
            return Some(w);
        }
        (0..nw).filter(|&w| open(w)).max_by_key(|&w| {
            let held: u64 = deps
                .iter()
                .filter(|&&d| self.holders[d as usize] & (1 << w) != 0)
                .map(|&d| self.nbytes[d as usize].max(1))
                .sum();
            (held, Reverse(self.load[w]))
        })
    }

    /// An input of `t` that worker `w` cannot get now (held only by another worker).
    fn missing_input(&self, t: TaskId, w: usize) -> Option<TaskId> {
        self.plan.dependencies(t).iter().copied().find(|&d| {
            self.holders[d as usize] & (1 << w) == 0 && self.parent[d as usize].is_none()
        })
    }

    /// Waits for `missing` to be fetched to the parent before placing `t`.
    fn park(&mut self, t: TaskId, missing: TaskId, fetches: &mut [Vec<TaskId>]) {
        let h = self.holders[missing as usize];
        let from = h.trailing_zeros() as usize;
        if h == 0 || from >= fetches.len() {
            self.fail(scheduler_error(format!(
                "internal error: the result of {} is needed by {} but held nowhere",
                self.plan.key(missing),
                self.plan.key(t)
            )));
            return;
        }
        self.parked.entry(missing).or_default().push(t);
        if let std::collections::hash_map::Entry::Vacant(e) = self.fetching.entry(missing) {
            e.insert(from);
            fetches[from].push(missing);
        }
    }

    /// Places `t` on `w`: builds its inputs and updates the bookkeeping.
    fn place(
        &mut self,
        t: TaskId,
        w: usize,
        releases: &mut [Vec<TaskId>],
        callbacks: &dyn Callback,
    ) -> Assign {
        let bit = 1u64 << w;
        let mut inputs = Vec::with_capacity(self.plan.dependencies(t).len());
        for &d in self.plan.dependencies(t) {
            let di = d as usize;
            self.unplaced[di] -= 1;
            let last = self.unplaced[di] == 0 && !self.plan.is_requested(d);
            if self.holders[di] & bit != 0 {
                inputs.push(Input::Local { id: d, take: last });
                if last {
                    self.holders[di] &= !bit;
                }
            } else if let Some(v) = &self.parent[di] {
                let v = v.clone();
                if let Some(lease) = v.lease() {
                    *self.leases.entry(lease).or_insert(0) += 1;
                }
                inputs.push(Input::Value(v));
            } else {
                let key = self.plan.key(d).clone();
                self.fail(scheduler_error(format!(
                    "internal error: the result of {key} was placed nowhere for {}",
                    self.plan.key(t)
                )));
            }
            if last {
                self.drop_copy(d);
                let mut others = self.holders[di];
                while others != 0 {
                    let u = others.trailing_zeros() as usize;
                    releases[u].push(d);
                    others &= others - 1;
                }
                self.holders[di] = 0;
            }
        }
        let keep = self.plan.num_dependents(t) > 0;
        if keep {
            self.holders[t as usize] |= bit;
        }
        self.st[t as usize] = St::Assigned(w);
        self.load[w] += 1;
        if !self.quiet {
            let key = self.plan.key(t);
            self.guard_callback(key, || callbacks.pretask(key, w));
        }
        Assign {
            id: t,
            task: self.wire[t as usize].clone(),
            inputs,
            keep,
            send: self.plan.is_requested(t),
        }
    }

    /// Places behind `t` every dependent whose inputs will all be on `w` anyway.
    fn follow(
        &mut self,
        t: TaskId,
        w: usize,
        batch: &mut Vec<Assign>,
        releases: &mut [Vec<TaskId>],
        callbacks: &dyn Callback,
    ) {
        let mut stack = vec![t];
        while let Some(x) = stack.pop() {
            for &u in self.plan.dependents(x) {
                if self.st[u as usize] != St::Waiting || self.suspects.contains(&u) {
                    continue;
                }
                let local = self.plan.dependencies(u).iter().all(|&d| {
                    let di = d as usize;
                    (self.st[di] == St::Assigned(w) && self.holders[di] & (1 << w) != 0)
                        || (self.st[di] == St::Done
                            && (self.holders[di] & (1 << w) != 0 || self.parent[di].is_some()))
                });
                if local {
                    let a = self.place(u, w, releases, callbacks);
                    batch.push(a);
                    stack.push(u);
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Receiving results.

    fn receive(&mut self, w: usize, msg: FromWorker, callbacks: &dyn Callback) {
        match msg {
            FromWorker::Done { done, read } => {
                self.in_flight[w].pop_front();
                read.into_iter().for_each(|l| self.unlease(Some(l)));
                for c in done {
                    self.complete(w, c, callbacks);
                }
            }
            FromWorker::Failed {
                done,
                read,
                id,
                error,
            } => {
                let batch = self.in_flight[w].pop_front().unwrap_or_default();
                read.into_iter().for_each(|l| self.unlease(Some(l)));
                for c in done {
                    self.complete(w, c, callbacks);
                }
                // The rest of the batch was skipped.
                for &t in &batch {
                    if self.st[t as usize] == St::Assigned(w) {
                        self.st[t as usize] = St::Waiting;
                        self.load[w] = self.load[w].saturating_sub(1);
                    }
                }
                let _ = id;
                self.fail(error.into_error(w));
            }
            FromWorker::Fetched(values) => {
                for (d, v) in values {
                    self.fetching.remove(&d);
                    match v {
                        Ok(v) => self.keep_copy(w, d, v),
                        Err(message) => {
                            self.fail(Error::Unsupported {
                                scheduler: SCHEDULER_NAME.to_string(),
                                key: self.plan.key(d).clone(),
                                reason: message,
                            });
                            continue;
                        }
                    }
                    for t in self.parked.remove(&d).unwrap_or_default() {
                        self.ready.push(Reverse(self.plan.priority(t)));
                    }
                }
            }
            FromWorker::Hello { .. } | FromWorker::Died { .. } => {}
        }
    }

    fn complete(&mut self, w: usize, c: Completion, callbacks: &dyn Callback) {
        let t = c.id;
        let ti = t as usize;
        if ti >= self.st.len() || self.st[ti] != St::Assigned(w) {
            return;
        }
        self.st[ti] = St::Done;
        self.load[w] = self.load[w].saturating_sub(1);
        self.remaining -= 1;
        self.nbytes[ti] = c.nbytes;
        self.suspects.remove(&t);
        match c.value {
            Some(Ok(v)) => self.keep_copy(w, t, v),
            Some(Err(message)) => self.fail(Error::Unsupported {
                scheduler: SCHEDULER_NAME.to_string(),
                key: self.plan.key(t).clone(),
                reason: format!("its result cannot be sent back to the caller: {message}"),
            }),
            None => {}
        }
        if !self.quiet {
            let key = self.plan.key(t);
            let elapsed = Duration::from_micros(c.micros);
            self.guard_callback(key, || {
                callbacks.posttask(key, w, elapsed, c.nbytes as usize)
            });
        }
        for &u in self.plan.dependents(t) {
            let ui = u as usize;
            self.deps_left[ui] -= 1;
            if self.deps_left[ui] == 0 && self.st[ui] == St::Waiting {
                self.ready.push(Reverse(self.plan.priority(u)));
            }
        }
        // After a crash sent some dependents back to waiting, the copy this result had
        // may already be promised to (taken by) a dependent still queued elsewhere: then
        // it is computed again for the others.
        if !self.available(t)
            && self
                .plan
                .dependents(t)
                .iter()
                .any(|&u| self.st[u as usize] == St::Waiting)
        {
            self.st[ti] = St::Waiting;
            self.remaining += 1;
            self.revive(vec![t]);
        }
    }

    // -----------------------------------------------------------------------------------
    // Crashes.

    fn crashed(&mut self, pool: &mut Pool, w: usize) -> Result<()> {
        let status = pool.exit_status(w);
        // The worker was running the oldest batch it had not reported. If that batch was
        // a suspect sent alone, that task is certainly what crashed it.
        let culprit = match self.in_flight[w].front().map(Vec::as_slice) {
            Some([alone]) if self.suspects.contains(alone) => Some(*alone),
            _ => None,
        };
        let lost: Vec<TaskId> = self.in_flight[w].drain(..).flatten().collect();
        if let Some(alone) = culprit {
            let kills = {
                let k = self.kills.entry(alone).or_insert(0);
                *k += 1;
                *k
            };
            if kills >= self.max_kills {
                let key = self.plan.key(alone).clone();
                self.fail(scheduler_error(format!(
                    "task {key} killed its worker process {kills} times (last: {status}); giving up"
                )));
            }
        }
        // Fetches it was asked for will never be answered; they are asked again.
        self.fetching.retain(|_, asked| *asked != w);
        pool.replace(w).map_err(|e| {
            scheduler_error(format!(
                "worker {w} died ({status}) and could not be replaced: {e}"
            ))
        })?;
        self.load[w] = 0;
        // Its regions went with it (copies already mapped elsewhere stay readable).
        let tag = (self.epoch[w] << SLOT_BITS) | w as u32;
        self.leases.retain(|&(owner, _), _| owner != tag);
        self.recycle[w].clear();
        self.epoch[w] += 1;
        for &t in &lost {
            if self.st[t as usize] == St::Assigned(w) {
                self.st[t as usize] = St::Waiting;
            }
            self.suspects.insert(t);
        }
        self.repair(w);
        Ok(())
    }

    /// After worker `w` died: everything it held is gone. Needed results that lived only
    /// there are computed again, with whatever they need in turn.
    fn repair(&mut self, w: usize) {
        let n = self.st.len();
        for h in &mut self.holders {
            *h &= !(1u64 << w);
        }
        // Needed: inputs of unfinished tasks, and requested results not yet returned.
        let roots: Vec<TaskId> = (0..n as TaskId)
            .filter(|&t| {
                self.st[t as usize] != St::Done
                    || (self.plan.is_requested(t) && self.parent[t as usize].is_none())
            })
            .collect();
        self.revive(roots);
    }

    /// Makes every unavailable result needed by `roots` (unfinished tasks, or results
    /// that must be returned) waiting again, recursively, then recounts.
    fn revive(&mut self, roots: Vec<TaskId>) {
        let n = self.st.len();
        let mut stack = roots;
        while let Some(t) = stack.pop() {
            if self.st[t as usize] == St::Done {
                if self.available(t) {
                    continue;
                }
                self.st[t as usize] = St::Waiting;
                self.remaining += 1;
            }
            if self.st[t as usize] == St::Waiting {
                for &d in self.plan.dependencies(t) {
                    if self.st[d as usize] == St::Done && !self.available(d) {
                        stack.push(d);
                    }
                }
            }
        }
        // Recount from the statuses.
        self.parked.clear();
        self.ready.clear();
        for t in 0..n as TaskId {
            let ti = t as usize;
            self.deps_left[ti] = self
                .plan
                .dependencies(t)
                .iter()
                .filter(|&&d| self.st[d as usize] != St::Done)
                .count() as u32;
            self.unplaced[ti] = self
                .plan
                .dependents(t)
                .iter()
                .filter(|&&u| self.st[u as usize] == St::Waiting)
                .count() as u32;
        }
        for t in 0..n as TaskId {
            if self.st[t as usize] == St::Waiting && self.deps_left[t as usize] == 0 {
                self.ready.push(Reverse(self.plan.priority(t)));
            }
        }
    }
}
