//! The messages between the scheduler (parent) and its worker processes.
//!
//! Everything is serde through ipc-channel. Tasks are [`WireTask`]s (registered
//! operation names, literals encoded by codec); values are [`WireValue`]s. Ids are the
//! plan's task ids, valid for one compute (a [`ToWorker::Reset`] separates computes).

use dask_graph::{Key, Value, WireTask};
use ipc_channel::ipc::{IpcSender, IpcSharedMemory};
use serde::{Deserialize, Serialize};

/// Encoded values at least this large travel in a shared-memory region instead of
/// inside the message (which the socket would carry in fragments, at a few hundred MB/s).
pub(crate) const SHARED_FROM: usize = 64 << 10;

/// A value encoded by its codec, for crossing between processes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Payload {
    pub codec: String,
    pub bytes: Bytes,
}

/// The encoded bytes: inline for small values, a shared-memory region for large ones.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum Bytes {
    Inline(Vec<u8>),
    Shared(IpcSharedMemory),
}

impl Payload {
    /// Encodes `value` (an error message names the type when it has no codec).
    pub(crate) fn encode(value: &Value) -> Result<Payload, String> {
        let e = value.encode().map_err(|e| e.to_string())?;
        let bytes = if e.bytes.len() >= SHARED_FROM {
            Bytes::Shared(IpcSharedMemory::from_bytes(&e.bytes))
        } else {
            Bytes::Inline(e.bytes)
        };
        Ok(Payload {
            codec: e.codec,
            bytes,
        })
    }

    /// Decodes the value, reading a shared region in place.
    pub(crate) fn decode(&self) -> dask_graph::Result<Value> {
        let bytes: &[u8] = match &self.bytes {
            Bytes::Inline(v) => v,
            Bytes::Shared(m) => m,
        };
        Value::decode(&self.codec, bytes)
    }
}

/// Parent → worker.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToWorker {
    /// Run these tasks in order; report them in one [`FromWorker::Done`] batch (or a
    /// [`FromWorker::Failed`] for the first that fails, after which the rest are skipped).
    Run(Vec<Assign>),
    /// Send these stored results to the parent.
    Fetch(Vec<u32>),
    /// Drop these stored results.
    Release(Vec<u32>),
    /// Drop every stored result: the compute is over.
    Reset,
    /// Exit.
    Shutdown,
}

/// One task for a worker.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Assign {
    pub id: u32,
    pub task: WireTask,
    pub inputs: Vec<Input>,
    /// Keep the result in the worker's store (dependents will read it there).
    pub keep: bool,
    /// Send the result back with the completion (the caller asked for it).
    pub send: bool,
}

/// Where a task input comes from.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Input {
    /// The worker's own stored result of task `id`; `take` removes it from the store
    /// (this is its last use here), so it can be handed over without a copy.
    Local { id: u32, take: bool },
    /// A value shipped with the task.
    Value(Payload),
}

/// Worker → parent.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum FromWorker {
    /// The first message of a worker, on the one-shot handshake channel.
    Hello {
        pid: u32,
        /// [`dask_graph::registry_fingerprint`] of the worker's binary.
        fingerprint: String,
        tx: IpcSender<ToWorker>,
    },
    /// Sent by the parent's own watcher when a worker exits before saying hello.
    Died { status: String },
    /// Tasks completed, in the order they ran.
    Done(Vec<Completion>),
    /// A task failed; the tasks before it in its batch completed (listed).
    Failed {
        done: Vec<Completion>,
        id: u32,
        error: WireError,
    },
    /// Results asked for with [`ToWorker::Fetch`].
    Fetched(Vec<(u32, Result<Payload, String>)>),
}

/// One completed task.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Completion {
    pub id: u32,
    pub nbytes: u64,
    pub micros: u64,
    /// The result, when it was asked for (or an error if it cannot be encoded).
    pub value: Option<Result<Payload, String>>,
}

/// A task error, rebuilt into a [`dask_graph::Error`] by the parent.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum WireError {
    Failed {
        key: Key,
        op: String,
        fused_into: Option<Key>,
        message: String,
    },
    Panicked {
        key: Key,
        op: String,
        fused_into: Option<Key>,
        message: String,
    },
    Other(String),
}

impl WireError {
    /// The wire form of an error raised while running a task.
    pub(crate) fn from_error(e: dask_graph::Error) -> WireError {
        match e {
            dask_graph::Error::TaskFailed {
                key,
                op,
                fused_into,
                source,
            } => WireError::Failed {
                key,
                op,
                fused_into,
                message: source.to_string(),
            },
            dask_graph::Error::TaskPanicked {
                key,
                op,
                fused_into,
                message,
            } => WireError::Panicked {
                key,
                op,
                fused_into,
                message,
            },
            other => WireError::Other(other.to_string()),
        }
    }

    /// Back to the shared error type.
    pub(crate) fn into_error(self, worker: usize) -> dask_graph::Error {
        match self {
            WireError::Failed {
                key,
                op,
                fused_into,
                message,
            } => dask_graph::Error::TaskFailed {
                key,
                op,
                fused_into,
                source: message.into(),
            },
            WireError::Panicked {
                key,
                op,
                fused_into,
                message,
            } => dask_graph::Error::TaskPanicked {
                key,
                op,
                fused_into,
                message,
            },
            WireError::Other(message) => dask_graph::Error::Scheduler {
                scheduler: crate::SCHEDULER_NAME.to_string(),
                message: format!("worker {worker}: {message}"),
            },
        }
    }
}
