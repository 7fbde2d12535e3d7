"""Python Dask's schedulers on the workloads of our thread-pool benchmark, for comparison.

Run with a virtual environment that has dask (`cargo xtask bench --compare` creates one):
    python3 -m venv target/pyref && target/pyref/bin/pip install dask
    target/pyref/bin/python xtask/compare/dask_threads.py [--quick | --full]

What it measures: each workload is built as a raw Dask graph (a plain dict whose tasks
are tuples), then `get(dsk, root_key)` is timed end to end with `time.perf_counter` --
everything Dask does inside `get` (graph conversion, ordering, scheduling, running the
tasks) counts, building the dict does not. Two schedulers:

* `threads`: `dask.threaded.get` with `num_workers=2` (this machine has two cores);
* `sync`:    `dask.get`, Dask's single-threaded scheduler.

Workloads (the same shapes as dask-sched-threads/benches/threads.rs):

* `tree-100k`: 50,000 leaf tasks `('leaf', 0, i): (add, i)`, then a binary tree of `add`
  tasks pairing level by level (an odd one out moves up unchanged): 99,999 tasks.
* `chain-10k`: `('chain', 0): (add, 1)`, `('chain', i): (add, ('chain', i - 1), 1)`.
* `tree-1m`: the tree over 500,000 leaves, 999,999 tasks, threaded scheduler only. Dask
  needs about 100 s for it, so it runs only with `--full`.
* `cpu-64x10ms`: 64 tasks each spinning a pure-Python loop calibrated to about 10 ms,
  summed by one more task; reported as 64 tasks, so `us_per_task` is per CPU task.

Each workload runs 3 times and the median is printed (once only if a run takes over
20 s). Output is one whitespace-separated row per workload and scheduler, in the same
format as our report, after a `workload ...` header; notes are `#` comment lines:

    workload      tasks    scheduler  seconds    us_per_task
    tree-100k     99999    threads    2.1000     21.000

`tasks` is the workload's task count and `us_per_task` = seconds / tasks * 1e6.
"""
import argparse
import gc
import statistics
import sys
import time

import dask
import dask.threaded

RUNS = 3
"""Timing runs per workload; the median is printed."""

SINGLE_RUN_ABOVE = 20.0
"""Seconds: a first run longer than this is not repeated."""

WORKERS = 2
"""Threads for `dask.threaded.get`."""

CPU_TASKS = 64
CPU_TASK_SECONDS = 0.010

SCHEDULERS = {
    "threads": lambda dsk, key: dask.threaded.get(dsk, key, num_workers=WORKERS),
    "sync": lambda dsk, key: dask.get(dsk, key),
}


def add(*args):
    """The one operation of the graph workloads: the sum of its arguments."""
    return sum(args)


def spin(n):
    """Pure-Python arithmetic for `n` iterations; holds the GIL all the time."""
    x = 0
    for i in range(n):
        x = (x + i * i) % 1_000_003
    return x


# ---------------------------------------------------------------------------------------
# Graph builders: each returns (graph dict, root key, expected result).


def tree(leaves):
    """A binary tree sum over `leaves` leaf tasks: 2 * leaves - 1 tasks."""
    dsk = {}
    level = []
    for i in range(leaves):
        key = ("leaf", 0, i)
        dsk[key] = (add, i)
        level.append(key)
    depth = 0
    while len(level) > 1:
        depth += 1
        nxt = []
        for i in range(0, len(level), 2):
            pair = level[i:i + 2]
            if len(pair) == 1:
                # An odd one out moves up a level unchanged.
                nxt.append(pair[0])
            else:
                key = ("sum", depth, i // 2)
                dsk[key] = (add, *pair)
                nxt.append(key)
        level = nxt
    return dsk, level[0], leaves * (leaves - 1) // 2


def chain(length):
    """A chain of `length` tasks, each adding 1 to its predecessor."""
    dsk = {("chain", 0): (add, 1)}
    for i in range(1, length):
        dsk[("chain", i)] = (add, ("chain", i - 1), 1)
    return dsk, ("chain", length - 1), length


def cpu(tasks, n):
    """`tasks` independent `spin(n)` tasks summed by one more task."""
    dsk = {("spin", i): (spin, n) for i in range(tasks)}
    dsk["cpu-total"] = (add, *[("spin", i) for i in range(tasks)])
    return dsk, "cpu-total", tasks * spin(n)


def calibrate(target):
    """Iterations of `spin` taking about `target` seconds (best of 3 timings)."""
    n = 1_000
    while True:
        elapsed = min(timed(spin, n) for _ in range(3))
        if elapsed >= 0.05:
            return max(1, round(n * target / elapsed))
        n *= 2


# ---------------------------------------------------------------------------------------
# Timing and output.


def timed(f, *args):
    start = time.perf_counter()
    f(*args)
    return time.perf_counter() - start


def measure(scheduler, dsk, key, expected):
    """Median seconds of `get(dsk, key)`, checking the result of every run."""
    get = SCHEDULERS[scheduler]
    times = []
    for _ in range(RUNS):
        gc.collect()
        start = time.perf_counter()
        result = get(dsk, key)
        times.append(time.perf_counter() - start)
        if result != expected:
            sys.exit(f"{scheduler} computed {result!r} for {key!r}, expected {expected!r}")
        if times[0] > SINGLE_RUN_ABOVE:
            break
    return statistics.median(times)


def emit(line):
    # Flushed at once: xtask reads this through a pipe and echoes it as it comes.
    print(line, flush=True)


def row(workload, tasks, scheduler, seconds):
    us = seconds / tasks * 1e6
    emit(f"{workload:<13} {tasks:<8} {scheduler:<10} {seconds:<10.4f} {us:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="leave out tree-1m")
    size.add_argument("--full", action="store_true", help="also run tree-1m (~100 s)")
    args = parser.parse_args()

    emit(
        f"# dask {dask.__version__}, python {sys.version.split()[0]}: "
        f"threads = dask.threaded.get(num_workers={WORKERS}), sync = dask.get; "
        f"median of {RUNS}"
    )
    n = calibrate(CPU_TASK_SECONDS)
    emit(f"# cpu task: spin({n}), calibrated to {CPU_TASK_SECONDS * 1e3:.0f} ms")
    emit("# cpu-64x10ms: the GIL serialises pure-Python tasks, so threads cannot overlap them")
    emit(f"{'workload':<13} {'tasks':<8} {'scheduler':<10} {'seconds':<10} us_per_task")

    workloads = [
        ("tree-100k", tree(50_000), ["threads", "sync"]),
        ("chain-10k", chain(10_000), ["threads", "sync"]),
    ]
    for workload, (dsk, key, expected), schedulers in workloads:
        for scheduler in schedulers:
            row(workload, len(dsk), scheduler, measure(scheduler, dsk, key, expected))
    del workloads

    if args.full:
        dsk, key, expected = tree(500_000)
        row("tree-1m", len(dsk), "threads", measure("threads", dsk, key, expected))
        del dsk
    elif not args.quick:
        emit("# tree-1m skipped (about 100 s in Dask; pass --full)")

    dsk, key, expected = cpu(CPU_TASKS, n)
    for scheduler in ["threads", "sync"]:
        row("cpu-64x10ms", CPU_TASKS, scheduler, measure(scheduler, dsk, key, expected))


if __name__ == "__main__":
    main()
