//! Property tests: random frames with nulls, random partitionings, random groupby keys
//! and aggregations agree with the same computation done directly on the whole batch.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use common::*;
use dask_dataframe::{Agg, DataFrame, col, count, lit, max, mean, min, size, sum};
use proptest::prelude::*;

dask_sched_procs::test_worker!();

/// A row: key `k` (small ints, sometimes null), key `s` (a few strings, sometimes
/// null), value `v` (sometimes null).
type Row = (Option<i64>, Option<u8>, Option<i32>);

fn frame_of(rows: &[Row]) -> RecordBatch {
    batch(vec![
        (
            "k",
            Arc::new(rows.iter().map(|r| r.0).collect::<Int64Array>()) as ArrayRef,
        ),
        (
            "s",
            Arc::new(
                rows.iter()
                    .map(|r| r.1.map(|i| NAMES[i as usize % 3]))
                    .collect::<StringArray>(),
            ),
        ),
        (
            "v",
            Arc::new(
                rows.iter()
                    .map(|r| r.2.map(f64::from))
                    .collect::<Float64Array>(),
            ),
        ),
    ])
}

/// Cuts the batch at the given (sorted, possibly repeated) positions.
fn cut(b: &RecordBatch, cuts: &[usize]) -> DataFrame {
    let n = b.num_rows();
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (n + 1)).collect();
    at.push(0);
    at.push(n);
    at.sort_unstable();
    let parts = at.windows(2).map(|w| b.slice(w[0], w[1] - w[0])).collect();
    DataFrame::from_record_batches(parts).unwrap()
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (
            prop::option::weighted(0.9, -3i64..4),
            prop::option::weighted(0.9, 0u8..3),
            prop::option::weighted(0.85, -50i32..50),
        ),
        0..60,
    )
}

/// The reference aggregation of `v` per key, by plain loops.
fn reference(
    keys: &[Option<String>],
    rows: &[Row],
    dropna: bool,
) -> Vec<(Option<String>, [Option<f64>; 6])> {
    let mut m: BTreeMap<(bool, Option<String>), Vec<Option<f64>>> = BTreeMap::new();
    for (k, r) in keys.iter().zip(rows) {
        if dropna && k.is_none() {
            continue;
        }
        m.entry((k.is_none(), k.clone()))
            .or_default()
            .push(r.2.map(f64::from));
    }
    m.into_iter()
        .map(|((_, k), vals)| {
            let v: Vec<f64> = vals.iter().flatten().copied().collect();
            let n = v.len();
            let s: f64 = v.iter().sum();
            (
                k,
                [
                    Some(s),
                    Some(n as f64),
                    Some(vals.len() as f64),
                    (n > 0).then(|| s / n as f64),
                    v.iter().copied().reduce(f64::min),
                    v.iter().copied().reduce(f64::max),
                ],
            )
        })
        .collect()
}

fn aggs() -> Vec<Agg> {
    vec![
        sum("v").alias("sum"),
        count("v").alias("count"),
        size().alias("size"),
        mean("v").alias("mean"),
        min("v").alias("min"),
        max("v").alias("max"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn groupbys_agree_with_the_direct_computation(
        rows in rows(),
        cuts in prop::collection::vec(0usize..61, 0..6),
        by_string in any::<bool>(),
        dropna in any::<bool>(),
        split_every in 2usize..5,
        split_out in 1usize..3,
    ) {
        let b = frame_of(&rows);
        let df = cut(&b, &cuts);
        let key = if by_string { "s" } else { "k" };
        let keys: Vec<Option<String>> = rows
            .iter()
            .map(|r| if by_string { r.1.map(|i| NAMES[i as usize % 3].to_string()) } else { r.0.map(|k| format!("{k:+05}")) })
            .collect();
        let q = df.groupby([key]).unwrap().dropna(dropna).split_every(split_every).split_out(split_out).agg(aggs()).unwrap();
        let want = reference(&keys, &rows, dropna);
        for (sched, s) in schedulers() {
            let got = q.compute(s).unwrap();
            // Rows by key (split_out > 1 gives groups in hash order).
            let got_keys: Vec<Option<String>> = if by_string {
                strs(&got, "s")
            } else {
                i64s(&got, "k").into_iter().map(|k| k.map(|k| format!("{k:+05}"))).collect()
            };
            let cols = ["sum", "count", "size", "mean", "min", "max"];
            let mut seen: BTreeMap<(bool, Option<String>), Vec<Option<f64>>> = BTreeMap::new();
            for (i, k) in got_keys.iter().enumerate() {
                let vals = cols.iter().map(|c| {
                    let a = arrow_cast::cast(got.column_by_name(c).unwrap(), &arrow_schema::DataType::Float64).unwrap();
                    let a = a.as_any().downcast_ref::<Float64Array>().unwrap();
                    (!arrow_array::Array::is_null(a, i)).then(|| a.value(i))
                }).collect();
                prop_assert!(seen.insert((k.is_none(), k.clone()), vals).is_none(), "{}: a group twice", sched);
            }
            let want: BTreeMap<(bool, Option<String>), Vec<Option<f64>>> =
                want.iter().map(|(k, v)| ((k.is_none(), k.clone()), v.to_vec())).collect();
            prop_assert_eq!(&seen, &want, "{}", sched);
        }
    }

    #[test]
    fn filters_and_reductions_agree(rows in rows(), cuts in prop::collection::vec(0usize..61, 0..6), t in -50i32..50) {
        let b = frame_of(&rows);
        let df = cut(&b, &cuts);
        let kept: Vec<&Row> = rows.iter().filter(|r| r.2.is_some_and(|v| v > t) && r.0.is_some()).collect();
        let q = df.filter(col("v").gt(lit(f64::from(t))) & col("k").is_not_null()).unwrap();
        let total: Option<f64> = Some(kept.iter().map(|r| f64::from(r.2.unwrap())).sum());
        let ks: i64 = kept.iter().map(|r| r.0.unwrap()).sum();
        for (sched, s) in schedulers() {
            prop_assert_eq!(q.len().unwrap().compute(s).unwrap().as_i64(), Some(kept.len() as i64), "{}", sched);
            prop_assert_eq!(q.col("v").unwrap().sum().unwrap().compute(s).unwrap().as_f64(), total, "{}", sched);
            prop_assert_eq!(q.col("k").unwrap().sum().unwrap().compute(s).unwrap().as_i64(), Some(ks), "{}", sched);
        }
    }
}
