//! The facade: schedulers by name, by scope and from the environment, and the progress
//! bar — every compute checked against the reference sum.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dask::graph::testing::{FAIL, as_i64, tree_sum_graph};
use dask::graph::{Graph, Key, Layer, Optimizations, compute_with};
use dask::{ProgressBar, SCHEDULER_NAMES, compute, compute_on, default_scheduler, use_scheduler};
use indicatif::{InMemoryTerm, ProgressDrawTarget};

dask::procs::test_worker!();

#[test]
fn every_named_scheduler_computes_the_same_sum() {
    for name in SCHEDULER_NAMES {
        let out = compute_on(&tree_sum_graph(500), &[Key::new("total")], name).unwrap();
        assert_eq!(as_i64(&out[0]), 499 * 500 / 2, "{name}");
        assert_eq!(dask::scheduler_by_name(name).unwrap().name(), name);
    }
}

#[test]
fn an_unknown_name_lists_the_known_ones() {
    let err = compute_on(&tree_sum_graph(5), &[Key::new("total")], "cluster").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("`cluster`"), "{msg}");
    for name in SCHEDULER_NAMES {
        assert!(msg.contains(name), "{msg}");
    }
}

#[test]
fn scopes_nest_and_end() {
    // No scope and no environment variable in the test run: threads.
    if std::env::var_os(dask::SCHEDULER_ENV).is_none() {
        assert_eq!(default_scheduler().unwrap().name(), "threads");
    }
    let before = default_scheduler().unwrap().name().to_string();
    {
        let _outer = use_scheduler("sync").unwrap();
        assert_eq!(default_scheduler().unwrap().name(), "sync");
        {
            let _inner = use_scheduler("processes").unwrap();
            assert_eq!(default_scheduler().unwrap().name(), "processes");
            let out = compute(&tree_sum_graph(50), &[Key::new("total")]).unwrap();
            assert_eq!(as_i64(&out[0]), 1225);
        }
        assert_eq!(default_scheduler().unwrap().name(), "sync");
    }
    assert_eq!(default_scheduler().unwrap().name(), before);
    assert!(use_scheduler("nope").is_err());
}

/// Runs this test binary again with `DASK_SCHEDULER` set, where the probe test below
/// prints what the default scheduler is.
fn probe_with_env(value: &str) -> String {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["env_probe", "--exact", "--nocapture", "--test-threads=1"])
        .env(dask::SCHEDULER_ENV, value)
        .env("DASK_FACADE_PROBE", "1")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn env_probe() {
    if std::env::var_os("DASK_FACADE_PROBE").is_none() {
        return; // only meaningful when run by `probe_with_env`
    }
    match default_scheduler() {
        Ok(s) => println!("PROBE default={}", s.name()),
        Err(e) => println!("PROBE error={e}"),
    }
}

#[test]
fn the_environment_variable_picks_the_default() {
    assert!(probe_with_env("sync").contains("PROBE default=sync"));
    assert!(probe_with_env(" Processes ").contains("PROBE default=processes"));
    let bad = probe_with_env("quantum");
    assert!(
        bad.contains("PROBE error=") && bad.contains("quantum") && bad.contains("DASK_SCHEDULER"),
        "{bad}"
    );
}

/// A progress bar drawing into an in-memory terminal; returns it and the terminal.
fn bar_into_memory(minimum: Duration) -> (ProgressBar, Arc<Mutex<Vec<InMemoryTerm>>>) {
    let terms: Arc<Mutex<Vec<InMemoryTerm>>> = Arc::default();
    let made = Arc::clone(&terms);
    let bar = ProgressBar::new()
        .with_minimum(minimum)
        .with_draw_target(move || {
            let term = InMemoryTerm::new(4, 100);
            made.lock().unwrap().push(term.clone());
            ProgressDrawTarget::term_like(Box::new(term))
        });
    (bar, terms)
}

#[test]
fn the_bar_ends_at_100_percent_under_every_scheduler() {
    let g = tree_sum_graph(300);
    let n = dask::graph::Plan::build(&g, &[Key::new("total")], &Optimizations::none())
        .unwrap()
        .len();
    for name in SCHEDULER_NAMES {
        let (bar, terms) = bar_into_memory(Duration::ZERO);
        let s = dask::scheduler_by_name(name).unwrap();
        let out = compute_with(
            &g,
            &[Key::new("total")],
            s.as_ref(),
            &Optimizations::none(),
            &bar,
        )
        .unwrap();
        assert_eq!(as_i64(&out[0]), 299 * 300 / 2);
        let terms = terms.lock().unwrap();
        let screen = terms.last().expect("a bar was drawn").contents();
        assert!(
            screen.contains(&format!("{n}/{n} tasks (100%)")),
            "{name}: {screen:?}"
        );
    }
}

#[test]
fn short_computes_draw_nothing() {
    let (bar, terms) = bar_into_memory(Duration::from_secs(3600));
    let s = dask::scheduler_by_name("threads").unwrap();
    compute_with(
        &tree_sum_graph(100),
        &[Key::new("total")],
        s.as_ref(),
        &Optimizations::all(),
        &bar,
    )
    .unwrap();
    assert!(
        terms.lock().unwrap().is_empty(),
        "no bar for a short compute"
    );
}

#[test]
fn a_failed_compute_leaves_the_bar_where_it_stopped() {
    let mut g: Graph = tree_sum_graph(10);
    let mut bad = Layer::new("bad");
    bad.task(
        "boom",
        &FAIL,
        vec![dask::graph::Arg::Key(Key::new("total"))],
    );
    g.add_layer(bad);
    let (bar, terms) = bar_into_memory(Duration::ZERO);
    let s = dask::scheduler_by_name("sync").unwrap();
    let err = compute_with(
        &g,
        &[Key::new("boom")],
        s.as_ref(),
        &Optimizations::none(),
        &bar,
    );
    assert!(err.is_err());
    let screen = terms.lock().unwrap().last().unwrap().contents();
    assert!(
        screen.contains("failed") && !screen.contains("(100%)"),
        "{screen:?}"
    );
}
