//! The shapes of reduction graphs: the partial → combine → finish tree over the
//! reduced axes ([`tree`]), and the flat fixed fan-in tree ([`flat_tree`]) that
//! histograms, `topk`, percentiles and `store` merge their per-block results with.

use dask_graph::RegisteredOp;

use super::{DEFAULT_SPLIT_EVERY, Resolved};
use crate::array::Array;
use crate::chunks::{Chunks, for_each_in_box};
use crate::element::Element;
use crate::layer::{block_key, build, build_any, layer_name, task};

/// One stage of a reduction: an operation and its leading literal arguments.
pub(super) struct Stage {
    pub(super) op: &'static RegisteredOp,
    pub(super) leading: Vec<dask_graph::Arg>,
}

/// Builds the partial → combine* → finish tree; returns the output array.
pub(super) fn tree<T, U: Element>(
    x: &Array<T>,
    label: &'static str,
    r: &Resolved,
    token: &impl dask_graph::Tokenize,
    partial: Stage,
    combine: Stage,
    finish: Stage,
) -> Array<U> {
    let ndim = x.ndim();
    let axes_lit: Vec<u64> = r.axes.iter().map(|&a| a as u64).collect();
    let base = layer_name(label, &(x.name(), &axes_lit, r.keepdims, &r.split, token));

    // Partials: one per block.
    let pname = layer_name(&format!("{label}-partial"), &base.to_string());
    let mut current: Array<()> = {
        let xs = &x.name;
        build_any(&[&x.graph], pname, x.chunks.clone(), |index| {
            let mut args = partial.leading.clone();
            args.push(dask_graph::Arg::Key(block_key(xs, index)));
            task(partial.op, args)
        })
    };
    // Combines, until one block is left along every reduced axis.
    let mut round = 0;
    loop {
        let grid = current.chunks.numblocks();
        if r.axes.iter().all(|&a| grid[a] <= 1) {
            break;
        }
        let new_grid: Vec<usize> = (0..ndim)
            .map(|a| {
                if r.axes.contains(&a) {
                    grid[a].div_ceil(r.split[a])
                } else {
                    grid[a]
                }
            })
            .collect();
        // Only the grid matters for combine layers: lengths are per block counts.
        let chunks = Chunks::from_lengths(
            (0..ndim)
                .map(|a| {
                    if r.axes.contains(&a) {
                        vec![1; new_grid[a]]
                    } else {
                        current.chunks.axis(a).to_vec()
                    }
                })
                .collect(),
        );
        round += 1;
        let cname = layer_name(&format!("{label}-combine"), &(base.to_string(), round));
        let prev = &current.name;
        let next = build_any(&[&current.graph], cname, chunks, |index| {
            let mut args = combine.leading.clone();
            let ranges: Vec<std::ops::Range<usize>> = (0..ndim)
                .map(|a| {
                    if r.axes.contains(&a) {
                        let s = index[a] * r.split[a];
                        s..(s + r.split[a]).min(grid[a])
                    } else {
                        index[a]..index[a] + 1
                    }
                })
                .collect();
            for_each_in_box(&ranges, |i| {
                args.push(dask_graph::Arg::Key(block_key(prev, i)));
            });
            task(combine.op, args)
        });
        current = next;
    }
    // Finish: the output blocks.
    let out_chunks = Chunks::from_lengths(
        (0..ndim)
            .filter_map(|a| {
                if !r.axes.contains(&a) {
                    Some(x.chunks.axis(a).to_vec())
                } else if r.keepdims {
                    Some(vec![1])
                } else {
                    None
                }
            })
            .collect(),
    );
    let fname = layer_name(label, &base.to_string());
    let prev = &current.name;
    build(&[&current.graph], fname, out_chunks, |index| {
        let full: Vec<usize> = if r.keepdims {
            index.to_vec()
        } else {
            let mut it = index.iter();
            (0..ndim)
                .map(|a| {
                    if r.axes.contains(&a) {
                        0
                    } else {
                        *it.next().unwrap_or(&0)
                    }
                })
                .collect()
        };
        let mut args = finish.leading.clone();
        args.push(dask_graph::Arg::Key(block_key(prev, &full)));
        task(finish.op, args)
    })
}

/// Combines the values of `keys` in a tree of at most [`DEFAULT_SPLIT_EVERY`] inputs per
/// task with `combine` (an operation and its leading literal arguments), through the
/// workspace's [`TreeReduce`](dask_graph::TreeReduce); the root is the output's one
/// block, a 1-d array of `len` elements.
pub(crate) fn flat_tree<U: Element>(
    mut graph: dask_graph::Graph,
    keys: Vec<dask_graph::Key>,
    label: &std::sync::Arc<str>,
    combine: (&'static dask_graph::RegisteredOp, Vec<dask_graph::Arg>),
    len: usize,
) -> Array<U> {
    let (op, leading) = combine;
    dask_graph::TreeReduce::new(std::sync::Arc::clone(label), op)
        .args(leading)
        .split_every(DEFAULT_SPLIT_EVERY)
        .build(&mut graph, keys)
        .expect("the default fan-in is at least 2");
    Array::from_graph(
        graph,
        std::sync::Arc::clone(label),
        Chunks::from_lengths(vec![vec![len]]),
    )
}
