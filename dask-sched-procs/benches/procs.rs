//! Figures for the process scheduler (a plain report, median of 3): pool start-up, no-op
//! trees and a chain (µs per task, end to end from a graph), an 80 MB block moving between
//! workers and back to the caller, and the CPU-bound speedup over the synchronous
//! scheduler. Run with `cargo bench -p dask-sched-procs --bench procs`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant};

use dask_graph::testing::{
    chain_graph, median_time, spin_iterations_for, task_tree, tree_tasks, tree_total,
};
use dask_graph::{
    Arg, Args, Graph, Key, Layer, Optimizations, Plan, Scheduler, SyncScheduler, Value, register_op,
};
use dask_sched_procs::ProcessScheduler;

const RUNS: usize = 3;

register_op!(BIG = "bench-procs.big" => |a: Args| Ok(Value::new(vec![*a.get::<f64>(0)?; 10_000_000])));
register_op!(ADD_BLOCKS = "bench-procs.add-blocks" => |a: Args| {
    let x = a.get::<Vec<f64>>(0)?;
    let y = a.get::<Vec<f64>>(1)?;
    Ok(Value::new(x.iter().zip(y).map(|(p, q)| p + q).collect::<Vec<f64>>()))
});

fn compute(g: &Graph, root: &Key, s: &dyn Scheduler) -> Value {
    let plan = Plan::build(g, std::slice::from_ref(root), &Optimizations::cull_only()).unwrap();
    s.execute(&plan, &()).unwrap().pop().unwrap()
}

fn row(name: &str, tasks: usize, t: Duration) {
    let secs = t.as_secs_f64();
    println!(
        "{name:<22} {tasks:>8} {secs:>10.4} {:>12.2}",
        secs * 1e6 / tasks as f64
    );
}

fn main() {
    dask_sched_procs::worker_main_if_child();
    let t0 = Instant::now();
    let s = ProcessScheduler::new(2).unwrap();
    let startup = t0.elapsed();
    println!(
        "# pool start-up (2 workers): {:.1} ms",
        startup.as_secs_f64() * 1e3
    );
    println!(
        "{:<22} {:>8} {:>10} {:>12}",
        "workload", "tasks", "seconds", "us_per_task"
    );
    let mut one = Layer::new("one");
    one.task(
        "x",
        &dask_graph::testing::ADD,
        vec![Arg::Literal(Value::new(1i64))],
    );
    let g1 = Graph::from_layers([one]);
    row(
        "one-task",
        1,
        median_time(RUNS, true, || {
            compute(&g1, &Key::new("x"), &s);
        }),
    );
    for (name, leaves) in [("tree-10k", 5_000), ("tree-100k", 50_000)] {
        let (g, root) = task_tree(leaves);
        let t = median_time(RUNS, true, || {
            assert_eq!(
                *compute(&g, &root, &s).downcast_ref::<i64>().unwrap(),
                tree_total(leaves)
            )
        });
        row(name, tree_tasks(leaves), t);
    }
    let (g, last) = chain_graph(10_000);
    row(
        "chain-10k",
        10_000,
        median_time(RUNS, true, || {
            assert_eq!(
                *compute(&g, &last, &s).downcast_ref::<i64>().unwrap(),
                10_000
            )
        }),
    );

    let mut l = Layer::new("big");
    l.task("b0", &BIG, vec![Arg::Literal(Value::new(1.0f64))])
        .task("b1", &BIG, vec![Arg::Literal(Value::new(2.0f64))])
        .task(
            "sum",
            &ADD_BLOCKS,
            vec![Arg::Key(Key::new("b0")), Arg::Key(Key::new("b1"))],
        );
    let g = Graph::from_layers([l]);
    let t = median_time(RUNS, true, || {
        assert_eq!(
            compute(&g, &Key::new("sum"), &s)
                .downcast_ref::<Vec<f64>>()
                .unwrap()[7],
            3.0
        )
    });
    let local = median_time(RUNS, true, || {
        assert_eq!(
            compute(&g, &Key::new("sum"), &SyncScheduler)
                .downcast_ref::<Vec<f64>>()
                .unwrap()[7],
            3.0
        )
    });
    // Moved: one 80 MB block between workers (worker -> parent -> worker) and the 80 MB
    // result back to the caller. The same graph in one process is the baseline.
    let moved = (t.as_secs_f64() - local.as_secs_f64()).max(1e-9);
    println!(
        "# 80 MB blocks: {:.3} s with processes, {:.3} s in one process: {:.3} s to move 160 MB ({:.2} GB/s)",
        t.as_secs_f64(),
        local.as_secs_f64(),
        moved,
        0.16 / moved
    );

    let (g, root) =
        dask_graph::testing::cpu_graph(64, spin_iterations_for(Duration::from_millis(10)));
    let procs = median_time(RUNS, true, || {
        compute(&g, &root, &s);
    });
    let sync = median_time(RUNS, true, || {
        compute(&g, &root, &SyncScheduler);
    });
    row("cpu-64x10ms procs", 64, procs);
    row("cpu-64x10ms sync", 64, sync);
    println!(
        "# cpu-64x10ms speedup over sync: {:.2}x",
        sync.as_secs_f64() / procs.as_secs_f64()
    );
}
