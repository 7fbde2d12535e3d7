"""Python Dask, pandas and Polars on the queries of our dataframe benchmark, for comparison.

Run with a virtual environment that has them (`cargo xtask bench --compare` creates one):
    python3 -m venv target/pyref
    target/pyref/bin/pip install "dask[array,dataframe]" pandas polars pyarrow
    cargo xtask datagen --quick
    target/pyref/bin/python xtask/compare/dask_dataframe.py CSV_DIR PARQUET_DIR

CSV_DIR holds the daily CSV files of `cargo xtask datagen` (`*.csv`, columns
`id,user_id,name,value,timestamp`), PARQUET_DIR their Parquet copy (`*.parquet`, searched
recursively). Without the directories, `--quick` means target/data/daily-csv-quick and
target/data/daily-parquet-quick, and no option target/data/daily-csv and
target/data/daily-parquet. If PARQUET_DIR does not exist (or has no Parquet file) the
Parquet rows are skipped with a note on stderr.

Queries (each reads the files, computes the result in full and takes its length):

* `csv-groupby-mean`: the mean of `value` per `user_id` over every CSV file;
* `csv-filter-agg`: the rows with `value > 0`, grouped by `name`: their count and the
  sum of their `value`;
* `parquet-groupby-mean`, `parquet-filter-agg`: the same over the Parquet files.

Engines:

* `dask`: `dask.dataframe.read_csv(glob)` with its default blocksize, or `read_parquet`
  of the files, computed with `.compute(scheduler="threads", num_workers=2)` (this
  machine has two cores);
* `pandas`: `pandas.read_csv` (or `read_parquet`) of every file, `pandas.concat`, then the
  query;
* `polars`: `polars.scan_csv(glob)` (or `scan_parquet` of the files), the lazy query and
  `.collect()` (Polars' own thread pool, one thread per core).

What is timed: the whole query, end to end, with `time.perf_counter` -- reading the files,
computing the result and taking its length. Importing the engine is not timed. Every
engine's results are cross-checked: the number of groups of a group-by mean, and the
total count of a filter-agg, must agree between engines.

Runs: every (query, engine) pair runs in a fresh child process (this script with
`--child`), which imports only its engine. The child runs the query once untimed (which
also brings the files into the page cache); if that first run took over 60 s it is the
figure, otherwise the median of 3 further runs is.

Memory: `peak_rss_mb` is the child's own peak resident set size (`ru_maxrss` of
`getrusage(RUSAGE_SELF)`, in MiB) over all its runs: the interpreter with the engine
loaded plus everything the query allocates.

Output: one whitespace-separated row per query and engine after a header; notes are `#`
comment lines:

    query                  engine    seconds    peak_rss_mb
    csv-groupby-mean       dask      1.2345     123.4
"""
import argparse
import gc
import glob
import importlib.metadata
import os
import resource
import statistics
import subprocess
import sys
import time

WORKERS = 2
"""Threads for Dask's threaded scheduler."""

RUNS = 3
"""Timed runs per query after the first one; the median is printed."""

SINGLE_RUN_ABOVE = 60.0
"""Seconds: a first run longer than this is the only one."""

ENGINES = ["dask", "pandas", "polars"]

QUERIES = {
    # name: (input format, operation)
    "csv-groupby-mean": ("csv", "groupby-mean"),
    "csv-filter-agg": ("csv", "filter-agg"),
    "parquet-groupby-mean": ("parquet", "groupby-mean"),
    "parquet-filter-agg": ("parquet", "filter-agg"),
}


def csv_files(csv_dir):
    return sorted(glob.glob(os.path.join(csv_dir, "*.csv")))


def parquet_files(parquet_dir):
    pattern = os.path.join(parquet_dir, "**", "*.parquet")
    return sorted(glob.glob(pattern, recursive=True))


# ---------------------------------------------------------------------------------------
# The queries, one function per engine. Each returns (rows of the result, check), where
# `check` is the figure the engines must agree on: the number of groups of a group-by
# mean, the total count of a filter-agg.


def run_dask(fmt, operation, files):
    import dask.dataframe as dd

    if fmt == "csv":
        df = dd.read_csv(files)
    else:
        df = dd.read_parquet(files)
    if operation == "groupby-mean":
        lazy = df.groupby("user_id")["value"].mean()
    else:
        lazy = df[df["value"] > 0].groupby("name")["value"].agg(["count", "sum"])
    result = lazy.compute(scheduler="threads", num_workers=WORKERS)
    return len(result), check_of(operation, result)


def run_pandas(fmt, operation, files):
    import pandas as pd

    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    df = pd.concat([read(path) for path in files], ignore_index=True)
    if operation == "groupby-mean":
        result = df.groupby("user_id")["value"].mean()
    else:
        result = df[df["value"] > 0].groupby("name")["value"].agg(["count", "sum"])
    return len(result), check_of(operation, result)


def run_polars(fmt, operation, files):
    import polars as pl

    if fmt == "csv":
        lf = pl.scan_csv(files)
    else:
        lf = pl.scan_parquet(files)
    if operation == "groupby-mean":
        lazy = lf.group_by("user_id").agg(pl.col("value").mean())
    else:
        lazy = (
            lf.filter(pl.col("value") > 0)
            .group_by("name")
            .agg(pl.col("value").count().alias("count"), pl.col("value").sum().alias("sum"))
        )
    result = lazy.collect()
    count = int(result["count"].sum()) if operation == "filter-agg" else len(result)
    return len(result), count


def check_of(operation, result):
    """The cross-checked figure of a pandas-like result."""
    if operation == "filter-agg":
        return int(result["count"].sum())
    return len(result)


RUNNERS = {"dask": run_dask, "pandas": run_pandas, "polars": run_polars}


# ---------------------------------------------------------------------------------------
# The child: one query on one engine.


def peak_rss_mb():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_run(runner, fmt, operation, files):
    gc.collect()
    start = time.perf_counter()
    rows, check = runner(fmt, operation, files)
    elapsed = time.perf_counter() - start
    if rows <= 0:
        sys.exit(f"empty result ({rows} rows)")
    return elapsed, check


def child(query, engine, data_dir):
    """Times `query` on `engine` over the files of its format in `data_dir` and prints
    `seconds peak_rss_mb check`."""
    fmt, operation = QUERIES[query]
    files = csv_files(data_dir) if fmt == "csv" else parquet_files(data_dir)
    if not files:
        sys.exit(f"no {fmt} files in {data_dir}")
    runner = RUNNERS[engine]
    first, check = timed_run(runner, fmt, operation, files)
    if first > SINGLE_RUN_ABOVE:
        seconds = first
    else:
        timed = [timed_run(runner, fmt, operation, files)[0] for _ in range(RUNS)]
        seconds = statistics.median(timed)
    print(f"{seconds:.6f} {peak_rss_mb():.1f} {check}", flush=True)


# ---------------------------------------------------------------------------------------
# The parent: every query and engine, each in a child process.


def emit(line):
    # Flushed at once: xtask reads this through a pipe and echoes it as it comes.
    print(line, flush=True)


def note(line):
    print(line, file=sys.stderr, flush=True)


def measure(query, engine, data_dir):
    """(seconds, peak_rss_mb, check) from a child process running `query` on `engine`
    over the files in `data_dir`."""
    argv = [sys.executable, __file__, "--child", query, engine, data_dir]
    out = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True).stdout
    seconds, mb, check = out.split()[-3:]
    return float(seconds), float(mb), int(check)


def version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def default_dirs(quick):
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    suffix = "-quick" if quick else ""
    data = os.path.join(root, "target", "data")
    return os.path.join(data, f"daily-csv{suffix}"), os.path.join(data, f"daily-parquet{suffix}")


def input_files(csv_dir, parquet_dir):
    """format -> files, leaving out (with a note) a format whose files are missing."""
    files = {"csv": csv_files(csv_dir)}
    if not files["csv"]:
        sys.exit(f"no *.csv files in {csv_dir}; run `cargo xtask datagen` first")
    if not os.path.isdir(parquet_dir):
        note(f"dask_dataframe.py: no {parquet_dir}: the Parquet queries are skipped")
    elif not parquet_files(parquet_dir):
        note(f"dask_dataframe.py: no *.parquet files in {parquet_dir}: the Parquet queries are skipped")
    else:
        files["parquet"] = parquet_files(parquet_dir)
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv_dir", nargs="?", metavar="CSV_DIR")
    parser.add_argument("parquet_dir", nargs="?", metavar="PARQUET_DIR")
    parser.add_argument(
        "--quick", action="store_true", help="default to the quick data set's directories"
    )
    parser.add_argument("--child", nargs=3, metavar=("QUERY", "ENGINE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    default_csv, default_parquet = default_dirs(args.quick)
    csv_dir = args.csv_dir or default_csv
    parquet_dir = args.parquet_dir or default_parquet
    files = input_files(csv_dir, parquet_dir)

    versions = ", ".join(f"{p} {version(p)}" for p in ["dask", "pandas", "polars", "pyarrow"])
    emit(
        f"# {versions}, python {sys.version.split()[0]}: {len(files['csv'])} CSV files"
        f"{', %d Parquet files' % len(files['parquet']) if 'parquet' in files else ''}; "
        f"dask = compute(scheduler='threads', num_workers={WORKERS}); median of {RUNS} "
        f"after a first run, one process per row"
    )
    emit(f"{'query':<22} {'engine':<9} {'seconds':<10} peak_rss_mb")
    mismatches = []
    dirs = {"csv": csv_dir, "parquet": parquet_dir}
    for query, (fmt, _) in QUERIES.items():
        if fmt not in files:
            continue
        checks = {}
        for engine in ENGINES:
            seconds, mb, check = measure(query, engine, dirs[fmt])
            checks[engine] = check
            emit(f"{query:<22} {engine:<9} {seconds:<10.4f} {mb:.1f}")
        if len(set(checks.values())) > 1:
            mismatches.append(f"{query}: {checks}")
    if mismatches:
        sys.exit("the engines disagree on the results: " + "; ".join(mismatches))


if __name__ == "__main__":
    main()
