//! `nlargest` / `nsmallest`: the top `n` rows by a column, without sorting everything.
//!
//! Each partition keeps its own top `n` (a partial sort: `sort_to_indices` with a
//! limit, then `take`), and a [`TreeReduce`](dask_graph::TreeReduce) of the same
//! operation merges the candidates, at most `split_every · n` rows per task, so memory
//! holds a few `n`-row batches whatever the frame's size. Nulls are never among the top
//! (pandas drops them); ties keep the earlier row.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef, SortOptions};
use dask_graph::{
    Arg, Args, Graph, Key, Layer, OpResult, TreeReduce, Value, register_op, tokenize,
};
use serde::{Deserialize, Serialize};

use crate::agg::DEFAULT_SPLIT_EVERY;
use crate::partition::batch_value;
use crate::plan::postcard_bytes;

/// What a top-`n` task needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct TopN {
    pub(crate) n: u64,
    pub(crate) column: String,
    pub(crate) largest: bool,
}

impl TopN {
    pub(crate) fn name(&self, input: &str) -> String {
        tokenize("topn", &(input, postcard_bytes(self)))
    }

    /// The partial layer and the tree; the result is the one partition `(name, 0)`.
    pub(crate) fn build(
        &self,
        graph: &mut Graph,
        input: &Arc<str>,
        npartitions: usize,
        name: &Arc<str>,
    ) {
        let spec = Arg::Literal(Value::new(postcard_bytes(self)));
        let keys = per_partition(
            graph,
            "topn-partial",
            name,
            &TOPN,
            &spec,
            input,
            npartitions,
        );
        TreeReduce::new(Arc::clone(name), &TOPN)
            .args(vec![spec])
            .split_every(DEFAULT_SPLIT_EVERY)
            .build(graph, keys)
            .expect("the default fan-in is at least 2");
    }
}

/// A layer `(prefix-…, i)` of `op(spec, partition i of input)` for every partition; its
/// keys, for a tree to reduce. The first step of every per-partition-then-tree node.
pub(crate) fn per_partition(
    graph: &mut Graph,
    prefix: &str,
    name: &Arc<str>,
    op: &'static dask_graph::RegisteredOp,
    spec: &Arg,
    input: &Arc<str>,
    npartitions: usize,
) -> Vec<Key> {
    let partial: Arc<str> = Arc::from(tokenize(prefix, &**name));
    let mut layer = Layer::with_capacity(Arc::clone(&partial), npartitions);
    let keys = (0..npartitions)
        .map(|i| {
            let key = Key::block(&partial, &[i as u32]);
            layer.task(
                key.clone(),
                op,
                vec![spec.clone(), Arg::Key(Key::block(input, &[i as u32]))],
            );
            key
        })
        .collect();
    graph.add_layer(layer);
    keys
}

/// The top `n` rows of the concatenated batches.
fn top(spec: &TopN, schema: SchemaRef, parts: &[&RecordBatch]) -> Result<RecordBatch, ArrowError> {
    let all = arrow_select::concat::concat_batches(&schema, parts.iter().copied())?;
    let column = all
        .column_by_name(&spec.column)
        .ok_or_else(|| ArrowError::SchemaError(format!("no column `{}`", spec.column)))?;
    let column = crate::agg::accum::nan_as_null(column);
    let options = SortOptions {
        descending: spec.largest,
        nulls_first: false,
    };
    let order = arrow_ord::sort::sort_to_indices(&column, Some(options), Some(spec.n as usize))?;
    // Drop nulls (they sort last): keep the indices of valid values only.
    let valid: arrow_array::UInt32Array = order
        .iter()
        .flatten()
        .filter(|&i| column.is_valid(i as usize))
        .map(Some)
        .collect();
    arrow_select::take::take_record_batch(&all, &valid)
}

fn topn_op(args: Args) -> OpResult {
    let spec: TopN = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let parts = (1..args.len())
        .map(|i| args.get::<RecordBatch>(i))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = parts.first() else {
        return Err("a top-n task needs at least one partition".into());
    };
    Ok(batch_value(top(&spec, first.schema(), &parts)?))
}

register_op!(TOPN = "dataframe.topn" => topn_op);
