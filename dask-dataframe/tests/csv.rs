//! `read_csv` against the rows the test wrote, for several block sizes, compressions and
//! projections, on every scheduler; and each malformed input's own error.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, TimeUnit};
use common::*;
use dask_dataframe::{CsvOptions, DataFrame, col, lit, read_csv};
use dask_graph::SyncScheduler;

dask_sched_procs::test_worker!();

/// One row of the test files.
struct Row {
    id: i64,
    user: Option<i64>,
    name: Option<&'static str>,
    value: Option<f64>,
    flag: bool,
    /// Seconds since 2015-01-01 00:00:00.
    at: i64,
}

fn rows(n: usize, seed: u64) -> Vec<Row> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|i| Row {
            id: i as i64,
            user: (r.below(8) != 0).then(|| r.below(50) as i64),
            name: (r.below(9) != 0).then(|| NAMES[r.below(NAMES.len() as u64) as usize]),
            value: (r.below(10) != 0).then(|| (r.below(2001) as f64 - 1000.0) / 8.0),
            flag: r.below(2) == 0,
            at: (i as i64) * 61,
        })
        .collect()
}

/// `2015-01-01 00:00:00` plus `s` seconds (within January, for the test's sizes).
fn stamp(s: i64) -> String {
    let (d, rest) = (s / 86_400, s % 86_400);
    format!(
        "2015-01-{:02} {:02}:{:02}:{:02}",
        d + 1,
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn csv_text(rows: &[Row]) -> String {
    let mut s = String::from("id,user_id,name,value,flag,ts\n");
    for r in rows {
        let opt = |v: Option<String>| v.unwrap_or_default();
        s += &format!(
            "{},{},{},{},{},{}\n",
            r.id,
            opt(r.user.map(|u| u.to_string())),
            opt(r.name.map(String::from)),
            opt(r.value.map(|v| v.to_string())),
            r.flag,
            stamp(r.at)
        );
    }
    s
}

/// The rows as the batch read_csv should give (with `ts` parsed when `dates`).
fn expected(rows: &[Row], dates: bool) -> RecordBatch {
    let ts: ArrayRef = if dates {
        Arc::new(
            rows.iter()
                .map(|r| Some((1_420_070_400 + r.at) * 1_000_000))
                .collect::<arrow_array::TimestampMicrosecondArray>(),
        )
    } else {
        Arc::new(
            rows.iter()
                .map(|r| Some(stamp(r.at)))
                .collect::<StringArray>(),
        )
    };
    batch(vec![
        (
            "id",
            Arc::new(rows.iter().map(|r| Some(r.id)).collect::<Int64Array>()) as ArrayRef,
        ),
        (
            "user_id",
            Arc::new(rows.iter().map(|r| r.user).collect::<Int64Array>()),
        ),
        (
            "name",
            Arc::new(rows.iter().map(|r| r.name).collect::<StringArray>()),
        ),
        (
            "value",
            Arc::new(rows.iter().map(|r| r.value).collect::<Float64Array>()),
        ),
        (
            "flag",
            Arc::new(rows.iter().map(|r| Some(r.flag)).collect::<BooleanArray>()),
        ),
        ("ts", ts),
    ])
}

/// Writes `rows` over `files` files in `dir` (`part-0.csv`, ...), compressed as asked.
fn write_files(dir: &Path, rows: &[Row], files: usize, ext: &str) -> Vec<PathBuf> {
    let per = rows.len().div_ceil(files);
    rows.chunks(per.max(1))
        .enumerate()
        .map(|(i, chunk)| {
            let path = dir.join(format!("part-{i}.csv{ext}"));
            let text = csv_text(chunk);
            let bytes = match ext {
                "" => text.into_bytes(),
                ".gz" => {
                    let mut e =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    e.write_all(text.as_bytes()).unwrap();
                    e.finish().unwrap()
                }
                ".zst" => zstd::encode_all(text.as_bytes(), 1).unwrap(),
                other => panic!("no compression {other}"),
            };
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect()
}

#[test]
fn files_read_back_for_every_block_size() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows(300, 5);
    write_files(dir.path(), &rows, 3, "");
    let want = expected(&rows, false);
    let glob = format!("{}/part-*.csv", dir.path().display());
    for blocksize in [Some(17), Some(100), Some(1000), None] {
        let df = read_csv(glob.as_str(), CsvOptions::new().blocksize(blocksize)).unwrap();
        let n = df.npartitions();
        match blocksize {
            None => assert_eq!(n, 3),
            Some(b) => assert!(
                n >= 3 && n as u64 >= 3 * (4000 / b).min(100),
                "{n} partitions for {b}"
            ),
        }
        check(&format!("blocksize {blocksize:?}"), &df, &want);
    }
}

#[test]
fn reads_of_one_file_cut_differently_compute_together() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows(200, 3);
    write_files(dir.path(), &rows, 1, "");
    let total: i64 = rows.iter().map(|r| r.id).sum();
    let coarse = read_csv(dir.path(), CsvOptions::new()).unwrap();
    let fine = read_csv(dir.path(), CsvOptions::new().blocksize(Some(500))).unwrap();
    assert_ne!(coarse.npartitions(), fine.npartitions());
    for (sched, s) in schedulers() {
        let (a, b) = dask_graph::Collection::compute(
            &(
                coarse.col("id").unwrap().sum().unwrap(),
                fine.col("id").unwrap().sum().unwrap(),
            ),
            s,
        )
        .unwrap();
        assert_eq!(
            (a.as_i64(), b.as_i64()),
            (Some(total), Some(total)),
            "{sched}"
        );
    }
}

#[test]
fn gzip_and_zstd_files_are_one_partition_each() {
    for ext in [".gz", ".zst"] {
        let dir = tempfile::tempdir().unwrap();
        let rows = rows(120, 8);
        let paths = write_files(dir.path(), &rows, 4, ext);
        let df = read_csv(paths, CsvOptions::new().blocksize(Some(64))).unwrap();
        assert_eq!(df.npartitions(), 4, "{ext}");
        check(ext, &df, &expected(&rows, false));
    }
}

#[test]
fn dates_dtypes_and_usecols() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows(90, 9);
    write_files(dir.path(), &rows, 2, "");
    let all = expected(&rows, true);
    let df = read_csv(
        dir.path(),
        CsvOptions::new()
            .blocksize(Some(500))
            .parse_dates(["ts"])
            .dtype("user_id", DataType::Float64)
            .usecols(["ts", "user_id"]),
    )
    .unwrap();
    assert_eq!(df.columns(), ["user_id", "ts"], "file order");
    let users: Float64Array = rows.iter().map(|r| r.user.map(|u| u as f64)).collect();
    let want = batch(vec![
        ("user_id", Arc::new(users) as ArrayRef),
        ("ts", Arc::clone(all.column(5))),
    ]);
    check("usecols + dtype + parse_dates", &df, &want);
    assert_eq!(
        df.schema().field(1).data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, None)
    );
    // Datetime parts of a parsed column.
    let hours = df
        .select([col("ts").dt().hour().alias("h")])
        .unwrap()
        .compute(&SyncScheduler)
        .unwrap();
    let ts = all.column(5).as_primitive::<TimestampMicrosecondType>();
    let want: Vec<i32> = ts
        .values()
        .iter()
        .map(|t| ((t / 1_000_000) % 86_400 / 3600) as i32)
        .collect();
    assert_eq!(
        hours
            .column(0)
            .as_primitive::<arrow_array::types::Int32Type>()
            .values()
            .to_vec(),
        want
    );
}

#[test]
fn queries_over_csv_match_the_direct_computation() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows(500, 11);
    write_files(dir.path(), &rows, 3, "");
    let df = read_csv(dir.path(), CsvOptions::new().blocksize(Some(2000))).unwrap();
    // filter(value > 0).groupby(name).agg(count, sum), by plain loops.
    let mut want: std::collections::BTreeMap<&str, (i64, f64)> = Default::default();
    for r in &rows {
        if let (Some(n), Some(v)) = (r.name, r.value)
            && v > 0.0
        {
            let e = want.entry(n).or_default();
            e.0 += 1;
            e.1 += v;
        }
    }
    let q = df
        .filter(col("value").gt(lit(0.0)))
        .unwrap()
        .groupby(["name"])
        .unwrap()
        .agg([
            dask_dataframe::count("value").alias("n"),
            dask_dataframe::sum("value").alias("total"),
        ])
        .unwrap();
    let expected = batch(vec![
        (
            "name",
            Arc::new(want.keys().map(|k| Some(*k)).collect::<StringArray>()) as ArrayRef,
        ),
        (
            "n",
            Arc::new(want.values().map(|v| Some(v.0)).collect::<Int64Array>()),
        ),
        (
            "total",
            Arc::new(want.values().map(|v| Some(v.1)).collect::<Float64Array>()),
        ),
    ]);
    check("filter/groupby over csv", &q, &expected);
}

/// A file whose column `b` holds a float on line `bad_line` after integers.
fn file_with_a_late_float(dir: &Path, lines: usize, bad_line: usize) -> PathBuf {
    let mut s = String::from("a,b,c\n");
    for i in 2..=lines {
        let b = if i == bad_line {
            "3.5".to_string()
        } else {
            (i * 2).to_string()
        };
        s += &format!("{i},{b},x{i}\n");
    }
    let p = dir.join("late.csv");
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn a_value_of_another_type_names_file_line_column_value_type_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let p = file_with_a_late_float(dir.path(), 2000, 1234);
    for blocksize in [Some(700), None] {
        let df = read_csv(&p, CsvOptions::new().sample(400).blocksize(blocksize)).unwrap();
        assert_eq!(df.schema().field(1).data_type(), &DataType::Int64);
        for (sched, s) in schedulers() {
            let msg = df.compute(s).unwrap_err().to_string();
            for part in [
                "late.csv",
                "line 1234",
                "`b`",
                "\"3.5\"",
                "Int64",
                "dtype(\"b\", DataType::Float64)",
            ] {
                assert!(
                    msg.contains(part),
                    "{sched} {blocksize:?}: `{part}` missing from: {msg}"
                );
            }
        }
        // A query that does not read `b` never parses it (projection pushdown).
        let n = df
            .select_columns(&["a", "c"])
            .unwrap()
            .compute(&SyncScheduler)
            .unwrap()
            .num_rows();
        assert_eq!(n, 1999);
        // And the fix the message names works.
        let fixed = read_csv(
            &p,
            CsvOptions::new().sample(400).dtype("b", DataType::Float64),
        )
        .unwrap();
        let sum = fixed
            .col("b")
            .unwrap()
            .sum()
            .unwrap()
            .compute(&SyncScheduler)
            .unwrap();
        let want: f64 = (2..=2000)
            .map(|i| if i == 1234 { 3.5 } else { (i * 2) as f64 })
            .sum();
        close("fixed sum", sum.as_f64().unwrap(), want);
    }
}

#[test]
fn malformed_inputs_each_have_their_own_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = |paths: &str| read_csv(paths, CsvOptions::new()).unwrap_err().to_string();
    // Found when the frame is built (in the sample) or when it is computed.
    let compute_err = |p: &Path| match read_csv(p, CsvOptions::new()) {
        Err(e) => e.to_string(),
        Ok(df) => df.compute(&SyncScheduler).unwrap_err().to_string(),
    };

    let msg = err(&format!("{}/nothing-*.csv", d.display()));
    assert!(
        msg.contains("no files match") && msg.contains("nothing-*.csv"),
        "{msg}"
    );

    std::fs::write(d.join("h1.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(d.join("h2.csv"), "a,c\n1,2\n").unwrap();
    let msg = err(&format!("{}/h*.csv", d.display()));
    assert!(
        msg.contains("h2.csv") && msg.contains("[a, c]") && msg.contains("[a, b]"),
        "{msg}"
    );

    let ragged = d.join("ragged.csv");
    std::fs::write(&ragged, "a,b,c\n1,2,3\n4,5\n6,7,8\n").unwrap();
    let msg = compute_err(&ragged);
    assert!(
        msg.contains("ragged.csv") && msg.contains("line 3") && msg.contains("2 fields"),
        "{msg}"
    );

    let utf = d.join("utf.csv");
    std::fs::write(&utf, b"a,s\n1,ok\n2,caf\xe9\n".as_slice()).unwrap();
    let msg = compute_err(&utf);
    assert!(
        msg.contains("utf.csv")
            && msg.contains("line 3")
            && msg.contains("UTF-8")
            && msg.contains("`s`"),
        "{msg}"
    );

    let empty = d.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let msg = err(&empty.display().to_string());
    assert!(
        msg.contains("empty.csv") && msg.contains("empty") && msg.contains("header"),
        "{msg}"
    );

    let msg = read_csv(d.join("h1.csv"), CsvOptions::new().usecols(["zz"]))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("zz") && msg.contains("usecols"), "{msg}");
    let msg = read_csv(d.join("h1.csv"), CsvOptions::new().parse_dates(["when"]))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("when") && msg.contains("parse_dates"), "{msg}");

    let dup = d.join("dup.csv");
    std::fs::write(&dup, "a,a\n1,2\n").unwrap();
    let msg = read_csv(&dup, CsvOptions::new()).unwrap_err().to_string();
    assert!(msg.contains("`a` twice"), "{msg}");

    let bad_gz = d.join("bad.csv.gz");
    std::fs::write(&bad_gz, "a,b\n1,2\n").unwrap();
    let msg = read_csv(&bad_gz, CsvOptions::new())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("bad.csv.gz") && msg.contains("gzip"), "{msg}");
}

#[test]
fn empty_and_header_only_files_are_empty_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.csv"), "x,y\n1,a\n2,b\n").unwrap();
    std::fs::write(d.join("b.csv"), "").unwrap();
    std::fs::write(d.join("c.csv"), "x,y\n").unwrap();
    std::fs::write(d.join("d.csv"), "x,y\n3,c").unwrap(); // no final newline
    let df = read_csv(d, CsvOptions::new()).unwrap();
    assert_eq!(df.npartitions(), 4);
    let want = batch(vec![
        ("x", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
        ("y", Arc::new(StringArray::from(vec!["a", "b", "c"]))),
    ]);
    check("empty and header-only files", &df, &want);
    // A header-only file alone: no rows, the header's columns.
    let only = read_csv(d.join("c.csv"), CsvOptions::new()).unwrap();
    assert_eq!(only.columns(), ["x", "y"]);
    assert_eq!(only.compute(&SyncScheduler).unwrap().num_rows(), 0);
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_first_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bom.csv");
    std::fs::write(&p, b"\xef\xbb\xbfid,x\r\n1,2.5\r\n2,3.5\r\n".as_slice()).unwrap();
    let df = read_csv(&p, CsvOptions::new()).unwrap();
    assert_eq!(df.columns(), ["id", "x"]);
    let want = batch(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("x", Arc::new(Float64Array::from(vec![2.5, 3.5]))),
    ]);
    check("bom and crlf", &df, &want);
}

#[test]
fn quoted_fields_and_other_delimiters() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("q.tsv");
    std::fs::write(&p, "name\tnote\n\"a\tb\"\t\"say \"\"hi\"\"\"\nc\td\r\n").unwrap();
    let df = read_csv(&p, CsvOptions::new().delimiter(b'\t')).unwrap();
    let want = batch(vec![
        (
            "name",
            Arc::new(StringArray::from(vec!["a\tb", "c"])) as ArrayRef,
        ),
        ("note", Arc::new(StringArray::from(vec!["say \"hi\"", "d"]))),
    ]);
    check("tsv with quotes", &df, &want);
}

#[test]
fn frames_from_files_compute_with_others_in_one_graph() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows(200, 2);
    write_files(dir.path(), &rows, 2, "");
    let df = read_csv(dir.path(), CsvOptions::new().blocksize(Some(1500))).unwrap();
    let total: i64 = rows.iter().map(|r| r.id).sum();
    let nulls = rows.iter().filter(|r| r.user.is_none()).count() as i64;
    let other = DataFrame::from_record_batch(sample(10, 1), 2).unwrap();
    for (sched, s) in schedulers() {
        let (a, b, c) = dask_graph::Collection::compute(
            &(
                df.col("id").unwrap().sum().unwrap(),
                df.filter(col("user_id").is_null()).unwrap().len().unwrap(),
                other.len().unwrap(),
            ),
            s,
        )
        .unwrap();
        assert_eq!(
            (a.as_i64(), b.as_i64(), c.as_i64()),
            (Some(total), Some(nulls), Some(10)),
            "{sched}"
        );
    }
}
