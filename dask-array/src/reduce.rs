//! Reductions: sum, prod, min, max, any, all, mean, var, std, argmin, argmax.
//!
//! Every reduction is a tree: a *partial* task per block reduces the block over the
//! requested axes (keeping them, with length 1), *combine* tasks merge up to
//! `split_every` partials at a time — grouped along the reduced axes only, so the
//! other axes keep their blocks and their parallelism — until one partial is left per
//! output block, and a *finish* task turns it into the output block (dividing, taking
//! square roots, dropping the reduced axes unless `keepdims`). Partials are small, so a
//! reduction over a larger-than-memory array holds a few blocks at a time; the order
//! the graph's static ordering gives combines partials as soon as they exist.
//!
//! Means, variances and standard deviations carry `(count, mean, M2)` partials in `f64`
//! and merge them with Chan et al.'s pairwise update, so they stay accurate over 10⁹
//! elements where a running sum of squares would not. `split_every` defaults to 16 in
//! total, spread over the reduced axes (at least 2 per axis), as in Dask.

use dask_graph::{Args, BoxError, OpResult, Value, register_codec, register_op};
use ndarray::{ArrayD, ArrayViewD, Axis, Dimension, IxDyn, Zip};

use crate::array::{Array, Scalar, block_key, build, layer_name, lit, lit_usizes, task};
use crate::block::{block_ref, block_value, decode_block, encode_block};
use crate::chunks::Chunks;
use crate::element::{Element, Float};
use crate::error::{Result, invalid, resolve_axis, shape_str};

/// Dask's default total fan-in of a reduction tree.
pub const DEFAULT_SPLIT_EVERY: usize = 16;

/// Which axes a reduction runs over, whether they are kept, and the tree's fan-in.
///
/// ```
/// use dask_array::{Array, Reduce};
/// use dask_graph::SyncScheduler;
/// let x = Array::from_ndarray(ndarray::Array::from_shape_fn((4, 6), |(i, j)| (i * 6 + j) as i64), [2, 2])?;
/// let rows = x.sum_over(Reduce::axis(1))?;
/// assert_eq!(rows.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![15, 51, 87, 123]);
/// let kept = x.sum_over(Reduce::axis(-1).keepdims(true).split_every(2))?;
/// assert_eq!(kept.shape(), vec![4, 1]);
/// # Ok::<(), dask_array::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Reduce {
    axes: Option<Vec<isize>>,
    keepdims: bool,
    split_every: Option<usize>,
}

impl Reduce {
    /// Over every axis.
    pub fn all() -> Reduce {
        Reduce::default()
    }

    /// Over one axis (negative counts from the end).
    pub fn axis(axis: isize) -> Reduce {
        Reduce::axes([axis])
    }

    /// Over several axes.
    pub fn axes(axes: impl IntoIterator<Item = isize>) -> Reduce {
        Reduce {
            axes: Some(axes.into_iter().collect()),
            ..Reduce::default()
        }
    }

    /// Keeps the reduced axes with length 1 (for broadcasting against the input).
    pub fn keepdims(mut self, keep: bool) -> Reduce {
        self.keepdims = keep;
        self
    }

    /// How many partials a combine task merges at most (in total over the reduced
    /// axes; at least 2).
    pub fn split_every(mut self, n: usize) -> Reduce {
        self.split_every = Some(n);
        self
    }
}

impl From<isize> for Reduce {
    fn from(axis: isize) -> Reduce {
        Reduce::axis(axis)
    }
}

impl<const N: usize> From<[isize; N]> for Reduce {
    fn from(axes: [isize; N]) -> Reduce {
        Reduce::axes(axes)
    }
}

/// A reduction resolved against an array: sorted distinct axes, fan-in per axis.
struct Resolved {
    axes: Vec<usize>,
    keepdims: bool,
    split: Vec<usize>,
}

impl Reduce {
    fn resolve(&self, op: &'static str, ndim: usize) -> Result<Resolved> {
        let mut axes = match &self.axes {
            None => (0..ndim).collect(),
            Some(list) => list
                .iter()
                .map(|&a| resolve_axis(op, a, ndim))
                .collect::<Result<Vec<_>>>()?,
        };
        let before = axes.len();
        axes.sort_unstable();
        axes.dedup();
        if axes.len() != before {
            return Err(invalid(
                op,
                format!("an axis is repeated in {:?}", self.axes),
            ));
        }
        let total = self.split_every.unwrap_or(DEFAULT_SPLIT_EVERY);
        if total < 2 {
            return Err(invalid(
                op,
                format!("split_every must be at least 2, got {total}"),
            ));
        }
        let per_axis = if axes.is_empty() {
            total
        } else {
            ((total as f64).powf(1.0 / axes.len() as f64) + 1e-9).floor() as usize
        }
        .max(2);
        Ok(Resolved {
            split: vec![per_axis; ndim],
            axes,
            keepdims: self.keepdims,
        })
    }
}

/// One stage of a reduction: an operation and its leading literal arguments.
struct Stage {
    op: &'static dask_graph::RegisteredOp,
    leading: Vec<dask_graph::Arg>,
}

/// Builds the partial → combine* → finish tree; returns the output array.
fn tree<T, U: Element>(
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

/// [`build`] for intermediate layers whose values are not arrays of one element type.
fn build_any(
    graphs: &[&dask_graph::Graph],
    name: std::sync::Arc<str>,
    chunks: Chunks,
    node: impl FnMut(&[usize]) -> dask_graph::Node,
) -> Array<()> {
    let a: Array<bool> = build(graphs, name, chunks, node);
    Array::from_graph(a.graph, a.name, a.chunks)
}

/// Combines the values of `keys` in a tree of at most [`DEFAULT_SPLIT_EVERY`] inputs per
/// task with `combine` (an operation and its leading literal arguments); the last task
/// is the output's one block, a 1-d array of `len` elements.
pub(crate) fn flat_tree<U: Element>(
    mut graph: dask_graph::Graph,
    mut keys: Vec<dask_graph::Key>,
    label: &std::sync::Arc<str>,
    combine: (&'static dask_graph::RegisteredOp, Vec<dask_graph::Arg>),
    len: usize,
) -> Array<U> {
    let (op, leading) = combine;
    let mut round = 0u64;
    while keys.len() > DEFAULT_SPLIT_EVERY {
        round += 1;
        let groups: Vec<Vec<dask_graph::Key>> = keys
            .chunks(DEFAULT_SPLIT_EVERY)
            .map(<[dask_graph::Key]>::to_vec)
            .collect();
        let level: Array<U> = build(
            &[&graph],
            layer_name(&format!("{label}-combine"), &round),
            Chunks::from_lengths(vec![vec![1; groups.len()]]),
            |index| {
                let mut args = leading.clone();
                args.extend(groups[index[0]].iter().cloned().map(dask_graph::Arg::Key));
                task(op, args)
            },
        );
        keys = (0..groups.len())
            .map(|i| block_key(&level.name, &[i]))
            .collect();
        graph = level.graph;
    }
    build(
        &[&graph],
        std::sync::Arc::clone(label),
        Chunks::from_lengths(vec![vec![len]]),
        |_| {
            let mut args = leading.clone();
            args.extend(keys.iter().cloned().map(dask_graph::Arg::Key));
            task(op, args)
        },
    )
}

/// Calls `f` on every index of the box `ranges`, in C order.
pub(crate) fn for_each_in_box(ranges: &[std::ops::Range<usize>], mut f: impl FnMut(&[usize])) {
    if ranges.iter().any(|r| r.is_empty()) {
        return;
    }
    let mut i: Vec<usize> = ranges.iter().map(|r| r.start).collect();
    loop {
        f(&i);
        let mut axis = ranges.len();
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            i[axis] += 1;
            if i[axis] < ranges[axis].end {
                break;
            }
            i[axis] = ranges[axis].start;
        }
    }
}

/// Fold codes.
mod fold {
    pub const SUM: u64 = 0;
    pub const PROD: u64 = 1;
    pub const MIN: u64 = 2;
    pub const MAX: u64 = 3;
    pub const ANY: u64 = 4;
    pub const ALL: u64 = 5;
}

/// Moment codes.
mod moment {
    pub const MEAN: u64 = 0;
    pub const VAR: u64 = 1;
    pub const STD: u64 = 2;
}

impl<T: Element> Array<T> {
    fn fold<U: Element>(&self, label: &'static str, c: u64, r: Reduce) -> Result<Array<U>> {
        let res = r.resolve(label, self.ndim())?;
        if (c == fold::MIN || c == fold::MAX) && self.empty_over(&res) {
            return Err(invalid(
                label,
                format!(
                    "zero-size reduction over an array of shape {}: {label} has no identity",
                    shape_str(&self.shape())
                ),
            ));
        }
        let axes = axes_lit(&res);
        Ok(tree(
            self,
            label,
            &res,
            &c,
            Stage {
                op: T::ops().fold_partial,
                leading: vec![lit(c), lit(axes.clone())],
            },
            Stage {
                op: U::ops().fold_combine,
                leading: vec![lit(c)],
            },
            Stage {
                op: U::ops().squeeze,
                leading: vec![lit(if res.keepdims { Vec::new() } else { axes })],
            },
        ))
    }

    fn empty_over(&self, r: &Resolved) -> bool {
        let shape = self.shape();
        r.axes.iter().any(|&a| shape[a] == 0) || (r.axes.is_empty() && self.size() == 0)
    }

    /// The sum of all elements (in [`Element::Acc`]: `i64` for signed integers and
    /// `bool`, `u64` for unsigned).
    pub fn sum(&self) -> Scalar<T::Acc> {
        Scalar(self.must(self.sum_over(Reduce::all())))
    }

    /// The sum over some axes.
    pub fn sum_over(&self, r: impl Into<Reduce>) -> Result<Array<T::Acc>> {
        self.fold("sum", fold::SUM, r.into())
    }

    /// The product of all elements (in [`Element::Acc`]).
    pub fn prod(&self) -> Scalar<T::Acc> {
        Scalar(self.must(self.prod_over(Reduce::all())))
    }

    /// The product over some axes.
    pub fn prod_over(&self, r: impl Into<Reduce>) -> Result<Array<T::Acc>> {
        self.fold("prod", fold::PROD, r.into())
    }

    /// The smallest element (NaN if any is NaN); an error for an empty array.
    pub fn min(&self) -> Result<Scalar<T>> {
        Ok(Scalar(self.min_over(Reduce::all())?))
    }

    /// The smallest elements over some axes.
    pub fn min_over(&self, r: impl Into<Reduce>) -> Result<Array<T>> {
        self.fold("min", fold::MIN, r.into())
    }

    /// The largest element (NaN if any is NaN); an error for an empty array.
    pub fn max(&self) -> Result<Scalar<T>> {
        Ok(Scalar(self.max_over(Reduce::all())?))
    }

    /// The largest elements over some axes.
    pub fn max_over(&self, r: impl Into<Reduce>) -> Result<Array<T>> {
        self.fold("max", fold::MAX, r.into())
    }

    /// Whether any element is non-zero.
    pub fn any(&self) -> Scalar<bool> {
        Scalar(self.must(self.any_over(Reduce::all())))
    }

    /// Whether any element is non-zero, over some axes.
    pub fn any_over(&self, r: impl Into<Reduce>) -> Result<Array<bool>> {
        self.fold("any", fold::ANY, r.into())
    }

    /// Whether every element is non-zero.
    pub fn all(&self) -> Scalar<bool> {
        Scalar(self.must(self.all_over(Reduce::all())))
    }

    /// Whether every element is non-zero, over some axes.
    pub fn all_over(&self, r: impl Into<Reduce>) -> Result<Array<bool>> {
        self.fold("all", fold::ALL, r.into())
    }

    fn moments(
        &self,
        label: &'static str,
        c: u64,
        ddof: f64,
        r: Reduce,
    ) -> Result<Array<T::Float>> {
        let res = r.resolve(label, self.ndim())?;
        let axes = axes_lit(&res);
        Ok(tree(
            self,
            label,
            &res,
            &(c, ddof.to_bits()),
            Stage {
                op: T::ops().moments_partial,
                leading: vec![lit(u64::from(c != moment::MEAN)), lit(axes.clone())],
            },
            Stage {
                op: &MOMENTS_COMBINE,
                leading: vec![],
            },
            Stage {
                op: <T::Float as Float>::float_ops().moments_finish,
                leading: vec![
                    lit(c),
                    lit(ddof),
                    lit(if res.keepdims { Vec::new() } else { axes }),
                ],
            },
        ))
    }

    /// The arithmetic mean (`f64`, or `f32` for `f32` arrays; NaN for an empty array).
    pub fn mean(&self) -> Scalar<T::Float> {
        Scalar(self.must(self.mean_over(Reduce::all())))
    }

    /// The mean over some axes.
    pub fn mean_over(&self, r: impl Into<Reduce>) -> Result<Array<T::Float>> {
        self.moments("mean", moment::MEAN, 0.0, r.into())
    }

    /// The variance, dividing by `n - ddof` (NumPy's default is `ddof = 0`).
    pub fn var(&self, ddof: f64) -> Scalar<T::Float> {
        Scalar(self.must(self.var_over(Reduce::all(), ddof)))
    }

    /// The variance over some axes.
    pub fn var_over(&self, r: impl Into<Reduce>, ddof: f64) -> Result<Array<T::Float>> {
        self.moments("var", moment::VAR, ddof, r.into())
    }

    /// The standard deviation, dividing by `n - ddof`.
    pub fn std(&self, ddof: f64) -> Scalar<T::Float> {
        Scalar(self.must(self.std_over(Reduce::all(), ddof)))
    }

    /// The standard deviation over some axes.
    pub fn std_over(&self, r: impl Into<Reduce>, ddof: f64) -> Result<Array<T::Float>> {
        self.moments("std", moment::STD, ddof, r.into())
    }

    fn arg(
        &self,
        label: &'static str,
        c: u64,
        axis: Option<isize>,
        keepdims: bool,
        split_every: Option<usize>,
    ) -> Result<Array<i64>> {
        let mut r = match axis {
            None => Reduce::all(),
            Some(a) => Reduce::axis(a),
        }
        .keepdims(keepdims);
        r.split_every = split_every;
        let res = r.resolve(label, self.ndim())?;
        if self.empty_over(&res) {
            return Err(invalid(
                label,
                format!(
                    "attempt to get {label} of an empty sequence (shape {})",
                    shape_str(&self.shape())
                ),
            ));
        }
        let axes = axes_lit(&res);
        let shape = self.shape();
        let name = &self.name;
        let chunks = &self.chunks;
        // Partials need the block's offset to report global indices.
        let res_axes = res.axes.clone();
        let flat = axis.is_none();
        let base = layer_name(label, &(self.name(), &axes, keepdims, &res.split, flat));
        let offsets_name = layer_name(&format!("{label}-partial"), &base.to_string());
        let partials: Array<()> =
            build_any(&[&self.graph], offsets_name, chunks.clone(), |index| {
                let offsets: Vec<usize> = (0..shape.len())
                    .map(|a| chunks.block_range(a, index[a]).map_or(0, |r| r.start))
                    .collect();
                task(
                    T::ops().arg_partial,
                    vec![
                        lit(c),
                        lit(u64::from(flat)),
                        lit(res_axes.iter().map(|&a| a as u64).collect::<Vec<u64>>()),
                        lit_usizes(&shape),
                        lit_usizes(&offsets),
                        dask_graph::Arg::Key(block_key(name, index)),
                    ],
                )
            });
        // The rest of the tree runs on the partials (an identity first stage).
        Ok(tree(
            &partials,
            label,
            &res,
            &(c, flat),
            Stage {
                op: &dask_graph::IDENTITY,
                leading: vec![],
            },
            Stage {
                op: T::ops().arg_combine,
                leading: vec![lit(c)],
            },
            Stage {
                op: T::ops().arg_finish,
                leading: vec![lit(if keepdims { Vec::new() } else { axes })],
            },
        ))
    }

    /// The flat (C-order) index of the smallest element (the first one on ties; the
    /// first NaN if there is one). An error for an empty array.
    pub fn argmin(&self) -> Result<Scalar<i64>> {
        Ok(Scalar(self.arg("argmin", fold::MIN, None, false, None)?))
    }

    /// The index of the largest element (flat, C order; first on ties or NaN).
    pub fn argmax(&self) -> Result<Scalar<i64>> {
        Ok(Scalar(self.arg("argmax", fold::MAX, None, false, None)?))
    }

    /// The indices of the smallest elements along `axis`.
    pub fn argmin_axis(&self, axis: isize, keepdims: bool) -> Result<Array<i64>> {
        self.arg("argmin", fold::MIN, Some(axis), keepdims, None)
    }

    /// The indices of the largest elements along `axis`.
    pub fn argmax_axis(&self, axis: isize, keepdims: bool) -> Result<Array<i64>> {
        self.arg("argmax", fold::MAX, Some(axis), keepdims, None)
    }

    /// Reductions over every axis cannot fail to build: there is no axis to get wrong,
    /// the default fan-in is valid, and only min/max/arg* refuse empty input (they
    /// return `Result`).
    fn must<U: Element>(&self, r: Result<Array<U>>) -> Array<U> {
        r.expect("a reduction over every axis with the default split_every always builds")
    }
}

fn axes_lit(r: &Resolved) -> Vec<u64> {
    r.axes.iter().map(|&a| a as u64).collect()
}

// ---------------------------------------------------------------------------------------
// Kernels: folds.

/// Reduces `block` over `axes` (keeping them, length 1) by mapping elements with `m`
/// and folding with `f` from `id`.
fn reduce_block<T: Copy, A: Copy>(
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
fn fold_mapped<T: Copy, A: Copy>(xs: &[T], id: A, m: impl Fn(T) -> A, f: impl Fn(A, A) -> A) -> A {
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

fn axes_arg(args: &Args, i: usize) -> Result<Vec<usize>, BoxError> {
    Ok(args
        .get::<Vec<u64>>(i)?
        .iter()
        .map(|&a| a as usize)
        .collect())
}

/// `array.fold.partial.<T>`: `[code, axes, block]`.
pub(crate) fn fold_partial<T: Element>(args: Args) -> OpResult {
    let c = *args.get::<u64>(0)?;
    let axes = axes_arg(&args, 1)?;
    let v = args.value(2)?.clone();
    drop(args);
    let b = block_ref::<T>(&v)?.view();
    let out = match c {
        fold::SUM => block_value(reduce_block(
            b,
            &axes,
            T::Acc::zero(),
            T::to_acc,
            <T::Acc>::add,
        )?),
        fold::PROD => block_value(reduce_block(
            b,
            &axes,
            T::Acc::one(),
            T::to_acc,
            <T::Acc>::mul,
        )?),
        fold::MIN => block_value(reduce_block(b, &axes, T::HIGHEST, |x| x, T::min_of)?),
        fold::MAX => block_value(reduce_block(b, &axes, T::LOWEST, |x| x, T::max_of)?),
        fold::ANY => block_value(reduce_block(b, &axes, false, T::truthy, |a, x| a | x)?),
        fold::ALL => block_value(reduce_block(b, &axes, true, T::truthy, |a, x| a & x)?),
        other => return Err(format!("unknown fold {other}").into()),
    };
    crate::block::recycle_value::<T>(v);
    Ok(out)
}

/// `array.fold.combine.<U>`: `[code, partials...]`, all of one shape.
pub(crate) fn fold_combine<U: Element>(args: Args) -> OpResult {
    let c = *args.get::<u64>(0)?;
    let f: fn(U, U) -> U = match c {
        fold::SUM | fold::ANY => U::add,
        fold::PROD | fold::ALL => U::mul,
        fold::MIN => U::min_of,
        fold::MAX => U::max_of,
        other => return Err(format!("unknown fold {other}").into()),
    };
    let mut values = args.into_values().into_iter().skip(1);
    let first = values.next().ok_or("combine of no partials")?;
    let mut acc = crate::block::take_block::<U>(first)?;
    for v in values {
        let b = block_ref::<U>(&v)?;
        if b.shape() != acc.shape() {
            return Err(format!("partials of shapes {:?} and {:?}", acc.shape(), b.shape()).into());
        }
        Zip::from(&mut acc).and(b).for_each(|a, &x| *a = f(*a, x));
    }
    Ok(block_value(acc))
}

/// `array.squeeze.<T>`: `[axes, block]`: drops the given length-1 axes.
pub(crate) fn squeeze_op<T: Element>(args: Args) -> OpResult {
    let axes = axes_arg(&args, 0)?;
    let v = args
        .into_values()
        .into_iter()
        .nth(1)
        .ok_or("missing block")?;
    let mut b = crate::block::take_block::<T>(v)?;
    for &a in axes.iter().rev() {
        if a >= b.ndim() || b.shape()[a] != 1 {
            return Err(format!("cannot drop axis {a} of a block of shape {:?}", b.shape()).into());
        }
        b = b.index_axis_move(Axis(a), 0);
    }
    Ok(block_value(b))
}

// ---------------------------------------------------------------------------------------
// Kernels: moments.

/// A `(count, mean, M2)` partial of a mean or variance (M2 empty for a mean).
#[derive(Clone, Debug)]
pub struct Moments {
    n: f64,
    mean: ArrayD<f64>,
    m2: Option<ArrayD<f64>>,
}

impl dask_graph::Data for Moments {
    fn nbytes(&self) -> usize {
        8 * (1 + self.mean.len() + self.m2.as_ref().map_or(0, ArrayD::len))
    }
}

fn encode_moments(v: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
    let m = v.get::<Moments>()?;
    out.extend_from_slice(&m.n.to_le_bytes());
    encode_block(&m.mean, out)?;
    if let Some(m2) = &m.m2 {
        encode_block(m2, out)?;
    }
    Ok(())
}

fn decode_moments(bytes: &[u8]) -> Result<Value, BoxError> {
    let raw: [u8; 8] = bytes.get(..8).ok_or("moments cut short")?.try_into()?;
    let (mean, used) = decode_block::<f64>(&bytes[8..])?;
    let rest = &bytes[8 + used..];
    let m2 = if rest.is_empty() {
        None
    } else {
        let (m2, used2) = decode_block::<f64>(rest)?;
        if used2 != rest.len() {
            return Err("trailing bytes after moments".into());
        }
        Some(m2)
    };
    Ok(Value::new(Moments {
        n: f64::from_le_bytes(raw),
        mean,
        m2,
    }))
}

register_codec!(Moments, "array-moments", encode_moments, decode_moments);

/// `array.moments.partial.<T>`: `[want_m2, axes, block]`.
pub(crate) fn moments_partial<T: Element>(args: Args) -> OpResult {
    let want_m2 = *args.get::<u64>(0)? != 0;
    let axes = axes_arg(&args, 1)?;
    let v = args.value(2)?.clone();
    drop(args);
    let b = block_ref::<T>(&v)?;
    let n: usize = axes.iter().map(|&a| b.shape()[a]).product();
    let sum = reduce_block(b.view(), &axes, 0.0f64, T::to_f64, |a, x| a + x)?;
    let mean = if n > 0 {
        sum.mapv(|s| s / n as f64)
    } else {
        sum
    };
    let m2 = if !want_m2 {
        None
    } else if n == 0 {
        Some(ArrayD::zeros(mean.raw_dim()))
    } else {
        Some(squared_deviations(b, &axes, &mean)?)
    };
    crate::block::recycle_value::<T>(v);
    Ok(Value::new(Moments {
        n: n as f64,
        mean,
        m2,
    }))
}

/// The sum of squared deviations from `mean` (shaped like a partial) over `axes`: a
/// second pass over the block, allocation-free when reducing everything or the last
/// axis of a contiguous block.
fn squared_deviations<T: Element>(
    b: &ArrayD<T>,
    axes: &[usize],
    mean: &ArrayD<f64>,
) -> Result<ArrayD<f64>, BoxError> {
    let ndim = b.ndim();
    let sq = |mu: f64| {
        move |x: T| {
            let d = x.to_f64() - mu;
            d * d
        }
    };
    let add = |a: f64, x: f64| a + x;
    if axes.len() == ndim
        && let Some(&mu) = mean.iter().next()
    {
        // Logical order, as in `reduce_block`: the same result on every scheduler.
        let standard = b.as_standard_layout();
        if let Some(xs) = standard.as_slice() {
            return Ok(ArrayD::from_elem(
                mean.raw_dim(),
                fold_mapped(xs, 0.0, sq(mu), add),
            ));
        }
    }
    if axes == [ndim - 1] && b.is_standard_layout() {
        let lanes = b.lanes(Axis(ndim - 1));
        let mu = mean.index_axis(Axis(ndim - 1), 0);
        let out = Zip::from(lanes)
            .and(&mu)
            .map_collect(|lane, &mu| match lane.as_slice() {
                Some(xs) => fold_mapped(xs, 0.0, sq(mu), add),
                None => lane.iter().fold(0.0, |acc, &x| acc + sq(mu)(x)),
            });
        return Ok(out.insert_axis(Axis(ndim - 1)));
    }
    let mb = mean
        .broadcast(b.raw_dim())
        .ok_or("moments: mean does not broadcast")?;
    let dev = Zip::from(b).and(&mb).map_collect(|&x, &mu| sq(mu)(x));
    reduce_block(dev.view(), axes, 0.0, |x| x, add)
}

/// `array.moments.combine`: `[partials...]`, merged pairwise (Chan et al.).
fn moments_combine(args: Args) -> OpResult {
    let mut parts = args.into_values().into_iter();
    let first = parts.next().ok_or("combine of no partials")?;
    let mut acc = first.take::<Moments>()?;
    for v in parts {
        let b = v.get::<Moments>()?;
        if b.n == 0.0 {
            continue;
        }
        if acc.n == 0.0 {
            acc = b.clone();
            continue;
        }
        let n = acc.n + b.n;
        let (na, nb) = (acc.n, b.n);
        if acc.mean.shape() != b.mean.shape() {
            return Err(format!(
                "moment partials of shapes {:?} and {:?}",
                acc.mean.shape(),
                b.mean.shape()
            )
            .into());
        }
        if let (Some(m2a), Some(m2b)) = (&mut acc.m2, &b.m2) {
            Zip::from(m2a)
                .and(m2b)
                .and(&acc.mean)
                .and(&b.mean)
                .for_each(|m2, &m2b, &ma, &mb| {
                    if ma.is_finite() && mb.is_finite() {
                        let d = mb - ma;
                        *m2 += m2b + d * d * na * nb / n;
                    } else {
                        // An infinity's deviation is undefined (NumPy: NaN).
                        *m2 = f64::NAN;
                    }
                });
        }
        Zip::from(&mut acc.mean).and(&b.mean).for_each(|ma, &mb| {
            *ma = if ma.is_finite() && mb.is_finite() {
                *ma + (mb - *ma) * nb / n
            } else {
                // inf + inf stays inf, inf - inf is NaN: as a plain sum would give.
                (*ma * na + mb * nb) / n
            };
        });
        acc.n = n;
    }
    Ok(Value::new(acc))
}

register_op!(MOMENTS_COMBINE = "array.moments.combine" => moments_combine);

/// `array.moments.finish.<F>`: `[kind, ddof, drop_axes, partial]`.
pub(crate) fn moments_finish<F: Float>(args: Args) -> OpResult {
    let kind = *args.get::<u64>(0)?;
    let ddof = *args.get::<f64>(1)?;
    let drop = axes_arg(&args, 2)?;
    let m = args.get::<Moments>(3)?;
    let out: ArrayD<f64> = match kind {
        moment::MEAN => {
            if m.n == 0.0 {
                m.mean.mapv(|_| f64::NAN)
            } else {
                m.mean.clone()
            }
        }
        moment::VAR | moment::STD => {
            // NumPy divides by max(n - ddof, 0): a positive M2 over 0 is infinite; a
            // NaN ddof gives NaN (`f64::max` would turn it into 0).
            let denom = if (m.n - ddof).is_nan() {
                f64::NAN
            } else {
                (m.n - ddof).max(0.0)
            };
            let m2 = m.m2.as_ref().ok_or("variance from a partial without M2")?;
            let var = m2.mapv(|s| s / denom);
            if kind == moment::STD {
                var.mapv(f64::sqrt)
            } else {
                var
            }
        }
        other => return Err(format!("unknown moment {other}").into()),
    };
    let mut out = out.mapv(F::from_f64);
    for &a in drop.iter().rev() {
        out = out.index_axis_move(Axis(a), 0);
    }
    Ok(block_value(out))
}

// ---------------------------------------------------------------------------------------
// Kernels: argmin / argmax.

/// A partial of argmin/argmax: the best values and their global indices.
#[derive(Clone, Debug)]
pub struct ArgPartial<T> {
    vals: ArrayD<T>,
    idx: ArrayD<i64>,
}

impl<T: Element> dask_graph::Data for ArgPartial<T> {
    fn nbytes(&self) -> usize {
        self.vals.len() * (std::mem::size_of::<T>() + 8)
    }
}

pub(crate) fn encode_arg<T: Element>(v: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
    let p = v.get::<ArgPartial<T>>()?;
    encode_block(&p.vals, out)?;
    encode_block(&p.idx, out)
}

pub(crate) fn decode_arg<T: Element>(bytes: &[u8]) -> Result<Value, BoxError> {
    let (vals, used) = decode_block::<T>(bytes)?;
    let (idx, used2) = decode_block::<i64>(&bytes[used..])?;
    if used + used2 != bytes.len() {
        return Err("trailing bytes after an argmin/argmax partial".into());
    }
    Ok(Value::new(ArgPartial { vals, idx }))
}

/// The index of a partial that has seen no element (from an empty block).
const NO_CANDIDATE: i64 = i64::MAX;

/// Whether `(a, ia)` beats `(b, ib)`: any candidate beats none, then a strictly better
/// value, NaN first, ties to the lower index.
#[inline]
fn beats<T: Element>(c: u64, a: T, ia: i64, b: T, ib: i64) -> bool {
    if ia == NO_CANDIDATE || ib == NO_CANDIDATE {
        return ib == NO_CANDIDATE && ia != NO_CANDIDATE;
    }
    match (a.is_nan(), b.is_nan()) {
        (true, true) => ia < ib,
        (true, false) => true,
        (false, true) => false,
        (false, false) => {
            let better = if c == fold::MIN { a < b } else { a > b };
            better || (a == b && ia < ib)
        }
    }
}

/// `array.arg.partial.<T>`: `[code, flat, axes, shape, offsets, block]`.
pub(crate) fn arg_partial<T: Element>(args: Args) -> OpResult {
    let c = *args.get::<u64>(0)?;
    let flat = *args.get::<u64>(1)? != 0;
    let axes = axes_arg(&args, 2)?;
    let shape = axes_arg(&args, 3)?;
    let offsets = axes_arg(&args, 4)?;
    let b = block_ref::<T>(args.value(5)?)?;
    let mut out_shape = b.shape().to_vec();
    for &a in &axes {
        out_shape[a] = 1;
    }
    // `i64::MAX` marks "no candidate yet" (an empty block keeps it everywhere).
    let mut vals = ArrayD::from_elem(IxDyn(&out_shape), T::default());
    let mut idx = ArrayD::from_elem(IxDyn(&out_shape), NO_CANDIDATE);
    let mut out_pos = vec![0usize; b.ndim()];
    for (pos, &x) in b.indexed_iter() {
        let global: i64 = if flat {
            pos.slice()
                .iter()
                .zip(&offsets)
                .zip(&shape)
                .fold(0i64, |acc, ((&p, &o), &d)| acc * d as i64 + (p + o) as i64)
        } else {
            let a = axes[0];
            (pos[a] + offsets[a]) as i64
        };
        out_pos.copy_from_slice(pos.slice());
        for &a in &axes {
            out_pos[a] = 0;
        }
        let (v, i) = (&mut vals[IxDyn(&out_pos)], &mut idx[IxDyn(&out_pos)]);
        if *i == NO_CANDIDATE || beats(c, x, global, *v, *i) {
            *v = x;
            *i = global;
        }
    }
    Ok(Value::new(ArgPartial { vals, idx }))
}

/// `array.arg.combine.<T>`: `[code, partials...]`.
pub(crate) fn arg_combine<T: Element>(args: Args) -> OpResult {
    let c = *args.get::<u64>(0)?;
    let mut parts = args.into_values().into_iter().skip(1);
    let first = parts.next().ok_or("combine of no partials")?;
    let mut acc = first.take::<ArgPartial<T>>()?;
    for v in parts {
        let p = v.get::<ArgPartial<T>>()?;
        Zip::from(&mut acc.vals)
            .and(&mut acc.idx)
            .and(&p.vals)
            .and(&p.idx)
            .for_each(|v, i, &pv, &pi| {
                if beats(c, pv, pi, *v, *i) {
                    *v = pv;
                    *i = pi;
                }
            });
    }
    Ok(Value::new(acc))
}

/// `array.arg.finish.<T>`: `[drop_axes, partial]`.
pub(crate) fn arg_finish<T: Element>(args: Args) -> OpResult {
    let drop = axes_arg(&args, 0)?;
    let p = args.get::<ArgPartial<T>>(1)?;
    if p.idx.iter().any(|&i| i == NO_CANDIDATE) {
        return Err("argmin/argmax of an empty sequence".into());
    }
    let mut out = p.idx.clone();
    for &a in drop.iter().rev() {
        out = out.index_axis_move(Axis(a), 0);
    }
    Ok(block_value(out))
}
