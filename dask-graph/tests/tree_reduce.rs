//! `TreeReduce` against a direct fold, for random leaf counts and fan-ins.
#![allow(clippy::unwrap_used)]

use dask_graph::{
    Arg, Args, Error, Graph, Key, Layer, Node, OpResult, SyncScheduler, TreeReduce, Value, compute,
    register_op,
};
use proptest::prelude::*;

/// Concatenates the `Vec<u64>` inputs in order: an order-sensitive combine, so the test
/// sees that every leaf arrives once and in block order.
fn concat(args: Args) -> OpResult {
    let mut out = Vec::new();
    for i in 0..args.len() {
        out.extend_from_slice(args.get::<Vec<u64>>(i)?);
    }
    Ok(Value::new(out))
}

/// The root: a marker (its leading literal) followed by the concatenated inputs.
fn finish(args: Args) -> OpResult {
    let mut out = vec![*args.get::<u64>(0)?];
    for i in 1..args.len() {
        out.extend_from_slice(args.get::<Vec<u64>>(i)?);
    }
    Ok(Value::new(out))
}

register_op!(CONCAT = "test.tree.concat" => concat);
register_op!(FINISH = "test.tree.finish" => finish);

/// A graph of `n` leaves holding `[i]`, and their keys.
fn leaves(n: usize) -> (Graph, Vec<Key>) {
    let mut layer = Layer::new("leaves");
    let keys: Vec<Key> = (0..n as u32)
        .map(|i| Key::with_index("leaves", [i]))
        .collect();
    for (i, k) in keys.iter().enumerate() {
        layer.data(k.clone(), Value::new(vec![i as u64]));
    }
    (Graph::from_layers([layer]), keys)
}

/// Levels a tree over `n` inputs has below its root with fan-in `s`.
fn levels(mut n: usize, s: usize) -> usize {
    let mut levels = 0;
    while n > s {
        n = n.div_ceil(s);
        levels += 1;
    }
    levels
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tree_reduce_agrees_with_a_direct_fold(n in 0usize..400, split_every in 2usize..24) {
        let (mut graph, keys) = leaves(n);
        let tree = TreeReduce::new("root", &CONCAT)
            .aggregate(&FINISH, vec![Arg::Literal(Value::new(7u64))])
            .split_every(split_every);
        let root = tree.build(&mut graph, keys).unwrap();
        prop_assert_eq!(&root, &tree.root());

        // The direct fold: the marker, then every leaf in order.
        let expected: Vec<u64> = std::iter::once(7).chain(0..n as u64).collect();
        let out = compute(&graph, std::slice::from_ref(&root), &SyncScheduler).unwrap();
        prop_assert_eq!(out[0].downcast_ref::<Vec<u64>>().unwrap(), &expected);

        // Bounded fan-in everywhere, and the expected number of levels.
        let mut tasks = 0;
        for (_, node) in graph.iter() {
            if let Node::Task(t) = node {
                tasks += 1;
                let inputs = t.args.iter().filter(|a| matches!(a, Arg::Key(_))).count();
                prop_assert!(inputs <= split_every, "a task takes {} inputs", inputs);
            }
        }
        prop_assert_eq!(graph.layers().len(), 2 + levels(n, split_every));
        prop_assert!(tasks >= 1);
    }
}

#[test]
fn the_same_operation_combines_and_finishes_without_an_aggregate() {
    let (mut graph, keys) = leaves(50);
    let root = TreeReduce::new("plain", &CONCAT)
        .split_every(4)
        .build(&mut graph, keys)
        .unwrap();
    let out = compute(&graph, &[root], &SyncScheduler).unwrap();
    let expected: Vec<u64> = (0..50).collect();
    assert_eq!(out[0].downcast_ref::<Vec<u64>>().unwrap(), &expected);
}

#[test]
fn a_fan_in_below_two_is_an_error_naming_it() {
    let (mut graph, keys) = leaves(5);
    for bad in [0, 1] {
        let err = TreeReduce::new("bad", &CONCAT)
            .split_every(bad)
            .build(&mut graph, keys.clone())
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
        assert!(err.to_string().contains("split_every"), "{err}");
    }
}
