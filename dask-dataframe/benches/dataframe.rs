//! End-to-end dataframe queries over the `cargo xtask datagen` files, the counterpart of
//! `xtask/compare/dask_dataframe.py` (Python Dask, pandas and Polars on the same files).
//!
//! Queries (the seed's dataframe example and a filtered aggregation), each over the
//! daily CSV files and over their Parquet copy:
//!
//! * **csv-groupby-mean** / **parquet-groupby-mean**: `groupby(user_id).value.mean()`;
//! * **csv-filter-agg** / **parquet-filter-agg**: `filter(value > 0).groupby(name)
//!   .agg(count(value), sum(value))`;
//!
//! shuffles over the Parquet copy and the join tables (`DASK_BENCH_TABLES`), each
//! counted partition by partition after computing every column, as the Python side's
//! `map_partitions(len)` does:
//!
//! * **merge-users**: the daily rows merged with `users.csv` on `user_id` (broadcast);
//! * **merge-large**: `left-10m` ⋈ `right-10m` on `id` (two 10 M-row tables, hash join);
//! * **sort-values**, **set-index** (`timestamp`), **drop-duplicates** (`user_id, name`);
//!
//! and the larger-than-memory queries over `DASK_BENCH_LARGE` (3.7 GB of CSV), each
//! with no limit (`dask-rs-threads`) and with a 1 GiB memory limit
//! (`dask-rs-threads-1g`): **ltm-groupby** (`groupby(id).agg(sum(value))` with
//! `split_out = 64`), **ltm-merge** (with the 10 M-row `ids-10m` on `id`) and
//! **ltm-sort** (`sort_values(value)`). `DASK_BENCH_QUERIES=q,q` runs only those.
//!
//! Each figure is end to end: reading the headers or footers, building the frame and
//! computing the result. Engines: `dask-rs-threads` is a [`ThreadScheduler`] with 2
//! workers, `dask-rs-sync` the [`SyncScheduler`].
//!
//! Two modes:
//!
//! * `cargo bench -p dask-dataframe --bench dataframe` runs criterion benchmarks of the
//!   same queries over an in-memory frame of a million rows (no files needed);
//! * `--workload csv-groupby-mean-no-pushdown --engine dask-rs-threads` (any query with
//!   that suffix) measures one query with every column read, against which the
//!   report's figure shows the gain of projection pushdown;
//! * with `DASK_BENCH_REPORT=1`, `DASK_BENCH_DATA` naming the CSV directory,
//!   `DASK_BENCH_PARQUET` the Parquet one, `DASK_BENCH_TABLES` the join tables and
//!   `DASK_BENCH_LARGE` the large CSV files (a query whose data is absent is skipped),
//!   it prints rows `query engine seconds peak_rss_mb`, each measured in a child
//!   process of its own ([`dask_graph::testing::report`]).
#![allow(clippy::unwrap_used)]

// As Polars does (it ships jemalloc), the benchmark runs on a fast multi-threaded
// allocator: glibc's returns every large freed buffer to the kernel, and the fresh pages
// of the next partition then cost a page fault each (a quarter of the run's time).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use criterion::{Criterion, criterion_group};
use dask_dataframe::{
    CsvOptions, DataFrame, JoinHow, ParquetOptions, col, count, lit, read_csv, read_parquet, sum,
};
use dask_graph::testing::report::{
    BoxResult, child_request, measure_in_child, report_mode, time_and_report,
};
use dask_graph::{Scheduler, SyncScheduler};
use dask_sched_threads::ThreadScheduler;

/// Threads of the `dask-rs-threads` engine.
const WORKERS: usize = 2;
const ENGINES: [&str; 2] = ["dask-rs-threads", "dask-rs-sync"];
const QUERIES: [&str; 12] = [
    "csv-groupby-mean",
    "csv-filter-agg",
    "parquet-groupby-mean",
    "parquet-filter-agg",
    "merge-users",
    "merge-large",
    "sort-values",
    "set-index",
    "drop-duplicates",
    "ltm-groupby",
    "ltm-merge",
    "ltm-sort",
];
/// The engines of the larger-than-memory queries: threads with no limit and with a
/// memory limit of 1 GiB.
const LTM_ENGINES: [&str; 2] = ["dask-rs-threads", "dask-rs-threads-1g"];

fn scheduler(engine: &str) -> BoxResult<Box<dyn Scheduler>> {
    match engine {
        "dask-rs-threads" => Ok(Box::new(ThreadScheduler::new(WORKERS)?)),
        "dask-rs-threads-1g" => Ok(Box::new(
            ThreadScheduler::new(WORKERS)?.with_memory_limit(1 << 30),
        )),
        "dask-rs-sync" => Ok(Box::new(SyncScheduler)),
        other => Err(format!("no engine {other}").into()),
    }
}

/// The environment variable naming the directory a query's data is in.
fn data_var(query: &str) -> &'static str {
    if query.starts_with("csv") {
        "DASK_BENCH_DATA"
    } else if query.starts_with("ltm") {
        "DASK_BENCH_LARGE"
    } else if query == "merge-large" {
        "DASK_BENCH_TABLES"
    } else {
        "DASK_BENCH_PARQUET"
    }
}

/// A CSV table of the join tables' directory (a file, or a directory of parts).
fn table(name: &str) -> BoxResult<DataFrame> {
    let d = dir("DASK_BENCH_TABLES").ok_or("DASK_BENCH_TABLES names no directory")?;
    let file = d.join(format!("{name}.csv"));
    let spec = if file.is_file() {
        file.display().to_string()
    } else {
        // The quick tables are named `*-100k` where the full ones are `*-10m`.
        let prefix = name.split('-').next().unwrap_or(name);
        let found = std::fs::read_dir(&d)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| {
                p.is_dir()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&format!("{prefix}-")))
            })
            .ok_or_else(|| format!("no table {name} in {}", d.display()))?;
        format!("{}/*.csv", found.display())
    };
    Ok(read_csv(spec.as_str(), CsvOptions::new())?)
}

/// Rows of every partition counted after each is computed whole (every column), as
/// the Python side's `map_partitions(len)` does.
fn length(df: &DataFrame, s: &dyn Scheduler) -> BoxResult<RecordBatch> {
    let schema = Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
        "rows",
        arrow_schema::DataType::Int64,
        false,
    )]));
    let declared = Arc::clone(&schema);
    let counts = df.map_partitions(schema, move |b: RecordBatch| {
        RecordBatch::try_new(
            Arc::clone(&declared),
            vec![Arc::new(Int64Array::from(vec![b.num_rows() as i64])) as ArrayRef],
        )
    });
    Ok(counts.compute(s)?)
}

fn dir(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
}

/// The frame a query reads.
fn source(query: &str) -> BoxResult<DataFrame> {
    if query == "merge-large" {
        return table("left-10m");
    }
    if query.starts_with("csv") || query.starts_with("ltm") {
        let var = data_var(query);
        let d = dir(var).ok_or_else(|| format!("{var} names no directory"))?;
        Ok(read_csv(
            format!("{}/*.csv", d.display()).as_str(),
            CsvOptions::new(),
        )?)
    } else {
        let d = dir("DASK_BENCH_PARQUET").ok_or("DASK_BENCH_PARQUET names no directory")?;
        Ok(read_parquet(
            format!("{}/*.parquet", d.display()).as_str(),
            ParquetOptions::new(),
        )?)
    }
}

/// The query over `df`, computed on `s`; checks the result has the groups it should.
/// A query name ending in `-no-pushdown` runs the query with every column read (an
/// identity `map_partitions` hides the columns used from the scan), to measure what
/// projection pushdown gains.
fn run(query: &str, df: &DataFrame, s: &dyn Scheduler) -> BoxResult<RecordBatch> {
    if let Some(q) = query.strip_suffix("-no-pushdown") {
        let all = df.map_partitions(df.schema(), Ok::<RecordBatch, dask_dataframe::Error>);
        return run(q, &all, s);
    }
    let out = match query {
        "merge-users" => length(&df.merge(&table("users")?, ["user_id"], JoinHow::Inner)?, s)?,
        "merge-large" => length(&df.merge(&table("right-10m")?, ["id"], JoinHow::Inner)?, s)?,
        "sort-values" | "ltm-sort" => length(&df.sort_values(["value"], true)?, s)?,
        "set-index" => length(&df.set_index("timestamp")?, s)?,
        "drop-duplicates" => length(&df.drop_duplicates(["user_id", "name"])?, s)?,
        "ltm-groupby" => length(&df.groupby(["id"])?.split_out(64).agg([sum("value")])?, s)?,
        "ltm-merge" => length(&df.merge(&table("ids-10m")?, ["id"], JoinHow::Inner)?, s)?,
        _ => RecordBatch::new_empty(Arc::new(arrow_schema::Schema::empty())),
    };
    if out.num_columns() > 0 {
        let rows: i64 = out
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .map(|a| a.values().iter().sum())
            .unwrap_or(0);
        if rows == 0 {
            return Err(format!("{query}: no rows").into());
        }
        eprintln!("{query}: {rows} rows");
        return Ok(out);
    }
    let out = if query.ends_with("groupby-mean") {
        df.groupby(["user_id"])?.col("value").mean()?.compute(s)?
    } else {
        df.filter(col("value").gt(lit(0.0)))?
            .groupby(["name"])?
            .agg([count("value").alias("count"), sum("value").alias("sum")])?
            .compute(s)?
    };
    if out.num_rows() == 0 {
        return Err(format!("{query}: no groups").into());
    }
    Ok(out)
}

fn child(query: &str, engine: &str) -> BoxResult<()> {
    let s = scheduler(engine)?;
    time_and_report(|| {
        let df = source(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        run(query, &df, s.as_ref()).unwrap_or_else(|e| panic!("{query} on {engine}: {e}"))
    })
}

fn report() -> BoxResult<()> {
    let exe = std::env::current_exe()?;
    eprintln!(
        "dask-dataframe report: {WORKERS} worker threads vs the synchronous scheduler, one process per row"
    );
    println!(
        "{:<22} {:<16} {:>10} {:>12}",
        "query", "engine", "seconds", "peak_rss_mb"
    );
    let only: Option<Vec<String>> = std::env::var("DASK_BENCH_QUERIES")
        .ok()
        .map(|v| v.split(',').map(String::from).collect());
    for q in QUERIES {
        if only.as_ref().is_some_and(|o| !o.iter().any(|x| x == q)) {
            continue;
        }
        let var = data_var(q);
        let needs_tables = q.starts_with("merge") || q == "ltm-merge";
        if dir(var).is_none() || (needs_tables && dir("DASK_BENCH_TABLES").is_none()) {
            eprintln!("{q}: {var} (or DASK_BENCH_TABLES) names no directory; skipped");
            continue;
        }
        let engines: &[&str] = if q.starts_with("ltm") {
            &LTM_ENGINES
        } else if q.starts_with("csv") || q.starts_with("parquet") {
            &ENGINES
        } else {
            &ENGINES[..1]
        };
        for &engine in engines {
            let (seconds, peak) = measure_in_child(&exe, q, engine)?;
            println!("{q:<22} {engine:<16} {seconds:>10.4} {peak:>12.1}");
        }
    }
    Ok(())
}

/// A million rows like the datagen files', in 8 partitions.
fn in_memory() -> DataFrame {
    let n = 1_000_000i64;
    let names = [
        "Alice", "Bob", "Carol", "Dan", "Eve", "Frank", "Grace", "Heidi",
    ];
    let mut x = 88_172_645_463_325_252u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let users: Int64Array = (0..n).map(|_| Some((next() % 10_000) as i64)).collect();
    let name: StringArray = (0..n).map(|_| Some(names[(next() % 8) as usize])).collect();
    let value: Float64Array = (0..n)
        .map(|_| Some((next() % 2001) as f64 / 1000.0 - 1.0))
        .collect();
    let b = RecordBatch::try_from_iter([
        ("user_id", Arc::new(users) as ArrayRef),
        ("name", Arc::new(name) as ArrayRef),
        ("value", Arc::new(value) as ArrayRef),
    ])
    .unwrap();
    DataFrame::from_record_batch(b, 8).unwrap()
}

fn bench_in_memory(c: &mut Criterion) {
    let df = in_memory();
    let threads = ThreadScheduler::new(WORKERS).unwrap();
    let mut g = c.benchmark_group("dataframe-1e6");
    g.sample_size(10);
    for q in ["groupby-mean", "filter-agg"] {
        g.bench_function(q, |b| b.iter(|| run(q, &df, &threads).unwrap()));
    }
    g.finish();
}

criterion_group!(benches, bench_in_memory);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if let Some((q, engine)) = child_request(&args) {
        child(q, engine)
    } else if report_mode() {
        report()
    } else {
        benches();
        Criterion::default().configure_from_args().final_summary();
        Ok(())
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dataframe bench: {e}");
            ExitCode::FAILURE
        }
    }
}
