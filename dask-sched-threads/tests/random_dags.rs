//! Random DAGs computed by the threaded scheduler — with one, two and three workers, with
//! and without a memory limit that forces spilling — agree with a plain loop over the
//! same description, and the spill directory is always gone afterwards.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use dask_graph::testing::{ADD, as_i64};
use dask_graph::{Arg, Graph, Key, Layer, Optimizations, Plan, Value};
use dask_sched_threads::ThreadScheduler;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

/// A node: a data value, or a sum of a literal and earlier nodes (by distance back).
#[derive(Clone, Debug)]
enum NodeSpec {
    Data(i64),
    Sum(i64, Vec<usize>),
}

fn node() -> impl Strategy<Value = NodeSpec> {
    prop_oneof![
        1 => (-100i64..100).prop_map(NodeSpec::Data),
        4 => ((-100i64..100), prop::collection::vec(1usize..12, 0..4))
            .prop_map(|(c, back)| NodeSpec::Sum(c, back)),
    ]
}

fn key(i: usize) -> Key {
    Key::with_index("n", [i as u32])
}

/// The graph, and each node's value computed directly.
fn build(spec: &[NodeSpec]) -> (Graph, Vec<i64>) {
    let mut layer = Layer::new("random");
    let mut values = Vec::with_capacity(spec.len());
    for (i, n) in spec.iter().enumerate() {
        match n {
            NodeSpec::Data(v) => {
                layer.data(key(i), Value::new(*v));
                values.push(*v);
            }
            NodeSpec::Sum(c, back) => {
                let mut args = vec![Arg::Literal(Value::new(*c))];
                let mut v = *c;
                // References wrap to earlier nodes; the first node has none.
                for &b in back.iter().filter(|_| i > 0) {
                    let j = i - 1 - (b - 1) % i;
                    args.push(Arg::Key(key(j)));
                    v += values[j];
                }
                layer.task(key(i), &ADD, args);
                values.push(v);
            }
        }
    }
    (Graph::from_layers([layer]), values)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn threads_agree_with_a_direct_computation(
        spec in prop::collection::vec(node(), 1..120),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..6),
        limit in prop_oneof![Just(None), Just(Some(0u64)), Just(Some(64u64))],
    ) {
        let (graph, values) = build(&spec);
        let wanted: Vec<usize> = picks.iter().map(|p| p.index(spec.len())).collect();
        let keys: Vec<Key> = wanted.iter().map(|&i| key(i)).collect();
        for workers in [1, 2, 3] {
            let mut s = ThreadScheduler::new(workers).unwrap();
            if let Some(l) = limit {
                s = s.with_memory_limit(l);
            }
            for opts in [Optimizations::none(), Optimizations::all()] {
                let plan = Plan::build(&graph, &keys, &opts).unwrap();
                let (out, stats) = s.execute_with_stats(&plan, &());
                let got: Vec<i64> = out.unwrap().iter().map(as_i64).collect();
                let want: Vec<i64> = wanted.iter().map(|&i| values[i]).collect();
                prop_assert_eq!(&got, &want, "{} workers, {:?}, limit {:?}", workers, opts, limit);
                if let Some(dir) = &stats.spill_dir {
                    prop_assert!(!dir.exists());
                }
                if limit.is_none() {
                    prop_assert_eq!(stats.spilled, 0);
                }
            }
        }
    }
}
