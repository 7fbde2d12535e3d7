//! The graph format itself: layers and merging, validation errors, registries, codecs,
//! zero-copy hand-over of inputs, and pictures.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use dask_graph::testing::{ADD, as_i64, k, lit};
use dask_graph::{
    Arg, Args, Error, Fused, Graph, Key, Layer, Node, Op, OpResult, Optimizations, Plan, Step,
    StepArg, SyncScheduler, Value, compute, compute_with, dot, register_op,
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
