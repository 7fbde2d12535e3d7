//! Shared test helpers: a deterministic sample frame, the partitionings every query is
//! run over, the schedulers every query is run on, and comparisons of computed batches
//! with references computed directly from the whole batch in the test.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::{Arc, OnceLock};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use dask_dataframe::DataFrame;
use dask_graph::{Scheduler, SyncScheduler};
use dask_sched_procs::ProcessScheduler;
use dask_sched_threads::ThreadScheduler;

/// The schedulers every query runs on: synchronous, two threads, two worker processes.
pub fn schedulers() -> Vec<(&'static str, &'static dyn Scheduler)> {
    static THREADS: OnceLock<ThreadScheduler> = OnceLock::new();
    static PROCS: OnceLock<ProcessScheduler> = OnceLock::new();
    vec![
        ("sync", &SyncScheduler),
        (
            "threads",
            THREADS.get_or_init(|| ThreadScheduler::new(2).unwrap()),
        ),
        (
            "processes",
            PROCS.get_or_init(|| ProcessScheduler::new(2).unwrap()),
        ),
    ]
}

/// A small deterministic generator (xorshift), so fixtures need no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub const NAMES: [&str; 7] = ["alice", "bob", "carol", "dave", "Eve", "frank", "Bobby"];

/// `n` rows: `id` (0..n), `user_id` (Int64, about 1 in 10 null), `name` (Utf8, some null),
/// `value` (Float64, some null, a NaN now and then), `flag` (Boolean), `ts` (timestamps in
/// milliseconds over several years).
pub fn sample(n: usize, seed: u64) -> RecordBatch {
    let mut r = Rng::new(seed);
    let id: Int64Array = (0..n as i64).map(Some).collect();
    let user: Int64Array = (0..n)
        .map(|_| (r.below(10) != 0).then(|| r.below(7) as i64 - 2))
        .collect();
    let name: StringArray = (0..n)
        .map(|_| (r.below(12) != 0).then(|| NAMES[r.below(NAMES.len() as u64) as usize]))
        .collect();
    let value: Float64Array = (0..n)
        .map(|_| match r.below(20) {
            0 => None,
            1 => Some(f64::NAN),
            _ => Some((r.below(20_001) as f64 - 10_000.0) / 100.0),
        })
        .collect();
    let flag: BooleanArray = (0..n).map(|_| Some(r.below(3) == 0)).collect();
    let ts: TimestampMillisecondArray = (0..n)
        .map(|_| Some(1_400_000_000_000 + (r.below(300_000_000) as i64) * 1000))
        .collect();
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("user_id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("value", DataType::Float64, true),
        Field::new("flag", DataType::Boolean, true),
        Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(id),
            Arc::new(user),
            Arc::new(name),
            Arc::new(value),
            Arc::new(flag),
            Arc::new(ts),
        ],
    )
    .unwrap()
}

/// The same rows cut in several ways: one partition, a few, one row per partition, and
/// uneven cuts with empty partitions among them.
pub fn partitionings(batch: &RecordBatch) -> Vec<(String, DataFrame)> {
    let n = batch.num_rows();
    let mut out = vec![
        (
            "1 partition".to_string(),
            DataFrame::from_record_batch(batch.clone(), 1).unwrap(),
        ),
        (
            "4 partitions".to_string(),
            DataFrame::from_record_batch(batch.clone(), 4).unwrap(),
        ),
    ];
    if n <= 40 {
        out.push((
            "one row per partition".to_string(),
            DataFrame::from_record_batch(batch.clone(), n.max(1)).unwrap(),
        ));
    }
    // Uneven, with empty partitions first, in the middle and last.
    let cuts = [0, 0, n / 7, n / 7, n / 2, n, n];
    let parts: Vec<RecordBatch> = cuts
        .windows(2)
        .map(|w| batch.slice(w[0], w[1] - w[0]))
        .collect();
    out.push((
        "uneven with empty partitions".to_string(),
        DataFrame::from_record_batches(parts).unwrap(),
    ));
    out
}

/// Computes `df` on every scheduler and checks it equals `expected` (same columns,
/// types and values; floats within a relative 1e-9, NaN equal to NaN).
pub fn check(what: &str, df: &DataFrame, expected: &RecordBatch) {
    assert_eq!(
        df.schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect::<Vec<_>>(),
        expected
            .schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect::<Vec<_>>(),
        "{what}: metadata schema"
    );
    for (name, s) in schedulers() {
        let got = df
            .compute(s)
            .unwrap_or_else(|e| panic!("{what} on {name}: {e}"));
        assert_batches_equal(&format!("{what} on {name}"), &got, expected);
    }
}

/// Checks two batches hold the same columns and values.
pub fn assert_batches_equal(what: &str, got: &RecordBatch, expected: &RecordBatch) {
    assert_eq!(got.num_columns(), expected.num_columns(), "{what}: columns");
    assert_eq!(
        got.num_rows(),
        expected.num_rows(),
        "{what}: rows\n{}",
        dask_dataframe::pretty(got)
    );
    for (i, f) in expected.schema().fields().iter().enumerate() {
        assert_eq!(got.schema().field(i).name(), f.name(), "{what}: column {i}");
        assert_arrays_equal(
            &format!("{what}: column `{}`", f.name()),
            got.column(i),
            expected.column(i),
        );
    }
}

/// Checks two arrays are equal; floats within a relative 1e-9.
pub fn assert_arrays_equal(what: &str, got: &ArrayRef, expected: &ArrayRef) {
    assert_eq!(got.data_type(), expected.data_type(), "{what}: type");
    assert_eq!(got.len(), expected.len(), "{what}: length");
    if let DataType::Float64 = expected.data_type() {
        let (g, e) = (
            got.as_primitive::<Float64Type>(),
            expected.as_primitive::<Float64Type>(),
        );
        for i in 0..e.len() {
            assert_eq!(g.is_null(i), e.is_null(i), "{what}: null at row {i}");
            if e.is_valid(i) {
                close(&format!("{what}: row {i}"), g.value(i), e.value(i));
            }
        }
    } else {
        assert_eq!(
            got.to_data(),
            expected.to_data(),
            "{what}: {got:?} vs {expected:?}"
        );
    }
}

/// Checks `g` is within a relative 1e-9 of `e` (NaN equal to NaN).
pub fn close(what: &str, g: f64, e: f64) {
    let ok = (g.is_nan() && e.is_nan()) || g == e || (g - e).abs() <= 1e-9 * e.abs().max(1.0);
    assert!(ok, "{what}: got {g}, expected {e}");
}

// ---------------------------------------------------------------------------------------
// Plain accessors for references.

pub fn i64s(b: &RecordBatch, c: &str) -> Vec<Option<i64>> {
    b.column_by_name(c)
        .unwrap()
        .as_primitive::<Int64Type>()
        .iter()
        .collect()
}

pub fn f64s(b: &RecordBatch, c: &str) -> Vec<Option<f64>> {
    b.column_by_name(c)
        .unwrap()
        .as_primitive::<Float64Type>()
        .iter()
        .collect()
}

pub fn strs(b: &RecordBatch, c: &str) -> Vec<Option<String>> {
    b.column_by_name(c)
        .unwrap()
        .as_string::<i32>()
        .iter()
        .map(|s| s.map(String::from))
        .collect()
}

/// A batch of named columns (non-nullable fields unless the column has nulls).
pub fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

/// The rows of `b` whose `keep` is true, for reference computations.
pub fn rows_where(b: &RecordBatch, keep: &[bool]) -> RecordBatch {
    let mask = BooleanArray::from(keep.to_vec());
    arrow_select::filter::filter_record_batch(b, &mask).unwrap()
}

/// Skips NaN as well as null, as pandas' skipna does.
pub fn present(v: Option<f64>) -> Option<f64> {
    v.filter(|x| !x.is_nan())
}
