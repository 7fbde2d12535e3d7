//! The progress bar under every scheduler, drawing into an in-memory terminal.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dask_diagnostics::ProgressBar;
use dask_graph::testing::{FAIL, as_i64, tree_sum_graph};
use dask_graph::{
    Arg, Graph, Key, Layer, Optimizations, Plan, Scheduler, SyncScheduler, compute_with,
};
use dask_sched_procs::ProcessScheduler;
use dask_sched_threads::ThreadScheduler;
use indicatif::{InMemoryTerm, ProgressDrawTarget};

dask_sched_procs::test_worker!();

/// Every scheduler: synchronous, threads, worker processes.
fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![
        Box::new(SyncScheduler),
        Box::new(ThreadScheduler::new(2).unwrap()),
        Box::new(ProcessScheduler::new(2).unwrap()),
    ]
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
    let n = Plan::build(&g, &[Key::new("total")], &Optimizations::none())
        .unwrap()
        .len();
    for s in schedulers() {
        let (bar, terms) = bar_into_memory(Duration::ZERO);
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
            "{}: {screen:?}",
            s.name()
        );
    }
}

#[test]
fn short_computes_draw_nothing() {
    for s in schedulers() {
        let (bar, terms) = bar_into_memory(Duration::from_secs(3600));
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
            "{}: no bar for a short compute",
            s.name()
        );
    }
}

#[test]
fn a_failed_compute_leaves_the_bar_where_it_stopped() {
    let mut g: Graph = tree_sum_graph(10);
    let mut bad = Layer::new("bad");
    bad.task("boom", &FAIL, vec![Arg::Key(Key::new("total"))]);
    g.add_layer(bad);
    for s in schedulers() {
        let (bar, terms) = bar_into_memory(Duration::ZERO);
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
            "{}: {screen:?}",
            s.name()
        );
    }
}
