//! The facade: schedulers by name, by scope and from the environment — every compute
//! checked against the reference sum. (The progress bar's own tests are in
//! dask-diagnostics.)

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use dask::graph::Key;
use dask::graph::testing::{as_i64, tree_sum_graph};
use dask::{SCHEDULER_NAMES, compute_graph, compute_graph_on, default_scheduler, use_scheduler};

dask::procs::test_worker!();

#[test]
fn every_named_scheduler_computes_the_same_sum() {
    for name in SCHEDULER_NAMES {
        let out = compute_graph_on(&tree_sum_graph(500), &[Key::new("total")], name).unwrap();
        assert_eq!(as_i64(&out[0]), 499 * 500 / 2, "{name}");
        assert_eq!(dask::scheduler_by_name(name).unwrap().name(), name);
    }
}

#[test]
fn an_unknown_name_lists_the_known_ones() {
    let err = compute_graph_on(&tree_sum_graph(5), &[Key::new("total")], "cluster").unwrap_err();
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
            let out = compute_graph(&tree_sum_graph(50), &[Key::new("total")]).unwrap();
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
