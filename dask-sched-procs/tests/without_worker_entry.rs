//! A test binary that forgot `test_worker!()`: its "workers" run the test harness, find
//! no worker test, and exit without connecting. Starting a pool must then fail with an
//! error saying so — not hang on the handshake.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use dask_sched_procs::ProcessScheduler;

#[test]
fn a_worker_that_exits_before_connecting_is_reported() {
    let err = ProcessScheduler::new(1).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("exited before connecting"), "{msg}");
    assert!(msg.contains("exit code 0"), "{msg}");
    assert!(msg.contains("test_worker!"), "{msg}");
}
