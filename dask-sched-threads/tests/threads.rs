//! What the threaded scheduler promises beyond the shared conformance suite: priority
//! order, a persistent pool shared by concurrent and nested computes, worker ids in
//! callbacks, and the memory limit with spilling.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dask_graph::testing::{ADD, Event, Recorder, as_i64, k, lit, tree_sum_graph};
use dask_graph::{
    Arg, Args, Callback, Error, Graph, Key, Layer, Op, OpResult, Optimizations, Plan, Scheduler,
    SyncScheduler, Value, compute, register_op,
};
use dask_sched_threads::{RunStats, ThreadScheduler};

// ---------------------------------------------------------------------------------------
// Operations used here.

/// `f64` values per test block: 8,000 bytes.
const BLOCK_LEN: usize = 1000;

fn block_values(seed: i64) -> Vec<f64> {
    (0..BLOCK_LEN)
        .map(|i| (seed * 7 + i as i64 % 13) as f64)
        .collect()
}

register_op!(
    /// A block of `f64` (which has a codec) derived from an `i64` seed.
    BLOCK = "test-threads.block" => |a: Args| Ok(Value::new(block_values(*a.get::<i64>(0)?)))
);

/// A block type without a codec: it can never be spilled.
struct Opaque(Vec<f64>);

register_op!(
    /// Like `BLOCK`, as an [`Opaque`] value.
    OPAQUE_BLOCK = "test-threads.opaque-block" => |a: Args| {
        let v = block_values(*a.get::<i64>(0)?);
        let n = v.len() * 8;
        Ok(Value::with_nbytes(Opaque(v), n))
    }
);

/// A block whose codec panics when encoding and fails when decoding.
struct Fragile(Vec<f64>);

dask_graph::register_codec!(
    Fragile,
    "test-threads.fragile",
    |_v: &Value, _out: &mut Vec<u8>| panic!("fragile codec: cannot encode"),
    |_b: &[u8]| Err("fragile codec: cannot decode".into())
);

register_op!(
    /// Like `BLOCK`, as a [`Fragile`] value.
    FRAGILE_BLOCK = "test-threads.fragile-block" => |a: Args| {
        let v = block_values(*a.get::<i64>(0)?);
        let n = v.len() * 8;
        Ok(Value::with_nbytes(Fragile(v), n))
    }
);

register_op!(
    /// Like `BLOCK`, with a declared size that differs from what its codec rebuilds.
    MISSIZED_BLOCK = "test-threads.missized-block" => |a: Args| {
        Ok(Value::with_nbytes(block_values(*a.get::<i64>(0)?), 3000))
    }
);

fn block_sum(args: Args) -> OpResult {
    let mut total = 0.0;
    for v in args.values() {
        total += if let Some(b) = v.downcast_ref::<Vec<f64>>() {
            b.iter().sum::<f64>()
        } else if let Some(b) = v.downcast_ref::<Fragile>() {
            b.0.iter().sum::<f64>()
        } else {
            v.get::<Opaque>()?.0.iter().sum::<f64>()
        };
    }
    Ok(Value::new(total))
}

register_op!(
    /// The sum of all elements of all block arguments.
    BLOCK_SUM = "test-threads.block-sum" => block_sum
);

/// A graph of `n` blocks made by `op` and a final task summing them all (so every block
/// is held until the end), plus its reference sum.
fn blocks_then_total(n: i64, op: &'static dask_graph::RegisteredOp) -> (Graph, f64) {
    let mut l = Layer::new("blocks");
    for i in 0..n {
        l.task(Key::with_index("block", [i as u32]), op, vec![lit(i)]);
    }
    let inputs = (0..n)
        .map(|i| Arg::Key(Key::with_index("block", [i as u32])))
        .collect();
    l.task("total", &BLOCK_SUM, inputs);
    let expect = (0..n).map(|i| block_values(i).iter().sum::<f64>()).sum();
    (Graph::from_layers([l]), expect)
}

fn run_with_stats(
    s: &ThreadScheduler,
    g: &Graph,
    key: &str,
) -> (dask_graph::Result<Vec<Value>>, RunStats) {
    let plan = Plan::build(g, &[Key::new(key)], &Optimizations::all()).unwrap();
    s.execute_with_stats(&plan, &())
}

fn assert_removed(stats: &RunStats) {
    let dir = stats
        .spill_dir
        .as_ref()
        .expect("a spill directory was used");
    assert!(!dir.exists(), "{} was not removed", dir.display());
}

// ---------------------------------------------------------------------------------------
// Order and the pool.

#[test]
fn one_worker_starts_tasks_exactly_in_priority_order() {
    dask_graph::testing::runs_in_priority_order(&(Arc::new(ThreadScheduler::new(1).unwrap()) as _));
}

/// Records which thread ran each task, keyed by the task's `i64` argument.
fn thread_recording_graph(
    tasks: i64,
    seen: &Arc<Mutex<HashMap<i64, (std::thread::ThreadId, String)>>>,
) -> Graph {
    let mut l = Layer::new("who");
    for i in 0..tasks {
        let seen = Arc::clone(seen);
        let op = Op::local("who-ran-me", move |_a| {
            let t = std::thread::current();
            let name = t.name().unwrap_or("").to_string();
            seen.lock().unwrap().insert(i, (t.id(), name));
            Ok(Value::new(i))
        });
        l.task(Key::with_index("who", [i as u32]), op, vec![]);
    }
    let inputs = (0..tasks)
        .map(|i| Arg::Key(Key::with_index("who", [i as u32])))
        .collect();
    l.task("all", &ADD, inputs);
    Graph::from_layers([l])
}

#[test]
fn the_pool_is_created_once_and_reused() {
    let s = ThreadScheduler::new(2).unwrap();
    let seen = Arc::new(Mutex::new(HashMap::new()));
    let mut threads = HashSet::new();
    for round in 0..20 {
        let g = thread_recording_graph(50, &seen);
        let out = compute(&g, &[Key::new("all")], &s).unwrap();
        assert_eq!(as_i64(&out[0]), 49 * 50 / 2, "round {round}");
        for (id, name) in seen.lock().unwrap().drain().map(|(_, v)| v) {
            assert!(name.starts_with("dask-worker-"), "task ran on {name:?}");
            threads.insert(id);
        }
    }
    assert!(
        !threads.is_empty() && threads.len() <= 2,
        "20 computes used {} threads",
        threads.len()
    );
}

#[test]
fn callbacks_name_the_worker_that_ran_each_task() {
    let s = ThreadScheduler::new(3).unwrap();
    let seen = Arc::new(Mutex::new(HashMap::new()));
    let g = thread_recording_graph(200, &seen);
    let plan = Plan::build(&g, &[Key::new("all")], &Optimizations::none()).unwrap();
    let rec = Recorder::default();
    s.execute(&plan, &rec).unwrap();
    let seen = seen.lock().unwrap();
    let mut posts = 0;
    for e in rec.events() {
        if let Event::Post(key, worker) = e {
            assert!(worker < 3, "worker id {worker} out of range");
            if key.name() == "who" {
                let i = key.index().unwrap()[0] as i64;
                assert_eq!(seen[&i].1, format!("dask-worker-{worker}"), "{key}");
                posts += 1;
            }
        }
    }
    assert_eq!(posts, 200);
}

#[test]
fn concurrent_computes_from_several_threads_share_the_pool() {
    let s = ThreadScheduler::new(2).unwrap();
    std::thread::scope(|scope| {
        for t in 0..4usize {
            let s = s.clone();
            scope.spawn(move || {
                for round in 0..25 {
                    let leaves = 50 + 10 * t + round;
                    let out = compute(&tree_sum_graph(leaves), &[Key::new("total")], &s).unwrap();
                    assert_eq!(as_i64(&out[0]), (leaves * (leaves - 1) / 2) as i64);
                }
            });
        }
    });
}

/// Each level of nesting computes a graph whose tasks compute graphs, on a one-worker
/// pool: the single worker must run every level itself.
#[test]
fn doubly_nested_compute_completes_on_one_worker() {
    fn level(s: &ThreadScheduler, depth: u32) -> dask_graph::Result<i64> {
        let mut l = Layer::new(format!("level-{depth}"));
        for i in 0..3u32 {
            let s2 = s.clone();
            let op = Op::local("nested", move |_a| {
                if depth == 0 {
                    Ok(Value::new(1i64))
                } else {
                    Ok(Value::new(level(&s2, depth - 1)?))
                }
            });
            l.task(Key::with_index("part", [i]), op, vec![]);
        }
        l.task(
            "sum",
            &ADD,
            (0..3u32)
                .map(|i| Arg::Key(Key::with_index("part", [i])))
                .collect(),
        );
        let out = compute(&Graph::from_layers([l]), &[Key::new("sum")], s)?;
        Ok(as_i64(&out[0]))
    }
    let s = ThreadScheduler::new(1).unwrap();
    assert_eq!(level(&s, 2).unwrap(), 27);
}

#[test]
fn zero_workers_is_an_error() {
    let err = ThreadScheduler::new(0).unwrap_err();
    assert!(err.to_string().contains("at least one worker"), "{err}");
}

struct PanickingCallback;

impl Callback for PanickingCallback {
    fn posttask(&self, key: &Key, _w: usize, _e: Duration, _n: usize) {
        if key.name() == "total" {
            panic!("progress bar on fire");
        }
    }
}

#[test]
fn a_panicking_callback_is_an_error_and_the_pool_survives() {
    let s = ThreadScheduler::new(2).unwrap();
    let g = tree_sum_graph(100);
    let plan = Plan::build(&g, &[Key::new("total")], &Optimizations::all()).unwrap();
    let err = s.execute(&plan, &PanickingCallback).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("progress bar on fire") && msg.contains("total"),
        "{msg}"
    );
    let out = compute(&g, &[Key::new("total")], &s).unwrap();
    assert_eq!(as_i64(&out[0]), 4950);
}

#[test]
fn results_match_the_synchronous_scheduler_on_a_wide_graph() {
    // Many independent chains feeding one sum: lots of concurrent readiness.
    let mut l = Layer::new("wide");
    for c in 0..64u32 {
        l.task(Key::with_index("c", [c, 0]), &ADD, vec![lit(c as i64)]);
        for i in 1..40u32 {
            l.task(
                Key::with_index("c", [c, i]),
                &ADD,
                vec![Arg::Key(Key::with_index("c", [c, i - 1])), lit(i as i64)],
            );
        }
    }
    l.task(
        "out",
        &ADD,
        (0..64u32)
            .map(|c| Arg::Key(Key::with_index("c", [c, 39])))
            .collect(),
    );
    let g = Graph::from_layers([l]);
    let want = as_i64(&compute(&g, &[Key::new("out")], &SyncScheduler).unwrap()[0]);
    for workers in [1, 2, 4] {
        let s = ThreadScheduler::new(workers).unwrap();
        for opts in dask_graph::testing::all_optimizations() {
            let out = dask_graph::compute_with(&g, &[Key::new("out")], &s, &opts, &()).unwrap();
            assert_eq!(as_i64(&out[0]), want, "{workers} workers, {opts:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Memory limit and spilling.

#[test]
fn results_over_the_limit_are_spilled_and_read_back() {
    let (g, expect) = blocks_then_total(64, &BLOCK);
    let block = (BLOCK_LEN * 8) as u64;
    let limit = 8 * block;
    for workers in [1, 2] {
        let s = ThreadScheduler::new(workers)
            .unwrap()
            .with_memory_limit(limit);
        let (out, stats) = run_with_stats(&s, &g, "total");
        let got = *out.unwrap()[0].downcast_ref::<f64>().unwrap();
        assert_eq!(got, expect);
        // 64 blocks held for one final task under room for 8: at least 56 go to disk
        // and each comes back once.
        assert!(stats.spilled >= 56, "{stats:?}");
        assert_eq!(stats.reloaded, stats.spilled, "{stats:?}");
        assert!(stats.spilled_bytes >= stats.spilled * block, "{stats:?}");
        assert_eq!(stats.unspillable, 0);
        // Over the limit only by the result that triggered a spill, per worker.
        assert!(
            stats.peak_held_bytes <= limit + workers as u64 * block,
            "{stats:?}"
        );
        assert_removed(&stats);
    }
}

#[test]
fn without_a_limit_nothing_is_spilled() {
    let (g, expect) = blocks_then_total(16, &BLOCK);
    let s = ThreadScheduler::new(2).unwrap();
    let (out, stats) = run_with_stats(&s, &g, "total");
    assert_eq!(*out.unwrap()[0].downcast_ref::<f64>().unwrap(), expect);
    assert_eq!(
        (stats.spilled, stats.reloaded, stats.spill_dir),
        (0, 0, None)
    );
}

#[test]
fn results_without_a_codec_stay_in_memory_and_are_counted() {
    let (g, expect) = blocks_then_total(32, &OPAQUE_BLOCK);
    let block = (BLOCK_LEN * 8) as u64;
    let s = ThreadScheduler::new(2)
        .unwrap()
        .with_memory_limit(4 * block);
    let (out, stats) = run_with_stats(&s, &g, "total");
    assert_eq!(*out.unwrap()[0].downcast_ref::<f64>().unwrap(), expect);
    assert_eq!(stats.spilled, 0, "{stats:?}");
    assert!(
        (28..=32).contains(&stats.unspillable),
        "each result is counted once: {stats:?}"
    );
    assert!(
        stats.peak_held_bytes >= 32 * block,
        "all of them were held: {stats:?}"
    );
}

#[test]
fn spilled_results_with_several_readers_come_back_for_each() {
    // Every block is read by a neighbour-pair task and by the final total.
    let mut l = Layer::new("pairs");
    let n = 24u32;
    for i in 0..n {
        l.task(Key::with_index("block", [i]), &BLOCK, vec![lit(i as i64)]);
    }
    for i in 0..n - 1 {
        l.task(
            Key::with_index("pair", [i]),
            &BLOCK_SUM,
            vec![
                Arg::Key(Key::with_index("block", [i])),
                Arg::Key(Key::with_index("block", [i + 1])),
            ],
        );
    }
    let mut inputs: Vec<Arg> = (0..n)
        .map(|i| Arg::Key(Key::with_index("block", [i])))
        .collect();
    inputs.extend((0..n - 1).map(|i| Arg::Key(Key::with_index("pair", [i]))));
    let total = Op::local("grand-total", |a: Args| {
        let mut t = 0.0;
        for v in a.values() {
            t += match v.downcast_ref::<f64>() {
                Some(x) => *x,
                None => v.get::<Vec<f64>>()?.iter().sum(),
            };
        }
        Ok(Value::new(t))
    });
    l.task("total", total, inputs);
    let g = Graph::from_layers([l]);
    let want = *compute(&g, &[Key::new("total")], &SyncScheduler).unwrap()[0]
        .downcast_ref::<f64>()
        .unwrap();
    let s = ThreadScheduler::new(2)
        .unwrap()
        .with_memory_limit((3 * BLOCK_LEN * 8) as u64);
    for opts in [Optimizations::none(), Optimizations::all()] {
        let plan = Plan::build(&g, &[Key::new("total")], &opts).unwrap();
        let (out, stats) = s.execute_with_stats(&plan, &());
        assert_eq!(
            *out.unwrap()[0].downcast_ref::<f64>().unwrap(),
            want,
            "{opts:?}"
        );
        assert!(stats.spilled > 0 && stats.reloaded > 0, "{stats:?}");
        assert_removed(&stats);
    }
}

#[test]
fn the_spill_directory_is_removed_when_a_task_fails() {
    let base = tempfile::tempdir().unwrap();
    let (mut g, _) = blocks_then_total(32, &BLOCK);
    let mut bad = Layer::new("bad");
    bad.task("fails", &dask_graph::testing::FAIL, vec![k("total")]);
    g.add_layer(bad);
    let s = ThreadScheduler::new(2)
        .unwrap()
        .with_memory_limit(2 * (BLOCK_LEN * 8) as u64)
        .with_spill_dir(base.path());
    let (out, stats) = run_with_stats(&s, &g, "fails");
    let err = out.unwrap_err();
    assert!(
        matches!(&err, Error::TaskFailed { key, .. } if key.name() == "fails"),
        "{err}"
    );
    assert!(stats.spilled > 0, "{stats:?}");
    assert!(stats.spill_dir.as_ref().unwrap().starts_with(base.path()));
    assert_removed(&stats);
    assert_eq!(std::fs::read_dir(base.path()).unwrap().count(), 0);
}

#[test]
fn an_unwritable_spill_directory_is_a_clear_error() {
    let missing = Path::new("/nonexistent/dask-spill-test");
    let (g, _) = blocks_then_total(8, &BLOCK);
    let s = ThreadScheduler::new(1)
        .unwrap()
        .with_memory_limit(0)
        .with_spill_dir(missing);
    let (out, _) = run_with_stats(&s, &g, "total");
    let msg = out.unwrap_err().to_string();
    assert!(
        msg.contains("spill directory") && msg.contains("/nonexistent"),
        "{msg}"
    );
    // And the pool still works.
    let out = compute(
        &tree_sum_graph(10),
        &[Key::new("total")],
        &s.with_memory_limit(u64::MAX),
    )
    .unwrap();
    assert_eq!(as_i64(&out[0]), 45);
}

#[test]
fn a_failing_codec_keeps_the_value_in_memory() {
    let (g, expect) = blocks_then_total(16, &FRAGILE_BLOCK);
    let block = (BLOCK_LEN * 8) as u64;
    let s = ThreadScheduler::new(2)
        .unwrap()
        .with_memory_limit(2 * block);
    let (out, stats) = run_with_stats(&s, &g, "total");
    assert_eq!(*out.unwrap()[0].downcast_ref::<f64>().unwrap(), expect);
    assert_eq!(stats.spilled, 0, "{stats:?}");
    assert!((14..=16).contains(&stats.unspillable), "{stats:?}");
}

#[test]
fn values_with_declared_sizes_spill_and_come_back() {
    let (g, expect) = blocks_then_total(16, &MISSIZED_BLOCK);
    let s = ThreadScheduler::new(2).unwrap().with_memory_limit(6000);
    let (out, stats) = run_with_stats(&s, &g, "total");
    assert_eq!(*out.unwrap()[0].downcast_ref::<f64>().unwrap(), expect);
    assert!(stats.spilled >= 14, "{stats:?}");
    assert_removed(&stats);
}

/// Two one-worker pools computing on each other from inside tasks: each waiting worker
/// must run the other pool's tasks itself.
#[test]
fn computes_nested_across_two_pools_complete() {
    let a = ThreadScheduler::new(1).unwrap();
    let b = ThreadScheduler::new(1).unwrap();
    let inner_a = a.clone();
    let on_b = Op::local("compute-on-a-from-b", move |_a| {
        let out = compute(&tree_sum_graph(20), &[Key::new("total")], &inner_a)?;
        Ok(out[0].clone())
    });
    let mut lb = Layer::new("on-b");
    lb.task("from-b", on_b, vec![]);
    let gb = Graph::from_layers([lb]);
    let on_a = Op::local("compute-on-b-from-a", move |_a| {
        let out = compute(&gb, &[Key::new("from-b")], &b)?;
        Ok(out[0].clone())
    });
    let mut la = Layer::new("on-a");
    la.task("from-a", on_a, vec![]);
    let out = compute(&Graph::from_layers([la]), &[Key::new("from-a")], &a).unwrap();
    assert_eq!(as_i64(&out[0]), 190);
}

/// Signals when the `pretask` of a key arrives.
struct PretaskSignal {
    key: Key,
    tx: Mutex<std::sync::mpsc::Sender<()>>,
}

impl Callback for PretaskSignal {
    fn pretask(&self, key: &Key, _worker: usize) {
        if *key == self.key {
            let _ = self.tx.lock().unwrap().send(());
        }
    }
}

/// The `pretask` of a long task reaches the callbacks while it runs, even right after
/// a burst of short tasks: here the long task waits for its own `pretask` (and fails
/// after 20 s if it never comes, instead of hanging).
#[test]
fn pretask_arrives_while_a_long_task_runs() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let mut l = Layer::new("burst");
    for i in 0..20u32 {
        l.task(Key::with_index("short", [i]), &ADD, vec![lit(i as i64)]);
    }
    let long = Op::local("waits-for-its-pretask", move |_a| {
        rx.lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| "pretask not delivered while the task ran")?;
        Ok(Value::new(0i64))
    });
    let mut inputs: Vec<Arg> = (0..20u32)
        .map(|i| Arg::Key(Key::with_index("short", [i])))
        .collect();
    l.task("long", long, vec![]);
    inputs.push(k("long"));
    l.task("sum", &ADD, inputs);
    let g = Graph::from_layers([l]);
    let plan = Plan::build(&g, &[Key::new("sum")], &Optimizations::none()).unwrap();
    let signal = PretaskSignal {
        key: Key::new("long"),
        tx: Mutex::new(tx),
    };
    for workers in [1, 2] {
        let s = ThreadScheduler::new(workers).unwrap();
        let out = s.execute(&plan, &signal).unwrap();
        assert_eq!(as_i64(&out[0]), 190);
    }
}
