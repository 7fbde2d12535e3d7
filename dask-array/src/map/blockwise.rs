//! `blockwise`: a function of corresponding blocks of several arrays, described by index
//! notation (Dask's `blockwise`, NumPy's `einsum` spelling).
//!
//! `"ij,jk->ik"` names each input's axes by letters, and the output's. An output block
//! `(I, K)` is the function of block `(I, J)` of the first input and block `(J, K)` of
//! the second for every `J` — which, as in Dask's `concatenate=True`, arrive as one block
//! each: an index that appears in the inputs but not in the output is *contracted*, and
//! every input is first rechunked to a single block along its contracted axes. A
//! function that sums over `j` thus sees whole rows and columns.
//!
//! Design decisions:
//!
//! * **One letter, one axis length, one chunking.** Every axis named by a letter must
//!   have the same length (an error names the two inputs and axes otherwise); their
//!   chunks are unified to the common refinement of their boundaries (as elementwise
//!   operations and `matmul` do), so each output block reads exactly one block of each
//!   input. The output's chunks along a letter are those unified chunks.
//! * **Concatenation is a rechunk**: a contracted axis becomes one block before the
//!   layer, through [`rechunk`](Array::rechunk) (registered operations, intermediate
//!   steps for large fan-ins), rather than inside the user's task.
//! * **Two forms**, as for [`map_blocks`](Array::map_blocks): a closure (in-process
//!   schedulers) and a registered operation (every scheduler) that receives the output
//!   block index (a `Vec<u64>`) and then the input blocks, in the spec's order.
//! * **The spec is checked at build time**: its syntax (letters only, one `->`), the
//!   number of inputs, each input's number of axes, no letter repeated in one input or
//!   in the output, every output letter present in some input. A function that returns
//!   a block of another shape than the chunks say makes `compute` fail naming the block.

use std::sync::Arc;

use dask_graph::{Arg, Node, Op, RegisteredOp, Task};
use ndarray::ArrayD;

use super::map_blocks::{check_blocks, checked};
use crate::array::Array;
use crate::block::{block_ref, block_value};
use crate::chunks::{Chunks, refine};
use crate::element::Element;
use crate::error::{Result, invalid, shape_str};
use crate::layer::{block_key, build, layer_name, lit, unique_layer_name};

/// A parsed spec: the letters of each input and of the output.
struct Spec {
    inputs: Vec<Vec<char>>,
    output: Vec<char>,
}

fn parse(spec: &str) -> Result<Spec> {
    let Some((lhs, rhs)) = spec.split_once("->") else {
        return Err(invalid(
            "blockwise",
            format!("spec {spec:?} has no `->` (expected e.g. \"ij,jk->ik\")"),
        ));
    };
    let letters = |part: &str, what: &str| -> Result<Vec<char>> {
        let part = part.trim();
        if let Some(c) = part.chars().find(|c| !c.is_ascii_alphabetic()) {
            return Err(invalid(
                "blockwise",
                format!("spec {spec:?}: {what} {part:?} contains {c:?}; indices are letters"),
            ));
        }
        let chars: Vec<char> = part.chars().collect();
        if let Some(c) = chars
            .iter()
            .enumerate()
            .find(|(i, c)| chars[..*i].contains(c))
            .map(|(_, c)| *c)
        {
            return Err(invalid(
                "blockwise",
                format!("spec {spec:?}: index {c:?} is repeated in {what} {part:?}"),
            ));
        }
        Ok(chars)
    };
    let output = letters(rhs, "the output")?;
    let inputs = lhs
        .split(',')
        .enumerate()
        .map(|(i, part)| letters(part, &format!("input {i}")))
        .collect::<Result<Vec<_>>>()?;
    if let Some(c) = output
        .iter()
        .find(|c| !inputs.iter().any(|ix| ix.contains(c)))
    {
        return Err(invalid(
            "blockwise",
            format!("spec {spec:?}: output index {c:?} appears in no input"),
        ));
    }
    Ok(Spec { inputs, output })
}

/// The inputs rechunked for the layer, the output's chunks, and for each input axis the
/// output axis whose block index it takes (`None`: contracted, block 0).
struct Prepared<T> {
    arrays: Vec<Array<T>>,
    chunks: Chunks,
    axes: Vec<Vec<Option<usize>>>,
}

fn prepare<T: Element>(spec: &str, inputs: &[&Array<T>]) -> Result<Prepared<T>> {
    let parsed = parse(spec)?;
    if parsed.inputs.len() != inputs.len() {
        return Err(invalid(
            "blockwise",
            format!(
                "spec {spec:?} names {} input(s) but {} array(s) were given",
                parsed.inputs.len(),
                inputs.len()
            ),
        ));
    }
    for (i, (ix, x)) in parsed.inputs.iter().zip(inputs).enumerate() {
        if ix.len() != x.ndim() {
            return Err(invalid(
                "blockwise",
                format!(
                    "spec {spec:?}: input {i} has {} ind(ices) but an array of shape {}",
                    ix.len(),
                    shape_str(&x.shape())
                ),
            ));
        }
    }
    // Per letter: its length (checked equal everywhere) and unified chunks.
    let mut letters: Vec<(char, usize, Vec<usize>)> = Vec::new();
    for c in parsed.inputs.iter().flatten() {
        if letters.iter().any(|(l, _, _)| l == c) {
            continue;
        }
        let uses: Vec<(usize, usize)> = parsed
            .inputs
            .iter()
            .enumerate()
            .filter_map(|(i, ix)| ix.iter().position(|l| l == c).map(|a| (i, a)))
            .collect();
        let (i0, a0) = uses[0];
        let len = inputs[i0].shape()[a0];
        if let Some(&(i, a)) = uses.iter().find(|&&(i, a)| inputs[i].shape()[a] != len) {
            return Err(invalid(
                "blockwise",
                format!(
                    "index {c:?} has length {len} in input {i0} (axis {a0}) but {} in input {i} (axis {a})",
                    inputs[i].shape()[a]
                ),
            ));
        }
        let chunks = if parsed.output.contains(c) {
            let lists: Vec<&[usize]> = uses
                .iter()
                .map(|&(i, a)| inputs[i].chunks.axis(a))
                .collect();
            refine(&lists)
        } else {
            vec![len]
        };
        letters.push((*c, len, chunks));
    }
    let chunks_of = |c: char| -> Vec<usize> {
        letters
            .iter()
            .find(|(l, _, _)| *l == c)
            .map(|(_, _, ch)| ch.clone())
            .unwrap_or_default()
    };
    let arrays = parsed
        .inputs
        .iter()
        .zip(inputs)
        .map(|(ix, x)| {
            x.rechunk_to(&Chunks::from_lengths(
                ix.iter().map(|&c| chunks_of(c)).collect(),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let axes = parsed
        .inputs
        .iter()
        .map(|ix| {
            ix.iter()
                .map(|c| parsed.output.iter().position(|o| o == c))
                .collect()
        })
        .collect();
    let chunks = Chunks::from_lengths(parsed.output.iter().map(|&c| chunks_of(c)).collect());
    Ok(Prepared {
        arrays,
        chunks,
        axes,
    })
}

impl<T: Element> Prepared<T> {
    /// The keys of the input blocks output block `index` reads.
    fn inputs_of(&self, index: &[usize]) -> Vec<Arg> {
        self.arrays
            .iter()
            .zip(&self.axes)
            .map(|(x, axes)| {
                let at: Vec<usize> = axes.iter().map(|o| o.map_or(0, |o| index[o])).collect();
                Arg::Key(block_key(&x.name, &at))
            })
            .collect()
    }

    fn graphs(&self) -> Vec<&dask_graph::Graph> {
        self.arrays.iter().map(|x| &x.graph).collect()
    }
}

/// Applies `f` to corresponding blocks of `inputs` as the index notation `spec` says
/// (Dask's `blockwise` with `concatenate=True`): `f` receives one block per input (whole
/// along contracted indices) and the output block's index, and returns the output
/// block. A closure: in-process schedulers only (see [`blockwise_op`]).
///
/// A matrix product, each output block from a row band and a column band:
///
/// ```
/// use dask_array::{Array, blockwise};
/// use dask_graph::SyncScheduler;
/// let a = Array::from_ndarray(ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn(), 1)?;
/// let b = Array::from_ndarray(ndarray::arr2(&[[5.0], [6.0]]).into_dyn(), 1)?;
/// let c = blockwise("ij,jk->ik", &[&a, &b], |blocks, _| {
///     let (x, y) = (blocks[0].view().into_dimensionality::<ndarray::Ix2>().unwrap(),
///                   blocks[1].view().into_dimensionality::<ndarray::Ix2>().unwrap());
///     x.dot(&y).into_dyn()
/// })?;
/// assert_eq!(c.compute(&SyncScheduler)?, ndarray::arr2(&[[17.0], [39.0]]).into_dyn());
/// # Ok::<(), dask_array::Error>(())
/// ```
pub fn blockwise<T: Element, U: Element>(
    spec: &str,
    inputs: &[&Array<T>],
    f: impl Fn(&[&ArrayD<T>], &[usize]) -> ArrayD<U> + Send + Sync + 'static,
) -> Result<Array<U>> {
    let p = prepare(spec, inputs)?;
    // Closures have no stable identity: the layer name is unique per call.
    let names: Vec<&str> = p.arrays.iter().map(|x| x.name()).collect();
    let name = unique_layer_name("blockwise", &(spec, names));
    let f = Arc::new(f);
    Ok(build(&p.graphs(), name, p.chunks.clone(), |index| {
        let (f, index_owned) = (Arc::clone(&f), index.to_vec());
        let expected = p.chunks.block_shape(index).unwrap_or_default();
        let op = Op::local("blockwise", move |args| {
            let blocks = args
                .values()
                .iter()
                .map(block_ref::<T>)
                .collect::<Result<Vec<_>, _>>()?;
            let out = f(&blocks, &index_owned);
            Ok(block_value(checked(out, &expected, &index_owned)?))
        });
        Node::Task(Task::new(op, p.inputs_of(index)))
    }))
}

/// [`blockwise`] with a registered operation, which runs on every scheduler, worker
/// processes included: it receives the output block's index as a `Vec<u64>` (argument
/// 0), then one block per input in the spec's order, and returns the output block (an
/// `ndarray::ArrayD<U>`, e.g. through [`block_value`]).
pub fn blockwise_op<T: Element, U: Element>(
    spec: &str,
    inputs: &[&Array<T>],
    op: &'static RegisteredOp,
) -> Result<Array<U>> {
    let p = prepare(spec, inputs)?;
    let names: Vec<&str> = p.arrays.iter().map(|x| x.name()).collect();
    let name = layer_name("blockwise", &(spec, names, op.name));
    Ok(check_blocks(build(
        &p.graphs(),
        name,
        p.chunks.clone(),
        |index| {
            let idx: Vec<u64> = index.iter().map(|&i| i as u64).collect();
            let mut args = vec![lit(idx)];
            args.extend(p.inputs_of(index));
            Node::Task(Task::new(Op::Registered(op), args))
        },
    )))
}
