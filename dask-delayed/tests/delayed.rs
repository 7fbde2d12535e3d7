//! `Delayed` against direct computations, every test under the synchronous and the
//! threaded scheduler through one helper.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dask_delayed::{Delayed, compute, delayed, value};
use dask_graph::{Error, Scheduler, SyncScheduler};
use dask_sched_threads::ThreadScheduler;

/// Runs `check` under every in-process scheduler.
fn each_scheduler(check: impl Fn(&dyn Scheduler)) {
    check(&SyncScheduler);
    check(&ThreadScheduler::new(2).unwrap());
}

/// The seed's example: load files, process each, summarize — on real files.
#[test]
fn the_seed_example_on_real_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    let mut expect = 0i64;
    for f in 0..5i64 {
        let numbers: Vec<i64> = (0..100).map(|i| i * (f + 1)).collect();
        expect += numbers.iter().map(|x| x * x).sum::<i64>();
        let text: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
        let path = dir.path().join(format!("part-{f}.txt"));
        std::fs::write(&path, text.join("\n")).unwrap();
        paths.push(path.display().to_string());
    }
    let load = delayed(
        |path: String| -> Result<Vec<i64>, Box<dyn std::error::Error + Send + Sync>> {
            let text = std::fs::read_to_string(&path)?;
            Ok(text
                .lines()
                .map(str::parse)
                .collect::<Result<Vec<i64>, _>>()?)
        },
    );
    let process = delayed(|v: Vec<i64>| v.iter().map(|x| x * x).sum::<i64>());
    let summarize = delayed(|parts: Vec<i64>| parts.iter().sum::<i64>());
    each_scheduler(|s| {
        let parts: Vec<Delayed<i64>> = paths
            .iter()
            .map(|p| process.call((load.try_call((p.clone(),)),)))
            .collect();
        let total = summarize.call((parts,));
        assert_eq!(total.compute(s).unwrap(), expect, "{}", s.name());
    });
}

#[test]
fn a_shared_input_is_computed_once() {
    each_scheduler(|s| {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let base = delayed(move |x: i64| {
            counted.fetch_add(1, Ordering::SeqCst);
            x * 10
        })
        .call((4i64,));
        let a = base.map(|x| x + 1);
        let b = base.map(|x| x * 2);
        let (ra, rb) = compute(&(a, b), s).unwrap();
        assert_eq!((ra, rb), (41, 80));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{}", s.name());
    });
}

#[test]
fn keys_are_unique_per_closure_call_and_deterministic_when_named() {
    let add = delayed(|a: i64, b: i64| a + b);
    let x = value(1i64);
    let y = value(2i64);
    assert_ne!(add.call((&x, &y)).key(), add.call((&x, &y)).key());
    let named = add.clone().named("add");
    let (p, q) = (named.call((&x, &y)), named.call((&x, &y)));
    assert_eq!(p.key(), q.key());
    assert!(p.key().name().starts_with("add-"), "{}", p.key());
    // Different inputs, different keys.
    assert_ne!(named.call((&y, &x)).key(), p.key());
    each_scheduler(|s| {
        assert_eq!(compute(&(p.clone(), q.clone()), s).unwrap(), (3, 3));
    });
}

#[test]
fn arities_values_and_vectors_mix() {
    let f = delayed(|a: i64, b: String, c: Vec<i64>, d: f64| {
        format!("{a}-{b}-{}-{d}", c.iter().sum::<i64>())
    });
    each_scheduler(|s| {
        let parts = vec![value(1i64), value(2i64), value(3i64)];
        let out = f.call((value(7i64), String::from("x"), parts, 0.5f64));
        assert_eq!(out.compute(s).unwrap(), "7-x-6-0.5");
    });
}

#[test]
fn a_pair_splits_and_is_computed_once() {
    each_scheduler(|s| {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let pair = delayed(move |n: i64| {
            counted.fetch_add(1, Ordering::SeqCst);
            (n / 3, n % 3)
        })
        .call((17i64,));
        let (q, r) = pair.split();
        assert_eq!(compute(&(q, r), s).unwrap(), (5, 2));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn persist_computes_once_for_later_graphs() {
    each_scheduler(|s| {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let expensive = delayed(move |n: i64| {
            counted.fetch_add(1, Ordering::SeqCst);
            (1..=n).product::<i64>()
        })
        .call((10i64,));
        let kept = expensive.persist(s).unwrap();
        assert_eq!(kept.key(), expensive.key());
        for k in 1..4i64 {
            assert_eq!(kept.map(move |x| x / k).compute(s).unwrap(), 3_628_800 / k);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn then_takes_the_value_and_map_borrows_it() {
    each_scheduler(|s| {
        let v = value(vec![3i64, 1, 2]);
        let sorted = v.then(|mut v: Vec<i64>| {
            v.sort_unstable();
            v
        });
        let len = v.map(|v: &Vec<i64>| v.len());
        assert_eq!(compute(&(sorted, len), s).unwrap(), (vec![1, 2, 3], 3));
    });
}

#[test]
fn a_failing_function_names_its_key() {
    each_scheduler(|s| {
        let parse = delayed(|t: String| t.parse::<i64>()).named("parse");
        let bad = parse.try_call((String::from("twelve"),));
        let err = bad.compute(s).unwrap_err();
        match &err {
            Error::TaskFailed { key, .. } => assert_eq!(key, bad.key()),
            other => panic!("expected a task failure, got {other}"),
        }
        assert!(err.to_string().contains("invalid digit"), "{err}");
    });
}

#[test]
fn a_panicking_function_becomes_an_error_naming_its_key() {
    each_scheduler(|s| {
        let boom = delayed(|x: i64| -> i64 {
            if x > 0 {
                panic!("no positive numbers here");
            }
            x
        });
        let d = boom.call((5i64,));
        let err = d.compute(s).unwrap_err();
        match &err {
            Error::TaskPanicked { key, message, .. } => {
                assert_eq!(key, d.key());
                assert!(message.contains("no positive numbers"), "{message}");
            }
            other => panic!("expected a panic report, got {other}"),
        }
    });
}

#[test]
fn dot_output_names_the_tasks_and_rendering_needs_graphviz() {
    let f = delayed(|a: i64| a + 1).named("inc");
    let d = f.call((value(1i64),));
    let text = d.to_dot();
    assert!(text.contains("digraph") && text.contains("inc-"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.svg");
    match d.visualize(&path) {
        Ok(()) => assert!(std::fs::metadata(&path).unwrap().len() > 0),
        Err(e) => assert!(e.to_string().contains("dot"), "{e}"),
    }
}
