"""Python Dask, pandas and Polars on the queries of our dataframe benchmark, for comparison.

Run with a virtual environment that has them (`cargo xtask bench --compare` creates one):
    python3 -m venv target/pyref
    target/pyref/bin/pip install "dask[array,dataframe]" pandas polars pyarrow
    cargo xtask datagen --quick
    target/pyref/bin/python xtask/compare/dask_dataframe.py --quick
    target/pyref/bin/python xtask/compare/dask_dataframe.py CSV_DIR PARQUET_DIR \\
        [--tables DIR] [--large DIR] [--queries Q,Q,...] [--engines E,E,...] \\
        [--memory-limit-mb MB]

Inputs (all made by `cargo xtask datagen`; see xtask/src/datagen.rs):

* CSV_DIR: the daily CSV files (`*.csv`, columns `id,user_id,name,value,timestamp`);
* PARQUET_DIR: their Parquet copy (`*.parquet`, searched recursively; `timestamp` is a
  timestamp column there, parsed by dask-dataframe's to_parquet example);
* `--tables DIR`: the join tables: `users.csv` (`user_id,country,signup_year`, 10,000
  rows), `left-*/*.csv` (`id,a`) and `right-*/*.csv` (`id,b`), `ids-*/*.csv`
  (`id,score`), one directory of each;
* `--large DIR`: the larger-than-memory CSV files (`cargo xtask datagen --large` makes
  target/data/large-csv: 76.65M rows, 3.7 GB; same columns as the daily files); used
  only once complete, that is once its `_MANIFEST` (written last) is there.

Defaults: with `--quick`, target/data/daily-csv-quick, daily-parquet-quick and
tables-quick, and the quick daily CSV files stand in for the large set (so that every
query runs, small); without it, target/data/daily-csv, daily-parquet, tables and
large-csv. A query whose input is missing is skipped with a note on stderr.

Queries (each reads its files, computes the result in full and takes its length):

* `csv-groupby-mean`: the mean of `value` per `user_id` over every CSV file;
* `csv-filter-agg`: the rows with `value > 0`, grouped by `name`: their count and the
  sum of their `value`;
* `parquet-groupby-mean`, `parquet-filter-agg`: the same over the Parquet files;
* `merge-users`: the daily Parquet files inner-merged with `users.csv` on `user_id` (a
  broadcast merge: users is one small partition); every daily row matches once;
* `merge-large`: `left` inner-merged with `right` on `id` (two 10M-row tables in 10
  files each; 3,333,334 rows match);
* `sort-values`: the daily Parquet files sorted by `value`;
* `set-index`: the daily Parquet files indexed by `timestamp`: Dask's
  `set_index("timestamp")`, which sorts by it; pandas `set_index("timestamp")
  .sort_index()`; Polars (which has no index) `sort("timestamp")`. The timestamps are
  the Parquet copy's timestamp column (not strings), the same values for every engine;
* `drop-duplicates`: the daily Parquet files with one row per (`user_id`, `name`):
  `drop_duplicates(subset=["user_id", "name"])` (Polars: `unique(subset=...,
  keep="first")`);
* `ltm-groupby`: the large CSV files grouped by `id` (unique: one group per row), the
  sum of `value`; Dask with `split_out=True` (its own choice of output partitions);
* `ltm-merge`: the large CSV files inner-merged with the `ids` table on `id` (every id
  of the table is in them once: as many rows as the table);
* `ltm-sort`: the large CSV files sorted by `value`.

The `ltm-*` (larger-than-memory) queries run under a memory limit of MEMORY_LIMIT_MB
(1 GiB; `--memory-limit-mb` changes it) for their child process (see "Memory limit" below), and pandas, which can only
work in memory, skips them.

Engines:

* `dask`: `dask.dataframe.read_csv(files)` with its default blocksize, or `read_parquet`
  of the files, computed with `scheduler="threads", num_workers=2` (this machine has
  two cores). The group-bys compute their (small) result with `.compute()`; every other
  query computes each partition of its result in full and keeps only its length
  (`.map_partitions(len).compute().sum()`), so that the result is never gathered into
  one frame (which a larger-than-memory result could not be); the sorts also check
  that each partition is sorted;
* `pandas`: `pandas.read_csv` (or `read_parquet`) of every file, `pandas.concat`, then
  the query;
* `polars`: `polars.scan_csv(files)` (or `scan_parquet`), the lazy query and
  `.collect()` of the whole result (not a `select(pl.len())`, which Polars' optimizer
  could answer without sorting or joining), on Polars' own thread pool (one thread per
  core). For the `ltm-*` queries, the streaming engine instead hands the result to
  `sink_batches` batch by batch, which only counts the rows: the counterpart of Dask's
  per-partition lengths. The sort's batches are asked for in order (`maintain_order=True`)
  and checked to be sorted, within and across batches: without that, Polars is free to
  skip the sort (and does: 7.5 s and 182 MB instead of 76 s and 868 MB for the full
  set).

What is timed: the whole query, end to end, with `time.perf_counter` -- reading the files,
computing the result and taking its length. Importing the engine is not timed. Every
engine's results are cross-checked: the number of groups of a group-by mean, the total
count of a filter-agg and the number of rows of every other query must agree between
engines (the script exits with an error otherwise).

Runs: every (query, engine) pair runs in a fresh child process (this script with
`--child`), which imports only its engine. The child runs the query once untimed (which
also brings the files into the page cache); if that first run took over 60 s it is the
figure, otherwise the median of 3 further runs is.

Memory: `peak_rss_mb` is the child's own peak resident set size (`ru_maxrss` of
`getrusage(RUSAGE_SELF)`, in MiB) over all its runs: the interpreter with the engine
loaded plus everything the query allocates. For a child that did not finish, it is the
`ru_maxrss` that `os.wait4` reports for it. Under a cgroup limit it can exceed the limit
somewhat: pages of files (the engine's shared libraries, say) already in the page cache
stay charged to the cgroup that first read them, yet count in the child's RSS.

Memory limit (the `ltm-*` queries): the first of these that works here is used, and
the header line says which:

1. a cgroup v2 child of this process's own cgroup with `memory.max` = the limit and
   `memory.swap.max` = 0 (needs the memory controller enabled for it);
2. a cgroup v1 child of this process's own memory cgroup with
   `memory.limit_in_bytes` = the limit (and `memory.memsw.limit_in_bytes` too where
   swap is accounted). Works when running as root with the v1 memory hierarchy mounted
   at /sys/fs/cgroup/memory, as in our container. The kernel's OOM killer ends the child
   (SIGKILL) when reclaiming page cache cannot keep it under the limit; page cache
   counts towards the limit but is reclaimed first, so the limit is effectively on the
   child's resident memory.
3. otherwise `RLIMIT_AS` (address space) of RLIMIT_AS_MB = 4 GiB: a weak stand-in (an
   address-space limit is not a memory limit: allocators and thread stacks reserve far
   more address space than they use, and an over-limit allocation fails with a
   MemoryError or an abort instead of the process being killed).

RLIMIT_RSS does nothing on Linux. The child enters its cgroup before `exec` (a
`preexec_fn`), and each child gets a fresh cgroup, removed after it exits. A child that
does not finish under the limit is reported, not treated as an error: a row with `nan`
seconds (which `cargo xtask bench` skips) and a `#` note saying how it ended (killed by
the OOM killer, MemoryError, or another failure with its exit status).

Output: one whitespace-separated row per query and engine after a header; notes are `#`
comment lines (among them, after each query's rows, the cross-checked figure):

    query                  engine    seconds    peak_rss_mb
    csv-groupby-mean       dask      1.2345     123.4
    ltm-sort               dask      nan        1010.2
    # ltm-sort dask: killed by the OOM killer (SIGKILL) at the 1024 MiB limit (cgroup v1), 41 s after it started
    ltm-sort               polars    81.2345    950.3
    # ltm-sort: rows 76650000 (polars only)
"""
import argparse
import gc
import glob
import importlib.metadata
import json
import os
import resource
import signal
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

MEMORY_LIMIT_MB = 1024
"""The memory limit of an `ltm-*` child (a cgroup's), in MiB; `--memory-limit-mb`
changes it."""

RLIMIT_AS_MB = 4096
"""The address-space limit of an `ltm-*` child when no cgroup can be made, in MiB."""

EXIT_MEMORY_ERROR = 3
"""A child's exit status when its query raised MemoryError."""

ENGINES = ["dask", "pandas", "polars"]

QUERIES = {
    # name: (inputs, operation). Inputs: "csv" the daily CSV files, "parquet" their
    # Parquet copy, "users" users.csv, "left"/"right"/"ids" the split tables, "large"
    # the larger-than-memory CSV files.
    "csv-groupby-mean": (["csv"], "groupby-mean"),
    "csv-filter-agg": (["csv"], "filter-agg"),
    "parquet-groupby-mean": (["parquet"], "groupby-mean"),
    "parquet-filter-agg": (["parquet"], "filter-agg"),
    "merge-users": (["parquet", "users"], "merge-users"),
    "merge-large": (["left", "right"], "merge"),
    "sort-values": (["parquet"], "sort-values"),
    "set-index": (["parquet"], "set-index"),
    "drop-duplicates": (["parquet"], "drop-duplicates"),
    "ltm-groupby": (["large"], "groupby-id"),
    "ltm-merge": (["large", "ids"], "merge"),
    "ltm-sort": (["large"], "sort-values"),
}

LIMITED_PREFIX = "ltm-"
"""Queries named so run under the memory limit, and not on pandas."""


def limited(query):
    return query.startswith(LIMITED_PREFIX)


def engines_for(query, engines):
    return [e for e in engines if not (limited(query) and e == "pandas")]


# ---------------------------------------------------------------------------------------
# The inputs.


def csv_files(csv_dir):
    return sorted(glob.glob(os.path.join(csv_dir, "*.csv")))


def parquet_files(parquet_dir):
    pattern = os.path.join(parquet_dir, "**", "*.parquet")
    return sorted(glob.glob(pattern, recursive=True))


def table_dir(tables_dir, prefix):
    """The one directory `prefix-*` in `tables_dir` (`left-10m`), or None."""
    found = sorted(d for d in glob.glob(os.path.join(tables_dir, f"{prefix}-*")) if os.path.isdir(d))
    return found[0] if len(found) == 1 else None


def find_inputs(dirs):
    """input name -> list of files, for each input whose files exist."""
    found = {}
    if dirs.get("csv") and csv_files(dirs["csv"]):
        found["csv"] = csv_files(dirs["csv"])
    if dirs.get("parquet") and os.path.isdir(dirs["parquet"]) and parquet_files(dirs["parquet"]):
        found["parquet"] = parquet_files(dirs["parquet"])
    tables = dirs.get("tables")
    if tables and os.path.isfile(os.path.join(tables, "users.csv")):
        found["users"] = [os.path.join(tables, "users.csv")]
    for name in ["left", "right", "ids"]:
        directory = table_dir(tables, name) if tables else None
        if directory and csv_files(directory):
            found[name] = csv_files(directory)
    # Only a complete set: `cargo xtask datagen` writes the manifest after the files.
    large = dirs.get("large")
    if large and os.path.isfile(os.path.join(large, "_MANIFEST")) and csv_files(large):
        found["large"] = csv_files(large)
    return found


# ---------------------------------------------------------------------------------------
# The queries, one function per engine. Each returns (rows of the result, check), where
# `check` is the figure the engines must agree on: the number of groups of a group-by
# mean, the total count of a filter-agg, the number of rows of anything else.


def dask_length(frame, check=None):
    """Computes every partition of the Dask `frame` in full (checking each with `check`,
    if given) and sums their lengths; the result is never gathered."""

    def length(part):
        if check is not None:
            check(part)
        return len(part)

    return int(frame.map_partitions(length, meta=(None, "int64")).compute(
        scheduler="threads", num_workers=WORKERS).sum())


def sorted_by(column):
    def check(part):
        if not part[column].is_monotonic_increasing:
            raise AssertionError(f"a partition is not sorted by {column}")

    return check


def index_sorted(part):
    if not part.index.is_monotonic_increasing:
        raise AssertionError("a partition's index is not sorted")


def run_dask(operation, inputs):
    import dask.dataframe as dd

    if "csv" in inputs:
        df = dd.read_csv(inputs["csv"])
    elif "parquet" in inputs:
        df = dd.read_parquet(inputs["parquet"])
    elif "large" in inputs:
        df = dd.read_csv(inputs["large"])
    else:
        df = None
    compute = {"scheduler": "threads", "num_workers": WORKERS}
    if operation == "groupby-mean":
        result = df.groupby("user_id")["value"].mean().compute(**compute)
        return len(result), check_of(operation, result)
    if operation == "filter-agg":
        lazy = df[df["value"] > 0].groupby("name")["value"].agg(["count", "sum"])
        result = lazy.compute(**compute)
        return len(result), check_of(operation, result)
    if operation == "merge-users":
        n = dask_length(df.merge(dd.read_csv(inputs["users"]), on="user_id", how="inner"))
    elif operation == "merge":
        if "large" in inputs:
            left, right = df, dd.read_csv(inputs["ids"])
        else:
            left, right = dd.read_csv(inputs["left"]), dd.read_csv(inputs["right"])
        n = dask_length(left.merge(right, on="id", how="inner"))
    elif operation == "sort-values":
        n = dask_length(df.sort_values("value"), sorted_by("value"))
    elif operation == "set-index":
        n = dask_length(df.set_index("timestamp"), index_sorted)
    elif operation == "drop-duplicates":
        n = dask_length(df.drop_duplicates(subset=["user_id", "name"]))
    elif operation == "groupby-id":
        n = dask_length(df.groupby("id")["value"].sum(split_out=True))
    else:
        raise ValueError(operation)
    return n, n


def run_pandas(operation, inputs):
    import pandas as pd

    def read_all(files):
        read = pd.read_parquet if files[0].endswith(".parquet") else pd.read_csv
        return pd.concat([read(path) for path in files], ignore_index=True)

    main = inputs.get("csv") or inputs.get("parquet")
    df = read_all(main) if main else None
    if operation == "groupby-mean":
        result = df.groupby("user_id")["value"].mean()
        return len(result), check_of(operation, result)
    if operation == "filter-agg":
        result = df[df["value"] > 0].groupby("name")["value"].agg(["count", "sum"])
        return len(result), check_of(operation, result)
    if operation == "merge-users":
        result = df.merge(pd.read_csv(inputs["users"][0]), on="user_id", how="inner")
    elif operation == "merge":
        result = read_all(inputs["left"]).merge(read_all(inputs["right"]), on="id", how="inner")
    elif operation == "sort-values":
        result = df.sort_values("value")
    elif operation == "set-index":
        result = df.set_index("timestamp").sort_index()
    elif operation == "drop-duplicates":
        result = df.drop_duplicates(subset=["user_id", "name"])
    else:
        raise ValueError(f"pandas does not run {operation}")
    return len(result), len(result)


def run_polars(operation, inputs):
    import polars as pl

    if "csv" in inputs:
        lf = pl.scan_csv(inputs["csv"])
    elif "parquet" in inputs:
        lf = pl.scan_parquet(inputs["parquet"])
    elif "large" in inputs:
        lf = pl.scan_csv(inputs["large"])
    else:
        lf = None
    if operation == "groupby-mean":
        result = lf.group_by("user_id").agg(pl.col("value").mean()).collect()
        return len(result), len(result)
    if operation == "filter-agg":
        result = (
            lf.filter(pl.col("value") > 0)
            .group_by("name")
            .agg(pl.col("value").count().alias("count"), pl.col("value").sum().alias("sum"))
            .collect()
        )
        return len(result), int(result["count"].sum())
    if operation == "merge-users":
        lazy = lf.join(pl.scan_csv(inputs["users"]), on="user_id", how="inner")
    elif operation == "merge":
        if "large" in inputs:
            left, right = lf, pl.scan_csv(inputs["ids"])
        else:
            left, right = pl.scan_csv(inputs["left"]), pl.scan_csv(inputs["right"])
        lazy = left.join(right, on="id", how="inner")
    elif operation == "sort-values":
        lazy = lf.sort("value")
    elif operation == "set-index":
        lazy = lf.sort("timestamp")
    elif operation == "drop-duplicates":
        lazy = lf.unique(subset=["user_id", "name"], keep="first")
    elif operation == "groupby-id":
        lazy = lf.group_by("id").agg(pl.col("value").sum())
    else:
        raise ValueError(operation)
    if "large" in inputs:
        # Streamed: each batch of the result is counted and dropped. A sort's batches
        # must come in order (else Polars may skip sorting) and are checked.
        ordered = operation == "sort-values"
        state = {"rows": 0, "last": None}

        def add(batch):
            state["rows"] += len(batch)
            if ordered and len(batch):
                values = batch["value"]
                if not values.is_sorted() or (state["last"] is not None and values[0] < state["last"]):
                    raise AssertionError("the batches are not sorted by value")
                state["last"] = values[-1]

        lazy.sink_batches(add, maintain_order=ordered, engine="streaming")
        return state["rows"], state["rows"]
    result = lazy.collect()
    if operation == "sort-values" and not result["value"].is_sorted():
        raise AssertionError("not sorted by value")
    return len(result), len(result)


def check_of(operation, result):
    """The cross-checked figure of a pandas-like group-by result."""
    if operation == "filter-agg":
        return int(result["count"].sum())
    return len(result)


RUNNERS = {"dask": run_dask, "pandas": run_pandas, "polars": run_polars}


# ---------------------------------------------------------------------------------------
# The child: one query on one engine.


def peak_rss_mb():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_run(runner, operation, inputs):
    gc.collect()
    start = time.perf_counter()
    rows, check = runner(operation, inputs)
    elapsed = time.perf_counter() - start
    if rows <= 0:
        sys.exit(f"empty result ({rows} rows)")
    return elapsed, check


def child(query, engine, dirs_json):
    """Times `query` on `engine` over the inputs found in the directories `dirs_json`
    names and prints `seconds peak_rss_mb check`."""
    names, operation = QUERIES[query]
    found = find_inputs(json.loads(dirs_json))
    missing = [n for n in names if n not in found]
    if missing:
        sys.exit(f"{query}: no files for {', '.join(missing)}")
    inputs = {n: found[n] for n in names}
    runner = RUNNERS[engine]
    try:
        first, check = timed_run(runner, operation, inputs)
        if first > SINGLE_RUN_ABOVE:
            seconds = first
        else:
            timed = [timed_run(runner, operation, inputs)[0] for _ in range(RUNS)]
            seconds = statistics.median(timed)
    except MemoryError as e:
        print(f"{query} {engine}: MemoryError: {e}", file=sys.stderr, flush=True)
        sys.exit(EXIT_MEMORY_ERROR)
    print(f"{seconds:.6f} {peak_rss_mb():.1f} {check}", flush=True)


# ---------------------------------------------------------------------------------------
# The memory limit of the ltm-* children.


def own_cgroup(version):
    """This process's cgroup path for `version` ("v2": the `0::` line, "v1": the memory
    controller's line) from /proc/self/cgroup, or None."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if version == "v2" and parts[0] == "0" and parts[1] == "":
            return parts[2]
        if version == "v1" and "memory" in parts[1].split(","):
            return parts[2]
    return None


def cgroup_mounts():
    """(cgroup2 mount point or None, cgroup v1 memory mount point or None)."""
    v2 = v1 = None
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) < 4:
                    continue
                if fields[2] == "cgroup2" and v2 is None:
                    v2 = fields[1]
                elif fields[2] == "cgroup" and "memory" in fields[3].split(","):
                    v1 = fields[1]
    except OSError:
        pass
    return v2, v1


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


class MemoryLimit:
    """How the ltm-* children are held to MEMORY_LIMIT_MB: `kind` is "cgroup v2",
    "cgroup v1" or "RLIMIT_AS"; `start()` makes a fresh cgroup for one child (if any)
    and returns its preexec_fn; `finish()` removes it and says whether the OOM killer
    struck."""

    def __init__(self, limit_mb=MEMORY_LIMIT_MB):
        self.limit_mb = limit_mb
        self.limit = limit_mb << 20
        self.parent = None
        self.kind = "RLIMIT_AS"
        self.count = 0
        self.current = None
        v2_mount, v1_mount = cgroup_mounts()
        for kind, mount in [("cgroup v2", v2_mount), ("cgroup v1", v1_mount)]:
            own = own_cgroup(kind.split()[1])
            if mount is None or own is None:
                continue
            parent = os.path.join(mount, own.lstrip("/"))
            self.kind, self.parent = kind, parent
            try:
                probe = self.make_cgroup()
            except OSError:
                self.kind, self.parent = "RLIMIT_AS", None
                continue
            os.rmdir(probe)
            break

    def make_cgroup(self):
        """A fresh cgroup under the parent with the limit set; its path."""
        self.count += 1
        path = os.path.join(self.parent, f"dask-dataframe-py-{os.getpid()}-{self.count}")
        os.mkdir(path)
        try:
            if self.kind == "cgroup v2":
                if "memory" not in read(os.path.join(path, "cgroup.controllers")).split():
                    # Enabling it below our own cgroup fails while we are in it, as we are.
                    write(os.path.join(self.parent, "cgroup.subtree_control"), "+memory")
                write(os.path.join(path, "memory.max"), str(self.limit))
                if os.path.exists(os.path.join(path, "memory.swap.max")):
                    write(os.path.join(path, "memory.swap.max"), "0")
            else:
                write(os.path.join(path, "memory.limit_in_bytes"), str(self.limit))
                memsw = os.path.join(path, "memory.memsw.limit_in_bytes")
                if os.path.exists(memsw):
                    write(memsw, str(self.limit))
        except OSError:
            os.rmdir(path)
            raise
        return path

    def describe(self):
        if self.kind == "RLIMIT_AS":
            return (f"RLIMIT_AS = {RLIMIT_AS_MB} MiB of address space (no usable memory cgroup; "
                    f"a weak stand-in for a {self.limit_mb} MiB memory limit)")
        setting = "memory.max" if self.kind == "cgroup v2" else "memory.limit_in_bytes"
        return f"a {self.kind} child cgroup with {setting} = {self.limit_mb} MiB"

    def start(self):
        if self.kind == "RLIMIT_AS":
            limit = RLIMIT_AS_MB << 20

            def preexec():
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

            return preexec
        self.current = self.make_cgroup()
        procs = os.path.join(self.current, "cgroup.procs")

        def enter():
            write(procs, str(os.getpid()))

        return enter

    def finish(self):
        """Removes the child's cgroup; how many OOM kills it saw."""
        if self.current is None:
            return 0
        path, self.current = self.current, None
        name = "memory.events" if self.kind == "cgroup v2" else "memory.oom_control"
        kills = 0
        for line in read(os.path.join(path, name)).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                kills = int(value)
        for _ in range(50):
            try:
                os.rmdir(path)
                break
            except OSError:
                time.sleep(0.1)
        return kills


# ---------------------------------------------------------------------------------------
# The parent: every query and engine, each in a child process.


def emit(line):
    # Flushed at once: xtask reads this through a pipe and echoes it as it comes.
    print(line, flush=True)


def note(line):
    print(line, file=sys.stderr, flush=True)


def row(query, engine, seconds, mb):
    return f"{query:<22} {engine:<9} {seconds:<10} {mb:.1f}"


def run_child(query, engine, dirs, limit):
    """Runs one child; (exit code or -signal, its stdout, its ru_maxrss in MiB, OOM
    kills of its cgroup, its wall time in seconds)."""
    argv = [sys.executable, os.path.abspath(__file__), "--child", query, engine, json.dumps(dirs)]
    preexec = limit.start() if limited(query) else None
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, preexec_fn=preexec)
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
    finally:
        kills = limit.finish() if limited(query) else 0
    return code, out, usage.ru_maxrss / 1024, kills, time.perf_counter() - start


def outcome(code, kills, limit):
    """How a child under the memory limit that did not finish ended, in words."""
    if code == EXIT_MEMORY_ERROR:
        return f"MemoryError under {limit.describe()}"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if code == -signal.SIGKILL and (kills or limit.kind != "RLIMIT_AS"):
            return f"killed by the OOM killer ({name}) at the {limit.limit_mb} MiB limit ({limit.kind})"
        return f"killed by {name} under {limit.describe()}"
    return f"failed with exit status {code} under {limit.describe()}"


def measure(query, engine, dirs, limit):
    """(row text, check or None, note or None) for `query` on `engine`."""
    code, out, waited_mb, kills, wall = run_child(query, engine, dirs, limit)
    if code == 0:
        seconds, mb, check = out.split()[-3:]
        return row(query, engine, f"{float(seconds):.4f}", float(mb)), int(check), None
    if not limited(query):
        sys.exit(f"{query} on {engine} failed (exit status {code})")
    ended = f"{outcome(code, kills, limit)}, {wall:.0f} s after it started"
    return row(query, engine, "nan", waited_mb), None, f"# {query} {engine}: {ended}"


def what_is_checked(query):
    operation = QUERIES[query][1]
    if operation == "groupby-mean":
        return "groups"
    if operation == "filter-agg":
        return "rows counted"
    return "rows"


def version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def default_dirs(quick):
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    suffix = "-quick" if quick else ""
    data = os.path.join(root, "target", "data")
    return {
        "csv": os.path.join(data, f"daily-csv{suffix}"),
        "parquet": os.path.join(data, f"daily-parquet{suffix}"),
        "tables": os.path.join(data, f"tables{suffix}"),
        # The quick daily files stand in for the large set with --quick.
        "large": os.path.join(data, "daily-csv-quick" if quick else "large-csv"),
    }


def names(text, known, what):
    chosen = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in known]
    if unknown:
        sys.exit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv_dir", nargs="?", metavar="CSV_DIR")
    parser.add_argument("parquet_dir", nargs="?", metavar="PARQUET_DIR")
    parser.add_argument("--tables", metavar="DIR", help="the join tables' directory")
    parser.add_argument("--large", metavar="DIR", help="the larger-than-memory CSV files")
    parser.add_argument(
        "--quick", action="store_true", help="default to the quick data set's directories"
    )
    parser.add_argument("--queries", metavar="Q,Q", help="run only these queries")
    parser.add_argument("--engines", metavar="E,E", help="run only these engines")
    parser.add_argument(
        "--memory-limit-mb", type=int, default=MEMORY_LIMIT_MB, metavar="MB",
        help=f"the memory limit of the ltm-* queries (default {MEMORY_LIMIT_MB})",
    )
    parser.add_argument("--child", nargs=3, metavar=("QUERY", "ENGINE", "DIRS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    dirs = default_dirs(args.quick)
    for key, given in [("csv", args.csv_dir), ("parquet", args.parquet_dir),
                       ("tables", args.tables), ("large", args.large)]:
        if given:
            dirs[key] = os.path.abspath(given)
    queries = names(args.queries, list(QUERIES), "queries") if args.queries else list(QUERIES)
    engines = names(args.engines, ENGINES, "engines") if args.engines else ENGINES
    found = find_inputs(dirs)
    if "csv" not in found and any("csv" in QUERIES[q][0] for q in queries):
        sys.exit(f"no *.csv files in {dirs['csv']}; run `cargo xtask datagen` first")
    runnable = []
    for query in queries:
        missing = [n for n in QUERIES[query][0] if n not in found]
        if missing:
            where = {"users": "tables", "left": "tables", "right": "tables", "ids": "tables"}
            places = sorted({dirs[where.get(n, n)] for n in missing})
            note(f"dask_dataframe.py: {query} skipped: no {', '.join(missing)} files in {', '.join(places)}")
        else:
            runnable.append(query)
    if any(limited(q) for q in runnable):
        limit = MemoryLimit(args.memory_limit_mb)
    else:
        limit = None

    versions = ", ".join(f"{p} {version(p)}" for p in ["dask", "pandas", "polars", "pyarrow"])
    counts = ", ".join(f"{len(found[k])} {label}" for k, label in
                       [("csv", "CSV files"), ("parquet", "Parquet files"), ("large", "large CSV files")]
                       if k in found)
    emit(
        f"# {versions}, python {sys.version.split()[0]}: {counts}; "
        f"dask = compute(scheduler='threads', num_workers={WORKERS}); median of {RUNS} "
        f"after a first run, one process per row"
    )
    if limit is not None:
        emit(f"# ltm-* queries: each child under {limit.describe()}; pandas skips them "
             f"(in memory only)")
    emit(f"{'query':<22} {'engine':<9} {'seconds':<10} peak_rss_mb")
    mismatches = []
    for query in runnable:
        checks = {}
        for engine in engines_for(query, engines):
            text, check, outcome_note = measure(query, engine, dirs, limit)
            emit(text)
            if outcome_note:
                emit(outcome_note)
            if check is not None:
                checks[engine] = check
        if len(set(checks.values())) > 1:
            mismatches.append(f"{query}: {checks}")
        elif checks:
            agree = ", ".join(checks) + (" agree" if len(checks) > 1 else " only")
            emit(f"# {query}: {what_is_checked(query)} {next(iter(checks.values()))} ({agree})")
    if mismatches:
        sys.exit("the engines disagree on the results: " + "; ".join(mismatches))


if __name__ == "__main__":
    main()
