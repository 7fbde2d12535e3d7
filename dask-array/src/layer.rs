//! The helpers every operation builds its layer with: names, keys, tasks, literals.
//!
//! An operation adds one layer (a few for trees) to its inputs' graph: [`build`] merges
//! the input graphs and adds a layer holding one node per block of the output's chunks,
//! keyed `(name, i, j, ...)` ([`block_key`], defined with the handle whose keys it
//! spells, so that the handle depends on nothing here). A node is usually a [`task`]
//! naming a registered operation (see `element::per_type`), with the parameters as
//! literal arguments ([`lit`], [`lit_usizes`], read back by [`usizes_arg`]; operation
//! codes from `op_code`) and the input blocks as keys — [`per_block`] is the common
//! one-task-per-input-block layer; sometimes an alias of an input block (no task at
//! all) or data ([`data_block`]).
//!
//! Layer names identify contents: [`layer_name`] is a token of the label, the inputs'
//! names and the parameters, so building the same expression twice gives the same
//! keys, and the graph keeps one copy of a layer two expressions share. Layers with no
//! stable identity (closures, user sources and sinks, writes) get a name unique to the
//! call instead ([`unique_layer_name`]).

use std::sync::Arc;

use dask_graph::{
    Arg, Args, BoxError, Graph, Layer, Node, Op, RegisteredOp, Task, Tokenize, Value, tokenize,
};
use ndarray::ArrayD;

use crate::array::Array;
pub(crate) use crate::array::block_key;
use crate::block::block_value;
use crate::chunks::{Chunks, block_indices};
use crate::element::Element;

/// A layer name for an operation: `label-<token of its inputs and parameters>`.
pub(crate) fn layer_name(label: &str, inputs: &impl Tokenize) -> Arc<str> {
    Arc::from(tokenize(label, inputs))
}

/// A layer name unique to this call (and process), for layers with no stable identity:
/// closures, user sources and sinks, writes.
pub(crate) fn unique_layer_name(label: &str, inputs: &impl Tokenize) -> Arc<str> {
    Arc::from(dask_graph::unique_token(label, inputs))
}

/// Builds an array of `chunks` whose block `i` is the node `node(i)`, in a new layer
/// `name` on top of `graphs`.
pub(crate) fn build<T: Element>(
    graphs: &[&Graph],
    name: Arc<str>,
    chunks: Chunks,
    mut node: impl FnMut(&[usize]) -> Node,
) -> Array<T> {
    let mut graph = Graph::merged(graphs.iter().copied());
    let numblocks = chunks.numblocks();
    let mut layer = Layer::with_capacity(Arc::clone(&name), numblocks.iter().product());
    for index in block_indices(&numblocks) {
        layer.insert(block_key(&name, &index), node(&index));
    }
    graph.add_layer(layer);
    Array::from_graph(graph, name, chunks)
}

/// [`build`] for intermediate layers whose values are not arrays of one element type
/// (the partials of a reduction tree).
pub(crate) fn build_any(
    graphs: &[&Graph],
    name: Arc<str>,
    chunks: Chunks,
    node: impl FnMut(&[usize]) -> Node,
) -> Array<()> {
    let a: Array<bool> = build(graphs, name, chunks, node);
    Array::from_graph(a.graph, a.name, a.chunks)
}

/// An array of `x`'s chunks whose block `i` is a task of `op` on block `i` of `x`,
/// after the `leading` literal arguments: the first layer of most operations that
/// summarize or transform blocks one at a time.
pub(crate) fn per_block<T, U: Element>(
    x: &Array<T>,
    name: Arc<str>,
    op: &'static RegisteredOp,
    leading: Vec<Arg>,
) -> Array<U> {
    build(&[&x.graph], name, x.chunks.clone(), |index| {
        let mut args = leading.clone();
        args.push(Arg::Key(block_key(&x.name, index)));
        task(op, args)
    })
}

/// A task node.
pub(crate) fn task(op: &'static RegisteredOp, args: Vec<Arg>) -> Node {
    Node::Task(Task::new(Op::Registered(op), args))
}

/// A literal argument.
pub(crate) fn lit<V: dask_graph::Data>(v: V) -> Arg {
    Arg::Literal(Value::new(v))
}

/// Shape or index as a `u64` literal.
pub(crate) fn lit_usizes(xs: &[usize]) -> Arg {
    lit(xs.iter().map(|&x| x as u64).collect::<Vec<u64>>())
}

/// Reads back, in a kernel, a shape, index or axes literal of [`lit_usizes`] (argument
/// `i`).
pub(crate) fn usizes_arg(args: &Args, i: usize) -> Result<Vec<usize>, BoxError> {
    Ok(args
        .get::<Vec<u64>>(i)?
        .iter()
        .map(|&d| d as usize)
        .collect())
}

/// A block value for a data node.
pub(crate) fn data_block<T: Element>(block: ArrayD<T>) -> Node {
    Node::Data(block_value(block))
}
