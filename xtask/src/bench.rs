//! `cargo xtask bench [--quick]`: the end-to-end figures.
//!
//! The workloads live in `dask-graph/benches/graph.rs`, which has a plain report mode
//! besides its criterion benchmarks: with `DASK_BENCH_REPORT=1` it times each workload
//! three times and prints the medians as a table. This runs it through `cargo bench`, so
//! it is built with the `bench` (optimized) profile.

use std::path::Path;

use crate::{cargo, run_step};

/// The environment variable that switches the benchmark binary to report mode.
const REPORT_ENV: &str = "DASK_BENCH_REPORT";

/// `cargo bench` arguments for the report.
fn bench_args(quick: bool) -> Vec<&'static str> {
    let mut args = vec!["bench", "--package", "dask-graph", "--bench", "graph"];
    if quick {
        args.extend(["--", "--quick"]);
    }
    args
}

/// Builds and runs the report in `root`.
pub fn run(root: &Path, quick: bool) -> Result<(), String> {
    let size = if quick { "100k" } else { "1M" };
    eprintln!("xtask: end-to-end report for a {size}-task graph (median of 3 runs)");
    run_step(
        "bench",
        root,
        &cargo(),
        &bench_args(quick),
        &[(REPORT_ENV, "1")],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_is_passed_to_the_benchmark_binary() {
        assert_eq!(bench_args(true).last(), Some(&"--quick"));
        assert!(!bench_args(false).contains(&"--quick"));
        assert!(!bench_args(false).contains(&"--"));
    }
}
