//! Collections of different kinds computed together: one merged graph, shared inputs
//! read once — under every scheduler, worker processes included.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use dask::array::{Array, Chunks, Reduce, block_value};
use dask::delayed::{Delayed, delayed_fn};
use dask::graph::{Arg, Args, Collection, Graph, Key, Layer, OpResult, Value, register_op};
use ndarray::{ArrayD, IxDyn};

dask::procs::test_worker!();

/// The schedulers every test runs under.
const SCHEDULERS: [&str; 3] = ["sync", "threads", "processes"];

/// Reads "a block": appends a line to the log file (argument 0) — so reads are counted
/// in whatever process runs them — and returns the 3 × 3 block whose values are
/// `base + 0..9` (argument 1).
fn counted_block(args: Args) -> OpResult {
    let log = args.get::<String>(0)?;
    let base = *args.get::<f64>(1)?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    writeln!(f, "read {base}")?;
    let block = ArrayD::from_shape_fn(IxDyn(&[3, 3]), |i| base + (i[0] * 3 + i[1]) as f64);
    Ok(block_value(block))
}

register_op!(COUNTED = "test-facade.counted-block" => counted_block);

delayed_fn! {
    /// The largest value of a block.
    fn block_max(b: ArrayD<f64>) -> f64 {
        b.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }
}

/// A 6 × 6 array of four counted 3 × 3 blocks (block `(i, j)` holds `10(2i + j) + 0..9`)
/// logging its reads to `log`, and the same data in memory.
fn counted_array(log: &Path) -> (Array<f64>, ArrayD<f64>) {
    let name = "counted-input";
    let mut layer = Layer::new(name);
    let mut whole = ArrayD::zeros(IxDyn(&[6, 6]));
    for i in 0..2u32 {
        for j in 0..2u32 {
            let base = 10.0 * f64::from(2 * i + j);
            layer.task(
                Key::with_index(name, [i, j]),
                &COUNTED,
                vec![
                    Arg::Literal(Value::new(log.display().to_string())),
                    Arg::Literal(Value::new(base)),
                ],
            );
            for r in 0..3 {
                for c in 0..3 {
                    whole[[3 * i as usize + r, 3 * j as usize + c]] = base + (r * 3 + c) as f64;
                }
            }
        }
    }
    let chunks = Chunks::from_lengths(vec![vec![3, 3], vec![3, 3]]);
    let x = Array::from_graph(Graph::from_layers([layer]), name, chunks);
    (x, whole)
}

fn reads(log: &Path) -> usize {
    std::fs::read_to_string(log).map_or(0, |t| t.lines().count())
}

fn log_in(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn an_array_a_scalar_and_a_delayed_value_share_their_input() {
    let dir = tempfile::tempdir().unwrap();
    for s in SCHEDULERS {
        let log = log_in(&dir, &format!("{s}.log"));
        let (x, whole) = counted_array(&log);
        let col_sums = x.sum_over(Reduce::axis(0)).unwrap();
        let mean = x.mean();
        let first = Delayed::<ArrayD<f64>>::from_graph(x.graph().clone(), x.block_key(&[0, 0]));
        let top_left_max = block_max::call((first,));

        let (sums, m, mx) = dask::compute_on((&col_sums, &mean, &top_left_max), s).unwrap();

        let expected_sums = whole.sum_axis(ndarray::Axis(0));
        assert_eq!(sums, expected_sums, "{s}");
        assert!((m - whole.mean().unwrap()).abs() < 1e-12, "{s}");
        let block_max = whole
            .slice(ndarray::s![0..3, 0..3])
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(mx, block_max, "{s}");
        assert_eq!(reads(&log), 4, "{s}: each of the 4 blocks read once");

        // Computed one by one, the blocks are read once per collection.
        col_sums
            .compute(&*dask::scheduler_by_name(s).unwrap())
            .unwrap();
        dask::compute_on(&mean, s).unwrap();
        dask::compute_on(&top_left_max, s).unwrap();
        assert_eq!(reads(&log), 4 + 4 + 4 + 1, "{s}");
    }
}

#[test]
fn vectors_and_persisted_tuples_of_collections() {
    let dir = tempfile::tempdir().unwrap();
    for s in SCHEDULERS {
        let log = log_in(&dir, &format!("persist-{s}.log"));
        let (x, whole) = counted_array(&log);
        let parts = vec![x.sum(), x.max().unwrap()];
        let got = dask::compute_on(&parts, s).unwrap();
        let max = whole.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(got, vec![whole.sum(), max], "{s}");
        assert_eq!(reads(&log), 4, "{s}");

        // Persisting a tuple computes it once and gives collections backed by data.
        let (px, pmean) = dask::graph::Collection::persist(
            &(&x, &x.mean()),
            &*dask::scheduler_by_name(s).unwrap(),
        )
        .unwrap();
        assert_eq!(reads(&log), 8, "{s}");
        assert_eq!(
            px.compute(&*dask::scheduler_by_name(s).unwrap()).unwrap(),
            whole
        );
        let again = dask::compute_on((&px.sum(), &pmean), s).unwrap();
        assert_eq!(again.0, whole.sum(), "{s}");
        assert!((again.1 - whole.mean().unwrap()).abs() < 1e-12, "{s}");
        assert_eq!(reads(&log), 8, "{s}: nothing read again after persist");
    }
}

#[test]
fn persisted_blocks_of_one_layer_compute_together() {
    let dir = tempfile::tempdir().unwrap();
    for s in SCHEDULERS {
        let log = log_in(&dir, &format!("blocks-{s}.log"));
        let (x, whole) = counted_array(&log);
        let block = |i: usize, j: usize| {
            Delayed::<ArrayD<f64>>::from_graph(x.graph().clone(), x.block_key(&[i, j]))
        };
        let sched = dask::scheduler_by_name(s).unwrap();
        let p0 = block(0, 0).persist(&*sched).unwrap();
        let p1 = block(1, 1).persist(&*sched).unwrap();
        let (b0, b1) = dask::compute_on((&p0, &p1), s).unwrap();
        assert_eq!(b0, whole.slice(ndarray::s![0..3, 0..3]).into_dyn(), "{s}");
        assert_eq!(b1, whole.slice(ndarray::s![3..6, 3..6]).into_dyn(), "{s}");
        let (q0, q1) = Collection::persist(&(&block(0, 1), &block(1, 0)), &*sched).unwrap();
        let (c0, c1) = dask::compute_on((&q0, &q1), s).unwrap();
        assert_eq!(c0, whole.slice(ndarray::s![0..3, 3..6]).into_dyn(), "{s}");
        assert_eq!(c1, whole.slice(ndarray::s![3..6, 0..3]).into_dyn(), "{s}");
        assert_eq!(reads(&log), 4, "{s}: each block read once, by its persist");
    }
}

#[test]
fn errors_of_different_collections_meet_in_the_graph_error() {
    for s in SCHEDULERS {
        // A delayed value whose key no graph defines fails the merged compute, naming it.
        let x = Array::<f64>::ones(&[4], [2]).unwrap();
        let ghost = Delayed::<f64>::from_graph(Graph::new(), Key::new("ghost"));
        let err = dask::compute_on((&x.sum(), &ghost), s).unwrap_err();
        assert!(err.to_string().contains("ghost"), "{s}: {err}");

        // An array's own error (a block of the wrong shape, found when the blocks are
        // assembled) keeps its message inside the graph's error.
        let mut layer = Layer::new("misshapen");
        layer.data(
            Key::with_index("misshapen", [0u32]),
            block_value(ArrayD::<f64>::zeros(IxDyn(&[2]))),
        );
        let bad = Array::<f64>::from_graph(
            Graph::from_layers([layer]),
            "misshapen",
            Chunks::from_lengths(vec![vec![3]]),
        );
        let fine = dask::delayed::value(1i64);
        let err = dask::compute_on((&bad, &fine), s).unwrap_err();
        assert!(
            matches!(err, dask::graph::Error::Collection(_)),
            "{s}: {err:?}"
        );
        assert!(
            err.to_string()
                .contains("block [0] has shape (2,) but the chunks say (3,)"),
            "{s}: {err}"
        );
    }
}
