//! End-to-end benchmarks of chunked-array reductions, the array counterpart of
//! `xtask/compare/dask_array.py` (Python Dask and NumPy on the same workloads).
//!
//! Workloads (the sizes in brackets are `--quick`'s, which the criterion mode uses):
//!
//! * **normal-mean-2e8** [**normal-mean-2e7**]: `RandomState::new(42).normal(10.0, 0.1,
//!   &[n], [1_000_000])` and its mean, for n = 2e8 [2e7];
//! * **normal-mean-2e9**: the same for n = 2e9 (report mode without `--quick` only);
//! * **xxt-sum-20k** [**xxt-sum-4k**]: `x` uniform on [0, 1) of shape 20000 x 20000 in
//!   1000 x 1000 blocks [4000 x 4000 in 500 x 500]; the sum of `x + x.t()`;
//! * **center-std-20k** [**center-std-4k**]: the same `x`; the standard deviation (ddof 0)
//!   of `x` minus its row means (`mean_over(Reduce::axis(1).keepdims(true))`).
//!
//! Each figure is end to end — building the lazy arrays, then computing the scalar
//! (generating the samples included) — and every result is checked against its expected
//! value. Engines: `dask-rs-threads` is a [`ThreadScheduler`] with 2 workers (Python
//! Dask's comparison uses `num_workers=2` too), `dask-rs-sync` the [`SyncScheduler`].
//!
//! Two modes:
//!
//! * `cargo bench -p dask-array --bench array` runs criterion benchmarks on the quick
//!   sizes;
//! * with `DASK_BENCH_REPORT=1` it prints whitespace-separated rows `workload engine
//!   seconds peak_rss_mb` after a header (what `cargo xtask bench` shows and compares).
//!   Every workload and engine runs in a child process — this binary re-run with
//!   `--workload NAME --engine ENGINE` — so that its peak memory is its own: the child
//!   runs the workload once, keeps that as the figure if it took over 20 s and otherwise
//!   reports the median of 3 more runs, and reports its peak resident set size (`VmHWM`,
//!   in MiB) over the timed runs, reset just before them through
//!   `/proc/self/clear_refs`. Linux only.
#![allow(clippy::unwrap_used)]

use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group};
use dask_array::{Array, Reduce, random::RandomState};
use dask_graph::testing::report::{
    RUNS, child_request, measure_in_child, report_mode, time_and_report,
};
use dask_graph::{Scheduler, SyncScheduler};
use dask_sched_threads::ThreadScheduler;

type BenchResult<T> = Result<T, Box<dyn Error>>;

/// Threads of the `dask-rs-threads` engine.
const WORKERS: usize = 2;
/// Block length of the normal-mean workloads.
const NORMAL_CHUNK: usize = 1_000_000;

// ---------------------------------------------------------------------------------------
// Workloads.

/// What a workload computes.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// The mean of `size` normal samples.
    NormalMean,
    /// The sum of `x + x.t()` for a uniform `x` of `size` x `size`.
    XxtSum,
    /// The standard deviation of a uniform `x` of `size` x `size` minus its row means.
    CenterStd,
}

/// A named array computation with its sizes.
#[derive(Debug, Clone, Copy)]
struct Workload {
    name: &'static str,
    kind: Kind,
    /// The length (normal-mean) or the side of the square (the others).
    size: usize,
    /// The block length along every axis.
    chunk: usize,
}

/// The mean of `n` normal samples in blocks of [`NORMAL_CHUNK`].
const fn normal_mean(name: &'static str, n: usize) -> Workload {
    Workload {
        name,
        kind: Kind::NormalMean,
        size: n,
        chunk: NORMAL_CHUNK,
    }
}

/// A `kind` workload on a `side` x `side` array in `chunk` x `chunk` blocks.
const fn square(name: &'static str, kind: Kind, side: usize, chunk: usize) -> Workload {
    Workload {
        name,
        kind,
        size: side,
        chunk,
    }
}

/// The `--quick` workloads (and the criterion mode's).
const QUICK: [Workload; 3] = [
    normal_mean("normal-mean-2e7", 20_000_000),
    square("xxt-sum-4k", Kind::XxtSum, 4_000, 500),
    square("center-std-4k", Kind::CenterStd, 4_000, 500),
];

/// The default workloads, in report order.
const FULL: [Workload; 4] = [
    normal_mean("normal-mean-2e8", 200_000_000),
    normal_mean("normal-mean-2e9", 2_000_000_000),
    square("xxt-sum-20k", Kind::XxtSum, 20_000, 1_000),
    square("center-std-20k", Kind::CenterStd, 20_000, 1_000),
];

/// The report's workloads.
fn workloads(quick: bool) -> &'static [Workload] {
    if quick { &QUICK } else { &FULL }
}

/// The workload called `name`, of either size.
fn find_workload(name: &str) -> BenchResult<Workload> {
    QUICK
        .iter()
        .chain(&FULL)
        .find(|w| w.name == name)
        .copied()
        .ok_or_else(|| format!("no workload named `{name}`").into())
}

/// The generator of every workload: seed 42, as in the Python comparison.
fn rng() -> RandomState {
    RandomState::new(42)
}

/// `x`: uniform on [0, 1), `side` x `side` in `chunk` x `chunk` blocks.
fn uniform_square(side: usize, chunk: usize) -> BenchResult<Array<f64>> {
    Ok(rng().random(&[side, side], [chunk, chunk])?)
}

impl Workload {
    /// Builds the arrays and computes the figure with `s`.
    fn compute(&self, s: &dyn Scheduler) -> BenchResult<f64> {
        let (size, chunk) = (self.size, self.chunk);
        Ok(match self.kind {
            Kind::NormalMean => {
                let x: Array<f64> = rng().normal(10.0, 0.1, &[size], [chunk])?;
                x.mean().compute(s)?
            }
            Kind::XxtSum => {
                let x = uniform_square(size, chunk)?;
                (&x + &x.t())?.sum().compute(s)?
            }
            Kind::CenterStd => {
                let x = uniform_square(size, chunk)?;
                let means = x.mean_over(Reduce::axis(1).keepdims(true))?;
                (&x - &means)?.std(0.0).compute(s)?
            }
        })
    }

    /// The expected figure and the relative tolerance of the check.
    fn expected(&self) -> (f64, f64) {
        match self.kind {
            Kind::NormalMean => (10.0, 1e-3),
            Kind::XxtSum => ((self.size * self.size) as f64, 1e-3),
            Kind::CenterStd => ((1.0f64 / 12.0).sqrt(), 1e-2),
        }
    }

    /// [`Workload::compute`], with the result checked.
    fn run(&self, s: &dyn Scheduler) -> BenchResult<f64> {
        let got = self.compute(s)?;
        let (want, tolerance) = self.expected();
        if (got - want).abs() <= tolerance * want {
            Ok(got)
        } else {
            Err(format!("computed {got}, expected about {want}").into())
        }
    }

    /// [`Workload::run`] for the timing loops, which cannot return errors.
    fn run_or_panic(&self, s: &dyn Scheduler) -> f64 {
        self.run(s).unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }
}

// ---------------------------------------------------------------------------------------
// Engines.

/// A scheduler that computes the workloads.
#[derive(Debug, Clone, Copy)]
enum Engine {
    Threads,
    Sync,
}

impl Engine {
    const ALL: [Engine; 2] = [Engine::Threads, Engine::Sync];

    /// The name in the report's `engine` column.
    fn name(self) -> &'static str {
        match self {
            Engine::Threads => "dask-rs-threads",
            Engine::Sync => "dask-rs-sync",
        }
    }

    /// The engine [`Engine::name`] calls `name`.
    fn from_name(name: &str) -> BenchResult<Engine> {
        Engine::ALL
            .into_iter()
            .find(|e| e.name() == name)
            .ok_or_else(|| format!("no engine named `{name}`").into())
    }

    /// A new scheduler of this kind.
    fn scheduler(self) -> BenchResult<Box<dyn Scheduler>> {
        Ok(match self {
            Engine::Threads => Box::new(ThreadScheduler::new(WORKERS)?),
            Engine::Sync => Box::new(SyncScheduler),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Criterion benchmarks.

/// Every quick workload on every engine, one criterion group per workload.
fn bench_quick_workloads(c: &mut Criterion) {
    let schedulers: Vec<(Engine, Box<dyn Scheduler>)> = Engine::ALL
        .into_iter()
        .map(|e| (e, e.scheduler().unwrap()))
        .collect();
    for w in &QUICK {
        let mut group = c.benchmark_group(w.name);
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(5));
        for (engine, s) in &schedulers {
            group.bench_function(engine.name(), |b| b.iter(|| w.run_or_panic(&**s)));
        }
        group.finish();
    }
}

criterion_group!(benches, bench_quick_workloads);

// ---------------------------------------------------------------------------------------
// Report mode: the parent.

/// Prints a header and one row per workload and engine, each measured by a child.
fn report(quick: bool) -> BenchResult<()> {
    let exe = std::env::current_exe()?;
    eprintln!(
        "dask-array report: {WORKERS} worker threads vs the synchronous scheduler, one \
         process per row, median of {RUNS} runs after a first one, arrays built and computed"
    );
    println!(
        "{:<17} {:<16} {:>10} {:>12}",
        "workload", "engine", "seconds", "peak_rss_mb"
    );
    for w in workloads(quick) {
        for engine in Engine::ALL {
            let (seconds, peak_mb) = measure_in_child(&exe, w.name, engine.name())?;
            println!(
                "{:<17} {:<16} {seconds:>10.4} {peak_mb:>12.1}",
                w.name,
                engine.name()
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Report mode: the child.

/// Times workload `name` on engine `engine` and prints the `result` line.
fn child(name: &str, engine: &str) -> BenchResult<()> {
    let w = find_workload(name)?;
    let s = Engine::from_name(engine)?.scheduler()?;
    time_and_report(|| w.run_or_panic(&*s))
}

/// A child run, the report or the criterion benchmarks, as the arguments and the
/// environment ask.
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if let Some((name, engine)) = child_request(&args) {
        child(name, engine)
    } else if report_mode() {
        report(args.iter().any(|a| a == "--quick"))
    } else {
        benches();
        Criterion::default().configure_from_args().final_summary();
        Ok(())
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
