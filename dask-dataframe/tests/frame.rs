//! Row-wise operations, expressions, reductions and groupbys, each checked against a
//! reference computed from the whole batch with plain loops, over several partitionings
//! and on every scheduler.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use common::*;
use dask_dataframe::{
    DataFrame, Error, ScalarValue, col, count, first, last, lit, max, mean, min, nunique, size,
    std, sum, var,
};

dask_sched_procs::test_worker!();

const ROWS: usize = 37;

fn frames() -> (RecordBatch, Vec<(String, DataFrame)>) {
    let b = sample(ROWS, 7);
    let p = partitionings(&b);
    (b, p)
}

#[test]
fn select_filter_and_with_column_match_plain_loops() {
    let (b, frames) = frames();
    let values = f64s(&b, "value");
    let users = i64s(&b, "user_id");
    // filter(value > 0 & user_id >= 1), then id and value * 2 + 1 as `y`.
    let keep: Vec<bool> = values
        .iter()
        .zip(&users)
        .map(|(v, u)| matches!((v, u), (Some(v), Some(u)) if *v > 0.0 && *u >= 1))
        .collect();
    let kept = rows_where(&b, &keep);
    let y: Float64Array = f64s(&kept, "value")
        .iter()
        .map(|v| v.map(|v| v * 2.0 + 1.0))
        .collect();
    let expected = batch(vec![
        ("id", Arc::clone(kept.column(0))),
        ("y", Arc::new(y) as ArrayRef),
    ]);
    for (how, df) in &frames {
        let q = df
            .filter(col("value").gt(lit(0.0)) & col("user_id").gt_eq(lit(1i64)))
            .unwrap()
            .select([col("id"), (col("value") * lit(2.0) + lit(1.0)).alias("y")])
            .unwrap();
        check(&format!("select/filter over {how}"), &q, &expected);
    }
}

#[test]
fn with_column_drop_rename_astype() {
    let (b, frames) = frames();
    let ids = i64s(&b, "id");
    let twice: Int64Array = ids.iter().map(|v| v.map(|v| v * 2)).collect();
    let as_f: Float64Array = ids.iter().map(|v| v.map(|v| v as f64)).collect();
    let expected = batch(vec![
        ("ident", Arc::new(as_f) as ArrayRef),
        ("name", Arc::clone(b.column(2))),
        ("twice", Arc::new(twice) as ArrayRef),
    ]);
    for (how, df) in &frames {
        let q = df
            .with_column("twice", col("id") * lit(2i64))
            .unwrap()
            .drop(&["user_id", "value", "flag", "ts"])
            .unwrap()
            .rename([("id", "ident")])
            .unwrap()
            .astype([("ident", DataType::Float64)])
            .unwrap();
        check(
            &format!("with_column/drop/rename/astype over {how}"),
            &q,
            &expected,
        );
    }
}

#[test]
fn null_handling_fillna_dropna_is_null() {
    let (b, frames) = frames();
    let users = i64s(&b, "user_id");
    let names = strs(&b, "name");
    let filled: Int64Array = users.iter().map(|u| Some(u.unwrap_or(-100))).collect();
    let expected_fill = batch(vec![
        ("user_id", Arc::new(filled) as ArrayRef),
        (
            "missing",
            Arc::new(
                users
                    .iter()
                    .map(|u| Some(u.is_none()))
                    .collect::<BooleanArray>(),
            ) as ArrayRef,
        ),
    ]);
    let keep: Vec<bool> = users
        .iter()
        .zip(&names)
        .map(|(u, n)| u.is_some() && n.is_some())
        .collect();
    let expected_drop = rows_where(&b, &keep);
    for (how, df) in &frames {
        let q = df
            .select([
                col("user_id").fill_null(lit(-100i64)),
                col("user_id").is_null().alias("missing"),
            ])
            .unwrap();
        check(&format!("fill_null over {how}"), &q, &expected_fill);
        let q = df.dropna(Some(&["user_id", "name"])).unwrap();
        check(&format!("dropna over {how}"), &q, &expected_drop);
    }
}

#[test]
fn fillna_fills_columns_whose_type_fits() {
    let (b, frames) = frames();
    let expected = batch(vec![
        (
            "name",
            Arc::new(
                strs(&b, "name")
                    .iter()
                    .map(|s| Some(s.clone().unwrap_or("?".into())))
                    .collect::<StringArray>(),
            ) as ArrayRef,
        ),
        ("user_id", Arc::clone(b.column(1))),
    ]);
    for (how, df) in &frames {
        let q = df
            .select_columns(&["name", "user_id"])
            .unwrap()
            .fillna("?")
            .unwrap();
        check(&format!("fillna over {how}"), &q, &expected);
    }
}

#[test]
fn string_functions() {
    let (b, frames) = frames();
    let names = strs(&b, "name");
    let f = |g: &dyn Fn(&str) -> bool| -> ArrayRef {
        Arc::new(
            names
                .iter()
                .map(|s| s.as_deref().map(g))
                .collect::<BooleanArray>(),
        )
    };
    let expected = batch(vec![
        ("c", f(&|s| s.contains("ob"))),
        ("s", f(&|s| s.starts_with("B"))),
        (
            "lower",
            Arc::new(
                names
                    .iter()
                    .map(|s| s.as_ref().map(|s| s.to_lowercase()))
                    .collect::<StringArray>(),
            ),
        ),
        (
            "upper",
            Arc::new(
                names
                    .iter()
                    .map(|s| s.as_ref().map(|s| s.to_uppercase()))
                    .collect::<StringArray>(),
            ),
        ),
        (
            "len",
            Arc::new(
                names
                    .iter()
                    .map(|s| s.as_ref().map(|s| s.chars().count() as i64))
                    .collect::<Int64Array>(),
            ),
        ),
    ]);
    for (how, df) in &frames {
        let q = df
            .select([
                col("name").str().contains("ob").alias("c"),
                col("name").str().starts_with("B").alias("s"),
                col("name").str().lower().alias("lower"),
                col("name").str().upper().alias("upper"),
                col("name").str().len().alias("len"),
            ])
            .unwrap();
        check(&format!("string functions over {how}"), &q, &expected);
    }
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm), for references.
fn civil(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    ((y + i64::from(m <= 2)) as i32, m as u32, d as u32)
}

#[test]
fn datetime_parts() {
    let (b, frames) = frames();
    let ts: Vec<i64> = b
        .column_by_name("ts")
        .unwrap()
        .as_primitive::<arrow_array::types::TimestampMillisecondType>()
        .values()
        .to_vec();
    let part = |f: &dyn Fn(i64) -> i32| -> ArrayRef {
        Arc::new(ts.iter().map(|&t| Some(f(t))).collect::<Int32Array>())
    };
    let days = |t: i64| t.div_euclid(86_400_000);
    let expected = batch(vec![
        ("year", part(&|t| civil(days(t)).0)),
        ("month", part(&|t| civil(days(t)).1 as i32)),
        ("day", part(&|t| civil(days(t)).2 as i32)),
        (
            "hour",
            part(&|t| (t.rem_euclid(86_400_000) / 3_600_000) as i32),
        ),
        // Monday = 0, as pandas' dayofweek; 1970-01-01 was a Thursday.
        ("weekday", part(&|t| ((days(t) + 3).rem_euclid(7)) as i32)),
    ]);
    for (how, df) in &frames {
        let q = df
            .select([
                col("ts").dt().year().alias("year"),
                col("ts").dt().month().alias("month"),
                col("ts").dt().day().alias("day"),
                col("ts").dt().hour().alias("hour"),
                col("ts").dt().weekday().alias("weekday"),
            ])
            .unwrap();
        check(&format!("datetime parts over {how}"), &q, &expected);
    }
}

#[test]
fn build_time_errors_name_the_column_type_and_operation() {
    let df = DataFrame::from_record_batch(sample(5, 1), 2).unwrap();
    let e = df.select([col("nope")]).unwrap_err();
    assert!(matches!(e, Error::NoColumn { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("nope") && msg.contains("select") && msg.contains("value"),
        "{msg}"
    );

    let msg = df.filter(col("name") + lit(1i64)).unwrap_err().to_string();
    assert!(
        msg.contains("name") && msg.contains("Utf8") && msg.contains('+'),
        "{msg}"
    );

    let msg = df.filter(col("value")).unwrap_err().to_string();
    assert!(msg.contains("boolean") && msg.contains("Float64"), "{msg}");

    let msg = df
        .select([col("value").str().lower()])
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("value") && msg.contains("Float64") && msg.contains("lower"),
        "{msg}"
    );

    let msg = df
        .select([col("name").dt().year()])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("name") && msg.contains("year"), "{msg}");

    let msg = df.groupby(["missing"]).unwrap_err().to_string();
    assert!(msg.contains("missing") && msg.contains("groupby"), "{msg}");

    let msg = df.col("name").unwrap().sum().unwrap_err().to_string();
    assert!(msg.contains("name") && msg.contains("sum"), "{msg}");

    let other = DataFrame::from_record_batch(sample(5, 1), 1)
        .unwrap()
        .drop(&["ts"])
        .unwrap();
    let msg = DataFrame::concat(&[df.clone(), other])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("concat") && msg.contains("frame 1"), "{msg}");

    let msg = df
        .select([col("id"), col("user_id").alias("id")])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("two columns") && msg.contains("id"), "{msg}");
}

#[test]
fn column_reductions_skip_nulls_and_nan() {
    let (b, frames) = frames();
    let values: Vec<f64> = f64s(&b, "value").into_iter().filter_map(present).collect();
    let n = values.len() as f64;
    let total: f64 = values.iter().sum();
    let m = total / n;
    let var1 = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    let var0 = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
    let users: Vec<i64> = i64s(&b, "user_id").into_iter().flatten().collect();
    for (how, df) in &frames {
        for (sched, s) in schedulers() {
            let v = df.col("value").unwrap();
            let w = format!("{how} on {sched}");
            let get = |x: dask_dataframe::Scalar| x.compute(s).unwrap().as_f64().unwrap();
            close(&format!("sum {w}"), get(v.sum().unwrap()), total);
            close(&format!("mean {w}"), get(v.mean().unwrap()), m);
            close(
                &format!("min {w}"),
                get(v.min().unwrap()),
                values.iter().copied().fold(f64::INFINITY, f64::min),
            );
            close(
                &format!("max {w}"),
                get(v.max().unwrap()),
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
            close(&format!("var {w}"), get(v.var(1).unwrap()), var1);
            close(&format!("std0 {w}"), get(v.std(0).unwrap()), var0.sqrt());
            assert_eq!(
                v.count().unwrap().compute(s).unwrap().as_i64(),
                Some(values.len() as i64),
                "{w}"
            );
            let u = df.col("user_id").unwrap();
            assert_eq!(
                u.sum().unwrap().compute(s).unwrap().as_i64(),
                Some(users.iter().sum()),
                "{w}"
            );
            let distinct: HashSet<i64> = users.iter().copied().collect();
            assert_eq!(
                u.nunique().unwrap().compute(s).unwrap().as_i64(),
                Some(distinct.len() as i64),
                "{w}"
            );
            assert_eq!(
                df.len().unwrap().compute(s).unwrap().as_i64(),
                Some(ROWS as i64),
                "{w}"
            );
            let names: HashSet<String> = strs(&b, "name").into_iter().flatten().collect();
            let approx = df
                .col("name")
                .unwrap()
                .nunique_approx()
                .unwrap()
                .compute(s)
                .unwrap()
                .as_i64()
                .unwrap();
            assert_eq!(
                approx,
                names.len() as i64,
                "small cardinalities are exact: {w}"
            );
        }
    }
}

#[test]
fn approximate_nunique_is_within_two_percent_on_many_values() {
    let n = 200_000i64;
    // Every value appears twice.
    let a: Int64Array = (0..2 * n).map(|i| Some((i % n) * 7919)).collect();
    let b = batch(vec![("x", Arc::new(a) as ArrayRef)]);
    let df = DataFrame::from_record_batch(b, 8).unwrap();
    for (sched, s) in schedulers() {
        let got = df
            .col("x")
            .unwrap()
            .nunique_approx()
            .unwrap()
            .compute(s)
            .unwrap()
            .as_i64()
            .unwrap();
        let err = (got - n).abs() as f64 / n as f64;
        assert!(err < 0.02, "{sched}: {got} distinct estimated for {n}");
    }
}

#[test]
fn empty_frame_reductions_follow_pandas() {
    let b = sample(0, 1);
    let df = DataFrame::from_record_batches(vec![b.clone(), b]).unwrap();
    for (sched, s) in schedulers() {
        let v = df.col("value").unwrap();
        assert_eq!(
            v.sum().unwrap().compute(s).unwrap().as_f64(),
            Some(0.0),
            "{sched}"
        );
        assert!(v.mean().unwrap().compute(s).unwrap().is_null(), "{sched}");
        assert!(v.max().unwrap().compute(s).unwrap().is_null(), "{sched}");
        assert_eq!(
            v.count().unwrap().compute(s).unwrap().as_i64(),
            Some(0),
            "{sched}"
        );
        assert_eq!(
            df.len().unwrap().compute(s).unwrap().as_i64(),
            Some(0),
            "{sched}"
        );
    }
}

#[test]
fn frame_reductions_cover_numeric_columns() {
    let (b, frames) = frames();
    let ids: Vec<i64> = i64s(&b, "id").into_iter().flatten().collect();
    for (how, df) in &frames {
        for (sched, s) in schedulers() {
            let got = df.sum().unwrap().compute(s).unwrap();
            assert_eq!(got.num_rows(), 1, "{how} {sched}");
            assert!(
                got.column_by_name("name").is_none(),
                "strings are not summed"
            );
            assert_eq!(i64s(&got, "id")[0], Some(ids.iter().sum()), "{how} {sched}");
            let got = df.max().unwrap().compute(s).unwrap();
            assert_eq!(
                i64s(&got, "id")[0],
                ids.iter().copied().max(),
                "{how} {sched}"
            );
        }
    }
}

/// A reference groupby: key -> values, in key order (nulls last), by plain loops.
fn groups<K: Ord + Clone>(
    keys: &[Option<K>],
    values: &[Option<f64>],
    dropna: bool,
) -> Vec<(Option<K>, Vec<Option<f64>>)> {
    let mut m: BTreeMap<(bool, Option<K>), Vec<Option<f64>>> = BTreeMap::new();
    for (k, v) in keys.iter().zip(values) {
        if dropna && k.is_none() {
            continue;
        }
        m.entry((k.is_none(), k.clone())).or_default().push(*v);
    }
    m.into_iter().map(|((_, k), v)| (k, v)).collect()
}

fn stats(vals: &[Option<f64>]) -> (f64, i64, Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
    let v: Vec<f64> = vals.iter().copied().filter_map(present).collect();
    let n = v.len();
    let s: f64 = v.iter().sum();
    let mean = (n > 0).then(|| s / n as f64);
    let var = (n > 1).then(|| {
        let m = s / n as f64;
        v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64
    });
    let min = v.iter().copied().reduce(f64::min);
    let max = v.iter().copied().reduce(f64::max);
    (s, n as i64, mean, var, min, max)
}

#[test]
fn groupby_one_integer_key_matches_plain_loops() {
    let (b, frames) = frames();
    for dropna in [true, false] {
        let g = groups(&i64s(&b, "user_id"), &f64s(&b, "value"), dropna);
        let st: Vec<_> = g.iter().map(|(_, v)| stats(v)).collect();
        let expected = batch(vec![
            (
                "user_id",
                Arc::new(g.iter().map(|(k, _)| *k).collect::<Int64Array>()) as ArrayRef,
            ),
            (
                "sum",
                Arc::new(st.iter().map(|s| Some(s.0)).collect::<Float64Array>()),
            ),
            (
                "count",
                Arc::new(st.iter().map(|s| Some(s.1)).collect::<Int64Array>()),
            ),
            (
                "size",
                Arc::new(
                    g.iter()
                        .map(|(_, v)| Some(v.len() as i64))
                        .collect::<Int64Array>(),
                ),
            ),
            (
                "mean",
                Arc::new(st.iter().map(|s| s.2).collect::<Float64Array>()),
            ),
            (
                "var",
                Arc::new(st.iter().map(|s| s.3).collect::<Float64Array>()),
            ),
            (
                "std",
                Arc::new(
                    st.iter()
                        .map(|s| s.3.map(f64::sqrt))
                        .collect::<Float64Array>(),
                ),
            ),
            (
                "min",
                Arc::new(st.iter().map(|s| s.4).collect::<Float64Array>()),
            ),
            (
                "max",
                Arc::new(st.iter().map(|s| s.5).collect::<Float64Array>()),
            ),
        ]);
        for (how, df) in &frames {
            for split_every in [2, 8] {
                let q = df
                    .groupby(["user_id"])
                    .unwrap()
                    .dropna(dropna)
                    .split_every(split_every)
                    .agg([
                        sum("value").alias("sum"),
                        count("value").alias("count"),
                        size().alias("size"),
                        mean("value").alias("mean"),
                        var("value", 1).alias("var"),
                        std("value", 1).alias("std"),
                        min("value").alias("min"),
                        max("value").alias("max"),
                    ])
                    .unwrap();
                check(
                    &format!(
                        "groupby(user_id) dropna={dropna} split_every={split_every} over {how}"
                    ),
                    &q,
                    &expected,
                );
            }
        }
    }
}

#[test]
fn groupby_pandas_shape_and_string_key() {
    let (b, frames) = frames();
    let g = groups(&strs(&b, "name"), &f64s(&b, "value"), true);
    let expected = batch(vec![
        (
            "name",
            Arc::new(g.iter().map(|(k, _)| k.clone()).collect::<StringArray>()) as ArrayRef,
        ),
        (
            "value",
            Arc::new(g.iter().map(|(_, v)| stats(v).2).collect::<Float64Array>()),
        ),
    ]);
    for (how, df) in &frames {
        let q = df.groupby(["name"]).unwrap().col("value").mean().unwrap();
        check(
            &format!("groupby(name).value.mean() over {how}"),
            &q,
            &expected,
        );
    }
}

#[test]
fn groupby_two_keys_first_last_nunique() {
    let (b, frames) = frames();
    let names = strs(&b, "name");
    let flags: Vec<Option<bool>> = b
        .column_by_name("flag")
        .unwrap()
        .as_boolean()
        .iter()
        .collect();
    let users = i64s(&b, "user_id");
    let ids = i64s(&b, "id");
    let mut m: BTreeMap<(String, bool), Vec<usize>> = BTreeMap::new();
    for i in 0..b.num_rows() {
        if let (Some(n), Some(f)) = (&names[i], flags[i]) {
            m.entry((n.clone(), f)).or_default().push(i);
        }
    }
    let expected = batch(vec![
        (
            "name",
            Arc::new(m.keys().map(|k| Some(k.0.clone())).collect::<StringArray>()) as ArrayRef,
        ),
        (
            "flag",
            Arc::new(m.keys().map(|k| Some(k.1)).collect::<BooleanArray>()),
        ),
        (
            "first",
            Arc::new(m.values().map(|r| ids[r[0]]).collect::<Int64Array>()),
        ),
        (
            "last",
            Arc::new(
                m.values()
                    .map(|r| ids[*r.last().unwrap()])
                    .collect::<Int64Array>(),
            ),
        ),
        (
            "users",
            Arc::new(
                m.values()
                    .map(|r| {
                        Some(
                            r.iter()
                                .filter_map(|&i| users[i])
                                .collect::<HashSet<_>>()
                                .len() as i64,
                        )
                    })
                    .collect::<Int64Array>(),
            ),
        ),
    ]);
    for (how, df) in &frames {
        let q = df
            .groupby(["name", "flag"])
            .unwrap()
            .agg([
                first("id").alias("first"),
                last("id").alias("last"),
                nunique("user_id").alias("users"),
            ])
            .unwrap();
        check(&format!("groupby(name, flag) over {how}"), &q, &expected);
    }
}

#[test]
fn groupby_split_out_partitions_disjoint_groups() {
    let n = 5_000;
    let keys: Int64Array = (0..n).map(|i| Some((i * 37) % 1_001)).collect();
    let vals: Float64Array = (0..n).map(|i| Some(i as f64)).collect();
    let b = batch(vec![
        ("k", Arc::new(keys) as ArrayRef),
        ("v", Arc::new(vals)),
    ]);
    let mut want: BTreeMap<i64, f64> = BTreeMap::new();
    for i in 0..n {
        *want.entry((i * 37) % 1_001).or_default() += i as f64;
    }
    let df = DataFrame::from_record_batch(b, 6).unwrap();
    let q = df
        .groupby(["k"])
        .unwrap()
        .split_out(4)
        .col("v")
        .sum()
        .unwrap();
    assert_eq!(q.npartitions(), 4);
    for (sched, s) in schedulers() {
        let got = q.compute(s).unwrap();
        let mut seen = BTreeMap::new();
        for (k, v) in i64s(&got, "k").into_iter().zip(f64s(&got, "v")) {
            assert!(
                seen.insert(k.unwrap(), v.unwrap()).is_none(),
                "{sched}: group {k:?} in two partitions"
            );
        }
        assert_eq!(seen, want, "{sched}");
    }
}

#[test]
fn value_counts_and_top_n() {
    let (b, frames) = frames();
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for n in strs(&b, "name").into_iter().flatten() {
        *counts.entry(n).or_default() += 1;
    }
    let mut values: Vec<f64> = f64s(&b, "value").into_iter().filter_map(present).collect();
    values.sort_by(|a, b| b.total_cmp(a));
    for (how, df) in &frames {
        for (sched, s) in schedulers() {
            let got = df
                .col("name")
                .unwrap()
                .value_counts()
                .unwrap()
                .compute(s)
                .unwrap();
            let c = i64s(&got, "count");
            assert!(
                c.windows(2).all(|w| w[0] >= w[1]),
                "{how} {sched}: most frequent first"
            );
            let got: BTreeMap<String, i64> = strs(&got, "name")
                .into_iter()
                .zip(c)
                .map(|(k, v)| (k.unwrap(), v.unwrap()))
                .collect();
            assert_eq!(got, counts, "{how} {sched}");
            let top = df.col("value").unwrap().nlargest(5).compute(s).unwrap();
            let top: Vec<f64> = top
                .as_primitive::<arrow_array::types::Float64Type>()
                .values()
                .to_vec();
            assert_eq!(top, values[..5].to_vec(), "{how} {sched}");
            let low = df.nsmallest(3, "value").unwrap().compute(s).unwrap();
            let low: Vec<f64> = f64s(&low, "value").into_iter().flatten().collect();
            let mut asc = values.clone();
            asc.reverse();
            assert_eq!(low, asc[..3].to_vec(), "{how} {sched}");
        }
    }
}

#[test]
fn head_reads_only_the_partitions_it_needs() {
    let b = sample(100, 3);
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let df = DataFrame::from_record_batch(b.clone(), 10).unwrap();
    let counted = df.map_partitions(df.schema(), move |p| {
        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok::<_, Error>(p)
    });
    for (sched, s) in schedulers().into_iter().take(2) {
        calls.store(0, std::sync::atomic::Ordering::SeqCst);
        let got = counted.head(15, s).unwrap();
        assert_batches_equal(sched, &got, &b.slice(0, 15));
        assert_eq!(
            calls.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "{sched}: partitions computed"
        );
    }
    let (_, procs) = schedulers()[2];
    assert_batches_equal("processes", &df.head(15, procs).unwrap(), &b.slice(0, 15));
    assert_eq!(df.head(1000, procs).unwrap().num_rows(), 100);
}

#[test]
fn map_partitions_closure_and_concat() {
    let (b, frames) = frames();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "rows",
        DataType::UInt64,
        false,
    )]));
    for (how, df) in &frames {
        let out = Arc::clone(&schema);
        let q = df.map_partitions(Arc::clone(&schema), move |p| {
            RecordBatch::try_new(
                Arc::clone(&out),
                vec![Arc::new(UInt64Array::from(vec![p.num_rows() as u64]))],
            )
        });
        for (sched, s) in schedulers().into_iter().take(2) {
            let got = q.compute(s).unwrap();
            let rows: u64 = got
                .column(0)
                .as_primitive::<arrow_array::types::UInt64Type>()
                .values()
                .iter()
                .sum();
            assert_eq!(rows, ROWS as u64, "{how} {sched}");
            assert_eq!(got.num_rows(), df.npartitions(), "{how} {sched}");
        }
        let (_, procs) = schedulers()[2];
        let msg = q.compute(procs).unwrap_err().to_string();
        assert!(
            msg.contains("map-partitions") || msg.contains("closure"),
            "{msg}"
        );
        let both = DataFrame::concat(&[df.clone(), df.clone()]).unwrap();
        let expected = arrow_select::concat::concat_batches(&b.schema(), [&b, &b]).unwrap();
        check(&format!("concat over {how}"), &both, &expected);
    }
}

#[test]
fn map_partitions_declared_schema_is_checked() {
    let df = DataFrame::from_record_batch(sample(10, 2), 2).unwrap();
    let q = df.map_partitions(df.schema(), |p| Ok::<_, Error>(p.project(&[0]).unwrap()));
    let msg = q
        .compute(&dask_graph::SyncScheduler)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("map_partitions returned columns"), "{msg}");
}

#[test]
fn scalars_print_and_results_print_as_tables() {
    let df = DataFrame::from_record_batch(sample(6, 4), 2).unwrap();
    let got = df
        .select_columns(&["id", "name"])
        .unwrap()
        .compute(&dask_graph::SyncScheduler)
        .unwrap();
    let table = dask_dataframe::pretty(&got);
    assert!(table.contains("| id | name"), "{table}");
    assert_eq!(table.lines().count(), 6 + 4);
    assert_eq!(ScalarValue::Int64(3).to_string(), "3");
}

#[test]
fn computing_several_collections_in_one_graph() {
    let (b, frames) = frames();
    let (_, df) = &frames[1];
    let ids: i64 = i64s(&b, "id").into_iter().flatten().sum();
    for (sched, s) in schedulers() {
        let (total, rows, part) = dask_graph::Collection::compute(
            &(
                df.col("id").unwrap().sum().unwrap(),
                df.len().unwrap(),
                df.filter(col("id").lt(lit(3i64))).unwrap(),
            ),
            s,
        )
        .unwrap();
        assert_eq!(total.as_i64(), Some(ids), "{sched}");
        assert_eq!(rows.as_i64(), Some(ROWS as i64), "{sched}");
        assert_eq!(part.num_rows(), 3, "{sched}");
    }
}

/// pandas' linear-interpolation quantile of sorted values.
fn pandas_quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[test]
fn describe_matches_pandas_rules() {
    let (b, frames) = frames();
    let mut cols: Vec<(String, Vec<f64>)> = Vec::new();
    for name in ["id", "user_id", "value"] {
        let c = arrow_cast::cast(b.column_by_name(name).unwrap(), &DataType::Float64).unwrap();
        let mut v: Vec<f64> = c
            .as_primitive::<arrow_array::types::Float64Type>()
            .iter()
            .filter_map(present)
            .collect();
        v.sort_by(f64::total_cmp);
        cols.push((name.to_string(), v));
    }
    let mut columns: Vec<(&str, ArrayRef)> = vec![(
        "statistic",
        Arc::new(StringArray::from(vec![
            "count", "mean", "std", "min", "25%", "50%", "75%", "max",
        ])),
    )];
    for (name, v) in &cols {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        let sd = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt();
        let stats = vec![
            n,
            m,
            sd,
            v[0],
            pandas_quantile(v, 0.25),
            pandas_quantile(v, 0.5),
            pandas_quantile(v, 0.75),
            v[v.len() - 1],
        ];
        columns.push((name.as_str(), Arc::new(Float64Array::from(stats))));
    }
    let expected = batch(columns);
    for (how, df) in &frames {
        check(
            &format!("describe over {how}"),
            &df.describe().unwrap(),
            &expected,
        );
    }
    let strings = frames[0].1.select_columns(&["name"]).unwrap();
    assert!(
        strings
            .describe()
            .unwrap_err()
            .to_string()
            .contains("no numeric column")
    );
}

#[test]
fn describe_quartiles_of_many_values_are_close() {
    let n = 200_000i64;
    let a: Int64Array = (0..n).map(|i| Some((i * 7_919) % n)).collect();
    let df = DataFrame::from_record_batch(batch(vec![("x", Arc::new(a) as ArrayRef)]), 9).unwrap();
    for (sched, s) in schedulers() {
        let got = df.describe().unwrap().compute(s).unwrap();
        let x = f64s(&got, "x");
        for (row, q) in [(4, 0.25), (5, 0.5), (6, 0.75)] {
            let err = (x[row].unwrap() - q * (n - 1) as f64).abs() / n as f64;
            assert!(err < 0.003, "{sched}: quantile {q} is {:?}", x[row]);
        }
        assert_eq!(x[0], Some(n as f64), "{sched}");
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Visit {
    user: i64,
    page: String,
    seconds: Option<f64>,
}

#[test]
fn frames_of_serde_rows() {
    let rows: Vec<Visit> = (0..25)
        .map(|i| Visit {
            user: i % 4,
            page: NAMES[i as usize % NAMES.len()].to_string(),
            seconds: (i % 3 != 0).then(|| i as f64 / 2.0),
        })
        .collect();
    let expected = batch(vec![
        (
            "user",
            Arc::new(rows.iter().map(|r| Some(r.user)).collect::<Int64Array>()) as ArrayRef,
        ),
        (
            "page",
            Arc::new(
                rows.iter()
                    .map(|r| Some(r.page.as_str()))
                    .collect::<StringArray>(),
            ),
        ),
        (
            "seconds",
            Arc::new(rows.iter().map(|r| r.seconds).collect::<Float64Array>()),
        ),
    ]);
    for parts in [1, 4, 25] {
        let df = dask_dataframe::from_rows(&rows, parts).unwrap();
        assert_eq!(df.npartitions(), parts);
        check(&format!("from_rows in {parts}"), &df, &expected);
    }
    let none: Vec<Visit> = Vec::new();
    let empty = dask_dataframe::from_rows(&none, 1).unwrap();
    assert_eq!(empty.columns(), ["user", "page", "seconds"]);
}

/// A registered per-partition function: `[partition, factor]` → the partition's `id`
/// times `factor` as `scaled`.
fn scale_ids(args: dask_graph::Args) -> dask_graph::OpResult {
    let b = args.get::<RecordBatch>(0)?;
    let factor = *args.get::<i64>(1)?;
    let ids =
        arrow_array::cast::AsArray::as_primitive::<arrow_array::types::Int64Type>(b.column(0));
    let scaled: Int64Array = ids.iter().map(|v| v.map(|v| v * factor)).collect();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "scaled",
        DataType::Int64,
        true,
    )]));
    Ok(dask_dataframe::batch_value(RecordBatch::try_new(
        schema,
        vec![Arc::new(scaled)],
    )?))
}

dask_graph::register_op!(SCALE_IDS = "test.dataframe.scale_ids" => scale_ids);

#[test]
fn registered_map_partitions_run_on_every_scheduler() {
    let (b, frames) = frames();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "scaled",
        DataType::Int64,
        true,
    )]));
    let scaled: Int64Array = i64s(&b, "id").iter().map(|v| v.map(|v| v * 3)).collect();
    let expected = batch(vec![("scaled", Arc::new(scaled) as ArrayRef)]);
    for (how, df) in &frames {
        let q = df.select_columns(&["id"]).unwrap().map_partitions_op(
            Arc::clone(&schema),
            &SCALE_IDS,
            vec![dask_graph::Value::new(3i64)],
        );
        check(&format!("map_partitions_op over {how}"), &q, &expected);
    }
    // A declared schema the operation does not keep to is an error on every scheduler.
    let wrong = Arc::new(Schema::new(vec![Field::new(
        "other",
        DataType::Float64,
        true,
    )]));
    let q = frames[1]
        .1
        .map_partitions_op(wrong, &SCALE_IDS, vec![dask_graph::Value::new(3i64)]);
    for (sched, s) in schedulers() {
        let msg = q.compute(s).unwrap_err().to_string();
        assert!(
            msg.contains("map_partitions returned columns") && msg.contains("other"),
            "{sched}: {msg}"
        );
    }
}
