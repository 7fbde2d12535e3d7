//! Histograms over whole arrays of any size.
//!
//! Each block counts its values into the bins (a vector of `bins` counts), and the
//! counts are added by `reduce::flat_tree`, at most
//! [`DEFAULT_SPLIT_EVERY`](crate::DEFAULT_SPLIT_EVERY) inputs per task — the same shape
//! as a reduction — so memory stays at a few blocks whatever the array's size. Bins
//! follow NumPy's `histogram` with a `range`: equal widths, each half-open `[a, b)`
//! except the last, which includes its right edge; values outside the range and NaNs
//! are not counted.

use dask_graph::{Args, OpResult};
use ndarray::{ArrayD, IxDyn};

use crate::array::Array;
use crate::block::{block_ref, block_value};
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::error::{Result, invalid};
use crate::layer::{layer_name, lit, per_block};
use crate::reduce::{Fold, flat_tree, fold_combine_for};

/// A lazy histogram: the counts (an `Array<i64>` of one block) and the bin edges
/// (known without computing).
#[derive(Clone, Debug)]
pub struct Histogram {
    /// How many values fall in each bin.
    pub counts: Array<i64>,
    /// The `bins + 1` edges, from the range's start to its end.
    pub edges: Vec<f64>,
}

impl<T: Element> Array<T> {
    /// The histogram of all values in `bins` equal bins over `range` (NumPy's
    /// `histogram(x, bins, range)`; a range of zero width is widened by 0.5 on each
    /// side, as NumPy does).
    ///
    /// ```
    /// use dask_array::Array;
    /// use dask_graph::SyncScheduler;
    /// let x = Array::from_ndarray(ndarray::arr1(&[0.5, 1.0, 1.5, 2.0, 9.0]), 2)?;
    /// let h = x.histogram(2, (0.0, 2.0))?;
    /// assert_eq!(h.edges, vec![0.0, 1.0, 2.0]);
    /// assert_eq!(h.counts.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![1, 3]);
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn histogram(&self, bins: usize, range: (f64, f64)) -> Result<Histogram> {
        let (mut lo, mut hi) = range;
        if bins == 0 {
            return Err(invalid("histogram", "bins must be at least 1"));
        }
        if !(lo.is_finite() && hi.is_finite()) || lo > hi {
            return Err(invalid(
                "histogram",
                format!("the range must be finite with start <= end, got ({lo}, {hi})"),
            ));
        }
        if lo == hi {
            (lo, hi) = (lo - 0.5, hi + 0.5);
        }
        let edges = edges(lo, hi, bins);
        let label = layer_name(
            "histogram",
            &(self.name(), bins, lo.to_bits(), hi.to_bits()),
        );
        let counter: Array<i64> = per_block(
            self,
            layer_name("histogram-partial", &label.to_string()),
            histogram_op_for::<T>(),
            vec![lit(bins as u64), lit(vec![lo, hi])],
        );
        let keys = counter.keys();
        let counts = flat_tree(
            counter.graph,
            keys,
            &label,
            (fold_combine_for::<i64>(), vec![lit(Fold::Sum.code())]),
            bins,
        );
        Ok(Histogram { counts, edges })
    }
}

/// NumPy's `linspace(lo, hi, bins + 1)`.
fn edges(lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let step = (hi - lo) / bins as f64;
    (0..=bins)
        .map(|i| if i == bins { hi } else { lo + i as f64 * step })
        .collect()
}

/// `array.histogram.<T>`: `[bins, [lo, hi], block]` to the block's counts.
fn histogram_op<T: Element>(args: Args) -> OpResult {
    let bins = *args.get::<u64>(0)? as usize;
    let range = args.get::<Vec<f64>>(1)?;
    let &[lo, hi] = range.as_slice() else {
        return Err("histogram: expected a range of two values".into());
    };
    let block = block_ref::<T>(args.value(2)?)?;
    let edges = edges(lo, hi, bins);
    let scale = bins as f64 / (hi - lo);
    let mut counts = vec![0i64; bins];
    for &v in block.iter() {
        let x = v.to_f64();
        if !(lo..=hi).contains(&x) {
            continue;
        }
        // The bin by arithmetic, corrected against the edges (as NumPy does), so that
        // rounding never puts a value on the wrong side of an edge.
        let mut i = (((x - lo) * scale) as usize).min(bins - 1);
        if x < edges[i] && i > 0 {
            i -= 1;
        } else if i + 1 < bins && x >= edges[i + 1] {
            i += 1;
        }
        counts[i] += 1;
    }
    Ok(block_value(ArrayD::from_shape_vec(IxDyn(&[bins]), counts)?))
}

per_element!(fn histogram_op_for, "array.histogram", histogram_op);
