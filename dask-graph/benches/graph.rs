//! End-to-end benchmarks of the task-graph format: building, planning and running a
//! million-task graph with the synchronous scheduler.
//!
//! Workloads (all use the registered `testing.add` operation, so the tasks themselves
//! are nearly free and the figures measure the graph machinery):
//!
//! * **tree**: a binary tree sum over `leaves` leaf *tasks* (`leaf i = add(i)`), one
//!   layer of leaves and one of sums: `2 * leaves - 1` tasks (999,999 for 500,000 leaves).
//! * **chain**: a linear chain of 10,000 tasks, each adding 1 to its predecessor.
//!
//! Two modes:
//!
//! * `cargo bench -p dask-graph --bench graph` runs the criterion benchmarks
//!   (`build_1m_tree`, `plan_1m_tree`, `plan_1m_tree_no_opt`,
//!   `build_plan_order_1m_total`, `sync_1m_noop`, `sync_chain_10k`); criterion's own
//!   flags (`--test`, `--quick`, a name filter) apply. The million-task benchmarks take
//!   10 flat samples, as few as one iteration each, so the whole run stays around a minute on
//!   two cores; criterion's "unable to complete 10 samples" note is expected for them.
//! * With `DASK_BENCH_REPORT=1` in the environment, criterion is skipped: each workload
//!   is timed three times (`testing::median_time`) and the medians are printed as an aligned,
//!   whitespace-separated table (what `cargo xtask bench` shows). `--quick` then uses
//!   100,000 tasks instead of 1,000,000.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group};
use dask_graph::testing::{chain_graph, median_time, task_tree, tree_tasks, tree_total};
use dask_graph::{Graph, Key, Optimizations, Plan, Scheduler, SyncScheduler};

/// Leaves of the full tree: 2 * 500,000 - 1 = 999,999 tasks.
const LEAVES_FULL: usize = 500_000;
/// Leaves of the `--quick` report tree: 99,999 tasks.
const LEAVES_QUICK: usize = 50_000;
/// Length of the chain workload.
const CHAIN_LEN: u32 = 10_000;
/// Timing runs per workload in report mode (the median is printed).
const REPORT_RUNS: usize = 3;

// ---------------------------------------------------------------------------------------
// Graph builders.

/// Plans `graph` for `root`.
fn plan(graph: &Graph, root: &Key, opts: &Optimizations) -> Plan {
    Plan::build(graph, std::slice::from_ref(root), opts).unwrap()
}

/// Runs `plan` on the synchronous scheduler and returns the root's `i64` value.
fn run_sync(plan: &Plan) -> i64 {
    let out = SyncScheduler.execute(plan, &()).unwrap();
    *out[0].downcast_ref::<i64>().unwrap()
}

// ---------------------------------------------------------------------------------------
// Criterion benchmarks.

/// Settings for a benchmark whose single iteration takes a sizeable fraction of a second.
fn slow_group(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, secs: u64) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(secs));
}

fn bench_tree(c: &mut Criterion) {
    let leaves = LEAVES_FULL;
    let tasks = tree_tasks(leaves) as u64;
    let (graph, root) = task_tree(leaves);

    let mut group = c.benchmark_group("tree");
    slow_group(&mut group, 4);
    group.throughput(Throughput::Elements(tasks));
    group.bench_function("build_1m_tree", |b| {
        b.iter_with_large_drop(|| task_tree(black_box(leaves)))
    });
    group.bench_function("plan_1m_tree", |b| {
        b.iter_with_large_drop(|| plan(&graph, &root, &Optimizations::all()))
    });
    group.bench_function("plan_1m_tree_no_opt", |b| {
        b.iter_with_large_drop(|| plan(&graph, &root, &Optimizations::cull_only()))
    });
    group.bench_function("build_plan_order_1m_total", |b| {
        b.iter_with_large_drop(|| {
            let (g, r) = task_tree(black_box(leaves));
            let p = plan(&g, &r, &Optimizations::all());
            (g, p)
        })
    });
    group.finish();

    let plan_run = plan(&graph, &root, &Optimizations::cull_only());
    drop(graph);
    assert_eq!(plan_run.len() as u64, tasks, "cull_only keeps every task");
    let mut group = c.benchmark_group("sync");
    slow_group(&mut group, 4);
    group.throughput(Throughput::Elements(tasks));
    group.bench_function("sync_1m_noop", |b| {
        b.iter(|| assert_eq!(run_sync(&plan_run), tree_total(leaves)))
    });
    group.finish();
}

fn bench_chain(c: &mut Criterion) {
    let (graph, last) = chain_graph(CHAIN_LEN);
    let plan = plan(&graph, &last, &Optimizations::cull_only());
    let mut group = c.benchmark_group("sync");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(u64::from(CHAIN_LEN)));
    group.bench_function("sync_chain_10k", |b| {
        b.iter(|| assert_eq!(run_sync(&plan), i64::from(CHAIN_LEN)))
    });
    group.finish();
}

criterion_group!(benches, bench_tree, bench_chain);

// ---------------------------------------------------------------------------------------
// Report mode.

/// Whether `DASK_BENCH_REPORT` asks for the plain report.
fn report_mode() -> bool {
    std::env::var("DASK_BENCH_REPORT").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// One line of the report table.
struct Row {
    workload: &'static str,
    tasks: usize,
    time: Duration,
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<28} {:>9} {:>12} {:>12} {:>14}",
        "workload", "tasks", "median_ms", "us_per_task", "tasks_per_s"
    );
    for r in rows {
        let secs = r.time.as_secs_f64();
        println!(
            "{:<28} {:>9} {:>12.1} {:>12.3} {:>14.0}",
            r.workload,
            r.tasks,
            secs * 1e3,
            secs * 1e6 / r.tasks as f64,
            r.tasks as f64 / secs,
        );
    }
}

fn report(quick: bool) {
    let leaves = if quick { LEAVES_QUICK } else { LEAVES_FULL };
    let tasks = tree_tasks(leaves);
    eprintln!(
        "dask-graph report: tree of {tasks} tasks, chain of {CHAIN_LEN} tasks, \
         median of {REPORT_RUNS} runs"
    );
    let mut rows = Vec::new();

    let build = median_time(REPORT_RUNS, false, || task_tree(leaves));
    rows.push(Row {
        workload: "tree_build",
        tasks,
        time: build,
    });

    let (graph, root) = task_tree(leaves);
    let plan_all = median_time(REPORT_RUNS, false, || {
        plan(&graph, &root, &Optimizations::all())
    });
    rows.push(Row {
        workload: "tree_plan_all",
        tasks,
        time: plan_all,
    });
    let plan_cull = median_time(REPORT_RUNS, false, || {
        plan(&graph, &root, &Optimizations::cull_only())
    });
    rows.push(Row {
        workload: "tree_plan_cull_only",
        tasks,
        time: plan_cull,
    });

    let total = median_time(REPORT_RUNS, false, || {
        let (g, r) = task_tree(leaves);
        let p = plan(&g, &r, &Optimizations::all());
        (g, p)
    });
    rows.push(Row {
        workload: "tree_build_plan_total",
        tasks,
        time: total,
    });

    let plan_run = plan(&graph, &root, &Optimizations::cull_only());
    drop(graph);
    assert_eq!(plan_run.len(), tasks, "cull_only keeps every task");
    let sync = median_time(REPORT_RUNS, false, || {
        assert_eq!(run_sync(&plan_run), tree_total(leaves))
    });
    rows.push(Row {
        workload: "tree_sync_noop",
        tasks,
        time: sync,
    });
    drop(plan_run);

    let (chain, last) = chain_graph(CHAIN_LEN);
    let chain_plan = plan(&chain, &last, &Optimizations::cull_only());
    let chain_time = median_time(REPORT_RUNS, false, || {
        assert_eq!(run_sync(&chain_plan), i64::from(CHAIN_LEN))
    });
    rows.push(Row {
        workload: "chain_sync",
        tasks: CHAIN_LEN as usize,
        time: chain_time,
    });

    print_table(&rows);
}

fn main() {
    if report_mode() {
        report(std::env::args().any(|a| a == "--quick"));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
