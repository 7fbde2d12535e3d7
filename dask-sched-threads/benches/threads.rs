//! End-to-end benchmarks of the threaded scheduler against the synchronous one.
//!
//! Workloads (the no-op ones use `testing.add`, so the figures measure scheduling):
//!
//! * **tree-100k** / **tree-1m**: 50,000 / 500,000 leaf tasks summed by a binary tree of
//!   add tasks (99,999 / 999,999 tasks);
//! * **chain-10k**: a linear chain of 10,000 add tasks;
//! * **cpu-64x10ms**: 64 independent tasks of about 10 ms of arithmetic each, summed by
//!   one task — the parallel speedup.
//!
//! "End to end" is what a user waits for given a graph: [`Plan::build`] and
//! [`Scheduler::execute`]. Like Python Dask's `get` on a raw graph, no fusion: the plans
//! keep every task (`Optimizations::cull_only`), so a chain is 10,000 scheduled tasks.
//! The pool is created once, outside the timings, as in any program that computes twice.
//!
//! Two modes:
//!
//! * `cargo bench -p dask-sched-threads --bench threads` runs the criterion benchmarks;
//! * with `DASK_BENCH_REPORT=1`, each workload is timed three times and the medians are
//!   printed as whitespace-separated rows `workload tasks scheduler seconds
//!   us_per_task` (what `cargo xtask bench` shows and compares with Python Dask);
//!   `--quick` skips the million-task tree.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group};
use dask_graph::testing::{
    chain_graph, median_time, spin_iterations_for, task_tree, tree_tasks, tree_total,
};
use dask_graph::{Graph, Key, Optimizations, Plan, Scheduler, SyncScheduler, Value};
use dask_sched_threads::ThreadScheduler;

const LEAVES_100K: usize = 50_000;
const LEAVES_1M: usize = 500_000;
const CHAIN_LEN: u32 = 10_000;
const CPU_TASKS: u32 = 64;
const CPU_TASK_TIME: Duration = Duration::from_millis(10);
const REPORT_RUNS: usize = 3;

/// Iterations of the spin task taking about [`CPU_TASK_TIME`].
fn calibrate() -> u64 {
    spin_iterations_for(CPU_TASK_TIME)
}

/// 64 spin tasks and their sum.
fn cpu_graph(iterations: u64) -> (Graph, Key) {
    dask_graph::testing::cpu_graph(CPU_TASKS, iterations)
}

// ---------------------------------------------------------------------------------------
// Shared helpers.

/// Plans `graph` for `root` (every task kept) and runs it: the end-to-end figure.
fn compute(graph: &Graph, root: &Key, s: &dyn Scheduler) -> Value {
    let plan = Plan::build(
        graph,
        std::slice::from_ref(root),
        &Optimizations::cull_only(),
    )
    .unwrap();
    let mut out = s.execute(&plan, &()).unwrap();
    out.pop().unwrap()
}

fn compute_i64(graph: &Graph, root: &Key, s: &dyn Scheduler) -> i64 {
    *compute(graph, root, s).downcast_ref::<i64>().unwrap()
}

fn threads() -> ThreadScheduler {
    ThreadScheduler::new(2).unwrap()
}

// ---------------------------------------------------------------------------------------
// Criterion benchmarks.

fn slow_group(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, secs: u64) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(secs));
}

fn bench_trees(c: &mut Criterion) {
    let s = threads();
    for (name, leaves, secs) in [("100k", LEAVES_100K, 3), ("1m", LEAVES_1M, 6)] {
        let (graph, root) = task_tree(leaves);
        let mut group = c.benchmark_group(format!("tree_{name}"));
        slow_group(&mut group, secs);
        group.throughput(Throughput::Elements(tree_tasks(leaves) as u64));
        group.bench_function("threads", |b| {
            b.iter(|| assert_eq!(compute_i64(&graph, &root, &s), tree_total(leaves)))
        });
        group.bench_function("sync", |b| {
            b.iter(|| {
                assert_eq!(
                    compute_i64(&graph, &root, &SyncScheduler),
                    tree_total(leaves)
                )
            })
        });
        group.finish();
    }
}

fn bench_chain(c: &mut Criterion) {
    let s = threads();
    let (graph, last) = chain_graph(CHAIN_LEN);
    let mut group = c.benchmark_group("chain_10k");
    slow_group(&mut group, 2);
    group.throughput(Throughput::Elements(u64::from(CHAIN_LEN)));
    group.bench_function("threads", |b| {
        b.iter(|| assert_eq!(compute_i64(&graph, &last, &s), i64::from(CHAIN_LEN)))
    });
    group.finish();
}

fn bench_cpu(c: &mut Criterion) {
    let s = threads();
    let (graph, root) = cpu_graph(calibrate());
    let mut group = c.benchmark_group("cpu_64x10ms");
    slow_group(&mut group, 8);
    group.bench_function("threads", |b| b.iter(|| compute(&graph, &root, &s)));
    group.bench_function("sync", |b| {
        b.iter(|| compute(&graph, &root, &SyncScheduler))
    });
    group.finish();
}

criterion_group!(benches, bench_trees, bench_chain, bench_cpu);

// ---------------------------------------------------------------------------------------
// Report mode.

fn report_mode() -> bool {
    std::env::var("DASK_BENCH_REPORT").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn row(workload: &str, tasks: usize, scheduler: &str, time: Duration) {
    let secs = time.as_secs_f64();
    println!(
        "{workload:<14} {tasks:>8} {scheduler:<10} {secs:>10.4} {:>12.3}",
        secs * 1e6 / tasks as f64
    );
}

fn report(quick: bool) {
    let s = threads();
    eprintln!(
        "dask-sched-threads report: {} workers vs the synchronous scheduler, median of {REPORT_RUNS} runs, plan + execute",
        s.workers()
    );
    println!(
        "{:<14} {:>8} {:<10} {:>10} {:>12}",
        "workload", "tasks", "scheduler", "seconds", "us_per_task"
    );
    let mut trees = vec![("tree-100k", LEAVES_100K)];
    if !quick {
        trees.push(("tree-1m", LEAVES_1M));
    }
    for (name, leaves) in trees {
        let (graph, root) = task_tree(leaves);
        let want = tree_total(leaves);
        let tasks = tree_tasks(leaves);
        let t = median_time(REPORT_RUNS, true, || {
            assert_eq!(compute_i64(&graph, &root, &s), want)
        });
        row(name, tasks, "threads", t);
        let t = median_time(REPORT_RUNS, true, || {
            assert_eq!(compute_i64(&graph, &root, &SyncScheduler), want)
        });
        row(name, tasks, "sync", t);
    }

    let (graph, last) = chain_graph(CHAIN_LEN);
    let want = i64::from(CHAIN_LEN);
    let t = median_time(REPORT_RUNS, true, || {
        assert_eq!(compute_i64(&graph, &last, &s), want)
    });
    row("chain-10k", CHAIN_LEN as usize, "threads", t);
    let t = median_time(REPORT_RUNS, true, || {
        assert_eq!(compute_i64(&graph, &last, &SyncScheduler), want)
    });
    row("chain-10k", CHAIN_LEN as usize, "sync", t);

    let (graph, root) = cpu_graph(calibrate());
    let threaded = median_time(REPORT_RUNS, true, || {
        black_box(compute(&graph, &root, &s));
    });
    row("cpu-64x10ms", CPU_TASKS as usize, "threads", threaded);
    let sync = median_time(REPORT_RUNS, true, || {
        black_box(compute(&graph, &root, &SyncScheduler));
    });
    row("cpu-64x10ms", CPU_TASKS as usize, "sync", sync);
    println!(
        "# cpu-64x10ms speedup of {} threads over sync: {:.2}x",
        s.workers(),
        sync.as_secs_f64() / threaded.as_secs_f64()
    );
}

fn main() {
    if report_mode() {
        report(std::env::args().any(|a| a == "--quick"));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
