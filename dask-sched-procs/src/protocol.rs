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

/// Marks a shared region whose owner the parent has not recorded yet.
pub(crate) const NO_OWNER: u32 = u32::MAX;

/// The encoded bytes: inline for small values, a pooled shared-memory region for large
/// ones.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum Bytes {
    Inline(Vec<u8>),
    Shared {
        region: IpcSharedMemory,
        /// Bytes in use (regions are reused, so they may be larger).
        len: u64,
        /// The region's number in its owner's pool.
        id: u64,
        /// The worker whose pool it belongs to (set by the parent on arrival).
        owner: u32,
    },
}

impl Payload {
    /// Decodes the value, reading a shared region in place.
    pub(crate) fn decode(&self) -> dask_graph::Result<Value> {
        let bytes: &[u8] = match &self.bytes {
            Bytes::Inline(v) => v,
            Bytes::Shared { region, len, .. } => region.get(..*len as usize).unwrap_or(&[]),
        };
        Value::decode(&self.codec, bytes)
    }

    /// `(owner, id)` of its shared region, if it has one.
    pub(crate) fn lease(&self) -> Option<(u32, u64)> {
        match &self.bytes {
            Bytes::Shared { owner, id, .. } => Some((*owner, *id)),
            Bytes::Inline(_) => None,
        }
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
    /// These regions of this worker's pool are no longer read by anyone: reuse them.
    Recycle(Vec<u64>),
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
    /// Tasks completed, in the order they ran, and the shared regions (of other
    /// workers, shipped as inputs) this worker has finished reading.
    Done {
        done: Vec<Completion>,
        read: Vec<(u32, u64)>,
    },
    /// A task failed; the tasks before it in its batch completed (listed).
    Failed {
        done: Vec<Completion>,
        read: Vec<(u32, u64)>,
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
