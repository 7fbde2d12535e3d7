//! Reductions: sum, prod, min, max, any, all, mean, var, std, argmin, argmax; and the
//! cumulative sums and products.
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
//!
//! **Layout.** `tree` builds the partial → combine → finish layers (and `flat_tree`, the
//! fixed fan-in tree of histograms, `topk`, percentiles and writes); `fold`, `moments`
//! and `arg` are the three families of reductions, each with its methods, kernels and
//! partial type; `block_fold` reduces one block over axes for their kernels;
//! `cumulative` holds the scans.

use crate::array::Array;
use crate::element::Element;
use crate::error::{Result, invalid, resolve_axis};

mod arg;
mod block_fold;
mod cumulative;
mod fold;
mod moments;
mod tree;

pub use arg::ArgPartial;
pub(crate) use fold::{Fold, fold_combine_for};
pub use moments::Moments;
pub(crate) use tree::flat_tree;

/// Dask's default total fan-in of a reduction tree.
pub use dask_graph::DEFAULT_SPLIT_EVERY;

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

impl Resolved {
    /// The reduced axes as a literal argument.
    fn axes_lit(&self) -> Vec<u64> {
        self.axes.iter().map(|&a| a as u64).collect()
    }
}

impl<T: Element> Array<T> {
    /// Whether the reduction covers no element (an empty reduced axis, or an empty
    /// array reduced over no axis).
    fn empty_over(&self, r: &Resolved) -> bool {
        let shape = self.shape();
        r.axes.iter().any(|&a| shape[a] == 0) || (r.axes.is_empty() && self.size() == 0)
    }

    /// Reductions over every axis cannot fail to build: there is no axis to get wrong,
    /// the default fan-in is valid, and only min/max/arg* refuse empty input (they
    /// return `Result`).
    fn must<U: Element>(&self, r: Result<Array<U>>) -> Array<U> {
        r.expect("a reduction over every axis with the default split_every always builds")
    }
}
