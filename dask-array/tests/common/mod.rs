//! Shared test helpers: every array is computed on every scheduler and compared with a
//! reference computed directly with `ndarray`.
#![allow(dead_code, clippy::unwrap_used)]

use std::fmt::Debug;
use std::sync::OnceLock;

use dask_array::{Array, Element};
use dask_graph::{Scheduler, SyncScheduler};
use dask_sched_procs::ProcessScheduler;
use dask_sched_threads::ThreadScheduler;
use ndarray::{ArrayD, Dimension};

/// The schedulers every test runs on: synchronous, two threads, two worker processes.
pub fn schedulers() -> Vec<(&'static str, &'static dyn Scheduler)> {
    static THREADS: OnceLock<ThreadScheduler> = OnceLock::new();
    static PROCS: OnceLock<ProcessScheduler> = OnceLock::new();
    vec![
        ("sync", &SyncScheduler),
        (
            "threads",
            THREADS.get_or_init(|| ThreadScheduler::new(2).unwrap()),
        ),
        (
            "processes",
            PROCS.get_or_init(|| ProcessScheduler::new(2).unwrap()),
        ),
    ]
}

/// Computes `a` on every scheduler and checks it equals `expected` exactly.
pub fn check<T: Element + PartialEq + Debug>(a: &Array<T>, expected: &ArrayD<T>) {
    assert_eq!(a.shape(), expected.shape(), "metadata shape of {a:?}");
    for (name, s) in schedulers() {
        let got = a.compute(s).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&got, expected, "{name}: {a:?}");
    }
}

/// Computes `a` on every scheduler and checks it is within `tol` (relative to the
/// magnitude, absolute near 0) of `expected`; NaN must match NaN.
pub fn check_close<T: Element + Into<f64>>(a: &Array<T>, expected: &ArrayD<f64>, tol: f64) {
    assert_eq!(a.shape(), expected.shape(), "metadata shape of {a:?}");
    for (name, s) in schedulers() {
        let got = a.compute(s).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.shape(), expected.shape(), "{name}");
        for (g, e) in got.iter().zip(expected.iter()) {
            let g: f64 = (*g).into();
            let ok = (g.is_nan() && e.is_nan()) || (g - e).abs() <= tol * e.abs().max(1.0);
            assert!(ok, "{name}: got {g}, expected {e} in {a:?}");
        }
    }
}

/// A deterministic test matrix of shape `shape` with varied values.
pub fn matrix(shape: &[usize]) -> ArrayD<f64> {
    ArrayD::from_shape_fn(ndarray::IxDyn(shape), |i| {
        let k = i.slice().iter().fold(0usize, |acc, &x| acc * 31 + x + 1);
        ((k * 7919) % 1000) as f64 / 10.0 - 50.0
    })
}
