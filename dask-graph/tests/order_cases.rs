//! The ordering cases of the foundation issue (adapted from the shapes in Dask's
//! `test_order.py`). Each case runs twice — keys spelled forwards (`a..e`) and with the
//! letters reversed (`e..a`) — so that structure, not spelling, decides the order.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use dask_graph::testing::{ADD, Event, Recorder};
use dask_graph::{Arg, Graph, Key, Layer, Optimizations, Plan, Scheduler, SyncScheduler};

/// Renames `a..e` to `e..a` when `reverse` (digits are kept).
fn spell(name: &str, reverse: bool) -> String {
    if !reverse {
        return name.to_string();
    }
    name.chars()
        .map(|c| match c {
            'a'..='e' => (b'e' - (c as u8 - b'a')) as char,
            other => other,
        })
        .collect()
}

/// A graph from `(key, dependencies)` pairs; tasks without dependencies are roots.
fn graph(spec: &[(&str, &[&str])], reverse: bool) -> Graph {
    let mut l = Layer::new("case");
    for (key, deps) in spec {
        let args = deps
            .iter()
            .map(|d| Arg::Key(Key::new(spell(d, reverse))))
            .collect();
        l.task(spell(key, reverse).as_str(), &ADD, args);
    }
    Graph::from_layers([l])
}

/// Priorities by (forward-spelled) key, ordering the whole graph.
fn order(spec: &[(&str, &[&str])], reverse: bool) -> HashMap<String, u32> {
    let g = graph(spec, reverse);
    let plan = Plan::build(&g, &[], &Optimizations::none()).unwrap();
    assert_eq!(plan.len(), spec.len());
    spec.iter()
        .map(|(k, _)| {
            let id = plan.id_of(&Key::new(spell(k, reverse))).unwrap();
            (k.to_string(), plan.priority(id))
        })
        .collect()
}

fn both(spec: &[(&str, &[&str])], check: impl Fn(&HashMap<String, u32>, bool)) {
    for reverse in [false, true] {
        let o = order(spec, reverse);
        check(&o, reverse);
    }
}

fn adjacent(o: &HashMap<String, u32>, a: &str, b: &str) -> bool {
    o[a].abs_diff(o[b]) == 1
}

#[test]
fn case1_siblings_of_a_reduction_are_adjacent() {
    let spec: &[(&str, &[&str])] = &[
        ("a0", &[]),
        ("a1", &[]),
        ("a2", &[]),
        ("a3", &[]),
        ("b0", &["a0", "a1"]),
        ("b1", &["a2", "a3"]),
    ];
    both(spec, |o, r| {
        assert!(adjacent(o, "a0", "a1"), "{o:?} reversed={r}");
        assert!(adjacent(o, "a2", "a3"), "{o:?} reversed={r}");
    });
    let swapped: &[(&str, &[&str])] = &[
        ("a0", &[]),
        ("a1", &[]),
        ("a2", &[]),
        ("a3", &[]),
        ("b0", &["a0", "a2"]),
        ("b1", &["a1", "a3"]),
    ];
    both(swapped, |o, r| {
        assert!(adjacent(o, "a0", "a2"), "{o:?} reversed={r}");
        assert!(adjacent(o, "a1", "a3"), "{o:?} reversed={r}");
    });
}

#[test]
fn case2_shared_root_runs_with_all_its_dependents() {
    let spec: &[(&str, &[&str])] = &[
        ("a0", &[]),
        ("a1", &[]),
        ("b0", &["a0"]),
        ("b1", &["a1"]),
        ("b2", &["a1"]),
    ];
    both(spec, |o, r| {
        assert!(
            o["a1"] < o["b0"] || (o["b1"] < o["a0"] && o["b2"] < o["a0"]),
            "{o:?} reversed={r}"
        );
    });
}

#[test]
fn case3_deep_chain_of_a_shared_root_first() {
    let spec: &[(&str, &[&str])] = &[
        ("c", &[]),
        ("b0", &["c"]),
        ("b1", &["c"]),
        ("b2", &["c"]),
        ("b3", &["c"]),
        ("a0", &["b0"]),
        ("a1", &["a0", "b1"]),
        ("a2", &["a1", "b2"]),
        ("a3", &["a2", "b3"]),
    ];
    both(spec, |o, r| {
        assert!(o["b0"] <= 1, "{o:?} reversed={r}");
        assert!(o["b1"] <= 3, "{o:?} reversed={r}");
    });
}

#[test]
fn case4_finish_a_ready_branch_before_loading_new_input() {
    let spec: &[(&str, &[&str])] = &[
        ("b2", &[]),
        ("c3", &[]),
        ("b1", &["b2"]),
        ("c2", &["c3"]),
        ("c1", &["c2"]),
        ("d1", &["c1"]),
        ("a3", &["b1", "c1"]),
        ("a2", &["a3"]),
        ("a1", &["a2"]),
    ];
    both(spec, |o, r| {
        assert!(o["d1"] < o["b1"], "{o:?} reversed={r}")
    });
}

#[test]
fn case5_deep_bases_win_over_dependents() {
    let spec: &[(&str, &[&str])] = &[
        ("d", &[]),
        ("e", &[]),
        ("b", &["d", "e"]),
        ("c", &["d"]),
        ("a", &["b", "c", "d"]),
    ];
    both(spec, |o, r| assert!(o["b"] < o["c"], "{o:?} reversed={r}"));
}

#[test]
fn case6_longer_chain_first() {
    let spec: &[(&str, &[&str])] = &[
        ("a", &[]),
        ("b", &["a"]),
        ("c", &["b"]),
        ("d", &[]),
        ("e", &["d"]),
    ];
    both(spec, |o, r| {
        assert!(o["a"] < o["d"], "{o:?} reversed={r}");
        assert!(o["b"] < o["d"], "{o:?} reversed={r}");
    });
    // Same structure, the short chain written first.
    let spec: &[(&str, &[&str])] = &[
        ("d", &[]),
        ("e", &["d"]),
        ("a", &[]),
        ("b", &["a"]),
        ("c", &["b"]),
    ];
    both(spec, |o, r| {
        assert!(o["a"] < o["d"], "{o:?} reversed={r}");
        assert!(o["b"] < o["d"], "{o:?} reversed={r}");
    });
}

#[test]
fn case7_follow_the_deep_branch_before_cheap_siblings() {
    let spec: &[(&str, &[&str])] = &[
        ("c", &[]),
        ("b", &["c"]),
        ("a", &["b"]),
        ("d", &["c"]),
        ("e", &["c"]),
    ];
    both(spec, |o, r| {
        assert!(o["d"] > o["b"], "{o:?} reversed={r}");
        assert!(o["e"] > o["b"], "{o:?} reversed={r}");
    });
}

#[test]
fn case8_sync_scheduler_runs_the_staircase_in_order() {
    let spec: &[(&str, &[&str])] = &[
        ("a3", &[]),
        ("b3", &[]),
        ("c3", &[]),
        ("a2", &["a3"]),
        ("a1", &["a2"]),
        ("b2", &["b3", "a2"]),
        ("b1", &["b2"]),
        ("c2", &["c3", "b2"]),
        ("c1", &["c2"]),
    ];
    for reverse in [false, true] {
        let g = graph(spec, reverse);
        let keys: Vec<Key> = ["a1", "b1", "c1"]
            .iter()
            .map(|k| Key::new(spell(k, reverse)))
            .collect();
        let plan = Plan::build(&g, &keys, &Optimizations::cull_only()).unwrap();
        let rec = Recorder::default();
        SyncScheduler.execute(&plan, &rec).unwrap();
        let ran: Vec<String> = rec
            .events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Pre(k, _) => Some(spell(k.name(), reverse)),
                _ => None,
            })
            .collect();
        assert_eq!(
            ran,
            ["a3", "a2", "a1", "b3", "b2", "b1", "c3", "c2", "c1"],
            "reversed={reverse}"
        );
    }
}

#[test]
fn case9_long_chain_orders_iteratively() {
    let n = 10_000u32;
    let mut l = Layer::new("chain");
    l.task(Key::with_index("c", [0]), &ADD, vec![]);
    for i in 1..n {
        l.task(
            Key::with_index("c", [i]),
            &ADD,
            vec![Arg::Key(Key::with_index("c", [i - 1]))],
        );
    }
    let g = Graph::from_layers([l]);
    // On a small stack: any recursion over the chain would overflow it.
    let plan = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || Plan::build(&g, &[], &Optimizations::none()).unwrap())
        .unwrap()
        .join()
        .unwrap();
    for i in 0..n {
        assert_eq!(
            plan.key(plan.order()[i as usize]),
            &Key::with_index("c", [i])
        );
    }
    assert!(plan.memory_pressure().iter().all(|&held| held <= 1));
}

/// A tree reduction ordered depth-first holds O(log n) results, not O(n).
#[test]
fn tree_reduction_memory_pressure_is_logarithmic() {
    let g = dask_graph::testing::tree_sum_graph(4096);
    let plan = Plan::build(&g, &[Key::new("total")], &Optimizations::cull_only()).unwrap();
    let peak = plan.memory_pressure().into_iter().max().unwrap();
    assert!(peak <= 13, "peak {peak} results held for a 4096-leaf tree");
}

/// Many independent reductions (like per-block `x.sum(axis=1)`) finish one before
/// loading the next: memory held stays at one reduction's worth.
#[test]
fn independent_reductions_run_one_at_a_time() {
    let mut l = Layer::new("rows");
    let mut outs = Vec::new();
    for r in 0..50u32 {
        let leaves: Vec<Key> = (0..8u32)
            .map(|c| {
                let k = Key::with_index("x", [r, c]);
                l.task(k.clone(), &ADD, vec![]);
                k
            })
            .collect();
        let out = Key::with_index("rowsum", [r]);
        l.task(
            out.clone(),
            &ADD,
            leaves.into_iter().map(Arg::Key).collect(),
        );
        outs.push(out);
    }
    let g = Graph::from_layers([l]);
    let plan = Plan::build(&g, &outs, &Optimizations::cull_only()).unwrap();
    let peak = plan.memory_pressure().into_iter().max().unwrap();
    // The requested sums are kept (49 before the last row); besides them, only one
    // row's 8 blocks are ever held at a time.
    assert!(peak <= 49 + 8, "peak {peak}");
}

/// `(x - x.mean(axis=1)).sum()` on a 20 × 8 grid of blocks (summed row by row, then
/// across rows): each row's blocks are needed twice (for the row mean, then for the
/// subtraction), so an order that loads the whole array before subtracting would hold
/// all 160 blocks. A good order finishes one row at a time.
#[test]
fn centring_rows_holds_about_one_row_of_blocks() {
    let (rows, cols) = (20u32, 8u32);
    let mut l = Layer::new("centre");
    let mut row_totals = Vec::new();
    for i in 0..rows {
        let xs: Vec<Key> = (0..cols)
            .map(|j| {
                let k = Key::with_index("x", [i, j]);
                l.task(k.clone(), &ADD, vec![]);
                k
            })
            .collect();
        let sums: Vec<Key> = xs
            .iter()
            .map(|x| {
                let k = Key::with_index("blocksum", x.index().unwrap());
                l.task(k.clone(), &ADD, vec![Arg::Key(x.clone())]);
                k
            })
            .collect();
        let mean = Key::with_index("mean", [i]);
        l.task(mean.clone(), &ADD, sums.into_iter().map(Arg::Key).collect());
        let centred: Vec<Arg> = xs
            .iter()
            .map(|x| {
                let y = Key::with_index("centred", x.index().unwrap());
                l.task(
                    y.clone(),
                    &ADD,
                    vec![Arg::Key(x.clone()), Arg::Key(mean.clone())],
                );
                Arg::Key(y)
            })
            .collect();
        let row_total = Key::with_index("rowtotal", [i]);
        l.task(row_total.clone(), &ADD, centred);
        row_totals.push(Arg::Key(row_total));
    }
    l.task("total", &ADD, row_totals);
    let g = Graph::from_layers([l]);
    for opts in [Optimizations::cull_only(), Optimizations::all()] {
        let plan = Plan::build(&g, &[Key::new("total")], &opts).unwrap();
        let peak = plan.memory_pressure().into_iter().max().unwrap();
        // The optimum: one row's blocks and their block sums (the mean takes all of
        // them at once), plus the totals of the rows already finished.
        let bound = 2 * cols as usize + (rows as usize - 1);
        assert!(peak <= bound, "peak {peak} > {bound} ({opts:?})");
    }
}
