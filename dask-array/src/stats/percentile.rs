//! `percentile`: approximate percentiles of a whole array, with a proven rank bound.
//!
//! An exact percentile needs every value in one place. Instead each block sorts its
//! values into a *summary*: at most `m` weighted points (a point of weight `w` stands
//! for `w` values), plus the exact count, minimum and maximum and whether a NaN was
//! seen. Summaries are merged up a tree of at most 16 inputs per task
//! (`reduce::flat_tree`, as histograms and `topk` do), each merge re-compressing to `m`
//! points; a last task reads the percentiles off the final summary with NumPy's
//! default `linear` interpolation. Memory per task is `O(16 m)` whatever the array's
//! size.
//!
//! **Compression.** A sorted list of points of total weight `W` becomes the `m` points
//! found at the cumulative weights `(k − ½)·W/m`, `k = 1..m`, each of weight `W/m`.
//! For every value `v`, the weight at or below `v` changes by at most `W/(2m)` (the
//! count of targets below a cumulative weight `c` is `c·m/W` rounded), and so does the
//! weight strictly below `v`. A list of at most `m` points is kept as it is.
//!
//! **The bound.** Merging adds the errors of the parts, and the nodes of one tree level
//! partition the data, so each level that compresses adds at most `N/(2m)` to the
//! error of the estimated rank function, `N` values in all. With `L` levels (the blocks'
//! summaries, then each merge level; see [`percentile_rank_error`]) the error is
//! `ε ≤ L·N/(2m)`, and the value returned for a percentile `q` — with `h = q/100·(N−1)`
//! its exact fractional rank — lies between the exact order statistics
//! `x[⌊h⌋ − E]` and `x[⌈h⌉ + E]` (clamped to the array), `E = ⌈ε⌉`. With the default
//! `m` = [`DEFAULT_PERCENTILE_POINTS`] and at most 16 blocks (`L = 2`) that is a rank
//! error of at most 0.1% of `N`. The minimum and maximum are kept exactly, so `q = 0`
//! and `q = 100` are exact; an array of at most `m` values is never compressed, so its
//! percentiles are exactly NumPy's.
//!
//! Values are read as `f64` (exact for every element type but `i64`/`u64` beyond
//! 2^53). Any NaN makes every percentile NaN, as in NumPy.

use dask_graph::{Arg, Args, BoxError, OpResult, Value, register_codec, register_op};
use ndarray::{ArrayD, IxDyn};

use crate::array::Array;
use crate::block::{block_ref, block_value};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::error::{Result, invalid};
use crate::layer::{block_key, build, layer_name, lit, per_block, task};
use crate::reduce::{DEFAULT_SPLIT_EVERY, flat_tree};

/// The number of points a percentile summary keeps by default.
pub const DEFAULT_PERCENTILE_POINTS: usize = 1000;

/// A compressed view of a set of values: sorted points with weights.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Summary {
    /// How many values the summary stands for (NaN excluded).
    count: u64,
    min: f64,
    max: f64,
    nan: bool,
    values: Vec<f64>,
    weights: Vec<f64>,
}

impl dask_graph::Data for Summary {
    fn nbytes(&self) -> usize {
        32 + 16 * self.values.len()
    }
}

impl Summary {
    /// The `len` points `point(i) = (value, weight)`, sorted by value, compressed to at
    /// most `m`; adjacent equal values are merged (which changes no rank). Points are
    /// read through a function so that a block's values need no weights stored beside
    /// them.
    fn from_sorted(
        count: u64,
        (min, max, nan): (f64, f64, bool),
        len: usize,
        point: impl Fn(usize) -> (f64, f64),
        m: usize,
    ) -> Summary {
        let mut values = Vec::with_capacity(len.min(m));
        let mut weights: Vec<f64> = Vec::with_capacity(len.min(m));
        let mut push = |v: f64, w: f64| match values.last() {
            Some(&last) if last == v => {
                if let Some(lw) = weights.last_mut() {
                    *lw += w;
                }
            }
            _ => {
                values.push(v);
                weights.push(w);
            }
        };
        if len <= m {
            for i in 0..len {
                let (v, w) = point(i);
                push(v, w);
            }
        } else {
            let total: f64 = (0..len).map(|i| point(i).1).sum();
            let step = total / m as f64;
            let (mut j, mut cum) = (0usize, point(0).1);
            for k in 0..m {
                let target = (k as f64 + 0.5) * step;
                while cum < target && j + 1 < len {
                    j += 1;
                    cum += point(j).1;
                }
                push(point(j).0, step);
            }
        }
        Summary {
            count,
            min,
            max,
            nan,
            values,
            weights,
        }
    }

    /// The estimated value at 0-based integer rank `r`: the point whose cumulative
    /// weight range `[C_{i-1}, C_i)` holds `r`; the exact extremes at both ends.
    fn at_rank(&self, r: u64, cumulative: &[f64]) -> f64 {
        if r == 0 {
            return self.min;
        }
        if r + 1 >= self.count {
            return self.max;
        }
        let i = cumulative
            .partition_point(|&c| c <= r as f64)
            .min(self.values.len().saturating_sub(1));
        self.values
            .get(i)
            .copied()
            .unwrap_or(self.max)
            .clamp(self.min, self.max)
    }
}

fn encode_summary(v: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
    let s = v.get::<Summary>()?;
    out.extend_from_slice(&s.count.to_le_bytes());
    out.extend_from_slice(&s.min.to_le_bytes());
    out.extend_from_slice(&s.max.to_le_bytes());
    out.push(u8::from(s.nan));
    out.extend_from_slice(&(s.values.len() as u64).to_le_bytes());
    for x in s.values.iter().chain(&s.weights) {
        out.extend_from_slice(&x.to_le_bytes());
    }
    Ok(())
}

fn decode_summary(bytes: &[u8]) -> Result<Value, BoxError> {
    let word = |at: usize| -> Result<[u8; 8], BoxError> {
        Ok(bytes
            .get(at..at + 8)
            .ok_or("percentile summary cut short")?
            .try_into()?)
    };
    let count = u64::from_le_bytes(word(0)?);
    let min = f64::from_le_bytes(word(8)?);
    let max = f64::from_le_bytes(word(16)?);
    let nan = match bytes.get(24) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err("percentile summary: bad NaN flag".into()),
    };
    let n = usize::try_from(u64::from_le_bytes(word(25)?))?;
    let body = 33usize;
    if n.checked_mul(16).and_then(|b| b.checked_add(body)) != Some(bytes.len()) {
        return Err(format!("percentile summary of {n} points has {} bytes", bytes.len()).into());
    }
    let read = |k: usize| f64::from_le_bytes(word(body + 8 * k).unwrap_or_default());
    Ok(Value::new(Summary {
        count,
        min,
        max,
        nan,
        values: (0..n).map(read).collect(),
        weights: (n..2 * n).map(read).collect(),
    }))
}

register_codec!(
    Summary,
    "array-percentile-summary",
    encode_summary,
    decode_summary
);

/// The rank error bound `E` of [`percentile_with`](Array::percentile_with) for an array of
/// `size` values in `blocks` blocks with summaries of `points` points: the result for a
/// percentile of fractional rank `h` lies between the exact order statistics
/// `x[⌊h⌋ − E]` and `x[⌈h⌉ + E]`. It is `⌈L·size/(2·points)⌉` with `L` the number of
/// compressing levels (1 for the blocks, plus one per level of the merge tree of at
/// most 16 inputs per task), and 0 when `size <= points` (nothing is compressed).
///
/// ```
/// assert_eq!(dask_array::percentile_rank_error(1_000_000, 10, 1000), 1000);
/// assert_eq!(dask_array::percentile_rank_error(1_000_000, 100, 1000), 1500);
/// assert_eq!(dask_array::percentile_rank_error(800, 4, 1000), 0);
/// ```
pub fn percentile_rank_error(size: usize, blocks: usize, points: usize) -> usize {
    if size <= points {
        return 0;
    }
    let mut levels = 2usize; // the blocks, and the last merge
    let mut keys = blocks.max(1);
    while keys > DEFAULT_SPLIT_EVERY {
        keys = keys.div_ceil(DEFAULT_SPLIT_EVERY);
        levels += 1;
    }
    (levels as f64 * size as f64 / (2.0 * points.max(1) as f64)).ceil() as usize
}

impl<T: Element> Array<T> {
    /// The `q`-th percentiles (each in `0..=100`) of all the array's values, with NumPy's
    /// default linear interpolation, approximated from summaries of
    /// [`DEFAULT_PERCENTILE_POINTS`] points: see
    /// [`percentile_with`](Array::percentile_with) for the error bound. The result has
    /// one element per `q`.
    ///
    /// ```
    /// use dask_array::Array;
    /// use dask_graph::SyncScheduler;
    /// let x = Array::<f64>::arange(0.0, 101.0, 1.0, 10)?;
    /// let p = x.percentile(&[0.0, 25.0, 50.0, 99.5])?.compute(&SyncScheduler)?;
    /// assert_eq!(p.into_raw_vec_and_offset().0, vec![0.0, 25.0, 50.0, 99.5]);
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn percentile(&self, q: &[f64]) -> Result<Array<f64>> {
        self.percentile_with(q, DEFAULT_PERCENTILE_POINTS)
    }

    /// [`percentile`](Array::percentile) with summaries of at most `points` points
    /// (at least 2). Arrays of at most `points` values are exact. Otherwise, with `N`
    /// values, `h = q/100·(N−1)` the exact fractional rank and `E` =
    /// [`percentile_rank_error`]`(N, blocks, points)` — `⌈L·N/(2·points)⌉`, `L` = 2 for up
    /// to 16 blocks, 3 up to 256, and so on — the result lies between the exact order
    /// statistics `x[⌊h⌋ − E]` and `x[⌈h⌉ + E]`; `q = 0` and `q = 100` are exact.
    /// Errors: an empty array, a `q` outside `0..=100`, `points < 2`.
    pub fn percentile_with(&self, q: &[f64], points: usize) -> Result<Array<f64>> {
        if self.size() == 0 {
            return Err(invalid(
                "percentile",
                "the array is empty (NumPy raises for an empty array too)",
            ));
        }
        if let Some(bad) = q.iter().find(|q| !(0.0..=100.0).contains(*q)) {
            return Err(invalid(
                "percentile",
                format!("percentiles must be in 0..=100, got {bad}"),
            ));
        }
        if points < 2 {
            return Err(invalid(
                "percentile",
                format!("a summary needs at least 2 points, got {points}"),
            ));
        }
        let bits: Vec<u64> = q.iter().map(|x| x.to_bits()).collect();
        let label = layer_name("percentile", &(self.name(), bits, points));
        let summaries: Array<bool> = per_block(
            self,
            layer_name("percentile-summary", &label.to_string()),
            summary_op_for::<T>(),
            vec![lit(points as u64)],
        );
        let keys = summaries.keys();
        let merged: Array<bool> = flat_tree(
            summaries.graph,
            keys,
            &layer_name("percentile-merge", &label.to_string()),
            (&MERGE, vec![lit(points as u64)]),
            1,
        );
        let top = block_key(&merged.name, &[0]);
        Ok(build(
            &[&merged.graph],
            label,
            Chunks::from_lengths(vec![vec![q.len()]]),
            |_| task(&FINISH, vec![lit(q.to_vec()), Arg::Key(top.clone())]),
        ))
    }
}

/// `array.percentile.partial.<T>`: `[points, block]`: the block's summary.
fn summary_op<T: Element>(args: Args) -> OpResult {
    let m = *args.get::<u64>(0)? as usize;
    let block = block_ref::<T>(args.value(1)?)?;
    let mut xs: Vec<f64> = Vec::with_capacity(block.len());
    let mut nan = false;
    for &v in block.iter() {
        let x = v.to_f64();
        if x.is_nan() {
            nan = true;
        } else {
            xs.push(x);
        }
    }
    xs.sort_unstable_by(f64::total_cmp);
    let (min, max) = match (xs.first(), xs.last()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => (f64::INFINITY, f64::NEG_INFINITY),
    };
    Ok(Value::new(Summary::from_sorted(
        xs.len() as u64,
        (min, max, nan),
        xs.len(),
        |i| (xs[i], 1.0),
        m,
    )))
}

per_element!(fn summary_op_for, "array.percentile.partial", summary_op);

/// `array.percentile.merge`: `[points, summaries...]`: one summary of them all.
fn merge_op(args: Args) -> OpResult {
    let m = *args.get::<u64>(0)? as usize;
    let mut points: Vec<(f64, f64)> = Vec::new();
    let (mut count, mut min, mut max, mut nan) = (0u64, f64::INFINITY, f64::NEG_INFINITY, false);
    for v in &args.values()[1..] {
        let s = v.get::<Summary>()?;
        count += s.count;
        min = min.min(s.min);
        max = max.max(s.max);
        nan |= s.nan;
        points.extend(s.values.iter().copied().zip(s.weights.iter().copied()));
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(Value::new(Summary::from_sorted(
        count,
        (min, max, nan),
        points.len(),
        |i| points[i],
        m,
    )))
}

register_op!(MERGE = "array.percentile.merge" => merge_op);

/// `array.percentile.finish`: `[q, summary]`: the percentiles, NumPy's `linear` method.
fn finish_op(args: Args) -> OpResult {
    let qs = args.get::<Vec<f64>>(0)?;
    let s = args.get::<Summary>(1)?;
    let out: Vec<f64> = if s.nan {
        vec![f64::NAN; qs.len()]
    } else {
        if s.count == 0 {
            return Err("percentile of an empty array".into());
        }
        let cumulative: Vec<f64> = s
            .weights
            .iter()
            .scan(0.0, |acc, &w| {
                *acc += w;
                Some(*acc)
            })
            .collect();
        qs.iter()
            .map(|&q| {
                let h = q / 100.0 * (s.count - 1) as f64;
                let below = h.floor();
                let t = h - below;
                let lo = below as u64;
                let a = s.at_rank(lo, &cumulative);
                let b = s.at_rank((lo + 1).min(s.count - 1), &cumulative);
                // NumPy's `_lerp`: from the nearer end, so that t = 1 gives b exactly.
                let d = b - a;
                if t >= 0.5 {
                    b - d * (1.0 - t)
                } else {
                    a + d * t
                }
            })
            .collect()
    };
    Ok(block_value(ArrayD::from_shape_vec(
        IxDyn(&[out.len()]),
        out,
    )?))
}

register_op!(FINISH = "array.percentile.finish" => finish_op);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codec_round_trips() {
        let points = [(1.0, 1.0), (2.0, 1.0), (4.0, 1.0)];
        let s = Summary::from_sorted(3, (1.0, 4.0, false), 3, |i| points[i], 10);
        let mut bytes = Vec::new();
        encode_summary(&Value::new(s.clone()), &mut bytes).unwrap();
        let back = decode_summary(&bytes).unwrap();
        assert_eq!(back.get::<Summary>().unwrap(), &s);
        assert!(decode_summary(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn compression_keeps_ranks_within_half_a_step() {
        let points: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64, 1.0)).collect();
        let s = Summary::from_sorted(1000, (0.0, 999.0, false), 1000, |i| points[i], 10);
        assert_eq!(s.values.len(), 10);
        // Targets at 50, 150, ...: the points are 49, 149, ... (0-based cumulative).
        assert_eq!(s.values[0], 49.0);
        assert_eq!(s.values[9], 949.0);
        assert!(s.weights.iter().all(|&w| (w - 100.0).abs() < 1e-9));
    }
}
