//! `topk`: the largest (or smallest) elements of a whole array.
//!
//! Each block keeps its own `k` best values (a partial selection, not a full sort), in
//! a task of its own, and groups of at most 16 candidate lists are merged the same way
//! up `reduce::flat_tree`, so no task holds more than `16 k` candidates whatever the
//! array's size. Values are ordered as NumPy sorts them: NaN after every number (so it
//! counts as the largest).

use dask_graph::{Args, OpResult};
use ndarray::{ArrayD, IxDyn};

use crate::array::Array;
use crate::block::{block_ref, block_value};
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::error::{Result, invalid};
use crate::layer::{layer_name, lit, per_block};
use crate::reduce::flat_tree;

impl<T: Element> Array<T> {
    /// The `k` largest elements of the array (all axes), largest first; with a negative
    /// `k`, the `|k|` smallest, smallest first (Dask's `topk`). The result has
    /// `min(|k|, size)` elements.
    ///
    /// ```
    /// use dask_array::Array;
    /// use dask_graph::SyncScheduler;
    /// let x = Array::from_ndarray(ndarray::arr1(&[5, 1, 9, 3, 7]), 2)?;
    /// assert_eq!(x.topk(2)?.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![9, 7]);
    /// assert_eq!(x.topk(-2)?.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![1, 3]);
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn topk(&self, k: i64) -> Result<Array<T>> {
        if k == 0 {
            return Err(invalid("topk", "k must not be zero"));
        }
        let len = usize::try_from(k.unsigned_abs())
            .unwrap_or(usize::MAX)
            .min(self.size());
        let label = layer_name("topk", &(self.name(), k));
        let op = topk_op_for::<T>();
        // One selection per block first, so that no task reads more than one block.
        let partial: Array<T> = per_block(
            self,
            layer_name("topk-partial", &label.to_string()),
            op,
            vec![lit(k)],
        );
        let keys = partial.keys();
        Ok(flat_tree(
            partial.graph,
            keys,
            &label,
            (op, vec![lit(k)]),
            len,
        ))
    }
}

/// NumPy's sort order: numbers ascending, NaN last.
fn numpy_order<T: Element>(a: &T, b: &T) -> std::cmp::Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        (false, false) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    }
}

/// `array.topk.<T>`: `[k, blocks...]`: the `|k|` best values of all the blocks, as a
/// 1-d block in order (largest first for `k > 0`, smallest first for `k < 0`).
fn topk_op<T: Element>(args: Args) -> OpResult {
    let k = *args.get::<i64>(0)?;
    let mut values: Vec<T> = Vec::new();
    for v in &args.values()[1..] {
        values.extend(block_ref::<T>(v)?.iter().copied());
    }
    let n = usize::try_from(k.unsigned_abs())
        .unwrap_or(usize::MAX)
        .min(values.len());
    let order = |a: &T, b: &T| {
        if k > 0 {
            numpy_order(b, a)
        } else {
            numpy_order(a, b)
        }
    };
    if n > 0 && n < values.len() {
        values.select_nth_unstable_by(n - 1, order);
        values.truncate(n);
    }
    values.sort_by(order);
    Ok(block_value(ArrayD::from_shape_vec(
        IxDyn(&[values.len()]),
        values,
    )?))
}

per_element!(fn topk_op_for, "array.topk", topk_op);
