//! Tree reductions: combining many partial results with a bounded fan-in.
//!
//! Every collection reduces the same way: one *partial* task per block or partition, then
//! a tree of *combine* tasks that each take at most `split_every` inputs, then one
//! *aggregate* task at the root (Dask's `chunk` / `combine` / `aggregate`). The tree keeps
//! every task's input count bounded (so a task never holds thousands of partials at
//! once) and its depth logarithmic, and a single worker that runs it in priority order
//! finishes a group before starting the next one — memory holds `split_every` partials
//! per level, not one per block.
//!
//! [`TreeReduce`] builds the combine and aggregate layers on top of a graph that already
//! computes the partials; what the partials are is the collection's business.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::graph::{Graph, Layer};
use crate::key::{Key, tokenize};
use crate::op::Op;
use crate::task::Arg;

/// The fan-in Dask uses by default for reductions (`split_every`).
pub const DEFAULT_SPLIT_EVERY: usize = 16;

/// A tree reduction's shape: which operation combines partials, which one finishes at
/// the root, and how many inputs a task takes at most.
///
/// Every task's arguments are the operation's leading literal arguments followed by its
/// inputs, in the order of the keys given to [`build`](TreeReduce::build) (so an
/// order-sensitive combine, such as "first value", sees the partials in block order).
///
/// ```
/// use dask_graph::{Args, Graph, Key, Layer, OpResult, SyncScheduler, TreeReduce, Value, compute, register_op};
///
/// fn sum(args: Args) -> OpResult {
///     let mut total = 0i64;
///     for i in 0..args.len() {
///         total += *args.get::<i64>(i)?;
///     }
///     Ok(Value::new(total))
/// }
/// register_op!(SUM = "doc.tree.sum" => sum);
///
/// let mut leaves = Layer::new("leaves");
/// let keys: Vec<Key> = (0..100u32).map(|i| Key::with_index("leaves", [i])).collect();
/// for (i, k) in keys.iter().enumerate() {
///     leaves.data(k.clone(), Value::new(i as i64));
/// }
/// let mut graph = Graph::from_layers([leaves]);
/// let total = TreeReduce::new("total", &SUM).split_every(8).build(&mut graph, keys)?;
/// let out = compute(&graph, &[total], &SyncScheduler)?;
/// assert_eq!(out[0].downcast_ref::<i64>(), Some(&4950));
/// # Ok::<(), dask_graph::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TreeReduce {
    name: Arc<str>,
    combine: (Op, Vec<Arg>),
    aggregate: Option<(Op, Vec<Arg>)>,
    split_every: usize,
}

impl TreeReduce {
    /// A tree whose root is the layer `name` (its one key is `(name, 0)`), combining with
    /// `op` at every level (and at the root, unless [`aggregate`](Self::aggregate) says
    /// otherwise), at most [`DEFAULT_SPLIT_EVERY`] inputs per task.
    ///
    /// `name` should identify the reduction (a [`tokenize`] of the inputs and
    /// parameters): the intermediate layers are named after it.
    pub fn new(name: impl Into<Arc<str>>, op: impl Into<Op>) -> TreeReduce {
        TreeReduce {
            name: name.into(),
            combine: (op.into(), Vec::new()),
            aggregate: None,
            split_every: DEFAULT_SPLIT_EVERY,
        }
    }

    /// Literal arguments placed before the inputs of every combine task.
    pub fn args(mut self, leading: Vec<Arg>) -> TreeReduce {
        self.combine.1 = leading;
        self
    }

    /// A different operation (and leading arguments) for the root task, which finishes
    /// the reduction (a mean divides the combined sum by the combined count).
    pub fn aggregate(mut self, op: impl Into<Op>, leading: Vec<Arg>) -> TreeReduce {
        self.aggregate = Some((op.into(), leading));
        self
    }

    /// The most inputs any task takes (at least 2).
    pub fn split_every(mut self, n: usize) -> TreeReduce {
        self.split_every = n;
        self
    }

    /// The key of the root: `(name, 0)`.
    pub fn root(&self) -> Key {
        Key::block(&self.name, &[0])
    }

    /// Adds the combine layers and the root layer over `inputs` (keys `graph` computes)
    /// to `graph`, and returns the root's key.
    ///
    /// Level `r` is the layer `tokenize("{name}-combine", r)`, with keys
    /// `(that name, i)`. With no inputs the root runs on its leading arguments alone.
    /// A `split_every` below 2 is an error (the tree would never shrink).
    pub fn build(&self, graph: &mut Graph, mut inputs: Vec<Key>) -> Result<Key> {
        if self.split_every < 2 {
            return Err(Error::InvalidArgument {
                what: "tree_reduce".into(),
                message: format!(
                    "split_every must be at least 2 (it is {}): each task combines that many inputs",
                    self.split_every
                ),
            });
        }
        let (op, leading) = &self.combine;
        let mut round = 0u64;
        while inputs.len() > self.split_every {
            round += 1;
            let name: Arc<str> = Arc::from(tokenize(&format!("{}-combine", self.name), &round));
            let groups = inputs.chunks(self.split_every);
            let mut layer = Layer::with_capacity(Arc::clone(&name), groups.len());
            let mut next = Vec::with_capacity(groups.len());
            for (i, group) in groups.enumerate() {
                let key = Key::block(&name, &[i as u32]);
                layer.task(key.clone(), op.clone(), with_inputs(leading, group));
                next.push(key);
            }
            graph.add_layer(layer);
            inputs = next;
        }
        let (op, leading) = self.aggregate.as_ref().unwrap_or(&self.combine);
        let root = self.root();
        let mut layer = Layer::with_capacity(Arc::clone(&self.name), 1);
        layer.task(root.clone(), op.clone(), with_inputs(leading, &inputs));
        graph.add_layer(layer);
        Ok(root)
    }
}

/// `leading` followed by a reference to each key of `inputs`.
fn with_inputs(leading: &[Arg], inputs: &[Key]) -> Vec<Arg> {
    let mut args = Vec::with_capacity(leading.len() + inputs.len());
    args.extend(leading.iter().cloned());
    args.extend(inputs.iter().cloned().map(Arg::Key));
    args
}
