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
use ipc_channel::ipc::{self, IpcSender};

use crate::protocol::{Assign, Completion, FromWorker, Input, Payload, ToWorker, WireError};

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
    loop {
        // The parent going away closes the channel: time to exit.
        let Ok(order) = orders.recv() else {
            return Ok(());
        };
        let reply = match order {
            ToWorker::Run(batch) => run_batch(batch, &mut store),
            ToWorker::Fetch(ids) => FromWorker::Fetched(
                ids.into_iter()
                    .map(|id| {
                        let v = match store.get(&id) {
                            Some(v) => Payload::encode(v),
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
            ToWorker::Shutdown => return Ok(()),
        };
        to_parent
            .send(reply)
            .map_err(|e| format!("cannot report to the scheduler: {e}"))?;
    }
}

fn run_batch(batch: Vec<Assign>, store: &mut HashMap<u32, Value>) -> FromWorker {
    let mut done = Vec::with_capacity(batch.len());
    for a in batch {
        match run_one(&a, store) {
            Ok(c) => done.push(c),
            Err(error) => {
                return FromWorker::Failed {
                    done,
                    id: a.id,
                    error,
                };
            }
        }
    }
    FromWorker::Done(done)
}

fn run_one(a: &Assign, store: &mut HashMap<u32, Value>) -> Result<Completion, WireError> {
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
    let sent = a.send.then(|| Payload::encode(&value));
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
