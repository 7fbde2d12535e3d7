//! Reducing one block over some of its axes: what the partial kernels of folds and
//! moments share.
//!
//! A reduction over every axis is one flat fold in logical (C) order with eight
//! accumulators (so the result is the same whether or not the block crossed a process
//! boundary, and the loop vectorizes); otherwise the last reduced axis is folded first,
//! mapping elements as they are read, then the others.

use dask_graph::BoxError;
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

/// Reduces `block` over `axes` (keeping them, length 1) by mapping elements with `m`
/// and folding with `f` from `id`.
pub(super) fn reduce_block<T: Copy, A: Copy>(
    block: ArrayViewD<'_, T>,
    axes: &[usize],
    id: A,
    m: impl Fn(T) -> A + Copy,
    f: impl Fn(A, A) -> A + Copy,
) -> Result<ArrayD<A>, BoxError> {
    let ndim = block.ndim();
    let mut out_shape = block.shape().to_vec();
    for &a in axes {
        out_shape[a] = 1;
    }
    // All axes: one flat fold in logical (C) order — a block laid out otherwise (a
    // transposed view) is copied first, so that a sum does not depend on whether the
    // block crossed a process boundary (decoded blocks are always C order).
    if axes.len() == ndim {
        let standard = block.as_standard_layout();
        if let Some(xs) = standard.as_slice() {
            let total = fold_mapped(xs, id, m, f);
            return Ok(ArrayD::from_elem(IxDyn(&out_shape), total));
        }
    }
    if axes.is_empty() {
        return Ok(block.mapv(m));
    }
    // The last reduced axis first, mapping elements as they are folded (no converted
    // copy of the block); the other axes then fold the already reduced values.
    let mut desc = axes.to_vec();
    desc.sort_unstable_by(|a, b| b.cmp(a));
    let a0 = desc[0];
    let first: ArrayD<A> = if a0 + 1 == ndim {
        block.map_axis(Axis(a0), |lane| match lane.as_slice() {
            Some(xs) => fold_mapped(xs, id, m, f),
            None => lane.iter().fold(id, |acc, &x| f(acc, m(x))),
        })
    } else {
        block.fold_axis(Axis(a0), id, |&acc, &x| f(acc, m(x)))
    };
    let mut current = first.insert_axis(Axis(a0));
    for &a in &desc[1..] {
        current = current
            .fold_axis(Axis(a), id, |&acc, &x| f(acc, x))
            .insert_axis(Axis(a));
    }
    // `current` has the shape `out_shape` (each reduced axis kept with length 1), in
    // whatever memory order the folds produced.
    Ok(current)
}

/// Maps then folds a slice with 8 accumulators.
#[inline]
pub(super) fn fold_mapped<T: Copy, A: Copy>(
    xs: &[T],
    id: A,
    m: impl Fn(T) -> A,
    f: impl Fn(A, A) -> A,
) -> A {
    let mut acc = [id; 8];
    let mut chunks = xs.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            acc[k] = f(acc[k], m(c[k]));
        }
    }
    let mut total = id;
    for a in acc {
        total = f(total, a);
    }
    for &x in chunks.remainder() {
        total = f(total, m(x));
    }
    total
}
