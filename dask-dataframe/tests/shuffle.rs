//! Shuffles, joins, sorting, set_index, repartition, drop_duplicates and groupby-apply
//! against the same operation done directly on all the rows in the test, for many
//! partitionings, in memory and through files, under every scheduler.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use common::*;
use dask_dataframe::{
    DataFrame, JoinHow, JoinStrategy, Keep, MergeOptions, Repartition, ScalarValue, ShuffleMethod,
    SortOptions, col,
};
use dask_graph::{Collection, Scheduler};
use proptest::prelude::*;

dask_sched_procs::test_worker!();

const HOWS: [JoinHow; 6] = [
    JoinHow::Inner,
    JoinHow::Left,
    JoinHow::Right,
    JoinHow::Outer,
    JoinHow::Semi,
    JoinHow::Anti,
];

/// Cuts `b` into `n` partitions at positions chosen by `seed` (some may be empty).
fn cut(b: &RecordBatch, n: usize, seed: u64) -> DataFrame {
    let mut rng = common::Rng::new(seed);
    let rows = b.num_rows();
    let mut at: Vec<usize> = (0..n.saturating_sub(1))
        .map(|_| rng.below(rows as u64 + 1) as usize)
        .collect();
    at.push(0);
    at.push(rows);
    at.sort_unstable();
    let parts = at.windows(2).map(|w| b.slice(w[0], w[1] - w[0])).collect();
    DataFrame::from_record_batches(parts).unwrap()
}

fn left_batch(rows: &[(Option<i64>, i64)]) -> RecordBatch {
    batch(vec![
        (
            "k",
            Arc::new(rows.iter().map(|r| r.0).collect::<Int64Array>()) as ArrayRef,
        ),
        (
            "a",
            Arc::new(rows.iter().map(|r| Some(r.1)).collect::<Int64Array>()),
        ),
    ])
}

/// The right side's key is an `Int32`: keys of different widths must still meet.
fn right_batch(rows: &[(Option<i32>, Option<u8>)]) -> RecordBatch {
    batch(vec![
        (
            "k",
            Arc::new(rows.iter().map(|r| r.0).collect::<Int32Array>()) as ArrayRef,
        ),
        (
            "b",
            Arc::new(
                rows.iter()
                    .map(|r| r.1.map(|i| NAMES[i as usize % NAMES.len()]))
                    .collect::<StringArray>(),
            ),
        ),
    ])
}

type JoinRow = (Option<i64>, Option<i64>, Option<String>);

/// The join done row by row, as pandas' merge defines it (null keys never match).
fn nested_loop(
    left: &[(Option<i64>, i64)],
    right: &[(Option<i32>, Option<u8>)],
    how: JoinHow,
) -> Vec<JoinRow> {
    let name = |b: Option<u8>| b.map(|i| NAMES[i as usize % NAMES.len()].to_string());
    let eq =
        |l: Option<i64>, r: Option<i32>| matches!((l, r), (Some(l), Some(r)) if l == i64::from(r));
    let mut out = Vec::new();
    let mut right_matched = vec![false; right.len()];
    for &(lk, a) in left {
        let mut matched = false;
        for (j, &(rk, b)) in right.iter().enumerate() {
            if eq(lk, rk) {
                matched = true;
                right_matched[j] = true;
                if !matches!(how, JoinHow::Semi | JoinHow::Anti) {
                    out.push((lk, Some(a), name(b)));
                }
            }
        }
        match how {
            JoinHow::Left | JoinHow::Outer if !matched => out.push((lk, Some(a), None)),
            JoinHow::Semi if matched => out.push((lk, Some(a), None)),
            JoinHow::Anti if !matched => out.push((lk, Some(a), None)),
            _ => {}
        }
    }
    if matches!(how, JoinHow::Right | JoinHow::Outer) {
        for (j, &(rk, b)) in right.iter().enumerate() {
            if !right_matched[j] {
                out.push((rk.map(i64::from), None, name(b)));
            }
        }
    }
    out.sort();
    out
}

fn join_rows(b: &RecordBatch, how: JoinHow) -> Vec<JoinRow> {
    let k = i64s(b, "k");
    let a = i64s(b, "a");
    let bs = if matches!(how, JoinHow::Semi | JoinHow::Anti) {
        assert_eq!(
            b.num_columns(),
            2,
            "semi and anti joins keep the left columns only"
        );
        vec![None; b.num_rows()]
    } else {
        strs(b, "b")
    };
    let mut out: Vec<JoinRow> = (0..b.num_rows())
        .map(|i| (k[i], a[i], bs[i].clone()))
        .collect();
    out.sort();
    out
}

fn left_rows() -> impl Strategy<Value = Vec<(Option<i64>, i64)>> {
    prop::collection::vec((prop::option::weighted(0.85, 0i64..8), -100i64..100), 0..30)
}

fn right_rows() -> impl Strategy<Value = Vec<(Option<i32>, Option<u8>)>> {
    prop::collection::vec(
        (
            prop::option::weighted(0.85, 0i32..8),
            prop::option::weighted(0.9, 0u8..7),
        ),
        0..30,
    )
}

fn methods() -> impl Strategy<Value = ShuffleMethod> {
    prop_oneof![Just(ShuffleMethod::Tasks), Just(ShuffleMethod::Disk)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20))]

    #[test]
    fn every_join_kind_agrees_with_a_nested_loop_join(
        left in left_rows(),
        right in right_rows(),
        nl in 1usize..5,
        nr in 1usize..5,
        seed in any::<u64>(),
        method in methods(),
    ) {
        let (lb, rb) = (left_batch(&left), right_batch(&right));
        let (l, r) = (cut(&lb, nl, seed), cut(&rb, nr, seed ^ 1));
        for how in HOWS {
            let want = nested_loop(&left, &right, how);
            for strategy in [JoinStrategy::Auto, JoinStrategy::Hash, JoinStrategy::Broadcast] {
                if strategy == JoinStrategy::Broadcast && how == JoinHow::Outer {
                    continue;
                }
                let opts = MergeOptions::on(["k"]).how(how).strategy(strategy).method(method);
                let df = l.merge_with(&r, opts).unwrap();
                for (name, s) in schedulers() {
                    let got = join_rows(&df.compute(s).unwrap(), how);
                    prop_assert_eq!(&got, &want, "{:?} {:?} {:?} on {}", how, strategy, method, name);
                }
            }
        }
    }

    #[test]
    fn sort_values_is_a_stable_sort(
        keys in prop::collection::vec(prop::option::weighted(0.9, -20i64..20), 0..60),
        n in 1usize..6,
        out in 1usize..6,
        ascending in any::<bool>(),
        seed in any::<u64>(),
        method in methods(),
    ) {
        let ids: Vec<i64> = (0..keys.len() as i64).collect();
        let b = batch(vec![
            ("k", Arc::new(keys.iter().copied().collect::<Int64Array>()) as ArrayRef),
            ("id", Arc::new(Int64Array::from(ids))),
        ]);
        let df = cut(&b, n, seed);
        let sorted = df
            .sort_values_with(["k"], SortOptions::new().ascending(ascending).npartitions(out).method(method))
            .unwrap();
        prop_assert_eq!(sorted.npartitions(), out);
        // Stable, nulls last: by key (reversed when descending), ties in input order.
        let mut want: Vec<(Option<i64>, i64)> = keys.iter().copied().zip(0..).collect();
        want.sort_by(|x, y| match (x.0, y.0) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, _) => std::cmp::Ordering::Greater,
            (_, None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) => if ascending { a.cmp(&b) } else { b.cmp(&a) },
        });
        for (name, s) in schedulers() {
            let got = sorted.compute(s).unwrap();
            let got: Vec<(Option<i64>, i64)> = i64s(&got, "k").into_iter().zip(i64s(&got, "id").into_iter().map(Option::unwrap)).collect();
            prop_assert_eq!(&got, &want, "on {}", name);
        }
    }

    #[test]
    fn drop_duplicates_keeps_the_first_of_each_set(
        rows in prop::collection::vec((prop::option::weighted(0.8, 0i64..5), prop::option::weighted(0.8, 0u8..3)), 0..50),
        n in 1usize..6,
        seed in any::<u64>(),
        method in methods(),
        keep in prop_oneof![Just(Keep::First), Just(Keep::Last), Just(Keep::None)],
    ) {
        let b = batch(vec![
            ("k", Arc::new(rows.iter().map(|r| r.0).collect::<Int64Array>()) as ArrayRef),
            ("s", Arc::new(rows.iter().map(|r| r.1.map(|i| NAMES[i as usize])).collect::<StringArray>())),
            ("id", Arc::new((0..rows.len() as i64).collect::<Int64Array>())),
        ]);
        let df = cut(&b, n, seed).drop_duplicates_with(["k", "s"], keep, method).unwrap();
        let mut groups: BTreeMap<(Option<i64>, Option<u8>), Vec<i64>> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            groups.entry(*r).or_default().push(i as i64);
        }
        let mut want: Vec<i64> = groups
            .values()
            .filter_map(|ids| match keep {
                Keep::First => ids.first().copied(),
                Keep::Last => ids.last().copied(),
                Keep::None => (ids.len() == 1).then(|| ids[0]),
            })
            .collect();
        want.sort_unstable();
        for (name, s) in schedulers() {
            let mut got: Vec<i64> = i64s(&df.compute(s).unwrap(), "id").into_iter().map(Option::unwrap).collect();
            got.sort_unstable();
            prop_assert_eq!(&got, &want, "on {}", name);
        }
    }
}

/// A frame of `n` rows: `k` cycling through `keys` values, `v` = row number.
fn keyed(n: i64, keys: i64) -> RecordBatch {
    batch(vec![
        (
            "k",
            Arc::new((0..n).map(|i| (i * 7919) % keys).collect::<Int64Array>()) as ArrayRef,
        ),
        ("v", Arc::new((0..n).collect::<Int64Array>())),
    ])
}

#[test]
fn set_index_then_persist_knows_its_divisions_and_loc_uses_them() {
    let b = keyed(500, 97);
    for (name, s) in schedulers() {
        let df = cut(&b, 5, 3).set_index("k").unwrap();
        assert_eq!(df.index(), Some("k"));
        assert!(
            df.divisions().is_none(),
            "divisions are chosen when the graph runs"
        );
        let p = df.persist(s).unwrap();
        let d = p.divisions().unwrap();
        assert_eq!(d.column, "k");
        assert_eq!(d.boundaries.len(), p.npartitions() + 1);
        let all = p.compute(s).unwrap();
        let ks: Vec<i64> = i64s(&all, "k").into_iter().map(Option::unwrap).collect();
        assert!(ks.windows(2).all(|w| w[0] <= w[1]), "{name}: not sorted");
        // loc reads only the partitions that can hold the range, and filters them.
        let got = p.loc(10i64, 20i64).unwrap();
        assert!(
            got.npartitions() < p.npartitions(),
            "{name}: loc read every partition"
        );
        let want = ks.iter().filter(|&&k| (10..=20).contains(&k)).count();
        assert_eq!(got.compute(s).unwrap().num_rows(), want, "{name}");
        let empty = p.loc(1000i64, 2000i64).unwrap().compute(s).unwrap();
        assert_eq!(empty.num_rows(), 0);
    }
}

#[test]
fn partition_wise_join_on_equal_divisions() {
    let b = keyed(300, 50);
    let divisions = Repartition::Divisions {
        column: "k".into(),
        boundaries: [0i64, 10, 25, 49]
            .into_iter()
            .map(ScalarValue::from)
            .collect(),
    };
    let l = cut(&b, 4, 1).repartition(divisions.clone()).unwrap();
    let users = batch(vec![
        ("k", Arc::new((0..50).collect::<Int64Array>()) as ArrayRef),
        (
            "name",
            Arc::new(StringArray::from_iter_values((0..50).map(|i| NAMES[i % 7]))),
        ),
    ]);
    let r = cut(&users, 3, 2).repartition(divisions).unwrap();
    assert_eq!(l.divisions().unwrap().boundaries.len(), 4);
    let opts = MergeOptions::on(["k"]).strategy(JoinStrategy::PartitionWise);
    let joined = l.merge_with(&r, opts).unwrap();
    assert_eq!(joined.npartitions(), 3);
    for (name, s) in schedulers() {
        let out = joined.compute(s).unwrap();
        assert_eq!(out.num_rows(), 300, "{name}");
        let (k, n) = (i64s(&out, "k"), strs(&out, "name"));
        for i in 0..out.num_rows() {
            assert_eq!(
                n[i].as_deref(),
                Some(NAMES[k[i].unwrap() as usize % 7]),
                "{name}"
            );
        }
    }
    // Unequal divisions refuse a partition-wise join.
    let other = cut(&users, 3, 2);
    let err = l
        .merge_with(
            &other,
            MergeOptions::on(["k"]).strategy(JoinStrategy::PartitionWise),
        )
        .unwrap_err();
    assert!(err.to_string().contains("equal known divisions"), "{err}");
}

#[test]
fn repartition_by_count_keeps_rows_in_order() {
    let b = keyed(103, 10);
    for n in [1, 2, 5, 9, 30] {
        for (name, df) in partitionings(&b) {
            let r = df.repartition(Repartition::NPartitions(n)).unwrap();
            assert_eq!(r.npartitions(), n);
            check(&format!("{name} into {n}"), &r, &b);
        }
    }
    let by_size = DataFrame::from_record_batch(b.clone(), 1)
        .unwrap()
        .repartition(Repartition::PartitionSize(200))
        .unwrap();
    assert!(by_size.npartitions() > 1);
    check("by size", &by_size, &b);
    let err = DataFrame::from_record_batch(b, 1)
        .unwrap()
        .repartition(Repartition::NPartitions(0))
        .unwrap_err();
    assert!(err.to_string().contains("at least one partition"), "{err}");
}

#[test]
fn repartition_by_divisions_puts_each_row_in_its_range() {
    let b = keyed(400, 100);
    let df = cut(&b, 6, 9)
        .repartition(Repartition::Divisions {
            column: "k".into(),
            boundaries: [0i64, 20, 50, 51, 99]
                .into_iter()
                .map(ScalarValue::from)
                .collect(),
        })
        .unwrap();
    assert_eq!(df.npartitions(), 4);
    for (name, s) in schedulers() {
        let parts = df.persist(s).unwrap();
        let mut total = 0;
        for (i, (lo, hi)) in [(0, 20), (20, 50), (50, 51), (51, 100)]
            .into_iter()
            .enumerate()
        {
            let one = parts.partition(i).unwrap().compute(s).unwrap();
            total += one.num_rows();
            assert!(
                i64s(&one, "k")
                    .iter()
                    .all(|k| (lo..hi).contains(&k.unwrap())),
                "{name}: partition {i}"
            );
        }
        assert_eq!(total, 400);
    }
    let err = cut(&b, 2, 1)
        .repartition(Repartition::Divisions {
            column: "k".into(),
            boundaries: [5i64, 3].into_iter().map(ScalarValue::from).collect(),
        })
        .unwrap_err();
    assert!(err.to_string().contains("ascending"), "{err}");
    // A row outside the divisions is an error naming it, not a false division.
    let narrow = cut(&b, 3, 1)
        .repartition(Repartition::Divisions {
            column: "k".into(),
            boundaries: [10i64, 50, 90].into_iter().map(ScalarValue::from).collect(),
        })
        .unwrap();
    for (name, s) in schedulers() {
        let err = narrow.compute(s).unwrap_err().to_string();
        assert!(
            err.contains("outside the divisions [10, 90]"),
            "{name}: {err}"
        );
    }
}

#[test]
fn partitions_of_one_frame_stay_distinct_in_one_graph() {
    let b = keyed(40, 4);
    let df = DataFrame::from_record_batches(vec![b.slice(0, 20), b.slice(20, 20)]).unwrap();
    // `partition(1)` and the whole frame concatenated (the broadcast side) are
    // different nodes, though both end at partition 2.
    let joined = df
        .partition(1)
        .unwrap()
        .merge(&df, ["k"], JoinHow::Inner)
        .unwrap();
    let ks: Vec<i64> = i64s(&b, "k").into_iter().map(Option::unwrap).collect();
    let want: usize = ks[20..]
        .iter()
        .map(|k| ks.iter().filter(|x| *x == k).count())
        .sum();
    for (name, s) in schedulers() {
        assert_eq!(joined.compute(s).unwrap().num_rows(), want, "{name}");
    }
}

#[test]
fn float_keys_that_compare_equal_meet_in_a_hash_join() {
    use arrow_array::Float64Array;
    let l = batch(vec![
        (
            "x",
            Arc::new(Float64Array::from(vec![0.0, 1.5, f64::NAN, 2.0])) as ArrayRef,
        ),
        ("a", Arc::new(Int64Array::from(vec![1, 2, 3, 4]))),
    ]);
    let r = batch(vec![
        (
            "x",
            Arc::new(Float64Array::from(vec![-0.0, 1.5, -f64::NAN, 7.0])) as ArrayRef,
        ),
        ("b", Arc::new(Int64Array::from(vec![10, 20, 30, 40]))),
    ]);
    let (l, r) = (cut(&l, 3, 1), cut(&r, 3, 2));
    let joined = l
        .merge_with(
            &r,
            MergeOptions::on(["x"])
                .strategy(JoinStrategy::Hash)
                .npartitions(8),
        )
        .unwrap();
    let dedup = DataFrame::concat(&[
        l.select_columns(&["x"]).unwrap(),
        r.select_columns(&["x"]).unwrap(),
    ])
    .unwrap()
    .drop_duplicates(["x"])
    .unwrap();
    for (name, s) in schedulers() {
        assert_eq!(
            joined.compute(s).unwrap().num_rows(),
            3,
            "{name}: 0.0 = -0.0, 1.5, NaN = NaN"
        );
        assert_eq!(
            dedup.compute(s).unwrap().num_rows(),
            5,
            "{name}: 0, 1.5, NaN, 2, 7"
        );
    }
}

#[test]
fn a_graph_computed_twice_shuffles_through_files_exactly_once_each_time() {
    // `head` computes one graph partition by partition: the writers run again.
    let b = keyed(300, 30);
    let sorted = cut(&b, 5, 3)
        .sort_values_with(["k"], SortOptions::new().method(ShuffleMethod::Disk))
        .unwrap();
    let all = sorted.compute(&dask_graph::SyncScheduler).unwrap();
    for (name, s) in schedulers() {
        let head = sorted.head(250, s).unwrap();
        assert_batches_equal(name, &head, &all.slice(0, 250));
    }
}

#[test]
fn divisions_are_unknown_when_a_partition_is_empty_or_a_key_null() {
    let full = batch(vec![(
        "k",
        Arc::new(Int64Array::from(vec![4, 1, 3, 2])) as ArrayRef,
    )]);
    let with_null = batch(vec![(
        "k",
        Arc::new(Int64Array::from(vec![Some(4), None, Some(3), Some(2)])) as ArrayRef,
    )]);
    // Four rows in four partitions: known. Four rows in eight: some partition is
    // empty. A null: the divisions could not say where it is.
    for (rows, n, known) in [(&full, 4, true), (&full, 8, false), (&with_null, 4, false)] {
        let df = DataFrame::from_record_batch(rows.clone(), n)
            .unwrap()
            .set_index("k")
            .unwrap();
        let p = df.persist(&dask_graph::SyncScheduler).unwrap();
        assert_eq!(p.divisions().is_some(), known, "{n} partitions");
    }
}

#[test]
fn groupby_apply_calls_the_function_on_whole_groups() {
    let b = keyed(200, 13);
    let schema = Arc::new(Schema::new(vec![
        Field::new("k", DataType::Int64, true),
        Field::new("rows", DataType::Int64, false),
        Field::new("total", DataType::Int64, false),
    ]));
    let mut want: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (k, v) in i64s(&b, "k").into_iter().zip(i64s(&b, "v")) {
        let e = want.entry(k.unwrap()).or_default();
        e.0 += 1;
        e.1 += v.unwrap();
    }
    let declared = Arc::clone(&schema);
    let f = move |g: RecordBatch| -> Result<RecordBatch, arrow_schema::ArrowError> {
        let k = i64s(&g, "k")[0];
        let total: i64 = i64s(&g, "v").into_iter().map(Option::unwrap).sum();
        RecordBatch::try_new(
            Arc::clone(&declared),
            vec![
                Arc::new(Int64Array::from(vec![k])),
                Arc::new(Int64Array::from(vec![g.num_rows() as i64])),
                Arc::new(Int64Array::from(vec![total])),
            ],
        )
    };
    let df = cut(&b, 5, 4)
        .groupby(["k"])
        .unwrap()
        .apply(schema, f)
        .unwrap();
    for (name, s) in schedulers() {
        if name == "processes" {
            let err = df.compute(s).unwrap_err();
            assert!(err.to_string().contains("closure"), "{err}");
            continue;
        }
        let out = df.compute(s).unwrap();
        let mut got: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
        for i in 0..out.num_rows() {
            got.insert(
                i64s(&out, "k")[i].unwrap(),
                (
                    i64s(&out, "rows")[i].unwrap(),
                    i64s(&out, "total")[i].unwrap(),
                ),
            );
        }
        assert_eq!(got, want, "{name}");
    }
}

fn group_summary(args: dask_graph::Args) -> dask_graph::OpResult {
    let g = args.get::<RecordBatch>(0)?;
    let k = i64s(g, "k")[0];
    let out = RecordBatch::try_from_iter([
        ("k", Arc::new(Int64Array::from(vec![k])) as ArrayRef),
        (
            "rows",
            Arc::new(Int64Array::from(vec![g.num_rows() as i64])) as ArrayRef,
        ),
    ])?;
    Ok(dask_dataframe::batch_value(out))
}

dask_graph::register_op!(GROUP_SUMMARY = "test.dataframe.group_summary" => group_summary);

#[test]
fn groupby_apply_op_runs_on_every_scheduler() {
    let b = keyed(150, 11);
    let schema = Arc::new(Schema::new(vec![
        Field::new("k", DataType::Int64, true),
        Field::new("rows", DataType::Int64, false),
    ]));
    let df = cut(&b, 4, 8)
        .groupby(["k"])
        .unwrap()
        .apply_op(&GROUP_SUMMARY, schema)
        .unwrap();
    for (name, s) in schedulers() {
        let out = df.compute(s).unwrap();
        assert_eq!(out.num_rows(), 11, "{name}");
        let rows: i64 = i64s(&out, "rows").into_iter().map(Option::unwrap).sum();
        assert_eq!(rows, 150, "{name}");
    }
}

#[test]
fn split_out_groupbys_go_through_the_shuffle_in_memory_and_on_disk() {
    let b = keyed(1000, 333);
    // 40 partitions: two stages of the in-memory shuffle.
    let df = cut(&b, 40, 5);
    let one = df
        .groupby(["k"])
        .unwrap()
        .agg([dask_dataframe::sum("v")])
        .unwrap();
    let want = one.compute(&dask_graph::SyncScheduler).unwrap();
    let limited = dask_sched_threads::ThreadScheduler::new(2)
        .unwrap()
        .with_memory_limit(1000);
    let many = df
        .groupby(["k"])
        .unwrap()
        .split_out(4)
        .agg([dask_dataframe::sum("v")])
        .unwrap();
    assert_eq!(many.npartitions(), 4);
    let mut runs: Vec<(&str, &dyn Scheduler)> = schedulers();
    runs.push(("threads under a memory limit (on disk)", &limited));
    for (name, s) in runs {
        let got = many.compute(s).unwrap();
        let sorted = DataFrame::from_record_batch(got, 1)
            .unwrap()
            .sort_values(["k"], true)
            .unwrap()
            .compute(s)
            .unwrap();
        assert_batches_equal(name, &sorted, &want);
    }
    // The memory limit is what sends the shuffle to files.
    let graph = dask_graph::building_for(&limited, || many.graph().into_owned());
    assert!(
        graph
            .layers()
            .iter()
            .any(|l| l.name().ends_with("-barrier"))
    );
    let graph = many.graph();
    assert!(
        !graph
            .layers()
            .iter()
            .any(|l| l.name().ends_with("-barrier"))
    );
}

#[test]
fn a_skewed_key_joins_and_sorts() {
    // Nine rows in ten share one key.
    let n = 5000i64;
    let b = batch(vec![
        (
            "k",
            Arc::new(
                (0..n)
                    .map(|i| if i % 10 == 0 { i } else { 1 })
                    .collect::<Int64Array>(),
            ) as ArrayRef,
        ),
        ("v", Arc::new((0..n).collect::<Int64Array>())),
    ]);
    let small = batch(vec![
        ("k", Arc::new(Int64Array::from(vec![1, 10, 20])) as ArrayRef),
        ("w", Arc::new(Int64Array::from(vec![100, 200, 300]))),
    ]);
    let df = cut(&b, 8, 2);
    let r = cut(&small, 2, 1);
    let joined = df
        .merge_with(&r, MergeOptions::on(["k"]).strategy(JoinStrategy::Hash))
        .unwrap();
    let sorted = df.sort_values(["k"], true).unwrap();
    for method in [ShuffleMethod::Tasks, ShuffleMethod::Disk] {
        let on_disk = df
            .sort_values_with(["k"], SortOptions::new().method(method))
            .unwrap();
        for (name, s) in schedulers() {
            assert_eq!(joined.compute(s).unwrap().num_rows(), 4502, "{name}");
            let out = on_disk.compute(s).unwrap();
            let ks: Vec<i64> = i64s(&out, "k").into_iter().map(Option::unwrap).collect();
            assert!(ks.windows(2).all(|w| w[0] <= w[1]), "{name}");
            assert_eq!(out.num_rows(), 5000);
        }
    }
    assert_eq!(
        sorted
            .compute(&dask_graph::SyncScheduler)
            .unwrap()
            .num_rows(),
        5000
    );
}

#[test]
fn merge_errors_name_what_is_wrong() {
    let l = DataFrame::from_record_batch(keyed(10, 3), 2).unwrap();
    let r = DataFrame::from_record_batch(
        batch(vec![(
            "k",
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
        )]),
        1,
    )
    .unwrap();
    let err = l
        .merge(&l, ["nope"], JoinHow::Inner)
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope"), "{err}");
    let err = l.merge(&r, ["k"], JoinHow::Inner).unwrap_err().to_string();
    assert!(err.contains("Utf8") && err.contains("Int64"), "{err}");
    let err = l
        .merge_with(
            &l,
            MergeOptions::on(["k"])
                .how(JoinHow::Outer)
                .strategy(JoinStrategy::Broadcast),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("outer join cannot broadcast"), "{err}");
    let err = l.join(&l, JoinHow::Inner).unwrap_err().to_string();
    assert!(err.contains("index"), "{err}");
    let err = l.sort_values(["nope"], true).unwrap_err().to_string();
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn suffixes_name_clashing_columns() {
    let l = DataFrame::from_record_batch(keyed(10, 3), 2).unwrap();
    let out = l
        .merge_with(&l, MergeOptions::on(["k"]).suffixes("_l", "_r"))
        .unwrap();
    let names: Vec<String> = out.columns();
    assert_eq!(names, ["k", "v_l", "v_r"]);
    assert_eq!(
        out.compute(&dask_graph::SyncScheduler).unwrap().num_rows(),
        34
    );
    let filtered = out.filter(col("v_l").eq(col("v_r"))).unwrap();
    assert_eq!(
        filtered
            .compute(&dask_graph::SyncScheduler)
            .unwrap()
            .num_rows(),
        10
    );
}
