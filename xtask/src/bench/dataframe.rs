//! The fifth report of `cargo xtask bench`: dataframe queries over the `datagen` files,
//! and with `--compare` the same queries in Python Dask, pandas and Polars.
//!
//! The report runs only once `dask-dataframe/benches/dataframe.rs` exists; until then it
//! is skipped with a note. It first generates the data (`cargo xtask datagen`, quick
//! with `--quick`: instant when the files are already there), then runs
//! `cargo bench -p dask-dataframe --bench dataframe` with `DASK_BENCH_REPORT=1` and the
//! data's directories in the environment:
//!
//! * [`DATA_ENV`]: the daily CSV files;
//! * [`PARQUET_ENV`]: their Parquet copy (which may not exist);
//! * [`TABLES_ENV`]: the join tables (`users.csv`, `left-*/`, `right-*/`, `ids-*/`; see
//!   `datagen/tables.rs`);
//! * [`LARGE_ENV`]: the larger-than-memory CSV files for the `ltm-*` queries: without
//!   `--quick`, `target/data/large-csv` if `cargo xtask datagen --large` has made it
//!   (it is never generated here: 3.7 GB; without it the variable is not set and a note
//!   says so); with `--quick`, the quick daily CSV files stand in for it (their ids are
//!   the ones the quick `ids-100k` table picks from).
//!
//! Its rows are `query engine seconds peak_rss_mb` (engines `dask-rs-threads` and
//! `dask-rs-sync`), parsed like the array report's ([`parse_measured_rows`]).
//!
//! The comparison runs [`SCRIPT`] on the same directories (`CSV_DIR PARQUET_DIR --tables
//! DIR [--large DIR]`). Its rows have the same format, for the engines `dask`, `pandas`
//! and `polars`, and the same query names (`csv-groupby-mean`, ..., `merge-users`,
//! `merge-large`, `sort-values`, `set-index`, `drop-duplicates`, `ltm-groupby`,
//! `ltm-merge`, `ltm-sort`); a run that failed under the script's memory limit is a row
//! with `nan` seconds, which the parser skips. [`comparison_table`] lines up the
//! queries both sides have with our thread pool's.

use std::path::{Path, PathBuf};

use super::{MeasuredRow, REPORT_ENV, bench_args, engine_table, parse_measured_rows, run_echoed};
use crate::datagen::{self, DataDirs, utf8};

/// The benchmark whose report this is, relative to the workspace root.
const BENCH_FILE: &str = "dask-dataframe/benches/dataframe.rs";

/// The environment variable naming the directory of the daily CSV files to the benchmark.
const DATA_ENV: &str = "DASK_BENCH_DATA";

/// The environment variable naming the directory of their Parquet copy.
const PARQUET_ENV: &str = "DASK_BENCH_PARQUET";

/// The environment variable naming the directory of the join tables.
const TABLES_ENV: &str = "DASK_BENCH_TABLES";

/// The environment variable naming the directory of the larger-than-memory CSV files.
const LARGE_ENV: &str = "DASK_BENCH_LARGE";

/// The Python side of the comparison, relative to the workspace root (named `dask_*` so
/// that it shadows no module; see [`super::ARRAY_SCRIPT`]).
pub(super) const SCRIPT: &str = "xtask/compare/dask_dataframe.py";

/// The columns of a dataframe report row, as its header line spells them.
const HEADER: &str = "query engine seconds peak_rss_mb";

/// Python Dask's engine in [`SCRIPT`]'s rows.
const DASK_ENGINE: &str = "dask";
/// pandas' engine in [`SCRIPT`]'s rows.
const PANDAS_ENGINE: &str = "pandas";
/// Polars' engine in [`SCRIPT`]'s rows.
const POLARS_ENGINE: &str = "polars";

/// What the report measured, and on which files.
#[derive(Debug)]
pub(super) struct Report {
    /// Our rows.
    rows: Vec<MeasuredRow>,
    /// The data the queries ran on.
    dirs: DataDirs,
    /// The larger-than-memory CSV files (or their quick stand-in), if there are any.
    large: Option<PathBuf>,
}

/// Generates the data and runs the dataframe report; `None` (after saying so) when the
/// benchmark does not exist yet.
pub(super) fn report(root: &Path, cargo: &str, quick: bool) -> Result<Option<Report>, String> {
    if !root.join(BENCH_FILE).is_file() {
        eprintln!("xtask: no {BENCH_FILE} yet: the dataframe report is skipped");
        return Ok(None);
    }
    eprintln!("xtask: dataframe report: its data first (cargo xtask datagen)");
    let dirs = datagen::run(root, quick, None)?;
    let large = if quick {
        Some(dirs.csv.clone())
    } else {
        let large = datagen::complete_large_dir(root);
        if large.is_none() {
            eprintln!(
                "xtask: no complete target/data/large-csv (`cargo xtask datagen --large` \
                 makes it, 3.7 GB): the ltm-* queries are skipped"
            );
        }
        large
    };
    eprintln!("xtask: dataframe report (one process per row, median of 3 runs)");
    let args = bench_args("dask-dataframe", "dataframe", quick);
    let env = report_env(&dirs, large.as_deref())?;
    let output = run_echoed("bench dataframe", root, Path::new(cargo), &args, &env)?;
    let rows = parse_measured_rows(&output);
    if rows.is_empty() {
        return Err(format!(
            "the dataframe report printed no result rows (expected lines `{HEADER}`)"
        ));
    }
    Ok(Some(Report { rows, dirs, large }))
}

/// The environment of the benchmark binary: report mode and where the data is
/// ([`LARGE_ENV`] only if there is a `large` directory).
fn report_env<'a>(
    dirs: &'a DataDirs,
    large: Option<&'a Path>,
) -> Result<Vec<(&'static str, &'a str)>, String> {
    let mut env = vec![
        (REPORT_ENV, "1"),
        (DATA_ENV, utf8(&dirs.csv)?),
        (PARQUET_ENV, utf8(&dirs.parquet)?),
        (TABLES_ENV, utf8(&dirs.tables)?),
    ];
    if let Some(large) = large {
        env.push((LARGE_ENV, utf8(large)?));
    }
    Ok(env)
}

/// `python` arguments running [`SCRIPT`] on the files of `dirs` (and `large`).
fn script_args<'a>(dirs: &'a DataDirs, large: Option<&'a Path>) -> Result<Vec<&'a str>, String> {
    let mut args = vec![
        SCRIPT,
        utf8(&dirs.csv)?,
        utf8(&dirs.parquet)?,
        "--tables",
        utf8(&dirs.tables)?,
    ];
    if let Some(large) = large {
        args.extend(["--large", utf8(large)?]);
    }
    Ok(args)
}

/// Runs [`SCRIPT`] on the report's files and prints its comparison with our rows.
pub(super) fn compare(root: &Path, python: &Path, ours: &Report) -> Result<(), String> {
    eprintln!("xtask: Python Dask, pandas and Polars on the dataframe queries");
    let args = script_args(&ours.dirs, ours.large.as_deref())?;
    let output = run_echoed("dataframe", root, python, &args, &[])?;
    let theirs = parse_measured_rows(&output);
    if theirs.is_empty() {
        return Err(format!("{SCRIPT} printed no result rows"));
    }
    let table = comparison_table(&ours.rows, &theirs)
        .ok_or("no dataframe query appears in both our report and Python's; nothing to compare")?;
    println!();
    print!("{table}");
    Ok(())
}

/// For each of our [`OUR_THREADS_ENGINE`] rows (in our order) whose query Python has a
/// Dask, pandas or Polars row for: an aligned table of the seconds and peak MB of ours,
/// Dask's, pandas' and Polars' (`-` for a missing one) and the ratios of Polars' and
/// Dask's times to ours. `None` when there is no such row.
fn comparison_table(ours: &[MeasuredRow], theirs: &[MeasuredRow]) -> Option<String> {
    engine_table(
        "query",
        ours,
        theirs,
        &[
            ("Dask", DASK_ENGINE),
            ("pandas", PANDAS_ENGINE),
            ("Polars", POLARS_ENGINE),
        ],
        &[("Polars", POLARS_ENGINE), ("Dask", DASK_ENGINE)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(query: &str, engine: &str, seconds: f64, peak_mb: f64) -> MeasuredRow {
        MeasuredRow {
            workload: query.to_string(),
            engine: engine.to_string(),
            seconds,
            peak_mb,
        }
    }

    fn dirs() -> DataDirs {
        DataDirs {
            csv: PathBuf::from("/w/target/data/daily-csv-quick"),
            parquet: PathBuf::from("/w/target/data/daily-parquet-quick"),
            tables: PathBuf::from("/w/target/data/tables-quick"),
        }
    }

    #[test]
    fn the_benchmark_is_told_where_the_data_is() {
        let dirs = dirs();
        let base = [
            ("DASK_BENCH_REPORT", "1"),
            ("DASK_BENCH_DATA", "/w/target/data/daily-csv-quick"),
            ("DASK_BENCH_PARQUET", "/w/target/data/daily-parquet-quick"),
            ("DASK_BENCH_TABLES", "/w/target/data/tables-quick"),
        ];
        assert_eq!(report_env(&dirs, None).unwrap(), base);
        let large = Path::new("/w/target/data/large-csv");
        let with_large = report_env(&dirs, Some(large)).unwrap();
        assert_eq!(with_large[..4], base);
        assert_eq!(
            with_large[4..],
            [("DASK_BENCH_LARGE", "/w/target/data/large-csv")]
        );
        assert_eq!(
            bench_args("dask-dataframe", "dataframe", true),
            [
                "bench",
                "--package",
                "dask-dataframe",
                "--bench",
                "dataframe",
                "--",
                "--quick"
            ]
        );
    }

    #[test]
    fn the_script_gets_every_directory() {
        let dirs = dirs();
        let base = [
            "xtask/compare/dask_dataframe.py",
            "/w/target/data/daily-csv-quick",
            "/w/target/data/daily-parquet-quick",
            "--tables",
            "/w/target/data/tables-quick",
        ];
        assert_eq!(script_args(&dirs, None).unwrap(), base);
        let with_large = script_args(&dirs, Some(&dirs.csv)).unwrap();
        assert_eq!(with_large[..5], base);
        assert_eq!(
            with_large[5..],
            ["--large", "/w/target/data/daily-csv-quick"]
        );
    }

    #[test]
    fn parses_the_rows_of_the_dataframe_report_and_skips_everything_else() {
        // The layout asked of dask-dataframe/benches/dataframe.rs, with noise around it.
        let report = "\
   Compiling dask-dataframe v0.1.0 (/work/main/dask-dataframe)
# data: /w/target/data/daily-csv-quick (12 files), parquet: none
query                  engine            seconds  peak_rss_mb
csv-groupby-mean       dask-rs-threads    0.1400         55.2
csv-groupby-mean       dask-rs-sync       0.2500         41.0
# parquet-groupby-mean skipped: no /w/target/data/daily-parquet-quick
csv-filter-agg         dask-rs-threads    fast           60.0
csv-filter-agg         dask-rs-threads    0.1200
  csv-filter-agg       dask-rs-threads    1.2e-1         60  \r
";
        assert_eq!(
            parse_measured_rows(report),
            [
                row("csv-groupby-mean", "dask-rs-threads", 0.14, 55.2),
                row("csv-groupby-mean", "dask-rs-sync", 0.25, 41.0),
                row("csv-filter-agg", "dask-rs-threads", 0.12, 60.0),
            ]
        );
        assert!(parse_measured_rows(HEADER).is_empty());
    }

    #[test]
    fn the_script_prints_rows_we_parse() {
        // The exact layout `xtask/compare/dask_dataframe.py` printed on the quick data.
        let python = "\
# dask 2026.8.0, pandas 3.1.1, polars 2.1.0, pyarrow 26.0.1, python 3.11.7: 12 CSV files; dask = compute(scheduler='threads', num_workers=2); median of 3 after a first run, one process per row
query                  engine    seconds    peak_rss_mb
csv-groupby-mean       dask      0.2668     198.0
csv-groupby-mean       pandas    0.1652     274.2
csv-groupby-mean       polars    0.0576     149.3
parquet-filter-agg     polars    0.0098     84.9
# parquet-filter-agg: rows counted 600170 (dask, pandas, polars agree)
merge-users            polars    0.0870     196.7
ltm-sort               dask      nan        1079.1
# ltm-sort dask: killed by the OOM killer (SIGKILL) at the 1024 MiB limit (cgroup v1), 37 s after it started
ltm-sort               polars    71.2946    871.6
";
        assert_eq!(
            parse_measured_rows(python),
            [
                row("csv-groupby-mean", "dask", 0.2668, 198.0),
                row("csv-groupby-mean", "pandas", 0.1652, 274.2),
                row("csv-groupby-mean", "polars", 0.0576, 149.3),
                row("parquet-filter-agg", "polars", 0.0098, 84.9),
                row("merge-users", "polars", 0.087, 196.7),
                // A run killed under the memory limit has no figure: no row.
                row("ltm-sort", "polars", 71.2946, 871.6),
            ]
        );
    }

    #[test]
    fn compares_our_thread_pool_with_each_engine_in_our_order() {
        let ours = [
            row("csv-groupby-mean", "dask-rs-threads", 0.5, 60.0),
            row("csv-groupby-mean", "dask-rs-sync", 0.9, 40.0),
            row("csv-filter-agg", "dask-rs-threads", 0.25, 55.5),
            row("parquet-groupby-mean", "dask-rs-threads", 0.1, 30.0),
            row("parquet-filter-agg", "dask-rs-threads", 0.08, 28.0),
        ];
        let theirs = [
            row("csv-filter-agg", "polars", 0.0554, 140.6),
            row("csv-groupby-mean", "pandas", 0.1652, 274.2),
            row("csv-groupby-mean", "dask", 0.2668, 198.0),
            row("csv-groupby-mean", "polars", 0.0576, 149.3),
            row("csv-filter-agg", "dask", 0.2603, 213.9),
            row("csv-filter-agg", "pandas", 0.1855, 324.2),
            row("parquet-groupby-mean", "pandas", 0.1045, 288.2),
            row("normal-mean-2e8", "dask", 1.0, 1.0),
        ];
        let table = comparison_table(&ours, &theirs).unwrap();
        let expected = "\
query                 ours s  ours MB  Dask s  Dask MB  pandas s  pandas MB  Polars s  Polars MB  Polars/ours  Dask/ours
csv-groupby-mean       0.500     60.0   0.267      198     0.165        274     0.058        149        0.12x      0.53x
csv-filter-agg         0.250     55.5   0.260      214     0.185        324     0.055        141        0.22x       1.0x
parquet-groupby-mean   0.100     30.0       -        -     0.104        288         -          -            -          -
";
        assert_eq!(table, expected, "\n{table}");
    }

    #[test]
    fn no_comparison_without_python_rows_for_our_thread_pool() {
        let ours = [
            row("csv-groupby-mean", "dask-rs-sync", 0.9, 40.0),
            row("parquet-filter-agg", "dask-rs-threads", 0.08, 28.0),
        ];
        let theirs = [
            row("csv-groupby-mean", "dask", 0.2668, 198.0),
            row("parquet-filter-agg", "numpy", 1.0, 1.0),
        ];
        assert_eq!(comparison_table(&ours, &theirs), None);
        assert_eq!(comparison_table(&[], &theirs), None);
        assert_eq!(comparison_table(&ours, &[]), None);
    }
}
