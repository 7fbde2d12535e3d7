//! `describe`: count, mean, std, min, quartiles and max of every numeric column, in one
//! pass and bounded memory.
//!
//! Each partition summarises each numeric column (nulls and NaNs skipped, as pandas
//! does): its count, mean and sum of squared deviations (merged with Chan's parallel
//! formula), its minimum and maximum, and a **quantile sketch** — the sorted values
//! themselves while there are at most [`SKETCH_POINTS`], otherwise that many values at
//! evenly spaced ranks, each weighted by the rows it stands for. A
//! [`TreeReduce`](dask_graph::TreeReduce) merges summaries (a merge sorts the points and
//! resamples them by cumulative weight), so no task holds more than `split_every`
//! sketches. Quartiles are exact (pandas' linear interpolation) while a column has at
//! most `SKETCH_POINTS` values, and within about `1 / SKETCH_POINTS` of the true rank
//! beyond — approximate as in Dask, whose `describe` also merges per-partition
//! percentiles.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use dask_graph::{
    Arg, Args, Data, Graph, Key, Layer, OpResult, TreeReduce, Value, register_op,
    register_serde_codec, tokenize,
};
use serde::{Deserialize, Serialize};

use crate::agg::DEFAULT_SPLIT_EVERY;
use crate::partition::batch_value;
use crate::plan::postcard_bytes;

/// Points kept per column in a quantile sketch.
pub const SKETCH_POINTS: usize = 1024;

/// The rows of a `describe` result, in order.
pub(crate) const STATISTICS: [&str; 8] =
    ["count", "mean", "std", "min", "25%", "50%", "75%", "max"];

/// The columns described.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Describe {
    pub(crate) columns: Vec<String>,
}

/// One column's summary.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct ColumnSummary {
    count: f64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
    /// Sorted `(value, weight)` points.
    points: Vec<(f64, f64)>,
}

/// Every described column's summary (a graph value crossing processes by postcard).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Summary(Vec<ColumnSummary>);

impl Data for Summary {
    fn nbytes(&self) -> usize {
        self.0.iter().map(|c| 48 + c.points.len() * 16).sum()
    }
}

register_serde_codec!(Summary, "dataframe-describe-summary");

impl Describe {
    pub(crate) fn name(&self, input: &str) -> String {
        tokenize("describe", &(input, postcard_bytes(self)))
    }

    /// The result's schema: `statistic` and one `Float64` column per described column.
    pub(crate) fn schema(&self) -> SchemaRef {
        let mut fields = vec![Field::new("statistic", DataType::Utf8, false)];
        fields.extend(
            self.columns
                .iter()
                .map(|c| Field::new(c, DataType::Float64, true)),
        );
        Arc::new(Schema::new(fields))
    }

    /// Summaries per partition, their tree, and the table at `(name, 0)`.
    pub(crate) fn build(
        &self,
        graph: &mut Graph,
        input: &Arc<str>,
        npartitions: usize,
        name: &Arc<str>,
    ) {
        let spec = Arg::Literal(Value::new(postcard_bytes(self)));
        let merged: Arc<str> = Arc::from(tokenize("describe-merge", &**name));
        let keys = crate::topn::per_partition(
            graph,
            "describe-partial",
            name,
            &SUMMARISE,
            &spec,
            input,
            npartitions,
        );
        let root = TreeReduce::new(Arc::clone(&merged), &MERGE)
            .split_every(DEFAULT_SPLIT_EVERY)
            .build(graph, keys)
            .expect("the default fan-in is at least 2");
        let mut last = Layer::with_capacity(Arc::clone(name), 1);
        last.task(Key::block(name, &[0]), &TABLE, vec![spec, Arg::Key(root)]);
        graph.add_layer(last);
    }
}

/// A column's non-null, non-NaN values as `f64`, sorted.
fn sorted_values(column: &ArrayRef) -> Result<Vec<f64>, arrow_schema::ArrowError> {
    let f = arrow_cast::cast(column, &DataType::Float64)?;
    let f = f.as_primitive::<Float64Type>();
    let mut v: Vec<f64> = f.iter().flatten().filter(|x| !x.is_nan()).collect();
    v.sort_unstable_by(f64::total_cmp);
    Ok(v)
}

/// At most [`SKETCH_POINTS`] weighted points standing for sorted `(value, weight)`s.
fn compress(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if points.len() <= SKETCH_POINTS {
        return points;
    }
    let total: f64 = points.iter().map(|p| p.1).sum();
    let step = total / SKETCH_POINTS as f64;
    let mut out = Vec::with_capacity(SKETCH_POINTS);
    let mut cum = 0.0;
    let mut next = step / 2.0;
    for (v, w) in points {
        cum += w;
        while cum > next && out.len() < SKETCH_POINTS {
            out.push((v, step));
            next += step;
        }
    }
    out
}

fn summarise(values: Vec<f64>) -> ColumnSummary {
    let n = values.len() as f64;
    if values.is_empty() {
        return ColumnSummary::default();
    }
    let mean = values.iter().sum::<f64>() / n;
    let m2 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
    ColumnSummary {
        count: n,
        mean,
        m2,
        min: values[0],
        max: values[values.len() - 1],
        points: compress(values.into_iter().map(|v| (v, 1.0)).collect()),
    }
}

fn merge(parts: &[&ColumnSummary]) -> ColumnSummary {
    let mut out = ColumnSummary::default();
    let mut points = Vec::new();
    for p in parts.iter().filter(|p| p.count > 0.0) {
        if out.count == 0.0 {
            out = ColumnSummary {
                points: Vec::new(),
                ..(*p).clone()
            };
        } else {
            let n = out.count + p.count;
            let delta = p.mean - out.mean;
            out.m2 += p.m2 + delta * delta * out.count * p.count / n;
            out.mean += delta * p.count / n;
            out.count = n;
            out.min = out.min.min(p.min);
            out.max = out.max.max(p.max);
        }
        points.extend_from_slice(&p.points);
    }
    points.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    out.points = compress(points);
    out
}

/// The `q` quantile: pandas' linear interpolation while every point is one value,
/// otherwise the value where the cumulative weight crosses `q` of the total.
fn quantile(s: &ColumnSummary, q: f64) -> Option<f64> {
    if s.points.is_empty() {
        return None;
    }
    if s.points.iter().all(|p| p.1 == 1.0) {
        let pos = q * (s.points.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        let frac = pos - lo as f64;
        return Some(s.points[lo].0 + (s.points[hi].0 - s.points[lo].0) * frac);
    }
    let total: f64 = s.points.iter().map(|p| p.1).sum();
    let target = q * total;
    let mut cum = 0.0;
    for p in &s.points {
        cum += p.1;
        if cum >= target {
            return Some(p.0.clamp(s.min, s.max));
        }
    }
    s.points.last().map(|p| p.0)
}

fn summarise_op(args: Args) -> OpResult {
    let spec: Describe = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let batch = args.get::<RecordBatch>(1)?;
    let mut out = Vec::with_capacity(spec.columns.len());
    for c in &spec.columns {
        let column = batch
            .column_by_name(c)
            .ok_or_else(|| format!("describe: no column `{c}`"))?;
        out.push(summarise(sorted_values(column)?));
    }
    Ok(Value::new(Summary(out)))
}

fn merge_op(args: Args) -> OpResult {
    let parts = (0..args.len())
        .map(|i| args.get::<Summary>(i))
        .collect::<Result<Vec<_>, _>>()?;
    let columns = parts.first().map_or(0, |p| p.0.len());
    let merged = (0..columns)
        .map(|c| merge(&parts.iter().map(|p| &p.0[c]).collect::<Vec<_>>()))
        .collect();
    Ok(Value::new(Summary(merged)))
}

fn table_op(args: Args) -> OpResult {
    let spec: Describe = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let summary = args.get::<Summary>(1)?;
    let mut columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from(STATISTICS.to_vec()))];
    for s in &summary.0 {
        let some = |x: f64| (s.count > 0.0).then_some(x);
        let std = (s.count > 1.0).then(|| (s.m2 / (s.count - 1.0)).sqrt());
        let values: Float64Array = vec![
            Some(s.count),
            some(s.mean),
            std,
            some(s.min),
            quantile(s, 0.25),
            quantile(s, 0.5),
            quantile(s, 0.75),
            some(s.max),
        ]
        .into();
        columns.push(Arc::new(values));
    }
    Ok(batch_value(RecordBatch::try_new(spec.schema(), columns)?))
}

register_op!(SUMMARISE = "dataframe.describe.summarise" => summarise_op);
register_op!(MERGE = "dataframe.describe.merge" => merge_op);
register_op!(TABLE = "dataframe.describe.table" => table_op, cheap);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn sketches_keep_ranks_within_their_resolution() {
        // 0..100_000 in 10 interleaved parts: every quartile within 0.2% of its rank.
        let parts: Vec<ColumnSummary> = (0..10)
            .map(|k| summarise((0..10_000).map(|i| (i * 10 + k) as f64).collect()))
            .collect();
        let all = merge(&parts.iter().collect::<Vec<_>>());
        assert_eq!(all.count, 100_000.0);
        assert!(all.points.len() <= SKETCH_POINTS);
        for q in [0.25, 0.5, 0.75] {
            let got = quantile(&all, q).unwrap();
            assert!((got - q * 99_999.0).abs() < 200.0, "q {q}: {got}");
        }
        assert_eq!((all.min, all.max), (0.0, 99_999.0));
        let mean = 49_999.5;
        assert!((all.mean - mean).abs() < 1e-6);
    }

    #[test]
    fn small_columns_get_pandas_exact_quartiles() {
        let s = merge(&[&summarise(vec![1.0, 2.0]), &summarise(vec![3.0, 4.0, 10.0])]);
        // pandas: Series([1, 2, 3, 4, 10]).quantile([.25, .5, .75]) == [2, 3, 4]
        assert_eq!(
            [0.25, 0.5, 0.75].map(|q| quantile(&s, q).unwrap()),
            [2.0, 3.0, 4.0]
        );
        let s = summarise(vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(quantile(&s, 0.25), Some(1.75));
        assert_eq!(quantile(&ColumnSummary::default(), 0.5), None);
    }
}
