//! `cargo xtask bench [--quick] [--compare]`: the end-to-end figures.
//!
//! Five reports, all run through `cargo bench` (so built with the optimized `bench`
//! profile) with `DASK_BENCH_REPORT=1` in the environment, which switches a benchmark
//! binary from criterion to a plain report of medians of 3 runs:
//!
//! 1. `dask-graph/benches/graph.rs`: building, planning and running a million-task graph
//!    (100,000 with `--quick`) with the synchronous scheduler.
//! 2. `dask-sched-threads/benches/threads.rs`: the thread-pool scheduler (and the
//!    synchronous one for reference) on a 100k-task tree, a 10,000-task chain, a 1M-task
//!    tree (not with `--quick`) and 64 CPU-bound tasks of 10 ms. Its rows are
//!    whitespace-separated `workload tasks scheduler seconds us_per_task` lines after a
//!    header starting with `workload`; they are echoed as they come and parsed
//!    ([`parse_rows`]).
//! 3. `dask-sched-procs/benches/procs.rs` (a plain report only): the process scheduler's
//!    pool start-up, no-op trees, a chain, 80 MB blocks crossing processes and the
//!    CPU-bound speedup.
//! 4. `dask-array/benches/array.rs`: chunked-array reductions end to end — the mean of
//!    2e8 normal samples (and of 2e9 without `--quick`), the sum of `x + x.T` and the
//!    standard deviation of `x` minus its row means for a uniform 20000 x 20000 `x`
//!    (2e7 and 4000 x 4000 with `--quick`) — with the thread pool and the synchronous
//!    scheduler. Each row is measured in a process of its own, so that its peak resident
//!    set size is its own, and is the median of 3 runs after a first one (or that first
//!    one alone if it took over 20 s). Its rows are `workload engine seconds peak_rss_mb`
//!    ([`parse_measured_rows`]).
//! 5. `dask-dataframe/benches/dataframe.rs`, once it exists (until then the report is
//!    skipped with a note): dataframe queries — group-by means, filtered aggregations,
//!    merges, sorts, `set_index`, `drop_duplicates` and the larger-than-memory `ltm-*`
//!    queries — over the files of `cargo xtask datagen` (the daily CSV files, their
//!    Parquet copy and the join tables), which are generated first (the quick data set
//!    with `--quick`; instant when they are there), and over the larger-than-memory set
//!    of `cargo xtask datagen --large` if it was made (never here). They are named to the
//!    benchmark by `DASK_BENCH_DATA`, `DASK_BENCH_PARQUET`, `DASK_BENCH_TABLES` and
//!    `DASK_BENCH_LARGE`. Its rows are `query engine seconds peak_rss_mb`, in the array
//!    report's format ([`dataframe`]).
//!
//! With `--compare`, Python runs the same workloads too, in a virtual environment with
//! [`PYREF_REQUIREMENTS`] (dask, numpy, pandas, Polars, pyarrow) created at
//! `target/pyref` on first use:
//!
//! * `xtask/compare/dask_threads.py` prints rows in the threads report's format, and a
//!   table of both per-task times and their ratio (Dask / ours) is printed for the rows
//!   present in both ([`comparison_table`]);
//! * `xtask/compare/dask_array.py` prints rows in the array report's format for Dask's
//!   threaded scheduler (`dask-threads`) and for NumPy (`numpy`), and a table of seconds
//!   and peak MB of our thread pool, Dask and NumPy with the ratio Dask / ours is printed
//!   ([`array_comparison_table`]);
//! * `xtask/compare/dask_dataframe.py` prints rows in the dataframe report's format for
//!   Dask, pandas and Polars on the same files, with the same query names (the `ltm-*`
//!   ones under a 1 GiB memory limit, without pandas), and a table of the seconds and
//!   peak MB of our thread pool and of each of them, with the ratios Polars / ours and
//!   Dask / ours, is printed for the queries both sides ran ([`dataframe`]).
//!
//! Without `--compare` no Python is needed.

mod dataframe;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{cargo, run_step};

/// The environment variable that switches the benchmark binaries to report mode.
const REPORT_ENV: &str = "DASK_BENCH_REPORT";

/// The virtual environment for the Dask comparison, relative to the workspace root.
const PYREF: &str = "target/pyref";

/// What the virtual environment installs: dask with its array and dataframe extras
/// (numpy, pandas, pyarrow), and pandas, Polars and pyarrow for the dataframe
/// comparison (named on their own as well: the comparison runs them directly).
const PYREF_REQUIREMENTS: [&str; 4] = ["dask[array,dataframe]", "pandas", "polars", "pyarrow"];

/// The Dask side of the threads comparison, relative to the workspace root.
const DASK_SCRIPT: &str = "xtask/compare/dask_threads.py";

/// The Dask and NumPy side of the array comparison, relative to the workspace root. Not
/// `array.py`: a script's directory comes first on Python's `sys.path`, so a file of
/// that name would shadow the standard library's `array`, which dask imports, and break
/// every script in the directory.
const ARRAY_SCRIPT: &str = "xtask/compare/dask_array.py";

/// `cargo bench` arguments for the report of `package`'s benchmark `bench`.
fn bench_args(package: &'static str, bench: &'static str, quick: bool) -> Vec<&'static str> {
    let mut args = vec!["bench", "--package", package, "--bench", bench];
    if quick {
        args.extend(["--", "--quick"]);
    }
    args
}

/// `python` arguments running `script` in the size `quick` asks for.
fn script_args(script: &'static str, quick: bool) -> Vec<&'static str> {
    let mut args = vec![script];
    if quick {
        args.push("--quick");
    }
    args
}

/// Builds and runs the reports in `root`; with `compare`, runs Python and compares.
pub fn run(root: &Path, quick: bool, compare: bool) -> Result<(), String> {
    let cargo = cargo();
    graph_report(root, &cargo, quick)?;
    let threads = threads_report(root, &cargo, quick)?;
    procs_report(root, &cargo, quick)?;
    let arrays = array_report(root, &cargo, quick)?;
    let frames = dataframe::report(root, &cargo, quick)?;
    if !compare {
        return Ok(());
    }
    let python = ensure_pyref(root)?;
    compare_threads(root, &python, quick, &threads)?;
    compare_arrays(root, &python, quick, &arrays)?;
    match &frames {
        Some(frames) => dataframe::compare(root, &python, frames),
        None => {
            eprintln!("xtask: no dataframe report, so no dataframe comparison");
            Ok(())
        }
    }
}

/// Runs the `dask-graph` report.
fn graph_report(root: &Path, cargo: &str, quick: bool) -> Result<(), String> {
    let size = if quick { "100k" } else { "1M" };
    eprintln!("xtask: end-to-end report for a {size}-task graph (median of 3 runs)");
    let args = bench_args("dask-graph", "graph", quick);
    run_step("bench graph", root, cargo, &args, &[(REPORT_ENV, "1")])
}

/// Runs the thread-pool report; its rows.
fn threads_report(root: &Path, cargo: &str, quick: bool) -> Result<Vec<Row>, String> {
    eprintln!("xtask: thread-pool scheduler report (median of 3 runs)");
    let args = bench_args("dask-sched-threads", "threads", quick);
    let env = [(REPORT_ENV, "1")];
    let output = run_echoed("bench threads", root, Path::new(cargo), &args, &env)?;
    let rows = parse_rows(&output);
    if rows.is_empty() {
        return Err(format!(
            "the threads report printed no result rows (expected lines `{HEADER}`)"
        ));
    }
    Ok(rows)
}

/// Runs the process-pool report.
fn procs_report(root: &Path, cargo: &str, quick: bool) -> Result<(), String> {
    eprintln!("xtask: process-pool scheduler report (median of 3 runs)");
    let args = bench_args("dask-sched-procs", "procs", quick);
    run_step("bench procs", root, cargo, &args, &[(REPORT_ENV, "1")])
}

/// Runs the array report; its rows.
fn array_report(root: &Path, cargo: &str, quick: bool) -> Result<Vec<MeasuredRow>, String> {
    eprintln!("xtask: array report (one process per row, median of 3 runs)");
    let args = bench_args("dask-array", "array", quick);
    let env = [(REPORT_ENV, "1")];
    let output = run_echoed("bench array", root, Path::new(cargo), &args, &env)?;
    let rows = parse_measured_rows(&output);
    if rows.is_empty() {
        return Err(format!(
            "the array report printed no result rows (expected lines `{ARRAY_HEADER}`)"
        ));
    }
    Ok(rows)
}

/// Runs [`DASK_SCRIPT`] and prints its comparison with our thread-pool rows.
fn compare_threads(root: &Path, python: &Path, quick: bool, ours: &[Row]) -> Result<(), String> {
    eprintln!("xtask: Python Dask on the thread-pool workloads (a minute or two)");
    let args = script_args(DASK_SCRIPT, quick);
    let output = run_echoed("dask", root, python, &args, &[])?;
    let dask = parse_rows(&output);
    if dask.is_empty() {
        return Err(format!("{DASK_SCRIPT} printed no result rows"));
    }
    let table = comparison_table(ours, &dask)
        .ok_or("no workload appears in both our report and Dask's; nothing to compare")?;
    println!();
    print!("{table}");
    Ok(())
}

/// Runs [`ARRAY_SCRIPT`] and prints its comparison with our array rows.
fn compare_arrays(
    root: &Path,
    python: &Path,
    quick: bool,
    ours: &[MeasuredRow],
) -> Result<(), String> {
    eprintln!("xtask: Python Dask and NumPy on the array workloads (a minute or two)");
    let args = script_args(ARRAY_SCRIPT, quick);
    let output = run_echoed("dask array", root, python, &args, &[])?;
    let theirs = parse_measured_rows(&output);
    if theirs.is_empty() {
        return Err(format!("{ARRAY_SCRIPT} printed no result rows"));
    }
    let table = array_comparison_table(ours, &theirs)
        .ok_or("no array workload appears in both our report and Python's; nothing to compare")?;
    println!();
    print!("{table}");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Report rows.

/// The columns of a report row, as its header line spells them.
const HEADER: &str = "workload tasks scheduler seconds us_per_task";

/// One result row of a report: `workload tasks scheduler seconds us_per_task`.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    /// The workload's name, such as `tree-100k`.
    workload: String,
    /// How many tasks the per-task figure divides by.
    tasks: u64,
    /// `threads` or `sync`.
    scheduler: String,
    /// Median wall-clock time of the whole run.
    seconds: f64,
    /// `seconds / tasks`, in microseconds.
    us_per_task: f64,
}

/// The result rows in a report's output: lines of exactly five whitespace-separated
/// fields whose second, fourth and fifth parse as (finite, non-negative) numbers.
/// Everything else — the header, blank lines, `#` comments, criterion's and cargo's
/// chatter — is skipped.
fn parse_rows(text: &str) -> Vec<Row> {
    text.lines().filter_map(parse_row).collect()
}

/// One line as a [`Row`], if it is one.
fn parse_row(line: &str) -> Option<Row> {
    let line = line.trim();
    if line.starts_with('#') {
        return None;
    }
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [workload, tasks, scheduler, seconds, us_per_task] = fields[..] else {
        return None;
    };
    Some(Row {
        workload: workload.to_string(),
        tasks: tasks.parse().ok()?,
        scheduler: scheduler.to_string(),
        seconds: figure(seconds)?,
        us_per_task: figure(us_per_task)?,
    })
}

/// A field as a finite, non-negative number.
fn figure(field: &str) -> Option<f64> {
    field
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
}

/// The columns of an array report row, as its header line spells them.
const ARRAY_HEADER: &str = "workload engine seconds peak_rss_mb";

/// The engine of our array and dataframe rows that the comparisons use.
const OUR_THREADS_ENGINE: &str = "dask-rs-threads";
/// Python Dask's engine in [`ARRAY_SCRIPT`]'s rows.
const DASK_ARRAY_ENGINE: &str = "dask-threads";
/// NumPy's engine in [`ARRAY_SCRIPT`]'s rows.
const NUMPY_ENGINE: &str = "numpy";

/// One result row of an array or dataframe report: `workload engine seconds
/// peak_rss_mb` (a dataframe report's first column is its query).
#[derive(Debug, Clone, PartialEq)]
struct MeasuredRow {
    /// The workload's (or query's) name, such as `xxt-sum-20k` or `csv-groupby-mean`.
    workload: String,
    /// What computed it: `dask-rs-threads`, `dask-rs-sync`, or a Python engine such as
    /// `dask-threads`, `numpy`, `dask`, `pandas` or `polars`.
    engine: String,
    /// Median wall-clock time.
    seconds: f64,
    /// Peak resident set size of the process that ran it, in MiB.
    peak_mb: f64,
}

/// The result rows in an array or dataframe report's output: lines of exactly four
/// whitespace-separated fields whose last two are finite, non-negative numbers; `#`
/// comments and everything else are skipped.
fn parse_measured_rows(text: &str) -> Vec<MeasuredRow> {
    text.lines().filter_map(parse_measured_row).collect()
}

/// One line as a [`MeasuredRow`], if it is one.
fn parse_measured_row(line: &str) -> Option<MeasuredRow> {
    let line = line.trim();
    if line.starts_with('#') {
        return None;
    }
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [workload, engine, seconds, peak_mb] = fields[..] else {
        return None;
    };
    Some(MeasuredRow {
        workload: workload.to_string(),
        engine: engine.to_string(),
        seconds: figure(seconds)?,
        peak_mb: figure(peak_mb)?,
    })
}

/// The comparison of our rows with Dask's, for each of ours (in our order) that Dask
/// has a row for with the same workload and scheduler: an aligned table of both
/// per-task times and the ratio Dask / ours. `None` when no row appears in both.
fn comparison_table(ours: &[Row], dask: &[Row]) -> Option<String> {
    let header = [
        "workload",
        "scheduler",
        "ours µs/task",
        "Dask µs/task",
        "Dask/ours",
    ]
    .map(String::from);
    let body: Vec<[String; 5]> = ours
        .iter()
        .filter_map(|our| {
            let theirs = dask
                .iter()
                .find(|d| d.workload == our.workload && d.scheduler == our.scheduler)?;
            Some([
                our.workload.clone(),
                our.scheduler.clone(),
                format_figure(our.us_per_task),
                format_figure(theirs.us_per_task),
                format_ratio(theirs.us_per_task, our.us_per_task),
            ])
        })
        .collect();
    if body.is_empty() {
        return None;
    }
    // Names to the left, figures to the right.
    Some(aligned(&header, &body, 2))
}

/// For each of our [`OUR_THREADS_ENGINE`] rows (in our order) whose workload Python has a
/// Dask or NumPy row for: an aligned table of the seconds and peak MB of ours, Dask's
/// and NumPy's (`-` for a missing one) and the ratio of Dask's time to ours. `None`
/// when there is no such row.
fn array_comparison_table(ours: &[MeasuredRow], theirs: &[MeasuredRow]) -> Option<String> {
    engine_table(
        "workload",
        ours,
        theirs,
        &[("Dask", DASK_ARRAY_ENGINE), ("NumPy", NUMPY_ENGINE)],
        &[("Dask", DASK_ARRAY_ENGINE)],
    )
}

/// Our thread pool's rows next to other engines' rows of the same workloads: `first`
/// heads the workload column; each of `engines` (a label and the engine's name in the
/// rows) gets its seconds and peak MB, each of `ratios` its time over ours
/// (`label/ours`). Workloads that no engine ran are left out; `None` if none is left.
fn engine_table(
    first: &str,
    ours: &[MeasuredRow],
    theirs: &[MeasuredRow],
    engines: &[(&str, &str)],
    ratios: &[(&str, &str)],
) -> Option<String> {
    let mut header = vec![first.to_string(), "ours s".into(), "ours MB".into()];
    for (label, _) in engines {
        header.push(format!("{label} s"));
        header.push(format!("{label} MB"));
    }
    header.extend(ratios.iter().map(|(label, _)| format!("{label}/ours")));
    let find = |workload: &str, engine: &str| {
        theirs
            .iter()
            .find(|t| t.workload == workload && t.engine == engine)
    };
    let cells = |row: Option<&MeasuredRow>| match row {
        Some(row) => [format_figure(row.seconds), format_figure(row.peak_mb)],
        None => ["-".to_string(), "-".to_string()],
    };
    let body: Vec<Vec<String>> = ours
        .iter()
        .filter(|our| our.engine == OUR_THREADS_ENGINE)
        .filter(|our| {
            engines
                .iter()
                .any(|(_, e)| find(&our.workload, e).is_some())
        })
        .map(|our| {
            let mut line = vec![our.workload.clone()];
            line.extend(cells(Some(our)));
            for (_, engine) in engines {
                line.extend(cells(find(&our.workload, engine)));
            }
            for (_, engine) in ratios {
                line.push(
                    find(&our.workload, engine)
                        .map_or("-".to_string(), |r| format_ratio(r.seconds, our.seconds)),
                );
            }
            line
        })
        .collect();
    if body.is_empty() {
        return None;
    }
    Some(aligned(&header, &body, 1))
}

/// `header` and `body` as lines of columns two spaces apart, each as wide as its widest
/// cell: the first `left` columns aligned to the left, the others to the right.
fn aligned<R: AsRef<[String]>>(header: &[String], body: &[R], left: usize) -> String {
    let lines: Vec<&[String]> = std::iter::once(header)
        .chain(body.iter().map(AsRef::as_ref))
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|column| {
            lines
                .iter()
                .map(|line| line.get(column).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut table = String::new();
    for line in lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(column, (cell, &width))| {
                if column < left {
                    format!("{cell:<width$}")
                } else {
                    format!("{cell:>width$}")
                }
            })
            .collect();
        table.push_str(&cells.join("  "));
        table.push('\n');
    }
    table
}

/// A figure (a per-task time, seconds, megabytes) with about three significant figures.
fn format_figure(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// `slower / faster` as a factor such as `134x` (`1.9x` below ten, and two significant
/// figures below one, such as `0.12x` or `0.048x`: a ratio may be another engine's time
/// to ours, and that engine the faster); `-` when `faster` is zero.
fn format_ratio(slower: f64, faster: f64) -> String {
    if faster <= 0.0 {
        return "-".to_string();
    }
    let ratio = slower / faster;
    if ratio >= 9.95 {
        format!("{ratio:.0}x")
    } else if ratio >= 0.995 || ratio <= 0.0 {
        format!("{ratio:.1}x")
    } else {
        // Two significant figures, without a trailing zero: 0.5x, not 0.50x.
        let decimals = (1.0 - ratio.log10().floor()).clamp(1.0, 6.0) as usize;
        let text = format!("{ratio:.decimals$}");
        let text = text.trim_end_matches('0');
        format!("{text}x")
    }
}

// ---------------------------------------------------------------------------------------
// Processes.

/// `program args...` as shown to the user.
fn command_line(program: &Path, args: &[&str]) -> String {
    std::iter::once(program.display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `program` in `dir` with inherited stdin and stderr; its stdout is echoed to ours
/// line by line as it comes and returned. An error (naming `step`) unless it succeeds.
fn run_echoed(
    step: &str,
    dir: &Path,
    program: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Result<String, String> {
    let shown = command_line(program, args);
    eprintln!("xtask: [{step}] $ {shown}");
    let mut child = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("step `{step}` could not start `{}`: {e}", program.display()))?;
    let mut captured = String::new();
    if let Some(stdout) = child.stdout.take() {
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        let mut echo = std::io::stdout();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {
                    // Echoing is best effort: a closed stdout must not stop the run.
                    let _ = echo.write_all(&line).and_then(|()| echo.flush());
                    captured.push_str(&String::from_utf8_lossy(&line));
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("step `{step}`: reading its output failed: {e}"));
                }
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("step `{step}`: waiting for `{shown}` failed: {e}"))?;
    if status.success() {
        Ok(captured)
    } else {
        Err(format!("step `{step}` failed ({status}): {shown}"))
    }
}

/// Runs `program` in `dir` with its stdout sent to our stderr (so that only report
/// tables reach stdout); `Ok(false)` if it ran and failed, `Err` if it could not start.
fn run_to_stderr(dir: &Path, program: &Path, args: &[&str]) -> std::io::Result<bool> {
    eprintln!("xtask: [pyref] $ {}", command_line(program, args));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::from(std::io::stderr()))
        .status()?;
    Ok(status.success())
}

/// The imports the comparison scripts need.
const PYREF_IMPORTS: &str =
    "import dask, dask.array, dask.dataframe, numpy, pandas, polars, pyarrow";

/// Whether `python` runs and can run [`PYREF_IMPORTS`] (its output discarded).
fn has_python_deps(dir: &Path, python: &Path) -> bool {
    Command::new(python)
        .args(["-c", PYREF_IMPORTS])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The Python of the `target/pyref` virtual environment, which is created with
/// `python3 -m venv` and given [`PYREF_REQUIREMENTS`] with its `pip` unless it can already
/// run [`PYREF_IMPORTS`] (so an environment made before a requirement was added gets it).
fn ensure_pyref(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join(PYREF);
    let python = venv.join("bin").join("python");
    if python.exists() && has_python_deps(root, &python) {
        eprintln!("xtask: using Dask, NumPy, pandas and Polars from {PYREF}");
        return Ok(python);
    }
    if !python.exists() {
        eprintln!("xtask: creating a Python virtual environment at {PYREF}");
        let args = ["-m", "venv", PYREF];
        match run_to_stderr(root, Path::new("python3"), &args) {
            Ok(true) => {}
            Ok(false) => {
                return Err(format!(
                    "`python3 -m venv {PYREF}` failed; --compare needs Python 3 with the \
                     venv module (on Debian or Ubuntu: apt-get install python3-venv)"
                ));
            }
            Err(e) => {
                return Err(format!(
                    "could not run `python3` ({e}); --compare needs Python 3 on PATH to \
                     install Dask into {PYREF}"
                ));
            }
        }
    }
    let requirements = PYREF_REQUIREMENTS.join(" ");
    eprintln!("xtask: installing {requirements} into {PYREF} (needs network access)");
    let pip = venv.join("bin").join("pip");
    let args: Vec<&str> = std::iter::once("install")
        .chain(PYREF_REQUIREMENTS)
        .collect();
    match run_to_stderr(root, &pip, &args) {
        Ok(true) => {}
        Ok(false) => {
            return Err(format!(
                "`{PYREF}/bin/pip install {requirements}` failed (see pip's output above); fix that \
                 or remove {PYREF} and try again"
            ));
        }
        Err(e) => {
            return Err(format!(
                "could not run `{PYREF}/bin/pip` ({e}); remove {PYREF} and try again"
            ));
        }
    }
    if !has_python_deps(root, &python) {
        return Err(format!(
            "{PYREF}/bin/python still cannot `{PYREF_IMPORTS}` after installing \
             {requirements}"
        ));
    }
    Ok(python)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(workload: &str, tasks: u64, scheduler: &str, seconds: f64, us: f64) -> Row {
        Row {
            workload: workload.to_string(),
            tasks,
            scheduler: scheduler.to_string(),
            seconds,
            us_per_task: us,
        }
    }

    #[test]
    fn quick_is_passed_to_the_benchmark_binary() {
        let quick = bench_args("dask-sched-threads", "threads", true);
        assert_eq!(
            quick,
            [
                "bench",
                "--package",
                "dask-sched-threads",
                "--bench",
                "threads",
                "--",
                "--quick"
            ]
        );
        let full = bench_args("dask-graph", "graph", false);
        assert_eq!(
            full,
            ["bench", "--package", "dask-graph", "--bench", "graph"]
        );
    }

    fn measured_row(workload: &str, engine: &str, seconds: f64, peak_mb: f64) -> MeasuredRow {
        MeasuredRow {
            workload: workload.to_string(),
            engine: engine.to_string(),
            seconds,
            peak_mb,
        }
    }

    #[test]
    fn quick_is_passed_to_the_python_scripts() {
        assert_eq!(
            script_args(ARRAY_SCRIPT, true),
            ["xtask/compare/dask_array.py", "--quick"]
        );
        assert_eq!(script_args(DASK_SCRIPT, false), [DASK_SCRIPT]);
    }

    #[test]
    fn the_python_scripts_exist_and_shadow_no_module() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for script in [DASK_SCRIPT, ARRAY_SCRIPT, dataframe::SCRIPT] {
            assert!(root.join(script).is_file(), "{script}");
        }
        // Each script's directory is first on `sys.path`: a `dask_` prefix keeps its
        // neighbours from hiding standard modules (`array.py` would break dask's import).
        let compare = root.join("xtask/compare");
        for entry in std::fs::read_dir(&compare).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".py") {
                assert!(name.starts_with("dask_"), "xtask/compare/{name}");
            }
        }
    }

    #[test]
    fn parses_the_rows_of_a_report_and_skips_everything_else() {
        let report = "\
   Compiling dask-sched-threads v0.1.0
# threads: 2 workers
workload      tasks    scheduler  seconds    us_per_task
tree-100k     99999    threads    0.0712     0.712

tree-100k     99999    sync       0.0301     0.301
# cpu-64x10ms   64       threads    0.33       5150.0
#tree-1m       999999   threads    0.70       0.70
cpu-64x10ms   64       threads    0.33       5150.0
Benchmarking sync_chain_10k: Warming up for 3.0000 s
sync_chain_10k          time:   [1.2 ms 1.3 ms 1.4 ms]
Found 3 outliers among 100 measurements (3.00%)
  1 (1.00%) high mild
too many fields here 1 2 3
chain-10k     ten      threads    0.0040     0.400
chain-10k     10000    threads    fast       0.400
chain-10k     10000    threads    0.0040     NaN
chain-10k     10000    threads    -0.0040    0.400
chain-10k     10000    threads    0.0040
  chain-10k   10000    threads    4e-3       0.400  \r
";
        assert_eq!(
            parse_rows(report),
            [
                row("tree-100k", 99_999, "threads", 0.0712, 0.712),
                row("tree-100k", 99_999, "sync", 0.0301, 0.301),
                row("cpu-64x10ms", 64, "threads", 0.33, 5150.0),
                row("chain-10k", 10_000, "threads", 0.004, 0.4),
            ]
        );
        assert!(parse_rows("").is_empty());
        assert!(parse_rows("workload tasks scheduler seconds us_per_task\n").is_empty());
    }

    #[test]
    fn the_dask_script_prints_rows_we_parse() {
        // The exact layout `xtask/compare/dask_threads.py` prints.
        let dask = "\
# dask 2026.8.0, python 3.11.7: threads = dask.threaded.get(num_workers=2), sync = dask.get
workload      tasks    scheduler  seconds    us_per_task
tree-100k     99999    threads    10.4187    104.188
cpu-64x10ms   64       sync       0.6260     9781.399
# tree-1m skipped (about 100 s in Dask; pass --full)
";
        assert_eq!(
            parse_rows(dask),
            [
                row("tree-100k", 99_999, "threads", 10.4187, 104.188),
                row("cpu-64x10ms", 64, "sync", 0.626, 9781.399),
            ]
        );
    }

    #[test]
    fn parses_the_rows_of_the_array_report_and_skips_everything_else() {
        // The layout of dask-array/benches/array.rs, with noise around it.
        let report = "\
   Compiling dask-array v0.1.0 (/work/main/dask-array)
workload          engine              seconds  peak_rss_mb
normal-mean-2e8   dask-rs-threads      0.8123         12.5
normal-mean-2e8   dask-rs-sync         1.5012          9.0
# xxt-sum-20k     dask-rs-threads      2.0000        300.0
xxt-sum-20k       dask-rs-threads      fast         300.0
xxt-sum-20k       dask-rs-threads      2.0000         NaN
xxt-sum-20k       dask-rs-threads     -2.0000        300.0
xxt-sum-20k       dask-rs-threads      2.0000
tree-100k     99999    threads    0.0712     0.712
  center-std-20k  dask-rs-threads      3e0          512  \r
";
        assert_eq!(
            parse_measured_rows(report),
            [
                measured_row("normal-mean-2e8", "dask-rs-threads", 0.8123, 12.5),
                measured_row("normal-mean-2e8", "dask-rs-sync", 1.5012, 9.0),
                measured_row("center-std-20k", "dask-rs-threads", 3.0, 512.0),
            ]
        );
        assert!(parse_measured_rows(ARRAY_HEADER).is_empty());
        // The two row formats do not mix.
        assert!(parse_rows(report).iter().all(|r| r.workload == "tree-100k"));
    }

    #[test]
    fn the_array_script_prints_rows_we_parse() {
        // The exact layout `xtask/compare/dask_array.py` prints.
        let python = "\
# dask 2026.8.0, numpy 2.4.6, python 3.11.7: dask-threads = compute(scheduler='threads', num_workers=2), numpy single-threaded; median of 3 after a warm-up, one process per row
workload          engine           seconds    peak_rss_mb
normal-mean-2e8   dask-threads     1.9644     64.3
normal-mean-2e8   numpy            5.7535     1572.5
# normal-mean-2e9 skipped (about 18 s per run in Dask; pass --full)
";
        assert_eq!(
            parse_measured_rows(python),
            [
                measured_row("normal-mean-2e8", "dask-threads", 1.9644, 64.3),
                measured_row("normal-mean-2e8", "numpy", 5.7535, 1572.5),
            ]
        );
    }

    #[test]
    fn compares_array_rows_of_our_thread_pool_in_our_order() {
        let ours = [
            measured_row("normal-mean-2e8", "dask-rs-threads", 0.5, 12.3),
            measured_row("normal-mean-2e8", "dask-rs-sync", 0.9, 9.0),
            measured_row("normal-mean-2e9", "dask-rs-threads", 5.0, 14.0),
            measured_row("xxt-sum-20k", "dask-rs-threads", 1.1, 350.0),
            measured_row("center-std-20k", "dask-rs-threads", 2.0, 420.0),
        ];
        let theirs = [
            measured_row("center-std-20k", "dask-threads", 3.4751, 290.0),
            measured_row("xxt-sum-20k", "numpy", 28.72, 6150.1),
            measured_row("normal-mean-2e8", "numpy", 5.7535, 1572.5),
            measured_row("normal-mean-2e8", "dask-threads", 1.9644, 64.3),
            measured_row("xxt-sum-20k", "dask-threads", 2.222, 119.2),
            measured_row("tree-1m", "dask-threads", 1.0, 1.0),
        ];
        let table = array_comparison_table(&ours, &theirs).unwrap();
        let expected = "\
workload         ours s  ours MB  Dask s  Dask MB  NumPy s  NumPy MB  Dask/ours
normal-mean-2e8   0.500     12.3    1.96     64.3     5.75      1572       3.9x
xxt-sum-20k        1.10      350    2.22      119     28.7      6150       2.0x
center-std-20k     2.00      420    3.48      290        -         -       1.7x
";
        assert_eq!(table, expected, "\n{table}");
    }

    #[test]
    fn no_array_comparison_without_python_rows_for_our_thread_pool() {
        let ours = [
            measured_row("normal-mean-2e9", "dask-rs-threads", 5.0, 14.0),
            measured_row("xxt-sum-20k", "dask-rs-sync", 2.0, 300.0),
        ];
        let theirs = [
            measured_row("xxt-sum-20k", "dask-threads", 2.222, 119.2),
            measured_row("normal-mean-2e8", "numpy", 5.7535, 1572.5),
        ];
        assert_eq!(array_comparison_table(&ours, &theirs), None);
        assert_eq!(array_comparison_table(&[], &theirs), None);
        assert_eq!(array_comparison_table(&ours, &[]), None);
        let numpy_only = [measured_row("normal-mean-2e9", "numpy", 50.0, 15_000.0)];
        let table = array_comparison_table(&ours, &numpy_only).unwrap();
        assert!(
            table.lines().nth(1).unwrap().ends_with("15000          -"),
            "{table}"
        );
    }

    #[test]
    fn formats_per_task_times_and_ratios() {
        assert_eq!(format_figure(0.7123), "0.712");
        assert_eq!(format_figure(2.345), "2.35");
        assert_eq!(format_figure(44.51), "44.5");
        assert_eq!(format_figure(5150.4), "5150");
        assert_eq!(format_figure(0.5), "0.500");
        assert_eq!(format_ratio(95.4, 0.712), "134x");
        assert_eq!(format_ratio(10.0, 1.0), "10x");
        assert_eq!(format_ratio(9.9, 1.0), "9.9x");
        assert_eq!(format_ratio(9781.0, 5150.0), "1.9x");
        assert_eq!(format_ratio(0.5, 1.0), "0.5x");
        assert_eq!(format_ratio(0.1, 1.0), "0.1x");
        assert_eq!(format_ratio(0.0576, 0.5), "0.12x");
        assert_eq!(format_ratio(0.048, 1.0), "0.048x");
        assert_eq!(format_ratio(0.0576, 2.5), "0.023x");
        assert_eq!(format_ratio(0.994, 1.0), "0.99x");
        assert_eq!(format_ratio(0.999, 1.0), "1.0x");
        assert_eq!(format_ratio(0.0, 1.0), "0.0x");
        assert_eq!(format_ratio(1.0, 0.0), "-");
    }

    #[test]
    fn compares_the_rows_present_in_both_in_our_order() {
        let ours = [
            row("tree-100k", 99_999, "threads", 0.0712, 0.712),
            row("tree-100k", 99_999, "sync", 0.0301, 0.301),
            row("tree-1m", 999_999, "threads", 0.7, 0.7),
            row("cpu-64x10ms", 64, "threads", 0.33, 5150.0),
        ];
        let dask = [
            row("cpu-64x10ms", 64, "threads", 0.755, 11_799.6),
            row("chain-10k", 10_000, "threads", 2.09, 208.8),
            row("tree-100k", 99_999, "threads", 9.54, 95.4),
            row("tree-100k", 99_999, "sync", 6.15, 61.5),
        ];
        let table = comparison_table(&ours, &dask).unwrap();
        let expected = "\
workload     scheduler  ours µs/task  Dask µs/task  Dask/ours
tree-100k    threads           0.712          95.4       134x
tree-100k    sync              0.301          61.5       204x
cpu-64x10ms  threads            5150         11800       2.3x
";
        assert_eq!(table, expected, "\n{table}");
    }

    #[test]
    fn nothing_to_compare_without_common_rows() {
        let ours = [row("tree-100k", 99_999, "threads", 0.0712, 0.712)];
        let dask = [
            row("tree-100k", 99_999, "sync", 6.15, 61.5),
            row("chain-10k", 10_000, "threads", 2.09, 208.8),
        ];
        assert_eq!(comparison_table(&ours, &dask), None);
        assert_eq!(comparison_table(&[], &dask), None);
        assert_eq!(comparison_table(&ours, &[]), None);
    }
}
