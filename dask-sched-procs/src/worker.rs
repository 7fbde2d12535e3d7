//! The worker side: what a re-executed copy of the program does.
//!
//! The parent starts the same executable with [`SERVER_ENV`] naming its one-shot IPC
//! server. [`worker_main_if_child`] — the first call in `main`, or the test that
//! [`test_worker!`](crate::test_worker) defines in a test binary — sees it, connects,
//! says hello (with its registry fingerprint and a sender for its orders), serves, and
//! exits; in the parent it returns at once.

use std::collections::HashMap;
use std::time::Instant;

use dask_graph::{Value, registry_fingerprint};
use ipc_channel::ipc::{self, IpcSender, IpcSharedMemory};

use crate::protocol::{
    Assign, Bytes, Completion, FromWorker, Input, NO_OWNER, Payload, SHARED_FROM, ToWorker,
    WireError,
};

/// Free bytes a worker keeps in its region pool; regions beyond it are unmapped.
const POOL_BYTES: usize = 1 << 30;

/// A worker's reusable shared-memory regions and its encoding buffer.
///
/// A large value is encoded into a buffer that keeps its capacity, then copied into a
/// free region (the smallest that fits, or a new one rounded up to a power of two) that
/// is already mapped and faulted in — the slow part of moving a big block on these
/// machines is touching fresh pages, not copying. The region is *lent* until the parent
/// says every reader is done with it ([`ToWorker::Recycle`]).
#[derive(Default)]
struct Regions {
    next_id: u64,
    free: Vec<IpcSharedMemory>,
    lent: HashMap<u64, IpcSharedMemory>,
    buf: Vec<u8>,
}

impl Regions {
    fn encode(&mut self, value: &Value) -> Result<Payload, String> {
        self.buf.clear();
        let buf = &mut self.buf;
        let encoded =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| value.encode_into(buf)))
                .map_err(|p| {
                    format!(
                        "its codec panicked: {}",
                        dask_graph::panic_message(p.as_ref())
                    )
                })?;
        let codec = encoded.map_err(|e| e.to_string())?.name.to_string();
        let len = self.buf.len();
        if len < SHARED_FROM {
            return Ok(Payload {
                codec,
                bytes: Bytes::Inline(self.buf.clone()),
            });
        }
        let mut region = match self
            .free
            .iter()
            .enumerate()
            .filter(|(_, r)| r.len() >= len)
            .min_by_key(|(_, r)| r.len())
            .map(|(i, _)| i)
        {
            Some(i) => self.free.swap_remove(i),
            None => IpcSharedMemory::from_byte(0, len.next_power_of_two()),
        };
        // SAFETY: `region` is mapped by no one else: it is either new, or came back
        // through `Recycle` after the parent counted every reader done with it (readers
        // decode, then drop their mapping, before acknowledging). This process holds no
        // other handle to it until the duplicate below, made after the write.
        let target = unsafe { region.deref_mut() };
        target[..len].copy_from_slice(&self.buf);
        let id = self.next_id;
        self.next_id += 1;
        // The pool keeps the handle whose mapping is already faulted in; the message gets
        // a duplicate (a fresh mapping this process never touches).
        let sent = region.clone();
        self.lent.insert(id, region);
        Ok(Payload {
            codec,
            bytes: Bytes::Shared {
                region: sent,
                len: len as u64,
                id,
                owner: NO_OWNER,
            },
        })
    }

    fn recycle(&mut self, ids: Vec<u64>) {
        for id in ids {
            if let Some(r) = self.lent.remove(&id) {
                self.free.push(r);
            }
        }
        // Keep the largest regions within the budget.
        self.free.sort_by_key(|r| std::cmp::Reverse(r.len()));
        let mut total = 0;
        self.free.retain(|r| {
            total += r.len();
            total <= POOL_BYTES
        });
    }
}

/// The environment variable naming the parent's one-shot server.
pub const SERVER_ENV: &str = "DASK_PROCS_SERVER";

/// The name of the test that [`test_worker!`](crate::test_worker) defines; workers of a
/// test binary are started with `<binary> WORKER_TEST --exact`.
pub const WORKER_TEST: &str = "__dask_procs_worker";

/// In a worker process: serve the parent, then exit the process. Anywhere else:
/// return at once. Call it first thing in `main` of any program that uses the process
/// scheduler (test binaries use [`test_worker!`](crate::test_worker) instead).
pub fn worker_main_if_child() {
    let Ok(server) = std::env::var(SERVER_ENV) else {
        return;
    };
    let code = match serve(server) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("dask worker {}: {message}", std::process::id());
            1
        }
    };
    std::process::exit(code);
}

/// Defines the test through which a test binary's worker processes start. Put it once
/// at the root of each integration-test file (or unit-test crate) that uses the process
/// scheduler: `dask_sched_procs::test_worker!();`. In the test run itself it does
/// nothing.
#[macro_export]
macro_rules! test_worker {
    () => {
        #[test]
        fn __dask_procs_worker() {
            $crate::worker_main_if_child();
        }
    };
}

fn serve(server: String) -> Result<(), String> {
    // Die with the parent, even in the middle of a long task.
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    let to_parent = IpcSender::<FromWorker>::connect(server)
        .map_err(|e| format!("cannot connect to the scheduler: {e}"))?;
    let (tx, orders) = ipc::channel::<ToWorker>().map_err(|e| e.to_string())?;
    to_parent
        .send(FromWorker::Hello {
            pid: std::process::id(),
            fingerprint: registry_fingerprint(),
            tx,
        })
        .map_err(|e| format!("cannot greet the scheduler: {e}"))?;
    let mut store: HashMap<u32, Value> = HashMap::new();
    let mut regions = Regions::default();
    loop {
        // The parent going away closes the channel: time to exit.
        let Ok(order) = orders.recv() else {
            return Ok(());
        };
        let reply = match order {
            ToWorker::Run(batch) => run_batch(batch, &mut store, &mut regions),
            ToWorker::Fetch(ids) => FromWorker::Fetched(
                ids.into_iter()
                    .map(|id| {
                        let v = match store.get(&id) {
                            Some(v) => regions.encode(v),
                            None => Err(format!("result {id} is not held by this worker")),
                        };
                        (id, v)
                    })
                    .collect(),
            ),
            ToWorker::Release(ids) => {
                for id in ids {
                    store.remove(&id);
                }
                continue;
            }
            ToWorker::Reset => {
                store.clear();
                continue;
            }
            ToWorker::Recycle(ids) => {
                regions.recycle(ids);
                continue;
            }
            ToWorker::Shutdown => return Ok(()),
        };
        to_parent
            .send(reply)
            .map_err(|e| format!("cannot report to the scheduler: {e}"))?;
    }
}

fn run_batch(
    batch: Vec<Assign>,
    store: &mut HashMap<u32, Value>,
    regions: &mut Regions,
) -> FromWorker {
    let mut done = Vec::with_capacity(batch.len());
    let mut read = Vec::new();
    let leases = |a: &Assign| -> Vec<(u32, u64)> {
        a.inputs
            .iter()
            .filter_map(|i| match i {
                Input::Value(p) => p.lease(),
                Input::Local { .. } => None,
            })
            .collect()
    };
    let mut batch = batch.into_iter();
    while let Some(a) = batch.next() {
        // Shipped inputs are read (or skipped) by the end of this iteration, when `a`
        // and its regions are dropped; the parent hears of it with the reply.
        read.extend(leases(&a));
        if let Err(error) = run_one(&a, store, regions).map(|c| done.push(c)) {
            read.extend(batch.flat_map(|rest| leases(&rest)));
            return FromWorker::Failed {
                done,
                read,
                id: a.id,
                error,
            };
        }
    }
    FromWorker::Done { done, read }
}

fn run_one(
    a: &Assign,
    store: &mut HashMap<u32, Value>,
    regions: &mut Regions,
) -> Result<Completion, WireError> {
    let task = a
        .task
        .compile()
        .map_err(|e| WireError::Other(format!("task {}: {e}", a.task.key())))?;
    let mut inputs = Vec::with_capacity(a.inputs.len());
    for input in &a.inputs {
        inputs.push(match input {
            Input::Local { id, take } => {
                let v = if *take {
                    store.remove(id)
                } else {
                    store.get(id).cloned()
                };
                v.ok_or_else(|| {
                    WireError::Other(format!(
                        "an input of {} (result {id}) is not held by this worker",
                        a.task.key()
                    ))
                })?
            }
            Input::Value(w) => w
                .decode()
                .map_err(|e| WireError::Other(format!("an input of {}: {e}", a.task.key())))?,
        });
    }
    let t0 = Instant::now();
    let value = task.run(inputs).map_err(WireError::from_error)?;
    let micros = t0.elapsed().as_micros() as u64;
    let sent = a.send.then(|| regions.encode(&value));
    let nbytes = value.nbytes() as u64;
    if a.keep {
        store.insert(a.id, value);
    }
    Ok(Completion {
        id: a.id,
        nbytes,
        micros,
        value: sent,
    })
}
