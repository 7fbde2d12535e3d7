//! Both shuffle methods against the rows' destinations computed directly, for many
//! partitionings and fan-ins, under every scheduler.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use dask_graph::{Args, Graph, Key, Layer, OpResult, Scheduler, SyncScheduler, Value, register_op};
use dask_sched_procs::ProcessScheduler;
use dask_sched_threads::ThreadScheduler;
use dask_shuffle::{Method, Pieces, Route, Shuffle};
use proptest::prelude::*;

dask_sched_procs::test_worker!();

fn schedulers() -> Vec<(&'static str, &'static dyn Scheduler)> {
    static THREADS: OnceLock<ThreadScheduler> = OnceLock::new();
    static PROCS: OnceLock<ProcessScheduler> = OnceLock::new();
    vec![
        ("sync", &SyncScheduler),
        (
            "threads",
            THREADS.get_or_init(|| ThreadScheduler::new(2).unwrap()),
        ),
        (
            "processes",
            PROCS.get_or_init(|| ProcessScheduler::new(2).unwrap()),
        ),
    ]
}

/// A number's output partition: itself modulo the count; `i64::MIN` fails the split.
fn target(x: i64, n: u64) -> u64 {
    x.rem_euclid(n as i64) as u64
}

/// `[n, rows, route]` (rows: a partition, or a `Pieces` of them in later stages).
fn split(mut args: Args) -> OpResult {
    let n = *args.get::<u64>(0)?;
    let route = *args.get::<Route>(2)?;
    let input = args.values()[1].clone();
    let _ = args.take::<Route>(2)?;
    let pieces = Pieces::split_each(input, route.k as usize, |part| {
        let rows = part.get::<Vec<i64>>()?;
        if rows.contains(&i64::MIN) {
            return Err("a poisoned row".into());
        }
        let pieces = route
            .rows_by_piece(rows.iter().map(|&x| target(x, n)))
            .into_iter()
            .map(|ix| {
                (!ix.is_empty())
                    .then(|| Value::new(ix.iter().map(|&i| rows[i as usize]).collect::<Vec<i64>>()))
            })
            .collect();
        Ok(Pieces(pieces))
    })?;
    Ok(Value::new(pieces))
}

fn concat(args: Args) -> OpResult {
    let mut out = Vec::new();
    for p in Pieces::flatten(args.into_values()) {
        out.extend_from_slice(p.get::<Vec<i64>>()?);
    }
    Ok(Value::new(out))
}

register_op!(SPLIT = "test.shuffle.split" => split);
register_op!(CONCAT = "test.shuffle.concat" => concat);

fn graph_of(parts: &[Vec<i64>]) -> (Graph, Vec<Key>) {
    let mut layer = Layer::new("input");
    let keys: Vec<Key> = (0..parts.len())
        .map(|i| Key::with_index("input", [i as u32]))
        .collect();
    for (k, p) in keys.iter().zip(parts) {
        layer.data(k.clone(), Value::new(p.clone()));
    }
    (Graph::from_layers([layer]), keys)
}

fn shuffle(n_out: usize, method: Method, branch: usize, dir: &std::path::Path) -> Shuffle {
    Shuffle::new(format!("shuffled-{n_out}-{branch}"), n_out, &SPLIT, &CONCAT)
        .split_args(vec![dask_graph::Arg::Literal(Value::new(n_out as u64))])
        .method(method)
        .max_branch(branch)
        .dir(dir)
}

/// The rows of each output partition, in input order.
fn expected(parts: &[Vec<i64>], n_out: usize) -> Vec<Vec<i64>> {
    let mut out = vec![Vec::new(); n_out];
    for x in parts.iter().flatten() {
        out[target(*x, n_out as u64) as usize].push(*x);
    }
    out
}

fn run(
    parts: &[Vec<i64>],
    n_out: usize,
    method: Method,
    branch: usize,
    scheduler: &dyn Scheduler,
) -> Vec<Vec<i64>> {
    let dir = tempfile::tempdir().unwrap();
    let (mut graph, inputs) = graph_of(parts);
    let outputs = shuffle(n_out, method, branch, dir.path())
        .build(&mut graph, &inputs)
        .unwrap();
    let values = dask_graph::compute(&graph, &outputs, scheduler).unwrap();
    drop(graph);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "shuffle files left behind"
    );
    values
        .iter()
        .map(|v| v.get::<Vec<i64>>().unwrap().clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn every_row_lands_in_its_partition_in_input_order(
        parts in prop::collection::vec(prop::collection::vec(-50i64..50, 0..12), 0..20),
        n_out in 1usize..20,
        branch in 2usize..5,
    ) {
        let want = expected(&parts, n_out);
        for method in [Method::Tasks, Method::Disk] {
            for (name, s) in schedulers() {
                prop_assert_eq!(&run(&parts, n_out, method, branch, s), &want, "{:?} on {}", method, name);
            }
        }
    }
}

#[test]
fn a_thousand_partitions_make_a_graph_of_bounded_fan_in() {
    let parts: Vec<Vec<i64>> = (0..1000).map(|i| vec![i, i * 7 + 3]).collect();
    let (mut graph, inputs) = graph_of(&parts);
    let dir = tempfile::tempdir().unwrap();
    let outputs = shuffle(1000, Method::Tasks, 32, dir.path())
        .build(&mut graph, &inputs)
        .unwrap();
    let mut edges = 0;
    let mut widest = 0;
    for (_, node) in graph.iter() {
        let n = node.dependencies().len();
        edges += n;
        widest = widest.max(n);
    }
    assert!(edges < 150_000, "{edges} edges");
    assert!(widest <= 32, "a task with {widest} inputs");
    let values = dask_graph::compute(&graph, &outputs, &SyncScheduler).unwrap();
    let got: Vec<Vec<i64>> = values
        .iter()
        .map(|v| v.get::<Vec<i64>>().unwrap().clone())
        .collect();
    assert_eq!(got, expected(&parts, 1000));
}

#[test]
fn a_skewed_key_lands_in_one_partition() {
    let parts: Vec<Vec<i64>> = (0..9)
        .map(|i| {
            let mut p = vec![7; 1000];
            p.push(i);
            p
        })
        .collect();
    for method in [Method::Tasks, Method::Disk] {
        for (name, s) in schedulers() {
            let got = run(&parts, 4, method, 2, s);
            assert_eq!(got, expected(&parts, 4), "{method:?} on {name}");
            assert_eq!(got[3].len(), 9002);
        }
    }
}

#[test]
fn a_failure_in_the_middle_of_an_on_disk_shuffle_removes_its_files() {
    let mut parts: Vec<Vec<i64>> = (0..12).map(|i| vec![i, i + 1, i + 2]).collect();
    parts[9] = vec![1, i64::MIN];
    for (name, s) in schedulers() {
        let dir = tempfile::tempdir().unwrap();
        let (mut graph, inputs) = graph_of(&parts);
        let outputs = shuffle(5, Method::Disk, 32, dir.path())
            .build(&mut graph, &inputs)
            .unwrap();
        let err = dask_graph::compute(&graph, &outputs, s).unwrap_err();
        assert!(err.to_string().contains("a poisoned row"), "{name}: {err}");
        drop(graph);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{name}");
    }
}

#[test]
fn auto_goes_to_disk_over_half_the_memory_limit() {
    let limited = ThreadScheduler::new(1).unwrap().with_memory_limit(1000);
    let s = Shuffle::new("auto", 2, &SPLIT, &CONCAT);
    assert_eq!(
        s.clone().estimated_bytes(Some(400)).resolved_method(),
        Method::Tasks
    );
    dask_graph::building_for(&limited, || {
        assert_eq!(
            s.clone().estimated_bytes(Some(400)).resolved_method(),
            Method::Tasks
        );
        assert_eq!(
            s.clone().estimated_bytes(Some(600)).resolved_method(),
            Method::Disk
        );
        assert_eq!(
            s.clone().estimated_bytes(None).resolved_method(),
            Method::Tasks
        );
        assert_eq!(
            s.clone()
                .method(Method::Tasks)
                .estimated_bytes(Some(600))
                .resolved_method(),
            Method::Tasks
        );
    });
}

#[test]
fn no_outputs_is_an_error() {
    let (mut graph, inputs) = graph_of(&[vec![1]]);
    let err = Shuffle::new("none", 0, &SPLIT, &CONCAT)
        .build(&mut graph, &inputs)
        .unwrap_err();
    assert!(
        err.to_string().contains("at least one output partition"),
        "{err}"
    );
}

#[test]
fn a_bucket_read_twice_is_an_error_not_an_empty_partition() {
    let parts: Vec<Vec<i64>> = (0..4).map(|i| vec![i, i + 4]).collect();
    let dir = tempfile::tempdir().unwrap();
    let (mut graph, inputs) = graph_of(&parts);
    let s = shuffle(2, Method::Disk, 32, dir.path());
    let outputs = s.build(&mut graph, &inputs).unwrap();
    // Computing the whole graph twice runs the writers again: the same rows.
    for _ in 0..2 {
        let values = dask_graph::compute(&graph, &outputs, &SyncScheduler).unwrap();
        let got: Vec<Vec<i64>> = values
            .iter()
            .map(|v| v.get::<Vec<i64>>().unwrap().clone())
            .collect();
        assert_eq!(got, expected(&parts, 2));
    }
    // A reader run again without its writers (a replaced worker) says so.
    let layer = graph.layer("shuffled-2-32-dir").unwrap();
    let dask_graph::Node::Data(dir_value) = &layer.nodes()[0].1 else {
        panic!("no directory node")
    };
    let read = dask_graph::operation("shuffle.disk-read").unwrap();
    let args = dask_graph::Args::new(vec![Value::new(0u64), dir_value.clone(), Value::new(0u32)]);
    let err = (read.func)(args).unwrap_err().to_string();
    assert!(err.contains("was read already"), "{err}");
    drop(graph);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
