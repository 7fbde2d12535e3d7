//! Registered functions (`delayed_fn!`) under the synchronous, threaded and process
//! schedulers, through one helper.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Mutex;

use dask_delayed::{Delayed, compute, delayed, delayed_fn, value};
use dask_graph::{Error, Scheduler, SyncScheduler};
use dask_sched_procs::ProcessScheduler;
use dask_sched_threads::ThreadScheduler;

dask_sched_procs::test_worker!();

/// Runs `check` under every scheduler (worker processes included).
fn each_scheduler(check: impl Fn(&dyn Scheduler)) {
    check(&SyncScheduler);
    check(&ThreadScheduler::new(2).unwrap());
    check(&ProcessScheduler::new(2).unwrap());
}

/// Loads per path in this process (tests run in parallel, so counts are per path).
static LOADS: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

fn loads_of(path: &str) -> usize {
    LOADS
        .lock()
        .unwrap()
        .as_ref()
        .and_then(|m| m.get(path).copied())
        .unwrap_or(0)
}

delayed_fn! {
    /// Reads whitespace-separated integers from a file.
    fn load(path: String) -> Result<Vec<i64>, dask_graph::BoxError> {
        *LOADS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(HashMap::new)
            .entry(path.clone())
            .or_insert(0) += 1;
        let text = std::fs::read_to_string(&path)?;
        Ok(text.split_whitespace().map(str::parse).collect::<Result<Vec<i64>, _>>()?)
    }
}

delayed_fn! {
    /// The sum of squares.
    fn process(v: Vec<i64>) -> i64 {
        v.iter().map(|x| x * x).sum()
    }
}

delayed_fn! {
    /// Adds two partial results.
    fn combine(a: i64, b: i64) -> i64 {
        a + b
    }
}

delayed_fn! {
    /// Sums partial results (the seed's `summarize(L)`).
    fn summarize(parts: Vec<i64>) -> i64 {
        parts.iter().sum()
    }
}

delayed_fn! {
    /// A weighted sum: a scalar, a gathered list and a plain vector.
    fn weighted(scale: i64, parts: Vec<i64>, weights: Vec<i64>) -> i64 {
        scale * parts.iter().zip(&weights).map(|(p, w)| p * w).sum::<i64>()
    }
}

delayed_fn! {
    /// Panics on negative input.
    fn picky(x: i64) -> i64 {
        assert!(x >= 0, "negative input {x}");
        x
    }
}

/// Files of numbers and the sum of their squares.
fn files(dir: &std::path::Path, n: i64) -> (Vec<String>, i64) {
    let mut paths = Vec::new();
    let mut expect = 0;
    for f in 0..n {
        let nums: Vec<i64> = (0..50).map(|i| i - 10 * f).collect();
        expect += nums.iter().map(|x| x * x).sum::<i64>();
        let path = dir.join(format!("f{f}.txt"));
        let text: Vec<String> = nums.iter().map(i64::to_string).collect();
        std::fs::write(&path, text.join(" ")).unwrap();
        paths.push(path.display().to_string());
    }
    (paths, expect)
}

#[test]
fn the_seed_example_runs_on_every_scheduler() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, expect) = files(dir.path(), 6);
    each_scheduler(|s| {
        let parts: Vec<Delayed<i64>> = paths
            .iter()
            .map(|p| process::call((load::call((p.clone(),)),)))
            .collect();
        let pairwise = parts
            .iter()
            .cloned()
            .reduce(|a, b| combine::call((a, b)))
            .unwrap();
        let total = summarize::call((parts,));
        assert_eq!(
            compute(&(total, pairwise), s).unwrap(),
            (expect, expect),
            "{}",
            s.name()
        );
    });
}

#[test]
fn identical_registered_calls_share_a_key_and_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, _) = files(dir.path(), 1);
    let a = load::call((paths[0].clone(),));
    let b = load::call((paths[0].clone(),));
    assert_eq!(a.key(), b.key());
    assert_ne!(load::call((String::from("other"),)).key(), a.key());
    let (x, y) = compute(
        &(process::call((&a,)), process::call((&b,))),
        &SyncScheduler,
    )
    .unwrap();
    assert_eq!(x, y);
    assert_eq!(loads_of(&paths[0]), 1, "the shared load ran once");
}

#[test]
fn errors_and_panics_name_the_key_on_every_scheduler() {
    each_scheduler(|s| {
        let missing = load::call((String::from("/nonexistent/numbers.txt"),));
        let err = missing.compute(s).unwrap_err();
        match &err {
            Error::TaskFailed { key, source, .. } => {
                assert_eq!(key, missing.key(), "{}", s.name());
                assert!(source.to_string().contains("No such file"), "{source}");
            }
            other => panic!("{}: expected a task failure, got {other}", s.name()),
        }
        let bad = picky::call((combine::call((value(-5i64), 1i64)),));
        match bad.compute(s) {
            Ok(_) => panic!("{}: a panic must be an error", s.name()),
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("negative input -4") && msg.contains(bad.key().name()),
                    "{msg}"
                );
            }
        }
    });
}

#[test]
fn the_process_scheduler_refuses_closures_naming_the_task() {
    let s = ProcessScheduler::new(1).unwrap();
    let d = delayed(|x: i64| x + 1)
        .named("closure-call")
        .call((value(1i64),));
    let err = d.compute(&s).unwrap_err();
    match &err {
        Error::Unsupported { key, .. } => assert_eq!(key, d.key()),
        other => panic!("expected a refusal, got {other}"),
    }
}

#[test]
fn vec_parameters_take_gathered_delayeds_or_plain_vectors() {
    each_scheduler(|s| {
        let parts = vec![value(1i64), value(2i64), combine::call((value(3i64), 4i64))];
        let w = weighted::call((value(10i64), parts, vec![1i64, 10, 100]));
        assert_eq!(w.compute(s).unwrap(), 10 * (1 + 20 + 700), "{}", s.name());
        let plain = summarize::call((vec![5i64, 6, 7],));
        assert_eq!(plain.compute(s).unwrap(), 18);
    });
}
