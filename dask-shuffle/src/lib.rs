//! # dask-shuffle: moving rows between partitions, in memory or through files
//!
//! A shuffle repartitions a collection so that every row lands in the output partition
//! its key says — a hash of the key (groupbys with many groups, joins, distinct rows) or
//! the key's range (sorting, `set_index`). It is what makes operations on data larger
//! than memory possible, and what blows them up when done naively: every output needs
//! a piece of every input, so a direct shuffle of `n` partitions is `n²` edges and
//! holds everything at once. This crate builds the shuffle's tasks once for every
//! collection; it depends only on `dask-graph` and knows nothing about rows.
//!
//! **What a collection provides** ([`Shuffle`]): two operations and its partitions'
//! codec.
//!
//! * a *split*, called as `split(split_args..., input, route)`, that cuts its input
//!   into `route.k` [`Pieces`]: each row goes to piece
//!   [`route.piece(target)`](Route::piece), `target` being the output partition its key
//!   says (`None` for an empty piece). The input is a partition, or — in the later
//!   stages — a `Pieces` of the partitions a stage gathered: [`Pieces::split_each`]
//!   handles both with a split of one partition;
//! * a *concatenation*, called as `concat(concat_args..., values...)`, that makes an
//!   output partition of the partitions in [`Pieces::flatten`]`(values)`, in input
//!   order (possibly none at all). Stages in the middle pass their pieces on as they
//!   are, unless the collection gives an operation for them
//!   ([`stage_concat`](Shuffle::stage_concat)).
//!
//! **Two methods** ([`Method`]):
//!
//! * **Tasks** (in memory; Dask's `shuffle="tasks"`). The output index is written in
//!   base `k` with `s` digits (`k^s ≥` the number of partitions, `k ≤ max_branch`, 32 by
//!   default), and stage `j` moves each row to the partition whose `j`-th digit is its
//!   target's — a butterfly network. Each stage task gathers `k` pieces, so 1,000
//!   partitions take two stages of fan-in 32: 130,000 edges (a pick and a gather per
//!   piece), not 1,000,000. Pieces are
//!   picked out of a split by small tasks of their own, so under the process scheduler
//!   only the piece travels.
//! * **Disk** (for data larger than memory; what Dask's P2P shuffle does across
//!   workers). Each input's pieces are appended to one bucket file per output
//!   partition through their codec; a barrier waits for every writer; each output
//!   partition reads its bucket back when a task needs it. Memory holds
//!   a few partitions per worker whatever the data's size; see `disk` for the format and
//!   the clean-up (a failed compute removes the files too).
//! * **Auto** (the default) picks Disk when the collection's estimated size exceeds
//!   half the memory limit of the scheduler the graph is built for
//!   ([`dask_graph::memory_limit_hint`]) or, without one, half of the machine's
//!   physical memory; Tasks otherwise. A shuffle holds its input and its output at
//!   once, hence the half.
//!
//! Both keep rows in input order within each output partition, so a stable sort and
//! `keep="first"` de-duplication stay exact. A skewed key simply makes one large
//! output partition: no stage ever needs more than its own pieces.
//!
//! ```
//! use dask_graph::{Args, Graph, Layer, Key, OpResult, SyncScheduler, Value, compute, register_op};
//! use dask_shuffle::{Method, Pieces, Route, Shuffle};
//!
//! // Partitions are `Vec<i64>`; a number's output partition is itself modulo 3.
//! fn split(args: Args) -> OpResult {
//!     let route = *args.get::<Route>(1)?;
//!     let pieces = Pieces::split_each(args.values()[0].clone(), route.k as usize, |part| {
//!         let rows = part.get::<Vec<i64>>()?;
//!         let by_piece = route.rows_by_piece(rows.iter().map(|&x| x.rem_euclid(3) as u64));
//!         Ok(Pieces(by_piece.into_iter().map(|ix| {
//!             (!ix.is_empty()).then(|| Value::new(ix.iter().map(|&i| rows[i as usize]).collect::<Vec<i64>>()))
//!         }).collect()))
//!     })?;
//!     Ok(Value::new(pieces))
//! }
//! fn concat(args: Args) -> OpResult {
//!     let parts = Pieces::flatten(args.into_values());
//!     Ok(Value::new(parts.iter().flat_map(|p| p.get::<Vec<i64>>().unwrap().clone()).collect::<Vec<i64>>()))
//! }
//! register_op!(SPLIT = "doc.shuffle.split" => split);
//! register_op!(CONCAT = "doc.shuffle.concat" => concat);
//!
//! let mut layer = Layer::new("numbers");
//! layer.data(Key::with_index("numbers", [0]), Value::new(vec![0i64, 1, 2, 3]));
//! layer.data(Key::with_index("numbers", [1]), Value::new(vec![4i64, 5, 6]));
//! let mut graph = Graph::from_layers([layer]);
//! let inputs = vec![Key::with_index("numbers", [0]), Key::with_index("numbers", [1])];
//! let outputs = Shuffle::new("by-mod-3", 3, &SPLIT, &CONCAT)
//!     .method(Method::Tasks)
//!     .build(&mut graph, &inputs)?;
//! let values = compute(&graph, &outputs, &SyncScheduler)?;
//! assert_eq!(values[0].get::<Vec<i64>>()?, &vec![0, 3, 6]);
//! assert_eq!(values[1].get::<Vec<i64>>()?, &vec![1, 4]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod disk;
mod pieces;
mod tasks;

use std::path::PathBuf;
use std::sync::Arc;

use dask_graph::{Arg, Error, Graph, Key, Op, Result};

pub use disk::ScratchDir;
pub use pieces::{Pieces, Route};

/// How a shuffle moves its data (see the crate notes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Method {
    /// Disk when the data is larger than half the memory it may use, tasks otherwise.
    #[default]
    Auto,
    /// Staged, in memory, through task results.
    Tasks,
    /// Through bucket files in a temporary directory.
    Disk,
}

/// The largest fan-in of a task-based stage unless set (Dask's `max_branch`).
pub const DEFAULT_MAX_BRANCH: usize = 32;

/// A shuffle to build into a graph; see the crate notes for the operations' contracts.
#[derive(Clone, Debug)]
pub struct Shuffle {
    name: Arc<str>,
    npartitions: usize,
    split: Op,
    split_args: Vec<Arg>,
    concat: Op,
    concat_args: Vec<Arg>,
    stage: Option<(Op, Vec<Arg>)>,
    max_branch: usize,
    method: Method,
    estimated_bytes: Option<u64>,
    dir: Option<PathBuf>,
}

impl Shuffle {
    /// A shuffle into `npartitions` outputs, the layer `name` (keys `(name, i)`).
    pub fn new(
        name: impl Into<Arc<str>>,
        npartitions: usize,
        split: impl Into<Op>,
        concat: impl Into<Op>,
    ) -> Shuffle {
        Shuffle {
            name: name.into(),
            npartitions,
            split: split.into(),
            split_args: Vec::new(),
            concat: concat.into(),
            concat_args: Vec::new(),
            stage: None,
            max_branch: DEFAULT_MAX_BRANCH,
            method: Method::Auto,
            estimated_bytes: None,
            dir: None,
        }
    }

    /// Arguments given to the split before the partition (what to hash, into how many).
    pub fn split_args(mut self, args: Vec<Arg>) -> Shuffle {
        self.split_args = args;
        self
    }

    /// Arguments given to the concatenation before the pieces (a schema, say).
    pub fn concat_args(mut self, args: Vec<Arg>) -> Shuffle {
        self.concat_args = args;
        self
    }

    /// An operation for the stages in the middle (called like the concatenation, with
    /// its own leading arguments) instead of passing the gathered pieces on as they
    /// are: concatenating there costs a copy but makes the next split cut a few large
    /// partitions rather than many small pieces, which is faster for wide rows.
    pub fn stage_concat(mut self, op: impl Into<Op>, args: Vec<Arg>) -> Shuffle {
        self.stage = Some((op.into(), args));
        self
    }

    /// The largest fan-in of a task-based stage (at least 2).
    pub fn max_branch(mut self, n: usize) -> Shuffle {
        self.max_branch = n;
        self
    }

    /// The method; [`Method::Auto`] by default.
    pub fn method(mut self, method: Method) -> Shuffle {
        self.method = method;
        self
    }

    /// The collection's estimated size in memory, for [`Method::Auto`].
    pub fn estimated_bytes(mut self, bytes: Option<u64>) -> Shuffle {
        self.estimated_bytes = bytes;
        self
    }

    /// Where the on-disk method makes its directory (the system's temporary directory,
    /// or `DASK_TEMPORARY_DIRECTORY` when set, by default).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Shuffle {
        self.dir = Some(dir.into());
        self
    }

    /// The method [`build`](Shuffle::build) uses: the one set, or Auto's choice.
    pub fn resolved_method(&self) -> Method {
        match self.method {
            Method::Auto => {
                let limit = dask_graph::memory_limit_hint().or_else(physical_memory);
                match (self.estimated_bytes, limit) {
                    (Some(bytes), Some(limit)) if bytes > limit / 2 => Method::Disk,
                    _ => Method::Tasks,
                }
            }
            m => m,
        }
    }

    /// The key of output partition `i`.
    pub fn key(&self, i: usize) -> Key {
        Key::block(&self.name, &[i as u32])
    }

    /// Adds the shuffle's layers to `graph` (once: a graph that has the output layer
    /// already is left as it is) and returns the output keys.
    pub fn build(&self, graph: &mut Graph, inputs: &[Key]) -> Result<Vec<Key>> {
        if self.npartitions == 0 {
            return Err(Error::InvalidArgument {
                what: format!("shuffle {}", self.name),
                message: "a shuffle needs at least one output partition".into(),
            });
        }
        if self.max_branch < 2 {
            return Err(Error::InvalidArgument {
                what: format!("shuffle {}", self.name),
                message: format!("max_branch must be at least 2 (it is {})", self.max_branch),
            });
        }
        let keys: Vec<Key> = (0..self.npartitions).map(|i| self.key(i)).collect();
        if graph.layer(&self.name).is_some() {
            return Ok(keys);
        }
        match self.resolved_method() {
            Method::Disk => tasks::build_disk(self, graph, inputs),
            _ => tasks::build_staged(self, graph, inputs),
        }
        Ok(keys)
    }
}

/// The machine's physical memory, from `/proc/meminfo` (Linux), if it can be read.
pub fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The base directory of on-disk shuffles: `DASK_TEMPORARY_DIRECTORY` if set, else the
/// system's temporary directory.
pub fn default_dir() -> PathBuf {
    std::env::var_os("DASK_TEMPORARY_DIRECTORY")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}
