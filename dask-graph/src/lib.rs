//! # dask-graph: the shared task-graph format
//!
//! Every collection of dask-rs (arrays, dataframes, bags, delayed values) builds graphs
//! in this format, and every scheduler (synchronous, threads, processes) executes them.
//! The crate knows nothing of arrays, dataframes, threads or processes; it is the
//! contract between the two sides.
//!
//! ```text
//!  collections ──build──▶ Graph (Arc-shared Layers of Key → Node)
//!                              │ Plan::build: cull → inline → fuse_linear → order
//!                              ▼
//!                            Plan (dense ids, CSR deps/dependents, priorities)
//!                              │ Scheduler::execute (+ Callback events)
//!                              ▼
//!                        Vec<Value> for the requested keys
//! ```
//!
//! ## Design decisions
//!
//! * **Keys** ([`Key`]) are one pointer: an `Arc` holding a shared name, an optional
//!   block index and a precomputed hash. Names come from [`tokenize`], a portable
//!   XXH3-128 hash, so equal expressions get equal keys in every run and on every
//!   machine, and merged graphs share work.
//! * **Values** ([`Value`]) are type-erased `Arc`s that know their size ([`Data`], like
//!   Dask's `sizeof`) and can be taken by value when unique, so kernels can work in
//!   place on inputs nobody else needs. Codecs ([`Codec`]) registered by stable name
//!   let a value cross a process boundary; encoding a type without one is an error
//!   naming the type.
//! * **Operations** ([`Op`]) are either *registered* plain functions (a `linkme`
//!   distributed slice: known to a re-executed worker binary without start-up code) or
//!   *local* closures for in-process schedulers. Dependencies are explicit arguments
//!   ([`Arg::Key`]), never inferred by scanning values.
//! * **Graphs** ([`Graph`]) are lists of `Arc`-shared named [`Layer`]s: adding an
//!   operation adds a layer, merging costs O(layers).
//! * **Plans** ([`Plan`]) are what schedulers run: culled, optimized
//!   ([`optimize`]), compiled to dense ids and flat arrays, ordered ([`order`]). All
//!   of it is linear in the number of tasks and iterative (a million-task chain is fine).
//!   Every node compiles to a small program of steps, so fused tasks run through the
//!   same code as plain ones and errors still name the original key.
//! * **Collections** implement [`Collection`] (graph, output keys, how to finish the
//!   values, how to rebuild over them); `compute`, `persist` and `visualize` are written
//!   once on that trait, and tuples and `Vec`s of collections of any kinds compute in one
//!   merged graph, so a shared input is computed once. Shared graph builders live here
//!   too: [`TreeReduce`] (the bounded fan-in tree that merges per-block results:
//!   arrays' histograms, top-k, percentiles and writes, and the collections to come) and [`unique_token`] (names for what has no stable identity).
//! * **Schedulers** implement [`Scheduler`]; the [`SyncScheduler`] here is the reference.
//!   The public conformance suite ([`testing`], feature `testing`) is what every
//!   scheduler crate runs against itself.

mod bytes;
pub mod codec;
mod collection;
mod context;
mod csr;
pub mod dot;
mod error;
mod graph;
mod ir;
mod key;
mod op;
pub mod optimize;
pub mod order;
mod plan;
mod program;
mod registry;
mod scheduler;
mod sync;
mod task;
#[cfg(feature = "testing")]
pub mod testing;
mod tree;
mod value;
mod wire;

pub use bytes::{format_bytes, parse_bytes};
pub use codec::{CODECS, Codec, Encoded, codec_by_name, codec_names};
pub use collection::{Collection, Values};
pub use context::{building_for, memory_limit_hint};
pub use csr::Csr;
pub use error::{BoxError, Error, Result};
pub use graph::{Graph, GraphIndex, Layer};
pub use key::{Key, KeyHasher, KeyMap, Tokenize, Tokenizer, tokenize, unique_token};
pub use op::{
    ArgError, Args, IDENTITY, LocalOp, OPERATIONS, Op, OpFn, OpResult, RegisteredOp, operation,
    operation_names, registry_fingerprint,
};
pub use optimize::Optimizations;
pub use plan::{Plan, TaskId};
pub use program::panic_message;
pub use scheduler::{Callback, Callbacks, Scheduler, compute, compute_with};
pub use sync::SyncScheduler;
pub use task::{Arg, Fused, Node, Step, StepArg, Task};
pub use tree::{DEFAULT_SPLIT_EVERY, TreeReduce};
pub use value::{Data, TypeMismatch, Value, short_type_name};
pub use wire::{RemoteTask, WireArg, WireStep, WireTask, WireValue, closure_refused};

#[doc(hidden)]
pub use linkme as __linkme;
