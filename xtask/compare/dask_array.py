"""Python Dask and NumPy on the workloads of our array benchmark, for comparison.

Run with a virtual environment that has dask and numpy (`cargo xtask bench --compare`
creates one):
    python3 -m venv target/pyref && target/pyref/bin/pip install "dask[array]"
    target/pyref/bin/python xtask/compare/dask_array.py [--quick | --full]

Workloads (the same as dask-array/benches/array.rs; the sizes in brackets are --quick's):

* `normal-mean-2e8` [`normal-mean-2e7`]: the mean of N = 2e8 [2e7] normal samples
  (loc 10, scale 0.1) in chunks of 1,000,000.
* `normal-mean-2e9`: the same with N = 2e9, Dask only (NumPy would need 16 GB for the
  samples), and only with `--full`: Dask needs about 18 s per run here.
* `xxt-sum-20k` [`xxt-sum-4k`]: `x` uniform on [0, 1) of shape (20000, 20000) in
  1000 x 1000 chunks [(4000, 4000) in 500 x 500]; the sum of `x + x.T`.
* `center-std-20k` [`center-std-4k`]: the same `x`; the standard deviation (ddof 0) of
  `x - x.mean(axis=1, keepdims=True)`.

Engines:

* `dask-threads`: `dask.array` with `da.random.default_rng(42)`, computed with
  `.compute(scheduler="threads", num_workers=2)` (this machine has two cores);
* `numpy`: the same expression on whole NumPy arrays from `np.random.default_rng(42)`,
  single-threaded (e.g. `np.random.default_rng(42).normal(10, 0.1, N).mean()`).

What is timed: the whole expression, end to end, with `time.perf_counter` -- creating
the random generator, building the (lazy) arrays, generating the samples and computing
the result. Importing numpy and dask is not timed. Each result is checked against its
expected value (mean ~10, sum ~n*n, std ~sqrt(1/12)).

Runs: every (workload, engine) pair runs in a fresh child process (this script with
`--child`). The child runs the workload once; if that first run takes over 20 s it is the
figure, otherwise it counts as a warm-up and the median of 3 further runs is the figure.

Memory: `peak_rss_mb` is the child's peak resident set size (`VmHWM` in
/proc/self/status, in MiB) over the timed runs: the peak is reset (`5` written to
/proc/self/clear_refs) just before them, so it covers the interpreter with numpy and dask
loaded plus everything the timed runs allocate.

Output: one whitespace-separated row per workload and engine after a header; notes are
`#` comment lines:

    workload          engine           seconds    peak_rss_mb
    normal-mean-2e8   dask-threads     1.2345     123.4
"""
import argparse
import collections
import gc
import math
import re
import statistics
import subprocess
import sys
import time

import dask
import dask.array as da
import numpy as np

SEED = 42
"""Seed of both random generators."""

WORKERS = 2
"""Threads for Dask's threaded scheduler."""

RUNS = 3
"""Timed runs per workload after the warm-up; the median is printed."""

SINGLE_RUN_ABOVE = 20.0
"""Seconds: a first run longer than this is the only one."""

NORMAL_CHUNK = 1_000_000
"""Block length of the normal-mean workloads."""

ENGINES = ["dask-threads", "numpy"]


# ---------------------------------------------------------------------------------------
# Workloads: each engine's function computes the figure and returns it as a float.


def dask_compute(x):
    return float(x.compute(scheduler="threads", num_workers=WORKERS))


def normal_mean(engine, n):
    if engine == "numpy":
        return float(np.random.default_rng(SEED).normal(10, 0.1, n).mean())
    x = da.random.default_rng(SEED).normal(10, 0.1, size=(n,), chunks=(NORMAL_CHUNK,))
    return dask_compute(x.mean())


def uniform_square(engine, n, chunk):
    """`x`: uniform on [0, 1), shape (n, n); Dask's in (chunk, chunk) blocks."""
    if engine == "numpy":
        return np.random.default_rng(SEED).random((n, n))
    return da.random.default_rng(SEED).random((n, n), chunks=(chunk, chunk))


def xxt_sum(engine, n, chunk):
    x = uniform_square(engine, n, chunk)
    total = (x + x.T).sum()
    return float(total) if engine == "numpy" else dask_compute(total)


def center_std(engine, n, chunk):
    x = uniform_square(engine, n, chunk)
    sd = (x - x.mean(axis=1, keepdims=True)).std()
    return float(sd) if engine == "numpy" else dask_compute(sd)


def close(want, rel):
    """A check that a result is within `rel` (relative) of `want`."""
    return lambda got: math.isclose(got, want, rel_tol=rel)


Workload = collections.namedtuple("Workload", "run check engines")
"""`run(engine)` computes the figure, `check(result)` accepts it, on `engines`."""


def normal_workload(n, engines=ENGINES):
    return Workload(lambda e: normal_mean(e, n), close(10.0, 1e-3), engines)


def workloads(size):
    """name -> Workload, in report order, for `size`: quick, default or full."""
    n, side, chunk, tag = {
        "quick": (20_000_000, 4_000, 500, "4k"),
    }.get(size, (200_000_000, 20_000, 1_000, "20k"))
    table = {f"normal-mean-{n:.0e}".replace("e+0", "e"): normal_workload(n)}
    if size == "full":
        table["normal-mean-2e9"] = normal_workload(2_000_000_000, ["dask-threads"])
    table[f"xxt-sum-{tag}"] = Workload(
        lambda e: xxt_sum(e, side, chunk), close(side * side, 1e-3), ENGINES
    )
    table[f"center-std-{tag}"] = Workload(
        lambda e: center_std(e, side, chunk), close(math.sqrt(1 / 12), 1e-2), ENGINES
    )
    return table


# ---------------------------------------------------------------------------------------
# The child: one workload on one engine.


def peak_rss_mb():
    with open("/proc/self/status") as status:
        kib = re.search(r"^VmHWM:\s+(\d+) kB", status.read(), re.MULTILINE)
    return int(kib.group(1)) / 1024


def reset_peak_rss():
    # Linux: sets VmHWM to the current resident size.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def timed_run(run, check, engine):
    gc.collect()
    start = time.perf_counter()
    got = run(engine)
    elapsed = time.perf_counter() - start
    if not check(got):
        sys.exit(f"{engine}: unexpected result {got!r}")
    return elapsed


def child(name, engine):
    """Times `name` on `engine` and prints `seconds peak_rss_mb`."""
    run, check, _ = {**workloads("quick"), **workloads("full")}[name]
    reset_peak_rss()
    first = timed_run(run, check, engine)
    if first > SINGLE_RUN_ABOVE:
        seconds = first
    else:
        reset_peak_rss()
        seconds = statistics.median(timed_run(run, check, engine) for _ in range(RUNS))
    print(f"{seconds:.6f} {peak_rss_mb():.1f}", flush=True)


# ---------------------------------------------------------------------------------------
# The parent: every workload and engine, each in a child process.


def emit(line):
    # Flushed at once: xtask reads this through a pipe and echoes it as it comes.
    print(line, flush=True)


def measure(name, engine):
    """(seconds, peak_rss_mb) from a child process running `name` on `engine`."""
    argv = [sys.executable, __file__, "--child", name, engine]
    out = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True).stdout
    seconds, mb = out.split()[-2:]
    return float(seconds), float(mb)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes (2e7, 4000 x 4000)")
    size.add_argument("--full", action="store_true", help="also normal-mean-2e9 (Dask only)")
    size.add_argument("--child", nargs=2, metavar=("WORKLOAD", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    emit(
        f"# dask {dask.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}: "
        f"dask-threads = compute(scheduler='threads', num_workers={WORKERS}), numpy single-threaded; "
        f"median of {RUNS} after a warm-up, one process per row"
    )
    emit(f"{'workload':<17} {'engine':<16} {'seconds':<10} peak_rss_mb")
    size = "quick" if args.quick else "full" if args.full else "default"
    for name, workload in workloads(size).items():
        for engine in workload.engines:
            seconds, mb = measure(name, engine)
            emit(f"{name:<17} {engine:<16} {seconds:<10.4f} {mb:.1f}")
    if size == "default":
        emit("# normal-mean-2e9 skipped (about 18 s per run in Dask; pass --full)")


if __name__ == "__main__":
    main()
