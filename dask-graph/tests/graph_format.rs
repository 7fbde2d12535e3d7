//! The graph format itself: layers and merging, validation errors, registries, codecs,
//! zero-copy hand-over of inputs, and pictures.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use dask_graph::testing::{ADD, as_i64, k, lit};
use dask_graph::{
    Arg, Args, Error, Fused, Graph, Key, Layer, Node, Op, OpResult, Optimizations, Plan, Scheduler,
    Step, StepArg, SyncScheduler, Value, compute, compute_with, dot, register_op,
};

fn layer(name: &str, f: impl FnOnce(&mut Layer)) -> Layer {
    let mut l = Layer::new(name);
    f(&mut l);
    l
}

#[test]
fn merging_shares_layers_and_keeps_one_copy_per_name() {
    let base = Graph::from_layers([layer("base", |l| {
        l.data("x", Value::new(2i64));
    })]);
    let mut a = base.clone();
    a.add_layer(layer("a", |l| {
        l.task("ax", &ADD, vec![k("x"), lit(1)]);
    }));
    let mut b = base.clone();
    b.add_layer(layer("b", |l| {
        l.task("bx", &ADD, vec![k("x"), lit(10)]);
    }));
    let merged = Graph::merged([&a, &b]);
    assert_eq!(
        merged.layers().len(),
        3,
        "the shared base layer is kept once"
    );
    assert!(Arc::ptr_eq(
        merged.layer("base").unwrap(),
        base.layer("base").unwrap()
    ));
    let out = compute(&merged, &["ax".into(), "bx".into()], &SyncScheduler).unwrap();
    assert_eq!((as_i64(&out[0]), as_i64(&out[1])), (3, 12));
}

#[test]
fn a_key_defined_by_two_layers_is_an_error_naming_both() {
    let g = Graph::from_layers([
        layer("first", |l| {
            l.data("x", Value::new(1i64));
        }),
        layer("second", |l| {
            l.data("x", Value::new(2i64));
        }),
    ]);
    let err = g.validate().unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateKey { key, first, second } if key.name() == "x" && first == "first" && second == "second"),
        "{err}"
    );
}

#[test]
fn a_fused_step_referring_forwards_is_rejected() {
    let bad = Fused {
        steps: vec![
            Step {
                key: Key::new("s0"),
                op: Op::from(&ADD),
                args: vec![StepArg::Step(1)],
            },
            Step {
                key: Key::new("f"),
                op: Op::from(&ADD),
                args: vec![StepArg::Step(0)],
            },
        ],
    };
    let g = Graph::from_layers([layer("l", |l| {
        l.insert(Key::new("f"), Node::Fused(bad));
    })]);
    let err = g.validate().unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidStep {
                step: 0,
                refers_to: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn unknown_operation_names_are_reported() {
    let err = Op::named("no.such.op").unwrap_err();
    assert_eq!(
        err.to_string(),
        "no operation is registered under the name `no.such.op`"
    );
    assert_eq!(Op::named("testing.add").unwrap().name(), "testing.add");
    let names = dask_graph::operation_names();
    assert!(names.contains(&"testing.add") && names.contains(&"dask.identity"));
    assert_eq!(
        dask_graph::registry_fingerprint(),
        dask_graph::registry_fingerprint()
    );
}

#[test]
fn encoding_a_value_without_codec_names_its_type() {
    struct Opaque;
    let err = Value::opaque(Opaque).encode().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("graph_format") && msg.contains("Opaque"),
        "{msg}"
    );
}

static LAST_PTR: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

fn make_block(_: Args) -> OpResult {
    let v = vec![1.0f64; 1 << 16];
    *LAST_PTR.lock().unwrap() = v.as_ptr() as usize;
    Ok(Value::new(v))
}

fn scale_in_place(mut args: Args) -> OpResult {
    let mut v: Vec<f64> = args.take(0)?;
    let reused = v.as_ptr() as usize == *LAST_PTR.lock().unwrap();
    v.iter_mut().for_each(|x| *x *= 2.0);
    Ok(Value::new((reused, v.iter().sum::<f64>())))
}

register_op!(MAKE_BLOCK = "tests.make_block" => make_block);
register_op!(SCALE = "tests.scale_in_place" => scale_in_place);

#[test]
fn the_last_consumer_takes_its_input_without_a_copy() {
    let g = Graph::from_layers([layer("l", |l| {
        l.task("block", &MAKE_BLOCK, vec![])
            .task("scaled", &SCALE, vec![k("block")]);
    })]);
    for opts in dask_graph::testing::all_optimizations() {
        let out = compute_with(&g, &["scaled".into()], &SyncScheduler, &opts, &()).unwrap();
        let (reused, sum) = *out[0].downcast_ref::<(bool, f64)>().unwrap();
        assert!(reused, "the buffer was copied ({opts:?})");
        assert_eq!(sum, 2.0 * 65536.0);
    }
    // When the block is also requested, the consumer gets a copy and the block survives.
    let out = compute(&g, &["scaled".into(), "block".into()], &SyncScheduler).unwrap();
    assert!(!out[0].downcast_ref::<(bool, f64)>().unwrap().0);
    assert!(
        out[1]
            .downcast_ref::<Vec<f64>>()
            .unwrap()
            .iter()
            .all(|&x| x == 1.0)
    );
}

#[test]
fn dot_output_draws_every_node_and_edge() {
    let g = Graph::from_layers([layer("l", |l| {
        l.data("a", Value::new(1i64))
            .task("b", &ADD, vec![k("a"), lit(1)])
            .alias("c", "b")
            .task("d", &ADD, vec![k("c"), Arg::Key(Key::new("ghost"))]);
    })]);
    let text = dot::graph_to_dot(&g);
    assert!(text.starts_with("digraph"), "{text}");
    assert_eq!(
        text.matches("label=\"").count(),
        5,
        "4 nodes and the missing one: {text}"
    );
    assert_eq!(text.matches(" -> ").count(), 4, "{text}");
    assert!(text.contains("shape=box") && text.contains("style=dashed"));
    assert!(text.contains("(missing)") && text.contains("color=red"));

    let ok = Graph::from_layers([layer("l", |l| {
        l.data("a", Value::new(1i64))
            .task("b", &ADD, vec![k("a"), lit(1)])
            .task("c", &ADD, vec![k("b"), k("a")]);
    })]);
    let plan = Plan::build(&ok, &["c".into()], &Optimizations::none()).unwrap();
    let coloured = dot::plan_to_dot(&plan, dot::Colour::Order);
    assert_eq!(coloured.matches("fillcolor").count(), 3);
    assert!(coloured.contains("#0") && coloured.contains("#2"));
    let plain = dot::plan_to_dot(&plan, dot::Colour::None);
    assert!(!plain.contains("fillcolor"));
    assert_eq!(
        dot::plan_to_dot(&plan, dot::Colour::MemoryPressure)
            .matches("fillcolor")
            .count(),
        3
    );
}

#[test]
fn rendering_needs_graphviz_and_says_so() {
    let g = Graph::from_layers([layer("l", |l| {
        l.data("a", Value::new(1i64));
    })]);
    let dir = std::env::temp_dir().join(format!("dask-graph-dot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("g.svg");
    let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    match dot::render_to_file(&dot::graph_to_dot(&g), &path) {
        Ok(()) => {
            assert!(has_dot);
            assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
        }
        Err(e) => {
            assert!(!has_dot, "dot is installed but rendering failed: {e}");
            assert!(e.to_string().contains("Graphviz"), "{e}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn two_different_layers_with_one_name_are_an_error_not_a_silent_drop() {
    let a = Graph::from_layers([layer("inputs", |l| {
        l.data("x", Value::new(1i64));
    })]);
    let b = Graph::from_layers([layer("inputs", |l| {
        l.data("y", Value::new(2i64));
    })]);
    let merged = Graph::merged([&a, &b]);
    let err = compute(&merged, &["y".into()], &SyncScheduler).unwrap_err();
    assert!(
        matches!(&err, Error::LayerConflict { name } if name == "inputs"),
        "{err}"
    );
    // The same layer built twice (same name, same keys) is one layer.
    let again = Graph::from_layers([layer("inputs", |l| {
        l.data("x", Value::new(1i64));
    })]);
    let merged = Graph::merged([&a, &again]);
    assert_eq!(merged.layers().len(), 1);
    assert_eq!(
        as_i64(&compute(&merged, &["x".into()], &SyncScheduler).unwrap()[0]),
        1
    );
    // Test graphs of different sizes merge without clashing.
    let t4 = dask_graph::testing::tree_sum_graph(4);
    let t8 = dask_graph::testing::tree_sum_graph(8);
    let g = Graph::merged([&t4, &t8]);
    assert!(
        matches!(g.validate(), Err(Error::DuplicateKey { .. })),
        "both define `total`"
    );
}

#[test]
fn a_key_twice_in_one_layer_is_named_as_such() {
    let g = Graph::from_layers([layer("only", |l| {
        l.data("x", Value::new(1i64)).data("x", Value::new(2i64));
    })]);
    let err = g.validate().unwrap_err();
    assert_eq!(err.to_string(), "key x is defined twice in layer `only`");
}

#[test]
fn an_empty_fused_task_is_rejected() {
    let g = Graph::from_layers([layer("l", |l| {
        l.insert(Key::new("f"), Node::Fused(Fused { steps: vec![] }));
    })]);
    let err = g.validate().unwrap_err();
    assert_eq!(err.to_string(), "fused task f has no steps");
}

#[test]
fn run_task_checks_ids_and_input_counts() {
    let g = Graph::from_layers([layer("l", |l| {
        l.data("a", Value::new(1i64)).task("b", &ADD, vec![k("a")]);
    })]);
    let plan = Plan::build(&g, &["b".into()], &Optimizations::none()).unwrap();
    let b = plan.id_of(&"b".into()).unwrap();
    let err = plan.run_task(b, vec![]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "task b takes 1 input value(s) but was given 0"
    );
    let err = plan.run_task(100, vec![]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "task id 100 is not in the plan (it has 2 tasks)"
    );
}

#[test]
fn an_argument_taken_twice_is_reported() {
    let mut args = Args::new(vec![Value::new(vec![1u8])]);
    let _: Vec<u8> = args.take(0).unwrap();
    let err = args.take::<Vec<u8>>(0).unwrap_err();
    assert_eq!(err.to_string(), "argument 0 was already taken by value");
    assert_eq!(
        args.get::<Vec<u8>>(0).unwrap_err().to_string(),
        "argument 0 was already taken by value"
    );
}

/// 100 levels of `a_i = f(a_{i-1}, b_{i-1})`, `b_i = f(a_{i-1}, b_{i-1})`: the number of
/// paths doubles per level, which once overflowed the ordering's descendant estimate.
#[test]
fn a_lattice_with_exponentially_many_paths_plans() {
    let mut l = Layer::new("lattice");
    l.task(Key::with_index("a", [0]), &ADD, vec![lit(1)]).task(
        Key::with_index("b", [0]),
        &ADD,
        vec![lit(0)],
    );
    for i in 1..100u32 {
        for name in ["a", "b"] {
            l.task(
                Key::with_index(name, [i]),
                &ADD,
                vec![
                    Arg::Key(Key::with_index("a", [i - 1])),
                    Arg::Key(Key::with_index("b", [i - 1])),
                ],
            );
        }
    }
    let g = Graph::from_layers([l]);
    for opts in dask_graph::testing::all_optimizations() {
        let plan = Plan::build(&g, &[Key::with_index("a", [99])], &opts).unwrap();
        assert!(plan.len() <= 200);
        if opts.cull {
            // (Without culling every level runs, and level 64 overflows an i64: an error
            // naming that task, checked below.)
            let keys = [Key::with_index("a", [30])];
            let out = compute_with(&g, &keys, &SyncScheduler, &opts, &()).unwrap();
            assert_eq!(as_i64(&out[0]), 1 << 29, "{opts:?}");
        } else {
            let err = SyncScheduler.execute(&plan, &()).unwrap_err();
            assert!(err.to_string().contains("integer overflow"), "{err}");
        }
    }
}

/// A reduction tree of cheap operations keeps its shape: inlining never folds a task
/// with several inputs into its user, so parallelism and bounded memory survive.
#[test]
fn inlining_keeps_a_tree_of_cheap_operations_a_tree() {
    fn cheap_sum(a: Args) -> OpResult {
        Ok(Value::new(a.all::<i64>()?.into_iter().sum::<i64>()))
    }
    register_op!(CHEAP_SUM = "tests.cheap_sum" => cheap_sum, cheap);
    let mut l = Layer::new("cheap-tree");
    let leaves: Vec<Key> = (0..1024u32)
        .map(|i| {
            let key = Key::with_index("leaf", [i]);
            l.task(key.clone(), &ADD, vec![lit(1)]);
            key
        })
        .collect();
    let root = Key::new("root");
    dask_graph::testing::binary_tree(&mut l, "node", leaves, &CHEAP_SUM, root.clone());
    let g = Graph::from_layers([l]);
    let all = Plan::build(&g, std::slice::from_ref(&root), &Optimizations::all()).unwrap();
    let plain = Plan::build(&g, std::slice::from_ref(&root), &Optimizations::cull_only()).unwrap();
    assert_eq!(all.len(), plain.len());
    let peak = |p: &Plan| p.memory_pressure().into_iter().max().unwrap();
    assert_eq!(peak(&all), peak(&plain));
    assert!(peak(&all) <= 11);
    assert_eq!(as_i64(&SyncScheduler.execute(&all, &()).unwrap()[0]), 1024);
}

/// Large data used by several tasks stays one node; small data is substituted.
#[test]
fn only_small_data_is_copied_into_several_users() {
    for (len, expect_tasks) in [(10usize, 2usize), (1 << 20, 3)] {
        let g = Graph::from_layers([layer("l", |l| {
            l.data("big", Value::new(vec![1u8; len]))
                .task("u1", &MAKE_LEN, vec![k("big")])
                .task("u2", &MAKE_LEN, vec![k("big")]);
        })]);
        let plan = Plan::build(&g, &["u1".into(), "u2".into()], &Optimizations::all()).unwrap();
        assert_eq!(plan.len(), expect_tasks, "data of {len} bytes");
        let out = SyncScheduler.execute(&plan, &()).unwrap();
        assert_eq!(as_i64(&out[1]), len as i64);
    }
}

fn len_of(a: Args) -> OpResult {
    Ok(Value::new(a.get::<Vec<u8>>(0)?.len() as i64))
}
register_op!(MAKE_LEN = "tests.len_of" => len_of);

#[test]
fn a_task_with_many_dependencies_draws_and_plans_in_linear_time() {
    let n = 50_000u32;
    let g = Graph::from_layers([layer("wide", |l| {
        for i in 0..n {
            l.task(Key::with_index("x", [i]), &ADD, vec![lit(1)]);
        }
        l.task(
            "sum",
            &ADD,
            (0..n)
                .map(|i| Arg::Key(Key::with_index("x", [i])))
                .collect(),
        );
    })]);
    let text = dot::graph_to_dot(&g);
    assert_eq!(text.matches(" -> ").count(), n as usize);
    let out = compute(&g, &["sum".into()], &SyncScheduler).unwrap();
    assert_eq!(as_i64(&out[0]), n as i64);
}

/// Every task of a plan — data, plain tasks, aliases, inlined and fused programs —
/// survives serde as a `WireTask` and runs to the same value as `Plan::run_task`; a
/// closure is refused, naming the task.
#[test]
fn wire_tasks_round_trip_and_run_like_the_plan() {
    use dask_graph::WireTask;
    use dask_graph::testing::{INC, all_optimizations, tree_sum_graph};
    let mut g = tree_sum_graph(40);
    let mut chain = Layer::new("wire-chain");
    chain
        .task(
            "c0",
            &ADD,
            vec![Arg::Key(Key::new("total")), Arg::Literal(Value::new(1i64))],
        )
        .task("c1", &INC, vec![Arg::Key(Key::new("c0"))])
        .task(
            "c2",
            &ADD,
            vec![Arg::Key(Key::new("c1")), Arg::Literal(Value::new(5i64))],
        )
        .alias("c3", "c2");
    g.add_layer(chain);
    for opts in all_optimizations() {
        let plan = Plan::build(&g, &[Key::new("c3"), Key::new("total")], &opts).unwrap();
        let mut results: Vec<Option<Value>> = vec![None; plan.len()];
        for &id in plan.order() {
            let wire = plan.wire_task(id, "test").unwrap();
            let bytes = postcard::to_allocvec(&wire).unwrap();
            let back: WireTask = postcard::from_bytes(&bytes).unwrap();
            let task = back.compile().unwrap();
            assert_eq!(task.key(), plan.key(id));
            let inputs = plan
                .dependencies(id)
                .iter()
                .map(|&d| results[d as usize].clone().unwrap())
                .collect();
            results[id as usize] = Some(task.run(inputs).unwrap());
        }
        let got: Vec<i64> = plan
            .requested()
            .iter()
            .map(|&r| *results[r as usize].as_ref().unwrap().get::<i64>().unwrap())
            .collect();
        assert_eq!(got, [780 + 1 + 1 + 5, 780], "{opts:?}");
    }
    let mut l = Layer::new("closure");
    l.task(
        "f",
        dask_graph::Op::local("f", |_a| Ok(Value::new(1i64))),
        vec![],
    );
    let plan = Plan::build(
        &Graph::from_layers([l]),
        &[Key::new("f")],
        &Optimizations::none(),
    )
    .unwrap();
    let err = plan.wire_task(0, "test").unwrap_err();
    assert!(
        err.to_string().contains("closure") || err.to_string().contains("`f`"),
        "{err}"
    );
}

static GENERATED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn generate(args: Args) -> OpResult {
    GENERATED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    Ok(Value::new(*args.get::<i64>(0)? * 10))
}
register_op!(GENERATE = "tests.generate" => generate, generator);

#[test]
fn a_generator_is_recomputed_by_each_dependent_instead_of_kept() {
    // g feeds two adds; with inlining each add makes its own g, so no task result waits
    // for a second reader. Without inlining g runs once.
    let l = layer("gen", |l| {
        l.task("g", &GENERATE, vec![lit(4)])
            .task("a", &ADD, vec![k("g"), lit(1)])
            .task("b", &ADD, vec![k("g"), lit(2)])
            .task("total", &ADD, vec![k("a"), k("b")]);
    });
    let g = Graph::from_layers([l]);
    let keys = [Key::new("total")];
    let plan = Plan::build(&g, &keys, &Optimizations::all()).unwrap();
    assert!(
        !plan.keys().any(|k| k.name() == "g"),
        "g is not a task of its own"
    );
    let before = GENERATED.load(std::sync::atomic::Ordering::SeqCst);
    let out = compute(&g, &keys, &SyncScheduler).unwrap();
    assert_eq!(as_i64(&out[0]), 83);
    assert_eq!(
        GENERATED.load(std::sync::atomic::Ordering::SeqCst) - before,
        2
    );
    // Requested, a generator stays a task; with inlining off it runs once.
    let both = [Key::new("g"), Key::new("total")];
    let out = compute(&g, &both, &SyncScheduler).unwrap();
    assert_eq!((as_i64(&out[0]), as_i64(&out[1])), (40, 83));
    let before = GENERATED.load(std::sync::atomic::Ordering::SeqCst);
    compute_with(&g, &keys, &SyncScheduler, &Optimizations::cull_only(), &()).unwrap();
    assert_eq!(
        GENERATED.load(std::sync::atomic::Ordering::SeqCst) - before,
        1
    );
}
