//! Parquet and CSV writers and the Parquet reader: round trips on every scheduler,
//! projection and predicate pushdown, and failures that leave nothing behind.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use common::*;
use dask_dataframe::{
    CsvOptions, DataFrame, Error, ParquetCompression, ParquetOptions, WriteOptions, col, lit,
    read_csv, read_parquet,
};
use dask_graph::SyncScheduler;

dask_sched_procs::test_worker!();

/// Names in `dir` (hidden ones included), sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn frames_round_trip_through_parquet_on_every_scheduler() {
    let b = sample(61, 4);
    for (how, df) in partitionings(&b) {
        for (sched, s) in schedulers() {
            for compression in [ParquetCompression::Zstd, ParquetCompression::Snappy] {
                let dir = tempfile::tempdir().unwrap();
                let out = dir.path().join("out");
                df.to_parquet(&out, WriteOptions::new().compression(compression), s)
                    .unwrap();
                assert_eq!(listing(dir.path()), ["out"], "nothing else is left");
                assert_eq!(listing(&out).len(), df.npartitions());
                let back = read_parquet(&out, ParquetOptions::new()).unwrap();
                check(
                    &format!("{how} written on {sched} with {compression:?}"),
                    &back,
                    &b,
                );
            }
        }
    }
}

#[test]
fn frames_round_trip_through_csv() {
    // The sample without its NaN rows (CSV writes `NaN`, which reads back as a float
    // but not as equal) and with its null values set, so every value round-trips.
    let b = sample(40, 6).project(&[0, 1, 2, 3, 4]).unwrap();
    let keep: Vec<bool> = f64s(&b, "value")
        .iter()
        .map(|v| !v.is_some_and(f64::is_nan))
        .collect();
    let kept = rows_where(&b, &keep);
    let value: Float64Array = f64s(&kept, "value")
        .iter()
        .map(|v| Some(v.unwrap_or(0.5)))
        .collect();
    let want = batch(vec![
        ("id", Arc::clone(kept.column(0))),
        ("user_id", Arc::clone(kept.column(1))),
        ("name", Arc::clone(kept.column(2))),
        ("value", Arc::new(value) as ArrayRef),
        ("flag", Arc::clone(kept.column(4))),
    ]);
    let df = DataFrame::from_record_batch(want.clone(), 3).unwrap();
    for (sched, s) in schedulers() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("csv");
        df.to_csv(&out, WriteOptions::new(), s).unwrap();
        let back = read_csv(&out, CsvOptions::new()).unwrap();
        assert_eq!(back.npartitions(), 3);
        check(&format!("csv written on {sched}"), &back, &want);
    }
}

/// `n` rows of sorted `id` and `value = id / 2`, written as `parts` files of one row
/// group each.
fn sorted_files(dir: &Path, n: i64, parts: usize) -> std::path::PathBuf {
    let b = batch(vec![
        (
            "id",
            Arc::new(Int64Array::from_iter_values(0..n)) as ArrayRef,
        ),
        (
            "value",
            Arc::new(Float64Array::from_iter_values(
                (0..n).map(|i| i as f64 / 2.0),
            )),
        ),
    ]);
    let out = dir.join("sorted");
    DataFrame::from_record_batch(b, parts)
        .unwrap()
        .to_parquet(&out, WriteOptions::new(), &SyncScheduler)
        .unwrap();
    out
}

#[test]
fn row_groups_that_cannot_match_a_filter_are_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = sorted_files(dir.path(), 1000, 10);
    let df = read_parquet(&out, ParquetOptions::new()).unwrap();
    assert_eq!(df.npartitions(), 10);
    // Remove the first file's data: only a query that reads it can notice.
    let first = out.join("part.00000.parquet");
    let q = df
        .filter(col("id").gt_eq(lit(950i64)) | col("value").lt(lit(-1.0)))
        .unwrap();
    let unpruned = df.filter(col("id").str().len().gt(lit(0))).ok();
    assert!(unpruned.is_none(), "a type error is caught at build time");
    std::fs::write(&first, b"gone").unwrap();
    for (sched, s) in schedulers() {
        let got = q.compute(s).unwrap();
        assert_eq!(
            i64s(&got, "id"),
            (950..1000).map(Some).collect::<Vec<_>>(),
            "{sched}"
        );
        assert_eq!(
            q.npartitions(),
            10,
            "the partition count does not depend on the filter"
        );
        // Literal on the left, and a filter that needs the first file: that one reads it.
        let got = df
            .filter(lit(990i64).lt(col("id")))
            .unwrap()
            .len()
            .unwrap()
            .compute(s)
            .unwrap();
        assert_eq!(got.as_i64(), Some(9), "{sched}");
        let msg = df
            .filter(col("id").lt(lit(5i64)))
            .unwrap()
            .compute(s)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("part.00000.parquet"), "{sched}: {msg}");
    }
}

#[test]
fn projection_reads_only_the_columns_asked_for() {
    let b = sample(50, 9);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    DataFrame::from_record_batch(b.clone(), 2)
        .unwrap()
        .to_parquet(&out, WriteOptions::new(), &SyncScheduler)
        .unwrap();
    let df = read_parquet(&out, ParquetOptions::new().columns(["value", "id"])).unwrap();
    assert_eq!(df.columns(), ["id", "value"]);
    check("columns option", &df, &b.project(&[0, 3]).unwrap());
    let all = read_parquet(&out, ParquetOptions::new().per_file(true)).unwrap();
    let q = all
        .select([col("name"), (col("id") + lit(1i64)).alias("next")])
        .unwrap();
    let next: Int64Array = i64s(&b, "id").iter().map(|v| v.map(|v| v + 1)).collect();
    check(
        "select over parquet",
        &q,
        &batch(vec![
            ("name", Arc::clone(b.column(2))),
            ("next", Arc::new(next) as ArrayRef),
        ]),
    );
}

#[test]
fn a_failed_write_leaves_no_output_and_an_existing_one_is_kept_or_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let df = DataFrame::from_record_batch(sample(30, 1), 5).unwrap();
    let failing = df.map_partitions(df.schema(), |p: RecordBatch| {
        if p.num_rows() > 0 && i64s(&p, "id")[0] == Some(18) {
            return Err(Error::Invalid {
                op: "test".into(),
                message: "partition 3 fails".into(),
            });
        }
        Ok(p)
    });
    for (sched, s) in schedulers().into_iter().take(2) {
        let msg = failing
            .to_parquet(&out, WriteOptions::new(), s)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("partition 3 fails"), "{sched}: {msg}");
        assert!(
            listing(dir.path()).is_empty(),
            "{sched}: {:?}",
            listing(dir.path())
        );
        let msg = failing
            .to_csv(&out, WriteOptions::new(), s)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("partition 3 fails"), "{sched}: {msg}");
        assert!(
            listing(dir.path()).is_empty(),
            "{sched}: {:?}",
            listing(dir.path())
        );
    }
    df.to_parquet(&out, WriteOptions::new(), &SyncScheduler)
        .unwrap();
    let msg = df
        .to_parquet(&out, WriteOptions::new(), &SyncScheduler)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("exists") && msg.contains("overwrite"), "{msg}");
    // A failed overwrite keeps the old output; a good one replaces it.
    assert!(
        failing
            .to_parquet(&out, WriteOptions::new().overwrite(true), &SyncScheduler)
            .is_err()
    );
    assert_eq!(listing(&out).len(), 5);
    let small = DataFrame::from_record_batch(sample(4, 2), 2).unwrap();
    small
        .to_parquet(&out, WriteOptions::new().overwrite(true), &SyncScheduler)
        .unwrap();
    assert_eq!(listing(&out).len(), 2);
    assert_eq!(listing(dir.path()), ["out"]);
}

#[test]
fn unreadable_and_mismatched_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.parquet");
    std::fs::write(&bad, b"PAR1 but not really").unwrap();
    let msg = read_parquet(&bad, ParquetOptions::new())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("bad.parquet") && msg.contains("Parquet"),
        "{msg}"
    );

    let a = dir.path().join("a");
    let b = dir.path().join("b");
    DataFrame::from_record_batch(sample(5, 1), 1)
        .unwrap()
        .to_parquet(&a, WriteOptions::new(), &SyncScheduler)
        .unwrap();
    DataFrame::from_record_batch(sample(5, 1).project(&[0, 1]).unwrap(), 1)
        .unwrap()
        .to_parquet(&b, WriteOptions::new(), &SyncScheduler)
        .unwrap();
    let files = vec![a.join("part.00000.parquet"), b.join("part.00000.parquet")];
    let msg = read_parquet(files, ParquetOptions::new())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("same columns") && msg.contains("b/part.00000.parquet"),
        "{msg}"
    );

    let msg = read_parquet(&a, ParquetOptions::new().columns(["nope"]))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("nope"), "{msg}");
    let msg = read_parquet(dir.path().join("missing"), ParquetOptions::new())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("missing"), "{msg}");
}

#[test]
fn sorted_files_carry_their_divisions() {
    let dir = tempfile::tempdir().unwrap();
    let out = sorted_files(dir.path(), 100, 4);
    let df = read_parquet(&out, ParquetOptions::new().index("id")).unwrap();
    let d = df.divisions().unwrap();
    assert_eq!(d.column, "id");
    let b: Vec<i64> = d.boundaries.iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(b, [0, 25, 50, 75, 99]);
    // Kept by filters and selects keeping the column; lost otherwise.
    assert!(
        df.filter(col("value").gt(lit(3.0)))
            .unwrap()
            .select_columns(&["id"])
            .unwrap()
            .divisions()
            .is_some()
    );
    assert!(
        df.select([(col("id") + lit(1i64)).alias("id")])
            .unwrap()
            .divisions()
            .is_none()
    );
    assert!(df.drop(&["id"]).unwrap().divisions().is_none());
    // `value` is sorted too; no index asked for, no divisions.
    assert!(
        read_parquet(&out, ParquetOptions::new())
            .unwrap()
            .divisions()
            .is_none()
    );
    // Unsorted files: none.
    let b = sample(40, 3);
    let other = dir.path().join("unsorted");
    DataFrame::from_record_batch(b, 4)
        .unwrap()
        .to_parquet(&other, WriteOptions::new(), &SyncScheduler)
        .unwrap();
    assert!(
        read_parquet(&other, ParquetOptions::new().index("user_id"))
            .unwrap()
            .divisions()
            .is_none()
    );
    let msg = read_parquet(&other, ParquetOptions::new().index("nope"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("nope") && msg.contains("index"), "{msg}");
}
